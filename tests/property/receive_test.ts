/**
 * Property tests of the receive path (guide §18): whatever bytes arrive, in
 * whatever chunks, `receiveData` never throws, the events are well formed,
 * the state stays valid, and the end of the stream gives exactly one close
 * event with a valid code.
 *
 * Inputs mix random bytes with frame-shaped bytes (any FIN, RSV, opcode,
 * MASK bit, length encoding and payload), so that runs reach deep into the
 * parser rather than failing on the first byte.
 *
 * @module
 */

import fc from "fast-check";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isReceivableCloseCode } from "../../src/protocol/frames/close_code.ts";
import { ClientConnection, Connection } from "../../src/protocol/connection/connection.ts";
import { HandshakeError, ProtocolError } from "../../src/protocol/errors.ts";
import type { ConnectionEvent } from "../../src/protocol/connection/events.ts";
import { encodeFrame, type Frame } from "../../src/protocol/frames/frame.ts";
import { FrameParser } from "../../src/protocol/frames/frame_parser.ts";
import { computeAcceptKey } from "../../src/protocol/handshake/handshake.ts";
import { concat } from "../_util/chunking.ts";
import { fixedRandomBytes } from "../_util/fixed_random.ts";

/** Bounded so that the whole file runs in a few seconds. */
const NUM_RUNS = 300;
const SEED = 0x6455;
const PARAMETERS = { numRuns: NUM_RUNS, seed: SEED };

// ---------------------------------------------------------------------------
// Generators.

/** A frame's bytes with every header field chosen freely, mostly valid. */
const frameBytes: fc.Arbitrary<Uint8Array> = fc
  .record({
    fin: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, {
      weight: 1,
      arbitrary: fc.constant(false),
    }),
    rsv: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, {
      weight: 1,
      arbitrary: fc.integer({ min: 1, max: 7 }),
    }),
    opcode: fc.oneof(
      { weight: 10, arbitrary: fc.constantFrom(0x0, 0x1, 0x2, 0x8, 0x9, 0xa) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) },
    ),
    masked: fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, {
      weight: 1,
      arbitrary: fc.constant(true),
    }),
    lengthForm: fc.oneof(
      { weight: 8, arbitrary: fc.constant("minimal" as const) },
      { weight: 1, arbitrary: fc.constantFrom("16" as const, "64" as const, "lie" as const) },
    ),
    payload: fc.oneof(
      { weight: 3, arbitrary: fc.uint8Array({ maxLength: 20 }) },
      // Close payloads: a code (valid or not) and a reason.
      {
        weight: 2,
        arbitrary: fc
          .tuple(
            fc.oneof(
              fc.constantFrom(1000, 1001, 1005, 1006, 1012, 2999, 3000, 4999, 5000),
              fc.integer({ min: 0, max: 65535 }),
            ),
            fc.uint8Array({ maxLength: 6 }),
          )
          .map(([code, reason]) => concat(new Uint8Array([code >> 8, code & 0xff]), reason)),
      },
      // Text-like payloads, valid UTF-8 or close to it.
      {
        weight: 2,
        arbitrary: fc.string({ unit: "grapheme", maxLength: 8 }).map((text) =>
          new TextEncoder().encode(text)
        ),
      },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 120, maxLength: 300 }) },
    ),
    lie: fc.integer({ min: 0, max: 300 }),
  })
  .map(({ fin, rsv, opcode, masked, lengthForm, payload, lie }) => {
    const length = payload.length;
    const b0 = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
    const maskBit = masked ? 0x80 : 0;
    let header: number[];
    if (lengthForm === "16") header = [b0, maskBit | 126, length >> 8, length & 0xff];
    else if (lengthForm === "64") {
      header = [b0, maskBit | 127, 0, 0, 0, 0, 0, 0, length >> 8, length & 0xff];
    } else if (lengthForm === "lie") header = [b0, maskBit | Math.min(lie, 125)];
    else if (length < 126) header = [b0, maskBit | length];
    else header = [b0, maskBit | 126, length >> 8, length & 0xff];
    return concat(
      new Uint8Array(header),
      masked ? new Uint8Array([1, 2, 3, 4]) : new Uint8Array(0),
      payload,
    );
  });

/** Valid server frames: whole messages, fragmented messages with pings between, pongs, valid close frames. */
const validFrames: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.string({ maxLength: 10 }).map((text) => serverFrame(0x1, new TextEncoder().encode(text))),
  fc.uint8Array({ maxLength: 40 }).map((payload) => serverFrame(0x2, payload)),
  fc.uint8Array({ maxLength: 10 }).map((payload) => serverFrame(0x9, payload)),
  fc.uint8Array({ maxLength: 10 }).map((payload) => serverFrame(0xa, payload)),
  fc.array(fc.uint8Array({ maxLength: 5 }), { minLength: 2, maxLength: 4 }).map((parts) =>
    concat(
      ...parts.map((part, i) => serverFrame(i === 0 ? 0x2 : 0x0, part, i === parts.length - 1)),
      serverFrame(0x9, new Uint8Array(0)),
    )
  ),
  fc.tuple(fc.constantFrom(1000, 1001, 1011, 1012, 3000, 4999), fc.string({ maxLength: 5 })).map((
    [code, reason],
  ) =>
    serverFrame(
      0x8,
      concat(new Uint8Array([code >> 8, code & 0xff]), new TextEncoder().encode(reason)),
    )
  ),
  fc.constant(serverFrame(0x8, new Uint8Array(0))),
);

/** A byte stream: valid frames, frame-shaped bytes and random bytes, in any order. */
const stream: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: validFrames },
      { weight: 3, arbitrary: frameBytes },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 16 }) },
    ),
    { maxLength: 12 },
  )
  .map((parts) => concat(...parts));

/** An unmasked frame. */
function serverFrame(opcode: number, payload: Uint8Array, fin = true): Uint8Array {
  return concat(...encodeFrame({ fin, rsv: 0, opcode, payload }, null));
}

/** Cuts `bytes` at the given fractions of its length. */
function cut(bytes: Uint8Array, fractions: readonly number[]): Uint8Array[] {
  const points = [...new Set(fractions.map((f) => Math.floor(f * (bytes.length + 1))))].sort((
    a,
    b,
  ) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

const fractions = fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), {
  maxLength: 8,
});

// ---------------------------------------------------------------------------
// Checks.

const STATES = new Set(["connecting", "open", "closing", "closed"]);

/** A code a close event may carry: one valid on the wire, 1005 or 1006. */
function isValidEventCode(code: number): boolean {
  return isReceivableCloseCode(code) || code === 1005 || code === 1006;
}

function checkEvent(event: ConnectionEvent): void {
  switch (event.type) {
    case "open":
      assert.equal(event.handshake.status, 101);
      return;
    case "message":
      assert.ok(typeof event.data === "string" || event.data instanceof Uint8Array);
      return;
    case "ping":
    case "pong":
      assert.ok(event.data instanceof Uint8Array);
      assert.ok(event.data.length <= 125);
      return;
    case "closing":
      assert.ok(
        isReceivableCloseCode(event.code) || event.code === 1005,
        `closing code ${event.code}`,
      );
      assert.equal(typeof event.reason, "string");
      return;
    case "fail":
      assert.ok(isReceivableCloseCode(event.code), `fail code ${event.code}`);
      assert.ok(event.error === null || event.error instanceof ProtocolError);
      return;
    case "close":
      assert.ok(isValidEventCode(event.code), `close code ${event.code}`);
      assert.equal(typeof event.reason, "string");
      assert.equal(typeof event.wasClean, "boolean");
      if (event.wasClean) {
        assert.equal(event.error, null);
        assert.notEqual(event.code, 1006);
      } else {
        assert.equal(event.code, 1006);
        assert.ok(
          event.error === null || event.error instanceof ProtocolError ||
            event.error instanceof HandshakeError,
        );
      }
      return;
    default:
      assert.fail(`unknown event ${JSON.stringify(event)}`);
  }
}

/**
 * Decodes what a client wrote: masked frames, at most one close frame and
 * nothing after it, then at most one end-of-stream marker.
 */
function checkOutput(
  parser: FrameParser,
  chunks: readonly Uint8Array[],
  seen: { close: boolean; eof: boolean },
): void {
  for (const chunk of chunks) {
    assert.equal(seen.eof, false, "bytes after the end-of-stream marker");
    if (chunk.length === 0) {
      seen.eof = true;
      continue;
    }
    parser.push(chunk);
    for (let frame: Frame | null = parser.next(); frame !== null; frame = parser.next()) {
      assert.equal(seen.close, false, "a frame after our close frame");
      assert.ok(frame.opcode === 0x8 || frame.opcode === 0xa, `unexpected opcode ${frame.opcode}`);
      if (frame.opcode === 0x8) seen.close = true;
    }
  }
}

/** Feeds the chunks, then the end of the stream, checking the contract at every step. */
function exercise(connection: Connection, chunks: readonly Uint8Array[]): void {
  const output = new FrameParser({ maxFrameSize: 1 << 20, expectMask: true });
  const seen = { close: false, eof: false };
  const events: ConnectionEvent[] = [];
  checkOutput(output, connection.dataToSend(), seen);
  for (const chunk of chunks) {
    connection.receiveData(chunk); // Must not throw: fast-check reports it if it does.
    for (const event of connection.eventsReceived()) {
      checkEvent(event);
      events.push(event);
    }
    // A failure held behind messages applies once they were dispatched.
    if (connection.releaseFailure()) {
      for (const event of connection.eventsReceived()) {
        checkEvent(event);
        events.push(event);
      }
    }
    checkOutput(output, connection.dataToSend(), seen);
    assert.ok(STATES.has(connection.state));
    assert.ok(events.filter((event) => event.type === "close").length <= 1);
    // A close frame goes out exactly when the connection failed after opening or answered the peer's close.
    const closeFrameDue = connection.state === "closing" ||
      (connection.state === "closed" && !(connection.error instanceof HandshakeError));
    assert.equal(seen.close, closeFrameDue);
  }
  const closesBefore = events.filter((event) => event.type === "close").length;
  if (closesBefore === 0) {
    // Until the stream ends, the close timer runs exactly when the connection is closed or failed.
    assert.equal(
      connection.closeExpected(),
      connection.state === "closed" || connection.error !== null,
    );
  }
  connection.receiveEof();
  for (const event of connection.eventsReceived()) {
    checkEvent(event);
    events.push(event);
  }
  checkOutput(output, connection.dataToSend(), seen);
  assert.equal(connection.state, "closed");
  assert.equal(connection.closeExpected(), false);
  const closes = events.filter((event) => event.type === "close");
  assert.equal(closes.length, 1, "exactly one close event");
  assert.equal(events.at(-1)?.type, "close", "the close event comes last");
  const close = closes[0]!;
  assert.ok(close.type === "close");
  // The close event repeats the peer's close frame when the handshake completed cleanly.
  const closing = events.find((event) => event.type === "closing");
  if (close.wasClean) {
    assert.ok(closing !== undefined && closing.type === "closing");
    assert.equal(close.code, closing.code);
    assert.equal(close.reason, closing.reason);
  }
  assert.equal(close.error, connection.error);
  assert.ok(seen.eof, "the client ends its side of the stream");
  assert.equal(events.filter((event) => event.type === "closing").length <= 1, true);
  // A failure after opening is reported once, when it happens, with the error the close event carries.
  const fails = events.filter((event) => event.type === "fail");
  assert.ok(fails.length <= 1, "at most one fail event");
  if (connection.error instanceof ProtocolError && connection.error.code !== "UNEXPECTED_EOF") {
    assert.equal(fails.length, 1, "a protocol error is reported by a fail event");
    assert.equal(fails[0]!.type === "fail" && fails[0]!.error, connection.error);
  }
}

// ---------------------------------------------------------------------------

describe("5.2. Base Framing Protocol (any input)", () => {
  it("an open client Connection never throws on random frames and bytes in random chunks, and closes once with a valid code", () => {
    fc.assert(
      fc.property(stream, fractions, (bytes, at) => {
        exercise(
          new Connection("client", "open", { randomBytes: fixedRandomBytes() }),
          cut(bytes, at),
        );
      }),
      PARAMETERS,
    );
  });

  it("an open client Connection with small limits behaves the same", () => {
    fc.assert(
      fc.property(stream, fractions, (bytes, at) => {
        const connection = new Connection("client", "open", {
          randomBytes: fixedRandomBytes(),
          maxMessageSize: 64,
          maxFrameSize: 32,
          maxFragments: 3,
        });
        exercise(connection, cut(bytes, at));
      }),
      PARAMETERS,
    );
  });

  it("a ClientConnection after a valid handshake in the same stream never throws and closes once with a valid code", () => {
    const key = new ClientConnection("ws://example.com/", { randomBytes: fixedRandomBytes() }).key;
    const head = new TextEncoder().encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${computeAcceptKey(key)}\r\n\r\n`,
    );
    fc.assert(
      fc.property(stream, fractions, (bytes, at) => {
        const client = new ClientConnection("ws://example.com/", {
          randomBytes: fixedRandomBytes(),
        });
        client.dataToSend(); // The request.
        exercise(client, cut(concat(head, bytes), at));
        assert.notEqual(client.handshake, null);
      }),
      PARAMETERS,
    );
  });

  it("a ClientConnection never throws on a random response and closes once", () => {
    const heads = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.constantFrom(
        "HTTP/1.1 101 Switching Protocols\r\n\r\n",
        "HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\n\r\n",
        "HTTP/1.1 200 OK\r\n\r\n",
        "HTTP/1.0 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        "HTTP/1.1 101\n\n",
      ).map((text) => new TextEncoder().encode(text)),
    );
    fc.assert(
      fc.property(heads, stream, fractions, (head, bytes, at) => {
        const client = new ClientConnection("ws://example.com/", {
          randomBytes: fixedRandomBytes(),
        });
        client.dataToSend(); // The request.
        exercise(client, cut(concat(head, bytes), at));
        if (client.handshake === null) assert.ok(client.error instanceof HandshakeError);
      }),
      PARAMETERS,
    );
  });

  it("an open client Connection gives the same events and output whatever the chunk boundaries", () => {
    fc.assert(
      fc.property(stream, fractions, (bytes, at) => {
        const whole = new Connection("client", "open", { randomBytes: fixedRandomBytes() });
        whole.receiveData(bytes);
        const split = new Connection("client", "open", { randomBytes: fixedRandomBytes() });
        for (const chunk of cut(bytes, at)) split.receiveData(chunk);
        assert.deepEqual(plain(split.eventsReceived()), plain(whole.eventsReceived()));
        assert.deepEqual(concat(...split.dataToSend()), concat(...whole.dataToSend()));
        assert.equal(split.state, whole.state);
        assert.equal(split.error?.code, whole.error?.code);
      }),
      PARAMETERS,
    );
  });

  it("encodeFrame and FrameParser round-trip any frame at any chunk boundaries, masked or not", () => {
    const frames = fc.array(
      fc.record({
        fin: fc.boolean(),
        rsv: fc.integer({ min: 0, max: 7 }),
        opcode: fc.constantFrom(0x0, 0x1, 0x2),
        payload: fc.oneof(
          fc.uint8Array({ maxLength: 130 }),
          fc.uint8Array({ minLength: 65530, maxLength: 65540 }),
        ),
      }),
      { minLength: 1, maxLength: 4 },
    );
    fc.assert(
      fc.property(
        frames,
        fc.boolean(),
        fractions,
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        (list, masked, at, key) => {
          const bytes = concat(...list.flatMap((frame) => encodeFrame(frame, masked ? key : null)));
          const parser = new FrameParser({ maxFrameSize: 1 << 20, expectMask: masked });
          const parsed: Frame[] = [];
          for (const chunk of cut(bytes, at)) {
            parser.push(chunk);
            for (let frame = parser.next(); frame !== null; frame = parser.next()) {
              parsed.push(
                frame,
              );
            }
          }
          assert.equal(parsed.length, list.length);
          parsed.forEach((frame, i) => {
            const want = list[i]!;
            assert.equal(frame.fin, want.fin);
            assert.equal(frame.rsv, want.rsv);
            assert.equal(frame.opcode, want.opcode);
            assert.ok(sameBytes(frame.payload, want.payload));
          });
        },
      ),
      { numRuns: 100, seed: SEED },
    );
  });
});

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function plain(events: readonly ConnectionEvent[]): unknown[] {
  return events.map((event) =>
    "data" in event && event.data instanceof Uint8Array
      ? { ...event, data: [...event.data] }
      : event
  );
}
