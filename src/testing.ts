/**
 * Test helpers for code that uses wsport: an in-memory transport pair and
 * an in-memory echo server, so tests and examples run without sockets.
 *
 * @example An echo round trip in memory
 * ```ts
 * import { WebSocketStream } from "@wsport/wsport";
 * import { createEchoServer } from "@wsport/wsport/testing";
 * import assert from "node:assert/strict";
 *
 * const server = createEchoServer();
 * const socket = new WebSocketStream("ws://echo.test/", { transport: server.connector });
 * const { readable, writable } = await socket.opened;
 * await writable.getWriter().write(new Uint8Array([1, 2, 3]));
 * const { value } = await readable.getReader().read();
 * assert.deepEqual(value, new Uint8Array([1, 2, 3]));
 * socket.close();
 * await socket.closed;
 * ```
 *
 * @module
 */

import { serveConnection } from "./_serve_loop.ts";
import type { Connector, Transport } from "./transport/types.ts";
import { createMemoryConnector } from "./transport/memory.ts";

export { createMemoryConnector, createMemoryTransportPair } from "./transport/memory.ts";
export type {
  MemoryConnector,
  MemoryTransport,
  MemoryTransportOptions,
} from "./transport/memory.ts";

/** An in-memory echo server. */
export interface EchoServer {
  /** Pass as the `transport` option of `WebSocket` or `WebSocketStream`. */
  readonly connector: Connector;
  /** How many connections it has accepted. */
  readonly connections: number;
  /** Resolves when every accepted connection has ended. */
  idle(): Promise<void>;
}

/**
 * Starts an in-memory server that answers any WebSocket handshake, echoes
 * every message back as it came (text as text, binary as binary), answers
 * pings (the protocol core does) and echoes the client's close code.
 *
 * @returns The server; it needs no stopping.
 */
export function createEchoServer(): EchoServer {
  const memory = createMemoryConnector();
  const running: Promise<void>[] = [];
  let connections = 0;
  async function serve(): Promise<void> {
    while (true) {
      const transport = await memory.accept();
      connections++;
      running.push(echo(transport));
    }
  }
  void serve();
  return {
    connector: memory.connector,
    get connections() {
      return connections;
    },
    async idle() {
      await Promise.all(running);
    },
  };
}

function echo(transport: Transport): Promise<void> {
  return serveConnection(transport, (event, { connection }) => {
    if (event.type === "request") {
      connection.accept();
    } else if (event.type === "message" && connection.state === "open") {
      if (typeof event.data === "string") connection.sendText(event.data);
      else connection.sendBinary(event.data);
    }
  });
}

export type {
  Bytes,
  ConnectOptions,
  Connector,
  StartTlsOptions,
  TlsOptions,
  Transport,
  TransportAddress,
} from "./transport/types.ts";
