import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  formatCookiePairs,
  formatSetCookie,
  parseCookieHeader,
  parseCookiePairs,
  type SetCookieInit,
} from "../../../src/protocol/http/cookie.ts";
import { describeSeedVectors, seedVectors } from "../../_util/seed_vectors.ts";

describe("parseCookiePairs (the seed's pair grammar)", () => {
  const VECTORS: ReadonlyArray<
    readonly [string, string, ReadonlyArray<readonly [string, string | null]>]
  > = [
    ["plain pairs", "a=1; b=2", [["a", "1"], ["b", "2"]]],
    ["no space after ;", "foo=bar;alice=bob", [["foo", "bar"], ["alice", "bob"]]],
    ["spaces around =", "baz = zab", [["baz", "zab"]]],
    ["a quoted value holding ; and an escaped quote", 'a="x;\\"y"', [["a", 'x;"y']]],
    ["an empty quoted value", 'a=""', [["a", ""]]],
    ["a bare name", "Secure; a=1", [["Secure", null], ["a", "1"]]],
    ["= inside a value (base64)", "t=YWJj==", [["t", "YWJj=="]]],
    ["comma-separated pairs (RFC 2965)", "a=1, b=2", [["a", "1"], ["b", "2"]]],
    ["nothing", "", []],
  ];
  for (const [name, input, expected] of VECTORS) {
    it(`parses ${name}`, () => {
      assert.deepEqual(parseCookiePairs(input), expected);
    });
  }
});

describe("formatCookiePairs", () => {
  it("quotes values that are not plain, escaping quotes, so they read back the same", () => {
    const pairs = [["a", 'x;"y'], ["b", ""], ["c", "plain"], ["Secure", null]] as const;
    const text = formatCookiePairs(pairs);
    assert.equal(text, 'a="x;\\"y"; b=""; c=plain; Secure');
    assert.deepEqual(parseCookiePairs(text), pairs);
  });

  it("refuses names and values that would break the header", () => {
    assert.throws(() => formatCookiePairs([["a b", "1"]]), {
      name: "TypeError",
      message: 'Cannot format cookie: invalid name "a b"',
    });
    assert.throws(() => formatCookiePairs([["a", "1\r\nX: y"]]), {
      name: "TypeError",
      message: 'Cannot format cookie: the value of "a" holds a control character',
    });
  });
});

describe("parseCookieHeader (RFC 6265 §5.4, RFC 2965 §3.3.4)", () => {
  it("reads RFC 6265 cookies, without a version", () => {
    assert.deepEqual(parseCookieHeader("foo=bar; alice=bob"), [
      { name: "foo", value: "bar", version: null },
      { name: "alice", value: "bob", version: null },
    ]);
  });

  it("applies $Version, $Path and $Domain", () => {
    assert.deepEqual(
      parseCookieHeader('$Version="1"; a=1; $Path="/x"; b=2; $Domain=.example.com'),
      [
        { name: "a", value: "1", version: 1, path: "/x" },
        { name: "b", value: "2", version: 1, domain: ".example.com" },
      ],
    );
  });

  it("ignores attributes without a cookie before them, and unknown ones", () => {
    assert.deepEqual(parseCookieHeader("$Path=/; $Port=80; a=1; $Version=2"), [
      { name: "a", value: "1", version: null },
    ]);
  });

  it("reads nothing from an absent or empty header", () => {
    assert.deepEqual(parseCookieHeader(null), []);
    assert.deepEqual(parseCookieHeader(""), []);
  });
});

describe("formatSetCookie", () => {
  it("writes every attribute in the seed's order", () => {
    const cookie: SetCookieInit = {
      name: "id",
      value: "a b",
      comment: "hi",
      commentUrl: "http://x/",
      discard: true,
      maxAge: 60,
      path: "/",
      domain: "example.com",
      port: [80, 8080],
      secure: true,
      httpOnly: true,
      sameSite: "Lax",
    };
    assert.equal(
      formatSetCookie(cookie),
      'id="a b"; Comment=hi; CommentURL=http://x/; Discard; Max-Age=60; Path=/; Domain=example.com; ' +
        'Port="80 8080"; Secure; HttpOnly; SameSite=Lax; Version=1',
    );
  });

  it("leaves Version out on request", () => {
    assert.equal(formatSetCookie({ name: "a", value: "1", version: false }), "a=1");
  });

  it("refuses invalid attributes", () => {
    assert.throws(() => formatSetCookie({ name: "a", value: "1", maxAge: -1 }), {
      name: "RangeError",
      message: "Cannot format cookie: maxAge must be an integer >= 0, got -1",
    });
    assert.throws(() => formatSetCookie({ name: "a", value: "1", port: 70000 }), {
      name: "RangeError",
      message: "Cannot format cookie: invalid port 70000",
    });
    assert.throws(() => formatSetCookie({ name: "a", value: "1", sameSite: "Bad" as never }), {
      name: "TypeError",
      message: 'Cannot format cookie: invalid SameSite "Bad"',
    });
    assert.throws(() => formatSetCookie({ name: "a", value: "1", path: "/\n" }), TypeError);
  });
});

describeSeedVectors("cookies against the seed library's cookie.t", () => {
  for (const vector of seedVectors("cookie")) {
    const input = vector.input as Record<string, unknown>;
    it(`${vector.id}: ${vector.what}`, () => {
      if (vector.op === "cookie.parse") {
        const expect = vector.expect as { pairs: [string, string | null][]; to_string?: string };
        const pairs = parseCookiePairs(input.string as string);
        assert.deepEqual(pairs, expect.pairs);
        if (expect.to_string !== undefined) {
          assert.equal(formatCookiePairs(pairs), expect.to_string);
        }
      } else if (vector.op === "cookie.request.parse") {
        const expect = vector.expect as { cookies: Record<string, unknown>[] };
        const cookies = parseCookieHeader(input.string as string);
        assert.equal(cookies.length, expect.cookies.length);
        cookies.forEach((cookie, i) => {
          // The seed's vectors list the fields it sets; compare those.
          for (const [key, value] of Object.entries(expect.cookies[i]!)) {
            assert.deepEqual((cookie as unknown as Record<string, unknown>)[key], value, key);
          }
        });
      } else {
        const cookie: SetCookieInit = {
          name: input.name as string,
          value: input.value as string,
          ...(input.discard === undefined ? {} : { discard: input.discard === 1 }),
          ...(input.max_age === undefined ? {} : { maxAge: input.max_age as number }),
          ...(input.portlist === undefined ? {} : { port: input.portlist as number }),
        };
        assert.equal(formatSetCookie(cookie), (vector.expect as { string: string }).string);
      }
    });
  }
});
