import { GossipValidationError } from "@parapipe/network";
import { concatBytes, decodeExact, registry, type Sr25519Keypair, sr25519Sign } from "@parapipe/primitives";
import type { Codec } from "@polkadot/types/types";

/** Decodes gossip bytes as `type`; undecodable bytes are REJECTed. */
export function decodeGossip<T = Codec>(type: string, bytes: Uint8Array): T {
  try {
    return decodeExact(registry, type, bytes) as unknown as T;
  } catch (e) {
    // [REJECT] The message does not decode as its type.
    const detail = e instanceof Error ? e.message : String(e);
    throw new GossipValidationError("REJECT", { code: "UNDECODABLE", type, detail }, `${type}: ${detail}`);
  }
}

/** Decodes request/response bytes as `type`, throwing a TypeError the handler turns into an error response. */
export function decodeRequest<T = Codec>(type: string, bytes: Uint8Array): T {
  return decodeExact(registry, type, bytes) as unknown as T;
}

/** The bytes a finality vote signs: "FNLT" ++ genesis hash ++ block hash ++ number (u32 LE). */
export function finalityVotePayload(genesisHash: Uint8Array, hash: Uint8Array, number: number): Uint8Array {
  const n = new Uint8Array(4);
  new DataView(n.buffer).setUint32(0, number, true);
  return concatBytes(new TextEncoder().encode("FNLT"), genesisHash, hash, n);
}

/** Signs a finality vote. */
export function signFinalityVote(
  key: Sr25519Keypair,
  genesisHash: Uint8Array,
  hash: Uint8Array,
  number: number,
): Uint8Array {
  return sr25519Sign(key, finalityVotePayload(genesisHash, hash, number));
}

/** The bytes a collator signs to advertise: "COLL" ++ relay parent ++ candidate hash. */
export function advertisementPayload(relayParent: Uint8Array, candidateHash: Uint8Array): Uint8Array {
  return concatBytes(new TextEncoder().encode("COLL"), relayParent, candidateHash);
}

/** Encodes a registry type from a JS value. */
export function encode(type: string, value: unknown): Uint8Array {
  return registry.createType(type, value).toU8a();
}

/** A gossip verdict with a code (`// [REJECT] ...` rules throw these). */
export function reject(code: string, message: string): GossipValidationError {
  return new GossipValidationError("REJECT", { code }, message);
}

/** An IGNORE verdict with a code. */
export function ignore(code: string, message: string): GossipValidationError {
  return new GossipValidationError("IGNORE", { code }, message);
}
