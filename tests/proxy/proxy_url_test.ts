import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { matchesNoProxy, parseProxyUrl, proxyFromEnvironment } from "../../src/proxy/proxy_url.ts";

describe("parseProxyUrl", () => {
  it("parses each scheme with its default port", () => {
    assert.deepEqual(parseProxyUrl("http://p"), {
      protocol: "http",
      hostname: "p",
      port: 80,
      username: "",
      password: "",
      display: "http://p:80",
    });
    assert.equal(parseProxyUrl("https://p").port, 443);
    assert.equal(parseProxyUrl("socks5://p").port, 1080);
    assert.equal(parseProxyUrl("socks5h://p:9").port, 9);
    assert.equal(parseProxyUrl("socks://p").protocol, "socks5");
    assert.equal(parseProxyUrl(new URL("HTTP://P:1/")).hostname, "p");
  });

  it("reads a value without a scheme as http, as curl does", () => {
    const proxy = parseProxyUrl("proxy.test:3128");
    assert.equal(proxy.protocol, "http");
    assert.equal(proxy.port, 3128);
  });

  it("decodes credentials and leaves them out of the display form", () => {
    const proxy = parseProxyUrl("socks5://us%3Aer:p%C3%A4ss@[::1]:1080");
    assert.equal(proxy.username, "us:er");
    assert.equal(proxy.password, "päss");
    assert.equal(proxy.hostname, "::1");
    assert.equal(proxy.display, "socks5://[::1]:1080");
  });

  it("refuses other schemes, paths and garbage", () => {
    assert.throws(() => parseProxyUrl("ftp://p"), {
      name: "TypeError",
      message: 'Cannot use proxy: the scheme "ftp:" is not http:, https:, socks5: or socks5h:',
    });
    assert.throws(() => parseProxyUrl("http://p/path"), { name: "TypeError" });
    assert.throws(() => parseProxyUrl("http://[::1"), { name: "TypeError" });
  });
});

describe("proxyFromEnvironment", () => {
  const wss = { secure: true, hostname: "api.example.com", port: 443 };
  const ws = { secure: false, hostname: "api.example.com", port: 80 };

  it("uses HTTPS_PROXY for wss: and HTTP_PROXY for ws:, then ALL_PROXY", () => {
    const env = { HTTPS_PROXY: "http://s:1", HTTP_PROXY: "http://p:1", ALL_PROXY: "socks5://a:1" };
    assert.equal(proxyFromEnvironment(wss, env), "http://s:1");
    assert.equal(proxyFromEnvironment(ws, env), "http://p:1");
    assert.equal(proxyFromEnvironment(ws, { ALL_PROXY: "socks5://a:1" }), "socks5://a:1");
    assert.equal(proxyFromEnvironment(ws, { all_proxy: "socks5://b:1" }), "socks5://b:1");
    assert.equal(proxyFromEnvironment(ws, {}), null);
    assert.equal(proxyFromEnvironment(ws, { HTTP_PROXY: "  " }), null);
  });

  it("prefers the lower-case names", () => {
    assert.equal(
      proxyFromEnvironment(wss, { https_proxy: "http://l:1", HTTPS_PROXY: "http://u:1" }),
      "http://l:1",
    );
  });

  it("bypasses the proxy when NO_PROXY matches (either case)", () => {
    assert.equal(
      proxyFromEnvironment(wss, { HTTPS_PROXY: "http://s:1", no_proxy: "example.com" }),
      null,
    );
    assert.equal(
      proxyFromEnvironment(wss, { HTTPS_PROXY: "http://s:1", NO_PROXY: "other.com" }),
      "http://s:1",
    );
  });
});

describe("matchesNoProxy", () => {
  const target = { secure: false, hostname: "a.example.com", port: 8080 };
  it("matches *, names, suffixes with and without a dot, and ports", () => {
    assert.equal(matchesNoProxy(target, "*"), true);
    assert.equal(matchesNoProxy(target, "a.example.com"), true);
    assert.equal(matchesNoProxy(target, "example.com"), true);
    assert.equal(matchesNoProxy(target, ".example.com"), true);
    assert.equal(matchesNoProxy(target, "*.example.com"), true);
    assert.equal(matchesNoProxy(target, "ample.com"), false);
    assert.equal(matchesNoProxy(target, "other.org, example.com:8080"), true);
    assert.equal(matchesNoProxy(target, "example.com:80"), false);
    assert.equal(matchesNoProxy(target, "A.EXAMPLE.COM."), true);
    assert.equal(matchesNoProxy(target, " , "), false);
  });

  it("matches IPv4 and IPv6 addresses, with or without brackets and ports", () => {
    const v4 = { secure: false, hostname: "10.0.0.1", port: 80 };
    assert.equal(matchesNoProxy(v4, "10.0.0.1"), true);
    assert.equal(matchesNoProxy(v4, "0.0.1"), false);
    assert.equal(matchesNoProxy(v4, "10.0.0.1:80"), true);
    const v6 = { secure: false, hostname: "::1", port: 80 };
    assert.equal(matchesNoProxy(v6, "::1"), true);
    assert.equal(matchesNoProxy(v6, "[::1]"), true);
    assert.equal(matchesNoProxy(v6, "[::1]:80"), true);
    assert.equal(matchesNoProxy(v6, "[::1]:81"), false);
    assert.equal(matchesNoProxy(v6, "2::1"), false);
  });
});
