/**
 * What both public APIs share (`src/client.ts`): option checks, opening the
 * transport, the handshake timeout, the connect timeout, the signal, and
 * handing over to the driver.
 *
 * @module
 */

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import {
  type ClientTraceRecord,
  closeCause,
  DEFAULT_TIMEOUTS,
  milliseconds,
  startClient,
  type StartOptions,
} from "../src/client.ts";
import { Driver } from "../src/driver.ts";
import type { ConnectionEvent } from "../src/protocol/connection/events.ts";
import { HandshakeError, ProtocolError } from "../src/protocol/errors.ts";
import { type ConnectOptions, type Transport, TransportError } from "../src/transport/types.ts";
import { cleanUp, createFakeServer, delay, onCleanUp, trackTimers } from "./_util/fake_server.ts";

/** Starts a client and records what it reports. */
function start(url: string, options: StartOptions, protocols: readonly string[] = []) {
  const events: ConnectionEvent[] = [];
  const failures: unknown[] = [];
  const run = startClient(
    url,
    protocols,
    options,
    (event) => events.push(event),
    (reason) => failures.push(reason),
  );
  run.driver.catch(() => {});
  onCleanUp(() => run.abort(new Error("test clean-up")));
  const closed = async (): Promise<ConnectionEvent> => {
    while (!events.some((event) => event.type === "close")) await delay(1);
    return events.find((event) => event.type === "close")!;
  };
  return { run, events, failures, closed };
}

/** A connector that never completes, recording its options. */
function hangingConnector(): {
  connector: (options: ConnectOptions) => Promise<Transport>;
  seen: ConnectOptions[];
} {
  const seen: ConnectOptions[] = [];
  return {
    seen,
    connector(options) {
      seen.push(options);
      return new Promise(() => {});
    },
  };
}

describe("milliseconds() and DEFAULT_TIMEOUTS", () => {
  afterEach(cleanUp);

  it("returns the fallback for undefined and the value for any finite number >= 0", () => {
    assert.equal(milliseconds("closeTimeout", undefined, 123), 123);
    assert.equal(milliseconds("closeTimeout", 0, 123), 0);
    assert.equal(milliseconds("closeTimeout", 2.5, 123), 2.5);
  });

  for (
    const value of [
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 31, // timers overflow past 2^31 - 1 ms and would fire at once
      "5" as unknown as number,
      null as unknown as number,
    ]
  ) {
    it(`throws a RangeError for ${String(value)} (${typeof value})`, () => {
      assert.throws(() => milliseconds("handshakeTimeout", value, 1), {
        name: "RangeError",
        message:
          `Cannot create WebSocket: handshakeTimeout must be a number of milliseconds in 0-2147483647, got ${value}`,
      });
    });
  }

  it("accepts the longest delay timers keep, 2^31 - 1 ms", () => {
    assert.equal(milliseconds("closeTimeout", 2 ** 31 - 1, 1), 2 ** 31 - 1);
  });

  it("documents 10 s for the handshake and the close, 20 s for the keepalive", () => {
    assert.deepEqual(DEFAULT_TIMEOUTS, {
      handshakeTimeout: 10_000,
      closeTimeout: 10_000,
      pingInterval: 20_000,
      pongTimeout: 20_000,
    });
  });
});

describe("startClient() option checks", () => {
  afterEach(cleanUp);

  for (
    const name of [
      "handshakeTimeout",
      "closeTimeout",
      "connectTimeout",
      "pingInterval",
      "pongTimeout",
    ] as const
  ) {
    it(`throws a RangeError for a negative ${name} before connecting`, () => {
      const { connector, seen } = hangingConnector();
      assert.throws(
        () =>
          startClient("ws://x.test/", [], { transport: connector, [name]: -1 }, () => {}, () => {}),
        (error: unknown) => error instanceof RangeError && error.message.includes(name),
      );
      assert.equal(seen.length, 0);
    });
  }

  it("throws the core's SyntaxError for a bad URL (the API layers turn it into a DOMException)", () => {
    const { connector, seen } = hangingConnector();
    assert.throws(
      () => startClient("nope", [], { transport: connector }, () => {}, () => {}),
      SyntaxError,
    );
    assert.equal(seen.length, 0);
  });

  it("throws a RangeError for an unknown protocol version", () => {
    assert.throws(
      () =>
        startClient(
          "ws://x.test/",
          [],
          { transport: hangingConnector().connector, protocolVersion: "hybi-99" as "rfc6455" },
          () => {},
          () => {},
        ),
      RangeError,
    );
  });
});

describe("startClient() opening the transport", () => {
  afterEach(cleanUp);

  it("passes the host, port, TLS settings and an abort signal to the connector", async () => {
    const { connector, seen } = hangingConnector();
    const tls = { servername: "other.test" };
    const plain = start("ws://plain.test:8080/", { transport: connector, handshakeTimeout: 50 });
    const secure = start("wss://[::1]/", { transport: connector, tls, handshakeTimeout: 50 });
    const defaults = start("wss://secure.test/", { transport: connector, handshakeTimeout: 50 });
    await delay(1);
    assert.deepEqual(seen.map(({ hostname, port }) => [hostname, port]), [
      ["plain.test", 8080],
      ["::1", 443],
      ["secure.test", 443],
    ]);
    assert.equal(seen[0]!.tls, undefined);
    assert.equal(seen[1]!.tls, tls);
    assert.deepEqual(seen[2]!.tls, {});
    assert.ok(
      seen.every((options) => options.signal instanceof AbortSignal && !options.signal.aborted),
    );
    for (const client of [plain, secure, defaults]) client.run.abort(new Error("done"));
    await delay(1);
    assert.ok(seen.every((options) => options.signal?.aborted));
  });

  it("writes the handshake request as soon as the transport is open, before any read", async () => {
    const server = createFakeServer();
    const { run } = start("ws://fake.test/path", { transport: server.connector });
    const peer = await server.accept();
    const request = await peer.readRequest();
    assert.equal(request.requestLine, "GET /path HTTP/1.1");
    const driver = await run.driver;
    assert.ok(driver instanceof Driver);
    assert.equal(driver.connection, run.connection);
    assert.equal(run.connection.state, "connecting");
    run.abort(new Error("done"));
  });

  it("reports open, then hands every event to onEvent in order", async () => {
    const server = createFakeServer();
    const { run, events, failures, closed } = start("ws://fake.test/", {
      transport: server.connector,
      pingInterval: 0,
    });
    const peer = await server.accept();
    await peer.handshake();
    const driver = await run.driver;
    void driver.run();
    peer.sendText("hi");
    peer.sendClose(1000);
    await peer.readClose();
    peer.close();
    await closed();
    assert.deepEqual(events.map((event) => event.type), ["open", "message", "closing", "close"]);
    assert.deepEqual(failures, []);
  });

  it("reports a connector failure through onFailure, then a close event with 1006", async () => {
    const failure = new TypeError("Cannot connect: refused");
    const { failures, closed } = start("ws://fake.test/", {
      transport: () => Promise.reject(failure),
    });
    const close = await closed();
    assert.deepEqual(failures, [failure]);
    assert.equal(close.type === "close" && close.code, 1006);
  });

  it("closes a transport that opens after the attempt already failed", async () => {
    const server = createFakeServer();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let late: Transport | null = null;
    const { run, failures, closed } = start("ws://fake.test/", {
      // A connector that ignores its signal and opens anyway.
      transport: async (options) => {
        await gate;
        late = await server.memory.connector({ ...options, signal: undefined });
        return late;
      },
    });
    const reason = new Error("changed my mind");
    run.abort(reason);
    await closed();
    release();
    const peer = await server.accept();
    await peer.readToEnd();
    assert.equal(peer.eof, true, "the late transport was closed");
    await (late as Transport | null)?.closed;
    assert.deepEqual(failures, [reason]);
  });
});

describe("startClient() timeouts", () => {
  afterEach(cleanUp);

  it("fails with a TimeoutError after handshakeTimeout and aborts the connector's signal", async () => {
    const timers = trackTimers();
    try {
      const { connector, seen } = hangingConnector();
      const { failures, closed } = start("ws://x.test/", {
        transport: connector,
        handshakeTimeout: 20,
      });
      const close = await closed();
      assert.equal(failures.length, 1);
      const error = failures[0];
      assert.ok(error instanceof DOMException);
      assert.equal(error.name, "TimeoutError");
      assert.equal(error.message, "Cannot open connection: no handshake within 20 ms");
      assert.equal(close.type === "close" && close.code, 1006);
      assert.equal(seen[0]!.signal?.aborted, true);
      assert.equal(seen[0]!.signal?.reason, error);
      assert.equal(timers.pending, 0, `pending timers: ${timers.pendingDelays}`);
    } finally {
      timers.restore();
    }
  });

  it("fails the handshake after handshakeTimeout when the server never answers, closing the transport", async () => {
    const server = createFakeServer();
    const { run, failures, closed } = start("ws://fake.test/", {
      transport: server.connector,
      handshakeTimeout: 20,
    });
    const peer = await server.accept();
    await peer.readRequest();
    void (await run.driver).run();
    await closed();
    assert.equal((failures[0] as DOMException).name, "TimeoutError");
    await peer.readToEnd();
    assert.equal(peer.eof, true);
  });

  it("fails after connectTimeout when the transport does not open, with its own message", async () => {
    const timers = trackTimers();
    try {
      const { connector } = hangingConnector();
      const { failures, closed } = start("ws://x.test/", {
        transport: connector,
        connectTimeout: 10,
        handshakeTimeout: 60_000,
      });
      await closed();
      const error = failures[0];
      assert.ok(error instanceof DOMException);
      assert.equal(error.name, "TimeoutError");
      assert.equal(error.message, "Cannot open connection: no TCP/TLS connection within 10 ms");
      assert.equal(timers.pending, 0, `pending timers: ${timers.pendingDelays}`);
    } finally {
      timers.restore();
    }
  });

  it("clears the connect timer once the transport is open (a slow HTTP answer gets handshakeTimeout)", async () => {
    const server = createFakeServer();
    const { run, events, failures } = start("ws://fake.test/", {
      transport: server.connector,
      connectTimeout: 10,
      handshakeTimeout: 60_000,
      pingInterval: 0,
    });
    const peer = await server.accept();
    await peer.readRequest();
    const driver = await run.driver;
    void driver.run();
    await delay(30);
    assert.deepEqual(failures, []);
    peer.acceptHandshake();
    await delay(5);
    assert.deepEqual(events.map((event) => event.type), ["open"]);
    run.abort(new Error("done"));
  });

  it("clears the handshake timer at open: only the keepalive timer remains, and none without it", async () => {
    const timers = trackTimers();
    try {
      for (const pingInterval of [0, 30_000]) {
        const server = createFakeServer();
        const { run, events, closed } = start("ws://fake.test/", {
          transport: server.connector,
          handshakeTimeout: 60_000,
          pingInterval,
        });
        const peer = await server.accept();
        await peer.handshake();
        void (await run.driver).run();
        while (events.length === 0) await delay(1);
        assert.deepEqual(timers.pendingDelays, pingInterval === 0 ? [] : [pingInterval]);
        peer.close();
        await closed();
        await delay(1);
        assert.equal(timers.pending, 0, `pending timers after close: ${timers.pendingDelays}`);
      }
    } finally {
      timers.restore();
    }
  });
});

describe("startClient() abort and signal", () => {
  afterEach(cleanUp);

  it("abort() before the transport opened reports the reason, then close 1006 in a later microtask", async () => {
    const { connector, seen } = hangingConnector();
    const { run, events, failures, closed } = start("ws://x.test/", { transport: connector });
    await delay(1);
    const reason = new Error("stop");
    run.abort(reason);
    assert.deepEqual(failures, [reason]);
    assert.equal(events.length, 0, "the close event is not reported inside abort()");
    const close = await closed();
    assert.equal(close.type === "close" && close.code, 1006);
    assert.equal(seen[0]!.signal?.reason, reason);
    run.abort(new Error("again"));
    await delay(1);
    assert.equal(failures.length, 1);
    assert.equal(events.filter((event) => event.type === "close").length, 1);
  });

  it("does not call the connector when the signal is already aborted", async () => {
    const { connector, seen } = hangingConnector();
    const reason = new Error("already");
    const { failures, closed } = start("ws://x.test/", {
      transport: connector,
      signal: AbortSignal.abort(reason),
    });
    await closed();
    assert.deepEqual(failures, [reason]);
    assert.equal(seen.length, 0);
  });

  it("fails the handshake when the signal aborts while connecting", async () => {
    const server = createFakeServer();
    const controller = new AbortController();
    const { run, failures, closed } = start("ws://fake.test/", {
      transport: server.connector,
      signal: controller.signal,
    });
    const peer = await server.accept();
    await peer.readRequest();
    void (await run.driver).run();
    controller.abort("bye");
    await closed();
    assert.deepEqual(failures, ["bye"]);
    await peer.readToEnd();
    assert.equal(peer.eof, true);
  });

  it("hands an abort after open to the API's onAbortAfterOpen, and fails nothing itself", async () => {
    const server = createFakeServer();
    const controller = new AbortController();
    const aborted: unknown[] = [];
    const { run, failures, closed } = start("ws://fake.test/", {
      transport: server.connector,
      signal: controller.signal,
      pingInterval: 0,
      onAbortAfterOpen: (reason) => aborted.push(reason),
    });
    const peer = await server.accept();
    await peer.handshake();
    const driver = await run.driver;
    void driver.run();
    await delay(1);
    controller.abort("stop");
    assert.deepEqual(aborted, ["stop"]);
    assert.deepEqual(failures, []);
    assert.equal(run.connection.state, "open");
    driver.act((connection) => connection.sendClose(1001));
    assert.equal((await peer.answerClose()).code, 1001);
    const close = await closed();
    assert.equal(close.type === "close" && close.wasClean, true);
  });
});

describe("startClient() trace", () => {
  afterEach(cleanUp);

  it("reports the connect, connected and closed phases around the core's records", async () => {
    const server = createFakeServer();
    const records: ClientTraceRecord[] = [];
    const { run, closed } = start("ws://fake.test/", {
      transport: server.connector,
      trace: (record) => records.push(record),
      pingInterval: 0,
    });
    const peer = await server.accept();
    await peer.handshake();
    void (await run.driver).run();
    peer.sendText("x");
    peer.close();
    await closed();
    const phases = records.filter((record) => record.type === "phase").map((record) =>
      record.type === "phase" ? record.phase : ""
    );
    assert.deepEqual(phases, ["connect", "connected", "closed"]);
    const handshakes = records.filter((record) => record.type === "handshake");
    assert.deepEqual(handshakes.map((record) => record.type === "handshake" && record.status), [
      0,
      101,
    ]);
    assert.ok(
      records.some((record) =>
        record.type === "frame" && record.direction === "in" && record.opcode === 1
      ),
    );
  });
});

describe("closeCause()", () => {
  const reset = new TransportError("CONNECTION_LOST", "Cannot read: connection reset");
  const eof = new ProtocolError(
    "UNEXPECTED_EOF",
    "Cannot read frame: the connection ended without a close frame",
  );
  const eofInHandshake = new HandshakeError("UNEXPECTED_EOF", "Cannot open connection: ended");
  const violation = new ProtocolError("RESERVED_OPCODE", "Cannot parse frame: reserved opcode 0x3");

  it("reports a local failure (timeout, abort, full queue) first", () => {
    const timeout = new DOMException("late", "TimeoutError");
    assert.equal(closeCause(timeout, violation, reset), timeout);
  });

  it("reports the transport's error rather than the end of stream the core saw", () => {
    assert.equal(closeCause(null, eof, reset), reset);
    assert.equal(closeCause(null, eofInHandshake, reset), reset);
    assert.equal(closeCause(null, null, reset), reset);
  });

  it("reports the peer's protocol violation over a transport error that followed it", () => {
    assert.equal(closeCause(null, violation, reset), violation);
  });

  it("reports the core's error, or null, when nothing else is known", () => {
    assert.equal(closeCause(null, eof, null), eof);
    assert.equal(closeCause(undefined, null, undefined), null);
  });
});
