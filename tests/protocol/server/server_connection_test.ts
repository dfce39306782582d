import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ServerConnection,
  type ServerConnectionEvent,
  type ServerConnectionOptions,
} from "../../../src/protocol/server/server_connection.ts";
import { HandshakeError, InvalidStateError, ProtocolError } from "../../../src/protocol/errors.ts";
import type { TraceRecord } from "../../../src/protocol/connection/connection.ts";
import { concat, latin1, splits } from "../../_util/chunking.ts";
import { assertSameHead } from "../../_util/seed_heads.ts";
import {
  describeSeedVectors,
  type SeedBytes,
  seedBytes,
  seedVectors,
} from "../../_util/seed_vectors.ts";

const text = (bytes: Uint8Array) => new TextDecoder("latin1").decode(bytes);
const hex = (value: string) =>
  new Uint8Array(value.match(/../g)?.map((pair) => parseInt(pair, 16)) ?? []);
const types = (events: readonly ServerConnectionEvent[]) => events.map((event) => event.type);
const EOF = new Uint8Array(0);

const RFC_REQUEST = latin1(
  "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
    "Sec-WebSocket-Protocol: chat, superchat\r\n\r\n",
);
const RFC_RESPONSE =
  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
const HYBI10_REQUEST = latin1(
  "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n" +
    "Sec-WebSocket-Origin: http://example.com\r\n\r\n",
);
const HYBI00_REQUEST = latin1(
  "GET /demo HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nHost: example.com\r\n" +
    "Origin: http://example.com\r\nSec-WebSocket-Key1: 18x 6]8vM;54 *(5:  {   U1]8  z [  8\r\n" +
    "Sec-WebSocket-Key2: 1_ tx7X d  <  nw  334J702) 7]o}` 0\r\n\r\nTm[K T2u",
);
const HYBI00_RESPONSE =
  "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n" +
  "Sec-WebSocket-Origin: http://example.com\r\nSec-WebSocket-Location: ws://example.com/demo\r\n\r\n" +
  "fQJ,fN/4F4!~K~MH";
const HIXIE75_REQUEST = latin1(
  "GET /demo HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nHost: example.com\r\nOrigin: http://example.com\r\n\r\n",
);

/** A masked text frame, mask 01 02 03 04. */
function masked(opcode: number, payload: Uint8Array): Uint8Array {
  const mask = [1, 2, 3, 4];
  return concat(
    new Uint8Array([0x80 | opcode, 0x80 | payload.length, ...mask]),
    payload.map((byte, i) => byte ^ mask[i % 4]!),
  );
}
const HI = masked(1, latin1("hi"));

/** Feeds chunks, accepting the request when it arrives; returns events and output. */
function serve(
  chunks: readonly Uint8Array[],
  options: ServerConnectionOptions = {},
  accept = true,
) {
  const server = new ServerConnection(options);
  const events: ServerConnectionEvent[] = [];
  const output: Uint8Array[] = [];
  for (const chunk of chunks) {
    server.receiveData(chunk);
    for (const event of server.eventsReceived()) {
      events.push(event);
      if (event.type === "request" && accept) server.accept();
    }
    output.push(...server.dataToSend());
    events.push(...server.eventsReceived());
  }
  return { server, events, output: text(concat(...output)), chunks: output };
}

/** The bytes to write as hex, "|EOF" for an end-of-stream marker. */
function drain(server: ServerConnection): string {
  return server.dataToSend().map((chunk) =>
    chunk.length === 0
      ? "|EOF"
      : Array.from(chunk, (byte) => byte.toString(16).padStart(2, "0")).join("")
  ).join("");
}

function closeOf(events: readonly ServerConnectionEvent[]) {
  const event = events.at(-1);
  assert.equal(event?.type, "close");
  return event as Extract<ServerConnectionEvent, { type: "close" }>;
}

describe("ServerConnection: RFC 6455 (§4.2)", () => {
  describe("accepts, opens, and reads the frames sent with the request", () => {
    for (const split of splits(concat(RFC_REQUEST, HI))) {
      it(split.name, () => {
        const { server, events, output } = serve(split.chunks);
        assert.deepEqual(types(events), ["request", "open", "message"]);
        assert.deepEqual(events[2], { type: "message", data: "hi" });
        assert.equal(output, RFC_RESPONSE);
        assert.equal(server.state, "open");
        assert.equal(server.protocolVersion, "rfc6455");
        assert.deepEqual(server.request?.protocols, ["chat", "superchat"]);
      });
    }
  });

  it("echoes, and closes: echoes the close frame and ends the stream first (§7.1.1)", () => {
    const { server } = serve([RFC_REQUEST]);
    server.receiveData(HI);
    for (const event of server.eventsReceived()) {
      if (event.type === "message") server.sendText(event.data as string);
    }
    assert.equal(drain(server), "81026869");
    server.receiveData(masked(8, hex("03e8")));
    assert.equal(drain(server), "880203e8|EOF");
    assert.deepEqual(server.eventsReceived(), [{ type: "closing", code: 1000, reason: "" }]);
    assert.equal(server.closeExpected(), true);
    server.receiveEof();
    assert.deepEqual(server.eventsReceived(), [{
      type: "close",
      code: 1000,
      reason: "",
      wasClean: true,
      error: null,
    }]);
  });

  it("fails on an unmasked client frame with 1002 (§5.1; the seed accepts it)", () => {
    const { server } = serve([RFC_REQUEST]);
    server.receiveData(hex("810548656c6c6f"));
    assert.equal(drain(server), "880203ea|EOF");
    server.receiveEof();
    const close = closeOf(server.eventsReceived());
    assert.ok(close.error instanceof ProtocolError);
    assert.equal(close.error.code, "UNMASKED_FRAME");
    assert.equal(server.error, close.error);
  });

  it("chooses a subprotocol with selectProtocol, or the one accept() names", () => {
    const chosen: string[][] = [];
    const selectProtocol = (offered: readonly string[]) => {
      chosen.push([...offered]);
      return offered.at(-1)!;
    };
    const { server, output } = serve([RFC_REQUEST], { selectProtocol });
    assert.deepEqual(chosen, [["chat", "superchat"]]);
    assert.match(output, /\r\nSec-WebSocket-Protocol: superchat\r\n/);
    assert.equal(server.protocol, "superchat");
    assert.equal(server.handshake?.protocol, "superchat");

    const none = new ServerConnection({ selectProtocol });
    none.receiveData(RFC_REQUEST);
    none.accept({ protocol: null });
    assert.doesNotMatch(text(none.dataToSend()[0]!), /Sec-WebSocket-Protocol/);

    const wrong = new ServerConnection();
    wrong.receiveData(RFC_REQUEST);
    assert.throws(() => wrong.accept({ protocol: "other" }), RangeError);
  });

  it("sends binary, pings and pongs unmasked", () => {
    const { server } = serve([RFC_REQUEST]);
    server.sendBinary(hex("01"));
    server.sendPing();
    server.sendPong(hex("02"));
    server.sendClose(1001, "bye");
    assert.equal(drain(server), "8201" + "01" + "8900" + "8a01" + "02" + "880503e9627965");
  });

  it("fail() after opening sends a close frame with the code", () => {
    const { server } = serve([RFC_REQUEST]);
    server.fail(1011, "oops");
    assert.equal(drain(server), "880603f36f6f7073|EOF");
  });

  it("answers hybi-10 as RFC 6455", () => {
    const { server, output, events } = serve([HYBI10_REQUEST, HI]);
    assert.equal(output, RFC_RESPONSE);
    assert.deepEqual(types(events), ["request", "open", "message"]);
    assert.equal(server.request?.origin, "http://example.com");
  });
});

describe("ServerConnection: hybi-00 (draft-ietf-hybi-00 §5)", () => {
  describe("answers with the head at once and the 16 bytes once key3 is there", () => {
    for (const split of splits(concat(HYBI00_REQUEST, hex("0061ff")))) {
      it(split.name, () => {
        const { events, output } = serve(split.chunks);
        assert.deepEqual(types(events), ["request", "open", "message"]);
        assert.equal(output, HYBI00_RESPONSE);
      });
    }
  });

  it("echoes text, refuses binary, and closes with 0xFF 0x00 then the end of stream", () => {
    const { server } = serve([HYBI00_REQUEST, hex("0068c3a9ff")]);
    const [message] = server.eventsReceived();
    assert.equal(message, undefined); // already taken by serve()
    server.sendText("hé");
    assert.deepEqual(server.dataToSend(), [hex("0068c3a9ff")]);
    assert.throws(() => server.sendBinary(hex("01")), TypeError);
    assert.throws(() => server.sendPing(), TypeError);
    assert.throws(() => server.sendPong(), TypeError);
    server.receiveData(hex("ff00"));
    assert.deepEqual(server.dataToSend(), [hex("ff00"), EOF]);
    assert.deepEqual(server.eventsReceived(), [{ type: "closing", code: 1005, reason: "" }]);
    server.receiveEof();
    assert.deepEqual(closeOf(server.eventsReceived()).wasClean, true);
  });

  it("fails on invalid UTF-8 and ends the stream", () => {
    const { server, chunks } = serve([HYBI00_REQUEST, hex("00c328ff")]);
    assert.deepEqual(chunks.at(-1), EOF);
    server.receiveEof();
    assert.equal((closeOf(server.eventsReceived()).error as ProtocolError).code, "INVALID_UTF8");
  });
});

describe("ServerConnection: hixie-75 (draft-hixie-75 §5)", () => {
  it("answers without a key and reads text", () => {
    const { events, output } = serve([HIXIE75_REQUEST, hex("0061ff")]);
    assert.deepEqual(types(events), ["request", "open", "message"]);
    assert.equal(
      output,
      "HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n" +
        "WebSocket-Origin: http://example.com\r\nWebSocket-Location: ws://example.com/demo\r\n\r\n",
    );
  });

  it("closes by ending the stream", () => {
    const { server } = serve([HIXIE75_REQUEST]);
    server.sendClose();
    assert.deepEqual(server.dataToSend(), [EOF]);
    server.receiveEof();
    assert.deepEqual(server.eventsReceived(), [{
      type: "close",
      code: 1005,
      reason: "",
      wasClean: true,
      error: null,
    }]);
  });

  it("names a wss: location when the transport is TLS", () => {
    assert.match(
      serve([HIXIE75_REQUEST], { secure: true }).output,
      /WebSocket-Location: wss:\/\/example\.com\/demo/,
    );
  });
});

describe("ServerConnection: refusals", () => {
  const REFUSALS: ReadonlyArray<
    readonly [string, Uint8Array, ServerConnectionOptions, string, string]
  > = [
    [
      "a request line without a version",
      latin1("GET /demo\r\n"),
      {},
      "HTTP/1.1 400 Bad Request",
      "MALFORMED_REQUEST",
    ],
    [
      "a POST, on its first line",
      latin1("POST / HTTP/1.1\r\n"),
      {},
      "HTTP/1.1 405 Method Not Allowed",
      "MALFORMED_REQUEST",
    ],
    [
      "an HTTP/1.0 request, on its first line",
      latin1("GET / HTTP/1.0\r\n"),
      {},
      "HTTP/1.1 400 Bad Request",
      "MALFORMED_REQUEST",
    ],
    [
      "a plain HTTP request",
      latin1("GET / HTTP/1.1\r\nHost: h\r\n\r\n"),
      {},
      "HTTP/1.1 400 Bad Request",
      "MALFORMED_REQUEST",
    ],
    [
      "an unknown version",
      latin1(text(RFC_REQUEST).replace("Version: 13", "Version: 7")),
      {},
      "HTTP/1.1 426 Upgrade Required",
      "UNSUPPORTED_VERSION",
    ],
    [
      "a version not accepted",
      HIXIE75_REQUEST,
      { versions: ["rfc6455"] },
      "HTTP/1.1 426 Upgrade Required",
      "UNSUPPORTED_VERSION",
    ],
    [
      "a head over maxHandshakeSize",
      RFC_REQUEST,
      { maxHandshakeSize: 100 },
      "HTTP/1.1 431 Request Header Fields Too Large",
      "REQUEST_TOO_LARGE",
    ],
  ];

  for (const [name, bytes, options, statusLine, code] of REFUSALS) {
    it(`answers ${name} with ${statusLine.slice(9)} and ends`, () => {
      const { server, events, chunks } = serve([bytes], options);
      assert.ok(text(chunks[0]!).startsWith(statusLine + "\r\n"));
      assert.deepEqual(chunks.at(-1), EOF);
      const close = closeOf(events);
      assert.deepEqual([close.code, close.wasClean], [1006, false]);
      assert.ok(close.error instanceof HandshakeError);
      assert.equal(close.error.code, code);
      assert.equal(server.state, "closed");
      assert.equal(server.closeExpected(), true);
      server.receiveData(bytes); // ignored
      server.receiveEof();
      assert.equal(server.closeExpected(), false);
      assert.deepEqual(server.eventsReceived(), []);
    });
  }

  it("426 lists the versions it speaks", () => {
    const { output } = serve([latin1(text(RFC_REQUEST).replace("Version: 13", "Version: 7"))]);
    assert.match(output, /\r\nSec-WebSocket-Version: 13, 8\r\n/);
  });

  it("reject() answers with the status, headers and body given; the close event has no error", () => {
    const server = new ServerConnection();
    server.receiveData(RFC_REQUEST);
    assert.deepEqual(types(server.eventsReceived()), ["request"]);
    server.reject(401, { headers: { "WWW-Authenticate": "Basic" }, body: "who?" });
    const [response, end] = server.dataToSend();
    assert.equal(
      text(response!),
      "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\n" +
        "Connection: close\r\nWWW-Authenticate: Basic\r\n\r\nwho?",
    );
    assert.deepEqual(end, EOF);
    assert.deepEqual(server.eventsReceived(), [{
      type: "close",
      code: 1006,
      reason: "",
      wasClean: false,
      error: null,
    }]);
    server.accept(); // the connection ended: nothing happens
    server.reject();
    assert.deepEqual(server.dataToSend(), []);
  });

  it("accept() and reject() need a request, once", () => {
    const server = new ServerConnection();
    assert.throws(() => server.accept(), (error: unknown) => {
      assert.ok(error instanceof InvalidStateError);
      assert.equal(error.message, "Cannot accept connection: no request has arrived");
      return true;
    });
    assert.throws(() => server.reject(), InvalidStateError);
    server.receiveData(RFC_REQUEST);
    server.accept();
    assert.throws(() => server.accept(), {
      message: "Cannot accept connection: the request was already answered",
    });
    assert.throws(() => server.reject(), {
      message: "Cannot reject connection: the request was already answered",
    });
  });

  it("refuses a client that sends too much before the answer", () => {
    const server = new ServerConnection({ maxHandshakeSize: 200 });
    server.receiveData(RFC_REQUEST);
    server.receiveData(new Uint8Array(200));
    assert.equal(server.state, "connecting");
    server.receiveData(new Uint8Array(1));
    const close = closeOf(server.eventsReceived());
    assert.equal(
      (close.error as HandshakeError).message,
      "Cannot accept connection: the client sent more than 200 bytes before the handshake was answered",
    );
    assert.match(text(server.dataToSend()[0]!), /^HTTP\/1\.1 400 /);
  });

  it("reports a client that leaves during the handshake", () => {
    const early = new ServerConnection();
    early.receiveData(RFC_REQUEST.subarray(0, 10));
    early.receiveEof();
    const close = closeOf(early.eventsReceived());
    assert.equal((close.error as HandshakeError).code, "UNEXPECTED_EOF");
    assert.deepEqual(early.dataToSend(), [EOF]);

    const deciding = new ServerConnection();
    deciding.receiveData(RFC_REQUEST);
    deciding.receiveEof();
    assert.deepEqual(types(deciding.eventsReceived()), ["request", "close"]);
    deciding.accept(); // too late: nothing happens
    assert.deepEqual(deciding.dataToSend(), [EOF]);
  });

  it("fail() before the handshake ends at once, without a response", () => {
    const server = new ServerConnection();
    server.receiveData(RFC_REQUEST);
    server.fail(1006);
    assert.deepEqual(server.dataToSend(), [EOF]);
    assert.deepEqual(types(server.eventsReceived()), ["request", "close"]);
    server.fail(1006);
  });

  it("refuses to send before it is open", () => {
    const server = new ServerConnection();
    for (
      const send of [
        () => server.sendText("a"),
        () => server.sendBinary(hex("01")),
        () => server.sendPing(),
        () => server.sendPong(),
        () => server.sendClose(),
      ]
    ) {
      assert.throws(send, InvalidStateError);
    }
    assert.throws(() => server.sendText("a"), {
      message: "Cannot send message: the connection is connecting",
    });
  });

  it("validates its options", () => {
    assert.throws(() => new ServerConnection({ maxMessageSize: 0 }), {
      name: "RangeError",
      message: "Cannot create connection: maxMessageSize must be an integer >= 1, got 0",
    });
    assert.throws(() => new ServerConnection({ versions: [] }), RangeError);
    assert.throws(() => new ServerConnection({ versions: ["hybi-17" as never] }), RangeError);
  });

  it("traces the request and the answer", () => {
    const records: TraceRecord[] = [];
    serve([RFC_REQUEST], { trace: (record) => records.push(record) });
    assert.deepEqual(records, [
      { type: "handshake", direction: "in", status: 0 },
      { type: "handshake", direction: "out", status: 101 },
    ]);
  });
});

describeSeedVectors("ServerConnection against the seed library's server vectors", () => {
  for (const vector of seedVectors("handshake-server")) {
    const steps = (vector.input as {
      steps: {
        parse?: SeedBytes;
        check?: { error?: string | null; to_string?: SeedBytes; is_done?: number };
      }[];
    }).steps;
    it(`${vector.id}: ${vector.what}`, () => {
      const server = new ServerConnection();
      for (const step of steps) {
        if (step.parse !== undefined) {
          server.receiveData(seedBytes(step.parse));
          for (const event of server.eventsReceived()) {
            if (event.type === "request") server.accept();
          }
        }
        const check = step.check;
        if (check === undefined) continue;
        if (typeof check.error === "string") {
          assert.equal(server.state, "closed");
          assert.ok(server.error instanceof HandshakeError);
          continue;
        }
        if (check.to_string !== undefined) {
          const ours = concat(...server.dataToSend());
          const seeds = seedBytes(check.to_string);
          if (server.protocolVersion === "hybi-00") assert.equal(text(ours), text(seeds)); // byte for byte
          else assertSameHead(ours, seeds, { statusCodeOnly: true });
        }
        if (check.is_done !== undefined) assert.equal(server.state === "open", check.is_done === 1);
      }
    });
  }

  it("quirk.hybi00_key_without_spaces: not copied, answered 400 instead of dying", () => {
    const quirk = seedVectors("quirk").find((vector) =>
      vector.id === "quirk.hybi00_key_without_spaces"
    )!;
    const step = (quirk.input as { steps: { parse: SeedBytes }[] }).steps[0]!;
    const { events, output } = serve([seedBytes(step.parse)]);
    assert.match(output, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.equal((closeOf(events).error as HandshakeError).code, "INVALID_KEY");
  });

  it("quirk.unmasked_client_frame_accepted: not copied, the connection fails with 1002", () => {
    const quirk = seedVectors("quirk").find((vector) =>
      vector.id === "quirk.unmasked_client_frame_accepted"
    )!;
    const frame = seedBytes((quirk.input as { steps: { append: SeedBytes }[] }).steps[0]!.append);
    const { server } = serve([RFC_REQUEST, frame]);
    assert.deepEqual(server.dataToSend(), []);
    assert.equal((server.error as ProtocolError).code, "UNMASKED_FRAME");
  });

  it("handshake.request.parse.hixie75.leftovers: the bytes after the head fail the framing", () => {
    const vector = seedVectors("handshake-request-parse").find((item) =>
      item.id.endsWith("hixie75.leftovers")
    )!;
    const { server, events } = serve(
      (vector.input as { chunks: SeedBytes[] }).chunks.map(seedBytes),
    );
    // The failure is reported as it happens (a fail event); close follows at the transport's end.
    assert.deepEqual(types(events), ["request", "open", "fail"]);
    assert.equal((server.error as ProtocolError).code, "INVALID_LEGACY_FRAME");
  });
});
