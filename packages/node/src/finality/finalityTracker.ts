import { bytesEqual, toHex } from "@parapipe/primitives";
import type { ChainDb } from "../chain/chainDb.js";
import type { BlockImporter } from "../chain/importer.js";
import { FinalityError } from "../errors.js";
import type { BlockInfo, FinalizedEvent, Logger, Unsubscribe } from "../interface.js";
import type { FinalityMetrics } from "../metrics.js";
import { Emitter, SerialQueue, silentLogger } from "../util.js";
import { encodeJustification, type FinalityVote } from "./justification.js";

/** Checks a vote's signature against the voter set (injected: the key type is the node kind's business). */
export interface VoteVerifier {
  verify(vote: FinalityVote): boolean;
}

/** Options of `FinalityTracker`. */
export interface FinalityTrackerOptions {
  /** Size n of the voter set: a block needs votes from more than 2n/3 voters. */
  voterCount: number;
  /** How many pruned block hashes are remembered to recognise late votes for dead forks. Default 4096. */
  prunedMemory?: number;
}

/** What `FinalityTracker` works with. */
export interface FinalityTrackerModules {
  chain: ChainDb;
  importer: Pick<BlockImporter, "finalize" | "onImported" | "onFinalized">;
  verifier: VoteVerifier;
  logger?: Logger;
  metrics?: FinalityMetrics | null;
}

/** What happened to a vote that passed the voter and signature checks. */
export type VoteOutcome =
  /** Counted (for its block and the block's ancestors); no block became final. */
  | { status: "counted" }
  /** Counted, and it made `number` (and all its ancestors) final. */
  | { status: "finalized"; hash: Uint8Array; number: number }
  /** For a block not imported yet: kept, counted once the block is imported. */
  | { status: "pending" }
  /** The voter's current vote already names this block. */
  | { status: "duplicate" }
  /** For a block that is final already. */
  | { status: "stale" }
  /** For a block on a fork that does not contain the finalized block: ignored and reported. */
  | { status: "conflicting"; finalizedNumber: number };

/** Votes of more than 2/3 of the voters for blocks off the finalized chain (a safety alarm). */
export interface FinalityConflict {
  hash: Uint8Array;
  number: number;
  /** The voters whose latest conflicting vote names this block. */
  voters: number[];
  /** Our finalized block, which that block does not descend from. */
  finalized: BlockInfo;
}

/**
 * GRANDPA-lite: validators vote for their best block; a vote for B counts for B and its ancestors, and the
 * highest block with votes from more than 2/3 of the voters (strictly more than 2n/3) becomes final with all
 * its ancestors. One vote per voter counts (a newer vote replaces the older); votes for unknown blocks are kept
 * and counted once the block is imported. The justification (the supporting votes) is stored with the
 * finalized block in the same batch as the finalized pointer, and forks off the finalized block are pruned
 * (`BlockImporter.finalize`). Finality never moves backwards or off the canonical chain: votes for blocks off
 * the finalized chain are ignored and reported (`onConflict`, a warning log).
 */
export class FinalityTracker {
  private readonly n: number;
  private readonly prunedMemory: number;
  private readonly chain: ChainDb;
  private readonly importer: FinalityTrackerModules["importer"];
  private readonly verifier: VoteVerifier;
  private readonly logger: Logger;
  private readonly metrics: FinalityMetrics | null;
  private readonly queue = new SerialQueue();
  /** Each voter's latest vote. */
  private readonly votes = new Map<number, FinalityVote>();
  /** Each voter's latest vote for a block off the finalized chain. */
  private readonly conflicting = new Map<number, FinalityVote>();
  private readonly reportedConflicts = new Set<string>();
  /** Recently pruned block hashes (insertion-ordered, bounded). */
  private readonly pruned = new Set<string>();
  private readonly events: Emitter<{ conflict: FinalityConflict }>;
  private readonly unsubscribe: Unsubscribe[];

  constructor(opts: FinalityTrackerOptions, modules: FinalityTrackerModules) {
    if (!Number.isInteger(opts.voterCount) || opts.voterCount < 1) {
      throw new FinalityError(
        { code: "UNKNOWN_VOTER", voter: -1, voterCount: opts.voterCount },
        `the voter set size must be a positive integer, got ${opts.voterCount}`,
      );
    }
    this.n = opts.voterCount;
    this.prunedMemory = opts.prunedMemory ?? 4096;
    this.chain = modules.chain;
    this.importer = modules.importer;
    this.verifier = modules.verifier;
    this.logger = modules.logger ?? silentLogger;
    this.metrics = modules.metrics ?? null;
    this.events = new Emitter(this.logger);
    this.unsubscribe = [
      this.importer.onImported((e) => {
        if (this.hasVoteFor(e.block.hash)) void this.queue.run(() => this.recount()).catch((err) => this.failed(err));
      }),
      this.importer.onFinalized((e) => this.noteFinalized(e)),
    ];
  }

  /** Size of the voter set. */
  get voterCount(): number {
    return this.n;
  }

  /** Votes needed to finalize: the smallest count strictly above 2n/3. */
  get threshold(): number {
    return Math.floor((2 * this.n) / 3) + 1;
  }

  /** Calls `listener` when more than 2/3 of the voters vote for a block off the finalized chain. */
  onConflict(listener: (c: FinalityConflict) => void): Unsubscribe {
    return this.events.on("conflict", listener);
  }

  /**
   * Notes a vote. Throws `FinalityError` for a voter outside the set (`UNKNOWN_VOTER`), a bad signature
   * (`BAD_SIGNATURE`) or a known block with another number (`VOTE_NUMBER_MISMATCH`): gossip REJECTs those.
   * Otherwise resolves to what the vote did; when it completes a supermajority the block is finalized
   * (stored) before the promise resolves.
   */
  async noteVote(vote: FinalityVote): Promise<VoteOutcome> {
    try {
      // [REJECT] the voter is in the voter set.
      if (!Number.isInteger(vote.voter) || vote.voter < 0 || vote.voter >= this.n) {
        throw new FinalityError(
          { code: "UNKNOWN_VOTER", voter: vote.voter, voterCount: this.n },
          `voter ${vote.voter} is not in the voter set of ${this.n}`,
        );
      }
      // [REJECT] the signature verifies.
      if (!this.verifier.verify(vote)) {
        throw new FinalityError(
          { code: "BAD_SIGNATURE", voter: vote.voter, hash: toHex(vote.hash) },
          `the vote of voter ${vote.voter} for ${toHex(vote.hash)} has an invalid signature`,
        );
      }
      const outcome = await this.queue.run(() => this.noteQueued(vote));
      this.metrics?.votes.inc({ outcome: outcome.status });
      return outcome;
    } catch (err) {
      this.metrics?.votes.inc({ outcome: err instanceof FinalityError ? err.code : "error" });
      throw err;
    }
  }

  /** The current vote of each voter (a copy). */
  currentVotes(): FinalityVote[] {
    return [...this.votes.values()];
  }

  /** Resolves when the queued vote processing has finished. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Stops following the importer and waits for queued work. */
  async close(): Promise<void> {
    for (const u of this.unsubscribe) u();
    await this.queue.idle();
  }

  private async noteQueued(vote: FinalityVote): Promise<VoteOutcome> {
    const current = this.votes.get(vote.voter);
    if (current !== undefined && bytesEqual(current.hash, vote.hash)) return { status: "duplicate" };
    const finalized = this.chain.finalized;
    const hex = toHex(vote.hash);
    if (vote.number <= finalized.number || this.pruned.has(hex)) {
      const canonical = await this.chain.canonicalHash(vote.number);
      if (canonical !== undefined && bytesEqual(canonical, vote.hash) && !this.pruned.has(hex)) {
        return { status: "stale" };
      }
      this.noteConflicting(vote, finalized);
      return { status: "conflicting", finalizedNumber: finalized.number };
    }
    const known = this.chain.tree.get(vote.hash);
    if (known !== undefined && known.number !== vote.number) {
      // [REJECT] the vote's number is the block's number.
      throw new FinalityError(
        {
          code: "VOTE_NUMBER_MISMATCH",
          voter: vote.voter,
          hash: hex,
          voteNumber: vote.number,
          blockNumber: known.number,
        },
        `voter ${vote.voter} votes for ${hex} as #${vote.number}, the block is #${known.number}`,
      );
    }
    // A newer vote of the same voter replaces the older one (votes count for ancestors, so a voter that moved
    // on to a descendant still supports everything it supported before).
    this.votes.set(vote.voter, { ...vote });
    if (known === undefined) return { status: "pending" };
    const done = await this.recount();
    return done === undefined ? { status: "counted" } : { status: "finalized", hash: done.hash, number: done.number };
  }

  /**
   * Tallies every voter's vote for its block and the block's ancestors down to the finalized block, and
   * finalizes the highest block supported by more than 2n/3 voters. Two such blocks are always on one chain
   * (two supermajorities share a voter, and a voter supports one chain), so "highest" is well defined.
   */
  private async recount(): Promise<BlockInfo | undefined> {
    const tree = this.chain.tree;
    const root = tree.root;
    const support = new Map<string, { block: BlockInfo; voters: Set<number> }>();
    for (const [voter, vote] of this.votes) {
      let b = tree.get(vote.hash);
      if (b === undefined) continue;
      if (b.number !== vote.number) {
        this.logger.warn({ voter, hash: toHex(vote.hash), voteNumber: vote.number }, "Dropped vote: wrong number");
        this.votes.delete(voter);
        continue;
      }
      while (b !== undefined && b.number > root.number) {
        const key = toHex(b.hash);
        let s = support.get(key);
        if (s === undefined) {
          s = { block: b, voters: new Set() };
          support.set(key, s);
        }
        s.voters.add(voter);
        b = tree.get(b.parentHash);
      }
    }
    let target: BlockInfo | undefined;
    for (const { block, voters } of support.values()) {
      if (voters.size * 3 > 2 * this.n && (target === undefined || block.number > target.number)) target = block;
    }
    if (target === undefined) return undefined;
    const votes = [...this.votes.values()]
      .filter((v) => tree.isDescendantOrSelf(v.hash, target.hash))
      .sort((a, b) => a.voter - b.voter);
    const justification = encodeJustification({ hash: target.hash, number: target.number, votes });
    const event = await this.importer.finalize(target.hash, justification);
    return event === undefined ? undefined : target;
  }

  private noteFinalized(e: FinalizedEvent): void {
    for (const h of e.pruned) {
      this.pruned.add(toHex(h));
      if (this.pruned.size > this.prunedMemory) this.pruned.delete(this.pruned.values().next().value!);
    }
    // Votes for blocks that are final now, or were pruned, add nothing any more.
    for (const [voter, v] of this.votes) {
      if (v.number <= e.number || this.pruned.has(toHex(v.hash))) this.votes.delete(voter);
    }
  }

  private noteConflicting(vote: FinalityVote, finalized: BlockInfo): void {
    const hex = toHex(vote.hash);
    this.logger.warn(
      { voter: vote.voter, hash: hex, number: vote.number, finalized: finalized.number },
      "Finality vote for a block off the finalized chain; ignored",
    );
    this.conflicting.set(vote.voter, { ...vote });
    if (this.reportedConflicts.has(hex)) return;
    const voters = [...this.conflicting.values()].filter((v) => bytesEqual(v.hash, vote.hash)).map((v) => v.voter);
    if (voters.length * 3 <= 2 * this.n) return;
    this.reportedConflicts.add(hex);
    this.logger.error(
      { hash: hex, number: vote.number, voters, finalized: finalized.number, finalizedHash: toHex(finalized.hash) },
      "More than 2/3 of the voters vote for a fork off the finalized chain; finality stays",
    );
    this.events.emit("conflict", {
      hash: vote.hash,
      number: vote.number,
      voters: voters.sort((a, b) => a - b),
      finalized,
    });
  }

  private hasVoteFor(hash: Uint8Array): boolean {
    for (const v of this.votes.values()) if (bytesEqual(v.hash, hash)) return true;
    return false;
  }

  private failed(err: unknown): void {
    this.logger.error({ err }, "Finality recount failed");
  }
}
