/**
 * The incremental frame parser (RFC 6455 §5.2).
 *
 * It knows only the frame format and the frame size limit. Rules about
 * messages (continuation, RSV bits owned by extensions, message size) are
 * checked by the `checkHeader` hook, which the message assembler provides,
 * so that a bad frame is refused as soon as its header arrives, before its
 * payload is buffered.
 *
 * The parser is a state machine with one method per state over a
 * {@linkcode ChunkQueue}: it gives the same frames whatever the chunk
 * boundaries are.
 *
 * @module
 */

import { ChunkQueue } from "./chunk_queue.ts";
import { ProtocolError } from "../errors.ts";
import type { Frame } from "./frame.ts";
import { maskInPlace } from "./mask.ts";
import { isControl, isKnownOpcode } from "./opcode.ts";

/** Options of {@linkcode FrameParser}. */
export interface FrameParserOptions {
  /**
   * The largest payload accepted in one frame, in bytes (§10.4). Larger
   * frames fail with `FRAME_TOO_BIG` (close code 1009) before any of the
   * payload is buffered.
   */
  readonly maxFrameSize: number;
  /**
   * `false` for a client, which must refuse masked frames; `true` for a
   * server, which must refuse unmasked ones (§5.1).
   */
  readonly expectMask: boolean;
  /**
   * Called with each header before the payload is read; throws a
   * {@linkcode ProtocolError} to refuse the frame.
   */
  readonly checkHeader?: (fin: boolean, rsv: number, opcode: number, length: number) => void;
  /**
   * Called, for a payload that spans chunks, with each part of it as it
   * arrives (unmasked), before the frame is complete; throws a
   * {@linkcode ProtocolError} to refuse the frame at once. The message
   * assembler checks text as it arrives this way (§8.1: fail fast). A
   * payload that lies in one chunk comes whole with its frame instead.
   */
  readonly checkPayloadPart?: (part: Uint8Array) => void;
  /**
   * Allocates the buffer that gathers a payload spanning chunks: a
   * `Uint8Array` of exactly `length` bytes, the whole of an `ArrayBuffer`
   * that nothing else uses. Its bytes need not be zeroed: the parser writes
   * every one of them before the frame is returned, and never exposes the
   * buffer before (a payload part handed to `checkPayloadPart` is only
   * what was written). A driver passes its runtime's uninitialized
   * allocation (e.g. Node's `Buffer.allocUnsafeSlow`), which saves zeroing
   * each large payload before it is overwritten.
   * @default `(length) => new Uint8Array(length)`
   */
  readonly allocate?: (length: number) => Uint8Array;
}

const STATE = {
  Header: 0,
  Length16: 1,
  Length64: 2,
  MaskKey: 3,
  Payload: 4,
} as const;
type ParserState = typeof STATE[keyof typeof STATE];

/**
 * Parses frames from bytes pushed in any chunks.
 *
 * @example Parsing RFC 6455 §5.7's unmasked "Hello", split in two
 * ```ts
 * import { FrameParser } from "./frame_parser.ts";
 * import assert from "node:assert/strict";
 *
 * const parser = new FrameParser({ maxFrameSize: 1024, expectMask: false });
 * parser.push(new Uint8Array([0x81, 0x05, 0x48, 0x65]));
 * assert.equal(parser.next(), null);
 * parser.push(new Uint8Array([0x6c, 0x6c, 0x6f]));
 * const frame = parser.next()!;
 * assert.equal(frame.opcode, 1);
 * assert.equal(new TextDecoder().decode(frame.payload), "Hello");
 * ```
 */
export class FrameParser {
  #queue = new ChunkQueue();
  #state: ParserState = STATE.Header;
  #maxFrameSize: number;
  #expectMask: boolean;
  #checkHeader: FrameParserOptions["checkHeader"];
  #checkPayloadPart: FrameParserOptions["checkPayloadPart"];
  #allocate: (length: number) => Uint8Array;
  // The frame being parsed.
  #fin = false;
  #rsv = 0;
  #opcode = 0;
  #masked = false;
  #length = 0;
  #mask: Uint8Array | null = null;
  // A payload that spans chunks is gathered here.
  #payload: Uint8Array | null = null;
  #received = 0;

  /**
   * Creates a parser.
   *
   * @param options Limits, masking direction and the header hook.
   */
  constructor(options: FrameParserOptions) {
    this.#maxFrameSize = options.maxFrameSize;
    this.#expectMask = options.expectMask;
    this.#checkHeader = options.checkHeader;
    this.#checkPayloadPart = options.checkPayloadPart;
    this.#allocate = options.allocate ?? zeroed;
  }

  /**
   * Adds received bytes. The parser keeps a reference to `chunk` until its
   * bytes are parsed; the caller must not modify it.
   *
   * @param chunk The bytes.
   */
  push(chunk: Uint8Array): void {
    this.#queue.push(chunk);
  }

  /** Bytes pushed and not yet returned in a frame (the partial frame's payload included). */
  get bufferedAmount(): number {
    return this.#queue.byteLength + this.#received;
  }

  /**
   * Returns the next complete frame, or `null` when more bytes are needed.
   *
   * @returns The frame; its payload is a view into pushed chunks when it
   * lay in one chunk.
   * @throws {ProtocolError} When the frame breaks §5 or a limit. The parser
   * must not be used afterwards.
   */
  next(): Frame | null {
    if (this.#state === STATE.Header) {
      const frame = this.#frameInFrontChunk();
      if (frame !== null) return frame;
    }
    while (true) {
      switch (this.#state) {
        case STATE.Header:
          if (!this.#readHeader()) return null;
          break;
        case STATE.Length16:
          if (!this.#readLength16()) return null;
          break;
        case STATE.Length64:
          if (!this.#readLength64()) return null;
          break;
        case STATE.MaskKey:
          if (!this.#readMaskKey()) return null;
          break;
        case STATE.Payload:
          return this.#readPayload();
      }
    }
  }

  /**
   * The payload of the next frame when it is a whole message in one frame
   * with no RSV bit (FIN set, text or binary) lying, header and payload, in
   * the front chunk: the overwhelmingly common case, without a `Frame`
   * object. Its opcode is then in {@linkcode FrameParser.wholeOpcode}. The
   * same checks as {@linkcode FrameParser.next} (the `checkHeader` hook
   * included), with the same outcome; `null`, having read nothing, for any
   * other frame: call `next()` for it.
   *
   * @returns The payload, a view into the pushed chunk, or `null`.
   * @throws {ProtocolError} As `next()` does for that frame.
   *
   * @example A binary message in one frame
   * ```ts
   * import { FrameParser } from "./frame_parser.ts";
   * import assert from "node:assert/strict";
   *
   * const parser = new FrameParser({ maxFrameSize: 1024, expectMask: false });
   * parser.push(new Uint8Array([0x82, 0x02, 0x01, 0x02, 0x01, 0x00]));
   * assert.deepEqual([...parser.nextWholeMessage()!], [1, 2]);
   * assert.equal(parser.wholeOpcode, 2);
   * assert.equal(parser.nextWholeMessage(), null); // a fragment: next() reads it
   * assert.equal(parser.next()!.fin, false);
   * ```
   */
  nextWholeMessage(): Uint8Array | null {
    if (this.#state !== STATE.Header) return null;
    return this.#payloadInFrontChunk(true);
  }

  /** The opcode of the payload {@linkcode FrameParser.nextWholeMessage} returned last. */
  get wholeOpcode(): number {
    return this.#opcode;
  }

  /**
   * The common case in one step: an unmasked data frame whose header (with
   * a 7- or 16-bit length) and payload lie in the front chunk, as most
   * frames a server sends. The same checks as the states below, in the same
   * order, with the same outcome; `null`, having read nothing, for any
   * other frame (masked, control, reserved opcode, 64-bit length, split
   * across chunks, over a limit): the state machine takes it.
   */
  #frameInFrontChunk(): Frame | null {
    const payload = this.#payloadInFrontChunk(false);
    if (payload === null) return null;
    return { fin: this.#fin, rsv: this.#rsv, opcode: this.#opcode, payload };
  }

  /**
   * The payload of {@linkcode FrameParser.#frameInFrontChunk}'s frame, its
   * header in `#fin`, `#rsv` and `#opcode` (free while the state is
   * `Header`); with `whole`, only for a final text or binary frame with no
   * RSV bit.
   */
  #payloadInFrontChunk(whole: boolean): Uint8Array | null {
    const queue = this.#queue;
    const chunk = queue.front;
    if (chunk === undefined || this.#expectMask) return null;
    const at = queue.offset;
    const available = chunk.length - at;
    if (available < 2) return null;
    const b0 = chunk[at]!;
    const opcode = b0 & 0x0f;
    if (whole) {
      // FIN, no RSV bit, text (0x81) or binary (0x82).
      if (b0 !== 0x81 && b0 !== 0x82) return null;
    } else if (opcode > 2) {
      // Continuation, text or binary; the others have checks of their own.
      return null;
    }
    const b1 = chunk[at + 1]!;
    // b1 < 126: MASK clear and a 7-bit length; 126: MASK clear and a 16-bit one.
    let header = 2;
    let length = b1;
    if (b1 === 126) {
      if (available < 4) return null;
      header = 4;
      length = (chunk[at + 2]! << 8) | chunk[at + 3]!;
      if (length < 126) return null; // NON_MINIMAL_LENGTH
    } else if (b1 > 126) {
      return null;
    }
    if (available - header < length || length > this.#maxFrameSize) return null;
    const fin = (b0 & 0x80) !== 0;
    const rsv = (b0 >>> 4) & 0x7;
    this.#checkHeader?.(fin, rsv, opcode, length);
    this.#fin = fin;
    this.#rsv = rsv;
    this.#opcode = opcode;
    // As ChunkQueue.consume: a view of the chunk, a new empty array for no bytes.
    const payload = length === 0 ? new Uint8Array(0) : queue.frontView(at + header, length);
    queue.skip(header + length);
    return payload;
  }

  /** First two bytes: FIN, RSV, opcode, MASK and the 7-bit length (§5.2). */
  #readHeader(): boolean {
    if (this.#queue.byteLength < 2) return false;
    const b0 = this.#queue.readByte();
    const b1 = this.#queue.readByte();
    this.#fin = (b0 & 0x80) !== 0;
    this.#rsv = (b0 >>> 4) & 0x7;
    this.#opcode = b0 & 0x0f;
    this.#masked = (b1 & 0x80) !== 0;
    const length7 = b1 & 0x7f;
    // §5.2: "If an unknown opcode is received, the receiving endpoint MUST
    // _Fail the WebSocket Connection_."
    if (!isKnownOpcode(this.#opcode)) {
      throw new ProtocolError(
        "RESERVED_OPCODE",
        `Cannot parse frame: reserved opcode 0x${this.#opcode.toString(16)}`,
      );
    }
    // §5.1: "A client MUST close a connection if it detects a masked frame";
    // "The server MUST close the connection upon receiving a frame that is not masked."
    if (this.#masked !== this.#expectMask) {
      throw this.#masked
        ? new ProtocolError("MASKED_FRAME", "Cannot parse frame: a server frame is masked")
        : new ProtocolError("UNMASKED_FRAME", "Cannot parse frame: a client frame is not masked");
    }
    if (isControl(this.#opcode)) {
      // §5.5: "All control frames MUST have a payload length of 125 bytes or
      // less and MUST NOT be fragmented."
      if (!this.#fin) {
        throw new ProtocolError(
          "FRAGMENTED_CONTROL_FRAME",
          "Cannot parse frame: a control frame has FIN clear",
        );
      }
      if (length7 > 125) {
        throw new ProtocolError(
          "CONTROL_FRAME_TOO_LONG",
          "Cannot parse frame: a control frame is longer than 125 bytes",
        );
      }
    }
    if (length7 === 126) {
      this.#state = STATE.Length16;
    } else if (length7 === 127) {
      this.#state = STATE.Length64;
    } else {
      this.#setLength(length7);
    }
    return true;
  }

  /** The 16-bit extended length (§5.2: "If 126, the following 2 bytes"). */
  #readLength16(): boolean {
    if (this.#queue.byteLength < 2) return false;
    const length = (this.#queue.readByte() << 8) | this.#queue.readByte();
    // §5.2: "the minimal number of bytes MUST be used to encode the length".
    if (length < 126) {
      throw new ProtocolError(
        "NON_MINIMAL_LENGTH",
        `Cannot parse frame: length ${length} is encoded in 16 bits`,
      );
    }
    this.#setLength(length);
    return true;
  }

  /** The 64-bit extended length (§5.2: "If 127, the following 8 bytes"). */
  #readLength64(): boolean {
    if (this.#queue.byteLength < 8) return false;
    const q = this.#queue;
    const high =
      ((q.readByte() << 24) | (q.readByte() << 16) | (q.readByte() << 8) | q.readByte()) >>> 0;
    const low =
      ((q.readByte() << 24) | (q.readByte() << 16) | (q.readByte() << 8) | q.readByte()) >>> 0;
    // §5.2: "the most significant bit MUST be 0".
    if (high >= 0x80000000) {
      throw new ProtocolError(
        "INVALID_PAYLOAD_LENGTH",
        "Cannot parse frame: the 64-bit length has its most significant bit set",
      );
    }
    if (high === 0 && low < 0x10000) {
      throw new ProtocolError(
        "NON_MINIMAL_LENGTH",
        `Cannot parse frame: length ${low} is encoded in 64 bits`,
      );
    }
    // Above 2^53 the length is not exact; any such frame is over every limit.
    const length = high >= 0x200000 ? Infinity : high * 0x100000000 + low;
    this.#setLength(length);
    return true;
  }

  #setLength(length: number): void {
    // §10.4: "implementations SHOULD impose a limit on frame sizes".
    if (length > this.#maxFrameSize) {
      throw new ProtocolError(
        "FRAME_TOO_BIG",
        `Cannot parse frame: the payload is ${length} bytes, more than the limit of ${this.#maxFrameSize}`,
      );
    }
    this.#length = length;
    this.#checkHeader?.(this.#fin, this.#rsv, this.#opcode, length);
    this.#state = this.#masked ? STATE.MaskKey : STATE.Payload;
  }

  /** The 4-byte masking key (§5.3), present on client-to-server frames. */
  #readMaskKey(): boolean {
    if (this.#queue.byteLength < 4) return false;
    this.#mask = this.#queue.consume(4).slice();
    this.#state = STATE.Payload;
    return true;
  }

  /** The payload: a view when it lies in one chunk, else gathered once. */
  #readPayload(): Frame | null {
    const length = this.#length;
    let payload: Uint8Array;
    if (this.#payload === null) {
      if (this.#queue.byteLength >= length) {
        payload = this.#queue.consume(length);
        // Never unmask bytes we did not allocate (guide §7): copy first.
        if (this.#mask !== null && length > 0) {
          payload = payload.slice();
          maskInPlace(payload, this.#mask);
        }
      } else {
        const payload = this.#allocate(length);
        if (payload.length !== length) {
          // A bug in the hook, not the peer's fault: the driver fails the connection with 1011.
          throw new TypeError(
            `Cannot gather payload: ${payload.length} bytes allocated for ${length}`,
          );
        }
        this.#payload = payload;
        this.#received = 0;
        this.#gather();
        return null;
      }
    } else {
      this.#gather();
      if (this.#received < length) return null;
      payload = this.#payload;
      this.#payload = null;
      this.#received = 0;
    }
    this.#mask = null;
    this.#state = STATE.Header;
    return { fin: this.#fin, rsv: this.#rsv, opcode: this.#opcode, payload };
  }

  /** Copies what arrived of a payload that spans chunks, unmasks it and hands it to the hook. */
  #gather(): void {
    const start = this.#received;
    const take = Math.min(this.#queue.byteLength, this.#length - start);
    if (take === 0) return;
    this.#queue.copyInto(this.#payload!, start, take);
    this.#received += take;
    const part = this.#payload!.subarray(start, start + take);
    if (this.#mask !== null) maskInPlace(part, this.#mask, start & 3);
    this.#checkPayloadPart?.(part);
  }
}

function zeroed(length: number): Uint8Array {
  return new Uint8Array(length);
}
