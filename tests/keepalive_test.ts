import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Heartbeat, type HeartbeatOptions } from "../src/keepalive.ts";

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function heartbeat(options: Partial<HeartbeatOptions> = {}) {
  const sent: Uint8Array[] = [];
  const timeouts: DOMException[] = [];
  const beat = new Heartbeat({
    interval: 0,
    timeout: 1000,
    sendPing: (data) => sent.push(data.slice()),
    onTimeout: (error) => timeouts.push(error),
    ...options,
  });
  return { beat, sent, timeouts };
}

describe("ping() and pong matching (RFC 6455 §5.5.2, §5.5.3)", () => {
  it("Heartbeat resolves a ping with its round-trip time when the pong with its payload arrives", async () => {
    const { beat, sent } = heartbeat();
    const rtt = beat.ping(new Uint8Array([1, 2, 3]));
    assert.deepEqual(sent, [new Uint8Array([1, 2, 3])]);
    beat.receivePong(new Uint8Array([1, 2, 3]));
    const value = await rtt;
    assert.equal(typeof value, "number");
    assert.ok(value >= 0);
    beat.stop(new Error("done"));
  });

  it("Heartbeat gives each ping a unique payload by default", () => {
    const { beat, sent } = heartbeat();
    void beat.ping().catch(() => {});
    void beat.ping().catch(() => {});
    assert.equal(sent.length, 2);
    assert.notDeepEqual(sent[0], sent[1]);
    beat.stop(new Error("done"));
  });

  it("Heartbeat settles every earlier ping when a later one is answered", async () => {
    const { beat, sent } = heartbeat();
    const first = beat.ping();
    const second = beat.ping();
    beat.receivePong(sent[1]!);
    assert.equal(typeof await first, "number");
    assert.equal(typeof await second, "number");
    beat.stop(new Error("done"));
  });

  it("Heartbeat ignores a pong that answers no ping", async () => {
    const { beat } = heartbeat();
    const pending = beat.ping(new Uint8Array([9]), { timeout: 20 });
    beat.receivePong(new Uint8Array([8]));
    await assert.rejects(pending, (error: DOMException) => error.name === "TimeoutError");
    beat.stop(new Error("done"));
  });

  it("Heartbeat rejects a ping whose pong is late with a TimeoutError", async () => {
    const { beat } = heartbeat();
    await assert.rejects(beat.ping(undefined, { timeout: 10 }), (error: DOMException) => {
      assert.equal(error.name, "TimeoutError");
      assert.equal(error.message, "Cannot ping: no pong within 10 ms");
      return true;
    });
    beat.stop(new Error("done"));
  });

  it("Heartbeat rejects a ping with the signal's reason when aborted", async () => {
    const { beat } = heartbeat();
    const controller = new AbortController();
    const pending = beat.ping(undefined, { signal: controller.signal });
    controller.abort(new Error("stop"));
    await assert.rejects(pending, { message: "stop" });
    await assert.rejects(beat.ping(undefined, { signal: controller.signal }), { message: "stop" });
    beat.stop(new Error("done"));
  });

  it("Heartbeat refuses two pings in flight with the same payload", async () => {
    const { beat } = heartbeat();
    void beat.ping(new Uint8Array([1])).catch(() => {});
    await assert.rejects(
      beat.ping(new Uint8Array([1])),
      (error: DOMException) => error.name === "InvalidStateError",
    );
    beat.stop(new Error("done"));
  });

  it("Heartbeat passes on the error of a ping that cannot be sent", async () => {
    const { beat } = heartbeat({
      sendPing() {
        throw new DOMException("Cannot ping: closed", "InvalidStateError");
      },
    });
    await assert.rejects(beat.ping(), { message: "Cannot ping: closed" });
    beat.stop(new Error("done"));
  });

  it("Heartbeat rejects pings in flight, and new ones, once stopped", async () => {
    const { beat } = heartbeat();
    const pending = beat.ping();
    beat.stop(new Error("closed"));
    await assert.rejects(pending, { message: "closed" });
    await assert.rejects(beat.ping(), (error: DOMException) => error.name === "InvalidStateError");
  });
});

describe("Keepalive", () => {
  it("Heartbeat pings every interval while pongs come back", async () => {
    const { beat, sent, timeouts } = heartbeat({ interval: 5, timeout: 50 });
    beat.start();
    for (let i = 0; i < 3; i++) {
      while (sent.length <= i) await wait(2);
      beat.receivePong(sent[i]!);
    }
    beat.stop(new Error("done"));
    assert.ok(sent.length >= 3);
    assert.deepEqual(timeouts, []);
  });

  it("Heartbeat reports a TimeoutError once when the keepalive pong is late", async () => {
    const { beat, sent, timeouts } = heartbeat({ interval: 5, timeout: 10 });
    beat.start();
    await wait(60);
    assert.equal(sent.length, 1);
    assert.equal(timeouts.length, 1);
    assert.equal(timeouts[0]!.name, "TimeoutError");
    assert.equal(timeouts[0]!.message, "Cannot keep connection alive: no pong within 10 ms");
    beat.stop(new Error("done"));
  });

  it("Heartbeat extends the deadline while nobody reads, and fails once reading resumes", async () => {
    let reading = false;
    const { beat, timeouts } = heartbeat({ interval: 5, timeout: 10, isReading: () => reading });
    beat.start();
    await wait(50);
    assert.equal(timeouts.length, 0);
    reading = true;
    await wait(40);
    assert.equal(timeouts.length, 1);
    beat.stop(new Error("done"));
  });

  it("Heartbeat with an interval of 0 never pings by itself", async () => {
    const { beat, sent } = heartbeat({ interval: 0 });
    beat.start();
    await wait(20);
    assert.equal(sent.length, 0);
    beat.stop(new Error("done"));
  });

  it("Heartbeat leaves no timer behind once stopped", async () => {
    const { beat, sent, timeouts } = heartbeat({ interval: 5, timeout: 5 });
    beat.start();
    beat.stop(new Error("done"));
    await wait(30);
    assert.equal(sent.length, 0);
    assert.equal(timeouts.length, 0);
  });
});

describe("Keepalive while closing", () => {
  it("Heartbeat arms no pong deadline when the keepalive ping cannot be sent", async () => {
    const timeouts: DOMException[] = [];
    const beat = new Heartbeat({
      interval: 5,
      timeout: 5,
      sendPing() {
        throw new DOMException("Cannot ping: closing", "InvalidStateError");
      },
      onTimeout: (error) => timeouts.push(error),
    });
    beat.start();
    await wait(40);
    assert.deepEqual(timeouts, []);
    beat.stop(new Error("done"));
  });

  it("Heartbeat refuses a ping timeout that is negative, NaN or past what timers keep, and sends nothing", async () => {
    const { beat, sent } = heartbeat();
    for (const timeout of [-1, NaN, 2 ** 31]) {
      await assert.rejects(beat.ping(undefined, { timeout }), {
        name: "RangeError",
        message:
          `Cannot ping: timeout must be a number of milliseconds in 0-2147483647 or Infinity, got ${timeout}`,
      });
    }
    assert.equal(sent.length, 0);
    beat.stop(new Error("done"));
  });
});
