// wsport's WebSocket on Node, compiled by bench/run.ts from its snapshot of
// the sources with the npm build's settings (.test-build/bench/esm).
import { run, streamSocket, whatwgSocket, WSPORT_INIT } from "./_harness.mjs";

const module = "../../.test-build/bench/esm/mod.js";
const { WebSocket, WebSocketStream } = await import(module);
// "arraybuffer" unless bench/run.ts asks for the view-based "uint8array",
// or for the streams API ("stream").
const api = process.env.WSPORT_BINARY_TYPE ?? "arraybuffer";
await run(
  api === "stream"
    ? streamSocket(WebSocketStream, WSPORT_INIT)
    : whatwgSocket(WebSocket, api, WSPORT_INIT),
);
