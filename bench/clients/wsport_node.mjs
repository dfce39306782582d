// wsport's WebSocket on Node, compiled by bench/run.ts from its snapshot of
// the sources with the npm build's settings (.test-build/bench/esm).
import { run, whatwgSocket } from "./_harness.mjs";

const module = "../../.test-build/bench/esm/mod.js";
const { WebSocket } = await import(module);
// "arraybuffer" unless bench/run.ts asks for the view-based "uint8array".
await run(whatwgSocket(WebSocket, process.env.WSPORT_BINARY_TYPE ?? "arraybuffer"));
