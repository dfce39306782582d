/**
 * Deterministic sources of "random" bytes for tests (guide §8: randomness
 * is injected, tests pass a fixed source and compare exact bytes).
 *
 * @module
 */

import type { RandomBytes } from "../../src/protocol/encoding/random.ts";

/** The masking key of the RFC 6455 §5.7 examples. */
export const RFC_MASK: readonly number[] = [0x37, 0xfa, 0x21, 0x3d];

/**
 * A source that repeats `pattern` forever: `randomBytes(4)` always returns
 * the pattern's first four bytes when the pattern is four bytes long.
 *
 * @param pattern The bytes to cycle through (not empty).
 * @returns A `randomBytes(n)` function returning fresh arrays.
 */
export function fixedRandomBytes(pattern: readonly number[] = RFC_MASK): RandomBytes {
  if (pattern.length === 0) throw new RangeError("Cannot create random source: empty pattern");
  let position = 0;
  return (n: number): Uint8Array => {
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      bytes[i] = pattern[position]!;
      position = (position + 1) % pattern.length;
    }
    return bytes;
  };
}

/**
 * A seeded pseudo-random source (mulberry32): the same seed gives the same
 * bytes on every runtime.
 *
 * @param seed Any 32-bit integer.
 * @returns A `randomBytes(n)` function returning fresh arrays.
 */
export function seededRandomBytes(seed: number): RandomBytes {
  const next = seededRandom(seed);
  return (n: number): Uint8Array => {
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = Math.floor(next() * 256);
    return bytes;
  };
}

/**
 * A seeded pseudo-random number generator (mulberry32) in [0, 1).
 *
 * @param seed Any 32-bit integer.
 * @returns A function returning the next number.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A source that records every call, for asserting how many bytes were drawn.
 *
 * @param source The source to wrap.
 * @returns The wrapped source and the list of requested sizes.
 */
export function recordingRandomBytes(
  source: RandomBytes = fixedRandomBytes(),
): { randomBytes: RandomBytes; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    randomBytes: (n: number): Uint8Array => {
      calls.push(n);
      return source(n);
    },
  };
}
