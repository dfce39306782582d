import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ProtocolError } from "../../../src/protocol/errors.ts";
import { DEFAULT_LIMITS } from "../../../src/protocol/connection/connection.ts";
import type { NegotiatedExtension } from "../../../src/protocol/extensions/extension.ts";
import type { Frame } from "../../../src/protocol/frames/frame.ts";
import { FrameParser } from "../../../src/protocol/frames/frame_parser.ts";
import {
  concat,
  type Message,
  MessageAssembler,
} from "../../../src/protocol/messages/message_assembler.ts";
import {
  FRAME_VECTORS,
  isMaskedVector,
  MESSAGE_VIOLATIONS,
  utf8,
  vectorSplits,
  type ViolationVector,
} from "../../vectors/frames.ts";
import {
  INVALID_FRAGMENTED_UTF8,
  INVALID_UTF8,
  UTF8_VECTORS,
  VALID_UTF8,
} from "../../vectors/utf8.ts";

const DEFAULT_MAX = 64 * 1024 * 1024;

interface Limits {
  maxFrameSize?: number;
  maxMessageSize?: number;
  maxFragments?: number;
}

/** The receive path below the connection: frame parser, header hook and assembler. */
function receive(chunks: readonly Uint8Array[], limits: Limits = {}, expectMask = false) {
  const maxMessageSize = limits.maxMessageSize ?? DEFAULT_MAX;
  const assembler = new MessageAssembler({
    maxMessageSize,
    maxFragments: limits.maxFragments ?? 65536,
  });
  const parser = new FrameParser({
    maxFrameSize: limits.maxFrameSize ?? maxMessageSize,
    expectMask,
    checkHeader: (fin, rsv, opcode, length) => assembler.checkHeader(fin, rsv, opcode, length),
  });
  let frames = 0;
  const messages: Message[] = [];
  try {
    for (const chunk of chunks) {
      parser.push(chunk);
      for (let frame = parser.next(); frame !== null; frame = parser.next()) {
        if (frame.opcode < 0x8) {
          const message = assembler.push(frame);
          if (message !== null) messages.push(message);
        }
        frames++;
      }
    }
  } catch (error) {
    return { frames, messages, error };
  }
  return { frames, messages, error: null as unknown };
}

function assertViolation(
  error: unknown,
  vector: Pick<ViolationVector, "code" | "closeCode" | "message">,
  where = "",
): void {
  assert.ok(
    error instanceof ProtocolError,
    `${where}: expected a ProtocolError, got ${String(error)}`,
  );
  assert.equal(error.name, "ProtocolError");
  assert.equal(error.code, vector.code, where);
  assert.equal(error.closeCode, vector.closeCode, where);
  assert.equal(error.message, vector.message, where);
}

const INVALID_TEXT = {
  code: "INVALID_UTF8",
  closeCode: 1007,
  message: "Cannot parse message: the text is not valid UTF-8",
} as const;

function frame(opcode: number, payload: ArrayLike<number>, fin = true, rsv = 0): Frame {
  return { fin, rsv, opcode, payload: new Uint8Array(payload) };
}

/** Feeds one frame the way the connection does: header check, then push. */
function feed(assembler: MessageAssembler, f: Frame): Message | null {
  assembler.checkHeader(f.fin, f.rsv, f.opcode, f.payload.length);
  return assembler.push(f);
}

function plainMessage(message: Message): unknown {
  return typeof message === "string" ? message : [...message];
}

describe("5.4. Fragmentation", () => {
  for (const vector of FRAME_VECTORS) {
    it(`MessageAssembler assembles the messages of ${vector.name} identically at every split`, () => {
      const expected: unknown[] = [];
      let parts: number[] = [];
      let opcode = 0;
      for (const f of vector.frames) {
        if (f.opcode >= 0x8) continue;
        if (f.opcode !== 0) opcode = f.opcode;
        parts.push(...f.payload);
        if (f.fin) {
          expected.push(opcode === 1 ? new TextDecoder().decode(new Uint8Array(parts)) : parts);
          parts = [];
        }
      }
      for (const split of vectorSplits(vector.bytes)) {
        const { messages, error } = receive(split.chunks, {}, isMaskedVector(vector));
        assert.equal(error, null, split.name);
        if (vector.bytes.length > 4096) {
          assert.equal(messages.length, expected.length, split.name);
        } else {
          assert.deepEqual(messages.map(plainMessage), expected, split.name);
        }
      }
    });
  }

  for (const vector of MESSAGE_VIOLATIONS) {
    it(`MessageAssembler refuses ${vector.name} (${vector.code}) identically at every split`, () => {
      for (const split of vectorSplits(vector.bytes)) {
        const { frames, error } = receive(split.chunks, vector.limits);
        assertViolation(error, vector, split.name);
        assert.equal(frames, vector.framesBefore, split.name);
      }
    });
  }

  it("MessageAssembler returns a single-frame binary message as the frame's payload itself", () => {
    const assembler = new MessageAssembler({ maxMessageSize: 100, maxFragments: 10 });
    const f = frame(0x2, [1, 2, 3]);
    assert.equal(feed(assembler, f), f.payload);
  });

  it("MessageAssembler joins the fragments of a binary message", () => {
    const assembler = new MessageAssembler({ maxMessageSize: 100, maxFragments: 10 });
    assert.equal(feed(assembler, frame(0x2, [1], false)), null);
    assert.equal(assembler.inMessage, true);
    assert.equal(feed(assembler, frame(0x0, [], false)), null);
    assert.equal(feed(assembler, frame(0x0, [2, 3], false)), null);
    assert.deepEqual(feed(assembler, frame(0x0, [4])), new Uint8Array([1, 2, 3, 4]));
    assert.equal(assembler.inMessage, false);
  });

  it("MessageAssembler accepts a fragmented message that ends with an empty final fragment", () => {
    const assembler = new MessageAssembler({ maxMessageSize: 100, maxFragments: 10 });
    assert.equal(feed(assembler, frame(0x1, utf8("hi"), false)), null);
    assert.equal(feed(assembler, frame(0x0, [])), "hi");
  });

  it("MessageAssembler reports an empty message made of empty fragments", () => {
    const assembler = new MessageAssembler({ maxMessageSize: 100, maxFragments: 10 });
    assert.equal(feed(assembler, frame(0x1, [], false)), null);
    assert.equal(feed(assembler, frame(0x0, [])), "");
    assert.equal(feed(assembler, frame(0x2, [], false)), null);
    assert.deepEqual(feed(assembler, frame(0x0, [])), new Uint8Array(0));
  });

  it("MessageAssembler lets control frames pass its header check in the middle of a fragmented message", () => {
    const assembler = new MessageAssembler({ maxMessageSize: 100, maxFragments: 2 });
    feed(assembler, frame(0x1, utf8("a"), false));
    for (const opcode of [0x8, 0x9, 0xa]) assembler.checkHeader(true, 0, opcode, 125);
    assert.equal(feed(assembler, frame(0x0, utf8("b"))), "ab");
  });

  it("MessageAssembler starts a new message after a fragmented one completes", () => {
    const assembler = new MessageAssembler({ maxMessageSize: 4, maxFragments: 2 });
    feed(assembler, frame(0x2, [1, 2], false));
    assert.deepEqual(feed(assembler, frame(0x0, [3, 4])), new Uint8Array([1, 2, 3, 4]));
    // The size and fragment counters start again from zero.
    feed(assembler, frame(0x1, utf8("ab"), false));
    assert.equal(feed(assembler, frame(0x0, utf8("cd"))), "abcd");
  });

  it("concat returns the only part itself, and joins several parts into a new array", () => {
    const only = new Uint8Array([1, 2]);
    assert.equal(concat([only]), only);
    assert.deepEqual(concat([]), new Uint8Array(0));
    assert.deepEqual(
      concat([new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3])]),
      new Uint8Array([1, 2, 3]),
    );
  });
});

describe("10.4. Implementation-Specific Limits", () => {
  it("MessageAssembler accepts a message of exactly maxMessageSize bytes, in one frame or several", () => {
    const assembler = new MessageAssembler({ maxMessageSize: 4, maxFragments: 10 });
    assert.deepEqual(feed(assembler, frame(0x2, [1, 2, 3, 4])), new Uint8Array([1, 2, 3, 4]));
    feed(assembler, frame(0x2, [1, 2], false));
    assert.deepEqual(feed(assembler, frame(0x0, [3, 4])), new Uint8Array([1, 2, 3, 4]));
  });

  it("MessageAssembler refuses the frame that takes a message over maxMessageSize from its header", () => {
    const assembler = new MessageAssembler({ maxMessageSize: 4, maxFragments: 10 });
    feed(assembler, frame(0x2, [1, 2, 3], false));
    assert.throws(() => assembler.checkHeader(true, 0, 0x0, 2), {
      name: "ProtocolError",
      code: "MESSAGE_TOO_BIG",
      closeCode: 1009,
      message: "Cannot parse message: more than the limit of 4 bytes",
    });
  });

  it("MessageAssembler accepts exactly maxFragments fragments and refuses one more", () => {
    const assembler = new MessageAssembler({ maxMessageSize: 100, maxFragments: 3 });
    feed(assembler, frame(0x2, [1], false));
    feed(assembler, frame(0x0, [2], false));
    assert.deepEqual(feed(assembler, frame(0x0, [3])), new Uint8Array([1, 2, 3]));
    feed(assembler, frame(0x2, [1], false));
    feed(assembler, frame(0x0, [2], false));
    feed(assembler, frame(0x0, [3], false));
    assert.throws(() => assembler.checkHeader(true, 0, 0x0, 1), {
      name: "ProtocolError",
      code: "TOO_MANY_FRAGMENTS",
      closeCode: 1009,
      message: "Cannot parse message: more than the limit of 3 fragments",
    });
  });

  it("MessageAssembler caps empty fragments at maxFragments, apart from the non-empty ones", () => {
    const assembler = new MessageAssembler({ maxMessageSize: 100, maxFragments: 2 });
    feed(assembler, frame(0x2, [], false));
    feed(assembler, frame(0x0, [1], false));
    feed(assembler, frame(0x0, [], false));
    feed(assembler, frame(0x0, [2], false));
    assert.throws(() => assembler.checkHeader(false, 0, 0x0, 0), {
      name: "ProtocolError",
      code: "TOO_MANY_FRAGMENTS",
      closeCode: 1009,
      message: "Cannot parse message: more than the limit of 2 empty fragments",
    });
    assert.throws(() => assembler.checkHeader(false, 0, 0x0, 1), {
      message: "Cannot parse message: more than the limit of 2 fragments",
    });
  });

  it("MessageAssembler accepts 4 MiB in 65536 fragments of 64 bytes ended by an empty final frame, under the defaults", () => {
    const assembler = new MessageAssembler({
      maxMessageSize: DEFAULT_LIMITS.maxMessageSize,
      maxFragments: DEFAULT_LIMITS.maxFragments,
    });
    const payload = new Uint8Array(64).fill(7);
    for (let i = 0; i < 65536; i++) {
      assert.equal(feed(assembler, frame(i === 0 ? 0x2 : 0x0, payload, false)), null);
    }
    const message = feed(assembler, frame(0x0, [], true));
    assert.ok(message instanceof Uint8Array);
    assert.equal(message.length, 4 * 1024 * 1024);
    assert.equal(message[message.length - 1], 7);
  });
});

describe("5.6. Data Frames / 8.1. Handling Errors in UTF-8-Encoded Data", () => {
  for (const vector of VALID_UTF8) {
    it(`MessageAssembler decodes ${vector.name} sent as ${vector.fragments.length} fragment(s)`, () => {
      const assembler = new MessageAssembler({ maxMessageSize: 1000, maxFragments: 100 });
      const last = vector.fragments.length - 1;
      vector.fragments.forEach((payload, index) => {
        const result = feed(assembler, frame(index === 0 ? 0x1 : 0x0, payload, index === last));
        assert.equal(result, index === last ? vector.text : null, `fragment ${index}`);
      });
    });
  }

  for (const vector of [...INVALID_UTF8, ...INVALID_FRAGMENTED_UTF8]) {
    const failsAt = Math.min(vector.failsAt!, vector.fragments.length - 1);
    it(`MessageAssembler refuses ${vector.name} on fragment ${failsAt}, before any later fragment`, () => {
      const assembler = new MessageAssembler({ maxMessageSize: 1000, maxFragments: 100 });
      const last = vector.fragments.length - 1;
      vector.fragments.forEach((payload, index) => {
        if (index > failsAt) return;
        const f = frame(index === 0 ? 0x1 : 0x0, payload, index === last);
        if (index < failsAt) {
          assert.equal(feed(assembler, f), null, `fragment ${index}`);
        } else {
          assert.throws(() => feed(assembler, f), (error) => {
            assertViolation(error, INVALID_TEXT, `fragment ${index}`);
            return true;
          });
        }
      });
    });
  }

  for (const vector of UTF8_VECTORS) {
    it(`MessageAssembler gives the same verdict on ${vector.name} sent as a single frame`, () => {
      const assembler = new MessageAssembler({ maxMessageSize: 1000, maxFragments: 100 });
      const f = frame(0x1, vector.fragments.flat());
      if (vector.text === null) {
        assert.throws(() => feed(assembler, f), (error) => {
          assertViolation(error, INVALID_TEXT);
          return true;
        });
      } else {
        assert.equal(feed(assembler, f), vector.text);
      }
    });
  }

  it("MessageAssembler does not validate binary messages as UTF-8", () => {
    const assembler = new MessageAssembler({ maxMessageSize: 100, maxFragments: 10 });
    assert.deepEqual(feed(assembler, frame(0x2, [0xff, 0xfe])), new Uint8Array([0xff, 0xfe]));
    feed(assembler, frame(0x2, [0xc0], false));
    assert.deepEqual(feed(assembler, frame(0x0, [0xaf])), new Uint8Array([0xc0, 0xaf]));
  });

  it("MessageAssembler accepts a new message after refusing invalid text", () => {
    const assembler = new MessageAssembler({ maxMessageSize: 100, maxFragments: 10 });
    assert.throws(() => feed(assembler, frame(0x1, [0x61, 0xff], false)), { code: "INVALID_UTF8" });
    assert.equal(assembler.inMessage, false);
    assert.equal(feed(assembler, frame(0x1, utf8("ok"))), "ok");
  });
});

/** A test extension owning RSV1: its encoding reverses the bytes. */
function reverser(rsv = 0x4, name = "x-reverse"): NegotiatedExtension {
  return {
    name,
    params: [],
    rsv,
    decode: (payload) => payload.slice().reverse(),
    encode: (payload) => ({ payload: payload.slice().reverse(), rsv }),
  };
}

describe("5.2. Base Framing Protocol (RSV bits and extensions)", () => {
  it("MessageAssembler refuses RSV bits when no extension is negotiated", () => {
    const assembler = new MessageAssembler({ maxMessageSize: 100, maxFragments: 10 });
    for (const [rsv, bits] of [[4, "100"], [2, "010"], [1, "001"], [6, "110"]] as const) {
      assert.throws(() => assembler.checkHeader(true, rsv, 0x2, 0), {
        name: "ProtocolError",
        code: "UNEXPECTED_RSV",
        closeCode: 1002,
        message: `Cannot parse frame: unexpected RSV bits 0b${bits}`,
      });
    }
  });

  it("MessageAssembler accepts the RSV bit of a negotiated extension on the first frame of a message and decodes it", () => {
    const assembler = new MessageAssembler({
      maxMessageSize: 100,
      maxFragments: 10,
      extensions: [reverser()],
    });
    assert.deepEqual(feed(assembler, frame(0x2, [1, 2, 3], true, 0x4)), new Uint8Array([3, 2, 1]));
    assert.equal(feed(assembler, frame(0x1, utf8("cba"), true, 0x4)), "abc");
    // A frame without the bit is not decoded.
    assert.equal(feed(assembler, frame(0x1, utf8("cba"))), "cba");
  });

  it("MessageAssembler decodes a fragmented extension message once, after its last fragment", () => {
    const assembler = new MessageAssembler({
      maxMessageSize: 100,
      maxFragments: 10,
      extensions: [reverser()],
    });
    assert.equal(feed(assembler, frame(0x1, utf8("ol"), false, 0x4)), null);
    assert.equal(feed(assembler, frame(0x0, utf8("leh"))), "hello");
  });

  it("MessageAssembler validates extension-encoded text after decoding, not fragment by fragment", () => {
    // The encoded bytes are invalid UTF-8 in the wire order, valid once reversed.
    const assembler = new MessageAssembler({
      maxMessageSize: 100,
      maxFragments: 10,
      extensions: [reverser()],
    });
    assert.equal(feed(assembler, frame(0x1, [0xa9], false, 0x4)), null);
    assert.equal(feed(assembler, frame(0x0, [0xc3])), "\u00e9");
    assert.throws(() => feed(assembler, frame(0x1, [0xc3, 0xa9], true, 0x4)), (error) => {
      assertViolation(error, INVALID_TEXT);
      return true;
    });
  });

  it("MessageAssembler refuses an extension's RSV bit on a continuation frame (RFC 7692 §6)", () => {
    const assembler = new MessageAssembler({
      maxMessageSize: 100,
      maxFragments: 10,
      extensions: [reverser()],
    });
    feed(assembler, frame(0x2, [1], false, 0x4));
    assert.throws(() => assembler.checkHeader(true, 0x4, 0x0, 1), {
      name: "ProtocolError",
      code: "UNEXPECTED_RSV",
      closeCode: 1002,
      message: "Cannot parse frame: unexpected RSV bits 0b100",
    });
  });

  it("MessageAssembler refuses an extension's RSV bit on a control frame", () => {
    const assembler = new MessageAssembler({
      maxMessageSize: 100,
      maxFragments: 10,
      extensions: [reverser()],
    });
    for (const opcode of [0x8, 0x9, 0xa]) {
      assert.throws(() => assembler.checkHeader(true, 0x4, opcode, 0), { code: "UNEXPECTED_RSV" });
    }
  });

  it("MessageAssembler refuses an RSV bit no negotiated extension owns", () => {
    const assembler = new MessageAssembler({
      maxMessageSize: 100,
      maxFragments: 10,
      extensions: [reverser()],
    });
    assert.throws(() => assembler.checkHeader(true, 0x4 | 0x2, 0x1, 0), {
      name: "ProtocolError",
      code: "UNEXPECTED_RSV",
      closeCode: 1002,
      message: "Cannot parse frame: unexpected RSV bits 0b110",
    });
  });

  it("MessageAssembler applies extensions in reverse order of negotiation, skipping those whose bit is clear", () => {
    const order: string[] = [];
    const tagger = (name: string, rsv: number): NegotiatedExtension => ({
      name,
      params: [],
      rsv,
      decode: (payload) => {
        order.push(name);
        return concat([payload, utf8(name)]);
      },
      encode: (payload) => ({ payload, rsv }),
    });
    const assembler = new MessageAssembler({
      maxMessageSize: 100,
      maxFragments: 10,
      extensions: [tagger("a", 0x4), tagger("b", 0x2), tagger("c", 0x1)],
    });
    assert.equal(feed(assembler, frame(0x1, utf8(">"), true, 0x4 | 0x1)), ">ca");
    assert.deepEqual(order, ["c", "a"]);
  });

  it("MessageAssembler refuses a message larger than maxMessageSize once decoded", () => {
    const inflater: NegotiatedExtension = {
      name: "x-inflate",
      params: [],
      rsv: 0x4,
      decode: (payload) => new Uint8Array(payload.length * 10),
      encode: (payload) => ({ payload, rsv: 0x4 }),
    };
    const assembler = new MessageAssembler({
      maxMessageSize: 50,
      maxFragments: 10,
      extensions: [inflater],
    });
    assert.throws(() => feed(assembler, frame(0x2, new Uint8Array(6), true, 0x4)), {
      name: "ProtocolError",
      code: "MESSAGE_TOO_BIG",
      closeCode: 1009,
      message: "Cannot parse message: more than the limit of 50 bytes once decoded",
    });
  });

  it("MessageAssembler lets an extension's EXTENSION_ERROR through", () => {
    const refusal = new ProtocolError("EXTENSION_ERROR", "Cannot decompress message: invalid data");
    const broken: NegotiatedExtension = {
      name: "x-broken",
      params: [],
      rsv: 0x4,
      decode: () => {
        throw refusal;
      },
      encode: (payload) => ({ payload, rsv: 0x4 }),
    };
    const assembler = new MessageAssembler({
      maxMessageSize: 50,
      maxFragments: 10,
      extensions: [broken],
    });
    assert.throws(() => feed(assembler, frame(0x2, [1], true, 0x4)), (error) => error === refusal);
    assert.equal(refusal.closeCode, 1002);
  });
});

describe("10.4. Implementation-Specific Limits (memory held by fragments)", () => {
  it("MessageAssembler copies a fragment that is a small view of a large chunk, so the chunk is not kept", () => {
    const assembler = new MessageAssembler({ maxMessageSize: 1024, maxFragments: 16 });
    const chunk = new Uint8Array(64 * 1024);
    chunk.set([1, 2], 100);
    chunk.set([3], 200);
    assembler.checkHeader(false, 0, 0x2, 2);
    assert.equal(
      assembler.push({ fin: false, rsv: 0, opcode: 0x2, payload: chunk.subarray(100, 102) }),
      null,
    );
    chunk.fill(0); // the caller may reuse its chunk: the fragment was copied
    assembler.checkHeader(true, 0, 0x0, 1);
    const message = assembler.push({
      fin: true,
      rsv: 0,
      opcode: 0x0,
      payload: new Uint8Array([3]),
    });
    assert.deepEqual(message, new Uint8Array([1, 2, 3]));
    assert.ok(message instanceof Uint8Array && message.buffer.byteLength === 3);
  });

  it("MessageAssembler keeps a fragment that fills most of its buffer as it is", () => {
    const assembler = new MessageAssembler({ maxMessageSize: 1024, maxFragments: 16 });
    const whole = new Uint8Array([7, 8, 9]);
    assembler.checkHeader(false, 0, 0x2, 3);
    assembler.push({ fin: false, rsv: 0, opcode: 0x2, payload: whole });
    assembler.checkHeader(true, 0, 0x0, 0);
    const message = assembler.push({ fin: true, rsv: 0, opcode: 0x0, payload: new Uint8Array(0) });
    assert.equal(message, whole);
  });
});
