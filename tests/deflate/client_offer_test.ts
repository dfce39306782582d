import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clientDeflateOffer } from "../../src/deflate/client_offer.ts";
import { PerMessageDeflate } from "../../src/protocol/extensions/permessage_deflate.ts";
import { WebSocket } from "../../mod.ts";

describe("The perMessageDeflate client option", () => {
  it("is offered by default, before the user's own extensions", () => {
    const own = { name: "x-own", offer: () => [], accept: () => assert.fail("not used") };
    const extensions = clientDeflateOffer(undefined, { extensions: [own] });
    assert.deepEqual(extensions.map((extension) => extension.name), [
      "permessage-deflate",
      "x-own",
    ]);
    assert.deepEqual(extensions[0]!.offer(), [["client_max_window_bits", true]]);
  });

  it("passes its object to the offer", () => {
    const extensions = clientDeflateOffer({
      serverNoContextTakeover: true,
      clientMaxWindowBits: 10,
    }, {});
    assert.deepEqual(extensions[0]!.offer(), [
      ["server_no_context_takeover", true],
      ["client_max_window_bits", "10"],
    ]);
  });

  it("offers nothing when false, or with a protocol version older than RFC 6455", () => {
    assert.deepEqual(clientDeflateOffer(false, {}), []);
    for (const protocolVersion of ["hybi-10", "hybi-00", "hixie-75"] as const) {
      assert.deepEqual(clientDeflateOffer(true, { protocolVersion }), []);
      assert.deepEqual(clientDeflateOffer(undefined, { protocolVersion }), []);
    }
  });

  it("is not offered twice when the user offers permessage-deflate already", () => {
    const own = new PerMessageDeflate({ serverNoContextTakeover: true }, {
      createCompressor: () => assert.fail("not used"),
      createDecompressor: () => assert.fail("not used"),
    });
    assert.deepEqual(clientDeflateOffer(true, { extensions: [own] }), [own]);
  });

  it("compresses and decompresses with the node:zlib codec once accepted", () => {
    const negotiated = clientDeflateOffer(true, {})[0]!.accept([]);
    const encoded = negotiated.encode(new Uint8Array(2000));
    assert.equal(encoded.rsv, 0x4);
    assert.ok(encoded.payload.length < 100);
    assert.deepEqual(negotiated.decode(encoded.payload, encoded.rsv, 2000), new Uint8Array(2000));
  });

  it("WebSocket refuses an invalid perMessageDeflate in its constructor", () => {
    assert.throws(
      () => new WebSocket("ws://127.0.0.1:9/", { perMessageDeflate: { serverMaxWindowBits: 16 } }),
      {
        name: "RangeError",
        message:
          "Cannot create WebSocket: perMessageDeflate.serverMaxWindowBits must be an integer from 8 to 15",
      },
    );
    assert.throws(
      () => new WebSocket("ws://127.0.0.1:9/", { perMessageDeflate: 1 as unknown as boolean }),
      { name: "TypeError", message: /perMessageDeflate must be a boolean or an object/ },
    );
  });
});
