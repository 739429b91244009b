import { decodeAddress, encodeAddress } from "@polkadot/util-crypto";
import { fromHex } from "../hashing.js";

/**
 * Leaf value codecs of the chain-spec JSON: accounts (SS58 or hex public keys), u128 amounts, exact
 * perquintill decimals and hex byte strings. Parsers return a reason instead of throwing so the schema can
 * attach it to the field's path.
 */

/** Result of a leaf parser: the value, or a one-line reason saying what was expected and what was found. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** `Perquintill::one()`: perquintills are parts of 10^18. */
export const PERQUINTILL_ONE = 1_000_000_000_000_000_000n;

/** Largest u128, the type of Substrate balances. */
export const U128_MAX = (1n << 128n) - 1n;

/** SS58 prefix used when a spec does not set `properties.ss58Format` (Substrate's generic prefix). */
export const DEFAULT_SS58_FORMAT = 42;

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (reason: string): Parsed<never> => ({ ok: false, reason });

/** Short human description of a JSON value for error messages: strings quoted and truncated. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v.length > 48 ? `${v.slice(0, 45)}...` : v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (Array.isArray(v)) return v.length === 0 ? "an empty list" : `a list of ${v.length}`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  return "an object";
}

/** `expected <what>, found <value>`, or `missing, expected <what>` when the field is absent. */
export function expectedFound(expected: string, found: unknown): string {
  return found === undefined ? `missing, expected ${expected}` : `expected ${expected}, found ${describeValue(found)}`;
}

const ACCOUNT = "an SS58 address or a 0x-prefixed 32-byte public key";

/**
 * An account: SS58 with any network prefix (checksum verified) or `0x` + 64 hex digits, as a 32-byte public
 * key. Shorter SS58 payloads (account indices) and 33-byte ECDSA keys are refused: accounts are sr25519 keys.
 */
export function parseAccount(v: unknown): Parsed<Uint8Array> {
  if (typeof v !== "string") return bad(expectedFound(ACCOUNT, v));
  if (v.startsWith("0x")) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(v)) return bad(`${expectedFound(ACCOUNT, v)} (hex must be 32 bytes)`);
    return ok(fromHex(v));
  }
  let decoded: Uint8Array;
  try {
    decoded = decodeAddress(v, false, -1);
  } catch (e) {
    // decodeAddress prefixes its messages with "Decoding <address>: "; keep only the cause.
    const cause = (e instanceof Error ? e.message : String(e)).replace(/^Decoding [^:]*:\s*/, "");
    return bad(`${expectedFound(ACCOUNT, v)} (${cause})`);
  }
  if (decoded.length !== 32) return bad(`${expectedFound(ACCOUNT, v)} (it decodes to ${decoded.length} bytes)`);
  return ok(Uint8Array.from(decoded));
}

/** SS58 text of a 32-byte account under `ss58Format`. */
export function formatAccount(account: Uint8Array, ss58Format: number): string {
  return encodeAddress(account, ss58Format);
}

const AMOUNT = "a decimal amount";

/**
 * A u128 amount: a decimal string of digits, or a JSON number that is a non-negative safe integer (larger
 * numbers have already lost precision in the JSON parser, so they must be strings).
 */
export function parseAmount(v: unknown): Parsed<bigint> {
  let value: bigint;
  if (typeof v === "string") {
    if (!/^[0-9]+$/.test(v)) return bad(expectedFound(AMOUNT, v));
    value = BigInt(v);
  } else if (typeof v === "number") {
    if (!Number.isInteger(v) || v < 0) return bad(expectedFound(AMOUNT, v));
    if (!Number.isSafeInteger(v)) {
      return bad(`${expectedFound(AMOUNT, v)} (numbers above 2^53-1 lose precision in JSON: write it as a string)`);
    }
    value = BigInt(v);
  } else if (typeof v === "bigint") {
    if (v < 0n) return bad(expectedFound(AMOUNT, v));
    value = v;
  } else {
    return bad(expectedFound(AMOUNT, v));
  }
  if (value > U128_MAX) return bad(`expected an amount of at most 2^128-1 (u128), found ${describeValue(v)}`);
  return ok(value);
}

const RATIO = 'a decimal string in [0, 1] with at most 18 decimals, like "0.032"';

/**
 * Parses a decimal string in [0, 1] exactly into perquintill (parts of 10^18): `"0.032"` is
 * `32_000_000_000_000_000n`. JSON numbers are refused because a binary float is not the decimal the user
 * wrote; more than 18 decimals cannot be represented and is refused rather than rounded.
 */
export function parsePerquintill(v: unknown): Parsed<bigint> {
  if (typeof v !== "string") return bad(expectedFound(RATIO, v));
  const m = /^([0-9]+)(?:\.([0-9]+))?$/.exec(v);
  if (m === null) return bad(expectedFound(RATIO, v));
  const whole = m[1]!;
  const frac = m[2] ?? "";
  if (frac.length > 18)
    return bad(`expected at most 18 decimals (perquintill), found ${frac.length} in ${describeValue(v)}`);
  const value = BigInt(whole) * PERQUINTILL_ONE + BigInt(frac.padEnd(18, "0"));
  if (value > PERQUINTILL_ONE) return bad(`expected a ratio of at most 1, found ${describeValue(v)}`);
  return ok(value);
}

/** Shortest decimal string of a perquintill: `32_000_000_000_000_000n` is `"0.032"`, one is `"1"`. */
export function formatPerquintill(value: bigint): string {
  const whole = value / PERQUINTILL_ONE;
  const frac = (value % PERQUINTILL_ONE).toString().padStart(18, "0").replace(/0+$/, "");
  return frac === "" ? whole.toString() : `${whole}.${frac}`;
}

/** Bytes of a `0x`-prefixed hex string with an even number of digits (`what` names it in the reason). */
export function parseHexBytes(v: unknown, what: string, opts: { nonEmpty?: boolean } = {}): Parsed<Uint8Array> {
  const expected = `${what} as 0x-prefixed hex`;
  if (typeof v !== "string" || !/^0x(?:[0-9a-fA-F]{2})*$/.test(v)) return bad(expectedFound(expected, v));
  if (opts.nonEmpty === true && v.length === 2) return bad(`expected non-empty ${expected}, found "0x"`);
  return ok(fromHex(v));
}

/** A libp2p multiaddr with a peer id, as Substrate's `bootNodes` holds: `/ip4/127.0.0.1/tcp/30333/ws/p2p/12D3...`. */
export function parseBootNode(v: unknown): Parsed<string> {
  if (typeof v !== "string" || !/^\/\S+\/p2p\/[^/\s]+$/.test(v)) {
    return bad(expectedFound("a multiaddr ending in /p2p/<peer id>", v));
  }
  return ok(v);
}
