/**
 * File listing shared by the build and check scripts.
 *
 * @module
 */

/** The repository root: the parent of `scripts/`. */
export const ROOT: string = new URL("..", import.meta.url).pathname.replace(
  /\/$/,
  "",
);

/**
 * Lists the files under `dir` whose path matches `filter`, recursively and
 * sorted, as paths relative to {@linkcode ROOT} with `/` separators.
 * A missing directory gives an empty list; `node_modules` directories are
 * not entered.
 *
 * @param dir A directory relative to {@linkcode ROOT}.
 * @param filter Tested against each relative file path.
 * @returns The matching relative paths.
 */
export function listFiles(
  dir: string,
  filter: (path: string) => boolean,
): string[] {
  const found: string[] = [];
  function visit(relative: string): void {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(`${ROOT}/${relative}`)];
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const entry of entries) {
      const path = `${relative}/${entry.name}`;
      if (entry.isDirectory) {
        if (entry.name !== "node_modules") visit(path);
      } else if (entry.isFile && filter(path)) found.push(path);
    }
  }
  visit(dir.replace(/\/$/, ""));
  return found.sort();
}

/**
 * Whether a file or directory exists, relative to {@linkcode ROOT}.
 *
 * @param path A path relative to {@linkcode ROOT}.
 * @returns `true` when something is there.
 */
export function exists(path: string): boolean {
  try {
    Deno.statSync(`${ROOT}/${path}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * The test files of the suite: `tests/**\/*_test.ts`.
 *
 * @returns Paths relative to {@linkcode ROOT}, sorted.
 */
export function listTestFiles(): string[] {
  return listFiles("tests", (path) => path.endsWith("_test.ts"));
}
