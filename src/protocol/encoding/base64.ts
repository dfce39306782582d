/**
 * Base64 with the standard alphabet and padding (RFC 4648 §4), synchronous
 * and free of runtime globals (`atob`/`btoa` work on binary strings and
 * `Buffer` is Node's).
 *
 * The handshake uses it twice: the `Sec-WebSocket-Key` nonce (RFC 6455 §4.1)
 * and the `Sec-WebSocket-Accept` digest (§4.2.2). It also encodes
 * `Authorization: Basic` credentials (RFC 7617 §2).
 *
 * @module
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Character code → 6-bit value, or -1 outside the alphabet. */
const DECODE_TABLE: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/**
 * Encodes bytes as padded base64 (RFC 4648 §4).
 *
 * @example Encoding the RFC 6455 §1.3 sample nonce
 * ```ts
 * import { encodeBase64 } from "./base64.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeBase64(new TextEncoder().encode("the sample nonce")), "dGhlIHNhbXBsZSBub25jZQ==");
 * ```
 *
 * @param data The bytes; read, never modified.
 * @returns The base64 text, padded with "=" to a multiple of 4 characters.
 */
export function encodeBase64(data: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < data.length; i += 3) {
    const n = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! +
      ALPHABET[n & 63]!;
  }
  const rest = data.length - i;
  if (rest === 1) {
    const n = data[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + "==";
  } else if (rest === 2) {
    const n = (data[i]! << 16) | (data[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + "=";
  }
  return out;
}

/**
 * Decodes padded base64 strictly: RFC 4648 §3.3 (characters outside the
 * alphabet, whitespace included, are rejected), §3.2 (padding is required)
 * and §3.5 (the unused bits before padding must be zero, so every byte
 * string has exactly one accepted encoding).
 *
 * @example Decoding a handshake key back to its 16 bytes
 * ```ts
 * import { decodeBase64 } from "./base64.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(decodeBase64("dGhlIHNhbXBsZSBub25jZQ==").length, 16);
 * assert.throws(() => decodeBase64("dGhlIHNhbXBsZSBub25jZQ"), SyntaxError);
 * ```
 *
 * @param text The base64 text.
 * @returns The decoded bytes.
 * @throws {SyntaxError} When the text is not canonical padded base64.
 */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  // RFC 4648 §3.2: padded encodings are a multiple of 4 characters long.
  if (text.length % 4 !== 0) {
    throw new SyntaxError(`Cannot decode base64: the length ${text.length} is not a multiple of 4`);
  }
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const size = (text.length / 4) * 3 - padding;
  const out = new Uint8Array(size);
  const end = text.length - padding;
  let bits = 0;
  let count = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? DECODE_TABLE[code]! : -1;
    // RFC 4648 §3.3: non-alphabet characters (and "=" before the end) are invalid.
    if (value < 0) {
      throw new SyntaxError(`Cannot decode base64: invalid character at index ${i}`);
    }
    bits = (bits << 6) | value;
    count += 6;
    if (count >= 8) {
      count -= 8;
      out[o++] = (bits >> count) & 0xff;
      bits &= (1 << count) - 1;
    }
  }
  // RFC 4648 §3.5: the pad bits of the last group must be zero.
  if (bits !== 0) {
    throw new SyntaxError("Cannot decode base64: non-zero bits before the padding");
  }
  return out;
}
