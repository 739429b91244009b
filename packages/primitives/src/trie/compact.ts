import { CorruptTrieNodeError } from "./errors.js";

/*
 * SCALE compact integers, restricted to the u32 range (lengths and extrinsic indices):
 *   0..63            1 byte   (v << 2)
 *   64..2^14-1       2 bytes  LE (v << 2) | 0b01
 *   2^14..2^30-1     4 bytes  LE (v << 2) | 0b10
 *   2^30..2^32-1     5 bytes  0b000000_11 then v as u32 LE
 * Decoding accepts only this canonical (shortest) form.
 */

const MAX_U32 = 0xffffffff;

/** Number of bytes of the SCALE compact encoding of `v` (a u32). */
export function compactLength(v: number): number {
  if (v < 1 << 6) return 1;
  if (v < 1 << 14) return 2;
  if (v < 1 << 30) return 4;
  return 5;
}

/** Writes the SCALE compact encoding of the u32 `v` at `pos`, returns the position after it. */
export function writeCompact(out: Uint8Array, pos: number, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > MAX_U32) throw new RangeError(`compact u32 out of range: ${v}`);
  if (v < 1 << 6) {
    out[pos] = v << 2;
    return pos + 1;
  }
  if (v < 1 << 14) {
    const x = (v << 2) | 1;
    out[pos] = x & 0xff;
    out[pos + 1] = x >>> 8;
    return pos + 2;
  }
  if (v < 1 << 30) {
    const x = ((v << 2) | 2) >>> 0;
    out[pos] = x & 0xff;
    out[pos + 1] = (x >>> 8) & 0xff;
    out[pos + 2] = (x >>> 16) & 0xff;
    out[pos + 3] = x >>> 24;
    return pos + 4;
  }
  out[pos] = 3;
  out[pos + 1] = v & 0xff;
  out[pos + 2] = (v >>> 8) & 0xff;
  out[pos + 3] = (v >>> 16) & 0xff;
  out[pos + 4] = v >>> 24;
  return pos + 5;
}

/** SCALE compact encoding of a u32 (the key of an ordered trie, e.g. an extrinsic index). */
export function encodeCompactU32(v: number): Uint8Array {
  const out = new Uint8Array(compactLength(v));
  writeCompact(out, 0, v);
  return out;
}

/** A bounds-checked cursor over an encoded node; every failure is a `CorruptTrieNodeError`. */
export class NodeReader {
  pos = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly hash: Uint8Array | undefined,
  ) {}

  fail(reason: string): never {
    throw new CorruptTrieNodeError(`${reason} (at byte ${this.pos} of ${this.bytes.length})`, this.hash);
  }

  need(n: number): void {
    if (this.pos + n > this.bytes.length) this.fail(`truncated: ${n} more bytes expected`);
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }

  u16le(): number {
    this.need(2);
    const b = this.bytes;
    const v = b[this.pos] | (b[this.pos + 1] << 8);
    this.pos += 2;
    return v;
  }

  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  compact(): number {
    const b0 = this.u8();
    switch (b0 & 3) {
      case 0:
        return b0 >>> 2;
      case 1: {
        const v = (b0 | (this.u8() << 8)) >>> 2;
        if (v < 1 << 6) this.fail("non-canonical compact integer");
        return v;
      }
      case 2: {
        this.need(3);
        const b = this.bytes;
        const p = this.pos;
        const v = (b0 | (b[p] << 8) | (b[p + 1] << 16) | (b[p + 2] << 24)) >>> 2;
        this.pos += 3;
        if (v < 1 << 14) this.fail("non-canonical compact integer");
        return v;
      }
      default: {
        if (b0 !== 3) this.fail("compact integer larger than u32");
        this.need(4);
        const b = this.bytes;
        const p = this.pos;
        const v = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
        this.pos += 4;
        if (v < 1 << 30) this.fail("non-canonical compact integer");
        return v;
      }
    }
  }
}
