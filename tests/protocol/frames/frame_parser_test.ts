import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ProtocolError } from "../../../src/protocol/errors.ts";
import type { Frame } from "../../../src/protocol/frames/frame.ts";
import { FrameParser, type FrameParserOptions } from "../../../src/protocol/frames/frame_parser.ts";
import {
  bytes,
  FRAME_VECTORS,
  FRAME_VIOLATIONS,
  isMaskedVector,
  patternPayload,
  vectorSplits,
  type ViolationVector,
} from "../../vectors/frames.ts";

const DEFAULT_MAX = 64 * 1024 * 1024;

interface Outcome {
  frames: Frame[];
  error: unknown;
}

/** Pushes the chunks one by one, draining frames after each, until an error. */
function parseChunks(chunks: readonly Uint8Array[], options: FrameParserOptions): Outcome {
  const parser = new FrameParser(options);
  const frames: Frame[] = [];
  try {
    for (const chunk of chunks) {
      parser.push(chunk);
      for (let frame = parser.next(); frame !== null; frame = parser.next()) frames.push(frame);
    }
  } catch (error) {
    return { frames, error };
  }
  return { frames, error: null };
}

function assertViolation(error: unknown, vector: ViolationVector, where: string): void {
  assert.ok(
    error instanceof ProtocolError,
    `${where}: expected a ProtocolError, got ${String(error)}`,
  );
  assert.equal(error.name, "ProtocolError");
  assert.equal(error.code, vector.code, where);
  assert.equal(error.closeCode, vector.closeCode, where);
  assert.equal(error.message, vector.message, where);
}

/** Compares frames by value (payload bytes, not identity). */
function plain(frames: readonly Frame[]): unknown[] {
  return frames.map(({ fin, rsv, opcode, payload }) => ({
    fin,
    rsv,
    opcode,
    payload: [...payload],
  }));
}

describe("5.2. Base Framing Protocol", () => {
  for (const vector of FRAME_VECTORS) {
    it(`FrameParser parses ${vector.name} identically whole, byte by byte, at every split and at random splits`, () => {
      const expected = plain(vector.frames);
      const expectMask = isMaskedVector(vector);
      const original = vector.bytes.slice();
      for (const split of vectorSplits(vector.bytes)) {
        const { frames, error } = parseChunks(split.chunks, {
          maxFrameSize: DEFAULT_MAX,
          expectMask,
        });
        assert.equal(error, null, split.name);
        // Compare the large payloads without building huge arrays of numbers.
        assert.equal(frames.length, expected.length, split.name);
        if (vector.bytes.length > 4096) {
          frames.forEach((frame, i) => {
            const want = vector.frames[i]!;
            assert.equal(frame.opcode, want.opcode, split.name);
            assert.equal(frame.fin, want.fin, split.name);
            assert.equal(frame.rsv, want.rsv, split.name);
            assert.ok(sameBytes(frame.payload, want.payload), `${split.name}: payload ${i}`);
          });
        } else {
          assert.deepEqual(plain(frames), expected, split.name);
        }
      }
      // §7 of the guide: the parser never writes to the chunks it was given, masked or not.
      assert.ok(sameBytes(vector.bytes, original), "input modified");
    });
  }

  for (const vector of FRAME_VIOLATIONS) {
    it(`FrameParser refuses ${vector.name} (${vector.code}) identically at every split`, () => {
      const options: FrameParserOptions = {
        maxFrameSize: vector.limits?.maxFrameSize ?? vector.limits?.maxMessageSize ?? DEFAULT_MAX,
        expectMask: vector.fromClient === true,
      };
      for (const split of vectorSplits(vector.bytes)) {
        const { frames, error } = parseChunks(split.chunks, options);
        assertViolation(error, vector, split.name);
        assert.equal(frames.length, vector.framesBefore, split.name);
      }
    });
  }

  it("FrameParser returns null until a whole frame arrived, and counts the bytes it holds", () => {
    const parser = new FrameParser({ maxFrameSize: 1024, expectMask: false });
    assert.equal(parser.next(), null);
    assert.equal(parser.bufferedAmount, 0);
    parser.push(new Uint8Array([0x82]));
    assert.equal(parser.next(), null);
    assert.equal(parser.bufferedAmount, 1);
    parser.push(new Uint8Array([0x7e, 0x00]));
    assert.equal(parser.next(), null);
    parser.push(new Uint8Array([0x80]));
    assert.equal(parser.next(), null);
    assert.equal(parser.bufferedAmount, 0);
    parser.push(patternPayload(100));
    assert.equal(parser.next(), null);
    assert.equal(parser.bufferedAmount, 100);
    parser.push(patternPayload(28).map((_, i) => (100 + i) & 0xff));
    const frame = parser.next();
    assert.ok(frame !== null);
    assert.equal(frame.payload.length, 128);
    assert.ok(sameBytes(frame.payload, patternPayload(128)));
    assert.equal(parser.bufferedAmount, 0);
    assert.equal(parser.next(), null);
  });

  it("FrameParser accepts a frame exactly at the frame size limit", () => {
    const parser = new FrameParser({ maxFrameSize: 126, expectMask: false });
    parser.push(bytes([0x82, 0x7e, 0x00, 0x7e], patternPayload(126)));
    assert.equal(parser.next()?.payload.length, 126);
  });

  it("FrameParser refuses a frame over the limit from its header, before any payload arrives", () => {
    const parser = new FrameParser({ maxFrameSize: 1000, expectMask: false });
    parser.push(new Uint8Array([0x82, 0x7e, 0x03, 0xe9]));
    assert.throws(() => parser.next(), {
      name: "ProtocolError",
      code: "FRAME_TOO_BIG",
      closeCode: 1009,
      message: "Cannot parse frame: the payload is 1001 bytes, more than the limit of 1000",
    });
  });

  it("FrameParser passes the RSV bits through: whether they are allowed is the checkHeader hook's decision", () => {
    const parser = new FrameParser({ maxFrameSize: 1024, expectMask: false });
    parser.push(new Uint8Array([0xc1, 0x01, 0x61, 0xf2, 0x00]));
    assert.deepEqual(plain([parser.next()!, parser.next()!]), [
      { fin: true, rsv: 0x4, opcode: 0x1, payload: [0x61] },
      { fin: true, rsv: 0x7, opcode: 0x2, payload: [] },
    ]);
  });

  it("FrameParser calls checkHeader with FIN, RSV, opcode and length as soon as the header is complete", () => {
    const calls: unknown[] = [];
    const parser = new FrameParser({
      maxFrameSize: 1 << 20,
      expectMask: true,
      checkHeader: (fin, rsv, opcode, length) => calls.push([fin, rsv, opcode, length]),
    });
    // A masked, non-final binary frame of 300 bytes with RSV1: header, 16-bit length, nothing else yet.
    parser.push(new Uint8Array([0x42, 0xfe, 0x01]));
    assert.equal(parser.next(), null);
    assert.deepEqual(calls, []);
    parser.push(new Uint8Array([0x2c]));
    assert.equal(parser.next(), null);
    assert.deepEqual(calls, [[false, 0x4, 0x2, 300]]);
  });

  it("FrameParser lets an error thrown by checkHeader escape before the payload is read", () => {
    const refusal = new ProtocolError(
      "UNEXPECTED_RSV",
      "Cannot parse frame: unexpected RSV bits 0b100",
    );
    const parser = new FrameParser({
      maxFrameSize: 1024,
      expectMask: false,
      checkHeader: () => {
        throw refusal;
      },
    });
    parser.push(new Uint8Array([0xc1, 0x05]));
    assert.throws(() => parser.next(), (error) => error === refusal);
  });

  it("FrameParser checks the frame size limit before calling checkHeader", () => {
    let called = false;
    const parser = new FrameParser({
      maxFrameSize: 4,
      expectMask: false,
      checkHeader: () => (called = true),
    });
    parser.push(new Uint8Array([0x82, 0x05]));
    assert.throws(() => parser.next(), { code: "FRAME_TOO_BIG" });
    assert.equal(called, false);
  });

  it("FrameParser checks the opcode before the MASK bit, and both before the length", () => {
    const masked = new FrameParser({ maxFrameSize: 1, expectMask: false });
    masked.push(new Uint8Array([0x83, 0xff]));
    assert.throws(() => masked.next(), { code: "RESERVED_OPCODE" });
    const tooLong = new FrameParser({ maxFrameSize: 1, expectMask: false });
    tooLong.push(new Uint8Array([0x82, 0xff]));
    assert.throws(() => tooLong.next(), { code: "MASKED_FRAME" });
  });
});

describe("5.1. Overview", () => {
  it("FrameParser returns an unmasked payload as a view into the chunk when it lies in one chunk", () => {
    const chunk = new Uint8Array([0x82, 0x03, 1, 2, 3]);
    const parser = new FrameParser({ maxFrameSize: 1024, expectMask: false });
    parser.push(chunk);
    const frame = parser.next()!;
    assert.equal(frame.payload.buffer, chunk.buffer);
    assert.equal(frame.payload.byteOffset, 2);
  });

  it("FrameParser gathers a payload that spans chunks into one new buffer", () => {
    const parser = new FrameParser({ maxFrameSize: 1024, expectMask: false });
    const a = new Uint8Array([0x82, 0x03, 1]);
    const b = new Uint8Array([2, 3]);
    parser.push(a);
    assert.equal(parser.next(), null);
    parser.push(b);
    const frame = parser.next()!;
    assert.deepEqual(frame.payload, new Uint8Array([1, 2, 3]));
    assert.notEqual(frame.payload.buffer, a.buffer);
    assert.notEqual(frame.payload.buffer, b.buffer);
  });

  it("FrameParser (server side) refuses an unmasked frame and accepts a masked one", () => {
    const parser = new FrameParser({ maxFrameSize: 1024, expectMask: true });
    parser.push(new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]));
    assert.equal(new TextDecoder().decode(parser.next()!.payload), "Hello");
    parser.push(new Uint8Array([0x81, 0x00]));
    assert.throws(() => parser.next(), {
      name: "ProtocolError",
      code: "UNMASKED_FRAME",
      closeCode: 1002,
      message: "Cannot parse frame: a client frame is not masked",
    });
  });
});

describe("5.3. Client-to-Server Masking", () => {
  it("FrameParser unmasks into a copy, leaving the received chunk untouched", () => {
    const chunk = new Uint8Array([
      0x81,
      0x85,
      0x37,
      0xfa,
      0x21,
      0x3d,
      0x7f,
      0x9f,
      0x4d,
      0x51,
      0x58,
    ]);
    const before = chunk.slice();
    const parser = new FrameParser({ maxFrameSize: 1024, expectMask: true });
    parser.push(chunk);
    const frame = parser.next()!;
    assert.equal(new TextDecoder().decode(frame.payload), "Hello");
    assert.notEqual(frame.payload.buffer, chunk.buffer);
    assert.deepEqual(chunk, before);
  });

  it("FrameParser uses each frame's own masking key", () => {
    const parser = new FrameParser({ maxFrameSize: 1024, expectMask: true });
    parser.push(
      new Uint8Array([
        0x82,
        0x81,
        0x01,
        0x02,
        0x03,
        0x04,
        0x01 ^ 0xaa,
        0x82,
        0x81,
        0x10,
        0x20,
        0x30,
        0x40,
        0x10 ^ 0xbb,
      ]),
    );
    assert.deepEqual(parser.next()!.payload, new Uint8Array([0xaa]));
    assert.deepEqual(parser.next()!.payload, new Uint8Array([0xbb]));
  });
});

describe("5.5. Control Frames", () => {
  it("FrameParser accepts a control frame of exactly 125 bytes", () => {
    const parser = new FrameParser({ maxFrameSize: 1024, expectMask: false });
    parser.push(bytes([0x8a, 0x7d], patternPayload(125)));
    assert.equal(parser.next()?.payload.length, 125);
  });

  it("FrameParser refuses a control frame longer than 125 bytes from its first two bytes", () => {
    const parser = new FrameParser({ maxFrameSize: 1024, expectMask: false });
    parser.push(new Uint8Array([0x89, 0x7e]));
    assert.throws(() => parser.next(), {
      name: "ProtocolError",
      code: "CONTROL_FRAME_TOO_LONG",
      closeCode: 1002,
      message: "Cannot parse frame: a control frame is longer than 125 bytes",
    });
  });

  it("FrameParser refuses a fragmented control frame from its first two bytes", () => {
    const parser = new FrameParser({ maxFrameSize: 1024, expectMask: false });
    parser.push(new Uint8Array([0x0a, 0x00]));
    assert.throws(() => parser.next(), {
      name: "ProtocolError",
      code: "FRAGMENTED_CONTROL_FRAME",
      closeCode: 1002,
      message: "Cannot parse frame: a control frame has FIN clear",
    });
  });
});

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe("FrameParser: the allocate option (gathering without zeroing)", () => {
  /** A binary frame of `length` pattern bytes with a 64-bit length. */
  function bigFrame(length: number): { wire: Uint8Array; payload: Uint8Array } {
    const payload = patternPayload(length);
    const wire = new Uint8Array(10 + length);
    wire.set([
      0x82,
      0x7f,
      0,
      0,
      0,
      0,
      length >>> 24,
      (length >>> 16) & 0xff,
      (length >>> 8) & 0xff,
      length & 0xff,
    ]);
    wire.set(payload, 10);
    return { wire, payload };
  }

  /** An allocator that hands out buffers full of garbage, and records each call. */
  function dirtyAllocator() {
    const calls: Uint8Array[] = [];
    const allocate = (length: number) => {
      const buffer = new Uint8Array(length).fill(0xee);
      calls.push(buffer);
      return buffer;
    };
    return { calls, allocate };
  }

  it("gathers a payload that spans chunks into one buffer from allocate, every byte overwritten, at every split", () => {
    const { wire, payload } = bigFrame(70_000);
    for (const split of [11, 12, 4096, 65_536, 70_009]) {
      const { calls, allocate } = dirtyAllocator();
      const parts: number[] = [];
      const { frames, error } = parseChunks([wire.subarray(0, split), wire.subarray(split)], {
        maxFrameSize: DEFAULT_MAX,
        expectMask: false,
        allocate,
        checkPayloadPart: (part) => parts.push(...part),
      });
      assert.equal(error, null);
      assert.equal(frames.length, 1);
      assert.equal(calls.length, 1, `split ${split}: one allocation`);
      assert.equal(calls[0]!.length, 70_000);
      assert.equal(
        frames[0]!.payload,
        calls[0],
        `split ${split}: the payload is the allocated buffer`,
      );
      assert.ok(sameBytes(frames[0]!.payload, payload), `split ${split}: no garbage left`);
      // The hook sees written bytes only, never the allocator's garbage.
      assert.ok(sameBytes(new Uint8Array(parts), payload), `split ${split}: the parts`);
    }
  });

  it("gathers a payload byte by byte into the allocated buffer", () => {
    const payload = patternPayload(300);
    const wire = new Uint8Array([0x82, 0x7e, 300 >>> 8, 300 & 0xff, ...payload]);
    const { calls, allocate } = dirtyAllocator();
    const chunks = [...wire].map((byte) => new Uint8Array([byte]));
    const { frames, error } = parseChunks(chunks, {
      maxFrameSize: DEFAULT_MAX,
      expectMask: false,
      allocate,
    });
    assert.equal(error, null);
    assert.equal(calls.length, 1);
    assert.ok(sameBytes(frames[0]!.payload, payload));
  });

  it("does not call allocate for a payload that lies in one chunk (a view)", () => {
    const { wire, payload } = bigFrame(70_000);
    const { calls, allocate } = dirtyAllocator();
    const { frames } = parseChunks([wire], {
      maxFrameSize: DEFAULT_MAX,
      expectMask: false,
      allocate,
    });
    assert.equal(calls.length, 0);
    assert.equal(frames[0]!.payload.buffer, wire.buffer);
    assert.ok(sameBytes(frames[0]!.payload, payload));
  });

  it("unmasks a gathered payload in the allocated buffer (server side)", () => {
    const payload = patternPayload(200);
    const mask = [1, 2, 3, 4];
    const wire = new Uint8Array(8 + 200);
    wire.set([0x82, 0xfe, 0, 200, ...mask]);
    for (let i = 0; i < 200; i++) wire[8 + i] = payload[i]! ^ mask[i & 3]!;
    const { calls, allocate } = dirtyAllocator();
    const { frames, error } = parseChunks([wire.subarray(0, 50), wire.subarray(50)], {
      maxFrameSize: DEFAULT_MAX,
      expectMask: true,
      allocate,
    });
    assert.equal(error, null);
    assert.equal(frames[0]!.payload, calls[0]);
    assert.ok(sameBytes(frames[0]!.payload, payload));
  });

  it("refuses an allocation of the wrong length with a TypeError (a bug in the hook, not a protocol error)", () => {
    const { wire } = bigFrame(70_000);
    const { error } = parseChunks([wire.subarray(0, 100), wire.subarray(100)], {
      maxFrameSize: DEFAULT_MAX,
      expectMask: false,
      allocate: (length) => new Uint8Array(length - 1),
    });
    assert.ok(error instanceof TypeError);
    assert.equal(error.message, "Cannot gather payload: 69999 bytes allocated for 70000");
  });
});

/** Frames refused for their length: over `maxFrameSize`, and a 16-bit length that fits in 7 bits. */
const LENGTH_REFUSALS: [Uint8Array, FrameParserOptions, string][] = [
  [
    new Uint8Array([0x82, 0x05, 1, 2, 3, 4, 5]),
    { maxFrameSize: 4, expectMask: false },
    "FRAME_TOO_BIG",
  ],
  [
    new Uint8Array([0x82, 0x7e, 0, 5, 1, 2, 3, 4, 5]),
    { maxFrameSize: 64, expectMask: false },
    "NON_MINIMAL_LENGTH",
  ],
];

describe("FrameParser: frames that lie in one chunk (the one-step path)", () => {
  const text = (s: string) => new TextEncoder().encode(s);

  it("reads a run of small unmasked data frames from one chunk as views into it, as it does byte by byte", () => {
    const long = patternPayload(300);
    const wire = new Uint8Array([
      ...[0x81, 0x02, ...text("hi")],
      ...[0x02, 0x00],
      ...[0x80, 0x01, 0x21],
      ...[0x89, 0x01, 0x70], // a ping: the state machine's path
      ...[0x82, 0x7e, 300 >> 8, 300 & 0xff, ...long],
    ]);
    const options = { maxFrameSize: 1024, expectMask: false };
    const whole = parseChunks([wire], options);
    const bytewise = parseChunks([...wire].map((byte) => new Uint8Array([byte])), options);
    assert.equal(whole.error, null);
    assert.deepEqual(plain(whole.frames), plain(bytewise.frames));
    assert.equal(whole.frames.length, 5);
    const [hi, empty, bang, , big] = whole.frames;
    assert.equal(hi!.payload.buffer, wire.buffer);
    assert.equal(hi!.payload.byteOffset, 2);
    assert.equal(empty!.payload.length, 0);
    assert.equal(bang!.payload.byteOffset, 8);
    assert.equal(big!.payload.buffer, wire.buffer);
    assert.equal(big!.payload.byteOffset, wire.length - 300);
  });

  it("refuses in one chunk what it refuses byte by byte: a frame over maxFrameSize, a non-minimal 16-bit length, a header check", () => {
    const cases: [Uint8Array, FrameParserOptions, string][] = [
      ...LENGTH_REFUSALS,
      [
        new Uint8Array([0x82, 0x01, 0x00]),
        { maxFrameSize: 64, expectMask: true },
        "UNMASKED_FRAME",
      ],
      [
        new Uint8Array([0xc2, 0x01, 0x00]),
        {
          maxFrameSize: 64,
          expectMask: false,
          checkHeader: (_fin, rsv) => {
            if (rsv !== 0) throw new ProtocolError("UNEXPECTED_RSV", "rsv");
          },
        },
        "UNEXPECTED_RSV",
      ],
    ];
    for (const [wire, options, code] of cases) {
      const whole = parseChunks([wire], options);
      const bytewise = parseChunks([...wire].map((byte) => new Uint8Array([byte])), options);
      assert.equal((whole.error as ProtocolError).code, code);
      assert.equal((bytewise.error as ProtocolError).code, code);
    }
  });
});

describe("FrameParser: whole messages without a Frame (nextWholeMessage)", () => {
  const text = (s: string) => new TextEncoder().encode(s);
  /** Reads with nextWholeMessage first and next() for the rest, as Connection does. */
  function readMixed(wire: Uint8Array, options: FrameParserOptions) {
    const parser = new FrameParser(options);
    parser.push(wire);
    const frames: { fin: boolean; rsv: number; opcode: number; payload: Uint8Array }[] = [];
    let viaWhole = 0;
    for (;;) {
      const payload = parser.nextWholeMessage();
      if (payload !== null) {
        viaWhole++;
        frames.push({ fin: true, rsv: 0, opcode: parser.wholeOpcode, payload });
        continue;
      }
      const frame = parser.next();
      if (frame === null) break;
      frames.push(frame);
    }
    return { frames, viaWhole };
  }

  it("returns only final text and binary frames with no RSV bit that lie in the front chunk, the rest through next()", () => {
    const long = patternPayload(300);
    const wire = new Uint8Array([
      ...[0x81, 0x02, ...text("hi")], // whole text
      ...[0x02, 0x00], // a first fragment: next()
      ...[0x80, 0x01, 0x21], // its final continuation: next()
      ...[0x89, 0x01, 0x70], // a ping: next()
      ...[0xc2, 0x01, 0x00], // RSV1: next()
      ...[0x82, 0x7e, 300 >> 8, 300 & 0xff, ...long], // whole binary, 16-bit length
      ...[0x82, 0x00], // whole empty binary
      ...[0x82, 0x05, 1, 2], // split: the rest is not here yet
    ]);
    const seen: number[][] = [];
    const options: FrameParserOptions = {
      maxFrameSize: 1024,
      expectMask: false,
      checkHeader: (fin, rsv, opcode, length) => seen.push([Number(fin), rsv, opcode, length]),
    };
    const mixed = readMixed(wire, options);
    const bytewise = parseChunks([...wire].map((byte) => new Uint8Array([byte])), options);
    assert.equal(mixed.viaWhole, 3);
    assert.deepEqual(plain(mixed.frames), plain(bytewise.frames));
    // The header hook saw each frame once per reading, in the same order.
    assert.deepEqual(seen.slice(0, seen.length / 2), seen.slice(seen.length / 2));
    const [hi, , , , , big] = mixed.frames;
    assert.equal(hi!.payload.buffer, wire.buffer);
    assert.equal(hi!.payload.byteOffset, 2);
    assert.equal(big!.payload.byteOffset, wire.length - 2 - 4 - 300);
  });

  it("refuses what next() refuses (limit, non-minimal length, header check) and reads nothing in the middle of a frame", () => {
    for (
      const [wire, options, code] of [
        ...LENGTH_REFUSALS,
        [new Uint8Array([0x81, 0x01, 0x41]), {
          maxFrameSize: 64,
          expectMask: false,
          checkHeader: () => {
            throw new ProtocolError("EXPECTED_CONTINUATION", "no");
          },
        }, "EXPECTED_CONTINUATION"],
      ] as [Uint8Array, FrameParserOptions, string][]
    ) {
      const parser = new FrameParser(options);
      parser.push(wire);
      assert.throws(() => {
        const payload = parser.nextWholeMessage();
        if (payload === null) parser.next();
      }, (error) => (error as ProtocolError).code === code);
    }
    const parser = new FrameParser({ maxFrameSize: 64, expectMask: false });
    parser.push(new Uint8Array([0x82, 0x03, 1]));
    assert.equal(parser.nextWholeMessage(), null);
    assert.equal(parser.next(), null); // the state machine holds the header now
    parser.push(new Uint8Array([2, 3, 0x82, 0x01, 9]));
    assert.equal(parser.nextWholeMessage(), null); // mid-frame: next() finishes it
    assert.deepEqual([...parser.next()!.payload], [1, 2, 3]);
    assert.deepEqual([...parser.nextWholeMessage()!], [9]);
  });
});
