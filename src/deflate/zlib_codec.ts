/**
 * The default permessage-deflate codec, on `node:zlib`, which Deno, Bun and
 * Node all provide. It is synchronous, as the core requires: each message
 * is one `deflateRawSync`/`inflateRawSync` call.
 *
 * Context takeover (RFC 7692 §7.1.1) without a streaming handle (none can
 * be flushed synchronously through a public API on all three runtimes):
 * the previous messages' bytes are kept, as the LZ77 window a streaming
 * handle would have. Outgoing, the last `maxDictionary` bytes (8 KiB) are
 * zlib's preset `dictionary`; Deno's `node:zlib` ignores it, so there each
 * message is compressed on its own (valid, with a lower ratio). Incoming,
 * the last 2^windowBits bytes are the `dictionary` where zlib honours it
 * (Node, Bun), and are put in front of the message as a DEFLATE stored
 * block where it does not (Deno). An idle connection holds those bytes
 * (at most 8 + 32 KiB) and no zlib state at all.
 *
 * Decompression stops at the connection's `maxMessageSize` through
 * `maxOutputLength`: zlib inflates in bounded chunks and gives up once the
 * output passes the limit, so a bomb costs at most the limit in memory.
 *
 * @module
 */

import * as nodeZlib from "node:zlib";
import type {
  DeflateCodec,
  DeflateSettings,
  MessageCompressor,
  MessageDecompressor,
} from "../protocol/extensions/permessage_deflate.ts";

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

/** Options of {@linkcode createZlibCodec}. */
export interface ZlibCodecOptions {
  /**
   * The most bytes of previous messages handed to zlib as the dictionary
   * of the next outgoing message (at most the window). zlib's cost per call
   * grows with the dictionary: on a JSON/chat corpus, 8 KiB gave 97% of the
   * 32 KiB ratio at a fraction of the CPU (see docs/compression.md).
   * Incoming messages always get the whole window, as the peer may use it.
   * @default 8192
   */
  readonly maxDictionary?: number;
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
 * @param options The dictionary size of outgoing messages.
 * @returns The codec.
 * @throws {RangeError} When `maxDictionary` is not an integer >= 0.
 */
export function createZlibCodec(zlib: ZlibModule, options: ZlibCodecOptions = {}): DeflateCodec {
  const maxDictionary = options.maxDictionary ?? 8192;
  if (!Number.isInteger(maxDictionary) || maxDictionary < 0) {
    throw new RangeError("Cannot create zlib codec: maxDictionary must be an integer >= 0");
  }
  return {
    createCompressor: (settings) => new ZlibCompressor(zlib, settings, maxDictionary),
    createDecompressor: (settings) => new ZlibDecompressor(zlib, settings, honoursDictionary(zlib)),
  };
}

let loaded: DeflateCodec | undefined;

/**
 * The codec over the runtime's `node:zlib`, created once. (`node:zlib` is
 * imported statically: a lazy `import()` on the first connection blocked
 * the event loop for tens to hundreds of milliseconds on Deno and Bun,
 * inside that connection's handshake timeout.)
 *
 * @example Loading the default codec
 * ```ts
 * import { loadZlibCodec } from "./zlib_codec.ts";
 * import assert from "node:assert/strict";
 *
 * const codec = loadZlibCodec();
 * assert.equal(typeof codec.createCompressor, "function");
 * ```
 *
 * @returns The codec.
 */
export function loadZlibCodec(): DeflateCodec {
  loaded ??= createZlibCodec(nodeZlib as unknown as ZlibModule);
  return loaded;
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
const OWN_COPY_BELOW = 64 * 1024;
const MAX_OUTPUT = 2 ** 31 - 1;

const honoured = new WeakMap<ZlibModule, boolean>();

/**
 * Whether `inflateRawSync` honours `dictionary`: RFC 7692 §7.2.3.2's second
 * "Hello" refers to the first one, so it inflates only with "Hello" as the
 * dictionary. Node and Bun honour it (and are faster that way); Deno 2.x
 * ignores it, so the window goes in front as a stored block there.
 */
function honoursDictionary(zlib: ZlibModule): boolean {
  let known = honoured.get(zlib);
  if (known === undefined) {
    const hello = new Uint8Array([0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    try {
      const out = zlib.inflateRawSync(
        new Uint8Array([0xf2, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff]),
        { finishFlush: zlib.constants.Z_SYNC_FLUSH, dictionary: hello },
      );
      known = out.length === 5 && out.every((byte, i) => byte === hello[i]);
    } catch {
      known = false;
    }
    honoured.set(zlib, known);
  }
  return known;
}

/**
 * The previous messages' window as a DEFLATE stored block (RFC 1951 §3.2.4:
 * BFINAL=0, BTYPE=00, then LEN and NLEN, byte-aligned), followed by the
 * message. Inflating it yields the window then the message, whose
 * back-references reach into the window: the effect of a preset dictionary,
 * which Deno's `node:zlib` ignores for raw streams (measured on Deno 2.x).
 */
function withWindow(window: Uint8Array, data: Uint8Array): Uint8Array {
  if (window.length === 0) return data;
  const input = new Uint8Array(5 + window.length + data.length);
  const length = window.length;
  input[0] = 0x00;
  input[1] = length & 0xff;
  input[2] = length >>> 8;
  input[3] = ~length & 0xff;
  input[4] = (~length >>> 8) & 0xff;
  input.set(window, 5);
  input.set(data, 5 + length);
  return input;
}

class ZlibCompressor implements MessageCompressor {
  readonly #zlib: ZlibModule;
  readonly #options: ZlibCallOptions;
  readonly #takeover: boolean;
  readonly #size: number;
  #window: Uint8Array = EMPTY;

  constructor(zlib: ZlibModule, settings: DeflateSettings, maxDictionary: number) {
    this.#zlib = zlib;
    this.#options = {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      windowBits: Math.max(9, settings.windowBits),
      level: settings.level,
    };
    this.#size = Math.min(windowSize(settings), maxDictionary);
    this.#takeover = !settings.noContextTakeover && this.#size > 0;
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
  readonly #dictionary: boolean;
  readonly #takeover: boolean;
  readonly #size: number;
  #window: Uint8Array = EMPTY;

  constructor(zlib: ZlibModule, settings: DeflateSettings, dictionary: boolean) {
    this.#zlib = zlib;
    this.#dictionary = dictionary;
    this.#takeover = !settings.noContextTakeover;
    this.#size = windowSize(settings);
  }

  decompress(data: Uint8Array, maxSize: number): Uint8Array | null {
    const window = this.#window;
    const prefix = window.length > 0 && !this.#dictionary;
    const input = prefix ? withWindow(window, data) : data;
    const skip = prefix ? window.length : 0;
    const options: ZlibCallOptions = {
      finishFlush: this.#zlib.constants.Z_SYNC_FLUSH,
      // The largest window: a server may reach further than it negotiated
      // by zlib's 256-to-512 rounding; our kept window bounds what it can reach.
      windowBits: 15,
      // zlib refuses limits past its largest buffer; 2 GiB fits every runtime.
      maxOutputLength: Math.min(Math.max(1, maxSize + skip), MAX_OUTPUT),
    };
    if (window.length > 0 && this.#dictionary) options.dictionary = window;
    let output: Uint8Array;
    try {
      output = this.#zlib.inflateRawSync(input, options);
    } catch (error) {
      // ERR_BUFFER_TOO_LARGE: the output passed maxOutputLength.
      if (error instanceof RangeError) return null;
      throw error;
    }
    if (output.length - skip > maxSize) return null;
    // Small Buffers may be views of a shared pool: copy those; big ones are
    // handed out as views (never pooled), without the window in front.
    const message = output.length - skip < OWN_COPY_BELOW
      ? new Uint8Array(output.subarray(skip))
      : new Uint8Array(output.buffer, output.byteOffset + skip, output.length - skip);
    if (this.#takeover) this.#window = slide(this.#window, message, this.#size);
    return message;
  }
}
