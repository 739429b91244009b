import { type ApplyChangesResult, applyChanges } from "./applyChanges.js";
import { BytesMap } from "./bytesMap.js";
import { StateOverlayError } from "./errors.js";
import { compareKeys, hasPrefix } from "./nibbles.js";
import type { NodeStore } from "./nodeStore.js";
import type { Trie } from "./trie.js";

// Marks, in a transaction's undo log, a key that had no overlay entry before the transaction wrote it.
const ABSENT: unique symbol = Symbol("absent");

/**
 * The writes of one block on top of its parent state, as block execution sees them: reads go to the overlay
 * first, then to the trie; writes stay in memory until `commit` turns them into a new trie root. Nested
 * transactions mirror FRAME storage layers (a failed call's writes are rolled back, the fee charge kept).
 * Keys and values are held by reference: do not mutate them after passing them in.
 */
export class StateOverlay {
  /** key → value written in this block (`null` = deleted). */
  private readonly current = new BytesMap<Uint8Array | null>();
  /** Values read from the trie (`null` = absent there), so repeated reads do not walk the trie again. */
  private readonly trieReads = new BytesMap<Uint8Array | null>();
  /** Per open transaction: key → the overlay entry it had before the transaction first wrote it. */
  private readonly undo: BytesMap<Uint8Array | null | typeof ABSENT>[] = [];

  constructor(
    /** The parent state. */
    readonly trie: Trie,
  ) {}

  /** Number of open transactions. */
  get transactionDepth(): number {
    return this.undo.length;
  }

  /** The current value of `key` (overlay first, then the trie); a deleted key reads `undefined`. */
  get(key: Uint8Array): Uint8Array | undefined {
    const v = this.current.get(key);
    if (v !== undefined) return v === null ? undefined : v;
    const cached = this.trieReads.get(key);
    if (cached !== undefined) return cached === null ? undefined : cached;
    const read = this.trie.get(key);
    this.trieReads.set(key, read ?? null);
    return read;
  }

  /** Whether `key` currently has a value (an empty value counts). */
  has(key: Uint8Array): boolean {
    return this.get(key) !== undefined;
  }

  /** Writes `value` under `key`. */
  set(key: Uint8Array, value: Uint8Array): void {
    this.write(key, value);
  }

  /** Deletes `key`. */
  delete(key: Uint8Array): void {
    this.write(key, null);
  }

  /** Opens a nested transaction (storage layer). */
  startTransaction(): void {
    this.undo.push(new BytesMap());
  }

  /** Keeps the writes of the innermost transaction (they join the enclosing one, if any). */
  commitTransaction(): void {
    const top = this.undo.pop();
    if (top === undefined) throw noTransaction("commitTransaction");
    const parent = this.undo[this.undo.length - 1];
    if (parent === undefined) return;
    top.forEach((prev, key) => {
      if (!parent.has(key)) parent.set(key, prev);
    });
  }

  /** Discards the writes of the innermost transaction. */
  rollbackTransaction(): void {
    const top = this.undo.pop();
    if (top === undefined) throw noTransaction("rollbackTransaction");
    top.forEach((prev, key) => {
      if (prev === ABSENT) this.current.delete(key);
      else this.current.set(key, prev);
    });
  }

  /** Every key starting with `prefix` in the merged view (trie + overlay), in key order. */
  keysWithPrefix(prefix: Uint8Array): Uint8Array[] {
    const fromTrie: Uint8Array[] = [];
    for (const [key] of this.trie.entries(prefix)) if (this.current.get(key) === undefined) fromTrie.push(key);
    const fromOverlay: Uint8Array[] = [];
    this.current.forEach((value, key) => {
      if (value !== null && hasPrefix(key, prefix)) fromOverlay.push(key);
    });
    if (fromOverlay.length === 0) return fromTrie;
    fromOverlay.sort(compareKeys);
    const out: Uint8Array[] = [];
    let i = 0;
    let j = 0;
    while (i < fromTrie.length || j < fromOverlay.length) {
      if (j === fromOverlay.length || (i < fromTrie.length && compareKeys(fromTrie[i], fromOverlay[j]) < 0)) {
        out.push(fromTrie[i++]);
      } else out.push(fromOverlay[j++]);
    }
    return out;
  }

  /** The block's writes sorted by key (`null` = delete). Throws if a transaction is still open. */
  changes(): Array<[Uint8Array, Uint8Array | null]> {
    if (this.undo.length > 0) {
      throw new StateOverlayError(
        { code: "TRANSACTION_OPEN", depth: this.undo.length },
        `cannot take the changes while ${this.undo.length} transaction(s) are open`,
      );
    }
    const out: Array<[Uint8Array, Uint8Array | null]> = [];
    this.current.forEach((value, key) => {
      out.push([key, value]);
    });
    out.sort((a, b) => compareKeys(a[0], b[0]));
    return out;
  }

  /** Applies the changes to the parent trie: the new state root and the nodes to persist. */
  commit(store: NodeStore): ApplyChangesResult {
    return applyChanges(store, this.trie.root, this.changes());
  }

  private write(key: Uint8Array, value: Uint8Array | null): void {
    const depth = this.undo.length;
    if (depth > 0) {
      const top = this.undo[depth - 1];
      if (!top.has(key)) {
        const prev = this.current.get(key);
        top.set(key, prev === undefined ? ABSENT : prev);
      }
    }
    this.current.set(key, value);
  }
}

function noTransaction(op: string): StateOverlayError {
  return new StateOverlayError({ code: "NO_OPEN_TRANSACTION" }, `${op} called with no open transaction`);
}
