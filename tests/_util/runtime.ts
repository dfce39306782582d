/**
 * The runtime running the tests, for the few places where they differ.
 *
 * @module
 */

/** The runtime running the tests. */
export const runtime: "deno" | "bun" | "node" = "Deno" in globalThis
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : "node";
