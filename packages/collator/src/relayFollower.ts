import type { Network, NetworkFaults, NodeKey } from "@parapipe/network";
import {
  type BlockImporter,
  type ChainDb,
  type FinalityTracker,
  frameChainRuntime,
  type Logger,
  RelayChainNode,
  type SubmitResult,
  silentLogger,
  type TxPool,
  type TxWatcher,
} from "@parapipe/node";
import type { ChainSpec } from "@parapipe/primitives";
import { relay, relayGenesisFromSpec } from "@parapipe/runtime";

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
 * The relay-chain node a collator embeds (Cumulus' in-process relay chain): a `RelayChainNode` (relay block
 * import and sync, finality from the validators' votes, its own LevelDB) with the relay runtime, so the collator
 * proves `Paras.Heads` and the relay slot from its own state; its network also carries the collator protocol
 * (advertise, fetch, seconded) and relay transactions (submitted to it, they reach the validators' pools). It
 * never authors or votes.
 */
export class RelayFollower {
  private constructor(
    readonly runtime: relay.RelayRuntime,
    /** The relay validators' session keys, by validator index. */
    readonly validators: Uint8Array[],
    readonly node: RelayChainNode,
  ) {}

  get chain(): ChainDb {
    return this.node.chain;
  }
  get importer(): BlockImporter {
    return this.node.importer;
  }
  get finality(): FinalityTracker {
    return this.node.finality;
  }
  get network(): Network {
    return this.node.network;
  }
  get genesisHash(): Uint8Array {
    return this.node.genesisHash;
  }
  /** Relay transactions (this node's view; validators include them). */
  get pool(): TxPool {
    return this.node.pool;
  }

  /**
   * Submits a relay transaction to the pool and gossips it to the relay network. Rejects with `PoolError`
   * (`INVALID_TRANSACTION` with the runtime's reason, `ALREADY_IMPORTED`, `POOL_FULL` ...).
   */
  submitTransaction(tx: Uint8Array, watcher?: TxWatcher): Promise<SubmitResult> {
    return this.node.submitTransaction(tx, watcher);
  }

  /** Opens the relay database and network (not yet started). */
  static async open(
    opts: RelayFollowerOptions,
    modules: { logger?: Logger; faults?: NetworkFaults } = {},
  ): Promise<RelayFollower> {
    const g = relayGenesisFromSpec(opts.spec);
    const runtime = g.runtime;
    const validators = runtime.config.validators.map((v) => Uint8Array.from(v));
    const node = await RelayChainNode.open(
      {
        basePath: opts.basePath,
        chainId: opts.spec.id,
        genesis: { header: g.header, hash: g.hash, storageEntries: g.storage },
        runtime: frameChainRuntime(relay.relayChainFunctions(runtime, g.storage)),
        voters: validators,
        slotMs: runtime.config.slotDurationMs,
        listen: opts.listen,
        bootnodes: opts.bootnodes ?? [],
        ...(opts.nodeKey ? { nodeKey: opts.nodeKey } : {}),
      },
      {
        logger: (modules.logger ?? silentLogger).child({ module: "relay" }),
        ...(modules.faults ? { faults: modules.faults } : {}),
      },
    );
    return new RelayFollower(runtime, validators, node);
  }

  /** Joins the relay network. */
  start(): Promise<void> {
    return this.node.start();
  }

  /** Stops; safe to call twice. */
  close(): Promise<void> {
    return this.node.close();
  }
}
