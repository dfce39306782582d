import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, type ConnectStreamOptions } from "../../src/reconnect/connect.ts";
import { type AttemptRecord, ReconnectError } from "../../src/reconnect/engine.ts";
import { OutboxError } from "../../src/reconnect/outbox.ts";
import type { HandshakeError } from "../../src/protocol/mod.ts";
import { WebSocketStream } from "../../src/web/websocket_stream.ts";
import { type Behaviour, startScriptedServer } from "../_util/scripted_server.ts";
import { assertNoLeaks, resourceBaseline } from "../_util/leaks.ts";

const FAST: ConnectStreamOptions = { minDelay: 1, maxDelay: 5, random: () => 0, pingInterval: 0 };

function script(...steps: Behaviour[]): (attempt: number) => Behaviour {
  return (attempt) => steps[attempt] ?? steps[steps.length - 1]!;
}

/** Reads every message of a connection until it ends (an abnormal end is not an error here). */
async function drain(socket: WebSocketStream): Promise<string[]> {
  const messages: string[] = [];
  try {
    for await (const message of socket) messages.push(String(message));
  } catch { /* dropped */ }
  return messages;
}

describe("connect(): the stream shape", () => {
  it("yields an open WebSocketStream per (re)connection, retrying 1012 and refused attempts", async () => {
    const server = startScriptedServer(script(
      { type: "accept", closeWith: 1012 },
      { type: "down" },
      { type: "reject", status: 503 },
      { type: "accept" },
    ));
    const records: AttemptRecord[] = [];
    const connections = connect("ws://test.example/", {
      ...FAST,
      transport: server.connector,
      onAttempt: (record) => records.push(record),
    });
    const seen: number[] = [];
    for await (const socket of connections) {
      assert.ok(socket instanceof WebSocketStream);
      seen.push(connections.attempt);
      if (seen.length === 1) {
        await drain(socket); // the server closes with 1012
        continue;
      }
      await connections.send("hello");
      for await (const message of socket) {
        assert.equal(message, "hello");
        break;
      }
      break;
    }
    // The first connection dropped before resetAfter: the attempts go on counting.
    assert.deepEqual(seen, [1, 4]);
    assert.deepEqual(records.map((record) => [record.attempt, record.rule]), [
      [1, null],
      [2, "service-restart"],
      [3, "transport"],
      [4, "status-5xx"],
    ]);
    assert.equal(connections.current, null);
  });

  it("keeps a message that came with the 101 response for the loop body", async () => {
    const server = startScriptedServer(script({ type: "accept", greet: "welcome" }));
    const connections = connect("ws://test.example/", { ...FAST, transport: server.connector });
    for await (const socket of connections) {
      for await (const message of socket) {
        assert.equal(message, "welcome");
        break;
      }
      break;
    }
  });

  it("ends the loop by throwing a ReconnectError when the table says stop (401)", async () => {
    const server = startScriptedServer(script({ type: "reject", status: 401 }));
    const connections = connect("ws://test.example/", { ...FAST, transport: server.connector });
    await assert.rejects(
      (async () => {
        for await (const _ of connections) assert.fail("no connection expected");
      })(),
      (error: unknown) => {
        assert.ok(error instanceof ReconnectError);
        assert.equal(error.rule, "status-4xx");
        assert.equal((error.cause as HandshakeError).status, 401);
        return true;
      },
    );
    assert.equal(server.attempts, 1);
  });

  it("queues send() while reconnecting, flushes in order before yielding, rejects overflow at once", async () => {
    const server = startScriptedServer(
      script({ type: "down" }, { type: "down" }, { type: "accept" }),
    );
    const connections = connect("ws://test.example/", {
      ...FAST,
      outbox: { maxMessages: 3 },
      transport: server.connector,
    });
    const sent = [0, 1, 2, 3].map((i) => connections.send(`m${i}`));
    await assert.rejects(sent[3]!, (error: unknown) => {
      assert.ok(error instanceof OutboxError);
      assert.equal(error.code, "OUTBOX_FULL");
      return true;
    });
    assert.equal(connections.queuedMessages, 3);
    for await (const socket of connections) {
      await Promise.all(sent.slice(0, 3));
      const replies: string[] = [];
      for await (const message of socket) {
        replies.push(String(message));
        if (replies.length === 3) break;
      }
      assert.deepEqual(replies, ["m0", "m1", "m2"]);
      break;
    }
    assert.deepEqual(server.received, ["m0", "m1", "m2"]);
  });

  it("rejects queued sends as UNSENT when the loop stops, and later sends as CLOSED", async () => {
    const server = startScriptedServer(script({ type: "reject", status: 403 }));
    const connections = connect("ws://test.example/", { ...FAST, transport: server.connector });
    const queued = connections.send("a");
    const iterator = connections[Symbol.asyncIterator]();
    await assert.rejects(iterator.next(), ReconnectError);
    await assert.rejects(queued, (error: unknown) => {
      assert.ok(error instanceof OutboxError);
      assert.equal(error.code, "UNSENT");
      assert.deepEqual(error.messages, ["a"]);
      return true;
    });
    await assert.rejects(connections.send("b"), { name: "OutboxError", code: "CLOSED" });
  });

  it("with outbox: false, rejects send() at once while not connected", async () => {
    const server = startScriptedServer(script({ type: "accept" }));
    const connections = connect("ws://test.example/", {
      ...FAST,
      outbox: false,
      transport: server.connector,
    });
    await assert.rejects(connections.send("early"), { name: "OutboxError", code: "NOT_CONNECTED" });
    for await (const socket of connections) {
      await connections.send("now");
      for await (const message of socket) {
        assert.equal(message, "now");
        break;
      }
      break;
    }
  });

  it("closes the connection and reconnects when the loop body ends with it open", async () => {
    const server = startScriptedServer(script({ type: "accept" }));
    const connections = connect("ws://test.example/", { ...FAST, transport: server.connector });
    let turns = 0;
    for await (const _socket of connections) {
      if (++turns === 3) break;
    }
    assert.equal(turns, 3);
    assert.equal(server.attempts, 3);
  });

  it("stops on close() from inside the loop", async () => {
    const server = startScriptedServer(script({ type: "accept" }));
    const connections = connect("ws://test.example/", { ...FAST, transport: server.connector });
    let turns = 0;
    for await (const socket of connections) {
      turns++;
      connections.close({ closeCode: 1000, reason: "bye" });
      assert.equal((await socket.closed).closeCode, 1000);
    }
    assert.equal(turns, 1);
  });

  it("throws the signal's reason from the loop on abort", async () => {
    const server = startScriptedServer(script({ type: "accept" }));
    const controller = new AbortController();
    const connections = connect("ws://test.example/", {
      ...FAST,
      signal: controller.signal,
      transport: server.connector,
    });
    const reason = new Error("shutting down");
    await assert.rejects(
      (async () => {
        for await (const socket of connections) {
          controller.abort(reason);
          await drain(socket);
        }
      })(),
      (error: unknown) => error === reason,
    );
    assert.equal(server.attempts, 1);
  });

  it("leaves no timer when closed during its backoff wait", async () => {
    const baseline = await resourceBaseline();
    const server = startScriptedServer(script({ type: "down" }));
    const records: AttemptRecord[] = [];
    const connections = connect("ws://test.example/", {
      ...FAST,
      minDelay: 60_000,
      maxDelay: 60_000,
      transport: server.connector,
      onAttempt: (record) => records.push(record),
    });
    const loop = (async () => {
      for await (const _ of connections) assert.fail("no connection expected");
    })();
    while (records.length < 2) await new Promise((resolve) => setTimeout(resolve, 1));
    connections.close();
    await loop;
    assert.equal(server.attempts, 1);
    await assertNoLeaks(baseline, "connect() closed during its backoff wait");
  });

  it("can be iterated once, and validates its options", () => {
    const connections = connect(() => new Promise<string>(() => {}), FAST);
    connections[Symbol.asyncIterator]();
    assert.throws(() => connections[Symbol.asyncIterator](), {
      name: "TypeError",
      message: "Cannot iterate: connect() can be iterated once",
    });
    connections.close();
    assert.throws(() => connect("ws://a/#frag"), { name: "SyntaxError" });
    assert.throws(() => connect("ws://a/", { maxDelay: -3 }), {
      name: "RangeError",
      message: /^Cannot create connect\(\): maxDelay must be/,
    });
    assert.throws(() => connect("ws://a/", { readableHighWaterMark: -1 }), {
      name: "RangeError",
      message: /^Cannot create connect\(\): readableHighWaterMark must be/,
    });
    assert.throws(() => connect("ws://a/", { onAtempt: () => {} } as ConnectStreamOptions), {
      name: "TypeError",
      message: 'Cannot create connect(): unknown option "onAtempt"',
    });
  });
});
