/**
 * parapipe's SCALE type definitions, registered on top of `@polkadot/types`' built-ins. Where a built-in
 * has the layout we need (Header, DigestItem, CandidateDescriptor, PersistedValidationData, BackedCandidate
 * ...) it is used as is; these definitions add what is missing and pin the layouts parapipe relies on.
 */
export const parapipeTypes = {
  // --- accounts (FRAME layout: frame_system::AccountInfo with pallet_balances::AccountData) ---
  AccountData: { free: "u128", reserved: "u128", frozen: "u128", flags: "u128" },
  AccountInfo: { nonce: "u32", consumers: "u32", providers: "u32", sufficients: "u32", data: "AccountData" },

  // --- blocks ---
  /** `[u8; 4]` as Substrate has it (polkadot-js' class has the same encoding; metadata needs the plain form). */
  ConsensusEngineId: "[u8; 4]",
  /** A block with opaque extrinsics: header ++ Vec<extrinsic bytes without their length prefix>. */
  OpaqueBlock: { header: "Header", extrinsics: "Vec<Bytes>" },

  // --- parachain validation (the PVF interface, polkadot-parachain-primitives) ---
  ValidationParams: {
    parentHead: "HeadData",
    blockData: "Bytes",
    relayParentNumber: "u32",
    relayParentStorageRoot: "H256",
  },
  ValidationResult: {
    headData: "HeadData",
    newValidationCode: "Option<Bytes>",
    upwardMessages: "Vec<Bytes>",
    horizontalMessages: "Vec<OutboundHrmpMessage>",
    processedDownwardMessages: "u32",
    hrmpWatermark: "u32",
  },
  /** The PoV's block data: the parablock and the state witness (trie nodes its execution touched). */
  ParaBlockData: { block: "OpaqueBlock", witness: "Vec<Bytes>" },
  /** The `setValidationData` inherent: validation data plus a proof of the relay state at the relay parent. */
  ParachainInherentData: { validationData: "PersistedValidationData", relayChainState: "Vec<Bytes>" },
  /** One block of the unincluded segment as the runtime tracks it (cumulus `Ancestor`, without messaging). */
  SegmentAncestor: { paraHeadHash: "Option<H256>" },
  /** AuraExt `RelaySlotInfo`: (relay slot, blocks authored in it). */
  RelaySlotInfo: "(u64, u32)",

  // --- relay-side wire types used by both node kinds ---
  AsyncBackingParams: { maxCandidateDepth: "u32", allowedAncestryLen: "u32" },
  CompactStatement: { _enum: { Never: "Null", Seconded: "H256", Valid: "H256", Invalid: "H256" } },
  SigningContext: { sessionIndex: "u32", parentHash: "H256" },
  UncheckedSignedStatement: { payload: "CompactStatement", validatorIndex: "u32", signature: "H512" },
  UncheckedSignedAvailabilityBitfield: { payload: "BitVec", validatorIndex: "u32", signature: "H512" },

  // --- ASTR economics (Astar pallet-inflation layouts: all fields compact) ---
  InflationParameters: {
    maxInflationRate: "Compact<Perquintill>",
    treasuryPart: "Compact<Perquintill>",
    collatorsPart: "Compact<Perquintill>",
    dappsPart: "Compact<Perquintill>",
    baseStakersPart: "Compact<Perquintill>",
    adjustableStakersPart: "Compact<Perquintill>",
    bonusPart: "Compact<Perquintill>",
    idealStakingRate: "Compact<Perquintill>",
    decayRate: "Compact<Perquintill>",
  },
  InflationConfiguration: {
    recalculationEra: "Compact<u32>",
    issuanceSafetyCap: "Compact<u128>",
    collatorRewardPerBlock: "Compact<u128>",
    treasuryRewardPerBlock: "Compact<u128>",
    dappRewardPoolPerEra: "Compact<u128>",
    baseStakerRewardPoolPerEra: "Compact<u128>",
    adjustableStakerRewardPoolPerEra: "Compact<u128>",
    bonusRewardPoolPerPeriod: "Compact<u128>",
    idealStakingRate: "Compact<Perquintill>",
    decayRate: "Compact<Perquintill>",
    decayFactor: "Compact<Perquintill>",
  },
  /** parapipe's exact-issuance carry: what the per-block values will not pay by the end of the cycle. */
  RewardRemainder: { collator: "u128", treasury: "u128" },
  /** dApp staking's `ProtocolState` (era schedule) as the Inflation pallet keeps it. */
  InflationSubperiod: { _enum: ["Voting", "BuildAndEarn"] },
  InflationProtocolState: {
    era: "u32",
    nextEraStart: "u32",
    periodNumber: "u32",
    subperiod: "InflationSubperiod",
    nextSubperiodStartEra: "u32",
  },
  CycleConfiguration: {
    periodsPerCycle: "u32",
    erasPerVotingSubperiod: "u32",
    erasPerBuildAndEarnSubperiod: "u32",
    blocksPerEra: "u32",
  },
} as const;
