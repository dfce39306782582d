/**
 * `WebSocketError` and the close-info validation shared by
 * `WebSocketStream.close()` (https://websockets.spec.whatwg.org/#websocket-error-interface,
 * "validate close code and reason").
 *
 * @module
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateCloseInfo, WebSocketError } from "../../src/web/websocket_error.ts";

function isDomException(name: string): (error: unknown) => boolean {
  return (error: unknown) => error instanceof DOMException && error.name === name;
}

describe("WebSocketError constructor", () => {
  it("is a DOMException named WebSocketError with no code and an empty reason by default", () => {
    const error = new WebSocketError();
    assert.ok(error instanceof DOMException);
    assert.ok(error instanceof Error);
    assert.equal(error.name, "WebSocketError");
    assert.equal(error.message, "");
    assert.equal(error.code, 0, "not one of the legacy DOMException names");
    assert.equal(error.closeCode, null);
    assert.equal(error.reason, "");
  });

  it("keeps the message, close code and reason", () => {
    const error = new WebSocketError("server went away", {
      closeCode: 4000,
      reason: "maintenance",
    });
    assert.equal(error.message, "server went away");
    assert.equal(error.closeCode, 4000);
    assert.equal(error.reason, "maintenance");
  });

  it("sets the code to 1000 when only a reason is given", () => {
    const error = new WebSocketError("", { reason: "bye" });
    assert.equal(error.closeCode, 1000);
    assert.equal(error.reason, "bye");
  });

  it("keeps a null code with an empty reason", () => {
    assert.equal(new WebSocketError("", { reason: "" }).closeCode, null);
  });

  for (const closeCode of [1000, 3000, 3999, 4999]) {
    it(`accepts the application code ${closeCode}`, () => {
      assert.equal(new WebSocketError("", { closeCode }).closeCode, closeCode);
    });
  }

  for (const closeCode of [0, 999, 1001, 1002, 1005, 1006, 1011, 1015, 2999, 5000, 65535]) {
    it(`throws an InvalidAccessError DOMException for code ${closeCode}`, () => {
      assert.throws(
        () => new WebSocketError("", { closeCode }),
        isDomException("InvalidAccessError"),
      );
    });
  }

  it("throws a SyntaxError DOMException for a reason over 123 UTF-8 bytes", () => {
    for (const reason of ["a".repeat(124), "\u00e9".repeat(62), "\u{1f600}".repeat(31)]) {
      assert.throws(
        () => new WebSocketError("", { closeCode: 1000, reason }),
        isDomException("SyntaxError"),
      );
    }
    assert.equal(
      new WebSocketError("", { closeCode: 1000, reason: "\u{1f600}".repeat(30) + "abc" }).reason
        .length,
      63,
    );
  });

  it("checks the code before the reason", () => {
    assert.throws(
      () => new WebSocketError("", { closeCode: 1001, reason: "x".repeat(200) }),
      isDomException("InvalidAccessError"),
    );
  });

  it("converts the code as WebIDL [EnforceRange] unsigned short: out of range is a TypeError", () => {
    for (const closeCode of [Number.NaN, Number.POSITIVE_INFINITY, -1, 65536 + 1000]) {
      assert.throws(() => new WebSocketError("", { closeCode }), TypeError, String(closeCode));
    }
  });

  it("converts the code as WebIDL [EnforceRange] unsigned short: a fraction is truncated", () => {
    assert.equal(new WebSocketError("", { closeCode: 1000.9 }).closeCode, 1000);
  });
});

describe("WebSocketError.fromClose", () => {
  it("carries any code the protocol reports, which the constructor refuses, and the cause", () => {
    const cause = new Error("reset");
    const error = WebSocketError.fromClose("Connection lost", 1006, "", cause);
    assert.ok(error instanceof WebSocketError);
    assert.equal(error.name, "WebSocketError");
    assert.equal(error.message, "Connection lost");
    assert.equal(error.closeCode, 1006);
    assert.equal(error.reason, "");
    assert.equal(error.cause, cause);
  });

  it("has no cause when none is given", () => {
    const error = WebSocketError.fromClose("closed", 1002, "bad frame");
    assert.equal(error.reason, "bad frame");
    assert.equal("cause" in error && error.cause !== undefined, false);
  });
});

describe("validateCloseInfo", () => {
  it("returns a null code and an empty reason for an empty init", () => {
    assert.deepEqual(validateCloseInfo({}), { code: null, reason: "" });
  });

  it("returns 1000 when only a reason is given", () => {
    assert.deepEqual(validateCloseInfo({ reason: "r" }), { code: 1000, reason: "r" });
  });

  it("returns the code and reason as given", () => {
    assert.deepEqual(validateCloseInfo({ closeCode: 3001, reason: "x" }), {
      code: 3001,
      reason: "x",
    });
  });

  it("accepts a reason of exactly 123 bytes", () => {
    const reason = "\u00e9".repeat(61) + "a";
    assert.deepEqual(validateCloseInfo({ closeCode: 1000, reason }), { code: 1000, reason });
  });

  it("throws InvalidAccessError for a protocol code and SyntaxError for a long reason", () => {
    assert.throws(
      () => validateCloseInfo({ closeCode: 1011 }),
      isDomException("InvalidAccessError"),
    );
    assert.throws(
      () => validateCloseInfo({ reason: "x".repeat(124) }),
      isDomException("SyntaxError"),
    );
  });
});
