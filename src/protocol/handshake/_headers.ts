/**
 * Header helpers shared by the handshakes (`./handshake.ts`,
 * `../legacy/legacy_handshake.ts`, `../server/server_handshake.ts`): user header
 * validation, comma-separated lists, Latin-1 bytes, and the checks and
 * errors common to both client validations of a response.
 * (Private: tested through those modules.)
 *
 * @module
 */

import { HandshakeError } from "../errors.ts";
import type { ResponseHead } from "../http/http_response.ts";

/** User headers: a record, a list of pairs, or anything with `forEach(value, name)` such as `Headers`. */
export type HandshakeHeaders =
  | Readonly<Record<string, string>>
  | ReadonlyArray<readonly [string, string]>
  | { forEach(callback: (value: string, name: string) => void): void };

/** RFC 9110 §5.6.2: token = 1*tchar. */
export const TOKEN: RegExp = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 9110 §5.5: field-value characters (HTAB, SP, VCHAR, obs-text); no CR, LF or NUL. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * User headers as a list of pairs, in order, not yet validated.
 *
 * @param headers A record, a list of pairs, or anything with `forEach(value, name)`.
 * @returns New pairs (the caller may replace their values).
 */
export function toPairs(headers: HandshakeHeaders | undefined): [string, string][] {
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
  return pairs;
}

/**
 * Refuses a user header name that is not a token (RFC 9110 §5.1:
 * field-name = token) or that the protocol writes itself.
 *
 * @param name The name.
 * @param reserved Lower-cased names the protocol writes itself, with the reason.
 * @param action What is being built, for messages: "create handshake request".
 * @returns The name, lower-cased.
 * @throws {TypeError} For an invalid or reserved name.
 */
export function checkHeaderName(
  name: string,
  reserved: ReadonlyMap<string, string>,
  action: string,
): string {
  if (typeof name !== "string" || !TOKEN.test(name)) {
    throw new TypeError(`Cannot ${action}: invalid header name ${JSON.stringify(name)}`);
  }
  const lower = name.toLowerCase();
  const reason = reserved.get(lower);
  if (reason !== undefined) {
    throw new TypeError(`Cannot ${action}: cannot set header ${JSON.stringify(name)}: ${reason}`);
  }
  return lower;
}

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
  const pairs = toPairs(headers);
  for (const pair of pairs) {
    checkHeaderName(pair[0], reserved, action);
    pair[1] = checkHeaderValue(pair[0], pair[1], action);
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
  // RFC 9110 §5.5: CR, LF and NUL in a field value are invalid and dangerous;
  // allowing them would let a value inject header lines (RFC 9112 §5, "request smuggling").
  if (!FIELD_VALUE.test(trimmed)) {
    // Name the character and where it is: "…" (U+2026) in a token pasted
    // from a document is the usual culprit, and CR/LF the dangerous one.
    const original = String(value);
    let position = 0;
    while (position < original.length && FIELD_VALUE.test(original[position]!)) position++;
    const code = original.codePointAt(position) ?? 0;
    const shown = code < 0x20 || code === 0x7f
      ? ""
      : `${JSON.stringify(String.fromCodePoint(code))} `;
    throw new TypeError(
      `Cannot ${action}: invalid value for header ${JSON.stringify(name)}: character ${shown}(U+${
        code.toString(16).toUpperCase().padStart(4, "0")
      }) at position ${position}; a header value is a byte string (U+0000-U+00FF) without CR, LF or NUL`,
    );
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
  // A single element (the usual `Upgrade: websocket`) needs no split, map and filter.
  if (!value.includes(",")) {
    const item = value.trim();
    return item === "" ? [] : [item];
  }
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
  if (value === null) return false;
  // A single element (the usual `Connection: Upgrade`): no list to make.
  if (!value.includes(",")) return value.trim().toLowerCase() === token;
  return splitList(value).some((item) => item.toLowerCase() === token);
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

/** Builds the `HandshakeError` for a response being validated. */
export type Fail = (code: HandshakeError["code"], detail: string) => HandshakeError;

/**
 * The error factory for one response: every error carries its status,
 * headers and body.
 *
 * @param head The response head.
 * @param body Bytes received after the head (for a refused handshake).
 * @returns The factory.
 */
export function responseFailure(head: ResponseHead, body: Uint8Array = new Uint8Array(0)): Fail {
  return (code, detail) =>
    new HandshakeError(code, `Cannot open connection: ${detail}`, {
      status: head.status,
      statusText: head.statusText,
      headers: head.headers,
      body,
    });
}

/**
 * Checks that a response switches protocols: status 101, in HTTP/1.1.
 *
 * @param head The response head.
 * @param fail The error factory.
 * @throws {HandshakeError} `UNEXPECTED_STATUS` or `MALFORMED_RESPONSE`.
 */
export function checkSwitchingProtocols(head: ResponseHead, fail: Fail): void {
  // RFC 6455 §4.1 step 1 (hybi-00 §4.1 step 30): "If the status code received
  // from the server is not 101, the client handles the response per HTTP
  // procedures" - here, a refusal (407, proxy authentication, included).
  if (head.status !== 101) {
    throw fail(
      "UNEXPECTED_STATUS",
      `the server answered ${`${head.status} ${head.statusText}`.trim()}`,
    );
  }
  // RFC 9110 §7.8: Upgrade belongs to HTTP/1.1; RFC 6455 §4.2.2 answers "HTTP/1.1 101".
  if (head.version === "HTTP/1.0") {
    throw fail("MALFORMED_RESPONSE", "a 101 response must not be HTTP/1.0");
  }
}
