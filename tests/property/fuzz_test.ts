/**
 * A seeded slice of the fuzzer (`scripts/fuzz.ts` runs the full budget):
 * mutated client and server streams of all four protocol versions, fed to
 * fresh connections; the contract holds for every input.
 */

import assert from "node:assert/strict";
import process from "node:process";
import { describe, it } from "node:test";
import { buildCorpus, runFuzz, runOne } from "../_util/fuzz.ts";

describe("5.2. Base Framing Protocol (fuzzed streams, every version, both sides)", () => {
  it("the corpus's own streams pass the contract unmutated, whole and byte by byte", () => {
    const corpus = buildCorpus();
    assert.equal(corpus.length, 40);
    for (const { version, client, server, clientFrames, serverFrames } of corpus) {
      assert.equal(runOne("client", version, [serverFrames], true), null, `${version} open client`);
      assert.equal(runOne("server", version, [clientFrames], true), null, `${version} open server`);
      assert.equal(runOne("client", version, [server]), null, `${version} client`);
      assert.equal(runOne("server", version, [client]), null, `${version} server`);
      const bytes = (stream: Uint8Array) => [...stream].map((byte) => new Uint8Array([byte]));
      assert.equal(runOne("client", version, bytes(server)), null, `${version} client, bytes`);
      assert.equal(runOne("server", version, bytes(client)), null, `${version} server, bytes`);
    }
  });

  it("10 000 seeded inputs keep the contract", () => {
    const report = runFuzz({
      seed: 20251205,
      inputs: 10_000,
      rss: () => process.memoryUsage().rss,
    });
    assert.deepEqual(report.violations, []);
    assert.equal(report.inputs, 10_000);
    // The slice exercises failures and every target.
    assert.ok(report.failures > 500, `${report.failures} inputs failed the connection`);
    assert.equal(Object.keys(report.perTarget).length, 16);
  });
});
