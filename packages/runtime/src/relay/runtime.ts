import {
  applyChanges,
  blake2_256,
  bytesEqual,
  EMPTY_TRIE_ROOT,
  genesisFromStorage,
  MemoryNodeStore,
  type NodeStore,
  StateOverlay,
  Trie,
} from "@parapipe/primitives";
import { Metadata, type TypeRegistry } from "@polkadot/types";
import type { ChainProperties } from "@polkadot/types/interfaces";
import { Executive, type ValidTransaction } from "../frame/executive.js";
import { buildMetadataV14 } from "../frame/metadata.js";
import { type DispatchClass, type Pallet, palletMetadata, WEIGHT_REF_TIME_PER_MILLIS } from "../frame/pallet.js";
import type { StateAccess } from "../frame/storage.js";
import { createBalances } from "../pallets/balances.js";
import { createSudo } from "../pallets/sudo.js";
import { createSystem, type RuntimeVersionSpec } from "../pallets/system.js";
import { createTimestamp } from "../pallets/timestamp.js";
import { createTransactionPayment, DEFAULT_FEES } from "../pallets/transactionPayment.js";
import { type Result, runtimeCall } from "../parachain/result.js";
import { CODE_KEY, EXTRINSIC_BASE_WEIGHT, SIGNED_EXTENSIONS } from "../parachain/runtime.js";
import { createRelayAura } from "./aura.js";
import type { CandidateDescriptorValue, PersistedValidationDataValue } from "./candidate.js";
import {
  checkHostConfiguration,
  encodeRelayCode,
  type RelayHostConfiguration,
  type RelayRuntimeConfig,
} from "./config.js";
import { createConfiguration } from "./configuration.js";
import { RelayRuntimeError } from "./errors.js";
import { createInclusion, type PendingCandidate } from "./inclusion.js";
import { createParaInherent } from "./paraInherent.js";
import { createParas, type RelayParaGenesis } from "./paras.js";
import { createScheduler, type GroupRotationInfoValue } from "./scheduler.js";
import { createSession } from "./session.js";
import { type AllowedRelayParentValue, allowedRelayParentList, createShared, trackRelayParent } from "./shared.js";
import { createRelayRegistry, RELAY_TYPE_PATHS } from "./types.js";

/**
 * Pallet indexes, Polkadot's where Polkadot has the pallet: System 0, Timestamp 3, Balances 5, Session 9,
 * TransactionPayment 32, the parachains host at 51-56 (Configuration, ParasShared, ParaInclusion, ParaInherent,
 * ParaScheduler, Paras). Aura takes BABE's index 2 (parapipe's relay authoring replaces BABE); Sudo is at 255
 * as on Rococo and Westend.
 */
export const RELAY_PALLET_INDEX = {
  System: 0,
  Aura: 2,
  Timestamp: 3,
  Balances: 5,
  Session: 9,
  TransactionPayment: 32,
  Configuration: 51,
  ParasShared: 52,
  ParaInclusion: 53,
  ParaInherent: 54,
  ParaScheduler: 55,
  Paras: 56,
  Sudo: 255,
} as const;

/** The runtime APIs the relay runtime answers. */
export const RELAY_RUNTIME_APIS: Array<[string, number]> = [
  ["Core", 5],
  ["Metadata", 2],
  ["BlockBuilder", 6],
  ["TaggedTransactionQueue", 3],
  ["AccountNonceApi", 1],
  ["TransactionPaymentApi", 4],
  ["AuraApi", 1],
  ["ParachainHost", 11],
];

/** Genesis content of the relay runtime besides what the config fixes (validators, host configuration). */
export interface RelayGenesis {
  balances: ReadonlyArray<readonly [Uint8Array, bigint]>;
  sudoKey?: Uint8Array;
  /** Parachains registered at genesis. */
  paras: readonly RelayParaGenesis[];
}

/** `CoreState` as the runtime API gives it. */
export type CoreStateValue =
  | {
      kind: "occupied";
      core: number;
      paraId: number;
      /** The candidate bitfields vote on: the first pending candidate of the para. */
      candidateHash: Uint8Array;
      descriptor: CandidateDescriptorValue;
      /** Block it was backed in, and the block it times out in. */
      occupiedSince: number;
      timeOutAt: number;
      availability: boolean[];
      groupResponsible: number;
      /** Candidates of the para pending availability (a chain); more may be backed with async backing. */
      pendingCount: number;
    }
  | { kind: "scheduled"; core: number; paraId: number };

/** A candidate pending availability as the runtime API gives it. */
export interface CandidatePendingAvailabilityValue extends PendingCandidate {
  paraId: number;
}

/** `PersistedValidationData` assumption (`OccupiedCoreAssumption`). */
export type OccupiedCoreAssumption = "Included" | "TimedOut" | "Free";

/**
 * The relay runtime (the paras host): its registry with the metadata set, the pallets in execution order,
 * metadata V14, the executive, genesis and the runtime APIs a validator needs. Instantiated from a
 * `RelayRuntimeConfig` (what `:code` holds). Pure and deterministic.
 */
export class RelayRuntime {
  readonly registry: TypeRegistry;
  readonly metadata: Uint8Array;
  readonly version: RuntimeVersionSpec;
  readonly code: Uint8Array;
  readonly executive: Executive;
  readonly pallets: Pallet[];
  readonly system;
  readonly aura;
  readonly timestamp;
  readonly balances;
  readonly payment;
  readonly session;
  readonly configuration;
  readonly shared;
  readonly inclusion;
  readonly paraInherent;
  readonly scheduler;
  readonly paras;
  readonly sudo;

  /** Throws `RelayRuntimeError` (`BAD_RELAY_CONFIG`) for an inconsistent host configuration or no validators. */
  constructor(readonly config: RelayRuntimeConfig) {
    const bad = checkHostConfiguration(config.hostConfiguration);
    if (bad !== undefined || config.validators.length === 0 || config.slotDurationMs <= 0) {
      const detail = bad ?? (config.validators.length === 0 ? "no validators" : "slot duration must be positive");
      throw new RelayRuntimeError({ code: "BAD_RELAY_CONFIG", detail }, `invalid relay runtime config: ${detail}`);
    }
    const registry = createRelayRegistry();
    this.registry = registry;
    const I = RELAY_PALLET_INDEX;
    this.code = encodeRelayCode(config);
    this.version = {
      specName: "parapipe-relay",
      implName: "parapipe",
      authoringVersion: 1,
      specVersion: config.specVersion,
      implVersion: 0,
      apis: RELAY_RUNTIME_APIS,
      transactionVersion: 1,
      stateVersion: 1,
    };
    this.system = createSystem(registry, I.System, {
      version: this.version,
      ss58Prefix: config.ss58Prefix,
      blockHashCount: 4096,
      limits: {
        // Polkadot: 2 s of ref-time per relay block, 75 % for normal extrinsics.
        maxBlockRefTime: 2000n * WEIGHT_REF_TIME_PER_MILLIS,
        normalRatioPpm: 750_000n,
        baseExtrinsic: EXTRINSIC_BASE_WEIGHT,
        maxBlockLength: 5 * 1024 * 1024,
      },
    });
    this.aura = createRelayAura(registry, I.Aura, { slotDurationMs: config.slotDurationMs });
    this.timestamp = createTimestamp(registry, I.Timestamp, {
      minimumPeriodMs: BigInt(Math.floor(config.slotDurationMs / 2)),
      onTimestampSet: (ctx, now) => this.aura.onTimestampSet(ctx, now),
    });
    this.balances = createBalances(registry, I.Balances, this.system, {
      existentialDeposit: config.existentialDeposit,
    });
    this.payment = createTransactionPayment(registry, I.TransactionPayment, this.balances, {
      fees: DEFAULT_FEES,
      // Fees go to the block author (Polkadot gives it a share and the treasury the rest; parapipe has no
      // treasury). A fee too small to open the author's account is burnt.
      onFee: (ctx, fee) => {
        const author = this.aura.authorOf(ctx.state, this.aura.currentSlot(ctx.state));
        if (author && (this.system.accountExists(ctx.state, author) || fee >= config.existentialDeposit)) {
          this.balances.deposit(ctx, author, fee, false);
        } else this.balances.setTotalIssuance(ctx.state, this.balances.totalIssuance(ctx.state) - fee);
      },
    });
    this.session = createSession(registry, I.Session);
    this.configuration = createConfiguration(registry, I.Configuration);
    this.shared = createShared(registry, I.ParasShared);
    this.paras = createParas(registry, I.Paras);
    this.scheduler = createScheduler(registry, I.ParaScheduler);
    this.inclusion = createInclusion(registry, I.ParaInclusion, { paras: this.paras, scheduler: this.scheduler });
    this.paraInherent = createParaInherent(registry, I.ParaInherent, {
      configuration: this.configuration,
      shared: this.shared,
      paras: this.paras,
      scheduler: this.scheduler,
      inclusion: this.inclusion,
    });
    this.sudo = createSudo(registry, I.Sudo, {
      dispatch: (ctx, origin, call) => this.executive.dispatchCall(ctx, origin, call),
      weigh: (call) => this.executive.callWeight(call),
    });
    // construct_runtime order (by index): Aura sets CurrentSlot before anything reads it.
    this.pallets = [
      this.system.pallet,
      this.aura.pallet,
      this.timestamp.pallet,
      this.balances.pallet,
      this.session.pallet,
      this.payment.pallet,
      this.configuration.pallet,
      this.shared.pallet,
      this.inclusion.pallet,
      this.paraInherent.pallet,
      this.scheduler.pallet,
      this.paras.pallet,
      this.sudo.pallet,
    ];
    this.metadata = buildMetadataV14(registry, {
      runtimeCrate: "parapipe_relay_runtime",
      pallets: this.pallets.map(palletMetadata),
      signedExtensions: SIGNED_EXTENSIONS,
      paths: RELAY_TYPE_PATHS,
    });
    registry.setMetadata(new Metadata(registry, this.metadata));
    registry.setChainProperties(
      registry.createType("ChainProperties", {
        ss58Format: config.ss58Prefix,
        tokenDecimals: 12,
        tokenSymbol: "UNIT",
      }) as unknown as ChainProperties,
    );
    this.executive = new Executive({
      registry,
      system: this.system,
      payment: this.payment,
      pallets: this.pallets,
      feeless: (_s, _who, d) => d.pallet.name === "Sudo",
    });
  }

  /** Genesis storage entries, sorted by key. */
  genesisStorage(g: RelayGenesis): Array<[Uint8Array, Uint8Array]> {
    const overlay = new StateOverlay(new Trie(new MemoryNodeStore(), EMPTY_TRIE_ROOT));
    const cfg = this.config;
    overlay.set(CODE_KEY, this.code);
    this.system.storage.BlockHash.put(overlay, 0, new Uint8Array(32).fill(69));
    this.system.storage.ParentHash.put(overlay, new Uint8Array(32).fill(69));
    this.balances.genesis(overlay, g.balances);
    this.sudo.genesis(overlay, g.sudoKey);
    this.aura.genesis(overlay, cfg.validators);
    this.session.genesis(overlay, cfg.validators);
    this.configuration.genesis(overlay, cfg.hostConfiguration);
    this.shared.genesis(overlay, cfg.validators);
    this.paras.genesis(overlay, g.paras);
    this.scheduler.genesis(overlay, cfg.validators.length, g.paras.length, cfg.hostConfiguration.maxValidatorsPerCore);
    return overlay.changes().filter((c): c is [Uint8Array, Uint8Array] => c[1] !== null);
  }

  /** Genesis state in a fresh in-memory node store, with its root and the genesis header and hash. */
  genesis(g: RelayGenesis): { store: MemoryNodeStore; stateRoot: Uint8Array; header: Uint8Array; hash: Uint8Array } {
    const entries = this.genesisStorage(g);
    const store = new MemoryNodeStore();
    const { newNodes } = applyChanges(store, EMPTY_TRIE_ROOT, entries);
    for (const node of newNodes.values()) store.put(blake2_256(node), node);
    return { store, ...genesisFromStorage(entries) };
  }

  /** The state view at a root. */
  stateAt(store: NodeStore, root: Uint8Array): StateOverlay {
    return new StateOverlay(new Trie(store, root));
  }

  /** `System.Number` of a state. */
  private blockNumber(s: StateAccess): number {
    return (this.system.storage.Number.get(s) as unknown as { toNumber(): number }).toNumber();
  }

  private read<T>(store: NodeStore, root: Uint8Array, fn: (s: StateAccess) => T): Result<T> {
    return runtimeCall(() => fn(this.stateAt(store, root)));
  }

  // ---- transaction pool APIs ------------------------------------------------------------------------------

  /** `TaggedTransactionQueue_validate_transaction` at the best block. */
  validateTransaction(
    store: NodeStore,
    best: { stateRoot: Uint8Array; hash: Uint8Array; number: number },
    bytes: Uint8Array,
  ): Result<ValidTransaction> {
    return runtimeCall(() => this.executive.validateTransaction(store, best.stateRoot, best.hash, best.number, bytes));
  }

  /** `TransactionPaymentApi_query_info`. */
  queryInfo(bytes: Uint8Array): Result<{ weight: bigint; dispatchClass: DispatchClass; partialFee: bigint }> {
    return runtimeCall(() => this.executive.queryInfo(bytes));
  }

  /** `AccountNonceApi_account_nonce`. */
  accountNonce(store: NodeStore, root: Uint8Array, who: Uint8Array): Result<number> {
    return this.read(store, root, (s) => this.system.account(s, who).nonce);
  }

  // ---- ParachainHost APIs (evaluated on the state of a relay block) -----------------------------------------

  /** `validators()`: the validator keys, indexed by `ValidatorIndex`. */
  validators(store: NodeStore, root: Uint8Array): Result<Uint8Array[]> {
    return this.read(store, root, (s) => this.shared.activeValidators(s));
  }

  /** `session_index_for_child()` (one session: 0). */
  sessionIndex(store: NodeStore, root: Uint8Array): Result<number> {
    return this.read(store, root, (s) => this.shared.sessionIndex(s));
  }

  /** The active host configuration. */
  hostConfiguration(store: NodeStore, root: Uint8Array): Result<RelayHostConfiguration> {
    return this.read(store, root, (s) => this.configuration.get(s));
  }

  /** `async_backing_params()`. */
  asyncBackingParams(store: NodeStore, root: Uint8Array): Result<RelayHostConfiguration["asyncBackingParams"]> {
    return this.read(store, root, (s) => ({ ...this.configuration.get(s).asyncBackingParams }));
  }

  /** `minimum_backing_votes()` (the configured value; the quorum of a group is `min(group size, this)`). */
  minimumBackingVotes(store: NodeStore, root: Uint8Array): Result<number> {
    return this.read(store, root, (s) => this.configuration.get(s).minimumBackingVotes);
  }

  /**
   * `validator_groups()`: the groups and the rotation info for a child of this block (`now` = number + 1), as
   * upstream gives it.
   */
  validatorGroups(
    store: NodeStore,
    root: Uint8Array,
  ): Result<{ groups: number[][]; rotation: GroupRotationInfoValue }> {
    return this.read(store, root, (s) => {
      const now = this.blockNumber(s) + 1;
      return {
        groups: this.scheduler.groups(s),
        rotation: this.scheduler.rotationInfo(s, this.configuration.get(s).groupRotationFrequency, now),
      };
    });
  }

  /**
   * The backing group of `core` at block `at` (`group_assigned_to_core`); a candidate with relay parent number
   * `n` is backed by the group at `n + 1`.
   */
  groupForCore(store: NodeStore, root: Uint8Array, core: number, at: number): Result<number | undefined> {
    return this.read(store, root, (s) => this.groupAssignedToCore(s, core, at));
  }

  /**
   * `group_assigned_to_core(core, at)` on a state view: the group backing `core` at block `at` (for a candidate
   * with relay parent number `n`, `at = n + 1`).
   */
  groupAssignedToCore(state: StateAccess, core: number, at: number): number | undefined {
    return this.scheduler.groupForCore(state, core, at, this.configuration.get(state).groupRotationFrequency);
  }

  /** The registered parachains; core `i` serves `parachains[i]`. */
  parachains(store: NodeStore, root: Uint8Array): Result<number[]> {
    return this.read(store, root, (s) => this.paras.parachains(s));
  }

  /** The included head of a para (`Paras.Heads`), or undefined. */
  paraHead(store: NodeStore, root: Uint8Array, paraId: number): Result<Uint8Array | undefined> {
    return this.read(store, root, (s) => this.paras.head(s, paraId));
  }

  /** The validation code hash of a para, or undefined. */
  validationCodeHash(store: NodeStore, root: Uint8Array, paraId: number): Result<Uint8Array | undefined> {
    return this.read(store, root, (s) => this.paras.codeHash(s, paraId));
  }

  /** The validation code of a para, or undefined. */
  validationCode(store: NodeStore, root: Uint8Array, paraId: number): Result<Uint8Array | undefined> {
    return this.read(store, root, (s) => {
      const hash = this.paras.codeHash(s, paraId);
      const raw = hash ? this.paras.storage.CodeByHash.getOption(s, hash) : undefined;
      return raw === undefined ? undefined : (raw as unknown as { toU8a(b: boolean): Uint8Array }).toU8a(true);
    });
  }

  /** `availability_cores()`: per core, the candidate occupying it (the first pending one) or the scheduled para. */
  availabilityCores(store: NodeStore, root: Uint8Array): Result<CoreStateValue[]> {
    return this.read(store, root, (s) => {
      const period = this.configuration.get(s).availabilityPeriod;
      return this.paras.parachains(s).map((paraId, core): CoreStateValue => {
        const list = this.inclusion.pending(s, paraId);
        const first = list[0];
        if (!first) return { kind: "scheduled", core, paraId };
        return {
          kind: "occupied",
          core,
          paraId,
          candidateHash: first.hash,
          descriptor: first.descriptor,
          occupiedSince: first.backedInNumber,
          timeOutAt: first.backedInNumber + period,
          availability: first.availabilityVotes,
          groupResponsible: first.backingGroup,
          pendingCount: list.length,
        };
      });
    });
  }

  /** `candidates_pending_availability(para)`: the para's pending chain, oldest first. */
  candidatePendingAvailability(
    store: NodeStore,
    root: Uint8Array,
    paraId: number,
  ): Result<CandidatePendingAvailabilityValue[]> {
    return this.read(store, root, (s) => this.inclusion.pending(s, paraId).map((c) => ({ ...c, paraId })));
  }

  /**
   * `persisted_validation_data(para, assumption)` for a candidate using this block as relay parent (`root` is
   * this block's state root, the relay-parent storage root). The parent head is the included head (`Free`,
   * `TimedOut`), or with `Included` the head of the latest pending candidate (assuming every pending candidate
   * gets included). Undefined for an unknown para.
   */
  persistedValidationData(
    store: NodeStore,
    root: Uint8Array,
    paraId: number,
    assumption: OccupiedCoreAssumption = "Free",
  ): Result<PersistedValidationDataValue | undefined> {
    return this.read(store, root, (s) => {
      const parentHead = assumption === "Included" ? this.inclusion.latestHead(s, paraId) : this.paras.head(s, paraId);
      if (parentHead === undefined) return undefined;
      return {
        parentHead,
        relayParentNumber: this.blockNumber(s),
        relayParentStorageRoot: root,
        maxPovSize: this.configuration.get(s).maxPovSize,
      };
    });
  }

  /**
   * The relay parents a candidate may use. Without `child`: as stored after this block (this block's parent and
   * its ancestors). With `child` = this block (hash, number, state root): the set a block built on top of it
   * will allow, i.e. this block and its `allowedAncestryLen` ancestors (what a validator checks "in scope" against).
   */
  allowedRelayParents(
    store: NodeStore,
    root: Uint8Array,
    child?: AllowedRelayParentValue,
  ): Result<AllowedRelayParentValue[]> {
    return this.read(store, root, (s) => {
      const t = this.shared.allowed(s);
      const len = this.configuration.get(s).asyncBackingParams.allowedAncestryLen;
      return allowedRelayParentList(child ? trackRelayParent(t, child, len) : t);
    });
  }

  /** The Aura author expected for a slot in a child of this block. */
  slotAuthor(store: NodeStore, root: Uint8Array, slot: bigint): Result<Uint8Array | undefined> {
    return this.read(store, root, (s) => this.aura.authorOf(s, slot));
  }

  /** Whether `key` is one of the validators (and at which index). */
  validatorIndex(store: NodeStore, root: Uint8Array, key: Uint8Array): Result<number | undefined> {
    return this.read(store, root, (s) => {
      const i = this.shared.activeValidators(s).findIndex((v) => bytesEqual(v, key));
      return i < 0 ? undefined : i;
    });
  }
}
