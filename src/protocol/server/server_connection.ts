/**
 * The server side of a WebSocket connection, sans-I/O, for the four
 * protocol versions: the opening handshake (`./server_handshake.ts`), then
 * an RFC 6455 {@linkcode Connection} with side `"server"` (it requires
 * masked client frames and sends unmasked ones) or a `LegacyConnection`.
 *
 * A server is driven by the same loop as a client (see `../mod.ts`), plus
 * one decision: when the `request` event comes, call
 * {@linkcode ServerConnection.accept} or {@linkcode ServerConnection.reject},
 * now or later (after an asynchronous authorization, say). Requests that
 * are not valid handshakes are refused by the connection itself (400, 405,
 * 426 or 431) and end with a `close` event carrying the `HandshakeError`.
 *
 * hybi-00 clients send 8 bytes, key3, after their request head, and need
 * the 16-byte answer computed from them. `accept()` sends the response head
 * at once and the answer when key3 is there, so a client behind a proxy
 * that holds key3 back until the server answers (as HAProxy did) works.
 *
 * @module
 */

import { concatBytes } from "../encoding/_bytes.ts";
import { Outbox, positiveInteger, sizeLimits } from "../connection/_endpoint.ts";
import { Connection, type ConnectionOptions, DEFAULT_LIMITS } from "../connection/connection.ts";
import { HandshakeError, InvalidStateError, type ProtocolError } from "../errors.ts";
import type { ConnectionEvent } from "../connection/events.ts";
import type { Bytes } from "../frames/frame.ts";
import type { HandshakeResult } from "../handshake/handshake.ts";
import { RequestHeadParser } from "../http/http_request.ts";
import { LegacyConnection } from "../legacy/legacy_connection.ts";
import { isProtocolVersion, PROTOCOL_VERSIONS, type ProtocolVersion } from "../protocol_version.ts";
import {
  checkHandshakeRequestLine,
  createHandshakeResponse,
  createRejectResponse,
  errorResponse,
  type HandshakeResponseOptions,
  legacyAnswer,
  parseHandshakeRequest,
  type RejectOptions,
  type ServerRequest,
} from "./server_handshake.ts";
import type { ConnectionState } from "../connection/state.ts";

/** Settings of {@linkcode ServerConnection}. */
export interface ServerConnectionOptions
  extends Omit<ConnectionOptions, "randomBytes" | "allocateFrame"> {
  /**
   * The largest request head accepted, and the most bytes a client may
   * send before the handshake is answered. 16 KiB, as for responses:
   * browsers send under 2 KiB, cookies included.
   * @default 16384
   */
  readonly maxHandshakeSize?: number;
  /**
   * The protocol versions to accept; a client speaking another gets 426.
   * All four by default, as the seed library.
   * @default ["rfc6455", "hybi-10", "hybi-00", "hixie-75"]
   */
  readonly versions?: readonly ProtocolVersion[];
  /**
   * Whether the transport is TLS: legacy answers then name a `wss:`
   * location. `X-Forwarded-Proto: https` has the same effect.
   * @default false
   */
  readonly secure?: boolean;
  /**
   * Chooses the subprotocol when `accept()` is not given one: returns one
   * of `offered`, or `null` for none.
   * @default none is chosen
   */
  readonly selectProtocol?: (offered: readonly string[], request: ServerRequest) => string | null;
}

/** A client's opening handshake arrived: answer with `accept()` or `reject()`. */
export interface RequestEvent {
  /** The kind of event: `"request"`. */
  readonly type: "request";
  /** The validated request. */
  readonly request: ServerRequest;
}

/** What a {@linkcode ServerConnection} reports. */
export type ServerConnectionEvent = ConnectionEvent | RequestEvent;

/** Options of {@linkcode ServerConnection.accept}. */
export type AcceptOptions = HandshakeResponseOptions;

type Phase = "request" | "decide" | "key3" | "framing" | "ended";

/** `own` followed by `inner`, reusing an array rather than copying. */
function joined<T>(own: T[], inner: T[]): T[] {
  if (own.length === 0) return inner;
  if (inner.length > 0) own.push(...inner);
  return own;
}

/**
 * A server's connection to one client.
 *
 * @example Accepting a client and echoing a message
 * ```ts
 * import { ServerConnection } from "./server_connection.ts";
 * import assert from "node:assert/strict";
 *
 * const server = new ServerConnection();
 * server.receiveData(new TextEncoder().encode(
 *   "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
 *     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
 * ));
 * const [request] = server.eventsReceived();
 * assert.equal(request?.type, "request");
 * server.accept();
 * assert.match(new TextDecoder().decode(server.dataToSend()[0]), /^HTTP\/1\.1 101 /);
 * // A masked text frame "hi" (mask 0), then its echo, unmasked.
 * server.receiveData(new Uint8Array([0x81, 0x82, 0, 0, 0, 0, 0x68, 0x69]));
 * for (const event of server.eventsReceived()) if (event.type === "message") server.sendText(event.data as string);
 * assert.deepEqual(server.dataToSend().flatMap((chunk) => [...chunk]), [0x81, 0x02, 0x68, 0x69]);
 * ```
 */
export class ServerConnection {
  #options: ServerConnectionOptions;
  #maxHandshakeSize: number;
  #versions: readonly ProtocolVersion[];
  #phase: Phase = "request";
  #parser: RequestHeadParser | null;
  #request: ServerRequest | null = null;
  #early: Uint8Array[] = [];
  #earlySize = 0;
  #handshake: HandshakeResult | null = null;
  #inner: Connection | LegacyConnection | null = null;
  #outbox = new Outbox<ServerConnectionEvent>();
  #error: HandshakeError | null = null;
  #eofReceived = false;

  /**
   * Creates a connection waiting for a client's request.
   *
   * @param options Limits, versions and subprotocol choice.
   * @throws {RangeError} For invalid limits or an unknown version.
   */
  constructor(options: ServerConnectionOptions = {}) {
    this.#options = options;
    this.#maxHandshakeSize = positiveInteger(
      "maxHandshakeSize",
      options.maxHandshakeSize,
      DEFAULT_LIMITS.maxHandshakeSize,
    );
    sizeLimits(options, DEFAULT_LIMITS.maxMessageSize);
    positiveInteger("maxFragments", options.maxFragments, DEFAULT_LIMITS.maxFragments);
    positiveInteger("fragmentSize", options.fragmentSize, 0, 0);
    const versions = options.versions ?? PROTOCOL_VERSIONS;
    if (versions.length === 0 || !versions.every(isProtocolVersion)) {
      throw new RangeError(
        `Cannot create connection: versions must list known protocol versions, got ${
          JSON.stringify(versions)
        }`,
      );
    }
    this.#versions = versions;
    this.#parser = new RequestHeadParser({ maxHeadSize: this.#maxHandshakeSize });
  }

  /** The state: `connecting` until the handshake is done (see `../connection/state.ts`). */
  get state(): ConnectionState {
    if (this.#inner !== null) return this.#inner.state;
    return this.#phase === "ended" ? "closed" : "connecting";
  }

  /** The validated request once it arrived, else `null`. */
  get request(): ServerRequest | null {
    return this.#request;
  }

  /** The client's protocol version once its request arrived, else `null`. */
  get protocolVersion(): ProtocolVersion | null {
    return this.#request?.protocolVersion ?? null;
  }

  /** The 101 response sent (status, headers, subprotocol) once accepted, else `null`. */
  get handshake(): HandshakeResult | null {
    return this.#handshake;
  }

  /** The subprotocol agreed on, "" when none (or not accepted yet). */
  get protocol(): string {
    return this.#handshake?.protocol ?? "";
  }

  /** Why the connection failed, or `null`. */
  get error(): ProtocolError | HandshakeError | null {
    return this.#inner?.error ?? this.#error;
  }

  /**
   * Feeds bytes from the client: the request head, key3 (hybi-00), then
   * frames. Never throws because of what the client sent.
   *
   * @param chunk The bytes; possibly kept as a view, so do not modify them.
   */
  receiveData(chunk: Uint8Array): void {
    switch (this.#phase) {
      case "framing":
        this.#inner!.receiveData(chunk);
        return;
      case "request":
        this.#receiveHead(chunk);
        return;
      case "decide":
      case "key3":
        this.#keepEarly(chunk);
        if (this.#phase === "key3") this.#tryAnswer();
        return;
      default:
        return;
    }
  }

  #receiveHead(chunk: Uint8Array): void {
    const parser = this.#parser!;
    let head;
    try {
      head = parser.push(chunk);
      // Refuse a POST or an HTTP/1.0 request as soon as its first line is known.
      if (head === null && parser.requestLine !== null) {
        checkHandshakeRequestLine(parser.requestLine);
      }
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
      this.#refuse(error);
      return;
    }
    if (head === null) return;
    this.#parser = null;
    this.#options.trace?.({ type: "handshake", direction: "in", status: 0 });
    let request: ServerRequest;
    try {
      request = parseHandshakeRequest(head, {
        versions: this.#versions,
        ...(this.#options.secure === undefined ? {} : { secure: this.#options.secure }),
      });
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
      this.#refuse(error);
      return;
    }
    this.#request = request;
    this.#phase = "decide";
    this.#outbox.emit({ type: "request", request });
    this.#keepEarly(parser.leftover());
  }

  /** Keeps bytes that came before the handshake was answered (key3, early frames). */
  #keepEarly(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#early.push(chunk);
    this.#earlySize += chunk.length;
    if (this.#earlySize > this.#maxHandshakeSize) {
      this.#refuse(
        new HandshakeError(
          "MALFORMED_REQUEST",
          `Cannot accept connection: the client sent more than ${this.#maxHandshakeSize} bytes before the handshake was answered`,
          { status: 400, statusText: "Bad Request", headers: [], body: new Uint8Array(0) },
        ),
      );
    }
  }

  /**
   * Accepts the client: queues the 101 response and opens the connection
   * (for hybi-00, once key3 has arrived). Does nothing when the
   * connection already ended (the client left while you decided).
   *
   * @param options The subprotocol (else `selectProtocol` decides), extra
   * headers, cookies to set, and the origin a legacy answer names.
   * @throws {InvalidStateError} Before the `request` event, or when already answered.
   * @throws {RangeError} For a subprotocol the client did not offer.
   * @throws {TypeError} For invalid or protocol-owned headers.
   */
  accept(options: AcceptOptions = {}): void {
    if (!this.#mayAnswer("accept")) return;
    const request = this.#request!;
    const select = this.#options.selectProtocol;
    const protocol = options.protocol !== undefined
      ? options.protocol
      : select !== undefined && request.protocols.length > 0
      ? select(request.protocols, request)
      : null;
    const { bytes, result } = createHandshakeResponse(request, { ...options, protocol });
    this.#handshake = result;
    this.#options.trace?.({ type: "handshake", direction: "out", status: 101 });
    this.#outbox.queue(bytes);
    if (request.protocolVersion === "hybi-00") {
      this.#phase = "key3";
      this.#tryAnswer();
      return;
    }
    this.#open(concatBytes(this.#takeEarly()));
  }

  /**
   * Whether the request can be answered now: not once the connection
   * ended (the client left while the server decided).
   *
   * @throws {InvalidStateError} Before the request, or when already answered.
   */
  #mayAnswer(action: "accept" | "reject"): boolean {
    if (this.#phase === "ended") return false;
    if (this.#phase !== "decide") {
      throw new InvalidStateError(
        `Cannot ${action} connection: ${
          this.#phase === "request" ? "no request has arrived" : "the request was already answered"
        }`,
      );
    }
    return true;
  }

  /** hybi-00 §5.2: the answer needs key3, the 8 bytes after the request head. */
  #tryAnswer(): void {
    if (this.#earlySize < 8) return;
    const early = concatBytes(this.#takeEarly());
    this.#outbox.queue(legacyAnswer(this.#request!, early.subarray(0, 8)));
    this.#open(early.subarray(8));
  }

  #takeEarly(): Uint8Array[] {
    const early = this.#early;
    this.#early = [];
    this.#earlySize = 0;
    return early;
  }

  #open(leftover: Uint8Array): void {
    const version = this.#request!.protocolVersion;
    const options = this.#options;
    this.#inner = version === "hybi-00" || version === "hixie-75"
      ? new LegacyConnection("server", version, "open", options)
      : new Connection("server", "open", options);
    this.#phase = "framing";
    this.#outbox.emit({ type: "open", handshake: this.#handshake! });
    if (leftover.length > 0) this.#inner.receiveData(leftover);
  }

  /**
   * Refuses the client: queues the response and ends the stream; the
   * `close` event (code 1006) follows. Does nothing when the connection
   * already ended.
   *
   * @param status A status from 300 to 599. @default 403
   * @param options The reason phrase, headers and body.
   * @throws {InvalidStateError} Before the `request` event, or when already answered.
   * @throws {RangeError} For a status outside 300-599.
   * @throws {TypeError} For invalid headers.
   */
  reject(status = 403, options: RejectOptions = {}): void {
    if (!this.#mayAnswer("reject")) return;
    const bytes = createRejectResponse(status, options);
    this.#options.trace?.({ type: "handshake", direction: "out", status });
    this.#outbox.queue(bytes);
    this.#end(null);
  }

  /** Answers an invalid request with its status and ends (RFC 6455 §4.2.1). */
  #refuse(error: HandshakeError): void {
    this.#parser = null;
    this.#options.trace?.({ type: "handshake", direction: "out", status: error.status });
    this.#outbox.queue(errorResponse(error));
    this.#end(error);
  }

  #end(error: HandshakeError | null): void {
    this.#phase = "ended";
    this.#error = error;
    this.#early = [];
    this.#earlySize = 0;
    this.#outbox.endUnopened(error);
  }

  /**
   * Reports the end of the client's stream. Before the handshake completed,
   * the connection ends with `UNEXPECTED_EOF`.
   */
  receiveEof(): void {
    if (this.#eofReceived) return;
    this.#eofReceived = true;
    if (this.#inner !== null) {
      this.#inner.receiveEof();
      return;
    }
    if (this.#phase === "ended") return;
    this.#end(
      new HandshakeError(
        "UNEXPECTED_EOF",
        "Cannot accept connection: the client closed the connection during the handshake",
      ),
    );
  }

  #framing(action: string): Connection | LegacyConnection {
    if (this.#inner === null) {
      throw new InvalidStateError(`Cannot ${action}: the connection is ${this.state}`);
    }
    return this.#inner;
  }

  /**
   * Sends a text message (or its first fragment, RFC 6455 only).
   *
   * @param data The text or its UTF-8 bytes.
   * @param fin Whether this is the whole message.
   * @throws {InvalidStateError} When not open.
   * @throws {TypeError} For a fragment, or invalid UTF-8, with a legacy version.
   */
  sendText(data: string | Uint8Array, fin = true): void {
    this.#framing("send message").sendText(data, fin);
  }

  /**
   * Sends a binary message.
   *
   * @param data The bytes.
   * @param fin Whether this is the whole message.
   * @throws {InvalidStateError} When not open.
   * @throws {TypeError} With a legacy version, which carries text only.
   */
  sendBinary(data: Uint8Array, fin = true): void {
    this.#framing("send binary message").sendBinary(data, fin);
  }

  /**
   * Sends a ping (RFC 6455 §5.5.2).
   *
   * @param data At most 125 bytes.
   * @throws {InvalidStateError} When not open.
   * @throws {TypeError} With a legacy version.
   */
  sendPing(data?: Uint8Array): void {
    this.#framing("send ping").sendPing(data);
  }

  /**
   * Sends an unsolicited pong (RFC 6455 §5.5.3).
   *
   * @param data At most 125 bytes.
   * @throws {InvalidStateError} When not open.
   * @throws {TypeError} With a legacy version.
   */
  sendPong(data?: Uint8Array): void {
    this.#framing("send pong").sendPong(data);
  }

  /**
   * Starts the closing handshake.
   *
   * @param code A close code valid on the wire, or `undefined`.
   * @param reason At most 123 UTF-8 bytes (not sent by legacy versions).
   * @throws {InvalidStateError} When not open.
   */
  sendClose(code?: number, reason?: string): void {
    this.#framing("send close").sendClose(code, reason);
  }

  /**
   * Fails the connection for a local reason (RFC 6455 §7.1.7). Before the
   * handshake completed, it ends at once, without a response.
   *
   * @param code The close code to send (RFC 6455 versions).
   * @param reason A short reason.
   */
  fail(code: number, reason = ""): void {
    if (this.#inner !== null) {
      this.#inner.fail(code, reason);
      return;
    }
    if (this.#phase === "ended") return;
    this.#end(null);
  }

  /**
   * Applies a failure held back behind messages that arrived before it
   * (see `Connection.releaseFailure`): call it after dispatching the events.
   *
   * @returns Whether a failure was held.
   */
  releaseFailure(): boolean {
    return this.#inner?.releaseFailure() ?? false;
  }

  /**
   * Takes the events reported since the last call, in order.
   *
   * @returns The events.
   */
  eventsReceived(): ServerConnectionEvent[] {
    return joined(this.#outbox.eventsReceived(), this.#inner?.eventsReceived() ?? []);
  }

  /**
   * Takes the bytes to write, in order; an empty chunk means end of stream.
   *
   * @returns The chunks.
   */
  dataToSend(): Bytes[] {
    return joined(this.#outbox.dataToSend(), this.#inner?.dataToSend() ?? []);
  }

  /**
   * Whether the client should end the stream soon, so a driver starts its
   * close timer (and then closes the transport).
   *
   * @returns `true` once the connection is closing down.
   */
  closeExpected(): boolean {
    if (this.#inner !== null) return this.#inner.closeExpected();
    return this.#phase === "ended" && !this.#eofReceived;
  }
}
