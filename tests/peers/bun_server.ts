/**
 * A test peer on Bun's own server: `Bun.serve` with `websocket` handlers
 * (uWebSockets underneath). Run with `bun tests/peers/bun_server.ts`.
 *
 * The command protocol is the one every peer implements; it is described
 * in `tests/_util/peers.ts`. Bun's server socket has `ping()`, a `pong`
 * handler and `terminate()`, but no way to send a fragment, so:
 * - `send-fragmented` is answered `unsupported:send-fragmented`;
 * - `vanish-mid-message` sends a 32 MiB message, which the kernel cannot
 *   take at once, and calls `terminate()` while the rest is queued.
 *
 * Bun accepts the first subprotocol offered unless the upgrade sets
 * `Sec-WebSocket-Protocol`; setting it to "" leaves the header out, which
 * is how this peer refuses.
 *
 * Only the part of Bun used here is declared, as oak's Bun adapter does.
 *
 * @module
 */

import process from "node:process";

interface BunSocket {
  readonly data: {
    readonly id: string;
    readonly headers: Record<string, string>;
    readonly protocol: string;
  };
  send(data: string | Uint8Array): number;
  ping(data?: string | Uint8Array): number;
  close(code?: number, reason?: string): void;
  terminate(): void;
  getBufferedAmount(): number;
}

interface BunServer {
  readonly port: number;
  upgrade(
    request: Request,
    options: { headers?: Record<string, string>; data: BunSocket["data"] },
  ): boolean;
}

interface BunServeOptions {
  hostname: string;
  port: number;
  tls?: { cert: string; key: string };
  fetch(request: Request, server: BunServer): Response | undefined;
  websocket: {
    maxPayloadLength: number;
    backpressureLimit: number;
    perMessageDeflate: boolean;
    open(ws: BunSocket): void;
    message(ws: BunSocket, message: string | Uint8Array): void;
    ping(ws: BunSocket, data: Uint8Array): void;
    pong(ws: BunSocket, data: Uint8Array): void;
    close(ws: BunSocket, code: number, reason: string): void;
  };
}

declare const Bun: { readonly version: string; serve(options: BunServeOptions): BunServer };

const NAME = "bun";
const KNOWN_PROTOCOLS = ["wsport.v2", "wsport.v1"];
const UNOFFERED_PROTOCOL = "unoffered.example";
const VANISH_SIZE = 32 * 1024 * 1024;
const MAX_PAYLOAD = 64 * 1024 * 1024;
const REPORTED_SIZE = 1024 * 1024;

const STATUS_TEXT: Record<number, string> = {
  403: "Forbidden",
  404: "Not Found",
  500: "Internal Server Error",
};

const decoder = new TextDecoder();
const pongWaiters = new Map<BunSocket, Set<string>>();

/** Writes one event line for the test that started us. */
function report(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

/** Byte `i` of every `big:N` reply and of the test's payloads. */
function pattern(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + (i >>> 16)) & 0xff;
  return bytes;
}

function offeredProtocols(request: Request): string[] {
  return (request.headers.get("sec-websocket-protocol") ?? "")
    .split(",")
    .map((protocol) => protocol.trim())
    .filter((protocol) => protocol !== "");
}

function fetch(request: Request, server: BunServer): Response | undefined {
  const url = new URL(request.url);
  const status = /^\/status\/(\d{3})$/.exec(url.pathname);
  if (status !== null) {
    const code = Number(status[1]);
    return new Response(`${NAME} refused with ${code} ${STATUS_TEXT[code] ?? ""}`, {
      status: code,
      headers: { "x-peer": NAME, "content-type": "text/plain" },
    });
  }
  const chosen = url.pathname === "/protocol/unoffered"
    ? UNOFFERED_PROTOCOL
    : offeredProtocols(request).find((protocol) => KNOWN_PROTOCOLS.includes(protocol));
  const data = {
    id: url.searchParams.get("id") ?? "",
    headers: Object.fromEntries(request.headers),
    protocol: chosen ?? "",
  };
  // Without the header, Bun accepts the first protocol offered; "" leaves the header out.
  const headers = { "Sec-WebSocket-Protocol": chosen ?? "" };
  if (server.upgrade(request, { headers, data })) return undefined;
  return new Response("WebSocket only\n", { status: 426, headers: { "x-peer": NAME } });
}

function onCommand(ws: BunSocket, text: string): void {
  if (text === "headers") {
    ws.send(JSON.stringify(ws.data.headers));
  } else if (/^big:\d+$/.test(text)) {
    ws.send(pattern(Number(text.slice(4))));
  } else if (text === "send-fragmented") {
    ws.send("unsupported:send-fragmented");
  } else if (/^close:\d+:/s.test(text)) {
    const [, code, reason] = /^close:(\d+):(.*)$/s.exec(text)!;
    ws.close(Number(code), reason);
  } else if (text.startsWith("ping:")) {
    const data = text.slice(5);
    pongWaiters.get(ws)?.add(data);
    ws.ping(data);
  } else if (text === "vanish-mid-message") {
    // -1: accepted but queued behind the kernel's buffer, i.e. partly written.
    const sent = ws.send(new Uint8Array(VANISH_SIZE));
    report({ type: "vanish", id: ws.data.id, midMessage: sent === -1 });
    ws.terminate();
  } else {
    ws.send(text);
  }
}

function serve(tls?: { cert: string; key: string }): BunServer {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    ...(tls === undefined ? {} : { tls }),
    fetch,
    websocket: {
      maxPayloadLength: MAX_PAYLOAD,
      backpressureLimit: 2 * MAX_PAYLOAD,
      perMessageDeflate: false,
      open(ws) {
        pongWaiters.set(ws, new Set());
        report({ type: "open", id: ws.data.id, protocol: ws.data.protocol });
      },
      message(ws, message) {
        if (typeof message === "string") onCommand(ws, message);
        else {
          if (message.byteLength >= REPORTED_SIZE) {
            report({ type: "binary", id: ws.data.id, size: message.byteLength });
          }
          ws.send(message);
        }
      },
      ping(ws, data) {
        report({ type: "ping", id: ws.data.id, data: decoder.decode(data) });
      },
      pong(ws, data) {
        const text = decoder.decode(data);
        report({ type: "pong", id: ws.data.id, data: text });
        if (pongWaiters.get(ws)?.delete(text)) ws.send(`pong:${text}`);
      },
      close(ws, code, reason) {
        pongWaiters.delete(ws);
        report({ type: "close", id: ws.data.id, code, reason });
      },
    },
  });
}

const cert = process.env.PEER_TLS_CERT;
const key = process.env.PEER_TLS_KEY;
const plain = serve();
const secure = cert && key ? serve({ cert, key }) : null;
report({
  type: "listening",
  peer: NAME,
  version: Bun.version,
  port: plain.port,
  tlsPort: secure === null ? null : secure.port,
});

// The test holds our stdin: when it ends (the test stopped us or died), leave.
process.stdin.on("data", () => {});
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
