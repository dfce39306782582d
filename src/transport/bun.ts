/**
 * The {@linkcode Transport} for Bun, over `Bun.connect`.
 *
 * Bun pushes incoming data into the `data` handler. The adapter keeps the
 * chunks in a queue served by {@linkcode Transport.read}, calls
 * `socket.pause()` once the queue holds `readHighWaterMark` bytes, and
 * `socket.resume()` when reading brings it back under, so memory stays
 * bounded and the server feels backpressure through the TCP window.
 *
 * `socket.write()` may take only part of a buffer; the rest stays in the
 * adapter's queue and is written from the `drain` handler, several small
 * chunks copied into one write. Sockets are opened with `allowHalfOpen`;
 * {@linkcode Transport.closeWrite} is `socket.shutdown()`.
 *
 * `Bun.connect` resolves before the TLS handshake, so the connector waits
 * for the `handshake` handler and fails with `TLS_FAILED` when verification
 * did not pass. `Bun.connect` takes no signal: on abort the promise rejects
 * at once and a socket that arrives later is closed.
 *
 * @module
 */

import { TransportError } from "./types.ts";
import { checkSize, LazyClosed, messageOf, ReadQueue, WriteQueue } from "./_util.ts";
import type {
  Bytes,
  ConnectOptions,
  Connector,
  StartTlsOptions,
  TlsOptions,
  Transport,
  TransportAddress,
} from "./types.ts";

/** The part of a Bun socket that the adapter uses. */
export interface BunSocketLike {
  /** Writes what the OS takes now; the number of bytes taken (-1 when closed). */
  write(data: Uint8Array): number;
  /** Half-closes (FIN, or TLS close_notify). */
  shutdown(): void;
  /** Flushes and closes. */
  end(): void;
  /** Closes at once. */
  terminate(): void;
  /** Stops the `data` handler. */
  pause(): void;
  /** Restarts the `data` handler. */
  resume(): void;
  /** Sets `TCP_NODELAY`. */
  setNoDelay?(noDelay?: boolean): unknown;
  /** The peer's IP address. */
  readonly remoteAddress?: string;
  /** The peer's port. */
  readonly remotePort?: number;
  /**
   * Starts TLS over this socket.
   *
   * @param options TLS settings and the handlers of the TLS socket.
   * @returns The raw socket and the TLS socket.
   */
  upgradeTLS?(
    options: { tls: BunTlsOptions; socket: BunSocketHandler },
  ): [BunSocketLike, BunSocketLike];
}

/** The TLS settings the adapter gives Bun. */
export interface BunTlsOptions {
  /** Extra trusted CAs, PEM. */
  ca?: string | string[];
  /** SNI and the name verified. */
  serverName?: string;
  /** Whether a certificate that does not verify fails the handshake. */
  rejectUnauthorized: boolean;
  /** Client certificate, PEM. */
  cert?: string;
  /** Client key, PEM. */
  key?: string;
  /** Passphrase of `key`. */
  passphrase?: string;
  /** ALPN protocols in wire format (RFC 7301 §3.1). */
  ALPNProtocols?: Uint8Array;
  /** OpenSSL `SSL_OP_*` flags (here: no TLS 1.2, for `minVersion: "TLSv1.3"`). */
  secureOptions?: number;
}

/** The handlers the adapter gives `Bun.connect`. */
export interface BunSocketHandler {
  /** Data arrived. */
  data(socket: BunSocketLike, data: Uint8Array): void;
  /** The socket can take more data. */
  drain(socket: BunSocketLike): void;
  /** The peer half-closed. */
  end(socket: BunSocketLike): void;
  /** An error happened. */
  error(socket: BunSocketLike, error: Error): void;
  /** The socket closed; `error` when it was not clean (e.g. reset). */
  close(socket: BunSocketLike, error?: Error): void;
  /** TLS handshake done; `success` is false when verification failed. */
  handshake(socket: BunSocketLike, success: boolean, authorizationError: Error | null): void;
}

/** What the adapter passes to `Bun.connect`. */
export type BunConnectOptions =
  & ({ hostname: string; port: number } | { unix: string })
  & {
    allowHalfOpen: boolean;
    tls?: BunTlsOptions;
    socket: BunSocketHandler;
  };

/** The part of the `Bun` namespace that the adapter uses. */
export interface BunLike {
  /** `Bun.connect`. */
  connect(options: BunConnectOptions): Promise<BunSocketLike>;
}

/** Tuning of {@linkcode createBunConnector}. */
export interface BunConnectorOptions {
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
 * Creates a {@linkcode Connector} over a Bun namespace.
 *
 * @param bun The namespace; tests pass a fake. Defaults to `globalThis.Bun`
 * (when absent, connecting rejects with `TransportError("UNSUPPORTED")`).
 * @param options Buffer limits.
 * @returns The connector.
 *
 * @example Connecting with the real namespace
 * ```ts ignore
 * import { createBunConnector } from "./bun.ts";
 *
 * const connect = createBunConnector(Bun);
 * const transport = await connect({ hostname: "example.com", port: 443, tls: {} });
 * transport.close();
 * ```
 */
export function createBunConnector(
  bun: BunLike | undefined = (globalThis as { Bun?: BunLike }).Bun,
  options: BunConnectorOptions = {},
): Connector {
  const readHighWaterMark = checkSize(options.readHighWaterMark, 256 * KIB, "readHighWaterMark");
  const writeHighWaterMark = checkSize(options.writeHighWaterMark, 64 * KIB, "writeHighWaterMark");
  return async function connect(connectOptions: ConnectOptions): Promise<Transport> {
    if (bun === undefined) {
      throw new TransportError("UNSUPPORTED", "Cannot connect: the Bun namespace is not available");
    }
    const { signal } = connectOptions;
    signal?.throwIfAborted();
    const transport = new BunTransport(connectOptions, { readHighWaterMark, writeHighWaterMark });
    const onAbort = () => transport.abandon(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const socket = new Promise<BunSocketLike>((resolve) => {
        // A synchronous throw (bad options) becomes a rejection too.
        resolve(bun.connect(toBunOptions(connectOptions, transport.handler)));
      });
      socket.then(
        (socket) => transport.attach(socket),
        (error) => transport.abandon(connectError("CONNECT_FAILED", error, connectOptions)),
      );
      await transport.opened;
      return transport;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  };
}

/**
 * Opens a transport with `globalThis.Bun`.
 *
 * @example Plain TCP
 * ```ts ignore
 * import { connectBun } from "./bun.ts";
 *
 * const transport = await connectBun({ hostname: "127.0.0.1", port: 8080 });
 * transport.write(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"));
 * console.log(await transport.read());
 * transport.close();
 * ```
 */
export const connectBun: Connector = createBunConnector();

/**
 * ALPN: we speak HTTP/1.1 only (the opening handshake is an HTTP/1.1
 * Upgrade). Bun takes the protocol list in wire format (RFC 7301 §3.1:
 * length-prefixed names), not an array.
 */
const ALPN = new Uint8Array([8, ...new TextEncoder().encode("http/1.1")]);
/** OpenSSL's (and BoringSSL's) SSL_OP_NO_TLSv1_2: with it, TLS 1.3 is the minimum. */
const SSL_OP_NO_TLSv1_2 = 0x08000000;

function toBunTls(tls: TlsOptions, hostname: string): BunTlsOptions {
  return {
    ...(tls.ca === undefined ? {} : { ca: typeof tls.ca === "string" ? tls.ca : [...tls.ca] }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
    ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
    ...(tls.minVersion === "TLSv1.3" ? { secureOptions: SSL_OP_NO_TLSv1_2 } : {}),
    ALPNProtocols: ALPN,
    serverName: tls.servername ?? hostname,
    rejectUnauthorized: tls.dangerouslyDisableCertificateVerification !== true,
  };
}

function toBunOptions(options: ConnectOptions, socket: BunSocketHandler): BunConnectOptions {
  const { tls } = options;
  const target = options.path !== undefined
    ? { unix: options.path }
    : { hostname: options.hostname, port: options.port };
  if (tls === undefined) return { ...target, allowHalfOpen: true, socket };
  return { ...target, allowHalfOpen: true, tls: toBunTls(tls, options.hostname), socket };
}

/**
 * Chunks up to this size are copied out of Bun's `Buffer` rather than viewed:
 * JavaScriptCore keeps a small typed array's bytes without an `ArrayBuffer`,
 * and reading its `.buffer` makes one (measured: ~3 µs per 32-byte chunk,
 * against ~0.3 µs for the copy), which showed in every echo round trip.
 */
const COPY_BELOW = 1024;

/**
 * A received chunk as a plain `Uint8Array` (not Bun's `Buffer` subclass,
 * whose `slice` shares memory): a copy when small, else a view of the same bytes.
 *
 * @param data What Bun's `data` handler received.
 * @returns The bytes.
 */
function plainBytes(data: Uint8Array): Bytes {
  if (data.byteLength <= COPY_BELOW) return new Uint8Array(data);
  return new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
}

/** "host:port" or the socket path, for messages. */
function where(options: ConnectOptions): string {
  if (options.path !== undefined) return options.path;
  if (options.port === 0) return options.hostname;
  return options.hostname.includes(":")
    ? `[${options.hostname}]:${options.port}`
    : `${options.hostname}:${options.port}`;
}

function connectError(
  code: "CONNECT_FAILED" | "TLS_FAILED",
  error: unknown,
  options: ConnectOptions,
): TransportError {
  return new TransportError(code, `Cannot connect to ${where(options)}: ${messageOf(error)}`, {
    cause: error,
  });
}

/** Buffer limits of a {@linkcode BunTransport}. */
interface BunLimits {
  readonly readHighWaterMark: number;
  readonly writeHighWaterMark: number;
}

function noop(): void {}

/**
 * The read queue's flow control: pauses and resumes the socket once there
 * is one (one small object instead of an object and two closures per connection).
 */
class SocketFlow {
  socket: BunSocketLike | null = null;

  pause(): void {
    this.socket?.pause();
  }

  resume(): void {
    this.socket?.resume();
  }
}

class BunTransport implements Transport {
  readonly tls: boolean;
  #closed = new LazyClosed();
  readonly opened: Promise<void>;
  readonly handler: BunSocketHandler;
  #socket: BunSocketLike | null = null;
  #remoteAddress: TransportAddress | null = null;
  #remoteAddressRead = false;
  #open = false;
  #openFailed = false;
  // The opened promise's functions, dropped once it settled (an open connection keeps neither).
  #resolveOpen: () => void = noop;
  #rejectOpen: (error: unknown) => void = noop;
  #flow = new SocketFlow();
  #dangerous: boolean;
  #options: ConnectOptions;
  #limits: BunLimits;
  #detached = false;
  #incoming: ReadQueue;
  #outgoing = new WriteQueue();
  #writeHighWaterMark: number;
  #writeClosed = false;
  #shut = false;
  #eof = false;
  #released = false;
  #closedLocally = false;

  constructor(options: ConnectOptions, limits: BunLimits) {
    this.tls = options.tls !== undefined;
    // Kept for error messages; without the connect signal, which an open
    // connection must not hold (an AbortSignal is an EventTarget).
    const { signal: _signal, ...where } = options;
    this.#options = where;
    this.#limits = limits;
    this.#dangerous = options.tls?.dangerouslyDisableCertificateVerification === true;
    this.#writeHighWaterMark = limits.writeHighWaterMark;
    this.#incoming = new ReadQueue(limits.readHighWaterMark, this.#flow);
    this.opened = new Promise((resolve, reject) => {
      this.#resolveOpen = resolve;
      this.#rejectOpen = reject;
    });
    this.handler = {
      // Bun hands each data event a fresh buffer, never shared memory.
      data: (_socket, data) => {
        // After startTls the raw socket still reports the encrypted bytes: not ours.
        if (this.#detached) return;
        this.#incoming.push(plainBytes(data));
      },
      drain: () => {
        if (!this.#detached) this.#flush();
      },
      end: () => {
        if (this.#detached) return;
        this.#eof = true;
        this.#incoming.end();
        this.#finishIfDone();
      },
      error: (_socket, error) => {
        if (!this.#detached) this.#onError(error);
      },
      close: (_socket, error) => {
        if (this.#detached) return;
        if (error) this.#onError(error);
        if (!this.#open) {
          this.abandon(
            connectError(
              this.tls ? "TLS_FAILED" : "CONNECT_FAILED",
              error ?? "closed",
              this.#options,
            ),
          );
        }
        this.#release();
      },
      handshake: (_socket, success, authorizationError) => {
        if (this.#detached) return;
        if (success || this.#dangerous) this.#ready();
        else {
          this.abandon(
            connectError("TLS_FAILED", authorizationError ?? "verification failed", this.#options),
          );
        }
      },
    };
  }

  /** Settles once the connection is released (made at the first access). */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  get bufferedAmount(): number {
    return this.#outgoing.size;
  }

  /**
   * Read from the socket at the first access, not at connect: each of Bun's
   * `remoteAddress` and `remotePort` is a `getpeername` call, and the client
   * never asks (two system calls per connection saved). After the close, an
   * address not read before is what Bun still reports (possibly `null`).
   */
  get remoteAddress(): TransportAddress | null {
    if (!this.#remoteAddressRead && this.#socket !== null) {
      this.#remoteAddressRead = true;
      const { remoteAddress, remotePort } = this.#socket;
      if (remoteAddress) this.#remoteAddress = { hostname: remoteAddress, port: remotePort ?? 0 };
    }
    return this.#remoteAddress;
  }

  /** `Bun.connect` resolved. */
  attach(socket: BunSocketLike): void {
    if (this.#openFailed) return socket.terminate();
    this.#socket = this.#flow.socket = socket;
    socket.setNoDelay?.(true);
    if (!this.tls) this.#ready();
  }

  /** Connecting failed or was aborted: reject, and close whatever exists. */
  abandon(reason: unknown): void {
    if (this.#open || this.#openFailed) return;
    this.#openFailed = true;
    this.#rejectOpen(reason);
    this.#resolveOpen = this.#rejectOpen = noop;
    this.#socket?.terminate();
  }

  read(): Promise<Bytes | null> {
    return this.#incoming.read();
  }

  /** `socket.upgradeTLS()` over this socket. */
  async startTls(options: StartTlsOptions): Promise<Transport> {
    const socket = this.#socket;
    if (socket === null || this.#released || this.#closedLocally || this.#detached) {
      throw new TransportError("CONNECTION_LOST", "Cannot start TLS: the connection is closed");
    }
    if (typeof socket.upgradeTLS !== "function" || this.tls) {
      this.close();
      throw new TransportError(
        "UNSUPPORTED",
        this.tls
          ? "Cannot connect: Bun cannot start TLS inside a TLS connection (socket.upgradeTLS returns nothing on a TLS socket), e.g. wss: through an https: proxy"
          : "Cannot connect: this Bun version cannot start TLS over an open socket (socket.upgradeTLS)",
      );
    }
    await this.#outgoing.drained();
    const { signal } = options;
    const next = new BunTransport(
      { hostname: options.hostname, port: 0, tls: options.tls, signal },
      this.#limits,
    );
    this.#detached = true;
    const onAbort = () => next.abandon(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      signal?.throwIfAborted();
      const [, tlsSocket] = socket.upgradeTLS({
        tls: toBunTls(options.tls, options.hostname),
        socket: next.handler,
      });
      next.attach(tlsSocket);
      await next.opened;
      return next;
    } catch (error) {
      socket.terminate();
      throw error instanceof TransportError || signal?.aborted
        ? error
        : connectError("TLS_FAILED", error, next.#options);
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  write(chunk: Uint8Array, onWritten?: () => void): boolean {
    if (!this.#writeClosed && !this.#released && chunk.byteLength > 0) {
      this.#outgoing.push(chunk, onWritten);
      if (this.#outgoing.size === chunk.byteLength) this.#flush();
    }
    return this.#outgoing.size < this.#writeHighWaterMark;
  }

  drained(): Promise<void> {
    return this.#outgoing.drained();
  }

  closeWrite(): void {
    if (this.#writeClosed || this.#released) return;
    this.#writeClosed = true;
    this.#flush();
  }

  close(): void {
    if (this.#closedLocally) return;
    this.#closedLocally = true;
    this.#incoming.close();
    this.#end();
  }

  #ready(): void {
    if (this.#openFailed || this.#open) return;
    this.#open = true;
    this.#resolveOpen();
    this.#resolveOpen = this.#rejectOpen = noop;
  }

  #onError(error: Error): void {
    if (this.#released) return;
    this.#incoming.fail(
      new TransportError("CONNECTION_LOST", `Cannot read: ${error.message}`, { cause: error }),
    );
  }

  /** Writes queued chunks until the socket takes no more; the rest waits for `drain`. */
  #flush(): void {
    const socket = this.#socket;
    if (socket === null || !this.#open || this.#released) return;
    for (let bytes = this.#outgoing.take(); bytes; bytes = this.#outgoing.take()) {
      const n = socket.write(bytes);
      if (n < 0) return; // Closed: the close handler reports it.
      this.#outgoing.written(n);
      if (n < bytes.byteLength) return this.#outgoing.putBack(bytes.subarray(n));
      // Bun's socket.write() copies or sends what it accepts, and keeps no reference.
      this.#outgoing.finished();
    }
    if (this.#writeClosed && !this.#shut) {
      this.#shut = true;
      // The peer ended first (the usual close: the server's FIN came with
      // its close frame): end() sends our FIN as it releases the socket, so
      // a separate shutdown() would only cost a call (9 % of the client's
      // CPU when opening and closing connections in a loop).
      if (this.#eof && !this.tls) return this.#end();
      socket.shutdown();
      this.#finishIfDone();
    }
  }

  /** Both directions ended: release the socket, as Node does for a half-open socket. */
  #finishIfDone(): void {
    if (this.#eof && this.#shut) this.#end();
  }

  /** Flushes Bun's own buffer, sends FIN and releases the socket. */
  #end(): void {
    // Bun runs the close handler synchronously inside end().
    if (!this.#released) this.#socket?.end();
    this.#release();
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#outgoing.clear();
    this.#incoming.end();
    this.#closed.settle();
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
