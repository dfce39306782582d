/**
 * Happy Eyeballs (RFC 8305) over any {@linkcode Connector}: resolves a host
 * name to all its addresses, orders them IPv6 first and alternating
 * families (§4), starts one attempt, and starts the next after 250 ms (§5,
 * "Connection Attempt Delay") or as soon as the previous one fails. The
 * first connection wins; the others are aborted. A name that resolves to
 * both families is then reached whichever family the server listens on,
 * and every failure names each address tried, on every runtime.
 *
 * A TLS failure after a TCP connection ends the race at once: the server
 * was reached, and another address would not change the certificate. TLS
 * names stay those of the host name (`servername` defaults to it).
 *
 * @module
 */

import { TransportError } from "./types.ts";
import type { ConnectOptions, Connector, Transport } from "./types.ts";

/** One address a name resolves to. */
export interface ResolvedAddress {
  /** The IP address. */
  readonly address: string;
  /** 4 or 6. */
  readonly family: number;
}

/** Resolves a host name to all its addresses. */
export type LookupAll = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** RFC 8305 §5: "a simple implementation can have a fixed delay … The recommended value … is 250 milliseconds." */
export const CONNECTION_ATTEMPT_DELAY = 250;

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * Whether a host is an IP literal (nothing to resolve).
 *
 * @param hostname The host (IPv6 without brackets).
 * @returns `true` for an IPv4 or IPv6 address.
 */
export function isIpAddress(hostname: string): boolean {
  return IPV4.test(hostname) || hostname.includes(":");
}

/**
 * The `lookup` of `node:dns` with all addresses in the resolver's order
 * (Deno, Bun and Node all provide it; it reads `/etc/hosts`).
 *
 * @param hostname The name.
 * @returns Its addresses.
 */
export async function lookupAll(hostname: string): Promise<readonly ResolvedAddress[]> {
  const dns = await import("node:dns");
  return await dns.promises.lookup(hostname, { all: true, verbatim: true });
}

/**
 * RFC 8305 §4: IPv6 first, then alternate the families, keeping the
 * resolver's order within each.
 *
 * @example
 * ```ts
 * import { sortAddresses } from "./happy_eyeballs.ts";
 * import assert from "node:assert/strict";
 *
 * const sorted = sortAddresses([
 *   { address: "127.0.0.1", family: 4 },
 *   { address: "10.0.0.1", family: 4 },
 *   { address: "::1", family: 6 },
 * ]);
 * assert.deepEqual(sorted.map((a) => a.address), ["::1", "127.0.0.1", "10.0.0.1"]);
 * ```
 *
 * @param addresses The resolver's answer.
 * @returns The order to try them in.
 */
export function sortAddresses(addresses: readonly ResolvedAddress[]): ResolvedAddress[] {
  const v6 = addresses.filter((a) => a.family === 6);
  const v4 = addresses.filter((a) => a.family !== 6);
  const sorted: ResolvedAddress[] = [];
  for (let i = 0; i < Math.max(v6.length, v4.length); i++) {
    if (i < v6.length) sorted.push(v6[i]!);
    if (i < v4.length) sorted.push(v4[i]!);
  }
  return sorted;
}

/** Options of {@linkcode withHappyEyeballs}. */
export interface HappyEyeballsOptions {
  /** Resolves names. @default {@linkcode lookupAll} */
  readonly lookup?: LookupAll | undefined;
  /** Milliseconds between attempts. @default {250} */
  readonly attemptDelay?: number;
}

function hostPort(hostname: string, port: number): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

/** The adapter's message without its "Cannot connect to …: " prefix. */
function detail(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^Cannot connect(?: to \S+)?: /, "");
}

/**
 * Wraps a connector with Happy Eyeballs. IP addresses, unix sockets and
 * TLS with a client certificate (Deno can only send one when connecting by
 * name) go straight to the connector.
 *
 * @example Reaching a server that listens on IPv4 only, for a name that resolves to both
 * ```ts
 * import { withHappyEyeballs } from "./happy_eyeballs.ts";
 * import { connectNode } from "./node.ts";
 * import * as net from "node:net";
 * import assert from "node:assert/strict";
 *
 * const server = net.createServer((socket) => socket.on("error", () => {}).end());
 * await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
 * const { port } = server.address() as net.AddressInfo;
 * const connect = withHappyEyeballs(connectNode, {
 *   lookup: () => Promise.resolve([{ address: "::1", family: 6 }, { address: "127.0.0.1", family: 4 }]),
 * });
 * const transport = await connect({ hostname: "dual.test", port });
 * assert.equal(transport.remoteAddress?.hostname, "127.0.0.1");
 * transport.close();
 * await new Promise((resolve) => server.close(resolve));
 * ```
 *
 * @param connector The connector to race.
 * @param options The resolver and the delay.
 * @returns The connector with Happy Eyeballs.
 */
export function withHappyEyeballs(
  connector: Connector,
  options: HappyEyeballsOptions = {},
): Connector {
  const lookup = options.lookup ?? lookupAll;
  const delay = options.attemptDelay ?? CONNECTION_ATTEMPT_DELAY;
  return async function connect(target: ConnectOptions): Promise<Transport> {
    if (
      target.path !== undefined || isIpAddress(target.hostname) || target.tls?.cert !== undefined
    ) {
      return await connector(target);
    }
    const where = hostPort(target.hostname, target.port);
    let addresses: ResolvedAddress[];
    try {
      addresses = sortAddresses(await lookup(target.hostname));
    } catch (error) {
      target.signal?.throwIfAborted();
      throw new TransportError(
        "CONNECT_FAILED",
        `Cannot connect to ${where}: cannot resolve ${target.hostname}: ${detail(error)}`,
        { cause: error },
      );
    }
    target.signal?.throwIfAborted();
    if (addresses.length === 0) {
      throw new TransportError(
        "CONNECT_FAILED",
        `Cannot connect to ${where}: ${target.hostname} has no address`,
      );
    }
    return await race(connector, target, addresses, delay, where);
  };
}

function race(
  connector: Connector,
  target: ConnectOptions,
  addresses: readonly ResolvedAddress[],
  delay: number,
  where: string,
): Promise<Transport> {
  const { signal } = target;
  const tls = target.tls === undefined
    ? undefined
    : { ...target.tls, servername: target.tls.servername ?? target.hostname };
  return new Promise((resolve, reject) => {
    const controllers: AbortController[] = [];
    const failures: string[] = [];
    let next = 0;
    let pending = 0;
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    function finish(): void {
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      for (const controller of controllers) controller.abort(new Error("another address won"));
    }
    function onAbort(): void {
      if (settled) return;
      finish();
      reject(signal!.reason);
    }
    function start(): void {
      if (settled || next >= addresses.length) return;
      if (timer !== undefined) clearTimeout(timer);
      const { address } = addresses[next++]!;
      const controller = new AbortController();
      controllers.push(controller);
      pending++;
      connector({ ...target, hostname: address, tls, signal: controller.signal }).then(
        (transport) => {
          pending--;
          if (settled) return transport.close();
          finish();
          resolve(transport);
        },
        (error: unknown) => {
          pending--;
          if (settled) return;
          const code = error instanceof TransportError ? error.code : "CONNECT_FAILED";
          if (code !== "CONNECT_FAILED") {
            // The server was reached (TLS failed) or an option is unsupported: no other address helps.
            finish();
            return reject(error);
          }
          failures.push(`${hostPort(address, target.port)}: ${detail(error)}`);
          if (next < addresses.length) return start();
          if (pending === 0) {
            finish();
            reject(
              new TransportError(
                "CONNECT_FAILED",
                `Cannot connect to ${where}: ${failures.join("; ")}`,
                { cause: error },
              ),
            );
          }
        },
      );
      // RFC 8305 §5: the next attempt starts after the delay even if this one is still pending.
      if (next < addresses.length) timer = setTimeout(start, delay);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) return onAbort();
    start();
  });
}
