/**
 * The {@linkcode Transport} for Deno, over `Deno.connect` and
 * `Deno.startTls`.
 *
 * Reading is truly pull-based: `conn.read()` is only called from
 * {@linkcode Transport.read}, so nothing is buffered in JavaScript while
 * nobody reads, and the TCP window closes on the server.
 *
 * Writes are queued and written in order by one loop, which handles partial
 * writes and copies several small queued chunks into one `conn.write()`.
 *
 * TLS connects with TCP first and then calls `Deno.startTls` with the name
 * to verify, so `servername` may differ from the host connected to. Deno can
 * only turn off certificate checks process-wide
 * (`--unsafely-ignore-certificate-errors`), so
 * `dangerouslyDisableCertificateVerification` is refused with
 * `TransportError("UNSUPPORTED")`. A TLS peer that closes without
 * close_notify reads as end of stream, as on Node and Bun.
 *
 * @module
 */

import { TransportError } from "./types.ts";
import { checkSize, LazyClosed, messageOf, WriteQueue } from "./_util.ts";
import type {
  Bytes,
  ConnectOptions,
  Connector,
  StartTlsOptions,
  TlsOptions,
  Transport,
  TransportAddress,
} from "./types.ts";

/** The part of a `Deno.Conn` (TCP, unix or TLS) that the adapter uses. */
export interface DenoConnLike {
  /** Reads into `buffer`; the number of bytes, or `null` at end of stream. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes some of `bytes`; the number written. */
  write(bytes: Uint8Array): Promise<number>;
  /** Shuts down the write side. */
  closeWrite(): Promise<void>;
  /** Releases the resource. */
  close(): void;
  /** The peer's address. */
  readonly remoteAddr: {
    readonly hostname?: string;
    readonly port?: number;
    readonly path?: string | null;
  };
  /** TCP only. */
  setNoDelay?(noDelay?: boolean): void;
  /** TLS only: completes the handshake. */
  handshake?(): Promise<unknown>;
}

/** The part of the `Deno` namespace that the adapter uses. */
export interface DenoLike {
  /** `Deno.connect` over TCP. */
  connect(options: { hostname: string; port: number; signal?: AbortSignal }): Promise<DenoConnLike>;
  /** `Deno.connect` over a unix socket. */
  connect(options: { transport: "unix"; path: string }): Promise<DenoConnLike>;
  /** `Deno.startTls`. */
  startTls(
    conn: DenoConnLike,
    options: { hostname: string; caCerts?: string[]; alpnProtocols?: string[] },
  ): Promise<DenoConnLike>;
  /** `Deno.connectTls`, used only with a client certificate (`Deno.startTls` cannot send one). */
  connectTls?(options: {
    hostname: string;
    port: number;
    caCerts?: string[];
    alpnProtocols?: string[];
    cert: string;
    key: string;
  }): Promise<DenoConnLike>;
}

/** Tuning of {@linkcode createDenoConnector}. */
export interface DenoConnectorOptions {
  /**
   * `write()` returns `false` once this many bytes are queued.
   * @default {65536} enough to keep a loopback or LAN link busy, small enough to bound memory
   */
  readonly writeHighWaterMark?: number;
  /**
   * The largest buffer a `conn.read()` fills. Reads start with 1 KiB (or
   * this size, if smaller); a read that fills its buffer doubles the next
   * one, up to this size, and a read under a quarter of it halves it: an
   * idle connection pins 1 KiB, a busy one reads in large chunks. A read
   * that fills at least half of its buffer is handed out as is; a smaller
   * one is copied out and the buffer reused, so a small chunk never pins a
   * large buffer.
   * @default {262144}
   */
  readonly readSize?: number;
}

const KIB = 1024;
/**
 * The read buffer of a quiet connection: every idle connection pins one
 * (8 KiB made up a sixth of an idle connection's memory, 1 KiB still a
 * thirtieth); a busy one doubles it on each full read. 256 bytes hold a
 * typical 101 response (~160 bytes) and the control frames of a quiet one.
 */
const MIN_READ_SIZE = 256;

/**
 * Creates a {@linkcode Connector} over a Deno namespace.
 *
 * @param deno The namespace; tests pass a fake. Defaults to `globalThis.Deno`
 * (when absent, connecting rejects with `TransportError("UNSUPPORTED")`).
 * @param options Buffer sizes.
 * @returns The connector.
 *
 * @example Tuning the buffers
 * ```ts
 * import { createDenoConnector } from "./deno.ts";
 * import assert from "node:assert/strict";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const serving = listener.accept().then(async (conn) => {
 *   await conn.write(new Uint8Array(100));
 *   conn.close();
 * });
 * const connect = createDenoConnector(Deno, { readSize: 16 * 1024, writeHighWaterMark: 1024 });
 * const transport = await connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * assert.equal(transport.write(new Uint8Array(2048)), false);
 * await transport.drained();
 * assert.equal((await transport.read())?.byteLength, 100);
 * await serving;
 * transport.close();
 * await transport.closed;
 * listener.close();
 * ```
 */
export function createDenoConnector(
  deno: DenoLike | undefined = (globalThis as { Deno?: DenoLike }).Deno,
  options: DenoConnectorOptions = {},
): Connector {
  const writeHighWaterMark = checkSize(options.writeHighWaterMark, 64 * KIB, "writeHighWaterMark");
  const readSize = checkSize(options.readSize, 256 * KIB, "readSize", 1);
  // One settings object for every connection of this connector.
  const settings = deno === undefined ? null : { deno, writeHighWaterMark, readSize };
  return async function connect(connectOptions: ConnectOptions): Promise<Transport> {
    if (settings === null) {
      throw new TransportError(
        "UNSUPPORTED",
        "Cannot connect: the Deno namespace is not available",
      );
    }
    const conn = await open(settings.deno, connectOptions);
    return new DenoTransport(conn, connectOptions.tls !== undefined, settings);
  };
}

/**
 * Opens a transport with `globalThis.Deno`.
 *
 * @example A round trip over loopback
 * ```ts
 * import { connectDeno } from "./deno.ts";
 * import assert from "node:assert/strict";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const serving = listener.accept().then(async (conn) => {
 *   await conn.write(new TextEncoder().encode("hello"));
 *   conn.close();
 * });
 * const transport = await connectDeno({ hostname: "127.0.0.1", port: listener.addr.port });
 * assert.equal(new TextDecoder().decode((await transport.read())!), "hello");
 * assert.equal(await transport.read(), null);
 * await serving;
 * transport.close();
 * await transport.closed;
 * listener.close();
 * ```
 */
export const connectDeno: Connector = createDenoConnector();

function isUnexpectedEof(error: unknown): boolean {
  return error instanceof Error && error.name === "UnexpectedEof";
}

function closeQuietly(conn: DenoConnLike): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/** ALPN: we speak HTTP/1.1 only (the opening handshake is an HTTP/1.1 Upgrade). */
const ALPN = ["http/1.1"];

/** "host:port" or the socket path, for messages. */
function where(options: { hostname: string; port: number; path?: string | undefined }): string {
  if (options.path !== undefined) return options.path;
  if (options.port === 0) return options.hostname;
  return options.hostname.includes(":")
    ? `[${options.hostname}]:${options.port}`
    : `${options.hostname}:${options.port}`;
}

function unsupported(detail: string): TransportError {
  return new TransportError("UNSUPPORTED", `Cannot connect: Deno ${detail}`);
}

/** Refuses the TLS settings Deno cannot honour, rather than ignoring them. */
function checkTls(tls: TlsOptions, servername: string, connectedTo: string | null): void {
  if (tls.dangerouslyDisableCertificateVerification) {
    throw unsupported(
      "can only disable certificate verification process-wide (--unsafely-ignore-certificate-errors)",
    );
  }
  if (tls.passphrase !== undefined) {
    throw unsupported("cannot use an encrypted private key (passphrase); decrypt the key first");
  }
  if (tls.minVersion === "TLSv1.3") {
    throw unsupported("cannot set a minimum TLS version (minVersion TLSv1.3)");
  }
  if (tls.cert !== undefined || tls.key !== undefined) {
    if (connectedTo === null) {
      throw unsupported(
        "cannot send a client certificate over an existing connection (Deno.startTls has no cert option), e.g. through a proxy",
      );
    }
    if (servername !== connectedTo) {
      throw unsupported(
        "cannot send a client certificate with a servername other than the host connected to",
      );
    }
  }
}

function caList(tls: TlsOptions): string[] | undefined {
  return tls.ca === undefined ? undefined : typeof tls.ca === "string" ? [tls.ca] : [...tls.ca];
}

async function open(deno: DenoLike, options: ConnectOptions): Promise<DenoConnLike> {
  const { signal, tls } = options;
  signal?.throwIfAborted();
  if (tls !== undefined) {
    if (options.path !== undefined) {
      throw unsupported(
        "cannot start TLS over a unix socket (Deno.startTls takes a TCP connection)",
      );
    }
    checkTls(tls, tls.servername ?? options.hostname, options.hostname);
    if (tls.cert !== undefined && options.path === undefined) {
      return await connectWithCert(deno, options, tls);
    }
  }
  let conn: DenoConnLike;
  try {
    conn = options.path !== undefined
      ? await deno.connect({ transport: "unix", path: options.path })
      : await deno.connect({
        hostname: options.hostname,
        port: options.port,
        ...(signal ? { signal } : {}),
      });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new TransportError(
      "CONNECT_FAILED",
      `Cannot connect to ${where(options)}: ${messageOf(error)}`,
      { cause: error },
    );
  }
  if (signal?.aborted) {
    closeQuietly(conn);
    throw signal.reason;
  }
  conn.setNoDelay?.(true);
  if (tls === undefined) return conn;
  return await startTlsOn(deno, conn, { hostname: options.hostname, tls, signal });
}

/** `Deno.connectTls` with a client certificate: SNI is the host connected to. */
async function connectWithCert(
  deno: DenoLike,
  options: ConnectOptions,
  tls: TlsOptions,
): Promise<DenoConnLike> {
  const { signal } = options;
  if (tls.key === undefined) throw new TypeError("Cannot connect: tls.cert needs tls.key");
  const ca = caList(tls);
  if (deno.connectTls === undefined) {
    throw unsupported("cannot send a client certificate without Deno.connectTls");
  }
  let conn: DenoConnLike;
  try {
    conn = await deno.connectTls({
      hostname: options.hostname,
      port: options.port,
      alpnProtocols: ALPN,
      cert: tls.cert!,
      key: tls.key,
      ...(ca ? { caCerts: ca } : {}),
    });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new TransportError(
      "CONNECT_FAILED",
      `Cannot connect to ${where(options)}: ${messageOf(error)}`,
      { cause: error },
    );
  }
  const onAbort = () => closeQuietly(conn);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    signal?.throwIfAborted();
    await conn.handshake?.();
    conn.setNoDelay?.(true);
    return conn;
  } catch (error) {
    closeQuietly(conn);
    if (signal?.aborted) throw signal.reason;
    throw new TransportError(
      "TLS_FAILED",
      `Cannot connect to ${where(options)}: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

/** `Deno.startTls` over a TCP connection; closes it on failure. */
async function startTlsOn(
  deno: DenoLike,
  tcp: DenoConnLike,
  options: { hostname: string; tls: TlsOptions; signal?: AbortSignal | undefined },
): Promise<DenoConnLike> {
  const { signal, tls } = options;
  let conn = tcp;
  // Closing the connection makes a pending handshake fail at once.
  const onAbort = () => closeQuietly(conn);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    signal?.throwIfAborted();
    const ca = caList(tls);
    conn = await deno.startTls(conn, {
      hostname: tls.servername ?? options.hostname,
      alpnProtocols: ALPN,
      ...(ca ? { caCerts: ca } : {}),
    });
    signal?.throwIfAborted();
    await conn.handshake?.();
    return conn;
  } catch (error) {
    closeQuietly(conn);
    if (signal?.aborted) throw signal.reason;
    throw new TransportError(
      "TLS_FAILED",
      `Cannot connect to ${options.hostname}: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

/** What a {@linkcode DenoTransport} needs besides its connection. */
interface DenoTransportSettings {
  readonly deno: DenoLike;
  readonly writeHighWaterMark: number;
  readonly readSize: number;
}

class DenoTransport implements Transport {
  readonly tls: boolean;
  #settings: DenoTransportSettings;
  #remoteAddress: TransportAddress | null | undefined;
  #closed = new LazyClosed();
  #conn: DenoConnLike;
  #writeHighWaterMark: number;
  #readSize: number;
  #nextSize: number;
  #buffer: Bytes | null = null;
  #reading = false;
  #queue = new WriteQueue();
  #writing = false;
  #writeClosed = false;
  #shut = false;
  #eof = false;
  #released = false;
  #error: TransportError | null = null;
  #inFlight = 0;

  constructor(conn: DenoConnLike, tls: boolean, settings: DenoTransportSettings) {
    this.#conn = conn;
    this.tls = tls;
    this.#settings = settings;
    const { writeHighWaterMark, readSize } = settings;
    this.#writeHighWaterMark = writeHighWaterMark;
    this.#readSize = readSize;
    this.#nextSize = Math.min(MIN_READ_SIZE, readSize);
  }

  /** The peer's address, made at the first access from the connection's own (kept by Deno). */
  get remoteAddress(): TransportAddress | null {
    if (this.#remoteAddress === undefined) {
      const { hostname, port, path } = this.#conn.remoteAddr;
      this.#remoteAddress = hostname !== undefined
        ? { hostname, port: port ?? 0 }
        : typeof path === "string"
        ? { hostname: path, port: 0 }
        : null;
    }
    return this.#remoteAddress;
  }

  /** Settles once the connection is released (made at the first access). */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  get bufferedAmount(): number {
    return this.#queue.size;
  }

  /** Grows the read buffer after full reads, shrinks it after small ones. */
  #adaptSize(n: number, size: number): void {
    if (n === size && size < this.#readSize) {
      this.#nextSize = Math.min(size * 2, this.#readSize);
    } else if (n * 4 < size && size > MIN_READ_SIZE) {
      this.#nextSize = Math.max(size >> 1, MIN_READ_SIZE);
    } else {
      return;
    }
    // The next read allocates a buffer of the new size.
    if (this.#buffer !== null && this.#buffer.length !== this.#nextSize) this.#buffer = null;
  }

  read(): Promise<Bytes | null> {
    if (this.#reading) {
      return Promise.reject(new TypeError("Cannot read: a read is already pending"));
    }
    if (this.#error) return Promise.reject(this.#error);
    if (this.#released || this.#eof) return Promise.resolve(null);
    this.#reading = true;
    return this.#readOnce();
  }

  /**
   * One `conn.read()` into the current buffer, its result handled by
   * callbacks made once per transport: an idle connection waits in that
   * one read, without the suspended frames of async functions.
   */
  #readOnce(): Promise<Bytes | null> {
    const buffer = this.#buffer ??= new Uint8Array(this.#nextSize);
    this.#inFlight++;
    let operation: Promise<number | null>;
    try {
      operation = this.#conn.read(buffer);
    } catch (error) {
      operation = Promise.reject(error);
    }
    return operation.then(this.#onRead, this.#onReadError);
  }

  /** A read completed with `n` bytes in `#buffer`, or `null` at end of stream. */
  #onRead = (n: number | null): Promise<Bytes | null> | Bytes | null => {
    this.#operationDone();
    if (n === null) {
      this.#reading = false;
      this.#eof = true;
      this.#finishIfDone();
      return null;
    }
    if (n === 0) return this.#released ? this.#readEnded() : this.#readOnce();
    this.#reading = false;
    const buffer = this.#buffer!;
    this.#adaptSize(n, buffer.length);
    if (n * 2 < buffer.length) return buffer.slice(0, n);
    this.#buffer = null;
    return buffer.subarray(0, n);
  };

  #onReadError = (error: unknown): Bytes | null => {
    this.#operationDone();
    if (this.#error) return this.#readFailed(this.#error);
    if (this.#released) return this.#readEnded();
    if (isUnexpectedEof(error)) {
      // rustls reports a TCP FIN without TLS close_notify as an error; Node,
      // Bun and browsers read it as end of stream, and so do we (WebSocket
      // has its own closing handshake to detect truncation).
      this.#reading = false;
      this.#eof = true;
      this.#finishIfDone();
      return null;
    }
    return this.#readFailed(this.#fail("read", error));
  };

  #readEnded(): null {
    this.#reading = false;
    return null;
  }

  #readFailed(error: TransportError): never {
    this.#reading = false;
    throw error;
  }

  write(chunk: Uint8Array, onWritten?: () => void): boolean {
    if (!this.#writeClosed && !this.#released && chunk.byteLength > 0) {
      this.#queue.push(chunk, onWritten);
      if (!this.#writing) void this.#flush();
    }
    return this.#queue.size < this.#writeHighWaterMark;
  }

  drained(): Promise<void> {
    return this.#queue.drained();
  }

  closeWrite(): void {
    if (this.#writeClosed || this.#released) return;
    this.#writeClosed = true;
    if (!this.#writing) void this.#flush();
  }

  close(): void {
    if (this.#released) return;
    this.#released = true;
    this.#queue.clear();
    closeQuietly(this.#conn);
    this.#settle();
  }

  /** `Deno.startTls` over this TCP connection; Deno cannot start TLS inside TLS. */
  async startTls(options: StartTlsOptions): Promise<Transport> {
    if (this.tls) {
      this.close();
      throw unsupported(
        "cannot start TLS inside a TLS connection (Deno.startTls takes a TCP connection), e.g. wss: through an https: proxy",
      );
    }
    try {
      checkTls(options.tls, options.tls.servername ?? options.hostname, null);
    } catch (error) {
      this.close();
      throw error;
    }
    if (this.#reading || this.#writeClosed || this.#released) {
      this.close();
      throw new TypeError("Cannot start TLS: a read is pending or the connection is closing");
    }
    await this.#queue.drained();
    // Hand the connection over without closing it.
    const conn = this.#conn;
    this.#released = true;
    this.#settle();
    const tlsConn = await startTlsOn(this.#settings.deno, conn, options);
    return new DenoTransport(tlsConn, true, this.#settings);
  }

  /** The single write loop: queued chunks in order, then the shutdown if asked. */
  async #flush(): Promise<void> {
    this.#writing = true;
    try {
      for (let bytes = this.#queue.take(); bytes && !this.#released; bytes = this.#queue.take()) {
        for (let offset = 0; offset < bytes.byteLength;) {
          const n = await this.#track(this.#conn.write(bytes.subarray(offset)));
          if (this.#released) return;
          offset += n;
          this.#queue.written(n);
        }
        // Each `conn.write` promise settled: Deno holds no reference to the chunk.
        this.#queue.finished();
      }
      if (this.#writeClosed && !this.#shut && !this.#released) {
        if (this.#eof && !this.tls) {
          // The peer ended first (the usual close): closing the resource
          // sends our FIN, so no separate shutdown (TLS keeps it: closeWrite
          // sends close_notify).
          this.#shut = true;
          this.close();
          return;
        }
        await this.#track(this.#conn.closeWrite());
        this.#shut = true;
        this.#finishIfDone();
      }
    } catch (error) {
      if (!this.#released) this.#fail("write", error);
    } finally {
      this.#writing = false;
    }
  }

  /** Counts an operation on the resource, so `closed` waits for it to settle. */
  async #track<T>(operation: Promise<T>): Promise<T> {
    this.#inFlight++;
    try {
      return await operation;
    } finally {
      this.#operationDone();
    }
  }

  /** An operation counted by `#inFlight` settled. */
  #operationDone(): void {
    this.#inFlight--;
    this.#settle();
  }

  #fail(action: string, error: unknown): TransportError {
    this.#error ??= new TransportError("CONNECTION_LOST", `Cannot ${action}: ${messageOf(error)}`, {
      cause: error,
    });
    this.close();
    return this.#error;
  }

  /** Both directions ended: release the resource, as Node does for a half-open socket. */
  #finishIfDone(): void {
    if (this.#eof && this.#shut) this.close();
  }

  #settle(): void {
    if (this.#released && this.#inFlight === 0) this.#closed.settle();
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
