import { blake2_256, type NodeStore, type ParapipeError, toHex } from "@parapipe/primitives";
import { PoolError } from "../errors.js";
import type {
  BlockInfo,
  ChainEvents,
  ChainRuntime,
  FinalizedEvent,
  Logger,
  NewBestEvent,
  Unsubscribe,
  ValidTransaction,
} from "../interface.js";
import type { TxPoolMetrics } from "../metrics.js";
import { Emitter, SerialQueue, silentLogger } from "../util.js";

/**
 * A transaction's life in the pool, as `author_submitAndWatchExtrinsic` reports it. `finalized`, `dropped`
 * and `invalid` are final: the watchers are released after them.
 */
export type TxStatus =
  /** Valid and all its requirements met: the block builder may include it. */
  | { type: "ready" }
  /** Valid but waiting for a transaction that provides what it requires (e.g. a nonce gap). */
  | { type: "future" }
  /** Included in `block` on the best chain. */
  | { type: "inBlock"; block: Uint8Array }
  /** `block`, which included it, left the best chain; it goes back to the pool if still valid. */
  | { type: "retracted"; block: Uint8Array }
  /** `block`, which included it, is final. */
  | { type: "finalized"; block: Uint8Array }
  /** Removed to make room (`evicted`) or replaced by a higher-priority transaction with the same tag (`usurped`, by `by`). */
  | { type: "dropped"; reason: "evicted" | "usurped"; by?: Uint8Array }
  /** The runtime found it invalid (at a new best block); `reason` is the runtime's typed error. */
  | { type: "invalid"; reason: ParapipeError<{ code: string }> };

/** Listener of one transaction's statuses. */
export type TxWatcher = (status: TxStatus) => void;

/** A validated transaction in the pool. */
export interface PoolTransaction {
  /** blake2-256 of `bytes`. */
  hash: Uint8Array;
  /** The transaction as submitted (full extrinsic encoding). */
  bytes: Uint8Array;
  priority: bigint;
  requires: Uint8Array[];
  provides: Uint8Array[];
  longevity: bigint;
  propagate: boolean;
}

/** What `submit` resolved to. */
export interface SubmitResult {
  hash: Uint8Array;
  status: "ready" | "future";
}

/** The chain as the pool sees it. `ChainDb` is one. */
export interface PoolChain {
  /** The block transactions are validated at. */
  readonly best: BlockInfo;
  /** A stored block (to find the extrinsics of blocks entering or leaving the best chain). */
  block(hash: Uint8Array): Promise<Uint8Array | undefined>;
  /** Runs a runtime call over the state, loading missing trie nodes. */
  withState<T>(fn: (store: NodeStore) => T): Promise<T>;
}

/** Options of `TxPool`. */
export interface TxPoolOptions {
  /** Most transactions held (ready + future). Default 8192 (Substrate's ready limit). */
  maxCount?: number;
  /** Most bytes held (ready + future). Default 20 MiB. */
  maxBytes?: number;
  /**
   * Transactions validated again on each new best block (future ones first, then the longest unchecked). Default
   * 64. Included transactions leave the pool by their tags without validation; the transactions of blocks a
   * reorg retracts are validated and put back.
   */
  revalidateBatch?: number;
}

/** What `TxPool` works with. */
export interface TxPoolModules {
  runtime: Pick<ChainRuntime, "validateTransaction" | "blockExtrinsics">;
  chain: PoolChain;
  /** When given, the pool follows best-block and finality changes itself. */
  events?: Pick<ChainEvents, "onNewBest" | "onFinalized">;
  logger?: Logger;
  metrics?: TxPoolMetrics | null;
}

interface Entry {
  tx: PoolTransaction;
  hex: string;
  /** Arrival order (ties in priority go to the older transaction). */
  seq: number;
  requires: string[];
  provides: string[];
  ready: boolean;
  /** Required tags not provided by a ready transaction. */
  missing: Set<string>;
  /** Required tags dropped because a block included their provider (restored if that block is retracted). */
  pruned?: string[];
  /** The maintenance round it was last validated in. */
  validatedAt: number;
}

/** Extrinsics of a block on the best chain, kept until the block is final or pruned. */
interface BlockTxs {
  bytes: Uint8Array[];
  hashes: string[];
}

/** Substrate's default pool bounds (`--pool-limit 8192`, `--pool-kbytes 20480`), over ready and future together. */
export const DEFAULT_POOL_LIMITS = { maxCount: 8192, maxBytes: 20 * 1024 * 1024 } as const;

/**
 * The transaction pool (Substrate's graph pool in small): transactions are validated by the runtime at the
 * best block and sorted by their `requires`/`provides` tags into ready (all requirements met) and future
 * (waiting, e.g. on a nonce gap). Bounded by count and bytes: when full, a transaction of higher priority
 * evicts the lowest-priority ones, otherwise it is refused (`POOL_FULL`). On a new best block, included
 * transactions leave the pool (`inBlock`), retracted blocks' transactions come back, and everything left is
 * validated again; finality turns `inBlock` into `finalized`.
 */
export class TxPool {
  private readonly maxCount: number;
  private readonly maxBytes: number;
  private readonly runtime: TxPoolModules["runtime"];
  private readonly chain: PoolChain;
  private readonly logger: Logger;
  private readonly metrics: TxPoolMetrics | null;
  private readonly queue = new SerialQueue();
  private readonly entries = new Map<string, Entry>();
  /** Tag → the transaction providing it (ready or future). */
  private readonly providers = new Map<string, Entry>();
  /** Tag → the transactions requiring it. */
  private readonly dependents = new Map<string, Set<Entry>>();
  private readonly watchers = new Map<string, Set<TxWatcher>>();
  private readonly statusEvents: Emitter<{ status: { hash: Uint8Array; status: TxStatus } }>;
  /** Transaction hash → the best-chain block that included it (until final). */
  private readonly inBlock = new Map<string, { block: Uint8Array; hex: string }>();
  private readonly blockTxs = new Map<string, BlockTxs>();
  private readonly unsubscribe: Unsubscribe[] = [];
  private bytes = 0;
  private nextSeq = 0;
  private readonly revalidateBatch: number;
  /** Maintenance rounds so far (new best blocks handled). */
  private round = 0;
  private closed = false;

  constructor(opts: TxPoolOptions, modules: TxPoolModules) {
    this.maxCount = opts.maxCount ?? DEFAULT_POOL_LIMITS.maxCount;
    this.maxBytes = opts.maxBytes ?? DEFAULT_POOL_LIMITS.maxBytes;
    this.revalidateBatch = opts.revalidateBatch ?? 64;
    this.runtime = modules.runtime;
    this.chain = modules.chain;
    this.logger = modules.logger ?? silentLogger;
    this.metrics = modules.metrics ?? null;
    this.statusEvents = new Emitter(this.logger);
    if (modules.events !== undefined) {
      this.unsubscribe.push(
        modules.events.onNewBest((e) => this.handleNewBest(e)),
        modules.events.onFinalized((e) => this.handleFinalized(e)),
      );
    }
  }

  /** Transactions held: ready, future, and their total bytes. */
  get size(): { ready: number; future: number; bytes: number } {
    let ready = 0;
    for (const e of this.entries.values()) if (e.ready) ready++;
    return { ready, future: this.entries.size - ready, bytes: this.bytes };
  }

  /** The pool's bounds: most transactions (ready + future) and most bytes it holds. */
  get limits(): { maxCount: number; maxBytes: number } {
    return { maxCount: this.maxCount, maxBytes: this.maxBytes };
  }

  /** The transaction with this hash, if in the pool. */
  get(hash: Uint8Array): PoolTransaction | undefined {
    return this.entries.get(toHex(hash))?.tx;
  }

  /** Whether the transaction is ready (`true`), future (`false`) or not in the pool (`undefined`). */
  isReady(hash: Uint8Array): boolean | undefined {
    return this.entries.get(toHex(hash))?.ready;
  }

  /**
   * Validates `tx` at the best block and adds it. Refused with `PoolError`: `ALREADY_IMPORTED`,
   * `INVALID_TRANSACTION` (with the runtime's typed reason), `TOO_LOW_PRIORITY`, `POOL_FULL`, `TOO_LARGE`.
   * `watcher`, if given, receives every status from the first one on.
   */
  submit(tx: Uint8Array, watcher?: TxWatcher): Promise<SubmitResult> {
    const hash = blake2_256(tx);
    const hex = toHex(hash);
    if (this.closed) return Promise.reject(new PoolError({ code: "POOL_CLOSED" }, "the transaction pool is closed"));
    return this.queue
      .run(async () => {
        if (this.entries.has(hex)) {
          throw new PoolError({ code: "ALREADY_IMPORTED", hash: hex }, `transaction ${hex} is already in the pool`);
        }
        const valid = await this.validate(tx);
        if (!valid.ok) {
          throw new PoolError(
            { code: "INVALID_TRANSACTION", hash: hex, reason: valid.error },
            `transaction ${hex} is invalid: ${valid.error.message}`,
          );
        }
        const unwatch = watcher === undefined ? undefined : this.watch(hash, watcher);
        try {
          const status = this.insert(hash, tx, valid.value);
          return { hash, status };
        } catch (err) {
          unwatch?.();
          throw err;
        }
      })
      .then(
        (r) => {
          this.metrics?.submissions.inc({ outcome: r.status });
          this.updateGauges();
          return r;
        },
        (err: unknown) => {
          this.metrics?.submissions.inc({ outcome: err instanceof PoolError ? err.code : "error" });
          throw err;
        },
      );
  }

  /** Calls `watcher` with each further status of the transaction `hash`. */
  watch(hash: Uint8Array, watcher: TxWatcher): Unsubscribe {
    const hex = toHex(hash);
    let set = this.watchers.get(hex);
    if (set === undefined) {
      set = new Set();
      this.watchers.set(hex, set);
    }
    set.add(watcher);
    return () => {
      const s = this.watchers.get(hex);
      s?.delete(watcher);
      if (s?.size === 0) this.watchers.delete(hex);
    };
  }

  /** Calls `listener` with every status change of every transaction. */
  onStatus(listener: (hash: Uint8Array, status: TxStatus) => void): Unsubscribe {
    return this.statusEvents.on("status", (e) => listener(e.hash, e.status));
  }

  /**
   * The ready transactions in the order a block builder should try them: a transaction comes after the ones
   * providing what it requires; among those available, higher priority first, then older first. A snapshot:
   * later pool changes do not affect an iteration in progress.
   */
  *ready(): IterableIterator<PoolTransaction> {
    const ready = [...this.entries.values()].filter((e) => e.ready);
    const waitingOn = new Map<Entry, number>();
    const heap = new EntryHeap();
    for (const e of ready) {
      const n = e.requires.filter((t) => this.providers.get(t)?.ready).length;
      if (n === 0) heap.push(e);
      else waitingOn.set(e, n);
    }
    const unlocking = new Map<string, Entry[]>();
    for (const e of waitingOn.keys()) {
      for (const t of e.requires) {
        let list = unlocking.get(t);
        if (list === undefined) {
          list = [];
          unlocking.set(t, list);
        }
        list.push(e);
      }
    }
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) {
      yield e.tx;
      for (const t of e.provides) {
        for (const d of unlocking.get(t) ?? []) {
          const left = waitingOn.get(d)! - 1;
          waitingOn.set(d, left);
          if (left === 0) heap.push(d);
        }
      }
    }
  }

  /**
   * Removes transactions the block builder found invalid, reporting `invalid(reason)` to their watchers.
   * Transactions that required them go back to future.
   */
  reportInvalid(hash: Uint8Array, reason: ParapipeError<{ code: string }>): Promise<void> {
    return this.queue.run(async () => {
      const e = this.entries.get(toHex(hash));
      if (e === undefined) return;
      const changes: Array<[Entry, TxStatus]> = [];
      this.removeEntry(e, changes);
      this.emitChanges(changes);
      this.emit(hash, { type: "invalid", reason });
      this.updateGauges();
    });
  }

  /**
   * Follows a best-block change: retracted blocks' transactions are re-submitted, the transactions of the
   * enacted blocks leave the pool (`inBlock`), and the rest is validated again at the new best block.
   * Called by the chain events given to the constructor, or by hand.
   */
  handleNewBest(e: NewBestEvent): Promise<void> {
    return this.queue.run(() => this.maintain(e)).catch((err: unknown) => this.failed(err, "new best"));
  }

  /** Follows a finality step: `inBlock` transactions of the finalized blocks become `finalized`. */
  handleFinalized(e: FinalizedEvent): Promise<void> {
    return this.queue
      .run(async () => {
        for (const b of e.finalized) {
          const bhex = toHex(b.hash);
          for (const h of this.blockTxs.get(bhex)?.hashes ?? []) {
            const at = this.inBlock.get(h);
            if (at === undefined || at.hex !== bhex) continue;
            this.inBlock.delete(h);
            this.emit(fromHexHash(h), { type: "finalized", block: b.hash });
          }
          this.blockTxs.delete(bhex);
        }
        for (const p of e.pruned) {
          const bhex = toHex(p);
          for (const h of this.blockTxs.get(bhex)?.hashes ?? []) {
            if (this.inBlock.get(h)?.hex === bhex) this.inBlock.delete(h);
          }
          this.blockTxs.delete(bhex);
        }
      })
      .catch((err: unknown) => this.failed(err, "finalized"));
  }

  /** Resolves when queued submissions and chain-event processing have finished. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Stops following the chain, refuses new submissions and waits for queued work. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    for (const u of this.unsubscribe.splice(0)) u();
    await this.queue.idle();
  }

  private async maintain(e: NewBestEvent): Promise<void> {
    // What watchers last heard, to report changes only.
    const before = new Map<string, boolean>();
    for (const en of this.entries.values()) before.set(en.hex, en.ready);
    const enacted: Array<{ block: BlockInfo; txs: BlockTxs }> = [];
    const enactedTx = new Set<string>();
    for (const b of e.enacted) {
      const txs = await this.txsOf(b);
      enacted.push({ block: b, txs });
      for (const h of txs.hashes) enactedTx.add(h);
    }
    // Retracted first: a transaction in both the old and the new chain is retracted, then in a block again.
    const resubmit: Uint8Array[] = [];
    for (const b of e.retracted) {
      const bhex = toHex(b.hash);
      const txs = await this.txsOf(b);
      txs.hashes.forEach((h, i) => {
        if (this.inBlock.get(h)?.hex === bhex) {
          this.inBlock.delete(h);
          this.emit(fromHexHash(h), { type: "retracted", block: b.hash });
        }
        if (!enactedTx.has(h) && !this.entries.has(h)) resubmit.push(txs.bytes[i]!);
      });
      this.blockTxs.delete(bhex);
    }
    this.round++;
    // Included transactions are pruned by their tags, as Substrate's `prune_tags` does; transactions of retracted
    // blocks come back (validated at the new best block), and only a batch of the rest is validated again (its
    // background revalidation). Never the whole pool at once: under load that is seconds of signature checks
    // on every reorg, which starves block production and makes more reorgs. A transaction left ready whose
    // requirement came back with a retracted block is refused as a future nonce by the builder and stays.
    for (const { block, txs } of enacted) {
      const bhex = toHex(block.hash);
      this.blockTxs.set(bhex, txs);
      for (const h of txs.hashes) {
        const entry = this.entries.get(h);
        if (entry === undefined && !this.watchers.has(h)) continue;
        if (entry !== undefined) {
          this.pruneIncluded(entry);
        }
        before.delete(h);
        this.inBlock.set(h, { block: block.hash, hex: bhex });
        this.emit(fromHexHash(h), { type: "inBlock", block: block.hash });
      }
    }
    await this.resubmitRetracted(resubmit);
    await this.revalidateSome(before);
    this.updateGauges();
  }

  /**
   * Removes a transaction a block included. What it provided is now provided by the chain: the transactions that
   * required it no longer wait for it (they become ready when nothing else is missing).
   */
  private pruneIncluded(e: Entry): void {
    if (!this.entries.delete(e.hex)) return;
    this.bytes -= e.tx.bytes.length;
    for (const t of e.requires) {
      const set = this.dependents.get(t);
      set?.delete(e);
      if (set?.size === 0) this.dependents.delete(t);
    }
    const promoted: Array<[Entry, TxStatus]> = [];
    for (const t of e.provides) {
      if (this.providers.get(t) === e) this.providers.delete(t);
      const deps = this.dependents.get(t);
      this.dependents.delete(t);
      for (const d of deps ?? []) {
        d.requires = d.requires.filter((x) => x !== t);
        d.missing.delete(t);
        d.pruned = [...(d.pruned ?? []), t];
        if (!d.ready && d.missing.size === 0) this.promote(d, promoted);
      }
    }
  }

  /**
   * Validates up to `revalidateBatch` transactions again at the best block: future ones first (a requirement
   * the chain met by a transaction this pool never saw), then the longest unchecked. Invalid ones leave the
   * pool (`invalid`); ones whose tags changed are put in again. Watchers hear about changes from `before`.
   */
  private async revalidateSome(before: Map<string, boolean>): Promise<void> {
    const batch = [...this.entries.values()]
      .sort((a, b) => Number(a.ready) - Number(b.ready) || a.validatedAt - b.validatedAt || a.seq - b.seq)
      .slice(0, this.revalidateBatch);
    for (const e of batch) {
      if (this.entries.get(e.hex) !== e) continue;
      const valid = await this.validate(e.tx.bytes);
      if (this.entries.get(e.hex) !== e) continue;
      if (!valid.ok) {
        this.removeEntry(e, []);
        before.delete(e.hex);
        this.emit(e.tx.hash, { type: "invalid", reason: valid.error });
        continue;
      }
      const requires = valid.value.requires.map((t) => toHex(t) as string);
      const provides = valid.value.provides.map((t) => toHex(t) as string);
      if (sameTags(requires, e.requires) && sameTags(provides, e.provides)) {
        e.validatedAt = this.round;
        continue;
      }
      this.removeEntry(e, []);
      try {
        // Itself again (the count does not grow), also while retracted transactions hold the pool past its bounds.
        this.insert(e.tx.hash, e.tx.bytes, valid.value, { silent: true, seq: e.seq, pastBounds: true });
      } catch (err) {
        before.delete(e.hex);
        this.emit(e.tx.hash, { type: "dropped", reason: "evicted" });
        this.logger.debug({ tx: e.hex, err }, "Transaction not re-added to the pool");
      }
    }
    for (const x of [...this.entries.values()].sort((a, b) => a.seq - b.seq)) {
      const was = before.get(x.hex);
      if (was === x.ready) continue;
      this.emit(x.tx.hash, { type: x.ready ? "ready" : "future" });
    }
  }

  /** Puts retracted blocks' transactions back (silently: their watchers heard `retracted`), if still valid. */
  private async resubmitRetracted(resubmit: Uint8Array[]): Promise<void> {
    for (const bytes of resubmit) {
      const hash = blake2_256(bytes);
      const hex = toHex(hash);
      if (this.entries.has(hex)) continue;
      const valid = await this.validate(bytes);
      if (!valid.ok) {
        if (this.watchers.has(hex)) this.emit(hash, { type: "invalid", reason: valid.error });
        else this.logger.debug({ tx: hex, code: valid.error.code }, "Retracted transaction no longer valid");
        continue;
      }
      try {
        // Past the bounds if need be (by at most the retracted blocks' transactions, until blocks drain it):
        // refusing one would strand every later nonce of its sender in the pool.
        this.insert(hash, bytes, valid.value, { silent: true, pastBounds: true });
      } catch (err) {
        if (this.watchers.has(hex)) this.emit(hash, { type: "dropped", reason: "evicted" });
        this.logger.debug({ tx: hex, err }, "Transaction not re-added to the pool");
        continue;
      }
      // Transactions that required what it provides wait for it again, so `ready()` yields it first.
      const back = this.entries.get(hex);
      if (back === undefined) continue;
      for (const t of back.provides) {
        for (const d of this.entries.values()) {
          if (d === back || d.pruned === undefined || !d.pruned.includes(t)) continue;
          d.pruned = d.pruned.filter((x) => x !== t);
          d.requires.push(t);
          this.addDependent(t, d);
          if (!back.ready && !d.ready) d.missing.add(t);
        }
      }
    }
  }

  private async validate(tx: Uint8Array) {
    const best = this.chain.best;
    return this.chain.withState((store) =>
      this.runtime.validateTransaction(store, { hash: best.hash, number: best.number, stateRoot: best.stateRoot }, tx),
    );
  }

  private async txsOf(b: BlockInfo): Promise<BlockTxs> {
    const cached = this.blockTxs.get(toHex(b.hash));
    if (cached !== undefined) return cached;
    const block = await this.chain.block(b.hash);
    if (block === undefined) return { bytes: [], hashes: [] };
    let bytes: Uint8Array[];
    try {
      bytes = this.runtime.blockExtrinsics(block);
    } catch (err) {
      this.logger.warn({ block: toHex(b.hash), err }, "Stored block does not decode; its transactions are ignored");
      bytes = [];
    }
    return { bytes, hashes: bytes.map((x) => toHex(blake2_256(x))) };
  }

  /** Records that `e` requires tag `t`. */
  private addDependent(t: string, e: Entry): void {
    let set = this.dependents.get(t);
    if (set === undefined) {
      set = new Set();
      this.dependents.set(t, set);
    }
    set.add(e);
  }

  /** Adds a validated transaction; returns its state. Throws `PoolError` when it cannot be added. */
  private insert(
    hash: Uint8Array,
    bytes: Uint8Array,
    valid: ValidTransaction,
    o: { silent?: boolean; seq?: number; pastBounds?: boolean } = {},
  ): "ready" | "future" {
    const hex = toHex(hash);
    if (bytes.length > this.maxBytes) {
      throw new PoolError(
        { code: "TOO_LARGE", hash: hex, bytes: bytes.length, maxBytes: this.maxBytes },
        `transaction ${hex} is ${bytes.length} bytes, the pool holds at most ${this.maxBytes}`,
      );
    }
    const provides = valid.provides.map((t) => toHex(t) as string);
    const requires = valid.requires.map((t) => toHex(t) as string);
    // Same tag (same sender and nonce): the higher priority replaces the other (Substrate's "usurped").
    const usurped = new Set<Entry>();
    for (const t of provides) {
      const other = this.providers.get(t);
      if (other === undefined) continue;
      if (valid.priority <= other.tx.priority) {
        throw new PoolError(
          { code: "TOO_LOW_PRIORITY", hash: hex, existing: other.hex, priority: other.tx.priority },
          `transaction ${hex} has priority ${valid.priority}, not above ${other.tx.priority} of ${other.hex} with the same tag`,
        );
      }
      usurped.add(other);
    }
    // Bounds: evict strictly lower priorities, lowest first (future before ready, newest first), or refuse.
    let count = this.entries.size - usurped.size + 1;
    let total = this.bytes + bytes.length;
    for (const u of usurped) total -= u.tx.bytes.length;
    const victims: Entry[] = [];
    if (!o.pastBounds && (count > this.maxCount || total > this.maxBytes)) {
      const byLowest = [...this.entries.values()]
        .filter((e) => !usurped.has(e) && e.tx.priority < valid.priority)
        .sort(
          (a, b) =>
            (a.tx.priority < b.tx.priority ? -1 : a.tx.priority > b.tx.priority ? 1 : 0) ||
            Number(a.ready) - Number(b.ready) ||
            b.seq - a.seq,
        );
      for (const v of byLowest) {
        if (count <= this.maxCount && total <= this.maxBytes) break;
        victims.push(v);
        count--;
        total -= v.tx.bytes.length;
      }
      if (count > this.maxCount || total > this.maxBytes) {
        throw new PoolError(
          {
            code: "POOL_FULL",
            count: this.entries.size,
            bytes: this.bytes,
            maxCount: this.maxCount,
            maxBytes: this.maxBytes,
            priority: valid.priority,
          },
          `the pool is full (${this.entries.size}/${this.maxCount} transactions, ${this.bytes}/${this.maxBytes} bytes) and holds nothing below priority ${valid.priority}`,
        );
      }
    }
    const changes: Array<[Entry, TxStatus]> = [];
    for (const u of usurped) {
      this.removeEntry(u, changes);
      this.emit(u.tx.hash, { type: "dropped", reason: "usurped", by: hash });
    }
    for (const v of victims) {
      this.removeEntry(v, changes);
      this.emit(v.tx.hash, { type: "dropped", reason: "evicted" });
      this.logger.debug({ tx: v.hex, priority: String(v.tx.priority) }, "Evicted transaction from the full pool");
    }
    const entry: Entry = {
      tx: { hash, bytes, ...valid },
      hex,
      seq: o.seq ?? this.nextSeq++,
      requires,
      provides,
      ready: false,
      missing: new Set(requires.filter((t) => this.providers.get(t)?.ready !== true)),
      validatedAt: this.round,
    };
    this.entries.set(hex, entry);
    this.bytes += bytes.length;
    for (const t of provides) this.providers.set(t, entry);
    for (const t of requires) this.addDependent(t, entry);
    const promoted: Array<[Entry, TxStatus]> = [];
    if (entry.missing.size === 0) this.promote(entry, promoted);
    if (!o.silent) {
      this.emit(hash, { type: entry.ready ? "ready" : "future" });
      this.emitChanges([...changes, ...promoted.filter(([p]) => p !== entry)]);
    }
    return entry.ready ? "ready" : "future";
  }

  /** Marks `e` ready and, transitively, the future transactions that were waiting only on what it provides. */
  private promote(e: Entry, changes: Array<[Entry, TxStatus]>): void {
    const stack = [e];
    for (let x = stack.pop(); x !== undefined; x = stack.pop()) {
      if (x.ready) continue;
      x.ready = true;
      changes.push([x, { type: "ready" }]);
      for (const t of x.provides) {
        if (this.providers.get(t) !== x) continue;
        for (const d of this.dependents.get(t) ?? []) {
          if (d.ready || !d.missing.delete(t)) continue;
          if (d.missing.size === 0) stack.push(d);
        }
      }
    }
  }

  /** Removes `e`; the ready transactions that relied on its tags go back to future (transitively). */
  private removeEntry(e: Entry, changes: Array<[Entry, TxStatus]>): void {
    if (!this.entries.delete(e.hex)) return;
    this.bytes -= e.tx.bytes.length;
    for (const t of e.requires) {
      const set = this.dependents.get(t);
      set?.delete(e);
      if (set?.size === 0) this.dependents.delete(t);
    }
    const lost: string[] = [];
    for (const t of e.provides) {
      if (this.providers.get(t) !== e) continue;
      this.providers.delete(t);
      if (e.ready) lost.push(t);
    }
    while (lost.length > 0) {
      const t = lost.pop()!;
      for (const d of this.dependents.get(t) ?? []) {
        d.missing.add(t);
        if (!d.ready) continue;
        d.ready = false;
        changes.push([d, { type: "future" }]);
        for (const p of d.provides) if (this.providers.get(p) === d) lost.push(p);
      }
    }
  }

  private emitChanges(changes: Array<[Entry, TxStatus]>): void {
    for (const [e, status] of changes) if (this.entries.has(e.hex)) this.emit(e.tx.hash, status);
  }

  private emit(hash: Uint8Array, status: TxStatus): void {
    const hex = toHex(hash);
    const set = this.watchers.get(hex);
    if (set !== undefined) {
      for (const w of [...set]) {
        try {
          w(status);
        } catch (err) {
          this.logger.error({ err, tx: hex }, "Transaction watcher failed");
        }
      }
      if (status.type === "finalized" || status.type === "dropped" || status.type === "invalid") {
        this.watchers.delete(hex);
      }
    }
    this.statusEvents.emit("status", { hash, status });
  }

  private updateGauges(): void {
    if (this.metrics === null) return;
    const { ready, future, bytes } = this.size;
    this.metrics.readyTransactions.set(ready);
    this.metrics.futureTransactions.set(future);
    this.metrics.bytes?.set(bytes);
  }

  private failed(err: unknown, what: string): void {
    this.logger.error({ err }, `Transaction pool maintenance (${what}) failed`);
  }
}

function sameTags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

function fromHexHash(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex.slice(2), "hex"));
}

/** Max-heap of entries by priority, then by age (older first). */
class EntryHeap {
  private readonly items: Entry[] = [];

  push(e: Entry): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): Entry | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Entry, b: Entry): boolean {
  if (a.tx.priority !== b.tx.priority) return a.tx.priority > b.tx.priority;
  return a.seq < b.seq;
}
