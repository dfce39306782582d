/**
 * The benchmark server, run by Bun in its own process (pinned to its own core
 * by `bench/run.ts`). It prints one JSON line, `{"ws":PORT,"raw":PORT}`, once
 * both listeners are up, and runs until killed or its stdin closes.
 *
 * - `ws` port: `Bun.serve` WebSockets (uWebSockets in C++), no compression.
 *   - `/echo`: sends every message back (latency);
 *   - `/conn`, `/idle`: accepts and does nothing (setup rate, idle memory).
 * - `raw` port: `Bun.listen` raw TCP speaking just enough of RFC 6455 that it
 *   is never the bottleneck:
 *   - `/recv?size=S&count=N&warm=W`: after the 101, writes W+N pre-built
 *     binary frames of S bytes from one pre-built buffer, then a close frame;
 *   - `/send?size=S&count=N&warm=W`: counts the client's bytes without
 *     parsing frames (their total is known: W+N masked frames of S bytes),
 *     answers the text message `w` after the warm-up bytes and `d ok` (or
 *     `d bad`) after all of them, having unmasked and checked the last frame;
 *   - `/credit?size=S&count=N&warm=W&ack=A`: as `/send`, and also answers the
 *     text message `a<bytes>` each time the payload bytes of the whole frames
 *     received so far pass a multiple of A (the credit-flow scenario: the
 *     client keeps a window of unacknowledged bytes and sends more on each ack).
 *
 * @module
 */

import { createHash } from "node:crypto";
import process from "node:process";
import { headerLength, isPattern, pattern, serverFrame, writeHeader } from "../clients/_shared.mjs";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const CHUNK_BYTES = 256 * 1024;
const CLOSE_1000 = serverFrame(0x8, new Uint8Array([0x03, 0xe8]));
const TEXT_W = serverFrame(0x1, new TextEncoder().encode("w"));
const TEXT_OK = serverFrame(0x1, new TextEncoder().encode("d ok"));
const TEXT_BAD = serverFrame(0x1, new TextEncoder().encode("d bad"));

/** The part of a `Bun.listen` socket used here. */
interface BunSocket {
  write(data: Uint8Array | string): number;
  end(): void;
  setNoDelay?(on: boolean): void;
  data: RawState;
}

/** The part of a `Bun.serve` WebSocket used here. */
interface BunServerWebSocket {
  send(data: string | Uint8Array): number;
  data: { mode: string };
}

/** The part of the `Bun` namespace used here (minimal local declarations). */
declare const Bun: {
  listen(options: {
    hostname: string;
    port: number;
    socket: {
      open(socket: BunSocket): void;
      data(socket: BunSocket, data: Uint8Array): void;
      drain(socket: BunSocket): void;
      error(socket: BunSocket, error: Error): void;
      close(socket: BunSocket): void;
    };
  }): { port: number };
  serve(options: {
    hostname: string;
    port: number;
    fetch(
      request: Request,
      server: { upgrade(request: Request, options: { data: { mode: string } }): boolean },
    ): Response | undefined;
    websocket: {
      perMessageDeflate: boolean;
      idleTimeout: number;
      maxPayloadLength: number;
      backpressureLimit: number;
      message(socket: BunServerWebSocket, message: string | Uint8Array): void;
    };
  }): { port: number };
};

interface RawState {
  head: string;
  mode: "handshake" | "recv" | "send" | "done";
  // credit (with the send fields): acknowledge every `ackEvery` payload bytes
  ackEvery?: number;
  nextAck?: number;
  // recv
  chunk?: Uint8Array;
  frameLength?: number;
  framesPerChunk?: number;
  framesLeft?: number;
  pending?: Uint8Array | null;
  closeQueued?: boolean;
  // send
  size?: number;
  warmBytes?: number;
  totalBytes?: number;
  seen?: number;
  tail?: Uint8Array;
  tailStart?: number;
}

const recvChunks = new Map<number, { chunk: Uint8Array; frameLength: number; frames: number }>();

/** A buffer of as many whole frames of `size` as fit in CHUNK_BYTES (at least one). */
function recvChunk(size: number) {
  let entry = recvChunks.get(size);
  if (entry === undefined) {
    const payload = pattern(size);
    const frameLength = headerLength(size, false) + size;
    const frames = Math.max(1, Math.floor(CHUNK_BYTES / frameLength));
    const chunk = new Uint8Array(frameLength * frames);
    for (let i = 0; i < frames; i++) {
      const offset = writeHeader(chunk, i * frameLength, 0x2, size);
      chunk.set(payload, offset);
    }
    entry = { chunk, frameLength, frames };
    recvChunks.set(size, entry);
  }
  return entry;
}

function accept(key: string): string {
  return createHash("sha1").update(key + GUID).digest("base64");
}

function handshake(socket: BunSocket, state: RawState, text: string): Uint8Array | null {
  state.head += text;
  const end = state.head.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const head = state.head.slice(0, end);
  const rest = new TextEncoder().encode(state.head.slice(end + 4));
  const [, target = "/"] = head.split("\r\n", 1)[0]!.split(" ");
  const key = /^sec-websocket-key:\s*(\S+)/im.exec(head)?.[1] ?? "";
  const url = new URL(target, "http://bench");
  const size = Number(url.searchParams.get("size") ?? 16);
  const count = Number(url.searchParams.get("count") ?? 1);
  const warm = Number(url.searchParams.get("warm") ?? 0);
  socket.write(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${accept(key)}\r\n\r\n`,
  );
  if (url.pathname === "/recv") {
    const { chunk, frameLength, frames } = recvChunk(size);
    Object.assign(state, {
      mode: "recv",
      chunk,
      frameLength,
      framesPerChunk: frames,
      framesLeft: warm + count,
      pending: null,
      closeQueued: false,
    });
    pump(socket, state);
  } else {
    const frameLength = headerLength(size, true) + size;
    Object.assign(state, {
      mode: "send",
      size,
      warmBytes: warm * frameLength,
      totalBytes: (warm + count) * frameLength,
      seen: 0,
      tail: new Uint8Array(frameLength),
      tailStart: (warm + count - 1) * frameLength,
    });
    if (url.pathname === "/credit") {
      const ackEvery = Number(url.searchParams.get("ack") ?? 262144);
      Object.assign(state, { ackEvery, nextAck: ackEvery });
    }
  }
  return rest;
}

/** Writes frames until the socket takes no more; `drain` calls it again. */
function pump(socket: BunSocket, state: RawState): void {
  for (;;) {
    if (!state.pending) {
      if (state.framesLeft === 0) {
        if (state.closeQueued) return;
        state.closeQueued = true;
        state.pending = CLOSE_1000;
      } else {
        const k = Math.min(state.framesLeft!, state.framesPerChunk!);
        state.framesLeft! -= k;
        state.pending = k === state.framesPerChunk
          ? state.chunk!
          : state.chunk!.subarray(0, k * state.frameLength!);
      }
    }
    const n = socket.write(state.pending);
    if (n < 0) return;
    if (n < state.pending.length) {
      state.pending = state.pending.subarray(n);
      return;
    }
    state.pending = null;
  }
}

/** Counts bytes of masked frames; keeps the last frame to check it. */
function receive(socket: BunSocket, state: RawState, data: Uint8Array): void {
  const before = state.seen!;
  const total = state.totalBytes!;
  if (before >= total) {
    // The client's close frame: answer and end.
    state.mode = "done";
    socket.write(CLOSE_1000);
    socket.end();
    return;
  }
  const after = before + data.length;
  state.seen = after;
  const tailStart = state.tailStart!;
  if (after > tailStart) {
    const from = Math.max(before, tailStart);
    const to = Math.min(after, total);
    state.tail!.set(data.subarray(from - before, to - before), from - tailStart);
  }
  if (state.ackEvery !== undefined) acknowledge(socket, state, Math.min(after, total));
  if (before < state.warmBytes! && after >= state.warmBytes!) socket.write(TEXT_W);
  if (after >= total) {
    socket.write(checkLastFrame(state.tail!, state.size!) ? TEXT_OK : TEXT_BAD);
    if (after > total) receive(socket, state, data.subarray(data.length - (after - total)));
  }
}

/** Credit flow: answers `a<payload bytes>` when the received payload passes the next multiple of `ackEvery`. */
function acknowledge(socket: BunSocket, state: RawState, seen: number): void {
  const size = state.size!;
  const payload = Math.floor(seen / (headerLength(size, true) + size)) * size;
  if (payload < state.nextAck!) return;
  socket.write(serverFrame(0x1, new TextEncoder().encode(`a${payload}`)));
  state.nextAck = (Math.floor(payload / state.ackEvery!) + 1) * state.ackEvery!;
}

function checkLastFrame(frame: Uint8Array, size: number): boolean {
  if (frame[0] !== 0x82 || (frame[1]! & 0x80) === 0) return false;
  const keyAt = headerLength(size, true) - 4;
  const key = frame.subarray(keyAt, keyAt + 4);
  const payload = frame.slice(keyAt + 4);
  for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ key[i & 3]!;
  return isPattern(payload, size);
}

const raw = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(socket) {
      socket.data = { head: "", mode: "handshake" };
      socket.setNoDelay?.(true);
    },
    data(socket, data) {
      const state = socket.data;
      if (state.mode === "handshake") {
        const rest = handshake(
          socket,
          state,
          new TextDecoder().decode(data),
        );
        if (rest !== null && rest.length > 0 && (state.mode as RawState["mode"]) === "send") {
          receive(socket, state, rest);
        }
      } else if ((state.mode as RawState["mode"]) === "send") {
        receive(socket, state, data);
      } else if (state.mode === "recv") {
        // Only the client's close frame comes this way (after ours).
        state.mode = "done";
        socket.end();
      }
    },
    drain(socket) {
      if (socket.data.mode === "recv") pump(socket, socket.data);
    },
    error() {},
    close() {},
  },
});

const ws = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request, server) {
    const mode = new URL(request.url).pathname.slice(1);
    if (server.upgrade(request, { data: { mode } })) return undefined;
    return new Response("WebSocket only", { status: 426 });
  },
  websocket: {
    perMessageDeflate: false,
    idleTimeout: 0,
    maxPayloadLength: 64 * 1024 * 1024,
    backpressureLimit: 64 * 1024 * 1024,
    message(socket, message) {
      if (socket.data.mode === "echo") socket.send(message);
    },
  },
});

console.log(JSON.stringify({ ws: ws.port, raw: raw.port, pid: process.pid }));

// Exit when the driver goes away (unless run by hand: BENCH_SERVER_STANDALONE=1).
if (!process.env.BENCH_SERVER_STANDALONE) {
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
}
