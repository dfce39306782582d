/**
 * Replays a byte vector under every way a transport could cut it: whole,
 * one byte at a time, every 2-way split, and a few seeded random splits
 * (some with empty chunks). Chunks are views of the input, so a test can
 * also check that the code under test never writes to them.
 *
 * @module
 */

/** One way of cutting a vector into chunks. */
export interface Split {
  /** Names the split in test output, e.g. "split at 17". */
  readonly name: string;
  /** The chunks, views of the input, in order. */
  readonly chunks: Uint8Array[];
}

/** Options of {@linkcode splits}. */
export interface SplitOptions {
  /** How many seeded random splits to add. @default {8} */
  readonly random?: number;
  /** The seed of the random splits, so failures reproduce. @default {0x5eed} */
  readonly seed?: number;
}

/**
 * Yields the splits of `bytes`: whole, byte by byte, at every index, at random.
 *
 * @param bytes The vector.
 * @param options How many random splits, and their seed.
 * @returns A generator of splits.
 */
export function* splits(bytes: Uint8Array, options: SplitOptions = {}): Generator<Split> {
  const { random = 8, seed = 0x5eed } = options;
  yield { name: "whole", chunks: [bytes] };
  if (bytes.length > 1) {
    yield {
      name: "byte by byte",
      chunks: Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1)),
    };
  }
  for (let i = 1; i < bytes.length; i++) {
    yield { name: `split at ${i}`, chunks: [bytes.subarray(0, i), bytes.subarray(i)] };
  }
  const next = seededRandom(seed);
  for (let k = 0; k < random; k++) {
    const chunks: Uint8Array[] = [];
    const maxSize = Math.max(1, Math.ceil(bytes.length / 3));
    for (let at = 0; at < bytes.length;) {
      // One chunk in eight is empty: transports may deliver those too.
      if (next() < 0.125) chunks.push(bytes.subarray(at, at));
      const size = 1 + Math.floor(next() * maxSize);
      chunks.push(bytes.subarray(at, at + size));
      at += size;
    }
    yield { name: `random #${k} (seed ${seed})`, chunks };
  }
}

/**
 * A deterministic PRNG (mulberry32) for tests; never `Math.random`.
 *
 * @param seed Any 32-bit integer.
 * @returns A function returning numbers in [0, 1).
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Concatenates byte arrays.
 *
 * @param parts The arrays.
 * @returns A new array holding them in order.
 */
export function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Latin-1 bytes of a string: one byte per code unit, so "\x81" is the byte 0x81
 * (unlike `TextEncoder`). Handy for writing HTTP and frame vectors as text.
 *
 * @param text A string whose code units are all at most 0xFF.
 * @returns Its bytes.
 * @throws {RangeError} For a code unit above 0xFF.
 */
export function latin1(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) {
      throw new RangeError(`Cannot encode as Latin-1: U+${code.toString(16)} at ${i}`);
    }
    bytes[i] = code;
  }
  return bytes;
}
