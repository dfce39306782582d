import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  encodeFrame,
  type Frame,
  headerLength,
  MAX_PAYLOAD_LENGTH,
  RSV1,
  RSV2,
  RSV3,
} from "../../../src/protocol/frames/frame.ts";
import { FrameParser } from "../../../src/protocol/frames/frame_parser.ts";
import { concat } from "../../_util/chunking.ts";
import { RFC_MASK, seededRandomBytes } from "../../_util/fixed_random.ts";
import {
  BOUNDARY_LENGTHS,
  bytes,
  FRAME_VECTORS,
  patternPayload,
  utf8,
} from "../../vectors/frames.ts";

const random = seededRandomBytes(0x5f2);
const KEY = new Uint8Array(RFC_MASK);

function parseAll(data: Uint8Array, expectMask: boolean): Frame[] {
  const parser = new FrameParser({ maxFrameSize: 1 << 20, expectMask });
  parser.push(data);
  const frames: Frame[] = [];
  for (let frame = parser.next(); frame !== null; frame = parser.next()) frames.push(frame);
  assert.equal(parser.bufferedAmount, 0);
  return frames;
}

describe("5.2. Base Framing Protocol", () => {
  for (const vector of FRAME_VECTORS) {
    if (vector.name === "two masked frames with different keys") continue;
    it(`encodeFrame encodes ${vector.name} to the vector's bytes`, () => {
      const mask = vector.mask === null ? null : new Uint8Array(vector.mask);
      const chunks = vector.frames.flatMap((frame) => encodeFrame(frame, mask));
      assert.deepEqual(concat(...chunks), vector.bytes);
    });
  }

  it("encodeFrame writes FIN, RSV1-3 and the opcode in the first byte", () => {
    const payload = new Uint8Array(0);
    assert.deepEqual(
      encodeFrame({ fin: true, rsv: 0, opcode: 0x1, payload }, null)[0],
      new Uint8Array([0x81, 0x00]),
    );
    assert.deepEqual(
      encodeFrame({ fin: false, rsv: 0, opcode: 0x2, payload }, null)[0],
      new Uint8Array([0x02, 0x00]),
    );
    assert.deepEqual(
      encodeFrame({ fin: true, rsv: RSV1, opcode: 0x1, payload }, null)[0],
      new Uint8Array([0xc1, 0x00]),
    );
    assert.deepEqual(
      encodeFrame({ fin: true, rsv: RSV2, opcode: 0x1, payload }, null)[0],
      new Uint8Array([0xa1, 0x00]),
    );
    assert.deepEqual(
      encodeFrame({ fin: true, rsv: RSV3, opcode: 0x1, payload }, null)[0],
      new Uint8Array([0x91, 0x00]),
    );
    assert.deepEqual(
      encodeFrame({ fin: false, rsv: RSV1 | RSV2 | RSV3, opcode: 0xf, payload }, null)[0],
      new Uint8Array([0x7f, 0x00]),
    );
  });

  it("RSV1, RSV2 and RSV3 are the bits 0x4, 0x2 and 0x1 of Frame.rsv", () => {
    assert.deepEqual([RSV1, RSV2, RSV3], [0x4, 0x2, 0x1]);
  });

  it("encodeFrame uses the minimal length encoding at every boundary length", () => {
    const expected: Record<number, number[]> = {
      0: [0x82, 0x00],
      1: [0x82, 0x01],
      125: [0x82, 0x7d],
      126: [0x82, 0x7e, 0x00, 0x7e],
      127: [0x82, 0x7e, 0x00, 0x7f],
      65535: [0x82, 0x7e, 0xff, 0xff],
      65536: [0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00],
    };
    for (const length of BOUNDARY_LENGTHS) {
      const [head] = encodeFrame({
        fin: true,
        rsv: 0,
        opcode: 0x2,
        payload: new Uint8Array(length),
      }, null);
      assert.deepEqual(head, new Uint8Array(expected[length]!), `length ${length}`);
      assert.equal(
        headerLength(length, false),
        expected[length]!.length,
        `headerLength(${length}, false)`,
      );
      assert.equal(
        headerLength(length, true),
        expected[length]!.length + 4,
        `headerLength(${length}, true)`,
      );
    }
  });

  it("encodeFrame writes a 64-bit length whose high word is not zero", () => {
    // A payload-like object: only `length` is read for an unmasked frame's header.
    const payload = { length: 2 ** 32 + 0x01020304 } as unknown as Uint8Array;
    const [head] = encodeFrame({ fin: true, rsv: 0, opcode: 0x2, payload }, null);
    assert.deepEqual(head, new Uint8Array([0x82, 0x7f, 0, 0, 0, 1, 0x01, 0x02, 0x03, 0x04]));
  });

  it("MAX_PAYLOAD_LENGTH is the largest exact integer", () => {
    assert.equal(MAX_PAYLOAD_LENGTH, Number.MAX_SAFE_INTEGER);
  });

  it("encodeFrame refuses an opcode that is not a 4-bit number", () => {
    for (const opcode of [-1, 16, 1.5, NaN]) {
      assert.throws(
        () => encodeFrame({ fin: true, rsv: 0, opcode, payload: new Uint8Array(0) }, null),
        {
          name: "RangeError",
          message: `Cannot encode frame: opcode ${opcode} is not a 4-bit number`,
        },
      );
    }
  });

  it("encodeFrame refuses rsv that is not a 3-bit number", () => {
    for (const rsv of [-1, 8, 0.5]) {
      assert.throws(
        () => encodeFrame({ fin: true, rsv, opcode: 1, payload: new Uint8Array(0) }, null),
        {
          name: "RangeError",
          message: `Cannot encode frame: rsv ${rsv} is not a 3-bit number`,
        },
      );
    }
  });

  it("encodeFrame and FrameParser round-trip every opcode, FIN and RSV combination", () => {
    for (const opcode of [0x0, 0x1, 0x2, 0x8, 0x9, 0xa]) {
      for (const fin of [true, false]) {
        if (opcode >= 0x8 && !fin) continue;
        for (let rsv = 0; rsv < 8; rsv++) {
          const frame = { fin, rsv, opcode, payload: utf8("data") };
          assert.deepEqual(parseAll(concat(...encodeFrame(frame, null)), false), [frame]);
          assert.deepEqual(parseAll(concat(...encodeFrame(frame, KEY)), true), [frame]);
        }
      }
    }
  });

  it("encodeFrame and FrameParser round-trip payloads of every length 0-300 and the boundary lengths, masked and not", () => {
    const lengths = [...Array.from({ length: 301 }, (_, i) => i), 65535, 65536, 70000];
    for (const length of lengths) {
      const payload = random(length);
      const frame = { fin: true, rsv: 0, opcode: 0x2, payload };
      assert.deepEqual(
        parseAll(concat(...encodeFrame(frame, null)), false),
        [frame],
        `unmasked ${length}`,
      );
      const mask = random(4);
      assert.deepEqual(
        parseAll(concat(...encodeFrame(frame, mask)), true),
        [frame],
        `masked ${length}`,
      );
    }
  });
});

describe("5.3. Client-to-Server Masking", () => {
  it("encodeFrame sets the MASK bit and writes the key before the masked payload", () => {
    const [out] = encodeFrame({ fin: true, rsv: 0, opcode: 0x1, payload: utf8("Hello") }, KEY);
    assert.deepEqual(
      out,
      new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]),
    );
  });

  it("encodeFrame with a mask returns a single new buffer", () => {
    for (const length of [0, 1, 125, 126, 65536]) {
      const payload = patternPayload(length);
      const chunks = encodeFrame({ fin: true, rsv: 0, opcode: 0x2, payload }, KEY);
      assert.equal(chunks.length, 1, `length ${length}`);
      assert.notEqual(chunks[0]!.buffer, payload.buffer);
    }
  });

  it("encodeFrame never modifies the caller's payload when masking", () => {
    for (const length of [1, 5, 31, 32, 33, 125, 126, 4096, 65536]) {
      const backing = random(length + 3);
      const payload = backing.subarray(1, 1 + length);
      const before = backing.slice();
      encodeFrame({ fin: true, rsv: 0, opcode: 0x2, payload }, random(4));
      assert.deepEqual(backing, before, `length ${length}`);
    }
  });

  it("encodeFrame never modifies the masking key", () => {
    const key = new Uint8Array([1, 2, 3, 4]);
    encodeFrame({ fin: true, rsv: 0, opcode: 0x2, payload: random(100) }, key);
    assert.deepEqual(key, new Uint8Array([1, 2, 3, 4]));
  });

  it("encodeFrame places a masked payload of 64 bytes or more on a 4-byte boundary of its buffer", () => {
    // Where masking runs a word at a time.
    for (const length of [64, 125, 126, 65535, 65536]) {
      const [out] = encodeFrame(
        { fin: true, rsv: 0, opcode: 0x2, payload: new Uint8Array(length) },
        KEY,
      );
      const payloadStart = out!.byteOffset + headerLength(length, true);
      assert.equal(payloadStart % 4, 0, `length ${length}`);
    }
  });

  it("encodeFrame masks a payload under 64 bytes as it copies it, into a buffer of exactly the frame", () => {
    for (const length of [0, 1, 5, 63]) {
      const payload = random(length);
      const [out] = encodeFrame({ fin: true, rsv: 0, opcode: 0x2, payload }, KEY);
      assert.equal(out!.byteOffset, 0);
      assert.equal(out!.buffer.byteLength, headerLength(length, true) + length);
      const masked = out!.subarray(headerLength(length, true));
      assert.deepEqual([...masked], [...payload].map((byte, i) => byte ^ KEY[i & 3]!));
    }
  });

  it("encodeFrame with a mask equals the header followed by a naive XOR of the payload", () => {
    for (const length of [0, 3, 40, 300, 65536]) {
      const payload = random(length);
      const key = random(4);
      const [out] = encodeFrame({ fin: true, rsv: 0, opcode: 0x2, payload }, key);
      const head = headerLength(length, true);
      assert.deepEqual(out!.subarray(head - 4, head), key);
      const expected = new Uint8Array(length);
      for (let i = 0; i < length; i++) expected[i] = payload[i]! ^ key[i % 4]!;
      assert.deepEqual(out!.subarray(head), expected, `length ${length}`);
    }
  });
});

describe("encodeFrame's allocate (reused buffers for masked frames)", () => {
  it("encodes a masked frame of 64 bytes or more into the allocated buffer, whatever it held before", () => {
    for (const length of [64, 125, 126, 1000, 65535, 65536, 70_001]) {
      const payload = random(length);
      const [expected] = encodeFrame({ fin: true, rsv: 0, opcode: 0x2, payload }, KEY);
      const dirty = new Uint8Array(length + 64).fill(0xa5);
      const sizes: number[] = [];
      const [out] = encodeFrame({ fin: true, rsv: 0, opcode: 0x2, payload }, KEY, (size) => {
        sizes.push(size);
        return dirty.subarray(0, size);
      });
      assert.equal(out!.buffer, dirty.buffer, `length ${length}`);
      assert.deepEqual(out, expected, `length ${length}`);
      // One call, for the frame and at most 3 bytes of alignment padding.
      assert.equal(sizes.length, 1);
      assert.ok(sizes[0]! - out!.length <= 3);
    }
  });

  it("uses only the first `size` bytes of a longer buffer and is right at any byteOffset", () => {
    const payload = random(5000);
    const [expected] = encodeFrame({ fin: true, rsv: 0, opcode: 0x1, payload }, KEY);
    for (let offset = 0; offset < 8; offset++) {
      const backing = new Uint8Array(offset + 6000).fill(0x5a);
      const [out] = encodeFrame(
        { fin: true, rsv: 0, opcode: 0x1, payload },
        KEY,
        () => backing.subarray(offset),
      );
      assert.deepEqual(out, expected, `offset ${offset}`);
      assert.ok(backing.subarray(offset + 5000 + 14).every((byte) => byte === 0x5a));
    }
  });

  it("does not call allocate for small or unmasked frames", () => {
    const allocate = () => assert.fail("allocate was called");
    encodeFrame({ fin: true, rsv: 0, opcode: 0x2, payload: random(63) }, KEY, allocate);
    encodeFrame({ fin: true, rsv: 0, opcode: 0x2, payload: random(1000) }, null, allocate);
  });

  it("refuses a buffer shorter than asked for", () => {
    assert.throws(
      () =>
        encodeFrame(
          { fin: true, rsv: 0, opcode: 0x2, payload: random(100) },
          KEY,
          (size) => new Uint8Array(size - 1),
        ),
      RangeError,
    );
  });
});

describe("5.1. Overview", () => {
  it("encodeFrame without a mask returns the header and the caller's payload itself, not a copy", () => {
    const payload = random(300);
    const frame = { fin: true, rsv: 0, opcode: 0x2, payload };
    const chunks = encodeFrame(frame, null);
    assert.equal(chunks.length, 2);
    assert.equal(chunks[1], payload);
    assert.deepEqual(chunks[0], new Uint8Array([0x82, 0x7e, 0x01, 0x2c]));
  });

  it("encodeFrame without a mask returns only the header for an empty payload", () => {
    const chunks = encodeFrame(
      { fin: true, rsv: 0, opcode: 0x9, payload: new Uint8Array(0) },
      null,
    );
    assert.deepEqual(chunks, [new Uint8Array([0x89, 0x00])]);
  });

  it("encodeFrame without a mask leaves the MASK bit clear", () => {
    for (const length of [0, 125, 126, 65536]) {
      const [head] = encodeFrame({
        fin: true,
        rsv: 0,
        opcode: 0x2,
        payload: new Uint8Array(length),
      }, null);
      assert.equal(head![1]! & 0x80, 0, `length ${length}`);
    }
  });

  it("encodeFrame outputs are Uint8Arrays backed by ArrayBuffers", () => {
    for (const mask of [null, KEY]) {
      for (
        const chunk of encodeFrame(
          { fin: true, rsv: 0, opcode: 0x2, payload: bytes([1, 2, 3]) },
          mask,
        )
      ) {
        assert.ok(chunk instanceof Uint8Array);
        assert.ok(chunk.buffer instanceof ArrayBuffer);
      }
    }
  });
});
