import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_PING_SECONDS,
  EXIT_CODE,
  parseArgs,
  parseHeader,
  USAGE,
  UsageError,
} from "../../src/cli/args.ts";

const URL = "ws://localhost:8080/";

function usageError(args: readonly string[], message: string): void {
  assert.throws(() => parseArgs(args), (error: unknown) => {
    assert.ok(error instanceof UsageError);
    assert.equal(error.name, "UsageError");
    assert.equal(error.message, message);
    return true;
  });
}

describe("parseArgs", () => {
  it("reads a URL alone", () => {
    assert.deepEqual(parseArgs([URL]), { kind: "connect", url: URL, headers: [], protocols: [] });
  });

  it("reads repeated -H and -s in order, short, long and --long=value", () => {
    assert.deepEqual(
      parseArgs([
        "-H",
        "A: 1",
        "--header",
        "B:2",
        "--header=C:  three : colons ",
        "-s",
        "one",
        "--subprotocol=two",
        "--subprotocol",
        "three",
        "-o",
        "https://origin.example",
        URL,
      ]),
      {
        kind: "connect",
        url: URL,
        headers: [["A", "1"], ["B", "2"], ["C", "three : colons"]],
        protocols: ["one", "two", "three"],
        origin: "https://origin.example",
      },
    );
  });

  it("--ping takes an optional number of seconds", () => {
    assert.equal(parseArgs(["--ping", URL]).kind, "connect");
    assert.deepEqual(
      [
        parseArgs(["--ping", URL]),
        parseArgs([URL, "--ping"]),
        parseArgs(["--ping", "2.5", URL]),
        parseArgs(["--ping=.5", URL]),
      ].map((command) => command.kind === "connect" ? command.pingIntervalMs : null),
      [DEFAULT_PING_SECONDS * 1000, DEFAULT_PING_SECONDS * 1000, 2500, 500],
    );
  });

  it("--help and --version need no URL", () => {
    assert.deepEqual(parseArgs(["-H", "A: 1", "-h"]), { kind: "help" });
    assert.deepEqual(parseArgs([URL, "--help"]), { kind: "help" });
    assert.deepEqual(parseArgs(["-V"]), { kind: "version" });
    assert.deepEqual(parseArgs([URL, "--version"]), { kind: "version" });
  });

  it("takes what follows -- as the URL, even when it starts with -", () => {
    assert.deepEqual(parseArgs(["--", "-x"]), {
      kind: "connect",
      url: "-x",
      headers: [],
      protocols: [],
    });
  });

  it("refuses unknown options, missing values, bad intervals and not exactly one URL", () => {
    usageError(["--bogus", URL], "Cannot use --bogus: unknown option");
    usageError(["-x", URL], "Cannot use -x: unknown option");
    usageError([URL, "-H"], "Cannot use -H: it needs a value");
    usageError(
      ["--ping=0", URL],
      "Cannot use --ping 0: the interval must be a number of seconds > 0",
    );
    usageError(
      ["--ping=soon", URL],
      "Cannot use --ping soon: the interval must be a number of seconds > 0",
    );
    usageError([], "Cannot connect: no URL given");
    usageError([URL, URL], `Cannot connect: expected one URL, got 2 (${URL} ${URL})`);
  });
});

describe("parseHeader", () => {
  it("splits at the first colon and trims both sides", () => {
    assert.deepEqual(parseHeader("Authorization: Bearer a:b"), ["Authorization", "Bearer a:b"]);
    assert.deepEqual(parseHeader("X-Empty:"), ["X-Empty", ""]);
  });

  it("refuses a header without a colon or a name", () => {
    assert.throws(() => parseHeader("nothing"), {
      name: "UsageError",
      message: 'Cannot parse header "nothing": expected "Name: value"',
    });
    assert.throws(() => parseHeader(" : value"), {
      name: "UsageError",
      message: 'Cannot parse header " : value": expected "Name: value"',
    });
  });
});

describe("USAGE and EXIT_CODE", () => {
  it("the usage lists every exit code with its number", () => {
    for (const code of Object.values(EXIT_CODE)) {
      assert.match(USAGE, new RegExp(`^  ${code} +\\S`, "m"), `exit code ${code} not in USAGE`);
    }
  });

  it("every exit code is distinct", () => {
    const codes = Object.values(EXIT_CODE);
    assert.equal(new Set(codes).size, codes.length);
  });
});
