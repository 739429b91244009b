import { join } from "node:path";
import {
  createNetwork,
  loadOrCreateNodeKey,
  type Network,
  type NetworkFaults,
  type NodeKey,
  topicName,
} from "@parapipe/network";
import { sr25519Verify } from "@parapipe/primitives";
import { ChainDb } from "./chain/chainDb.js";
import { BlockImporter } from "./chain/importer.js";
import { FinalityTracker } from "./finality/finalityTracker.js";
import { FinalityVoteGossip, finalityVotePayload } from "./finality/voteGossip.js";
import type { ChainRuntime, Logger } from "./interface.js";
import type { NodeMetricsSet } from "./metrics.js";
import { RELAY_PROTOCOLS, RELAY_TOPICS } from "./protocols.js";
import { BlockSync } from "./sync/blockSync.js";
import { TransactionGossip } from "./txPool/txGossip.js";
import { type SubmitResult, TxPool, type TxPoolOptions, type TxWatcher } from "./txPool/txPool.js";
import { silentLogger } from "./util.js";

/** Options of `RelayChainNode.open`. */
export interface RelayChainNodeOptions {
  /** The database lives in `<basePath>/db`, the node key in `<basePath>/network/secret_ed25519`. */
  basePath: string;
  /** The chain spec id (a database of another chain is refused). */
  chainId: string;
  genesis: { header: Uint8Array; hash: Uint8Array; storageEntries: [Uint8Array, Uint8Array][] };
  /** The relay runtime behind the node's interface. */
  runtime: ChainRuntime;
  /** The finality voters' (validators') sr25519 keys, by validator index. */
  voters: Uint8Array[];
  /** The relay slot in ms (stall sync). */
  slotMs: number;
  listen: string[];
  bootnodes?: string[];
  /** The libp2p identity (else the one in the base path, created on first start). */
  nodeKey?: NodeKey;
  /** Bounds of the relay transaction pool. */
  txPool?: TxPoolOptions;
}

/**
 * What every relay-chain node is, the validator and the collator's embedded relay node alike: the chain
 * database, block import, GRANDPA-lite finality from the validators' signed votes, and a libp2p host with the
 * relay block topic (`BlockSync`: import during validation, sync by range), the finality topic
 * (`FinalityVoteGossip`) and the transaction topic (`TransactionGossip`: a relay transaction submitted to any
 * relay node reaches every pool, so whichever validator authors next includes it). The runtime is injected. A
 * validator adds authoring, votes and backing on top.
 */
export class RelayChainNode {
  readonly sync: BlockSync;
  readonly votes: FinalityVoteGossip;
  /** Relay transactions over gossip (submitted here or received). */
  readonly txGossip: TransactionGossip;
  private closed = false;

  private constructor(
    readonly chain: ChainDb,
    readonly importer: BlockImporter,
    readonly finality: FinalityTracker,
    /** Relay transactions, validated at the best block, following import and finality. */
    readonly pool: TxPool,
    readonly network: Network,
    readonly genesisHash: Uint8Array,
    slotMs: number,
    runtime: ChainRuntime,
    voters: Uint8Array[],
    log: Logger,
  ) {
    this.sync = new BlockSync(
      { topic: topicName(genesisHash, "relay", RELAY_TOPICS.block), protocol: RELAY_PROTOCOLS.blocks, slotMs },
      { chain, importer, network, runtime, logger: log },
    );
    this.votes = new FinalityVoteGossip(
      { topic: topicName(genesisHash, "relay", RELAY_TOPICS.finality), genesisHash, voters },
      { network, finality, logger: log },
    );
    this.txGossip = new TransactionGossip(
      { topic: topicName(genesisHash, "relay", RELAY_TOPICS.tx) },
      { network, pool, logger: log },
    );
    this.sync.wire();
    this.votes.wire();
    this.txGossip.wire();
  }

  /**
   * Opens the database and the network (not yet started). `modules.metrics` goes to the importer (chain), the
   * finality tracker, the transaction pool and the network.
   */
  static async open(
    o: RelayChainNodeOptions,
    modules: { logger?: Logger; metrics?: NodeMetricsSet; faults?: NetworkFaults } = {},
  ): Promise<RelayChainNode> {
    const log = modules.logger ?? silentLogger;
    const metrics = modules.metrics ?? {};
    const chain = await ChainDb.open(
      join(o.basePath, "db"),
      { genesis: o.genesis, chainId: o.chainId },
      { runtime: o.runtime, logger: log },
    );
    let pool: TxPool | undefined;
    try {
      const importer = new BlockImporter({}, { chain, runtime: o.runtime, logger: log, metrics: metrics.chain });
      const g = o.genesis.hash;
      const finality = new FinalityTracker(
        { voterCount: o.voters.length },
        {
          chain,
          importer,
          verifier: {
            verify: (v) =>
              v.voter < o.voters.length &&
              sr25519Verify(v.signature, finalityVotePayload(g, v.hash, v.number), o.voters[v.voter]!),
          },
          metrics: metrics.finality,
        },
      );
      pool = new TxPool(o.txPool ?? {}, {
        runtime: o.runtime,
        chain,
        events: importer,
        logger: log.child({ module: "txpool" }),
        metrics: metrics.txPool,
      });
      const nodeKey = o.nodeKey ?? (await loadOrCreateNodeKey(join(o.basePath, "network", "secret_ed25519")));
      const network = await createNetwork(
        { listen: o.listen, bootnodes: o.bootnodes ?? [], nodeKey, genesisHash: g },
        { logger: log, metrics: metrics.network, ...(modules.faults ? { faults: modules.faults } : {}) },
      );
      return new RelayChainNode(chain, importer, finality, pool, network, g, o.slotMs, o.runtime, o.voters, log);
    } catch (e) {
      await pool?.close();
      await chain.close();
      throw e;
    }
  }

  /** Joins the relay network and starts the stall watch. */
  async start(): Promise<void> {
    await this.network.start();
    this.sync.start();
  }

  /**
   * Submits a relay transaction to the pool and gossips it to the other relay nodes. Rejects with `PoolError`
   * (`INVALID_TRANSACTION` with the runtime's reason, `ALREADY_IMPORTED`, `POOL_FULL` ...).
   */
  submitTransaction(tx: Uint8Array, watcher?: TxWatcher): Promise<SubmitResult> {
    return this.txGossip.submit(tx, watcher);
  }

  /** Stops in reverse order; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sync.close();
    await this.network.stop();
    await this.pool.close();
    await this.finality.close();
    await this.importer.close();
    await this.chain.close();
  }
}
