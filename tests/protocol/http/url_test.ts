import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  basicAuthorization,
  parseWebSocketUrl,
  parseWebSocketUrlOnce,
} from "../../../src/protocol/http/url.ts";
import { URL_ERROR_VECTORS, URL_VECTORS } from "../../vectors/urls.ts";
import {
  describeSeedVectors,
  type SeedUrlParseVector,
  type SeedUrlToStringVector,
  seedVectors,
} from "../../_util/seed_vectors.ts";

describe("parseWebSocketUrl (WHATWG WebSockets constructor steps 1-7, RFC 6455 §3)", () => {
  for (const vector of URL_VECTORS) {
    it(`parses ${vector.name}: ${vector.input}`, () => {
      assert.deepEqual(parseWebSocketUrl(vector.input, vector.base), vector.expected);
    });
  }

  for (const vector of URL_ERROR_VECTORS) {
    it(`refuses ${vector.name}: ${vector.input}`, () => {
      assert.throws(() => parseWebSocketUrl(vector.input, vector.base), (error: unknown) => {
        assert.ok(error instanceof SyntaxError);
        assert.equal(error.message, vector.message);
        return true;
      });
    });
  }

  it("accepts a URL object", () => {
    assert.equal(parseWebSocketUrl(new URL("https://example.com/a")).href, "wss://example.com/a");
  });

  it("accepts a URL object as the base", () => {
    assert.equal(
      parseWebSocketUrl("b", new URL("http://example.com/a/")).href,
      "ws://example.com/a/b",
    );
  });

  it("does not modify a URL object it is given", () => {
    const input = new URL("http://example.com/");
    parseWebSocketUrl(input);
    assert.equal(input.href, "http://example.com/");
  });
});

describeSeedVectors("parseWebSocketUrl against the seed library's url.t", () => {
  for (const vector of seedVectors("url")) {
    if (vector.op === "url.parse") {
      const { input, expect } = vector as SeedUrlParseVector;
      it(`${vector.id}: ${vector.what}`, () => {
        const url = parseWebSocketUrl(input.url);
        assert.equal(url.hostname, expect.host);
        assert.equal(url.port, expect.port);
        assert.equal(url.resource, expect.resource_name);
        assert.equal(url.secure, expect.secure === 1);
      });
    } else if (vector.op === "url.to_string") {
      const { input, expect } = vector as SeedUrlToStringVector;
      it(`${vector.id}: ${vector.what}`, () => {
        assert.equal(parseWebSocketUrl(`ws://${input.host}:${input.port}`).href, expect.url);
      });
    }
  }
});

describe("basicAuthorization (RFC 7617 §2)", () => {
  it("returns null without userinfo", () => {
    assert.equal(basicAuthorization(parseWebSocketUrl("ws://example.com/")), null);
  });

  it("encodes the RFC 7617 §2 example", () => {
    const url = parseWebSocketUrl("ws://Aladdin:open%20sesame@example.com/");
    assert.equal(basicAuthorization(url), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  });

  it("encodes a username without a password as user:", () => {
    assert.equal(basicAuthorization(parseWebSocketUrl("ws://user@example.com/")), "Basic dXNlcjo=");
  });

  it("encodes a password without a username as :password", () => {
    assert.equal(
      basicAuthorization(parseWebSocketUrl("ws://:secret@example.com/")),
      "Basic OnNlY3JldA==",
    );
  });

  it("encodes non-ASCII credentials as UTF-8 (RFC 7617 §2.1)", () => {
    const url = parseWebSocketUrl("ws://test:123%C2%A3@example.com/");
    assert.equal(url.password, "123£");
    assert.equal(basicAuthorization(url), "Basic dGVzdDoxMjPCow==");
  });

  it("refuses a username holding a colon (RFC 7617 §2)", () => {
    const url = parseWebSocketUrl("ws://a%3Ab:c@example.com/");
    assert.equal(url.username, "a:b");
    assert.throws(() => basicAuthorization(url), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.equal(error.message, 'Cannot build Authorization header: the username contains ":"');
      return true;
    });
  });
});

describe("parseWebSocketUrlOnce (the connections' parse, remembering the last URL)", () => {
  it("parses a URL once while it is the same text, and gives the same result as parseWebSocketUrl", () => {
    const text = "ws://127.0.0.1:8080/conn?x=1";
    const first = parseWebSocketUrlOnce(text);
    assert.deepEqual({ ...first }, parseWebSocketUrl(text));
    assert.equal(parseWebSocketUrlOnce(text), first, "the same text: the remembered result");
    assert.equal(
      parseWebSocketUrlOnce(new URL(text)),
      first,
      "a URL object serializes to the same text",
    );
    const other = parseWebSocketUrlOnce("http://example.com/");
    assert.notEqual(other, first);
    assert.equal(other.href, "ws://example.com/");
    assert.notEqual(parseWebSocketUrlOnce(text), first, "only the last URL is remembered");
  });

  it("freezes what it shares, and does not remember a URL it refuses", () => {
    const url = parseWebSocketUrlOnce("wss://example.com/a");
    assert.ok(Object.isFrozen(url));
    assert.throws(() => parseWebSocketUrlOnce("ftp://example.com/"), SyntaxError);
    assert.throws(() => parseWebSocketUrlOnce("ftp://example.com/"), SyntaxError);
    assert.equal(parseWebSocketUrlOnce("wss://example.com/a"), url);
  });
});
