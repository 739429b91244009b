import { GossipValidationError } from "@parapipe/network";
import { decodeExact, registry } from "@parapipe/primitives";
import { relay } from "@parapipe/runtime";
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

export { finalityVotePayload, signFinalityVote } from "@parapipe/node";

/** The bytes a collator signs to advertise (defined with the candidate encodings in the relay runtime). */
export const advertisementPayload = relay.advertisementPayload;

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
