import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { HandshakeError, InvalidStateError } from "../../../src/protocol/errors.ts";
import {
  DEFAULT_MAX_HEAD_SIZE,
  getHeader,
  type ResponseHead,
  ResponseHeadParser,
} from "../../../src/protocol/http/http_response.ts";
import {
  RESPONSE_HEAD_ERROR_VECTORS,
  RESPONSE_HEAD_VECTORS,
  RFC6455_RESPONSE,
} from "../../vectors/handshake.ts";
import { concat, latin1, splits } from "../../_util/chunking.ts";
import {
  describeSeedVectors,
  seedBytes,
  type SeedClientVector,
  type SeedResponseParseVector,
  seedVector,
} from "../../_util/seed_vectors.ts";

/** Feeds chunks as the connection will: once the head is out, later chunks follow the leftover. */
function replay(
  chunks: readonly Uint8Array[],
  maxHeadSize?: number,
): { head: ResponseHead | null; leftover: Uint8Array; parser: ResponseHeadParser } {
  const parser = new ResponseHeadParser(maxHeadSize === undefined ? {} : { maxHeadSize });
  let head: ResponseHead | null = null;
  const rest: Uint8Array[] = [];
  for (const chunk of chunks) {
    if (head !== null) rest.push(chunk);
    else head = parser.push(chunk);
  }
  return { head, leftover: concat(parser.leftover(), ...rest), parser };
}

function assertHandshakeError(
  error: unknown,
  expected: { code: string; message: string; status?: number },
): asserts error is HandshakeError {
  assert.ok(error instanceof HandshakeError, `expected a HandshakeError, got ${String(error)}`);
  assert.equal(error.code, expected.code);
  assert.equal(error.message, expected.message);
  if (expected.status !== undefined) assert.equal(error.status, expected.status);
}

describe("ResponseHeadParser accepts valid heads at every split (RFC 9112 §2-§5)", () => {
  for (const vector of RESPONSE_HEAD_VECTORS) {
    it(`parses ${vector.name}`, () => {
      const bytes = latin1(vector.bytes);
      const pristine = bytes.slice();
      const { leftover, ...head } = vector.expected;
      for (const split of splits(bytes)) {
        const result = replay(split.chunks, vector.maxHeadSize);
        assert.deepEqual(result.head, head, split.name);
        assert.deepEqual(result.leftover, latin1(leftover), split.name);
      }
      assert.deepEqual(bytes, pristine, "the input was modified");
    });
  }
});

describe("ResponseHeadParser refuses malformed and oversized heads at every split", () => {
  for (const vector of RESPONSE_HEAD_ERROR_VECTORS) {
    it(`refuses ${vector.name}`, () => {
      const bytes = latin1(vector.bytes);
      for (const split of splits(bytes)) {
        const parser = new ResponseHeadParser(
          vector.maxHeadSize === undefined ? {} : { maxHeadSize: vector.maxHeadSize },
        );
        let thrown: unknown = null;
        for (const chunk of split.chunks) {
          try {
            assert.equal(parser.push(chunk), null, `${split.name}: a head was returned`);
          } catch (error) {
            thrown = error;
            break;
          }
        }
        assertHandshakeError(thrown, vector);
        assert.deepEqual(thrown.headers, [], split.name);
        assert.equal(thrown.body.length, 0, split.name);
        // The failure is final: later calls throw the same error.
        assert.throws(() => parser.push(new Uint8Array([0x0a])), (again) => again === thrown);
        assert.throws(() => parser.end(), (again) => again === thrown);
      }
    });
  }
});

describe("ResponseHeadParser state and limits", () => {
  it("returns null and keeps no leftover until the head is complete", () => {
    const parser = new ResponseHeadParser();
    assert.equal(
      parser.push(latin1("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n")),
      null,
    );
    assert.equal(parser.leftover().length, 0);
  });

  it("accepts empty chunks", () => {
    const parser = new ResponseHeadParser();
    assert.equal(parser.push(new Uint8Array(0)), null);
    assert.equal(parser.push(latin1("HTTP/1.1 101 OK\r\n\r\n"))?.status, 101);
  });

  it("hands back the leftover as a view of the chunk that ended the head, without copying", () => {
    const parser = new ResponseHeadParser();
    const chunk = latin1(RFC6455_RESPONSE + "\x81\x00");
    parser.push(chunk);
    assert.equal(parser.leftover().buffer, chunk.buffer);
    assert.deepEqual(parser.leftover(), new Uint8Array([0x81, 0x00]));
  });

  it("refuses more bytes once the head was returned", () => {
    const parser = new ResponseHeadParser();
    parser.push(latin1(RFC6455_RESPONSE));
    assert.throws(() => parser.push(new Uint8Array([0x81])), (error: unknown) => {
      assert.ok(error instanceof InvalidStateError);
      assert.equal(error.message, "Cannot parse response head: it is already complete");
      return true;
    });
  });

  it("accepts a head of exactly the default 16 KiB limit and refuses one byte more", () => {
    const base = "HTTP/1.1 101 OK\r\nX: \r\n\r\n".length;
    const fits = `HTTP/1.1 101 OK\r\nX: ${"a".repeat(DEFAULT_MAX_HEAD_SIZE - base)}\r\n\r\n`;
    assert.equal(DEFAULT_MAX_HEAD_SIZE, 16384);
    assert.equal(new ResponseHeadParser().push(latin1(fits))?.status, 101);
    const tooLarge = fits.replace("X: ", "X: a");
    assert.throws(() => new ResponseHeadParser().push(latin1(tooLarge)), (error: unknown) => {
      assertHandshakeError(error, {
        code: "RESPONSE_TOO_LARGE",
        message: "Cannot open connection: the response head is larger than 16384 bytes",
        status: 101,
      });
      return true;
    });
  });

  it("fails as soon as the limit is reached, without waiting for the end of the head", () => {
    const parser = new ResponseHeadParser({ maxHeadSize: 32 });
    assert.equal(parser.push(latin1("HTTP/1.1 101 OK\r\nX: " + "a".repeat(11))), null);
    assert.throws(() => parser.push(latin1("a")), HandshakeError);
  });

  it("fails on a bad status line before the rest of the head arrives", () => {
    const parser = new ResponseHeadParser();
    assert.throws(() => parser.push(latin1("SSH-2.0-OpenSSH_9.6\r\n")), (error: unknown) => {
      assertHandshakeError(error, {
        code: "MALFORMED_RESPONSE",
        message: 'Cannot open connection: invalid status line "SSH-2.0-OpenSSH_9.6"',
        status: 0,
      });
      return true;
    });
  });

  for (const value of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`refuses maxHeadSize ${value}`, () => {
      assert.throws(() => new ResponseHeadParser({ maxHeadSize: value }), (error: unknown) => {
        assert.ok(error instanceof RangeError);
        assert.equal(
          error.message,
          `Cannot create response parser: maxHeadSize must be a positive integer, got ${value}`,
        );
        return true;
      });
    });
  }
});

describe("ResponseHeadParser.end (the stream ended)", () => {
  it("reports UNEXPECTED_EOF when nothing was received", () => {
    const parser = new ResponseHeadParser();
    assert.throws(() => parser.end(), (error: unknown) => {
      assertHandshakeError(error, {
        code: "UNEXPECTED_EOF",
        message: "Cannot open connection: the connection closed after 0 bytes of the response head",
        status: 0,
      });
      return true;
    });
  });

  it("reports UNEXPECTED_EOF with the status when the head was cut after the status line", () => {
    const parser = new ResponseHeadParser();
    parser.push(latin1("HTTP/1.1 101 Switching Protocols\r\nUpg"));
    assert.throws(() => parser.end(), (error: unknown) => {
      assertHandshakeError(error, {
        code: "UNEXPECTED_EOF",
        message:
          "Cannot open connection: the connection closed after 37 bytes of the response head",
        status: 101,
      });
      assert.equal(error.statusText, "Switching Protocols");
      return true;
    });
    assert.throws(() => parser.push(new Uint8Array([0x0a])), HandshakeError);
  });

  it("does nothing once the head is complete", () => {
    const parser = new ResponseHeadParser();
    parser.push(latin1(RFC6455_RESPONSE));
    parser.end();
  });
});

describe("getHeader (RFC 9110 §5.3)", () => {
  const headers = [["upgrade", "websocket"], ["set-cookie", "a=1"], ["set-cookie", "b=2"], [
    "x-empty",
    "",
  ]] as const;

  it("finds a header by any case", () => {
    assert.equal(getHeader(headers, "UPGRADE"), "websocket");
  });

  it("joins repeated headers with a comma and a space", () => {
    assert.equal(getHeader(headers, "set-cookie"), "a=1, b=2");
  });

  it("returns an empty value as an empty string", () => {
    assert.equal(getHeader(headers, "x-empty"), "");
  });

  it("returns null for an absent header", () => {
    assert.equal(getHeader(headers, "sec-websocket-accept"), null);
  });
});

describeSeedVectors("ResponseHeadParser against the seed library's response tests", () => {
  function parseSeed(id: string): ReturnType<typeof replay> {
    const vector = seedVector<SeedResponseParseVector>(id);
    return replay(vector.input.chunks.map(seedBytes), vector.input.max_message_size);
  }

  it("handshake.response.parse.hybi10.basic: an RFC 6455 response in six chunks", () => {
    const { head, leftover } = parseSeed("handshake.response.parse.hybi10.basic");
    assert.equal(head?.status, 101);
    assert.equal(getHeader(head!.headers, "sec-websocket-protocol"), "chat");
    assert.equal(leftover.length, 0);
  });

  it("handshake.response.parse.hixie75.subprotocol: frame bytes after the empty line stay unconsumed", () => {
    const { head, leftover } = parseSeed("handshake.response.parse.hixie75.subprotocol");
    assert.equal(head?.statusText, "WebSocket Protocol Handshake");
    assert.deepEqual(leftover, seedBytes("00666f6fff"));
  });

  it("handshake.response.parse.hybi00.leftover: every byte after the empty line is leftover", () => {
    // hybi-00 consumed a 16-byte challenge answer here; RFC 6455 has none, so
    // the leftover is that answer followed by the seed's expected leftover.
    const vector = seedVector<SeedResponseParseVector>("handshake.response.parse.hybi00.leftover");
    const { head, leftover } = parseSeed(vector.id);
    assert.equal(head?.status, 101);
    assert.deepEqual(
      leftover,
      concat(latin1("0st3Rl&q-2ZU^weu"), seedBytes(vector.expect.leftover_hex!)),
    );
  });

  it("handshake.response.parse.error.too_long: a head over the limit is refused", () => {
    assert.throws(() => parseSeed("handshake.response.parse.error.too_long"), (error: unknown) => {
      assertHandshakeError(error, {
        code: "RESPONSE_TOO_LARGE",
        message: "Cannot open connection: the response head is larger than 1024 bytes",
      });
      return true;
    });
  });

  it("handshake.response.parse.error.wrong_line_truncated: a garbage status line is refused", () => {
    assert.throws(
      () => parseSeed("handshake.response.parse.error.wrong_line_truncated"),
      (error: unknown) => {
        assertHandshakeError(error, {
          code: "MALFORMED_RESPONSE",
          message: `Cannot open connection: invalid status line "${
            "1234567890".repeat(8).slice(0, 77)
          }..."`,
        });
        return true;
      },
    );
  });

  it("handshake.client.partial_status_line: a status line alone needs more data", () => {
    const step = seedVector<SeedClientVector>("handshake.client.partial_status_line").input
      .steps[0]!;
    const parser = new ResponseHeadParser();
    assert.equal(parser.push(seedBytes(step.parse!)), null);
  });

  it("handshake.client.http10_rejected: HTTP/1.0 foo bar is refused", () => {
    const step = seedVector<SeedClientVector>("handshake.client.http10_rejected").input.steps[0]!;
    assert.throws(() => new ResponseHeadParser().push(seedBytes(step.parse!)), (error: unknown) => {
      assertHandshakeError(error, {
        code: "MALFORMED_RESPONSE",
        message: 'Cannot open connection: invalid status line "HTTP/1.0 foo bar"',
      });
      return true;
    });
  });
});
