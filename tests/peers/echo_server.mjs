/**
 * An echo server on the `ws` npm package's `WebSocketServer`, for the
 * install check (`scripts/check_install.ts`) and the doc-test
 * (`tests/docs_test.ts`): `node tests/peers/echo_server.mjs` listens on a
 * free loopback port, prints `{"port":N}` on one line, echoes every message
 * (text as text, binary as binary) and the client's close code and reason,
 * and exits when its stdin ends.
 *
 * @module
 */

import process from "node:process";
import { WebSocketServer } from "ws";

const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
server.on("connection", (socket, request) => {
  const path = request.url ?? "/";
  socket.on("message", (data, isBinary) => socket.send(data, { binary: isBinary }));
  socket.on("close", () => {});
  if (path.startsWith("/greet")) socket.send("hello from the echo server");
});
server.on("listening", () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.stdin.resume();
process.stdin.on("end", () => {
  for (const client of server.clients) client.terminate();
  server.close(() => process.exit(0));
});
