/**
 * Interoperability with the seed library, Perl's Protocol::WebSocket, in
 * all four protocol versions, both ways:
 *
 * - our `WebSocket` (with `protocolVersion`) against an echo server built
 *   on the seed's Handshake::Server and Frame (`tests/peers/perl_echo_server.pl`);
 * - the seed's client (`tests/peers/perl_client.pl`) against our
 *   `ServerConnection`, run over `node:net` by `examples/server_node.ts`;
 * - the runtime's own global `WebSocket` (RFC 6455 only) against the same
 *   server; Node 20 has none.
 *
 * The Perl cases are skipped when `perl -MProtocol::WebSocket -e1` fails
 * (on Debian: `apt-get install libprotocol-websocket-perl`).
 *
 * @module
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { type NodeServer, startNodeServer } from "../../examples/server_node.ts";
import type { ServerConnection, ServerConnectionEvent } from "../../src/protocol/mod.ts";
import { PROTOCOL_VERSIONS, type ProtocolVersion } from "../../src/protocol/protocol_version.ts";
import { open, record, within } from "./_client.ts";
import { repositoryRoot } from "../_util/peers.ts";

const PEERS = join(repositoryRoot(), "tests", "peers");

/** Why the Perl cases cannot run here, or `false`. */
function perlUnavailable(): string | false {
  try {
    const result = spawnSync("perl", ["-MProtocol::WebSocket", "-e1"], { stdio: "ignore" });
    if (result.error !== undefined) return `perl cannot be run (${result.error.message})`;
    if (result.status !== 0) {
      return "perl has no Protocol::WebSocket (apt-get install libprotocol-websocket-perl)";
    }
    return false;
  } catch (error) {
    return `perl cannot be run (${error instanceof Error ? error.message : String(error)})`;
  }
}

const PERL_SKIP = perlUnavailable();

/** Registers `body`, or one skipped test saying why (Bun drops a skipped `describe` silently). */
function describePerl(name: string, body: () => void): void {
  if (PERL_SKIP === false) describe(name, body);
  else it(`${name} (skipped: ${PERL_SKIP})`, { skip: PERL_SKIP }, () => {});
}

/** The seed's echo server, started as a child process. */
interface PerlServer {
  readonly port: number;
  stop(): Promise<void>;
}

async function startPerlServer(): Promise<PerlServer> {
  const child = spawn("perl", [join(PEERS, "perl_echo_server.pl")], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (data) => stderr += String(data));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await within(
    new Promise<number>((resolve, reject) => {
      let stdout = "";
      child.stdout!.on("data", (data) => {
        stdout += String(data);
        const line = stdout.split("\n")[0]!;
        if (stdout.includes("\n")) resolve(Number(line));
      });
      child.once("exit", (code) => reject(new Error(`perl exited with ${code}: ${stderr}`)));
    }),
    5_000,
    "the Perl server's port",
  );
  return {
    port,
    async stop() {
      child.stdin!.end(); // the server exits when its stdin closes
      const timer = setTimeout(() => child.kill("SIGKILL"), 2_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs the seed's client to completion; resolves with its stdout lines. */
function runPerlClient(
  url: string,
  version: ProtocolVersion,
  messages: readonly string[],
): Promise<string[]> {
  const hex = messages.map((message) => Buffer.from(message, "utf8").toString("hex"));
  const child: ChildProcess = spawn("perl", [join(PEERS, "perl_client.pl"), url, version, ...hex], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (data) => stdout += String(data));
  child.stderr!.on("data", (data) => stderr += String(data));
  return within(
    new Promise<string[]>((resolve, reject) => {
      child.once("exit", (code) => {
        const lines = stdout.split("\n").filter((line) => line !== "");
        if (code === 0) resolve(lines);
        else {reject(
            new Error(`perl_client.pl exited with ${code}: ${lines.join(" | ")} ${stderr}`),
          );}
      });
    }),
    8_000,
    `the Perl client (${version})`,
  ).finally(() => child.kill());
}

const MESSAGES = ["hello", "héllo ☺ 𝄞"];

/** The close code a clean close reports: legacy versions carry none (1005). */
function cleanCode(version: ProtocolVersion): number {
  return version === "hybi-00" || version === "hixie-75" ? 1005 : 1000;
}

describePerl("wsport's WebSocket against the seed's server (Handshake::Server + Frame)", () => {
  let server: PerlServer;
  before(async () => {
    server = await startPerlServer();
  });
  after(async () => {
    await server?.stop();
  });

  for (const version of PROTOCOL_VERSIONS) {
    it(`${version}: text both ways, then a clean close`, async () => {
      const client = record(`ws://127.0.0.1:${server.port}/echo`, { protocolVersion: version });
      await open(client);
      for (const message of MESSAGES) {
        client.socket.send(message);
        assert.equal(await client.next(), message);
      }
      client.socket.close(1000, "done");
      const event = await within(client.closed, 5_000, "the close event");
      assert.deepEqual(
        [event.wasClean, event.code],
        [true, cleanCode(version)],
        `events: ${client.order}`,
      );
      assert.deepEqual(client.errors, []);
    });
  }

  it("rfc6455: binary both ways", async () => {
    const client = record(`ws://127.0.0.1:${server.port}/`, {});
    await open(client);
    client.socket.send(new Uint8Array([0, 1, 254, 255]));
    assert.deepEqual(
      new Uint8Array(await client.next() as ArrayBuffer),
      new Uint8Array([0, 1, 254, 255]),
    );
    client.socket.close();
    assert.equal((await within(client.closed, 5_000, "the close event")).wasClean, true);
  });

  it("hybi-00: an answer that comes in a later write than the head (the seed's HAProxy mode)", async () => {
    const client = record(`ws://127.0.0.1:${server.port}/split`, { protocolVersion: "hybi-00" });
    await open(client);
    client.socket.send("late");
    assert.equal(await client.next(), "late");
    client.socket.close();
    assert.equal((await within(client.closed, 5_000, "the close event")).code, 1005);
  });

  it("hybi-00 and hixie-75 refuse binary messages with a TypeError", async () => {
    for (const version of ["hybi-00", "hixie-75"] as const) {
      const client = record(`ws://127.0.0.1:${server.port}/`, { protocolVersion: version });
      await open(client);
      assert.throws(() => client.socket.send(new Uint8Array(1)), TypeError);
      client.socket.close();
      await within(client.closed, 5_000, "the close event");
    }
  });
});

describePerl(
  "the seed's client (perl_client.pl) against wsport's ServerConnection over node:net",
  () => {
    let server: NodeServer;
    before(async () => {
      server = await startNodeServer(0);
    });
    after(async () => {
      await server?.close();
    });

    for (const version of PROTOCOL_VERSIONS) {
      it(`${version}: text both ways, then a close`, async () => {
        const lines = await runPerlClient(`ws://127.0.0.1:${server.port}/chat`, version, MESSAGES);
        const echoes = MESSAGES.map((message) =>
          `message ${Buffer.from(message, "utf8").toString("hex")}`
        );
        // The server's close frame (or 0xFF 0x00) is seen by the seed's Frame, not by its Client (rfc6455).
        const closing = version === "hybi-10" || version === "hybi-00" ? ["closing"] : [];
        assert.deepEqual(lines, ["open", ...echoes, ...closing, "closed"]);
      });
    }
  },
);

/** The runtime's own WebSocket class, if it has one (Deno, Bun, Node 22+). */
const NativeWebSocket = (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
const NATIVE_SKIP = typeof NativeWebSocket === "function"
  ? false
  : "this runtime has no global WebSocket (Node before 22)";

/** Registers `body`, or one skipped test saying why. */
function describeNative(name: string, body: () => void): void {
  if (NATIVE_SKIP === false) describe(name, body);
  else it(`${name} (skipped: ${NATIVE_SKIP})`, { skip: NATIVE_SKIP }, () => {});
}

describeNative(
  "the runtime's global WebSocket against wsport's ServerConnection over node:net",
  () => {
    let server: NodeServer;
    before(async () => {
      // Echo, choosing "superchat" when offered.
      server = await startNodeServer(
        0,
        (connection: ServerConnection, event: ServerConnectionEvent) => {
          if (event.type === "request") {
            connection.accept({
              protocol: event.request.protocols.includes("superchat") ? "superchat" : null,
            });
          } else if (event.type === "message" && connection.state === "open") {
            if (typeof event.data === "string") connection.sendText(event.data);
            else connection.sendBinary(event.data);
          }
        },
      );
    });
    after(async () => {
      await server?.close();
    });

    it("rfc6455: a subprotocol, text and binary both ways, a close with a code", async () => {
      const socket = new NativeWebSocket!(`ws://127.0.0.1:${server.port}/`, ["chat", "superchat"]);
      socket.binaryType = "arraybuffer";
      const messages: unknown[] = [];
      let wake: (() => void) | null = null;
      socket.onmessage = (event) => {
        messages.push(event.data);
        wake?.();
      };
      const closed = new Promise<CloseEvent>((resolve) => socket.onclose = resolve);
      await within(
        new Promise<void>((resolve, reject) => {
          socket.onopen = () => resolve();
          socket.onerror = () => reject(new Error("the native client failed to open"));
        }),
        5_000,
        "the native client's open event",
      );
      assert.equal(socket.protocol, "superchat");
      const next = async () => {
        while (messages.length === 0) {
          await within(new Promise<void>((resolve) => wake = resolve), 5_000, "an echo");
        }
        return messages.shift();
      };
      for (const message of MESSAGES) {
        socket.send(message);
        assert.equal(await next(), message);
      }
      socket.send(new Uint8Array([1, 2, 3]));
      assert.deepEqual(new Uint8Array(await next() as ArrayBuffer), new Uint8Array([1, 2, 3]));
      socket.close(4000, "bye");
      const event = await within(closed, 5_000, "the native client's close event");
      // The core echoes the code of a close frame, not its reason (RFC 6455 §5.5.1).
      assert.deepEqual([event.code, event.reason, event.wasClean], [4000, "", true]);
    });
  },
);

/** A Node >= 22 binary, for Node's own WebSocket client: the pinned `node` dev dependency. */
const NODE22 = join(repositoryRoot(), "node_modules", "node", "bin", "node");
const NODE22_SKIP =
  spawnSync(NODE22, ["-e", "process.exit(typeof WebSocket === 'function' ? 0 : 1)"])
      .status === 0
    ? false
    : `no Node with a global WebSocket at ${NODE22} (npm install adds one)`;

describe("Node's global WebSocket (Node 22, a child process) against wsport's ServerConnection", () => {
  let server: NodeServer;
  before(async () => {
    if (NODE22_SKIP !== false) return;
    server = await startNodeServer(
      0,
      (connection: ServerConnection, event: ServerConnectionEvent) => {
        if (event.type === "request") {
          connection.accept({
            protocol: event.request.protocols.includes("superchat") ? "superchat" : null,
          });
        } else if (event.type === "message" && connection.state === "open") {
          if (typeof event.data === "string") connection.sendText(event.data);
          else connection.sendBinary(event.data);
        }
      },
    );
  });
  after(async () => {
    await server?.close();
  });

  it(
    "rfc6455: a subprotocol, text and binary echoed, a close with a code",
    { skip: NODE22_SKIP },
    async () => {
      const child = spawn(NODE22, [
        join(repositoryRoot(), "tests", "peers", "node_native_client.mjs"),
        `ws://127.0.0.1:${server.port}/`,
      ], { stdio: ["ignore", "pipe", "inherit"] });
      let output = "";
      child.stdout!.on("data", (chunk: Uint8Array) => output += new TextDecoder().decode(chunk));
      await within(
        new Promise((resolve) => child.on("exit", resolve)),
        10_000,
        "the Node client to finish",
      );
      const seen = JSON.parse(output.trim());
      assert.deepEqual(seen, {
        protocol: "superchat",
        messages: ["hello", [1, 2, 3]],
        // The core echoes the code of a close frame, not its reason (RFC 6455 §5.5.1).
        close: { code: 4000, reason: "", wasClean: true },
        error: null,
      });
    },
  );
});
