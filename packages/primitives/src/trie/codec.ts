import { blake2_256 } from "../hashing.js";
import { compactLength, NodeReader, writeCompact } from "./compact.js";

/*
 * Node codec (radix 16, no extension nodes, every child referenced by its 32-byte blake2-256 hash; no
 * inline nodes, so a node's hash is always blake2_256(encoding) and a witness is a flat set of nodes).
 *
 *   node     = header [nibbleCountExt] packedNibbles body
 *   header   = kind (bits 7-6) | min(nibbleCount, 63) (bits 5-0)
 *              kind 00 = Empty (the whole encoding is the single byte 0x00)
 *                   01 = Leaf, 10 = Branch without value, 11 = Branch with value
 *   nibbleCountExt = compact(nibbleCount - 63), present only when the low 6 header bits are 63
 *   packedNibbles  = ceil(n / 2) bytes, first nibble in the high half; an odd count pads the last low half with 0
 *   Leaf body      = compact(valueLength) value
 *   Branch body    = childBitmap (u16 LE, bit i = child i present) [compact(valueLength) value] childHash{popcount}
 *
 * compact = SCALE compact u32. Decoding is strict (canonical compacts, zero padding, no trailing bytes,
 * 32-byte hashes, a branch without value has at least two children, with value at least one) and throws
 * `CorruptTrieNodeError` on anything else.
 */

/** Length of a node hash (blake2-256). */
export const HASH_LENGTH = 32;

/** A decoded trie node. `partial` holds one nibble (0-15) per byte; `children === undefined` means a leaf. */
export interface TrieNode {
  /** The node's partial key, one nibble per byte. */
  readonly partial: Uint8Array;
  /** The value stored at this node (always set for a leaf). */
  readonly value: Uint8Array | undefined;
  /** For a branch: 16 slots holding the child's node hash or `undefined`. */
  readonly children: readonly (Uint8Array | undefined)[] | undefined;
}

const KIND_LEAF = 0x40;
const KIND_BRANCH = 0x80;
const KIND_BRANCH_VALUE = 0xc0;

/** The encoding of the empty trie: a single 0x00 byte. */
export const EMPTY_TRIE_NODE: Uint8Array = new Uint8Array([0]);

/** Root of the empty trie: `blake2_256(0x00)`. The empty node need not be in any store. */
export const EMPTY_TRIE_ROOT: Uint8Array = blake2_256(EMPTY_TRIE_NODE);

/** Whether `root` is the root of the empty trie. */
export function isEmptyRoot(root: Uint8Array): boolean {
  if (root.length !== HASH_LENGTH) return false;
  for (let i = 0; i < HASH_LENGTH; i++) if (root[i] !== EMPTY_TRIE_ROOT[i]) return false;
  return true;
}

/**
 * Encodes a leaf (`children === undefined`, `value` required) or a branch (16 child slots of 32-byte hashes).
 * Pass `undefined` partial/value/children for nothing; use `EMPTY_TRIE_NODE` for the empty trie.
 */
export function encodeNode(
  partial: Uint8Array,
  value: Uint8Array | undefined,
  children: readonly (Uint8Array | undefined)[] | undefined,
): Uint8Array {
  const n = partial.length;
  let size = 1 + (n >= 63 ? compactLength(n - 63) : 0) + ((n + 1) >>> 1);
  let bitmap = 0;
  let kind: number;
  if (value !== undefined) size += compactLength(value.length) + value.length;
  if (children === undefined) {
    if (value === undefined) throw new TypeError("a leaf node needs a value");
    kind = KIND_LEAF;
  } else {
    kind = value === undefined ? KIND_BRANCH : KIND_BRANCH_VALUE;
    size += 2;
    for (let i = 0; i < 16; i++) {
      const c = children[i];
      if (c === undefined) continue;
      if (c.length !== HASH_LENGTH) throw new TypeError(`child hash must be ${HASH_LENGTH} bytes, got ${c.length}`);
      bitmap |= 1 << i;
      size += HASH_LENGTH;
    }
  }
  const out = new Uint8Array(size);
  out[0] = kind | Math.min(n, 63);
  let p = 1;
  if (n >= 63) p = writeCompact(out, p, n - 63);
  for (let i = 0; i + 1 < n; i += 2) out[p++] = (partial[i] << 4) | partial[i + 1];
  if (n & 1) out[p++] = partial[n - 1] << 4;
  if (children !== undefined) {
    out[p++] = bitmap & 0xff;
    out[p++] = bitmap >>> 8;
  }
  if (value !== undefined) {
    p = writeCompact(out, p, value.length);
    // TypedArray#set has a fixed cost that dominates for short values and hashes.
    if (value.length > 64) out.set(value, p);
    else for (let i = 0; i < value.length; i++) out[p + i] = value[i];
    p += value.length;
  }
  if (children !== undefined) {
    for (let i = 0; i < 16; i++) {
      const c = children[i];
      if (c === undefined) continue;
      for (let j = 0; j < HASH_LENGTH; j++) out[p + j] = c[j];
      p += HASH_LENGTH;
    }
  }
  return out;
}

/**
 * Decodes and validates an encoded node; `null` is the empty node. Throws `CorruptTrieNodeError` (with
 * `hash` when given) on malformed bytes. Returned arrays are views into `bytes`.
 */
export function decodeNode(bytes: Uint8Array, hash?: Uint8Array): TrieNode | null {
  const r = new NodeReader(bytes, hash);
  const header = r.u8();
  const kind = header & 0xc0;
  if (kind === 0) {
    if (header !== 0) r.fail(`invalid node header 0x${header.toString(16)}`);
    if (bytes.length !== 1) r.fail("trailing bytes after the empty node");
    return null;
  }
  let n = header & 63;
  if (n === 63) n += r.compact();
  r.need(Math.ceil(n / 2));
  const partial = new Uint8Array(n);
  let p = r.pos;
  for (let i = 0; i + 1 < n; i += 2) {
    const b = bytes[p++];
    partial[i] = b >>> 4;
    partial[i + 1] = b & 15;
  }
  if (n & 1) {
    const b = bytes[p++];
    if ((b & 15) !== 0) {
      r.pos = p - 1;
      r.fail("non-zero padding nibble");
    }
    partial[n - 1] = b >>> 4;
  }
  r.pos = p;
  let node: TrieNode;
  if (kind === KIND_LEAF) {
    const len = r.compact();
    node = { partial, value: r.take(len), children: undefined };
  } else {
    const bitmap = r.u16le();
    let value: Uint8Array | undefined;
    if (kind === KIND_BRANCH_VALUE) value = r.take(r.compact());
    const children = new Array<Uint8Array | undefined>(16).fill(undefined);
    let count = 0;
    for (let i = 0; i < 16; i++) {
      if ((bitmap & (1 << i)) === 0) continue;
      children[i] = r.take(HASH_LENGTH);
      count++;
    }
    if (value === undefined ? count < 2 : count < 1) {
      r.fail(`branch with ${count} children and ${value === undefined ? "no" : "a"} value is not canonical`);
    }
    node = { partial, value, children };
  }
  if (r.pos !== bytes.length) r.fail("trailing bytes after the node");
  return node;
}
