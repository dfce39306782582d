/**
 * Connecting to a loopback port nobody listens on, with both APIs, from
 * the runtime running this file and its default transport.
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { TransportError, WebSocketError, WebSocketStream } from "../../mod.ts";
import { clientRuntime, failed, record, within } from "./_client.ts";

/** A port that was free a moment ago: listen on port 0, note it, close. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(typeof address === "object" && address !== null);
  return address.port;
}

describe(`${clientRuntime} client: connection refused`, () => {
  it("WebSocket fires error with a CONNECT_FAILED TransportError, then close 1006", async () => {
    const client = record(`ws://127.0.0.1:${await closedPort()}/`);
    const { error } = await failed(client);
    assert.ok(!client.order.includes("open"));
    assert.ok(error instanceof TransportError, `error: ${error}`);
    assert.equal(error.code, "CONNECT_FAILED");
    assert.match(error.message, /^Cannot connect to 127\.0\.0\.1:\d+: /);
  });

  it("WebSocketStream rejects opened and closed with a WebSocketError caused by it", async () => {
    const stream = new WebSocketStream(`ws://127.0.0.1:${await closedPort()}/`);
    const error = await within(stream.opened.then(() => null, (e) => e), 5_000, "opened");
    assert.ok(error instanceof WebSocketError, `error: ${error}`);
    assert.equal(error.closeCode, 1006);
    assert.ok(error.cause instanceof TransportError, `cause: ${error.cause}`);
    assert.equal(error.cause.code, "CONNECT_FAILED");
    await assert.rejects(stream.closed, WebSocketError);
  });
});
