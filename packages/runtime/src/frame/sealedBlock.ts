import {
  blake2_256,
  bytesEqual,
  decodeExact,
  findAuraSeal,
  findAuraSlot,
  headerHash,
  type NodeStore,
  type Sr25519Keypair,
  StateOverlay,
  scaleBytes,
  slotAuthor,
  sr25519Sign,
  sr25519Verify,
  Trie,
  toHex,
  withAuraSeal,
  withoutSeal,
} from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { Header } from "@polkadot/types/interfaces";
import type { Codec } from "@polkadot/types/types";
import type { BlockContext } from "./context.js";
import { BlockExecutionError, TransactionValidityError, type TransactionValidityErrorValue } from "./errors.js";
import { type DecodedExtrinsic, type Executive, withLengthPrefix } from "./executive.js";
import type { EmittedEvent } from "./pallet.js";
import type { StateAccess } from "./storage.js";

/** What block import needs from a runtime with Aura-sealed blocks (the parachain and the relay runtime). */
export interface SealedBlockRuntime {
  registry: TypeRegistry;
  executive: Executive;
  /** The Aura authorities in a state (the seal of a block is checked against its parent state's). */
  authorities(state: StateAccess): Uint8Array[];
}

/** An executed (imported) block. */
export interface ExecutedBlock {
  header: Header;
  hash: Uint8Array;
  stateRoot: Uint8Array;
  newNodes: Map<string, Uint8Array>;
  events: EmittedEvent[];
}

/**
 * Imports a sealed block: checks parent and number, the Aura seal (author = authorities[slot % n] in the
 * parent state, as `cumulus_pallet_aura_ext::BlockExecutor` and Substrate's Aura import do), re-executes every
 * extrinsic (any invalid one makes the block invalid; inherents must come first), and checks the digest, the
 * extrinsics root and the state root. Throws `BlockExecutionError`; callers wrap it in `runtimeCall`.
 */
export function executeSealedBlock(
  rt: SealedBlockRuntime,
  store: NodeStore,
  blockBytes: Uint8Array,
  parentHeaderBytes: Uint8Array,
): { executed: ExecutedBlock; ctx: BlockContext } {
  const reg = rt.registry;
  let header: Header;
  let opaque: Uint8Array[];
  try {
    const b = decodeExact(reg, "OpaqueBlock", blockBytes) as unknown as { header: Header; extrinsics: Codec[] };
    header = b.header;
    opaque = b.extrinsics.map((x) => (x as unknown as { toU8a(b: boolean): Uint8Array }).toU8a(true));
  } catch (e) {
    const detail = e instanceof Error ? e.message.split("\n")[0]! : String(e);
    throw new BlockExecutionError({ code: "UNDECODABLE_BLOCK", detail }, `block does not decode: ${detail}`);
  }
  const parent = reg.createType<Header>("Header", parentHeaderBytes);
  const parentHash = blake2_256(parentHeaderBytes);
  if (!bytesEqual(header.parentHash.toU8a(), parentHash)) {
    throw new BlockExecutionError(
      { code: "PARENT_HEAD_MISMATCH", expected: toHex(parentHash), found: header.parentHash.toHex() },
      `block builds on ${header.parentHash.toHex()}, but the parent head hashes to ${toHex(parentHash)}`,
    );
  }
  if (header.number.toNumber() !== parent.number.toNumber() + 1) {
    throw new BlockExecutionError(
      { code: "BAD_BLOCK_NUMBER", expected: parent.number.toNumber() + 1, found: header.number.toNumber() },
      `block number ${header.number.toNumber()} does not follow parent ${parent.number.toNumber()}`,
    );
  }
  const overlay = new StateOverlay(new Trie(store, parent.stateRoot.toU8a()));
  // Seal: the Aura author of the slot in the parent state signed the pre-seal header.
  const slot = findAuraSlot(header);
  const seal = findAuraSeal(header);
  if (slot === undefined || seal === undefined) {
    throw new BlockExecutionError(
      { code: "BAD_SEAL", detail: "missing pre-runtime slot or seal" },
      "block has no Aura slot digest or no Aura seal",
    );
  }
  const author = slotAuthor(slot, rt.authorities(overlay));
  const unsealed = withoutSeal(reg, header);
  if (!author || !sr25519Verify(seal, headerHash(unsealed), author)) {
    throw new BlockExecutionError({ code: "BAD_SEAL", detail: `slot ${slot}` }, `invalid Aura seal for slot ${slot}`);
  }
  const preLogs = unsealed.digest.logs.filter((l) => l.isPreRuntime);
  const preHeader = reg.createType<Header>("Header", { parentHash, number: header.number, digest: { logs: preLogs } });
  const ctx = rt.executive.initializeBlock(overlay, preHeader, parentHash);
  const extrinsics = opaque.map(withLengthPrefix);
  let seenSigned = false;
  extrinsics.forEach((x, i) => {
    let d: DecodedExtrinsic;
    try {
      d = rt.executive.decode(x);
      if (d.isInherent && seenSigned) {
        throw new BlockExecutionError(
          { code: "INHERENT_FAILED", index: i, detail: "inherent after transactions" },
          `inherent at index ${i} follows a transaction`,
        );
      }
      if (!d.isInherent) seenSigned = true;
      rt.executive.applyExtrinsic(ctx, x, i, d);
    } catch (e) {
      if (!(e instanceof TransactionValidityError)) throw e;
      const err = e.type.error as TransactionValidityErrorValue;
      if (err.kind === "Invalid" && err.reason === "ExhaustsResources") {
        throw new BlockExecutionError(
          { code: "BLOCK_OVERWEIGHT", index: i, detail: e.message },
          `extrinsic ${i} exceeds the block limits: ${e.message}`,
        );
      }
      throw new BlockExecutionError(
        { code: "INVALID_EXTRINSIC", index: i, error: err },
        `extrinsic ${i} is invalid: ${e.message}`,
      );
    }
  });
  const fin = rt.executive.finalizeBlock(ctx, store, extrinsics);
  const expectedLogs = [...preLogs.map((l) => l.toU8a()), ...fin.digestOut];
  const foundLogs = unsealed.digest.logs.map((l) => l.toU8a());
  if (expectedLogs.length !== foundLogs.length || expectedLogs.some((l, i) => !bytesEqual(l, foundLogs[i]!))) {
    throw new BlockExecutionError(
      { code: "VALIDATION_DATA_MISMATCH", detail: "digest mismatch" },
      "the header's digest differs from the one the runtime computed",
    );
  }
  if (!bytesEqual(fin.extrinsicsRoot, header.extrinsicsRoot.toU8a())) {
    throw new BlockExecutionError(
      {
        code: "EXTRINSICS_ROOT_MISMATCH",
        expected: header.extrinsicsRoot.toHex(),
        computed: toHex(fin.extrinsicsRoot),
      },
      "extrinsics root mismatch",
    );
  }
  if (!bytesEqual(fin.stateRoot, header.stateRoot.toU8a())) {
    throw new BlockExecutionError(
      { code: "STATE_ROOT_MISMATCH", expected: header.stateRoot.toHex(), computed: toHex(fin.stateRoot) },
      `state root mismatch: header ${header.stateRoot.toHex()}, computed ${toHex(fin.stateRoot)}`,
    );
  }
  return {
    executed: {
      header,
      hash: headerHash(header),
      stateRoot: fin.stateRoot,
      newNodes: fin.newNodes,
      events: ctx.events,
    },
    ctx,
  };
}

/** A transaction the builder could not include, with its validity error. */
export interface RejectedTransaction {
  bytes: Uint8Array;
  error: TransactionValidityErrorValue;
}

/** What became of the pool transactions offered to a block. */
export interface PoolOutcome {
  included: Uint8Array[];
  rejected: RejectedTransaction[];
  /** Not tried (deadline passed or block full): they stay in the pool for the next block. */
  untried: Uint8Array[];
}

/**
 * The block builder's transaction phase (both runtimes): applies pool transactions after the inherents until
 * the authoring deadline or the block limits. Unsigned transactions are refused (only the author puts
 * inherents in a block), invalid ones reported, and a full block stops the phase without blaming the
 * transaction. Applied extrinsics are appended to `extrinsics`.
 */
export function applyPoolTransactions(
  executive: Executive,
  ctx: BlockContext,
  extrinsics: Uint8Array[],
  transactions: Iterable<Uint8Array> | undefined,
  deadline: { now: () => number; deadlineMs: number } | undefined,
): PoolOutcome {
  const out: PoolOutcome = { included: [], rejected: [], untried: [] };
  let stop = false;
  for (const tx of transactions ?? []) {
    if (stop || (deadline && deadline.now() >= deadline.deadlineMs)) {
      stop = true;
      out.untried.push(tx);
      continue;
    }
    try {
      const d = executive.decode(tx);
      if (!d.signed) {
        out.rejected.push({ bytes: tx, error: { kind: "Unknown", reason: "NoUnsignedValidator" } });
        continue;
      }
      executive.applyExtrinsic(ctx, tx, extrinsics.length, d);
      extrinsics.push(tx);
      out.included.push(tx);
    } catch (e) {
      if (!(e instanceof TransactionValidityError)) throw e;
      const err = e.type.error as TransactionValidityErrorValue;
      // A full block is not the transaction's fault: keep it for the next block.
      if (err.kind === "Invalid" && err.reason === "ExhaustsResources") {
        stop = true;
        out.untried.push(tx);
      } else out.rejected.push({ bytes: tx, error: err });
    }
  }
  return out;
}

/**
 * Finalises a built block, puts the runtime's digest items after the pre-runtime ones, seals the header with
 * the author's Aura signature and encodes the block (`OpaqueBlock`).
 */
export function sealBlock(
  registry: TypeRegistry,
  executive: Executive,
  ctx: BlockContext,
  store: NodeStore,
  preHeader: Header,
  extrinsics: readonly Uint8Array[],
  author: Sr25519Keypair,
): { header: Header; hash: Uint8Array; block: Uint8Array; stateRoot: Uint8Array; newNodes: Map<string, Uint8Array> } {
  const fin = executive.finalizeBlock(ctx, store, extrinsics);
  const unsealed = registry.createType<Header>("Header", {
    parentHash: preHeader.parentHash,
    number: preHeader.number,
    stateRoot: fin.stateRoot,
    extrinsicsRoot: fin.extrinsicsRoot,
    digest: { logs: [...preHeader.digest.logs, ...fin.digestOut.map((b) => registry.createType("DigestItem", b))] },
  });
  const header = withAuraSeal(registry, unsealed, sr25519Sign(author, headerHash(unsealed)));
  const block = registry
    .createType("OpaqueBlock", {
      header,
      // Opaque extrinsics are stored without their own length prefix.
      extrinsics: extrinsics.map((x) => scaleBytes(x.subarray(compactPrefixLength(x)))),
    })
    .toU8a();
  return { header, hash: headerHash(header), block, stateRoot: fin.stateRoot, newNodes: fin.newNodes };
}

/** Length of the SCALE compact length prefix at the start of `x`. */
function compactPrefixLength(x: Uint8Array): number {
  const mode = x[0]! & 3;
  return mode === 0 ? 1 : mode === 1 ? 2 : mode === 2 ? 4 : 1 + ((x[0]! >> 2) + 4);
}
