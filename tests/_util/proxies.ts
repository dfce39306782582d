/**
 * Real proxies from Debian, started by the tests on loopback with their
 * own configuration in a temporary directory, and stopped:
 *
 * | proxy       | package       | speaks                                   |
 * | ----------- | ------------- | ---------------------------------------- |
 * | `tinyproxy` | `tinyproxy`   | HTTP `CONNECT`, optional Basic auth      |
 * | `squid`     | `squid`       | HTTP `CONNECT` over TLS (`https_port`)   |
 * | `microsocks`| `microsocks`  | SOCKS5, optional username/password       |
 *
 * Each runs in the foreground as a child process; {@linkcode RunningProxy.stop}
 * kills it and removes its directory. When the binary is missing,
 * {@linkcode proxyUnavailable} says why, so the test can skip (CI installs
 * the packages listed in `.ci/apt/net.txt`).
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A proxy process. */
export interface RunningProxy {
  /** Its URL, with credentials when it requires them. */
  readonly url: string;
  /** The port on 127.0.0.1. */
  readonly port: number;
  /** What it wrote so far (for failure messages). */
  readonly output: () => string;
  /** Kills it and removes its files. */
  stop(): Promise<void>;
}

const BINARIES = {
  tinyproxy: "/usr/bin/tinyproxy",
  microsocks: "/usr/bin/microsocks",
  squid: "/usr/sbin/squid",
} as const;

/** Why a proxy cannot run here, or `false` when it can. */
export function proxyUnavailable(name: keyof typeof BINARIES): string | false {
  return existsSync(BINARIES[name])
    ? false
    : `${BINARIES[name]} is missing (apt-get install ${name}; CI installs .ci/apt/net.txt)`;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port. */
async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The proxy exited: ${output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.on("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`The proxy did not listen on ${port}: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function launch(
  command: string,
  args: readonly string[],
  port: number,
  url: string,
  dir: string,
): Promise<RunningProxy> {
  const child = spawn(command, [...args], { stdio: ["ignore", "pipe", "pipe"], cwd: dir });
  let text = "";
  child.stdout?.on("data", (chunk) => (text += chunk));
  child.stderr?.on("data", (chunk) => (text += chunk));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const output = () => text.slice(-2000);
  async function stop(): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) {
      // SIGTERM first: squid then stops its helpers too.
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 2_000);
      await exited;
      clearTimeout(timer);
    }
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
  try {
    await waitForPort(port, child, output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, output, stop };
}

/** Credentials of an authenticating proxy. */
export interface ProxyCredentials {
  readonly username: string;
  readonly password: string;
}

function withCredentials(scheme: string, port: number, auth?: ProxyCredentials): string {
  const userinfo = auth === undefined
    ? ""
    : `${encodeURIComponent(auth.username)}:${encodeURIComponent(auth.password)}@`;
  return `${scheme}://${userinfo}127.0.0.1:${port}`;
}

/**
 * Starts tinyproxy (HTTP CONNECT to any port), with Basic authentication
 * when `auth` is given.
 */
export async function startTinyproxy(auth?: ProxyCredentials): Promise<RunningProxy> {
  const dir = await mkdtemp(join(tmpdir(), "wsport-tinyproxy-"));
  const port = await freePort();
  const config = [
    `Port ${port}`,
    "Listen 127.0.0.1",
    "Timeout 30",
    "MaxClients 50",
    "Allow 127.0.0.1",
    // tinyproxy drops root privileges to this user (the tests may run as root).
    "User nobody",
    "Group nogroup",
    "LogLevel Info",
    ...(auth === undefined ? [] : [`BasicAuth ${auth.username} ${auth.password}`]),
    "",
  ].join("\n");
  await writeFile(join(dir, "tinyproxy.conf"), config);
  return launch(
    BINARIES.tinyproxy,
    ["-d", "-c", join(dir, "tinyproxy.conf")],
    port,
    withCredentials("http", port, auth),
    dir,
  );
}

/** Starts microsocks (SOCKS5), with username/password when `auth` is given. */
export async function startMicrosocks(auth?: ProxyCredentials): Promise<RunningProxy> {
  const dir = await mkdtemp(join(tmpdir(), "wsport-microsocks-"));
  const port = await freePort();
  const args = ["-i", "127.0.0.1", "-p", String(port)];
  if (auth !== undefined) args.push("-u", auth.username, "-P", auth.password);
  return launch(BINARIES.microsocks, args, port, withCredentials("socks5", port, auth), dir);
}

/**
 * Starts squid with an `https_port` (CONNECT over TLS to the proxy, with
 * the given certificate), no cache, open to 127.0.0.1 only. The URL is the
 * `https:` one.
 */
export async function startSquid(tls: { cert: string; key: string }): Promise<RunningProxy> {
  const dir = await mkdtemp(join(tmpdir(), "wsport-squid-"));
  // squid drops root privileges to the `proxy` user, which must write here.
  await chmod(dir, 0o777);
  await writeFile(join(dir, "cert.pem"), tls.cert, { mode: 0o644 });
  await writeFile(join(dir, "key.pem"), tls.key, { mode: 0o644 });
  const [httpPort, port] = [await freePort(), await freePort()];
  const config = [
    `http_port 127.0.0.1:${httpPort}`,
    `https_port 127.0.0.1:${port} tls-cert=${join(dir, "cert.pem")} tls-key=${
      join(dir, "key.pem")
    }`,
    "acl local src 127.0.0.1",
    "http_access allow local",
    "http_access deny all",
    "cache deny all",
    "pinger_enable off",
    "shutdown_lifetime 0 seconds",
    `pid_filename ${join(dir, "squid.pid")}`,
    `access_log ${join(dir, "access.log")}`,
    `cache_log ${join(dir, "cache.log")}`,
    `coredump_dir ${dir}`,
    "",
  ].join("\n");
  await writeFile(join(dir, "squid.conf"), config);
  return launch(
    BINARIES.squid,
    ["-N", "-f", join(dir, "squid.conf")],
    port,
    `https://127.0.0.1:${port}`,
    dir,
  );
}
