/**
 * The driver: moves bytes between a {@linkcode Transport} and a sans-I/O
 * {@linkcode ProtocolConnection}, following the one loop written down in the
 * `@module` doc of `./protocol/mod.ts`:
 *
 * 1. read a chunk from the transport (only when someone wants events);
 * 2. `receiveData(chunk)`, or `receiveEof()` at end of stream;
 * 3. write everything from `dataToSend()`; an empty chunk means half-close;
 * 4. if `closeExpected()`, start the close timer: when it fires, close the
 *    transport and call `receiveEof()`;
 * 5. hand the events to the API layer.
 *
 * Writes requested by the application (`send`) are coalesced: every send
 * in the same microtask goes to the transport as one write.
 *
 * @module
 */

import { framePool } from "./_frame_pool.ts";
import { concatBytes } from "./protocol/encoding/_bytes.ts";
import type { ProtocolConnection } from "./protocol/connection/connection.ts";
import type { ConnectionEvent } from "./protocol/connection/events.ts";
import type { Bytes, Transport } from "./transport/types.ts";

/**
 * Unsent bytes past which the driver stops reading until the transport
 * drains: 64 MiB, the default `maxBufferedAmount`, so only a peer that
 * does not read what it makes us write is ever paused.
 */
export const READ_PAUSE_BACKLOG = 64 * 1024 * 1024;

/** The settled promise whose reactions run the deferred flushes. */
const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Chunks of at least this many bytes are written on their own; smaller ones
 * written in the same flush are copied into one write. Frames in buffers of
 * `framePool` are always larger, so they are written as they are and go back
 * to the pool when the transport reports them written.
 */
export const SEPARATE_WRITE_SIZE = 16384;

/**
 * The most messages parsed from a received chunk before their events are
 * dispatched (then parsing goes on); see `#onChunk`.
 */
export const MESSAGE_BATCH = 256;

const NO_BYTES = new Uint8Array(0);

/** Options of {@linkcode Driver}. */
export interface DriverOptions {
  /** Milliseconds to wait for the peer to end the transport after the closing handshake. */
  readonly closeTimeout: number;
  /**
   * Unsent bytes past which reading waits for the transport to drain.
   * @default READ_PAUSE_BACKLOG
   */
  readonly pauseReadingAt?: number;
  /** Receives each event, in order. */
  readonly onEvent: (event: ConnectionEvent) => void;
}

/**
 * Runs one connection over one transport.
 */
export class Driver {
  /** The protocol state machine. */
  readonly connection: ProtocolConnection;
  /** The byte stream. */
  readonly transport: Transport;
  #options: DriverOptions;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #flushScheduled = false;
  /** Frames made by {@linkcode Driver.send} and not yet written (the flush is deferred). */
  #unflushed: Bytes[] = [];
  #unflushedBytes = 0;
  #ended = false;
  #reading: Promise<boolean> | null = null;
  #transportError: unknown = null;
  #aborted = false;
  #pauseReadingAt: number;

  /**
   * Creates the driver; nothing happens until {@linkcode Driver.flush} or
   * {@linkcode Driver.pump} is called.
   *
   * @param connection The connection.
   * @param transport The transport it runs on.
   * @param options Timeouts and the event sink.
   */
  constructor(connection: ProtocolConnection, transport: Transport, options: DriverOptions) {
    this.connection = connection;
    this.transport = transport;
    this.#options = options;
    this.#pauseReadingAt = options.pauseReadingAt ?? READ_PAUSE_BACKLOG;
  }

  /** Whether the connection is over and the transport released. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Bytes framed by {@linkcode Driver.send} and not yet handed to the OS:
   * those waiting for the deferred flush plus the transport's queue. WHATWG
   * `bufferedAmount` grows as soon as `send()` returns, not a microtask later.
   */
  get bufferedAmount(): number {
    return this.#unflushedBytes + this.transport.bufferedAmount;
  }

  /**
   * The error the transport failed with while reading, if it did; or the
   * `TimeoutError` of the close timer, when it closed the transport itself.
   */
  get transportError(): unknown {
    return this.#transportError;
  }

  /**
   * Reads one chunk and processes it (steps 1-5). Only one read runs at a
   * time; concurrent calls share it.
   *
   * @returns `false` once the connection has ended.
   */
  pump(): Promise<boolean> {
    if (this.#ended) return Promise.resolve(false);
    return this.#reading ??= this.#pumpOnce();
  }

  /**
   * Pumps until the connection ends.
   *
   * @returns When the close event was dispatched.
   */
  run(): Promise<void> {
    // A chain of callbacks rather than an async loop: an idle connection
    // waits in one pending read, without the suspended frames (generator,
    // registers, promises) of `while (await this.pump())`. See also start().
    return new Promise<void>((resolve, reject) => {
      const next = (more: boolean): void => {
        if (more) this.pump().then(next, reject);
        else resolve();
      };
      next(true);
    });
  }

  /**
   * Pumps until the connection ends, as {@linkcode Driver.run} without a
   * promise to wait on (the API layers learn the end from the close event):
   * what an idle connection holds is its one pending read.
   */
  start(): void {
    this.#loop(true);
  }

  /** The loop of {@linkcode Driver.start}: the next read after each chunk, until the end. */
  #loop = (more: boolean): void => {
    if (more) void this.pump().then(this.#loop);
  };

  #pumpOnce(): Promise<boolean> {
    let read: Promise<Bytes | null>;
    try {
      // Reading makes us write (pongs, the close echo): a peer that sends
      // pings and never reads could grow our write queue without bound. Past
      // a large backlog, wait for the transport to drain before reading on.
      read = this.transport.bufferedAmount > this.#pauseReadingAt
        ? this.transport.drained().then(() => this.transport.read())
        : this.transport.read();
    } catch (error) {
      read = Promise.reject(error);
    }
    // `Promise.resolve` keeps a user-written transport's thenable working (a
    // native promise is returned as it is).
    return Promise.resolve(read).then(this.#onChunk, this.#onReadError);
  }

  /** The end of a read that failed: the stream is over, with this error. */
  #onReadError = (error: unknown): boolean => {
    this.#transportError = error;
    return this.#onChunk(null);
  };

  /** The end of a read (a chunk, or `null` at end of stream): steps 2-5. */
  #onChunk = (chunk: Bytes | null): boolean => {
    // The read is over; what follows is synchronous, so a pump() called
    // from an event handler starts the next read.
    this.#reading = null;
    // After abort() the rest of the input is discarded: the close event is
    // on its way, and nothing (such as an `open`) may come before it.
    if (this.#ended || this.#aborted) return false;
    try {
      if (chunk === null) {
        this.connection.receiveEof();
        this.#afterInput();
      } else {
        // A chunk of many small messages is dispatched in batches: the
        // events of a batch die young, where all of a 64 KiB chunk's (~3,600
        // views and events of 16-byte messages) would outlive a scavenge or
        // two (GC was 14-18 % of receiving them on Node). Each batch is as
        // if the rest of the chunk came in a later read.
        const connection = this.connection;
        let more = connection.receiveData(chunk, MESSAGE_BATCH) === true;
        this.#afterInput();
        while (more && !this.#ended && !this.#aborted) {
          more = connection.receiveData(NO_BYTES, MESSAGE_BATCH) === true;
          this.#afterInput();
        }
      }
    } catch (error) {
      // The core never throws for what the peer sent; this is a bug or a
      // user hook (an extension, a tracer) that threw. Fail the connection
      // rather than leave it hanging, and report the error as its cause.
      this.#transportError = error;
      try {
        this.connection.fail(1011, "");
      } catch { /* not open: nothing to send */ }
      this.abort();
      return false;
    }
    return !this.#ended;
  };

  /** Steps 3-5 after the connection was fed or asked to do something. */
  #afterInput(): void {
    this.flush();
    const connection = this.connection;
    if (connection.closeExpected() && this.#closeTimer === undefined && !this.#ended) {
      this.#closeTimer = setTimeout(() => this.#closeTimedOut(), this.#options.closeTimeout);
    }
    const events = connection.eventsReceived();
    if (events.length === 0) return;
    for (const event of events) {
      if (event.type === "close") this.#release();
      this.#options.onEvent(event);
    }
    // A failure found behind those messages applies now: the answers the
    // handlers sent are in #unflushed, so they are written before its close frame.
    if (connection.releaseFailure()) this.#afterInput();
  }

  /**
   * Runs `action` on the connection (a send), then writes its output
   * within the same microtask as other sends.
   *
   * @param action What to do, e.g. `(c) => c.sendText("hi")`; may throw.
   * @returns How many bytes the action put on the wire (frames included).
   */
  send(action: (connection: ProtocolConnection) => void): number {
    action(this.connection);
    // Take the frames now, so that bufferedAmount counts them before the flush.
    let bytes = 0;
    for (const chunk of this.connection.dataToSend()) {
      this.#unflushed.push(chunk);
      bytes += chunk.length;
    }
    this.#unflushedBytes += bytes;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // A reaction of a settled promise runs in the same microtask queue as
      // queueMicrotask, at a fraction of its cost on Node (whose
      // queueMicrotask makes an AsyncResource per call: ~0.4 µs, in every
      // echo round trip).
      RESOLVED.then(this.#scheduledFlush);
    }
    return bytes;
  }

  /** The flush {@linkcode Driver.send} defers; what it throws is reported as queueMicrotask would. */
  #scheduledFlush = (): void => {
    this.#flushScheduled = false;
    try {
      this.#afterInput();
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  };

  /** Runs `action` on the connection and processes its output and events now. */
  act(action: (connection: ProtocolConnection) => void): void {
    action(this.connection);
    this.#afterInput();
  }

  /** Step 3: writes what the connection produced, coalescing small chunks. */
  flush(): void {
    const chunks = this.#unflushed;
    for (const chunk of this.connection.dataToSend()) chunks.push(chunk);
    this.#unflushed = [];
    this.#unflushedBytes = 0;
    if (chunks.length === 0) return;
    let pending: Bytes[] = [];
    const writePending = () => {
      if (pending.length === 0) return;
      this.transport.write(pending.length === 1 ? pending[0]! : concatBytes(pending));
      pending = [];
    };
    for (const chunk of chunks) {
      if (chunk.length === 0) {
        writePending();
        this.transport.closeWrite();
      } else if (chunk.length >= SEPARATE_WRITE_SIZE) {
        writePending();
        this.transport.write(chunk, framePool.releaser(chunk));
      } else {
        pending.push(chunk);
      }
    }
    writePending();
  }

  #closeTimedOut(): void {
    this.#closeTimer = undefined;
    if (this.#ended) return;
    // §7.1.1: the client "MAY close the TCP connection" when the server does not.
    // We end the stream, not the server: the close event says so (a timeout),
    // rather than blaming the server with UNEXPECTED_EOF.
    this.#transportError ??= new DOMException(
      this.connection.state === "closing"
        ? `Cannot close connection: no close frame from the server within ${this.#options.closeTimeout} ms`
        : `Cannot close connection: the server did not end the connection within ${this.#options.closeTimeout} ms`,
      "TimeoutError",
    );
    this.transport.close();
    this.connection.receiveEof();
    this.#afterInput();
  }

  /**
   * Ends everything: closes the transport now and reports the close event
   * (code 1006, unless the closing handshake had completed) in a microtask,
   * if it was not reported yet. For aborts and local failures.
   */
  abort(): void {
    if (this.#ended || this.#aborted) return;
    this.#aborted = true;
    this.transport.close();
    // Events are dispatched as a task of their own, never inside the
    // caller's `close()` or `send()` (WHATWG: events are queued, not fired
    // synchronously).
    queueMicrotask(() => {
      if (this.#ended) return;
      this.connection.receiveEof();
      this.#afterInput();
    });
  }

  #release(): void {
    this.#ended = true;
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    this.transport.close();
  }
}
