import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_MAX_REDIRECTS, nextHop, redirectPolicy, withChain } from "../src/redirect.ts";
import { HandshakeError } from "../src/protocol/errors.ts";
import { parseWebSocketUrl } from "../src/protocol/http/url.ts";

function redirect(status: number, location?: string): HandshakeError {
  return new HandshakeError(
    "UNEXPECTED_STATUS",
    `Cannot open connection: server answered ${status}`,
    {
      status,
      statusText: "",
      headers: location === undefined ? [] : [["location", location]],
      body: new Uint8Array(),
    },
  );
}

const policy = { maxRedirects: 3, allowInsecure: false };
const wss = parseWebSocketUrl("wss://a.example/x/y");

describe("redirectPolicy", () => {
  it("is off by default, with false and with 0", () => {
    assert.equal(redirectPolicy({}), null);
    assert.equal(redirectPolicy({ followRedirects: false }), null);
    assert.equal(redirectPolicy({ followRedirects: 0 }), null);
  });

  it("takes true as the default hop count, or a number", () => {
    assert.deepEqual(redirectPolicy({ followRedirects: true }), {
      maxRedirects: DEFAULT_MAX_REDIRECTS,
      allowInsecure: false,
    });
    assert.deepEqual(redirectPolicy({ followRedirects: 2, allowInsecureRedirects: true }), {
      maxRedirects: 2,
      allowInsecure: true,
    });
  });

  it("refuses bad values naming the option", () => {
    assert.throws(() => redirectPolicy({ followRedirects: 101 }), { name: "RangeError" });
    assert.throws(() => redirectPolicy({ followRedirects: "yes" as never }), {
      name: "TypeError",
      message: "Cannot create WebSocket: followRedirects must be a boolean or a number",
    });
    assert.throws(() => redirectPolicy({ allowInsecureRedirects: 1 as never }), {
      name: "TypeError",
      message: "Cannot create WebSocket: allowInsecureRedirects must be a boolean",
    });
  });
});

describe("nextHop", () => {
  it("follows each redirect status and no other", () => {
    for (const status of [301, 302, 303, 307, 308]) {
      assert.equal(nextHop(wss, redirect(status, "/z"), policy, 0).kind, "follow");
    }
    for (const status of [300, 304, 305, 400]) {
      assert.deepEqual(nextHop(wss, redirect(status, "/z"), policy, 0), { kind: "none" });
    }
    assert.deepEqual(nextHop(wss, new Error("x"), policy, 0), { kind: "none" });
    assert.deepEqual(nextHop(wss, null, policy, 0), { kind: "none" });
  });

  it("resolves relative Locations, maps https: to wss: and drops a fragment", () => {
    assert.deepEqual(nextHop(wss, redirect(302, "z?q=1#frag"), policy, 0), {
      kind: "follow",
      url: "wss://a.example/x/z?q=1",
      sameOrigin: true,
    });
    assert.deepEqual(nextHop(wss, redirect(302, "https://b.example:8443/"), policy, 0), {
      kind: "follow",
      url: "wss://b.example:8443/",
      sameOrigin: false,
    });
    assert.equal(
      nextHop(parseWebSocketUrl("ws://a.example/"), redirect(301, "ws://a.example:81/"), policy, 0)
        .kind === "follow",
      true,
    );
  });

  it("refuses a missing or unusable Location, the hop limit and a downgrade", () => {
    assert.deepEqual(nextHop(wss, redirect(302), policy, 0), {
      kind: "refuse",
      why: "the redirect has no Location",
    });
    assert.deepEqual(nextHop(wss, redirect(302, "ftp://x/"), policy, 0), {
      kind: "refuse",
      why: 'the Location "ftp://x/" is not a WebSocket URL',
    });
    assert.deepEqual(nextHop(wss, redirect(302, "/z"), policy, 3), {
      kind: "refuse",
      why: "more than 3 redirects",
    });
    assert.deepEqual(nextHop(wss, redirect(302, "http://a.example/"), policy, 0), {
      kind: "refuse",
      why:
        "the redirect to ws://a.example/ would drop TLS (set allowInsecureRedirects to allow it)",
    });
    assert.equal(
      nextHop(wss, redirect(302, "http://a.example/"), { ...policy, allowInsecure: true }, 0).kind,
      "follow",
    );
  });
});

describe("withChain", () => {
  it("keeps code and response, adds the chain and the reason", () => {
    const error = withChain(redirect(302, "/z"), ["ws://a/", "ws://b/"], "more than 2 redirects");
    assert.equal(error.code, "UNEXPECTED_STATUS");
    assert.equal(error.status, 302);
    assert.deepEqual(error.headers, [["location", "/z"]]);
    assert.deepEqual(error.redirects, ["ws://a/", "ws://b/"]);
    assert.equal(
      error.message,
      "Cannot open connection: server answered 302; not followed: more than 2 redirects (redirected from ws://a/ -> ws://b/)",
    );
    assert.equal(
      withChain(redirect(404), []).message,
      "Cannot open connection: server answered 404",
    );
  });
});
