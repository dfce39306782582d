/**
 * The event classes of the WHATWG layer: the runtime's own `MessageEvent`,
 * `CloseEvent` and `ErrorEvent` where it has them (Deno, Bun, Node ≥ 23),
 * small spec-shaped classes otherwise (Node 20 and 22 lack `CloseEvent`).
 *
 * @module
 */

/**
 * The DOM's `EventInit`, declared here so that the published types need no
 * DOM lib (a Node project with `"lib": ["ES2023"]` and `@types/node` has no
 * global `EventInit`). Structurally the same as the DOM's.
 */
export interface BaseEventInit {
  /** Whether the event bubbles. */
  bubbles?: boolean;
  /** Whether the event can be cancelled. */
  cancelable?: boolean;
  /** Whether the event crosses shadow roots. */
  composed?: boolean;
}

/**
 * What a WebSocket message carries: text, or binary as `binaryType` says
 * (`ArrayBuffer`, `Blob`, or a `Uint8Array` view for "uint8array").
 */
export type MessageData = string | ArrayBuffer | Blob | Uint8Array<ArrayBuffer>;

/**
 * The `message` event: the fields of a DOM `MessageEvent` that a WebSocket
 * message uses, with `data` typed.
 */
export interface MessageEventLike extends Event {
  /** The message: a string, or an `ArrayBuffer`, `Blob` or `Uint8Array` as `binaryType` says. */
  readonly data: MessageData;
  /** The serialization of the WebSocket URL's origin. */
  readonly origin: string;
  /** Always "" for WebSocket messages. */
  readonly lastEventId: string;
  /** Always `null` for WebSocket messages. */
  readonly source: null;
  /** Always empty for WebSocket messages. */
  readonly ports: readonly unknown[];
}

/** Init of {@linkcode CloseEvent} (WHATWG WebSockets §"The CloseEvent interface"). */
export interface CloseEventInit extends BaseEventInit {
  /** Whether the connection closed cleanly. */
  wasClean?: boolean;
  /** The close code. */
  code?: number;
  /** The close reason. */
  reason?: string;
}

/** The `close` event: https://websockets.spec.whatwg.org/#the-closeevent-interface */
export interface CloseEventLike extends Event {
  /** Whether the closing handshake completed. */
  readonly wasClean: boolean;
  /** The close code (1005 when none was given, 1006 when the connection dropped). */
  readonly code: number;
  /** The close reason. */
  readonly reason: string;
}

class FallbackCloseEvent extends Event implements CloseEventLike {
  readonly wasClean: boolean;
  readonly code: number;
  readonly reason: string;
  constructor(type: string, init: CloseEventInit = {}) {
    super(type, init);
    this.wasClean = init.wasClean ?? false;
    this.code = init.code ?? 0;
    this.reason = init.reason ?? "";
  }
}

/** Init of {@linkcode ErrorEvent}. */
export interface ErrorEventInit extends BaseEventInit {
  /** A description. */
  message?: string;
  /** The error object. */
  error?: unknown;
}

/** The `error` event, with the cause attached (as undici and Deno do). */
export interface ErrorEventLike extends Event {
  /** A description of the error. */
  readonly message: string;
  /** The cause: a `HandshakeError`, `ProtocolError`, `TransportError`, … */
  readonly error: unknown;
}

class FallbackErrorEvent extends Event implements ErrorEventLike {
  readonly message: string;
  readonly error: unknown;
  constructor(type: string, init: ErrorEventInit = {}) {
    super(type, init);
    this.message = init.message ?? "";
    this.error = init.error;
  }
}

/** The constructor of {@linkcode CloseEvent}. */
export type CloseEventConstructor = new (type: string, init?: CloseEventInit) => CloseEventLike;
/** The constructor of {@linkcode ErrorEvent}. */
export type ErrorEventConstructor = new (type: string, init?: ErrorEventInit) => ErrorEventLike;

const globals = globalThis as unknown as {
  CloseEvent?: CloseEventConstructor;
  ErrorEvent?: ErrorEventConstructor;
};

/** The runtime's `CloseEvent`, or a spec-shaped fallback. */
export const CloseEvent: CloseEventConstructor = globals.CloseEvent ?? FallbackCloseEvent;

/** The runtime's `ErrorEvent`, or a spec-shaped fallback. */
export const ErrorEvent: ErrorEventConstructor = globals.ErrorEvent ?? FallbackErrorEvent;

/**
 * The `message` event of {@linkcode WebSocket}: a `MessageEvent` by every
 * check code makes (`instanceof MessageEvent`, `data`, `origin`,
 * `lastEventId`, `source`, `ports`), built on the plain `Event`
 * constructor. The runtimes' own `MessageEvent` constructor costs ~0.4 µs
 * on Node and Bun (measured: half the time of receiving a 16-byte message);
 * `Event`'s costs a fraction of that.
 */
export class WebSocketMessageEvent extends Event {
  // Private fields behind getters: plain fields would be defined over the
  // re-parented MessageEvent accessors, which is 40% slower on Bun (measured).
  #data: unknown;
  #origin: string;

  /**
   * Creates the event.
   *
   * @param data The message.
   * @param origin The URL's origin.
   */
  constructor(data: unknown, origin: string) {
    super("message");
    this.#data = data;
    this.#origin = origin;
  }

  /** The message: a string, an `ArrayBuffer` or a `Blob`. */
  get data(): MessageData {
    return this.#data as MessageData;
  }

  /** The serialization of the WebSocket URL's origin. */
  get origin(): string {
    return this.#origin;
  }

  /** Always "" for WebSocket messages. */
  get lastEventId(): string {
    return "";
  }

  /** Always `null` for WebSocket messages. */
  get source(): null {
    return null;
  }

  /** Always empty for WebSocket messages. */
  get ports(): readonly unknown[] {
    return [];
  }
}

// Re-parent the prototype so that `event instanceof MessageEvent` holds
// (all of MessageEvent's accessors are shadowed above).
const globalMessageEvent = (globalThis as { MessageEvent?: { prototype: object } }).MessageEvent;
if (globalMessageEvent !== undefined) {
  Object.setPrototypeOf(WebSocketMessageEvent.prototype, globalMessageEvent.prototype);
}

/** `performance.timeOrigin`, read once. */
const TIME_ORIGIN = performance.timeOrigin;
let batchStamp = -1;

function endBatch(): void {
  batchStamp = -1;
}

/** A settled promise: its reaction ends the batch at the microtask checkpoint (cheaper than queueMicrotask on Node). */
const RESOLVED: Promise<void> = Promise.resolve();

/**
 * The `timeStamp` of events created in this synchronous run (until the next
 * microtask checkpoint): the messages of one received chunk share it, to the
 * millisecond, as browsers that coarsen timers. Reading the clock per event
 * (`performance.now()`: an op call on Deno) was measured at 18 % of the cost
 * of receiving a 16-byte message.
 */
function batchTimeStamp(): number {
  if (batchStamp < 0) {
    batchStamp = Date.now() - TIME_ORIGIN;
    void RESOLVED.then(endBatch);
  }
  return batchStamp;
}

/**
 * The `message` event handed straight to `onmessage` when it is the only
 * `message` listener, without an `EventTarget` dispatch: `Event`'s
 * constructor (a timestamp, internal slots) and `dispatchEvent`'s listener
 * walk are most of the cost of receiving a small message. It passes for a
 * dispatched `MessageEvent`: `instanceof MessageEvent` and `Event` hold (its
 * prototype is re-parented, like {@linkcode WebSocketMessageEvent}'s), and
 * every attribute of `Event` and `MessageEvent` reads as it would during
 * and after a dispatch at the target (`target`, `currentTarget`,
 * `eventPhase` AT_TARGET then NONE, `composedPath()`, not cancelable, not
 * trusted). It is never given to `dispatchEvent`, which only takes events
 * built by the runtime's own constructor.
 */
export class DirectMessageEvent {
  #data: unknown;
  #origin: string;
  #target: EventTarget;
  #dispatching = true;
  #timeStamp: number;

  /**
   * Creates the event, in dispatch at `target`.
   *
   * @param data The message.
   * @param origin The URL's origin.
   * @param target The `WebSocket`.
   */
  constructor(data: unknown, origin: string, target: EventTarget) {
    this.#data = data;
    this.#origin = origin;
    this.#target = target;
    this.#timeStamp = batchTimeStamp();
  }

  /** Ends the dispatch: `currentTarget` becomes `null` and `eventPhase` NONE. */
  finish(): void {
    this.#dispatching = false;
  }

  /** The message: a string, an `ArrayBuffer`, a `Uint8Array` or a `Blob`. */
  get data(): unknown {
    return this.#data;
  }
  /** The serialization of the WebSocket URL's origin. */
  get origin(): string {
    return this.#origin;
  }
  /** Always "" for WebSocket messages. */
  get lastEventId(): string {
    return "";
  }
  /** Always `null` for WebSocket messages. */
  get source(): null {
    return null;
  }
  /** Always empty for WebSocket messages. */
  get ports(): readonly unknown[] {
    return [];
  }
  /** "message". */
  get type(): string {
    return "message";
  }
  /** The `WebSocket`. */
  get target(): EventTarget {
    return this.#target;
  }
  /** The `WebSocket` (legacy alias of `target`). */
  get srcElement(): EventTarget {
    return this.#target;
  }
  /** The `WebSocket` during the dispatch, `null` after. */
  get currentTarget(): EventTarget | null {
    return this.#dispatching ? this.#target : null;
  }
  /** AT_TARGET (2) during the dispatch, NONE (0) after. */
  get eventPhase(): number {
    return this.#dispatching ? 2 : 0;
  }
  /** `false`: message events do not bubble. */
  get bubbles(): boolean {
    return false;
  }
  /** `false`: message events cannot be canceled. */
  get cancelable(): boolean {
    return false;
  }
  /** `false`. */
  get composed(): boolean {
    return false;
  }
  /** `false`: not cancelable, so never canceled. */
  get defaultPrevented(): boolean {
    return false;
  }
  /** `true`: not cancelable, so never canceled. */
  get returnValue(): boolean {
    return true;
  }
  set returnValue(_value: boolean) {
    // Not cancelable: setting it has no effect.
  }
  /** `false`: there is nowhere to propagate to. */
  get cancelBubble(): boolean {
    return false;
  }
  set cancelBubble(_value: boolean) {
    // Nothing to stop: the event is at its only target.
  }
  /** `false`: created by script, as every event of this library. */
  get isTrusted(): boolean {
    return false;
  }
  /** When the event (or the first of its batch) was created: milliseconds since the time origin, to the millisecond. */
  get timeStamp(): number {
    return this.#timeStamp;
  }
  /** Deno's nonstandard flag: the event is initialized. */
  get initialized(): boolean {
    return true;
  }
  /**
   * The path: the target during the dispatch, empty after.
   *
   * @returns The path.
   */
  composedPath(): EventTarget[] {
    return this.#dispatching ? [this.#target] : [];
  }
  /** No effect: the event is not cancelable. */
  preventDefault(): void {}
  /** No effect: the only listener is running. */
  stopPropagation(): void {}
  /** No effect: the only listener is running. */
  stopImmediatePropagation(): void {}
  /** No effect on an event being dispatched (DOM "initEvent"). */
  initEvent(): void {}
  /** No effect on an event being dispatched (HTML "initMessageEvent"). */
  initMessageEvent(): void {}
}

// instanceof WebSocketMessageEvent, MessageEvent and Event; the constants and
// `Symbol.toStringTag` come from the runtime's prototypes (every accessor
// that would read an Event's internal slots is shadowed above).
Object.setPrototypeOf(DirectMessageEvent.prototype, WebSocketMessageEvent.prototype);

/**
 * The `open` event (or any plain `Event` of a `WebSocket`) handed straight
 * to its `on…` handler when that is the only listener of its type, without
 * an `EventTarget` dispatch: putting the handler in the target, `Event`'s
 * constructor and the dispatch's listener walk were ~20 µs of each
 * connection's setup on Deno (measured with `bench/profile.ts`). As
 * {@linkcode DirectMessageEvent}, it passes for an event dispatched at its
 * target (`instanceof Event`, `target`, `currentTarget`, `eventPhase`
 * AT_TARGET then NONE, `composedPath()`, not bubbling, not cancelable, not
 * trusted), and is never given to `dispatchEvent`.
 */
export class DirectEvent {
  #type: string;
  #target: EventTarget;
  #dispatching = true;
  #timeStamp: number;

  /**
   * Creates the event, in dispatch at `target`.
   *
   * @param type The event type, e.g. "open".
   * @param target The `WebSocket`.
   */
  constructor(type: string, target: EventTarget) {
    this.#type = type;
    this.#target = target;
    this.#timeStamp = batchTimeStamp();
  }

  /** Ends the dispatch: `currentTarget` becomes `null` and `eventPhase` NONE. */
  finish(): void {
    this.#dispatching = false;
  }

  /** The event type. */
  get type(): string {
    return this.#type;
  }
  /** The `WebSocket`. */
  get target(): EventTarget {
    return this.#target;
  }
  /** The `WebSocket` (legacy alias of `target`). */
  get srcElement(): EventTarget {
    return this.#target;
  }
  /** The `WebSocket` during the dispatch, `null` after. */
  get currentTarget(): EventTarget | null {
    return this.#dispatching ? this.#target : null;
  }
  /** AT_TARGET (2) during the dispatch, NONE (0) after. */
  get eventPhase(): number {
    return this.#dispatching ? 2 : 0;
  }
  /** `false`: WebSocket events do not bubble. */
  get bubbles(): boolean {
    return false;
  }
  /** `false`: WebSocket events cannot be canceled. */
  get cancelable(): boolean {
    return false;
  }
  /** `false`. */
  get composed(): boolean {
    return false;
  }
  /** `false`: not cancelable, so never canceled. */
  get defaultPrevented(): boolean {
    return false;
  }
  /** `true`: not cancelable, so never canceled. */
  get returnValue(): boolean {
    return true;
  }
  set returnValue(_value: boolean) {
    // Not cancelable: setting it has no effect.
  }
  /** `false`: there is nowhere to propagate to. */
  get cancelBubble(): boolean {
    return false;
  }
  set cancelBubble(_value: boolean) {
    // Nothing to stop: the event is at its only target.
  }
  /** `false`: created by script, as every event of this library. */
  get isTrusted(): boolean {
    return false;
  }
  /** When the event (or the first of its batch) was created: milliseconds since the time origin, to the millisecond. */
  get timeStamp(): number {
    return this.#timeStamp;
  }
  /** Deno's nonstandard flag: the event is initialized. */
  get initialized(): boolean {
    return true;
  }
  /**
   * The path: the target during the dispatch, empty after.
   *
   * @returns The path.
   */
  composedPath(): EventTarget[] {
    return this.#dispatching ? [this.#target] : [];
  }
  /** No effect: the event is not cancelable. */
  preventDefault(): void {}
  /** No effect: the only listener is running. */
  stopPropagation(): void {}
  /** No effect: the only listener is running. */
  stopImmediatePropagation(): void {}
  /** No effect on an event being dispatched (DOM "initEvent"). */
  initEvent(): void {}
}

/**
 * The `close` event handed straight to `onclose` when it is the only
 * `close` listener (see {@linkcode DirectEvent}): `instanceof CloseEvent`
 * holds, and `wasClean`, `code` and `reason` read as the dispatched event's.
 */
export class DirectCloseEvent extends DirectEvent {
  #wasClean: boolean;
  #code: number;
  #reason: string;

  /**
   * Creates the event, in dispatch at `target`.
   *
   * @param target The `WebSocket`.
   * @param init Whether the close was clean, its code and its reason.
   */
  constructor(
    target: EventTarget,
    init: { readonly wasClean: boolean; readonly code: number; readonly reason: string },
  ) {
    super("close", target);
    this.#wasClean = init.wasClean;
    this.#code = init.code;
    this.#reason = init.reason;
  }

  /** Whether the closing handshake completed. */
  get wasClean(): boolean {
    return this.#wasClean;
  }
  /** The close code. */
  get code(): number {
    return this.#code;
  }
  /** The close reason. */
  get reason(): string {
    return this.#reason;
  }
}

// `instanceof Event` for DirectEvent, `instanceof CloseEvent` (and Event) for
// DirectCloseEvent, whose prototype gets DirectEvent's accessors as its own
// (they read private fields that DirectEvent's constructor put on the
// instance, whatever the prototype chain); the constants and
// `Symbol.toStringTag` come from the runtime's prototypes.
Object.setPrototypeOf(DirectEvent.prototype, Event.prototype);
for (
  const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(DirectEvent.prototype))
) {
  if (key !== "constructor") Object.defineProperty(DirectCloseEvent.prototype, key, descriptor);
}
Object.setPrototypeOf(DirectCloseEvent.prototype, CloseEvent.prototype);
