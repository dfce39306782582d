/**
 * The error of a proxy hop: the proxy refused the tunnel, asked for
 * credentials it did not accept, or did not speak its protocol.
 *
 * @module
 */

import type { HeaderList } from "../protocol/errors.ts";

/** Stable codes of {@linkcode ProxyError}. */
export type ProxyErrorCode =
  /** An HTTP proxy answered `CONNECT` with a status other than 2xx (RFC 9110 §9.3.6); see `status`. */
  | "CONNECT_REFUSED"
  /** A SOCKS5 proxy accepts none of the offered authentication methods (RFC 1928 §3, X'FF'). */
  | "SOCKS_NO_ACCEPTABLE_METHOD"
  /** A SOCKS5 proxy refused the username and password (RFC 1929 §2). */
  | "SOCKS_AUTH_FAILED"
  /** A SOCKS5 proxy answered `CONNECT` with a failure reply (RFC 1928 §6); see `replyCode`. */
  | "SOCKS_REFUSED"
  /** The proxy's answer does not follow its protocol. */
  | "MALFORMED_REPLY"
  /** The proxy's answer is larger than the limit. */
  | "REPLY_TOO_LARGE"
  /** The proxy closed the connection before the tunnel was open. */
  | "UNEXPECTED_EOF";

/**
 * A proxy did not open the tunnel. The message names the hop
 * ("through proxy http://proxy.example:3128"); credentials are never shown.
 *
 * @example Reading a refused CONNECT
 * ```ts
 * import { ProxyError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new ProxyError("CONNECT_REFUSED", "Cannot open tunnel: refused", {
 *   proxy: "http://proxy.example:3128", status: 403, statusText: "Forbidden",
 * });
 * assert.equal(error.status, 403);
 * assert.equal(error.replyCode, 0);
 * ```
 */
export class ProxyError extends Error {
  /** A stable string naming the failure. */
  readonly code: ProxyErrorCode;
  /** The proxy URL, without credentials ("" when not known). */
  readonly proxy: string;
  /** The HTTP status of a refused `CONNECT`, else 0. */
  readonly status: number;
  /** The HTTP reason phrase, else "". */
  readonly statusText: string;
  /** The HTTP response headers (lower-cased names), else empty. */
  readonly headers: HeaderList;
  /** The SOCKS5 reply code (RFC 1928 §6) of a refusal, else 0. */
  readonly replyCode: number;

  /**
   * Creates the error.
   *
   * @param code The failure.
   * @param message "Cannot open tunnel: <detail>".
   * @param details The proxy and what it answered.
   */
  constructor(
    code: ProxyErrorCode,
    message: string,
    details: {
      proxy?: string;
      status?: number;
      statusText?: string;
      headers?: HeaderList;
      replyCode?: number;
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "ProxyError";
    this.code = code;
    this.proxy = details.proxy ?? "";
    this.status = details.status ?? 0;
    this.statusText = details.statusText ?? "";
    this.headers = details.headers ?? [];
    this.replyCode = details.replyCode ?? 0;
  }
}
