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

  // --- relay-validator network messages (gossip and request/response) ---
  /** A finality vote for the voter's best block; signed over "FNLT" ++ genesis hash ++ hash ++ number (u32 LE). */
  FinalityVote: { hash: "H256", number: "u32", validatorIndex: "u32", signature: "H512" },
  /** A backing statement with, for Seconded, the candidate and its validation data (statement distribution). */
  StatementMessage: {
    relayParent: "H256",
    statement: "UncheckedSignedStatement",
    candidate: "Option<CommittedCandidateReceipt>",
    pvd: "Option<PersistedValidationData>",
  },
  /** An availability bitfield signed for `relayParent` (one bit per availability core). */
  BitfieldMessage: { relayParent: "H256", bitfield: "UncheckedSignedAvailabilityBitfield" },
  /**
   * Collator protocol: a collator declares itself and advertises a collation in one message, signed by its
   * collator key over "COLL" ++ relayParent ++ candidateHash; the validator then fetches it.
   */
  CollationAdvertisement: {
    paraId: "u32",
    relayParent: "H256",
    candidateHash: "H256",
    parentHeadDataHash: "H256",
    collatorId: "H256",
    signature: "H512",
  },
  /** The validator's answer to an advertisement. */
  AdvertisementReply: { _enum: { Accepted: "Null", Declined: "Text" } },
  /** Collation fetch request (validator to collator). */
  CollationFetchRequest: { relayParent: "H256", candidateHash: "H256" },
  /** A collation: the candidate, its validation data and the PoV (`ParaBlockData` bytes). */
  CollationResponse: { candidate: "CommittedCandidateReceipt", pvd: "PersistedValidationData", pov: "Bytes" },
  /** PoV fetch (validator to backer) for backing and availability. */
  PovFetchRequest: { candidateHash: "H256" },
  /** Block sync: blocks from `fromNumber` on the responder's best chain, at most `count`. */
  BlocksByRangeRequest: { fromNumber: "u32", count: "u32" },
  /** Block sync response: opaque blocks in ascending order. */
  BlocksResponse: "Vec<Bytes>",

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
