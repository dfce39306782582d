/**
 * Both reconnecting shapes against a real server (`node:http` + the `ws`
 * server, in a child process on loopback, see
 * `tests/peers/reconnect_server.mjs`), on whichever runtime runs this
 * file: a server killed and restarted on the same port with a burst of
 * sends during the outage, a 503 with `Retry-After` then 101, a 401, a
 * certificate that does not verify (the `ws` peer of `tests/peers/` with
 * TLS), a close with 1012, and a server that stops answering pings.
 *
 * Delays are a few milliseconds through the options; nothing asserts on
 * time.
 *
 * @module
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type AttemptRecord,
  connect,
  OutboxError,
  ReconnectError,
  type ReconnectEvent,
  ReconnectingWebSocket,
} from "../../src/reconnect/mod.ts";
import type { HandshakeError } from "../../src/protocol/mod.ts";
import type { CloseEventLike, ErrorEventLike } from "../../src/web/events.ts";
import type { WebSocketStream } from "../../src/web/websocket_stream.ts";
import {
  type ReconnectPeer,
  startReconnectPeer,
  startReconnectPeerOnFixedPort,
} from "../_util/reconnect_peer.ts";
import { assertNoLeaks, resourceBaseline } from "../_util/leaks.ts";
import { runtime } from "../_util/runtime.ts";
import { type Peer, startPeer } from "../_util/peers.ts";
import { getTestCertificate } from "../_util/tls_cert.ts";
import { TransportError } from "../../src/transport/types.ts";

const FAST = { minDelay: 5, maxDelay: 40, pingInterval: 0, handshakeTimeout: 5000 } as const;

/** The next event of a type; fails the test after 10 s instead of hanging it. */
function next<T extends Event = Event>(target: EventTarget, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event in 10 s`)), 10_000);
    target.addEventListener(type, (e) => {
      clearTimeout(timer);
      resolve(e as T);
    }, { once: true });
  });
}

/** The next `count` messages (one listener for all: a burst is dispatched in one go). */
function messages(socket: ReconnectingWebSocket, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const received: string[] = [];
    const timer = setTimeout(() => {
      socket.removeEventListener("message", listener);
      reject(new Error(`only ${received.length} of ${count} messages in 10 s: ${received}`));
    }, 10_000);
    const listener = (event: Event) => {
      received.push((event as MessageEvent).data);
      if (received.length < count) return;
      clearTimeout(timer);
      socket.removeEventListener("message", listener);
      resolve(received);
    };
    socket.addEventListener("message", listener);
  });
}

async function read(socket: WebSocketStream, count: number): Promise<string[]> {
  const received: string[] = [];
  if (count === 0) return received;
  for await (const message of socket) {
    received.push(String(message));
    if (received.length === count) break;
  }
  return received;
}

/** Reads until the connection ends, however it ends. */
async function drain(socket: WebSocketStream): Promise<void> {
  try {
    for await (const _ of socket);
  } catch { /* dropped */ }
  await socket.closed.catch(() => {});
}

let shared: ReconnectPeer;
let tlsPeer: Peer;
before(async () => {
  const certificate = await getTestCertificate();
  [shared, tlsPeer] = await Promise.all([
    startReconnectPeer(),
    startPeer("ws", { cert: certificate.cert, key: certificate.key }),
  ]);
});
after(async () => {
  await Promise.all([shared.kill(), tlsPeer.stop()]);
});

/** A wss: URL whose certificate the client does not trust (the test CA is not given). */
const untrusted = () => `wss://localhost:${tlsPeer.tlsPort}/`;

const url = (path: string) => `ws://127.0.0.1:${shared.port}${path}`;

describe(`ReconnectingWebSocket against the ws server (client on ${runtime})`, () => {
  it("survives the server being killed and restarted on the same port, flushing the outage's sends in order within the bound", async () => {
    const baseline = await resourceBaseline();
    let server = await startReconnectPeerOnFixedPort();
    const port = server.port;
    const socket = new ReconnectingWebSocket(`ws://127.0.0.1:${port}/echo?key=rws-kill`, {
      ...FAST,
      outbox: { maxMessages: 10, maxBytes: 1024 },
    });
    const attempts: ReconnectEvent[] = [];
    socket.onattempt = (event) => attempts.push(event);
    assert.equal((await next<ReconnectEvent>(socket, "open")).attempt, 1);
    const echo = messages(socket, 1);
    socket.send("before");
    assert.deepEqual(await echo, ["before"]);

    const dropped = next<ReconnectEvent>(socket, "attempt");
    await server.kill();
    const retry = await dropped;
    assert.equal(retry.cause?.phase, "open");
    assert.equal(retry.cause?.closeCode, 1006);
    assert.equal(socket.readyState, ReconnectingWebSocket.CONNECTING);

    const refused: OutboxError[] = [];
    socket.onerror = (event) => refused.push((event as ErrorEventLike).error as OutboxError);
    for (let i = 0; i < 15; i++) socket.send(`burst-${i}`);
    assert.equal(socket.queuedMessages, 10);
    assert.deepEqual(refused.map((error) => [error.code, error.messages[0]]), [
      ["OUTBOX_FULL", "burst-10"],
      ["OUTBOX_FULL", "burst-11"],
      ["OUTBOX_FULL", "burst-12"],
      ["OUTBOX_FULL", "burst-13"],
      ["OUTBOX_FULL", "burst-14"],
    ]);
    // Let at least one attempt meet the closed port.
    while (!attempts.some((event) => event.rule === "transport")) await next(socket, "attempt");

    const reopening = next<ReconnectEvent>(socket, "open");
    const echoes = messages(socket, 10);
    server = await startReconnectPeer(port);
    const reopened = await reopening;
    assert.ok(reopened.attempt >= 2);
    assert.equal(reopened.rule, "transport");
    const burst = Array.from({ length: 10 }, (_, i) => `burst-${i}`);
    assert.deepEqual(await echoes, burst);
    for (const text of burst) {
      assert.equal((await server.event((e) => e.type === "message")).data, text);
    }
    socket.close(1000, "done");
    const close = await next<CloseEventLike>(socket, "close");
    assert.equal(close.code, 1000);
    assert.equal(close.wasClean, true);
    await server.kill();
    await assertNoLeaks(baseline, "ReconnectingWebSocket after a restart and close()");
  });

  it("waits out a 503 with Retry-After, then connects", async () => {
    const socket = new ReconnectingWebSocket(
      url("/refuse?key=rws-503&status=503&times=2&retry-after=1"),
      { ...FAST, random: () => 0, maxRetryAfter: 50 },
    );
    const attempts: ReconnectEvent[] = [];
    socket.onattempt = (event) => attempts.push(event);
    const open = await next<ReconnectEvent>(socket, "open");
    assert.equal(open.attempt, 3);
    assert.deepEqual(attempts.map((event) => [event.attempt, event.rule, event.delay]), [
      [1, null, 0],
      [2, "status-5xx", 50], // Retry-After: 1 s, cut to maxRetryAfter
      [3, "status-5xx", 50],
    ]);
    assert.equal((attempts[1]!.cause!.error as HandshakeError).status, 503);
    socket.close();
    await next(socket, "close");
  });

  it("stops on a 401 after one attempt", async () => {
    const socket = new ReconnectingWebSocket(url("/status/401?key=rws-401"), FAST);
    const error = next<ErrorEventLike>(socket, "error");
    const close = await next<CloseEventLike>(socket, "close");
    assert.equal(close.code, 1006);
    const cause = (await error).error as ReconnectError;
    assert.equal(cause.code, "NOT_RETRIED");
    assert.equal(cause.rule, "status-4xx");
    assert.equal((cause.cause as HandshakeError).status, 401);
    assert.equal(cause.attempt, 1);
  });

  it("stops on a certificate that does not verify, after one attempt", async () => {
    const socket = new ReconnectingWebSocket(untrusted(), FAST);
    const error = next<ErrorEventLike>(socket, "error");
    await next(socket, "close");
    const cause = (await error).error as ReconnectError;
    assert.equal(cause.rule, "tls");
    assert.equal(cause.attempt, 1);
    assert.ok(cause.cause instanceof TransportError);
    assert.equal(cause.cause.code, "TLS_FAILED");
  });

  it("reconnects after a close with 1012", async () => {
    const socket = new ReconnectingWebSocket(url("/close-once?key=rws-1012&code=1012"), FAST);
    let closes = 0;
    socket.onclose = () => closes++;
    await next(socket, "open");
    const second = await next<ReconnectEvent>(socket, "open");
    assert.equal(second.cause?.closeCode, 1012);
    assert.equal(second.cause?.reason, "scripted");
    assert.equal(second.rule, "service-restart");
    assert.equal(closes, 0);
    socket.close();
    await next(socket, "close");
    assert.equal(closes, 1);
  });

  it("delivers what the server sends at once on each connection, after open", async () => {
    const socket = new ReconnectingWebSocket(url("/greet?key=rws-greet"), FAST);
    const seen: string[] = [];
    socket.onopen = (event) => seen.push(`open ${event.attempt}`);
    const greetings = messages(socket, 2);
    socket.onmessage = (event) => seen.push(event.data);
    assert.deepEqual(await greetings, ["welcome 1", "welcome 2"]);
    assert.deepEqual(seen, ["open 1", "welcome 1", "open 2", "welcome 2"]);
    socket.close();
    await next(socket, "close");
  });

  it("counts a keepalive timeout as a drop and reconnects", async () => {
    const socket = new ReconnectingWebSocket(url("/mute-once?key=rws-mute"), {
      ...FAST,
      pingInterval: 30,
      pongTimeout: 60,
    });
    await next(socket, "open");
    const second = await next<ReconnectEvent>(socket, "open");
    assert.equal(second.rule, "timeout");
    assert.equal((second.cause?.error as DOMException).name, "TimeoutError");
    const echo = messages(socket, 1);
    socket.send("alive");
    assert.deepEqual(await echo, ["alive"]);
    socket.close();
    await next(socket, "close");
  });
});

describe(`connect() against the ws server (client on ${runtime})`, () => {
  it("survives the server being killed and restarted on the same port, flushing the outage's sends in order within the bound", async () => {
    const baseline = await resourceBaseline();
    let server = await startReconnectPeerOnFixedPort();
    const port = server.port;
    const records: AttemptRecord[] = [];
    const connections = connect(`ws://127.0.0.1:${port}/echo?key=stream-kill`, {
      ...FAST,
      outbox: { maxMessages: 10, maxBytes: 1024 },
      onAttempt: (record) => records.push(record),
    });
    const iterator = connections[Symbol.asyncIterator]();
    const first = (await iterator.next()).value as WebSocketStream;
    await connections.send("before");
    assert.deepEqual(await read(first, 1), ["before"]);

    await server.kill();
    await drain(first);
    const burst = Array.from({ length: 15 }, (_, i) => connections.send(`burst-${i}`));
    for (const [i, sent] of burst.slice(10).entries()) {
      await assert.rejects(sent, (error: unknown) => {
        assert.ok(error instanceof OutboxError);
        assert.equal(error.code, "OUTBOX_FULL");
        assert.deepEqual(error.messages, [`burst-${10 + i}`]);
        return true;
      });
    }
    assert.equal(connections.queuedMessages, 10);
    const reconnected = iterator.next();
    while (!records.some((record) => record.rule === "transport")) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    server = await startReconnectPeer(port);
    const second = (await reconnected).value as WebSocketStream;
    await Promise.all(burst.slice(0, 10));
    const expected = Array.from({ length: 10 }, (_, i) => `burst-${i}`);
    assert.deepEqual(await read(second, 10), expected);
    for (const text of expected) {
      assert.equal((await server.event((e) => e.type === "message")).data, text);
    }
    assert.equal(records[1]!.cause?.closeCode, 1006);
    assert.ok(connections.attempt >= 2);
    await iterator.return!();
    assert.equal((await second.closed).closeCode, 1000);
    await server.kill();
    await assertNoLeaks(baseline, "connect() after a restart and leaving the loop");
  });

  it("waits out a 503 with Retry-After, then connects", async () => {
    const records: AttemptRecord[] = [];
    const connections = connect(url("/refuse?key=stream-503&status=503&times=2&retry-after=1"), {
      ...FAST,
      random: () => 0,
      maxRetryAfter: 50,
      onAttempt: (record) => records.push(record),
    });
    for await (const _socket of connections) {
      assert.equal(connections.attempt, 3);
      break;
    }
    assert.deepEqual(records.map((record) => [record.attempt, record.rule, record.delay]), [
      [1, null, 0],
      [2, "status-5xx", 50],
      [3, "status-5xx", 50],
    ]);
  });

  it("stops on a 401 after one attempt, throwing from the loop", async () => {
    const connections = connect(url("/status/401?key=stream-401"), FAST);
    await assert.rejects(
      (async () => {
        for await (const _ of connections) assert.fail("no connection expected");
      })(),
      (error: unknown) => {
        assert.ok(error instanceof ReconnectError);
        assert.equal(error.rule, "status-4xx");
        assert.equal((error.cause as HandshakeError).status, 401);
        assert.equal(error.attempt, 1);
        return true;
      },
    );
  });

  it("stops on a certificate that does not verify, after one attempt", async () => {
    const connections = connect(untrusted(), FAST);
    await assert.rejects(
      (async () => {
        for await (const _ of connections) assert.fail("no connection expected");
      })(),
      (error: unknown) => {
        assert.ok(error instanceof ReconnectError);
        assert.equal(error.rule, "tls");
        assert.equal(error.attempt, 1);
        assert.equal((error.cause as TransportError).code, "TLS_FAILED");
        return true;
      },
    );
  });

  it("reconnects after a close with 1012", async () => {
    const records: AttemptRecord[] = [];
    const connections = connect(url("/close-once?key=stream-1012&code=1012"), {
      ...FAST,
      onAttempt: (record) => records.push(record),
    });
    let turns = 0;
    for await (const socket of connections) {
      if (++turns === 1) {
        assert.deepEqual(await socket.closed, { closeCode: 1012, reason: "scripted" });
        continue;
      }
      await connections.send("second");
      assert.deepEqual(await read(socket, 1), ["second"]);
      break;
    }
    assert.equal(turns, 2);
    assert.equal(records[1]!.rule, "service-restart");
  });

  it("counts a keepalive timeout as a drop and reconnects", async () => {
    const records: AttemptRecord[] = [];
    const connections = connect(url("/mute-once?key=stream-mute"), {
      ...FAST,
      pingInterval: 30,
      pongTimeout: 60,
      onAttempt: (record) => records.push(record),
    });
    let turns = 0;
    for await (const socket of connections) {
      if (++turns === 1) {
        await drain(socket);
        continue;
      }
      await connections.send("alive");
      assert.deepEqual(await read(socket, 1), ["alive"]);
      break;
    }
    assert.equal(records[1]!.rule, "timeout");
    assert.equal((records[1]!.cause!.error as DOMException).name, "TimeoutError");
  });
});
