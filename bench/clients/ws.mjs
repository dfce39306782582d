// ws, through its own EventEmitter API (its fastest path). bufferutil is used
// unless WS_NO_BUFFER_UTIL is set, as ws itself decides.
import WebSocket from "ws";
import { createRequire } from "node:module";
import { run } from "./_harness.mjs";

const require = createRequire(import.meta.url);
if (!process.env.WS_NO_BUFFER_UTIL) require("bufferutil"); // fail loudly if it is missing

await run({
  open(url, handlers) {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on("open", () => handlers.onOpen());
    ws.on("message", (data, isBinary) => handlers.onMessage(isBinary ? data : data.toString()));
    ws.on("close", (code) => handlers.onClose(code));
    ws.on("error", (error) => handlers.onError(error));
    return {
      send: (data) => ws.send(data),
      close: () => ws.close(),
      bufferedAmount: () => ws.bufferedAmount,
    };
  },
});
