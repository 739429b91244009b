import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { fromHex, toHex } from "@parapipe/primitives";
import { Bucket, Database, DatabaseError } from "../../src/index.js";

let root: string;
let seq = 0;
const freshPath = () => join(root, `db${seq++}`);
const bytes = (hex: string) => fromHex(hex);

function isDbError(code: string, messageIncludes?: string[]) {
  return (err: unknown) => {
    assert.ok(err instanceof DatabaseError, `expected a DatabaseError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.ok(!err.message.includes("\n"), "one-line message");
    for (const part of messageIncludes ?? []) assert.ok(err.message.includes(part), `"${err.message}" lacks "${part}"`);
    return true;
  };
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), "parapipe-storage-db-"));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("Database reads and writes", () => {
  test("a batch spanning buckets is read back after closing and reopening", async () => {
    const path = freshPath();
    const db = await Database.open(path);
    await db
      .batch()
      .put(Bucket.header, bytes("0x01"), bytes("0xaa"))
      .put(Bucket.body, bytes("0x01"), bytes("0xbb"))
      .put(Bucket.blockNumber, bytes("0x00000001"), bytes("0x01"))
      .write();
    await db.close();
    const again = await Database.open(path);
    assert.deepEqual(await again.get(Bucket.header, bytes("0x01")), bytes("0xaa"));
    assert.deepEqual(await again.get(Bucket.body, bytes("0x01")), bytes("0xbb"));
    assert.deepEqual(await again.get(Bucket.blockNumber, bytes("0x00000001")), bytes("0x01"));
    assert.equal(await again.get(Bucket.justification, bytes("0x01")), undefined);
    await again.close();
  });

  test("the same key in two buckets holds two values, and deletes are per bucket", async () => {
    const db = await Database.open(freshPath());
    await db
      .batch()
      .put(Bucket.header, bytes("0x07"), bytes("0x01"))
      .put(Bucket.pov, bytes("0x07"), bytes("0x02"))
      .write();
    await db.batch().del(Bucket.header, bytes("0x07")).write();
    assert.equal(await db.get(Bucket.header, bytes("0x07")), undefined);
    assert.deepEqual(await db.get(Bucket.pov, bytes("0x07")), bytes("0x02"));
    assert.deepEqual(await db.getMany(Bucket.pov, [bytes("0x07"), bytes("0x08")]), [bytes("0x02"), undefined]);
    await db.close();
  });

  test("values and keys come back as plain Uint8Arrays, not Buffers", async () => {
    const db = await Database.open(freshPath());
    await db.batch().put(Bucket.meta, bytes("0x01"), bytes("0x0203")).write();
    const value = await db.get(Bucket.meta, bytes("0x01"));
    assert.equal(value?.constructor, Uint8Array);
    for await (const [k, v] of db.entries(Bucket.meta)) {
      assert.equal(k.constructor, Uint8Array);
      assert.equal(v.constructor, Uint8Array);
    }
    await db.close();
  });

  test("key iteration stays inside its bucket, in key order, within gte/lt", async () => {
    const db = await Database.open(freshPath());
    const batch = db.batch();
    for (const k of ["0x03", "0x01", "0x0200", "0x02", "0xff", "0x"])
      batch.put(Bucket.paraSegment, bytes(k), bytes("0x00"));
    batch.put(Bucket.header, bytes("0x00"), bytes("0x00"));
    batch.put(Bucket.pov, bytes("0x00"), bytes("0x00"));
    await batch.write();
    const all: string[] = [];
    for await (const k of db.keys(Bucket.paraSegment)) all.push(toHex(k));
    assert.deepEqual(all, ["0x", "0x01", "0x02", "0x0200", "0x03", "0xff"]);
    const ranged: string[] = [];
    for await (const k of db.keys(Bucket.paraSegment, { gte: bytes("0x02"), lt: bytes("0x03") })) ranged.push(toHex(k));
    assert.deepEqual(ranged, ["0x02", "0x0200"]);
    const last: string[] = [];
    for await (const k of db.keys(Bucket.paraSegment, { reverse: true, limit: 2 })) last.push(toHex(k));
    assert.deepEqual(last, ["0xff", "0x03"]);
    await db.close();
  });

  test("close is safe to call twice; use after close is DB_CLOSED", async () => {
    const db = await Database.open(freshPath());
    await db.close();
    await db.close();
    assert.equal(db.isOpen, false);
    await assert.rejects(db.get(Bucket.meta, bytes("0x01")), isDbError("DB_CLOSED"));
    await assert.rejects(db.batch().put(Bucket.meta, bytes("0x01"), bytes("0x01")).write(), isDbError("DB_CLOSED"));
  });

  test("a batch cannot be written twice", async () => {
    const db = await Database.open(freshPath());
    const batch = db.batch().put(Bucket.meta, bytes("0x01"), bytes("0x01"));
    await batch.write();
    await assert.rejects(batch.write(), isDbError("BATCH_ALREADY_WRITTEN"));
    await db.close();
  });
});

describe("Database open failures", () => {
  test("a path that is a file fails with DB_OPEN_FAILED naming the path", async () => {
    const path = join(root, "plain-file");
    await writeFile(path, "not a database");
    await assert.rejects(Database.open(path), isDbError("DB_OPEN_FAILED", [path, "is a file"]));
  });

  test("a path below a file fails with DB_OPEN_FAILED naming the path", async () => {
    const file = join(root, "another-file");
    await writeFile(file, "x");
    const path = join(file, "db");
    await assert.rejects(Database.open(path), isDbError("DB_OPEN_FAILED", [path, "not a directory"]));
  });

  test("a second open of a database that is open fails with DB_OPEN_FAILED (LevelDB lock)", async () => {
    const path = freshPath();
    const first = await Database.open(path);
    await assert.rejects(Database.open(path), isDbError("DB_OPEN_FAILED", [path, "locked by another process"]));
    // The first handle is unaffected and the lock is released by close.
    await first.batch().put(Bucket.meta, bytes("0x01"), bytes("0x01")).write();
    await first.close();
    const second = await Database.open(path);
    assert.deepEqual(await second.get(Bucket.meta, bytes("0x01")), bytes("0x01"));
    await second.close();
  });

  test("a database held open by another process fails with DB_OPEN_FAILED (LevelDB lock)", async () => {
    const path = freshPath();
    const script = `import { Database } from "@parapipe/storage";
      const db = await Database.open(process.argv[1]);
      process.stdout.write("ready\\n");
      process.stdin.on("end", () => db.close().then(() => process.exit(0)));
      process.stdin.resume();`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script, path], {
      cwd: fileURLToPath(new URL(".", import.meta.url)),
      stdio: ["pipe", "pipe", "inherit"],
    });
    try {
      const first = await Promise.race([once(child.stdout, "data"), once(child, "exit").then(() => undefined)]);
      assert.equal(String(first?.[0]).trim(), "ready", "the locking process exited early");
      await assert.rejects(Database.open(path), isDbError("DB_OPEN_FAILED", [path, "locked by another process"]));
    } finally {
      child.stdin.end();
      if (child.exitCode === null) await once(child, "exit");
    }
    const db = await Database.open(path);
    await db.close();
  });

  test("corrupt LevelDB files fail with DB_OPEN_FAILED naming the path", async () => {
    const path = freshPath();
    const db = await Database.open(path);
    await db.batch().put(Bucket.meta, bytes("0x01"), bytes("0x01")).write();
    await db.close();
    await writeFile(join(path, "CURRENT"), "MANIFEST-999999\n");
    for (const f of await readdir(path)) if (f.startsWith("MANIFEST")) await writeFile(join(path, f), "garbage");
    await assert.rejects(Database.open(path), isDbError("DB_OPEN_FAILED", [path]));
  });
});

describe("genesis check", () => {
  const genesisA = new Uint8Array(32).fill(0xa1);
  const genesisB = new Uint8Array(32).fill(0xb2);

  test("an empty database records the genesis; the same genesis is accepted on reopen", async () => {
    const path = freshPath();
    const db = await Database.open(path);
    assert.equal(await db.checkOrInitGenesis(genesisA, "parapipe-dev"), "initialised");
    await db.close();
    const again = await Database.open(path);
    assert.equal(await again.checkOrInitGenesis(genesisA, "parapipe-dev"), "matched");
    assert.deepEqual(await again.genesis(), { genesisHash: genesisA, chainId: "parapipe-dev" });
    await again.close();
  });

  test("a database of another chain is refused with GENESIS_MISMATCH and left intact", async () => {
    const path = freshPath();
    const db = await Database.open(path);
    await db.checkOrInitGenesis(genesisA, "chain-a");
    await db.batch().put(Bucket.header, bytes("0x01"), bytes("0x99")).write();
    await assert.rejects(
      db.checkOrInitGenesis(genesisB, "chain-b"),
      isDbError("GENESIS_MISMATCH", [path, "chain-a", toHex(genesisA), toHex(genesisB)]),
    );
    await db.close();
    const again = await Database.open(path);
    assert.deepEqual(await again.genesis(), { genesisHash: genesisA, chainId: "chain-a" });
    assert.deepEqual(await again.get(Bucket.header, bytes("0x01")), bytes("0x99"));
    await again.close();
  });
});
