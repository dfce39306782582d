/**
 * The event classes of the WHATWG layer: the runtime's own `CloseEvent`
 * and `ErrorEvent` where it has them, spec-shaped fallbacks otherwise
 * (https://websockets.spec.whatwg.org/#the-closeevent-interface).
 *
 * @module
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CloseEvent, ErrorEvent, WebSocketMessageEvent } from "../../src/web/events.ts";

const globals = globalThis as { CloseEvent?: unknown; ErrorEvent?: unknown };

describe("CloseEvent", () => {
  it("is the runtime's own class when it has one", () => {
    if (globals.CloseEvent !== undefined) assert.equal(CloseEvent, globals.CloseEvent);
    else assert.equal(typeof CloseEvent, "function");
  });

  it("defaults to wasClean false, code 0 and an empty reason", () => {
    const event = new CloseEvent("close");
    assert.ok(event instanceof Event);
    assert.equal(event.type, "close");
    assert.equal(event.wasClean, false);
    assert.equal(event.code, 0);
    assert.equal(event.reason, "");
    assert.equal(event.bubbles, false);
    assert.equal(event.cancelable, false);
  });

  it("takes wasClean, code, reason and the EventInit fields", () => {
    const event = new CloseEvent("close", {
      wasClean: true,
      code: 4000,
      reason: "bye",
      bubbles: true,
      cancelable: true,
    });
    assert.equal(event.wasClean, true);
    assert.equal(event.code, 4000);
    assert.equal(event.reason, "bye");
    assert.equal(event.bubbles, true);
    assert.equal(event.cancelable, true);
  });

  it("reaches listeners through an EventTarget with its fields", () => {
    const target = new EventTarget();
    let seen: { code: number; reason: string; wasClean: boolean } | null = null;
    target.addEventListener("close", (event) => {
      const close = event as InstanceType<typeof CloseEvent>;
      seen = { code: close.code, reason: close.reason, wasClean: close.wasClean };
    });
    target.dispatchEvent(new CloseEvent("close", { code: 1006, wasClean: false }));
    assert.deepEqual(seen, { code: 1006, reason: "", wasClean: false });
  });
});

describe("ErrorEvent", () => {
  it("is the runtime's own class when it has one", () => {
    if (globals.ErrorEvent !== undefined) assert.equal(ErrorEvent, globals.ErrorEvent);
    else assert.equal(typeof ErrorEvent, "function");
  });

  it("defaults to an empty message", () => {
    const event = new ErrorEvent("error");
    assert.ok(event instanceof Event);
    assert.equal(event.type, "error");
    assert.equal(event.message, "");
  });

  it("carries the message and the error object", () => {
    const cause = new TypeError("boom");
    const event = new ErrorEvent("error", { message: "boom", error: cause });
    assert.equal(event.message, "boom");
    assert.equal(event.error, cause);
  });
});

describe("WebSocketMessageEvent", () => {
  it("passes for the runtime's MessageEvent: instanceof, type, data, origin and the empty fields", () => {
    const data = new ArrayBuffer(2);
    const event = new WebSocketMessageEvent(data, "ws://example.com");
    assert.ok(event instanceof MessageEvent);
    assert.ok(event instanceof Event);
    assert.equal(event.type, "message");
    assert.equal(event.data, data);
    assert.equal(event.origin, "ws://example.com");
    assert.equal(event.lastEventId, "");
    assert.equal(event.source, null);
    assert.deepEqual(event.ports, []);
    assert.equal(event.bubbles, false);
    assert.equal(event.cancelable, false);
  });

  it("is dispatched like any event, with target and currentTarget set", () => {
    const target = new EventTarget();
    let seen: Event | null = null;
    target.addEventListener("message", (event) => {
      seen = event;
      assert.equal(event.target, target);
      assert.equal(event.currentTarget, target);
    });
    target.dispatchEvent(new WebSocketMessageEvent("hi", "ws://example.com"));
    assert.equal((seen as MessageEvent | null)?.data, "hi");
  });
});
