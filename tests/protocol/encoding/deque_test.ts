import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Deque } from "../../../src/protocol/encoding/deque.ts";
import { countElementMoves } from "../../_util/array_moves.ts";
import { seededRandom } from "../../_util/fixed_random.ts";

describe("Deque", () => {
  it("starts empty: length 0, and shift, pop, peek and at give undefined", () => {
    const deque = new Deque<number>();
    assert.equal(deque.length, 0);
    assert.equal(deque.shift(), undefined);
    assert.equal(deque.pop(), undefined);
    assert.equal(deque.peek(), undefined);
    assert.equal(deque.at(0), undefined);
    assert.equal(deque.at(-1), undefined);
    assert.deepEqual([...deque], []);
  });

  it("is first in, first out", () => {
    const deque = new Deque<string>();
    for (const item of ["a", "b", "c"]) deque.push(item);
    assert.equal(deque.length, 3);
    assert.equal(deque.peek(), "a");
    assert.equal(deque.shift(), "a");
    assert.equal(deque.shift(), "b");
    deque.push("d");
    assert.deepEqual([...deque], ["c", "d"]);
  });

  it("unshift puts an item back in front, and pop takes the last one", () => {
    const deque = new Deque<number>();
    deque.push(2);
    deque.push(3);
    deque.unshift(1);
    deque.unshift(0);
    assert.deepEqual([...deque], [0, 1, 2, 3]);
    assert.equal(deque.pop(), 3);
    assert.equal(deque.shift(), 0);
    assert.deepEqual([...deque], [1, 2]);
  });

  it("at counts from the front, or from the back when negative, and refuses the rest", () => {
    const deque = new Deque<string>();
    for (const item of ["x", "y", "z"]) deque.push(item);
    deque.shift();
    deque.push("w");
    assert.equal(deque.at(0), "y");
    assert.equal(deque.at(2), "w");
    assert.equal(deque.at(-1), "w");
    assert.equal(deque.at(-3), "y");
    assert.equal(deque.at(3), undefined);
    assert.equal(deque.at(-4), undefined);
    assert.equal(deque.at(0.5), undefined);
    assert.equal(deque.at(NaN), undefined);
  });

  it("keeps the order across the ring's wrap-around, growth and shrinking", () => {
    const deque = new Deque<number>();
    const model: number[] = [];
    let next = 0;
    // Fill past several doublings with the head in the middle of the ring,
    // then drain below a quarter (the ring halves) and fill again.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) deque.push(next), model.push(next++);
      for (let i = 0; i < 3; i++) assert.equal(deque.shift(), model.shift());
      for (let i = 0; i < 1000; i++) deque.push(next), model.push(next++);
      for (let i = 0; i < 990; i++) assert.equal(deque.shift(), model.shift());
      assert.deepEqual([...deque], model);
    }
  });

  it("matches an array under random pushes, unshifts, shifts and pops", () => {
    const random = seededRandom(0xdec0);
    const deque = new Deque<number>();
    const model: number[] = [];
    for (let step = 0; step < 20_000; step++) {
      const r = random();
      // Bias toward growth, then toward draining, so the ring grows and shrinks.
      const grow = step % 4000 < 2500;
      if (r < (grow ? 0.45 : 0.2)) {
        deque.push(step), model.push(step);
      } else if (r < (grow ? 0.6 : 0.3)) {
        deque.unshift(step), model.unshift(step);
      } else if (r < 0.85) {
        assert.equal(deque.shift(), model.shift());
      } else {
        assert.equal(deque.pop(), model.pop());
      }
      assert.equal(deque.length, model.length);
      assert.equal(deque.peek(), model[0]);
      assert.equal(deque.at(-1), model.at(-1));
    }
    assert.deepEqual([...deque], model);
  });

  it("clear empties it, and it works again afterwards", () => {
    const deque = new Deque<number>();
    for (let i = 0; i < 100; i++) deque.push(i);
    deque.clear();
    assert.equal(deque.length, 0);
    assert.equal(deque.shift(), undefined);
    deque.push(7);
    assert.deepEqual([...deque], [7]);
  });

  it("removes from the front without moving the other items (no Array shift, splice or copyWithin)", () => {
    // The cost that made removal O(n) on V8: Array.prototype.shift() moves
    // every remaining element. The deque moves its head index instead.
    const deque = new Deque<number>();
    for (let i = 0; i < 70_000; i++) deque.push(i);
    let sum = 0;
    const moves = countElementMoves(() => {
      for (let i = 0; i < 70_000; i++) {
        sum += deque.shift()!;
        if (i % 7 === 0) deque.unshift(deque.shift()!);
      }
    });
    assert.deepEqual(moves, { shift: 0, unshift: 0, splice: 0, copyWithin: 0 });
    assert.equal(sum, (69_999 * 70_000) / 2);
    assert.equal(deque.length, 0);
  });

  it("countElementMoves (the helper above) does see Array.prototype.shift on a long array", () => {
    const array = Array.from({ length: 100 }, (_, i) => i);
    const moves = countElementMoves(() => {
      array.shift();
      array.splice(0, 1);
    });
    assert.equal(moves.shift, 1);
    assert.equal(moves.splice, 1);
  });
});
