import {
  applyChanges,
  blake2_256,
  createRegistry,
  EMPTY_TRIE_ROOT,
  genesisFromStorage,
  MemoryNodeStore,
  type NodeStore,
  StateOverlay,
  slotAuthor,
  Trie,
} from "@parapipe/primitives";
import { Metadata, type TypeRegistry } from "@polkadot/types";
import type { ChainProperties } from "@polkadot/types/interfaces";
import { Executive, type ValidTransaction } from "../frame/executive.js";
import { buildMetadataV14 } from "../frame/metadata.js";
import type { SignedExtensionDef } from "../frame/metadataTypes.js";
import {
  type DispatchClass,
  type Pallet,
  palletMetadata,
  WEIGHT_REF_TIME_PER_MICROS,
  WEIGHT_REF_TIME_PER_MILLIS,
} from "../frame/pallet.js";
import { StorageValue } from "../frame/storage.js";
import { createBalances } from "../pallets/balances.js";
import { createSudo } from "../pallets/sudo.js";
import { createSystem, type RuntimeVersionSpec } from "../pallets/system.js";
import { createTimestamp } from "../pallets/timestamp.js";
import { createTransactionPayment, DEFAULT_FEES } from "../pallets/transactionPayment.js";
import { createAura, createAuraExt } from "./aura.js";
import { createCollatorSelection, POT_ACCOUNT } from "./collatorSelection.js";
import { encodeParaCode, type ParaRuntimeConfig } from "./config.js";
import { createDev } from "./dev.js";
import type { CycleConfiguration, InflationParameters } from "./inflation/math.js";
import { createInflation } from "./inflation/pallet.js";
import { createParachainSystem } from "./parachainSystem.js";
import { type Result, runtimeCall } from "./result.js";

/** `:code`, the well-known key of the runtime code. */
export const CODE_KEY = new TextEncoder().encode(":code");

/** Pallet indexes, Astar's where Astar has the pallet. */
export const PARA_PALLET_INDEX = {
  System: 10,
  Timestamp: 13,
  ParachainSystem: 20,
  ParachainInfo: 21,
  TransactionPayment: 30,
  Balances: 31,
  Inflation: 33,
  CollatorSelection: 41,
  Aura: 43,
  AuraExt: 44,
  Sudo: 99,
  Dev: 200,
} as const;

/** The standard signed extensions (Substrate template order), with the types clients encode them with. */
export const SIGNED_EXTENSIONS: SignedExtensionDef[] = [
  { identifier: "CheckNonZeroSender", type: "Null", additionalSigned: "Null" },
  { identifier: "CheckSpecVersion", type: "Null", additionalSigned: "u32" },
  { identifier: "CheckTxVersion", type: "Null", additionalSigned: "u32" },
  { identifier: "CheckGenesis", type: "Null", additionalSigned: "H256" },
  { identifier: "CheckMortality", type: "Era", additionalSigned: "H256" },
  { identifier: "CheckNonce", type: "Compact<u32>", additionalSigned: "Null" },
  { identifier: "CheckWeight", type: "Null", additionalSigned: "Null" },
  { identifier: "ChargeTransactionPayment", type: "Compact<u128>", additionalSigned: "Null" },
];

/** The runtime APIs the parachain runtime answers (ids = blake2_64 of the names). */
export const PARA_RUNTIME_APIS: Array<[string, number]> = [
  ["Core", 5],
  ["Metadata", 2],
  ["BlockBuilder", 6],
  ["TaggedTransactionQueue", 3],
  ["AccountNonceApi", 1],
  ["TransactionPaymentApi", 4],
  ["AuraApi", 1],
  ["AuraUnincludedSegmentApi", 1],
  ["CollectCollationInfo", 2],
];

/**
 * Base weight of every signed extrinsic: decoding, the sr25519 check (≈ 0.39 ms on the WASM path), nonce and
 * fee handling, and the state reads and writes through the witness trie. Calibrated with `npm run bench:runtime`
 * on our 2-core machines against `validateBlock` (what a validator's PVF runs, ≈ 624 µs per transfer) so that a
 * block's weight is its real execution time: a block full by weight (75 % of 2 s async) executes in about 1.5 s,
 * inside the 2 s PVF timeout. (It was 400 µs, which made a full block take 2.04 s and time out.)
 */
export const EXTRINSIC_BASE_WEIGHT = 570n * WEIGHT_REF_TIME_PER_MICROS;

/** Genesis content of the parachain runtime (from a chain spec's patch). */
export interface ParaGenesis {
  balances: ReadonlyArray<readonly [Uint8Array, bigint]>;
  auraAuthorities: readonly Uint8Array[];
  invulnerables: readonly Uint8Array[];
  sudoKey?: Uint8Array;
  inflation: { params: InflationParameters; cycle: CycleConfiguration };
}

/**
 * The Astar-like parachain runtime: its registry (with its metadata set, so calls and extrinsics decode), its
 * pallets in execution order, metadata V14 and the executive. Instantiated from a `ParaRuntimeConfig` (what
 * `:code` holds).
 */
export class ParachainRuntime {
  readonly registry: TypeRegistry;
  readonly metadata: Uint8Array;
  readonly version: RuntimeVersionSpec;
  readonly code: Uint8Array;
  readonly executive: Executive;
  readonly pallets: Pallet[];
  readonly system;
  readonly balances;
  readonly aura;
  readonly auraExt;
  readonly parachainSystem;
  readonly collatorSelection;
  readonly inflation;
  readonly sudo;
  readonly timestamp;
  readonly payment;
  private readonly ParachainId;

  /** The full runtime config (what `:code` encodes). */
  readonly config: ParaRuntimeConfig;
  /** The inflation cycle (part of the config). */
  readonly cycle: CycleConfiguration;

  /**
   * A runtime for `config`. The inflation cycle is part of the config (`config.cycle`); it may also be given as
   * the second argument, which then takes precedence.
   */
  constructor(input: Omit<ParaRuntimeConfig, "cycle"> & { cycle?: CycleConfiguration }, cycle?: CycleConfiguration) {
    const resolved = cycle ?? input.cycle;
    if (!resolved) throw new TypeError("ParachainRuntime: the inflation cycle is missing from the config");
    this.cycle = resolved;
    this.config = { ...input, cycle: resolved };
    const config = this.config;
    const registry = createRegistry();
    this.registry = registry;
    const I = PARA_PALLET_INDEX;
    this.code = encodeParaCode(this.config);
    this.version = {
      specName: "parapipe-astar",
      implName: "parapipe",
      authoringVersion: 1,
      specVersion: config.specVersion,
      implVersion: 0,
      apis: PARA_RUNTIME_APIS,
      transactionVersion: 1,
      stateVersion: 1,
    };
    this.system = createSystem(registry, I.System, {
      version: this.version,
      ss58Prefix: config.ss58Prefix,
      blockHashCount: 4096,
      limits: {
        maxBlockRefTime: BigInt(config.blockRefTimeMs) * WEIGHT_REF_TIME_PER_MILLIS,
        normalRatioPpm: BigInt(config.normalDispatchRatioPpm),
        baseExtrinsic: EXTRINSIC_BASE_WEIGHT,
        maxBlockLength: 5 * 1024 * 1024,
      },
    });
    this.aura = createAura(registry, I.Aura, {
      slotDurationMs: config.paraSlotDurationMs,
      allowMultipleBlocksPerSlot: config.allowMultipleBlocksPerSlot,
    });
    this.timestamp = createTimestamp(registry, I.Timestamp, {
      minimumPeriodMs: config.allowMultipleBlocksPerSlot ? 0n : BigInt(config.paraSlotDurationMs / 2),
      onTimestampSet: (ctx, now) => this.aura.onTimestampSet(ctx, now),
    });
    this.balances = createBalances(registry, I.Balances, this.system, {
      existentialDeposit: config.existentialDeposit,
    });
    this.payment = createTransactionPayment(registry, I.TransactionPayment, this.balances, {
      fees: DEFAULT_FEES,
      // Fees go to the collators' reward pot, as part of the author's reward.
      onFee: (ctx, fee) => this.balances.deposit(ctx, POT_ACCOUNT, fee, false),
    });
    this.parachainSystem = createParachainSystem(registry, I.ParachainSystem, {
      cfg: config,
      onStateProof: (ctx, relaySlot) => this.auraExt.onStateProof(ctx, relaySlot),
    });
    this.auraExt = createAuraExt(registry, I.AuraExt, {
      aura: this.aura,
      cfg: config,
      segmentSizeAfter: (s, h) => this.parachainSystem.sizeAfterIncluded(s, h),
    });
    this.ParachainId = new StorageValue(registry, "ParachainInfo", "ParachainId", "u32");
    const parachainInfo: Pallet = {
      name: "ParachainInfo",
      index: I.ParachainInfo,
      crate: "staging_parachain_info",
      storage: [this.ParachainId],
    };
    this.collatorSelection = createCollatorSelection(registry, I.CollatorSelection, { balances: this.balances });
    this.inflation = createInflation(registry, I.Inflation, { balances: this.balances, cycle: resolved });
    this.sudo = createSudo(registry, I.Sudo, {
      dispatch: (ctx, origin, call) => this.executive.dispatchCall(ctx, origin, call),
      weigh: (call) => this.executive.callWeight(call),
    });
    const dev = createDev(registry, I.Dev);
    // Authorship: the author (from the PreRuntime slot) is noted after Inflation filled the pot.
    const authorship: Pallet = {
      name: "Authorship",
      index: 40,
      crate: "pallet_authorship",
      onInitialize: (ctx) => {
        const slot = this.aura.currentSlot(ctx.state);
        const author = slotAuthor(slot, this.aura.authorities(ctx.state));
        if (author) this.collatorSelection.noteAuthor(ctx, author);
        return 20n * WEIGHT_REF_TIME_PER_MICROS;
      },
    };
    // Execution order = construct_runtime order (by index), as FRAME does; Aura's on_initialize must set
    // CurrentSlot before Authorship reads it, so Aura runs right after System.
    this.pallets = [
      this.system.pallet,
      this.aura.pallet,
      this.timestamp.pallet,
      this.parachainSystem.pallet,
      parachainInfo,
      this.payment.pallet,
      this.balances.pallet,
      this.inflation.pallet,
      authorship,
      this.collatorSelection.pallet,
      this.auraExt.pallet,
      this.sudo.pallet,
      dev.pallet,
    ];
    this.metadata = buildMetadataV14(registry, {
      runtimeCrate: "parapipe_para_runtime",
      pallets: this.pallets.filter((p) => p.name !== "Authorship").map(palletMetadata),
      signedExtensions: SIGNED_EXTENSIONS,
    });
    registry.setMetadata(new Metadata(registry, this.metadata));
    registry.setChainProperties(
      registry.createType("ChainProperties", {
        ss58Format: config.ss58Prefix,
        tokenDecimals: 18,
        tokenSymbol: "ASTR",
      }) as unknown as ChainProperties,
    );
    this.executive = new Executive({
      registry,
      system: this.system,
      payment: this.payment,
      pallets: this.pallets,
      // The sudo key's sudo calls pay no fee (pallet_sudo's Pays::No).
      feeless: (_s, _who, d) => d.pallet.name === "Sudo",
    });
  }

  /** The para id (from the config). */
  get paraId(): number {
    return this.config.paraId;
  }

  /** Genesis storage entries, sorted by key. */
  genesisStorage(g: ParaGenesis): Array<[Uint8Array, Uint8Array]> {
    const overlay = new StateOverlay(new Trie(new MemoryNodeStore(), EMPTY_TRIE_ROOT));
    overlay.set(CODE_KEY, this.code);
    this.ParachainId.put(overlay, this.config.paraId);
    // frame_system genesis: BlockHash(0) = hash69 until block 1 records the real genesis hash.
    this.system.storage.BlockHash.put(overlay, 0, new Uint8Array(32).fill(69));
    this.system.storage.ParentHash.put(overlay, new Uint8Array(32).fill(69));
    this.balances.genesis(overlay, g.balances);
    this.aura.genesis(overlay, g.auraAuthorities);
    this.collatorSelection.genesis(overlay, g.invulnerables);
    this.sudo.genesis(overlay, g.sudoKey);
    this.inflation.genesis(overlay, g.inflation.params);
    return overlay.changes().filter((c): c is [Uint8Array, Uint8Array] => c[1] !== null);
  }

  /** Genesis state in a fresh in-memory node store, with its root and the genesis header and hash. */
  genesis(g: ParaGenesis): { store: MemoryNodeStore; stateRoot: Uint8Array; header: Uint8Array; hash: Uint8Array } {
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

  /**
   * `TaggedTransactionQueue_validate_transaction` at the best block (never throws: a typed
   * `TRANSACTION_INVALID` error carries the validity error).
   */
  validateTransaction(
    store: NodeStore,
    best: { stateRoot: Uint8Array; hash: Uint8Array; number: number },
    bytes: Uint8Array,
  ): Result<ValidTransaction> {
    return runtimeCall(() => this.executive.validateTransaction(store, best.stateRoot, best.hash, best.number, bytes));
  }

  /** `TransactionPaymentApi_query_info` (never throws). */
  queryInfo(bytes: Uint8Array): Result<{ weight: bigint; dispatchClass: DispatchClass; partialFee: bigint }> {
    return runtimeCall(() => this.executive.queryInfo(bytes));
  }

  /** `AccountNonceApi_account_nonce`. */
  accountNonce(store: NodeStore, root: Uint8Array, who: Uint8Array): number {
    return this.system.account(this.stateAt(store, root), who).nonce;
  }

  /** The `TotalIssuance` at a state. */
  totalIssuance(store: NodeStore, root: Uint8Array): bigint {
    return this.balances.totalIssuance(this.stateAt(store, root));
  }
}
