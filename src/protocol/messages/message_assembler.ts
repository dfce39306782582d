/**
 * Data frames to messages (RFC 6455 §5.4, §5.6): continuation rules, the
 * RSV bits owned by negotiated extensions, message and fragment limits,
 * UTF-8 validation across fragments, and extension decoding.
 *
 * @module
 */

import { concatBytes } from "../encoding/_bytes.ts";
import { ProtocolError } from "../errors.ts";
import type { NegotiatedExtension } from "../extensions/extension.ts";
import type { Frame } from "../frames/frame.ts";
import { OPCODE } from "../frames/opcode.ts";
import { decodeUtf8, Utf8StreamDecoder } from "../encoding/utf8.ts";

/** A complete data message. */
export type Message = string | Uint8Array;

/** Options of {@linkcode MessageAssembler}. */
export interface MessageAssemblerOptions {
  /** The largest message, in bytes after extension decoding (§10.4). */
  readonly maxMessageSize: number;
  /**
   * The most non-empty frames one message may span, and separately the most
   * empty ones (§10.4): a peer that ends a message with an empty final
   * frame, as many do, gets all `maxFragments` non-empty ones.
   */
  readonly maxFragments: number;
  /** Extensions negotiated in the handshake, in order of the response header. */
  readonly extensions?: readonly NegotiatedExtension[];
}

/**
 * Assembles data frames into messages.
 *
 * @example A text message in two fragments
 * ```ts
 * import { MessageAssembler } from "./message_assembler.ts";
 * import assert from "node:assert/strict";
 *
 * const assembler = new MessageAssembler({ maxMessageSize: 1024, maxFragments: 16 });
 * const hel = new TextEncoder().encode("Hel");
 * const lo = new TextEncoder().encode("lo");
 * assembler.checkHeader(false, 0, 0x1, hel.length);
 * assert.equal(assembler.push({ fin: false, rsv: 0, opcode: 0x1, payload: hel }), null);
 * assembler.checkHeader(true, 0, 0x0, lo.length);
 * assert.equal(assembler.push({ fin: true, rsv: 0, opcode: 0x0, payload: lo }), "Hello");
 * ```
 */
export class MessageAssembler {
  #maxMessageSize: number;
  #maxFragments: number;
  #extensions: readonly NegotiatedExtension[];
  #allowedRsv: number;
  // The message in progress: opcode 0 when none.
  #opcode = 0;
  #rsv = 0;
  #size = 0;
  #fragments = 0;
  #emptyFragments = 0;
  #parts: Uint8Array[] = [];
  #text = new Utf8StreamDecoder();
  #validateAsItArrives = true;
  // The data frame whose header was checked last, while its payload arrives.
  #frameText = false;
  #frameFed = false;

  /**
   * Creates an assembler.
   *
   * @param options Limits and negotiated extensions.
   */
  constructor(options: MessageAssemblerOptions) {
    this.#maxMessageSize = options.maxMessageSize;
    this.#maxFragments = options.maxFragments;
    this.#extensions = options.extensions ?? [];
    this.#allowedRsv = this.#extensions.reduce((bits, extension) => bits | extension.rsv, 0);
  }

  /** Whether a fragmented message is in progress. */
  get inMessage(): boolean {
    return this.#opcode !== 0;
  }

  /**
   * Checks a frame header before its payload is read, for data and control
   * frames alike (the frame parser's `checkHeader` hook).
   *
   * @param fin The FIN bit.
   * @param rsv The RSV bits.
   * @param opcode The opcode, already known to be defined.
   * @param length The payload length.
   * @throws {ProtocolError} On a rule or limit violation.
   */
  checkHeader(_fin: boolean, rsv: number, opcode: number, length: number): void {
    const starts = opcode === OPCODE.Text || opcode === OPCODE.Binary;
    // §5.2: "MUST be 0 unless an extension is negotiated that defines meanings
    // for non-zero values". Extensions own RSV bits on the first frame of a
    // data message only (RFC 7692 §6: never on control or continuation frames).
    if (rsv !== 0 && (!starts || (rsv & ~this.#allowedRsv) !== 0)) {
      throw new ProtocolError(
        "UNEXPECTED_RSV",
        `Cannot parse frame: unexpected RSV bits 0b${rsv.toString(2).padStart(3, "0")}`,
      );
    }
    this.#frameFed = false;
    this.#frameText = false;
    if (opcode >= OPCODE.Close) return;
    if (opcode === OPCODE.Continuation) {
      // §5.4: continuation frames only follow a non-final data frame.
      if (this.#opcode === 0) {
        throw new ProtocolError(
          "UNEXPECTED_CONTINUATION",
          "Cannot parse frame: a continuation frame starts no message",
        );
      }
    } else if (this.#opcode !== 0) {
      // §5.4: "fragments of one message MUST NOT be interleaved".
      throw new ProtocolError(
        "EXPECTED_CONTINUATION",
        "Cannot parse frame: a new message starts inside a fragmented one",
      );
    }
    // §10.4: limits on message size and on the number of fragments.
    if (this.#size + length > this.#maxMessageSize) {
      throw new ProtocolError(
        "MESSAGE_TOO_BIG",
        `Cannot parse message: more than the limit of ${this.#maxMessageSize} bytes`,
      );
    }
    // Non-empty fragments hold memory (a part or decoded text each): at most
    // maxFragments. Empty ones hold none but cost a header's work each: at
    // most maxFragments of them too, so a flood of them ends.
    if ((length === 0 ? this.#emptyFragments : this.#fragments) >= this.#maxFragments) {
      throw new ProtocolError(
        "TOO_MANY_FRAGMENTS",
        `Cannot parse message: more than the limit of ${this.#maxFragments} ${
          length === 0 ? "empty " : ""
        }fragments`,
      );
    }
    // Text checked as it arrives (not text an extension transformed).
    this.#frameText = opcode === OPCODE.Text
      ? rsv === 0
      : this.#opcode === OPCODE.Text && this.#validateAsItArrives;
  }

  /**
   * Checks part of the payload of the data frame whose header passed
   * {@linkcode checkHeader}, before the frame is complete (the frame
   * parser's `checkPayloadPart` hook): text fails on the part that makes it
   * invalid (§8.1 via §5.6, fail fast), even inside one large frame.
   *
   * @param part The next payload bytes, unmasked.
   * @throws {ProtocolError} `INVALID_UTF8`.
   */
  checkPayloadPart(part: Uint8Array): void {
    if (!this.#frameText) return;
    this.#frameFed = true;
    if (!this.#text.push(part)) {
      this.#reset();
      throw invalidUtf8();
    }
  }

  /**
   * The message of a final text or binary frame with no RSV bit whose
   * header passed {@linkcode checkHeader} and whose payload came whole (not
   * through `checkPayloadPart`): what {@linkcode push} returns for it,
   * without a `Frame` (the frame parser's `nextWholeMessage()`).
   *
   * @param opcode Text (1) or binary (2).
   * @param payload The payload.
   * @returns The text, or the payload itself.
   * @throws {ProtocolError} `INVALID_UTF8`.
   */
  whole(opcode: number, payload: Uint8Array): Message {
    return opcode === OPCODE.Text ? decodeText(payload) : payload;
  }

  /**
   * Adds a data frame whose header passed {@linkcode checkHeader}.
   *
   * @param frame A text, binary or continuation frame.
   * @returns The message once its final frame arrived, else `null`.
   * @throws {ProtocolError} `INVALID_UTF8`, `MESSAGE_TOO_BIG` (after
   * extension decoding) or `EXTENSION_ERROR`.
   */
  push(frame: Frame): Message | null {
    const { payload } = frame;
    // The payload's text was decoded part by part already, as it arrived.
    const fed = this.#frameFed;
    this.#frameFed = false;
    // Fast path: a whole message in one unextended frame.
    if (frame.fin && frame.opcode !== OPCODE.Continuation && frame.rsv === 0) {
      if (frame.opcode !== OPCODE.Text) return payload;
      if (!fed) return decodeText(payload);
      const text = this.#text.end();
      this.#reset();
      if (text === null) throw invalidUtf8();
      return text;
    }
    if (frame.opcode !== OPCODE.Continuation) {
      this.#opcode = frame.opcode;
      this.#rsv = frame.rsv;
      // Text transformed by an extension can only be checked once decoded.
      this.#validateAsItArrives = frame.rsv === 0;
    }
    this.#size += payload.length;
    if (payload.length === 0) this.#emptyFragments++;
    else this.#fragments++;
    if (this.#opcode === OPCODE.Text && this.#validateAsItArrives) {
      // §8.1 via §5.6: fail fast, on the fragment that makes the text
      // invalid. Only the decoded text is kept, not the bytes.
      if (!fed && !this.#text.push(payload)) {
        this.#reset();
        throw invalidUtf8();
      }
    } else if (payload.length > 0) {
      // A fragment that is a view into a larger received chunk is copied, so
      // that the limits bound memory: a view would keep the whole chunk alive.
      this.#parts.push(payload.length * 2 < payload.buffer.byteLength ? payload.slice() : payload);
    }
    if (!frame.fin) return null;
    return this.#finish();
  }

  #finish(): Message {
    const opcode = this.#opcode;
    const rsv = this.#rsv;
    const validated = this.#validateAsItArrives;
    const parts = this.#parts;
    const text = opcode === OPCODE.Text && validated ? this.#text.end() : null;
    this.#reset();
    if (opcode === OPCODE.Text && validated) {
      if (text === null) throw invalidUtf8();
      return text;
    }
    let data = concat(parts);
    if (rsv !== 0) data = this.#decode(data, rsv);
    return opcode === OPCODE.Text ? decodeText(data) : data;
  }

  /** Applies negotiated extensions in reverse order of the response header (RFC 6455 §9.1). */
  #decode(data: Uint8Array, rsv: number): Uint8Array {
    for (let i = this.#extensions.length - 1; i >= 0; i--) {
      const extension = this.#extensions[i]!;
      if ((extension.rsv & rsv) === 0) continue;
      data = extension.decode(data, rsv, this.#maxMessageSize);
    }
    if (data.length > this.#maxMessageSize) {
      throw new ProtocolError(
        "MESSAGE_TOO_BIG",
        `Cannot parse message: more than the limit of ${this.#maxMessageSize} bytes once decoded`,
      );
    }
    return data;
  }

  #reset(): void {
    this.#opcode = 0;
    this.#rsv = 0;
    this.#size = 0;
    this.#fragments = 0;
    this.#emptyFragments = 0;
    this.#parts = [];
    this.#text.reset();
  }
}

function invalidUtf8(): ProtocolError {
  return new ProtocolError("INVALID_UTF8", "Cannot parse message: the text is not valid UTF-8");
}

function decodeText(bytes: Uint8Array): string {
  try {
    return decodeUtf8(bytes);
  } catch {
    throw invalidUtf8();
  }
}

/**
 * Joins byte arrays; returns the only part itself when there is one.
 *
 * @param parts The arrays.
 * @returns Their concatenation.
 */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  return parts.length === 1 ? parts[0]! : concatBytes(parts);
}
