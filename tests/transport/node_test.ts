import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import {
  connectNode,
  createNodeConnector,
  type NodeModules,
  type NodeSocketLike,
} from "../../src/transport/node.ts";
import { TransportError } from "../../src/transport/types.ts";
import { runtime, transportSuite } from "../_util/transport_suite.ts";

/** An event-driven socket whose writes complete when the test says so. */
class FakeSocket extends EventEmitter implements NodeSocketLike {
  readonly calls: string[] = [];
  readonly written: number[] = [];
  remoteAddress: string | undefined = "192.0.2.1";
  remotePort: number | undefined = 443;
  #pending: { length: number; callback: (error?: Error | null) => void }[] = [];

  get writableLength(): number {
    return this.#pending.reduce((sum, write) => sum + write.length, 0);
  }

  write(chunk: Uint8Array, callback: (error?: Error | null) => void): boolean {
    this.written.push(...chunk);
    this.#pending.push({ length: chunk.byteLength, callback });
    return true;
  }

  /** Completes every pending write. */
  flush(): void {
    for (const write of this.#pending.splice(0)) write.callback();
  }

  end(): void {
    this.calls.push("end");
  }

  destroy(): void {
    this.calls.push("destroy");
    setTimeout(() => this.emit("close"), 0);
  }

  pause(): void {
    this.calls.push("pause");
  }

  resume(): void {
    this.calls.push("resume");
  }

  setNoDelay(noDelay?: boolean): void {
    this.calls.push(`setNoDelay ${noDelay}`);
  }
}

/** Fake `node:net` and `node:tls` handing out one socket and recording the options. */
function fakeModules(socket = new FakeSocket()) {
  const requests: { module: string; options: Record<string, unknown> }[] = [];
  const modules: NodeModules = {
    net: {
      connect(options) {
        requests.push({ module: "net", options: { ...options } });
        return socket;
      },
    },
    tls: {
      connect(options) {
        requests.push({ module: "tls", options: { ...options } });
        return socket;
      },
    },
  };
  return { modules, socket, requests };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const target = { hostname: "example.com", port: 443 };
const bytes = (...values: number[]) => Buffer.from(values);

/** Connects over the fake and completes the TCP connection. */
async function connected(
  options: { readHighWaterMark?: number; writeHighWaterMark?: number } = {},
) {
  const fake = fakeModules();
  const connecting = createNodeConnector(fake.modules, options)(target);
  fake.socket.emit("connect");
  return { ...fake, transport: await connecting };
}

describe("connectNode over loopback sockets", () => {
  transportSuite({
    connector: connectNode,
    skip: runtime !== "node" && "needs Node",
    insecureTls: true,
  });
});

describe("createNodeConnector: connecting", () => {
  it("opens a half-open TCP socket, resolves on 'connect' and turns on TCP_NODELAY", async () => {
    const { transport, socket, requests } = await connected();
    assert.deepEqual(requests, [{
      module: "net",
      options: { host: "example.com", port: 443, allowHalfOpen: true },
    }]);
    assert.deepEqual(socket.calls, ["setNoDelay true"]);
    assert.equal(transport.tls, false);
    assert.deepEqual(transport.remoteAddress, { hostname: "192.0.2.1", port: 443 });
  });

  it("connects to a unix socket path", async () => {
    const fake = fakeModules();
    const connecting = createNodeConnector(fake.modules)({ ...target, path: "/run/app.sock" });
    fake.socket.emit("connect");
    await connecting;
    assert.deepEqual(fake.requests[0]?.options, { path: "/run/app.sock", allowHalfOpen: true });
  });

  it("opens TLS with servername, the CA and verification on, and waits for 'secureConnect'", async () => {
    const fake = fakeModules();
    let done = false;
    const connecting = createNodeConnector(fake.modules)({ ...target, tls: { ca: ["A", "B"] } })
      .then((t) => {
        done = true;
        return t;
      });
    fake.socket.emit("connect");
    await tick();
    assert.equal(done, false);
    fake.socket.emit("secureConnect");
    assert.equal((await connecting).tls, true);
    const { checkServerIdentity, ...options } = fake.requests[0]!.options;
    assert.equal(fake.requests[0]!.module, "tls");
    assert.deepEqual(options, {
      host: "example.com",
      port: 443,
      allowHalfOpen: true,
      servername: "example.com",
      ca: ["A", "B"],
      rejectUnauthorized: true,
      ALPNProtocols: ["http/1.1"],
    });
    assert.equal(typeof checkServerIdentity, "function");
  });

  it("sends no IP address as SNI but still verifies the certificate against it", async () => {
    const fake = fakeModules();
    const connecting = createNodeConnector(fake.modules)({
      ...target,
      tls: { servername: "127.0.0.1" },
    });
    fake.socket.emit("connect");
    fake.socket.emit("secureConnect");
    await connecting;
    const options = fake.requests[0]!.options;
    assert.equal("servername" in options, false);
    const check = options.checkServerIdentity as (host: string, cert: object) => Error | undefined;
    assert.equal(
      check("example.com", { subject: {}, subjectaltname: "IP Address:127.0.0.1" }),
      undefined,
    );
    assert.ok(
      check("127.0.0.1", { subject: {}, subjectaltname: "DNS:example.com" }) instanceof Error,
    );
  });

  it("turns verification off only for dangerouslyDisableCertificateVerification", async () => {
    const fake = fakeModules();
    const connecting = createNodeConnector(fake.modules)({
      ...target,
      tls: { dangerouslyDisableCertificateVerification: true },
    });
    fake.socket.emit("connect");
    fake.socket.emit("secureConnect");
    await connecting;
    assert.equal(fake.requests[0]!.options.rejectUnauthorized, false);
  });

  it("maps an error before the TCP connection to CONNECT_FAILED and destroys the socket", async () => {
    const fake = fakeModules();
    const connecting = createNodeConnector(fake.modules)({ ...target, tls: {} });
    const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:443"), {
      code: "ECONNREFUSED",
    });
    fake.socket.emit("error", cause);
    await assert.rejects(connecting, (error: unknown) => {
      assert.ok(error instanceof TransportError);
      assert.equal(error.code, "CONNECT_FAILED");
      assert.equal(
        error.message,
        "Cannot connect to example.com:443: connect ECONNREFUSED 127.0.0.1:443",
      );
      assert.equal(error.cause, cause);
      return true;
    });
    assert.deepEqual(fake.socket.calls, ["destroy"]);
    fake.socket.emit("error", new Error("a late error must not crash"));
  });

  it("maps an error after the TCP connection of a TLS socket to TLS_FAILED", async () => {
    const fake = fakeModules();
    const connecting = createNodeConnector(fake.modules)({ ...target, tls: {} });
    fake.socket.emit("connect");
    fake.socket.emit("error", new Error("unable to verify the first certificate"));
    await assert.rejects(connecting, (error: unknown) => {
      assert.ok(error instanceof TransportError);
      assert.equal(error.code, "TLS_FAILED");
      assert.equal(
        error.message,
        "Cannot connect to example.com:443: unable to verify the first certificate",
      );
      return true;
    });
  });

  it("rejects when the socket closes during setup", async () => {
    const fake = fakeModules();
    const connecting = createNodeConnector(fake.modules)(target);
    fake.socket.emit("close");
    await assert.rejects(connecting, {
      code: "CONNECT_FAILED",
      message: "Cannot connect to example.com:443: the connection closed during setup",
    });
  });

  it("destroys the socket and rejects with the reason when aborted", async () => {
    const fake = fakeModules();
    const controller = new AbortController();
    const connecting = createNodeConnector(fake.modules)({ ...target, signal: controller.signal });
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(connecting, (error) => error === reason);
    assert.deepEqual(fake.socket.calls, ["destroy"]);
  });

  it("opens no socket when the signal is already aborted", async () => {
    const fake = fakeModules();
    const reason = new Error("stop");
    await assert.rejects(
      createNodeConnector(fake.modules)({ ...target, signal: AbortSignal.abort(reason) }),
      (error) => error === reason,
    );
    assert.deepEqual(fake.requests, []);
  });

  it("validates its options with RangeError", () => {
    assert.throws(() => createNodeConnector(fakeModules().modules, { readHighWaterMark: -1 }), {
      name: "RangeError",
      message: "Cannot create connector: readHighWaterMark must be an integer >= 0, got -1",
    });
  });
});

describe("createNodeConnector: reading", () => {
  it("pauses the socket at the high-water mark and resumes when reads drain it", async () => {
    const { transport, socket } = await connected({ readHighWaterMark: 10 });
    socket.calls.length = 0;
    socket.emit("data", bytes(1, 2, 3, 4, 5, 6));
    assert.deepEqual(socket.calls, []);
    socket.emit("data", bytes(7, 8, 9, 10, 11, 12));
    assert.deepEqual(socket.calls, ["pause"]);
    assert.deepEqual(await transport.read(), new Uint8Array([1, 2, 3, 4, 5, 6]));
    assert.deepEqual(socket.calls, ["pause", "resume"]);
    assert.deepEqual(await transport.read(), new Uint8Array([7, 8, 9, 10, 11, 12]));
  });

  it("shares its four socket listeners between connections, each finding its own transport", async () => {
    const first = await connected();
    const second = await connected();
    for (const event of ["data", "end", "error", "close"]) {
      assert.ok(first.socket.listenerCount(event) > 0, event);
      // The very same functions on both sockets: no closures per connection.
      assert.deepEqual(first.socket.listeners(event), second.socket.listeners(event), event);
    }
    const reading = [first.transport.read(), second.transport.read()];
    second.socket.emit("data", bytes(2));
    first.socket.emit("data", bytes(1));
    assert.deepEqual(await reading[0], new Uint8Array([1]));
    assert.deepEqual(await reading[1], new Uint8Array([2]));
    second.socket.emit("end");
    assert.equal(await second.transport.read(), null);
    first.socket.emit("data", bytes(3));
    assert.deepEqual(await first.transport.read(), new Uint8Array([3]));
  });

  it("hands out plain Uint8Array views of the received bytes", async () => {
    const { transport, socket } = await connected();
    const reading = transport.read();
    socket.emit("data", bytes(1, 2));
    const chunk = (await reading)!;
    assert.equal(Object.getPrototypeOf(chunk), Uint8Array.prototype);
    assert.deepEqual(chunk, new Uint8Array([1, 2]));
  });

  it("delivers data received before an error, then rejects with CONNECTION_LOST", async () => {
    const { transport, socket } = await connected();
    socket.emit("data", bytes(1));
    const cause = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    socket.emit("error", cause);
    assert.deepEqual(await transport.read(), new Uint8Array([1]));
    await assert.rejects(transport.read(), (error: unknown) => {
      assert.ok(error instanceof TransportError);
      assert.equal(error.code, "CONNECTION_LOST");
      assert.equal(error.message, "Cannot read: read ECONNRESET");
      assert.equal(error.cause, cause);
      return true;
    });
  });

  it("returns null after 'end' once the data is read", async () => {
    const { transport, socket } = await connected();
    socket.emit("data", bytes(1));
    socket.emit("end");
    assert.deepEqual(await transport.read(), new Uint8Array([1]));
    assert.equal(await transport.read(), null);
    assert.equal(await transport.read(), null);
  });

  it("rejects a second concurrent read with TypeError", async () => {
    const { transport } = await connected();
    const first = transport.read();
    await assert.rejects(transport.read(), {
      name: "TypeError",
      message: "Cannot read: a read is already pending",
    });
    transport.close();
    assert.equal(await first, null);
  });
});

describe("createNodeConnector: writing and closing", () => {
  it("returns false at the high-water mark and resolves drained() after the write callbacks", async () => {
    const { transport, socket } = await connected({ writeHighWaterMark: 8 });
    assert.equal(transport.write(new Uint8Array(4)), true);
    assert.equal(transport.write(new Uint8Array(4)), false);
    assert.equal(transport.bufferedAmount, 8);
    let drained = false;
    const draining = transport.drained().then(() => (drained = true));
    await tick();
    assert.equal(drained, false);
    socket.flush();
    await draining;
    assert.equal(transport.bufferedAmount, 0);
  });

  it("half-closes with end() once and drops later writes", async () => {
    const { transport, socket } = await connected();
    transport.write(bytes(1));
    transport.closeWrite();
    transport.closeWrite();
    assert.equal(transport.write(bytes(2)), true);
    assert.deepEqual(socket.written, [1]);
    assert.deepEqual(socket.calls, ["setNoDelay true", "end"]);
  });

  it("close() destroys the socket, settles reads and drained(), and closed follows 'close'", async () => {
    const { transport, socket } = await connected();
    socket.emit("data", bytes(1));
    transport.write(bytes(2));
    const draining = transport.drained();
    transport.close();
    transport.close();
    assert.equal(await transport.read(), null);
    await draining;
    await transport.closed;
    assert.deepEqual(socket.calls, ["setNoDelay true", "destroy"]);
    assert.equal(transport.bufferedAmount, 0);
    socket.emit("error", new Error("ignored after close"));
    assert.equal(await transport.read(), null);
  });

  it("resolves closed when the socket closes by itself", async () => {
    const { transport, socket } = await connected();
    const reading = transport.read();
    socket.emit("end");
    socket.emit("close");
    assert.equal(await reading, null);
    await transport.closed;
  });
});
