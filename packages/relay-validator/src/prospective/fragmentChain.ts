import { compareBytes, ParapipeError, toHex } from "@parapipe/primitives";

/** A candidate as prospective parachains sees it: where it builds and what it outputs. */
export interface FragmentCandidate {
  hash: Uint8Array;
  parentHeadHash: Uint8Array;
  outputHeadHash: Uint8Array;
  relayParentNumber: number;
}

/** What the relay chain says at the active leaf for one para. */
export interface FragmentScope {
  /** The leaf (best relay block) number. */
  leafNumber: number;
  /** `Paras.Heads(para)` at the leaf: the included head. */
  includedHeadHash: Uint8Array;
  /** Candidates pending availability at the leaf, in chain order. */
  pending: FragmentCandidate[];
  /** `asyncBackingParams.maxCandidateDepth`. */
  maxCandidateDepth: number;
  /** `asyncBackingParams.allowedAncestryLen`: relay parents down to `leafNumber - allowedAncestryLen`. */
  allowedAncestryLen: number;
}

/** Why a candidate cannot be part of the para's chain at this leaf (upstream `fragment_chain` errors). */
export class FragmentChainError extends ParapipeError<
  | { code: "RELAY_PARENT_NOT_IN_SCOPE"; relayParentNumber: number; earliest: number }
  | { code: "RELAY_PARENT_MOVED_BACKWARDS"; relayParentNumber: number; parentRelayParentNumber: number }
  | { code: "TOO_DEEP"; depth: number; maxDepth: number }
  | { code: "ZERO_LENGTH_CYCLE" }
  | { code: "FORK_WITH_PENDING_AVAILABILITY" }
  | { code: "FORK_CHOICE_RULE"; winner: string }
  | { code: "ALREADY_KNOWN" }
> {}

interface Entry extends FragmentCandidate {
  backed: boolean;
}

/**
 * The fragment chain of one para at one active leaf (polkadot-sdk prospective-parachains): the candidates
 * pending availability, then backed candidates that extend them, at most `maxCandidateDepth + 1` in all;
 * relay parents within the allowed ancestry and never moving backwards; on a fork the lower candidate hash
 * wins. Seconded candidates whose parent is not known yet are kept aside (unconnected) and join the chain
 * when it reaches them.
 */
export class FragmentChain {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly scope: FragmentScope) {}

  /** The earliest relay parent number allowed at this leaf. */
  get earliestRelayParent(): number {
    return Math.max(0, this.scope.leafNumber - this.scope.allowedAncestryLen);
  }

  /**
   * Depth and relay-parent floor of the chain position whose output is `headHash`: 0 for the included head,
   * then through the pending candidates and any known candidate (walking parent links back); undefined when
   * nothing known outputs that head (the candidate is then unconnected).
   */
  private positionOf(headHash: Uint8Array, guard = 0): { depth: number; relayParentFloor: number } | undefined {
    const key = toHex(headHash);
    if (key === toHex(this.scope.includedHeadHash)) return { depth: 0, relayParentFloor: this.earliestRelayParent };
    let floor = this.earliestRelayParent;
    for (let i = 0; i < this.scope.pending.length; i++) {
      const p = this.scope.pending[i]!;
      floor = Math.max(floor, p.relayParentNumber);
      if (toHex(p.outputHeadHash) === key) return { depth: i + 1, relayParentFloor: floor };
    }
    if (guard > 64) return undefined; // cycles among unconnected candidates
    for (const e of this.entries.values()) {
      if (toHex(e.outputHeadHash) !== key) continue;
      const parent = this.positionOf(e.parentHeadHash, guard + 1);
      if (parent)
        return { depth: parent.depth + 1, relayParentFloor: Math.max(parent.relayParentFloor, e.relayParentNumber) };
    }
    return undefined;
  }

  /**
   * Checks that a candidate can be added (`check_potential`) and adds it as seconded. Throws
   * `FragmentChainError` with the upstream reason otherwise.
   */
  add(c: FragmentCandidate): void {
    const key = toHex(c.hash);
    if (this.entries.has(key) || this.scope.pending.some((p) => toHex(p.hash) === key)) {
      throw new FragmentChainError({ code: "ALREADY_KNOWN" });
    }
    if (toHex(c.parentHeadHash) === toHex(c.outputHeadHash))
      throw new FragmentChainError({ code: "ZERO_LENGTH_CYCLE" });
    if (c.relayParentNumber < this.earliestRelayParent) {
      throw new FragmentChainError(
        {
          code: "RELAY_PARENT_NOT_IN_SCOPE",
          relayParentNumber: c.relayParentNumber,
          earliest: this.earliestRelayParent,
        },
        `relay parent #${c.relayParentNumber} is out of scope (earliest #${this.earliestRelayParent})`,
      );
    }
    const pos = this.positionOf(c.parentHeadHash);
    if (pos) {
      if (c.relayParentNumber < pos.relayParentFloor) {
        throw new FragmentChainError(
          {
            code: "RELAY_PARENT_MOVED_BACKWARDS",
            relayParentNumber: c.relayParentNumber,
            parentRelayParentNumber: pos.relayParentFloor,
          },
          `relay parent #${c.relayParentNumber} precedes its parent's #${pos.relayParentFloor}`,
        );
      }
      const maxDepth = this.scope.maxCandidateDepth + 1;
      if (pos.depth + 1 > maxDepth) {
        throw new FragmentChainError(
          { code: "TOO_DEEP", depth: pos.depth + 1, maxDepth },
          `candidate would be at depth ${pos.depth + 1} of at most ${maxDepth}`,
        );
      }
      // A fork of a pending-availability candidate can never be included.
      const lastPendingHead =
        this.scope.pending.length > 0
          ? this.scope.pending[this.scope.pending.length - 1]!.outputHeadHash
          : this.scope.includedHeadHash;
      if (
        pos.depth < this.scope.pending.length ||
        (pos.depth === 0 && this.scope.pending.length > 0 && toHex(c.parentHeadHash) !== toHex(lastPendingHead))
      ) {
        throw new FragmentChainError(
          { code: "FORK_WITH_PENDING_AVAILABILITY" },
          "candidate forks off a candidate pending availability",
        );
      }
    }
    this.entries.set(key, { ...c, backed: false });
  }

  /** Marks a candidate backed (it then counts for the best chain). */
  markBacked(hash: Uint8Array): boolean {
    const e = this.entries.get(toHex(hash));
    if (!e) return false;
    e.backed = true;
    return true;
  }

  /** Whether a candidate is known (seconded or backed). */
  has(hash: Uint8Array): boolean {
    return this.entries.has(toHex(hash));
  }

  /** The backed chain after `fromHeadHash`, choosing the lowest candidate hash among siblings, bounded by depth. */
  private chainFrom(fromHeadHex: string, backedOnly = true): Entry[] {
    const out: Entry[] = [];
    let head = fromHeadHex;
    const seen = new Set<string>();
    const maxLen = this.scope.maxCandidateDepth + 1 - this.scope.pending.length;
    while (out.length < maxLen) {
      let best: Entry | undefined;
      for (const e of this.entries.values()) {
        if (toHex(e.parentHeadHash) !== head || (backedOnly && !e.backed)) continue;
        if (!best || compareBytes(e.hash, best.hash) < 0) best = e;
      }
      if (!best || seen.has(toHex(best.hash))) break;
      seen.add(toHex(best.hash));
      out.push(best);
      head = toHex(best.outputHeadHash);
    }
    return out;
  }

  /** The best chain of backed candidates after the pending ones (what can be backed on chain next, in order). */
  bestBackedChain(): FragmentCandidate[] {
    const base =
      this.scope.pending.length > 0
        ? this.scope.pending[this.scope.pending.length - 1]!.outputHeadHash
        : this.scope.includedHeadHash;
    return this.chainFrom(toHex(base));
  }

  /** The next candidate to put on chain for this para (upstream `GetBackableCandidates` with count 1). */
  nextBackable(): FragmentCandidate | undefined {
    return this.bestBackedChain()[0];
  }

  /** Whether a candidate with this parent head could be seconded now (for advertisement filtering). */
  canAcceptParent(parentHeadHash: Uint8Array): boolean {
    const pos = this.positionOf(parentHeadHash);
    return pos !== undefined && pos.depth + 1 <= this.scope.maxCandidateDepth + 1;
  }

  /** Carries the candidates of the previous leaf's chain over to this one (`populate_from_previous`). */
  populateFrom(prev: FragmentChain): void {
    for (const e of prev.entries.values()) {
      try {
        this.add(e);
        if (e.backed) this.markBacked(e.hash);
      } catch {
        // Out of scope, included meanwhile, or no longer potential: dropped, as upstream.
      }
    }
  }
}
