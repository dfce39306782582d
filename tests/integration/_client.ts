/**
 * Client-side helpers of the integration suite: a recorder that keeps the
 * order of a `WebSocket`'s events, time limits for every wait, and the
 * payloads the cases send.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type CloseEventLike,
  type ErrorEventLike,
  WebSocket,
  type WebSocketInit,
} from "../../mod.ts";

/** The runtime running the client (and this test). */
export const clientRuntime: "deno" | "bun" | "node" = "Deno" in globalThis
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : "node";

let connections = 0;

/** A fresh connection id for the peers' event lines. */
export function nextId(): string {
  return `${clientRuntime}-${++connections}`;
}

/**
 * Settles like `promise`, or rejects after `ms` with a message naming `what`.
 * The timer is always cleared.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A `WebSocket` with everything it dispatched, in order. */
export interface Recorded {
  readonly socket: WebSocket;
  /** Event types in dispatch order: `open`, `message`, `error`, `close`. */
  readonly order: string[];
  /** The `error` events. */
  readonly errors: ErrorEventLike[];
  /** Resolves at `open`; rejects when `close` comes first. */
  readonly opened: Promise<void>;
  /** Resolves with the `close` event. */
  readonly closed: Promise<CloseEventLike>;
  /** The data of the next message not yet taken (waits up to `ms`). */
  next(ms?: number): Promise<unknown>;
}

/**
 * Opens a `WebSocket` with `binaryType = "arraybuffer"` and records its events.
 *
 * @param url The URL.
 * @param init Options (protocols, headers, tls, …).
 * @returns The recorder.
 */
export function record(url: string, init: WebSocketInit = {}): Recorded {
  const socket = new WebSocket(url, { pingInterval: 0, ...init });
  socket.binaryType = "arraybuffer";
  const order: string[] = [];
  const errors: ErrorEventLike[] = [];
  const messages: unknown[] = [];
  let wake: (() => void) | null = null;
  let isClosed = false;
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve());
    socket.addEventListener(
      "close",
      () => reject(new Error("The connection closed before it opened")),
    );
  });
  opened.catch(() => {});
  const closed = new Promise<CloseEventLike>((resolve) => {
    socket.addEventListener("close", (event) => {
      order.push("close");
      isClosed = true;
      wake?.();
      resolve(event as CloseEventLike);
    });
  });
  socket.addEventListener("open", () => order.push("open"));
  socket.addEventListener("error", (event) => {
    order.push("error");
    errors.push(event as ErrorEventLike);
  });
  socket.addEventListener("message", (event) => {
    order.push("message");
    messages.push((event as MessageEvent).data);
    wake?.();
  });
  async function next(ms = 5_000): Promise<unknown> {
    const deadline = Date.now() + ms;
    while (messages.length === 0) {
      if (isClosed) throw new Error(`The connection closed while waiting for a message (${order})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No message within ${ms} ms (events so far: ${order})`);
      await within(new Promise<void>((resolve) => wake = resolve), left, "a message")
        .finally(() => wake = null);
    }
    return messages.shift();
  }
  return { socket, order, errors, opened, closed, next };
}

/** Waits for `open` (up to 5 s). */
export function open(recorded: Recorded): Promise<void> {
  return within(recorded.opened, 5_000, "the open event");
}

/** Closes with `code`/`reason` and asserts a clean close echoing the code. */
export async function closeCleanly(recorded: Recorded, code = 1000, reason = ""): Promise<void> {
  recorded.socket.close(code, reason);
  const event = await within(recorded.closed, 5_000, "the close event");
  assert.equal(event.wasClean, true, `wasClean (code ${event.code}, events ${recorded.order})`);
  assert.equal(event.code, code);
}

/** Waits for the close event of a connection that must fail, and checks the WHATWG order. */
export async function failed(recorded: Recorded, ms = 5_000): Promise<{
  close: CloseEventLike;
  error: unknown;
}> {
  const close = await within(recorded.closed, ms, "the close event");
  assert.equal(close.code, 1006, `close code (reason "${close.reason}")`);
  assert.equal(close.wasClean, false);
  assert.equal(recorded.socket.readyState, WebSocket.CLOSED);
  // "When the WebSocket connection is closed ... if [it failed], fire error, then close."
  assert.deepEqual(recorded.order.slice(-2), ["error", "close"], `events: ${recorded.order}`);
  assert.equal(recorded.errors.length, 1);
  return { close, error: recorded.errors[0]!.error };
}

/** Byte `i` of every binary payload, as the peers' `pattern()`: shifted or lost bytes show. */
export function pattern(length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + (i >>> 16)) & 0xff;
  return bytes;
}

/** Asserts that `data` is an `ArrayBuffer` or view holding `pattern(length)`. */
export function assertPattern(data: unknown, length: number): void {
  assert.ok(
    data instanceof ArrayBuffer || data instanceof Uint8Array,
    `expected binary data, got ${typeof data === "string" ? `text "${data.slice(0, 40)}"` : data}`,
  );
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
  assert.equal(bytes.byteLength, length);
  for (let i = 0; i < length; i++) {
    if (bytes[i] !== ((i * 7 + (i >>> 16)) & 0xff)) assert.fail(`byte ${i} of ${length} differs`);
  }
}

const TEXT_PIECES = ["é", "€", "😀", "ü", "漢", "z"];
const TEXT_CYCLE = TEXT_PIECES.join("");
const TEXT_CYCLE_BYTES = 15; // 2 + 3 + 4 + 2 + 3 + 1

/**
 * A text of exactly `bytes` UTF-8 bytes mixing 1- to 4-byte characters, so
 * code points straddle frame and chunk boundaries. Never a peer command.
 */
export function textOfBytes(bytes: number): string {
  let text = TEXT_CYCLE.repeat(Math.floor(bytes / TEXT_CYCLE_BYTES));
  let left = bytes % TEXT_CYCLE_BYTES;
  for (const piece of TEXT_PIECES) {
    const length = new TextEncoder().encode(piece).length;
    if (length > left) break;
    text += piece;
    left -= length;
  }
  return text + "a".repeat(left);
}

/** Opens a WebSocket that must fail, and returns the error of its error event. */
export async function failureOf(url: string, init: Record<string, unknown>): Promise<unknown> {
  const ws = new WebSocket(url, init as WebSocketInit);
  return await within(
    new Promise<unknown>((resolve, reject) => {
      ws.onopen = () => reject(new Error("opened"));
      ws.onerror = (event) => resolve((event as { error?: unknown }).error);
    }),
    10_000,
    `failure of ${url}`,
  );
}
