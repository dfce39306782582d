/**
 * Opens a transport through a proxy: connects to the proxy with any
 * {@linkcode Connector}, drives the sans-I/O handshake of `src/proxy/`
 * (HTTP `CONNECT` or SOCKS5) over it, then, for a `wss:` target, starts TLS
 * to the target inside the tunnel with {@linkcode Transport.startTls}, so SNI
 * and certificate checks are against the target's name, never the proxy's.
 *
 * @module
 */

import { ProxyError } from "../proxy/errors.ts";
import { HttpConnectHandshake } from "../proxy/http_connect.ts";
import type { ProxyUrl } from "../proxy/proxy_url.ts";
import { Socks5Handshake } from "../proxy/socks5.ts";
import type {
  Bytes,
  ConnectOptions,
  Connector,
  StartTlsOptions,
  TlsOptions,
  Transport,
  TransportAddress,
} from "./types.ts";
import { TransportError } from "./types.ts";

/** Resolves a host name to one IP address (for `socks5:`, where we resolve, not the proxy). */
export type Lookup = (hostname: string) => Promise<string>;

/** How {@linkcode connectThroughProxy} reaches the proxy. */
export interface TunnelOptions {
  /** The proxy. */
  readonly proxy: ProxyUrl;
  /** Opens the connection to the proxy. */
  readonly connector: Connector;
  /** TLS settings for an `https:` proxy (verified against the proxy's name). */
  readonly proxyTls?: TlsOptions | undefined;
  /**
   * Resolves the target's name for `socks5:`.
   * @default `lookup` of `node:dns` (Deno, Bun and Node all provide it)
   */
  readonly lookup?: Lookup | undefined;
}

/** One of the proxy handshakes of `src/proxy/`. */
interface Handshake {
  dataToSend(): Uint8Array;
  receiveData(chunk: Uint8Array): boolean;
  receiveEof(): void;
  leftover(): Uint8Array;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

async function defaultLookup(hostname: string): Promise<string> {
  const dns = await import("node:dns");
  return (await dns.promises.lookup(hostname)).address;
}

/**
 * Opens a transport to `target` through a proxy. The target's `tls`
 * decides whether TLS is started inside the tunnel; `signal` aborts every
 * step (so the client's handshake timeout covers the proxy hop).
 *
 * @example A tunnel through an HTTP proxy (here a fake one, in memory)
 * ```ts
 * import { connectThroughProxy } from "./tunnel.ts";
 * import { createMemoryConnector } from "./memory.ts";
 * import { parseProxyUrl } from "../proxy/proxy_url.ts";
 * import assert from "node:assert/strict";
 *
 * const { connector, accept } = createMemoryConnector();
 * const opening = connectThroughProxy(
 *   { hostname: "example.com", port: 80 },
 *   { proxy: parseProxyUrl("http://proxy.test:3128"), connector },
 * );
 * const proxy = await accept();
 * const request = new TextDecoder().decode((await proxy.read())!);
 * assert.ok(request.startsWith("CONNECT example.com:80 HTTP/1.1\r\n"));
 * proxy.write(new TextEncoder().encode("HTTP/1.1 200 OK\r\n\r\nhello"));
 * const tunnel = await opening;
 * assert.equal(new TextDecoder().decode((await tunnel.read())!), "hello");
 * tunnel.close();
 * proxy.close();
 * ```
 *
 * @param target Where the tunnel leads (`path` is not allowed).
 * @param options The proxy and how to reach it.
 * @returns The transport to the target.
 * @throws {ProxyError} When the proxy refuses or fails its handshake.
 * @throws {TransportError} When a connection fails, or `UNSUPPORTED` when
 * the runtime cannot start TLS inside the tunnel.
 */
export async function connectThroughProxy(
  target: ConnectOptions,
  options: TunnelOptions,
): Promise<Transport> {
  const { proxy, signal } = { ...options, signal: target.signal };
  signal?.throwIfAborted();
  let hostname = target.hostname;
  if (proxy.protocol === "socks5" && !IPV4.test(hostname) && !hostname.includes(":")) {
    try {
      hostname = await (options.lookup ?? defaultLookup)(hostname);
    } catch (error) {
      throw new TransportError(
        "CONNECT_FAILED",
        `Cannot connect: cannot resolve ${target.hostname} for the SOCKS5 proxy ${proxy.display} (use socks5h: to let the proxy resolve it)`,
        { cause: error },
      );
    }
    signal?.throwIfAborted();
  }
  const handshake: Handshake = proxy.protocol === "http" || proxy.protocol === "https"
    ? new HttpConnectHandshake({ ...credentials(proxy), hostname, port: target.port })
    : new Socks5Handshake({ ...credentials(proxy), hostname, port: target.port });
  const transport = await options.connector({
    hostname: proxy.hostname,
    port: proxy.port,
    tls: proxy.protocol === "https" ? (options.proxyTls ?? {}) : undefined,
    signal,
  });
  const onAbort = () => transport.close();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await runHandshake(transport, handshake);
    signal?.throwIfAborted();
  } catch (error) {
    transport.close();
    throw signal?.aborted ? signal.reason : error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  const leftover = handshake.leftover();
  if (target.tls === undefined) {
    return leftover.length === 0 ? transport : new PrefixedTransport(transport, leftover);
  }
  if (leftover.length > 0) {
    transport.close();
    throw new ProxyError(
      "MALFORMED_REPLY",
      `Cannot open tunnel: the proxy ${proxy.display} sent ${leftover.length} bytes before the TLS handshake`,
      { proxy: proxy.display },
    );
  }
  if (transport.startTls === undefined) {
    transport.close();
    throw new TransportError(
      "UNSUPPORTED",
      "Cannot connect: the transport cannot start TLS inside the tunnel (it has no startTls)",
    );
  }
  const tlsOptions: StartTlsOptions = { hostname: target.hostname, tls: target.tls, signal };
  return await transport.startTls(tlsOptions);
}

function credentials(proxy: ProxyUrl): { username: string; password: string; proxy: string } {
  return { username: proxy.username, password: proxy.password, proxy: proxy.display };
}

/** Writes what the handshake has to say and feeds it what the proxy answers, until open. */
async function runHandshake(transport: Transport, handshake: Handshake): Promise<void> {
  for (;;) {
    const out = handshake.dataToSend();
    if (out.length > 0) transport.write(out);
    const chunk = await transport.read();
    if (chunk === null) {
      handshake.receiveEof();
      throw new TransportError(
        "CONNECTION_LOST",
        "Cannot open tunnel: the proxy closed the tunnel",
      );
    }
    if (handshake.receiveData(chunk)) return;
  }
}

/** A transport that first reads back bytes already received (what followed the proxy's answer). */
class PrefixedTransport implements Transport {
  #inner: Transport;
  #prefix: Bytes | null;

  constructor(inner: Transport, prefix: Uint8Array) {
    this.#inner = inner;
    this.#prefix = prefix.slice();
  }

  get tls(): boolean {
    return this.#inner.tls;
  }
  get remoteAddress(): TransportAddress | null {
    return this.#inner.remoteAddress;
  }
  get bufferedAmount(): number {
    return this.#inner.bufferedAmount;
  }
  get closed(): Promise<void> {
    return this.#inner.closed;
  }
  read(): Promise<Bytes | null> {
    const prefix = this.#prefix;
    if (prefix === null) return this.#inner.read();
    this.#prefix = null;
    return Promise.resolve(prefix);
  }
  write(chunk: Uint8Array, onWritten?: () => void): boolean {
    return this.#inner.write(chunk, onWritten);
  }
  drained(): Promise<void> {
    return this.#inner.drained();
  }
  closeWrite(): void {
    this.#inner.closeWrite();
  }
  close(): void {
    this.#prefix = null;
    this.#inner.close();
  }
}
