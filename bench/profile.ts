/**
 * Profiles one contestant in one scenario: `deno run -A bench/profile.ts
 * <contestant> <scenario> [count]`, e.g. `wsport-node recv-16B`. Starts the
 * bench server, runs the client under the runtime's CPU profiler (Node and
 * Bun: `--cpu-prof`; Deno: the inspector, see `clients/_deno_profile.mjs`),
 * writes the `.cpuprofile` to `bench/results/profiles/` (open it in Chrome
 * DevTools) and prints the functions with the most self time and the most
 * total time. Uses the snapshot of the last `bench/run.ts` run
 * (`.test-build/bench`); run `deno run -A bench/run.ts --snapshot-only` to take one.
 *
 * @module
 */

import { CONTESTANTS, scenarios, startServer } from "./run.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
}

/**
 * Self and total sample shares per function (by name, file and line).
 *
 * @param profile A V8 `.cpuprofile`.
 * @returns Rows sorted by self time.
 */
export function summarizeProfile(
  profile: Profile,
): { name: string; self: number; total: number }[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const hits = new Map<number, number>();
  if (profile.samples && profile.samples.length > 0) {
    for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  } else {
    for (const node of profile.nodes) hits.set(node.id, node.hitCount ?? 0);
  }
  const all = [...hits.values()].reduce((a, b) => a + b, 0) || 1;
  const label = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^file:\/\//, "").replace(`${ROOT}/`, "");
    return `${functionName || "(anonymous)"} ${file ? `${file}:${lineNumber + 1}` : ""}`.trim();
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const visit = (id: number, onStack: Set<string>): number => {
    const node = byId.get(id)!;
    let sum = hits.get(id) ?? 0;
    const name = label(node);
    self.set(name, (self.get(name) ?? 0) + (hits.get(id) ?? 0));
    const inner = new Set(onStack).add(name);
    for (const child of node.children ?? []) sum += visit(child, inner);
    // Count a recursive function's subtree once.
    if (!onStack.has(name)) total.set(name, (total.get(name) ?? 0) + sum);
    return sum;
  };
  const childIds = new Set(profile.nodes.flatMap((node) => node.children ?? []));
  for (const node of profile.nodes) if (!childIds.has(node.id)) visit(node.id, new Set());
  return [...self.keys()]
    .map((name) => ({
      name,
      self: (self.get(name) ?? 0) / all,
      total: (total.get(name) ?? 0) / all,
    }))
    .sort((a, b) => b.self - a.self);
}

async function main(): Promise<void> {
  const [contestantId, scenarioId, countArg] = Deno.args;
  const contestant = CONTESTANTS.find((c) => c.id === contestantId);
  const scenario = scenarios(false).find((s) => s.id === scenarioId);
  if (!contestant || !scenario) {
    console.error(
      `usage: deno run -A bench/profile.ts <${CONTESTANTS.map((c) => c.id).join("|")}> ` +
        `<${scenarios(false).map((s) => s.id).join("|")}> [count]`,
    );
    Deno.exit(2);
  }
  const dir = `${ROOT}/bench/results/profiles`;
  Deno.mkdirSync(dir, { recursive: true });
  const out = `${dir}/${contestant.id}-${scenario.id}.cpuprofile`;
  const [program, ...rest] = contestant.command;
  const script = rest.pop()!;
  let command: string[];
  const env: Record<string, string> = { ...contestant.env };
  if (contestant.runtime === "deno") {
    command = [program!, ...rest, "bench/clients/_deno_profile.mjs"];
    env.PROF_CLIENT = new URL(`../${script}`, import.meta.url).href;
    env.PROF_OUT = out;
  } else {
    const tmp = Deno.makeTempDirSync();
    command = [program!, ...rest, "--cpu-prof", `--cpu-prof-dir=${tmp}`, script];
    env.PROF_TMP = tmp;
  }
  const server = await startServer(["taskset", "-c", "1"]);
  try {
    const params = {
      scenario: scenario.kind,
      url: `ws://127.0.0.1:${server.ports[scenario.server === "raw" ? "raw" : "ws"]}`,
      timeout: 60_000,
      ...scenario.params,
      ...(countArg ? { count: Number(countArg) } : {}),
    };
    const [bin, ...args] = ["taskset", "-c", "0", ...command, JSON.stringify(params)];
    const result = await new Deno.Command(bin!, {
      args,
      cwd: ROOT,
      env,
      stdout: "piped",
      stderr: "inherit",
    }).output();
    console.log(new TextDecoder().decode(result.stdout).trim());
  } finally {
    await server.stop();
  }
  if (env.PROF_TMP) {
    const file = [...Deno.readDirSync(env.PROF_TMP)].find((e) => e.name.endsWith(".cpuprofile"));
    if (!file) throw new Error("no profile was written");
    Deno.renameSync(`${env.PROF_TMP}/${file.name}`, out);
  }
  const rows = summarizeProfile(JSON.parse(Deno.readTextFileSync(out)));
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`;
  console.log(`\n${out}\n\nself     total    function`);
  for (const row of rows.slice(0, 30)) {
    console.log(`${pct(row.self)} ${pct(row.total)}  ${row.name}`);
  }
  console.log("\nby total time:");
  for (const row of [...rows].sort((a, b) => b.total - a.total).slice(0, 25)) {
    console.log(`${pct(row.self)} ${pct(row.total)}  ${row.name}`);
  }
}

if (import.meta.main) await main();
