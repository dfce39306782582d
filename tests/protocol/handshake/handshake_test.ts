import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { HandshakeError } from "../../../src/protocol/errors.ts";
import type { Extension, ExtensionParams } from "../../../src/protocol/extensions/extension.ts";
import {
  CompactHandshakeResult,
  computeAcceptKey,
  createHandshakeRequest,
  generateKey,
  type HandshakeRequestOptions,
  validateHandshakeResponse,
  validateProtocols,
  WEBSOCKET_GUID,
} from "../../../src/protocol/handshake/handshake.ts";
import {
  getHeader,
  type ResponseHead,
  ResponseHeadParser,
} from "../../../src/protocol/http/http_response.ts";
import { parseWebSocketUrl } from "../../../src/protocol/http/url.ts";
import { hasToken, splitList } from "../../../src/protocol/handshake/_headers.ts";
import {
  type FakeExtensionSpec,
  HANDSHAKE_RESPONSE_VECTORS,
  RFC6455_RESPONSE,
  SAMPLE_ACCEPT,
  SAMPLE_KEY,
} from "../../vectors/handshake.ts";
import { latin1 } from "../../_util/chunking.ts";
import {
  describeSeedVectors,
  type SeedAcceptVector,
  seedBytes,
  type SeedClientVector,
  type SeedResponseParseVector,
  seedVector,
  seedVectors,
} from "../../_util/seed_vectors.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function head(response: string): ResponseHead {
  const parsed = new ResponseHeadParser().push(latin1(response));
  assert.ok(parsed !== null, "incomplete head in the vector");
  return parsed;
}

function fakeExtension(spec: FakeExtensionSpec, offer: ExtensionParams = []): Extension {
  return {
    name: spec.name,
    offer: () => offer,
    accept(params) {
      if (spec.reject !== undefined) throw new TypeError(spec.reject);
      return {
        name: spec.name,
        params,
        rsv: spec.rsv,
        decode: (payload) => payload,
        encode: (payload) => ({ payload, rsv: spec.rsv }),
      };
    },
  };
}

function request(
  options: Partial<HandshakeRequestOptions> & { url?: HandshakeRequestOptions["url"] },
): string {
  return text(
    createHandshakeRequest({
      url: parseWebSocketUrl("ws://example.com/chat"),
      key: SAMPLE_KEY,
      ...options,
    }),
  );
}

const BASE_LINES = "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
  `Sec-WebSocket-Key: ${SAMPLE_KEY}\r\nSec-WebSocket-Version: 13\r\n`;

function assertTypeError(
  fn: () => unknown,
  message: string,
  kind: ErrorConstructor = TypeError,
): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof kind, `expected ${kind.name}, got ${String(error)}`);
    assert.equal(error.constructor, kind);
    assert.equal(error.message, message);
    return true;
  });
}

describe("splitList and hasToken (RFC 9110 §5.6.1): one element without a split, as a list", () => {
  it("gives a single element the list path's answer", () => {
    for (const value of ["websocket", " websocket\t", "", "  ", "a b", "Upgrade"]) {
      // The list path: what a trailing comma (an empty element, dropped) forces.
      assert.deepEqual(splitList(value), splitList(`${value},`), JSON.stringify(value));
      assert.equal(hasToken(value, "upgrade"), hasToken(`${value},`, "upgrade"), value);
    }
    assert.deepEqual(splitList(" websocket "), ["websocket"]);
    assert.deepEqual(splitList(" "), []);
    assert.deepEqual(splitList("a, ,b,"), ["a", "b"]);
  });

  it("finds a token ASCII case-insensitively, alone or in a list", () => {
    assert.equal(hasToken(" Upgrade ", "upgrade"), true);
    assert.equal(hasToken("keep-alive, UPGRADE", "upgrade"), true);
    assert.equal(hasToken("keep-alive", "upgrade"), false);
    assert.equal(hasToken("upgrades", "upgrade"), false);
    assert.equal(hasToken(null, "upgrade"), false);
  });
});

describe("generateKey (RFC 6455 §4.1 step 7)", () => {
  it("base64-encodes 16 bytes from the injected source", () => {
    const key = generateKey((n) => Uint8Array.from({ length: n }, (_, i) => i));
    assert.equal(key, "AAECAwQFBgcICQoLDA0ODw==");
  });

  it("asks for exactly 16 bytes", () => {
    const asked: number[] = [];
    generateKey((n) => {
      asked.push(n);
      return new Uint8Array(n);
    });
    assert.deepEqual(asked, [16]);
  });

  it("refuses a source that returns the wrong number of bytes", () => {
    assertTypeError(
      () => generateKey(() => new Uint8Array(15)),
      "Cannot generate handshake key: randomBytes(16) did not return 16 bytes",
    );
  });
});

describe("computeAcceptKey (RFC 6455 §4.2.2 step 5.4)", () => {
  it("computes the RFC 6455 §1.3 example", () => {
    assert.equal(computeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });

  it("uses the RFC 6455 GUID", () => {
    assert.equal(WEBSOCKET_GUID, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  });
});

describeSeedVectors("computeAcceptKey against the seed library's accept vectors", () => {
  for (const vector of seedVectors("accept-key")) {
    it(`matches seed vector ${vector.id}: ${vector.what}`, () => {
      const { input, expect } = vector as SeedAcceptVector;
      assert.equal(computeAcceptKey(input.key), expect.accept);
    });
  }
});

describe("validateProtocols (RFC 6455 §4.1 step 10, WHATWG constructor step 9)", () => {
  it("accepts distinct tokens", () => {
    validateProtocols(["chat", "superchat", "v1.json+x", "!#$%&'*+-.^_`|~"]);
  });

  it("accepts an empty list", () => {
    validateProtocols([]);
  });

  const invalid: ReadonlyArray<readonly [string, string[], string]> = [
    ["an empty name", [""], 'the subprotocol "" is not a token'],
    ["a space", ["a b"], 'the subprotocol "a b" is not a token'],
    ["a comma (it would split the header)", ["a,b"], 'the subprotocol "a,b" is not a token'],
    ["a separator", ["chat/1"], 'the subprotocol "chat/1" is not a token'],
    ["a control character", ["a\x00"], 'the subprotocol "a\\u0000" is not a token'],
    ["a CRLF injection", ["a\r\nX-Evil: 1"], 'the subprotocol "a\\r\\nX-Evil: 1" is not a token'],
    ["a non-ASCII character (above U+007E)", ["chät"], 'the subprotocol "chät" is not a token'],
    ["an exact duplicate", ["chat", "chat"], 'the subprotocol "chat" is repeated'],
    [
      "a duplicate in another case (web-platform-tests)",
      ["chat", "CHAT"],
      'the subprotocol "CHAT" is repeated',
    ],
  ];
  for (const [name, protocols, detail] of invalid) {
    it(`refuses ${name} with a SyntaxError`, () => {
      assertTypeError(
        () => validateProtocols(protocols),
        `Cannot create handshake request: ${detail}`,
        SyntaxError,
      );
    });
  }
});

describe("createHandshakeRequest (RFC 6455 §4.1)", () => {
  it("writes the minimal request", () => {
    assert.equal(request({}), `GET /chat HTTP/1.1\r\nHost: example.com\r\n${BASE_LINES}\r\n`);
  });

  it("writes the request of RFC 6455 §1.3 with Origin, subprotocols and an extension", () => {
    const actual = request({
      url: parseWebSocketUrl("ws://server.example.com/chat"),
      origin: "http://example.com",
      protocols: ["chat", "superchat"],
      extensions: [
        fakeExtension({ name: "permessage-deflate", rsv: 4 }, [["client_max_window_bits", true]]),
      ],
    });
    assert.equal(
      actual,
      "GET /chat HTTP/1.1\r\nHost: server.example.com\r\n" + BASE_LINES +
        "Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n" +
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
    );
  });

  it("offers several extensions in order", () => {
    const actual = request({
      extensions: [
        fakeExtension({ name: "x-one", rsv: 4 }, [["a", "1"]]),
        fakeExtension({ name: "x-two", rsv: 2 }),
      ],
    });
    assert.match(actual, /\r\nSec-WebSocket-Extensions: x-one; a=1, x-two\r\n/);
  });

  it("writes the resource name with its query (RFC 6455 §3)", () => {
    assert.match(
      request({ url: parseWebSocketUrl("wss://example.com/a b?x=1&y") }),
      /^GET \/a%20b\?x=1&y HTTP\/1\.1\r\n/,
    );
  });

  it("writes / for an empty path", () => {
    assert.match(request({ url: parseWebSocketUrl("ws://example.com") }), /^GET \/ HTTP\/1\.1\r\n/);
  });

  it("writes Host with brackets and a non-default port for IPv6 (RFC 6455 §4.1 step 4)", () => {
    assert.match(
      request({ url: parseWebSocketUrl("ws://[::1]:8080/x?y") }),
      /^GET \/x\?y HTTP\/1\.1\r\nHost: \[::1\]:8080\r\n/,
    );
  });

  it("leaves the default port out of Host", () => {
    assert.match(
      request({ url: parseWebSocketUrl("wss://example.com:443/") }),
      /\r\nHost: example\.com\r\n/,
    );
    assert.match(
      request({ url: parseWebSocketUrl("wss://example.com:80/") }),
      /\r\nHost: example\.com:80\r\n/,
    );
  });

  it("sends Basic credentials from the URL's userinfo (RFC 7617 §2)", () => {
    assert.equal(
      request({ url: parseWebSocketUrl("ws://Aladdin:open%20sesame@example.com/") }),
      `GET / HTTP/1.1\r\nHost: example.com\r\n${BASE_LINES}Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n`,
    );
  });

  it("lets an Authorization header given by the user win over userinfo", () => {
    const actual = request({
      url: parseWebSocketUrl("ws://user:pass@example.com/"),
      headers: { authorization: "Bearer abc" },
    });
    assert.equal(
      actual,
      `GET / HTTP/1.1\r\nHost: example.com\r\n${BASE_LINES}authorization: Bearer abc\r\n\r\n`,
    );
  });

  it("appends user headers last, in order, with their casing, values trimmed", () => {
    const actual = request({
      headers: { "X-One": " 1 ", cookie: "a=b; c=d", "User-Agent": "wsport\ttest" },
    });
    assert.equal(
      actual,
      `GET /chat HTTP/1.1\r\nHost: example.com\r\n${BASE_LINES}X-One: 1\r\ncookie: a=b; c=d\r\nUser-Agent: wsport\ttest\r\n\r\n`,
    );
  });

  it("accepts headers as a list of pairs, repeated names kept", () => {
    const actual = request({ headers: [["X-A", "1"], ["X-A", "2"]] });
    assert.match(actual, /\r\nX-A: 1\r\nX-A: 2\r\n\r\n$/);
  });

  it("accepts a Headers object", () => {
    const headers = new Headers({ "X-A": "1" });
    assert.match(request({ headers }), /\r\nx-a: 1\r\n\r\n$/);
  });

  it("accepts a Map (anything with forEach(value, name))", () => {
    assert.match(request({ headers: new Map([["X-A", "1"]]) }), /\r\nX-A: 1\r\n\r\n$/);
  });

  it("writes obs-text values as Latin-1 bytes (Fetch byte strings)", () => {
    const bytes = createHandshakeRequest({
      url: parseWebSocketUrl("ws://example.com/"),
      key: SAMPLE_KEY,
      headers: { "X-Latin": "caf\xe9" },
    });
    const at = bytes.length - "\xe9\r\n\r\n".length;
    assert.equal(bytes[at], 0xe9);
  });

  it("lets the user override Host, sent once in its usual place", () => {
    const actual = request({ headers: { "X-A": "1", host: "virtual.example" } });
    assert.equal(
      actual,
      `GET /chat HTTP/1.1\r\nHost: virtual.example\r\n${BASE_LINES}X-A: 1\r\n\r\n`,
    );
  });

  it("accepts Origin from the headers when the option is not given", () => {
    assert.match(
      request({ headers: { Origin: "https://app.example" } }),
      /\r\nOrigin: https:\/\/app\.example\r\n\r\n$/,
    );
  });

  it("writes no Sec-WebSocket-Protocol or Sec-WebSocket-Extensions for empty offers", () => {
    assert.equal(request({ protocols: [], extensions: [] }), request({}));
  });

  const reserved = [
    ["Upgrade", "it is set by the protocol"],
    ["connection", "it is set by the protocol"],
    ["Sec-WebSocket-Key", "it is set by the protocol"],
    ["SEC-WEBSOCKET-VERSION", "it is set by the protocol"],
    ["Sec-WebSocket-Accept", "it is a response header"],
    ["Sec-WebSocket-Extensions", "use the extensions option"],
    ["sec-websocket-protocol", "use the protocols option"],
    ["Content-Length", "the handshake request has no body"],
    ["Transfer-Encoding", "the handshake request has no body"],
  ] as const;
  for (const [name, reason] of reserved) {
    it(`refuses the protocol-owned header ${name}`, () => {
      assertTypeError(
        () => request({ headers: [[name, "x"]] }),
        `Cannot create handshake request: cannot set header ${JSON.stringify(name)}: ${reason}`,
      );
    });
  }

  const injections: ReadonlyArray<readonly [string, string, string, string]> = [
    [
      "CRLF in a value (header injection)",
      "X-A",
      "1\r\nX-Evil: 1",
      'invalid value for header "X-A": character (U+000D) at position 1; a header value is a byte string (U+0000-U+00FF) without CR, LF or NUL',
    ],
    [
      "a bare LF in a value",
      "X-A",
      "1\nX-Evil: 1",
      'invalid value for header "X-A": character (U+000A) at position 1; a header value is a byte string (U+0000-U+00FF) without CR, LF or NUL',
    ],
    [
      "a bare CR in a value",
      "X-A",
      "1\rX",
      'invalid value for header "X-A": character (U+000D) at position 1; a header value is a byte string (U+0000-U+00FF) without CR, LF or NUL',
    ],
    [
      "NUL in a value",
      "X-A",
      "a\x00b",
      'invalid value for header "X-A": character (U+0000) at position 1; a header value is a byte string (U+0000-U+00FF) without CR, LF or NUL',
    ],
    [
      "a control character in a value",
      "X-A",
      "a\x07b",
      'invalid value for header "X-A": character (U+0007) at position 1; a header value is a byte string (U+0000-U+00FF) without CR, LF or NUL',
    ],
    [
      "a character above U+00FF in a value",
      "X-A",
      "caf\u0113",
      'invalid value for header "X-A": character "ē" (U+0113) at position 3; a header value is a byte string (U+0000-U+00FF) without CR, LF or NUL',
    ],
    ["CRLF in a name", "X-A\r\nX-Evil", "1", 'invalid header name "X-A\\r\\nX-Evil"'],
    ["a space in a name", "X A", "1", 'invalid header name "X A"'],
    ["a colon in a name", "X-A:", "1", 'invalid header name "X-A:"'],
    ["an empty name", "", "1", 'invalid header name ""'],
  ];
  for (const [name, header, value, detail] of injections) {
    it(`refuses ${name}`, () => {
      assertTypeError(
        () => request({ headers: [[header, value]] }),
        `Cannot create handshake request: ${detail}`,
      );
    });
  }

  it("refuses an Origin option with CRLF", () => {
    assertTypeError(
      () => request({ origin: "http://a\r\nX-Evil: 1" }),
      'Cannot create handshake request: invalid value for header "Origin": character (U+000D) at position 8; a header value is a byte string (U+0000-U+00FF) without CR, LF or NUL',
    );
  });

  it("refuses Host given twice", () => {
    assertTypeError(
      () => request({ headers: [["Host", "a"], ["host", "b"]] }),
      "Cannot create handshake request: Host is given more than once",
    );
  });

  it("refuses Origin given both as an option and as a header", () => {
    assertTypeError(
      () => request({ origin: "http://a", headers: { origin: "http://b" } }),
      "Cannot create handshake request: Origin is given both as an option and as a header",
    );
  });

  for (
    const key of [
      "",
      "short",
      "AAAAAAAAAAAAAAAAAAAAAA",
      "AAAAAAAAAAAAAAAAAAAAAAAA",
      "AAAAAAAAAAAAAAAAAAAAA===",
      "dGhlIHNhbXBsZSBub25jZQ==\r\nX: 1",
    ]
  ) {
    it(`refuses the key ${JSON.stringify(key)}, not the base64 of 16 bytes (RFC 6455 §4.1 step 7)`, () => {
      assertTypeError(
        () => request({ key }),
        `Cannot create handshake request: the key ${
          JSON.stringify(key)
        } is not the base64 of 16 bytes`,
      );
    });
  }

  it("refuses invalid subprotocols with a SyntaxError", () => {
    assertTypeError(
      () => request({ protocols: ["chat", "Chat"] }),
      'Cannot create handshake request: the subprotocol "Chat" is repeated',
      SyntaxError,
    );
  });

  it("refuses an extension offer that is not made of tokens", () => {
    assertTypeError(
      () => request({ extensions: [fakeExtension({ name: "x", rsv: 4 }, [["a", "1\r\nX: y"]])] }),
      'Cannot format Sec-WebSocket-Extensions: parameter "a" of x is not a token or has a non-token value',
    );
  });

  it("refuses userinfo whose username holds a colon", () => {
    assertTypeError(
      () => request({ url: parseWebSocketUrl("ws://a%3Ab:c@example.com/") }),
      'Cannot build Authorization header: the username contains ":"',
    );
  });
});

describeSeedVectors("createHandshakeRequest against the seed library's client requests", () => {
  for (const vector of seedVectors("handshake-client")) {
    const { input } = vector as SeedClientVector;
    if (vector.version !== "draft-ietf-hybi-17" || input.url === undefined) continue;
    // The seed spells "Upgrade: WebSocket" and defaults Origin to http(s)://Host;
    // those are its choices, not RFC 6455 rules. The request line, Host, key and
    // version are compared.
    it(`${vector.id}: ${vector.what}`, () => {
      const expected = text(seedBytes(input.steps[0]!.to_string!)).split("\r\n");
      const actual = text(
        createHandshakeRequest({ url: parseWebSocketUrl(input.url!), key: input.mock!.key! }),
      )
        .split("\r\n");
      assert.equal(actual[0], expected[0]);
      for (const name of ["Host", "Sec-WebSocket-Key", "Sec-WebSocket-Version"]) {
        const line = (lines: string[]) => lines.find((item) => item.startsWith(`${name}: `));
        assert.equal(line(actual), line(expected), name);
      }
    });
  }
});

describe("validateHandshakeResponse (RFC 6455 §4.1 steps 1-6)", () => {
  const body = latin1("not found");
  for (const vector of HANDSHAKE_RESPONSE_VECTORS) {
    const expected = vector.expected;
    it(`${"code" in expected ? "refuses" : "accepts"} ${vector.name}`, () => {
      const response = head(vector.head);
      const run = () =>
        validateHandshakeResponse(response, {
          key: SAMPLE_KEY,
          protocols: vector.protocols ?? [],
          extensions: (vector.extensions ?? []).map((spec) => fakeExtension(spec)),
          body,
        });
      if ("code" in expected) {
        assert.throws(run, (error: unknown) => {
          assert.ok(error instanceof HandshakeError);
          assert.equal(error.code, expected.code);
          assert.equal(error.message, expected.message);
          assert.equal(error.status, response.status);
          assert.equal(error.statusText, response.statusText);
          assert.equal(error.headers, response.headers);
          assert.equal(error.body, body);
          return true;
        });
      } else {
        const result = run();
        assert.equal(result.status, 101);
        assert.equal(result.statusText, response.statusText);
        assert.equal(result.headers, response.headers);
        assert.equal(result.protocol, expected.protocol);
        assert.deepEqual(result.extensions.map((extension) => extension.name), expected.extensions);
        assert.equal(result.extensionsHeader, expected.extensionsHeader);
      }
    });
  }

  it("hands the server's parameters to the extension and returns its negotiated instance", () => {
    const seen: ExtensionParams[] = [];
    const extension: Extension = {
      name: "permessage-deflate",
      offer: () => [],
      accept(params) {
        seen.push(params);
        return {
          name: this.name,
          params,
          rsv: 4,
          decode: (p) => p,
          encode: (p) => ({ payload: p, rsv: 4 }),
        };
      },
    };
    const result = validateHandshakeResponse(
      head(
        RFC6455_RESPONSE.replace(
          "\r\n\r\n",
          '\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits="10"; client_no_context_takeover\r\n\r\n',
        ),
      ),
      { key: SAMPLE_KEY, protocols: [], extensions: [extension] },
    );
    const params = [["server_max_window_bits", "10"], ["client_no_context_takeover", true]];
    assert.deepEqual(seen, [params]);
    assert.deepEqual(result.extensions[0]?.params, params);
    assert.equal(result.extensions[0]?.rsv, 4);
  });

  it("reports a non-Error thrown by an extension", () => {
    const extension: Extension = {
      name: "x-one",
      offer: () => [],
      accept() {
        throw "nope";
      },
    };
    assert.throws(
      () =>
        validateHandshakeResponse(
          head(RFC6455_RESPONSE.replace("\r\n\r\n", "\r\nSec-WebSocket-Extensions: x-one\r\n\r\n")),
          {
            key: SAMPLE_KEY,
            protocols: [],
            extensions: [extension],
          },
        ),
      (error: unknown) => {
        assert.ok(error instanceof HandshakeError);
        assert.equal(
          error.message,
          "Cannot open connection: the server accepted extension x-one with unacceptable parameters (nope)",
        );
        return true;
      },
    );
  });

  it("carries an empty body when none is given", () => {
    assert.throws(
      () =>
        validateHandshakeResponse(head("HTTP/1.1 500 Oops\r\n\r\n"), {
          key: SAMPLE_KEY,
          protocols: [],
          extensions: [],
        }),
      (error: unknown) => error instanceof HandshakeError && error.body.length === 0,
    );
  });

  it("accepts a response built with computeAcceptKey for any key", () => {
    const key = generateKey((n) => new Uint8Array(n).fill(0xab));
    const response =
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${
        computeAcceptKey(key)
      }\r\n\r\n`;
    assert.equal(
      validateHandshakeResponse(head(response), { key, protocols: [], extensions: [] }).protocol,
      "",
    );
    assert.notEqual(computeAcceptKey(key), SAMPLE_ACCEPT);
  });
});

describe("CompactHandshakeResult (what an open connection keeps)", () => {
  const response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
    "Connection: Upgrade\r\nSec-WebSocket-Accept: " + SAMPLE_ACCEPT + "\r\n" +
    "X-Note:  a: b ,c\t\r\nX-Empty:\r\nSet-Cookie: s=1\r\nset-cookie: t=2\r\n\r\n";

  it("gives back the same headers, statusText and negotiation, and the same list on every read", () => {
    const result = validateHandshakeResponse(head(response), {
      key: SAMPLE_KEY,
      protocols: [],
      extensions: [],
    });
    const compact = new CompactHandshakeResult(result);
    assert.equal(compact.status, 101);
    assert.equal(compact.statusText, "Switching Protocols");
    assert.equal(compact.protocol, "");
    assert.equal(compact.extensionsHeader, "");
    assert.deepEqual(compact.extensions, []);
    assert.deepEqual(compact.headers, result.headers);
    assert.deepEqual(compact.headers.at(-3), ["x-empty", ""]);
    assert.deepEqual(compact.headers[3], ["x-note", "a: b ,c"]);
    assert.equal(compact.headers, compact.headers);
    assert.deepEqual(JSON.parse(JSON.stringify(compact)), JSON.parse(JSON.stringify(result)));
  });

  it("keeps no list until the headers are read (one string instead)", () => {
    const result = validateHandshakeResponse(head(response), {
      key: SAMPLE_KEY,
      protocols: [],
      extensions: [],
    });
    const compact = new CompactHandshakeResult(result);
    // The list is built by the getter, so it is a new array, not the parser's.
    assert.notEqual(compact.headers, result.headers);
    const empty = new CompactHandshakeResult({ ...result, headers: [] });
    assert.deepEqual(empty.headers, []);
    // Connections without extensions share one frozen empty list.
    assert.equal(compact.extensions, empty.extensions);
    assert.ok(Object.isFrozen(compact.extensions));
  });
});

describeSeedVectors("validateHandshakeResponse against the seed library's responses", () => {
  it("handshake.response.parse.hybi10.basic: accepted, subprotocol chat", () => {
    const vector = seedVector<SeedResponseParseVector>("handshake.response.parse.hybi10.basic");
    const parser = new ResponseHeadParser();
    let response: ResponseHead | null = null;
    for (const chunk of vector.input.chunks) response = parser.push(seedBytes(chunk));
    const result = validateHandshakeResponse(response!, {
      key: SAMPLE_KEY,
      protocols: ["chat"],
      extensions: [],
    });
    assert.equal(result.protocol, vector.expect.subprotocol);
  });

  it("handshake.client.hybi10.demo: the 101 response with the right accept is accepted", () => {
    const vector = seedVector<SeedClientVector>("handshake.client.hybi10.demo");
    const step = vector.input.steps.find((item) =>
      item.parse !== undefined && seedBytes(item.parse).length > 0
    )!;
    const response = new ResponseHeadParser().push(seedBytes(step.parse!))!;
    const result = validateHandshakeResponse(response, {
      key: vector.input.mock!.key!,
      protocols: [],
      extensions: [],
    });
    assert.equal(getHeader(result.headers, "sec-websocket-accept"), SAMPLE_ACCEPT);
  });

  it("handshake.response.parse.error.hixie_no_location: a response without Sec-WebSocket-Accept is refused", () => {
    const vector = seedVector<SeedResponseParseVector>(
      "handshake.response.parse.error.hixie_no_location",
    );
    const response = new ResponseHeadParser().push(seedBytes(vector.input.chunks[0]!))!;
    assert.throws(
      () => validateHandshakeResponse(response, { key: SAMPLE_KEY, protocols: [], extensions: [] }),
      (error: unknown) => error instanceof HandshakeError && error.code === "INVALID_ACCEPT",
    );
  });

  it("quirk.accept_not_verified is NOT copied: a wrong accept is refused", () => {
    const vector = seedVector<SeedClientVector>("quirk.accept_not_verified");
    const step = vector.input.steps.find((item) => item.parse !== undefined)!;
    const response = new ResponseHeadParser().push(seedBytes(step.parse!))!;
    assert.throws(
      () =>
        validateHandshakeResponse(response, {
          key: vector.input.mock!.key!,
          protocols: [],
          extensions: [],
        }),
      (error: unknown) =>
        error instanceof HandshakeError && error.code === "INVALID_ACCEPT" &&
        error.message ===
          'Cannot open connection: Sec-WebSocket-Accept "WRONG" does not match the key',
    );
  });
});
