/**
 * The soak test, on the runtime that runs this file, against the `ws`
 * package's server on loopback (a Node child process, so its memory is not
 * counted):
 *
 * 1. `--idle` (default 10 000) concurrent idle `WebSocket`s: the resident
 *    set and heap per connection are printed, and every one closes again;
 * 2. `--cycles` (default 100 000) connect / send / echo / close cycles,
 *    `--concurrency` (default 32) at a time: the resident set, the heap,
 *    and the open handles and timers must be flat at the end. A leak fails
 *    the run (exit code 1).
 *
 * ```sh
 * bash scripts/soak.sh                 # all three runtimes, ulimit -n raised
 * nice deno run -A --v8-flags=--expose-gc scripts/soak.ts
 * nice bun scripts/soak.ts
 * nice node --expose-gc --experimental-strip-types scripts/soak.ts
 * ```
 *
 * "Flat": after the cycles and a garbage collection, the heap is within
 * 16 MiB and the resident set within 64 MiB of what they were after the
 * first tenth of the cycles (the allocator keeps pages it may reuse, so
 * the resident set is the looser check); no socket or timer is left
 * (Deno and Node list them; on Bun the server's count of open
 * connections is checked instead); the server holds no connection.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { createInterface } from "node:readline";
import { WebSocket } from "../mod.ts";
import { resourceSnapshot } from "../tests/_util/leaks.ts";
import { repositoryRoot } from "../tests/_util/peers.ts";

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`Cannot soak: --${name} must be an integer >= 0`);
  }
  return value;
}

const IDLE = option("idle", 10_000);
const CYCLES = option("cycles", 100_000);
const CONCURRENCY = option("concurrency", 32);
const HEAP_SLACK = 16 * 1024 * 1024;
const RSS_SLACK = 64 * 1024 * 1024;

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects garbage if the runtime lets us (deno/node: --expose-gc; bun: Bun.gc). */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
    if (bun !== undefined) bun.gc(true);
    else (globalThis as { gc?: () => void }).gc?.();
    await delay(50);
  }
}

async function memory(): Promise<{ rss: number; heap: number }> {
  await collect();
  const usage = process.memoryUsage();
  return { rss: usage.rss, heap: usage.heapUsed };
}

/** The ws echo server in a Node child process; `count()` asks how many connections it holds. */
interface EchoServer {
  readonly port: number;
  count(): Promise<number>;
  stop(): Promise<void>;
}

const SERVER = `
import { WebSocketServer } from "ws";
import { createInterface } from "node:readline";
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, backlog: 4096, perMessageDeflate: false });
wss.on("connection", (ws) => {
  ws.on("error", () => {});
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on("listening", () => console.log(JSON.stringify({ port: wss.address().port })));
createInterface({ input: process.stdin }).on("line", (line) => {
  if (line === "count") console.log(JSON.stringify({ open: wss.clients.size }));
});
process.stdin.on("end", () => process.exit(0));
`;

function startServer(): Promise<EchoServer> {
  const root = repositoryRoot();
  const node = process.env.NODE_BIN ?? join(root, "node_modules/.bin/node");
  const child: ChildProcess = spawn(node, ["--input-type=module", "-e", SERVER], {
    cwd: root,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((value: Record<string, number>) => void)[] = [];
  lines.on("line", (line) => waiting.shift()?.(JSON.parse(line)));
  const next = () => new Promise<Record<string, number>>((resolve) => waiting.push(resolve));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return next().then(({ port }) => ({
    port: port!,
    async count() {
      const answer = next();
      child.stdin!.write("count\n");
      return (await answer).open!;
    },
    async stop() {
      child.stdin!.end();
      await exited;
    },
  }));
}

/**
 * Generous time limits: the soak measures leaks, not speed, and may share a
 * busy machine; the keepalive stays on (default 20 s), as in real use.
 */
const OPTIONS = { handshakeTimeout: 120_000, closeTimeout: 120_000 } as const;

/** Opens a socket and resolves once it is open. */
function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, OPTIONS);
    socket.onopen = () => resolve(socket);
    socket.onerror = (event) => reject((event as unknown as { error: unknown }).error);
  });
}

function closed(socket: WebSocket): Promise<void> {
  return new Promise((resolve) => socket.addEventListener("close", () => resolve()));
}

/** One connect / send / echo / close cycle. */
function cycle(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, OPTIONS);
    socket.onopen = () => socket.send("soak");
    socket.onmessage = (event) => {
      if (event.data !== "soak") reject(new Error(`echo was ${event.data}`));
      socket.close(1000);
    };
    socket.onerror = (event) => reject((event as unknown as { error: unknown }).error);
    socket.onclose = (event) => {
      if ((event as unknown as { wasClean: boolean }).wasClean) resolve();
      else reject(new Error(`closed with ${(event as unknown as { code: number }).code}`));
    };
  });
}

/** The entries of `after` that `before` does not account for. */
function extra(before: readonly string[], after: readonly string[]): string[] {
  const left = new Map<string, number>();
  for (const name of before) left.set(name, (left.get(name) ?? 0) + 1);
  return after.filter((name) => {
    const n = left.get(name) ?? 0;
    if (n > 0) left.set(name, n - 1);
    return n === 0;
  });
}

async function settle(server: EchoServer): Promise<{ open: number; left: string[] | string }> {
  const before = baseline;
  let open = await server.count();
  let left: string[] | string = typeof before === "string" ? before : [];
  for (let i = 0; i < 100; i++) {
    open = await server.count();
    const now = resourceSnapshot();
    left = typeof before === "string" || typeof now === "string" ? left : extra(before, now);
    if (open === 0 && (typeof left === "string" || left.length === 0)) break;
    await delay(50);
  }
  return { open, left };
}

let failed = false;
function check(ok: boolean, what: string): void {
  console.log(`soak: ${runtime}: ${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failed = true;
}

const server = await startServer();
const url = `ws://127.0.0.1:${server.port}/`;
const baseline = resourceSnapshot();
const started = performance.now();
console.log(
  `soak: ${runtime}: ${IDLE} idle connections, then ${CYCLES} cycles (${CONCURRENCY} at a time)`,
);

// 1. Idle connections.
const empty = await memory();
const sockets: WebSocket[] = [];
const openErrors: unknown[] = [];
for (let i = 0; i < IDLE; i += 100) {
  const batch = await Promise.allSettled(
    Array.from({ length: Math.min(100, IDLE - i) }, () => open(url)),
  );
  for (const result of batch) {
    if (result.status === "fulfilled") sockets.push(result.value);
    else if (openErrors.push(result.reason) > 5) openErrors.length = 5;
  }
}
check(
  sockets.length === IDLE,
  `${sockets.length} of ${IDLE} idle connections opened${
    openErrors.length > 0 ? `: ${openErrors.join("; ")}` : ""
  }`,
);
const full = await memory();
const held = await server.count();
check(held === IDLE, `${held} of ${IDLE} idle connections open at the server`);
console.log(
  `soak: ${runtime}: idle: RSS ${mib(empty.rss)} -> ${mib(full.rss)}, ${
    ((full.rss - empty.rss) / sockets.length / 1024).toFixed(1)
  } KiB RSS and ${
    ((full.heap - empty.heap) / sockets.length / 1024).toFixed(1)
  } KiB heap per connection`,
);
await Promise.all(sockets.map((socket) => {
  const done = closed(socket);
  socket.close(1000);
  return done;
}));
sockets.length = 0;
const afterIdle = await settle(server);
check(
  afterIdle.open === 0,
  `the server holds ${afterIdle.open} connections after the idle ones closed`,
);

// 2. Cycles.
let done = 0;
let mark: { rss: number; heap: number } | null = null;
const tenth = Math.floor(CYCLES / 10);
const errors: unknown[] = [];
async function worker(): Promise<void> {
  while (done < CYCLES) {
    done++;
    try {
      await cycle(url);
    } catch (error) {
      if (errors.length < 5) errors.push(error);
    }
    if (done === tenth) mark = await memory();
  }
}
const cycleStart = performance.now();
await Promise.all(Array.from({ length: CONCURRENCY }, worker));
const cycleSeconds = (performance.now() - cycleStart) / 1000;
check(
  errors.length === 0,
  `every cycle closed cleanly${errors.length ? `: ${errors.join("; ")}` : ""}`,
);
const end = await settle(server);
const last = await memory();
const first = mark ?? empty;
console.log(
  `soak: ${runtime}: ${CYCLES} cycles in ${cycleSeconds.toFixed(1)} s (${
    Math.round(CYCLES / cycleSeconds)
  }/s); RSS ${mib(first.rss)} after ${tenth} -> ${mib(last.rss)} at the end; heap ${
    mib(first.heap)
  } -> ${mib(last.heap)}`,
);
check(last.heap - first.heap < HEAP_SLACK, `heap flat (grew ${mib(last.heap - first.heap)})`);
check(last.rss - first.rss < RSS_SLACK, `RSS flat (grew ${mib(last.rss - first.rss)})`);
check(end.open === 0, `the server holds ${end.open} connections at the end`);
if (typeof end.left === "string") console.log(`soak: ${runtime}: handles not listed: ${end.left}`);
else {check(
    end.left.length === 0,
    `no socket or timer left behind${end.left.length ? `: ${end.left.join(", ")}` : ""}`,
  );}
await server.stop();
console.log(
  `soak: ${runtime}: ${failed ? "FAILED" : "passed"} in ${
    ((performance.now() - started) / 1000).toFixed(0)
  } s`,
);
process.exit(failed ? 1 : 0);
