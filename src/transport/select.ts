/**
 * Picks the {@linkcode Connector} for the running runtime. This is the only
 * file that looks at `globalThis` to tell runtimes apart.
 *
 * It tests for the API each adapter needs (`Deno.connect`, `Bun.connect`)
 * rather than sniffing a user agent, falls back to Node's `node:net`, loads
 * the adapter with a dynamic `import()` on first use, and caches it. The
 * client calls {@linkcode getDefaultConnector} only when the user passed no
 * connector of their own; {@linkcode setDefaultConnector} replaces the
 * choice process-wide.
 *
 * @module
 */

import type { Connector } from "./types.ts";

/** The runtimes with an adapter. */
export type RuntimeName = "deno" | "bun" | "node";

let override: Connector | undefined;
let cached: Promise<Connector> | undefined;

/**
 * Tells which adapter fits a global object.
 *
 * @param globals The object to inspect; defaults to `globalThis`.
 * @returns `"deno"` when `Deno.connect` is a function, else `"bun"` when
 * `Bun.connect` is, else `"node"`.
 *
 * @example Inspecting fake globals
 * ```ts
 * import { detectRuntime } from "./select.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(detectRuntime({ Bun: { connect() {} } }), "bun");
 * assert.equal(detectRuntime({}), "node");
 * ```
 */
export function detectRuntime(globals: object = globalThis): RuntimeName {
  const { Deno, Bun } = globals as { Deno?: { connect?: unknown }; Bun?: { connect?: unknown } };
  if (typeof Deno?.connect === "function") return "deno";
  if (typeof Bun?.connect === "function") return "bun";
  return "node";
}

/**
 * Loads the adapter for a runtime.
 *
 * @param runtime Which adapter.
 * @returns Its default connector (`connectDeno`, `connectBun` or `connectNode`).
 *
 * @example Loading the in-process runtime's adapter
 * ```ts
 * import { detectRuntime, loadConnector } from "./select.ts";
 * import assert from "node:assert/strict";
 *
 * const connector = await loadConnector(detectRuntime());
 * assert.equal(typeof connector, "function");
 * ```
 */
export async function loadConnector(runtime: RuntimeName): Promise<Connector> {
  switch (runtime) {
    case "deno":
      return (await import("./deno.ts")).connectDeno;
    case "bun":
      return (await import("./bun.ts")).connectBun;
    case "node":
      return (await import("./node.ts")).connectNode;
  }
}

/**
 * Returns the connector set with {@linkcode setDefaultConnector}, or else
 * the adapter for the running runtime, loaded once and cached.
 *
 * @returns The connector.
 *
 * @example Overriding the default
 * ```ts
 * import { getDefaultConnector, setDefaultConnector } from "./select.ts";
 * import { createMemoryConnector } from "./memory.ts";
 * import assert from "node:assert/strict";
 *
 * const { connector } = createMemoryConnector();
 * setDefaultConnector(connector);
 * assert.equal(await getDefaultConnector(), connector);
 * setDefaultConnector(undefined);
 * ```
 */
export function getDefaultConnector(): Promise<Connector> {
  if (override !== undefined) return Promise.resolve(override);
  cached ??= loadConnector(detectRuntime()).catch((error: unknown) => {
    cached = undefined; // Let a later call try again.
    throw error;
  });
  return cached;
}

/**
 * Replaces the connector {@linkcode getDefaultConnector} returns, for every
 * client in the process that does not pass its own.
 *
 * @param connector The replacement, or `undefined` to go back to detection.
 *
 * @example Routing every client through a custom connector
 * ```ts
 * import { setDefaultConnector } from "./select.ts";
 * import { createMemoryConnector } from "./memory.ts";
 *
 * setDefaultConnector(createMemoryConnector().connector);
 * setDefaultConnector(undefined);
 * ```
 */
export function setDefaultConnector(connector: Connector | undefined): void {
  override = connector;
}

/**
 * Whether {@linkcode getDefaultConnector} returns a connector set with
 * {@linkcode setDefaultConnector} rather than the runtime's adapter.
 *
 * @returns `true` while an override is set.
 *
 * @example
 * ```ts
 * import { isDefaultConnectorOverridden, setDefaultConnector } from "./select.ts";
 * import { createMemoryConnector } from "./memory.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isDefaultConnectorOverridden(), false);
 * setDefaultConnector(createMemoryConnector().connector);
 * assert.equal(isDefaultConnectorOverridden(), true);
 * setDefaultConnector(undefined);
 * ```
 */
export function isDefaultConnectorOverridden(): boolean {
  return override !== undefined;
}

/**
 * The running runtime's allocation of uninitialized bytes, for the core's
 * `allocate` option (the buffer a large received payload is gathered into,
 * which the parser overwrites whole): `Bun.allocUnsafe` on Bun,
 * `Buffer.allocUnsafeSlow` on Node (as a plain `Uint8Array` over the
 * Buffer's own `ArrayBuffer`, so that `slice()` copies as users expect).
 * Skipping the zeroing halves the cost of allocating a 1 MiB payload on
 * Node and more on Bun (measured).
 *
 * @param globals The object to inspect; defaults to `globalThis`.
 * @returns The allocator, or `undefined` where the runtime has none (Deno),
 * so that the core zeroes as usual.
 *
 * @example Fake globals
 * ```ts
 * import { uninitializedAllocator } from "./select.ts";
 * import assert from "node:assert/strict";
 *
 * const allocate = uninitializedAllocator({ Bun: { connect() {}, allocUnsafe: (n: number) => new Uint8Array(n) } })!;
 * assert.equal(allocate(8).length, 8);
 * assert.equal(uninitializedAllocator({}), undefined);
 * ```
 */
export function uninitializedAllocator(
  globals: object = globalThis,
): ((length: number) => Uint8Array) | undefined {
  const runtime = detectRuntime(globals);
  if (runtime === "deno") return undefined;
  if (runtime === "bun") {
    const { Bun } = globals as { Bun: { allocUnsafe?: (length: number) => Uint8Array } };
    const allocUnsafe = Bun.allocUnsafe;
    if (typeof allocUnsafe !== "function") return undefined;
    return (length) => allocUnsafe(length);
  }
  const { Buffer } = globals as {
    Buffer?: { allocUnsafeSlow?: (length: number) => Uint8Array<ArrayBuffer> };
  };
  const allocUnsafeSlow = Buffer?.allocUnsafeSlow;
  if (typeof allocUnsafeSlow !== "function") return undefined;
  return (length) => {
    const bytes = allocUnsafeSlow(length);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  };
}

/** The running runtime's {@linkcode uninitializedAllocator}, found once. */
const RUNTIME_ALLOCATE = uninitializedAllocator();

/** Below this many bytes, zeroing costs less than the runtime's unsafe allocation call. */
const UNINITIALIZED_FROM = 8192;

/**
 * Copies bytes into a new `Uint8Array` that is the whole of an
 * `ArrayBuffer` of its own: for the API layers, which hand out a received
 * message apart from the chunk it arrived in. Large copies skip zeroing the
 * new memory first (see {@linkcode uninitializedAllocator}).
 *
 * @param bytes The bytes.
 * @returns The copy.
 *
 * @example
 * ```ts
 * import { copyBytes } from "./select.ts";
 * import assert from "node:assert/strict";
 *
 * const chunk = new Uint8Array([1, 2, 3, 4]);
 * const copy = copyBytes(chunk.subarray(1, 3));
 * assert.deepEqual([...copy], [2, 3]);
 * assert.equal(copy.buffer.byteLength, 2);
 * ```
 */
export function copyBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const length = bytes.length;
  if (RUNTIME_ALLOCATE === undefined || length < UNINITIALIZED_FROM) return bytes.slice();
  const copy = RUNTIME_ALLOCATE(length) as Uint8Array<ArrayBuffer>;
  copy.set(bytes);
  return copy;
}

/**
 * Copies bytes into a new `ArrayBuffer`, as {@linkcode copyBytes}. Small
 * copies go through `new ArrayBuffer` and `set()`, the fastest on all three
 * runtimes (2x `ArrayBuffer#slice` on V8; a small typed array's `buffer` is
 * slow on Bun, which must materialize it).
 *
 * @param bytes The bytes.
 * @returns The copy.
 *
 * @example
 * ```ts
 * import { copyToArrayBuffer } from "./select.ts";
 * import assert from "node:assert/strict";
 *
 * const chunk = new Uint8Array([1, 2, 3, 4]);
 * assert.deepEqual(new Uint8Array(copyToArrayBuffer(chunk.subarray(2))), new Uint8Array([3, 4]));
 * ```
 */
export function copyToArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (RUNTIME_ALLOCATE !== undefined && bytes.length >= UNINITIALIZED_FROM) {
    return copyBytes(bytes).buffer;
  }
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return copy;
}

/**
 * Reads the process environment, for the client's `proxy: "env"`.
 *
 * @param globals The object to inspect; defaults to `globalThis`.
 * @returns The variables (empty when the runtime does not allow reading
 * them, e.g. Deno without `--allow-env`).
 *
 * @example Fake globals
 * ```ts
 * import { readEnvironment } from "./select.ts";
 * import assert from "node:assert/strict";
 *
 * const env = readEnvironment({ process: { env: { HTTPS_PROXY: "http://p:1" } } });
 * assert.equal(env.HTTPS_PROXY, "http://p:1");
 * assert.deepEqual(readEnvironment({}), {});
 * ```
 */
export function readEnvironment(
  globals: object = globalThis,
): Readonly<Record<string, string | undefined>> {
  const { Deno, process } = globals as {
    Deno?: { env?: { toObject(): Record<string, string> } };
    process?: { env?: Record<string, string | undefined> };
  };
  try {
    if (typeof Deno?.env?.toObject === "function") return Deno.env.toObject();
    return process?.env ?? {};
  } catch {
    return {};
  }
}
