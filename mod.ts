/**
 * wsport: a WebSocket client for Deno, Bun and Node, on one sans-I/O
 * protocol core.
 *
 * - {@linkcode WebSocket}: the WHATWG `WebSocket`, drop-in, plus an options
 *   object for what browsers cannot do (headers, TLS settings, transports,
 *   limits, timeouts).
 * - {@linkcode WebSocketStream}: the streams API, with backpressure both ways.
 * - `@wsport/wsport/protocol`: the protocol core on its own.
 * - `@wsport/wsport/testing`: an in-memory transport and echo server for tests.
 * - `@wsport/wsport/reconnect`: reconnection with backoff and a bounded outbox.
 *
 * @example Connect, send, receive, close
 * ```ts
 * import { WebSocket } from "@wsport/wsport";
 * import { createEchoServer } from "@wsport/wsport/testing";
 * import assert from "node:assert/strict";
 *
 * // In real code: new WebSocket("wss://example.com/socket")
 * const server = createEchoServer();
 * const socket = new WebSocket("ws://echo.test/", { transport: server.connector });
 * socket.onopen = () => socket.send("hello");
 * const data = await new Promise((resolve) => socket.onmessage = (event) => resolve(event.data));
 * assert.equal(data, "hello");
 * socket.close(1000, "done");
 * const event = await new Promise<CloseEvent>((resolve) => socket.onclose = resolve);
 * assert.equal(event.code, 1000);
 * ```
 *
 * @module
 */

export { WebSocket } from "./src/web/websocket.ts";
export { DEFAULT_MAX_BUFFERED_AMOUNT } from "./src/web/websocket.ts";
export type {
  BinaryType,
  WebSocketEventHandler,
  WebSocketEventListener,
  WebSocketEventMap,
  WebSocketInit,
} from "./src/web/websocket.ts";
export type { BufferSource } from "./src/web/_webidl.ts";
export type { PingOptions } from "./src/keepalive.ts";
export { WebSocketStream } from "./src/web/websocket_stream.ts";
export type {
  WebSocketCloseResult,
  WebSocketOpenInfo,
  WebSocketStreamOptions,
} from "./src/web/websocket_stream.ts";
export { WebSocketError } from "./src/web/websocket_error.ts";
export type { WebSocketCloseInfo } from "./src/web/websocket_error.ts";
export { CloseEvent, ErrorEvent } from "./src/web/events.ts";
export type {
  BaseEventInit,
  CloseEventConstructor,
  CloseEventInit,
  CloseEventLike,
  ErrorEventConstructor,
  ErrorEventInit,
  ErrorEventLike,
  MessageData,
  MessageEventLike,
} from "./src/web/events.ts";
export type { ClientOptions, ClientTraceRecord } from "./src/client.ts";
export { DEFAULT_TIMEOUTS } from "./src/client.ts";
export {
  CLOSE_CODE,
  DEFAULT_LIMITS,
  HandshakeError,
  InvalidStateError,
  NegotiatedPerMessageDeflate,
  OPCODE,
  PerMessageDeflate,
  PROTOCOL_ERROR_CODES,
  PROTOCOL_VERSIONS,
  ProtocolError,
} from "./src/protocol/mod.ts";
export type {
  AllocateFrame,
  ClientConnectionOptions,
  CloseCode,
  ConnectionOptions,
  DeflateCodec,
  DeflateSettings,
  Extension,
  ExtensionParams,
  HandshakeErrorCode,
  HandshakeHeaders,
  HandshakeRequestOptions,
  HandshakeResult,
  HeaderList,
  MessageCompressor,
  MessageDecompressor,
  NegotiatedExtension,
  PerMessageDeflateOptions,
  PerMessageDeflateParameters,
  ProtocolErrorCode,
  ProtocolVersion,
  RandomBytes,
  SendOptions,
  TraceRecord,
  WebSocketUrl,
} from "./src/protocol/mod.ts";
export { TransportError } from "./src/transport/types.ts";
export type {
  Bytes,
  ConnectOptions,
  Connector,
  StartTlsOptions,
  TlsOptions,
  Transport,
  TransportAddress,
  TransportErrorCode,
} from "./src/transport/types.ts";
export type { NetworkOptions } from "./src/connect.ts";
export type { RedirectOptions } from "./src/redirect.ts";
export type { LookupAll, ResolvedAddress } from "./src/transport/happy_eyeballs.ts";
export { ProxyError } from "./src/proxy/errors.ts";
export type { ProxyErrorCode } from "./src/proxy/errors.ts";
