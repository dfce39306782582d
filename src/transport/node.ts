/**
 * The {@linkcode Transport} for Node, over `node:net` and `node:tls`.
 *
 * Node pushes incoming data through `'data'` events. The adapter keeps the
 * chunks in a queue served by {@linkcode Transport.read} and calls
 * `socket.pause()` once the queue holds `readHighWaterMark` bytes, and
 * `socket.resume()` when reading brings it back under. Memory per
 * connection is then bounded by the mark plus one chunk (Node reads at most
 * 64 KiB at a time) plus the stream's own small buffer, and the server
 * feels backpressure through the TCP window.
 *
 * Writes go straight to `socket.write()`, which queues in Node;
 * `bufferedAmount` is the socket's `writableLength`, and
 * {@linkcode Transport.drained} waits for the callback of the last write.
 * Sockets are opened with `allowHalfOpen`, so {@linkcode Transport.closeWrite}
 * (`socket.end()`) and the server's end of stream are independent.
 *
 * @module
 */

import * as net from "node:net";
import * as tls from "node:tls";
import { TransportError } from "./types.ts";
import { checkSize, LazyClosed, messageOf, ReadQueue } from "./_util.ts";
import type {
  Bytes,
  ConnectOptions,
  Connector,
  StartTlsOptions,
  Transport,
  TransportAddress,
} from "./types.ts";

/** The part of a `net.Socket` / `tls.TLSSocket` that the adapter uses. */
export interface NodeSocketLike {
  /**
   * Adds a listener for received bytes. Listeners are called as
   * `EventEmitter` calls them, with the socket as `this`.
   */
  on(event: "data", listener: (data: Uint8Array) => void): unknown;
  /** Adds a listener for a failure. */
  on(event: "error", listener: (error: Error) => void): unknown;
  /** Adds a listener for a state change. */
  on(event: "connect" | "secureConnect" | "end" | "close", listener: () => void): unknown;
  /** Removes a listener for a failure. */
  removeListener(event: "error", listener: (error: Error) => void): unknown;
  /** Removes a listener for received bytes. */
  removeListener(event: "data", listener: (data: Uint8Array) => void): unknown;
  /** Removes a listener for the end of stream. */
  removeListener(event: "end", listener: () => void): unknown;
  /** Removes a listener for a state change. */
  removeListener(event: "connect" | "secureConnect" | "close", listener: () => void): unknown;
  /** Queues bytes; `callback` runs once they reach the OS (or fail). */
  write(chunk: Uint8Array, callback: (error?: Error | null) => void): boolean;
  /** Half-closes after the queued bytes. */
  end(): unknown;
  /** Closes at once. */
  destroy(): unknown;
  /** Stops `'data'` events. */
  pause(): unknown;
  /** Restarts `'data'` events. */
  resume(): unknown;
  /** Sets `TCP_NODELAY`. */
  setNoDelay(noDelay?: boolean): unknown;
  /** Bytes queued and not yet handed to the OS. */
  readonly writableLength: number;
  /** The peer's IP address. */
  readonly remoteAddress?: string | undefined;
  /** The peer's port. */
  readonly remotePort?: number | undefined;
}

/** The functions of `node:net` and `node:tls` that the adapter uses. */
export interface NodeModules {
  /** `node:net`. */
  readonly net: { connect(options: net.NetConnectOpts): NodeSocketLike };
  /** `node:tls`. */
  readonly tls: {
    connect(options: tls.ConnectionOptions & { allowHalfOpen?: boolean }): NodeSocketLike;
  };
}

/** Tuning of {@linkcode createNodeConnector}. */
export interface NodeConnectorOptions {
  /**
   * The socket is paused once this many received bytes wait for `read()`.
   * @default {262144} four full socket reads, so a busy connection is not paused and
   * resumed on every read (measured: +60% receiving 64 KiB messages on Bun), yet
   * bounded per connection
   */
  readonly readHighWaterMark?: number;
  /**
   * `write()` returns `false` once this many bytes are queued.
   * @default {65536}
   */
  readonly writeHighWaterMark?: number;
}

const KIB = 1024;

/**
 * Creates a {@linkcode Connector} over `node:net` and `node:tls`.
 *
 * @param modules The modules; tests pass fakes. Defaults to the real ones.
 * @param options Buffer limits.
 * @returns The connector.
 *
 * @example Passing the modules and a smaller read buffer
 * ```ts
 * import { createNodeConnector } from "./node.ts";
 * import * as net from "node:net";
 * import * as tls from "node:tls";
 * import assert from "node:assert/strict";
 *
 * const server = net.createServer((socket) => socket.end("hello"));
 * await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
 * const { port } = server.address() as net.AddressInfo;
 * const connect = createNodeConnector({ net, tls }, { readHighWaterMark: 16 * 1024 });
 * const transport = await connect({ hostname: "127.0.0.1", port });
 * assert.equal(new TextDecoder().decode((await transport.read())!), "hello");
 * assert.equal(await transport.read(), null);
 * transport.close();
 * await transport.closed;
 * await new Promise((resolve) => server.close(resolve));
 * ```
 */
export function createNodeConnector(
  modules: NodeModules = { net, tls },
  options: NodeConnectorOptions = {},
): Connector {
  const limits = {
    read: checkSize(options.readHighWaterMark, 256 * KIB, "readHighWaterMark"),
    write: checkSize(options.writeHighWaterMark, 64 * KIB, "writeHighWaterMark"),
  };
  return function connect(connectOptions: ConnectOptions): Promise<Transport> {
    return open(modules, connectOptions, limits);
  };
}

/**
 * Opens a transport with the real `node:net` and `node:tls`.
 *
 * @example A round trip over loopback
 * ```ts
 * import { connectNode } from "./node.ts";
 * import * as net from "node:net";
 * import assert from "node:assert/strict";
 *
 * const server = net.createServer((socket) => socket.pipe(socket));
 * await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
 * const { port } = server.address() as net.AddressInfo;
 * const transport = await connectNode({ hostname: "127.0.0.1", port });
 * transport.write(new TextEncoder().encode("ping"));
 * transport.closeWrite();
 * assert.equal(new TextDecoder().decode((await transport.read())!), "ping");
 * assert.equal(await transport.read(), null);
 * await transport.closed;
 * await new Promise((resolve) => server.close(resolve));
 * ```
 */
export const connectNode: Connector = createNodeConnector();

function ignore(): void {}

/** ALPN: we speak HTTP/1.1 only (the opening handshake is an HTTP/1.1 Upgrade). */
const ALPN = ["http/1.1"];

function createSocket(
  modules: NodeModules,
  options: ConnectOptions,
  existing?: NodeSocketLike,
): NodeSocketLike {
  const target = existing !== undefined
    ? { socket: existing as unknown as net.Socket }
    : options.path !== undefined
    ? { path: options.path }
    : { host: options.hostname, port: options.port };
  const settings = options.tls;
  if (settings === undefined) {
    return modules.net.connect({ ...target, allowHalfOpen: true } as net.NetConnectOpts);
  }
  const name = settings.servername ?? options.hostname;
  return modules.tls.connect({
    ...target,
    allowHalfOpen: true,
    ALPNProtocols: ALPN,
    ...(settings.cert === undefined ? {} : { cert: settings.cert }),
    ...(settings.key === undefined ? {} : { key: settings.key }),
    ...(settings.passphrase === undefined ? {} : { passphrase: settings.passphrase }),
    ...(settings.minVersion === undefined ? {} : { minVersion: settings.minVersion }),
    // SNI must not be an IP address (RFC 6066 §3); the name is still verified.
    ...(net.isIP(name) ? {} : { servername: name }),
    checkServerIdentity: (_host, cert) => tls.checkServerIdentity(name, cert),
    ...(settings.ca === undefined
      ? {}
      : { ca: typeof settings.ca === "string" ? settings.ca : [...settings.ca] }),
    rejectUnauthorized: settings.dangerouslyDisableCertificateVerification !== true,
  });
}

function open(
  modules: NodeModules,
  options: ConnectOptions,
  limits: { read: number; write: number },
  existing?: NodeSocketLike,
): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const { signal } = options;
    if (signal?.aborted) {
      existing?.destroy();
      return reject(signal.reason);
    }
    const secure = options.tls !== undefined;
    let socket: NodeSocketLike;
    try {
      socket = createSocket(modules, options, existing);
    } catch (error) {
      return reject(
        new TransportError(
          "CONNECT_FAILED",
          `Cannot connect to ${where(options)}: ${messageOf(error)}`,
          {
            cause: error,
          },
        ),
      );
    }
    // Stays attached: a destroyed socket may still report an error later.
    socket.on("error", ignore);
    let tcpConnected = existing !== undefined;
    function cleanup(): void {
      socket.removeListener("connect", onConnect);
      socket.removeListener("secureConnect", onReady);
      socket.removeListener("error", onError);
      socket.removeListener("close", onClose);
      signal?.removeEventListener("abort", onAbort);
    }
    function onConnect(): void {
      tcpConnected = true;
      socket.setNoDelay(true);
      if (!secure) onReady();
    }
    function onReady(): void {
      cleanup();
      resolve(new NodeTransport(socket, secure, modules, limits));
    }
    function onError(error: Error): void {
      cleanup();
      socket.destroy();
      const code = secure && tcpConnected ? "TLS_FAILED" : "CONNECT_FAILED";
      reject(
        new TransportError(code, `Cannot connect to ${where(options)}: ${error.message}`, {
          cause: error,
        }),
      );
    }
    function onClose(): void {
      onError(new Error("the connection closed during setup"));
    }
    function onAbort(): void {
      cleanup();
      socket.destroy();
      reject(signal!.reason);
    }
    socket.on("connect", onConnect);
    socket.on("secureConnect", onReady);
    socket.on("error", onError);
    socket.on("close", onClose);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** "host:port" or the socket path, for messages. */
function where(options: ConnectOptions): string {
  if (options.path !== undefined) return options.path;
  if (options.port === 0) return options.hostname;
  return options.hostname.includes(":")
    ? `[${options.hostname}]:${options.port}`
    : `${options.hostname}:${options.port}`;
}

/** Where a socket's listeners find the transport that owns it. */
const TRANSPORT = Symbol("wsport.transport");

/** A socket with its owner attached (see the constructor of `NodeTransport`). */
type OwnedSocket = NodeSocketLike & { [TRANSPORT]?: NodeTransport | undefined };

class NodeTransport implements Transport {
  readonly tls: boolean;
  readonly remoteAddress: TransportAddress | null;
  #closed = new LazyClosed();
  #socket: NodeSocketLike;
  #incoming: ReadQueue;
  #writeHighWaterMark: number;
  #modules: NodeModules;
  #limits: { read: number; write: number };
  #detached = false;
  #released = false;
  #closedLocally = false;
  #writeClosed = false;
  #pendingWrites = 0;
  // Made by the first wait: an idle connection keeps none (nor a new empty one per write).
  #drainWaiters: (() => void)[] | null = null;

  constructor(
    socket: NodeSocketLike,
    secure: boolean,
    modules: NodeModules,
    limits: { read: number; write: number },
  ) {
    this.#socket = socket;
    this.tls = secure;
    this.#modules = modules;
    this.#limits = limits;
    this.#writeHighWaterMark = limits.write;
    // The socket's own pause() and resume() (no pair of closures per connection).
    this.#incoming = new ReadQueue(limits.read, socket);
    const { remoteAddress, remotePort } = socket;
    this.remoteAddress = remoteAddress === undefined
      ? null
      : { hostname: remoteAddress, port: remotePort ?? 0 };
    // The listeners are shared by every connection and find theirs on the
    // socket, as EventEmitter calls them with the socket as `this` (four
    // closures and their object were ~0.3 KB per connection).
    (socket as OwnedSocket)[TRANSPORT] = this;
    socket.on("data", NodeTransport.#onData);
    socket.on("end", NodeTransport.#onEnd);
    socket.on("error", NodeTransport.#onError);
    socket.on("close", NodeTransport.#onClose);
  }

  static #onData(this: NodeSocketLike, data: Uint8Array): void {
    // Socket buffers are never shared memory, and each one is fresh.
    (this as OwnedSocket)[TRANSPORT]!.#incoming.push(
      new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength),
    );
  }

  static #onEnd(this: NodeSocketLike): void {
    (this as OwnedSocket)[TRANSPORT]!.#incoming.end();
  }

  static #onError(this: NodeSocketLike, error: Error): void {
    (this as OwnedSocket)[TRANSPORT]!.#incoming.fail(
      new TransportError("CONNECTION_LOST", `Cannot read: ${error.message}`, { cause: error }),
    );
  }

  static #onClose(this: NodeSocketLike): void {
    const transport = (this as OwnedSocket)[TRANSPORT]!;
    transport.#released = true;
    transport.#incoming.end();
    transport.#notifyDrained();
    transport.#closed.settle();
  }

  /** Settles once the connection is released (made at the first access). */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /** `tls.connect({ socket })` over this socket (TCP, or TLS: TLS inside TLS works on Node). */
  startTls(options: StartTlsOptions): Promise<Transport> {
    if (this.#detached || this.#released || this.#closedLocally) {
      return Promise.reject(
        new TransportError("CONNECTION_LOST", "Cannot start TLS: the connection is closed"),
      );
    }
    this.#detached = true;
    const socket = this.#socket;
    socket.removeListener("data", NodeTransport.#onData);
    socket.removeListener("end", NodeTransport.#onEnd);
    socket.removeListener("error", NodeTransport.#onError);
    socket.removeListener("close", NodeTransport.#onClose);
    (socket as OwnedSocket)[TRANSPORT] = undefined;
    socket.resume();
    return open(
      this.#modules,
      {
        hostname: options.hostname,
        port: 0,
        tls: options.tls,
        signal: options.signal,
      },
      this.#limits,
      socket,
    );
  }

  get bufferedAmount(): number {
    return this.#released ? 0 : this.#socket.writableLength;
  }

  read(): Promise<Bytes | null> {
    return this.#incoming.read();
  }

  write(chunk: Uint8Array, onWritten?: () => void): boolean {
    if (this.#writeClosed || this.#released || this.#closedLocally) return true;
    if (chunk.byteLength > 0) {
      this.#pendingWrites++;
      // Node calls back once libuv has written the chunk (or copied it, for
      // TLS), and with an error when the socket was destroyed first: then
      // the chunk is not reported written.
      this.#socket.write(chunk, (error) => {
        this.#pendingWrites--;
        if (onWritten !== undefined && !error) onWritten();
        this.#notifyDrained();
      });
    }
    return this.#socket.writableLength < this.#writeHighWaterMark;
  }

  drained(): Promise<void> {
    if (this.#pendingWrites === 0 || this.#released || this.#closedLocally) {
      return Promise.resolve();
    }
    return new Promise((resolve) => (this.#drainWaiters ??= []).push(resolve));
  }

  closeWrite(): void {
    if (this.#writeClosed || this.#released || this.#closedLocally) return;
    this.#writeClosed = true;
    this.#socket.end();
  }

  close(): void {
    if (this.#closedLocally) return;
    this.#closedLocally = true;
    this.#incoming.close();
    this.#socket.destroy();
    this.#notifyDrained();
  }

  #notifyDrained(): void {
    if (this.#pendingWrites !== 0 && !this.#released && !this.#closedLocally) return;
    const waiters = this.#drainWaiters;
    if (waiters === null) return;
    this.#drainWaiters = null;
    for (const resolve of waiters) resolve();
  }
}

export type {
  Bytes,
  ConnectOptions,
  Connector,
  StartTlsOptions,
  TlsOptions,
  Transport,
  TransportAddress,
} from "./types.ts";
