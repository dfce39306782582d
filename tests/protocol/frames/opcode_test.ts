import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isControl, isKnownOpcode, OPCODE } from "../../../src/protocol/frames/opcode.ts";

describe("5.2. Base Framing Protocol", () => {
  it("OPCODE names the six opcodes RFC 6455 defines", () => {
    assert.deepEqual(OPCODE, {
      Continuation: 0x0,
      Text: 0x1,
      Binary: 0x2,
      Close: 0x8,
      Ping: 0x9,
      Pong: 0xa,
    });
  });

  it("isKnownOpcode accepts 0x0, 0x1, 0x2, 0x8, 0x9 and 0xA only", () => {
    const known = [];
    for (let opcode = 0; opcode <= 0xf; opcode++) if (isKnownOpcode(opcode)) known.push(opcode);
    assert.deepEqual(known, [0x0, 0x1, 0x2, 0x8, 0x9, 0xa]);
  });

  it("isKnownOpcode refuses the reserved non-control opcodes 0x3-0x7", () => {
    for (const opcode of [0x3, 0x4, 0x5, 0x6, 0x7]) {
      assert.equal(isKnownOpcode(opcode), false, `0x${opcode.toString(16)}`);
    }
  });

  it("isKnownOpcode refuses the reserved control opcodes 0xB-0xF", () => {
    for (const opcode of [0xb, 0xc, 0xd, 0xe, 0xf]) {
      assert.equal(isKnownOpcode(opcode), false, `0x${opcode.toString(16)}`);
    }
  });
});

describe("5.5. Control Frames", () => {
  it("isControl is true exactly when the most significant opcode bit is set", () => {
    for (let opcode = 0; opcode <= 0xf; opcode++) {
      assert.equal(isControl(opcode), opcode >= 0x8, `0x${opcode.toString(16)}`);
    }
  });

  it("isControl classifies close, ping and pong as control and the data opcodes as not", () => {
    assert.equal(isControl(OPCODE.Close), true);
    assert.equal(isControl(OPCODE.Ping), true);
    assert.equal(isControl(OPCODE.Pong), true);
    assert.equal(isControl(OPCODE.Continuation), false);
    assert.equal(isControl(OPCODE.Text), false);
    assert.equal(isControl(OPCODE.Binary), false);
  });
});
