/**
 * A seeded pseudo-random generator for fuzz-style tests: the same seed gives the same bytes, so a failure
 * reproduces with `FUZZ_SEED=<seed>` (the test prints the seed it used).
 */

/** A deterministic source of numbers and bytes. */
export interface Prng {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
  /** One element of `items`. */
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: tiny, fast and good enough to pick sizes and fill garbage buffers. */
export function createPrng(seed: number): Prng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    seed: seed >>> 0,
    next,
    int,
    bytes(n) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i += 4) {
        const word = Math.floor(next() * 4294967296);
        for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (word >>> (8 * j)) & 0xff;
      }
      return out;
    },
    pick(items) {
      if (items.length === 0) throw new RangeError("pick from an empty list");
      return items[int(0, items.length - 1)]!;
    },
  };
}

/** The seed from `FUZZ_SEED` (decimal or 0x-hex) or `fallback`. */
export function seedFromEnv(fallback: number): number {
  const s = process.env.FUZZ_SEED;
  if (s === undefined || s === "") return fallback;
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new RangeError(`FUZZ_SEED must be an integer, found "${s}"`);
  return n >>> 0;
}
