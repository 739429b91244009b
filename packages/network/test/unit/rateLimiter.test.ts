import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NetworkError, PeerRateLimiter, TokenBucket } from "../../src/index.js";

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms), set: (ms: number) => (t = ms) };
}

describe("TokenBucket", () => {
  test("allows a burst of `requests`, then refuses until time refills it", () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ requests: 3, perMs: 3000 }, clock.now);
    assert.deepEqual(
      [bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()],
      [true, true, true, false],
    );
    clock.advance(999);
    assert.equal(bucket.tryTake(), false, "0.999 of a token is not a token");
    clock.advance(1);
    assert.equal(bucket.tryTake(), true, "one token per perMs/requests");
    assert.equal(bucket.tryTake(), false);
  });

  test("refills at most to capacity, however long it waited", () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ requests: 2, perMs: 100 }, clock.now);
    bucket.tryTake();
    bucket.tryTake();
    clock.advance(1_000_000);
    assert.equal(bucket.available(), 2);
    assert.equal(bucket.isFull(), true);
    assert.deepEqual([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()], [true, true, false]);
  });

  test("a clock going backwards neither mints nor drains tokens", () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ requests: 1, perMs: 1000 }, clock.now);
    assert.equal(bucket.tryTake(), true);
    clock.advance(-5000);
    assert.equal(bucket.tryTake(), false);
    clock.advance(5000 + 1000);
    assert.equal(bucket.tryTake(), true);
  });

  test("invalid limits are refused", () => {
    for (const bad of [
      { requests: 0, perMs: 1000 },
      { requests: 1, perMs: 0 },
      { requests: Number.NaN, perMs: 1 },
      { requests: 1, perMs: Number.POSITIVE_INFINITY },
    ])
      assert.throws(
        () => new TokenBucket(bad),
        (err: unknown) => err instanceof NetworkError && err.code === "INVALID_OPTION",
      );
  });
});

describe("PeerRateLimiter", () => {
  test("each peer has its own budget", () => {
    const clock = manualClock();
    const limiter = new PeerRateLimiter({ requests: 2, perMs: 60_000 }, clock.now);
    assert.deepEqual([limiter.allow("a"), limiter.allow("a"), limiter.allow("a")], [true, true, false]);
    assert.deepEqual([limiter.allow("b"), limiter.allow("b"), limiter.allow("b")], [true, true, false]);
    clock.advance(30_000);
    assert.equal(limiter.allow("a"), true);
    assert.equal(limiter.allow("a"), false);
  });

  test("forgets peers whose buckets refilled, so memory stays bounded", () => {
    const clock = manualClock();
    const limiter = new PeerRateLimiter({ requests: 5, perMs: 1000 }, clock.now);
    for (let i = 0; i < 100; i++) limiter.allow(`peer${i}`);
    assert.equal(limiter.size(), 100);
    clock.advance(1000);
    limiter.allow("fresh");
    assert.equal(limiter.size(), 1, "only the peer that just asked is tracked");
    // A peer still below capacity at prune time keeps its (partly refilled) bucket: no free reset.
    clock.advance(500);
    for (let i = 0; i < 5; i++) assert.equal(limiter.allow("busy"), true);
    clock.advance(500); // prune time; "busy" has refilled 2.5 tokens
    assert.deepEqual([limiter.allow("busy"), limiter.allow("busy"), limiter.allow("busy")], [true, true, false]);
  });
});
