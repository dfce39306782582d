// Deno's built-in WebSocket.
import { run, whatwgSocket } from "./_harness.mjs";

await run(whatwgSocket(globalThis.WebSocket));
