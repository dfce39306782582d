import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EXIT_CODE, USAGE } from "../../src/cli/args.ts";
import { type CliIo, formatHandshakeFailure, formatMessage, main } from "../../src/cli/session.ts";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { VERSION } from "../../src/version.ts";

function captureIo(lines: readonly string[] = []): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    lines,
    out: (text: string) => void (io.stdout += text),
    err: (text: string) => void (io.stderr += text),
    onInterrupt: () => () => {},
  };
  return io;
}

describe("formatMessage", () => {
  it("prints text as it is after '< ', newlines included", () => {
    assert.equal(formatMessage("two\nlines"), "< two\nlines\n");
    assert.equal(formatMessage(""), "< \n");
  });

  it("prints binary as its length and hex bytes", () => {
    assert.equal(formatMessage(new Uint8Array([])), "< [binary 0 bytes]\n");
    assert.equal(formatMessage(new Uint8Array([0])), "< [binary 1 byte] 00\n");
    assert.equal(
      formatMessage(new Uint8Array([0x0f, 0x10, 0xab, 0xff])),
      "< [binary 4 bytes] 0f 10 ab ff\n",
    );
  });
});

describe("formatHandshakeFailure", () => {
  it("gives the code, the message, the status line, the headers and the body", () => {
    const error = new HandshakeError("UNEXPECTED_STATUS", "Cannot open connection: 401", {
      status: 401,
      statusText: "Unauthorized",
      headers: [["www-authenticate", 'Basic realm="x"'], ["content-length", "3"]],
      body: new TextEncoder().encode("no\n\n"),
    });
    assert.equal(
      formatHandshakeFailure("wss://h/", error),
      "wsport: handshake with wss://h/ failed (UNEXPECTED_STATUS): Cannot open connection: 401\n" +
        'HTTP/1.1 401 Unauthorized\nwww-authenticate: Basic realm="x"\ncontent-length: 3\n\nno\n',
    );
  });

  it("gives only the first line when no response head was received", () => {
    const error = new HandshakeError("UNEXPECTED_EOF", "Cannot open connection: the server closed");
    assert.equal(
      formatHandshakeFailure("ws://h/", error),
      "wsport: handshake with ws://h/ failed (UNEXPECTED_EOF): Cannot open connection: the server closed\n",
    );
  });
});

describe("main", () => {
  it("prints the help and the version on stdout", async () => {
    const help = captureIo();
    assert.equal(await main(["--help"], help), EXIT_CODE.OK);
    assert.deepEqual([help.stdout, help.stderr], [USAGE, ""]);
    const version = captureIo();
    assert.equal(await main(["-V"], version), EXIT_CODE.OK);
    assert.deepEqual([version.stdout, version.stderr], [`wsport ${VERSION}\n`, ""]);
  });

  it("answers a usage error with exit code 2 and a hint on stderr", async () => {
    const io = captureIo();
    assert.equal(await main(["-s"], io), EXIT_CODE.USAGE);
    assert.deepEqual([io.stdout, io.stderr], [
      "",
      'wsport: Cannot use -s: it needs a value\nTry "wsport --help".\n',
    ]);
  });

  it("answers a URL the client refuses with exit code 2", async () => {
    const io = captureIo();
    assert.equal(await main(["ws://host/#fragment"], io), EXIT_CODE.USAGE);
    assert.match(io.stderr, /^wsport: Cannot connect to ws:\/\/host\/#fragment: /);
  });
});
