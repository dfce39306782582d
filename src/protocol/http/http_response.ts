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

import { HeadScanner, lineText, parseHeaderLines, quote } from "./_http_head.ts";
import { HandshakeError, type HeaderList } from "../errors.ts";

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

const EMPTY = new Uint8Array(0);

/** RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]. */
const STATUS_LINE = /^HTTP\/(\d)\.(\d) (\d{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/;

/** The parts of the status line (RFC 9112 §4). */
type StatusLine = { status: number; statusText: string; version: string };

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
  readonly #scanner: HeadScanner;
  #statusLine: StatusLine | null = null;
  #leftover: Uint8Array = EMPTY;

  /**
   * Creates a parser.
   *
   * @param options The head size limit.
   * @throws {RangeError} When `maxHeadSize` is not a positive safe integer.
   */
  constructor(options: ResponseHeadParserOptions = {}) {
    this.#scanner = new HeadScanner("response", options.maxHeadSize ?? DEFAULT_MAX_HEAD_SIZE, {
      firstLine: (bytes) => {
        this.#statusLine = parseStatusLine(bytes);
      },
      tooLarge: (max) =>
        new HandshakeError(
          "RESPONSE_TOO_LARGE",
          `Cannot open connection: the response head is larger than ${max} bytes`,
          this.#partialResponse(),
        ),
    });
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
    return this.#scanner.push(chunk, ({ head, leftover }) => {
      const statusLine = this.#statusLine!;
      const headers = parseHeaderLines(head, (detail) => malformed(detail, statusLine));
      this.#leftover = leftover;
      return { ...statusLine, headers };
    });
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
    this.#scanner.end((size) =>
      new HandshakeError(
        "UNEXPECTED_EOF",
        `Cannot open connection: the connection closed after ${size} bytes of the response head`,
        this.#partialResponse(),
      )
    );
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
function parseStatusLine(bytes: Uint8Array): StatusLine {
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
