/**
 * Cookies in the opening handshake, as the seed library (Perl's
 * Protocol::WebSocket::Cookie) handles them: the `Cookie` request header
 * a server reads (RFC 6265 §5.4, and RFC 2965's `$Version`/`$Path`/`$Domain`
 * attributes), and the `Set-Cookie` values a server sends with its 101
 * response (RFC 2965 style, as the seed writes them, plus RFC 6265's
 * `Domain`, `HttpOnly` and `SameSite`).
 *
 * The pair grammar is the seed's, which tolerates both eras: pairs split
 * on `;` or `,`, a value is a run of characters other than `;`, `,`,
 * whitespace and `"`, or a quoted string in which `\"` is a quote; a name
 * without `=` has a `null` value.
 *
 * Not copied from the seed: a request parser that ignores `$Version` (the
 * seed compares an array to a string and reads every cookie as version 1:
 * here the version is the `$Version` given, or `null`), a crash on `$Path`
 * before the first cookie (ignored here), and values written unescaped
 * inside quotes (escaped here, so they read back the same).
 *
 * @module
 */

/** A name and its value (`null` for a bare name, e.g. `Secure`). */
export type CookiePair = readonly [name: string, value: string | null];

/** A cookie sent by the client in its `Cookie` header. */
export interface RequestCookie {
  /** The cookie's name. */
  readonly name: string;
  /** The cookie's value, unquoted; `null` for a bare name. */
  readonly value: string | null;
  /** The `$Version` that preceded it (RFC 2965 §3.3.4), or `null` without one. */
  readonly version: number | null;
  /** Its `$Path` attribute (RFC 2965), if any. */
  readonly path?: string;
  /** Its `$Domain` attribute (RFC 2965), if any. */
  readonly domain?: string;
}

/** What {@linkcode formatSetCookie} writes, in this order. */
export interface SetCookieInit {
  /** The name: a token without `=`. */
  readonly name: string;
  /** The value; quoted when it is not a plain run of characters. */
  readonly value: string;
  /** `Comment` (RFC 2965 §3.2.2). */
  readonly comment?: string;
  /** `CommentURL` (RFC 2965 §3.2.2). */
  readonly commentUrl?: string;
  /** `Discard` (RFC 2965 §3.2.2): drop the cookie when the user agent ends. */
  readonly discard?: boolean;
  /** `Max-Age` in seconds (RFC 6265 §4.1.2.2); 0 deletes the cookie. */
  readonly maxAge?: number;
  /** `Path` (RFC 6265 §4.1.2.4). */
  readonly path?: string;
  /** `Domain` (RFC 6265 §4.1.2.3). */
  readonly domain?: string;
  /** `Port` (RFC 2965 §3.2.2): the ports the cookie may be returned to. */
  readonly port?: number | readonly number[];
  /** `Secure` (RFC 6265 §4.1.2.5). */
  readonly secure?: boolean;
  /** `HttpOnly` (RFC 6265 §4.1.2.6). */
  readonly httpOnly?: boolean;
  /** `SameSite` (RFC 6265bis). */
  readonly sameSite?: "Strict" | "Lax" | "None";
  /**
   * `Version=1` (RFC 2965 §3.2.2), which the seed always appends; RFC 6265
   * user agents ignore it. `false` leaves it out.
   * @default true
   */
  readonly version?: boolean;
}

/** The seed's pair grammar: NAME [= (TOKEN | QUOTED_STRING)] [;], anywhere in the string. */
const PAIR = /\s*([^;,\s"=]+)\s*(?:=\s*([^;,\s"]+|"(?:\\"|[^"])*"))?;?/g;
/** A value written as is: the seed's TOKEN. */
const PLAIN_VALUE = /^[^;,\s"]+$/;
/** A name that can be written: the seed's NAME, without controls. */
const NAME = /^[\x21\x23-\x2b\x2d-\x3a\x3c\x3e-\x7e\x80-\xff]+$/;
/** What a header value may hold (RFC 9110 §5.5): HTAB, visible ASCII, SP, obs-text; no controls. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Parses `name=value` pairs the way the seed's `Protocol::WebSocket::Cookie`
 * does.
 *
 * @example A quoted value holding a separator, and a bare name
 * ```ts
 * import { parseCookiePairs } from "./cookie.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseCookiePairs('foo=bar; hello= "the;re"; here'), [["foo", "bar"], ["hello", "the;re"], ["here", null]]);
 * ```
 *
 * @param text A `Cookie` or `Set-Cookie` value.
 * @returns The pairs, values unquoted.
 */
export function parseCookiePairs(text: string): CookiePair[] {
  const pairs: CookiePair[] = [];
  for (const match of text.matchAll(PAIR)) {
    const raw = match[2];
    pairs.push([match[1]!, raw === undefined ? null : unquote(raw)]);
  }
  return pairs;
}

function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  return value.slice(1, -1).replace(/\\"/g, '"');
}

function quote(value: string): string {
  return PLAIN_VALUE.test(value) ? value : `"${value.replace(/"/g, '\\"')}"`;
}

/**
 * Writes pairs as the seed's `to_string` does: `name=value` joined by
 * `"; "`, values quoted when needed.
 *
 * @example Round trip
 * ```ts
 * import { formatCookiePairs, parseCookiePairs } from "./cookie.ts";
 * import assert from "node:assert/strict";
 *
 * const text = 'foo=bar; hello="the;re"; here';
 * assert.equal(formatCookiePairs(parseCookiePairs(text)), text);
 * ```
 *
 * @param pairs The pairs.
 * @returns The header value.
 * @throws {TypeError} For a name or value that cannot be written in a header.
 */
export function formatCookiePairs(pairs: readonly CookiePair[]): string {
  return pairs.map(([name, value]) => {
    if (!NAME.test(name)) {
      throw new TypeError(`Cannot format cookie: invalid name ${JSON.stringify(name)}`);
    }
    if (value === null) return name;
    if (!FIELD_VALUE.test(value)) {
      throw new TypeError(
        `Cannot format cookie: the value of ${JSON.stringify(name)} holds a control character`,
      );
    }
    return `${name}=${quote(value)}`;
  }).join("; ");
}

/**
 * Parses a `Cookie` request header into cookies (RFC 6265 §5.4 pairs; the
 * RFC 2965 `$Version`, `$Path` and `$Domain` attributes are applied).
 *
 * @example An RFC 2965 header
 * ```ts
 * import { parseCookieHeader } from "./cookie.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseCookieHeader("$Version=1; foo=bar; $Path=/"), [{ name: "foo", value: "bar", version: 1, path: "/" }]);
 * assert.deepEqual(parseCookieHeader("a=1; b=2").map((cookie) => cookie.value), ["1", "2"]);
 * ```
 *
 * @param text The `Cookie` value ("" or `null` for none).
 * @returns The cookies, in order.
 */
export function parseCookieHeader(text: string | null): RequestCookie[] {
  if (text === null || text === "") return [];
  const cookies: {
    name: string;
    value: string | null;
    version: number | null;
    path?: string;
    domain?: string;
  }[] = [];
  let version: number | null = null;
  for (const [name, value] of parseCookiePairs(text)) {
    if (!name.startsWith("$")) {
      cookies.push({ name, value, version });
      continue;
    }
    const current = cookies.at(-1);
    // RFC 2965 §3.3.4: $Version first; $Path and $Domain follow the cookie they qualify.
    if (name === "$Version" && cookies.length === 0) {
      const number = Number(value);
      version = value !== null && Number.isFinite(number) ? number : null;
    } else if (name === "$Path" && current !== undefined && value !== null) {
      current.path = value;
    } else if (name === "$Domain" && current !== undefined && value !== null) {
      current.domain = value;
    }
  }
  return cookies;
}

/**
 * Writes a `Set-Cookie` value as the seed does (attributes in its order,
 * `Version=1` last), with RFC 6265's `Domain`, `HttpOnly` and `SameSite`
 * where they belong.
 *
 * @example The seed's examples
 * ```ts
 * import { formatSetCookie } from "./cookie.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatSetCookie({ name: "foo", value: "bar", discard: true, maxAge: 0 }), "foo=bar; Discard; Max-Age=0; Version=1");
 * assert.equal(formatSetCookie({ name: "foo", value: "bar", port: 80, version: false }), 'foo=bar; Port="80"');
 * ```
 *
 * @param cookie The cookie and its attributes.
 * @returns The header value.
 * @throws {TypeError} For an invalid name, value or attribute.
 * @throws {RangeError} For a `maxAge` or port that is not a non-negative integer.
 */
export function formatSetCookie(cookie: SetCookieInit): string {
  const pairs: CookiePair[] = [[cookie.name, cookie.value]];
  if (cookie.comment !== undefined) pairs.push(["Comment", cookie.comment]);
  if (cookie.commentUrl !== undefined) pairs.push(["CommentURL", cookie.commentUrl]);
  if (cookie.discard === true) pairs.push(["Discard", null]);
  if (cookie.maxAge !== undefined) {
    if (!Number.isSafeInteger(cookie.maxAge) || cookie.maxAge < 0) {
      throw new RangeError(
        `Cannot format cookie: maxAge must be an integer >= 0, got ${cookie.maxAge}`,
      );
    }
    pairs.push(["Max-Age", String(cookie.maxAge)]);
  }
  if (cookie.path !== undefined) pairs.push(["Path", cookie.path]);
  if (cookie.domain !== undefined) pairs.push(["Domain", cookie.domain]);
  let text = formatCookiePairs(pairs);
  if (cookie.port !== undefined) {
    const ports = typeof cookie.port === "number" ? [cookie.port] : cookie.port;
    for (const port of ports) {
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new RangeError(`Cannot format cookie: invalid port ${port}`);
      }
    }
    // RFC 2965 §3.2.2: Port[="portlist"], a quoted list of ports.
    text += `; Port="${ports.join(" ")}"`;
  }
  if (cookie.secure === true) text += "; Secure";
  if (cookie.httpOnly === true) text += "; HttpOnly";
  if (cookie.sameSite !== undefined) {
    if (!["Strict", "Lax", "None"].includes(cookie.sameSite)) {
      throw new TypeError(
        `Cannot format cookie: invalid SameSite ${JSON.stringify(cookie.sameSite)}`,
      );
    }
    text += `; SameSite=${cookie.sameSite}`;
  }
  if (cookie.version !== false) text += "; Version=1";
  return text;
}
