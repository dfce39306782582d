/**
 * Pings: `ping()` with its round-trip time, and the keepalive that pings
 * every `pingInterval` and fails the connection when no pong comes back
 * within `pongTimeout` (as python-websockets' `ping_interval` and
 * `ping_timeout`).
 *
 * A pong acknowledges the ping with the same payload and every ping sent
 * before it (RFC 6455 §5.5.3: a peer "MAY elect to send a Pong frame for
 * only the most recently processed Ping frame").
 *
 * @module
 */

/** Options of {@linkcode Heartbeat}. */
export interface HeartbeatOptions {
  /** Milliseconds between keepalive pings; 0 turns the keepalive off. */
  readonly interval: number;
  /** Milliseconds to wait for a keepalive pong. */
  readonly timeout: number;
  /** Sends a ping with this payload; throws when the connection cannot. */
  readonly sendPing: (data: Uint8Array) => void;
  /** Called once when a keepalive pong is late. */
  readonly onTimeout: (error: DOMException) => void;
  /**
   * Whether incoming frames are being read. When not (a paused
   * `WebSocketStream` reader), a late pong cannot be seen, so the deadline
   * is extended instead of failing the connection.
   */
  readonly isReading?: () => boolean;
}

/** Options of {@linkcode Heartbeat.ping}. */
export interface PingOptions {
  /**
   * Milliseconds to wait for the pong before rejecting with a `TimeoutError`.
   * @default the connection's `pongTimeout`
   */
  readonly timeout?: number;
  /** Rejects the wait with the signal's reason when aborted. */
  readonly signal?: AbortSignal;
}

/** The longest delay timers keep exactly (2^31 - 1 ms); longer ones fire at once. */
export const MAX_TIMER = 2 ** 31 - 1;

interface PendingPing {
  readonly sentAt: number;
  resolve(rtt: number): void;
  reject(error: unknown): void;
}

function keyOf(data: Uint8Array): string {
  let key = "";
  for (const byte of data) key += byte.toString(16).padStart(2, "0");
  return key;
}

/**
 * Tracks pings in flight and runs the keepalive timer. Owns at most two
 * timers, both cleared by {@linkcode Heartbeat.stop}.
 */
export class Heartbeat {
  #options: HeartbeatOptions;
  /** Pings in flight by payload; made at the first ping (most connections never have one). */
  #pendingPings: Map<string, PendingPing> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #counter = 0;

  /**
   * Creates the heartbeat; it starts with {@linkcode Heartbeat.start}.
   *
   * @param options Timing and the connection hooks.
   */
  constructor(options: HeartbeatOptions) {
    this.#options = options;
  }

  /** Starts the keepalive (when its interval is not 0). */
  start(): void {
    if (this.#options.interval > 0 && !this.#stopped) {
      this.#schedule(this.#options.interval, () => this.#keepalive());
    }
  }

  #schedule(delay: number, callback: () => void): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      callback();
    }, delay);
  }

  /** The pings in flight, made when first needed. */
  get #pending(): Map<string, PendingPing> {
    return this.#pendingPings ??= new Map();
  }

  #keepalive(): void {
    if (this.#stopped) return;
    const before = this.#pending.size;
    const sent = this.ping(undefined, { timeout: Infinity });
    sent.then(() => this.start(), () => {});
    // No ping went out (the connection is closing): no deadline to keep.
    if (this.#pending.size === before) return;
    this.#schedule(this.#options.timeout, () => this.#deadline(sent));
  }

  #deadline(sent: Promise<number>): void {
    if (this.#stopped) return;
    if (this.#options.isReading !== undefined && !this.#options.isReading()) {
      // Nobody reads, so the pong cannot be seen yet: wait another period.
      this.#schedule(this.#options.timeout, () => this.#deadline(sent));
      return;
    }
    this.#options.onTimeout(
      new DOMException(
        `Cannot keep connection alive: no pong within ${this.#options.timeout} ms`,
        "TimeoutError",
      ),
    );
  }

  /**
   * Sends a ping and resolves with the round-trip time in milliseconds when
   * its pong arrives.
   *
   * @param data At most 125 bytes; a unique 4-byte payload by default.
   * @param options A timeout and an abort signal for the wait.
   * @returns The round-trip time.
   */
  ping(data?: Uint8Array, options: PingOptions = {}): Promise<number> {
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    const timeout = options.timeout ?? this.#options.timeout;
    if (
      typeof timeout !== "number" || Number.isNaN(timeout) || timeout < 0 ||
      (Number.isFinite(timeout) && timeout > MAX_TIMER)
    ) {
      return Promise.reject(
        new RangeError(
          `Cannot ping: timeout must be a number of milliseconds in 0-${MAX_TIMER} or Infinity, got ${timeout}`,
        ),
      );
    }
    if (this.#stopped) {
      return Promise.reject(
        new DOMException("Cannot ping: the connection is closed", "InvalidStateError"),
      );
    }
    if (data === undefined) {
      const n = ++this.#counter;
      data = new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
    }
    const key = keyOf(data);
    if (this.#pending.has(key)) {
      return Promise.reject(
        new DOMException("Cannot ping: a ping with this payload is in flight", "InvalidStateError"),
      );
    }
    try {
      this.#options.sendPing(data);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<number>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const signal = options.signal;
      const cleanup = () => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const onAbort = () => {
        this.#pending.delete(key);
        cleanup();
        reject(signal!.reason);
      };
      this.#pending.set(key, {
        sentAt: performance.now(),
        resolve: (rtt) => {
          cleanup();
          resolve(rtt);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      });
      signal?.addEventListener("abort", onAbort, { once: true });
      if (Number.isFinite(timeout)) {
        timer = setTimeout(() => {
          this.#pending.delete(key);
          cleanup();
          reject(new DOMException(`Cannot ping: no pong within ${timeout} ms`, "TimeoutError"));
        }, timeout);
      }
    });
  }

  /**
   * Handles a received pong: settles its ping and every earlier one.
   *
   * @param data The pong's payload.
   */
  receivePong(data: Uint8Array): void {
    // An unsolicited pong (or one before any ping) makes nothing.
    if (this.#pendingPings === null || this.#pendingPings.size === 0) return;
    const key = keyOf(data);
    if (!this.#pending.has(key)) return;
    const now = performance.now();
    for (const [pendingKey, ping] of this.#pending) {
      this.#pending.delete(pendingKey);
      ping.resolve(now - ping.sentAt);
      if (pendingKey === key) break;
    }
  }

  /**
   * Stops the keepalive and rejects every ping in flight.
   *
   * @param reason Why (the connection closed); a function is called only
   * when a ping is in flight, so the common close allocates no error.
   */
  stop(reason: unknown | (() => unknown)): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pendingPings === null || this.#pendingPings.size === 0) return;
    const error = typeof reason === "function" ? reason() : reason;
    for (const ping of this.#pending.values()) ping.reject(error);
    this.#pending.clear();
  }
}
