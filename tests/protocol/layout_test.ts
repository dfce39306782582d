/**
 * The core's floor plan, as its docs state it: the "Layout" list of
 * `src/protocol/mod.ts` names every folder (and top-level file) in layer
 * order, and a layer imports only layers listed before it; each folder's
 * `mod.ts` lists what it imports ("Imports: …").
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { readImportGraph, roomGraph } from "../../scripts/check_cycles.ts";

const ROOT = process.env.WSPORT_ROOT ?? fileURLToPath(new URL("../..", import.meta.url));
const CORE = "src/protocol/";
const rooms = roomGraph(readImportGraph(ROOT));

/** The layers of the "Layout" list, in order: each a list of rooms (`src/protocol/x/`, `…/y.ts`). */
function layout(): string[][] {
  const doc = readFileSync(`${ROOT}/${CORE}mod.ts`, "utf8");
  const section = doc.slice(doc.indexOf(" * ## Layout"), doc.indexOf(" * @example"));
  const layers: string[][] = [];
  for (const line of section.split("\n")) {
    const item = /^ \* - ((?:`[^`]+`(?:, )?)+):/.exec(line);
    if (item) layers.push([...item[1]!.matchAll(/`([^`]+)`/g)].map((m) => CORE + m[1]));
  }
  return layers;
}

/** What a folder's `mod.ts` says it imports, as rooms. */
function declaredImports(folder: string): string[] | undefined {
  const doc = readFileSync(`${ROOT}/${folder}mod.ts`, "utf8");
  // "Imports: `../a/`, `../b.ts`." or "Imports: nothing.", possibly over several lines.
  const sentence = /Imports: (.*?)(?:\.\s|;)/s.exec(doc.replace(/\n \* ?/g, " "))?.[1];
  if (sentence === undefined) return undefined;
  if (sentence.trim() === "nothing") return [];
  return [...sentence.matchAll(/`\.\.\/([^`]+)`/g)].map((m) => CORE + m[1]);
}

const coreRooms = [...rooms.keys()].filter((room) =>
  room.startsWith(CORE) && room !== `${CORE}mod.ts`
);

describe("the core's layout (src/protocol/mod.ts)", () => {
  const layers = layout();
  const rank = new Map(layers.flatMap((layer, i) => layer.map((room) => [room, i] as const)));

  it("lists every folder and top-level file of the core once", () => {
    assert.ok(layers.length >= 5, `found the Layout list: ${JSON.stringify(layers)}`);
    assert.deepEqual([...rank.keys()].sort(), [...coreRooms].sort());
    assert.equal(rank.size, layers.flat().length);
  });

  it("has no layer importing a layer listed after it", () => {
    for (const room of coreRooms) {
      for (const target of rooms.get(room)!) {
        if (!rank.has(target)) continue; // outside the core (none today)
        assert.ok(
          rank.get(target)! <= rank.get(room)!,
          `${room} imports ${target}, which the Layout list puts above it`,
        );
      }
    }
  });

  it("has each folder import only what its mod.ts says", () => {
    const folders = coreRooms.filter((room) => room.endsWith("/"));
    assert.ok(folders.length >= 5);
    for (const folder of folders) {
      const declared = declaredImports(folder);
      assert.ok(declared !== undefined, `${folder}mod.ts has no "Imports: …" line`);
      for (const target of rooms.get(folder)!) {
        assert.ok(
          declared.includes(target),
          `${folder} imports ${target}, which its mod.ts does not list`,
        );
      }
    }
  });
});
