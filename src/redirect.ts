/**
 * Following HTTP redirects on the opening handshake (opt-in
 * `followRedirects`): which responses are redirects, where they lead, and
 * which ones are refused (hop limit, `wss:` to `ws:` downgrade, a bad
 * `Location`). RFC 6455 §4.1: "the client MAY follow" 3xx redirects.
 *
 * @module
 */

import { HandshakeError } from "./protocol/errors.ts";
import { getHeader } from "./protocol/http/http_response.ts";
import { parseWebSocketUrl, type WebSocketUrl } from "./protocol/http/url.ts";

/** The redirect options of `WebSocket` and `WebSocketStream`. */
export interface RedirectOptions {
  /**
   * Follows 301, 302, 303, 307 and 308 answers to the opening handshake:
   * `true` for up to 5 hops, or the largest number of hops. A relative
   * `Location` is resolved against the current URL; `http:`/`https:` map
   * to `ws:`/`wss:`. When the origin (scheme, host, port) changes, the
   * user's `headers` (so `Authorization` and `Cookie`) are not sent again.
   * The handshake timeout covers every hop. When off, a redirect answer is
   * the `HandshakeError`, as before.
   * @default false
   */
  readonly followRedirects?: boolean | number;
  /**
   * Allows a redirect from `wss:` to `ws:`, which drops encryption.
   * @default false
   */
  readonly allowInsecureRedirects?: boolean;
}

/** The decided policy; `null` when redirects are not followed. */
export interface RedirectPolicy {
  /** The largest number of hops. */
  readonly maxRedirects: number;
  /** Whether `wss:` → `ws:` is allowed. */
  readonly allowInsecure: boolean;
}

/** Hops for `followRedirects: true`: as browsers' fetch caps at 20, curl at 50; WebSocket servers need one or two. */
export const DEFAULT_MAX_REDIRECTS = 5;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Validates the redirect options.
 *
 * @example
 * ```ts
 * import { redirectPolicy } from "./redirect.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(redirectPolicy({}), null);
 * assert.deepEqual(redirectPolicy({ followRedirects: true }), { maxRedirects: 5, allowInsecure: false });
 * assert.throws(() => redirectPolicy({ followRedirects: -1 }), RangeError);
 * ```
 *
 * @param options The options.
 * @returns The policy, or `null` when off.
 * @throws {RangeError} For a hop count that is not an integer in 0-100.
 * @throws {TypeError} For values of the wrong type.
 */
export function redirectPolicy(options: RedirectOptions): RedirectPolicy | null {
  const { followRedirects, allowInsecureRedirects } = options;
  if (allowInsecureRedirects !== undefined && typeof allowInsecureRedirects !== "boolean") {
    throw new TypeError("Cannot create WebSocket: allowInsecureRedirects must be a boolean");
  }
  if (followRedirects === undefined || followRedirects === false) return null;
  let maxRedirects: number;
  if (followRedirects === true) {
    maxRedirects = DEFAULT_MAX_REDIRECTS;
  } else if (typeof followRedirects === "number") {
    if (!Number.isInteger(followRedirects) || followRedirects < 0 || followRedirects > 100) {
      throw new RangeError(
        `Cannot create WebSocket: followRedirects must be a boolean or an integer in 0-100, got ${followRedirects}`,
      );
    }
    maxRedirects = followRedirects;
  } else {
    throw new TypeError("Cannot create WebSocket: followRedirects must be a boolean or a number");
  }
  if (maxRedirects === 0) return null;
  return { maxRedirects, allowInsecure: allowInsecureRedirects === true };
}

/** What to do with a failed handshake. */
export type RedirectDecision =
  /** Not a redirect: report the error as it is. */
  | { readonly kind: "none" }
  /** Follow it to `url`; `sameOrigin` tells whether the user's headers go along. */
  | { readonly kind: "follow"; readonly url: string; readonly sameOrigin: boolean }
  /** A redirect that is not followed; `why` completes the error message. */
  | { readonly kind: "refuse"; readonly why: string };

/**
 * Decides what to do with a handshake error under a policy.
 *
 * @example A relative Location
 * ```ts
 * import { nextHop } from "./redirect.ts";
 * import { HandshakeError } from "./protocol/errors.ts";
 * import { parseWebSocketUrl } from "./protocol/http/url.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new HandshakeError("UNEXPECTED_STATUS", "Cannot open connection: 302", {
 *   status: 302, statusText: "Found", headers: [["location", "/v2"]], body: new Uint8Array(),
 * });
 * const decision = nextHop(parseWebSocketUrl("wss://example.com/v1"), error, { maxRedirects: 5, allowInsecure: false }, 0);
 * assert.deepEqual(decision, { kind: "follow", url: "wss://example.com/v2", sameOrigin: true });
 * ```
 *
 * @param current The URL that was asked.
 * @param error The close event's error.
 * @param policy The policy.
 * @param hops Redirects followed so far.
 * @returns The decision.
 */
export function nextHop(
  current: WebSocketUrl,
  error: unknown,
  policy: RedirectPolicy,
  hops: number,
): RedirectDecision {
  if (!(error instanceof HandshakeError) || error.code !== "UNEXPECTED_STATUS") {
    return { kind: "none" };
  }
  if (!REDIRECT_STATUSES.has(error.status)) return { kind: "none" };
  const location = getHeader(error.headers, "location");
  if (location === null || location.trim() === "") {
    return { kind: "refuse", why: "the redirect has no Location" };
  }
  if (hops >= policy.maxRedirects) {
    return { kind: "refuse", why: `more than ${policy.maxRedirects} redirects` };
  }
  let next: WebSocketUrl;
  try {
    // RFC 9110 §10.2.2: a relative reference is resolved against the
    // request's URL; a fragment means nothing to WebSocket (RFC 6455 §3).
    next = parseWebSocketUrl(location.trim().replace(/#.*$/, ""), current.href);
  } catch {
    return {
      kind: "refuse",
      why: `the Location ${JSON.stringify(location)} is not a WebSocket URL`,
    };
  }
  if (current.secure && !next.secure && !policy.allowInsecure) {
    return {
      kind: "refuse",
      why: `the redirect to ${next.href} would drop TLS (set allowInsecureRedirects to allow it)`,
    };
  }
  const sameOrigin = current.secure === next.secure && current.hostname === next.hostname &&
    current.port === next.port;
  return { kind: "follow", url: next.href, sameOrigin };
}

/**
 * The error to report when a chain of redirects ends in a failure: the
 * same code and response, the chain in `redirects`, and `why` in the message.
 *
 * @param error The final error.
 * @param chain The URLs asked before the final one.
 * @param why Why the last redirect was not followed, if it was one.
 * @returns The error to report.
 */
export function withChain(
  error: HandshakeError,
  chain: readonly string[],
  why?: string,
): HandshakeError {
  const via = chain.length === 0 ? "" : ` (redirected from ${chain.join(" -> ")})`;
  const reason = why === undefined ? "" : `; not followed: ${why}`;
  return new HandshakeError(error.code, `${error.message}${reason}${via}`, {
    status: error.status,
    statusText: error.statusText,
    headers: error.headers,
    body: error.body,
    redirects: chain,
  });
}
