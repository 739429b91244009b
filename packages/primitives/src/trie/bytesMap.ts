/*
 * A hash map keyed by byte strings, without converting keys to hex or other strings (that conversion
 * dominates lookups of 32-80 byte keys). Buckets are chained under a 30-bit integer key so V8 keeps the
 * outer Map on small integers.
 */

interface Slot<V> {
  readonly key: Uint8Array;
  value: V;
  next: Slot<V> | undefined;
}

/** How a `BytesMap` turns a key into a bucket number. */
export type BytesHasher = (key: Uint8Array) => number;

/** FNV-1a over every byte: for keys that share long prefixes (FRAME storage keys). */
export function hashAllBytes(key: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i], 0x01000193);
  return h & 0x3fffffff;
}

/** The first four bytes: enough for keys that are already uniformly random (node hashes). */
export function hashRandomBytes(key: Uint8Array): number {
  if (key.length < 4) return hashAllBytes(key);
  return (key[0] | (key[1] << 8) | (key[2] << 16) | ((key[3] & 0x3f) << 24)) >>> 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Map from byte-string keys (compared by content) to values. Keys are kept by reference: callers must not
 * mutate a key after inserting it.
 */
export class BytesMap<V> {
  private readonly table = new Map<number, Slot<V>>();
  private count = 0;

  constructor(private readonly hasher: BytesHasher = hashAllBytes) {}

  /** Number of entries. */
  get size(): number {
    return this.count;
  }

  /** The value stored under `key`, or `undefined`. */
  get(key: Uint8Array): V | undefined {
    let s = this.table.get(this.hasher(key));
    while (s !== undefined) {
      if (sameBytes(s.key, key)) return s.value;
      s = s.next;
    }
    return undefined;
  }

  /** Whether `key` is present. */
  has(key: Uint8Array): boolean {
    let s = this.table.get(this.hasher(key));
    while (s !== undefined) {
      if (sameBytes(s.key, key)) return true;
      s = s.next;
    }
    return false;
  }

  /** Stores `value` under `key` (replacing any previous value). */
  set(key: Uint8Array, value: V): void {
    const h = this.hasher(key);
    const head = this.table.get(h);
    for (let s = head; s !== undefined; s = s.next) {
      if (sameBytes(s.key, key)) {
        s.value = value;
        return;
      }
    }
    this.table.set(h, { key, value, next: head });
    this.count++;
  }

  /** Removes `key`; returns whether it was present. */
  delete(key: Uint8Array): boolean {
    const h = this.hasher(key);
    let prev: Slot<V> | undefined;
    for (let s = this.table.get(h); s !== undefined; prev = s, s = s.next) {
      if (!sameBytes(s.key, key)) continue;
      if (prev !== undefined) prev.next = s.next;
      else if (s.next !== undefined) this.table.set(h, s.next);
      else this.table.delete(h);
      this.count--;
      return true;
    }
    return false;
  }

  /** Removes every entry. */
  clear(): void {
    this.table.clear();
    this.count = 0;
  }

  /** Calls `fn` for every entry (unspecified order). */
  forEach(fn: (value: V, key: Uint8Array) => void): void {
    for (const head of this.table.values()) {
      for (let s: Slot<V> | undefined = head; s !== undefined; s = s.next) fn(s.value, s.key);
    }
  }

  /** Every entry (unspecified order). */
  *entries(): Generator<[Uint8Array, V]> {
    for (const head of this.table.values()) {
      for (let s: Slot<V> | undefined = head; s !== undefined; s = s.next) yield [s.key, s.value];
    }
  }
}
