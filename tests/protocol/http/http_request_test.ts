import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_MAX_REQUEST_HEAD_SIZE,
  type RequestHead,
  RequestHeadParser,
} from "../../../src/protocol/http/http_request.ts";
import { HandshakeError, InvalidStateError } from "../../../src/protocol/errors.ts";
import { latin1, splits } from "../../_util/chunking.ts";
import {
  describeSeedVectors,
  type SeedBytes,
  seedBytes,
  seedVectors,
} from "../../_util/seed_vectors.ts";

const text = (bytes: Uint8Array) => new TextDecoder("latin1").decode(bytes);

/** Feeds chunks until the head completes; returns it with the leftover, or the error. */
function replay(chunks: readonly Uint8Array[], maxHeadSize?: number) {
  const parser = new RequestHeadParser(maxHeadSize === undefined ? {} : { maxHeadSize });
  let head: RequestHead | null = null;
  const after: Uint8Array[] = [];
  try {
    for (const chunk of chunks) {
      if (head !== null) {
        after.push(chunk);
        continue;
      }
      head = parser.push(chunk);
    }
  } catch (error) {
    return { head: null, leftover: "", error, parser };
  }
  return {
    head,
    leftover: text(parser.leftover()) + after.map(text).join(""),
    error: null,
    parser,
  };
}

const RFC_REQUEST = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n" +
  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
  "Origin: http://example.com\r\nSec-WebSocket-Version: 13\r\n\r\n";

interface Vector {
  readonly name: string;
  readonly bytes: string;
  readonly method: string;
  readonly target: string;
  readonly version: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly leftover: string;
}

const VECTORS: readonly Vector[] = [
  {
    name: "the RFC 6455 §1.3 request",
    bytes: RFC_REQUEST,
    method: "GET",
    target: "/chat",
    version: "HTTP/1.1",
    headers: [
      ["host", "server.example.com"],
      ["upgrade", "websocket"],
      ["connection", "Upgrade"],
      ["sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="],
      ["origin", "http://example.com"],
      ["sec-websocket-version", "13"],
    ],
    leftover: "",
  },
  {
    name: "a hybi-00 request with key3 after the head",
    bytes:
      "GET /demo HTTP/1.1\r\nHost: example.com\r\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n\r\n^n:ds[4U",
    method: "GET",
    target: "/demo",
    version: "HTTP/1.1",
    headers: [["host", "example.com"], ["sec-websocket-key1", "4 @1  46546xW%0l 1 5"]],
    leftover: "^n:ds[4U",
  },
  {
    name: "bare LF line ends, spaces around values, a repeated header, obs-text",
    bytes: "GET /a?b=c HTTP/1.1\nHost:  h \nCookie: a=1\nCookie: b=\xe9\n\n",
    method: "GET",
    target: "/a?b=c",
    version: "HTTP/1.1",
    headers: [["host", "h"], ["cookie", "a=1"], ["cookie", "b=\xe9"]],
    leftover: "",
  },
  {
    name: "another method and HTTP/1.0 (refused later, by the handshake)",
    bytes: "POST / HTTP/1.0\r\n\r\n",
    method: "POST",
    target: "/",
    version: "HTTP/1.0",
    headers: [],
    leftover: "",
  },
];

const ERRORS: ReadonlyArray<
  { name: string; bytes: string; code: string; status: number; message: string; max?: number }
> = [
  {
    name: "a request line without a version",
    bytes: "GET /demo\r\n",
    code: "MALFORMED_REQUEST",
    status: 400,
    message: 'Cannot accept connection: invalid request line "GET /demo"',
  },
  {
    name: "HTTP/2.0",
    bytes: "GET / HTTP/2.0\r\n",
    code: "MALFORMED_REQUEST",
    status: 400,
    message: 'Cannot accept connection: unsupported HTTP version in request line "GET / HTTP/2.0"',
  },
  {
    name: "a space before the colon",
    bytes: "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
    code: "MALFORMED_REQUEST",
    status: 400,
    message: 'Cannot accept connection: invalid header line "Host : x"',
  },
  {
    name: "obsolete line folding",
    bytes: "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
    code: "MALFORMED_REQUEST",
    status: 400,
    message: 'Cannot accept connection: obsolete line folding in " b"',
  },
  {
    name: "a NUL in a value",
    bytes: "GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n",
    code: "MALFORMED_REQUEST",
    status: 400,
    message: 'Cannot accept connection: invalid character in the value of header "X"',
  },
  {
    name: "a bare CR in the request line",
    bytes: "GET /\r HTTP/1.1\r\n\r\n",
    code: "MALFORMED_REQUEST",
    status: 400,
    message: 'Cannot accept connection: invalid request line "GET /\\r HTTP/1.1"',
  },
  {
    name: "a head over maxHeadSize",
    bytes: "GET / HTTP/1.1\r\nX: " + "a".repeat(100) + "\r\n\r\n",
    max: 64,
    code: "REQUEST_TOO_LARGE",
    status: 431,
    message: "Cannot accept connection: the request head is larger than 64 bytes",
  },
];

describe("RequestHeadParser (RFC 9112 §2-§5)", () => {
  for (const vector of VECTORS) {
    describe(`parses ${vector.name}`, () => {
      for (const split of splits(latin1(vector.bytes))) {
        it(split.name, () => {
          const { head, leftover, error } = replay(split.chunks);
          assert.equal(error, null);
          assert.deepEqual(head, {
            method: vector.method,
            target: vector.target,
            version: vector.version,
            headers: vector.headers,
          });
          assert.equal(leftover, vector.leftover);
        });
      }
    });
  }

  for (const vector of ERRORS) {
    describe(`refuses ${vector.name}`, () => {
      for (const split of splits(latin1(vector.bytes))) {
        it(split.name, () => {
          const { error } = replay(split.chunks, vector.max);
          assert.ok(error instanceof HandshakeError);
          assert.equal(error.code, vector.code);
          assert.equal(error.status, vector.status);
          assert.equal(error.message, vector.message);
        });
      }
    });
  }

  it("exposes the request line as soon as it ends", () => {
    const parser = new RequestHeadParser();
    assert.equal(parser.push(latin1("POST /x HTTP/1.1\r")), null);
    assert.equal(parser.requestLine, null);
    assert.equal(parser.push(latin1("\nHost: h\r\n")), null);
    assert.deepEqual(parser.requestLine, { method: "POST", target: "/x", version: "HTTP/1.1" });
  });

  it("accepts a head of exactly maxHeadSize", () => {
    const bytes = "GET / HTTP/1.1\r\n\r\n";
    assert.ok(replay([latin1(bytes)], bytes.length).head !== null);
    assert.ok(replay([latin1(bytes)], bytes.length - 1).error instanceof HandshakeError);
  });

  it("keeps failing with the same error, and refuses pushes after the head", () => {
    const parser = new RequestHeadParser();
    let first: unknown;
    try {
      parser.push(latin1("BAD\r\n"));
    } catch (error) {
      first = error;
    }
    assert.throws(() => parser.push(latin1("x")), (error) => error === first);
    const done = new RequestHeadParser();
    done.push(latin1("GET / HTTP/1.1\r\n\r\n"));
    assert.throws(() => done.push(latin1("x")), InvalidStateError);
  });

  it("refuses an invalid limit", () => {
    assert.throws(() => new RequestHeadParser({ maxHeadSize: 0 }), {
      name: "RangeError",
      message: "Cannot create request parser: maxHeadSize must be a positive integer, got 0",
    });
    assert.equal(DEFAULT_MAX_REQUEST_HEAD_SIZE, 16384);
  });

  it("never modifies its input", () => {
    const bytes = latin1(RFC_REQUEST + "abc");
    const copy = bytes.slice();
    replay([bytes.subarray(0, 10), bytes.subarray(10)]);
    assert.deepEqual(bytes, copy);
  });
});

describeSeedVectors("RequestHeadParser against the seed library's request vectors", () => {
  for (const vector of seedVectors("handshake-request-parse")) {
    const chunks = (vector.input as { chunks: SeedBytes[] }).chunks.map(seedBytes);
    const expect = vector.expect as { state: string; error?: string };
    it(`${vector.id}: ${vector.what}`, () => {
      const { head, error } = replay(chunks);
      if (expect.error === "Wrong request line") {
        assert.ok(error instanceof HandshakeError);
      } else {
        // Every other vector is well-formed HTTP: the handshake (server_handshake) decides.
        assert.equal(error, null);
        assert.ok(head !== null || expect.state === "error");
      }
    });
  }

  it("handshake.request.parse.hixie75.leftovers: the bytes after the head are leftover", () => {
    const vector = seedVectors("handshake-request-parse").find((item) =>
      item.id.endsWith("hixie75.leftovers")
    )!;
    const { leftover } = replay((vector.input as { chunks: SeedBytes[] }).chunks.map(seedBytes));
    assert.equal(leftover, "foo");
  });
});
