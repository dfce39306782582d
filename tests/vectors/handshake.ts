/**
 * Opening handshake vectors: response heads for the HTTP parser (RFC 9112)
 * and responses for the RFC 6455 §4.1 client checks.
 *
 * Heads are written as Latin-1 text ("\x81" is the byte 0x81) and replayed
 * by the tests whole, byte by byte and at every split.
 *
 * @module
 */

import type { HandshakeErrorCode, HeaderList } from "../../src/protocol/errors.ts";

/** The RFC 6455 §1.3 sample key and its accept value. */
export const SAMPLE_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
export const SAMPLE_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/** The RFC 6455 §1.3 server handshake. */
export const RFC6455_RESPONSE = "HTTP/1.1 101 Switching Protocols\r\n" +
  "Upgrade: websocket\r\n" +
  "Connection: Upgrade\r\n" +
  `Sec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n` +
  "\r\n";

/** A head the parser accepts. */
export interface ResponseHeadVector {
  readonly name: string;
  /** The bytes as Latin-1 text. */
  readonly bytes: string;
  readonly maxHeadSize?: number;
  readonly expected: {
    readonly status: number;
    readonly statusText: string;
    readonly version: string;
    readonly headers: HeaderList;
    /** The bytes after the head, as Latin-1 text. */
    readonly leftover: string;
  };
}

/** A head the parser refuses. */
export interface ResponseHeadErrorVector {
  readonly name: string;
  readonly bytes: string;
  readonly maxHeadSize?: number;
  readonly code: HandshakeErrorCode;
  readonly message: string;
  /** The status the error carries (0 before a valid status line). */
  readonly status: number;
}

const RFC_HEADERS: HeaderList = [
  ["upgrade", "websocket"],
  ["connection", "Upgrade"],
  ["sec-websocket-accept", SAMPLE_ACCEPT],
];

export const RESPONSE_HEAD_VECTORS: readonly ResponseHeadVector[] = [
  {
    name: "the RFC 6455 §1.3 response",
    bytes: RFC6455_RESPONSE,
    expected: {
      status: 101,
      statusText: "Switching Protocols",
      version: "HTTP/1.1",
      headers: RFC_HEADERS,
      leftover: "",
    },
  },
  {
    name: "a 101 followed by a text frame in the same segment (leftover for the frame parser)",
    bytes: RFC6455_RESPONSE + "\x81\x05Hello",
    expected: {
      status: 101,
      statusText: "Switching Protocols",
      version: "HTTP/1.1",
      headers: RFC_HEADERS,
      leftover: "\x81\x05Hello",
    },
  },
  {
    name: "leftover bytes that look like another head are not parsed",
    bytes: "HTTP/1.1 101 OK\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
    expected: {
      status: 101,
      statusText: "OK",
      version: "HTTP/1.1",
      headers: [],
      leftover: "HTTP/1.1 200 OK\r\n\r\n",
    },
  },
  {
    name: "bare LF line ends (RFC 9112 §2.2: a recipient MAY accept them)",
    bytes: "HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\n" +
      `Sec-WebSocket-Accept: ${SAMPLE_ACCEPT}\n\n\x88\x00`,
    expected: {
      status: 101,
      statusText: "Switching Protocols",
      version: "HTTP/1.1",
      headers: RFC_HEADERS,
      leftover: "\x88\x00",
    },
  },
  {
    name: "mixed CRLF and LF line ends, ending in LF CRLF",
    bytes: "HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\r\nConnection: Upgrade\n\r\n",
    expected: {
      status: 101,
      statusText: "Switching Protocols",
      version: "HTTP/1.1",
      headers: [["upgrade", "websocket"], ["connection", "Upgrade"]],
      leftover: "",
    },
  },
  {
    name: "mixed line ends, ending in CRLF LF",
    bytes: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\n",
    expected: {
      status: 101,
      statusText: "Switching Protocols",
      version: "HTTP/1.1",
      headers: [["upgrade", "websocket"]],
      leftover: "",
    },
  },
  {
    name: "a status line alone, with no header",
    bytes: "HTTP/1.1 101 Switching Protocols\r\n\r\n",
    expected: {
      status: 101,
      statusText: "Switching Protocols",
      version: "HTTP/1.1",
      headers: [],
      leftover: "",
    },
  },
  {
    name: "no reason phrase and no SP after the code (tolerated, as h11 does)",
    bytes: "HTTP/1.1 101\r\nUpgrade: websocket\r\n\r\n",
    expected: {
      status: 101,
      statusText: "",
      version: "HTTP/1.1",
      headers: [["upgrade", "websocket"]],
      leftover: "",
    },
  },
  {
    name: "an empty reason phrase after the SP (RFC 9112 §4)",
    bytes: "HTTP/1.1 101 \r\n\r\n",
    expected: { status: 101, statusText: "", version: "HTTP/1.1", headers: [], leftover: "" },
  },
  {
    name: "a reason phrase with tabs, spaces and obs-text (Latin-1)",
    bytes: "HTTP/1.1 101 Web\tSocket  Protocol Handshake \xe9\r\n\r\n",
    expected: {
      status: 101,
      statusText: "Web\tSocket  Protocol Handshake \xe9",
      version: "HTTP/1.1",
      headers: [],
      leftover: "",
    },
  },
  {
    name: "an HTTP/1.0 refusal from a proxy, reported with its status and body",
    bytes:
      "HTTP/1.0 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nForbidden",
    expected: {
      status: 403,
      statusText: "Forbidden",
      version: "HTTP/1.0",
      headers: [["content-type", "text/plain"], ["content-length", "9"]],
      leftover: "Forbidden",
    },
  },
  {
    name: "a higher HTTP/1 minor version (RFC 9112 §2.3)",
    bytes: "HTTP/1.2 101 Switching Protocols\r\n\r\n",
    expected: {
      status: 101,
      statusText: "Switching Protocols",
      version: "HTTP/1.2",
      headers: [],
      leftover: "",
    },
  },
  {
    name: "repeated headers kept in order, names lower-cased, values trimmed",
    bytes:
      "HTTP/1.1 101 OK\r\nSet-Cookie: a=1\r\nCONNECTION:Upgrade\r\nset-cookie:   b=2 \t\r\nX-Empty:\r\nX-Blank: \t \r\n\r\n",
    expected: {
      status: 101,
      statusText: "OK",
      version: "HTTP/1.1",
      headers: [["set-cookie", "a=1"], ["connection", "Upgrade"], ["set-cookie", "b=2"], [
        "x-empty",
        "",
      ], [
        "x-blank",
        "",
      ]],
      leftover: "",
    },
  },
  {
    name: "inner whitespace, colons and obs-text in values (Latin-1, as Fetch decodes)",
    bytes:
      "HTTP/1.1 301 Moved\r\nLocation: http://example.com:80/a\r\nX-Text: a \t b\r\nX-Latin: caf\xe9\r\n\r\n",
    expected: {
      status: 301,
      statusText: "Moved",
      version: "HTTP/1.1",
      headers: [["location", "http://example.com:80/a"], ["x-text", "a \t b"], [
        "x-latin",
        "caf\xe9",
      ]],
      leftover: "",
    },
  },
  {
    name: "every tchar in a header name",
    bytes: "HTTP/1.1 101 OK\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n",
    expected: {
      status: 101,
      statusText: "OK",
      version: "HTTP/1.1",
      headers: [["!#$%&'*+-.^_`|~09azaz", "v"]],
      leftover: "",
    },
  },
  {
    name: "the highest status code (RFC 9110 §15)",
    bytes: "HTTP/1.1 599 X\r\n\r\n",
    expected: { status: 599, statusText: "X", version: "HTTP/1.1", headers: [], leftover: "" },
  },
  {
    name: "an interim 100 response is returned, not skipped",
    bytes: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching Protocols\r\n\r\n",
    expected: {
      status: 100,
      statusText: "Continue",
      version: "HTTP/1.1",
      headers: [],
      leftover: "HTTP/1.1 101 Switching Protocols\r\n\r\n",
    },
  },
  {
    name: "a head of exactly maxHeadSize bytes",
    bytes: "HTTP/1.1 101 OK\r\nX: " + "a".repeat(40) + "\r\n\r\n\x81\x00",
    maxHeadSize: 64,
    expected: {
      status: 101,
      statusText: "OK",
      version: "HTTP/1.1",
      headers: [["x", "a".repeat(40)]],
      leftover: "\x81\x00",
    },
  },
];

const malformed = (detail: string) => `Cannot open connection: ${detail}`;

export const RESPONSE_HEAD_ERROR_VECTORS: readonly ResponseHeadErrorVector[] = [
  // RFC 9112 §4: the status line, checked as soon as it ends.
  {
    name: "a status line with a non-numeric status (seed: HTTP/1.0 foo bar)",
    bytes: "HTTP/1.0 foo bar\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid status line "HTTP/1.0 foo bar"'),
    status: 0,
  },
  {
    name: "a four-digit status",
    bytes: "HTTP/1.1 1010 Switching\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid status line "HTTP/1.1 1010 Switching"'),
    status: 0,
  },
  {
    name: "a status below 100 (RFC 9110 §15)",
    bytes: "HTTP/1.1 099 Low\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid status code in status line "HTTP/1.1 099 Low"'),
    status: 0,
  },
  {
    name: "a status above 599 (RFC 9110 §15)",
    bytes: "HTTP/1.1 600 High\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid status code in status line "HTTP/1.1 600 High"'),
    status: 0,
  },
  {
    name: "HTTP/2.0 (RFC 9112 §2.3: another major version)",
    bytes: "HTTP/2.0 101 Switching Protocols\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed(
      'unsupported HTTP version in status line "HTTP/2.0 101 Switching Protocols"',
    ),
    status: 0,
  },
  {
    name: "a version without a minor digit",
    bytes: "HTTP/2 101\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid status line "HTTP/2 101"'),
    status: 0,
  },
  {
    name: "a lower-case HTTP name (RFC 9112 §2.3: case-sensitive)",
    bytes: "http/1.1 101 Switching Protocols\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid status line "http/1.1 101 Switching Protocols"'),
    status: 0,
  },
  {
    name: "two spaces before the status",
    bytes: "HTTP/1.1  101 Switching Protocols\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid status line "HTTP/1.1  101 Switching Protocols"'),
    status: 0,
  },
  {
    name: "a non-HTTP protocol (ICY)",
    bytes: "ICY 200 OK\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid status line "ICY 200 OK"'),
    status: 0,
  },
  {
    name: "an empty line before the status line",
    bytes: "\r\nHTTP/1.1 101 Switching Protocols\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid status line ""'),
    status: 0,
  },
  {
    name: "a NUL in the reason phrase",
    bytes: "HTTP/1.1 101 Switching\x00Protocols\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid status line "HTTP/1.1 101 Switching\\u0000Protocols"'),
    status: 0,
  },
  {
    name: "a bare CR in the status line (RFC 9112 §2.2)",
    bytes: "HTTP/1.1 101 Switching\rProtocols\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid status line "HTTP/1.1 101 Switching\\rProtocols"'),
    status: 0,
  },
  {
    name: "a long garbage status line, cut in the message (seed: wrong_line_truncated)",
    bytes: "1234567890".repeat(10) + "\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed(`invalid status line "${"1234567890".repeat(8).slice(0, 77)}..."`),
    status: 0,
  },
  // RFC 9112 §5 and RFC 9110 §5: header lines.
  {
    name: "obsolete line folding (RFC 9112 §5.2)",
    bytes: "HTTP/1.1 101 OK\r\nX-A: b\r\n c\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('obsolete line folding in " c"'),
    status: 101,
  },
  {
    name: "obsolete line folding with a tab (RFC 9112 §5.2)",
    bytes: "HTTP/1.1 101 OK\r\nX-A: b\r\n\tc\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('obsolete line folding in "\\tc"'),
    status: 101,
  },
  {
    name: "whitespace between the name and the colon (RFC 9112 §5.1)",
    bytes: "HTTP/1.1 101 OK\r\nUpgrade : websocket\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid header line "Upgrade : websocket"'),
    status: 101,
  },
  {
    name: "a header line without a colon",
    bytes: "HTTP/1.1 101 OK\r\nUpgrade websocket\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid header line "Upgrade websocket"'),
    status: 101,
  },
  {
    name: "an empty header name",
    bytes: "HTTP/1.1 101 OK\r\n: websocket\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid header line ": websocket"'),
    status: 101,
  },
  {
    name: "a separator in a header name (RFC 9110 §5.1: a token)",
    bytes: "HTTP/1.1 101 OK\r\nX(A): b\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid header line "X(A): b"'),
    status: 101,
  },
  {
    name: "a non-ASCII header name",
    bytes: "HTTP/1.1 101 OK\r\nX-\xc4: b\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid header line "X-\xc4: b"'),
    status: 101,
  },
  {
    name: "a NUL in a header value (RFC 9110 §5.5)",
    bytes: "HTTP/1.1 101 OK\r\nUpgrade: web\x00socket\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid character in the value of header "Upgrade"'),
    status: 101,
  },
  {
    name: "a bare CR in a header value (RFC 9110 §5.5, RFC 9112 §2.2)",
    bytes: "HTTP/1.1 101 OK\r\nUpgrade: web\rsocket\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid character in the value of header "Upgrade"'),
    status: 101,
  },
  {
    name: "a line of a lone CR before the end (RFC 9112 §2.2)",
    bytes: "HTTP/1.1 101 OK\r\nA: b\r\n\r\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid header line "\\r"'),
    status: 101,
  },
  {
    name: "a control character in a header value (RFC 9110 §5.5)",
    bytes: "HTTP/1.1 101 OK\r\nX-A: a\x01b\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid character in the value of header "X-A"'),
    status: 101,
  },
  {
    name: "DEL in a header value (RFC 9110 §5.5)",
    bytes: "HTTP/1.1 101 OK\r\nX-A: a\x7fb\r\n\r\n",
    code: "MALFORMED_RESPONSE",
    message: malformed('invalid character in the value of header "X-A"'),
    status: 101,
  },
  // The head size limit.
  {
    name: "a head one byte over maxHeadSize",
    bytes: "HTTP/1.1 101 OK\r\nX: " + "a".repeat(41) + "\r\n\r\n",
    maxHeadSize: 64,
    code: "RESPONSE_TOO_LARGE",
    message: "Cannot open connection: the response head is larger than 64 bytes",
    status: 101,
  },
  {
    name: "a head whose final CRLF crosses maxHeadSize",
    bytes: "HTTP/1.1 101 OK\r\nX: " + "a".repeat(40) + "\r\n\r\n",
    maxHeadSize: 62,
    code: "RESPONSE_TOO_LARGE",
    message: "Cannot open connection: the response head is larger than 62 bytes",
    status: 101,
  },
  {
    name: "a status line longer than maxHeadSize",
    bytes: "HTTP/1.1 101 " + "x".repeat(100) + "\r\n\r\n",
    maxHeadSize: 64,
    code: "RESPONSE_TOO_LARGE",
    message: "Cannot open connection: the response head is larger than 64 bytes",
    status: 0,
  },
  {
    name: "garbage with no line end, larger than maxHeadSize (seed: too_long)",
    bytes: "x".repeat(2048),
    maxHeadSize: 1024,
    code: "RESPONSE_TOO_LARGE",
    message: "Cannot open connection: the response head is larger than 1024 bytes",
    status: 0,
  },
];

/** An extension the client offers, as data: a fake `Extension` is built from it. */
export interface FakeExtensionSpec {
  readonly name: string;
  /** The RSV bits the negotiated extension claims. */
  readonly rsv: number;
  /** When set, `accept()` throws a TypeError with this message. */
  readonly reject?: string;
}

/** A response to validate against an offer. */
export interface HandshakeResponseVector {
  readonly name: string;
  /** Header lines after the status line (without the accept unless given). */
  readonly head: string;
  readonly protocols?: readonly string[];
  readonly extensions?: readonly FakeExtensionSpec[];
  readonly expected:
    | {
      readonly protocol: string;
      readonly extensions: readonly string[];
      readonly extensionsHeader: string;
    }
    | { readonly code: HandshakeErrorCode; readonly message: string };
}

const OK_HEAD =
  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
  `Sec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n`;
const fail = (detail: string) => `Cannot open connection: ${detail}`;
const NONE = { protocol: "", extensions: [], extensionsHeader: "" } as const;

export const HANDSHAKE_RESPONSE_VECTORS: readonly HandshakeResponseVector[] = [
  // Accepted responses.
  { name: "the RFC 6455 §1.3 response", head: RFC6455_RESPONSE, expected: NONE },
  {
    name: "Upgrade and Connection in any case (RFC 6455 §4.1 steps 2-3)",
    head:
      `HTTP/1.1 101 Web Socket Protocol Handshake\r\nUPGRADE: WebSocket\r\nconnection: UPGRADE\r\nSec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n\r\n`,
    expected: NONE,
  },
  {
    name: "Connection as a list holding upgrade",
    head:
      `HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n\r\n`,
    expected: NONE,
  },
  {
    name: "Connection on two lines",
    head:
      `HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nConnection: upgrade\r\nSec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n\r\n`,
    expected: NONE,
  },
  {
    name: "HTTP/1.1 101 with extra headers",
    head: OK_HEAD + "Server: test\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\n",
    expected: NONE,
  },
  {
    name: "no subprotocol selected though some were offered (RFC 6455 §4.1 step 6)",
    head: OK_HEAD + "\r\n",
    protocols: ["chat"],
    expected: NONE,
  },
  {
    name: "an offered subprotocol selected",
    head: OK_HEAD + "Sec-WebSocket-Protocol: chat\r\n\r\n",
    protocols: ["superchat", "chat"],
    expected: { protocol: "chat", extensions: [], extensionsHeader: "" },
  },
  {
    name: "no extension accepted though one was offered",
    head: OK_HEAD + "\r\n",
    extensions: [{ name: "x-one", rsv: 0x4 }],
    expected: NONE,
  },
  {
    name: "an offered extension accepted",
    head: OK_HEAD + "Sec-WebSocket-Extensions: x-one; a=1\r\n\r\n",
    extensions: [{ name: "x-one", rsv: 0x4 }],
    expected: { protocol: "", extensions: ["x-one"], extensionsHeader: "x-one; a=1" },
  },
  {
    name: "two extensions on distinct RSV bits, in the server's order",
    head: OK_HEAD + "Sec-WebSocket-Extensions: x-two\r\nSec-WebSocket-Extensions: x-one\r\n\r\n",
    extensions: [{ name: "x-one", rsv: 0x4 }, { name: "x-two", rsv: 0x2 }],
    expected: { protocol: "", extensions: ["x-two", "x-one"], extensionsHeader: "x-two, x-one" },
  },
  {
    name: "two extensions that claim no RSV bit",
    head: OK_HEAD + "Sec-WebSocket-Extensions: x-one, x-two\r\n\r\n",
    extensions: [{ name: "x-one", rsv: 0 }, { name: "x-two", rsv: 0 }],
    expected: { protocol: "", extensions: ["x-one", "x-two"], extensionsHeader: "x-one, x-two" },
  },
  {
    name: "a second offer of the same extension accepts what the first refuses (RFC 7692 §5)",
    head: OK_HEAD + "Sec-WebSocket-Extensions: x-one; a=1\r\n\r\n",
    extensions: [{ name: "x-one", rsv: 0x4, reject: "not this one" }, { name: "x-one", rsv: 0x4 }],
    expected: { protocol: "", extensions: ["x-one"], extensionsHeader: "x-one; a=1" },
  },
  {
    name: "both a subprotocol and an extension",
    head: OK_HEAD + "Sec-WebSocket-Protocol: v2\r\nSec-WebSocket-Extensions: x-one\r\n\r\n",
    protocols: ["v1", "v2"],
    extensions: [{ name: "x-one", rsv: 0x4 }],
    expected: { protocol: "v2", extensions: ["x-one"], extensionsHeader: "x-one" },
  },
  // RFC 6455 §4.1 step 1: the status.
  {
    name: "404 Not Found",
    head: "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n\r\n",
    expected: { code: "UNEXPECTED_STATUS", message: fail("the server answered 404 Not Found") },
  },
  {
    name: "200 OK (a server that ignored the upgrade)",
    head: "HTTP/1.1 200 OK\r\n\r\n",
    expected: { code: "UNEXPECTED_STATUS", message: fail("the server answered 200 OK") },
  },
  {
    name: "a redirect (not followed, as RFC 6455 §4.1 allows)",
    head: "HTTP/1.1 302 Found\r\nLocation: ws://other/\r\n\r\n",
    expected: { code: "UNEXPECTED_STATUS", message: fail("the server answered 302 Found") },
  },
  {
    name: "401 with no reason phrase",
    head: "HTTP/1.1 401\r\nWWW-Authenticate: Basic\r\n\r\n",
    expected: { code: "UNEXPECTED_STATUS", message: fail("the server answered 401") },
  },
  {
    name: "an interim 100 Continue",
    head: "HTTP/1.1 100 Continue\r\n\r\n",
    expected: { code: "UNEXPECTED_STATUS", message: fail("the server answered 100 Continue") },
  },
  {
    name: "103 Early Hints (RFC 9110 §15.2: a user agent MAY, not MUST, ignore it)",
    head: "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n",
    expected: { code: "UNEXPECTED_STATUS", message: fail("the server answered 103 Early Hints") },
  },
  {
    name: "a 101 in HTTP/1.0 (RFC 9110 §7.8)",
    head: RFC6455_RESPONSE.replace("HTTP/1.1", "HTTP/1.0"),
    expected: { code: "MALFORMED_RESPONSE", message: fail("a 101 response must not be HTTP/1.0") },
  },
  // RFC 6455 §4.1 step 2: Upgrade.
  {
    name: "no Upgrade header",
    head:
      `HTTP/1.1 101 OK\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n\r\n`,
    expected: { code: "INVALID_UPGRADE", message: fail("missing Upgrade header") },
  },
  {
    name: "Upgrade: h2c",
    head:
      `HTTP/1.1 101 OK\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n\r\n`,
    expected: {
      code: "INVALID_UPGRADE",
      message: fail('Upgrade header is "h2c", not "websocket"'),
    },
  },
  {
    name: "Upgrade listing websocket and another protocol",
    head:
      `HTTP/1.1 101 OK\r\nUpgrade: websocket, h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n\r\n`,
    expected: {
      code: "INVALID_UPGRADE",
      message: fail('Upgrade header is "websocket, h2c", not "websocket"'),
    },
  },
  {
    name: "Upgrade repeated on two lines",
    head:
      `HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n\r\n`,
    expected: {
      code: "INVALID_UPGRADE",
      message: fail('Upgrade header is "websocket, websocket", not "websocket"'),
    },
  },
  {
    name: "Upgrade with a protocol version",
    head:
      `HTTP/1.1 101 OK\r\nUpgrade: websocket/13\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n\r\n`,
    expected: {
      code: "INVALID_UPGRADE",
      message: fail('Upgrade header is "websocket/13", not "websocket"'),
    },
  },
  {
    name: "an empty Upgrade",
    head:
      `HTTP/1.1 101 OK\r\nUpgrade:\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n\r\n`,
    expected: { code: "INVALID_UPGRADE", message: fail('Upgrade header is "", not "websocket"') },
  },
  // RFC 6455 §4.1 step 3: Connection.
  {
    name: "no Connection header",
    head: `HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n\r\n`,
    expected: { code: "INVALID_CONNECTION", message: fail("missing Connection header") },
  },
  {
    name: "Connection: keep-alive",
    head:
      `HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n\r\n`,
    expected: {
      code: "INVALID_CONNECTION",
      message: fail('Connection header is "keep-alive", without "Upgrade"'),
    },
  },
  {
    name: "Connection with upgrade only as part of a token",
    head:
      `HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: upgraded\r\nSec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n\r\n`,
    expected: {
      code: "INVALID_CONNECTION",
      message: fail('Connection header is "upgraded", without "Upgrade"'),
    },
  },
  // RFC 6455 §4.1 step 4: Sec-WebSocket-Accept.
  {
    name: "no Sec-WebSocket-Accept (seed: hixie_no_location)",
    head:
      "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\r\n",
    expected: { code: "INVALID_ACCEPT", message: fail("missing Sec-WebSocket-Accept header") },
  },
  {
    name: "a wrong Sec-WebSocket-Accept (seed quirk: accept_not_verified)",
    head:
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: WRONG\r\n\r\n",
    expected: {
      code: "INVALID_ACCEPT",
      message: fail('Sec-WebSocket-Accept "WRONG" does not match the key'),
    },
  },
  {
    name: "the accept of another key (16 zero bytes)",
    head:
      "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ICX+Yqv66kxgM0FcWaLWlFLwTAI=\r\n\r\n",
    expected: {
      code: "INVALID_ACCEPT",
      message: fail('Sec-WebSocket-Accept "ICX+Yqv66kxgM0FcWaLWlFLwTAI=" does not match the key'),
    },
  },
  {
    name: "the right accept with different letter case (an exact match is required)",
    head:
      `HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${SAMPLE_ACCEPT.toLowerCase()}\r\n\r\n`,
    expected: {
      code: "INVALID_ACCEPT",
      message: fail(`Sec-WebSocket-Accept "${SAMPLE_ACCEPT.toLowerCase()}" does not match the key`),
    },
  },
  {
    name: "the right accept sent twice",
    head: OK_HEAD + `Sec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n\r\n`,
    expected: {
      code: "INVALID_ACCEPT",
      message: fail(
        `Sec-WebSocket-Accept "${SAMPLE_ACCEPT}, ${SAMPLE_ACCEPT}" does not match the key`,
      ),
    },
  },
  // RFC 6455 §4.1 step 5: Sec-WebSocket-Extensions.
  {
    name: "an extension when none was offered",
    head: OK_HEAD + "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
    expected: {
      code: "INVALID_EXTENSIONS",
      message: fail("the server accepted extension permessage-deflate, which was not offered"),
    },
  },
  {
    name: "an extension that was not offered",
    head: OK_HEAD + "Sec-WebSocket-Extensions: x-two\r\n\r\n",
    extensions: [{ name: "x-one", rsv: 0x4 }],
    expected: {
      code: "INVALID_EXTENSIONS",
      message: fail("the server accepted extension x-two, which was not offered"),
    },
  },
  {
    name: "an extension name in another case (names compare exactly)",
    head: OK_HEAD + "Sec-WebSocket-Extensions: X-One\r\n\r\n",
    extensions: [{ name: "x-one", rsv: 0x4 }],
    expected: {
      code: "INVALID_EXTENSIONS",
      message: fail("the server accepted extension X-One, which was not offered"),
    },
  },
  {
    name: "the same extension accepted twice",
    head: OK_HEAD + "Sec-WebSocket-Extensions: x-one, x-one\r\n\r\n",
    extensions: [{ name: "x-one", rsv: 0 }, { name: "x-one", rsv: 0 }],
    expected: {
      code: "INVALID_EXTENSIONS",
      message: fail("the server accepted extension x-one more than once"),
    },
  },
  {
    name: "parameters the extension refuses",
    head: OK_HEAD + "Sec-WebSocket-Extensions: x-one; bogus\r\n\r\n",
    extensions: [{
      name: "x-one",
      rsv: 0x4,
      reject: "Cannot accept x-one: unknown parameter bogus",
    }],
    expected: {
      code: "INVALID_EXTENSIONS",
      message: fail(
        "the server accepted extension x-one with unacceptable parameters (Cannot accept x-one: unknown parameter bogus)",
      ),
    },
  },
  {
    name: "two extensions claiming RSV1 (RFC 6455 §5.2)",
    head: OK_HEAD + "Sec-WebSocket-Extensions: x-one, x-two\r\n\r\n",
    extensions: [{ name: "x-one", rsv: 0x4 }, { name: "x-two", rsv: 0x6 }],
    expected: {
      code: "INVALID_EXTENSIONS",
      message: fail("extension x-two uses RSV bits another extension already uses"),
    },
  },
  {
    name: "an extension header that breaks the §9.1 grammar",
    head: OK_HEAD + 'Sec-WebSocket-Extensions: x-one; a="b c"\r\n\r\n',
    extensions: [{ name: "x-one", rsv: 0x4 }],
    expected: {
      code: "INVALID_EXTENSIONS",
      message: fail('invalid Sec-WebSocket-Extensions header "x-one; a=\\"b c\\""'),
    },
  },
  // RFC 6455 §4.1 step 6: Sec-WebSocket-Protocol.
  {
    name: "a subprotocol when none was offered",
    head: OK_HEAD + "Sec-WebSocket-Protocol: chat\r\n\r\n",
    expected: {
      code: "INVALID_SUBPROTOCOL",
      message: fail('the server selected subprotocol "chat", but none was offered'),
    },
  },
  {
    name: "a subprotocol that was not offered",
    head: OK_HEAD + "Sec-WebSocket-Protocol: superchat\r\n\r\n",
    protocols: ["chat"],
    expected: {
      code: "INVALID_SUBPROTOCOL",
      message: fail('the server selected subprotocol "superchat", which was not offered'),
    },
  },
  {
    name: "an offered subprotocol in another case (names are case-sensitive)",
    head: OK_HEAD + "Sec-WebSocket-Protocol: Chat\r\n\r\n",
    protocols: ["chat"],
    expected: {
      code: "INVALID_SUBPROTOCOL",
      message: fail('the server selected subprotocol "Chat", which was not offered'),
    },
  },
  {
    name: "two subprotocols in one header",
    head: OK_HEAD + "Sec-WebSocket-Protocol: chat, superchat\r\n\r\n",
    protocols: ["chat", "superchat"],
    expected: {
      code: "INVALID_SUBPROTOCOL",
      message: fail('the server selected more than one subprotocol: "chat, superchat"'),
    },
  },
  {
    name: "the subprotocol header twice",
    head: OK_HEAD + "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n\r\n",
    protocols: ["chat"],
    expected: {
      code: "INVALID_SUBPROTOCOL",
      message: fail('the server selected more than one subprotocol: "chat, chat"'),
    },
  },
  {
    name: "an empty subprotocol",
    head: OK_HEAD + "Sec-WebSocket-Protocol:\r\n\r\n",
    protocols: ["chat"],
    expected: {
      code: "INVALID_SUBPROTOCOL",
      message: fail('the server selected subprotocol "", which was not offered'),
    },
  },
];
