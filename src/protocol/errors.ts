/**
 * The error family of the protocol core.
 *
 * - {@linkcode ProtocolError}: the peer broke RFC 6455 (or a limit we enforce).
 *   It carries a stable string `code` and the `closeCode` sent on the wire.
 *   The core never throws it from `receiveData()`: it is kept as the cause of
 *   the close event.
 * - {@linkcode HandshakeError}: the server's opening handshake response was
 *   refused. It carries the status, the headers and a capped body.
 * - Local misuse (bad arguments, sending after close) throws built-ins:
 *   `TypeError`, `RangeError`, or {@linkcode InvalidStateError}.
 *
 * Messages follow one style: "Cannot <action>: <detail>", sentence case, no
 * trailing period.
 *
 * @module
 */

/**
 * Stable codes of {@linkcode ProtocolError}, with the close code each maps to
 * (numbers, not `CLOSE_CODE` names, because `close_code.ts` imports this file).
 */
export const PROTOCOL_ERROR_CODES = {
  /** RSV1, RSV2 or RSV3 set without a negotiated extension owning it (RFC 6455 §5.2). */
  UNEXPECTED_RSV: 1002, // ProtocolError
  /** Opcode 3-7 or 0xB-0xF (RFC 6455 §5.2). */
  RESERVED_OPCODE: 1002, // ProtocolError
  /** A server frame had the MASK bit set (RFC 6455 §5.1). */
  MASKED_FRAME: 1002, // ProtocolError
  /** A client frame (seen by a server) had no mask (RFC 6455 §5.1). */
  UNMASKED_FRAME: 1002, // ProtocolError
  /** A control frame with a payload over 125 bytes (RFC 6455 §5.5). */
  CONTROL_FRAME_TOO_LONG: 1002, // ProtocolError
  /** A control frame with FIN clear (RFC 6455 §5.5). */
  FRAGMENTED_CONTROL_FRAME: 1002, // ProtocolError
  /** A 64-bit length with its most significant bit set (RFC 6455 §5.2). */
  INVALID_PAYLOAD_LENGTH: 1002, // ProtocolError
  /** A length not in its minimal encoding (RFC 6455 §5.2, "the minimal number of bytes"). */
  NON_MINIMAL_LENGTH: 1002, // ProtocolError
  /** A continuation frame with no message in progress (RFC 6455 §5.4). */
  UNEXPECTED_CONTINUATION: 1002, // ProtocolError
  /** A new text/binary frame while a fragmented message is in progress (RFC 6455 §5.4). */
  EXPECTED_CONTINUATION: 1002, // ProtocolError
  /** A close frame with a 1-byte payload (RFC 6455 §5.5.1). */
  INVALID_CLOSE_PAYLOAD: 1002, // ProtocolError
  /** A close code that may not be received (RFC 6455 §7.4). */
  INVALID_CLOSE_CODE: 1002, // ProtocolError
  /** Text payload or close reason is not valid UTF-8 (RFC 6455 §8.1). */
  INVALID_UTF8: 1007, // InvalidFramePayloadData
  /** A frame over `maxFrameSize` (RFC 6455 §10.4). */
  FRAME_TOO_BIG: 1009, // MessageTooBig
  /** A message over `maxMessageSize` (RFC 6455 §10.4). */
  MESSAGE_TOO_BIG: 1009, // MessageTooBig
  /** A message in more fragments than `maxFragments` (RFC 6455 §10.4). */
  TOO_MANY_FRAGMENTS: 1009, // MessageTooBig
  /** An extension failed to decode a message, e.g. bad deflate data (RFC 7692 §8). */
  EXTENSION_ERROR: 1002, // ProtocolError
  /** The connection ended without a closing handshake (RFC 6455 §7.1.5). */
  UNEXPECTED_EOF: 1006, // AbnormalClosure
  /** A legacy (hybi-00/hixie-75) frame that the framing does not allow. */
  INVALID_LEGACY_FRAME: 1002, // ProtocolError
} as const;

/** A stable code of {@linkcode ProtocolError}. */
export type ProtocolErrorCode = keyof typeof PROTOCOL_ERROR_CODES;

/**
 * The peer violated the protocol, or sent more than a limit allows.
 *
 * @example Inspecting a violation
 * ```ts
 * import { ProtocolError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new ProtocolError("RESERVED_OPCODE", "Cannot parse frame: reserved opcode 0x3");
 * assert.equal(error.closeCode, 1002);
 * ```
 */
export class ProtocolError extends Error {
  /** A stable string naming the violated rule. */
  readonly code: ProtocolErrorCode;
  /** The close code sent to (or reported for) the peer. */
  readonly closeCode: number;

  /**
   * Creates a protocol error; the close code is derived from `code`.
   *
   * @param code A stable code from {@linkcode PROTOCOL_ERROR_CODES}.
   * @param message "Cannot <action>: <detail>".
   */
  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
    this.closeCode = PROTOCOL_ERROR_CODES[code];
  }
}

/** Stable codes of {@linkcode HandshakeError}. */
export type HandshakeErrorCode =
  /** The response was not `101 Switching Protocols` (RFC 6455 §4.1 step 1). */
  | "UNEXPECTED_STATUS"
  /** `Upgrade: websocket` missing or different (RFC 6455 §4.1 step 2). */
  | "INVALID_UPGRADE"
  /** `Connection: Upgrade` missing or different (RFC 6455 §4.1 step 3). */
  | "INVALID_CONNECTION"
  /** `Sec-WebSocket-Accept` missing or wrong (RFC 6455 §4.1 step 4). */
  | "INVALID_ACCEPT"
  /** An extension that was not offered, or bad parameters (RFC 6455 §4.1 step 5). */
  | "INVALID_EXTENSIONS"
  /** A subprotocol that was not offered (RFC 6455 §4.1 step 6). */
  | "INVALID_SUBPROTOCOL"
  /** The response head is not valid HTTP/1.1 (RFC 9112). */
  | "MALFORMED_RESPONSE"
  /** The response head is larger than `maxHandshakeSize`. */
  | "RESPONSE_TOO_LARGE"
  /** The connection ended before the response head was complete. */
  | "UNEXPECTED_EOF"
  /** A legacy (hybi-00) challenge answer that does not match. */
  | "INVALID_CHALLENGE_RESPONSE"
  /** A legacy (hixie-75/hybi-00) origin or location header that does not match. */
  | "INVALID_LOCATION"
  /** Server side: the request is not a valid WebSocket opening handshake (RFC 6455 §4.2.1); answered 400 or 405. */
  | "MALFORMED_REQUEST"
  /** Server side: the request head is larger than `maxHandshakeSize`; answered 431. */
  | "REQUEST_TOO_LARGE"
  /** Server side: `Sec-WebSocket-Key` (RFC 6455 §4.2.1 item 5) or a hybi-00 key is invalid; answered 400. */
  | "INVALID_KEY"
  /** Server side: a protocol version the server does not speak (RFC 6455 §4.4); answered 426. */
  | "UNSUPPORTED_VERSION";

/** A response header list: lower-cased names, in order, duplicates kept. */
export type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

/**
 * The server refused or botched the opening handshake.
 *
 * @example Reading the status of a refused handshake
 * ```ts
 * import { HandshakeError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new HandshakeError("UNEXPECTED_STATUS", "Cannot open connection: server answered 404 Not Found", {
 *   status: 404, statusText: "Not Found", headers: [["content-type", "text/plain"]], body: new Uint8Array(),
 * });
 * assert.equal(error.status, 404);
 * ```
 */
export class HandshakeError extends Error {
  /** A stable string naming the failed check. */
  readonly code: HandshakeErrorCode;
  /** The response status, or 0 when no complete head was received. */
  readonly status: number;
  /** The response reason phrase, or "". */
  readonly statusText: string;
  /** The response headers (lower-cased names), or empty. */
  readonly headers: HeaderList;
  /** The bytes that followed the head, capped (see `maxHandshakeSize`). */
  readonly body: Uint8Array;
  /**
   * The URLs redirected through before this response, in order, when the
   * client follows redirects (`followRedirects`); empty otherwise.
   */
  readonly redirects: readonly string[];

  /**
   * Creates a handshake error.
   *
   * @param code What check failed.
   * @param message "Cannot open connection: <detail>".
   * @param response What was received of the response.
   */
  constructor(
    code: HandshakeErrorCode,
    message: string,
    response: {
      status: number;
      statusText: string;
      headers: HeaderList;
      body: Uint8Array;
      redirects?: readonly string[];
    } = { status: 0, statusText: "", headers: [], body: new Uint8Array(0) },
  ) {
    super(message);
    this.name = "HandshakeError";
    this.code = code;
    this.status = response.status;
    this.statusText = response.statusText;
    this.headers = response.headers;
    this.body = response.body;
    this.redirects = response.redirects ?? [];
  }
}

/**
 * The API was used in a state that does not allow it, e.g. sending after
 * the closing handshake started. Thrown synchronously, never caused by the
 * peer.
 */
export class InvalidStateError extends Error {
  /**
   * Creates the error.
   *
   * @param message "Cannot <action>: <detail>".
   */
  constructor(message: string) {
    super(message);
    this.name = "InvalidStateError";
  }
}
