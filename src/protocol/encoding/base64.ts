/**
 * Base64 with the standard alphabet and padding (RFC 4648 §4), on top of
 * the platform's synchronous `btoa`/`atob` (every runtime has them).
 * `atob` is lenient (it skips whitespace and accepts missing padding and
 * non-zero pad bits), so {@linkcode decodeBase64} checks the text first.
 *
 * The handshake uses it twice: the `Sec-WebSocket-Key` nonce (RFC 6455 §4.1)
 * and the `Sec-WebSocket-Accept` digest (§4.2.2). It also encodes
 * `Authorization: Basic` credentials (RFC 7617 §2).
 *
 * @module
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** The first character outside the alphabet. */
const NOT_ALPHABET = /[^A-Za-z0-9+/]/;

/** Bytes per `String.fromCharCode` call, well under every engine's argument limit. */
const CHUNK = 0x2000;

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
  // A short input (a handshake key or digest) goes whole, without a view (slow to make on Bun).
  if (data.length <= CHUNK) {
    return btoa(String.fromCharCode.apply(null, data as unknown as number[]));
  }
  let binary = "";
  for (let i = 0; i < data.length; i += CHUNK) {
    // `apply` takes the typed array as it is, without the iterator protocol of a spread.
    binary += String.fromCharCode.apply(null, data.subarray(i, i + CHUNK) as unknown as number[]);
  }
  return btoa(binary);
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
  const end = text.length - padding;
  // RFC 4648 §3.3: non-alphabet characters (and "=" before the end) are invalid.
  const invalid = text.slice(0, end).search(NOT_ALPHABET);
  if (invalid >= 0) {
    throw new SyntaxError(`Cannot decode base64: invalid character at index ${invalid}`);
  }
  // RFC 4648 §3.5: the pad bits of the last group must be zero (4 bits before
  // "==", 2 before "=").
  const last = padding === 0 ? 0 : ALPHABET.indexOf(text[end - 1]!);
  if ((last & (padding === 2 ? 0x0f : 0x03)) !== 0) {
    throw new SyntaxError("Cannot decode base64: non-zero bits before the padding");
  }
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
