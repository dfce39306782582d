/**
 * An echo server on `node:net` (Node, and Deno and Bun through their Node
 * compatibility), speaking the four protocol versions with
 * `ServerConnection`:
 *
 *     node --experimental-strip-types examples/server_node.ts 8080   # Node 22.6+
 *     deno run -A examples/server_node.ts 8080
 *     bun examples/server_node.ts 8080
 *
 * @module
 */

import * as net from "node:net";
import process from "node:process";
import { pathToFileURL } from "node:url";
import {
  echo,
  serveConnection,
  type ServeOptions,
  type ServerHandler,
  type ServerStream,
} from "./_server_loop.ts";

/**
 * Adapts a `node:net` socket to the loop: reading pauses the socket
 * between reads, so a slow server makes TCP push back on the client.
 *
 * @param socket A connected socket (created with `allowHalfOpen: true`).
 * @returns The stream.
 */
export function nodeStream(socket: net.Socket): ServerStream {
  const chunks: Uint8Array[] = [];
  let ended = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  socket.pause();
  socket.on("data", (data: Uint8Array) => {
    chunks.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    socket.pause();
    notify();
  });
  for (const name of ["end", "close", "error"]) {
    socket.on(name, () => {
      ended = true;
      notify();
    });
  }
  return {
    async read() {
      while (chunks.length === 0 && !ended) {
        socket.resume();
        await new Promise<void>((resolve) => wake = resolve);
      }
      return chunks.shift() ?? null;
    },
    write: (chunk) =>
      new Promise((resolve, reject) =>
        socket.write(chunk, (error) => error ? reject(error) : resolve())
      ),
    closeWrite: () => new Promise((resolve) => socket.end(resolve)),
    close: () => socket.destroy(),
  };
}

/** A running server. */
export interface NodeServer {
  /** The port listened on. */
  readonly port: number;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1 (or `hostname`).
 *
 * @param port The port, 0 for any free one.
 * @param handler Reacts to each connection's events; {@linkcode echo} by default.
 * @param options Connection settings.
 * @returns The running server.
 */
export async function startNodeServer(
  port = 0,
  handler: ServerHandler = echo,
  options: ServeOptions & { readonly hostname?: string } = {},
): Promise<NodeServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    serveConnection(nodeStream(socket), handler, options).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, options.hostname ?? "127.0.0.1", resolve);
  });
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startNodeServer(Number(process.argv[2] ?? 8080));
  console.log(
    `echo server on ws://127.0.0.1:${server.port}/ (rfc6455, hybi-10, hybi-00, hixie-75)`,
  );
}
