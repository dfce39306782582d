import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type ExtensionOfferItem,
  formatExtensionHeader,
  isToken,
  parseExtensionHeader,
} from "../../../src/protocol/extensions/extension.ts";

const PARSE_VECTORS: ReadonlyArray<{ name: string; value: string; items: ExtensionOfferItem[] }> = [
  { name: "an empty value (no element)", value: "", items: [] },
  {
    name: "a bare extension",
    value: "permessage-deflate",
    items: [{ name: "permessage-deflate", params: [] }],
  },
  {
    name: "the RFC 7692 §7.1 response with two parameters",
    value: "permessage-deflate; server_no_context_takeover; client_max_window_bits=10",
    items: [{
      name: "permessage-deflate",
      params: [["server_no_context_takeover", true], ["client_max_window_bits", "10"]],
    }],
  },
  {
    name: "a quoted value, unquoted (RFC 6455 §9.1)",
    value: 'permessage-deflate; client_max_window_bits="10"',
    items: [{ name: "permessage-deflate", params: [["client_max_window_bits", "10"]] }],
  },
  {
    name: "a quoted-pair inside a quoted value (RFC 9110 §5.6.4)",
    value: 'x; a="b\\c"',
    items: [{ name: "x", params: [["a", "bc"]] }],
  },
  {
    name: "the RFC 6455 §9.1 example list",
    value: "foo, bar; baz=2",
    items: [{ name: "foo", params: [] }, { name: "bar", params: [["baz", "2"]] }],
  },
  {
    name: "optional whitespace (spaces and tabs) around every separator",
    value: " foo \t;\t a = 1 ;b ,\tbar ",
    items: [{ name: "foo", params: [["a", "1"], ["b", true]] }, { name: "bar", params: [] }],
  },
  {
    name: "no whitespace at all",
    value: "foo;a=1;b,bar",
    items: [{ name: "foo", params: [["a", "1"], ["b", true]] }, { name: "bar", params: [] }],
  },
  {
    name: "empty list elements, skipped (RFC 9110 §5.6.1.2)",
    value: ", foo, , bar,",
    items: [{ name: "foo", params: [] }, { name: "bar", params: [] }],
  },
  {
    name: "repeated parameters, kept in order for the extension to judge",
    value: "x; a=1; a=2",
    items: [{ name: "x", params: [["a", "1"], ["a", "2"]] }],
  },
  {
    name: "the same extension twice (RFC 7692 §5 offers alternatives)",
    value: "permessage-deflate; client_max_window_bits, permessage-deflate",
    items: [
      { name: "permessage-deflate", params: [["client_max_window_bits", true]] },
      { name: "permessage-deflate", params: [] },
    ],
  },
  {
    name: "case kept as sent",
    value: "X-Foo; Bar=Baz",
    items: [{ name: "X-Foo", params: [["Bar", "Baz"]] }],
  },
];

const at = (index: number, value: string) => `at index ${index} of ${JSON.stringify(value)}`;

const PARSE_ERRORS: ReadonlyArray<{ name: string; value: string; message: string }> = [
  {
    name: "a separator as the name",
    value: "=x",
    message: `expected an extension name ${at(0, "=x")}`,
  },
  {
    name: "whitespace inside a name",
    value: "foo bar",
    message: `expected "," or ";" ${at(4, "foo bar")}`,
  },
  {
    name: "a value without a parameter",
    value: "foo=1",
    message: `expected "," or ";" ${at(3, "foo=1")}`,
  },
  {
    name: "an empty parameter",
    value: "foo;",
    message: `expected a parameter name ${at(4, "foo;")}`,
  },
  {
    name: "two semicolons",
    value: "foo;;a",
    message: `expected a parameter name ${at(4, "foo;;a")}`,
  },
  {
    name: "a missing value after =",
    value: "foo; a=",
    message: `expected a value for a ${at(7, "foo; a=")}`,
  },
  {
    name: "a value that is not a token",
    value: "foo; a=b/c",
    message: `expected "," or ";" ${at(8, "foo; a=b/c")}`,
  },
  {
    name: "a quoted value that is not a token (RFC 6455 §9.1)",
    value: 'foo; a="b c"',
    message: `the quoted value of a is not a token ${at(7, 'foo; a="b c"')}`,
  },
  {
    name: "an empty quoted value (RFC 6455 §9.1: a token is not empty)",
    value: 'foo; a=""',
    message: `the quoted value of a is not a token ${at(7, 'foo; a=""')}`,
  },
  {
    name: "an unterminated quoted value",
    value: 'foo; a="b',
    message: `unterminated quoted value for a ${at(7, 'foo; a="b')}`,
  },
  {
    name: "a backslash ending the value inside quotes",
    value: 'foo; a="b\\',
    message: `unterminated quoted value for a ${at(7, 'foo; a="b\\')}`,
  },
  {
    name: "a quote opening a name",
    value: '"foo"',
    message: `expected an extension name ${at(0, '"foo"')}`,
  },
  { name: "a non-ASCII name", value: "föo", message: `expected "," or ";" ${at(1, "föo")}` },
];

describe("parseExtensionHeader (RFC 6455 §9.1)", () => {
  for (const vector of PARSE_VECTORS) {
    it(`parses ${vector.name}: ${JSON.stringify(vector.value)}`, () => {
      assert.deepEqual(parseExtensionHeader(vector.value), vector.items);
    });
  }

  for (const vector of PARSE_ERRORS) {
    it(`refuses ${vector.name}: ${JSON.stringify(vector.value)}`, () => {
      assert.throws(() => parseExtensionHeader(vector.value), (error: unknown) => {
        assert.ok(error instanceof SyntaxError);
        assert.equal(error.message, `Cannot parse Sec-WebSocket-Extensions: ${vector.message}`);
        return true;
      });
    });
  }
});

describe("formatExtensionHeader (RFC 6455 §9.1)", () => {
  it("formats items with ', ' and parameters with '; '", () => {
    assert.equal(
      formatExtensionHeader([
        {
          name: "permessage-deflate",
          params: [["client_max_window_bits", true], ["server_max_window_bits", "10"]],
        },
        { name: "permessage-deflate", params: [] },
      ]),
      "permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate",
    );
  });

  it("formats an empty list as an empty string", () => {
    assert.equal(formatExtensionHeader([]), "");
  });

  it("round-trips through parseExtensionHeader", () => {
    for (const vector of PARSE_VECTORS) {
      assert.deepEqual(
        parseExtensionHeader(formatExtensionHeader(vector.items)),
        vector.items,
        vector.name,
      );
    }
  });

  const errors: ReadonlyArray<{ name: string; items: ExtensionOfferItem[]; message: string }> = [
    {
      name: "an extension name that is not a token",
      items: [{ name: "a b", params: [] }],
      message: 'Cannot format Sec-WebSocket-Extensions: "a b" is not a token',
    },
    {
      name: "an empty extension name",
      items: [{ name: "", params: [] }],
      message: 'Cannot format Sec-WebSocket-Extensions: "" is not a token',
    },
    {
      name: "a parameter name that is not a token",
      items: [{ name: "x", params: [["a;b", true]] }],
      message:
        'Cannot format Sec-WebSocket-Extensions: parameter "a;b" of x is not a token or has a non-token value',
    },
    {
      name: "a parameter value that is not a token (it could not even be quoted)",
      items: [{ name: "x", params: [["a", "1, y"]] }],
      message:
        'Cannot format Sec-WebSocket-Extensions: parameter "a" of x is not a token or has a non-token value',
    },
    {
      name: "an empty parameter value",
      items: [{ name: "x", params: [["a", ""]] }],
      message:
        'Cannot format Sec-WebSocket-Extensions: parameter "a" of x is not a token or has a non-token value',
    },
    {
      name: "a header injection in a value",
      items: [{ name: "x", params: [["a", "1\r\nX-Evil: 1"]] }],
      message:
        'Cannot format Sec-WebSocket-Extensions: parameter "a" of x is not a token or has a non-token value',
    },
  ];
  for (const vector of errors) {
    it(`refuses ${vector.name}`, () => {
      assert.throws(() => formatExtensionHeader(vector.items), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.equal(error.message, vector.message);
        return true;
      });
    });
  }
});

describe("isToken (RFC 9110 §5.6.2)", () => {
  it("accepts every tchar", () => {
    assert.equal(
      isToken("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
      true,
    );
  });

  it("refuses the empty string", () => {
    assert.equal(isToken(""), false);
  });

  it("refuses every separator, control and non-ASCII character", () => {
    for (
      const char of [
        '"',
        "(",
        ")",
        ",",
        "/",
        ":",
        ";",
        "<",
        "=",
        ">",
        "?",
        "@",
        "[",
        "\\",
        "]",
        "{",
        "}",
        " ",
        "\t",
        "\x00",
        "\x7f",
        "é",
      ]
    ) {
      assert.equal(isToken(`a${char}b`), false, JSON.stringify(char));
    }
  });
});
