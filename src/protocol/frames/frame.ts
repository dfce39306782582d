/**
 * The frame format (RFC 6455 §5.2) and the frame encoder.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-------+-+-------------+-------------------------------+
 * |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 * |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 * |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 * | |1|2|3|       |K|             |                               |
 * +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 * |     Extended payload length continued, if payload len == 127  |
 * + - - - - - - - - - - - - - - - +-------------------------------+
 * |                               |Masking-key, if MASK set to 1  |
 * +-------------------------------+-------------------------------+
 * | Masking-key (continued)       |          Payload Data         |
 * +-------------------------------- - - - - - - - - - - - - - - - +
 * ```
 *
 * @module
 */

import { maskInPlace } from "./mask.ts";

/** Byte array backed by an `ArrayBuffer`. */
export type Bytes = Uint8Array<ArrayBuffer>;

/** A parsed or to-be-encoded frame. */
export interface Frame {
  /** FIN: this is the final fragment of a message (§5.2). */
  readonly fin: boolean;
  /** RSV1-RSV3 as a 3-bit number: RSV1 = 0x4, RSV2 = 0x2, RSV3 = 0x1 (§5.2). */
  readonly rsv: number;
  /** The 4-bit opcode (§5.2). */
  readonly opcode: number;
  /** The unmasked payload. */
  readonly payload: Uint8Array;
}

/** Bit of RSV1 in {@linkcode Frame.rsv}. */
export const RSV1 = 0x4;
/** Bit of RSV2 in {@linkcode Frame.rsv}. */
export const RSV2 = 0x2;
/** Bit of RSV3 in {@linkcode Frame.rsv}. */
export const RSV3 = 0x1;

/** The largest payload a frame can describe: 2^53 - 1, the largest exact JS integer (§5.2 allows 2^63 - 1). */
export const MAX_PAYLOAD_LENGTH = Number.MAX_SAFE_INTEGER;

/**
 * The header length of a frame (§5.2: the minimal length encoding).
 *
 * @param payloadLength The payload length.
 * @param masked Whether a masking key follows.
 * @returns 2, 4 or 10 bytes, plus 4 with a mask.
 */
export function headerLength(payloadLength: number, masked: boolean): number {
  const base = payloadLength < 126 ? 2 : payloadLength < 0x10000 ? 4 : 10;
  return masked ? base + 4 : base;
}

/**
 * Writes a frame header into `target` at `offset` (§5.2). The length uses
 * its minimal encoding: 7 bits up to 125, 16 bits up to 65535, else 64 bits.
 *
 * @returns The offset just after the header (and mask key, if any).
 */
function writeHeader(
  target: Uint8Array,
  offset: number,
  fin: boolean,
  rsv: number,
  opcode: number,
  length: number,
  mask: Uint8Array | null,
): number {
  target[offset++] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  const maskBit = mask === null ? 0 : 0x80;
  if (length < 126) {
    target[offset++] = maskBit | length;
  } else if (length < 0x10000) {
    target[offset++] = maskBit | 126;
    target[offset++] = length >>> 8;
    target[offset++] = length & 0xff;
  } else {
    target[offset++] = maskBit | 127;
    const high = Math.floor(length / 0x100000000);
    const low = length >>> 0;
    target[offset++] = 0;
    target[offset++] = 0;
    target[offset++] = (high >>> 8) & 0xff;
    target[offset++] = high & 0xff;
    target[offset++] = low >>> 24;
    target[offset++] = (low >>> 16) & 0xff;
    target[offset++] = (low >>> 8) & 0xff;
    target[offset++] = low & 0xff;
  }
  if (mask !== null) {
    target[offset++] = mask[0]!;
    target[offset++] = mask[1]!;
    target[offset++] = mask[2]!;
    target[offset++] = mask[3]!;
  }
  return offset;
}

/** Payloads under this many bytes are masked as they are copied, byte by byte. */
const SMALL_PAYLOAD = 64;

/**
 * Where {@linkcode encodeFrame} puts a masked frame of 64 payload bytes or
 * more: returns a buffer of at least `size` bytes, whose contents do not
 * matter (every byte that is used is overwritten). The frame is a view of its
 * first `size` bytes or less. A pool of reused buffers saves allocating,
 * zero-filling and faulting in fresh memory for each large frame; the default
 * allocates a new buffer.
 */
export type AllocateFrame = (size: number) => Uint8Array<ArrayBuffer>;

function allocateNew(size: number): Bytes {
  return new Uint8Array(size);
}

/**
 * Encodes a frame.
 *
 * With a `mask` (client to server, §5.3), the result is one new buffer
 * holding the header and the masked copy of the payload: the caller's
 * payload is never modified. The buffer is laid out so the payload starts
 * on a 4-byte boundary, where masking runs a word at a time.
 *
 * Without a mask (server to client), the result is the header followed by
 * the payload itself, as two chunks, so large payloads are not copied.
 *
 * @param frame The frame; `payload` is only read.
 * @param mask The 4-byte masking key, or `null` for an unmasked frame.
 * @param allocate Where a masked frame of 64 payload bytes or more goes
 * (see {@linkcode AllocateFrame}); a new buffer by default.
 * @returns The chunks to write, in order.
 * @throws {RangeError} When `opcode` or `rsv` do not fit their bits.
 *
 * @example Encoding RFC 6455 §5.7's masked "Hello"
 * ```ts
 * import { encodeFrame } from "./frame.ts";
 * import assert from "node:assert/strict";
 *
 * const payload = new TextEncoder().encode("Hello");
 * const [bytes] = encodeFrame({ fin: true, rsv: 0, opcode: 1, payload }, new Uint8Array([0x37, 0xfa, 0x21, 0x3d]));
 * assert.deepEqual([...bytes!], [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
 * assert.equal(new TextDecoder().decode(payload), "Hello"); // untouched
 * ```
 */
export function encodeFrame(
  frame: Frame,
  mask: Uint8Array | null,
  allocate: AllocateFrame = allocateNew,
): Bytes[] {
  const { fin, rsv, opcode, payload } = frame;
  if (opcode < 0 || opcode > 0xf || !Number.isInteger(opcode)) {
    throw new RangeError(`Cannot encode frame: opcode ${opcode} is not a 4-bit number`);
  }
  if (rsv < 0 || rsv > 7 || !Number.isInteger(rsv)) {
    throw new RangeError(`Cannot encode frame: rsv ${rsv} is not a 3-bit number`);
  }
  const length = payload.length;
  const headLength = headerLength(length, mask !== null);
  if (mask === null) {
    const head = new Uint8Array(headLength);
    writeHeader(head, 0, fin, rsv, opcode, length, null);
    if (length === 0) return [head];
    return [head, payload as Bytes];
  }
  if (length < SMALL_PAYLOAD) {
    // Small frames: mask while copying, byte by byte, with no alignment
    // padding and no views (each costs as much as the copy at this size).
    const buffer = new Uint8Array(headLength + length);
    const start = writeHeader(buffer, 0, fin, rsv, opcode, length, mask);
    for (let i = 0; i < length; i++) buffer[start + i] = payload[i]! ^ mask[i & 3]!;
    return [buffer];
  }
  // Pad the front so that the payload begins at a multiple of 4 (of the
  // buffer's own addresses when it starts on one, as new and pooled ones do).
  const pad = (4 - (headLength & 3)) & 3;
  const size = pad + headLength + length;
  const buffer = allocate(size);
  if (buffer.length < size) {
    throw new RangeError(
      `Cannot encode frame: the allocator returned ${buffer.length} of ${size} bytes`,
    );
  }
  const start = writeHeader(buffer, pad, fin, rsv, opcode, length, mask);
  buffer.set(payload, start);
  maskInPlace(new Uint8Array(buffer.buffer, buffer.byteOffset + start, length), mask);
  return [
    pad === 0 && buffer.length === size
      ? buffer
      : new Uint8Array(buffer.buffer, buffer.byteOffset + pad, headLength + length),
  ];
}
