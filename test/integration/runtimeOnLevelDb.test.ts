import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { blake2_256, bytesEqual, cryptoReady, devKeypair, scaleBytes, slotAuthor, toHex } from "@parapipe/primitives";
import {
  ASTAR_CYCLE,
  ASTAR_INFLATION_PARAMETERS,
  ASYNC_BACKING_CONFIG,
  type BuiltBlock,
  buildBlock,
  buildRelayStateProof,
  executeBlock,
  makeCall,
  ParachainRuntime,
  signExtrinsic,
  validateBlock,
} from "@parapipe/runtime";
import { Bucket, Database, StateStore } from "@parapipe/storage";

const UNIT = 10n ** 18n;
const alice = devKeypair("Alice");
const bob = devKeypair("Bob");
const charlie = devKeypair("Charlie");
const keys = new Map([alice, bob].map((k) => [toHex(k.publicKey), k]));

/**
 * The runtime on LevelDB: blocks are built with the state in a LevelDB StateStore (synchronous execution on
 * the node cache, missing nodes loaded by `withState`), each block's new trie nodes and header written in one
 * atomic batch; after a reopen (cold cache) building continues on the persisted state, and a second node
 * importing the same blocks into its own database reaches the same state roots.
 */
describe("parachain runtime on LevelDB", () => {
  const dirs: string[] = [];
  const open = async () => {
    const dir = await mkdtemp(join(tmpdir(), "parapipe-it-"));
    dirs.push(dir);
    return dir;
  };
  before(cryptoReady);
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  const rt = new ParachainRuntime({ ...ASYNC_BACKING_CONFIG, paraId: 2000 }, ASTAR_CYCLE);
  const genesis = rt.genesisStorage({
    balances: [
      [alice.publicKey, 1_000_000n * UNIT],
      [bob.publicKey, 1_000_000n * UNIT],
    ],
    auraAuthorities: [alice.publicKey, bob.publicKey],
    invulnerables: [alice.publicKey, bob.publicKey],
    sudoKey: alice.publicKey,
    inflation: { params: ASTAR_INFLATION_PARAMETERS, cycle: ASTAR_CYCLE },
  });

  async function initNode(dir: string) {
    const db = await Database.open(dir);
    const state = new StateStore(db);
    const root = await state.initGenesis(genesis);
    const header = rt.registry.createType("Header", {
      number: 0,
      stateRoot: root,
      extrinsicsRoot: blake2_256(new Uint8Array([0])),
    });
    return { db, state, root, header };
  }

  /** Builds on `parentHeader` at `relaySlot` inside withState, so a cold cache is filled from disk. */
  async function build(
    state: StateStore,
    parentHeader: Uint8Array,
    relaySlot: bigint,
    txs: Uint8Array[],
    included: Uint8Array,
  ): Promise<BuiltBlock> {
    const proof = buildRelayStateProof({ relaySlot, paraId: 2000, includedHead: included });
    return state.withState((store) => {
      const parentRoot = rt.registry.createType("Header", parentHeader) as unknown as {
        stateRoot: { toU8a(): Uint8Array };
      };
      const auths = rt.aura.authorities(rt.stateAt(store, parentRoot.stateRoot.toU8a()));
      const author = keys.get(toHex(slotAuthor(relaySlot, auths)!))!;
      const r = buildBlock(rt, {
        store,
        parentHeader,
        relayParent: {
          number: Number(relaySlot),
          storageRoot: proof.root,
          stateProof: proof.proof,
          maxPovSize: 5 << 20,
        },
        timestampMs: relaySlot * 6000n,
        author,
        transactions: txs,
      });
      if (!r.ok) throw r.error;
      return r.value;
    });
  }

  async function persist(db: Database, state: StateStore, b: BuiltBlock): Promise<void> {
    const batch = db.batch();
    state.writeNodes(batch, b.newNodes);
    batch.put(Bucket.header, b.hash, b.header.toU8a());
    await batch.write();
  }

  it("builds on LevelDB, survives a reopen with a cold cache, and a second node imports to the same roots", async () => {
    const dirA = await open();
    const a = await initNode(dirA);
    const genesisHeader = a.header.toU8a();
    const genesisHash = blake2_256(genesisHeader);
    assert.equal(await a.db.checkOrInitGenesis(genesisHash, "astar_local"), "initialised");
    const sign = (nonce: number) =>
      signExtrinsic(
        rt.registry,
        makeCall(rt.registry, "balances", "transferKeepAlive", [{ Id: charlie.publicKey }, UNIT]),
        alice,
        {
          nonce,
          genesisHash,
          specVersion: rt.version.specVersion,
          transactionVersion: rt.version.transactionVersion,
        },
      );
    const headers: Uint8Array[] = [genesisHeader];
    const blocks: BuiltBlock[] = [];
    for (let i = 0; i < 3; i++) {
      const b = await build(a.state, headers[i]!, 100n + BigInt(i), [sign(i)], headers[Math.max(0, i - 1)]!);
      assert.equal(b.included.length, 1, JSON.stringify(b.rejected.map((r) => r.error)));
      await persist(a.db, a.state, b);
      headers.push(b.header.toU8a());
      blocks.push(b);
    }
    await a.db.close();

    // Reopen: fresh database handle, cold node cache.
    const db2 = await Database.open(dirA);
    assert.equal(await db2.checkOrInitGenesis(genesisHash, "astar_local"), "matched");
    const state2 = new StateStore(db2);
    const b4 = await build(state2, headers[3]!, 103n, [sign(3)], headers[2]!);
    assert.equal(b4.included.length, 1);
    await persist(db2, state2, b4);
    const charlieFree = await state2.withState(
      (store) => rt.system.account(rt.stateAt(store, b4.stateRoot), charlie.publicKey).free,
    );
    assert.equal(charlieFree, 4n * UNIT);
    // The PoV built on the reopened database validates.
    const params = rt.registry
      .createType("ValidationParams", {
        parentHead: scaleBytes(headers[3]!),
        blockData: scaleBytes(b4.pov),
        relayParentNumber: 103,
        relayParentStorageRoot: buildRelayStateProof({ relaySlot: 103n, paraId: 2000, includedHead: headers[2]! }).root,
      })
      .toU8a();
    const v = validateBlock(rt, params);
    assert.ok(v.ok, v.ok ? "" : v.error.message);
    await db2.close();

    // A second node imports the blocks into its own database and reaches the same roots.
    const b = await initNode(await open());
    let parent = genesisHeader;
    for (const blk of [...blocks, b4]) {
      const r = await b.state.withState((store) => {
        const x = executeBlock(rt, store, blk.block, { parentHeader: parent });
        if (!x.ok) throw x.error;
        return x.value;
      });
      assert.ok(bytesEqual(r.stateRoot, blk.stateRoot));
      const batch = b.db.batch();
      b.state.writeNodes(batch, r.newNodes);
      await batch.write();
      parent = blk.header.toU8a();
    }
    await b.db.close();
  });
});
