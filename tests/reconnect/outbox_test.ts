import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_OUTBOX, Outbox, OutboxError, utf8Length } from "../../src/reconnect/outbox.ts";

describe("Outbox", () => {
  it("keeps messages in order and hands them all back at once", () => {
    const outbox = new Outbox<number>("test");
    for (let i = 0; i < 10; i++) assert.equal(outbox.push(i, 1), null);
    assert.equal(outbox.length, 10);
    assert.equal(outbox.bytes, 10);
    assert.deepEqual(outbox.take(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(outbox.length, 0);
    assert.equal(outbox.bytes, 0);
    assert.deepEqual(outbox.take(), []);
  });

  it("refuses the message that would pass maxMessages, and keeps the others", () => {
    const outbox = new Outbox<string>("test", { maxMessages: 2 });
    outbox.push("a", 1);
    outbox.push("b", 1);
    const error = outbox.push("c", 1);
    assert.ok(error instanceof OutboxError);
    assert.equal(error.code, "OUTBOX_FULL");
    assert.equal(error.message, "Cannot send: the outbox holds its maximum of 2 messages");
    assert.deepEqual(error.messages, ["c"]);
    assert.deepEqual(outbox.take(), ["a", "b"]);
  });

  it("refuses the message that would pass maxBytes; smaller ones still fit", () => {
    const outbox = new Outbox<string>("test", { maxBytes: 10 });
    assert.equal(outbox.push("a", 6), null);
    const error = outbox.push("b", 5);
    assert.equal(error?.code, "OUTBOX_FULL");
    assert.equal(
      error?.message,
      "Cannot send: 5 more bytes would exceed the outbox's maximum of 10 bytes (6 queued)",
    );
    assert.equal(outbox.push("c", 4), null);
    assert.equal(outbox.bytes, 10);
    assert.deepEqual(outbox.take(), ["a", "c"]);
  });

  it("refuses everything when off", () => {
    const outbox = new Outbox<string>("test", false);
    const error = outbox.push("a", 1);
    assert.equal(error?.code, "NOT_CONNECTED");
    assert.equal(error?.message, "Cannot send: not connected, and the outbox is off");
    assert.equal(outbox.length, 0);
  });

  it("has finite defaults", () => {
    const outbox = new Outbox<number>("test");
    for (let i = 0; i < DEFAULT_OUTBOX.maxMessages; i++) assert.equal(outbox.push(i, 0), null);
    assert.equal(outbox.push(-1, 0)?.code, "OUTBOX_FULL");
    const bytes = new Outbox<number>("test");
    assert.equal(bytes.push(0, DEFAULT_OUTBOX.maxBytes), null);
    assert.equal(bytes.push(1, 1)?.code, "OUTBOX_FULL");
  });

  it("refuses bad limits naming the owner and the option", () => {
    assert.throws(() => new Outbox("Owner", { maxMessages: -1 }), {
      name: "RangeError",
      message: "Cannot create Owner: outbox.maxMessages must be an integer >= 0, got -1",
    });
    assert.throws(() => new Outbox("Owner", { maxBytes: Infinity }), {
      name: "RangeError",
      message: "Cannot create Owner: outbox.maxBytes must be an integer >= 0, got Infinity",
    });
    assert.throws(() => new Outbox("Owner", true as unknown as false), {
      name: "TypeError",
      message: "Cannot create Owner: outbox must be an object or false",
    });
  });
});

describe("utf8Length", () => {
  it("counts UTF-8 bytes as TextEncoder would", () => {
    const encoder = new TextEncoder();
    for (const text of ["", "abc", "é", "€", "😀", "a€😀é", "\u{10FFFF}", "\ud800", "\udc00x"]) {
      assert.equal(utf8Length(text), encoder.encode(text).length, JSON.stringify(text));
    }
  });
});
