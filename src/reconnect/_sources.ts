/**
 * What both reconnecting shapes share: the options beyond the backoff, and
 * values that may be given as (async) functions evaluated on every attempt.
 *
 * @module
 */

import type { HandshakeHeaders } from "../protocol/mod.ts";
import type { BackoffOptions } from "./backoff.ts";
import type { AttemptRecord, ShouldRetry } from "./engine.ts";
import type { OutboxOptions } from "./outbox.ts";

/** A value, or a function returning it (or a promise of it), called on every attempt. */
export type Source<T> = T | (() => T | PromiseLike<T>);

/** Options of both reconnecting shapes, on top of the connection's own options. */
export interface ReconnectOptions extends BackoffOptions {
  /**
   * Request headers, or a function called on every attempt (e.g. to put a
   * fresh token in `Authorization`).
   */
  readonly headers?: Source<HandshakeHeaders>;
  /** Subprotocols to offer, or a function called on every attempt. */
  readonly protocols?: Source<string | readonly string[]>;
  /**
   * Messages sent while no connection is open are held here and flushed in
   * order after the next open; `false` refuses them at once.
   * @default { maxMessages: 1024, maxBytes: 1048576 }
   */
  readonly outbox?: OutboxOptions | false;
  /**
   * Overrides the retry table: receives what ended the attempt or the
   * connection and the table's decision, returns whether to retry. Not
   * asked after `close()` or an abort.
   */
  readonly shouldRetry?: ShouldRetry;
  /** Stops reconnecting and closes the connection (1001 when open). */
  readonly signal?: AbortSignal;
  /** Called before every attempt with its number, delay and cause. */
  readonly onAttempt?: (record: AttemptRecord) => void;
}

/** The option names of {@linkcode ReconnectOptions} that the connection itself does not take. */
export const RECONNECT_OPTION_NAMES: readonly string[] = [
  "minDelay",
  "maxDelay",
  "factor",
  "maxAttempts",
  "resetAfter",
  "maxRetryAfter",
  "random",
  "now",
  "headers",
  "protocols",
  "outbox",
  "shouldRetry",
  "signal",
  "onAttempt",
];

/**
 * Removes the reconnecting options, leaving those of each connection.
 *
 * @param options All options.
 * @returns The connection's options.
 */
export function connectionOptions<T extends object>(options: T): Partial<T> {
  const rest: Record<string, unknown> = { ...options } as Record<string, unknown>;
  for (const name of RECONNECT_OPTION_NAMES) delete rest[name];
  return rest as Partial<T>;
}

/**
 * Evaluates a {@linkcode Source}.
 *
 * @param source The value or function.
 * @returns The value.
 */
export async function resolveSource<T>(source: Source<T>): Promise<T> {
  return typeof source === "function" ? await (source as () => T | PromiseLike<T>)() : source;
}

/**
 * Checks that a {@linkcode Source} option is a value or a function.
 *
 * @param owner The class or function, for the message.
 * @param name The option.
 * @param value Its value.
 * @param allowed What a plain value may be (`typeof` names).
 * @throws {TypeError} Otherwise.
 */
export function checkSource(
  owner: string,
  name: string,
  value: unknown,
  allowed: readonly string[],
): void {
  if (value === undefined || typeof value === "function") return;
  if (allowed.includes(typeof value) && value !== null) return;
  throw new TypeError(
    `Cannot create ${owner}: ${name} must be ${allowed.join(" or ")} or a function, got ${
      value === null ? "null" : typeof value
    }`,
  );
}
