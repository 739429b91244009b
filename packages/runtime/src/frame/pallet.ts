import { concatBytes } from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import type { BlockContext } from "./context.js";
import { DispatchError } from "./errors.js";
import type {
  ConstantMetadataDef,
  ErrorMetadataDef,
  EventMetadataDef,
  FieldDef,
  PalletMetadataDef,
} from "./metadataTypes.js";
import type { Origin } from "./origin.js";
import type { StorageMap, StorageValue } from "./storage.js";

/** Ref-time units per second (Substrate `WEIGHT_REF_TIME_PER_SECOND`). */
export const WEIGHT_REF_TIME_PER_SECOND = 1_000_000_000_000n;
/** Ref-time units per millisecond. */
export const WEIGHT_REF_TIME_PER_MILLIS = 1_000_000_000n;
/** Ref-time units per microsecond. */
export const WEIGHT_REF_TIME_PER_MICROS = 1_000_000n;

/** FRAME dispatch classes. */
export type DispatchClass = "Normal" | "Operational" | "Mandatory";

/** One callable of a pallet. `args` arrive decoded by the runtime registry, in declaration order. */
export interface CallDef {
  name: string;
  index: number;
  args: FieldDef[];
  docs?: string[];
  /** The call's ref-time weight for these arguments (charged before dispatch, as FRAME does). */
  weight(args: readonly Codec[]): bigint;
  /** Defaults to Normal. Inherents are Mandatory. */
  dispatchClass?: DispatchClass;
  /** Defaults to true. */
  paysFee?: boolean;
  /** Executes the call; throws `DispatchError` to fail (its state changes are rolled back). */
  dispatch(ctx: BlockContext, origin: Origin, args: readonly Codec[]): void;
}

/** A pallet: its storage, calls, events, errors, constants and block hooks. */
export interface Pallet {
  name: string;
  index: number;
  /** Rust crate path used in metadata type paths, e.g. "pallet_balances". */
  crate: string;
  storage?: Array<StorageValue | StorageMap>;
  calls?: CallDef[];
  events?: EventMetadataDef[];
  errors?: ErrorMetadataDef[];
  constants?: ConstantMetadataDef[];
  /** Names of calls that are inherents: unsigned, Mandatory, put in by the block author. */
  inherents?: string[];
  /** `on_initialize`: runs before the block's extrinsics; returns the ref-time it used. */
  onInitialize?(ctx: BlockContext): bigint;
  /** `on_finalize`: runs after the block's extrinsics. */
  onFinalize?(ctx: BlockContext): void;
}

/** The metadata definition of a pallet. */
export function palletMetadata(p: Pallet): PalletMetadataDef {
  return {
    name: p.name,
    index: p.index,
    crate: p.crate,
    ...(p.storage && p.storage.length > 0
      ? { storage: { prefix: p.name, items: p.storage.map((s) => s.meta()) } }
      : {}),
    ...(p.calls && p.calls.length > 0
      ? { calls: p.calls.map((c) => ({ name: c.name, index: c.index, args: c.args, docs: c.docs ?? [] })) }
      : {}),
    ...(p.events && p.events.length > 0 ? { events: p.events } : {}),
    ...(p.errors && p.errors.length > 0 ? { errors: p.errors } : {}),
    ...(p.constants && p.constants.length > 0 ? { constants: p.constants } : {}),
  };
}

/** Declares a pallet's errors; `raise(name)` throws the matching `DispatchError::Module`. */
export function palletErrors<N extends string>(pallet: string, palletIndex: number, names: readonly N[]) {
  const meta: ErrorMetadataDef[] = names.map((name, index) => ({ name, index, docs: [] }));
  const byName = new Map(names.map((n, i) => [n as string, i]));
  return {
    meta,
    /** A `DispatchError::Module` for this pallet's error `name`. */
    error(name: N): DispatchError {
      return new DispatchError({ kind: "Module", index: palletIndex, error: byName.get(name)!, pallet, name });
    },
  };
}

/** An event as emitted, for tests, the builder and logs: `pallet.name` with named field values. */
export interface EmittedEvent {
  pallet: string;
  name: string;
  fields: Record<string, unknown>;
  /** Index of the extrinsic in whose phase it was emitted, if any. */
  extrinsicIndex?: number;
}

/** Declares a pallet's events; `emit(ctx, name, ...values)` encodes and deposits one. */
export function palletEvents<N extends string>(
  registry: TypeRegistry,
  pallet: string,
  palletIndex: number,
  defs: ReadonlyArray<{ name: N; fields: FieldDef[]; docs?: string[] }>,
) {
  const meta: EventMetadataDef[] = defs.map((d, index) => ({
    name: d.name,
    index,
    fields: d.fields,
    docs: d.docs ?? [],
  }));
  const byName = new Map(defs.map((d, i) => [d.name as string, { index: i, fields: d.fields }]));
  return {
    meta,
    /** Encodes `values` (in field order) and deposits the event in the current phase. */
    emit(ctx: BlockContext, name: N, ...values: unknown[]): void {
      const def = byName.get(name)!;
      const parts: Uint8Array[] = [new Uint8Array([palletIndex, def.index])];
      const fields: Record<string, unknown> = {};
      def.fields.forEach((f, i) => {
        parts.push(encodeValue(registry, f.type, values[i]));
        fields[f.name] = values[i];
      });
      ctx.depositEvent(concatBytes(...parts), { pallet, name, fields });
    },
  };
}

/** SCALE-encodes a value of a registry type, with fast paths for the hot primitive types. */
export function encodeValue(registry: TypeRegistry, type: string, value: unknown): Uint8Array {
  if (value instanceof Uint8Array && (type === "AccountId32" || type === "H256" || type === "AccountId")) return value;
  // A codec is taken as already of the field's type (the caller built it from the same registry). Checked
  // before the pre-encoded pass-through: `Bytes`-like codecs (HeadData ...) are Uint8Arrays of their content,
  // their encoding adds the length prefix.
  if (value !== null && typeof value === "object" && "toU8a" in value && typeof value.toU8a === "function") {
    return (value as Codec).toU8a();
  }
  // Pre-encoded values (callers caching an encoding, e.g. DispatchInfo) pass through.
  if (value instanceof Uint8Array && type !== "Bytes" && type !== "Vec<u8>") return value;
  if (typeof value === "bigint" && (type === "u128" || type === "Balance")) return u128Le(value);
  return registry.createType(type, value).toU8a();
}

/** Little-endian u128. */
export function u128Le(v: bigint): Uint8Array {
  const out = new Uint8Array(16);
  let x = v;
  for (let i = 0; i < 16; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}
