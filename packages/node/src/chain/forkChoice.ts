import type { BlockInfo } from "../interface.js";
import type { BlockTreeView } from "./blockTree.js";

/** What a fork-choice rule may look at. */
export interface ForkChoiceContext {
  /** The current best block. */
  best: BlockInfo;
  /** The finalized block (when finality moves, the block being finalized). Every candidate descends from it. */
  finalized: BlockInfo;
  /** The finalized block and all its known descendants. */
  tree: BlockTreeView;
}

/**
 * A fork-choice rule. The import pipeline asks it after every import (candidates: the current best, then the
 * new block), when finality moves off the best chain (candidates: the leaves under the newly finalized block)
 * and on `BlockImporter.reconsiderBest()` (candidates: every leaf, the current best first). A rule may also
 * ignore the candidates and pick any block of `ctx.tree` (the parachain rule picks the deepest descendant of
 * the included/pending head); the pipeline refuses a pick that does not descend from the finalized block.
 */
export interface ForkChoice {
  /** The block that should be best, or `undefined` to keep the current best. */
  chooseBest(candidates: readonly BlockInfo[], ctx: ForkChoiceContext): BlockInfo | undefined;
}

/**
 * Longest chain: the highest block number wins; among equal heights the block seen first (candidates come in
 * the order they were first seen, the current best first), so an equal fork never causes a reorg.
 */
export const longestChain: ForkChoice = {
  chooseBest(candidates) {
    let pick: BlockInfo | undefined;
    for (const c of candidates) if (pick === undefined || c.number > pick.number) pick = c;
    return pick;
  },
};
