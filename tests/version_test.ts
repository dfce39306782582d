import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { VERSION } from "../src/version.ts";
import { repositoryRoot } from "./_util/peers.ts";

describe("VERSION", () => {
  it("is the version of deno.json, which the npm build also uses", () => {
    const config = JSON.parse(readFileSync(`${repositoryRoot()}/deno.json`, "utf8")) as {
      version: string;
    };
    assert.equal(VERSION, config.version);
  });
});
