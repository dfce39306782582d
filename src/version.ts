/**
 * The version of wsport, as in `deno.json` (`tests/version_test.ts` holds
 * them equal). Printed by `wsport --version`.
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(VERSION, /^\d+\.\d+\.\d+/);
 * ```
 *
 * @module
 */

/** The version of this package (semver). */
export const VERSION = "0.1.0";
