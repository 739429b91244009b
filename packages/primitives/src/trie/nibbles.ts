/** Nibbles (half bytes, high half first) of a key, one per byte of the result. */
export function toNibbles(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length * 2);
  for (let i = 0; i < key.length; i++) {
    out[2 * i] = key[i] >>> 4;
    out[2 * i + 1] = key[i] & 15;
  }
  return out;
}

/** The key whose nibbles are `nib` (an even count). */
export function fromNibbles(nib: Uint8Array): Uint8Array {
  const out = new Uint8Array(nib.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = (nib[2 * i] << 4) | nib[2 * i + 1];
  return out;
}

/** Lexicographic comparison of byte strings (a shorter prefix sorts first), without allocating. */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Whether `key` starts with `prefix`. */
export function hasPrefix(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}
