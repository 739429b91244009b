import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { blake2_256, cryptoReady, devKeypair, type Sr25519Keypair, toHex } from "@parapipe/primitives";
import type { DevParachain } from "@parapipe/runtime";
import { PoolError } from "../../src/errors.js";
import { TxPool, type TxPoolOptions, type TxStatus } from "../../src/txPool/txPool.js";
import {
  alice,
  bob,
  charlie,
  dave,
  importAll,
  openNode,
  type ParaWorld,
  paraWorld,
  produce,
  tempDirs,
  UNIT,
} from "./helpers.js";

/** A compact status trace: `ready`, `inBlock:<8 hex>` ... */
function trace(pool: TxPool, tx: Uint8Array): string[] {
  const out: string[] = [];
  pool.watch(blake2_256(tx), (s: TxStatus) => out.push(statusText(s)));
  return out;
}

function statusText(s: TxStatus): string {
  switch (s.type) {
    case "inBlock":
    case "retracted":
    case "finalized":
      return `${s.type}:${toHex(s.block).slice(0, 10)}`;
    case "dropped":
      return `dropped:${s.reason}`;
    case "invalid":
      return `invalid:${s.reason.code}`;
    default:
      return s.type;
  }
}

/** `kind.reason` of the runtime's `TransactionValidityError` inside a pool refusal. */
function validityReason(e: unknown): string | undefined {
  if (!(e instanceof PoolError) || e.type.code !== "INVALID_TRANSACTION") return undefined;
  const reason = e.type.reason as unknown as { code: string; type: { error?: { kind: string; reason: string } } };
  if (reason.code !== "TRANSACTION_INVALID" || reason.type.error === undefined) return undefined;
  return `${reason.type.error.kind}.${reason.type.error.reason}`;
}

const short = (h: Uint8Array) => toHex(h).slice(0, 10);

describe("TxPool", () => {
  const tmp = tempDirs();
  before(cryptoReady);
  after(() => tmp.cleanup());

  async function setup(world: ParaWorld, opts: TxPoolOptions = {}) {
    const node = await openNode(world, await tmp.make());
    const pool = new TxPool(opts, { runtime: world.chainRuntime, chain: node.chain, events: node.importer });
    const dev = world.producer();
    const transfer = (who: Sr25519Keypair, nonce: number, tip = 0n, amount = UNIT) =>
      dev.sign(who, "balances", "transferKeepAlive", [{ Id: charlie.publicKey }, amount], { nonce, tip });
    return {
      ...node,
      pool,
      dev,
      transfer,
      async close() {
        await pool.close();
        await node.close();
      },
    };
  }

  /** Builds the next block on `dev` with the pool's ready transactions and imports it into the node. */
  async function buildFromPool(n: Awaited<ReturnType<typeof setup>>, dev: DevParachain, slot: number) {
    const txs = [...n.pool.ready()].map((t) => t.bytes);
    const [b] = produce(dev, slot, 1, [txs]);
    assert.equal(b!.included.length, txs.length);
    await importAll(n.importer, [b!]);
    await n.pool.idle();
    return b!;
  }

  it("orders by nonce: a future transaction becomes ready when the gap fills, ready() follows the tags", async () => {
    const n = await setup(paraWorld());
    const a2 = n.transfer(alice, 2, 100n);
    const a0 = n.transfer(alice, 0);
    const a1 = n.transfer(alice, 1);
    const b0 = n.transfer(bob, 0, 50n);
    const a2trace = trace(n.pool, a2);
    assert.equal((await n.pool.submit(a2)).status, "future");
    assert.equal((await n.pool.submit(a0)).status, "ready");
    assert.equal(n.pool.isReady(blake2_256(a2)), false);
    assert.equal((await n.pool.submit(b0)).status, "ready");
    assert.equal((await n.pool.submit(a1)).status, "ready");
    assert.equal(n.pool.isReady(blake2_256(a2)), true);
    assert.deepEqual(a2trace, ["future", "ready"]);
    assert.deepEqual(n.pool.size.future, 0);
    // Bob's tip puts him first; Alice's nonce 2 waits for her nonce 1 despite its higher tip.
    assert.deepEqual(
      [...n.pool.ready()].map((t) => short(t.hash)),
      [b0, a0, a1, a2].map((x) => short(blake2_256(x))),
    );
    // The builder includes them all in that order.
    const block = await buildFromPool(n, n.dev, 100);
    assert.equal(block.included.length, 4);
    assert.deepEqual(n.pool.size, { ready: 0, future: 0, bytes: 0 });
    await n.close();
  });

  it("refuses a transaction already in the pool", async () => {
    const n = await setup(paraWorld());
    const tx = n.transfer(alice, 0);
    const [first, second] = await Promise.allSettled([n.pool.submit(tx), n.pool.submit(tx)]);
    assert.equal(first.status, "fulfilled");
    assert.ok(
      second.status === "rejected" && second.reason instanceof PoolError && second.reason.code === "ALREADY_IMPORTED",
    );
    await assert.rejects(n.pool.submit(tx), (e: unknown) => e instanceof PoolError && e.code === "ALREADY_IMPORTED");
    assert.equal(n.pool.size.ready, 1);
    await n.close();
  });

  it("refuses an invalid transaction with the runtime's typed reason", async () => {
    const n = await setup(paraWorld());
    const eve = devKeypair("Eve"); // not funded: cannot pay the fee
    await assert.rejects(n.pool.submit(n.transfer(eve, 0)), (e: unknown) => validityReason(e) === "Invalid.Payment");
    await assert.rejects(
      n.pool.submit(new Uint8Array([4, 1, 2])),
      (e: unknown) => e instanceof PoolError && e.code === "INVALID_TRANSACTION",
    );
    assert.deepEqual(n.pool.size, { ready: 0, future: 0, bytes: 0 });
    await n.close();
  });

  it("when full, evicts the lowest priority for a higher one and refuses the rest with POOL_FULL", async () => {
    const n = await setup(paraWorld(), { maxCount: 3 });
    const low = n.transfer(bob, 0, 1n);
    const lowTrace = trace(n.pool, low);
    await n.pool.submit(n.transfer(alice, 0, 5n));
    await n.pool.submit(low);
    await n.pool.submit(n.transfer(charlie, 0, 3n));
    const high = n.transfer(dave, 0, 10n);
    assert.equal((await n.pool.submit(high)).status, "ready");
    assert.deepEqual(lowTrace, ["ready", "dropped:evicted"]);
    assert.equal(n.pool.get(blake2_256(low)), undefined);
    // Lowest now is charlie's tip 3: a tip of 2 does not get in, and nothing is evicted for it.
    await assert.rejects(
      n.pool.submit(n.transfer(bob, 0, 2n)),
      (e: unknown) => e instanceof PoolError && e.code === "POOL_FULL",
    );
    assert.equal(n.pool.size.ready, 3);
    // Same sender and nonce with a higher tip replaces the old one (usurped).
    const dave0 = n.transfer(dave, 0, 20n);
    const highTrace = trace(n.pool, high);
    await n.pool.submit(dave0);
    assert.deepEqual(highTrace, ["dropped:usurped"]);
    await assert.rejects(
      n.pool.submit(n.transfer(dave, 0, 20n, 2n * UNIT)),
      (e: unknown) => e instanceof PoolError && e.code === "TOO_LOW_PRIORITY",
    );
    await n.close();
  });

  it("bounds the bytes held as well", async () => {
    const n = await setup(paraWorld(), { maxBytes: 300 });
    const first = n.transfer(alice, 0, 1n);
    assert.ok(first.length > 100 && first.length <= 150, `transfer is ${first.length} bytes`);
    await n.pool.submit(first);
    await n.pool.submit(n.transfer(bob, 0, 2n));
    assert.ok(n.pool.size.bytes <= 300);
    await n.pool.submit(n.transfer(charlie, 0, 3n));
    assert.equal(n.pool.get(blake2_256(first)), undefined);
    assert.ok(n.pool.size.bytes <= 300);
    await n.close();
  });

  it("removes included transactions on a new best block (inBlock), then reports finalized", async () => {
    const n = await setup(paraWorld());
    const a0 = n.transfer(alice, 0);
    const a1 = n.transfer(alice, 1);
    const t0 = trace(n.pool, a0);
    const t1 = trace(n.pool, a1);
    await n.pool.submit(a0);
    await n.pool.submit(a1);
    const b1 = await buildFromPool(n, n.dev, 100);
    assert.deepEqual(t0, ["ready", `inBlock:${short(b1.hash)}`]);
    assert.deepEqual(t1, ["ready", `inBlock:${short(b1.hash)}`]);
    assert.equal(n.pool.size.ready, 0);
    // The pool validates at the new best: Alice's next nonce is 2.
    assert.equal((await n.pool.submit(n.transfer(alice, 2))).status, "ready");
    await assert.rejects(
      n.pool.submit(n.transfer(alice, 1, 0n, 2n * UNIT)),
      (e: unknown) => validityReason(e) === "Invalid.Stale",
    );
    await n.importer.finalize(b1.hash);
    await n.pool.idle();
    assert.deepEqual(t0.at(-1), `finalized:${short(b1.hash)}`);
    assert.deepEqual(t1.at(-1), `finalized:${short(b1.hash)}`);
    await n.close();
  });

  it("re-submits the transactions of retracted blocks and drops those a new block made invalid", async () => {
    const world = paraWorld();
    const n = await setup(world);
    const a0 = n.transfer(alice, 0);
    const t = trace(n.pool, a0);
    await n.pool.submit(a0);
    const a1 = await buildFromPool(n, n.dev, 100);
    // A longer fork without Alice's transaction wins.
    const fork = world.producer();
    await importAll(n.importer, produce(fork, 200, 2));
    await n.pool.idle();
    assert.deepEqual(t, ["ready", `inBlock:${short(a1.hash)}`, `retracted:${short(a1.hash)}`, "ready"]);
    assert.equal(n.pool.isReady(blake2_256(a0)), true);

    // Another transaction of Alice with nonce 0 lands in the next fork block: a0 is stale now.
    const other = fork.sign(alice, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, 3n * UNIT], { nonce: 0 });
    await importAll(n.importer, produce(fork, 202, 1, [[other]]));
    await n.pool.idle();
    assert.deepEqual(t.at(-1), "invalid:TRANSACTION_INVALID");
    assert.equal(n.pool.get(blake2_256(a0)), undefined);
    await n.close();
  });

  it("a retracted transaction comes back ahead of its sender's later nonces, also into a full pool", async () => {
    const world = paraWorld();
    const n = await setup(world, { maxCount: 2 });
    const a0 = n.transfer(alice, 0);
    const a1 = n.transfer(alice, 1);
    await n.pool.submit(a0);
    // A block with a0 only: a1 (submitted after it) is ready on the new best block.
    const [b1] = produce(n.dev, 100, 1, [[a0]]);
    await importAll(n.importer, [b1!]);
    await n.pool.idle();
    await n.pool.submit(a1);
    await n.pool.submit(n.transfer(bob, 0));
    assert.equal(n.pool.size.ready, 2, "the pool is full");
    // A longer fork without a0 wins: a0 comes back (past the bound), and ready() yields it before a1.
    await importAll(n.importer, produce(world.producer(), 200, 2));
    await n.pool.idle();
    const order = [...n.pool.ready()].map((t) => toHex(t.hash));
    assert.equal(
      order.length,
      3,
      JSON.stringify({
        size: n.pool.size,
        a0: n.pool.get(blake2_256(a0)) !== undefined,
        a1: n.pool.get(blake2_256(a1)) !== undefined,
      }),
    );
    assert.ok(order.indexOf(toHex(blake2_256(a0))) < order.indexOf(toHex(blake2_256(a1))), "a0 before a1");
    await n.close();
  });
});
