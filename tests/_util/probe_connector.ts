/**
 * {@linkcode createProbeConnector}: the runtime's own transport adapter with
 * counters on it (bytes the client took from the kernel, bytes handed to the
 * driver, the largest chunk).
 *
 * @module
 */

import * as net from "node:net";
import * as tls from "node:tls";
import { type BunLike, createBunConnector } from "../../src/transport/bun.ts";
import { createDenoConnector } from "../../src/transport/deno.ts";
import { createNodeConnector, type NodeModules } from "../../src/transport/node.ts";
import type { Bytes, Connector, Transport } from "../../src/transport/types.ts";
import { KIB } from "./messages.ts";
import { runtime } from "./runtime.ts";

/** Counters of {@linkcode createProbeConnector}. */
export interface ProbeStats {
  /** The transports opened, in order. */
  readonly transports: Transport[];
  /**
   * Bytes the client took from the kernel: the runtime socket's data events
   * (Node, Bun), or the adapter's reads (Deno, whose adapter reads only when asked).
   */
  kernelBytes: number;
  /** Bytes the adapter handed to the driver through `read()`. */
  readBytes: number;
  /** The largest chunk `read()` returned. */
  maxChunk: number;
  /** The largest `bufferedAmount` right after a `write()`. */
  peakBufferedAmount: number;
  /** Called after every change of the two counters. */
  onProgress: (() => void) | null;
}

/** The read high-water mark of the Node and Bun adapters (their default). */
export const ADAPTER_READ_HIGH_WATER_MARK: number = runtime === "deno" ? 0 : 256 * KIB;

/**
 * The running runtime's adapter with its default settings, plus counters:
 * the same code path as the default connector, with a view of the bytes.
 *
 * @returns The connector and its counters.
 */
export function createProbeConnector(): { connector: Connector; stats: ProbeStats } {
  const stats: ProbeStats = {
    transports: [],
    kernelBytes: 0,
    readBytes: 0,
    maxChunk: 0,
    peakBufferedAmount: 0,
    onProgress: null,
  };
  const counted = (n: number) => {
    stats.kernelBytes += n;
    stats.onProgress?.();
  };
  let inner: Connector;
  if (runtime === "deno") {
    inner = createDenoConnector();
  } else if (runtime === "bun") {
    const bun = (globalThis as unknown as { Bun: BunLike }).Bun;
    inner = createBunConnector({
      connect(options) {
        const handler = options.socket;
        return bun.connect({
          ...options,
          socket: {
            ...handler,
            data(socket, data) {
              counted(data.byteLength);
              handler.data(socket, data);
            },
          },
        });
      },
    });
  } else {
    const modules: NodeModules = {
      net: {
        connect(options) {
          const socket = net.connect(options);
          socket.on("data", (data: Uint8Array) => counted(data.byteLength));
          return socket;
        },
      },
      tls,
    };
    inner = createNodeConnector(modules);
  }
  const connector: Connector = async (options) => {
    const transport = await inner(options);
    const probe: Transport = {
      tls: transport.tls,
      remoteAddress: transport.remoteAddress,
      async read(): Promise<Bytes | null> {
        const chunk = await transport.read();
        if (chunk !== null) {
          stats.readBytes += chunk.byteLength;
          if (runtime === "deno") stats.kernelBytes += chunk.byteLength;
          stats.maxChunk = Math.max(stats.maxChunk, chunk.byteLength);
          stats.onProgress?.();
        }
        return chunk;
      },
      write(chunk) {
        const below = transport.write(chunk);
        stats.peakBufferedAmount = Math.max(stats.peakBufferedAmount, transport.bufferedAmount);
        return below;
      },
      get bufferedAmount() {
        return transport.bufferedAmount;
      },
      drained: () => transport.drained(),
      closeWrite: () => transport.closeWrite(),
      close: () => transport.close(),
      closed: transport.closed,
    };
    stats.transports.push(probe);
    return probe;
  };
  return { connector, stats };
}
