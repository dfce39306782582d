/**
 * The `wsport` command, run as a user runs it, against the `ws` server
 * (`tests/peers/ws_server.mjs`): on Deno `deno run -A src/cli.ts`, on Bun
 * `bun src/cli.ts`, on Node the npm package's `bin/wsport.mjs`. Through
 * its stdin as a pipe, and through a pseudo-terminal
 * (`tests/_util/pty_proxy.py`, python3's `pty` module) where Ctrl-D and
 * Ctrl-C are typed as a user types them.
 *
 * @module
 */

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { EXIT_CODE, USAGE } from "../src/cli/args.ts";
import { VERSION } from "../src/version.ts";
import { type Peer, peerUnavailable, repositoryRoot, startPeer } from "./_util/peers.ts";
import { runtime } from "./_util/runtime.ts";
import { until, within } from "./_util/wait.ts";
import { blackHoleUnavailable, startBlackHole } from "./_util/black_hole.ts";

const ROOT = repositoryRoot();
const WAIT_MS = 20_000;

/** The command line that runs `wsport` on the runtime running this file. */
function wsportCommand(): string[] {
  switch (runtime) {
    case "deno":
      return [process.env.DENO_BIN ?? process.execPath, "run", "-A", `${ROOT}/src/cli.ts`];
    case "bun":
      return [process.env.BUN_BIN ?? process.execPath, `${ROOT}/src/cli.ts`];
    case "node":
      return [process.env.NODE_BIN ?? process.execPath, `${ROOT}/npm/bin/wsport.mjs`];
  }
}

function python3Missing(): string | false {
  try {
    execFileSync("python3", ["-c", "import pty"], { stdio: "ignore" });
    return false;
  } catch {
    return "python3 (with its pty module) is not installed (apt-get install python3)";
  }
}

/** A running `wsport`. */
interface Run {
  readonly child: ChildProcess;
  /** What it wrote on stdout so far (in a terminal: everything the terminal showed). */
  stdout(): string;
  /** What it wrote on stderr so far (empty in a terminal). */
  stderr(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number>;
  /** Waits until stdout + stderr match. */
  waitFor(pattern: RegExp): Promise<void>;
}

function start(args: readonly string[], options: { pty?: boolean } = {}): Run {
  const [command, ...rest] = wsportCommand();
  const child = options.pty
    ? spawn("python3", [`${ROOT}/tests/_util/pty_proxy.py`, command!, ...rest, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
    })
    : spawn(command!, [...rest, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => stdout += chunk.toString());
  child.stderr!.on("data", (chunk: Buffer) => stderr += chunk.toString());
  child.stdin!.on("error", () => {});
  const exited = new Promise<number>((resolve) => {
    child.on("close", (code, signal) => resolve(code ?? (signal === null ? -1 : 128)));
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitFor: (pattern) =>
      until(
        () => pattern.test(stdout + stderr),
        WAIT_MS,
        `wsport to print ${pattern}; it printed:\n${stdout}\n${stderr}`,
      ),
  };
}

/** Runs `wsport` with `input` on a pipe as its stdin and waits for it to exit. */
async function runWith(
  args: readonly string[],
  input: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = start(args);
  run.child.stdin!.end(input);
  const code = await within(run.exited, WAIT_MS, `wsport ${args.join(" ")} to exit`);
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** A loopback port with nothing listening on it. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const unavailable = runtime === "node" && !existsSync(`${ROOT}/npm/bin/wsport.mjs`)
  ? "npm/bin/wsport.mjs is not built (scripts/build_npm.ts)"
  : peerUnavailable("ws");

describe("wsport without a connection", { skip: unavailable }, () => {
  it("--version prints the version and exits 0", async () => {
    const result = await runWith(["--version"], "");
    assert.deepEqual(result, { code: EXIT_CODE.OK, stdout: `wsport ${VERSION}\n`, stderr: "" });
  });

  it("--help prints the usage, with the exit codes, and exits 0", async () => {
    const result = await runWith(["--help"], "");
    assert.equal(result.code, EXIT_CODE.OK);
    assert.equal(result.stdout, USAGE);
  });

  it("exits 2 with a message for an unknown option, a missing URL or a bad header", async () => {
    const unknown = await runWith(["--nope", "ws://127.0.0.1:9/"], "");
    assert.equal(unknown.code, EXIT_CODE.USAGE);
    assert.equal(
      unknown.stderr,
      'wsport: Cannot use --nope: unknown option\nTry "wsport --help".\n',
    );
    const missing = await runWith([], "");
    assert.equal(missing.code, EXIT_CODE.USAGE);
    assert.match(missing.stderr, /^wsport: Cannot connect: no URL given\n/);
    const header = await runWith(["-H", "no colon", "ws://127.0.0.1:9/"], "");
    assert.equal(header.code, EXIT_CODE.USAGE);
    assert.match(header.stderr, /Cannot parse header "no colon": expected "Name: value"/);
  });

  it("exits 2 for a URL or header the client refuses, before connecting", async () => {
    const scheme = await runWith(["ftp://127.0.0.1/"], "");
    assert.equal(scheme.code, EXIT_CODE.USAGE);
    assert.match(scheme.stderr, /^wsport: Cannot connect to ftp:\/\/127\.0\.0\.1\/: /);
    const reserved = await runWith(["-H", "Upgrade: h2c", "ws://127.0.0.1:9/"], "");
    assert.equal(reserved.code, EXIT_CODE.USAGE);
    assert.match(reserved.stderr, /Upgrade/);
  });

  it(
    "exits 130 on SIGINT while the TCP connect hangs",
    { skip: blackHoleUnavailable() },
    async () => {
      const hole = await startBlackHole();
      try {
        const run = start([`ws://127.0.0.1:${hole.port}/`]);
        await run.waitFor(/Connecting to/);
        process.kill(run.child.pid!, "SIGINT"); // not child.kill(): see the SIGINT test below
        const code = await within(run.exited, WAIT_MS, "wsport to exit");
        run.child.stdin!.end();
        assert.equal(code, EXIT_CODE.INTERRUPTED);
        assert.equal(
          run.stderr(),
          `Connecting to ws://127.0.0.1:${hole.port}/\n` +
            "wsport: interrupted: closing (Ctrl-C again to quit at once)\n",
        );
      } finally {
        await hole.close();
      }
    },
  );

  it("exits 3 when nothing listens on the port", async () => {
    const port = await closedPort();
    const result = await runWith([`ws://127.0.0.1:${port}/`], "hello\n");
    assert.equal(result.code, EXIT_CODE.CONNECT_FAILED);
    assert.equal(result.stdout, "");
    assert.match(
      result.stderr,
      /^Connecting to ws:\/\/127\.0\.0\.1:\d+\/\nwsport: Cannot connect to ws:\/\/127\.0\.0\.1:\d+\/: .*\(CONNECT_FAILED\)\n$/,
    );
  });
});

describe("wsport against the ws server", { skip: unavailable }, () => {
  let peer: Peer;
  before(async () => {
    peer = await startPeer("ws");
  });
  after(async () => {
    await peer?.stop();
  });
  const url = (path = "/") => `ws://127.0.0.1:${peer.port}${path}`;

  it("sends each stdin line, prints text and binary (as hex), closes with 1000 at the end of input and exits 0", async () => {
    const result = await runWith([url("/?id=pipe")], "hello\nbig:3\n\nlast line without a newline");
    assert.equal(result.code, EXIT_CODE.OK, result.stderr);
    assert.equal(
      result.stdout,
      "< hello\n< [binary 3 bytes] 00 07 0e\n< \n< last line without a newline\n",
    );
    assert.match(
      result.stderr,
      /^Connecting to ws:\/\/127\.0\.0\.1:\d+\/\?id=pipe\nConnected to ws:\/\/127\.0\.0\.1:\d+\/\?id=pipe .*\nClosed: 1000\n$/,
    );
    const close = await peer.event((event) => event.type === "close" && event.id === "pipe");
    assert.deepEqual([close.code, close.reason], [1000, ""]);
  });

  it("sends -H headers and -s subprotocols, and reports the chosen subprotocol", async () => {
    const result = await runWith(
      ["-H", "X-Test: one", "--header=X-Other:two", "-s", "wsport.v1", "-s", "chat", url()],
      "headers\n",
    );
    assert.equal(result.code, EXIT_CODE.OK, result.stderr);
    const seen = JSON.parse(result.stdout.slice(2)) as Record<string, string>;
    assert.equal(seen["x-test"], "one");
    assert.equal(seen["x-other"], "two");
    assert.equal(seen["sec-websocket-protocol"], "wsport.v1, chat");
    assert.match(result.stderr, /\(subprotocol wsport\.v1\)/);
  });

  it("exits 4 on a refused handshake, printing the status, the headers and the body", async () => {
    const result = await runWith([url("/status/403")], "hello\n");
    assert.equal(result.code, EXIT_CODE.HANDSHAKE_FAILED);
    assert.equal(result.stdout, "");
    const lines = result.stderr.split("\n").slice(1); // after "Connecting to …"
    assert.match(
      lines[0]!,
      /^wsport: handshake with ws:\/\/127\.0\.0\.1:\d+\/status\/403 failed \(UNEXPECTED_STATUS\): .*403/,
    );
    assert.equal(lines[1], "HTTP/1.1 403 Forbidden");
    assert.ok(lines.includes("x-peer: ws"), result.stderr);
    assert.ok(result.stderr.endsWith("\n\nws refused with 403 Forbidden\n"), result.stderr);
  });

  it("exits 5 when the server vanishes in the middle of a message", async () => {
    const run = start([url()]);
    run.child.stdin!.write("vanish-mid-message\n"); // stdin stays open: the server ends it
    const code = await within(run.exited, WAIT_MS, "wsport to exit");
    run.child.stdin!.end();
    assert.equal(code, EXIT_CODE.ABNORMAL_CLOSE);
    assert.match(run.stderr(), /wsport: connection closed abnormally \(1006\): .*UNEXPECTED_EOF/);
  });

  it("exits 6 when the server closes cleanly with another code, and prints it", async () => {
    const run = start([url()]);
    run.child.stdin!.write("close:4000:bye\n");
    const code = await within(run.exited, WAIT_MS, "wsport to exit");
    run.child.stdin!.end();
    assert.equal(code, EXIT_CODE.CLOSED_WITH_ERROR);
    assert.match(run.stderr(), /\nClosed: 4000 "bye"\n$/);
  });

  it("--ping pings the server and prints each round-trip time", async () => {
    const run = start(["--ping", "0.05", url("/?id=ping")]);
    await run.waitFor(/pong: [\d.]+ ms\n[^]*pong: [\d.]+ ms\n/);
    run.child.stdin!.end();
    assert.equal(await within(run.exited, WAIT_MS, "wsport to exit"), EXIT_CODE.OK);
    const ping = await peer.event((event) => event.type === "ping" && event.id === "ping");
    assert.equal(ping.data, "\0\0\0\u0001");
  });

  it("closes with 1001 on SIGINT and exits 130", async () => {
    const run = start([url("/?id=sigint")]);
    await run.waitFor(/Connected to/);
    // Not child.kill(): Deno's node:child_process then reports the child as
    // killed by the signal even when it handled it and exited with its own code.
    process.kill(run.child.pid!, "SIGINT");
    const code = await within(run.exited, WAIT_MS, "wsport to exit");
    run.child.stdin!.end();
    assert.equal(code, EXIT_CODE.INTERRUPTED);
    assert.match(run.stderr(), /interrupted: closing[^]*\nClosed: 1001\n$/);
    const close = await peer.event((event) => event.type === "close" && event.id === "sigint");
    assert.equal(close.code, 1001);
  });

  describe("in a terminal", { skip: python3Missing() }, () => {
    it("prints what is typed and received; Ctrl-D closes with 1000 and exits 0", async () => {
      const run = start([url("/?id=tty-eof")], { pty: true });
      await run.waitFor(/Connected to/);
      run.child.stdin!.write("typed in a terminal\r");
      await run.waitFor(/< typed in a terminal/);
      run.child.stdin!.write("\x04");
      assert.equal(await within(run.exited, WAIT_MS, "wsport to exit"), EXIT_CODE.OK);
      run.child.stdin!.end();
      assert.match(run.stdout(), /Closed: 1000\r\n$/);
      const close = await peer.event((event) => event.type === "close" && event.id === "tty-eof");
      assert.equal(close.code, 1000);
    });

    it("Ctrl-C closes with 1001 and exits 130", async () => {
      const run = start([url("/?id=tty-int")], { pty: true });
      await run.waitFor(/Connected to/);
      run.child.stdin!.write("\x03");
      assert.equal(await within(run.exited, WAIT_MS, "wsport to exit"), EXIT_CODE.INTERRUPTED);
      run.child.stdin!.end();
      assert.match(run.stdout(), /Closed: 1001\r\n$/);
      const close = await peer.event((event) => event.type === "close" && event.id === "tty-int");
      assert.equal(close.code, 1001);
    });
  });
});
