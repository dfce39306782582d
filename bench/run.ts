/**
 * The benchmark driver: `npm run bench` (or `deno run -A bench/run.ts`).
 *
 * 1. Copies `mod.ts` and `src/` into `.test-build/bench/ts/` (wsport on Deno and
 *    Bun runs these sources) and compiles that copy for Node into
 *    `.test-build/bench/esm/` with the npm build's compiler settings (wsport on
 *    Node runs compiled JavaScript, as users of the npm package do).
 * 2. Starts the server (`bench/servers/server.ts`) under Bun, pinned to
 *    core 1 with `taskset` where there are two cores or more.
 * 3. Runs the microbenchmarks once per runtime per round.
 * 4. Runs every scenario for every contestant, each in a fresh client
 *    process pinned to core 0, rounds interleaved (A B C … A B C …), so a
 *    slow phase of the machine hits everyone alike.
 * 5. Writes `bench/results/<date>.json` (every sample, versions, machine)
 *    and `bench/results/latest.md` (medians, min–max, ratios, targets).
 *
 * Flags:
 *   --quick             ~1-2 min: smaller counts, 16 B and 1 MiB only
 *   --rounds N          rounds (default 3)
 *   --only a,b          contestants by id (e.g. wsport-node,ws-bufferutil)
 *   --scenarios a,b     scenarios by id (e.g. recv-16B,echo)
 *   --no-micro          skip the microbenchmarks
 *   --no-pin            do not use taskset
 *   --no-build          use .test-build/bench as it is (no new snapshot)
 *   --out DIR           where results go (default bench/results)
 *   --snapshot-only     take the snapshot of wsport (see 1.) and stop, e.g. before bench/profile.ts
 *
 * @module
 */

import { renderMarkdown, type Sample, summarize } from "./report.ts";
import { startReadyProcess } from "../scripts/_process.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const BIN = `${ROOT}/node_modules/.bin`;
const DENO = Deno.execPath();
const BUN = `${BIN}/bun`;
const NODE = `${ROOT}/node_modules/node/bin/node`;
/** Snapshot and Node build of wsport, under the ignored (and deno-excluded) .test-build/. */
const BUILD = ".test-build/bench";

interface Flags {
  quick: boolean;
  rounds: number;
  only: string[] | null;
  scenarios: string[] | null;
  micro: boolean;
  pin: boolean;
  build: boolean;
  snapshotOnly: boolean;
  out: string;
}

function parseFlags(args: string[]): Flags {
  const flags: Flags = {
    quick: false,
    rounds: 3,
    only: null,
    scenarios: null,
    micro: true,
    pin: true,
    build: true,
    snapshotOnly: false,
    out: `${ROOT}/bench/results`,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--quick") flags.quick = true;
    else if (arg === "--rounds") flags.rounds = Number(value());
    else if (arg === "--only") flags.only = value().split(",");
    else if (arg === "--scenarios") flags.scenarios = value().split(",");
    else if (arg === "--no-micro") flags.micro = false;
    else if (arg === "--no-pin") flags.pin = false;
    else if (arg === "--no-build") flags.build = false;
    else if (arg === "--out") flags.out = value();
    else if (arg === "--snapshot-only") flags.snapshotOnly = true;
    else {throw new Error(
        `unknown flag ${arg} (see the header of bench/run.ts)`,
      );}
  }
  if (!Number.isInteger(flags.rounds) || flags.rounds < 1) {
    throw new Error("--rounds must be >= 1");
  }
  return flags;
}

/** One client implementation on one runtime. */
export interface Contestant {
  readonly id: string;
  readonly runtime: "deno" | "bun" | "node";
  readonly label: string;
  readonly wsport: boolean;
  readonly command: string[];
  readonly env?: Record<string, string>;
  /** The scenario kinds it runs (all when absent). */
  readonly kinds?: readonly Scenario["kind"][];
}

const CONTESTANTS: Contestant[] = [
  {
    id: "wsport-deno",
    runtime: "deno",
    label: "wsport",
    wsport: true,
    command: [
      DENO,
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      "bench/clients/wsport_deno.ts",
    ],
  },
  {
    // The view-based receive API (no copy per message), beside "arraybuffer".
    id: "wsport-deno-u8",
    runtime: "deno",
    label: "wsport (uint8array)",
    wsport: true,
    command: [DENO, "run", "-A", "--v8-flags=--expose-gc", "bench/clients/wsport_deno.ts"],
    env: { WSPORT_BINARY_TYPE: "uint8array" },
    kinds: ["recv", "echo"],
  },
  {
    // WebSocketStream, read with a reader loop: messages arrive as Uint8Array.
    id: "wsport-deno-stream",
    runtime: "deno",
    label: "wsport (WebSocketStream)",
    wsport: true,
    command: [DENO, "run", "-A", "--v8-flags=--expose-gc", "bench/clients/wsport_deno.ts"],
    env: { WSPORT_BINARY_TYPE: "stream" },
    kinds: ["recv"],
  },
  {
    id: "deno-builtin",
    runtime: "deno",
    label: "Deno WebSocket",
    wsport: false,
    command: [
      DENO,
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      "bench/clients/deno_builtin.ts",
    ],
  },
  {
    id: "wsport-bun",
    runtime: "bun",
    label: "wsport",
    wsport: true,
    command: [BUN, "bench/clients/wsport_bun.ts"],
  },
  {
    // The view-based receive API (no copy per message), beside "arraybuffer".
    id: "wsport-bun-u8",
    runtime: "bun",
    label: "wsport (uint8array)",
    wsport: true,
    command: [BUN, "bench/clients/wsport_bun.ts"],
    env: { WSPORT_BINARY_TYPE: "uint8array" },
    kinds: ["recv", "echo"],
  },
  {
    // WebSocketStream, read with a reader loop: messages arrive as Uint8Array.
    id: "wsport-bun-stream",
    runtime: "bun",
    label: "wsport (WebSocketStream)",
    wsport: true,
    command: [BUN, "bench/clients/wsport_bun.ts"],
    env: { WSPORT_BINARY_TYPE: "stream" },
    kinds: ["recv"],
  },
  {
    id: "bun-builtin",
    runtime: "bun",
    label: "Bun WebSocket",
    wsport: false,
    command: [BUN, "bench/clients/bun_builtin.ts"],
  },
  {
    id: "wsport-node",
    runtime: "node",
    label: "wsport",
    wsport: true,
    command: [NODE, "--expose-gc", "bench/clients/wsport_node.mjs"],
  },
  {
    // The view-based receive API (no copy per message), beside "arraybuffer".
    id: "wsport-node-u8",
    runtime: "node",
    label: "wsport (uint8array)",
    wsport: true,
    command: [NODE, "--expose-gc", "bench/clients/wsport_node.mjs"],
    env: { WSPORT_BINARY_TYPE: "uint8array" },
    kinds: ["recv", "echo"],
  },
  {
    // WebSocketStream, read with a reader loop: messages arrive as Uint8Array.
    id: "wsport-node-stream",
    runtime: "node",
    label: "wsport (WebSocketStream)",
    wsport: true,
    command: [NODE, "--expose-gc", "bench/clients/wsport_node.mjs"],
    env: { WSPORT_BINARY_TYPE: "stream" },
    kinds: ["recv"],
  },
  {
    id: "ws",
    runtime: "node",
    label: "ws",
    wsport: false,
    command: [NODE, "--expose-gc", "bench/clients/ws.mjs"],
    env: { WS_NO_BUFFER_UTIL: "1" },
  },
  {
    id: "ws-bufferutil",
    runtime: "node",
    label: "ws + bufferutil",
    wsport: false,
    command: [NODE, "--expose-gc", "bench/clients/ws.mjs"],
  },
  {
    id: "undici",
    runtime: "node",
    label: "undici WebSocket",
    wsport: false,
    command: [NODE, "--expose-gc", "bench/clients/undici.mjs"],
  },
  {
    id: "node-global",
    runtime: "node",
    label: "Node global WebSocket",
    wsport: false,
    command: [NODE, "--expose-gc", "bench/clients/node_global.mjs"],
  },
];

/** One measurement to make for every contestant. */
export interface Scenario {
  readonly id: string;
  readonly kind: "recv" | "send" | "credit" | "echo" | "conn" | "memory";
  readonly server: "ws" | "raw";
  readonly params: Record<string, number>;
}

function scenarios(quick: boolean): Scenario[] {
  const q = (full: number, fast: number) => (quick ? fast : full);
  const list: Scenario[] = [];
  const throughput: [string, number, number, number][] = [
    // label, size, count, warm-up count
    ["16B", 16, q(1_000_000, 200_000), q(100_000, 20_000)],
    ["1KiB", 1024, q(300_000, 60_000), q(30_000, 6_000)],
    ["64KiB", 65536, q(10_000, 2_000), q(1_000, 200)],
    ["1MiB", 1048576, q(600, 150), q(60, 15)],
  ];
  for (const kind of ["recv", "send"] as const) {
    for (const [label, size, count, warm] of throughput) {
      if (quick && (label === "1KiB" || label === "64KiB")) continue;
      list.push({ id: `${kind}-${label}`, kind, server: "raw", params: { size, count, warm } });
      if (kind === "send" && label === "16B") {
        // Beside the plain loop: the same sends paced by the server's acks.
        list.push({
          id: "credit-16B",
          kind: "credit",
          server: "raw",
          params: {
            size,
            count: q(300_000, 100_000),
            warm: q(30_000, 10_000),
            window: 1 << 20,
            ack: 256 * 1024,
          },
        });
      }
    }
  }
  list.push({
    id: "echo",
    kind: "echo",
    server: "ws",
    params: { count: q(20_000, 5_000), warm: q(2_000, 500) },
  });
  list.push({
    id: "conn",
    kind: "conn",
    server: "ws",
    params: { count: q(1_000, 300), warm: q(50, 20) },
  });
  list.push({
    id: "memory",
    kind: "memory",
    server: "ws",
    params: { count: q(1_000, 1_000), warm: 20 },
  });
  return list;
}

interface RunResult {
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

async function run(
  command: string[],
  options: { env?: Record<string, string>; timeoutMs: number; pin: string[] },
): Promise<
  { code: number; stdout: string; stderr: string; timedOut: boolean }
> {
  const [program, ...args] = [...options.pin, ...command];
  const child = new Deno.Command(program!, {
    args,
    cwd: ROOT,
    env: options.env ?? {},
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }, options.timeoutMs);
  const output = await child.output();
  clearTimeout(timer);
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
    timedOut,
  };
}

function lastJsonLine(text: string): RunResult | null {
  const lines = text.trim().split("\n").reverse();
  for (const line of lines) {
    if (line.startsWith("{")) {
      try {
        return JSON.parse(line);
      } catch {
        return null;
      }
    }
  }
  return null;
}

async function version(command: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(command[0]!, {
      args: command.slice(1),
      stdout: "piped",
      stderr: "null",
    })
      .output();
    return new TextDecoder().decode(out.stdout).trim().split("\n")[0] ?? "?";
  } catch {
    return "not found";
  }
}

function packageVersion(name: string, dir = ROOT): string {
  try {
    return JSON.parse(
      Deno.readTextFileSync(`${dir}/node_modules/${name}/package.json`),
    ).version;
  } catch {
    return "not installed";
  }
}

function copyTree(from: string, to: string): void {
  Deno.mkdirSync(to, { recursive: true });
  for (const entry of Deno.readDirSync(from)) {
    if (entry.isDirectory) {
      copyTree(`${from}/${entry.name}`, `${to}/${entry.name}`);
    } else if (entry.isFile) {
      Deno.copyFileSync(`${from}/${entry.name}`, `${to}/${entry.name}`);
    }
  }
}

/**
 * Takes a snapshot of the sources into `.test-build/bench/ts/` (what wsport on
 * Deno and Bun import) and compiles it for Node into `.test-build/bench/esm/`
 * with the npm build's compiler settings (`tsconfig.json`). Every runtime
 * then measures the same code, however the work tree changes during the run.
 */
async function snapshotAndBuild(): Promise<void> {
  const dir = `${ROOT}/${BUILD}`;
  for (const sub of ["ts", "esm"]) {
    try {
      Deno.removeSync(`${dir}/${sub}`, { recursive: true });
    } catch {
      // Not built yet.
    }
  }
  copyTree(`${ROOT}/src`, `${dir}/ts/src`);
  Deno.copyFileSync(`${ROOT}/mod.ts`, `${dir}/ts/mod.ts`);
  Deno.writeTextFileSync(
    `${dir}/tsconfig.json`,
    JSON.stringify(
      {
        extends: "../../tsconfig.json",
        compilerOptions: {
          noEmit: false,
          rootDir: "./ts",
          outDir: "./esm",
          declaration: false,
          noEmitOnError: false,
        },
        files: ["./ts/mod.ts", "./ts/src/protocol/mod.ts"],
        include: [],
      },
      null,
      2,
    ),
  );
  const result = await run([
    NODE,
    "node_modules/typescript/bin/tsc",
    "-p",
    `${BUILD}/tsconfig.json`,
    "--pretty",
    "false",
  ], {
    timeoutMs: 300_000,
    pin: [],
  });
  try {
    Deno.statSync(`${dir}/esm/mod.js`);
  } catch {
    console.error(result.stdout + result.stderr);
    throw new Error("tsc produced no .test-build/bench/esm/mod.js");
  }
  Deno.writeTextFileSync(`${dir}/esm/package.json`, '{ "type": "module" }\n');
  if (result.code !== 0) {
    const lines = (result.stdout + result.stderr).trim().split("\n");
    console.warn(
      `bench: tsc reported ${lines.length} line(s) of type errors (JavaScript emitted anyway), first: ${
        lines[0]
      }`,
    );
  }
}

export interface Server {
  ports: { ws: number; raw: number };
  stop(): Promise<void>;
}

export async function startServer(pin: string[]): Promise<Server> {
  const [program, ...args] = [...pin, BUN, "bench/servers/server.ts"];
  const server = await startReadyProcess(program!, args, ROOT);
  return { ports: server.ready as Server["ports"], stop: () => server.stop() };
}

/**
 * Microseconds during which some task waited for a CPU since boot (Linux
 * pressure stall information), or `null` where it is not available. Our
 * client and server each have their own core, so stall comes from other
 * processes or from a runtime's own helper threads (GC, JIT, I/O).
 */
function cpuStallMicros(): number | null {
  try {
    const line = Deno.readTextFileSync("/proc/pressure/cpu").split("\n")[0]!;
    return Number(/total=(\d+)/.exec(line)?.[1] ?? NaN) || null;
  } catch {
    return null;
  }
}

/** The 1, 5 and 15-minute load averages, "" where /proc is absent. */
function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(
      " ",
    );
  } catch {
    return "";
  }
}

function formatDuration(ms: number): string {
  return ms >= 60_000
    ? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
    : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Installs `bench/package.json` (undici, which needs Node >= 22.19 and so is
 * not a root devDependency that Node 20 would warn about) into
 * `bench/node_modules/` with `npm ci`, when a contestant needs it and it is
 * not there yet.
 */
async function installBenchDependencies(
  contestants: readonly { id: string }[],
): Promise<void> {
  if (!contestants.some((c) => c.id === "undici")) return;
  if (packageVersion("undici", `${ROOT}/bench`) !== "not installed") return;
  console.log("bench: npm ci in bench/ (undici) ...");
  const result = await new Deno.Command("npm", {
    args: ["ci", "--no-audit", "--no-fund"],
    cwd: `${ROOT}/bench`,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!result.success) {
    throw new Error(
      "Cannot install the benchmark's dependencies: npm ci failed",
    );
  }
}

async function main(): Promise<void> {
  const flags = parseFlags(Deno.args);
  const started = performance.now();
  const cores = navigator.hardwareConcurrency;
  const hasTaskset = flags.pin && cores >= 2 &&
    (await version(["taskset", "--version"])) !== "not found";
  const pinClient = hasTaskset ? ["taskset", "-c", "0"] : [];
  const pinServer = hasTaskset ? ["taskset", "-c", "1"] : [];
  const contestants = CONTESTANTS.filter((c) => flags.only === null || flags.only.includes(c.id));
  const scenarioList = scenarios(flags.quick).filter((s) =>
    flags.scenarios === null || flags.scenarios.includes(s.id)
  );

  if (flags.build) {
    console.log(
      "bench: snapshot of the sources in .test-build/bench/ts, compiled for Node into .test-build/bench/esm ...",
    );
    await snapshotAndBuild();
  }
  if (flags.snapshotOnly) return;
  await installBenchDependencies(contestants);

  const versions = {
    deno: Deno.version.deno,
    bun: await version([BUN, "--version"]),
    node: await version([NODE, "--version"]),
    ws: packageVersion("ws"),
    bufferutil: packageVersion("bufferutil"),
    undici: packageVersion("undici", `${ROOT}/bench`),
    wsport: (await version(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])) +
      ((await version([
          "git",
          "-C",
          ROOT,
          "status",
          "--porcelain",
          "--",
          "src",
          "mod.ts",
        ])) === ""
        ? ""
        : "+dirty"),
  };
  const machine = {
    cpu: (() => {
      try {
        return /model name\s*:\s*(.*)/.exec(
          Deno.readTextFileSync("/proc/cpuinfo"),
        )?.[1] ?? "?";
      } catch {
        return "?";
      }
    })(),
    cores,
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    pinned: hasTaskset ? "client on core 0, server on core 1 (taskset)" : "not pinned",
    loadBefore: loadAverage(),
    loadAfter: "",
  };
  if (Number(machine.loadBefore.split(" ")[0]) > 0.5) {
    console.warn(
      `bench: the 1-minute load average is ${
        machine.loadBefore.split(" ")[0]
      }: other work shares the cores, expect wide spreads`,
    );
  }
  console.log(
    `bench: ${contestants.length} contestants × ${scenarioList.length} scenarios × ${flags.rounds} rounds` +
      `${flags.quick ? " (quick)" : ""}; ${machine.pinned}`,
  );
  console.log(
    `bench: deno ${versions.deno}, bun ${versions.bun}, node ${versions.node}, ws ${versions.ws}, ` +
      `undici ${versions.undici}, bufferutil ${versions.bufferutil}, wsport ${versions.wsport}`,
  );

  const samples: Sample[] = [];
  const microSamples: { runtime: string; round: number; results: unknown[] }[] = [];

  if (flags.micro) {
    const runtimes = [...new Set(contestants.map((c) => c.runtime))];
    const micro: Record<string, string[]> = {
      deno: [DENO, "run", "-A", "bench/micro/micro_deno.ts"],
      bun: [BUN, "bench/micro/micro_bun.ts"],
      node: [NODE, "bench/micro/micro_node.mjs"],
    };
    const params = JSON.stringify(
      flags.quick ? { ms: 40, sizes: ["16B", "1MiB"] } : { ms: 150 },
    );
    for (let round = 1; round <= flags.rounds; round++) {
      for (const runtime of runtimes) {
        const result = await run([...micro[runtime]!, params], {
          timeoutMs: 120_000,
          pin: pinClient,
        });
        const parsed = lastJsonLine(result.stdout);
        if (parsed?.ok) {
          microSamples.push({
            runtime,
            round,
            results: parsed.results as unknown[],
          });
        } else {console.error(
            `bench: micro on ${runtime} failed: ${
              result.stderr.trim().split("\n").slice(-3).join(" | ")
            }`,
          );}
      }
      console.log(`bench: micro round ${round}/${flags.rounds} done`);
    }
  }

  const server = await startServer(pinServer);
  try {
    for (const scenario of scenarioList) {
      const url = `ws://127.0.0.1:${server.ports[scenario.server]}`;
      const line: string[] = [];
      for (let round = 1; round <= flags.rounds; round++) {
        for (const contestant of contestants) {
          if (contestant.kinds && !contestant.kinds.includes(scenario.kind)) continue;
          const params = { scenario: scenario.kind, url, timeout: 20_000, ...scenario.params };
          // CPU pressure stall during the run: the share of its time some task
          // waited for a core (other processes, or the runtimes' own helper
          // threads on the client's core). Recorded, not acted upon.
          const stall0 = cpuStallMicros();
          const started = performance.now();
          const result = await run([
            ...contestant.command,
            JSON.stringify(params),
          ], {
            ...(contestant.env ? { env: contestant.env } : {}),
            timeoutMs: 60_000,
            pin: pinClient,
          });
          const stall1 = cpuStallMicros();
          const stall = stall0 === null || stall1 === null
            ? null
            : (stall1 - stall0) / 1000 / (performance.now() - started);
          const parsed = lastJsonLine(result.stdout) ??
            {
              ok: false,
              error: result.timedOut
                ? "killed after 60 s"
                : `exit ${result.code}: ${
                  (result.stderr || result.stdout).trim().split("\n").slice(-12)
                    .join(" | ")
                }`,
            };
          if (!parsed.ok) {
            console.error(
              `bench: ${scenario.id} ${contestant.id} round ${round}: ` +
                (parsed.error ??
                  `incomplete or wrong (${JSON.stringify(parsed)})`),
            );
          }
          if (stall !== null) parsed.cpuStall = stall;
          samples.push({
            scenario: scenario.id,
            contestant: contestant.id,
            round,
            result: parsed,
          });
        }
      }
      for (const contestant of contestants) {
        if (contestant.kinds && !contestant.kinds.includes(scenario.kind)) continue;
        const summary = summarize(samples, scenario, contestant.id);
        if (summary) line.push(`${contestant.id} ${summary}`);
      }
      console.log(`bench: ${scenario.id}: ${line.join("; ")}`);
    }
  } finally {
    await server.stop();
  }

  machine.loadAfter = loadAverage();
  const date = new Date().toISOString().replace(/:/g, "-").replace(
    /\.\d+Z$/,
    "Z",
  );
  const record = {
    date: new Date().toISOString(),
    flags: { quick: flags.quick, rounds: flags.rounds },
    machine,
    versions,
    contestants: contestants.map(({ id, runtime, label, wsport }) => ({
      id,
      runtime,
      label,
      wsport,
    })),
    scenarios: scenarioList,
    samples,
    micro: microSamples,
    durationSeconds: (performance.now() - started) / 1000,
  };
  Deno.mkdirSync(flags.out, { recursive: true });
  const jsonPath = `${flags.out}/${date}.json`;
  Deno.writeTextFileSync(jsonPath, JSON.stringify(record, null, 1) + "\n");
  const markdown = renderMarkdown(record);
  Deno.writeTextFileSync(`${flags.out}/latest.md`, markdown);
  console.log(`\n${markdown}`);
  console.log(
    `bench: wrote ${jsonPath} and ${flags.out}/latest.md in ${
      formatDuration(performance.now() - started)
    }`,
  );
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}

export { CONTESTANTS, scenarios };
