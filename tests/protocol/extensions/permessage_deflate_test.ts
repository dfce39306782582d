import assert from "node:assert/strict";
import { describe, it } from "node:test";
import process from "node:process";
import zlib from "node:zlib";
import {
  ClientConnection,
  type ClientConnectionOptions,
} from "../../../src/protocol/connection/connection.ts";
import { HandshakeError, ProtocolError } from "../../../src/protocol/errors.ts";
import type { CloseEvent, ConnectionEvent } from "../../../src/protocol/connection/events.ts";
import { encodeFrame } from "../../../src/protocol/frames/frame.ts";
import { FrameParser } from "../../../src/protocol/frames/frame_parser.ts";
import { computeAcceptKey } from "../../../src/protocol/handshake/handshake.ts";
import {
  type DeflateCodec,
  NegotiatedPerMessageDeflate,
  PerMessageDeflate,
  type PerMessageDeflateOptions,
  validatePerMessageDeflateOptions,
} from "../../../src/protocol/extensions/permessage_deflate.ts";
import { createZlibCodec, type ZlibModule } from "../../../src/deflate/zlib_codec.ts";
import { concat, splits } from "../../_util/chunking.ts";
import { fixedRandomBytes } from "../../_util/fixed_random.ts";
import { BAD_ANSWERS, DEFLATE_FRAMES, VALID_ANSWERS } from "../../vectors/permessage_deflate.ts";

const codec = createZlibCodec(zlib as unknown as ZlibModule);
const URL = "ws://example.com/chat";
const encoder = new TextEncoder();
const SYNC = zlib.constants.Z_SYNC_FLUSH;

function client(offer: PerMessageDeflateOptions = {}, options: ClientConnectionOptions = {}) {
  return new ClientConnection(URL, {
    randomBytes: fixedRandomBytes(),
    extensions: [new PerMessageDeflate(offer, codec)],
    ...options,
  });
}

function response(key: string, extensions: string | null): Uint8Array {
  return encoder.encode(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${computeAcceptKey(key)}\r\n` +
      (extensions === null ? "" : `Sec-WebSocket-Extensions: ${extensions}\r\n`) + "\r\n",
  );
}

/** A client opened with `permessage-deflate` + `answer`, its events drained. */
function opened(
  answer = "",
  offer: PerMessageDeflateOptions = {},
  options: ClientConnectionOptions = {},
): ClientConnection {
  const connection = client(offer, options);
  connection.dataToSend();
  connection.receiveData(response(connection.key, `permessage-deflate${answer}`));
  assert.deepEqual(connection.eventsReceived().map((event) => event.type), ["open"]);
  return connection;
}

function requestText(connection: ClientConnection): string {
  return new TextDecoder().decode(connection.dataToSend()[0]);
}

function serverFrame(opcode: number, payload: Uint8Array, fin = true, rsv = 0): Uint8Array {
  return concat(...encodeFrame({ fin, rsv, opcode, payload }, null));
}

/** The frames the client wrote (masked), unmasked. */
function sentFrames(connection: ClientConnection) {
  const parser = new FrameParser({ maxFrameSize: 1 << 30, expectMask: true });
  const frames = [];
  for (const chunk of connection.dataToSend()) {
    parser.push(chunk);
    for (let frame = parser.next(); frame !== null; frame = parser.next()) {
      frames.push({ ...frame, payload: frame.payload.slice() });
    }
  }
  return frames;
}

function closeOf(events: readonly ConnectionEvent[]): CloseEvent {
  const close = events.find((event) => event.type === "close");
  assert.ok(close !== undefined && close.type === "close", "a close event");
  return close;
}

/** Why an open connection failed: its error, after checking the close frame it sent. */
function failure(connection: ClientConnection): ProtocolError {
  connection.eventsReceived();
  const error = connection.error;
  assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${String(error)}`);
  const close = sentFrames(connection).find((frame) => frame.opcode === 0x8);
  assert.ok(close !== undefined, "a close frame was sent");
  assert.equal((close.payload[0]! << 8) | close.payload[1]!, error.closeCode);
  return error;
}

function messages(events: readonly ConnectionEvent[]): unknown[] {
  return events.flatMap((event) => event.type === "message" ? [event.data] : []);
}

/** Inflates what the client sent as one continuous raw DEFLATE stream (as a streaming peer does). */
function peerInflate(payloads: readonly Uint8Array[]): Uint8Array {
  const tail = new Uint8Array([0, 0, 0xff, 0xff]);
  return new Uint8Array(
    zlib.inflateRawSync(concat(...payloads.flatMap((payload) => [payload, tail])), {
      finishFlush: SYNC,
    }),
  );
}

describe("RFC 7692 §5, §7.1: the offer", () => {
  it("PerMessageDeflate offers a bare client_max_window_bits by default, as browsers do", () => {
    const text = requestText(client());
    assert.match(
      text,
      /\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n/,
    );
  });

  it("PerMessageDeflate offers every parameter it is given, in the RFC's order", () => {
    const text = requestText(client({
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 9,
    }));
    assert.match(
      text,
      /\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9\r\n/,
    );
  });

  it("PerMessageDeflate leaves client_max_window_bits out when told", () => {
    assert.deepEqual(new PerMessageDeflate({ clientMaxWindowBits: false }, codec).offer(), []);
  });

  it("Several offers go out in order, and the first the answer fits is used", () => {
    const connection = new ClientConnection(URL, {
      randomBytes: fixedRandomBytes(),
      extensions: [
        new PerMessageDeflate({ serverNoContextTakeover: true, threshold: 0 }, codec),
        new PerMessageDeflate({ threshold: 0 }, codec),
      ],
    });
    assert.match(
      requestText(connection),
      /Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits, permessage-deflate; client_max_window_bits\r\n/,
    );
    connection.receiveData(response(connection.key, "permessage-deflate"));
    assert.deepEqual(connection.eventsReceived().map((event) => event.type), ["open"]);
    const negotiated = connection.handshake!.extensions[0];
    assert.ok(negotiated instanceof NegotiatedPerMessageDeflate);
    assert.equal(negotiated.parameters.serverNoContextTakeover, false);
  });

  it("validatePerMessageDeflateOptions names the option and refuses bad values", () => {
    const cases: [PerMessageDeflateOptions, ErrorConstructor, string][] = [
      [
        { serverMaxWindowBits: 7 },
        RangeError,
        "serverMaxWindowBits must be an integer from 8 to 15",
      ],
      [
        { clientMaxWindowBits: 16 },
        RangeError,
        "clientMaxWindowBits must be an integer from 8 to 15",
      ],
      [
        { clientMaxWindowBits: 9.5 },
        RangeError,
        "clientMaxWindowBits must be an integer from 8 to 15",
      ],
      [{ threshold: -1 }, RangeError, "threshold must be an integer >= 0"],
      [{ level: 10 }, RangeError, "level must be an integer from -1 to 9"],
      [
        { serverNoContextTakeover: "yes" as unknown as boolean },
        TypeError,
        "serverNoContextTakeover must be a boolean",
      ],
    ];
    for (const [options, type, detail] of cases) {
      assert.throws(() => validatePerMessageDeflateOptions(options, "WebSocket"), {
        name: type.name,
        message: `Cannot create WebSocket: perMessageDeflate.${detail}`,
      });
    }
    assert.throws(
      () => validatePerMessageDeflateOptions(null as unknown as PerMessageDeflateOptions),
      { name: "TypeError", message: /perMessageDeflate must be a boolean or an object/ },
    );
  });
});

describe("RFC 7692 §7: the server's answer", () => {
  for (const vector of VALID_ANSWERS) {
    it(`ClientConnection accepts ${vector.name} (§${vector.section})`, () => {
      const connection = client(vector.offer);
      connection.dataToSend();
      connection.receiveData(response(connection.key, vector.answer));
      assert.deepEqual(connection.eventsReceived().map((event) => event.type), ["open"]);
      assert.equal(connection.extensions, vector.answer);
      const negotiated = connection.handshake!.extensions[0];
      assert.ok(negotiated instanceof NegotiatedPerMessageDeflate);
      assert.deepEqual(negotiated.parameters, vector.parameters);
    });
  }

  for (const vector of BAD_ANSWERS) {
    it(`ClientConnection fails on ${vector.name} (§${vector.section})`, () => {
      const connection = client(vector.offer);
      connection.dataToSend();
      connection.receiveData(response(connection.key, vector.answer));
      const close = closeOf(connection.eventsReceived());
      assert.equal(close.code, 1006);
      assert.ok(close.error instanceof HandshakeError);
      assert.equal(close.error.code, "INVALID_EXTENSIONS");
      assert.equal(
        close.error.message,
        `Cannot open connection: the server accepted extension permessage-deflate with unacceptable parameters (${vector.reason})`,
      );
    });
  }

  it("ClientConnection fails when the server answers permessage-deflate that was not offered", () => {
    const connection = new ClientConnection(URL, { randomBytes: fixedRandomBytes() });
    connection.dataToSend();
    connection.receiveData(response(connection.key, "permessage-deflate"));
    const close = closeOf(connection.eventsReceived());
    assert.ok(close.error instanceof HandshakeError);
    assert.equal(close.error.code, "INVALID_EXTENSIONS");
    assert.match(close.error.message, /permessage-deflate, which was not offered/);
  });

  it("ClientConnection fails when the server answers permessage-deflate twice", () => {
    const connection = client();
    connection.dataToSend();
    connection.receiveData(response(connection.key, "permessage-deflate, permessage-deflate"));
    const close = closeOf(connection.eventsReceived());
    assert.ok(close.error instanceof HandshakeError);
    assert.match(close.error.message, /accepted extension permessage-deflate more than once/);
  });

  it("ClientConnection opens without compression when the server declines the offer", () => {
    const connection = client({ threshold: 0 });
    connection.dataToSend();
    connection.receiveData(response(connection.key, null));
    assert.deepEqual(connection.eventsReceived().map((event) => event.type), ["open"]);
    assert.equal(connection.extensions, "");
    connection.sendText("x".repeat(100));
    assert.equal(sentFrames(connection)[0]!.rsv, 0);
  });
});

describe("RFC 7692 §7.2.2: decompressing, every vector at every split", () => {
  for (const vector of DEFLATE_FRAMES) {
    it(`ClientConnection decodes ${vector.name} (§${vector.section})`, () => {
      const key = client().key;
      const bytes = concat(response(key, `permessage-deflate${vector.answer}`), vector.bytes);
      for (const split of splits(bytes)) {
        const connection = client();
        connection.dataToSend();
        for (const chunk of split.chunks) connection.receiveData(chunk);
        const events = connection.eventsReceived();
        assert.deepEqual(messages(events), vector.messages, split.name);
        assert.equal(events.some((event) => event.type === "close"), false, split.name);
      }
    });
  }

  it("The last 32 KiB of context are kept across many messages (context takeover)", () => {
    const connection = opened();
    const texts = Array.from({ length: 40 }, (_, i) => `message ${i % 7} `.repeat(300 + i));
    // Cut one deflate stream of all messages at each message's sync flush point.
    const payloads: Uint8Array[] = [];
    let window = new Uint8Array(0);
    for (const text of texts) {
      const data = encoder.encode(text);
      const out = new Uint8Array(zlib.deflateRawSync(data, {
        finishFlush: SYNC,
        ...(window.length > 0 ? { dictionary: window } : {}),
      }));
      payloads.push(out.subarray(0, out.length - 4));
      window = concat(window, data).slice(-32768);
    }
    const frames = payloads.map((payload) => serverFrame(0x1, payload, true, 0x4));
    const events: ConnectionEvent[] = [];
    for (const frame of frames) {
      connection.receiveData(frame);
      events.push(...connection.eventsReceived());
    }
    assert.deepEqual(messages(events), texts);
  });

  it("Every server window size from 8 to 15 inflates, with context takeover, across fragments", () => {
    const texts = Array.from({ length: 6 }, (_, i) => `${i}:` + "window bits test ".repeat(40 + i));
    for (let bits = 8; bits <= 15; bits++) {
      const connection = opened(`; server_max_window_bits=${bits}`);
      // A server with that window: zlib's raw DEFLATE rounds 8 up to 9, as real servers do.
      let window = new Uint8Array(0);
      const events: ConnectionEvent[] = [];
      for (const text of texts) {
        const data = encoder.encode(text);
        const out = new Uint8Array(zlib.deflateRawSync(data, {
          finishFlush: SYNC,
          windowBits: Math.max(9, bits),
          ...(window.length > 0 ? { dictionary: window } : {}),
        }));
        const payload = out.subarray(0, out.length - 4);
        const half = payload.length >> 1;
        connection.receiveData(concat(
          serverFrame(0x1, payload.subarray(0, half), false, 0x4),
          serverFrame(0x0, payload.subarray(half), true, 0),
        ));
        events.push(...connection.eventsReceived());
        window = concat(window, data).slice(-(1 << Math.max(9, bits)));
      }
      assert.deepEqual(messages(events), texts, `server_max_window_bits=${bits}`);
    }
  });

  it("ClientConnection fails with 1009 when a message inflates past maxMessageSize, and memory stays bounded", () => {
    // 64 MiB of zeros deflate to about 64 KiB: a bomb for a 1 MiB limit.
    const bomb = new Uint8Array(
      zlib.deflateRawSync(new Uint8Array(64 << 20), { finishFlush: SYNC, level: 9 }),
    );
    const connection = opened("", {}, { maxMessageSize: 1 << 20 });
    const before = process.memoryUsage().rss;
    connection.receiveData(serverFrame(0x2, bomb.subarray(0, bomb.length - 4), true, 0x4));
    const grown = process.memoryUsage().rss - before;
    const error = failure(connection);
    assert.equal(error.code, "MESSAGE_TOO_BIG");
    assert.equal(error.closeCode, 1009);
    assert.equal(
      error.message,
      `Cannot parse message: more than the limit of ${1 << 20} bytes once decompressed`,
    );
    // Far below the 64 MiB the bomb holds.
    assert.ok(grown < 32 << 20, `rss grew by ${grown} bytes`);
  });

  it("A message that inflates to exactly maxMessageSize is accepted", () => {
    const data = new Uint8Array(4096).fill(0x61);
    const payload = new Uint8Array(zlib.deflateRawSync(data, { finishFlush: SYNC }));
    const connection = opened("", {}, { maxMessageSize: 4096 });
    connection.receiveData(serverFrame(0x2, payload.subarray(0, payload.length - 4), true, 0x4));
    assert.deepEqual(messages(connection.eventsReceived()), [data]);
  });

  it("ClientConnection fails with 1002 EXTENSION_ERROR on invalid DEFLATE data", () => {
    const connection = opened();
    connection.receiveData(serverFrame(0x2, new Uint8Array([0xff, 0xff, 0xff, 0xff]), true, 0x4));
    const error = failure(connection);
    assert.equal(error.code, "EXTENSION_ERROR");
    assert.equal(error.closeCode, 1002);
    assert.equal(error.message, "Cannot decompress message: invalid permessage-deflate data");
  });

  it("ClientConnection fails with 1007 when compressed text is not UTF-8", () => {
    const payload = new Uint8Array(
      zlib.deflateRawSync(new Uint8Array([0xc3, 0x28]), { finishFlush: SYNC }),
    );
    const connection = opened();
    connection.receiveData(serverFrame(0x1, payload.subarray(0, payload.length - 4), true, 0x4));
    const error = failure(connection);
    assert.equal(error.code, "INVALID_UTF8");
    assert.equal(error.closeCode, 1007);
  });
});

describe("RFC 7692 §6: RSV1", () => {
  const rsvCases: [string, Uint8Array][] = [
    [
      "a continuation frame",
      concat(
        serverFrame(0x1, new Uint8Array([0xf2, 0x48]), false, 0x4),
        serverFrame(0x0, new Uint8Array([0xcd, 0xc9, 0xc9, 0x07, 0x00]), true, 0x4),
      ),
    ],
    ["a ping", serverFrame(0x9, new Uint8Array(0), true, 0x4)],
    ["a close frame", serverFrame(0x8, new Uint8Array([0x03, 0xe8]), true, 0x4)],
    ["RSV2 on a data frame", serverFrame(0x1, new Uint8Array([0x68]), true, 0x2)],
  ];
  for (const [name, bytes] of rsvCases) {
    it(`ClientConnection fails with 1002 on RSV1 set on ${name}`, () => {
      const connection = opened();
      connection.receiveData(bytes);
      const error = failure(connection);
      assert.equal(error.code, "UNEXPECTED_RSV");
      assert.equal(error.closeCode, 1002);
    });
  }

  it("ClientConnection fails with 1002 on RSV1 when permessage-deflate was not negotiated", () => {
    const connection = client();
    connection.dataToSend();
    connection.receiveData(response(connection.key, null));
    connection.eventsReceived();
    connection.receiveData(
      serverFrame(0x1, new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]), true, 0x4),
    );
    assert.equal(failure(connection).code, "UNEXPECTED_RSV");
  });
});

describe("RFC 7692 §7.2.1: compressing", () => {
  const text = '{"type":"trade","symbol":"BTC-USD","price":43123.12,"side":"buy"} '.repeat(40);

  it("With context takeover, ClientConnection compresses every message, whatever the threshold (as ws)", () => {
    const connection = opened("", { threshold: 100 });
    connection.sendText("x".repeat(10));
    connection.sendText("x".repeat(10));
    const frames = sentFrames(connection);
    assert.deepEqual(frames.map((frame) => frame.rsv), [0x4, 0x4]);
    assert.equal(
      new TextDecoder().decode(peerInflate(frames.map((f) => f.payload))),
      "x".repeat(20),
    );
  });

  it("ClientConnection compresses a message from the threshold on, with RSV1 on the first frame only", () => {
    const connection = opened("", { threshold: 100 }, { fragmentSize: 64 });
    connection.sendText(text);
    const frames = sentFrames(connection);
    assert.equal(frames[0]!.rsv, 0x4);
    assert.ok(frames.slice(1).every((frame) => frame.rsv === 0 && frame.opcode === 0));
    const payload = concat(...frames.map((frame) => frame.payload));
    assert.ok(payload.length < text.length / 4);
    assert.equal(new TextDecoder().decode(peerInflate([payload])), text);
  });

  it("Without context takeover, ClientConnection sends messages below the threshold uncompressed", () => {
    const connection = opened("; client_no_context_takeover", { threshold: 100 });
    connection.sendText("x".repeat(99));
    connection.sendBinary(new Uint8Array(100));
    const frames = sentFrames(connection);
    assert.deepEqual(frames.map((frame) => frame.rsv), [0, 0x4]);
    assert.equal(frames[0]!.payload.length, 99);
    assert.ok(frames[1]!.payload.length < 100);
  });

  it("ClientConnection sends a message uncompressed with { compress: false }", () => {
    const connection = opened("", { threshold: 0 });
    connection.sendBinary(encoder.encode(text), true, { compress: false });
    connection.sendText(text, true, { compress: true });
    const frames = sentFrames(connection);
    assert.deepEqual(frames.map((frame) => frame.rsv), [0, 0x4]);
    assert.equal(frames[0]!.payload.length, text.length);
  });

  it("ClientConnection never compresses control frames", () => {
    const connection = opened("", { threshold: 0 });
    connection.sendPing(new Uint8Array(100).fill(0x61));
    connection.sendClose(1000, "a".repeat(100));
    assert.deepEqual(sentFrames(connection).map((frame) => frame.rsv), [0, 0]);
  });

  it("With context takeover, a repeated message costs a few bytes, and a streaming peer inflates all of them", () => {
    const connection = opened("", { threshold: 0 });
    for (let i = 0; i < 3; i++) connection.sendText(text);
    const frames = sentFrames(connection);
    assert.deepEqual(frames.map((frame) => frame.rsv), [0x4, 0x4, 0x4]);
    assert.equal(
      new TextDecoder().decode(peerInflate(frames.map((frame) => frame.payload))),
      text.repeat(3),
    );
  });

  it("With client_no_context_takeover, each message inflates on its own", () => {
    const connection = opened("; client_no_context_takeover", { threshold: 0 });
    for (let i = 0; i < 3; i++) connection.sendText(text);
    const frames = sentFrames(connection);
    for (const frame of frames) {
      assert.equal(new TextDecoder().decode(peerInflate([frame.payload])), text);
    }
    assert.deepEqual(frames[1]!.payload, frames[0]!.payload);
  });

  it("An empty message compresses to one 0x00 octet (§7.2.3.6)", () => {
    const connection = opened("", { threshold: 0 });
    connection.sendText("");
    const [frame] = sentFrames(connection);
    assert.equal(frame!.rsv, 0x4);
    assert.deepEqual([...frame!.payload], [0x00]);
  });

  it("With client_max_window_bits=8 nothing is compressed (zlib cannot make a 256-byte window)", () => {
    const connection = opened("; client_max_window_bits=8", { threshold: 0 });
    connection.sendText(text);
    const [frame] = sentFrames(connection);
    assert.equal(frame!.rsv, 0);
    assert.equal(frame!.payload.length, text.length);
  });

  it("Each window size from 9 to 15 compresses what a streaming peer with that window inflates", () => {
    const long = Array.from({ length: 200 }, (_, i) => `${i % 13}:${"abcdefgh".repeat(i % 5)}`)
      .join();
    for (let bits = 9; bits <= 15; bits++) {
      const connection = opened(`; client_max_window_bits=${bits}`, { threshold: 0 });
      for (let i = 0; i < 3; i++) connection.sendText(long);
      const payloads = sentFrames(connection).map((frame) => frame.payload);
      const tail = new Uint8Array([0, 0, 0xff, 0xff]);
      const inflated = zlib.inflateRawSync(concat(...payloads.flatMap((p) => [p, tail])), {
        finishFlush: SYNC,
        windowBits: bits,
      });
      assert.equal(new TextDecoder().decode(inflated), long.repeat(3), `window bits ${bits}`);
    }
  });
});

describe("The codec interface", () => {
  it("NegotiatedPerMessageDeflate hands the negotiated settings to the codec", () => {
    const seen: unknown[] = [];
    const recording: DeflateCodec = {
      createCompressor(settings) {
        seen.push(["compressor", settings]);
        return { compress: (data) => data };
      },
      createDecompressor(settings) {
        seen.push(["decompressor", settings]);
        return { decompress: (data) => data };
      },
    };
    new PerMessageDeflate({ level: 3 }, recording).accept([
      ["server_no_context_takeover", true],
      ["client_max_window_bits", "10"],
    ]);
    assert.deepEqual(seen, [
      ["compressor", { windowBits: 10, noContextTakeover: false, level: 3 }],
      ["decompressor", { windowBits: 15, noContextTakeover: true, level: 3 }],
    ]);
  });
});
