/**
 * When to try again: exponential backoff with full jitter between a
 * minimum and a growing ceiling, an optional attempt limit, and the
 * server's `Retry-After` on top. Pure: the random source and the clock are
 * parameters.
 *
 * Full jitter (each delay drawn uniformly up to the ceiling, as in AWS's
 * "Exponential Backoff and Jitter") spreads the clients that lost the same
 * server at the same moment, so its restart is not met by all of them at
 * once. The draw starts at `minDelay` instead of 0, so no client retries
 * in a tight loop.
 *
 * @module
 */

import { MAX_TIMER } from "../keepalive.ts";

/** The backoff options, shared by both reconnecting shapes. */
export interface BackoffOptions {
  /**
   * Milliseconds: the shortest wait before a retry. 0 retries at once
   * (for tests).
   * @default 1000
   */
  readonly minDelay?: number;
  /**
   * Milliseconds: the ceiling of the jitter never grows past this.
   * @default 30000
   */
  readonly maxDelay?: number;
  /**
   * How much the ceiling grows per failed attempt: attempt n waits a
   * uniform draw in [minDelay, min(maxDelay, minDelay × factor^n)].
   * @default 2
   */
  readonly factor?: number;
  /**
   * Attempts in a row (since the start or since the last connection that
   * stayed up `resetAfter`) before giving up; `Infinity` never gives up.
   * @default Infinity
   */
  readonly maxAttempts?: number;
  /**
   * Milliseconds a connection must stay open for the attempt counter (and
   * so the backoff) to start over; a connection that drops sooner counts
   * as one more failed attempt.
   * @default 10000
   */
  readonly resetAfter?: number;
  /**
   * Milliseconds: the longest `Retry-After` honoured (longer ones are cut
   * to it), so a server cannot park a client for days.
   * @default 600000
   */
  readonly maxRetryAfter?: number;
  /** Returns a number in [0, 1); for tests. @default a `crypto.getRandomValues` draw */
  readonly random?: () => number;
  /** Returns the time in milliseconds since the epoch; for tests. @default `Date.now` */
  readonly now?: () => number;
}

/** {@linkcode BackoffOptions} with every default applied and every value checked. */
export interface Backoff {
  /** See {@linkcode BackoffOptions.minDelay}. */
  readonly minDelay: number;
  /** See {@linkcode BackoffOptions.maxDelay}. */
  readonly maxDelay: number;
  /** See {@linkcode BackoffOptions.factor}. */
  readonly factor: number;
  /** See {@linkcode BackoffOptions.maxAttempts}. */
  readonly maxAttempts: number;
  /** See {@linkcode BackoffOptions.resetAfter}. */
  readonly resetAfter: number;
  /** See {@linkcode BackoffOptions.maxRetryAfter}. */
  readonly maxRetryAfter: number;
  /** See {@linkcode BackoffOptions.random}. */
  readonly random: () => number;
  /** See {@linkcode BackoffOptions.now}. */
  readonly now: () => number;
}

/** The defaults of {@linkcode BackoffOptions}. */
export const DEFAULT_BACKOFF = {
  minDelay: 1000,
  maxDelay: 30_000,
  factor: 2,
  maxAttempts: Infinity,
  resetAfter: 10_000,
  maxRetryAfter: 600_000,
} as const;

/** A uniform draw in [0, 1) from the secure source (53 bits). */
export function secureRandom(): number {
  const words = crypto.getRandomValues(new Uint32Array(2));
  return (words[0]! * 2 ** 21 + (words[1]! >>> 11)) / 2 ** 53;
}

function milliseconds(owner: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= 0) || value > MAX_TIMER) {
    throw new RangeError(
      `Cannot create ${owner}: ${name} must be a number of milliseconds in 0-${MAX_TIMER}, got ${
        String(value)
      }`,
    );
  }
  return value;
}

function callable<T>(owner: string, name: string, value: unknown, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== "function") {
    throw new TypeError(`Cannot create ${owner}: ${name} must be a function, got ${typeof value}`);
  }
  return value as T;
}

/**
 * Applies the defaults and checks every option.
 *
 * @param owner The class or function being created, for the messages.
 * @param options The options given.
 * @returns The complete backoff.
 * @throws {RangeError} For a delay that is not in 0-(2^31 - 1) ms, a
 * `maxDelay` below `minDelay`, a `factor` below 1, or a `maxAttempts` that
 * is not an integer >= 1 or `Infinity`.
 * @throws {TypeError} When `random` or `now` is not a function.
 */
export function resolveBackoff(owner: string, options: BackoffOptions = {}): Backoff {
  const minDelay = milliseconds(owner, "minDelay", options.minDelay, DEFAULT_BACKOFF.minDelay);
  const maxDelay = milliseconds(
    owner,
    "maxDelay",
    options.maxDelay,
    Math.max(minDelay, DEFAULT_BACKOFF.maxDelay),
  );
  if (maxDelay < minDelay) {
    throw new RangeError(
      `Cannot create ${owner}: maxDelay (${maxDelay}) must not be below minDelay (${minDelay})`,
    );
  }
  const factor = options.factor ?? DEFAULT_BACKOFF.factor;
  if (typeof factor !== "number" || !Number.isFinite(factor) || factor < 1) {
    throw new RangeError(
      `Cannot create ${owner}: factor must be a finite number >= 1, got ${String(factor)}`,
    );
  }
  const maxAttempts = options.maxAttempts ?? DEFAULT_BACKOFF.maxAttempts;
  if (
    typeof maxAttempts !== "number" ||
    !(maxAttempts === Infinity || (Number.isInteger(maxAttempts) && maxAttempts >= 1))
  ) {
    throw new RangeError(
      `Cannot create ${owner}: maxAttempts must be an integer >= 1 or Infinity, got ${
        String(maxAttempts)
      }`,
    );
  }
  return {
    minDelay,
    maxDelay,
    factor,
    maxAttempts,
    resetAfter: milliseconds(owner, "resetAfter", options.resetAfter, DEFAULT_BACKOFF.resetAfter),
    maxRetryAfter: milliseconds(
      owner,
      "maxRetryAfter",
      options.maxRetryAfter,
      DEFAULT_BACKOFF.maxRetryAfter,
    ),
    random: callable(owner, "random", options.random, secureRandom),
    now: callable(owner, "now", options.now, Date.now),
  };
}

/**
 * The wait before a retry.
 *
 * @param backoff The resolved options.
 * @param attempt The attempt about to be made, counted from 1 since the
 * last reset (the first retry after a drop is attempt 1).
 * @param retryAfter Milliseconds the server asked for, or `null`.
 * @returns Milliseconds: a uniform draw in [minDelay, min(maxDelay,
 * minDelay × factor^attempt)], raised to `retryAfter` (cut to
 * `maxRetryAfter`) when the server asked for longer.
 *
 * @example
 * ```ts
 * import { backoffDelay, resolveBackoff } from "./backoff.ts";
 * import assert from "node:assert/strict";
 *
 * const top = resolveBackoff("example", { minDelay: 100, maxDelay: 1000, random: () => 0.999999 });
 * assert.equal(Math.round(backoffDelay(top, 1, null)), 200);
 * assert.equal(Math.round(backoffDelay(top, 5, null)), 1000);
 * assert.equal(backoffDelay(top, 1, 5000), 5000);
 * ```
 */
export function backoffDelay(backoff: Backoff, attempt: number, retryAfter: number | null): number {
  const ceiling = Math.min(backoff.maxDelay, backoff.minDelay * backoff.factor ** attempt);
  const draw = backoff.random();
  const jittered = backoff.minDelay + draw * (ceiling - backoff.minDelay);
  if (retryAfter === null) return jittered;
  return Math.max(jittered, Math.min(retryAfter, backoff.maxRetryAfter));
}
