// Node's global WebSocket (undici bundled with Node 22).
import { run, whatwgSocket } from "./_harness.mjs";

if (typeof globalThis.WebSocket !== "function") {
  throw new Error("this Node has no global WebSocket");
}
await run(whatwgSocket(globalThis.WebSocket));
