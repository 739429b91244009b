import { bytesEqual, compareBytes, toHex } from "@parapipe/primitives";
import type { SegmentEntry } from "./segment.js";

/** The fields of a segment block that parent selection reads. */
export type SelectableBlock = Pick<
  SegmentEntry,
  "hash" | "parentHash" | "number" | "relayParentNumber" | "relayParentHash"
>;

/**
 * Cumulus' default `PARENT_SEARCH_DEPTH` (current SDK: 30 non-included blocks), a sanity bound: imported
 * blocks already respect the runtime's segment capacity.
 */
export const DEFAULT_MAX_PARENT_DEPTH = 30;

/** What the lookahead loop knows at a relay block import. */
export interface ParentSearchInput {
  /** Hash of the para head included as of the relay parent (`OccupiedCoreAssumption::TimedOut`). */
  includedHash: Uint8Array;
  /**
   * Hashes of the para heads pending availability, in chain order (the first is a child of the included
   * head). They need not be in `entries` (another collator may have built them).
   */
  pendingHashes: readonly Uint8Array[];
  /** The collator's unincluded segment (any order). */
  entries: readonly SelectableBlock[];
  /** Number of the relay block being built on (the new relay parent). */
  relayBestNumber: number;
  /** `asyncBackingParams.allowedAncestryLen`: relay parents down to `relayBestNumber - allowedAncestryLen` are in scope. */
  allowedAncestryLen: number;
  /**
   * Hashes of the relay blocks in the allowed ancestry (the relay parent and its ancestors). When given, a
   * block's relay parent must also be one of them, which rejects blocks built on an abandoned relay fork.
   */
  relayAncestry?: readonly Uint8Array[];
  /** Deepest depth considered (included = 0). Default `DEFAULT_MAX_PARENT_DEPTH`. */
  maxDepth?: number;
}

/** The block to build on and where it sits. */
export interface ParentChoice {
  /** Hash of the parent block. */
  hash: Uint8Array;
  /** Distance from the included head: 0 for the included head, 1 for the first pending block, ... */
  depth: number;
  /** Whether it is the included head, a block pending availability, or a block of the unincluded segment. */
  kind: "included" | "pending" | "segment";
  /** The segment entry of the parent, when the segment holds it. */
  entry?: SelectableBlock;
}

/**
 * The lookahead collator's parent (cumulus `find_parent` / `find_potential_parents`, and the current SDK
 * `find_parent_for_building`): the included head is a potential parent at depth 0 and each pending block
 * at its chain position, whatever its relay parent. From the deepest pending block (or the included head) the
 * search descends through segment blocks whose relay parent is in the allowed ancestry; a block out of scope
 * is not a potential parent and its descendants are not explored. Branches leaving the pending chain are
 * ignored (`ignore_alternative_branches`). Among the potential parents the deepest wins; at equal depth the
 * lowest hash, as prospective parachains resolves forks.
 */
export function selectParent(input: ParentSearchInput): ParentChoice {
  const maxDepth = input.maxDepth ?? DEFAULT_MAX_PARENT_DEPTH;
  const byHash = new Map<string, SelectableBlock>();
  const children = new Map<string, SelectableBlock[]>();
  for (const e of input.entries) {
    byHash.set(toHex(e.hash), e);
    const key = toHex(e.parentHash);
    const list = children.get(key);
    if (list === undefined) children.set(key, [e]);
    else list.push(e);
  }
  const withEntry = (choice: Omit<ParentChoice, "entry">): ParentChoice => {
    const entry = byHash.get(toHex(choice.hash));
    return entry === undefined ? choice : { ...choice, entry };
  };

  let start = withEntry({ hash: input.includedHash, depth: 0, kind: "included" });
  // Pending blocks are always potential parents (upstream: depth 1 "pending" without a relay-parent check);
  // a pending hash equal to the included head adds nothing.
  for (const pending of input.pendingHashes) {
    if (bytesEqual(pending, input.includedHash)) continue;
    if (start.depth + 1 > maxDepth) break;
    start = withEntry({ hash: pending, depth: start.depth + 1, kind: "pending" });
  }

  const minRelayParent = input.relayBestNumber - input.allowedAncestryLen;
  const ancestry = input.relayAncestry === undefined ? undefined : new Set(input.relayAncestry.map(toHex));
  const inScope = (e: SelectableBlock) =>
    e.relayParentNumber >= minRelayParent &&
    e.relayParentNumber <= input.relayBestNumber &&
    (ancestry === undefined || ancestry.has(toHex(e.relayParentHash)));

  let best = start;
  const stack: ParentChoice[] = [start];
  const visited = new Set<string>([toHex(start.hash)]);
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const child of children.get(toHex(node.hash)) ?? []) {
      const depth = node.depth + 1;
      if (depth > maxDepth || !inScope(child) || visited.has(toHex(child.hash))) continue;
      visited.add(toHex(child.hash));
      const choice: ParentChoice = { hash: child.hash, depth, kind: "segment", entry: child };
      if (depth > best.depth || (depth === best.depth && compareBytes(child.hash, best.hash) < 0)) best = choice;
      stack.push(choice);
    }
  }
  return best;
}

/** `selectParent`'s result and whether to build on it now. */
export interface BuildDecision {
  /** The chosen parent. */
  parent: ParentChoice;
  /** Whether a block should be built on `parent`. */
  build: boolean;
  /** Whether the runtime's `canBuildUpon` was asked (not when the parent is the included head). */
  checkedCanBuildUpon: boolean;
}

/**
 * The lookahead build condition: the parent from `selectParent`, then the runtime's `can_build_upon(parent,
 * included, slot)` (segment after included below capacity, at most `velocity + 1` blocks per relay slot).
 * As upstream, the check is skipped when the parent is the included head: building on an empty segment is
 * always legal, and the runtime cannot know the hash of its own parent's predecessor yet.
 */
export function shouldBuild(
  input: ParentSearchInput,
  canBuildUpon: (parent: ParentChoice, includedHash: Uint8Array) => boolean,
): BuildDecision {
  const parent = selectParent(input);
  if (parent.kind === "included") return { parent, build: true, checkedCanBuildUpon: false };
  return { parent, build: canBuildUpon(parent, input.includedHash), checkedCanBuildUpon: true };
}
