import {
  auraPreDigest,
  blake2_256,
  bytesEqual,
  concatBytes,
  type NodeStore,
  type Sr25519Keypair,
  StateOverlay,
  slotAuthor,
  Trie,
  toHex,
} from "@parapipe/primitives";
import type { Header } from "@polkadot/types/interfaces";
import { BlockContext } from "../frame/context.js";
import { BlockExecutionError } from "../frame/errors.js";
import type { DecodedExtrinsic } from "../frame/executive.js";
import type { EmittedEvent } from "../frame/pallet.js";
import {
  applyPoolTransactions,
  executeSealedBlock,
  type RejectedTransaction,
  sealBlock,
} from "../frame/sealedBlock.js";

import { type Result, runtimeCall } from "../parachain/result.js";
import {
  type BackedCandidateValue,
  type ParasInherentDataValue,
  parasInherentFromCodec,
  parasInherentInput,
  type SignedAvailabilityBitfieldValue,
} from "./candidate.js";
import { type ParaInherentOutcome, paraInherentOutcome } from "./paraInherent.js";
import { RELAY_PALLET_INDEX, type RelayRuntime } from "./runtime.js";

/** Inputs of the relay block builder. */
export interface BuildRelayBlockParams {
  /** The parent's state. */
  store: NodeStore;
  /** The parent header (SCALE). */
  parentHeader: Uint8Array;
  /** The slot claimed; `author` must be `validators[slot % n]`. */
  slot: bigint;
  author: Sr25519Keypair;
  /** Defaults to `slot × slotDuration`. */
  timestampMs?: bigint;
  /** Signed availability bitfields (signed in the context of the parent block). */
  bitfields?: readonly SignedAvailabilityBitfieldValue[];
  /** Backed candidates, at most one per core; refused ones are left out and reported. */
  backedCandidates?: readonly BackedCandidateValue[];
  /**
   * Default true: check the candidates first and put only the valid ones in the block (`create_inherent`).
   * false: put every candidate in as given, so that one that fails a check makes the build fail (to craft
   * invalid blocks in tests).
   */
  filterCandidates?: boolean;
  /** Pool transactions (full encodings), applied in order until the block is full or the deadline passes. */
  transactions?: Iterable<Uint8Array>;
  /** Authoring deadline (clock injected). */
  deadline?: { now: () => number; deadlineMs: number };
}

/** A built, sealed relay block. */
export interface BuiltRelayBlock {
  header: Header;
  hash: Uint8Array;
  /** `OpaqueBlock` encoding. */
  block: Uint8Array;
  extrinsics: Uint8Array[];
  stateRoot: Uint8Array;
  /** Nodes of the new state to persist. */
  newNodes: Map<string, Uint8Array>;
  /** What the paras inherent did (candidates refused while building are in `rejected`). */
  paraInherent: ParaInherentOutcome;
  included: Uint8Array[];
  rejected: RejectedTransaction[];
  untried: Uint8Array[];
  events: EmittedEvent[];
  weight: { normal: bigint; mandatory: bigint };
}

/** The outcome of importing a relay block. */
export interface ExecutedRelayBlock {
  header: Header;
  hash: Uint8Array;
  stateRoot: Uint8Array;
  newNodes: Map<string, Uint8Array>;
  events: EmittedEvent[];
}

/** Encodes an unsigned inherent extrinsic from its call bytes (`pallet index ++ call index ++ args`). */
function inherentExtrinsic(rt: RelayRuntime, callBytes: Uint8Array): Uint8Array {
  return rt.registry.createType("Extrinsic", rt.registry.createType("Call", callBytes)).toU8a();
}

/** The `Timestamp.set(now)` inherent. */
export function timestampInherent(rt: RelayRuntime, nowMs: bigint): Uint8Array {
  const arg = rt.registry.createType("Compact<u64>", nowMs).toU8a();
  return inherentExtrinsic(rt, concatBytes(new Uint8Array([RELAY_PALLET_INDEX.Timestamp, 0]), arg));
}

/** The `ParaInherent.enter(data)` inherent. */
export function paraInherentExtrinsic(rt: RelayRuntime, data: ParasInherentDataValue): Uint8Array {
  const arg = rt.registry.createType("ParasInherentData", parasInherentInput(data)).toU8a();
  return inherentExtrinsic(rt, concatBytes(new Uint8Array([RELAY_PALLET_INDEX.ParaInherent, 0]), arg));
}

/**
 * Builds a relay block (`BlockBuilder` + Aura): claims the slot, applies `timestamp.set` and
 * `paraInherent.enter` (bitfields, then the backed candidates that pass every check), then pool transactions
 * until the block is full or the deadline passes; finalises and seals it with the author's key.
 */
export function buildRelayBlock(rt: RelayRuntime, p: BuildRelayBlockParams): Result<BuiltRelayBlock> {
  return runtimeCall(() => {
    const reg = rt.registry;
    const parent = reg.createType<Header>("Header", p.parentHeader);
    const parentHash = blake2_256(p.parentHeader);
    const overlay = new StateOverlay(new Trie(p.store, parent.stateRoot.toU8a()));
    const expected = slotAuthor(p.slot, rt.aura.authorities(overlay));
    if (!expected || !bytesEqual(expected, p.author.publicKey)) {
      throw new BlockExecutionError(
        { code: "BAD_SEAL", detail: `not the author of slot ${p.slot}` },
        `key ${toHex(p.author.publicKey)} is not the author of relay slot ${p.slot} (expected ${expected ? toHex(expected) : "none"})`,
      );
    }
    const preHeader = reg.createType<Header>("Header", {
      parentHash,
      number: parent.number.toNumber() + 1,
      digest: { logs: [auraPreDigest(reg, p.slot)] },
    });
    const ctx = rt.executive.initializeBlock(overlay, preHeader, parentHash);
    const extrinsics: Uint8Array[] = [];
    const apply = (bytes: Uint8Array, d?: DecodedExtrinsic) => {
      rt.executive.applyExtrinsic(ctx, bytes, extrinsics.length, d);
      extrinsics.push(bytes);
    };
    apply(timestampInherent(rt, p.timestampMs ?? p.slot * BigInt(rt.config.slotDurationMs)));

    // Through the wire encoding and back, so the dry run sees exactly what `enter` will decode.
    const data: ParasInherentDataValue = parasInherentFromCodec(
      reg.createType(
        "ParasInherentData",
        parasInherentInput({
          bitfields: [...(p.bitfields ?? [])],
          backedCandidates: [...(p.backedCandidates ?? [])],
          parentHeader: p.parentHeader,
        }),
      ),
    );
    let rejectedCandidates: ParaInherentOutcome["rejected"] = [];
    if (p.filterCandidates !== false && data.backedCandidates.length > 0) {
      // `create_inherent`: a dry run on the block's state (rolled back) finds the candidates to leave out.
      const dry = new BlockContext(reg, overlay, preHeader, ctx.number, parentHash);
      dry.phase = { kind: "ApplyExtrinsic", index: extrinsics.length };
      overlay.startTransaction();
      try {
        rejectedCandidates = rt.paraInherent.process(dry, data, "create").rejected;
      } finally {
        overlay.rollbackTransaction();
      }
      const refused = new Set(rejectedCandidates.map((r) => r.index));
      data.backedCandidates = data.backedCandidates.filter((_, i) => !refused.has(i));
    }
    apply(paraInherentExtrinsic(rt, data));
    const outcome: ParaInherentOutcome = { ...paraInherentOutcome(ctx)!, rejected: rejectedCandidates };

    const { included, rejected, untried } = applyPoolTransactions(
      rt.executive,
      ctx,
      extrinsics,
      p.transactions,
      p.deadline,
    );
    const sealed = sealBlock(reg, rt.executive, ctx, p.store, preHeader, extrinsics, p.author);
    const { header, block } = sealed;
    return {
      header,
      hash: sealed.hash,
      block,
      extrinsics,
      stateRoot: sealed.stateRoot,
      newNodes: sealed.newNodes,
      paraInherent: outcome,
      included,
      rejected,
      untried,
      events: ctx.events,
      weight: { normal: ctx.weight.Normal, mandatory: ctx.weight.Mandatory },
    };
  });
}

/**
 * Imports a relay block: parent and number, the Aura seal (author = validators[slot % n] in the parent state),
 * every extrinsic re-executed (inherents first; the paras inherent is mandatory and any candidate in it that
 * fails a check makes the block invalid), then digest, state root and extrinsics root.
 */
export function executeRelayBlock(
  rt: RelayRuntime,
  store: NodeStore,
  blockBytes: Uint8Array,
  opts: { parentHeader: Uint8Array },
): Result<ExecutedRelayBlock> {
  return runtimeCall(
    () =>
      executeSealedBlock(
        { registry: rt.registry, executive: rt.executive, authorities: (s) => rt.aura.authorities(s) },
        store,
        blockBytes,
        opts.parentHeader,
      ).executed,
  );
}

/**
 * The relay runtime's genesis, block and transaction functions, in the shape the node's `frameChainRuntime`
 * takes (the validator and the collator's relay node wrap them the same way).
 */
export function relayChainFunctions(rt: RelayRuntime, genesisStorage: Array<[Uint8Array, Uint8Array]>) {
  return {
    registry: rt.registry,
    genesisStorage: () => genesisStorage,
    executeBlock: (store: NodeStore, block: Uint8Array, parentHeader: Uint8Array) =>
      executeRelayBlock(rt, store, block, { parentHeader }),
    validateTransaction: (
      store: NodeStore,
      best: { hash: Uint8Array; number: number; stateRoot: Uint8Array },
      tx: Uint8Array,
    ) => rt.validateTransaction(store, best, tx),
  };
}
