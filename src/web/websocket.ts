/**
 * A drop-in WHATWG `WebSocket` over wsport's own protocol code:
 * https://websockets.spec.whatwg.org/#the-websocket-interface
 *
 * @module
 */

import { type ClientOptions, type ClientRun, closeCause, startClient } from "../client.ts";
import type { Driver } from "../driver.ts";
import type { ConnectionEvent } from "../protocol/connection/events.ts";
import { Deque } from "../protocol/encoding/deque.ts";
import type { HandshakeResult } from "../protocol/handshake/handshake.ts";
import { encodeUtf8 } from "../protocol/encoding/utf8.ts";
import {
  CloseEvent,
  type CloseEventLike,
  DirectCloseEvent,
  DirectEvent,
  DirectMessageEvent,
  ErrorEvent,
  type ErrorEventLike,
  type MessageData,
  type MessageEventLike,
  WebSocketMessageEvent,
} from "./events.ts";
import type { PingOptions } from "../keepalive.ts";
import { closeFailure, validateClose } from "./websocket_error.ts";
import {
  type BufferSource,
  bufferSourceBytes,
  clampUnsignedShort,
  domSyntaxError,
} from "./_webidl.ts";
import { ownerError, validateOptions, WEBSOCKET_OPTIONS } from "../_options.ts";
import { copyToArrayBuffer } from "../transport/select.ts";

/** Options of {@linkcode WebSocket}: the browser's `protocols` plus what browsers cannot do. */
export interface WebSocketInit extends ClientOptions {
  /** Subprotocols to offer, as the constructor's second argument. */
  readonly protocols?: string | readonly string[];
  /**
   * The most bytes `send()` may queue (see `bufferedAmount`). A `send()`
   * past it "flags the WebSocket as full" (WHATWG): the connection is
   * failed: a close frame with 1008 is queued behind the unsent data (so it
   * reaches the server only if that drains), the transport is closed, an `error`
   * event with a `QuotaExceededError` and a `close` event with 1006 follow.
   * Nothing is dropped silently. 64 MiB, the default message limit.
   * @default 67108864
   */
  readonly maxBufferedAmount?: number;
}

/** The default of {@linkcode WebSocketInit.maxBufferedAmount}. */
export const DEFAULT_MAX_BUFFERED_AMOUNT = 64 * 1024 * 1024;

/**
 * The value of {@linkcode WebSocket.binaryType}: the WHATWG "blob" and
 * "arraybuffer", and "uint8array" (as in Bun; not in the WHATWG standard),
 * which hands out views of the received bytes without copying them.
 */
export type BinaryType = "blob" | "arraybuffer" | "uint8array";

/** An event handler attribute's value (`onopen`, `onerror`, …). */
export type WebSocketEventHandler = ((this: WebSocket, event: Event) => unknown) | null;

/**
 * The events of {@linkcode WebSocket} by type, as lib.dom's
 * `WebSocketEventMap`: `addEventListener("message", (event) => event.data)`
 * gets a {@linkcode MessageEventLike}, `"error"` an {@linkcode ErrorEventLike}
 * whose `error` is the cause, `"close"` a {@linkcode CloseEventLike}.
 */
export interface WebSocketEventMap {
  /** The connection opened. */
  open: Event;
  /** A message arrived. */
  message: MessageEventLike;
  /** The connection failed; `error` is the cause. */
  error: ErrorEventLike;
  /** The connection closed. */
  close: CloseEventLike;
}

/** A listener of {@linkcode WebSocket} events of type `K`. */
export type WebSocketEventListener<K extends keyof WebSocketEventMap> = (
  this: WebSocket,
  event: WebSocketEventMap[K],
) => unknown;

const CONNECTING = 0 as const;
const OPEN = 1 as const;
const CLOSING = 2 as const;
const CLOSED = 3 as const;
const NO_COMPRESSION = { compress: false } as const;

/** The event types that have a handler attribute (`onopen`, …). */
type HandlerType = "open" | "message" | "error" | "close";
/** One bit per handler type, for the sets of types kept in a number. */
const HANDLER_BITS: Readonly<Record<HandlerType, number>> = Object.freeze({
  __proto__: null,
  open: 1,
  message: 2,
  error: 4,
  close: 8,
} as Record<HandlerType, number>);

/**
 * The WHATWG `WebSocket`, running on wsport's transports and protocol core
 * on Deno, Bun and Node alike.
 *
 * @example Echo through an in-memory server
 * ```ts
 * import { WebSocket } from "../../mod.ts";
 * import { createEchoServer } from "../testing.ts";
 * import assert from "node:assert/strict";
 *
 * const server = createEchoServer();
 * const socket = new WebSocket("ws://echo.test/", { transport: server.connector });
 * const reply = new Promise((resolve) => socket.onmessage = (event) => resolve(event.data));
 * socket.onopen = () => socket.send("hello");
 * assert.equal(await reply, "hello");
 * socket.close();
 * await new Promise((resolve) => socket.onclose = resolve);
 * ```
 */
export class WebSocket extends EventTarget {
  /** readyState: the connection is not yet open. */
  declare static readonly CONNECTING: typeof CONNECTING;
  /** readyState: the connection is open and ready to communicate. */
  declare static readonly OPEN: typeof OPEN;
  /** readyState: the connection is going through the closing handshake. */
  declare static readonly CLOSING: typeof CLOSING;
  /** readyState: the connection is closed or could not be opened. */
  declare static readonly CLOSED: typeof CLOSED;
  /** readyState: the connection is not yet open. */
  declare readonly CONNECTING: 0;
  /** readyState: the connection is open and ready to communicate. */
  declare readonly OPEN: 1;
  /** readyState: the connection is going through the closing handshake. */
  declare readonly CLOSING: 2;
  /** readyState: the connection is closed or could not be opened. */
  declare readonly CLOSED: 3;

  #url: string;
  /** MessageEvent's origin, made at the first message event. */
  #originText: string | null = null;
  #readyState: number = CONNECTING;
  #protocol = "";
  #extensions = "";
  #binaryType: BinaryType = "blob";
  #run: ClientRun;
  #driver: Driver | null = null;
  #failure: unknown = null;
  /** The cause of a failure, once the connection failed; its `error` event is fired once. */
  #failError: unknown = null;
  #errorFired = false;
  #discardedBytes = 0;
  #blobQueue: Promise<void> | null = null;
  #queuedBytes = 0;
  #maxBufferedAmount: number;
  /**
   * Sent messages whose frames may not all be written yet: wire and
   * application sizes; made by the first send. A deque: a burst of small sends leaves tens of
   * thousands here, and `Array#shift` would make each removal O(n) on V8.
   */
  #outstanding: Deque<{ wire: number; application: number }> | null = null;
  #outstandingWire = 0;
  #outstandingApplication = 0;
  /** The async iterators reading messages; made by the first one. */
  #iterators: Set<MessageIterator> | null = null;
  #handlers: Record<HandlerType, WebSocketEventHandler> = {
    open: null,
    message: null,
    error: null,
    close: null,
  };

  /**
   * Opens a connection: https://websockets.spec.whatwg.org/#dom-websocket-websocket
   *
   * @param url A `ws:`, `wss:`, `http:` or `https:` URL.
   * @param protocols A subprotocol, a list of them, or a {@linkcode WebSocketInit}.
   * @param init Options beyond the browser's, when `protocols` is a list.
   * @throws {DOMException} `SyntaxError` for a bad URL or subprotocol list.
   * @throws {TypeError} For bad or forbidden headers.
   * @throws {RangeError} For bad limits or timeouts.
   */
  constructor(
    url: string | URL,
    protocols?: string | readonly string[] | WebSocketInit,
    init: WebSocketInit = {},
  ) {
    super();
    if (arguments.length === 0) {
      throw new TypeError("Cannot create WebSocket: 1 argument required, but only 0 present");
    }
    // undici's WebSocketInit: the second argument may be the options object.
    if (
      protocols !== undefined && protocols !== null && typeof protocols === "object" &&
      !Array.isArray(protocols) &&
      !(Symbol.iterator in protocols)
    ) {
      init = protocols as WebSocketInit;
      protocols = init.protocols;
    }
    // Every option, before anything else: its type and range, unknown ones refused.
    validateOptions("WebSocket", init, WEBSOCKET_OPTIONS);
    init ??= {};
    this.#maxBufferedAmount = init.maxBufferedAmount ?? DEFAULT_MAX_BUFFERED_AMOUNT;
    // Step 3: a single string is a list of one.
    // (WebIDL: anything but a sequence converts to one DOMString, null too.)
    const list = protocols === undefined
      ? []
      : protocols === null || typeof protocols !== "object"
      ? [String(protocols)]
      : [...(protocols as Iterable<string>)].map(String);
    // Steps 1-2, 4 (URL record, scheme, fragment) and 5-6 (subprotocol
    // tokens, duplicates) are checked by the protocol core; its SyntaxErrors
    // become the DOMException the spec names.
    try {
      this.#run = startClient(
        String(url),
        list,
        // Only a signal can abort after open: without one, the options go as they are.
        init.signal === undefined
          ? init
          : { ...init, onAbortAfterOpen: () => this.#closeWith(1001, "") },
        (event) => this.#onEvent(event),
        (reason) => {
          this.#failure = reason;
        },
      );
    } catch (error) {
      throw domSyntaxError(ownerError(error, "WebSocket"));
    }
    // Step 7: set url to the URL record (serialized with ws:/wss:).
    this.#url = this.#run.connection.url.href;
    this.#run.driver.then((driver) => {
      this.#driver = driver;
      driver.start();
    }, () => {});
  }

  /** The URL, serialized: https://websockets.spec.whatwg.org/#dom-websocket-url */
  get url(): string {
    return this.#url;
  }

  /** The state: https://websockets.spec.whatwg.org/#dom-websocket-readystate */
  get readyState(): number {
    return this.#readyState;
  }

  /** The subprotocol the server chose, "" if none: https://websockets.spec.whatwg.org/#dom-websocket-protocol */
  get protocol(): string {
    return this.#protocol;
  }

  /** The extensions the server accepted, "" if none: https://websockets.spec.whatwg.org/#dom-websocket-extensions */
  get extensions(): string {
    return this.#extensions;
  }

  /** The handshake response (status, headers, subprotocol, extensions) once open, else `null`. */
  get handshake(): HandshakeResult | null {
    return this.#run.connection.handshake;
  }

  /**
   * How binary messages are exposed: https://websockets.spec.whatwg.org/#dom-websocket-binarytype
   * "blob" (the default) and "arraybuffer" as the standard says; "uint8array"
   * (as Bun has it, not in the WHATWG standard) gives a `Uint8Array` that is
   * a view of the received bytes, not a copy: the fastest way to receive.
   * Its `buffer` may hold the bytes of other messages of the same
   * connection around it; `slice()` it to keep a message apart. Setting any
   * other value is ignored (WebIDL enum).
   *
   * @example Receiving views
   * ```ts
   * import { WebSocket } from "../../mod.ts";
   * import { createEchoServer } from "../testing.ts";
   * import assert from "node:assert/strict";
   *
   * const server = createEchoServer();
   * const socket = new WebSocket("ws://echo.test/", { transport: server.connector });
   * socket.binaryType = "uint8array";
   * const reply = new Promise((resolve) => socket.onmessage = (event) => resolve(event.data));
   * socket.onopen = () => socket.send(new Uint8Array([1, 2, 3]));
   * assert.deepEqual(await reply, new Uint8Array([1, 2, 3]));
   * socket.close();
   * ```
   */
  get binaryType(): BinaryType {
    return this.#binaryType;
  }

  set binaryType(value: BinaryType) {
    if (value === "blob" || value === "arraybuffer" || value === "uint8array") {
      this.#binaryType = value;
    }
  }

  /**
   * Bytes queued by `send()` and not yet handed to the network:
   * https://websockets.spec.whatwg.org/#dom-websocket-bufferedamount
   * (application data only: frame headers and the control frames the
   * connection sends itself are not counted).
   */
  get bufferedAmount(): number {
    return this.#queuedBytes + this.#discardedBytes + this.#unsentApplicationBytes();
  }

  /**
   * The application bytes of sent messages not yet handed to the network:
   * the driver knows the unsent wire bytes (frames), which are the tail of
   * what was sent, in order; the header bytes of each frame are left out
   * ("does not include framing overhead").
   */
  #unsentApplicationBytes(): number {
    const sends = this.#outstanding;
    // Made by the first send (an idle socket that never sent has none).
    if (sends === null) return 0;
    const pending = this.#driver?.bufferedAmount ?? 0;
    // Drop the sends whose frames are all written.
    let first = sends.peek();
    while (first !== undefined && this.#outstandingWire - first.wire >= pending) {
      sends.shift();
      this.#outstandingWire -= first.wire;
      this.#outstandingApplication -= first.application;
      first = sends.peek();
    }
    if (first === undefined) return 0;
    // The oldest send may be partly written: its header goes first.
    const written = Math.max(0, this.#outstandingWire - pending);
    const header = first.wire - first.application;
    return this.#outstandingApplication - Math.max(0, written - header);
  }

  /**
   * Sends a message: https://websockets.spec.whatwg.org/#dom-websocket-send
   *
   * @param data Text, or bytes as an `ArrayBuffer`, a view or a `Blob`.
   * @param options Beyond the spec: `{ compress: false }` sends this message
   * uncompressed even when permessage-deflate is in use (as ws's `send`).
   * @throws {DOMException} `InvalidStateError` while connecting.
   */
  send(
    data: string | ArrayBufferLike | ArrayBufferView | Blob,
    options?: { readonly compress?: boolean },
  ): void {
    if (arguments.length === 0) {
      throw new TypeError("Cannot send: 1 argument required, but only 0 present");
    }
    // Step 1: "If this's ready state is CONNECTING, then throw an InvalidStateError".
    if (this.#readyState === CONNECTING) {
      throw new DOMException(
        "Cannot send: the connection is still connecting",
        "InvalidStateError",
      );
    }
    const isBlob = typeof Blob !== "undefined" && data instanceof Blob;
    const isText = !isBlob && (typeof data === "string" ||
      !(data instanceof ArrayBuffer || ArrayBuffer.isView(data) ||
        (typeof SharedArrayBuffer !== "undefined" && data instanceof SharedArrayBuffer)));
    if (this.#readyState !== OPEN) {
      // Steps 2-4 when CLOSING or CLOSED: "increase the bufferedAmount
      // attribute by the length of data" — and send nothing.
      this.#discardedBytes += isBlob
        ? (data as Blob).size
        : isText
        ? encodeUtf8(String(data)).length
        : bufferSourceBytes(data as ArrayBuffer).length;
      return;
    }
    const compress = options?.compress !== false;
    if (isBlob) {
      this.#sendBlob(data as Blob, compress);
      return;
    }
    const bytes = isText ? encodeUtf8(String(data)) : bufferSourceBytes(data as ArrayBuffer);
    if (this.#blobQueue !== null) {
      // Keep message order behind a Blob that is still being read.
      const copy = bytes.slice();
      this.#queuedBytes += copy.length;
      this.#chain(() => {
        this.#queuedBytes -= copy.length;
        this.#transmit(copy, isText, compress);
      });
      return;
    }
    this.#transmit(bytes, isText, compress);
  }

  /** Runs `step` after every send still waiting for a Blob to be read. */
  #chain(step: () => void | Promise<void>): void {
    const next = (this.#blobQueue ?? Promise.resolve()).then(step).catch(() => {});
    this.#blobQueue = next;
    void next.then(() => {
      if (this.#blobQueue === next) this.#blobQueue = null;
    });
  }

  #sendBlob(blob: Blob, compress: boolean): void {
    this.#queuedBytes += blob.size;
    this.#chain(() =>
      blob.arrayBuffer().then((buffer) => {
        this.#queuedBytes -= blob.size;
        this.#transmit(new Uint8Array(buffer), false, compress);
      }, () => {
        this.#queuedBytes -= blob.size;
      })
    );
  }

  /** Steps 2-4 of send(): frame the data if open, else count it as buffered and drop it. */
  #transmit(bytes: Uint8Array, isText: boolean, compress = true): void {
    const driver = this.#driver;
    // Sends queued behind a Blob go out even if close() was called since:
    // the close frame is queued behind them (see close()).
    if (driver === null || driver.connection.state !== "open") {
      // "increase the bufferedAmount attribute by the length of data" — it is never sent.
      this.#discardedBytes += bytes.length;
      return;
    }
    if (this.bufferedAmount + bytes.length > this.#maxBufferedAmount) {
      // "If the data cannot be sent, e.g. because it would need to be buffered
      // but the buffer is full, the user agent must flag the WebSocket as full
      // and then close the WebSocket connection."
      this.#failure = new DOMException(
        `Cannot send: ${bytes.length} more bytes would exceed maxBufferedAmount (${this.#maxBufferedAmount})`,
        "QuotaExceededError",
      );
      this.#discardedBytes += bytes.length;
      driver.act((connection) => connection.fail(1008, "send queue full"));
      driver.abort();
      return;
    }
    const wire = driver.send((connection) =>
      isText
        ? connection.sendText(bytes, true, compress ? undefined : NO_COMPRESSION)
        : connection.sendBinary(bytes, true, compress ? undefined : NO_COMPRESSION)
    );
    (this.#outstanding ??= new Deque()).push({ wire, application: bytes.length });
    this.#outstandingWire += wire;
    this.#outstandingApplication += bytes.length;
  }

  /**
   * Closes the connection: https://websockets.spec.whatwg.org/#dom-websocket-close
   *
   * @param code 1000 or 3000-4999.
   * @param reason At most 123 UTF-8 bytes.
   * @throws {DOMException} `InvalidAccessError` for another code, `SyntaxError` for a long reason.
   */
  close(code?: number, reason?: string): void {
    // Steps 1-2: "If code is present, but is neither an integer equal to 1000
    // nor an integer in the range 3000 to 4999, inclusive, throw an
    // InvalidAccessError"; "If reasonBytes is longer than 123 bytes, then
    // throw a SyntaxError". The code is `optional [Clamp] unsigned short`.
    const checked = validateClose(
      code === undefined ? null : clampUnsignedShort(code),
      reason === undefined ? "" : String(reason),
    );
    // Step 3: "If this's ready state is CLOSING or CLOSED, do nothing".
    if (this.#readyState === CLOSING || this.#readyState === CLOSED) return;
    if (this.#readyState === CONNECTING) {
      // "Fail the WebSocket connection and set this's ready state to CLOSING."
      this.#readyState = CLOSING;
      this.#run.abort(
        new DOMException("Cannot open connection: closed before it opened", "AbortError"),
      );
      return;
    }
    this.#closeWith(checked.code ?? undefined, checked.reason);
  }

  /** "Start the WebSocket closing handshake ... set this's ready state to CLOSING." */
  #closeWith(code: number | undefined, text: string): void {
    if (this.#readyState !== OPEN) return;
    this.#readyState = CLOSING;
    const start = () =>
      this.#driver!.act((connection) => {
        if (connection.state === "open") {
          connection.sendClose(code, text);
        }
      });
    // Messages sent before close() and still waiting for a Blob go first.
    if (this.#blobQueue !== null) this.#chain(start);
    else start();
  }

  /**
   * Sends a ping and resolves with the round-trip time in milliseconds when
   * its pong arrives. Not in the WHATWG API.
   *
   * @param data At most 125 bytes; a unique payload by default.
   * @param options `timeout` (default `pongTimeout`) and `signal` for the wait.
   * @returns The round-trip time.
   */
  ping(data?: BufferSource, options?: PingOptions): Promise<number> {
    if (this.#readyState !== OPEN) {
      return Promise.reject(
        new DOMException("Cannot ping: the connection is not open", "InvalidStateError"),
      );
    }
    const bytes = data === undefined ? undefined : bufferSourceBytes(data as ArrayBuffer).slice();
    return this.#run.heartbeat.ping(bytes, options);
  }

  /**
   * Iterates over received messages (as `message` events carry them) until
   * the connection closes: it ends after a clean close and throws a
   * `WebSocketError` (with `closeCode` and `reason`) after an abnormal one.
   * Messages are buffered from the moment the iterator is created.
   *
   * @returns The iterator.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<MessageData> {
    const iterator = new MessageIterator(() => this.#iterators?.delete(iterator));
    if (this.#readyState === CLOSED) iterator.end(null);
    else (this.#iterators ??= new Set()).add(iterator);
    return iterator;
  }

  /** Closes the connection (1000) and waits for the close event. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#readyState === CLOSED) return;
    const closed = new Promise((resolve) =>
      this.addEventListener("close", resolve, { once: true })
    );
    this.close(this.#readyState === CONNECTING ? undefined : 1000);
    await closed;
  }

  #onEvent(event: ConnectionEvent): void {
    switch (event.type) {
      case "open":
        // https://websockets.spec.whatwg.org/#feedback-from-the-protocol "When the WebSocket connection is established"
        if (this.#readyState !== CONNECTING) return; // close() was called: the close event follows
        this.#readyState = OPEN;
        this.#protocol = event.handshake.protocol;
        this.#extensions = event.handshake.extensionsHeader;
        if (this.#isOnlyHandler("open")) {
          this.#callHandler(this.#handlers.open!, new DirectEvent("open", this));
        } else {
          this.dispatchEvent(new Event("open"));
        }
        return;
      case "message":
        // "When a WebSocket message has been received": "If ready state is not OPEN, then return."
        if (this.#readyState !== OPEN) return;
        {
          const data = this.#messageData(event.data);
          if (this.#iterators !== null && this.#iterators.size > 0) {
            for (const iterator of this.#iterators) iterator.push(data as MessageData);
          }
          if (this.#messageListeners !== 0) {
            this.dispatchEvent(new WebSocketMessageEvent(data, this.#origin));
          } else if (this.#handlers.message !== null) {
            this.#dispatchToHandler(this.#handlers.message, data);
          }
          // No listener at all: a dispatch would not be observable.
        }
        return;
      case "closing":
        // "When the WebSocket closing handshake is started, ... set ready state to CLOSING".
        this.#readyState = CLOSING;
        return;
      case "fail": {
        // The connection failed (protocol error, limit, bad UTF-8, keepalive,
        // full queue): `error` is reported now, as a task of its own (this may
        // run inside send()); `close` follows when the transport ends, which a
        // peer that ignores our close frame can delay up to `closeTimeout`.
        if (this.#readyState === OPEN) this.#readyState = CLOSING;
        const error = closeCause(this.#failure, event.error, this.#driver?.transportError);
        if (error !== null && this.#failError === null) {
          this.#failError = error;
          queueMicrotask(() => this.#fireError(error));
        }
        return;
      }
      case "close": {
        // "When the WebSocket connection is closed": CLOSED, then error if failed, then close.
        this.#readyState = CLOSED;
        // A local failure (timeout, abort, full queue) is the cause; the core only
        // saw its effect (the transport ending).
        const error = this.#failError ??
          closeCause(this.#failure, event.error, this.#driver?.transportError);
        // Fired now unless it was at the failure (if still queued, it goes before `close`).
        if (!event.wasClean && error !== null) this.#fireError(error);
        const init = { wasClean: event.wasClean, code: event.code, reason: event.reason };
        if (this.#isOnlyHandler("close")) {
          this.#callHandler(this.#handlers.close!, new DirectCloseEvent(this, init));
        } else {
          this.dispatchEvent(new CloseEvent("close", init));
        }
        for (const iterator of this.#iterators ?? []) {
          iterator.end(
            event.wasClean ? null : closeFailure(
              error,
              event.code,
              event.reason,
              `Connection closed abnormally with code ${event.code}`,
            ),
          );
        }
        this.#iterators = null;
        return;
      }
      default:
        return;
    }
  }

  #fireError(error: unknown): void {
    if (this.#errorFired) return;
    this.#errorFired = true;
    const message = error instanceof Error ? error.message : String(error);
    this.dispatchEvent(new ErrorEvent("error", { message, error }));
  }

  /**
   * Listeners of `message` other than `onmessage`, as `[listener, capture]`
   * keys (see {@linkcode WebSocket.addEventListener}); their count is kept in
   * `#messageListeners`. `null` until the first one.
   */
  #otherMessageListeners: Set<string | object> | null = null;
  #messageListeners = 0;

  /** MessageEvent's origin: "the serialization of url's origin" (ws://host:port). */
  get #origin(): string {
    return this.#originText ??= new URL(this.#url).origin;
  }

  /**
   * "Fire an event named message" when `onmessage` is the only listener:
   * calls it as the dispatch would (`this` is the socket, the event is at
   * its target), and reports what it throws as the dispatch does, without
   * stopping the connection.
   */
  #dispatchToHandler(handler: NonNullable<WebSocketEventHandler>, data: unknown): void {
    this.#callHandler(handler, new DirectMessageEvent(data, this.#origin, this));
  }

  /**
   * Whether the `on…` handler of `type` is set and is the only listener of
   * its type (no other listener was ever added, and the handler is not in
   * the `EventTarget`): its event can then be handed to it directly.
   */
  #isOnlyHandler(type: HandlerType): boolean {
    const bit = HANDLER_BITS[type];
    return ((this.#otherListeners | this.#inTarget) & bit) === 0 && this.#handlers[type] !== null;
  }

  /**
   * "Fire an event" when the handler is the only listener of its type (see
   * {@linkcode WebSocket.#isOnlyHandler}): calls it as the dispatch would
   * (`this` is the socket, the event is at its target), and reports what it
   * throws as the dispatch does.
   */
  #callHandler(
    handler: NonNullable<WebSocketEventHandler>,
    event: DirectEvent | DirectMessageEvent,
  ): void {
    try {
      handler.call(this, event as unknown as Event);
    } catch (error) {
      reportListenerError(error);
    } finally {
      event.finish();
    }
  }

  #messageData(data: string | Uint8Array): unknown {
    if (typeof data === "string") return data;
    // The core hands out a view that nothing writes to or reads again.
    if (this.#binaryType === "uint8array") return data;
    if (this.#binaryType === "blob") return new Blob([data as Uint8Array<ArrayBuffer>]);
    const { buffer, byteOffset, byteLength } = data;
    if (byteOffset === 0 && byteLength === buffer.byteLength) return buffer;
    // A view of part of a received chunk is copied into a buffer of its own
    // (not zeroed first when large).
    return copyToArrayBuffer(data);
  }

  /**
   * Event handler attributes (HTML §8.1.8.1): one listener per type, in the
   * position the handler had when it was first set. The listener is put in
   * the `EventTarget` only when that position matters: before another
   * listener of its type is added (so that one comes after it), and while an
   * event of its type is dispatched. An idle socket whose only listeners are
   * its `on…` handlers (the common case) holds no listener objects at all.
   * Removed when set to a non-function.
   */
  #setHandler(type: HandlerType, handler: WebSocketEventHandler): void {
    const had = this.#handlers[type] !== null;
    this.#handlers[type] = typeof handler === "function" ? handler : null;
    if (had === (this.#handlers[type] !== null)) return;
    const bit = HANDLER_BITS[type];
    if (had) {
      if ((this.#inTarget & bit) !== 0) this.#removeHandlerListener(type);
    } else if ((this.#otherListeners & bit) !== 0) {
      // Other listeners came first: the handler goes after them, now.
      this.#addHandlerListener(type);
    }
  }

  #addHandlerListener(type: HandlerType): void {
    // Made when needed (most sockets never need one), dropped when taken out.
    const listeners = this.#handlerListeners ??= {};
    const listener = listeners[type] ??= (event: Event) => this.#handlers[type]?.call(this, event);
    this.#inTarget |= HANDLER_BITS[type];
    super.addEventListener(type, listener);
  }

  #removeHandlerListener(type: HandlerType): void {
    const listeners = this.#handlerListeners!;
    super.removeEventListener(type, listeners[type]!);
    listeners[type] = undefined;
    this.#inTarget &= ~HANDLER_BITS[type];
    if (this.#inTarget === 0) this.#handlerListeners = null;
  }

  /**
   * The types (bits of `HANDLER_BITS`) whose handler listener is in the
   * `EventTarget` now.
   */
  #inTarget = 0;
  /**
   * The types that ever had another listener added: their handler listener
   * stays in the `EventTarget` to keep its place among them.
   */
  #otherListeners = 0;

  #handlerListeners: Partial<Record<HandlerType, ((event: Event) => void) | undefined>> | null =
    null;

  /**
   * Dispatches an event as `EventTarget` does; the handler of its type, if
   * set and not yet among the listeners, is put there for the dispatch
   * (it is the only listener of its type then, so its place is the first)
   * and taken out again afterwards unless another listener was added.
   *
   * @param event The event.
   * @returns `false` if the event was cancelable and a listener canceled it.
   */
  override dispatchEvent(event: Event): boolean {
    const type = event?.type;
    const bit = typeof type === "string" && Object.hasOwn(HANDLER_BITS, type)
      ? HANDLER_BITS[type as HandlerType]
      : 0;
    if (bit === 0 || (this.#inTarget & bit) !== 0 || this.#handlers[type as HandlerType] === null) {
      return super.dispatchEvent(event);
    }
    this.#addHandlerListener(type as HandlerType);
    try {
      return super.dispatchEvent(event);
    } finally {
      if ((this.#inTarget & bit) !== 0 && (this.#otherListeners & bit) === 0) {
        this.#removeHandlerListener(type as HandlerType);
      }
    }
  }

  /**
   * Adds a listener, typed by {@linkcode WebSocketEventMap} for the
   * WebSocket's own events. (The other types are taken from `EventTarget`,
   * so that the declarations need no DOM lib.)
   *
   * @param type The event type.
   * @param listener Called with the event.
   * @param options `once`, `signal`, … as for any `EventTarget`.
   */
  override addEventListener<K extends keyof WebSocketEventMap>(
    type: K,
    listener: WebSocketEventListener<K> | null,
    options?: Parameters<EventTarget["addEventListener"]>[2],
  ): void;
  /**
   * The same for any other event type, untyped as on `EventTarget`.
   *
   * @param type The event type.
   * @param listener Called with the event.
   * @param options As for any `EventTarget`.
   */
  override addEventListener(
    type: string,
    listener: Parameters<EventTarget["addEventListener"]>[1],
    options?: Parameters<EventTarget["addEventListener"]>[2],
  ): void;
  override addEventListener(
    type: string,
    listener: Parameters<EventTarget["addEventListener"]>[1],
    options?: Parameters<EventTarget["addEventListener"]>[2],
  ): void {
    const name = String(type);
    if (listener !== null && listener !== undefined && Object.hasOwn(HANDLER_BITS, name)) {
      // The handler, if set, was set before this listener: it keeps its place first.
      const bit = HANDLER_BITS[name as HandlerType];
      this.#otherListeners |= bit;
      if (this.#handlers[name as HandlerType] !== null && (this.#inTarget & bit) === 0) {
        this.#addHandlerListener(name as HandlerType);
      }
    }
    // `message` listeners are counted: while `onmessage` is the only one,
    // messages are handed to it without a dispatch (see DirectMessageEvent).
    if (listener !== null && listener !== undefined && name === "message") {
      // A listener removed by `once` or `signal` stays counted: the
      // dispatch then stays the general one, which is always right.
      const keys = this.#otherMessageListeners ??= new Set();
      keys.add(listenerKey(listener, options));
      this.#messageListeners = keys.size;
    }
    super.addEventListener(type, listener, options);
  }

  /**
   * Removes a listener added with {@linkcode WebSocket.addEventListener}.
   *
   * @param type The event type.
   * @param listener The listener.
   * @param options `capture`, as when it was added.
   */
  override removeEventListener<K extends keyof WebSocketEventMap>(
    type: K,
    listener: WebSocketEventListener<K> | null,
    options?: Parameters<EventTarget["removeEventListener"]>[2],
  ): void;
  /**
   * The same for any other event type, untyped as on `EventTarget`.
   *
   * @param type The event type.
   * @param listener Called with the event.
   * @param options As for any `EventTarget`.
   */
  override removeEventListener(
    type: string,
    listener: Parameters<EventTarget["addEventListener"]>[1],
    options?: Parameters<EventTarget["removeEventListener"]>[2],
  ): void;
  override removeEventListener(
    type: string,
    listener: Parameters<EventTarget["addEventListener"]>[1],
    options?: Parameters<EventTarget["removeEventListener"]>[2],
  ): void {
    if (
      listener !== null && listener !== undefined && String(type) === "message" &&
      this.#otherMessageListeners !== null
    ) {
      this.#otherMessageListeners.delete(listenerKey(listener, options));
      this.#messageListeners = this.#otherMessageListeners.size;
    }
    super.removeEventListener(type, listener, options);
  }

  /** Event handler for `open`. */
  get onopen(): WebSocketEventHandler {
    return this.#handlers.open;
  }
  set onopen(handler: WebSocketEventHandler) {
    this.#setHandler("open", handler);
  }
  /** Event handler for `message`. */
  get onmessage(): WebSocketEventListener<"message"> | null {
    return this.#handlers.message as WebSocketEventListener<"message"> | null;
  }
  set onmessage(handler: WebSocketEventListener<"message"> | null) {
    this.#setHandler("message", handler as WebSocketEventHandler);
  }
  /** Event handler for `error`: `event.error` is the cause. */
  get onerror(): WebSocketEventListener<"error"> | null {
    return this.#handlers.error as WebSocketEventListener<"error"> | null;
  }
  set onerror(handler: WebSocketEventListener<"error"> | null) {
    this.#setHandler("error", handler as WebSocketEventHandler);
  }
  /** Event handler for `close`. */
  get onclose(): WebSocketEventListener<"close"> | null {
    return this.#handlers.close as WebSocketEventListener<"close"> | null;
  }
  set onclose(handler: WebSocketEventListener<"close"> | null) {
    this.#setHandler("close", handler as WebSocketEventHandler);
  }
}

// WebIDL constants live on the interface object and its prototype,
// enumerable and read-only (https://webidl.spec.whatwg.org/#es-constants).
for (const target of [WebSocket, WebSocket.prototype]) {
  Object.defineProperties(target, {
    CONNECTING: { value: CONNECTING, enumerable: true },
    OPEN: { value: OPEN, enumerable: true },
    CLOSING: { value: CLOSING, enumerable: true },
    CLOSED: { value: CLOSED, enumerable: true },
  });
}

const listenerIds = new WeakMap<object, number>();
let nextListenerId = 0;

/** A key for a listener and its capture flag, the identity of a registration (DOM). */
function listenerKey(
  listener: object,
  options: boolean | { capture?: boolean } | undefined,
): string {
  let id = listenerIds.get(listener);
  if (id === undefined) listenerIds.set(listener, id = nextListenerId++);
  const capture = typeof options === "boolean" ? options : Boolean(options?.capture);
  return `${id}${capture ? "c" : ""}`;
}

/** Reports a listener's exception as `dispatchEvent` does, without throwing to the caller. */
function reportListenerError(error: unknown): void {
  const report = (globalThis as { reportError?: (error: unknown) => void }).reportError;
  if (typeof report === "function") {
    report(error);
  } else {
    // Node 22 has no reportError; its EventTarget rethrows in a later tick too.
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** The async iterator of {@linkcode WebSocket}: a queue of messages ended by the close event. */
class MessageIterator implements AsyncIterableIterator<MessageData> {
  #queue = new Deque<MessageData>();
  #waiting: {
    resolve(result: IteratorResult<MessageData>): void;
    reject(error: unknown): void;
  } | null = null;
  #ended = false;
  #error: unknown = null;
  #release: () => void;

  constructor(release: () => void) {
    this.#release = release;
  }

  push(data: MessageData): void {
    if (this.#waiting !== null) {
      this.#waiting.resolve({ value: data, done: false });
      this.#waiting = null;
    } else {
      this.#queue.push(data);
    }
  }

  end(error: unknown): void {
    this.#ended = true;
    this.#error = error;
    if (this.#waiting !== null) {
      const waiting = this.#waiting;
      this.#waiting = null;
      this.#error = null;
      if (error === null) waiting.resolve({ value: undefined, done: true });
      else waiting.reject(error);
    }
  }

  next(): Promise<IteratorResult<MessageData>> {
    if (this.#queue.length > 0) {
      return Promise.resolve({ value: this.#queue.shift()!, done: false });
    }
    if (this.#ended) {
      const error = this.#error;
      this.#error = null;
      return error === null
        ? Promise.resolve({ value: undefined, done: true })
        : Promise.reject(error);
    }
    return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<MessageData>> {
    this.#ended = true;
    this.#queue.clear();
    this.#release();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<MessageData> {
    return this;
  }
}
