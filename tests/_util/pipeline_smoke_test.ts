/**
 * Proves the test pipeline itself: this file runs under Deno, Bun and Node
 * (through the npm build) and must report 3 passing leaf tests on each.
 *
 * @module
 */

import { describe, it, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { CLOSE_CODE } from "../../src/protocol/frames/close_code.ts";

describe("The test pipeline", () => {
  it("imports a library module by its .ts path", () => {
    assert.equal(CLOSE_CODE.NormalClosure, 1000);
  });

  it("gives every runtime the absolute paths of the three runtimes", () => {
    for (const name of ["DENO_BIN", "BUN_BIN", "NODE_BIN"]) {
      const value = process.env[name];
      assert.ok(value !== undefined && value.startsWith("/"), `${name} is ${value}`);
    }
  });
});

test("The test pipeline awaits asynchronous tests", async () => {
  const value = await new Promise<number>((resolve) => setTimeout(() => resolve(42), 1));
  assert.equal(value, 42);
});
