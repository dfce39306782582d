/**
 * Connections speaking the pre-RFC versions, hixie-75 and hybi-00, behind
 * the same {@linkcode ProtocolConnection} interface as RFC 6455, so one
 * driver and one API layer serve every version.
 *
 * What differs from RFC 6455, and how it is reported:
 * - Text only. `sendBinary`, `sendPing` and `sendPong` throw a
 *   `TypeError`: there is nothing to send them as, and a silent conversion
 *   would change the message. No fragmentation either (`fin` must be true).
 * - hybi-00's closing handshake is the bytes 0xFF 0x00 each way (§6): the
 *   `closing` event reports code 1005 (no code exists), and a clean close
 *   reports 1005 with `wasClean`. Close codes and reasons given to
 *   `sendClose()` are not sent; there is no field for them.
 * - hixie-75 has no closing handshake: closing is ending the TCP stream.
 *   `sendClose()` half-closes; the peer's end of stream between frames is
 *   a clean close (1005), inside a frame it is not (1006).
 * - A peer's violation (`INVALID_LEGACY_FRAME`, `INVALID_UTF8`,
 *   `MESSAGE_TOO_BIG`, `FRAME_TOO_BIG`) ends the stream at once: no frame
 *   can carry an error. The close event has code 1006 and the error.
 *
 * @module
 */

import {
  endedDuringHandshake,
  Endpoint,
  type ResponseReader,
  sizeLimits,
} from "../connection/_endpoint.ts";
import { concatBytes } from "../encoding/_bytes.ts";
import { CLOSE_CODE, isReceivableCloseCode } from "../frames/close_code.ts";
import {
  type ClientConnectionOptions,
  type ConnectionOptions,
  DEFAULT_LIMITS,
  ERROR_BODY_LIMIT,
  type ProtocolConnection,
  type TraceRecord,
} from "../connection/connection.ts";
import { HandshakeError, InvalidStateError, ProtocolError } from "../errors.ts";
import type { ConnectionEvent } from "../connection/events.ts";
import type { Bytes } from "../frames/frame.ts";
import type { HandshakeResult } from "../handshake/handshake.ts";
import type { ResponseHead } from "../http/http_response.ts";
import {
  encodeLegacyText,
  LEGACY_CLOSE_FRAME,
  type LegacyFrame,
  LegacyFrameParser,
} from "./legacy_frame.ts";
import {
  computeChallengeResponse,
  createLegacyHandshakeRequest,
  defaultLegacyOrigin,
  generateLegacyKeys,
  type LegacyKeys,
  legacyLocation,
  parseLegacyKey,
  validateLegacyHandshakeResponse,
} from "./legacy_handshake.ts";
import { OPCODE } from "../frames/opcode.ts";
import type { LegacyVersion } from "../protocol_version.ts";
import { secureRandomBytes } from "../encoding/random.ts";
import type { ConnectionState } from "../connection/state.ts";
import { encodeUtf8, isValidUtf8 } from "../encoding/utf8.ts";
import { parseWebSocketUrlOnce, type WebSocketUrl } from "../http/url.ts";

/** How `LegacyClientConnection` reaches the state it shares with `LegacyConnection` (set there). */
let endpointOf: (connection: LegacyConnection) => Endpoint<ConnectionEvent, TraceRecord>;

/**
 * The framing and closing of a legacy connection after its opening
 * handshake, for either side. Use {@linkcode LegacyClientConnection} for a
 * client; `ServerConnection` creates these for legacy clients.
 *
 * @example A hybi-00 server side, after its handshake
 * ```ts
 * import { LegacyConnection } from "./legacy_connection.ts";
 * import assert from "node:assert/strict";
 *
 * const connection = new LegacyConnection("server", "hybi-00", "open");
 * connection.receiveData(new Uint8Array([0x00, 0x68, 0x69, 0xff, 0xff, 0x00]));
 * assert.deepEqual(connection.eventsReceived().map((event) => event.type), ["message", "closing"]);
 * assert.deepEqual(connection.dataToSend(), [new Uint8Array([0xff, 0x00]), new Uint8Array(0)]);
 * ```
 */
export class LegacyConnection implements ProtocolConnection {
  /** Which side this endpoint is. */
  readonly side: "client" | "server";
  /** `"hybi-00"` or `"hixie-75"`. */
  readonly protocolVersion: LegacyVersion;
  #endpoint: Endpoint<ConnectionEvent, TraceRecord>;
  #maxMessageSize: number;
  #maxFrameSize: number;
  #parser: LegacyFrameParser | null = null;
  #closeSent = false;
  #closeReceived = false;

  /**
   * Creates a connection.
   *
   * @param side `"client"` or `"server"`.
   * @param version `"hybi-00"` or `"hixie-75"`.
   * @param state `"connecting"` when a handshake comes first, `"open"` otherwise.
   * @param options Limits (`maxMessageSize`, `maxFrameSize`) and tracing.
   * @throws {RangeError} For invalid limits.
   */
  constructor(
    side: "client" | "server",
    version: LegacyVersion,
    state: "connecting" | "open",
    options: ConnectionOptions = {},
  ) {
    this.side = side;
    this.protocolVersion = version;
    this.#endpoint = new Endpoint<ConnectionEvent, TraceRecord>(
      state,
      options.trace,
      (error) => this.#failWith(error),
    );
    const limits = sizeLimits(options, DEFAULT_LIMITS.maxMessageSize);
    this.#maxMessageSize = limits.maxMessageSize;
    this.#maxFrameSize = limits.maxFrameSize;
    if (state === "open") this.startFraming();
  }

  static {
    endpointOf = (connection) => connection.#endpoint;
  }

  /** The connection's state (see `../connection/state.ts`). */
  get state(): ConnectionState {
    return this.#endpoint.state;
  }

  /** Why the connection failed, or `null`. */
  get error(): ProtocolError | HandshakeError | null {
    return this.#endpoint.error;
  }

  /** Bytes received and not yet turned into events. */
  get bufferedAmount(): number {
    return this.#parser?.bufferedAmount ?? 0;
  }

  /** Begins framing after a successful handshake (for subclasses). */
  protected startFraming(): void {
    this.#parser = new LegacyFrameParser({
      maxMessageSize: this.#maxMessageSize,
      maxFrameSize: this.#maxFrameSize,
      closeFrame: this.protocolVersion === "hybi-00",
    });
    this.#endpoint.state = "open";
  }

  /**
   * Feeds bytes from the peer; never throws because of them.
   *
   * @param chunk The bytes; possibly kept as a view, so do not modify them.
   */
  receiveData(chunk: Uint8Array): void {
    const parser = this.#parser;
    // hybi-00 §4.2: "Any data on the connection after the 0xFF frame is discarded."
    if (parser === null || this.#endpoint.discards || this.#closeReceived) return;
    parser.push(chunk);
    try {
      let frame: LegacyFrame | null;
      while ((frame = parser.next()) !== null) {
        this.#receiveFrame(frame);
        if (this.#closeReceived) break;
      }
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      // As RFC 6455's Connection: messages before the violation are
      // delivered, and the answers sent from them go out, before the failure.
      this.#endpoint.failOrHold(error);
    }
  }

  /**
   * Applies a failure held back behind messages that arrived before it (see
   * `Connection.releaseFailure`).
   *
   * @returns Whether a failure was held.
   */
  releaseFailure(): boolean {
    return this.#endpoint.releaseFailure();
  }

  #receiveFrame(frame: LegacyFrame): void {
    if (frame.type === "text") {
      this.#endpoint.trace({
        type: "frame",
        direction: "in",
        opcode: OPCODE.Text,
        fin: true,
        rsv: 0,
        length: frame.length,
      });
      this.#endpoint.emit({ type: "message", data: frame.data });
      return;
    }
    this.#endpoint.trace({
      type: "frame",
      direction: "in",
      opcode: OPCODE.Close,
      fin: true,
      rsv: 0,
      length: 0,
    });
    this.#closeReceived = true;
    this.#endpoint.emit({ type: "closing", code: CLOSE_CODE.NoStatusReceived, reason: "" });
    // hybi-00 §4.2: "If the WebSocket closing handshake has not yet started,
    // then start the WebSocket closing handshake" (§6: send 0xFF 0x00).
    if (!this.#closeSent) this.#sendCloseFrame();
    this.#endpoint.state = "closed";
    // §6 (as RFC 6455 §7.1.1): the server closes the TCP connection first.
    if (this.side === "server") this.#endpoint.sendEof();
  }

  /**
   * Reports the end of the peer's byte stream; the close event follows now.
   */
  receiveEof(): void {
    if (!this.#endpoint.receiveEof()) return;
    const midFrame = this.#parser?.inFrame ?? false;
    this.#endpoint.state = "closed";
    this.#endpoint.sendEof();
    if (this.#endpoint.closeReported) return;
    // hybi-00: clean once 0xFF 0x00 went both ways. hixie-75: ending the stream
    // is how it closes, so an end between frames is clean.
    const clean = !this.#endpoint.failed &&
      (this.protocolVersion === "hybi-00" ? this.#closeReceived && this.#closeSent : !midFrame);
    this.#endpoint.reportClose(
      clean ? CLOSE_CODE.NoStatusReceived : CLOSE_CODE.AbnormalClosure,
      "",
      clean,
      this.#endpoint.error,
    );
  }

  /**
   * Sends a text message.
   *
   * @param data The text, or its UTF-8 bytes (validated: a 0xFF byte would end the frame).
   * @param fin Must be `true`: the legacy framings have no fragments.
   * @throws {InvalidStateError} When the connection is not open.
   * @throws {TypeError} For `fin` false or invalid UTF-8.
   */
  sendText(data: string | Uint8Array, fin = true): void {
    if (!fin) {
      throw new TypeError(
        `Cannot send message: ${this.protocolVersion} has no fragmented messages`,
      );
    }
    if (this.#endpoint.state !== "open") {
      throw new InvalidStateError(`Cannot send message: the connection is ${this.#endpoint.state}`);
    }
    const bytes = typeof data === "string" ? encodeUtf8(data) : data;
    if (typeof data !== "string" && !isValidUtf8(bytes)) {
      throw new TypeError("Cannot send message: the text is not valid UTF-8");
    }
    this.#endpoint.trace({
      type: "frame",
      direction: "out",
      opcode: OPCODE.Text,
      fin: true,
      rsv: 0,
      length: bytes.length,
    });
    this.#endpoint.queue(encodeLegacyText(bytes));
  }

  /**
   * Always throws: the legacy framings carry text only.
   *
   * @param _data Ignored.
   * @param _fin Ignored.
   * @throws {TypeError} Always.
   */
  sendBinary(_data: Uint8Array, _fin?: boolean): void {
    throw new TypeError(`Cannot send binary message: ${this.protocolVersion} carries text only`);
  }

  /**
   * Always throws: the legacy framings have no ping.
   *
   * @param _data Ignored.
   * @throws {TypeError} Always.
   */
  sendPing(_data?: Uint8Array): void {
    throw new TypeError(`Cannot send ping: ${this.protocolVersion} has no control frames`);
  }

  /**
   * Always throws: the legacy framings have no pong.
   *
   * @param _data Ignored.
   * @throws {TypeError} Always.
   */
  sendPong(_data?: Uint8Array): void {
    throw new TypeError(`Cannot send pong: ${this.protocolVersion} has no control frames`);
  }

  /**
   * Starts closing: hybi-00 sends 0xFF 0x00 (§6), hixie-75 ends the stream.
   * The code and reason are checked as in RFC 6455 but not sent: these
   * versions have no field for them.
   *
   * @param code A close code valid on the wire, or `undefined`.
   * @param _reason Not sent.
   * @throws {RangeError} For an invalid code.
   * @throws {InvalidStateError} When not open.
   */
  sendClose(code?: number, _reason = ""): void {
    if (code !== undefined && !isReceivableCloseCode(code)) {
      throw new RangeError(`Cannot send close: ${code} is not a valid close code`);
    }
    if (this.#endpoint.state !== "open") {
      throw new InvalidStateError(`Cannot send close: the connection is ${this.#endpoint.state}`);
    }
    this.#endpoint.state = "closing";
    if (this.protocolVersion === "hybi-00") {
      this.#sendCloseFrame();
    } else {
      // hixie-75 §4.2/§5.3: "To close the connection cleanly, ... close the TCP connection."
      this.#closeSent = true;
      this.#endpoint.sendEof();
    }
  }

  /**
   * Fails the connection for a local reason: ends the stream (no frame can
   * carry a code). Before the connection opened, the close event comes now.
   *
   * @param _code Not sent.
   * @param _reason Not sent.
   */
  fail(_code: number, _reason = ""): void {
    if (this.#endpoint.failEarly()) return;
    this.#failWith(null);
  }

  #failWith(error: ProtocolError | null): void {
    if (this.#endpoint.failed) return;
    this.#endpoint.failed = true;
    if (error !== null) this.#endpoint.error = error;
    this.#endpoint.state = "closing";
    this.#endpoint.sendEof();
    // No frame carries a code: the event names the one the error maps to.
    this.#endpoint.emit({
      type: "fail",
      code: error?.closeCode ?? CLOSE_CODE.AbnormalClosure,
      error,
    });
  }

  #sendCloseFrame(): void {
    this.#closeSent = true;
    this.#endpoint.trace({
      type: "frame",
      direction: "out",
      opcode: OPCODE.Close,
      fin: true,
      rsv: 0,
      length: 0,
    });
    this.#endpoint.queue(LEGACY_CLOSE_FRAME.slice());
  }

  /**
   * Takes the events reported since the last call, in order.
   *
   * @returns The events.
   */
  eventsReceived(): ConnectionEvent[] {
    return this.#endpoint.eventsReceived();
  }

  /**
   * Takes the bytes to write; an empty chunk means end of stream.
   *
   * @returns The chunks.
   */
  dataToSend(): Bytes[] {
    return this.#endpoint.dataToSend();
  }

  /**
   * Whether the peer should end the stream soon, so a driver starts its close timer.
   *
   * @returns `true` after the closing handshake, a failure, or our end of stream.
   */
  closeExpected(): boolean {
    const endpoint = this.#endpoint;
    return endpoint.closeExpected(
      endpoint.state === "closed" || endpoint.failed || endpoint.eofSent,
    );
  }
}

/** Settings of {@linkcode LegacyClientConnection}. */
export interface LegacyClientConnectionOptions
  extends Omit<ClientConnectionOptions, "protocolVersion" | "extensions"> {
  /** `"hybi-00"` or `"hixie-75"`. */
  readonly protocolVersion: LegacyVersion;
  /**
   * Fixed hybi-00 keys, for tests and reproducible traces.
   * @default generated from `randomBytes`
   */
  readonly keys?: LegacyKeys;
}

/**
 * The client side of a hixie-75 or hybi-00 connection, from its opening
 * handshake on.
 *
 * @example A hixie-75 handshake and a message
 * ```ts
 * import { LegacyClientConnection } from "./legacy_connection.ts";
 * import assert from "node:assert/strict";
 *
 * const client = new LegacyClientConnection("ws://example.com/demo", { protocolVersion: "hixie-75" });
 * client.dataToSend(); // the request
 * client.receiveData(new TextEncoder().encode(
 *   "HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n" +
 *     "WebSocket-Origin: http://example.com\r\nWebSocket-Location: ws://example.com/demo\r\n\r\n",
 * ));
 * client.receiveData(new Uint8Array([0x00, 0x68, 0x69, 0xff]));
 * assert.deepEqual(client.eventsReceived().map((event) => event.type), ["open", "message"]);
 * ```
 */
export class LegacyClientConnection extends LegacyConnection {
  /** The parsed URL. */
  readonly url: WebSocketUrl;
  /** The `Origin` sent. */
  readonly origin: string;
  /** The hybi-00 keys sent, or `null` for hixie-75. */
  readonly keys: LegacyKeys | null;
  #answer: Uint8Array | null;
  #protocols: readonly string[];
  /** The handshake response's reader; dropped once the handshake is over (idle memory). */
  #response: ResponseReader | null;
  #pending: { result: HandshakeResult; parts: Uint8Array[]; size: number } | null = null;
  #handshake: HandshakeResult | null = null;
  readonly #endpoint = endpointOf(this);

  /**
   * Creates the connection and queues the opening handshake request.
   *
   * @param url A `ws:`, `wss:`, `http:` or `https:` URL, or one parsed already.
   * @param options The version, handshake settings and limits.
   * @throws {SyntaxError} For an invalid URL or more than one subprotocol.
   * @throws {TypeError} For invalid or protocol-owned headers.
   * @throws {RangeError} For invalid limits.
   */
  constructor(url: string | URL | WebSocketUrl, options: LegacyClientConnectionOptions) {
    super("client", options.protocolVersion, "connecting", options);
    this.url = typeof url === "string" || url instanceof URL ? parseWebSocketUrlOnce(url) : url;
    this.origin = options.origin ?? defaultLegacyOrigin(this.url);
    this.#protocols = options.protocols ?? [];
    this.#response = this.#endpoint.responseReader(options.maxHandshakeSize, {
      maxHandshakeSize: DEFAULT_LIMITS.maxHandshakeSize,
      maxBodySize: ERROR_BODY_LIMIT,
    }, {
      switching: (head, leftover) => this.#switching(head, leftover),
      refused: (head, body) => this.#refuse(head, body),
    });
    if (options.protocolVersion === "hybi-00") {
      const keys = options.keys ?? generateLegacyKeys(options.randomBytes ?? secureRandomBytes);
      this.keys = keys;
      this.#answer = expectedAnswer(keys);
    } else {
      this.keys = null;
      this.#answer = null;
    }
    const request = createLegacyHandshakeRequest({
      version: options.protocolVersion,
      url: this.url,
      origin: this.origin,
      protocols: this.#protocols,
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ...(this.keys === null ? {} : { keys: this.keys }),
    });
    this.#endpoint.trace({ type: "handshake", direction: "out", status: 0 });
    this.#endpoint.queue(request);
  }

  /** The validated handshake response once open, else `null`. */
  get handshake(): HandshakeResult | null {
    return this.#handshake;
  }

  /** The subprotocol the server confirmed, "" when none (or not open yet). */
  get protocol(): string {
    return this.#handshake?.protocol ?? "";
  }

  /**
   * Feeds bytes from the server: the response head, the 16-byte answer
   * (hybi-00, possibly in a later chunk), then frames.
   *
   * @param chunk The bytes; possibly kept as a view.
   */
  override receiveData(chunk: Uint8Array): void {
    if (this.state !== "connecting") {
      super.receiveData(chunk);
      return;
    }
    if (this.#pending !== null) {
      this.#collectAnswer(chunk);
      return;
    }
    this.#response!.push(chunk);
    if (this.state !== "connecting") this.#response = null;
  }

  #switching(head: ResponseHead, leftover: Uint8Array): void {
    let result: HandshakeResult;
    try {
      result = validateLegacyHandshakeResponse(head, this.#expectation());
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
      this.#endpoint.failHandshake(error);
      return;
    }
    if (this.#answer === null) {
      this.#open(result, leftover);
      return;
    }
    // hybi-00 §4.1 step 42: "Let /reply/ be the next 16 bytes" - which may come
    // later, e.g. from a server behind a proxy that waited for key3.
    this.#pending = { result, parts: [], size: 0 };
    this.#collectAnswer(leftover);
  }

  #expectation() {
    return {
      version: this.protocolVersion,
      origin: this.origin,
      location: legacyLocation(this.url.secure, this.url.host, this.url.resource),
      protocols: this.#protocols,
    };
  }

  #collectAnswer(chunk: Uint8Array): void {
    const pending = this.#pending!;
    const take = Math.min(chunk.length, 16 - pending.size);
    if (take > 0) {
      pending.parts.push(chunk.subarray(0, take));
      pending.size += take;
    }
    if (pending.size < 16) return;
    this.#pending = null;
    const reply = concatBytes(pending.parts);
    // hybi-00 §4.1 step 43: "If /reply/ does not exactly equal /expected/, then fail".
    if (!reply.every((byte, i) => byte === this.#answer![i])) {
      this.#endpoint.failHandshake(
        new HandshakeError(
          "INVALID_CHALLENGE_RESPONSE",
          "Cannot open connection: the server's 16-byte answer does not match the keys",
          {
            status: pending.result.status,
            statusText: pending.result.statusText,
            headers: pending.result.headers,
            body: reply,
          },
        ),
      );
      return;
    }
    this.#open(pending.result, chunk.subarray(take));
  }

  #open(result: HandshakeResult, leftover: Uint8Array): void {
    this.#handshake = result;
    this.startFraming();
    this.#endpoint.emit({ type: "open", handshake: result });
    if (leftover.length > 0) super.receiveData(leftover);
  }

  #refuse(head: ResponseHead, body: Uint8Array): void {
    try {
      validateLegacyHandshakeResponse(head, { ...this.#expectation(), body });
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
      this.#endpoint.failHandshake(error);
    }
  }

  /**
   * Reports that the server ended the stream. Before the handshake
   * completed, this fails it with `UNEXPECTED_EOF` (or the refusal).
   */
  override receiveEof(): void {
    if (this.state === "connecting" && !this.#response!.end()) {
      this.#pending = null;
      this.#endpoint.failHandshake(this.#response!.incompleteHead() ?? endedDuringHandshake());
    }
    super.receiveEof();
  }
}

/** The 16 bytes a hybi-00 server must answer for `keys`. */
function expectedAnswer(keys: LegacyKeys): Uint8Array {
  const number1 = parseLegacyKey(keys.key1);
  const number2 = parseLegacyKey(keys.key2);
  if (number1 === null || number2 === null || keys.key3.length !== 8) {
    throw new TypeError("Cannot create connection: the hybi-00 keys are not valid");
  }
  return computeChallengeResponse(number1, number2, keys.key3);
}
