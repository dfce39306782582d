/**
 * When a connection fails, what the application sees and when: messages
 * that arrived before a bad frame are delivered and their answers go out
 * before the failing close frame (in one read or byte by byte alike); the
 * failure is reported when it happens, not when the peer finally ends TCP;
 * and a close timer that expires after our own close is reported as a
 * timeout, not as the server's fault. The server is wsport's own raw test
 * server: no real server sends a reserved opcode on purpose.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ProtocolError } from "../../src/protocol/errors.ts";
import { getDefaultConnector } from "../../src/transport/select.ts";
import type { Bytes, Connector, Transport } from "../../src/transport/types.ts";
import type { CloseEventLike, ErrorEventLike } from "../../src/web/events.ts";
import { WebSocket } from "../../src/web/websocket.ts";
import { WebSocketStream } from "../../src/web/websocket_stream.ts";
import { WebSocketError } from "../../src/web/websocket_error.ts";
import { type RawServer, startRawServer } from "../_util/raw_ws_server.ts";
import { until, within } from "../_util/wait.ts";

/** An unmasked server frame. */
function frame(opcode: number, payload: string | Uint8Array): Uint8Array {
  const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  return new Uint8Array([0x80 | opcode, bytes.length, ...bytes]);
}

/** Two text messages, then a frame with the reserved opcode 0x3 (RFC 6455 §5.2: fail with 1002). */
const MESSAGES_THEN_BAD_FRAME = new Uint8Array([
  ...frame(0x1, "one"),
  ...frame(0x1, "two"),
  0x83,
  0x00,
]);

/** The runtime's connector, with every read cut into one-byte chunks. */
function byteByByte(): Connector {
  return async (options) => {
    const inner: Transport = await (await getDefaultConnector())(options);
    let chunk: Bytes | null = null;
    let offset = 0;
    return {
      get tls() {
        return inner.tls;
      },
      get remoteAddress() {
        return inner.remoteAddress;
      },
      async read() {
        while (chunk === null || offset >= chunk.length) {
          chunk = await inner.read();
          offset = 0;
          if (chunk === null) return null;
        }
        offset++;
        return chunk.slice(offset - 1, offset);
      },
      write: (bytes) => inner.write(bytes),
      get bufferedAmount() {
        return inner.bufferedAmount;
      },
      drained: () => inner.drained(),
      closeWrite: () => inner.closeWrite(),
      close: () => inner.close(),
      get closed() {
        return inner.closed;
      },
    };
  };
}

let server: RawServer;

before(async () => {
  // The server never answers our close frame nor ends TCP: only the test ends it.
  server = await startRawServer({ answerClose: false });
});

after(async () => {
  await server.close();
});

describe("Messages before a bad frame (RFC 6455 §7.1.7)", () => {
  for (
    const [name, connector] of [["one read", undefined], ["byte by byte", byteByByte()]] as const
  ) {
    it(`WebSocket delivers them and sends their answers before the failing close frame (${name})`, async () => {
      const socket = new WebSocket(server.url, {
        closeTimeout: 60_000,
        ...(connector === undefined ? {} : { transport: connector }),
      });
      const peer = await server.peer();
      await new Promise((resolve) => socket.onopen = resolve);
      const received: string[] = [];
      socket.onmessage = (event) => {
        received.push(String(event.data));
        socket.send(`re: ${event.data}`);
      };
      const error = new Promise<ErrorEventLike>((resolve) =>
        socket.onerror = (event) => resolve(event as unknown as ErrorEventLike)
      );
      peer.socket.write(MESSAGES_THEN_BAD_FRAME);
      await within(error, 10_000, "the error event");
      assert.deepEqual(received, ["one", "two"]);
      await until(() => peer.closeFrames.length > 0, 10_000, "the close frame");
      // The server's connection discards data after a close frame: both answers came first.
      assert.deepEqual(peer.texts, ["re: one", "re: two"]);
      assert.deepEqual(peer.closeFrames, [{ code: 1002, reason: "" }]);
      const closed = new Promise<CloseEventLike>((resolve) =>
        socket.onclose = (event) => resolve(event as CloseEventLike)
      );
      peer.destroy();
      const close = await within(closed, 10_000, "the close event");
      assert.equal(close.code, 1006);
      assert.equal(close.wasClean, false);
    });
  }

  it("WebSocketStream's readable gives them before it errors with the failure", async () => {
    const socket = new WebSocketStream(server.url, { closeTimeout: 60_000 });
    const peer = await server.peer();
    const { readable } = await socket.opened;
    peer.socket.write(MESSAGES_THEN_BAD_FRAME);
    const reader = readable.getReader();
    assert.deepEqual(await reader.read(), { value: "one", done: false });
    assert.deepEqual(await reader.read(), { value: "two", done: false });
    const next = reader.read();
    await until(() => peer.closeFrames.length > 0, 10_000, "the close frame");
    peer.destroy();
    const failure = await next.then(() => null, (error) => error);
    assert.ok(failure instanceof WebSocketError);
    assert.equal(failure.closeCode, 1006);
    assert.ok(failure.cause instanceof ProtocolError);
    assert.equal((failure.cause as ProtocolError).code, "RESERVED_OPCODE");
    await assert.rejects(socket.closed, (error) => error === failure);
  });
});

describe("A failure is reported when it happens", () => {
  it("WebSocket fires error at the failure; close waits for the end of TCP", async () => {
    const socket = new WebSocket(server.url, { closeTimeout: 60_000 });
    const peer = await server.peer();
    await new Promise((resolve) => socket.onopen = resolve);
    const events: string[] = [];
    const error = new Promise<ErrorEventLike>((resolve) =>
      socket.onerror = (event) => {
        events.push("error");
        resolve(event as unknown as ErrorEventLike);
      }
    );
    socket.onclose = () => events.push("close");
    peer.socket.write(new Uint8Array([0x83, 0x00]));
    const event = await within(error, 10_000, "the error event");
    assert.ok(event.error instanceof ProtocolError);
    assert.equal((event.error as ProtocolError).code, "RESERVED_OPCODE");
    // The peer keeps TCP open: the close event is not there yet.
    assert.equal(socket.readyState, WebSocket.CLOSING);
    await until(() => peer.closeFrames.length > 0, 10_000, "the close frame");
    assert.deepEqual(events, ["error"]);
    const closed = new Promise((resolve) => socket.addEventListener("close", resolve));
    peer.destroy();
    await within(closed, 10_000, "the close event");
    assert.deepEqual(events, ["error", "close"]);
  });

  it("WebSocketStream errors its writable at the failure; closed settles at the end of TCP", async () => {
    const socket = new WebSocketStream(server.url, { closeTimeout: 60_000 });
    const peer = await server.peer();
    const { writable } = await socket.opened;
    const writer = writable.getWriter();
    let settled = false;
    socket.closed.then(() => settled = true, () => settled = true);
    peer.socket.write(new Uint8Array([0x88, 0x01, 0x00])); // a 1-byte close payload: §5.5.1, 1002
    const failure = await within(writer.closed.then(() => null, (e) => e), 10_000, "writer.closed");
    assert.ok(failure instanceof WebSocketError);
    assert.equal((failure.cause as ProtocolError).code, "INVALID_CLOSE_PAYLOAD");
    assert.equal(settled, false);
    peer.destroy();
    await assert.rejects(socket.closed, (error) => error === failure);
  });
});

describe("closeTimeout after our own close (RFC 6455 §7.1.1)", () => {
  it("WebSocket reports a TimeoutError, not the server's UNEXPECTED_EOF", async () => {
    const socket = new WebSocket(server.url, { closeTimeout: 50 });
    await server.peer();
    await new Promise((resolve) => socket.onopen = resolve);
    let error: unknown = null;
    socket.onerror = (event) => error = (event as unknown as ErrorEventLike).error;
    const closed = new Promise<CloseEventLike>((resolve) =>
      socket.onclose = (event) => resolve(event as CloseEventLike)
    );
    socket.close(1000, "bye");
    const close = await within(closed, 10_000, "the close event");
    assert.equal(close.code, 1006);
    assert.equal(close.wasClean, false);
    assert.ok(error instanceof DOMException);
    assert.equal(error.name, "TimeoutError");
    assert.equal(
      error.message,
      "Cannot close connection: no close frame from the server within 50 ms",
    );
  });

  it("WebSocketStream rejects closed with a WebSocketError caused by the TimeoutError", async () => {
    const socket = new WebSocketStream(server.url, { closeTimeout: 50 });
    await server.peer();
    await socket.opened;
    socket.close({ closeCode: 1000 });
    const failure = await socket.closed.then(() => null, (error) => error);
    assert.ok(failure instanceof WebSocketError);
    assert.equal(failure.closeCode, 1006);
    assert.ok(failure.cause instanceof DOMException);
    assert.equal((failure.cause as DOMException).name, "TimeoutError");
  });
});
