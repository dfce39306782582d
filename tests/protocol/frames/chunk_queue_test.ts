import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChunkQueue } from "../../../src/protocol/frames/chunk_queue.ts";
import { seededRandom, seededRandomBytes } from "../../_util/fixed_random.ts";

const random = seededRandomBytes(0xc0ffee);

describe("5.2. Base Framing Protocol (reading received bytes)", () => {
  it("ChunkQueue starts empty and counts the bytes pushed", () => {
    const queue = new ChunkQueue();
    assert.equal(queue.byteLength, 0);
    queue.push(new Uint8Array([1, 2, 3]));
    queue.push(new Uint8Array([4]));
    assert.equal(queue.byteLength, 4);
  });

  it("ChunkQueue ignores empty chunks", () => {
    const queue = new ChunkQueue();
    queue.push(new Uint8Array(0));
    queue.push(new Uint8Array([7]));
    queue.push(new Uint8Array(0));
    assert.equal(queue.byteLength, 1);
    assert.equal(queue.readByte(), 7);
    assert.equal(queue.byteLength, 0);
  });

  it("ChunkQueue.readByte reads bytes in order across chunk boundaries", () => {
    const queue = new ChunkQueue();
    queue.push(new Uint8Array([1]));
    queue.push(new Uint8Array([2, 3]));
    queue.push(new Uint8Array([4, 5, 6]));
    const read = [];
    while (queue.byteLength > 0) read.push(queue.readByte());
    assert.deepEqual(read, [1, 2, 3, 4, 5, 6]);
  });

  it("ChunkQueue.consume returns a view into the chunk when the bytes lie in one chunk", () => {
    const chunk = new Uint8Array([1, 2, 3, 4, 5, 6]);
    const queue = new ChunkQueue();
    queue.push(chunk);
    queue.readByte();
    const view = queue.consume(3);
    assert.deepEqual(view, new Uint8Array([2, 3, 4]));
    assert.equal(view.buffer, chunk.buffer);
    assert.equal(view.byteOffset, 1);
    // The last bytes of a chunk are a view too.
    const tail = queue.consume(2);
    assert.equal(tail.buffer, chunk.buffer);
    assert.deepEqual(tail, new Uint8Array([5, 6]));
    assert.equal(queue.byteLength, 0);
  });

  it("ChunkQueue.consume returns a new buffer when the bytes span chunks", () => {
    const first = new Uint8Array([1, 2, 3]);
    const second = new Uint8Array([4, 5, 6]);
    const queue = new ChunkQueue();
    queue.push(first);
    queue.push(second);
    queue.readByte();
    const copy = queue.consume(4);
    assert.deepEqual(copy, new Uint8Array([2, 3, 4, 5]));
    assert.notEqual(copy.buffer, first.buffer);
    assert.notEqual(copy.buffer, second.buffer);
    assert.equal(queue.byteLength, 1);
    assert.equal(queue.readByte(), 6);
  });

  it("ChunkQueue.consume(0) returns an empty array and reads nothing", () => {
    const queue = new ChunkQueue();
    assert.equal(queue.consume(0).length, 0);
    queue.push(new Uint8Array([9]));
    assert.equal(queue.consume(0).length, 0);
    assert.equal(queue.byteLength, 1);
  });

  it("ChunkQueue.consume never modifies the pushed chunks", () => {
    const chunks = [random(10), random(1), random(30)];
    const before = chunks.map((chunk) => chunk.slice());
    const queue = new ChunkQueue();
    for (const chunk of chunks) queue.push(chunk);
    queue.consume(5);
    queue.consume(20);
    queue.drain();
    assert.deepEqual(chunks, before);
  });

  it("ChunkQueue.copyInto copies across many chunks at an offset", () => {
    const queue = new ChunkQueue();
    for (let i = 0; i < 10; i++) queue.push(new Uint8Array([i * 2, i * 2 + 1]));
    queue.readByte();
    const target = new Uint8Array(20).fill(0xff);
    queue.copyInto(target, 3, 15);
    assert.deepEqual([...target.subarray(0, 3)], [0xff, 0xff, 0xff]);
    assert.deepEqual([...target.subarray(3, 18)], Array.from({ length: 15 }, (_, i) => i + 1));
    assert.deepEqual([...target.subarray(18)], [0xff, 0xff]);
    assert.equal(queue.byteLength, 4);
    assert.deepEqual([...queue.drain()], [16, 17, 18, 19]);
  });

  it("ChunkQueue.drain returns every unread byte, as a view when they lie in one chunk", () => {
    const chunk = new Uint8Array([1, 2, 3]);
    const queue = new ChunkQueue();
    assert.equal(queue.drain().length, 0);
    queue.push(chunk);
    queue.readByte();
    const view = queue.drain();
    assert.equal(view.buffer, chunk.buffer);
    assert.deepEqual(view, new Uint8Array([2, 3]));
    assert.equal(queue.byteLength, 0);
  });

  it("ChunkQueue gives back exactly the bytes pushed, in order, across thousands of chunks read in random sizes", () => {
    const next = seededRandom(42);
    const queue = new ChunkQueue();
    const pushed: number[] = [];
    const read: number[] = [];
    for (let round = 0; round < 3000; round++) {
      // Push a chunk of 0-20 bytes, then read a random amount in a random way.
      const chunk = random(Math.floor(next() * 21));
      queue.push(chunk);
      pushed.push(...chunk);
      assert.equal(queue.byteLength, pushed.length - read.length);
      const n = Math.floor(next() * (queue.byteLength + 1));
      const how = Math.floor(next() * 3);
      if (how === 0) {
        for (let i = 0; i < n; i++) read.push(queue.readByte());
      } else if (how === 1) {
        read.push(...queue.consume(n));
      } else {
        const target = new Uint8Array(n);
        queue.copyInto(target, 0, n);
        read.push(...target);
      }
    }
    read.push(...queue.drain());
    assert.equal(queue.byteLength, 0);
    assert.deepEqual(read, pushed);
  });

  it("ChunkQueue keeps views valid when it compacts its chunk list after many chunks", () => {
    const queue = new ChunkQueue();
    const chunks = Array.from({ length: 200 }, () => random(3));
    for (const chunk of chunks) queue.push(chunk);
    const views: Uint8Array[] = [];
    for (let i = 0; i < 200; i++) views.push(queue.consume(3));
    views.forEach((view, i) => {
      assert.equal(view.buffer, chunks[i]!.buffer, `chunk ${i} is a view`);
      assert.deepEqual(view, chunks[i]);
    });
    assert.equal(queue.byteLength, 0);
    // The queue is usable again after being emptied.
    queue.push(new Uint8Array([5, 6]));
    assert.deepEqual(queue.consume(2), new Uint8Array([5, 6]));
  });

  it("ChunkQueue reads correctly while chunks keep arriving during compaction", () => {
    const queue = new ChunkQueue();
    const expected: number[] = [];
    let value = 0;
    const read: number[] = [];
    for (let i = 0; i < 500; i++) {
      const chunk = new Uint8Array([value++ & 0xff, value++ & 0xff]);
      expected.push(...chunk);
      queue.push(chunk);
      // Read one chunk and a half: the read position crosses chunks and the list compacts.
      if (i % 3 === 2) read.push(...queue.consume(3));
    }
    read.push(...queue.drain());
    assert.deepEqual(read, expected);
  });
});

describe("ChunkQueue: reading in place (front, offset, skip)", () => {
  it("shows the front chunk and the offset in it, and skip passes bytes to the next chunk", () => {
    const queue = new ChunkQueue();
    assert.equal(queue.front, undefined);
    const a = new Uint8Array([1, 2, 3]);
    const b = new Uint8Array([4, 5]);
    queue.push(a);
    queue.push(b);
    assert.equal(queue.front, a);
    assert.equal(queue.offset, 0);
    queue.skip(2);
    assert.equal(queue.front, a);
    assert.equal(queue.offset, 2);
    assert.equal(queue.byteLength, 3);
    queue.skip(1);
    assert.equal(queue.front, b);
    assert.equal(queue.offset, 0);
    assert.equal(queue.readByte(), 4);
    queue.skip(1);
    assert.equal(queue.front, undefined);
    assert.equal(queue.byteLength, 0);
  });

  it("ChunkQueue's frontView shares the front chunk's memory and reads its buffer once per chunk", () => {
    // A chunk that counts the reads of its `buffer` and `byteOffset`
    // getters: views are made from values kept when the chunk became the
    // front, not from the getters per view (they cost more than the view).
    class Counted extends Uint8Array {
      reads = 0;
      override get buffer(): ArrayBuffer {
        this.reads++;
        return super.buffer as ArrayBuffer;
      }
      override get byteOffset(): number {
        this.reads++;
        return super.byteOffset;
      }
    }
    const backing = new ArrayBuffer(16);
    new Uint8Array(backing).set([0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 0]);
    const a = new Counted(backing, 2, 6); // 1..6
    const b = new Counted(backing, 8, 3); // 7..9
    const queue = new ChunkQueue();
    queue.push(a);
    queue.push(b);
    const reads = a.reads;
    assert.ok(reads <= 2);
    const views = [queue.frontView(0, 2), queue.frontView(2, 3), queue.frontView(5, 1)];
    assert.deepEqual(views.map((view) => [...view]), [[1, 2], [3, 4, 5], [6]]);
    for (const view of views) assert.equal(view.buffer, backing);
    assert.equal(a.reads, reads);
    assert.deepEqual([...queue.consume(4)], [1, 2, 3, 4]);
    assert.equal(a.reads, reads);
    queue.skip(2);
    // b is the front now: its views start at its own offset.
    assert.equal(queue.front, b);
    assert.deepEqual([...queue.frontView(1, 2)], [8, 9]);
    const readsOfB = b.reads;
    assert.deepEqual([...queue.consume(1)], [7]);
    assert.deepEqual([...queue.frontView(2, 1)], [9]);
    assert.equal(b.reads, readsOfB);
    // A chunk pushed into an emptied queue becomes the front.
    queue.skip(2);
    const c = new Uint8Array([42, 43]);
    queue.push(c);
    assert.deepEqual([...queue.frontView(1, 1)], [43]);
  });
});
