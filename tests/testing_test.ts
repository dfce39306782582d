/**
 * `./testing`: the in-memory echo server and the re-exported memory
 * transport, as users' own tests use them.
 *
 * @module
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WebSocket, WebSocketStream } from "../mod.ts";
import {
  createEchoServer,
  createMemoryConnector,
  createMemoryTransportPair,
} from "../src/testing.ts";
import * as memory from "../src/transport/memory.ts";
import { delay, utf8 } from "./_util/fake_server.ts";

function once<T extends Event = Event>(target: EventTarget, type: string): Promise<T> {
  return new Promise((resolve) =>
    target.addEventListener(type, (event) => resolve(event as T), { once: true })
  );
}

describe("createEchoServer", () => {
  it("echoes text as text and binary as binary to a WebSocket", async () => {
    const server = createEchoServer();
    const socket = new WebSocket("ws://echo.test/", { transport: server.connector });
    socket.binaryType = "arraybuffer";
    const received: unknown[] = [];
    socket.onmessage = (event) => received.push(event.data);
    await once(socket, "open");
    socket.send("h\u00e9llo");
    socket.send(new Uint8Array([1, 2, 3]));
    socket.send("");
    while (received.length < 3) await delay(1);
    assert.equal(received[0], "h\u00e9llo");
    assert.ok(received[1] instanceof ArrayBuffer);
    assert.deepEqual([...new Uint8Array(received[1])], [1, 2, 3]);
    assert.equal(received[2], "");
    const closed = once<CloseEvent>(socket, "close");
    socket.close(4001, "done");
    const event = await closed;
    assert.equal(event.code, 4001, "the client's close code is echoed");
    assert.equal(event.wasClean, true);
    await server.idle();
  });

  it("echoes through a WebSocketStream and answers its pings", async () => {
    const server = createEchoServer();
    const socket = new WebSocketStream("ws://echo.test/", { transport: server.connector });
    const { readable, writable } = await socket.opened;
    const reader = readable.getReader();
    const writer = writable.getWriter();
    await writer.write(utf8("bytes"));
    assert.deepEqual((await reader.read()).value, utf8("bytes"));
    const pong = socket.ping();
    void reader.read().catch(() => {});
    assert.ok((await pong) >= 0);
    socket.close();
    assert.deepEqual(await socket.closed, { closeCode: 1005, reason: "" });
    await server.idle();
  });

  it("echoes a large message whole", async () => {
    const server = createEchoServer();
    const socket = new WebSocketStream("ws://echo.test/", { transport: server.connector });
    const { readable, writable } = await socket.opened;
    const big = new Uint8Array(300_000).map((_, i) => i & 0xff);
    const reader = readable.getReader();
    await writable.getWriter().write(big);
    assert.deepEqual((await reader.read()).value, big);
    socket.close({ closeCode: 1000 });
    await socket.closed;
  });

  it("counts its connections and becomes idle once all have ended", async () => {
    const server = createEchoServer();
    assert.equal(server.connections, 0);
    const sockets = [1, 2, 3].map(() =>
      new WebSocket("ws://echo.test/", { transport: server.connector })
    );
    await Promise.all(sockets.map((socket) => once(socket, "open")));
    assert.equal(server.connections, 3);
    let idle = false;
    const idling = server.idle().then(() => (idle = true));
    await delay(5);
    assert.equal(idle, false, "not idle while connections are open");
    for (const socket of sockets) socket.close();
    await idling;
    assert.equal(idle, true);
  });

  it("ends a connection whose client hangs up before the end of the request head", async () => {
    const server = createEchoServer();
    const client = await server.connector({ hostname: "echo.test", port: 80 });
    client.write(utf8("GET / HTTP/1.1\r\nHost: echo.test\r\n"));
    client.closeWrite();
    assert.equal(await client.read(), null);
    await server.idle();
    client.close();
  });
});

describe("testing re-exports", () => {
  it("exports the memory transport helpers of ./transport/memory.ts", () => {
    assert.equal(createMemoryConnector, memory.createMemoryConnector);
    assert.equal(createMemoryTransportPair, memory.createMemoryTransportPair);
  });
});
