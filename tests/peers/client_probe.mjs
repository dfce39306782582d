/**
 * Probes another WebSocket client against the `ws` test peer, for the
 * comparison table of the README (`tests/integration/other_clients_test.ts`):
 * `<runtime> tests/peers/client_probe.mjs <client> <port>`, where `<client>`
 * is `builtin` (the runtime's global `WebSocket`: Deno's, Bun's, or Node
 * 22's, which is undici's) or `ws` (the npm package). Prints one JSON line:
 *
 * - `headers`: whether `new WebSocket(url, { headers: { "x-probe": "1" } })`
 *   (the option's name in ws, undici and Bun) made the server see the header;
 * - `status`: whether the HTTP status of a refused handshake (403) reaches
 *   the caller in any field or message of what the client reports;
 * - `webSocketStream`: whether the runtime has a global `WebSocketStream`.
 *
 * Plain JavaScript, so that every runtime runs it as is.
 *
 * @module
 */

import process from "node:process";

const [client, port] = process.argv.slice(2);
const base = `ws://127.0.0.1:${port}`;

async function load() {
  if (client === "ws") return (await import("ws")).WebSocket;
  if (typeof globalThis.WebSocket !== "function") throw new Error("no global WebSocket");
  return globalThis.WebSocket;
}

function withTimeout(promise, label) {
  let timer;
  return Promise.race([
    promise,
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(`timeout: ${label}`), 10_000);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function probeHeaders(WebSocket) {
  let socket;
  try {
    socket = new WebSocket(`${base}/?id=probe-headers`, { headers: { "x-probe": "1" } });
  } catch (error) {
    return `throws: ${error.message}`;
  }
  return await withTimeout(
    new Promise((resolve) => {
      socket.onopen = () => socket.send("headers");
      socket.onmessage = (event) => {
        const seen = JSON.parse(String(event.data));
        resolve(seen["x-probe"] === "1");
        socket.close();
      };
      socket.onerror = () => resolve(false);
    }),
    "headers",
  );
}

function mentions403(value, depth = 0) {
  if (value === null || value === undefined || depth > 3) return false;
  if (typeof value === "number") return value === 403;
  if (typeof value === "string") return /\b403\b/.test(value);
  if (typeof value !== "object") return false;
  const keys = new Set([
    ...Object.keys(value),
    "message",
    "error",
    "reason",
    "code",
    "status",
    "statusCode",
    "cause",
  ]);
  for (const key of keys) {
    let field;
    try {
      field = value[key];
    } catch {
      continue;
    }
    if (typeof field !== "function" && mentions403(field, depth + 1)) return true;
  }
  return false;
}

async function probeStatus(WebSocket) {
  const socket = new WebSocket(`${base}/status/403`);
  const seen = [];
  const done = new Promise((resolve) => {
    if (client === "ws") {
      socket.on("unexpected-response", (_request, response) => {
        seen.push(response.statusCode);
        resolve();
      });
      socket.on("error", (error) => {
        seen.push(error);
        resolve();
      });
    } else {
      socket.onerror = (event) => seen.push(event);
      socket.onclose = (event) => {
        seen.push(event);
        resolve();
      };
    }
  });
  await withTimeout(done, "status");
  return seen.some((value) => mentions403(value));
}

const WebSocket = await load();
const result = {
  client,
  headers: await probeHeaders(WebSocket),
  status: await probeStatus(WebSocket),
  webSocketStream: typeof globalThis.WebSocketStream === "function",
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
