/**
 * Builds the npm package `wsport` into `npm/` with the TypeScript compiler
 * from `node_modules`, checks that it loads, and compiles the test suite
 * against it for Node.
 *
 * The package:
 * - `npm/esm/`: ES modules and `.d.ts` (`module: NodeNext`);
 * - `npm/cjs/`: CommonJS and `.d.ts`, with a `{"type":"commonjs"}`
 *   `package.json` so Node and TypeScript read both as CommonJS;
 * - `npm/package.json`: name `wsport`, the version of `deno.json`, one
 *   `exports` entry per `deno.json` export whose file exists, each with
 *   `import` and `require` conditions carrying their own `types`; no
 *   runtime dependencies;
 * - `npm/bin/wsport.mjs`: the `wsport` command (`bin`), a shebang'd ES
 *   module that runs `esm/src/cli/_process_io.js` (compiled with the ESM
 *   build from {@linkcode BIN_SOURCE}, which is not an export);
 * - `README.md` and `LICENSE`, copied.
 *
 * Relative imports are written with `.ts` in the sources and become `.js`
 * through `rewriteRelativeImportExtensions`. The compiler options come from
 * `tsconfig.json`, whose strictness flags must equal `deno.json`'s.
 * Any type error fails the build, but the JavaScript is still emitted so
 * that the Node suite can run and report too.
 *
 * The package check packs `npm/` with `npm pack`, unpacks it into
 * `.test-build/smoke/node_modules/wsport`, loads every export with both
 * `require()` and `import()`, compares their export names, and
 * type-checks an ESM and a CommonJS consumer of every export.
 *
 * The Node test build compiles `tests/**\/*_test.ts` into
 * `.test-build/node/` and then overwrites each compiled library module with
 * the file of `npm/esm/`, so the tests run against the built package.
 * Files other than `.ts` under `tests/` are copied beside them.
 *
 * Usage: `deno run -A scripts/build_npm.ts [--tests]`. Exits 1 when the
 * build, the package check or (with `--tests`) the test build fails.
 *
 * @module
 */

import { exists, listFiles, listTestFiles, ROOT } from "./_files.ts";
import { formatSeconds, type ProcessResult, runProcess } from "./_process.ts";

/** Where the package is written. */
export const NPM_DIR = "npm";
/** Scratch space: generated tsconfigs, the smoke install, the Node test build. */
export const BUILD_DIR = ".test-build";
/** Where the Node test build goes. */
export const NODE_TEST_DIR = `${BUILD_DIR}/node`;

const TSC = "node_modules/typescript/bin/tsc";

/** Exports of `deno.json` left out of the npm package: `./cli` (JSR: `deno run -A jsr:@wsport/wsport/cli`) is the `bin` there. */
export const NOT_ON_NPM: readonly string[] = ["./cli"];

/** The module the `wsport` command runs: compiled into `esm/` only, not an export. */
export const BIN_SOURCE = "src/cli/_process_io.ts";
/** The `wsport` command in the package. */
export const BIN_FILE = "bin/wsport.mjs";

/** The text of {@linkcode BIN_FILE}. */
export function binScript(): string {
  return `#!/usr/bin/env node
// The wsport command: see docs/cli.md. Runs on Node >= 20 and Bun (bunx --bun wsport).
import { runCli } from "../esm/${BIN_SOURCE.replace(/\.ts$/, ".js")}";

await runCli();
`;
}

/** One entry point of the package. */
export interface Entry {
  /** The export path, such as `"."` or `"./protocol"`. */
  readonly exportPath: string;
  /** The source, relative to the root, without `./` (`"src/protocol/mod.ts"`). */
  readonly source: string;
}

/** The outcome of a build step. */
export interface StepResult {
  /** Whether the step succeeded. */
  readonly ok: boolean;
  /** What went wrong, one line each, for the closing summary. */
  readonly problems: string[];
}

interface DenoConfig {
  version?: string;
  exports?: Record<string, string> | string;
  compilerOptions?: Record<string, unknown>;
}

function readJson<T>(path: string): T {
  return JSON.parse(Deno.readTextFileSync(`${ROOT}/${path}`)) as T;
}

function writeJson(path: string, value: unknown): void {
  Deno.writeTextFileSync(`${ROOT}/${path}`, `${JSON.stringify(value, null, 2)}\n`);
}

function removeDir(path: string): void {
  Deno.removeSync(`${ROOT}/${path}`, { recursive: true });
}

function resetDir(path: string): void {
  if (exists(path)) removeDir(path);
  Deno.mkdirSync(`${ROOT}/${path}`, { recursive: true });
}

/**
 * Reads the entry points from the `exports` of `deno.json`.
 *
 * @returns The entries whose source exists, and the export paths skipped
 * because their source does not exist (yet).
 */
export function readEntries(): { entries: Entry[]; missing: Entry[] } {
  const config = readJson<DenoConfig>("deno.json");
  const exportsMap = typeof config.exports === "string" ? { ".": config.exports } : config.exports;
  const all = Object.entries(exportsMap ?? {})
    // The command is the package's `bin` on npm (see BIN_SOURCE), not an import.
    .filter(([exportPath]) => !NOT_ON_NPM.includes(exportPath))
    .map(([exportPath, source]) => ({
      exportPath,
      source: source.replace(/^\.\//, ""),
    }));
  return {
    entries: all.filter((entry) => exists(entry.source)),
    missing: all.filter((entry) => !exists(entry.source)),
  };
}

/**
 * Compares the compiler options of `deno.json` with `tsconfig.json`.
 *
 * @returns One line per option that differs (`lib` is not compared: Deno's
 * includes `deno.ns`, the build's is ES2023 + DOM).
 */
export function compareCompilerOptions(): string[] {
  const deno = readJson<DenoConfig>("deno.json").compilerOptions ?? {};
  const tsconfig = readJson<{ compilerOptions?: Record<string, unknown> }>("tsconfig.json")
    .compilerOptions ?? {};
  return Object.entries(deno)
    .filter(([name, value]) => name !== "lib" && tsconfig[name] !== value)
    .map(([name, value]) =>
      `tsconfig.json: compilerOptions.${name} is ${JSON.stringify(tsconfig[name])}, ` +
      `but deno.json says ${JSON.stringify(value)}`
    );
}

function findNode(): string {
  return Deno.env.get("NODE_BIN") ?? "node";
}

async function runTsc(config: string, label: string): Promise<ProcessResult> {
  const result = await runProcess(findNode(), [TSC, "-p", config, "--pretty", "false"], {
    cwd: ROOT,
    echo: false,
    timeoutMs: 300_000,
  });
  if (result.code !== 0 && result.output.trim() === "") {
    return { ...result, output: `tsc (${label}) exited with code ${result.code}` };
  }
  return result;
}

function typeErrorLines(output: string): string[] {
  return output.split("\n").map((line) => line.trimEnd()).filter((line) => line !== "");
}

function writeBuildConfig(
  name: string,
  files: readonly string[],
  compilerOptions: Record<string, unknown>,
): string {
  const path = `${BUILD_DIR}/tsconfig.${name}.json`;
  writeJson(path, {
    extends: "../tsconfig.json",
    compilerOptions: { noEmit: false, rootDir: "..", ...compilerOptions },
    files: files.map((file) => `../${file}`),
    include: [],
  });
  return path;
}

function withoutExtension(source: string): string {
  return source.replace(/\.ts$/, "");
}

function conditionFor(entry: Entry): Record<string, Record<string, string>> {
  const base = withoutExtension(entry.source);
  return {
    import: { types: `./esm/${base}.d.ts`, default: `./esm/${base}.js` },
    require: { types: `./cjs/${base}.d.ts`, default: `./cjs/${base}.js` },
  };
}

function packageJson(entries: readonly Entry[], version: string): Record<string, unknown> {
  const exportsMap: Record<string, unknown> = {};
  const typesVersions: Record<string, string[]> = {};
  for (const entry of entries) {
    exportsMap[entry.exportPath] = conditionFor(entry);
    if (entry.exportPath !== ".") {
      typesVersions[entry.exportPath.slice(2)] = [`./esm/${withoutExtension(entry.source)}.d.ts`];
    }
  }
  exportsMap["./package.json"] = "./package.json";
  const main = entries.find((entry) => entry.exportPath === ".");
  const mainBase = main === undefined ? undefined : withoutExtension(main.source);
  return {
    name: "wsport",
    version,
    description: "WebSocket client for Deno, Bun and Node: a sans-I/O RFC 6455 core " +
      "with the WHATWG WebSocket and WebSocketStream APIs",
    keywords: ["websocket", "websocketstream", "rfc6455", "client", "deno", "bun", "node"],
    license: "MIT",
    type: "module",
    ...(mainBase === undefined ? {} : {
      main: `./cjs/${mainBase}.js`,
      module: `./esm/${mainBase}.js`,
      types: `./esm/${mainBase}.d.ts`,
    }),
    exports: exportsMap,
    typesVersions: { "*": typesVersions },
    bin: { wsport: BIN_FILE },
    files: ["esm/", "cjs/", "bin/", "README.md", "LICENSE"],
    sideEffects: false,
    engines: { node: ">=20" },
  };
}

/**
 * The package specifier a user would import `source` (a path relative to
 * the root) from: the export whose file it is, else the export of its
 * folder (`src/protocol/**` → `wsport/protocol`, `src/transport/memory.ts`
 * → `wsport/testing`), else `wsport`.
 */
export function packageSpecifier(source: string, entries: readonly Entry[]): string {
  const name = (entry: Entry) =>
    entry.exportPath === "." ? "wsport" : `wsport/${entry.exportPath.slice(2)}`;
  const exact = entries.find((entry) => entry.source === source);
  if (exact !== undefined) return name(exact);
  if (source === "src/transport/memory.ts") return "wsport/testing";
  const folder = entries.find((entry) =>
    entry.source.endsWith("/mod.ts") &&
    source.startsWith(entry.source.slice(0, -"mod.ts".length))
  );
  return folder === undefined ? "wsport" : name(folder);
}

/**
 * Rewrites the relative imports of JSDoc examples (` * import … from
 * "../x.ts"`) and the JSR name (`@wsport/wsport`) in a `.d.ts` to the npm
 * package's specifiers, so that the examples a user sees in an editor
 * import from `"wsport"`.
 *
 * @param text The declaration file.
 * @param source Its source file, relative to the root (`src/web/websocket.ts`).
 * @param entries The package's entries.
 * @returns The rewritten text.
 */
export function rewriteExampleImports(
  text: string,
  source: string,
  entries: readonly Entry[],
): string {
  const dir = source.includes("/") ? source.slice(0, source.lastIndexOf("/")) : "";
  return text.replace(
    /^(\s*\*\s*(?:import|export)\b[^\n]*?\bfrom\s*["'])@wsport\/wsport(?=["'\/])/gm,
    "$1wsport",
  ).replace(
    /^(\s*\*\s*(?:import|export)\b[^\n]*?\bfrom\s*)(["'])(\.{1,2}\/[^"'\n]*?)\2/gm,
    (_whole, head: string, quote: string, relative: string) => {
      const parts = dir === "" ? [] : dir.split("/");
      for (const part of relative.split("/")) {
        if (part === "..") parts.pop();
        else if (part !== ".") parts.push(part);
      }
      return `${head}${quote}${packageSpecifier(parts.join("/"), entries)}${quote}`;
    },
  );
}

/**
 * Rewrites `./x.ts` to `./x.js` in the emitted `.d.ts` files:
 * `rewriteRelativeImportExtensions` changes only the JavaScript, and
 * TypeScript before 5.0 rejects `.ts` in declaration imports.
 */
function rewriteDeclarationImports(entries: readonly Entry[]): void {
  const relativeTs = /((?:from|import)\s*\(?\s*)(["'])(\.{1,2}\/[^"'\n]*?)\.ts\2/g;
  for (const file of listFiles(NPM_DIR, (path) => path.endsWith(".d.ts"))) {
    const text = Deno.readTextFileSync(`${ROOT}/${file}`);
    const source = file.replace(/^npm\/(?:esm|cjs)\//, "").replace(/\.d\.ts$/, ".ts");
    const rewritten = rewriteExampleImports(text, source, entries)
      .replace(relativeTs, "$1$2$3.js$2");
    if (rewritten !== text) Deno.writeTextFileSync(`${ROOT}/${file}`, rewritten);
  }
}

/**
 * Compiles the package into `npm/` (ESM, CommonJS, declarations) and writes
 * its `package.json`.
 *
 * @returns Whether it compiled without errors, and the problems found.
 * `npm/` holds JavaScript even when type errors were found.
 */
export async function buildPackage(): Promise<StepResult & { entries: Entry[] }> {
  const started = performance.now();
  const problems: string[] = compareCompilerOptions();
  const { entries, missing } = readEntries();
  for (const entry of missing) {
    console.log(`build_npm: skipping export "${entry.exportPath}": ${entry.source} does not exist`);
  }
  if (entries.length === 0) {
    return { ok: false, problems: ["no export of deno.json has a source file"], entries };
  }
  resetDir(NPM_DIR);
  Deno.mkdirSync(`${ROOT}/${BUILD_DIR}`, { recursive: true });
  const sources = entries.map((entry) => entry.source);
  const esmConfig = writeBuildConfig("esm", [...sources, BIN_SOURCE], {
    outDir: `../${NPM_DIR}/esm`,
    declaration: true,
  });
  const cjsConfig = writeBuildConfig("cjs", sources, {
    outDir: `../${NPM_DIR}/cjs`,
    declaration: true,
    module: "CommonJS",
    moduleResolution: "Node10",
  });
  const [esm, cjs] = await Promise.all([runTsc(esmConfig, "ESM"), runTsc(cjsConfig, "CommonJS")]);
  const esmErrors = typeErrorLines(esm.output);
  const cjsOnly = typeErrorLines(cjs.output).filter((line) => !esmErrors.includes(line));
  if (esmErrors.length > 0) {
    console.error(
      `build_npm: the TypeScript compiler (ESM build) reported:\n${esmErrors.join("\n")}`,
    );
    problems.push(`type errors in the ESM build (${esmErrors.length} line(s), see above)`);
  }
  if (cjsOnly.length > 0) {
    console.error(`build_npm: the CommonJS build also reported:\n${cjsOnly.join("\n")}`);
    problems.push(`errors in the CommonJS build only (${cjsOnly.length} line(s), see above)`);
  }
  if ((esm.code !== 0 || cjs.code !== 0) && esmErrors.length + cjsOnly.length === 0) {
    problems.push(`tsc exited with code ${esm.code} (ESM) and ${cjs.code} (CommonJS)`);
  }
  rewriteDeclarationImports(entries);
  writeJson(`${NPM_DIR}/cjs/package.json`, { type: "commonjs" });
  const version = readJson<DenoConfig>("deno.json").version ?? "0.0.0";
  writeJson(`${NPM_DIR}/package.json`, packageJson(entries, version));
  Deno.mkdirSync(`${ROOT}/${NPM_DIR}/bin`, { recursive: true });
  Deno.writeTextFileSync(`${ROOT}/${NPM_DIR}/${BIN_FILE}`, binScript(), { mode: 0o755 });
  for (const file of ["README.md", "LICENSE"]) {
    if (exists(file)) Deno.copyFileSync(`${ROOT}/${file}`, `${ROOT}/${NPM_DIR}/${file}`);
    else console.log(`build_npm: ${file} does not exist yet; the package goes without it`);
  }
  const exported = entries.map((entry) => entry.exportPath).join(", ");
  console.log(
    `build_npm: wsport@${version} -> ${NPM_DIR}/ (exports ${exported}) ` +
      `${problems.length === 0 ? "ok" : "with errors"} in ${
        formatSeconds(performance.now() - started)
      }`,
  );
  return { ok: problems.length === 0, problems, entries };
}

function smokeScripts(entries: readonly Entry[]): { cjs: string; mjs: string; consumer: string } {
  const specifiers = entries.map((entry) =>
    entry.exportPath === "." ? "wsport" : `wsport/${entry.exportPath.slice(2)}`
  );
  const list = JSON.stringify(specifiers);
  const cjs = `"use strict";
const names = {};
for (const specifier of ${list}) names[specifier] = Object.keys(require(specifier)).sort();
process.stdout.write(JSON.stringify(names));
`;
  const mjs = `const names = {};
for (const specifier of ${list}) {
  names[specifier] = Object.keys(await import(specifier)).filter((k) => k !== "default").sort();
}
process.stdout.write(JSON.stringify(names));
`;
  const consumer = specifiers
    .map((specifier, i) => `import * as entry${i} from "${specifier}";\nvoid entry${i};\n`)
    .join("");
  return { cjs, mjs, consumer };
}

async function loadExports(dir: string, script: string, problems: string[]): Promise<unknown> {
  const result = await runProcess(findNode(), [script], { cwd: dir, echo: false });
  if (result.code !== 0) {
    const lines = result.output.trim().split("\n");
    const error = lines.find((line) => /^(\w*Error\b|Error \[)/.test(line)) ?? lines[0];
    problems.push(`node ${script} could not load the package: ${error}`);
    console.error(result.output);
    return undefined;
  }
  return JSON.parse(result.output);
}

/**
 * Packs `npm/`, unpacks it as an installed dependency, and checks that
 * every export loads with `require()` and `import()` with the same export
 * names, and type-checks from ESM and CommonJS consumers.
 *
 * @param entries The entries built by {@linkcode buildPackage}.
 * @returns Whether the package passed.
 */
export async function checkPackage(entries: readonly Entry[]): Promise<StepResult> {
  const started = performance.now();
  const problems: string[] = [];
  const dir = `${BUILD_DIR}/smoke`;
  resetDir(dir);
  const installDir = `${dir}/node_modules/wsport`;
  Deno.mkdirSync(`${ROOT}/${installDir}`, { recursive: true });
  const pack = await runProcess(
    "npm",
    ["pack", "--silent", "--pack-destination", `${ROOT}/${dir}`],
    {
      cwd: `${ROOT}/${NPM_DIR}`,
      echo: false,
    },
  );
  const tarball = pack.output.trim().split("\n").pop() ?? "";
  if (pack.code !== 0 || !exists(`${dir}/${tarball}`)) {
    console.error(pack.output);
    return { ok: false, problems: [`npm pack failed (exit code ${pack.code})`] };
  }
  const untar = await runProcess(
    "tar",
    ["-xzf", `${ROOT}/${dir}/${tarball}`, "-C", `${ROOT}/${installDir}`, "--strip-components=1"],
    { echo: false },
  );
  if (untar.code !== 0) return { ok: false, problems: [`tar could not unpack ${tarball}`] };
  const scripts = smokeScripts(entries);
  Deno.writeTextFileSync(`${ROOT}/${dir}/load.cjs`, scripts.cjs);
  Deno.writeTextFileSync(`${ROOT}/${dir}/load.mjs`, scripts.mjs);
  Deno.writeTextFileSync(`${ROOT}/${dir}/consumer.mts`, scripts.consumer);
  Deno.writeTextFileSync(`${ROOT}/${dir}/consumer.cts`, scripts.consumer);
  writeJson(`${dir}/tsconfig.json`, {
    compilerOptions: {
      module: "Node16",
      target: "ES2022",
      lib: ["ES2023", "DOM"],
      types: ["node"],
      strict: true,
      noEmit: true,
      // Checking @types/node and lib.dom would double the time for nothing of ours.
      skipLibCheck: true,
    },
    files: ["consumer.mts", "consumer.cts"],
  });
  const [required, imported, types] = await Promise.all([
    loadExports(`${ROOT}/${dir}`, "load.cjs", problems),
    loadExports(`${ROOT}/${dir}`, "load.mjs", problems),
    runTsc(`${dir}/tsconfig.json`, "consumer"),
  ]);
  if (required !== undefined && imported !== undefined) {
    const cjsNames = JSON.stringify(required);
    const esmNames = JSON.stringify(imported);
    if (cjsNames !== esmNames) {
      problems.push("require() and import() of the package give different export names");
      console.error(`require(): ${cjsNames}\nimport():  ${esmNames}`);
    }
  }
  if (types.code !== 0) {
    console.error(types.output.trimEnd());
    problems.push("the package's types do not type-check from an ESM and a CommonJS consumer");
  }
  const files = (await runProcess("tar", ["-tzf", `${ROOT}/${dir}/${tarball}`], { echo: false }))
    .output.trim().split("\n").length;
  console.log(
    `build_npm: package check (${tarball}, ${files} files; require, import and types of ` +
      `${entries.length} export(s)) ${problems.length === 0 ? "ok" : "FAILED"} ` +
      `in ${formatSeconds(performance.now() - started)}`,
  );
  for (const problem of problems) console.error(`build_npm: ${problem}`);
  return { ok: problems.length === 0, problems };
}

/**
 * Compiles the test suite for Node into `.test-build/node/`, with the
 * library modules replaced by those of `npm/esm/`.
 *
 * @param testFiles The test files to compile, relative to the root.
 * @returns Whether the tests compiled without errors, and the compiled test
 * files (relative to the root). The list is empty only when nothing was emitted.
 */
export async function buildNodeTests(
  testFiles: readonly string[],
): Promise<StepResult & { compiled: string[] }> {
  const started = performance.now();
  const problems: string[] = [];
  resetDir(NODE_TEST_DIR);
  if (testFiles.length === 0) return { ok: true, problems, compiled: [] };
  const config = writeBuildConfig("node_tests", testFiles, { outDir: "./node" });
  const result = await runTsc(config, "tests");
  const errors = typeErrorLines(result.output);
  if (errors.length > 0) {
    console.error(
      `build_npm: the TypeScript compiler (tests for Node) reported:\n${errors.join("\n")}`,
    );
    problems.push(`type errors compiling the tests for Node (${errors.length} line(s), see above)`);
  } else if (result.code !== 0) {
    problems.push(`tsc exited with code ${result.code} compiling the tests for Node`);
  }
  let replaced = 0;
  for (const file of listFiles(`${NPM_DIR}/esm`, (path) => path.endsWith(".js"))) {
    const target = `${NODE_TEST_DIR}/${file.slice(`${NPM_DIR}/esm/`.length)}`;
    if (exists(target)) replaced++;
    Deno.mkdirSync(`${ROOT}/${target.slice(0, target.lastIndexOf("/"))}`, { recursive: true });
    Deno.copyFileSync(`${ROOT}/${file}`, `${ROOT}/${target}`);
  }
  for (const asset of listFiles("tests", (path) => !path.endsWith(".ts"))) {
    const target = `${NODE_TEST_DIR}/${asset}`;
    Deno.mkdirSync(`${ROOT}/${target.slice(0, target.lastIndexOf("/"))}`, { recursive: true });
    Deno.copyFileSync(`${ROOT}/${asset}`, `${ROOT}/${target}`);
  }
  writeJson(`${NODE_TEST_DIR}/package.json`, { type: "module" });
  const compiled = testFiles
    .map((file) => `${NODE_TEST_DIR}/${file.replace(/\.ts$/, ".js")}`)
    .filter((file) => exists(file));
  console.log(
    `build_npm: ${compiled.length} test file(s) compiled for Node into ${NODE_TEST_DIR}/, ` +
      `${replaced} library module(s) taken from ${NPM_DIR}/esm/ ` +
      `${problems.length === 0 ? "ok" : "with errors"} in ${
        formatSeconds(performance.now() - started)
      }`,
  );
  return { ok: problems.length === 0, problems, compiled };
}

async function main(args: readonly string[]): Promise<number> {
  const build = await buildPackage();
  const problems = [...build.problems];
  if (build.entries.length > 0) problems.push(...(await checkPackage(build.entries)).problems);
  if (args.includes("--tests")) problems.push(...(await buildNodeTests(listTestFiles())).problems);
  for (const problem of problems) console.error(`build_npm: FAILED: ${problem}`);
  return problems.length === 0 ? 0 : 1;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
