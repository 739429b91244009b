import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cryptoReady, keypairFromUri, toHex } from "@parapipe/primitives";
import { KEY_TYPES, Keystore, keypairOfSuri } from "../../src/keystore.js";
import { throwsCli } from "./helpers.js";

let root: string;
let seq = 0;

before(async () => {
  await cryptoReady();
  root = mkdtempSync(join(tmpdir(), "parapipe-cli-keystore-"));
});

after(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A keystore in a fresh directory that does not exist yet. */
const freshKeystore = () => new Keystore(join(root, `ks${seq++}`, "keystore"));
const pub = (suri: string) => toHex(keypairFromUri(suri).publicKey).slice(2);
const AURA_HEX = "61757261"; // "aura" in ASCII

/** The key type and public key (hex, no 0x) `find` returns. */
function found(ks: Keystore, types: readonly string[]): [string, string] | undefined {
  const f = ks.find(types);
  return f === undefined ? undefined : [f.keyType, toHex(f.pair.publicKey).slice(2)];
}

describe("Keystore", () => {
  test("insert writes <hex(key type)><hex(public key)> holding the secret URI as a JSON string", () => {
    const ks = freshKeystore();
    const file = ks.insert("aura", "//Alice");
    assert.equal(basename(file), `${AURA_HEX}${pub("//Alice")}`);
    assert.equal(readFileSync(file, "utf8"), '"//Alice"');
    assert.deepEqual(readdirSync(ks.dir), [basename(file)]);
    if (process.platform !== "win32") assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  test("find returns the key inserted", () => {
    const ks = freshKeystore();
    ks.insert("aura", "//Alice");
    assert.deepEqual(found(ks, ["aura"]), ["aura", pub("//Alice")]);
  });

  test("find reads a file as Zombienet writes it", () => {
    const ks = freshKeystore();
    mkdirSync(ks.dir, { recursive: true });
    writeFileSync(join(ks.dir, `${Buffer.from("babe").toString("hex")}${pub("//Bob")}`), JSON.stringify("//Bob"));
    assert.deepEqual(found(ks, KEY_TYPES), ["babe", pub("//Bob")]);
  });

  test("find prefers the order of the types it is given", () => {
    const ks = freshKeystore();
    ks.insert("aura", "//Alice");
    ks.insert("babe", "//Bob");
    assert.deepEqual(found(ks, ["babe", "aura"]), ["babe", pub("//Bob")]);
    assert.deepEqual(found(ks, ["aura", "babe"]), ["aura", pub("//Alice")]);
    assert.deepEqual(found(ks, ["gran", "babe"]), ["babe", pub("//Bob")]);
  });

  test("find returns undefined when no key of the types is present", () => {
    const ks = freshKeystore();
    ks.insert("gran", "//Alice");
    assert.equal(ks.find(["aura", "babe"]), undefined);
  });

  test("find skips files whose name is not a key type and a 32-byte public key", () => {
    const ks = freshKeystore();
    mkdirSync(ks.dir, { recursive: true });
    writeFileSync(join(ks.dir, `${AURA_HEX}abcd`), '"//Alice"');
    writeFileSync(join(ks.dir, `${AURA_HEX}${pub("//Alice")}.bak`), "not json");
    assert.equal(ks.find(["aura"]), undefined);
  });

  test("a missing keystore directory finds nothing", () => {
    assert.equal(freshKeystore().find(KEY_TYPES), undefined);
  });

  test("a file whose secret does not give the public key in its name is refused", () => {
    const ks = freshKeystore();
    mkdirSync(ks.dir, { recursive: true });
    const name = `${AURA_HEX}${pub("//Alice")}`;
    writeFileSync(join(ks.dir, name), JSON.stringify("//Bob"));
    throwsCli(() => ks.find(["aura"]), "KEY", name, `0x${pub("//Bob")}`, "not the one in its name");
  });

  test("a file that is not JSON is refused", () => {
    const ks = freshKeystore();
    mkdirSync(ks.dir, { recursive: true });
    const name = `${AURA_HEX}${pub("//Alice")}`;
    writeFileSync(join(ks.dir, name), "//Alice");
    throwsCli(() => ks.find(["aura"]), "KEY", name, "is not a JSON string");
  });

  test("a file holding JSON that is not a string is refused", () => {
    const ks = freshKeystore();
    mkdirSync(ks.dir, { recursive: true });
    const name = `${AURA_HEX}${pub("//Alice")}`;
    writeFileSync(join(ks.dir, name), '{"suri":"//Alice"}');
    throwsCli(() => ks.find(["aura"]), "KEY", name, "does not hold a secret URI string");
  });

  test("insert refuses a key type that is not four lowercase letters, writing nothing", () => {
    const ks = freshKeystore();
    for (const t of ["AURA", "aur", "auras", "au1a", ""])
      throwsCli(() => ks.insert(t, "//Alice"), "KEY", "four lowercase letters", `"${t}"`);
    assert.equal(ks.find(KEY_TYPES), undefined);
  });

  test("insert refuses an invalid secret URI, writing nothing", () => {
    const ks = freshKeystore();
    const e = throwsCli(() => ks.insert("aura", "not a mnemonic at all"), "KEY", "invalid secret URI");
    assert.deepEqual(e.type, { code: "KEY", reason: "secret URI" });
    assert.equal(ks.find(KEY_TYPES), undefined);
  });
});

describe("keypairOfSuri", () => {
  test("derives dev keys, mnemonics with paths and 0x seeds", () => {
    assert.equal(toHex(keypairOfSuri("//Alice").publicKey), toHex(keypairFromUri("//Alice").publicKey));
    const seed = `0x${"11".repeat(32)}`;
    assert.equal(keypairOfSuri(seed).publicKey.length, 32);
    assert.notEqual(toHex(keypairOfSuri(`${seed}//x`).publicKey), toHex(keypairOfSuri(seed).publicKey));
  });

  test("an invalid URI is a KEY error", () => {
    throwsCli(() => keypairOfSuri("0x1234"), "KEY", "invalid secret URI");
  });
});
