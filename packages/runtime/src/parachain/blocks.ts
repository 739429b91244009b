import {
  auraPreDigest,
  blake2_256,
  bytesEqual,
  decodeExact,
  decodeNode,
  MemoryNodeStore,
  MissingNodeError,
  type NodeStore,
  RecordingNodeStore,
  type Sr25519Keypair,
  StateOverlay,
  scaleBytes,
  slotAuthor,
  Trie,
  toHex,
} from "@parapipe/primitives";
import type { Header } from "@polkadot/types/interfaces";
import type { Codec } from "@polkadot/types/types";
import type { BlockContext } from "../frame/context.js";
import { BlockExecutionError } from "../frame/errors.js";
import type { DecodedExtrinsic } from "../frame/executive.js";
import type { EmittedEvent } from "../frame/pallet.js";
import {
  applyPoolTransactions,
  type ExecutedBlock,
  executeSealedBlock,
  type RejectedTransaction,
  type SealedBlockRuntime,
  sealBlock,
} from "../frame/sealedBlock.js";
import { type Result, runtimeCall } from "./result.js";
import type { ParachainRuntime } from "./runtime.js";

/** The relay-chain context a parablock is built on: the relay parent and a proof of its state. */
export interface RelayParentContext {
  number: number;
  storageRoot: Uint8Array;
  /** Trie nodes proving the relay slot and `Paras.Heads(paraId)` under `storageRoot`. */
  stateProof: Uint8Array[];
  maxPovSize: number;
}

/** Inputs of the block builder. */
export interface BuildBlockParams {
  /** The parent's state (a full node's store); what the build reads is recorded into the witness. */
  store: NodeStore;
  parentHeader: Uint8Array;
  relayParent: RelayParentContext;
  /** The block's timestamp (lookahead collator: relay slot × relay slot duration). Its para slot is claimed. */
  timestampMs: bigint;
  /** The author's key: must be the slot's Aura author. */
  author: Sr25519Keypair;
  /** Pool transactions (full encodings), applied in order until the weight limit or the deadline. */
  transactions?: Iterable<Uint8Array>;
  /** Authoring deadline: stop adding transactions once `now() >= deadlineMs` (clock injected: the runtime has none). */
  deadline?: { now: () => number; deadlineMs: number };
}

export type { RejectedTransaction } from "../frame/sealedBlock.js";

/** A built, sealed parablock with its PoV. */
export interface BuiltBlock {
  header: Header;
  hash: Uint8Array;
  /** `OpaqueBlock` encoding. */
  block: Uint8Array;
  extrinsics: Uint8Array[];
  /** Trie nodes of the parent state the block touched (the state witness). */
  witness: Uint8Array[];
  /** The PoV block data: SCALE `ParaBlockData { block, witness }`. */
  pov: Uint8Array;
  stateRoot: Uint8Array;
  /** Nodes of the new state to persist. */
  newNodes: Map<string, Uint8Array>;
  included: Uint8Array[];
  rejected: RejectedTransaction[];
  /** Pool transactions not tried (deadline or block full). */
  untried: Uint8Array[];
  events: EmittedEvent[];
  weight: { normal: bigint; mandatory: bigint };
}

export type { ExecutedBlock } from "../frame/sealedBlock.js";

/** `ValidationResult` as values. */
export interface ValidationResultValue {
  headData: Uint8Array;
  newValidationCode?: Uint8Array;
  processedDownwardMessages: number;
  hrmpWatermark: number;
}

/**
 * Builds a parablock (`BlockBuilder` + Aura + the parachain inherent): claims the para slot of the
 * timestamp, applies the two inherents, then pool transactions until the block is full or the authoring
 * deadline passes, finalises, seals, and returns the block with its PoV (block + witness).
 */
export function buildBlock(rt: ParachainRuntime, p: BuildBlockParams): Result<BuiltBlock> {
  return runtimeCall(() => {
    const reg = rt.registry;
    const parent = reg.createType<Header>("Header", p.parentHeader);
    const parentHash = blake2_256(p.parentHeader);
    const recorder = new RecordingNodeStore(p.store);
    const overlay = new StateOverlay(new Trie(recorder, parent.stateRoot.toU8a()));
    const slot = p.timestampMs / BigInt(rt.config.paraSlotDurationMs);
    const expected = slotAuthor(slot, rt.aura.authorities(overlay));
    if (!expected || !bytesEqual(expected, p.author.publicKey)) {
      throw new BlockExecutionError(
        { code: "BAD_SEAL", detail: `not the author of slot ${slot}` },
        `key ${toHex(p.author.publicKey)} is not the Aura author of para slot ${slot} (expected ${expected ? toHex(expected) : "none"})`,
      );
    }
    const preHeader = reg.createType<Header>("Header", {
      parentHash,
      number: parent.number.toNumber() + 1,
      digest: { logs: [auraPreDigest(reg, slot)] },
    });
    const ctx = rt.executive.initializeBlock(overlay, preHeader, parentHash);
    const extrinsics: Uint8Array[] = [];
    const apply = (bytes: Uint8Array, d?: DecodedExtrinsic) => {
      rt.executive.applyExtrinsic(ctx, bytes, extrinsics.length, d);
      extrinsics.push(bytes);
    };
    // Inherents first: timestamp, then the validation data with the relay state proof.
    apply(inherent(rt, "Timestamp", "set", [p.timestampMs]));
    apply(
      inherent(rt, "ParachainSystem", "set_validation_data", [
        {
          validationData: {
            parentHead: scaleBytes(p.parentHeader),
            relayParentNumber: p.relayParent.number,
            relayParentStorageRoot: p.relayParent.storageRoot,
            maxPovSize: p.relayParent.maxPovSize,
          },
          relayChainState: p.relayParent.stateProof.map(scaleBytes),
        },
      ]),
    );
    const { included, rejected, untried } = applyPoolTransactions(
      rt.executive,
      ctx,
      extrinsics,
      p.transactions,
      p.deadline,
    );
    const sealed = sealBlock(reg, rt.executive, ctx, recorder, preHeader, extrinsics, p.author);
    const { header, block } = sealed;
    const witness = recorder.recorded();
    const pov = reg.createType("ParaBlockData", { block, witness: witness.map(scaleBytes) }).toU8a();
    return {
      header,
      hash: sealed.hash,
      block,
      extrinsics,
      witness,
      pov,
      stateRoot: sealed.stateRoot,
      newNodes: sealed.newNodes,
      included,
      rejected,
      untried,
      events: ctx.events,
      weight: { normal: ctx.weight.Normal, mandatory: ctx.weight.Mandatory },
    };
  });
}

/** Encodes an unsigned inherent extrinsic for `pallet.call(args)`. */
function inherent(rt: ParachainRuntime, pallet: string, call: string, args: unknown[]): Uint8Array {
  const callCodec = rt.registry.createType("Call", {
    callIndex: callIndexOf(rt, pallet, call),
    args: argsObject(rt, pallet, call, args),
  });
  return rt.registry.createType("Extrinsic", callCodec).toU8a();
}

function callIndexOf(rt: ParachainRuntime, pallet: string, call: string): Uint8Array {
  const p = rt.pallets.find((x) => x.name === pallet)!;
  const c = p.calls!.find((x) => x.name === call)!;
  return new Uint8Array([p.index, c.index]);
}

function argsObject(rt: ParachainRuntime, pallet: string, call: string, args: unknown[]): Record<string, unknown> {
  const c = rt.pallets.find((x) => x.name === pallet)!.calls!.find((x) => x.name === call)!;
  const out: Record<string, unknown> = {};
  c.args.forEach((a, i) => {
    out[a.name] = args[i];
  });
  return out;
}

interface ExecuteOptions {
  /** The parent header's encoding (its hash must be the block's parent hash). */
  parentHeader: Uint8Array;
}

/**
 * Imports a block: checks parent and number, the Aura seal (author = authorities[slot % n] in the parent
 * state, as `cumulus_pallet_aura_ext::BlockExecutor` does), re-executes every extrinsic (any invalid one makes
 * the block invalid), and checks the digest, state root and extrinsics root.
 */
export function executeBlock(
  rt: ParachainRuntime,
  store: NodeStore,
  blockBytes: Uint8Array,
  opts: ExecuteOptions,
): Result<ExecutedBlock> {
  return runtimeCall(() => executeBlockInner(rt, store, blockBytes, opts.parentHeader).executed);
}

function executeBlockInner(
  rt: ParachainRuntime,
  store: NodeStore,
  blockBytes: Uint8Array,
  parentHeaderBytes: Uint8Array,
): { executed: ExecutedBlock; ctx: BlockContext } {
  return executeSealedBlock(sealedRuntime(rt), store, blockBytes, parentHeaderBytes);
}

/** The parachain runtime as a `SealedBlockRuntime`. */
function sealedRuntime(rt: ParachainRuntime): SealedBlockRuntime {
  return { registry: rt.registry, executive: rt.executive, authorities: (s) => rt.aura.authorities(s) };
}

/**
 * `validate_block`, the PVF: re-executes a parablock from nothing but `ValidationParams` (parent head, PoV,
 * relay parent number and storage root). The witness must be exactly a piece of the parent state: a node no
 * other witness node (or the root) references is refused, and touching a node the witness lacks is an error,
 * never "no value". The block's validation data must match the params.
 */
export function validateBlock(rt: ParachainRuntime, paramsBytes: Uint8Array): Result<ValidationResultValue> {
  return runtimeCall(() => {
    const reg = rt.registry;
    let params: { parentHead: Codec; blockData: Codec; relayParentNumber: Codec; relayParentStorageRoot: Codec };
    let blockBytes: Uint8Array;
    let witness: Uint8Array[];
    let blockHeader: Header;
    try {
      params = decodeExact(reg, "ValidationParams", paramsBytes) as unknown as typeof params;
      const data = decodeExact(
        reg,
        "ParaBlockData",
        (params.blockData as unknown as { toU8a(b: boolean): Uint8Array }).toU8a(true),
      ) as unknown as {
        block: Codec & { header: Header };
        witness: Codec[];
      };
      blockBytes = data.block.toU8a();
      blockHeader = data.block.header;
      witness = data.witness.map((w) => (w as unknown as { toU8a(b: boolean): Uint8Array }).toU8a(true));
    } catch (e) {
      const detail = e instanceof Error ? e.message.split("\n")[0]! : String(e);
      throw new BlockExecutionError({ code: "UNDECODABLE_BLOCK", detail }, `PoV does not decode: ${detail}`);
    }
    const parentHead = (params.parentHead as unknown as { toU8a(b: boolean): Uint8Array }).toU8a(true);
    let parent: Header;
    try {
      parent = decodeExact<Header>(reg, "Header", parentHead);
    } catch {
      throw new BlockExecutionError(
        { code: "PARENT_HEAD_MISMATCH", expected: "a header", found: toHex(parentHead.subarray(0, 16)) },
        "parent head is not a header",
      );
    }
    // The block must build on the parent head before anything else is looked at.
    const parentHash = blake2_256(parentHead);
    if (!bytesEqual(blockHeader.parentHash.toU8a(), parentHash)) {
      throw new BlockExecutionError(
        { code: "PARENT_HEAD_MISMATCH", expected: toHex(parentHash), found: blockHeader.parentHash.toHex() },
        `block builds on ${blockHeader.parentHash.toHex()}, but the parent head hashes to ${toHex(parentHash)}`,
      );
    }
    const store = checkWitness(witness, parent.stateRoot.toU8a());
    let executed: { executed: ExecutedBlock; ctx: BlockContext };
    try {
      executed = executeBlockInner(rt, store, blockBytes, parentHead);
    } catch (e) {
      if (e instanceof MissingNodeError) {
        throw new BlockExecutionError(
          { code: "WITNESS_INCOMPLETE", missingNode: toHex(e.type.hash) },
          `the state witness lacks trie node ${toHex(e.type.hash)} that the block touched`,
        );
      }
      throw e;
    }
    const vd = rt.parachainSystem.validationData(executed.ctx.state);
    const relayNumber = (params.relayParentNumber as unknown as { toNumber(): number }).toNumber();
    const relayRoot = params.relayParentStorageRoot.toU8a();
    if (!vd)
      throw new BlockExecutionError(
        { code: "MISSING_INHERENT", inherent: "parachainSystem.setValidationData" },
        "no validation data",
      );
    if (!bytesEqual(vd.parentHead, parentHead)) {
      throw new BlockExecutionError(
        { code: "VALIDATION_DATA_MISMATCH", detail: "parent head" },
        "the block's validation data has a different parent head than the params",
      );
    }
    if (vd.relayParentNumber !== relayNumber || !bytesEqual(vd.relayParentStorageRoot, relayRoot)) {
      throw new BlockExecutionError(
        { code: "VALIDATION_DATA_MISMATCH", detail: `relay parent ${vd.relayParentNumber} vs params ${relayNumber}` },
        "the block's relay parent (number or storage root) differs from the params",
      );
    }
    return { headData: executed.executed.header.toU8a(), processedDownwardMessages: 0, hrmpWatermark: relayNumber };
  });
}

/** Builds the partial trie of a witness, refusing nodes that are not linked from the root. */
function checkWitness(witness: Uint8Array[], root: Uint8Array): MemoryNodeStore {
  const store = MemoryNodeStore.fromNodes(witness);
  const referenced = new Set<string>([toHex(root)]);
  for (const node of witness) {
    let children: Uint8Array[];
    try {
      children = (decodeNode(node)?.children ?? []).filter((c): c is Uint8Array => c !== undefined);
    } catch (e) {
      throw new BlockExecutionError(
        { code: "WITNESS_CORRUPT", detail: e instanceof Error ? e.message : String(e) },
        "a witness node does not decode",
      );
    }
    for (const c of children) referenced.add(toHex(c));
  }
  for (const node of witness) {
    const h = toHex(blake2_256(node));
    if (!referenced.has(h)) {
      throw new BlockExecutionError(
        { code: "WITNESS_UNREFERENCED_NODE", node: h },
        `witness node ${h} is not part of the parent state (no other node references it): tampered or extraneous`,
      );
    }
  }
  return store;
}

/**
 * `AuraUnincludedSegmentApi_can_build_upon` evaluated on the state of the block to build on. Building on the
 * included block itself is always allowed (the lookahead collator skips the runtime call then).
 */
export function canBuildUpon(
  rt: ParachainRuntime,
  store: NodeStore,
  parentStateRoot: Uint8Array,
  includedHash: Uint8Array,
  relaySlot: bigint,
): Result<boolean> {
  return runtimeCall(() =>
    rt.auraExt.canBuildUpon(new StateOverlay(new Trie(store, parentStateRoot)), includedHash, relaySlot),
  );
}
