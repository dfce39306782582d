// Microbenchmarks of the protocol core against `Uint8Array.prototype.set`
// (memcpy, the physical limit of anything that touches every byte):
//   copy     dst.set(src) of one message's bytes
//   mask     maskInPlace(bytes, key)               (what the client does to send)
//   encode   encodeFrame(frame, key): copy + mask + header into a new buffer
//   parse    FrameParser over a stream of unmasked frames fed in 64 KiB chunks
//   receive  Connection.receiveData + eventsReceived (parser, assembler, events)
// Each prints GB/s of payload and operations (frames) per second.

import { pattern, serverFrame, SIZES } from "../clients/_shared.mjs";

const runtime = globalThis.Deno ? "deno" : globalThis.Bun ? "bun" : "node";
const args = runtime === "deno" ? globalThis.Deno.args : globalThis.process.argv.slice(2);

/** Runs `body(n)` with growing n until it takes `ms`; returns ops/s for `ops(n)` ops. */
function measure(ms, body) {
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    const ops = body(n);
    const elapsed = performance.now() - t0;
    if (elapsed >= ms) return ops / (elapsed / 1000);
    n = Math.max(n * 2, Math.ceil(n * (ms * 1.2) / Math.max(elapsed, 0.01)));
  }
}

/** A stream of `frames` unmasked binary frames of `size`, cut in 64 KiB views. */
function frameStream(size, minBytes) {
  const frame = serverFrame(0x2, pattern(size));
  const frames = Math.max(1, Math.ceil(minBytes / frame.length));
  const stream = new Uint8Array(frame.length * frames);
  for (let i = 0; i < frames; i++) stream.set(frame, i * frame.length);
  const chunks = [];
  for (let offset = 0; offset < stream.length; offset += 65536) {
    chunks.push(stream.subarray(offset, Math.min(stream.length, offset + 65536)));
  }
  return { chunks, frames };
}

export function runMicro(core) {
  const { maskInPlace, encodeFrame, FrameParser, Connection } = core;
  const params = JSON.parse(args[0] ?? "{}");
  const ms = params.ms ?? 200;
  const results = [];
  const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
  for (const [label, size] of Object.entries(SIZES)) {
    if (params.sizes && !params.sizes.includes(label)) continue;
    const src = pattern(size);
    const dst = new Uint8Array(size);
    const record = (op, opsPerSec) =>
      results.push({ op, size: label, opsPerSec, gbPerSec: (opsPerSec * size) / 1e9 });

    record(
      "copy",
      measure(ms, (n) => {
        for (let i = 0; i < n; i++) dst.set(src);
        return n;
      }),
    );
    record(
      "mask",
      measure(ms, (n) => {
        for (let i = 0; i < n; i++) maskInPlace(dst, key);
        return n;
      }),
    );
    const frame = { fin: true, rsv: 0, opcode: 2, payload: src };
    record(
      "encode",
      measure(ms, (n) => {
        let sink = 0;
        for (let i = 0; i < n; i++) sink += encodeFrame(frame, key)[0].length;
        if (sink === 0) throw new Error("unreachable");
        return n;
      }),
    );
    const { chunks, frames } = frameStream(size, 4 * 1024 * 1024);
    record(
      "parse",
      measure(ms, (n) => {
        let count = 0;
        for (let r = 0; r < n; r++) {
          const parser = new FrameParser({ maxFrameSize: 64 * 1024 * 1024, expectMask: false });
          for (const chunk of chunks) {
            parser.push(chunk);
            while (parser.next() !== null) count++;
          }
        }
        if (count !== n * frames) throw new Error(`parsed ${count} frames, expected ${n * frames}`);
        return count;
      }),
    );
    record(
      "receive",
      measure(ms, (n) => {
        let count = 0;
        for (let r = 0; r < n; r++) {
          const connection = new Connection("client", "open", {});
          for (const chunk of chunks) {
            connection.receiveData(chunk);
            for (const event of connection.eventsReceived()) if (event.type === "message") count++;
          }
        }
        if (count !== n * frames) {
          throw new Error(`received ${count} messages, expected ${n * frames}`);
        }
        return count;
      }),
    );
  }
  console.log(JSON.stringify({ ok: true, results }));
}
