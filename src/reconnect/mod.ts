/**
 * Staying connected: reconnection with a documented retry table,
 * exponential backoff with full jitter, and a bounded outbox, in two
 * shapes over one engine:
 *
 * - {@linkcode ReconnectingWebSocket}: the WHATWG `WebSocket` surface;
 *   `open` on every (re)connection, `close` only when it gives up or after
 *   `close()`, `attempt` before every attempt.
 * - {@linkcode connect}: `for await (const socket of connect(url))`, each
 *   turn an open `WebSocketStream`, as python-websockets.
 *
 * Which failures are retried is {@linkcode RETRY_TABLE} (printed in
 * `docs/reconnect.md`), overridable with `shouldRetry`.
 *
 * @example Keep a connection, queueing what is sent while it is down
 * ```ts
 * import { ReconnectingWebSocket } from "./mod.ts";
 * import { createEchoServer } from "../testing.ts";
 * import assert from "node:assert/strict";
 *
 * const server = createEchoServer();
 * const socket = new ReconnectingWebSocket("ws://echo.test/", {
 *   transport: server.connector,
 *   minDelay: 10,
 *   maxDelay: 100,
 *   outbox: { maxMessages: 100, maxBytes: 65536 },
 * });
 * socket.onopen = (event) => console.log("open, attempt", event.attempt);
 * socket.send("hello");
 * const reply = await new Promise<MessageEvent>((resolve) => socket.onmessage = resolve);
 * assert.equal(reply.data, "hello");
 * socket.close();
 * ```
 *
 * @module
 */

export { ReconnectEvent, ReconnectingWebSocket } from "./reconnecting_websocket.ts";
export type {
  ReconnectingWebSocketHandler,
  ReconnectingWebSocketInit,
  SendData,
} from "./reconnecting_websocket.ts";
export { connect, Connections } from "./connect.ts";
export type { ConnectStreamOptions } from "./connect.ts";
export { ReconnectError } from "./engine.ts";
export type { AttemptRecord, ReconnectErrorCode, ShouldRetry } from "./engine.ts";
export { classify, parseRetryAfter, RETRY_TABLE } from "./policy.ts";
export type { Disconnect, RetryDecision, RetryRule, RetryTableRow } from "./policy.ts";
export { backoffDelay, DEFAULT_BACKOFF, resolveBackoff } from "./backoff.ts";
export type { Backoff, BackoffOptions } from "./backoff.ts";
export { DEFAULT_OUTBOX, OutboxError } from "./outbox.ts";
export type { OutboxErrorCode, OutboxOptions } from "./outbox.ts";
export type { ReconnectOptions, Source } from "./_sources.ts";
// The WebSocket layer's types, which the shapes above refer to and extend.
export type * from "../../mod.ts";
