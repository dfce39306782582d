/**
 * Close status codes (RFC 6455 §7.4, IANA "WebSocket Close Code Number
 * Registry") and the close frame payload (§5.5.1).
 *
 * | code | name | on the wire |
 * |---|---|---|
 * | 1000 | NormalClosure | yes |
 * | 1001 | GoingAway | yes |
 * | 1002 | ProtocolError | yes |
 * | 1003 | UnsupportedData | yes |
 * | 1005 | NoStatusReceived | never (reported when a close frame had no code) |
 * | 1006 | AbnormalClosure | never (reported when the connection dropped) |
 * | 1007 | InvalidFramePayloadData | yes |
 * | 1008 | PolicyViolation | yes |
 * | 1009 | MessageTooBig | yes |
 * | 1010 | MandatoryExtension | yes (client only) |
 * | 1011 | InternalError | yes |
 * | 1012 | ServiceRestart | yes (IANA) |
 * | 1013 | TryAgainLater | yes (IANA) |
 * | 1014 | BadGateway | yes (IANA) |
 * | 1015 | TlsHandshake | never (reported when TLS failed) |
 * | 3000-3999 | registered by libraries and frameworks | yes |
 * | 4000-4999 | private use | yes |
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import { decodeUtf8 } from "../encoding/utf8.ts";

/** Close codes of RFC 6455 §7.4.1 and the IANA registry. */
export const CLOSE_CODE = {
  /** 1000, §7.4.1: the purpose of the connection was fulfilled. */
  NormalClosure: 1000,
  /** 1001, §7.4.1: an endpoint is going away (server down, page left). */
  GoingAway: 1001,
  /** 1002, §7.4.1: the peer violated the protocol. */
  ProtocolError: 1002,
  /** 1003, §7.4.1: a data type the endpoint cannot accept. */
  UnsupportedData: 1003,
  /** 1005, §7.4.1: no status code was present; never sent. */
  NoStatusReceived: 1005,
  /** 1006, §7.4.1: closed without a close frame; never sent. */
  AbnormalClosure: 1006,
  /** 1007, §7.4.1: data inconsistent with the message type (bad UTF-8). */
  InvalidFramePayloadData: 1007,
  /** 1008, §7.4.1: a message violating the endpoint's policy. */
  PolicyViolation: 1008,
  /** 1009, §7.4.1: a message too big to process. */
  MessageTooBig: 1009,
  /** 1010, §7.4.1: the client expected an extension the server did not negotiate. */
  MandatoryExtension: 1010,
  /** 1011, §7.4.1: the server hit an unexpected condition. */
  InternalError: 1011,
  /** 1012, IANA: the service is restarting. */
  ServiceRestart: 1012,
  /** 1013, IANA: try again later. */
  TryAgainLater: 1013,
  /** 1014, IANA: the gateway got an invalid response. */
  BadGateway: 1014,
  /** 1015, §7.4.1: the TLS handshake failed; never sent. */
  TlsHandshake: 1015,
} as const;

/** A close code named in {@linkcode CLOSE_CODE}. */
export type CloseCode = typeof CLOSE_CODE[keyof typeof CLOSE_CODE];

/** The longest close reason in UTF-8 bytes: 125 minus the 2-byte code (§5.5). */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * Whether a close frame received from the peer may carry `code` (§7.4.1,
 * §7.4.2: 1005, 1006 and 1015 never appear on the wire; 0-999 are unused;
 * 1016-2999 are reserved for the protocol).
 *
 * @param code The code read from a close frame.
 * @returns `true` when the code is valid on the wire.
 */
export function isReceivableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999);
}

/**
 * Whether an application may send `code` (WHATWG: 1000 or 3000-4999). The
 * core itself also sends 1001-1003 and 1007-1011 when it fails a connection.
 *
 * @param code The code an application asked to send.
 * @returns `true` for 1000 and 3000-4999.
 */
export function isApplicationCloseCode(code: number): boolean {
  return code === 1000 || (code >= 3000 && code <= 4999);
}

/**
 * Cuts `reason` to at most {@linkcode MAX_CLOSE_REASON_BYTES} UTF-8 bytes, on a
 * code-point boundary. Used for reasons the core writes itself.
 *
 * @param reason Any string.
 * @returns The longest prefix that fits.
 */
export function truncateCloseReason(reason: string): string {
  const bytes = new TextEncoder().encode(reason);
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return reason;
  let end = MAX_CLOSE_REASON_BYTES;
  // Step back over continuation bytes (10xxxxxx) to a code-point start.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

/**
 * Builds a close frame payload (§5.5.1): empty when `code` is undefined,
 * else the 2-byte code and the UTF-8 reason.
 *
 * @param code The close code, or `undefined` for an empty payload.
 * @param reason The reason; requires a code.
 * @returns The payload bytes.
 * @throws {RangeError} When the reason is over 123 bytes or given without a code.
 */
export function encodeClosePayload(code?: number, reason = ""): Uint8Array<ArrayBuffer> {
  if (code === undefined) {
    if (reason !== "") {
      throw new RangeError("Cannot encode close payload: a reason requires a code");
    }
    return new Uint8Array(0);
  }
  const text = new TextEncoder().encode(reason);
  if (text.length > MAX_CLOSE_REASON_BYTES) {
    throw new RangeError(
      `Cannot encode close payload: the reason is ${text.length} bytes, more than ${MAX_CLOSE_REASON_BYTES}`,
    );
  }
  const payload = new Uint8Array(2 + text.length);
  payload[0] = code >> 8;
  payload[1] = code & 0xff;
  payload.set(text, 2);
  return payload;
}

/** A parsed close frame payload. */
export interface ClosePayload {
  /** The code, or 1005 (NoStatusReceived) when the payload was empty. */
  readonly code: number;
  /** The reason, "" when absent. */
  readonly reason: string;
}

/**
 * Parses a received close frame payload (§5.5.1, §7.1.5).
 *
 * @param payload The close frame's payload.
 * @returns The code (1005 if empty) and reason.
 * @throws {ProtocolError} `INVALID_CLOSE_PAYLOAD` for 1 byte,
 * `INVALID_CLOSE_CODE` for a code not valid on the wire, `INVALID_UTF8` for a bad reason.
 */
export function decodeClosePayload(payload: Uint8Array): ClosePayload {
  if (payload.length === 0) return { code: CLOSE_CODE.NoStatusReceived, reason: "" };
  if (payload.length === 1) {
    throw new ProtocolError(
      "INVALID_CLOSE_PAYLOAD",
      "Cannot parse close frame: the payload is 1 byte",
    );
  }
  const code = (payload[0]! << 8) | payload[1]!;
  if (!isReceivableCloseCode(code)) {
    throw new ProtocolError(
      "INVALID_CLOSE_CODE",
      `Cannot parse close frame: invalid close code ${code}`,
    );
  }
  let reason: string;
  try {
    // Fatal decoding validates and decodes in one pass (§8.1).
    reason = decodeUtf8(payload.subarray(2));
  } catch {
    throw new ProtocolError(
      "INVALID_UTF8",
      "Cannot parse close frame: the reason is not valid UTF-8",
    );
  }
  return { code, reason };
}
