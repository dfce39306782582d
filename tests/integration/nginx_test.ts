/**
 * Real deployments in front of the `ws` server, with nginx (Debian)
 * configured by the test: a reverse proxy that passes WebSockets through
 * (on TCP and on a unix socket), a TLS server that requires a client
 * certificate (`ssl_verify_client on`), and a TLS 1.2-only server, on the
 * runtime running this file.
 *
 * @module
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { WebSocket, WebSocketError, WebSocketStream } from "../../mod.ts";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { TransportError } from "../../src/transport/types.ts";
import { type Peer, peerUnavailable, startPeer } from "../_util/peers.ts";
import { freePort, proxyUnavailable, type RunningProxy, startTinyproxy } from "../_util/proxies.ts";
import {
  type ClientCertificate,
  makeClientCertificate,
  nginxUnavailable,
  type RunningNginx,
  startNginx,
} from "../_util/nginx.ts";
import { getTestCertificate } from "../_util/tls_cert.ts";
import { clientRuntime, failureOf, within } from "./_client.ts";

/** Opens a WebSocket, checks an echo, and returns the request headers the `ws` server saw. */
async function echoHeaders(
  url: string,
  init: Record<string, unknown>,
): Promise<Record<string, string>> {
  const ws = new WebSocket(url, init);
  try {
    const replies: string[] = [];
    let wake: (() => void) | undefined;
    ws.onmessage = (event) => {
      replies.push(String(event.data));
      wake?.();
    };
    const next = async () => {
      while (replies.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      return replies.shift()!;
    };
    await within(
      new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = (event) => reject((event as { error?: unknown }).error ?? new Error("error"));
      }),
      10_000,
      `open ${url}`,
    );
    // The open socket shows the last hop's handshake (a redirect replaces the connection).
    assert.equal(ws.handshake?.status, 101);
    ws.send("echo me");
    assert.equal(await within(next(), 5_000, "echo"), "echo me");
    ws.send("headers");
    return JSON.parse(await within(next(), 5_000, "headers")) as Record<string, string>;
  } finally {
    ws.close();
  }
}

function upstream(port: number): string {
  return `
    location / {
      proxy_pass http://127.0.0.1:${port};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_set_header Host $http_host;
      proxy_set_header X-ALPN $ssl_alpn_protocol;
      proxy_set_header X-Client-Verify $ssl_client_verify;
    }`;
}

describe(`${clientRuntime} client behind nginx`, {
  skip: peerUnavailable("ws") || nginxUnavailable(),
}, () => {
  let peer: Peer;
  let nginx: RunningNginx;
  let ca: string;
  let client: ClientCertificate;
  const ports = { proxy: 0, mtls: 0, tls12: 0, redirect: 0 };
  let silent: net.Server;
  let silentPort = 0;

  before(async () => {
    const [cert, clientCert] = await Promise.all([getTestCertificate(), makeClientCertificate()]);
    ca = cert.ca;
    client = clientCert;
    peer = await startPeer("ws");
    ports.proxy = await freePort();
    ports.mtls = await freePort();
    ports.tls12 = await freePort();
    ports.redirect = await freePort();
    // Accepts and never answers: a hop that only the handshake timeout ends.
    silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    silentPort = (silent.address() as net.AddressInfo).port;
    const tls = "ssl_certificate {{dir}}/server.pem; ssl_certificate_key {{dir}}/server.key;";
    nginx = await startNginx(
      `
  server {
    listen 127.0.0.1:${ports.proxy};
    listen unix:{{dir}}/ws.sock;
    ${upstream(peer.port)}
  }
  server {
    listen 127.0.0.1:${ports.mtls} ssl;
    ${tls}
    ssl_client_certificate {{dir}}/client-ca.pem;
    ssl_verify_client on;
    ${upstream(peer.port)}
  }
  server {
    listen 127.0.0.1:${ports.tls12} ssl;
    listen unix:{{dir}}/tls.sock ssl;
    ${tls}
    ssl_protocols TLSv1.2;
    location = /downgrade { return 302 ws://127.0.0.1:${ports.proxy}/; }
    ${upstream(peer.port)}
  }
  server {
    listen 127.0.0.1:${ports.redirect};
    location = /r301 { return 301 /final; }
    location = /r302 { return 302 http://127.0.0.1:${ports.proxy}/cross; }
    location = /r308 { return 308 /r307; }
    location = /r307 { return 307 /r303; }
    location = /r303 { return 303 /final; }
    location = /loop { return 302 /loop; }
    location = /to-silent { return 302 http://127.0.0.1:${silentPort}/; }
    location = /no-location { return 302; }
    ${upstream(peer.port)}
  }`,
      { "server.pem": cert.cert, "server.key": cert.key, "client-ca.pem": client.ca },
      Object.values(ports),
    );
  });

  after(async () => {
    await Promise.all([peer?.stop(), nginx?.stop()]);
    silent?.close();
  });

  it("a reverse proxy passes the WebSocket through", async () => {
    const headers = await echoHeaders(`ws://127.0.0.1:${ports.proxy}/`, {});
    assert.equal(headers.host, `127.0.0.1:${ports.proxy}`);
  });

  it("the unix option connects to nginx's unix socket; the URL gives Host and path", async () => {
    const headers = await echoHeaders("ws://localhost/over-unix", {
      unix: `${nginx.dir}/ws.sock`,
    });
    assert.equal(headers.host, "localhost");
  });

  it("a ws+unix: URL does the same", async () => {
    const headers = await echoHeaders(`ws+unix://${nginx.dir}/ws.sock:/over-unix?x=1`, {});
    assert.equal(headers.host, "localhost");
  });

  it("a wss+unix: URL speaks TLS over the unix socket where the runtime can, else UNSUPPORTED", async () => {
    const url = `wss+unix://${nginx.dir}/tls.sock:/over-unix`;
    if (clientRuntime === "deno") {
      // Measured: Deno.startTls on a unix connection fails with "Bad resource ID".
      const error = await failureOf(url, { tls: { ca } });
      assert.ok(error instanceof TransportError, `got ${error}`);
      assert.equal(error.code, "UNSUPPORTED");
      assert.equal(
        error.message,
        "Cannot connect: Deno cannot start TLS over a unix socket (Deno.startTls takes a TCP connection)",
      );
      return;
    }
    const headers = await echoHeaders(url, { tls: { ca } });
    assert.equal(headers.host, "localhost");
  });

  it("a missing socket is CONNECT_FAILED naming the path", async () => {
    const path = `${nginx.dir}/missing.sock`;
    const error = await failureOf("ws://localhost/", { unix: path });
    assert.ok(error instanceof TransportError, `got ${error}`);
    assert.equal(error.code, "CONNECT_FAILED");
    assert.ok(error.message.startsWith(`Cannot connect to ${path}: `), error.message);
  });

  it("TLS offers ALPN http/1.1", async () => {
    const headers = await echoHeaders(`wss://localhost:${ports.tls12}/`, { tls: { ca } });
    assert.equal(headers["x-alpn"], "http/1.1");
  });

  it("a client certificate is sent to a server that requires one", async () => {
    const headers = await echoHeaders(`wss://localhost:${ports.mtls}/`, {
      tls: { ca, cert: client.cert, key: client.key },
    });
    assert.equal(headers["x-client-verify"], "SUCCESS");
  });

  it("a client certificate goes through an HTTP proxy where the runtime can, else UNSUPPORTED", {
    skip: proxyUnavailable("tinyproxy"),
  }, async () => {
    const proxy: RunningProxy = await startTinyproxy();
    try {
      const init = { proxy: proxy.url, tls: { ca, cert: client.cert, key: client.key } };
      if (clientRuntime === "deno") {
        const error = await failureOf(`wss://localhost:${ports.mtls}/`, init);
        assert.ok(error instanceof TransportError, `got ${error}`);
        assert.equal(error.code, "UNSUPPORTED");
        assert.match(
          error.message,
          /^Cannot connect: Deno cannot send a client certificate over an existing connection/,
        );
        return;
      }
      const headers = await echoHeaders(`wss://localhost:${ports.mtls}/`, init);
      assert.equal(headers["x-client-verify"], "SUCCESS");
    } finally {
      await proxy.stop();
    }
  });

  it("without a client certificate the server refuses the handshake (400)", async () => {
    const error = await failureOf(`wss://localhost:${ports.mtls}/`, { tls: { ca } });
    assert.ok(error instanceof HandshakeError, `got ${error}`);
    assert.equal(error.status, 400);
  });

  it("an encrypted key with its passphrase works where the runtime can, else UNSUPPORTED", async () => {
    const init = {
      tls: { ca, cert: client.cert, key: client.encryptedKey, passphrase: client.passphrase },
    };
    if (clientRuntime === "deno") {
      const error = await failureOf(`wss://localhost:${ports.mtls}/`, init);
      assert.ok(error instanceof TransportError, `got ${error}`);
      assert.equal(error.code, "UNSUPPORTED");
      assert.match(error.message, /^Cannot connect: Deno cannot use an encrypted private key/);
      return;
    }
    const headers = await echoHeaders(`wss://localhost:${ports.mtls}/`, init);
    assert.equal(headers["x-client-verify"], "SUCCESS");
  });

  it("minVersion TLSv1.2 reaches a TLS 1.2 server; TLSv1.3 is refused by it (or UNSUPPORTED)", async () => {
    await echoHeaders(`wss://localhost:${ports.tls12}/`, { tls: { ca, minVersion: "TLSv1.2" } });
    const error = await failureOf(`wss://localhost:${ports.tls12}/`, {
      tls: { ca, minVersion: "TLSv1.3" },
    });
    assert.ok(error instanceof TransportError, `got ${error}`);
    assert.equal(error.code, clientRuntime === "deno" ? "UNSUPPORTED" : "TLS_FAILED");
  });

  it("a Host override keeps SNI and certificate checks on the URL's name", async () => {
    const headers = await echoHeaders(`wss://localhost:${ports.tls12}/`, {
      tls: { ca },
      headers: { Host: "virtual.example" },
    });
    assert.equal(headers.host, "virtual.example");
  });

  it("tls.servername replaces the URL's name for SNI and certificate checks", async () => {
    const error = await failureOf(`wss://localhost:${ports.tls12}/`, {
      tls: { ca, servername: "virtual.example" },
    });
    assert.ok(error instanceof TransportError, `got ${error}`);
    assert.equal(error.code, "TLS_FAILED");
  });

  describe("redirects (nginx return 30x)", () => {
    const base = () => `ws://127.0.0.1:${ports.redirect}`;
    const secret = { Authorization: "Bearer secret", "X-Custom": "kept" };

    it("are not followed by default: the redirect is the HandshakeError", async () => {
      const error = await failureOf(`${base()}/r301`, {});
      assert.ok(error instanceof HandshakeError, `got ${error}`);
      assert.equal(error.code, "UNEXPECTED_STATUS");
      assert.equal(error.status, 301);
      assert.deepEqual(error.redirects, []);
    });

    it("a relative Location on the same origin is followed with the user's headers", async () => {
      const headers = await echoHeaders(`${base()}/r301`, {
        followRedirects: true,
        headers: secret,
      });
      assert.equal(headers.authorization, "Bearer secret");
      assert.equal(headers["x-custom"], "kept");
    });

    it("an http: Location to another origin maps to ws: and drops Authorization and user headers", async () => {
      const headers = await echoHeaders(`${base()}/r302`, {
        followRedirects: true,
        headers: secret,
      });
      assert.equal(headers.host, `127.0.0.1:${ports.proxy}`);
      assert.equal(headers.authorization, undefined);
      assert.equal(headers["x-custom"], undefined);
    });

    it("WebSocketStream follows too, and rejects with the chain as cause", async () => {
      const stream = new WebSocketStream(`${base()}/r301`, { followRedirects: true });
      const { readable, writable } = await within(stream.opened, 5_000, "opened");
      const writer = writable.getWriter();
      await writer.write("via stream");
      const reader = readable.getReader();
      const first = await within(reader.read(), 5_000, "a message");
      assert.equal(first.done, false);
      stream.close();
      const refused = new WebSocketStream(`${base()}/loop`, { followRedirects: 2 });
      refused.closed.catch(() => {});
      const error = await refused.opened.then(() => null, (error: unknown) => error);
      assert.ok(error instanceof WebSocketError, `got ${error}`);
      assert.ok(error.cause instanceof HandshakeError, `cause ${error.cause}`);
      assert.equal(error.cause.redirects.length, 2);
    });

    it("follows 308, 307 and 303 in a chain", async () => {
      await echoHeaders(`${base()}/r308`, { followRedirects: 3 });
    });

    it("stops at the hop limit; the HandshakeError lists the chain", async () => {
      const error = await failureOf(`${base()}/r308`, { followRedirects: 1 });
      assert.ok(error instanceof HandshakeError, `got ${error}`);
      assert.equal(error.status, 307);
      assert.deepEqual(error.redirects, [`${base()}/r308`]);
      assert.match(error.message, /; not followed: more than 1 redirects \(redirected from /);
      const loop = await failureOf(`${base()}/loop`, { followRedirects: true });
      assert.ok(loop instanceof HandshakeError, `got ${loop}`);
      assert.equal(loop.redirects.length, 5);
    });

    it("a redirect without Location is reported, not followed", async () => {
      const error = await failureOf(`${base()}/no-location`, { followRedirects: true });
      assert.ok(error instanceof HandshakeError, `got ${error}`);
      assert.equal(error.status, 302);
      assert.match(error.message, /not followed: the redirect has no Location/);
    });

    it("refuses wss: to ws: unless allowInsecureRedirects", async () => {
      const url = `wss://localhost:${ports.tls12}/downgrade`;
      const error = await failureOf(url, { followRedirects: true, tls: { ca } });
      assert.ok(error instanceof HandshakeError, `got ${error}`);
      assert.match(error.message, /would drop TLS \(set allowInsecureRedirects to allow it\)/);
      await echoHeaders(url, { followRedirects: true, allowInsecureRedirects: true, tls: { ca } });
    });

    it("the handshake timeout covers every hop", async () => {
      const error = await failureOf(`${base()}/to-silent`, {
        followRedirects: true,
        handshakeTimeout: 500,
      });
      assert.ok(error instanceof DOMException, `got ${error}`);
      assert.equal(error.name, "TimeoutError");
    });

    it("bad options throw in the constructor", () => {
      assert.throws(() => new WebSocket(base(), { followRedirects: 1.5 }), {
        name: "RangeError",
        message:
          "Cannot create WebSocket: followRedirects must be a boolean or an integer in 0-100, got 1.5",
      });
    });
  });
});
