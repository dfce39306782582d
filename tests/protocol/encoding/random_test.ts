import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { secureRandomBytes } from "../../../src/protocol/encoding/random.ts";

describe("10.3. Attacks on Infrastructure (Masking)", () => {
  it("secureRandomBytes returns the number of bytes asked for", () => {
    for (const n of [0, 1, 4, 16, 8191, 8192, 8193, 20000]) {
      assert.equal(secureRandomBytes(n).length, n, `n = ${n}`);
    }
  });

  it("secureRandomBytes gives different masking keys on successive calls", () => {
    const keys = new Set<string>();
    for (let i = 0; i < 1000; i++) keys.add(secureRandomBytes(4).join(","));
    // 1000 draws from 2^32 keys: a repeat is astronomically unlikely.
    assert.equal(keys.size, 1000);
  });

  it("secureRandomBytes draws successive small requests from disjoint parts of its pool", () => {
    const first = secureRandomBytes(4);
    const second = secureRandomBytes(4);
    if (first.buffer === second.buffer) {
      const a = first.byteOffset;
      const b = second.byteOffset;
      assert.ok(a + 4 <= b || b + 4 <= a, "overlapping pool slices");
    }
  });

  it("secureRandomBytes refills its pool when it runs out, across many calls", () => {
    let total = 0;
    const values = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const bytes = secureRandomBytes(7);
      total += bytes.length;
      for (const byte of bytes) values.add(byte);
    }
    assert.equal(total, 35000);
    // 35000 bytes cover all 256 values unless the source is broken.
    assert.equal(values.size, 256);
  });

  it("secureRandomBytes returns a buffer of its own for requests larger than the pool", () => {
    const bytes = secureRandomBytes(10000);
    assert.equal(bytes.byteOffset, 0);
    assert.equal(bytes.buffer.byteLength, 10000);
  });
});
