/**
 * A throwaway certificate authority and a server certificate for
 * `localhost` and `127.0.0.1`, made at test time with the `openssl` CLI
 * (through `node:child_process`, which Deno, Bun and Node all provide).
 *
 * The files live in a temporary directory only while `openssl` runs; the
 * directory is removed before the promise resolves, and only PEM strings are
 * returned. The result is cached per process, so each test file pays for the
 * key generation once (about 50 ms with P-256 keys).
 *
 * A separate CA is used (rather than one self-signed leaf) because rustls,
 * which Deno uses, refuses a CA certificate presented as the end-entity
 * certificate.
 *
 * @module
 */

import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** PEM-encoded test credentials. */
export interface TestCertificate {
  /** The CA certificate to trust (pass as `ca`). */
  readonly ca: string;
  /** The server certificate, valid for DNS `localhost` and IP `127.0.0.1`. */
  readonly cert: string;
  /** The server's private key. */
  readonly key: string;
}

let cached: Promise<TestCertificate> | undefined;

/**
 * Returns a CA and a server certificate for `localhost`/`127.0.0.1`,
 * generating them on first use.
 *
 * @returns PEM strings; no file is left on disk.
 */
export function getTestCertificate(): Promise<TestCertificate> {
  cached ??= generate();
  return cached;
}

function run(args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("openssl", [...args], { cwd }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`Cannot run openssl ${args[0]}: ${stderr}`, { cause: error }));
      else resolve();
    });
  });
}

function split(args: string): string[] {
  return args.split(" ");
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function generate(): Promise<TestCertificate> {
  const dir = await mkdtemp(join(tmpdir(), "wsport-cert-"));
  try {
    await writeFile(
      join(dir, "leaf.ext"),
      [
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature",
        "extendedKeyUsage=serverAuth",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "",
      ].join("\n"),
    );
    const days = ["-days", "2"];
    await run([
      ...split("req -x509 -keyout ca.key -out ca.pem"),
      ...EC,
      ...days,
      ...["-subj", "/CN=wsport test CA"],
      ...["-addext", "basicConstraints=critical,CA:TRUE"],
      ...["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    ], dir);
    await run([...split("req -keyout leaf.key -out leaf.csr -subj /CN=localhost"), ...EC], dir);
    await run([
      ...split("x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem"),
      ...days,
      ...["-extfile", "leaf.ext"],
    ], dir);
    const [ca, cert, key] = await Promise.all(
      ["ca.pem", "leaf.pem", "leaf.key"].map((name) => readFile(join(dir, name), "utf8")),
    );
    return { ca: ca!, cert: cert!, key: key! };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
