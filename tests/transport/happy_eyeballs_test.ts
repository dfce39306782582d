import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  isIpAddress,
  lookupAll,
  sortAddresses,
  withHappyEyeballs,
} from "../../src/transport/happy_eyeballs.ts";
import { createMemoryConnector } from "../../src/transport/memory.ts";
import type { ConnectOptions, Transport } from "../../src/transport/types.ts";
import { TransportError } from "../../src/transport/types.ts";

const DUAL = [{ address: "2001:db8::1", family: 6 }, { address: "192.0.2.1", family: 4 }];

/** A connector whose attempts the test settles by address. */
function scripted() {
  const memory = createMemoryConnector();
  const calls: ConnectOptions[] = [];
  const pending = new Map<string, { resolve(t: Transport): void; reject(e: unknown): void }>();
  function connector(options: ConnectOptions): Promise<Transport> {
    calls.push(options);
    return new Promise((resolve, reject) => {
      pending.set(options.hostname, { resolve, reject });
      options.signal?.addEventListener("abort", () => reject(options.signal!.reason));
    });
  }
  async function succeed(address: string): Promise<void> {
    pending.get(address)!.resolve(await memory.connector({ hostname: address, port: 1 }));
  }
  function refuse(address: string, code: "CONNECT_FAILED" | "TLS_FAILED" = "CONNECT_FAILED") {
    pending.get(address)!.reject(
      new TransportError(code, `Cannot connect to ${address}:1: refused`),
    );
  }
  return { connector, calls, succeed, refuse };
}

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe("sortAddresses (RFC 8305 §4)", () => {
  it("puts IPv6 first and alternates families", () => {
    const sorted = sortAddresses([
      { address: "a4", family: 4 },
      { address: "b4", family: 4 },
      { address: "c4", family: 4 },
      { address: "a6", family: 6 },
    ]);
    assert.deepEqual(sorted.map((a) => a.address), ["a6", "a4", "b4", "c4"]);
  });
});

describe("isIpAddress", () => {
  it("tells literals from names", () => {
    assert.equal(isIpAddress("127.0.0.1"), true);
    assert.equal(isIpAddress("::1"), true);
    assert.equal(isIpAddress("localhost"), false);
  });
});

describe("lookupAll", () => {
  it("resolves localhost through the system resolver", async () => {
    const addresses = await lookupAll("localhost");
    assert.ok(addresses.length > 0);
    assert.ok(addresses.every((a) => a.family === 4 || a.family === 6));
  });
});

describe("withHappyEyeballs", () => {
  it("passes IP literals, unix paths and client certificates to the connector untouched", () => {
    const { connector, calls } = scripted();
    const connect = withHappyEyeballs(connector, {
      lookup: () => Promise.reject(new Error("must not resolve")),
    });
    void connect({ hostname: "::1", port: 1 }).catch(() => {});
    void connect({ hostname: "name", port: 1, path: "/s" }).catch(() => {});
    void connect({ hostname: "name", port: 1, tls: { cert: "C", key: "K" } }).catch(() => {});
    assert.deepEqual(calls.map((c) => c.hostname), ["::1", "name", "name"]);
  });

  it("starts the next address after the delay, takes the first success and aborts the rest", async () => {
    const { connector, calls, succeed } = scripted();
    const connect = withHappyEyeballs(connector, {
      lookup: () => Promise.resolve(DUAL),
      attemptDelay: 20,
    });
    const opening = connect({ hostname: "dual.test", port: 443, tls: {} });
    await tick();
    assert.deepEqual(calls.map((c) => c.hostname), ["2001:db8::1"]);
    assert.equal(calls[0]!.tls?.servername, "dual.test", "TLS names stay the host name");
    await tick(40);
    assert.deepEqual(calls.map((c) => c.hostname), ["2001:db8::1", "192.0.2.1"]);
    await succeed("192.0.2.1");
    const transport = await opening;
    assert.equal(transport.remoteAddress?.hostname, "192.0.2.1");
    assert.equal(calls[0]!.signal?.aborted, true);
    transport.close();
  });

  it("starts the next address at once when one fails, and names every address in the error", async () => {
    const { connector, calls, refuse } = scripted();
    const connect = withHappyEyeballs(connector, {
      lookup: () => Promise.resolve(DUAL),
      attemptDelay: 60_000,
    });
    const opening = connect({ hostname: "dual.test", port: 1 });
    await tick();
    refuse("2001:db8::1");
    await tick();
    assert.equal(calls.length, 2);
    refuse("192.0.2.1");
    await assert.rejects(opening, {
      name: "TransportError",
      code: "CONNECT_FAILED",
      message: "Cannot connect to dual.test:1: [2001:db8::1]:1: refused; 192.0.2.1:1: refused",
    });
  });

  it("stops at a TLS failure: the server was reached", async () => {
    const { connector, refuse } = scripted();
    const connect = withHappyEyeballs(connector, {
      lookup: () => Promise.resolve(DUAL),
      attemptDelay: 60_000,
    });
    const opening = connect({ hostname: "dual.test", port: 1, tls: {} });
    await tick();
    refuse("2001:db8::1", "TLS_FAILED");
    await assert.rejects(opening, { code: "TLS_FAILED" });
  });

  it("reports a failed or empty lookup as CONNECT_FAILED naming the host", async () => {
    const { connector } = scripted();
    await assert.rejects(
      withHappyEyeballs(connector, { lookup: () => Promise.reject(new Error("ENOTFOUND x")) })({
        hostname: "x.test",
        port: 80,
      }),
      {
        code: "CONNECT_FAILED",
        message: "Cannot connect to x.test:80: cannot resolve x.test: ENOTFOUND x",
      },
    );
    await assert.rejects(
      withHappyEyeballs(connector, { lookup: () => Promise.resolve([]) })({
        hostname: "x.test",
        port: 80,
      }),
      { code: "CONNECT_FAILED", message: "Cannot connect to x.test:80: x.test has no address" },
    );
  });

  it("rejects with the signal's reason when aborted", async () => {
    const { connector, calls } = scripted();
    const controller = new AbortController();
    const opening = withHappyEyeballs(connector, { lookup: () => Promise.resolve(DUAL) })({
      hostname: "dual.test",
      port: 1,
      signal: controller.signal,
    });
    await tick();
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(opening, (error) => error === reason);
    assert.equal(calls[0]!.signal?.aborted, true);
  });
});
