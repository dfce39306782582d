import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import {
  checkCycles,
  findCycles,
  type ImportGraph,
  readImportGraph,
  roomGraph,
  staticImports,
} from "../../scripts/check_cycles.ts";

/** A repository in a temp dir: `files` maps relative paths to their text. */
function fixture(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "wsport-cycles-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function recorder(): { out: Pick<Console, "log" | "error">; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    out: { log: (line: string) => lines.push(line), error: (line: string) => lines.push(line) },
  };
}

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe("staticImports", () => {
  it("finds imports and re-exports, type-only ones included", () => {
    const source = [
      'import { a } from "./a.ts";',
      'import type { B } from "../b.ts";',
      'import "./side_effect.ts";',
      'export { c } from "./c.ts";',
      'export type { D } from "./d/d.ts";',
      'export * from "./e.ts";',
      'import f = require("./f.ts");',
    ].join("\n");
    assert.deepEqual(staticImports("x.ts", source), [
      "./a.ts",
      "../b.ts",
      "./side_effect.ts",
      "./c.ts",
      "./d/d.ts",
      "./e.ts",
      "./f.ts",
    ]);
  });

  it("skips comments, strings, dynamic import() and packages", () => {
    const source = [
      "/**",
      " * ```ts",
      ' * import { x } from "./in_a_doc.ts";',
      " * ```",
      " */",
      '// import { y } from "./commented.ts";',
      "const text = 'import { z } from \"./in_a_string.ts\"';",
      'const lazy = () => import("./lazy.ts");',
      'import assert from "node:assert/strict";',
      'import ts from "typescript";',
      "export const n = 1;",
    ].join("\n");
    assert.deepEqual(staticImports("x.ts", source), []);
  });
});

describe("findCycles", () => {
  const graph = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges));

  it("finds nothing in a layered graph", () => {
    assert.deepEqual(
      findCycles(graph({ "top.ts": ["mid.ts", "low.ts"], "mid.ts": ["low.ts"], "low.ts": [] })),
      [],
    );
  });

  it("reports a two-file cycle once, as a path from its least file", () => {
    assert.deepEqual(findCycles(graph({ "b.ts": ["a.ts"], "a.ts": ["b.ts"], "c.ts": ["a.ts"] })), [
      ["a.ts", "b.ts", "a.ts"],
    ]);
  });

  it("reports the shortest cycle through each file of a tangle, each cycle once", () => {
    // connection -> endpoint -> connection, and connection -> version -> legacy -> connection
    const tangle = graph({
      "connection.ts": ["endpoint.ts", "version.ts"],
      "endpoint.ts": ["connection.ts"],
      "version.ts": ["legacy.ts"],
      "legacy.ts": ["connection.ts", "endpoint.ts"],
    });
    assert.deepEqual(findCycles(tangle), [
      ["connection.ts", "endpoint.ts", "connection.ts"],
      ["connection.ts", "version.ts", "legacy.ts", "connection.ts"],
    ]);
  });

  it("reports a module that imports itself", () => {
    assert.deepEqual(findCycles(graph({ "self.ts": ["self.ts"] })), [["self.ts", "self.ts"]]);
  });
});

describe("roomGraph", () => {
  it("condenses files into their folder, files beside sub-folders stay themselves", () => {
    const rooms = roomGraph(
      new Map([
        ["src/client.ts", ["src/core/frames/frame.ts", "src/core/errors.ts"]],
        ["src/core/errors.ts", []],
        ["src/core/frames/frame.ts", ["src/core/frames/mask.ts", "src/core/errors.ts"]],
        ["src/core/frames/mask.ts", []],
      ]),
    );
    assert.deepEqual(
      rooms,
      new Map([
        ["src/client.ts", ["src/core/frames/", "src/core/errors.ts"]],
        ["src/core/errors.ts", []],
        ["src/core/frames/", ["src/core/errors.ts"]],
      ]),
    );
  });
});

describe("checkCycles on a fixture repository", () => {
  it("fails on a type-only cycle and prints its path", () => {
    const root = fixture({
      "mod.ts": 'export { connect } from "./src/connection.ts";\n',
      "src/connection.ts": 'import { endpoint } from "./_endpoint.ts";\n' +
        "export interface Options { readonly size?: number }\n" +
        "export const connect = () => endpoint;\n",
      "src/_endpoint.ts": 'import type { Options } from "./connection.ts";\n' +
        "export const endpoint = (options: Options) => options.size;\n",
      "src/unrelated.ts": "export const x = 1;\n",
      "tests/ignored_test.ts": 'import "../src/connection.ts";\n',
    });
    roots.push(root);
    const graph = readImportGraph(root);
    assert.deepEqual(
      [...graph.keys()],
      ["src/_endpoint.ts", "src/connection.ts", "src/unrelated.ts", "mod.ts"],
    );
    assert.deepEqual(findCycles(graph), [
      ["src/_endpoint.ts", "src/connection.ts", "src/_endpoint.ts"],
    ]);
    const { out, lines } = recorder();
    assert.equal(checkCycles(root, out), false);
    assert.equal(
      lines[0],
      "check_cycles: cycle: src/_endpoint.ts -> src/connection.ts -> src/_endpoint.ts",
    );
    assert.match(lines.at(-1)!, /^check_cycles: 1 import cycle\(s\) among 4 modules, 0 among/);
  });

  it("fails when two folders import each other through different files", () => {
    const root = fixture({
      "src/frames/frame.ts": 'import { unit } from "../messages/unit.ts";\n' +
        "export const frame = unit;\n",
      "src/frames/mask.ts": "export const mask = 1;\n",
      "src/messages/unit.ts": "export const unit = 1;\n",
      "src/messages/assembler.ts": 'import { mask } from "../frames/mask.ts";\n' +
        "export const assembler = mask;\n",
    });
    roots.push(root);
    assert.deepEqual(findCycles(readImportGraph(root)), []);
    const { out, lines } = recorder();
    assert.equal(checkCycles(root, out), false);
    assert.equal(
      lines[0],
      "check_cycles: folder cycle: src/frames/ -> src/messages/ -> src/frames/",
    );
  });

  it("passes once the shared part moved down", () => {
    const root = fixture({
      "mod.ts": 'export { connect } from "./src/connection.ts";\n',
      "src/connection.ts": 'import { endpoint } from "./_endpoint.ts";\n' +
        "export const connect = () => endpoint;\n",
      "src/_endpoint.ts": 'import type { Options } from "./options.ts";\n' +
        "export const endpoint = (options: Options) => options.size;\n",
      "src/options.ts": "export interface Options { readonly size?: number }\n",
    });
    roots.push(root);
    const { out, lines } = recorder();
    assert.equal(checkCycles(root, out), true);
    assert.deepEqual(lines, [
      "check_cycles: no import cycle among 4 modules in 2 folders and files (src/, mod.ts)",
    ]);
  });
});
