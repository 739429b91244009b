import { ParapipeError } from "../errors.js";

/**
 * A trie node the store does not have was needed. This is never "no value": on a witness (partial trie) it
 * means the witness does not cover the accessed key, and the block must be rejected; on a node's cache it
 * means the node has to be loaded from disk first (see `StateStore.withState` in `@parapipe/storage`).
 */
export class MissingNodeError extends ParapipeError<{ code: "MISSING_TRIE_NODE"; hash: Uint8Array }> {
  constructor(hash: Uint8Array) {
    super({ code: "MISSING_TRIE_NODE", hash }, `trie node ${hex(hash)} is not in the node store`);
  }
}

/** Bytes that were expected to be an encoded trie node are not one (see `codec.ts` for the layout). */
export class CorruptTrieNodeError extends ParapipeError<{
  code: "CORRUPT_TRIE_NODE";
  reason: string;
  hash: Uint8Array | undefined;
}> {
  constructor(reason: string, hash?: Uint8Array) {
    super(
      { code: "CORRUPT_TRIE_NODE", reason, hash },
      `corrupt trie node${hash === undefined ? "" : ` ${hex(hash)}`}: ${reason}`,
    );
  }
}

/** Misuse of `StateOverlay` transactions (storage layers). */
export class StateOverlayError extends ParapipeError<
  { code: "TRANSACTION_OPEN"; depth: number } | { code: "NO_OPEN_TRANSACTION" }
> {}

function hex(u8: Uint8Array): string {
  return `0x${Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString("hex")}`;
}
