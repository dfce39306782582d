// undici's WebSocket, from the npm package.
import { WebSocket } from "undici";
import { run, whatwgSocket } from "./_harness.mjs";

await run(whatwgSocket(WebSocket));
