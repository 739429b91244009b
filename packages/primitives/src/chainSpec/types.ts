/**
 * The normalised, fully typed chain spec that {@link parseChainSpec} returns: accounts are 32-byte public keys,
 * amounts and ratios are bigints, every optional field with a default has it filled in.
 */

/** Substrate's `ChainType`. */
export type ChainType = "Development" | "Local" | "Live";

/** A relay-chain spec or a parachain spec (a parachain spec names its relay chain and para id). */
export type ChainKind = "relay" | "para";

/** A 32-byte sr25519 public key. */
export type AccountId = Uint8Array;

/** A ratio in parts of 10^18 (`Perquintill`), e.g. `0.032` is `32_000_000_000_000_000n`. */
export type Perquintill = bigint;

/** `properties` as polkadot-js reads them; defaults: ss58Format 42, tokenDecimals 12, tokenSymbol "UNIT". */
export interface ChainProperties {
  ss58Format: number;
  tokenDecimals: number;
  tokenSymbol: string;
}

/** One endowed account of `balances.balances`. */
export interface BalanceEntry {
  account: AccountId;
  /** Free balance in plancks (u128). */
  amount: bigint;
}

/** `balances` genesis: the endowed accounts, no account twice. */
export interface BalancesGenesis {
  balances: BalanceEntry[];
}

/** `sudo` genesis: the root key. */
export interface SudoGenesis {
  key: AccountId;
}

/** `system` genesis of the parachain: the block weight limit. */
export interface ParaSystemGenesis {
  /** Maximum block execution time in ms of ref-time: 2000 with async backing, 500 with sync backing. */
  blockRefTimeMs: number;
  /** Share of the block weight normal (non-operational) extrinsics may use; default 0.75. */
  normalDispatchRatio: Perquintill;
}

/** `parachainSystem` genesis: the `FixedVelocityConsensusHook` parameters. */
export interface ParachainSystemGenesis {
  /** Maximum number of unincluded blocks (3 with async backing, 1 with sync backing). */
  unincludedSegmentCapacity: number;
  /** Maximum parablocks per relay slot (above 1 only with elastic scaling). */
  velocity: number;
  /** Relay chain slot duration the hook measures slots with. */
  relaySlotDurationMs: number;
}

/** `aura` genesis of the parachain. */
export interface ParaAuraGenesis {
  /** Collators in authoring order: the author of para slot `s` is `authorities[s % n]`. */
  authorities: AccountId[];
  slotDurationMs: number;
  allowMultipleBlocksPerSlot: boolean;
}

/** Astar `pallet-inflation` `InflationParameters`; the six parts sum to exactly one. */
export interface InflationParams {
  maxInflationRate: Perquintill;
  treasuryPart: Perquintill;
  collatorsPart: Perquintill;
  dappsPart: Perquintill;
  baseStakersPart: Perquintill;
  adjustableStakersPart: Perquintill;
  bonusPart: Perquintill;
  idealStakingRate: Perquintill;
  /** Per-block decay of emissions; one (the default) means no decay. */
  decayRate: Perquintill;
}

/** Astar dApp-staking `CycleConfiguration`. */
export interface CycleConfiguration {
  periodsPerCycle: number;
  erasPerVotingSubperiod: number;
  erasPerBuildAndEarnSubperiod: number;
  blocksPerEra: number;
}

/** Genesis of the Astar-like parachain runtime. */
export interface ParaGenesisConfig {
  system: ParaSystemGenesis;
  balances: BalancesGenesis;
  /** `parachainId` equals the spec's `paraId`. */
  parachainInfo: { parachainId: number };
  parachainSystem: ParachainSystemGenesis;
  aura: ParaAuraGenesis;
  collatorSelection: { invulnerables: AccountId[] };
  sudo?: SudoGenesis;
  inflation: { params: InflationParams; cycle: CycleConfiguration };
}

/** `configuration.config.asyncBackingParams`; `{0, 0}` is sync backing. */
export interface AsyncBackingParams {
  maxCandidateDepth: number;
  allowedAncestryLen: number;
}

/** The relay `Configuration` (`HostConfiguration`) fields parapipe uses. */
export interface HostConfiguration {
  asyncBackingParams: AsyncBackingParams;
  minimumBackingVotes: number;
  groupRotationFrequency: number;
  /** Relay blocks a backed candidate may wait for availability before it times out. */
  availabilityPeriod: number;
  /** Maximum PoV size in bytes (at most 16 MiB). */
  maxPovSize: number;
  /** Maximum validation code size in bytes, when limited. */
  maxCodeSize?: number;
  /** Default 2. */
  schedulingLookahead: number;
}

/** A parachain registered at relay genesis (`paras.paras`). */
export interface ParaGenesisEntry {
  paraId: number;
  genesisHead: Uint8Array;
  validationCode: Uint8Array;
  /** `true` for a parachain, `false` for an on-demand parathread. */
  paraKind: boolean;
}

/** Genesis of the relay runtime. */
export interface RelayGenesisConfig {
  balances: BalancesGenesis;
  sudo?: SudoGenesis;
  /** Validators in authoring order: the author of relay slot `s` is `validators[s % n]`. */
  session: { validators: AccountId[] };
  aura: { slotDurationMs: number };
  configuration: { config: HostConfiguration };
  /** Empty when no parachain is registered at genesis. */
  paras: { paras: ParaGenesisEntry[] };
}

/** A plain spec: the runtime identifier and the genesis config of the spec's kind (`relay` or `para`, never both). */
export interface PlainGenesis {
  kind: "plain";
  /** UTF-8 bytes of `RELAY_RUNTIME_ID` or `PARA_RUNTIME_ID`. */
  code: Uint8Array;
  relay?: RelayGenesisConfig;
  para?: ParaGenesisConfig;
}

/** A raw spec: the genesis storage itself. */
export interface RawGenesis {
  kind: "raw";
  /** Lower-case `0x` hex storage key to lower-case `0x` hex value. */
  top: Map<string, string>;
}

/** A parsed chain spec. */
export interface ChainSpec {
  name: string;
  /** Chain id (also the keystore directory name under `chains/`). */
  id: string;
  chainType: ChainType;
  bootNodes: string[];
  protocolId?: string;
  properties: ChainProperties;
  kind: ChainKind;
  /** Id of the relay chain (parachain specs only). */
  relayChain?: string;
  /** Para id (parachain specs only). */
  paraId?: number;
  genesis: PlainGenesis | RawGenesis;
}
