import {
  blake2_256,
  concatBytes,
  decodeExact,
  type Sr25519Keypair,
  sr25519Sign,
  sr25519Verify,
} from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import { compactFromU8aLim, u8aToHex } from "@polkadot/util";
import { relayRegistry } from "./types.js";

/**
 * The wire values of the paras host and their exact encodings and signing payloads, as polkadot-sdk defines
 * them (`polkadot/primitives/src/v8/mod.rs`, `v8/signed.rs`). The relay runtime checks with these functions and
 * the relay validator and the collator sign with them, so both sides agree byte for byte.
 */

/** A v1 `CandidateDescriptor`. */
export interface CandidateDescriptorValue {
  paraId: number;
  /** Hash of the relay block the candidate was built in the context of. */
  relayParent: Uint8Array;
  /** The collator's sr25519 public key. */
  collator: Uint8Array;
  persistedValidationDataHash: Uint8Array;
  /** blake2-256 of the PoV. */
  povHash: Uint8Array;
  /** Root of the erasure-coding Merkle tree (parapipe does not erasure-code; not checked by the runtime). */
  erasureRoot: Uint8Array;
  /** The collator's signature over {@link collatorSignaturePayload}. */
  signature: Uint8Array;
  /** blake2-256 of the head data the candidate produces. */
  paraHead: Uint8Array;
  validationCodeHash: Uint8Array;
}

/** An HRMP message a candidate sends. */
export interface OutboundHrmpMessageValue {
  recipient: number;
  data: Uint8Array;
}

/** `CandidateCommitments`: the outputs of validation the relay chain enacts. */
export interface CandidateCommitmentsValue {
  upwardMessages: Uint8Array[];
  horizontalMessages: OutboundHrmpMessageValue[];
  newValidationCode?: Uint8Array;
  /** The new head data (for parapipe paras: the SCALE header of the parablock). */
  headData: Uint8Array;
  processedDownwardMessages: number;
  hrmpWatermark: number;
}

/** `CommittedCandidateReceipt`. */
export interface CommittedCandidateReceiptValue {
  descriptor: CandidateDescriptorValue;
  commitments: CandidateCommitmentsValue;
}

/** `PersistedValidationData`: what the PVF gets besides the PoV, hashed into the descriptor. */
export interface PersistedValidationDataValue {
  parentHead: Uint8Array;
  relayParentNumber: number;
  relayParentStorageRoot: Uint8Array;
  maxPovSize: number;
}

/** `SigningContext`: statements are signed in the context of their relay parent, bitfields of the block's parent. */
export interface SigningContextValue {
  sessionIndex: number;
  parentHash: Uint8Array;
}

/** The two kinds of backing statement (`CompactStatement`). */
export type StatementKind = "Seconded" | "Valid";

/** `ValidityAttestation`: `Implicit` is a `Seconded` statement's signature, `Explicit` a `Valid` one's. */
export interface ValidityAttestationValue {
  kind: "Implicit" | "Explicit";
  signature: Uint8Array;
}

/** `BackedCandidate`: `validatorIndices` has one bit per member of the backing group (in-group positions). */
export interface BackedCandidateValue {
  candidate: CommittedCandidateReceiptValue;
  /** One attestation per set bit of `validatorIndices`, in the same order. */
  validityVotes: ValidityAttestationValue[];
  validatorIndices: boolean[];
}

/** `UncheckedSignedAvailabilityBitfield`: one bit per availability core. */
export interface SignedAvailabilityBitfieldValue {
  payload: boolean[];
  validatorIndex: number;
  signature: Uint8Array;
}

// ---- bit vectors ---------------------------------------------------------------------------------------------

/** SCALE `BitVec<u8, Lsb0>`: compact bit length, then the bits packed least-significant first. */
export function encodeBitVec(bits: readonly boolean[]): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b) bytes[i >> 3]! |= 1 << (i & 7);
  });
  return concatBytes(relayRegistry.createType("Compact<u32>", bits.length).toU8a(), bytes);
}

/**
 * The bits of a decoded `BitVec` codec (Lsb0). The bit count comes from the encoding's compact prefix
 * (`BitVec.bitLength()` rounds up to whole bytes).
 */
export function bitsOf(bitvec: Codec): boolean[] {
  const full = bitvec.toU8a();
  const [offset, length] = compactFromU8aLim(full);
  const bytes = full.subarray(offset);
  const out: boolean[] = [];
  for (let i = 0; i < length; i++) out.push(((bytes[i >> 3] ?? 0) & (1 << (i & 7))) !== 0);
  return out;
}

/** Number of set bits. */
export function countOnes(bits: readonly boolean[]): number {
  let n = 0;
  for (const b of bits) if (b) n++;
  return n;
}

// ---- encodings and hashes ------------------------------------------------------------------------------------

const hex = (b: Uint8Array) => u8aToHex(b);

/** The registry input of a `CandidateDescriptor`. */
export function descriptorInput(d: CandidateDescriptorValue) {
  return {
    paraId: d.paraId,
    relayParent: d.relayParent,
    collatorId: d.collator,
    persistedValidationDataHash: d.persistedValidationDataHash,
    povHash: d.povHash,
    erasureRoot: d.erasureRoot,
    signature: d.signature,
    paraHead: d.paraHead,
    validationCodeHash: d.validationCodeHash,
  };
}

/** The registry input of `CandidateCommitments` (hex for the `Bytes` fields). */
export function commitmentsInput(c: CandidateCommitmentsValue) {
  return {
    upwardMessages: c.upwardMessages.map(hex),
    horizontalMessages: c.horizontalMessages.map((m) => ({ recipient: m.recipient, data: hex(m.data) })),
    newValidationCode: c.newValidationCode ? hex(c.newValidationCode) : null,
    headData: hex(c.headData),
    processedDownwardMessages: c.processedDownwardMessages,
    hrmpWatermark: c.hrmpWatermark,
  };
}

/** SCALE `CandidateDescriptor`. */
export function encodeDescriptor(d: CandidateDescriptorValue, reg: TypeRegistry = relayRegistry): Uint8Array {
  return reg.createType("CandidateDescriptor", descriptorInput(d)).toU8a();
}

/** SCALE `CandidateCommitments`. */
export function encodeCommitments(c: CandidateCommitmentsValue, reg: TypeRegistry = relayRegistry): Uint8Array {
  return reg.createType("CandidateCommitments", commitmentsInput(c)).toU8a();
}

/** `CandidateCommitments::hash`: blake2-256 of the SCALE commitments. */
export function commitmentsHash(c: CandidateCommitmentsValue): Uint8Array {
  return blake2_256(encodeCommitments(c));
}

/** SCALE `CandidateReceipt` (descriptor ++ commitments hash). */
export function encodeCandidateReceipt(d: CandidateDescriptorValue, commitmentsHashValue: Uint8Array): Uint8Array {
  return concatBytes(encodeDescriptor(d), commitmentsHashValue);
}

/** `CandidateHash`: blake2-256 of the SCALE `CandidateReceipt` (`CommittedCandidateReceipt::hash` = `to_plain().hash()`). */
export function candidateHash(c: CommittedCandidateReceiptValue): Uint8Array {
  return blake2_256(encodeCandidateReceipt(c.descriptor, commitmentsHash(c.commitments)));
}

/** SCALE `PersistedValidationData`. */
export function encodePersistedValidationData(p: PersistedValidationDataValue): Uint8Array {
  return relayRegistry
    .createType("PersistedValidationData", {
      parentHead: hex(p.parentHead),
      relayParentNumber: p.relayParentNumber,
      relayParentStorageRoot: p.relayParentStorageRoot,
      maxPovSize: p.maxPovSize,
    })
    .toU8a();
}

/** `PersistedValidationData::hash`: blake2-256 of its SCALE encoding. */
export function persistedValidationDataHash(p: PersistedValidationDataValue): Uint8Array {
  return blake2_256(encodePersistedValidationData(p));
}

/** SCALE `SigningContext` (u32 session index ++ parent hash). */
export function encodeSigningContext(ctx: SigningContextValue): Uint8Array {
  const out = new Uint8Array(36);
  new DataView(out.buffer).setUint32(0, ctx.sessionIndex, true);
  out.set(ctx.parentHash, 4);
  return out;
}

/**
 * `collator_signature_payload` (v8): `relay_parent (32) ++ para_id (u32 LE) ++ persisted_validation_data_hash ++
 * pov_hash ++ validation_code_hash`, 132 bytes, signed as is.
 */
export function collatorSignaturePayload(
  d: Pick<
    CandidateDescriptorValue,
    "relayParent" | "paraId" | "persistedValidationDataHash" | "povHash" | "validationCodeHash"
  >,
): Uint8Array {
  const out = new Uint8Array(132);
  out.set(d.relayParent, 0);
  new DataView(out.buffer).setUint32(32, d.paraId, true);
  out.set(d.persistedValidationDataHash, 36);
  out.set(d.povHash, 68);
  out.set(d.validationCodeHash, 100);
  return out;
}

/** `CandidateDescriptor::check_collator_signature`. */
export function checkCollatorSignature(d: CandidateDescriptorValue): boolean {
  return sr25519Verify(d.signature, collatorSignaturePayload(d), d.collator);
}

/** "BKNG": the magic prefix of `CompactStatement`'s hand-written encoding. */
export const BACKING_STATEMENT_MAGIC = new Uint8Array([0x42, 0x4b, 0x4e, 0x47]);

/** SCALE `CompactStatement`: `"BKNG" ++ (Seconded = 1 | Valid = 2) ++ candidate hash` (`CompactStatementInner` indexes). */
export function encodeCompactStatement(kind: StatementKind, hash: Uint8Array): Uint8Array {
  return concatBytes(BACKING_STATEMENT_MAGIC, new Uint8Array([kind === "Seconded" ? 1 : 2]), hash);
}

/** `CompactStatement::signing_payload(context)` = `(statement, context).encode()`. */
export function backingStatementPayload(kind: StatementKind, hash: Uint8Array, ctx: SigningContextValue): Uint8Array {
  return concatBytes(encodeCompactStatement(kind, hash), encodeSigningContext(ctx));
}

/** The statement a validity attestation signs (`ValidityAttestation::to_compact_statement`). */
export function attestationStatement(kind: ValidityAttestationValue["kind"]): StatementKind {
  return kind === "Implicit" ? "Seconded" : "Valid";
}

/** Signs a backing statement (what a backing validator gossips and what ends up as a validity vote). */
export function signBackingStatement(
  key: Sr25519Keypair,
  kind: StatementKind,
  hash: Uint8Array,
  ctx: SigningContextValue,
): Uint8Array {
  return sr25519Sign(key, backingStatementPayload(kind, hash, ctx));
}

/** `UncheckedSigned::payload_data` for a bitfield: `SCALE(AvailabilityBitfield) ++ SCALE(SigningContext)`. */
export function bitfieldSigningPayload(bits: readonly boolean[], ctx: SigningContextValue): Uint8Array {
  return concatBytes(encodeBitVec(bits), encodeSigningContext(ctx));
}

/** Signs an availability bitfield (context: the session and the hash of the block the bitfield is for). */
export function signAvailabilityBitfield(
  key: Sr25519Keypair,
  validatorIndex: number,
  bits: readonly boolean[],
  ctx: SigningContextValue,
): SignedAvailabilityBitfieldValue {
  return { payload: [...bits], validatorIndex, signature: sr25519Sign(key, bitfieldSigningPayload(bits, ctx)) };
}

/** Inputs of {@link makeCandidate}: what a collator knows after building a parablock. */
export interface MakeCandidateParams {
  paraId: number;
  /** The relay parent's hash. */
  relayParent: Uint8Array;
  collator: Sr25519Keypair;
  pvd: PersistedValidationDataValue;
  /** The PoV (block data) bytes. */
  pov: Uint8Array;
  /** The new head data (the parablock's SCALE header). */
  headData: Uint8Array;
  validationCodeHash: Uint8Array;
  /** Defaults: no messages, no code, watermark = relay parent number. */
  commitments?: Partial<CandidateCommitmentsValue>;
  /** Defaults to 32 zero bytes (parapipe does not erasure-code). */
  erasureRoot?: Uint8Array;
}

/** A committed candidate receipt with a collator-signed v1 descriptor. */
export function makeCandidate(p: MakeCandidateParams): CommittedCandidateReceiptValue {
  const commitments: CandidateCommitmentsValue = {
    upwardMessages: [],
    horizontalMessages: [],
    processedDownwardMessages: 0,
    hrmpWatermark: p.pvd.relayParentNumber,
    ...p.commitments,
    headData: p.commitments?.headData ?? p.headData,
  };
  const unsigned = {
    paraId: p.paraId,
    relayParent: p.relayParent,
    persistedValidationDataHash: persistedValidationDataHash(p.pvd),
    povHash: blake2_256(p.pov),
    validationCodeHash: p.validationCodeHash,
  };
  const descriptor: CandidateDescriptorValue = {
    ...unsigned,
    collator: p.collator.publicKey,
    erasureRoot: p.erasureRoot ?? new Uint8Array(32),
    signature: sr25519Sign(p.collator, collatorSignaturePayload(unsigned)),
    paraHead: blake2_256(commitments.headData),
  };
  return { descriptor, commitments };
}

// ---- registry values <-> plain values ------------------------------------------------------------------------

type Num = { toNumber(): number };
type Bytesish = { toU8a(bare?: boolean): Uint8Array };
const num = (c: unknown) => (c as Num).toNumber();
const raw = (c: unknown) => (c as Bytesish).toU8a();
const bare = (c: unknown) => (c as Bytesish).toU8a(true);

/** A `CandidateDescriptor` codec as a value. */
export function descriptorFromCodec(c: Codec): CandidateDescriptorValue {
  const d = c as unknown as Record<string, unknown>;
  return {
    paraId: num(d["paraId"]),
    relayParent: raw(d["relayParent"]),
    collator: raw(d["collatorId"]),
    persistedValidationDataHash: raw(d["persistedValidationDataHash"]),
    povHash: raw(d["povHash"]),
    erasureRoot: raw(d["erasureRoot"]),
    signature: raw(d["signature"]),
    paraHead: raw(d["paraHead"]),
    validationCodeHash: raw(d["validationCodeHash"]),
  };
}

/** A `CandidateCommitments` codec as a value. */
export function commitmentsFromCodec(c: Codec): CandidateCommitmentsValue {
  const d = c as unknown as Record<string, unknown>;
  const code = d["newValidationCode"] as { isSome: boolean; unwrap(): Codec };
  return {
    upwardMessages: (d["upwardMessages"] as unknown as Codec[]).map(bare),
    horizontalMessages: (d["horizontalMessages"] as unknown as Array<Record<string, unknown>>).map((m) => ({
      recipient: num(m["recipient"]),
      data: bare(m["data"]),
    })),
    newValidationCode: code.isSome ? bare(code.unwrap()) : undefined,
    headData: bare(d["headData"]),
    processedDownwardMessages: num(d["processedDownwardMessages"]),
    hrmpWatermark: num(d["hrmpWatermark"]),
  };
}

/** A `BackedCandidate` codec as a value. Attestations other than Implicit/Explicit are kept as `undefined` kinds. */
export function backedCandidateFromCodec(c: Codec): BackedCandidateValue {
  const d = c as unknown as {
    candidate: { descriptor: Codec; commitments: Codec };
    validityVotes: Array<{ type: string; value: Codec }>;
    validatorIndices: Codec;
  };
  return {
    candidate: {
      descriptor: descriptorFromCodec(d.candidate.descriptor),
      commitments: commitmentsFromCodec(d.candidate.commitments),
    },
    validityVotes: d.validityVotes.map((v) => ({
      kind: v.type as ValidityAttestationValue["kind"],
      signature: raw(v.value),
    })),
    validatorIndices: bitsOf(d.validatorIndices),
  };
}

/** An `UncheckedSignedAvailabilityBitfield` codec as a value. */
export function bitfieldFromCodec(c: Codec): SignedAvailabilityBitfieldValue {
  const d = c as unknown as { payload: Codec; validatorIndex: Codec; signature: Codec };
  return { payload: bitsOf(d.payload), validatorIndex: num(d.validatorIndex), signature: raw(d.signature) };
}

/** The registry input of a `BackedCandidate`. */
function backedInput(b: BackedCandidateValue) {
  return {
    candidate: {
      descriptor: descriptorInput(b.candidate.descriptor),
      commitments: commitmentsInput(b.candidate.commitments),
    },
    validityVotes: b.validityVotes.map((v) => ({ [v.kind]: v.signature })),
    validatorIndices: encodeBitVec(b.validatorIndices),
  };
}

/** The registry input of a signed bitfield. */
function bitfieldInput(b: SignedAvailabilityBitfieldValue) {
  return { payload: encodeBitVec(b.payload), validatorIndex: b.validatorIndex, signature: b.signature };
}

/** SCALE `BackedCandidate`. */
export function encodeBackedCandidate(b: BackedCandidateValue, reg: TypeRegistry = relayRegistry): Uint8Array {
  return reg.createType("BackedCandidate", backedInput(b)).toU8a();
}

/** Decodes a `BackedCandidate` (exactly: no trailing bytes). Throws a TypeError on malformed input. */
export function decodeBackedCandidate(bytes: Uint8Array, reg: TypeRegistry = relayRegistry): BackedCandidateValue {
  return backedCandidateFromCodec(decodeExact(reg, "BackedCandidate", bytes));
}

/** SCALE `UncheckedSignedAvailabilityBitfield`. */
export function encodeSignedBitfield(
  b: SignedAvailabilityBitfieldValue,
  reg: TypeRegistry = relayRegistry,
): Uint8Array {
  return reg.createType("UncheckedSignedAvailabilityBitfield", bitfieldInput(b)).toU8a();
}

/** Decodes an `UncheckedSignedAvailabilityBitfield` (exactly). Throws a TypeError on malformed input. */
export function decodeSignedBitfield(
  bytes: Uint8Array,
  reg: TypeRegistry = relayRegistry,
): SignedAvailabilityBitfieldValue {
  return bitfieldFromCodec(decodeExact(reg, "UncheckedSignedAvailabilityBitfield", bytes));
}

/** The `ParaInherent.enter` argument as a value. */
export interface ParasInherentDataValue {
  bitfields: SignedAvailabilityBitfieldValue[];
  backedCandidates: BackedCandidateValue[];
  /** The SCALE header of the block's parent. */
  parentHeader: Uint8Array;
}

/** The registry input of `ParasInherentData`. */
export function parasInherentInput(d: ParasInherentDataValue): Record<string, unknown> {
  return {
    bitfields: d.bitfields.map(bitfieldInput),
    backedCandidates: d.backedCandidates.map(backedInput),
    parentHeader: d.parentHeader,
  };
}

/** Reads `ParasInherentData` from its codec. */
export function parasInherentFromCodec(c: Codec): ParasInherentDataValue {
  const d = c as unknown as { bitfields: Codec[]; backedCandidates: Codec[]; parentHeader: Codec };
  return {
    bitfields: d.bitfields.map(bitfieldFromCodec),
    backedCandidates: d.backedCandidates.map(backedCandidateFromCodec),
    parentHeader: raw(d.parentHeader),
  };
}

/**
 * The bytes a collator signs to advertise a collation to a validator: "COLL" ++ relay parent ++ candidate
 * hash (the collator protocol's advertisement; the validator checks it before fetching).
 */
export function advertisementPayload(relayParent: Uint8Array, candidateHash: Uint8Array): Uint8Array {
  return concatBytes(new TextEncoder().encode("COLL"), relayParent, candidateHash);
}
