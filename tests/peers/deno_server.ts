/**
 * A test peer on Deno's own server: `Deno.serve` and
 * `Deno.upgradeWebSocket`. Run with `deno run -A --no-config
 * tests/peers/deno_server.ts`.
 *
 * The command protocol is the one every peer implements; it is described
 * in `tests/_util/peers.ts`. Deno's server socket is a WHATWG `WebSocket`,
 * so some commands can only be approximated:
 * - `send-fragmented`: Deno sends every message as one frame; answered
 *   `unsupported:send-fragmented`.
 * - `ping:DATA`: the socket has no `ping()`; answered `unsupported:ping`.
 *   The path `/idle` sets `idleTimeout: 0.25` instead: Deno pings after
 *   250 ms of silence and closes with 1001 ("No response from ping frame.")
 *   when no pong comes within 250 ms more.
 * - `vanish-mid-message`: the raw TCP socket is out of reach, so the whole
 *   process exits 10 ms after it started writing a 32 MiB message (about
 *   4 MiB are through by then over loopback); the kernel then ends the
 *   connection after the bytes already written. The test starts a peer of
 *   its own for this.
 *
 * @module
 */

const NAME = "deno";
const KNOWN_PROTOCOLS = ["wsport.v2", "wsport.v1"];
const UNOFFERED_PROTOCOL = "unoffered.example";
const VANISH_SIZE = 32 * 1024 * 1024;
const VANISH_DELAY_MS = 10;
const REPORTED_SIZE = 1024 * 1024;

const STATUS_TEXT: Record<number, string> = {
  403: "Forbidden",
  404: "Not Found",
  500: "Internal Server Error",
};

/** Writes one event line for the test that started us. */
function report(event: Record<string, unknown>): void {
  console.log(JSON.stringify(event));
}

/** Byte `i` of every `big:N` reply and of the test's payloads. */
function pattern(length: number): Uint8Array<ArrayBuffer> {
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

function onCommand(
  socket: WebSocket,
  id: string,
  headers: Record<string, string>,
  text: string,
): void {
  if (text === "headers") {
    socket.send(JSON.stringify(headers));
  } else if (/^big:\d+$/.test(text)) {
    socket.send(pattern(Number(text.slice(4))));
  } else if (text === "send-fragmented") {
    socket.send("unsupported:send-fragmented");
  } else if (/^close:\d+:/s.test(text)) {
    const [, code, reason] = /^close:(\d+):(.*)$/s.exec(text)!;
    socket.close(Number(code), reason);
  } else if (text.startsWith("ping:")) {
    socket.send("unsupported:ping");
  } else if (text === "vanish-mid-message") {
    socket.send(new Uint8Array(VANISH_SIZE));
    // Give the write a head start, then leave while it is still going
    // (bufferedAmount drops only once the whole message is written).
    setTimeout(() => {
      report({ type: "vanish", id, midMessage: socket.bufferedAmount > 0 });
      Deno.exit(0);
    }, VANISH_DELAY_MS);
  } else {
    socket.send(text);
  }
}

function handler(request: Request): Response {
  const url = new URL(request.url);
  const status = /^\/status\/(\d{3})$/.exec(url.pathname);
  if (status !== null) {
    const code = Number(status[1]);
    return new Response(`${NAME} refused with ${code} ${STATUS_TEXT[code] ?? ""}`, {
      status: code,
      headers: { "x-peer": NAME, "content-type": "text/plain" },
    });
  }
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return new Response("WebSocket only\n", { status: 426, headers: { "x-peer": NAME } });
  }
  const id = url.searchParams.get("id") ?? "";
  const unoffered = url.pathname === "/protocol/unoffered";
  const chosen = unoffered
    ? undefined
    : offeredProtocols(request).find((protocol) => KNOWN_PROTOCOLS.includes(protocol));
  // Read now: the request's headers are gone once upgradeWebSocket() has run.
  const headers = Object.fromEntries(request.headers);
  const { socket, response } = Deno.upgradeWebSocket(request, {
    ...(chosen === undefined ? {} : { protocol: chosen }),
    ...(url.pathname === "/idle" ? { idleTimeout: 0.25 } : {}),
  });
  // upgradeWebSocket refuses a protocol the client did not offer; the header can still be set.
  if (unoffered) response.headers.set("sec-websocket-protocol", UNOFFERED_PROTOCOL);
  socket.binaryType = "arraybuffer";
  const protocol = unoffered ? UNOFFERED_PROTOCOL : chosen ?? "";
  socket.onopen = () => report({ type: "open", id, protocol });
  socket.onmessage = (event) => {
    try {
      if (typeof event.data === "string") onCommand(socket, id, headers, event.data);
      else {
        const data = event.data as ArrayBuffer;
        if (data.byteLength >= REPORTED_SIZE) report({ type: "binary", id, size: data.byteLength });
        socket.send(data);
      }
    } catch (error) {
      report({ type: "error", id, message: String(error) });
    }
  };
  socket.onerror = (event) => {
    report({ type: "error", id, message: (event as ErrorEvent).message ?? "" });
  };
  socket.onclose = (event) => report({ type: "close", id, code: event.code, reason: event.reason });
  return response;
}

const cert = Deno.env.get("PEER_TLS_CERT");
const key = Deno.env.get("PEER_TLS_KEY");
const plain = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
const secure = cert && key
  ? Deno.serve({ hostname: "127.0.0.1", port: 0, cert, key, onListen() {} }, handler)
  : null;
report({
  type: "listening",
  peer: NAME,
  version: Deno.version.deno,
  port: plain.addr.port,
  tlsPort: secure === null ? null : secure.addr.port,
});

// The test holds our stdin: when it ends (the test stopped us or died), leave.
for await (const _ of Deno.stdin.readable) { /* nothing is sent */ }
Deno.exit(0);
