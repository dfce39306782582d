/**
 * Starts the real WebSocket servers of `tests/peers/` as child processes,
 * so that every client runtime talks to every server runtime:
 *
 * | peer   | script                       | runs on     | server                                      |
 * | ------ | ---------------------------- | ----------- | ------------------------------------------- |
 * | `deno` | `tests/peers/deno_server.ts` | `$DENO_BIN` | `Deno.serve` + `Deno.upgradeWebSocket`      |
 * | `bun`  | `tests/peers/bun_server.ts`  | `$BUN_BIN`  | `Bun.serve` with `websocket` handlers (uWS) |
 * | `ws`   | `tests/peers/ws_server.mjs`  | `$NODE_BIN` | the `ws` npm package's `WebSocketServer`    |
 *
 * ## The peers' protocol
 *
 * Startup: a peer listens on `127.0.0.1:0` and, when `PEER_TLS_CERT` and
 * `PEER_TLS_KEY` (PEM text) are in its environment, on a second port with
 * TLS. Its first line on stdout is
 * `{"type":"listening","peer":…,"version":…,"port":N,"tlsPort":N|null}`.
 * It exits when its stdin ends, so a test that dies leaves no server behind.
 *
 * HTTP: `/status/NNN` is answered with status NNN, an `x-peer: <peer>`
 * header and the body `<peer> refused with NNN <reason phrase>`. Any other
 * path upgrades. The subprotocol is the first one the client offered that
 * is in `["wsport.v2", "wsport.v1"]`, or none; on `/protocol/unoffered`
 * it is `unoffered.example`, which the client never offers. A `?id=`
 * query names the connection in the peer's event lines.
 *
 * Messages: binary messages are echoed. Text messages are echoed unless
 * they are one of these commands:
 * - `headers`: replies with the request headers it saw, as a JSON object;
 * - `big:N`: replies with an N-byte binary message of {@linkcode pattern};
 * - `send-fragmented`: sends the text `Hello, fragmented world` in three
 *   fragments with a ping (`between`) after the first, then a 100 000-byte
 *   binary message of {@linkcode pattern} in two fragments;
 * - `close:CODE:REASON`: starts the closing handshake with that code and reason;
 * - `ping:DATA`: pings with DATA and, when the matching pong arrives,
 *   replies `pong:DATA`;
 * - `vanish-mid-message`: starts a message and drops the connection
 *   before its end (`ws`: half a frame on the raw socket, then `destroy()`;
 *   Bun: `terminate()` behind a queued 32 MiB message; Deno: the process
 *   exits 10 ms into a 32 MiB message).
 *
 * A command the peer's server cannot do is answered `unsupported:<command>`.
 *
 * Events: the peer writes one JSON line per `open` (`protocol`), `close`
 * (`code`, `reason`), `ping`, `pong` (`data`), binary message of 1 MiB or
 * more received (`binary`, `size`), `vanish` (`midMessage`: whether part
 * of the message was written before the connection was dropped) and
 * `error`, each with the connection's `id`.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The servers under test. */
export type PeerName = "deno" | "bun" | "ws";

/** Every peer, in the order the matrix reports them. */
export const PEER_NAMES: readonly PeerName[] = ["deno", "bun", "ws"];

/** What a peer's server can do; a string is the reason it cannot. */
export interface PeerCapabilities {
  /** Sends a message in several frames (`send-fragmented`). */
  readonly fragments: true | string;
  /** Sends a ping on request and reports the pong (`ping:DATA`). */
  readonly pingOnRequest: true | string;
  /** Reports the pings it receives. */
  readonly seesPings: true | string;
  /** Pings by itself when idle (`/idle`: after 250 ms, and closes without a pong). */
  readonly idlePing: boolean;
  /** `vanish-mid-message` ends the whole process, so it needs a peer of its own. */
  readonly vanishEndsProcess: boolean;
  /** Accepts `Sec-WebSocket-Version: 8` (draft hybi-10, the client's `protocolVersion: "hybi-10"`). */
  readonly hybi10: true | string;
}

/** What each peer can do (see the notes at the top of each script). */
export const PEER_CAPABILITIES: Readonly<Record<PeerName, PeerCapabilities>> = {
  deno: {
    fragments: "Deno's server WebSocket sends every message as a single frame",
    pingOnRequest: "Deno's server WebSocket has no ping() (only idleTimeout pings, see /idle)",
    seesPings: "Deno's server WebSocket reports no ping event",
    idlePing: true,
    vanishEndsProcess: true,
    hybi10: true,
  },
  bun: {
    fragments: "Bun's ServerWebSocket has no way to send a fragment",
    pingOnRequest: true,
    seesPings: true,
    idlePing: false,
    vanishEndsProcess: false,
    hybi10: "Bun.serve's upgrade() refuses Sec-WebSocket-Version: 8",
  },
  ws: {
    fragments: true,
    pingOnRequest: true,
    seesPings: true,
    idlePing: false,
    vanishEndsProcess: false,
    hybi10: true,
  },
};

/** One line a peer wrote about a connection. */
export interface PeerEvent {
  readonly type: string;
  readonly id?: string;
  readonly [field: string]: unknown;
}

/** A running peer. */
export interface Peer {
  readonly name: PeerName;
  /** The runtime's or package's version, as the peer reported it. */
  readonly version: string;
  /** The plain TCP port on 127.0.0.1. */
  readonly port: number;
  /** The TLS port on 127.0.0.1, or `null` when started without a certificate. */
  readonly tlsPort: number | null;
  /** Whether the process has exited (it does by itself after `vanish-mid-message` on Deno). */
  readonly exited: boolean;
  /**
   * Resolves with the first event (not yet taken) that `matches`; rejects
   * after `timeoutMs` or when the peer exits first.
   */
  event(matches: (event: PeerEvent) => boolean, timeoutMs?: number): Promise<PeerEvent>;
  /** What the peer wrote on stderr so far (for failure messages). */
  readonly stderr: () => string;
  /** Ends the peer (closes its stdin, then kills it after 2 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/** TLS credentials for a peer (PEM). */
export interface PeerTls {
  readonly cert: string;
  readonly key: string;
}

const SCRIPTS: Readonly<Record<PeerName, string>> = {
  deno: "tests/peers/deno_server.ts",
  bun: "tests/peers/bun_server.ts",
  ws: "tests/peers/ws_server.mjs",
};

const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 2_000;

/** The repository root: `$WSPORT_ROOT`, else the nearest parent holding `tests/peers/`. */
export function repositoryRoot(): string {
  const fromEnv = process.env.WSPORT_ROOT;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, SCRIPTS.deno)) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

function runtimeBinary(name: PeerName): string {
  const root = repositoryRoot();
  switch (name) {
    case "deno":
      return process.env.DENO_BIN ?? join(root, "node_modules/.bin/deno");
    case "bun":
      return process.env.BUN_BIN ?? join(root, "node_modules/.bin/bun");
    case "ws":
      return process.env.NODE_BIN ?? "node";
  }
}

function commandLine(name: PeerName): { command: string; args: string[] } {
  const script = join(repositoryRoot(), SCRIPTS[name]);
  const command = runtimeBinary(name);
  switch (name) {
    case "deno":
      return { command, args: ["run", "-A", "--no-config", script] };
    case "bun":
    case "ws":
      return { command, args: [script] };
  }
}

/**
 * Tells why a peer cannot be started here.
 *
 * @param name The peer.
 * @returns A reason to skip its cases, or `false` when it can run.
 */
export function peerUnavailable(name: PeerName): string | false {
  const { command } = commandLine(name);
  if (command.includes("/") && !existsSync(command)) return `${command} does not exist`;
  if (name === "ws" && !existsSync(join(repositoryRoot(), "node_modules/ws/package.json"))) {
    return "the ws package is not installed (npm install)";
  }
  return false;
}

/**
 * Starts a peer and waits for its `listening` line.
 *
 * @param name Which server.
 * @param tls Also listen with TLS, with this certificate.
 * @returns The running peer; call {@linkcode Peer.stop} in an `after` hook.
 */
export function startPeer(name: PeerName, tls?: PeerTls): Promise<Peer> {
  const { command, args } = commandLine(name);
  const child = spawn(command, args, {
    cwd: repositoryRoot(),
    stdio: ["pipe", "pipe", "pipe"],
    env: {
      ...process.env,
      NO_COLOR: "1",
      DENO_NO_UPDATE_CHECK: "1",
      ...(tls === undefined ? {} : { PEER_TLS_CERT: tls.cert, PEER_TLS_KEY: tls.key }),
    },
  });
  return new RunningPeer(name, child).started;
}

interface Waiter {
  readonly matches: (event: PeerEvent) => boolean;
  readonly resolve: (event: PeerEvent) => void;
  readonly reject: (error: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

class RunningPeer implements Peer {
  readonly name: PeerName;
  version = "";
  port = 0;
  tlsPort: number | null = null;
  exited = false;
  readonly started: Promise<Peer>;
  #child: ChildProcess;
  #events: PeerEvent[] = [];
  #waiters = new Set<Waiter>();
  #stdout = "";
  #stderr = "";
  #closed: Promise<void>;

  constructor(name: PeerName, child: ChildProcess) {
    this.name = name;
    this.#child = child;
    child.stdin!.on("error", () => {});
    child.stdout!.setEncoding("utf8");
    child.stderr!.setEncoding("utf8");
    child.stdout!.on("data", (text: string) => this.#onStdout(text));
    child.stderr!.on("data", (text: string) => {
      this.#stderr += text;
    });
    this.#closed = new Promise((resolve) => {
      child.on("close", () => {
        this.exited = true;
        for (const waiter of this.#waiters) {
          clearTimeout(waiter.timer);
          waiter.reject(new Error(`The ${name} peer exited${this.#stderrNote()}`));
        }
        this.#waiters.clear();
        resolve();
      });
    });
    this.started = this.#waitListening(child);
  }

  async #waitListening(child: ChildProcess): Promise<Peer> {
    const spawned = new Promise<never>((_, reject) => {
      child.once(
        "error",
        (error) => reject(new Error(`Cannot start the ${this.name} peer: ${error.message}`)),
      );
    });
    try {
      const listening = await Promise.race([
        this.event((event) => event.type === "listening", START_TIMEOUT_MS),
        spawned,
      ]);
      this.version = String(listening.version);
      this.port = Number(listening.port);
      this.tlsPort = typeof listening.tlsPort === "number" ? listening.tlsPort : null;
      return this;
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  #stderrNote(): string {
    const text = this.#stderr.trim();
    return text === "" ? "" : `; its stderr:\n${text}`;
  }

  #onStdout(text: string): void {
    this.#stdout += text;
    let newline: number;
    while ((newline = this.#stdout.indexOf("\n")) !== -1) {
      const line = this.#stdout.slice(0, newline).trim();
      this.#stdout = this.#stdout.slice(newline + 1);
      if (line === "") continue;
      let event: PeerEvent;
      try {
        event = JSON.parse(line) as PeerEvent;
      } catch {
        this.#stderr += `[stdout] ${line}\n`;
        continue;
      }
      this.#deliver(event);
    }
  }

  #deliver(event: PeerEvent): void {
    for (const waiter of this.#waiters) {
      if (waiter.matches(event)) {
        this.#waiters.delete(waiter);
        clearTimeout(waiter.timer);
        waiter.resolve(event);
        return;
      }
    }
    this.#events.push(event);
  }

  event(matches: (event: PeerEvent) => boolean, timeoutMs = 5_000): Promise<PeerEvent> {
    const index = this.#events.findIndex(matches);
    if (index !== -1) return Promise.resolve(this.#events.splice(index, 1)[0]!);
    if (this.exited) {
      return Promise.reject(new Error(`The ${this.name} peer exited${this.#stderrNote()}`));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        matches,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(new Error(`The ${this.name} peer sent no matching event in ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  stderr = (): string => this.#stderr;

  async stop(): Promise<void> {
    if (!this.exited) {
      this.#child.stdin!.end();
      const timer = setTimeout(() => this.#child.kill("SIGKILL"), STOP_GRACE_MS);
      await this.#closed;
      clearTimeout(timer);
    }
    await this.#closed;
  }
}
