import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ReconnectEvent,
  ReconnectingWebSocket,
  type ReconnectingWebSocketInit,
} from "../../src/reconnect/reconnecting_websocket.ts";
import { ReconnectError } from "../../src/reconnect/engine.ts";
import type { OutboxError } from "../../src/reconnect/outbox.ts";
import type { HandshakeError } from "../../src/protocol/mod.ts";
import type { CloseEventLike, ErrorEventLike } from "../../src/web/events.ts";
import { type Behaviour, startScriptedServer } from "../_util/scripted_server.ts";
import { assertNoLeaks, resourceBaseline } from "../_util/leaks.ts";

const FAST: ReconnectingWebSocketInit = {
  minDelay: 1,
  maxDelay: 5,
  random: () => 0,
  pingInterval: 0,
};

function log(socket: ReconnectingWebSocket): string[] {
  const lines: string[] = [];
  for (const type of ["attempt", "open", "message", "error", "close"]) {
    socket.addEventListener(type, (event) => {
      if (event instanceof ReconnectEvent) {
        lines.push(`${type} ${event.attempt} ${event.rule ?? "-"}`);
      } else if (type === "message") {
        lines.push(`message ${(event as MessageEvent).data}`);
      } else if (type === "error") {
        const error = (event as ErrorEventLike).error as { name: string; code: string };
        lines.push(`error ${error.name} ${error.code}`);
      } else {
        const close = event as CloseEventLike;
        lines.push(`close ${close.code} ${close.wasClean}`);
      }
    });
  }
  return lines;
}

function next(socket: ReconnectingWebSocket, type: string): Promise<Event> {
  return new Promise((resolve) => socket.addEventListener(type, resolve, { once: true }));
}

function script(...steps: Behaviour[]): (attempt: number) => Behaviour {
  return (attempt) => steps[attempt] ?? steps[steps.length - 1]!;
}

describe("ReconnectingWebSocket: retries and stops by the table", () => {
  it("retries a refused connection and a 503, honouring Retry-After, and opens with the attempt's number", async () => {
    const server = startScriptedServer(script(
      { type: "down" },
      { type: "reject", status: 503, headers: [["Retry-After", "1"]] },
      { type: "accept" },
    ));
    const attempts: ReconnectEvent[] = [];
    const socket = new ReconnectingWebSocket("ws://test.example/", {
      ...FAST,
      maxRetryAfter: 30,
      transport: server.connector,
    });
    socket.onattempt = (event) => attempts.push(event);
    const lines = log(socket);
    const open = await next(socket, "open") as ReconnectEvent;
    assert.equal(open.attempt, 3);
    assert.equal(open.rule, "status-5xx");
    assert.deepEqual(attempts.map((event) => [event.attempt, event.delay]), [[1, 0], [2, 1], [
      3,
      30,
    ]]);
    assert.equal((attempts[2]!.cause!.error as HandshakeError).status, 503);
    assert.equal(socket.readyState, ReconnectingWebSocket.OPEN);
    socket.close(1000, "done");
    const close = await next(socket, "close") as CloseEventLike;
    assert.equal(close.code, 1000);
    assert.equal(close.wasClean, true);
    assert.deepEqual(lines, [
      "attempt 1 -",
      "attempt 2 transport",
      "attempt 3 status-5xx",
      "open 3 status-5xx",
      "close 1000 true",
    ]);
    assert.equal(socket.readyState, ReconnectingWebSocket.CLOSED);
  });

  it("stops on a 401: one attempt, an error event with the HandshakeError as cause, then close", async () => {
    const server = startScriptedServer(script({ type: "reject", status: 401 }));
    const socket = new ReconnectingWebSocket("ws://test.example/", {
      ...FAST,
      transport: server.connector,
    });
    const lines = log(socket);
    const error = next(socket, "error") as Promise<ErrorEventLike>;
    const close = await next(socket, "close") as CloseEventLike;
    assert.equal(close.code, 1006);
    const cause = (await error).error as ReconnectError;
    assert.ok(cause instanceof ReconnectError);
    assert.equal(cause.rule, "status-4xx");
    assert.equal((cause.cause as HandshakeError).status, 401);
    assert.equal(server.attempts, 1);
    assert.deepEqual(lines, [
      "attempt 1 -",
      "error ReconnectError NOT_RETRIED",
      "close 1006 false",
    ]);
  });

  it("reconnects after a 1012 close, with open again and no close event in between", async () => {
    const server = startScriptedServer(
      script({ type: "accept", closeWith: 1012 }, { type: "accept" }),
    );
    const socket = new ReconnectingWebSocket("ws://test.example/", {
      ...FAST,
      transport: server.connector,
    });
    const lines = log(socket);
    await next(socket, "open");
    const second = await next(socket, "open") as ReconnectEvent;
    assert.equal(second.cause?.closeCode, 1012);
    assert.equal(second.rule, "service-restart");
    socket.send("after");
    await next(socket, "message");
    socket.close();
    await next(socket, "close");
    assert.deepEqual(lines, [
      "attempt 1 -",
      "open 1 -",
      "attempt 2 service-restart",
      "open 2 service-restart",
      "message after",
      "close 1005 true",
    ]);
  });

  it("delivers a message that came with the 101 response, after open", async () => {
    const server = startScriptedServer(script({ type: "accept", greet: "welcome" }));
    const socket = new ReconnectingWebSocket("ws://test.example/", {
      ...FAST,
      transport: server.connector,
    });
    const lines = log(socket);
    await next(socket, "message");
    socket.close();
    await next(socket, "close");
    assert.deepEqual(lines, ["attempt 1 -", "open 1 -", "message welcome", "close 1005 true"]);
  });

  it("gives up on a 1008 close with the server's close code", async () => {
    const server = startScriptedServer(script({ type: "accept", closeWith: 1008 }));
    const socket = new ReconnectingWebSocket("ws://test.example/", {
      ...FAST,
      transport: server.connector,
    });
    const lines = log(socket);
    const close = await next(socket, "close") as CloseEventLike;
    assert.equal(close.code, 1008);
    assert.equal(close.reason, "scripted");
    assert.deepEqual(lines, [
      "attempt 1 -",
      "open 1 -",
      "error ReconnectError NOT_RETRIED",
      "close 1008 true",
    ]);
  });

  it("gives up after maxAttempts with MAX_ATTEMPTS", async () => {
    const server = startScriptedServer(script({ type: "down" }));
    const socket = new ReconnectingWebSocket("ws://test.example/", {
      ...FAST,
      maxAttempts: 4,
      transport: server.connector,
    });
    const error = next(socket, "error") as Promise<ErrorEventLike>;
    await next(socket, "close");
    assert.equal(((await error).error as ReconnectError).code, "MAX_ATTEMPTS");
    assert.equal(server.attempts, 4);
  });
});

describe("ReconnectingWebSocket: the outbox", () => {
  it("queues sends while reconnecting and flushes them in order before open; refuses what does not fit", async () => {
    const server = startScriptedServer(
      script({ type: "down" }, { type: "down" }, { type: "accept" }),
    );
    const socket = new ReconnectingWebSocket("ws://test.example/", {
      ...FAST,
      outbox: { maxMessages: 5, maxBytes: 1000 },
      transport: server.connector,
    });
    const refused: OutboxError[] = [];
    socket.onerror = (event) => refused.push((event as ErrorEventLike).error as OutboxError);
    for (let i = 0; i < 8; i++) socket.send(`m${i}`);
    assert.equal(socket.readyState, ReconnectingWebSocket.CONNECTING);
    assert.equal(socket.queuedMessages, 5);
    assert.equal(socket.bufferedAmount, 10);
    assert.deepEqual(refused.map((error) => [error.code, error.messages[0]]), [
      ["OUTBOX_FULL", "m5"],
      ["OUTBOX_FULL", "m6"],
      ["OUTBOX_FULL", "m7"],
    ]);
    socket.onopen = () => socket.send("from onopen");
    const replies: string[] = [];
    socket.onmessage = (event) => replies.push(event.data);
    await next(socket, "open");
    while (replies.length < 6) await next(socket, "message");
    assert.deepEqual(replies, ["m0", "m1", "m2", "m3", "m4", "from onopen"]);
    assert.equal(socket.queuedMessages, 0);
    socket.close();
    await next(socket, "close");
  });

  it("counts bytes against maxBytes, binary copied when sent", async () => {
    const server = startScriptedServer(script({ type: "down" }, { type: "accept" }));
    const socket = new ReconnectingWebSocket("ws://test.example/", {
      ...FAST,
      outbox: { maxBytes: 8 },
      transport: server.connector,
    });
    socket.binaryType = "arraybuffer";
    const refused: OutboxError[] = [];
    socket.onerror = (event) => refused.push((event as ErrorEventLike).error as OutboxError);
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    socket.send(bytes);
    bytes[0] = 99; // the queued copy keeps 1
    socket.send("€"); // 3 bytes: 8 in all
    socket.send("x");
    assert.equal(refused.length, 1);
    assert.match(refused[0]!.message, /1 more bytes would exceed the outbox's maximum of 8 bytes/);
    const first = await next(socket, "message") as MessageEvent;
    assert.deepEqual([...new Uint8Array(first.data)], [1, 2, 3, 4, 5]);
    socket.binaryType = "uint8array"; // passed on to the open connection
    assert.equal(socket.binaryType, "uint8array");
    assert.equal((await next(socket, "message") as MessageEvent).data, "€");
    socket.close();
    await next(socket, "close");
  });

  it("with outbox: false, refuses a send at once while not connected", async () => {
    const server = startScriptedServer(script({ type: "accept" }));
    const socket = new ReconnectingWebSocket("ws://test.example/", {
      ...FAST,
      outbox: false,
      transport: server.connector,
    });
    const errors: OutboxError[] = [];
    socket.onerror = (event) => errors.push((event as ErrorEventLike).error as OutboxError);
    socket.send("too early");
    assert.equal(errors.length, 1, "dispatched before send() returned");
    assert.equal(errors[0]!.code, "NOT_CONNECTED");
    await next(socket, "open");
    socket.send("now");
    assert.equal((await next(socket, "message") as MessageEvent).data, "now");
    socket.close();
    await next(socket, "close");
  });

  it("reports messages still queued at close() as UNSENT, and refuses sends after close as CLOSED", async () => {
    const baseline = await resourceBaseline();
    const server = startScriptedServer(script({ type: "down" }));
    const socket = new ReconnectingWebSocket("ws://test.example/", {
      ...FAST,
      minDelay: 60_000,
      maxDelay: 60_000,
      transport: server.connector,
    });
    const lines = log(socket);
    await next(socket, "attempt");
    await next(socket, "attempt"); // the first failed: the 60 s wait has started
    socket.send("a");
    socket.send("b");
    const unsent = next(socket, "error") as Promise<ErrorEventLike>;
    socket.close();
    assert.equal(socket.readyState, ReconnectingWebSocket.CLOSING);
    const close = await next(socket, "close") as CloseEventLike;
    assert.equal(close.code, 1006);
    const error = (await unsent).error as OutboxError;
    assert.equal(error.code, "UNSENT");
    assert.deepEqual(error.messages, ["a", "b"]);
    socket.send("late");
    assert.equal(lines.at(-1), "error OutboxError CLOSED");
    assert.equal(server.attempts, 1);
    // The 60 s wait was cleared: no timer is left (Deno, Node; Bun cannot tell).
    await assertNoLeaks(baseline, "ReconnectingWebSocket closed during its backoff wait");
  });
});

describe("ReconnectingWebSocket: options", () => {
  it("evaluates url, protocols and headers functions on every attempt", async () => {
    const server = startScriptedServer(
      script({ type: "accept", closeWith: 1012 }, { type: "accept" }),
    );
    let token = 0;
    let version = 0;
    let n = 0;
    const socket = new ReconnectingWebSocket(() => Promise.resolve(`ws://test.example/?n=${++n}`), {
      ...FAST,
      headers: () => Promise.resolve({ authorization: `Bearer token-${++token}` }),
      protocols: () => [`v${++version}`],
      transport: server.connector,
    });
    await next(socket, "open");
    await next(socket, "open");
    assert.deepEqual(server.requests.map((headers) => headers.authorization), [
      "Bearer token-1",
      "Bearer token-2",
    ]);
    assert.deepEqual(server.requests.map((headers) => headers["sec-websocket-protocol"]), [
      "v1",
      "v2",
    ]);
    assert.equal(socket.url, "ws://test.example/?n=2");
    socket.close();
    await next(socket, "close");
  });

  it("stops when a url function throws: the error is the cause", async () => {
    const socket = new ReconnectingWebSocket(() => {
      throw new Error("no token");
    }, FAST);
    const error = next(socket, "error") as Promise<ErrorEventLike>;
    await next(socket, "close");
    const cause = (await error).error as ReconnectError;
    assert.equal(cause.rule, "local-error");
    assert.equal((cause.cause as Error).message, "no token");
  });

  it("reports an exception thrown by shouldRetry as an error event, then closes", async () => {
    const server = startScriptedServer(script({ type: "down" }));
    const thrown = new Error("predicate bug");
    const socket = new ReconnectingWebSocket("ws://test.example/", {
      ...FAST,
      shouldRetry: () => {
        throw thrown;
      },
      transport: server.connector,
    });
    const error = next(socket, "error") as Promise<ErrorEventLike>;
    const close = await next(socket, "close") as CloseEventLike;
    assert.equal((await error).error, thrown);
    assert.equal(close.code, 1006);
    assert.equal(server.attempts, 1);
  });

  it("closes on abort and stops reconnecting", async () => {
    const server = startScriptedServer(script({ type: "accept" }));
    const controller = new AbortController();
    const socket = new ReconnectingWebSocket("ws://test.example/", {
      ...FAST,
      signal: controller.signal,
      transport: server.connector,
    });
    const lines = log(socket);
    await next(socket, "open");
    controller.abort();
    const close = await next(socket, "close") as CloseEventLike;
    assert.equal(close.code, 1001);
    assert.equal(server.attempts, 1);
    assert.deepEqual(lines, ["attempt 1 -", "open 1 -", "close 1001 true"]);
  });

  it("validates its options in the constructor", () => {
    assert.throws(() => new ReconnectingWebSocket("http://[bad"), { name: "SyntaxError" });
    // The connection's own options, checked by the first WebSocket, created at once.
    assert.throws(() => new ReconnectingWebSocket("ws://a/", { pingInterval: -1 }), {
      name: "RangeError",
      message: /pingInterval must be a number of milliseconds/,
    });
    assert.throws(() => new ReconnectingWebSocket("ws://a/", ["a b"]), { name: "SyntaxError" });
    assert.throws(() => new ReconnectingWebSocket("ws://a/", { minDelay: -1 }), {
      name: "RangeError",
      message: /^Cannot create ReconnectingWebSocket: minDelay must be/,
    });
    assert.throws(() => new ReconnectingWebSocket("ws://a/", { outbox: { maxMessages: 1.5 } }), {
      name: "RangeError",
      message:
        "Cannot create ReconnectingWebSocket: outbox.maxMessages must be an integer >= 0, got 1.5",
    });
    assert.throws(
      () => new ReconnectingWebSocket("ws://a/", { shouldRetry: true as unknown as () => boolean }),
      {
        name: "TypeError",
        message: "Cannot create ReconnectingWebSocket: shouldRetry must be a function, got true",
      },
    );
    assert.throws(() => new ReconnectingWebSocket("ws://a/", { headers: 5 as unknown as [] }), {
      name: "TypeError",
      message:
        /^Cannot create ReconnectingWebSocket: headers must be a Headers, a list of \[name, value\] pairs or a record, got 5$/,
    });
    assert.throws(() => new ReconnectingWebSocket("ws://a/", { outbox: 3 as unknown as false }), {
      name: "TypeError",
      message: "Cannot create ReconnectingWebSocket: outbox must be an object or false, got 3",
    });
    // A misspelt option is refused, naming the class, even with a url function.
    assert.throws(
      () =>
        new ReconnectingWebSocket(() => "ws://a/", { maxDelays: 5 } as ReconnectingWebSocketInit),
      {
        name: "TypeError",
        message: 'Cannot create ReconnectingWebSocket: unknown option "maxDelays"',
      },
    );
    // The connection's own options are checked at once too, naming the class.
    assert.throws(() => new ReconnectingWebSocket(() => "ws://a/", { pongTimeout: -1 }), {
      name: "RangeError",
      message: /^Cannot create ReconnectingWebSocket: pongTimeout must be a number of milliseconds/,
    });
  });

  it("checks close() arguments as WebSocket does", () => {
    const socket = new ReconnectingWebSocket(() => new Promise<string>(() => {}), FAST);
    assert.throws(() => socket.close(1001), { name: "InvalidAccessError" });
    assert.throws(() => socket.close(1000, "x".repeat(124)), { name: "SyntaxError" });
    socket.close();
  });
});
