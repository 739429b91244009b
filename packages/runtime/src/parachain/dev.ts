import { blake2_256 } from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import { type Pallet, palletErrors, palletEvents, WEIGHT_REF_TIME_PER_MICROS } from "../frame/pallet.js";
import { StorageValue } from "../frame/storage.js";
import { ensureSigned } from "../pallets/system.js";

/** Longest remark the Dev pallet accepts, in bytes. */
export const MAX_REMARK_LEN = 4096;
/** Most iterations one `compute` call may ask for (≈ 1.2 s on this machine class). */
export const MAX_COMPUTE_ITERATIONS = 1_000_000;
/**
 * Ref-time of one `compute` iteration (a blake2-256 of 32 bytes, ≈ 0.9-1.0 µs with the WASM hasher on our 2-core
 * machines): `bench/runtime` measures it and prints the calibration so a block of `compute` calls fills the
 * execution window it claims to fill.
 */
export const COMPUTE_ITERATION_WEIGHT = 1_000_000n;

/**
 * The Dev pallet: remarks with a size limit, and `compute(iterations)`, a deterministic CPU load whose weight
 * matches its cost, so a benchmark can fill the 0.5 s (sync) or 2 s (async) execution window.
 */
export function createDev(registry: TypeRegistry, index: number) {
  const P = "Dev";
  const LastComputeResult = new StorageValue(registry, P, "LastComputeResult", "H256", {
    docs: ["The result of the last `compute` call (keeps the work observable)."],
  });
  const errors = palletErrors(P, index, ["RemarkTooLong", "TooManyIterations"] as const);
  const events = palletEvents(registry, P, index, [
    {
      name: "Remarked",
      fields: [
        { name: "sender", type: "AccountId32", typeName: "T::AccountId" },
        { name: "hash", type: "H256", typeName: "T::Hash" },
      ],
    },
    {
      name: "Computed",
      fields: [
        { name: "iterations", type: "u32", typeName: "u32" },
        { name: "result", type: "H256", typeName: "T::Hash" },
      ],
    },
  ] as const);
  const remarkBytes = (c: Codec) => (c as unknown as { toU8a(b: boolean): Uint8Array }).toU8a(true);
  const num = (c: Codec) => (c as unknown as { toNumber(): number }).toNumber();

  const pallet: Pallet = {
    name: P,
    index,
    crate: "pallet_dev",
    storage: [LastComputeResult],
    calls: [
      {
        name: "remark",
        index: 0,
        args: [{ name: "remark", type: "Bytes", typeName: "Vec<u8>" }],
        docs: [`Store nothing, emit the remark's hash; at most ${MAX_REMARK_LEN} bytes.`],
        weight: (args) => 5n * WEIGHT_REF_TIME_PER_MICROS + BigInt(remarkBytes(args[0]!).length) * 2_000n,
        dispatch(ctx, origin, args) {
          const who = ensureSigned(origin);
          const remark = remarkBytes(args[0]!);
          if (remark.length > MAX_REMARK_LEN) throw errors.error("RemarkTooLong");
          events.emit(ctx, "Remarked", who, blake2_256(remark));
        },
      },
      {
        name: "compute",
        index: 1,
        args: [{ name: "iterations", type: "u32", typeName: "u32" }],
        docs: ["Hash a 32-byte value `iterations` times: deterministic load with a matching weight."],
        weight: (args) => BigInt(Math.min(num(args[0]!), MAX_COMPUTE_ITERATIONS)) * COMPUTE_ITERATION_WEIGHT,
        dispatch(ctx, origin, args) {
          ensureSigned(origin);
          const n = num(args[0]!);
          if (n > MAX_COMPUTE_ITERATIONS) throw errors.error("TooManyIterations");
          let h = blake2_256(ctx.parentHash);
          for (let i = 0; i < n; i++) h = blake2_256(h);
          LastComputeResult.putRaw(ctx.state, h);
          events.emit(ctx, "Computed", n, h);
        },
      },
    ],
    events: events.meta,
    errors: errors.meta,
    constants: [
      { name: "MaxRemarkLen", type: "u32", value: registry.createType("u32", MAX_REMARK_LEN).toU8a() },
      {
        name: "ComputeIterationWeight",
        type: "u64",
        value: registry.createType("u64", COMPUTE_ITERATION_WEIGHT).toU8a(),
      },
    ],
  };
  return { pallet };
}
