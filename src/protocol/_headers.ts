/**
 * Header helpers shared by the legacy client handshake and the server
 * handshake: user header validation, comma-separated lists, Latin-1 bytes.
 * (Private: tested through `legacy_handshake.ts` and `server_handshake.ts`.)
 *
 * @module
 */

import type { HandshakeHeaders } from "./handshake.ts";

/** RFC 9110 §5.6.2: token = 1*tchar. */
export const TOKEN: RegExp = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 9110 §5.5: field-value characters (HTAB, SP, VCHAR, obs-text); no CR, LF or NUL. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Validates user headers into a list of pairs: names are tokens (RFC 9110
 * §5.1), values are trimmed and free of CR, LF and NUL (RFC 9110 §5.5, so
 * no value can inject a header line), and protocol-owned names are refused.
 *
 * @param headers A record, a list of pairs, or anything with `forEach(value, name)`.
 * @param reserved Lower-cased names the protocol writes itself, with the reason.
 * @param action What is being built, for messages: "create handshake request".
 * @returns The pairs, in order.
 * @throws {TypeError} For an invalid name or value, or a reserved name.
 */
export function headerPairs(
  headers: HandshakeHeaders | undefined,
  reserved: ReadonlyMap<string, string>,
  action: string,
): [string, string][] {
  const pairs: [string, string][] = [];
  if (headers === undefined) return pairs;
  if (Array.isArray(headers)) {
    for (const [name, value] of headers as ReadonlyArray<readonly [string, string]>) {
      pairs.push([name, value]);
    }
  } else if (typeof (headers as { forEach?: unknown }).forEach === "function") {
    (headers as { forEach(cb: (value: string, name: string) => void): void }).forEach((
      value,
      name,
    ) => pairs.push([name, value]));
  } else {
    for (const [name, value] of Object.entries(headers)) pairs.push([name, value as string]);
  }
  for (const pair of pairs) {
    const [name, value] = pair;
    if (typeof name !== "string" || !TOKEN.test(name)) {
      throw new TypeError(`Cannot ${action}: invalid header name ${JSON.stringify(name)}`);
    }
    const reason = reserved.get(name.toLowerCase());
    if (reason !== undefined) {
      throw new TypeError(`Cannot ${action}: cannot set header ${JSON.stringify(name)}: ${reason}`);
    }
    pair[1] = checkHeaderValue(name, value, action);
  }
  return pairs;
}

/**
 * Trims a header value and refuses what could break the message.
 *
 * @param name The header name, for the message.
 * @param value The value.
 * @param action What is being built, for messages.
 * @returns The trimmed value.
 * @throws {TypeError} When the value holds CR, LF, NUL or another control character.
 */
export function checkHeaderValue(name: string, value: string, action: string): string {
  const trimmed = String(value).replace(/^[ \t]+|[ \t]+$/g, "");
  // RFC 9110 §5.5: CR, LF and NUL in a field value are invalid and dangerous.
  if (!FIELD_VALUE.test(trimmed)) {
    throw new TypeError(`Cannot ${action}: invalid value for header ${JSON.stringify(name)}`);
  }
  return trimmed;
}

/**
 * Splits a comma-separated list, dropping empty elements (RFC 9110 §5.6.1.2).
 *
 * @param value The header value.
 * @returns The trimmed elements.
 */
export function splitList(value: string): string[] {
  return value.split(",").map((item) => item.trim()).filter((item) => item !== "");
}

/**
 * Whether a comma-separated header value holds `token`, ASCII case-insensitively.
 *
 * @param value The header value, or `null` when absent.
 * @param token The lower-case token, e.g. "upgrade".
 * @returns `true` when present.
 */
export function hasToken(value: string | null, token: string): boolean {
  return value !== null && splitList(value).some((item) => item.toLowerCase() === token);
}

/**
 * Latin-1 ("isomorphic") encoding; every code unit must be at most 0xFF,
 * which validated header values are.
 *
 * @param text The text.
 * @returns One byte per code unit.
 */
export function latin1Bytes(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * Concatenates byte arrays into a new one.
 *
 * @param parts The arrays.
 * @returns Their bytes in order.
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
