/**
 * The event classes of the WHATWG layer: the runtime's own `MessageEvent`,
 * `CloseEvent` and `ErrorEvent` where it has them (Deno, Bun, Node ≥ 23),
 * small spec-shaped classes otherwise (Node 20 and 22 lack `CloseEvent`).
 *
 * @module
 */

/** Init of {@linkcode CloseEvent} (WHATWG WebSockets §"The CloseEvent interface"). */
export interface CloseEventInit extends EventInit {
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
export interface ErrorEventInit extends EventInit {
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

type CloseEventConstructor = new (type: string, init?: CloseEventInit) => CloseEventLike;
type ErrorEventConstructor = new (type: string, init?: ErrorEventInit) => ErrorEventLike;

const globals = globalThis as unknown as {
  CloseEvent?: CloseEventConstructor;
  ErrorEvent?: ErrorEventConstructor;
};

/** The runtime's `CloseEvent`, or a spec-shaped fallback. */
export const CloseEvent: CloseEventConstructor = globals.CloseEvent ?? FallbackCloseEvent;

/** The runtime's `ErrorEvent`, or a spec-shaped fallback. */
export const ErrorEvent: ErrorEventConstructor = globals.ErrorEvent ?? FallbackErrorEvent;
