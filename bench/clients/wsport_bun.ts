// wsport's WebSocket on Bun, from the snapshot of the sources that bench/run.ts
// takes into .test-build/bench/ts (a variable keeps `deno check` from
// resolving a file that exists only during a run).
import process from "node:process";
import { run, whatwgSocket } from "./_harness.mjs";

const module = "../../.test-build/bench/ts/mod.ts";
const { WebSocket } = await import(module);
// "arraybuffer" unless bench/run.ts asks for the view-based "uint8array".
await run(whatwgSocket(WebSocket, process.env.WSPORT_BINARY_TYPE ?? "arraybuffer"));
