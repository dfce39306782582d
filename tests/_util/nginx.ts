/**
 * nginx from Debian, started by a test on loopback with its own
 * configuration, pid file, logs and temp paths in a temporary directory,
 * in the foreground (`daemon off`), and stopped with its directory.
 *
 * Also makes a client-certificate authority and a client certificate (plain
 * and passphrase-protected key) with the `openssl` CLI, for
 * `ssl_verify_client on`.
 *
 * @module
 */

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

const NGINX = "/usr/sbin/nginx";

/** Why nginx cannot run here, or `false`. */
export function nginxUnavailable(): string | false {
  return existsSync(NGINX)
    ? false
    : `${NGINX} is missing (apt-get install nginx; CI installs .ci/apt/net.txt)`;
}

/** A running nginx. */
export interface RunningNginx {
  /** Its directory (config, logs, unix sockets). */
  readonly dir: string;
  /** The error log so far. */
  errorLog(): Promise<string>;
  /** Stops it and removes the directory. */
  stop(): Promise<void>;
}

/**
 * Starts nginx with the given `http { … }` body. `{{dir}}` in the body is
 * replaced by the temporary directory.
 *
 * @param httpBody Server blocks and the like.
 * @param files Extra files to write into the directory first (name → text).
 * @param ports TCP ports on 127.0.0.1 to wait for.
 */
export async function startNginx(
  httpBody: string,
  files: Readonly<Record<string, string>>,
  ports: readonly number[],
): Promise<RunningNginx> {
  const dir = await mkdtemp(join(tmpdir(), "wsport-nginx-"));
  await chmod(dir, 0o755);
  for (const [name, text] of Object.entries(files)) {
    await writeFile(join(dir, name), text, { mode: 0o644 });
  }
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const config = [
    // As root, workers would run as nobody and could not write our temp paths.
    ...(isRoot ? ["user root;"] : []),
    "daemon off;",
    "worker_processes 1;",
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log info;`,
    "events { worker_connections 128; }",
    "http {",
    "  access_log off;",
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((name) =>
      `  ${name}_temp_path ${dir}/${name};`
    ),
    httpBody.replaceAll("{{dir}}", dir),
    "}",
    "",
  ].join("\n");
  await writeFile(join(dir, "nginx.conf"), config);
  const child = spawn(NGINX, ["-c", join(dir, "nginx.conf"), "-p", dir, "-e", `${dir}/error.log`], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  async function errorLog(): Promise<string> {
    try {
      return await readFile(join(dir, "error.log"), "utf8");
    } catch {
      return output;
    }
  }
  async function stop(): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) {
      // SIGTERM: nginx's fast shutdown, workers included.
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  }
  try {
    for (const port of ports) await waitForPort(port, child, () => output);
  } catch (error) {
    const log = await errorLog();
    await stop();
    throw new Error(`nginx did not start: ${output} ${log.slice(-1500)}`, { cause: error });
  }
  return { dir, errorLog, stop };
}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.on("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A client-certificate authority and a client certificate, PEM. */
export interface ClientCertificate {
  /** The CA that signed the client certificate (nginx's `ssl_client_certificate`). */
  readonly ca: string;
  /** The client certificate. */
  readonly cert: string;
  /** Its private key, unencrypted (PKCS #8). */
  readonly key: string;
  /** The same key encrypted with {@linkcode ClientCertificate.passphrase}. */
  readonly encryptedKey: string;
  /** The passphrase of `encryptedKey`. */
  readonly passphrase: string;
}

function openssl(args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("openssl", [...args], { cwd }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`Cannot run openssl ${args[0]}: ${stderr}`, { cause: error }));
      else resolve();
    });
  });
}

/** Makes a client CA and a client certificate with `openssl`, in a temporary directory removed after. */
export async function makeClientCertificate(): Promise<ClientCertificate> {
  const dir = await mkdtemp(join(tmpdir(), "wsport-client-cert-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const passphrase = "wsport passphrase";
  try {
    await writeFile(
      join(dir, "client.ext"),
      "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
    );
    await openssl([
      "req",
      "-x509",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      ...ec,
      "-days",
      "2",
      "-subj",
      "/CN=wsport client CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ], dir);
    await openssl([
      "req",
      "-keyout",
      "client.key",
      "-out",
      "client.csr",
      "-subj",
      "/CN=wsport client",
      ...ec,
    ], dir);
    await openssl([
      "x509",
      "-req",
      "-in",
      "client.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "client.pem",
      "-days",
      "2",
      "-extfile",
      "client.ext",
    ], dir);
    await openssl([
      "pkey",
      "-in",
      "client.key",
      "-aes256",
      "-passout",
      `pass:${passphrase}`,
      "-out",
      "client.enc.key",
    ], dir);
    const [ca, cert, key, encryptedKey] = await Promise.all(
      ["ca.pem", "client.pem", "client.key", "client.enc.key"].map((name) =>
        readFile(join(dir, name), "utf8")
      ),
    );
    return { ca: ca!, cert: cert!, key: key!, encryptedKey: encryptedKey!, passphrase };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
