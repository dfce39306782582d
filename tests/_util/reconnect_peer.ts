/**
 * Starts `tests/peers/reconnect_server.mjs` (Node + the `ws` server) as a
 * child process on a given port (or any free one), and kills it, so that
 * a test can take a real server away and bring it back on the same port.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { repositoryRoot } from "./peers.ts";

/** One line the server wrote. */
export interface ReconnectPeerEvent {
  readonly type: string;
  readonly key?: string;
  readonly [field: string]: unknown;
}

/** A running server. */
export interface ReconnectPeer {
  readonly port: number;
  /** Resolves with the first event (not yet taken) that matches; rejects after `ms`. */
  event(matches: (event: ReconnectPeerEvent) => boolean, ms?: number): Promise<ReconnectPeerEvent>;
  /** The events not taken yet, in order. */
  readonly events: ReconnectPeerEvent[];
  /** Kills the process (SIGKILL: no close frames, the kernel ends its connections). */
  kill(): Promise<void>;
}

/**
 * Starts the server on a port below Linux's ephemeral range (32768+), so
 * that while it is down no client socket can take its port by chance (or
 * connect to itself on it, as TCP allows); tries another port when one is
 * taken.
 *
 * @returns The running server.
 */
export async function startReconnectPeerOnFixedPort(): Promise<ReconnectPeer> {
  for (let tries = 1;; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      return await startReconnectPeer(port);
    } catch (error) {
      if (tries === 5) throw error;
    }
  }
}

/**
 * Starts the server.
 *
 * @param port The port, 0 for any free one.
 * @returns The running server, once it listens.
 */
export function startReconnectPeer(port = 0): Promise<ReconnectPeer> {
  const child: ChildProcess = spawn(
    process.env.NODE_BIN ?? "node",
    [join(repositoryRoot(), "tests/peers/reconnect_server.mjs")],
    {
      cwd: repositoryRoot(),
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, PORT: String(port) },
    },
  );
  const events: ReconnectPeerEvent[] = [];
  const waiters = new Set<
    {
      matches: (event: ReconnectPeerEvent) => boolean;
      resolve: (event: ReconnectPeerEvent) => void;
      reject: (error: Error) => void;
    }
  >();
  let stdout = "";
  let stderr = "";
  let exited = false;
  const closed = new Promise<void>((resolve) =>
    child.on("close", () => {
      exited = true;
      for (const waiter of waiters) {
        waiter.reject(new Error(`The reconnect peer exited: ${stderr}`));
      }
      waiters.clear();
      resolve();
    })
  );
  child.stdin!.on("error", () => {});
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (text: string) => stderr += text);
  child.stdout!.on("data", (text: string) => {
    stdout += text;
    let newline: number;
    while ((newline = stdout.indexOf("\n")) !== -1) {
      const line = stdout.slice(0, newline).trim();
      stdout = stdout.slice(newline + 1);
      if (line === "") continue;
      const event = JSON.parse(line) as ReconnectPeerEvent;
      const waiter = [...waiters].find((w) => w.matches(event));
      if (waiter === undefined) events.push(event);
      else {
        waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  });
  function event(
    matches: (event: ReconnectPeerEvent) => boolean,
    ms = 10_000,
  ): Promise<ReconnectPeerEvent> {
    const index = events.findIndex(matches);
    if (index !== -1) return Promise.resolve(events.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(
          new Error(`The reconnect peer sent no matching event in ${ms} ms; stderr: ${stderr}`),
        );
      }, ms);
      const waiter = {
        matches,
        resolve: (found: ReconnectPeerEvent) => {
          clearTimeout(timer);
          resolve(found);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      waiters.add(waiter);
    });
  }
  return event((e) => e.type === "listening", 20_000).then(
    (listening) => ({
      port: Number(listening.port),
      event,
      events,
      async kill() {
        if (!exited) child.kill("SIGKILL");
        await closed;
      },
    }),
    async (error) => {
      if (!exited) child.kill("SIGKILL");
      await closed;
      throw error;
    },
  );
}
