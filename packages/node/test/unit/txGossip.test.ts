import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type Gossip,
  type GossipSubscription,
  silentLogger,
  VerdictCounters,
  validateGossipMessage,
} from "@parapipe/network";
import { blake2_256, cryptoReady, devKeypair } from "@parapipe/primitives";
import { PoolError } from "../../src/errors.js";
import { TransactionGossip } from "../../src/txPool/txGossip.js";
import { TxPool, type TxPoolOptions } from "../../src/txPool/txPool.js";
import { alice, bob, charlie, openNode, paraWorld, tempDirs, UNIT } from "./helpers.js";

const TOPIC = "/parapipe/00000000/para/tx/00000000";

/** The gossip half of a network, faked: the subscription is kept, publications recorded. */
function fakeGossip() {
  const published: Array<{ topic: string; bytes: Uint8Array }> = [];
  let sub: GossipSubscription<unknown> | undefined;
  const gossip: Pick<Gossip, "subscribe" | "publish"> = {
    subscribe<T>(s: GossipSubscription<T>) {
      sub = s as GossipSubscription<unknown>;
      return () => {
        sub = undefined;
      };
    },
    async publish(topic, bytes) {
      published.push({ topic, bytes });
      return 1;
    },
  };
  const counters = new VerdictCounters();
  return {
    gossip,
    published,
    counters,
    /** A message from a peer through the network's verdict adapter: its verdict and code. */
    async receive(bytes: Uint8Array): Promise<string> {
      assert.ok(sub, "the topic is subscribed");
      const out = await validateGossipMessage(sub, bytes, "peer", { logger: silentLogger, counters });
      return out.verdict === "ACCEPT" ? "ACCEPT" : `${out.verdict} ${out.code}`;
    },
  };
}

describe("TransactionGossip", () => {
  const tmp = tempDirs();
  before(cryptoReady);
  after(() => tmp.cleanup());

  async function setup(opts: TxPoolOptions = {}) {
    const world = paraWorld();
    const node = await openNode(world, await tmp.make());
    const pool = new TxPool(opts, { runtime: world.chainRuntime, chain: node.chain, events: node.importer });
    const net = fakeGossip();
    const txGossip = new TransactionGossip({ topic: TOPIC }, { network: { gossip: net.gossip }, pool });
    txGossip.wire();
    const dev = world.producer();
    const transfer = (who = alice, nonce = 0, tip = 0n) =>
      dev.sign(who, "balances", "transferKeepAlive", [{ Id: charlie.publicKey }, UNIT], { nonce, tip });
    return {
      pool,
      net,
      txGossip,
      transfer,
      async close() {
        await pool.close();
        await node.close();
      },
    };
  }

  it("submit puts a transaction in the pool and publishes it on the topic", async () => {
    const n = await setup();
    const tx = n.transfer();
    const r = await n.txGossip.submit(tx);
    assert.equal(r.status, "ready");
    assert.deepEqual(r.hash, blake2_256(tx));
    assert.ok(n.pool.get(r.hash), "in the pool");
    assert.deepEqual(n.net.published, [{ topic: TOPIC, bytes: tx }]);
    await n.close();
  });

  it("submit of a transaction the pool refuses rejects with the pool's error and publishes nothing", async () => {
    const n = await setup();
    const unfunded = n.transfer(devKeypair("Eve"));
    await assert.rejects(
      n.txGossip.submit(unfunded),
      (e: unknown) => e instanceof PoolError && e.code === "INVALID_TRANSACTION",
    );
    const tx = n.transfer();
    await n.txGossip.submit(tx);
    await assert.rejects(
      n.txGossip.submit(tx),
      (e: unknown) => e instanceof PoolError && e.code === "ALREADY_IMPORTED",
    );
    assert.equal(n.net.published.length, 1, "only the accepted submission was published");
    await n.close();
  });

  it("a valid transaction from a peer is ACCEPTed into the pool, a second copy IGNOREd", async () => {
    const n = await setup();
    const tx = n.transfer();
    assert.equal(await n.net.receive(tx), "ACCEPT");
    assert.ok(n.pool.get(blake2_256(tx)), "in the pool");
    assert.equal(await n.net.receive(tx), "IGNORE ALREADY_IMPORTED");
    await n.close();
  });

  it("REJECTs bytes that are not an extrinsic, a bad signature and an oversized message, and pools none", async () => {
    const n = await setup();
    const tx = n.transfer();
    // v4 signed layout: compact length (2 bytes), 0x84, address (0x00 + 32 bytes), type 0x01, then the signature.
    const badProof = tx.slice();
    badProof[45] = badProof[45]! ^ 0xff;
    assert.equal(await n.net.receive(new Uint8Array(0)), "REJECT UNDECODABLE");
    assert.equal(await n.net.receive(Uint8Array.of(0xff)), "REJECT UNDECODABLE");
    assert.equal(await n.net.receive(tx.slice(0, tx.length - 3)), "REJECT UNDECODABLE");
    assert.equal(await n.net.receive(badProof), "REJECT BAD_PROOF");
    assert.equal(await n.net.receive(new Uint8Array(64 * 1024 + 1)), "REJECT MESSAGE_TOO_LARGE");
    assert.deepEqual(n.pool.size, { ready: 0, future: 0, bytes: 0 });
    assert.equal(n.net.counters.snapshot()[TOPIC]?.REJECT, 5);
    await n.close();
  });

  it("IGNOREs what the pool merely cannot take now: an unpayable transfer, a full pool", async () => {
    const n = await setup({ maxCount: 1 });
    assert.equal(await n.net.receive(n.transfer(devKeypair("Eve"))), "IGNORE INVALID_TRANSACTION");
    assert.equal(await n.net.receive(n.transfer(alice, 0, 5n)), "ACCEPT");
    assert.equal(await n.net.receive(n.transfer(bob, 0, 1n)), "IGNORE POOL_FULL");
    assert.equal(n.net.counters.snapshot()[TOPIC]?.REJECT, 0);
    await n.close();
  });
});
