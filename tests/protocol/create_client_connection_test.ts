import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createClientConnection } from "../../src/protocol/create_client_connection.ts";
import { ClientConnection } from "../../src/protocol/connection/connection.ts";
import { LegacyClientConnection } from "../../src/protocol/legacy/legacy_connection.ts";
import { fixedRandomBytes } from "../_util/fixed_random.ts";
import { latin1 } from "../_util/chunking.ts";
import { assertSameHead } from "../_util/seed_heads.ts";
import {
  describeSeedVectors,
  seedBytes,
  type SeedClientVector,
  seedVectors,
} from "../_util/seed_vectors.ts";
import { decodeBase64 } from "../../src/protocol/encoding/base64.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("createClientConnection", () => {
  it("creates a ClientConnection for rfc6455 (the default) and hybi-10", () => {
    const rfc = createClientConnection("ws://example.com/");
    assert.ok(rfc instanceof ClientConnection);
    assert.equal(rfc.protocolVersion, "rfc6455");
    const hybi10 = createClientConnection("ws://example.com/", { protocolVersion: "hybi-10" });
    assert.ok(hybi10 instanceof ClientConnection);
    assert.equal(hybi10.protocolVersion, "hybi-10");
  });

  it("creates a LegacyClientConnection for hybi-00 and hixie-75", () => {
    for (const protocolVersion of ["hybi-00", "hixie-75"] as const) {
      const client = createClientConnection(new URL("http://example.com/x"), { protocolVersion });
      assert.ok(client instanceof LegacyClientConnection);
      assert.equal(client.protocolVersion, protocolVersion);
      assert.equal(client.url.href, "ws://example.com/x");
      assert.equal(client.handshake, null);
    }
  });

  it("refuses an unknown version", () => {
    assert.throws(
      () => createClientConnection("ws://h/", { protocolVersion: "hybi-17" as never }),
      {
        name: "RangeError",
        message: 'Cannot create connection: unknown protocol version "hybi-17"',
      },
    );
  });

  it("refuses extensions with a legacy version", () => {
    const extension = { name: "x" } as never;
    assert.throws(
      () =>
        createClientConnection("ws://h/", { protocolVersion: "hybi-00", extensions: [extension] }),
      {
        name: "TypeError",
        message: "Cannot create connection: hybi-00 has no extensions",
      },
    );
  });

  it("ClientConnection itself refuses the legacy versions", () => {
    assert.throws(() => new ClientConnection("ws://h/", { protocolVersion: "hixie-75" }), {
      name: "RangeError",
      message:
        'Cannot create connection: ClientConnection speaks rfc6455 and hybi-10, not "hixie-75"; use createClientConnection()',
    });
  });
});

describe("hybi-10 (draft-ietf-hybi-10 §4.1): RFC 6455 with Version 8 and Sec-WebSocket-Origin", () => {
  const randomBytes = () => fixedRandomBytes([0]);

  it("sends Sec-WebSocket-Version: 8 and the origin as Sec-WebSocket-Origin", () => {
    const client = createClientConnection("ws://example.com/chat", {
      protocolVersion: "hybi-10",
      origin: "http://example.com",
      randomBytes: randomBytes(),
    });
    assert.equal(
      text(client.dataToSend()[0]!),
      "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nSec-WebSocket-Version: 8\r\n" +
        "Sec-WebSocket-Origin: http://example.com\r\n\r\n",
    );
  });

  it("refuses an Origin header given twice", () => {
    assert.throws(
      () =>
        createClientConnection("ws://h/", {
          protocolVersion: "hybi-10",
          origin: "a",
          headers: { "Sec-WebSocket-Origin": "b" },
        }),
      {
        name: "TypeError",
        message:
          "Cannot create handshake request: Origin is given both as an option and as a header",
      },
    );
  });

  it("opens on an RFC 6455 response and frames as RFC 6455", () => {
    const client = createClientConnection("ws://example.com/chat", {
      protocolVersion: "hybi-10",
      randomBytes: randomBytes(),
    });
    client.dataToSend();
    client.receiveData(latin1(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Accept: ICX+Yqv66kxgM0FcWaLWlFLwTAI=\r\n\r\n\x81\x02hi",
    ));
    assert.deepEqual(client.eventsReceived().map((event) => event.type), ["open", "message"]);
    client.sendText("a");
    assert.deepEqual([...client.dataToSend()[0]!], [0x81, 0x81, 0, 0, 0, 0, 0x61]);
  });
});

describeSeedVectors("hybi-10 against the seed library's client vectors", () => {
  for (const vector of seedVectors("handshake-client") as SeedClientVector[]) {
    if (vector.version !== "draft-ietf-hybi-10") continue;
    const mock = vector.input.mock as { key: string; cookies?: string };
    it(`${vector.id}: ${vector.what}`, () => {
      const client = createClientConnection(vector.input.url!, {
        protocolVersion: "hybi-10",
        origin: "http://example.com",
        randomBytes: () => decodeBase64(mock.key),
        ...(mock.cookies === undefined ? {} : { headers: { Cookie: mock.cookies } }),
      });
      for (const step of vector.input.steps) {
        if (step.to_string !== undefined) {
          assertSameHead(client.dataToSend()[0]!, seedBytes(step.to_string));
        }
        if (step.parse !== undefined) client.receiveData(seedBytes(step.parse));
        if (step.check?.is_done !== undefined) {
          assert.equal(client.state === "open", step.check.is_done === 1);
        }
      }
    });
  }
});
