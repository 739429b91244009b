import { blake2_64, blake2_256, concatBytes } from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import type { BlockContext } from "../frame/context.js";
import type { DispatchErrorValue } from "../frame/errors.js";
import { DispatchError, dispatchErrorToCodecInput } from "../frame/errors.js";
import type { Origin } from "../frame/origin.js";
import {
  type DispatchClass,
  type Pallet,
  palletErrors,
  palletEvents,
  WEIGHT_REF_TIME_PER_MICROS,
} from "../frame/pallet.js";
import { type StateAccess, StorageMap, StorageValue } from "../frame/storage.js";

/** `frame_system::AccountInfo` with `pallet_balances::AccountData`, as plain values. */
export interface AccountInfo {
  nonce: number;
  consumers: number;
  providers: number;
  sufficients: number;
  free: bigint;
  reserved: bigint;
  frozen: bigint;
  flags: bigint;
}

/** `pallet_balances` sets this bit in `flags` for accounts on the new (holds/freezes) logic. */
export const ACCOUNT_FLAGS_NEW_LOGIC = 1n << 127n;

/** The runtime version, as `state_getRuntimeVersion` and the `System.Version` constant give it. */
export interface RuntimeVersionSpec {
  specName: string;
  implName: string;
  authoringVersion: number;
  specVersion: number;
  implVersion: number;
  /** Runtime API names with their versions; ids are blake2_64 of the names. */
  apis: Array<[string, number]>;
  transactionVersion: number;
  stateVersion: number;
}

/** Per-dispatch-class limits from the chain spec (FRAME `BlockWeights`). */
export interface BlockLimits {
  /** Max ref-time of a block (2 s async, 0.5 s sync). */
  maxBlockRefTime: bigint;
  /** Share of the block usable by Normal extrinsics, in parts per million (750_000 = 75 %). */
  normalRatioPpm: bigint;
  /** Base weight of every extrinsic (signature check, nonce, fee): calibrated by bench/runtime. */
  baseExtrinsic: bigint;
  /** Max encoded length of a block. */
  maxBlockLength: number;
}

/** The runtime-API id of a name: blake2_64(name) (`0xdf6acb689907609b` for "Core"). */
export function runtimeApiId(name: string): Uint8Array {
  return blake2_64(new TextEncoder().encode(name));
}

/**
 * `frame_system`: accounts and nonces, block number and hashes, events, and the extrinsic accounting the
 * executive reports (ExtrinsicSuccess / ExtrinsicFailed with DispatchInfo).
 */
export function createSystem(
  registry: TypeRegistry,
  index: number,
  cfg: { version: RuntimeVersionSpec; ss58Prefix: number; blockHashCount: number; limits: BlockLimits },
) {
  const P = "System";
  const Account = new StorageMap(registry, P, "Account", "Blake2_128Concat", "AccountId32", "AccountInfo", {
    docs: ["The full account information for a particular account ID."],
  });
  const BlockNumber = new StorageValue(registry, P, "Number", "u32", {
    docs: ["The current block number being processed."],
  });
  const ParentHash = new StorageValue(registry, P, "ParentHash", "H256", { docs: ["Hash of the previous block."] });
  const BlockHash = new StorageMap(registry, P, "BlockHash", "Twox64Concat", "u32", "H256", {
    docs: ["Map of block numbers to block hashes."],
  });
  const Events = new StorageValue(registry, P, "Events", "Vec<EventRecord>", {
    fallback: new Uint8Array([0]),
    docs: ["Events deposited for the current block."],
  });
  const EventCount = new StorageValue(registry, P, "EventCount", "u32", {
    docs: ["The number of events in `Events`."],
  });
  const ExtrinsicCount = new StorageValue(registry, P, "ExtrinsicCount", "u32", {
    modifier: "Optional",
    docs: ["Total extrinsics count for the current block."],
  });
  const Digest = new StorageValue(registry, P, "Digest", "Digest", { docs: ["Digest of the current block."] });

  const errors = palletErrors(P, index, [
    "InvalidSpecName",
    "SpecVersionNeedsToIncrease",
    "FailedToExtractRuntimeVersion",
    "NonDefaultComposite",
    "NonZeroRefCount",
    "CallFiltered",
  ] as const);
  const events = palletEvents(registry, P, index, [
    { name: "ExtrinsicSuccess", fields: [{ name: "dispatch_info", type: "DispatchInfo" }] },
    {
      name: "ExtrinsicFailed",
      fields: [
        { name: "dispatch_error", type: "DispatchError" },
        { name: "dispatch_info", type: "DispatchInfo" },
      ],
    },
    { name: "CodeUpdated", fields: [] },
    { name: "NewAccount", fields: [{ name: "account", type: "AccountId32", typeName: "T::AccountId" }] },
    { name: "KilledAccount", fields: [{ name: "account", type: "AccountId32", typeName: "T::AccountId" }] },
    {
      name: "Remarked",
      fields: [
        { name: "sender", type: "AccountId32", typeName: "T::AccountId" },
        { name: "hash", type: "H256", typeName: "T::Hash" },
      ],
    },
  ] as const);

  const dispatchInfoCache = new Map<string, Uint8Array>();
  const versionCodec = registry.createType("RuntimeVersion", {
    specName: cfg.version.specName,
    implName: cfg.version.implName,
    authoringVersion: cfg.version.authoringVersion,
    specVersion: cfg.version.specVersion,
    implVersion: cfg.version.implVersion,
    apis: cfg.version.apis.map(([name, v]) => [runtimeApiId(name), v]),
    transactionVersion: cfg.version.transactionVersion,
    stateVersion: cfg.version.stateVersion,
  });

  /** Reads an account (zero/default if absent). Hand codec: a fixed 80-byte layout, checked against the registry in tests. */
  function account(state: StateAccess, who: Uint8Array): AccountInfo {
    const raw = state.get(Account.keyFor(who));
    return raw === undefined ? emptyAccount() : decodeAccountInfo(raw);
  }

  /** Writes an account, or removes it when it holds nothing and has no references (FRAME reaping). */
  function setAccount(state: StateAccess, who: Uint8Array, info: AccountInfo): void {
    const key = Account.keyFor(who);
    if (info.providers === 0 && info.sufficients === 0 && info.free === 0n && info.reserved === 0n) state.delete(key);
    else state.set(key, encodeAccountInfo(info));
  }

  function accountExists(state: StateAccess, who: Uint8Array): boolean {
    return state.get(Account.keyFor(who)) !== undefined;
  }

  const remarkWeight = (args: readonly Codec[]) =>
    2n * WEIGHT_REF_TIME_PER_MICROS + BigInt(args[0]!.encodedLength) * 1_000n;

  const pallet: Pallet = {
    name: P,
    index,
    crate: "frame_system",
    storage: [Account, ExtrinsicCount, BlockNumber, ParentHash, BlockHash, Digest, Events, EventCount],
    calls: [
      {
        name: "remark",
        index: 0,
        args: [{ name: "remark", type: "Bytes", typeName: "Vec<u8>" }],
        docs: ["Make some on-chain remark."],
        weight: remarkWeight,
        dispatch(_ctx, origin) {
          ensureSignedOrRoot(origin);
        },
      },
      {
        name: "remark_with_event",
        index: 7,
        args: [{ name: "remark", type: "Bytes", typeName: "Vec<u8>" }],
        docs: ["Make some on-chain remark and emit an event."],
        weight: remarkWeight,
        dispatch(ctx, origin, args) {
          const who = ensureSigned(origin);
          events.emit(
            ctx,
            "Remarked",
            who,
            blake2_256((args[0] as unknown as { toU8a(b: boolean): Uint8Array }).toU8a(true)),
          );
        },
      },
    ],
    events: events.meta,
    errors: errors.meta,
    constants: [
      { name: "BlockHashCount", type: "u32", value: registry.createType("u32", cfg.blockHashCount).toU8a() },
      { name: "Version", type: "RuntimeVersion", value: versionCodec.toU8a() },
      { name: "SS58Prefix", type: "u16", value: registry.createType("u16", cfg.ss58Prefix).toU8a() },
    ],
  };

  return {
    pallet,
    errors,
    events,
    storage: { Account, Number: BlockNumber, ParentHash, BlockHash, Events, EventCount, ExtrinsicCount, Digest },
    version: cfg.version,
    versionCodec,
    limits: cfg.limits,
    blockHashCount: cfg.blockHashCount,
    account,
    setAccount,
    accountExists,

    /** `initialize`: number, parent hash, digest, block hash of the parent; events reset. */
    initialize(ctx: BlockContext): void {
      const s = ctx.state;
      BlockNumber.put(s, ctx.number);
      ParentHash.putRaw(s, ctx.parentHash);
      BlockHash.put(s, ctx.number - 1, ctx.parentHash);
      // Keep BlockHashCount hashes (mortal transactions look their birth block up here).
      const prune = ctx.number - 1 - cfg.blockHashCount;
      if (prune > 0) BlockHash.remove(s, prune);
      Digest.put(s, ctx.header.digest);
      Events.kill(s);
      EventCount.kill(s);
    },

    /** Writes the block's events and extrinsic count (once, at the end: no per-event re-encoding). */
    finalize(ctx: BlockContext, extrinsicCount: number): void {
      const records = ctx.eventRecords;
      const count = registry.createType("Compact<u32>", records.length).toU8a();
      Events.putRaw(ctx.state, concatBytes(count, ...records));
      EventCount.put(ctx.state, records.length);
      ExtrinsicCount.put(ctx.state, extrinsicCount);
    },

    /** Emits ExtrinsicSuccess / ExtrinsicFailed with the DispatchInfo. */
    noteApplied(ctx: BlockContext, info: DispatchInfoValue, error?: DispatchErrorValue): void {
      // Most extrinsics of a block share their DispatchInfo: encode each distinct one once.
      const cacheKey = `${info.weight}/${info.class}/${info.paysFee}`;
      let di = dispatchInfoCache.get(cacheKey);
      if (!di) {
        di = registry
          .createType("DispatchInfo", {
            weight: { refTime: info.weight, proofSize: 0 },
            class: info.class,
            paysFee: info.paysFee ? "Yes" : "No",
          })
          .toU8a();
        if (dispatchInfoCache.size > 1024) dispatchInfoCache.clear();
        dispatchInfoCache.set(cacheKey, di);
      }
      if (error) events.emit(ctx, "ExtrinsicFailed", dispatchErrorToCodecInput(error), di);
      else events.emit(ctx, "ExtrinsicSuccess", di);
    },
  };
}

/** The weight/class/fee flag reported with each applied extrinsic. */
export interface DispatchInfoValue {
  weight: bigint;
  class: DispatchClass;
  paysFee: boolean;
}

/** The `System` pallet instance type. */
export type SystemPallet = ReturnType<typeof createSystem>;

/** Requires a signed origin and returns the signer. */
export function ensureSigned(origin: Origin): Uint8Array {
  if (origin.kind !== "signed") throw new DispatchError({ kind: "BadOrigin" });
  return origin.who;
}

/** Requires root. */
export function ensureRoot(origin: Origin): void {
  if (origin.kind !== "root") throw new DispatchError({ kind: "BadOrigin" });
}

/** Requires none (inherents). */
export function ensureNone(origin: Origin): void {
  if (origin.kind !== "none") throw new DispatchError({ kind: "BadOrigin" });
}

function ensureSignedOrRoot(origin: Origin): void {
  if (origin.kind === "none") throw new DispatchError({ kind: "BadOrigin" });
}

/** An empty account. */
export function emptyAccount(): AccountInfo {
  return { nonce: 0, consumers: 0, providers: 0, sufficients: 0, free: 0n, reserved: 0n, frozen: 0n, flags: 0n };
}

/** Decodes `AccountInfo` (u32 x4 ++ u128 x4, little endian). */
export function decodeAccountInfo(raw: Uint8Array): AccountInfo {
  if (raw.length !== 80) throw new TypeError(`AccountInfo must be 80 bytes, found ${raw.length}`);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const u128 = (o: number) => dv.getBigUint64(o, true) | (dv.getBigUint64(o + 8, true) << 64n);
  return {
    nonce: dv.getUint32(0, true),
    consumers: dv.getUint32(4, true),
    providers: dv.getUint32(8, true),
    sufficients: dv.getUint32(12, true),
    free: u128(16),
    reserved: u128(32),
    frozen: u128(48),
    flags: u128(64),
  };
}

/** Encodes `AccountInfo`. */
export function encodeAccountInfo(a: AccountInfo): Uint8Array {
  const out = new Uint8Array(80);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, a.nonce, true);
  dv.setUint32(4, a.consumers, true);
  dv.setUint32(8, a.providers, true);
  dv.setUint32(12, a.sufficients, true);
  const M = (1n << 64n) - 1n;
  const put = (o: number, v: bigint) => {
    dv.setBigUint64(o, v & M, true);
    dv.setBigUint64(o + 8, (v >> 64n) & M, true);
  };
  put(16, a.free);
  put(32, a.reserved);
  put(48, a.frozen);
  put(64, a.flags);
  return out;
}
