/**
 * `WebSocketStream`: the promise- and streams-based API
 * (https://websockets.spec.whatwg.org/#the-websocketstream-interface and
 * the WICG explainer), with real backpressure both ways.
 *
 * Reading pulls: the transport is read only when the `readable` wants
 * more, so a consumer that stops reading stops the reads from the socket,
 * the TCP window fills and the server's writes stall. Writing waits: a
 * `write()` resolves when its frame is handed to the transport, and the
 * next one waits while the transport holds more than `writableHighWaterMark`
 * bytes.
 *
 * @module
 */

import { type ClientOptions, type ClientRun, closeCause, startClient } from "../client.ts";
import type { Driver } from "../driver.ts";
import type { ConnectionEvent } from "../protocol/connection/events.ts";
import type { HandshakeResult } from "../protocol/handshake/handshake.ts";
import { encodeUtf8 } from "../protocol/encoding/utf8.ts";
import type { PingOptions } from "../keepalive.ts";
import { type BufferSource, bufferSourceBytes, domSyntaxError } from "./_webidl.ts";
import { ownerError, validateOptions, WEBSOCKET_STREAM_OPTIONS } from "../_options.ts";
import { copyBytes } from "../transport/select.ts";
import {
  closeFailure,
  validateCloseInfo,
  type WebSocketCloseInfo,
  WebSocketError,
} from "./websocket_error.ts";

/** Options of {@linkcode WebSocketStream}. */
export interface WebSocketStreamOptions extends ClientOptions {
  /** Subprotocols to offer. */
  readonly protocols?: string | readonly string[];
  /**
   * Bytes of received messages the `readable` may hold before reading from
   * the transport stops: a message counts its bytes (2 per UTF-16 unit for
   * text, as its memory does) plus 64 for its objects. At most one
   * transport read (≤ 256 KiB) and one message in progress come on top.
   * @default 1048576
   */
  readonly readableHighWaterMark?: number;
  /**
   * Bytes the transport may hold unsent before `writer.ready` pends.
   * @default 1048576
   */
  readonly writableHighWaterMark?: number;
}

/** What {@linkcode WebSocketStream.opened} resolves to. */
export interface WebSocketOpenInfo {
  /** Received messages: `string` for text, `Uint8Array` for binary. */
  readonly readable: ReadableStream<string | Uint8Array>;
  /** Accepts `string` (text) and `BufferSource` (binary). */
  readonly writable: WritableStream<string | BufferSource>;
  /** The subprotocol chosen by the server, "" if none. */
  readonly protocol: string;
  /** The extensions accepted by the server, "" if none. */
  readonly extensions: string;
  /** The handshake response: status, headers. */
  readonly handshake: HandshakeResult;
}

/** What {@linkcode WebSocketStream.closed} resolves to. */
export interface WebSocketCloseResult {
  /** The close code. */
  readonly closeCode: number;
  /** The close reason. */
  readonly reason: string;
}

const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

function highWaterMark(name: string, value: number | undefined): number {
  if (value === undefined) return DEFAULT_HIGH_WATER_MARK;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `Cannot create WebSocketStream: ${name} must be a finite number >= 0, got ${value}`,
    );
  }
  return value;
}

/** What a queued message costs: its bytes (2 per UTF-16 unit) plus its objects. */
const MESSAGE_OVERHEAD = 64;

function messageSize(message: string | Uint8Array): number {
  return (typeof message === "string" ? message.length * 2 : message.byteLength) + MESSAGE_OVERHEAD;
}

/**
 * A WebSocket as a pair of streams.
 *
 * @example Echo through an in-memory server
 * ```ts
 * import { WebSocketStream } from "../../mod.ts";
 * import { createEchoServer } from "../testing.ts";
 * import assert from "node:assert/strict";
 *
 * const server = createEchoServer();
 * const socket = new WebSocketStream("ws://echo.test/", { transport: server.connector });
 * const { readable, writable } = await socket.opened;
 * const writer = writable.getWriter();
 * await writer.write("hello");
 * const reader = readable.getReader();
 * assert.equal((await reader.read()).value, "hello");
 * socket.close({ closeCode: 1000 });
 * assert.deepEqual(await socket.closed, { closeCode: 1000, reason: "" });
 * ```
 */
export class WebSocketStream {
  #url: string;
  #run: ClientRun;
  #driver: Driver | null = null;
  #opened: Promise<WebSocketOpenInfo>;
  #closed: Promise<WebSocketCloseResult>;
  #resolveOpened!: (info: WebSocketOpenInfo) => void;
  #rejectOpened!: (error: unknown) => void;
  #resolveClosed!: (result: WebSocketCloseResult) => void;
  #rejectClosed!: (error: unknown) => void;
  #readController: ReadableStreamDefaultController<string | Uint8Array> | null = null;
  #writeController: WritableStreamDefaultController | null = null;
  #readableHighWaterMark: number;
  #writableHighWaterMark: number;
  #failure: unknown = null;
  /** The error of a failed connection, made when it failed (the close code is then 1006). */
  #failError: WebSocketError | null = null;
  /** The readable's error, held until the messages queued before the failure were read. */
  #readError: WebSocketError | null = null;
  #closeRequested = false;
  #isOpen = false;
  #signal: AbortSignal | undefined;

  /**
   * Opens a connection: https://websockets.spec.whatwg.org/#dom-websocketstream-websocketstream
   *
   * @param url A `ws:`, `wss:`, `http:` or `https:` URL.
   * @param options Subprotocols, signal, limits and transport options.
   * @throws {DOMException} `SyntaxError` for a bad URL or subprotocol list.
   * @throws {TypeError} For bad or forbidden headers.
   * @throws {RangeError} For bad limits or timeouts.
   */
  constructor(url: string | URL, options: WebSocketStreamOptions = {}) {
    // Every option, before anything else: its type and range, unknown ones refused.
    validateOptions("WebSocketStream", options, WEBSOCKET_STREAM_OPTIONS);
    options ??= {};
    this.#signal = options.signal;
    this.#readableHighWaterMark = highWaterMark(
      "readableHighWaterMark",
      options.readableHighWaterMark,
    );
    this.#writableHighWaterMark = highWaterMark(
      "writableHighWaterMark",
      options.writableHighWaterMark,
    );
    const protocols = options.protocols === undefined
      ? []
      : typeof options.protocols === "string"
      ? [options.protocols]
      : [...options.protocols];
    this.#opened = new Promise((resolve, reject) => {
      this.#resolveOpened = resolve;
      this.#rejectOpened = reject;
    });
    this.#closed = new Promise((resolve, reject) => {
      this.#resolveClosed = resolve;
      this.#rejectClosed = reject;
    });
    // Unhandled rejections of these two promises are the caller's choice, not a crash.
    this.#opened.catch(() => {});
    this.#closed.catch(() => {});
    try {
      this.#run = startClient(
        String(url),
        protocols,
        {
          ...options,
          // Keepalive pongs can only be seen while the readable is pulled.
          isReading: () => this.#closeRequested || (this.#readController?.desiredSize ?? 1) > 0,
        },
        (event) => this.#onEvent(event),
        (reason) => {
          this.#failure = reason;
        },
      );
    } catch (error) {
      throw domSyntaxError(ownerError(error, "WebSocketStream"));
    }
    this.#url = this.#run.connection.url.href;
    this.#run.driver.then(async (driver) => {
      this.#driver = driver;
      // Pump through the handshake; afterwards the readable's pulls drive reading.
      while (!this.#isOpen && await driver.pump());
    }, () => {});
  }

  /** The URL, serialized with `ws:`/`wss:`. */
  get url(): string {
    return this.#url;
  }

  /** Resolves once the connection is open; rejects with a {@linkcode WebSocketError} if it could not be. */
  get opened(): Promise<WebSocketOpenInfo> {
    return this.#opened;
  }

  /** Resolves when the connection closed cleanly; rejects with a {@linkcode WebSocketError} otherwise. */
  get closed(): Promise<WebSocketCloseResult> {
    return this.#closed;
  }

  /**
   * Sends a ping and resolves with the round-trip time in milliseconds when
   * its pong arrives. The pong is only seen while the `readable` is read
   * (or has room in its queue). Not in the WHATWG API.
   *
   * @param data At most 125 bytes; a unique payload by default.
   * @param options `timeout` (default `pongTimeout`) and `signal` for the wait.
   * @returns The round-trip time.
   */
  async ping(data?: BufferSource, options?: PingOptions): Promise<number> {
    await this.#opened;
    const bytes = data === undefined ? undefined : bufferSourceBytes(data).slice();
    return this.#run.heartbeat.ping(bytes, options);
  }

  /**
   * Iterates over received messages once open: ends after a clean close,
   * throws a {@linkcode WebSocketError} after an abnormal one. Reading
   * through the iterator keeps the backpressure of the `readable`.
   *
   * @returns The iterator.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<string | Uint8Array, void, undefined> {
    const { readable } = await this.#opened;
    const reader = readable.getReader();
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }

  /** Closes the connection and waits until it is closed, whatever the outcome. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#close(null, "");
    await this.#closed.catch(() => {});
  }

  /**
   * Closes the connection: https://websockets.spec.whatwg.org/#dom-websocketstream-close
   *
   * @param closeInfo The code (1000 or 3000-4999) and reason (≤ 123 bytes).
   * @throws {DOMException} `InvalidAccessError` or `SyntaxError` for bad values.
   */
  close(closeInfo: WebSocketCloseInfo = {}): void {
    const { code, reason } = validateCloseInfo(closeInfo);
    this.#close(code, reason);
  }

  #close(code: number | null, reason: string): void {
    if (this.#closeRequested) return;
    this.#closeRequested = true;
    const connection = this.#run.connection;
    if (connection.state === "connecting") {
      this.#run.abort(new WebSocketError("Cannot open connection: closed before it opened"));
      return;
    }
    const driver = this.#driver;
    if (driver === null || connection.state !== "open") return;
    driver.act((c) => c.sendClose(code ?? undefined, reason));
    // Read on until the server answers, whether or not anyone reads the readable.
    driver.start();
  }

  /** Cancelling the readable or aborting the writable closes with the WebSocketError's code and reason, if given one. */
  #closeFor(reason: unknown): void {
    if (reason instanceof WebSocketError) this.#close(reason.closeCode, reason.reason);
    else this.#close(null, "");
  }

  #onEvent(event: ConnectionEvent): void {
    switch (event.type) {
      case "open":
        this.#isOpen = true;
        this.#resolveOpened({
          readable: this.#createReadable(),
          writable: this.#createWritable(),
          protocol: event.handshake.protocol,
          extensions: event.handshake.extensionsHeader,
          handshake: event.handshake,
        });
        return;
      case "message":
        if (!this.#closeRequested) {
          const data = event.data;
          // A view into a larger received chunk is copied, so that the queue's
          // size bounds memory (a view would keep the whole chunk alive).
          this.#readController?.enqueue(
            typeof data !== "string" && data.byteLength * 2 < data.buffer.byteLength
              ? copyBytes(data)
              : data,
          );
        }
        return;
      case "closing":
        // The server started closing: keep reading until the transport ends.
        if (this.#driver !== null) this.#driver.start();
        return;
      case "fail": {
        // The connection failed: writes fail now, not when the transport
        // ends (up to closeTimeout later, with a peer that ignores our close).
        const cause = closeCause(this.#failure, event.error, this.#driver?.transportError);
        this.#failError = closeFailure(
          cause ?? undefined,
          1006,
          "",
          "Connection closed abnormally with code 1006",
        );
        this.#writeController?.error(this.#failError);
        return;
      }
      case "close":
        this.#onClose(event.code, event.reason, event.wasClean, event.error);
        return;
      default:
        return;
    }
  }

  #onClose(code: number, reason: string, wasClean: boolean, error: unknown): void {
    // A local failure (timeout, abort) is the cause; the core only saw its effect.
    const cause = closeCause(this.#failure, error, this.#driver?.transportError) ?? undefined;
    if (!this.#isOpen) {
      // WHATWG WebSocketStream constructor, steps 8.2-8.3: an aborted signal
      // rejects `opened` and `closed` with the signal's abort reason itself.
      if (this.#signal?.aborted && cause === this.#signal.reason) {
        this.#rejectOpened(cause);
        this.#rejectClosed(cause);
        return;
      }
      const failure = closeFailure(cause, code, reason, "Cannot open connection");
      this.#rejectOpened(failure);
      this.#rejectClosed(failure);
      return;
    }
    const controller = this.#readController;
    // "When the WebSocket connection is closed": close the readable and error
    // the writable with an InvalidStateError after a clean close; error both
    // with the WebSocketError after an abnormal one.
    if (wasClean) {
      try {
        controller?.close();
      } catch { /* already closed or cancelled */ }
      this.#writeController?.error(
        new DOMException("Cannot write: the connection is closed", "InvalidStateError"),
      );
      this.#resolveClosed({ closeCode: code, reason });
    } else {
      const failure = this.#failError ?? closeFailure(
        cause,
        code,
        reason,
        `Connection closed abnormally with code ${code}`,
      );
      // Messages that arrived before the failure are read first; the
      // readable errors once its queue is empty (see pull).
      if (controller !== null && controller.desiredSize !== this.#readableHighWaterMark) {
        this.#readError = failure;
      } else {
        try {
          controller?.error(failure);
        } catch { /* already closed */ }
      }
      this.#writeController?.error(failure);
      this.#rejectClosed(failure);
    }
  }

  #createReadable(): ReadableStream<string | Uint8Array> {
    return new ReadableStream<string | Uint8Array>({
      start: (controller) => {
        this.#readController = controller;
      },
      // Pull-based: one transport read per pull, only when the queue has room.
      pull: async (controller) => {
        if (this.#readError !== null) {
          // Held at an abnormal close until the queue is empty.
          if (controller.desiredSize === this.#readableHighWaterMark) {
            controller.error(this.#readError);
          }
          return;
        }
        const driver = this.#driver!;
        const before = controller.desiredSize;
        while (!driver.ended && controller.desiredSize === before) {
          if (!await driver.pump()) break;
        }
      },
      cancel: (reason) => {
        this.#closeFor(reason);
      },
    }, { highWaterMark: this.#readableHighWaterMark, size: messageSize });
  }

  #createWritable(): WritableStream<string | BufferSource> {
    return new WritableStream<string | BufferSource>({
      start: (controller) => {
        this.#writeController = controller;
      },
      write: async (chunk) => {
        const driver = this.#driver!;
        if (driver.connection.state !== "open") {
          throw new WebSocketError("Cannot send: the connection is closing");
        }
        if (typeof chunk === "string") {
          const bytes = encodeUtf8(chunk);
          driver.act((c) => c.sendText(bytes));
        } else if (chunk instanceof ArrayBuffer || ArrayBuffer.isView(chunk)) {
          const bytes = bufferSourceBytes(chunk);
          driver.act((c) => c.sendBinary(bytes));
        } else {
          throw new TypeError("Cannot send: a chunk must be a string, an ArrayBuffer or a view");
        }
        // Backpressure: hold the next write while the transport is full.
        if (driver.transport.bufferedAmount > this.#writableHighWaterMark) {
          await driver.transport.drained();
        }
      },
      close: () => {
        this.#close(null, "");
        return this.#closed.then(() => {}, () => {});
      },
      abort: (reason) => {
        this.#closeFor(reason);
      },
    }, { highWaterMark: 1 });
  }
}
