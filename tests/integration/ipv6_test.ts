/**
 * IPv6 and Happy Eyeballs against the `ws` server listening on one family
 * only, on the runtime running this file: `ws://[::1]:port/`, and a name
 * that resolves to both families (through the `lookup` option, since the
 * machine's `localhost` may have one family only) reaching the server
 * whichever family it listens on.
 *
 * @module
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { TransportError, WebSocket } from "../../mod.ts";
import { clientRuntime, within } from "./_client.ts";

/** Starts the `ws` server on one address; it echoes and tells the client its own address. */
async function listen(host: string): Promise<{ server: Server; port: number }> {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on("connection", (socket, request) => {
    socket.on("message", (data, isBinary) => socket.send(data, { binary: isBinary }));
    socket.send(`local ${request.socket.localAddress}`);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** The server's first message: the address it was reached on. */
async function reach(url: string, init: Record<string, unknown> = {}): Promise<string> {
  const ws = new WebSocket(url, init);
  try {
    return await within(
      new Promise<string>((resolve, reject) => {
        ws.onmessage = (event) => resolve(String(event.data));
        ws.onerror = (event) => reject((event as { error?: unknown }).error);
      }),
      5_000,
      `a message from ${url}`,
    );
  } finally {
    ws.close();
  }
}

const dual = {
  v6First: () =>
    Promise.resolve([{ address: "::1", family: 6 }, { address: "127.0.0.1", family: 4 }]),
};

describe(`${clientRuntime} client over IPv6 and Happy Eyeballs`, () => {
  let v6: { server: Server; port: number };
  let v4: { server: Server; port: number };

  before(async () => {
    [v6, v4] = await Promise.all([listen("::1"), listen("127.0.0.1")]);
  });

  after(() => {
    v6?.server.closeAllConnections();
    v4?.server.closeAllConnections();
    v6?.server.close();
    v4?.server.close();
  });

  it("connects to ws://[::1]:port/", async () => {
    assert.equal(await reach(`ws://[::1]:${v6.port}/`), "local ::1");
  });

  it("a name with both families reaches a server on IPv6 only", async () => {
    assert.equal(
      await reach(`ws://dual.test:${v6.port}/`, { lookup: dual.v6First }),
      "local ::1",
    );
  });

  it("a name with both families reaches a server on IPv4 only (IPv6 tried first)", async () => {
    assert.equal(
      await reach(`ws://dual.test:${v4.port}/`, { lookup: dual.v6First }),
      "local 127.0.0.1",
    );
  });

  it("a failure names the host, the port and each address tried", async () => {
    v4.server.closeAllConnections();
    const closed = await listen("127.0.0.1");
    closed.server.close();
    const error = await within(
      new Promise<unknown>((resolve) => {
        const ws = new WebSocket(`ws://dual.test:${closed.port}/`, { lookup: dual.v6First });
        ws.onerror = (event) => resolve((event as { error?: unknown }).error);
      }),
      5_000,
      "the error",
    );
    assert.ok(error instanceof TransportError, `got ${error}`);
    assert.equal(error.code, "CONNECT_FAILED");
    assert.ok(
      error.message.startsWith(
        `Cannot connect to dual.test:${closed.port}: [::1]:${closed.port}: `,
      ),
      error.message,
    );
    assert.ok(error.message.includes(`; 127.0.0.1:${closed.port}: `), error.message);
  });

  it("a connect error to an IP names the host and port on every runtime", async () => {
    const closed = await listen("::1");
    closed.server.close();
    const error = await within(
      new Promise<unknown>((resolve) => {
        const ws = new WebSocket(`ws://[::1]:${closed.port}/`);
        ws.onerror = (event) => resolve((event as { error?: unknown }).error);
      }),
      5_000,
      "the error",
    );
    assert.ok(error instanceof TransportError, `got ${error}`);
    assert.ok(error.message.startsWith(`Cannot connect to [::1]:${closed.port}: `), error.message);
  });
});
