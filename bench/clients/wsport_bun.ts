// wsport's WebSocket on Bun, from the snapshot of the sources that bench/run.ts
// takes into .test-build/bench/ts (a variable keeps `deno check` from
// resolving a file that exists only during a run).
import process from "node:process";
import { run, streamSocket, whatwgSocket, WSPORT_INIT } from "./_harness.mjs";

const module = "../../.test-build/bench/ts/mod.ts";
const { WebSocket, WebSocketStream } = await import(module);
// "arraybuffer" unless bench/run.ts asks for the view-based "uint8array",
// or for the streams API ("stream").
const api = process.env.WSPORT_BINARY_TYPE ?? "arraybuffer";
await run(
  api === "stream"
    ? streamSocket(WebSocketStream, WSPORT_INIT)
    : whatwgSocket(WebSocket, api, WSPORT_INIT),
);
