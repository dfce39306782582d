import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  HandshakeError,
  InvalidStateError,
  PROTOCOL_ERROR_CODES,
  ProtocolError,
  type ProtocolErrorCode,
} from "../../src/protocol/errors.ts";

describe("7.4.1. Defined Status Codes (the close code of each violation)", () => {
  it("PROTOCOL_ERROR_CODES maps every violation to its close code", () => {
    assert.deepEqual(PROTOCOL_ERROR_CODES, {
      UNEXPECTED_RSV: 1002,
      RESERVED_OPCODE: 1002,
      MASKED_FRAME: 1002,
      UNMASKED_FRAME: 1002,
      CONTROL_FRAME_TOO_LONG: 1002,
      FRAGMENTED_CONTROL_FRAME: 1002,
      INVALID_PAYLOAD_LENGTH: 1002,
      NON_MINIMAL_LENGTH: 1002,
      UNEXPECTED_CONTINUATION: 1002,
      EXPECTED_CONTINUATION: 1002,
      INVALID_CLOSE_PAYLOAD: 1002,
      INVALID_CLOSE_CODE: 1002,
      INVALID_UTF8: 1007,
      FRAME_TOO_BIG: 1009,
      MESSAGE_TOO_BIG: 1009,
      TOO_MANY_FRAGMENTS: 1009,
      EXTENSION_ERROR: 1002,
      UNEXPECTED_EOF: 1006,
      INVALID_LEGACY_FRAME: 1002,
    });
  });

  it("ProtocolError carries its code, the matching close code and the message", () => {
    for (const code of Object.keys(PROTOCOL_ERROR_CODES) as ProtocolErrorCode[]) {
      const error = new ProtocolError(code, "Cannot parse frame: detail");
      assert.ok(error instanceof Error);
      assert.ok(error instanceof ProtocolError);
      assert.equal(error.name, "ProtocolError");
      assert.equal(error.code, code);
      assert.equal(error.closeCode, PROTOCOL_ERROR_CODES[code]);
      assert.equal(error.message, "Cannot parse frame: detail");
      assert.equal(typeof error.stack, "string");
    }
  });
});

describe("4.1. Client Requirements (refused handshakes)", () => {
  it("HandshakeError carries the status, reason phrase, headers and body of the response", () => {
    const body = new Uint8Array([0x6e, 0x6f]);
    const headers = [["content-type", "text/plain"]] as const;
    const error = new HandshakeError(
      "UNEXPECTED_STATUS",
      "Cannot open connection: the server answered 404 Not Found",
      {
        status: 404,
        statusText: "Not Found",
        headers,
        body,
      },
    );
    assert.ok(error instanceof Error);
    assert.equal(error.name, "HandshakeError");
    assert.equal(error.code, "UNEXPECTED_STATUS");
    assert.equal(error.message, "Cannot open connection: the server answered 404 Not Found");
    assert.equal(error.status, 404);
    assert.equal(error.statusText, "Not Found");
    assert.equal(error.headers, headers);
    assert.equal(error.body, body);
  });

  it("HandshakeError without a response reports status 0, no headers and an empty body", () => {
    const error = new HandshakeError(
      "UNEXPECTED_EOF",
      "Cannot open connection: the server closed the connection",
    );
    assert.equal(error.status, 0);
    assert.equal(error.statusText, "");
    assert.deepEqual(error.headers, []);
    assert.deepEqual(error.body, new Uint8Array(0));
  });
});

describe("5.5.1. Close (local misuse)", () => {
  it("InvalidStateError is an Error named InvalidStateError with the given message", () => {
    const error = new InvalidStateError("Cannot send message: the connection is closing");
    assert.ok(error instanceof Error);
    assert.equal(error.name, "InvalidStateError");
    assert.equal(error.message, "Cannot send message: the connection is closing");
  });
});
