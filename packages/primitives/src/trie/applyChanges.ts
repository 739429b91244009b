import { blake2_256 } from "../hashing.js";
import { EMPTY_TRIE_ROOT, encodeNode, isEmptyRoot } from "./codec.js";
import { encodeCompactU32 } from "./compact.js";
import { compareKeys } from "./nibbles.js";
import { EMPTY_NODE_STORE, type NodeStore } from "./nodeStore.js";
import { loadNode } from "./trie.js";

/** Result of `applyChanges`. */
export interface ApplyChangesResult {
  /** Root of the trie after the changes. */
  root: Uint8Array;
  /** Nodes created for the new trie: 0x-prefixed lower-case hex hash → encoded node. */
  newNodes: Map<string, Uint8Array>;
}

/** A child reference while updating: the hash of a stored node, or a new node not hashed yet. */
type Ref = Uint8Array | PendingNode;

/** Same shape as a decoded `TrieNode`, so stored nodes and new nodes go through the same code. */
interface PendingNode {
  readonly partial: Uint8Array;
  readonly value: Uint8Array | undefined;
  readonly children: readonly (Ref | undefined)[] | undefined;
}

interface Change {
  readonly key: Uint8Array;
  readonly nib: Uint8Array;
  /** `null` deletes. */
  readonly value: Uint8Array | null;
}

/**
 * Applies a whole batch of changes (`null` deletes; for a repeated key the last change wins) to the trie at
 * `root` and hashes each touched node once. Reads only the nodes on the paths of the changed keys (plus the
 * sibling a deletion merges with), so a witness recorded around it stays small. The result depends only on
 * the final key/value set (deletion restores the canonical shape).
 */
export function applyChanges(
  store: NodeStore,
  root: Uint8Array,
  changes: Iterable<readonly [Uint8Array, Uint8Array | null]>,
): ApplyChangesResult {
  const newNodes = new Map<string, Uint8Array>();
  return { root: applyInternal(store, root, changes, newNodes), newNodes };
}

/** Root of the trie holding exactly `entries` (for a repeated key the last one wins). */
export function trieRoot(entries: Iterable<readonly [Uint8Array, Uint8Array]>): Uint8Array {
  return applyInternal(EMPTY_NODE_STORE, EMPTY_TRIE_ROOT, entries, undefined);
}

/** Root of the trie mapping SCALE `compact(index)` to each value: the extrinsics root of a block. */
export function orderedTrieRoot(values: readonly Uint8Array[]): Uint8Array {
  return trieRoot(values.map((v, i) => [encodeCompactU32(i), v] as const));
}

function applyInternal(
  store: NodeStore,
  root: Uint8Array,
  changes: Iterable<readonly [Uint8Array, Uint8Array | null]>,
  newNodes: Map<string, Uint8Array> | undefined,
): Uint8Array {
  const sorted: Change[] = [];
  for (const [key, value] of changes) sorted.push({ key, nib: EMPTY, value });
  // Stable sort, then keep the last change of each key.
  sorted.sort((a, b) => compareKeys(a.key, b.key));
  const list: Change[] = [];
  let total = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i + 1 < sorted.length && compareKeys(sorted[i].key, sorted[i + 1].key) === 0) continue;
    list.push(sorted[i]);
    total += sorted[i].key.length * 2;
  }
  // One buffer for every key's nibbles: a typed-array allocation costs more than filling it.
  const nibbles = new Uint8Array(total);
  let at = 0;
  for (let i = 0; i < list.length; i++) {
    const { key, value } = list[i];
    const nib = nibbles.subarray(at, at + key.length * 2);
    for (let j = 0; j < key.length; j++) {
      nib[2 * j] = key[j] >>> 4;
      nib[2 * j + 1] = key[j] & 15;
    }
    at += nib.length;
    list[i] = { key, nib, value };
  }
  const updater = new Updater(store);
  const result = isEmptyRoot(root)
    ? updater.buildInserts(list, 0, list.length, 0)
    : updater.update(root, 0, list, 0, list.length);
  if (result === undefined) return EMPTY_TRIE_ROOT;
  if (result instanceof Uint8Array) return result;
  return hashPending(result, newNodes);
}

const EMPTY = new Uint8Array(0);

class Updater {
  constructor(private readonly store: NodeStore) {}

  /** Applies `ch[lo..hi)` (sorted, sharing nibbles `[0, offset)`) to the subtree `ref` whose partial key starts at `offset`. */
  update(ref: Ref, offset: number, ch: Change[], lo: number, hi: number): Ref | undefined {
    const node = ref instanceof Uint8Array ? loadNode(this.store, ref) : ref;
    return node.children === undefined
      ? this.updateLeaf(ref, node, offset, ch, lo, hi)
      : this.updateBranch(ref, node, offset, ch, lo, hi);
  }

  /** Builds a subtree from the insertions among `ch[lo..hi)` (deletions of absent keys are no-ops). */
  buildInserts(ch: Change[], lo: number, hi: number, offset: number): PendingNode | undefined {
    const entries: Change[] = [];
    for (let i = lo; i < hi; i++) if (ch[i].value !== null) entries.push(ch[i]);
    return build(entries, 0, entries.length, offset);
  }

  private updateLeaf(
    ref: Ref,
    leaf: PendingNode,
    offset: number,
    ch: Change[],
    lo: number,
    hi: number,
  ): Ref | undefined {
    const partial = leaf.partial;
    const leafValue = leaf.value!;
    if (hi - lo === 1 && ch[lo].value !== null && compareTail(ch[lo].nib, offset, partial) === 0) {
      // The common case of a block: one existing value overwritten.
      const value = ch[lo].value!;
      return sameBytes(value, leafValue) ? ref : { partial, value, children: undefined };
    }
    const entries: Change[] = [];
    let changed = false;
    let placed = false;
    for (let i = lo; i < hi; i++) {
      const c = ch[i];
      const r = compareTail(c.nib, offset, partial);
      if (r === 0) {
        placed = true;
        if (c.value === null) changed = true;
        else {
          if (!sameBytes(c.value, leafValue)) changed = true;
          entries.push(c);
        }
        continue;
      }
      if (!placed && r > 0) {
        entries.push(leafEntry(ch[lo].nib, offset, partial, leafValue));
        placed = true;
      }
      if (c.value !== null) {
        entries.push(c);
        changed = true;
      }
    }
    if (!changed) return ref;
    if (!placed) entries.push(leafEntry(ch[lo].nib, offset, partial, leafValue));
    return build(entries, 0, entries.length, offset);
  }

  private updateBranch(
    ref: Ref | undefined,
    branch: PendingNode,
    offset: number,
    ch: Change[],
    lo: number,
    hi: number,
  ): Ref | undefined {
    const partial = branch.partial;
    const plen = partial.length;
    // An insertion that leaves the branch's partial key splits it at the shortest divergence.
    let split = plen;
    for (let i = lo; i < hi; i++) {
      if (ch[i].value === null) continue;
      const m = matchLength(ch[i].nib, offset, partial);
      if (m < split) split = m;
    }
    if (split < plen) {
      const children = new Array<Ref | undefined>(16).fill(undefined);
      children[partial[split]] = {
        partial: partial.subarray(split + 1),
        value: branch.value,
        children: branch.children,
      };
      const top: PendingNode = { partial: partial.subarray(0, split), value: undefined, children };
      return this.updateBranch(undefined, top, offset, ch, lo, hi);
    }

    const pos = offset + plen;
    const children = branch.children!;
    let kids: (Ref | undefined)[] | undefined;
    let value = branch.value;
    let changed = false;
    let i = lo;
    while (i < hi) {
      const c = ch[i];
      // Deletions of keys outside this subtree are no-ops (insertions were handled by the split).
      if (matchLength(c.nib, offset, partial) < plen) {
        i++;
        continue;
      }
      if (c.nib.length === pos) {
        if (c.value === null) {
          if (value !== undefined) {
            value = undefined;
            changed = true;
          }
        } else if (value === undefined || !sameBytes(value, c.value)) {
          value = c.value;
          changed = true;
        }
        i++;
        continue;
      }
      const n = c.nib[pos];
      let j = i + 1;
      while (
        j < hi &&
        ch[j].nib.length > pos &&
        ch[j].nib[pos] === n &&
        matchLength(ch[j].nib, offset, partial) === plen
      ) {
        j++;
      }
      const old = children[n];
      const next = old === undefined ? this.buildInserts(ch, i, j, pos + 1) : this.update(old, pos + 1, ch, i, j);
      if (next !== old) {
        kids ??= children.slice();
        kids[n] = next;
        changed = true;
      }
      i = j;
    }
    if (!changed && ref !== undefined) return ref;

    // Restore the canonical shape: no branch with fewer than two children unless it has a value.
    const slots = kids ?? children;
    let count = 0;
    let only = -1;
    for (let k = 0; k < 16; k++) {
      if (slots[k] !== undefined) {
        count++;
        only = k;
      }
    }
    if (count === 0) return value === undefined ? undefined : { partial, value, children: undefined };
    if (count === 1 && value === undefined) {
      const child = slots[only]!;
      const node = child instanceof Uint8Array ? loadNode(this.store, child) : child;
      const merged = new Uint8Array(plen + 1 + node.partial.length);
      merged.set(partial);
      merged[plen] = only;
      merged.set(node.partial, plen + 1);
      return { partial: merged, value: node.value, children: node.children };
    }
    return { partial, value, children: slots };
  }
}

/** Builds the canonical subtree of `entries[a..b)` (sorted, distinct, non-null values) at nibble `offset`. */
function build(entries: Change[], a: number, b: number, offset: number): PendingNode | undefined {
  if (a === b) return undefined;
  const first = entries[a];
  if (b - a === 1) return { partial: first.nib.subarray(offset), value: first.value!, children: undefined };
  const last = entries[b - 1];
  // Sorted: the prefix common to the first and the last is common to all.
  let pos = offset;
  const max = Math.min(first.nib.length, last.nib.length);
  while (pos < max && first.nib[pos] === last.nib[pos]) pos++;
  let value: Uint8Array | undefined;
  let i = a;
  if (first.nib.length === pos) {
    value = first.value!;
    i++;
  }
  const children = new Array<Ref | undefined>(16).fill(undefined);
  while (i < b) {
    const n = entries[i].nib[pos];
    let j = i + 1;
    while (j < b && entries[j].nib[pos] === n) j++;
    children[n] = build(entries, i, j, pos + 1);
    i = j;
  }
  return { partial: first.nib.subarray(offset, pos), value, children };
}

/** Hashes a new subtree bottom-up (each node once), recording the encodings in `newNodes`. */
function hashPending(node: PendingNode, newNodes: Map<string, Uint8Array> | undefined): Uint8Array {
  let hashes: (Uint8Array | undefined)[] | undefined;
  if (node.children !== undefined) {
    hashes = new Array<Uint8Array | undefined>(16);
    for (let k = 0; k < 16; k++) {
      const c = node.children[k];
      hashes[k] = c === undefined || c instanceof Uint8Array ? c : hashPending(c, newNodes);
    }
  }
  const encoded = encodeNode(node.partial, node.value, hashes);
  const hash = blake2_256(encoded);
  newNodes?.set(hashToHex(hash), encoded);
  return hash;
}

/** An entry for the leaf at nibble path `prefix[0..offset) + partial`. */
function leafEntry(prefix: Uint8Array, offset: number, partial: Uint8Array, value: Uint8Array): Change {
  const nib = new Uint8Array(offset + partial.length);
  nib.set(prefix.subarray(0, offset));
  nib.set(partial, offset);
  return { key: EMPTY, nib, value };
}

/** How many nibbles of `partial` match `nib` from `offset`. */
function matchLength(nib: Uint8Array, offset: number, partial: Uint8Array): number {
  const n = Math.min(partial.length, nib.length - offset);
  let i = 0;
  while (i < n && nib[offset + i] === partial[i]) i++;
  return i;
}

/** Compares `nib[offset..]` with `partial`. */
function compareTail(nib: Uint8Array, offset: number, partial: Uint8Array): number {
  const rest = nib.length - offset;
  const n = Math.min(rest, partial.length);
  for (let i = 0; i < n; i++) {
    const d = nib[offset + i] - partial[i];
    if (d !== 0) return d;
  }
  return rest - partial.length;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const HEX_CODES = new Uint16Array(512);
for (let i = 0; i < 256; i++) {
  const hex = i.toString(16).padStart(2, "0");
  HEX_CODES[2 * i] = hex.charCodeAt(0);
  HEX_CODES[2 * i + 1] = hex.charCodeAt(1);
}
const hexScratch: number[] = new Array<number>(2 + 2 * 32).fill(0);
hexScratch[0] = 0x30; // "0"
hexScratch[1] = 0x78; // "x"

/** `toHex` of a 32-byte hash, about twice as fast (one flat string, no Buffer view). */
function hashToHex(hash: Uint8Array): string {
  for (let i = 0; i < 32; i++) {
    const b = hash[i];
    hexScratch[2 + 2 * i] = HEX_CODES[2 * b];
    hexScratch[3 + 2 * i] = HEX_CODES[2 * b + 1];
  }
  return String.fromCharCode.apply(null, hexScratch);
}
