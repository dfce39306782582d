import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { clampUnsignedShort, enforceRangeUnsignedShort } from "../../src/web/_webidl.ts";

describe("WebIDL unsigned short conversions", () => {
  it("clampUnsignedShort clamps, maps NaN to 0 and rounds ties to even", () => {
    assert.equal(clampUnsignedShort(NaN), 0);
    assert.equal(clampUnsignedShort(-5), 0);
    assert.equal(clampUnsignedShort(70000), 65535);
    assert.equal(clampUnsignedShort(Infinity), 65535);
    assert.equal(clampUnsignedShort(2999.5), 3000);
    assert.equal(clampUnsignedShort(3000.5), 3000);
    assert.equal(clampUnsignedShort(3000.6), 3001);
    assert.equal(clampUnsignedShort(3000.4), 3000);
    assert.equal(clampUnsignedShort("4000"), 4000);
  });

  it("enforceRangeUnsignedShort truncates and refuses non-finite or out-of-range values", () => {
    assert.equal(enforceRangeUnsignedShort(1000.9, "code"), 1000);
    assert.equal(enforceRangeUnsignedShort(-0.5, "code"), 0);
    assert.throws(() => enforceRangeUnsignedShort(NaN, "closeCode"), {
      name: "TypeError",
      message: "Cannot convert closeCode: NaN is not a finite number",
    });
    assert.throws(() => enforceRangeUnsignedShort(65536, "closeCode"), {
      name: "TypeError",
      message: "Cannot convert closeCode: 65536 is outside 0-65535",
    });
    assert.throws(() => enforceRangeUnsignedShort(-1, "closeCode"), TypeError);
  });
});
