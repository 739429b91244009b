import { stat } from "node:fs/promises";
import { toHex } from "@parapipe/primitives";
import { Level } from "level";
import { DatabaseError } from "./errors.js";

/**
 * The key spaces of the node database, one prefix byte each (Lodestar-style repositories): every key is
 * stored as `[bucket, ...key]`, so one LevelDB (and one atomic batch) spans all of them.
 */
export const Bucket = {
  /** Genesis hash, chain id and other single values. */
  meta: 0,
  /** State trie nodes: blake2-256 hash → encoded node. */
  stateNode: 1,
  /** Block headers by hash. */
  header: 2,
  /** Block bodies by hash. */
  body: 3,
  /** Finality justifications by block hash. */
  justification: 4,
  /** Canonical block number → hash. */
  blockNumber: 5,
  /** The collator's unincluded segment. */
  paraSegment: 6,
  /** The validator's PoV / availability store. */
  pov: 7,
} as const;

/** One of the `Bucket` prefix bytes. */
export type Bucket = (typeof Bucket)[keyof typeof Bucket];

/** A key range inside one bucket (keys without the bucket byte). */
export interface KeyRange {
  /** Lowest key included. Default: the start of the bucket. */
  gte?: Uint8Array;
  /** First key excluded. Default: the end of the bucket. */
  lt?: Uint8Array;
  /** At most this many keys. */
  limit?: number;
  /** Iterate from the highest key down. */
  reverse?: boolean;
}

/** What `checkOrInitGenesis` did. */
export type GenesisCheck = "initialised" | "matched";

type Level8 = Level<Uint8Array, Uint8Array>;
type BatchOp = { type: "put"; key: Uint8Array; value: Uint8Array } | { type: "del"; key: Uint8Array };

const META_GENESIS_HASH = new TextEncoder().encode("genesisHash");
const META_CHAIN_ID = new TextEncoder().encode("chainId");

/**
 * The node's LevelDB (`level` 10). Values come back as plain `Uint8Array`s (views over LevelDB's buffers, not
 * Node `Buffer`s). Writes go through `batch()`, applied atomically by `write()`: put everything one block
 * produced (state nodes, header, body, number index) in one batch and a crash leaves all or nothing.
 */
export class Database {
  private closing: Promise<void> | undefined;

  private constructor(
    /** Directory of the LevelDB. */
    readonly path: string,
    private readonly db: Level8,
  ) {}

  /** Opens (creating if needed) the LevelDB at `path`; `DB_OPEN_FAILED` says which path and why. */
  static async open(path: string): Promise<Database> {
    const existing = await stat(path).catch(() => undefined);
    if (existing !== undefined && !existing.isDirectory()) {
      throw openFailed(path, "the path is a file, not a directory");
    }
    const db: Level8 = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: "view", valueEncoding: "view" });
    try {
      await db.open();
    } catch (err) {
      throw openFailed(path, describeOpenError(err));
    }
    return new Database(path, db);
  }

  /** Whether `close()` has not been called. */
  get isOpen(): boolean {
    return this.closing === undefined;
  }

  /** The value under `key` in `bucket`, or `undefined`. */
  async get(bucket: Bucket, key: Uint8Array): Promise<Uint8Array | undefined> {
    this.assertOpen();
    try {
      const value = await this.db.get(prefixed(bucket, key));
      return value === undefined ? undefined : plain(value, 0);
    } catch (err) {
      throw this.ioError(err);
    }
  }

  /** The values under `keys` in `bucket` (one LevelDB round trip), `undefined` where absent. */
  async getMany(bucket: Bucket, keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    this.assertOpen();
    try {
      const values = await this.db.getMany(keys.map((k) => prefixed(bucket, k)));
      return values.map((v) => (v === undefined ? undefined : plain(v, 0)));
    } catch (err) {
      throw this.ioError(err);
    }
  }

  /** A new write batch; it may span buckets and is applied atomically by its `write()`. */
  batch(): WriteBatch {
    return new WriteBatch(this, (ops) => this.writeOps(ops));
  }

  /** The keys of `bucket` within `range`, in key order (without the bucket byte). */
  async *keys(bucket: Bucket, range: KeyRange = {}): AsyncGenerator<Uint8Array> {
    this.assertOpen();
    try {
      for await (const key of this.db.keys(levelRange(bucket, range))) yield plain(key, 1);
    } catch (err) {
      throw this.ioError(err);
    }
  }

  /** The `[key, value]` pairs of `bucket` within `range`, in key order (keys without the bucket byte). */
  async *entries(bucket: Bucket, range: KeyRange = {}): AsyncGenerator<[Uint8Array, Uint8Array]> {
    this.assertOpen();
    try {
      for await (const [key, value] of this.db.iterator(levelRange(bucket, range))) {
        yield [plain(key, 1), plain(value, 0)];
      }
    } catch (err) {
      throw this.ioError(err);
    }
  }

  /**
   * Records the chain on a new database, or checks it on an existing one. A database of another chain is
   * refused with `GENESIS_MISMATCH` and left untouched. Call it before writing anything else.
   */
  async checkOrInitGenesis(genesisHash: Uint8Array, chainId: string): Promise<GenesisCheck> {
    const stored = await this.get(Bucket.meta, META_GENESIS_HASH);
    if (stored === undefined) {
      await this.batch()
        .put(Bucket.meta, META_GENESIS_HASH, genesisHash)
        .put(Bucket.meta, META_CHAIN_ID, new TextEncoder().encode(chainId))
        .write();
      return "initialised";
    }
    if (equal(stored, genesisHash)) return "matched";
    const storedChain = await this.get(Bucket.meta, META_CHAIN_ID);
    const storedId = storedChain === undefined ? "<unknown>" : new TextDecoder().decode(storedChain);
    throw new DatabaseError(
      { code: "GENESIS_MISMATCH", path: this.path, chainId: storedId, storedGenesis: stored, genesis: genesisHash },
      `database at ${this.path} belongs to chain ${storedId} (genesis ${toHex(stored)}), this node runs ${toHex(genesisHash)} (${chainId}); use another base path or purge this one`,
    );
  }

  /** The genesis recorded by `checkOrInitGenesis`, if any. */
  async genesis(): Promise<{ genesisHash: Uint8Array; chainId: string } | undefined> {
    const genesisHash = await this.get(Bucket.meta, META_GENESIS_HASH);
    if (genesisHash === undefined) return undefined;
    const chain = await this.get(Bucket.meta, META_CHAIN_ID);
    return { genesisHash, chainId: chain === undefined ? "" : new TextDecoder().decode(chain) };
  }

  /** Closes the LevelDB (releasing its lock). Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.db.close();
    return this.closing;
  }

  private async writeOps(ops: BatchOp[]): Promise<void> {
    this.assertOpen();
    if (ops.length === 0) return;
    try {
      await this.db.batch(ops);
    } catch (err) {
      throw this.ioError(err);
    }
  }

  private assertOpen(): void {
    if (this.closing !== undefined) {
      throw new DatabaseError({ code: "DB_CLOSED", path: this.path }, `database at ${this.path} is closed`);
    }
  }

  private ioError(err: unknown): DatabaseError {
    const code = (err as { code?: unknown }).code;
    if (err instanceof DatabaseError) return err;
    if (code === "LEVEL_DATABASE_NOT_OPEN") {
      return new DatabaseError({ code: "DB_CLOSED", path: this.path }, `database at ${this.path} is closed`);
    }
    const reason = oneLine(err);
    if (code === "LEVEL_CORRUPTION") {
      return new DatabaseError({ code: "DB_CORRUPT", path: this.path, reason }, `database at ${this.path}: ${reason}`);
    }
    return new DatabaseError(
      { code: "DB_IO_FAILED", path: this.path, reason },
      `database at ${this.path}: I/O failed: ${reason}`,
    );
  }
}

/**
 * Puts and deletes across buckets, applied atomically by `write()` (a LevelDB write batch: after a crash
 * either all of them are on disk or none). A batch is written once.
 */
export class WriteBatch {
  private readonly ops: BatchOp[] = [];
  private written = false;

  /** @internal Created by `Database.batch()`. */
  constructor(
    private readonly db: Database,
    private readonly apply: (ops: BatchOp[]) => Promise<void>,
  ) {}

  /** Number of operations queued. */
  get length(): number {
    return this.ops.length;
  }

  /** Queues a put of `value` under `key` in `bucket`. */
  put(bucket: Bucket, key: Uint8Array, value: Uint8Array): this {
    this.ops.push({ type: "put", key: prefixed(bucket, key), value });
    return this;
  }

  /** Queues a delete of `key` in `bucket`. */
  del(bucket: Bucket, key: Uint8Array): this {
    this.ops.push({ type: "del", key: prefixed(bucket, key) });
    return this;
  }

  /** Applies every queued operation atomically. */
  async write(): Promise<void> {
    if (this.written) {
      throw new DatabaseError(
        { code: "BATCH_ALREADY_WRITTEN", path: this.db.path },
        `a write batch for ${this.db.path} was written twice`,
      );
    }
    this.written = true;
    await this.apply(this.ops);
  }
}

function prefixed(bucket: Bucket, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out[0] = bucket;
  out.set(key, 1);
  return out;
}

function levelRange(
  bucket: Bucket,
  range: KeyRange,
): { gte: Uint8Array; lt: Uint8Array; limit?: number; reverse?: boolean } {
  return {
    gte: prefixed(bucket, range.gte ?? new Uint8Array(0)),
    lt: range.lt === undefined ? new Uint8Array([bucket + 1]) : prefixed(bucket, range.lt),
    limit: range.limit ?? -1,
    reverse: range.reverse ?? false,
  };
}

/** A plain `Uint8Array` view of a LevelDB `Buffer`, skipping `skip` leading bytes (the bucket byte). */
function plain(buf: Uint8Array, skip: number): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset + skip, buf.byteLength - skip);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function openFailed(path: string, reason: string): DatabaseError {
  return new DatabaseError({ code: "DB_OPEN_FAILED", path, reason }, `cannot open database at ${path}: ${reason}`);
}

function describeOpenError(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause ?? err;
  const code = (cause as { code?: unknown }).code;
  switch (code) {
    case "LEVEL_LOCKED":
      return "it is locked by another process (is another node running on this base path?)";
    case "LEVEL_CORRUPTION":
      return `the LevelDB files are corrupt (${oneLine(cause)})`;
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return `it is not writable (${oneLine(cause)})`;
    case "ENOTDIR":
    case "EEXIST":
      return `a component of the path is a file, not a directory (${oneLine(cause)})`;
    case "LEVEL_IO_ERROR":
      return /permission denied/i.test(oneLine(cause))
        ? `it is not writable (${oneLine(cause)})`
        : `LevelDB I/O error, the files may be damaged (${oneLine(cause)})`;
    default:
      return oneLine(cause);
  }
}

function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s+/g, " ").trim();
}
