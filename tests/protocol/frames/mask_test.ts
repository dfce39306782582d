import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { maskInPlace } from "../../../src/protocol/frames/mask.ts";
import { seededRandomBytes } from "../../_util/fixed_random.ts";

/** The definition of §5.3, byte by byte: transformed[i] = original[i] ^ key[(phase + i) % 4]. */
function naiveMask(bytes: Uint8Array, key: Uint8Array, phase = 0): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! ^ key[(phase + i) % 4]!;
  return out;
}

const KEY = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
const random = seededRandomBytes(0x6455);

describe("5.3. Client-to-Server Masking", () => {
  it('maskInPlace masks RFC 6455 §5.7\'s "Hello" with key 37 fa 21 3d', () => {
    const bytes = new TextEncoder().encode("Hello");
    maskInPlace(bytes, KEY);
    assert.deepEqual(bytes, new Uint8Array([0x7f, 0x9f, 0x4d, 0x51, 0x58]));
  });

  it("maskInPlace applied twice gives the original bytes back", () => {
    for (const length of [0, 1, 5, 31, 32, 33, 100, 4099]) {
      const original = random(length);
      const bytes = original.slice();
      maskInPlace(bytes, KEY);
      maskInPlace(bytes, KEY);
      assert.deepEqual(bytes, original, `length ${length}`);
    }
  });

  it("maskInPlace equals a naive XOR for every length 0-40, every byte offset 0-7 and every phase", () => {
    for (let length = 0; length <= 40; length++) {
      for (let offset = 0; offset < 8; offset++) {
        for (let phase = 0; phase < 4; phase++) {
          const backing = random(offset + length + 8);
          const original = backing.slice();
          const view = backing.subarray(offset, offset + length);
          const expected = naiveMask(view, KEY, phase);
          maskInPlace(view, KEY, phase);
          const where = `length ${length}, offset ${offset}, phase ${phase}`;
          assert.deepEqual(view, expected, where);
          // Bytes outside the view are untouched.
          assert.deepEqual(backing.subarray(0, offset), original.subarray(0, offset), where);
          assert.deepEqual(
            backing.subarray(offset + length),
            original.subarray(offset + length),
            where,
          );
        }
      }
    }
  });

  it("maskInPlace equals a naive XOR for long payloads at odd byte offsets (the word-at-a-time path)", () => {
    for (const length of [32, 33, 63, 64, 65, 127, 1000, 65537]) {
      for (const offset of [0, 1, 2, 3, 5, 7]) {
        for (let phase = 0; phase < 4; phase++) {
          const backing = random(offset + length + 3);
          const original = backing.slice();
          const view = backing.subarray(offset, offset + length);
          const expected = naiveMask(view, KEY, phase);
          maskInPlace(view, KEY, phase);
          const where = `length ${length}, offset ${offset}, phase ${phase}`;
          assert.deepEqual(view, expected, where);
          assert.deepEqual(
            backing.subarray(offset + length),
            original.subarray(offset + length),
            where,
          );
          assert.deepEqual(backing.subarray(0, offset), original.subarray(0, offset), where);
        }
      }
    }
  });

  it("maskInPlace with a phase continues the key where a previous piece stopped", () => {
    const original = random(1000);
    const whole = original.slice();
    maskInPlace(whole, KEY);
    for (const cut of [1, 2, 3, 4, 5, 31, 32, 33, 37, 500, 999]) {
      const pieces = original.slice();
      maskInPlace(pieces.subarray(0, cut), KEY, 0);
      maskInPlace(pieces.subarray(cut), KEY, cut % 4);
      assert.deepEqual(pieces, whole, `cut at ${cut}`);
    }
  });

  it("maskInPlace with an all-zero key leaves the bytes unchanged", () => {
    const original = random(77);
    const bytes = original.slice();
    maskInPlace(bytes, new Uint8Array(4));
    assert.deepEqual(bytes, original);
  });

  it("maskInPlace masks an unaligned odd-length view inside a larger buffer", () => {
    const backing = new Uint8Array(new ArrayBuffer(103));
    backing.set(random(103));
    const view = backing.subarray(3, 100);
    const expected = naiveMask(view, new Uint8Array([1, 2, 3, 4]));
    maskInPlace(view, new Uint8Array([1, 2, 3, 4]));
    assert.deepEqual(view, expected);
  });
});
