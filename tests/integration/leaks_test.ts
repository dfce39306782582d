/**
 * After every way a connection can end, nothing of it survives: the
 * client's transport is released, the server sees the TCP connection go,
 * and the process holds the sockets and timers it held before.
 *
 * The last check uses Deno's resource table plus
 * `process.getActiveResourcesInfo()` (timers, `node:net` handles) on Deno,
 * and `process.getActiveResourcesInfo()` on Node. Bun's always returns an
 * empty list, so on Bun that check is skipped (once, with a message) and
 * the first two carry the proof. Deno's own test sanitizers do not run
 * under `node:test`, which is why the resource table is read directly.
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { blackHoleUnavailable, startBlackHole } from "../_util/black_hole.ts";
import {
  type Api,
  APIS,
  type ClientHandle,
  type ClientOptionsOfBoth,
  openClient,
} from "../_util/both_apis.ts";
import { assertNoLeaks, resourceBaseline } from "../_util/leaks.ts";
import { KIB } from "../_util/messages.ts";
import { createProbeConnector } from "../_util/probe_connector.ts";
import { type RawServer, type RawServerOptions, startRawServer } from "../_util/raw_ws_server.ts";
import { delay, within } from "../_util/wait.ts";

/** One way for a connection to end. */
interface Lifecycle {
  /** Completes "… after <name>". */
  readonly name: string;
  readonly apis?: readonly Api[];
  readonly server?: RawServerOptions;
  readonly client?: ClientOptionsOfBoth | (() => ClientOptionsOfBoth);
  /** Whether the close is clean. */
  readonly clean: boolean;
  /** Drives the connection to its end (the outcome is awaited after). */
  run(client: ClientHandle, server: RawServer): Promise<void>;
}

const QUIET: ClientOptionsOfBoth = { pingInterval: 0 };

let pendingAbort: AbortController | null = null;

function withSignal(): ClientOptionsOfBoth {
  pendingAbort = new AbortController();
  return { ...QUIET, signal: pendingAbort.signal };
}

const LIFECYCLES: readonly Lifecycle[] = [
  {
    name: "a clean close by the client",
    clean: true,
    async run(client) {
      await client.opened;
      client.close(1000);
    },
  },
  {
    name: "a clean close by the server",
    clean: true,
    async run(client, server) {
      const peer = await server.peer();
      await client.opened;
      peer.sendClose(1000, "done");
    },
  },
  {
    name: "the server resetting the connection",
    clean: false,
    async run(client, server) {
      const peer = await server.peer();
      await client.opened;
      peer.destroy();
    },
  },
  {
    name: "a keepalive timeout",
    server: { answerPings: false },
    client: { pingInterval: 30, pongTimeout: 50 },
    clean: false,
    async run(client) {
      await client.opened;
    },
  },
  {
    name: "a handshake timeout",
    server: { handshake: "ignore" },
    client: { ...QUIET, handshakeTimeout: 100 },
    clean: false,
    async run() {},
  },
  {
    name: "a close timeout",
    server: { answerClose: false },
    client: { ...QUIET, closeTimeout: 100 },
    clean: false,
    async run(client) {
      await client.opened;
      client.close(1000);
    },
  },
  {
    name: "close() before the handshake completed",
    server: { handshake: "ignore" },
    client: QUIET,
    clean: false,
    async run(client, server) {
      await server.peer();
      await delay(10);
      client.close();
    },
  },
  {
    name: "an already aborted signal",
    client: () => ({ ...QUIET, signal: AbortSignal.abort() }),
    clean: false,
    async run() {},
  },
  {
    name: "an abort during the handshake",
    server: { handshake: "ignore" },
    client: withSignal,
    clean: false,
    async run(_client, server) {
      await server.peer();
      await delay(10);
      pendingAbort!.abort();
    },
  },
  {
    name: "an abort after open",
    // WebSocketStream ignores its signal once open (WHATWG).
    apis: ["WebSocket"],
    client: withSignal,
    clean: true,
    async run(client) {
      await client.opened;
      pendingAbort!.abort();
    },
  },
  {
    name: "a close while the server is still pushing and nobody reads",
    client: { ...QUIET, readableHighWaterMark: 256 * KIB },
    clean: true,
    async run(client, server) {
      const peer = await server.peer();
      await client.opened;
      const push = peer.push(128, 64 * KIB); // 8 MiB
      await delay(50);
      client.close(1000);
      push.done.catch(() => {});
    },
  },
  {
    name: "a send past maxBufferedAmount",
    apis: ["WebSocket"],
    client: { ...QUIET, maxBufferedAmount: 64 * KIB },
    clean: false,
    async run(client) {
      await client.opened;
      client.send("x".repeat(128 * KIB));
    },
  },
];

for (const api of APIS) {
  describe(`${api}: nothing survives the end of a connection`, () => {
    for (const lifecycle of LIFECYCLES) {
      if (lifecycle.apis !== undefined && !lifecycle.apis.includes(api)) continue;
      it(`${api} leaves no socket or timer behind after ${lifecycle.name}`, async () => {
        const before = await resourceBaseline();
        const server = await startRawServer(lifecycle.server ?? {});
        const { connector, stats } = createProbeConnector();
        const options = typeof lifecycle.client === "function"
          ? lifecycle.client()
          : lifecycle.client ?? QUIET;
        try {
          const client = openClient(api, server.url, { ...options, transport: connector });
          await within(lifecycle.run(client, server), 3000, `the run of ${lifecycle.name}`);
          const outcome = await within(client.outcome, 3000, `the end of ${lifecycle.name}`);
          assert.equal(outcome.wasClean, lifecycle.clean, `close ${outcome.code}`);
          for (const transport of stats.transports) {
            await within(transport.closed, 1000, "the client's transport to be released");
          }
          for (const peer of server.peers) {
            await within(peer.clientGone, 1000, "the server to see the client go");
          }
        } finally {
          await server.close();
        }
        await assertNoLeaks(before, `${api} after ${lifecycle.name}`);
      });
    }

    it(`${api} leaves no socket or timer behind after a connect timeout`, {
      skip: blackHoleUnavailable(),
    }, async () => {
      const hole = await startBlackHole();
      const before = await resourceBaseline();
      const { connector, stats } = createProbeConnector();
      try {
        const client = openClient(api, `ws://127.0.0.1:${hole.port}/`, {
          ...QUIET,
          connectTimeout: 100,
          transport: connector,
        });
        const outcome = await within(client.outcome, 2000, "the connect timeout");
        assert.equal(outcome.wasClean, false);
        assert.equal(stats.transports.length, 0, "no transport was opened");
        await assertNoLeaks(before, `${api} after a connect timeout`);
      } finally {
        await hole.close();
      }
    });

    it(`${api} holds no more after 20 connections opened and closed one after another`, async () => {
      const before = await resourceBaseline();
      const server = await startRawServer({ echo: true });
      try {
        for (let i = 0; i < 20; i++) {
          const client = openClient(api, server.url, QUIET);
          await client.opened;
          client.send(`message ${i}`);
          assert.equal(await client.nextText(), `message ${i}`);
          client.close(1000);
          assert.equal((await client.outcome).wasClean, true);
        }
        await Promise.all(
          server.peers.map((peer) => within(peer.clientGone, 1000, "every client to go")),
        );
        assert.equal(server.peers.length, 20);
      } finally {
        await server.close();
      }
      await assertNoLeaks(before, `${api} after 20 connections`);
    });
  });
}
