/**
 * Reused buffers for large outgoing frames (private).
 *
 * A client masks every frame into a buffer of its own. For a large frame a
 * new buffer costs more than the masking: the runtime allocates it, zero-fills
 * it and the OS faults its pages in, on every send. {@linkcode FramePool}
 * lends buffers to the connection (its `allocateFrame` option) and takes each
 * back when the transport reports that it has written the frame
 * (`Transport.write`'s `onWritten`), so a steady stream of large sends reuses
 * the same few buffers.
 *
 * A buffer is reused only after that report: one that is never reported (a
 * transport that closed with the frame queued, or a user-written transport
 * that ignores `onWritten`) is simply never taken back, and the pool
 * allocates a new one instead. The pool keeps at most 4 MiB of free buffers
 * (one pool for the process), so what it holds is bounded whatever the traffic.
 *
 * @module
 */

import type { Bytes } from "./protocol/frames/frame.ts";

/** Settings of a {@linkcode FramePool}. */
export interface FramePoolOptions {
  /** Smaller frames get new buffers (cheap at that size). */
  readonly minSize: number;
  /** Larger frames get new buffers (rare, and too big to keep). */
  readonly maxSize: number;
  /** Bytes of free buffers kept at most; a buffer given back past it is dropped. */
  readonly maxFreeBytes: number;
  /** Buffer sizes are rounded up to a multiple of this, so nearby frame sizes share buffers. */
  readonly granularity: number;
}

const KIB = 1024;

/**
 * The defaults: frames over 16 KiB (so that the driver writes each on its
 * own, see `SEPARATE_WRITE_SIZE` in `./driver.ts`) and up to 4 MiB; at most
 * 4 MiB of free buffers, enough for the frames a sender keeps queued while
 * `bufferedAmount` stays around 1 MiB (e.g. sixteen of 64 KiB, or three of 1 MiB).
 */
export const FRAME_POOL_DEFAULTS: FramePoolOptions = {
  // A frame is the buffer less up to 3 bytes of alignment padding.
  minSize: 16 * KIB + 4,
  maxSize: 4096 * KIB,
  maxFreeBytes: 4096 * KIB,
  granularity: 64 * KIB,
};

/**
 * Lends buffers for frames and takes them back once written.
 *
 * @example Reuse after release, never before
 * ```ts
 * import { FramePool } from "./_frame_pool.ts";
 * import assert from "node:assert/strict";
 *
 * const pool = new FramePool();
 * const first = pool.allocate(100_000);
 * const release = pool.releaser(first)!;
 * assert.notEqual(pool.allocate(100_000).buffer, first.buffer); // still lent
 * release();
 * assert.equal(pool.allocate(100_000).buffer, first.buffer); // reused
 * ```
 */
export class FramePool {
  #options: FramePoolOptions;
  #free: ArrayBuffer[] = [];
  #freeBytes = 0;
  #lent = new WeakSet<ArrayBuffer>();

  /**
   * Creates an empty pool.
   *
   * @param options Sizes and bounds; {@linkcode FRAME_POOL_DEFAULTS} by default.
   */
  constructor(options: FramePoolOptions = FRAME_POOL_DEFAULTS) {
    this.#options = options;
  }

  /** How many free buffers wait for reuse. */
  get freeCount(): number {
    return this.#free.length;
  }

  /** The bytes of the free buffers. */
  get freeBytes(): number {
    return this.#freeBytes;
  }

  /**
   * A buffer of `size` bytes (an `AllocateFrame`): a free one when there is
   * one large enough, else a new one. Its old contents are left in place.
   */
  readonly allocate = (size: number): Bytes => {
    const { minSize, maxSize, granularity } = this.#options;
    if (size < minSize || size > maxSize) return new Uint8Array(size);
    const free = this.#free;
    let best = -1;
    for (let i = 0; i < free.length; i++) {
      const length = free[i]!.byteLength;
      if (length >= size && (best < 0 || length < free[best]!.byteLength)) best = i;
    }
    let buffer: ArrayBuffer;
    if (best >= 0) {
      buffer = free[best]!;
      free[best] = free[free.length - 1]!;
      free.pop();
      this.#freeBytes -= buffer.byteLength;
    } else {
      buffer = new ArrayBuffer(Math.ceil(size / granularity) * granularity);
    }
    this.#lent.add(buffer);
    return new Uint8Array(buffer, 0, size);
  };

  /**
   * The callback that gives `chunk`'s buffer back, for `Transport.write`'s
   * `onWritten`; `undefined` when the buffer was not lent by this pool. The
   * callback takes the buffer back once (later calls do nothing).
   *
   * @param chunk A frame from {@linkcode FramePool.allocate}'s buffer, or any bytes.
   */
  releaser(chunk: Uint8Array): (() => void) | undefined {
    const buffer = chunk.buffer;
    if (!this.#lent.has(buffer as ArrayBuffer)) return undefined;
    return () => this.#release(buffer as ArrayBuffer);
  }

  #release(buffer: ArrayBuffer): void {
    if (!this.#lent.delete(buffer)) return;
    if (this.#freeBytes + buffer.byteLength > this.#options.maxFreeBytes) return;
    this.#free.push(buffer);
    this.#freeBytes += buffer.byteLength;
  }
}

/** The process's pool, shared by every connection the client opens. */
export const framePool: FramePool = new FramePool();
