import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { keypairFromUri, type Sr25519Keypair, toHex } from "@parapipe/primitives";
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
