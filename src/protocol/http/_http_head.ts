/**
 * What the two HTTP/1.1 head parsers share (`./http_request.ts` for the
 * server, `./http_response.ts` for the client): finding the end of a head
 * that arrives in chunks, under a byte limit, with the bytes after it kept
 * as leftover; and parsing its header lines (RFC 9112 §2-§5).
 * (Private: tested through those two parsers.)
 *
 * @module
 */

import { HandshakeError, type HeaderList, InvalidStateError } from "../errors.ts";

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = new Uint8Array(0);

/** RFC 9110 §5.6.2: token = 1*tchar. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 9110 §5.5: field-value characters (HTAB, SP, VCHAR, obs-text). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** What a head parser does at the points only it knows about. */
export interface HeadHooks {
  /** Checks the first line (without its LF) as soon as it ends; throws a `HandshakeError`. */
  firstLine(bytes: Uint8Array): void;
  /** The error for a head larger than `max` bytes. */
  tooLarge(max: number): HandshakeError;
}

/** A complete head and the bytes received after it. */
export interface ScannedHead {
  /** The head, first line and final empty line included. */
  readonly head: Uint8Array;
  /** A view of the bytes after the head. */
  readonly leftover: Uint8Array;
}

/**
 * Accumulates bytes until the empty line that ends an HTTP/1.x head, up
 * to a byte limit (h11's `max_incomplete_event_size`, tungstenite's attack
 * check), for any split of the bytes. A failure is kept and thrown again
 * on every later call.
 */
export class HeadScanner {
  readonly #what: string;
  readonly #maxHeadSize: number;
  readonly #hooks: HeadHooks;
  #buffer: Uint8Array = EMPTY;
  #length = 0;
  /** Where to look for the next LF; a LF whose next line is still unknown is looked at again. */
  #scan = 0;
  #firstLine = false;
  #done = false;
  #error: HandshakeError | null = null;

  /**
   * Creates a scanner.
   *
   * @param what `"request"` or `"response"`, for messages.
   * @param maxHeadSize The largest head accepted, in bytes.
   * @param hooks The first-line check and the too-large error.
   * @throws {RangeError} When `maxHeadSize` is not a positive safe integer.
   */
  constructor(what: "request" | "response", maxHeadSize: number, hooks: HeadHooks) {
    if (!Number.isSafeInteger(maxHeadSize) || maxHeadSize < 1) {
      throw new RangeError(
        `Cannot create ${what} parser: maxHeadSize must be a positive integer, got ${maxHeadSize}`,
      );
    }
    this.#what = what;
    this.#maxHeadSize = maxHeadSize;
    this.#hooks = hooks;
  }

  /** How many bytes of an incomplete head are buffered. */
  get size(): number {
    return this.#length;
  }

  /**
   * Feeds bytes.
   *
   * @param chunk The next bytes; read, never modified, and possibly kept as a view.
   * @param parse Turns the complete head into the parser's result; may throw a `HandshakeError`.
   * @returns The result once the head is complete, else `null`.
   * @throws {HandshakeError} From the hooks or `parse`; the same error again on later calls.
   * @throws {InvalidStateError} When the head was already complete.
   */
  push<T>(chunk: Uint8Array, parse: (scanned: ScannedHead) => T): T | null {
    if (this.#error !== null) throw this.#error;
    if (this.#done) {
      throw new InvalidStateError(`Cannot parse ${this.#what} head: it is already complete`);
    }
    try {
      const scanned = this.#push(chunk);
      if (scanned === null) return null;
      const result = parse(scanned);
      this.#done = true;
      return result;
    } catch (error) {
      if (error instanceof HandshakeError) this.#error = error;
      throw error;
    }
  }

  /**
   * Reports the end of the stream.
   *
   * @param unexpectedEof Makes the error for a head cut short, given the bytes buffered.
   * @throws {HandshakeError} That error when the head is not complete (or the
   * error the scanner already failed with).
   */
  end(unexpectedEof: (size: number) => HandshakeError): void {
    if (this.#error !== null) throw this.#error;
    if (this.#done) return;
    this.#error = unexpectedEof(this.#length);
    throw this.#error;
  }

  #push(chunk: Uint8Array): ScannedHead | null {
    const data = this.#append(chunk);
    const max = this.#maxHeadSize;
    // Only bytes below the limit can end a head that fits, so a too-large
    // head fails the same way however the bytes were split.
    const limit = Math.min(data.length, max);
    let end = -1;
    let i = this.#scan;
    for (; i < limit; i++) {
      if (data[i] !== LF) continue;
      if (!this.#firstLine) {
        this.#hooks.firstLine(data.subarray(0, i));
        this.#firstLine = true;
      }
      // RFC 9112 §2.2: the head ends with an empty line, CRLF or a bare LF.
      const next = data[i + 1];
      if (next === LF) {
        end = i + 2;
        break;
      }
      if (next === CR) {
        if (i + 2 >= data.length) break; // Look at this LF again when more bytes come.
        if (data[i + 2] === LF) {
          end = i + 3;
          break;
        }
      } else if (next === undefined) {
        break; // Look at this LF again when more bytes come.
      }
    }
    this.#scan = i;
    if (end > max || (end === -1 && data.length >= max)) throw this.#hooks.tooLarge(max);
    if (end === -1) {
      this.#keep(data);
      return null;
    }
    this.#buffer = EMPTY;
    this.#length = 0;
    return { head: data.subarray(0, end), leftover: data.subarray(end) };
  }

  /** The bytes so far followed by `chunk`: `chunk` itself when nothing is buffered. */
  #append(chunk: Uint8Array): Uint8Array {
    if (this.#length === 0) return chunk;
    const needed = this.#length + chunk.length;
    if (needed > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#length);
    this.#length = needed;
    return this.#buffer.subarray(0, needed);
  }

  /** Keeps an incomplete head for the next push, copying a borrowed chunk. */
  #keep(data: Uint8Array): void {
    if (this.#length === 0) {
      this.#buffer = new Uint8Array(Math.max(256, data.length * 2));
      this.#buffer.set(data);
      this.#length = data.length;
    }
  }
}

/** Latin-1 ("isomorphic") decoding: one code unit per byte, as Fetch decodes header bytes. */
function latin1(bytes: Uint8Array): string {
  // `apply` takes the typed array as it is; a spread (`...bytes`) would walk
  // it with the iterator protocol, which showed in the connection-setup profile.
  // A head under 4 KiB (the usual 101) is decoded whole, without a view.
  if (bytes.length <= 4096) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  let text = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  }
  return text;
}

/**
 * A line without its terminator: the LF is already cut, a CR before it is
 * dropped (RFC 9112 §2.2).
 *
 * @param bytes The line's bytes, up to its LF.
 * @returns The line as Latin-1 text.
 */
export function lineText(bytes: Uint8Array): string {
  return latin1(bytes.at(-1) === CR ? bytes.subarray(0, -1) : bytes);
}

/**
 * Shows received text in a message: quoted, escaped, cut to 80 characters.
 *
 * @param text The text.
 * @returns The quoted text.
 */
export function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? text.slice(0, 77) + "..." : text);
}

/**
 * Parses the header lines of a complete head (everything after its first line).
 *
 * @param head The head, final empty line included.
 * @param malformed Makes the error for an invalid line, given its description.
 * @returns The header fields: lower-cased names, in order, duplicates kept.
 * @throws {HandshakeError} From `malformed`.
 */
export function parseHeaderLines(
  head: Uint8Array,
  malformed: (detail: string) => HandshakeError,
): HeaderList {
  const headers: [string, string][] = [];
  // Decoded once, then cut into lines (Latin-1 maps byte i to code unit i,
  // so the LFs are where they were): a view and a decoding per line were a
  // visible part of the connection-setup profile on Bun.
  const text = latin1(head);
  let start = text.indexOf("\n") + 1;
  while (true) {
    const lf = text.indexOf("\n", start);
    // A CR before the LF is dropped (RFC 9112 §2.2), as lineText does.
    const end = lf > start && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
    const line = text.slice(start, end);
    start = lf + 1;
    if (line === "") break;
    headers.push(parseHeaderLine(line, malformed));
  }
  return headers;
}

/** RFC 9110 §5.6.3: OWS = *( SP / HTAB ). */
function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** RFC 9112 §5: field-line = field-name ":" OWS field-value OWS. */
function parseHeaderLine(
  line: string,
  malformed: (detail: string) => HandshakeError,
): [string, string] {
  // RFC 9112 §5.2: obs-fold (a line starting with SP or HTAB) is obsolete; refused here.
  if (line.startsWith(" ") || line.startsWith("\t")) {
    throw malformed(`obsolete line folding in ${quote(line)}`);
  }
  const colon = line.indexOf(":");
  const name = colon === -1 ? "" : line.slice(0, colon);
  // RFC 9112 §5.1: "No whitespace is allowed between the field name and colon";
  // RFC 9110 §5.1: field-name = token.
  if (!TOKEN.test(name)) throw malformed(`invalid header line ${quote(line)}`);
  // OWS (SP / HTAB) around the value is not part of it; cut by index, not by a regex replace.
  let start = colon + 1;
  let end = line.length;
  while (start < end && isOws(line.charCodeAt(start))) start++;
  while (end > start && isOws(line.charCodeAt(end - 1))) end--;
  const value = line.slice(start, end);
  // RFC 9110 §5.5: CR, LF and NUL in a value are invalid and dangerous; other controls are invalid.
  if (!FIELD_VALUE.test(value)) {
    throw malformed(`invalid character in the value of header ${quote(name)}`);
  }
  return [name.toLowerCase(), value];
}
