import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  canSendControl,
  canSendData,
  type ConnectionState,
  expectsClose,
} from "../../../src/protocol/connection/state.ts";

const STATES: readonly ConnectionState[] = ["connecting", "open", "closing", "closed"];

describe("4.1. Client Requirements / 7.1. Definitions (connection state)", () => {
  it("canSendData is true only when the connection is open", () => {
    assert.deepEqual(STATES.map(canSendData), [false, true, false, false]);
  });

  it("canSendControl is true when open or closing, until our close frame was sent", () => {
    assert.deepEqual(STATES.map((state) => canSendControl(state, false)), [
      false,
      true,
      true,
      false,
    ]);
    assert.deepEqual(STATES.map((state) => canSendControl(state, true)), [
      false,
      false,
      false,
      false,
    ]);
  });

  it("expectsClose is true once closed, once our close frame is out, or whenever the connection failed", () => {
    assert.deepEqual(STATES.map((state) => expectsClose(state, false, false)), [
      false,
      false,
      false,
      true,
    ]);
    assert.deepEqual(STATES.map((state) => expectsClose(state, false, true)), [
      true,
      true,
      true,
      true,
    ]);
    assert.deepEqual(STATES.map((state) => expectsClose(state, true, false)), [
      true,
      true,
      true,
      true,
    ]);
  });
});
