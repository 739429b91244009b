import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadOrCreateNodeKey, NodeKeyError, nodeKeyFromHex, nodeKeyToHex, peerIdOf } from "../../src/index.js";

/** The seed of node20-spike.md §1: 0x42, thirty zero bytes, 0x01. */
const SPIKE_SEED_HEX = `42${"00".repeat(30)}01`;
const SPIKE_PEER_ID = "12D3KooWKboNQffHfoSjqM8BGNRmdjXKQ7g1k9MiJxQSYtaepSm3";

function isKeyError(code: string) {
  return (err: unknown) => {
    assert.ok(err instanceof NodeKeyError, `expected a NodeKeyError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(!err.message.includes("\n"), "one-line message");
    return true;
  };
}

describe("nodeKeyFromHex (--node-key)", () => {
  test("the spike's seed 0x42…01 gives PeerId 12D3KooWKboNQ…", async () => {
    const key = nodeKeyFromHex(`0x${SPIKE_SEED_HEX}`);
    assert.equal(key.secret.length, 32);
    assert.equal(key.secret[0], 0x42);
    assert.equal(key.secret[31], 0x01);
    assert.equal(await peerIdOf(key), SPIKE_PEER_ID);
  });

  test("accepts 64 hex digits with or without 0x, in any case, and round-trips", async () => {
    const bare = nodeKeyFromHex(SPIKE_SEED_HEX.toUpperCase());
    assert.equal(nodeKeyToHex(bare), SPIKE_SEED_HEX);
    assert.equal(await peerIdOf(bare), SPIKE_PEER_ID);
    assert.equal(nodeKeyToHex(nodeKeyFromHex(`  0x${SPIKE_SEED_HEX}\n`)), SPIKE_SEED_HEX);
  });

  test("rejects wrong lengths and non-hex input without echoing the key", () => {
    assert.throws(() => nodeKeyFromHex(SPIKE_SEED_HEX.slice(2)), isKeyError("INVALID_NODE_KEY"));
    assert.throws(() => nodeKeyFromHex(`${SPIKE_SEED_HEX}00`), isKeyError("INVALID_NODE_KEY"));
    assert.throws(() => nodeKeyFromHex(""), isKeyError("INVALID_NODE_KEY"));
    const secretish = `zz${SPIKE_SEED_HEX.slice(2)}`;
    assert.throws(
      () => nodeKeyFromHex(secretish),
      (err: unknown) => isKeyError("INVALID_NODE_KEY")(err) && !(err as Error).message.includes(secretish.slice(2, 30)),
    );
  });
});

describe("loadOrCreateNodeKey (key file in the base path)", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "parapipe-nodekey-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("creates a 32-byte key file with mode 0600 (and its directory), then loads the same key", async () => {
    const path = join(dir, "chains", "dev", "network", "secret_ed25519");
    const created = await loadOrCreateNodeKey(path);
    const st = await stat(path);
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(st.size, 32);
    assert.deepEqual(new Uint8Array(await readFile(path)), created.secret);
    const loaded = await loadOrCreateNodeKey(path);
    assert.deepEqual(loaded.secret, created.secret);
    assert.equal(await peerIdOf(loaded), await peerIdOf(created));
  });

  test("two fresh key files give different identities", async () => {
    const a = await loadOrCreateNodeKey(join(dir, "a", "key"));
    const b = await loadOrCreateNodeKey(join(dir, "b", "key"));
    assert.notEqual(await peerIdOf(a), await peerIdOf(b));
  });

  test("reads a hex key file (as `key generate-node-key` writes)", async () => {
    const path = join(dir, "hex-key");
    await writeFile(path, `${SPIKE_SEED_HEX}\n`);
    assert.equal(await peerIdOf(await loadOrCreateNodeKey(path)), SPIKE_PEER_ID);
  });

  test("a corrupt key file is a clear error and is left untouched", async () => {
    const path = join(dir, "corrupt-key");
    const junk = Buffer.from("this is not a key\n");
    await writeFile(path, junk);
    await assert.rejects(
      loadOrCreateNodeKey(path),
      (err: unknown) =>
        isKeyError("CORRUPT_KEY_FILE")(err) &&
        (err as NodeKeyError).message.includes(path) &&
        (err as NodeKeyError).message.includes("18 bytes"),
    );
    assert.deepEqual(await readFile(path), junk, "never silently replaced");
    await writeFile(path, new Uint8Array(0));
    await assert.rejects(loadOrCreateNodeKey(path), isKeyError("CORRUPT_KEY_FILE"));
  });

  test("a directory where the key file should be is KEY_FILE_IO", async () => {
    const path = join(dir, "a-directory");
    await mkdir(path);
    await assert.rejects(loadOrCreateNodeKey(path), isKeyError("KEY_FILE_IO"));
  });
});
