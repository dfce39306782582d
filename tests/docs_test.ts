/**
 * The doc-test: every ```ts block of `README.md` and `docs/*.md` runs, as
 * written, on the runtime running this file (Deno, Bun, or Node against the
 * npm build), each in its own process:
 *
 * - the host `echo.example` (`wss://echo.example/…`, `ws://echo.example/…`)
 *   is pointed at a local echo server (the `ws` server,
 *   `tests/peers/echo_server.mjs`) as `ws://127.0.0.1:<port>/…`;
 * - imports of `@wsport/wsport`, `@wsport/wsport/<sub>`, `wsport` and
 *   `wsport/<sub>` go to the local sources (Deno, Bun) or to the npm build
 *   in `npm/esm/` (Node, after TypeScript's `transpileModule` strips the
 *   types);
 * - a block fenced ```ts no-run is not run and is counted as skipped, with
 *   the reason written after `no-run` (or "no reason given");
 * - a block passes when its process exits with code 0 within 30 s.
 *
 * The convention is documented in `docs/CONTRIBUTING.md`.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";

const ROOT = process.env.WSPORT_ROOT ?? new URL("..", import.meta.url).pathname.replace(/\/$/, "");

type Runtime = "deno" | "bun" | "node";
const RUNTIME: Runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

/** A fenced block of a Markdown file. */
export interface CodeBlock {
  /** `README.md` or `docs/x.md`. */
  readonly file: string;
  /** The line of the opening fence (1-based). */
  readonly line: number;
  /** The code. */
  readonly code: string;
  /** Why it is not run, for ```ts no-run blocks. */
  readonly noRun?: string;
}

/**
 * Extracts the ```ts blocks (and ```ts no-run ones) of a Markdown text.
 *
 * @param file The file name, for the report.
 * @param text Its content.
 * @returns The blocks in order.
 */
export function extractTsBlocks(file: string, text: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(\S*)\s*(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const [, indent, fence, lang, rest] = open;
    const end = lines.findIndex((line, j) =>
      j > i && line.trimStart().startsWith(fence!) &&
      line.trim() === fence!.replace(/./g, fence![0]!).slice(0, line.trim().length) &&
      line.trim().length >= fence!.length
    );
    const close = end === -1 ? lines.length : end;
    if (lang === "ts" || lang === "typescript") {
      const code = lines.slice(i + 1, close).map((line) => line.slice(indent!.length)).join("\n");
      const noRun = /^no-run\b\s*(.*)$/.exec(rest!.trim());
      blocks.push({
        file,
        line: i + 1,
        code,
        ...(noRun === null ? {} : { noRun: noRun[1]!.trim() || "no reason given" }),
      });
    }
    i = close;
  }
  return blocks;
}

function exportsMap(): Record<string, string> {
  const config = JSON.parse(readFileSync(`${ROOT}/deno.json`, "utf8")) as {
    exports: Record<string, string>;
  };
  return config.exports;
}

/**
 * Rewrites a block for a local run: package imports to local files, the
 * host `echo.example` to the local echo server.
 *
 * @param code The block.
 * @param echoHost `127.0.0.1:<port>`.
 * @param runtime Where it will run (Node imports the npm build).
 * @returns The code to run.
 */
export function localize(code: string, echoHost: string, runtime: Runtime): string {
  const exportsOf = exportsMap();
  const target = (sub: string | undefined): string => {
    const source = exportsOf[sub === undefined ? "." : `./${sub}`];
    if (source === undefined) throw new Error(`Cannot map the import of "${sub}": no such export`);
    const path = source.replace(/^\.\//, "");
    return runtime === "node"
      ? `${ROOT}/npm/esm/${path.replace(/\.ts$/, ".js")}`
      : `${ROOT}/${path}`;
  };
  return code
    .replace(
      /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(?:@wsport\/wsport|wsport)(?:\/([\w/-]+))?\2/g,
      (_whole, head: string, quote: string, sub: string | undefined) =>
        `${head}${quote}${target(sub)}${quote}`,
    )
    .replace(/wss?:\/\/echo\.example\b/g, `ws://${echoHost}`)
    .replace(/\becho\.example\b/g, echoHost);
}

/** Every ```ts block of README.md and docs/*.md. */
function allBlocks(): CodeBlock[] {
  const files = ["README.md"];
  try {
    for (const name of readdirSync(`${ROOT}/docs`).sort()) {
      if (name.endsWith(".md")) files.push(`docs/${name}`);
    }
  } catch { /* no docs/ yet */ }
  return files.flatMap((file) => extractTsBlocks(file, readFileSync(`${ROOT}/${file}`, "utf8")));
}

function run(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => output += chunk.toString());
    child.stderr!.on("data", (chunk: Buffer) => output += chunk.toString());
    const timer = setTimeout(() => {
      output += "\n(did not exit within 30 s: killed)";
      child.kill("SIGKILL");
    }, 30_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}

describe("The code blocks of README.md and docs/*.md run as written", () => {
  let server: ChildProcess | undefined;
  let echoHost = "";
  let dir = "";
  before(async () => {
    dir = mkdtempSync(`${tmpdir()}/wsport-doctest-`);
    server = spawn(process.env.NODE_BIN ?? "node", [`${ROOT}/tests/peers/echo_server.mjs`], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "inherit"],
    });
    const port = await new Promise<number>((resolve, reject) => {
      let text = "";
      server!.stdout!.on("data", (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes("\n")) {
          resolve((JSON.parse(text.split("\n")[0]!) as { port: number }).port);
        }
      });
      server!.on("exit", () => reject(new Error("Cannot start the echo server: it exited")));
    });
    echoHost = `127.0.0.1:${port}`;
  });
  after(async () => {
    if (server !== undefined) {
      const exited = new Promise((resolve) => server!.on("exit", resolve));
      server.stdin!.end();
      await exited;
    }
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  const blocks = allBlocks();
  it("finds the blocks of the README", () => {
    assert.ok(blocks.some((block) => block.file === "README.md"), "no ```ts block in README.md");
  });
  for (const block of blocks) {
    const name = `${block.file}:${block.line}`;
    if (block.noRun !== undefined) {
      it(name, { skip: `no-run: ${block.noRun}` }, () => {});
      continue;
    }
    it(name, async () => {
      const code = localize(block.code, echoHost, RUNTIME);
      const base = `${dir}/${block.file.replace(/\W/g, "_")}_${block.line}`;
      let result: { code: number; output: string };
      if (RUNTIME === "node") {
        const ts = (await import("typescript")).default;
        const js = ts.transpileModule(code, {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        }).outputText;
        writeFileSync(`${base}.mjs`, js);
        result = await run(process.env.NODE_BIN ?? process.execPath, [`${base}.mjs`], dir);
      } else if (RUNTIME === "bun") {
        writeFileSync(`${base}.ts`, code);
        result = await run(process.env.BUN_BIN ?? process.execPath, [`${base}.ts`], dir);
      } else {
        writeFileSync(`${base}.ts`, code);
        result = await run(
          process.env.DENO_BIN ?? process.execPath,
          ["run", "-A", "--no-check", `--config=${ROOT}/deno.json`, `${base}.ts`],
          dir,
        );
      }
      assert.equal(result.code, 0, `${name} exited with ${result.code}:\n${result.output}`);
    });
  }
});
