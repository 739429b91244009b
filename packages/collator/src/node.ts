import { join } from "node:path";
import {
  createNetwork,
  loadOrCreateNodeKey,
  type Network,
  type NetworkFaults,
  type NodeKey,
  topicName,
} from "@parapipe/network";
import {
  BlockImporter,
  type BlockInfo,
  BlockSync,
  ChainDb,
  type ChainRuntime,
  type Logger,
  type NodeMetricsSet,
  PARA_PROTOCOLS,
  PARA_TOPICS,
  RELAY_PROTOCOLS,
  SerialQueue,
  silentLogger,
  TransactionGossip,
  TxPool,
} from "@parapipe/node";
import {
  blake2_256,
  bytesEqual,
  type ChainSpec,
  decodeExact,
  findAuraSlot,
  findRelayParentDigest,
  generateProof,
  registry,
  type Sr25519Keypair,
  scaleBytes,
  slotAuthor,
  sr25519Sign,
  sr25519Verify,
  toHex,
} from "@parapipe/primitives";
import {
  buildBlock,
  canBuildUpon,
  type ParachainRuntime,
  type ParaGenesis,
  paraGenesisFromSpec,
  relay,
  relayKeys,
  TransactionValidityError,
} from "@parapipe/runtime";
import type { Codec } from "@polkadot/types/types";
import { paraChainRuntime } from "./adapter.js";
import { type ByzantineCollationKind, type ByzantineCollatorOptions, corruptCollation } from "./byzantine.js";
import { CollatorError } from "./errors.js";
import { ParaForkChoice } from "./paraForkChoice.js";
import { type SelectableBlock, selectParent } from "./parentSelection.js";
import { RelayFollower } from "./relayFollower.js";
import { SEGMENT_STATUSES, type SegmentEntry, type SegmentStatus, UnincludedSegmentStore } from "./segment.js";

/** Options of a collator (or, without `key`, a para full node). */
export interface CollatorOptions {
  /** The parachain's chain spec. */
  paraSpec: ChainSpec;
  /** The relay chain's chain spec (the embedded relay node's). */
  relaySpec: ChainSpec;
  /**
   * Base path: the para database in `<basePath>/db`, its node key in `<basePath>/network/secret_ed25519`, the
   * embedded relay node under `<basePath>/relay/` (as Cumulus keeps it under `polkadot/`).
   */
  basePath: string;
  /** The collator's Aura key (`//Alice` ...); without one the node imports, serves and follows but never authors. */
  key?: Sr25519Keypair;
  /** Para network listen multiaddrs. */
  listen: string[];
  /** Para network bootnodes (other collators or para full nodes). */
  bootnodes?: string[];
  nodeKey?: NodeKey;
  /** The embedded relay node's network: listen addresses and bootnodes (relay validators). */
  relay: {
    listen: string[];
    bootnodes?: string[];
    nodeKey?: NodeKey;
    /** The embedded relay node's base path (default `<basePath>/relay`). */
    basePath?: string;
  };
  /** Wall clock in ms (the authoring deadline's clock). */
  now?: () => number;
  /**
   * Tests and dev networks only (the CLI accepts `--dev-byzantine` with a dev/local chain spec only): instead of
   * collating, follow the para chain as a full node and, on each new relay best block, build a block on the
   * para's newest pending (else included) head with `auraKey`, corrupt it per `kind`, and advertise it to every
   * relay peer, signed with `key`. Such blocks are never imported, announced or kept in the segment.
   */
  byzantine?: ByzantineCollatorOptions;
}

/** Collaborators of a collator. */
export interface CollatorModules {
  logger?: Logger;
  /** Fault injection (tests only): on the para network (`network.faults`) and the embedded relay node's. */
  faults?: { para?: NetworkFaults; relay?: NetworkFaults };
  /**
   * Metrics of the para chain (`createNodeMetrics` of the node's registry, whose `chain` label is the para
   * spec's id): its importer, transaction pool and network report to them (the para has no finality tracker:
   * its finality follows the relay chain's). The embedded relay node gets none, so no name is registered
   * twice; its height and peers are the CLI's `parapipe_relay_block_height` / `parapipe_relay_peers_count`.
   */
  metrics?: NodeMetricsSet;
}

/** Counters a test, the informant or a benchmark reads. */
export interface CollatorStats {
  /** Parablocks this collator built (persisted and announced). */
  built: number;
  /** Collations a validator accepted to fetch. */
  advertised: number;
  /** Own candidates a validator reported seconded. */
  seconded: number;
  /** Own blocks the relay chain included. */
  included: number;
  /** Own blocks dropped from the segment (relay parent out of scope, candidate timed out, or their descendants). */
  dropped: number;
  /** Para blocks imported from the network or sync. */
  imported: number;
  /** Largest unincluded segment seen on the best chain (blocks after the included head). */
  maxSegmentLength: number;
  /** Why relay blocks did not lead to a build, counted. */
  skipped: Record<string, number>;
  /** Invalid collations advertised in byzantine mode (`CollatorOptions.byzantine`); absent on honest nodes. */
  byzantineCollations?: number;
}

/** An invalid collation a byzantine collator advertised. */
export interface ByzantineCollationRecord {
  kind: ByzantineCollationKind;
  candidateHash: Uint8Array;
  /** Hash of the head data the candidate claims. */
  headHash: Uint8Array;
  paraNumber: number;
  relayParentNumber: number;
}

/** What the collator knows about the para from one relay block. */
interface RelayView {
  relayBlock: BlockInfo;
  relaySlot: bigint;
  includedHead: Uint8Array;
  includedHash: Uint8Array;
  includedNumber: number;
  /** Pending-availability heads, oldest first. */
  pendingHeads: Uint8Array[];
  /** Their para block numbers. */
  pendingNumbers: number[];
  allowedAncestryLen: number;
  maxPovSize: number;
  /** Relay parents a candidate built now may use (the relay best and its allowed ancestors). */
  allowed: Array<{ hash: Uint8Array; number: number; stateRoot: Uint8Array }>;
  validationCodeHash?: Uint8Array;
  /** Proof of the relay slot and `Paras.Heads(para)` at the relay best. */
  proof: Uint8Array[];
}

/** A collation ready to be fetched. */
interface Collation {
  blockHash: Uint8Array;
  relayParent: Uint8Array;
  /** `CollationResponse` bytes (candidate, PVD, PoV). */
  response: Uint8Array;
  advertisement: Uint8Array;
}

/** Invalid collations a byzantine collator keeps to serve. */
const MAX_BYZANTINE_COLLATIONS = 8;

/** Upstream lookahead: at most two blocks per relay parent ("so that the backlog grows steadily"). */
const MAX_BLOCKS_PER_RELAY_PARENT = 2;

/**
 * A parachain collator (or para full node): an embedded relay node (`RelayFollower`), the para chain
 * (database, import with a fork choice that follows the relay chain, finality from relay finality, block
 * announce and sync by range, a transaction pool shared over gossip) and, with a key, the lookahead collator:
 * on each relay best block it picks the parent, asks `canBuildUpon`, claims the Aura slot, builds within the
 * authoring deadline, persists the block in its unincluded segment (LevelDB) before announcing it, and
 * advertises the collation to the para's backing group.
 */
export class CollatorNode {
  readonly stats: CollatorStats = {
    built: 0,
    advertised: 0,
    seconded: 0,
    included: 0,
    dropped: 0,
    imported: 0,
    maxSegmentLength: 0,
    skipped: {},
  };
  /**
   * The newest para block the relay chain (at this node's relay best) showed backed (pending availability) and
   * included, with the relay block where this node first saw it: what an operator watches.
   */
  readonly pipeline: {
    lastBacked?: { paraNumber: number; relayNumber: number };
    lastIncluded?: { paraNumber: number; relayNumber: number };
  } = {};
  /** Para blocks over the network. */
  readonly sync: BlockSync;
  /** Para transactions over gossip (submitted here or received). */
  readonly txGossip: TransactionGossip;
  private readonly queue = new SerialQueue();
  private readonly collations = new Map<string, Collation>();
  private readonly now: () => number;
  private view?: RelayView;
  private closed = false;
  /** Validator peers that accepted an advertisement, tried first next time. */
  private readonly acceptingPeers = new Set<string>();
  /** Byzantine mode (tests and dev networks only). */
  private byzantine?: ByzantineCollatorOptions;
  /** The invalid collations advertised in byzantine mode, newest last (the last 256). */
  private readonly byzantineLog: ByzantineCollationRecord[] = [];

  private constructor(
    /** Block hash → relay parent (from its RPSR digest), for parent selection and fork choice. */
    private readonly relayParents: Map<string, { number: number; storageRoot: Uint8Array }>,
    readonly opts: CollatorOptions,
    readonly runtime: ParachainRuntime,
    readonly adapter: ChainRuntime,
    readonly chain: ChainDb,
    readonly importer: BlockImporter,
    readonly forkChoice: ParaForkChoice,
    readonly pool: TxPool,
    readonly network: Network,
    readonly relay: RelayFollower,
    readonly segment: UnincludedSegmentStore,
    readonly genesisHash: Uint8Array,
    private readonly log: Logger,
  ) {
    this.now = opts.now ?? Date.now;
    if (opts.byzantine) this.byzantine = opts.byzantine;
    this.txGossip = new TransactionGossip(
      { topic: topicName(relay.genesisHash, "para", PARA_TOPICS.tx, genesisHash) },
      { network, pool, logger: log },
    );
    this.sync = new BlockSync(
      {
        topic: topicName(relay.genesisHash, "para", PARA_TOPICS.block, genesisHash),
        protocol: PARA_PROTOCOLS.blocks,
        slotMs: runtime.config.paraSlotDurationMs,
        maxBlockBytes: 4 * 1024 * 1024 - 64 * 1024,
      },
      {
        chain,
        importer,
        network,
        runtime: adapter,
        logger: log,
        onBlock: (r) => {
          if (r.status === "imported") this.stats.imported++;
        },
      },
    );
  }

  /** Opens both databases and networks (not yet started); `start()` joins the networks and collates. */
  static async init(opts: CollatorOptions, modules: CollatorModules = {}): Promise<CollatorNode> {
    const log = modules.logger ?? silentLogger;
    const metrics = modules.metrics ?? {};
    const g = paraGenesisFromSpec(opts.paraSpec);
    const runtime = g.runtime;
    const relayParents = new Map<string, { number: number; storageRoot: Uint8Array }>();
    // Blocks executed on import report their relay parent (fork choice and parent selection read it).
    const adapter = paraChainRuntime(runtime, g.storage, (header) => {
      const rp = relayParentOfHeader(runtime, header);
      if (rp) relayParents.set(toHex(blake2_256(header)), rp);
    });
    const relayFollower = await RelayFollower.open(
      {
        spec: opts.relaySpec,
        basePath: opts.relay.basePath ?? join(opts.basePath, "relay"),
        listen: opts.relay.listen,
        bootnodes: opts.relay.bootnodes ?? [],
        ...(opts.relay.nodeKey ? { nodeKey: opts.relay.nodeKey } : {}),
      },
      { logger: log, ...(modules.faults?.relay ? { faults: modules.faults.relay } : {}) },
    );
    let chain: ChainDb | undefined;
    try {
      await checkParaRegistered(relayFollower, runtime.paraId, g.header, opts);
      chain = await ChainDb.open(
        join(opts.basePath, "db"),
        {
          genesis: { header: g.header, hash: g.hash, storageEntries: adapter.genesisStorage() },
          chainId: opts.paraSpec.id,
        },
        { runtime: adapter, logger: log.child({ module: "para" }) },
      );
      const forkChoice = new ParaForkChoice((h) => relayParents.get(toHex(h))?.number);
      const importer = new BlockImporter(
        {},
        { chain, runtime: adapter, forkChoice, logger: log.child({ module: "para" }), metrics: metrics.chain },
      );
      const pool = new TxPool(
        {},
        {
          runtime: adapter,
          chain,
          events: importer,
          logger: log.child({ module: "txpool" }),
          metrics: metrics.txPool,
        },
      );
      const segment = await UnincludedSegmentStore.open(chain.db);
      const nodeKey = opts.nodeKey ?? (await loadOrCreateNodeKey(join(opts.basePath, "network", "secret_ed25519")));
      const network = await createNetwork(
        {
          listen: opts.listen,
          bootnodes: opts.bootnodes ?? [],
          nodeKey,
          genesisHash: g.hash,
          maxGossipBytes: 4 * 1024 * 1024 - 64 * 1024,
        },
        {
          logger: log.child({ module: "para-net" }),
          metrics: metrics.network,
          ...(modules.faults?.para ? { faults: modules.faults.para } : {}),
        },
      );
      const node = new CollatorNode(
        relayParents,
        opts,
        runtime,
        adapter,
        chain,
        importer,
        forkChoice,
        pool,
        network,
        relayFollower,
        segment,
        g.hash,
        log,
      );
      node.wire();
      return node;
    } catch (e) {
      await chain?.close().catch(() => {});
      await relayFollower.close().catch(() => {});
      throw e;
    }
  }

  /**
   * Tests only: switches byzantine mode (see `CollatorOptions.byzantine`) on, to another kind, or off (a node
   * started byzantine then collates honestly from the next relay block, with an empty segment).
   */
  setByzantine(b: ByzantineCollatorOptions | undefined): void {
    this.byzantine = b;
  }

  /** The invalid collations this node advertised in byzantine mode (the last 256), oldest first. */
  byzantineCollations(): readonly ByzantineCollationRecord[] {
    return this.byzantineLog;
  }

  /** Whether this node authors (it has a collator key). */
  get isCollator(): boolean {
    return this.opts.key !== undefined;
  }

  /** The para best block. */
  get best(): BlockInfo {
    return this.chain.best;
  }

  /** The para finalized block (included in a finalized relay block). */
  get finalized(): BlockInfo {
    return this.chain.finalized;
  }

  /** What the relay chain (at this node's relay best) says about the para: included and pending heads. */
  get relayView():
    | { includedNumber: number; includedHash: Uint8Array; pending: number; relayBest: number }
    | undefined {
    const v = this.view;
    if (!v) return undefined;
    return {
      includedNumber: v.includedNumber,
      includedHash: v.includedHash,
      pending: v.pendingHeads.length,
      relayBest: v.relayBlock.number,
    };
  }

  /** Blocks after the included head on the para best chain (what the runtime's segment holds). */
  get segmentLength(): number {
    const v = this.view;
    return v ? Math.max(0, this.chain.best.number - v.includedNumber) : 0;
  }

  /** Joins both networks; re-imports segment blocks the para database lacks (crash between persist and import). */
  async start(): Promise<void> {
    for (const e of this.segment.entries()) {
      if (await this.chain.hasBlock(e.hash)) continue;
      const block = e.pov ? blockOfPov(this.runtime, e.pov) : undefined;
      const r = block ? await this.importer.import(block, "own") : undefined;
      this.log.info(
        { number: e.number, hash: toHex(e.hash), status: r?.status ?? "no PoV" },
        "Segment block re-imported",
      );
    }
    this.log.info(
      {
        segment: this.segment
          .entries()
          .map((e) => `#${e.number}:${e.status}`)
          .join(","),
      },
      `Unincluded segment reloaded (${this.segment.size} blocks)`,
    );
    await this.relay.start();
    await this.network.start();
    this.sync.start();
    this.relay.importer.onNewBest(() => this.onRelayBest());
    this.relay.importer.onFinalized(() => this.queue.run(() => this.onRelayFinalized()).catch(() => {}));
    await this.onRelayBest();
  }

  /** Stops in reverse order; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sync.close();
    await this.queue.idle().catch(() => {});
    await this.network.stop();
    await this.relay.close();
    await this.pool.close();
    await this.importer.close();
    await this.chain.close();
  }

  /**
   * Submits a transaction to the pool and gossips it to the other para nodes. Rejects with `PoolError`
   * (`INVALID_TRANSACTION` with the runtime's reason, `ALREADY_IMPORTED`, `POOL_FULL` ...).
   */
  async submitTransaction(tx: Uint8Array): Promise<Uint8Array> {
    return (await this.txGossip.submit(tx)).hash;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Wiring

  private wire(): void {
    this.sync.wire();
    this.txGossip.wire();
    const rr = this.relay.network.reqresp;
    rr.register({
      name: RELAY_PROTOCOLS.fetchCollation,
      maxRequestBytes: 128,
      maxResponseBytes: 16 * 1024 * 1024,
      timeoutMs: 5000,
      rateLimit: { requests: 100, perMs: 1000 },
      handle: async (req) => this.serveCollation(req),
    });
    rr.register({
      name: RELAY_PROTOCOLS.collationSeconded,
      maxRequestBytes: 64 * 1024,
      maxResponseBytes: 16,
      timeoutMs: 5000,
      rateLimit: { requests: 100, perMs: 1000 },
      handle: async (req) => this.handleSeconded(req),
    });
    this.importer.onNewBest(() => void this.recordSegmentLength());
  }

  // ---------------------------------------------------------------------------------------------------------
  // Following the relay chain

  private onRelayBest(): Promise<void> {
    return this.queue
      .run(async () => {
        if (this.closed) return;
        const view = await this.readRelayView();
        if (!view) return;
        this.view = view;
        this.trackPipeline(view);
        await this.updateSegment(view);
        await this.followRelay(view);
        if (this.opts.key && this.byzantine) await this.collateByzantine(view, this.opts.key, this.byzantine);
        else if (this.opts.key) await this.collate(view, this.opts.key);
      })
      .catch((e) => this.log.warn({ err: e }, "Relay block handling failed"));
  }

  private headNumber(head: Uint8Array): number {
    return (
      decodeExact(this.runtime.registry, "Header", head) as unknown as { number: { toNumber(): number } }
    ).number.toNumber();
  }

  /** Records when the relay chain (at its best block) first showed a new backed or included para head. */
  private trackPipeline(view: RelayView): void {
    const relayNumber = view.relayBlock.number;
    const newest = view.pendingNumbers[view.pendingNumbers.length - 1];
    if (newest !== undefined && newest !== this.pipeline.lastBacked?.paraNumber)
      this.pipeline.lastBacked = { paraNumber: newest, relayNumber };
    if (view.includedNumber !== this.pipeline.lastIncluded?.paraNumber)
      this.pipeline.lastIncluded = { paraNumber: view.includedNumber, relayNumber };
  }

  private async readRelayView(): Promise<RelayView | undefined> {
    const rc = this.relay.chain;
    const rb = rc.best;
    const header = await rc.header(rb.hash);
    if (!header) return undefined;
    const relaySlot =
      rb.number === 0 ? 0n : findAuraSlot(decodeExact(this.relay.runtime.registry, "Header", header) as never);
    if (relaySlot === undefined) return undefined;
    const paraId = this.runtime.paraId;
    return rc.withState((store) => {
      const r = this.relay.runtime;
      const head = unwrap(r.paraHead(store, rb.stateRoot, paraId));
      if (!head) return undefined;
      const pending = unwrap(r.candidatePendingAvailability(store, rb.stateRoot, paraId));
      const params = unwrap(r.asyncBackingParams(store, rb.stateRoot));
      const cfg = unwrap(r.hostConfiguration(store, rb.stateRoot));
      const allowed = unwrap(
        r.allowedRelayParents(store, rb.stateRoot, { hash: rb.hash, number: rb.number, stateRoot: rb.stateRoot }),
      );
      const codeHash = unwrap(r.validationCodeHash(store, rb.stateRoot, paraId));
      const view: RelayView = {
        relayBlock: rb,
        relaySlot,
        includedHead: head,
        includedHash: blake2_256(head),
        includedNumber: this.headNumber(head),
        pendingHeads: pending.map((c) => blake2_256(c.commitments.headData)),
        pendingNumbers: pending.map((c) => this.headNumber(c.commitments.headData)),
        allowedAncestryLen: params.allowedAncestryLen,
        maxPovSize: cfg.maxPovSize,
        allowed: allowed as RelayView["allowed"],
        proof: generateProof(store, rb.stateRoot, [relayKeys.currentSlot, relayKeys.paraHead(paraId)]),
        ...(codeHash ? { validationCodeHash: codeHash } : {}),
      };
      return view;
    });
  }

  /** Segment bookkeeping at a relay block: prune included, mark pending, drop stale or timed-out blocks. */
  private async updateSegment(view: RelayView): Promise<void> {
    const pruned = await this.segment.onIncluded(view.includedHash, view.includedNumber);
    for (const e of pruned.included) {
      this.stats.included++;
      this.collations.delete(toHex(e.candidateHash ?? new Uint8Array()));
    }
    this.stats.dropped += pruned.orphaned.length;
    // Another block of their number (or of an ancestor's) was included: these can never be.
    for (const e of pruned.orphaned)
      this.log.info({ number: e.number, hash: toHex(e.hash), reason: "orphaned" }, "Segment block dropped");
    const pending = new Set(view.pendingHeads.map(toHex));
    const timedOut: Uint8Array[] = [];
    for (const e of this.segment.entries()) {
      if (pending.has(toHex(e.hash))) {
        if (rank(e.status) < rank("pendingAvailability")) await this.segment.setStatus(e.hash, "pendingAvailability");
      } else if (e.status === "pendingAvailability") {
        // Was on chain, is neither pending nor included any more: its candidate timed out (or a relay reorg
        // retracted it).
        timedOut.push(e.hash);
      }
    }
    const ancestry = new Set(view.allowed.map((a) => toHex(a.hash)));
    const offFork = this.segment
      .entries()
      .filter((e) => rank(e.status) < rank("pendingAvailability") && !ancestry.has(toHex(e.relayParentHash)))
      .filter((e) => e.relayParentNumber >= view.relayBlock.number - view.allowedAncestryLen)
      .map((e) => e.hash);
    const dropped = await this.segment.dropStale({
      minRelayParentNumber: view.relayBlock.number - view.allowedAncestryLen,
      timedOut: [...timedOut, ...offFork],
    });
    for (const d of dropped) {
      this.stats.dropped++;
      if (d.entry.candidateHash) this.collations.delete(toHex(d.entry.candidateHash));
      this.log.info({ number: d.entry.number, hash: toHex(d.entry.hash), reason: d.reason }, "Segment block dropped");
    }
  }

  /** Para fork choice and finality follow the relay chain. */
  private async followRelay(view: RelayView): Promise<void> {
    const anchor = view.pendingHeads[view.pendingHeads.length - 1] ?? view.includedHash;
    this.forkChoice.setView({
      anchor,
      onChain: new Set([view.includedHash, ...view.pendingHeads].map(toHex)),
      minRelayParentNumber: view.relayBlock.number - view.allowedAncestryLen,
    });
    if (!(await this.chain.hasBlock(anchor))) {
      // Another collator's block the relay chain has, which has not reached us: fetch it.
      this.sync.syncFromAnyPeer();
      return;
    }
    await this.importer.reconsiderBest().catch((e) => this.log.debug({ err: e }, "Para best not reconsidered"));
    await this.recordSegmentLength();
  }

  /**
   * Records `stats.maxSegmentLength`: the unincluded segment at the newest best-chain block that this node's relay
   * view can judge, i.e. built on a relay parent the view has (a peer's block built on a newer relay parent is
   * judged by a newer `Paras.Heads`, which can only be higher: counting it against the view's included head
   * would read one too many while this node's relay node trails by a block).
   */
  private async recordSegmentLength(): Promise<void> {
    const v = this.view;
    if (!v) return;
    let hash = this.chain.best.hash;
    let number = this.chain.best.number;
    while (number > v.includedNumber) {
      const bytes = await this.chain.header(hash).catch(() => undefined);
      if (!bytes) return;
      const header = decodeExact(this.runtime.registry, "Header", bytes) as unknown as {
        parentHash: { toU8a(): Uint8Array };
      };
      const rp = findRelayParentDigest(header as never);
      if (rp === undefined || rp.number <= v.relayBlock.number) {
        const len = number - v.includedNumber;
        if (len > this.stats.maxSegmentLength) this.stats.maxSegmentLength = len;
        return;
      }
      hash = header.parentHash.toU8a();
      number--;
    }
  }

  private async onRelayFinalized(): Promise<void> {
    if (this.closed) return;
    const rf = this.relay.chain.finalized;
    const head = await this.relay.chain.withState((store) =>
      unwrap(this.relay.runtime.paraHead(store, rf.stateRoot, this.runtime.paraId)),
    );
    if (!head) return;
    const hash = blake2_256(head);
    if (bytesEqual(hash, this.chain.finalized.hash) || !this.chain.tree.has(hash)) return;
    await this.importer.finalize(hash).catch((e) => this.log.debug({ err: e }, "Para block not finalized"));
  }

  // ---------------------------------------------------------------------------------------------------------
  // The lookahead collator

  /** Counts why a build did not happen; returns false (no block built). */
  private skip(why: string): false {
    this.stats.skipped[why] = (this.stats.skipped[why] ?? 0) + 1;
    return false;
  }

  private async collate(view: RelayView, key: Sr25519Keypair): Promise<void> {
    // The relay genesis has no slot to prove: the first parablock builds on relay block #1.
    if (view.relayBlock.number === 0) return;
    await this.resubmit(view);
    for (let n = 0; n < MAX_BLOCKS_PER_RELAY_PARENT && !this.closed; n++) {
      const built = await this.buildOne(view, key);
      if (!built) return;
    }
  }

  /** The para blocks above the included head as parent-selection input (relay parent from their RPSR digest). */
  private async candidates(view: RelayView): Promise<SelectableBlock[]> {
    const tree = this.chain.tree;
    if (!tree.has(view.includedHash)) return [];
    const byRoot = new Map(view.allowed.map((a) => [toHex(a.stateRoot), a]));
    const out: SelectableBlock[] = [];
    for (const b of tree.subtree(view.includedHash).slice(1)) {
      let rp = this.relayParents.get(toHex(b.hash));
      if (!rp) {
        const header = await this.chain.header(b.hash);
        rp = header ? relayParentOfHeader(this.runtime, header) : undefined;
        if (rp) this.relayParents.set(toHex(b.hash), rp);
      }
      if (!rp) continue;
      const relayBlock = byRoot.get(toHex(rp.storageRoot));
      out.push({
        hash: b.hash,
        parentHash: b.parentHash,
        number: b.number,
        relayParentNumber: rp.number,
        // Not in the allowed ancestry (an abandoned relay fork or too old): a hash no ancestry holds.
        relayParentHash: relayBlock?.hash ?? new Uint8Array(32),
      });
    }
    return out;
  }

  /**
   * The pool follows the para's best block, and the parent a collator builds on may trail it (the best block's
   * candidate is not backable yet, or is another branch): the signed transactions of the best chain's blocks
   * above the common ancestor with `parent` are then in neither the pool nor the parent's state, and every pool
   * transaction of their senders is a future nonce there. They go first, as a pool "ready at" the parent (the
   * fork-aware pool's view) would have them; the builder refuses any the parent's state already holds.
   */
  private async retractedAt(parent: Uint8Array): Promise<Uint8Array[]> {
    const tree = this.chain.tree;
    let a = tree.get(this.chain.best.hash);
    let b = tree.get(parent);
    if (a === undefined || b === undefined) return [];
    const above: Uint8Array[] = [];
    for (let guard = 0; guard < 64 && !bytesEqual(a.hash, b.hash); guard++) {
      if (a.number >= b.number) {
        above.push(a.hash);
        a = tree.get(a.parentHash);
      } else b = tree.get(b.parentHash);
      if (a === undefined || b === undefined) return [];
    }
    const out: Uint8Array[] = [];
    for (const hash of above.reverse()) {
      const block = await this.chain.block(hash);
      if (block === undefined) continue;
      for (const x of this.adapter.blockExtrinsics(block)) if (isSignedExtrinsic(x)) out.push(x);
    }
    return out;
  }

  /** `buildBlock` on `parentHeader` at the relay block of `view`, with the para's state. */
  private build(
    view: RelayView,
    parentHeader: Uint8Array,
    timestampMs: bigint,
    author: Sr25519Keypair,
    pool: { transactions?: Uint8Array[]; deadline?: { now: () => number; deadlineMs: number } } = {},
  ) {
    const rb = view.relayBlock;
    return this.chain.withState((store) =>
      buildBlock(this.runtime, {
        store,
        parentHeader,
        relayParent: {
          number: rb.number,
          storageRoot: rb.stateRoot,
          stateProof: view.proof,
          maxPovSize: view.maxPovSize,
        },
        timestampMs,
        author,
        ...pool,
      }),
    );
  }

  /** One lookahead step: parent, `canBuildUpon`, slot claim, build, persist, announce, advertise. */
  private async buildOne(view: RelayView, key: Sr25519Keypair): Promise<boolean> {
    const rt = this.runtime;
    const rb = view.relayBlock;
    if (!view.validationCodeHash) return this.skip("paraNotRegistered");
    const parent = selectParent({
      includedHash: view.includedHash,
      pendingHashes: view.pendingHeads,
      entries: await this.candidates(view),
      relayBestNumber: rb.number,
      allowedAncestryLen: view.allowedAncestryLen,
      relayAncestry: view.allowed.map((a) => a.hash),
    });
    const parentInfo = this.chain.tree.get(parent.hash) ?? (await this.chain.blockInfo(parent.hash));
    const parentHeader = parentInfo && (await this.chain.header(parent.hash));
    if (!parentInfo || !parentHeader) {
      this.sync.syncFromAnyPeer();
      return this.skip("parentUnknown");
    }
    // The runtime's `can_build_upon`: segment below capacity, at most velocity + 1 blocks per relay slot.
    if (parent.kind !== "included") {
      const can = await this.chain.withState((store) =>
        canBuildUpon(rt, store, parentInfo.stateRoot, view.includedHash, view.relaySlot),
      );
      if (!can.ok || !can.value) return this.skip("cannotBuildUpon");
    }
    // Claim the Aura slot of the relay slot's timestamp (lookahead: timestamp = relay slot × relay slot duration).
    const timestampMs = view.relaySlot * BigInt(rt.config.relaySlotDurationMs);
    const paraSlot = timestampMs / BigInt(rt.config.paraSlotDurationMs);
    const authorities = await this.chain.withState((store) =>
      rt.aura.authorities(rt.stateAt(store, parentInfo.stateRoot)),
    );
    const author = slotAuthor(paraSlot, authorities);
    if (!author || !bytesEqual(author, key.publicKey)) return this.skip("notOurSlot");
    // Never two blocks for one height: the segment already holds ours (built before a crash, say).
    const sibling = this.segment.entries().find((e) => e.number === parentInfo.number + 1);
    if (sibling) return this.skip("heightTaken");
    // Build within the authoring deadline: 2 s at 6 s slots, scaled with the slot.
    const start = this.now();
    const deadlineMs = start + Math.floor(rt.config.relaySlotDurationMs / 3);
    const transactions = [...(await this.retractedAt(parent.hash)), ...[...this.pool.ready()].map((t) => t.bytes)];
    const built = await this.build(view, parentHeader, timestampMs, key, {
      transactions,
      deadline: { now: this.now, deadlineMs },
    });
    if (!built.ok) return this.skip(`build:${built.error.code}`);
    const b = built.value;
    for (const r of b.rejected) {
      // The pool's ready set is validated at its best block, which the parent built on may trail: a nonce
      // ahead of the parent's is valid later, so it stays (removing it strands its sender's later nonces).
      if (r.error.kind === "Invalid" && r.error.reason === "Future") continue;
      await this.pool.reportInvalid(blake2_256(r.bytes), new TransactionValidityError(r.error)).catch(() => {});
    }
    const header = b.header.toU8a();
    const entry: SegmentEntry = {
      hash: b.hash,
      number: parentInfo.number + 1,
      parentHash: parent.hash,
      header,
      relayParentNumber: rb.number,
      relayParentHash: rb.hash,
      status: "built",
      pov: b.pov,
    };
    // Persist before anything leaves the node.
    await this.segment.add(entry);
    this.relayParents.set(toHex(b.hash), { number: rb.number, storageRoot: rb.stateRoot });
    const imported = await this.importer.import(b.block, "own", {
      executed: { header, hash: b.hash, stateRoot: b.stateRoot, newNodes: b.newNodes, events: b.events },
    });
    if (imported.status !== "imported" && imported.status !== "known") {
      this.log.warn({ status: imported.status }, "Own parablock not imported");
      return false;
    }
    this.stats.built++;
    this.log.info(
      { number: entry.number, hash: toHex(b.hash), relayParent: rb.number, txs: b.included.length },
      `Prepared block for proposing at ${entry.number} (${this.now() - start} ms)`,
    );
    await this.sync.publish(b.block);
    const collation = this.makeCollation(entry, parentHeader, view, key, b.pov);
    await this.segment.setStatus(b.hash, "built", { candidateHash: collation.candidateHash });
    void this.advertise(collation.collation, b.hash);
    return true;
  }

  private makeCollation(
    entry: SegmentEntry,
    parentHeader: Uint8Array,
    view: RelayView,
    key: Sr25519Keypair,
    pov: Uint8Array,
  ): { candidateHash: Uint8Array; collation: Collation } {
    const rp = view.allowed.find((a) => bytesEqual(a.hash, entry.relayParentHash));
    const pvd = {
      parentHead: parentHeader,
      relayParentNumber: entry.relayParentNumber,
      relayParentStorageRoot: rp?.stateRoot ?? view.relayBlock.stateRoot,
      maxPovSize: view.maxPovSize,
    };
    const candidate = relay.makeCandidate({
      paraId: this.runtime.paraId,
      relayParent: entry.relayParentHash,
      collator: key,
      pvd,
      pov,
      headData: entry.header,
      validationCodeHash: view.validationCodeHash!,
    });
    const candidateHash = relay.candidateHash(candidate);
    const collation: Collation = {
      blockHash: entry.hash,
      relayParent: entry.relayParentHash,
      response: registry
        .createType("CollationResponse", {
          candidate: {
            descriptor: relay.descriptorInput(candidate.descriptor),
            commitments: relay.commitmentsInput(candidate.commitments),
          },
          pvd: {
            parentHead: scaleBytes(pvd.parentHead),
            relayParentNumber: pvd.relayParentNumber,
            relayParentStorageRoot: pvd.relayParentStorageRoot,
            maxPovSize: pvd.maxPovSize,
          },
          pov: scaleBytes(pov),
        })
        .toU8a(),
      advertisement: registry
        .createType("CollationAdvertisement", {
          paraId: this.runtime.paraId,
          relayParent: entry.relayParentHash,
          candidateHash,
          parentHeadDataHash: blake2_256(parentHeader),
          collatorId: key.publicKey,
          signature: sr25519Sign(key, relay.advertisementPayload(entry.relayParentHash, candidateHash)),
        })
        .toU8a(),
    };
    this.collations.set(toHex(candidateHash), collation);
    return { candidateHash, collation };
  }

  /**
   * Own blocks still in scope that no validator took yet (advertisement refused or lost, or built before a
   * restart): advertise them again, rebuilding the collation from the persisted PoV when needed.
   */
  private async resubmit(view: RelayView): Promise<void> {
    const key = this.opts.key!;
    for (const e of this.segment.entries()) {
      if (e.status !== "built") continue;
      let collation = e.candidateHash ? this.collations.get(toHex(e.candidateHash)) : undefined;
      if (!collation) {
        const parentHeader = await this.chain.header(e.parentHash);
        if (!parentHeader || !e.pov || !view.validationCodeHash) continue;
        if (!view.allowed.some((a) => bytesEqual(a.hash, e.relayParentHash))) continue;
        const made = this.makeCollation(e, parentHeader, view, key, e.pov);
        await this.segment.setStatus(e.hash, "built", { candidateHash: made.candidateHash });
        collation = made.collation;
      }
      await this.advertise(collation, e.hash);
    }
  }

  /** Advertises to the para's backing group: relay peers in turn (those that accepted before first). */
  private async advertise(c: Collation, blockHash: Uint8Array): Promise<void> {
    const peers = this.relay.network.peers();
    const ordered = [
      ...peers.filter((p) => this.acceptingPeers.has(p)),
      ...peers.filter((p) => !this.acceptingPeers.has(p)),
    ];
    for (const peer of ordered) {
      if (this.closed) return;
      try {
        const res = await this.relay.network.reqresp.request(peer, RELAY_PROTOCOLS.advertise, c.advertisement, {
          timeoutMs: 2000,
        });
        const reply = decodeExact(registry, "AdvertisementReply", res) as unknown as { type: string; value: Codec };
        if (reply.type === "Accepted") {
          this.acceptingPeers.add(peer);
          this.stats.advertised++;
          if (this.segment.get(blockHash)?.status === "built") await this.segment.setStatus(blockHash, "advertised");
          return;
        }
        this.acceptingPeers.delete(peer);
        this.log.debug({ peer, reason: reply.value.toString() }, "Advertisement declined");
      } catch (e) {
        // Not a validator (another collator's relay node), or unreachable: the next peer.
        this.log.debug({ peer, err: e }, "Advertisement failed");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Byzantine mode (tests and dev networks only)

  /**
   * Builds a block on the para's newest pending (else included) head, the one parent every validator's
   * fragment chain accepts, corrupts it per `b.kind` and advertises it to every relay peer. Nothing of it is
   * imported, announced or persisted.
   */
  private async collateByzantine(view: RelayView, key: Sr25519Keypair, b: ByzantineCollatorOptions): Promise<void> {
    const rt = this.runtime;
    const rb = view.relayBlock;
    if (rb.number === 0 || !view.validationCodeHash) return;
    const auraKey = b.auraKey ?? key;
    const anchor = view.pendingHeads[view.pendingHeads.length - 1] ?? view.includedHash;
    const parentInfo = this.chain.tree.get(anchor) ?? (await this.chain.blockInfo(anchor));
    const parentHeader = parentInfo && (await this.chain.header(anchor));
    if (!parentInfo || !parentHeader) {
      this.sync.syncFromAnyPeer();
      this.skip("byzantine:parentUnknown");
      return;
    }
    if (!bytesEqual(anchor, view.includedHash)) {
      const can = await this.chain.withState((store) =>
        canBuildUpon(rt, store, parentInfo.stateRoot, view.includedHash, view.relaySlot),
      );
      if (!can.ok || !can.value) {
        this.skip("byzantine:cannotBuildUpon");
        return;
      }
    }
    const timestampMs = view.relaySlot * BigInt(rt.config.relaySlotDurationMs);
    const built = await this.build(view, parentHeader, timestampMs, auraKey);
    if (!built.ok) {
      this.skip(`byzantine:build:${built.error.code}`);
      return;
    }
    const bad = corruptCollation(
      rt,
      b.kind,
      built.value,
      parentHeader,
      { number: rb.number, storageRoot: rb.stateRoot },
      auraKey,
      view.maxPovSize,
    );
    if (!bad.ok) {
      this.skip(`byzantine:${bad.reason}`);
      return;
    }
    const entry: SegmentEntry = {
      hash: blake2_256(bad.value.header),
      number: parentInfo.number + 1,
      parentHash: anchor,
      header: bad.value.header,
      relayParentNumber: rb.number,
      relayParentHash: rb.hash,
      status: "built",
      pov: bad.value.pov,
    };
    const { candidateHash, collation } = this.makeCollation(entry, parentHeader, view, key, bad.value.pov);
    this.stats.byzantineCollations = (this.stats.byzantineCollations ?? 0) + 1;
    this.byzantineLog.push({
      kind: b.kind,
      candidateHash,
      headHash: entry.hash,
      paraNumber: entry.number,
      relayParentNumber: rb.number,
    });
    // Serve the newest few (their PoVs may be large); remember more of them for tests.
    const stale = this.byzantineLog[this.byzantineLog.length - 1 - MAX_BYZANTINE_COLLATIONS];
    if (stale) this.collations.delete(toHex(stale.candidateHash));
    if (this.byzantineLog.length > 256) this.byzantineLog.shift();
    this.log.warn(
      { kind: b.kind, number: entry.number, candidate: toHex(candidateHash), povBytes: bad.value.pov.length },
      "Byzantine mode: advertising an invalid collation",
    );
    void this.advertiseToEveryPeer(collation);
  }

  /** Byzantine mode: advertises a collation to every relay peer (each validator that accepts fetches it). */
  private async advertiseToEveryPeer(c: Collation): Promise<void> {
    await Promise.all(
      this.relay.network.peers().map(async (peer) => {
        try {
          const res = await this.relay.network.reqresp.request(peer, RELAY_PROTOCOLS.advertise, c.advertisement, {
            timeoutMs: 2000,
          });
          const reply = decodeExact(registry, "AdvertisementReply", res) as unknown as { type: string; value: Codec };
          this.log.debug({ peer, reply: reply.type }, "Byzantine collation advertised");
        } catch (e) {
          this.log.debug({ peer, err: e }, "Advertisement failed");
        }
      }),
    );
  }

  private async serveCollation(req: Uint8Array): Promise<Uint8Array> {
    const r = decodeExact(registry, "CollationFetchRequest", req) as unknown as { candidateHash: Codec };
    const c = this.collations.get(r.candidateHash.toHex());
    if (!c) throw new Error("unknown collation");
    return c.response;
  }

  /** A validator's `CollationSeconded`: a signed Seconded statement for one of our candidates. */
  private async handleSeconded(req: Uint8Array): Promise<Uint8Array> {
    const m = decodeExact(registry, "StatementMessage", req) as unknown as {
      relayParent: Codec;
      statement: { payload: { type: string; value: Codec }; validatorIndex: { toNumber(): number }; signature: Codec };
    };
    const { payload, validatorIndex, signature } = m.statement;
    if (payload.type !== "Seconded") throw new Error("not a Seconded statement");
    const candidateHash = payload.value.toU8a();
    const validator = this.relay.validators[validatorIndex.toNumber()];
    const signed = relay.backingStatementPayload("Seconded", candidateHash, {
      sessionIndex: 0,
      parentHash: m.relayParent.toU8a(),
    });
    if (!validator || !sr25519Verify(signature.toU8a(), signed, validator)) throw new Error("bad statement signature");
    const c = this.collations.get(toHex(candidateHash));
    if (!c) throw new Error("unknown candidate");
    const entry = this.segment.get(c.blockHash);
    if (entry && rank(entry.status) < rank("seconded")) {
      await this.segment.setStatus(c.blockHash, "seconded");
      this.stats.seconded++;
    }
    return new Uint8Array(0);
  }
}

function rank(s: SegmentStatus): number {
  return SEGMENT_STATUSES.indexOf(s);
}

function unwrap<T>(r: { ok: true; value: T } | { ok: false; error: Error }): T {
  if (!r.ok) throw r.error;
  return r.value;
}

/** The relay parent a parablock header names in its RPSR digest. */
function relayParentOfHeader(
  rt: ParachainRuntime,
  header: Uint8Array,
): { number: number; storageRoot: Uint8Array } | undefined {
  try {
    return findRelayParentDigest(decodeExact(rt.registry, "Header", header) as never);
  } catch {
    return undefined;
  }
}

/** The block inside a PoV (`ParaBlockData { block, witness }`). */
function blockOfPov(rt: ParachainRuntime, pov: Uint8Array): Uint8Array | undefined {
  try {
    const d = decodeExact(rt.registry, "ParaBlockData", pov) as unknown as {
      block: { toU8a(bare: boolean): Uint8Array };
    };
    return d.block.toU8a(true);
  } catch {
    return undefined;
  }
}

/**
 * Refuses to run a para whose genesis head is not what the relay chain registered for its para id (the
 * relay spec was built with another para spec, e.g. an outdated `export-genesis-head`).
 */
async function checkParaRegistered(
  follower: RelayFollower,
  paraId: number,
  genesisHeader: Uint8Array,
  opts: CollatorOptions,
): Promise<void> {
  const genesisHash = await follower.chain.canonicalHash(0);
  const relayGenesis = genesisHash && (await follower.chain.blockInfo(genesisHash));
  if (!relayGenesis) return;
  const head = await follower.chain.withState((store) =>
    unwrap(follower.runtime.paraHead(store, relayGenesis.stateRoot, paraId)),
  );
  if (!head)
    throw new CollatorError(
      { code: "PARA_NOT_REGISTERED", paraId, relayChain: opts.relaySpec.id },
      `para ${paraId} (${opts.paraSpec.id}) is not registered at genesis of relay chain ${opts.relaySpec.id}`,
    );
  if (!bytesEqual(head, genesisHeader))
    throw new CollatorError(
      {
        code: "GENESIS_MISMATCH",
        paraId,
        registered: toHex(blake2_256(head)),
        local: toHex(blake2_256(genesisHeader)),
      },
      `relay chain ${opts.relaySpec.id} registered para ${paraId} with genesis head ${toHex(blake2_256(head))}, but ${opts.paraSpec.id} has ${toHex(blake2_256(genesisHeader))}: rebuild the relay spec with this para's genesis head`,
    );
}

export type { ParaGenesis };

/** Whether an encoded extrinsic (compact length, then the version byte) is signed: the version's top bit. */
function isSignedExtrinsic(x: Uint8Array): boolean {
  if (x.length === 0) return false;
  const mode = x[0]! & 3;
  const prefix = mode === 0 ? 1 : mode === 1 ? 2 : mode === 2 ? 4 : 1 + (x[0]! >> 2) + 4;
  return x.length > prefix && (x[prefix]! & 0x80) !== 0;
}
