/**
 * The reconnection loop both shapes share: attempt, classify what ended
 * the attempt or the connection, wait, attempt again, until the retry
 * table says stop, the attempts run out, the caller stops it or its
 * signal aborts.
 *
 * It is an async generator of open connections: the consumer gets each
 * open link, uses it, and asks for the next one once it ended. It owns one
 * timer (the wait between attempts), cleared when it stops.
 *
 * @module
 */

import { type Backoff, backoffDelay } from "./backoff.ts";
import { classify, type Disconnect, type RetryDecision, type RetryRule } from "./policy.ts";

/** One connection attempt, as the shapes open it. */
export interface Link {
  /** Resolves with `null` once open, or with what made the attempt fail. */
  readonly opened: Promise<Disconnect | null>;
  /** Resolves with what ended the connection, once it opened and ended. */
  readonly ended: Promise<Disconnect>;
  /** Closes the attempt or the connection. */
  close(code?: number, reason?: string): void;
}

/** What the engine reports before each attempt. */
export interface AttemptRecord {
  /**
   * The attempt's number, from 1, counted since the start or since the last
   * connection that stayed up `resetAfter`.
   */
  readonly attempt: number;
  /** Milliseconds waited before it (0 for the very first attempt). */
  readonly delay: number;
  /** What ended the previous attempt or connection, `null` for the very first attempt. */
  readonly cause: Disconnect | null;
  /** The row of the retry table that allowed this attempt, `null` for the very first. */
  readonly rule: RetryRule | null;
}

/** Asked after the retry table, to override its decision. */
export type ShouldRetry = (disconnect: Disconnect, decision: RetryDecision) => boolean;

/** What {@linkcode ReconnectError.code} says. */
export type ReconnectErrorCode =
  /** The retry table (or `shouldRetry`) said stop. */
  | "NOT_RETRIED"
  /** `maxAttempts` attempts in a row failed. */
  | "MAX_ATTEMPTS";

/** The client gave up reconnecting. */
export class ReconnectError extends Error {
  /** A stable string saying why it gave up. */
  readonly code: ReconnectErrorCode;
  /** The row of the retry table that matched the last failure. */
  readonly rule: RetryRule;
  /** The number of the last attempt. */
  readonly attempt: number;
  /** What ended the last attempt or connection (its `error` is also this error's `cause`). */
  readonly disconnect: Disconnect;

  /**
   * Creates the error.
   *
   * @param code Why it gave up.
   * @param message "Cannot reconnect: <detail>".
   * @param rule The rule that matched the last failure.
   * @param attempt The last attempt's number.
   * @param disconnect The last failure.
   */
  constructor(
    code: ReconnectErrorCode,
    message: string,
    rule: RetryRule,
    attempt: number,
    disconnect: Disconnect,
  ) {
    super(message, disconnect.error === null ? undefined : { cause: disconnect.error });
    this.name = "ReconnectError";
    this.code = code;
    this.rule = rule;
    this.attempt = attempt;
    this.disconnect = disconnect;
  }
}

/** Timer functions; the engine's own, replaceable in tests to count live timers. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const GLOBAL_TIMERS: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Options of {@linkcode Reconnector}. */
export interface ReconnectorOptions<L extends Link> {
  /** Opens attempt number `attempt`; may throw or reject (classified as a local error). */
  readonly dial: (attempt: number) => L | Promise<L>;
  /** Delays, limits, random source and clock. */
  readonly backoff: Backoff;
  /** Overrides the retry table. */
  readonly shouldRetry?: ShouldRetry | undefined;
  /** Stops everything; the generator then throws the abort reason. */
  readonly signal?: AbortSignal | undefined;
  /** Called before each attempt (before its wait). */
  readonly onAttempt?: ((record: AttemptRecord) => void) | undefined;
  /** Called when the signal aborts, to close the current link its own way. */
  readonly onAbort?: ((reason: unknown) => void) | undefined;
  /** For tests. */
  readonly timers?: Timers | undefined;
}

/** An open connection, as {@linkcode Reconnector.connections} yields it. */
export interface Opened<L extends Link> {
  readonly link: L;
  /** The number of the attempt that opened it. */
  readonly attempt: number;
}

function describe(disconnect: Disconnect): string {
  const error = disconnect.error;
  if (error instanceof Error) return error.message;
  if (error !== null && error !== undefined) return String(error);
  return `the server closed the connection with ${disconnect.closeCode}${
    disconnect.reason === "" ? "" : ` (${disconnect.reason})`
  }`;
}

/**
 * Runs the loop. Create one per client; iterate
 * {@linkcode Reconnector.connections} once.
 */
export class Reconnector<L extends Link> {
  #options: ReconnectorOptions<L>;
  #timers: Timers;
  #timer: unknown = undefined;
  #wake: (() => void) | null = null;
  #stopped = false;
  #aborted = false;
  #current: L | null = null;
  /** The link `stop()` closed, so that it is not closed twice. */
  #closedLink: L | null = null;

  /**
   * Creates the engine; nothing happens until the first `next()`.
   *
   * @param options What to dial and how to wait.
   */
  constructor(options: ReconnectorOptions<L>) {
    this.#options = options;
    this.#timers = options.timers ?? GLOBAL_TIMERS;
  }

  /** Whether {@linkcode Reconnector.stop} was called or the signal aborted. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** The attempt in progress or the open connection, if any. */
  get current(): L | null {
    return this.#current;
  }

  /**
   * Stops: no attempt follows, the wait (if any) ends now, and the current
   * attempt or connection is closed with `code` and `reason`.
   *
   * @param code The close code for an open connection.
   * @param reason The close reason.
   */
  stop(code?: number, reason?: string): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#clearTimer();
    this.#closedLink = this.#current;
    this.#current?.close(code, reason);
  }

  #onAbort = (): void => {
    if (this.#stopped) return;
    this.#aborted = true;
    this.#stopped = true;
    this.#clearTimer();
    this.#options.onAbort?.(this.#options.signal!.reason);
  };

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = this.#timers.setTimeout(() => {
        this.#timer = undefined;
        this.#wake = null;
        resolve();
      }, ms);
    });
  }

  #decide(disconnect: Disconnect): RetryDecision {
    const decision = classify(disconnect, this.#options.backoff.now());
    const shouldRetry = this.#options.shouldRetry;
    if (shouldRetry === undefined) return decision;
    return { ...decision, retry: shouldRetry(disconnect, decision) === true };
  }

  async #attempt(attempt: number): Promise<Disconnect | null> {
    try {
      const link = await this.#options.dial(attempt);
      this.#current = link;
      if (this.#stopped) {
        this.#closedLink = link;
        link.close();
      }
      return await link.opened;
    } catch (error) {
      return { phase: "connecting", closeCode: 1006, reason: "", wasClean: false, error };
    }
  }

  /**
   * The loop: yields each open connection; the next `next()` waits for it
   * to end, then reconnects or finishes.
   *
   * @returns Finishes when stopped; throws a {@linkcode ReconnectError}
   * when it gives up, or the signal's reason when it aborted.
   */
  async *connections(): AsyncGenerator<Opened<L>, void, undefined> {
    const { backoff, signal } = this.#options;
    if (signal?.aborted) throw signal.reason;
    signal?.addEventListener("abort", this.#onAbort, { once: true });
    try {
      let attempt = 0;
      let cause: Disconnect | null = null;
      let decision: RetryDecision | null = null;
      while (!this.#stopped) {
        attempt++;
        const delay = cause === null ? 0 : backoffDelay(backoff, attempt, decision!.retryAfter);
        this.#options.onAttempt?.({ attempt, delay, cause, rule: decision?.rule ?? null });
        if (delay > 0) await this.#sleep(delay);
        if (this.#stopped) break;
        let failure = await this.#attempt(attempt);
        if (this.#stopped) break;
        if (failure === null) {
          const link = this.#current!;
          const openedAt = backoff.now();
          yield { link, attempt };
          failure = await link.ended;
          this.#current = null;
          if (this.#stopped) break;
          if (backoff.now() - openedAt >= backoff.resetAfter) attempt = 0;
        }
        this.#current = null;
        cause = failure;
        decision = this.#decide(failure);
        if (!decision.retry) {
          throw new ReconnectError(
            "NOT_RETRIED",
            `Cannot reconnect: ${describe(failure)} (not retried: ${decision.rule})`,
            decision.rule,
            attempt,
            failure,
          );
        }
        if (attempt >= backoff.maxAttempts) {
          throw new ReconnectError(
            "MAX_ATTEMPTS",
            `Cannot reconnect: ${attempt} attempts failed, the last with: ${describe(failure)}`,
            decision.rule,
            attempt,
            failure,
          );
        }
      }
      if (this.#aborted) throw signal!.reason;
    } finally {
      signal?.removeEventListener("abort", this.#onAbort);
      this.#clearTimer();
      this.#stopped = true;
      if (this.#current !== null && this.#current !== this.#closedLink) this.#current.close();
      this.#current = null;
    }
  }
}
