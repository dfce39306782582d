// A `node --test` reporter that prints one line per test file once the run is
// over: `✔ tests/x_test.js  12 passed` or `✖ … 1 failed`. Failures in full
// and skips by reason are printed by scripts/test_all.ts from the JUnit
// report, the same way for Deno, Bun and Node.
//
// Leaves only: a test is counted when it has no subtest (its `details.type`
// is "test"; suites are "suite").

/** @param {AsyncIterable<{ type: string, data: any }>} source */
export default async function* fileLines(source) {
  /** @type {Map<string, { passed: number, failed: number, skipped: number, ms: number }>} */
  const files = new Map();
  // A test defined in a helper module (tests/_util/…) counts for the test file that ran it.
  let current = "?";
  for await (const event of source) {
    if (event.type === "test:start" && event.data.nesting === 0) current = event.data.file ?? "?";
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const data = event.data;
    const file = data.nesting === 0 ? data.file ?? current : current;
    let count = files.get(file);
    if (count === undefined) {
      count = { passed: 0, failed: 0, skipped: 0, ms: 0 };
      files.set(file, count);
    }
    if (data.nesting === 0) count.ms += data.details?.duration_ms ?? 0;
    if (data.details?.type === "suite") continue;
    if (data.skip !== undefined || data.todo !== undefined) count.skipped++;
    else if (event.type === "test:pass") count.passed++;
    else count.failed++;
  }
  const cwd = process.cwd() + "/.test-build/node/";
  for (const [file, count] of files) {
    const name = file.startsWith(cwd) ? file.slice(cwd.length) : file;
    const parts = [`${count.passed} passed`];
    if (count.failed > 0) parts.push(`${count.failed} failed`);
    if (count.skipped > 0) parts.push(`${count.skipped} skipped`);
    const mark = count.failed > 0 ? "✖" : "✔";
    yield `${mark} ${name}  ${parts.join(", ")}  ${(count.ms / 1000).toFixed(1)}s\n`;
  }
}
