/**
 * MD5 (RFC 1321), synchronous, for the one place the protocol needs it: the
 * 16-byte challenge answer of the hybi-00 opening handshake
 * (draft-ietf-hybi-thewebsocketprotocol-00 §5.2 step "MD5 fingerprint").
 *
 * Hand-written on purpose: the core is synchronous, WebCrypto's `digest` is
 * async, and it has no MD5 at all. This is a small, plain implementation. MD5 is broken as a cryptographic hash;
 * hybi-00 uses it only to prove that the server read the handshake, never
 * for secrecy. Do not use it for anything else.
 *
 * @module
 */

/** Shift amounts, four per round (RFC 1321 §3.4): step i of round r shifts by SHIFTS[4r + i % 4]. */
const SHIFTS: readonly number[] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

/** T[i] = floor(2^32 * abs(sin(i + 1))) (RFC 1321 §3.4). */
const T: Int32Array = (() => {
  const table = new Int32Array(64);
  for (let i = 0; i < 64; i++) table[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0;
  return table;
})();

/**
 * Computes the MD5 digest of `data` (RFC 1321 §3).
 *
 * @example The RFC 1321 test suite's "abc"
 * ```ts
 * import { md5 } from "./md5.ts";
 * import assert from "node:assert/strict";
 *
 * const digest = md5(new TextEncoder().encode("abc"));
 * assert.equal(Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""), "900150983cd24fb0d6963f7d28e17f72");
 * ```
 *
 * @param data The message; only read.
 * @returns The 16-byte digest.
 */
export function md5(data: Uint8Array): Uint8Array<ArrayBuffer> {
  // §3.1-§3.2: append 0x80, zeros to 56 mod 64, then the bit length, little-endian.
  const length = data.length;
  const padded = new Uint8Array(((length + 8) >>> 6 << 6) + 64);
  padded.set(data);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, (length * 8) >>> 0, true);
  view.setUint32(padded.length - 4, Math.floor(length / 0x20000000), true);
  // §3.3: the four-word buffer.
  const state = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);
  const words = new Int32Array(16);
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i++) words[i] = view.getInt32(offset + i * 4, true);
    processBlock(state, words);
  }
  const digest = new Uint8Array(16);
  const out = new DataView(digest.buffer);
  for (let i = 0; i < 4; i++) out.setInt32(i * 4, state[i]!, true);
  return digest;
}

/** §3.4: the four rounds over one 16-word block. */
function processBlock(state: Int32Array, x: Int32Array): void {
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  for (let i = 0; i < 64; i++) {
    let f: number;
    let g: number;
    if (i < 16) {
      f = (b & c) | (~b & d); // F(X,Y,Z) = XY v not(X) Z
      g = i;
    } else if (i < 32) {
      f = (b & d) | (c & ~d); // G(X,Y,Z) = XZ v Y not(Z)
      g = (5 * i + 1) & 15;
    } else if (i < 48) {
      f = b ^ c ^ d; // H(X,Y,Z) = X xor Y xor Z
      g = (3 * i + 5) & 15;
    } else {
      f = c ^ (b | ~d); // I(X,Y,Z) = Y xor (X v not(Z))
      g = (7 * i) & 15;
    }
    const sum = (a + f + T[i]! + x[g]!) | 0;
    const shift = SHIFTS[((i >>> 4) << 2) | (i & 3)]!;
    a = d;
    d = c;
    c = b;
    b = (b + ((sum << shift) | (sum >>> (32 - shift)))) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
}
