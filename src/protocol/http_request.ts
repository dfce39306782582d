/**
 * An incremental parser for the head of a client's HTTP/1.1 request, the
 * opening handshake as a server reads it (RFC 6455 §4.2.1, RFC 9112 §2-§5).
 *
 * It has the shape of `./http_response.ts`: bytes accumulate until the
 * empty line that ends the head, up to a byte limit; the head is then
 * parsed whole, and the bytes after it come back from
 * {@linkcode RequestHeadParser.leftover}: key3 of a hybi-00 request, or
 * frames a client sent early.
 *
 * What it accepts:
 * - Line ends are CRLF or a bare LF (RFC 9112 §2.2); a bare CR is an error.
 * - The request line is `<method> <request-target> HTTP/1.<digit>`
 *   (RFC 9112 §3): the method a token, the target without spaces or
 *   controls. It is checked as soon as its line ends, so
 *   {@linkcode RequestHeadParser.requestLine} lets a server refuse a
 *   `POST` or an `HTTP/1.0` request before the rest arrives.
 * - Header names are tokens with no whitespace before the colon; values
 *   are trimmed and hold HTAB, visible ASCII and obs-text only (RFC 9110
 *   §5.5). Obsolete line folding is rejected (RFC 9112 §5.2 allows it).
 *
 * Errors are {@linkcode HandshakeError}s `MALFORMED_REQUEST` and
 * `REQUEST_TOO_LARGE`, whose `status` is the status to answer (400, 431).
 *
 * @module
 */

import { HandshakeError, type HeaderList, InvalidStateError } from "./errors.ts";

/** The default limit of the request head, in bytes: 16 KiB, as for responses. Browsers send under 2 KiB; cookies can grow it. */
export const DEFAULT_MAX_REQUEST_HEAD_SIZE = 16 * 1024;

/** The request line (RFC 9112 §3). */
export interface RequestLine {
  /** The method, e.g. "GET" (case-sensitive, RFC 9110 §9.1). */
  readonly method: string;
  /** The request target as sent, e.g. "/chat?room=1". */
  readonly target: string;
  /** The HTTP version, e.g. "HTTP/1.1". */
  readonly version: string;
}

/** The parsed head of an HTTP/1.x request. */
export interface RequestHead extends RequestLine {
  /** The header fields: lower-cased names, in order, duplicates kept. */
  readonly headers: HeaderList;
}

/** Options of {@linkcode RequestHeadParser}. */
export interface RequestHeadParserOptions {
  /**
   * The largest head accepted, in bytes, request line and final empty line
   * included.
   *
   * @default {16384}
   */
  readonly maxHeadSize?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = new Uint8Array(0);

/** RFC 9112 §3: request-line = method SP request-target SP HTTP-version. */
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e\x80-\xff]+) HTTP\/(\d)\.(\d)$/;
/** RFC 9110 §5.6.2: token = 1*tchar. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 9110 §5.5: field-value characters (HTAB, SP, VCHAR, obs-text). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Parses a request head incrementally, for any split of the bytes.
 *
 * @example A hybi-00 request head followed by key3
 * ```ts
 * import { RequestHeadParser } from "./http_request.ts";
 * import assert from "node:assert/strict";
 *
 * const parser = new RequestHeadParser();
 * const bytes = new TextEncoder().encode("GET /demo HTTP/1.1\r\nHost: example.com\r\n\r\nTm[K T2u");
 * const head = parser.push(bytes);
 * assert.equal(head?.target, "/demo");
 * assert.deepEqual(head?.headers, [["host", "example.com"]]);
 * assert.equal(new TextDecoder().decode(parser.leftover()), "Tm[K T2u");
 * ```
 */
export class RequestHeadParser {
  readonly #maxHeadSize: number;
  #buffer: Uint8Array = EMPTY;
  #length = 0;
  #scan = 0;
  #requestLine: RequestLine | null = null;
  #head: RequestHead | null = null;
  #leftover: Uint8Array = EMPTY;
  #error: HandshakeError | null = null;

  /**
   * Creates a parser.
   *
   * @param options The head size limit.
   * @throws {RangeError} When `maxHeadSize` is not a positive safe integer.
   */
  constructor(options: RequestHeadParserOptions = {}) {
    const max = options.maxHeadSize ?? DEFAULT_MAX_REQUEST_HEAD_SIZE;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(
        `Cannot create request parser: maxHeadSize must be a positive integer, got ${max}`,
      );
    }
    this.#maxHeadSize = max;
  }

  /** The request line once its line has ended, else `null`. */
  get requestLine(): RequestLine | null {
    return this.#requestLine;
  }

  /**
   * Feeds bytes of the request.
   *
   * @param chunk The next bytes; read, never modified, possibly kept as a view.
   * @returns The head once complete (then {@linkcode leftover} holds the bytes after it), else `null`.
   * @throws {HandshakeError} `MALFORMED_REQUEST` for invalid HTTP/1.1,
   * `REQUEST_TOO_LARGE` past `maxHeadSize`; the same error again on later calls.
   * @throws {InvalidStateError} When the head was already returned.
   */
  push(chunk: Uint8Array): RequestHead | null {
    if (this.#error !== null) throw this.#error;
    if (this.#head !== null) {
      throw new InvalidStateError("Cannot parse request head: it is already complete");
    }
    try {
      return this.#push(chunk);
    } catch (error) {
      if (error instanceof HandshakeError) this.#error = error;
      throw error;
    }
  }

  /**
   * The bytes received after the head.
   *
   * @returns A view of those bytes; empty before the head is complete.
   */
  leftover(): Uint8Array {
    return this.#leftover;
  }

  #push(chunk: Uint8Array): RequestHead | null {
    const data = this.#append(chunk);
    const max = this.#maxHeadSize;
    const limit = Math.min(data.length, max);
    let end = -1;
    let i = this.#scan;
    for (; i < limit; i++) {
      if (data[i] !== LF) continue;
      if (this.#requestLine === null) this.#requestLine = parseRequestLine(data.subarray(0, i));
      // RFC 9112 §2.2: the head ends with an empty line, CRLF or a bare LF.
      const next = data[i + 1];
      if (next === LF) {
        end = i + 2;
        break;
      }
      if (next === CR) {
        if (i + 2 >= data.length) break;
        if (data[i + 2] === LF) {
          end = i + 3;
          break;
        }
      } else if (next === undefined) {
        break;
      }
    }
    this.#scan = i;
    if (end > max || (end === -1 && data.length >= max)) {
      // RFC 6585 §5: 431 Request Header Fields Too Large.
      throw failure("REQUEST_TOO_LARGE", 431, `the request head is larger than ${max} bytes`);
    }
    if (end === -1) {
      this.#keep(data);
      return null;
    }
    this.#head = { ...this.#requestLine!, headers: parseHeaders(data.subarray(0, end)) };
    this.#leftover = data.subarray(end);
    this.#buffer = EMPTY;
    this.#length = 0;
    return this.#head;
  }

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

  #keep(data: Uint8Array): void {
    if (this.#length === 0) {
      this.#buffer = new Uint8Array(Math.max(256, data.length * 2));
      this.#buffer.set(data);
      this.#length = data.length;
    }
  }
}

function failure(
  code: "MALFORMED_REQUEST" | "REQUEST_TOO_LARGE",
  status: number,
  detail: string,
): HandshakeError {
  return new HandshakeError(code, `Cannot accept connection: ${detail}`, {
    status,
    statusText: status === 431 ? "Request Header Fields Too Large" : "Bad Request",
    headers: [],
    body: EMPTY,
  });
}

function latin1(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    text += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return text;
}

function lineText(bytes: Uint8Array): string {
  return latin1(bytes.at(-1) === CR ? bytes.subarray(0, -1) : bytes);
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? text.slice(0, 77) + "..." : text);
}

/** RFC 9112 §3, checked as soon as its line ends. */
function parseRequestLine(bytes: Uint8Array): RequestLine {
  const line = lineText(bytes);
  const match = REQUEST_LINE.exec(line);
  // RFC 9112 §3: "request-line = method SP request-target SP HTTP-version";
  // a bare CR or a control character fails the match too.
  if (match === null) {
    throw failure("MALFORMED_REQUEST", 400, `invalid request line ${quote(line)}`);
  }
  const [, method, target, major, minor] = match;
  // RFC 9112 §2.3: only major version 1 is HTTP/1.x.
  if (major !== "1") {
    throw failure(
      "MALFORMED_REQUEST",
      400,
      `unsupported HTTP version in request line ${quote(line)}`,
    );
  }
  return { method: method!, target: target!, version: `HTTP/${major}.${minor}` };
}

function parseHeaders(bytes: Uint8Array): HeaderList {
  const headers: [string, string][] = [];
  let start = bytes.indexOf(LF) + 1;
  while (true) {
    const lf = bytes.indexOf(LF, start);
    const line = lineText(bytes.subarray(start, lf));
    start = lf + 1;
    if (line === "") break;
    headers.push(parseHeaderLine(line));
  }
  return headers;
}

/** RFC 9112 §5: field-line = field-name ":" OWS field-value OWS. */
function parseHeaderLine(line: string): [string, string] {
  // RFC 9112 §5.2: obs-fold is obsolete; refused.
  if (line.startsWith(" ") || line.startsWith("\t")) {
    throw failure("MALFORMED_REQUEST", 400, `obsolete line folding in ${quote(line)}`);
  }
  const colon = line.indexOf(":");
  const name = colon === -1 ? "" : line.slice(0, colon);
  // RFC 9112 §5.1: no whitespace between the field name and the colon; RFC 9110 §5.1: a token.
  if (!TOKEN.test(name)) {
    throw failure("MALFORMED_REQUEST", 400, `invalid header line ${quote(line)}`);
  }
  const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
  if (!FIELD_VALUE.test(value)) {
    throw failure(
      "MALFORMED_REQUEST",
      400,
      `invalid character in the value of header ${quote(name)}`,
    );
  }
  return [name.toLowerCase(), value];
}
