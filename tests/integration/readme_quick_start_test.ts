/**
 * The README's first examples run as written (section "The two APIs"; the
 * Quick start now has one block per runtime): each ```ts block of the section
 * is run against the `ws` package's server on loopback, with
 * `wss://echo.example/` pointed at it and `@wsport/wsport` imports bound to
 * this checkout's modules. (A doc-test of every block is planned; this one
 * guards the examples new users copy first.)
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as root from "../../mod.ts";
import * as testing from "../../src/testing.ts";
import { type Peer, peerUnavailable, repositoryRoot, startPeer } from "../_util/peers.ts";
import { within } from "../_util/wait.ts";

const MODULES: Readonly<Record<string, Record<string, unknown>>> = {
  "@wsport/wsport": root,
  "@wsport/wsport/testing": testing,
};

/** The ```ts blocks of the README section that starts with `heading`. */
function sectionBlocks(heading: string): string[] {
  const readme = readFileSync(join(repositoryRoot(), "README.md"), "utf8");
  const start = readme.indexOf(`\n${heading}\n`);
  assert.notEqual(start, -1, `README has a "${heading}" section`);
  const end = readme.indexOf("\n## ", start + heading.length + 2);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

type Run = (console: { log: (...args: unknown[]) => void }) => Promise<unknown>;

/**
 * Turns a block into a function: its imports become bindings of the
 * modules above, the echo host becomes `url`, and the block's last
 * `socket` is returned so the test can close it.
 */
function compile(block: string, url: string): Run {
  const bindings: string[] = [];
  const body = block.replace(
    /^import \{([^}]*)\} from "([^"]+)";.*$/gm,
    (_, names: string, specifier: string) => {
      assert.ok(specifier in MODULES, `unknown import ${specifier}`);
      for (const name of names.split(",").map((item) => item.trim()).filter(Boolean)) {
        assert.ok(name in MODULES[specifier]!, `${specifier} exports ${name}`);
        bindings.push(
          `const ${name} = modules[${JSON.stringify(specifier)}][${JSON.stringify(name)}];`,
        );
      }
      return "";
    },
  ).replaceAll("wss://echo.example/", url);
  const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => Run;
  const run = new AsyncFunction(
    "modules",
    "console",
    `${bindings.join("\n")}\n${body}\nreturn typeof socket === "undefined" ? undefined : socket;`,
  ) as unknown as (modules: unknown, console: unknown) => Promise<unknown>;
  return (console) => run(MODULES, console);
}

const unavailable = peerUnavailable("ws");
let peer: Peer | null = null;

describe("README Quick start", { skip: unavailable }, () => {
  before(async () => {
    peer = await startPeer("ws");
  });

  after(async () => {
    await peer?.stop();
  });

  it("has the three blocks, and the first sets a header browsers cannot", () => {
    const blocks = sectionBlocks("## The two APIs");
    assert.equal(blocks.length, 3);
    assert.match(blocks[0]!, /headers: \{ Authorization: /);
  });

  it("the WebSocket block echoes hello and closes cleanly", async () => {
    const [block] = sectionBlocks("## The two APIs");
    const logs: unknown[][] = [];
    let closed!: () => void;
    const done = new Promise<void>((resolve) => closed = resolve);
    const socket = await compile(block!, `ws://127.0.0.1:${peer!.port}/`)({
      log: (...args) => {
        logs.push(args);
        if (logs.length === 2) closed();
      },
    });
    assert.ok(socket instanceof root.WebSocket);
    await within(done, 10_000, "the close event");
    assert.deepEqual(logs, [["hello"], [1000, "done", true]]);
  });

  it("the WebSocketStream block echoes hello and resolves closed", async () => {
    const [, block] = sectionBlocks("## The two APIs");
    const logs: unknown[][] = [];
    const socket = await within(
      compile(block!, `ws://127.0.0.1:${peer!.port}/`)({ log: (...args) => logs.push(args) }),
      10_000,
      "the block",
    );
    assert.ok(socket instanceof root.WebSocketStream);
    assert.deepEqual(logs[0], ["hello"]);
    assert.equal((logs[1]![0] as { closeCode: number }).closeCode, 1000);
  });

  it("the testing block opens a socket on the in-memory echo server", async () => {
    const [, , block] = sectionBlocks("## The two APIs");
    const socket = await compile(block!, "unused")({ log: () => {} }) as root.WebSocket;
    await within(new Promise((resolve) => socket.onopen = resolve), 10_000, "open");
    const closed = new Promise((resolve) => socket.onclose = resolve);
    socket.close();
    await within(closed, 10_000, "close");
  });
});
