import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  connectDeno,
  createDenoConnector,
  type DenoConnLike,
  type DenoLike,
} from "../../src/transport/deno.ts";
import { TransportError } from "../../src/transport/types.ts";
import { runtime, transportSuite } from "../_util/transport_suite.ts";

/** A scripted `Deno.Conn`: reads come from `incoming`, writes can be held. */
class FakeConn implements DenoConnLike {
  readonly remoteAddr: DenoConnLike["remoteAddr"];
  readonly events: string[] = [];
  readonly written: Uint8Array[] = [];
  readonly readBuffers: Uint8Array[] = [];
  /** Scripted results of `read()`: a byte count to fill, `null` for EOF, or an error. */
  readonly incoming: (number | null | Error)[] = [];
  maxWrite = Infinity;
  writeError: Error | null = null;
  closed = false;
  #held: Promise<void> | null = null;
  #release: () => void = () => {};
  #pendingRead: { resolve(n: number | null): void; reject(error: Error): void } | null = null;

  constructor(remoteAddr: DenoConnLike["remoteAddr"] = { hostname: "192.0.2.1", port: 80 }) {
    this.remoteAddr = remoteAddr;
  }

  read(buffer: Uint8Array): Promise<number | null> {
    this.readBuffers.push(buffer);
    return new Promise((resolve, reject) => {
      this.#pendingRead = { resolve, reject };
      this.feed();
    });
  }

  /** Settles a pending read with the next scripted result. */
  feed(): void {
    const reader = this.#pendingRead;
    if (!reader || this.incoming.length === 0) return;
    this.#pendingRead = null;
    const next = this.incoming.shift()!;
    if (next instanceof Error) return reader.reject(next);
    if (next !== null) this.readBuffers.at(-1)!.fill(this.readBuffers.length, 0, next);
    reader.resolve(next);
  }

  async write(bytes: Uint8Array): Promise<number> {
    this.events.push("write");
    await this.#held;
    if (this.closed) throw new Error("Interrupted");
    if (this.writeError) throw this.writeError;
    const n = Math.min(bytes.byteLength, this.maxWrite);
    this.written.push(bytes.slice(0, n));
    return n;
  }

  closeWrite(): Promise<void> {
    this.events.push("closeWrite");
    return Promise.resolve();
  }

  close(): void {
    if (this.closed) throw new Error("BadResource");
    this.closed = true;
    this.events.push("close");
    this.#pendingRead?.reject(new Error("Interrupted: operation canceled"));
    this.#pendingRead = null;
    this.#release();
  }

  setNoDelay(noDelay?: boolean): void {
    this.events.push(`setNoDelay ${noDelay}`);
  }

  /** What `handshake()` does; tests replace it. */
  onHandshake: () => Promise<unknown> = () => Promise.resolve({ alpnProtocol: null });

  handshake(): Promise<unknown> {
    this.events.push("handshake");
    return this.onHandshake();
  }

  hold(): void {
    this.#held = new Promise((resolve) => (this.#release = resolve));
  }

  release(): void {
    this.#held = null;
    this.#release();
  }

  joined(): number[] {
    return this.written.flatMap((chunk) => [...chunk]);
  }
}

/** A fake namespace recording its calls. */
function fakeDeno(conn = new FakeConn()) {
  const calls: unknown[] = [];
  let connectError: Error | null = null;
  let tlsConn: FakeConn | null = null;
  const deno: DenoLike = {
    connect(options: object) {
      calls.push({ connect: options });
      return connectError ? Promise.reject(connectError) : Promise.resolve(conn);
    },
    startTls(tcp: DenoConnLike, options: object) {
      calls.push({ startTls: options, sameConn: tcp === conn });
      tlsConn = new FakeConn();
      return Promise.resolve(tlsConn);
    },
  } as DenoLike;
  return {
    deno,
    conn,
    calls,
    failConnect(error: Error) {
      connectError = error;
    },
    get tlsConn() {
      return tlsConn!;
    },
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const target = { hostname: "example.com", port: 80 };

describe("connectDeno over loopback sockets", () => {
  transportSuite({
    connector: connectDeno,
    skip: runtime !== "deno" && "needs Deno",
    insecureTls: false,
  });
});

describe("createDenoConnector: connecting", () => {
  it(
    "rejects with UNSUPPORTED outside Deno",
    { skip: runtime === "deno" && "Deno is present" },
    async () => {
      await assert.rejects(connectDeno(target), (error: unknown) => {
        assert.ok(error instanceof TransportError);
        assert.equal(error.code, "UNSUPPORTED");
        assert.equal(error.message, "Cannot connect: the Deno namespace is not available");
        return true;
      });
    },
  );

  it("passes host, port and signal to Deno.connect and turns on TCP_NODELAY", async () => {
    const fake = fakeDeno();
    const signal = new AbortController().signal;
    const transport = await createDenoConnector(fake.deno)({ ...target, signal });
    assert.deepEqual(fake.calls, [{ connect: { hostname: "example.com", port: 80, signal } }]);
    assert.deepEqual(fake.conn.events, ["setNoDelay true"]);
    assert.equal(transport.tls, false);
    assert.deepEqual(transport.remoteAddress, { hostname: "192.0.2.1", port: 80 });
    transport.close();
  });

  it("connects to a unix socket path", async () => {
    const fake = fakeDeno(new FakeConn({ path: "/run/app.sock" }));
    const transport = await createDenoConnector(fake.deno)({ ...target, path: "/run/app.sock" });
    assert.deepEqual(fake.calls, [{ connect: { transport: "unix", path: "/run/app.sock" } }]);
    assert.deepEqual(transport.remoteAddress, { hostname: "/run/app.sock", port: 0 });
    transport.close();
  });

  it("makes remoteAddress at the first access, the same object after, and still after the close", async () => {
    const fake = fakeDeno();
    let reads = 0;
    const remoteAddr = fake.conn.remoteAddr;
    Object.defineProperty(fake.conn, "remoteAddr", {
      get: () => (reads++, remoteAddr),
    });
    const transport = await createDenoConnector(fake.deno)(target);
    assert.equal(reads, 0);
    transport.close();
    const address = transport.remoteAddress;
    assert.deepEqual(address, { hostname: "192.0.2.1", port: 80 });
    assert.equal(transport.remoteAddress, address);
    assert.equal(reads, 1);
  });

  it("starts TLS on the TCP connection with servername and the CA list, then handshakes", async () => {
    const fake = fakeDeno();
    const transport = await createDenoConnector(fake.deno)({
      hostname: "127.0.0.1",
      port: 443,
      tls: { ca: "PEM", servername: "localhost" },
    });
    assert.deepEqual(fake.calls[1], {
      startTls: { hostname: "localhost", alpnProtocols: ["http/1.1"], caCerts: ["PEM"] },
      sameConn: true,
    });
    assert.equal(transport.tls, true);
    transport.write(new Uint8Array([1]));
    await transport.drained();
    assert.deepEqual(fake.tlsConn.joined(), [1]);
    transport.close();
  });

  it("verifies against the host name when no servername is given", async () => {
    const fake = fakeDeno();
    const transport = await createDenoConnector(fake.deno)({ ...target, tls: { ca: ["A", "B"] } });
    assert.deepEqual(fake.calls[1], {
      startTls: { hostname: "example.com", alpnProtocols: ["http/1.1"], caCerts: ["A", "B"] },
      sameConn: true,
    });
    transport.close();
  });

  it("maps a failed Deno.connect to CONNECT_FAILED and keeps the cause", async () => {
    const fake = fakeDeno();
    const cause = new Error("Connection refused (os error 111)");
    fake.failConnect(cause);
    await assert.rejects(createDenoConnector(fake.deno)(target), (error: unknown) => {
      assert.ok(error instanceof TransportError);
      assert.equal(error.code, "CONNECT_FAILED");
      assert.equal(
        error.message,
        "Cannot connect to example.com:80: Connection refused (os error 111)",
      );
      assert.equal(error.cause, cause);
      return true;
    });
  });

  it("maps a failed handshake to TLS_FAILED and closes the connection", async () => {
    const fake = fakeDeno();
    const deno: DenoLike = {
      connect: fake.deno.connect,
      async startTls(tcp, options) {
        const conn = await fake.deno.startTls(tcp, options) as FakeConn;
        conn.onHandshake = () =>
          Promise.reject(new Error("invalid peer certificate: UnknownIssuer"));
        return conn;
      },
    };
    await assert.rejects(createDenoConnector(deno)({ ...target, tls: {} }), (error: unknown) => {
      assert.ok(error instanceof TransportError);
      assert.equal(error.code, "TLS_FAILED");
      assert.equal(
        error.message,
        "Cannot connect to example.com: invalid peer certificate: UnknownIssuer",
      );
      return true;
    });
    assert.equal(fake.tlsConn.closed, true);
  });

  it("closes the connection and rejects with the reason when aborted during the handshake", async () => {
    const fake = fakeDeno();
    const deno: DenoLike = {
      connect: fake.deno.connect,
      async startTls(tcp, options) {
        const conn = await fake.deno.startTls(tcp, options) as FakeConn;
        conn.onHandshake = () =>
          new Promise((_, reject) => (conn.close = () => reject(new Error("closed"))));
        return conn;
      },
    };
    const controller = new AbortController();
    const connecting = createDenoConnector(deno)({ ...target, tls: {}, signal: controller.signal });
    await tick();
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(connecting, (error) => error === reason);
  });

  it("rejects with the reason and connects nothing when the signal is already aborted", async () => {
    const fake = fakeDeno();
    const reason = new Error("stop");
    await assert.rejects(
      createDenoConnector(fake.deno)({ ...target, signal: AbortSignal.abort(reason) }),
      (error) => error === reason,
    );
    assert.deepEqual(fake.calls, []);
  });

  it("refuses dangerouslyDisableCertificateVerification with UNSUPPORTED before connecting", async () => {
    const fake = fakeDeno();
    await assert.rejects(
      createDenoConnector(fake.deno)({
        ...target,
        tls: { dangerouslyDisableCertificateVerification: true },
      }),
      (error: unknown) => error instanceof TransportError && error.code === "UNSUPPORTED",
    );
    assert.deepEqual(fake.calls, []);
  });

  it("validates its options with RangeError", () => {
    assert.throws(() => createDenoConnector(fakeDeno().deno, { readSize: 0 }), {
      name: "RangeError",
      message: "Cannot create connector: readSize must be an integer >= 1, got 0",
    });
    assert.throws(
      () => createDenoConnector(fakeDeno().deno, { writeHighWaterMark: 1.5 }),
      RangeError,
    );
  });
});

describe("createDenoConnector: reading", () => {
  it("copies a small read out of a reused buffer and hands out a large one as is", async () => {
    const fake = fakeDeno();
    const transport = await createDenoConnector(fake.deno, { readSize: 16 })(target);
    fake.conn.incoming.push(3, 0, 12, 5);
    const small = (await transport.read())!;
    assert.deepEqual([...small], [1, 1, 1]);
    assert.notEqual(small.buffer, fake.conn.readBuffers[0]!.buffer);
    const large = (await transport.read())!; // The 0-byte read is skipped.
    assert.equal(large.byteLength, 12);
    assert.equal(fake.conn.readBuffers[1], fake.conn.readBuffers[0]);
    assert.equal(large.buffer, fake.conn.readBuffers[2]!.buffer);
    const next = (await transport.read())!;
    assert.notEqual(fake.conn.readBuffers[3], fake.conn.readBuffers[2]);
    assert.deepEqual([...large], new Array(12).fill(3), "a handed-out chunk was overwritten");
    assert.deepEqual([...next], new Array(5).fill(4));
    transport.close();
  });

  it("pins a 256-byte buffer while idle, doubled by each full read up to readSize", async () => {
    const fake = fakeDeno();
    const transport = await createDenoConnector(fake.deno, { readSize: 1024 })(target);
    fake.conn.incoming.push(160, 256, 512, 1024, 10);
    for (let i = 0; i < 5; i++) await transport.read();
    // An idle connection waits in a read with the smallest buffer.
    assert.deepEqual(fake.conn.readBuffers.map((buffer) => buffer.length), [
      256,
      256,
      512,
      1024,
      1024,
    ]);
    transport.close();
  });

  it("returns null at end of stream, and again after", async () => {
    const fake = fakeDeno();
    const transport = await createDenoConnector(fake.deno)(target);
    fake.conn.incoming.push(null);
    assert.equal(await transport.read(), null);
    assert.equal(await transport.read(), null);
    transport.close();
  });

  it("reads rustls' UnexpectedEof (no close_notify) as end of stream", async () => {
    const fake = fakeDeno();
    const transport = await createDenoConnector(fake.deno)(target);
    const error = new Error("peer closed connection without sending TLS close_notify");
    error.name = "UnexpectedEof";
    fake.conn.incoming.push(error);
    assert.equal(await transport.read(), null);
    transport.closeWrite();
    await transport.closed;
  });

  it("waits in conn.read() itself: read() is no async frame, and a 0-byte read reads again", async () => {
    const fake = fakeDeno();
    const transport = await createDenoConnector(fake.deno)(target);
    // An idle connection holds its pending conn.read(), not a suspended
    // async function (generator, registers, promises) around it.
    assert.notEqual(Object.getPrototypeOf(transport.read).constructor.name, "AsyncFunction");
    fake.conn.incoming.push(0, 3);
    const chunk = await transport.read();
    assert.equal(chunk?.length, 3);
    assert.equal(fake.conn.readBuffers.length, 2, "the empty read was retried");
    transport.close();
    assert.equal(await transport.read(), null);
  });

  it("rejects a second concurrent read with TypeError", async () => {
    const fake = fakeDeno();
    const transport = await createDenoConnector(fake.deno)(target);
    const first = transport.read();
    await assert.rejects(transport.read(), {
      name: "TypeError",
      message: "Cannot read: a read is already pending",
    });
    transport.close();
    assert.equal(await first, null);
  });

  it("turns a read error into CONNECTION_LOST, closes, and keeps rejecting", async () => {
    const fake = fakeDeno();
    const transport = await createDenoConnector(fake.deno)(target);
    const cause = new Error("Connection reset by peer (os error 104)");
    fake.conn.incoming.push(cause);
    const check = (error: unknown) => {
      assert.ok(error instanceof TransportError);
      assert.equal(error.code, "CONNECTION_LOST");
      assert.equal(error.message, "Cannot read: Connection reset by peer (os error 104)");
      assert.equal(error.cause, cause);
      return true;
    };
    await assert.rejects(transport.read(), check);
    await assert.rejects(transport.read(), check);
    assert.equal(fake.conn.closed, true);
    await transport.closed;
  });
});

describe("createDenoConnector: writing", () => {
  it("finishes partial writes, in order", async () => {
    const fake = fakeDeno();
    fake.conn.maxWrite = 3;
    const transport = await createDenoConnector(fake.deno)(target);
    transport.write(new Uint8Array([1, 2, 3, 4, 5, 6, 7]));
    transport.write(new Uint8Array([8, 9]));
    await transport.drained();
    assert.deepEqual(fake.conn.joined(), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.ok(fake.conn.written.every((chunk) => chunk.byteLength <= 3));
    transport.close();
  });

  it("copies small chunks queued behind a write into one write", async () => {
    const fake = fakeDeno();
    const transport = await createDenoConnector(fake.deno)(target);
    fake.conn.hold();
    transport.write(new Uint8Array([1]));
    transport.write(new Uint8Array([2]));
    transport.write(new Uint8Array([3, 4]));
    fake.conn.release();
    await transport.drained();
    assert.deepEqual(fake.conn.written.map((chunk) => [...chunk]), [[1], [2, 3, 4]]);
    transport.close();
  });

  it("does not mutate the caller's chunk", async () => {
    const fake = fakeDeno();
    const transport = await createDenoConnector(fake.deno)(target);
    const chunk = new Uint8Array([5, 6, 7]);
    transport.write(chunk);
    await transport.drained();
    assert.deepEqual([...chunk], [5, 6, 7]);
    transport.close();
  });

  it("returns false past the high-water mark and resolves drained() once written", async () => {
    const fake = fakeDeno();
    const transport = await createDenoConnector(fake.deno, { writeHighWaterMark: 8 })(target);
    fake.conn.hold();
    assert.equal(transport.write(new Uint8Array(4)), true);
    assert.equal(transport.write(new Uint8Array(6)), false);
    assert.equal(transport.bufferedAmount, 10);
    let drained = false;
    const draining = transport.drained().then(() => (drained = true));
    await tick();
    assert.equal(drained, false);
    fake.conn.release();
    await draining;
    assert.equal(transport.bufferedAmount, 0);
    transport.close();
  });

  it("shuts down the write side after the queued bytes and drops later writes", async () => {
    const fake = fakeDeno();
    const transport = await createDenoConnector(fake.deno)(target);
    fake.conn.hold();
    transport.write(new Uint8Array([1]));
    transport.closeWrite();
    transport.closeWrite();
    transport.write(new Uint8Array([2]));
    fake.conn.release();
    await transport.drained();
    await tick();
    assert.deepEqual(fake.conn.events, ["setNoDelay true", "write", "closeWrite"]);
    assert.deepEqual(fake.conn.joined(), [1]);
    transport.close();
  });

  it("turns a write error into CONNECTION_LOST on the read side", async () => {
    const fake = fakeDeno();
    const transport = await createDenoConnector(fake.deno)(target);
    fake.conn.writeError = new Error("Broken pipe (os error 32)");
    const reading = transport.read();
    transport.write(new Uint8Array([1]));
    await assert.rejects(reading, (error: unknown) => {
      assert.ok(error instanceof TransportError);
      assert.equal(error.code, "CONNECTION_LOST");
      assert.equal(error.message, "Cannot write: Broken pipe (os error 32)");
      return true;
    });
    await transport.closed;
    await transport.drained();
  });
});

describe("createDenoConnector: closing", () => {
  it("releases the connection by itself once both directions have ended", async () => {
    const fake = fakeDeno();
    const transport = await createDenoConnector(fake.deno)(target);
    transport.closeWrite();
    fake.conn.incoming.push(null);
    assert.equal(await transport.read(), null);
    await transport.closed;
    assert.equal(fake.conn.closed, true);
  });

  it("after the peer's end, closeWrite() writes the queued bytes and closes without a separate shutdown", async () => {
    const fake = fakeDeno();
    const transport = await createDenoConnector(fake.deno)(target);
    fake.conn.incoming.push(null);
    assert.equal(await transport.read(), null);
    fake.conn.hold();
    transport.write(new Uint8Array([1]));
    transport.closeWrite();
    assert.equal(fake.conn.closed, false, "the queued bytes go first");
    fake.conn.release();
    await transport.closed;
    // Closing the resource sends the FIN: no closeWrite (shutdown) call before it.
    assert.deepEqual(fake.conn.events, ["setNoDelay true", "write", "close"]);
    assert.deepEqual(fake.conn.joined(), [1]);
  });

  it("close() is idempotent, settles the pending read with null and drops queued writes", async () => {
    const fake = fakeDeno();
    const transport = await createDenoConnector(fake.deno)(target);
    fake.conn.hold();
    transport.write(new Uint8Array(10));
    transport.write(new Uint8Array(10));
    const reading = transport.read();
    transport.close();
    transport.close();
    assert.equal(await reading, null);
    assert.equal(transport.bufferedAmount, 0);
    await transport.drained();
    await transport.closed;
    assert.equal(transport.write(new Uint8Array(1)), true);
    assert.equal(await transport.read(), null);
  });
});
