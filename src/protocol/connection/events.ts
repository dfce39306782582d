/**
 * What a connection reports, in the order it happened: the events returned
 * by `eventsReceived()`.
 *
 * @module
 */

import type { HandshakeError, ProtocolError } from "../errors.ts";
import type { HandshakeResult } from "../handshake/handshake.ts";

/** The opening handshake succeeded (RFC 6455 §4.1: "_The WebSocket Connection is Established_"). */
export interface OpenEvent {
  /** The kind of event: `"open"`. */
  readonly type: "open";
  /** The validated response: status, headers, subprotocol, extensions. */
  readonly handshake: HandshakeResult;
}

/** A complete data message (§6.2). */
export interface MessageEvent {
  /** The kind of event: `"message"`. */
  readonly type: "message";
  /** A string for a text message, bytes for a binary one. */
  readonly data: string | Uint8Array;
}

/** A ping was received; the connection has already queued the pong (§5.5.2). */
export interface PingEvent {
  /** The kind of event: `"ping"`. */
  readonly type: "ping";
  /** The application data of the ping. */
  readonly data: Uint8Array;
}

/** A pong was received (§5.5.3). */
export interface PongEvent {
  /** The kind of event: `"pong"`. */
  readonly type: "pong";
  /** The application data of the pong. */
  readonly data: Uint8Array;
}

/**
 * The peer's close frame was received (§5.5.1); the connection has queued
 * its answer if it had not sent a close frame yet. Messages reported before
 * this event all arrived before the close frame.
 */
export interface ClosingEvent {
  /** The kind of event: `"closing"`. */
  readonly type: "closing";
  /** The peer's code: 1005 when its close frame had none. */
  readonly code: number;
  /** The peer's reason, "" when none. */
  readonly reason: string;
}

/**
 * The connection failed (§7.1.7 "_Fail the WebSocket Connection_"): a close
 * frame with `code` was queued if one could still be sent, and everything
 * received from now on is discarded. Reported at the moment of the
 * failure; the `close` event follows when the transport ends (or the
 * driver's close timer expires).
 */
export interface FailEvent {
  /** The kind of event: `"fail"`. */
  readonly type: "fail";
  /** The close code of the failure (sent in the close frame when one could be sent). */
  readonly code: number;
  /** What the peer did wrong; `null` for a local failure (`fail()`). */
  readonly error: ProtocolError | null;
}

/**
 * The connection is closed (§7.1.4): the last event, reported exactly once.
 */
export interface CloseEvent {
  /** The kind of event: `"close"`. */
  readonly type: "close";
  /**
   * "_The WebSocket Connection Close Code_" (§7.1.5): the peer's code when
   * its close frame arrived, 1005 if it had none, 1006 when no close frame
   * was received (also after we failed the connection: the code we sent is
   * in `error.closeCode`).
   */
  readonly code: number;
  /** "_The WebSocket Connection Close Reason_" (§7.1.6). */
  readonly reason: string;
  /** Whether the closing handshake completed (both close frames exchanged) with no error. */
  readonly wasClean: boolean;
  /** Why the connection failed, when it did; `null` otherwise. */
  readonly error: ProtocolError | HandshakeError | null;
}

/** Every event a connection reports. */
export type ConnectionEvent =
  | OpenEvent
  | MessageEvent
  | PingEvent
  | PongEvent
  | ClosingEvent
  | FailEvent
  | CloseEvent;
