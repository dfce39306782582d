/**
 * The demo: connect, send text and binary, receive the echoes, ping, close
 * cleanly, printing each step and every frame on the wire.
 *
 *     deno run -A examples/demo.ts            # against a Deno.serve echo server it starts on loopback
 *     deno run -A examples/demo.ts wss://…    # against any echo server
 *
 * @module
 */

import { type ClientTraceRecord, OPCODE, WebSocket } from "../mod.ts";

const OPCODE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(OPCODE).map(([name, value]) => [value, name.toLowerCase()]),
);

function log(step: string, detail = ""): void {
  console.log(`${step.padEnd(10)} ${detail}`);
}

function trace(record: ClientTraceRecord): void {
  if (record.type === "frame") {
    const arrow = record.direction === "out" ? "-->" : "<--";
    const flags = `${record.fin ? "FIN" : "   "}${record.rsv ? ` RSV=${record.rsv}` : ""}`;
    log(
      `  wire ${arrow}`,
      `${OPCODE_NAMES[record.opcode] ?? record.opcode} ${flags} ${record.length} bytes`,
    );
  } else if (record.type === "handshake") {
    log(
      `  wire ${record.direction === "out" ? "-->" : "<--"}`,
      record.direction === "out" ? "HTTP GET (opening handshake)" : `HTTP ${record.status}`,
    );
  } else {
    log(`  ${record.phase}`, record.tls ? "(TLS)" : "");
  }
}

/** Starts a Deno.serve echo server on a free loopback port. */
function startEchoServer(): { url: string; shutdown(): Promise<void> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
  return { url: `ws://127.0.0.1:${server.addr.port}/echo`, shutdown: () => server.shutdown() };
}

function next<T extends Event>(socket: WebSocket, type: string): Promise<T> {
  return new Promise((resolve) =>
    socket.addEventListener(type, (event) => resolve(event as T), { once: true })
  );
}

const server = Deno.args[0] === undefined ? startEchoServer() : null;
const url = Deno.args[0] ?? server!.url;
log("server", server === null ? url : `${url} (Deno.serve, started for this demo)`);

const socket = new WebSocket(url, { trace });
socket.binaryType = "arraybuffer";
socket.onerror = (event) => log("error", String((event as ErrorEvent).error ?? event));
log("connect", url);
await next(socket, "open");
log("open", `status ${socket.handshake?.status}, protocol "${socket.protocol}"`);

socket.send("Hello, wsport!");
log("send", "text: Hello, wsport!");
let reply = await next<MessageEvent>(socket, "message");
log("receive", `text: ${reply.data}`);

socket.send(new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
log("send", "binary: de ad be ef");
reply = await next<MessageEvent>(socket, "message");
log("receive", `binary: ${[...new Uint8Array(reply.data)].map((b) => b.toString(16)).join(" ")}`);

const rtt = await socket.ping();
log("ping", `pong after ${rtt.toFixed(3)} ms`);

const closed = next<CloseEvent>(socket, "close");
socket.close(1000, "demo done");
log("close", 'code 1000, reason "demo done"');
const event = await closed;
log("closed", `code ${event.code}, reason "${event.reason}", wasClean ${event.wasClean}`);
await server?.shutdown();
