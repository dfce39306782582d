/**
 * An incremental parser for the head of a client's HTTP/1.1 request, the
 * opening handshake as a server reads it (RFC 6455 §4.2.1, RFC 9112 §2-§5).
 *
 * It shares `./_http_head.ts` with `./http_response.ts`: bytes accumulate
 * until the empty line that ends the head, up to a byte limit; the head is then
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

import { HeadScanner, lineText, parseHeaderLines, quote } from "./_http_head.ts";
import { HandshakeError, type HeaderList } from "../errors.ts";

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

const EMPTY = new Uint8Array(0);

/** RFC 9112 §3: request-line = method SP request-target SP HTTP-version. */
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e\x80-\xff]+) HTTP\/(\d)\.(\d)$/;

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
  readonly #scanner: HeadScanner;
  #requestLine: RequestLine | null = null;
  #leftover: Uint8Array = EMPTY;

  /**
   * Creates a parser.
   *
   * @param options The head size limit.
   * @throws {RangeError} When `maxHeadSize` is not a positive safe integer.
   */
  constructor(options: RequestHeadParserOptions = {}) {
    this.#scanner = new HeadScanner(
      "request",
      options.maxHeadSize ?? DEFAULT_MAX_REQUEST_HEAD_SIZE,
      {
        firstLine: (bytes) => {
          this.#requestLine = parseRequestLine(bytes);
        },
        // RFC 6585 §5: 431 Request Header Fields Too Large.
        tooLarge: (max) =>
          failure("REQUEST_TOO_LARGE", 431, `the request head is larger than ${max} bytes`),
      },
    );
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
    return this.#scanner.push(chunk, ({ head, leftover }) => {
      const headers = parseHeaderLines(head, (detail) => failure("MALFORMED_REQUEST", 400, detail));
      this.#leftover = leftover;
      return { ...this.#requestLine!, headers };
    });
  }

  /**
   * The bytes received after the head.
   *
   * @returns A view of those bytes; empty before the head is complete.
   */
  leftover(): Uint8Array {
    return this.#leftover;
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
