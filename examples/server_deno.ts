/**
 * An echo server on `Deno.listen`, speaking the four protocol versions
 * with `ServerConnection`:
 *
 *     deno run --allow-net examples/server_deno.ts 8080
 *
 * @module
 */

import { echo, serveConnection, type ServerStream } from "./_server_loop.ts";

/**
 * Adapts a `Deno.Conn` to the loop.
 *
 * @param conn A TCP connection.
 * @returns The stream.
 */
export function denoStream(conn: Deno.Conn): ServerStream {
  return {
    async read() {
      const buffer = new Uint8Array(16 * 1024);
      const n = await conn.read(buffer);
      return n === null ? null : buffer.subarray(0, n);
    },
    async write(chunk) {
      for (let offset = 0; offset < chunk.length;) {
        offset += await conn.write(chunk.subarray(offset));
      }
    },
    closeWrite: () => conn.closeWrite(),
    close() {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    },
  };
}

if (import.meta.main) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: Number(Deno.args[0] ?? 8080) });
  console.log(
    `echo server on ws://127.0.0.1:${listener.addr.port}/ (rfc6455, hybi-10, hybi-00, hixie-75)`,
  );
  for await (const conn of listener) serveConnection(denoStream(conn), echo);
}
