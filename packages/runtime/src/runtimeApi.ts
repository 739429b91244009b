import { concatBytes, MissingNodeError, type NodeStore, ParapipeError, toHex } from "@parapipe/primitives";
import { compactToU8a } from "@polkadot/util";
import {
  INVALID_TEXT,
  INVALID_TRANSACTION_VARIANTS,
  TransactionValidityError,
  type TransactionValidityErrorValue,
  UNKNOWN_TEXT,
  UNKNOWN_TRANSACTION_VARIANTS,
} from "./frame/errors.js";
import type { ValidTransaction } from "./frame/executive.js";
import type { DispatchClass } from "./frame/pallet.js";
import { runtimeApiId } from "./pallets/system.js";
import type { ParachainRuntime } from "./parachain/runtime.js";
import type { RelayRuntime } from "./relay/runtime.js";

/**
 * The runtime APIs as a Substrate node serves them over JSON-RPC (`state_getRuntimeVersion`,
 * `state_getMetadata`, `state_call`): every answer is the SCALE encoding the upstream runtime API returns, so
 * polkadot-js (`api.call.*`, metadata loading, `paymentInfo`) and PAPI (nonce, validity, fees) decode them
 * with their own built-in definitions.
 */

/** The block a runtime call is evaluated at: its state (store + root), hash and number. */
export interface RuntimeApiBlock {
  store: NodeStore;
  hash: Uint8Array;
  number: number;
  stateRoot: Uint8Array;
}

/** What the RPC layer needs from a runtime: the version JSON, the metadata and `state_call`. */
export interface RuntimeRpcApi {
  /**
   * `state_getRuntimeVersion`'s JSON exactly as Substrate answers it (sp_version's hand-written `Serialize`):
   * `{specName, implName, authoringVersion, specVersion, implVersion, apis: [["0xdf6acb689907609b", 5], ...],
   * transactionVersion, systemVersion, stateVersion}`. A fresh object on each call.
   */
  version(): Record<string, unknown>;
  /** The SCALE `RuntimeMetadataPrefixed` ("meta" ++ V14), what `state_getMetadata` returns. */
  metadata(): Uint8Array;
  /**
   * `state_call(method, args)` at `at`: the SCALE-encoded result, exactly as the Substrate runtime API returns
   * it. Throws `RuntimeApiError` (UNKNOWN_METHOD, BAD_ARGUMENTS, EXECUTION_FAILED); a `MissingNodeError` from
   * a partial node store passes through untouched (the node loads the node and calls again).
   */
  call(method: string, args: Uint8Array, at: RuntimeApiBlock): Uint8Array;
}

/** Why a runtime call failed. */
export type RuntimeApiErrorType =
  | { code: "UNKNOWN_METHOD"; method: string }
  | { code: "BAD_ARGUMENTS"; method: string; reason: string }
  | { code: "EXECUTION_FAILED"; method: string; reason: string };

/**
 * A runtime call that has no answer: the method is not exported, its arguments do not decode (upstream:
 * "Bad input data provided to ..."), or its execution failed (upstream: a runtime panic).
 */
export class RuntimeApiError extends ParapipeError<RuntimeApiErrorType> {}

/** `Metadata_metadata_versions`: the metadata versions this runtime can give (V14 only). */
export const METADATA_VERSIONS: readonly number[] = [14];

/** JSON-RPC error codes of Substrate's author API (`sc-rpc-api` author/error.rs, base 1000). */
export const AUTHOR_RPC_ERROR = {
  BAD_FORMAT: 1001,
  VERIFICATION_ERROR: 1002,
  POOL_INVALID_TX: 1010,
  POOL_UNKNOWN_VALIDITY: 1011,
} as const;

/** A transaction validity error, classified for the pool and the author RPC. */
export interface TransactionValidityErrorInfo {
  /**
   * `invalid` / `unknown`: `TransactionValidityError::Invalid` / `::Unknown`. `undecodable`: the bytes are not
   * an extrinsic of this runtime. `other`: the check itself failed (a runtime error, not a verdict).
   */
  kind: "invalid" | "unknown" | "undecodable" | "other";
  /** The sp_runtime variant (`BadProof`, `Payment`, `CannotLookup`, `Custom` ...); `Undecodable` / `RuntimeError` otherwise. */
  variant: string;
  /** The variant's SCALE index in `InvalidTransaction` / `UnknownTransaction` (invalid and unknown only). */
  index?: number;
  /** The `Custom(u8)` code. */
  custom?: number;
  /** Substrate's text for the error (`Transaction has a bad signature`, ...). */
  text: string;
  /** Our own detail (nonces, what failed to decode ...); not part of Substrate's text. */
  detail?: string;
  /** The JSON-RPC error Substrate's `author_submitExtrinsic` / `author_submitAndWatchExtrinsic` answer with. */
  rpc: { code: number; message: string; data?: string };
}

/** The runtime API methods a runtime answers through `state_call`, keyed by `<Api>_<method>`. */
type Method = (args: Uint8Array, at: RuntimeApiBlock) => Uint8Array;

const apiCache = new WeakMap<ParachainRuntime | RelayRuntime, RuntimeRpcApi>();

/**
 * The JSON-RPC view of a runtime: `state_getRuntimeVersion`, `state_getMetadata` and the `state_call` methods
 * clients use (Core, Metadata, AccountNonceApi, TaggedTransactionQueue, TransactionPaymentApi, AuraApi).
 * BlockBuilder, CollectCollationInfo, AuraUnincludedSegmentApi and ParachainHost are advertised for the nodes
 * (which call the runtime directly) and answer UNKNOWN_METHOD here. State is read from `at`; `rt` gives the
 * logic. One instance per runtime (cached).
 */
export function runtimeRpcApi(rt: ParachainRuntime | RelayRuntime): RuntimeRpcApi {
  const cached = apiCache.get(rt);
  if (cached) return cached;
  const methods = runtimeMethods(rt);
  const api: RuntimeRpcApi = {
    version: () => runtimeVersionJson(rt),
    metadata: () => rt.metadata,
    call(method, args, at) {
      const fn = typeof method === "string" ? methods.get(method) : undefined;
      // Upstream wording (sp_api / executor): "Exported method X is not found".
      if (!fn)
        throw new RuntimeApiError({ code: "UNKNOWN_METHOD", method }, `Exported method ${String(method)} is not found`);
      if (!(args instanceof Uint8Array)) badArguments(method, `arguments must be bytes, found ${typeof args}`);
      try {
        return fn(args, at);
      } catch (e) {
        if (e instanceof RuntimeApiError || e instanceof MissingNodeError) throw e;
        const reason = e instanceof Error ? e.message : String(e);
        throw new RuntimeApiError({ code: "EXECUTION_FAILED", method, reason }, `${method} failed: ${reason}`);
      }
    },
  };
  apiCache.set(rt, api);
  return api;
}

/** `state_getRuntimeVersion`'s JSON (sp_version `RuntimeVersion` serde, both `systemVersion` and `stateVersion`). */
function runtimeVersionJson(rt: ParachainRuntime | RelayRuntime): Record<string, unknown> {
  const v = rt.version;
  return {
    specName: v.specName,
    implName: v.implName,
    authoringVersion: v.authoringVersion,
    specVersion: v.specVersion,
    implVersion: v.implVersion,
    apis: v.apis.map(([name, version]) => [toHex(runtimeApiId(name)), version]),
    transactionVersion: v.transactionVersion,
    systemVersion: v.stateVersion,
    stateVersion: v.stateVersion,
  };
}

function runtimeMethods(rt: ParachainRuntime | RelayRuntime): Map<string, Method> {
  let opaqueMetadata: Uint8Array | undefined;
  // `OpaqueMetadata` = `Vec<u8>`: the prefixed metadata with its compact length (ecosystem.md §1.3's gotcha).
  const opaque = () => {
    opaqueMetadata ??= concatBytes(compactToU8a(rt.metadata.length), rt.metadata);
    return opaqueMetadata;
  };
  const advertised = new Set(rt.version.apis.map(([name]) => name));
  const m = new Map<string, Method>();
  const def = (api: string, method: string, fn: Method) => {
    if (advertised.has(api)) m.set(`${api}_${method}`, fn);
  };

  // --- Core (v5) ---
  // `RuntimeVersion`, the same bytes as the `System.Version` constant.
  def("Core", "version", (args) => {
    new ArgReader(args, "Core_version").end();
    return rt.system.versionCodec.toU8a();
  });

  // --- Metadata (v2) ---
  def("Metadata", "metadata", (args) => {
    new ArgReader(args, "Metadata_metadata").end();
    return opaque();
  });
  def("Metadata", "metadata_versions", (args) => {
    new ArgReader(args, "Metadata_metadata_versions").end();
    return concatBytes(compactToU8a(METADATA_VERSIONS.length), ...METADATA_VERSIONS.map(u32Le));
  });
  // `Option<OpaqueMetadata>`: Some for a version we have, None otherwise.
  def("Metadata", "metadata_at_version", (args) => {
    const r = new ArgReader(args, "Metadata_metadata_at_version");
    const version = r.u32("version");
    r.end();
    return METADATA_VERSIONS.includes(version) ? concatBytes(new Uint8Array([1]), opaque()) : new Uint8Array([0]);
  });

  // --- AccountNonceApi (v1): account_nonce(AccountId32) -> Nonce (u32) ---
  def("AccountNonceApi", "account_nonce", (args, at) => {
    const r = new ArgReader(args, "AccountNonceApi_account_nonce");
    const who = r.bytes(32, "account");
    r.end();
    return u32Le(rt.system.account(rt.stateAt(at.store, at.stateRoot), who).nonce);
  });

  // --- TaggedTransactionQueue (v3): validate_transaction(source, tx, block_hash) -> TransactionValidity ---
  def("TaggedTransactionQueue", "validate_transaction", (args, at) => {
    const method = "TaggedTransactionQueue_validate_transaction";
    const r = new ArgReader(args, method);
    const source = r.u8("source");
    // TransactionSource: InBlock 0, Local 1, External 2.
    if (source > 2) r.fail(`TransactionSource must be 0, 1 or 2, found ${source}`);
    const tx = r.lengthPrefixed("tx");
    const blockHash = r.bytes(32, "block_hash");
    r.end();
    // FRAME's Executive::validate_transaction initialises block `number + 1` with `block_hash` as its parent.
    const res = rt.validateTransaction(at.store, { stateRoot: at.stateRoot, hash: blockHash, number: at.number }, tx);
    if (res.ok) return concatBytes(new Uint8Array([0]), encodeValidTransaction(res.value));
    const v = res.error instanceof TransactionValidityError ? validityValueOf(res.error) : undefined;
    if (v === undefined) throw res.error;
    // Upstream the extrinsic is part of the arguments: one that does not decode fails the call.
    if (v.kind === "Undecodable") return r.fail(`the extrinsic does not decode: ${v.detail}`);
    return concatBytes(new Uint8Array([1]), encodeValidityError(v));
  });

  // --- TransactionPaymentApi (v4) ---
  const decodeExtrinsic = (r: ArgReader) => {
    const tx = r.lengthPrefixed("uxt");
    try {
      return rt.executive.decode(tx);
    } catch (e) {
      if (!(e instanceof TransactionValidityError)) throw e;
      const v = validityValueOf(e);
      return r.fail(`the extrinsic does not decode: ${v.kind === "Undecodable" ? v.detail : e.message}`);
    }
  };
  const fees = rt.payment.fees;
  // query_info(uxt, len) -> RuntimeDispatchInfo {weight: Weight, class, partial_fee: u128}; a bare
  // (unsigned) extrinsic has no partial fee (pallet_transaction_payment::query_info).
  def("TransactionPaymentApi", "query_info", (args) => {
    const r = new ArgReader(args, "TransactionPaymentApi_query_info");
    const d = decodeExtrinsic(r);
    const len = r.u32("len");
    r.end();
    const partialFee = d.signed && d.paysFee ? rt.payment.computeFee(len, d.weight, 0n) : 0n;
    return concatBytes(encodeWeight(d.weight), new Uint8Array([classIndex(d.dispatchClass)]), u128Le(partialFee));
  });
  // query_fee_details(uxt, len) -> FeeDetails {inclusion_fee: Option<InclusionFee>, tip: u128}. `tip` is
  // SCALE-encoded (only serde skips it); the API passes tip 0.
  def("TransactionPaymentApi", "query_fee_details", (args) => {
    const r = new ArgReader(args, "TransactionPaymentApi_query_fee_details");
    const d = decodeExtrinsic(r);
    const len = r.u32("len");
    r.end();
    if (!d.signed || !d.paysFee) return concatBytes(new Uint8Array([0]), u128Le(0n));
    const base = d.dispatchClass === "Mandatory" ? 0n : rt.system.limits.baseExtrinsic;
    const baseFee = base * fees.weightFeePerRefTime;
    const lenFee = BigInt(len) * fees.byteFee;
    const adjustedWeightFee = (d.weight - base) * fees.weightFeePerRefTime;
    return concatBytes(new Uint8Array([1]), u128Le(baseFee), u128Le(lenFee), u128Le(adjustedWeightFee), u128Le(0n));
  });
  def("TransactionPaymentApi", "query_weight_to_fee", (args) => {
    const r = new ArgReader(args, "TransactionPaymentApi_query_weight_to_fee");
    const refTime = r.compact("weight.ref_time");
    r.compact("weight.proof_size");
    r.end();
    return u128Le(refTime * fees.weightFeePerRefTime);
  });
  def("TransactionPaymentApi", "query_length_to_fee", (args) => {
    const r = new ArgReader(args, "TransactionPaymentApi_query_length_to_fee");
    const len = r.u32("length");
    r.end();
    return u128Le(BigInt(len) * fees.byteFee);
  });

  // --- AuraApi (v1) ---
  def("AuraApi", "slot_duration", (args) => {
    new ArgReader(args, "AuraApi_slot_duration").end();
    const c = rt.aura.pallet.constants?.find((x) => x.name === "SlotDuration");
    if (!c) throw new TypeError("the Aura pallet has no SlotDuration constant");
    return c.value;
  });
  def("AuraApi", "authorities", (args, at) => {
    new ArgReader(args, "AuraApi_authorities").end();
    const keys = rt.aura.authorities(rt.stateAt(at.store, at.stateRoot));
    return concatBytes(compactToU8a(keys.length), ...keys);
  });
  return m;
}

// ---- encodings -------------------------------------------------------------------------------------------

const U64_MAX = (1n << 64n) - 1n;
const U128_MAX = (1n << 128n) - 1n;

function u32Le(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0, true);
  return out;
}

/** u64 LE, saturating (FRAME's priorities and longevities saturate). */
function u64Le(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n < 0n ? 0n : n > U64_MAX ? U64_MAX : n, true);
  return out;
}

function u128Le(n: bigint): Uint8Array {
  const v = n < 0n ? 0n : n > U128_MAX ? U128_MAX : n;
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, v & U64_MAX, true);
  dv.setBigUint64(8, v >> 64n, true);
  return out;
}

/** `sp_weights::Weight` (v2): `#[codec(compact)] ref_time`, `#[codec(compact)] proof_size` (parapipe: 0). */
function encodeWeight(refTime: bigint): Uint8Array {
  return concatBytes(compactToU8a(refTime > U64_MAX ? U64_MAX : refTime), compactToU8a(0));
}

/** `DispatchClass`: Normal 0, Operational 1, Mandatory 2. */
function classIndex(c: DispatchClass): number {
  return c === "Normal" ? 0 : c === "Operational" ? 1 : 2;
}

function encodeBytesVec(list: readonly Uint8Array[]): Uint8Array {
  return concatBytes(compactToU8a(list.length), ...list.map((b) => concatBytes(compactToU8a(b.length), b)));
}

/** `ValidTransaction {priority: u64, requires: Vec<Vec<u8>>, provides: Vec<Vec<u8>>, longevity: u64, propagate: bool}`. */
function encodeValidTransaction(v: ValidTransaction): Uint8Array {
  return concatBytes(
    u64Le(v.priority),
    encodeBytesVec(v.requires),
    encodeBytesVec(v.provides),
    u64Le(v.longevity),
    new Uint8Array([v.propagate ? 1 : 0]),
  );
}

/** `TransactionValidityError`: `Invalid(InvalidTransaction)` = 0, `Unknown(UnknownTransaction)` = 1. */
function encodeValidityError(v: Exclude<TransactionValidityErrorValue, { kind: "Undecodable" }>): Uint8Array {
  const list: readonly string[] = v.kind === "Invalid" ? INVALID_TRANSACTION_VARIANTS : UNKNOWN_TRANSACTION_VARIANTS;
  const index = list.indexOf(v.reason);
  const custom = v.reason === "Custom" ? [(v.custom ?? 0) & 0xff] : [];
  return new Uint8Array([v.kind === "Invalid" ? 0 : 1, index, ...custom]);
}

function validityValueOf(e: TransactionValidityError): TransactionValidityErrorValue {
  return e.type.error as TransactionValidityErrorValue;
}

function badArguments(method: string, reason: string): never {
  throw new RuntimeApiError(
    { code: "BAD_ARGUMENTS", method, reason },
    `Bad input data provided to ${method}: ${reason}`,
  );
}

/** Reads SCALE arguments; anything short, malformed or left over is BAD_ARGUMENTS. */
class ArgReader {
  private offset = 0;

  constructor(
    private readonly input: Uint8Array,
    private readonly method: string,
  ) {}

  fail(reason: string): never {
    return badArguments(this.method, reason);
  }

  bytes(n: number, what: string): Uint8Array {
    if (this.offset + n > this.input.length)
      this.fail(`${what}: expected ${n} bytes at offset ${this.offset}, found ${this.input.length - this.offset}`);
    const out = this.input.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  u8(what: string): number {
    return this.bytes(1, what)[0]!;
  }

  u32(what: string): number {
    const b = this.bytes(4, what);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  }

  /** A `Compact<uN>` in canonical (shortest) form, as parity-scale-codec requires. */
  compact(what: string): bigint {
    const first = this.u8(what);
    const mode = first & 3;
    if (mode === 0) return BigInt(first >> 2);
    if (mode === 1) {
      const v = BigInt((first | (this.u8(what) << 8)) >> 2);
      if (v < 1n << 6n) this.fail(`${what}: non-canonical compact`);
      return v;
    }
    if (mode === 2) {
      const rest = this.bytes(3, what);
      const v = BigInt(((first | (rest[0]! << 8) | (rest[1]! << 16) | (rest[2]! << 24)) >>> 0) >>> 2);
      if (v < 1n << 14n) this.fail(`${what}: non-canonical compact`);
      return v;
    }
    const n = (first >> 2) + 4;
    const b = this.bytes(n, what);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (v < 1n << 30n || b[n - 1] === 0) this.fail(`${what}: non-canonical compact`);
    return v;
  }

  /** A length-prefixed value (an `UncheckedExtrinsic`), returned with its prefix. */
  lengthPrefixed(what: string): Uint8Array {
    const start = this.offset;
    const len = this.compact(`${what} length`);
    if (len > BigInt(this.input.length - this.offset))
      this.fail(`${what}: length ${len} exceeds the ${this.input.length - this.offset} bytes left`);
    this.offset += Number(len);
    return this.input.slice(start, this.offset);
  }

  end(): void {
    if (this.offset !== this.input.length)
      this.fail(`${this.input.length - this.offset} trailing bytes after ${this.offset} bytes of arguments`);
  }
}

// ---- validity errors for the pool and the author RPC --------------------------------------------------------

/**
 * Classifies a transaction validity failure and gives the text and JSON-RPC error Substrate answers with
 * (`author_submitExtrinsic`: 1010 "Invalid Transaction" with the variant's text, 1011 "Unknown Transaction
 * Validity" with the variant's Debug form). Never throws; accepts what the runtime and this module produce:
 * - the error of a `validateTransaction` result, or the result itself (`{ok: false, error}`);
 * - a `TransactionValidityError` / a `TransactionValidityErrorValue` (`{kind: "Invalid", reason: "Stale"}`);
 * - a `RuntimeApiError` from `call` (BAD_ARGUMENTS: undecodable; others: `other`);
 * - a `BlockExecutionError` INVALID_EXTRINSIC (its validity error);
 * - the SCALE bytes of a `TransactionValidity` (an `Err`) or of a `TransactionValidityError`;
 * - polkadot-js JSON (`{invalid: {badProof: null}}`, `{Invalid: "Payment"}`, `{unknown: {custom: 3}}`).
 * Anything else is `other` with its message.
 */
export function transactionValidityErrorOf(err: unknown): TransactionValidityErrorInfo {
  try {
    return classify(err, 0);
  } catch (e) {
    return otherError(e instanceof Error ? e.message : String(e));
  }
}

function classify(err: unknown, depth: number): TransactionValidityErrorInfo {
  if (depth > 4) return otherError("unrecognised error");
  if (err === null || err === undefined) return otherError("no error given");
  if (err instanceof Uint8Array) return fromBytes(err);
  if (err instanceof TransactionValidityError) return fromValue(validityValueOf(err));
  if (err instanceof RuntimeApiError) {
    const t = err.type;
    if (t.code === "BAD_ARGUMENTS") return undecodable(t.reason);
    return otherError(err.message);
  }
  if (err instanceof ParapipeError) {
    const inner = (err.type as { error?: unknown }).error;
    if (err.code === "INVALID_EXTRINSIC" && inner !== undefined) return classify(inner, depth + 1);
    return otherError(err.message);
  }
  if (typeof err === "object") {
    const o = err as Record<string, unknown>;
    if (o["ok"] === false && "error" in o) return classify(o["error"], depth + 1);
    if (o["ok"] === true) return otherError("the transaction is valid");
    if (typeof o["kind"] === "string") {
      const v = valueFromPlain(o);
      if (v) return fromValue(v);
    }
    const json = fromJson(o);
    if (json) return json;
    // A polkadot-js codec: its SCALE bytes.
    const toU8a = (o as { toU8a?: unknown }).toU8a;
    if (typeof toU8a === "function") {
      const bytes = (toU8a as () => unknown).call(err);
      if (bytes instanceof Uint8Array) return fromBytes(bytes);
    }
    if (err instanceof Error) return otherError(err.message);
  }
  return otherError(String(err));
}

function valueFromPlain(o: Record<string, unknown>): TransactionValidityErrorValue | undefined {
  const kind = String(o["kind"]).toLowerCase();
  const detail = typeof o["detail"] === "string" ? o["detail"] : undefined;
  if (kind === "undecodable") return { kind: "Undecodable", detail: detail ?? "" };
  const custom = typeof o["custom"] === "number" ? o["custom"] : undefined;
  const reason = String(o["reason"] ?? "");
  if (kind === "invalid") {
    const name = canonical(INVALID_TRANSACTION_VARIANTS, reason);
    if (name) return { kind: "Invalid", reason: name as never, custom, detail };
  }
  if (kind === "unknown") {
    const name = canonical(UNKNOWN_TRANSACTION_VARIANTS, reason);
    if (name) return { kind: "Unknown", reason: name as never, custom, detail };
  }
  return undefined;
}

/** `{invalid: {badProof: null}}`, `{Invalid: "BadProof"}`, `{unknown: {custom: 3}}` (polkadot-js toJSON/toHuman). */
function fromJson(o: Record<string, unknown>): TransactionValidityErrorInfo | undefined {
  const keys = Object.keys(o);
  if (keys.length !== 1) return undefined;
  const outer = keys[0]!.toLowerCase();
  if (outer !== "invalid" && outer !== "unknown") return undefined;
  const inner = o[keys[0]!];
  let name: string | undefined;
  let custom: number | undefined;
  if (typeof inner === "string") name = inner;
  else if (inner && typeof inner === "object") {
    const ik = Object.keys(inner);
    if (ik.length !== 1) return undefined;
    name = ik[0];
    const c = Number((inner as Record<string, unknown>)[name!]);
    if (Number.isInteger(c)) custom = c;
  }
  if (!name) return undefined;
  const list = outer === "invalid" ? INVALID_TRANSACTION_VARIANTS : UNKNOWN_TRANSACTION_VARIANTS;
  const variant = canonical(list, name);
  if (!variant) return undefined;
  return build(outer, variant, list.indexOf(variant as never), variant === "Custom" ? (custom ?? 0) : undefined);
}

function canonical(list: readonly string[], name: string): string | undefined {
  const n = name.toLowerCase();
  return list.find((v) => v.toLowerCase() === n);
}

/** Bytes of a `TransactionValidity` holding an `Err`, or of a bare `TransactionValidityError`. */
function fromBytes(b: Uint8Array): TransactionValidityErrorInfo {
  const asError = (x: Uint8Array): TransactionValidityErrorInfo | undefined => {
    if (x.length < 2 || x[0]! > 1) return undefined;
    const invalid = x[0] === 0;
    const list = invalid ? INVALID_TRANSACTION_VARIANTS : UNKNOWN_TRANSACTION_VARIANTS;
    const variant = list[x[1]!];
    if (variant === undefined) return undefined;
    const hasCustom = variant === "Custom";
    if (x.length !== (hasCustom ? 3 : 2)) return undefined;
    return build(invalid ? "invalid" : "unknown", variant, x[1]!, hasCustom ? x[2] : undefined);
  };
  // `Result::Err` = 0x01 ++ error; the two forms never both decode exactly (see the lengths above).
  const fromResult = b[0] === 1 ? asError(b.subarray(1)) : undefined;
  const found = fromResult ?? asError(b);
  if (found) return found;
  if (b[0] === 0) return otherError("the bytes are a valid TransactionValidity (Ok)");
  return otherError(`${toHex(b)} is not a TransactionValidityError`);
}

function fromValue(v: TransactionValidityErrorValue): TransactionValidityErrorInfo {
  if (v.kind === "Undecodable") return undecodable(v.detail);
  const list: readonly string[] = v.kind === "Invalid" ? INVALID_TRANSACTION_VARIANTS : UNKNOWN_TRANSACTION_VARIANTS;
  const custom = v.reason === "Custom" ? (v.custom ?? 0) : undefined;
  const info = build(v.kind === "Invalid" ? "invalid" : "unknown", v.reason, list.indexOf(v.reason), custom);
  return v.detail ? { ...info, detail: v.detail } : info;
}

function build(
  kind: "invalid" | "unknown",
  variant: string,
  index: number,
  custom: number | undefined,
): TransactionValidityErrorInfo {
  if (kind === "invalid") {
    const text = INVALID_TEXT[variant as keyof typeof INVALID_TEXT];
    // author/error.rs: Custom(e) → data "Custom error: e"; other variants → the variant's &str.
    const data = variant === "Custom" ? `Custom error: ${custom ?? 0}` : text;
    return {
      kind,
      variant,
      index,
      ...(custom !== undefined ? { custom } : {}),
      text,
      rpc: { code: AUTHOR_RPC_ERROR.POOL_INVALID_TX, message: "Invalid Transaction", data },
    };
  }
  const text = UNKNOWN_TEXT[variant as keyof typeof UNKNOWN_TEXT];
  // author/error.rs: `format!("{:?}", e)`, the Rust Debug form of UnknownTransaction.
  const data = variant === "Custom" ? `Custom(${custom ?? 0})` : variant;
  return {
    kind,
    variant,
    index,
    ...(custom !== undefined ? { custom } : {}),
    text,
    rpc: { code: AUTHOR_RPC_ERROR.POOL_UNKNOWN_VALIDITY, message: "Unknown Transaction Validity", data },
  };
}

/** Bytes that are not an extrinsic: Substrate's `BadFormat` (1001, "Extrinsic has invalid format"). */
function undecodable(detail: string): TransactionValidityErrorInfo {
  return {
    kind: "undecodable",
    variant: "Undecodable",
    text: "Extrinsic has invalid format",
    detail,
    rpc: { code: AUTHOR_RPC_ERROR.BAD_FORMAT, message: `Extrinsic has invalid format: ${detail}` },
  };
}

/** The check itself failed: Substrate's `Verification` error (1002, "Verification Error: Runtime error: ..."). */
function otherError(detail: string): TransactionValidityErrorInfo {
  return {
    kind: "other",
    variant: "RuntimeError",
    text: `Runtime error: ${detail}`,
    detail,
    rpc: {
      code: AUTHOR_RPC_ERROR.VERIFICATION_ERROR,
      message: `Verification Error: Runtime error: ${detail}`,
      data: `RuntimeApi(${JSON.stringify(detail)})`,
    },
  };
}

export { INVALID_TRANSACTION_VARIANTS, UNKNOWN_TRANSACTION_VARIANTS };
