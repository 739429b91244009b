import { bytesEqual, toHex } from "@parapipe/primitives";
import { ForkChoiceError } from "../errors.js";
import type { BlockInfo } from "../interface.js";

/** The path between two blocks of the tree through their common ancestor. */
export interface TreeRoute {
  /** The highest block both are descendants of (or equal to). */
  common: BlockInfo;
  /** Blocks from `from` down to (excluding) `common`, highest first. */
  retracted: BlockInfo[];
  /** Blocks from (excluding) `common` up to `to`, ascending. */
  enacted: BlockInfo[];
}

/** Read-only queries over the unfinalized block tree (what fork-choice rules are given). */
export interface BlockTreeView {
  /** The finalized block: the root of the tree. */
  readonly root: BlockInfo;
  /** Number of blocks held (root included). */
  readonly size: number;
  get(hash: Uint8Array): BlockInfo | undefined;
  has(hash: Uint8Array): boolean;
  /** Children of `hash`, in the order they were first seen. */
  children(hash: Uint8Array): BlockInfo[];
  /** Blocks without children, in the order they were first seen. */
  leaves(): BlockInfo[];
  /** Whether `hash` is `ancestor` or one of its descendants (both must be in the tree, else false). */
  isDescendantOrSelf(hash: Uint8Array, ancestor: Uint8Array): boolean;
  /** Every block of the subtree under `hash` (itself first), breadth-first. */
  subtree(hash: Uint8Array): BlockInfo[];
  /** The route from `from` to `to` (both in the tree; `ForkChoiceError` `UNKNOWN_BLOCK` otherwise). */
  route(from: Uint8Array, to: Uint8Array): TreeRoute;
}

interface TreeNode {
  info: BlockInfo;
  /** Arrival order: ties between forks go to the block seen first. */
  seq: number;
  children: string[];
}

/**
 * The finalized block and every known block descending from it, in memory (Substrate's unfinalized block
 * tree). Finalized history lives only in the database; forks that do not descend from the finalized block are
 * never held (the importer refuses them, finalization prunes them).
 */
export class BlockTree implements BlockTreeView {
  private readonly nodes = new Map<string, TreeNode>();
  private rootHex: string;
  private nextSeq = 0;

  constructor(root: BlockInfo) {
    this.rootHex = toHex(root.hash);
    this.nodes.set(this.rootHex, { info: root, seq: this.nextSeq++, children: [] });
  }

  get root(): BlockInfo {
    return this.nodes.get(this.rootHex)!.info;
  }

  get size(): number {
    return this.nodes.size;
  }

  get(hash: Uint8Array): BlockInfo | undefined {
    return this.nodes.get(toHex(hash))?.info;
  }

  has(hash: Uint8Array): boolean {
    return this.nodes.has(toHex(hash));
  }

  children(hash: Uint8Array): BlockInfo[] {
    const n = this.nodes.get(toHex(hash));
    return n === undefined ? [] : n.children.map((c) => this.nodes.get(c)!.info);
  }

  leaves(): BlockInfo[] {
    return [...this.nodes.values()]
      .filter((n) => n.children.length === 0)
      .sort((a, b) => a.seq - b.seq)
      .map((n) => n.info);
  }

  /** Adds a block whose parent is in the tree. Returns false (and changes nothing) if it was already there. */
  add(info: BlockInfo): boolean {
    const hex = toHex(info.hash);
    if (this.nodes.has(hex)) return false;
    const parent = this.nodes.get(toHex(info.parentHash));
    if (parent === undefined) throw unknownBlock(toHex(info.parentHash), `parent of block ${hex}`);
    parent.children.push(hex);
    this.nodes.set(hex, { info, seq: this.nextSeq++, children: [] });
    return true;
  }

  /** Removes a leaf (used to undo an `add` whose database write failed). */
  removeLeaf(hash: Uint8Array): void {
    const hex = toHex(hash);
    const n = this.nodes.get(hex);
    if (n === undefined || n.children.length > 0 || hex === this.rootHex) return;
    this.nodes.delete(hex);
    const parent = this.nodes.get(toHex(n.info.parentHash));
    if (parent !== undefined) parent.children = parent.children.filter((c) => c !== hex);
  }

  isDescendantOrSelf(hash: Uint8Array, ancestor: Uint8Array): boolean {
    const anc = this.nodes.get(toHex(ancestor));
    let n = this.nodes.get(toHex(hash));
    if (anc === undefined || n === undefined) return false;
    while (n !== undefined && n.info.number > anc.info.number) n = this.nodes.get(toHex(n.info.parentHash));
    return n !== undefined && bytesEqual(n.info.hash, anc.info.hash);
  }

  subtree(hash: Uint8Array): BlockInfo[] {
    const start = this.nodes.get(toHex(hash));
    if (start === undefined) return [];
    const out: BlockInfo[] = [];
    const queue = [start];
    for (let i = 0; i < queue.length; i++) {
      const n = queue[i]!;
      out.push(n.info);
      for (const c of n.children) queue.push(this.nodes.get(c)!);
    }
    return out;
  }

  route(from: Uint8Array, to: Uint8Array): TreeRoute {
    let a = this.node(from);
    let b = this.node(to);
    const retracted: BlockInfo[] = [];
    const enacted: BlockInfo[] = [];
    while (a.info.number > b.info.number) {
      retracted.push(a.info);
      a = this.parentOf(a);
    }
    while (b.info.number > a.info.number) {
      enacted.push(b.info);
      b = this.parentOf(b);
    }
    while (a !== b) {
      retracted.push(a.info);
      enacted.push(b.info);
      a = this.parentOf(a);
      b = this.parentOf(b);
    }
    return { common: a.info, retracted, enacted: enacted.reverse() };
  }

  /**
   * Makes `hash` (a descendant of the root) the new root. Returns the blocks between the old root (excluded)
   * and the new one (included), ascending, and the blocks removed because they do not descend from it.
   */
  reroot(hash: Uint8Array): { finalized: BlockInfo[]; pruned: BlockInfo[] } {
    const target = this.node(hash);
    const finalized: BlockInfo[] = [];
    const path = new Set<string>();
    for (let n = target; ; n = this.parentOf(n)) {
      path.add(toHex(n.info.hash));
      if (toHex(n.info.hash) === this.rootHex) break;
      finalized.push(n.info);
    }
    finalized.reverse();
    const keep = new Set<string>(this.subtree(hash).map((b) => toHex(b.hash)));
    const pruned: BlockInfo[] = [];
    for (const [hex, n] of this.nodes) {
      if (keep.has(hex)) continue;
      if (!path.has(hex)) pruned.push(n.info);
      this.nodes.delete(hex);
    }
    this.rootHex = toHex(hash);
    return { finalized, pruned };
  }

  /** What `reroot(hash)` would prune, without changing the tree. */
  wouldPrune(hash: Uint8Array): BlockInfo[] {
    const path = new Set<string>();
    for (let n = this.node(hash); ; n = this.parentOf(n)) {
      path.add(toHex(n.info.hash));
      if (toHex(n.info.hash) === this.rootHex) break;
    }
    const keep = new Set<string>(this.subtree(hash).map((b) => toHex(b.hash)));
    return [...this.nodes.entries()].filter(([hex]) => !keep.has(hex) && !path.has(hex)).map(([, n]) => n.info);
  }

  private node(hash: Uint8Array): TreeNode {
    const n = this.nodes.get(toHex(hash));
    if (n === undefined) throw unknownBlock(toHex(hash), "block");
    return n;
  }

  private parentOf(n: TreeNode): TreeNode {
    const p = this.nodes.get(toHex(n.info.parentHash));
    if (p === undefined) throw unknownBlock(toHex(n.info.parentHash), `parent of block ${toHex(n.info.hash)}`);
    return p;
  }
}

function unknownBlock(hash: string, what: string): ForkChoiceError {
  return new ForkChoiceError({ code: "UNKNOWN_BLOCK", hash }, `${what}: ${hash} is not in the unfinalized block tree`);
}
