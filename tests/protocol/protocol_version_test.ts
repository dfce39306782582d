import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  isLegacyVersion,
  isProtocolVersion,
  PROTOCOL_VERSIONS,
} from "../../src/protocol/protocol_version.ts";

describe("protocol versions", () => {
  it("lists the four versions, newest first", () => {
    assert.deepEqual(PROTOCOL_VERSIONS, ["rfc6455", "hybi-10", "hybi-00", "hixie-75"]);
  });

  it("isProtocolVersion and isLegacyVersion", () => {
    for (const version of PROTOCOL_VERSIONS) assert.equal(isProtocolVersion(version), true);
    for (const value of ["hybi-17", "", 13, null]) assert.equal(isProtocolVersion(value), false);
    assert.deepEqual(PROTOCOL_VERSIONS.filter(isLegacyVersion), ["hybi-00", "hixie-75"]);
  });
});
