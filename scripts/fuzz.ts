/**
 * Runs the seeded fuzzer of the protocol core (`tests/_util/fuzz.ts`) with
 * a budget, on the runtime that runs this file, and prints its figures:
 *
 * ```sh
 * nice deno run -A scripts/fuzz.ts --inputs 10000000 --seed 1
 * nice bun scripts/fuzz.ts --inputs 10000000 --seed 1
 * nice node --experimental-strip-types scripts/fuzz.ts --inputs 10000000 --seed 1
 * ```
 *
 * `--inputs` (default 1 000 000) and `--seed` (default 1); the same seed
 * gives the same inputs on every runtime. Exits with 1 when any input broke
 * the contract, printing the first ten with their bytes.
 *
 * @module
 */

import process from "node:process";
import { type FuzzReport, runFuzz } from "../tests/_util/fuzz.ts";

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`Cannot fuzz: --${name} must be an integer >= 0`);
  }
  return value;
}

const runtime = "Deno" in globalThis
  ? `deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`
  : "Bun" in globalThis
  ? `bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
  : `node ${process.version}`;

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function line(report: FuzzReport): string {
  const seconds = report.elapsedMs / 1000;
  return `${report.inputs} inputs in ${seconds.toFixed(1)} s (${
    Math.round(report.inputs / seconds)
  }/s), ${report.failures} failed the connection, ${report.violationCount} violations, peak RSS ${
    mib(report.peakRss)
  }, slowest input ${report.slowestMs.toFixed(1)} ms (${report.stalls} slow once, fast again)`;
}

const inputs = option("inputs", 1_000_000);
const seed = option("seed", 1);
console.log(`fuzz: ${runtime}, seed ${seed}, ${inputs} inputs`);
const report = runFuzz({
  seed,
  inputs,
  rss: () => process.memoryUsage().rss,
  onViolation: (text) => console.log(`VIOLATION ${text}`),
  progress: (partial) => {
    if (partial.inputs % 1_000_000 === 0) console.log(`  ${line(partial)}`);
  },
});
console.log(`fuzz: ${runtime}: ${line(report)}`);
console.log(`fuzz: per target: ${JSON.stringify(report.perTarget)}`);
process.exitCode = report.violationCount === 0 ? 0 : 1;
