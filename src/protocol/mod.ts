/**
 * The sans-I/O WebSocket protocol core (RFC 6455): a synchronous object
 * that eats bytes and produces bytes and events. It never touches a socket,
 * a timer or a runtime API, so it runs anywhere and is tested with vectors.
 *
 * ## Driving a connection
 *
 * Every driver, ours (`src/driver.ts`) or yours, follows one loop:
 *
 * 1. Create a {@linkcode ClientConnection}; write `dataToSend()` (the
 *    opening handshake request) to your byte stream.
 * 2. When bytes arrive, call `receiveData(chunk)`; when the stream ends
 *    (or fails), call `receiveEof()`.
 * 3. After every call into the connection (receive or send), write every
 *    chunk of `dataToSend()` in order. An **empty chunk** means end of
 *    stream: half-close your side (TCP FIN) after what precedes it.
 * 4. If `closeExpected()` is true, start a timer (say 10 s): if the peer
 *    has not ended the stream when it fires, close the stream yourself and
 *    call `receiveEof()`.
 * 5. Handle `eventsReceived()`: `open`, `message`, `ping`, `pong`,
 *    `closing`, `fail` (the connection failed: report it now), and finally
 *    one `close`, after which you release the stream.
 * 6. Then call `releaseFailure()`: when the peer broke the protocol right
 *    after messages, the failure waits until you dispatched them, so that
 *    what you sent in answer goes out before the failing close frame (as if
 *    the bad frame had come in a later read). If it returns `true`, go to
 *    step 3 again. (Skipped, the failure applies at the next
 *    `eventsReceived()` or `receiveEof()`.)
 *
 * The connection does the protocol's duties itself: it answers pings,
 * echoes the peer's close frame, and sends the failing close frame (1002,
 * 1007, 1009) when the peer breaks the protocol. Do not send those
 * yourself. `receiveData()` never throws because of what the peer sent;
 * the cause of a failure is on the `close` event and in `error`. Sending in
 * a state that does not allow it throws at once.
 *
 * ## Protocol versions and the server side
 *
 * `createClientConnection(url, { protocolVersion })` speaks RFC 6455 (the
 * default) or, for servers that predate it, `"hybi-10"`, `"hybi-00"` or
 * `"hixie-75"` (see `./protocol_version.ts`; the last two carry text only).
 * A {@linkcode ServerConnection} follows the same loop from a client's
 * request on, for all four versions: on its `request` event, call
 * `accept()` or `reject(status)`; invalid requests are refused for you.
 *
 * ## Layout
 *
 * The core is layered; each folder's `mod.ts` says what it owns, and a
 * folder imports only folders listed above it (`scripts/check_cycles.ts`
 * fails on any import cycle, between files or folders):
 *
 * - `errors.ts`, `protocol_version.ts`: the error types and the version
 *   names every layer uses;
 * - `encoding/`: UTF-8, base64, SHA-1, MD5, random bytes;
 * - `frames/`: the RFC 6455 frame format, its parser, close payloads;
 * - `extensions/`: the extension interface and header grammar, permessage-deflate;
 * - `messages/`: messages out of frames, with extensions applied;
 * - `http/`: HTTP heads, URLs, cookies;
 * - `handshake/`: the RFC 6455 client handshake;
 * - `connection/`: the RFC 6455 connection, its state and events;
 * - `legacy/`: hybi-00 and hixie-75 framing, handshakes, connections;
 * - `server/`: the server side of all four versions;
 * - `create_client_connection.ts`: the client factory over all four.
 *
 * @example A whole connection over bytes
 * ```ts
 * import { ClientConnection } from "@wsport/wsport/protocol";
 * import assert from "node:assert/strict";
 *
 * // Fixed randomness so the example's bytes are exact; omit it in real code.
 * const client = new ClientConnection("ws://example.com/chat", { randomBytes: (n) => new Uint8Array(n) });
 * const request = client.dataToSend(); // write these to the socket
 * assert.equal(request.length, 1);
 *
 * client.receiveData(new TextEncoder().encode(
 *   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
 *     "Sec-WebSocket-Accept: ICX+Yqv66kxgM0FcWaLWlFLwTAI=\r\n\r\n",
 * ));
 * client.sendText("hi");
 * client.receiveData(new Uint8Array([0x81, 0x02, 0x68, 0x69])); // the echo
 * client.receiveData(new Uint8Array([0x88, 0x02, 0x03, 0xe8])); // server closes with 1000
 * client.receiveEof();
 * const events = client.eventsReceived();
 * assert.deepEqual(events.map((event) => event.type), ["open", "message", "closing", "close"]);
 * assert.deepEqual(events.at(-1), { type: "close", code: 1000, reason: "", wasClean: true, error: null });
 * ```
 *
 * @module
 */

export {
  ClientConnection,
  Connection,
  DEFAULT_LIMITS,
  ERROR_BODY_LIMIT,
} from "./connection/mod.ts";
export type {
  ClientConnectionOptions,
  ConnectionOptions,
  ProtocolConnection,
  SendOptions,
  TraceRecord,
} from "./connection/mod.ts";
export {
  NegotiatedPerMessageDeflate,
  PERMESSAGE_DEFLATE,
  PERMESSAGE_DEFLATE_DEFAULTS,
  PerMessageDeflate,
  validatePerMessageDeflateOptions,
} from "./extensions/mod.ts";
export type {
  DeflateCodec,
  DeflateSettings,
  MessageCompressor,
  MessageDecompressor,
  PerMessageDeflateOptions,
  PerMessageDeflateParameters,
} from "./extensions/mod.ts";
export type {
  CloseEvent,
  ClosingEvent,
  ConnectionEvent,
  FailEvent,
  MessageEvent,
  OpenEvent,
  PingEvent,
  PongEvent,
} from "./connection/mod.ts";
export type { ConnectionState } from "./connection/mod.ts";
export {
  HandshakeError,
  InvalidStateError,
  PROTOCOL_ERROR_CODES,
  ProtocolError,
} from "./errors.ts";
export type { HandshakeErrorCode, HeaderList, ProtocolErrorCode } from "./errors.ts";
export {
  CLOSE_CODE,
  decodeClosePayload,
  encodeClosePayload,
  isApplicationCloseCode,
  isReceivableCloseCode,
  MAX_CLOSE_REASON_BYTES,
  truncateCloseReason,
} from "./frames/mod.ts";
export type { CloseCode, ClosePayload } from "./frames/mod.ts";
export { isControl, isKnownOpcode, OPCODE } from "./frames/mod.ts";
export type { Opcode } from "./frames/mod.ts";
export { encodeFrame, headerLength, RSV1, RSV2, RSV3 } from "./frames/mod.ts";
export type { AllocateFrame, Bytes, Frame } from "./frames/mod.ts";
export { FrameParser } from "./frames/mod.ts";
export type { FrameParserOptions } from "./frames/mod.ts";
export { MessageAssembler } from "./messages/mod.ts";
export type { Message, MessageAssemblerOptions } from "./messages/mod.ts";
export { maskInPlace } from "./frames/mod.ts";
export { decodeUtf8, encodeUtf8, isValidUtf8, Utf8StreamDecoder } from "./encoding/mod.ts";
export { secureRandomBytes } from "./encoding/mod.ts";
export type { RandomBytes } from "./encoding/mod.ts";
export {
  computeAcceptKey,
  createHandshakeRequest,
  generateKey,
  validateHandshakeResponse,
  validateProtocols,
  WEBSOCKET_GUID,
} from "./handshake/mod.ts";
export type {
  HandshakeExpectation,
  HandshakeHeaders,
  HandshakeRequestOptions,
  HandshakeResult,
} from "./handshake/mod.ts";
export { getHeader, ResponseHeadParser } from "./http/mod.ts";
export type { ResponseHead } from "./http/mod.ts";
export { basicAuthorization, parseWebSocketUrl } from "./http/mod.ts";
export type { WebSocketUrl } from "./http/mod.ts";
export { formatExtensionHeader, parseExtensionHeader } from "./extensions/mod.ts";
export type {
  Extension,
  ExtensionOfferItem,
  ExtensionParams,
  NegotiatedExtension,
} from "./extensions/mod.ts";
export { sha1 } from "./encoding/mod.ts";
export { decodeBase64, encodeBase64 } from "./encoding/mod.ts";

// The four protocol versions (see ./protocol_version.ts), the legacy framings,
// and the server side.
export { md5 } from "./encoding/mod.ts";
export { isLegacyVersion, isProtocolVersion, PROTOCOL_VERSIONS } from "./protocol_version.ts";
export type { HybiVersion, LegacyVersion, ProtocolVersion } from "./protocol_version.ts";
export { createClientConnection } from "./create_client_connection.ts";
export type { ClientProtocolConnection } from "./create_client_connection.ts";
export { LegacyClientConnection, LegacyConnection } from "./legacy/mod.ts";
export type { LegacyClientConnectionOptions } from "./legacy/mod.ts";
export { encodeLegacyText, LEGACY_CLOSE_FRAME, LegacyFrameParser } from "./legacy/mod.ts";
export type { LegacyFrame, LegacyFrameParserOptions } from "./legacy/mod.ts";
export {
  computeChallengeResponse,
  createLegacyHandshakeRequest,
  defaultLegacyOrigin,
  generateLegacyKey,
  generateLegacyKeys,
  legacyLocation,
  parseLegacyKey,
  validateLegacyHandshakeResponse,
} from "./legacy/mod.ts";
export type {
  LegacyExpectation,
  LegacyKey,
  LegacyKeys,
  LegacyRequestOptions,
} from "./legacy/mod.ts";
export { DEFAULT_MAX_REQUEST_HEAD_SIZE, RequestHeadParser } from "./http/mod.ts";
export type { RequestHead, RequestHeadParserOptions, RequestLine } from "./http/mod.ts";
export {
  formatCookiePairs,
  formatSetCookie,
  parseCookieHeader,
  parseCookiePairs,
} from "./http/mod.ts";
export type { CookiePair, RequestCookie, SetCookieInit } from "./http/mod.ts";
export {
  checkHandshakeRequestLine,
  createHandshakeResponse,
  createRejectResponse,
  errorResponse,
  legacyAnswer,
  parseHandshakeRequest,
  supportedVersionsHeader,
} from "./server/mod.ts";
export type {
  HandshakeResponse,
  HandshakeResponseOptions,
  ParseRequestOptions,
  RejectOptions,
  ServerRequest,
} from "./server/mod.ts";
export { ServerConnection } from "./server/mod.ts";
export type {
  AcceptOptions,
  RequestEvent,
  ServerConnectionEvent,
  ServerConnectionOptions,
} from "./server/mod.ts";
