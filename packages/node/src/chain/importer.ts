import { bytesEqual, ParapipeError, toHex } from "@parapipe/primitives";
import { BlockDecodeError, ForkChoiceError, ImportError } from "../errors.js";
import type {
  BlockInfo,
  BlockOrigin,
  ChainEvents,
  ChainRuntime,
  ExecutedBlockInfo,
  FinalizedEvent,
  ImportedEvent,
  Logger,
  NewBestEvent,
  Unsubscribe,
} from "../interface.js";
import type { ChainMetrics } from "../metrics.js";
import { Emitter, SerialQueue, shortHex, silentLogger } from "../util.js";
import type { TreeRoute } from "./blockTree.js";
import type { ChainDb } from "./chainDb.js";
import { type ForkChoice, longestChain } from "./forkChoice.js";

/** The outcome of importing one block. */
export type ImportResult =
  /** Executed and stored; `isNewBest` when it (or the block the fork choice picked with it) became best. */
  | { status: "imported"; hash: Uint8Array; number: number; isNewBest: boolean }
  /** Stored already (or part of finalized history). */
  | { status: "known"; hash: Uint8Array }
  /** The parent is not known: the caller should sync it first. */
  | { status: "unknownParent"; hash: Uint8Array; number: number; parentHash: Uint8Array }
  /** Refused: the runtime's typed error (or a `BlockDecodeError` / `ImportError`). Nothing was written. */
  | { status: "invalid"; error: ParapipeError<{ code: string }> };

/** Per-call options of `BlockImporter.import`. */
export interface ImportOptions {
  /**
   * For `origin: "own"` only: what the local block builder already computed, so the block is not executed a
   * second time (Substrate imports its own blocks with the builder's state changes the same way).
   */
  executed?: ExecutedBlockInfo;
}

/** Options of `BlockImporter`. */
export interface BlockImporterOptions {
  /**
   * Whether own blocks passed with `ImportOptions.executed` are stored without executing them again
   * (`"trust"`, the default) or executed like any other block (`"reexecute"`, for debugging the builder).
   */
  ownBlocks?: "trust" | "reexecute";
}

/** What `BlockImporter` works with. */
export interface BlockImporterModules {
  chain: ChainDb;
  runtime: ChainRuntime;
  /** Default: `longestChain`. */
  forkChoice?: ForkChoice;
  logger?: Logger;
  metrics?: ChainMetrics | null;
}

type ChainEventMap = { imported: ImportedEvent; newBest: NewBestEvent; finalized: FinalizedEvent };

/**
 * The block import pipeline (Lodestar's `processBlock` in spirit): decode, check the parent, execute on the
 * parent's state inside `StateStore.withState`, then write the new state nodes, header, block, leaves and,
 * when the block becomes best, the canonical index and best pointer in ONE atomic batch. Imports, best-block
 * changes and finality steps are serialised in one queue, so the database and the in-memory tree change one
 * step at a time; the same block imported twice concurrently executes once.
 */
export class BlockImporter implements ChainEvents {
  private readonly chain: ChainDb;
  private readonly runtime: ChainRuntime;
  private readonly forkChoice: ForkChoice;
  private readonly logger: Logger;
  private readonly metrics: ChainMetrics | null;
  private readonly queue = new SerialQueue();
  private readonly inFlight = new Map<string, Promise<ImportResult>>();
  private readonly events: Emitter<ChainEventMap>;
  private readonly trustOwn: boolean;
  private closed = false;

  constructor(opts: BlockImporterOptions, modules: BlockImporterModules) {
    this.trustOwn = (opts.ownBlocks ?? "trust") === "trust";
    this.chain = modules.chain;
    this.runtime = modules.runtime;
    this.forkChoice = modules.forkChoice ?? longestChain;
    this.logger = modules.logger ?? silentLogger;
    this.metrics = modules.metrics ?? null;
    this.events = new Emitter<ChainEventMap>(this.logger);
    this.metrics?.blockHeight.set({ status: "best" }, this.chain.best.number);
    this.metrics?.blockHeight.set({ status: "finalized" }, this.chain.finalized.number);
  }

  /** The best block. */
  get best(): BlockInfo {
    return this.chain.best;
  }

  /** The finalized block. */
  get finalized(): BlockInfo {
    return this.chain.finalized;
  }

  /** Calls `listener` after each block is stored (before `onNewBest` for the same block). */
  onImported(listener: (e: ImportedEvent) => void | Promise<void>): Unsubscribe {
    return this.events.on("imported", listener);
  }

  /** Calls `listener` after each best-block change is stored. */
  onNewBest(listener: (e: NewBestEvent) => void | Promise<void>): Unsubscribe {
    return this.events.on("newBest", listener);
  }

  /** Calls `listener` after each finality step is stored (after the `onNewBest` it may have caused). */
  onFinalized(listener: (e: FinalizedEvent) => void | Promise<void>): Unsubscribe {
    return this.events.on("finalized", listener);
  }

  /**
   * Imports an encoded block. Block problems are outcomes (`invalid`, `unknownParent`, `known`), never
   * exceptions; the promise rejects only on database failures or after `close()`.
   */
  import(block: Uint8Array, origin: BlockOrigin, opts: ImportOptions = {}): Promise<ImportResult> {
    if (this.closed) return Promise.reject(closedError());
    let info: BlockInfo;
    try {
      info = this.runtime.decodeHeader(this.runtime.blockHeader(block));
    } catch (err) {
      const result: ImportResult = { status: "invalid", error: asTyped(err) };
      this.metrics?.blockImports.inc({ origin, result: result.status });
      this.logger.debug({ origin, err }, "Refused undecodable block");
      return Promise.resolve(result);
    }
    const hex = toHex(info.hash);
    const running = this.inFlight.get(hex);
    if (running !== undefined) return running;
    const p = this.queue
      .run(() => this.importQueued(block, info, origin, opts))
      .then((result) => {
        this.metrics?.blockImports.inc({ origin, result: result.status });
        return result;
      })
      .finally(() => this.inFlight.delete(hex));
    this.inFlight.set(hex, p);
    return p;
  }

  /**
   * Makes `hash` the best block (for fork-choice rules driven by outside events, like the parachain rule
   * following the relay chain). Refused with `ForkChoiceError` unless it descends from the finalized block.
   * Resolves to the event emitted, or `undefined` if it was best already.
   */
  setBest(hash: Uint8Array): Promise<NewBestEvent | undefined> {
    if (this.closed) return Promise.reject(closedError());
    return this.queue.run(async () => {
      const tree = this.chain.tree;
      const target = tree.get(hash);
      if (target === undefined) throw notInTree(hash, tree.root, await this.chain.hasBlock(hash));
      return this.moveBest(target);
    });
  }

  /**
   * Asks the fork choice again with every leaf as a candidate (the current best first), e.g. after the
   * parachain rule's included head changed. Resolves to the event emitted, or `undefined` if the best stays.
   */
  reconsiderBest(): Promise<NewBestEvent | undefined> {
    if (this.closed) return Promise.reject(closedError());
    return this.queue.run(async () => {
      const best = this.chain.best;
      const tree = this.chain.tree;
      const candidates = [best, ...tree.leaves().filter((b) => !bytesEqual(b.hash, best.hash))];
      const pick = this.forkChoice.chooseBest(candidates, { best, finalized: tree.root, tree });
      if (pick === undefined || !this.acceptablePick(pick, tree.root)) return undefined;
      return this.moveBest(pick);
    });
  }

  /**
   * Finalizes `hash` and its ancestors, storing `justification` with it in the same batch as the finalized
   * pointer, and prunes the forks that do not descend from it. If it is not on the best chain, the best block
   * moves to the fork choice's pick among its descendants first (finality never leaves the canonical chain).
   * Resolves to the event emitted, or `undefined` if the block was final already; refused with
   * `ForkChoiceError` for a block that is unknown or not a descendant of the finalized block.
   */
  finalize(hash: Uint8Array, justification?: Uint8Array): Promise<FinalizedEvent | undefined> {
    if (this.closed) return Promise.reject(closedError());
    return this.queue.run(async () => {
      const tree = this.chain.tree;
      const root = tree.root;
      if (bytesEqual(hash, root.hash)) return undefined;
      if (!tree.has(hash)) {
        const info = await this.chain.blockInfo(hash);
        const canonical = info === undefined ? undefined : await this.chain.canonicalHash(info.number);
        // Finalized history: final already.
        if (info !== undefined && canonical !== undefined && bytesEqual(canonical, hash)) return undefined;
        throw notInTree(hash, root, info !== undefined);
      }
      const target = tree.get(hash)!;
      const best = this.chain.best;
      let newBest: { block: BlockInfo; route: TreeRoute } | undefined;
      if (!tree.isDescendantOrSelf(best.hash, target.hash)) {
        const candidates = tree.leaves().filter((b) => tree.isDescendantOrSelf(b.hash, target.hash));
        const ctx = { best, finalized: target, tree };
        let pick = this.forkChoice.chooseBest(candidates, ctx);
        if (pick === undefined || !this.acceptablePick(pick, target)) pick = longestChain.chooseBest(candidates, ctx)!;
        newBest = { block: pick, route: this.routeTo(pick) };
      }
      const { finalized, pruned } = await this.chain.writeFinality(target, justification, newBest);
      if (newBest !== undefined) this.announceBest(newBest.block, newBest.route);
      const event: FinalizedEvent = {
        hash: target.hash,
        number: target.number,
        finalized,
        pruned: pruned.map((b) => b.hash),
      };
      this.metrics?.blockHeight.set({ status: "finalized" }, target.number);
      this.logger.info(
        { number: target.number, hash: toHex(target.hash), pruned: pruned.length },
        `Finalized #${target.number} (${shortHex(toHex(target.hash))})`,
      );
      this.events.emit("finalized", event);
      return event;
    });
  }

  /** Resolves when everything queued so far has been processed. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Refuses new work and waits for the queued work to finish. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue.idle();
  }

  private async importQueued(
    block: Uint8Array,
    info: BlockInfo,
    origin: BlockOrigin,
    opts: ImportOptions,
  ): Promise<ImportResult> {
    const chain = this.chain;
    if (await chain.hasBlock(info.hash)) return { status: "known", hash: info.hash };
    const finalized = chain.finalized;
    if (info.number <= finalized.number) {
      // [IGNORE] a block at or below the finalized height that is not finalized history would revert finality.
      return {
        status: "invalid",
        error: new ImportError(
          { code: "BELOW_FINALIZED", number: info.number, finalizedNumber: finalized.number },
          `block #${info.number} ${toHex(info.hash)} forks off at or below the finalized block #${finalized.number}`,
        ),
      };
    }
    const parent = chain.tree.get(info.parentHash);
    if (parent === undefined) {
      return { status: "unknownParent", hash: info.hash, number: info.number, parentHash: info.parentHash };
    }
    const start = performance.now();
    let executed: ExecutedBlockInfo;
    if (origin === "own" && opts.executed !== undefined && this.trustOwn) {
      executed = opts.executed;
    } else {
      const parentHeader = await chain.header(parent.hash);
      if (parentHeader === undefined) throw new ForkChoiceError({ code: "UNKNOWN_BLOCK", hash: toHex(parent.hash) });
      const r = await chain.withState((store) => this.runtime.executeBlock(store, block, parentHeader));
      if (!r.ok) {
        this.logger.warn(
          { origin, number: info.number, hash: toHex(info.hash), code: r.error.code, err: r.error },
          `Refused invalid block #${info.number}`,
        );
        return { status: "invalid", error: r.error };
      }
      executed = r.value;
    }
    if (!bytesEqual(executed.hash, info.hash)) {
      return {
        status: "invalid",
        error: new ImportError(
          { code: "HASH_MISMATCH", expected: toHex(info.hash), executed: toHex(executed.hash) },
          `the executed header hashes to ${toHex(executed.hash)}, the block's header to ${toHex(info.hash)}`,
        ),
      };
    }
    chain.addToTree(info);
    let newBest: { block: BlockInfo; route: TreeRoute } | undefined;
    try {
      const best = chain.best;
      const tree = chain.tree;
      const pick = this.forkChoice.chooseBest([best, info], { best, finalized, tree });
      if (pick !== undefined && !bytesEqual(pick.hash, best.hash) && this.acceptablePick(pick, finalized)) {
        newBest = { block: pick, route: this.routeTo(pick) };
      }
      await chain.writeImport({ info, header: executed.header, body: block, newNodes: executed.newNodes }, newBest);
    } catch (err) {
      chain.removeFromTree(info.hash);
      throw err;
    }
    this.metrics?.blockImportSeconds.observe((performance.now() - start) / 1000);
    const isNewBest = newBest !== undefined && bytesEqual(newBest.block.hash, info.hash);
    const log = { origin, number: info.number, hash: toHex(info.hash), best: isNewBest };
    if (isNewBest && origin !== "sync")
      this.logger.info(log, `Imported #${info.number} (${shortHex(toHex(info.hash))})`);
    else this.logger.debug(log, `Imported #${info.number}`);
    this.events.emit("imported", {
      block: info,
      origin,
      isNewBest,
      ...(executed.events !== undefined ? { events: executed.events } : {}),
    });
    if (newBest !== undefined) this.announceBest(newBest.block, newBest.route);
    return { status: "imported", hash: info.hash, number: info.number, isNewBest };
  }

  private async moveBest(target: BlockInfo): Promise<NewBestEvent | undefined> {
    const best = this.chain.best;
    if (bytesEqual(target.hash, best.hash)) return undefined;
    const route = this.routeTo(target);
    await this.chain.writeBest(target, route);
    return this.announceBest(target, route);
  }

  private announceBest(best: BlockInfo, route: TreeRoute): NewBestEvent {
    const event: NewBestEvent = {
      hash: best.hash,
      number: best.number,
      best,
      retracted: route.retracted,
      enacted: route.enacted,
    };
    this.metrics?.blockHeight.set({ status: "best" }, best.number);
    if (route.retracted.length > 0) {
      this.metrics?.reorgs.inc();
      this.logger.info(
        {
          from: toHex(route.retracted[0]!.hash),
          to: toHex(best.hash),
          common: route.common.number,
          retracted: route.retracted.length,
          enacted: route.enacted.length,
        },
        `Reorg to #${best.number} (${shortHex(toHex(best.hash))}), common ancestor #${route.common.number}`,
      );
    }
    this.events.emit("newBest", event);
    return event;
  }

  private routeTo(target: BlockInfo): TreeRoute {
    return this.chain.tree.route(this.chain.best.hash, target.hash);
  }

  /** A fork-choice pick must be in the tree and descend from `finalized` (never revert finality). */
  private acceptablePick(pick: BlockInfo, finalized: BlockInfo): boolean {
    const ok = this.chain.tree.isDescendantOrSelf(pick.hash, finalized.hash);
    if (!ok) {
      this.logger.warn(
        { pick: toHex(pick.hash), finalized: toHex(finalized.hash) },
        "Fork choice picked a block that does not descend from the finalized block; ignored",
      );
    }
    return ok;
  }
}

function notInTree(hash: Uint8Array, finalized: BlockInfo, stored: boolean): ForkChoiceError {
  if (stored) {
    return new ForkChoiceError(
      { code: "NOT_DESCENDANT_OF_FINALIZED", hash: toHex(hash), finalized: toHex(finalized.hash) },
      `block ${toHex(hash)} does not descend from the finalized block #${finalized.number}`,
    );
  }
  return new ForkChoiceError({ code: "UNKNOWN_BLOCK", hash: toHex(hash) }, `block ${toHex(hash)} is not known`);
}

function closedError(): ImportError {
  return new ImportError({ code: "IMPORTER_CLOSED" }, "the block importer is closed");
}

/** A thrown decode failure as a typed error (adapters should throw `BlockDecodeError`; anything else is wrapped). */
function asTyped(err: unknown): ParapipeError<{ code: string }> {
  if (err instanceof ParapipeError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new BlockDecodeError({ code: "UNDECODABLE_BLOCK", detail }, `block does not decode: ${detail}`);
}
