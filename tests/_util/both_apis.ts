/**
 * The two public APIs, `WebSocket` and `WebSocketStream`, behind one
 * handle ({@linkcode openClient}), so most scenarios run with each.
 *
 * @module
 */

import type { CloseEventLike, ErrorEventLike } from "../../src/web/events.ts";
import { WebSocket, type WebSocketInit } from "../../src/web/websocket.ts";
import { WebSocketStream, type WebSocketStreamOptions } from "../../src/web/websocket_stream.ts";
import type { PingOptions } from "../../src/keepalive.ts";

// -------------------------------------------------------- both public APIs

/** The two public APIs; most scenarios run with each. */
export type Api = "WebSocket" | "WebSocketStream";

/** Both APIs, in the order tests are declared. */
export const APIS: readonly Api[] = ["WebSocket", "WebSocketStream"];

/** How a connection ended, in the terms both APIs share. */
export interface Outcome {
  /** The close code (`CloseEvent.code`, `closeCode` of `closed` or of its `WebSocketError`). */
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  /**
   * Why it failed: the `error` event's `error` (WebSocket), or the `cause` of
   * the `WebSocketError` that `closed` rejected with (WebSocketStream);
   * `null` when there was none.
   */
  readonly error: unknown;
  /** What `closed` rejected with (WebSocketStream only; `null` otherwise). */
  readonly rejection: unknown;
  /** Milliseconds from construction to the end. */
  readonly elapsed: number;
}

/** A client of either API, driven the same way. */
export interface ClientHandle {
  readonly api: Api;
  /** Resolves when open; rejects with what `opened` rejected with (or the error event's error). */
  readonly opened: Promise<void>;
  /** Settles once: when `close` fired (WebSocket) or `closed` settled (WebSocketStream). */
  readonly outcome: Promise<Outcome>;
  /** Whether the outcome is known yet. */
  readonly ended: boolean;
  /** Sends a text message. */
  send(text: string): void;
  /** The next text message received. */
  nextText(): Promise<string>;
  /** Closes with a code and reason. */
  close(code?: number, reason?: string): void;
  /** `ping()` of the API. */
  ping(data?: Uint8Array<ArrayBuffer>, options?: PingOptions): Promise<number>;
}

/** Options accepted by both constructors. */
export type ClientOptionsOfBoth = WebSocketInit & WebSocketStreamOptions;

/**
 * Opens a client of `api` on `url`.
 *
 * @param api Which API.
 * @param url The server.
 * @param options Options of either constructor.
 * @returns The handle.
 */
export function openClient(api: Api, url: string, options: ClientOptionsOfBoth = {}): ClientHandle {
  // Each class refuses the other's own options: pass each only its own.
  const { maxBufferedAmount, readableHighWaterMark, writableHighWaterMark, ...common } = options;
  return api === "WebSocket"
    ? openWebSocket(url, {
      ...common,
      ...(maxBufferedAmount === undefined ? {} : { maxBufferedAmount }),
    })
    : openStream(url, {
      ...common,
      ...(readableHighWaterMark === undefined ? {} : { readableHighWaterMark }),
      ...(writableHighWaterMark === undefined ? {} : { writableHighWaterMark }),
    });
}

function openWebSocket(url: string, options: ClientOptionsOfBoth): ClientHandle {
  const started = performance.now();
  const socket = new WebSocket(url, options);
  const texts: string[] = [];
  const waiting: ((text: string) => void)[] = [];
  let failure: unknown = null;
  let ended = false;
  socket.addEventListener("message", (event) => {
    const data = (event as MessageEvent).data;
    if (typeof data !== "string") return;
    const waiter = waiting.shift();
    if (waiter) waiter(data);
    else texts.push(data);
  });
  socket.addEventListener("error", (event) => {
    failure = (event as ErrorEventLike).error ?? new Error((event as ErrorEventLike).message);
  });
  const outcome = new Promise<Outcome>((resolve) => {
    socket.addEventListener("close", (event) => {
      ended = true;
      const { code, reason, wasClean } = event as CloseEventLike;
      resolve({
        code,
        reason,
        wasClean,
        error: failure,
        rejection: null,
        elapsed: performance.now() - started,
      });
    });
  });
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve());
    void outcome.then((result) => reject(result.error ?? new Error("closed before opening")));
  });
  opened.catch(() => {});
  return {
    api: "WebSocket",
    opened,
    outcome,
    get ended() {
      return ended;
    },
    send: (text) => socket.send(text),
    nextText() {
      const text = texts.shift();
      return text !== undefined
        ? Promise.resolve(text)
        : new Promise((resolve) => waiting.push(resolve));
    },
    close: (code, reason) => socket.close(code, reason),
    ping: (data, pingOptions) => socket.ping(data, pingOptions),
  };
}

function openStream(url: string, options: ClientOptionsOfBoth): ClientHandle {
  const started = performance.now();
  const socket = new WebSocketStream(url, options);
  let ended = false;
  let writer: WritableStreamDefaultWriter<string | BufferSource> | null = null;
  let reader: ReadableStreamDefaultReader<string | Uint8Array> | null = null;
  const outcome: Promise<Outcome> = socket.closed.then(
    ({ closeCode, reason }) => ({
      code: closeCode,
      reason,
      wasClean: true,
      error: null,
      rejection: null,
      elapsed: performance.now() - started,
    }),
    (rejection: unknown) => {
      const error = rejection as { closeCode?: number | null; reason?: string; cause?: unknown };
      return {
        code: error?.closeCode ?? 0,
        reason: error?.reason ?? "",
        wasClean: false,
        error: error?.cause ?? rejection,
        rejection,
        elapsed: performance.now() - started,
      };
    },
  ).finally(() => {
    ended = true;
  });
  const opened = socket.opened.then(({ readable, writable }) => {
    writer = writable.getWriter();
    reader = readable.getReader();
  });
  opened.catch(() => {});
  return {
    api: "WebSocketStream",
    opened,
    outcome,
    get ended() {
      return ended;
    },
    send(text) {
      writer!.write(text).catch(() => {});
    },
    async nextText() {
      const { value, done } = await reader!.read();
      if (done || typeof value !== "string") throw new Error("Cannot read: no text message came");
      return value;
    },
    close(code, reason) {
      socket.close({
        ...(code === undefined ? {} : { closeCode: code }),
        ...(reason === undefined ? {} : { reason }),
      });
    },
    ping: (data, pingOptions) => socket.ping(data, pingOptions),
  };
}
