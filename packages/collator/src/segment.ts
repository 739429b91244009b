import { blake2_256, bytesEqual, fromHex, toHex } from "@parapipe/primitives";
import { Bucket, type Database } from "@parapipe/storage";
import { SegmentError } from "./errors.js";

/**
 * Where a parablock of the unincluded segment stands, in pipeline order: built (persisted, not yet
 * announced), advertised to the backing group, seconded, backed (enough votes), pending availability (backed
 * on chain), included.
 */
export type SegmentStatus = "built" | "advertised" | "seconded" | "backed" | "pendingAvailability" | "included";

/** The statuses, in pipeline order. */
export const SEGMENT_STATUSES: readonly SegmentStatus[] = [
  "built",
  "advertised",
  "seconded",
  "backed",
  "pendingAvailability",
  "included",
];

/** One parablock the collator built and has not yet seen included, as persisted in `Bucket.paraSegment`. */
export interface SegmentEntry {
  /** Block hash: blake2-256 of `header`. */
  hash: Uint8Array;
  /** Para block number. */
  number: number;
  /** Hash of the parent parablock (the included head or another segment entry). */
  parentHash: Uint8Array;
  /** SCALE-encoded header. */
  header: Uint8Array;
  /** Number of the relay block the block was built on (its relay parent). */
  relayParentNumber: number;
  /** Hash of that relay parent. */
  relayParentHash: Uint8Array;
  /** Where the block stands in the backing pipeline. */
  status: SegmentStatus;
  /** Hash of the candidate receipt, once a collation was made for the block. */
  candidateHash?: Uint8Array;
  /** The encoded PoV, kept so an advertised collation can be served again after a restart. */
  pov?: Uint8Array;
}

/** What `dropStale` removes. */
export interface StaleCriteria {
  /**
   * Lowest relay parent number still in the allowed ancestry (`relayBest - allowedAncestryLen`). Blocks not yet
   * on chain (built ... backed) with an older relay parent can no longer be backed.
   */
  minRelayParentNumber: number;
  /** Blocks (by block hash or candidate hash) whose candidate timed out on the relay chain. */
  timedOut?: readonly Uint8Array[];
}

/** A block `dropStale` removed and why (its descendants are dropped with reason `"descendant"`). */
export interface DroppedEntry {
  entry: SegmentEntry;
  reason: "relayParentOutOfScope" | "timedOut" | "descendant";
}

/** What `onIncluded` removed. */
export interface PruneResult {
  /** The included block and its ancestors held in the segment, oldest first. */
  included: SegmentEntry[];
  /** Blocks on other branches that can no longer be included (number at or below the included one), and their descendants. */
  orphaned: SegmentEntry[];
}

/** Optional fields `setStatus` records together with the status (e.g. when the block is first advertised). */
export interface StatusFields {
  candidateHash?: Uint8Array;
  pov?: Uint8Array;
}

/** Statuses for which the candidate is already on the relay chain: its relay parent no longer matters. */
const ON_CHAIN: ReadonlySet<SegmentStatus> = new Set(["pendingAvailability", "included"]);

const FORMAT_VERSION = 1;

/**
 * The collator's unincluded segment, persisted in LevelDB (`Bucket.paraSegment`, key = block hash) and
 * mirrored in memory. Every mutation is one atomic write batch applied before memory changes, so after a
 * crash `open` restores exactly what was last acknowledged. Mutations are serialized.
 *
 * Encoding: a value is UTF-8 JSON `{"v":1,"hash":"0x..","number":N,"parentHash":"0x..","header":"0x..",
 * "relayParentNumber":N,"relayParentHash":"0x..","status":"built",("candidateHash":"0x..",)("pov":"0x..")}`.
 * JSON with hex keeps entries readable with a LevelDB dump tool; the PoV doubles in size, which is fine for a
 * handful of blocks. Decoding checks every field, that the key equals `hash` and that `hash` is
 * blake2-256 of `header`; anything else is a `CORRUPT_ENTRY` naming the key.
 */
export class UnincludedSegmentStore {
  private readonly byHash = new Map<string, SegmentEntry>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly db: Database) {}

  /** Loads every stored entry; the first undecodable one fails the open with `CORRUPT_ENTRY` (nothing is skipped). */
  static async open(db: Database): Promise<UnincludedSegmentStore> {
    const store = new UnincludedSegmentStore(db);
    for await (const [key, value] of db.entries(Bucket.paraSegment)) {
      const entry = decodeEntry(key, value);
      store.byHash.set(toHex(entry.hash), entry);
    }
    return store;
  }

  /** Every entry, by ascending block number then hash. */
  entries(): SegmentEntry[] {
    return [...this.byHash.values()].sort((a, b) => a.number - b.number || cmpHex(a.hash, b.hash));
  }

  /** The entry of block `hash`, if held. */
  get(hash: Uint8Array): SegmentEntry | undefined {
    return this.byHash.get(toHex(hash));
  }

  /** Number of entries. */
  get size(): number {
    return this.byHash.size;
  }

  /**
   * Persists a newly built block; call it, and await it, before announcing the block. Adding an entry equal
   * to a held one is a no-op (returns false). A different block with the number of a held one is refused with
   * `EQUIVOCATION`; a malformed entry with `INVALID_ENTRY`.
   */
  add(entry: SegmentEntry): Promise<boolean> {
    return this.serial(async () => {
      validateEntry(entry);
      const existing = this.byHash.get(toHex(entry.hash));
      if (existing !== undefined) {
        if (sameBlock(existing, entry)) return false;
        throw invalid(entry.hash, "a block with this hash but different fields is already in the segment");
      }
      for (const other of this.byHash.values()) {
        if (other.number === entry.number) {
          throw new SegmentError(
            { code: "EQUIVOCATION", number: entry.number, existing: other.hash, attempted: entry.hash },
            `refusing block ${toHex(entry.hash)} #${entry.number}: the segment already holds ${toHex(other.hash)} for that number (equivocation)`,
          );
        }
      }
      const copy = cloneEntry(entry);
      await this.db.batch().put(Bucket.paraSegment, copy.hash, encodeEntry(copy)).write();
      this.byHash.set(toHex(copy.hash), copy);
      return true;
    });
  }

  /** Records a new status (and optionally the candidate hash and PoV) of a held block; `UNKNOWN_BLOCK` otherwise. */
  setStatus(hash: Uint8Array, status: SegmentStatus, fields: StatusFields = {}): Promise<SegmentEntry> {
    return this.serial(async () => {
      const existing = this.byHash.get(toHex(hash));
      if (existing === undefined) {
        throw new SegmentError({ code: "UNKNOWN_BLOCK", hash }, `no block ${toHex(hash)} in the unincluded segment`);
      }
      if (!SEGMENT_STATUSES.includes(status)) throw invalid(hash, `unknown status ${String(status)}`);
      const updated = cloneEntry({ ...existing, ...fields, status });
      await this.db.batch().put(Bucket.paraSegment, updated.hash, encodeEntry(updated)).write();
      this.byHash.set(toHex(hash), updated);
      return updated;
    });
  }

  /**
   * The relay chain included `includedHash` (number `includedNumber`, needed only when the block is not in the
   * segment, e.g. another collator's): removes it and its ancestors, and every block that can no longer be
   * included (number at or below the included one, on another branch) with its descendants, in one batch.
   */
  onIncluded(includedHash: Uint8Array, includedNumber?: number): Promise<PruneResult> {
    return this.serial(async () => {
      const included: SegmentEntry[] = [];
      let cursor = this.byHash.get(toHex(includedHash));
      // An included block we did not build (another collator's) still tells its number through our children of it.
      const child = [...this.byHash.values()].find((e) => bytesEqual(e.parentHash, includedHash));
      const number = cursor?.number ?? includedNumber ?? (child === undefined ? undefined : child.number - 1);
      while (cursor !== undefined) {
        included.unshift(cursor);
        cursor = this.byHash.get(toHex(cursor.parentHash));
      }
      const gone = new Set(included.map((e) => toHex(e.hash)));
      const orphanRoots =
        number === undefined
          ? []
          : [...this.byHash.values()].filter((e) => e.number <= number && !gone.has(toHex(e.hash)));
      // A block at or below the included number that is not its ancestor lost the fork, and so did its
      // descendants; the included block's own descendants are the rest of the segment and stay.
      const orphaned = this.withDescendants(orphanRoots, gone);
      await this.remove([...included, ...orphaned]);
      return { included, orphaned };
    });
  }

  /**
   * Drops blocks not yet on chain whose relay parent is older than `minRelayParentNumber`, blocks whose
   * candidate timed out, and the descendants of both, in one batch. Returns them (roots first) so the caller
   * rebuilds.
   */
  dropStale(criteria: StaleCriteria): Promise<DroppedEntry[]> {
    return this.serial(async () => {
      const timedOut = new Set((criteria.timedOut ?? []).map(toHex));
      const roots = new Map<string, DroppedEntry["reason"]>();
      for (const e of this.entries()) {
        if (timedOut.has(toHex(e.hash)) || (e.candidateHash !== undefined && timedOut.has(toHex(e.candidateHash)))) {
          roots.set(toHex(e.hash), "timedOut");
        } else if (!ON_CHAIN.has(e.status) && e.relayParentNumber < criteria.minRelayParentNumber) {
          roots.set(toHex(e.hash), "relayParentOutOfScope");
        }
      }
      const rootEntries = [...roots.keys()].map((h) => this.byHash.get(h)!);
      const all = this.withDescendants(rootEntries, new Set());
      const dropped = all.map((entry) => ({ entry, reason: roots.get(toHex(entry.hash)) ?? ("descendant" as const) }));
      await this.remove(all);
      return dropped;
    });
  }

  private async remove(entries: readonly SegmentEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const batch = this.db.batch();
    for (const e of entries) batch.del(Bucket.paraSegment, e.hash);
    await batch.write();
    for (const e of entries) this.byHash.delete(toHex(e.hash));
  }

  /** `roots` and all their held descendants (each once, parents before children), skipping `exclude`. */
  private withDescendants(roots: readonly SegmentEntry[], exclude: ReadonlySet<string>): SegmentEntry[] {
    const out = new Map<string, SegmentEntry>();
    for (const r of roots) if (!exclude.has(toHex(r.hash))) out.set(toHex(r.hash), r);
    for (const e of this.entries()) {
      // Entries are in number order, so a parent is always visited before its child.
      if (out.has(toHex(e.parentHash)) && !exclude.has(toHex(e.hash))) out.set(toHex(e.hash), e);
    }
    return [...out.values()].sort((a, b) => a.number - b.number || cmpHex(a.hash, b.hash));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function cmpHex(a: Uint8Array, b: Uint8Array): number {
  const x = toHex(a);
  const y = toHex(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function invalid(hash: Uint8Array, reason: string): SegmentError {
  return new SegmentError({ code: "INVALID_ENTRY", hash, reason }, `invalid segment entry ${toHex(hash)}: ${reason}`);
}

function validateEntry(e: SegmentEntry): void {
  const problem = entryProblem(e);
  if (problem !== undefined) throw invalid(e.hash instanceof Uint8Array ? e.hash : new Uint8Array(0), problem);
}

/** Why `e` is not a well-formed entry, or undefined. */
function entryProblem(e: SegmentEntry): string | undefined {
  for (const f of ["hash", "parentHash", "relayParentHash"] as const) {
    if (!(e[f] instanceof Uint8Array) || e[f].length !== 32) return `${f} must be 32 bytes`;
  }
  if (!(e.header instanceof Uint8Array) || e.header.length === 0) return "header must be non-empty bytes";
  for (const f of ["number", "relayParentNumber"] as const) {
    if (!Number.isSafeInteger(e[f]) || e[f] < 0) return `${f} must be a non-negative integer, found ${String(e[f])}`;
  }
  if (!SEGMENT_STATUSES.includes(e.status)) return `unknown status ${String(e.status)}`;
  if (e.candidateHash !== undefined && (!(e.candidateHash instanceof Uint8Array) || e.candidateHash.length !== 32)) {
    return "candidateHash must be 32 bytes";
  }
  if (e.pov !== undefined && !(e.pov instanceof Uint8Array)) return "pov must be bytes";
  if (!bytesEqual(blake2_256(e.header), e.hash)) return "hash is not blake2-256 of the header";
  return undefined;
}

function sameBlock(a: SegmentEntry, b: SegmentEntry): boolean {
  return (
    a.number === b.number &&
    bytesEqual(a.parentHash, b.parentHash) &&
    bytesEqual(a.header, b.header) &&
    a.relayParentNumber === b.relayParentNumber &&
    bytesEqual(a.relayParentHash, b.relayParentHash)
  );
}

function cloneEntry(e: SegmentEntry): SegmentEntry {
  const out: SegmentEntry = {
    hash: e.hash.slice(),
    number: e.number,
    parentHash: e.parentHash.slice(),
    header: e.header.slice(),
    relayParentNumber: e.relayParentNumber,
    relayParentHash: e.relayParentHash.slice(),
    status: e.status,
  };
  if (e.candidateHash !== undefined) out.candidateHash = e.candidateHash.slice();
  if (e.pov !== undefined) out.pov = e.pov.slice();
  return out;
}

/** The stored bytes of an entry (see the class doc for the format). */
export function encodeEntry(e: SegmentEntry): Uint8Array {
  const json: Record<string, unknown> = {
    v: FORMAT_VERSION,
    hash: toHex(e.hash),
    number: e.number,
    parentHash: toHex(e.parentHash),
    header: toHex(e.header),
    relayParentNumber: e.relayParentNumber,
    relayParentHash: toHex(e.relayParentHash),
    status: e.status,
  };
  if (e.candidateHash !== undefined) json.candidateHash = toHex(e.candidateHash);
  if (e.pov !== undefined) json.pov = toHex(e.pov);
  return new TextEncoder().encode(JSON.stringify(json));
}

/** Decodes a stored entry; any defect is a `CORRUPT_ENTRY` naming `key`. */
export function decodeEntry(key: Uint8Array, value: Uint8Array): SegmentEntry {
  const keyHex = toHex(key);
  const corrupt = (reason: string) =>
    new SegmentError(
      { code: "CORRUPT_ENTRY", key: keyHex, reason },
      `corrupt unincluded-segment entry ${keyHex}: ${reason}`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(value));
  } catch (err) {
    throw corrupt(`not UTF-8 JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw corrupt("not a JSON object");
  const o = raw as Record<string, unknown>;
  if (o.v !== FORMAT_VERSION)
    throw corrupt(`unsupported format version ${JSON.stringify(o.v)}, expected ${FORMAT_VERSION}`);
  const hex = (f: string, optional = false): Uint8Array | undefined => {
    const v = o[f];
    if (v === undefined && optional) return undefined;
    if (typeof v !== "string" || !v.startsWith("0x")) throw corrupt(`${f} is not a 0x hex string`);
    try {
      return fromHex(v);
    } catch {
      throw corrupt(`${f} is not valid hex`);
    }
  };
  const num = (f: string): number => {
    const v = o[f];
    if (typeof v !== "number") throw corrupt(`${f} is not a number`);
    return v;
  };
  const entry: SegmentEntry = {
    hash: hex("hash")!,
    number: num("number"),
    parentHash: hex("parentHash")!,
    header: hex("header")!,
    relayParentNumber: num("relayParentNumber"),
    relayParentHash: hex("relayParentHash")!,
    status: o.status as SegmentStatus,
  };
  const candidateHash = hex("candidateHash", true);
  if (candidateHash !== undefined) entry.candidateHash = candidateHash;
  const pov = hex("pov", true);
  if (pov !== undefined) entry.pov = pov;
  const problem = entryProblem(entry);
  if (problem !== undefined) throw corrupt(problem);
  if (!bytesEqual(key, entry.hash)) throw corrupt(`stored under ${keyHex} but its hash is ${toHex(entry.hash)}`);
  return entry;
}
