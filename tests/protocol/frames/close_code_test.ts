import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CLOSE_CODE,
  decodeClosePayload,
  encodeClosePayload,
  isApplicationCloseCode,
  isReceivableCloseCode,
  MAX_CLOSE_REASON_BYTES,
  truncateCloseReason,
} from "../../../src/protocol/frames/close_code.ts";
import { ProtocolError } from "../../../src/protocol/errors.ts";
import { INVALID_CLOSE_CODES, VALID_CLOSE_CODES } from "../../vectors/frames.ts";
import { INVALID_UTF8, VALID_UTF8 } from "../../vectors/utf8.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);
const byteLength = (text: string) => utf8(text).length;

function assertProtocolError(
  fn: () => unknown,
  code: string,
  closeCode: number,
  message: string,
): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${String(error)}`);
    assert.equal(error.name, "ProtocolError");
    assert.equal(error.code, code);
    assert.equal(error.closeCode, closeCode);
    assert.equal(error.message, message);
    return true;
  });
}

describe("7.4.1. Defined Status Codes", () => {
  it("CLOSE_CODE holds the RFC 6455 and IANA codes", () => {
    assert.deepEqual(CLOSE_CODE, {
      NormalClosure: 1000,
      GoingAway: 1001,
      ProtocolError: 1002,
      UnsupportedData: 1003,
      NoStatusReceived: 1005,
      AbnormalClosure: 1006,
      InvalidFramePayloadData: 1007,
      PolicyViolation: 1008,
      MessageTooBig: 1009,
      MandatoryExtension: 1010,
      InternalError: 1011,
      ServiceRestart: 1012,
      TryAgainLater: 1013,
      BadGateway: 1014,
      TlsHandshake: 1015,
    });
  });

  it("isReceivableCloseCode accepts exactly 1000-1003, 1007-1014 and 3000-4999 of all 16-bit codes", () => {
    for (let code = 0; code <= 0xffff; code++) {
      const expected = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
        (code >= 3000 && code <= 4999);
      if (isReceivableCloseCode(code) !== expected) assert.fail(`code ${code}`);
    }
  });

  it("isReceivableCloseCode refuses 1005, 1006 and 1015, which are never sent", () => {
    assert.equal(isReceivableCloseCode(1005), false);
    assert.equal(isReceivableCloseCode(1006), false);
    assert.equal(isReceivableCloseCode(1015), false);
  });

  it("isApplicationCloseCode accepts 1000 and 3000-4999 only", () => {
    for (let code = 0; code <= 0xffff; code++) {
      const expected = code === 1000 || (code >= 3000 && code <= 4999);
      if (isApplicationCloseCode(code) !== expected) assert.fail(`code ${code}`);
    }
  });
});

describe("5.5.1. Close", () => {
  it("encodeClosePayload gives an empty payload without a code", () => {
    assert.deepEqual(encodeClosePayload(), new Uint8Array(0));
  });

  it("encodeClosePayload writes the code big-endian followed by the UTF-8 reason", () => {
    assert.deepEqual(
      encodeClosePayload(1000, "bye"),
      new Uint8Array([0x03, 0xe8, 0x62, 0x79, 0x65]),
    );
    assert.deepEqual(encodeClosePayload(4999), new Uint8Array([0x13, 0x87]));
    assert.deepEqual(encodeClosePayload(3000, "\u00e9"), new Uint8Array([0x0b, 0xb8, 0xc3, 0xa9]));
  });

  it("encodeClosePayload accepts a reason of exactly 123 bytes, for a 125-byte payload", () => {
    const payload = encodeClosePayload(1000, "a".repeat(MAX_CLOSE_REASON_BYTES));
    assert.equal(payload.length, 125);
  });

  it("encodeClosePayload refuses a reason of 124 bytes with a RangeError", () => {
    assert.throws(() => encodeClosePayload(1000, "a".repeat(124)), {
      name: "RangeError",
      message: "Cannot encode close payload: the reason is 124 bytes, more than 123",
    });
  });

  it("encodeClosePayload counts the reason in UTF-8 bytes, not UTF-16 units", () => {
    // 41 three-byte characters are 123 bytes; 42 are 126.
    assert.equal(encodeClosePayload(1000, "\u20ac".repeat(41)).length, 125);
    assert.throws(() => encodeClosePayload(1000, "\u20ac".repeat(42)), {
      name: "RangeError",
      message: "Cannot encode close payload: the reason is 126 bytes, more than 123",
    });
  });

  it("encodeClosePayload refuses a reason without a code", () => {
    assert.throws(() => encodeClosePayload(undefined, "why"), {
      name: "RangeError",
      message: "Cannot encode close payload: a reason requires a code",
    });
  });

  it("decodeClosePayload reports 1005 for an empty payload", () => {
    assert.deepEqual(decodeClosePayload(new Uint8Array(0)), { code: 1005, reason: "" });
  });

  it("decodeClosePayload reads the code and the reason", () => {
    assert.deepEqual(decodeClosePayload(new Uint8Array([0x03, 0xe8, 0x62, 0x79, 0x65])), {
      code: 1000,
      reason: "bye",
    });
    assert.deepEqual(decodeClosePayload(new Uint8Array([0x03, 0xe9])), { code: 1001, reason: "" });
  });

  it("decodeClosePayload keeps a byte order mark at the start of the reason", () => {
    assert.deepEqual(decodeClosePayload(new Uint8Array([0x03, 0xe8, 0xef, 0xbb, 0xbf, 0x61])), {
      code: 1000,
      reason: "\ufeffa",
    });
  });

  it("decodeClosePayload refuses a 1-byte payload", () => {
    assertProtocolError(
      () => decodeClosePayload(new Uint8Array([0x03])),
      "INVALID_CLOSE_PAYLOAD",
      1002,
      "Cannot parse close frame: the payload is 1 byte",
    );
  });

  for (const code of VALID_CLOSE_CODES) {
    it(`decodeClosePayload accepts the code ${code}`, () => {
      assert.deepEqual(decodeClosePayload(new Uint8Array([code >> 8, code & 0xff])), {
        code,
        reason: "",
      });
    });
  }

  for (const code of INVALID_CLOSE_CODES) {
    it(`decodeClosePayload refuses the code ${code}`, () => {
      assertProtocolError(
        () => decodeClosePayload(new Uint8Array([code >> 8, code & 0xff, 0x61])),
        "INVALID_CLOSE_CODE",
        1002,
        `Cannot parse close frame: invalid close code ${code}`,
      );
    });
  }

  for (const vector of VALID_UTF8) {
    if (vector.fragments.length !== 1) continue;
    it(`decodeClosePayload accepts a reason holding ${vector.name}`, () => {
      assert.deepEqual(decodeClosePayload(new Uint8Array([0x03, 0xe8, ...vector.fragments[0]!])), {
        code: 1000,
        reason: vector.text,
      });
    });
  }

  for (const vector of INVALID_UTF8) {
    it(`decodeClosePayload refuses a reason holding ${vector.name}`, () => {
      assertProtocolError(
        () => decodeClosePayload(new Uint8Array([0x03, 0xe8, ...vector.fragments[0]!])),
        "INVALID_UTF8",
        1007,
        "Cannot parse close frame: the reason is not valid UTF-8",
      );
    });
  }

  it("encodeClosePayload and decodeClosePayload round-trip every valid code with a reason", () => {
    for (const code of VALID_CLOSE_CODES) {
      assert.deepEqual(decodeClosePayload(encodeClosePayload(code, "r\u00e9ason")), {
        code,
        reason: "r\u00e9ason",
      });
    }
  });
});

describe("7.1.6. The WebSocket Connection Close Reason", () => {
  it("truncateCloseReason keeps a reason of up to 123 bytes as it is", () => {
    assert.equal(truncateCloseReason(""), "");
    assert.equal(truncateCloseReason("short"), "short");
    const exact = "a".repeat(123);
    assert.equal(truncateCloseReason(exact), exact);
  });

  it("truncateCloseReason cuts an ASCII reason to 123 bytes", () => {
    assert.equal(truncateCloseReason("a".repeat(124)), "a".repeat(123));
    assert.equal(truncateCloseReason("b".repeat(1000)), "b".repeat(123));
  });

  it("truncateCloseReason never cuts inside a 2-, 3- or 4-byte code point", () => {
    // For each prefix length, the multi-byte character straddles byte 123 or not.
    for (const char of ["\u00e9", "\u20ac", "\u{1f600}"]) {
      const width = byteLength(char);
      for (let prefix = 118; prefix <= 124; prefix++) {
        const reason = "a".repeat(prefix) + char + "z";
        const cut = truncateCloseReason(reason);
        const bytes = byteLength(cut);
        assert.ok(bytes <= 123, `${prefix}+${width}: ${bytes} bytes`);
        assert.ok(reason.startsWith(cut), `${prefix}+${width}: not a prefix`);
        const expected = prefix + width <= 123
          ? prefix + width + (prefix + width + 1 <= 123 ? 1 : 0)
          : Math.min(prefix, 123);
        assert.equal(bytes, expected, `${prefix}+${width}`);
      }
    }
  });

  it("truncateCloseReason cuts a reason made only of 4-byte code points on a code-point boundary", () => {
    const cut = truncateCloseReason("\u{1f600}".repeat(40));
    assert.equal(cut, "\u{1f600}".repeat(30));
    assert.equal(byteLength(cut), 120);
  });
});
