/**
 * The WHATWG `WebSocket` (https://websockets.spec.whatwg.org/), step by
 * step, against a scripted server over the in-memory transport. The web
 * platform tests for WebSocket (`/websockets/*.any.js`) are the checklist;
 * cases marked "hostile" play a server that breaks RFC 6455 and check the
 * bytes the client answers with.
 *
 * @module
 */

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { CloseEvent, WebSocket, type WebSocketInit } from "../../mod.ts";
import { HandshakeError, ProtocolError } from "../../src/protocol/errors.ts";
import {
  cleanUp,
  closeFrameBytes,
  concatBytes,
  createFakeServer,
  delay,
  type FakePeer,
  type FakeRequest,
  type FakeServer,
  frameBytes,
  OP,
  tick,
  trackTimers,
  utf8,
} from "../_util/fake_server.ts";
import { countElementMoves } from "../_util/array_moves.ts";
import {
  DirectCloseEvent,
  DirectEvent,
  DirectMessageEvent,
  type MessageEventLike,
} from "../../src/web/events.ts";

// ---------------------------------------------------------------------------
// Helpers

type Kind = "open" | "message" | "error" | "close";

/** One dispatched event, with the readyState seen by its listener. */
interface Logged {
  readonly type: Kind;
  readonly event: Event;
  readonly readyState: number;
}

/** Records every open/message/error/close event of a socket, in order. */
function record(socket: WebSocket): Logged[] {
  const log: Logged[] = [];
  for (const type of ["open", "message", "error", "close"] as const) {
    socket.addEventListener(
      type,
      (event) => log.push({ type, event, readyState: socket.readyState }),
    );
  }
  return log;
}

/** Resolves once `log` holds an event of `type` (which may have been dispatched already). */
async function waitFor(log: readonly Logged[], type: Kind, timeoutMs = 5000): Promise<Logged> {
  const started = Date.now();
  while (true) {
    const found = log.find((entry) => entry.type === type);
    if (found !== undefined) return found;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`no ${type} event within ${timeoutMs} ms (got: ${types(log).join(", ")})`);
    }
    await delay(1);
  }
}

function types(log: readonly Logged[]): string[] {
  return log.map((entry) => entry.type);
}

/** Resolves with the next event of `type`. */
function once<T extends Event = Event>(target: EventTarget, type: string): Promise<T> {
  return new Promise((resolve) =>
    target.addEventListener(type, (event) => resolve(event as T), { once: true })
  );
}

interface CloseFields {
  wasClean: boolean;
  code: number;
  reason: string;
}

function closeFields(event: Event): CloseFields {
  const close = event as unknown as CloseFields;
  return { wasClean: close.wasClean, code: close.code, reason: close.reason };
}

function errorOf(entry: Logged | undefined): unknown {
  assert.ok(entry !== undefined, "an error event was dispatched");
  return (entry.event as Event & { error?: unknown }).error;
}

/** A socket opened against a fake server, and that server's end. */
interface Opened {
  readonly server: FakeServer;
  readonly socket: WebSocket;
  readonly peer: FakePeer;
  readonly request: FakeRequest;
  readonly log: Logged[];
}

async function connect(
  options: WebSocketInit = {},
  url = "ws://fake.test/",
  serverOptions: { highWaterMark?: number } = {},
): Promise<Opened> {
  const server = createFakeServer(serverOptions);
  const socket = new WebSocket(url, { ...options, transport: server.connector });
  const log = record(socket);
  const opened = once(socket, "open");
  const peer = await server.accept();
  const request = await peer.handshake(
    options.protocols === undefined ? {} : {
      protocol: typeof options.protocols === "string" ? options.protocols : options.protocols[0]!,
    },
  );
  await opened;
  return { server, socket, peer, request, log };
}

/** A socket whose handshake the test answers itself. */
async function connecting(
  options: WebSocketInit = {},
  url = "ws://fake.test/",
): Promise<
  { server: FakeServer; socket: WebSocket; peer: FakePeer; request: FakeRequest; log: Logged[] }
> {
  const server = createFakeServer();
  const socket = new WebSocket(url, { ...options, transport: server.connector });
  const log = record(socket);
  const peer = await server.accept();
  const request = await peer.readRequest();
  return { server, socket, peer, request, log };
}

/** Closes cleanly from the client side, playing the server's part. */
async function closeCleanly(opened: Opened): Promise<void> {
  const closed = once(opened.socket, "close");
  opened.socket.close();
  await opened.peer.answerClose();
  await closed;
}

function bytesOf(data: unknown): number[] {
  assert.ok(data instanceof ArrayBuffer, "data is an ArrayBuffer");
  return [...new Uint8Array(data)];
}

// ---------------------------------------------------------------------------

describe("WebSocket constructor (WHATWG §3.1 'new WebSocket(url, protocols)')", () => {
  afterEach(cleanUp);

  it("throws a TypeError when called with no argument", () => {
    assert.throws(
      // @ts-expect-error: the url is required
      () => new WebSocket(),
      (error: unknown) => error instanceof TypeError,
    );
  });

  for (
    const url of [
      "",
      "invalid",
      "ws://",
      "ws://exa mple.com/",
      "ws://[::1/",
      "/relative/path",
    ]
  ) {
    it(`throws a SyntaxError DOMException for the invalid URL ${JSON.stringify(url)} (step 2)`, () => {
      const server = createFakeServer();
      assert.throws(
        () => new WebSocket(url, { transport: server.connector }),
        (error: unknown) => error instanceof DOMException && error.name === "SyntaxError",
      );
      assert.equal(server.requests.length, 0);
    });
  }

  for (
    const url of ["ftp://example.com/", "file:///tmp/x", "mailto:someone@example.com", "data:,x"]
  ) {
    it(`throws a SyntaxError DOMException for the scheme of ${url} (step 5)`, () => {
      assert.throws(
        () => new WebSocket(url),
        (error: unknown) => error instanceof DOMException && error.name === "SyntaxError",
      );
    });
  }

  for (
    const url of ["ws://example.com/#", "ws://example.com/#frag", "wss://example.com/path?q#x"]
  ) {
    it(`throws a SyntaxError DOMException for the fragment in ${url} (step 6)`, () => {
      assert.throws(
        () => new WebSocket(url),
        (error: unknown) => error instanceof DOMException && error.name === "SyntaxError",
      );
    });
  }

  it("maps http: to ws: and https: to wss: (step 4), connecting with TLS for https:", async () => {
    const server = createFakeServer();
    const plain = new WebSocket("http://example.com/path?q=1", { transport: server.connector });
    assert.equal(plain.url, "ws://example.com/path?q=1");
    const secure = new WebSocket("https://example.com:8443/", { transport: server.connector });
    assert.equal(secure.url, "wss://example.com:8443/");
    await server.accept();
    await server.accept();
    assert.deepEqual(
      server.requests.map(({ hostname, port, tls }) => ({
        hostname,
        port,
        tls: tls !== undefined,
      })),
      [
        { hostname: "example.com", port: 80, tls: false },
        { hostname: "example.com", port: 8443, tls: true },
      ],
    );
    plain.close();
    secure.close();
  });

  it("serializes the url attribute (lower-cased host, default port dropped, path escaped)", () => {
    const server = createFakeServer();
    const socket = new WebSocket("ws://EXAMPLE.com:80/a b?c=d", { transport: server.connector });
    assert.equal(socket.url, "ws://example.com/a%20b?c=d");
    const fromUrl = new WebSocket(new URL("wss://example.com:443/x"), {
      transport: server.connector,
    });
    assert.equal(fromUrl.url, "wss://example.com/x");
    socket.close();
    fromUrl.close();
  });

  it("sends the resource name (path and query) and the Host header", async () => {
    const { request, socket } = await connecting({}, "ws://Example.com:8080/chat/room?id=7");
    assert.equal(request.requestLine, "GET /chat/room?id=7 HTTP/1.1");
    assert.equal(request.header("host"), "example.com:8080");
    assert.equal(request.header("upgrade"), "websocket");
    assert.equal(request.header("connection"), "Upgrade");
    assert.equal(request.header("sec-websocket-version"), "13");
    assert.match(request.key, /^[A-Za-z0-9+/]{22}==$/);
    socket.close();
  });

  for (
    const [name, protocols] of [
      ["an empty string", [""]],
      ["a space", ["a b"]],
      ["a separator", ["chat,superchat"]],
      ["a non-ASCII character", ["\u00e9cho"]],
      ["a control character", ["a\tb"]],
      ["duplicates", ["chat", "chat"]],
      ["duplicates that differ in case", ["chat", "CHAT"]],
    ] as const
  ) {
    it(`throws a SyntaxError DOMException for subprotocols with ${name} (step 8)`, () => {
      const server = createFakeServer();
      assert.throws(
        () => new WebSocket("ws://fake.test/", [...protocols], { transport: server.connector }),
        (error: unknown) => error instanceof DOMException && error.name === "SyntaxError",
      );
      assert.equal(server.requests.length, 0);
    });
  }

  it("sends the URL's userinfo as Basic authorization and keeps it in the url attribute", async () => {
    const { request, socket } = await connecting({}, "ws://user:pa%20ss@fake.test/");
    assert.equal(socket.url, "ws://user:pa%20ss@fake.test/");
    assert.equal(request.header("authorization"), "Basic dXNlcjpwYSBzcw==");
    socket.close();
  });

  it("offers a single string subprotocol as a list of one (step 7)", async () => {
    const server = createFakeServer();
    const socket = new WebSocket("ws://fake.test/", "chat", { transport: server.connector });
    const peer = await server.accept();
    const request = await peer.readRequest();
    assert.equal(request.header("sec-websocket-protocol"), "chat");
    socket.close();
  });

  it("offers a list of subprotocols in order and exposes the one the server chose", async () => {
    const server = createFakeServer();
    const socket = new WebSocket("ws://fake.test/", ["chat", "superchat"], {
      transport: server.connector,
    });
    assert.equal(socket.protocol, "");
    const peer = await server.accept();
    const request = await peer.readRequest();
    assert.equal(request.header("sec-websocket-protocol"), "chat, superchat");
    const opened = once(socket, "open");
    peer.acceptHandshake({ protocol: "superchat" });
    await opened;
    assert.equal(socket.protocol, "superchat");
    assert.equal(socket.extensions, "");
    socket.close();
  });

  it("takes any iterable of subprotocols (WebIDL sequence)", async () => {
    const server = createFakeServer();
    const socket = new WebSocket(
      "ws://fake.test/",
      new Set(["a", "b"]) as Iterable<string> as string[],
      {
        transport: server.connector,
      },
    );
    const peer = await server.accept();
    assert.equal((await peer.readRequest()).header("sec-websocket-protocol"), "a, b");
    socket.close();
  });

  it("sends no Sec-WebSocket-Protocol when no subprotocol is offered", async () => {
    const { request, socket } = await connecting();
    assert.equal(request.header("sec-websocket-protocol"), null);
    socket.close();
  });

  it("takes the options object in the second position, with protocols and headers", async () => {
    const { request, socket } = await connecting({
      protocols: ["v1.chat"],
      headers: { "X-Token": "abc", "User-Agent": "wsport-test" },
    });
    assert.equal(request.header("sec-websocket-protocol"), "v1.chat");
    assert.equal(request.header("x-token"), "abc");
    assert.equal(request.header("user-agent"), "wsport-test");
    socket.close();
  });

  it("takes the options object in the third position after a protocol list", async () => {
    const server = createFakeServer();
    const socket = new WebSocket("ws://fake.test/", ["v2"], {
      transport: server.connector,
      headers: [["X-Trace", "1"], ["X-Trace", "2"]],
    });
    const peer = await server.accept();
    const request = await peer.readRequest();
    assert.equal(request.header("sec-websocket-protocol"), "v2");
    assert.deepEqual(
      request.rawHeaders.filter(([name]) => name === "X-Trace").map(([, value]) => value),
      ["1", "2"],
    );
    socket.close();
  });

  it("takes headers as a Headers object", async () => {
    const { request, socket } = await connecting({
      headers: new Headers({ "x-api-key": "secret", cookie: "a=b" }),
    });
    assert.equal(request.header("x-api-key"), "secret");
    assert.equal(request.header("cookie"), "a=b");
    socket.close();
  });

  for (
    const name of [
      "Upgrade",
      "Connection",
      "Sec-WebSocket-Key",
      "sec-websocket-version",
      "Sec-WebSocket-Accept",
      "Sec-WebSocket-Protocol",
      "Sec-WebSocket-Extensions",
      "Content-Length",
      "Transfer-Encoding",
    ]
  ) {
    it(`throws a TypeError for the protocol-owned header ${name}`, () => {
      const server = createFakeServer();
      assert.throws(
        () =>
          new WebSocket("ws://fake.test/", {
            transport: server.connector,
            headers: { [name]: "x" },
          }),
        (error: unknown) => error instanceof TypeError && /^Cannot /.test(error.message),
      );
      assert.equal(server.requests.length, 0);
    });
  }

  for (
    const [what, headers] of [
      ["a name with a space", { "X Bad": "1" }],
      ["an empty name", { "": "1" }],
      ["a value with CR LF", { "X-Inject": "a\r\nEvil: 1" }],
      ["a value with NUL", { "X-Nul": "a\u0000b" }],
    ] as const
  ) {
    it(`throws a TypeError for a header with ${what}`, () => {
      assert.throws(
        () =>
          new WebSocket("ws://fake.test/", { transport: createFakeServer().connector, headers }),
        TypeError,
      );
    });
  }

  for (
    const [name, options] of [
      ["a negative handshakeTimeout", { handshakeTimeout: -1 }],
      ["a NaN handshakeTimeout", { handshakeTimeout: Number.NaN }],
      ["an infinite closeTimeout", { closeTimeout: Number.POSITIVE_INFINITY }],
      ["a negative closeTimeout", { closeTimeout: -5 }],
      ["a zero maxMessageSize", { maxMessageSize: 0 }],
      ["a fractional maxMessageSize", { maxMessageSize: 1.5 }],
      ["a zero maxFrameSize", { maxFrameSize: 0 }],
      ["a zero maxFragments", { maxFragments: 0 }],
      ["a zero maxHandshakeSize", { maxHandshakeSize: 0 }],
      ["a negative fragmentSize", { fragmentSize: -1 }],
    ] as const
  ) {
    it(`throws a RangeError for ${name}, before connecting`, () => {
      const server = createFakeServer();
      assert.throws(
        () => new WebSocket("ws://fake.test/", { transport: server.connector, ...options }),
        (error: unknown) => error instanceof RangeError && /^Cannot create /.test(error.message),
      );
      assert.equal(server.requests.length, 0);
    });
  }
});

describe("WebSocket readyState (WHATWG §3.1 'readyState')", () => {
  afterEach(cleanUp);

  it("has the constants on the class and on instances", () => {
    assert.deepEqual(
      [WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED],
      [0, 1, 2, 3],
    );
    const socket = new WebSocket("ws://fake.test/", { transport: createFakeServer().connector });
    assert.deepEqual([socket.CONNECTING, socket.OPEN, socket.CLOSING, socket.CLOSED], [0, 1, 2, 3]);
    socket.close();
  });

  it("has the constants on the prototype too, read-only everywhere (WebIDL constants)", () => {
    const names = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"] as const;
    for (const [value, name] of names.entries()) {
      for (const holder of [WebSocket, WebSocket.prototype]) {
        const descriptor = Object.getOwnPropertyDescriptor(holder, name);
        assert.equal(descriptor?.value, value, name);
        assert.equal(descriptor?.writable, false, `${name} is read-only`);
        assert.equal(descriptor?.enumerable, true, `${name} is enumerable`);
      }
    }
  });

  it("goes CONNECTING → OPEN → CLOSING → CLOSED through a clean close", async () => {
    const server = createFakeServer();
    const socket = new WebSocket("ws://fake.test/", { transport: server.connector });
    const log = record(socket);
    assert.equal(socket.readyState, WebSocket.CONNECTING);
    const peer = await server.accept();
    await peer.handshake();
    await waitFor(log, "open");
    assert.equal(socket.readyState, WebSocket.OPEN);
    socket.close();
    assert.equal(socket.readyState, WebSocket.CLOSING);
    await peer.answerClose();
    await waitFor(log, "close");
    assert.equal(socket.readyState, WebSocket.CLOSED);
    assert.deepEqual(log.map(({ type, readyState }) => [type, readyState]), [["open", 1], [
      "close",
      3,
    ]]);
  });

  it("is CLOSING while the server's close frame is being answered", async () => {
    const opened = await connect();
    opened.peer.sendClose(1000);
    const received = await opened.peer.readClose();
    assert.equal(received.code, 1000);
    assert.equal(opened.socket.readyState, WebSocket.CLOSING);
    opened.peer.close();
    await waitFor(opened.log, "close");
    assert.equal(opened.socket.readyState, WebSocket.CLOSED);
  });
});

describe("WebSocket send() (WHATWG §3.1 'send(data)')", () => {
  afterEach(cleanUp);

  it("throws an InvalidStateError DOMException while CONNECTING and sends nothing", async () => {
    const { socket, peer, log } = await connecting();
    assert.throws(
      () => socket.send("too early"),
      (error: unknown) => error instanceof DOMException && error.name === "InvalidStateError",
    );
    assert.equal(socket.bufferedAmount, 0);
    const opened = once(socket, "open");
    peer.acceptHandshake();
    await opened;
    socket.send("now");
    const frame = await peer.readFrame();
    assert.deepEqual(frame && [frame.opcode, new TextDecoder().decode(frame.payload)], [
      OP.Text,
      "now",
    ]);
    assert.deepEqual(types(log), ["open"]);
    socket.close();
  });

  it("throws a TypeError with no argument", async () => {
    const { socket } = await connect();
    // @ts-expect-error: data is required
    assert.throws(() => socket.send(), TypeError);
    socket.close();
  });

  it("sends a string as one text frame of its UTF-8 bytes", async () => {
    const opened = await connect();
    opened.socket.send("h\u00e9llo \u{1f600}");
    opened.socket.send("");
    const first = await opened.peer.readFrame();
    const second = await opened.peer.readFrame();
    assert.deepEqual(first, {
      fin: true,
      rsv: 0,
      opcode: OP.Text,
      payload: utf8("h\u00e9llo \u{1f600}"),
    });
    assert.deepEqual(second, { fin: true, rsv: 0, opcode: OP.Text, payload: new Uint8Array(0) });
    await closeCleanly(opened);
  });

  it("converts a lone surrogate to U+FFFD (USVString)", async () => {
    const opened = await connect();
    opened.socket.send("a\ud800b");
    const frame = await opened.peer.readFrame();
    assert.deepEqual(frame?.payload, utf8("a\ufffdb"));
    await closeCleanly(opened);
  });

  it("sends other values as their string conversion (WebIDL USVString)", async () => {
    const opened = await connect();
    opened.socket.send(42 as unknown as string);
    opened.socket.send({ toString: () => "object" } as unknown as string);
    const frames = [await opened.peer.readFrame(), await opened.peer.readFrame()];
    assert.deepEqual(
      frames.map((frame) => frame && [frame.opcode, new TextDecoder().decode(frame.payload)]),
      [[OP.Text, "42"], [OP.Text, "object"]],
    );
    await closeCleanly(opened);
  });

  it("sends an ArrayBuffer as one binary frame", async () => {
    const opened = await connect();
    opened.socket.send(new Uint8Array([1, 2, 3, 255]).buffer);
    opened.socket.send(new ArrayBuffer(0));
    assert.deepEqual(await opened.peer.readFrame(), {
      fin: true,
      rsv: 0,
      opcode: OP.Binary,
      payload: new Uint8Array([1, 2, 3, 255]),
    });
    assert.deepEqual(await opened.peer.readFrame(), {
      fin: true,
      rsv: 0,
      opcode: OP.Binary,
      payload: new Uint8Array(0),
    });
    await closeCleanly(opened);
  });

  it("sends only the bytes a typed array view covers (byteOffset and byteLength)", async () => {
    const opened = await connect();
    const backing = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    opened.socket.send(backing.subarray(3, 6));
    opened.socket.send(new Uint16Array(backing.buffer, 2, 2));
    opened.socket.send(new DataView(backing.buffer, 7, 2));
    assert.deepEqual((await opened.peer.readFrame())?.payload, new Uint8Array([3, 4, 5]));
    assert.deepEqual((await opened.peer.readFrame())?.payload, new Uint8Array([2, 3, 4, 5]));
    assert.deepEqual((await opened.peer.readFrame())?.payload, new Uint8Array([7, 8]));
    // The caller's bytes are not masked in place.
    assert.deepEqual([...backing], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await closeCleanly(opened);
  });

  it("sends a Blob as one binary frame with its bytes", async () => {
    const opened = await connect();
    opened.socket.send(new Blob([new Uint8Array([10, 20]), "AB"]));
    assert.deepEqual(await opened.peer.readFrame(), {
      fin: true,
      rsv: 0,
      opcode: OP.Binary,
      payload: new Uint8Array([10, 20, 65, 66]),
    });
    await closeCleanly(opened);
  });

  it("keeps the order of messages sent after a Blob that is still being read", async () => {
    const opened = await connect();
    opened.socket.send("first");
    opened.socket.send(new Blob(["second"]));
    opened.socket.send("third");
    opened.socket.send(new Uint8Array([4]));
    opened.socket.send(new Blob([new Uint8Array([5])]));
    opened.socket.send("sixth");
    const frames = [];
    for (let i = 0; i < 6; i++) frames.push(await opened.peer.readFrame());
    assert.deepEqual(
      frames.map((frame) => frame && [frame.opcode, [...frame.payload]]),
      [
        [OP.Text, [...utf8("first")]],
        [OP.Binary, [...utf8("second")]],
        [OP.Text, [...utf8("third")]],
        [OP.Binary, [4]],
        [OP.Binary, [5]],
        [OP.Text, [...utf8("sixth")]],
      ],
    );
    await closeCleanly(opened);
  });

  it("sends a Blob (and what follows it) before the close frame of a close() called meanwhile", async () => {
    const opened = await connect();
    opened.socket.send(new Blob(["blob"]));
    opened.socket.send("after");
    opened.socket.close(1000, "bye");
    assert.equal(opened.socket.readyState, WebSocket.CLOSING);
    const frames = [];
    for (let i = 0; i < 3; i++) frames.push(await opened.peer.readFrame());
    assert.deepEqual(
      frames.map((frame) => frame && [frame.opcode, [...frame.payload]]),
      [
        [OP.Binary, [...utf8("blob")]],
        [OP.Text, [...utf8("after")]],
        [OP.Close, [0x03, 0xe8, ...utf8("bye")]],
      ],
    );
  });

  it("sends at once again once the Blobs before are sent", async () => {
    const opened = await connect();
    opened.socket.send(new Blob(["a"]));
    opened.socket.send("b");
    await opened.peer.readFrame();
    await opened.peer.readFrame();
    await tick();
    opened.socket.send("c");
    // Sent in the same task: counted at once, as nothing is queued behind a Blob.
    assert.equal(opened.socket.bufferedAmount, 1);
    opened.socket.close(1000);
    assert.deepEqual((await opened.peer.readFrame())?.payload, utf8("c"));
  });

  it("copies a view at send(): changing it afterwards does not change the message", async () => {
    const opened = await connect();
    const bytes = new Uint8Array([1, 2, 3]);
    opened.socket.send(new Blob(["x"]));
    opened.socket.send(bytes);
    bytes.fill(9);
    await opened.peer.readFrame();
    assert.deepEqual((await opened.peer.readFrame())?.payload, new Uint8Array([1, 2, 3]));
    await closeCleanly(opened);
  });

  it("counts bytes in bufferedAmount until they reach the transport, and starts at 0", async () => {
    const opened = await connect();
    assert.equal(opened.socket.bufferedAmount, 0);
    opened.socket.send(new Blob([new Uint8Array(100)]));
    assert.ok(
      opened.socket.bufferedAmount >= 100,
      `bufferedAmount is ${opened.socket.bufferedAmount}`,
    );
    await opened.peer.readFrame();
    assert.equal(opened.socket.bufferedAmount, 0);
    await closeCleanly(opened);
  });

  it("counts the data the server has not read yet in bufferedAmount, without framing overhead", async () => {
    // WHATWG: "This does not include framing overhead incurred by the protocol";
    // WPT Send-*.any.js assert bufferedAmount === data length right after send().
    const opened = await connect({}, "ws://fake.test/", { highWaterMark: 1024 });
    for (let i = 0; i < 3; i++) opened.socket.send(new Uint8Array(1000));
    assert.equal(opened.socket.bufferedAmount, 3000, "counted as soon as send() returns");
    opened.socket.send("h\u00e9llo \u{1f600}"); // 11 UTF-8 bytes
    assert.equal(opened.socket.bufferedAmount, 3011);
    await delay(5);
    assert.equal(opened.socket.bufferedAmount, 3011, "still unread by the server");
    for (let i = 0; i < 4; i++) await opened.peer.readFrame();
    assert.equal(opened.socket.bufferedAmount, 0);
    await closeCleanly(opened);
  });

  it("after close(), increases bufferedAmount by the data's length and sends nothing", async () => {
    const opened = await connect();
    opened.socket.close(1000);
    const before = opened.socket.bufferedAmount;
    opened.socket.send("abc");
    opened.socket.send(new Uint8Array(10));
    opened.socket.send("\u00e9"); // 2 bytes in UTF-8
    assert.equal(opened.socket.bufferedAmount, before + 3 + 10 + 2);
    const { before: frames } = await opened.peer.answerClose();
    assert.deepEqual(frames, []);
    await waitFor(opened.log, "close");
    opened.socket.send("after close");
    assert.ok(opened.socket.bufferedAmount >= 15 + 11);
  });

  it("drops written sends from its bufferedAmount bookkeeping without moving the others (no Array#shift)", async () => {
    // send() reads bufferedAmount (the maxBufferedAmount check), which drops
    // the sends whose frames are written. With Array#shift each drop moved
    // every later entry: O(n) per send on V8 once a burst left tens of
    // thousands outstanding, the stall of the credit-flow pattern.
    const opened = await connect();
    const payload = new Uint8Array(16);
    const sending = countElementMoves(() => {
      for (let i = 0; i < 20_000; i++) opened.socket.send(payload);
    });
    assert.equal(opened.socket.bufferedAmount, 320_000);
    await tick(); // the driver hands the frames to the transport
    let received = 0;
    while (received < 20_000 * 22) received += (await opened.peer.transport.read())!.length;
    let after = -1;
    const dropping = countElementMoves(() => {
      after = opened.socket.bufferedAmount;
      opened.socket.send(payload);
    });
    assert.equal(after, 0);
    assert.deepEqual(sending, { shift: 0, unshift: 0, splice: 0, copyWithin: 0 });
    assert.deepEqual(dropping, { shift: 0, unshift: 0, splice: 0, copyWithin: 0 });
    assert.equal(opened.socket.bufferedAmount, 16);
    await closeCleanly(opened);
  });
});

describe("WebSocket async iteration (not in the WHATWG API)", () => {
  afterEach(cleanUp);

  it("yields queued messages in order without moving the rest of the queue (no Array#shift)", async () => {
    const opened = await connect();
    const iterator = opened.socket[Symbol.asyncIterator]();
    for (let i = 0; i < 300; i++) opened.peer.sendText(String(i));
    while (opened.log.filter((entry) => entry.type === "message").length < 300) await tick();
    const nexts: Promise<IteratorResult<unknown>>[] = [];
    const moves = countElementMoves(() => {
      for (let i = 0; i < 300; i++) nexts.push(iterator.next());
    });
    assert.deepEqual(moves, { shift: 0, unshift: 0, splice: 0, copyWithin: 0 });
    const values = (await Promise.all(nexts)).map((result) => result.value);
    assert.deepEqual(values, Array.from({ length: 300 }, (_, i) => String(i)));
    await closeCleanly(opened);
    assert.deepEqual(await iterator.next(), { value: undefined, done: true });
  });
});

describe("WebSocket close() (WHATWG §3.1 'close(code, reason)')", () => {
  afterEach(cleanUp);

  for (const code of [0, 999, 1001, 1002, 1005, 1006, 1015, 2999, 5000, 65535]) {
    it(`throws an InvalidAccessError DOMException for code ${code}`, async () => {
      const opened = await connect();
      assert.throws(
        () => opened.socket.close(code),
        (error: unknown) => error instanceof DOMException && error.name === "InvalidAccessError",
      );
      assert.equal(opened.socket.readyState, WebSocket.OPEN);
      await closeCleanly(opened);
    });
  }

  it("clamps the code as WebIDL [Clamp] unsigned short: 65536 + 1000 is refused", async () => {
    const opened = await connect();
    assert.throws(
      () => opened.socket.close(65536 + 1000),
      (error: unknown) => error instanceof DOMException && error.name === "InvalidAccessError",
    );
    await closeCleanly(opened);
  });

  it("rounds the code as WebIDL [Clamp] does: 2999.5 becomes 3000 (ties to even)", async () => {
    const opened = await connect();
    opened.socket.close(2999.5);
    const { code } = await opened.peer.answerClose();
    assert.equal(code, 3000);
  });

  for (const code of [1000, 3000, 4999]) {
    it(`sends code ${code} with its reason and reports it on a clean close`, async () => {
      const opened = await connect();
      const closed = once(opened.socket, "close");
      opened.socket.close(code, "bye \u00e9");
      const received = await opened.peer.answerClose();
      assert.deepEqual([received.code, received.reason], [code, "bye \u00e9"]);
      assert.deepEqual(closeFields(await closed), { wasClean: true, code, reason: "" });
    });
  }

  it("throws a SyntaxError DOMException for a reason over 123 UTF-8 bytes", async () => {
    const opened = await connect();
    for (const reason of ["x".repeat(124), "\u00e9".repeat(62), "\ud800".repeat(42)]) {
      assert.throws(
        () => opened.socket.close(1000, reason),
        (error: unknown) => error instanceof DOMException && error.name === "SyntaxError",
        JSON.stringify(reason.slice(0, 3)),
      );
    }
    assert.equal(opened.socket.readyState, WebSocket.OPEN);
    opened.socket.close(1000, "y".repeat(123));
    const received = await opened.peer.answerClose();
    assert.equal(received.reason, "y".repeat(123));
  });

  it("checks the code before the reason, and both even when already CLOSING", async () => {
    const opened = await connect();
    opened.socket.close(1000);
    assert.throws(
      () => opened.socket.close(1001, "x".repeat(200)),
      (error: unknown) => error instanceof DOMException && error.name === "InvalidAccessError",
    );
    assert.throws(
      () => opened.socket.close(1000, "x".repeat(200)),
      (error: unknown) => error instanceof DOMException && error.name === "SyntaxError",
    );
    await opened.peer.answerClose();
    await waitFor(opened.log, "close");
  });

  it("sends an empty close frame with no arguments; the server's empty answer gives 1005", async () => {
    const opened = await connect();
    const closed = once(opened.socket, "close");
    opened.socket.close();
    const received = await opened.peer.answerClose();
    assert.equal(received.code, 1005);
    assert.deepEqual(closeFields(await closed), { wasClean: true, code: 1005, reason: "" });
  });

  it("sends 1000 when only a reason is given", async () => {
    const opened = await connect();
    opened.socket.close(undefined, "just a reason");
    const received = await opened.peer.answerClose();
    assert.deepEqual([received.code, received.reason], [1000, "just a reason"]);
  });

  it("is a no-op when called again while CLOSING or CLOSED: one close frame on the wire", async () => {
    const opened = await connect();
    opened.socket.close(3001, "first");
    opened.socket.close(3002, "second");
    opened.socket.close();
    const received = await opened.peer.readClose();
    assert.deepEqual([received.code, received.reason], [3001, "first"]);
    opened.peer.sendClose(3001);
    opened.peer.closeWrite();
    assert.deepEqual(await opened.peer.readFrames(), []);
    await waitFor(opened.log, "close");
    opened.socket.close(1000);
    assert.equal(opened.socket.readyState, WebSocket.CLOSED);
    assert.deepEqual(types(opened.log), ["open", "close"]);
  });

  it("while CONNECTING: readyState becomes CLOSING, then error and close (1006) are dispatched later", async () => {
    const { socket, peer } = await connecting();
    socket.close();
    assert.equal(socket.readyState, WebSocket.CLOSING);
    // Listeners added right after close() still see both events (they are queued as tasks).
    const log = record(socket);
    await once(socket, "close");
    assert.deepEqual(types(log), ["error", "close"]);
    assert.deepEqual(closeFields(log[1]!.event), { wasClean: false, code: 1006, reason: "" });
    assert.equal(log[0]!.readyState, WebSocket.CLOSED);
    assert.equal(await peer.readToEnd().then(() => peer.eof), true);
  });

  it("while CONNECTING, before the transport is even open: no open event, close 1006", async () => {
    const server = createFakeServer();
    const socket = new WebSocket("ws://fake.test/", { transport: server.connector });
    const log = record(socket);
    socket.close(1000, "never mind");
    await delay(5);
    assert.deepEqual(types(log), ["error", "close"]);
    assert.deepEqual(closeFields(log[1]!.event), { wasClean: false, code: 1006, reason: "" });
    for (const client of server.clients) await client.closed;
  });
});

describe("WebSocket binaryType (WHATWG §3.1 'binaryType')", () => {
  afterEach(cleanUp);

  it('defaults to "blob" and ignores values outside the enum', () => {
    const socket = new WebSocket("ws://fake.test/", { transport: createFakeServer().connector });
    assert.equal(socket.binaryType, "blob");
    socket.binaryType = "arraybuffer";
    assert.equal(socket.binaryType, "arraybuffer");
    for (
      const value of [
        "Blob",
        "ArrayBuffer",
        "Uint8Array",
        "nodebuffer",
        "",
        "notBlobOrArrayBuffer",
        null,
        1,
      ]
    ) {
      socket.binaryType = value as unknown as "blob";
      assert.equal(socket.binaryType, "arraybuffer", String(value));
    }
    socket.binaryType = "blob";
    assert.equal(socket.binaryType, "blob");
    socket.close();
  });

  it('gives an ArrayBuffer holding exactly the message bytes for "arraybuffer"', async () => {
    const opened = await connect();
    opened.socket.binaryType = "arraybuffer";
    const received: unknown[] = [];
    opened.socket.onmessage = (event) => received.push(event.data);
    // Three frames in one chunk: each payload is a view into a bigger buffer.
    opened.peer.write(concatBytes(
      frameBytes(OP.Binary, new Uint8Array([1, 2, 3])),
      frameBytes(OP.Binary, new Uint8Array(0)),
      frameBytes(OP.Binary, new Uint8Array([4, 5])),
    ));
    while (received.length < 3) await tick();
    assert.deepEqual(received.map(bytesOf), [[1, 2, 3], [], [4, 5]]);
    await closeCleanly(opened);
  });

  it('gives Uint8Array views of the received bytes, without copies, for "uint8array" (as Bun)', async () => {
    const opened = await connect();
    opened.socket.binaryType = "uint8array";
    assert.equal(opened.socket.binaryType, "uint8array");
    const received: unknown[] = [];
    opened.socket.onmessage = (event) => received.push(event.data);
    // Three frames in one chunk, then a message in two fragments.
    opened.peer.write(concatBytes(
      frameBytes(OP.Binary, new Uint8Array([1, 2, 3])),
      frameBytes(OP.Binary, new Uint8Array(0)),
      frameBytes(OP.Binary, new Uint8Array([4, 5])),
    ));
    opened.peer.sendFrame(OP.Binary, new Uint8Array([6]), { fin: false });
    opened.peer.sendFrame(OP.Continuation, new Uint8Array([7]), { fin: true });
    opened.peer.sendText("still text");
    while (received.length < 5) await tick();
    for (const data of received.slice(0, 4)) assert.ok(data instanceof Uint8Array);
    assert.deepEqual(
      received.map((data) => typeof data === "string" ? data : [...(data as Uint8Array)]),
      [
        [1, 2, 3],
        [],
        [4, 5],
        [6, 7],
        "still text",
      ],
    );
    // Views of one received chunk: no bytes were copied for them.
    const [first, , third] = received as Uint8Array[];
    assert.equal(first!.buffer, third!.buffer);
    assert.ok(first!.buffer.byteLength > 3);
    await closeCleanly(opened);
  });

  it('gives a Blob with the message bytes for "blob"', async () => {
    const opened = await connect();
    const event = once<MessageEvent>(opened.socket, "message");
    opened.peer.write(
      concatBytes(frameBytes(OP.Binary, new Uint8Array([7, 8, 9])), frameBytes(OP.Text, "x")),
    );
    const data = (await event).data;
    assert.ok(data instanceof Blob, "data is a Blob");
    assert.equal(data.size, 3);
    assert.equal(data.type, "");
    assert.deepEqual([...new Uint8Array(await data.arrayBuffer())], [7, 8, 9]);
    await closeCleanly(opened);
  });

  it("applies a change of binaryType to the next message; text stays a string", async () => {
    const opened = await connect();
    const received: unknown[] = [];
    opened.socket.onmessage = (event) => {
      received.push(event.data);
      opened.socket.binaryType = "arraybuffer";
    };
    opened.peer.write(concatBytes(
      frameBytes(OP.Binary, new Uint8Array([1])),
      frameBytes(OP.Binary, new Uint8Array([2])),
      frameBytes(OP.Text, "text"),
    ));
    while (received.length < 3) await tick();
    assert.ok(received[0] instanceof Blob);
    assert.deepEqual(bytesOf(received[1]), [2]);
    assert.equal(received[2], "text");
    await closeCleanly(opened);
  });

  it("assembles a fragmented message into one message event", async () => {
    const opened = await connect();
    const event = once<MessageEvent>(opened.socket, "message");
    opened.peer.sendFrame(OP.Text, "frag", { fin: false });
    opened.peer.sendFrame(OP.Ping, "p");
    opened.peer.sendFrame(OP.Continuation, "men", { fin: false });
    opened.peer.sendFrame(OP.Continuation, "ted \u00e9", { fin: true });
    assert.equal((await event).data, "fragmented \u00e9");
    const pong = await opened.peer.readFrame();
    assert.deepEqual(pong && [pong.opcode, new TextDecoder().decode(pong.payload)], [OP.Pong, "p"]);
    await closeCleanly(opened);
  });
});

describe("WebSocket message events (WHATWG §3.3 'When a WebSocket message has been received')", () => {
  afterEach(cleanUp);

  it("dispatches a MessageEvent whose origin is the serialization of the URL's origin", async () => {
    const opened = await connect({}, "ws://fake.test:8080/chat?x=1");
    const event = once<MessageEvent>(opened.socket, "message");
    opened.peer.sendText("hi");
    const message = await event;
    assert.ok(message instanceof MessageEvent);
    assert.equal(message.type, "message");
    assert.equal(message.data, "hi");
    assert.equal(message.origin, new URL("ws://fake.test:8080/chat").origin);
    assert.equal(message.origin, "ws://fake.test:8080");
    assert.equal(message.lastEventId, "");
    assert.equal(message.bubbles, false);
    await closeCleanly(opened);
  });

  it("dispatches open, then the messages, then close, in order", async () => {
    const server = createFakeServer();
    const socket = new WebSocket("ws://fake.test/", { transport: server.connector });
    const log = record(socket);
    const peer = await server.accept();
    await peer.readRequest();
    // The 101, three messages and the close frame in one chunk, then the end of stream.
    peer.acceptHandshake({
      trailing: concatBytes(
        frameBytes(OP.Text, "one"),
        frameBytes(OP.Text, "two"),
        frameBytes(OP.Text, "three"),
        closeFrameBytes(4000, "done"),
        frameBytes(OP.Text, "after close: discarded"),
      ),
    });
    const answer = await peer.readClose();
    assert.equal(answer.code, 4000);
    peer.close();
    await waitFor(log, "close");
    assert.deepEqual(types(log), ["open", "message", "message", "message", "close"]);
    assert.deepEqual(
      log.filter((entry) => entry.type === "message").map((entry) =>
        (entry.event as MessageEvent).data
      ),
      ["one", "two", "three"],
    );
    assert.deepEqual(closeFields(log[4]!.event), { wasClean: true, code: 4000, reason: "done" });
  });

  it("dispatches every message that arrived before the server's close frame before close", async () => {
    const opened = await connect();
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < 50; i++) chunks.push(frameBytes(OP.Text, `m${i}`));
    chunks.push(closeFrameBytes(1000));
    for (const chunk of chunks) opened.peer.write(chunk);
    await opened.peer.readClose();
    opened.peer.close();
    await waitFor(opened.log, "close");
    const messages = opened.log.filter((entry) => entry.type === "message");
    assert.equal(messages.length, 50);
    assert.equal(opened.log.at(-1)?.type, "close");
    assert.equal(opened.log.filter((entry) => entry.type === "error").length, 0);
  });

  it("does not dispatch messages after close() was called", async () => {
    const opened = await connect();
    opened.socket.close();
    opened.peer.sendText("too late");
    await opened.peer.answerClose();
    await waitFor(opened.log, "close");
    assert.deepEqual(types(opened.log), ["open", "close"]);
  });
});

describe("WebSocket event handler attributes (HTML §8.1.8.1)", () => {
  afterEach(cleanUp);

  it("are null by default, hold a function, and become null for a non-callable value", () => {
    const socket = new WebSocket("ws://fake.test/", { transport: createFakeServer().connector });
    for (const name of ["onopen", "onmessage", "onerror", "onclose"] as const) {
      assert.equal(socket[name], null, name);
      const handler = () => {};
      (socket as unknown as Record<string, unknown>)[name] = handler;
      assert.equal(socket[name], handler, name);
      (socket as unknown as Record<string, unknown>)[name] = "not a function";
      assert.equal(socket[name], null, name);
      (socket as unknown as Record<string, unknown>)[name] = handler;
      (socket as unknown as Record<string, unknown>)[name] = null;
      assert.equal(socket[name], null, name);
    }
    socket.close();
  });

  it("call the handler with the socket as this, and only the latest handler", async () => {
    const opened = await connect();
    const calls: string[] = [];
    let self: unknown = null;
    opened.socket.onmessage = () => calls.push("replaced");
    opened.socket.onmessage = function (this: WebSocket) {
      self = this;
      calls.push("current");
    };
    const event = once(opened.socket, "message");
    opened.peer.sendText("x");
    await event;
    assert.deepEqual(calls, ["current"]);
    assert.equal(self, opened.socket);
    await closeCleanly(opened);
  });

  it("keep the handler's place among listeners when replaced, and move it when reset from null", async () => {
    const opened = await connect();
    const calls: string[] = [];
    opened.socket.addEventListener("message", () => calls.push("A"));
    opened.socket.onmessage = () => calls.push("H1");
    opened.socket.addEventListener("message", () => calls.push("B"));
    opened.socket.onmessage = () => calls.push("H2");
    let event = once(opened.socket, "message");
    opened.peer.sendText("1");
    await event;
    assert.deepEqual(calls, ["A", "H2", "B"]);
    calls.length = 0;
    opened.socket.onmessage = null;
    opened.socket.onmessage = () => calls.push("H3");
    event = once(opened.socket, "message");
    opened.peer.sendText("2");
    await event;
    assert.deepEqual(calls, ["A", "B", "H3"]);
    await closeCleanly(opened);
  });

  it("fire onopen, onmessage, onerror and onclose", async () => {
    const server = createFakeServer();
    const socket = new WebSocket("ws://fake.test/", { transport: server.connector });
    const calls: string[] = [];
    socket.onopen = () => calls.push("open");
    socket.onmessage = (event) => calls.push(`message ${event.data}`);
    socket.onerror = () => calls.push("error");
    const closed = new Promise<void>((resolve) => {
      socket.onclose = (event) => {
        calls.push(`close ${event.code}`);
        resolve();
      };
    });
    const peer = await server.accept();
    await peer.handshake();
    peer.sendText("hi");
    peer.sendFrame(OP.Text, "masked", { mask: [1, 2, 3, 4] });
    await failingCloseCode(peer);
    peer.close();
    await closed;
    assert.deepEqual(calls, ["open", "message hi", "error", "close 1006"]);
  });
});

/**
 * Counts, per event type, the listeners `socket` has in its `EventTarget`
 * (adds minus removes through `EventTarget.prototype`), while installed.
 */
function countTargetListeners(socket: EventTarget): {
  readonly counts: Map<string, number>;
  restore(): void;
} {
  const counts = new Map<string, number>();
  const proto = EventTarget.prototype;
  const add = proto.addEventListener;
  const remove = proto.removeEventListener;
  proto.addEventListener = function (this: EventTarget, ...args: Parameters<typeof add>) {
    if (this === socket) counts.set(args[0], (counts.get(args[0]) ?? 0) + 1);
    return add.apply(this, args);
  };
  proto.removeEventListener = function (this: EventTarget, ...args: Parameters<typeof remove>) {
    if (this === socket) counts.set(args[0], (counts.get(args[0]) ?? 0) - 1);
    return remove.apply(this, args);
  };
  return {
    counts,
    restore() {
      proto.addEventListener = add;
      proto.removeEventListener = remove;
    },
  };
}

describe("WebSocket event handler attributes: the listener is in the EventTarget only when needed", () => {
  afterEach(cleanUp);

  it("leave no listener in the EventTarget of an idle socket that only has on… handlers", async () => {
    const server = createFakeServer();
    const socket = new WebSocket("ws://fake.test/", { transport: server.connector });
    const spy = countTargetListeners(socket);
    try {
      let seen: { target: unknown; currentTarget: unknown; phase: number } | null = null;
      const opened = new Promise<void>((resolve) => {
        socket.onopen = (event) => {
          seen = {
            target: event.target,
            currentTarget: event.currentTarget,
            phase: event.eventPhase,
          };
          resolve();
        };
      });
      socket.onmessage = () => {};
      socket.onerror = () => {};
      socket.onclose = () => {};
      // Setting the handlers put nothing in the EventTarget.
      assert.deepEqual([...spy.counts.values()].filter((n) => n !== 0), []);
      const peer = await server.accept();
      await peer.handshake();
      await opened;
      // The open handler was called as a listener of a dispatch at the socket...
      assert.deepEqual(seen, { target: socket, currentTarget: socket, phase: Event.AT_TARGET });
      // ...without ever being put in the EventTarget (it is the only open
      // listener: the event is handed to it directly, see DirectEvent).
      await tick();
      assert.equal(spy.counts.get("open"), undefined);
      assert.deepEqual([...spy.counts.values()].filter((n) => n !== 0), []);
      const closed = once(socket, "close");
      socket.close();
      await peer.answerClose();
      await closed;
    } finally {
      spy.restore();
    }
  });

  it("keep the handler first when a listener of its type is added after it, last when before", async () => {
    const server = createFakeServer();
    const socket = new WebSocket("ws://fake.test/", { transport: server.connector });
    const calls: string[] = [];
    socket.onopen = () => calls.push("onopen");
    socket.addEventListener("open", () => calls.push("open listener"));
    socket.addEventListener("close", () => calls.push("close listener"));
    socket.onclose = () => calls.push("onclose");
    const opened = once(socket, "open");
    const peer = await server.accept();
    await peer.handshake();
    await opened;
    const closed = once(socket, "close");
    socket.close();
    await peer.answerClose();
    await closed;
    assert.deepEqual(calls, ["onopen", "open listener", "close listener", "onclose"]);
  });

  it("are called for an event dispatched by the page, and a listener added during it stays after", () => {
    const socket = new WebSocket("ws://fake.test/", { transport: createFakeServer().connector });
    const calls: string[] = [];
    const added = () => calls.push("added");
    socket.onerror = () => {
      calls.push("onerror");
      socket.addEventListener("error", added);
    };
    const event = new Event("error", { cancelable: true });
    assert.equal(socket.dispatchEvent(event), true);
    assert.equal(event.target, socket);
    assert.equal(socket.dispatchEvent(new Event("error")), true);
    assert.deepEqual(calls, ["onerror", "onerror", "added"]);
    socket.onerror = null;
    socket.dispatchEvent(new Event("error"));
    assert.deepEqual(calls, ["onerror", "onerror", "added", "added"]);
    socket.close();
  });
});

describe("WebSocket onmessage as the only message listener (handed the event without a dispatch)", () => {
  afterEach(cleanUp);

  /** An open socket with no listener at all (connect() records every event). */
  async function connectBare(): Promise<Opened> {
    const server = createFakeServer();
    const socket = new WebSocket("ws://fake.test/", { transport: server.connector });
    const opened = once(socket, "open");
    const peer = await server.accept();
    const request = await peer.handshake();
    await opened;
    return { server, socket, peer, request, log: [] };
  }

  /** What a listener sees of a message event, during and after its call. */
  function observe(socket: WebSocket, event: MessageEventLike, self: unknown) {
    return {
      self: self === socket,
      instances: [event instanceof MessageEvent, event instanceof Event],
      tag: Object.prototype.toString.call(event),
      fields: [event.type, event.data, event.origin, event.lastEventId, event.source],
      ports: event.ports.length,
      targets: [event.target === socket, event.currentTarget === socket],
      phase: event.eventPhase,
      flags: [event.bubbles, event.cancelable, event.composed, event.isTrusted, event.cancelBubble],
      canceled: (event.preventDefault(), [event.defaultPrevented, event.returnValue]),
      path: event.composedPath().map((target) => target === socket),
      timeStamp: typeof event.timeStamp,
      constants: [event.NONE, event.AT_TARGET],
    };
  }

  it("passes for a dispatched MessageEvent: same attributes during and after the call", async () => {
    const seen: Record<string, unknown>[] = [];
    const kept: MessageEventLike[] = [];
    for (const general of [false, true]) {
      const opened = await connectBare();
      if (general) opened.socket.addEventListener("message", () => {}); // forces dispatchEvent
      const socket = opened.socket;
      socket.onmessage = function (this: WebSocket, event) {
        seen.push(observe(socket, event, this));
        kept.push(event);
      };
      opened.peer.sendText("hi");
      while (seen.length < (general ? 2 : 1)) await tick();
      await closeCleanly(opened);
    }
    // What every runtime's dispatch shows too.
    const common = (
      { self, instances, tag, fields, ports, flags, canceled, timeStamp }: Record<string, unknown>,
    ) => ({ self, instances, tag, fields, ports, flags, canceled, timeStamp });
    assert.deepEqual(common(seen[0]!), common(seen[1]!));
    // At the target, as DOM "dispatch" says (Node's EventTarget shows
    // currentTarget null and eventPhase NONE inside a listener instead).
    assert.deepEqual(seen[0], {
      ...common(seen[1]!),
      targets: [true, true],
      phase: Event.AT_TARGET,
      path: [true],
      constants: [(seen[1]!.constants as unknown[])[0], (seen[1]!.constants as unknown[])[1]],
    });
    assert.deepEqual(seen[0]!.fields, ["message", "hi", "ws://fake.test", "", null]);
    assert.deepEqual(seen[0]!.flags, [false, false, false, false, false]);
    assert.deepEqual(seen[0]!.canceled, [false, true]);
    // The first was handed over directly, the second dispatched.
    assert.deepEqual(kept.map((event) => event instanceof DirectMessageEvent), [true, false]);
    for (const event of kept) {
      assert.equal(event.currentTarget, null);
      assert.equal(event.eventPhase, Event.NONE);
      assert.deepEqual(event.composedPath(), []);
    }
  });

  it("dispatches again once another listener is added, and stops once it is removed", async () => {
    const opened = await connectBare();
    const calls: string[] = [];
    const other = (event: Event) => calls.push(`other ${(event as MessageEvent).data}`);
    opened.socket.onmessage = (event) => calls.push(`handler ${event.data}`);
    const next = async (text: string, count: number) => {
      opened.peer.sendText(text);
      while (calls.length < count) await tick();
    };
    await next("1", 1);
    opened.socket.addEventListener("message", other);
    await next("2", 3);
    // Removing with another capture flag removes nothing (DOM): still there.
    opened.socket.removeEventListener("message", other, { capture: true });
    await next("3", 5);
    opened.socket.removeEventListener("message", other);
    await next("4", 6);
    opened.socket.addEventListener("message", other, { once: true });
    await next("5", 8);
    await next("6", 9);
    assert.deepEqual(calls, [
      "handler 1",
      "handler 2",
      "other 2",
      "handler 3",
      "other 3",
      "handler 4",
      "handler 5",
      "other 5",
      "handler 6",
    ]);
    await closeCleanly(opened);
  });

  it("reports what the handler throws as a dispatch does, and delivers the next messages", async () => {
    const opened = await connectBare();
    const reported: unknown[] = [];
    const global = globalThis as { reportError?: (error: unknown) => void };
    const saved = global.reportError;
    global.reportError = (error) => reported.push(error);
    try {
      const received: unknown[] = [];
      opened.socket.onmessage = (event) => {
        received.push(event.data);
        if (event.data === "boom") throw new Error("handler failed");
      };
      opened.peer.sendText("boom");
      opened.peer.sendText("after");
      while (received.length < 2) await tick();
      assert.deepEqual(received, ["boom", "after"]);
      assert.equal(reported.length, 1);
      assert.equal((reported[0] as Error).message, "handler failed");
      assert.equal(opened.socket.readyState, WebSocket.OPEN);
    } finally {
      if (saved === undefined) delete global.reportError;
      else global.reportError = saved;
    }
    await closeCleanly(opened);
  });
});

describe("WebSocket onopen and onclose as the only listeners (handed the event without a dispatch)", () => {
  afterEach(cleanUp);

  /** What a handler sees of an open or close event, during its call. */
  function observe(socket: WebSocket, event: Event, self: unknown) {
    const close = event as CloseEvent;
    return {
      self: self === socket,
      instances: [event instanceof CloseEvent, event instanceof Event],
      tag: Object.prototype.toString.call(event),
      type: event.type,
      close: event.type === "close" ? [close.wasClean, close.code, close.reason] : null,
      targets: [event.target === socket, event.currentTarget === socket],
      phase: event.eventPhase,
      flags: [event.bubbles, event.cancelable, event.composed, event.isTrusted],
      canceled: (event.preventDefault(), [event.defaultPrevented, event.returnValue]),
      timeStamp: typeof event.timeStamp,
    };
  }

  it("passes for a dispatched Event and CloseEvent, and dispatches once another listener is added", async () => {
    const seen: Record<string, unknown>[] = [];
    const kept: Event[] = [];
    for (const general of [false, true]) {
      const server = createFakeServer();
      const socket = new WebSocket("ws://fake.test/", { transport: server.connector });
      if (general) {
        // Other listeners (added before the handlers) force dispatchEvent.
        socket.addEventListener("open", () => {});
        socket.addEventListener("close", () => {});
      }
      const closed = new Promise<void>((resolve) => {
        socket.onclose = function (this: WebSocket, event) {
          seen.push(observe(socket, event, this));
          kept.push(event);
          resolve();
        };
      });
      socket.onopen = function (this: WebSocket, event) {
        seen.push(observe(socket, event, this));
        kept.push(event);
        socket.close(4000, "bye");
      };
      const peer = await server.accept();
      await peer.handshake();
      await peer.readClose();
      peer.sendClose(4000, "bye");
      peer.close();
      await closed;
    }
    // Direct (0: open, 1: close) and dispatched (2: open, 3: close) alike, but
    // for the phase and currentTarget, which Node's EventTarget shows as NONE and null.
    const common = ({ phase: _p, targets: _t, ...rest }: Record<string, unknown>) => rest;
    assert.deepEqual(common(seen[0]!), common(seen[2]!));
    assert.deepEqual(common(seen[1]!), common(seen[3]!));
    for (const direct of [seen[0]!, seen[1]!]) {
      assert.deepEqual([direct.targets, direct.phase], [[true, true], Event.AT_TARGET]);
      assert.equal(direct.self, true);
    }
    assert.deepEqual(seen[0]!.instances, [false, true]);
    assert.deepEqual(seen[1]!.instances, [true, true]);
    assert.deepEqual(seen[1]!.close, [true, 4000, "bye"]);
    assert.deepEqual(seen[1]!.canceled, [false, true]);
    // The first two were handed over directly, the others dispatched.
    // (DirectCloseEvent's prototype is re-parented to CloseEvent's, not DirectEvent's.)
    const direct = (event: Event) =>
      event instanceof DirectEvent || event instanceof DirectCloseEvent;
    assert.deepEqual(kept.map(direct), [true, true, false, false]);
    assert.ok(kept[1] instanceof DirectCloseEvent);
    for (const event of kept) {
      assert.equal(event.currentTarget, null);
      assert.equal(event.eventPhase, Event.NONE);
    }
  });

  it("reports what the handler throws as a dispatch does, and still closes", async () => {
    const reported: unknown[] = [];
    const global = globalThis as { reportError?: (error: unknown) => void };
    const saved = global.reportError;
    global.reportError = (error) => reported.push(error);
    try {
      const server = createFakeServer();
      const socket = new WebSocket("ws://fake.test/", { transport: server.connector });
      const closed = once<CloseEvent>(socket, "close");
      socket.onopen = () => {
        socket.close();
        throw new Error("open handler failed");
      };
      const peer = await server.accept();
      await peer.handshake();
      await peer.answerClose();
      assert.equal((await closed).code, 1005);
      assert.deepEqual(reported.map((error) => (error as Error).message), ["open handler failed"]);
    } finally {
      if (saved === undefined) delete global.reportError;
      else global.reportError = saved;
    }
  });
});

/** Waits for the client's failing close frame. */
async function failingCloseCode(peer: FakePeer): Promise<number> {
  return (await peer.readClose()).code;
}

describe("WebSocket handshake attributes", () => {
  afterEach(cleanUp);

  it("exposes protocol, extensions and handshake only once open", async () => {
    const server = createFakeServer();
    const socket = new WebSocket("ws://fake.test/", ["a", "b"], { transport: server.connector });
    const log = record(socket);
    assert.equal(socket.handshake, null);
    assert.equal(socket.protocol, "");
    assert.equal(socket.extensions, "");
    const peer = await server.accept();
    await peer.readRequest();
    peer.acceptHandshake({ protocol: "b", headers: [["X-Server", "fake"], ["Set-Cookie", "s=1"]] });
    await waitFor(log, "open");
    // Read through a function: TypeScript narrowed `socket.handshake` to null above.
    const handshake = ((target: WebSocket) => target.handshake)(socket);
    assert.ok(handshake !== null);
    assert.equal(handshake.status, 101);
    assert.equal(handshake.statusText, "Switching Protocols");
    assert.equal(handshake.protocol, "b");
    assert.ok(handshake.headers.some(([name, value]) => name === "x-server" && value === "fake"));
    assert.ok(handshake.headers.some(([name, value]) => name === "set-cookie" && value === "s=1"));
    assert.equal(socket.protocol, "b");
    socket.close();
  });
});

describe("WebSocket against a hostile server: the opening handshake", () => {
  afterEach(cleanUp);

  async function refused(
    response: string | Uint8Array,
    options: WebSocketInit = {},
    then: (peer: FakePeer) => void = (peer) => peer.close(),
  ): Promise<{ log: Logged[]; error: unknown; peer: FakePeer; server: FakeServer }> {
    const { socket, peer, log, server } = await connecting(options);
    const closed = once(socket, "close");
    peer.write(response);
    then(peer);
    await closed;
    assert.deepEqual(types(log), ["error", "close"]);
    assert.deepEqual(closeFields(log[1]!.event), { wasClean: false, code: 1006, reason: "" });
    assert.equal(socket.readyState, WebSocket.CLOSED);
    for (const client of server.clients) await client.closed;
    return { log, error: errorOf(log[0]), peer, server };
  }

  it("reports a non-101 status as a HandshakeError with status, headers and body, then close 1006", async () => {
    const { error } = await refused(
      "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nX-Reason: nope\r\n\r\ndenied",
      {},
      () => {},
    );
    assert.ok(error instanceof HandshakeError);
    assert.equal(error.code, "UNEXPECTED_STATUS");
    assert.equal(error.status, 403);
    assert.equal(error.statusText, "Forbidden");
    assert.ok(error.headers.some(([name, value]) => name === "x-reason" && value === "nope"));
    assert.equal(new TextDecoder().decode(error.body), "denied");
    assert.equal(error.message, "Cannot open connection: the server answered 403 Forbidden");
  });

  it("dispatches the error as an event carrying the cause and its message", async () => {
    const { log, error } = await refused(
      "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
      {},
      () => {},
    );
    const event = log[0]!.event as Event & { message?: string; error?: unknown };
    assert.equal(event.type, "error");
    assert.equal(event.error, error);
    assert.equal(event.message, (error as Error).message);
  });

  it("collects the body of a refusal without Content-Length until the server closes", async () => {
    const { error } = await refused("HTTP/1.1 500 Internal Server Error\r\n\r\nboom");
    assert.ok(error instanceof HandshakeError);
    assert.equal(error.status, 500);
    assert.equal(new TextDecoder().decode(error.body), "boom");
  });

  it("refuses a wrong Sec-WebSocket-Accept", async () => {
    const { error } = await refused(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
      {},
      () => {},
    );
    assert.ok(error instanceof HandshakeError);
    assert.equal(error.code, "INVALID_ACCEPT");
    assert.equal(error.status, 101);
  });

  it("refuses a 101 without Upgrade: websocket", async () => {
    const { error } = await refused(
      "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n",
      {},
      () => {},
    );
    assert.ok(error instanceof HandshakeError);
    assert.equal(error.code, "INVALID_UPGRADE");
  });

  it("refuses a subprotocol that was not offered", async () => {
    const { socket, peer, log } = await connecting({ protocols: ["a"] });
    const closed = once(socket, "close");
    peer.acceptHandshake({ protocol: "b" });
    await closed;
    const error = errorOf(log[0]);
    assert.ok(error instanceof HandshakeError);
    assert.equal(error.code, "INVALID_SUBPROTOCOL");
    assert.deepEqual(types(log), ["error", "close"]);
  });

  it("refuses a subprotocol when none was offered", async () => {
    const { socket, peer, log } = await connecting();
    const closed = once(socket, "close");
    peer.acceptHandshake({ protocol: "chat" });
    await closed;
    const error = errorOf(log[0]);
    assert.ok(error instanceof HandshakeError);
    assert.equal(error.code, "INVALID_SUBPROTOCOL");
  });

  it("refuses an extension that was not offered", async () => {
    const { socket, peer, log } = await connecting();
    const closed = once(socket, "close");
    // permessage-deflate is offered by default; this one never is.
    peer.acceptHandshake({ extensions: "x-never-offered" });
    await closed;
    const error = errorOf(log[0]);
    assert.ok(error instanceof HandshakeError);
    assert.equal(error.code, "INVALID_EXTENSIONS");
  });

  it("reports garbage instead of HTTP as MALFORMED_RESPONSE", async () => {
    const { error } = await refused("SSH-2.0-OpenSSH_9.6\r\n\r\n", {}, () => {});
    assert.ok(error instanceof HandshakeError);
    assert.equal(error.code, "MALFORMED_RESPONSE");
    assert.equal(error.status, 0);
  });

  it("reports binary garbage as MALFORMED_RESPONSE", async () => {
    const { error } = await refused(
      new Uint8Array([0x16, 0x03, 0x01, 0x00, 0xa5, 0x0a, 0x0d, 0x0a]),
      {},
      () => {},
    );
    assert.ok(error instanceof HandshakeError);
    assert.equal(error.code, "MALFORMED_RESPONSE");
  });

  it("reports a response head over maxHandshakeSize as RESPONSE_TOO_LARGE and stops reading", async () => {
    const { error, peer } = await refused(
      "HTTP/1.1 101 Switching Protocols\r\nX-Padding: " + "p".repeat(600) + "\r\n\r\n",
      { maxHandshakeSize: 256 },
      () => {},
    );
    assert.ok(error instanceof HandshakeError);
    assert.equal(error.code, "RESPONSE_TOO_LARGE");
    assert.equal(
      error.message,
      "Cannot open connection: the response head is larger than 256 bytes",
    );
    // The client hung up: the server sees the end of the stream.
    await peer.readToEnd();
    assert.equal(peer.eof, true);
  });

  it("refuses an endless head at the default limit (16 KiB) without waiting for its end", async () => {
    const { error } = await refused(
      "HTTP/1.1 101 Switching Protocols\r\n" + "X-Flood: yes\r\n".repeat(2000),
      {},
      () => {},
    );
    assert.ok(error instanceof HandshakeError);
    assert.equal(error.code, "RESPONSE_TOO_LARGE");
  });

  it("reports a server that hangs up mid-handshake as UNEXPECTED_EOF", async () => {
    const { error } = await refused("HTTP/1.1 101 Switching");
    assert.ok(error instanceof HandshakeError);
    assert.equal(error.code, "UNEXPECTED_EOF");
  });

  it("reports a connection reset during the handshake, then close 1006", async () => {
    const { socket, peer, log } = await connecting();
    const closed = once(socket, "close");
    peer.reset();
    await closed;
    assert.deepEqual(types(log), ["error", "close"]);
    assert.equal(closeFields(log[1]!.event).code, 1006);
  });

  it("fires handshakeTimeout when the server never answers: TimeoutError, close 1006, transport closed", async () => {
    const timers = trackTimers();
    try {
      const { socket, peer, log, server } = await connecting({ handshakeTimeout: 30 });
      const started = Date.now();
      await once(socket, "close");
      assert.ok(Date.now() - started >= 20, "not before the timeout");
      assert.deepEqual(types(log), ["error", "close"]);
      const error = errorOf(log[0]);
      assert.ok(error instanceof DOMException);
      assert.equal(error.name, "TimeoutError");
      assert.deepEqual(closeFields(log[1]!.event), { wasClean: false, code: 1006, reason: "" });
      await peer.readToEnd();
      assert.equal(peer.eof, true);
      await server.clients[0]!.closed;
      assert.equal(timers.pending, 0, `pending timers: ${timers.pendingDelays}`);
    } finally {
      timers.restore();
    }
  });

  it("fires handshakeTimeout when the connector itself never completes", async () => {
    let seenSignal: AbortSignal | undefined;
    const socket = new WebSocket("ws://fake.test/", {
      handshakeTimeout: 20,
      transport: (options) => {
        seenSignal = options.signal;
        return new Promise(() => {});
      },
    });
    const log = record(socket);
    await once(socket, "close");
    assert.deepEqual(types(log), ["error", "close"]);
    assert.equal((errorOf(log[0]) as DOMException).name, "TimeoutError");
    assert.equal(seenSignal?.aborted, true);
  });

  it("reports a connector failure as error then close 1006", async () => {
    const failure = new TypeError("Cannot connect: refused");
    const socket = new WebSocket("ws://fake.test/", { transport: () => Promise.reject(failure) });
    const log = record(socket);
    await once(socket, "close");
    assert.deepEqual(types(log), ["error", "close"]);
    assert.equal(errorOf(log[0]), failure);
    assert.equal(closeFields(log[1]!.event).code, 1006);
  });

  it("takes the frames glued to the 101 response as the first frames", async () => {
    const { socket, peer, log } = await connecting();
    const message = once<MessageEvent>(socket, "message");
    peer.acceptHandshake({ trailing: frameBytes(OP.Text, "early") });
    assert.equal((await message).data, "early");
    assert.deepEqual(types(log), ["open", "message"]);
    socket.close();
    await peer.answerClose();
  });
});

describe("WebSocket against a hostile server: frames (RFC 6455 §5, §7.1.7)", () => {
  afterEach(cleanUp);

  /**
   * Sends `bytes` after the handshake and checks the client fails the
   * connection: the close code on the wire, then error and close 1006.
   */
  async function failsWith(
    bytes: Uint8Array,
    wireCode: number,
    options: WebSocketInit = {},
  ): Promise<unknown> {
    const opened = await connect(options);
    const closed = once(opened.socket, "close");
    opened.peer.write(bytes);
    const received = await opened.peer.readClose();
    assert.equal(received.code, wireCode);
    assert.equal(received.reason, "");
    opened.peer.close();
    await closed;
    assert.deepEqual(types(opened.log), ["open", "error", "close"]);
    assert.deepEqual(closeFields(opened.log[2]!.event), {
      wasClean: false,
      code: 1006,
      reason: "",
    });
    await opened.server.clients[0]!.closed;
    return errorOf(opened.log[1]);
  }

  it("answers a masked frame with close 1002 and reports MASKED_FRAME", async () => {
    const error = await failsWith(frameBytes(OP.Text, "hi", { mask: [1, 2, 3, 4] }), 1002);
    assert.ok(error instanceof ProtocolError);
    assert.equal(error.code, "MASKED_FRAME");
    assert.equal(error.closeCode, 1002);
  });

  it("answers invalid UTF-8 in a text message with close 1007", async () => {
    const error = await failsWith(frameBytes(OP.Text, new Uint8Array([0x68, 0xc3, 0x28])), 1007);
    assert.ok(error instanceof ProtocolError);
    assert.equal(error.code, "INVALID_UTF8");
  });

  it("answers a frame over maxMessageSize with close 1009", async () => {
    const error = await failsWith(frameBytes(OP.Binary, new Uint8Array(17)), 1009, {
      maxMessageSize: 16,
    });
    assert.ok(error instanceof ProtocolError);
    assert.equal(error.closeCode, 1009);
  });

  it("answers a fragmented message over maxMessageSize with close 1009 (MESSAGE_TOO_BIG)", async () => {
    const error = await failsWith(
      concatBytes(
        frameBytes(OP.Binary, new Uint8Array(10), { fin: false }),
        frameBytes(OP.Continuation, new Uint8Array(10)),
      ),
      1009,
      { maxMessageSize: 16 },
    );
    assert.ok(error instanceof ProtocolError);
    assert.equal(error.code, "MESSAGE_TOO_BIG");
  });

  it("answers a reserved opcode with close 1002", async () => {
    const error = await failsWith(frameBytes(0x3, "x"), 1002);
    assert.ok(error instanceof ProtocolError);
    assert.equal(error.code, "RESERVED_OPCODE");
  });

  it("answers RSV bits without an extension with close 1002", async () => {
    const error = await failsWith(frameBytes(OP.Text, "x", { rsv: 4 }), 1002);
    assert.ok(error instanceof ProtocolError);
    assert.equal(error.code, "UNEXPECTED_RSV");
  });

  it("answers a close frame with an invalid code with close 1002", async () => {
    const error = await failsWith(frameBytes(OP.Close, new Uint8Array([0x03, 0xed])), 1002); // 1005
    assert.ok(error instanceof ProtocolError);
    assert.equal(error.code, "INVALID_CLOSE_CODE");
  });

  it("does not dispatch the messages that follow a violation in the same chunk", async () => {
    const opened = await connect();
    const closed = once(opened.socket, "close");
    opened.peer.write(concatBytes(
      frameBytes(OP.Text, "before"),
      frameBytes(0xb, ""),
      frameBytes(OP.Text, "after"),
    ));
    await opened.peer.readClose();
    opened.peer.close();
    await closed;
    assert.deepEqual(types(opened.log), ["open", "message", "error", "close"]);
    assert.equal((opened.log[1]!.event as MessageEvent).data, "before");
  });

  it("closes the transport itself after closeTimeout when the failing server never hangs up", async () => {
    const timers = trackTimers();
    try {
      const opened = await connect({ closeTimeout: 30 });
      const closed = once(opened.socket, "close");
      opened.peer.sendFrame(OP.Text, "x", { mask: [9, 9, 9, 9] });
      assert.equal((await opened.peer.readClose()).code, 1002);
      await closed;
      assert.deepEqual(types(opened.log), ["open", "error", "close"]);
      await opened.peer.readToEnd();
      assert.equal(opened.peer.eof, true, "the client hung up");
      await opened.server.clients[0]!.closed;
      assert.equal(timers.pending, 0, `pending timers: ${timers.pendingDelays}`);
    } finally {
      timers.restore();
    }
  });
});

describe("WebSocket when its own hooks throw", () => {
  afterEach(cleanUp);

  it("fails the connection and reports the hook's error, instead of hanging", async () => {
    const failure = new Error("the tracer failed");
    const opened = await connect({
      trace(record) {
        if (record.type === "frame" && record.direction === "in") throw failure;
      },
    });
    opened.peer.sendText("hello");
    const close = await once<CloseEvent>(opened.socket, "close");
    assert.deepEqual(closeFields(close), { wasClean: false, code: 1006, reason: "" });
    assert.deepEqual(types(opened.log), ["open", "error", "close"]);
    assert.equal(errorOf(opened.log[1]), failure);
  });
});

describe("WebSocket closing (WHATWG §3.3 'When the WebSocket connection is closed')", () => {
  afterEach(cleanUp);

  it("answers the server's close frame by echoing its code, and reports it on close", async () => {
    const opened = await connect();
    const closed = once(opened.socket, "close");
    opened.peer.sendClose(4001, "server says bye");
    const echoed = await opened.peer.readClose();
    assert.deepEqual([echoed.code, echoed.reason], [4001, ""]);
    opened.peer.close();
    const event = await closed;
    assert.ok(event instanceof CloseEvent);
    assert.equal(event.type, "close");
    assert.deepEqual(closeFields(event), { wasClean: true, code: 4001, reason: "server says bye" });
    assert.deepEqual(types(opened.log), ["open", "close"]);
  });

  it("completes cleanly when both sides send their close frame at the same time", async () => {
    const opened = await connect();
    const closed = once(opened.socket, "close");
    opened.socket.close(1000, "client");
    opened.peer.sendClose(1000, "server");
    const received = await opened.peer.readClose();
    assert.deepEqual([received.code, received.reason], [1000, "client"]);
    opened.peer.close();
    assert.deepEqual(closeFields(await closed), { wasClean: true, code: 1000, reason: "server" });
    assert.deepEqual(
      await opened.peer.readFrames(),
      [],
      "the client's close frame was its only one",
    );
  });

  it("reports 1005 for an empty close frame from the server", async () => {
    const opened = await connect();
    const closed = once(opened.socket, "close");
    opened.peer.sendClose();
    const echoed = await opened.peer.readClose();
    assert.equal(echoed.code, 1005);
    opened.peer.close();
    assert.deepEqual(closeFields(await closed), { wasClean: true, code: 1005, reason: "" });
  });

  it("reports 1006 and wasClean false when the server drops the connection; an error, if any, comes first", async () => {
    const opened = await connect();
    const closed = once(opened.socket, "close");
    opened.peer.close();
    assert.deepEqual(closeFields(await closed), { wasClean: false, code: 1006, reason: "" });
    const kinds = types(opened.log);
    assert.ok(
      JSON.stringify(kinds) === JSON.stringify(["open", "close"]) ||
        JSON.stringify(kinds) === JSON.stringify(["open", "error", "close"]),
      kinds.join(", "),
    );
  });

  it("reports 1006 when the connection is reset", async () => {
    const opened = await connect();
    const closed = once(opened.socket, "close");
    opened.peer.reset();
    assert.deepEqual(closeFields(await closed), { wasClean: false, code: 1006, reason: "" });
  });

  it("closes the transport after closeTimeout when the server never answers the close frame", async () => {
    const timers = trackTimers();
    try {
      const opened = await connect({ closeTimeout: 30 });
      const closed = once(opened.socket, "close");
      const started = Date.now();
      opened.socket.close(1000, "bye");
      assert.equal((await opened.peer.readClose()).code, 1000);
      // The server reads but never answers nor hangs up.
      const event = await closed;
      assert.ok(Date.now() - started >= 20, "not before closeTimeout");
      assert.deepEqual(closeFields(event), { wasClean: false, code: 1006, reason: "" });
      await opened.peer.readToEnd();
      assert.equal(opened.peer.eof, true);
      await opened.server.clients[0]!.closed;
      assert.equal(timers.pending, 0, `pending timers: ${timers.pendingDelays}`);
    } finally {
      timers.restore();
    }
  });

  it("closes the transport after closeTimeout when the server answers but never hangs up (clean)", async () => {
    const opened = await connect({ closeTimeout: 30 });
    const closed = once(opened.socket, "close");
    opened.socket.close(3000);
    await opened.peer.readClose();
    opened.peer.sendClose(3000);
    assert.deepEqual(closeFields(await closed), { wasClean: true, code: 3000, reason: "" });
    await opened.server.clients[0]!.closed;
  });

  it("leaves no timer pending and the transport closed after a clean close", async () => {
    const timers = trackTimers();
    try {
      const opened = await connect({ handshakeTimeout: 60_000, closeTimeout: 60_000 });
      opened.socket.send("x");
      await opened.peer.readFrame();
      await closeCleanly(opened);
      await opened.server.clients[0]!.closed;
      await opened.peer.transport.closed;
      assert.equal(timers.pending, 0, `pending timers: ${timers.pendingDelays}`);
    } finally {
      timers.restore();
    }
  });
});

describe("WebSocket signal option", () => {
  afterEach(cleanUp);

  it("fails at once when the signal is already aborted: error with its reason, close 1006, no connection", async () => {
    const server = createFakeServer();
    const reason = new Error("stop");
    const socket = new WebSocket("ws://fake.test/", {
      transport: server.connector,
      signal: AbortSignal.abort(reason),
    });
    const log = record(socket);
    await once(socket, "close");
    assert.deepEqual(types(log), ["error", "close"]);
    assert.equal(errorOf(log[0]), reason);
    assert.equal(closeFields(log[1]!.event).code, 1006);
    assert.equal(server.requests.length, 0);
  });

  it("fails the handshake when aborted while CONNECTING and closes the transport", async () => {
    const controller = new AbortController();
    const { socket, peer, log, server } = await connecting({ signal: controller.signal });
    const closed = once(socket, "close");
    const reason = new Error("user left");
    controller.abort(reason);
    await closed;
    assert.deepEqual(types(log), ["error", "close"]);
    assert.equal(errorOf(log[0]), reason);
    assert.equal(closeFields(log[1]!.event).code, 1006);
    await peer.readToEnd();
    assert.equal(peer.eof, true);
    await server.clients[0]!.closed;
  });

  it("closes with 1001 (going away) when aborted after open", async () => {
    const controller = new AbortController();
    const opened = await connect({ signal: controller.signal });
    const closed = once(opened.socket, "close");
    controller.abort();
    const received = await opened.peer.answerClose();
    assert.equal(received.code, 1001);
    assert.deepEqual(closeFields(await closed), { wasClean: true, code: 1001, reason: "" });
    assert.deepEqual(types(opened.log), ["open", "close"]);
  });

  it("does nothing when aborted after the connection closed", async () => {
    const controller = new AbortController();
    const opened = await connect({ signal: controller.signal });
    await closeCleanly(opened);
    controller.abort();
    await tick();
    assert.deepEqual(types(opened.log), ["open", "close"]);
  });
});

describe("WebSocket errors: an error event is always followed by exactly one close event", () => {
  afterEach(cleanUp);

  it("holds for a refused handshake, a protocol violation and a dropped connection", async () => {
    const cases: Array<(peer: FakePeer) => Promise<void>> = [
      async (peer) => {
        await peer.readRequest();
        peer.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
      },
      async (peer) => {
        await peer.handshake();
        peer.sendFrame(OP.Text, new Uint8Array([0xff]));
        await peer.readClose();
        peer.close();
      },
      async (peer) => {
        await peer.handshake();
        peer.reset();
      },
    ];
    for (const play of cases) {
      const server = createFakeServer();
      const socket = new WebSocket("ws://fake.test/", { transport: server.connector });
      const log = record(socket);
      const closed = once(socket, "close");
      await play(await server.accept());
      await closed;
      await delay(5);
      const kinds = types(log).filter((type) => type !== "open");
      assert.equal(kinds.filter((type) => type === "close").length, 1);
      const errorAt = kinds.indexOf("error");
      if (errorAt >= 0) assert.equal(kinds[errorAt + 1], "close");
    }
  });
});
