import { type Network, type NetworkFaults, type NodeKey, topicName } from "@parapipe/network";
import {
  type BlockImporter,
  type BlockSync,
  type ChainDb,
  type ChainRuntime,
  type FinalityTracker,
  type FinalityVoteGossip,
  frameChainRuntime,
  type Logger,
  type NewBestEvent,
  type NodeMetricsSet,
  RELAY_PROTOCOLS,
  RELAY_TOPICS,
  RelayChainNode,
  type SubmitResult,
  silentLogger,
  type TxPool,
  type TxWatcher,
} from "@parapipe/node";
import {
  blake2_256,
  bytesEqual,
  type ChainSpec,
  registry,
  type Sr25519Keypair,
  scaleBytes,
  sr25519Sign,
  sr25519Verify,
  toHex,
  toSs58,
} from "@parapipe/primitives";
import { relay, relayGenesisFromSpec, TransactionValidityError } from "@parapipe/runtime";
import { Bucket } from "@parapipe/storage";
import type { Codec } from "@polkadot/types/types";
import { type CheckedStatement, StatementTable } from "./backing/statementTable.js";
import { advertisementPayload, decodeGossip, decodeRequest, encode, ignore, reject } from "./messages.js";
import type { CandidateInterval, RelayValidatorMetrics } from "./metrics.js";
import { FragmentChain } from "./prospective/fragmentChain.js";
import { PvfPool } from "./pvf/pool.js";

/** The byzantine behaviours a validator can be given (tests and dev networks only). */
export const BYZANTINE_VALIDATOR_MODES = ["secondInvalid", "doubleVote"] as const;

/**
 * A byzantine validator's behaviour: `secondInvalid` seconds (and votes Valid for) candidates its own checks
 * found invalid; `doubleVote` gossips an Invalid statement next to every Seconded or Valid statement it signs.
 */
export type ByzantineValidatorMode = (typeof BYZANTINE_VALIDATOR_MODES)[number];

/** How honest validators caught a validator: signing for and against one candidate, or voting for an invalid one. */
export type ValidatorOffence = "DoubleVote" | "VotedForInvalid";

/** Options of a relay validator (or, without `key`, a relay full node). */
export interface RelayValidatorOptions {
  spec: ChainSpec;
  /** Base path: the database lives in `<basePath>/db`, the node key in `<basePath>/network/secret_ed25519`. */
  basePath: string;
  /** The validator's session key (`//Alice` ...); a node without one imports and serves but never votes. */
  key?: Sr25519Keypair;
  listen: string[];
  bootnodes?: string[];
  nodeKey?: NodeKey;
  /** PVF worker threads (default 1: backing must not starve authoring on a 2-core machine). */
  pvfWorkers?: number;
  /** Wall clock in ms (injected in tests). */
  now?: () => number;
  /**
   * Tests and dev networks only (the CLI accepts `--dev-byzantine` with a dev/local chain spec only): makes
   * this validator misbehave in backing (see `ByzantineValidatorMode`).
   */
  byzantine?: ByzantineValidatorMode;
}

/** Collaborators of a relay validator. */
export interface RelayValidatorModules {
  logger?: Logger;
  /** Chain, finality, pool and network metrics (`createNodeMetrics`), handed to the relay chain node. */
  metrics?: NodeMetricsSet;
  /** Candidate stages, stage latencies and PVF execution times. */
  pipelineMetrics?: RelayValidatorMetrics;
  /** Fault injection on the relay network (tests only: `network.faults`). */
  faults?: NetworkFaults;
}

/** Counters a test or the informant reads. */
export interface RelayValidatorStats {
  authored: number;
  imported: number;
  seconded: number;
  validated: number;
  invalidCollations: number;
  backed: number;
  /** Offences of other validators this node caught (each validator and candidate counted once). */
  misbehaviours: number;
  bitfieldsSigned: number;
  /** Why the last refused candidate was refused. */
  lastRefusal?: string;
  /** Statements this node signed in byzantine mode that an honest validator would not have signed; absent on honest nodes. */
  byzantineVotes?: number;
}

interface KnownCandidate {
  candidate: relay.CommittedCandidateReceiptValue;
  pvd: relay.PersistedValidationDataValue;
  hash: Uint8Array;
  core: number;
  group: number;
  relayParentNumber: number;
  /** Whether this node voted for it. */
  voted: boolean;
}

/** What an authored block did for the paras (for tests, the informant and bench/relay stage latencies). */
export interface AuthoredBlockReport {
  number: number;
  slot: bigint;
  /** Bitfields put in (their core-0 bits), and candidates the author offered. */
  bitfields: number;
  bits: string;
  offered: number;
  backed: Uint8Array[];
  included: Uint8Array[];
  timedOut: Uint8Array[];
  rejected: Array<{ candidateHash: Uint8Array; code: string }>;
  /** Pool transactions put in the block. */
  transactions: number;
}

/** Request/response protocol names. */
export const PROTOCOLS = RELAY_PROTOCOLS;

/** Gossip topic names (under `/parapipe/<genesis8>/relay/`). */
export const TOPICS = RELAY_TOPICS;

/**
 * A relay-chain validator: authors blocks in its Aura slots, gossips and imports blocks (syncing unknown
 * parents by range), votes finality, takes collations from collators (advertise, then fetch), checks and
 * re-executes them in PVF workers, gossips Seconded/Valid statements, backs candidates at quorum, keeps a
 * fragment chain per para (prospective parachains), puts backable candidates in its blocks (provisioner),
 * fetches and stores PoVs for availability and signs availability bitfields a third of a slot after import.
 * Relay transactions submitted to any relay node reach its pool over gossip; its blocks carry the ready ones.
 * Wired in one place (`init`), closed in reverse order.
 */
export class RelayValidatorNode {
  readonly stats: RelayValidatorStats = {
    authored: 0,
    imported: 0,
    seconded: 0,
    validated: 0,
    invalidCollations: 0,
    backed: 0,
    misbehaviours: 0,
    bitfieldsSigned: 0,
  };
  /** Refused candidates counted by reason (`PVF: STATE_ROOT_MISMATCH`, `PoV over the limit` ...). */
  readonly refusals: Record<string, number> = {};
  private slotTimer?: NodeJS.Timeout;
  private bitfieldTimer?: NodeJS.Timeout;
  private voteTimer?: NodeJS.Timeout;
  private closed = false;
  /** Relay blocks over the network (gossip, import, sync by range). */
  readonly sync: BlockSync;
  private readonly votes: FinalityVoteGossip;
  private readonly povs = new Map<string, Uint8Array>();
  private readonly candidates = new Map<string, KnownCandidate>();
  private readonly bitfields = new Map<string, Map<number, relay.SignedAvailabilityBitfieldValue>>();
  private fragments = new Map<number, FragmentChain>();
  private readonly table: StatementTable;
  private readonly slotMs: number;
  private readonly now: () => number;
  private readonly topics: Record<keyof typeof TOPICS, string>;
  private groups: number[][] = [];
  /** Paras this validator's group backs at the next block (collations for others are declined). */
  private assignedParas = new Set<number>();
  /** When this validator saw each recent candidate reach a stage (`performance.now()`), for the stage latencies. */
  private readonly timings = new Map<string, Partial<Record<TimePoint, number>>>();
  /** Candidates already counted included or timed out (a fork block may repeat them). */
  private readonly settled = new Set<string>();
  private readonly authoredListeners: Array<(r: AuthoredBlockReport) => void> = [];
  /** Byzantine mode (tests and dev networks only). */
  private byzantineMode?: ByzantineValidatorMode;
  /** Signed statements seen per candidate and validator, for and against, to catch double votes (bounded). */
  private readonly signedVotes = new Map<string, Map<number, { for?: CheckedStatement; against?: CheckedStatement }>>();
  /**
   * Candidates this node found invalid on the very inputs they commit to (its PVF run on the PoV and PVD the
   * descriptor hashes, or the descriptor itself), with why (bounded). Whoever votes for one misbehaves.
   */
  private readonly invalidCandidates = new Map<string, string>();
  /** Validators caught misbehaving, with the first offence: their votes are never counted here again. */
  private readonly offenders = new Map<number, { offence: ValidatorOffence; candidate: string }>();
  /** Offences already counted (`validator:candidate`). */
  private readonly offences = new Set<string>();

  /** Called for every block this node authors, with what it did for the paras. */
  onAuthored(listener: (r: AuthoredBlockReport) => void): void {
    this.authoredListeners.push(listener);
  }

  readonly chain: ChainDb;
  readonly importer: BlockImporter;
  readonly finality: FinalityTracker;
  readonly network: Network;
  readonly genesisHash: Uint8Array;

  private constructor(
    readonly opts: RelayValidatorOptions,
    readonly runtime: relay.RelayRuntime,
    readonly adapter: ChainRuntime,
    /** The relay chain node underneath: database, import, finality, network, block and vote gossip. */
    private readonly base: RelayChainNode,
    readonly pvf: PvfPool,
    readonly validators: Uint8Array[],
    readonly validatorIndex: number | undefined,
    private readonly log: Logger,
    private readonly metrics: RelayValidatorMetrics | undefined,
  ) {
    this.chain = base.chain;
    this.importer = base.importer;
    this.finality = base.finality;
    this.network = base.network;
    this.genesisHash = base.genesisHash;
    this.sync = base.sync;
    this.votes = base.votes;
    const genesisHash = base.genesisHash;
    this.slotMs = runtime.config.slotDurationMs;
    this.now = opts.now ?? Date.now;
    if (opts.byzantine) this.byzantineMode = opts.byzantine;
    const minimumBackingVotes = runtime.config.hostConfiguration.minimumBackingVotes;
    this.table = new StatementTable({ minimumBackingVotes, groupMembers: (g) => this.groups[g] ?? [] });
    this.topics = {
      block: topicName(genesisHash, "relay", TOPICS.block),
      finality: topicName(genesisHash, "relay", TOPICS.finality),
      statement: topicName(genesisHash, "relay", TOPICS.statement),
      bitfield: topicName(genesisHash, "relay", TOPICS.bitfield),
      tx: topicName(genesisHash, "relay", TOPICS.tx),
    };
  }

  /** Opens the database, the network and the PVF workers; `start()` then joins the network and authors. */
  static async init(opts: RelayValidatorOptions, modules: RelayValidatorModules = {}): Promise<RelayValidatorNode> {
    const log = modules.logger ?? (silentLogger as unknown as Logger);
    // Runtime and genesis from the chain spec.
    const g = relayGenesisFromSpec(opts.spec);
    const runtime = g.runtime;
    const adapter = frameChainRuntime(relay.relayChainFunctions(runtime, g.storage));
    const validators = runtime.config.validators.map((v) => Uint8Array.from(v));
    const validatorIndex = opts.key ? validators.findIndex((v) => bytesEqual(v, opts.key!.publicKey)) : -1;
    // Database (refuses a database of another chain), import, finality and the relay network.
    const base = await RelayChainNode.open(
      {
        basePath: opts.basePath,
        chainId: opts.spec.id,
        genesis: { header: g.header, hash: g.hash, storageEntries: g.storage },
        runtime: adapter,
        voters: validators,
        slotMs: runtime.config.slotDurationMs,
        listen: opts.listen,
        bootnodes: opts.bootnodes ?? [],
        ...(opts.nodeKey ? { nodeKey: opts.nodeKey } : {}),
      },
      { logger: log, metrics: modules.metrics, ...(modules.faults ? { faults: modules.faults } : {}) },
    );
    const pvf = new PvfPool(
      {
        workers: opts.pvfWorkers ?? 1,
        // Upstream backing timeout: 2 s at 6 s slots, scaled with the slot.
        timeoutMs: Math.max(250, Math.floor((2000 * runtime.config.slotDurationMs) / 6000)),
      },
      { metrics: modules.pipelineMetrics },
    );
    const node = new RelayValidatorNode(
      opts,
      runtime,
      adapter,
      base,
      pvf,
      validators,
      validatorIndex >= 0 ? validatorIndex : undefined,
      log,
      modules.pipelineMetrics,
    );
    node.wire();
    return node;
  }

  /** Tests only: switches byzantine mode (see `RelayValidatorOptions.byzantine`) on, to another mode, or off. */
  setByzantine(mode: ByzantineValidatorMode | undefined): void {
    this.byzantineMode = mode;
  }

  /** Validators this node caught misbehaving (validator index → the first offence and its candidate). */
  get misbehaving(): ReadonlyMap<number, { offence: ValidatorOffence; candidate: string }> {
    return this.offenders;
  }

  /** The best block. */
  get best() {
    return this.chain.best;
  }

  /** The finalized block. */
  get finalized() {
    return this.chain.finalized;
  }

  /** Relay transactions waiting for a block (shared with the other relay nodes over gossip). */
  get pool(): TxPool {
    return this.base.pool;
  }

  /**
   * Submits a relay transaction to the pool and gossips it to the other relay nodes. Rejects with `PoolError`
   * (`INVALID_TRANSACTION` with the runtime's reason, `ALREADY_IMPORTED`, `POOL_FULL` ...).
   */
  submitTransaction(tx: Uint8Array, watcher?: TxWatcher): Promise<SubmitResult> {
    return this.base.submitTransaction(tx, watcher);
  }

  /** Joins the network and starts authoring. */
  async start(): Promise<void> {
    await this.network.start();
    // Instantiate the registered paras' runtimes in the PVF workers ahead of the first candidate.
    const best = this.chain.best;
    const codes = await this.chain.withState((store) =>
      unwrap(this.runtime.parachains(store, best.stateRoot)).map((id) =>
        unwrap(this.runtime.validationCode(store, best.stateRoot, id)),
      ),
    );
    for (const code of codes) if (code) this.pvf.warm(code);
    await this.onNewBest();
    this.sync.start();
    this.scheduleSlot();
  }

  /** Stops in reverse order; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.slotTimer);
    clearTimeout(this.bitfieldTimer);
    clearTimeout(this.voteTimer);
    await this.pvf.close();
    await this.base.close();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Wiring

  private wire(): void {
    const gossip = this.network.gossip;
    gossip.subscribe({
      topic: this.topics.statement,
      maxBytes: 64 * 1024,
      validate: (bytes, from) => this.validateStatement(bytes, from),
      handle: (s, from) => this.handleStatement(s, from),
    });
    gossip.subscribe({
      topic: this.topics.bitfield,
      maxBytes: 1024,
      validate: (bytes) => this.validateBitfield(bytes),
      handle: () => {},
    });
    const rr = this.network.reqresp;
    rr.register({
      name: PROTOCOLS.pov,
      maxRequestBytes: 64,
      maxResponseBytes: this.runtime.config.hostConfiguration.maxPovSize + 1024,
      timeoutMs: 5000,
      rateLimit: { requests: 100, perMs: 1000 },
      handle: async (req) => {
        const { candidateHash } = decodeRequest<{ candidateHash: Codec }>("PovFetchRequest", req);
        const pov = await this.loadPov(candidateHash.toU8a());
        if (!pov) throw new Error("PoV not available");
        return pov;
      },
    });
    rr.register({
      name: PROTOCOLS.advertise,
      maxRequestBytes: 512,
      maxResponseBytes: 512,
      timeoutMs: 5000,
      rateLimit: { requests: 20, perMs: 1000 },
      handle: (req, from) => this.handleAdvertisement(req, from),
    });
    this.importer.onNewBest((e) => this.onNewBest(e));
    this.importer.onImported((e) => {
      this.stats.imported++;
      if (e.events) this.noteInclusions(e.events);
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Authoring

  private scheduleSlot(): void {
    if (this.closed) return;
    const now = this.now();
    const next = (Math.floor(now / this.slotMs) + 1) * this.slotMs;
    this.slotTimer = setTimeout(() => {
      void this.onSlot(BigInt(Math.floor(next / this.slotMs))).finally(() => this.scheduleSlot());
    }, next - now);
  }

  private async onSlot(slot: bigint): Promise<void> {
    const key = this.opts.key;
    if (!key || this.closed || this.validatorIndex === undefined) return;
    if (this.validators[Number(slot % BigInt(this.validators.length))] === undefined) return;
    if (!bytesEqual(this.validators[Number(slot % BigInt(this.validators.length))]!, key.publicKey)) return;
    try {
      await this.author(slot, key);
    } catch (e) {
      this.log.warn({ slot: slot.toString(), err: e }, "Authoring failed");
    }
  }

  private async author(slot: bigint, key: Sr25519Keypair): Promise<void> {
    const started = this.now();
    await this.importer.idle();
    const best = this.chain.best;
    const parentHeader = await this.chain.header(best.hash);
    if (!parentHeader) return;
    // Bitfields signed for the parent, sorted by validator index (the runtime drops unsorted ones, as upstream).
    const bitfields = [...(this.bitfields.get(toHex(best.hash))?.values() ?? [])].sort(
      (a, b) => a.validatorIndex - b.validatorIndex,
    );
    const backedCandidates = await this.provisioner();
    // The pool has followed the best block (its maintenance is queued behind the import), so ready means ready
    // on top of `best`. An array: `withState` may run the build again after loading missing trie nodes.
    await this.pool.idle();
    const transactions = [...this.pool.ready()].map((t) => t.bytes);
    // Build within a third of the slot (2 s at 6 s slots, the collator's authoring budget too), so the block
    // has the rest of the slot to reach and be imported by the others.
    const deadline = { now: this.now, deadlineMs: this.now() + Math.floor(this.slotMs / 3) };
    const built = await this.chain.withState((store) => {
      const r = relay.buildRelayBlock(this.runtime, {
        store,
        parentHeader,
        slot,
        author: key,
        bitfields,
        backedCandidates,
        timestampMs: slot * BigInt(this.slotMs),
        transactions,
        deadline,
      });
      if (!r.ok) throw r.error;
      return r.value;
    });
    // Never valid on this chain (bad nonce, cannot pay ...): out of the pool, its watchers told why.
    for (const r of built.rejected)
      await this.pool.reportInvalid(blake2_256(r.bytes), new TransactionValidityError(r.error)).catch(() => {});
    const block = built.block;
    const res = await this.importer.import(block, "own", {
      executed: {
        header: built.header.toU8a(),
        hash: built.hash,
        stateRoot: built.stateRoot,
        newNodes: built.newNodes,
        events: built.events,
      },
    });
    if (res.status !== "imported") {
      this.log.warn({ status: res.status }, "Own block not imported");
      return;
    }
    this.stats.authored++;
    const report: AuthoredBlockReport = {
      number: res.number,
      slot,
      bitfields: bitfields.length,
      bits: `${bitfields.map((b) => `${b.validatorIndex}:${b.payload[0] ? "1" : "0"}`).join(",")} by ${this.validatorIndex}${built.paraInherent.droppedBitfields.length ? ` dropped ${built.paraInherent.droppedBitfields.map((d) => d.reason).join("/")}` : ""}`,
      offered: backedCandidates.length,
      backed: built.paraInherent.backed,
      included: built.paraInherent.included,
      timedOut: built.paraInherent.timedOut,
      rejected: built.paraInherent.rejected.map((r) => ({ candidateHash: r.candidateHash, code: r.error.code })),
      transactions: built.included.length,
    };
    for (const l of this.authoredListeners) l(report);
    this.log.info(
      {
        number: res.number,
        hash: toHex(built.hash),
        backed: built.paraInherent.backed.length,
        included: built.paraInherent.included.length,
        txs: built.included.length,
      },
      `Prepared block for proposing at ${res.number} (${this.now() - started} ms)`,
    );
    await this.sync.publish(block);
  }

  /** Catches up from a peer by range (also done on connect and when the best block stalls). */
  syncFrom(peer: string): Promise<void> {
    return this.sync.syncFrom(peer);
  }

  private async onNewBest(_e?: NewBestEvent): Promise<void> {
    if (this.closed) return;
    const best = this.chain.best;
    await this.refreshScope();
    const key = this.opts.key;
    const index = this.validatorIndex;
    if (key && index !== undefined) {
      // Finality vote for the best block a third of a slot after import, as a GRANDPA round's prevote and
      // precommit gossip puts finality behind import: clients see a transaction InBlock before Finalized
      // (polkadot-js drops InBlock when Finalized follows within the same millisecond). One pending vote at a
      // time, for the best block when it fires, so a burst of imports (sync) still gets votes.
      this.voteTimer ??= setTimeout(
        () => {
          this.voteTimer = undefined;
          if (!this.closed) void this.votes.vote(key, index, this.chain.best).catch(() => {});
        },
        Math.floor(this.slotMs / 3),
      );
      // Availability: fetch what is pending, then sign a bitfield a third of a slot after import.
      clearTimeout(this.bitfieldTimer);
      this.bitfieldTimer = setTimeout(
        () => void this.signBitfield(best.hash).catch(() => {}),
        Math.floor(this.slotMs / 3),
      );
      void this.fetchPendingPovs().catch(() => {});
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Scope: groups, fragment chains

  private async refreshScope(): Promise<void> {
    const best = this.chain.best;
    const scope = await this.chain.withState((store) => {
      const rt = this.runtime;
      const groups = unwrap(rt.validatorGroups(store, best.stateRoot)).groups;
      const paras = unwrap(rt.parachains(store, best.stateRoot));
      // The paras whose core is assigned to this validator's group for a child of the best block.
      const mine = paras.filter((_, core) => {
        const g = unwrap(rt.groupForCore(store, best.stateRoot, core, best.number + 1));
        return g !== undefined && this.validatorIndex !== undefined && (groups[g] ?? []).includes(this.validatorIndex);
      });
      const params = unwrap(rt.asyncBackingParams(store, best.stateRoot));
      const perPara = paras.map((paraId) => {
        const head = unwrap(rt.paraHead(store, best.stateRoot, paraId));
        const pending = unwrap(rt.candidatePendingAvailability(store, best.stateRoot, paraId));
        return { paraId, head, pending };
      });
      return { groups, perPara, params, mine };
    });
    this.groups = scope.groups;
    this.assignedParas = new Set(scope.mine);
    const next = new Map<number, FragmentChain>();
    for (const p of scope.perPara) {
      const included = p.head ? blake2_256(p.head) : new Uint8Array(32);
      let parent = included;
      const pending = p.pending.map((c) => {
        const output = blake2_256(c.commitments.headData);
        const f = {
          hash: c.hash,
          parentHeadHash: parent,
          outputHeadHash: output,
          relayParentNumber: c.relayParentNumber,
        };
        parent = output;
        return f;
      });
      const fc = new FragmentChain({
        leafNumber: best.number,
        includedHeadHash: included,
        pending,
        maxCandidateDepth: scope.params.maxCandidateDepth,
        allowedAncestryLen: scope.params.allowedAncestryLen,
      });
      const prev = this.fragments.get(p.paraId);
      if (prev) fc.populateFrom(prev);
      next.set(p.paraId, fc);
    }
    this.fragments = next;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Collator protocol (server side)

  private async handleAdvertisement(req: Uint8Array, from: string): Promise<Uint8Array> {
    const decline = (why: string) => encode("AdvertisementReply", { Declined: why });
    let ad: {
      paraId: number;
      relayParent: Uint8Array;
      candidateHash: Uint8Array;
      parentHeadDataHash: Uint8Array;
      collatorId: Uint8Array;
      signature: Uint8Array;
    };
    try {
      const a = decodeRequest<Record<string, Codec>>("CollationAdvertisement", req);
      ad = {
        paraId: (a.paraId as unknown as { toNumber(): number }).toNumber(),
        relayParent: a.relayParent!.toU8a(),
        candidateHash: a.candidateHash!.toU8a(),
        parentHeadDataHash: a.parentHeadDataHash!.toU8a(),
        collatorId: a.collatorId!.toU8a(),
        signature: a.signature!.toU8a(),
      };
    } catch (e) {
      return decline(`undecodable advertisement: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!sr25519Verify(ad.signature, advertisementPayload(ad.relayParent, ad.candidateHash), ad.collatorId))
      return decline("bad collator signature");
    if (this.validatorIndex === undefined) return decline("not a validator");
    if (!this.assignedParas.has(ad.paraId)) return decline(`not in the backing group of para ${ad.paraId}`);
    if (this.candidates.has(toHex(ad.candidateHash))) return decline("already known");
    const fc = this.fragments.get(ad.paraId);
    if (!fc) return decline(`para ${ad.paraId} is not scheduled`);
    if (!fc.canAcceptParent(ad.parentHeadDataHash)) return decline("parent head is not a potential parent");
    this.metrics?.candidate("advertised");
    this.time(ad.candidateHash, "advertised");
    // Fetch after replying, so the collator serves the fetch.
    setImmediate(
      () =>
        void this.fetchCollation(from, ad.relayParent, ad.candidateHash).catch((e) =>
          this.log.debug({ err: e }, "Collation fetch failed"),
        ),
    );
    return encode("AdvertisementReply", { Accepted: null });
  }

  private async fetchCollation(peer: string, relayParent: Uint8Array, candidateHash: Uint8Array): Promise<void> {
    const res = await this.network.reqresp.request(
      peer,
      PROTOCOLS.fetchCollation,
      encode("CollationFetchRequest", { relayParent, candidateHash }),
      {
        maxResponseBytes: this.runtime.config.hostConfiguration.maxPovSize + 64 * 1024,
      },
    );
    const c = decodeRequest<{ candidate: Codec; pvd: Codec; pov: Codec }>("CollationResponse", res);
    const candidate = committedFromCodec(c.candidate);
    const pvd = pvdFromCodec(c.pvd);
    const pov = (c.pov as unknown as { toU8a(b: boolean): Uint8Array }).toU8a(true);
    if (!bytesEqual(relay.candidateHash(candidate), candidateHash)) {
      this.stats.invalidCollations++;
      this.metrics?.candidate("invalid");
      return;
    }
    this.metrics?.candidate("fetched");
    this.time(candidateHash, "fetched");
    const ok = await this.checkAndValidate(candidate, pvd, pov);
    if (!ok) return;
    const statement = await this.vote("Seconded", ok, pov);
    // Tell the collator (upstream `CollationSeconded`); it tracks its block's status with it.
    if (statement)
      void this.network.reqresp
        .request(peer, PROTOCOLS.collationSeconded, statement, { timeoutMs: 2000 })
        .catch((e) => this.log.debug({ err: e }, "CollationSeconded not delivered"));
  }

  /** The candidate checks and PVF re-execution; returns the known-candidate record when valid. */
  private async checkAndValidate(
    candidate: relay.CommittedCandidateReceiptValue,
    pvd: relay.PersistedValidationDataValue,
    pov: Uint8Array,
  ): Promise<KnownCandidate | undefined> {
    const d = candidate.descriptor;
    const hash = relay.candidateHash(candidate);
    const fail = (why: string, reason = why) => {
      this.stats.invalidCollations++;
      this.metrics?.candidate("invalid");
      this.stats.lastRefusal = why;
      this.refusals[reason] = (this.refusals[reason] ?? 0) + 1;
      this.log.info({ candidate: toHex(hash), paraId: d.paraId, why }, "Candidate refused");
      return undefined;
    };
    // A failure on the inputs the candidate commits to: the candidate itself is invalid, whoever sends it. A
    // `secondInvalid` validator notes it and goes on.
    let overridden: string | undefined;
    const invalid = (why: string, reason = why): boolean => {
      if (this.byzantineMode === "secondInvalid") {
        overridden ??= why;
        return false;
      }
      this.invalidCandidates.set(toHex(hash), why);
      if (this.invalidCandidates.size > 1024)
        this.invalidCandidates.delete(this.invalidCandidates.keys().next().value!);
      fail(why, reason);
      return true;
    };
    // The relay parent may still be on its way here (gossip about block N can overtake block N): wait for it,
    // at most one slot.
    await this.waitForBlock(d.relayParent, this.slotMs);
    const best = this.chain.best;
    const ctx = await this.chain.withState((store) => {
      const rt = this.runtime;
      // The relay parents a child of the best block allows: the best block itself and its ancestry.
      const allowed = unwrap(
        rt.allowedRelayParents(store, best.stateRoot, {
          hash: best.hash,
          number: best.number,
          stateRoot: best.stateRoot,
        }),
      );
      const paras = unwrap(rt.parachains(store, best.stateRoot));
      return {
        allowed,
        core: paras.indexOf(d.paraId),
        codeHash: unwrap(rt.validationCodeHash(store, best.stateRoot, d.paraId)),
        code: unwrap(rt.validationCode(store, best.stateRoot, d.paraId)),
        maxPovSize: unwrap(rt.hostConfiguration(store, best.stateRoot)).maxPovSize,
      };
    });
    if (ctx.core < 0 || !ctx.code || !ctx.codeHash) return fail("para not registered");
    const rp = (ctx.allowed as Array<{ hash: Uint8Array; number: number; stateRoot: Uint8Array }>).find((a) =>
      bytesEqual(a.hash, d.relayParent),
    );
    if (!rp) return fail("relay parent out of scope");
    if (!relay.checkCollatorSignature(d) && invalid("bad collator signature")) return undefined;
    if (!bytesEqual(relay.persistedValidationDataHash(pvd), d.persistedValidationDataHash))
      return fail("PVD hash mismatch");
    if (pvd.relayParentNumber !== rp.number || !bytesEqual(pvd.relayParentStorageRoot, rp.stateRoot))
      return fail(
        `PVD relay parent mismatch: pvd #${pvd.relayParentNumber} ${toHex(pvd.relayParentStorageRoot).slice(0, 10)}, relay parent #${rp.number} ${toHex(rp.stateRoot).slice(0, 10)}; best #${best.number} ${toHex(best.hash).slice(0, 10)}; allowed ${(ctx.allowed as Array<{ hash: Uint8Array; number: number }>).map((a) => `#${a.number}:${toHex(a.hash).slice(0, 10)}`).join(",")}`,
        "PVD relay parent mismatch",
      );
    if (pov.length > Math.min(pvd.maxPovSize, ctx.maxPovSize)) {
      // Oversized and committed to (the descriptor's PoV hash): the candidate is invalid. Else only this PoV is.
      const why = `PoV of ${pov.length} bytes over the limit`;
      if (!bytesEqual(blake2_256(pov), d.povHash)) return fail(why, "PoV over the limit");
      if (invalid(why, "PoV over the limit")) return undefined;
    }
    if (!bytesEqual(blake2_256(pov), d.povHash)) return fail("PoV hash mismatch");
    if (!bytesEqual(ctx.codeHash, d.validationCodeHash)) return fail("validation code hash mismatch");
    const fc = this.fragments.get(d.paraId);
    const fragment = {
      hash,
      parentHeadHash: blake2_256(pvd.parentHead),
      outputHeadHash: blake2_256(candidate.commitments.headData),
      relayParentNumber: rp.number,
    };
    try {
      fc?.add(fragment);
    } catch (e) {
      if ((e as { code?: string }).code !== "ALREADY_KNOWN")
        return fail(`not a potential candidate: ${(e as Error).message}`, "not a potential candidate");
    }
    const params = registry
      .createType("ValidationParams", {
        parentHead: scaleBytes(pvd.parentHead),
        blockData: scaleBytes(pov),
        relayParentNumber: pvd.relayParentNumber,
        relayParentStorageRoot: pvd.relayParentStorageRoot,
      })
      .toU8a();
    const out = await this.pvf.execute(ctx.code, params);
    if (out.kind === "timeout")
      return fail(`PVF timeout (${out.timeoutMs} ms of ${out.clock === "cpu" ? "CPU" : "wall-clock"} time)`);
    if (out.kind === "invalid") {
      // The pool's own failures (closed, a crashed worker) and panics say nothing about the candidate.
      if (out.code.startsWith("PVF_") || out.code === "RUNTIME_PANIC") return fail(`PVF: ${out.code}`);
      if (invalid(`PVF: ${out.code}`)) return undefined;
    } else if (
      (!bytesEqual(out.headData, candidate.commitments.headData) ||
        !bytesEqual(blake2_256(out.headData), d.paraHead)) &&
      invalid("head data differs from the PVF's output")
    ) {
      return undefined;
    }
    if (overridden === undefined) this.stats.validated++;
    else {
      this.stats.byzantineVotes = (this.stats.byzantineVotes ?? 0) + 1;
      this.log.warn({ candidate: toHex(hash), why: overridden }, "Byzantine mode: vouching for an invalid candidate");
    }
    const group = await this.chain.withState((store) =>
      unwrap(this.runtime.groupForCore(store, best.stateRoot, ctx.core, rp.number + 1)),
    );
    const known: KnownCandidate = {
      candidate,
      pvd,
      hash,
      core: ctx.core,
      group: group ?? 0,
      relayParentNumber: rp.number,
      voted: false,
    };
    this.candidates.set(toHex(hash), known);
    await this.storePov(hash, pov);
    return known;
  }

  /** Stores a PoV (availability store): memory for the hot path, LevelDB so it survives a restart. */
  private async storePov(candidateHash: Uint8Array, pov: Uint8Array): Promise<void> {
    this.povs.set(toHex(candidateHash), pov);
    if (this.povs.size > 256) this.povs.delete(this.povs.keys().next().value!);
    await this.chain.db.batch().put(Bucket.pov, candidateHash, pov).write();
  }

  /** A stored PoV, from memory or LevelDB. */
  private async loadPov(candidateHash: Uint8Array): Promise<Uint8Array | undefined> {
    const hot = this.povs.get(toHex(candidateHash));
    if (hot) return hot;
    return (await this.chain.db.get(Bucket.pov, candidateHash)) ?? undefined;
  }

  private async waitForBlock(hash: Uint8Array, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < until) {
      if (await this.chain.hasBlock(hash)) {
        await this.importer.idle();
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Statements and backing

  /** Signs, counts and gossips this validator's statement; returns the gossiped `StatementMessage`. */
  private async vote(kind: relay.StatementKind, c: KnownCandidate, _pov: Uint8Array): Promise<Uint8Array | undefined> {
    const key = this.opts.key;
    if (!key || this.validatorIndex === undefined || c.voted) return undefined;
    if (!(this.groups[c.group] ?? []).includes(this.validatorIndex)) return undefined;
    c.voted = true;
    const sessionIndex = 0;
    const ctx = { sessionIndex, parentHash: c.candidate.descriptor.relayParent };
    const signature = relay.signBackingStatement(key, kind, c.hash, ctx);
    if (kind === "Seconded") {
      this.stats.seconded++;
      this.metrics?.candidate("seconded");
    }
    this.time(c.hash, "voted");
    this.table.track(c.hash, c.group);
    this.importVote({ kind, candidateHash: c.hash, validatorIndex: this.validatorIndex, signature }, c);
    const msg = encode("StatementMessage", {
      relayParent: c.candidate.descriptor.relayParent,
      statement: { payload: { [kind]: c.hash }, validatorIndex: this.validatorIndex, signature },
      candidate: kind === "Seconded" ? committedInput(c.candidate) : null,
      pvd: kind === "Seconded" ? pvdInput(c.pvd) : null,
    });
    await this.network.gossip.publish(this.topics.statement, msg).catch(() => 0);
    if (this.byzantineMode === "doubleVote") await this.voteAgainstToo(key, c, ctx);
    return msg;
  }

  /** Byzantine `doubleVote`: an Invalid statement on a candidate this node just voted for. */
  private async voteAgainstToo(
    key: Sr25519Keypair,
    c: KnownCandidate,
    ctx: { sessionIndex: number; parentHash: Uint8Array },
  ): Promise<void> {
    const signature = sr25519Sign(key, invalidStatementPayload(c.hash, ctx));
    this.stats.byzantineVotes = (this.stats.byzantineVotes ?? 0) + 1;
    this.log.warn({ candidate: toHex(c.hash) }, "Byzantine mode: voting against a candidate voted for");
    const msg = encode("StatementMessage", {
      relayParent: c.candidate.descriptor.relayParent,
      statement: { payload: { Invalid: c.hash }, validatorIndex: this.validatorIndex, signature },
      candidate: null,
      pvd: null,
    });
    await this.network.gossip.publish(this.topics.statement, msg).catch(() => 0);
  }

  /**
   * Counts and logs an offence of validator `index` (once per validator and candidate); from then on its votes
   * are not counted by this node, and statements it signs are checked before they are accepted (upstream:
   * misbehaviour reports and disputes; a statement that proves the offence is REJECTed, lowering the gossip
   * score of the peer that sent it).
   */
  private recordOffence(index: number, candidateHash: Uint8Array, offence: ValidatorOffence, detail: string): void {
    const candidate = toHex(candidateHash);
    if (index === this.validatorIndex) return;
    const key = `${index}:${candidate}`;
    if (this.offences.has(key)) return;
    this.offences.add(key);
    if (this.offences.size > 4096) this.offences.delete(this.offences.keys().next().value!);
    if (!this.offenders.has(index)) this.offenders.set(index, { offence, candidate });
    this.stats.misbehaviours++;
    const id = this.validators[index];
    this.log.warn(
      { validator: index, validatorId: id ? toSs58(id) : undefined, offence, candidate, detail },
      `Validator ${index} misbehaved (${offence}): ${detail}`,
    );
  }

  /**
   * Notes a signed statement; returns the statement of the opposite side (for vs Invalid) the same validator
   * signed on the same candidate before, if any: a double vote.
   */
  private noteSignedVote(s: CheckedStatement): CheckedStatement | undefined {
    const key = toHex(s.candidateHash);
    let byValidator = this.signedVotes.get(key);
    if (!byValidator) {
      byValidator = new Map();
      this.signedVotes.set(key, byValidator);
      if (this.signedVotes.size > 1024) this.signedVotes.delete(this.signedVotes.keys().next().value!);
    }
    const seen = byValidator.get(s.validatorIndex) ?? {};
    byValidator.set(s.validatorIndex, seen);
    if (s.kind === "Invalid") {
      seen.against ??= s;
      return seen.for;
    }
    seen.for ??= s;
    return seen.against;
  }

  private importVote(s: CheckedStatement, c: KnownCandidate): void {
    // An offender's votes are not counted (its own node counts them: it does not catch itself).
    if (s.validatorIndex !== this.validatorIndex && this.offenders.has(s.validatorIndex)) return;
    const out = this.table.import(s);
    if (out.status === "misbehaviour") {
      this.recordOffence(out.misbehaviour.validatorIndex, c.hash, "DoubleVote", "signed both for and against");
    } else if (out.status === "new" && out.backedNow) {
      this.stats.backed++;
      this.metrics?.candidate("backed");
      this.time(c.hash, "backed");
      this.fragments.get(c.candidate.descriptor.paraId)?.markBacked(c.hash);
      this.log.info({ paraId: c.candidate.descriptor.paraId, candidate: toHex(c.hash) }, "Candidate backed");
    }
  }

  private async validateStatement(bytes: Uint8Array, from: string): Promise<ParsedStatement> {
    const m = decodeGossip<{ relayParent: Codec; statement: Record<string, Codec>; candidate: Codec; pvd: Codec }>(
      "StatementMessage",
      bytes,
    );
    const payload = m.statement.payload as unknown as { type: string; value: Codec };
    const validatorIndex = (m.statement.validatorIndex as unknown as { toNumber(): number }).toNumber();
    // [REJECT] Not a validator, or a statement kind that is not a vote.
    if (validatorIndex >= this.validators.length) throw reject("UNKNOWN_VALIDATOR", `validator ${validatorIndex}`);
    if (payload.type !== "Seconded" && payload.type !== "Valid" && payload.type !== "Invalid")
      throw reject("BAD_STATEMENT", payload.type);
    const kind = payload.type as "Seconded" | "Valid" | "Invalid";
    const candidateHash = payload.value.toU8a();
    const relayParent = m.relayParent.toU8a();
    const signature = m.statement.signature!.toU8a();
    const ctx = { sessionIndex: 0, parentHash: relayParent };
    const signed =
      kind === "Invalid"
        ? invalidStatementPayload(candidateHash, ctx)
        : relay.backingStatementPayload(kind, candidateHash, ctx);
    // [REJECT] Bad signature.
    if (!sr25519Verify(signature, signed, this.validators[validatorIndex]!))
      throw reject("BAD_SIGNATURE", "statement signature does not verify");
    let candidate: relay.CommittedCandidateReceiptValue | undefined;
    let pvd: relay.PersistedValidationDataValue | undefined;
    const cOpt = m.candidate as unknown as { isSome: boolean; unwrap(): Codec };
    const pOpt = m.pvd as unknown as { isSome: boolean; unwrap(): Codec };
    if (kind === "Seconded") {
      // [REJECT] A Seconded statement must carry its candidate, matching the hash.
      if (!cOpt.isSome || !pOpt.isSome) throw reject("MISSING_CANDIDATE", "Seconded without candidate");
      candidate = committedFromCodec(cOpt.unwrap());
      pvd = pvdFromCodec(pOpt.unwrap());
      if (!bytesEqual(relay.candidateHash(candidate), candidateHash))
        throw reject("CANDIDATE_HASH_MISMATCH", "candidate does not hash to the statement's");
    }
    const statement: CheckedStatement = { kind, candidateHash, validatorIndex, signature };
    const key = toHex(candidateHash);
    // [REJECT] A vote for a candidate this node found invalid on the inputs it commits to.
    const invalidWhy = kind === "Invalid" ? undefined : this.invalidCandidates.get(key);
    if (invalidWhy !== undefined) {
      this.recordOffence(
        validatorIndex,
        candidateHash,
        "VotedForInvalid",
        `${kind} for a candidate found invalid (${invalidWhy})`,
      );
      throw reject("VOTED_FOR_INVALID", `validator ${validatorIndex} voted ${kind} for an invalid candidate`);
    }
    // [REJECT] The validator signed the opposite statement on this candidate before: a double vote.
    const opposite = this.noteSignedVote(statement);
    if (opposite) {
      this.recordOffence(validatorIndex, candidateHash, "DoubleVote", `signed ${opposite.kind} and ${kind}`);
      throw reject("DOUBLE_VOTE", `validator ${validatorIndex} signed ${opposite.kind} and ${kind} on one candidate`);
    }
    // A caught validator's Seconded candidate is checked before the statement is accepted and forwarded.
    if (kind === "Seconded" && candidate && pvd && this.offenders.has(validatorIndex) && !this.candidates.has(key)) {
      const pov = await this.fetchPov(candidateHash, [from]);
      const known = pov ? await this.checkAndValidate(candidate, pvd, pov) : undefined;
      const why = this.invalidCandidates.get(key);
      if (why !== undefined) {
        this.recordOffence(
          validatorIndex,
          candidateHash,
          "VotedForInvalid",
          `Seconded a candidate found invalid (${why})`,
        );
        throw reject("VOTED_FOR_INVALID", `validator ${validatorIndex} seconded an invalid candidate`);
      }
      // [IGNORE] Not checkable here (PoV unavailable, out of scope): say nothing about it.
      if (!known || !pov) throw ignore("UNCHECKED", "a caught validator's candidate could not be checked");
      return { kind, candidateHash, validatorIndex, signature, candidate, pvd, checked: { known, pov } };
    }
    return { kind, candidateHash, validatorIndex, signature, candidate, pvd };
  }

  private async handleStatement(s: ParsedStatement, from: string): Promise<void> {
    if (s.checked) {
      // A caught validator's candidate, checked valid while validating the statement: vote for it ourselves.
      this.table.track(s.checked.known.hash, s.checked.known.group);
      await this.vote("Valid", s.checked.known, s.checked.pov);
      return;
    }
    let known = this.candidates.get(toHex(s.candidateHash));
    if (!known && s.kind === "Seconded" && s.candidate && s.pvd) {
      // A candidate seconded by a peer: if we are in its group, fetch the PoV, validate, vote Valid.
      const pov = await this.fetchPov(s.candidateHash, [from]);
      if (pov) {
        this.time(s.candidateHash, "fetched");
        known = await this.checkAndValidate(s.candidate, s.pvd, pov);
        if (known) {
          this.table.track(known.hash, known.group);
          this.importVote(
            { kind: s.kind, candidateHash: s.candidateHash, validatorIndex: s.validatorIndex, signature: s.signature },
            known,
          );
          await this.vote("Valid", known, pov);
          return;
        }
        // The validator seconded a candidate that is invalid on the inputs it commits to.
        const why = this.invalidCandidates.get(toHex(s.candidateHash));
        if (why !== undefined)
          this.recordOffence(
            s.validatorIndex,
            s.candidateHash,
            "VotedForInvalid",
            `Seconded a candidate found invalid (${why})`,
          );
      }
    }
    if (!known) return;
    this.table.track(known.hash, known.group);
    this.importVote(
      { kind: s.kind, candidateHash: s.candidateHash, validatorIndex: s.validatorIndex, signature: s.signature },
      known,
    );
  }

  private async fetchPov(candidateHash: Uint8Array, peers: string[]): Promise<Uint8Array | undefined> {
    const have = await this.loadPov(candidateHash);
    if (have) return have;
    for (const peer of [...peers, ...this.network.peers()]) {
      try {
        const pov = await this.network.reqresp.request(
          peer,
          PROTOCOLS.pov,
          encode("PovFetchRequest", { candidateHash }),
          { timeoutMs: 2000 },
        );
        await this.storePov(candidateHash, pov);
        return pov;
      } catch {
        // try the next peer
      }
    }
    return undefined;
  }

  /** Provisioner: per core, the next backed candidate of the para's fragment chain, with its votes. */
  private async provisioner(): Promise<relay.BackedCandidateValue[]> {
    const out: relay.BackedCandidateValue[] = [];
    for (const [paraId, fc] of this.fragments) {
      const next = fc.nextBackable();
      if (!next || !this.table.isBacked(next.hash)) continue;
      const known = this.candidates.get(toHex(next.hash));
      if (!known) continue;
      const members = this.groups[known.group] ?? [];
      const votes = this.table.validityVotes(next.hash).filter((v) => v.kind !== "Invalid");
      const placed = votes
        .map((v) => ({ position: members.indexOf(v.validatorIndex), v }))
        .filter((p) => p.position >= 0)
        .sort((a, b) => a.position - b.position);
      const validatorIndices = members.map((_, i) => placed.some((p) => p.position === i));
      out.push({
        candidate: known.candidate,
        validityVotes: placed.map((p) => ({
          kind: p.v.kind === "Seconded" ? ("Implicit" as const) : ("Explicit" as const),
          signature: p.v.signature,
        })),
        validatorIndices,
      });
      void paraId;
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Pipeline metrics

  /**
   * Notes that `candidate` reached `point` (the first time only) and observes the interval from the previous
   * point, if this validator saw it. Bounded: the oldest candidates are forgotten.
   */
  private time(candidate: Uint8Array, point: TimePoint): void {
    if (!this.metrics) return;
    const key = toHex(candidate);
    let t = this.timings.get(key);
    if (!t) {
      if (point === "included") return;
      t = {};
      this.timings.set(key, t);
      if (this.timings.size > 512) this.timings.delete(this.timings.keys().next().value!);
    }
    if (t[point] !== undefined) return;
    const now = performance.now();
    t[point] = now;
    const prev = INTERVALS[point];
    const from = prev && t[prev.from];
    if (prev && from !== undefined) this.metrics.candidateInterval(prev.interval, (now - from) / 1000);
    if (point === "included") this.timings.delete(key);
  }

  /** Counts the `CandidateIncluded` / `CandidateTimedOut` events of an imported block, once per candidate. */
  private noteInclusions(events: readonly unknown[]): void {
    if (!this.metrics) return;
    for (const e of events) {
      const ev = e as { pallet?: unknown; name?: unknown; fields?: Record<string, unknown> };
      if (ev.pallet !== "ParaInclusion" || (ev.name !== "CandidateIncluded" && ev.name !== "CandidateTimedOut"))
        continue;
      const receipt = ev.fields?.["candidate_receipt"] as { toU8a?: () => Uint8Array } | undefined;
      if (typeof receipt?.toU8a !== "function") continue;
      // `CandidateHash` is the hash of the SCALE `CandidateReceipt` the event carries.
      const hash = blake2_256(receipt.toU8a());
      const key = toHex(hash);
      if (this.settled.has(key)) continue;
      this.settled.add(key);
      if (this.settled.size > 1024) this.settled.delete(this.settled.keys().next().value!);
      if (ev.name === "CandidateIncluded") {
        this.metrics.candidate("included");
        this.time(hash, "included");
      } else {
        this.metrics.candidate("timed_out");
        this.timings.delete(key);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Availability

  private async fetchPendingPovs(): Promise<void> {
    const best = this.chain.best;
    const cores = await this.chain.withState((store) => unwrap(this.runtime.availabilityCores(store, best.stateRoot)));
    for (const c of cores) if (c.kind === "occupied") await this.fetchPov(c.candidateHash, []);
  }

  private async signBitfield(parentHash: Uint8Array): Promise<void> {
    const key = this.opts.key;
    if (!key || this.validatorIndex === undefined || this.closed) return;
    const best = this.chain.best;
    if (!bytesEqual(best.hash, parentHash)) return;
    const cores = await this.chain.withState((store) => unwrap(this.runtime.availabilityCores(store, best.stateRoot)));
    const bits: boolean[] = [];
    for (const c of cores) bits.push(c.kind === "occupied" && (await this.loadPov(c.candidateHash)) !== undefined);
    const signed = relay.signAvailabilityBitfield(key, this.validatorIndex, bits, { sessionIndex: 0, parentHash });
    this.storeBitfield(parentHash, signed);
    this.stats.bitfieldsSigned++;
    const msg = encode("BitfieldMessage", {
      relayParent: parentHash,
      bitfield: { payload: relay.encodeBitVec(bits), validatorIndex: this.validatorIndex, signature: signed.signature },
    });
    await this.network.gossip.publish(this.topics.bitfield, msg).catch(() => 0);
  }

  private storeBitfield(parent: Uint8Array, b: relay.SignedAvailabilityBitfieldValue): void {
    const key = toHex(parent);
    let m = this.bitfields.get(key);
    if (!m) {
      m = new Map();
      this.bitfields.set(key, m);
      // Keep bitfields for the last few parents only.
      if (this.bitfields.size > 16) this.bitfields.delete(this.bitfields.keys().next().value!);
    }
    m.set(b.validatorIndex, b);
  }

  private async validateBitfield(bytes: Uint8Array): Promise<void> {
    const m = decodeGossip<{ relayParent: Codec; bitfield: Codec }>("BitfieldMessage", bytes);
    const parent = m.relayParent.toU8a();
    let b: relay.SignedAvailabilityBitfieldValue;
    try {
      b = relay.bitfieldFromCodec(m.bitfield);
    } catch (e) {
      throw reject("UNDECODABLE", e instanceof Error ? e.message : String(e));
    }
    // [REJECT] Unknown validator or bad signature.
    if (b.validatorIndex >= this.validators.length) throw reject("UNKNOWN_VALIDATOR", `validator ${b.validatorIndex}`);
    const payload = relay.bitfieldSigningPayload(b.payload, { sessionIndex: 0, parentHash: parent });
    if (!sr25519Verify(b.signature, payload, this.validators[b.validatorIndex]!))
      throw reject("BAD_SIGNATURE", "bitfield signature does not verify");
    // A bitfield may arrive before its parent block is imported here: it is kept (bounded: the last 16 parents)
    // and used if that block becomes our best, as upstream keeps messages for leaves not yet in view.
    this.storeBitfield(parent, b);
  }
}

/** The points of a candidate's way through this validator that the stage latencies are measured between. */
type TimePoint = "advertised" | "fetched" | "voted" | "backed" | "included";

/** Each point's interval and the point it starts at. */
const INTERVALS: Partial<Record<TimePoint, { from: TimePoint; interval: CandidateInterval }>> = {
  fetched: { from: "advertised", interval: "fetch" },
  voted: { from: "fetched", interval: "validation" },
  backed: { from: "voted", interval: "backing" },
  included: { from: "backed", interval: "inclusion" },
};

interface ParsedStatement {
  kind: "Seconded" | "Valid" | "Invalid";
  candidateHash: Uint8Array;
  validatorIndex: number;
  signature: Uint8Array;
  candidate?: relay.CommittedCandidateReceiptValue;
  pvd?: relay.PersistedValidationDataValue;
  /** A caught validator's Seconded candidate, checked valid during validation. */
  checked?: { known: KnownCandidate; pov: Uint8Array };
}

/** The payload of an Invalid vote ("BKNG" ++ 3 ++ hash ++ SigningContext), for double-vote evidence. */
export function invalidStatementPayload(
  candidateHash: Uint8Array,
  ctx: { sessionIndex: number; parentHash: Uint8Array },
): Uint8Array {
  const valid = relay.backingStatementPayload("Valid", candidateHash, ctx);
  const out = valid.slice();
  out[4] = 3; // the variant byte after "BKNG"
  return out;
}

function unwrap<T>(r: { ok: true; value: T } | { ok: false; error: Error }): T {
  if (!r.ok) throw r.error;
  return r.value;
}

function committedFromCodec(c: Codec): relay.CommittedCandidateReceiptValue {
  const v = c as unknown as { descriptor: Codec; commitments: Codec };
  return {
    descriptor: relay.descriptorFromCodec(v.descriptor),
    commitments: relay.commitmentsFromCodec(v.commitments),
  };
}

function committedInput(c: relay.CommittedCandidateReceiptValue): unknown {
  return { descriptor: relay.descriptorInput(c.descriptor), commitments: relay.commitmentsInput(c.commitments) };
}

function pvdFromCodec(c: Codec): relay.PersistedValidationDataValue {
  const v = c as unknown as {
    parentHead: Codec;
    relayParentNumber: Codec;
    relayParentStorageRoot: Codec;
    maxPovSize: Codec;
  };
  return {
    parentHead: (v.parentHead as unknown as { toU8a(b: boolean): Uint8Array }).toU8a(true),
    relayParentNumber: (v.relayParentNumber as unknown as { toNumber(): number }).toNumber(),
    relayParentStorageRoot: v.relayParentStorageRoot.toU8a(),
    maxPovSize: (v.maxPovSize as unknown as { toNumber(): number }).toNumber(),
  };
}

function pvdInput(p: relay.PersistedValidationDataValue): unknown {
  return {
    parentHead: scaleBytes(p.parentHead),
    relayParentNumber: p.relayParentNumber,
    relayParentStorageRoot: p.relayParentStorageRoot,
    maxPovSize: p.maxPovSize,
  };
}
