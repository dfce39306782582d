import assert from "node:assert/strict";
import { describe, it } from "node:test";
import zlib from "node:zlib";
import {
  createZlibCodec,
  loadZlibCodec,
  type ZlibCallOptions,
  type ZlibModule,
} from "../../src/deflate/zlib_codec.ts";

const codec = createZlibCodec(zlib as unknown as ZlibModule);
const encoder = new TextEncoder();
const TAIL = [0, 0, 0xff, 0xff];

function text(seed: number, length: number): Uint8Array {
  let out = "";
  for (let i = 0; out.length < length; i++) out += `${(i * seed) % 97} ${"xyz".repeat(i % 4)};`;
  return encoder.encode(out.slice(0, length));
}

describe("zlib codec: round trips", () => {
  for (const noContextTakeover of [false, true]) {
    for (const windowBits of [9, 12, 15]) {
      it(`compresses and decompresses 30 messages (windowBits ${windowBits}, noContextTakeover ${noContextTakeover})`, () => {
        const settings = { windowBits, noContextTakeover, level: -1 };
        const compressor = codec.createCompressor(settings);
        const decompressor = codec.createDecompressor(settings);
        for (let i = 0; i < 30; i++) {
          // Sizes around and past the window, so that it slides.
          const message = text(i % 5 + 1, [0, 1, 200, 5000, 40_000][i % 5]!);
          const compressed = compressor.compress(message);
          assert.deepEqual([...compressed.subarray(-4)], TAIL, "ends with a sync flush");
          assert.deepEqual(decompressor.decompress(compressed, 1 << 20), message, `message ${i}`);
        }
      });
    }
  }

  it("Context takeover makes a repeated message smaller where zlib honours the dictionary", () => {
    const compressor = codec.createCompressor({
      windowBits: 15,
      noContextTakeover: false,
      level: -1,
    });
    const message = text(3, 2000);
    const first = compressor.compress(message).length;
    const second = compressor.compress(message).length;
    // Deno's node:zlib ignores `dictionary`: there the sizes are equal, never larger.
    assert.ok(second <= first, `${second} <= ${first}`);
    if (!("Deno" in globalThis)) assert.ok(second < first / 4, `${second} < ${first} / 4`);
  });
});

describe("zlib codec: limits and errors", () => {
  const settings = { windowBits: 15, noContextTakeover: false, level: -1 };
  const payload = (data: Uint8Array) =>
    zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });

  it("decompress returns null once the output passes maxSize, and accepts exactly maxSize", () => {
    const data = new Uint8Array(10_000).fill(7);
    assert.equal(codec.createDecompressor(settings).decompress(payload(data), 9_999), null);
    assert.deepEqual(codec.createDecompressor(settings).decompress(payload(data), 10_000), data);
  });

  it("The limit counts the message only, not the window kept in front of it", () => {
    const decompressor = codec.createDecompressor(settings);
    const first = new Uint8Array(20_000).fill(1);
    assert.deepEqual(decompressor.decompress(payload(first), 20_000), first);
    const second = new Uint8Array(100).fill(2);
    assert.equal(decompressor.decompress(payload(second), 99), null);
  });

  it("decompress takes an unbounded maxSize (the core's default) without zlib refusing it", () => {
    const data = encoder.encode("unbounded");
    assert.deepEqual(
      codec.createDecompressor(settings).decompress(payload(data), Number.MAX_SAFE_INTEGER),
      data,
    );
  });

  it("decompress throws on invalid DEFLATE data", () => {
    assert.throws(() =>
      codec.createDecompressor(settings).decompress(new Uint8Array([0xff, 0xff, ...TAIL]), 100)
    );
  });

  it("decompress hands out a plain Uint8Array that owns its memory", () => {
    const out = codec.createDecompressor(settings).decompress(payload(encoder.encode("hi")), 100)!;
    assert.equal(Object.getPrototypeOf(out), Uint8Array.prototype);
    assert.equal(out.buffer.byteLength, 2);
  });
});

describe("zlib codec: what it asks of zlib", () => {
  function recording() {
    const calls: { op: string; options: ZlibCallOptions }[] = [];
    const module: ZlibModule = {
      constants: { Z_SYNC_FLUSH: 2 },
      deflateRawSync(data, options) {
        calls.push({ op: "deflate", options });
        return zlib.deflateRawSync(data, options);
      },
      inflateRawSync(data, options) {
        calls.push({ op: "inflate", options });
        return zlib.inflateRawSync(data, options);
      },
    };
    return { calls, codec: createZlibCodec(module) };
  }

  it("The compressor passes the last window as the dictionary, and none without context takeover", () => {
    const { calls, codec } = recording();
    const takeover = codec.createCompressor({ windowBits: 9, noContextTakeover: false, level: 1 });
    takeover.compress(text(1, 1000));
    takeover.compress(text(1, 10));
    assert.equal(calls[0]!.options.dictionary, undefined);
    assert.equal(calls[0]!.options.windowBits, 9);
    assert.equal(calls[0]!.options.level, 1);
    assert.equal(calls[0]!.options.finishFlush, 2);
    assert.deepEqual(calls[1]!.options.dictionary, text(1, 1000).subarray(1000 - 512));
    const none = codec.createCompressor({ windowBits: 15, noContextTakeover: true, level: -1 });
    none.compress(text(1, 1000));
    none.compress(text(1, 1000));
    assert.equal(calls[3]!.options.dictionary, undefined);
  });

  it("The dictionary of outgoing messages is at most maxDictionary bytes (8 KiB by default)", () => {
    const { calls, codec } = recording();
    const compressor = codec.createCompressor({
      windowBits: 15,
      noContextTakeover: false,
      level: -1,
    });
    compressor.compress(text(1, 20_000));
    compressor.compress(text(1, 10));
    assert.deepEqual(calls[1]!.options.dictionary, text(1, 20_000).subarray(20_000 - 8192));
    const small = createZlibCodec(zlib as unknown as ZlibModule, { maxDictionary: 0 });
    const none = small.createCompressor({ windowBits: 15, noContextTakeover: false, level: -1 });
    const message = text(1, 3000);
    const first = none.compress(message);
    assert.deepEqual(none.compress(message), first, "no context is carried over");
    assert.throws(() => createZlibCodec(zlib as unknown as ZlibModule, { maxDictionary: -1 }), {
      name: "RangeError",
      message: "Cannot create zlib codec: maxDictionary must be an integer >= 0",
    });
  });

  it("The decompressor bounds zlib's output by maxSize, with the widest window and the last window as context", () => {
    const { calls, codec } = recording();
    const decompressor = codec.createDecompressor({
      windowBits: 10,
      noContextTakeover: false,
      level: -1,
    });
    const data = text(2, 3000);
    decompressor.decompress(zlib.deflateRawSync(data, { finishFlush: 2 }), 5000);
    decompressor.decompress(zlib.deflateRawSync(data, { finishFlush: 2 }), 5000);
    // The first inflate call is the probe of `dictionary` support.
    const [first, second] = calls.filter((call) => call.options.maxOutputLength !== undefined);
    assert.equal(first!.options.maxOutputLength, 5000);
    assert.equal(first!.options.dictionary, undefined);
    assert.equal(second!.options.windowBits, 15);
    if (second!.options.dictionary !== undefined) {
      assert.deepEqual(second!.options.dictionary, data.subarray(3000 - 1024));
      assert.equal(second!.options.maxOutputLength, 5000);
    } else {
      // Deno: the window goes in front of the message, and counts in zlib's limit.
      assert.equal(second!.options.maxOutputLength, 5000 + 1024);
    }
  });

  it("Where zlib ignores dictionary (as Deno's), the window is put in front as a stored block", () => {
    const ignoring: ZlibModule = {
      constants: { Z_SYNC_FLUSH: 2 },
      deflateRawSync: (data, options) => zlib.deflateRawSync(data, options),
      inflateRawSync: (data, { dictionary: _ignored, ...options }) =>
        zlib.inflateRawSync(data, options),
    };
    const decompressor = createZlibCodec(ignoring).createDecompressor({
      windowBits: 15,
      noContextTakeover: false,
      level: -1,
    });
    // RFC 7692 §7.2.3.2: the second "Hello" refers to the first.
    const hello = encoder.encode("Hello");
    assert.deepEqual(
      decompressor.decompress(
        new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, ...TAIL]),
        5,
      ),
      hello,
    );
    assert.deepEqual(
      decompressor.decompress(new Uint8Array([0xf2, 0x00, 0x11, 0x00, 0x00, ...TAIL]), 5),
      hello,
    );
    assert.equal(
      decompressor.decompress(new Uint8Array([0xf2, 0x00, 0x11, 0x00, 0x00, ...TAIL]), 4),
      null,
    );
  });

  it("loadZlibCodec creates the node:zlib codec once", () => {
    assert.equal(loadZlibCodec(), loadZlibCodec());
    const loaded = loadZlibCodec();
    const settings = { windowBits: 15, noContextTakeover: true, level: -1 };
    const message = encoder.encode("loaded");
    const compressed = loaded.createCompressor(settings).compress(message);
    assert.deepEqual(loaded.createDecompressor(settings).decompress(compressed, 100), message);
  });
});
