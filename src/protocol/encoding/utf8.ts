/**
 * UTF-8 validation and decoding (RFC 6455 §8.1, RFC 3629).
 *
 * Decoding uses the WHATWG UTF-8 decoder in fatal mode, which rejects a
 * sequence at the first byte that cannot continue it: overlong forms,
 * surrogates (U+D800-U+DFFF) and code points above U+10FFFF fail as soon as
 * the offending byte arrives, so a text message split over fragments fails
 * fast, on the fragment that breaks it (§8.1: "MUST Fail the WebSocket
 * Connection" as soon as the data is known to be invalid). A byte order mark
 * is kept, not stripped: it is part of the message.
 *
 * @module
 */

const sharedDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const sharedEncoder = new TextEncoder();

/**
 * Decodes complete UTF-8 bytes.
 *
 * @param bytes The bytes.
 * @returns The string, BOM kept.
 * @throws {TypeError} When the bytes are not valid UTF-8.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  return sharedDecoder.decode(bytes);
}

/**
 * Encodes a string as UTF-8. Lone surrogates become U+FFFD, as WebIDL's
 * USVString conversion requires.
 *
 * @param text The string.
 * @returns Its UTF-8 bytes.
 */
export function encodeUtf8(text: string): Uint8Array<ArrayBuffer> {
  return sharedEncoder.encode(text) as Uint8Array<ArrayBuffer>;
}

/**
 * Whether `bytes` are complete, valid UTF-8.
 *
 * @param bytes The bytes.
 * @returns `true` when valid.
 */
export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    sharedDecoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decodes a text message fragment by fragment, failing on the first
 * fragment that makes the message invalid.
 *
 * @example A code point split over two fragments
 * ```ts
 * import { Utf8StreamDecoder } from "./utf8.ts";
 * import assert from "node:assert/strict";
 *
 * const decoder = new Utf8StreamDecoder();
 * assert.equal(decoder.push(new Uint8Array([0x68, 0xc3])), true);
 * assert.equal(decoder.push(new Uint8Array([0xa9])), true);
 * assert.equal(decoder.end(), "hé");
 * ```
 */
export class Utf8StreamDecoder {
  // Made on first use: most connections never see a fragmented text message.
  #decoder: TextDecoder | null = null;
  #parts: string[] = [];
  #failed = false;

  /**
   * Adds a fragment.
   *
   * @param bytes The fragment's payload.
   * @returns `false` once the text is known to be invalid.
   */
  push(bytes: Uint8Array): boolean {
    if (this.#failed) return false;
    try {
      this.#decoder ??= new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
      const part = this.#decoder.decode(bytes, { stream: true });
      if (part !== "") this.#parts.push(part);
      return true;
    } catch {
      this.#failed = true;
      return false;
    }
  }

  /**
   * Ends the message.
   *
   * @returns The decoded text, or `null` when invalid or truncated.
   */
  end(): string | null {
    if (this.#failed) return null;
    try {
      const last = this.#decoder?.decode() ?? "";
      if (last !== "") this.#parts.push(last);
    } catch {
      this.#failed = true;
      return null;
    }
    const text = this.#parts.length === 1 ? this.#parts[0]! : this.#parts.join("");
    this.#parts = [];
    return text;
  }

  /** Forgets any partial message so the decoder can be reused. */
  reset(): void {
    this.#decoder = null;
    this.#parts = [];
    this.#failed = false;
  }
}
