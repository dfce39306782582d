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
 * - **node**: `scripts/build_npm.ts` builds and checks the npm package,
 *   `scripts/check_package_types.ts` type-checks the packed package without
 *   the DOM lib for Node 20's, 22's and 24's `@types/node`,
 *   `scripts/check_install.ts` takes the README's install routes in scratch
 *   projects to an echo round trip and runs the publish dry-runs, the tests are
 *   compiled against the package, and `node --test` runs them.
 *
 * Output: one line per test file (`✔ tests/x_test.ts  12 passed, 1
 * skipped`), then each failure in full as its runner reported it, and at
 * the end the skips counted by reason (Node's report keeps the reason given
 * with `skip: "…"`; Deno's and Bun's drop it, so theirs take Node's reason
 * for the test of the same name). Deno's and Bun's own output is shown only
 * when a runner crashed or reported an error outside any test; `--verbose`
 * shows it all. Node prints its lines through `scripts/_node_reporter.mjs`.
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
import { checkInstall } from "./check_install.ts";
import { checkPackageTypes } from "./check_package_types.ts";

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
  ], { cwd: ROOT, env, echo: false, timeoutMs: timeoutMs() });
  if (result.code !== 0) console.log(result.output);
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
    // Every export documented and every public type reachable from its own entry point (JSR's
    // rules): one run per entry, since a run over all of them counts a type exported by any
    // entry as reachable from every other.
    ...docEntryPoints().map((entry): [string, string[]] => [
      `deno doc --lint ${entry}`,
      ["doc", "--lint", entry],
    ]),
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
  // Through `deno task`, which must run node_modules/.bin/deno (the native binary the `deno` npm
  // package installs) as a program: deno.json's tasks call `env deno` for that.
  console.log("\n$ deno task check:test-map");
  const task = await runProcess(deno, ["task", "check:test-map"], {
    cwd: ROOT,
    env,
    timeoutMs: timeoutMs(),
  });
  recordCheck("check_test_map (through deno task)", task.code === 0, task.durationMs);
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
          `--test-reporter=${verbose ? "spec" : `${ROOT}/scripts/_node_reporter.mjs`}`,
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
  options: { readonly verbose: boolean },
): Promise<TestCount> {
  const report = `${REPORT_DIR}/${reportName}.xml`;
  removeFile(report);
  const args = runner.args(files, report);
  const shown = files.length === 1 ? args : [...args.slice(0, args.length - files.length), "…"];
  console.log(
    `$ ${runtime} ${shown.join(" ")}${files.length === 1 ? "" : ` (${files.length} files)`}`,
  );
  // Deno's and Bun's own output is kept for when it is needed (a crash, an error outside any
  // test) and replaced by one line per file; Node prints its lines through scripts/_node_reporter.mjs.
  const echo = runtime === "node" || options.verbose;
  const result = await runProcess(runner.command, args, {
    cwd: ROOT,
    env,
    echo,
    timeoutMs: timeoutMs(),
  });
  const parsed = readReport(report);
  if (!echo && (parsed === undefined || result.code !== 0)) {
    const lines = result.output.trimEnd().split("\n");
    const shownLines = parsed === undefined ? lines.slice(-200) : lines.slice(-60);
    if (parsed === undefined || /^\s*\d+ errors?\s*$/m.test(result.output)) {
      console.log(`--- ${runtime}'s own output (last ${shownLines.length} lines) ---`);
      console.log(shownLines.join("\n"));
      console.log(`--- end of ${runtime}'s output ---`);
    }
  }
  if (parsed === undefined) {
    const why = result.timedOut ? "ran out of time" : `exited with code ${result.code}`;
    if (files.length > 1 && !result.timedOut) {
      console.error(`\n${runtime}: the run ${why} without a report; running each file alone`);
      const count = emptyCount();
      for (const [index, file] of files.entries()) {
        addCount(
          count,
          await runFiles(runtime, runner, [file], env, `${reportName}_${index}`, options),
        );
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
  if (exists(".test-build/smoke/node_modules/wsport/package.json")) {
    started = performance.now();
    const types = await checkPackageTypes();
    recordCheck(
      "npm package types (@types/node 20/22/24, no DOM)",
      types.ok,
      performance.now() - started,
      types.problems.join("; "),
    );
  }
  if (exists(".test-build/smoke/node_modules/wsport/package.json")) {
    started = performance.now();
    const install = await checkInstall();
    recordCheck(
      "install routes → echo (npm+Node 20/22/24, Bun, Deno; publish dry-runs)",
      install.ok,
      performance.now() - started,
      install.problems.join("; "),
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
    const runner = plan(runtime, binaries, options.verbose);
    count = await runFiles(runtime, runner, files, env, runtime, options);
    if (runtime !== "node") printFileLines(count);
    printFailureDetails(runtime, count);
  }
  if (count.passed + count.failed + count.skipped === 0) {
    count.failed++;
    count.failures.push(`${runtime} ran no test (${files.length} test file(s))`);
  }
  runtimes.push({ runtime, count, durationMs: performance.now() - started });
}

// ---------------------------------------------------------------- output

/** One line per test file: `✔ tests/x_test.ts  12 passed, 1 skipped`. */
function printFileLines(count: TestCount): void {
  for (const [file, counts] of [...count.files].sort(([a], [b]) => a.localeCompare(b))) {
    const parts = [`${counts.passed} passed`];
    if (counts.failed > 0) parts.push(`${counts.failed} failed`);
    if (counts.skipped > 0) parts.push(`${counts.skipped} skipped`);
    console.log(`${counts.failed > 0 ? "✖" : "✔"} ${file}  ${parts.join(", ")}`);
  }
}

/** Every failure in full, as the runner reported it. */
function printFailureDetails(runtime: Runtime, count: TestCount): void {
  if (count.details.length === 0) return;
  console.log(`\n${runtime}: ${count.details.length} failure(s) in full:\n`);
  for (const detail of count.details) console.log(`${detail}\n`);
}

/**
 * Skips counted by reason, per runtime. Deno's and Bun's reports drop the
 * reason given with `skip: "…"`; Node's keep it, so a Deno or Bun skip takes
 * the reason Node gave for the test of the same name, when Node skipped it too.
 */
function printSkips(): void {
  const nodeReasons = new Map<string, string>();
  for (const { runtime, count } of runtimes) {
    if (runtime !== "node") continue;
    for (const skip of count.skips) {
      if (skip.reason !== undefined) nodeReasons.set(skip.name, skip.reason);
    }
  }
  const lines: string[] = [];
  for (const { runtime, count } of runtimes) {
    const byReason = new Map<string, number>();
    for (const skip of count.skips) {
      const reason = skip.reason ?? nodeReasons.get(skip.name) ??
        `no reason in ${runtime}'s report (${skip.file})`;
      byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
    }
    for (const [reason, n] of [...byReason].sort((a, b) => b[1] - a[1])) {
      lines.push(`  ${runtime.padEnd(5)} ${String(n).padStart(4)}  ${reason}`);
    }
  }
  if (lines.length === 0) return;
  console.log("\nSkipped, by reason:");
  for (const line of lines) console.log(line);
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
  printSkips();
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
