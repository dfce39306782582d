/**
 * The `proxy` option against real proxies started on loopback (tinyproxy
 * for HTTP CONNECT, microsocks for SOCKS5), in front of the `ws` server,
 * plain and TLS, on the runtime running this file.
 *
 * @module
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { WebSocket } from "../../mod.ts";
import { ProxyError } from "../../src/proxy/errors.ts";
import { TransportError } from "../../src/transport/types.ts";
import { type Peer, peerUnavailable, startPeer } from "../_util/peers.ts";
import {
  freePort,
  proxyUnavailable,
  type RunningProxy,
  startMicrosocks,
  startSquid,
  startTinyproxy,
} from "../_util/proxies.ts";
import { getTestCertificate } from "../_util/tls_cert.ts";
import { clientRuntime, failureOf, within } from "./_client.ts";

const ALICE = { username: "alice", password: "s3cret" };
const BOB = { username: "bob", password: "p@ss word" };

/** Opens a WebSocket, sends one text message and returns the echo and the headers the server saw. */
async function echoThrough(url: string, init: Record<string, unknown>): Promise<{
  echo: string;
  headers: Record<string, string>;
}> {
  const ws = new WebSocket(url, init);
  try {
    const messages: string[] = [];
    const waiting: ((text: string) => void)[] = [];
    ws.onmessage = (event) => {
      const waiter = waiting.shift();
      if (waiter) waiter(String(event.data));
      else messages.push(String(event.data));
    };
    const next = () =>
      new Promise<string>((resolve) => {
        const text = messages.shift();
        if (text !== undefined) resolve(text);
        else waiting.push(resolve);
      });
    await within(
      new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = (event) => reject((event as { error?: unknown }).error ?? new Error("error"));
      }),
      10_000,
      `open ${url}`,
    );
    ws.send("hello through the proxy");
    const echo = await within(next(), 5_000, "echo");
    ws.send("headers");
    const headers = JSON.parse(await within(next(), 5_000, "headers")) as Record<string, string>;
    return { echo, headers };
  } finally {
    ws.close();
  }
}

const skip = peerUnavailable("ws") || proxyUnavailable("tinyproxy") ||
  proxyUnavailable("microsocks");

describe(`${clientRuntime} client through real proxies`, { skip }, () => {
  let peer: Peer;
  let ca: string;
  const proxies: Record<string, RunningProxy> = {};

  before(async () => {
    const cert = await getTestCertificate();
    ca = cert.ca;
    [peer, proxies.http, proxies.httpAuth, proxies.socks, proxies.socksAuth] = await Promise.all([
      startPeer("ws", { cert: cert.cert, key: cert.key }),
      startTinyproxy(),
      startTinyproxy(ALICE),
      startMicrosocks(),
      startMicrosocks(BOB),
    ]);
  });

  after(async () => {
    await Promise.all([peer?.stop(), ...Object.values(proxies).map((proxy) => proxy.stop())]);
  });

  const cases = [
    { name: "HTTP CONNECT (tinyproxy)", proxy: "http", scheme: "http" },
    { name: "HTTP CONNECT with Basic auth (tinyproxy)", proxy: "httpAuth", scheme: "http" },
    { name: "SOCKS5 (microsocks)", proxy: "socks", scheme: "socks5" },
    { name: "SOCKS5h (microsocks)", proxy: "socks", scheme: "socks5h" },
    { name: "SOCKS5h with username/password (microsocks)", proxy: "socksAuth", scheme: "socks5h" },
  ] as const;

  for (const { name, proxy, scheme } of cases) {
    const proxyUrl = () => proxies[proxy]!.url.replace(/^[a-z0-9]+:/, `${scheme}:`);

    it(`${name}: ws: reaches the server through the tunnel`, async () => {
      const { echo, headers } = await echoThrough(`ws://127.0.0.1:${peer.port}/`, {
        proxy: proxyUrl(),
      });
      assert.equal(echo, "hello through the proxy");
      assert.equal(headers.host, `127.0.0.1:${peer.port}`);
    });

    it(`${name}: wss: speaks TLS to the target inside the tunnel, checked against its name`, async () => {
      const { echo, headers } = await echoThrough(`wss://localhost:${peer.tlsPort}/`, {
        proxy: proxyUrl(),
        tls: { ca },
      });
      assert.equal(echo, "hello through the proxy");
      assert.equal(headers.host, `localhost:${peer.tlsPort}`);
    });
  }

  it("wss: through a proxy fails TLS when the target's certificate does not match the name", async () => {
    const error = await failureOf(`wss://127.0.0.1:${peer.tlsPort}/`, {
      proxy: proxies.http!.url,
      tls: { ca, servername: "wrong.example" },
    });
    assert.ok(error instanceof TransportError, `got ${error}`);
    assert.equal(error.code, "TLS_FAILED");
  });

  it("an HTTP proxy that wants credentials refuses CONNECT with 407 and its headers", async () => {
    const bare = proxies.httpAuth!.url.replace(/\/\/[^@]+@/, "//");
    const error = await failureOf(`ws://127.0.0.1:${peer.port}/`, { proxy: bare });
    assert.ok(error instanceof ProxyError, `got ${error}`);
    assert.equal(error.code, "CONNECT_REFUSED");
    assert.equal(error.status, 407);
    assert.ok(
      error.headers.some(([name]) => name === "proxy-authenticate"),
      JSON.stringify(error.headers),
    );
    assert.equal(error.proxy, `http://127.0.0.1:${proxies.httpAuth!.port}`);
    assert.ok(!error.message.includes(ALICE.password));
  });

  it("an HTTP proxy that cannot reach the target refuses CONNECT with a 5xx status", async () => {
    const error = await failureOf(`ws://127.0.0.1:${await freePort()}/`, {
      proxy: proxies.http!.url,
    });
    assert.ok(error instanceof ProxyError, `got ${error}`);
    assert.equal(error.code, "CONNECT_REFUSED");
    assert.ok(error.status >= 500 && error.status <= 599, `status ${error.status}`);
  });

  it("a SOCKS5 proxy that wants credentials accepts no method without them", async () => {
    const bare = proxies.socksAuth!.url.replace(/\/\/[^@]+@/, "//");
    const error = await failureOf(`ws://127.0.0.1:${peer.port}/`, { proxy: bare });
    assert.ok(error instanceof ProxyError, `got ${error}`);
    assert.equal(error.code, "SOCKS_NO_ACCEPTABLE_METHOD");
  });

  it("a SOCKS5 proxy refuses a wrong password", async () => {
    const wrong = `socks5h://bob:wrong@127.0.0.1:${proxies.socksAuth!.port}`;
    const error = await failureOf(`ws://127.0.0.1:${peer.port}/`, { proxy: wrong });
    assert.ok(error instanceof ProxyError, `got ${error}`);
    assert.equal(error.code, "SOCKS_AUTH_FAILED");
  });

  it("a SOCKS5 proxy reports a refused target with its reply code", async () => {
    const error = await failureOf(`ws://127.0.0.1:${await freePort()}/`, {
      proxy: proxies.socks!.url,
    });
    assert.ok(error instanceof ProxyError, `got ${error}`);
    assert.equal(error.code, "SOCKS_REFUSED");
    assert.ok(error.replyCode > 0, `reply ${error.replyCode}`);
    assert.match(error.message, /\(reply \d+\)$/);
  });

  it("the handshake timeout covers the proxy hop", async () => {
    // A listener that accepts and never answers: no proxy does that on purpose.
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = silent.address() as net.AddressInfo;
      const error = await failureOf(`ws://127.0.0.1:${peer.port}/`, {
        proxy: `http://127.0.0.1:${port}`,
        handshakeTimeout: 300,
      });
      assert.ok(error instanceof DOMException, `got ${error}`);
      assert.equal(error.name, "TimeoutError");
    } finally {
      silent.close();
    }
  });

  it('proxy: "env" uses HTTP_PROXY from the environment, and NO_PROXY bypasses it', async () => {
    const env = globalThis as { process?: { env: Record<string, string | undefined> } };
    const deno = (globalThis as {
      Deno?: { env: { set(k: string, v: string): void; delete(k: string): void } };
    }).Deno;
    const set = (key: string, value: string) =>
      deno ? deno.env.set(key, value) : (env.process!.env[key] = value);
    const unset = (key: string) => deno ? deno.env.delete(key) : delete env.process!.env[key];
    const bare = proxies.httpAuth!.url.replace(/\/\/[^@]+@/, "//");
    set("http_proxy", bare);
    try {
      // Through the proxy that wants credentials: refused, which shows it was used.
      const error = await failureOf(`ws://127.0.0.1:${peer.port}/`, { proxy: "env" });
      assert.ok(error instanceof ProxyError, `got ${error}`);
      assert.equal(error.status, 407);
      set("no_proxy", "127.0.0.1");
      const { echo } = await echoThrough(`ws://127.0.0.1:${peer.port}/`, { proxy: "env" });
      assert.equal(echo, "hello through the proxy");
      unset("no_proxy");
      // Without proxy: "env", the environment is not read: a direct connection.
      const direct = await echoThrough(`ws://127.0.0.1:${peer.port}/`, {});
      assert.equal(direct.echo, "hello through the proxy");
    } finally {
      unset("http_proxy");
      unset("no_proxy");
    }
  });
});

describe(`${clientRuntime} client through an https: proxy (squid https_port)`, {
  skip: peerUnavailable("ws") || proxyUnavailable("squid"),
}, () => {
  let peer: Peer;
  let squid: RunningProxy;
  let ca: string;

  before(async () => {
    const cert = await getTestCertificate();
    ca = cert.ca;
    [peer, squid] = await Promise.all([
      startPeer("ws", { cert: cert.cert, key: cert.key }),
      startSquid(cert),
    ]);
  });

  after(async () => {
    await Promise.all([peer?.stop(), squid?.stop()]);
  });

  it("ws: goes through TLS to the proxy, verified with proxyTls", async () => {
    const { echo } = await echoThrough(`ws://127.0.0.1:${peer.port}/`, {
      proxy: squid.url,
      proxyTls: { ca },
    });
    assert.equal(echo, "hello through the proxy");
  });

  it("the proxy's certificate is verified: without its CA the TLS hop fails", async () => {
    const error = await failureOf(`ws://127.0.0.1:${peer.port}/`, { proxy: squid.url });
    assert.ok(error instanceof TransportError, `got ${error}`);
    assert.equal(error.code, "TLS_FAILED");
  });

  it("wss: TLS inside TLS where the runtime can, else UNSUPPORTED naming the runtime", async () => {
    const init = { proxy: squid.url, proxyTls: { ca }, tls: { ca } };
    if (clientRuntime !== "node") {
      // Measured: Deno.startTls takes only a TCP connection, and Bun's
      // socket.upgradeTLS returns nothing on a TLS socket.
      const error = await failureOf(`wss://localhost:${peer.tlsPort}/`, init);
      assert.ok(error instanceof TransportError, `got ${error}`);
      assert.equal(error.code, "UNSUPPORTED");
      const runtime = clientRuntime === "deno" ? "Deno" : "Bun";
      assert.match(
        error.message,
        new RegExp(`^Cannot connect: ${runtime} cannot start TLS inside a TLS connection`),
      );
      return;
    }
    const { echo, headers } = await echoThrough(`wss://localhost:${peer.tlsPort}/`, init);
    assert.equal(echo, "hello through the proxy");
    assert.equal(headers.host, `localhost:${peer.tlsPort}`);
  });
});
