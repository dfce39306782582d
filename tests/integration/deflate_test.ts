/**
 * permessage-deflate against real servers that compress, started here on
 * loopback and stopped at the end, over TCP and TLS, from the runtime running
 * this file: the `ws` package (context takeover, `no_context_takeover`,
 * window bits 9), `Bun.serve` with `perMessageDeflate`, and python's
 * `websockets` (Debian `python3-websockets`, compressing by default).
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { NegotiatedPerMessageDeflate, WebSocket, type WebSocketInit } from "../../mod.ts";
import type { ClientTraceRecord } from "../../src/client.ts";
import { repositoryRoot } from "../_util/peers.ts";
import { getTestCertificate, type TestCertificate } from "../_util/tls_cert.ts";

const PYTHON = "/usr/bin/python3";

interface Server {
  readonly ports: Record<string, number>;
  readonly tlsPorts: Record<string, number>;
  stop(): Promise<void>;
}

function command(name: "ws" | "bun" | "python"): { command: string; args: string[] } {
  const root = repositoryRoot();
  switch (name) {
    case "ws":
      return {
        command: process.env.NODE_BIN ?? "node",
        args: [join(root, "tests/peers/deflate_ws_server.mjs")],
      };
    case "bun":
      return {
        command: process.env.BUN_BIN ?? join(root, "node_modules/.bin/bun"),
        args: [join(root, "tests/peers/deflate_bun_server.ts")],
      };
    case "python":
      return { command: PYTHON, args: [join(root, "tests/peers/deflate_python_server.py")] };
  }
}

function unavailable(name: "ws" | "bun" | "python"): string | false {
  const { command: binary } = command(name);
  if (binary.includes("/") && !existsSync(binary)) return `${binary} does not exist`;
  if (name === "python") {
    const probe = spawnSync(PYTHON, ["-c", "import websockets"]);
    if (probe.status !== 0) {
      return "python3-websockets is not installed (apt-get install python3-websockets)";
    }
  }
  return false;
}

function startServer(name: "ws" | "bun" | "python", tls: TestCertificate): Promise<Server> {
  const { command: binary, args } = command(name);
  const child: ChildProcess = spawn(binary, args, {
    cwd: repositoryRoot(),
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, PEER_TLS_CERT: tls.cert, PEER_TLS_KEY: tls.key, NO_COLOR: "1" },
  });
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (text: string) => stderr += text);
  return new Promise((resolve, reject) => {
    let stdout = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (text: string) => {
      stdout += text;
      const line = stdout.split("\n")[0]!;
      if (!stdout.includes("\n")) return;
      const ready = JSON.parse(line);
      resolve({
        ports: ready.ports,
        tlsPorts: ready.tlsPorts,
        stop: () => {
          child.stdin!.end();
          return exited;
        },
      });
    });
    child.on(
      "close",
      (code) => reject(new Error(`The ${name} server exited (${code}): ${stderr}`)),
    );
  });
}

/** N bytes of the servers' compressible text (same formula as the peers). */
function compressible(length: number): string {
  const words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"];
  let text = "";
  for (let i = 0; text.length < length; i++) text += `${words[(i * 7) % 8]} ${i % 100} `;
  return text.slice(0, length);
}

/** Bytes that do not compress (a xorshift stream). */
function noise(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

interface Session {
  readonly socket: WebSocket;
  /** RSV bits of the data frames, in order, per direction. */
  readonly rsv: { readonly in: number[]; readonly out: number[] };
  /** `rsv:length` of each data frame sent. */
  readonly sent: string[];
  next(): Promise<string | Uint8Array>;
  close(): Promise<void>;
}

async function connect(url: string, init: WebSocketInit = {}): Promise<Session> {
  const rsv = { in: [] as number[], out: [] as number[] };
  const sent: string[] = [];
  const socket = new WebSocket(url, {
    ...init,
    maxBufferedAmount: 64 << 20,
    trace(record: ClientTraceRecord) {
      if (record.type === "frame" && record.opcode <= 2 && record.opcode !== 0) {
        rsv[record.direction].push(record.rsv);
        if (record.direction === "out") sent.push(`${record.rsv}:${record.length}`);
      }
    },
  });
  socket.binaryType = "arraybuffer";
  const queue: (string | Uint8Array)[] = [];
  const waiting: ((data: string | Uint8Array) => void)[] = [];
  socket.onmessage = (event) => {
    const data = (event as MessageEvent).data;
    const value = typeof data === "string" ? data : new Uint8Array(data as ArrayBuffer);
    const waiter = waiting.shift();
    if (waiter) waiter(value);
    else queue.push(value);
  };
  const closed = new Promise<void>((resolve) => socket.addEventListener("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onclose = (event) =>
      reject(new Error(`closed before open: ${(event as CloseEvent).code}`));
  });
  socket.onclose = null;
  return {
    socket,
    rsv,
    sent,
    next: () =>
      queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no message within 60 s")), 60_000);
        waiting.push((value) => {
          clearTimeout(timer);
          resolve(value);
        });
      }),
    close: () => {
      socket.close(1000);
      return closed;
    },
  };
}

function parametersOf(socket: WebSocket) {
  const negotiated = socket.handshake?.extensions.find((extension) =>
    extension instanceof NegotiatedPerMessageDeflate
  );
  assert.ok(negotiated instanceof NegotiatedPerMessageDeflate, "permessage-deflate negotiated");
  return negotiated.parameters;
}

/** Sends each payload, expects it echoed, in order. */
async function echoes(session: Session, payloads: readonly (string | Uint8Array)[]) {
  for (const payload of payloads) session.socket.send(payload);
  for (const payload of payloads) {
    const echoed = await session.next();
    if (typeof payload === "string") {
      assert.equal(typeof echoed, "string");
      assert.ok(echoed === payload, `text of ${payload.length} bytes echoed intact`);
    } else {
      assert.ok(echoed instanceof Uint8Array);
      assert.equal(echoed.length, payload.length);
      assert.ok(Buffer.compare(echoed, payload) === 0, `${payload.length} bytes echoed intact`);
    }
  }
}

const SIXTEEN_MIB = compressible(16 << 20);

interface Target {
  readonly server: "ws" | "bun" | "python";
  readonly port: string;
  readonly extensions: RegExp;
  readonly parameters: Partial<ReturnType<typeof parametersOf>>;
  readonly big: boolean;
}

const TARGETS: readonly Target[] = [
  {
    server: "ws",
    port: "takeover",
    extensions: /^permessage-deflate$/,
    parameters: { serverNoContextTakeover: false, clientNoContextTakeover: false },
    big: true,
  },
  {
    server: "ws",
    port: "no_context_takeover",
    extensions: /server_no_context_takeover; client_no_context_takeover/,
    parameters: { serverNoContextTakeover: true, clientNoContextTakeover: true },
    big: false,
  },
  {
    server: "ws",
    port: "small_window",
    extensions: /^permessage-deflate; client_max_window_bits=9; server_max_window_bits=9$/,
    parameters: { serverMaxWindowBits: 9, clientMaxWindowBits: 9 },
    big: false,
  },
  {
    server: "bun",
    port: "bun",
    extensions: /^permessage-deflate/,
    parameters: {},
    big: true,
  },
  {
    server: "python",
    port: "python",
    extensions: /^permessage-deflate/,
    parameters: {},
    big: true,
  },
];

const servers = new Map<string, Server>();
let certificate: TestCertificate;

before(async () => {
  certificate = await getTestCertificate();
});

after(async () => {
  await Promise.all([...servers.values()].map((server) => server.stop()));
});

async function serverFor(name: Target["server"]): Promise<Server> {
  let server = servers.get(name);
  if (server === undefined) {
    server = await startServer(name, certificate);
    servers.set(name, server);
  }
  return server;
}

for (const target of TARGETS) {
  const skip = unavailable(target.server);
  for (const secure of [false, true]) {
    const label = `${target.server} ${target.port} over ${secure ? "TLS" : "TCP"}`;
    describe(`permessage-deflate with ${label}`, { skip }, () => {
      it("negotiates, and exposes the header text and the parameters", async () => {
        const server = await serverFor(target.server);
        const port = (secure ? server.tlsPorts : server.ports)[target.port]!;
        const session = await connect(
          `${secure ? "wss" : "ws"}://${secure ? "localhost" : "127.0.0.1"}:${port}/`,
          secure ? { tls: { ca: certificate.ca } } : {},
        );
        try {
          assert.match(session.socket.extensions, target.extensions);
          const parameters = parametersOf(session.socket);
          for (const [key, value] of Object.entries(target.parameters)) {
            assert.equal(parameters[key as keyof typeof parameters], value, key);
          }
          // 0 and 1 bytes, compressible text, noise, an opt-out: echoed intact.
          await echoes(session, [
            "",
            "x",
            new Uint8Array(0),
            new Uint8Array([0x7f]),
            compressible(100_000),
            noise(70_000),
            compressible(5000),
          ]);
          session.socket.send(compressible(3000), { compress: false });
          assert.equal(await session.next(), compressible(3000));
          assert.equal(session.sent.at(-1), "0:3000", "the opt-out went uncompressed");
          if (target.parameters.clientMaxWindowBits !== 8) {
            assert.match(session.sent.at(-2)!, /^4:\d+$/, "5000 bytes went compressed");
          }
          // The server compresses a long reply; text built by the server.
          session.socket.send("big:300000");
          assert.equal(await session.next(), compressible(300000));
          if (target.big && !secure) await echoes(session, [SIXTEEN_MIB]);
          // Mixed: our compressed and uncompressed messages both went out,
          // and compressed messages came in.
          assert.ok(session.rsv.out.includes(0x4), "a compressed message was sent");
          assert.ok(session.rsv.out.includes(0), "an uncompressed message was sent");
          assert.ok(session.rsv.in.includes(0x4), "a compressed message was received");
        } finally {
          await session.close();
        }
      });
    });
  }
}

describe("perMessageDeflate: false", { skip: unavailable("ws") }, () => {
  it("offers nothing, and a compressing server then sends uncompressed frames", async () => {
    const server = await serverFor("ws");
    const session = await connect(`ws://127.0.0.1:${server.ports.takeover}/`, {
      perMessageDeflate: false,
    });
    try {
      assert.equal(session.socket.extensions, "");
      await echoes(session, [compressible(50_000)]);
      assert.deepEqual(session.rsv.in, [0]);
      assert.deepEqual(session.rsv.out, [0]);
    } finally {
      await session.close();
    }
  });
});
