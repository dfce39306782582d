/**
 * Test helpers for code that uses wsport: an in-memory transport pair and
 * an in-memory echo server, so tests and examples run without sockets.
 *
 * @example An echo round trip in memory
 * ```ts
 * import { WebSocketStream } from "@wsport/wsport";
 * import { createEchoServer } from "@wsport/wsport/testing";
 * import assert from "node:assert/strict";
 *
 * const server = createEchoServer();
 * const socket = new WebSocketStream("ws://echo.test/", { transport: server.connector });
 * const { readable, writable } = await socket.opened;
 * await writable.getWriter().write(new Uint8Array([1, 2, 3]));
 * const { value } = await readable.getReader().read();
 * assert.deepEqual(value, new Uint8Array([1, 2, 3]));
 * socket.close();
 * await socket.closed;
 * ```
 *
 * @module
 */

import { Connection } from "./protocol/connection.ts";
import { computeAcceptKey } from "./protocol/handshake.ts";
import type { Connector, Transport } from "./transport/types.ts";
import { createMemoryConnector } from "./transport/memory.ts";

export { createMemoryConnector, createMemoryTransportPair } from "./transport/memory.ts";
export type {
  MemoryConnector,
  MemoryTransport,
  MemoryTransportOptions,
} from "./transport/memory.ts";

/** An in-memory echo server. */
export interface EchoServer {
  /** Pass as the `transport` option of `WebSocket` or `WebSocketStream`. */
  readonly connector: Connector;
  /** How many connections it has accepted. */
  readonly connections: number;
  /** Resolves when every accepted connection has ended. */
  idle(): Promise<void>;
}

const HEAD_END = [13, 10, 13, 10];

function findHeadEnd(bytes: Uint8Array): number {
  outer: for (let i = 0; i + 4 <= bytes.length; i++) {
    for (let j = 0; j < 4; j++) if (bytes[i + j] !== HEAD_END[j]) continue outer;
    return i + 4;
  }
  return -1;
}

/**
 * Starts an in-memory server that answers any WebSocket handshake, echoes
 * every message back as it came (text as text, binary as binary), answers
 * pings (the protocol core does) and echoes the client's close code.
 *
 * @returns The server; it needs no stopping.
 */
export function createEchoServer(): EchoServer {
  const memory = createMemoryConnector();
  const running: Promise<void>[] = [];
  let connections = 0;
  async function serve(): Promise<void> {
    while (true) {
      const transport = await memory.accept();
      connections++;
      running.push(echo(transport));
    }
  }
  void serve();
  return {
    connector: memory.connector,
    get connections() {
      return connections;
    },
    async idle() {
      await Promise.all(running);
    },
  };
}

async function echo(transport: Transport): Promise<void> {
  let head = new Uint8Array(0);
  let end = -1;
  while (end < 0) {
    const chunk = await transport.read();
    if (chunk === null) return transport.close();
    const joined = new Uint8Array(head.length + chunk.length);
    joined.set(head);
    joined.set(chunk, head.length);
    head = joined;
    end = findHeadEnd(head);
  }
  const text = new TextDecoder().decode(head.subarray(0, end));
  const key = /^sec-websocket-key:\s*(\S+)\s*$/im.exec(text)?.[1] ?? "";
  transport.write(new TextEncoder().encode(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${computeAcceptKey(key)}\r\n\r\n`,
  ));
  const connection = new Connection("server", "open");
  let input: Uint8Array | null = head.subarray(end);
  while (true) {
    if (input === null) connection.receiveEof();
    else connection.receiveData(input);
    for (const event of connection.eventsReceived()) {
      if (event.type === "message") {
        if (typeof event.data === "string") connection.sendText(event.data);
        else connection.sendBinary(event.data);
      }
    }
    for (const chunk of connection.dataToSend()) {
      if (chunk.length === 0) transport.closeWrite();
      else transport.write(chunk);
    }
    if (connection.state === "closed" && input === null) break;
    try {
      input = await transport.read();
    } catch {
      input = null;
    }
  }
  transport.close();
}
