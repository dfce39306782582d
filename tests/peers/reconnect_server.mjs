/**
 * A server for the reconnection tests, on Node's `node:http` and the `ws`
 * npm package's `WebSocketServer`: `node tests/peers/reconnect_server.mjs`.
 * Plain JavaScript, as `ws_server.mjs`, because Node 20 cannot run
 * TypeScript.
 *
 * It listens on `127.0.0.1:$PORT` (`0` or unset: any free port), so a test
 * can stop it and start it again on the same port, and writes
 * `{"type":"listening","port":N,…}` as its first line. It exits when its
 * stdin ends (the test stopped it, or died).
 *
 * Paths (the `key` query parameter keeps one counter per test):
 * - `/echo`: echoes every message.
 * - `/refuse?key=K&status=S&times=N&retry-after=R`: the first N requests of
 *   K are answered with status S (and `Retry-After: R` when given), the
 *   next ones upgrade and echo.
 * - `/status/S`: always answered with status S.
 * - `/close-once?key=K&code=C`: the first connection of K is closed with
 *   code C right after it opened; the next ones echo.
 * - `/mute-once?key=K`: the first connection of K never answers pings
 *   (`autoPong: false`); the next ones do.
 * - `/greet?key=K`: sends `welcome N` (N: the connection's number for K) as
 *   soon as it opens, in the same write as the 101 when Node coalesces them,
 *   then closes the first connection with 1012.
 *
 * Events, one JSON line each: `open` (`path`, `key`, `n`: the request's
 * number for its key), `message` (`key`, `data`: the text received),
 * `ping` (`key`), `refused` (`key`, `status`).
 *
 * @module
 */

import { createServer, STATUS_CODES } from "node:http";
import { createRequire } from "node:module";
import process from "node:process";
import { WebSocketServer } from "ws";

function report(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

const counters = new Map();
const answering = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const muted = new WebSocketServer({ noServer: true, perMessageDeflate: false, autoPong: false });

function refuse(socket, status, headers = {}) {
  const body = `${status} ${STATUS_CODES[status]}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    "Connection: close",
    "Content-Type: text/plain",
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${lines.join("\r\n")}\r\n\r\n${body}`);
}

function onConnection(ws, key, closeCode) {
  ws.on("message", (data, isBinary) => {
    if (!isBinary) report({ type: "message", key, data: data.toString("utf8") });
    ws.send(data, { binary: isBinary });
  });
  ws.on("ping", () => report({ type: "ping", key }));
  ws.on("error", () => {});
  if (closeCode !== null) ws.close(closeCode, "scripted");
}

const server = createServer((_request, response) => {
  response.writeHead(426).end("WebSocket only\n");
});

server.on("upgrade", (request, socket, head) => {
  socket.on("error", () => {});
  const url = new URL(request.url, "http://peer");
  const key = url.searchParams.get("key") ?? "";
  const n = (counters.get(`${url.pathname} ${key}`) ?? 0) + 1;
  counters.set(`${url.pathname} ${key}`, n);
  let target = answering;
  let closeCode = null;
  const status = /^\/status\/(\d{3})$/.exec(url.pathname);
  if (status !== null) {
    report({ type: "refused", key, status: Number(status[1]) });
    return refuse(socket, Number(status[1]));
  }
  if (url.pathname === "/refuse" && n <= Number(url.searchParams.get("times") ?? "1")) {
    const code = Number(url.searchParams.get("status") ?? "503");
    const retryAfter = url.searchParams.get("retry-after");
    report({ type: "refused", key, status: code });
    return refuse(socket, code, retryAfter === null ? {} : { "Retry-After": retryAfter });
  }
  if (url.pathname === "/close-once" && n === 1) {
    closeCode = Number(url.searchParams.get("code") ?? "1012");
  }
  if (url.pathname === "/mute-once" && n === 1) target = muted;
  target.handleUpgrade(request, socket, head, (ws) => {
    report({ type: "open", path: url.pathname, key, n });
    if (url.pathname === "/greet") {
      socket.cork();
      ws.send(`welcome ${n}`);
      if (n === 1) ws.close(1012, "scripted");
      process.nextTick(() => socket.uncork());
    }
    onConnection(ws, key, closeCode);
  });
});

server.on("error", (error) => {
  process.stderr.write(`reconnect_server: ${error.message}\n`);
  process.exit(1);
});
server.listen(Number(process.env.PORT ?? "0"), "127.0.0.1", () => {
  report({
    type: "listening",
    peer: "reconnect",
    version: `ws ${
      createRequire(import.meta.url)("ws/package.json").version
    } on Node ${process.version}`,
    port: server.address().port,
  });
});

process.stdin.on("data", () => {});
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
