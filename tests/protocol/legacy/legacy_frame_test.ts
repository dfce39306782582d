import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  encodeLegacyText,
  LEGACY_CLOSE_FRAME,
  type LegacyFrame,
  LegacyFrameParser,
} from "../../../src/protocol/legacy/legacy_frame.ts";
import { ProtocolError, type ProtocolErrorCode } from "../../../src/protocol/errors.ts";
import { countElementMoves } from "../../_util/array_moves.ts";
import { concat, splits } from "../../_util/chunking.ts";
import { describeSeedVectors, seedBytes, seedVectors } from "../../_util/seed_vectors.ts";

const hex = (text: string) =>
  new Uint8Array(text.match(/../g)?.map((pair) => parseInt(pair, 16)) ?? []);
const utf8 = (text: string) => new TextEncoder().encode(text);

interface Options {
  readonly maxMessageSize?: number;
  readonly maxFrameSize?: number;
  readonly closeFrame?: boolean;
}

/** Feeds chunks one at a time, reading every frame; stops at the first error. */
function replay(
  chunks: readonly Uint8Array[],
  options: Options = {},
): { frames: LegacyFrame[]; error: unknown } {
  const parser = new LegacyFrameParser({
    maxMessageSize: options.maxMessageSize ?? 1024,
    closeFrame: options.closeFrame ?? true,
    ...(options.maxFrameSize === undefined ? {} : { maxFrameSize: options.maxFrameSize }),
  });
  const frames: LegacyFrame[] = [];
  try {
    for (const chunk of chunks) {
      parser.push(chunk);
      let frame: LegacyFrame | null;
      while ((frame = parser.next()) !== null) frames.push(frame);
    }
  } catch (error) {
    return { frames, error };
  }
  assert.equal(parser.inFrame, false, "a vector ends between frames");
  assert.equal(parser.bufferedAmount, 0);
  return { frames, error: null };
}

const text = (data: string): LegacyFrame => ({ type: "text", data, length: utf8(data).length });
const CLOSE: LegacyFrame = { type: "close" };

interface FrameVector {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly frames: readonly LegacyFrame[];
  readonly closeFrame?: boolean;
}

/** draft-ietf-hybi-00 §4.2 / §5.3 framing, and hixie-75's where it differs. */
const VECTORS: readonly FrameVector[] = [
  { name: 'a text frame "foo"', bytes: hex("00666f6fff"), frames: [text("foo")] },
  { name: "an empty text frame", bytes: hex("00ff"), frames: [text("")] },
  {
    name: "two text frames back to back",
    bytes: hex("00666f6fff006261720aff"),
    frames: [text("foo"), text("bar\n")],
  },
  { name: "a multi-byte code point (U+263A)", bytes: hex("00e298baff"), frames: [text("☺")] },
  {
    name: "4-byte code points",
    bytes: concat(hex("00"), utf8("𝄞😀"), hex("ff")),
    frames: [text("𝄞😀")],
  },
  { name: "hybi-00's close frame 0xFF 0x00", bytes: hex("ff00"), frames: [CLOSE] },
  {
    name: "text, then the close frame",
    bytes: hex("00666f6fffff00"),
    frames: [text("foo"), CLOSE],
  },
  {
    name: "a length-prefixed frame (skipped), then text",
    bytes: hex("8003010203006869ff"),
    frames: [text("hi")],
  },
  {
    name: "a frame with a two-byte length of 128 (skipped)",
    bytes: concat(hex("808100"), new Uint8Array(128).fill(0xff), hex("00ff")),
    frames: [text("")],
  },
  {
    name: "frame type 0xFF with a non-zero length (skipped)",
    bytes: hex("ff02aabb0061ff"),
    frames: [text("a")],
  },
  {
    name: "an empty length-prefixed frame 0x80 0x00 (skipped)",
    bytes: hex("80000061ff"),
    frames: [text("a")],
  },
  {
    name: "hixie-75: 0xFF 0x00 is an empty frame (skipped)",
    bytes: hex("ff000061ff"),
    frames: [text("a")],
    closeFrame: false,
  },
];

describe("LegacyFrameParser (draft-ietf-hybi-00 §4.2, draft-hixie-75 §4.2)", () => {
  for (const vector of VECTORS) {
    describe(`reads ${vector.name}`, () => {
      for (const split of splits(vector.bytes)) {
        it(split.name, () => {
          const { frames, error } = replay(split.chunks, { closeFrame: vector.closeFrame ?? true });
          assert.equal(error, null);
          assert.deepEqual(frames, vector.frames);
        });
      }
    });
  }

  interface ErrorVector {
    readonly name: string;
    readonly bytes: Uint8Array;
    readonly options?: Options;
    readonly frames?: readonly LegacyFrame[];
    readonly code: ProtocolErrorCode;
    readonly closeCode: number;
    readonly message: string;
  }

  const ERRORS: readonly ErrorVector[] = [
    {
      name: "bytes before a frame (the seed skips them)",
      bytes: hex("71776500666f6fff"),
      code: "INVALID_LEGACY_FRAME",
      closeCode: 1002,
      message: "Cannot parse frame: unknown frame type 0x71",
    },
    {
      name: "an RFC 6455 text frame with FIN clear (type 0x01)",
      bytes: hex("0103616263"),
      code: "INVALID_LEGACY_FRAME",
      closeCode: 1002,
      message: "Cannot parse frame: unknown frame type 0x01",
    },
    {
      name: "invalid UTF-8 (0xC3 0x28)",
      bytes: hex("00c328ff"),
      code: "INVALID_UTF8",
      closeCode: 1007,
      message: "Cannot receive message: the text is not valid UTF-8",
    },
    {
      name: "a code point cut by the end of the frame",
      bytes: hex("0061ff00e298ff"),
      frames: [text("a")],
      code: "INVALID_UTF8",
      closeCode: 1007,
      message: "Cannot receive message: the text is not valid UTF-8",
    },
    {
      name: "an encoded surrogate",
      bytes: hex("00eda080ff"),
      code: "INVALID_UTF8",
      closeCode: 1007,
      message: "Cannot receive message: the text is not valid UTF-8",
    },
    {
      name: "a message over maxMessageSize, before its end arrives",
      bytes: hex("0061626364"),
      options: { maxMessageSize: 3 },
      code: "MESSAGE_TOO_BIG",
      closeCode: 1009,
      message: "Cannot receive message: more than 3 bytes",
    },
    {
      name: "a length-prefixed frame over maxFrameSize",
      bytes: hex("800b"),
      options: { maxFrameSize: 10 },
      code: "FRAME_TOO_BIG",
      closeCode: 1009,
      message: "Cannot receive frame: more than 10 bytes",
    },
    {
      name: "a length of more than 8 bytes",
      bytes: hex("808080808080808080"),
      code: "INVALID_LEGACY_FRAME",
      closeCode: 1002,
      message: "Cannot parse frame: the length takes more than 8 bytes",
    },
  ];

  for (const vector of ERRORS) {
    describe(`refuses ${vector.name}`, () => {
      for (const split of splits(vector.bytes)) {
        it(split.name, () => {
          const { frames, error } = replay(split.chunks, vector.options);
          assert.deepEqual(frames, vector.frames ?? []);
          assert.ok(error instanceof ProtocolError);
          assert.equal(error.code, vector.code);
          assert.equal(error.closeCode, vector.closeCode);
          assert.equal(error.message, vector.message);
        });
      }
    });
  }

  it("a message of exactly maxMessageSize is accepted", () => {
    assert.deepEqual(replay([hex("00616263ff")], { maxMessageSize: 3 }).frames, [text("abc")]);
  });

  it("keeps failing with the same error", () => {
    const parser = new LegacyFrameParser({ maxMessageSize: 10, closeFrame: true });
    parser.push(hex("01"));
    assert.throws(() => parser.next(), ProtocolError);
    let first: unknown;
    try {
      parser.next();
    } catch (error) {
      first = error;
    }
    parser.push(hex("0061ff"));
    assert.throws(() => parser.next(), (error) => error === first);
    assert.equal(parser.bufferedAmount, 0);
  });

  it("reports a frame in progress and the bytes it holds", () => {
    const parser = new LegacyFrameParser({ maxMessageSize: 10, closeFrame: true });
    assert.equal(parser.inFrame, false);
    parser.push(hex("0061"));
    assert.equal(parser.bufferedAmount, 2);
    assert.equal(parser.next(), null);
    assert.equal(parser.inFrame, true);
    assert.equal(parser.bufferedAmount, 0);
    parser.push(hex("ff"));
    assert.deepEqual(parser.next(), text("a"));
    assert.equal(parser.inFrame, false);
  });

  it("ignores empty chunks", () => {
    const parser = new LegacyFrameParser({ maxMessageSize: 10, closeFrame: true });
    parser.push(new Uint8Array(0));
    assert.equal(parser.next(), null);
  });

  it("never modifies the chunks it reads", () => {
    const bytes = hex("00666f6fff8003010203ff00");
    const copy = bytes.slice();
    replay([bytes.subarray(0, 3), bytes.subarray(3)]);
    assert.deepEqual(bytes, copy);
  });
});

describe("encodeLegacyText (§4.2: 0x00, UTF-8 text, 0xFF)", () => {
  it("frames text between 0x00 and 0xFF", () => {
    assert.deepEqual(encodeLegacyText(hex("313233")), hex("00313233ff"));
  });

  it("frames an empty message as 0x00 0xFF", () => {
    assert.deepEqual(encodeLegacyText(new Uint8Array(0)), hex("00ff"));
  });

  it("copies, leaving the payload untouched", () => {
    const payload = utf8("hi");
    const frame = encodeLegacyText(payload);
    frame[1] = 0;
    assert.deepEqual(payload, utf8("hi"));
  });

  it("round-trips through the parser", () => {
    const message = "héllo ☺ 𝄞";
    assert.deepEqual(replay([encodeLegacyText(utf8(message))]).frames, [text(message)]);
  });

  it("LEGACY_CLOSE_FRAME is 0xFF 0x00", () => {
    assert.deepEqual(LEGACY_CLOSE_FRAME, hex("ff00"));
  });
});

describeSeedVectors("legacy framing against the seed library's frame vectors", () => {
  for (const vector of seedVectors("frame-encode")) {
    const input = vector.input as {
      version?: string;
      type?: string;
      payload?: string;
      payload_text?: string;
    };
    if (input.version === undefined || input.type === "ping") continue; // ping: a quirk, see legacy_connection_test
    const expected = seedBytes((vector.expect as { bytes: string }).bytes);
    it(`${vector.id}: ${vector.what}`, () => {
      if (input.type === "close") {
        assert.deepEqual(LEGACY_CLOSE_FRAME, expected);
        return;
      }
      const payload = input.payload_text !== undefined
        ? utf8(input.payload_text)
        : hex(input.payload ?? "");
      assert.deepEqual(encodeLegacyText(payload), expected);
      assert.equal(
        replay([expected], { closeFrame: input.version === "draft-ietf-hybi-00" }).frames.length,
        1,
      );
    });
  }

  // frame.decode.hybi00.script, without its bytes between frames ("qwe",
  // "123", "56", "789"), which the seed skips and this parser refuses.
  const script = seedVectors("frame-decode").find((vector) =>
    vector.id === "frame.decode.hybi00.script"
  );
  if (script !== undefined) {
    it(`${script.id}: the frames of the script, at every split`, () => {
      const steps = (script.input as { steps: { append?: string }[] }).steps;
      const appended = steps.flatMap((step) => step.append === undefined ? [] : [step.append]);
      const framesOnly = appended.join("").replace(/^717765/, "").replace("313233", "").replace(
        "3536",
        "",
      )
        .replace("373839", "");
      const bytes = hex(framesOnly);
      const expected = [
        text("foo"),
        text(""),
        CLOSE,
        text("foo"),
        text("foo"),
        text("bar\n"),
        text("foo"),
        text("bar"),
        text("☺"),
      ];
      for (const split of splits(bytes)) {
        // The close frame ends the message stream in a connection; the parser reads on.
        assert.deepEqual(replay(split.chunks).frames, expected, split.name);
      }
    });
  }
});

describe("LegacyFrameParser with many chunks queued", () => {
  it("reads through a thousand queued chunks without moving them (no Array#shift)", () => {
    const parser = new LegacyFrameParser({ maxMessageSize: 4096, closeFrame: true });
    const bytes = encodeLegacyText(utf8("x".repeat(1000)));
    for (const byte of bytes) parser.push(new Uint8Array([byte]));
    let frame: LegacyFrame | null = null;
    const moves = countElementMoves(() => {
      frame = parser.next();
    });
    assert.deepEqual(moves, { shift: 0, unshift: 0, splice: 0, copyWithin: 0 });
    assert.deepEqual(frame, { type: "text", data: "x".repeat(1000), length: 1000 });
    assert.equal(parser.bufferedAmount, 0);
  });
});
