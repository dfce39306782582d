/**
 * Checks that the tests mirror the sources (guide, point 16): every
 * `src/<dir>/<name>.ts` has its twin `tests/<dir>/<name>_test.ts`.
 *
 * Exempt: files whose name starts with `_` (private helpers, tested through
 * the module that uses them) and `mod.ts` files (re-exports only).
 *
 * Usage: `deno run -A scripts/check_test_map.ts` (exits 1 when a twin is
 * missing, listing each).
 *
 * @module
 */

import { exists, listFiles } from "./_files.ts";

/** A source file without its test twin. */
export interface MissingTest {
  /** The source, relative to the repository root. */
  readonly source: string;
  /** The test file it needs, relative to the repository root. */
  readonly test: string;
}

function needsTwin(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return path.endsWith(".ts") && !path.endsWith(".d.ts") && !name.startsWith("_") &&
    name !== "mod.ts";
}

/**
 * Finds the sources under `src/` whose test twin is missing.
 *
 * @returns One entry per missing twin, sorted by source path.
 */
export function findMissingTests(): MissingTest[] {
  return listFiles("src", needsTwin)
    .map((source) => ({
      source,
      test: source.replace(/^src\//, "tests/").replace(/\.ts$/, "_test.ts"),
    }))
    .filter((pair) => !exists(pair.test));
}

/**
 * Runs the check and prints what is missing.
 *
 * @returns `true` when every source has its twin.
 */
export function checkTestMap(): boolean {
  const sources = listFiles("src", needsTwin);
  const missing = findMissingTests();
  if (missing.length === 0) {
    console.log(`check_test_map: all ${sources.length} source files have their test twin`);
    return true;
  }
  console.error(
    `check_test_map: ${missing.length} of ${sources.length} source files have no test twin:`,
  );
  for (const { source, test } of missing) console.error(`  ${source}  ->  missing ${test}`);
  return false;
}

if (import.meta.main) {
  Deno.exit(checkTestMap() ? 0 : 1);
}
