import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type BunConnectOptions,
  type BunLike,
  type BunSocketHandler,
  type BunSocketLike,
  connectBun,
  createBunConnector,
} from "../../src/transport/bun.ts";
import { TransportError } from "../../src/transport/types.ts";
import { runtime, transportSuite } from "../_util/transport_suite.ts";

/** A Bun socket that takes at most `capacity` bytes until the test frees room. */
class FakeBunSocket implements BunSocketLike {
  readonly calls: string[] = [];
  readonly written: number[] = [];
  readonly writeSizes: number[] = [];
  /** How many times the peer's address was read (a `getpeername` call each in Bun). */
  addressReads = 0;
  get remoteAddress(): string {
    this.addressReads++;
    return "192.0.2.1";
  }
  get remotePort(): number {
    this.addressReads++;
    return 443;
  }
  capacity = Infinity;
  handler: BunSocketHandler | null = null;
  closed = false;

  write(data: Uint8Array): number {
    if (this.closed) return -1;
    const n = Math.min(data.byteLength, this.capacity);
    this.capacity -= n;
    this.written.push(...data.subarray(0, n));
    this.writeSizes.push(n);
    return n;
  }

  /** Frees room and runs the drain handler, as Bun does when the socket is writable. */
  drain(room = Infinity): void {
    this.capacity = room;
    this.handler!.drain(this);
  }

  shutdown(): void {
    this.calls.push("shutdown");
  }

  end(): void {
    this.calls.push("end");
    this.#close();
  }

  terminate(): void {
    this.calls.push("terminate");
    this.#close();
  }

  pause(): void {
    this.calls.push("pause");
  }

  resume(): void {
    this.calls.push("resume");
  }

  setNoDelay(noDelay?: boolean): boolean {
    this.calls.push(`setNoDelay ${noDelay}`);
    return true;
  }

  /** Bun runs the close handler synchronously. */
  #close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handler!.close(this);
  }
}

/** A fake namespace whose `connect()` settles when the test says so. */
function fakeBun() {
  const socket = new FakeBunSocket();
  const requests: BunConnectOptions[] = [];
  let settle: { resolve(socket: BunSocketLike): void; reject(error: Error): void } | null = null;
  const bun: BunLike = {
    connect(options) {
      requests.push(options);
      socket.handler = options.socket;
      return new Promise((resolve, reject) => (settle = { resolve, reject }));
    },
  };
  return {
    bun,
    socket,
    requests,
    get handler() {
      return socket.handler!;
    },
    open() {
      settle!.resolve(socket);
    },
    refuse(error: Error) {
      settle!.reject(error);
    },
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const target = { hostname: "example.com", port: 443 };

async function connected(
  options: { readHighWaterMark?: number; writeHighWaterMark?: number } = {},
) {
  const fake = fakeBun();
  const connecting = createBunConnector(fake.bun, options)(target);
  fake.open();
  return { ...fake, transport: await connecting };
}

describe("connectBun over loopback sockets", () => {
  transportSuite({
    connector: connectBun,
    skip: runtime !== "bun" && "needs Bun",
    insecureTls: true,
  });
});

describe("createBunConnector: connecting", () => {
  it(
    "rejects with UNSUPPORTED outside Bun",
    { skip: runtime === "bun" && "Bun is present" },
    async () => {
      await assert.rejects(connectBun(target), {
        name: "TransportError",
        code: "UNSUPPORTED",
        message: "Cannot connect: the Bun namespace is not available",
      });
    },
  );

  it("opens a half-open TCP socket, turns on TCP_NODELAY and resolves when connected", async () => {
    const { transport, socket, requests } = await connected();
    const { socket: handler, ...options } = requests[0]!;
    assert.deepEqual(options, { hostname: "example.com", port: 443, allowHalfOpen: true });
    assert.equal(typeof handler.data, "function");
    assert.deepEqual(socket.calls, ["setNoDelay true"]);
    assert.equal(transport.tls, false);
    // The peer's address is read from the socket at the first access only.
    assert.equal(socket.addressReads, 0);
    assert.deepEqual(transport.remoteAddress, { hostname: "192.0.2.1", port: 443 });
    assert.deepEqual(transport.remoteAddress, { hostname: "192.0.2.1", port: 443 });
    assert.equal(socket.addressReads, 2);
  });

  it("connects to a unix socket path", async () => {
    const fake = fakeBun();
    const connecting = createBunConnector(fake.bun)({ ...target, path: "/run/app.sock" });
    fake.open();
    await connecting;
    const { socket: _, ...options } = fake.requests[0]!;
    assert.deepEqual(options, { unix: "/run/app.sock", allowHalfOpen: true });
  });

  it("passes the CA and serverName, and waits for a successful handshake", async () => {
    const fake = fakeBun();
    let done = false;
    const connecting = createBunConnector(fake.bun)({
      ...target,
      tls: { ca: "PEM", servername: "localhost" },
    })
      .then((transport) => (done = true, transport));
    assert.deepEqual(fake.requests[0]!.tls, {
      ca: "PEM",
      ALPNProtocols: new Uint8Array([8, ...new TextEncoder().encode("http/1.1")]),
      serverName: "localhost",
      rejectUnauthorized: true,
    });
    fake.open();
    await tick();
    assert.equal(done, false);
    fake.handler.handshake(fake.socket, true, null);
    assert.equal((await connecting).tls, true);
  });

  it("rejects with TLS_FAILED and terminates the socket when verification fails", async () => {
    const fake = fakeBun();
    const connecting = createBunConnector(fake.bun)({ ...target, tls: {} });
    fake.open();
    await tick();
    const cause = Object.assign(new Error("unable to verify the first certificate"), {
      code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    });
    fake.handler.handshake(fake.socket, false, cause);
    await assert.rejects(connecting, (error: unknown) => {
      assert.ok(error instanceof TransportError);
      assert.equal(error.code, "TLS_FAILED");
      assert.equal(
        error.message,
        "Cannot connect to example.com:443: unable to verify the first certificate",
      );
      assert.equal(error.cause, cause);
      return true;
    });
    assert.deepEqual(fake.socket.calls, ["setNoDelay true", "terminate"]);
  });

  it("goes on despite a failed verification when it is disabled", async () => {
    const fake = fakeBun();
    const connecting = createBunConnector(fake.bun)({
      ...target,
      tls: { dangerouslyDisableCertificateVerification: true },
    });
    assert.deepEqual(fake.requests[0]!.tls, {
      ALPNProtocols: new Uint8Array([8, ...new TextEncoder().encode("http/1.1")]),
      serverName: "example.com",
      rejectUnauthorized: false,
    });
    fake.open();
    await tick();
    fake.handler.handshake(fake.socket, false, new Error("self-signed certificate"));
    assert.equal((await connecting).tls, true);
  });

  it("maps a rejected Bun.connect to CONNECT_FAILED", async () => {
    const fake = fakeBun();
    const connecting = createBunConnector(fake.bun)(target);
    const cause = Object.assign(new Error("Failed to connect"), { code: "ECONNREFUSED" });
    fake.refuse(cause);
    await assert.rejects(connecting, {
      name: "TransportError",
      code: "CONNECT_FAILED",
      message: "Cannot connect to example.com:443: Failed to connect",
      cause,
    });
  });

  it("maps a close during the TLS handshake to TLS_FAILED", async () => {
    const fake = fakeBun();
    const connecting = createBunConnector(fake.bun)({ ...target, tls: {} });
    fake.open();
    await tick();
    fake.handler.close(fake.socket);
    await assert.rejects(connecting, { code: "TLS_FAILED" });
  });

  it("rejects with the reason at once when aborted, and terminates a socket that arrives later", async () => {
    const fake = fakeBun();
    const controller = new AbortController();
    const connecting = createBunConnector(fake.bun)({ ...target, signal: controller.signal });
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(connecting, (error) => error === reason);
    fake.open();
    await tick();
    assert.deepEqual(fake.socket.calls, ["terminate"]);
  });

  it("does not call Bun.connect when the signal is already aborted", async () => {
    const fake = fakeBun();
    const reason = new Error("stop");
    await assert.rejects(
      createBunConnector(fake.bun)({ ...target, signal: AbortSignal.abort(reason) }),
      (error) => error === reason,
    );
    assert.deepEqual(fake.requests, []);
  });

  it("validates its options with RangeError", () => {
    assert.throws(
      () => createBunConnector(fakeBun().bun, { writeHighWaterMark: Number.NaN }),
      RangeError,
    );
  });
});

describe("createBunConnector: reading", () => {
  it("pauses the socket at the high-water mark and resumes when reads drain it", async () => {
    const { transport, socket, handler } = await connected({ readHighWaterMark: 10 });
    socket.calls.length = 0;
    handler.data(socket, new Uint8Array([1, 2, 3, 4, 5, 6]));
    assert.deepEqual(socket.calls, []);
    handler.data(socket, new Uint8Array([7, 8, 9, 10, 11, 12]));
    assert.deepEqual(socket.calls, ["pause"]);
    assert.deepEqual(await transport.read(), new Uint8Array([1, 2, 3, 4, 5, 6]));
    assert.deepEqual(socket.calls, ["pause", "resume"]);
  });

  it("copies a small chunk out of Bun's Buffer (no .buffer), and views a large one", async () => {
    const { transport, socket, handler } = await connected();
    /** A Buffer-like chunk that records whether its `.buffer` was read. */
    class Chunk extends Uint8Array {
      bufferRead = false;
      override get buffer(): ArrayBuffer {
        this.bufferRead = true;
        return super.buffer as ArrayBuffer;
      }
    }
    const small = new Chunk([1, 2, 3]);
    handler.data(socket, small);
    const smallRead = (await transport.read())!;
    assert.equal(small.bufferRead, false, "a small chunk is copied, its ArrayBuffer never made");
    assert.equal(Object.getPrototypeOf(smallRead), Uint8Array.prototype);
    assert.deepEqual(smallRead, new Uint8Array([1, 2, 3]));
    const large = new Chunk(4096).fill(7);
    handler.data(socket, large);
    const largeRead = (await transport.read())!;
    assert.equal(Object.getPrototypeOf(largeRead), Uint8Array.prototype);
    assert.equal(largeRead.length, 4096);
    large[0] = 9;
    assert.equal(largeRead[0], 9, "a large chunk is a view of the same bytes, not a copy");
  });

  it("hands data straight to a pending read", async () => {
    const { transport, socket, handler } = await connected({ readHighWaterMark: 1 });
    const reading = transport.read();
    handler.data(socket, new Uint8Array([1, 2]));
    assert.deepEqual(await reading, new Uint8Array([1, 2]));
    assert.equal(socket.calls.includes("pause"), false);
  });

  it("delivers data received before a reset, then rejects with CONNECTION_LOST", async () => {
    const { transport, socket, handler } = await connected();
    handler.data(socket, new Uint8Array([1]));
    const cause = Object.assign(new Error("Connection reset by peer"), { code: "ECONNRESET" });
    handler.close(socket, cause);
    assert.deepEqual(await transport.read(), new Uint8Array([1]));
    await assert.rejects(transport.read(), (error: unknown) => {
      assert.ok(error instanceof TransportError);
      assert.equal(error.code, "CONNECTION_LOST");
      assert.equal(error.message, "Cannot read: Connection reset by peer");
      assert.equal(error.cause, cause);
      return true;
    });
    await transport.closed;
  });

  it("returns null after the peer's end, once the data is read", async () => {
    const { transport, socket, handler } = await connected();
    handler.data(socket, new Uint8Array([1]));
    handler.end(socket);
    assert.deepEqual(await transport.read(), new Uint8Array([1]));
    assert.equal(await transport.read(), null);
  });
});

describe("createBunConnector: writing and closing", () => {
  it("queues what the socket did not take and writes it on drain", async () => {
    const { transport, socket } = await connected({ writeHighWaterMark: 4 });
    socket.capacity = 3;
    assert.equal(transport.write(new Uint8Array([1, 2, 3, 4, 5])), true);
    assert.equal(transport.bufferedAmount, 2);
    assert.equal(transport.write(new Uint8Array([6, 7])), false);
    let drained = false;
    const draining = transport.drained().then(() => (drained = true));
    socket.drain(1);
    await tick();
    assert.equal(drained, false);
    assert.equal(transport.bufferedAmount, 3);
    socket.drain();
    await draining;
    assert.deepEqual(socket.written, [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(transport.bufferedAmount, 0);
  });

  it("copies small queued chunks into one write", async () => {
    const { transport, socket } = await connected();
    socket.capacity = 0;
    transport.write(new Uint8Array([1]));
    transport.write(new Uint8Array([2]));
    transport.write(new Uint8Array([3]));
    socket.drain();
    assert.deepEqual(socket.writeSizes, [0, 3]);
    assert.deepEqual(socket.written, [1, 2, 3]);
  });

  it("shuts down after the queued bytes, and releases the socket once the peer has ended too", async () => {
    const { transport, socket, handler } = await connected();
    socket.capacity = 0;
    transport.write(new Uint8Array([1]));
    transport.closeWrite();
    transport.write(new Uint8Array([2]));
    assert.deepEqual(socket.calls, ["setNoDelay true"]);
    socket.drain();
    assert.deepEqual(socket.calls, ["setNoDelay true", "shutdown"]);
    assert.deepEqual(socket.written, [1]);
    handler.data(socket, new Uint8Array([9]));
    handler.end(socket);
    assert.deepEqual(socket.calls, ["setNoDelay true", "shutdown", "end"]);
    await transport.closed;
    assert.deepEqual(await transport.read(), new Uint8Array([9]), "data before the end is kept");
    assert.equal(await transport.read(), null);
  });

  it("after the peer's end, closeWrite() writes the queued bytes and ends the socket without a shutdown()", async () => {
    const { transport, socket, handler } = await connected();
    handler.end(socket);
    assert.equal(await transport.read(), null);
    socket.capacity = 0;
    transport.write(new Uint8Array([1]));
    transport.closeWrite();
    assert.deepEqual(socket.calls, ["setNoDelay true"], "the queued bytes go first");
    socket.drain();
    // end() sends the FIN as it releases the socket: no shutdown() before it.
    assert.deepEqual(socket.calls, ["setNoDelay true", "end"]);
    assert.deepEqual(socket.written, [1]);
    await transport.closed;
  });

  it("close() ends the socket, settles the pending read with null and drained()", async () => {
    const { transport, socket } = await connected();
    socket.capacity = 0;
    transport.write(new Uint8Array([1]));
    const reading = transport.read();
    const draining = transport.drained();
    transport.close();
    transport.close();
    assert.equal(await reading, null);
    await draining;
    await transport.closed;
    assert.deepEqual(socket.calls, ["setNoDelay true", "end"]);
    assert.equal(transport.bufferedAmount, 0);
    assert.equal(transport.write(new Uint8Array([2])), true);
  });
});
