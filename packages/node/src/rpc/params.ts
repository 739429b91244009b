/**
 * Parameter readers for the Substrate methods: positional or named params (jsonrpsee accepts both), hex bytes,
 * hashes, numbers. Every refusal is `RpcError.invalidParams` (-32602) with a message naming the parameter,
 * what was expected and what was found, so a bad call is answered, never crashes a handler.
 */
import { fromHex } from "@parapipe/primitives";
import { RpcError } from "./errors.js";
import type { RpcParams } from "./server.js";

const HASH_RE = /^0x[0-9a-fA-F]{64}$/;
const HEX_RE = /^(0x)?([0-9a-fA-F]{2})*$/;

/**
 * The call's arguments in declaration order: positional params as given, named params picked by `names`
 * (jsonrpsee's named-params form), absent params as an empty list.
 */
export function positional(params: RpcParams, names: readonly string[]): unknown[] {
  if (params === undefined) return [];
  if (Array.isArray(params)) return params;
  return names.map((n) => params[n]);
}

/** A short rendering of a JSON value for messages. */
export function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function invalid(name: string, expected: string, got: unknown): RpcError {
  return RpcError.invalidParams(`${name}: expected ${expected}, got ${describe(got)}`);
}

/** Whether an optional parameter was left out (absent or null). */
export function isAbsent(v: unknown): v is undefined | null {
  return v === undefined || v === null;
}

/** A required parameter. */
export function required(v: unknown, name: string): unknown {
  if (isAbsent(v)) throw RpcError.invalidParams(`missing required parameter \`${name}\``);
  return v;
}

/** A 32-byte block or transaction hash (`0x` + 64 hex digits). */
export function hashParam(v: unknown, name: string): Uint8Array {
  required(v, name);
  if (typeof v !== "string" || !HASH_RE.test(v)) throw invalid(name, "a 0x-prefixed 32-byte hex hash", v);
  return fromHex(v);
}

/** An optional hash (absent or null = undefined). */
export function optHashParam(v: unknown, name: string): Uint8Array | undefined {
  return isAbsent(v) ? undefined : hashParam(v, name);
}

/**
 * Hex bytes (`sp_core::Bytes`): `0x`-prefixed or bare, even length; `""` and `"0x"` are empty (PAPI sends
 * `""` as the argument of argument-less runtime calls).
 */
export function bytesParam(v: unknown, name: string): Uint8Array {
  required(v, name);
  if (typeof v !== "string" || !HEX_RE.test(v)) throw invalid(name, "hex-encoded bytes", v);
  return fromHex(v);
}

/** Optional hex bytes. */
export function optBytesParam(v: unknown, name: string): Uint8Array | undefined {
  return isAbsent(v) ? undefined : bytesParam(v, name);
}

/** A list of hex byte strings (storage keys). */
export function bytesListParam(v: unknown, name: string): Uint8Array[] {
  required(v, name);
  if (!Array.isArray(v)) throw invalid(name, "an array of hex-encoded keys", v);
  return v.map((x, i) => bytesParam(x, `${name}[${i}]`));
}

/** A string. */
export function stringParam(v: unknown, name: string): string {
  required(v, name);
  if (typeof v !== "string") throw invalid(name, "a string", v);
  return v;
}

/** A u32. */
export function u32Param(v: unknown, name: string): number {
  required(v, name);
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffffffff)
    throw invalid(name, "an unsigned 32-bit integer", v);
  return v;
}

/**
 * A block number as Substrate's `NumberOrHex` takes it: a non-negative integer or a `0x` hex string (U256).
 * Returned as a bigint (the range check against u32 is the caller's, with Substrate's own error).
 */
export function numberOrHexParam(v: unknown, name: string): bigint {
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v) || v < 0) throw invalid(name, "a non-negative integer or a 0x-hex number", v);
    return BigInt(v);
  }
  if (typeof v === "string" && /^0x[0-9a-fA-F]{1,64}$/.test(v)) return BigInt(v);
  throw invalid(name, "a non-negative integer or a 0x-hex number", v);
}
