import type { BlockInfo, ForkChoice, ForkChoiceContext } from "@parapipe/node";
import { longestChain } from "@parapipe/node";
import { toHex } from "@parapipe/primitives";

/** What the relay chain says about the para at the relay best block. */
export interface RelayParaView {
  /** The head the next candidate builds on: the latest pending-availability head, else the included head. */
  anchor: Uint8Array;
  /** Hashes of the included head and the pending heads: on chain, so viable whatever their relay parent. */
  onChain: ReadonlySet<string>;
  /** Lowest relay parent number still in scope (`relayBest - allowedAncestryLen`). */
  minRelayParentNumber: number;
}

/**
 * The parachain's fork choice, following the relay chain (Cumulus' `ParachainConsensus` selection): the best
 * block is the deepest viable descendant of the included/pending head, where a block off the chain is viable
 * while its relay parent is in scope (it can still be backed) and its parent is viable. Among equal depths
 * the block seen first wins. Until the relay view is known (startup) it is the longest chain; when the anchor
 * is not known locally yet, the best block stays (the collator syncs it).
 */
export class ParaForkChoice implements ForkChoice {
  private view?: RelayParaView;

  /** `relayParentOf(hash)`: the relay parent number a block was built on, when known (its RPSR digest). */
  constructor(private readonly relayParentOf: (hash: Uint8Array) => number | undefined) {}

  /** Sets the relay view; the caller then asks the importer to `reconsiderBest()`. */
  setView(view: RelayParaView): void {
    this.view = view;
  }

  chooseBest(candidates: readonly BlockInfo[], ctx: ForkChoiceContext): BlockInfo | undefined {
    const view = this.view;
    if (view === undefined) return longestChain.chooseBest(candidates, ctx);
    const anchor = ctx.tree.get(view.anchor);
    if (anchor === undefined) return undefined;
    let best = anchor;
    const stack: BlockInfo[] = [anchor];
    while (stack.length > 0) {
      const b = stack.pop()!;
      for (const child of ctx.tree.children(b.hash)) {
        if (!this.viable(child, view)) continue;
        if (child.number > best.number) best = child;
        stack.push(child);
      }
    }
    // Children are explored in first-seen order and only a strictly deeper block replaces the pick, but a DFS
    // may meet a later-seen branch first: prefer the first-seen block at the winning depth.
    if (best !== anchor) {
      const atDepth = ctx.tree.subtree(anchor.hash).filter((b) => b.number === best.number);
      for (const b of atDepth) if (this.viablePath(b, anchor, ctx, view)) return b;
    }
    return best;
  }

  private viable(b: BlockInfo, view: RelayParaView): boolean {
    if (view.onChain.has(toHex(b.hash))) return true;
    const rp = this.relayParentOf(b.hash);
    return rp === undefined || rp >= view.minRelayParentNumber;
  }

  private viablePath(b: BlockInfo, anchor: BlockInfo, ctx: ForkChoiceContext, view: RelayParaView): boolean {
    let cur: BlockInfo | undefined = b;
    while (cur !== undefined && cur.number > anchor.number) {
      if (!this.viable(cur, view)) return false;
      cur = ctx.tree.get(cur.parentHash);
    }
    return cur !== undefined && toHex(cur.hash) === toHex(anchor.hash);
  }
}
