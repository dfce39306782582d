/**
 * A double-ended queue on a ring buffer: adding and removing at either end
 * costs O(1), however long the queue grows.
 *
 * `Array.prototype.shift()` moves every remaining element on V8 (Deno,
 * Node) once an array is past a small size, so a queue drained with it
 * costs O(n²): removing the oldest of ~65,000 entries takes 8-200 µs. Every
 * queue in wsport that can grow (the WHATWG layer's send bookkeeping and
 * message iterator, the transports' read and write queues, the legacy frame
 * parser's chunks) is one of these instead.
 *
 * @module
 */

/** The first capacity allocated (a power of two). */
const MIN_CAPACITY = 8;

/**
 * A FIFO queue that can also take items back at the front.
 *
 * Items live in a ring of power-of-two capacity: the head index moves
 * instead of the items. The ring doubles when full and halves when a
 * quarter full (above 64 slots), so a burst leaves no large buffer behind,
 * and removed slots are cleared, so removed items can be collected. An
 * empty deque holds no buffer at all.
 *
 * @example Queue and take back
 * ```ts
 * import { Deque } from "./deque.ts";
 * import assert from "node:assert/strict";
 *
 * const queue = new Deque<string>();
 * queue.push("b");
 * queue.push("c");
 * queue.unshift("a");
 * assert.equal(queue.length, 3);
 * assert.equal(queue.peek(), "a");
 * assert.equal(queue.shift(), "a");
 * assert.deepEqual([...queue], ["b", "c"]);
 * ```
 *
 * @typeParam T The items' type.
 */
export class Deque<T> {
  #items: (T | undefined)[] = EMPTY as (T | undefined)[];
  #head = 0;
  #length = 0;

  /** How many items are queued. */
  get length(): number {
    return this.#length;
  }

  /**
   * Adds an item at the back.
   *
   * @param item The item.
   */
  push(item: T): void {
    if (this.#length === this.#items.length) this.#resize(this.#grown());
    this.#items[(this.#head + this.#length) & (this.#items.length - 1)] = item;
    this.#length++;
  }

  /**
   * Adds an item at the front (it is the next {@linkcode Deque.shift}).
   *
   * @param item The item.
   */
  unshift(item: T): void {
    if (this.#length === this.#items.length) this.#resize(this.#grown());
    this.#head = (this.#head - 1) & (this.#items.length - 1);
    this.#items[this.#head] = item;
    this.#length++;
  }

  /**
   * Removes the front item.
   *
   * @returns The item, or `undefined` when the deque is empty.
   */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const items = this.#items;
    const item = items[this.#head];
    items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (items.length - 1);
    this.#length--;
    this.#shrinkIfSparse();
    return item;
  }

  /**
   * Removes the back item.
   *
   * @returns The item, or `undefined` when the deque is empty.
   */
  pop(): T | undefined {
    if (this.#length === 0) return undefined;
    const items = this.#items;
    const index = (this.#head + this.#length - 1) & (items.length - 1);
    const item = items[index];
    items[index] = undefined;
    this.#length--;
    this.#shrinkIfSparse();
    return item;
  }

  /**
   * The front item, left in place.
   *
   * @returns The item, or `undefined` when the deque is empty.
   */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  /**
   * The item at `index` from the front, left in place.
   *
   * @param index 0 for the front; negative counts from the back (-1 is the last).
   * @returns The item, or `undefined` when there is none at `index`.
   */
  at(index: number): T | undefined {
    const i = index < 0 ? index + this.#length : index;
    if (!(i >= 0 && i < this.#length) || !Number.isInteger(i)) return undefined;
    return this.#items[(this.#head + i) & (this.#items.length - 1)];
  }

  /** Removes every item and releases the buffer. */
  clear(): void {
    this.#items = EMPTY as (T | undefined)[];
    this.#head = 0;
    this.#length = 0;
  }

  /**
   * The items from front to back (do not add or remove while iterating).
   *
   * @returns An iterator.
   */
  *[Symbol.iterator](): IterableIterator<T> {
    const items = this.#items;
    const mask = items.length - 1;
    for (let i = 0; i < this.#length; i++) yield items[(this.#head + i) & mask] as T;
  }

  #grown(): number {
    return this.#items.length === 0 ? MIN_CAPACITY : this.#items.length * 2;
  }

  #shrinkIfSparse(): void {
    const capacity = this.#items.length;
    if (this.#length === 0) {
      // Nothing to keep: start over at the front of the ring (a small one
      // stays, so a queue that fills and empties all the time does not
      // reallocate).
      this.#head = 0;
      if (capacity > MIN_CAPACITY * 8) this.#items = EMPTY as (T | undefined)[];
    } else if (capacity > MIN_CAPACITY * 8 && this.#length <= capacity >>> 2) {
      this.#resize(capacity >>> 1);
    }
  }

  /** Moves the items, in order, to the front of a new ring of `capacity` slots. */
  #resize(capacity: number): void {
    const items = this.#items;
    const mask = items.length - 1;
    const next = new Array<T | undefined>(capacity);
    for (let i = 0; i < this.#length; i++) next[i] = items[(this.#head + i) & mask];
    this.#items = next;
    this.#head = 0;
  }
}

/** The shared empty ring of every empty deque (capacity 0, never written). */
const EMPTY: readonly unknown[] = Object.freeze([]);
