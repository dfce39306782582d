/**
 * `connect()`: reconnection for stream users, as python-websockets'
 * `async for websocket in connect(...)`. Each turn of the loop gets an
 * open {@linkcode WebSocketStream}; when the loop asks for the next one, the
 * previous connection's end is classified by the retry table, and the loop
 * either reconnects (after the backoff) or ends by throwing a
 * {@linkcode ReconnectError}.
 *
 * @module
 */

import { WebSocketStream, type WebSocketStreamOptions } from "../web/websocket_stream.ts";
import { WebSocketError } from "../web/websocket_error.ts";
import { bufferSourceBytes, domSyntaxError } from "../web/_webidl.ts";
import { parseWebSocketUrl } from "../protocol/mod.ts";
import { resolveBackoff } from "./backoff.ts";
import { type Link, Reconnector } from "./engine.ts";
import type { Disconnect } from "./policy.ts";
import { Outbox, OutboxError, utf8Length } from "./outbox.ts";
import { RECONNECT_OPTIONS, validateOptions, WEBSOCKET_STREAM_OPTIONS } from "../_options.ts";
import {
  checkSource,
  connectionOptions,
  type ReconnectOptions,
  resolveSource,
  type Source,
} from "./_sources.ts";

const OWNER = "connect()";

/** Options of {@linkcode connect}: those of `WebSocketStream` plus {@linkcode ReconnectOptions}. */
export interface ConnectStreamOptions
  extends Omit<WebSocketStreamOptions, "headers" | "protocols" | "signal">, ReconnectOptions {}

function disconnectOf(phase: "connecting" | "open", error: unknown): Disconnect {
  if (error instanceof WebSocketError) {
    return {
      phase,
      closeCode: error.closeCode ?? 1006,
      reason: error.reason,
      wasClean: false,
      error: error.cause ?? null,
    };
  }
  return { phase, closeCode: 1006, reason: "", wasClean: false, error };
}

/** One attempt over a `WebSocketStream`. */
class StreamLink implements Link {
  readonly socket: WebSocketStream;
  readonly opened: Promise<Disconnect | null>;
  readonly ended: Promise<Disconnect>;
  settled = false;

  constructor(socket: WebSocketStream) {
    this.socket = socket;
    this.opened = socket.opened.then(() => null, (error) => disconnectOf("connecting", error));
    this.ended = socket.closed.then(
      (result): Disconnect => ({
        phase: "open",
        closeCode: result.closeCode,
        reason: result.reason,
        wasClean: true,
        error: null,
      }),
      (error) => disconnectOf("open", error),
    );
    void this.ended.then(() => this.settled = true);
  }

  close(code?: number, reason?: string): void {
    this.socket.close({ ...(code === undefined ? {} : { closeCode: code }), reason: reason ?? "" });
  }
}

interface Pending {
  readonly data: string | Uint8Array;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The connections of {@linkcode connect}: iterate them with `for await`
 * (once), send through the outbox with {@linkcode Connections.send}, stop
 * with {@linkcode Connections.close} or by leaving the loop.
 */
export class Connections implements AsyncIterable<WebSocketStream> {
  #engine: Reconnector<StreamLink>;
  #outbox: Outbox<Pending>;
  #current: StreamLink | null = null;
  #attempt = 0;
  #iterating = false;
  #closed = false;
  #writes: Promise<void> = Promise.resolve();

  /**
   * Use {@linkcode connect}.
   *
   * @param url The URL or a function returning it.
   * @param options The options.
   */
  constructor(url: Source<string | URL>, options: ConnectStreamOptions) {
    checkSource(OWNER, "url", url, ["string", "object"]);
    validateOptions(OWNER, options, { ...WEBSOCKET_STREAM_OPTIONS, ...RECONNECT_OPTIONS });
    if (typeof url !== "function") {
      try {
        parseWebSocketUrl(url);
      } catch (error) {
        throw domSyntaxError(error);
      }
    }
    const backoff = resolveBackoff(OWNER, options);
    this.#outbox = new Outbox(OWNER, options.outbox ?? {});
    const streamOptions = connectionOptions(options) as WebSocketStreamOptions;
    this.#engine = new Reconnector<StreamLink>({
      backoff,
      shouldRetry: options.shouldRetry,
      signal: options.signal,
      onAttempt: options.onAttempt,
      onAbort: () => {
        const link = this.#engine.current;
        if (link !== null && link === this.#current) link.close(1000, "aborted");
      },
      dial: async () => {
        const [target, protocols, headers] = await Promise.all([
          resolveSource(url),
          resolveSource(options.protocols),
          resolveSource(options.headers),
        ]);
        return new StreamLink(
          new WebSocketStream(target, {
            ...streamOptions,
            ...(protocols === undefined ? {} : { protocols }),
            ...(headers === undefined ? {} : { headers }),
            ...(options.signal === undefined ? {} : { signal: options.signal }),
          }),
        );
      },
    });
  }

  /** The open connection, `null` while reconnecting. */
  get current(): WebSocketStream | null {
    return this.#current?.socket ?? null;
  }

  /** The number of the attempt that opened the current (or last) connection. */
  get attempt(): number {
    return this.#attempt;
  }

  /** Messages waiting in the outbox for the next open. */
  get queuedMessages(): number {
    return this.#outbox.length;
  }

  /**
   * Sends on the open connection (through a writer taken for the write, so
   * do not hold the `writable`'s writer yourself when using this), or
   * queues in the outbox while reconnecting.
   *
   * @param data Text or bytes.
   * @returns Resolves once the message was handed to a connection's
   * transport; rejects with an {@linkcode OutboxError} when the outbox
   * refuses it (`OUTBOX_FULL`, `NOT_CONNECTED`), at once, or when the loop
   * stopped before it was sent (`UNSENT`, `CLOSED`), or with the
   * connection's error when it failed while sending.
   */
  send(data: string | BufferSource): Promise<void> {
    const message = typeof data === "string" ? data : bufferSourceBytes(data).slice();
    if (this.#closed) {
      return Promise.reject(new OutboxError("CLOSED", "Cannot send: the loop has stopped", [data]));
    }
    const link = this.#current;
    if (link !== null && !link.settled) return this.#write(link, message);
    return new Promise((resolve, reject) => {
      const refused = this.#outbox.push(
        { data: message, resolve, reject },
        typeof message === "string" ? utf8Length(message) : message.byteLength,
        data,
      );
      if (refused !== null) reject(refused);
    });
  }

  #write(link: StreamLink, data: string | Uint8Array): Promise<void> {
    const write = this.#writes.then(async () => {
      const opened = await link.socket.opened;
      const writer = opened.writable.getWriter();
      try {
        await writer.write(data as string | Uint8Array<ArrayBuffer>);
      } finally {
        writer.releaseLock();
      }
    });
    this.#writes = write.catch(() => {});
    return write;
  }

  #flush(link: StreamLink): Promise<void> {
    for (const pending of this.#outbox.take()) {
      this.#write(link, pending.data).then(pending.resolve, pending.reject);
    }
    return this.#writes;
  }

  #stop(): void {
    this.#closed = true;
    const unsent = this.#outbox.take();
    if (unsent.length === 0) return;
    const error = new OutboxError(
      "UNSENT",
      `Cannot send: ${unsent.length} queued messages were not sent before the loop stopped`,
      unsent.map((pending) => pending.data),
    );
    for (const pending of unsent) pending.reject(error);
  }

  /**
   * Stops: no more attempts; the open connection is closed with `closeCode`.
   *
   * @param closeInfo The close code (1000 or 3000-4999) and reason.
   */
  close(closeInfo: { closeCode?: number; reason?: string } = {}): void {
    this.#engine.stop(closeInfo.closeCode ?? 1000, closeInfo.reason ?? "");
    this.#stop();
  }

  /**
   * The loop; it can be iterated once.
   *
   * @returns The iterator of open connections.
   * @throws {TypeError} On a second iteration.
   */
  [Symbol.asyncIterator](): AsyncIterator<WebSocketStream> {
    if (this.#iterating) throw new TypeError("Cannot iterate: connect() can be iterated once");
    this.#iterating = true;
    const connections = this.#engine.connections();
    return {
      next: async (): Promise<IteratorResult<WebSocketStream>> => {
        // Leaving the loop body with the connection still open: close it, then reconnect.
        const previous = this.#current;
        if (previous !== null && !previous.settled) previous.close(1000, "");
        try {
          const step = await connections.next();
          if (step.done) {
            this.#current = null;
            this.#stop();
            return { done: true, value: undefined };
          }
          this.#current = step.value.link;
          this.#attempt = step.value.attempt;
          await this.#flush(step.value.link);
          return { done: false, value: step.value.link.socket };
        } catch (error) {
          this.#current = null;
          this.#stop();
          throw error;
        }
      },
      return: async (): Promise<IteratorResult<WebSocketStream>> => {
        this.close();
        this.#current = null;
        await connections.return(undefined);
        return { done: true, value: undefined };
      },
    };
  }
}

/**
 * Connects, and reconnects when the connection ends with a failure the
 * retry table retries.
 *
 * @param url A `ws:`/`wss:` URL, or a function (maybe async) returning one, called on every attempt.
 * @param options Backoff, outbox, retry predicate and `WebSocketStream` options.
 * @returns The connections, to iterate with `for await`.
 * @throws {DOMException} `SyntaxError` for a bad URL given as a value.
 * @throws {RangeError} For bad backoff or outbox limits.
 * @throws {TypeError} For options of the wrong type.
 *
 * @example
 * ```ts
 * import { connect } from "./connect.ts";
 * import { createEchoServer } from "../testing.ts";
 * import assert from "node:assert/strict";
 *
 * const server = createEchoServer();
 * const connections = connect("ws://echo.test/", { transport: server.connector, minDelay: 10 });
 * for await (const socket of connections) {
 *   await connections.send("hello");
 *   for await (const message of socket) {
 *     assert.equal(message, "hello");
 *     break;
 *   }
 *   break; // leaving the loop closes the connection and stops reconnecting
 * }
 * ```
 */
export function connect(
  url: Source<string | URL>,
  options: ConnectStreamOptions = {},
): Connections {
  return new Connections(url, options);
}
