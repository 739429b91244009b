import { NetworkError } from "../errors.js";
import type { RateLimit } from "../interface.js";

/** A millisecond clock; injected so tests control time. */
export type Clock = () => number;

/**
 * A token bucket: holds up to `capacity` tokens, refilled continuously at `capacity / perMs` tokens per
 * millisecond; each request takes one. Pure apart from the injected clock.
 */
export class TokenBucket {
  private readonly capacity: number;
  private readonly refillPerMs: number;
  private readonly now: Clock;
  private tokens: number;
  private last: number;

  constructor(limit: RateLimit, now: Clock = Date.now) {
    checkLimit(limit);
    this.capacity = limit.requests;
    this.refillPerMs = limit.requests / limit.perMs;
    this.now = now;
    this.tokens = limit.requests;
    this.last = now();
  }

  /** Takes `n` tokens if available; returns whether it did. */
  tryTake(n = 1): boolean {
    this.refill();
    if (this.tokens + 1e-9 < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Tokens available now. */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** Whether the bucket is full, i.e. forgetting it changes nothing. */
  isFull(): boolean {
    return this.available() >= this.capacity;
  }

  private refill(): void {
    const t = this.now();
    // A clock that goes backwards (wall-clock adjustments) must not mint tokens nor drain them.
    if (t > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + (t - this.last) * this.refillPerMs);
      this.last = t;
    }
  }
}

/**
 * One token bucket per peer. Full buckets are forgotten from time to time, so the memory used is bounded by
 * the peers that sent requests within the last `perMs`.
 */
export class PeerRateLimiter {
  private readonly limit: RateLimit;
  private readonly now: Clock;
  private readonly buckets = new Map<string, TokenBucket>();
  private lastPrune: number;

  constructor(limit: RateLimit, now: Clock = Date.now) {
    checkLimit(limit);
    this.limit = limit;
    this.now = now;
    this.lastPrune = now();
  }

  /** Takes one request from `peer`'s budget; false when it is exhausted. */
  allow(peer: string): boolean {
    this.maybePrune();
    let bucket = this.buckets.get(peer);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.limit, this.now);
      this.buckets.set(peer, bucket);
    }
    return bucket.tryTake();
  }

  /** Number of peers currently tracked. */
  size(): number {
    return this.buckets.size;
  }

  private maybePrune(): void {
    const t = this.now();
    if (t - this.lastPrune < this.limit.perMs) return;
    this.lastPrune = t;
    for (const [peer, bucket] of this.buckets) if (bucket.isFull()) this.buckets.delete(peer);
  }
}

function checkLimit(limit: RateLimit): void {
  if (!(Number.isFinite(limit.requests) && limit.requests >= 1 && Number.isFinite(limit.perMs) && limit.perMs > 0))
    throw new NetworkError(
      { code: "INVALID_OPTION", option: "rateLimit", reason: `requests ${limit.requests}, perMs ${limit.perMs}` },
      `invalid rate limit: expected requests >= 1 and perMs > 0, found requests ${limit.requests}, perMs ${limit.perMs}`,
    );
}
