/**
 * Backpressure over real loopback sockets, on the runtime running the test:
 * a `WebSocketStream` whose reader pauses stops the server's writes, one
 * whose server stops reading makes `writer.ready` wait, and the WHATWG
 * `WebSocket` reports what it holds in `bufferedAmount` and fails with
 * `QuotaExceededError` past `maxBufferedAmount`.
 *
 * Each test prints one `backpressure …` line with its figures.
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "../../src/web/websocket.ts";
import { WebSocketStream } from "../../src/web/websocket_stream.ts";
import { assertNoLeaks, resourceBaseline } from "../_util/leaks.ts";
import { frameSize, isMessage, KIB, MIB, numbered } from "../_util/messages.ts";
import { ADAPTER_READ_HIGH_WATER_MARK, createProbeConnector } from "../_util/probe_connector.ts";
import { startRawServer } from "../_util/raw_ws_server.ts";
import { runtime } from "../_util/runtime.ts";
import { delay, until, within } from "../_util/wait.ts";

function kib(bytes: number): string {
  return `${(bytes / KIB).toFixed(0)} KiB`;
}

/** Whether `promise` is still pending after `ms`. */
async function pendsFor(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const pending = Symbol("pending");
  const result = await Promise.race([
    promise.then(() => null, () => null),
    delay(ms).then(() => pending),
  ]);
  return result === pending;
}

describe("WebSocketStream read backpressure (WHATWG streams: pull)", () => {
  it("WebSocketStream stops reading when its readable is full, the server's writes stall, and every message arrives in order once read", async () => {
    const before = await resourceBaseline();
    const server = await startRawServer();
    const { connector, stats } = createProbeConnector();
    const highWaterMark = 1 * MIB;
    const size = 64 * KIB;
    const count = 1024; // 64 MiB
    const wire = frameSize(size, false);
    let consumed = 0; // frame bytes read by the application
    let peakHeld = 0; // taken from the kernel, not yet read by the application
    let peakPulled = 0; // handed to the driver, not yet read by the application
    stats.onProgress = () => {
      peakHeld = Math.max(peakHeld, stats.kernelBytes - consumed);
      peakPulled = Math.max(peakPulled, stats.readBytes - consumed);
    };
    const socket = new WebSocketStream(server.url, {
      transport: connector,
      readableHighWaterMark: highWaterMark,
      pingInterval: 0,
    });
    const peer = await server.peer();
    const { readable } = await socket.opened;
    const push = peer.push(count, size);
    const stall = await within(push.stalled(300), 10_000, "the server's writes to stall");
    const heldAtStall = stats.kernelBytes;

    // The server could hand only a small part of the 64 MiB to its kernel.
    assert.ok(stall.waiting, "the server waits for 'drain'");
    assert.ok(stall.written < (count * wire) / 4, `the server wrote ${stall.written} bytes`);
    // The client holds at most its high-water mark, a transport chunk and a message...
    const pulledBound = highWaterMark + stats.maxChunk + wire;
    assert.ok(peakPulled <= pulledBound, `${peakPulled} bytes pulled > ${pulledBound}`);
    // ...plus what the adapter queued before pausing its socket.
    const heldBound = pulledBound + ADAPTER_READ_HIGH_WATER_MARK + stats.maxChunk;
    assert.ok(peakHeld <= heldBound, `${peakHeld} bytes held > ${heldBound}`);

    const reader = readable.getReader();
    for (let index = 0; index < count; index++) {
      const { value, done } = await reader.read();
      assert.equal(done, false, `the readable ended after ${index} messages`);
      if (!(value instanceof Uint8Array) || !isMessage(value, index, size)) {
        assert.fail(`message ${index} is not the one the server sent`);
      }
      consumed += wire;
    }
    await within(push.done, 5000, "the server to finish pushing");
    reader.releaseLock();
    socket.close({ closeCode: 1000 });
    assert.deepEqual(await socket.closed, { closeCode: 1000, reason: "" });
    await peer.clientGone;
    await server.close();
    await assertNoLeaks(before, "read backpressure");
    assert.ok(peakHeld <= heldBound, `${peakHeld} bytes held > ${heldBound} after resuming`);
    console.log(
      `backpressure ${runtime} read: server pushed ${count * size / MIB} MiB in ${
        kib(size)
      } messages; ` +
        `at the stall it had written ${kib(stall.written)} (kernel took ${kib(stall.kernel)}, ` +
        `${kib(stall.queued)} queued in its socket) while the client had taken ${
          kib(heldAtStall)
        }; ` +
        `client peak held ${kib(peakHeld)} (readable+parser ${kib(peakPulled)}, ` +
        `readableHighWaterMark ${kib(highWaterMark)}, largest transport chunk ${
          kib(stats.maxChunk)
        })`,
    );
  });
});

describe("WebSocketStream write backpressure (WHATWG streams: writer.ready)", () => {
  it("WebSocketStream holds writer.ready while the server does not read, keeps bufferedAmount under writableHighWaterMark plus one message, and delivers everything after", async () => {
    const before = await resourceBaseline();
    const server = await startRawServer();
    const { connector, stats } = createProbeConnector();
    const highWaterMark = 256 * KIB;
    const size = 64 * KIB;
    const count = 512; // 32 MiB
    const wire = frameSize(size, true);
    const socket = new WebSocketStream(server.url, {
      transport: connector,
      writableHighWaterMark: highWaterMark,
      pingInterval: 0,
    });
    const peer = await server.peer();
    const { writable } = await socket.opened;
    peer.pause();
    const transport = stats.transports[0]!;
    const writer = writable.getWriter();
    let written = 0;
    const writing = (async () => {
      for (let index = 0; index < count; index++) {
        await writer.ready;
        writer.write(numbered(index, size)).catch(() => {});
        written = index + 1;
      }
      await writer.ready;
    })();
    // Wait until the writer makes no progress.
    let last = -1;
    let since = performance.now();
    await until(
      () => {
        if (written !== last) {
          last = written;
          since = performance.now();
        }
        return performance.now() - since > 300;
      },
      10_000,
      "the writer to stall",
    );
    const writtenAtStall = written;
    const bufferedAtStall = transport.bufferedAmount;
    assert.ok(writtenAtStall < count / 2, `${writtenAtStall} of ${count} messages were written`);
    assert.ok(await pendsFor(writer.ready, 50), "writer.ready pends");
    assert.ok((writer.desiredSize ?? 1) <= 0, `desiredSize is ${writer.desiredSize}`);
    const bound = highWaterMark + wire;
    assert.ok(stats.peakBufferedAmount <= bound, `${stats.peakBufferedAmount} > ${bound}`);
    assert.ok(bufferedAtStall > 0, "the transport holds bytes while the server does not read");

    peer.resume();
    await within(writing, 10_000, "the writer to finish");
    await within(
      until(() => peer.binaryMessages === count, 10_000, "every message to arrive"),
      11_000,
      "every message to arrive",
    );
    assert.equal(peer.badMessages, 0);
    assert.equal(peer.binaryBytes, count * size);
    assert.ok(
      stats.peakBufferedAmount <= bound,
      `${stats.peakBufferedAmount} > ${bound} after resuming`,
    );
    writer.releaseLock();
    socket.close({ closeCode: 1000 });
    assert.deepEqual(await socket.closed, { closeCode: 1000, reason: "" });
    await peer.clientGone;
    await server.close();
    await assertNoLeaks(before, "write backpressure");
    console.log(
      `backpressure ${runtime} write: client wrote ${count * size / MIB} MiB in ${
        kib(size)
      } messages; ` +
        `at the stall ${writtenAtStall} messages (${kib(writtenAtStall * wire)}) were written, ` +
        `${kib(bufferedAtStall)} of them in the transport; peak transport bufferedAmount ` +
        `${kib(stats.peakBufferedAmount)} (writableHighWaterMark ${
          kib(highWaterMark)
        } + one frame ${kib(wire)})`,
    );
  });
});

describe("WebSocket bufferedAmount and maxBufferedAmount (WHATWG send())", () => {
  it("WebSocket bufferedAmount counts what send() queued, stays up while the server does not read, and falls back to 0 after", async () => {
    const before = await resourceBaseline();
    const server = await startRawServer();
    const { connector, stats } = createProbeConnector();
    const size = 64 * KIB;
    const count = 256; // 16 MiB
    const wire = frameSize(size, true);
    const socket = new WebSocket(server.url, { transport: connector, pingInterval: 0 });
    const peer = await server.peer();
    await new Promise((resolve) => socket.addEventListener("open", resolve, { once: true }));
    peer.pause();
    for (let index = 0; index < count; index++) socket.send(numbered(index, size));
    // "queued using send() but not yet transmitted to the network", counted as send() returns.
    const afterBurst = socket.bufferedAmount;
    assert.ok(afterBurst >= count * size, `bufferedAmount ${afterBurst} right after the sends`);
    assert.ok(afterBurst <= count * wire, `bufferedAmount ${afterBurst} > what was framed`);
    await delay(300);
    const whilePaused = socket.bufferedAmount;
    assert.ok(whilePaused > 0, "bytes stay queued while the server does not read");
    assert.ok(whilePaused <= afterBurst);
    const resumed = performance.now();
    peer.resume();
    await until(() => socket.bufferedAmount === 0, 10_000, "bufferedAmount to fall to 0");
    const drainedAfter = performance.now() - resumed;
    await until(() => peer.binaryMessages === count, 10_000, "every message to arrive");
    assert.equal(peer.badMessages, 0);
    const closed = new Promise<CloseEvent>((resolve) =>
      socket.addEventListener("close", (event) => resolve(event as CloseEvent), { once: true })
    );
    socket.close(1000);
    const event = await closed;
    assert.deepEqual([event.code, event.wasClean], [1000, true]);
    assert.equal(socket.bufferedAmount, 0);
    await peer.clientGone;
    await server.close();
    await assertNoLeaks(before, "bufferedAmount");
    console.log(
      `backpressure ${runtime} WebSocket.bufferedAmount: ${count} sends of ${kib(size)} (${
        count * size / MIB
      } MiB) in one task; bufferedAmount right after ${kib(afterBurst)}, ${kib(whilePaused)} ` +
        `after 300 ms with the server not reading (peak transport queue ${
          kib(stats.peakBufferedAmount)
        }), ` +
        `0 within ${drainedAfter.toFixed(0)} ms once it read again`,
    );
  });

  it("WebSocket fires error (QuotaExceededError) then close (1006) when sends go past maxBufferedAmount while the server does not read", async () => {
    const before = await resourceBaseline();
    const server = await startRawServer();
    const maxBufferedAmount = 1 * MIB;
    const size = 64 * KIB;
    const socket = new WebSocket(server.url, { maxBufferedAmount, pingInterval: 0 });
    const events: string[] = [];
    let error: unknown = null;
    socket.addEventListener("error", (event) => {
      events.push("error");
      error = (event as ErrorEvent).error;
    });
    const closed = new Promise<CloseEvent>((resolve) =>
      socket.addEventListener("close", (event) => {
        events.push("close");
        resolve(event as CloseEvent);
      }, { once: true })
    );
    const peer = await server.peer();
    await new Promise((resolve) => socket.addEventListener("open", resolve, { once: true }));
    peer.pause();
    let sent = 0;
    let peakAmount = 0;
    // Paced sends, as an application that yields between messages.
    while (socket.readyState === WebSocket.OPEN && sent < 1024) {
      peakAmount = Math.max(peakAmount, socket.bufferedAmount);
      socket.send(numbered(sent, size));
      sent++;
      await delay(0);
    }
    const event = await within(closed, 2000, "the close event");
    assert.deepEqual(events, ["error", "close"]);
    assert.ok(error instanceof DOMException, `error is ${error}`);
    assert.equal(error.name, "QuotaExceededError");
    assert.equal(
      error.message,
      `Cannot send: ${size} more bytes would exceed maxBufferedAmount (${maxBufferedAmount})`,
    );
    assert.deepEqual([event.code, event.wasClean], [1006, false]);
    assert.ok(peakAmount <= maxBufferedAmount, `bufferedAmount reached ${peakAmount}`);
    assert.ok(sent > maxBufferedAmount / size, "the kernel took some messages first");
    peer.resume();
    await within(peer.clientGone, 2000, "the server to see the client go");
    await delay(50);
    assert.equal(peer.badMessages, 0, "what arrived arrived whole and in order");
    // The 1008 close frame queues behind what the server did not read; when
    // the transport is closed it may be lost with them.
    for (const frame of peer.closeFrames) assert.equal(frame.code, 1008);
    await server.close();
    await assertNoLeaks(before, "maxBufferedAmount");
    console.log(
      `backpressure ${runtime} WebSocket.maxBufferedAmount ${
        kib(maxBufferedAmount)
      }: failed at send ${sent} ` +
        `(${kib(sent * size)} sent, peak bufferedAmount ${kib(peakAmount)}); the server then got ` +
        `${peer.binaryMessages} messages and ${
          peer.closeFrames.length === 0 ? "no close frame" : `close ${peer.closeFrames[0]!.code}`
        }`,
    );
  });

  it("WebSocket sends close 1008 to the server when one send() is larger than maxBufferedAmount", async () => {
    const before = await resourceBaseline();
    const server = await startRawServer();
    const socket = new WebSocket(server.url, { maxBufferedAmount: 64 * KIB, pingInterval: 0 });
    const closed = new Promise<CloseEvent>((resolve) =>
      socket.addEventListener("close", (event) => resolve(event as CloseEvent), { once: true })
    );
    let error: unknown = null;
    socket.addEventListener("error", (event) => (error = (event as ErrorEvent).error));
    const peer = await server.peer();
    await new Promise((resolve) => socket.addEventListener("open", resolve, { once: true }));
    socket.send(new Uint8Array(128 * KIB));
    const event = await within(closed, 2000, "the close event");
    assert.deepEqual([event.code, event.wasClean], [1006, false]);
    assert.equal((error as DOMException | null)?.name, "QuotaExceededError");
    await within(peer.clientGone, 2000, "the server to see the client go");
    // RFC 6455 §7.1.7: "SHOULD send a Close frame with an appropriate status code".
    assert.deepEqual(peer.closeFrames.map((frame) => frame.code), [1008]);
    assert.equal(peer.binaryMessages, 0);
    await server.close();
    await assertNoLeaks(before, "maxBufferedAmount, one large send");
  });
});
