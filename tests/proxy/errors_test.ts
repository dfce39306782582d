import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ProxyError } from "../../src/proxy/errors.ts";

describe("ProxyError", () => {
  it("keeps code, proxy, status, headers and reply code", () => {
    const error = new ProxyError("CONNECT_REFUSED", "Cannot open tunnel: x", {
      proxy: "http://p:1",
      status: 407,
      statusText: "Proxy Authentication Required",
      headers: [["proxy-authenticate", "Basic"]],
    });
    assert.ok(error instanceof Error);
    assert.equal(error.name, "ProxyError");
    assert.equal(error.code, "CONNECT_REFUSED");
    assert.equal(error.message, "Cannot open tunnel: x");
    assert.equal(error.proxy, "http://p:1");
    assert.equal(error.status, 407);
    assert.deepEqual(error.headers, [["proxy-authenticate", "Basic"]]);
    assert.equal(error.replyCode, 0);
  });

  it("defaults the details and keeps a cause", () => {
    const cause = new Error("inner");
    const error = new ProxyError("SOCKS_REFUSED", "Cannot open tunnel: y", { replyCode: 5, cause });
    assert.equal(error.proxy, "");
    assert.equal(error.status, 0);
    assert.equal(error.statusText, "");
    assert.deepEqual(error.headers, []);
    assert.equal(error.replyCode, 5);
    assert.equal(error.cause, cause);
  });
});
