import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import type { Pallet } from "../frame/pallet.js";
import { type StateAccess, StorageValue } from "../frame/storage.js";

/**
 * Splits `nValidators` validators (canonical order) into backing groups: as many groups as cores, more if
 * that is needed to keep groups at most `maxValidatorsPerCore` large, never more groups than validators.
 * The first `n % groups` groups get one validator more. Upstream shuffles the validators with the session's
 * randomness first; parapipe keeps the canonical order so every node computes the same groups without BABE.
 *
 * With the devnet (4 validators, 1 para, groups of at most 5): one group [0, 1, 2, 3], backed at
 * `min(4, minimumBackingVotes = 2) = 2` votes. With `maxValidatorsPerCore = 2`: groups [0, 1] and [2, 3]
 * rotating over the core.
 */
export function computeValidatorGroups(nValidators: number, nCores: number, maxValidatorsPerCore?: number): number[][] {
  if (nValidators === 0) return [];
  const bySize = maxValidatorsPerCore ? Math.ceil(nValidators / maxValidatorsPerCore) : 1;
  const nGroups = Math.min(nValidators, Math.max(1, nCores, bySize));
  const base = Math.floor(nValidators / nGroups);
  const larger = nValidators % nGroups;
  const groups: number[][] = [];
  let next = 0;
  for (let g = 0; g < nGroups; g++) {
    const size = g < larger ? base + 1 : base;
    groups.push(Array.from({ length: size }, (_, i) => next + i));
    next += size;
  }
  return groups;
}

/** `GroupRotationInfo`: where group rotation is counted from and how often groups rotate. */
export interface GroupRotationInfoValue {
  sessionStartBlock: number;
  /** 0: never rotate. */
  groupRotationFrequency: number;
  /** The block number the rotation is evaluated at. */
  now: number;
}

/**
 * The group assigned to `core` at block `at`: `(core + floor((at - sessionStart) / frequency)) % nGroups`.
 * Upstream takes the modulus over the number of cores; parapipe over the number of groups, so that groups
 * beyond the cores (small groups on a small network) take their turn too.
 */
export function groupForCoreAt(core: number, nGroups: number, r: GroupRotationInfoValue): number | undefined {
  if (nGroups === 0) return undefined;
  if (r.groupRotationFrequency === 0) return core % nGroups;
  const rotations = Math.floor(Math.max(0, r.now - r.sessionStartBlock) / r.groupRotationFrequency);
  return (core + rotations) % nGroups;
}

/**
 * `scheduler` (`ParaScheduler`): one core per registered parachain (core `i` serves `Paras.Parachains[i]`),
 * the validator groups of the session and their rotation over the cores.
 */
export function createScheduler(registry: TypeRegistry, index: number) {
  const P = "ParaScheduler";
  const ValidatorGroups = new StorageValue(registry, P, "ValidatorGroups", "Vec<Vec<u32>>", {
    docs: ["All the validator groups. One for each core. Indices are into `ActiveValidators`."],
  });
  const SessionStartBlock = new StorageValue(registry, P, "SessionStartBlock", "u32", {
    docs: ["The block number where the session start occurred. Used to track how many group rotations have occurred."],
  });

  function groups(s: StateAccess): number[][] {
    return (ValidatorGroups.get(s) as unknown as Codec[][]).map((g) =>
      g.map((v) => (v as unknown as { toNumber(): number }).toNumber()),
    );
  }
  const sessionStart = (s: StateAccess) => (SessionStartBlock.get(s) as unknown as { toNumber(): number }).toNumber();

  const pallet: Pallet = {
    name: P,
    index,
    crate: "polkadot_runtime_parachains::scheduler",
    storage: [ValidatorGroups, SessionStartBlock],
  };

  return {
    pallet,
    storage: { ValidatorGroups, SessionStartBlock },
    groups,
    sessionStart,
    /** The rotation info at block `now`. */
    rotationInfo(s: StateAccess, groupRotationFrequency: number, now: number): GroupRotationInfoValue {
      return { sessionStartBlock: sessionStart(s), groupRotationFrequency, now };
    },
    /**
     * `group_assigned_to_core(core, at)`; candidates are checked against the group at `relayParentNumber + 1`.
     */
    groupForCore(s: StateAccess, core: number, at: number, groupRotationFrequency: number): number | undefined {
      return groupForCoreAt(core, groups(s).length, {
        sessionStartBlock: sessionStart(s),
        groupRotationFrequency,
        now: at,
      });
    },
    genesis(s: StateAccess, nValidators: number, nCores: number, maxValidatorsPerCore?: number): void {
      ValidatorGroups.put(s, computeValidatorGroups(nValidators, nCores, maxValidatorsPerCore));
      SessionStartBlock.put(s, 0);
    },
  };
}

/** The `ParaScheduler` pallet instance type. */
export type SchedulerPallet = ReturnType<typeof createScheduler>;
