import { blake2AsU8a, cryptoIsReady, cryptoWaitReady, xxhashAsU8a } from "@polkadot/util-crypto";

/**
 * Hash functions used on chain (all through the WASM build of `@polkadot/util-crypto`): blake2b for block,
 * trie node and extrinsic hashes, twox (xxhash64) for FRAME storage prefixes. Call `cryptoReady()` once
 * before using any of them.
 */

/** Resolves once the WASM crypto is initialised; every entry point awaits it before hashing or signing. */
export async function cryptoReady(): Promise<void> {
  if (!cryptoIsReady()) await cryptoWaitReady();
}

/** BLAKE2b-256: block hashes, trie node hashes, PoV and candidate hashes. */
export function blake2_256(data: Uint8Array): Uint8Array {
  return blake2AsU8a(data, 256);
}

/** BLAKE2b-128: the `Blake2_128` storage hasher. */
export function blake2_128(data: Uint8Array): Uint8Array {
  return blake2AsU8a(data, 128);
}

/** BLAKE2b-64: runtime API ids (`blake2_64("Core")`). */
export function blake2_64(data: Uint8Array): Uint8Array {
  return blake2AsU8a(data, 64);
}

/** XXHash 128 (two xxhash64 rounds): the `Twox128` hasher of FRAME pallet and item prefixes. */
export function twox128(data: Uint8Array | string): Uint8Array {
  return xxhashAsU8a(data, 128);
}

/** XXHash 64: the `Twox64Concat` hasher's hash part. */
export function twox64(data: Uint8Array | string): Uint8Array {
  return xxhashAsU8a(data, 64);
}

/** FRAME storage key hashers, by their metadata names. */
export type StorageHasher =
  | "Blake2_128"
  | "Blake2_256"
  | "Blake2_128Concat"
  | "Twox128"
  | "Twox256"
  | "Twox64Concat"
  | "Identity";

/** Applies a FRAME storage hasher to an already SCALE-encoded key. */
export function hashStorageKey(hasher: StorageHasher, encodedKey: Uint8Array): Uint8Array {
  switch (hasher) {
    case "Blake2_128":
      return blake2_128(encodedKey);
    case "Blake2_256":
      return blake2_256(encodedKey);
    case "Blake2_128Concat":
      return concatBytes(blake2_128(encodedKey), encodedKey);
    case "Twox128":
      return twox128(encodedKey);
    case "Twox256":
      return xxhashAsU8a(encodedKey, 256);
    case "Twox64Concat":
      return concatBytes(twox64(encodedKey), encodedKey);
    case "Identity":
      return encodedKey;
  }
}

/** Concatenates byte arrays into a new one. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Lower-case 0x-prefixed hex of bytes (fast path over Buffer). */
export function toHex(u8: Uint8Array): `0x${string}` {
  return `0x${Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString("hex")}`;
}

/** Bytes of a 0x-prefixed (or bare) hex string; throws a TypeError on odd length or non-hex digits. */
export function fromHex(hex: string): Uint8Array {
  const s = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new TypeError(`not a hex string: ${hex.slice(0, 20)}`);
  return new Uint8Array(Buffer.from(s, "hex"));
}

/** Byte-wise equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic byte comparison (-1, 0, 1), the order of trie keys. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length));
}
