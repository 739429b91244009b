import { bytesEqual } from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import type { Pallet } from "../frame/pallet.js";
import { type StateAccess, StorageValue } from "../frame/storage.js";

/** A relay block a candidate may use as its relay parent. */
export interface AllowedRelayParentValue {
  hash: Uint8Array;
  number: number;
  stateRoot: Uint8Array;
}

/**
 * `shared::AllowedRelayParentsTracker` as values: the last `allowedAncestryLen + 1` relay blocks, oldest first.
 * Numbers are consecutive, ending at `latestNumber`.
 */
export interface AllowedRelayParentsValue {
  buffer: Array<{ relayParent: Uint8Array; stateRoot: Uint8Array }>;
  latestNumber: number;
}

/** The entries of a tracker with their block numbers. */
export function allowedRelayParentList(t: AllowedRelayParentsValue): AllowedRelayParentValue[] {
  const n = t.buffer.length;
  return t.buffer.map((e, i) => ({
    hash: e.relayParent,
    stateRoot: e.stateRoot,
    number: t.latestNumber - (n - 1 - i),
  }));
}

/**
 * `AllowedRelayParentsTracker::update`: appends a block and keeps the newest `maxAncestryLen + 1`
 * (`allowedAncestryLen = 0` keeps only the parent: sync backing).
 */
export function trackRelayParent(
  t: AllowedRelayParentsValue,
  block: AllowedRelayParentValue,
  maxAncestryLen: number,
): AllowedRelayParentsValue {
  // Numbers must stay consecutive; a gap (never expected) restarts the buffer.
  const consecutive = t.buffer.length === 0 || block.number === t.latestNumber + 1;
  const buffer = [...(consecutive ? t.buffer : []), { relayParent: block.hash, stateRoot: block.stateRoot }];
  while (buffer.length > maxAncestryLen + 1) buffer.shift();
  return { buffer, latestNumber: block.number };
}

/**
 * `AllowedRelayParentsTracker::acquire_info`: the state root and number of an allowed relay parent, or
 * undefined if it is not (or no longer) allowed.
 */
export function acquireRelayParentInfo(
  t: AllowedRelayParentsValue,
  relayParent: Uint8Array,
): { stateRoot: Uint8Array; number: number } | undefined {
  const pos = t.buffer.findIndex((e) => bytesEqual(e.relayParent, relayParent));
  if (pos < 0) return undefined;
  return { stateRoot: t.buffer[pos]!.stateRoot, number: t.latestNumber - (t.buffer.length - 1 - pos) };
}

/**
 * `shared` (`ParasShared`): the session index, the active validator keys and the allowed relay parents, which
 * `ParaInherent.enter` advances with the block's parent before processing candidates.
 */
export function createShared(registry: TypeRegistry, index: number) {
  const P = "ParasShared";
  const CurrentSessionIndex = new StorageValue(registry, P, "CurrentSessionIndex", "u32", {
    docs: ["The current session index."],
  });
  const ActiveValidatorKeys = new StorageValue(registry, P, "ActiveValidatorKeys", "Vec<AccountId32>", {
    docs: ["The parachain attestation keys of the validators actively participating in parachain consensus."],
  });
  const AllowedRelayParents = new StorageValue(registry, P, "AllowedRelayParents", "AllowedRelayParentsTracker", {
    docs: ["All allowed relay-parents."],
  });

  function allowed(s: StateAccess): AllowedRelayParentsValue {
    const t = AllowedRelayParents.get(s) as unknown as { buffer: Array<Record<string, Codec>>; latestNumber: Codec };
    return {
      buffer: t.buffer.map((e) => ({ relayParent: e["relayParent"]!.toU8a(), stateRoot: e["stateRoot"]!.toU8a() })),
      latestNumber: (t.latestNumber as unknown as { toNumber(): number }).toNumber(),
    };
  }

  const pallet: Pallet = {
    name: P,
    index,
    crate: "polkadot_runtime_parachains::shared",
    storage: [CurrentSessionIndex, ActiveValidatorKeys, AllowedRelayParents],
  };

  return {
    pallet,
    storage: { CurrentSessionIndex, ActiveValidatorKeys, AllowedRelayParents },
    allowed,
    sessionIndex: (s: StateAccess) => (CurrentSessionIndex.get(s) as unknown as { toNumber(): number }).toNumber(),
    activeValidators: (s: StateAccess) => (ActiveValidatorKeys.get(s) as unknown as Codec[]).map((v) => v.toU8a()),
    /** Adds the block's parent to the allowed relay parents. */
    update(s: StateAccess, parent: AllowedRelayParentValue, maxAncestryLen: number): void {
      AllowedRelayParents.put(s, trackRelayParent(allowed(s), parent, maxAncestryLen));
    },
    genesis(s: StateAccess, validators: readonly Uint8Array[]): void {
      CurrentSessionIndex.put(s, 0);
      ActiveValidatorKeys.put(s, validators);
    },
  };
}

/** The `ParasShared` pallet instance type. */
export type SharedPallet = ReturnType<typeof createShared>;
