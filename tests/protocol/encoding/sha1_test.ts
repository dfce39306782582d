import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { sha1 } from "../../../src/protocol/encoding/sha1.ts";
import { seededRandom } from "../../_util/chunking.ts";

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

const ascii = (text: string) => new TextEncoder().encode(text);

/** FIPS 180-4 examples (NIST "SHA1.pdf") and RFC 3174 §7.3 tests. */
const VECTORS: ReadonlyArray<{ name: string; data: () => Uint8Array; digest: string }> = [
  {
    name: "the empty message",
    data: () => new Uint8Array(0),
    digest: "da39a3ee5e6b4b0d3255bfef95601890afd80709",
  },
  {
    name: '"abc" (one block, RFC 3174 TEST1)',
    data: () => ascii("abc"),
    digest: "a9993e364706816aba3e25717850c26c9cd0d89d",
  },
  {
    name: "the 448-bit message (padding spills into a second block, RFC 3174 TEST2)",
    data: () => ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    digest: "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
  },
  {
    name: 'one million "a" (RFC 3174 TEST3)',
    data: () => new Uint8Array(1_000_000).fill(0x61),
    digest: "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
  },
  {
    name: "ten times a 64-byte block (RFC 3174 TEST4)",
    data: () =>
      ascii("0123456701234567012345670123456701234567012345670123456701234567".repeat(10)),
    digest: "dea356a2cddd90c7a7ecedc5ebb563934f460452",
  },
  {
    name: "the RFC 6455 §1.3 key with the GUID",
    data: () => ascii("dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
    digest: "b37a4f2cc0624f1690f64606cf385945b2bec4ea",
  },
];

describe("sha1 (FIPS 180-4 §6.1)", () => {
  for (const vector of VECTORS) {
    it(`hashes ${vector.name}`, () => {
      assert.equal(hex(sha1(vector.data())), vector.digest);
    });
  }

  it("matches node:crypto for every length from 0 to 300 bytes (all padding cases)", () => {
    const random = seededRandom(1);
    const data = Uint8Array.from({ length: 300 }, () => Math.floor(random() * 256));
    for (let length = 0; length <= 300; length++) {
      const message = data.subarray(0, length);
      const expected = createHash("sha1").update(message).digest("hex");
      assert.equal(hex(sha1(message)), expected, `length ${length}`);
    }
  });

  it("hashes a view at an offset of a larger buffer", () => {
    const buffer = ascii("xxabcxx");
    assert.equal(hex(sha1(buffer.subarray(2, 5))), "a9993e364706816aba3e25717850c26c9cd0d89d");
  });

  it("does not modify its input", () => {
    const data = ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
    const copy = data.slice();
    sha1(data);
    assert.deepEqual(data, copy);
  });

  it("returns a fresh 20-byte array backed by its own ArrayBuffer", () => {
    const digest = sha1(new Uint8Array(0));
    assert.equal(digest.length, 20);
    assert.equal(digest.byteOffset, 0);
    assert.equal(digest.buffer.byteLength, 20);
  });
});
