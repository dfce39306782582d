/**
 * The event classes of the WHATWG layer: the runtime's own `CloseEvent`
 * and `ErrorEvent` where it has them, spec-shaped fallbacks otherwise
 * (https://websockets.spec.whatwg.org/#the-closeevent-interface).
 *
 * @module
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CloseEvent,
  DirectCloseEvent,
  DirectEvent,
  DirectMessageEvent,
  ErrorEvent,
  WebSocketMessageEvent,
} from "../../src/web/events.ts";

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

describe("DirectMessageEvent", () => {
  it("reads as a MessageEvent at its target until finish(), then as after a dispatch", () => {
    const target = new EventTarget();
    const event = new DirectMessageEvent("hi", "ws://a.test", target) as unknown as MessageEvent;
    assert.ok(event instanceof MessageEvent && event instanceof Event);
    assert.deepEqual(
      [event.type, event.data, event.origin, event.lastEventId, event.source, event.ports.length],
      ["message", "hi", "ws://a.test", "", null, 0],
    );
    assert.deepEqual([event.target, event.currentTarget, event.eventPhase], [target, target, 2]);
    assert.deepEqual(event.composedPath(), [target]);
    event.preventDefault();
    event.stopImmediatePropagation();
    assert.deepEqual([event.defaultPrevented, event.returnValue, event.cancelable], [
      false,
      true,
      false,
    ]);
    assert.deepEqual([event.bubbles, event.composed, event.isTrusted], [false, false, false]);
    (event as unknown as DirectMessageEvent).finish();
    assert.deepEqual([event.target, event.currentTarget, event.eventPhase], [target, null, 0]);
    assert.deepEqual(event.composedPath(), []);
  });

  it("stamps the events of one synchronous run alike, to the millisecond of performance.now()", async () => {
    const target = new EventTarget();
    const before = performance.now();
    const a = new DirectMessageEvent(1, "", target);
    const b = new DirectMessageEvent(2, "", target);
    assert.equal(a.timeStamp, b.timeStamp);
    assert.ok(Math.abs(a.timeStamp - before) <= 2, `${a.timeStamp} vs ${before}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const c = new DirectMessageEvent(3, "", target);
    assert.ok(c.timeStamp > a.timeStamp, "a later run gets a later stamp");
  });
});

describe("DirectEvent and DirectCloseEvent", () => {
  it("read as an Event at its target until finish(), then as after a dispatch", () => {
    const target = new EventTarget();
    const event = new DirectEvent("open", target) as unknown as Event;
    assert.ok(event instanceof Event);
    assert.equal(Object.prototype.toString.call(event), "[object Event]");
    assert.equal(event.type, "open");
    assert.deepEqual([event.target, event.currentTarget, event.eventPhase], [target, target, 2]);
    assert.deepEqual(event.composedPath(), [target]);
    event.preventDefault();
    assert.deepEqual([event.defaultPrevented, event.returnValue, event.cancelable], [
      false,
      true,
      false,
    ]);
    assert.deepEqual([event.bubbles, event.composed, event.isTrusted], [false, false, false]);
    // The constants come from the runtime's prototype (Node has them on the class only).
    const real = new Event("open");
    assert.deepEqual([event.NONE, event.AT_TARGET], [real.NONE, real.AT_TARGET]);
    (event as unknown as DirectEvent).finish();
    assert.deepEqual([event.target, event.currentTarget, event.eventPhase], [target, null, 0]);
    assert.deepEqual(event.composedPath(), []);
  });

  it("DirectCloseEvent is a CloseEvent with its own wasClean, code and reason", () => {
    const target = new EventTarget();
    const init = { wasClean: false, code: 1006, reason: "gone" };
    const event = new DirectCloseEvent(target, init) as unknown as CloseEvent;
    const real = new CloseEvent("close", init);
    assert.ok(event instanceof CloseEvent && event instanceof Event);
    assert.equal(Object.prototype.toString.call(event), Object.prototype.toString.call(real));
    assert.deepEqual(
      [event.type, event.wasClean, event.code, event.reason],
      [real.type, real.wasClean, real.code, real.reason],
    );
    assert.deepEqual([event.target, event.currentTarget, event.eventPhase], [target, target, 2]);
    (event as unknown as DirectCloseEvent).finish();
    assert.deepEqual([event.currentTarget, event.eventPhase], [null, 0]);
  });
});
