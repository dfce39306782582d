/**
 * Leak checks: {@linkcode resourceSnapshot}, the sockets and timers the
 * process holds, and {@linkcode assertNoLeaks}, which compares them with a
 * baseline.
 *
 * @module
 */

import process from "node:process";
import { runtime } from "./runtime.ts";
import { delay } from "./wait.ts";

/**
 * The sockets, listeners and timers the process holds, as a sorted list of
 * names, or a reason why the runtime cannot tell.
 *
 * - Node: `process.getActiveResourcesInfo()` (sockets, timers, requests).
 * - Deno: its resource table (sockets, listeners, child pipes) plus
 *   `process.getActiveResourcesInfo()` (timers and `node:net` handles).
 * - Bun: `process.getActiveResourcesInfo()` exists but always returns [].
 */
export function resourceSnapshot(): string[] | string {
  if (runtime === "bun") {
    return "Bun's process.getActiveResourcesInfo() always returns [] (checked instead: the server saw each socket close)";
  }
  const info = (process as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo;
  if (typeof info !== "function") return "process.getActiveResourcesInfo() is not available";
  const names = [...info.call(process)];
  if (runtime === "deno") {
    const deno = (globalThis as Record<string, unknown>).Deno as Record<PropertyKey, unknown>;
    const internal = deno[deno.internal as PropertyKey] as
      | { core?: { resources?: () => Record<string, string> } }
      | undefined;
    const table = internal?.core?.resources?.();
    if (table === undefined) return "Deno's resource table is not reachable";
    names.push(...Object.values(table).map((name) => `deno:${name}`));
  }
  return names.sort();
}

/**
 * A {@linkcode resourceSnapshot} taken once the process is quiet: what an
 * earlier test closed may take a few event-loop turns to go away.
 */
export async function resourceBaseline(): Promise<string[] | string> {
  let previous = resourceSnapshot();
  const deadline = performance.now() + 500;
  while (performance.now() < deadline) {
    await delay(20);
    const now = resourceSnapshot();
    if (String(now) === String(previous)) return now;
    previous = now;
  }
  return previous;
}

/** The entries of `after` that `before` does not account for (multisets). */
function extra(before: readonly string[], after: readonly string[]): string[] {
  const left = new Map<string, number>();
  for (const name of before) left.set(name, (left.get(name) ?? 0) + 1);
  const found: string[] = [];
  for (const name of after) {
    const n = left.get(name) ?? 0;
    if (n > 0) left.set(name, n - 1);
    else found.push(name);
  }
  return found;
}

/**
 * Waits until the process holds nothing that it did not hold at `before`
 * (sockets close asynchronously) and fails with what is left after `ms`.
 *
 * @param before A {@linkcode resourceBaseline} taken before the scenario.
 * @param label What ran, for the message.
 * @param ms How long closing may take.
 * @returns `false` when the runtime cannot tell (the reason is logged once).
 */
export async function assertNoLeaks(
  before: string[] | string,
  label: string,
  ms = 2000,
): Promise<boolean> {
  if (typeof before === "string") {
    if (!warned.has(before)) {
      warned.add(before);
      console.log(`leak check skipped on ${runtime}: ${before}`);
    }
    return false;
  }
  const deadline = performance.now() + ms;
  let left = extra(before, resourceSnapshot() as string[]);
  while (left.length > 0 && performance.now() < deadline) {
    await delay(10);
    left = extra(before, resourceSnapshot() as string[]);
  }
  if (left.length > 0) {
    throw new Error(
      `${label}: left behind on ${runtime}: [${left.join(", ")}] (held before: [${
        before.join(", ")
      }])`,
    );
  }
  return true;
}

const warned = new Set<string>();
