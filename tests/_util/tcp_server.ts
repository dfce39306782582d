/**
 * A loopback test server on `node:net` / `node:tls` (which Deno, Bun and
 * Node all support), listening on port 0 or on a unix socket path, with a
 * per-connection handler. Half-open connections are allowed, so a handler
 * can still reply after the client's end-of-stream.
 *
 * {@linkcode TestServer.close} destroys every connection and waits for the
 * listener to close, so tests leave nothing behind.
 *
 * @module
 */

import * as net from "node:net";
import * as tls from "node:tls";

/** Called for each accepted (and, with TLS, handshaken) connection. */
export type ConnectionHandler = (socket: net.Socket) => void;

/** Options of {@linkcode startServer}. */
export interface TestServerOptions {
  /** Serve TLS with this key and certificate (PEM). */
  readonly tls?: { readonly key: string; readonly cert: string };
  /** Listen on this unix socket path instead of 127.0.0.1:0. */
  readonly path?: string;
}

/** A running test server. */
export interface TestServer {
  /** Always `127.0.0.1` (unused with `path`). */
  readonly hostname: string;
  /** The port chosen by the OS (0 with `path`). */
  readonly port: number;
  /** Every connection accepted so far. */
  readonly sockets: readonly net.Socket[];
  /** Resolves with the next accepted connection (or one already accepted and not yet claimed). */
  connection(): Promise<net.Socket>;
  /** Destroys all connections and closes the listener. */
  close(): Promise<void>;
}

/** A handler that writes back everything it receives and ends when the client ends. */
export function echo(socket: net.Socket): void {
  socket.pipe(socket);
}

/** A handler that does nothing (the test drives the socket through `connection()`). */
export function idle(_socket: net.Socket): void {}

/**
 * Starts a server.
 *
 * @param handler Runs for each connection.
 * @param options TLS credentials or a unix socket path.
 * @returns The running server.
 */
export async function startServer(
  handler: ConnectionHandler,
  options: TestServerOptions = {},
): Promise<TestServer> {
  const sockets: net.Socket[] = [];
  const unclaimed: net.Socket[] = [];
  const waiters: ((socket: net.Socket) => void)[] = [];
  function onConnection(socket: net.Socket): void {
    socket.on("error", () => {});
    sockets.push(socket);
    const waiter = waiters.shift();
    if (waiter) waiter(socket);
    else unclaimed.push(socket);
    handler(socket);
  }
  const server = options.tls
    ? tls.createServer(
      { key: options.tls.key, cert: options.tls.cert, allowHalfOpen: true },
      onConnection,
    )
    : net.createServer({ allowHalfOpen: true }, onConnection);
  server.on("tlsClientError", () => {});
  server.on("connection", (socket: net.Socket) => {
    // The raw TCP socket, also for TLS servers: destroyed on close() even if
    // the handshake never finished.
    if (options.tls) {
      socket.on("error", () => {});
      sockets.push(socket);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    if (options.path !== undefined) server.listen(options.path, resolve);
    else server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  return {
    hostname: "127.0.0.1",
    port: typeof address === "object" && address !== null ? address.port : 0,
    sockets,
    connection() {
      const socket = unclaimed.shift();
      return socket ? Promise.resolve(socket) : new Promise((resolve) => waiters.push(resolve));
    },
    async close() {
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closing;
    },
  };
}

/**
 * Writes `total` bytes of {@linkcode pattern} to `socket` as fast as the
 * socket accepts them, honouring `drain`.
 *
 * @returns A counter of the bytes handed to `socket.write` so far, and a
 * promise that resolves when everything has been written.
 */
export function flood(
  socket: net.Socket,
  total: number,
  chunkSize = 64 * 1024,
): { readonly written: () => number; readonly done: Promise<void> } {
  let written = 0;
  const done = new Promise<void>((resolve) => {
    function pump(): void {
      while (written < total) {
        const size = Math.min(chunkSize, total - written);
        const chunk = pattern(size, written);
        written += size;
        if (!socket.write(chunk)) {
          socket.once("drain", pump);
          return;
        }
      }
      resolve();
    }
    pump();
  });
  return { written: () => written, done };
}

/**
 * A deterministic byte pattern: byte `i` of the stream is `(i * 7 + (i >>> 16)) & 0xff`,
 * so shifted, dropped or reordered chunks are detected.
 *
 * @param length Number of bytes.
 * @param offset Stream position of the first byte.
 */
export function pattern(length: number, offset = 0): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const n = offset + i;
    bytes[i] = (n * 7 + (n >>> 16)) & 0xff;
  }
  return bytes;
}

/** Whether `bytes` equals {@linkcode pattern}`(bytes.length, offset)`. */
export function matchesPattern(bytes: Uint8Array, offset = 0): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const n = offset + i;
    if (bytes[i] !== ((n * 7 + (n >>> 16)) & 0xff)) return false;
  }
  return true;
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
