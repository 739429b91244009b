import { assertBalance, InflationMathError } from "./errors.js";

/**
 * A `sp_arithmetic::Perquintill`: a fraction in [0, 1] held as parts of 10^18 (a u64 in Rust).
 * Every function here reproduces the Rust operator of the same meaning bit for bit.
 */
export type Perquintill = bigint;

/** `Perquintill::ACCURACY`: the number of parts in one whole. */
export const PERQUINTILL_ONE: Perquintill = 1_000_000_000_000_000_000n;

/** `Perquintill::zero()`. */
export const PERQUINTILL_ZERO: Perquintill = 0n;

const DECIMALS = 18;

/** Throws `PERQUINTILL_OUT_OF_RANGE` unless `parts` is in [0, 10^18]. */
export function assertPerquintill(what: string, parts: Perquintill): void {
  if (parts < 0n || parts > PERQUINTILL_ONE) {
    throw new InflationMathError(
      { code: "PERQUINTILL_OUT_OF_RANGE", what, parts },
      `${what}: expected Perquintill parts in [0, ${PERQUINTILL_ONE}], found ${parts}`,
    );
  }
}

/**
 * `Perquintill * N` for a u128 balance `n`: the product rounded to the nearest integer, ties rounded down
 * (`Rounding::NearestPrefDown`). sp_arithmetic computes it as `(n / ACC) * p + correction(n % ACC)` so as not
 * to overflow; the correction's remainder equals `(p * n) mod ACC`, so rounding the exact product gives the
 * same result (SDK `substrate/primitives/arithmetic/src/per_things.rs`, `overflow_prune_mul`).
 */
export function perquintillMul(p: Perquintill, n: bigint): bigint {
  assertPerquintill("perquintillMul p", p);
  assertBalance("perquintillMul n", n);
  const product = p * n;
  const quotient = product / PERQUINTILL_ONE;
  const remainder = product % PERQUINTILL_ONE;
  // NearestPrefDown: round up only when strictly above one half (`rem > denom / 2`, denom = 10^18 is even).
  return remainder > PERQUINTILL_ONE / 2n ? quotient + 1n : quotient;
}

/**
 * `Perquintill::from_rational(p, q)`: `floor(10^18 * p / q)` (`Rounding::Down`); one whole when `p > q` or
 * `q == 0`, because `from_rational_with_rounding` errors there and `from_rational` maps the error to `one()`.
 */
export function perquintillFromRational(p: bigint, q: bigint): Perquintill {
  assertBalance("perquintillFromRational p", p);
  assertBalance("perquintillFromRational q", q);
  if (q === 0n || p > q) return PERQUINTILL_ONE;
  return (PERQUINTILL_ONE * p) / q;
}

/**
 * `Perquintill * Perquintill` (`impl Mul for Perquintill`): `floor(a * b / 10^18)`, computed in u128 where
 * the product cannot overflow; it always rounds down, unlike `Perquintill * Balance`.
 */
export function perquintillMulPerquintill(a: Perquintill, b: Perquintill): Perquintill {
  assertPerquintill("perquintillMulPerquintill a", a);
  assertPerquintill("perquintillMulPerquintill b", b);
  return (a * b) / PERQUINTILL_ONE;
}

/**
 * `Perquintill / Perquintill` (`impl Div for Perquintill`): `from_rational(a.parts, b.parts)`, so it rounds
 * down and saturates at one (also for `b == 0`).
 */
export function perquintillDiv(a: Perquintill, b: Perquintill): Perquintill {
  assertPerquintill("perquintillDiv a", a);
  assertPerquintill("perquintillDiv b", b);
  return perquintillFromRational(a, b);
}

/**
 * `Perquintill::checked_add`: the sum, or `undefined` when it exceeds one whole. Astar's
 * `InflationParameters::is_valid` folds the six parts with it.
 */
export function perquintillCheckedAdd(a: Perquintill, b: Perquintill): Perquintill | undefined {
  assertPerquintill("perquintillCheckedAdd a", a);
  assertPerquintill("perquintillCheckedAdd b", b);
  const sum = a + b;
  return sum > PERQUINTILL_ONE ? undefined : sum;
}

/** `Perquintill::from_percent(x)`: `min(x, 100) * 10^16`. */
export function perquintillFromPercent(x: number | bigint): Perquintill {
  const percent = BigInt(x);
  if (percent < 0n) {
    throw new InflationMathError(
      { code: "PERQUINTILL_OUT_OF_RANGE", what: "perquintillFromPercent x", parts: percent },
      `perquintillFromPercent: expected a non-negative percent, found ${percent}`,
    );
  }
  return ((percent > 100n ? 100n : percent) * PERQUINTILL_ONE) / 100n;
}

/**
 * Parses an exact decimal fraction such as `"0.032"` or `"1"` into Perquintill parts, without floating point.
 * Rejects malformed input, more than 18 fractional digits, negatives and values above one, each with its own
 * `InflationMathError` code.
 */
export function parsePerquintill(input: string): Perquintill {
  const negative = input.startsWith("-");
  const body = negative ? input.slice(1) : input;
  const match = /^(\d+)(?:\.(\d+))?$/.exec(body);
  if (match === null) {
    throw new InflationMathError(
      { code: "PERQUINTILL_MALFORMED", input },
      `expected a decimal fraction like "0.032", found ${JSON.stringify(input)}`,
    );
  }
  const whole = match[1]!;
  const fraction = match[2] ?? "";
  if (fraction.length > DECIMALS) {
    throw new InflationMathError(
      { code: "PERQUINTILL_TOO_PRECISE", input, decimals: fraction.length },
      `expected at most ${DECIMALS} decimals, found ${fraction.length} in ${JSON.stringify(input)}`,
    );
  }
  const parts = BigInt(whole) * PERQUINTILL_ONE + BigInt(fraction.padEnd(DECIMALS, "0"));
  if (negative) {
    throw new InflationMathError(
      { code: "PERQUINTILL_NEGATIVE", input },
      `expected a fraction in [0, 1], found negative ${JSON.stringify(input)}`,
    );
  }
  if (parts > PERQUINTILL_ONE) {
    throw new InflationMathError(
      { code: "PERQUINTILL_ABOVE_ONE", input },
      `expected a fraction in [0, 1], found ${JSON.stringify(input)}`,
    );
  }
  return parts;
}

/**
 * Formats Perquintill parts as the shortest exact decimal fraction (`32_000_000_000_000_000n` → `"0.032"`,
 * one → `"1"`); `parsePerquintill(formatPerquintill(p)) === p`.
 */
export function formatPerquintill(p: Perquintill): string {
  assertPerquintill("formatPerquintill p", p);
  const whole = p / PERQUINTILL_ONE;
  const fraction = (p % PERQUINTILL_ONE).toString().padStart(DECIMALS, "0").replace(/0+$/, "");
  return fraction === "" ? whole.toString() : `${whole}.${fraction}`;
}
