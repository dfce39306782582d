import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TransportError } from "../../src/transport/types.ts";

describe("Transport errors", () => {
  it("TransportError keeps its code, message and the runtime's error as cause", () => {
    const cause = new Error("connect ECONNREFUSED 127.0.0.1:1");
    const error = new TransportError("CONNECT_FAILED", "Cannot connect: connection refused", {
      cause,
    });
    assert.ok(error instanceof Error);
    assert.equal(error.name, "TransportError");
    assert.equal(error.code, "CONNECT_FAILED");
    assert.equal(error.message, "Cannot connect: connection refused");
    assert.equal(error.cause, cause);
  });

  it("TransportError works without a cause", () => {
    const error = new TransportError("UNSUPPORTED", "Cannot connect: not supported here");
    assert.equal(error.cause, undefined);
    assert.equal(error.code, "UNSUPPORTED");
  });
});
