/**
 * Seeded generation of malformed network messages: from a message kind's valid shape (a real encoding, or one
 * built from the wire types of `@parapipe/primitives`' registry) it derives random bytes, empty messages, cut or
 * extended encodings, flipped bytes, wrong SCALE lengths, oversized messages and well-formed messages with a
 * signature that does not verify. The same seed gives the same messages, so a failure reproduces.
 */
import { createHash } from "node:crypto";

/** A deterministic source of numbers and bytes (mulberry32): the same seed gives the same sequence. */
export class SeededRandom {
  /** The seed this generator started from. */
  readonly seed: number;
  private state: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.state = this.seed;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const word = Math.floor(this.next() * 4294967296);
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (word >>> (8 * j)) & 0xff;
    }
    return out;
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of `items` (which must not be empty). */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** A size in [1, max], log-uniform, so that tiny and large inputs are both well represented. */
  size(max: number): number {
    const bits = this.int(0, Math.max(0, Math.ceil(Math.log2(Math.max(1, max)))));
    return Math.max(1, Math.min(max, this.int(Math.max(1, 2 ** (bits - 1)), 2 ** bits)));
  }
}

/**
 * The ways a generated message is malformed:
 * - `random`: random bytes of a random size within the limit;
 * - `empty`: no bytes at all (at most once per kind: identical gossip is one message);
 * - `truncated`: a valid encoding cut short;
 * - `trailingBytes`: a valid encoding followed by extra bytes (an exact decode refuses them);
 * - `bitFlip`: a valid encoding with one byte changed;
 * - `badLength`: a valid encoding with a wrong or oversized SCALE compact length inserted at a length prefix;
 * - `oversized`: above the kind's size limit;
 * - `badSignature`: a well-formed message whose signature (or seal) is random, so it does not verify.
 */
export const MALFORMATIONS = [
  "random",
  "empty",
  "truncated",
  "trailingBytes",
  "bitFlip",
  "badLength",
  "oversized",
  "badSignature",
] as const;

/** One of `MALFORMATIONS`. */
export type Malformation = (typeof MALFORMATIONS)[number];

/** How often each malformation is drawn, relative to the others (oversized messages are costly: rarer). */
export const DEFAULT_MALFORMATION_WEIGHTS: Readonly<Record<Malformation, number>> = {
  random: 3,
  empty: 1,
  truncated: 2,
  trailingBytes: 1,
  bitFlip: 2,
  badLength: 2,
  oversized: 1,
  badSignature: 3,
};

/** A valid encoding of a message kind, with where its parts are. */
export interface ValidShape {
  bytes: Uint8Array;
  /** Offset of a 64-byte sr25519 signature (or seal) in `bytes`; without it there is no `badSignature`. */
  signatureAt?: number;
  /** Offsets of SCALE compact length prefixes in `bytes` (`badLength` inserts a wrong one there). */
  lengthAt?: readonly number[];
}

/** Makes a valid shape of a kind, fresh fields each call (random hashes, indices, signatures). */
export type ShapeMaker = (rng: SeededRandom) => ValidShape;

/** What the generator knows about one message kind (a gossip topic or a request protocol). */
export interface MessageKind {
  /** Short name for reports (`block`, `collation-fetch`...). */
  name: string;
  /** The receiver's size limit: larger messages are refused unread. */
  maxBytes: number;
  /** The largest message the sender can put on the wire (oversized ones are capped here). */
  sendLimit: number;
  /**
   * Largest `random` message (default the smaller of `maxBytes` and 64 KiB): multi-MiB random blocks cost the
   * flood far more than the receiver, which refuses them at the first bytes; `oversized` covers the limit itself.
   */
  randomMaxBytes?: number;
  /** Valid shapes of the kind; without one only `random`, `empty` and `oversized` are generated. */
  shape?: ShapeMaker;
  /**
   * Lengths at which ANY bytes decode to a well-formed message the receiver legitimately serves (a blocks-by-range
   * request is 8 bytes of two u32s): such outputs are not malformed and are never generated.
   */
  servedLengths?: readonly number[];
}

/** One generated message. */
export interface GeneratedMessage {
  kind: string;
  malformation: Malformation;
  bytes: Uint8Array;
}

/** A compact length prefix far beyond any buffer (mode 3, 8 bytes: 2^64 - 1). */
const HUGE_COMPACT = Uint8Array.of(0x13, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/**
 * Generates malformed messages of several kinds from one seed. Each kind's messages are unique (gossip ids are
 * content hashes: a repeat would be dropped as a duplicate before validation, and count for nothing).
 */
export class MalformedGenerator {
  readonly rng: SeededRandom;
  private readonly seen = new Map<string, Set<string>>();
  private readonly weights: Array<[Malformation, number]>;

  constructor(seed: number, weights: Partial<Record<Malformation, number>> = {}) {
    this.rng = new SeededRandom(seed);
    this.weights = MALFORMATIONS.map((m) => [m, weights[m] ?? DEFAULT_MALFORMATION_WEIGHTS[m]]);
  }

  /** The malformations `kind` can have (some need a shape, a signature, or room above the limit). */
  malformationsOf(kind: MessageKind): Malformation[] {
    return MALFORMATIONS.filter((m) => this.possible(kind, m));
  }

  /** A new malformed message of `kind`, unique among those generated for it. */
  next(kind: MessageKind): GeneratedMessage {
    let seen = this.seen.get(kind.name);
    if (seen === undefined) {
      seen = new Set();
      this.seen.set(kind.name, seen);
    }
    const options = this.weights.filter(([m, w]) => w > 0 && this.possible(kind, m));
    for (let attempt = 0; attempt < 1000; attempt++) {
      const malformation = this.draw(options);
      const bytes = this.make(kind, malformation);
      if (bytes === undefined) continue;
      if (bytes.length <= kind.maxBytes && kind.servedLengths?.includes(bytes.length) === true) continue;
      const key = contentKey(bytes);
      if (seen.has(key)) continue;
      seen.add(key);
      return { kind: kind.name, malformation, bytes };
    }
    // Only reachable with a kind whose every option is exhausted (e.g. nothing but `empty`).
    throw new RangeError(`cannot generate another distinct malformed ${kind.name} message`);
  }

  private possible(kind: MessageKind, m: Malformation): boolean {
    switch (m) {
      case "random":
      case "empty":
        return true;
      case "oversized":
        return kind.sendLimit > kind.maxBytes;
      case "badSignature":
        return kind.shape !== undefined && kind.shape(new SeededRandom(1)).signatureAt !== undefined;
      default:
        return kind.shape !== undefined;
    }
  }

  private draw(options: Array<[Malformation, number]>): Malformation {
    const total = options.reduce((s, [, w]) => s + w, 0);
    let x = this.rng.next() * total;
    for (const [m, w] of options) {
      x -= w;
      if (x < 0) return m;
    }
    return options[options.length - 1]![0];
  }

  private make(kind: MessageKind, m: Malformation): Uint8Array | undefined {
    const rng = this.rng;
    switch (m) {
      case "random":
        return rng.bytes(rng.size(kind.randomMaxBytes ?? Math.min(kind.maxBytes, 64 * 1024)));
      case "empty":
        return new Uint8Array(0);
      case "oversized": {
        const room = Math.min(kind.sendLimit - kind.maxBytes, Math.max(1024, Math.floor(kind.maxBytes / 4)));
        return rng.bytes(kind.maxBytes + rng.int(1, room));
      }
      default:
        break;
    }
    const shape = kind.shape!(rng);
    const v = shape.bytes;
    switch (m) {
      case "truncated":
        return v.length < 2 ? undefined : v.slice(0, rng.int(1, v.length - 1));
      case "trailingBytes": {
        const extra = rng.bytes(rng.int(1, 16));
        const out = new Uint8Array(v.length + extra.length);
        out.set(v);
        out.set(extra, v.length);
        return out.length > kind.maxBytes ? undefined : out;
      }
      case "bitFlip": {
        if (v.length === 0) return undefined;
        const out = v.slice();
        const i = rng.int(0, v.length - 1);
        out[i] = out[i]! ^ rng.int(1, 255);
        return out;
      }
      case "badLength": {
        const at = shape.lengthAt !== undefined && shape.lengthAt.length > 0 ? rng.pick(shape.lengthAt) : 0;
        // Either a length far beyond the buffer, or the real one off by a little (one more/fewer element).
        const prefix = rng.next() < 0.5 ? HUGE_COMPACT : Uint8Array.of((rng.int(1, 63) << 2) | 0);
        const out = new Uint8Array(v.length + prefix.length);
        out.set(v.subarray(0, at));
        out.set(prefix, at);
        out.set(v.subarray(at), at + prefix.length);
        return out.length > kind.maxBytes ? undefined : out;
      }
      case "badSignature": {
        if (shape.signatureAt === undefined) return undefined;
        const out = v.slice();
        out.set(rng.bytes(64), shape.signatureAt);
        return out;
      }
    }
  }
}

function contentKey(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("base64");
}
