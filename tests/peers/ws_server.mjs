/**
 * A test peer on the `ws` npm package's `WebSocketServer`, run with Node:
 * `node tests/peers/ws_server.mjs`. Written as plain JavaScript because
 * Node 20 cannot run TypeScript.
 *
 * The command protocol is the one every peer implements; it is described
 * in `tests/_util/peers.ts`. What only `ws` can do here:
 * - `send-fragmented` sends real fragments (`send(data, { fin: false })`)
 *   with a ping between them;
 * - `vanish-mid-message` writes half a frame to the raw socket (kept from
 *   the HTTP `upgrade` event) and destroys it.
 *
 * @module
 */

import { createServer, STATUS_CODES } from "node:http";
import { createServer as createSecureServer } from "node:https";
import { createRequire } from "node:module";
import process from "node:process";
import { WebSocketServer } from "ws";

const NAME = "ws";
const KNOWN_PROTOCOLS = ["wsport.v2", "wsport.v1"];
const UNOFFERED_PROTOCOL = "unoffered.example";
const MAX_PAYLOAD = 64 * 1024 * 1024;
const REPORTED_SIZE = 1024 * 1024;

/** Writes one event line for the test that started us. */
function report(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

/** Byte `i` of every `big:N` reply and of the test's payloads. */
function pattern(length) {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + (i >>> 16)) & 0xff;
  return bytes;
}

/** `ws` calls this only when the client offered at least one subprotocol. */
function handleProtocols(offered, request) {
  if (new URL(request.url, "http://peer").pathname === "/protocol/unoffered") {
    return UNOFFERED_PROTOCOL;
  }
  return [...offered].find((protocol) => KNOWN_PROTOCOLS.includes(protocol)) ?? false;
}

/** `/status/NNN` is refused through `ws`'s own refusal path (`abortHandshake`). */
function verifyClient(info, callback) {
  const match = /^\/status\/(\d{3})$/.exec(new URL(info.req.url, "http://peer").pathname);
  if (match === null) return callback(true);
  const status = Number(match[1]);
  callback(false, status, `${NAME} refused with ${status} ${STATUS_CODES[status]}`, {
    "X-Peer": NAME,
  });
}

const wss = new WebSocketServer({
  noServer: true,
  handleProtocols,
  verifyClient,
  maxPayload: MAX_PAYLOAD,
  perMessageDeflate: false,
});

/** Frame header of an unmasked binary frame announcing 1000 bytes, then 500 of them. */
function halfFrame() {
  return Buffer.concat([Buffer.from([0x82, 126, 0x03, 0xe8]), pattern(500)]);
}

function onCommand(ws, socket, request, text, pongWaiters) {
  if (text === "headers") {
    ws.send(JSON.stringify(request.headers));
  } else if (/^big:\d+$/.test(text)) {
    ws.send(pattern(Number(text.slice(4))));
  } else if (text === "send-fragmented") {
    ws.send("Hello, ", { fin: false });
    ws.ping("between");
    ws.send("frag", { fin: false });
    ws.send("mented world", { fin: true });
    ws.send(pattern(100_000).subarray(0, 70_000), { binary: true, fin: false });
    ws.send(pattern(100_000).subarray(70_000), { binary: true, fin: true });
  } else if (/^close:\d+:/s.test(text)) {
    const [, code, reason] = /^close:(\d+):(.*)$/s.exec(text);
    ws.close(Number(code), reason);
  } else if (text.startsWith("ping:")) {
    const data = text.slice(5);
    pongWaiters.add(data);
    ws.ping(data);
  } else if (text === "vanish-mid-message") {
    report({ type: "vanish", id: ws.id, midMessage: true });
    socket.write(halfFrame(), () => socket.destroy());
  } else {
    ws.send(text);
  }
}

function onConnection(ws, request, socket) {
  const id = new URL(request.url, "http://peer").searchParams.get("id") ?? "";
  const pongWaiters = new Set();
  ws.id = id;
  report({ type: "open", id, protocol: ws.protocol });
  ws.on("message", (data, isBinary) => {
    if (isBinary && data.length >= REPORTED_SIZE) report({ type: "binary", id, size: data.length });
    if (isBinary) ws.send(data, { binary: true });
    else onCommand(ws, socket, request, data.toString("utf8"), pongWaiters);
  });
  ws.on("ping", (data) => report({ type: "ping", id, data: data.toString("utf8") }));
  ws.on("pong", (data) => {
    const text = data.toString("utf8");
    report({ type: "pong", id, data: text });
    if (pongWaiters.delete(text)) ws.send(`pong:${text}`);
  });
  ws.on("error", (error) => report({ type: "error", id, message: error.message }));
  ws.on("close", (code, reason) => {
    report({ type: "close", id, code, reason: reason.toString("utf8") });
  });
}

function listen(server) {
  server.on("upgrade", (request, socket, head) => {
    socket.on("error", () => {});
    wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, request, socket));
  });
  server.on("request", (_request, response) => {
    response.writeHead(426, { "X-Peer": NAME }).end("WebSocket only\n");
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const cert = process.env.PEER_TLS_CERT;
const key = process.env.PEER_TLS_KEY;
const plain = await listen(createServer());
const secure = cert && key ? await listen(createSecureServer({ cert, key })) : null;
report({
  type: "listening",
  peer: NAME,
  version: `ws ${
    createRequire(import.meta.url)("ws/package.json").version
  } on Node ${process.version}`,
  port: plain.address().port,
  tlsPort: secure === null ? null : secure.address().port,
});

// The test holds our stdin: when it ends (the test stopped us or died), leave.
process.stdin.on("data", () => {});
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
