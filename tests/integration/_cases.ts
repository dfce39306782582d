/**
 * The interop cases, run by `*_server_test.ts` against one real server
 * each (see `tests/_util/peers.ts`), from whichever runtime runs the test:
 * every test file runs under Deno, Bun and Node, so the three files make
 * the whole client-runtime × server matrix.
 *
 * A case a peer's server cannot play is skipped with the reason (see
 * `PEER_CAPABILITIES`). Each peer is one child process with a plain and a
 * TLS port, started in `before` and stopped in `after`; a case that ends
 * the process (Deno's `vanish-mid-message`) starts a peer of its own.
 *
 * @module
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  HandshakeError,
  ProtocolError,
  TransportError,
  WebSocketError,
  WebSocketStream,
} from "../../mod.ts";
import { getTestCertificate, type TestCertificate } from "../_util/tls_cert.ts";
import {
  type Peer,
  PEER_CAPABILITIES,
  type PeerName,
  peerUnavailable,
  startPeer,
} from "../_util/peers.ts";
import {
  assertPattern,
  clientRuntime,
  closeCleanly,
  failed,
  nextId,
  open,
  pattern,
  record,
  textOfBytes,
  within,
} from "./_client.ts";

/** Sizes at the frame-length encoding boundaries (RFC 6455 §5.2). */
const SIZES = [0, 1, 125, 126, 65535, 65536] as const;
const HUGE = 16 * 1024 * 1024;

const encoder = new TextEncoder();

function skipUnless(capability: true | string): { skip?: string } {
  return capability === true ? {} : { skip: capability };
}

/**
 * Defines the cases against one peer.
 *
 * @param name The server.
 */
export function peerSuite(name: PeerName): void {
  const unavailable = peerUnavailable(name);
  const can = PEER_CAPABILITIES[name];
  let peer: Peer;
  let certificate: TestCertificate;
  /** A URL of the peer's plain port with a fresh connection id. */
  function url(path = "/"): string {
    return `ws://127.0.0.1:${peer.port}${path}?id=${nextId()}`;
  }
  /** A `wss://localhost` URL of the peer's TLS port with a fresh connection id. */
  function tlsUrl(): string {
    return `wss://localhost:${peer.tlsPort}/?id=${nextId()}`;
  }
  /** The connection id in a URL made by `url()` or `tlsUrl()`. */
  function idOf(address: string): string {
    return new URL(address).searchParams.get("id")!;
  }

  /** Runs `body` against a peer that may die (Deno's vanish): a fresh one when it would. */
  async function withVanishingPeer(body: (target: Peer) => Promise<void>): Promise<void> {
    if (!can.vanishEndsProcess) return body(peer);
    const own = await startPeer(name);
    try {
      await body(own);
    } finally {
      await own.stop();
    }
  }

  describe(`${clientRuntime} client ↔ ${name} server`, { skip: unavailable }, () => {
    before(async () => {
      certificate = await getTestCertificate();
      peer = await startPeer(name, certificate);
    });
    after(async () => {
      await peer?.stop();
    });

    describe("WebSocket: messages (RFC 6455 §5.2 length encodings)", () => {
      for (const size of SIZES) {
        it(`echoes a ${size}-byte text message`, async () => {
          const client = record(url());
          await open(client);
          const text = textOfBytes(size);
          client.socket.send(text);
          assert.equal(await client.next(), text);
          await closeCleanly(client);
        });
        it(`echoes a ${size}-byte binary message`, async () => {
          const client = record(url());
          await open(client);
          client.socket.send(pattern(size));
          assertPattern(await client.next(), size);
          await closeCleanly(client);
        });
      }

      it("echoes a 16 MiB binary message", async () => {
        const client = record(url());
        await open(client);
        client.socket.send(pattern(HUGE));
        assertPattern(await client.next(15_000), HUGE);
        await closeCleanly(client);
      });

      it("echoes a 4 MiB text message of 1- to 4-byte characters", async () => {
        const client = record(url());
        await open(client);
        const text = textOfBytes(4 * 1024 * 1024);
        client.socket.send(text);
        assert.ok((await client.next(10_000)) === text, "the echoed text differs");
        await closeCleanly(client);
      });

      it("receives a message the server sent in fragments, with a ping between them", {
        ...skipUnless(can.fragments),
      }, async () => {
        const client = record(url());
        await open(client);
        client.socket.send("send-fragmented");
        assert.equal(await client.next(), "Hello, fragmented world");
        assertPattern(await client.next(), 100_000);
        // The ping between the fragments was answered (§5.4: control frames may be injected).
        const pong = await peer.event((e) => e.type === "pong" && e.data === "between");
        assert.equal(pong.data, "between");
        await closeCleanly(client);
      });

      it("sends messages in fragments (fragmentSize) that the server reassembles", async () => {
        const client = record(url(), { fragmentSize: 1000 });
        await open(client);
        const text = textOfBytes(5000);
        client.socket.send(text);
        client.socket.send(pattern(65536));
        assert.equal(await client.next(), text);
        assertPattern(await client.next(), 65536);
        await closeCleanly(client);
      });

      it("keeps the order of 300 messages sent at once, text and binary mixed", async () => {
        const client = record(url());
        await open(client);
        for (let i = 0; i < 300; i++) {
          client.socket.send(i % 3 === 2 ? pattern(i * 10) : `message ${i}`);
        }
        for (let i = 0; i < 300; i++) {
          const data = await client.next();
          if (i % 3 === 2) assertPattern(data, i * 10);
          else assert.equal(data, `message ${i}`);
        }
        assert.equal(client.socket.bufferedAmount, 0);
        await closeCleanly(client);
      });

      it("delivers the message the server sent just before its close frame", async () => {
        const client = record(url());
        await open(client);
        client.socket.send("big:70000");
        client.socket.send("close:4002:after the data");
        assertPattern(await client.next(), 70000);
        const event = await within(client.closed, 5_000, "the close event");
        assert.equal(event.code, 4002);
        assert.equal(event.wasClean, true);
        assert.deepEqual(client.order, ["open", "message", "close"]);
      });

      it("serves 20 connections at once", async () => {
        const clients = Array.from({ length: 20 }, () => record(url()));
        await Promise.all(clients.map(open));
        clients.forEach((client, i) => client.socket.send(`client ${i}`));
        for (const [i, client] of clients.entries()) {
          assert.equal(await client.next(), `client ${i}`);
        }
        await Promise.all(clients.map((client) => closeCleanly(client)));
      });
    });

    describe("WebSocket: ping and pong (RFC 6455 §5.5.2, §5.5.3)", () => {
      it("answers the server's ping with a pong carrying the same data", {
        ...skipUnless(can.pingOnRequest),
      }, async () => {
        const client = record(url());
        await open(client);
        client.socket.send("ping:are you there?");
        assert.equal(await client.next(), "pong:are you there?");
        await closeCleanly(client);
      });

      it("answers the idle pings of Deno's idleTimeout, so the server keeps the connection", {
        ...(can.idlePing ? {} : { skip: `the ${name} peer does not ping by itself` }),
      }, async () => {
        let pings = 0;
        let pongs = 0;
        const client = record(url("/idle"), {
          trace(entry) {
            if (entry.type !== "frame") return;
            if (entry.direction === "in" && entry.opcode === 0x9) pings++;
            if (entry.direction === "out" && entry.opcode === 0xa) pongs++;
          },
        });
        await open(client);
        // Deno pings after 250 ms of silence and closes with 1001 when no pong
        // follows within 250 ms more; stay silent through four such periods.
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        assert.ok(pings >= 3, `expected at least 3 pings, saw ${pings}`);
        assert.equal(pongs, pings);
        client.socket.send("still here");
        assert.equal(await client.next(), "still here");
        await closeCleanly(client);
      });

      it("pings the server and gets its pong (ping())", async () => {
        const client = record(url());
        await open(client);
        const id = idOf(client.socket.url);
        const rtt = await within(
          client.socket.ping(encoder.encode("hello from the client")),
          5_000,
          "the pong",
        );
        assert.equal(typeof rtt, "number");
        assert.ok(rtt >= 0);
        if (can.seesPings === true) {
          const seen = await peer.event((e) => e.type === "ping" && e.id === id);
          assert.equal(seen.data, "hello from the client");
        }
        await closeCleanly(client);
      });
    });

    describe("WebSocket: keepalive (pingInterval, pongTimeout)", () => {
      it("keeps the connection up with keepalive pings the server answers", async () => {
        let pings = 0;
        let pongs = 0;
        const client = record(url(), {
          pingInterval: 50,
          pongTimeout: 1_000,
          trace(entry) {
            if (entry.type !== "frame") return;
            if (entry.direction === "out" && entry.opcode === 0x9) pings++;
            if (entry.direction === "in" && entry.opcode === 0xa) pongs++;
          },
        });
        await open(client);
        const id = idOf(client.socket.url);
        await new Promise((resolve) => setTimeout(resolve, 400));
        assert.ok(pings >= 3, `expected at least 3 keepalive pings, sent ${pings}`);
        assert.ok(pongs >= pings - 1, `${pings} pings, ${pongs} pongs`);
        if (can.seesPings === true) await peer.event((e) => e.type === "ping" && e.id === id);
        client.socket.send("after the keepalives");
        assert.equal(await client.next(), "after the keepalives");
        await closeCleanly(client);
      });
    });

    describe("WebSocket: closing handshake (RFC 6455 §5.5.1, §7)", () => {
      it("closes with 1000 and the server sees 1000", async () => {
        const client = record(url());
        await open(client);
        const id = idOf(client.socket.url);
        await closeCleanly(client, 1000);
        const seen = await peer.event((e) => e.type === "close" && e.id === id);
        assert.equal(seen.code, 1000);
      });

      it("closes without a code: an empty close frame, 1005 on both sides (§7.1.5)", async () => {
        const client = record(url());
        await open(client);
        const id = idOf(client.socket.url);
        client.socket.close();
        const event = await within(client.closed, 5_000, "the close event");
        assert.equal(event.code, 1005);
        assert.equal(event.wasClean, true);
        const seen = await peer.event((e) => e.type === "close" && e.id === id);
        assert.equal(seen.code, 1005);
      });

      it("closes with 4000 and a reason, which the server sees", async () => {
        const client = record(url());
        await open(client);
        const id = idOf(client.socket.url);
        await closeCleanly(client, 4000, "client says bye ✓");
        const seen = await peer.event((e) => e.type === "close" && e.id === id);
        assert.equal(seen.code, 4000);
        assert.equal(seen.reason, "client says bye ✓");
      });

      it("closes right after a 4 MiB send, and the server gets the whole message first", async () => {
        const client = record(url());
        await open(client);
        const id = idOf(client.socket.url);
        client.socket.send(pattern(4 * 1024 * 1024));
        assert.ok(client.socket.bufferedAmount > 0);
        await closeCleanly(client, 1000, "sent it all");
        const received = await peer.event((e) => e.type === "binary" && e.id === id);
        assert.equal(received.size, 4 * 1024 * 1024);
        const seen = await peer.event((e) => e.type === "close" && e.id === id);
        assert.equal(seen.code, 1000);
        assert.equal(seen.reason, "sent it all");
        assert.equal(client.socket.bufferedAmount, 0);
        assert.ok(!client.order.includes("message"), "no message is dispatched while closing");
      });

      it("fails a message over maxMessageSize: 1009 to the server, error then close 1006", async () => {
        const client = record(url(), { maxMessageSize: 1000 });
        await open(client);
        const id = idOf(client.socket.url);
        client.socket.send("big:2000");
        const { error } = await failed(client);
        assert.ok(error instanceof ProtocolError, `error: ${error}`);
        assert.equal(error.closeCode, 1009);
        assert.ok(!client.order.includes("message"));
        // §7.1.7: the failing endpoint sends its close frame and reads nothing more.
        const seen = await peer.event((e) => e.type === "close" && e.id === id);
        assert.equal(seen.code, 1009);
      });

      it("closes with 1001 (going away) when its AbortSignal fires after the open", async () => {
        const controller = new AbortController();
        const client = record(url(), { signal: controller.signal });
        await open(client);
        const id = idOf(client.socket.url);
        controller.abort();
        const event = await within(client.closed, 5_000, "the close event");
        assert.equal(event.code, 1001);
        assert.equal(event.wasClean, true);
        const seen = await peer.event((e) => e.type === "close" && e.id === id);
        assert.equal(seen.code, 1001);
      });

      it("reports the server's close with 4001 and its reason, cleanly", async () => {
        const client = record(url());
        await open(client);
        client.socket.send("close:4001:server says au revoir, ça va");
        const event = await within(client.closed, 5_000, "the close event");
        assert.equal(event.code, 4001);
        assert.equal(event.reason, "server says au revoir, ça va");
        assert.equal(event.wasClean, true);
        assert.deepEqual(client.order, ["open", "close"]);
      });

      it("fails with 1006 when the server vanishes mid-message, error before close", async () => {
        await withVanishingPeer(async (target) => {
          const id = nextId();
          const client = record(`ws://127.0.0.1:${target.port}/?id=${id}`);
          await open(client);
          client.socket.send("vanish-mid-message");
          const vanished = await target.event((e) => e.type === "vanish" && e.id === id);
          const { error } = await failed(client);
          assert.ok(!client.order.includes("message"), `events: ${client.order}`);
          assert.ok(
            error instanceof ProtocolError || error instanceof TransportError,
            `error: ${error}`,
          );
          if (error instanceof ProtocolError) assert.equal(error.code, "UNEXPECTED_EOF");
          else assert.equal((error as TransportError).code, "CONNECTION_LOST");
          // The peer had written part of the message, not all of it.
          assert.equal(vanished.midMessage, true);
        });
      });
    });

    describe("WebSocket: subprotocols (RFC 6455 §4.1, §11.3.4)", () => {
      it("uses the subprotocol the server chose", async () => {
        const client = record(url(), { protocols: ["unknown.example", "wsport.v1", "wsport.v2"] });
        await open(client);
        assert.equal(client.socket.protocol, "wsport.v1");
        const seen = await peer.event((e) => e.type === "open" && e.id === idOf(client.socket.url));
        assert.equal(seen.protocol, "wsport.v1");
        await closeCleanly(client);
      });

      it('opens with protocol "" when the server picks none of those offered', async () => {
        const client = record(url(), { protocols: ["unknown.example"] });
        await open(client);
        assert.equal(client.socket.protocol, "");
        await closeCleanly(client);
      });

      it("fails when the server picks a subprotocol that was not offered", async () => {
        const client = record(url("/protocol/unoffered"), { protocols: ["wsport.v1"] });
        const { error } = await failed(client);
        assert.ok(!client.order.includes("open"));
        assert.ok(error instanceof HandshakeError, `error: ${error}`);
        assert.equal(error.code, "INVALID_SUBPROTOCOL");
        assert.equal(error.status, 101);
      });
    });

    describe("WebSocket: the opening handshake", () => {
      it("sends the custom headers, the origin and the URL's credentials", async () => {
        const address = url().replace("ws://", "ws://alice:s3cret@");
        const client = record(address, {
          headers: { "X-Wsport-Test": "from the client", "Accept-Language": "fr" },
          origin: "https://app.example",
        });
        await open(client);
        client.socket.send("headers");
        const seen = JSON.parse(String(await client.next())) as Record<string, string>;
        assert.equal(seen["x-wsport-test"], "from the client");
        assert.equal(seen["accept-language"], "fr");
        assert.equal(seen["origin"], "https://app.example");
        assert.equal(seen["authorization"], `Basic ${btoa("alice:s3cret")}`);
        assert.equal(seen["host"], `127.0.0.1:${peer.port}`);
        assert.equal(seen["sec-websocket-version"], "13");
        await closeCleanly(client);
      });

      it("speaks draft hybi-10: Sec-WebSocket-Version 8 and Sec-WebSocket-Origin", {
        ...skipUnless(can.hybi10),
      }, async () => {
        const client = record(url(), { protocolVersion: "hybi-10", origin: "https://app.example" });
        await open(client);
        client.socket.send("headers");
        const seen = JSON.parse(String(await client.next())) as Record<string, string>;
        assert.equal(seen["sec-websocket-version"], "8");
        assert.equal(seen["sec-websocket-origin"], "https://app.example");
        assert.equal(seen["origin"], undefined);
        client.socket.send(pattern(65536));
        assertPattern(await client.next(), 65536);
        await closeCleanly(client, 4000, "hybi-10 done");
      });

      for (const status of [403, 404, 500]) {
        it(`fails on a ${status} answer with a HandshakeError holding status, headers and body`, async () => {
          const client = record(url(`/status/${status}`));
          const { error } = await failed(client);
          assert.ok(!client.order.includes("open"));
          assert.ok(error instanceof HandshakeError, `error: ${error}`);
          assert.equal(error.code, "UNEXPECTED_STATUS");
          assert.equal(error.status, status);
          assert.ok(
            error.headers.some(([header, value]) => header === "x-peer" && value === name),
            `headers: ${JSON.stringify(error.headers)}`,
          );
          assert.match(
            new TextDecoder().decode(error.body),
            new RegExp(`^${name} refused with ${status}`),
          );
        });
      }
    });

    describe("WebSocket: TLS (wss:)", () => {
      it("talks over TLS to wss://localhost with the test CA (text, 1 MiB binary)", async () => {
        const client = record(tlsUrl(), { tls: { ca: certificate.ca } });
        await open(client);
        client.socket.send("over TLS ✓");
        assert.equal(await client.next(), "over TLS ✓");
        client.socket.send(pattern(1024 * 1024));
        assertPattern(await client.next(), 1024 * 1024);
        await closeCleanly(client);
      });

      it("fails with 1006 and a TLS_FAILED TransportError for an unknown CA", async () => {
        const client = record(tlsUrl());
        const { error } = await failed(client);
        assert.ok(error instanceof TransportError, `error: ${error}`);
        assert.equal(error.code, "TLS_FAILED");
      });

      it("fails with 1006 and a TLS_FAILED TransportError when the name does not match", async () => {
        const client = record(tlsUrl(), {
          tls: { ca: certificate.ca, servername: "wrong.example" },
        });
        const { error } = await failed(client);
        assert.ok(error instanceof TransportError, `error: ${error}`);
        assert.equal(error.code, "TLS_FAILED");
      });
    });

    describe("WebSocketStream", () => {
      it("echoes text and binary, then closes with 4000 and a reason", async () => {
        const address = url();
        const stream = new WebSocketStream(address);
        const { readable, writable, protocol } = await within(stream.opened, 5_000, "opened");
        assert.equal(protocol, "");
        const writer = writable.getWriter();
        const reader = readable.getReader();
        await writer.write("hello, streams");
        assert.equal((await reader.read()).value, "hello, streams");
        await writer.write(pattern(65536));
        assertPattern((await reader.read()).value, 65536);
        stream.close({ closeCode: 4000, reason: "stream done" });
        const result = await within(stream.closed, 5_000, "closed");
        assert.equal(result.closeCode, 4000);
        const seen = await peer.event((e) => e.type === "close" && e.id === idOf(address));
        assert.equal(seen.code, 4000);
        assert.equal(seen.reason, "stream done");
        assert.equal((await reader.read()).done, true);
      });

      it("resolves closed with the server's 4001 and reason, and ends the readable", async () => {
        const stream = new WebSocketStream(url());
        const { readable, writable } = await within(stream.opened, 5_000, "opened");
        await writable.getWriter().write("close:4001:stream over");
        const result = await within(stream.closed, 5_000, "closed");
        assert.deepEqual(result, { closeCode: 4001, reason: "stream over" });
        assert.equal((await readable.getReader().read()).done, true);
      });

      it("rejects opened with a WebSocketError caused by the HandshakeError of a 403", async () => {
        const stream = new WebSocketStream(url("/status/403"));
        const error = await within(stream.opened.then(() => null, (e) => e), 5_000, "opened");
        assert.ok(error instanceof WebSocketError, `error: ${error}`);
        assert.equal(error.closeCode, 1006);
        assert.ok(error.cause instanceof HandshakeError, `cause: ${error.cause}`);
        assert.equal(error.cause.status, 403);
        await assert.rejects(stream.closed, WebSocketError);
      });

      it("errors the readable and rejects closed with 1006 when the server vanishes", async () => {
        await withVanishingPeer(async (target) => {
          const stream = new WebSocketStream(`ws://127.0.0.1:${target.port}/?id=${nextId()}`);
          const { readable, writable } = await within(stream.opened, 5_000, "opened");
          await writable.getWriter().write("vanish-mid-message");
          const reader = readable.getReader();
          const error = await within(reader.read().then(() => null, (e) => e), 5_000, "read");
          assert.ok(error instanceof WebSocketError, `error: ${error}`);
          assert.equal(error.closeCode, 1006);
          const closed = await within(stream.closed.then(() => null, (e) => e), 5_000, "closed");
          assert.ok(closed instanceof WebSocketError);
          assert.equal(closed.closeCode, 1006);
        });
      });

      it("talks over TLS to wss://localhost with the test CA", async () => {
        const stream = new WebSocketStream(tlsUrl(), { tls: { ca: certificate.ca } });
        const { readable, writable } = await within(stream.opened, 5_000, "opened");
        await writable.getWriter().write("streams over TLS");
        assert.equal((await readable.getReader().read()).value, "streams over TLS");
        stream.close({ closeCode: 1000 });
        assert.equal((await within(stream.closed, 5_000, "closed")).closeCode, 1000);
      });
    });
  });
}
