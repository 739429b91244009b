import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateMnemonic, keypairFromUri, type Sr25519Keypair, toHex } from "@parapipe/primitives";
import { CliError } from "./errors.js";

/** The dev accounts `--alice` ... `--ferdie` stand for (Substrate's `Keyring` well-known accounts). */
export const DEV_KEY_FLAGS = ["alice", "bob", "charlie", "dave", "eve", "ferdie"] as const;

/** The four-letter key types parapipe signs with: one sr25519 session key serves authoring and backing. */
export const KEY_TYPES = ["aura", "babe", "para", "asgn", "imon", "audi"] as const;

const hexOf = (s: string) => Buffer.from(s, "ascii").toString("hex");

/**
 * Substrate's file keystore: `<chain dir>/keystore/<hex(key type)><hex(public key)>`, each file holding the
 * secret URI as a JSON string (what `key insert` and Zombienet write).
 */
export class Keystore {
  constructor(readonly dir: string) {}

  /** Stores `suri` under `keyType`; returns the file written. */
  insert(keyType: string, suri: string): string {
    if (!/^[a-z]{4}$/.test(keyType))
      throw new CliError(
        { code: "KEY", reason: "key type" },
        `key type must be four lowercase letters, found "${keyType}"`,
      );
    const pair = keypairOfSuri(suri);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = join(this.dir, `${hexOf(keyType)}${toHex(pair.publicKey).slice(2)}`);
    writeFileSync(file, JSON.stringify(suri), { mode: 0o600 });
    return file;
  }

  /**
   * The first sr25519 key of the first of `types` found. A file whose secret does not give the public key in
   * its name is refused (a keystore copied by hand from another node).
   */
  find(types: readonly string[]): { keyType: string; pair: Sr25519Keypair } | undefined {
    let names: string[];
    try {
      names = readdirSync(this.dir).sort();
    } catch {
      return undefined;
    }
    for (const t of types) {
      const prefix = hexOf(t);
      for (const name of names.filter((n) => n.startsWith(prefix) && n.length === 8 + 64)) {
        const file = join(this.dir, name);
        let suri: unknown;
        try {
          suri = JSON.parse(readFileSync(file, "utf8"));
        } catch (e) {
          throw new CliError(
            { code: "KEY", reason: "keystore" },
            `keystore file ${file} is not a JSON string: ${(e as Error).message}`,
          );
        }
        if (typeof suri !== "string")
          throw new CliError(
            { code: "KEY", reason: "keystore" },
            `keystore file ${file} does not hold a secret URI string`,
          );
        const pair = keypairOfSuri(suri);
        if (toHex(pair.publicKey).slice(2) !== name.slice(8))
          throw new CliError(
            { code: "KEY", reason: "keystore" },
            `keystore file ${file}: its secret gives public key ${toHex(pair.publicKey)}, not the one in its name`,
          );
        return { keyType: t, pair };
      }
    }
    return undefined;
  }
}

/** An sr25519 pair from a secret URI (`//Alice`, a mnemonic with `//path`, a 0x seed); `KEY` error otherwise. */
export function keypairOfSuri(suri: string): Sr25519Keypair {
  try {
    return keypairFromUri(suri);
  } catch (e) {
    throw new CliError({ code: "KEY", reason: "secret URI" }, `invalid secret URI: ${(e as Error).message}`);
  }
}

/**
 * The keystore behind `author_insertKey`, `author_rotateKeys`, `author_hasKey` and `author_hasSessionKeys`
 * (unsafe RPC methods). parapipe's session keys are one sr25519 key (`aura`: authoring, backing and
 * availability use it), so the SCALE session keys are its 32 bytes. A node reads its key at start: a key
 * inserted over RPC is used from the next start, as `key insert` is.
 */
export function rpcKeystore(keystore: Keystore) {
  const has = (publicKey: Uint8Array, keyType: string) =>
    existsSync(join(keystore.dir, `${hexOf(keyType)}${toHex(publicKey).slice(2)}`));
  return {
    insertKey(keyType: string, suri: string, publicKey: Uint8Array): void {
      const pair = keypairOfSuri(suri);
      if (toHex(pair.publicKey) !== toHex(publicKey))
        throw new CliError(
          { code: "KEY", reason: "public key" },
          `the secret gives public key ${toHex(pair.publicKey)}, not ${toHex(publicKey)}`,
        );
      keystore.insert(keyType, suri);
    },
    rotateKeys(): Uint8Array {
      const phrase = generateMnemonic(12);
      keystore.insert("aura", phrase);
      return keypairOfSuri(phrase).publicKey;
    },
    hasKey: has,
    hasSessionKeys(sessionKeys: Uint8Array): boolean {
      if (sessionKeys.length === 0 || sessionKeys.length % 32 !== 0) return false;
      for (let i = 0; i < sessionKeys.length; i += 32)
        if (!KEY_TYPES.some((t) => has(sessionKeys.subarray(i, i + 32), t))) return false;
      return true;
    },
  };
}
