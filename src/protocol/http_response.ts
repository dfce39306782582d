/**
 * An incremental parser for the head of the server's HTTP/1.1 response to
 * the opening handshake (RFC 6455 §4.1, RFC 9112 §2-§5).
 *
 * It follows the "need more" shape: bytes accumulate until the empty line
 * that ends the head, up to a byte limit (h11's `max_incomplete_event_size`,
 * tungstenite's attack check). The head is then parsed whole, and the bytes
 * after it are handed back by {@linkcode ResponseHeadParser.leftover} for
 * the frame parser: a server may send frames right after its 101 response,
 * in the same TCP segment.
 *
 * What it accepts, strict but tolerant in the manner of h11:
 * - Line ends are CRLF, or a bare LF (RFC 9112 §2.2: "a recipient MAY
 *   recognize a single LF as a line terminator and ignore any preceding
 *   CR"). A bare CR anywhere is an error (§2.2).
 * - The status line is `HTTP/1.<digit> <3 digits>[ <reason>]`: any HTTP/1.x
 *   version (so a proxy's `HTTP/1.0 403` is reported with its status), a
 *   status in 100-599 (RFC 9110 §15), an optional reason phrase (h11 also
 *   tolerates a missing SP after the status code).
 * - Header names are tokens with no whitespace before the colon (RFC 9112
 *   §5.1); values have their surrounding whitespace removed and may hold
 *   HTAB, visible ASCII and obs-text, nothing else (RFC 9110 §5.5: CR, LF
 *   and NUL "are invalid and dangerous"; other controls are invalid too).
 *   obs-text bytes are decoded as Latin-1, as Fetch does.
 * - Obsolete line folding is rejected. RFC 9112 §5.2 lets a user agent
 *   unfold it, but no WebSocket server needs it, and python-websockets and
 *   httparse (tungstenite) reject it as well.
 *
 * Every 1xx response other than 101 is returned like any other head: the
 * handshake then fails with `UNEXPECTED_STATUS` (RFC 9110 §15.2 allows a
 * user agent to ignore unexpected 1xx responses but does not require it).
 *
 * @module
 */

import { HandshakeError, type HeaderList, InvalidStateError } from "./errors.ts";

/**
 * The default limit of the response head, in bytes: 16 KiB. Real 101
 * responses are a few hundred bytes, and the bulk of a proxy's error page is
 * in its body, which is not counted; h11 and tungstenite use similar caps.
 */
export const DEFAULT_MAX_HEAD_SIZE: number = 16 * 1024;

/** The parsed head of an HTTP/1.x response. */
export interface ResponseHead {
  /** The status code, 100-599. */
  readonly status: number;
  /** The reason phrase, "" when absent. */
  readonly statusText: string;
  /** The HTTP version of the status line, e.g. "HTTP/1.1". */
  readonly version: string;
  /** The header fields: lower-cased names, in order, duplicates kept. */
  readonly headers: HeaderList;
}

/** Options of {@linkcode ResponseHeadParser}. */
export interface ResponseHeadParserOptions {
  /**
   * The largest head accepted, in bytes, status line and final empty line
   * included. A server that never ends its head cannot make us buffer more.
   *
   * @default {16384}
   */
  readonly maxHeadSize?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = new Uint8Array(0);

/** RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]. */
const STATUS_LINE = /^HTTP\/(\d)\.(\d) (\d{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
/** RFC 9110 §5.6.2: token = 1*tchar. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 9110 §5.5: field-value characters (HTAB, SP, VCHAR, obs-text). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Parses the response head incrementally, for any split of the bytes.
 *
 * @example Parsing a 101 response followed by a frame
 * ```ts
 * import { ResponseHeadParser, getHeader } from "./http_response.ts";
 * import assert from "node:assert/strict";
 *
 * const parser = new ResponseHeadParser();
 * const head1 = new TextEncoder().encode("HTTP/1.1 101 Switching Protocols\r\n");
 * const head2 = new TextEncoder().encode("Upgrade: websocket\r\n\r\n");
 * assert.equal(parser.push(head1), null);
 * const head = parser.push(new Uint8Array([...head2, 0x81, 0x00]));
 * assert.equal(head?.status, 101);
 * assert.equal(getHeader(head!.headers, "Upgrade"), "websocket");
 * assert.deepEqual(parser.leftover(), new Uint8Array([0x81, 0x00]));
 * ```
 */
export class ResponseHeadParser {
  readonly #maxHeadSize: number;
  #buffer: Uint8Array = EMPTY;
  #length = 0;
  /** Where to look for the next LF; a LF whose next line is still unknown is looked at again. */
  #scan = 0;
  #statusLine: { status: number; statusText: string; version: string } | null = null;
  #head: ResponseHead | null = null;
  #leftover: Uint8Array = EMPTY;
  #error: HandshakeError | null = null;

  /**
   * Creates a parser.
   *
   * @param options The head size limit.
   * @throws {RangeError} When `maxHeadSize` is not a positive safe integer.
   */
  constructor(options: ResponseHeadParserOptions = {}) {
    const max = options.maxHeadSize ?? DEFAULT_MAX_HEAD_SIZE;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(
        `Cannot create response parser: maxHeadSize must be a positive integer, got ${max}`,
      );
    }
    this.#maxHeadSize = max;
  }

  /**
   * Feeds bytes of the response.
   *
   * @param chunk The next bytes; read, never modified, and possibly kept as a view.
   * @returns The head once complete (then {@linkcode leftover} holds the bytes after it), else `null`.
   * @throws {HandshakeError} `MALFORMED_RESPONSE` for invalid HTTP/1.1,
   * `RESPONSE_TOO_LARGE` past `maxHeadSize`; the same error again on later calls.
   * @throws {InvalidStateError} When the head was already returned.
   */
  push(chunk: Uint8Array): ResponseHead | null {
    if (this.#error !== null) throw this.#error;
    if (this.#head !== null) {
      throw new InvalidStateError("Cannot parse response head: it is already complete");
    }
    try {
      return this.#push(chunk);
    } catch (error) {
      if (error instanceof HandshakeError) this.#error = error;
      throw error;
    }
  }

  /**
   * The bytes received after the head (frames the server sent right away).
   *
   * @returns A view of those bytes; empty before the head is complete.
   */
  leftover(): Uint8Array {
    return this.#leftover;
  }

  /**
   * Reports the end of the stream.
   *
   * @throws {HandshakeError} `UNEXPECTED_EOF` when the head is not complete
   * (or the error the parser already failed with).
   */
  end(): void {
    if (this.#error !== null) throw this.#error;
    if (this.#head !== null) return;
    const status = this.#statusLine;
    this.#error = new HandshakeError(
      "UNEXPECTED_EOF",
      `Cannot open connection: the connection closed after ${this.#length} bytes of the response head`,
      {
        status: status?.status ?? 0,
        statusText: status?.statusText ?? "",
        headers: [],
        body: EMPTY,
      },
    );
    throw this.#error;
  }

  #push(chunk: Uint8Array): ResponseHead | null {
    const data = this.#append(chunk);
    const max = this.#maxHeadSize;
    // Only bytes below the limit can end a head that fits, so a too-large
    // head fails the same way however the bytes were split.
    const limit = Math.min(data.length, max);
    let end = -1;
    let i = this.#scan;
    for (; i < limit; i++) {
      if (data[i] !== LF) continue;
      if (this.#statusLine === null) this.#statusLine = parseStatusLine(data.subarray(0, i));
      // RFC 9112 §2.2: the head ends with an empty line, CRLF or a bare LF.
      const next = data[i + 1];
      if (next === LF) {
        end = i + 2;
        break;
      }
      if (next === CR) {
        if (i + 2 >= data.length) break; // Look at this LF again when more bytes come.
        if (data[i + 2] === LF) {
          end = i + 3;
          break;
        }
      } else if (next === undefined) {
        break; // Look at this LF again when more bytes come.
      }
    }
    this.#scan = i;
    if (end > max || (end === -1 && data.length >= max)) {
      throw new HandshakeError(
        "RESPONSE_TOO_LARGE",
        `Cannot open connection: the response head is larger than ${max} bytes`,
        this.#partialResponse(),
      );
    }
    if (end === -1) {
      this.#keep(data);
      return null;
    }
    this.#head = parseHead(data.subarray(0, end), this.#statusLine!);
    this.#leftover = data.subarray(end);
    this.#buffer = EMPTY;
    this.#length = 0;
    return this.#head;
  }

  /** The bytes so far followed by `chunk`: `chunk` itself when nothing is buffered. */
  #append(chunk: Uint8Array): Uint8Array {
    if (this.#length === 0) return chunk;
    const needed = this.#length + chunk.length;
    if (needed > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#length);
    this.#length = needed;
    return this.#buffer.subarray(0, needed);
  }

  /** Keeps an incomplete head for the next push, copying a borrowed chunk. */
  #keep(data: Uint8Array): void {
    if (this.#length === 0) {
      this.#buffer = new Uint8Array(Math.max(256, data.length * 2));
      this.#buffer.set(data);
      this.#length = data.length;
    }
  }

  #partialResponse(): {
    status: number;
    statusText: string;
    headers: HeaderList;
    body: Uint8Array;
  } {
    const status = this.#statusLine;
    return {
      status: status?.status ?? 0,
      statusText: status?.statusText ?? "",
      headers: [],
      body: EMPTY,
    };
  }
}

/**
 * Combines the values of a header (RFC 9110 §5.3: repeated field lines
 * join with ", ").
 *
 * @example Joining a repeated header
 * ```ts
 * import { getHeader } from "./http_response.ts";
 * import assert from "node:assert/strict";
 *
 * const headers = [["connection", "keep-alive"], ["connection", "Upgrade"]] as const;
 * assert.equal(getHeader(headers, "Connection"), "keep-alive, Upgrade");
 * assert.equal(getHeader(headers, "Upgrade"), null);
 * ```
 *
 * @param headers A header list with lower-cased names.
 * @param name The header name, any case.
 * @returns The combined value, or `null` when absent.
 */
export function getHeader(headers: HeaderList, name: string): string | null {
  const wanted = name.toLowerCase();
  let value: string | null = null;
  for (const [key, item] of headers) {
    if (key === wanted) value = value === null ? item : `${value}, ${item}`;
  }
  return value;
}

/** Latin-1 ("isomorphic") decoding: one code unit per byte, as Fetch decodes header bytes. */
function latin1(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    text += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return text;
}

/** A line without its terminator: the LF is already cut, a CR before it is dropped (RFC 9112 §2.2). */
function lineText(bytes: Uint8Array): string {
  return latin1(bytes.at(-1) === CR ? bytes.subarray(0, -1) : bytes);
}

/** Shows received text in a message: quoted, escaped, cut to 80 characters. */
function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? text.slice(0, 77) + "..." : text);
}

function malformed(
  detail: string,
  status: { status: number; statusText: string } = { status: 0, statusText: "" },
): HandshakeError {
  return new HandshakeError("MALFORMED_RESPONSE", `Cannot open connection: ${detail}`, {
    status: status.status,
    statusText: status.statusText,
    headers: [],
    body: EMPTY,
  });
}

/** RFC 9112 §4 status-line, checked as soon as its line ends. */
function parseStatusLine(
  bytes: Uint8Array,
): { status: number; statusText: string; version: string } {
  const line = lineText(bytes);
  const match = STATUS_LINE.exec(line);
  // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ];
  // a bare CR (RFC 9112 §2.2) or a control character fails this match too.
  if (match === null) throw malformed(`invalid status line ${quote(line)}`);
  const [, major, minor, code, reason = ""] = match;
  // RFC 9112 §2.3: HTTP/1.1 messages carry major version 1; a higher minor
  // version is understood as 1.1. Any other major version is another protocol.
  if (major !== "1") throw malformed(`unsupported HTTP version in status line ${quote(line)}`);
  const status = Number(code);
  // RFC 9110 §15: "All valid status codes are within the range of 100 to 599".
  if (status < 100 || status > 599) {
    throw malformed(`invalid status code in status line ${quote(line)}`);
  }
  return { status, statusText: reason, version: `HTTP/${major}.${minor}` };
}

/** Parses the header lines of a complete head (everything after the status line). */
function parseHead(
  bytes: Uint8Array,
  statusLine: { status: number; statusText: string; version: string },
): ResponseHead {
  const headers: [string, string][] = [];
  let start = bytes.indexOf(LF) + 1;
  while (true) {
    const lf = bytes.indexOf(LF, start);
    const line = lineText(bytes.subarray(start, lf));
    start = lf + 1;
    if (line === "") break;
    headers.push(parseHeaderLine(line, statusLine));
  }
  return { ...statusLine, headers };
}

/** RFC 9112 §5: field-line = field-name ":" OWS field-value OWS. */
function parseHeaderLine(
  line: string,
  status: { status: number; statusText: string },
): [string, string] {
  // RFC 9112 §5.2: obs-fold (a line starting with SP or HTAB) is obsolete; refused here.
  if (line.startsWith(" ") || line.startsWith("\t")) {
    throw malformed(`obsolete line folding in ${quote(line)}`, status);
  }
  const colon = line.indexOf(":");
  const name = colon === -1 ? "" : line.slice(0, colon);
  // RFC 9112 §5.1: "No whitespace is allowed between the field name and colon";
  // RFC 9110 §5.1: field-name = token.
  if (!TOKEN.test(name)) throw malformed(`invalid header line ${quote(line)}`, status);
  const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
  // RFC 9110 §5.5: CR, LF and NUL in a value are invalid and dangerous; other controls are invalid.
  if (!FIELD_VALUE.test(value)) {
    throw malformed(`invalid character in the value of header ${quote(name)}`, status);
  }
  return [name.toLowerCase(), value];
}
