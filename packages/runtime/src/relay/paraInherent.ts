import { blake2_256, bytesEqual, decodeExact, sr25519Verify, toHex } from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { Header } from "@polkadot/types/interfaces";
import type { Codec } from "@polkadot/types/types";
import type { BlockContext } from "../frame/context.js";
import { BlockExecutionError } from "../frame/errors.js";
import { type Pallet, palletErrors, WEIGHT_REF_TIME_PER_MICROS } from "../frame/pallet.js";
import { ensureNone } from "../pallets/system.js";
import {
  bitfieldSigningPayload,
  candidateHash,
  type ParasInherentDataValue,
  parasInherentFromCodec,
  type SignedAvailabilityBitfieldValue,
  type SigningContextValue,
} from "./candidate.js";
import type { ConfigurationPallet } from "./configuration.js";
import { CandidateError } from "./errors.js";
import type { InclusionPallet } from "./inclusion.js";
import type { ParasPallet } from "./paras.js";
import type { SchedulerPallet } from "./scheduler.js";
import type { SharedPallet } from "./shared.js";

/** Why a bitfield was left out (upstream `sanitize_bitfields` drops these without failing the block). */
export type BitfieldDropReason =
  | "WRONG_LENGTH"
  | "UNSORTED_OR_DUPLICATE"
  | "VALIDATOR_INDEX_OUT_OF_BOUNDS"
  | "BAD_SIGNATURE";

/** A candidate the inherent refused, with the reason. */
export interface RejectedCandidate {
  /** Position in the `backedCandidates` given. */
  index: number;
  paraId: number;
  candidateHash: Uint8Array;
  error: CandidateError;
}

/** What `ParaInherent.enter` did. */
export interface ParaInherentOutcome {
  droppedBitfields: Array<{ index: number; validatorIndex: number; reason: BitfieldDropReason }>;
  /** Hashes of the candidates enacted (included) by this block's bitfields, in enactment order. */
  included: Uint8Array[];
  /** Hashes of the candidates that timed out (and their descendants). */
  timedOut: Uint8Array[];
  /** Hashes of the candidates backed in this block. */
  backed: Uint8Array[];
  /** Candidates refused (only in "create" mode; in "enter" mode a refused candidate makes the block invalid). */
  rejected: RejectedCandidate[];
}

const INCLUDED_FLAG = "paraInherent:included";
const OUTCOME_FLAG = "paraInherent:outcome";

/** The outcome of the block's `ParaInherent.enter`, once it ran (block builders and importers report it). */
export function paraInherentOutcome(ctx: BlockContext): ParaInherentOutcome | undefined {
  return ctx.flags.get(OUTCOME_FLAG) as ParaInherentOutcome | undefined;
}

/**
 * `paras_inherent` (`ParaInherent`): the mandatory `enter` inherent, once per block. In order: check the parent
 * header, add the parent to the allowed relay parents, apply the availability bitfields (invalid ones are
 * dropped) and enact the candidates that became available, time out stale candidates, then back the new
 * candidates. A block author filters candidates first ("create": refused ones are reported and left out); in
 * an imported block ("enter") a candidate that fails a check makes the block invalid, as upstream's
 * `InherentDataFilteredDuringExecution`.
 */
export function createParaInherent(
  registry: TypeRegistry,
  index: number,
  deps: {
    configuration: ConfigurationPallet;
    shared: SharedPallet;
    paras: ParasPallet;
    scheduler: SchedulerPallet;
    inclusion: InclusionPallet;
  },
) {
  const P = "ParaInherent";
  const errors = palletErrors(P, index, [
    "TooManyInclusionInherents",
    "InvalidParentHeader",
    "InherentDataFilteredDuringExecution",
    "UnscheduledCandidate",
  ] as const);

  /** Processes the inherent data; see the pallet doc for the order and the two modes. */
  function process(ctx: BlockContext, data: ParasInherentDataValue, mode: "enter" | "create"): ParaInherentOutcome {
    const s = ctx.state;
    const fail = (detail: string, message: string, cause?: unknown): never => {
      const index = ctx.phase.kind === "ApplyExtrinsic" ? ctx.phase.index : 0;
      const err = new BlockExecutionError({ code: "INHERENT_FAILED", index, detail }, message);
      if (cause !== undefined) err.cause = cause;
      throw err;
    };
    if (ctx.flags.has(INCLUDED_FLAG)) fail("TooManyInclusionInherents", "Inclusion inherent called more than once");

    // The parent header: its hash is the block's parent hash; its state root is the relay-parent storage root.
    let parent: Header | undefined;
    try {
      parent = decodeExact<Header>(registry, "Header", data.parentHeader);
    } catch {
      parent = undefined;
    }
    if (!parent || !bytesEqual(blake2_256(data.parentHeader), ctx.parentHash)) {
      fail("InvalidParentHeader", `the inherent's parent header does not hash to the parent ${toHex(ctx.parentHash)}`);
    }
    const config = deps.configuration.get(s);
    deps.shared.update(
      s,
      { hash: ctx.parentHash, number: ctx.number - 1, stateRoot: parent!.stateRoot.toU8a() },
      config.asyncBackingParams.allowedAncestryLen,
    );

    const validators = deps.shared.activeValidators(s);
    const sessionIndex = deps.shared.sessionIndex(s);
    const parachains = deps.paras.parachains(s);

    // (1) Bitfields, signed in the context of the block's parent.
    const droppedBitfields: ParaInherentOutcome["droppedBitfields"] = [];
    const votesPerCore = new Map<number, Set<number>>();
    const bitfieldContext = { sessionIndex, parentHash: ctx.parentHash };
    let last = -1;
    data.bitfields.forEach((bf: SignedAvailabilityBitfieldValue, i) => {
      const reason = bitfieldDropReason(bf, parachains.length, last, validators, bitfieldContext);
      if (reason !== undefined) {
        droppedBitfields.push({ index: i, validatorIndex: bf.validatorIndex, reason });
        return;
      }
      last = bf.validatorIndex;
      bf.payload.forEach((bit, core) => {
        if (!bit) return;
        const set = votesPerCore.get(core) ?? new Set<number>();
        set.add(bf.validatorIndex);
        votesPerCore.set(core, set);
      });
    });
    const included = deps.inclusion
      .updatePendingAvailability(ctx, parachains, validators.length, votesPerCore)
      .map((c) => c.hash);

    // (2) Availability timeouts (descendants of a timed-out candidate go with it).
    const timedOut = deps.inclusion.freeTimedOut(ctx, parachains, config.availabilityPeriod).map((c) => c.hash);

    // (3) Backed candidates.
    const env = {
      config,
      sessionIndex,
      validators,
      groups: deps.scheduler.groups(s),
      parachains,
      allowedRelayParents: deps.shared.allowed(s),
      backedCores: new Set<number>(),
    };
    const backed: Uint8Array[] = [];
    const rejected: RejectedCandidate[] = [];
    data.backedCandidates.forEach((b, i) => {
      try {
        const checked = deps.inclusion.checkBackedCandidate(s, b, env);
        deps.inclusion.backCandidate(ctx, b, checked, validators.length);
        env.backedCores.add(checked.core);
        backed.push(checked.hash);
      } catch (e) {
        if (!(e instanceof CandidateError)) throw e;
        if (mode === "enter") {
          fail(
            `InherentDataFilteredDuringExecution: ${e.code}`,
            `backed candidate ${i} (para ${b.candidate.descriptor.paraId}) is invalid: ${e.message}`,
            e,
          );
        }
        rejected.push({
          index: i,
          paraId: b.candidate.descriptor.paraId,
          candidateHash: candidateHash(b.candidate),
          error: e,
        });
      }
    });
    const outcome = { droppedBitfields, included, timedOut, backed, rejected };
    ctx.flags.set(INCLUDED_FLAG, true);
    ctx.flags.set(OUTCOME_FLAG, outcome);
    return outcome;
  }

  const SIG = 350n * WEIGHT_REF_TIME_PER_MICROS;
  const pallet: Pallet = {
    name: P,
    index,
    crate: "polkadot_runtime_parachains::paras_inherent",
    errors: errors.meta,
    inherents: ["enter"],
    calls: [
      {
        name: "enter",
        index: 0,
        args: [{ name: "data", type: "ParasInherentData", typeName: "ParachainsInherentData<HeaderFor<T>>" }],
        docs: ["Enter the paras inherent. This will process bitfields and backed candidates."],
        dispatchClass: "Mandatory",
        paysFee: false,
        weight(args) {
          // One signature check per bitfield, per collator signature and per backing vote.
          const d = args[0] as unknown as {
            bitfields: unknown[];
            backedCandidates: Array<{ validityVotes: unknown[] }>;
          };
          let sigs = BigInt(d.bitfields.length);
          for (const b of d.backedCandidates) sigs += 1n + BigInt(b.validityVotes.length);
          return 200n * WEIGHT_REF_TIME_PER_MICROS + sigs * SIG;
        },
        dispatch(ctx, origin, args) {
          ensureNone(origin);
          const data = parasInherentFromCodec(registry.createType("ParasInherentData", (args[0] as Codec).toU8a()));
          process(ctx, data, "enter");
        },
      },
    ],
    onFinalize(ctx) {
      if (!ctx.flags.has(INCLUDED_FLAG)) {
        throw new BlockExecutionError(
          { code: "MISSING_INHERENT", inherent: "paraInherent.enter" },
          "Bitfields and heads must be included every block",
        );
      }
    },
  };

  return { pallet, errors, process };
}

/**
 * `sanitize_bitfields`: a bitfield must have one bit per core, come in strictly increasing validator order,
 * name a known validator and carry that validator's signature over `bitfield ++ SigningContext`.
 */
function bitfieldDropReason(
  bf: SignedAvailabilityBitfieldValue,
  nCores: number,
  lastAccepted: number,
  validators: readonly Uint8Array[],
  context: SigningContextValue,
): BitfieldDropReason | undefined {
  if (bf.payload.length !== nCores) return "WRONG_LENGTH";
  if (bf.validatorIndex <= lastAccepted) return "UNSORTED_OR_DUPLICATE";
  const key = validators[bf.validatorIndex];
  if (!key) return "VALIDATOR_INDEX_OUT_OF_BOUNDS";
  if (!sr25519Verify(bf.signature, bitfieldSigningPayload(bf.payload, context), key)) return "BAD_SIGNATURE";
  return undefined;
}

/** The `ParaInherent` pallet instance type. */
export type ParaInherentPallet = ReturnType<typeof createParaInherent>;
