/**
 * An in-memory {@linkcode Transport} pair, for tests and runnable examples:
 * what one side writes, the other reads, in order, with the same
 * backpressure, half-close and close behaviour as a socket.
 *
 * - Each write is copied, and read back by the peer as one chunk.
 * - A side's `bufferedAmount` is the bytes it wrote that the peer has not
 *   read yet; `write()` returns `false` once that reaches `highWaterMark`,
 *   and `drained()` resolves when the peer has read everything.
 * - `closeWrite()` gives the peer end-of-stream (`read()` → `null`) after
 *   the bytes already written; this side can still read.
 * - `close()` also gives the peer end-of-stream, never an error (like a TCP
 *   FIN). Bytes this side had not read are dropped, its pending read
 *   resolves `null`, and writes to it are dropped.
 * - {@linkcode MemoryTransport.reset} simulates a connection reset: the peer
 *   reads what it already has, then `read()` rejects with
 *   `TransportError("CONNECTION_LOST")`.
 * - `closed` resolves on `close()`/`reset()`, or once this side has
 *   half-closed and read end-of-stream.
 *
 * @module
 */

import { Deque } from "../protocol/encoding/deque.ts";
import { TransportError } from "./types.ts";
import type { Bytes, ConnectOptions, Connector, Transport, TransportAddress } from "./types.ts";

/** One side of an in-memory pair. */
export interface MemoryTransport extends Transport {
  /**
   * Simulates a connection reset: closes this side, and the peer's reads
   * reject with `TransportError("CONNECTION_LOST")` once it has read the
   * bytes it already had.
   */
  reset(): void;
}

/** Options of {@linkcode createMemoryTransportPair}. */
export interface MemoryTransportOptions {
  /**
   * `write()` returns `false` once the peer has this many unread bytes from us.
   * @default {65536} the same as the socket adapters
   */
  readonly highWaterMark?: number;
  /**
   * What both sides report as {@linkcode Transport.tls}.
   * @default {false}
   */
  readonly tls?: boolean;
  /**
   * What the first (client) side reports as its remote address; the second
   * side reports `null`.
   * @default {null}
   */
  readonly remoteAddress?: TransportAddress | null;
}

/**
 * Creates two connected in-memory transports.
 *
 * @param options Backpressure mark, `tls` flag and remote address.
 * @returns `[client, server]`; the order only matters for `remoteAddress`.
 *
 * @example Backpressure and half-close
 * ```ts
 * import { createMemoryTransportPair } from "./memory.ts";
 * import assert from "node:assert/strict";
 *
 * const [client, server] = createMemoryTransportPair({ highWaterMark: 4 });
 * assert.equal(client.write(new Uint8Array([1, 2, 3])), true);
 * assert.equal(client.write(new Uint8Array([4, 5])), false);
 * assert.equal(client.bufferedAmount, 5);
 * const drained = client.drained();
 * client.closeWrite();
 * assert.deepEqual(await server.read(), new Uint8Array([1, 2, 3]));
 * assert.deepEqual(await server.read(), new Uint8Array([4, 5]));
 * await drained;
 * assert.equal(await server.read(), null);
 * server.close();
 * assert.equal(await client.read(), null);
 * ```
 */
export function createMemoryTransportPair(
  options: MemoryTransportOptions = {},
): [MemoryTransport, MemoryTransport] {
  const { highWaterMark = 64 * 1024, tls = false, remoteAddress = null } = options;
  if (!Number.isSafeInteger(highWaterMark) || highWaterMark < 0) {
    throw new RangeError(
      `Cannot create memory transport: highWaterMark must be an integer >= 0, got ${highWaterMark}`,
    );
  }
  const client = new MemorySide(tls, remoteAddress, highWaterMark);
  const server = new MemorySide(tls, null, highWaterMark);
  MemorySide.link(client, server);
  return [client, server];
}

/** A {@linkcode Connector} handing out client sides, and the test's end of it. */
export interface MemoryConnector {
  /** Pass this to the client; each call makes a new pair. */
  readonly connector: Connector;
  /** Resolves with the server side of the next (or an already made, unclaimed) connection. */
  accept(): Promise<MemoryTransport>;
  /** The options of every connect call, in order. */
  readonly requests: readonly ConnectOptions[];
}

/**
 * Creates a connector whose connections end in the test instead of a server.
 * The client side reports `tls` when `options.tls` was given, and the
 * requested host and port as its remote address. An aborted `signal`
 * rejects with its reason.
 *
 * @param options Backpressure mark for every pair.
 * @returns The connector and the way to accept its connections.
 *
 * @example Playing the server
 * ```ts
 * import { createMemoryConnector } from "./memory.ts";
 * import assert from "node:assert/strict";
 *
 * const { connector, accept, requests } = createMemoryConnector();
 * const client = await connector({ hostname: "example.com", port: 443, tls: {} });
 * const server = await accept();
 * assert.equal(client.tls, true);
 * assert.equal(requests[0]?.hostname, "example.com");
 * client.write(new TextEncoder().encode("ping"));
 * assert.equal(new TextDecoder().decode((await server.read())!), "ping");
 * client.close();
 * ```
 */
export function createMemoryConnector(
  options: Pick<MemoryTransportOptions, "highWaterMark"> = {},
): MemoryConnector {
  const unclaimed = new Deque<MemoryTransport>();
  const waiters = new Deque<(transport: MemoryTransport) => void>();
  const requests: ConnectOptions[] = [];
  function connector(connectOptions: ConnectOptions): Promise<Transport> {
    if (connectOptions.signal?.aborted) return Promise.reject(connectOptions.signal.reason);
    requests.push(connectOptions);
    const [client, server] = createMemoryTransportPair({
      ...options,
      tls: connectOptions.tls !== undefined,
      remoteAddress: {
        hostname: connectOptions.path ?? connectOptions.hostname,
        port: connectOptions.port,
      },
    });
    const waiter = waiters.shift();
    if (waiter) waiter(server);
    else unclaimed.push(server);
    return Promise.resolve(client);
  }
  function accept(): Promise<MemoryTransport> {
    const server = unclaimed.shift();
    return server ? Promise.resolve(server) : new Promise((resolve) => waiters.push(resolve));
  }
  return { connector, accept, requests };
}

class MemorySide implements MemoryTransport {
  readonly tls: boolean;
  readonly remoteAddress: TransportAddress | null;
  readonly closed: Promise<void>;
  #highWaterMark: number;
  #peer: MemorySide = this;
  #inbox = new Deque<Bytes>();
  #inboxBytes = 0;
  #inboxEnded = false;
  #inboxError: TransportError | null = null;
  #reader: { resolve(chunk: Bytes | null): void; reject(error: Error): void } | null = null;
  #drainWaiters: (() => void)[] = [];
  #writeClosed = false;
  #eofRead = false;
  #closedLocally = false;
  #resolveClosed: () => void = () => {};

  constructor(tls: boolean, remoteAddress: TransportAddress | null, highWaterMark: number) {
    this.tls = tls;
    this.remoteAddress = remoteAddress;
    this.#highWaterMark = highWaterMark;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  static link(a: MemorySide, b: MemorySide): void {
    a.#peer = b;
    b.#peer = a;
  }

  get bufferedAmount(): number {
    return this.#closedLocally ? 0 : this.#peer.#inboxBytes;
  }

  read(): Promise<Bytes | null> {
    if (this.#reader) {
      return Promise.reject(new TypeError("Cannot read: a read is already pending"));
    }
    const chunk = this.#inbox.shift();
    if (chunk) {
      this.#inboxBytes -= chunk.byteLength;
      if (this.#inboxBytes === 0) this.#peer.#notifyDrained();
      return Promise.resolve(chunk);
    }
    return new Promise((resolve, reject) => {
      this.#reader = { resolve, reject };
      this.#wakeReader();
    });
  }

  write(chunk: Uint8Array, onWritten?: () => void): boolean {
    if (!this.#writeClosed && !this.#closedLocally && chunk.byteLength > 0) {
      this.#peer.#deliver(new Uint8Array(chunk));
      // Copied: the chunk is free again.
      onWritten?.();
    }
    return this.bufferedAmount < this.#highWaterMark;
  }

  drained(): Promise<void> {
    if (this.bufferedAmount === 0 || this.#closedLocally) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  closeWrite(): void {
    if (this.#writeClosed || this.#closedLocally) return;
    this.#writeClosed = true;
    this.#peer.#endInbox(null);
    if (this.#eofRead) this.#resolveClosed();
  }

  close(): void {
    this.#shutDown(null);
  }

  reset(): void {
    this.#shutDown(new TransportError("CONNECTION_LOST", "Cannot read: connection reset by peer"));
  }

  #shutDown(peerError: TransportError | null): void {
    if (this.#closedLocally) return;
    this.#closedLocally = true;
    this.#inbox.clear();
    this.#inboxBytes = 0;
    if (!this.#writeClosed || peerError) this.#peer.#endInbox(peerError);
    this.#writeClosed = true;
    this.#wakeReader();
    this.#notifyDrained();
    this.#peer.#notifyDrained();
    this.#resolveClosed();
  }

  #deliver(chunk: Bytes): void {
    if (this.#closedLocally) return;
    const reader = this.#reader;
    if (reader) {
      this.#reader = null;
      reader.resolve(chunk);
    } else {
      this.#inbox.push(chunk);
      this.#inboxBytes += chunk.byteLength;
    }
  }

  #endInbox(error: TransportError | null): void {
    if (this.#closedLocally) return;
    this.#inboxEnded = true;
    this.#inboxError ??= error;
    this.#wakeReader();
  }

  #wakeReader(): void {
    const reader = this.#reader;
    if (reader === null || this.#inbox.length > 0) return;
    if (this.#closedLocally) reader.resolve(null);
    else if (this.#inboxError) reader.reject(this.#inboxError);
    else if (this.#inboxEnded) {
      reader.resolve(null);
      this.#eofRead = true;
      if (this.#writeClosed) this.#resolveClosed();
    } else return;
    this.#reader = null;
  }

  #notifyDrained(): void {
    if (this.bufferedAmount !== 0 && !this.#closedLocally) return;
    for (const resolve of this.#drainWaiters.splice(0)) resolve();
  }
}
