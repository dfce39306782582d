import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeBase64, encodeBase64 } from "../../../src/protocol/encoding/base64.ts";
import { seededRandom } from "../../_util/chunking.ts";

const ascii = (text: string) => new TextEncoder().encode(text);

/** RFC 4648 §10 test vectors. */
const RFC4648: ReadonlyArray<readonly [string, string]> = [
  ["", ""],
  ["f", "Zg=="],
  ["fo", "Zm8="],
  ["foo", "Zm9v"],
  ["foob", "Zm9vYg=="],
  ["fooba", "Zm9vYmE="],
  ["foobar", "Zm9vYmFy"],
];

describe("encodeBase64 (RFC 4648 §4)", () => {
  for (const [text, encoded] of RFC4648) {
    it(`encodes ${JSON.stringify(text)} as ${JSON.stringify(encoded)} (RFC 4648 §10)`, () => {
      assert.equal(encodeBase64(ascii(text)), encoded);
    });
  }

  it("uses + and / for 62 and 63", () => {
    assert.equal(encodeBase64(new Uint8Array([0xfb, 0xff, 0xbf])), "+/+/");
  });

  it("encodes a view at an offset", () => {
    assert.equal(encodeBase64(ascii("xfoobarx").subarray(1, 7)), "Zm9vYmFy");
  });

  it("matches btoa for random bytes of every length up to 100", () => {
    const random = seededRandom(7);
    for (let length = 0; length <= 100; length++) {
      const bytes = Uint8Array.from({ length }, () => Math.floor(random() * 256));
      assert.equal(encodeBase64(bytes), btoa(String.fromCharCode(...bytes)), `length ${length}`);
    }
  });

  it("encodes a short input whole and a long one in chunks alike, at the 8 KiB boundary too", () => {
    const random = seededRandom(5);
    for (const length of [0x1fff, 0x2000, 0x2001, 0x4001]) {
      const bytes = Uint8Array.from({ length }, () => Math.floor(random() * 256));
      let binary = "";
      for (const byte of bytes) binary += String.fromCharCode(byte);
      assert.equal(encodeBase64(bytes), btoa(binary), `length ${length}`);
      // A view at an offset of a larger buffer, on either side of the boundary.
      const view = new Uint8Array(length + 2).subarray(1, length + 1);
      view.set(bytes);
      assert.equal(encodeBase64(view), btoa(binary), `view of length ${length}`);
    }
  });
});

describe("decodeBase64 (RFC 4648 §3-§4, strict)", () => {
  for (const [text, encoded] of RFC4648) {
    it(`decodes ${JSON.stringify(encoded)} (RFC 4648 §10)`, () => {
      assert.deepEqual(decodeBase64(encoded), ascii(text));
    });
  }

  it("round-trips random bytes of every length up to 100", () => {
    const random = seededRandom(11);
    for (let length = 0; length <= 100; length++) {
      const bytes = Uint8Array.from({ length }, () => Math.floor(random() * 256));
      assert.deepEqual(decodeBase64(encodeBase64(bytes)), bytes, `length ${length}`);
    }
  });

  const errors: ReadonlyArray<readonly [string, string, string]> = [
    [
      "missing padding (RFC 4648 §3.2)",
      "Zg",
      "Cannot decode base64: the length 2 is not a multiple of 4",
    ],
    ["a lone character", "Z", "Cannot decode base64: the length 1 is not a multiple of 4"],
    [
      "a character outside the alphabet (RFC 4648 §3.3)",
      "Zm9*",
      "Cannot decode base64: invalid character at index 3",
    ],
    ["the URL-safe alphabet", "-_-_", "Cannot decode base64: invalid character at index 0"],
    [
      "whitespace (RFC 4648 §3.3)",
      "Zm9v Zm9v",
      "Cannot decode base64: the length 9 is not a multiple of 4",
    ],
    ["a line break in a group", "Zm\n=", "Cannot decode base64: invalid character at index 2"],
    ["padding in the middle", "Zg==Zm9v", "Cannot decode base64: invalid character at index 2"],
    ["three padding characters", "Z===", "Cannot decode base64: invalid character at index 1"],
    ["only padding", "====", "Cannot decode base64: invalid character at index 0"],
    ["a non-ASCII character", "Zm9é", "Cannot decode base64: invalid character at index 3"],
    [
      "non-zero bits before == (RFC 4648 §3.5)",
      "Zh==",
      "Cannot decode base64: non-zero bits before the padding",
    ],
    [
      "non-zero bits before = (RFC 4648 §3.5)",
      "Zm9=",
      "Cannot decode base64: non-zero bits before the padding",
    ],
  ];
  for (const [name, input, message] of errors) {
    it(`refuses ${name}`, () => {
      assert.throws(() => decodeBase64(input), (error: unknown) => {
        assert.ok(error instanceof SyntaxError);
        assert.equal(error.message, message);
        return true;
      });
    });
  }
});
