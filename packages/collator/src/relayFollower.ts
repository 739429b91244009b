import { join } from "node:path";
import { createNetwork, loadOrCreateNodeKey, type Network, type NodeKey, topicName } from "@parapipe/network";
import {
  BlockImporter,
  BlockSync,
  ChainDb,
  type ChainRuntime,
  FinalityTracker,
  FinalityVoteGossip,
  finalityVotePayload,
  frameChainRuntime,
  type Logger,
  RELAY_PROTOCOLS,
  RELAY_TOPICS,
  silentLogger,
} from "@parapipe/node";
import { type ChainSpec, sr25519Verify } from "@parapipe/primitives";
import { relay } from "@parapipe/runtime";

/** Options of the collator's embedded relay-chain node. */
export interface RelayFollowerOptions {
  spec: ChainSpec;
  /** Its own base path: the database in `<basePath>/db`, the node key in `<basePath>/network/secret_ed25519`. */
  basePath: string;
  listen: string[];
  bootnodes?: string[];
  nodeKey?: NodeKey;
}

/**
 * The relay-chain node a collator embeds (Cumulus' in-process relay chain): a relay full node that imports
 * relay blocks from the relay network (gossip, sync by range, stall sync), learns finality from the
 * validators' votes, keeps the relay state in its own LevelDB so the collator proves `Paras.Heads` and the
 * relay slot itself, and carries the collator protocol (advertise, fetch, seconded) on its network. It never
 * authors or votes.
 */
export class RelayFollower {
  readonly sync: BlockSync;
  private readonly votes: FinalityVoteGossip;
  private closed = false;

  private constructor(
    readonly runtime: relay.RelayRuntime,
    readonly adapter: ChainRuntime,
    readonly chain: ChainDb,
    readonly importer: BlockImporter,
    readonly finality: FinalityTracker,
    readonly network: Network,
    readonly genesisHash: Uint8Array,
    /** The relay validators' session keys, by validator index. */
    readonly validators: Uint8Array[],
    log: Logger,
  ) {
    this.sync = new BlockSync(
      {
        topic: topicName(genesisHash, "relay", RELAY_TOPICS.block),
        protocol: RELAY_PROTOCOLS.blocks,
        slotMs: runtime.config.slotDurationMs,
      },
      { chain, importer, network, runtime: adapter, logger: log },
    );
    this.votes = new FinalityVoteGossip(
      { topic: topicName(genesisHash, "relay", RELAY_TOPICS.finality), genesisHash, voters: validators },
      { network, finality, logger: log },
    );
    this.sync.wire();
    this.votes.wire();
  }

  /** Opens the relay database and network (not yet started). */
  static async open(opts: RelayFollowerOptions, modules: { logger?: Logger } = {}): Promise<RelayFollower> {
    const log = (modules.logger ?? silentLogger).child({ module: "relay" });
    const { runtime, genesis } = relay.relayRuntimeFromSpec(opts.spec);
    const adapter = frameChainRuntime({
      registry: runtime.registry,
      genesisStorage: () => runtime.genesisStorage(genesis),
      executeBlock: (store, block, parentHeader) => relay.executeRelayBlock(runtime, store, block, { parentHeader }),
      validateTransaction: (store, best, tx) => runtime.validateTransaction(store, best, tx),
    });
    const g = runtime.genesis(genesis);
    const chain = await ChainDb.open(
      join(opts.basePath, "db"),
      {
        genesis: { header: g.header, hash: g.hash, storageEntries: runtime.genesisStorage(genesis) },
        chainId: opts.spec.id,
      },
      { runtime: adapter, logger: log },
    );
    try {
      const validators = runtime.config.validators.map((v) => Uint8Array.from(v));
      const importer = new BlockImporter({}, { chain, runtime: adapter, logger: log });
      const finality = new FinalityTracker(
        { voterCount: validators.length },
        {
          chain,
          importer,
          verifier: {
            verify: (v) =>
              v.voter < validators.length &&
              sr25519Verify(v.signature, finalityVotePayload(g.hash, v.hash, v.number), validators[v.voter]!),
          },
        },
      );
      const nodeKey = opts.nodeKey ?? (await loadOrCreateNodeKey(join(opts.basePath, "network", "secret_ed25519")));
      const network = await createNetwork(
        { listen: opts.listen, bootnodes: opts.bootnodes ?? [], nodeKey, genesisHash: g.hash },
        { logger: log },
      );
      return new RelayFollower(runtime, adapter, chain, importer, finality, network, g.hash, validators, log);
    } catch (e) {
      await chain.close();
      throw e;
    }
  }

  /** Joins the relay network. */
  async start(): Promise<void> {
    await this.network.start();
    this.sync.start();
  }

  /** Stops in reverse order; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sync.close();
    await this.network.stop();
    await this.finality.close();
    await this.importer.close();
    await this.chain.close();
  }
}
