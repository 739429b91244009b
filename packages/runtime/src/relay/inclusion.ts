import { blake2_256, bytesEqual, decodeExact, headerHash, sr25519Verify, toHex } from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { Header } from "@polkadot/types/interfaces";
import type { Codec } from "@polkadot/types/types";
import { u8aToHex } from "@polkadot/util";
import type { BlockContext } from "../frame/context.js";
import { type Pallet, palletErrors, palletEvents } from "../frame/pallet.js";
import { type StateAccess, StorageMap } from "../frame/storage.js";
import {
  attestationStatement,
  type BackedCandidateValue,
  backingStatementPayload,
  bitsOf,
  type CandidateCommitmentsValue,
  type CandidateDescriptorValue,
  candidateHash,
  checkCollatorSignature,
  commitmentsFromCodec,
  commitmentsHash,
  commitmentsInput,
  countOnes,
  descriptorFromCodec,
  descriptorInput,
  encodeBitVec,
  persistedValidationDataHash,
} from "./candidate.js";
import type { RelayHostConfiguration } from "./config.js";
import { CandidateError, INCLUSION_ERRORS } from "./errors.js";
import type { ParasPallet } from "./paras.js";
import type { SchedulerPallet } from "./scheduler.js";
import { type AllowedRelayParentsValue, acquireRelayParentInfo, allowedRelayParentList } from "./shared.js";

/** `CandidatePendingAvailability` as a value: a backed candidate waiting for availability. */
export interface PendingCandidate {
  core: number;
  hash: Uint8Array;
  descriptor: CandidateDescriptorValue;
  commitments: CandidateCommitmentsValue;
  /** One bit per validator: who attested availability. */
  availabilityVotes: boolean[];
  /** One bit per validator: who backed it. */
  backers: boolean[];
  relayParentNumber: number;
  backedInNumber: number;
  backingGroup: number;
}

/** `availability_threshold(n) = supermajority_threshold(n) = n - (n - 1) / 3` (more than 2/3). */
export function availabilityThreshold(nValidators: number): number {
  return nValidators - Math.floor(Math.max(0, nValidators - 1) / 3);
}

/** `effective_minimum_backing_votes(group_len, configured) = min(group_len, configured)`. */
export function effectiveMinimumBackingVotes(groupLen: number, configured: number): number {
  return Math.min(groupLen, configured);
}

/** What checking a backed candidate needs besides the state. */
export interface CandidateCheckEnv {
  config: RelayHostConfiguration;
  sessionIndex: number;
  validators: Uint8Array[];
  groups: number[][];
  parachains: number[];
  allowedRelayParents: AllowedRelayParentsValue;
  /** Cores that already got a new candidate in this block. */
  backedCores: Set<number>;
}

/** A candidate that passed every check, with what `process` needs to record it. */
export interface CheckedCandidate {
  paraId: number;
  core: number;
  group: number;
  hash: Uint8Array;
  relayParentNumber: number;
  backers: boolean[];
}

/**
 * `inclusion` (`ParaInclusion`): candidates pending availability per para (a chain from the latest included
 * head), availability votes from bitfields, enactment in chain order (`Paras.Heads` changes), timeouts, and the
 * checks a backed candidate must pass (`verify_backed_candidate` and `check_backing_votes`).
 */
export function createInclusion(
  registry: TypeRegistry,
  index: number,
  deps: { paras: ParasPallet; scheduler: SchedulerPallet },
) {
  const P = "ParaInclusion";
  const PendingAvailability = new StorageMap(
    registry,
    P,
    "PendingAvailability",
    "Twox64Concat",
    "u32",
    "Vec<CandidatePendingAvailabilityEntry>",
    {
      modifier: "Optional",
      docs: [
        "Candidates pending availability by `ParaId`. They form a chain starting from the latest included head of the para.",
      ],
    },
  );
  const errors = palletErrors(P, index, INCLUSION_ERRORS);
  const receipt = { name: "candidate_receipt", type: "CandidateReceipt", typeName: "CandidateReceipt<T::Hash>" };
  const head = { name: "head_data", type: "HeadData", typeName: "HeadData" };
  const core = { name: "core_index", type: "u32", typeName: "CoreIndex" };
  const group = { name: "group_index", type: "u32", typeName: "GroupIndex" };
  const events = palletEvents(registry, P, index, [
    {
      name: "CandidateBacked",
      fields: [receipt, head, core, group],
      docs: ["A candidate was backed. `[candidate, head_data]`"],
    },
    {
      name: "CandidateIncluded",
      fields: [receipt, head, core, group],
      docs: ["A candidate was included. `[candidate, head_data]`"],
    },
    {
      name: "CandidateTimedOut",
      fields: [receipt, head, core],
      docs: ["A candidate timed out. `[candidate, head_data]`"],
    },
  ] as const);

  function pending(s: StateAccess, paraId: number): PendingCandidate[] {
    const v = PendingAvailability.getOption(s, paraId) as unknown as Array<{ get(field: string): Codec }> | undefined;
    if (!v) return [];
    // Fields by `get`: a struct's `hash` property is the codec's own hash, not the field.
    const n = (x: unknown) => (x as { toNumber(): number }).toNumber();
    return v.map((c) => ({
      core: n(c.get("core")),
      hash: c.get("hash").toU8a(),
      descriptor: descriptorFromCodec(c.get("descriptor")),
      commitments: commitmentsFromCodec(c.get("commitments")),
      availabilityVotes: bitsOf(c.get("availabilityVotes")),
      backers: bitsOf(c.get("backers")),
      relayParentNumber: n(c.get("relayParentNumber")),
      backedInNumber: n(c.get("backedInNumber")),
      backingGroup: n(c.get("backingGroup")),
    }));
  }

  function setPending(s: StateAccess, paraId: number, list: PendingCandidate[]): void {
    if (list.length === 0) {
      PendingAvailability.remove(s, paraId);
      return;
    }
    PendingAvailability.put(
      s,
      paraId,
      list.map((c) => ({
        core: c.core,
        hash: c.hash,
        descriptor: descriptorInput(c.descriptor),
        commitments: commitmentsInput(c.commitments),
        availabilityVotes: encodeBitVec(c.availabilityVotes),
        backers: encodeBitVec(c.backers),
        relayParentNumber: c.relayParentNumber,
        backedInNumber: c.backedInNumber,
        backingGroup: c.backingGroup,
      })),
    );
  }

  /** The receipt and head codecs an inclusion event carries. */
  function eventParts(c: Pick<PendingCandidate, "descriptor" | "commitments">): [Codec, Codec] {
    const r = registry.createType("CandidateReceipt", {
      descriptor: descriptorInput(c.descriptor),
      commitmentsHash: commitmentsHash(c.commitments),
    });
    return [r, registry.createType("HeadData", u8aToHex(c.commitments.headData))];
  }

  /** `para_latest_head_data`: the head of the last pending candidate, else `Paras.Heads`. */
  function latestHead(s: StateAccess, paraId: number): Uint8Array | undefined {
    const list = pending(s, paraId);
    return list.length > 0 ? list[list.length - 1]!.commitments.headData : deps.paras.head(s, paraId);
  }

  /** `para_most_recent_context`: the relay parent of the last pending candidate, else `Paras.MostRecentContext`. */
  function mostRecentContext(s: StateAccess, paraId: number): number | undefined {
    const list = pending(s, paraId);
    return list.length > 0 ? list[list.length - 1]!.relayParentNumber : deps.paras.mostRecentContext(s, paraId);
  }

  /**
   * `update_pending_availability_and_get_freed_cores`: records the votes (a core's bit counts for the first
   * pending candidate on that core) and enacts, per para and in chain order, every candidate with at least
   * `availability_threshold(n)` votes whose predecessors are enacted too. Returns the enacted candidates.
   */
  function updatePendingAvailability(
    ctx: BlockContext,
    parachains: readonly number[],
    nValidators: number,
    votesPerCore: Map<number, Set<number>>,
  ): PendingCandidate[] {
    const threshold = availabilityThreshold(nValidators);
    const votes = new Map(votesPerCore);
    const enacted: PendingCandidate[] = [];
    for (const paraId of parachains) {
      const list = pending(ctx.state, paraId);
      if (list.length === 0) continue;
      let changed = false;
      let lastEnacted = -1;
      list.forEach((c, i) => {
        const voters = votes.get(c.core);
        if (voters) {
          votes.delete(c.core);
          for (const v of voters) {
            if (v < c.availabilityVotes.length && !c.availabilityVotes[v]) {
              c.availabilityVotes[v] = true;
              changed = true;
            }
          }
        }
        // "We can only enact a candidate if we've enacted all of its predecessors."
        if (countOnes(c.availabilityVotes) >= threshold && lastEnacted === i - 1) lastEnacted = i;
      });
      const done = list.splice(0, lastEnacted + 1);
      for (const c of done) {
        enact(ctx, paraId, c);
        enacted.push(c);
      }
      if (changed || done.length > 0) setPending(ctx.state, paraId, list);
    }
    return enacted;
  }

  /** `enact_candidate`: the head becomes the para's included head; `CandidateIncluded`. */
  function enact(ctx: BlockContext, paraId: number, c: PendingCandidate): void {
    const [r, h] = eventParts(c);
    events.emit(ctx, "CandidateIncluded", r, h, c.core, c.backingGroup);
    deps.paras.noteNewHead(ctx.state, paraId, c.commitments.headData, c.relayParentNumber);
  }

  /**
   * Times out, per para, the first pending candidate backed at least `availabilityPeriod` blocks ago and every
   * candidate after it (they build on it): `CandidateTimedOut` for each, the para's head unchanged.
   */
  function freeTimedOut(
    ctx: BlockContext,
    parachains: readonly number[],
    availabilityPeriod: number,
  ): PendingCandidate[] {
    const out: PendingCandidate[] = [];
    for (const paraId of parachains) {
      const list = pending(ctx.state, paraId);
      const first = list.findIndex((c) => ctx.number - c.backedInNumber >= availabilityPeriod);
      if (first < 0) continue;
      const removed = list.splice(first);
      setPending(ctx.state, paraId, list);
      out.push(...removed);
    }
    for (const c of out) {
      const [r, h] = eventParts(c);
      events.emit(ctx, "CandidateTimedOut", r, h, c.core);
    }
    return out;
  }

  /**
   * Every check a backed candidate must pass to be put pending availability in this block, in the order
   * upstream runs them (`verify_backed_candidate`, then `check_backing_votes`). Throws `CandidateError`.
   */
  function checkBackedCandidate(s: StateAccess, b: BackedCandidateValue, env: CandidateCheckEnv): CheckedCandidate {
    const { descriptor: d, commitments: c } = b.candidate;
    const paraId = d.paraId;
    const coreIndex = env.parachains.indexOf(paraId);
    if (coreIndex < 0) {
      throw new CandidateError(
        { code: "UNSCHEDULED_CANDIDATE", paraId, detail: "no core: the para is not registered" },
        `para ${paraId} has no core on this relay chain`,
      );
    }
    // One core per para: at most one new candidate per para and block.
    if (env.backedCores.has(coreIndex)) {
      throw new CandidateError(
        { code: "CORE_ALREADY_BACKED", paraId, core: coreIndex },
        `core ${coreIndex} (para ${paraId}) already got a candidate in this block`,
      );
    }
    const rp = acquireRelayParentInfo(env.allowedRelayParents, d.relayParent);
    if (!rp) {
      const allowed = allowedRelayParentList(env.allowedRelayParents);
      throw new CandidateError(
        {
          code: "RELAY_PARENT_OUT_OF_SCOPE",
          relayParent: toHex(d.relayParent),
          allowed: allowed.map((a) => toHex(a.hash)),
        },
        `relay parent ${toHex(d.relayParent)} is not one of the ${allowed.length} allowed relay parents (#${allowed[0]?.number ?? "-"}..#${allowed.at(-1)?.number ?? "-"})`,
      );
    }
    const prev = mostRecentContext(s, paraId);
    if (prev !== undefined && prev > rp.number) {
      throw new CandidateError(
        { code: "RELAY_PARENT_MOVED_BACKWARDS", relayParentNumber: rp.number, mostRecentContext: prev },
        `relay parent #${rp.number} is older than the para's most recent context #${prev}`,
      );
    }
    const list = pending(s, paraId);
    // Sync backing ({0, 0}): only on the included head; async: at most `maxCandidateDepth + 1` pending.
    const maxPending = env.config.asyncBackingParams.maxCandidateDepth + 1;
    if (list.length >= maxPending) {
      throw new CandidateError(
        { code: "PARA_OCCUPIED", paraId, pending: list.length, maxPending },
        `para ${paraId} already has ${list.length} candidate(s) pending availability (at most ${maxPending})`,
      );
    }
    const parentHead = list.length > 0 ? list[list.length - 1]!.commitments.headData : deps.paras.head(s, paraId);
    if (parentHead === undefined) {
      throw new CandidateError(
        { code: "UNSCHEDULED_CANDIDATE", paraId, detail: "the para has no head" },
        `para ${paraId} has no head data`,
      );
    }
    // The parent head is part of the PVD; for Substrate-header heads, say so precisely.
    const claimed = claimedParentHash(registry, c.headData);
    const expectedParentHash = headerHash(parentHead);
    if (claimed && !bytesEqual(claimed, expectedParentHash)) {
      throw new CandidateError(
        { code: "WRONG_PARENT_HEAD", expected: toHex(expectedParentHash), found: toHex(claimed) },
        `the candidate builds on ${toHex(claimed)}, but the para's latest head is ${toHex(expectedParentHash)}`,
      );
    }
    const pvdHash = persistedValidationDataHash({
      parentHead,
      relayParentNumber: rp.number,
      relayParentStorageRoot: rp.stateRoot,
      maxPovSize: env.config.maxPovSize,
    });
    if (!bytesEqual(pvdHash, d.persistedValidationDataHash)) {
      throw new CandidateError(
        {
          code: "VALIDATION_DATA_HASH_MISMATCH",
          expected: toHex(pvdHash),
          found: toHex(d.persistedValidationDataHash),
        },
        `persisted validation data hash ${toHex(d.persistedValidationDataHash)} differs from the relay's ${toHex(pvdHash)}`,
      );
    }
    if (!checkCollatorSignature(d)) {
      throw new CandidateError(
        { code: "NOT_COLLATOR_SIGNED", collator: toHex(d.collator) },
        `the descriptor's collator signature does not verify for ${toHex(d.collator)}`,
      );
    }
    const codeHash = deps.paras.codeHash(s, paraId);
    if (!codeHash || !bytesEqual(codeHash, d.validationCodeHash)) {
      throw new CandidateError(
        {
          code: "INVALID_VALIDATION_CODE_HASH",
          expected: codeHash ? toHex(codeHash) : "none",
          found: toHex(d.validationCodeHash),
        },
        `validation code hash ${toHex(d.validationCodeHash)} is not the para's current code hash`,
      );
    }
    const headHash = blake2_256(c.headData);
    if (!bytesEqual(headHash, d.paraHead)) {
      throw new CandidateError(
        { code: "PARA_HEAD_MISMATCH", expected: toHex(headHash), found: toHex(d.paraHead) },
        `descriptor para_head ${toHex(d.paraHead)} is not the hash of the committed head data ${toHex(headHash)}`,
      );
    }
    checkValidationOutputs(paraId, c, rp.number, env.config);

    // Backing votes: the group assigned to the core at `relay_parent_number + 1`.
    const groupIndex = deps.scheduler.groupForCore(s, coreIndex, rp.number + 1, env.config.groupRotationFrequency);
    const members = groupIndex === undefined ? undefined : env.groups[groupIndex];
    if (groupIndex === undefined || !members) {
      throw new CandidateError({ code: "INVALID_BACKING", detail: "no group for the core" }, "no backing group");
    }
    const hash = candidateHash(b.candidate);
    const backers = checkBackingVotes(b, hash, d.relayParent, groupIndex, members, env);
    return { paraId, core: coreIndex, group: groupIndex, hash, relayParentNumber: rp.number, backers };
  }

  /** `check_validation_outputs` for what parapipe supports: no messages, no code upgrade. */
  function checkValidationOutputs(
    paraId: number,
    c: CandidateCommitmentsValue,
    relayParentNumber: number,
    config: RelayHostConfiguration,
  ): void {
    if (c.headData.length > config.maxHeadDataSize) {
      throw new CandidateError(
        { code: "HEAD_DATA_TOO_LARGE", size: c.headData.length, max: config.maxHeadDataSize },
        `head data of ${c.headData.length} bytes exceeds ${config.maxHeadDataSize}`,
      );
    }
    if (c.newValidationCode !== undefined) {
      throw new CandidateError(
        { code: "CODE_UPGRADE_NOT_SUPPORTED", paraId },
        "parapipe's relay chain does not schedule validation code upgrades",
      );
    }
    if (c.upwardMessages.length > 0) {
      throw new CandidateError(
        { code: "INVALID_UPWARD_MESSAGES", count: c.upwardMessages.length },
        "parapipe has no upward messages (max 0 per candidate)",
      );
    }
    if (c.horizontalMessages.length > 0) {
      throw new CandidateError(
        { code: "INVALID_OUTBOUND_HRMP", count: c.horizontalMessages.length },
        "parapipe has no HRMP channels",
      );
    }
    if (c.processedDownwardMessages !== 0) {
      throw new CandidateError(
        { code: "INCORRECT_DOWNWARD_MESSAGE_HANDLING", processed: c.processedDownwardMessages },
        "the candidate processed downward messages, but the queue is empty",
      );
    }
    if (c.hrmpWatermark > relayParentNumber) {
      throw new CandidateError(
        { code: "HRMP_WATERMARK_MISHANDLING", watermark: c.hrmpWatermark, relayParentNumber },
        `HRMP watermark ${c.hrmpWatermark} is beyond the relay parent #${relayParentNumber}`,
      );
    }
  }

  /**
   * `check_candidate_backing` + `check_backing_votes`: one bit per group member, one attestation per set bit,
   * each an sr25519 signature by that member over `CompactStatement::{Seconded|Valid}(hash)` in the context
   * `{session, relay_parent}`; at least `min(group size, minimum_backing_votes)` of them. Returns the backers
   * (one bit per validator).
   */
  function checkBackingVotes(
    b: BackedCandidateValue,
    hash: Uint8Array,
    relayParent: Uint8Array,
    groupIndex: number,
    members: number[],
    env: CandidateCheckEnv,
  ): boolean[] {
    const indices = b.validatorIndices;
    if (indices.length !== members.length) {
      throw new CandidateError(
        {
          code: "INVALID_BACKING",
          detail: `validator indices of length ${indices.length}, group of ${members.length}`,
        },
        `the backing bitfield has ${indices.length} bits, the group ${groupIndex} has ${members.length} members`,
      );
    }
    if (b.validityVotes.length !== countOnes(indices)) {
      throw new CandidateError(
        { code: "INVALID_BACKING", detail: `${b.validityVotes.length} votes for ${countOnes(indices)} set bits` },
        `${b.validityVotes.length} validity votes, but ${countOnes(indices)} backers are marked`,
      );
    }
    const context = { sessionIndex: env.sessionIndex, parentHash: relayParent };
    const backers = new Array<boolean>(env.validators.length).fill(false);
    let vote = 0;
    indices.forEach((set, position) => {
      if (!set) return;
      const attestation = b.validityVotes[vote++]!;
      const validatorIndex = members[position]!;
      if (attestation.kind !== "Implicit" && attestation.kind !== "Explicit") {
        throw new CandidateError(
          { code: "INVALID_BACKING", detail: `attestation of kind ${String(attestation.kind)}` },
          "a validity vote is neither Implicit nor Explicit",
        );
      }
      const payload = backingStatementPayload(attestationStatement(attestation.kind), hash, context);
      const key = env.validators[validatorIndex];
      if (key && sr25519Verify(attestation.signature, payload, key)) {
        backers[validatorIndex] = true;
        return;
      }
      const outsider = env.validators.findIndex(
        (k, i) => !members.includes(i) && sr25519Verify(attestation.signature, payload, k),
      );
      if (outsider >= 0) {
        throw new CandidateError(
          { code: "VALIDATOR_NOT_IN_GROUP", validatorIndex: outsider, group: groupIndex, members },
          `validator ${outsider} voted, but the core's backing group ${groupIndex} is [${members.join(", ")}]`,
        );
      }
      throw new CandidateError(
        {
          code: "INVALID_BACKING",
          detail: `bad signature at group position ${position} (validator ${validatorIndex})`,
        },
        `the validity vote of validator ${validatorIndex} does not verify`,
      );
    });
    const required = effectiveMinimumBackingVotes(members.length, env.config.minimumBackingVotes);
    const votes = countOnes(backers);
    if (votes < required) {
      throw new CandidateError(
        { code: "INSUFFICIENT_BACKING", votes, required },
        `${votes} backing vote(s), at least ${required} needed (min(group size ${members.length}, minimum_backing_votes ${env.config.minimumBackingVotes}))`,
      );
    }
    return backers;
  }

  /** Records a checked candidate as pending availability and emits `CandidateBacked`. */
  function backCandidate(
    ctx: BlockContext,
    b: BackedCandidateValue,
    checked: CheckedCandidate,
    nValidators: number,
  ): void {
    const list = pending(ctx.state, checked.paraId);
    const entry: PendingCandidate = {
      core: checked.core,
      hash: checked.hash,
      descriptor: b.candidate.descriptor,
      commitments: b.candidate.commitments,
      availabilityVotes: new Array<boolean>(nValidators).fill(false),
      backers: checked.backers,
      relayParentNumber: checked.relayParentNumber,
      backedInNumber: ctx.number,
      backingGroup: checked.group,
    };
    list.push(entry);
    setPending(ctx.state, checked.paraId, list);
    const [r, h] = eventParts(entry);
    events.emit(ctx, "CandidateBacked", r, h, checked.core, checked.group);
  }

  const pallet: Pallet = {
    name: P,
    index,
    crate: "polkadot_runtime_parachains::inclusion",
    storage: [PendingAvailability],
    events: events.meta,
    errors: errors.meta,
  };

  return {
    pallet,
    events,
    errors,
    storage: { PendingAvailability },
    pending,
    latestHead,
    mostRecentContext,
    updatePendingAvailability,
    freeTimedOut,
    checkBackedCandidate,
    backCandidate,
  };
}

/** The `ParaInclusion` pallet instance type. */
export type InclusionPallet = ReturnType<typeof createInclusion>;

/** The parent hash a head claims, when the head data is a Substrate header (parapipe paras); else undefined. */
function claimedParentHash(registry: TypeRegistry, headData: Uint8Array): Uint8Array | undefined {
  try {
    return decodeExact<Header>(registry, "Header", headData).parentHash.toU8a();
  } catch {
    return undefined;
  }
}
