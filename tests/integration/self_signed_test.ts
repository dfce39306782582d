/**
 * The README's runtime caveat about self-signed certificates, shown against
 * the `ws` server over TLS: a self-signed certificate (`openssl req -x509`,
 * which marks it `CA:TRUE`) passed as its own `tls.ca` is accepted on Bun and
 * Node but refused on Deno (rustls refuses a CA certificate presented as the
 * end-entity one). What works on Deno: a CA and a leaf it signed (the TLS
 * cases of `tests/integration/_cases.ts` use such a pair on every runtime),
 * or Deno's process-wide `--unsafely-ignore-certificate-errors`, shown here.
 *
 * @module
 */

import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { WebSocketStream } from "../../mod.ts";
import { TransportError } from "../../src/transport/types.ts";
import { type Peer, peerUnavailable, repositoryRoot, startPeer } from "../_util/peers.ts";
import { runtime } from "../_util/runtime.ts";

function run(command: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} failed: ${stderr}`, { cause: error }));
      else resolve(stdout + stderr);
    });
  });
}

/** A self-signed certificate for localhost and 127.0.0.1, as `openssl req -x509` makes it. */
async function selfSigned(): Promise<{ cert: string; key: string }> {
  const dir = await mkdtemp(join(tmpdir(), "wsport-self-signed-"));
  try {
    await run("openssl", [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-keyout", "key.pem", "-out", "cert.pem", "-days", "2", "-subj", "/CN=localhost"],
      ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
    ], dir);
    const [cert, key] = await Promise.all(
      ["cert.pem", "key.pem"].map((name) => readFile(join(dir, name), "utf8")),
    );
    return { cert: cert!, key: key! };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("A self-signed certificate used as its own CA", { skip: peerUnavailable("ws") }, () => {
  let peer: Peer;
  let credentials: { cert: string; key: string };
  before(async () => {
    credentials = await selfSigned();
    peer = await startPeer("ws", credentials);
  });
  after(async () => {
    await peer?.stop();
  });

  it(
    runtime === "deno"
      ? "is refused on Deno with TLS_FAILED"
      : `is accepted on ${runtime === "bun" ? "Bun" : "Node"}`,
    async () => {
      const socket = new WebSocketStream(`wss://localhost:${peer.tlsPort}/`, {
        tls: { ca: credentials.cert },
      });
      if (runtime === "deno") {
        const error = await socket.opened.then(() => null, (error: unknown) => error);
        assert.ok(error instanceof Error, "opened should reject");
        assert.ok(error.cause instanceof TransportError, String(error.cause));
        assert.equal(error.cause.code, "TLS_FAILED");
      } else {
        await socket.opened;
        socket.close({ closeCode: 1000 });
        assert.deepEqual(await socket.closed, { closeCode: 1000, reason: "" });
      }
    },
  );

  it(
    "is accepted on Deno with --unsafely-ignore-certificate-errors",
    { skip: runtime === "deno" ? false : "a Deno flag: tried from the Deno section" },
    async () => {
      const root = repositoryRoot();
      const script = `
import { WebSocketStream } from "${root}/mod.ts";
const socket = new WebSocketStream("wss://localhost:${peer.tlsPort}/");
await socket.opened;
socket.close({ closeCode: 1000 });
console.log(JSON.stringify(await socket.closed));
`;
      const dir = await mkdtemp(join(tmpdir(), "wsport-unsafe-"));
      try {
        await writeFile(join(dir, "connect.ts"), script);
        const output = await run(process.env.DENO_BIN ?? process.execPath, [
          "run",
          "-A",
          "--no-check",
          "--unsafely-ignore-certificate-errors=localhost",
          "connect.ts",
        ], dir);
        assert.match(output, /\{"closeCode":1000,"reason":""\}/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
