import { createRegistry } from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { RegistryTypes } from "@polkadot/types/types";

/**
 * The relay runtime's own SCALE types, registered on top of the parapipe registry (which already has the
 * `@polkadot/types` parachain definitions: CandidateDescriptor, CandidateCommitments, CommittedCandidateReceipt,
 * PersistedValidationData, HeadData, SigningContext, AsyncBackingParams ...). Every layout follows polkadot-sdk
 * (`polkadot/primitives/src/v8/mod.rs`, `polkadot/runtime/parachains/src/{configuration,shared,inclusion}`).
 */
export const relayTypes = {
  /**
   * `ValidityAttestation` as polkadot-sdk declares it: `Implicit = 1`, `Explicit = 2` (`#[codec(index)]`), no
   * variant 0. polkadot-js' built-in has a `Never` variant at 0; the placeholder keeps the indexes and the
   * metadata builder leaves it out.
   */
  ValidityAttestation: { _enum: { __Unused0: "Null", Implicit: "H512", Explicit: "H512" } },
  /** `BackedCandidate` (v1 descriptor): the committed receipt, the votes, the in-group indices of the voters. */
  BackedCandidate: {
    candidate: "CommittedCandidateReceipt",
    validityVotes: "Vec<ValidityAttestation>",
    validatorIndices: "BitVec",
  },
  /**
   * The `ParaInherent.enter` argument: `polkadot_primitives::InherentData` without the disputes field
   * (parapipe has no disputes): signed availability bitfields, backed candidates, the parent header.
   */
  ParasInherentData: {
    bitfields: "Vec<UncheckedSignedAvailabilityBitfield>",
    backedCandidates: "Vec<BackedCandidate>",
    parentHeader: "Header",
  },
  /** The `HostConfiguration` fields parapipe uses (`Configuration.ActiveConfig`). */
  RelayHostConfiguration: {
    maxCodeSize: "u32",
    maxHeadDataSize: "u32",
    maxPovSize: "u32",
    asyncBackingParams: "AsyncBackingParams",
    minimumBackingVotes: "u32",
    groupRotationFrequency: "u32",
    parasAvailabilityPeriod: "u32",
    schedulingLookahead: "u32",
    maxValidatorsPerCore: "Option<u32>",
  },
  /** One entry of `AllowedRelayParentsTracker.buffer`: a relay block hash and its state root. */
  AllowedRelayParent: { relayParent: "H256", stateRoot: "H256" },
  /** `shared::AllowedRelayParentsTracker`: the recent relay parents, oldest first; numbers count down from `latestNumber`. */
  AllowedRelayParentsTracker: { buffer: "Vec<AllowedRelayParent>", latestNumber: "u32" },
  /** `inclusion::CandidatePendingAvailability` (current layout, with the commitments). */
  CandidatePendingAvailabilityEntry: {
    core: "u32",
    hash: "H256",
    descriptor: "CandidateDescriptor",
    commitments: "CandidateCommitments",
    availabilityVotes: "BitVec",
    backers: "BitVec",
    relayParentNumber: "u32",
    backedInNumber: "u32",
    backingGroup: "u32",
  },
  /** The relay runtime's parameters as `:code` carries them (after the name and a 0x00 byte). */
  RelayRuntimeCode: {
    specVersion: "u32",
    slotDurationMs: "u64",
    existentialDeposit: "u128",
    ss58Prefix: "u16",
    hostConfiguration: "RelayHostConfiguration",
    validators: "Vec<AccountId32>",
  },
} as const;

/** Rust paths of the relay types in the metadata (`RuntimeMetadataDef.paths`), as polkadot-sdk declares them. */
export const RELAY_TYPE_PATHS: Record<string, string[]> = {
  ValidityAttestation: ["polkadot_primitives", "v8", "ValidityAttestation"],
  BackedCandidate: ["polkadot_primitives", "v8", "BackedCandidate"],
  ParasInherentData: ["polkadot_primitives", "v8", "InherentData"],
  RelayHostConfiguration: ["polkadot_runtime_parachains", "configuration", "HostConfiguration"],
  AllowedRelayParent: ["polkadot_runtime_parachains", "shared", "AllowedRelayParent"],
  AllowedRelayParentsTracker: ["polkadot_runtime_parachains", "shared", "AllowedRelayParentsTracker"],
  CandidatePendingAvailabilityEntry: ["polkadot_runtime_parachains", "inclusion", "CandidatePendingAvailability"],
  CandidateDescriptor: ["polkadot_primitives", "v8", "CandidateDescriptor"],
  CandidateReceipt: ["polkadot_primitives", "v8", "CandidateReceipt"],
  CommittedCandidateReceipt: ["polkadot_primitives", "v8", "CommittedCandidateReceipt"],
  CandidateCommitments: ["polkadot_primitives", "v8", "CandidateCommitments"],
  PersistedValidationData: ["polkadot_primitives", "v8", "PersistedValidationData"],
  UncheckedSignedAvailabilityBitfield: ["polkadot_primitives", "v8", "signed", "UncheckedSigned"],
  AsyncBackingParams: ["polkadot_primitives", "v8", "async_backing", "AsyncBackingParams"],
  OutboundHrmpMessage: ["polkadot_core_primitives", "OutboundHrmpMessage"],
  ParaLifecycle: ["polkadot_runtime_parachains", "paras", "ParaLifecycle"],
};

/** A registry with every parapipe type and the relay types registered (one per relay runtime, plus the shared one). */
export function createRelayRegistry(): TypeRegistry {
  const registry = createRegistry();
  registry.register(relayTypes as unknown as RegistryTypes);
  return registry;
}

/** A relay registry without metadata, for encoding relay wire values outside a runtime (`:code`, candidates). */
export const relayRegistry: TypeRegistry = createRelayRegistry();
