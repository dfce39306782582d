/**
 * Runs the checks and the test suite on Deno, Bun and Node, and closes with
 * one line: `N passed, N failed` (then `, N skipped` when some were).
 *
 * Usage: `deno run -A scripts/test_all.ts [check] [deno] [bun] [node]
 * [--verbose] [test files or directories…]`. With no section named, all
 * four run, in that order; each goes on whatever the others did.
 *
 * - **check**: `deno check`, `deno lint`, `deno fmt --check`, `deno doc --lint`,
 *   `scripts/check_core.ts`, `scripts/check_cycles.ts`, `scripts/check_test_map.ts`, and the JSDoc
 *   examples under `deno test --doc`.
 * - **deno**: `deno test -A --no-check` over the test files (types are the
 *   business of the check section and of the npm build).
 * - **bun**: `bun test` over the same files.
 * - **node**: `scripts/build_npm.ts` builds and checks the npm package and
 *   compiles the tests against it; `node --test` runs them.
 *
 * Tests are counted from each runner's JUnit report as leaf tests (see
 * `scripts/_junit.ts`). The closing line sums the three runtimes; each
 * failed check, each runtime that crashed or ran no test, and each runner
 * that exited non-zero without reporting a failure adds one failure, so the
 * line never says `0 failed` when the exit code is not 0.
 *
 * Every runtime gets `DENO_BIN`, `BUN_BIN` and `NODE_BIN` (absolute paths of
 * the three runtimes, for tests that start a peer in another runtime) and
 * `WSPORT_ROOT` (the repository root, for fixtures) in its environment.
 *
 * Time limits: one test may take 60 s under Bun and Node (their runners
 * enforce it; Deno's has no such option); one runner may take
 * `WSPORT_TEST_TIMEOUT` seconds (default 600), after which it is stopped
 * and counted as one failure.
 *
 * Counting caveats, each the same for every file: Bun leaves a skipped
 * `describe()` out of its report (Deno and Node count it as one skipped
 * test), and Bun reports `t.test()` subtests as their parent alone, so
 * tests should be written with `describe()`/`it()`/`test()` and no
 * `t.test()`. Deno swallows an error thrown at a test module's top level
 * after its tests were registered; Bun and Node report it.
 *
 * The closing line is also written to `.test-build/reports/summary.txt`.
 *
 * @module
 */

import {
  addCount,
  countBunReport,
  countDenoReport,
  countNodeReport,
  emptyCount,
  parseXml,
  type TestCount,
  type XmlElement,
} from "./_junit.ts";
import { exists, listFiles, listTestFiles, ROOT } from "./_files.ts";
import { formatSeconds, type ProcessResult, runProcess } from "./_process.ts";
import { BUILD_DIR, buildNodeTests, buildPackage, checkPackage } from "./build_npm.ts";
import { checkCore } from "./check_core.ts";
import { checkCycles } from "./check_cycles.ts";
import { checkTestMap } from "./check_test_map.ts";

type Section = "check" | "deno" | "bun" | "node";
type Runtime = Exclude<Section, "check">;

const SECTIONS: readonly Section[] = ["check", "deno", "bun", "node"];
const REPORT_DIR = `${BUILD_DIR}/reports`;

interface Options {
  readonly sections: readonly Section[];
  readonly testFiles: readonly string[];
  readonly verbose: boolean;
}

/** A check that passes or fails as a whole. */
interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly detail?: string;
}

/** One runtime's run of the suite. */
interface RuntimeResult {
  readonly runtime: Runtime;
  readonly count: TestCount;
  readonly durationMs: number;
}

interface Binaries {
  readonly deno: string;
  readonly bun: string;
  readonly node: string;
}

const checks: CheckResult[] = [];
const runtimes: RuntimeResult[] = [];

function parseArgs(args: readonly string[]): Options {
  const sections = args.filter((arg): arg is Section => SECTIONS.includes(arg as Section));
  const paths = args.filter((arg) => !arg.startsWith("--") && !SECTIONS.includes(arg as Section));
  const all = listTestFiles();
  const testFiles = paths.length === 0 ? all : all.filter((file) =>
    paths.some((path) => {
      const wanted = path.replace(/^\.\//, "").replace(/\/$/, "");
      return file === wanted || file.startsWith(`${wanted}/`);
    })
  );
  return {
    sections: sections.length === 0 ? SECTIONS : sections,
    testFiles,
    verbose: args.includes("--verbose"),
  };
}

function heading(title: string): void {
  console.log(`\n━━━━ ${title} ${"━".repeat(Math.max(0, 66 - title.length))}`);
}

async function findBinaries(): Promise<Binaries> {
  // The machine's Node, the one running npm: under `npm test`, `node` on PATH
  // is the `node@22` dev dependency the benchmark uses, but the suite must
  // prove the oldest Node we support. WSPORT_NODE overrides both.
  const chosen = Deno.env.get("WSPORT_NODE") ?? Deno.env.get("npm_node_execpath");
  const node = chosen === undefined
    ? await runProcess("node", ["-p", "process.execPath"], { echo: false })
    : { code: 0, output: chosen };
  return {
    deno: exists("node_modules/.bin/deno") ? `${ROOT}/node_modules/.bin/deno` : Deno.execPath(),
    bun: `${ROOT}/node_modules/.bin/bun`,
    node: node.code === 0 ? node.output.trim() : "node",
  };
}

function runtimeEnv(binaries: Binaries): Record<string, string> {
  return {
    DENO_BIN: binaries.deno,
    BUN_BIN: binaries.bun,
    NODE_BIN: binaries.node,
    WSPORT_ROOT: ROOT,
    NO_COLOR: "1",
  };
}

function timeoutMs(): number {
  const seconds = Number(Deno.env.get("WSPORT_TEST_TIMEOUT") ?? "600");
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 600) * 1000;
}

// ---------------------------------------------------------------- checks

async function timedCheck(name: string, body: () => Promise<boolean> | boolean): Promise<boolean> {
  const started = performance.now();
  let ok: boolean;
  try {
    ok = await body();
  } catch (error) {
    console.error(`${name}: ${error instanceof Error ? error.stack : error}`);
    ok = false;
  }
  checks.push({ name, ok, durationMs: performance.now() - started });
  return ok;
}

function recordCheck(name: string, ok: boolean, durationMs: number, detail?: string): void {
  checks.push({ name, ok, durationMs, ...(detail === undefined ? {} : { detail }) });
}

function denoCheckTargets(): string[] {
  const targets = ["mod.ts", "src", "tests", "scripts", "examples", "bench"];
  return targets.filter((target) =>
    target.endsWith(".ts")
      ? exists(target)
      : listFiles(target, (path) => path.endsWith(".ts")).length > 0
  );
}

async function runDocTests(binaries: Binaries, env: Record<string, string>): Promise<void> {
  const targets = ["mod.ts", "src"].filter(exists);
  const report = `${REPORT_DIR}/deno_doc.xml`;
  const result = await runProcess(binaries.deno, [
    "test",
    "-A",
    "--doc",
    "--permit-no-files",
    "--reporter=dot",
    `--junit-path=${report}`,
    ...targets,
  ], { cwd: ROOT, env, timeoutMs: timeoutMs() });
  const parsed = readReport(report);
  const count = parsed === undefined ? undefined : countDenoReport(parsed);
  const detail = count === undefined ? undefined : `${count.passed} passed, ${count.failed} failed`;
  recordCheck("deno test --doc (JSDoc examples)", result.code === 0, result.durationMs, detail);
}

/** The files of deno.json's `exports` map. */
function docEntryPoints(): string[] {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)) as {
    exports: Record<string, string>;
  };
  return Object.values(config.exports);
}

async function runChecks(binaries: Binaries, env: Record<string, string>): Promise<void> {
  heading("checks");
  const deno = binaries.deno;
  const simple: [string, string[]][] = [
    ["deno check", ["check", ...denoCheckTargets()]],
    ["deno lint", ["lint"]],
    ["deno fmt --check", ["fmt", "--check"]],
    // Every export documented and every public type reachable, per entry point (JSR's rules).
    ["deno doc --lint", ["doc", "--lint", ...docEntryPoints()]],
  ];
  for (const [name, args] of simple) {
    console.log(`\n$ deno ${args.join(" ")}`);
    const result = await runProcess(deno, args, { cwd: ROOT, env, timeoutMs: timeoutMs() });
    recordCheck(name, result.code === 0, result.durationMs);
  }
  console.log("\n$ deno run -A scripts/check_core.ts");
  await timedCheck("check_core", checkCore);
  console.log("\n$ deno run -A scripts/check_cycles.ts");
  await timedCheck("check_cycles", () => checkCycles());
  console.log("\n$ deno run -A scripts/check_test_map.ts");
  await timedCheck("check_test_map", checkTestMap);
  console.log("\n$ deno test --doc mod.ts src/");
  await runDocTests(binaries, env);
}

// ---------------------------------------------------------------- runtimes

function readReport(path: string): XmlElement | undefined {
  try {
    const text = Deno.readTextFileSync(`${ROOT}/${path}`);
    return text.trim() === "" ? undefined : parseXml(text);
  } catch {
    return undefined;
  }
}

function removeFile(path: string): void {
  try {
    Deno.removeSync(`${ROOT}/${path}`);
  } catch { /* not there */ }
}

interface RunnerPlan {
  readonly command: string;
  readonly args: (files: readonly string[], report: string) => string[];
  readonly count: (report: XmlElement, result: ProcessResult) => TestCount;
}

function plan(runtime: Runtime, binaries: Binaries, verbose: boolean): RunnerPlan {
  switch (runtime) {
    case "deno":
      return {
        command: binaries.deno,
        args: (files, report) => [
          "test",
          "-A",
          "--no-check",
          ...(verbose ? [] : ["--reporter=dot"]),
          `--junit-path=${report}`,
          ...files,
        ],
        count: (report) => countDenoReport(report),
      };
    case "bun":
      return {
        command: binaries.bun,
        args: (files, report) => [
          "test",
          "--timeout=60000",
          ...(verbose ? [] : ["--only-failures"]),
          "--reporter=junit",
          `--reporter-outfile=${report}`,
          ...files.map((file) => (file.startsWith("/") ? file : `./${file}`)),
        ],
        count: (report, result) => countBunReport(report, result.output),
      };
    case "node":
      return {
        command: binaries.node,
        args: (files, report) => [
          "--test",
          "--test-timeout=60000",
          "--test-reporter=junit",
          `--test-reporter-destination=${report}`,
          `--test-reporter=${verbose ? "spec" : "dot"}`,
          "--test-reporter-destination=stdout",
          ...files,
        ],
        count: (report) => countNodeReport(report),
      };
  }
}

/**
 * Runs `files` with one runner and counts them. When the runner writes no
 * report (it crashed, or Deno refused a module graph), each file is run
 * alone so that one broken file costs one failure, not the whole run.
 */
async function runFiles(
  runtime: Runtime,
  runner: RunnerPlan,
  files: readonly string[],
  env: Record<string, string>,
  reportName: string,
): Promise<TestCount> {
  const report = `${REPORT_DIR}/${reportName}.xml`;
  removeFile(report);
  const args = runner.args(files, report);
  const shown = files.length === 1 ? args : [...args.slice(0, args.length - files.length), "…"];
  console.log(
    `$ ${runtime} ${shown.join(" ")}${files.length === 1 ? "" : ` (${files.length} files)`}`,
  );
  const result = await runProcess(runner.command, args, {
    cwd: ROOT,
    env,
    timeoutMs: timeoutMs(),
  });
  const parsed = readReport(report);
  if (parsed === undefined) {
    const why = result.timedOut ? "ran out of time" : `exited with code ${result.code}`;
    if (files.length > 1 && !result.timedOut) {
      console.error(`\n${runtime}: the run ${why} without a report; running each file alone`);
      const count = emptyCount();
      for (const [index, file] of files.entries()) {
        addCount(count, await runFiles(runtime, runner, [file], env, `${reportName}_${index}`));
      }
      return count;
    }
    const count = emptyCount();
    count.failed++;
    count.failures.push(`${files.join(", ")}: ${runtime} ${why} without a report`);
    return count;
  }
  const count = runner.count(parsed, result);
  if (result.code !== 0 && count.failed === 0) {
    count.failed++;
    count.failures.push(
      `${runtime} ${result.timedOut ? "ran out of time" : `exited with code ${result.code}`} ` +
        `but reported no failing test (see its output)`,
    );
  }
  return count;
}

async function buildForNode(testFiles: readonly string[]): Promise<string[]> {
  let started = performance.now();
  const build = await buildPackage();
  recordCheck(
    "npm build (tsc: ESM, CommonJS, .d.ts)",
    build.ok,
    performance.now() - started,
    build.problems.join("; "),
  );
  if (build.entries.length > 0 && exists("npm/package.json")) {
    started = performance.now();
    const pack = await checkPackage(build.entries);
    recordCheck(
      "npm package (pack, require, import, types)",
      pack.ok,
      performance.now() - started,
      pack.problems.join("; "),
    );
  }
  started = performance.now();
  const tests = await buildNodeTests(testFiles);
  recordCheck(
    "node test build (tsc)",
    tests.ok,
    performance.now() - started,
    tests.problems.join("; "),
  );
  return tests.compiled;
}

async function runRuntime(
  runtime: Runtime,
  options: Options,
  binaries: Binaries,
  env: Record<string, string>,
): Promise<void> {
  heading(runtime);
  const started = performance.now();
  let files: readonly string[] = options.testFiles;
  if (runtime === "node") files = await buildForNode(options.testFiles);
  let count: TestCount;
  if (runtime === "bun" && !exists("node_modules/.bin/bun")) {
    count = emptyCount();
    count.failed++;
    count.failures.push("bun: node_modules/.bin/bun is missing (run npm install)");
  } else if (files.length === 0) {
    count = emptyCount();
  } else {
    count = await runFiles(runtime, plan(runtime, binaries, options.verbose), files, env, runtime);
  }
  if (count.passed + count.failed + count.skipped === 0) {
    count.failed++;
    count.failures.push(`${runtime} ran no test (${files.length} test file(s))`);
  }
  runtimes.push({ runtime, count, durationMs: performance.now() - started });
}

// ---------------------------------------------------------------- summary

function countLine(count: { passed: number; failed: number; skipped: number }): string {
  const line = `${count.passed} passed, ${count.failed} failed`;
  return count.skipped > 0 ? `${line}, ${count.skipped} skipped` : line;
}

function printSummary(totalMs: number): number {
  heading("summary");
  for (const check of checks) {
    const status = check.ok ? "ok" : "FAILED";
    const detail = check.detail === undefined || check.detail === "" ? "" : `  (${check.detail})`;
    const time = check.durationMs > 0 ? `  ${formatSeconds(check.durationMs)}` : "";
    console.log(`check  ${check.name.padEnd(44)} ${status}${time}${detail}`);
  }
  const total = emptyCount();
  for (const { runtime, count, durationMs } of runtimes) {
    console.log(`${runtime.padEnd(6)} ${countLine(count).padEnd(44)} ${formatSeconds(durationMs)}`);
    addCount(total, count);
  }
  const failedChecks = checks.filter((check) => !check.ok);
  const failures = [
    ...failedChecks.map((check) => `check: ${check.name}`),
    ...runtimes.flatMap(({ runtime, count }) => count.failures.map((f) => `${runtime}: ${f}`)),
  ];
  if (failures.length > 0) {
    console.log("\nFailures:");
    const shown = failures.slice(0, 50);
    for (const failure of shown) console.log(`  ${failure}`);
    if (failures.length > shown.length) {
      console.log(`  … and ${failures.length - shown.length} more`);
    }
  }
  console.log(`\nTotal time ${formatSeconds(totalMs)}`);
  total.failed += failedChecks.length;
  const line = countLine(total);
  Deno.mkdirSync(`${ROOT}/${REPORT_DIR}`, { recursive: true });
  Deno.writeTextFileSync(`${ROOT}/${REPORT_DIR}/summary.txt`, `${line}\n`);
  console.log(line);
  return total.failed > 0 ? 1 : 0;
}

async function main(args: readonly string[]): Promise<number> {
  const started = performance.now();
  const options = parseArgs(args);
  Deno.mkdirSync(`${ROOT}/${REPORT_DIR}`, { recursive: true });
  removeFile(`${REPORT_DIR}/summary.txt`);
  const binaries = await findBinaries();
  const env = runtimeEnv(binaries);
  for (const [name, value] of Object.entries(env)) Deno.env.set(name, value);
  console.log(
    `wsport tests: ${options.sections.join(", ")}; ${options.testFiles.length} test file(s)\n` +
      `  DENO_BIN=${binaries.deno}\n  BUN_BIN=${binaries.bun}\n  NODE_BIN=${binaries.node}`,
  );
  if (options.sections.includes("check")) await runChecks(binaries, env);
  for (const runtime of ["deno", "bun", "node"] as const) {
    if (options.sections.includes(runtime)) await runRuntime(runtime, options, binaries, env);
  }
  return printSummary(performance.now() - started);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
