/**
 * The messages sent while there is no open connection: a queue bounded in
 * messages and in bytes, flushed in order after the next open. Nothing is
 * ever dropped without a word: a message that does not fit is refused at
 * once with an {@linkcode OutboxError}, and the messages still queued when
 * the client gives up or is closed are handed back with one.
 *
 * @module
 */

/** What {@linkcode OutboxError.code} says. */
export type OutboxErrorCode =
  /** The message would exceed `maxMessages` or `maxBytes`; it was not queued. */
  | "OUTBOX_FULL"
  /** The outbox is off (`outbox: false`) and no connection is open. */
  | "NOT_CONNECTED"
  /** The client gave up or was closed with these messages still queued. */
  | "UNSENT"
  /** `send()` after the client gave up or was closed. */
  | "CLOSED";

/** A message was refused by the outbox, or left in it when the client stopped. */
export class OutboxError extends Error {
  /** A stable string naming what happened. */
  readonly code: OutboxErrorCode;
  /** The messages concerned, in the order they were sent. */
  readonly messages: readonly unknown[];

  /**
   * Creates the error.
   *
   * @param code What happened.
   * @param message "Cannot send: <detail>".
   * @param messages The messages concerned.
   */
  constructor(code: OutboxErrorCode, message: string, messages: readonly unknown[]) {
    super(message);
    this.name = "OutboxError";
    this.code = code;
    this.messages = messages;
  }
}

/** The outbox limits; `false` instead of this object turns the outbox off. */
export interface OutboxOptions {
  /**
   * Messages held at most while reconnecting.
   * @default 1024
   */
  readonly maxMessages?: number;
  /**
   * Bytes held at most while reconnecting (UTF-8 bytes for text).
   * @default 1048576
   */
  readonly maxBytes?: number;
}

/** The defaults of {@linkcode OutboxOptions}. */
export const DEFAULT_OUTBOX = { maxMessages: 1024, maxBytes: 1024 * 1024 } as const;

/**
 * The UTF-8 length of a string, without encoding it (lone surrogates count
 * 3, as their U+FFFD replacement).
 *
 * @param text The string.
 * @returns Its byte length in UTF-8.
 */
export function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) length += 1;
    else if (unit < 0x800) length += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length += 4;
        i++;
      } else length += 3;
    } else length += 3;
  }
  return length;
}

function limit(owner: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= 0) || !Number.isSafeInteger(value)) {
    throw new RangeError(
      `Cannot create ${owner}: outbox.${name} must be an integer >= 0, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * A bounded FIFO of messages.
 *
 * @example
 * ```ts
 * import { Outbox } from "./outbox.ts";
 * import assert from "node:assert/strict";
 *
 * const outbox = new Outbox<string>("example", { maxMessages: 2 });
 * assert.equal(outbox.push("a", 1), null);
 * assert.equal(outbox.push("b", 1), null);
 * assert.equal(outbox.push("c", 1)?.code, "OUTBOX_FULL");
 * assert.deepEqual(outbox.take(), ["a", "b"]);
 * ```
 */
export class Outbox<T> {
  #items: T[] = [];
  #bytes = 0;
  #maxMessages: number;
  #maxBytes: number;
  #enabled: boolean;

  /**
   * Creates the outbox.
   *
   * @param owner The class or function it belongs to, for messages.
   * @param options The limits, or `false` to refuse every message.
   * @throws {RangeError} For a limit that is not an integer >= 0.
   * @throws {TypeError} For options that are neither an object nor `false`.
   */
  constructor(owner: string, options: OutboxOptions | false = {}) {
    if (options === false) {
      this.#enabled = false;
      this.#maxMessages = this.#maxBytes = 0;
      return;
    }
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`Cannot create ${owner}: outbox must be an object or false`);
    }
    this.#enabled = true;
    this.#maxMessages = limit(
      owner,
      "maxMessages",
      options.maxMessages,
      DEFAULT_OUTBOX.maxMessages,
    );
    this.#maxBytes = limit(owner, "maxBytes", options.maxBytes, DEFAULT_OUTBOX.maxBytes);
  }

  /** Messages queued. */
  get length(): number {
    return this.#items.length;
  }

  /** Bytes queued. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Queues a message if it fits.
   *
   * @param item The message.
   * @param size Its size in bytes.
   * @param reported What the error's `messages` holds instead of `item`.
   * @returns `null` when queued, else the error saying why not (the
   * message is not queued).
   */
  push(item: T, size: number, reported: unknown = item): OutboxError | null {
    if (!this.#enabled) {
      return new OutboxError(
        "NOT_CONNECTED",
        "Cannot send: not connected, and the outbox is off",
        [reported],
      );
    }
    if (this.#items.length + 1 > this.#maxMessages) {
      return new OutboxError(
        "OUTBOX_FULL",
        `Cannot send: the outbox holds its maximum of ${this.#maxMessages} messages`,
        [reported],
      );
    }
    if (this.#bytes + size > this.#maxBytes) {
      return new OutboxError(
        "OUTBOX_FULL",
        `Cannot send: ${size} more bytes would exceed the outbox's maximum of ${this.#maxBytes} bytes (${this.#bytes} queued)`,
        [reported],
      );
    }
    this.#items.push(item);
    this.#bytes += size;
    return null;
  }

  /**
   * Empties the outbox.
   *
   * @returns The messages, in the order they were queued.
   */
  take(): T[] {
    const items = this.#items;
    this.#items = [];
    this.#bytes = 0;
    return items;
  }
}
