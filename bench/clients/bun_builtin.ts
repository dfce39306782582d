// Bun's built-in WebSocket (uWebSockets-based client).
import { run, whatwgSocket } from "./_harness.mjs";

await run(whatwgSocket(globalThis.WebSocket));
