/**
 * `WebSocketStream` (https://websockets.spec.whatwg.org/#the-websocketstream-interface)
 * against a scripted server over the in-memory transport: the opened and
 * closed promises, close validation, reading and writing, the signal, and
 * backpressure in both directions.
 *
 * @module
 */

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { WebSocketError, WebSocketStream, type WebSocketStreamOptions } from "../../mod.ts";
import { HandshakeError, ProtocolError } from "../../src/protocol/errors.ts";
import {
  cleanUp,
  concatBytes,
  createFakeServer,
  delay,
  type FakePeer,
  type FakeServer,
  frameBytes,
  onCleanUp,
  OP,
  tick,
  trackTimers,
  utf8,
} from "../_util/fake_server.ts";

// ---------------------------------------------------------------------------
// Helpers

interface Opened {
  readonly server: FakeServer;
  readonly socket: WebSocketStream;
  readonly peer: FakePeer;
  readonly readable: ReadableStream<string | Uint8Array>;
  readonly writable: WritableStream<string | BufferSource>;
}

async function connect(
  options: WebSocketStreamOptions = {},
  serverOptions: { highWaterMark?: number } = {},
): Promise<Opened> {
  const server = createFakeServer(serverOptions);
  const socket = new WebSocketStream("ws://fake.test/", {
    ...options,
    transport: server.connector,
  });
  onCleanUp(() => socket.close());
  const peer = await server.accept();
  await peer.handshake();
  const { readable, writable } = await socket.opened;
  return { server, socket, peer, readable, writable };
}

/** Resolves to "settled" or "pending" after letting timers and promises run for `ms`. */
async function state(
  promise: Promise<unknown>,
  ms = 20,
): Promise<"fulfilled" | "rejected" | "pending"> {
  let result: "fulfilled" | "rejected" | "pending" = "pending";
  promise.then(() => (result = "fulfilled"), () => (result = "rejected"));
  await delay(ms);
  return result;
}

/** The rejection reason of `promise`; fails if it fulfills or is still pending after `ms`. */
async function rejection(promise: Promise<unknown>, ms = 2000): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    promise.then(
      () => ({ kind: "fulfilled" as const }),
      (error) => ({ kind: "rejected" as const, error }),
    ),
    new Promise<{ kind: "pending" }>((
      resolve,
    ) => (timer = setTimeout(() => resolve({ kind: "pending" }), ms))),
  ]);
  clearTimeout(timer);
  if (outcome.kind === "pending") assert.fail(`the promise is still pending after ${ms} ms`);
  if (outcome.kind === "fulfilled") assert.fail("the promise fulfilled");
  return outcome.error;
}

function isWebSocketError(error: unknown, closeCode: number | null, reason = ""): boolean {
  assert.ok(error instanceof WebSocketError, `expected a WebSocketError, got ${error}`);
  assert.ok(error instanceof DOMException);
  assert.equal(error.name, "WebSocketError");
  assert.equal(error.closeCode, closeCode);
  assert.equal(error.reason, reason);
  return true;
}

// ---------------------------------------------------------------------------

describe("WebSocketStream constructor", () => {
  afterEach(cleanUp);

  it("throws a SyntaxError DOMException for an invalid URL, scheme or fragment", () => {
    const server = createFakeServer();
    for (const url of ["not a url", "ftp://x/", "ws://x/#frag", "ws://x/#"]) {
      assert.throws(
        () => new WebSocketStream(url, { transport: server.connector }),
        (error: unknown) => error instanceof DOMException && error.name === "SyntaxError",
        url,
      );
    }
    assert.equal(server.requests.length, 0);
  });

  it("throws a SyntaxError DOMException for invalid or repeated subprotocols", () => {
    for (const protocols of [[""], ["a b"], ["x", "x"], ["x", "X"]]) {
      assert.throws(
        () =>
          new WebSocketStream("ws://fake.test/", {
            protocols,
            transport: createFakeServer().connector,
          }),
        (error: unknown) => error instanceof DOMException && error.name === "SyntaxError",
        JSON.stringify(protocols),
      );
    }
  });

  for (
    const [name, options] of [
      ["a negative readableHighWaterMark", { readableHighWaterMark: -1 }],
      ["a NaN writableHighWaterMark", { writableHighWaterMark: Number.NaN }],
      ["an infinite readableHighWaterMark", { readableHighWaterMark: Number.POSITIVE_INFINITY }],
      ["a negative handshakeTimeout", { handshakeTimeout: -1 }],
      ["a zero maxMessageSize", { maxMessageSize: 0 }],
    ] as const
  ) {
    it(`throws a RangeError for ${name}`, () => {
      const server = createFakeServer();
      assert.throws(
        () => new WebSocketStream("ws://fake.test/", { ...options, transport: server.connector }),
        (error: unknown) => error instanceof RangeError && /^Cannot create /.test(error.message),
      );
      assert.equal(server.requests.length, 0);
    });
  }

  it("throws a TypeError for a protocol-owned header", () => {
    assert.throws(
      () =>
        new WebSocketStream("ws://fake.test/", {
          headers: { "Sec-WebSocket-Key": "x" },
          transport: createFakeServer().connector,
        }),
      TypeError,
    );
  });

  it("serializes the URL with ws:/wss: and sends headers and subprotocols", async () => {
    const server = createFakeServer();
    const socket = new WebSocketStream("https://Example.com/a?b", {
      protocols: ["one", "two"],
      headers: { "X-Client": "stream" },
      transport: server.connector,
    });
    assert.equal(socket.url, "wss://example.com/a?b");
    const peer = await server.accept();
    const request = await peer.readRequest();
    assert.equal(request.requestLine, "GET /a?b HTTP/1.1");
    assert.equal(request.header("sec-websocket-protocol"), "one, two");
    assert.equal(request.header("x-client"), "stream");
    assert.ok(server.requests[0]?.tls !== undefined, "wss: connects with TLS");
    socket.close();
    await socket.closed.catch(() => {});
  });
});

describe("WebSocketStream opened", () => {
  afterEach(cleanUp);

  it("resolves with readable, writable, protocol, extensions and handshake", async () => {
    const server = createFakeServer();
    const socket = new WebSocketStream("ws://fake.test/", {
      protocols: ["chat", "json"],
      transport: server.connector,
    });
    const peer = await server.accept();
    await peer.readRequest();
    peer.acceptHandshake({ protocol: "json", headers: [["X-Server", "fake"]] });
    const info = await socket.opened;
    assert.ok(info.readable instanceof ReadableStream);
    assert.ok(info.writable instanceof WritableStream);
    assert.equal(info.protocol, "json");
    assert.equal(info.extensions, "");
    assert.equal(info.handshake.status, 101);
    assert.ok(
      info.handshake.headers.some(([name, value]) => name === "x-server" && value === "fake"),
    );
    socket.close();
    await peer.answerClose();
    await socket.closed;
  });

  it("rejects opened and closed with a WebSocketError (1006) when the handshake is refused", async () => {
    const server = createFakeServer();
    const socket = new WebSocketStream("ws://fake.test/", { transport: server.connector });
    const peer = await server.accept();
    await peer.readRequest();
    peer.write("HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\n\r\nnope");
    const error = await rejection(socket.opened);
    assert.ok(error instanceof WebSocketError);
    assert.equal(error.closeCode, 1006);
    assert.ok(error.cause instanceof HandshakeError, "the cause is kept");
    assert.equal(error.cause.status, 401);
    const closedError = await rejection(socket.closed);
    isWebSocketError(closedError, 1006);
    await server.clients[0]!.closed;
  });

  it("rejects when the server answers garbage", async () => {
    const server = createFakeServer();
    const socket = new WebSocketStream("ws://fake.test/", { transport: server.connector });
    const peer = await server.accept();
    await peer.readRequest();
    peer.write("220 smtp.example.com ESMTP\r\n\r\n");
    const error = await rejection(socket.opened);
    assert.ok(error instanceof WebSocketError);
    assert.ok(error.cause instanceof HandshakeError);
    assert.equal(error.cause.code, "MALFORMED_RESPONSE");
  });

  it("rejects after handshakeTimeout when the server never answers, leaving no timer", async () => {
    const timers = trackTimers();
    try {
      const server = createFakeServer();
      const socket = new WebSocketStream("ws://fake.test/", {
        handshakeTimeout: 20,
        transport: server.connector,
      });
      const peer = await server.accept();
      await peer.readRequest();
      const error = await rejection(socket.opened);
      assert.ok(error instanceof WebSocketError);
      assert.equal(error.closeCode, 1006);
      assert.ok(
        error.cause instanceof DOMException && error.cause.name === "TimeoutError",
        `the cause is a TimeoutError, got ${error.cause}`,
      );
      await peer.readToEnd();
      assert.equal(peer.eof, true, "the client hung up");
      await server.clients[0]!.closed;
      assert.equal(timers.pending, 0, `pending timers: ${timers.pendingDelays}`);
    } finally {
      timers.restore();
    }
  });

  it("rejects opened and closed with the signal's reason when it is already aborted", async () => {
    const server = createFakeServer();
    const reason = new Error("gave up");
    const socket = new WebSocketStream("ws://fake.test/", {
      signal: AbortSignal.abort(reason),
      transport: server.connector,
    });
    assert.equal(await rejection(socket.opened), reason);
    assert.equal(await rejection(socket.closed), reason);
    assert.equal(server.requests.length, 0);
  });

  it("rejects opened and closed with the signal's reason when aborted during the handshake", async () => {
    const controller = new AbortController();
    const server = createFakeServer();
    const socket = new WebSocketStream("ws://fake.test/", {
      signal: controller.signal,
      transport: server.connector,
    });
    const peer = await server.accept();
    await peer.readRequest();
    controller.abort();
    const error = await rejection(socket.opened);
    // WPT websockets/stream/tentative/abort.any.js: an AbortError DOMException.
    assert.ok(error instanceof DOMException, `got ${error}`);
    assert.equal(error.name, "AbortError");
    assert.equal(await rejection(socket.closed), error);
    await peer.readToEnd();
    assert.equal(peer.eof, true, "the client hung up");
  });

  it("rejects when close() is called before the connection opened", async () => {
    const server = createFakeServer();
    const socket = new WebSocketStream("ws://fake.test/", { transport: server.connector });
    const peer = await server.accept();
    await peer.readRequest();
    socket.close({ closeCode: 1000 });
    const error = await rejection(socket.opened);
    assert.ok(error instanceof WebSocketError);
    await rejection(socket.closed);
    await peer.readToEnd();
    assert.equal(peer.eof, true);
  });
});

describe("WebSocketStream closed and close()", () => {
  afterEach(cleanUp);

  it("resolves closed with the code and reason of a clean close started by the client", async () => {
    const { socket, peer, readable } = await connect();
    socket.close({ closeCode: 3000, reason: "done here" });
    const received = await peer.readClose();
    assert.deepEqual([received.code, received.reason], [3000, "done here"]);
    peer.sendClose(3000, "ok");
    peer.close();
    assert.deepEqual(await socket.closed, { closeCode: 3000, reason: "ok" });
    // The readable is closed (done), not errored.
    const reader = readable.getReader();
    assert.deepEqual(await reader.read(), { done: true, value: undefined });
  });

  it("resolves closed with the server's code and reason when the server closes", async () => {
    const { socket, peer } = await connect();
    peer.sendClose(4000, "maintenance");
    const echoed = await peer.readClose();
    assert.equal(echoed.code, 4000);
    peer.close();
    assert.deepEqual(await socket.closed, { closeCode: 4000, reason: "maintenance" });
  });

  it("sends an empty close frame for close() and resolves closed with 1005", async () => {
    const { socket, peer } = await connect();
    socket.close();
    assert.equal((await peer.answerClose()).code, 1005);
    assert.deepEqual(await socket.closed, { closeCode: 1005, reason: "" });
  });

  it("sends 1000 when only a reason is given", async () => {
    const { socket, peer } = await connect();
    socket.close({ reason: "bye" });
    const received = await peer.answerClose();
    assert.deepEqual([received.code, received.reason], [1000, "bye"]);
    assert.deepEqual(await socket.closed, { closeCode: 1000, reason: "" });
  });

  it("validates closeCode (InvalidAccessError) and reason (SyntaxError) before closing", async () => {
    const { socket, peer } = await connect();
    for (const closeCode of [999, 1001, 1005, 1006, 2999, 5000]) {
      assert.throws(
        () => socket.close({ closeCode }),
        (error: unknown) => error instanceof DOMException && error.name === "InvalidAccessError",
        String(closeCode),
      );
    }
    assert.throws(
      () => socket.close({ closeCode: 1000, reason: "x".repeat(124) }),
      (error: unknown) => error instanceof DOMException && error.name === "SyntaxError",
    );
    assert.throws(
      () => socket.close({ reason: "\u00e9".repeat(62) }),
      (error: unknown) => error instanceof DOMException && error.name === "SyntaxError",
    );
    // Nothing was sent: the next close is the first on the wire.
    socket.close({ closeCode: 4999, reason: "r".repeat(123) });
    const received = await peer.answerClose();
    assert.deepEqual([received.code, received.reason, received.before], [
      4999,
      "r".repeat(123),
      [],
    ]);
    await socket.closed;
  });

  it("sends one close frame however many times close() is called", async () => {
    const { socket, peer } = await connect();
    socket.close({ closeCode: 3001 });
    socket.close({ closeCode: 3002 });
    socket.close();
    assert.equal((await peer.readClose()).code, 3001);
    peer.sendClose(3001);
    peer.closeWrite();
    assert.deepEqual(await peer.readFrames(), []);
    await socket.closed;
  });

  it("rejects closed with a WebSocketError (1006) and errors the readable when the server drops the connection", async () => {
    const { socket, peer, readable } = await connect();
    const reader = readable.getReader();
    const read = reader.read();
    peer.close();
    const error = await rejection(socket.closed);
    isWebSocketError(error, 1006);
    assert.equal(await rejection(read), error);
  });

  it("rejects closed with a WebSocketError (1006) after a protocol violation, sending 1002 on the wire", async () => {
    const { socket, peer, readable } = await connect();
    const reader = readable.getReader();
    const read = reader.read();
    peer.sendFrame(OP.Binary, new Uint8Array([1]), { mask: [1, 1, 1, 1] });
    assert.equal((await peer.readClose()).code, 1002);
    peer.close();
    const error = await rejection(socket.closed);
    isWebSocketError(error, 1006);
    assert.ok(error instanceof WebSocketError && error.cause instanceof ProtocolError);
    assert.equal((error.cause as ProtocolError).code, "MASKED_FRAME");
    await rejection(read);
  });

  it("sends 1007 on the wire for invalid UTF-8 and 1009 for a message over maxMessageSize", async () => {
    for (
      const [bytes, code] of [
        [frameBytes(OP.Text, new Uint8Array([0xed, 0xa0, 0x80])), 1007],
        [frameBytes(OP.Binary, new Uint8Array(65)), 1009],
      ] as const
    ) {
      const { socket, peer, readable } = await connect({ maxMessageSize: 64 });
      const reader = readable.getReader();
      void reader.read().catch(() => {});
      peer.write(bytes);
      assert.equal((await peer.readClose()).code, code);
      peer.close();
      isWebSocketError(await rejection(socket.closed), 1006);
    }
  });

  it("errors the writable with the WebSocketError after an abnormal close", async () => {
    const { socket, peer, writable } = await connect();
    const writer = writable.getWriter();
    peer.reset();
    const error = await rejection(socket.closed);
    assert.equal(await rejection(writer.closed), error);
  });

  it("errors the writable with an InvalidStateError after a clean close", async () => {
    const { socket, peer, writable } = await connect();
    const writer = writable.getWriter();
    socket.close();
    await peer.answerClose();
    await socket.closed;
    const error = await rejection(writer.closed);
    assert.ok(error instanceof DOMException && error.name === "InvalidStateError", `got ${error}`);
  });

  it("closes the transport after closeTimeout when the server never answers the close frame", async () => {
    const timers = trackTimers();
    try {
      const { socket, peer, server } = await connect({ closeTimeout: 20 });
      socket.close({ closeCode: 1000 });
      assert.equal((await peer.readClose()).code, 1000);
      const error = await rejection(socket.closed);
      isWebSocketError(error, 1006);
      await peer.readToEnd();
      assert.equal(peer.eof, true);
      await server.clients[0]!.closed;
      assert.equal(timers.pending, 0, `pending timers: ${timers.pendingDelays}`);
    } finally {
      timers.restore();
    }
  });

  it("leaves no timer pending and the transport closed after a clean close", async () => {
    const timers = trackTimers();
    try {
      const { socket, peer, server, writable } = await connect();
      await writable.getWriter().write("x");
      await peer.readFrame();
      socket.close();
      await peer.answerClose();
      await socket.closed;
      await server.clients[0]!.closed;
      assert.equal(timers.pending, 0, `pending timers: ${timers.pendingDelays}`);
    } finally {
      timers.restore();
    }
  });
});

describe("WebSocketStream readable", () => {
  afterEach(cleanUp);

  it("gives strings for text messages and Uint8Array for binary ones, in order", async () => {
    const { socket, peer, readable } = await connect();
    peer.write(concatBytes(
      frameBytes(OP.Text, "caf\u00e9"),
      frameBytes(OP.Binary, new Uint8Array([0, 255])),
      frameBytes(OP.Text, ""),
      frameBytes(OP.Binary, new Uint8Array(0)),
    ));
    const reader = readable.getReader();
    const values = [];
    for (let i = 0; i < 4; i++) values.push((await reader.read()).value);
    assert.deepEqual(values, ["caf\u00e9", new Uint8Array([0, 255]), "", new Uint8Array(0)]);
    assert.ok(values[1] instanceof Uint8Array);
    socket.close();
    await peer.answerClose();
    await socket.closed;
  });

  it("delivers every message sent before the server's close frame, then ends", async () => {
    const { socket, peer, readable } = await connect();
    for (let i = 0; i < 20; i++) peer.sendText(`m${i}`);
    peer.sendClose(1000);
    // The server hangs up once the client answered its close frame.
    const hangUp = peer.readClose().then(() => peer.close());
    const received: unknown[] = [];
    const reader = readable.getReader();
    for (let result = await reader.read(); !result.done; result = await reader.read()) {
      received.push(result.value);
    }
    assert.deepEqual(received, Array.from({ length: 20 }, (_, i) => `m${i}`));
    await hangUp;
    assert.deepEqual(await socket.closed, { closeCode: 1000, reason: "" });
  });

  it("closes the connection when the readable is cancelled, with the WebSocketError's code", async () => {
    const { socket, peer, readable } = await connect();
    await readable.cancel(new WebSocketError("stop", { closeCode: 4001, reason: "cancelled" }));
    const received = await peer.answerClose();
    assert.deepEqual([received.code, received.reason], [4001, "cancelled"]);
    assert.deepEqual(await socket.closed, { closeCode: 4001, reason: "" });
  });

  it("closes without a code when the readable is cancelled with another reason", async () => {
    const { socket, peer, readable } = await connect();
    await readable.cancel(new Error("whatever"));
    assert.equal((await peer.answerClose()).code, 1005);
    await socket.closed;
  });

  it("is iterable with for await on the socket itself, ending after a clean close", async () => {
    const { socket, peer } = await connect();
    peer.sendText("a");
    peer.sendBinary(new Uint8Array([1]));
    peer.sendClose(1000);
    const hangUp = peer.readClose().then(() => peer.close());
    const received: unknown[] = [];
    for await (const message of socket) received.push(message);
    assert.deepEqual(received, ["a", new Uint8Array([1])]);
    await hangUp;
    await socket.closed;
  });
});

describe("WebSocketStream writable", () => {
  afterEach(cleanUp);

  it("sends strings as text frames and BufferSources as binary frames, in order", async () => {
    const { socket, peer, writable } = await connect();
    const writer = writable.getWriter();
    const backing = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]);
    await writer.write("h\u00e9");
    await writer.write(backing.buffer);
    await writer.write(backing.subarray(2, 5));
    await writer.write(new DataView(backing.buffer, 6, 2));
    await writer.write(new Uint16Array(backing.buffer, 4, 1));
    await writer.write("");
    const frames = [];
    for (let i = 0; i < 6; i++) frames.push(await peer.readFrame());
    assert.deepEqual(
      frames.map((frame) => frame && [frame.opcode, [...frame.payload]]),
      [
        [OP.Text, [...utf8("h\u00e9")]],
        [OP.Binary, [0, 1, 2, 3, 4, 5, 6, 7]],
        [OP.Binary, [2, 3, 4]],
        [OP.Binary, [6, 7]],
        [OP.Binary, [4, 5]],
        [OP.Text, []],
      ],
    );
    assert.deepEqual(
      [...backing],
      [0, 1, 2, 3, 4, 5, 6, 7],
      "the caller's bytes are not masked in place",
    );
    socket.close();
    await peer.answerClose();
    await socket.closed;
  });

  it("rejects a write of a value that is neither a string nor a BufferSource", async () => {
    const { socket, peer, writable } = await connect();
    const writer = writable.getWriter();
    await rejection(writer.write({} as unknown as string));
    socket.close();
    await peer.answerClose();
    await socket.closed.catch(() => {});
  });

  it("closes the connection (empty close frame) when the writable is closed", async () => {
    const { socket, peer, writable } = await connect();
    const writer = writable.getWriter();
    await writer.write("last");
    const closing = writer.close();
    const received = await peer.answerClose();
    assert.equal(received.code, 1005);
    assert.deepEqual(received.before.map((frame) => frame.opcode), [OP.Text]);
    await closing;
    assert.deepEqual(await socket.closed, { closeCode: 1005, reason: "" });
  });

  it("closes with the WebSocketError's code when the writable is aborted", async () => {
    const { socket, peer, writable } = await connect();
    await writable.abort(new WebSocketError("abort", { closeCode: 3003, reason: "aborted" }));
    const received = await peer.answerClose();
    assert.deepEqual([received.code, received.reason], [3003, "aborted"]);
    await socket.closed;
  });

  it("rejects writes once the closing handshake started, and sends nothing", async () => {
    const { socket, peer, writable } = await connect();
    const writer = writable.getWriter();
    socket.close();
    await rejection(writer.write("too late"));
    const received = await peer.answerClose();
    assert.deepEqual(received.before, []);
    await socket.closed;
  });
});

describe("WebSocketStream backpressure", () => {
  afterEach(cleanUp);

  it("stops reading the transport while the readable is full: the server's writes back up", async () => {
    const readableHighWaterMark = 4096;
    const { socket, peer, readable, server } = await connect(
      { readableHighWaterMark },
      { highWaterMark: 1024 },
    );
    const count = 100;
    const size = 1000;
    const frame = frameBytes(OP.Binary, new Uint8Array(size)).length; // 1004 bytes
    let refused = 0;
    for (let i = 0; i < count; i++) {
      const payload = new Uint8Array(size).fill(i);
      if (!peer.sendBinary(payload)) refused++;
    }
    await delay(30);
    const written = count * frame;
    const consumed = written - peer.bufferedAmount;
    assert.ok(refused > 0, "the server's write() returned false");
    assert.ok(
      consumed <= readableHighWaterMark + frame + size,
      `the client read ${consumed} bytes with nobody reading the readable`,
    );
    assert.ok(peer.bufferedAmount >= written - readableHighWaterMark - 2 * frame);
    // Reading drains everything, in order.
    const reader = readable.getReader();
    for (let i = 0; i < count; i++) {
      const { value } = await reader.read();
      assert.ok(value instanceof Uint8Array);
      assert.equal(value.length, size);
      assert.equal(value[0], i & 0xff);
    }
    assert.equal(peer.bufferedAmount, 0);
    socket.close();
    await peer.answerClose();
    await socket.closed;
    await server.clients[0]!.closed;
  });

  it("resumes reading as soon as the consumer reads again, one message at a time", async () => {
    const { socket, peer, readable } = await connect({ readableHighWaterMark: 0 }, {
      highWaterMark: 64,
    });
    for (let i = 0; i < 10; i++) peer.sendText(`message ${i}`);
    await delay(10);
    const before = peer.bufferedAmount;
    assert.ok(before > 0, "nothing is read ahead with a high-water mark of 0");
    const reader = readable.getReader();
    assert.equal((await reader.read()).value, "message 0");
    for (let i = 1; i < 10; i++) assert.equal((await reader.read()).value, `message ${i}`);
    socket.close();
    await peer.answerClose();
    await socket.closed;
  });

  it("makes writer.ready pend while the server does not read, and resolves it once it does", async () => {
    const writableHighWaterMark = 1024;
    const { socket, peer, writable, server } = await connect({ writableHighWaterMark });
    const writer = writable.getWriter();
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) writes.push(writer.write(new Uint8Array(1000).fill(i)));
    writes.forEach((write) => write.catch(() => {}));
    assert.equal(
      await state(writer.ready),
      "pending",
      "writer.ready pends while the transport is full",
    );
    assert.ok((writer.desiredSize ?? 1) <= 0);
    // Bytes the client wrote that the server has not read.
    const transportBuffered = server.clients[0]!.bufferedAmount;
    assert.ok(
      transportBuffered <= writableHighWaterMark + 2 * 1008,
      `transport holds ${transportBuffered}`,
    );
    const frames = [];
    for (let i = 0; i < 5; i++) frames.push(await peer.readFrame());
    await Promise.all(writes);
    assert.equal(await state(writer.ready), "fulfilled");
    assert.deepEqual(frames.map((frame) => frame?.payload[0]), [0, 1, 2, 3, 4]);
    socket.close();
    await peer.answerClose();
    await socket.closed;
  });
});

describe("WebSocketStream ping()", () => {
  afterEach(cleanUp);

  it("sends a ping and resolves with the round-trip time when the pong arrives", async () => {
    const { socket, peer, readable } = await connect();
    const reader = readable.getReader();
    void reader.read().catch(() => {});
    const rtt = socket.ping(new Uint8Array([7, 7]));
    const ping = await peer.readFrame();
    assert.deepEqual(ping && [ping.opcode, [...ping.payload]], [OP.Ping, [7, 7]]);
    peer.sendFrame(OP.Pong, new Uint8Array([7, 7]));
    const ms = await rtt;
    assert.equal(typeof ms, "number");
    assert.ok(ms >= 0);
    socket.close();
    await peer.answerClose();
    await socket.closed;
  });

  it("answers the server's pings with pongs while reading", async () => {
    const { socket, peer, readable } = await connect();
    const reader = readable.getReader();
    peer.sendFrame(OP.Ping, "are you there");
    peer.sendText("after ping");
    assert.equal((await reader.read()).value, "after ping");
    const pong = await peer.readFrame();
    assert.deepEqual(pong && [pong.opcode, new TextDecoder().decode(pong.payload)], [
      OP.Pong,
      "are you there",
    ]);
    socket.close();
    await peer.answerClose();
    await socket.closed;
    await tick();
  });
});
