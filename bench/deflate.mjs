// permessage-deflate, wsport against ws, both as clients on Node, against a
// ws server with perMessageDeflate (context takeover, threshold 0 on the
// server so every reply is compressed).
//
//   deno run -A scripts/build_npm.ts   # wsport for Node, in npm/esm/
//   node bench/deflate.mjs             # prints a Markdown table
//
// Measures, for each client with compression on and off:
// - ratio: bytes the server read from the socket (frames, after the
//   handshake) / bytes of the messages, for a corpus of JSON and chat text;
// - send: messages/s and MB/s (uncompressed bytes) the client gets out
//   until the server has them all;
// - receive: messages/s and MB/s the client takes in from the server
//   (includes the server's compression, the same for both clients);
// - memory: RSS and heap+external growth per idle connection after one
//   compressed message each way (N connections in a fresh process).
// One process per measurement; the median of ROUNDS rounds.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import process from "node:process";
import { fileURLToPath } from "node:url";

const SELF = fileURLToPath(import.meta.url);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const MESSAGES = Number(process.env.MESSAGES ?? 4000);
const IDLE = Number(process.env.IDLE ?? 200);

/** A deterministic corpus: market-data JSON, chat lines, API responses. */
function corpus(count) {
  const symbols = ["BTC-USD", "ETH-USD", "SOL-USD", "DOGE-USD", "ADA-USD"];
  const words =
    "the a to and of in is it you that he was for on are with as I his they be at one have this from"
      .split(" ");
  const out = [];
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < count; i++) {
    switch (i % 3) {
      case 0:
        out.push(JSON.stringify({
          type: "trades",
          data: Array.from({ length: 5 + Math.floor(rnd() * 30) }, () => ({
            symbol: symbols[Math.floor(rnd() * 5)],
            price: Math.round(rnd() * 1e7) / 100,
            size: Math.round(rnd() * 1e4) / 1e4,
            side: rnd() < 0.5 ? "buy" : "sell",
            ts: 1700000000000 + i * 17,
          })),
        }));
        break;
      case 1:
        out.push(JSON.stringify({
          type: "chat",
          user: `user${Math.floor(rnd() * 50)}`,
          text: Array.from(
            { length: 10 + Math.floor(rnd() * 60) },
            () => words[Math.floor(rnd() * words.length)],
          ).join(" "),
        }));
        break;
      default:
        out.push(JSON.stringify({
          id: i,
          status: "ok",
          items: Array.from({ length: 3 + Math.floor(rnd() * 20) }, (_, k) => ({
            id: `${i}-${k}`,
            name: `item ${k}`,
            tags: ["alpha", "beta", "gamma"].slice(0, 1 + (k % 3)),
            price: Math.round(rnd() * 1e5) / 100,
          })),
        }));
    }
  }
  return out;
}

// ---------------------------------------------------------------- server
async function server() {
  const { WebSocketServer } = await import("ws");
  const messages = corpus(MESSAGES);
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: { threshold: 0 },
    maxPayload: 64 << 20,
  });
  const http = createServer();
  http.on("upgrade", (request, socket, head) => {
    const start = socket.bytesRead;
    wss.handleUpgrade(request, socket, head, (ws) => {
      let received = 0;
      let rawBytes = 0;
      ws.on("message", (data) => {
        const text = data.toString();
        if (text === "send-all") {
          for (const message of messages) ws.send(message);
          return;
        }
        if (text === "stats") {
          ws.send(
            JSON.stringify({
              received,
              rawBytes,
              wireBytes: socket.bytesRead - start - head.length,
            }),
          );
          return;
        }
        received++;
        rawBytes += data.length;
        if (received === messages.length) ws.send("done");
      });
    });
  });
  http.listen(0, "127.0.0.1", () => process.stdout.write(`${http.address().port}\n`));
  process.stdin.resume();
  process.stdin.on("end", () => process.exit(0));
}

// ---------------------------------------------------------------- clients
async function openClient(impl, url, deflate) {
  if (impl === "ws") {
    const { default: WebSocket } = await import("ws");
    const ws = new WebSocket(url, { perMessageDeflate: deflate });
    const handlers = { message: () => {} };
    ws.on("message", (data) => handlers.message(data.toString()));
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    return {
      extensions: ws.extensions,
      send: (text) => ws.send(text),
      onMessage: (fn) => (handlers.message = fn),
      close: () => ws.close(),
    };
  }
  const { WebSocket } = await import("../npm/esm/mod.js");
  const ws = new WebSocket(url, { perMessageDeflate: deflate, pingInterval: 0 });
  const handlers = { message: () => {} };
  ws.onmessage = (event) => handlers.message(event.data);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  return {
    extensions: ws.extensions,
    send: (text) => ws.send(text),
    onMessage: (fn) => (handlers.message = fn),
    close: () => ws.close(),
  };
}

function nextMessage(client) {
  return new Promise((resolve) => client.onMessage(resolve));
}

async function client(impl, scenario, deflate, port) {
  const url = `ws://127.0.0.1:${port}/`;
  const messages = corpus(MESSAGES);
  const rawBytes = messages.reduce((sum, m) => sum + Buffer.byteLength(m), 0);
  if (scenario === "send") {
    const c = await openClient(impl, url, deflate);
    const done = nextMessage(c);
    const t0 = performance.now();
    for (const message of messages) c.send(message);
    await done;
    const ms = performance.now() - t0;
    const statsReply = nextMessage(c);
    c.send("stats");
    const stats = JSON.parse(await statsReply);
    c.close();
    return { ms, rawBytes, ratio: stats.wireBytes / rawBytes, extensions: c.extensions };
  }
  if (scenario === "receive") {
    const c = await openClient(impl, url, deflate);
    let count = 0;
    let resolveAll;
    const all = new Promise((resolve) => (resolveAll = resolve));
    c.onMessage(() => {
      if (++count === messages.length) resolveAll();
    });
    const t0 = performance.now();
    c.send("send-all");
    await all;
    const ms = performance.now() - t0;
    c.close();
    return { ms, rawBytes };
  }
  // memory: IDLE connections, one compressed message each way on each.
  globalThis.gc?.();
  const before = process.memoryUsage();
  const clients = [];
  for (let i = 0; i < IDLE; i++) {
    const c = await openClient(impl, url, deflate);
    const reply = nextMessage(c);
    c.send(messages[i % messages.length]);
    c.send("stats");
    await reply;
    clients.push(c);
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  globalThis.gc?.();
  const after = process.memoryUsage();
  for (const c of clients) c.close();
  return {
    rssPerConnection: (after.rss - before.rss) / IDLE,
    heapPerConnection: (after.heapUsed + after.external - before.heapUsed - before.external) / IDLE,
  };
}

// ---------------------------------------------------------------- driver
function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", SELF, ...args], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on(
      "close",
      (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}`))),
    );
    child.stdin.end();
  });
}

async function driver() {
  const srv = spawn(process.execPath, [SELF, "server"], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise((resolve) =>
    srv.stdout.once("data", (d) => resolve(Number(String(d).trim())))
  );
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rows = [];
  try {
    for (const deflate of [true, false]) {
      for (const impl of ["wsport", "ws"]) {
        const send = [], receive = [], memory = [];
        for (let r = 0; r < ROUNDS; r++) {
          send.push(await run(["client", impl, "send", String(deflate), String(port)]));
          receive.push(await run(["client", impl, "receive", String(deflate), String(port)]));
        }
        memory.push(await run(["client", impl, "memory", String(deflate), String(port)]));
        const rawMB = send[0].rawBytes / 1e6;
        const sendMs = median(send.map((s) => s.ms));
        const recvMs = median(receive.map((s) => s.ms));
        rows.push({
          client: impl,
          deflate,
          extensions: send[0].extensions,
          ratio: send[0].ratio,
          sendMsgs: MESSAGES / (sendMs / 1000),
          sendMBs: rawMB / (sendMs / 1000),
          recvMsgs: MESSAGES / (recvMs / 1000),
          recvMBs: rawMB / (recvMs / 1000),
          rssKiB: memory[0].rssPerConnection / 1024,
          heapKiB: memory[0].heapPerConnection / 1024,
        });
      }
    }
  } finally {
    srv.stdin.end();
  }
  const rawBytes = corpus(MESSAGES).reduce((sum, m) => sum + Buffer.byteLength(m), 0);
  console.log(
    `Corpus: ${MESSAGES} JSON/chat messages, ${(rawBytes / 1e6).toFixed(2)} MB, mean ${
      Math.round(rawBytes / MESSAGES)
    } B; Node ${process.version}; median of ${ROUNDS}; memory over ${IDLE} idle connections.\n`,
  );
  console.log(
    "| client | deflate | negotiated | wire/raw (send) | send msg/s | send MB/s | receive msg/s | receive MB/s | RSS KiB/conn | heap+external KiB/conn |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const r of rows) {
    console.log(
      `| ${r.client} | ${r.deflate ? "on" : "off"} | ${r.extensions || "-"} | ${
        r.ratio.toFixed(3)
      } | ${Math.round(r.sendMsgs)} | ${r.sendMBs.toFixed(1)} | ${Math.round(r.recvMsgs)} | ${
        r.recvMBs.toFixed(1)
      } | ${r.rssKiB.toFixed(1)} | ${r.heapKiB.toFixed(1)} |`,
    );
  }
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === "server") await server();
else if (mode === "client") {
  const [impl, scenario, deflate, port] = rest;
  process.stdout.write(
    JSON.stringify(await client(impl, scenario, deflate === "true", Number(port))),
  );
  process.exit(0);
} else await driver();
