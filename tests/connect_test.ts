import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { openRoute, planRoute, splitUnixUrl } from "../src/connect.ts";
import { parseWebSocketUrl } from "../src/protocol/http/url.ts";
import { createMemoryConnector } from "../src/transport/memory.ts";

const ws = parseWebSocketUrl("ws://example.com/");
const wss = parseWebSocketUrl("wss://example.com/");

describe("splitUnixUrl (the ws package's ws+unix: convention)", () => {
  it("splits the socket path from the request path", () => {
    assert.deepEqual(splitUnixUrl("ws+unix:///tmp/app.sock:/chat?room=1"), {
      url: "ws://localhost/chat?room=1",
      unix: "/tmp/app.sock",
    });
    assert.deepEqual(splitUnixUrl("wss+unix:///tmp/app.sock:/"), {
      url: "wss://localhost/",
      unix: "/tmp/app.sock",
    });
    assert.deepEqual(splitUnixUrl("WS+UNIX:///tmp/a%20b.sock"), {
      url: "ws://localhost/",
      unix: "/tmp/a b.sock",
    });
  });

  it("passes other URLs through and refuses a missing socket path", () => {
    assert.deepEqual(splitUnixUrl("wss://h/x"), { url: "wss://h/x", unix: undefined });
    assert.throws(() => splitUnixUrl("ws+unix://"), {
      name: "SyntaxError",
      message:
        'Cannot parse WebSocket URL: "ws+unix://" has no socket path (ws+unix:///path/to.sock:/request)',
    });
  });
});

describe("planRoute", () => {
  it("connects directly by default, whatever the environment says", () => {
    const env = { HTTP_PROXY: "http://p:1" };
    assert.deepEqual(planRoute(ws, {}, env), {
      kind: "direct",
      target: { hostname: "example.com", port: 80, tls: undefined },
    });
    assert.equal(planRoute(ws, { proxy: null }, env).kind, "direct");
  });

  it('reads the environment only with proxy: "env"', () => {
    const route = planRoute(wss, { proxy: "env" }, { HTTPS_PROXY: "socks5h://u:p@p:9" });
    assert.equal(route.kind, "proxy");
    assert.ok(route.kind === "proxy");
    assert.equal(route.proxy.protocol, "socks5h");
    assert.equal(route.proxy.username, "u");
    assert.deepEqual(route.target.tls, {});
    assert.equal(
      planRoute(wss, { proxy: "env" }, { HTTPS_PROXY: "http://p:1", NO_PROXY: "*" }).kind,
      "direct",
    );
  });

  it("takes an explicit proxy URL string or URL", () => {
    const route = planRoute(ws, { proxy: new URL("http://p:3128"), proxyTls: { ca: "X" } });
    assert.ok(route.kind === "proxy");
    assert.equal(route.proxy.port, 3128);
    assert.deepEqual(route.proxyTls, { ca: "X" });
  });

  it("routes to a unix socket", () => {
    assert.deepEqual(planRoute(ws, { unix: "/run/s.sock" }), {
      kind: "unix",
      target: { hostname: "example.com", port: 80, tls: undefined, path: "/run/s.sock" },
    });
  });

  it("hands PEM given as bytes to the transport as text, and text as it is", () => {
    const url = parseWebSocketUrl("wss://example.test/");
    const pem = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n";
    const bytes = new TextEncoder().encode(pem);
    const route = planRoute(url, { tls: { ca: [bytes, pem], cert: bytes, key: bytes } as never });
    assert.deepEqual(route.target.tls, { ca: [pem, pem], cert: pem, key: pem });
    const text = { ca: pem, servername: "other.test" };
    assert.equal(planRoute(url, { tls: text }).target.tls, text);
  });

  it("refuses bad options with a TypeError naming them", () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { proxy: "ftp://p" },
        'Cannot create WebSocket: proxy: the scheme "ftp:" is not http:, https:, socks5: or socks5h:',
      ],
      [{ proxy: 42 }, 'Cannot create WebSocket: proxy must be a URL string, a URL, "env" or null'],
      [{ unix: "" }, "Cannot create WebSocket: unix must be a non-empty socket path"],
      [
        { unix: "/s", proxy: "http://p" },
        "Cannot create WebSocket: unix and proxy cannot be used together",
      ],
      [{ tls: { cert: "C" } }, "Cannot create WebSocket: tls.cert and tls.key go together"],
      [{ tls: { key: 1 } }, "Cannot create WebSocket: tls.key must be a string"],
      [
        { tls: { minVersion: "TLSv1.1" } },
        'Cannot create WebSocket: tls.minVersion must be "TLSv1.2" or "TLSv1.3", got "TLSv1.1"',
      ],
      [{ tls: null }, "Cannot create WebSocket: tls must be an object"],
      [
        { proxy: "http://p", proxyTls: { passphrase: 1 } },
        "Cannot create WebSocket: proxyTls.passphrase must be a string",
      ],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => planRoute(wss, options as never, {}), { name: "TypeError", message });
    }
  });
});

describe("openRoute", () => {
  it("passes a direct or unix target and the signal to the connector", async () => {
    const { connector, requests } = createMemoryConnector();
    const signal = new AbortController().signal;
    const transport = await openRoute(planRoute(ws, { unix: "/s" }), connector, signal);
    assert.deepEqual(requests[0], {
      hostname: "example.com",
      port: 80,
      tls: undefined,
      path: "/s",
      signal,
    });
    transport.close();
  });

  it("goes through the proxy for a proxy route", async () => {
    const { connector, accept, requests } = createMemoryConnector();
    const opening = openRoute(
      planRoute(ws, { proxy: "http://proxy.test:3128" }),
      connector,
      new AbortController().signal,
    );
    const proxy = await accept();
    assert.equal(requests[0]!.hostname, "proxy.test");
    assert.equal(requests[0]!.port, 3128);
    assert.match(new TextDecoder().decode((await proxy.read())!), /^CONNECT example\.com:80 /);
    proxy.write(new TextEncoder().encode("HTTP/1.1 200 OK\r\n\r\n"));
    const transport = await opening;
    transport.close();
    proxy.close();
  });
});
