/**
 * Finds import cycles among the library's modules: every `.ts` file under
 * `src/`, and `mod.ts`. Lower layers never import higher ones, so a cycle
 * is always a layering mistake (issue 9).
 *
 * An edge is a static `import … from "x"`, `import "x"`, `export … from "x"`
 * or `import x = require("x")` with a relative specifier, type-only ones
 * included: a type import ties two modules together as much as a value
 * import does. Dynamic `import()` is not an edge (it loads lazily, as
 * `src/transport/select.ts` does on purpose). Comments are not code: the
 * files are parsed with the TypeScript compiler already used by
 * `scripts/check_core.ts`, nothing else.
 *
 * Each strongly connected component of the graph is reported with the
 * shortest cycle through each of its files, as a path
 * `a.ts -> b.ts -> a.ts`. When files have no cycle, the same is done for
 * folders (see {@linkcode roomGraph}): `src/protocol/frames/` must not
 * import `src/protocol/messages/` if `messages/` imports `frames/`, even
 * through different files.
 *
 * Usage: `deno run -A scripts/check_cycles.ts` (exits 1 on any cycle).
 * Runtime-neutral (`node:fs`), so its test runs on Deno, Bun and Node.
 *
 * @module
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** The repository root: the parent of `scripts/`. */
const DEFAULT_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** What the check reads: every `.ts` under these directories, and these files. */
export const SCANNED: readonly string[] = ["src", "mod.ts"];

/** Module graph: each file (relative to the root, `/` separators) and the files it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/**
 * The relative specifiers a module imports or re-exports statically.
 *
 * @param path The file's name, for the parser.
 * @param source Its text.
 * @returns The specifiers that start with `./` or `../`, in source order.
 */
export function staticImports(path: string, source: string): string[] {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const specifiers: string[] = [];
  for (const statement of file.statements) {
    let specifier: ts.Expression | undefined;
    if (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) {
      specifier = statement.moduleSpecifier;
    } else if (
      ts.isImportEqualsDeclaration(statement) &&
      ts.isExternalModuleReference(statement.moduleReference)
    ) {
      specifier = statement.moduleReference.expression;
    }
    if (specifier !== undefined && ts.isStringLiteralLike(specifier)) {
      if (/^\.\.?\//.test(specifier.text)) specifiers.push(specifier.text);
    }
  }
  return specifiers;
}

function toPosix(path: string): string {
  return path.split(sep).join("/");
}

function listTs(root: string, entry: string): string[] {
  const absolute = join(root, entry);
  let stat;
  try {
    stat = statSync(absolute);
  } catch {
    return [];
  }
  if (stat.isFile()) return entry.endsWith(".ts") ? [toPosix(entry)] : [];
  const found: string[] = [];
  for (const name of readdirSync(absolute).sort()) {
    found.push(...listTs(root, join(entry, name)));
  }
  return found;
}

/**
 * Reads the module graph of the files under `entries`.
 *
 * @param root The directory the paths are relative to.
 * @param entries Directories (searched recursively for `.ts`) and files.
 * @returns Every file found, with the scanned files it imports (imports of
 * files outside `entries` are left out).
 */
export function readImportGraph(
  root: string = DEFAULT_ROOT,
  entries: readonly string[] = SCANNED,
): Map<string, string[]> {
  const files = entries.flatMap((entry) => listTs(root, entry));
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const source = readFileSync(join(root, file), "utf8");
    const targets = staticImports(file, source)
      .map((specifier) => toPosix(relative(root, resolve(root, dirname(file), specifier))))
      .filter((target) => known.has(target));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Tarjan's algorithm: the strongly connected components, each sorted. */
function components(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  function visit(node: string): void {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      found.push(component.sort());
    }
  }
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}

/** The shortest path from `start` back to itself inside `members` (breadth first). */
function shortestCycle(graph: ImportGraph, start: string, members: ReadonlySet<string>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    for (const target of graph.get(node) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        const path = [start];
        for (let at = node; at !== start; at = previous.get(at)!) path.unshift(at);
        path.unshift(start);
        return path;
      }
      if (!previous.has(target)) {
        previous.set(target, node);
        queue.push(target);
      }
    }
  }
  return [];
}

/**
 * Finds the import cycles of a module graph.
 *
 * @param graph Each file and the files it imports.
 * @returns For each group of files that import each other, the shortest
 * cycle through each of its files, deduplicated, as paths whose last
 * element repeats the first (`["a.ts", "b.ts", "a.ts"]`); sorted. Empty
 * when the graph has no cycle.
 */
export function findCycles(graph: ImportGraph): string[][] {
  const cycles = new Map<string, string[]>();
  for (const component of components(graph)) {
    const members = new Set(component);
    const selfImport = component.length === 1 && (graph.get(component[0]!) ?? []).includes(
      component[0]!,
    );
    if (component.length === 1 && !selfImport) continue;
    for (const start of component) {
      const cycle = shortestCycle(graph, start, members);
      if (cycle.length === 0) continue;
      // The same cycle found from another of its files: rotate to start at the least name.
      const ring = cycle.slice(0, -1);
      const least = ring.indexOf([...ring].sort()[0]!);
      const rotated = [...ring.slice(least), ...ring.slice(0, least)];
      cycles.set(rotated.join(" "), [...rotated, rotated[0]!]);
    }
  }
  return [...cycles.values()].sort((a, b) => a.join(" ").localeCompare(b.join(" ")));
}

/**
 * Condenses a module graph into its rooms: a file in a folder without
 * sub-folders (`src/protocol/frames/frame.ts`) stands for its folder
 * (`src/protocol/frames/`); a file beside sub-folders (`src/client.ts`,
 * `src/protocol/errors.ts`) stands for itself. A cycle in this graph means
 * two rooms import each other, even when no two files do.
 *
 * @param graph Each file and the files it imports.
 * @returns Each room and the other rooms it imports.
 */
export function roomGraph(graph: ImportGraph): Map<string, string[]> {
  const folders = new Set(
    [...graph.keys()].map((file) => file.slice(0, file.lastIndexOf("/") + 1)),
  );
  const hasSubfolder = (folder: string) =>
    [...folders].some((other) => other !== folder && other.startsWith(folder));
  const room = (file: string) => {
    const folder = file.slice(0, file.lastIndexOf("/") + 1);
    return folder === "" || hasSubfolder(folder) ? file : folder;
  };
  const rooms = new Map<string, string[]>();
  for (const [file, targets] of graph) {
    const from = room(file);
    const edges = rooms.get(from) ?? [];
    for (const target of targets.map(room)) {
      if (target !== from && !edges.includes(target)) edges.push(target);
    }
    rooms.set(from, edges);
  }
  return rooms;
}

/**
 * Runs the check over `src/` and `mod.ts` and prints each cycle.
 *
 * @param root The repository root.
 * @param out Where to print (the console by default).
 * @returns `true` when there is no cycle.
 */
export function checkCycles(
  root: string = DEFAULT_ROOT,
  out: Pick<Console, "log" | "error"> = console,
): boolean {
  const graph = readImportGraph(root);
  const cycles = findCycles(graph);
  const rooms = roomGraph(graph);
  // A file cycle is also a room cycle; report room cycles only when no file cycle explains them.
  const roomCycles = cycles.length === 0 ? findCycles(rooms) : [];
  if (cycles.length === 0 && roomCycles.length === 0) {
    out.log(
      `check_cycles: no import cycle among ${graph.size} modules in ${rooms.size} folders ` +
        "and files (src/, mod.ts)",
    );
    return true;
  }
  for (const cycle of cycles) out.error(`check_cycles: cycle: ${cycle.join(" -> ")}`);
  for (const cycle of roomCycles) {
    out.error(`check_cycles: folder cycle: ${cycle.join(" -> ")}`);
  }
  out.error(
    `check_cycles: ${cycles.length} import cycle(s) among ${graph.size} modules, ` +
      `${roomCycles.length} among folders; a lower layer imports a higher one ` +
      "(move the shared part down into its own module)",
  );
  return false;
}

if ((import.meta as ImportMeta & { main?: boolean }).main) {
  process.exit(checkCycles() ? 0 : 1);
}
