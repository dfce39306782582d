import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  resolveBackoff,
  secureRandom,
} from "../../src/reconnect/backoff.ts";

describe("backoffDelay: exponential backoff with full jitter", () => {
  it("draws uniformly between minDelay and a ceiling that doubles per attempt", () => {
    const low = resolveBackoff("test", { minDelay: 100, maxDelay: 10_000, random: () => 0 });
    const high = resolveBackoff("test", { minDelay: 100, maxDelay: 10_000, random: () => 1 });
    const mid = resolveBackoff("test", { minDelay: 100, maxDelay: 10_000, random: () => 0.5 });
    for (let attempt = 1; attempt <= 10; attempt++) {
      assert.equal(backoffDelay(low, attempt, null), 100);
      const ceiling = Math.min(10_000, 100 * 2 ** attempt);
      assert.equal(backoffDelay(high, attempt, null), ceiling);
      assert.equal(backoffDelay(mid, attempt, null), 100 + (ceiling - 100) / 2);
    }
  });

  it("follows factor and never exceeds maxDelay", () => {
    const backoff = resolveBackoff("test", {
      minDelay: 10,
      maxDelay: 500,
      factor: 3,
      random: () => 0.999,
    });
    assert.equal(Math.round(backoffDelay(backoff, 1, null)), 30);
    assert.equal(Math.round(backoffDelay(backoff, 2, null)), 90);
    assert.ok(backoffDelay(backoff, 40, null) <= 500);
  });

  it("spreads the draws over the range with the default random source", () => {
    const backoff = resolveBackoff("test", { minDelay: 1000, maxDelay: 60_000 });
    const draws = Array.from({ length: 200 }, () => backoffDelay(backoff, 3, null));
    assert.ok(draws.every((delay) => delay >= 1000 && delay <= 8000));
    assert.ok(new Set(draws).size > 150, "draws differ");
    assert.ok(draws.some((delay) => delay < 4500) && draws.some((delay) => delay > 4500));
    for (let i = 0; i < 1000; i++) {
      const value = secureRandom();
      assert.ok(value >= 0 && value < 1);
    }
  });

  it("waits at least what Retry-After asks, up to maxRetryAfter", () => {
    const backoff = resolveBackoff("test", {
      minDelay: 100,
      maxDelay: 1000,
      maxRetryAfter: 5000,
      random: () => 0,
    });
    assert.equal(backoffDelay(backoff, 1, 3000), 3000);
    assert.equal(backoffDelay(backoff, 1, 50), 100, "a shorter Retry-After does not shorten");
    assert.equal(backoffDelay(backoff, 1, 3_600_000), 5000);
  });
});

describe("resolveBackoff", () => {
  it("applies the documented defaults", () => {
    const backoff = resolveBackoff("test");
    assert.equal(backoff.minDelay, DEFAULT_BACKOFF.minDelay);
    assert.equal(backoff.maxDelay, DEFAULT_BACKOFF.maxDelay);
    assert.equal(backoff.factor, 2);
    assert.equal(backoff.maxAttempts, Infinity);
    assert.equal(backoff.resetAfter, 10_000);
    assert.equal(backoff.maxRetryAfter, 600_000);
    assert.equal(backoff.now, Date.now);
    assert.equal(resolveBackoff("test", { minDelay: 40_000 }).maxDelay, 40_000);
  });

  it("refuses bad values with a RangeError or TypeError naming the owner and the option", () => {
    const cases: [object, RegExp, ErrorConstructor][] = [
      [
        { minDelay: -1 },
        /^Cannot create Owner: minDelay must be a number of milliseconds/,
        RangeError,
      ],
      [{ maxDelay: NaN }, /^Cannot create Owner: maxDelay must be/, RangeError],
      [
        { minDelay: 2 ** 31 },
        /minDelay must be a number of milliseconds in 0-2147483647/,
        RangeError,
      ],
      [
        { minDelay: 500, maxDelay: 100 },
        /maxDelay \(100\) must not be below minDelay \(500\)/,
        RangeError,
      ],
      [{ factor: 0.5 }, /factor must be a finite number >= 1, got 0.5/, RangeError],
      [{ factor: Infinity }, /factor must be a finite number >= 1/, RangeError],
      [{ maxAttempts: 0 }, /maxAttempts must be an integer >= 1 or Infinity, got 0/, RangeError],
      [{ maxAttempts: 1.5 }, /maxAttempts must be an integer/, RangeError],
      [{ resetAfter: "10" }, /resetAfter must be a number of milliseconds/, RangeError],
      [{ maxRetryAfter: -5 }, /maxRetryAfter must be/, RangeError],
      [{ random: 0.5 }, /^Cannot create Owner: random must be a function, got number$/, TypeError],
      [{ now: "now" }, /now must be a function, got string/, TypeError],
    ];
    for (const [options, message, type] of cases) {
      assert.throws(() => resolveBackoff("Owner", options), (error: unknown) => {
        assert.ok(error instanceof type, `${JSON.stringify(options)}: ${error}`);
        assert.match((error as Error).message, message);
        return true;
      });
    }
  });
});
