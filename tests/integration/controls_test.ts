/**
 * The controls browsers never gave, over real loopback sockets on the
 * runtime running the test, for both `WebSocket` and `WebSocketStream`:
 * keepalive pings and `ping()`, the handshake, connect and close timeouts,
 * an `AbortSignal`, and the `trace` hook. Servers misbehave on purpose
 * (see `../_util/raw_ws_server.ts`); each test also checks that nothing
 * is left behind.
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ClientTraceRecord } from "../../src/client.ts";
import { blackHoleUnavailable, startBlackHole } from "../_util/black_hole.ts";
import {
  type Api,
  APIS,
  type ClientOptionsOfBoth,
  openClient,
  type Outcome,
} from "../_util/both_apis.ts";
import { assertNoLeaks, resourceBaseline } from "../_util/leaks.ts";
import { type RawServer, type RawServerOptions, startRawServer } from "../_util/raw_ws_server.ts";
import { delay, until, within } from "../_util/wait.ts";

/** Runs `body` against a fresh server, then checks that no socket or timer is left. */
async function withServer(
  options: RawServerOptions,
  label: string,
  body: (server: RawServer) => Promise<void>,
): Promise<void> {
  const before = await resourceBaseline();
  const server = await startRawServer(options);
  try {
    await body(server);
  } finally {
    await server.close();
  }
  await assertNoLeaks(before, label);
}

/** Options that keep the keepalive out of tests about something else. */
const QUIET: ClientOptionsOfBoth = { pingInterval: 0 };

function isTimeoutError(error: unknown, message?: string): boolean {
  assert.ok(error instanceof DOMException, `expected a DOMException, got ${error}`);
  assert.equal(error.name, "TimeoutError");
  if (message !== undefined) assert.equal(error.message, message);
  return true;
}

for (const api of APIS) {
  describe(`${api}: keepalive (pingInterval, pongTimeout)`, () => {
    it(`${api} stays open across several ping intervals while the server answers its pings`, async () => {
      await withServer({}, `${api} keepalive answered`, async (server) => {
        const client = openClient(api, server.url, { pingInterval: 40, pongTimeout: 100 });
        const peer = await server.peer();
        await client.opened;
        // Four answered pings span at least three ping intervals: counted, not timed, so a
        // loaded machine only makes the test slower.
        await until(() => peer.pings >= 4 || client.ended, 30_000, "four keepalive pings");
        assert.equal(client.ended, false, "the connection is still open");
        assert.ok(peer.pings >= 4, `the server saw ${peer.pings} pings`);
        client.close(1000);
        const outcome = await client.outcome;
        assert.deepEqual([outcome.code, outcome.wasClean], [1000, true]);
        await peer.clientGone;
        assert.deepEqual(peer.closeFrames.map((frame) => frame.code), [1000]);
      });
    });

    it(`${api} fails with 1006 and a TimeoutError, sending 1011, when the server never answers pings`, async () => {
      await withServer({ answerPings: false }, `${api} keepalive timeout`, async (server) => {
        const client = openClient(api, server.url, { pingInterval: 40, pongTimeout: 80 });
        const peer = await server.peer();
        await client.opened;
        const outcome = await within(client.outcome, 2000, "the keepalive to fail");
        assert.equal(outcome.code, 1006);
        assert.equal(outcome.wasClean, false);
        isTimeoutError(outcome.error, "Cannot keep connection alive: no pong within 80 ms");
        assert.ok(outcome.elapsed >= 120, `failed after ${outcome.elapsed} ms`);
        await within(peer.clientGone, 1000, "the server to see the client go");
        assert.ok(peer.pings >= 1, "the server saw the keepalive ping");
        // RFC 6455 §7.1.7: fail the connection with a close frame first (1011, as python-websockets).
        assert.deepEqual(peer.closeFrames.map((frame) => frame.code), [1011]);
      });
    });

    it(`${api} sends no ping when pingInterval is 0`, async () => {
      await withServer({}, `${api} pingInterval 0`, async (server) => {
        const client = openClient(api, server.url, { pingInterval: 0, pongTimeout: 20 });
        const peer = await server.peer();
        await client.opened;
        await delay(200);
        assert.equal(peer.pings, 0);
        assert.equal(client.ended, false);
        client.close(1000);
        assert.equal((await client.outcome).wasClean, true);
      });
    });
  });

  describe(`${api}: ping()`, () => {
    it(`${api} ping() resolves with the round-trip time when the pong arrives`, async () => {
      await withServer({}, `${api} ping() answered`, async (server) => {
        const client = openClient(api, server.url, QUIET);
        const peer = await server.peer();
        await client.opened;
        const rtt = await within(client.ping(new Uint8Array([1, 2, 3])), 1000, "the pong");
        assert.equal(typeof rtt, "number");
        assert.ok(rtt >= 0 && rtt < 1000, `rtt ${rtt}`);
        assert.equal(peer.pings, 1);
        client.close(1000);
        assert.equal((await client.outcome).wasClean, true);
      });
    });

    it(`${api} ping() with a timeout rejects with a TimeoutError when the server never answers, and the connection stays open`, async () => {
      await withServer({ answerPings: false }, `${api} ping() timeout`, async (server) => {
        const client = openClient(api, server.url, QUIET);
        const peer = await server.peer();
        await client.opened;
        await assert.rejects(
          client.ping(undefined, { timeout: 50 }),
          (error) => isTimeoutError(error, "Cannot ping: no pong within 50 ms"),
        );
        assert.equal(peer.pings, 1);
        assert.equal(client.ended, false, "a late pong does not fail the connection");
        client.close(1000);
        assert.equal((await client.outcome).wasClean, true);
      });
    });

    it(`${api} ping() rejects with the signal's reason when its signal is or becomes aborted`, async () => {
      await withServer({ answerPings: false }, `${api} ping() aborted`, async (server) => {
        const client = openClient(api, server.url, QUIET);
        const peer = await server.peer();
        await client.opened;
        const reason = new Error("no longer needed");
        await assert.rejects(client.ping(undefined, { signal: AbortSignal.abort(reason) }), reason);
        const controller = new AbortController();
        const pending = client.ping(undefined, { signal: controller.signal });
        await delay(20);
        controller.abort(reason);
        await assert.rejects(pending, reason);
        assert.equal(peer.pings, 1, "an aborted signal sends no ping");
        client.close(1000);
        assert.equal((await client.outcome).wasClean, true);
      });
    });
  });

  describe(`${api}: time limits (handshakeTimeout, connectTimeout, closeTimeout)`, () => {
    it(`${api} fails with 1006 and a TimeoutError when the server never answers the handshake`, async () => {
      await withServer({ handshake: "ignore" }, `${api} handshake timeout`, async (server) => {
        const client = openClient(api, server.url, { ...QUIET, handshakeTimeout: 150 });
        const peer = await server.peer();
        const outcome = await within(client.outcome, 2000, "the handshake to time out");
        await assert.rejects(client.opened);
        assert.equal(outcome.code, 1006);
        assert.equal(outcome.wasClean, false);
        isTimeoutError(outcome.error, "Cannot open connection: no handshake within 150 ms");
        assert.ok(outcome.elapsed >= 140, `failed after ${outcome.elapsed} ms`);
        await within(peer.clientGone, 1000, "the server to see the client go");
      });
    });

    it(
      `${api} fails with a TimeoutError when the TCP connection is not made within connectTimeout`,
      {
        skip: blackHoleUnavailable(),
      },
      async () => {
        const hole = await startBlackHole();
        try {
          const before = await resourceBaseline();
          const client = openClient(api, `ws://127.0.0.1:${hole.port}/`, {
            ...QUIET,
            connectTimeout: 150,
            handshakeTimeout: 5000,
          });
          const outcome = await within(client.outcome, 2000, "the connect to time out");
          await assert.rejects(client.opened);
          assert.equal(outcome.code, 1006);
          assert.equal(outcome.wasClean, false);
          isTimeoutError(
            outcome.error,
            "Cannot open connection: no TCP/TLS connection within 150 ms",
          );
          assert.ok(
            outcome.elapsed >= 140 && outcome.elapsed < 1000,
            `after ${outcome.elapsed} ms`,
          );
          await assertNoLeaks(before, `${api} connect timeout`);
        } finally {
          await hole.close();
        }
      },
    );

    it(`${api} closes the transport after closeTimeout when the server never answers the close frame, and reports an unclean close`, async () => {
      await withServer({ answerClose: false }, `${api} close timeout`, async (server) => {
        const client = openClient(api, server.url, { ...QUIET, closeTimeout: 150 });
        const peer = await server.peer();
        await client.opened;
        const closing = performance.now();
        client.close(1000, "bye");
        const outcome = await within(client.outcome, 2000, "the close timeout");
        const waited = performance.now() - closing;
        assert.equal(outcome.wasClean, false);
        assert.equal(outcome.code, 1006);
        assert.ok(waited >= 140, `closed after ${waited} ms`);
        await within(peer.clientGone, 1000, "the server to see the client go");
        assert.deepEqual(peer.closeFrames, [{ code: 1000, reason: "bye" }]);
      });
    });
  });

  describe(`${api}: AbortSignal`, () => {
    it(`${api} never connects when its signal is already aborted`, async () => {
      await withServer({}, `${api} aborted before connect`, async (server) => {
        const reason = new DOMException("changed my mind", "AbortError");
        const client = openClient(api, server.url, { ...QUIET, signal: AbortSignal.abort(reason) });
        const outcome = await within(client.outcome, 1000, "the abort");
        assertAborted(api, outcome, reason);
        await assert.rejects(client.opened, (error) => error === reason);
        await delay(50);
        assert.equal(server.peers.length, 0, "no TCP connection was made");
      });
    });

    it(`${api} stops the opening handshake when its signal aborts`, async () => {
      await withServer(
        { handshake: "ignore" },
        `${api} aborted during handshake`,
        async (server) => {
          const controller = new AbortController();
          const client = openClient(api, server.url, { ...QUIET, signal: controller.signal });
          const peer = await server.peer();
          await delay(20);
          const reason = new DOMException("took too long", "AbortError");
          controller.abort(reason);
          const outcome = await within(client.outcome, 1000, "the abort");
          assertAborted(api, outcome, reason);
          await assert.rejects(client.opened, (error) => error === reason);
          await within(peer.clientGone, 1000, "the server to see the client go");
        },
      );
    });

    const afterOpen = api === "WebSocket"
      ? "closes with 1001 (going away)"
      : "ignores it, as the WHATWG spec says";
    it(`${api} ${afterOpen} when its signal aborts after the connection opened`, async () => {
      await withServer({}, `${api} aborted after open`, async (server) => {
        const controller = new AbortController();
        const client = openClient(api, server.url, { ...QUIET, signal: controller.signal });
        const peer = await server.peer();
        await client.opened;
        controller.abort();
        if (api !== "WebSocket") {
          await delay(50);
          assert.deepEqual(peer.closeFrames, []);
          client.close(1000);
        }
        const outcome = await within(client.outcome, 1000, "the closing handshake");
        const code = api === "WebSocket" ? 1001 : 1000;
        assert.deepEqual([outcome.code, outcome.wasClean], [code, true]);
        await peer.clientGone;
        assert.deepEqual(peer.closeFrames.map((frame) => frame.code), [code]);
      });
    });
  });

  describe(`${api}: trace`, () => {
    it(`${api} traces connect, connected, the handshake, each frame with its opcode and length, and closed, in order`, async () => {
      await withServer({ echo: true }, `${api} trace`, async (server) => {
        const records: ClientTraceRecord[] = [];
        const client = openClient(api, server.url, { ...QUIET, trace: (r) => records.push(r) });
        await client.opened;
        client.send("hello");
        assert.equal(await client.nextText(), "hello");
        client.close(1000);
        assert.equal((await client.outcome).wasClean, true);
        assert.deepEqual(records.map(describeRecord), [
          "phase connect tls=false",
          "phase connected tls=false",
          "handshake out status=0",
          "handshake in status=101",
          "frame out opcode=1 length=5 fin=true rsv=0",
          "frame in opcode=1 length=5 fin=true rsv=0",
          "frame out opcode=8 length=2 fin=true rsv=0",
          "frame in opcode=8 length=2 fin=true rsv=0",
          "phase closed tls=false",
        ]);
      });
    });
  });
}

function describeRecord(record: ClientTraceRecord): string {
  switch (record.type) {
    case "phase":
      return `phase ${record.phase} tls=${record.tls}`;
    case "handshake":
      return `handshake ${record.direction} status=${record.status}`;
    case "frame":
      return `frame ${record.direction} opcode=${record.opcode} length=${record.length} fin=${record.fin} rsv=${record.rsv}`;
    default:
      return JSON.stringify(record);
  }
}

/**
 * An abort before the connection opened: close 1006 for `WebSocket` (with
 * the reason in the error event), and for `WebSocketStream` `opened` and
 * `closed` rejected with the signal's abort reason (WHATWG WebSocketStream
 * constructor, step "If signal is aborted, then reject this's opened
 * promise and closed promise with signal's abort reason").
 */
function assertAborted(api: Api, outcome: Outcome, reason: unknown): void {
  assert.equal(outcome.wasClean, false);
  if (api === "WebSocket") {
    assert.equal(outcome.code, 1006);
    assert.equal(outcome.error, reason);
  } else {
    assert.equal(outcome.rejection, reason);
  }
}
