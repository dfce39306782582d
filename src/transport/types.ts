/**
 * The transport interface: what the client needs from a byte stream, and
 * nothing more. Adapters for Deno, Bun and Node implement it in
 * `./deno.ts`, `./bun.ts` and `./node.ts`; `./memory.ts` gives an in-memory
 * pair for tests. Users may pass their own (a unix socket, a proxy tunnel,
 * anything that moves bytes in order).
 *
 * @module
 */

/** Byte array backed by an `ArrayBuffer` (not a `SharedArrayBuffer`). */
export type Bytes = Uint8Array<ArrayBuffer>;

/** The remote end of a transport, when known. */
export interface TransportAddress {
  /** Host name or IP address. */
  readonly hostname: string;
  /** Port number, or 0 when not applicable (unix sockets, memory). */
  readonly port: number;
}

/**
 * An open, ordered, reliable byte stream to the server.
 *
 * Reading is pull-based: nothing is read from the OS beyond a small buffer
 * while nobody calls {@linkcode Transport.read}, so a slow consumer makes the
 * TCP window fill and the server feel backpressure.
 *
 * Writing is push-based with a signal: {@linkcode Transport.write} queues
 * bytes and returns `false` when the queue holds more than the adapter's
 * high-water mark; {@linkcode Transport.drained} then resolves when the
 * queue has emptied. Writes never reorder. The caller must not mutate a
 * chunk once written: the adapter may still hold it (queued, or out with the
 * runtime). When the caller passes `onWritten`, the adapter calls it once
 * nothing holds the chunk any more, which is when the client reuses its buffer.
 */
export interface Transport {
  /** Whether the bytes travel over TLS. */
  readonly tls: boolean;
  /** The peer's address, when known. */
  readonly remoteAddress: TransportAddress | null;
  /**
   * Reads the next chunk of bytes.
   *
   * @returns The next chunk (never empty), or `null` at end of stream.
   * Rejects when the connection fails (reset, TLS error). Only one read may
   * be pending at a time.
   */
  read(): Promise<Bytes | null>;
  /**
   * Queues bytes for writing, in order.
   *
   * `onWritten` is optional on both sides. An adapter that supports it calls
   * it once, after the last byte of `chunk` was handed to the OS or copied
   * elsewhere, when neither the adapter nor the runtime will read `chunk`
   * again; the caller may then reuse its memory. It is never called while
   * the bytes may still be read, and it may never be called at all: when the
   * write fails or the transport closes first, or by an adapter that ignores
   * it (the client then allocates new buffers instead of reusing them).
   * Wrapping adapters pass it on with the chunk, or call it once they have
   * copied the bytes.
   *
   * @param chunk The bytes; not mutated by the adapter.
   * @param onWritten Called once the adapter and the runtime are done with `chunk`.
   * @returns `true` while the queue is below the high-water mark, `false`
   * when the caller should wait for {@linkcode Transport.drained}.
   * Writes after {@linkcode Transport.closeWrite} or
   * {@linkcode Transport.close} are dropped silently (the connection is
   * ending anyway; the read side reports how).
   */
  write(chunk: Uint8Array, onWritten?: () => void): boolean;
  /** Bytes queued by {@linkcode Transport.write} and not yet handed to the OS. */
  readonly bufferedAmount: number;
  /**
   * Resolves when {@linkcode Transport.bufferedAmount} is 0 (at once if it
   * already is, or when the transport is closed).
   */
  drained(): Promise<void>;
  /**
   * Half-closes: sends end-of-stream (TCP FIN, TLS close_notify) once the
   * queued bytes are written; reading goes on. Where the runtime has no
   * half-close, behaves like {@linkcode Transport.close} after flushing.
   */
  closeWrite(): void;
  /** Closes both directions at once and releases the socket. Idempotent. */
  close(): void;
  /** Resolves when the socket is fully closed and released. Never rejects. */
  readonly closed: Promise<void>;
  /**
   * Starts TLS over this connection, e.g. to the target inside a proxy
   * tunnel. Call it only while no read is pending and nothing is queued;
   * afterwards use only the returned transport (this one is consumed, and
   * closing the new one closes the socket). On failure the socket is closed.
   * Absent when the transport cannot; an adapter whose runtime cannot in a
   * given case (Deno: TLS inside TLS) rejects with
   * `TransportError("UNSUPPORTED")` naming the runtime.
   *
   * @param options The name to verify and the TLS settings.
   * @returns The TLS transport.
   */
  startTls?(options: StartTlsOptions): Promise<Transport>;
}

/** What {@linkcode Transport.startTls} needs. */
export interface StartTlsOptions {
  /** The host the tunnel leads to: SNI and certificate checks use it unless `tls.servername` is set. */
  readonly hostname: string;
  /** The TLS settings. */
  readonly tls: TlsOptions;
  /** Aborts the TLS handshake; the socket is closed. */
  readonly signal?: AbortSignal | undefined;
}

/** TLS settings for `wss:` connections. Verification is on by default. */
export interface TlsOptions {
  /**
   * Extra trusted certificate authorities, PEM encoded.
   * @default the runtime's root store
   */
  readonly ca?: string | readonly string[];
  /**
   * The name to verify the certificate against and send as SNI.
   * @default the URL's host name
   */
  readonly servername?: string;
  /**
   * Turns off certificate verification. Dangerous: anyone on the path can
   * read and change the traffic. Supported on Node and Bun; on Deno it throws
   * (Deno only allows it process-wide, with `--unsafely-ignore-certificate-errors`).
   * @default false
   */
  readonly dangerouslyDisableCertificateVerification?: boolean;
  /**
   * A client certificate (chain), PEM encoded, for servers that ask for one
   * (mutual TLS). Needs `key`. Deno sends it only on a direct connection
   * whose `servername` is the host connected to; elsewhere it throws
   * `TransportError("UNSUPPORTED")` rather than connecting without it.
   */
  readonly cert?: string;
  /** The private key of `cert`, PEM encoded. */
  readonly key?: string;
  /**
   * The passphrase of an encrypted `key`. Node and Bun; Deno throws
   * `TransportError("UNSUPPORTED")` (decrypt the key first).
   */
  readonly passphrase?: string;
  /**
   * The lowest TLS version accepted. TLS 1.2 is the floor on every runtime
   * already (rustls on Deno has nothing older); `"TLSv1.3"` is honoured on
   * Node and Bun and throws `TransportError("UNSUPPORTED")` on Deno.
   * @default "TLSv1.2"
   */
  readonly minVersion?: "TLSv1.2" | "TLSv1.3";
}

/** What a connector needs to open a transport. */
export interface ConnectOptions {
  /** Host name or IP address (IPv6 without brackets). */
  readonly hostname: string;
  /** TCP port. */
  readonly port: number;
  /** TLS settings, or `undefined` for plain TCP. */
  readonly tls?: TlsOptions | undefined;
  /** Aborts the attempt: the promise rejects with the signal's reason and no socket is left open. */
  readonly signal?: AbortSignal | undefined;
  /** Connect to this unix domain socket path instead of host and port. */
  readonly path?: string | undefined;
}

/** Opens a transport; rejects with a `TypeError`-family error when the connection fails. */
export type Connector = (options: ConnectOptions) => Promise<Transport>;

/** Stable codes of {@linkcode TransportError}. */
export type TransportErrorCode =
  /** The TCP connection could not be made (refused, unreachable, DNS failure). */
  | "CONNECT_FAILED"
  /** The TLS handshake failed (bad certificate, name mismatch, protocol error). */
  | "TLS_FAILED"
  /** An established connection failed while reading or writing (reset). */
  | "CONNECTION_LOST"
  /** The requested option is not available on this runtime. */
  | "UNSUPPORTED";

/**
 * A transport could not be opened, or failed. The runtime's own error is
 * kept as `cause`.
 */
export class TransportError extends Error {
  /** A stable string naming the failure. */
  readonly code: TransportErrorCode;

  /**
   * Creates the error.
   *
   * @param code The failure.
   * @param message "Cannot <action>: <detail>".
   * @param options `cause`: the runtime's error.
   */
  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TransportError";
    this.code = code;
  }
}
