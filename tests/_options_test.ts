import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CLIENT_OPTIONS,
  type OptionTable,
  TLS_OPTIONS,
  validateOptions,
  WEBSOCKET_OPTIONS,
  WEBSOCKET_STREAM_OPTIONS,
} from "../src/_options.ts";
import type { Connector } from "../src/transport/types.ts";
import { WebSocket } from "../src/web/websocket.ts";
import { WebSocketStream } from "../src/web/websocket_stream.ts";

/** A connector that records calls: a refused option must never connect. */
function recordingConnector(): { connector: Connector; calls: number } {
  const record = {
    calls: 0,
    connector: (() => {
      record.calls++;
      return new Promise(() => {});
    }) as Connector,
  };
  return record;
}

type Construct = (options: Record<string, unknown>) => unknown;

const CLASSES: readonly (readonly [string, Construct])[] = [
  ["WebSocket", (options) => new WebSocket("ws://example.test/", options)],
  ["WebSocketStream", (options) => new WebSocketStream("ws://example.test/", options)],
];

/** One bad value per option: [option, value, error class, message after "Cannot create X: "]. */
const BAD_VALUES: readonly (readonly [string, unknown, typeof TypeError, string])[] = [
  ["protocols", 5, TypeError, "protocols must be a string or a list of strings, got 5"],
  [
    "headers",
    "a: b",
    TypeError,
    'headers must be a Headers, a list of [name, value] pairs or a record, got "a: b"',
  ],
  [
    "headers",
    [["a"]],
    TypeError,
    "headers[0] must be a [name, value] pair of strings, got an array",
  ],
  ["headers", { a: 1 }, TypeError, 'headers["a"] must be a string, got 1'],
  ["origin", 1, TypeError, "origin must be a string, got 1"],
  ["transport", {}, TypeError, "transport must be a function, got an object"],
  ["tls", true, TypeError, "tls must be an object, got true"],
  ["tls", { ca: 5 }, TypeError, "tls.ca must be a string or a Uint8Array, got 5"],
  ["tls", { ca: ["x", null] }, TypeError, "tls.ca[1] must be a string or a Uint8Array, got null"],
  ["tls", { cert: {} }, TypeError, "tls.cert must be a string or a Uint8Array, got an object"],
  ["tls", { key: 1 }, TypeError, "tls.key must be a string or a Uint8Array, got 1"],
  ["tls", { servername: 1 }, TypeError, "tls.servername must be a string, got 1"],
  [
    "tls",
    { dangerouslyDisableCertificateVerification: "yes" },
    TypeError,
    'tls.dangerouslyDisableCertificateVerification must be a boolean, got "yes"',
  ],
  [
    "tls",
    { rejectUnauthorized: false },
    TypeError,
    'tls has an unknown field "rejectUnauthorized" (known: ca, cert, key, passphrase, servername, minVersion, dangerouslyDisableCertificateVerification)',
  ],
  ["tls", { passphrase: 1 }, TypeError, "tls.passphrase must be a string, got 1"],
  [
    "tls",
    { minVersion: "TLSv1.1" },
    RangeError,
    'tls.minVersion must be one of "TLSv1.2", "TLSv1.3", got "TLSv1.1"',
  ],
  ["tls", { cert: "PEM" }, TypeError, "tls.cert and tls.key go together"],
  ["signal", {}, TypeError, "signal must be an AbortSignal, got an object"],
  [
    "signal",
    new AbortController(),
    TypeError,
    "signal must be an AbortSignal, got a AbortController",
  ],
  [
    "handshakeTimeout",
    "10",
    TypeError,
    'handshakeTimeout must be a number of milliseconds, got "10"',
  ],
  [
    "handshakeTimeout",
    -1,
    RangeError,
    "handshakeTimeout must be a number of milliseconds in 0-2147483647, got -1",
  ],
  [
    "connectTimeout",
    Number.NaN,
    RangeError,
    "connectTimeout must be a number of milliseconds in 0-2147483647, got NaN",
  ],
  [
    "closeTimeout",
    2 ** 31,
    RangeError,
    "closeTimeout must be a number of milliseconds in 0-2147483647, got 2147483648",
  ],
  ["pingInterval", null, TypeError, "pingInterval must be a number of milliseconds, got null"],
  [
    "pongTimeout",
    Infinity,
    RangeError,
    "pongTimeout must be a number of milliseconds in 0-2147483647, got Infinity",
  ],
  ["maxMessageSize", 0, RangeError, "maxMessageSize must be an integer >= 1, got 0"],
  ["maxMessageSize", "1", TypeError, 'maxMessageSize must be a number, got "1"'],
  ["maxFrameSize", 1.5, RangeError, "maxFrameSize must be an integer >= 1, got 1.5"],
  ["maxFragments", 10n, TypeError, "maxFragments must be a number, got 10n"],
  ["maxHandshakeSize", -5, RangeError, "maxHandshakeSize must be an integer >= 1, got -5"],
  ["fragmentSize", -1, RangeError, "fragmentSize must be an integer >= 0, got -1"],
  ["randomBytes", new Uint8Array(4), TypeError, "randomBytes must be a function, got a Uint8Array"],
  ["trace", true, TypeError, "trace must be a function, got true"],
  ["extensions", [1], TypeError, "extensions must be a list of extension objects, got an array"],
  ["protocolVersion", 13, TypeError, "protocolVersion must be a string, got 13"],
  [
    "protocolVersion",
    "hybi-13",
    RangeError,
    'protocolVersion must be one of "rfc6455", "hybi-10", "hybi-00", "hixie-75", got "hybi-13"',
  ],
  [
    "perMessageDeflate",
    "on",
    TypeError,
    'perMessageDeflate must be a boolean or an object, got "on"',
  ],
  [
    "perMessageDeflate",
    { clientMaxWindowBits: 16 },
    RangeError,
    "perMessageDeflate.clientMaxWindowBits must be an integer from 8 to 15",
  ],
  [
    "proxy",
    5,
    TypeError,
    'proxy must be a URL string, a URL, "env" or null, got 5',
  ],
  ["proxyTls", "x", TypeError, 'proxyTls must be an object, got "x"'],
  ["unix", 1, TypeError, "unix must be a string, got 1"],
  ["unix", "", TypeError, "unix must be a non-empty socket path"],
  ["lookup", "dns", TypeError, 'lookup must be a function, got "dns"'],
  ["followRedirects", "yes", TypeError, 'followRedirects must be a boolean or a number, got "yes"'],
  [
    "followRedirects",
    101,
    RangeError,
    "followRedirects must be a boolean or an integer in 0-100, got 101",
  ],
  ["allowInsecureRedirects", 1, TypeError, "allowInsecureRedirects must be a boolean, got 1"],
];

describe("Options: every option is checked in the constructor", () => {
  it("the tables list every option of ClientOptions and of each class", () => {
    assert.deepEqual(Object.keys(CLIENT_OPTIONS).sort(), [
      "allowInsecureRedirects",
      "closeTimeout",
      "connectTimeout",
      "extensions",
      "followRedirects",
      "fragmentSize",
      "handshakeTimeout",
      "headers",
      "lookup",
      "maxFragments",
      "maxFrameSize",
      "maxHandshakeSize",
      "maxMessageSize",
      "origin",
      "perMessageDeflate",
      "pingInterval",
      "pongTimeout",
      "protocolVersion",
      "protocols",
      "proxy",
      "proxyTls",
      "randomBytes",
      "signal",
      "tls",
      "trace",
      "transport",
      "unix",
    ]);
    assert.deepEqual(
      Object.keys(WEBSOCKET_OPTIONS).filter((name) => !(name in CLIENT_OPTIONS)),
      ["maxBufferedAmount"],
    );
    assert.deepEqual(
      Object.keys(WEBSOCKET_STREAM_OPTIONS).filter((name) => !(name in CLIENT_OPTIONS)),
      ["readableHighWaterMark", "writableHighWaterMark"],
    );
    assert.deepEqual(Object.keys(TLS_OPTIONS), [
      "ca",
      "cert",
      "key",
      "passphrase",
      "servername",
      "minVersion",
      "dangerouslyDisableCertificateVerification",
    ]);
  });

  for (const [owner, construct] of CLASSES) {
    for (const [name, value, type, message] of BAD_VALUES) {
      it(`${owner} refuses ${name} = ${String(JSON.stringify(value, (_, v) => typeof v === "bigint" ? `${v}n` : v) ?? value)} with a ${type.name}, before connecting`, () => {
        const record = recordingConnector();
        assert.throws(() => construct({ transport: record.connector, [name]: value }), (error) => {
          assert.ok(error instanceof type, `${error}`);
          assert.equal((error as Error).constructor, type);
          assert.equal((error as Error).message, `Cannot create ${owner}: ${message}`);
          return true;
        });
        assert.equal(record.calls, 0);
      });
    }

    it(`${owner} refuses an unknown option with a TypeError naming it`, () => {
      assert.throws(() => construct({ maxSize: 10 }), {
        name: "TypeError",
        message: `Cannot create ${owner}: unknown option "maxSize"`,
      });
    });

    it(`${owner} points a ws user's maxPayload to maxMessageSize`, () => {
      assert.throws(() => construct({ maxPayload: 1024 }), {
        name: "TypeError",
        message:
          `Cannot create ${owner}: unknown option "maxPayload" (wsport's equivalent: maxMessageSize)`,
      });
    });

    it(`${owner} refuses options that are not an object`, () => {
      const bad = owner === "WebSocket"
        ? () => new WebSocket("ws://example.test/", [], 5 as never)
        : () => new WebSocketStream("ws://example.test/", 5 as never);
      assert.throws(bad, {
        name: "TypeError",
        message: `Cannot create ${owner}: options must be an object, got 5`,
      });
    });

    it(`${owner} accepts every option at a valid value`, () => {
      const record = recordingConnector();
      const controller = new AbortController();
      const socket = construct({
        protocols: ["chat"],
        headers: new Headers({ "X-A": "b" }),
        origin: "http://example.test",
        transport: record.connector,
        tls: { ca: ["x", new Uint8Array(1)], servername: "example.test" },
        signal: controller.signal,
        handshakeTimeout: 1000,
        connectTimeout: 500,
        closeTimeout: 0,
        pingInterval: 0,
        pongTimeout: 2 ** 31 - 1,
        maxMessageSize: 1,
        maxFrameSize: 1,
        maxFragments: 1,
        maxHandshakeSize: 1024,
        fragmentSize: 0,
        randomBytes: (n: number) => new Uint8Array(n),
        trace: () => {},
        extensions: [],
        protocolVersion: "hybi-10",
        ...(owner === "WebSocket"
          ? { maxBufferedAmount: Infinity }
          : { readableHighWaterMark: 0, writableHighWaterMark: 1 }),
      });
      controller.abort();
      assert.ok(socket instanceof (owner === "WebSocket" ? WebSocket : WebSocketStream));
    });
  }

  it("WebSocket refuses WebSocketStream's own options, and the reverse", () => {
    assert.throws(
      () => new WebSocket("ws://example.test/", { readableHighWaterMark: 1 } as never),
      {
        message: 'Cannot create WebSocket: unknown option "readableHighWaterMark"',
      },
    );
    assert.throws(
      () => new WebSocketStream("ws://example.test/", { maxBufferedAmount: 1 } as never),
      {
        message: 'Cannot create WebSocketStream: unknown option "maxBufferedAmount"',
      },
    );
    assert.throws(() => new WebSocket("ws://example.test/", { maxBufferedAmount: -1 }), {
      name: "RangeError",
      message: "Cannot create WebSocket: maxBufferedAmount must be a number >= 0, got -1",
    });
    assert.throws(
      () => new WebSocketStream("ws://example.test/", { writableHighWaterMark: Infinity }),
      {
        name: "RangeError",
        message:
          "Cannot create WebSocketStream: writableHighWaterMark must be a finite number >= 0, got Infinity",
      },
    );
  });

  it("validateOptions checks undefined-valued options as absent and accepts null or undefined options", () => {
    validateOptions("X", undefined, CLIENT_OPTIONS);
    validateOptions("X", null, CLIENT_OPTIONS);
    validateOptions("X", { closeTimeout: undefined }, CLIENT_OPTIONS);
  });
});

describe("Header values (RFC 9110 §5.5)", () => {
  for (const [owner, construct] of CLASSES) {
    it(`${owner} names the header, the character and its position for a value that is not a byte string`, () => {
      assert.throws(() => construct({ headers: { Authorization: "Bearer …" } }), {
        name: "TypeError",
        message:
          `Cannot create ${owner}: invalid value for header "Authorization": character "…" (U+2026) at position 7; a header value is a byte string (U+0000-U+00FF) without CR, LF or NUL`,
      });
    });

    it(`${owner} names a control character by its code point only`, () => {
      assert.throws(() => construct({ headers: [["X-A", "a\r\nX-B: 1"]] }), {
        name: "TypeError",
        message:
          `Cannot create ${owner}: invalid value for header "X-A": character (U+000D) at position 1; a header value is a byte string (U+0000-U+00FF) without CR, LF or NUL`,
      });
    });
  }
});

describe("validateOptions: per call, no more than the options given", () => {
  it("lists a table's option names once, not at every call (every connection runs it)", () => {
    let listed = 0;
    const checked: string[] = [];
    const table = new Proxy<OptionTable>({
      a: (value, where) => checked.push(`${where}=${String(value)}`),
      b: () => assert.fail("b is not given"),
    }, {
      ownKeys(target) {
        listed++;
        return Reflect.ownKeys(target);
      },
    });
    validateOptions("Thing", { a: 1 }, table);
    validateOptions("Thing", { a: 2, b: undefined }, table);
    assert.equal(listed, 1);
    assert.deepEqual(checked, ["Cannot create Thing: a=1", "Cannot create Thing: a=2"]);
    assert.throws(
      () => validateOptions("Thing", { c: 1 }, table),
      { name: "TypeError", message: 'Cannot create Thing: unknown option "c"' },
    );
  });
});
