import {
  decodeAddress,
  ed25519Verify,
  encodeAddress,
  keyExtractSuri,
  keyFromPath,
  mnemonicGenerate,
  mnemonicToMiniSecret,
  sr25519PairFromSeed,
} from "@polkadot/util-crypto";
import { sr25519Sign as wasmSign, sr25519Verify as wasmVerify } from "@polkadot/wasm-crypto";
import { ParapipeError } from "./errors.js";

/**
 * sr25519 keys, dev seeds (`//Alice` ...) and SS58 addresses. Signing and verification call
 * `@polkadot/wasm-crypto` directly: `@polkadot/util-crypto` 14 routes sr25519 to a pure-JS implementation
 * that is 6-7x slower (see shared/reference/node20-spike.md). Signatures are interchangeable.
 * `await cryptoReady()` (hashing.ts) before use.
 */

/** The Substrate development mnemonic behind `//Alice`, `//Bob`, ... */
export const DEV_PHRASE = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";

/** The well-known development accounts, in Substrate's order. */
export const DEV_ACCOUNTS = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"] as const;

/** An sr25519 key pair: 32-byte public key and 64-byte secret (expanded key + nonce), as wasm-crypto takes it. */
export interface Sr25519Keypair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** A key error: an unparsable secret URI or address. */
export class KeyError extends ParapipeError<
  { code: "INVALID_SECRET_URI"; uri: string } | { code: "INVALID_ADDRESS"; address: string; reason: string }
> {}

/**
 * Derives an sr25519 key pair from a Substrate secret URI: `//Alice`, `<mnemonic>//hard/soft`, or a
 * 0x-prefixed 32-byte seed (`0x...//derivation`). A bare `//Name` uses the dev phrase.
 */
export function keypairFromUri(uri: string): Sr25519Keypair {
  const full = uri.startsWith("//") ? `${DEV_PHRASE}${uri}` : uri;
  let extracted: ReturnType<typeof keyExtractSuri>;
  try {
    extracted = keyExtractSuri(full);
  } catch {
    throw new KeyError({ code: "INVALID_SECRET_URI", uri }, `not a secret URI: ${redact(uri)}`);
  }
  const { phrase, path, password } = extracted;
  let seed: Uint8Array;
  if (/^0x[0-9a-fA-F]{64}$/.test(phrase)) seed = Uint8Array.from(Buffer.from(phrase.slice(2), "hex"));
  else {
    try {
      seed = mnemonicToMiniSecret(phrase, password);
    } catch {
      throw new KeyError(
        { code: "INVALID_SECRET_URI", uri },
        `not a valid mnemonic or 32-byte hex seed: ${redact(uri)}`,
      );
    }
  }
  const pair = keyFromPath(sr25519PairFromSeed(seed), path, "sr25519");
  return { publicKey: pair.publicKey, secretKey: pair.secretKey };
}

/** The key pair of a dev account by name (`"Alice"`) — `//Alice`. */
export function devKeypair(name: (typeof DEV_ACCOUNTS)[number] | string): Sr25519Keypair {
  return keypairFromUri(`//${name}`);
}

/** Signs a message with sr25519 (WASM path). */
export function sr25519Sign(keypair: Sr25519Keypair, message: Uint8Array): Uint8Array {
  return wasmSign(keypair.publicKey, keypair.secretKey, message);
}

/** Verifies an sr25519 signature (WASM path). Never throws on malformed input: wrong sizes verify false. */
export function sr25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    return wasmVerify(signature, message, publicKey);
  } catch {
    return false;
  }
}

/** SS58-encodes a 32-byte public key (default prefix 42, the generic Substrate prefix; Astar uses 5). */
export function toSs58(publicKey: Uint8Array, prefix = 42): string {
  return encodeAddress(publicKey, prefix);
}

/** Decodes an SS58 address (any prefix) or a 0x-prefixed 32-byte hex public key. */
export function parseAddress(address: string): Uint8Array {
  if (/^0x[0-9a-fA-F]{64}$/.test(address)) return Uint8Array.from(Buffer.from(address.slice(2), "hex"));
  try {
    const pub = decodeAddress(address);
    if (pub.length !== 32) throw new Error(`decodes to ${pub.length} bytes, expected 32`);
    return pub;
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new KeyError({ code: "INVALID_ADDRESS", address, reason }, `invalid address ${address}: ${reason}`);
  }
}

/** Shows a secret URI without its secret part (dev names are kept, they are public). */
function redact(uri: string): string {
  return uri.startsWith("//") ? uri : "<secret>";
}

/** Verifies an ed25519 signature (WASM via util-crypto). Never throws: malformed input verifies false. */
export function ed25519VerifySafe(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    return ed25519Verify(message, signature, publicKey);
  } catch {
    return false;
  }
}

/** A new random BIP-39 mnemonic of 12, 15, 18, 21 or 24 words (`key generate`). */
export function generateMnemonic(words: 12 | 15 | 18 | 21 | 24 = 12): string {
  return mnemonicGenerate(words);
}
