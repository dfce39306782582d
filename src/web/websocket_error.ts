/**
 * `WebSocketError`, the error of the streams API:
 * https://websockets.spec.whatwg.org/#websocket-error-interface
 *
 * @module
 */

import { isApplicationCloseCode, MAX_CLOSE_REASON_BYTES } from "../protocol/frames/close_code.ts";
import { encodeUtf8 } from "../protocol/encoding/utf8.ts";
import { enforceRangeUnsignedShort } from "./_webidl.ts";

/** Init of {@linkcode WebSocketError}. */
export interface WebSocketCloseInfo {
  /** 1000 or 3000-4999 when given by an application. */
  closeCode?: number;
  /** At most 123 UTF-8 bytes. */
  reason?: string;
}

/**
 * A `DOMException` carrying the close code and reason of the connection.
 *
 * @example Reading the close code
 * ```ts
 * import { WebSocketError } from "./websocket_error.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new WebSocketError("gone", { closeCode: 4000, reason: "bye" });
 * assert.equal(error.closeCode, 4000);
 * assert.equal(error.name, "WebSocketError");
 * ```
 */
export class WebSocketError extends DOMException {
  #closeCode: number | null;
  #reason: string;

  /**
   * Creates the error: https://websockets.spec.whatwg.org/#dom-websocketerror-websocketerror
   *
   * @param message A description.
   * @param init The close code and reason.
   * @throws {DOMException} `InvalidAccessError` for a code other than 1000 or
   * 3000-4999, `SyntaxError` for a reason over 123 bytes.
   */
  constructor(message = "", init: WebSocketCloseInfo = {}) {
    super(message, "WebSocketError");
    const { code, reason } = validateCloseInfo(init);
    this.#closeCode = code;
    this.#reason = reason;
  }

  /** The close code, or `null`. */
  get closeCode(): number | null {
    return this.#closeCode;
  }

  /** The close reason, "" when none. */
  get reason(): string {
    return this.#reason;
  }

  /**
   * Creates an error for a connection that closed with any code the
   * protocol reports (1002, 1006, 1009, …), which the constructor refuses.
   *
   * @param message A description.
   * @param closeCode The code.
   * @param reason The reason.
   * @param cause The underlying error.
   * @returns The error.
   */
  static fromClose(
    message: string,
    closeCode: number,
    reason: string,
    cause?: unknown,
  ): WebSocketError {
    const error = new WebSocketError(message);
    error.#closeCode = closeCode;
    error.#reason = reason;
    if (cause !== undefined) {
      Object.defineProperty(error, "cause", { value: cause, configurable: true, writable: true });
    }
    return error;
  }
}

/**
 * Validates a close code and reason given by an application
 * (https://websockets.spec.whatwg.org/#validate-close).
 *
 * @param init The code and reason.
 * @returns The code (1000 when only a reason is given; `null` when neither) and reason.
 * @throws {TypeError} For a code that is not a finite number in 0-65535 (WebIDL `[EnforceRange]`).
 * @throws {DOMException} `InvalidAccessError` or `SyntaxError`.
 */
export function validateCloseInfo(
  init: WebSocketCloseInfo,
): { code: number | null; reason: string } {
  // `[EnforceRange] unsigned short closeCode` (WebSocketCloseInfo).
  const code = init.closeCode === undefined
    ? null
    : enforceRangeUnsignedShort(init.closeCode, "closeCode");
  return validateClose(code, init.reason === undefined ? "" : String(init.reason));
}

/**
 * The checks of https://websockets.spec.whatwg.org/#validate-close once
 * the code went through its WebIDL conversion (`[EnforceRange]` here,
 * `[Clamp]` for `WebSocket.close()`).
 *
 * @param code The converted code, or `null` when absent.
 * @param reason The reason.
 * @returns The code (1000 when only a reason is given; `null` when neither) and reason.
 * @throws {DOMException} `InvalidAccessError` or `SyntaxError`.
 */
export function validateClose(
  code: number | null,
  reason: string,
): { code: number | null; reason: string } {
  if (code !== null && !isApplicationCloseCode(code)) {
    throw new DOMException(
      `Cannot close: the code must be 1000 or in 3000-4999, got ${code}`,
      "InvalidAccessError",
    );
  }
  if (encodeUtf8(reason).length > MAX_CLOSE_REASON_BYTES) {
    throw new DOMException(
      `Cannot close: the reason is longer than ${MAX_CLOSE_REASON_BYTES} bytes`,
      "SyntaxError",
    );
  }
  if (code === null && reason !== "") code = 1000;
  return { code, reason };
}

/**
 * The {@linkcode WebSocketError} of a connection that did not close
 * cleanly: the cause's message when it is an `Error`, else `fallback`.
 *
 * @param cause Why the connection failed, if known.
 * @param closeCode The close code.
 * @param reason The close reason.
 * @param fallback The message when the cause has none.
 * @returns The error, with `cause` set.
 */
export function closeFailure(
  cause: unknown,
  closeCode: number,
  reason: string,
  fallback: string,
): WebSocketError {
  const message = cause instanceof Error ? cause.message : fallback;
  return WebSocketError.fromClose(message, closeCode, reason, cause ?? undefined);
}
