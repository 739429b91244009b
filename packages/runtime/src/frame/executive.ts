import {
  blake2_256,
  concatBytes,
  ed25519VerifySafe,
  type NodeStore,
  orderedTrieRoot,
  StateOverlay,
  sr25519Verify,
  Trie,
  toHex,
} from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { Header } from "@polkadot/types/interfaces";
import type { Codec } from "@polkadot/types/types";
import { compactAddLength, u8aToU8a } from "@polkadot/util";
import type { SystemPallet } from "../pallets/system.js";
import type { TransactionPaymentPallet } from "../pallets/transactionPayment.js";
import { BlockContext } from "./context.js";
import {
  BlockExecutionError,
  DispatchError,
  type DispatchErrorValue,
  TransactionValidityError,
  type TransactionValidityErrorValue,
} from "./errors.js";
import { type Envelope, eraBirth, eraDeath, parseEnvelope, type SignedEnvelope } from "./extrinsicCodec.js";
import { NONE, type Origin, signed } from "./origin.js";
import type { CallDef, DispatchClass, Pallet } from "./pallet.js";

/** An extrinsic decoded and classified, before any state check. */
export interface DecodedExtrinsic {
  /** Full encoding (with its compact length prefix). */
  bytes: Uint8Array;
  /** blake2-256 of `bytes`: the extrinsic hash clients see. */
  hash: Uint8Array;
  /** The signed extensions' extra data as encoded (era, nonce, tip); empty when unsigned. */
  extra: Uint8Array;
  /** The call as encoded. */
  callBytes: Uint8Array;
  /** The signed envelope (signer, signature, era, nonce, tip); undefined for unsigned extrinsics. */
  signed?: SignedEnvelope;
  call: Codec;
  pallet: Pallet;
  callDef: CallDef;
  /** Base + call weight (ref-time). */
  weight: bigint;
  dispatchClass: DispatchClass;
  paysFee: boolean;
  isInherent: boolean;
  signer?: Uint8Array;
  nonce: number;
  tip: bigint;
}

/** `ValidTransaction` for the pool (tags are SCALE `(AccountId, Nonce)`). */
export interface ValidTransaction {
  priority: bigint;
  requires: Uint8Array[];
  provides: Uint8Array[];
  longevity: bigint;
  propagate: boolean;
}

/** The result of applying one extrinsic that could be included: the call's own error, if any. */
export interface ApplyOutcome {
  dispatchError?: DispatchErrorValue;
  weight: bigint;
  fee: bigint;
}

/** What the executive needs from a runtime. */
export interface ExecutiveDeps {
  registry: TypeRegistry;
  system: SystemPallet;
  payment: TransactionPaymentPallet;
  /** Every pallet, System first, in index order of execution (on_initialize / on_finalize order). */
  pallets: Pallet[];
  /** Whether a signed call pays no fee (e.g. sudo by the sudo key). */
  feeless?: (state: StateOverlay, who: Uint8Array, d: DecodedExtrinsic) => boolean;
}

/** Immortal transactions live this long in the pool (Substrate's `TransactionLongevity::MAX` would never expire). */
const IMMORTAL_LONGEVITY = 18_446_744_073_709_551_615n;

/**
 * FRAME's `Executive`: initialises a block, applies extrinsics (signature and signed-extension checks, fee,
 * dispatch in a storage layer, events), finalises it and computes its roots. Also the transaction-pool entry
 * point `validateTransaction` and `queryInfo`.
 */
export class Executive {
  private readonly calls = new Map<number, { pallet: Pallet; call: CallDef }>();
  readonly registry: TypeRegistry;

  constructor(readonly deps: ExecutiveDeps) {
    this.registry = deps.registry;
    for (const p of deps.pallets)
      for (const c of p.calls ?? []) this.calls.set((p.index << 8) | c.index, { pallet: p, call: c });
  }

  /** Looks a decoded call up; unknown indexes are `Invalid(Call)`. */
  resolveCall(call: Codec): { pallet: Pallet; call: CallDef } {
    const idx = (call as unknown as { callIndex: Uint8Array }).callIndex;
    const found = this.calls.get((idx[0]! << 8) | idx[1]!);
    if (!found)
      throw new TransactionValidityError({
        kind: "Invalid",
        reason: "Call",
        detail: `unknown call index ${idx[0]}/${idx[1]}`,
      });
    return found;
  }

  /** The total weight of a call (call weight only, base excluded). */
  callWeight(call: Codec): bigint {
    const { call: def } = this.resolveCall(call);
    return def.weight((call as unknown as { args: Codec[] }).args);
  }

  /** Dispatches a decoded call with an origin (used by the executive and by pallets that nest calls). */
  dispatchCall(ctx: BlockContext, origin: Origin, call: Codec): void {
    const { call: def } = this.resolveCall(call);
    def.dispatch(ctx, origin, (call as unknown as { args: Codec[] }).args);
  }

  /** Decodes an extrinsic (full encoding, length-prefixed). Bad bytes are `Undecodable`, unknown calls `Invalid(Call)`. */
  decode(bytes: Uint8Array): DecodedExtrinsic {
    let env: Envelope;
    let call: Codec;
    try {
      env = parseEnvelope(bytes);
      call = this.registry.createType("Call", env.callBytes);
    } catch (e) {
      throw new TransactionValidityError({
        kind: "Undecodable",
        detail: e instanceof Error ? e.message.split("\n")[0]! : String(e),
      });
    }
    if (call.encodedLength !== env.callBytes.length) {
      throw new TransactionValidityError({
        kind: "Undecodable",
        detail: `the call is ${env.callBytes.length} bytes, it decodes from ${call.encodedLength}`,
      });
    }
    const { pallet, call: def } = this.resolveCall(call);
    const args = (call as unknown as { args: Codec[] }).args;
    const dispatchClass = def.dispatchClass ?? "Normal";
    const isInherent = !env.signed && (pallet.inherents ?? []).includes(def.name);
    const base = dispatchClass === "Mandatory" ? 0n : this.deps.system.limits.baseExtrinsic;
    return {
      bytes,
      get hash() {
        return blake2_256(bytes);
      },
      extra: env.extra,
      callBytes: env.callBytes,
      signed: env.signed,
      call,
      pallet,
      callDef: def,
      weight: base + def.weight(args),
      dispatchClass,
      paysFee: def.paysFee ?? true,
      isInherent,
      signer: env.signed?.signer,
      nonce: env.signed?.nonce ?? 0,
      tip: env.signed?.tip ?? 0n,
    };
  }

  /**
   * Signature and the signed extensions' checks that read state (genesis, mortality, nonce), in the order
   * Substrate runs them. Returns how far the nonce is ahead: 0 = ready, > 0 = future.
   */
  private checkSigned(
    state: StateOverlay,
    d: DecodedExtrinsic,
    currentNumber: number,
  ): { nonceGap: number; longevity: bigint } {
    const signedPart = d.signed!;
    const signer = signedPart.signer;
    // CheckNonZeroSender
    if (signer.every((b) => b === 0)) throw new TransactionValidityError({ kind: "Invalid", reason: "BadSigner" });
    // CheckGenesis / CheckMortality additional-signed data.
    const sys = this.deps.system;
    const genesis = sys.storage.BlockHash.getRaw(state, 0);
    if (!genesis)
      throw new TransactionValidityError({ kind: "Unknown", reason: "CannotLookup", detail: "genesis hash not known" });
    let birthHash = genesis;
    let longevity = IMMORTAL_LONGEVITY;
    if (signedPart.era.kind === "mortal") {
      const hash = sys.storage.BlockHash.getRaw(state, eraBirth(signedPart.era, currentNumber));
      if (!hash) throw new TransactionValidityError({ kind: "Invalid", reason: "AncientBirthBlock" });
      birthHash = hash;
      longevity = BigInt(eraDeath(signedPart.era, currentNumber) - currentNumber);
    }
    // The signature over (call ++ extra ++ additional), hashed when longer than 256 bytes.
    const payload = this.signingPayload(d, genesis, birthHash);
    let ok = false;
    if (signedPart.signatureType === "Sr25519") ok = sr25519Verify(signedPart.signature, payload, signer);
    else if (signedPart.signatureType === "Ed25519") ok = ed25519VerifySafe(signedPart.signature, payload, signer);
    if (!ok) throw new TransactionValidityError({ kind: "Invalid", reason: "BadProof" });
    // CheckNonce
    const account = sys.account(state, signer);
    if (d.nonce < account.nonce)
      throw new TransactionValidityError({
        kind: "Invalid",
        reason: "Stale",
        detail: `nonce ${d.nonce}, account nonce ${account.nonce}`,
      });
    return { nonceGap: d.nonce - account.nonce, longevity };
  }

  /** The bytes a signer signs: call ++ extra (era, nonce, tip) ++ additional (spec, tx version, genesis, birth hash). */
  signingPayload(d: DecodedExtrinsic, genesisHash: Uint8Array, birthHash: Uint8Array): Uint8Array {
    const v = this.deps.system.version;
    const additional = new Uint8Array(8);
    const dv = new DataView(additional.buffer);
    dv.setUint32(0, v.specVersion, true);
    dv.setUint32(4, v.transactionVersion, true);
    const payload = concatBytes(d.callBytes, d.extra, additional, genesisHash, birthHash);
    return payload.length > 256 ? blake2_256(payload) : payload;
  }

  private classLimit(cls: DispatchClass): bigint {
    const l = this.deps.system.limits;
    if (cls === "Normal") return (l.maxBlockRefTime * l.normalRatioPpm) / 1_000_000n;
    if (cls === "Operational") return l.maxBlockRefTime;
    return (1n << 64n) - 1n;
  }

  /** CheckWeight: does the extrinsic fit in what is left of its class (and the block length)? */
  private checkWeight(ctx: BlockContext, d: DecodedExtrinsic): void {
    const used = ctx.weight[d.dispatchClass];
    if (used + d.weight > this.classLimit(d.dispatchClass)) {
      throw new TransactionValidityError({
        kind: "Invalid",
        reason: "ExhaustsResources",
        detail: `${d.dispatchClass} weight ${used} + ${d.weight} > ${this.classLimit(d.dispatchClass)}`,
      });
    }
    if (ctx.length + d.bytes.length > this.deps.system.limits.maxBlockLength) {
      throw new TransactionValidityError({
        kind: "Invalid",
        reason: "ExhaustsResources",
        detail: "block length limit",
      });
    }
  }

  /** Starts a block: System bookkeeping, then every pallet's `on_initialize`. */
  initializeBlock(overlay: StateOverlay, header: Header, parentHash: Uint8Array): BlockContext {
    const number = header.number.toNumber();
    const ctx = new BlockContext(this.registry, overlay, header, number, parentHash);
    this.deps.system.initialize(ctx);
    for (const p of this.deps.pallets) {
      if (p.onInitialize) ctx.weight.Mandatory += p.onInitialize(ctx);
    }
    return ctx;
  }

  /**
   * Applies one extrinsic at `index`. Throws `TransactionValidityError` when it cannot be included (nothing
   * is changed then) and `BlockExecutionError` when a mandatory inherent fails; a failing call is an
   * outcome (`dispatchError`), its fee charged and nonce used.
   */
  applyExtrinsic(ctx: BlockContext, bytes: Uint8Array, index: number, decoded?: DecodedExtrinsic): ApplyOutcome {
    const d = decoded ?? this.decode(bytes);
    const s = ctx.state;
    ctx.phase = { kind: "ApplyExtrinsic", index };
    let origin: Origin;
    let fee = 0n;
    if (d.signed) {
      const { nonceGap } = this.checkSigned(s, d, ctx.number);
      if (nonceGap > 0)
        throw new TransactionValidityError({
          kind: "Invalid",
          reason: "Future",
          detail: `nonce ${d.nonce} is ${nonceGap} ahead`,
        });
      this.checkWeight(ctx, d);
      // Fee and nonce are kept even when the call fails.
      fee = this.feeFor(s, d);
      this.deps.payment.withdrawFee(ctx, d.signer!, fee, d.tip);
      const account = this.deps.system.account(s, d.signer!);
      account.nonce += 1;
      this.deps.system.setAccount(s, d.signer!, account);
      origin = signed(d.signer!);
    } else {
      if (!d.isInherent) throw new TransactionValidityError({ kind: "Unknown", reason: "NoUnsignedValidator" });
      origin = NONE;
    }
    ctx.weight[d.dispatchClass] += d.weight;
    ctx.length += d.bytes.length;

    let dispatchError: DispatchErrorValue | undefined;
    s.startTransaction();
    try {
      d.callDef.dispatch(ctx, origin, (d.call as unknown as { args: Codec[] }).args);
      s.commitTransaction();
    } catch (e) {
      s.rollbackTransaction();
      if (!(e instanceof DispatchError)) throw e;
      dispatchError = e.type.error as DispatchErrorValue;
      if (d.dispatchClass === "Mandatory") {
        throw new BlockExecutionError(
          { code: "INHERENT_FAILED", index, detail: e.message },
          `A call was labelled as mandatory, but resulted in an Error: ${d.pallet.name}.${d.callDef.name}: ${e.message}`,
        );
      }
    }
    this.deps.system.noteApplied(
      ctx,
      { weight: d.weight, class: d.dispatchClass, paysFee: d.paysFee && fee > 0n },
      dispatchError,
    );
    return { dispatchError, weight: d.weight, fee };
  }

  private feeFor(state: StateOverlay, d: DecodedExtrinsic): bigint {
    const feeless = !d.paysFee || (this.deps.feeless?.(state, d.signer!, d) ?? false);
    return this.deps.payment.computeFee(d.bytes.length, d.weight, d.tip, !feeless);
  }

  /**
   * Ends a block: `on_finalize` of every pallet, events written, then the state root (the overlay committed
   * over `store`) and the extrinsics root. Returns the header fields the runtime is responsible for.
   */
  finalizeBlock(
    ctx: BlockContext,
    store: NodeStore,
    extrinsics: readonly Uint8Array[],
  ): { stateRoot: Uint8Array; extrinsicsRoot: Uint8Array; newNodes: Map<string, Uint8Array>; digestOut: Uint8Array[] } {
    ctx.phase = { kind: "Finalization" };
    for (const p of this.deps.pallets) p.onFinalize?.(ctx);
    this.deps.system.finalize(ctx, extrinsics.length);
    const { root, newNodes } = ctx.state.commit(store);
    return {
      stateRoot: root,
      extrinsicsRoot: orderedTrieRoot(extrinsics as Uint8Array[]),
      newNodes,
      digestOut: ctx.digestOut,
    };
  }

  /**
   * The pool's check (`TaggedTransactionQueue_validate_transaction`): validity against the state of the
   * best block, as if in the next block. Changes nothing.
   */
  validateTransaction(
    store: NodeStore,
    bestStateRoot: Uint8Array,
    bestHash: Uint8Array,
    bestNumber: number,
    bytes: Uint8Array,
  ): ValidTransaction {
    const overlay = new StateOverlay(new Trie(store, bestStateRoot));
    const d = this.decode(bytes);
    if (!d.signed) {
      if (d.isInherent) throw new TransactionValidityError({ kind: "Invalid", reason: "MandatoryValidation" });
      throw new TransactionValidityError({ kind: "Unknown", reason: "NoUnsignedValidator" });
    }
    const header = this.registry.createType<Header>("Header", { number: bestNumber + 1, parentHash: bestHash });
    const ctx = new BlockContext(this.registry, overlay, header, bestNumber + 1, bestHash);
    this.deps.system.initialize(ctx);
    const { nonceGap, longevity } = this.checkSigned(overlay, d, bestNumber + 1);
    if (d.weight > this.classLimit(d.dispatchClass))
      throw new TransactionValidityError({ kind: "Invalid", reason: "ExhaustsResources" });
    // Can the signer pay? Checked by withdrawing in a layer that is rolled back.
    const fee = this.feeFor(overlay, d);
    overlay.startTransaction();
    try {
      this.deps.payment.withdrawFee(ctx, d.signer!, fee, d.tip);
    } finally {
      overlay.rollbackTransaction();
    }
    const tag = (nonce: number) => this.registry.createType("(AccountId32, u32)", [d.signer!, nonce]).toU8a();
    return {
      priority: this.deps.payment.priority(d.tip, d.dispatchClass),
      requires: nonceGap > 0 ? [tag(d.nonce - 1)] : [],
      provides: [tag(d.nonce)],
      longevity,
      propagate: true,
    };
  }

  /** `TransactionPaymentApi_query_info`: weight, class and the fee without tip. */
  queryInfo(bytes: Uint8Array): { weight: bigint; dispatchClass: DispatchClass; partialFee: bigint } {
    const d = this.decode(bytes);
    const partialFee = d.paysFee ? this.deps.payment.computeFee(d.bytes.length, d.weight, 0n) : 0n;
    return { weight: d.weight, dispatchClass: d.dispatchClass, partialFee };
  }
}

/** Converts an opaque block extrinsic (no length prefix) to the full encoding. */
export function withLengthPrefix(inner: Uint8Array): Uint8Array {
  return compactAddLength(u8aToU8a(inner));
}

/** A validity error as a plain object for logs and RPC. */
export function validityErrorOf(e: unknown): TransactionValidityErrorValue | undefined {
  return e instanceof TransactionValidityError ? (e.type.error as TransactionValidityErrorValue) : undefined;
}

/** Short hex of a hash for messages. */
export function shortHash(h: Uint8Array): string {
  const x = toHex(h);
  return `${x.slice(0, 10)}…${x.slice(-4)}`;
}
