/**
 * The plumbing every connection class shares (`Connection` and
 * `ClientConnection` in `./connection.ts`, `LegacyConnection` and
 * `LegacyClientConnection` in `../legacy/legacy_connection.ts`, `ServerConnection`):
 * the queues a driver drains, the end-of-stream marker sent once, the close
 * event reported once, the validation of limits, and, for the two clients,
 * the reading of the server's handshake response. (Private: tested through
 * those classes.)
 *
 * @module
 */

import { concatBytes } from "../encoding/_bytes.ts";
import { CLOSE_CODE } from "../frames/close_code.ts";
import { HandshakeError, type ProtocolError } from "../errors.ts";
import type { CloseEvent } from "./events.ts";
import type { ConnectionState } from "./state.ts";
import type { Bytes } from "../frames/frame.ts";
import { getHeader, type ResponseHead, ResponseHeadParser } from "../http/http_response.ts";

/** The end-of-stream marker in `dataToSend()`: an empty chunk means half-close. */
const EOF: Bytes = new Uint8Array(0);

/**
 * Validates an integer option.
 *
 * @param name The option's name, for the message.
 * @param value The value given, or `undefined`.
 * @param fallback The default.
 * @param min The smallest value allowed.
 * @returns `value`, or `fallback` when `undefined`.
 * @throws {RangeError} For a value that is not an integer of at least `min`.
 */
export function positiveInteger(
  name: string,
  value: number | undefined,
  fallback: number,
  min = 1,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new RangeError(
      `Cannot create connection: ${name} must be an integer >= ${min}, got ${value}`,
    );
  }
  return value;
}

/**
 * Validates the size limits every framing has.
 *
 * @param options The connection's options.
 * @param defaultMaxMessageSize The default of `maxMessageSize`.
 * @returns `maxMessageSize`, and `maxFrameSize` (by default `maxMessageSize`).
 * @throws {RangeError} For a limit that is not a positive integer.
 */
export function sizeLimits(
  options: { readonly maxMessageSize?: number; readonly maxFrameSize?: number },
  defaultMaxMessageSize: number,
): { maxMessageSize: number; maxFrameSize: number } {
  const maxMessageSize = positiveInteger(
    "maxMessageSize",
    options.maxMessageSize,
    defaultMaxMessageSize,
  );
  const maxFrameSize = positiveInteger("maxFrameSize", options.maxFrameSize, maxMessageSize);
  return { maxMessageSize, maxFrameSize };
}

/**
 * What an endpoint has produced and its driver has not taken yet: events,
 * bytes to write, the end-of-stream marker (queued at most once) and the
 * close event (reported at most once).
 */
export class Outbox<E extends { readonly type: string }> {
  #events: (E | CloseEvent)[] = [];
  #output: Bytes[] = [];
  #eofSent = false;
  #closeReported = false;
  #messages = 0;

  /** Whether the end-of-stream marker was queued. */
  get eofSent(): boolean {
    return this.#eofSent;
  }

  /** Whether the close event was reported. */
  get closeReported(): boolean {
    return this.#closeReported;
  }

  /**
   * Queues an event.
   *
   * @param event The event.
   */
  emit(event: E): void {
    if (event.type === "message") this.#messages++;
    this.#events.push(event);
  }

  /**
   * Whether message events are queued that the driver has not taken yet:
   * a failure found behind them is held until they are delivered.
   */
  get holdsMessages(): boolean {
    return this.#messages > 0;
  }

  /**
   * Queues bytes to write.
   *
   * @param bytes The bytes.
   */
  queue(bytes: Bytes): void {
    this.#output.push(bytes);
  }

  /** Queues the end-of-stream marker, once. */
  sendEof(): void {
    if (this.#eofSent) return;
    this.#eofSent = true;
    this.#output.push(EOF);
  }

  /**
   * Queues the close event, once: later calls do nothing.
   *
   * @param code The close code.
   * @param reason The close reason.
   * @param wasClean Whether the closing handshake completed.
   * @param error Why the connection failed, or `null`.
   */
  reportClose(
    code: number,
    reason: string,
    wasClean: boolean,
    error: ProtocolError | HandshakeError | null,
  ): void {
    if (this.#closeReported) return;
    this.#closeReported = true;
    this.#events.push({ type: "close", code, reason, wasClean, error });
  }

  /**
   * Ends a connection that never opened: the end-of-stream marker, then the
   * close event with 1006 (RFC 6455 §7.1.5: no close frame was received).
   *
   * @param error Why, or `null` for a local decision.
   */
  endUnopened(error: ProtocolError | HandshakeError | null): void {
    this.sendEof();
    this.reportClose(CLOSE_CODE.AbnormalClosure, "", false, error);
  }

  /**
   * Takes the events queued since the last call, in order.
   *
   * @returns The events.
   */
  eventsReceived(): (E | CloseEvent)[] {
    const events = this.#events;
    if (events.length === 0) return [];
    this.#events = [];
    this.#messages = 0;
    return events;
  }

  /**
   * Takes the bytes queued since the last call, in order.
   *
   * @returns The chunks.
   */
  dataToSend(): Bytes[] {
    const output = this.#output;
    if (output.length === 0) return [];
    this.#output = [];
    return output;
  }
}

/** The handshake records of `TraceRecord` (`./connection.ts`), which a {@linkcode ResponseReader} traces. */
interface HandshakeTrace {
  readonly type: "handshake";
  readonly direction: "in" | "out";
  readonly status: number;
}

/**
 * An outbox with the state a connection class shares with its subclass and
 * with the other connection classes: `Connection` and `LegacyConnection`
 * each hold one, and `ClientConnection` and `LegacyClientConnection` reach
 * it through their base class (not through protected methods, which would
 * be public API).
 */
export class Endpoint<E extends { readonly type: string }, R> extends Outbox<E> {
  /** The connection's state. */
  state: ConnectionState;
  /** Why the connection failed, or `null`. */
  error: ProtocolError | HandshakeError | null = null;
  /** Whether the connection failed: from then on, what arrives is discarded. */
  failed = false;
  /** A failure found behind messages not yet taken, applied once they are. */
  held: ProtocolError | null = null;
  /** Whether the peer ended its byte stream. */
  eofReceived = false;
  /** The tracer, if any. */
  readonly tracer: ((record: R | HandshakeTrace) => void) | undefined;
  readonly #applyFailure: (error: ProtocolError) => void;

  /**
   * Creates the shared state.
   *
   * @param state The state to start in.
   * @param tracer The `trace` option.
   * @param applyFailure Fails the connection for a peer's violation.
   */
  constructor(
    state: ConnectionState,
    tracer: ((record: R | HandshakeTrace) => void) | undefined,
    applyFailure: (error: ProtocolError) => void,
  ) {
    super();
    this.state = state;
    this.tracer = tracer;
    this.#applyFailure = applyFailure;
  }

  /** Whether what arrives now is discarded: after a failure, one held, or the end of the stream. */
  get discards(): boolean {
    return this.failed || this.held !== null || this.eofReceived;
  }

  /**
   * Fails the connection for a peer's violation, or holds the failure back
   * while messages that arrived before it are not taken yet: they are
   * delivered, and what is sent in answer goes out, before the failure.
   *
   * @param error The violation.
   */
  failOrHold(error: ProtocolError): void {
    if (this.holdsMessages) this.held = error;
    else this.#applyFailure(error);
  }

  /**
   * Applies a held failure.
   *
   * @returns Whether a failure was held.
   */
  releaseFailure(): boolean {
    const held = this.held;
    if (held === null) return false;
    this.held = null;
    this.#applyFailure(held);
    return true;
  }

  /**
   * Takes the events queued since the last call; a held failure is applied
   * first once no message is left before it, so a driver that never calls
   * `releaseFailure()` still sees it.
   *
   * @returns The events.
   */
  override eventsReceived(): (E | CloseEvent)[] {
    if (this.held !== null && !this.holdsMessages) this.releaseFailure();
    return super.eventsReceived();
  }

  /**
   * Records the peer's end of stream, applying a held failure first.
   *
   * @returns `false` when it was recorded already (nothing more to do).
   */
  receiveEof(): boolean {
    if (this.eofReceived) return false;
    this.releaseFailure();
    this.eofReceived = true;
    return true;
  }

  /**
   * The first steps of a local `fail()`: a held failure is applied instead,
   * a closed connection stays closed, an unopened one ends at once.
   *
   * @returns Whether that settled it.
   */
  failEarly(): boolean {
    if (this.releaseFailure()) return true;
    if (this.state === "closed") return true;
    if (this.state !== "connecting") return false;
    this.endBeforeOpen();
    return true;
  }

  /**
   * Whether the driver should start its close timer.
   *
   * @param expected Whether the connection class expects the peer to close.
   * @returns `expected`, unless a failure is held or the peer ended the stream already.
   */
  closeExpected(expected: boolean): boolean {
    return this.held === null && !this.eofReceived && expected;
  }

  /**
   * Hands a record to the tracer, if any.
   *
   * @param record The record.
   */
  trace(record: R | HandshakeTrace): void {
    this.tracer?.(record);
  }

  /**
   * Ends the connection before it opened, for a failed handshake: the close
   * event is reported at once and the transport should be closed.
   *
   * @param error Why the handshake failed.
   */
  failHandshake(error: HandshakeError): void {
    this.error = error;
    this.endBeforeOpen();
  }

  /** Closes a connection that never opened: no closing handshake, code 1006 (RFC 6455 §7.1.5). */
  endBeforeOpen(): void {
    this.failed = true;
    this.state = "closed";
    this.endUnopened(this.error);
  }

  /**
   * Creates the reader of the server's handshake response for a client: its
   * head is traced, a malformed one fails the handshake.
   *
   * @param maxHeadSize The `maxHandshakeSize` option, validated here.
   * @param limits The default head size and the most body bytes kept for the error.
   * @param hooks What the client does with a 101 head and with a refusal.
   * @returns The reader.
   * @throws {RangeError} For an invalid `maxHandshakeSize`.
   */
  responseReader(
    maxHeadSize: number | undefined,
    limits: { readonly maxHandshakeSize: number; readonly maxBodySize: number },
    hooks: Pick<ResponseReaderHooks, "switching" | "refused">,
  ): ResponseReader {
    return new ResponseReader({
      maxHeadSize: positiveInteger("maxHandshakeSize", maxHeadSize, limits.maxHandshakeSize),
      maxBodySize: limits.maxBodySize,
      // RFC 9112 §6.3: a refused 1xx, 204 or 304 response has no body to wait for.
      bodylessStatuses: true,
    }, {
      head: (head) => this.trace({ type: "handshake", direction: "in", status: head.status }),
      switching: hooks.switching,
      refused: hooks.refused,
      fail: (error) => this.failHandshake(error),
    });
  }
}

/** Limits of {@linkcode ResponseReader}. */
export interface ResponseReaderOptions {
  /** The largest response head accepted, in bytes. */
  readonly maxHeadSize: number;
  /** The most bytes of a refused response's body kept for the error. */
  readonly maxBodySize: number;
  /**
   * Whether a refused 1xx, 204 or 304 response is known to have no body
   * (RFC 9112 §6.3), so the refusal is reported at once; otherwise its body
   * is awaited up to `Content-Length`, `maxBodySize` or the end of the stream.
   */
  readonly bodylessStatuses: boolean;
}

/** What a client connection does at each step of {@linkcode ResponseReader}. */
export interface ResponseReaderHooks {
  /** The head is complete (any status). */
  head(head: ResponseHead): void;
  /** The server switched protocols (101): validate the head, go on with the bytes after it. */
  switching(head: ResponseHead, leftover: Uint8Array): void;
  /** The server refused (not 101): fail with the reason, given the start of the body. */
  refused(head: ResponseHead, body: Uint8Array): void;
  /** The head is malformed or too large. */
  fail(error: HandshakeError): void;
}

/**
 * A client's reading of the server's opening handshake response, for
 * `ClientConnection` and `LegacyClientConnection`: the head, then for a
 * refusal the start of its body, which says why (RFC 6455 §4.1: a client
 * handles a status other than 101 "per HTTP procedures").
 */
export class ResponseReader {
  readonly #hooks: ResponseReaderHooks;
  readonly #maxBodySize: number;
  readonly #bodylessStatuses: boolean;
  #parser: ResponseHeadParser | null;
  #refused: { head: ResponseHead; parts: Uint8Array[]; size: number; expected: number } | null =
    null;

  /**
   * Creates a reader.
   *
   * @param options The limits.
   * @param hooks What the connection does at each step.
   */
  constructor(options: ResponseReaderOptions, hooks: ResponseReaderHooks) {
    this.#hooks = hooks;
    this.#maxBodySize = options.maxBodySize;
    this.#bodylessStatuses = options.bodylessStatuses;
    this.#parser = new ResponseHeadParser({ maxHeadSize: options.maxHeadSize });
  }

  /**
   * Feeds bytes of the response; the hooks report the outcome.
   *
   * @param chunk The bytes; possibly kept as a view.
   */
  push(chunk: Uint8Array): void {
    if (this.#refused !== null) {
      this.#collectBody(chunk);
      return;
    }
    let head: ResponseHead | null;
    try {
      head = this.#parser!.push(chunk);
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
      this.#parser = null;
      this.#hooks.fail(error);
      return;
    }
    if (head === null) return;
    const leftover = this.#parser!.leftover();
    this.#parser = null;
    this.#hooks.head(head);
    // RFC 6455 §4.1: "If the status code received from the server is not 101, the
    // client handles the response per HTTP procedures": keep the body for the error.
    if (head.status !== 101) {
      // RFC 9112 §6.3: a 1xx, 204 or 304 response never has a body.
      const bodyless = this.#bodylessStatuses &&
        (head.status < 200 || head.status === 204 || head.status === 304);
      const length = bodyless ? 0 : Number(getHeader(head.headers, "content-length") ?? NaN);
      const max = this.#maxBodySize;
      // Without a Content-Length (a chunked or close-delimited body), the
      // refusal is reported at once with what came with the head: waiting for
      // more could last until the handshake timeout on a keep-alive connection.
      const expected = Number.isInteger(length) && length >= 0
        ? Math.min(length, max)
        : Math.min(leftover.length, max);
      this.#refused = { head, parts: [], size: 0, expected };
      this.#collectBody(leftover);
      return;
    }
    this.#hooks.switching(head, leftover);
  }

  /**
   * Reports the end of the stream: a refusal ends with the body received so far.
   *
   * @returns `false` when no refusal was under way, so the caller fails the handshake.
   */
  end(): boolean {
    if (this.#refused === null) return false;
    this.#refuse();
    return true;
  }

  /**
   * Why the head is incomplete, as the head parser tells it (how far the head got).
   *
   * @returns The `UNEXPECTED_EOF` error, or `null` when the head is complete.
   */
  incompleteHead(): HandshakeError | null {
    const parser = this.#parser;
    this.#parser = null;
    try {
      parser?.end();
    } catch (error) {
      if (error instanceof HandshakeError) return error;
    }
    return null;
  }

  #collectBody(chunk: Uint8Array): void {
    const refused = this.#refused!;
    const take = Math.min(chunk.length, refused.expected - refused.size);
    if (take > 0) {
      refused.parts.push(chunk.slice(0, take));
      refused.size += take;
    }
    if (refused.size >= refused.expected) this.#refuse();
  }

  #refuse(): void {
    const { head, parts } = this.#refused!;
    this.#refused = null;
    this.#hooks.refused(head, concatBytes(parts));
  }
}

/**
 * The error for a server that ends the stream during the handshake.
 *
 * @returns A new `UNEXPECTED_EOF` error.
 */
export function endedDuringHandshake(): HandshakeError {
  return new HandshakeError(
    "UNEXPECTED_EOF",
    "Cannot open connection: the server closed the connection during the handshake",
  );
}
