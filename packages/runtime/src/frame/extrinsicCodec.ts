/**
 * The envelope of an extrinsic v4 (the part around the call), parsed by hand: it is on the hot path of block
 * execution (every transfer), and @polkadot/types' `Extrinsic` class costs about as much as a third of an
 * sr25519 verification. The call itself is still decoded by @polkadot/types. `extrinsicCodec.test.ts` checks
 * this parser against @polkadot/types on extrinsics signed by polkadot-js.
 *
 * Layout: compact(len) | version (0x84 signed v4, 0x04 unsigned v4) | [signed: MultiAddress | MultiSignature |
 * Era | Compact<nonce> | Compact<tip>] | call.
 */

/** `sp_runtime::generic::Era`: immortal, or mortal with a period and phase. */
export type Era = { kind: "immortal" } | { kind: "mortal"; period: number; phase: number };

/** The signed part of an extrinsic. */
export interface SignedEnvelope {
  signer: Uint8Array;
  signatureType: "Ed25519" | "Sr25519" | "Ecdsa";
  signature: Uint8Array;
  era: Era;
  nonce: number;
  tip: bigint;
}

/** A parsed extrinsic envelope: offsets into the encoding plus the signed fields. */
export interface Envelope {
  /** Length of the compact length prefix. */
  prefixLength: number;
  version: number;
  signed?: SignedEnvelope;
  /** Signed extensions' extra bytes as encoded (era, nonce, tip). */
  extra: Uint8Array;
  callBytes: Uint8Array;
}

/** Why an envelope does not parse. */
export class EnvelopeError extends Error {}

/** Parses the envelope of a full (length-prefixed) extrinsic encoding. Throws `EnvelopeError`. */
export function parseEnvelope(bytes: Uint8Array): Envelope {
  const r = new Reader(bytes);
  const len = r.compactNumber("length prefix");
  const prefixLength = r.offset;
  if (prefixLength + len !== bytes.length) {
    throw new EnvelopeError(`length prefix says ${len} bytes, ${bytes.length - prefixLength} follow`);
  }
  const version = r.byte("version");
  if ((version & 0x7f) !== 4) throw new EnvelopeError(`unsupported extrinsic version ${version & 0x7f}`);
  if ((version & 0x80) === 0) {
    return { prefixLength, version, extra: bytes.subarray(r.offset, r.offset), callBytes: r.rest("call") };
  }
  const addressType = r.byte("address type");
  // MultiAddress::Id (0) and ::Address32 (3) carry an AccountId32; Index/Raw/Address20 cannot be looked up.
  if (addressType !== 0 && addressType !== 3) throw new EnvelopeError(`unsupported address type ${addressType}`);
  const signer = r.bytes(32, "signer");
  const sigType = r.byte("signature type");
  const signatureType = sigType === 0 ? "Ed25519" : sigType === 1 ? "Sr25519" : sigType === 2 ? "Ecdsa" : undefined;
  if (!signatureType) throw new EnvelopeError(`unknown signature type ${sigType}`);
  const signature = r.bytes(signatureType === "Ecdsa" ? 65 : 64, "signature");
  const extraStart = r.offset;
  const eraFirst = r.byte("era");
  let era: Era = { kind: "immortal" };
  if (eraFirst !== 0) era = decodeMortalEra(eraFirst | (r.byte("era") << 8));
  const nonce = r.compactNumber("nonce");
  const tip = r.compactBigint("tip");
  const extra = bytes.subarray(extraStart, r.offset);
  return {
    prefixLength,
    version,
    signed: { signer, signatureType, signature, era, nonce, tip },
    extra,
    callBytes: r.rest("call"),
  };
}

/** `Era::Mortal` from its two-byte encoding (sp_runtime generic/era.rs). */
export function decodeMortalEra(encoded: number): Era {
  const period = 2 << (encoded % (1 << 4));
  const quantizeFactor = Math.max(period >> 12, 1);
  const phase = (encoded >> 4) * quantizeFactor;
  if (period < 4 || phase >= period) throw new EnvelopeError(`invalid mortal era 0x${encoded.toString(16)}`);
  return { kind: "mortal", period, phase };
}

/** `Era::birth(current)`: the block whose hash a mortal transaction signed. */
export function eraBirth(era: Era, current: number): number {
  if (era.kind === "immortal") return 0;
  return Math.floor((Math.max(current, era.phase) - era.phase) / era.period) * era.period + era.phase;
}

/** `Era::death(current)`: the first block the transaction is no longer valid in. */
export function eraDeath(era: Era, current: number): number {
  return era.kind === "immortal" ? Number.MAX_SAFE_INTEGER : eraBirth(era, current) + era.period;
}

class Reader {
  offset = 0;
  constructor(private readonly b: Uint8Array) {}

  byte(what: string): number {
    if (this.offset >= this.b.length) throw new EnvelopeError(`truncated at ${what}`);
    return this.b[this.offset++]!;
  }

  bytes(n: number, what: string): Uint8Array {
    if (this.offset + n > this.b.length) throw new EnvelopeError(`truncated at ${what}`);
    const out = this.b.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  rest(what: string): Uint8Array {
    if (this.offset >= this.b.length) throw new EnvelopeError(`no ${what}`);
    return this.b.subarray(this.offset);
  }

  compactBigint(what: string): bigint {
    const first = this.byte(what);
    const mode = first & 3;
    if (mode === 0) return BigInt(first >> 2);
    if (mode === 1) {
      const v = (first | (this.byte(what) << 8)) >> 2;
      if (v < 64) throw new EnvelopeError(`non-canonical compact ${what}`);
      return BigInt(v);
    }
    if (mode === 2) {
      const v = (first | (this.byte(what) << 8) | (this.byte(what) << 16) | (this.byte(what) << 24)) >>> 2;
      if (v < 1 << 14) throw new EnvelopeError(`non-canonical compact ${what}`);
      return BigInt(v);
    }
    const n = (first >> 2) + 4;
    if (n > 16) throw new EnvelopeError(`compact ${what} wider than 128 bits`);
    const raw = this.bytes(n, what);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]!);
    if (raw[n - 1] === 0 || v < 1n << 30n) throw new EnvelopeError(`non-canonical compact ${what}`);
    return v;
  }

  compactNumber(what: string): number {
    const v = this.compactBigint(what);
    if (v > 0xffff_ffffn) throw new EnvelopeError(`${what} above u32`);
    return Number(v);
  }
}
