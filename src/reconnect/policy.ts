/**
 * Which failures are worth another attempt: the retry table, as data, and
 * the pure function that applies it. No timers, no sockets: the engine
 * hands in what ended a connection and gets a decision back.
 *
 * The table follows what a long-lived client needs: a failure that a later
 * attempt can fix (the server restarting, overloaded, unreachable for a
 * while) is retried; one that the same request would meet again (refused
 * credentials, a policy violation, a certificate that does not verify) is
 * not, so a client never hammers a server with a request it has refused.
 *
 * @module
 */

import { HandshakeError, ProtocolError } from "../protocol/mod.ts";
import { TransportError } from "../transport/types.ts";

/** What ended an attempt or a connection, as the engine saw it. */
export interface Disconnect {
  /** `connecting`: the attempt failed before it opened; `open`: an open connection ended. */
  readonly phase: "connecting" | "open";
  /**
   * The close code: the server's close frame, else 1006 (the connection
   * ended without one, or failed locally).
   */
  readonly closeCode: number;
  /** The close reason, "" if none. */
  readonly reason: string;
  /** Whether the closing handshake completed. */
  readonly wasClean: boolean;
  /**
   * What failed, `null` when the server closed with a close frame: a
   * `HandshakeError` (refused or invalid handshake, with `status` and
   * `headers`), a `TransportError`, a `ProtocolError` (with the `closeCode`
   * we sent), a `DOMException` (`TimeoutError` for handshake and keepalive
   * timeouts, `QuotaExceededError`), or what a `url`, `headers` or
   * `protocols` function threw.
   */
  readonly error: unknown;
}

/** The names of the rows of {@linkcode RETRY_TABLE}. */
export type RetryRule =
  | "transport"
  | "timeout"
  | "abnormal-close"
  | "server-close"
  | "server-error"
  | "service-restart"
  | "try-again-later"
  | "status-5xx"
  | "status-408"
  | "status-429"
  | "status-4xx"
  | "status-other"
  | "invalid-handshake"
  | "tls"
  | "protocol-violation"
  | "application-close"
  | "local-error"
  | "user-close"
  | "aborted";

/** One row of {@linkcode RETRY_TABLE}. */
export interface RetryTableRow {
  /** The rule's name, as {@linkcode RetryDecision.rule} reports it. */
  readonly rule: RetryRule;
  /** What matches, in words. */
  readonly when: string;
  /** Whether it is retried (before `shouldRetry` is asked). */
  readonly retry: boolean;
}

/**
 * The retry table, in the order the rules are tried. `docs/reconnect.md`
 * and the README print it; a test checks that they match.
 */
export const RETRY_TABLE: readonly RetryTableRow[] = [
  {
    rule: "user-close",
    when: "`close()` was called (never retried, `shouldRetry` is not asked)",
    retry: false,
  },
  {
    rule: "aborted",
    when: "the `signal` aborted (never retried, `shouldRetry` is not asked)",
    retry: false,
  },
  {
    rule: "tls",
    when: "TLS failure, e.g. the certificate does not verify (`TransportError` `TLS_FAILED`)",
    retry: false,
  },
  {
    rule: "transport",
    when:
      "TCP refused, reset or lost (`TransportError` `CONNECT_FAILED`, `CONNECTION_LOST`), or the server hung up during the handshake (`HandshakeError` `UNEXPECTED_EOF`)",
    retry: true,
  },
  {
    rule: "timeout",
    when: "handshake, connect or keepalive (pong) timeout (`TimeoutError`)",
    retry: true,
  },
  {
    rule: "status-5xx",
    when: "HTTP 5xx instead of 101 (`Retry-After` honoured on 503)",
    retry: true,
  },
  { rule: "status-408", when: "HTTP 408 Request Timeout", retry: true },
  {
    rule: "status-429",
    when: "HTTP 429 Too Many Requests (`Retry-After` honoured)",
    retry: true,
  },
  { rule: "status-4xx", when: "any other HTTP 4xx (401, 403, 404, …)", retry: false },
  {
    rule: "status-other",
    when: "any other unexpected status (1xx, 2xx, 3xx)",
    retry: false,
  },
  {
    rule: "invalid-handshake",
    when: "a 101 that fails validation (`HandshakeError`: accept, subprotocol, extensions, …)",
    retry: false,
  },
  {
    rule: "protocol-violation",
    when:
      "close 1002 (protocol error), 1003 (unsupported data), 1007 (invalid data), 1008 (policy), 1009 (too big), 1010 (extension), sent or received",
    retry: false,
  },
  {
    rule: "abnormal-close",
    when: "close 1006: the connection ended without a close frame",
    retry: true,
  },
  { rule: "server-error", when: "close 1011 (server error)", retry: true },
  { rule: "service-restart", when: "close 1012 (service restart)", retry: true },
  { rule: "try-again-later", when: "close 1013 (try again later)", retry: true },
  {
    rule: "server-close",
    when: "close 1000, 1001, 1005 or 1014 from the server (it ended the session or went away)",
    retry: true,
  },
  {
    rule: "application-close",
    when: "any other close code (1015, 3000-4999: the application's own codes)",
    retry: false,
  },
  {
    rule: "local-error",
    when:
      "anything else: a full send queue (`QuotaExceededError`), an error thrown by a `url`, `headers` or `protocols` function",
    retry: false,
  },
];

/** What {@linkcode classify} decides. */
export interface RetryDecision {
  /** Whether to try again. */
  readonly retry: boolean;
  /** The row of {@linkcode RETRY_TABLE} that matched. */
  readonly rule: RetryRule;
  /**
   * Milliseconds the server asked us to wait (`Retry-After` on a 429 or
   * 503), or `null`.
   */
  readonly retryAfter: number | null;
}

const RETRY_OF: ReadonlyMap<RetryRule, boolean> = new Map(
  RETRY_TABLE.map((row) => [row.rule, row.retry]),
);

function decide(rule: RetryRule, retryAfter: number | null = null): RetryDecision {
  return { retry: RETRY_OF.get(rule)!, rule, retryAfter };
}

/** Close codes that say the peer or we broke the protocol or a policy (RFC 6455 §7.4.1). */
const VIOLATION_CODES: ReadonlySet<number> = new Set([1002, 1003, 1007, 1008, 1009, 1010]);

function ruleOfCloseCode(code: number): RetryRule {
  if (VIOLATION_CODES.has(code)) return "protocol-violation";
  switch (code) {
    case 1006:
      return "abnormal-close";
    case 1011:
      return "server-error";
    case 1012:
      return "service-restart";
    case 1013:
      return "try-again-later";
    case 1000:
    case 1001:
    case 1005:
    case 1014:
      return "server-close";
    default:
      return "application-close";
  }
}

/**
 * Reads a `Retry-After` value (RFC 9110 §10.2.3: `HTTP-date /
 * delay-seconds`).
 *
 * @param value The header's value.
 * @param now The current time, in milliseconds since the epoch (for a date).
 * @returns Milliseconds to wait (0 for a date in the past), or `null` when
 * the value is neither form.
 *
 * @example
 * ```ts
 * import { parseRetryAfter } from "./policy.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseRetryAfter("120", 0), 120_000);
 * assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:28:10 GMT", Date.UTC(2015, 9, 21, 7, 28)), 10_000);
 * assert.equal(parseRetryAfter("soon", 0), null);
 * ```
 */
export function parseRetryAfter(value: string, now: number): number | null {
  const text = value.trim();
  // delay-seconds = 1*DIGIT
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // HTTP-date: IMF-fixdate, or the obsolete forms Date.parse also reads; it must name GMT.
  if (!/GMT$/.test(text)) return null;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

function retryAfterOf(error: HandshakeError, now: number): number | null {
  for (const [name, value] of error.headers) {
    if (name.toLowerCase() === "retry-after") return parseRetryAfter(value, now);
  }
  return null;
}

function ruleOfStatus(error: HandshakeError, now: number): RetryDecision {
  const status = error.status;
  if (status === 429) return decide("status-429", retryAfterOf(error, now));
  if (status === 503) return decide("status-5xx", retryAfterOf(error, now));
  if (status >= 500 && status <= 599) return decide("status-5xx");
  if (status === 408) return decide("status-408");
  if (status >= 400 && status <= 499) return decide("status-4xx");
  return decide("status-other");
}

/**
 * Applies {@linkcode RETRY_TABLE} to what ended a connection or an attempt.
 *
 * @param disconnect What ended it.
 * @param now The current time in milliseconds since the epoch, for a
 * `Retry-After` date.
 * @returns The decision, with the matching rule.
 *
 * @example A refused handshake
 * ```ts
 * import { classify } from "./policy.ts";
 * import { HandshakeError } from "../protocol/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const refused = (status: number) => ({
 *   phase: "connecting" as const,
 *   closeCode: 1006,
 *   reason: "",
 *   wasClean: false,
 *   error: new HandshakeError("UNEXPECTED_STATUS", "Cannot open connection: refused", {
 *     status,
 *     statusText: "",
 *     headers: [["retry-after", "3"]],
 *     body: new Uint8Array(0),
 *   }),
 * });
 * assert.deepEqual(classify(refused(401), 0), { retry: false, rule: "status-4xx", retryAfter: null });
 * assert.deepEqual(classify(refused(503), 0), { retry: true, rule: "status-5xx", retryAfter: 3000 });
 * ```
 */
export function classify(disconnect: Disconnect, now: number): RetryDecision {
  const error = disconnect.error;
  if (error instanceof TransportError) {
    if (error.code === "TLS_FAILED") return decide("tls");
    if (error.code === "CONNECT_FAILED" || error.code === "CONNECTION_LOST") {
      return decide("transport");
    }
    return decide("local-error");
  }
  if (error instanceof HandshakeError) {
    if (error.code === "UNEXPECTED_STATUS") return ruleOfStatus(error, now);
    if (error.code === "UNEXPECTED_EOF") return decide("transport");
    return decide("invalid-handshake");
  }
  if (error instanceof ProtocolError) {
    // The code we sent (1002, 1007, 1009, …), or 1006 for UNEXPECTED_EOF.
    return decide(ruleOfCloseCode(error.closeCode));
  }
  if (error instanceof DOMException && error.name === "TimeoutError") return decide("timeout");
  if (error !== null && error !== undefined) return decide("local-error");
  return decide(ruleOfCloseCode(disconnect.closeCode));
}
