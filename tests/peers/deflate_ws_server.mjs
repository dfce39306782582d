/**
 * permessage-deflate peers on the `ws` package's `WebSocketServer`, run with
 * Node: `node tests/peers/deflate_ws_server.mjs`. One server per setting,
 * each on its own port (and, with `PEER_TLS_CERT`/`PEER_TLS_KEY`, a TLS port):
 * - `takeover`: context takeover both ways, ws's default threshold (1024), so
 *   short replies go uncompressed and long ones compressed;
 * - `no_context_takeover`: `server_no_context_takeover` and
 *   `client_no_context_takeover`, every message compressed;
 * - `small_window`: `server_max_window_bits=9`, `client_max_window_bits=9`.
 *
 * Messages are echoed as they came (text as text), except the text
 * `big:N`, answered with N bytes of compressible text. The first stdout line
 * is `{"type":"listening","ports":{…},"tlsPorts":{…}}`; the process exits
 * when its stdin ends.
 *
 * @module
 */

import { createServer } from "node:http";
import { createServer as createSecureServer } from "node:https";
import process from "node:process";
import { WebSocketServer } from "ws";

const SETTINGS = {
  takeover: { threshold: 1024 },
  no_context_takeover: {
    threshold: 0,
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
  },
  small_window: { threshold: 0, serverMaxWindowBits: 9, clientMaxWindowBits: 9 },
};

/** N bytes of text that compresses well but not trivially. */
function compressible(length) {
  const words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"];
  let text = "";
  for (let i = 0; text.length < length; i++) text += `${words[(i * 7) % 8]} ${i % 100} `;
  return text.slice(0, length);
}

function listen(server) {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(server.address().port))
  );
}

async function start(perMessageDeflate, tls) {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate, maxPayload: 64 << 20 });
  wss.on("connection", (socket) => {
    socket.on("message", (data, isBinary) => {
      const text = isBinary ? null : data.toString();
      const match = text === null ? null : /^big:(\d+)$/.exec(text);
      if (match) socket.send(compressible(Number(match[1])));
      else socket.send(data, { binary: isBinary });
    });
  });
  const server = tls ? createSecureServer(tls) : createServer();
  server.on("upgrade", (request, socket, head) => {
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
  });
  return await listen(server);
}

const tls = process.env.PEER_TLS_CERT
  ? { cert: process.env.PEER_TLS_CERT, key: process.env.PEER_TLS_KEY }
  : null;
const ports = {};
const tlsPorts = {};
for (const [name, settings] of Object.entries(SETTINGS)) {
  ports[name] = await start(settings, null);
  if (tls) tlsPorts[name] = await start(settings, tls);
}
process.stdout.write(`${JSON.stringify({ type: "listening", ports, tlsPorts })}\n`);
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
