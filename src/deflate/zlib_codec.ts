/**
 * The default permessage-deflate codec, on `node:zlib`, which Deno, Bun and
 * Node all provide. It is synchronous, as the core requires: each message
 * is one `deflateRawSync`/`inflateRawSync` call.
 *
 * Context takeover (RFC 7692 §7.1.1) without a streaming handle: the last
 * 2^windowBits bytes of the previous messages are kept and handed to zlib as
 * the preset `dictionary` of the next call, which is exactly the LZ77
 * window a streaming handle would have. (A streaming zlib handle cannot be
 * flushed synchronously through a public API on all three runtimes.) An
 * idle connection therefore holds at most 32 KiB per direction and no zlib
 * state at all.
 *
 * Decompression stops at the connection's `maxMessageSize` through
 * `maxOutputLength`: zlib inflates in bounded chunks and gives up once the
 * output passes the limit, so a bomb costs at most the limit in memory.
 *
 * @module
 */

import type {
  DeflateCodec,
  DeflateSettings,
  MessageCompressor,
  MessageDecompressor,
} from "../protocol/permessage_deflate.ts";

/** Options of the `node:zlib` one-shot calls used here. */
export interface ZlibCallOptions {
  /** Flush mode of the end of the input. */
  finishFlush?: number;
  /** log2 of the LZ77 window. */
  windowBits?: number;
  /** Compression level. */
  level?: number;
  /** The preset dictionary (the previous messages' window). */
  dictionary?: Uint8Array;
  /** Stop with a `RangeError` once the output is longer. */
  maxOutputLength?: number;
}

/** The part of `node:zlib` this codec uses (a local declaration, so no runtime types are needed). */
export interface ZlibModule {
  /** One-shot raw DEFLATE. */
  deflateRawSync(data: Uint8Array, options: ZlibCallOptions): Uint8Array;
  /** One-shot raw INFLATE. */
  inflateRawSync(data: Uint8Array, options: ZlibCallOptions): Uint8Array;
  /** zlib constants. */
  readonly constants: { readonly Z_SYNC_FLUSH: number };
}

/**
 * Creates a codec over a `node:zlib` module.
 *
 * @example Round trip with context takeover
 * ```ts
 * import zlib from "node:zlib";
 * import { createZlibCodec } from "./zlib_codec.ts";
 * import assert from "node:assert/strict";
 *
 * const codec = createZlibCodec(zlib);
 * const settings = { windowBits: 15, noContextTakeover: false, level: -1 };
 * const compressor = codec.createCompressor(settings);
 * const decompressor = codec.createDecompressor(settings);
 * const text = new TextEncoder().encode("hello, hello, hello");
 * for (let i = 0; i < 3; i++) {
 *   const out = decompressor.decompress(compressor.compress(text), 1024);
 *   assert.deepEqual(out, text);
 * }
 * ```
 *
 * @param zlib The module, e.g. `import zlib from "node:zlib"`.
 * @returns The codec.
 */
export function createZlibCodec(zlib: ZlibModule): DeflateCodec {
  return {
    createCompressor: (settings) => new ZlibCompressor(zlib, settings),
    createDecompressor: (settings) => new ZlibDecompressor(zlib, settings),
  };
}

let loading: Promise<DeflateCodec> | undefined;

/**
 * Loads `node:zlib` on first use (so that connections without compression
 * never load it) and returns the codec over it, cached.
 *
 * @example Loading the default codec
 * ```ts
 * import { loadZlibCodec } from "./zlib_codec.ts";
 * import assert from "node:assert/strict";
 *
 * const codec = await loadZlibCodec();
 * assert.equal(typeof codec.createCompressor, "function");
 * ```
 *
 * @returns The codec.
 */
export function loadZlibCodec(): Promise<DeflateCodec> {
  loading ??= import("node:zlib").then((module) =>
    createZlibCodec((module.default ?? module) as unknown as ZlibModule)
  );
  return loading;
}

/** The window to keep: zlib's raw DEFLATE uses 2^9 for a requested 2^8 (see `NegotiatedPerMessageDeflate`). */
function windowSize(settings: DeflateSettings): number {
  return 1 << Math.max(9, settings.windowBits);
}

/** The last `size` bytes of `window` followed by `data`. */
function slide(window: Uint8Array, data: Uint8Array, size: number): Uint8Array {
  if (data.length >= size) return data.slice(data.length - size);
  const keep = Math.min(window.length, size - data.length);
  const next = new Uint8Array(keep + data.length);
  next.set(window.subarray(window.length - keep));
  next.set(data, keep);
  return next;
}

const EMPTY = new Uint8Array(0);

class ZlibCompressor implements MessageCompressor {
  readonly #zlib: ZlibModule;
  readonly #options: ZlibCallOptions;
  readonly #takeover: boolean;
  readonly #size: number;
  #window: Uint8Array = EMPTY;

  constructor(zlib: ZlibModule, settings: DeflateSettings) {
    this.#zlib = zlib;
    this.#options = {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      windowBits: Math.max(9, settings.windowBits),
      level: settings.level,
    };
    this.#takeover = !settings.noContextTakeover;
    this.#size = windowSize(settings);
  }

  compress(data: Uint8Array): Uint8Array {
    const options = this.#window.length === 0
      ? this.#options
      : { ...this.#options, dictionary: this.#window };
    const output = this.#zlib.deflateRawSync(data, options);
    if (this.#takeover) this.#window = slide(this.#window, data, this.#size);
    return output;
  }
}

class ZlibDecompressor implements MessageDecompressor {
  readonly #zlib: ZlibModule;
  readonly #takeover: boolean;
  readonly #size: number;
  #window: Uint8Array = EMPTY;

  constructor(zlib: ZlibModule, settings: DeflateSettings) {
    this.#zlib = zlib;
    this.#takeover = !settings.noContextTakeover;
    this.#size = windowSize(settings);
  }

  decompress(data: Uint8Array, maxSize: number): Uint8Array | null {
    const options: ZlibCallOptions = {
      finishFlush: this.#zlib.constants.Z_SYNC_FLUSH,
      // The largest window: a server may use more than it negotiated by
      // zlib's 256-to-512 rounding; the dictionary bounds what it can reach.
      windowBits: 15,
      maxOutputLength: Math.max(1, maxSize),
    };
    if (this.#window.length > 0) options.dictionary = this.#window;
    let output: Uint8Array;
    try {
      output = this.#zlib.inflateRawSync(data, options);
    } catch (error) {
      // ERR_BUFFER_TOO_LARGE: the output passed maxOutputLength.
      if (error instanceof RangeError) return null;
      throw error;
    }
    if (output.length > maxSize) return null;
    // A Buffer may be a view of a shared pool: hand out bytes of our own.
    const own = output.byteOffset === 0 && output.byteLength === output.buffer.byteLength &&
        output.buffer instanceof ArrayBuffer
      ? new Uint8Array(output.buffer)
      : Uint8Array.prototype.slice.call(output);
    if (this.#takeover) this.#window = slide(this.#window, own, this.#size);
    return own;
  }
}
