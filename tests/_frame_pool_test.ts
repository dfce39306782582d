/**
 * The pool of buffers for large outgoing frames (`src/_frame_pool.ts`): a
 * buffer is lent again only after it was given back, never twice at once,
 * and the pool stays bounded.
 *
 * @module
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FRAME_POOL_DEFAULTS, FramePool, framePool } from "../src/_frame_pool.ts";
import { SEPARATE_WRITE_SIZE } from "../src/driver.ts";
import { createEchoServer } from "../src/testing.ts";
import { WebSocket } from "../src/web/websocket.ts";

const KIB = 1024;
const small = { minSize: 100, maxSize: 1000, maxFreeBytes: 1000, granularity: 100 };

describe("FramePool", () => {
  it("lends a buffer again only after its releaser ran", () => {
    const pool = new FramePool();
    const first = pool.allocate(100 * KIB);
    assert.equal(first.length, 100 * KIB);
    const release = pool.releaser(first);
    assert.ok(release !== undefined);
    const second = pool.allocate(100 * KIB);
    assert.notEqual(second.buffer, first.buffer, "still lent: a new buffer");
    release();
    const third = pool.allocate(100 * KIB);
    assert.equal(third.buffer, first.buffer, "given back: reused");
    assert.notEqual(pool.allocate(100 * KIB).buffer, first.buffer, "lent again: not twice");
  });

  it("recognizes a frame that is a view into its buffer", () => {
    const pool = new FramePool();
    const buffer = pool.allocate(50 * KIB);
    const frame = buffer.subarray(2);
    pool.releaser(frame)!();
    assert.equal(pool.allocate(50 * KIB).buffer, buffer.buffer);
  });

  it("gives a buffer back once, however often its releaser runs", () => {
    const pool = new FramePool();
    const chunk = pool.allocate(40 * KIB);
    const release = pool.releaser(chunk)!;
    release();
    release();
    assert.equal(pool.freeCount, 1);
    const again = pool.allocate(40 * KIB);
    assert.equal(again.buffer, chunk.buffer);
    pool.releaser(chunk)!(); // the old lending's releaser must not return the new one early
    release();
    assert.equal(pool.freeCount, 1);
  });

  it("has no releaser for bytes it did not lend, and lends nothing for small or huge frames", () => {
    const pool = new FramePool(small);
    assert.equal(pool.releaser(new Uint8Array(500)), undefined);
    const tiny = pool.allocate(99);
    const huge = pool.allocate(1001);
    assert.equal(tiny.length, 99);
    assert.equal(huge.length, 1001);
    assert.equal(pool.releaser(tiny), undefined);
    assert.equal(pool.releaser(huge), undefined);
    assert.equal(pool.releaser(pool.allocate(100)) !== undefined, true);
  });

  it("rounds buffer sizes up so that nearby frame sizes share buffers, and picks the smallest that fits", () => {
    const pool = new FramePool(small);
    const a = pool.allocate(150); // buffer of 200
    const b = pool.allocate(450); // buffer of 500
    assert.equal(a.buffer.byteLength, 200);
    assert.equal(b.buffer.byteLength, 500);
    pool.releaser(b)!();
    pool.releaser(a)!();
    assert.equal(pool.allocate(180).buffer, a.buffer);
    assert.equal(pool.allocate(180).buffer, b.buffer);
    assert.equal(pool.allocate(180).buffer.byteLength, 200, "none free: a new one");
  });

  it("keeps at most maxFreeBytes of free buffers, dropping those given back past it", () => {
    const pool = new FramePool(small);
    const lent = [pool.allocate(300), pool.allocate(500), pool.allocate(400), pool.allocate(100)];
    for (const chunk of lent) pool.releaser(chunk)!();
    // 300 + 500 fit; 400 would make 1200; 100 fits again.
    assert.equal(pool.freeCount, 3);
    assert.equal(pool.freeBytes, 900);
    assert.equal(pool.allocate(450).buffer, lent[1]!.buffer);
    assert.equal(pool.allocate(250).buffer, lent[0]!.buffer);
    assert.equal(pool.allocate(100).buffer, lent[3]!.buffer);
    assert.equal(pool.freeBytes, 0);
  });

  it("the shared pool lends frames larger than the driver's separate-write size", () => {
    // A frame is its buffer less up to 3 bytes of padding.
    assert.ok(FRAME_POOL_DEFAULTS.minSize - 3 >= SEPARATE_WRITE_SIZE);
    const chunk = framePool.allocate(FRAME_POOL_DEFAULTS.minSize);
    const release = framePool.releaser(chunk);
    assert.ok(release !== undefined);
    release();
  });

  it("a WebSocket's large frames come from the shared pool and go back to it once written", async () => {
    // Take out whatever earlier tests left free.
    while (framePool.freeCount > 0) framePool.allocate(FRAME_POOL_DEFAULTS.minSize);
    const server = createEchoServer();
    const socket = new WebSocket("ws://echo.test/", {
      transport: server.connector,
      pingInterval: 0,
    });
    socket.binaryType = "arraybuffer";
    await new Promise((resolve) => (socket.onopen = resolve));
    const payload = new Uint8Array(100 * KIB).fill(7);
    const echoed = new Promise<unknown>((resolve) => {
      socket.onmessage = (event) => resolve(event.data);
    });
    socket.send(payload);
    assert.equal(new Uint8Array(await echoed as ArrayBuffer).length, payload.length);
    // The memory transport copies each write, then reports it written.
    assert.equal(framePool.freeCount, 1);
    assert.ok(framePool.freeBytes >= payload.length);
    const closed = new Promise((resolve) => (socket.onclose = resolve));
    socket.close();
    await closed;
  });
});
