/**
 * The driver (`src/driver.ts`): the one loop between a transport and a
 * sans-I/O connection, over the in-memory transport pair. Each case follows
 * a step of the loop documented in `src/protocol/mod.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { framePool } from "../src/_frame_pool.ts";
import { Driver, MESSAGE_BATCH } from "../src/driver.ts";
import { Connection } from "../src/protocol/connection/connection.ts";
import { InvalidStateError } from "../src/protocol/errors.ts";
import type { ConnectionEvent } from "../src/protocol/connection/events.ts";
import { FrameParser } from "../src/protocol/frames/frame_parser.ts";
import { createMemoryTransportPair, type MemoryTransport } from "../src/transport/memory.ts";
import { type Bytes, type Transport, TransportError } from "../src/transport/types.ts";
import {
  cleanUp,
  closeFrameBytes,
  concatBytes,
  delay,
  frameBytes,
  onCleanUp,
  OP,
  tick,
  trackTimers,
  utf8,
} from "./_util/fake_server.ts";
import { fixedRandomBytes } from "./_util/fixed_random.ts";

interface Setup {
  readonly driver: Driver;
  readonly connection: Connection;
  readonly client: MemoryTransport;
  readonly server: MemoryTransport;
  readonly events: ConnectionEvent[];
}

/** A driver over an open client connection and one side of a memory pair; the test holds the other. */
function setup(
  options: { closeTimeout?: number; side?: "client" | "server"; highWaterMark?: number } = {},
): Setup {
  const [client, server] = createMemoryTransportPair(
    options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark },
  );
  const connection = new Connection(options.side ?? "client", "open", {
    randomBytes: fixedRandomBytes(),
  });
  const events: ConnectionEvent[] = [];
  const driver = new Driver(connection, client, {
    closeTimeout: options.closeTimeout ?? 10_000,
    onEvent: (event) => events.push(event),
  });
  onCleanUp(() => {
    driver.abort();
    server.close();
  });
  return { driver, connection, client, server, events };
}

/** Decodes client (masked) or server (unmasked) frames from one chunk; payloads as Latin-1 text. */
function decode(chunk: Uint8Array, masked = true): Array<[number, string]> {
  const parser = new FrameParser({ maxFrameSize: 1 << 24, expectMask: masked });
  parser.push(chunk);
  const frames: Array<[number, string]> = [];
  for (let frame = parser.next(); frame !== null; frame = parser.next()) {
    frames.push([frame.opcode, String.fromCharCode(...frame.payload)]);
  }
  assert.equal(parser.bufferedAmount, 0, "the chunk ends on a frame boundary");
  return frames;
}

/** The code of the last event, which must be the close event. */
function closeCode(events: readonly ConnectionEvent[]): number {
  const last = events.at(-1);
  assert.ok(last?.type === "close", `the last event is ${last?.type}, not close`);
  return last.code;
}

describe("Driver step 3: writing dataToSend()", () => {
  afterEach(cleanUp);

  it("coalesces the sends of one tick into one transport write, after a microtask", async () => {
    const { driver, server, client } = setup();
    driver.send((c) => c.sendText("a"));
    driver.send((c) => c.sendText("bb"));
    driver.send((c) => c.sendBinary(new Uint8Array([1])));
    // Nothing reached the transport yet, but the bytes are counted.
    assert.equal(client.bufferedAmount, 0);
    assert.equal(driver.bufferedAmount, 3 * 6 + 1 + 2 + 1);
    const chunk = await server.read();
    assert.ok(chunk !== null);
    assert.deepEqual(decode(chunk), [[OP.Text, "a"], [OP.Text, "bb"], [OP.Binary, "\u0001"]]);
    // All in the first chunk: nothing else is waiting.
    assert.equal(client.bufferedAmount, 0);
    assert.equal(driver.bufferedAmount, 0);
  });

  it("defers the flush with a promise reaction, not queueMicrotask (an AsyncResource per call on Node)", async () => {
    const { driver, server } = setup();
    const original = globalThis.queueMicrotask;
    let queued = 0;
    globalThis.queueMicrotask = (callback) => {
      queued++;
      original(callback);
    };
    try {
      driver.send((c) => c.sendText("a"));
      await Promise.resolve();
    } finally {
      globalThis.queueMicrotask = original;
    }
    assert.equal(queued, 0);
    assert.deepEqual(decode((await server.read())!), [[OP.Text, "a"]]);
  });

  it("writes the sends of separate ticks separately", async () => {
    const { driver, server } = setup();
    driver.send((c) => c.sendText("one"));
    await Promise.resolve();
    await Promise.resolve();
    driver.send((c) => c.sendText("two"));
    const first = await server.read();
    const second = await server.read();
    assert.deepEqual(decode(first!), [[OP.Text, "one"]]);
    assert.deepEqual(decode(second!), [[OP.Text, "two"]]);
  });

  it("writes chunks of 16 KiB or more on their own, keeping the order", async () => {
    const { driver, server } = setup();
    const big = "x".repeat(20_000);
    driver.send((c) => c.sendText("before"));
    driver.send((c) => c.sendText(big));
    driver.send((c) => c.sendText("after"));
    const chunks = [await server.read(), await server.read(), await server.read()];
    assert.deepEqual(chunks.map((chunk) => decode(chunk!).map(([, text]) => text.length)), [[6], [
      20_000,
    ], [5]]);
  });

  it("act() writes at once, after the sends still waiting for their microtask", async () => {
    const { driver, server, client } = setup();
    driver.send((c) => c.sendText("queued"));
    driver.act((c) => c.sendText("now"));
    // act() flushes everything the connection produced, in the order produced.
    assert.ok(client.bufferedAmount > 0, "written synchronously");
    const chunk = await server.read();
    assert.deepEqual(decode(chunk!), [[OP.Text, "queued"], [OP.Text, "now"]]);
  });

  it("lets a send that throws propagate, writing nothing for it", async () => {
    const { driver, connection, client } = setup();
    connection.sendClose(1000);
    driver.flush();
    const before = client.bufferedAmount;
    assert.throws(() => driver.send((c) => c.sendText("late")), InvalidStateError);
    await Promise.resolve();
    assert.equal(client.bufferedAmount, before);
  });

  it("half-closes the transport for an end-of-stream marker, after the bytes before it", async () => {
    // A server-side connection ends its side after answering a close frame (§7.1.1).
    const { driver, server: peer } = setup({ side: "server" });
    peer.write(frameBytes(OP.Close, new Uint8Array([0x03, 0xe8]), { mask: [1, 2, 3, 4] }));
    await driver.pump();
    const answer = await peer.read();
    assert.deepEqual(decode(answer!, false), [[OP.Close, "\u0003\u00e8"]]);
    assert.equal(await peer.read(), null, "end of stream after the close frame");
  });
});

describe("Driver steps 1-2 and 5: reading and reporting", () => {
  afterEach(cleanUp);

  it("pump() reads one chunk, feeds it, and reports its events in order", async () => {
    const { driver, server, events } = setup();
    server.write(concatBytes(frameBytes(OP.Text, "one"), frameBytes(OP.Text, "two")));
    server.write(frameBytes(OP.Text, "three"));
    assert.equal(await driver.pump(), true);
    assert.deepEqual(events.map((event) => event.type === "message" && event.data), ["one", "two"]);
    assert.equal(await driver.pump(), true);
    assert.equal(events.length, 3);
  });

  it("dispatches a chunk of many messages in batches of MESSAGE_BATCH, parsing the next batch after the last one's events", async () => {
    const { driver, server, connection, client } = setup();
    const count = MESSAGE_BATCH * 2 + 10;
    const frames: Uint8Array[] = [];
    for (let i = 0; i < count; i++) frames.push(frameBytes(OP.Text, String(i)));
    // A ping in the second batch: the frame path, in order among the messages.
    frames.splice(MESSAGE_BATCH + 5, 0, frameBytes(OP.Ping, "p"));
    // The unparsed rest of the chunk when each message is dispatched.
    const left: number[] = [];
    const seen: string[] = [];
    const batched = new Driver(connection, client, {
      closeTimeout: 10_000,
      onEvent(event) {
        if (event.type === "message") {
          left.push(connection.bufferedAmount);
          seen.push(event.data as string);
        } else seen.push(event.type);
      },
    });
    onCleanUp(() => batched.abort());
    void driver;
    server.write(concatBytes(...frames));
    assert.equal(await batched.pump(), true);
    const expected = Array.from({ length: count }, (_, i) => String(i));
    expected.splice(MESSAGE_BATCH + 5, 0, "ping");
    assert.deepEqual(seen, expected);
    // The first batch's events go out while the rest of the chunk is unparsed;
    // the last batch's, once it is all parsed.
    assert.ok(left[0]! > 0);
    assert.ok(left[MESSAGE_BATCH - 1]! > 0);
    assert.equal(left[MESSAGE_BATCH * 2]!, 0);
    assert.equal(left.at(-1), 0);
    // The pong answering the ping was written.
    const pong = await server.read();
    assert.deepEqual(decode(pong!), [[OP.Pong, "p"]]);
  });

  it("does not read from the transport unless pumped", async () => {
    const { server, events } = setup();
    server.write(frameBytes(OP.Text, "unread"));
    await delay(5);
    assert.equal(server.bufferedAmount, frameBytes(OP.Text, "unread").length);
    assert.equal(events.length, 0);
  });

  it("shares one read between concurrent pump() calls", async () => {
    const { driver, server, events } = setup();
    const first = driver.pump();
    const second = driver.pump();
    assert.equal(first, second);
    server.write(frameBytes(OP.Text, "x"));
    assert.deepEqual(await Promise.all([first, second]), [true, true]);
    assert.equal(events.length, 1);
  });

  it("answers a ping through the transport (the core's duty, written by the driver)", async () => {
    const { driver, server, events } = setup();
    server.write(frameBytes(OP.Ping, "hb"));
    await driver.pump();
    assert.deepEqual(decode((await server.read())!), [[OP.Pong, "hb"]]);
    assert.equal(events[0]?.type, "ping");
  });

  it("run() pumps until the close event, then releases the transport and resolves", async () => {
    const { driver, server, events, client } = setup();
    const running = driver.run();
    server.write(closeFrameBytes(1000, "bye"));
    assert.deepEqual(decode((await server.read())!), [[OP.Close, "\u0003\u00e8"]]);
    server.close();
    await running;
    assert.equal(driver.ended, true);
    assert.deepEqual(events.map((event) => event.type), ["closing", "close"]);
    assert.deepEqual(events.at(-1), {
      type: "close",
      code: 1000,
      reason: "bye",
      wasClean: true,
      error: null,
    });
    await client.closed;
    assert.equal(await driver.pump(), false, "pump() after the end resolves false");
  });

  it("run() waits in one transport read at a time, through callbacks, not async frames", async () => {
    const { driver, server, client } = setup();
    // The loop is a chain of callbacks: an idle connection holds its one
    // pending read, not the suspended frames of `while (await pump())`.
    assert.notEqual(Object.getPrototypeOf(driver.run).constructor.name, "AsyncFunction");
    let reads = 0;
    const read = client.read.bind(client);
    client.read = () => {
      reads++;
      return read();
    };
    const running = driver.run();
    await tick();
    await tick();
    assert.equal(reads, 1, "one read while idle");
    server.write(frameBytes(OP.Text, "a"));
    server.write(frameBytes(OP.Text, "b"));
    await tick();
    await tick();
    assert.ok(reads >= 2, "the next read starts after a chunk");
    server.write(closeFrameBytes(1000, ""));
    await server.read();
    server.close();
    await running;
    assert.equal(driver.ended, true);
  });

  it("start() runs the same loop without a promise: reads until the close event", async () => {
    const { driver, server, events, client } = setup();
    assert.equal(driver.start(), undefined);
    server.write(frameBytes(OP.Text, "one"));
    server.write(closeFrameBytes(1000, ""));
    assert.deepEqual(decode((await server.read())!), [[OP.Close, "\u0003\u00e8"]]);
    server.close();
    await client.closed;
    assert.equal(driver.ended, true);
    assert.deepEqual(events.map((event) => event.type), ["message", "closing", "close"]);
  });

  it("keeps a user-written transport's thenable read working", async () => {
    const { driver, server, client, events } = setup();
    const read = client.read.bind(client);
    client.read = () => {
      const promise = read();
      // A thenable that is not a native promise.
      return { then: (ok: never, fail: never) => promise.then(ok, fail) } as never;
    };
    server.write(frameBytes(OP.Text, "hi"));
    assert.equal(await driver.pump(), true);
    assert.deepEqual(events.map((event) => event.type), ["message"]);
  });

  it("reports a transport error as transportError and a close with 1006", async () => {
    const { driver, server, events } = setup();
    server.reset();
    assert.equal(await driver.pump(), false);
    assert.ok(driver.transportError instanceof TransportError);
    assert.equal((driver.transportError as TransportError).code, "CONNECTION_LOST");
    assert.equal(closeCode(events), 1006);
    assert.equal(driver.ended, true);
  });
});

describe("Driver step 4: the close timer (RFC 6455 §7.1.1)", () => {
  afterEach(cleanUp);

  it("closes the transport when the peer does not answer our close frame within closeTimeout", async () => {
    const timers = trackTimers();
    try {
      const { driver, server, events, client } = setup({ closeTimeout: 20 });
      const running = driver.run();
      const started = Date.now();
      driver.act((c) => c.sendClose(1000));
      assert.equal(timers.pending, 1, "the timer starts with our close frame");
      assert.deepEqual(decode((await server.read())!), [[OP.Close, "\u0003\u00e8"]]);
      assert.equal(await server.read(), null, "the client closed the transport");
      await running;
      assert.ok(Date.now() - started >= 15);
      assert.equal(events.at(-1)?.type, "close");
      assert.equal(
        events.at(-1)?.type === "close" && (events.at(-1) as { code: number }).code,
        1006,
      );
      await client.closed;
      assert.equal(timers.pending, 0);
    } finally {
      timers.restore();
    }
  });

  it("closes the transport when the peer answered but never hangs up (the close stays clean)", async () => {
    const { driver, server, events } = setup({ closeTimeout: 20 });
    const running = driver.run();
    driver.act((c) => c.sendClose(3000));
    await server.read();
    server.write(closeFrameBytes(3000));
    await running;
    assert.deepEqual(events.at(-1), {
      type: "close",
      code: 3000,
      reason: "",
      wasClean: true,
      error: null,
    });
  });

  it("clears the timer when the peer ends the transport first", async () => {
    const timers = trackTimers();
    try {
      const { driver, server } = setup({ closeTimeout: 60_000 });
      const running = driver.run();
      driver.act((c) => c.sendClose(1000));
      await server.read();
      server.write(closeFrameBytes(1000));
      server.close();
      await running;
      assert.equal(timers.pending, 0, `pending timers: ${timers.pendingDelays}`);
    } finally {
      timers.restore();
    }
  });

  it("starts the timer after a protocol violation and does not start it twice", async () => {
    const timers = trackTimers();
    try {
      const { driver, server, events } = setup({ closeTimeout: 20 });
      server.write(frameBytes(OP.Text, new Uint8Array([0xff])));
      await driver.pump();
      assert.deepEqual(decode((await server.read())!), [[OP.Close, "\u0003\u00ef"]]); // 1007
      assert.equal(timers.pending, 1);
      server.write(frameBytes(OP.Text, "ignored"));
      await driver.pump();
      assert.equal(timers.pending, 1);
      await driver.run();
      assert.equal(events.at(-1)?.type, "close");
      assert.equal(timers.pending, 0);
    } finally {
      timers.restore();
    }
  });
});

describe("Driver abort()", () => {
  afterEach(cleanUp);

  it("closes the transport now and reports one close event (1006) in a microtask", async () => {
    const { driver, server, events, client } = setup();
    driver.abort();
    assert.equal(events.length, 0, "not inside the caller's call");
    driver.abort();
    await delay(1);
    assert.deepEqual(events.map((event) => event.type), ["close"]);
    assert.equal(closeCode(events), 1006);
    assert.equal(driver.ended, true);
    await client.closed;
    assert.equal(await server.read(), null);
    driver.abort();
    await delay(1);
    assert.equal(events.length, 1);
  });

  it("does nothing after the connection ended", async () => {
    const { driver, server, events } = setup();
    const running = driver.run();
    server.write(closeFrameBytes(1000));
    await server.read();
    server.close();
    await running;
    driver.abort();
    await delay(1);
    assert.deepEqual(events.map((event) => event.type), ["closing", "close"]);
  });

  it("ends a pending pump() with the close event", async () => {
    const { driver, events } = setup();
    const pumping = driver.pump();
    driver.abort();
    assert.equal(await pumping, false);
    await delay(1);
    assert.equal(events.filter((event) => event.type === "close").length, 1);
  });
});

describe("Driver with a server that writes faster than the client reads", () => {
  afterEach(cleanUp);

  it("leaves the server's bytes in the transport until pumped (pull-based reading)", async () => {
    const { driver, server, events } = setup({ highWaterMark: 16 });
    let accepted = 0;
    for (let i = 0; i < 10; i++) if (server.write(frameBytes(OP.Text, utf8(`m${i}`)))) accepted++;
    assert.ok(accepted < 10, "the server saw backpressure");
    const before = server.bufferedAmount;
    await driver.pump();
    assert.equal(events.length, 1);
    assert.ok(server.bufferedAmount < before);
    while (events.length < 10) await driver.pump();
    assert.equal(server.bufferedAmount, 0);
  });
});

describe("Driver: reading waits for a write backlog to drain", () => {
  afterEach(cleanUp);

  it("stops reading while pongs the peer does not read pile up, and reads on once they drain", async () => {
    const [client, server] = createMemoryTransportPair({ highWaterMark: 64 });
    const connection = new Connection("client", "open", { randomBytes: fixedRandomBytes() });
    const pings: ConnectionEvent[] = [];
    const driver = new Driver(connection, client, {
      closeTimeout: 10_000,
      pauseReadingAt: 100,
      onEvent: (event) => pings.push(event),
    });
    onCleanUp(() => {
      driver.abort();
      server.close();
    });
    const ping = frameBytes(OP.Ping, "x".repeat(100));
    for (let i = 0; i < 20; i++) server.write(ping);
    void driver.run();
    await delay(20);
    // One ping answered puts 106 unread bytes in front of the server: past 100.
    assert.equal(pings.length, 1);
    assert.ok(client.bufferedAmount > 100, `${client.bufferedAmount} bytes unsent`);
    // The server reads the pongs: the driver reads the next pings.
    for (let i = 0; i < 20; i++) {
      await server.read();
      await delay(1);
    }
    assert.equal(pings.length, 20);
  });
});

/** A transport whose writes complete only when the test says so: it keeps the chunks, not copies. */
class SlowTransport implements Transport {
  readonly tls = false;
  readonly remoteAddress = null;
  readonly closed: Promise<void> = new Promise(() => {});
  readonly inFlight: { chunk: Uint8Array; onWritten: (() => void) | undefined }[] = [];
  readonly wire: Uint8Array[] = [];
  get bufferedAmount(): number {
    return this.inFlight.reduce((sum, { chunk }) => sum + chunk.length, 0);
  }
  read(): Promise<Bytes | null> {
    return new Promise(() => {});
  }
  write(chunk: Uint8Array, onWritten?: () => void): boolean {
    this.inFlight.push({ chunk, onWritten });
    return true;
  }
  /** Writes the oldest `n` chunks now: their bytes as they are at this moment. */
  complete(n: number): void {
    for (const { chunk, onWritten } of this.inFlight.splice(0, n)) {
      this.wire.push(chunk.slice());
      onWritten?.();
    }
  }
  drained(): Promise<void> {
    return Promise.resolve();
  }
  closeWrite(): void {}
  close(): void {}
}

describe("Driver: large frames in reused buffers", () => {
  const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

  it("reuses a frame's buffer only after the transport reported it written; the bytes on the wire stay intact", async () => {
    const transport = new SlowTransport();
    const connection = new Connection("client", "open", {
      randomBytes: fixedRandomBytes(),
      allocateFrame: framePool.allocate,
    });
    const driver = new Driver(connection, transport, { closeTimeout: 10_000, onEvent: () => {} });
    const size = 100 * 1024;
    const sent: Uint8Array[] = [];
    const buffers = new Set<ArrayBufferLike>();
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < 3; i++) {
        const payload = new Uint8Array(size).fill(sent.length + 1);
        sent.push(payload);
        driver.send((c) => c.sendBinary(payload));
      }
      await tick();
      // No buffer is out twice at once.
      const out = transport.inFlight.map(({ chunk }) => chunk.buffer);
      assert.equal(new Set(out).size, out.length, `round ${round}`);
      for (const buffer of out) buffers.add(buffer);
      assert.ok(transport.inFlight.every(({ onWritten }) => onWritten !== undefined));
      // Write some now, leave the rest out while the next round encodes.
      transport.complete(2);
    }
    transport.complete(transport.inFlight.length);
    assert.ok(buffers.size < sent.length, `${buffers.size} buffers for ${sent.length} frames`);
    const parser = new FrameParser({ maxFrameSize: 1 << 24, expectMask: true });
    for (const chunk of transport.wire) parser.push(chunk);
    for (const [index, payload] of sent.entries()) {
      const frame = parser.next();
      assert.ok(frame !== null);
      assert.deepEqual(frame.payload, payload, `frame ${index}`);
    }
    assert.equal(parser.next(), null);
  });

  it("passes no onWritten for large frames in buffers of its own", async () => {
    const transport = new SlowTransport();
    const connection = new Connection("client", "open", { randomBytes: fixedRandomBytes() });
    const driver = new Driver(connection, transport, { closeTimeout: 10_000, onEvent: () => {} });
    driver.send((c) => c.sendBinary(new Uint8Array(100 * 1024)));
    await tick();
    assert.equal(transport.inFlight.length, 1);
    assert.equal(transport.inFlight[0]!.onWritten, undefined);
  });
});
