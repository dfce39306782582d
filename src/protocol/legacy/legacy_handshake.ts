/**
 * The opening handshakes of the two pre-RFC protocol versions still found
 * behind old servers and embedded devices:
 *
 * - `"hixie-75"`: draft-hixie-thewebsocketprotocol-75 (Chrome 4, Safari 5.0).
 *   No key: the server answers with `WebSocket-Origin` and
 *   `WebSocket-Location`, which the client checks (§4.1).
 * - `"hybi-00"`: draft-ietf-hybi-thewebsocketprotocol-00, identical to
 *   draft-hixie-thewebsocketprotocol-76 (Chrome 6-13, Safari 5.0.1-5.1,
 *   Firefox 4 beta). Two keys, `Sec-WebSocket-Key1`/`Key2`, hide a number
 *   each among spaces and random characters; eight random bytes, "key3",
 *   follow the request head; the server answers with
 *   `Sec-WebSocket-Origin`, `Sec-WebSocket-Location` and, after its head,
 *   the 16-byte MD5 of both numbers and key3 (§4.1, §5.2).
 *
 * Decisions, where the drafts are strict or the seed library lenient:
 * - The status line needs code 101 and any reason phrase: hixie-75 §4.1
 *   compares 85 bytes exactly, "Web Socket Protocol Handshake" with a space,
 *   which servers (the seed among them) spelled without one.
 * - `Upgrade` and `Connection` compare ASCII case-insensitively, and
 *   `Connection` may be a list, as RFC 6455 allows.
 * - Origin and location must match (a failed check is `INVALID_LOCATION`);
 *   scheme and host compare case-insensitively, the resource exactly.
 * - A subprotocol is optional in the response, as in RFC 6455; one that
 *   differs from the offer fails. The drafts offer one subprotocol, so more
 *   than one is refused when building the request.
 * - The client sends `Origin`, by default `http://` + Host (`https://` for
 *   `wss:`), as the seed does: the drafts require the field, and the server
 *   must echo it.
 * - No `Content-Length: 8` before key3 (the seed sends one); the drafts and
 *   the browsers of the time did not.
 *
 * @module
 */

import { concatBytes } from "../encoding/_bytes.ts";
import {
  checkHeaderValue,
  checkSwitchingProtocols,
  hasToken,
  headerPairs,
  latin1Bytes,
  responseFailure,
} from "../handshake/_headers.ts";
import type { HandshakeHeaders, HandshakeResult } from "../handshake/handshake.ts";
import { getHeader, type ResponseHead } from "../http/http_response.ts";
import { md5 } from "../encoding/md5.ts";
import type { LegacyVersion } from "../protocol_version.ts";
import type { RandomBytes } from "../encoding/random.ts";
import type { WebSocketUrl } from "../http/url.ts";

/** A hybi-00 key: the header value and the number hidden in it. */
export interface LegacyKey {
  /** The `Sec-WebSocket-Key1`/`Key2` value: digits, spaces and random characters. */
  readonly key: string;
  /** The number: the key's digits divided by its count of spaces. */
  readonly number: number;
}

/** The keys of a hybi-00 request. */
export interface LegacyKeys {
  /** `Sec-WebSocket-Key1`. */
  readonly key1: string;
  /** `Sec-WebSocket-Key2`. */
  readonly key2: string;
  /** The eight bytes sent after the request head. */
  readonly key3: Uint8Array;
}

/** What {@linkcode createLegacyHandshakeRequest} needs. */
export interface LegacyRequestOptions {
  /** `"hybi-00"` or `"hixie-75"`. */
  readonly version: LegacyVersion;
  /** The parsed WebSocket URL. */
  readonly url: WebSocketUrl;
  /** The `Origin` to send; see {@linkcode defaultLegacyOrigin}. */
  readonly origin: string;
  /** At most one subprotocol (the drafts offer a single one). */
  readonly protocols?: readonly string[];
  /** Extra headers; protocol-owned ones are refused. */
  readonly headers?: HandshakeHeaders;
  /** The keys; required for hybi-00, ignored for hixie-75. */
  readonly keys?: LegacyKeys;
}

/** What {@linkcode validateLegacyHandshakeResponse} checks the response against. */
export interface LegacyExpectation {
  /** `"hybi-00"` or `"hixie-75"`. */
  readonly version: LegacyVersion;
  /** The origin sent. */
  readonly origin: string;
  /** The location the server must name: see {@linkcode legacyLocation}. */
  readonly location: string;
  /** The subprotocols offered (at most one). */
  readonly protocols: readonly string[];
  /** Bytes received after the head, reported with a refused handshake. */
  readonly body?: Uint8Array;
}

/** Headers the legacy request writes itself, lower-cased, with what to use instead. */
const RESERVED_REQUEST_HEADERS: ReadonlyMap<string, string> = new Map([
  ["upgrade", "it is set by the protocol"],
  ["connection", "it is set by the protocol"],
  ["origin", "use the origin option"],
  ["sec-websocket-key1", "it is set by the protocol"],
  ["sec-websocket-key2", "it is set by the protocol"],
  ["sec-websocket-protocol", "use the protocols option"],
  ["websocket-protocol", "use the protocols option"],
  ["content-length", "the protocol sends key3 after the head"],
  ["transfer-encoding", "the protocol sends key3 after the head"],
]);

/** hybi-00 §4.1 step 16: random characters come from U+0021-U+002F and U+003A-U+007E. */
const KEY_CHARACTERS = (() => {
  let text = "";
  for (let code = 0x21; code <= 0x2f; code++) text += String.fromCharCode(code);
  for (let code = 0x3a; code <= 0x7e; code++) text += String.fromCharCode(code);
  return text;
})();

const MAX_UINT32 = 4_294_967_295;

/**
 * A uniform-enough integer in [0, bound) from 48 random bits (a bias below
 * 2^-16 for the bounds used here; the keys are not secrets).
 */
function randomInt(randomBytes: RandomBytes, bound: number): number {
  const bytes = randomBytes(6);
  let value = 0;
  for (let i = 0; i < 6; i++) value = value * 256 + (bytes[i] ?? 0);
  return value % bound;
}

/**
 * Generates a hybi-00 key (draft-ietf-hybi-thewebsocketprotocol-00 §4.1
 * steps 15-17): a random number times a random count of spaces (1-12),
 * written in base ten, with 1-12 random characters and the spaces inserted
 * at random places (spaces never first or last).
 *
 * @example A key holds its number
 * ```ts
 * import { generateLegacyKey, parseLegacyKey } from "./legacy_handshake.ts";
 * import assert from "node:assert/strict";
 *
 * const { key, number } = generateLegacyKey((n) => crypto.getRandomValues(new Uint8Array(n)));
 * assert.equal(parseLegacyKey(key), number);
 * ```
 *
 * @param randomBytes The source of randomness.
 * @returns The key and its number.
 */
export function generateLegacyKey(randomBytes: RandomBytes): LegacyKey {
  // Step 15: spaces_n in 1..12, number_n in 0..floor(4294967295 / spaces_n).
  const spaces = randomInt(randomBytes, 12) + 1;
  const max = Math.floor(MAX_UINT32 / spaces);
  const number = randomInt(randomBytes, max + 1);
  let key = String(number * spaces);
  // Step 16: "Insert between one and twelve random characters from the ranges
  // U+0021 to U+002F and U+003A to U+007E into key_n at random positions."
  const characters = randomInt(randomBytes, 12) + 1;
  for (let i = 0; i < characters; i++) {
    const at = randomInt(randomBytes, key.length + 1);
    const character = KEY_CHARACTERS[randomInt(randomBytes, KEY_CHARACTERS.length)]!;
    key = key.slice(0, at) + character + key.slice(at);
  }
  // Step 17: "Insert spaces_n U+0020 SPACE characters into key_n at random
  // positions other than the start or end of the string."
  for (let i = 0; i < spaces; i++) {
    const at = randomInt(randomBytes, key.length - 1) + 1;
    key = key.slice(0, at) + " " + key.slice(at);
  }
  return { key, number };
}

/**
 * Extracts the number of a hybi-00 key the way the server must
 * (draft-ietf-hybi-thewebsocketprotocol-00 §5.2): the digits as one base-10
 * number, divided by the count of spaces. Unlike the seed library, which
 * truncates, a key with no space or whose number is not an exact multiple
 * is refused, as the draft says ("abort the WebSocket connection").
 *
 * @example The draft's example key
 * ```ts
 * import { parseLegacyKey } from "./legacy_handshake.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseLegacyKey("18x 6]8vM;54 *(5:  {   U1]8  z [  8"), 155712099);
 * assert.equal(parseLegacyKey("1 2 3"), null); // 123 is not a multiple of 2
 * ```
 *
 * @param key The `Sec-WebSocket-Key1` or `Key2` value.
 * @returns The number (0 to 4294967295), or `null` when the key is invalid.
 */
export function parseLegacyKey(key: string): number | null {
  let digits = "";
  let spaces = 0;
  for (const character of key) {
    if (character >= "0" && character <= "9") digits += character;
    else if (character === " ") spaces++;
  }
  // "If either /spaces_1/ or /spaces_2/ is zero, then abort the WebSocket connection."
  digits = digits.replace(/^0+(?=\d)/, "");
  if (spaces === 0 || digits === "" || digits.length > 10) return null;
  const product = Number(digits);
  // A client's product is at most 4294967295 (§4.1 step 15); the quotient is a 32-bit number.
  // "If /key-number_1/ is not an integral multiple of /spaces_1/, then abort."
  if (product > MAX_UINT32 || product % spaces !== 0) return null;
  return product / spaces;
}

/**
 * Computes the 16-byte answer of a hybi-00 handshake
 * (draft-ietf-hybi-thewebsocketprotocol-00 §5.2): MD5 of both numbers as
 * big-endian 32-bit integers followed by key3.
 *
 * @example The draft's example
 * ```ts
 * import { computeChallengeResponse } from "./legacy_handshake.ts";
 * import assert from "node:assert/strict";
 *
 * const key3 = new TextEncoder().encode("Tm[K T2u");
 * const answer = computeChallengeResponse(155712099, 173347027, key3);
 * assert.equal(new TextDecoder().decode(answer), "fQJ,fN/4F4!~K~MH");
 * ```
 *
 * @param number1 The number of `Sec-WebSocket-Key1`.
 * @param number2 The number of `Sec-WebSocket-Key2`.
 * @param key3 The eight bytes after the request head.
 * @returns The 16 bytes the server sends after its head.
 * @throws {RangeError} When a number is not a 32-bit unsigned integer or key3 is not 8 bytes.
 */
export function computeChallengeResponse(
  number1: number,
  number2: number,
  key3: Uint8Array,
): Uint8Array<ArrayBuffer> {
  for (const number of [number1, number2]) {
    if (!Number.isInteger(number) || number < 0 || number > MAX_UINT32) {
      throw new RangeError(
        `Cannot compute challenge response: ${number} is not a 32-bit unsigned integer`,
      );
    }
  }
  if (key3.length !== 8) {
    throw new RangeError(`Cannot compute challenge response: key3 is ${key3.length} bytes, not 8`);
  }
  const challenge = new Uint8Array(16);
  const view = new DataView(challenge.buffer);
  view.setUint32(0, number1);
  view.setUint32(4, number2);
  challenge.set(key3, 8);
  return md5(challenge);
}

/**
 * Generates the three keys of a hybi-00 request.
 *
 * @param randomBytes The source of randomness.
 * @returns The keys, and the answer the server must send.
 */
export function generateLegacyKeys(
  randomBytes: RandomBytes,
): LegacyKeys & { readonly answer: Uint8Array } {
  const first = generateLegacyKey(randomBytes);
  const second = generateLegacyKey(randomBytes);
  // §4.1 step 20: "Let /key3/ be a string consisting of eight random bytes".
  const key3 = randomBytes(8).slice();
  return {
    key1: first.key,
    key2: second.key,
    key3,
    answer: computeChallengeResponse(first.number, second.number, key3),
  };
}

/**
 * The default `Origin` of a legacy request, as the seed sends it: the
 * scheme matching the connection's security, and the `Host` value.
 *
 * @param url The parsed WebSocket URL.
 * @returns E.g. `"http://example.com:8080"`.
 */
export function defaultLegacyOrigin(url: WebSocketUrl): string {
  return `${url.secure ? "https" : "http"}://${url.host}`;
}

/**
 * The location a legacy server names (hixie-75 §4.2 `WebSocket-Location`,
 * hybi-00 §5.2 `Sec-WebSocket-Location`): `ws://` or `wss://`, the host as
 * in `Host` (lower-cased), the resource name.
 *
 * @param secure Whether the connection is TLS.
 * @param host The `Host` value: host and, when not the default, ":port".
 * @param resource The resource name, e.g. "/chat?x".
 * @returns The location URL.
 */
export function legacyLocation(secure: boolean, host: string, resource: string): string {
  return `${secure ? "wss" : "ws"}://${host.toLowerCase()}${resource}`;
}

/**
 * Builds a legacy opening handshake request (hixie-75 §4.1, hybi-00 §4.1):
 * the request line, `Upgrade: WebSocket`, `Connection: Upgrade`, `Host`,
 * `Origin`, the subprotocol, the two keys (hybi-00), the user's headers,
 * then key3 (hybi-00) after the empty line.
 *
 * @example A hixie-75 request
 * ```ts
 * import { createLegacyHandshakeRequest } from "./legacy_handshake.ts";
 * import { parseWebSocketUrl } from "../http/url.ts";
 * import assert from "node:assert/strict";
 *
 * const request = createLegacyHandshakeRequest({
 *   version: "hixie-75", url: parseWebSocketUrl("ws://example.com/demo"), origin: "http://example.com",
 * });
 * assert.equal(
 *   new TextDecoder().decode(request),
 *   "GET /demo HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nHost: example.com\r\nOrigin: http://example.com\r\n\r\n",
 * );
 * ```
 *
 * @param options The version, URL, origin, subprotocol, headers and keys.
 * @returns The request bytes (with key3 for hybi-00).
 * @throws {SyntaxError} For more than one subprotocol, or one with characters outside U+0021-U+007E.
 * @throws {TypeError} For invalid or protocol-owned headers, an invalid origin, or missing hybi-00 keys.
 */
export function createLegacyHandshakeRequest(
  options: LegacyRequestOptions,
): Uint8Array<ArrayBuffer> {
  const { version, url, protocols = [] } = options;
  const action = "create handshake request";
  // hybi-00 §4.1 / hixie-75 §4.1: /protocol/ is one string of U+0021-U+007E... (a single subprotocol).
  if (protocols.length > 1) {
    throw new SyntaxError(
      `Cannot ${action}: ${version} offers at most one subprotocol, got ${protocols.length}`,
    );
  }
  const protocol = protocols[0];
  if (protocol !== undefined && !/^[\x21-\x7e]+$/.test(protocol)) {
    throw new SyntaxError(
      `Cannot ${action}: the subprotocol ${JSON.stringify(protocol)} is not valid`,
    );
  }
  const user = headerPairs(options.headers, RESERVED_REQUEST_HEADERS, action);
  const host = user.find(([name]) => name.toLowerCase() === "host");
  const lines = [
    `GET ${url.resource} HTTP/1.1`,
    // hixie-75 §4.1 and hybi-00 §4.1 spell the value "WebSocket".
    "Upgrade: WebSocket",
    "Connection: Upgrade",
    `Host: ${host?.[1] ?? url.host}`,
    `Origin: ${checkHeaderValue("Origin", options.origin, action)}`,
  ];
  if (version === "hybi-00") {
    if (protocol !== undefined) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
    const keys = options.keys;
    if (keys === undefined || keys.key3.length !== 8) {
      throw new TypeError(`Cannot ${action}: hybi-00 needs key1, key2 and an 8-byte key3`);
    }
    lines.push(
      `Sec-WebSocket-Key1: ${checkHeaderValue("Sec-WebSocket-Key1", keys.key1, action)}`,
      `Sec-WebSocket-Key2: ${checkHeaderValue("Sec-WebSocket-Key2", keys.key2, action)}`,
    );
  } else if (protocol !== undefined) {
    lines.push(`WebSocket-Protocol: ${protocol}`);
  }
  for (const [name, value] of user) {
    if (name.toLowerCase() !== "host") lines.push(`${name}: ${value}`);
  }
  const head = latin1Bytes(lines.join("\r\n") + "\r\n\r\n");
  // hybi-00 §4.1 step 21: "Send /key3/ to the server" after the fields.
  return version === "hybi-00" ? concatBytes([head, options.keys!.key3]) : head;
}

/** Lower-cases the scheme and authority of a location, keeping the resource as is. */
function normalizeLocation(location: string): string {
  const match = /^([A-Za-z]+:\/\/[^/?]*)(.*)$/s.exec(location);
  return match === null ? location : match[1]!.toLowerCase() + match[2]!;
}

/**
 * Validates a legacy server's response head (hixie-75 §4.1 steps on the
 * server's fields; hybi-00 §4.1 steps 29-41, apart from the 16-byte answer,
 * which comes after the head and is checked by the connection).
 *
 * @example A hixie-75 response
 * ```ts
 * import { validateLegacyHandshakeResponse } from "./legacy_handshake.ts";
 * import assert from "node:assert/strict";
 *
 * const result = validateLegacyHandshakeResponse({
 *   status: 101, statusText: "Web Socket Protocol Handshake", version: "HTTP/1.1",
 *   headers: [["upgrade", "WebSocket"], ["connection", "Upgrade"], ["websocket-origin", "http://example.com"],
 *     ["websocket-location", "ws://example.com/demo"]],
 * }, { version: "hixie-75", origin: "http://example.com", location: "ws://example.com/demo", protocols: [] });
 * assert.equal(result.status, 101);
 * ```
 *
 * @param head The parsed response head.
 * @param expected The version, origin, location and subprotocol offered.
 * @returns What the server agreed to (no extensions exist in these versions).
 * @throws {HandshakeError} `UNEXPECTED_STATUS`, `MALFORMED_RESPONSE`,
 * `INVALID_UPGRADE`, `INVALID_CONNECTION`, `INVALID_LOCATION` or `INVALID_SUBPROTOCOL`.
 */
export function validateLegacyHandshakeResponse(
  head: ResponseHead,
  expected: LegacyExpectation,
): HandshakeResult {
  const fail = responseFailure(head, expected.body);
  // hybi-00 §4.1 step 30: the status code must be "101" (407 means proxy authentication: a failure here).
  checkSwitchingProtocols(head, fail);
  const upgrade = getHeader(head.headers, "upgrade");
  // hixie-75 §4.1 and hybi-00 §4.1 step 32: "Upgrade: WebSocket" (compared ASCII case-insensitively here).
  if (upgrade === null || upgrade.toLowerCase() !== "websocket") {
    throw fail(
      "INVALID_UPGRADE",
      upgrade === null
        ? "missing Upgrade header"
        : `Upgrade header is ${JSON.stringify(upgrade)}, not "WebSocket"`,
    );
  }
  // hybi-00 §4.1 step 32: "Connection: Upgrade".
  const connection = getHeader(head.headers, "connection");
  if (!hasToken(connection, "upgrade")) {
    throw fail(
      "INVALID_CONNECTION",
      connection === null
        ? "missing Connection header"
        : `Connection header is ${JSON.stringify(connection)}, without "Upgrade"`,
    );
  }
  const prefix = expected.version === "hybi-00" ? "Sec-WebSocket-" : "WebSocket-";
  // hybi-00 §4.1 step 41 / hixie-75 §4.1: the origin must be the one sent, the
  // location the URL connected to; both fields are required.
  const origin = getHeader(head.headers, `${prefix}Origin`);
  if (origin === null) throw fail("INVALID_LOCATION", `missing ${prefix}Origin header`);
  if (origin.toLowerCase() !== expected.origin.toLowerCase()) {
    throw fail(
      "INVALID_LOCATION",
      `${prefix}Origin ${JSON.stringify(origin)} is not the origin sent, ${
        JSON.stringify(expected.origin)
      }`,
    );
  }
  const location = getHeader(head.headers, `${prefix}Location`);
  if (location === null) throw fail("INVALID_LOCATION", `missing ${prefix}Location header`);
  if (normalizeLocation(location) !== normalizeLocation(expected.location)) {
    throw fail(
      "INVALID_LOCATION",
      `${prefix}Location ${JSON.stringify(location)} is not the URL connected to, ${
        JSON.stringify(expected.location)
      }`,
    );
  }
  // hybi-00 §4.1 step 41: "If there was a /protocol/ specified, and the value
  // is not exactly equal to /protocol/, then fail"; none offered, none allowed.
  const protocol = getHeader(head.headers, `${prefix}Protocol`);
  if (protocol !== null && protocol !== expected.protocols[0]) {
    throw fail(
      "INVALID_SUBPROTOCOL",
      expected.protocols.length === 0
        ? `the server selected subprotocol ${JSON.stringify(protocol)}, but none was offered`
        : `the server selected subprotocol ${JSON.stringify(protocol)}, which was not offered`,
    );
  }
  return {
    status: head.status,
    statusText: head.statusText,
    headers: head.headers,
    protocol: protocol ?? "",
    extensions: [],
    extensionsHeader: "",
  };
}
