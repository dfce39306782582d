import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  decodeUtf8,
  encodeUtf8,
  isValidUtf8,
  Utf8StreamDecoder,
} from "../../../src/protocol/encoding/utf8.ts";
import {
  INVALID_FRAGMENTED_UTF8,
  INVALID_UTF8,
  joinFragments,
  UTF8_VECTORS,
  VALID_UTF8,
} from "../../vectors/utf8.ts";

describe("8.1. Handling Errors in UTF-8-Encoded Data", () => {
  for (const vector of VALID_UTF8) {
    it(`isValidUtf8 and decodeUtf8 accept ${vector.name}`, () => {
      const bytes = joinFragments(vector);
      assert.equal(isValidUtf8(bytes), true);
      assert.equal(decodeUtf8(bytes), vector.text);
    });
  }

  for (const vector of [...INVALID_UTF8, ...INVALID_FRAGMENTED_UTF8]) {
    it(`isValidUtf8 and decodeUtf8 refuse ${vector.name}`, () => {
      const bytes = joinFragments(vector);
      assert.equal(isValidUtf8(bytes), false);
      assert.throws(() => decodeUtf8(bytes), TypeError);
    });
  }

  for (const vector of UTF8_VECTORS) {
    it(`Utf8StreamDecoder fed fragment by fragment ${vector.text === null ? "fails fast on" : "accepts"} ${vector.name}`, () => {
      const decoder = new Utf8StreamDecoder();
      const failsAt = vector.failsAt ?? Infinity;
      vector.fragments.forEach((fragment, index) => {
        assert.equal(decoder.push(new Uint8Array(fragment)), index < failsAt, `fragment ${index}`);
      });
      assert.equal(decoder.end(), vector.text);
    });
  }

  for (const vector of UTF8_VECTORS) {
    it(`Utf8StreamDecoder gives the same result for ${vector.name} fed one byte at a time`, () => {
      const decoder = new Utf8StreamDecoder();
      let accepted = true;
      for (const byte of joinFragments(vector)) {
        accepted = decoder.push(new Uint8Array([byte])) && accepted;
      }
      const text = decoder.end();
      assert.equal(text, vector.text);
      // Fails before the end exactly when the fragments fail before the end.
      assert.equal(accepted, (vector.failsAt ?? Infinity) >= vector.fragments.length);
    });
  }

  for (const vector of VALID_UTF8) {
    it(`Utf8StreamDecoder decodes ${vector.name} split at every point`, () => {
      const bytes = joinFragments(vector);
      for (let split = 0; split <= bytes.length; split++) {
        const decoder = new Utf8StreamDecoder();
        assert.equal(decoder.push(bytes.subarray(0, split)), true);
        assert.equal(decoder.push(bytes.subarray(split)), true);
        assert.equal(decoder.end(), vector.text, `split at ${split}`);
      }
    });
  }

  it("Utf8StreamDecoder keeps failing once it failed", () => {
    const decoder = new Utf8StreamDecoder();
    assert.equal(decoder.push(new Uint8Array([0xff])), false);
    assert.equal(decoder.push(new Uint8Array([0x61])), false);
    assert.equal(decoder.end(), null);
  });

  it("Utf8StreamDecoder is reusable after reset, whether it failed or held a partial code point", () => {
    const decoder = new Utf8StreamDecoder();
    decoder.push(new Uint8Array([0xff]));
    decoder.reset();
    assert.equal(decoder.push(new Uint8Array([0x68, 0x69])), true);
    assert.equal(decoder.end(), "hi");
    decoder.push(new Uint8Array([0xe2, 0x82]));
    decoder.reset();
    assert.equal(decoder.push(new Uint8Array([0x61])), true);
    assert.equal(decoder.end(), "a");
  });

  it("Utf8StreamDecoder starts a new message after end", () => {
    const decoder = new Utf8StreamDecoder();
    decoder.push(new Uint8Array([0x61]));
    assert.equal(decoder.end(), "a");
    decoder.push(new Uint8Array([0x62]));
    assert.equal(decoder.end(), "b");
    assert.equal(decoder.end(), "");
  });

  it("Utf8StreamDecoder keeps a byte order mark split over fragments", () => {
    const decoder = new Utf8StreamDecoder();
    assert.equal(decoder.push(new Uint8Array([0xef, 0xbb])), true);
    assert.equal(decoder.push(new Uint8Array([0xbf, 0x61])), true);
    assert.equal(decoder.end(), "\ufeffa");
  });

  it("decodeUtf8 keeps a leading byte order mark", () => {
    assert.equal(decodeUtf8(new Uint8Array([0xef, 0xbb, 0xbf])), "\ufeff");
  });

  it("encodeUtf8 encodes text as UTF-8", () => {
    assert.deepEqual(
      encodeUtf8("h\u00e9\u20ac\u{1f600}"),
      new Uint8Array([0x68, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]),
    );
    assert.ok(encodeUtf8("").buffer instanceof ArrayBuffer);
  });

  it("encodeUtf8 replaces a lone surrogate with U+FFFD, as USVString conversion does", () => {
    assert.deepEqual(encodeUtf8("a\ud800b"), new Uint8Array([0x61, 0xef, 0xbf, 0xbd, 0x62]));
    assert.deepEqual(encodeUtf8("\udc00"), new Uint8Array([0xef, 0xbf, 0xbd]));
  });
});
