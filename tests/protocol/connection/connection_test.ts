import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeClosePayload } from "../../../src/protocol/frames/close_code.ts";
import {
  ClientConnection,
  type ClientConnectionOptions,
  Connection,
  type ConnectionOptions,
  DEFAULT_LIMITS,
  ERROR_BODY_LIMIT,
} from "../../../src/protocol/connection/connection.ts";
import { HandshakeError, InvalidStateError, ProtocolError } from "../../../src/protocol/errors.ts";
import type {
  CloseEvent,
  ConnectionEvent,
  FailEvent,
} from "../../../src/protocol/connection/events.ts";
import { encodeFrame } from "../../../src/protocol/frames/frame.ts";
import { FrameParser } from "../../../src/protocol/frames/frame_parser.ts";
import {
  CompactHandshakeResult,
  computeAcceptKey,
} from "../../../src/protocol/handshake/handshake.ts";
import { concat, splits } from "../../_util/chunking.ts";
import { fixedRandomBytes, recordingRandomBytes, RFC_MASK } from "../../_util/fixed_random.ts";
import {
  patternPayload,
  utf8,
  vectorSplits,
  VIOLATIONS,
  type ViolationVector,
} from "../../vectors/frames.ts";
import { INVALID_FRAGMENTED_UTF8, INVALID_UTF8, VALID_UTF8 } from "../../vectors/utf8.ts";

// ---------------------------------------------------------------------------
// Helpers: build the server's bytes, decode the client's bytes.

/** An unmasked frame, as a server sends it. */
function serverFrame(
  opcode: number,
  payload: string | ArrayLike<number> = [],
  fin = true,
  rsv = 0,
): Uint8Array {
  const bytes = typeof payload === "string" ? utf8(payload) : new Uint8Array(payload);
  return concat(...encodeFrame({ fin, rsv, opcode, payload: bytes }, null));
}

/** A masked frame, as a client sends it. */
function clientFrame(
  opcode: number,
  payload: string | ArrayLike<number> = [],
  fin = true,
): Uint8Array {
  const bytes = typeof payload === "string" ? utf8(payload) : new Uint8Array(payload);
  return concat(
    ...encodeFrame({ fin, rsv: 0, opcode, payload: bytes }, new Uint8Array([9, 8, 7, 6])),
  );
}

/** A close frame from the server. */
function serverClose(code?: number, reason = ""): Uint8Array {
  return serverFrame(0x8, encodeClosePayload(code, reason));
}

/** A frame decoded from what the connection wrote, or the end-of-stream marker. */
type Sent =
  | {
    readonly opcode: number;
    readonly fin: boolean;
    readonly rsv: number;
    readonly payload: number[];
  }
  | "EOF";

/**
 * Decodes the chunks from dataToSend(). Frames of a client must be masked,
 * a server's must not be (the parser refuses the other kind); nothing may
 * follow the end-of-stream marker.
 */
function decodeSent(chunks: readonly Uint8Array[], side: "client" | "server" = "client"): Sent[] {
  const parser = new FrameParser({ maxFrameSize: 1 << 30, expectMask: side === "client" });
  const sent: Sent[] = [];
  for (const chunk of chunks) {
    assert.notEqual(sent.at(-1), "EOF", "bytes written after the end-of-stream marker");
    if (chunk.length === 0) {
      assert.equal(parser.bufferedAmount, 0, "end-of-stream marker in the middle of a frame");
      sent.push("EOF");
      continue;
    }
    parser.push(chunk);
    for (let frame = parser.next(); frame !== null; frame = parser.next()) {
      sent.push({
        opcode: frame.opcode,
        fin: frame.fin,
        rsv: frame.rsv,
        payload: [...frame.payload],
      });
    }
  }
  assert.equal(parser.bufferedAmount, 0, "a partial frame was written");
  return sent;
}

/** A close frame as decodeSent() reports it. */
function closeSent(code?: number, reason = ""): Sent {
  return { opcode: 0x8, fin: true, rsv: 0, payload: [...encodeClosePayload(code, reason)] };
}

function dataSent(opcode: number, payload: string | ArrayLike<number>, fin = true): Sent {
  return {
    opcode,
    fin,
    rsv: 0,
    payload: typeof payload === "string" ? [...utf8(payload)] : [...Array.from(payload)],
  };
}

/** A client connection opened directly, with masks from a fixed source. */
function openClient(options: ConnectionOptions = {}): Connection {
  return new Connection("client", "open", { randomBytes: fixedRandomBytes(), ...options });
}

function openServer(options: ConnectionOptions = {}): Connection {
  return new Connection("server", "open", options);
}

const URL = "ws://example.com/chat";

/** A valid 101 response for `key`, with extra header lines. */
function switchingProtocols(key: string, extra = ""): Uint8Array {
  return utf8(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${computeAcceptKey(key)}\r\n${extra}\r\n`,
  );
}

/** A ClientConnection whose handshake is done; the request and the open event are drained. */
function handshaken(options: ClientConnectionOptions = {}): ClientConnection {
  const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes(), ...options });
  client.dataToSend();
  client.receiveData(switchingProtocols(client.key));
  const events = client.eventsReceived();
  assert.deepEqual(events.map((event) => event.type), ["open"]);
  return client;
}

function feed(connection: Connection, ...chunks: Uint8Array[]): ConnectionEvent[] {
  for (const chunk of chunks) connection.receiveData(chunk);
  return connection.eventsReceived();
}

function assertProtocolError(
  error: unknown,
  expected: Pick<ViolationVector, "code" | "closeCode" | "message">,
  where = "",
): asserts error is ProtocolError {
  assert.ok(
    error instanceof ProtocolError,
    `${where}: expected a ProtocolError, got ${String(error)}`,
  );
  assert.equal(error.name, "ProtocolError", where);
  assert.equal(error.code, expected.code, where);
  assert.equal(error.closeCode, expected.closeCode, where);
  assert.equal(error.message, expected.message, where);
}

function assertInvalidState(fn: () => unknown, message: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(
      error instanceof InvalidStateError,
      `expected an InvalidStateError, got ${String(error)}`,
    );
    assert.equal(error.name, "InvalidStateError");
    assert.equal(error.message, message);
    return true;
  });
}

const UNEXPECTED_EOF = {
  code: "UNEXPECTED_EOF",
  closeCode: 1006,
  message: "Cannot read frame: the connection ended without a close frame",
} as const;

/** Events without their Uint8Array identity, for comparing across splits. */
/**
 * Takes the events up to a failure, releases a failure held behind messages,
 * and checks that exactly one `fail` event with `code` ends them.
 */
function eventsBeforeFailure(
  connection: Connection,
  code: number,
  where?: string,
): ConnectionEvent[] {
  const events = connection.eventsReceived();
  connection.releaseFailure();
  events.push(...connection.eventsReceived());
  const fail = events.pop();
  assert.equal(fail?.type, "fail", where);
  assert.equal((fail as FailEvent).code, code, where);
  assert.equal((fail as FailEvent).error, connection.error, where);
  assert.ok(!events.some((event) => event.type === "fail"), where);
  return events;
}

function plainEvents(events: readonly ConnectionEvent[]): unknown[] {
  return events.map((event) => {
    if (event.type === "message" && typeof event.data !== "string") {
      return { ...event, data: [...event.data] };
    }
    if (event.type === "ping" || event.type === "pong") return { ...event, data: [...event.data] };
    return event;
  });
}

// ---------------------------------------------------------------------------

describe("5.5.2. Ping", () => {
  it("Connection answers a ping with a pong carrying the same application data", () => {
    const client = openClient();
    const events = feed(client, serverFrame(0x9, "Hello"));
    assert.deepEqual(plainEvents(events), [{ type: "ping", data: [...utf8("Hello")] }]);
    assert.deepEqual(decodeSent(client.dataToSend()), [dataSent(0xa, "Hello")]);
  });

  it("Connection answers an empty ping and a 125-byte ping with matching pongs", () => {
    const client = openClient();
    feed(client, serverFrame(0x9), serverFrame(0x9, patternPayload(125)));
    assert.deepEqual(decodeSent(client.dataToSend()), [
      dataSent(0xa, []),
      dataSent(0xa, patternPayload(125)),
    ]);
  });

  it("Connection masks the pong with a fresh key from randomBytes (RFC 6455 §5.7 masked pong)", () => {
    const client = openClient();
    feed(client, serverFrame(0x9, "Hello"));
    assert.deepEqual(
      concat(...client.dataToSend()),
      new Uint8Array([0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]),
    );
  });

  it("Connection answers pings that arrive between the fragments of a message, and reports the message after them", () => {
    const client = openClient();
    const events = feed(
      client,
      serverFrame(0x1, "Hel", false),
      serverFrame(0x9, "p1"),
      serverFrame(0x0, "l", false),
      serverFrame(0x9, "p2"),
      serverFrame(0x0, "o", true),
    );
    assert.deepEqual(plainEvents(events), [
      { type: "ping", data: [...utf8("p1")] },
      { type: "ping", data: [...utf8("p2")] },
      { type: "message", data: "Hello" },
    ]);
    assert.deepEqual(decodeSent(client.dataToSend()), [dataSent(0xa, "p1"), dataSent(0xa, "p2")]);
  });

  it('Connection answers a ping that arrives after its own close frame, before the peer\'s ("unless it already received a Close frame")', () => {
    const client = openClient();
    client.sendClose(1000);
    client.dataToSend();
    const events = feed(client, serverFrame(0x9, "late"));
    assert.deepEqual(plainEvents(events), [{ type: "ping", data: [...utf8("late")] }]);
    assert.deepEqual(decodeSent(client.dataToSend()), [dataSent(0xa, "late")]);
  });

  it("Connection does not answer a ping that follows the peer's close frame", () => {
    const client = openClient();
    const events = feed(client, concat(serverClose(1000), serverFrame(0x9, "after")));
    assert.deepEqual(events.map((event) => event.type), ["closing"]);
    assert.deepEqual(decodeSent(client.dataToSend()), [closeSent(1000)]);
  });

  it("sendPing sends a masked ping and refuses more than 125 bytes", () => {
    const client = openClient();
    client.sendPing();
    client.sendPing(patternPayload(125));
    assert.deepEqual(decodeSent(client.dataToSend()), [
      dataSent(0x9, []),
      dataSent(0x9, patternPayload(125)),
    ]);
    assert.throws(() => client.sendPing(patternPayload(126)), {
      name: "RangeError",
      message: "Cannot send ping: the payload is 126 bytes, more than 125",
    });
    assert.deepEqual(client.dataToSend(), []);
  });
});

describe("5.5.3. Pong", () => {
  it("Connection reports a pong and does not answer it", () => {
    const client = openClient();
    const events = feed(client, serverFrame(0xa, "beat"));
    assert.deepEqual(plainEvents(events), [{ type: "pong", data: [...utf8("beat")] }]);
    assert.deepEqual(client.dataToSend(), []);
  });

  it("sendPong sends an unsolicited pong and refuses more than 125 bytes", () => {
    const client = openClient();
    client.sendPong(utf8("hb"));
    assert.deepEqual(decodeSent(client.dataToSend()), [dataSent(0xa, "hb")]);
    assert.throws(() => client.sendPong(patternPayload(126)), {
      name: "RangeError",
      message: "Cannot send pong: the payload is 126 bytes, more than 125",
    });
  });
});

describe("5.3. Client-to-Server Masking", () => {
  it('Connection (client) sends RFC 6455 §5.7\'s masked "Hello" with the key from randomBytes', () => {
    const client = openClient();
    client.sendText("Hello");
    assert.deepEqual(
      concat(...client.dataToSend()),
      new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]),
    );
  });

  it("Connection (client) draws a new 4-byte key for every frame it sends", () => {
    const { randomBytes, calls } = recordingRandomBytes();
    const client = openClient({ randomBytes, fragmentSize: 2 });
    client.sendText("abcdef");
    client.sendPing();
    client.sendClose();
    assert.deepEqual(calls, [4, 4, 4, 4, 4]);
  });

  it("Connection (client) never modifies the bytes it is asked to send", () => {
    const client = openClient();
    const data = patternPayload(300);
    const before = data.slice();
    client.sendBinary(data);
    client.sendText(data.subarray(0, 10));
    client.sendPing(data.subarray(0, 125));
    assert.deepEqual(data, before);
  });

  it("Connection (server) sends unmasked frames whose payload chunk is the caller's bytes", () => {
    const server = openServer();
    const data = patternPayload(300);
    server.sendBinary(data);
    const chunks = server.dataToSend();
    assert.equal(chunks.length, 2);
    assert.equal(chunks[1], data);
    assert.deepEqual(decodeSent(chunks, "server"), [dataSent(0x2, data)]);
  });

  it("Connection (server) accepts masked frames from a client", () => {
    const server = openServer();
    const events = feed(server, clientFrame(0x1, "Hello"));
    assert.deepEqual(events, [{ type: "message", data: "Hello" }]);
  });
});

describe("5.4. Fragmentation", () => {
  it("Connection reports a fragmented message once, when its last fragment arrives", () => {
    const client = openClient();
    assert.deepEqual(feed(client, serverFrame(0x2, [1], false)), []);
    assert.deepEqual(feed(client, serverFrame(0x0, [2], false)), []);
    assert.deepEqual(plainEvents(feed(client, serverFrame(0x0, [3]))), [{
      type: "message",
      data: [1, 2, 3],
    }]);
  });

  it("Connection reports text as a string and binary data as bytes", () => {
    const client = openClient();
    const events = feed(client, serverFrame(0x1, "t\u00e9"), serverFrame(0x2, [0xff]));
    assert.deepEqual(plainEvents(events), [{ type: "message", data: "t\u00e9" }, {
      type: "message",
      data: [0xff],
    }]);
  });

  it("Connection splits outgoing messages into frames of fragmentSize bytes", () => {
    const client = openClient({ fragmentSize: 4 });
    client.sendText("hello world");
    client.sendBinary(patternPayload(8));
    client.sendBinary(patternPayload(3));
    client.sendText("");
    assert.deepEqual(decodeSent(client.dataToSend()), [
      dataSent(0x1, "hell", false),
      dataSent(0x0, "o wo", false),
      dataSent(0x0, "rld", true),
      dataSent(0x2, patternPayload(4), false),
      dataSent(0x0, [4, 5, 6, 7], true),
      dataSent(0x2, patternPayload(3)),
      dataSent(0x1, ""),
    ]);
  });

  it("Connection sends each message in one frame when fragmentSize is 0", () => {
    const client = openClient();
    client.sendBinary(patternPayload(70000));
    const sent = decodeSent(client.dataToSend());
    assert.equal(sent.length, 1);
    assert.equal((sent[0] as { payload: number[] }).payload.length, 70000);
  });

  it("sendText(…, false) and sendContinuation send a message fragment by fragment", () => {
    const client = openClient();
    client.sendText("Hel", false);
    client.sendPing(utf8("between"));
    client.sendContinuation(utf8("l"), false);
    client.sendContinuation(utf8("o"), true);
    client.sendBinary(new Uint8Array([1]), false);
    client.sendContinuation(new Uint8Array([2]), true);
    assert.deepEqual(decodeSent(client.dataToSend()), [
      dataSent(0x1, "Hel", false),
      dataSent(0x9, "between"),
      dataSent(0x0, "l", false),
      dataSent(0x0, "o", true),
      dataSent(0x2, [1], false),
      dataSent(0x0, [2], true),
    ]);
  });

  it("sendContinuation splits by fragmentSize too, and only the last frame of the final call has FIN", () => {
    const client = openClient({ fragmentSize: 2 });
    client.sendBinary(new Uint8Array([1, 2, 3]), false);
    client.sendContinuation(new Uint8Array([4, 5, 6]), true);
    assert.deepEqual(decodeSent(client.dataToSend()), [
      dataSent(0x2, [1, 2], false),
      dataSent(0x0, [3], false),
      dataSent(0x0, [4, 5], false),
      dataSent(0x0, [6], true),
    ]);
  });

  it("Connection refuses to start a message while a fragmented one is being sent", () => {
    const client = openClient();
    client.sendText("a", false);
    assertInvalidState(
      () => client.sendText("b"),
      "Cannot send message: a fragmented message is in progress",
    );
    assertInvalidState(
      () => client.sendBinary(new Uint8Array(1)),
      "Cannot send message: a fragmented message is in progress",
    );
    client.sendContinuation(utf8("c"), true);
    client.sendText("d");
    assert.equal(decodeSent(client.dataToSend()).length, 3);
  });

  it("sendContinuation refuses to continue when no fragmented message is in progress", () => {
    const client = openClient();
    assertInvalidState(
      () => client.sendContinuation(utf8("x"), true),
      "Cannot send continuation: no fragmented message is in progress",
    );
    client.sendText("whole");
    assertInvalidState(
      () => client.sendContinuation(utf8("x"), true),
      "Cannot send continuation: no fragmented message is in progress",
    );
  });
});

describe("7.1.2. Start the WebSocket Closing Handshake (client-initiated)", () => {
  it("Connection completes a closing handshake it started: closing, closed, then a clean close event at EOF", () => {
    const client = openClient();
    client.sendClose(1000, "bye");
    assert.equal(client.state, "closing");
    assert.deepEqual(client.closeSent, { code: 1000, reason: "bye" });
    assert.deepEqual(decodeSent(client.dataToSend()), [closeSent(1000, "bye")]);
    // The close timer runs from our close frame on, so a silent server cannot hang us.
    assert.equal(client.closeExpected(), true);

    const events = feed(client, serverClose(1000, "ok"));
    assert.deepEqual(events, [{ type: "closing", code: 1000, reason: "ok" }]);
    assert.equal(client.state, "closed");
    assert.deepEqual(client.closeReceived, { code: 1000, reason: "ok" });
    // The answer to our close frame is not answered again.
    assert.deepEqual(client.dataToSend(), []);
    // §7.1.1: the client waits for the server to close the TCP connection.
    assert.equal(client.closeExpected(), true);

    client.receiveEof();
    assert.deepEqual(client.eventsReceived(), [
      { type: "close", code: 1000, reason: "ok", wasClean: true, error: null },
    ]);
    assert.equal(client.state, "closed");
    assert.equal(client.closeExpected(), false);
    assert.deepEqual(decodeSent(client.dataToSend()), ["EOF"]);
  });

  it("Connection reports the server's code, not its own, when the server answers with another code", () => {
    const client = openClient();
    client.sendClose(4000);
    feed(client, serverClose(1001, "going"));
    client.receiveEof();
    assert.deepEqual(client.eventsReceived(), [
      { type: "close", code: 1001, reason: "going", wasClean: true, error: null },
    ]);
  });

  it("sendClose without a code sends an empty close frame", () => {
    const client = openClient();
    client.sendClose();
    assert.deepEqual(client.closeSent, { code: 1005, reason: "" });
    assert.deepEqual(decodeSent(client.dataToSend()), [closeSent()]);
  });

  it("Connection keeps receiving messages after sending its close frame, until the server's close frame", () => {
    const client = openClient();
    client.sendClose(1000);
    const events = feed(
      client,
      serverFrame(0x1, "still"),
      serverFrame(0xa, "p"),
      serverClose(1000),
    );
    assert.deepEqual(plainEvents(events), [
      { type: "message", data: "still" },
      { type: "pong", data: [...utf8("p")] },
      { type: "closing", code: 1000, reason: "" },
    ]);
  });

  it("Connection reports 1006 and an unclean close when the server ends the stream before answering its close frame", () => {
    const client = openClient();
    client.sendClose(1000);
    client.receiveEof();
    const [event, ...rest] = client.eventsReceived();
    assert.deepEqual(rest, []);
    assert.equal(event?.type, "close");
    const close = event as CloseEvent;
    assert.equal(close.code, 1006);
    assert.equal(close.reason, "");
    assert.equal(close.wasClean, false);
    assertProtocolError(close.error, UNEXPECTED_EOF);
  });

  for (
    const code of [
      1000,
      1001,
      1002,
      1003,
      1007,
      1008,
      1009,
      1010,
      1011,
      1012,
      1013,
      1014,
      3000,
      4999,
    ]
  ) {
    it(`sendClose accepts the code ${code}`, () => {
      const client = openClient();
      client.sendClose(code, "r");
      assert.deepEqual(decodeSent(client.dataToSend()), [closeSent(code, "r")]);
    });
  }

  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000]) {
    it(`sendClose refuses the code ${code} with a RangeError and sends nothing`, () => {
      const client = openClient();
      assert.throws(() => client.sendClose(code), {
        name: "RangeError",
        message: `Cannot send close: ${code} is not a valid close code`,
      });
      assert.equal(client.state, "open");
      assert.deepEqual(client.dataToSend(), []);
      client.sendClose(1000);
      assert.equal(client.state, "closing");
    });
  }

  it("sendClose refuses a reason over 123 UTF-8 bytes and accepts one of 123", () => {
    const client = openClient();
    assert.throws(() => client.sendClose(1000, "\u00e9".repeat(62)), {
      name: "RangeError",
      message: "Cannot encode close payload: the reason is 124 bytes, more than 123",
    });
    assert.equal(client.state, "open");
    client.sendClose(1000, "a".repeat(123));
    assert.deepEqual(decodeSent(client.dataToSend()), [closeSent(1000, "a".repeat(123))]);
  });

  it("sendClose refuses a reason without a code", () => {
    const client = openClient();
    assert.throws(() => client.sendClose(undefined, "why"), {
      name: "RangeError",
      message: "Cannot encode close payload: a reason requires a code",
    });
  });
});

describe("7.1.3. The WebSocket Closing Handshake is Started (server-initiated)", () => {
  it("Connection echoes the server's close code, reports closing, and a clean close at EOF", () => {
    const client = openClient();
    const events = feed(client, serverClose(1001, "restarting"));
    assert.deepEqual(events, [{ type: "closing", code: 1001, reason: "restarting" }]);
    assert.deepEqual(decodeSent(client.dataToSend()), [closeSent(1001)]);
    assert.deepEqual(client.closeSent, { code: 1001, reason: "" });
    assert.equal(client.state, "closed");
    assert.equal(client.closeExpected(), true);
    client.receiveEof();
    assert.deepEqual(client.eventsReceived(), [
      { type: "close", code: 1001, reason: "restarting", wasClean: true, error: null },
    ]);
    assert.deepEqual(decodeSent(client.dataToSend()), ["EOF"]);
  });

  it("Connection answers an empty close frame with an empty close frame and reports 1005", () => {
    const client = openClient();
    const events = feed(client, serverClose());
    assert.deepEqual(events, [{ type: "closing", code: 1005, reason: "" }]);
    assert.deepEqual(decodeSent(client.dataToSend()), [closeSent()]);
    client.receiveEof();
    assert.deepEqual(client.eventsReceived(), [
      { type: "close", code: 1005, reason: "", wasClean: true, error: null },
    ]);
  });

  it("Connection reports every message that arrived before the close frame, before the closing event", () => {
    const client = openClient();
    const events = feed(
      client,
      concat(serverFrame(0x1, "one"), serverFrame(0x2, [2]), serverFrame(0x1, "th", false)),
      concat(serverFrame(0x0, "ree"), serverClose(1000)),
    );
    assert.deepEqual(plainEvents(events), [
      { type: "message", data: "one" },
      { type: "message", data: [2] },
      { type: "message", data: "three" },
      { type: "closing", code: 1000, reason: "" },
    ]);
  });

  it("Connection ignores everything after the server's close frame, in the same chunk and later", () => {
    const client = openClient();
    const events = feed(
      client,
      concat(serverClose(1000), serverFrame(0x1, "ignored"), new Uint8Array([0xff, 0xff])),
    );
    assert.deepEqual(events, [{ type: "closing", code: 1000, reason: "" }]);
    assert.deepEqual(feed(client, serverFrame(0x1, "later"), serverFrame(0x9)), []);
    assert.deepEqual(decodeSent(client.dataToSend()), [closeSent(1000)]);
  });

  it("Connection (server) echoes the client's close frame and then ends the stream (§7.1.1)", () => {
    const server = openServer();
    const events = feed(
      server,
      concat(
        ...encodeFrame(
          { fin: true, rsv: 0, opcode: 0x8, payload: encodeClosePayload(1000) },
          new Uint8Array(4),
        ),
      ),
    );
    assert.deepEqual(events, [{ type: "closing", code: 1000, reason: "" }]);
    assert.deepEqual(decodeSent(server.dataToSend(), "server"), [closeSent(1000), "EOF"]);
    assert.equal(server.state, "closed");
  });

  it("Connection (server) ends the stream once the client answers the server's close frame", () => {
    const server = openServer();
    server.sendClose(1000);
    assert.deepEqual(decodeSent(server.dataToSend(), "server"), [closeSent(1000)]);
    feed(server, clientFrame(0x8, encodeClosePayload(1000)));
    assert.deepEqual(decodeSent(server.dataToSend(), "server"), ["EOF"]);
    server.receiveEof();
    assert.deepEqual(server.eventsReceived(), [{
      type: "close",
      code: 1000,
      reason: "",
      wasClean: true,
      error: null,
    }]);
    assert.deepEqual(server.dataToSend(), []);
  });
});

describe("7.1.4. The WebSocket Connection is Closed / 7.1.5. Close Code", () => {
  it("Connection reports 1006, wasClean false and UNEXPECTED_EOF when the stream ends without a close frame", () => {
    const client = openClient();
    feed(client, serverFrame(0x1, "partial", false));
    client.receiveEof();
    const events = client.eventsReceived();
    assert.equal(events.length, 1);
    const close = events[0] as CloseEvent;
    assert.equal(close.type, "close");
    assert.equal(close.code, 1006);
    assert.equal(close.reason, "");
    assert.equal(close.wasClean, false);
    assertProtocolError(close.error, UNEXPECTED_EOF);
    assert.equal(client.error, close.error);
    assert.equal(client.state, "closed");
    assert.deepEqual(decodeSent(client.dataToSend()), ["EOF"]);
  });

  it("Connection reports the close event once, however often the stream ends", () => {
    const client = openClient();
    client.receiveEof();
    client.receiveEof();
    assert.deepEqual(client.eventsReceived().map((event) => event.type), ["close"]);
    assert.deepEqual(client.dataToSend(), [new Uint8Array(0)]);
    client.receiveEof();
    assert.deepEqual(client.eventsReceived(), []);
    assert.deepEqual(client.dataToSend(), []);
  });

  it("Connection ignores data received after the end of the stream", () => {
    const client = openClient();
    client.receiveEof();
    client.eventsReceived();
    assert.deepEqual(feed(client, serverFrame(0x1, "x")), []);
  });

  it("Connection writes the end-of-stream marker as an empty chunk after everything else", () => {
    const client = openClient();
    feed(client, serverClose(1000));
    client.receiveEof();
    const chunks = client.dataToSend();
    assert.equal(chunks.at(-1)?.length, 0);
    assert.deepEqual(decodeSent(chunks), [closeSent(1000), "EOF"]);
  });

  it("Connection counts the bytes of a partial frame in bufferedAmount", () => {
    const client = openClient();
    assert.equal(client.bufferedAmount, 0);
    const frame = serverFrame(0x2, patternPayload(200));
    client.receiveData(frame.subarray(0, 50));
    assert.equal(client.bufferedAmount, 50 - 4);
    client.receiveData(frame.subarray(50));
    assert.equal(client.bufferedAmount, 0);
  });

  it("eventsReceived and dataToSend return each event and chunk once", () => {
    const client = openClient();
    feed(client, serverFrame(0x9));
    assert.equal(client.dataToSend().length, 1);
    assert.deepEqual(client.dataToSend(), []);
    assert.deepEqual(client.eventsReceived(), []);
  });
});

describe("7.1.7. Fail the WebSocket Connection", () => {
  for (const vector of VIOLATIONS) {
    it(`Connection fails on ${vector.name} with one close frame ${vector.closeCode}, identically at every split`, () => {
      const side = vector.fromClient === true ? "server" : "client";
      let reference: unknown[] | null = null;
      for (const split of vectorSplits(vector.bytes)) {
        const where = split.name;
        const connection = new Connection(side, "open", {
          randomBytes: fixedRandomBytes(),
          ...vector.limits,
        });
        for (const chunk of split.chunks) connection.receiveData(chunk);
        const events = plainEvents(eventsBeforeFailure(connection, vector.closeCode, where));
        // Events before the violation are the same at every split; none is about closing.
        reference ??= events;
        assert.deepEqual(events, reference, where);
        for (const event of events) {
          assert.ok(["message", "ping", "pong"].includes((event as ConnectionEvent).type), where);
        }
        // Exactly one close frame, with the violation's code and no reason (guide §3).
        const sent = decodeSent(connection.dataToSend(), side);
        const closes = sent.filter((item) => item !== "EOF" && item.opcode === 0x8);
        assert.deepEqual(closes, [closeSent(vector.closeCode)], where);
        for (const item of sent) {
          assert.ok(item === "EOF" || item.opcode === 0x8 || item.opcode === 0xa, where);
        }
        // §7.1.1: a server ends the TCP connection at once; a client waits for the server to.
        assert.equal(sent.at(-1) === "EOF", side === "server", where);
        assert.equal(connection.state, "closing", where);
        assert.equal(connection.closeExpected(), true, where);
        assertProtocolError(connection.error, vector, where);
        assert.deepEqual(connection.closeSent, { code: vector.closeCode, reason: "" }, where);
        // The rest of the input is ignored.
        connection.receiveData(
          side === "client" ? serverFrame(0x1, "after") : clientFrame(0x1, "after"),
        );
        connection.receiveData(
          side === "client" ? serverClose(1000) : clientFrame(0x8, encodeClosePayload(1000)),
        );
        assert.deepEqual(connection.eventsReceived(), [], where);
        assert.deepEqual(connection.dataToSend(), [], where);
        // The close event comes with the end of the stream.
        connection.receiveEof();
        const after = connection.eventsReceived();
        assert.equal(after.length, 1, where);
        const close = after[0] as CloseEvent;
        assert.equal(close.type, "close", where);
        assert.equal(close.code, 1006, where);
        assert.equal(close.reason, "", where);
        assert.equal(close.wasClean, false, where);
        assert.equal(close.error, connection.error, where);
        assert.equal(connection.state, "closed", where);
        assert.deepEqual(
          decodeSent(connection.dataToSend(), side),
          side === "client" ? ["EOF"] : [],
          where,
        );
      }
    });
  }

  for (const vector of [...INVALID_UTF8, ...INVALID_FRAGMENTED_UTF8]) {
    const failsAt = Math.min(vector.failsAt!, vector.fragments.length - 1);
    it(`Connection fails with 1007 on fragment ${failsAt} of a text message holding ${vector.name}`, () => {
      const client = openClient();
      const last = vector.fragments.length - 1;
      vector.fragments.forEach((payload, index) => {
        client.receiveData(serverFrame(index === 0 ? 0x1 : 0x0, payload, index === last));
        const sent = decodeSent(client.dataToSend());
        if (index < failsAt) {
          assert.deepEqual(sent, [], `fragment ${index}`);
          assert.equal(client.state, "open", `fragment ${index}`);
        } else if (index === failsAt) {
          assert.deepEqual(sent, [closeSent(1007)], `fragment ${index}`);
          assertProtocolError(client.error, {
            code: "INVALID_UTF8",
            closeCode: 1007,
            message: "Cannot parse message: the text is not valid UTF-8",
          });
        } else {
          assert.deepEqual(sent, [], `fragment ${index}`);
        }
      });
      assert.deepEqual(eventsBeforeFailure(client, 1007), []);
    });
  }

  for (const vector of VALID_UTF8) {
    it(`Connection reports a text message holding ${vector.name}`, () => {
      const client = openClient();
      const last = vector.fragments.length - 1;
      const chunks = vector.fragments.map((payload, index) =>
        serverFrame(index === 0 ? 0x1 : 0x0, payload, index === last)
      );
      assert.deepEqual(feed(client, ...chunks), [{ type: "message", data: vector.text }]);
      assert.deepEqual(client.dataToSend(), []);
    });
  }

  it("Connection (client) refuses a masked frame from the server with 1002", () => {
    const client = openClient();
    feed(client, clientFrame(0x1, "masked"));
    assert.deepEqual(decodeSent(client.dataToSend()), [closeSent(1002)]);
    assert.equal(client.error?.code, "MASKED_FRAME");
  });

  it("Connection applies maxFrameSize and maxMessageSize separately", () => {
    const client = openClient({ maxMessageSize: 10, maxFrameSize: 4 });
    assert.deepEqual(
      plainEvents(feed(client, serverFrame(0x2, [1, 2, 3], false), serverFrame(0x0, [4, 5, 6, 7]))),
      [
        { type: "message", data: [1, 2, 3, 4, 5, 6, 7] },
      ],
    );
    feed(client, serverFrame(0x2, [1, 2, 3, 4, 5]));
    assert.equal(client.error?.code, "FRAME_TOO_BIG");
    assert.deepEqual(decodeSent(client.dataToSend()), [closeSent(1009)]);
  });

  it("Connection uses maxMessageSize as the default frame size limit", () => {
    const client = openClient({ maxMessageSize: 4 });
    feed(client, serverFrame(0x2, [1, 2, 3, 4, 5]));
    assertProtocolError(client.error, {
      code: "FRAME_TOO_BIG",
      closeCode: 1009,
      message: "Cannot parse frame: the payload is 5 bytes, more than the limit of 4",
    });
  });

  it("fail sends a close frame with the code and reason, ignores later input, and reports 1006 at EOF", () => {
    const client = openClient();
    client.fail(1011, "keepalive timeout");
    assert.equal(client.state, "closing");
    assert.equal(client.closeExpected(), true);
    assert.deepEqual(client.closeSent, { code: 1011, reason: "keepalive timeout" });
    assert.deepEqual(decodeSent(client.dataToSend()), [closeSent(1011, "keepalive timeout")]);
    // The failure is reported at once, with no error: it is our own decision.
    assert.deepEqual(client.eventsReceived(), [{ type: "fail", code: 1011, error: null }]);
    assert.deepEqual(feed(client, serverFrame(0x1, "ignored"), serverClose(1011)), []);
    assert.deepEqual(client.dataToSend(), []);
    client.receiveEof();
    const [close] = client.eventsReceived() as CloseEvent[];
    assert.equal(close?.type, "close");
    assert.equal(close.code, 1006);
    assert.equal(close.wasClean, false);
  });

  it("fail truncates a long reason to at most 123 bytes on a code-point boundary", () => {
    for (
      const [reason, expected] of [
        ["x".repeat(200), "x".repeat(123)],
        ["a".repeat(122) + "\u00e9", "a".repeat(122)],
        ["a".repeat(121) + "\u00e9", "a".repeat(121) + "\u00e9"],
        ["a".repeat(120) + "\u{1f600}", "a".repeat(120)],
        ["\u20ac".repeat(50), "\u20ac".repeat(41)],
      ] as const
    ) {
      const client = openClient();
      client.fail(1011, reason);
      assert.deepEqual(
        decodeSent(client.dataToSend()),
        [closeSent(1011, expected)],
        `${reason.length} units`,
      );
      assert.deepEqual(client.closeSent, { code: 1011, reason: expected });
    }
  });

  it("fail after sendClose sends no second close frame", () => {
    const client = openClient();
    client.sendClose(1000);
    client.dataToSend();
    client.fail(1011, "timeout");
    assert.deepEqual(client.dataToSend(), []);
    assert.equal(client.closeExpected(), true);
    assert.deepEqual(client.closeSent, { code: 1000, reason: "" });
  });

  it("fail does nothing once the connection is closed", () => {
    const client = openClient();
    feed(client, serverClose(1000));
    client.receiveEof();
    client.eventsReceived();
    client.dataToSend();
    client.fail(1011);
    assert.deepEqual(client.eventsReceived(), []);
    assert.deepEqual(client.dataToSend(), []);
  });

  it("fail after the peer's close frame changes nothing", () => {
    const client = openClient();
    feed(client, serverClose(1000));
    client.dataToSend();
    client.fail(1011);
    assert.deepEqual(client.dataToSend(), []);
    client.receiveEof();
    assert.deepEqual(client.eventsReceived(), [{
      type: "close",
      code: 1000,
      reason: "",
      wasClean: true,
      error: null,
    }]);
  });

  it("Connection (server) ends the stream right after its failing close frame", () => {
    const server = openServer();
    feed(server, serverFrame(0x1, "unmasked"));
    assert.deepEqual(decodeSent(server.dataToSend(), "server"), [closeSent(1002), "EOF"]);
  });

  it("Connection fails on an error in the peer's close frame sent in answer to its own", () => {
    const client = openClient();
    client.sendClose(1000);
    client.dataToSend();
    feed(client, serverFrame(0x8, [0x03]));
    // Our close frame is out already: no second one.
    assert.deepEqual(client.dataToSend(), []);
    assert.equal(client.error?.code, "INVALID_CLOSE_PAYLOAD");
    client.receiveEof();
    const [close] = client.eventsReceived() as CloseEvent[];
    assert.equal(close?.wasClean, false);
    assert.equal(close?.code, 1006);
  });
});

describe("8.1. Handling Errors in UTF-8-Encoded Data (inside one frame)", () => {
  /** A text frame header announcing `length` bytes, unmasked. */
  function textHeader(length: number): Uint8Array {
    return new Uint8Array([0x81, 126, length >> 8, length & 0xff]);
  }

  it("Connection fails with 1007 as soon as invalid bytes of a large text frame arrive, before the frame ends", () => {
    const client = openClient();
    client.receiveData(textHeader(1000));
    client.receiveData(utf8("a".repeat(100)));
    assert.deepEqual(client.dataToSend(), []);
    client.receiveData(new Uint8Array([0x61, 0xc3, 0x28])); // C3 28: a 2-byte sequence cut by ASCII
    assert.deepEqual(decodeSent(client.dataToSend()), [closeSent(1007)]);
    assertProtocolError(client.error, {
      code: "INVALID_UTF8",
      closeCode: 1007,
      message: "Cannot parse message: the text is not valid UTF-8",
    });
    assert.deepEqual(eventsBeforeFailure(client, 1007), []);
  });

  it("Connection (server) unmasks each part of a masked text frame to check it as it arrives", () => {
    const server = openServer();
    const payload = new Uint8Array([...utf8("é".repeat(200)), 0xff, ...utf8("x".repeat(99))]);
    const frame = clientFrame(0x1, payload);
    // Header (4 bytes) + mask (4) + the first 401 payload bytes: the 0xFF is the 401st.
    server.receiveData(frame.subarray(0, 8 + 399));
    assert.deepEqual(server.dataToSend(), []);
    server.receiveData(frame.subarray(8 + 399, 8 + 401));
    assert.equal(server.error?.code, "INVALID_UTF8");
  });

  it("Connection decodes a large text frame that arrives in parts, a code point split between them", () => {
    for (const side of ["client", "server"] as const) {
      const connection = side === "client" ? openClient() : openServer();
      const text = "€".repeat(500) + "😀".repeat(100);
      const frame = side === "client" ? serverFrame(0x1, text) : clientFrame(0x1, text);
      for (const at of [3, 9, 10, 11, 500, 1501]) {
        // Parts end inside a code point at several of these offsets.
        connection.receiveData(frame.subarray(0, at));
        connection.receiveData(frame.subarray(at));
        assert.deepEqual(connection.eventsReceived(), [{ type: "message", data: text }], side);
      }
      assert.equal(connection.error, null);
    }
  });

  it("Connection fails with 1007 on a large text frame that ends inside a code point", () => {
    const client = openClient();
    const payload = new Uint8Array([...utf8("a".repeat(200)), 0xe2, 0x82]);
    const frame = serverFrame(0x1, payload);
    client.receiveData(frame.subarray(0, 100));
    client.receiveData(frame.subarray(100));
    assert.equal(client.error?.code, "INVALID_UTF8");
  });
});

describe("7.1.7. Fail the WebSocket Connection (after messages)", () => {
  it("Connection holds a failure behind messages of the same read until releaseFailure(), so answers go first", () => {
    const client = openClient();
    client.receiveData(concat(serverFrame(0x1, "one"), serverFrame(0x3, "bad")));
    assert.equal(client.state, "open");
    assert.equal(client.closeExpected(), false);
    assert.deepEqual(client.dataToSend(), []);
    assert.deepEqual(client.eventsReceived(), [{ type: "message", data: "one" }]);
    client.sendText("answer");
    client.receiveData(serverFrame(0x1, "discarded"));
    assert.equal(client.releaseFailure(), true);
    assert.deepEqual(decodeSent(client.dataToSend()), [dataSent(0x1, "answer"), closeSent(1002)]);
    assert.deepEqual(eventsBeforeFailure(client, 1002), []);
    assert.equal(client.closeExpected(), true);
    assert.equal(client.releaseFailure(), false);
  });

  it("Connection gives the same events and bytes whether the messages and the bad frame come in one read or byte by byte", () => {
    const bytes = concat(
      serverFrame(0x1, "one"),
      serverFrame(0x2, [1, 2]),
      serverFrame(0x3, "bad"),
    );
    const run = (chunks: readonly Uint8Array[]) => {
      const client = openClient();
      const events: unknown[] = [];
      const sent: unknown[] = [];
      for (const chunk of chunks) {
        client.receiveData(chunk);
        sent.push(...decodeSent(client.dataToSend()));
        for (const event of client.eventsReceived()) {
          events.push(event.type === "fail" ? event.type : plainEvents([event])[0]);
          if (event.type === "message") client.sendText("re");
        }
        if (client.releaseFailure()) {
          events.push(...client.eventsReceived().map((event) => event.type));
        }
        sent.push(...decodeSent(client.dataToSend()));
      }
      return { events, sent };
    };
    const whole = run([bytes]);
    assert.deepEqual(run([...bytes].map((byte) => new Uint8Array([byte]))), whole);
    assert.deepEqual(whole, {
      events: [{ type: "message", data: "one" }, { type: "message", data: [1, 2] }, "fail"],
      sent: [dataSent(0x1, "re"), dataSent(0x1, "re"), closeSent(1002)],
    });
  });

  it("Connection applies a held failure at receiveEof() and at eventsReceived() once its messages were taken", () => {
    const atEof = openClient();
    atEof.receiveData(concat(serverFrame(0x1, "one"), serverFrame(0x3, "bad")));
    atEof.receiveEof();
    const events = atEof.eventsReceived().map((event) => event.type);
    assert.deepEqual(events, ["message", "fail", "close"]);
    const later = openClient();
    later.receiveData(concat(serverFrame(0x1, "one"), serverFrame(0x3, "bad")));
    assert.deepEqual(later.eventsReceived().map((event) => event.type), ["message"]);
    assert.deepEqual(later.eventsReceived().map((event) => event.type), ["fail"]);
    assert.deepEqual(decodeSent(later.dataToSend()), [closeSent(1002)]);
  });
});

describe("5.5.1. Close (sending after close)", () => {
  it("Connection throws InvalidStateError synchronously for every send after sendClose", () => {
    const client = openClient();
    client.sendText("a", false);
    client.sendClose(1000);
    client.dataToSend();
    assertInvalidState(
      () => client.sendText("x"),
      "Cannot send message: the connection is closing",
    );
    assertInvalidState(
      () => client.sendBinary(new Uint8Array(1)),
      "Cannot send message: the connection is closing",
    );
    assertInvalidState(
      () => client.sendContinuation(utf8("x"), true),
      "Cannot send message: the connection is closing",
    );
    assertInvalidState(() => client.sendPing(), "Cannot send ping: the connection is closing");
    assertInvalidState(() => client.sendPong(), "Cannot send pong: the connection is closing");
    assertInvalidState(
      () => client.sendClose(1000),
      "Cannot send close: the connection is closing",
    );
    assert.deepEqual(client.dataToSend(), []);
  });

  it("Connection throws InvalidStateError for every send once closed", () => {
    const client = openClient();
    feed(client, serverClose(1000));
    client.receiveEof();
    assertInvalidState(() => client.sendText("x"), "Cannot send message: the connection is closed");
    assertInvalidState(() => client.sendPing(), "Cannot send ping: the connection is closed");
    assertInvalidState(() => client.sendClose(1000), "Cannot send close: the connection is closed");
  });

  it("Connection throws InvalidStateError for sends after a failure", () => {
    const client = openClient();
    feed(client, new Uint8Array([0x83, 0x00]));
    assertInvalidState(
      () => client.sendText("x"),
      "Cannot send message: the connection is closing",
    );
    assertInvalidState(() => client.sendPing(), "Cannot send ping: the connection is closing");
    assertInvalidState(
      () => client.sendClose(1000),
      "Cannot send close: the connection is closing",
    );
  });

  it("sendClose checks its arguments before the state", () => {
    const client = openClient();
    client.sendClose(1000);
    assert.throws(() => client.sendClose(1005), { name: "RangeError" });
  });
});

describe("10.4. Implementation-Specific Limits (options)", () => {
  it("DEFAULT_LIMITS are 64 MiB per message, 65536 fragments and a 16 KiB handshake head", () => {
    assert.deepEqual(DEFAULT_LIMITS, {
      maxMessageSize: 67108864,
      maxFragments: 65536,
      maxHandshakeSize: 16384,
    });
    assert.equal(ERROR_BODY_LIMIT, 4096);
  });

  for (
    const [name, value] of [
      ["maxMessageSize", 0],
      ["maxMessageSize", -1],
      ["maxMessageSize", 1.5],
      ["maxFrameSize", 0],
      ["maxFragments", 0],
      ["fragmentSize", -1],
      ["fragmentSize", 0.5],
    ] as const
  ) {
    it(`Connection refuses ${name} = ${value} with a RangeError`, () => {
      const min = name === "fragmentSize" ? 0 : 1;
      assert.throws(() => new Connection("client", "open", { [name]: value }), {
        name: "RangeError",
        message: `Cannot create connection: ${name} must be an integer >= ${min}, got ${value}`,
      });
    });
  }

  it("ClientConnection refuses maxHandshakeSize = 0 with a RangeError", () => {
    assert.throws(() => new ClientConnection(URL, { maxHandshakeSize: 0 }), {
      name: "RangeError",
      message: "Cannot create connection: maxHandshakeSize must be an integer >= 1, got 0",
    });
  });
});

// ---------------------------------------------------------------------------
// The opening handshake.

const REFUSED = "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n";

/** The one close event of a failed handshake; `eofReceived` when the failure came from the end of the stream. */
function closeEventOf(client: ClientConnection, eofReceived = false): CloseEvent {
  const events = client.eventsReceived();
  assert.equal(events.length, 1, `events: ${events.map((event) => event.type).join(", ")}`);
  const close = events[0] as CloseEvent;
  assert.equal(close.type, "close");
  assert.equal(close.code, 1006);
  assert.equal(close.reason, "");
  assert.equal(close.wasClean, false);
  assert.ok(
    close.error instanceof HandshakeError,
    `expected a HandshakeError, got ${String(close.error)}`,
  );
  assert.equal(close.error.name, "HandshakeError");
  assert.equal(client.error, close.error);
  assert.equal(client.state, "closed");
  // The driver closes the transport soon, unless the server did already.
  assert.equal(client.closeExpected(), !eofReceived);
  assert.deepEqual(client.dataToSend(), [new Uint8Array(0)]);
  return close;
}

describe("4.1. Client Requirements (opening handshake)", () => {
  it("ClientConnection queues the request at once, with the key drawn from randomBytes", () => {
    const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes([7]) });
    assert.equal(client.state, "connecting");
    assert.equal(client.key, "BwcHBwcHBwcHBwcHBwcHBw==");
    const [request, ...rest] = client.dataToSend();
    assert.deepEqual(rest, []);
    const text = new TextDecoder().decode(request);
    assert.match(text, /^GET \/chat HTTP\/1\.1\r\n/);
    assert.match(text, /\r\nSec-WebSocket-Key: BwcHBwcHBwcHBwcHBwcHBw==\r\n/);
    assert.match(text, /\r\n\r\n$/);
  });

  it("ClientConnection opens on a valid 101 response split at every point", () => {
    const key = new ClientConnection(URL, { randomBytes: fixedRandomBytes() }).key;
    for (const split of splits(switchingProtocols(key, "X-Extra: 1\r\n"))) {
      const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes() });
      client.dataToSend();
      for (const chunk of split.chunks) client.receiveData(chunk);
      const events = client.eventsReceived();
      assert.deepEqual(events.map((event) => event.type), ["open"], split.name);
      const open = events[0]!;
      assert.ok(open.type === "open");
      assert.equal(open.handshake.status, 101, split.name);
      assert.equal(open.handshake.protocol, "", split.name);
      assert.equal(client.state, "open", split.name);
      assert.equal(client.handshake, open.handshake, split.name);
      // An open connection keeps its headers as one string until they are read.
      assert.ok(open.handshake instanceof CompactHandshakeResult, split.name);
      assert.deepEqual(open.handshake.headers.at(-1), ["x-extra", "1"], split.name);
      assert.equal(client.protocol, "", split.name);
      assert.equal(client.extensions, "", split.name);
      assert.deepEqual(client.dataToSend(), [], split.name);
    }
  });

  it("ClientConnection parses frames that arrive in the same chunk as the 101 head, at every split", () => {
    const key = new ClientConnection(URL, { randomBytes: fixedRandomBytes() }).key;
    const bytes = concat(
      switchingProtocols(key),
      serverFrame(0x1, "hi"),
      serverFrame(0x9, "p"),
      serverFrame(0x2, [1], false),
    );
    for (const split of splits(bytes)) {
      const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes() });
      client.dataToSend();
      for (const chunk of split.chunks) client.receiveData(chunk);
      const events = client.eventsReceived();
      assert.deepEqual(plainEvents(events.slice(1)), [
        { type: "message", data: "hi" },
        { type: "ping", data: [...utf8("p")] },
      ], split.name);
      assert.equal(events[0]?.type, "open", split.name);
      assert.deepEqual(decodeSent(client.dataToSend()), [dataSent(0xa, "p")], split.name);
      assert.equal(client.bufferedAmount, 0, split.name);
    }
  });

  it("ClientConnection fails on a protocol violation right after the 101 head, in the same chunk", () => {
    const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes() });
    client.dataToSend();
    client.receiveData(concat(switchingProtocols(client.key), new Uint8Array([0x83, 0x00])));
    assert.deepEqual(client.eventsReceived().map((event) => event.type), ["open", "fail"]);
    assert.deepEqual(decodeSent(client.dataToSend()), [closeSent(1002)]);
    assert.equal(client.error?.code, "RESERVED_OPCODE");
  });

  it("ClientConnection sends nothing before it is open", () => {
    const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes() });
    assertInvalidState(
      () => client.sendText("x"),
      "Cannot send message: the connection is connecting",
    );
    assertInvalidState(
      () => client.sendBinary(new Uint8Array(1)),
      "Cannot send message: the connection is connecting",
    );
    assertInvalidState(() => client.sendPing(), "Cannot send ping: the connection is connecting");
    assertInvalidState(
      () => client.sendClose(1000),
      "Cannot send close: the connection is connecting",
    );
  });

  it("ClientConnection reports a refused handshake with its status, headers and body", () => {
    const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes() });
    client.dataToSend();
    client.receiveData(utf8(REFUSED + "nope!"));
    const close = closeEventOf(client);
    const error = close.error as HandshakeError;
    assert.equal(error.code, "UNEXPECTED_STATUS");
    assert.equal(error.message, "Cannot open connection: the server answered 403 Forbidden");
    assert.equal(error.status, 403);
    assert.equal(error.statusText, "Forbidden");
    assert.deepEqual(error.headers, [["content-type", "text/plain"], ["content-length", "5"]]);
    assert.deepEqual(error.body, utf8("nope!"));
  });

  it("ClientConnection waits for a refused handshake's body to arrive, at every split", () => {
    for (const split of splits(utf8(REFUSED + "nope!"))) {
      const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes() });
      client.dataToSend();
      split.chunks.forEach((chunk, index) => {
        client.receiveData(chunk);
        if (
          index < split.chunks.length - 1 &&
          split.chunks.slice(index + 1).some((rest) => rest.length > 0)
        ) {
          assert.deepEqual(client.eventsReceived(), [], `${split.name}, chunk ${index}`);
        }
      });
      const error = closeEventOf(client).error as HandshakeError;
      assert.deepEqual(error.body, utf8("nope!"), split.name);
    }
  });

  it("ClientConnection keeps only Content-Length bytes of the body", () => {
    const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes() });
    client.dataToSend();
    client.receiveData(utf8("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nabcdef"));
    assert.deepEqual((closeEventOf(client).error as HandshakeError).body, utf8("abc"));
  });

  it("ClientConnection reports a refused handshake with an empty body at once for Content-Length: 0", () => {
    const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes() });
    client.dataToSend();
    client.receiveData(utf8("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"));
    const error = closeEventOf(client).error as HandshakeError;
    assert.equal(error.status, 401);
    assert.deepEqual(error.body, new Uint8Array(0));
  });

  for (
    const head of [
      "HTTP/1.1 100 Continue\r\n\r\n",
      "HTTP/1.1 204 No Content\r\n\r\n",
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
    ]
  ) {
    const status = Number(head.slice(9, 12));
    it(`ClientConnection reports a refused handshake with status ${status} at once: it has no body (RFC 9112 §6.3)`, () => {
      const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes() });
      client.dataToSend();
      client.receiveData(utf8(head + "HTTP/1.1 101 Switching Protocols\r\n"));
      const error = closeEventOf(client).error as HandshakeError;
      assert.equal(error.code, "UNEXPECTED_STATUS");
      assert.equal(error.status, status);
      assert.deepEqual(error.body, new Uint8Array(0));
    });
  }

  it("ClientConnection caps the body it keeps at ERROR_BODY_LIMIT bytes and reports as soon as it has them", () => {
    const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes() });
    client.dataToSend();
    client.receiveData(utf8("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 10000\r\n\r\n"));
    const body = patternPayload(10000);
    client.receiveData(body.subarray(0, 4000));
    assert.deepEqual(client.eventsReceived(), []);
    client.receiveData(body.subarray(4000, 5000));
    const error = closeEventOf(client).error as HandshakeError;
    assert.equal(error.body.length, ERROR_BODY_LIMIT);
    assert.deepEqual(error.body, body.subarray(0, ERROR_BODY_LIMIT));
    // The rest of the body is ignored.
    client.receiveData(body.subarray(5000));
    client.receiveEof();
    assert.deepEqual(client.eventsReceived(), []);
  });

  it("ClientConnection reports a refusal without Content-Length at once, with the body that came with the head", () => {
    const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes() });
    client.dataToSend();
    client.receiveData(utf8("HTTP/1.1 502 Bad Gateway\r\n\r\noops"));
    const error = closeEventOf(client).error as HandshakeError;
    assert.equal(error.status, 502);
    assert.deepEqual(error.body, utf8("oops"));
  });

  it("ClientConnection caps the body of a refusal without Content-Length at ERROR_BODY_LIMIT bytes", () => {
    const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes() });
    client.dataToSend();
    client.receiveData(
      concat(utf8("HTTP/1.1 502 Bad Gateway\r\n\r\n"), patternPayload(ERROR_BODY_LIMIT + 1)),
    );
    assert.equal((closeEventOf(client).error as HandshakeError).body.length, ERROR_BODY_LIMIT);
  });

  it("ClientConnection reports the body received so far when the stream ends before the body is complete", () => {
    const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes() });
    client.dataToSend();
    client.receiveData(utf8("HTTP/1.1 403 Forbidden\r\nContent-Length: 10\r\n\r\nabcd"));
    assert.deepEqual(client.eventsReceived(), []);
    client.receiveEof();
    const error = closeEventOf(client, true).error as HandshakeError;
    assert.equal(error.code, "UNEXPECTED_STATUS");
    assert.equal(error.status, 403);
    assert.deepEqual(error.body, utf8("abcd"));
  });

  it("ClientConnection reports UNEXPECTED_EOF when the stream ends during the response head", () => {
    for (
      const received of [
        "",
        "HTTP/1.1 101 Switching",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n",
      ]
    ) {
      const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes() });
      client.dataToSend();
      if (received !== "") client.receiveData(utf8(received));
      assert.deepEqual(client.eventsReceived(), []);
      client.receiveEof();
      const error = closeEventOf(client, true).error as HandshakeError;
      assert.equal(error.code, "UNEXPECTED_EOF", JSON.stringify(received));
      assert.equal(
        error.message,
        `Cannot open connection: the connection closed after ${
          utf8(received).length
        } bytes of the response head`,
      );
      // The status is known once the status line is complete.
      assert.equal(error.status, received.includes("\r\n") ? 101 : 0);
    }
  });

  it("ClientConnection fails the handshake on a wrong Sec-WebSocket-Accept", () => {
    const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes() });
    client.dataToSend();
    client.receiveData(utf8(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
    ));
    const error = closeEventOf(client).error as HandshakeError;
    assert.equal(error.code, "INVALID_ACCEPT");
    assert.equal(
      error.message,
      'Cannot open connection: Sec-WebSocket-Accept "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" does not match the key',
    );
    assert.equal(error.status, 101);
  });

  it("ClientConnection fails the handshake on a malformed response head", () => {
    const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes() });
    client.dataToSend();
    client.receiveData(utf8("HTTP/1.1 101 Switching Protocols\r\nnot a header\r\n\r\n"));
    const error = closeEventOf(client).error as HandshakeError;
    assert.equal(error.code, "MALFORMED_RESPONSE");
    assert.equal(error.message, 'Cannot open connection: invalid header line "not a header"');
  });

  it("ClientConnection fails the handshake on a response head over maxHandshakeSize", () => {
    const client = new ClientConnection(URL, {
      randomBytes: fixedRandomBytes(),
      maxHandshakeSize: 64,
    });
    client.dataToSend();
    client.receiveData(utf8("HTTP/1.1 101 Switching Protocols\r\nX-Padding: " + "a".repeat(100)));
    const error = closeEventOf(client).error as HandshakeError;
    assert.equal(error.code, "RESPONSE_TOO_LARGE");
    assert.equal(
      error.message,
      "Cannot open connection: the response head is larger than 64 bytes",
    );
  });

  it("ClientConnection ignores bytes and end of stream after a failed handshake", () => {
    const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes() });
    client.dataToSend();
    client.receiveData(utf8("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"));
    closeEventOf(client);
    client.receiveData(serverFrame(0x1, "x"));
    client.receiveEof();
    assert.deepEqual(client.eventsReceived(), []);
    assert.deepEqual(client.dataToSend(), []);
    assert.equal(client.closeExpected(), false);
  });

  it("fail before the connection opened ends it at once with 1006 and no close frame", () => {
    const client = new ClientConnection(URL, { randomBytes: fixedRandomBytes() });
    client.dataToSend();
    client.fail(1001, "going away");
    const events = client.eventsReceived();
    assert.deepEqual(events, [{
      type: "close",
      code: 1006,
      reason: "",
      wasClean: false,
      error: null,
    }]);
    assert.deepEqual(client.dataToSend(), [new Uint8Array(0)]);
    assert.equal(client.state, "closed");
    assert.equal(client.closeExpected(), true);
  });

  it("ClientConnection after the handshake behaves like an open Connection: close handshake and EOF", () => {
    const client = handshaken();
    client.sendText("Hello");
    assert.deepEqual(
      concat(...client.dataToSend()),
      new Uint8Array([0x81, 0x85, ...RFC_MASK, 0x7f, 0x9f, 0x4d, 0x51, 0x58]),
    );
    const events = feed(client, serverFrame(0x1, "echo"), serverClose(1000, "done"));
    assert.deepEqual(events, [{ type: "message", data: "echo" }, {
      type: "closing",
      code: 1000,
      reason: "done",
    }]);
    assert.deepEqual(decodeSent(client.dataToSend()), [closeSent(1000)]);
    client.receiveEof();
    assert.deepEqual(client.eventsReceived(), [
      { type: "close", code: 1000, reason: "done", wasClean: true, error: null },
    ]);
  });

  it("ClientConnection after the handshake fails on violations like an open Connection", () => {
    const client = handshaken({ maxMessageSize: 3 });
    feed(client, serverFrame(0x2, [1, 2, 3, 4]));
    assert.deepEqual(decodeSent(client.dataToSend()), [closeSent(1009)]);
    client.receiveEof();
    const [close] = client.eventsReceived() as CloseEvent[];
    assert.equal(close?.code, 1006);
    assertProtocolError(close?.error, {
      code: "FRAME_TOO_BIG",
      closeCode: 1009,
      message: "Cannot parse frame: the payload is 4 bytes, more than the limit of 3",
    });
  });
});

describe("Driving a connection (the ./protocol loop)", () => {
  it("Connection hands out a new array from eventsReceived() and dataToSend() every time, even empty", () => {
    const client = openClient();
    const events = client.eventsReceived();
    const output = client.dataToSend();
    assert.deepEqual([events, output], [[], []]);
    client.sendText("x");
    client.receiveData(new Uint8Array([0x81, 0x01, 0x79]));
    assert.deepEqual(events, []);
    assert.deepEqual(output, []);
    assert.equal(client.dataToSend().length, 1);
    assert.equal(client.eventsReceived().length, 1);
    assert.notEqual(client.eventsReceived(), client.eventsReceived());
  });
});

describe("Receiving a large payload (the allocatePayload option)", () => {
  it("Connection gathers a payload that spans reads into the buffer allocatePayload gives, and hands it out as the message", () => {
    const allocated: Uint8Array[] = [];
    const client = openClient({
      allocatePayload: (length) => {
        const bytes = new Uint8Array(length).fill(0xee);
        allocated.push(bytes);
        return bytes;
      },
    });
    const payload = new Uint8Array(1000).map((_, i) => i & 0x7f);
    const wire = new Uint8Array([0x82, 0x7e, 1000 >> 8, 1000 & 0xff, ...payload]);
    client.receiveData(wire.subarray(0, 500));
    client.receiveData(wire.subarray(500));
    const [event] = client.eventsReceived();
    assert.equal(allocated.length, 1);
    assert.equal(event?.type, "message");
    assert.equal(event.type === "message" && event.data, allocated[0]);
    assert.deepEqual(allocated[0], payload);
  });
});

describe("Connection.receiveData's maxMessages (parsing a chunk in batches)", () => {
  const messages = (events: readonly ConnectionEvent[]) =>
    events.map((event) => event.type === "message" ? event.data : event.type);

  it("stops after maxMessages whole messages, returns whether bytes are left, and goes on from an empty chunk", () => {
    const wire = concat(
      serverFrame(0x1, "a"),
      serverFrame(0x2, [1]),
      serverFrame(0x9, "p"), // a ping: not counted, answered in order
      serverFrame(0x1, "b"),
      serverFrame(0x1, "c"),
      serverFrame(0x1, "d").subarray(0, 2), // a partial frame
    );
    const client = openClient();
    assert.equal(client.receiveData(wire, 2), true);
    assert.deepEqual(messages(client.eventsReceived()), ["a", new Uint8Array([1])]);
    assert.equal(client.dataToSend().length, 0);
    assert.equal(client.receiveData(new Uint8Array(0), 2), true);
    assert.deepEqual(messages(client.eventsReceived()), ["ping", "b", "c"]);
    assert.equal(client.dataToSend().length, 1); // the pong
    // Only the partial frame is left: nothing more to parse, but it says so once.
    assert.equal(client.receiveData(new Uint8Array(0), 2), false);
    assert.deepEqual(client.eventsReceived(), []);
    assert.equal(client.receiveData(serverFrame(0x1, "d").subarray(2)), false);
    assert.deepEqual(messages(client.eventsReceived()), ["d"]);
  });

  it("gives the same events and output in batches as in one call, a failure behind the messages included", () => {
    const wire = concat(
      serverFrame(0x1, "a"),
      serverFrame(0x1, "b"),
      serverFrame(0x1, "c"),
      serverFrame(0x1, [0xff]), // invalid UTF-8
      serverFrame(0x1, "never"),
    );
    const whole = openClient();
    whole.receiveData(wire);
    const wholeEvents = messages(whole.eventsReceived());
    whole.releaseFailure();
    const batched = openClient();
    const batchedEvents: unknown[] = [];
    let more = batched.receiveData(wire, 2);
    batchedEvents.push(...messages(batched.eventsReceived()));
    while (more) {
      more = batched.receiveData(new Uint8Array(0), 2);
      batchedEvents.push(...messages(batched.eventsReceived()));
    }
    batched.releaseFailure();
    assert.deepEqual(batchedEvents, wholeEvents);
    assert.deepEqual(messages(batched.eventsReceived()), messages(whole.eventsReceived()));
    assert.deepEqual(concat(...batched.dataToSend()), concat(...whole.dataToSend()));
    assert.equal(batched.error?.code, "INVALID_UTF8");
  });
});
