/**
 * Frame vectors (RFC 6455 §5): the §5.7 examples, boundary payload lengths,
 * and every header violation with the error it must produce.
 *
 * The bytes are written out by hand (or from a naive formula for long
 * payloads), never produced by the encoder under test, so that encoding and
 * parsing are both checked against the same independent data.
 *
 * @module
 */

import type { ProtocolErrorCode } from "../../src/protocol/errors.ts";
import { type Split, splits } from "../_util/chunking.ts";
import { RFC_MASK } from "../_util/fixed_random.ts";

/** A frame as the parser returns it and the encoder takes it. */
export interface FrameSpec {
  readonly fin: boolean;
  readonly rsv: number;
  readonly opcode: number;
  readonly payload: Uint8Array;
}

/** Bytes that parse into frames without error. */
export interface FrameVector {
  /** What the case shows. */
  readonly name: string;
  /** The RFC 6455 section it comes from or checks. */
  readonly section: string;
  /** The bytes on the wire. */
  readonly bytes: Uint8Array;
  /** The frames they hold, payloads unmasked. */
  readonly frames: readonly FrameSpec[];
  /**
   * The masking key of every frame (client to server: the parser must
   * expect masks), or `null` for unmasked frames (server to client).
   */
  readonly mask: readonly number[] | null;
}

/** Bytes that break a rule of RFC 6455 §5 or a limit of §10.4. */
export interface ViolationVector {
  /** What the case shows. */
  readonly name: string;
  /** The RFC 6455 section of the rule. */
  readonly section: string;
  /**
   * The layer that detects it: `frame` is the frame parser alone, `message`
   * needs the message assembler's header check or UTF-8 check, `close`
   * needs the close payload decoder (the connection).
   */
  readonly layer: "frame" | "message" | "close";
  /** The bytes on the wire; they may go on past the violation. */
  readonly bytes: Uint8Array;
  /** How many valid frames come before the violation. */
  readonly framesBefore: number;
  /** `true` when the bytes come from a client (a server-side parser). */
  readonly fromClient?: boolean;
  /** Limits for the case. */
  readonly limits?: {
    readonly maxFrameSize?: number;
    readonly maxMessageSize?: number;
    readonly maxFragments?: number;
  };
  /** The expected `ProtocolError.code`. */
  readonly code: ProtocolErrorCode;
  /** The expected `ProtocolError.closeCode`, the code of the failing close frame. */
  readonly closeCode: number;
  /** The expected `ProtocolError.message`. */
  readonly message: string;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A payload of `length` bytes, `i & 0xff` at index `i`. */
export function patternPayload(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = i & 0xff;
  return bytes;
}

/** Joins byte lists. */
export function bytes(...parts: ReadonlyArray<ArrayLike<number>>): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const result = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}

/** A naive XOR with the key, for building masked vectors independently of `mask.ts`. */
export function naiveMask(payload: ArrayLike<number>, key: readonly number[]): Uint8Array {
  const out = new Uint8Array(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = payload[i]! ^ key[i % 4]!;
  return out;
}

/** The minimal length field of §5.2, with the MASK bit when `masked`. */
function lengthField(length: number, masked: boolean): number[] {
  const bit = masked ? 0x80 : 0;
  if (length < 126) return [bit | length];
  if (length < 65536) return [bit | 126, length >> 8, length & 0xff];
  const high = Math.floor(length / 2 ** 32);
  return [
    bit | 127,
    0,
    0,
    (high >> 8) & 0xff,
    high & 0xff,
    (length >>> 24) & 0xff,
    (length >>> 16) & 0xff,
    (length >>> 8) & 0xff,
    length & 0xff,
  ];
}

function frame(opcode: number, payload: Uint8Array, fin = true, rsv = 0): FrameSpec {
  return { fin, rsv, opcode, payload };
}

function unmasked(spec: FrameSpec): Uint8Array {
  const b0 = (spec.fin ? 0x80 : 0) | (spec.rsv << 4) | spec.opcode;
  return bytes([b0], lengthField(spec.payload.length, false), spec.payload);
}

function masked(spec: FrameSpec, key: readonly number[]): Uint8Array {
  const b0 = (spec.fin ? 0x80 : 0) | (spec.rsv << 4) | spec.opcode;
  return bytes([b0], lengthField(spec.payload.length, true), key, naiveMask(spec.payload, key));
}

const HELLO = utf8("Hello");

/** RFC 6455 §5.7 "Examples", byte for byte. */
export const RFC_EXAMPLES: readonly FrameVector[] = [
  {
    name: "a single-frame unmasked text message",
    section: "5.7",
    bytes: new Uint8Array([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]),
    frames: [frame(0x1, HELLO)],
    mask: null,
  },
  {
    name: "a single-frame masked text message",
    section: "5.7",
    bytes: new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]),
    frames: [frame(0x1, HELLO)],
    mask: RFC_MASK,
  },
  {
    name: "a fragmented unmasked text message",
    section: "5.7",
    bytes: new Uint8Array([0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]),
    frames: [frame(0x1, utf8("Hel"), false), frame(0x0, utf8("lo"))],
    mask: null,
  },
  {
    name: "an unmasked ping",
    section: "5.7",
    bytes: new Uint8Array([0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]),
    frames: [frame(0x9, HELLO)],
    mask: null,
  },
  {
    name: "a masked ping",
    section: "5.7",
    bytes: new Uint8Array([0x89, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]),
    frames: [frame(0x9, HELLO)],
    mask: RFC_MASK,
  },
  {
    name: "a masked pong",
    section: "5.7",
    bytes: new Uint8Array([0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]),
    frames: [frame(0xa, HELLO)],
    mask: RFC_MASK,
  },
  {
    name: "a 256-byte unmasked binary message",
    section: "5.7",
    bytes: bytes([0x82, 0x7e, 0x01, 0x00], patternPayload(256)),
    frames: [frame(0x2, patternPayload(256))],
    mask: null,
  },
  {
    name: "a 64 KiB unmasked binary message",
    section: "5.7",
    bytes: bytes([0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00], patternPayload(65536)),
    frames: [frame(0x2, patternPayload(65536))],
    mask: null,
  },
];

/** The payload lengths at the edges of the 7-bit, 16-bit and 64-bit length forms (§5.2). */
export const BOUNDARY_LENGTHS: readonly number[] = [0, 1, 125, 126, 127, 65535, 65536];

/** One binary frame per boundary length, unmasked and masked with the RFC key. */
export const LENGTH_VECTORS: readonly FrameVector[] = BOUNDARY_LENGTHS.flatMap((length) => {
  const spec = frame(0x2, patternPayload(length));
  return [
    {
      name: `an unmasked binary frame of ${length} bytes`,
      section: "5.2",
      bytes: unmasked(spec),
      frames: [spec],
      mask: null,
    },
    {
      name: `a masked binary frame of ${length} bytes`,
      section: "5.2",
      bytes: masked(spec, RFC_MASK),
      frames: [spec],
      mask: RFC_MASK,
    },
  ];
});

/** Other valid sequences: control frames between fragments, close frames, empty frames. */
export const OTHER_VECTORS: readonly FrameVector[] = [
  {
    name: "a ping between the fragments of a text message",
    section: "5.4",
    bytes: new Uint8Array([0x01, 0x03, 0x48, 0x65, 0x6c, 0x89, 0x00, 0x80, 0x02, 0x6c, 0x6f]),
    frames: [frame(0x1, utf8("Hel"), false), frame(0x9, new Uint8Array(0)), frame(0x0, utf8("lo"))],
    mask: null,
  },
  {
    name: "an empty close frame",
    section: "5.5.1",
    bytes: new Uint8Array([0x88, 0x00]),
    frames: [frame(0x8, new Uint8Array(0))],
    mask: null,
  },
  {
    name: "a close frame with code 1000 and a reason",
    section: "5.5.1",
    bytes: bytes([0x88, 0x05, 0x03, 0xe8], utf8("bye")),
    frames: [frame(0x8, bytes([0x03, 0xe8], utf8("bye")))],
    mask: null,
  },
  {
    name: "a ping with the largest control payload, 125 bytes",
    section: "5.5",
    bytes: unmasked(frame(0x9, patternPayload(125))),
    frames: [frame(0x9, patternPayload(125))],
    mask: null,
  },
  {
    name: "a binary message in three fragments with an empty middle one",
    section: "5.4",
    bytes: new Uint8Array([0x02, 0x01, 0x01, 0x00, 0x00, 0x80, 0x01, 0x02]),
    frames: [
      frame(0x2, new Uint8Array([1]), false),
      frame(0x0, new Uint8Array(0), false),
      frame(0x0, new Uint8Array([2])),
    ],
    mask: null,
  },
  {
    name: "two masked frames with different keys",
    section: "5.3",
    bytes: bytes(
      masked(frame(0x1, utf8("ab")), [1, 2, 3, 4]),
      masked(frame(0x2, patternPayload(7)), [0xff, 0x00, 0xaa, 0x55]),
    ),
    frames: [frame(0x1, utf8("ab")), frame(0x2, patternPayload(7))],
    mask: null, // two keys: not re-encodable with one mask, parsed with expectMask
  },
];

/** Every valid vector. */
export const FRAME_VECTORS: readonly FrameVector[] = [
  ...RFC_EXAMPLES,
  ...LENGTH_VECTORS,
  ...OTHER_VECTORS,
];

/** Whether a vector's frames are masked (client to server). */
export function isMaskedVector(vector: FrameVector): boolean {
  return vector.mask !== null || vector.name === "two masked frames with different keys";
}

const RESERVED_OPCODES = [0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf];

/** §5.2 / §5.5: violations the frame parser detects alone, from the header. */
export const FRAME_VIOLATIONS: readonly ViolationVector[] = [
  ...RESERVED_OPCODES.map((opcode): ViolationVector => ({
    name: `a reserved opcode 0x${opcode.toString(16)}`,
    section: "5.2",
    layer: "frame",
    bytes: new Uint8Array([0x80 | opcode, 0x01, 0x00]),
    framesBefore: 0,
    code: "RESERVED_OPCODE",
    closeCode: 1002,
    message: `Cannot parse frame: reserved opcode 0x${opcode.toString(16)}`,
  })),
  {
    name: "a reserved opcode after a valid frame",
    section: "5.2",
    layer: "frame",
    bytes: new Uint8Array([0x81, 0x01, 0x61, 0x83, 0x00, 0x81, 0x01, 0x62]),
    framesBefore: 1,
    code: "RESERVED_OPCODE",
    closeCode: 1002,
    message: "Cannot parse frame: reserved opcode 0x3",
  },
  {
    name: "a masked frame from the server",
    section: "5.1",
    layer: "frame",
    bytes: new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]),
    framesBefore: 0,
    code: "MASKED_FRAME",
    closeCode: 1002,
    message: "Cannot parse frame: a server frame is masked",
  },
  {
    name: "an unmasked frame from the client",
    section: "5.1",
    layer: "frame",
    bytes: new Uint8Array([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]),
    framesBefore: 0,
    fromClient: true,
    code: "UNMASKED_FRAME",
    closeCode: 1002,
    message: "Cannot parse frame: a client frame is not masked",
  },
  {
    name: "a ping of 126 bytes",
    section: "5.5",
    layer: "frame",
    bytes: bytes([0x89, 0x7e, 0x00, 0x7e], patternPayload(126)),
    framesBefore: 0,
    code: "CONTROL_FRAME_TOO_LONG",
    closeCode: 1002,
    message: "Cannot parse frame: a control frame is longer than 125 bytes",
  },
  {
    name: "a close frame of 126 bytes",
    section: "5.5",
    layer: "frame",
    bytes: bytes([0x88, 0x7e, 0x00, 0x7e, 0x03, 0xe8], patternPayload(124)),
    framesBefore: 0,
    code: "CONTROL_FRAME_TOO_LONG",
    closeCode: 1002,
    message: "Cannot parse frame: a control frame is longer than 125 bytes",
  },
  {
    name: "a pong with a 64-bit length",
    section: "5.5",
    layer: "frame",
    bytes: new Uint8Array([0x8a, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]),
    framesBefore: 0,
    code: "CONTROL_FRAME_TOO_LONG",
    closeCode: 1002,
    message: "Cannot parse frame: a control frame is longer than 125 bytes",
  },
  {
    name: "a fragmented ping",
    section: "5.5",
    layer: "frame",
    bytes: new Uint8Array([0x09, 0x00, 0x80, 0x00]),
    framesBefore: 0,
    code: "FRAGMENTED_CONTROL_FRAME",
    closeCode: 1002,
    message: "Cannot parse frame: a control frame has FIN clear",
  },
  {
    name: "a fragmented close frame",
    section: "5.5",
    layer: "frame",
    bytes: new Uint8Array([0x08, 0x02, 0x03, 0xe8]),
    framesBefore: 0,
    code: "FRAGMENTED_CONTROL_FRAME",
    closeCode: 1002,
    message: "Cannot parse frame: a control frame has FIN clear",
  },
  {
    name: "a 64-bit length with its most significant bit set",
    section: "5.2",
    layer: "frame",
    bytes: new Uint8Array([0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0]),
    framesBefore: 0,
    code: "INVALID_PAYLOAD_LENGTH",
    closeCode: 1002,
    message: "Cannot parse frame: the 64-bit length has its most significant bit set",
  },
  {
    name: "the largest 64-bit length, all bits set",
    section: "5.2",
    layer: "frame",
    bytes: new Uint8Array([0x82, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    framesBefore: 0,
    code: "INVALID_PAYLOAD_LENGTH",
    closeCode: 1002,
    message: "Cannot parse frame: the 64-bit length has its most significant bit set",
  },
  {
    name: "a length of 125 in the 16-bit form",
    section: "5.2",
    layer: "frame",
    bytes: bytes([0x82, 0x7e, 0x00, 0x7d], patternPayload(125)),
    framesBefore: 0,
    code: "NON_MINIMAL_LENGTH",
    closeCode: 1002,
    message: "Cannot parse frame: length 125 is encoded in 16 bits",
  },
  {
    name: "a length of 0 in the 16-bit form",
    section: "5.2",
    layer: "frame",
    bytes: new Uint8Array([0x82, 0x7e, 0x00, 0x00]),
    framesBefore: 0,
    code: "NON_MINIMAL_LENGTH",
    closeCode: 1002,
    message: "Cannot parse frame: length 0 is encoded in 16 bits",
  },
  {
    name: "a length of 65535 in the 64-bit form",
    section: "5.2",
    layer: "frame",
    bytes: new Uint8Array([0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff]),
    framesBefore: 0,
    code: "NON_MINIMAL_LENGTH",
    closeCode: 1002,
    message: "Cannot parse frame: length 65535 is encoded in 64 bits",
  },
  {
    name: "a length of 5 in the 64-bit form",
    section: "5.2",
    layer: "frame",
    bytes: bytes([0x81, 0x7f, 0, 0, 0, 0, 0, 0, 0, 5], HELLO),
    framesBefore: 0,
    code: "NON_MINIMAL_LENGTH",
    closeCode: 1002,
    message: "Cannot parse frame: length 5 is encoded in 64 bits",
  },
  {
    name: "a frame one byte over the frame size limit (7-bit form)",
    section: "10.4",
    layer: "frame",
    bytes: bytes([0x82, 0x06], patternPayload(6)),
    framesBefore: 0,
    limits: { maxFrameSize: 5 },
    code: "FRAME_TOO_BIG",
    closeCode: 1009,
    message: "Cannot parse frame: the payload is 6 bytes, more than the limit of 5",
  },
  {
    name: "a frame one byte over the frame size limit (16-bit form)",
    section: "10.4",
    layer: "frame",
    bytes: bytes([0x82, 0x7e, 0x01, 0x00], patternPayload(256)),
    framesBefore: 0,
    limits: { maxFrameSize: 255 },
    code: "FRAME_TOO_BIG",
    closeCode: 1009,
    message: "Cannot parse frame: the payload is 256 bytes, more than the limit of 255",
  },
  {
    name: "a frame of 2^32 bytes, refused from its header",
    section: "10.4",
    layer: "frame",
    bytes: new Uint8Array([0x82, 0x7f, 0, 0, 0, 1, 0, 0, 0, 0]),
    framesBefore: 0,
    limits: { maxFrameSize: 65536 },
    code: "FRAME_TOO_BIG",
    closeCode: 1009,
    message: "Cannot parse frame: the payload is 4294967296 bytes, more than the limit of 65536",
  },
  {
    name: "a frame of 2^53 - 1 bytes, refused from its header",
    section: "10.4",
    layer: "frame",
    bytes: new Uint8Array([0x82, 0x7f, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    framesBefore: 0,
    code: "FRAME_TOO_BIG",
    closeCode: 1009,
    message:
      "Cannot parse frame: the payload is 9007199254740991 bytes, more than the limit of 67108864",
  },
  {
    name: "a frame of 2^63 - 1 bytes, refused from its header",
    section: "10.4",
    layer: "frame",
    bytes: new Uint8Array([0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    framesBefore: 0,
    code: "FRAME_TOO_BIG",
    closeCode: 1009,
    message: "Cannot parse frame: the payload is Infinity bytes, more than the limit of 67108864",
  },
];

/** §5.2 / §5.4 / §10.4: violations found by the message assembler's header check. */
export const MESSAGE_VIOLATIONS: readonly ViolationVector[] = [
  ...([[0x4, "100"], [0x2, "010"], [0x1, "001"], [0x7, "111"]] as const).map((
    [rsv, bits],
  ): ViolationVector => ({
    name: `RSV bits 0b${bits} on a text frame without an extension`,
    section: "5.2",
    layer: "message",
    bytes: new Uint8Array([0x80 | (rsv << 4) | 0x1, 0x01, 0x61]),
    framesBefore: 0,
    code: "UNEXPECTED_RSV",
    closeCode: 1002,
    message: `Cannot parse frame: unexpected RSV bits 0b${bits}`,
  })),
  {
    name: "RSV1 on a ping",
    section: "5.2",
    layer: "message",
    bytes: new Uint8Array([0xc9, 0x00]),
    framesBefore: 0,
    code: "UNEXPECTED_RSV",
    closeCode: 1002,
    message: "Cannot parse frame: unexpected RSV bits 0b100",
  },
  {
    name: "RSV2 on a continuation frame",
    section: "5.2",
    layer: "message",
    bytes: new Uint8Array([0x01, 0x01, 0x61, 0xa0, 0x01, 0x62]),
    framesBefore: 1,
    code: "UNEXPECTED_RSV",
    closeCode: 1002,
    message: "Cannot parse frame: unexpected RSV bits 0b010",
  },
  {
    name: "a continuation frame with no message in progress",
    section: "5.4",
    layer: "message",
    bytes: new Uint8Array([0x80, 0x01, 0x61]),
    framesBefore: 0,
    code: "UNEXPECTED_CONTINUATION",
    closeCode: 1002,
    message: "Cannot parse frame: a continuation frame starts no message",
  },
  {
    name: "a continuation frame after a complete message",
    section: "5.4",
    layer: "message",
    bytes: new Uint8Array([0x81, 0x01, 0x61, 0x00, 0x01, 0x62]),
    framesBefore: 1,
    code: "UNEXPECTED_CONTINUATION",
    closeCode: 1002,
    message: "Cannot parse frame: a continuation frame starts no message",
  },
  {
    name: "a text frame inside a fragmented text message",
    section: "5.4",
    layer: "message",
    bytes: new Uint8Array([0x01, 0x01, 0x61, 0x81, 0x01, 0x62]),
    framesBefore: 1,
    code: "EXPECTED_CONTINUATION",
    closeCode: 1002,
    message: "Cannot parse frame: a new message starts inside a fragmented one",
  },
  {
    name: "a binary frame inside a fragmented text message, after a ping",
    section: "5.4",
    layer: "message",
    bytes: new Uint8Array([0x01, 0x01, 0x61, 0x89, 0x00, 0x02, 0x01, 0x62]),
    framesBefore: 2,
    code: "EXPECTED_CONTINUATION",
    closeCode: 1002,
    message: "Cannot parse frame: a new message starts inside a fragmented one",
  },
  {
    name: "a single-frame message over the message size limit",
    section: "10.4",
    layer: "message",
    bytes: bytes([0x82, 0x05], patternPayload(5)),
    framesBefore: 0,
    limits: { maxMessageSize: 4, maxFrameSize: 100 },
    code: "MESSAGE_TOO_BIG",
    closeCode: 1009,
    message: "Cannot parse message: more than the limit of 4 bytes",
  },
  {
    name: "a fragmented message that goes over the message size limit",
    section: "10.4",
    layer: "message",
    bytes: new Uint8Array([0x01, 0x03, 0x61, 0x62, 0x63, 0x80, 0x02, 0x64, 0x65]),
    framesBefore: 1,
    limits: { maxMessageSize: 4 },
    code: "MESSAGE_TOO_BIG",
    closeCode: 1009,
    message: "Cannot parse message: more than the limit of 4 bytes",
  },
  {
    name: "a message in more fragments than the limit",
    section: "10.4",
    layer: "message",
    bytes: new Uint8Array([0x01, 0x01, 0x61, 0x00, 0x01, 0x62, 0x80, 0x01, 0x63]),
    framesBefore: 2,
    limits: { maxFragments: 2 },
    code: "TOO_MANY_FRAGMENTS",
    closeCode: 1009,
    message: "Cannot parse message: more than the limit of 2 fragments",
  },
  {
    name: "a single-frame text message that is not valid UTF-8",
    section: "8.1",
    layer: "message",
    bytes: new Uint8Array([0x81, 0x02, 0xc0, 0xaf]),
    framesBefore: 0,
    code: "INVALID_UTF8",
    closeCode: 1007,
    message: "Cannot parse message: the text is not valid UTF-8",
  },
  {
    name: "an invalid byte in the first fragment of a text message",
    section: "8.1",
    layer: "message",
    bytes: new Uint8Array([0x01, 0x02, 0x61, 0xff, 0x80, 0x01, 0x62]),
    framesBefore: 0,
    code: "INVALID_UTF8",
    closeCode: 1007,
    message: "Cannot parse message: the text is not valid UTF-8",
  },
];

/** The close codes a close frame may not carry (§7.4.1, §7.4.2). */
export const INVALID_CLOSE_CODES: readonly number[] = [
  0,
  999,
  1004,
  1005,
  1006,
  1015,
  1016,
  1100,
  2000,
  2999,
  5000,
  65535,
];

/** §5.5.1 / §7.4: close frame payloads the connection refuses. */
export const CLOSE_VIOLATIONS: readonly ViolationVector[] = [
  {
    name: "a close frame with a 1-byte payload",
    section: "5.5.1",
    layer: "close",
    bytes: new Uint8Array([0x88, 0x01, 0x03]),
    framesBefore: 0,
    code: "INVALID_CLOSE_PAYLOAD",
    closeCode: 1002,
    message: "Cannot parse close frame: the payload is 1 byte",
  },
  ...INVALID_CLOSE_CODES.map((code): ViolationVector => ({
    name: `a close frame with the invalid code ${code}`,
    section: "7.4",
    layer: "close",
    bytes: new Uint8Array([0x88, 0x02, code >> 8, code & 0xff]),
    framesBefore: 0,
    code: "INVALID_CLOSE_CODE",
    closeCode: 1002,
    message: `Cannot parse close frame: invalid close code ${code}`,
  })),
  {
    name: "a close frame whose reason is not valid UTF-8",
    section: "5.5.1",
    layer: "close",
    bytes: new Uint8Array([0x88, 0x05, 0x03, 0xe8, 0x61, 0xed, 0xa0]),
    framesBefore: 0,
    code: "INVALID_UTF8",
    closeCode: 1007,
    message: "Cannot parse close frame: the reason is not valid UTF-8",
  },
  {
    name: "a close frame whose reason is truncated UTF-8",
    section: "5.5.1",
    layer: "close",
    bytes: new Uint8Array([0x88, 0x04, 0x03, 0xe8, 0xe2, 0x82]),
    framesBefore: 0,
    code: "INVALID_UTF8",
    closeCode: 1007,
    message: "Cannot parse close frame: the reason is not valid UTF-8",
  },
];

/** Every violation. */
export const VIOLATIONS: readonly ViolationVector[] = [
  ...FRAME_VIOLATIONS,
  ...MESSAGE_VIOLATIONS,
  ...CLOSE_VIOLATIONS,
];

/** The close codes a close frame may carry (§7.4.1, §7.4.2, IANA registry). */
export const VALID_CLOSE_CODES: readonly number[] = [
  1000,
  1001,
  1002,
  1003,
  1007,
  1008,
  1009,
  1010,
  1011,
  1012,
  1013,
  1014,
  3000,
  3999,
  4000,
  4999,
];

/** Vectors longer than this are replayed at every split near their ends and at sampled splits between. */
const EVERY_SPLIT_LIMIT = 2048;

/**
 * The splits of `bytes` to replay (see `../_util/chunking.ts`): whole, byte
 * by byte, every 2-way split and seeded random splits. For the 64 KiB
 * vectors, the 2-way splits are every index within 300 bytes of either end
 * (all header and payload boundaries) and every 997th index between, so a
 * vector costs milliseconds rather than gigabytes of copies.
 *
 * @param bytes A vector's bytes.
 * @returns The splits.
 */
export function* vectorSplits(bytes: Uint8Array): Generator<Split> {
  for (const split of splits(bytes)) {
    if (bytes.length > EVERY_SPLIT_LIMIT && split.name.startsWith("split at ")) {
      const at = split.chunks[0]!.length;
      if (at > 300 && at < bytes.length - 300 && at % 997 !== 0) continue;
    }
    yield split;
  }
}
