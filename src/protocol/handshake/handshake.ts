/**
 * The client side of the opening handshake (RFC 6455 §4.1): building the
 * upgrade request and validating the server's response head.
 *
 * Decisions:
 * - `Host` may be overridden through `headers` (as `ws` allows), for a
 *   virtual host reached by address; it is still sent once, first. The TLS
 *   server name stays the URL's host: that is the transport's business.
 * - `Origin` may come from `origin` or from `headers`, not both.
 * - `Authorization` from `headers` wins over userinfo in the URL.
 * - Header names are sent as given (the protocol's own in their RFC
 *   spelling); values are trimmed of surrounding whitespace, as Fetch
 *   normalizes them, and written as Latin-1 bytes (Fetch byte strings).
 * - A 101 response must be HTTP/1.1 or later: Upgrade is an HTTP/1.1
 *   mechanism (RFC 9110 §7.8), and RFC 6455 §4.2.2 answers "HTTP/1.1 101".
 *
 * @module
 */

import {
  checkHeaderName,
  checkHeaderValue,
  checkSwitchingProtocols,
  type Fail,
  type HandshakeHeaders,
  hasToken,
  latin1Bytes,
  responseFailure,
  splitList,
  TOKEN,
  toPairs,
} from "./_headers.ts";
import { encodeBase64 } from "../encoding/base64.ts";
import type { HeaderList } from "../errors.ts";
import {
  type Extension,
  formatExtensionHeader,
  type NegotiatedExtension,
  parseExtensionHeader,
} from "../extensions/extension.ts";
import { getHeader, type ResponseHead } from "../http/http_response.ts";
import { sha1 } from "../encoding/sha1.ts";
import { basicAuthorization, type WebSocketUrl } from "../http/url.ts";

/** RFC 6455 §1.3: the GUID appended to the key before hashing. */
export const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// Defined beside the header helpers, which this module imports (no cycle).
export type { HandshakeHeaders } from "./_headers.ts";

/** What {@linkcode createHandshakeRequest} needs. */
export interface HandshakeRequestOptions {
  /** The parsed WebSocket URL. */
  readonly url: WebSocketUrl;
  /** The `Sec-WebSocket-Key`: base64 of 16 random bytes (see {@linkcode generateKey}). */
  readonly key: string;
  /** Subprotocols to offer, in order of preference: tokens, no duplicates. */
  readonly protocols?: readonly string[];
  /** The `Origin` header value, if any. */
  readonly origin?: string;
  /** Extra headers; protocol-owned ones are refused (see the module doc). */
  readonly headers?: HandshakeHeaders;
  /** Extensions to offer, in order of preference. */
  readonly extensions?: readonly Extension[];
  /**
   * `"hybi-10"` sends `Sec-WebSocket-Version: 8` and the origin as
   * `Sec-WebSocket-Origin` (draft-ietf-hybi-thewebsocketprotocol-10 §4.1);
   * the rest of the handshake is RFC 6455's.
   * @default "rfc6455"
   */
  readonly protocolVersion?: "rfc6455" | "hybi-10";
}

/** What the server agreed to. */
export interface HandshakeResult {
  /** Always 101. */
  readonly status: number;
  /** The reason phrase. */
  readonly statusText: string;
  /** The response headers (lower-cased names). */
  readonly headers: HeaderList;
  /** The subprotocol the server selected, "" when none. */
  readonly protocol: string;
  /** The negotiated extensions, in the order the server listed them. */
  readonly extensions: readonly NegotiatedExtension[];
  /** `Sec-WebSocket-Extensions` as the server sent it (several lines joined with ", "), "" when absent. */
  readonly extensionsHeader: string;
}

/** What {@linkcode validateHandshakeResponse} checks the response against. */
export interface HandshakeExpectation {
  /** The key sent in the request. */
  readonly key: string;
  /** The subprotocols offered. */
  readonly protocols: readonly string[];
  /** The extensions offered. */
  readonly extensions: readonly Extension[];
  /** Bytes received after the head (capped by the caller), reported with a refused handshake. */
  readonly body?: Uint8Array;
}

/** Headers the protocol writes itself, lower-cased, with what to use instead. */
const RESERVED_HEADERS: ReadonlyMap<string, string> = new Map([
  ["upgrade", "it is set by the protocol"],
  ["connection", "it is set by the protocol"],
  ["sec-websocket-key", "it is set by the protocol"],
  ["sec-websocket-version", "it is set by the protocol"],
  ["sec-websocket-accept", "it is a response header"],
  ["sec-websocket-extensions", "use the extensions option"],
  ["sec-websocket-protocol", "use the protocols option"],
  ["content-length", "the handshake request has no body"],
  ["transfer-encoding", "the handshake request has no body"],
]);

/** What the messages about building the request say. */
const ACTION = "create handshake request";

/**
 * Generates a `Sec-WebSocket-Key` (RFC 6455 §4.1 step 7: "a randomly
 * selected 16-byte value that has been base64-encoded").
 *
 * @example A key from a fixed source
 * ```ts
 * import { generateKey } from "./handshake.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(generateKey((n) => new Uint8Array(n)), "AAAAAAAAAAAAAAAAAAAAAA==");
 * ```
 *
 * @param randomBytes Returns `n` random bytes (`crypto.getRandomValues` in production).
 * @returns The base64 key, 24 characters.
 * @throws {TypeError} When `randomBytes` does not return 16 bytes.
 */
export function generateKey(randomBytes: (n: number) => Uint8Array): string {
  const bytes = randomBytes(16);
  if (!(bytes instanceof Uint8Array) || bytes.length !== 16) {
    throw new TypeError("Cannot generate handshake key: randomBytes(16) did not return 16 bytes");
  }
  return encodeBase64(bytes);
}

/** One encoder for every accept key (a `TextEncoder` per connection showed in its profile). */
const UTF8 = new TextEncoder();

/**
 * Computes the `Sec-WebSocket-Accept` value the server must answer
 * (RFC 6455 §4.2.2 step 5.4): base64(SHA-1(key + GUID)).
 *
 * @example The RFC 6455 §1.3 example
 * ```ts
 * import { computeAcceptKey } from "./handshake.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(computeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
 * ```
 *
 * @param key The `Sec-WebSocket-Key` sent.
 * @returns The expected `Sec-WebSocket-Accept`.
 */
export function computeAcceptKey(key: string): string {
  return encodeBase64(sha1(UTF8.encode(key + WEBSOCKET_GUID)));
}

/**
 * Checks subprotocol names (RFC 6455 §4.1 step 10: non-empty, U+0021-U+007E
 * without separators, i.e. tokens, all unique; WHATWG WebSockets constructor
 * step 9 throws SyntaxError and, per web-platform-tests, compares
 * duplicates ASCII case-insensitively).
 *
 * @example Refusing a duplicate
 * ```ts
 * import { validateProtocols } from "./handshake.ts";
 * import assert from "node:assert/strict";
 *
 * validateProtocols(["chat", "superchat"]);
 * assert.throws(() => validateProtocols(["chat", "Chat"]), SyntaxError);
 * ```
 *
 * @param protocols The subprotocols to offer.
 * @throws {SyntaxError} For a name that is not a token, or a duplicate.
 */
export function validateProtocols(protocols: readonly string[]): void {
  const seen = new Set<string>();
  for (const protocol of protocols) {
    // RFC 6455 §4.1 step 10: elements are tokens (RFC 2616 separators excluded).
    if (!TOKEN.test(protocol)) {
      throw new SyntaxError(
        `Cannot create handshake request: the subprotocol ${
          JSON.stringify(protocol)
        } is not a token`,
      );
    }
    // RFC 6455 §4.1 step 10: "MUST all be unique strings" (WHATWG: ASCII case-insensitive).
    const folded = protocol.toLowerCase();
    if (seen.has(folded)) {
      throw new SyntaxError(
        `Cannot create handshake request: the subprotocol ${JSON.stringify(protocol)} is repeated`,
      );
    }
    seen.add(folded);
  }
}

/**
 * Builds the opening handshake request (RFC 6455 §4.1): the request line,
 * `Host`, `Upgrade`, `Connection`, `Sec-WebSocket-Key`,
 * `Sec-WebSocket-Version`, then `Origin`, `Sec-WebSocket-Protocol`,
 * `Sec-WebSocket-Extensions` and `Authorization` when needed, then the
 * user's headers.
 *
 * @example A request with a subprotocol
 * ```ts
 * import { createHandshakeRequest } from "./handshake.ts";
 * import { parseWebSocketUrl } from "../http/url.ts";
 * import assert from "node:assert/strict";
 *
 * const request = createHandshakeRequest({
 *   url: parseWebSocketUrl("ws://example.com/chat"),
 *   key: "dGhlIHNhbXBsZSBub25jZQ==",
 *   protocols: ["chat"],
 * });
 * assert.equal(
 *   new TextDecoder().decode(request),
 *   "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
 *     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
 *     "Sec-WebSocket-Protocol: chat\r\n\r\n",
 * );
 * ```
 *
 * @param options The URL, key, offers and extra headers.
 * @returns The request bytes.
 * @throws {SyntaxError} For invalid or repeated subprotocols.
 * @throws {TypeError} For a key that is not base64 of 16 bytes, an invalid
 * header name or value, a protocol-owned header, a repeated `Host`, `Origin`
 * given twice, or an extension offer that is not made of tokens.
 */
export function createHandshakeRequest(options: HandshakeRequestOptions): Uint8Array<ArrayBuffer> {
  const { url, key, protocols = [], extensions = [] } = options;
  const hybi10 = options.protocolVersion === "hybi-10";
  checkKey(key);
  validateProtocols(protocols);
  const user = normalizeHeaders(options.headers);
  const host = user.find(([name]) => name.toLowerCase() === "host");
  const hasUserHeader = (wanted: string) => user.some(([name]) => name.toLowerCase() === wanted);
  const lines = [
    `GET ${url.resource} HTTP/1.1`,
    // RFC 6455 §4.1 step 4 (and RFC 9112 §3.2: exactly one Host, first is customary).
    `Host: ${host?.[1] ?? url.host}`,
    // RFC 6455 §4.1 steps 5-6 and 9.
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${key}`,
    // draft-ietf-hybi-10 §4.1 step 9: "|Sec-WebSocket-Version|. The value of this header field MUST be 8."
    `Sec-WebSocket-Version: ${hybi10 ? 8 : 13}`,
  ];
  if (options.origin !== undefined) {
    // RFC 6455 §4.1 step 8 (RFC 6454 §7): a single Origin.
    if (hasUserHeader("origin") || hasUserHeader("sec-websocket-origin")) {
      throw new TypeError(
        "Cannot create handshake request: Origin is given both as an option and as a header",
      );
    }
    // draft-ietf-hybi-10 §4.1 step 8: the origin goes in |Sec-WebSocket-Origin|.
    const name = hybi10 ? "Sec-WebSocket-Origin" : "Origin";
    lines.push(`${name}: ${checkHeaderValue(name, options.origin, ACTION)}`);
  }
  // RFC 6455 §4.1 step 10.
  if (protocols.length > 0) lines.push(`Sec-WebSocket-Protocol: ${protocols.join(", ")}`);
  // RFC 6455 §4.1 step 11 and §9.1.
  if (extensions.length > 0) {
    lines.push(
      `Sec-WebSocket-Extensions: ${
        formatExtensionHeader(
          extensions.map((extension) => ({ name: extension.name, params: extension.offer() })),
        )
      }`,
    );
  }
  // RFC 7617 §2, RFC 6455 §4.1 step 12 ("authentication-related header fields").
  const authorization = hasUserHeader("authorization") ? null : basicAuthorization(url);
  if (authorization !== null) lines.push(`Authorization: ${authorization}`);
  for (const [name, value] of user) {
    if (name.toLowerCase() !== "host") lines.push(`${name}: ${value}`);
  }
  return latin1Bytes(lines.join("\r\n") + "\r\n\r\n");
}

/**
 * Validates the server's response head (RFC 6455 §4.1, "the client MUST
 * validate the server's response as follows", steps 1-6).
 *
 * @example Accepting the RFC 6455 §1.3 response
 * ```ts
 * import { validateHandshakeResponse } from "./handshake.ts";
 * import assert from "node:assert/strict";
 *
 * const result = validateHandshakeResponse({
 *   status: 101, statusText: "Switching Protocols", version: "HTTP/1.1",
 *   headers: [["upgrade", "websocket"], ["connection", "Upgrade"], ["sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="]],
 * }, { key: "dGhlIHNhbXBsZSBub25jZQ==", protocols: [], extensions: [] });
 * assert.equal(result.protocol, "");
 * ```
 *
 * @param head The parsed response head.
 * @param expected The key, subprotocols and extensions offered, and any body bytes received.
 * @returns The negotiated subprotocol and extensions.
 * @throws {HandshakeError} `UNEXPECTED_STATUS`, `MALFORMED_RESPONSE` (a 101 in
 * HTTP/1.0), `INVALID_UPGRADE`, `INVALID_CONNECTION`, `INVALID_ACCEPT`,
 * `INVALID_EXTENSIONS` or `INVALID_SUBPROTOCOL`, carrying status, headers and body.
 */
export function validateHandshakeResponse(
  head: ResponseHead,
  expected: HandshakeExpectation,
): HandshakeResult {
  const fail = responseFailure(head, expected.body);
  // RFC 6455 §4.1 step 1: a status other than 101 is a refusal; 101 needs HTTP/1.1.
  checkSwitchingProtocols(head, fail);
  checkUpgrade(head.headers, fail);
  checkConnection(head.headers, fail);
  // RFC 6455 §4.1 step 4: Sec-WebSocket-Accept must be base64(SHA-1(key + GUID)), exactly.
  const accept = getHeader(head.headers, "sec-websocket-accept");
  if (accept === null) throw fail("INVALID_ACCEPT", "missing Sec-WebSocket-Accept header");
  if (accept !== computeAcceptKey(expected.key)) {
    throw fail(
      "INVALID_ACCEPT",
      `Sec-WebSocket-Accept ${JSON.stringify(accept)} does not match the key`,
    );
  }
  const extensionsHeader = getHeader(head.headers, "sec-websocket-extensions") ?? "";
  const extensions = negotiateExtensions(extensionsHeader, expected.extensions, fail);
  const protocol = selectedProtocol(
    getHeader(head.headers, "sec-websocket-protocol"),
    expected.protocols,
    fail,
  );
  return {
    status: head.status,
    statusText: head.statusText,
    headers: head.headers,
    protocol,
    extensions,
    extensionsHeader,
  };
}

function checkUpgrade(headers: HeaderList, fail: Fail): void {
  const upgrade = getHeader(headers, "upgrade");
  // RFC 6455 §4.1 step 2: "If the response lacks an |Upgrade| header field or the
  // |Upgrade| header field contains a value that is not an ASCII case-insensitive
  // match for the value "websocket", the client MUST _Fail the WebSocket Connection_".
  if (upgrade === null) throw fail("INVALID_UPGRADE", "missing Upgrade header");
  const protocols = splitList(upgrade);
  if (protocols.length !== 1 || protocols[0]!.toLowerCase() !== "websocket") {
    throw fail("INVALID_UPGRADE", `Upgrade header is ${JSON.stringify(upgrade)}, not "websocket"`);
  }
}

function checkConnection(headers: HeaderList, fail: Fail): void {
  const connection = getHeader(headers, "connection");
  // RFC 6455 §4.1 step 3: the |Connection| header field must contain a token that is
  // an ASCII case-insensitive match for "Upgrade" (RFC 9110 §7.6.1: a list of options).
  if (connection === null) throw fail("INVALID_CONNECTION", "missing Connection header");
  if (!hasToken(connection, "upgrade")) {
    throw fail(
      "INVALID_CONNECTION",
      `Connection header is ${JSON.stringify(connection)}, without "Upgrade"`,
    );
  }
}

function negotiateExtensions(
  header: string,
  offered: readonly Extension[],
  fail: Fail,
): NegotiatedExtension[] {
  if (header === "") return [];
  let items;
  try {
    items = parseExtensionHeader(header);
  } catch {
    // RFC 6455 §9.1: the header must follow the extension-list grammar.
    throw fail(
      "INVALID_EXTENSIONS",
      `invalid Sec-WebSocket-Extensions header ${JSON.stringify(header)}`,
    );
  }
  const negotiated: NegotiatedExtension[] = [];
  let usedRsv = 0;
  for (const item of items) {
    // RFC 6455 §4.1 step 5: an extension "that was not present in the client's
    // handshake" fails the connection; so does one accepted twice (RFC 6455 §9.1:
    // the server lists the extensions it selected from the offer).
    if (negotiated.some((extension) => extension.name === item.name)) {
      throw fail("INVALID_EXTENSIONS", `the server accepted extension ${item.name} more than once`);
    }
    const candidates = offered.filter((extension) => extension.name === item.name);
    if (candidates.length === 0) {
      throw fail(
        "INVALID_EXTENSIONS",
        `the server accepted extension ${item.name}, which was not offered`,
      );
    }
    const extension = acceptFirst(candidates, item.params, fail);
    // RFC 6455 §5.2: RSV bits have the meaning the negotiated extension gives them,
    // so two extensions cannot own the same bit.
    if ((extension.rsv & usedRsv) !== 0) {
      throw fail(
        "INVALID_EXTENSIONS",
        `extension ${item.name} uses RSV bits another extension already uses`,
      );
    }
    usedRsv |= extension.rsv;
    negotiated.push(extension);
  }
  return negotiated;
}

/** Offers of one name are tried in order (RFC 7692 §5 allows several offers of one extension). */
function acceptFirst(
  candidates: readonly Extension[],
  params: ReadonlyArray<readonly [string, string | true]>,
  fail: Fail,
): NegotiatedExtension {
  let firstError: unknown;
  for (const candidate of candidates) {
    try {
      return candidate.accept(params);
    } catch (error) {
      firstError ??= error;
    }
  }
  const reason = firstError instanceof Error ? firstError.message : String(firstError);
  throw fail(
    "INVALID_EXTENSIONS",
    `the server accepted extension ${candidates[0]!.name} with unacceptable parameters (${reason})`,
  );
}

function selectedProtocol(header: string | null, offered: readonly string[], fail: Fail): string {
  if (header === null) return "";
  // RFC 6455 §4.1 step 6: a subprotocol "that was not present in the client's
  // handshake (the server has indicated a subprotocol not requested by the client)"
  // fails the connection; RFC 6455 §4.2.2 step 5.3: the server selects one value.
  if (offered.length === 0) {
    throw fail(
      "INVALID_SUBPROTOCOL",
      `the server selected subprotocol ${JSON.stringify(header)}, but none was offered`,
    );
  }
  if (header.includes(",")) {
    throw fail(
      "INVALID_SUBPROTOCOL",
      `the server selected more than one subprotocol: ${JSON.stringify(header)}`,
    );
  }
  if (!offered.includes(header)) {
    throw fail(
      "INVALID_SUBPROTOCOL",
      `the server selected subprotocol ${JSON.stringify(header)}, which was not offered`,
    );
  }
  return header;
}

/** RFC 6455 §4.1 step 7: the key is the base64 of 16 bytes. */
/**
 * Canonical padded base64 of exactly 16 bytes (RFC 6455 §4.1 step 7): 21
 * characters, a last one whose 4 unused bits are zero (RFC 4648 §3.5), "==".
 */
const KEY_PATTERN = /^[A-Za-z0-9+/]{21}[AQgw]==$/;

function checkKey(key: string): void {
  // The same verdict as decoding strictly and counting 16 bytes, without the decoding.
  if (typeof key !== "string" || !KEY_PATTERN.test(key)) {
    throw new TypeError(
      `Cannot create handshake request: the key ${
        JSON.stringify(key)
      } is not the base64 of 16 bytes`,
    );
  }
}

/** Validates the user's headers into a list of pairs. */
function normalizeHeaders(headers: HandshakeHeaders | undefined): [string, string][] {
  const pairs = toPairs(headers);
  let hosts = 0;
  for (const pair of pairs) {
    // RFC 6455 §4.1 steps 5-11: the reserved fields carry the handshake itself; a
    // GET handshake has no content (RFC 9110 §9.3.1), so no framing headers either
    // (RFC 9112 §6: a body would be read as WebSocket frames).
    const lower = checkHeaderName(pair[0], RESERVED_HEADERS, ACTION);
    // RFC 9112 §3.2: a request carries exactly one Host.
    if (lower === "host" && ++hosts > 1) {
      throw new TypeError(`Cannot ${ACTION}: Host is given more than once`);
    }
    pair[1] = checkHeaderValue(pair[0], pair[1], ACTION);
  }
  return pairs;
}

/** The extensions of a connection that negotiated none, shared. */
const NO_EXTENSIONS: readonly NegotiatedExtension[] = Object.freeze([]);

/** The reason phrase of nearly every 101, as one shared string. */
const SWITCHING_PROTOCOLS = "Switching Protocols";

/**
 * A {@linkcode HandshakeResult} kept small for as long as a connection stays
 * open: the headers are held as one string (`name:value` lines) and made into
 * their list again on first access (then kept). A list of pairs costs about
 * 0.6 KB more per connection, for headers most programs never read.
 *
 * The list it gives back equals the one it was made from: names are tokens
 * (no `:`) and values hold no LF, as the response parser checked. `headers`
 * is a getter: `toJSON()` gives a plain object with every field.
 *
 * @example Reading the headers of a compacted result
 * ```ts
 * import { CompactHandshakeResult } from "./handshake.ts";
 * import assert from "node:assert/strict";
 *
 * const result = new CompactHandshakeResult({
 *   status: 101, statusText: "Switching Protocols",
 *   headers: [["upgrade", "websocket"], ["x-note", "a: b"]],
 *   protocol: "", extensions: [], extensionsHeader: "",
 * });
 * assert.deepEqual(result.headers, [["upgrade", "websocket"], ["x-note", "a: b"]]);
 * ```
 */
export class CompactHandshakeResult implements HandshakeResult {
  /** Always 101. */
  readonly status: number;
  /** The reason phrase. */
  readonly statusText: string;
  /** The subprotocol the server selected, "" when none. */
  readonly protocol: string;
  /** The negotiated extensions, in the order the server listed them. */
  readonly extensions: readonly NegotiatedExtension[];
  /** `Sec-WebSocket-Extensions` as the server sent it, "" when absent. */
  readonly extensionsHeader: string;
  /** The headers as `name:value` lines joined with LF, until `headers` is read. */
  #lines: string;
  #headers: HeaderList | null = null;

  /**
   * Compacts a result.
   *
   * @param result What {@linkcode validateHandshakeResponse} returned.
   */
  constructor(result: HandshakeResult) {
    this.status = result.status;
    // The phrase is a slice of the status line, which it would keep alive.
    this.statusText = result.statusText === SWITCHING_PROTOCOLS
      ? SWITCHING_PROTOCOLS
      : result.statusText;
    this.protocol = result.protocol;
    this.extensions = result.extensions.length === 0 ? NO_EXTENSIONS : result.extensions;
    this.extensionsHeader = result.extensionsHeader;
    let lines = "";
    const headers = result.headers;
    for (let i = 0; i < headers.length; i++) {
      const [name, value] = headers[i]!;
      lines += i === 0 ? name + ":" + value : "\n" + name + ":" + value;
    }
    // One flat string instead of a rope of the parts (and the lines they were cut from).
    this.#lines = lines.length === 0 ? "" : flatten(lines);
  }

  /** The response headers (lower-cased names), in order, duplicates kept. */
  get headers(): HeaderList {
    if (this.#headers === null) {
      const headers: [string, string][] = [];
      if (this.#lines !== "") {
        for (const line of this.#lines.split("\n")) {
          const colon = line.indexOf(":");
          headers.push([line.slice(0, colon), line.slice(colon + 1)]);
        }
      }
      this.#headers = headers;
      this.#lines = "";
    }
    return this.#headers;
  }

  /**
   * The result as a plain object, `headers` included.
   *
   * @returns A plain {@linkcode HandshakeResult}.
   */
  toJSON(): HandshakeResult {
    return {
      status: this.status,
      statusText: this.statusText,
      headers: this.headers,
      protocol: this.protocol,
      extensions: this.extensions,
      extensionsHeader: this.extensionsHeader,
    };
  }
}

/**
 * A string copied into one flat sequence: engines keep a concatenation as a
 * tree of its parts until it is read (indexing reads it and flattens it).
 */
function flatten(text: string): string {
  void text.charCodeAt(0);
  return text;
}
