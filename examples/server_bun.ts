/**
 * An echo server on `Bun.listen`, speaking the four protocol versions with
 * `ServerConnection`:
 *
 *     bun examples/server_bun.ts 8080
 *
 * @module
 */

import process from "node:process";
import { echo, serveConnection, type ServerStream } from "./_server_loop.ts";

/** The part of Bun's TCP socket this example uses. */
interface BunSocket {
  /** Writes what it can now; returns the bytes written (-1 when closed). */
  write(data: Uint8Array): number;
  /** Sends FIN once everything is written; reading goes on. */
  end(): void;
  /** Closes both directions now. */
  terminate(): void;
  /** Per-socket state. */
  data: BunStream;
}

/** The part of `Bun` this example uses. */
declare const Bun: {
  listen(options: {
    hostname: string;
    port: number;
    allowHalfOpen?: boolean;
    socket: {
      open(socket: BunSocket): void;
      data(socket: BunSocket, data: Uint8Array): void;
      drain(socket: BunSocket): void;
      end(socket: BunSocket): void;
      close(socket: BunSocket): void;
      error(socket: BunSocket, error: Error): void;
    };
  }): { port: number; stop(closeActiveConnections?: boolean): void };
};

/**
 * Bun pushes data to callbacks; this queues it for the loop's `read()`,
 * and keeps what `write()` could not write yet until `drain`.
 */
class BunStream implements ServerStream {
  #socket: BunSocket;
  #chunks: Uint8Array[] = [];
  #ended = false;
  #wakeReader: (() => void) | null = null;
  #unwritten: Uint8Array | null = null;
  #wakeWriter: (() => void) | null = null;

  constructor(socket: BunSocket) {
    this.#socket = socket;
  }

  push(chunk: Uint8Array | null): void {
    if (chunk === null) this.#ended = true;
    else this.#chunks.push(chunk);
    this.#wakeReader?.();
    this.#wakeReader = null;
  }

  drain(): void {
    const rest = this.#unwritten;
    if (rest === null) return;
    const written = this.#socket.write(rest);
    this.#unwritten = written < 0 || written === rest.length ? null : rest.subarray(written);
    if (this.#unwritten === null) {
      this.#wakeWriter?.();
      this.#wakeWriter = null;
    }
  }

  async read(): Promise<Uint8Array | null> {
    while (this.#chunks.length === 0 && !this.#ended) {
      await new Promise<void>((resolve) => this.#wakeReader = resolve);
    }
    return this.#chunks.shift() ?? null;
  }

  async write(chunk: Uint8Array): Promise<void> {
    const written = this.#socket.write(chunk);
    if (written < 0 || written === chunk.length) return;
    this.#unwritten = chunk.subarray(written);
    await new Promise<void>((resolve) => this.#wakeWriter = resolve);
  }

  closeWrite(): Promise<void> {
    this.#socket.end();
    return Promise.resolve();
  }

  close(): void {
    this.#socket.terminate();
    this.push(null);
  }
}

if (import.meta.main) {
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: Number(process.argv[2] ?? 8080),
    allowHalfOpen: true,
    socket: {
      open(socket) {
        socket.data = new BunStream(socket);
        serveConnection(socket.data, echo);
      },
      // The connection keeps views of what it receives; Bun may reuse this buffer: copy.
      data: (socket, data) => socket.data.push(data.slice()),
      drain: (socket) => socket.data.drain(),
      end: (socket) => socket.data.push(null),
      close: (socket) => socket.data.push(null),
      error: (socket) => socket.data.push(null),
    },
  });
  console.log(
    `echo server on ws://127.0.0.1:${server.port}/ (rfc6455, hybi-10, hybi-00, hixie-75)`,
  );
}
