import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ClientConnection, Connection } from "../../../src/protocol/connection/connection.ts";
import type { ConnectionEvent } from "../../../src/protocol/connection/events.ts";
import { encodeFrame } from "../../../src/protocol/frames/frame.ts";
import { computeAcceptKey } from "../../../src/protocol/handshake/handshake.ts";
import { concat } from "../../_util/chunking.ts";
import { fixedRandomBytes } from "../../_util/fixed_random.ts";

/** The fields of each event type, as events.ts documents them. */
const FIELDS: Record<ConnectionEvent["type"], readonly string[]> = {
  open: ["handshake", "type"],
  message: ["data", "type"],
  ping: ["data", "type"],
  pong: ["data", "type"],
  closing: ["code", "reason", "type"],
  fail: ["code", "error", "type"],
  close: ["code", "error", "reason", "type", "wasClean"],
};

/** Exhaustive over the union: adding an event type without a case fails to compile. */
function describeEvent(event: ConnectionEvent): string {
  switch (event.type) {
    case "open":
      return `open ${event.handshake.status}`;
    case "message":
      return `message ${
        typeof event.data === "string" ? event.data : `[${event.data.length} bytes]`
      }`;
    case "ping":
      return `ping ${event.data.length}`;
    case "pong":
      return `pong ${event.data.length}`;
    case "closing":
      return `closing ${event.code} ${event.reason}`;
    case "fail":
      return `fail ${event.code} ${event.error?.name ?? "null"}`;
    case "close":
      return `close ${event.code} ${event.wasClean} ${event.error?.name ?? "null"}`;
    default: {
      const never: never = event;
      return never;
    }
  }
}

function frame(opcode: number, payload: string | number[]): Uint8Array {
  const bytes = typeof payload === "string"
    ? new TextEncoder().encode(payload)
    : new Uint8Array(payload);
  return concat(...encodeFrame({ fin: true, rsv: 0, opcode, payload: bytes }, null));
}

describe("6.2. Receiving Data / 7.1.4. The WebSocket Connection is Closed (events)", () => {
  it("a connection reports open, message, ping, pong, closing and close events, in order, each with its documented fields", () => {
    const client = new ClientConnection("ws://example.com/", { randomBytes: fixedRandomBytes() });
    client.dataToSend();
    client.receiveData(new TextEncoder().encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${computeAcceptKey(client.key)}\r\n\r\n`,
    ));
    client.receiveData(concat(
      frame(0x1, "text"),
      frame(0x2, [1, 2]),
      frame(0x9, "ping"),
      frame(0xa, "pong"),
      frame(0x8, [0x03, 0xe8, 0x62, 0x79, 0x65]),
    ));
    client.receiveEof();
    const events = client.eventsReceived();
    assert.deepEqual(events.map(describeEvent), [
      "open 101",
      "message text",
      "message [2 bytes]",
      "ping 4",
      "pong 4",
      "closing 1000 bye",
      "close 1000 true null",
    ]);
    for (const event of events) {
      assert.deepEqual(Object.keys(event).sort(), FIELDS[event.type], event.type);
    }
  });

  it("a failed connection's close event carries the error that caused it", () => {
    const client = new Connection("client", "open", { randomBytes: fixedRandomBytes() });
    client.receiveData(new Uint8Array([0x83, 0x00]));
    client.receiveEof();
    const events = client.eventsReceived();
    assert.deepEqual(events.map(describeEvent), [
      "fail 1002 ProtocolError",
      "close 1006 false ProtocolError",
    ]);
    const [fail, close] = events;
    assert.ok(fail?.type === "fail" && close?.type === "close");
    assert.equal(fail.error, client.error);
    assert.equal(close.error, client.error);
  });

  it("a refused handshake's close event carries the HandshakeError", () => {
    const client = new ClientConnection("ws://example.com/", { randomBytes: fixedRandomBytes() });
    client.receiveData(
      new TextEncoder().encode("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
    );
    assert.deepEqual(client.eventsReceived().map(describeEvent), [
      "close 1006 false HandshakeError",
    ]);
  });
});
