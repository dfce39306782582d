import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  checkHandshakeRequestLine,
  createHandshakeResponse,
  createRejectResponse,
  errorResponse,
  legacyAnswer,
  parseHandshakeRequest,
  type ServerRequest,
  supportedVersionsHeader,
} from "../../../src/protocol/server/server_handshake.ts";
import { HandshakeError } from "../../../src/protocol/errors.ts";
import type { RequestHead } from "../../../src/protocol/http/http_request.ts";
import { RequestHeadParser } from "../../../src/protocol/http/http_request.ts";
import { parseCookiePairs } from "../../../src/protocol/http/cookie.ts";
import type { ProtocolVersion } from "../../../src/protocol/protocol_version.ts";
import { latin1 } from "../../_util/chunking.ts";
import { assertSameHead } from "../../_util/seed_heads.ts";
import {
  describeSeedVectors,
  type SeedBytes,
  seedBytes,
  seedVectors,
} from "../../_util/seed_vectors.ts";

const text = (bytes: Uint8Array) => new TextDecoder("latin1").decode(bytes);
const hex = (value: string) =>
  new Uint8Array(value.match(/../g)?.map((pair) => parseInt(pair, 16)) ?? []);

function request(headers: Record<string, string>, line: Partial<RequestHead> = {}): RequestHead {
  return {
    method: "GET",
    target: "/chat",
    version: "HTTP/1.1",
    headers: Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value] as const),
    ...line,
  };
}

const BASE = { Host: "example.com", Upgrade: "websocket", Connection: "Upgrade" };
const RFC = {
  ...BASE,
  "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
  "Sec-WebSocket-Version": "13",
};
const HYBI10 = {
  ...RFC,
  "Sec-WebSocket-Version": "8",
  "Sec-WebSocket-Origin": "http://example.com",
};
const KEY1 = "18x 6]8vM;54 *(5:  {   U1]8  z [  8";
const KEY2 = "1_ tx7X d  <  nw  334J702) 7]o}` 0";
const HYBI00 = {
  ...BASE,
  Upgrade: "WebSocket",
  Origin: "http://example.com",
  "Sec-WebSocket-Key1": KEY1,
  "Sec-WebSocket-Key2": KEY2,
};
const HIXIE75 = { ...BASE, Upgrade: "WebSocket", Origin: "http://example.com" };

describe("parseHandshakeRequest (RFC 6455 §4.2.1; hybi-00 and hixie-75 §5.1)", () => {
  it("reads an RFC 6455 request", () => {
    const parsed = parseHandshakeRequest(request({
      ...RFC,
      Origin: "http://example.com",
      "Sec-WebSocket-Protocol": "chat, superchat",
      "Sec-WebSocket-Extensions": "permessage-deflate",
      Cookie: "a=1",
    }));
    assert.deepEqual({ ...parsed, headers: undefined }, {
      method: "GET",
      resource: "/chat",
      httpVersion: "HTTP/1.1",
      headers: undefined,
      protocolVersion: "rfc6455",
      host: "example.com",
      origin: "http://example.com",
      protocols: ["chat", "superchat"],
      extensions: "permessage-deflate",
      key: "dGhlIHNhbXBsZSBub25jZQ==",
      key1: null,
      key2: null,
      secure: false,
      cookies: [{ name: "a", value: "1", version: null }],
    });
  });

  it("tells hybi-10 by Sec-WebSocket-Version: 8 and reads Sec-WebSocket-Origin", () => {
    const parsed = parseHandshakeRequest(request({ ...HYBI10, Origin: "http://other" }));
    assert.equal(parsed.protocolVersion, "hybi-10");
    assert.equal(parsed.origin, "http://example.com");
  });

  it("tells hybi-00 by its two keys; one subprotocol, as sent", () => {
    const parsed = parseHandshakeRequest(request({ ...HYBI00, "Sec-WebSocket-Protocol": "a, b" }));
    assert.equal(parsed.protocolVersion, "hybi-00");
    assert.deepEqual([parsed.key, parsed.key1, parsed.key2], [null, KEY1, KEY2]);
    assert.deepEqual(parsed.protocols, ["a, b"]);
  });

  it("tells hixie-75 by the absence of keys; WebSocket-Protocol", () => {
    const parsed = parseHandshakeRequest(request({ ...HIXIE75, "WebSocket-Protocol": "sample" }));
    assert.equal(parsed.protocolVersion, "hixie-75");
    assert.deepEqual(parsed.protocols, ["sample"]);
    assert.equal(parsed.origin, "http://example.com");
  });

  it("marks the request secure for a TLS transport or X-Forwarded-Proto: https only", () => {
    assert.equal(parseHandshakeRequest(request(RFC), { secure: true }).secure, true);
    assert.equal(
      parseHandshakeRequest(request({ ...RFC, "X-Forwarded-Proto": "HTTPS, http" })).secure,
      true,
    );
    assert.equal(
      parseHandshakeRequest(request({ ...RFC, "X-Forwarded-Proto": "http" })).secure,
      false,
    );
  });

  type Pairs = ReadonlyArray<readonly [string, string]>;
  type Versions = readonly ProtocolVersion[];
  const REFUSALS: ReadonlyArray<
    readonly [string, RequestHead, string, number, string, Pairs?, Versions?]
  > = [
    [
      "a POST",
      request(RFC, { method: "POST" }),
      "MALFORMED_REQUEST",
      405,
      "the method is POST, not GET",
      [["allow", "GET"]],
    ],
    [
      "HTTP/1.0",
      request(RFC, { version: "HTTP/1.0" }),
      "MALFORMED_REQUEST",
      400,
      "the request is HTTP/1.0, not HTTP/1.1",
    ],
    [
      "an absolute target",
      request(RFC, { target: "*" }),
      "MALFORMED_REQUEST",
      400,
      'the request target "*" is not a path',
    ],
    ["no Host", request({ ...RFC, Host: "" }), "MALFORMED_REQUEST", 400, "missing Host header"],
    [
      "Upgrade: h2c",
      request({ ...RFC, Upgrade: "h2c" }),
      "MALFORMED_REQUEST",
      400,
      "the Upgrade header does not name websocket",
    ],
    [
      "no Connection: Upgrade",
      request({ ...RFC, Connection: "keep-alive" }),
      "MALFORMED_REQUEST",
      400,
      "the Connection header does not hold Upgrade",
    ],
    [
      "Version 7",
      request({ ...RFC, "Sec-WebSocket-Version": "7" }),
      "UNSUPPORTED_VERSION",
      426,
      'Sec-WebSocket-Version "7" is not supported',
      [["sec-websocket-version", "13, 8"]],
    ],
    [
      "a key without a version",
      request({ ...RFC, "Sec-WebSocket-Version": "" }),
      "UNSUPPORTED_VERSION",
      426,
      'Sec-WebSocket-Version "" is not supported',
      [["sec-websocket-version", "13, 8"]],
    ],
    [
      "a version without a key",
      request({ ...BASE, "Sec-WebSocket-Version": "13" }),
      "INVALID_KEY",
      400,
      "missing Sec-WebSocket-Key header",
    ],
    [
      "a key of 3 bytes",
      request({ ...RFC, "Sec-WebSocket-Key": "YWJj" }),
      "INVALID_KEY",
      400,
      'Sec-WebSocket-Key "YWJj" is not the base64 of 16 bytes',
    ],
    [
      "a key that is not base64",
      request({ ...RFC, "Sec-WebSocket-Key": "!!!" }),
      "INVALID_KEY",
      400,
      'Sec-WebSocket-Key "!!!" is not the base64 of 16 bytes',
    ],
    [
      "a hybi-00 key without spaces",
      request({ ...HYBI00, "Sec-WebSocket-Key1": "12345" }),
      "INVALID_KEY",
      400,
      "Sec-WebSocket-Key1 and Key2 are not a valid pair of hybi-00 keys",
    ],
    [
      "Key1 without Key2",
      request({ ...HIXIE75, "Sec-WebSocket-Key1": KEY1 }),
      "INVALID_KEY",
      400,
      "Sec-WebSocket-Key1 and Key2 are not a valid pair of hybi-00 keys",
    ],
    [
      "hixie-75 when only RFC 6455 is accepted",
      request(HIXIE75),
      "UNSUPPORTED_VERSION",
      426,
      "protocol version hixie-75 is not accepted",
      [["sec-websocket-version", "13"]],
      ["rfc6455"],
    ],
    [
      "RFC 6455 when only hybi-00 is accepted",
      request(RFC),
      "UNSUPPORTED_VERSION",
      426,
      "protocol version rfc6455 is not accepted",
      [],
      ["hybi-00"],
    ],
  ];

  for (const [name, head, code, status, detail, headers = [], versions] of REFUSALS) {
    it(`refuses ${name} with ${status} ${code}`, () => {
      assert.throws(
        () => parseHandshakeRequest(head, versions === undefined ? {} : { versions }),
        (error: unknown) => {
          assert.ok(error instanceof HandshakeError);
          assert.equal(error.code, code);
          assert.equal(error.status, status);
          assert.equal(error.message, `Cannot accept connection: ${detail}`);
          assert.deepEqual(error.headers, headers);
          return true;
        },
      );
    });
  }

  it("checkHandshakeRequestLine refuses a bad request line early", () => {
    checkHandshakeRequestLine({ method: "GET", target: "/", version: "HTTP/1.1" });
    assert.throws(
      () => checkHandshakeRequestLine({ method: "PUT", target: "/", version: "HTTP/1.1" }),
      { status: 405 },
    );
  });

  it("supportedVersionsHeader lists the RFC 6455-framed versions", () => {
    assert.equal(supportedVersionsHeader(["rfc6455", "hybi-10", "hybi-00"]), "13, 8");
    assert.equal(supportedVersionsHeader(["hixie-75"]), "");
  });
});

describe("createHandshakeResponse (RFC 6455 §4.2.2; hybi-00 and hixie-75 §5.2)", () => {
  it("answers RFC 6455 with the accept key, the subprotocol, cookies and extra headers", () => {
    const parsed = parseHandshakeRequest(
      request({ ...RFC, "Sec-WebSocket-Protocol": "chat, superchat" }),
    );
    const { bytes, result } = createHandshakeResponse(parsed, {
      protocol: "superchat",
      cookies: [{ name: "id", value: "1", path: "/" }],
      headers: { "X-Server": "wsport" },
    });
    const expected =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: superchat\r\n" +
      "Set-Cookie: id=1; Path=/; Version=1\r\nX-Server: wsport\r\n\r\n";
    assert.equal(text(bytes), expected);
    assert.equal(result.protocol, "superchat");
    assert.equal(result.statusText, "Switching Protocols");
    assert.deepEqual(result.headers[2], ["sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="]);
  });

  it("answers hybi-10 as RFC 6455", () => {
    const { bytes } = createHandshakeResponse(parseHandshakeRequest(request(HYBI10)));
    assert.match(
      text(bytes),
      /^HTTP\/1\.1 101 Switching Protocols\r\n[^]*Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n\r\n$/,
    );
  });

  it("answers hybi-00 with its origin and location; the 16 bytes come from legacyAnswer", () => {
    const parsed = parseHandshakeRequest(request(HYBI00, { target: "/demo" }));
    const { bytes } = createHandshakeResponse(parsed);
    assert.equal(
      text(bytes),
      "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Origin: http://example.com\r\nSec-WebSocket-Location: ws://example.com/demo\r\n\r\n",
    );
    assert.equal(text(legacyAnswer(parsed, latin1("Tm[K T2u"))), "fQJ,fN/4F4!~K~MH");
  });

  it("answers hixie-75 with hixie-75's exact first 85 bytes", () => {
    const parsed = parseHandshakeRequest(
      request({ ...HIXIE75, "WebSocket-Protocol": "sample" }, { target: "/demo" }),
    );
    const bytes = text(createHandshakeResponse(parsed, { protocol: "sample" }).bytes);
    assert.equal(
      bytes.slice(0, 85),
      "HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n",
    );
    assert.equal(
      bytes.slice(85),
      "WebSocket-Protocol: sample\r\nWebSocket-Origin: http://example.com\r\nWebSocket-Location: ws://example.com/demo\r\n\r\n",
    );
  });

  it("names a wss: location and an https: origin for a secure request without Origin", () => {
    const parsed = parseHandshakeRequest(
      request({ ...BASE, Host: "Example.com:8443" }, { target: "/x?y" }),
      { secure: true },
    );
    const bytes = text(createHandshakeResponse(parsed).bytes);
    assert.match(
      bytes,
      /\r\nWebSocket-Origin: https:\/\/Example\.com:8443\r\nWebSocket-Location: wss:\/\/example\.com:8443\/x\?y\r\n/,
    );
    const overridden = text(createHandshakeResponse(parsed, { origin: "null" }).bytes);
    assert.match(overridden, /\r\nWebSocket-Origin: null\r\n/);
  });

  it("refuses a subprotocol that was not offered, protocol-owned headers and header injection", () => {
    const parsed = parseHandshakeRequest(request({ ...RFC, "Sec-WebSocket-Protocol": "chat" }));
    assert.throws(() => createHandshakeResponse(parsed, { protocol: "other" }), {
      name: "RangeError",
      message: 'Cannot accept connection: the subprotocol "other" was not offered',
    });
    assert.throws(
      () => createHandshakeResponse(parsed, { headers: { "Sec-WebSocket-Accept": "x" } }),
      {
        name: "TypeError",
        message:
          'Cannot accept connection: cannot set header "Sec-WebSocket-Accept": it is set by the protocol',
      },
    );
    assert.throws(() => createHandshakeResponse(parsed, { headers: { "X-A": "1\r\nX-B: 2" } }), {
      name: "TypeError",
      message:
        'Cannot accept connection: invalid value for header "X-A": character (U+000D) at position 1; a header value is a byte string (U+0000-U+00FF) without CR, LF or NUL',
    });
    const legacy = parseHandshakeRequest(request(HIXIE75));
    assert.throws(() => createHandshakeResponse(legacy, { origin: "a\r\nb" }), {
      name: "TypeError",
      message: 'Cannot accept connection: invalid value for header "WebSocket-Origin"',
    });
  });

  it("legacyAnswer refuses a request that is not hybi-00", () => {
    assert.throws(() => legacyAnswer(parseHandshakeRequest(request(RFC)), new Uint8Array(8)), {
      name: "TypeError",
      message: "Cannot compute answer: the request is not hybi-00",
    });
  });
});

describe("createRejectResponse and errorResponse", () => {
  it("writes a plain-text refusal", () => {
    assert.equal(
      text(createRejectResponse(403)),
      "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 9\r\nConnection: close\r\n\r\nForbidden",
    );
  });

  it("takes a reason phrase, headers and a body", () => {
    const bytes = createRejectResponse(401, {
      statusText: "Who Are You",
      headers: [["WWW-Authenticate", 'Basic realm="ws"'], ["Content-Type", "application/json"]],
      body: new TextEncoder().encode("{}"),
    });
    assert.equal(
      text(bytes),
      "HTTP/1.1 401 Who Are You\r\nContent-Length: 2\r\nConnection: close\r\n" +
        'WWW-Authenticate: Basic realm="ws"\r\nContent-Type: application/json\r\n\r\n{}',
    );
  });

  it("writes a status without a usual reason phrase as such", () => {
    assert.match(text(createRejectResponse(418, { body: "" })), /^HTTP\/1\.1 418\r\n/);
    assert.match(
      text(createRejectResponse(302, { headers: { Location: "/x" }, body: "" })),
      /\r\nLocation: \/x\r\n\r\n$/,
    );
  });

  it("refuses 101, a status over 599 and a Content-Length header", () => {
    assert.throws(() => createRejectResponse(101), {
      name: "RangeError",
      message: "Cannot reject connection: the status must be an integer from 300 to 599, got 101",
    });
    assert.throws(() => createRejectResponse(600), RangeError);
    assert.throws(
      () => createRejectResponse(400, { headers: { "Content-Length": "1" } }),
      TypeError,
    );
    assert.throws(() => createRejectResponse(400, { statusText: "a\r\nb" }), {
      name: "TypeError",
      message: "Cannot reject connection: invalid reason phrase",
    });
  });

  it("errorResponse answers a refused request with its status and headers", () => {
    let error: HandshakeError | null = null;
    try {
      parseHandshakeRequest(request({ ...RFC, "Sec-WebSocket-Version": "7" }));
    } catch (caught) {
      error = caught as HandshakeError;
    }
    const bytes = text(errorResponse(error!));
    assert.match(bytes, /^HTTP\/1\.1 426 Upgrade Required\r\n/);
    assert.match(
      bytes,
      /\r\nSec-WebSocket-Version: 13, 8\r\n\r\nCannot accept connection: Sec-WebSocket-Version "7" is not supported$/,
    );
  });
});

const VERSION_NAMES: Readonly<Record<string, ProtocolVersion>> = {
  "draft-ietf-hybi-17": "rfc6455",
  "draft-ietf-hybi-10": "hybi-10",
  "draft-ietf-hybi-00": "hybi-00",
  "draft-hixie-75": "hixie-75",
};

/** Parses seed chunks as a server does; the error when refused. */
function serve(
  chunks: readonly Uint8Array[],
): { request: ServerRequest | null; error: HandshakeError | null } {
  const parser = new RequestHeadParser();
  try {
    for (const chunk of chunks) {
      const head = parser.push(chunk);
      if (head === null && parser.requestLine !== null) {
        checkHandshakeRequestLine(parser.requestLine);
      }
      if (head !== null) return { request: parseHandshakeRequest(head), error: null };
    }
  } catch (error) {
    if (!(error instanceof HandshakeError)) throw error;
    return { request: null, error };
  }
  return { request: null, error: null };
}

describeSeedVectors("the server handshake against the seed library's request vectors", () => {
  for (const vector of seedVectors("handshake-request-parse")) {
    const chunks = (vector.input as { chunks: SeedBytes[] }).chunks.map(seedBytes);
    const expect = vector.expect as Record<string, unknown>;
    it(`${vector.id}: ${vector.what}`, () => {
      const { request: parsed, error } = serve(chunks);
      if (vector.id.endsWith("hixie75.leftovers")) {
        // Not an error here: the bytes are kept for the framing, which refuses "foo".
        assert.equal(parsed?.protocolVersion, "hixie-75");
        return;
      }
      if (expect.state === "error") {
        assert.ok(error instanceof HandshakeError, "refused");
        return;
      }
      assert.ok(parsed !== null);
      if (expect.version !== undefined) {
        assert.equal(parsed.protocolVersion, VERSION_NAMES[expect.version as string]);
      }
      if (expect.host !== undefined) assert.equal(parsed.host, expect.host);
      if (expect.key !== undefined) assert.equal(parsed.key, expect.key);
      if (expect.origin !== undefined) assert.equal(parsed.origin, expect.origin);
      if (expect.resource_name !== undefined) assert.equal(parsed.resource, expect.resource_name);
      if (expect.subprotocol !== undefined) {
        assert.equal(parsed.protocols.join(", "), expect.subprotocol);
      }
      if (expect.secure !== undefined) assert.equal(parsed.secure, expect.secure === 1);
      const cookieHeader = parsed.headers.find(([name]) => name === "cookie")?.[1];
      if (expect.cookies !== undefined) {
        assert.deepEqual(
          parsed.cookies.map((cookie) => [cookie.name, cookie.value]),
          parseCookiePairs(expect.cookies as string),
        );
      }
      if (expect.cookie_pairs !== undefined) {
        assert.deepEqual(parseCookiePairs(cookieHeader!), expect.cookie_pairs);
      }
    });
  }

  it("quirk.x_forwarded_proto_any: not copied, X-Forwarded-Proto: http is not secure", () => {
    const quirk = seedVectors("quirk").find((vector) =>
      vector.id === "quirk.x_forwarded_proto_any"
    )!;
    const { request: parsed } = serve(
      (quirk.input as { chunks: SeedBytes[] }).chunks.map(seedBytes),
    );
    assert.equal(parsed?.secure, false);
  });

  for (const vector of seedVectors("handshake-response-build")) {
    const input = vector.input as {
      version: string;
      host?: string;
      resource_name?: string;
      secure?: number;
      origin?: string;
      subprotocol?: string;
      key?: string;
      key1?: string;
      key2?: string;
      number1?: number;
      number2?: number;
      challenge_hex?: string;
      cookies?: { name: string; value: string; path?: string }[];
    };
    it(`${vector.id}: ${vector.what}`, () => {
      const version = VERSION_NAMES[input.version]!;
      const parsed: ServerRequest = {
        method: "GET",
        resource: input.resource_name ?? "/",
        httpVersion: "HTTP/1.1",
        headers: [],
        protocolVersion: version,
        host: input.host ?? "example.com",
        origin: input.origin ?? null,
        protocols: input.subprotocol === undefined ? [] : [input.subprotocol],
        extensions: "",
        key: input.key ?? null,
        key1: input.key1 ?? (input.number1 === undefined ? null : `${input.number1} `),
        key2: input.key2 ?? (input.number2 === undefined ? null : `${input.number2} `),
        secure: input.secure === 1,
        cookies: [],
      };
      const { bytes } = createHandshakeResponse(parsed, {
        protocol: input.subprotocol ?? null,
        ...(input.cookies === undefined ? {} : { cookies: input.cookies }),
      });
      const ours = version === "hybi-00"
        ? new Uint8Array([...bytes, ...legacyAnswer(parsed, hex(input.challenge_hex!))])
        : bytes;
      const seeds = seedBytes((vector.expect as { bytes: SeedBytes }).bytes);
      if (version === "hybi-00") {
        assert.equal(text(ours), text(seeds)); // byte for byte
      } else {
        // RFC 6455 says "Switching Protocols"/"websocket", hixie-75 "Web Socket ...".
        assertSameHead(ours, seeds, { statusCodeOnly: true });
      }
    });
  }
});
