/**
 * Turns the samples of `bench/run.ts` into tables: medians with min–max
 * over the rounds, wsport's ratio against each competitor on the same
 * runtime, and the targets of the benchmark issue, met or not.
 *
 * Run on its own to re-render a results file:
 * `deno run -A bench/report.ts bench/results/<date>.json > bench/results/latest.md`,
 * or, with `--readme`, the README's table of ratios.
 *
 * @module
 */

/** One client process's result. */
export interface Sample {
  readonly scenario: string;
  readonly contestant: string;
  readonly round: number;
  readonly result: { ok: boolean; error?: string; [key: string]: unknown };
}

interface ScenarioLike {
  readonly id: string;
  readonly kind: string;
  readonly params: Record<string, number>;
}

interface ContestantLike {
  readonly id: string;
  readonly runtime: string;
  readonly label: string;
  readonly wsport: boolean;
}

interface MicroSample {
  readonly runtime: string;
  readonly round: number;
  readonly results: unknown[];
}

/** What `bench/run.ts` writes to `bench/results/<date>.json`. */
export interface ResultsRecord {
  readonly date: string;
  readonly flags: { quick: boolean; rounds: number };
  readonly machine: Record<string, unknown>;
  readonly versions: Record<string, string>;
  readonly contestants: readonly ContestantLike[];
  readonly scenarios: readonly ScenarioLike[];
  readonly samples: readonly Sample[];
  readonly micro: readonly MicroSample[];
  readonly durationSeconds: number;
}

interface Metric {
  readonly key: string;
  readonly label: string;
  /** Whether a larger value is better. */
  readonly higher: boolean;
  readonly format: (value: number) => string;
}

const fmtRate = (v: number) =>
  v >= 1e6
    ? `${(v / 1e6).toFixed(2)} M`
    : v >= 1e4
    ? `${(v / 1e3).toFixed(0)} k`
    : v >= 100
    ? v.toFixed(0)
    : v.toFixed(1);
const fmtMB = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const fmtUs = (v: number) => v.toFixed(1);
const fmtKiB = (v: number) => (v / 1024).toFixed(1);

/** The metrics of a scenario kind; the first one is the one ratios and targets use. */
export function metricsOf(kind: string): Metric[] {
  switch (kind) {
    case "recv":
    case "send":
    case "credit":
      return [
        { key: "msgsPerSec", label: "msgs/s", higher: true, format: fmtRate },
        { key: "mbPerSec", label: "MB/s", higher: true, format: fmtMB },
      ];
    case "echo":
      return [
        { key: "p50us", label: "p50 µs", higher: false, format: fmtUs },
        { key: "p99us", label: "p99 µs", higher: false, format: fmtUs },
        { key: "rtPerSec", label: "round trips/s", higher: true, format: fmtRate },
      ];
    case "conn":
      return [{ key: "connPerSec", label: "conn/s", higher: true, format: fmtRate }];
    case "memory":
      return [
        { key: "bytesPerConn", label: "RSS KiB/conn", higher: false, format: fmtKiB },
        { key: "heapPerConn", label: "JS heap KiB/conn", higher: false, format: fmtKiB },
      ];
    default:
      return [];
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
  total: number;
}

function stat(
  samples: readonly Sample[],
  scenario: string,
  contestant: string,
  key: string,
): Stat | null {
  const mine = samples.filter((s) => s.scenario === scenario && s.contestant === contestant);
  const values = mine.filter((s) => s.result.ok && typeof s.result[key] === "number")
    .map((s) => s.result[key] as number);
  if (values.length === 0) return null;
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    n: values.length,
    total: mine.length,
  };
}

/** One line for the console: the primary metric's median and spread. */
export function summarize(
  samples: readonly Sample[],
  scenario: ScenarioLike,
  contestant: string,
): string | null {
  const metric = metricsOf(scenario.kind)[0]!;
  const s = stat(samples, scenario.id, contestant, metric.key);
  if (s === null) return "failed";
  return `${metric.format(s.median)} ${metric.label} (${metric.format(s.min)}–${
    metric.format(s.max)
  })`;
}

/** wsport's advantage over a competitor: > 1 means wsport is better. */
function advantage(metric: Metric, wsport: number, other: number): number {
  return metric.higher ? wsport / other : other / wsport;
}

const RUNTIME_NAMES: Record<string, string> = { deno: "Deno", bun: "Bun", node: "Node" };

function cell(metric: Metric, s: Stat | null): string {
  if (s === null) return "failed";
  const partial = s.n < s.total ? ` (${s.n}/${s.total} ok)` : "";
  return `${metric.format(s.median)} (${metric.format(s.min)}–${metric.format(s.max)})${partial}`;
}

function scenarioTitle(scenario: ScenarioLike): string {
  const p = scenario.params;
  switch (scenario.kind) {
    case "recv":
      return `Receive ${
        scenario.id.slice(5)
      } messages (server pushes ${p.count} after ${p.warm} warm-up)`;
    case "send":
      return `Send ${
        scenario.id.slice(5)
      } messages (client masks; ${p.count} after ${p.warm} warm-up)`;
    case "credit":
      return `Send ${scenario.id.slice(7)} messages with credit flow (at most ${
        p.window! / 1024
      } KiB unacknowledged, the server acknowledges every ${
        p.ack! / 1024
      } KiB, each ack sends more from onmessage; ${p.count} after ${p.warm} warm-up)`;
    case "echo":
      return `Echo round trip, 32 B binary (${p.count} after ${p.warm} warm-up)`;
    case "conn":
      return `Connection setup: connect + open + close, one at a time (${p.count} after ${p.warm} warm-up)`;
    case "memory":
      return `Memory per idle connection (${p.count} open at once; RSS and JS heap growth after GC ÷ n)`;
    default:
      return scenario.id;
  }
}

function scenarioTable(record: ResultsRecord, scenario: ScenarioLike): string[] {
  const metrics = metricsOf(scenario.kind);
  const primary = metrics[0]!;
  // The credit flow is shown beside the plain send loop of the same size.
  const plain = scenario.kind === "credit"
    ? record.scenarios.find((s) => s.id === `send-${scenario.id.slice(7)}`)
    : undefined;
  const lines = [
    `### ${scenarioTitle(scenario)}`,
    "",
    `| Runtime | Client | ${
      metrics.map((m) => `${m.label}${m === primary ? " (median, min–max)" : ""}`).join(" | ")
    }${
      plain ? ` | plain loop (${plain.id}) ${primary.label} | credit ÷ plain` : ""
    } | wsport vs this |`,
    `| --- | --- | ${metrics.map(() => "---:").join(" | ")}${
      plain ? " | ---: | ---:" : ""
    } | ---: |`,
  ];
  for (const runtime of ["deno", "bun", "node"]) {
    // Contestants that ran this scenario (some run only the receive kinds).
    const group = record.contestants.filter((c) =>
      c.runtime === runtime &&
      record.samples.some((x) => x.scenario === scenario.id && x.contestant === c.id)
    );
    if (group.length === 0) continue;
    const wsport = group.find((c) => c.wsport);
    const mine = wsport ? stat(record.samples, scenario.id, wsport.id, primary.key) : null;
    const competitors = group.filter((c) => !c.wsport);
    const best = bestOf(record, scenario.id, primary, competitors.map((c) => c.id));
    for (const c of group) {
      const stats = metrics.map((m) => stat(record.samples, scenario.id, c.id, m.key));
      let ratio = "";
      if (c.wsport) {
        if (mine && best) {
          const label = record.contestants.find((x) => x.id === best.id)!.label;
          ratio = `**${
            advantage(primary, mine.median, best.stat.median).toFixed(2)
          }×** vs best (${label})`;
        }
      } else if (mine && stats[0]) {
        ratio = `${advantage(primary, mine.median, stats[0].median).toFixed(2)}×`;
      }
      const name = c.wsport ? `**${c.label}**` : c.label;
      let beside = "";
      if (plain) {
        const loop = stat(record.samples, plain.id, c.id, primary.key);
        beside = ` | ${loop ? primary.format(loop.median) : "–"} | ${
          loop && stats[0] ? `${(stats[0].median / loop.median).toFixed(2)}` : "–"
        }`;
      }
      lines.push(
        `| ${RUNTIME_NAMES[runtime]} | ${name} | ${
          metrics.map((m, i) =>
            i === 0 ? cell(m, stats[i]!) : stats[i] ? m.format(stats[i]!.median) : "–"
          ).join(" | ")
        }${beside} | ${ratio} |`,
      );
    }
  }
  lines.push("");
  return lines;
}

function bestOf(
  record: ResultsRecord,
  scenario: string,
  metric: Metric,
  ids: readonly string[],
): { id: string; stat: Stat } | null {
  let best: { id: string; stat: Stat } | null = null;
  for (const id of ids) {
    const s = stat(record.samples, scenario, id, metric.key);
    if (s === null) continue;
    if (
      best === null || (metric.higher ? s.median > best.stat.median : s.median < best.stat.median)
    ) {
      best = { id, stat: s };
    }
  }
  return best;
}

interface Target {
  readonly name: string;
  readonly scenario: string;
  /** wsport's contestant; its variants (`<id>-u8`, another receive API) count too: the best is compared. */
  readonly wsport: string;
  /** Competitors; the best of them is compared. `null`: all on the runtime. */
  readonly vs: readonly string[] | null;
  readonly need: number;
}

const TARGETS: Target[] = [
  {
    name: "receive 16 B ≥ 2× Deno's built-in",
    scenario: "recv-16B",
    wsport: "wsport-deno",
    vs: ["deno-builtin"],
    need: 2,
  },
  {
    name: "receive 16 B ≥ 1.5× Bun's built-in",
    scenario: "recv-16B",
    wsport: "wsport-bun",
    vs: ["bun-builtin"],
    need: 1.5,
  },
  {
    name: "receive 16 B ≥ 1× ws",
    scenario: "recv-16B",
    wsport: "wsport-node",
    vs: ["ws", "ws-bufferutil"],
    need: 1,
  },
  {
    name: "send 16 B ≥ 1× Deno's built-in",
    scenario: "send-16B",
    wsport: "wsport-deno",
    vs: ["deno-builtin"],
    need: 1,
  },
  {
    name: "send 16 B ≥ 2× Bun's built-in",
    scenario: "send-16B",
    wsport: "wsport-bun",
    vs: ["bun-builtin"],
    need: 2,
  },
  {
    name: "send 16 B ≥ 2× ws",
    scenario: "send-16B",
    wsport: "wsport-node",
    vs: ["ws", "ws-bufferutil"],
    need: 2,
  },
  {
    name: "send 16 B, credit flow, ≥ 1× Deno's built-in",
    scenario: "credit-16B",
    wsport: "wsport-deno",
    vs: ["deno-builtin"],
    need: 1,
  },
  {
    name: "send 16 B, credit flow, ≥ 2× Bun's built-in",
    scenario: "credit-16B",
    wsport: "wsport-bun",
    vs: ["bun-builtin"],
    need: 2,
  },
  {
    name: "send 16 B, credit flow, ≥ 2× ws",
    scenario: "credit-16B",
    wsport: "wsport-node",
    vs: ["ws", "ws-bufferutil"],
    need: 2,
  },
  {
    name: "receive 1 MiB ≥ 1× Deno's built-in",
    scenario: "recv-1MiB",
    wsport: "wsport-deno",
    vs: ["deno-builtin"],
    need: 1,
  },
  {
    name: "receive 1 MiB ≥ 1× Bun's built-in",
    scenario: "recv-1MiB",
    wsport: "wsport-bun",
    vs: ["bun-builtin"],
    need: 1,
  },
  {
    name: "receive 1 MiB ≥ 1× ws + bufferutil",
    scenario: "recv-1MiB",
    wsport: "wsport-node",
    vs: ["ws-bufferutil"],
    need: 1,
  },
  {
    name: "send 1 MiB ≥ 1× Deno's built-in",
    scenario: "send-1MiB",
    wsport: "wsport-deno",
    vs: ["deno-builtin"],
    need: 1,
  },
  {
    name: "send 1 MiB ≥ 1× Bun's built-in",
    scenario: "send-1MiB",
    wsport: "wsport-bun",
    vs: ["bun-builtin"],
    need: 1,
  },
  {
    name: "send 1 MiB ≥ 1× ws + bufferutil",
    scenario: "send-1MiB",
    wsport: "wsport-node",
    vs: ["ws-bufferutil"],
    need: 1,
  },
  {
    name: "echo p50 no worse than the best on Deno",
    scenario: "echo",
    wsport: "wsport-deno",
    vs: null,
    need: 1,
  },
  {
    name: "echo p50 no worse than the best on Bun",
    scenario: "echo",
    wsport: "wsport-bun",
    vs: null,
    need: 1,
  },
  {
    name: "echo p50 no worse than the best on Node",
    scenario: "echo",
    wsport: "wsport-node",
    vs: null,
    need: 1,
  },
  {
    name: "connection setup ≥ 1× Deno's built-in",
    scenario: "conn",
    wsport: "wsport-deno",
    vs: ["deno-builtin"],
    need: 1,
  },
  {
    name: "connection setup ≥ 1× Bun's built-in",
    scenario: "conn",
    wsport: "wsport-bun",
    vs: ["bun-builtin"],
    need: 1,
  },
  {
    name: "connection setup ≥ 2× ws",
    scenario: "conn",
    wsport: "wsport-node",
    vs: ["ws", "ws-bufferutil"],
    need: 2,
  },
  {
    name: "idle memory ≤ the best on Deno",
    scenario: "memory",
    wsport: "wsport-deno",
    vs: null,
    need: 1,
  },
  {
    name: "idle memory ≤ the best on Bun",
    scenario: "memory",
    wsport: "wsport-bun",
    vs: null,
    need: 1,
  },
  {
    name: "idle memory ≤ the best on Node",
    scenario: "memory",
    wsport: "wsport-node",
    vs: null,
    need: 1,
  },
];

function targetLines(record: ResultsRecord): string[] {
  const lines = [
    "## Targets",
    "",
    "Ratio = wsport's advantage on the scenario's first metric (> 1: wsport better; for p50 and memory: theirs ÷ ours), medians.",
    "",
    "| Target | wsport vs the best competitor (medians) | Ratio | Met |",
    "| --- | --- | ---: | :---: |",
  ];
  for (const target of TARGETS) {
    const scenario = record.scenarios.find((s) => s.id === target.scenario);
    const base = record.contestants.find((c) => c.id === target.wsport);
    if (!scenario || !base) continue;
    const metric = metricsOf(scenario.kind)[0]!;
    // wsport with its fastest receive API: the variants of the same contestant count.
    const variants = record.contestants.filter((c) =>
      c.id === base.id || c.id.startsWith(`${base.id}-`)
    ).map((c) => c.id);
    const chosen = bestOf(record, scenario.id, metric, variants);
    const wsport = record.contestants.find((c) => c.id === (chosen?.id ?? base.id))!;
    const ids = target.vs ??
      record.contestants.filter((c) => c.runtime === wsport.runtime && !c.wsport).map((c) => c.id);
    const best = bestOf(
      record,
      scenario.id,
      metric,
      ids.filter((id) => record.contestants.some((c) => c.id === id)),
    );
    const mine = stat(record.samples, scenario.id, wsport.id, metric.key);
    if (!best || !mine) {
      lines.push(`| ${target.name} | – | – | not measured |`);
      continue;
    }
    const ratio = advantage(metric, mine.median, best.stat.median);
    const label = record.contestants.find((c) => c.id === best.id)!.label;
    lines.push(
      `| ${target.name} | ${wsport.label} ${metric.format(mine.median)} vs ${label} ${
        metric.format(best.stat.median)
      } ${metric.label} | ${ratio.toFixed(2)}× | ${ratio >= target.need ? "✅" : "❌"} |`,
    );
  }
  lines.push("");
  return lines;
}

interface MicroResult {
  op: string;
  size: string;
  opsPerSec: number;
  gbPerSec: number;
}

function microLines(record: ResultsRecord): string[] {
  if (record.micro.length === 0) return [];
  const lines = [
    "## Microbenchmarks of the core",
    "",
    "Payload GB/s, median (min–max) over the rounds; `÷ copy` is the share of `Uint8Array.set` (memcpy) speed.",
    "`mask`: `maskInPlace`; `encode`: `encodeFrame` with a mask (new buffer, copy, mask); `parse`: `FrameParser`",
    "over a stream of unmasked frames fed in 64 KiB chunks; `receive`: `Connection.receiveData` + `eventsReceived`",
    "(parser, assembler, events; no I/O, no dispatch).",
    "",
    "| Runtime | Size | Op | GB/s | frames/s | ÷ copy |",
    "| --- | --- | --- | ---: | ---: | ---: |",
  ];
  const runtimes = [...new Set(record.micro.map((m) => m.runtime))];
  for (const runtime of runtimes) {
    const all = record.micro.filter((m) => m.runtime === runtime).flatMap((m) =>
      m.results as MicroResult[]
    );
    const sizes = [...new Set(all.map((r) => r.size))];
    for (const size of sizes) {
      const ops = [...new Set(all.filter((r) => r.size === size).map((r) => r.op))];
      const copy = median(
        all.filter((r) => r.size === size && r.op === "copy").map((r) => r.gbPerSec),
      );
      for (const op of ops) {
        const rs = all.filter((r) => r.size === size && r.op === op);
        const gb = rs.map((r) => r.gbPerSec);
        const m = median(gb);
        lines.push(
          `| ${RUNTIME_NAMES[runtime]} | ${size} | ${op} | ${m.toFixed(2)} (${
            Math.min(...gb).toFixed(2)
          }–${Math.max(...gb).toFixed(2)}) | ${fmtRate(median(rs.map((r) => r.opsPerSec)))} | ${
            op === "copy" ? "" : `${((m / copy) * 100).toFixed(0)} %`
          } |`,
        );
      }
    }
  }
  lines.push("");
  return lines;
}

/** CPU pressure stall during the counted runs (other processes, or the runtimes' own threads). */
function stallNote(record: ResultsRecord): string {
  const stalls = record.samples.map((s) => s.result.cpuStall).filter((x): x is number =>
    typeof x === "number"
  );
  if (stalls.length === 0) return "";
  return ` CPU pressure stall (share of a run's time some task waited for a core; includes each runtime's own ` +
    `GC/JIT/IO threads, which share the client's core): median ${
      (median(stalls) * 100).toFixed(0)
    } % per run, ` +
    `max ${(Math.max(...stalls) * 100).toFixed(0)} %.`;
}

/** The whole `latest.md`. */
export function renderMarkdown(record: ResultsRecord): string {
  const v = record.versions;
  const lines = [
    `# wsport benchmark, ${record.date.slice(0, 10)}`,
    "",
    `${record.flags.rounds} interleaved rounds${
      record.flags.quick ? " (--quick)" : ""
    }, each client run in a fresh process; ` +
    `median (min–max) over the rounds. ${
      String(record.machine.cpu)
    }, ${record.machine.cores} cores, ${record.machine.os}; ${record.machine.pinned}` +
    (record.machine.loadBefore
      ? `; load average ${record.machine.loadBefore} before, ${record.machine.loadAfter} after.`
      : ".") +
    stallNote(record),
    `Deno ${v.deno}, Bun ${v.bun}, Node ${v.node}; ws ${v.ws}, bufferutil ${v.bufferutil}, undici ${v.undici}; wsport ${v.wsport}. ` +
    `Took ${Math.round(record.durationSeconds)} s.`,
    "",
    "Servers: receive and send talk to a raw-TCP server (Bun.listen) that replays pre-built frames or only counts bytes; " +
    'echo, setup and memory talk to Bun.serve. Binary messages throughout; WHATWG clients use `binaryType = "arraybuffer"`, ' +
    'ws its own `on("message")` API. Sends yield to the event loop every ~64 KiB and wait while `bufferedAmount` > 1 MiB. ' +
    '"wsport vs this" is wsport\'s advantage on the first metric (> 1: wsport better).',
    "",
    ...targetLines(record),
    "## Results",
    "",
  ];
  for (const scenario of record.scenarios) lines.push(...scenarioTable(record, scenario));
  lines.push(...microLines(record));
  const failures = record.samples.filter((s) => !s.result.ok);
  if (failures.length > 0) {
    lines.push("## Failed or incomplete runs", "");
    for (const f of failures) {
      lines.push(
        `- ${f.scenario} / ${f.contestant} / round ${f.round}: ${
          (f.result.error ?? JSON.stringify(f.result)).split("\n")[0]
        }`,
      );
    }
    lines.push("");
  }
  return lines.join("\n");
}

const README_ROWS: [string, string][] = [
  ["recv-16B", "receive 16 B, msgs/s"],
  ["recv-1KiB", "receive 1 KiB"],
  ["recv-64KiB", "receive 64 KiB"],
  ["recv-1MiB", "receive 1 MiB"],
  ["send-16B", "send 16 B"],
  ["credit-16B", "send 16 B, credit flow"],
  ["send-1KiB", "send 1 KiB"],
  ["send-64KiB", "send 64 KiB"],
  ["send-1MiB", "send 1 MiB"],
  ["echo", "echo 32 B, p50"],
  ["conn", "connect + close, conn/s"],
  ["memory", "idle connection, RSS"],
];

/**
 * The README's table: per scenario and runtime, wsport's advantage over the
 * best competitor (`arraybuffer`, like for like), and with its fastest
 * receive API where that differs (`u8`: `binaryType = "uint8array"`,
 * `stream`: a `WebSocketStream` reader).
 */
export function renderReadmeTable(record: ResultsRecord): string {
  const header = [
    "| scenario | Deno: vs built-in | Bun: vs built-in | Node: vs best of ws, ws+bufferutil, undici, Node 22 |",
    "| --- | ---: | ---: | ---: |",
  ];
  const lines: string[] = [];
  for (const [id, label] of README_ROWS) {
    const scenario = record.scenarios.find((x) => x.id === id);
    if (!scenario) continue;
    const metric = metricsOf(scenario.kind)[0]!;
    const cells = ["deno", "bun", "node"].map((runtime) => {
      const base = record.contestants.find((c) => c.id === `wsport-${runtime}`);
      const competitors = record.contestants.filter((c) => c.runtime === runtime && !c.wsport)
        .map((c) => c.id);
      const best = bestOf(record, id, metric, competitors);
      const mine = base ? stat(record.samples, id, base.id, metric.key) : null;
      if (!best || !mine) return "–";
      let cell = `${advantage(metric, mine.median, best.stat.median).toFixed(2)}×`;
      const variants = record.contestants.filter((c) => c.id.startsWith(`wsport-${runtime}-`));
      const fastest = bestOf(record, id, metric, variants.map((c) => c.id));
      if (fastest && advantage(metric, fastest.stat.median, mine.median) > 1) {
        cell += ` (${fastest.id.slice(`wsport-${runtime}-`.length)}: ${
          advantage(metric, fastest.stat.median, best.stat.median).toFixed(2)
        }×)`;
      }
      return cell;
    });
    lines.push(`| ${label} | ${cells.join(" | ")} |`);
  }
  return [...header, ...lines].join("\n");
}

if (import.meta.main) {
  const path = Deno.args.find((arg) => !arg.startsWith("--"));
  if (path === undefined) {
    console.error("usage: deno run -A bench/report.ts [--readme] bench/results/<date>.json");
    Deno.exit(2);
  }
  const record = JSON.parse(Deno.readTextFileSync(path));
  console.log(Deno.args.includes("--readme") ? renderReadmeTable(record) : renderMarkdown(record));
}
