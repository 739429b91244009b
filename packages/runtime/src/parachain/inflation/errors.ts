import { ParapipeError } from "@parapipe/primitives";

/** The structured fields of an {@link InflationMathError}, one variant per stable `code`. */
export type InflationMathErrorType =
  /** A decimal string that is not `<digits>` or `<digits>.<digits>`. */
  | { code: "PERQUINTILL_MALFORMED"; input: string }
  /** A decimal string with more fractional digits than a Perquintill holds (18). */
  | { code: "PERQUINTILL_TOO_PRECISE"; input: string; decimals: number }
  /** A negative decimal string: a Perquintill is in [0, 1]. */
  | { code: "PERQUINTILL_NEGATIVE"; input: string }
  /** A decimal string above one: a Perquintill is in [0, 1]. */
  | { code: "PERQUINTILL_ABOVE_ONE"; input: string }
  /** A Perquintill given as parts outside [0, 10^18]. */
  | { code: "PERQUINTILL_OUT_OF_RANGE"; what: string; parts: bigint }
  /** A balance outside the u128 range. */
  | { code: "BALANCE_OUT_OF_RANGE"; what: string; value: bigint }
  /** A u32 count (era number, block number, block count, cycle field) that is not an integer in range. */
  | { code: "COUNT_OUT_OF_RANGE"; what: string; value: number; min: number; max: number };

/**
 * Raised by the pure inflation math for inputs no Rust `Perquintill`/`u128`/`u32` could hold and for
 * unparsable Perquintill strings. These are caller bugs or bad configuration, never state transition outcomes.
 */
export class InflationMathError extends ParapipeError<InflationMathErrorType> {}

/** u32::MAX: the range of Astar's `EraNumber` and `BlockNumber`. */
export const U32_MAX = 0xffff_ffff;

/** u128::MAX: the range of Astar's `Balance`. */
export const U128_MAX: bigint = (1n << 128n) - 1n;

/** Throws `BALANCE_OUT_OF_RANGE` unless `value` fits a u128. */
export function assertBalance(what: string, value: bigint): void {
  if (value < 0n || value > U128_MAX) {
    throw new InflationMathError(
      { code: "BALANCE_OUT_OF_RANGE", what, value },
      `${what}: expected a u128 balance, found ${value}`,
    );
  }
}

/** Throws `COUNT_OUT_OF_RANGE` unless `value` is an integer in [min, u32::MAX]. */
export function assertU32(what: string, value: number, min = 0): void {
  if (!Number.isInteger(value) || value < min || value > U32_MAX) {
    throw new InflationMathError(
      { code: "COUNT_OUT_OF_RANGE", what, value, min, max: U32_MAX },
      `${what}: expected an integer in [${min}, ${U32_MAX}], found ${value}`,
    );
  }
}

/** u32 `saturating_add`, as Astar's `CycleConfiguration` and era arithmetic use it. */
export function u32SaturatingAdd(a: number, b: number): number {
  return Math.min(a + b, U32_MAX);
}

/** u32 `saturating_mul`, as Astar's `CycleConfiguration` uses it (exact: both factors are below 2^32). */
export function u32SaturatingMul(a: number, b: number): number {
  const product = BigInt(a) * BigInt(b);
  return product > BigInt(U32_MAX) ? U32_MAX : Number(product);
}

/** u128 `saturating_add`. */
export function u128SaturatingAdd(a: bigint, b: bigint): bigint {
  const sum = a + b;
  return sum > U128_MAX ? U128_MAX : sum;
}

/** u128 `saturating_mul`. */
export function u128SaturatingMul(a: bigint, b: bigint): bigint {
  const product = a * b;
  return product > U128_MAX ? U128_MAX : product;
}
