// The scenarios, written once against a small socket interface that each
// contestant fills in (`whatwgSocket` for every WHATWG-style `WebSocket`,
// `bench/clients/ws.mjs` for ws's own API). Each client process runs one
// scenario and prints one JSON line.
//
// A socket, as the scenarios see it:
//   open(url, handlers) -> sock, with handlers.onOpen(), onMessage(data),
//     onClose(code), onError(error); data is a string for text and an
//     ArrayBuffer / Uint8Array / Buffer for binary;
//   sock.send(data), sock.close(), sock.bufferedAmount()

import { isPattern, pattern } from "./_shared.mjs";

const runtime = globalThis.Deno ? "deno" : globalThis.Bun ? "bun" : "node";

/** @returns {string[]} */
function args() {
  return runtime === "deno" ? globalThis.Deno.args : globalThis.process.argv.slice(2);
}

function exit(code) {
  if (runtime === "deno") globalThis.Deno.exit(code);
  globalThis.process.exit(code);
}

function rss() {
  return runtime === "deno"
    ? globalThis.Deno.memoryUsage().rss
    : globalThis.process.memoryUsage().rss;
}

function heapUsed() {
  return runtime === "deno"
    ? globalThis.Deno.memoryUsage().heapUsed
    : globalThis.process.memoryUsage().heapUsed;
}

/** Full garbage collection where the runtime allows it (flags set by the driver). */
function gc() {
  if (runtime === "bun") globalThis.Bun.gc(true);
  else if (typeof globalThis.gc === "function") globalThis.gc();
}

const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** One turn of the event loop, letting I/O run. */
const tick = typeof globalThis.setImmediate === "function"
  ? () => new Promise((resolve) => globalThis.setImmediate(resolve))
  : () => new Promise((resolve) => setTimeout(resolve, 0));

function byteLength(data) {
  return typeof data === "string" ? data.length : data.byteLength;
}

function asBytes(data) {
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

/** Opens a socket and resolves once it is open. */
function connect(api, url, handlers = {}) {
  return new Promise((resolve, reject) => {
    let opened = false;
    const sock = api.open(url, {
      onOpen() {
        opened = true;
        resolve(sock);
      },
      onMessage: (data) => handlers.onMessage?.(data),
      onClose(code) {
        if (!opened) reject(new Error(`closed before open (${code})`));
        handlers.onClose?.(code);
      },
      onError(error) {
        if (!opened) {
          reject(error instanceof Error ? error : new Error(String(error?.message ?? error)));
        }
      },
    });
  });
}

function closeAndWait(sock, closed, ms = 2000) {
  sock.close();
  return Promise.race([closed, sleep(ms)]);
}

/**
 * Ends a send scenario: waits for the raw server's verdict on the last
 * frame ("d ok"), closes, and reports the rate since `t0`.
 */
async function sendResult(next, t0, sock, closed, count, size) {
  const reply = await next();
  const seconds = (now() - t0) / 1000;
  await closeAndWait(sock, closed);
  return {
    ok: reply === "d ok",
    complete: reply.startsWith("d"),
    messages: count,
    seconds,
    msgsPerSec: count / seconds,
    mbPerSec: (count * size) / seconds / 1e6,
  };
}

/** Receive throughput: the server pushes warm + count binary messages of `size`. */
async function recv(api, { url, size, count, warm, timeout }) {
  let received = 0;
  let bytes = 0;
  let t0 = 0;
  let t1 = 0;
  let last = null;
  const total = warm + count;
  let finish;
  const done = new Promise((resolve) => (finish = resolve));
  let resolveClosed;
  const closed = new Promise((resolve) => (resolveClosed = resolve));
  const sock = await connect(api, `${url}/recv?size=${size}&count=${count}&warm=${warm}`, {
    onMessage(data) {
      received++;
      if (received > warm) {
        bytes += byteLength(data);
        if (received === total) {
          t1 = now();
          last = data;
          finish();
        }
      } else if (received === warm) {
        t0 = now();
      }
    },
    onClose: () => {
      resolveClosed();
      finish();
    },
  });
  const timer = setTimeout(finish, timeout);
  await done;
  clearTimeout(timer);
  const complete = received === total;
  if (!complete) t1 = now();
  const seconds = (t1 - t0) / 1000;
  const measured = Math.max(0, received - warm);
  const ok = complete && bytes === count * size && isPattern(asBytes(last), size);
  await closeAndWait(sock, closed);
  return {
    ok,
    complete,
    messages: measured,
    seconds,
    msgsPerSec: measured / seconds,
    mbPerSec: bytes / seconds / 1e6,
  };
}

/**
 * Sends n messages, yielding to the event loop after every 64 KiB or so and
 * waiting while more than 1 MiB is buffered (what a careful application
 * does with `bufferedAmount`).
 */
async function sendMany(sock, payload, n) {
  const batch = Math.max(1, Math.floor(65536 / payload.length));
  for (let i = 0; i < n;) {
    const end = Math.min(n, i + batch);
    for (; i < end; i++) sock.send(payload);
    await tick();
    while (sock.bufferedAmount() > 1024 * 1024) await tick();
  }
}

/** Send throughput: warm + count binary messages of `size` to a counting server. */
async function send(api, { url, size, count, warm, timeout }) {
  const payload = pattern(size);
  const replies = [];
  let wake = null;
  let resolveClosed;
  const closed = new Promise((resolve) => (resolveClosed = resolve));
  const next = () =>
    new Promise((resolve, reject) => {
      if (replies.length > 0) return resolve(replies.shift());
      const timer = setTimeout(
        () => reject(new Error("timed out waiting for the server")),
        timeout,
      );
      wake = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
    });
  const sock = await connect(api, `${url}/send?size=${size}&count=${count}&warm=${warm}`, {
    onMessage(data) {
      const text = typeof data === "string" ? data : new TextDecoder().decode(asBytes(data));
      if (wake) {
        const w = wake;
        wake = null;
        w(text);
      } else {
        replies.push(text);
      }
    },
    onClose: () => {
      resolveClosed();
      wake?.("closed");
    },
  });
  await sendMany(sock, payload, warm);
  const warmReply = await next();
  if (warmReply !== "w") throw new Error(`unexpected reply ${warmReply}`);
  const t0 = now();
  await sendMany(sock, payload, count);
  return await sendResult(next, t0, sock, closed, count, size);
}

/**
 * Credit flow: the client keeps at most `window` payload bytes unacknowledged;
 * the server answers `a<bytes>` every `ack` payload bytes it has, and each
 * answer sends more from `onMessage` (chat, uploads with flow control,
 * request/response protocols). Sending and receiving at once.
 */
async function credit(api, { url, size, count, warm, timeout, window, ack }) {
  const payload = pattern(size);
  let sent = 0;
  let sentBytes = 0;
  let acked = 0;
  let target = 0;
  let sock = null;
  const replies = [];
  let wake = null;
  let resolveClosed;
  const closed = new Promise((resolve) => (resolveClosed = resolve));
  const next = () =>
    new Promise((resolve, reject) => {
      if (replies.length > 0) return resolve(replies.shift());
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for the server (${sent} sent, ${acked} acked)`)),
        timeout,
      );
      wake = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
    });
  const pump = () => {
    while (sent < target && sentBytes - acked < window) {
      sock.send(payload);
      sent++;
      sentBytes += size;
    }
  };
  sock = await connect(
    api,
    `${url}/credit?size=${size}&count=${count}&warm=${warm}&ack=${ack}`,
    {
      onMessage(data) {
        const text = typeof data === "string" ? data : new TextDecoder().decode(asBytes(data));
        if (text.charCodeAt(0) === 97 /* "a" */) {
          acked = Number(text.slice(1));
          pump();
        } else if (wake) {
          const w = wake;
          wake = null;
          w(text);
        } else {
          replies.push(text);
        }
      },
      onClose: () => {
        resolveClosed();
        wake?.("closed");
      },
    },
  );
  target = warm;
  pump();
  const warmReply = await next();
  if (warmReply !== "w") throw new Error(`unexpected reply ${warmReply}`);
  const t0 = now();
  target = warm + count;
  pump();
  return await sendResult(next, t0, sock, closed, count, size);
}

/** Echo latency: one 32-byte binary message at a time, sent again on each reply. */
async function echo(api, { url, count, warm, timeout }) {
  const payload = pattern(32);
  const total = warm + count;
  const samples = new Float64Array(count);
  let i = 0;
  let sentAt = 0;
  let t0 = 0;
  let t1 = 0;
  let bad = 0;
  let finish;
  const done = new Promise((resolve) => (finish = resolve));
  let resolveClosed;
  const closed = new Promise((resolve) => (resolveClosed = resolve));
  let sock = null;
  sock = await connect(api, `${url}/echo`, {
    onMessage(data) {
      const t = now();
      if (i >= warm) samples[i - warm] = t - sentAt;
      else if (i === warm - 1) t0 = t;
      if (byteLength(data) !== 32) bad++;
      i++;
      if (i === total) {
        t1 = t;
        finish();
        return;
      }
      sentAt = now();
      sock.send(payload);
    },
    onClose: () => {
      resolveClosed();
      finish();
    },
  });
  const timer = setTimeout(finish, timeout);
  sentAt = now();
  sock.send(payload);
  await done;
  clearTimeout(timer);
  const measured = Math.max(0, i - warm);
  if (i !== total) t1 = now();
  const sorted = Array.from(samples.subarray(0, measured)).sort((a, b) => a - b);
  const pick = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 1000;
  await closeAndWait(sock, closed);
  return {
    ok: i === total && bad === 0,
    complete: i === total,
    messages: measured,
    seconds: (t1 - t0) / 1000,
    p50us: pick(0.5),
    p99us: pick(0.99),
    rtPerSec: measured / ((t1 - t0) / 1000),
  };
}

/** Opens and closes one connection; resolves when the close completed. */
function openClose(api, url) {
  return new Promise((resolve, reject) => {
    let opened = false;
    const sock = api.open(url, {
      onOpen() {
        opened = true;
        sock.close();
      },
      onMessage() {},
      onClose() {
        if (opened) resolve();
        else reject(new Error("closed before open"));
      },
      onError(error) {
        if (!opened) reject(error instanceof Error ? error : new Error(String(error)));
      },
    });
  });
}

/** Connection setup: connect, open, close, closed; one after the other. */
async function conn(api, { url, count, warm, timeout }) {
  const target = `${url}/conn`;
  for (let i = 0; i < warm; i++) await openClose(api, target);
  const deadline = now() + timeout;
  const t0 = now();
  let n = 0;
  for (; n < count && now() < deadline; n++) await openClose(api, target);
  const seconds = (now() - t0) / 1000;
  return { ok: n === count, complete: n === count, messages: n, seconds, connPerSec: n / seconds };
}

/** Idle memory: RSS growth per open connection, after a full GC. */
async function memory(api, { url, count, warm }) {
  const target = `${url}/idle`;
  for (let i = 0; i < warm; i++) await openClose(api, target);
  gc();
  await sleep(100);
  gc();
  const rss0 = rss();
  const heap0 = heapUsed();
  const sockets = [];
  const closes = [];
  for (let i = 0; i < count; i += 100) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 100); j++) {
      let resolveClosed;
      closes.push(new Promise((resolve) => (resolveClosed = resolve)));
      batch.push(connect(api, target, { onClose: () => resolveClosed() }));
    }
    sockets.push(...(await Promise.all(batch)));
  }
  await sleep(200);
  gc();
  await sleep(200);
  gc();
  const rss1 = rss();
  const heap1 = heapUsed();
  for (const sock of sockets) sock.close();
  await Promise.race([Promise.all(closes), sleep(5000)]);
  return {
    ok: sockets.length === count,
    complete: sockets.length === count,
    messages: count,
    seconds: 0,
    bytesPerConn: (rss1 - rss0) / count,
    heapPerConn: (heap1 - heap0) / count,
  };
}

const SCENARIOS = { recv, send, credit, echo, conn, memory };

/**
 * Runs the scenario named in the command line with `api` and prints the
 * result as one JSON line, then exits.
 */
export async function run(api) {
  const params = JSON.parse(args()[0] ?? "{}");
  const started = now();
  let result;
  try {
    result = await SCENARIOS[params.scenario](api, params);
  } catch (error) {
    result = { ok: false, error: String(error?.stack ?? error) };
  }
  result.wallSeconds = (now() - started) / 1000;
  console.log(JSON.stringify(result));
  exit(0);
}

/**
 * Options for wsport's classes: no keepalive ping, because the raw server
 * counts the bytes of the send scenarios and a ping frame in the middle of a
 * run longer than the 20 s interval would spoil its check (the built-ins send
 * no pings of their own).
 */
export const WSPORT_INIT = { pingInterval: 0 };

/**
 * Adapts a WHATWG `WebSocket` class to the scenarios' socket interface,
 * receiving binary messages as `binaryType` (default "arraybuffer");
 * `init` is passed as the constructor's second argument when given.
 */
export function whatwgSocket(WebSocketClass, binaryType = "arraybuffer", init) {
  return {
    open(url, handlers) {
      const ws = init === undefined ? new WebSocketClass(url) : new WebSocketClass(url, init);
      ws.binaryType = binaryType;
      ws.onopen = () => handlers.onOpen();
      ws.onmessage = (event) => handlers.onMessage(event.data);
      ws.onclose = (event) => handlers.onClose(event.code);
      ws.onerror = (event) => handlers.onError(event.error ?? event.message ?? event);
      return {
        send: (data) => ws.send(data),
        close: () => ws.close(),
        bufferedAmount: () => ws.bufferedAmount,
      };
    },
  };
}

/**
 * Adapts a WHATWG `WebSocketStream` class: messages come from a reader loop
 * on `readable` (string or `Uint8Array` chunks); sends go to a writer
 * without waiting (the receive scenarios only send the close).
 */
export function streamSocket(WebSocketStreamClass, init) {
  return {
    open(url, handlers) {
      const wss = new WebSocketStreamClass(url, init);
      let writer = null;
      wss.opened.then(async ({ readable, writable }) => {
        writer = writable.getWriter();
        handlers.onOpen();
        const reader = readable.getReader();
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            handlers.onMessage(value);
          }
        } catch {
          // The close below reports it.
        }
      }, (error) => handlers.onError(error));
      wss.closed.then(
        ({ closeCode }) => handlers.onClose(closeCode),
        (error) => handlers.onClose(error?.closeCode ?? 1006),
      );
      return {
        send: (data) => void writer.write(data).catch(() => {}),
        close: () => wss.close(),
        bufferedAmount: () => 0,
      };
    },
  };
}
