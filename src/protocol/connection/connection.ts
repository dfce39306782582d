/**
 * The sans-I/O connection: bytes from the peer go in, events and bytes to
 * write come out. See the `@module` doc of `../mod.ts` for the loop that
 * drives it.
 *
 * @module
 */

import {
  endedDuringHandshake,
  Endpoint,
  positiveInteger,
  type ResponseReader,
  sizeLimits,
} from "./_endpoint.ts";
import {
  CLOSE_CODE,
  decodeClosePayload,
  encodeClosePayload,
  isReceivableCloseCode,
  truncateCloseReason,
} from "../frames/close_code.ts";
import { HandshakeError, InvalidStateError, ProtocolError } from "../errors.ts";
import type { ConnectionEvent } from "./events.ts";
import type { Extension, NegotiatedExtension } from "../extensions/extension.ts";
import { type AllocateFrame, type Bytes, encodeFrame, type Frame } from "../frames/frame.ts";
import { FrameParser } from "../frames/frame_parser.ts";
import {
  CompactHandshakeResult,
  createHandshakeRequest,
  generateKey,
  type HandshakeRequestOptions,
  type HandshakeResult,
  validateHandshakeResponse,
} from "../handshake/handshake.ts";
import type { ResponseHead } from "../http/http_response.ts";
import { MessageAssembler } from "../messages/message_assembler.ts";
import { OPCODE } from "../frames/opcode.ts";
import { type RandomBytes, secureRandomBytes } from "../encoding/random.ts";
import { canSendControl, canSendData, type ConnectionState, expectsClose } from "./state.ts";
import { encodeUtf8 } from "../encoding/utf8.ts";
import { parseWebSocketUrlOnce, type WebSocketUrl } from "../http/url.ts";
import type { HybiVersion, ProtocolVersion } from "../protocol_version.ts";

/** Limits and settings common to both sides. Every limit is finite by default. */
export interface ConnectionOptions {
  /**
   * The largest message accepted, in bytes (after extension decoding).
   * Larger messages fail the connection with 1009. 64 MiB, as tungstenite:
   * large enough for applications written for browsers, which have no
   * limit, while bounding what a hostile server can make us buffer.
   * @default 67108864
   */
  readonly maxMessageSize?: number;
  /**
   * The largest frame accepted, in bytes. Larger frames fail the connection
   * with 1009 as soon as their header arrives.
   * @default maxMessageSize
   */
  readonly maxFrameSize?: number;
  /**
   * The most non-empty frames one message may span, and separately the most
   * empty ones. Each non-empty fragment is kept until the message ends, so
   * this bounds their overhead (65536 fragments of 1 KiB make a 64 MiB
   * message); empty ones cost no memory, only work, and are capped at the
   * same number. A message of 65536 fragments ended by an empty final frame
   * (as some peers send) passes.
   * @default 65536
   */
  readonly maxFragments?: number;
  /**
   * Split outgoing messages into frames of at most this many payload bytes;
   * 0 sends each message in one frame.
   * @default 0
   */
  readonly fragmentSize?: number;
  /**
   * The source of masking keys and handshake keys. Must be cryptographically
   * secure outside tests (RFC 6455 §10.3).
   * @default pooled `crypto.getRandomValues`
   */
  readonly randomBytes?: RandomBytes;
  /**
   * Allocates the buffer a received payload that spans reads is gathered
   * into: a `Uint8Array` of exactly `length` bytes over an `ArrayBuffer` of
   * its own, whose bytes need not be zeroed (every one is written before
   * the payload is used; see `FrameParserOptions.allocate`). The client
   * passes its runtime's uninitialized allocation.
   * @default `(length) => new Uint8Array(length)`
   */
  readonly allocatePayload?: (length: number) => Uint8Array;
  /**
   * Where each masked frame of 64 payload bytes or more is encoded (a client's
   * frames): a function returning a buffer of at least the given size, whose
   * old contents do not matter. A driver can hand out reused buffers here and
   * take each back once its transport has written the frame (the frame from
   * {@linkcode Connection.dataToSend} is a view of the buffer).
   * @default a new buffer per frame
   */
  readonly allocateFrame?: AllocateFrame;
  /**
   * Receives a record of every frame in and out (opcode, FIN, RSV bits and
   * payload length) and of the handshake's request and response. Off by
   * default; when off, tracing costs one comparison per frame.
   */
  readonly trace?: (record: TraceRecord) => void;
}

/** Per-message settings of `sendText()` and `sendBinary()`. */
export interface SendOptions {
  /**
   * `false` sends the message as it is, without the negotiated extensions'
   * encoding (RFC 7692 §6: a message may always go uncompressed), e.g. for
   * data that is compressed already.
   * @default true
   */
  readonly compress?: boolean;
}

/** What {@linkcode ConnectionOptions.trace} receives. */
export type TraceRecord =
  | {
    /** A frame was parsed (`in`) or encoded (`out`). */
    readonly type: "frame";
    readonly direction: "in" | "out";
    readonly opcode: number;
    readonly fin: boolean;
    readonly rsv: number;
    /** The payload length (before extension decoding, after encoding). */
    readonly length: number;
  }
  | {
    /** The handshake request was queued (`out`) or its response head parsed (`in`). */
    readonly type: "handshake";
    readonly direction: "in" | "out";
    /** The response status, or 0 for the request. */
    readonly status: number;
  };

/** Settings of {@linkcode ClientConnection}. */
export interface ClientConnectionOptions extends ConnectionOptions {
  /** Subprotocols to offer, in order of preference (§4.1 `Sec-WebSocket-Protocol`). */
  readonly protocols?: readonly string[];
  /** The `Origin` header; none by default, as non-browser clients (§4.1 item 8). */
  readonly origin?: string;
  /** Extra request headers. Protocol headers cannot be set this way. */
  readonly headers?: HandshakeRequestOptions["headers"];
  /** Extensions to offer, in order of preference. */
  readonly extensions?: readonly Extension[];
  /**
   * The largest response head accepted, in bytes. 16 KiB, as h11: far more
   * than any real handshake, small enough to bound a hostile server.
   * @default 16384
   */
  readonly maxHandshakeSize?: number;
  /**
   * The protocol version to speak (see `../protocol_version.ts`). RFC 6455
   * unless talking to a server that predates it. `ClientConnection` speaks
   * `"rfc6455"` and `"hybi-10"` (`Sec-WebSocket-Version: 8`, `Sec-WebSocket-Origin`);
   * `createClientConnection()` also picks the legacy `"hybi-00"` and `"hixie-75"`.
   * @default "rfc6455"
   */
  readonly protocolVersion?: ProtocolVersion;
}

/**
 * What a driver needs of a connection. {@linkcode Connection} implements
 * it for RFC 6455; the legacy framings implement it too, so one driver and
 * one API layer serve every protocol version.
 */
export interface ProtocolConnection {
  /** The state (see `./state.ts`). */
  readonly state: ConnectionState;
  /**
   * Feeds bytes from the peer; never throws because of them. With
   * `maxMessages`, may stop once that many messages were parsed and return
   * `true`: the rest of the bytes is kept, and the next call (with an empty
   * chunk, or more bytes) goes on. Optional for other implementations (the
   * driver reads a `void` result as "all parsed").
   */
  receiveData(chunk: Uint8Array, maxMessages?: number): boolean | void;
  /** Reports the end of the peer's byte stream. */
  receiveEof(): void;
  /** Sends a text message; throws `InvalidStateError` when not open. */
  sendText(data: string | Uint8Array, fin?: boolean, options?: SendOptions): void;
  /** Sends a binary message; throws `InvalidStateError` when not open or not supported. */
  sendBinary(data: Uint8Array, fin?: boolean, options?: SendOptions): void;
  /** Sends a ping; throws when not possible. */
  sendPing(data?: Uint8Array): void;
  /** Starts the closing handshake. */
  sendClose(code?: number, reason?: string): void;
  /** Fails the connection for a local reason. */
  fail(code: number, reason?: string): void;
  /**
   * Applies a failure held back behind messages that arrived before it:
   * call it after the events were dispatched, so that what the application
   * sent from them goes out before the failing close frame.
   *
   * @returns Whether a failure was held (and is now applied).
   */
  releaseFailure(): boolean;
  /** Takes the events since the last call. */
  eventsReceived(): ConnectionEvent[];
  /** Takes the bytes to write; an empty chunk means half-close. */
  dataToSend(): Bytes[];
  /** Whether the driver should start its close timer. */
  closeExpected(): boolean;
}

/** Defaults of {@linkcode ConnectionOptions} and {@linkcode ClientConnectionOptions}. */
export const DEFAULT_LIMITS = {
  maxMessageSize: 64 * 1024 * 1024,
  maxFragments: 65536,
  maxHandshakeSize: 16 * 1024,
} as const;

/** How many bytes of a refused handshake's body are kept in {@linkcode HandshakeError.body}. */
export const ERROR_BODY_LIMIT = 4096;

/** How `ClientConnection` reaches the state it shares with `Connection` (set in `Connection`). */
/** The limits of a client's reading of the handshake response. */
const CLIENT_LIMITS = {
  maxHandshakeSize: DEFAULT_LIMITS.maxHandshakeSize,
  maxBodySize: ERROR_BODY_LIMIT,
} as const;

let endpointOf: (connection: Connection) => Endpoint<ConnectionEvent, TraceRecord>;

/**
 * The protocol after the opening handshake, for either side: framing,
 * control frames and the closing handshake (RFC 6455 §5-§7). Use
 * {@linkcode ClientConnection}, which adds the client's opening handshake.
 */
export class Connection implements ProtocolConnection {
  /** Which side this endpoint is: a client masks what it sends (§5.3). */
  readonly side: "client" | "server";
  #endpoint: Endpoint<ConnectionEvent, TraceRecord>;
  #randomBytes: RandomBytes;
  #allocatePayload: ((length: number) => Uint8Array) | undefined;
  #allocateFrame: AllocateFrame | undefined;
  #trace: ((record: TraceRecord) => void) | undefined;
  #maxMessageSize: number;
  #maxFrameSize: number;
  #maxFragments: number;
  #fragmentSize: number;
  #parser: FrameParser | null = null;
  #assembler: MessageAssembler | null = null;
  #extensions: readonly NegotiatedExtension[] = [];
  #sending = 0; // opcode of the fragmented message being sent, 0 when none
  #closeSent: { code: number; reason: string } | null = null;
  #closeReceived: { code: number; reason: string } | null = null;

  /**
   * Creates a connection.
   *
   * @param side `"client"` or `"server"`.
   * @param state `"connecting"` when a handshake comes first, `"open"` otherwise.
   * @param options Limits and randomness.
   */
  constructor(side: "client" | "server", state: ConnectionState, options: ConnectionOptions = {}) {
    this.side = side;
    this.#endpoint = new Endpoint<ConnectionEvent, TraceRecord>(
      state,
      options.trace,
      (error) => this.#fail(error.closeCode, error),
    );
    this.#randomBytes = options.randomBytes ?? secureRandomBytes;
    this.#allocatePayload = options.allocatePayload;
    this.#allocateFrame = options.allocateFrame;
    this.#trace = options.trace;
    const limits = sizeLimits(options, DEFAULT_LIMITS.maxMessageSize);
    this.#maxMessageSize = limits.maxMessageSize;
    this.#maxFrameSize = limits.maxFrameSize;
    this.#maxFragments = positiveInteger(
      "maxFragments",
      options.maxFragments,
      DEFAULT_LIMITS.maxFragments,
    );
    this.#fragmentSize = positiveInteger("fragmentSize", options.fragmentSize, 0, 0);
    if (state === "open") this.startFraming([]);
  }

  static {
    endpointOf = (connection) => connection.#endpoint;
  }

  /** The connection's state (see `./state.ts`). */
  get state(): ConnectionState {
    return this.#endpoint.state;
  }

  /** The close frame we sent, or `null`. */
  get closeSent(): { readonly code: number; readonly reason: string } | null {
    return this.#closeSent;
  }

  /** The close frame we received, or `null`. */
  get closeReceived(): { readonly code: number; readonly reason: string } | null {
    return this.#closeReceived;
  }

  /** Why the connection failed, or `null`. */
  get error(): ProtocolError | HandshakeError | null {
    return this.#endpoint.error;
  }

  /** Bytes received and not yet turned into events (a partial frame). */
  get bufferedAmount(): number {
    return this.#parser?.bufferedAmount ?? 0;
  }

  /**
   * Begins framing after a successful handshake (for subclasses).
   *
   * @param extensions The negotiated extensions.
   */
  protected startFraming(extensions: readonly NegotiatedExtension[]): void {
    this.#extensions = extensions;
    const assembler = new MessageAssembler({
      maxMessageSize: this.#maxMessageSize,
      maxFragments: this.#maxFragments,
      extensions,
    });
    this.#assembler = assembler;
    this.#parser = new FrameParser({
      maxFrameSize: this.#maxFrameSize,
      expectMask: this.side === "server",
      checkHeader: (fin, rsv, opcode, length) => assembler.checkHeader(fin, rsv, opcode, length),
      checkPayloadPart: (part) => assembler.checkPayloadPart(part),
      ...(this.#allocatePayload === undefined ? {} : { allocate: this.#allocatePayload }),
    });
    this.#endpoint.state = "open";
  }

  /** Traces a frame. */
  protected traceFrame(
    direction: "in" | "out",
    opcode: number,
    fin: boolean,
    rsv: number,
    length: number,
  ): void {
    this.#trace?.({ type: "frame", direction, opcode, fin, rsv, length });
  }

  /**
   * Feeds bytes received from the peer. Never throws because of what the
   * peer sent: a violation fails the connection (a close frame is queued,
   * the cause is kept in {@linkcode Connection.error}).
   *
   * @param chunk The bytes; the connection may keep a view of them, so the
   * caller must not modify them afterwards.
   * @param maxMessages Stop once this many whole messages were parsed (the
   * driver dispatches a large chunk of small messages in batches, so the
   * events of one batch die young instead of all of the chunk's living
   * until its end); by default, parse everything. Stopping there is as if
   * the rest of the bytes came in a later read.
   * @returns `true` when it stopped at `maxMessages` with bytes left to
   * parse: call again (an empty chunk will do) after taking the events.
   */
  receiveData(chunk: Uint8Array, maxMessages: number = Infinity): boolean {
    const parser = this.#parser;
    // §7.1.7 / §5.5.1: after a failure or the peer's close frame, the rest is discarded.
    if (parser === null || this.#endpoint.discards || this.#closeReceived !== null) return false;
    parser.push(chunk);
    let messages = 0;
    try {
      // Whole messages in one frame (the common case) go straight to a
      // message event, without a Frame; the same checks and events as
      // #receiveFrame's path, which the trace needs (it records frames).
      const assembler = this.#trace === undefined ? this.#assembler! : null;
      const endpoint = this.#endpoint;
      while (true) {
        if (assembler !== null) {
          const payload = parser.nextWholeMessage();
          if (payload !== null) {
            endpoint.emit({ type: "message", data: assembler.whole(parser.wholeOpcode, payload) });
            if (++messages >= maxMessages) return parser.bufferedAmount > 0;
            continue;
          }
        }
        const frame = parser.next();
        if (frame === null) break;
        this.#receiveFrame(frame);
        if (endpoint.failed || this.#closeReceived !== null) break;
      }
    } catch (error) {
      let failure: ProtocolError;
      if (error instanceof ProtocolError) {
        failure = error;
      } else if (error instanceof RangeError) {
        // The runtime could not allocate a payload within the configured
        // limits: the message is too big for this process (§7.4.1, 1009).
        failure = new ProtocolError("MESSAGE_TOO_BIG", `Cannot parse message: ${error.message}`);
      } else {
        throw error;
      }
      // Messages that arrived before the violation are delivered first, and
      // what the application sends in answer goes out before the failing
      // close frame, exactly as if the bad frame had come in a later read:
      // the failure waits for releaseFailure() (the driver calls it once it
      // dispatched the events). The rest of the input is discarded.
      this.#endpoint.failOrHold(failure);
    }
    return false;
  }

  /**
   * Applies a failure held back behind messages (see {@linkcode receiveData}):
   * queues the failing close frame and the `fail` event. Call it after
   * dispatching the events from {@linkcode eventsReceived}. `receiveEof()`,
   * `fail()` and `eventsReceived()` called with no message pending apply it too.
   *
   * @returns Whether a failure was held.
   */
  releaseFailure(): boolean {
    return this.#endpoint.releaseFailure();
  }

  #receiveFrame(frame: Frame): void {
    if (this.#trace !== undefined) {
      this.traceFrame("in", frame.opcode, frame.fin, frame.rsv, frame.payload.length);
    }
    switch (frame.opcode) {
      case OPCODE.Ping:
        // §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong
        // frame in response, unless it already received a Close frame." That
        // holds after our own Close frame too: §5.5.1 then forbids data frames only.
        if (this.#closeReceived === null) this.#sendFrame(OPCODE.Pong, frame.payload, true, 0);
        this.#endpoint.emit({ type: "ping", data: frame.payload });
        return;
      case OPCODE.Pong:
        // §5.5.3: an unsolicited pong is allowed and needs no answer.
        this.#endpoint.emit({ type: "pong", data: frame.payload });
        return;
      case OPCODE.Close:
        this.#receiveClose(frame.payload);
        return;
      default: {
        const message = this.#assembler!.push(frame);
        if (message !== null) this.#endpoint.emit({ type: "message", data: message });
      }
    }
  }

  /** §5.5.1 and §7.1.2-§7.1.3: the peer started or answered the closing handshake. */
  #receiveClose(payload: Uint8Array): void {
    const { code, reason } = decodeClosePayload(payload);
    this.#closeReceived = { code, reason };
    this.#endpoint.emit({ type: "closing", code, reason });
    if (this.#closeSent === null) {
      // §5.5.1: "it MUST send a Close frame in response ... typically echoing
      // the status code it received". 1005 means none: answer with an empty close.
      this.#sendCloseFrame(code === CLOSE_CODE.NoStatusReceived ? undefined : code, "");
    }
    this.#endpoint.state = "closed";
    // §7.1.1: the server closes the TCP connection first; a server endpoint ends it now.
    if (this.side === "server") this.#endpoint.sendEof();
  }

  /**
   * Reports that the peer ended the byte stream (TCP FIN, or the transport
   * closed or failed). The close event is reported now.
   */
  receiveEof(): void {
    if (!this.#endpoint.receiveEof()) return;
    this.#endpoint.state = "closed";
    // §7.1.1: a client that saw the server end the stream ends its own side.
    this.#endpoint.sendEof();
    if (this.#endpoint.closeReported) return;
    const received = this.#closeReceived;
    // §7.1.5: "If _The WebSocket Connection is Closed_ and no Close control
    // frame was received by the endpoint ... the close code is 1006."
    if (received === null && this.#endpoint.error === null && !this.#endpoint.failed) {
      this.#endpoint.error = new ProtocolError(
        "UNEXPECTED_EOF",
        "Cannot read frame: the connection ended without a close frame",
      );
    }
    this.#endpoint.reportClose(
      received?.code ?? CLOSE_CODE.AbnormalClosure,
      received?.reason ?? "",
      received !== null && this.#closeSent !== null && !this.#endpoint.failed,
      this.#endpoint.error,
    );
  }

  /**
   * Sends a text message, or its first fragment when `fin` is `false`.
   *
   * @param data The text, or its UTF-8 bytes (not validated).
   * @param fin Whether this is the whole message.
   * @param options `{ compress: false }` sends this message without extension
   * encoding (e.g. no permessage-deflate).
   * @throws {InvalidStateError} When the connection is not open or a fragmented message is in progress.
   */
  sendText(data: string | Uint8Array, fin = true, options?: SendOptions): void {
    this.#sendData(OPCODE.Text, typeof data === "string" ? encodeUtf8(data) : data, fin, options);
  }

  /**
   * Sends a binary message, or its first fragment when `fin` is `false`.
   *
   * @param data The bytes; never modified.
   * @param fin Whether this is the whole message.
   * @param options `{ compress: false }` sends this message without extension
   * encoding, e.g. for data that is compressed already.
   * @throws {InvalidStateError} When the connection is not open or a fragmented message is in progress.
   */
  sendBinary(data: Uint8Array, fin = true, options?: SendOptions): void {
    this.#sendData(OPCODE.Binary, data, fin, options);
  }

  /**
   * Sends the next fragment of a message started with `fin` set to `false`.
   *
   * @param data The bytes (UTF-8 for a text message).
   * @param fin Whether this fragment ends the message.
   * @throws {InvalidStateError} When no fragmented message is in progress.
   */
  sendContinuation(data: Uint8Array, fin: boolean): void {
    if (this.#sending === 0) {
      throw new InvalidStateError("Cannot send continuation: no fragmented message is in progress");
    }
    this.#sendData(OPCODE.Continuation, data, fin);
  }

  #sendData(opcode: number, data: Uint8Array, fin: boolean, options?: SendOptions): void {
    if (!canSendData(this.#endpoint.state)) {
      throw new InvalidStateError(`Cannot send message: the connection is ${this.#endpoint.state}`);
    }
    // §5.4: fragments of one message must not be interleaved with another message.
    if (opcode !== OPCODE.Continuation && this.#sending !== 0) {
      throw new InvalidStateError("Cannot send message: a fragmented message is in progress");
    }
    let rsv = 0;
    // Extensions transform whole messages; fragments sent by hand go as they are.
    if (
      opcode !== OPCODE.Continuation && fin && this.#extensions.length > 0 &&
      options?.compress !== false
    ) {
      for (const extension of this.#extensions) {
        const encoded = extension.encode(data);
        data = encoded.payload;
        rsv |= encoded.rsv;
      }
    }
    this.#sending = fin ? 0 : (opcode === OPCODE.Continuation ? this.#sending : opcode);
    const size = this.#fragmentSize;
    if (size === 0 || data.length <= size) {
      this.#sendFrame(opcode, data, fin, rsv);
      return;
    }
    // §5.4: "An unfragmented message MAY be sent as a fragmented one"; RSV
    // bits go on the first frame only.
    for (let offset = 0; offset < data.length; offset += size) {
      const last = offset + size >= data.length;
      this.#sendFrame(
        offset === 0 ? opcode : OPCODE.Continuation,
        data.subarray(offset, offset + size),
        fin && last,
        offset === 0 ? rsv : 0,
      );
    }
  }

  /**
   * Sends a ping (§5.5.2).
   *
   * @param data At most 125 bytes of application data.
   * @throws {InvalidStateError} After our close frame was sent.
   * @throws {RangeError} When `data` is over 125 bytes.
   */
  sendPing(data: Uint8Array = new Uint8Array(0)): void {
    this.#sendControl(OPCODE.Ping, data, "ping");
  }

  /**
   * Sends an unsolicited pong (§5.5.3: "serves as a unidirectional heartbeat").
   *
   * @param data At most 125 bytes of application data.
   * @throws {InvalidStateError} After our close frame was sent.
   * @throws {RangeError} When `data` is over 125 bytes.
   */
  sendPong(data: Uint8Array = new Uint8Array(0)): void {
    this.#sendControl(OPCODE.Pong, data, "pong");
  }

  #sendControl(opcode: number, data: Uint8Array, name: string): void {
    if (!canSendControl(this.#endpoint.state, this.#closeSent !== null)) {
      throw new InvalidStateError(`Cannot send ${name}: the connection is ${this.#endpoint.state}`);
    }
    if (data.length > 125) {
      throw new RangeError(
        `Cannot send ${name}: the payload is ${data.length} bytes, more than 125`,
      );
    }
    this.#sendFrame(opcode, data, true, 0);
  }

  /**
   * Starts the closing handshake (§7.1.2). After the peer's close frame it
   * throws: the answer was sent already.
   *
   * @param code A code valid on the wire (§7.4), or `undefined` for none.
   * @param reason At most 123 UTF-8 bytes; requires a code.
   * @throws {InvalidStateError} Before the connection is open, or when a close frame was sent already.
   * @throws {RangeError} For a code not valid on the wire or a reason too long.
   */
  sendClose(code?: number, reason = ""): void {
    if (code !== undefined && !isReceivableCloseCode(code)) {
      throw new RangeError(`Cannot send close: ${code} is not a valid close code`);
    }
    const payload = encodeClosePayload(code, reason);
    if (!canSendControl(this.#endpoint.state, this.#closeSent !== null)) {
      throw new InvalidStateError(`Cannot send close: the connection is ${this.#endpoint.state}`);
    }
    this.#closeSent = { code: code ?? CLOSE_CODE.NoStatusReceived, reason };
    this.#sendFrame(OPCODE.Close, payload, true, 0);
    this.#endpoint.state = "closing";
  }

  /**
   * Fails the connection for a local reason (§7.1.7), e.g. a keepalive
   * timeout: sends a close frame with `code` if one may still be sent, and
   * discards everything received afterwards. The close event follows
   * {@linkcode receiveEof}. Before the connection opened, it ends it at once
   * (close event with 1006) and `code` is not sent.
   *
   * @param code The close code to send, e.g. 1011.
   * @param reason A short reason; cut to 123 bytes.
   * @throws {RangeError} After the connection opened, for a code not valid on the wire (§7.4).
   */
  fail(code: number, reason = ""): void {
    if (this.#endpoint.failEarly()) return;
    if (!isReceivableCloseCode(code)) {
      throw new RangeError(`Cannot fail connection: ${code} is not a valid close code`);
    }
    this.#failWith(code, truncateCloseReason(reason), null);
  }

  #fail(code: number, error: ProtocolError): void {
    // The reason sent on the wire is short and free of internal detail (guide §3).
    this.#failWith(code, "", error);
  }

  #failWith(code: number, reason: string, error: ProtocolError | null): void {
    if (this.#endpoint.failed) return;
    this.#endpoint.failed = true;
    if (error !== null) this.#endpoint.error = error;
    // §7.1.7: "An endpoint MAY send a Close frame before failing"; we do when
    // no close frame was sent yet.
    if (canSendControl(this.#endpoint.state, this.#closeSent !== null)) {
      this.#closeSent = { code, reason };
      this.#sendCloseFrame(code, reason);
    }
    // Reported now; the close event waits for the end of the transport.
    this.#endpoint.emit({ type: "fail", code, error });
    this.#endpoint.state = this.#closeReceived === null ? "closing" : "closed";
    if (this.side === "server") this.#endpoint.sendEof();
  }

  #sendCloseFrame(code: number | undefined, reason: string): void {
    this.#closeSent ??= { code: code ?? CLOSE_CODE.NoStatusReceived, reason };
    this.#sendFrame(OPCODE.Close, encodeClosePayload(code, reason), true, 0);
  }

  #sendFrame(opcode: number, payload: Uint8Array, fin: boolean, rsv: number): void {
    // §5.3: a client masks every frame with a fresh, unpredictable key.
    const mask = this.side === "client" ? this.#randomBytes(4) : null;
    if (this.#trace !== undefined) this.traceFrame("out", opcode, fin, rsv, payload.length);
    const chunks = encodeFrame({ fin, rsv, opcode, payload }, mask, this.#allocateFrame);
    for (const chunk of chunks) this.#endpoint.queue(chunk);
  }

  /**
   * Takes the events reported since the last call, in order.
   *
   * @returns The events.
   */
  eventsReceived(): ConnectionEvent[] {
    // A driver that never calls releaseFailure() still sees the failure:
    // it is applied once the messages before it were taken.
    return this.#endpoint.eventsReceived();
  }

  /**
   * Takes the bytes to write since the last call, in order. An empty chunk
   * means end of stream: half-close the transport (after writing what comes
   * before it).
   *
   * @returns The chunks.
   */
  dataToSend(): Bytes[] {
    return this.#endpoint.dataToSend();
  }

  /**
   * Whether the peer should end the transport soon, so the driver should
   * start its close timer and close the transport when it expires (§7.1.1).
   *
   * @returns `true` once the closing handshake is done or the connection failed.
   */
  closeExpected(): boolean {
    const endpoint = this.#endpoint;
    return endpoint.closeExpected(
      expectsClose(endpoint.state, endpoint.failed, this.#closeSent !== null),
    );
  }
}

/** The offers of a connection whose handshake is over. */
const NOTHING_OFFERED: readonly never[] = Object.freeze([]);

/**
 * The client side of a WebSocket connection, from the opening handshake on
 * (RFC 6455 §4.1).
 *
 * @example Opening, echoing a message and closing over bytes
 * ```ts
 * import { ClientConnection } from "./connection.ts";
 * import assert from "node:assert/strict";
 *
 * const client = new ClientConnection("ws://example.com/chat", { randomBytes: (n) => new Uint8Array(n) });
 * const [request] = client.dataToSend();
 * assert.match(new TextDecoder().decode(request), /^GET \/chat HTTP\/1\.1\r\n/);
 *
 * client.receiveData(new TextEncoder().encode(
 *   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
 *     "Sec-WebSocket-Accept: ICX+Yqv66kxgM0FcWaLWlFLwTAI=\r\n\r\n",
 * ));
 * client.receiveData(new Uint8Array([0x81, 0x02, 0x68, 0x69])); // a text frame "hi"
 * const events = client.eventsReceived();
 * assert.deepEqual(events.map((event) => event.type), ["open", "message"]);
 * assert.equal(client.state, "open");
 * ```
 */
export class ClientConnection extends Connection {
  /** The parsed URL. */
  readonly url: WebSocketUrl;
  /** The `Sec-WebSocket-Key` sent (§4.1 item 7). */
  readonly key: string;
  /** The protocol version spoken: `"rfc6455"` or `"hybi-10"`. */
  readonly protocolVersion: HybiVersion;
  #protocols: readonly string[];
  #offers: readonly Extension[];
  /** The handshake response's reader; dropped once the handshake is over (idle memory). */
  #response: ResponseReader | null;
  #handshake: HandshakeResult | null = null;
  #requestQueued = false;
  readonly #endpoint = endpointOf(this);

  /**
   * Creates the connection and queues the opening handshake request.
   *
   * @param url A `ws:`, `wss:`, `http:` or `https:` URL, or one parsed already.
   * @param options Handshake settings and limits.
   * @throws {SyntaxError} For an invalid URL or subprotocol list.
   * @throws {TypeError} For invalid or forbidden headers.
   * @throws {RangeError} For invalid limits.
   */
  constructor(url: string | URL | WebSocketUrl, options: ClientConnectionOptions = {}) {
    super("client", "connecting", options);
    this.url = typeof url === "string" || url instanceof URL ? parseWebSocketUrlOnce(url) : url;
    this.#protocols = options.protocols ?? [];
    this.#offers = options.extensions ?? [];
    this.#response = this.#endpoint.responseReader(options.maxHandshakeSize, CLIENT_LIMITS, {
      switching: (head, leftover) => this.#open(head, leftover),
      refused: (head, body) => this.#refuse(head, body),
    });
    const version = options.protocolVersion ?? "rfc6455";
    if (version !== "rfc6455" && version !== "hybi-10") {
      throw new RangeError(
        `Cannot create connection: ClientConnection speaks rfc6455 and hybi-10, not ${
          JSON.stringify(version)
        }; use createClientConnection()`,
      );
    }
    this.protocolVersion = version;
    this.key = generateKey(options.randomBytes ?? secureRandomBytes);
    const request: HandshakeRequestOptions = {
      url: this.url,
      key: this.key,
      protocolVersion: version,
      protocols: this.#protocols,
      extensions: this.#offers,
      ...(options.origin === undefined ? {} : { origin: options.origin }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
    };
    this.#endpoint.queue(createHandshakeRequest(request));
    this.#requestQueued = true;
  }

  /**
   * Takes the bytes to write (see {@linkcode Connection.dataToSend}); the
   * handshake request is traced when it is taken, i.e. handed to the wire.
   *
   * @returns The chunks.
   */
  override dataToSend(): Bytes[] {
    const chunks = super.dataToSend();
    if (this.#requestQueued && chunks.length > 0) {
      this.#requestQueued = false;
      this.#endpoint.trace({ type: "handshake", direction: "out", status: 0 });
    }
    return chunks;
  }

  /** The validated handshake response once open, else `null`. */
  get handshake(): HandshakeResult | null {
    return this.#handshake;
  }

  /** The subprotocol the server chose, "" when none (or not open yet). */
  get protocol(): string {
    return this.#handshake?.protocol ?? "";
  }

  /** The extensions the server accepted, as it wrote them, "" when none. */
  get extensions(): string {
    return this.#handshake?.extensionsHeader ?? "";
  }

  /**
   * Feeds bytes from the server: the handshake response first, then frames.
   * Never throws because of what the server sent.
   *
   * @param chunk The bytes; not modified, but possibly kept as a view.
   * @param maxMessages Stop once this many messages were parsed (see
   * {@linkcode Connection.receiveData}); the bytes after the handshake
   * response are parsed whole.
   * @returns `true` when it stopped with bytes left: call again.
   */
  override receiveData(chunk: Uint8Array, maxMessages?: number): boolean {
    if (this.state !== "connecting") return super.receiveData(chunk, maxMessages);
    this.#response!.push(chunk);
    if (this.state !== "connecting") this.#response = null;
    return false;
  }

  #open(head: ResponseHead, leftover: Uint8Array): void {
    let result: HandshakeResult;
    try {
      result = validateHandshakeResponse(head, {
        key: this.key,
        protocols: this.#protocols,
        extensions: this.#offers,
      });
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
      this.#endpoint.failHandshake(error);
      return;
    }
    // Kept for as long as the connection lives: headers as one string until read.
    result = new CompactHandshakeResult(result);
    this.#handshake = result;
    // What was offered matters only to the handshake: an open connection keeps none of it.
    this.#protocols = this.#offers = NOTHING_OFFERED;
    this.startFraming(result.extensions);
    this.#endpoint.emit({ type: "open", handshake: result });
    // The bytes after the head are the first frames (h11 `trailing_data`).
    if (leftover.length > 0) super.receiveData(leftover);
  }

  #refuse(head: ResponseHead, body: Uint8Array): void {
    try {
      validateHandshakeResponse(head, {
        key: this.key,
        protocols: this.#protocols,
        extensions: this.#offers,
        body,
      });
      // A non-101 head always fails validation; this line is not reached.
      throw new HandshakeError(
        "UNEXPECTED_STATUS",
        `Cannot open connection: server answered ${head.status}`,
      );
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
      this.#endpoint.failHandshake(error);
    }
  }

  /**
   * Reports that the server ended the byte stream. Before the handshake
   * completed, this fails it with `UNEXPECTED_EOF` (or the refused status
   * with the body received so far).
   */
  override receiveEof(): void {
    // The head parser knows how far the head got (status line, byte count).
    if (this.state === "connecting" && !this.#response!.end()) {
      this.#endpoint.failHandshake(this.#response!.incompleteHead() ?? endedDuringHandshake());
    }
    super.receiveEof();
  }
}
