/**
 * The connection's state (RFC 6455 §4, §7) and the questions asked of it.
 *
 * ```
 *  CONNECTING --101 valid--> OPEN --close sent, or failed (§7.1.7)--> CLOSING --both close frames--> CLOSED
 *       |                     |   --close received: answered at once -------------------------------> CLOSED
 *       +--handshake failed---+--transport ended (§7.1.4)---------------------------------------------> CLOSED
 * ```
 *
 * `closed` here means the closing handshake is over; the transport may
 * still be open until the peer ends it (§7.1.1). The WHATWG `readyState`
 * turns CLOSED only when the transport has ended (the `close` event).
 *
 * - `connecting`: the opening handshake is in progress (§4.1); the WHATWG
 *   `readyState` is CONNECTING (0).
 * - `open`: "_The WebSocket Connection is Established_" (§4.1); data may
 *   flow both ways. `readyState` OPEN (1).
 * - `closing`: a close frame was sent or received, not both (§7.1.2,
 *   §7.1.3, "_The WebSocket Closing Handshake is Started_"). `readyState`
 *   CLOSING (2).
 * - `closed`: both close frames were exchanged, or the connection failed,
 *   or the transport ended (§7.1.4 "_The WebSocket Connection is Closed_").
 *   `readyState` CLOSED (3).
 *
 * @module
 */

/** The state of a connection. */
export type ConnectionState = "connecting" | "open" | "closing" | "closed";

/**
 * Whether data frames may be sent: only when open (§5.5.1: "the endpoint
 * MUST NOT send any more data frames" after sending a close frame; and a
 * received close frame is answered at once, §5.5.1, so `closing` always
 * means our close frame is out or going out).
 *
 * @param state The state.
 * @returns `true` when a data frame may be sent.
 */
export function canSendData(state: ConnectionState): boolean {
  return state === "open";
}

/**
 * Whether control frames may be sent: ping, pong and close are allowed
 * until our close frame was sent (§5.5.1).
 *
 * @param state The state.
 * @param closeSent Whether our close frame was sent.
 * @returns `true` when a control frame may be sent.
 */
export function canSendControl(state: ConnectionState, closeSent: boolean): boolean {
  return state !== "connecting" && state !== "closed" && !closeSent;
}

/**
 * Whether the peer is expected to end the transport soon, so that a
 * driver should start its close timer (§7.1.1: "the client SHOULD wait for
 * the server to close the connection"). As python-websockets, from the
 * moment our close frame is out: a peer that never answers must not keep
 * the transport open forever.
 *
 * @param state The state.
 * @param failed Whether the connection was failed (§7.1.7).
 * @param closeSent Whether our close frame was sent.
 * @returns `true` when the closing handshake started from our side, is
 * done, or the connection failed.
 */
export function expectsClose(state: ConnectionState, failed: boolean, closeSent: boolean): boolean {
  return state === "closed" || failed || closeSent;
}
