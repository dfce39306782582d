import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { md5 } from "../../../src/protocol/encoding/md5.ts";
import { describeSeedVectors, seedVectors } from "../../_util/seed_vectors.ts";

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function fromHex(text: string): Uint8Array {
  return new Uint8Array(text.match(/../g)?.map((pair) => parseInt(pair, 16)) ?? []);
}

const ascii = (text: string) => new TextEncoder().encode(text);

/** RFC 1321 Appendix A.5, "Test suite". */
const RFC_1321_SUITE: ReadonlyArray<readonly [string, string]> = [
  ["", "d41d8cd98f00b204e9800998ecf8427e"],
  ["a", "0cc175b9c0f1b6a831c399e269772661"],
  ["abc", "900150983cd24fb0d6963f7d28e17f72"],
  ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
  ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
  [
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "d174ab98d277d9f5a5611c2c9f419d9f",
  ],
  [
    "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
    "57edf4a22be3c955ac49da2e2107b67a",
  ],
];

describe("md5 (RFC 1321)", () => {
  describe("A.5 test suite", () => {
    for (const [input, digest] of RFC_1321_SUITE) {
      it(`hashes ${JSON.stringify(input)}`, () => {
        assert.equal(hex(md5(ascii(input))), digest);
      });
    }
  });

  describe("3.1-3.2 padding and length", () => {
    // Lengths around the 56-byte padding boundary and the 64-byte block.
    const expected: Record<number, string> = {
      55: "ef1772b6dff9a122358552954ad0df65",
      56: "3b0c8ac703f828b04c6c197006d17218",
      63: "b06521f39153d618550606be297466d5",
      64: "014842d480b571495a4a0363793f7367",
      65: "c743a45e0d2e6a95cb859adae0248435",
    };
    for (const [length, digest] of Object.entries(expected)) {
      it(`hashes ${length} bytes of "a"`, () => {
        assert.equal(hex(md5(new Uint8Array(Number(length)).fill(0x61))), digest);
      });
    }

    it('hashes one million "a" (many blocks)', () => {
      assert.equal(
        hex(md5(new Uint8Array(1_000_000).fill(0x61))),
        "7707d6ae4e027c70eea2a935c2296f21",
      );
    });

    it("hashes every byte value", () => {
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
      assert.equal(hex(md5(bytes)), "e2c865db4162bed963bfaa9ef6ac18f0");
    });
  });

  it("does not modify its input and returns 16 fresh bytes", () => {
    const input = ascii("abc");
    const digest = md5(input);
    assert.deepEqual([...input], [0x61, 0x62, 0x63]);
    assert.equal(digest.length, 16);
    assert.notEqual(digest.buffer, input.buffer);
  });

  describeSeedVectors("hybi-00 challenge answers of the seed vectors", () => {
    for (
      const vector of seedVectors("hybi00-checksum").filter((item) => item.op === "hybi00.checksum")
    ) {
      it(`answers ${vector.id}`, () => {
        const input = vector.input as { number1: number; number2: number; challenge_hex: string };
        const challenge = new Uint8Array(16);
        const view = new DataView(challenge.buffer);
        view.setUint32(0, input.number1);
        view.setUint32(4, input.number2);
        challenge.set(fromHex(input.challenge_hex), 8);
        assert.equal(hex(md5(challenge)), (vector.expect as { checksum_hex: string }).checksum_hex);
      });
    }
  });
});
