/**
 * Pieces shared by the runtime adapters (private to `src/transport/`).
 *
 * - {@linkcode ReadQueue} turns pushed chunks (Node and Bun deliver data by
 *   callback) into pull-based reads, pausing the socket at a high-water mark.
 * - {@linkcode WriteQueue} holds bytes the runtime has not taken yet (Deno
 *   and Bun write with calls that may take only part of a buffer), and copies
 *   several small chunks into one write.
 * - {@linkcode LazyClosed} is a transport's `closed` promise, made only when
 *   someone asks for it.
 *
 * @module
 */

import { Deque } from "../protocol/encoding/deque.ts";
import type { Bytes } from "./types.ts";

/** How a {@linkcode ReadQueue} stops and restarts its source. */
export interface FlowControl {
  /** Stop delivering data. */
  pause(): void;
  /** Deliver data again. */
  resume(): void;
}

/** Queued chunks are copied into one write while their total stays within this. */
export const COALESCE_LIMIT = 64 * 1024;

/**
 * Chunks pushed by a socket, waiting for {@linkcode ReadQueue.read}.
 *
 * The source is paused once `highWaterMark` bytes wait, and resumed when
 * reading brings the queue back under it. A pending read is served at once,
 * without queueing. After {@linkcode ReadQueue.fail} the queued chunks are
 * still read, then every read rejects; after {@linkcode ReadQueue.end}, they
 * resolve `null`; after {@linkcode ReadQueue.close} queued chunks are dropped
 * and reads resolve `null`.
 *
 * @example Pausing at the mark
 * ```ts
 * import { ReadQueue } from "./_util.ts";
 * import assert from "node:assert/strict";
 *
 * const calls: string[] = [];
 * const queue = new ReadQueue(4, { pause: () => calls.push("pause"), resume: () => calls.push("resume") });
 * queue.push(new Uint8Array(5));
 * assert.deepEqual(calls, ["pause"]);
 * assert.equal((await queue.read())?.length, 5);
 * assert.deepEqual(calls, ["pause", "resume"]);
 * ```
 */
export class ReadQueue {
  #chunks = new Deque<Bytes>();
  #size = 0;
  #highWaterMark: number;
  #flow: FlowControl;
  #paused = false;
  #ended = false;
  #closed = false;
  #error: Error | null = null;
  #reader: { resolve(chunk: Bytes | null): void; reject(error: Error): void } | null = null;

  /**
   * Creates an empty queue.
   *
   * @param highWaterMark Bytes queued before the source is paused.
   * @param flow The source's pause and resume.
   */
  constructor(highWaterMark: number, flow: FlowControl) {
    this.#highWaterMark = highWaterMark;
    this.#flow = flow;
  }

  /** Bytes waiting to be read. */
  get size(): number {
    return this.#size;
  }

  /** Adds a chunk from the source (ignored after close). */
  push(chunk: Bytes): void {
    if (this.#closed) return;
    const reader = this.#reader;
    if (reader) {
      this.#reader = null;
      return reader.resolve(chunk);
    }
    this.#chunks.push(chunk);
    this.#size += chunk.byteLength;
    if (!this.#paused && this.#size >= this.#highWaterMark) {
      this.#paused = true;
      this.#flow.pause();
    }
  }

  /** The source reached end of stream (or closed cleanly). */
  end(): void {
    this.#ended = true;
    this.#wake();
  }

  /** The source failed; the first error is kept. Ignored after close. */
  fail(error: Error): void {
    if (this.#closed) return;
    this.#error ??= error;
    this.#wake();
  }

  /** Closed locally: drops queued chunks; reads resolve `null`. */
  close(): void {
    this.#closed = true;
    this.#chunks.clear();
    this.#size = 0;
    this.#wake();
  }

  /** The next chunk, `null` at the end, or a rejection after a failure. One read at a time. */
  read(): Promise<Bytes | null> {
    if (this.#reader) {
      return Promise.reject(new TypeError("Cannot read: a read is already pending"));
    }
    const chunk = this.#chunks.shift();
    if (chunk) {
      this.#size -= chunk.byteLength;
      if (this.#paused && this.#size < this.#highWaterMark && !this.#ended && !this.#error) {
        this.#paused = false;
        this.#flow.resume();
      }
      return Promise.resolve(chunk);
    }
    return new Promise((resolve, reject) => {
      this.#reader = { resolve, reject };
      this.#wake();
    });
  }

  #wake(): void {
    const reader = this.#reader;
    if (reader === null || this.#chunks.length > 0) return;
    if (this.#closed) reader.resolve(null);
    else if (this.#error) reader.reject(this.#error);
    else if (this.#ended) reader.resolve(null);
    else return;
    this.#reader = null;
  }
}

/**
 * Bytes written by the user and not yet taken by the runtime, in order.
 *
 * `size` counts a chunk from {@linkcode WriteQueue.push} until
 * {@linkcode WriteQueue.written} reports it taken, including while it is
 * out for writing. A partly taken chunk's rest goes back to the front with
 * {@linkcode WriteQueue.putBack}.
 *
 * @example Coalescing small chunks
 * ```ts
 * import { WriteQueue } from "./_util.ts";
 * import assert from "node:assert/strict";
 *
 * const queue = new WriteQueue();
 * queue.push(new Uint8Array([1]));
 * queue.push(new Uint8Array([2, 3]));
 * const drained = queue.drained();
 * assert.deepEqual(queue.take(), new Uint8Array([1, 2, 3]));
 * queue.written(3);
 * await drained;
 * assert.equal(queue.size, 0);
 * ```
 */
export class WriteQueue {
  #chunks = new Deque<Uint8Array>();
  /** The `onWritten` callback of each chunk in `#chunks`, or `undefined`. */
  #callbacks = new Deque<(() => void) | undefined>();
  /** The callback of the chunk last returned by `take()`, until it is finished or put back. */
  #taken: (() => void) | undefined = undefined;
  #size = 0;
  // Made by the first wait: an idle connection keeps none (nor a new empty one per write).
  #waiters: (() => void)[] | null = null;

  /** Bytes not yet taken by the runtime. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends a chunk (kept by reference).
   *
   * @param chunk The bytes.
   * @param onWritten Called once nothing here holds `chunk` any more: after
   * it was copied into a coalesced write, or after {@linkcode WriteQueue.finished}.
   */
  push(chunk: Uint8Array, onWritten?: () => void): void {
    this.#chunks.push(chunk);
    this.#callbacks.push(onWritten);
    this.#size += chunk.byteLength;
  }

  /**
   * Removes the next chunk, or several small ones copied together; `undefined`
   * when empty. Once the runtime has taken all of a returned chunk, call
   * {@linkcode WriteQueue.finished}; if it took part, {@linkcode WriteQueue.putBack}
   * the rest.
   */
  take(): Uint8Array | undefined {
    const chunks = this.#chunks;
    const callbacks = this.#callbacks;
    let count = 0;
    let total = 0;
    while (
      count < chunks.length &&
      (count === 0 || total + chunks.at(count)!.byteLength <= COALESCE_LIMIT)
    ) {
      total += chunks.at(count)!.byteLength;
      count++;
    }
    if (count <= 1) {
      this.#taken = callbacks.shift();
      return chunks.shift();
    }
    this.#taken = undefined;
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const chunk = chunks.shift()!;
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    // Copied: the chunks themselves are no longer needed.
    for (let i = 0; i < count; i++) callbacks.shift()?.();
    return bytes;
  }

  /** The chunk last returned by {@linkcode WriteQueue.take} was written whole: reports it written. */
  finished(): void {
    const onWritten = this.#taken;
    this.#taken = undefined;
    onWritten?.();
  }

  /** Puts the untaken rest of a taken chunk back in front (its `onWritten` waits for the rest). */
  putBack(rest: Uint8Array): void {
    this.#chunks.unshift(rest);
    this.#callbacks.unshift(this.#taken);
    this.#taken = undefined;
  }

  /** The runtime took `n` bytes. */
  written(n: number): void {
    this.#size -= n;
    if (this.#size === 0) this.#notify();
  }

  /** Drops everything (the connection closed). */
  clear(): void {
    // The runtime may still read a chunk that is out for writing: no callbacks.
    this.#chunks.clear();
    this.#callbacks.clear();
    this.#taken = undefined;
    this.#size = 0;
    this.#notify();
  }

  /** Resolves when `size` is 0. */
  drained(): Promise<void> {
    if (this.#size === 0) return Promise.resolve();
    return new Promise((resolve) => (this.#waiters ??= []).push(resolve));
  }

  #notify(): void {
    const waiters = this.#waiters;
    if (waiters === null) return;
    this.#waiters = null;
    for (const resolve of waiters) resolve();
  }
}

/**
 * Validates a size option.
 *
 * @returns `value`, or `fallback` when `undefined`.
 * @throws {RangeError} When `value` is not an integer >= `min`.
 */
export function checkSize(
  value: number | undefined,
  fallback: number,
  name: string,
  min = 0,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `Cannot create connector: ${name} must be an integer >= ${min}, got ${value}`,
    );
  }
  return value;
}

/** The message of an error, or the thrown value as a string. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A transport's `closed` promise, made at the first access: an open
 * connection that nobody waits on holds no promise for it.
 */
export class LazyClosed {
  #promise: Promise<void> | null = null;
  #settled = false;
  #resolve: (() => void) | null = null;

  /** Resolves once {@linkcode LazyClosed.settle} is called (at once if it was). */
  get promise(): Promise<void> {
    return this.#promise ??= this.#settled
      ? Promise.resolve()
      : new Promise((resolve) => (this.#resolve = resolve));
  }

  /** The connection is released: {@linkcode LazyClosed.promise} resolves, now or when first taken. */
  settle(): void {
    this.#settled = true;
    this.#resolve?.();
    this.#resolve = null;
  }
}
