/**
 * The framing of the pre-RFC versions, hixie-75 and hybi-00
 * (draft-hixie-thewebsocketprotocol-75 §4.2/§5.3,
 * draft-ietf-hybi-thewebsocketprotocol-00 §4.2/§5.3): bytes to frames.
 *
 * Two kinds of frames exist, told apart by the high bit of the first byte,
 * the "frame type":
 * - high bit clear: a sentinel frame, the data runs to the next 0xFF byte.
 *   Type 0x00 is a UTF-8 text message, the only data frame ever deployed.
 * - high bit set: a length-prefixed frame, the length in base-128 digits,
 *   most significant first, each but the last with its high bit set. In
 *   hybi-00, type 0xFF with length 0 (the bytes 0xFF 0x00) starts or
 *   answers the closing handshake.
 *
 * Decisions (the drafts say to discard unknown frames and raise a
 * non-fatal "error", which this core does not have):
 * - Length-prefixed frames other than the close frame are read and
 *   skipped, as both drafts describe (§4.2 steps "Read /length/ bytes.
 *   Discard the read bytes"): they were reserved for binary data that no
 *   deployed peer sent, and skipping keeps the stream in sync. Their length
 *   is bounded by `maxFrameSize` (`FRAME_TOO_BIG`), and its encoding by 8
 *   bytes (`INVALID_LEGACY_FRAME`).
 * - In hixie-75, which has no closing handshake, 0xFF 0x00 is such an empty
 *   frame and is skipped.
 * - A sentinel frame of a type other than 0x00 fails with
 *   `INVALID_LEGACY_FRAME`, and so does any byte between frames: the seed
 *   library skips bytes before a 0x00, which would read an RFC 6455 peer's
 *   bytes as text.
 * - Text is validated as it arrives (`INVALID_UTF8`; the drafts decode with
 *   replacement characters) and bounded by `maxMessageSize`
 *   (`MESSAGE_TOO_BIG`).
 *
 * @module
 */

import { Deque } from "../encoding/deque.ts";
import { ProtocolError } from "../errors.ts";
import type { Bytes } from "../frames/frame.ts";
import { Utf8StreamDecoder } from "../encoding/utf8.ts";

/** A frame read by {@linkcode LegacyFrameParser}. */
export type LegacyFrame =
  | {
    /** A text message (frame type 0x00). */
    readonly type: "text";
    /** The decoded text. */
    readonly data: string;
    /** Its length in UTF-8 bytes. */
    readonly length: number;
  }
  | {
    /** The closing handshake's 0xFF 0x00 (hybi-00 only). */
    readonly type: "close";
  };

/** Options of {@linkcode LegacyFrameParser}. */
export interface LegacyFrameParserOptions {
  /** The largest text message, in UTF-8 bytes. */
  readonly maxMessageSize: number;
  /** The largest length-prefixed frame, which is skipped. @default maxMessageSize */
  readonly maxFrameSize?: number;
  /** Whether 0xFF 0x00 is the close frame (hybi-00) or an empty frame to skip (hixie-75). */
  readonly closeFrame: boolean;
}

/** The bytes 0xFF 0x00: hybi-00's close frame (§4.2, §6). */
export const LEGACY_CLOSE_FRAME: Bytes = new Uint8Array([0xff, 0x00]);

/** At most 8 base-128 length digits: 56 bits, more than any limit here. */
const MAX_LENGTH_DIGITS = 8;

const TYPE = 0;
const TEXT = 1;
const LENGTH = 2;
const SKIP = 3;

/**
 * Reads legacy frames from chunks of any size, keeping nothing but the
 * text decoded so far.
 *
 * @example Text, a skipped length-prefixed frame, and the close frame
 * ```ts
 * import { LegacyFrameParser } from "./legacy_frame.ts";
 * import assert from "node:assert/strict";
 *
 * const parser = new LegacyFrameParser({ maxMessageSize: 1024, closeFrame: true });
 * parser.push(new Uint8Array([0x00, 0x68, 0x69, 0xff, 0x80, 0x02, 0x01, 0x02, 0xff, 0x00]));
 * assert.deepEqual(parser.next(), { type: "text", data: "hi", length: 2 });
 * assert.deepEqual(parser.next(), { type: "close" });
 * assert.equal(parser.next(), null);
 * ```
 */
export class LegacyFrameParser {
  #maxMessageSize: number;
  #maxFrameSize: number;
  #closeFrame: boolean;
  #chunks = new Deque<Uint8Array>();
  #offset = 0;
  #buffered = 0;
  #state = TYPE;
  #frameType = 0;
  #length = 0;
  #digits = 0;
  #text = new Utf8StreamDecoder();
  #size = 0;
  #error: ProtocolError | null = null;

  /**
   * Creates a parser.
   *
   * @param options Limits, and whether 0xFF 0x00 closes.
   */
  constructor(options: LegacyFrameParserOptions) {
    this.#maxMessageSize = options.maxMessageSize;
    this.#maxFrameSize = options.maxFrameSize ?? options.maxMessageSize;
    this.#closeFrame = options.closeFrame;
  }

  /** Bytes received and not yet read. */
  get bufferedAmount(): number {
    return this.#buffered;
  }

  /** Whether a frame has begun and not ended: end of stream now loses data. */
  get inFrame(): boolean {
    return this.#state !== TYPE;
  }

  /**
   * Adds received bytes. The parser keeps a view: do not modify them.
   *
   * @param chunk The bytes.
   */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0 || this.#error !== null) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /**
   * Reads the next frame.
   *
   * @returns The frame, or `null` when more bytes are needed.
   * @throws {ProtocolError} `INVALID_LEGACY_FRAME`, `INVALID_UTF8`,
   * `MESSAGE_TOO_BIG` or `FRAME_TOO_BIG`; the same error again afterwards.
   */
  next(): LegacyFrame | null {
    if (this.#error !== null) throw this.#error;
    try {
      while (this.#chunks.length > 0) {
        const frame = this.#step();
        if (frame !== null) return frame;
      }
      return null;
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.#error = error;
        this.#chunks.clear();
        this.#buffered = 0;
      }
      throw error;
    }
  }

  /** Runs the current state on the first chunk. */
  #step(): LegacyFrame | null {
    switch (this.#state) {
      case TYPE:
        return this.#readType();
      case TEXT:
        return this.#readText();
      case LENGTH:
        return this.#readLength();
      default:
        this.#skip();
        return null;
    }
  }

  #readByte(): number {
    const chunk = this.#chunks.peek()!;
    const byte = chunk[this.#offset++]!;
    this.#buffered--;
    if (this.#offset === chunk.length) this.#shift();
    return byte;
  }

  #shift(): void {
    this.#chunks.shift();
    this.#offset = 0;
  }

  /** §4.2 step 1: "Try to read a byte from the server. Let /frame type/ be that byte." */
  #readType(): LegacyFrame | null {
    const type = this.#readByte();
    this.#frameType = type;
    if ((type & 0x80) !== 0) {
      this.#length = 0;
      this.#digits = 0;
      this.#state = LENGTH;
      return null;
    }
    // §4.2: "If /frame type/ is 0x00, then a WebSocket message has been received
    // ... Otherwise, discard the data and let /error/ be true" - fatal here.
    if (type !== 0x00) {
      throw new ProtocolError(
        "INVALID_LEGACY_FRAME",
        `Cannot parse frame: unknown frame type 0x${type.toString(16).padStart(2, "0")}`,
      );
    }
    this.#size = 0;
    this.#state = TEXT;
    return null;
  }

  /** §4.2: "_Data_: Read a byte, let /b/ be that byte. If /b/ is not 0xFF, then append /b/ to /raw data/". */
  #readText(): LegacyFrame | null {
    const chunk = this.#chunks.peek()!;
    const start = this.#offset;
    const end = chunk.indexOf(0xff, start);
    const stop = end === -1 ? chunk.length : end;
    this.#size += stop - start;
    if (this.#size > this.#maxMessageSize) {
      throw new ProtocolError(
        "MESSAGE_TOO_BIG",
        `Cannot receive message: more than ${this.#maxMessageSize} bytes`,
      );
    }
    if (stop > start && !this.#text.push(chunk.subarray(start, stop))) throw invalidUtf8();
    this.#buffered -= stop - start;
    this.#offset = stop;
    if (end === -1) {
      this.#shift();
      return null;
    }
    this.#readByte(); // the 0xFF
    this.#state = TYPE;
    const data = this.#text.end();
    if (data === null) throw invalidUtf8();
    return { type: "text", data, length: this.#size };
  }

  /** §4.2: "Multiply /length/ by 128, add /b_v/ ... If the high-order bit of /b/ is set, then return to the step above". */
  #readLength(): LegacyFrame | null {
    const byte = this.#readByte();
    this.#length = this.#length * 128 + (byte & 0x7f);
    this.#digits++;
    if (this.#length > this.#maxFrameSize) {
      throw new ProtocolError(
        "FRAME_TOO_BIG",
        `Cannot receive frame: more than ${this.#maxFrameSize} bytes`,
      );
    }
    if ((byte & 0x80) !== 0) {
      if (this.#digits >= MAX_LENGTH_DIGITS) {
        throw new ProtocolError(
          "INVALID_LEGACY_FRAME",
          `Cannot parse frame: the length takes more than ${MAX_LENGTH_DIGITS} bytes`,
        );
      }
      return null;
    }
    // hybi-00 §4.2: "If the /frame type/ is 0xFF and the /length/ was 0, then
    // ... start the WebSocket closing handshake".
    if (this.#frameType === 0xff && this.#length === 0 && this.#closeFrame) {
      this.#state = TYPE;
      return { type: "close" };
    }
    this.#state = this.#length === 0 ? TYPE : SKIP;
    return null;
  }

  /** §4.2: "Read /length/ bytes. Discard the read bytes." */
  #skip(): void {
    const chunk = this.#chunks.peek()!;
    const take = Math.min(this.#length, chunk.length - this.#offset);
    this.#length -= take;
    this.#buffered -= take;
    this.#offset += take;
    if (this.#offset === chunk.length) this.#shift();
    if (this.#length === 0) this.#state = TYPE;
  }
}

function invalidUtf8(): ProtocolError {
  return new ProtocolError("INVALID_UTF8", "Cannot receive message: the text is not valid UTF-8");
}

/**
 * Encodes a text frame: 0x00, the UTF-8 bytes, 0xFF (§4.2 / §5.3 "send
 * /data/ ... as a 0x00 byte, the UTF-8 text, and a 0xFF byte").
 *
 * @example The frame of "hi"
 * ```ts
 * import { encodeLegacyText } from "./legacy_frame.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual([...encodeLegacyText(new TextEncoder().encode("hi"))], [0x00, 0x68, 0x69, 0xff]);
 * ```
 *
 * @param utf8 Valid UTF-8 (which never holds the byte 0xFF); only read.
 * @returns A new buffer holding the frame.
 */
export function encodeLegacyText(utf8: Uint8Array): Bytes {
  const frame = new Uint8Array(utf8.length + 2);
  frame.set(utf8, 1);
  frame[utf8.length + 1] = 0xff;
  return frame;
}
