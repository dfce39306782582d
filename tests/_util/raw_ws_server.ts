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
 * Its companions, split by job: `./probe_connector.ts` (the client's
 * adapter with counters), `./both_apis.ts` (either public API behind one
 * handle), `./messages.ts` (numbered messages), `./black_hole.ts` (a
 * connect that hangs), `./leaks.ts` (leak checks), `./wait.ts` and
 * `./runtime.ts`.
 *
 * @module
 */

import type * as net from "node:net";
import {
  ServerConnection,
  type ServerConnectionEvent,
} from "../../src/protocol/server/server_connection.ts";
import type { CloseEvent as CoreCloseEvent } from "../../src/protocol/connection/events.ts";
import { isMessage, numbered } from "./messages.ts";
import { startServer, type TestServer } from "./tcp_server.ts";
import { delay } from "./wait.ts";

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
