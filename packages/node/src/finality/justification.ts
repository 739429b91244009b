import { decodeExact, registry, scaleBytes } from "@parapipe/primitives";
import { FinalityError } from "../errors.js";

/** A decoded SCALE value (the registry's codec type, without depending on @polkadot/types here). */
type Codec = ReturnType<typeof decodeExact>;

/** A signed finality vote: voter `voter` (index in the voter set) has `hash` (#`number`) as its best block. */
export interface FinalityVote {
  voter: number;
  hash: Uint8Array;
  number: number;
  /** The voter's signature over the vote (its format is the verifier's business). */
  signature: Uint8Array;
}

/** Why a block is final: the votes of more than 2/3 of the voters for it or its descendants. */
export interface Justification {
  hash: Uint8Array;
  number: number;
  votes: FinalityVote[];
}

/** SCALE layout: `(H256, u32, Vec<(u32, H256, u32, Bytes)>)`. */
const JUSTIFICATION_TYPE = "(H256, u32, Vec<(u32, H256, u32, Bytes)>)";

/** SCALE-encodes a justification (stored with the finalized block; served to syncing peers). */
export function encodeJustification(j: Justification): Uint8Array {
  return registry
    .createType(JUSTIFICATION_TYPE, [
      j.hash,
      j.number,
      j.votes.map((v) => [v.voter, v.hash, v.number, scaleBytes(v.signature)]),
    ])
    .toU8a();
}

/** Decodes a justification; `FinalityError` `UNDECODABLE_JUSTIFICATION` on bytes that are not exactly one. */
export function decodeJustification(bytes: Uint8Array): Justification {
  let value: Codec[];
  try {
    value = decodeExact(registry, JUSTIFICATION_TYPE, bytes) as unknown as Codec[];
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new FinalityError({ code: "UNDECODABLE_JUSTIFICATION", detail }, `justification: ${detail}`);
  }
  const [hash, number, votes] = value as [Codec, Codec, Codec];
  return {
    hash: hash.toU8a(),
    number: toNum(number),
    votes: (votes as unknown as Codec[][]).map(([voter, h, n, sig]) => ({
      voter: toNum(voter!),
      hash: h!.toU8a(),
      number: toNum(n!),
      signature: sig!.toU8a(true),
    })),
  };
}

function toNum(c: Codec): number {
  return (c as unknown as { toNumber(): number }).toNumber();
}
