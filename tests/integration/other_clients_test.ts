/**
 * What the README's comparison table says about the other clients, probed
 * against the `ws` server (`tests/peers/client_probe.mjs`): the `ws` package
 * on Node 20, undici (Node 22's and Node 24's global `WebSocket`), Deno's
 * and Bun's built-in `WebSocket`. wsport's own column is shown by
 * `tests/integration/_cases.ts` (custom headers; `HandshakeError` with
 * status, headers and body), run against every server.
 *
 * It starts a process per client, so it runs once, from the Node section.
 *
 * @module
 */

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Peer, peerUnavailable, repositoryRoot, startPeer } from "../_util/peers.ts";
import { runtime } from "../_util/runtime.ts";

const ROOT = repositoryRoot();

interface Probe {
  readonly headers: boolean | string;
  readonly status: boolean | string;
  readonly webSocketStream: boolean;
}

/** The README's table, column by column. */
const EXPECTED: ReadonlyArray<{
  readonly name: string;
  readonly command: () => string[];
  readonly probe: Probe;
}> = [
  {
    name: "ws 8 on Node 20",
    command: () => [process.env.NODE_BIN ?? "node", "ws"],
    probe: { headers: true, status: true, webSocketStream: false },
  },
  {
    name: "undici: Node 22's WebSocket",
    command: () => [`${ROOT}/node_modules/node/bin/node`, "builtin"],
    probe: { headers: true, status: false, webSocketStream: false },
  },
  {
    name: "undici: Node 24's WebSocket",
    command: () => [`${ROOT}/node_modules/node24/bin/node`, "builtin"],
    probe: { headers: true, status: false, webSocketStream: false },
  },
  {
    name: "Deno's WebSocket",
    command: () => [process.env.DENO_BIN ?? `${ROOT}/node_modules/.bin/deno`, "builtin"],
    probe: { headers: true, status: true, webSocketStream: false },
  },
  {
    name: "Bun's WebSocket",
    command: () => [process.env.BUN_BIN ?? `${ROOT}/node_modules/.bin/bun`, "builtin"],
    probe: { headers: true, status: true, webSocketStream: false },
  },
];

function probe(command: string[], port: number): Promise<Probe> {
  const [binary, client] = command as [string, string];
  const args = binary.endsWith("deno") ? ["run", "-A", "--no-config"] : [];
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      [...args, `${ROOT}/tests/peers/client_probe.mjs`, client, String(port)],
      { cwd: ROOT, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`${binary} client_probe.mjs failed: ${stderr}`, { cause: error }));
        } else resolve(JSON.parse(stdout.trim().split("\n").pop()!) as Probe);
      },
    );
  });
}

const skip = runtime !== "node"
  ? "probes other runtimes' clients in child processes: runs once, from the Node section"
  : peerUnavailable("ws");

describe("The other clients, as the README's comparison table says", { skip }, () => {
  let peer: Peer;
  before(async () => {
    peer = await startPeer("ws");
  });
  after(async () => {
    await peer?.stop();
  });
  for (const { name, command, probe: expected } of EXPECTED) {
    const binary = command()[0]!;
    const missing = binary.includes("/") && !existsSync(binary) ? `${binary} is missing` : false;
    it(
      `${name}: custom headers, the status of a 403, WebSocketStream`,
      { skip: missing },
      async () => {
        const { headers, status, webSocketStream } = await probe(command(), peer.port);
        assert.deepEqual({ headers, status, webSocketStream }, expected);
      },
    );
  }
});
