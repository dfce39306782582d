import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  computeChallengeResponse,
  createLegacyHandshakeRequest,
  defaultLegacyOrigin,
  generateLegacyKey,
  generateLegacyKeys,
  legacyLocation,
  parseLegacyKey,
  validateLegacyHandshakeResponse,
} from "../../../src/protocol/legacy/legacy_handshake.ts";
import { HandshakeError, type HandshakeErrorCode } from "../../../src/protocol/errors.ts";
import type { ResponseHead } from "../../../src/protocol/http/http_response.ts";
import { parseWebSocketUrl } from "../../../src/protocol/http/url.ts";
import { latin1 } from "../../_util/chunking.ts";
import { seededRandomBytes } from "../../_util/fixed_random.ts";
import { assertSameHead } from "../../_util/seed_heads.ts";
import {
  describeSeedVectors,
  type SeedBytes,
  seedBytes,
  seedVectors,
} from "../../_util/seed_vectors.ts";

const hex = (text: string) =>
  new Uint8Array(text.match(/../g)?.map((pair) => parseInt(pair, 16)) ?? []);
const toHex = (bytes: Uint8Array) =>
  Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** The keys of draft-ietf-hybi-00 §1.3 and the seed's tests. */
const DRAFT_KEYS = {
  key1: "18x 6]8vM;54 *(5:  {   U1]8  z [  8",
  key2: "1_ tx7X d  <  nw  334J702) 7]o}` 0",
  key3: latin1("Tm[K T2u"),
} as const;

describe("parseLegacyKey (draft-ietf-hybi-00 §5.2)", () => {
  it("divides the digits by the spaces (the draft's example keys)", () => {
    assert.equal(parseLegacyKey(DRAFT_KEYS.key1), 155712099);
    assert.equal(parseLegacyKey(DRAFT_KEYS.key2), 173347027);
  });

  it("refuses a key without spaces", () => {
    assert.equal(parseLegacyKey("12345"), null);
  });

  it("refuses a key whose number is not a multiple of its spaces", () => {
    assert.equal(parseLegacyKey("1 2 3"), null);
  });

  it("refuses a key without digits", () => {
    assert.equal(parseLegacyKey("a b"), null);
  });

  it("refuses a number over 4294967295", () => {
    assert.equal(parseLegacyKey("4294967296 "), null);
    assert.equal(parseLegacyKey("42949672950 "), null);
  });

  it("accepts leading zeros and the largest number", () => {
    assert.equal(parseLegacyKey("0004294967295 "), 4294967295);
    assert.equal(parseLegacyKey("0 "), 0);
  });
});

describe("computeChallengeResponse (draft-ietf-hybi-00 §5.2)", () => {
  it("answers the draft's example", () => {
    const answer = computeChallengeResponse(155712099, 173347027, DRAFT_KEYS.key3);
    assert.equal(toHex(answer), "66514a2c664e2f344634217e4b7e4d48");
    assert.equal(text(answer), "fQJ,fN/4F4!~K~MH");
  });

  it("refuses numbers outside 32 bits and a key3 that is not 8 bytes", () => {
    for (
      const [number, key3, message] of [
        [
          -1,
          DRAFT_KEYS.key3,
          "Cannot compute challenge response: -1 is not a 32-bit unsigned integer",
        ],
        [
          2 ** 32,
          DRAFT_KEYS.key3,
          "Cannot compute challenge response: 4294967296 is not a 32-bit unsigned integer",
        ],
        [
          1.5,
          DRAFT_KEYS.key3,
          "Cannot compute challenge response: 1.5 is not a 32-bit unsigned integer",
        ],
        [1, new Uint8Array(7), "Cannot compute challenge response: key3 is 7 bytes, not 8"],
      ] as const
    ) {
      assert.throws(() => computeChallengeResponse(number, 1, key3), {
        name: "RangeError",
        message,
      });
    }
  });
});

describe("generateLegacyKey (draft-ietf-hybi-00 §4.1 steps 15-17)", () => {
  for (let seed = 1; seed <= 200; seed++) {
    it(`builds a valid key from seed ${seed}`, () => {
      const { key, number } = generateLegacyKey(seededRandomBytes(seed));
      const spaces = key.split(" ").length - 1;
      assert.ok(spaces >= 1 && spaces <= 12, `${spaces} spaces`);
      assert.ok(!key.startsWith(" ") && !key.endsWith(" "), "no space first or last");
      const extra = key.replace(/[0-9 ]/g, "");
      assert.ok(extra.length >= 1 && extra.length <= 12, `${extra.length} random characters`);
      assert.match(extra, /^[\x21-\x2f\x3a-\x7e]+$/);
      assert.ok(number >= 0 && number * spaces <= 4294967295);
      assert.equal(parseLegacyKey(key), number);
    });
  }

  it("is deterministic for a given source", () => {
    assert.deepEqual(
      generateLegacyKey(seededRandomBytes(7)),
      generateLegacyKey(seededRandomBytes(7)),
    );
  });

  it("generateLegacyKeys returns 8 bytes of key3 and the matching answer", () => {
    const keys = generateLegacyKeys(seededRandomBytes(3));
    assert.equal(keys.key3.length, 8);
    const expected = computeChallengeResponse(
      parseLegacyKey(keys.key1)!,
      parseLegacyKey(keys.key2)!,
      keys.key3,
    );
    assert.deepEqual(keys.answer, expected);
  });
});

describe("createLegacyHandshakeRequest (hixie-75 §4.1, hybi-00 §4.1)", () => {
  const url = parseWebSocketUrl("ws://example.com/demo");

  it("builds a hixie-75 request with a subprotocol", () => {
    const bytes = createLegacyHandshakeRequest({
      version: "hixie-75",
      url,
      origin: "http://example.com",
      protocols: ["sample"],
    });
    assert.equal(
      text(bytes),
      "GET /demo HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nHost: example.com\r\n" +
        "Origin: http://example.com\r\nWebSocket-Protocol: sample\r\n\r\n",
    );
  });

  it("builds a hybi-00 request: keys in the head, key3 after it", () => {
    const bytes = createLegacyHandshakeRequest({
      version: "hybi-00",
      url,
      origin: "http://example.com",
      protocols: ["sample"],
      headers: { Cookie: "foo=bar" },
      keys: DRAFT_KEYS,
    });
    assert.equal(
      text(bytes),
      "GET /demo HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nHost: example.com\r\n" +
        "Origin: http://example.com\r\nSec-WebSocket-Protocol: sample\r\n" +
        `Sec-WebSocket-Key1: ${DRAFT_KEYS.key1}\r\nSec-WebSocket-Key2: ${DRAFT_KEYS.key2}\r\n` +
        "Cookie: foo=bar\r\n\r\nTm[K T2u",
    );
  });

  it("lets Host be overridden through the headers", () => {
    const bytes = createLegacyHandshakeRequest({
      version: "hixie-75",
      url,
      origin: "null",
      headers: [["Host", "virtual.example"]],
    });
    assert.match(text(bytes), /\r\nHost: virtual\.example\r\nOrigin: null\r\n\r\n$/);
  });

  for (
    const [name, options, error, message] of [
      [
        "two subprotocols",
        { protocols: ["a", "b"] },
        "SyntaxError",
        "Cannot create handshake request: hixie-75 offers at most one subprotocol, got 2",
      ],
      [
        "a subprotocol with a space",
        { protocols: ["a b"] },
        "SyntaxError",
        'Cannot create handshake request: the subprotocol "a b" is not valid',
      ],
      [
        "an Origin header",
        { headers: { Origin: "x" } },
        "TypeError",
        'Cannot create handshake request: cannot set header "Origin": use the origin option',
      ],
      [
        "a Content-Length header",
        { headers: { "Content-Length": "8" } },
        "TypeError",
        'Cannot create handshake request: cannot set header "Content-Length": the protocol sends key3 after the head',
      ],
      [
        "a Sec-WebSocket-Key1 header",
        { headers: { "Sec-WebSocket-Key1": "1 1" } },
        "TypeError",
        'Cannot create handshake request: cannot set header "Sec-WebSocket-Key1": it is set by the protocol',
      ],
      [
        "a header value with CRLF",
        { headers: { "X-A": "v\r\nX-B: 1" } },
        "TypeError",
        'Cannot create handshake request: invalid value for header "X-A": character (U+000D) at position 1; a header value is a byte string (U+0000-U+00FF) without CR, LF or NUL',
      ],
      [
        "an invalid header name",
        { headers: { "X A": "v" } },
        "TypeError",
        'Cannot create handshake request: invalid header name "X A"',
      ],
      [
        "an origin with CRLF",
        { origin: "x\r\ny" },
        "TypeError",
        'Cannot create handshake request: invalid value for header "Origin": character (U+000D) at position 1; a header value is a byte string (U+0000-U+00FF) without CR, LF or NUL',
      ],
    ] as const
  ) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () =>
          createLegacyHandshakeRequest({
            version: "hixie-75",
            url,
            origin: "http://example.com",
            ...options,
          }),
        { name: error, message },
      );
    });
  }

  it("refuses hybi-00 without keys", () => {
    assert.throws(() => createLegacyHandshakeRequest({ version: "hybi-00", url, origin: "o" }), {
      name: "TypeError",
      message: "Cannot create handshake request: hybi-00 needs key1, key2 and an 8-byte key3",
    });
  });

  it("defaultLegacyOrigin and legacyLocation follow the URL's security and Host", () => {
    assert.equal(
      defaultLegacyOrigin(parseWebSocketUrl("ws://Example.com:8080/x")),
      "http://example.com:8080",
    );
    assert.equal(
      defaultLegacyOrigin(parseWebSocketUrl("wss://example.com:443/x")),
      "https://example.com",
    );
    assert.equal(legacyLocation(true, "Example.COM:444", "/a?b"), "wss://example.com:444/a?b");
    assert.equal(legacyLocation(false, "example.com", "/"), "ws://example.com/");
  });
});

function head(
  status: number,
  headers: Record<string, string>,
  statusText = "WebSocket Protocol Handshake",
): ResponseHead {
  return {
    status,
    statusText,
    version: "HTTP/1.1",
    headers: Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value] as const),
  };
}

const HYBI00_OK = {
  Upgrade: "WebSocket",
  Connection: "Upgrade",
  "Sec-WebSocket-Origin": "http://example.com",
  "Sec-WebSocket-Location": "ws://example.com/demo",
};
const HIXIE75_OK = {
  Upgrade: "WebSocket",
  Connection: "Upgrade",
  "WebSocket-Origin": "http://example.com",
  "WebSocket-Location": "ws://example.com/demo",
};
const EXPECT = { origin: "http://example.com", location: "ws://example.com/demo", protocols: [] };

describe("validateLegacyHandshakeResponse (hybi-00 §4.1 steps 29-41, hixie-75 §4.1)", () => {
  it("accepts a hybi-00 response", () => {
    const result = validateLegacyHandshakeResponse(head(101, HYBI00_OK), {
      version: "hybi-00",
      ...EXPECT,
    });
    assert.deepEqual(result, {
      status: 101,
      statusText: "WebSocket Protocol Handshake",
      headers: head(101, HYBI00_OK).headers,
      protocol: "",
      extensions: [],
      extensionsHeader: "",
    });
  });

  it("accepts hixie-75's reason phrase, any case of Upgrade, a Connection list and a host in capitals", () => {
    const result = validateLegacyHandshakeResponse(
      head(101, {
        ...HIXIE75_OK,
        Upgrade: "websocket",
        Connection: "keep-alive, upgrade",
        "WebSocket-Location": "ws://EXAMPLE.com/demo",
      }, "Web Socket Protocol Handshake"),
      { version: "hixie-75", ...EXPECT },
    );
    assert.equal(result.statusText, "Web Socket Protocol Handshake");
  });

  it("reports the subprotocol confirmed, or none", () => {
    const offered = { version: "hybi-00" as const, ...EXPECT, protocols: ["chat"] };
    assert.equal(
      validateLegacyHandshakeResponse(
        head(101, { ...HYBI00_OK, "Sec-WebSocket-Protocol": "chat" }),
        offered,
      ).protocol,
      "chat",
    );
    assert.equal(validateLegacyHandshakeResponse(head(101, HYBI00_OK), offered).protocol, "");
  });

  const FAILURES: ReadonlyArray<
    readonly [string, "hybi-00" | "hixie-75", ResponseHead, HandshakeErrorCode, string, string[]?]
  > = [
    [
      "a 403",
      "hybi-00",
      head(403, {}, "Forbidden"),
      "UNEXPECTED_STATUS",
      "the server answered 403 Forbidden",
    ],
    [
      "a 101 in HTTP/1.0",
      "hybi-00",
      { ...head(101, HYBI00_OK), version: "HTTP/1.0" },
      "MALFORMED_RESPONSE",
      "a 101 response must not be HTTP/1.0",
    ],
    [
      "no Upgrade",
      "hybi-00",
      head(101, { ...HYBI00_OK, Upgrade: "" }),
      "INVALID_UPGRADE",
      'Upgrade header is "", not "WebSocket"',
    ],
    [
      "Upgrade: h2c",
      "hixie-75",
      head(101, { ...HIXIE75_OK, Upgrade: "h2c" }),
      "INVALID_UPGRADE",
      'Upgrade header is "h2c", not "WebSocket"',
    ],
    [
      "Connection: close",
      "hybi-00",
      head(101, { ...HYBI00_OK, Connection: "close" }),
      "INVALID_CONNECTION",
      'Connection header is "close", without "Upgrade"',
    ],
    [
      "no Sec-WebSocket-Origin",
      "hybi-00",
      head(101, { ...HIXIE75_OK }),
      "INVALID_LOCATION",
      "missing Sec-WebSocket-Origin header",
    ],
    [
      "another origin",
      "hybi-00",
      head(101, { ...HYBI00_OK, "Sec-WebSocket-Origin": "http://evil.example" }),
      "INVALID_LOCATION",
      'Sec-WebSocket-Origin "http://evil.example" is not the origin sent, "http://example.com"',
    ],
    [
      "no WebSocket-Location",
      "hixie-75",
      head(101, {
        Upgrade: "WebSocket",
        Connection: "Upgrade",
        "WebSocket-Origin": "http://example.com",
      }),
      "INVALID_LOCATION",
      "missing WebSocket-Location header",
    ],
    [
      "another location",
      "hixie-75",
      head(101, { ...HIXIE75_OK, "WebSocket-Location": "ws://example.com/other" }),
      "INVALID_LOCATION",
      'WebSocket-Location "ws://example.com/other" is not the URL connected to, "ws://example.com/demo"',
    ],
    [
      "a wss: location for a ws: URL",
      "hybi-00",
      head(101, { ...HYBI00_OK, "Sec-WebSocket-Location": "wss://example.com/demo" }),
      "INVALID_LOCATION",
      'Sec-WebSocket-Location "wss://example.com/demo" is not the URL connected to, "ws://example.com/demo"',
    ],
    [
      "a subprotocol not offered",
      "hybi-00",
      head(101, { ...HYBI00_OK, "Sec-WebSocket-Protocol": "chat" }),
      "INVALID_SUBPROTOCOL",
      'the server selected subprotocol "chat", but none was offered',
    ],
    [
      "another subprotocol",
      "hixie-75",
      head(101, { ...HIXIE75_OK, "WebSocket-Protocol": "x" }),
      "INVALID_SUBPROTOCOL",
      'the server selected subprotocol "x", which was not offered',
      ["chat"],
    ],
  ];

  for (const [name, version, response, code, detail, protocols = []] of FAILURES) {
    it(`fails on ${name} with ${code}`, () => {
      const body = new Uint8Array([1, 2]);
      assert.throws(
        () => validateLegacyHandshakeResponse(response, { version, ...EXPECT, protocols, body }),
        (error: unknown) => {
          assert.ok(error instanceof HandshakeError);
          assert.equal(error.code, code);
          assert.equal(error.message, `Cannot open connection: ${detail}`);
          assert.equal(error.status, response.status);
          assert.deepEqual(error.headers, response.headers);
          assert.deepEqual(error.body, body);
          return true;
        },
      );
    });
  }
});

describeSeedVectors("legacy handshakes against the seed library's vectors", () => {
  const bytes = (value: SeedBytes) => seedBytes(value);

  for (const vector of seedVectors("hybi00-key")) {
    const input = vector.input as { key: string };
    const expected = (vector.expect as { number: number }).number;
    it(`${vector.id}: ${vector.what}`, () => {
      // "1 2 3": the seed truncates 123 / 2 to 61; the draft says abort.
      assert.equal(parseLegacyKey(input.key), input.key === "1 2 3" ? null : expected);
    });
  }

  for (const vector of seedVectors("hybi00-checksum")) {
    const input = vector.input as {
      key1?: string;
      key2?: string;
      number1?: number;
      number2?: number;
      challenge_hex: string;
    };
    it(`${vector.id}: ${vector.what}`, () => {
      const number1 = input.number1 ?? parseLegacyKey(input.key1!)!;
      const number2 = input.number2 ?? parseLegacyKey(input.key2!)!;
      const answer = computeChallengeResponse(number1, number2, hex(input.challenge_hex));
      assert.equal(toHex(answer), (vector.expect as { checksum_hex: string }).checksum_hex);
    });
  }

  // Our requests carry the seed's fields, except its Content-Length: 8 (not in the drafts).
  for (const vector of seedVectors("handshake-request-build")) {
    const input = vector.input as {
      version?: string;
      host: string;
      resource_name: string;
      secure?: number;
      cookies?: string;
      subprotocol?: string;
      key1?: string;
      key2?: string;
      challenge_hex?: string;
    };
    if (input.version !== "draft-hixie-75" && input.version !== "draft-ietf-hybi-00") continue;
    it(`${vector.id}: ${vector.what}`, () => {
      const url = parseWebSocketUrl(
        `${input.secure ? "wss" : "ws"}://${input.host}${input.resource_name}`,
      );
      const ours = createLegacyHandshakeRequest({
        version: input.version === "draft-hixie-75" ? "hixie-75" : "hybi-00",
        url,
        origin: defaultLegacyOrigin(url),
        ...(input.subprotocol === undefined ? {} : { protocols: [input.subprotocol] }),
        ...(input.cookies === undefined ? {} : { headers: { Cookie: input.cookies } }),
        ...(input.key1 === undefined
          ? {}
          : { keys: { key1: input.key1, key2: input.key2!, key3: hex(input.challenge_hex!) } }),
      });
      assertSameHead(ours, bytes((vector.expect as { bytes: SeedBytes }).bytes), {
        ignore: ["content-length"],
      });
    });
  }

  for (const vector of seedVectors("handshake-response-parse")) {
    const input = vector.input as { chunks: SeedBytes[] };
    const expect = vector.expect as {
      done?: number;
      error?: string;
      subprotocol?: string;
      leftover_hex?: string;
    };
    const all = input.chunks.map(bytes);
    const joined = new Uint8Array(all.reduce((sum, part) => sum + part.length, 0));
    all.reduce((at, part) => (joined.set(part, at), at + part.length), 0);
    const raw = new TextDecoder("latin1").decode(joined);
    const end = raw.indexOf("\r\n\r\n");
    if (vector.id === "handshake.response.parse.hixie75.subprotocol") {
      it(`${vector.id}: ${vector.what}`, () => {
        const lines = raw.slice(0, end).split("\r\n").slice(1).map((line) =>
          line.split(": ") as [string, string]
        );
        const parsed = head(101, Object.fromEntries(lines));
        const result = validateLegacyHandshakeResponse(parsed, {
          version: "hixie-75",
          origin: "file://",
          location: "ws://example.com/demo",
          protocols: ["sample"],
        });
        assert.equal(result.protocol, expect.subprotocol);
      });
    } else if (vector.id === "handshake.response.parse.error.hixie_no_location") {
      it(`${vector.id}: ${vector.what}`, () => {
        const parsed = head(101, { Upgrade: "WebSocket", Connection: "Upgrade" });
        assert.throws(
          () => validateLegacyHandshakeResponse(parsed, { version: "hixie-75", ...EXPECT }),
          {
            code: "INVALID_LOCATION",
            message: "Cannot open connection: missing WebSocket-Origin header",
          },
        );
      });
    }
  }
});
