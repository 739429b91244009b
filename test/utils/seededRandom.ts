/**
 * A reproducible random source for fault tests: every random choice of a run comes from one 32-bit seed, printed
 * by the test, so a failing run is replayed with `PARAPIPE_SEED=<seed>`.
 */

/** mulberry32 (a small, well-distributed 32-bit PRNG) with helpers for the choices tests make. */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [lo, hi). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new RangeError("pick from an empty list");
    return list[this.int(0, list.length)]!;
  }
}

/**
 * The seed of a run: `PARAPIPE_SEED` when set (a decimal or 0x-hex integer below 2^32), else a fresh random one.
 * A malformed `PARAPIPE_SEED` is a `RangeError` saying what was found, not a silently different run.
 */
export function testSeed(env: string | undefined = process.env.PARAPIPE_SEED): number {
  if (env === undefined || env.trim() === "") return Math.floor(Math.random() * 2 ** 32);
  const v = Number(env.trim());
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** 32)
    throw new RangeError(`PARAPIPE_SEED: expected an integer in [0, 2^32), found ${JSON.stringify(env)}`);
  return v;
}
