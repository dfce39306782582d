/**
 * SHA-1 (FIPS 180-4 §6.1), synchronous.
 *
 * Hand-written on purpose: the core is synchronous, and WebCrypto's
 * `crypto.subtle.digest` is async (the platform has no synchronous SHA-1).
 *
 * The opening handshake needs one digest per connection: the expected
 * `Sec-WebSocket-Accept` value (RFC 6455 §4.1, §4.2.2); a Promise there
 * would make the whole handshake asynchronous. SHA-1 is used here as
 * RFC 6455 uses it, as a fixed transform proving the server read the key,
 * never for security.
 *
 * @module
 */

/** FIPS 180-4 §5.3.1: the initial hash value H(0). */
const INITIAL_HASH = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0] as const;

/**
 * Computes the SHA-1 digest of `data` (FIPS 180-4 §6.1.2).
 *
 * @example Hashing "abc" (FIPS 180-4 example, RFC 3174 test 1)
 * ```ts
 * import { sha1 } from "./sha1.ts";
 * import assert from "node:assert/strict";
 *
 * const digest = sha1(new TextEncoder().encode("abc"));
 * const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
 * assert.equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
 * ```
 *
 * @param data The message; it is read, never modified.
 * @returns The 20-byte digest.
 */
export function sha1(data: Uint8Array): Uint8Array<ArrayBuffer> {
  // One hash per connection (the handshake's accept key): the scratch
  // buffers are the module's, reused, rather than three typed arrays and two
  // DataViews per call. The function is synchronous, so never re-entered.
  const hash = HASH;
  hash.set(INITIAL_HASH);
  const block = BLOCK;
  const words = WORDS;
  const fullBlocks = Math.floor(data.length / 64);
  for (let i = 0; i < fullBlocks; i++) {
    compress(hash, data.subarray(i * 64, i * 64 + 64), words);
  }
  // FIPS 180-4 §5.1.1: append a 1 bit, zeros, then the 64-bit message length in bits.
  const rest = data.subarray(fullBlocks * 64);
  block.fill(0);
  block.set(rest);
  block[rest.length] = 0x80;
  if (rest.length >= 56) {
    compress(hash, block, words);
    block.fill(0);
  }
  const bitLength = data.length * 8;
  writeUint32(block, 56, Math.floor(bitLength / 0x1_0000_0000));
  writeUint32(block, 60, bitLength >>> 0);
  compress(hash, block, words);
  const digest = new Uint8Array(20);
  for (let i = 0; i < 5; i++) writeUint32(digest, i * 4, hash[i]!);
  return digest;
}

/** Scratch state of {@linkcode sha1}: the hash, one padded block, the message schedule. */
const HASH = new Int32Array(5);
const BLOCK = new Uint8Array(64);
const WORDS = new Uint32Array(80);

/** Writes `value` big-endian at `offset`. */
function writeUint32(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 24;
  target[offset + 1] = value >>> 16;
  target[offset + 2] = value >>> 8;
  target[offset + 3] = value;
}

function compress(hash: Int32Array, block: Uint8Array, w: Uint32Array): void {
  for (let t = 0; t < 16; t++) {
    w[t] = (block[t * 4]! << 24) | (block[t * 4 + 1]! << 16) | (block[t * 4 + 2]! << 8) |
      block[t * 4 + 3]!;
  }
  for (let t = 16; t < 80; t++) {
    const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
    w[t] = (x << 1) | (x >>> 31);
  }
  let a = hash[0]!;
  let b = hash[1]!;
  let c = hash[2]!;
  let d = hash[3]!;
  let e = hash[4]!;
  for (let t = 0; t < 80; t++) {
    // FIPS 180-4 §4.1.1 (functions f_t) and §4.2.1 (constants K_t).
    let f: number;
    let k: number;
    if (t < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (t < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (t < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6;
    }
    const temp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = temp;
  }
  hash[0] = (hash[0]! + a) | 0;
  hash[1] = (hash[1]! + b) | 0;
  hash[2] = (hash[2]! + c) | 0;
  hash[3] = (hash[3]! + d) | 0;
  hash[4] = (hash[4]! + e) | 0;
}
