import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type AttemptRecord,
  type Link,
  ReconnectError,
  Reconnector,
  type ReconnectorOptions,
  type Timers,
} from "../../src/reconnect/engine.ts";
import { resolveBackoff } from "../../src/reconnect/backoff.ts";
import type { Disconnect } from "../../src/reconnect/policy.ts";
import { HandshakeError } from "../../src/protocol/mod.ts";
import { TransportError } from "../../src/transport/types.ts";

/** A link the test opens, fails or ends by hand. */
class FakeLink implements Link {
  readonly opened: Promise<Disconnect | null>;
  readonly ended: Promise<Disconnect>;
  open!: () => void;
  fail!: (disconnect: Disconnect) => void;
  end!: (disconnect: Disconnect) => void;
  closedWith: [number | undefined, string | undefined][] = [];

  constructor() {
    this.opened = new Promise((resolve) => {
      this.open = () => resolve(null);
      this.fail = resolve;
    });
    this.ended = new Promise((resolve) => this.end = resolve);
  }

  close(code?: number, reason?: string): void {
    this.closedWith.push([code, reason]);
    this.fail({ phase: "connecting", closeCode: 1006, reason: "", wasClean: false, error: null });
    this.end({
      phase: "open",
      closeCode: code ?? 1005,
      reason: reason ?? "",
      wasClean: true,
      error: null,
    });
  }
}

/** Timers that count what is live, firing through real timers with the same delay. */
function countingTimers(): Timers & { live: number; delays: number[] } {
  const handles = new Set<unknown>();
  const timers = {
    live: 0,
    delays: [] as number[],
    setTimeout(callback: () => void, ms: number): unknown {
      timers.delays.push(ms);
      const handle = setTimeout(() => {
        handles.delete(handle);
        timers.live = handles.size;
        callback();
      }, 0);
      handles.add(handle);
      timers.live = handles.size;
      return handle;
    },
    clearTimeout(handle: unknown): void {
      clearTimeout(handle as ReturnType<typeof setTimeout>);
      handles.delete(handle);
      timers.live = handles.size;
    },
  };
  return timers;
}

const refused = (status: number, headers: [string, string][] = []): Disconnect => ({
  phase: "connecting",
  closeCode: 1006,
  reason: "",
  wasClean: false,
  error: new HandshakeError("UNEXPECTED_STATUS", `Cannot open connection: ${status}`, {
    status,
    statusText: "",
    headers,
    body: new Uint8Array(0),
  }),
});
const lost: Disconnect = {
  phase: "connecting",
  closeCode: 1006,
  reason: "",
  wasClean: false,
  error: new TransportError("CONNECT_FAILED", "Cannot connect: refused"),
};
const closedBy = (code: number): Disconnect => ({
  phase: "open",
  closeCode: code,
  reason: "",
  wasClean: true,
  error: null,
});

/** Runs an engine whose links follow a script: one function per attempt. */
function scripted(
  script: ((link: FakeLink) => void)[],
  options: Partial<ReconnectorOptions<FakeLink>> = {},
  backoffOptions: Parameters<typeof resolveBackoff>[1] = {},
) {
  const timers = countingTimers();
  const records: AttemptRecord[] = [];
  const links: FakeLink[] = [];
  const engine = new Reconnector<FakeLink>({
    backoff: resolveBackoff("test", {
      minDelay: 100,
      maxDelay: 1000,
      random: () => 0,
      ...backoffOptions,
    }),
    timers,
    onAttempt: (record) => records.push(record),
    dial: () => {
      const link = new FakeLink();
      links.push(link);
      // One step per dial, in order; the last one repeats.
      const step = script[links.length - 1] ?? script[script.length - 1]!;
      queueMicrotask(() => step(link));
      return link;
    },
    ...options,
  });
  return { engine, timers, records, links };
}

describe("Reconnector", () => {
  it("retries a retryable failure with backoff, reports each attempt, and yields the open link", async () => {
    const { engine, records, timers, links } = scripted([
      (link) => link.fail(lost),
      (link) => link.fail(refused(503, [["retry-after", "2"]])),
      (link) => link.open(),
    ]);
    const iterator = engine.connections();
    const first = await iterator.next();
    assert.equal(first.done, false);
    assert.equal(first.value!.attempt, 3);
    assert.equal(first.value!.link, links[2]);
    assert.deepEqual(records.map((r) => [r.attempt, r.delay, r.rule]), [
      [1, 0, null],
      [2, 100, "transport"],
      [3, 2000, "status-5xx"],
    ]);
    assert.equal(records[0]!.cause, null);
    assert.equal(records[1]!.cause, lost);
    assert.deepEqual(timers.delays, [100, 2000]);
    engine.stop(1000, "bye");
    assert.deepEqual(links[2]!.closedWith, [[1000, "bye"]]);
    assert.deepEqual(await iterator.next(), { done: true, value: undefined });
    assert.equal(timers.live, 0);
  });

  it("gives up on a failure the table does not retry, with a ReconnectError", async () => {
    const { engine, records } = scripted([
      (link) => link.fail(lost),
      (link) => link.fail(refused(401)),
    ]);
    const iterator = engine.connections();
    await assert.rejects(iterator.next(), (error: unknown) => {
      assert.ok(error instanceof ReconnectError);
      assert.equal(error.code, "NOT_RETRIED");
      assert.equal(error.rule, "status-4xx");
      assert.equal(error.attempt, 2);
      assert.equal((error.cause as HandshakeError).status, 401);
      assert.equal(
        error.message,
        "Cannot reconnect: Cannot open connection: 401 (not retried: status-4xx)",
      );
      return true;
    });
    assert.equal(records.length, 2);
  });

  it("lets shouldRetry override the table both ways", async () => {
    const seen: string[] = [];
    const { engine } = scripted(
      [(link) => link.fail(refused(401)), (link) => link.fail(lost)],
      {
        shouldRetry: (disconnect, decision) => {
          seen.push(decision.rule);
          return (disconnect.error as HandshakeError).status === 401;
        },
      },
    );
    await assert.rejects(engine.connections().next(), (error: unknown) => {
      assert.ok(error instanceof ReconnectError);
      assert.equal(error.code, "NOT_RETRIED");
      assert.equal(error.rule, "transport");
      return true;
    });
    assert.deepEqual(seen, ["status-4xx", "transport"]);
  });

  it("gives up after maxAttempts attempts in a row", async () => {
    const { engine, records } = scripted([(link) => link.fail(lost)], {}, { maxAttempts: 3 });
    await assert.rejects(engine.connections().next(), (error: unknown) => {
      assert.ok(error instanceof ReconnectError);
      assert.equal(error.code, "MAX_ATTEMPTS");
      assert.equal(error.attempt, 3);
      assert.equal(
        error.message,
        "Cannot reconnect: 3 attempts failed, the last with: Cannot connect: refused",
      );
      return true;
    });
    assert.deepEqual(records.map((r) => r.attempt), [1, 2, 3]);
  });

  it("counts a connection that dropped soon as a failed attempt, and starts over after one that stayed up", async () => {
    let now = 0;
    const { engine, records, links } = scripted(
      [(link) => link.open()],
      {},
      { now: () => now, resetAfter: 1000, maxAttempts: 10 },
    );
    const iterator = engine.connections();
    await iterator.next(); // attempt 1 open
    now += 10;
    links[0]!.end(closedBy(1012)); // dropped soon: next is attempt 2
    const second = await iterator.next();
    assert.equal(second.value!.attempt, 2);
    now += 5000;
    links[1]!.end(closedBy(1013)); // stayed up: next is attempt 1 again
    const third = await iterator.next();
    assert.equal(third.value!.attempt, 1);
    assert.deepEqual(records.map((r) => [r.attempt, r.rule]), [
      [1, null],
      [2, "service-restart"],
      [1, "try-again-later"],
    ]);
    assert.ok(records[2]!.delay >= 100, "a drop after a stable connection still waits");
    await iterator.return(undefined);
  });

  it("ends the wait at once on stop(), leaving no timer", async () => {
    const { engine, timers, links } = scripted([(link) => link.fail(lost)], {}, {
      minDelay: 60_000,
      maxDelay: 60_000,
    });
    const iterator = engine.connections();
    const step = iterator.next();
    while (timers.live === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    engine.stop();
    assert.deepEqual(await step, { done: true, value: undefined });
    assert.equal(timers.live, 0);
    assert.equal(links.length, 1);
  });

  it("closes an attempt in progress on stop()", async () => {
    const { engine, links } = scripted([() => {}]);
    const iterator = engine.connections();
    const step = iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 1));
    engine.stop();
    assert.deepEqual(await step, { done: true, value: undefined });
    assert.equal(links[0]!.closedWith.length, 1);
  });

  it("throws the signal's reason when aborted, and removes its listener", async () => {
    const controller = new AbortController();
    let aborted: unknown = null;
    const { engine, timers } = scripted([(link) => link.fail(lost)], {
      signal: controller.signal,
      onAbort: (reason) => aborted = reason,
    }, { minDelay: 60_000, maxDelay: 60_000 });
    const step = engine.connections().next();
    while (timers.live === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    const reason = new Error("stop now");
    controller.abort(reason);
    await assert.rejects(step, (error: unknown) => error === reason);
    assert.equal(aborted, reason);
    assert.equal(timers.live, 0);
    assert.equal(engine.stopped, true);
  });

  it("throws at once for a signal aborted before the start", async () => {
    const reason = new Error("already");
    const { engine, records } = scripted([(link) => link.open()], {
      signal: AbortSignal.abort(reason),
    });
    await assert.rejects(engine.connections().next(), (error: unknown) => error === reason);
    assert.equal(records.length, 0);
  });

  it("classifies what dial throws as a local error and stops", async () => {
    const engine = new Reconnector<FakeLink>({
      backoff: resolveBackoff("test", { minDelay: 1 }),
      dial: () => {
        throw new Error("no token");
      },
    });
    await assert.rejects(engine.connections().next(), (error: unknown) => {
      assert.ok(error instanceof ReconnectError);
      assert.equal(error.rule, "local-error");
      assert.equal((error.cause as Error).message, "no token");
      return true;
    });
  });
});
