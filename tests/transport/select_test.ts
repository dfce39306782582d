import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  copyBytes,
  copyToArrayBuffer,
  detectRuntime,
  getDefaultConnector,
  loadConnector,
  setDefaultConnector,
  uninitializedAllocator,
} from "../../src/transport/select.ts";
import { connectBun } from "../../src/transport/bun.ts";
import { connectDeno } from "../../src/transport/deno.ts";
import { connectNode } from "../../src/transport/node.ts";
import { createMemoryConnector } from "../../src/transport/memory.ts";
import { runtime } from "../_util/transport_suite.ts";

function connect() {}

describe("detectRuntime", () => {
  it("picks Deno when Deno.connect is a function", () => {
    assert.equal(detectRuntime({ Deno: { connect }, Bun: { connect }, process: {} }), "deno");
  });

  it("picks Bun when Bun.connect is a function and there is no Deno.connect", () => {
    assert.equal(detectRuntime({ Deno: {}, Bun: { connect }, process: {} }), "bun");
  });

  it("falls back to Node otherwise, whatever else looks like a runtime", () => {
    assert.equal(detectRuntime({}), "node");
    assert.equal(detectRuntime({ Deno: { connect: "no" }, Bun: null }), "node");
  });

  it("detects the running runtime from globalThis", () => {
    assert.equal(detectRuntime(), runtime);
  });
});

describe("loadConnector", () => {
  it("loads each adapter's default connector", async () => {
    assert.equal(await loadConnector("deno"), connectDeno);
    assert.equal(await loadConnector("bun"), connectBun);
    assert.equal(await loadConnector("node"), connectNode);
  });
});

describe("getDefaultConnector", () => {
  it("returns the running runtime's adapter, the same one every time", async () => {
    const expected = { deno: connectDeno, bun: connectBun, node: connectNode }[runtime];
    const first = getDefaultConnector();
    assert.equal(getDefaultConnector(), first, "the load is cached");
    assert.equal(await first, expected);
  });

  it("returns the connector set with setDefaultConnector until it is unset", async () => {
    const { connector } = createMemoryConnector();
    setDefaultConnector(connector);
    try {
      assert.equal(await getDefaultConnector(), connector);
    } finally {
      setDefaultConnector(undefined);
    }
    assert.notEqual(await getDefaultConnector(), connector);
  });
});

describe("uninitializedAllocator", () => {
  it("uses Bun.allocUnsafe on Bun", () => {
    const lengths: number[] = [];
    const allocUnsafe = (length: number) => {
      lengths.push(length);
      return new Uint8Array(length);
    };
    const allocate = uninitializedAllocator({ Bun: { connect, allocUnsafe } })!;
    assert.equal(allocate(5).length, 5);
    assert.deepEqual(lengths, [5]);
  });

  it("uses Buffer.allocUnsafeSlow on Node, as a plain Uint8Array over the Buffer's own memory", () => {
    class FakeBuffer extends Uint8Array {}
    const made: FakeBuffer[] = [];
    const Buffer = {
      allocUnsafeSlow(length: number) {
        const buffer = new FakeBuffer(length);
        made.push(buffer);
        return buffer;
      },
    };
    const allocate = uninitializedAllocator({ Buffer })!;
    const bytes = allocate(7);
    assert.equal(bytes.constructor, Uint8Array);
    assert.equal(bytes.buffer, made[0]!.buffer);
    assert.equal(bytes.length, 7);
  });

  it("has none on Deno, or where the runtime lacks the function", () => {
    assert.equal(
      uninitializedAllocator({ Deno: { connect }, Buffer: { allocUnsafeSlow() {} } }),
      undefined,
    );
    assert.equal(uninitializedAllocator({ Bun: { connect } }), undefined);
    assert.equal(uninitializedAllocator({}), undefined);
  });

  it("gives a plain Uint8Array that is the whole of its ArrayBuffer on the running runtime", () => {
    const allocate = uninitializedAllocator();
    if (runtime === "deno") return assert.equal(allocate, undefined);
    for (const length of [1, 100, 70_000]) {
      const bytes = allocate!(length);
      assert.equal(bytes.constructor, Uint8Array);
      assert.equal(bytes.byteOffset, 0);
      assert.equal(bytes.length, length);
      assert.equal(bytes.buffer.byteLength, length);
    }
  });
});

describe("copyBytes and copyToArrayBuffer (a received message apart from its chunk)", () => {
  for (const length of [0, 16, 8191, 8192, 70_000]) {
    it(`copy ${length} bytes of a larger chunk into memory of their own`, () => {
      const chunk = new Uint8Array(length + 10).map((_, i) => i * 7);
      const view = chunk.subarray(5, 5 + length);
      const copy = copyBytes(view);
      assert.equal(copy.constructor, Uint8Array);
      assert.equal(copy.byteOffset, 0);
      assert.equal(copy.buffer.byteLength, length);
      assert.notEqual(copy.buffer, chunk.buffer);
      assert.deepEqual(copy, view);
      const buffer = copyToArrayBuffer(view);
      assert.ok(buffer instanceof ArrayBuffer);
      assert.equal(buffer.byteLength, length);
      assert.deepEqual(new Uint8Array(buffer), view);
      // A copy, not shared memory: writing to the chunk leaves it alone.
      chunk.fill(0);
      if (length > 0) assert.notDeepEqual(copy, view);
    });
  }
});
