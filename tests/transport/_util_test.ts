import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  checkSize,
  COALESCE_LIMIT,
  LazyClosed,
  messageOf,
  ReadQueue,
  WriteQueue,
} from "../../src/transport/_util.ts";
import { TransportError } from "../../src/transport/types.ts";
import { countElementMoves } from "../_util/array_moves.ts";

function recorder() {
  const calls: string[] = [];
  return { calls, flow: { pause: () => calls.push("pause"), resume: () => calls.push("resume") } };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("ReadQueue", () => {
  it("pauses once the mark is reached and resumes once reads bring it under", async () => {
    const { calls, flow } = recorder();
    const queue = new ReadQueue(4, flow);
    queue.push(new Uint8Array(2));
    assert.deepEqual(calls, []);
    queue.push(new Uint8Array(2));
    queue.push(new Uint8Array(2));
    assert.deepEqual(calls, ["pause"], "paused once");
    assert.equal(queue.size, 6);
    await queue.read();
    assert.deepEqual(calls, ["pause"], "4 bytes still wait: at the mark");
    await queue.read();
    assert.deepEqual(calls, ["pause", "resume"]);
    assert.equal(queue.size, 2);
  });

  it("serves a pending read without queueing or pausing", async () => {
    const { calls, flow } = recorder();
    const queue = new ReadQueue(1, flow);
    const reading = queue.read();
    queue.push(new Uint8Array([1, 2]));
    assert.deepEqual(await reading, new Uint8Array([1, 2]));
    assert.equal(queue.size, 0);
    assert.deepEqual(calls, []);
  });

  it("reads queued chunks before end of stream, then null", async () => {
    const queue = new ReadQueue(10, recorder().flow);
    queue.push(new Uint8Array([1]));
    queue.end();
    assert.deepEqual(await queue.read(), new Uint8Array([1]));
    assert.equal(await queue.read(), null);
    const pending = new ReadQueue(10, recorder().flow);
    const reading = pending.read();
    pending.end();
    assert.equal(await reading, null);
  });

  it("reads queued chunks before a failure, then rejects with the first error every time", async () => {
    const queue = new ReadQueue(10, recorder().flow);
    const first = new TransportError("CONNECTION_LOST", "Cannot read: reset");
    queue.push(new Uint8Array([1]));
    queue.fail(first);
    queue.fail(new Error("second"));
    queue.end();
    assert.deepEqual(await queue.read(), new Uint8Array([1]));
    await assert.rejects(queue.read(), (error) => error === first);
    await assert.rejects(queue.read(), (error) => error === first);
  });

  it("does not resume a source that has ended or failed", async () => {
    const { calls, flow } = recorder();
    const queue = new ReadQueue(1, flow);
    queue.push(new Uint8Array(1));
    queue.end();
    await queue.read();
    assert.deepEqual(calls, ["pause"]);
  });

  it("close() drops queued chunks, settles the pending read with null, and ignores later input", async () => {
    const queue = new ReadQueue(10, recorder().flow);
    queue.push(new Uint8Array(1));
    queue.close();
    assert.equal(queue.size, 0);
    queue.push(new Uint8Array(1));
    queue.fail(new Error("ignored"));
    assert.equal(await queue.read(), null);
    const pending = new ReadQueue(10, recorder().flow);
    const reading = pending.read();
    pending.close();
    assert.equal(await reading, null);
  });

  it("rejects a second concurrent read with TypeError", async () => {
    const queue = new ReadQueue(10, recorder().flow);
    const first = queue.read();
    await assert.rejects(queue.read(), {
      name: "TypeError",
      message: "Cannot read: a read is already pending",
    });
    queue.end();
    assert.equal(await first, null);
  });
});

describe("WriteQueue", () => {
  it("hands a single chunk back as is", () => {
    const queue = new WriteQueue();
    const chunk = new Uint8Array([1, 2]);
    queue.push(chunk);
    assert.equal(queue.take(), chunk);
    assert.equal(queue.take(), undefined);
    assert.equal(queue.size, 2, "size counts until written");
  });

  it("copies consecutive chunks into one while they fit the coalescing limit", () => {
    const queue = new WriteQueue();
    queue.push(new Uint8Array([1]));
    queue.push(new Uint8Array([2, 3]));
    queue.push(new Uint8Array(COALESCE_LIMIT));
    queue.push(new Uint8Array([4]));
    assert.deepEqual(queue.take(), new Uint8Array([1, 2, 3]));
    assert.equal(queue.take()?.byteLength, COALESCE_LIMIT);
    assert.deepEqual(queue.take(), new Uint8Array([4]));
  });

  it("puts a partly written chunk's rest back in front", () => {
    const queue = new WriteQueue();
    queue.push(new Uint8Array([1, 2, 3]));
    queue.push(new Uint8Array(COALESCE_LIMIT));
    const taken = queue.take()!;
    queue.written(1);
    queue.putBack(taken.subarray(1));
    assert.equal(queue.size, 2 + COALESCE_LIMIT);
    assert.deepEqual(queue.take(), new Uint8Array([2, 3]));
  });

  it("resolves drained() when everything is written, or at once when empty", async () => {
    const queue = new WriteQueue();
    await queue.drained();
    queue.push(new Uint8Array(4));
    let drained = false;
    const draining = queue.drained().then(() => (drained = true));
    queue.take();
    queue.written(3);
    await tick();
    assert.equal(drained, false);
    queue.written(1);
    await draining;
  });

  it("settles every drained() waiter of a round, then takes new waiters for the next", async () => {
    const queue = new WriteQueue();
    for (let round = 0; round < 2; round++) {
      queue.push(new Uint8Array(2));
      const settled: number[] = [];
      const waits = [1, 2].map((n) => queue.drained().then(() => settled.push(n)));
      queue.take();
      await tick();
      assert.deepEqual(settled, [], `round ${round}`);
      queue.written(2);
      await Promise.all(waits);
      assert.deepEqual(settled, [1, 2], `round ${round}`);
    }
  });

  it("clear() empties the queue and settles drained()", async () => {
    const queue = new WriteQueue();
    queue.push(new Uint8Array(4));
    const draining = queue.drained();
    queue.clear();
    await draining;
    assert.equal(queue.size, 0);
    assert.equal(queue.take(), undefined);
  });
});

describe("WriteQueue's onWritten callbacks", () => {
  it("reports a chunk taken alone only when finished() says it was written whole", () => {
    const queue = new WriteQueue();
    const calls: string[] = [];
    queue.push(new Uint8Array(COALESCE_LIMIT), () => calls.push("a"));
    queue.push(new Uint8Array(COALESCE_LIMIT), () => calls.push("b"));
    queue.take();
    assert.deepEqual(calls, []);
    queue.written(COALESCE_LIMIT);
    assert.deepEqual(calls, [], "written(n) counts bytes; finished() reports the chunk");
    queue.finished();
    assert.deepEqual(calls, ["a"]);
    queue.finished();
    assert.deepEqual(calls, ["a"], "once");
    queue.take();
    queue.finished();
    assert.deepEqual(calls, ["a", "b"]);
  });

  it("reports coalesced chunks as soon as they are copied", () => {
    const queue = new WriteQueue();
    const calls: number[] = [];
    const first = new Uint8Array([1]);
    queue.push(first, () => calls.push(1));
    queue.push(new Uint8Array([2, 3]), () => calls.push(2));
    queue.push(new Uint8Array([4]));
    const taken = queue.take()!;
    assert.deepEqual(calls, [1, 2]);
    first[0] = 9; // reusing the chunk no longer changes what is written
    assert.deepEqual(taken, new Uint8Array([1, 2, 3, 4]));
    queue.finished();
    assert.deepEqual(calls, [1, 2]);
  });

  it("keeps the callback of a partly written chunk with its rest", () => {
    const queue = new WriteQueue();
    const calls: string[] = [];
    queue.push(new Uint8Array(COALESCE_LIMIT + 10), () => calls.push("big"));
    const taken = queue.take()!;
    queue.written(10);
    queue.putBack(taken.subarray(10));
    queue.finished(); // nothing was taken since the put-back
    assert.deepEqual(calls, []);
    assert.equal(queue.take()?.byteLength, COALESCE_LIMIT);
    queue.written(COALESCE_LIMIT);
    queue.finished();
    assert.deepEqual(calls, ["big"]);
  });

  it("puts back the rest of a coalesced write with no callback: its chunks were reported when copied", () => {
    const queue = new WriteQueue();
    const calls: string[] = [];
    queue.push(new Uint8Array(8), () => calls.push("rest"));
    queue.push(new Uint8Array(8), () => calls.push("next"));
    const taken = queue.take()!; // both, coalesced
    assert.deepEqual(calls, ["rest", "next"]);
    queue.written(4);
    queue.putBack(taken.subarray(4));
    queue.push(new Uint8Array(2), () => calls.push("last"));
    assert.equal(queue.take()?.byteLength, 14);
    assert.deepEqual(calls, ["rest", "next", "last"]);
  });

  it("clear() drops the callbacks without calling them (the runtime may still hold a chunk)", () => {
    const queue = new WriteQueue();
    const calls: string[] = [];
    queue.push(new Uint8Array(COALESCE_LIMIT), () => calls.push("out"));
    queue.push(new Uint8Array(COALESCE_LIMIT), () => calls.push("queued"));
    queue.take();
    queue.clear();
    queue.finished();
    assert.deepEqual(calls, []);
  });
});

describe("ReadQueue and WriteQueue with many chunks queued", () => {
  it("ReadQueue reads each chunk without moving the queued ones (no Array#shift)", async () => {
    const queue = new ReadQueue(Infinity, recorder().flow);
    for (let i = 0; i < 1000; i++) queue.push(new Uint8Array([i & 0xff]));
    const reads: Promise<Uint8Array | null>[] = [];
    const moves = countElementMoves(() => {
      for (let i = 0; i < 1000; i++) reads.push(queue.read());
    });
    assert.deepEqual(moves, { shift: 0, unshift: 0, splice: 0, copyWithin: 0 });
    const bytes = (await Promise.all(reads)).map((chunk) => chunk![0]);
    assert.deepEqual(bytes, Array.from({ length: 1000 }, (_, i) => i & 0xff));
    assert.equal(queue.size, 0);
  });

  it("WriteQueue takes, coalesces and puts back without moving the queued chunks", () => {
    const queue = new WriteQueue();
    for (let i = 0; i < 5000; i++) queue.push(new Uint8Array(16).fill(i & 0xff));
    const taken: Uint8Array[] = [];
    const moves = countElementMoves(() => {
      let chunk: Uint8Array | undefined;
      while ((chunk = queue.take()) !== undefined) {
        // The runtime takes all but 3 bytes of the first write.
        if (taken.length === 0) {
          queue.putBack(chunk.subarray(chunk.length - 3));
          chunk = chunk.subarray(0, chunk.length - 3);
        }
        taken.push(chunk);
        queue.written(chunk.length);
      }
    });
    assert.deepEqual(moves, { shift: 0, unshift: 0, splice: 0, copyWithin: 0 });
    const all = new Uint8Array(taken.reduce((n, chunk) => n + chunk.length, 0));
    taken.reduce((offset, chunk) => (all.set(chunk, offset), offset + chunk.length), 0);
    assert.equal(all.length, 5000 * 16);
    for (let i = 0; i < 5000; i++) assert.equal(all[i * 16 + 15], i & 0xff);
    assert.ok(taken.every((chunk) => chunk.length <= COALESCE_LIMIT));
    assert.equal(queue.size, 0);
  });
});

describe("checkSize and messageOf", () => {
  it("returns the fallback for undefined and the value when valid", () => {
    assert.equal(checkSize(undefined, 7, "x"), 7);
    assert.equal(checkSize(0, 7, "x"), 0);
  });

  it("throws RangeError for non-integers and values under the minimum", () => {
    assert.throws(() => checkSize(0, 7, "readSize", 1), {
      name: "RangeError",
      message: "Cannot create connector: readSize must be an integer >= 1, got 0",
    });
    assert.throws(() => checkSize(Infinity, 7, "x"), RangeError);
  });

  it("describes errors and other thrown values", () => {
    assert.equal(messageOf(new Error("boom")), "boom");
    assert.equal(messageOf("plain"), "plain");
  });
});

describe("LazyClosed", () => {
  it("resolves a promise taken before settle() once settle() is called", async () => {
    const closed = new LazyClosed();
    const promise = closed.promise;
    assert.equal(closed.promise, promise, "the same promise on every access");
    let done = false;
    promise.then(() => (done = true));
    await tick();
    assert.equal(done, false, "not settled yet");
    closed.settle();
    await promise;
    assert.equal(done, true);
  });

  it("gives a resolved promise when first taken after settle()", async () => {
    const closed = new LazyClosed();
    closed.settle();
    closed.settle(); // idempotent
    let done = false;
    closed.promise.then(() => (done = true));
    await tick();
    assert.equal(done, true);
  });
});
