/**
 * The default source of randomness: `crypto.getRandomValues`, drawn from a
 * pool so that a 4-byte mask per frame does not cost a system call (as ws
 * and undici do). Tests inject their own source instead (guide §8).
 *
 * @module
 */

/** Returns `n` random bytes. */
export type RandomBytes = (n: number) => Uint8Array;

const POOL_SIZE = 8192;
const pool = new Uint8Array(POOL_SIZE);
let poolOffset = POOL_SIZE;

/**
 * Returns `n` cryptographically secure random bytes. For `n` up to 8 KiB
 * the result is a view into a shared pool, valid until the next call: copy
 * it if you keep it.
 *
 * @param n How many bytes.
 * @returns The bytes.
 *
 * @example A masking key
 * ```ts
 * import { secureRandomBytes } from "./random.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(secureRandomBytes(4).length, 4);
 * ```
 */
export function secureRandomBytes(n: number): Uint8Array {
  if (n > POOL_SIZE) return crypto.getRandomValues(new Uint8Array(n));
  if (poolOffset + n > POOL_SIZE) {
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  // The constructor, not subarray(): cheaper per call on JavaScriptCore (one per frame sent).
  const bytes = new Uint8Array(pool.buffer, poolOffset, n);
  poolOffset += n;
  return bytes;
}
