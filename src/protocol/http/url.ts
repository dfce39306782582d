/**
 * WebSocket URLs: the WHATWG WebSockets "new WebSocket(url)" URL steps
 * (https://websockets.spec.whatwg.org/#dom-websocket-websocket, steps 1-7)
 * on top of the WHATWG URL parser, and the parts RFC 6455 §3 and §4.1 need
 * to open a connection: host, port, resource name and `Host` header value.
 *
 * @module
 */

import { encodeBase64 } from "../encoding/base64.ts";

/** A parsed `ws:`/`wss:` URL, with what the opening handshake needs. */
export interface WebSocketUrl {
  /** `true` for `wss:` (and `https:`, mapped to `wss:`): RFC 6455 §3 "secure flag". */
  readonly secure: boolean;
  /** The host to connect to, as the URL parser serializes it (lower-cased, punycode); IPv6 without brackets. */
  readonly hostname: string;
  /** The port to connect to: explicit, else 80 (`ws:`) or 443 (`wss:`), RFC 6455 §3. */
  readonly port: number;
  /** The resource name: path and query ("/" if the path is empty), never a fragment (RFC 6455 §3). */
  readonly resource: string;
  /** The `Host` header value: brackets for IPv6, ":port" only when not the default (RFC 6455 §4.1 step 4). */
  readonly host: string;
  /** The serialized URL with a `ws:`/`wss:` scheme. */
  readonly href: string;
  /** The userinfo username, percent-decoded ("" when none). */
  readonly username: string;
  /** The userinfo password, percent-decoded ("" when none). */
  readonly password: string;
}

/** The last URL text {@linkcode parseWebSocketUrlOnce} parsed, and its (frozen) result. */
let lastText: string | null = null;
let lastUrl: Readonly<WebSocketUrl> | null = null;

/**
 * {@linkcode parseWebSocketUrl} for the connections, remembering the last
 * URL text: a client that connects to the same URL again and again (a
 * reconnect loop, a pool) parses it once. The result is frozen, since
 * connections share it.
 *
 * @example
 * ```ts
 * import { parseWebSocketUrlOnce } from "./url.ts";
 * import assert from "node:assert/strict";
 *
 * const first = parseWebSocketUrlOnce("ws://example.com/chat");
 * assert.equal(parseWebSocketUrlOnce("ws://example.com/chat"), first);
 * assert.ok(Object.isFrozen(first));
 * assert.equal(parseWebSocketUrlOnce("ws://example.com/other").resource, "/other");
 * ```
 *
 * @param input An absolute URL.
 * @returns The parsed URL, possibly the one returned last time.
 * @throws {SyntaxError} As {@linkcode parseWebSocketUrl}.
 */
export function parseWebSocketUrlOnce(input: string | URL): Readonly<WebSocketUrl> {
  const text = String(input);
  if (text === lastText && lastUrl !== null) return lastUrl;
  const url = Object.freeze(parseWebSocketUrl(text));
  lastText = text;
  lastUrl = url;
  return url;
}

/**
 * Parses a WebSocket URL the way `new WebSocket(url)` does (WHATWG
 * WebSockets, constructor steps 1-7): parse with the URL parser against
 * `base`, map `http:` to `ws:` and `https:` to `wss:`, refuse other schemes,
 * refuse any fragment (even an empty one, "ws://host/#").
 *
 * @example Parsing an IPv6 URL with a port and a query
 * ```ts
 * import { parseWebSocketUrl } from "./url.ts";
 * import assert from "node:assert/strict";
 *
 * const url = parseWebSocketUrl("ws://[::1]:8080/x?y");
 * assert.equal(url.hostname, "::1");
 * assert.equal(url.host, "[::1]:8080");
 * assert.equal(url.resource, "/x?y");
 * assert.throws(() => parseWebSocketUrl("ws://example.com/#top"), SyntaxError);
 * ```
 *
 * @param input The URL, absolute or relative to `base`.
 * @param base The base URL for a relative `input`.
 * @returns The parsed URL.
 * @throws {SyntaxError} "Cannot parse WebSocket URL: …" when the URL does not
 * parse, has a scheme other than ws/wss/http/https, or has a fragment.
 */
export function parseWebSocketUrl(input: string | URL, base?: string | URL): WebSocketUrl {
  const text = String(input);
  let url: URL;
  try {
    url = base === undefined ? new URL(text) : new URL(text, base);
  } catch {
    // WHATWG WebSockets constructor step 3: a URL parser failure is a SyntaxError.
    throw new SyntaxError(`Cannot parse WebSocket URL: ${JSON.stringify(text)} is not a valid URL`);
  }
  // WHATWG WebSockets constructor steps 4-5: http → ws, https → wss.
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  // WHATWG WebSockets constructor step 6 (RFC 6455 §3: only ws and wss URIs).
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new SyntaxError(
      `Cannot parse WebSocket URL: the scheme ${
        JSON.stringify(url.protocol)
      } is not ws:, wss:, http: or https:`,
    );
  }
  // WHATWG WebSockets constructor step 7 (RFC 6455 §3: "Fragment identifiers are
  // meaningless in the context of WebSocket URIs"). A non-null fragment always
  // serializes with "#", even when empty, which `url.hash` cannot tell.
  if (url.href.includes("#")) {
    throw new SyntaxError(`Cannot parse WebSocket URL: ${JSON.stringify(text)} has a fragment`);
  }
  const secure = url.protocol === "wss:";
  // RFC 6455 §3: the port component is optional; 80 for ws, 443 for wss.
  const port = url.port === "" ? (secure ? 443 : 80) : Number(url.port);
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  // RFC 6455 §3: resource-name = path ["?" query]; an empty query ("ws://h/?")
  // is still present, and `url.search` hides it.
  const query = url.search === "" && url.href.endsWith("?") ? "?" : url.search;
  return {
    secure,
    hostname,
    port,
    // Special URLs (ws, wss) always have a path starting with "/" (WHATWG URL).
    resource: url.pathname + query,
    // The URL serializer omits the scheme's default port, as RFC 6455 §4.1 step 4 allows.
    host: url.host,
    href: url.href,
    username: percentDecode(url.username),
    password: percentDecode(url.password),
  };
}

/**
 * Builds the `Authorization` header value for the URL's userinfo (RFC 7617
 * §2, UTF-8 as §2.1's `charset="UTF-8"` describes). A URL with userinfo is
 * the only place credentials come from here; the handshake sends the header
 * unless the user set `Authorization` explicitly.
 *
 * @example Credentials from the URL
 * ```ts
 * import { basicAuthorization, parseWebSocketUrl } from "./url.ts";
 * import assert from "node:assert/strict";
 *
 * const url = parseWebSocketUrl("wss://Aladdin:open%20sesame@example.com/");
 * assert.equal(basicAuthorization(url), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
 * assert.equal(basicAuthorization(parseWebSocketUrl("wss://example.com/")), null);
 * ```
 *
 * @param url A parsed WebSocket URL.
 * @returns "Basic <base64(user:password)>", or `null` without userinfo.
 * @throws {TypeError} When the username contains ":" (RFC 7617 §2: such a user-id is invalid).
 */
export function basicAuthorization(url: WebSocketUrl): string | null {
  if (url.username === "" && url.password === "") return null;
  // RFC 7617 §2: "a user-id containing a colon character is invalid".
  if (url.username.includes(":")) {
    throw new TypeError('Cannot build Authorization header: the username contains ":"');
  }
  return "Basic " + encodeBase64(new TextEncoder().encode(`${url.username}:${url.password}`));
}

/**
 * WHATWG URL "percent-decode" then UTF-8 decode without failure: invalid
 * escapes such as "%zz" stay as they are (where `decodeURIComponent` throws).
 */
function percentDecode(text: string): string {
  if (!text.includes("%")) return text;
  const input = new TextEncoder().encode(text);
  const output = new Uint8Array(input.length);
  let o = 0;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i]!;
    const high = byte === 0x25 ? hexValue(input[i + 1]) : -1;
    const low = high >= 0 ? hexValue(input[i + 2]) : -1;
    if (low >= 0) {
      output[o++] = high * 16 + low;
      i += 2;
    } else {
      output[o++] = byte;
    }
  }
  return new TextDecoder().decode(output.subarray(0, o));
}

/** The value of an ASCII hex digit, or -1. */
function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}
