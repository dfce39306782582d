/**
 * Numbered binary messages, so that a lost, repeated, reordered or altered
 * message is detected, and the sizes of their frames on the wire.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { pattern } from "./tcp_server.ts";

export const KIB = 1024;
export const MIB = 1024 * KIB;

const BASES = new Map<number, Uint8Array<ArrayBuffer>>();

function baseOf(size: number): Uint8Array<ArrayBuffer> {
  let base = BASES.get(size);
  if (base === undefined) {
    base = pattern(size);
    BASES.set(size, base);
  }
  return base;
}

/**
 * Binary message number `index` of a numbered stream: `size` bytes of the
 * `pattern` of `./tcp_server.ts`, with `index` (big-endian) in the first 4.
 * A lost, repeated, reordered or altered message is then detected by
 * {@linkcode isMessage}.
 */
export function numbered(index: number, size: number): Uint8Array<ArrayBuffer> {
  if (size < 4) throw new RangeError("Cannot number a message shorter than 4 bytes");
  const message = baseOf(size).slice();
  new DataView(message.buffer).setUint32(0, index);
  return message;
}

/** Whether `data` is exactly {@linkcode numbered}`(index, size)`. */
export function isMessage(data: Uint8Array, index: number, size: number): boolean {
  if (data.byteLength !== size) return false;
  if (new DataView(data.buffer, data.byteOffset, 4).getUint32(0) !== index) return false;
  return Buffer.compare(data.subarray(4), baseOf(size).subarray(4)) === 0;
}

/** Bytes of a frame carrying `size` bytes: header, plus the mask key from a client. */
export function frameSize(size: number, masked: boolean): number {
  const header = size < 126 ? 2 : size < 65536 ? 4 : 10;
  return header + (masked ? 4 : 0) + size;
}
