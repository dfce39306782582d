/**
 * A WebSocket server for integration tests, on `node:net` (which Deno, Bun
 * and Node all provide) and wsport's own sans-I/O server side
 * (`ServerConnection`), with the knobs a well-behaved server never offers:
 *
 * - push binary messages as fast as the socket takes them and report how
 *   far it got: bytes handed to `socket.write()`, bytes still queued in the
 *   socket (`writableLength`), and so bytes taken by the kernel;
 * - stop reading (`pause()`), so the client's writes meet a full TCP window;
 * - never answer the opening handshake, pings, or the close frame.
 *
 * Around it: {@linkcode createProbeConnector}, the runtime's own transport
 * adapter with counters on it (bytes the client took from the kernel, bytes
 * handed to the driver, the largest chunk); {@linkcode startBlackHole}, a
 * loopback listener whose accept queue is full, so a TCP connect to it
 * hangs; and {@linkcode resourceSnapshot}, the sockets and timers the
 * process holds, for leak checks.
 *
 * @module
 */

import * as net from "node:net";
import * as tls from "node:tls";
import { Buffer } from "node:buffer";
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import {
  ServerConnection,
  type ServerConnectionEvent,
} from "../../src/protocol/server_connection.ts";
import type { CloseEvent as CoreCloseEvent } from "../../src/protocol/events.ts";
import { type BunLike, createBunConnector } from "../../src/transport/bun.ts";
import { createDenoConnector } from "../../src/transport/deno.ts";
import { createNodeConnector, type NodeModules } from "../../src/transport/node.ts";
import type { Bytes, Connector, Transport } from "../../src/transport/types.ts";
import type { CloseEventLike, ErrorEventLike } from "../../src/web/events.ts";
import { WebSocket, type WebSocketInit } from "../../src/web/websocket.ts";
import { WebSocketStream, type WebSocketStreamOptions } from "../../src/web/websocket_stream.ts";
import type { PingOptions } from "../../src/keepalive.ts";
import { pattern, startServer, type TestServer } from "./tcp_server.ts";

/** The runtime running the tests. */
export const runtime: "deno" | "bun" | "node" = "Deno" in globalThis
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : "node";

export const KIB = 1024;
export const MIB = 1024 * KIB;

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits for `promise`, failing with `label` after `ms` milliseconds; the
 * timer is cleared either way, so it never outlives the wait.
 */
export async function within<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${label}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `condition` every 5 ms until it holds, failing with `label` after `ms`. */
export async function until(condition: () => boolean, ms: number, label: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${ms} ms: ${label}`);
    await delay(5);
  }
}

// ------------------------------------------------------------------ messages

const BASES = new Map<number, Uint8Array<ArrayBuffer>>();

function baseOf(size: number): Uint8Array<ArrayBuffer> {
  let base = BASES.get(size);
  if (base === undefined) {
    base = pattern(size);
    BASES.set(size, base);
  }
  return base;
}

/**
 * Binary message number `index` of a numbered stream: `size` bytes of the
 * `pattern` of `./tcp_server.ts`, with `index` (big-endian) in the first 4.
 * A lost, repeated, reordered or altered message is then detected by
 * {@linkcode isMessage}.
 */
export function numbered(index: number, size: number): Uint8Array<ArrayBuffer> {
  if (size < 4) throw new RangeError("Cannot number a message shorter than 4 bytes");
  const message = baseOf(size).slice();
  new DataView(message.buffer).setUint32(0, index);
  return message;
}

/** Whether `data` is exactly {@linkcode numbered}`(index, size)`. */
export function isMessage(data: Uint8Array, index: number, size: number): boolean {
  if (data.byteLength !== size) return false;
  if (new DataView(data.buffer, data.byteOffset, 4).getUint32(0) !== index) return false;
  return Buffer.compare(data.subarray(4), baseOf(size).subarray(4)) === 0;
}

/** Bytes of a frame carrying `size` bytes: header, plus the mask key from a client. */
export function frameSize(size: number, masked: boolean): number {
  const header = size < 126 ? 2 : size < 65536 ? 4 : 10;
  return header + (masked ? 4 : 0) + size;
}

// -------------------------------------------------------------------- server

/** What a {@linkcode RawPeer} does, beyond the protocol's duties. */
export interface RawServerOptions {
  /** `"accept"` answers with 101; `"ignore"` reads the request and never answers. @default "accept" */
  readonly handshake?: "accept" | "ignore";
  /** Answer pings with pongs. @default true */
  readonly answerPings?: boolean;
  /** Answer the client's close frame and end the TCP stream. @default true */
  readonly answerClose?: boolean;
  /** Send each data message back. @default false */
  readonly echo?: boolean;
}

/** How far a {@linkcode RawPeer.push} got. */
export interface PushFigures {
  /** Messages handed to the connection. */
  readonly messages: number;
  /** Frame bytes handed to `socket.write()`. */
  readonly written: number;
  /** Of those, bytes still queued in the socket (`writableLength`). */
  readonly queued: number;
  /** Of those, bytes the kernel took (`written - queued`). */
  readonly kernel: number;
  /** Whether the last `socket.write()` returned `false` and `'drain'` has not come. */
  readonly waiting: boolean;
}

/** A push in progress. */
export interface PushRun {
  /** The figures now. */
  figures(): PushFigures;
  /**
   * Resolves once the push waits for `'drain'` and made no progress for
   * `quietMs`: the socket, the kernel and the network are full.
   */
  stalled(quietMs: number): Promise<PushFigures>;
  /** Resolves when every message was handed to the socket. */
  readonly done: Promise<void>;
}

/** One accepted connection, seen from the server. */
export interface RawPeer {
  readonly socket: net.Socket;
  readonly connection: ServerConnection;
  /** Resolves when the 101 response was written. */
  readonly opened: Promise<void>;
  /** Resolves when the client ended or reset the TCP connection. */
  readonly clientGone: Promise<void>;
  /** Resolves when the server's socket closed (both directions). */
  readonly socketClosed: Promise<void>;
  /** Pings received. */
  readonly pings: number;
  /** Text messages received, in order. */
  readonly texts: readonly string[];
  /** Binary messages received (checked as {@linkcode numbered} ones of their size). */
  readonly binaryMessages: number;
  /** Payload bytes of those. */
  readonly binaryBytes: number;
  /** Binary messages that were not the expected {@linkcode numbered} message. */
  readonly badMessages: number;
  /** The client's close frames, as `closing` events reported them. */
  readonly closeFrames: readonly { code: number; reason: string }[];
  /** The connection's last event, once it came. */
  readonly closeEvent: CoreCloseEvent | null;
  /** Stops reading from the socket: the client's writes meet a full TCP window. */
  pause(): void;
  /** Reads again. */
  resume(): void;
  /** Sends binary messages {@linkcode numbered} 0 to `count - 1` as fast as the socket takes them. */
  push(count: number, size: number): PushRun;
  /** Sends a text message. */
  sendText(text: string): void;
  /** Starts the closing handshake. */
  sendClose(code?: number, reason?: string): void;
  /** Resets the connection. */
  destroy(): void;
}

/** A running {@linkcode startRawServer}. */
export interface RawServer {
  /** `ws://127.0.0.1:PORT/` */
  readonly url: string;
  readonly port: number;
  /** Every connection so far. */
  readonly peers: readonly RawPeer[];
  /** The next connection not yet claimed (resolves on TCP accept, before the handshake). */
  peer(): Promise<RawPeer>;
  /** Destroys every connection and closes the listener. */
  close(): Promise<void>;
}

class Peer implements RawPeer {
  readonly socket: net.Socket;
  readonly connection: ServerConnection;
  readonly opened: Promise<void>;
  readonly clientGone: Promise<void>;
  readonly socketClosed: Promise<void>;
  pings = 0;
  texts: string[] = [];
  binaryMessages = 0;
  binaryBytes = 0;
  badMessages = 0;
  closeFrames: { code: number; reason: string }[] = [];
  closeEvent: CoreCloseEvent | null = null;
  #options: RawServerOptions;
  #resolveOpened: () => void = () => {};
  #headWritten = false;
  #carry: Uint8Array = new Uint8Array(0);

  constructor(socket: net.Socket, options: RawServerOptions) {
    this.socket = socket;
    this.#options = options;
    this.connection = new ServerConnection();
    this.opened = new Promise((resolve) => (this.#resolveOpened = resolve));
    this.clientGone = new Promise((resolve) => {
      socket.once("end", resolve);
      socket.once("close", resolve);
    });
    this.socketClosed = new Promise((resolve) => socket.once("close", resolve));
    socket.setNoDelay(true);
    socket.on("data", (chunk: Uint8Array) => {
      this.connection.receiveData(new Uint8Array(chunk));
      this.#afterInput();
    });
    socket.on("end", () => {
      this.connection.receiveEof();
      this.#afterInput();
    });
    socket.on("close", () => {
      this.connection.receiveEof();
      this.#afterInput();
    });
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  sendText(text: string): void {
    this.connection.sendText(text);
    this.#afterInput();
  }

  sendClose(code?: number, reason?: string): void {
    this.connection.sendClose(code, reason);
    this.#afterInput();
  }

  destroy(): void {
    this.socket.destroy();
  }

  push(count: number, size: number): PushRun {
    const socket = this.socket;
    const connection = this.connection;
    let messages = 0;
    let written = 0;
    let waiting = false;
    const figures = (): PushFigures => {
      const queued = socket.destroyed ? 0 : socket.writableLength;
      return { messages, written, queued, kernel: written - queued, waiting };
    };
    const done = new Promise<void>((resolve, reject) => {
      // An ended socket may never emit 'drain'.
      socket.once("close", () => {
        if (messages < count) {
          reject(new Error(`Cannot push: the connection closed after ${messages} messages`));
        }
      });
      function pump(): void {
        waiting = false;
        while (messages < count) {
          if (socket.destroyed || connection.state !== "open") {
            reject(new Error(`Cannot push: the connection ended after ${messages} messages`));
            return;
          }
          connection.sendBinary(numbered(messages, size));
          messages++;
          let ok = true;
          for (const chunk of connection.dataToSend()) {
            written += chunk.byteLength;
            if (!socket.write(chunk)) ok = false;
          }
          if (!ok) {
            waiting = true;
            socket.once("drain", pump);
            return;
          }
        }
        resolve();
      }
      pump();
    });
    done.catch(() => {});
    return {
      figures,
      done,
      async stalled(quietMs) {
        let last = -1;
        let since = performance.now();
        for (;;) {
          const now = figures();
          if (now.written !== last) {
            last = now.written;
            since = performance.now();
          } else if (now.waiting && performance.now() - since >= quietMs) {
            return now;
          }
          if (messages >= count) throw new Error("Cannot stall: every message went through");
          await delay(10);
        }
      },
    };
  }

  #afterInput(): void {
    this.#flush();
    // Until none is left: a failure held behind messages comes with the next call.
    for (
      let events = this.connection.eventsReceived();
      events.length > 0;
      events = this.connection.eventsReceived()
    ) {
      for (const event of events) this.#onEvent(event);
      this.#flush();
    }
  }

  #onEvent(event: ServerConnectionEvent): void {
    switch (event.type) {
      case "request":
        if ((this.#options.handshake ?? "accept") === "accept") {
          this.connection.accept();
          this.#flush();
          this.#resolveOpened();
        }
        return;
      case "ping":
        this.pings++;
        return;
      case "message":
        if (typeof event.data === "string") {
          this.texts.push(event.data);
          if (this.#options.echo) this.connection.sendText(event.data);
        } else {
          if (!isMessage(event.data, this.binaryMessages, event.data.byteLength)) {
            this.badMessages++;
          }
          this.binaryMessages++;
          this.binaryBytes += event.data.byteLength;
          if (this.#options.echo) this.connection.sendBinary(event.data.slice());
        }
        return;
      case "closing":
        this.closeFrames.push({ code: event.code, reason: event.reason });
        return;
      case "close":
        this.closeEvent = event;
        return;
      default:
        return;
    }
  }

  #flush(): void {
    const socket = this.socket;
    for (const chunk of this.connection.dataToSend()) {
      if (socket.destroyed) return;
      if (chunk.byteLength === 0) {
        if (this.#options.answerClose !== false) socket.end();
      } else if (!this.#headWritten) {
        // The 101 response head is the first chunk, whole.
        this.#headWritten = true;
        socket.write(chunk);
      } else if (this.#options.answerPings === false || this.#options.answerClose === false) {
        this.#writeFiltered(chunk);
      } else {
        socket.write(chunk);
      }
    }
  }

  /** Writes the frames in `chunk` except pongs and close frames, when told not to answer. */
  #writeFiltered(chunk: Uint8Array): void {
    const carry = new Uint8Array(this.#carry.byteLength + chunk.byteLength);
    carry.set(this.#carry);
    carry.set(chunk, this.#carry.byteLength);
    let offset = 0;
    while (carry.byteLength - offset >= 2) {
      let length = carry[offset + 1]! & 0x7f;
      let header = 2;
      if (length === 126) {
        if (carry.byteLength - offset < 4) break;
        length = (carry[offset + 2]! << 8) | carry[offset + 3]!;
        header = 4;
      } else if (length === 127) {
        if (carry.byteLength - offset < 10) break;
        length = Number(new DataView(carry.buffer, offset + 2, 8).getBigUint64(0));
        header = 10;
      }
      if (carry.byteLength - offset < header + length) break;
      const opcode = carry[offset]! & 0x0f;
      const dropped = (opcode === 0xa && this.#options.answerPings === false) ||
        (opcode === 0x8 && this.#options.answerClose === false);
      if (!dropped) this.socket.write(carry.subarray(offset, offset + header + length));
      offset += header + length;
    }
    this.#carry = carry.slice(offset);
  }
}

/**
 * Starts a WebSocket server on `127.0.0.1:0`.
 *
 * @param options What every connection does.
 * @returns The running server.
 */
export async function startRawServer(options: RawServerOptions = {}): Promise<RawServer> {
  const peers: Peer[] = [];
  const unclaimed: Peer[] = [];
  const waiters: ((peer: Peer) => void)[] = [];
  const server: TestServer = await startServer((socket) => {
    const peer = new Peer(socket, options);
    peers.push(peer);
    const waiter = waiters.shift();
    if (waiter) waiter(peer);
    else unclaimed.push(peer);
  });
  return {
    url: `ws://127.0.0.1:${server.port}/`,
    port: server.port,
    peers,
    peer() {
      const peer = unclaimed.shift();
      return peer ? Promise.resolve(peer) : new Promise((resolve) => waiters.push(resolve));
    },
    async close() {
      await server.close();
      await Promise.all(peers.map((peer) => peer.socketClosed));
    },
  };
}

// -------------------------------------------------------------------- client

/** Counters of {@linkcode createProbeConnector}. */
export interface ProbeStats {
  /** The transports opened, in order. */
  readonly transports: Transport[];
  /**
   * Bytes the client took from the kernel: the runtime socket's data events
   * (Node, Bun), or the adapter's reads (Deno, whose adapter reads only when asked).
   */
  kernelBytes: number;
  /** Bytes the adapter handed to the driver through `read()`. */
  readBytes: number;
  /** The largest chunk `read()` returned. */
  maxChunk: number;
  /** The largest `bufferedAmount` right after a `write()`. */
  peakBufferedAmount: number;
  /** Called after every change of the two counters. */
  onProgress: (() => void) | null;
}

/** The read high-water mark of the Node and Bun adapters (their default). */
export const ADAPTER_READ_HIGH_WATER_MARK: number = runtime === "deno" ? 0 : 256 * KIB;

/**
 * The running runtime's adapter with its default settings, plus counters:
 * the same code path as the default connector, with a view of the bytes.
 *
 * @returns The connector and its counters.
 */
export function createProbeConnector(): { connector: Connector; stats: ProbeStats } {
  const stats: ProbeStats = {
    transports: [],
    kernelBytes: 0,
    readBytes: 0,
    maxChunk: 0,
    peakBufferedAmount: 0,
    onProgress: null,
  };
  const counted = (n: number) => {
    stats.kernelBytes += n;
    stats.onProgress?.();
  };
  let inner: Connector;
  if (runtime === "deno") {
    inner = createDenoConnector();
  } else if (runtime === "bun") {
    const bun = (globalThis as unknown as { Bun: BunLike }).Bun;
    inner = createBunConnector({
      connect(options) {
        const handler = options.socket;
        return bun.connect({
          ...options,
          socket: {
            ...handler,
            data(socket, data) {
              counted(data.byteLength);
              handler.data(socket, data);
            },
          },
        });
      },
    });
  } else {
    const modules: NodeModules = {
      net: {
        connect(options) {
          const socket = net.connect(options);
          socket.on("data", (data: Uint8Array) => counted(data.byteLength));
          return socket;
        },
      },
      tls,
    };
    inner = createNodeConnector(modules);
  }
  const connector: Connector = async (options) => {
    const transport = await inner(options);
    const probe: Transport = {
      tls: transport.tls,
      remoteAddress: transport.remoteAddress,
      async read(): Promise<Bytes | null> {
        const chunk = await transport.read();
        if (chunk !== null) {
          stats.readBytes += chunk.byteLength;
          if (runtime === "deno") stats.kernelBytes += chunk.byteLength;
          stats.maxChunk = Math.max(stats.maxChunk, chunk.byteLength);
          stats.onProgress?.();
        }
        return chunk;
      },
      write(chunk) {
        const below = transport.write(chunk);
        stats.peakBufferedAmount = Math.max(stats.peakBufferedAmount, transport.bufferedAmount);
        return below;
      },
      get bufferedAmount() {
        return transport.bufferedAmount;
      },
      drained: () => transport.drained(),
      closeWrite: () => transport.closeWrite(),
      close: () => transport.close(),
      closed: transport.closed,
    };
    stats.transports.push(probe);
    return probe;
  };
  return { connector, stats };
}

// -------------------------------------------------------- both public APIs

/** The two public APIs; most scenarios run with each. */
export type Api = "WebSocket" | "WebSocketStream";

/** Both APIs, in the order tests are declared. */
export const APIS: readonly Api[] = ["WebSocket", "WebSocketStream"];

/** How a connection ended, in the terms both APIs share. */
export interface Outcome {
  /** The close code (`CloseEvent.code`, `closeCode` of `closed` or of its `WebSocketError`). */
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  /**
   * Why it failed: the `error` event's `error` (WebSocket), or the `cause` of
   * the `WebSocketError` that `closed` rejected with (WebSocketStream);
   * `null` when there was none.
   */
  readonly error: unknown;
  /** What `closed` rejected with (WebSocketStream only; `null` otherwise). */
  readonly rejection: unknown;
  /** Milliseconds from construction to the end. */
  readonly elapsed: number;
}

/** A client of either API, driven the same way. */
export interface ClientHandle {
  readonly api: Api;
  /** Resolves when open; rejects with what `opened` rejected with (or the error event's error). */
  readonly opened: Promise<void>;
  /** Settles once: when `close` fired (WebSocket) or `closed` settled (WebSocketStream). */
  readonly outcome: Promise<Outcome>;
  /** Whether the outcome is known yet. */
  readonly ended: boolean;
  /** Sends a text message. */
  send(text: string): void;
  /** The next text message received. */
  nextText(): Promise<string>;
  /** Closes with a code and reason. */
  close(code?: number, reason?: string): void;
  /** `ping()` of the API. */
  ping(data?: Uint8Array<ArrayBuffer>, options?: PingOptions): Promise<number>;
}

/** Options accepted by both constructors. */
export type ClientOptionsOfBoth = WebSocketInit & WebSocketStreamOptions;

/**
 * Opens a client of `api` on `url`.
 *
 * @param api Which API.
 * @param url The server.
 * @param options Options of either constructor.
 * @returns The handle.
 */
export function openClient(api: Api, url: string, options: ClientOptionsOfBoth = {}): ClientHandle {
  // Each class refuses the other's own options: pass each only its own.
  const { maxBufferedAmount, readableHighWaterMark, writableHighWaterMark, ...common } = options;
  return api === "WebSocket"
    ? openWebSocket(url, {
      ...common,
      ...(maxBufferedAmount === undefined ? {} : { maxBufferedAmount }),
    })
    : openStream(url, {
      ...common,
      ...(readableHighWaterMark === undefined ? {} : { readableHighWaterMark }),
      ...(writableHighWaterMark === undefined ? {} : { writableHighWaterMark }),
    });
}

function openWebSocket(url: string, options: ClientOptionsOfBoth): ClientHandle {
  const started = performance.now();
  const socket = new WebSocket(url, options);
  const texts: string[] = [];
  const waiting: ((text: string) => void)[] = [];
  let failure: unknown = null;
  let ended = false;
  socket.addEventListener("message", (event) => {
    const data = (event as MessageEvent).data;
    if (typeof data !== "string") return;
    const waiter = waiting.shift();
    if (waiter) waiter(data);
    else texts.push(data);
  });
  socket.addEventListener("error", (event) => {
    failure = (event as ErrorEventLike).error ?? new Error((event as ErrorEventLike).message);
  });
  const outcome = new Promise<Outcome>((resolve) => {
    socket.addEventListener("close", (event) => {
      ended = true;
      const { code, reason, wasClean } = event as CloseEventLike;
      resolve({
        code,
        reason,
        wasClean,
        error: failure,
        rejection: null,
        elapsed: performance.now() - started,
      });
    });
  });
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve());
    void outcome.then((result) => reject(result.error ?? new Error("closed before opening")));
  });
  opened.catch(() => {});
  return {
    api: "WebSocket",
    opened,
    outcome,
    get ended() {
      return ended;
    },
    send: (text) => socket.send(text),
    nextText() {
      const text = texts.shift();
      return text !== undefined
        ? Promise.resolve(text)
        : new Promise((resolve) => waiting.push(resolve));
    },
    close: (code, reason) => socket.close(code, reason),
    ping: (data, pingOptions) => socket.ping(data, pingOptions),
  };
}

function openStream(url: string, options: ClientOptionsOfBoth): ClientHandle {
  const started = performance.now();
  const socket = new WebSocketStream(url, options);
  let ended = false;
  let writer: WritableStreamDefaultWriter<string | BufferSource> | null = null;
  let reader: ReadableStreamDefaultReader<string | Uint8Array> | null = null;
  const outcome: Promise<Outcome> = socket.closed.then(
    ({ closeCode, reason }) => ({
      code: closeCode,
      reason,
      wasClean: true,
      error: null,
      rejection: null,
      elapsed: performance.now() - started,
    }),
    (rejection: unknown) => {
      const error = rejection as { closeCode?: number | null; reason?: string; cause?: unknown };
      return {
        code: error?.closeCode ?? 0,
        reason: error?.reason ?? "",
        wasClean: false,
        error: error?.cause ?? rejection,
        rejection,
        elapsed: performance.now() - started,
      };
    },
  ).finally(() => {
    ended = true;
  });
  const opened = socket.opened.then(({ readable, writable }) => {
    writer = writable.getWriter();
    reader = readable.getReader();
  });
  opened.catch(() => {});
  return {
    api: "WebSocketStream",
    opened,
    outcome,
    get ended() {
      return ended;
    },
    send(text) {
      writer!.write(text).catch(() => {});
    },
    async nextText() {
      const { value, done } = await reader!.read();
      if (done || typeof value !== "string") throw new Error("Cannot read: no text message came");
      return value;
    },
    close(code, reason) {
      socket.close({
        ...(code === undefined ? {} : { closeCode: code }),
        ...(reason === undefined ? {} : { reason }),
      });
    },
    ping: (data, pingOptions) => socket.ping(data, pingOptions),
  };
}

// ---------------------------------------------------------------- black hole

/** A loopback port where a TCP connect hangs (see {@linkcode startBlackHole}). */
export interface BlackHole {
  readonly port: number;
  /** Stops the listener (its process exits). */
  close(): Promise<void>;
}

/** The Deno executable, for the black hole's helper process. */
function denoBinary(): string | null {
  const fromEnv = process.env.DENO_BIN;
  if (fromEnv) return fromEnv;
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  return deno ? deno.execPath() : null;
}

// `Deno.listen` never accepts until asked (Node and Bun accept at once), so
// its accept queue (backlog 511) fills with the helper's own connections;
// then Linux drops new SYNs and a connect waits for retransmissions.
const BLACK_HOLE_SCRIPT = `
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = listener.addr.port;
const held = [];
for (;;) {
  const attempt = Deno.connect({ hostname: "127.0.0.1", port });
  let timer;
  const conn = await Promise.race([attempt, new Promise((r) => timer = setTimeout(r, 150, null))]);
  clearTimeout(timer);
  if (conn === null) { attempt.then((c) => held.push(c), () => {}); break; }
  held.push(conn);
}
console.log(JSON.stringify({ port }));
for await (const _ of Deno.stdin.readable) { /* until stdin ends */ }
Deno.exit(0);
`;

/** Why {@linkcode startBlackHole} cannot run here, or `false` when it can. */
export function blackHoleUnavailable(): string | false {
  return denoBinary() === null
    ? "needs a Deno executable (DENO_BIN) for the never-accepting listener"
    : false;
}

/**
 * Starts a loopback listener that never accepts and whose accept queue is
 * full, in a Deno child process: a TCP connect to it hangs (SYNs are
 * dropped), which no other loopback address does without privileges.
 *
 * @returns The listener.
 * @throws {Error} Without a Deno executable (see {@linkcode blackHoleUnavailable}).
 */
export async function startBlackHole(): Promise<BlackHole> {
  const deno = denoBinary();
  if (deno === null) throw new Error("Cannot start the black hole: no Deno executable");
  const child: ChildProcess = spawn(deno, ["eval", BLACK_HOLE_SCRIPT], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  // 'close' comes after 'exit' and after the child's pipes closed.
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let output = "";
    child.stdout!.on("data", (data: Uint8Array) => {
      output += new TextDecoder().decode(data);
      const line = output.split("\n")[0];
      if (output.includes("\n") && line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once("exit", (code) => reject(new Error(`The black hole exited with ${code}`)));
  });
  return {
    port,
    async close() {
      child.stdin!.end();
      await exited;
    },
  };
}

// --------------------------------------------------------------------- leaks

/**
 * The sockets, listeners and timers the process holds, as a sorted list of
 * names, or a reason why the runtime cannot tell.
 *
 * - Node: `process.getActiveResourcesInfo()` (sockets, timers, requests).
 * - Deno: its resource table (sockets, listeners, child pipes) plus
 *   `process.getActiveResourcesInfo()` (timers and `node:net` handles).
 * - Bun: `process.getActiveResourcesInfo()` exists but always returns [].
 */
export function resourceSnapshot(): string[] | string {
  if (runtime === "bun") {
    return "Bun's process.getActiveResourcesInfo() always returns [] (checked instead: the server saw each socket close)";
  }
  const info = (process as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo;
  if (typeof info !== "function") return "process.getActiveResourcesInfo() is not available";
  const names = [...info.call(process)];
  if (runtime === "deno") {
    const deno = (globalThis as Record<string, unknown>).Deno as Record<PropertyKey, unknown>;
    const internal = deno[deno.internal as PropertyKey] as
      | { core?: { resources?: () => Record<string, string> } }
      | undefined;
    const table = internal?.core?.resources?.();
    if (table === undefined) return "Deno's resource table is not reachable";
    names.push(...Object.values(table).map((name) => `deno:${name}`));
  }
  return names.sort();
}

/**
 * A {@linkcode resourceSnapshot} taken once the process is quiet: what an
 * earlier test closed may take a few event-loop turns to go away.
 */
export async function resourceBaseline(): Promise<string[] | string> {
  let previous = resourceSnapshot();
  const deadline = performance.now() + 500;
  while (performance.now() < deadline) {
    await delay(20);
    const now = resourceSnapshot();
    if (String(now) === String(previous)) return now;
    previous = now;
  }
  return previous;
}

/** The entries of `after` that `before` does not account for (multisets). */
function extra(before: readonly string[], after: readonly string[]): string[] {
  const left = new Map<string, number>();
  for (const name of before) left.set(name, (left.get(name) ?? 0) + 1);
  const found: string[] = [];
  for (const name of after) {
    const n = left.get(name) ?? 0;
    if (n > 0) left.set(name, n - 1);
    else found.push(name);
  }
  return found;
}

/**
 * Waits until the process holds nothing that it did not hold at `before`
 * (sockets close asynchronously) and fails with what is left after `ms`.
 *
 * @param before A {@linkcode resourceBaseline} taken before the scenario.
 * @param label What ran, for the message.
 * @param ms How long closing may take.
 * @returns `false` when the runtime cannot tell (the reason is logged once).
 */
export async function assertNoLeaks(
  before: string[] | string,
  label: string,
  ms = 2000,
): Promise<boolean> {
  if (typeof before === "string") {
    if (!warned.has(before)) {
      warned.add(before);
      console.log(`leak check skipped on ${runtime}: ${before}`);
    }
    return false;
  }
  const deadline = performance.now() + ms;
  let left = extra(before, resourceSnapshot() as string[]);
  while (left.length > 0 && performance.now() < deadline) {
    await delay(10);
    left = extra(before, resourceSnapshot() as string[]);
  }
  if (left.length > 0) {
    throw new Error(
      `${label}: left behind on ${runtime}: [${left.join(", ")}] (held before: [${
        before.join(", ")
      }])`,
    );
  }
  return true;
}

const warned = new Set<string>();
