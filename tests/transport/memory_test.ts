import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createMemoryConnector, createMemoryTransportPair } from "../../src/transport/memory.ts";
import { TransportError } from "../../src/transport/types.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("createMemoryTransportPair", () => {
  it("carries each write, in order, to the peer as one chunk", async () => {
    const [client, server] = createMemoryTransportPair();
    client.write(new Uint8Array([1, 2]));
    client.write(new Uint8Array([3]));
    server.write(new Uint8Array([9]));
    assert.deepEqual(await server.read(), new Uint8Array([1, 2]));
    assert.deepEqual(await server.read(), new Uint8Array([3]));
    assert.deepEqual(await client.read(), new Uint8Array([9]));
  });

  it("serves a pending read as soon as the peer writes", async () => {
    const [client, server] = createMemoryTransportPair();
    const reading = server.read();
    client.write(new Uint8Array([7]));
    assert.deepEqual(await reading, new Uint8Array([7]));
    assert.equal(client.bufferedAmount, 0);
  });

  it("copies writes, so later changes to the caller's buffer do not show", async () => {
    const [client, server] = createMemoryTransportPair();
    const chunk = new Uint8Array([1, 2, 3]);
    client.write(chunk);
    chunk.fill(0);
    assert.deepEqual(await server.read(), new Uint8Array([1, 2, 3]));
  });

  it("copies a view over a shared or offset buffer into a fresh ArrayBuffer", async () => {
    const [client, server] = createMemoryTransportPair();
    client.write(new Uint8Array([0, 1, 2, 3]).subarray(1, 3));
    const chunk = (await server.read())!;
    assert.deepEqual(chunk, new Uint8Array([1, 2]));
    assert.equal(chunk.byteOffset, 0);
    assert.equal(chunk.buffer.byteLength, 2);
  });

  it("ignores empty writes", async () => {
    const [client, server] = createMemoryTransportPair();
    client.write(new Uint8Array(0));
    client.closeWrite();
    assert.equal(await server.read(), null);
  });

  it("reports the bytes the peer has not read, returns false at the mark, and drains", async () => {
    const [client, server] = createMemoryTransportPair({ highWaterMark: 4 });
    assert.equal(client.write(new Uint8Array(3)), true);
    assert.equal(client.bufferedAmount, 3);
    assert.equal(client.write(new Uint8Array(2)), false);
    assert.equal(client.bufferedAmount, 5);
    let drained = false;
    const draining = client.drained().then(() => (drained = true));
    await server.read();
    await tick();
    assert.equal(drained, false, "drained() waits for every byte, not just the mark");
    assert.equal(client.write(new Uint8Array(0)), true);
    await server.read();
    await draining;
    assert.equal(client.bufferedAmount, 0);
    await client.drained();
  });

  it("returns false on every write with a mark of 0", () => {
    const [client] = createMemoryTransportPair({ highWaterMark: 0 });
    assert.equal(client.write(new Uint8Array(1)), false);
  });

  it("validates highWaterMark with RangeError", () => {
    assert.throws(() => createMemoryTransportPair({ highWaterMark: -1 }), {
      name: "RangeError",
      message: "Cannot create memory transport: highWaterMark must be an integer >= 0, got -1",
    });
  });

  it("reports tls and the remote address given", () => {
    const address = { hostname: "example.com", port: 443 };
    const [client, server] = createMemoryTransportPair({ tls: true, remoteAddress: address });
    assert.equal(client.tls, true);
    assert.equal(server.tls, true);
    assert.deepEqual(client.remoteAddress, address);
    assert.equal(server.remoteAddress, null);
    const [plain] = createMemoryTransportPair();
    assert.equal(plain.tls, false);
    assert.equal(plain.remoteAddress, null);
  });

  it("rejects a second concurrent read with TypeError", async () => {
    const [client] = createMemoryTransportPair();
    const first = client.read();
    await assert.rejects(client.read(), {
      name: "TypeError",
      message: "Cannot read: a read is already pending",
    });
    client.close();
    assert.equal(await first, null);
  });
});

describe("createMemoryTransportPair: half-close", () => {
  it("closeWrite() gives the peer end of stream after the bytes already written", async () => {
    const [client, server] = createMemoryTransportPair();
    client.write(new Uint8Array([1]));
    client.closeWrite();
    client.closeWrite();
    client.write(new Uint8Array([2]));
    assert.deepEqual(await server.read(), new Uint8Array([1]));
    assert.equal(await server.read(), null);
    assert.equal(await server.read(), null);
  });

  it("still reads the peer's reply after closeWrite()", async () => {
    const [client, server] = createMemoryTransportPair();
    client.closeWrite();
    assert.equal(await server.read(), null);
    server.write(new Uint8Array([42]));
    server.closeWrite();
    assert.deepEqual(await client.read(), new Uint8Array([42]));
    assert.equal(await client.read(), null);
    await client.closed;
    await server.closed;
  });

  it("resolves closed once both directions ended, whichever came first", async () => {
    const [client, server] = createMemoryTransportPair();
    server.closeWrite();
    assert.equal(await client.read(), null);
    let closed = false;
    void client.closed.then(() => (closed = true));
    await tick();
    assert.equal(closed, false);
    client.closeWrite();
    await client.closed;
  });
});

describe("createMemoryTransportPair: close and reset", () => {
  it("close() gives the peer end of stream after what it already has", async () => {
    const [client, server] = createMemoryTransportPair();
    client.write(new Uint8Array([1]));
    client.close();
    assert.deepEqual(await server.read(), new Uint8Array([1]));
    assert.equal(await server.read(), null);
  });

  it("close() settles this side's pending read with null, drops its unread bytes, and is idempotent", async () => {
    const [client, server] = createMemoryTransportPair();
    server.write(new Uint8Array([1]));
    client.close();
    client.close();
    assert.equal(await client.read(), null);
    const [a] = createMemoryTransportPair();
    const reading = a.read();
    a.close();
    assert.equal(await reading, null);
    await a.closed;
    await client.closed;
  });

  it("drops writes on both sides after close() and settles drained() on both", async () => {
    const [client, server] = createMemoryTransportPair();
    server.write(new Uint8Array([1]));
    const serverDrained = server.drained();
    client.write(new Uint8Array([2]));
    client.close();
    await serverDrained;
    assert.equal(server.bufferedAmount, 0);
    assert.equal(client.bufferedAmount, 0);
    assert.equal(server.write(new Uint8Array([3])), true);
    assert.equal(client.write(new Uint8Array([4])), true);
    assert.deepEqual(await server.read(), new Uint8Array([2]));
    assert.equal(await server.read(), null);
    await client.drained();
  });

  it("reset() makes the peer read what it has, then reject with CONNECTION_LOST", async () => {
    const [client, server] = createMemoryTransportPair();
    server.write(new Uint8Array([1]));
    server.reset();
    assert.deepEqual(await client.read(), new Uint8Array([1]));
    const check = (error: unknown) => {
      assert.ok(error instanceof TransportError);
      assert.equal(error.code, "CONNECTION_LOST");
      assert.equal(error.message, "Cannot read: connection reset by peer");
      return true;
    };
    await assert.rejects(client.read(), check);
    await assert.rejects(client.read(), check);
    await server.closed;
  });

  it("reset() reaches a pending read even after closeWrite()", async () => {
    const [client, server] = createMemoryTransportPair();
    server.closeWrite();
    assert.equal(await client.read(), null);
    server.reset();
    await assert.rejects(client.read(), { code: "CONNECTION_LOST" });
  });
});

describe("createMemoryConnector", () => {
  it("hands the client one side and accept() the other", async () => {
    const { connector, accept, requests } = createMemoryConnector({ highWaterMark: 1 });
    const client = await connector({ hostname: "example.com", port: 443, tls: {} });
    const server = await accept();
    assert.equal(client.tls, true);
    assert.deepEqual(client.remoteAddress, { hostname: "example.com", port: 443 });
    assert.equal(requests.length, 1);
    assert.equal(requests[0]!.hostname, "example.com");
    assert.equal(client.write(new Uint8Array(1)), false);
    assert.deepEqual(await server.read(), new Uint8Array(1));
  });

  it("lets accept() wait for a later connection, in order", async () => {
    const { connector, accept } = createMemoryConnector();
    const first = accept();
    const second = accept();
    const a = await connector({ hostname: "a", port: 1 });
    const b = await connector({ hostname: "b", port: 2, path: "/tmp/s.sock" });
    a.write(new Uint8Array([1]));
    b.write(new Uint8Array([2]));
    assert.deepEqual(await (await first).read(), new Uint8Array([1]));
    assert.deepEqual(await (await second).read(), new Uint8Array([2]));
    assert.deepEqual(b.remoteAddress, { hostname: "/tmp/s.sock", port: 2 });
    assert.equal(a.tls, false);
  });

  it("rejects with the signal's reason when aborted, making no connection", async () => {
    const { connector, requests } = createMemoryConnector();
    const reason = new Error("stop");
    await assert.rejects(
      connector({ hostname: "a", port: 1, signal: AbortSignal.abort(reason) }),
      (error) => error === reason,
    );
    assert.equal(requests.length, 0);
  });
});
