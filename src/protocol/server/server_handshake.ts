/**
 * The server side of the opening handshake, for the four protocol
 * versions: reading a client's request (RFC 6455 §4.2.1; draft-hixie-75
 * §5.1; draft-ietf-hybi-00 §5.1) and building the answer (RFC 6455 §4.2.2;
 * hixie-75 §5.2; hybi-00 §5.2), or a refusal.
 *
 * The version is told as the seed library tells it: `Sec-WebSocket-Key1`
 * and `Key2` make hybi-00; `Sec-WebSocket-Key` with
 * `Sec-WebSocket-Version: 13` is RFC 6455 and with `8` hybi-10; no key at
 * all is hixie-75.
 *
 * Decisions:
 * - A refusal is 400 Bad Request (RFC 6455 §4.2.1: "such as 400 Bad
 *   Request"), 405 with `Allow: GET` for another method, 426 Upgrade
 *   Required with `Sec-WebSocket-Version: 13, 8` for an unknown version
 *   (RFC 6455 §4.4), 431 for a head over the size limit (RFC 6585 §5).
 * - The seed takes any `Sec-WebSocket-Version` other than 13 as hybi-10;
 *   here only 8 is (hybi-08 to -12 used 8), others get 426.
 * - A hybi-00 key with no space or a number that is not an exact multiple
 *   is refused with 400 (draft §5.2: "abort"); the seed crashes on the
 *   first and truncates the second.
 * - `X-Forwarded-Proto: https` marks the request secure (legacy locations
 *   then say `wss:`); any other value does not (the seed accepts any).
 * - No extension is accepted: `Sec-WebSocket-Extensions` is exposed on the
 *   request and never answered, as in the seed.
 * - The 101 of RFC 6455 and hybi-10 reads "Switching Protocols" and
 *   "Upgrade: websocket" (RFC 6455 §4.2.2); legacy answers read as their
 *   drafts: "WebSocket Protocol Handshake" (hybi-00), "Web Socket Protocol
 *   Handshake" (hixie-75: its clients compare the first 85 bytes exactly),
 *   with "Upgrade: WebSocket".
 *
 * @module
 */

import { decodeBase64 } from "../encoding/base64.ts";
import { concatBytes } from "../encoding/_bytes.ts";
import { hasToken, headerPairs, latin1Bytes, splitList } from "../handshake/_headers.ts";
import {
  formatSetCookie,
  parseCookieHeader,
  type RequestCookie,
  type SetCookieInit,
} from "../http/cookie.ts";
import { HandshakeError, type HandshakeErrorCode, type HeaderList } from "../errors.ts";
import {
  computeAcceptKey,
  type HandshakeHeaders,
  type HandshakeResult,
} from "../handshake/handshake.ts";
import type { RequestHead } from "../http/http_request.ts";
import { getHeader } from "../http/http_response.ts";
import {
  computeChallengeResponse,
  legacyLocation,
  parseLegacyKey,
} from "../legacy/legacy_handshake.ts";
import { PROTOCOL_VERSIONS, type ProtocolVersion } from "../protocol_version.ts";

/** A client's opening handshake, validated. */
export interface ServerRequest {
  /** Always "GET". */
  readonly method: string;
  /** The resource name: path and query, e.g. "/chat?room=1". */
  readonly resource: string;
  /** The HTTP version of the request line, e.g. "HTTP/1.1". */
  readonly httpVersion: string;
  /** The request headers: lower-cased names, in order, duplicates kept. */
  readonly headers: HeaderList;
  /** The protocol version the client speaks. */
  readonly protocolVersion: ProtocolVersion;
  /** The `Host` value. */
  readonly host: string;
  /** `Origin` (or `Sec-WebSocket-Origin`, which hybi-10 sends), or `null`. */
  readonly origin: string | null;
  /** The subprotocols offered, in order; legacy clients offer at most one. */
  readonly protocols: readonly string[];
  /** `Sec-WebSocket-Extensions` as sent, "" when absent (never accepted). */
  readonly extensions: string;
  /** `Sec-WebSocket-Key` (RFC 6455, hybi-10), else `null`. */
  readonly key: string | null;
  /** `Sec-WebSocket-Key1` (hybi-00), else `null`. */
  readonly key1: string | null;
  /** `Sec-WebSocket-Key2` (hybi-00), else `null`. */
  readonly key2: string | null;
  /** Whether the client connected over TLS, as far as the server knows. */
  readonly secure: boolean;
  /** The cookies of the `Cookie` header. */
  readonly cookies: readonly RequestCookie[];
}

/** Options of {@linkcode parseHandshakeRequest}. */
export interface ParseRequestOptions {
  /** The versions to accept; others get 426. @default all four */
  readonly versions?: readonly ProtocolVersion[];
  /** Whether the transport is TLS. @default false */
  readonly secure?: boolean;
}

/** Options of {@linkcode createHandshakeResponse}. */
export interface HandshakeResponseOptions {
  /** The subprotocol chosen among those offered, or `null`/absent for none. */
  readonly protocol?: string | null;
  /** Extra response headers; protocol-owned ones are refused. */
  readonly headers?: HandshakeHeaders;
  /** Cookies to set, one `Set-Cookie` header each (see `../http/cookie.ts`). */
  readonly cookies?: readonly SetCookieInit[];
  /** The origin a legacy answer names. @default the request's, else http(s)://Host */
  readonly origin?: string;
}

/** Options of {@linkcode createRejectResponse}. */
export interface RejectOptions {
  /** The reason phrase. @default the usual one for the status, or "" */
  readonly statusText?: string;
  /** Extra headers (not `Content-Length` or `Transfer-Encoding`). */
  readonly headers?: HandshakeHeaders;
  /** The body, UTF-8 text or bytes. @default the reason phrase */
  readonly body?: string | Uint8Array;
}

/** The response to a request: its bytes and what it says. */
export interface HandshakeResponse {
  /** The response head (for hybi-00, without the 16-byte answer). */
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** The response as the client sees it: status, headers, subprotocol. */
  readonly result: HandshakeResult;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  426: "Upgrade Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

const RESERVED_RESPONSE_HEADERS: ReadonlyMap<string, string> = new Map([
  ["upgrade", "it is set by the protocol"],
  ["connection", "it is set by the protocol"],
  ["sec-websocket-accept", "it is set by the protocol"],
  ["sec-websocket-protocol", "use the protocol option"],
  ["websocket-protocol", "use the protocol option"],
  ["sec-websocket-extensions", "extensions are not accepted"],
  ["sec-websocket-origin", "use the origin option"],
  ["websocket-origin", "use the origin option"],
  ["sec-websocket-location", "it is set by the protocol"],
  ["websocket-location", "it is set by the protocol"],
  ["sec-websocket-version", "it is set by the protocol"],
  ["content-length", "a 101 response has no body"],
  ["transfer-encoding", "a 101 response has no body"],
]);

const RESERVED_REJECT_HEADERS: ReadonlyMap<string, string> = new Map([
  ["content-length", "it is set from the body"],
  ["transfer-encoding", "it is set from the body"],
]);

/**
 * Builds the error for a refused request: its `status` is the status to answer.
 */
function refusal(
  code: HandshakeErrorCode,
  status: number,
  detail: string,
  headers: HeaderList = [],
): HandshakeError {
  return new HandshakeError(code, `Cannot accept connection: ${detail}`, {
    status,
    statusText: STATUS_TEXT[status] ?? "",
    headers,
    body: new Uint8Array(0),
  });
}

/** The `Sec-WebSocket-Version` values a 426 lists (RFC 6455 §4.4). */
export function supportedVersionsHeader(versions: readonly ProtocolVersion[]): string {
  const numbers: string[] = [];
  if (versions.includes("rfc6455")) numbers.push("13");
  if (versions.includes("hybi-10")) numbers.push("8");
  return numbers.join(", ");
}

/**
 * Validates a client's opening handshake and tells its version.
 *
 * @example An RFC 6455 request
 * ```ts
 * import { parseHandshakeRequest } from "./server_handshake.ts";
 * import assert from "node:assert/strict";
 *
 * const request = parseHandshakeRequest({
 *   method: "GET", target: "/chat", version: "HTTP/1.1",
 *   headers: [["host", "example.com"], ["upgrade", "websocket"], ["connection", "Upgrade"],
 *     ["sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="], ["sec-websocket-version", "13"],
 *     ["sec-websocket-protocol", "chat, superchat"]],
 * });
 * assert.equal(request.protocolVersion, "rfc6455");
 * assert.deepEqual(request.protocols, ["chat", "superchat"]);
 * ```
 *
 * @param head The request head.
 * @param options The versions accepted, and whether the transport is TLS.
 * @returns The validated request.
 * @throws {HandshakeError} `MALFORMED_REQUEST` (400, or 405 for a method
 * other than GET), `INVALID_KEY` (400) or `UNSUPPORTED_VERSION` (426); its
 * `status` and `headers` are what to answer.
 */
export function parseHandshakeRequest(
  head: RequestHead,
  options: ParseRequestOptions = {},
): ServerRequest {
  const versions = options.versions ?? PROTOCOL_VERSIONS;
  checkRequestLine(head);
  const headers = head.headers;
  const field = (name: string) => getHeader(headers, name);
  // RFC 6455 §4.2.1 item 2: "A |Host| header field containing the server's authority."
  const host = field("host");
  if (host === null || host === "") throw refusal("MALFORMED_REQUEST", 400, "missing Host header");
  // RFC 6455 §4.2.1 items 3-4 (and the drafts): Upgrade: websocket, Connection: Upgrade.
  if (!hasToken(field("upgrade"), "websocket")) {
    throw refusal("MALFORMED_REQUEST", 400, "the Upgrade header does not name websocket");
  }
  if (!hasToken(field("connection"), "upgrade")) {
    throw refusal("MALFORMED_REQUEST", 400, "the Connection header does not hold Upgrade");
  }
  const protocolVersion = detectVersion(field, versions);
  const key = protocolVersion === "rfc6455" || protocolVersion === "hybi-10"
    ? field("sec-websocket-key")
    : null;
  const key1 = protocolVersion === "hybi-00" ? field("sec-websocket-key1") : null;
  const key2 = protocolVersion === "hybi-00" ? field("sec-websocket-key2") : null;
  const origin = protocolVersion === "hybi-10"
    ? field("sec-websocket-origin") ?? field("origin")
    : field("origin") ?? field("sec-websocket-origin");
  const forwarded = field("x-forwarded-proto");
  return {
    method: head.method,
    resource: head.target,
    httpVersion: head.version,
    headers,
    protocolVersion,
    host,
    origin,
    protocols: offeredProtocols(field, protocolVersion),
    extensions: field("sec-websocket-extensions") ?? "",
    key,
    key1,
    key2,
    // Only "https" means the client's side is TLS (the seed takes any value).
    secure: options.secure === true ||
      (forwarded !== null && splitList(forwarded)[0]?.toLowerCase() === "https"),
    cookies: parseCookieHeader(field("cookie")),
  };
}

/** RFC 6455 §4.2.1 item 1: "An HTTP/1.1 or higher GET request, including a "Request-URI"". */
function checkRequestLine(line: { method: string; target: string; version: string }): void {
  if (line.method !== "GET") {
    throw refusal("MALFORMED_REQUEST", 405, `the method is ${line.method}, not GET`, [[
      "allow",
      "GET",
    ]]);
  }
  if (line.version === "HTTP/1.0") {
    throw refusal("MALFORMED_REQUEST", 400, "the request is HTTP/1.0, not HTTP/1.1");
  }
  // RFC 6455 §3: the resource name starts with "/".
  if (!line.target.startsWith("/")) {
    throw refusal(
      "MALFORMED_REQUEST",
      400,
      `the request target ${JSON.stringify(line.target)} is not a path`,
    );
  }
}

/**
 * Checks a request line as soon as it is known, so a server can refuse a
 * `POST` or an HTTP/1.0 request before its headers arrive.
 *
 * @param line The method, target and HTTP version.
 * @throws {HandshakeError} `MALFORMED_REQUEST` (405 or 400).
 */
export function checkHandshakeRequestLine(
  line: { method: string; target: string; version: string },
): void {
  checkRequestLine(line);
}

function detectVersion(
  field: (name: string) => string | null,
  versions: readonly ProtocolVersion[],
): ProtocolVersion {
  const unsupported = (detail: string) => {
    const list = supportedVersionsHeader(versions);
    return refusal(
      "UNSUPPORTED_VERSION",
      426,
      detail,
      list === "" ? [] : [["sec-websocket-version", list]],
    );
  };
  let version: ProtocolVersion;
  const key1 = field("sec-websocket-key1");
  const key2 = field("sec-websocket-key2");
  const key = field("sec-websocket-key");
  const number = field("sec-websocket-version");
  if (key1 !== null || key2 !== null) {
    // hybi-00 §5.2: "If either /spaces_1/ or /spaces_2/ is zero, ... If /key-number_n/
    // is not an integral multiple of /spaces_n/, then abort the WebSocket connection."
    if (
      key1 === null || key2 === null || parseLegacyKey(key1) === null ||
      parseLegacyKey(key2) === null
    ) {
      throw refusal(
        "INVALID_KEY",
        400,
        "Sec-WebSocket-Key1 and Key2 are not a valid pair of hybi-00 keys",
      );
    }
    version = "hybi-00";
  } else if (key !== null) {
    // RFC 6455 §4.2.1 item 6: "|Sec-WebSocket-Version| header field, with a value of 13";
    // draft-ietf-hybi-10 §4.1: 8.
    if (number === "13") version = "rfc6455";
    else if (number === "8") version = "hybi-10";
    else {throw unsupported(
        `Sec-WebSocket-Version ${JSON.stringify(number ?? "")} is not supported`,
      );}
    // RFC 6455 §4.2.1 item 5: "a base64-encoded value that, when decoded, is 16 bytes in length".
    if (decodedLength(key) !== 16) {
      throw refusal(
        "INVALID_KEY",
        400,
        `Sec-WebSocket-Key ${JSON.stringify(key)} is not the base64 of 16 bytes`,
      );
    }
  } else if (number !== null) {
    throw refusal("INVALID_KEY", 400, "missing Sec-WebSocket-Key header");
  } else {
    version = "hixie-75";
  }
  if (!versions.includes(version)) throw unsupported(`protocol version ${version} is not accepted`);
  return version;
}

function decodedLength(key: string): number {
  try {
    return decodeBase64(key).length;
  } catch {
    return -1;
  }
}

function offeredProtocols(
  field: (name: string) => string | null,
  version: ProtocolVersion,
): string[] {
  if (version === "rfc6455" || version === "hybi-10") {
    // RFC 6455 §4.2.1 item 8: "a list of values indicating which protocols the client would like to speak".
    return splitList(field("sec-websocket-protocol") ?? "");
  }
  // hixie-75 §5.1 / hybi-00 §5.1: one subprotocol, echoed exactly.
  const value = version === "hybi-00"
    ? field("sec-websocket-protocol") ?? field("websocket-protocol")
    : field("websocket-protocol") ?? field("sec-websocket-protocol");
  return value === null || value === "" ? [] : [value];
}

/**
 * Builds the 101 answer to a valid request (RFC 6455 §4.2.2 step 5;
 * hixie-75 §5.2; hybi-00 §5.2 without its 16-byte answer, which needs key3:
 * see {@linkcode legacyAnswer}).
 *
 * @example Answering the RFC 6455 §1.3 key
 * ```ts
 * import { createHandshakeResponse, parseHandshakeRequest } from "./server_handshake.ts";
 * import assert from "node:assert/strict";
 *
 * const request = parseHandshakeRequest({
 *   method: "GET", target: "/chat", version: "HTTP/1.1",
 *   headers: [["host", "example.com"], ["upgrade", "websocket"], ["connection", "Upgrade"],
 *     ["sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="], ["sec-websocket-version", "13"]],
 * });
 * const { bytes } = createHandshakeResponse(request);
 * assert.equal(
 *   new TextDecoder().decode(bytes),
 *   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
 *     "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
 * );
 * ```
 *
 * @param request The validated request.
 * @param options The subprotocol, extra headers, cookies, and the legacy origin.
 * @returns The response head and what it says.
 * @throws {RangeError} For a subprotocol the client did not offer.
 * @throws {TypeError} For invalid or protocol-owned headers or cookies.
 */
export function createHandshakeResponse(
  request: ServerRequest,
  options: HandshakeResponseOptions = {},
): HandshakeResponse {
  const action = "accept connection";
  const protocol = options.protocol ?? null;
  // RFC 6455 §4.2.2 step 5.3: the value "MUST be ... one of the values from the client's handshake".
  if (protocol !== null && !request.protocols.includes(protocol)) {
    throw new RangeError(
      `Cannot ${action}: the subprotocol ${JSON.stringify(protocol)} was not offered`,
    );
  }
  const user = headerPairs(options.headers, RESERVED_RESPONSE_HEADERS, action);
  const headers: [string, string][] = [];
  let statusText: string;
  const version = request.protocolVersion;
  if (version === "rfc6455" || version === "hybi-10") {
    statusText = "Switching Protocols";
    headers.push(["Upgrade", "websocket"], ["Connection", "Upgrade"]);
    // RFC 6455 §4.2.2 step 5.4: base64(SHA-1(key + GUID)).
    headers.push(["Sec-WebSocket-Accept", computeAcceptKey(request.key!)]);
    if (protocol !== null) headers.push(["Sec-WebSocket-Protocol", protocol]);
  } else {
    const prefix = version === "hybi-00" ? "Sec-WebSocket-" : "WebSocket-";
    statusText = version === "hybi-00"
      ? "WebSocket Protocol Handshake"
      : "Web Socket Protocol Handshake";
    headers.push(["Upgrade", "WebSocket"], ["Connection", "Upgrade"]);
    if (protocol !== null) headers.push([`${prefix}Protocol`, protocol]);
    // hybi-00 §5.2 / hixie-75 §5.2: echo the origin, name the location.
    const origin = options.origin ?? request.origin ??
      `${request.secure ? "https" : "http"}://${request.host}`;
    headers.push(
      [`${prefix}Origin`, origin],
      [`${prefix}Location`, legacyLocation(request.secure, request.host, request.resource)],
    );
  }
  for (const cookie of options.cookies ?? []) headers.push(["Set-Cookie", formatSetCookie(cookie)]);
  headers.push(...user);
  for (const [name, value] of headers) {
    if (/[\r\n\0]/.test(value)) {
      throw new TypeError(`Cannot ${action}: invalid value for header ${JSON.stringify(name)}`);
    }
  }
  const text = `HTTP/1.1 101 ${statusText}\r\n` +
    headers.map(([name, value]) => `${name}: ${value}\r\n`).join("") + "\r\n";
  return {
    bytes: latin1Bytes(text),
    result: {
      status: 101,
      statusText,
      headers: headers.map(([name, value]) => [name.toLowerCase(), value] as const),
      protocol: protocol ?? "",
      extensions: [],
      extensionsHeader: "",
    },
  };
}

/**
 * The 16 bytes a hybi-00 server sends after its head (hybi-00 §5.2: MD5 of
 * the two key numbers and key3).
 *
 * @param request A hybi-00 request.
 * @param key3 The eight bytes after the request head.
 * @returns The answer.
 * @throws {TypeError} When the request is not hybi-00.
 */
export function legacyAnswer(request: ServerRequest, key3: Uint8Array): Uint8Array<ArrayBuffer> {
  const number1 = request.key1 === null ? null : parseLegacyKey(request.key1);
  const number2 = request.key2 === null ? null : parseLegacyKey(request.key2);
  if (number1 === null || number2 === null) {
    throw new TypeError("Cannot compute answer: the request is not hybi-00");
  }
  return computeChallengeResponse(number1, number2, key3);
}

/**
 * Builds a refusal: the status line, `Content-Type` (unless given),
 * `Content-Length`, `Connection: close`, the extra headers, the body.
 *
 * @example Refusing with 403
 * ```ts
 * import { createRejectResponse } from "./server_handshake.ts";
 * import assert from "node:assert/strict";
 *
 * const text = new TextDecoder().decode(createRejectResponse(403));
 * assert.equal(text, "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 9\r\nConnection: close\r\n\r\nForbidden");
 * ```
 *
 * @param status A status from 300 to 599 (a redirect or an error).
 * @param options The reason phrase, headers and body.
 * @returns The response bytes.
 * @throws {RangeError} For another status.
 * @throws {TypeError} For invalid headers or reason phrase.
 */
export function createRejectResponse(
  status: number,
  options: RejectOptions = {},
): Uint8Array<ArrayBuffer> {
  const action = "reject connection";
  if (!Number.isInteger(status) || status < 300 || status > 599) {
    throw new RangeError(
      `Cannot ${action}: the status must be an integer from 300 to 599, got ${status}`,
    );
  }
  const statusText = options.statusText ?? STATUS_TEXT[status] ?? "";
  if (!/^[\t\x20-\x7e]*$/.test(statusText)) {
    throw new TypeError(`Cannot ${action}: invalid reason phrase`);
  }
  const user = headerPairs(options.headers, RESERVED_REJECT_HEADERS, action);
  const body = typeof options.body === "string"
    ? new TextEncoder().encode(options.body)
    : options.body ??
      new TextEncoder().encode(statusText);
  const lines = [`HTTP/1.1 ${status} ${statusText}`.trimEnd()];
  if (!user.some(([name]) => name.toLowerCase() === "content-type")) {
    lines.push("Content-Type: text/plain; charset=utf-8");
  }
  lines.push(`Content-Length: ${body.length}`);
  if (!user.some(([name]) => name.toLowerCase() === "connection")) lines.push("Connection: close");
  for (const [name, value] of user) lines.push(`${name}: ${value}`);
  return concatBytes([latin1Bytes(lines.join("\r\n") + "\r\n\r\n"), body]);
}

/**
 * The refusal for a failed request, from the error that
 * {@linkcode parseHandshakeRequest} or the request parser threw.
 *
 * @param error The error; its `status` and `headers` are used.
 * @returns The response bytes.
 */
export function errorResponse(error: HandshakeError): Uint8Array<ArrayBuffer> {
  return createRejectResponse(error.status, {
    headers: error.headers.map(([name, value]) => [headerName(name), value] as [string, string]),
    body: error.message,
  });
}

/** "sec-websocket-version" → "Sec-WebSocket-Version". */
function headerName(name: string): string {
  return name.split("-").map((part) =>
    part === "websocket" ? "WebSocket" : part.charAt(0).toUpperCase() + part.slice(1)
  )
    .join("-");
}
