/**
 * {@linkcode startBlackHole}: a loopback listener whose accept queue is
 * full, so a TCP connect to it hangs.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";

/** A loopback port where a TCP connect hangs (see {@linkcode startBlackHole}). */
export interface BlackHole {
  readonly port: number;
  /** Stops the listener (its process exits). */
  close(): Promise<void>;
}

/** The Deno executable, for the black hole's helper process. */
function denoBinary(): string | null {
  const fromEnv = process.env.DENO_BIN;
  if (fromEnv) return fromEnv;
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  return deno ? deno.execPath() : null;
}

// `Deno.listen` never accepts until asked (Node and Bun accept at once), so
// its accept queue (backlog 511) fills with the helper's own connections;
// then Linux drops new SYNs and a connect waits for retransmissions.
const BLACK_HOLE_SCRIPT = `
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = listener.addr.port;
const held = [];
for (;;) {
  const attempt = Deno.connect({ hostname: "127.0.0.1", port });
  let timer;
  const conn = await Promise.race([attempt, new Promise((r) => timer = setTimeout(r, 150, null))]);
  clearTimeout(timer);
  if (conn === null) { attempt.then((c) => held.push(c), () => {}); break; }
  held.push(conn);
}
console.log(JSON.stringify({ port }));
for await (const _ of Deno.stdin.readable) { /* until stdin ends */ }
Deno.exit(0);
`;

/** Why {@linkcode startBlackHole} cannot run here, or `false` when it can. */
export function blackHoleUnavailable(): string | false {
  return denoBinary() === null
    ? "needs a Deno executable (DENO_BIN) for the never-accepting listener"
    : false;
}

/**
 * Starts a loopback listener that never accepts and whose accept queue is
 * full, in a Deno child process: a TCP connect to it hangs (SYNs are
 * dropped), which no other loopback address does without privileges.
 *
 * @returns The listener.
 * @throws {Error} Without a Deno executable (see {@linkcode blackHoleUnavailable}).
 */
export async function startBlackHole(): Promise<BlackHole> {
  const deno = denoBinary();
  if (deno === null) throw new Error("Cannot start the black hole: no Deno executable");
  const child: ChildProcess = spawn(deno, ["eval", BLACK_HOLE_SCRIPT], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  // 'close' comes after 'exit' and after the child's pipes closed.
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let output = "";
    child.stdout!.on("data", (data: Uint8Array) => {
      output += new TextDecoder().decode(data);
      const line = output.split("\n")[0];
      if (output.includes("\n") && line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once("exit", (code) => reject(new Error(`The black hole exited with ${code}`)));
  });
  return {
    port,
    async close() {
      child.stdin!.end();
      await exited;
    },
  };
}
