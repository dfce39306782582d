/**
 * `ReconnectingWebSocket`: the WHATWG `WebSocket` surface (events, `send`,
 * `readyState`, `bufferedAmount`, `close`) over a connection that comes
 * back by itself, following the retry table of `policy.ts` and the backoff
 * of `backoff.ts`.
 *
 * What differs from a plain `WebSocket`, by design:
 * - `open` fires on every (re)connection, with the attempt's number;
 *   `close` fires once, when it gives up or after `close()`.
 * - `attempt` fires before every attempt with its number, delay and cause.
 * - While reconnecting, `readyState` is `CONNECTING` and `send()` queues in
 *   the bounded outbox instead of throwing; what does not fit is reported
 *   by an `error` event (an {@linkcode OutboxError}) before `send()` returns.
 *
 * @module
 */

import { type BinaryType, WebSocket, type WebSocketInit } from "../web/websocket.ts";
import { CloseEvent, type CloseEventLike, ErrorEvent, type ErrorEventLike } from "../web/events.ts";
import { bufferSourceBytes, domSyntaxError } from "../web/_webidl.ts";
import { parseWebSocketUrl } from "../protocol/mod.ts";
import { resolveBackoff } from "./backoff.ts";
import { type AttemptRecord, type Link, ReconnectError, Reconnector } from "./engine.ts";
import type { Disconnect, RetryRule } from "./policy.ts";
import { Outbox, OutboxError, utf8Length } from "./outbox.ts";
import { RECONNECT_OPTIONS, validateOptions, WEBSOCKET_OPTIONS } from "../_options.ts";
import {
  checkSource,
  connectionOptions,
  type ReconnectOptions,
  resolveSource,
  type Source,
} from "./_sources.ts";

const OWNER = "ReconnectingWebSocket";
const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** Options of {@linkcode ReconnectingWebSocket}: those of `WebSocket` plus {@linkcode ReconnectOptions}. */
export interface ReconnectingWebSocketInit
  extends Omit<WebSocketInit, "headers" | "protocols" | "signal">, ReconnectOptions {}

/** Data `send()` accepts. */
export type SendData = string | ArrayBufferLike | ArrayBufferView | Blob;

/**
 * The `attempt` and `open` events: `attempt` before each attempt, `open`
 * when one succeeded.
 */
export class ReconnectEvent extends Event {
  /** The attempt's number, from 1 (see `AttemptRecord.attempt`). */
  readonly attempt: number;
  /** Milliseconds waited before the attempt. */
  readonly delay: number;
  /** What ended the previous attempt or connection; `null` for the first. */
  readonly cause: Disconnect | null;
  /** The retry table's row that allowed the attempt; `null` for the first. */
  readonly rule: RetryRule | null;

  /**
   * Creates the event.
   *
   * @param type `attempt` or `open`.
   * @param record The attempt.
   */
  constructor(type: "attempt" | "open", record: AttemptRecord) {
    super(type);
    this.attempt = record.attempt;
    this.delay = record.delay;
    this.cause = record.cause;
    this.rule = record.rule;
  }
}

/** One attempt over a `WebSocket`. */
class SocketLink implements Link {
  readonly socket: WebSocket;
  readonly opened: Promise<Disconnect | null>;
  readonly ended: Promise<Disconnect>;
  isOpen = false;
  /** Messages that came before the engine handed this link over (with the 101 response). */
  #early: MessageEvent[] = [];
  #deliver: ((event: MessageEvent) => void) | null = null;

  constructor(socket: WebSocket) {
    this.socket = socket;
    let error: unknown = null;
    let resolveOpened!: (value: Disconnect | null) => void;
    let resolveEnded!: (value: Disconnect) => void;
    this.opened = new Promise((resolve) => resolveOpened = resolve);
    this.ended = new Promise((resolve) => resolveEnded = resolve);
    socket.addEventListener("error", (event) => {
      error = (event as ErrorEventLike).error ?? null;
    });
    socket.addEventListener("open", () => {
      this.isOpen = true;
      resolveOpened(null);
    });
    socket.addEventListener("message", (event) => {
      if (this.#deliver === null) this.#early.push(event as MessageEvent);
      else this.#deliver(event as MessageEvent);
    });
    socket.addEventListener("close", (event) => {
      const close = event as CloseEventLike;
      const disconnect: Disconnect = {
        phase: this.isOpen ? "open" : "connecting",
        closeCode: close.code,
        reason: close.reason,
        wasClean: close.wasClean,
        error,
      };
      this.isOpen = false;
      resolveOpened(disconnect);
      resolveEnded(disconnect);
    });
  }

  /**
   * Starts delivering messages, first those that came early.
   *
   * @param deliver Receives each message.
   */
  claim(deliver: (event: MessageEvent) => void): void {
    this.#deliver = deliver;
    const early = this.#early;
    this.#early = [];
    for (const event of early) deliver(event);
  }

  close(code?: number, reason?: string): void {
    if (code === undefined) this.socket.close();
    else this.socket.close(code, reason ?? "");
  }
}

/** An event handler attribute of {@linkcode ReconnectingWebSocket}. */
export type ReconnectingWebSocketHandler =
  | ((this: ReconnectingWebSocket, event: Event) => unknown)
  | null;
type Handler = ReconnectingWebSocketHandler;
type HandlerType = "open" | "message" | "error" | "close" | "attempt";

function sizeOf(data: SendData): number {
  if (typeof data === "string") return utf8Length(data);
  if (typeof Blob !== "undefined" && data instanceof Blob) return data.size;
  return (data as ArrayBufferView).byteLength;
}

/**
 * A `WebSocket` that reconnects: same events, `send`, `readyState`,
 * `bufferedAmount` and `close`, plus an `attempt` event.
 *
 * @example Reconnect to an in-memory echo server
 * ```ts
 * import { ReconnectingWebSocket } from "./reconnecting_websocket.ts";
 * import { createEchoServer } from "../testing.ts";
 * import assert from "node:assert/strict";
 *
 * const server = createEchoServer();
 * const socket = new ReconnectingWebSocket("ws://echo.test/", {
 *   transport: server.connector,
 *   minDelay: 10,
 * });
 * socket.send("queued before open"); // held in the outbox, flushed on open
 * const event = await new Promise<MessageEvent>((resolve) => socket.onmessage = resolve);
 * assert.equal(event.data, "queued before open");
 * socket.close(1000);
 * await new Promise((resolve) => socket.onclose = resolve);
 * ```
 */
export class ReconnectingWebSocket extends EventTarget {
  /** readyState: connecting or waiting to reconnect. */
  static readonly CONNECTING: 0 = CONNECTING;
  /** readyState: a connection is open. */
  static readonly OPEN: 1 = OPEN;
  /** readyState: `close()` was called and the connection is closing. */
  static readonly CLOSING: 2 = CLOSING;
  /** readyState: closed for good (after `close()` or giving up). */
  static readonly CLOSED: 3 = CLOSED;
  /** readyState: connecting or waiting to reconnect. */
  declare readonly CONNECTING: 0;
  /** readyState: a connection is open. */
  declare readonly OPEN: 1;
  /** readyState: `close()` was called and the connection is closing. */
  declare readonly CLOSING: 2;
  /** readyState: closed for good. */
  declare readonly CLOSED: 3;

  #readyState: number = CONNECTING;
  #binaryType: BinaryType = "blob";
  #url: string;
  #engine: Reconnector<SocketLink>;
  #link: SocketLink | null = null;
  #outbox: Outbox<SendData>;
  #closedWhileOpen = false;
  #handlers: Record<HandlerType, Handler> = {
    open: null,
    message: null,
    error: null,
    close: null,
    attempt: null,
  };

  /**
   * Starts connecting.
   *
   * @param url A `ws:`/`wss:` URL, or a function (maybe async) returning one, called on every attempt.
   * @param protocols Subprotocols (or a function returning them), or the options.
   * @param init The options, when `protocols` is given.
   * @throws {DOMException} `SyntaxError` for a bad URL given as a value.
   * @throws {RangeError} For bad backoff or outbox limits.
   * @throws {TypeError} For options of the wrong type.
   */
  constructor(
    url: Source<string | URL>,
    protocols?: Source<string | readonly string[]> | ReconnectingWebSocketInit,
    init: ReconnectingWebSocketInit = {},
  ) {
    super();
    if (
      protocols !== undefined && protocols !== null && typeof protocols === "object" &&
      !Array.isArray(protocols) && !(Symbol.iterator in protocols)
    ) {
      init = protocols as ReconnectingWebSocketInit;
    } else if (protocols !== undefined) {
      init = { ...init, protocols: protocols as Source<string | readonly string[]> };
    }
    checkSource(OWNER, "url", url, ["string", "object"]);
    validateOptions(OWNER, init, { ...WEBSOCKET_OPTIONS, ...RECONNECT_OPTIONS });
    // A URL given as a value fails here, as WebSocket's constructor does.
    this.#url = "";
    if (typeof url !== "function") {
      try {
        this.#url = parseWebSocketUrl(url).href;
      } catch (error) {
        throw domSyntaxError(error);
      }
    }
    const backoff = resolveBackoff(OWNER, init);
    this.#outbox = new Outbox(OWNER, init.outbox ?? {});
    const socketInit = connectionOptions(init) as WebSocketInit;
    const onAttempt = init.onAttempt;
    this.#signal = init.signal;
    this.#engine = new Reconnector<SocketLink>({
      backoff,
      shouldRetry: init.shouldRetry,
      signal: init.signal,
      dial: async () => {
        const first = this.#firstLink;
        this.#firstLink = null;
        if (first !== null) return first;
        const [target, offered, headers] = await Promise.all([
          resolveSource(url),
          resolveSource(init.protocols),
          resolveSource(init.headers),
        ]);
        return this.#open(target, offered, headers, socketInit, init.signal);
      },
      onAttempt: (record) => {
        this.#attemptRecord = record;
        onAttempt?.(record);
        this.dispatchEvent(new ReconnectEvent("attempt", record));
      },
      onAbort: () => {
        // Each WebSocket has the signal too: it fails an attempt and closes an open one with 1001.
        if (this.#readyState === OPEN) this.#closedWhileOpen = true;
        if (this.#readyState < CLOSING) this.#readyState = CLOSING;
      },
    });
    // With nothing to evaluate, the first connection starts now, so that its
    // options are checked here and throw as WebSocket's constructor does.
    if (
      typeof url !== "function" && typeof init.protocols !== "function" &&
      typeof init.headers !== "function"
    ) {
      try {
        this.#firstLink = this.#open(url, init.protocols, init.headers, socketInit, init.signal);
      } catch (error) {
        throw domSyntaxError(error);
      }
    }
    // Start in a microtask, so that listeners added right after construction see the first `attempt`.
    queueMicrotask(() => void this.#run());
  }

  #firstLink: SocketLink | null = null;
  #signal: AbortSignal | undefined;

  #open(
    target: string | URL,
    offered: string | readonly string[] | undefined,
    headers: ReconnectingWebSocketInit["headers"] | undefined,
    socketInit: WebSocketInit,
    signal: AbortSignal | undefined,
  ): SocketLink {
    const socket = new WebSocket(
      target,
      offered === undefined ? [] : typeof offered === "string" ? [offered] : [...offered],
      {
        ...socketInit,
        ...(headers === undefined ? {} : { headers: headers as WebSocketInit["headers"] }),
        ...(signal === undefined ? {} : { signal }),
      },
    );
    socket.binaryType = this.#binaryType;
    this.#url = socket.url;
    return new SocketLink(socket);
  }

  #attemptRecord: AttemptRecord = { attempt: 1, delay: 0, cause: null, rule: null };

  #forward(link: SocketLink, event: MessageEvent): void {
    if (link !== this.#link || this.#readyState !== OPEN) return;
    this.dispatchEvent(new MessageEvent("message", { data: event.data, origin: event.origin }));
  }

  async #run(): Promise<void> {
    let end: Disconnect | null = null;
    try {
      for await (const { link } of this.#engine.connections()) {
        if (this.#readyState !== CONNECTING) {
          link.close();
          continue;
        }
        this.#link = link;
        this.#readyState = OPEN;
        // Flush before `open`, so that what onopen sends follows what was queued.
        for (const data of this.#outbox.take()) link.socket.send(data);
        this.dispatchEvent(new ReconnectEvent("open", this.#attemptRecord));
        link.claim((event) => this.#forward(link, event));
        end = await link.ended;
        this.#link = null;
        if (this.#readyState === OPEN) this.#readyState = CONNECTING;
      }
      this.#finish(this.#closedWhileOpen ? end : null, null);
    } catch (error) {
      if (error instanceof ReconnectError) {
        this.#finish(error.disconnect, error);
      } else if (this.#signal?.aborted === true && error === this.#signal.reason) {
        // The signal aborted: a stop, as close().
        this.#finish(this.#closedWhileOpen ? end : null, null);
      } else {
        // `shouldRetry` or `onAttempt` threw: report it, and stop.
        this.#link?.close();
        this.#finish(null, error);
      }
    }
  }

  #finish(end: Disconnect | null, error: unknown): void {
    this.#readyState = CLOSED;
    this.#link = null;
    if (error !== null) {
      const message = error instanceof Error ? error.message : String(error);
      this.dispatchEvent(new ErrorEvent("error", { message, error }));
    }
    const unsent = this.#outbox.take();
    if (unsent.length > 0) {
      const lost = new OutboxError(
        "UNSENT",
        `Cannot send: ${unsent.length} queued messages were not sent before the close`,
        unsent,
      );
      this.dispatchEvent(new ErrorEvent("error", { message: lost.message, error: lost }));
    }
    this.dispatchEvent(
      new CloseEvent("close", {
        code: end?.closeCode ?? 1006,
        reason: end?.reason ?? "",
        wasClean: end?.wasClean ?? false,
      }),
    );
  }

  /** The URL of the current (or last) attempt; "" before the first when `url` is a function. */
  get url(): string {
    return this.#url;
  }

  /** `CONNECTING` (0) while connecting or waiting to reconnect, `OPEN`, `CLOSING`, `CLOSED`. */
  get readyState(): number {
    return this.#readyState;
  }

  /** The current connection's subprotocol, "" when none is open. */
  get protocol(): string {
    return this.#link?.socket.protocol ?? "";
  }

  /** The current connection's extensions, "" when none is open. */
  get extensions(): string {
    return this.#link?.socket.extensions ?? "";
  }

  /** How binary messages are delivered, as `WebSocket.binaryType`. */
  get binaryType(): BinaryType {
    return this.#binaryType;
  }
  set binaryType(value: BinaryType) {
    if (value !== "blob" && value !== "arraybuffer" && value !== "uint8array") return;
    this.#binaryType = value;
    if (this.#link !== null) this.#link.socket.binaryType = value;
  }

  /** Bytes queued: the outbox's plus the open connection's `bufferedAmount`. */
  get bufferedAmount(): number {
    return this.#outbox.bytes + (this.#link?.socket.bufferedAmount ?? 0);
  }

  /** Messages waiting in the outbox for the next open. */
  get queuedMessages(): number {
    return this.#outbox.length;
  }

  /**
   * Sends a message on the open connection, or queues it in the outbox
   * while reconnecting. A message the outbox refuses (full, or off) is not
   * sent: an `error` event with an {@linkcode OutboxError} is dispatched
   * before `send()` returns. After `close()` or giving up, the same with
   * code `CLOSED`.
   *
   * @param data Text, or bytes as an `ArrayBuffer`, a view or a `Blob`.
   */
  send(data: SendData): void {
    if (arguments.length === 0) {
      throw new TypeError("Cannot send: 1 argument required, but only 0 present");
    }
    const socket = this.#link?.socket;
    if (this.#readyState === OPEN && socket !== undefined && socket.readyState === OPEN) {
      socket.send(data);
      return;
    }
    if (this.#readyState >= CLOSING) {
      this.#refuse(
        new OutboxError("CLOSED", "Cannot send: the ReconnectingWebSocket is closed", [data]),
      );
      return;
    }
    // Copy bytes now, as WebSocket.send() takes them now.
    const held = typeof data === "string" || (typeof Blob !== "undefined" && data instanceof Blob)
      ? data
      : bufferSourceBytes(data as ArrayBuffer).slice();
    const refused = this.#outbox.push(held, sizeOf(held));
    if (refused !== null) this.#refuse(refused);
  }

  #refuse(error: OutboxError): void {
    this.dispatchEvent(new ErrorEvent("error", { message: error.message, error }));
  }

  /**
   * Stops reconnecting and closes the connection; `close` fires once it is
   * closed (code 1006 when no connection was open).
   *
   * @param code 1000 or 3000-4999.
   * @param reason At most 123 bytes of UTF-8.
   * @throws {DOMException} `InvalidAccessError` for another code,
   * `SyntaxError` for a longer reason.
   */
  close(code?: number, reason?: string): void {
    if (code !== undefined && !(code === 1000 || (code >= 3000 && code <= 4999))) {
      throw new DOMException(
        `Cannot close: the code must be 1000 or in 3000-4999, got ${code}`,
        "InvalidAccessError",
      );
    }
    if (reason !== undefined && utf8Length(String(reason)) > 123) {
      throw new DOMException("Cannot close: the reason is longer than 123 bytes", "SyntaxError");
    }
    if (this.#readyState >= CLOSING) return;
    this.#closedWhileOpen = this.#readyState === OPEN;
    this.#readyState = CLOSING;
    this.#engine.stop(code, reason);
    // Not handed to the engine yet (close() right after construction).
    this.#firstLink?.close(code, reason);
    this.#firstLink = null;
  }

  #setHandler(type: HandlerType, handler: Handler): void {
    const had = this.#handlers[type] !== null;
    this.#handlers[type] = typeof handler === "function" ? handler : null;
    if (had === (this.#handlers[type] !== null)) return;
    const listener = this.#listeners[type] ??= (event: Event) =>
      this.#handlers[type]?.call(this, event);
    if (had) this.removeEventListener(type, listener);
    else this.addEventListener(type, listener);
  }

  #listeners: Partial<Record<HandlerType, (event: Event) => void>> = {};

  /** Event handler for `open` (a {@linkcode ReconnectEvent}), on every (re)connection. */
  get onopen(): ((this: ReconnectingWebSocket, event: ReconnectEvent) => unknown) | null {
    return this.#handlers.open;
  }
  set onopen(handler: ((this: ReconnectingWebSocket, event: ReconnectEvent) => unknown) | null) {
    this.#setHandler("open", handler as Handler);
  }
  /** Event handler for `message`. */
  get onmessage(): ((this: ReconnectingWebSocket, event: MessageEvent) => unknown) | null {
    return this.#handlers.message;
  }
  set onmessage(handler: ((this: ReconnectingWebSocket, event: MessageEvent) => unknown) | null) {
    this.#setHandler("message", handler as Handler);
  }
  /** Event handler for `error`: outbox refusals, unsent messages, and giving up. */
  get onerror(): ((this: ReconnectingWebSocket, event: ErrorEventLike) => unknown) | null {
    return this.#handlers.error;
  }
  set onerror(handler: ((this: ReconnectingWebSocket, event: ErrorEventLike) => unknown) | null) {
    this.#setHandler("error", handler as Handler);
  }
  /** Event handler for `close`: once, after `close()` or giving up. */
  get onclose(): ((this: ReconnectingWebSocket, event: CloseEventLike) => unknown) | null {
    return this.#handlers.close;
  }
  set onclose(handler: ((this: ReconnectingWebSocket, event: CloseEventLike) => unknown) | null) {
    this.#setHandler("close", handler as Handler);
  }
  /** Event handler for `attempt` (a {@linkcode ReconnectEvent}), before every attempt. */
  get onattempt(): ((this: ReconnectingWebSocket, event: ReconnectEvent) => unknown) | null {
    return this.#handlers.attempt;
  }
  set onattempt(handler: ((this: ReconnectingWebSocket, event: ReconnectEvent) => unknown) | null) {
    this.#setHandler("attempt", handler as Handler);
  }
}

// As WebSocket's: the readyState constants on the prototype too.
Object.defineProperties(ReconnectingWebSocket.prototype, {
  CONNECTING: { value: CONNECTING, enumerable: true },
  OPEN: { value: OPEN, enumerable: true },
  CLOSING: { value: CLOSING, enumerable: true },
  CLOSED: { value: CLOSED, enumerable: true },
});
