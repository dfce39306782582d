/**
 * Pins a cost without timing it: counts calls of the `Array.prototype`
 * methods that move every later element (`shift`, `unshift`, `splice`,
 * `copyWithin`), which made queue removal O(n) on V8.
 *
 * @module
 */

/**
 * Runs `body` while counting calls of the array methods that move elements
 * (`shift`, `unshift`, `splice`, `copyWithin`) on arrays longer than
 * `longerThan`; restores them afterwards.
 */
export function countElementMoves(body: () => void, longerThan = 64): Record<string, number> {
  const proto = Array.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const names = ["shift", "unshift", "splice", "copyWithin"];
  const saved = names.map((name) => proto[name]!);
  const counts: Record<string, number> = {};
  names.forEach((name, i) => {
    const original = saved[i]!;
    counts[name] = 0;
    proto[name] = function (this: unknown[], ...args: unknown[]) {
      if (this.length > longerThan) counts[name]!++;
      return original.apply(this, args);
    };
  });
  try {
    body();
  } finally {
    names.forEach((name, i) => (proto[name] = saved[i]!));
  }
  return counts;
}
