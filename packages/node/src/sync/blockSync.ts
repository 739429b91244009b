import { GossipValidationError, type Network } from "@parapipe/network";
import { blake2_256, decodeExact, registry, scaleBytes } from "@parapipe/primitives";
import type { ChainDb } from "../chain/chainDb.js";
import type { BlockImporter, ImportResult } from "../chain/importer.js";
import type { ChainRuntime, Logger } from "../interface.js";
import { silentLogger } from "../util.js";

/** A decoded SCALE value (the registry's codec type, without depending on @polkadot/types here). */
type Codec = ReturnType<typeof decodeExact>;

/** Most blocks one blocks-by-range response carries. */
export const MAX_BLOCKS_PER_RESPONSE = 64;

/** Options of `BlockSync`. */
export interface BlockSyncOptions {
  /** The full gossip topic blocks are announced on (`topicName(genesis, scope, "block")`). */
  topic: string;
  /** The request/response protocol name serving blocks by range (e.g. `"blocks"`, `"para-blocks"`). */
  protocol: string;
  /** Largest block accepted on the topic (default 1 MiB). */
  maxBlockBytes?: number;
  /**
   * The chain's slot in ms: if the best block has not moved for `stallSlots` slots, a connected peer is asked
   * for what follows (a node cut off or restarted behind catches up even when no new block is gossiped).
   */
  slotMs: number;
  /** Slots without progress before a stall sync (default 3). */
  stallSlots?: number;
}

/** What `BlockSync` works with. */
export interface BlockSyncModules {
  chain: ChainDb;
  importer: BlockImporter;
  network: Network;
  runtime: Pick<ChainRuntime, "blockHeader">;
  logger?: Logger;
  /** Called with the outcome of each imported gossip or sync block (tests, metrics). */
  onBlock?: (r: ImportResult, origin: "network" | "sync") => void;
}

/**
 * Blocks over the network, for any chain (the relay chain on validators and collators, the parachain on
 * collators and para full nodes): announce on one gossip topic with import during validation (REJECT a
 * block that does not decode or execute, IGNORE a known or late one, IGNORE and sync an unknown parent),
 * serve blocks by range, sync by range from each new peer and when the best block stalls.
 */
export class BlockSync {
  private syncing = false;
  private closed = false;
  private stallTimer?: NodeJS.Timeout;
  private lastProgress = { number: -1, at: 0 };
  private readonly unsubscribe: Array<() => void> = [];
  private readonly log: Logger;
  /** The highest block each peer has sent us (announced or forwarded): what `system_peers` reports. */
  private readonly peerBest = new Map<string, { hash: Uint8Array; number: number }>();

  constructor(
    private readonly opts: BlockSyncOptions,
    private readonly modules: BlockSyncModules,
  ) {
    this.log = modules.logger ?? silentLogger;
  }

  /** Subscribes the topic, serves the protocol and syncs from new peers. Call before `network.start()`. */
  wire(): void {
    const { network } = this.modules;
    this.unsubscribe.push(
      network.gossip.subscribe({
        topic: this.opts.topic,
        maxBytes: this.opts.maxBlockBytes ?? 1024 * 1024,
        validate: (bytes, from) => this.validate(bytes, from),
        handle: () => {},
      }),
    );
    network.reqresp.register({
      name: this.opts.protocol,
      maxRequestBytes: 16,
      maxResponseBytes: 8 * 1024 * 1024,
      timeoutMs: 5000,
      rateLimit: { requests: 50, perMs: 1000 },
      handle: (req) => this.serve(req),
    });
    // A new peer may be ahead of us (restart, partition, late join): ask it for what we miss.
    this.unsubscribe.push(network.onPeerConnect((peer) => void setTimeout(() => void this.syncFrom(peer), 100)));
  }

  /** Starts the stall watch (every slot). */
  start(): void {
    const tick = () => {
      if (this.closed) return;
      this.checkStall();
      this.stallTimer = setTimeout(tick, this.opts.slotMs);
    };
    this.stallTimer = setTimeout(tick, this.opts.slotMs);
  }

  /** Stops the stall watch and unsubscribes. */
  close(): void {
    this.closed = true;
    clearTimeout(this.stallTimer);
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** Announces a block (own or relayed) on the topic. */
  async publish(block: Uint8Array): Promise<number> {
    return this.modules.network.gossip.publish(this.opts.topic, block).catch((e) => {
      this.log.debug({ err: e }, "Block announce not sent");
      return 0;
    });
  }

  private async validate(bytes: Uint8Array, from: string): Promise<void> {
    const { chain, importer, runtime } = this.modules;
    let hash: Uint8Array;
    try {
      hash = blake2_256(runtime.blockHeader(bytes));
    } catch (e) {
      // [REJECT] The block does not decode.
      throw verdict("REJECT", "UNDECODABLE_BLOCK", e instanceof Error ? e.message : String(e));
    }
    // [IGNORE] The block is already known.
    if (await chain.hasBlock(hash)) throw verdict("IGNORE", "KNOWN_BLOCK", "block already known");
    const r = await importer.import(bytes, "network");
    this.modules.onBlock?.(r, "network");
    if (r.status === "invalid") {
      // [IGNORE] A block forking off at or below the finalized block is late, not invalid: its author may be
      // an honest node that fell behind.
      if (r.error.code === "BELOW_FINALIZED") throw verdict("IGNORE", r.error.code, r.error.message);
      // [REJECT] The block does not execute (bad seal, invalid extrinsic, wrong state root ...).
      throw verdict("REJECT", r.error.code, r.error.message);
    }
    if (r.status === "imported") this.notePeerBlock(from, hash, r.number);
    if (r.status === "unknownParent") {
      // [IGNORE] Unknown parent: sync from the peer that sent it.
      void this.syncFrom(from);
      throw verdict("IGNORE", "UNKNOWN_PARENT", "unknown parent, syncing");
    }
    if (r.status === "known") throw verdict("IGNORE", "KNOWN_BLOCK", "block already known");
  }

  private notePeerBlock(peer: string, hash: Uint8Array, number: number | undefined): void {
    if (number === undefined) return;
    const prev = this.peerBest.get(peer);
    if (!prev || number > prev.number) this.peerBest.set(peer, { hash, number });
  }

  /** The highest block `peer` has sent (announced or forwarded), if any. */
  bestOf(peer: string): { hash: Uint8Array; number: number } | undefined {
    return this.peerBest.get(peer);
  }

  private async serve(req: Uint8Array): Promise<Uint8Array> {
    const { chain } = this.modules;
    const r = decodeExact(registry, "BlocksByRangeRequest", req) as unknown as { fromNumber: Codec; count: Codec };
    const start = (r.fromNumber as unknown as { toNumber(): number }).toNumber();
    const n = Math.min(MAX_BLOCKS_PER_RESPONSE, (r.count as unknown as { toNumber(): number }).toNumber());
    const out: Uint8Array[] = [];
    for (let i = 0; i < n && start + i <= chain.best.number; i++) {
      const hash = await chain.canonicalHash(start + i);
      const block = hash && (await chain.block(hash));
      if (!block) break;
      out.push(block);
    }
    return registry.createType("BlocksResponse", out.map(scaleBytes)).toU8a();
  }

  /**
   * Catches up from `peer`: blocks by range from our finalized block on (so a fork of our best is replaced),
   * until the peer has no more. One sync at a time; a failing peer ends the attempt.
   */
  async syncFrom(peer: string): Promise<void> {
    const { chain, importer, network } = this.modules;
    if (this.syncing || this.closed) return;
    this.syncing = true;
    try {
      let from = chain.finalized.number + 1 > chain.best.number ? chain.best.number + 1 : chain.finalized.number + 1;
      for (let round = 0; round < 1000 && !this.closed; round++) {
        const res = await network.reqresp.request(
          peer,
          this.opts.protocol,
          registry.createType("BlocksByRangeRequest", { fromNumber: from, count: MAX_BLOCKS_PER_RESPONSE }).toU8a(),
        );
        const blocks = (decodeExact(registry, "BlocksResponse", res) as unknown as Codec[]).map((b) =>
          (b as unknown as { toU8a(bare: boolean): Uint8Array }).toU8a(true),
        );
        let progressed = false;
        for (const b of blocks) {
          const r = await importer.import(b, "sync");
          this.modules.onBlock?.(r, "sync");
          if (r.status === "imported") progressed = true;
          if (r.status === "invalid") {
            this.log.debug({ peer, code: r.error.code }, "Sync: peer served an invalid block");
            return;
          }
        }
        if (blocks.length < MAX_BLOCKS_PER_RESPONSE) return;
        from += blocks.length;
        if (!progressed && from > chain.best.number + MAX_BLOCKS_PER_RESPONSE) return;
      }
    } catch (e) {
      this.log.debug({ peer, err: e }, "Sync request failed");
    } finally {
      this.syncing = false;
    }
  }

  /** Syncs from some connected peer (e.g. when a block we need is missing). */
  syncFromAnyPeer(): void {
    const peers = this.modules.network.peers();
    if (peers.length === 0) return;
    void this.syncFrom(peers[Math.floor(Math.random() * peers.length)]!);
  }

  private checkStall(): void {
    const best = this.modules.chain.best.number;
    const now = Date.now();
    if (best !== this.lastProgress.number) {
      this.lastProgress = { number: best, at: now };
      return;
    }
    if (now - this.lastProgress.at >= (this.opts.stallSlots ?? 3) * this.opts.slotMs) {
      this.syncFromAnyPeer();
      this.lastProgress = { number: best, at: now };
    }
  }
}

function verdict(action: "IGNORE" | "REJECT", code: string, message: string): GossipValidationError {
  return new GossipValidationError(action, { code }, message);
}
