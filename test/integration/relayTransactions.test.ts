/**
 * Relay-chain transactions over the relay network, on real libp2p (loopback) and LevelDB with scaled slots:
 * transfers submitted to one validator reach every validator's pool over the relay `tx` topic and are included
 * exactly once by whoever authors next; garbage and badly signed transactions on that topic are REJECTed,
 * never pooled, and the validators keep authoring.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createNetwork, generateNodeKey, type Network, topicName } from "@parapipe/network";
import { RELAY_TOPICS } from "@parapipe/node";
import { blake2_256, cryptoReady, devKeypair, findAuraSlot, type Sr25519Keypair, toHex } from "@parapipe/primitives";
import type { RelayValidatorNode } from "@parapipe/relay-validator";
import { makeCall, signExtrinsic } from "@parapipe/runtime";
import { type ParaNetwork, startParaNetwork, waitFor } from "../utils/paraNetwork.js";

const SLOT_MS = 1000;
const VALIDATORS = ["Alice", "Bob", "Charlie", "Dave"];
const TRANSFERS = 6;
const tcp = (addrs: string[]) => addrs.find((a) => a.includes("/tcp/") && !a.includes("/ws"))!;

/** A signed `balances.transferKeepAlive(to, amount)` for the relay chain of `v`. */
function transfer(v: RelayValidatorNode, from: Sr25519Keypair, to: Sr25519Keypair, amount: bigint, nonce: number) {
  const rt = v.runtime;
  const call = makeCall(rt.registry, "balances", "transferKeepAlive", [{ Id: to.publicKey }, amount]);
  return signExtrinsic(rt.registry, call, from, {
    nonce,
    genesisHash: v.genesisHash,
    specVersion: rt.version.specVersion,
    transactionVersion: rt.version.transactionVersion,
  });
}

/** An account's nonce and free balance in the state of block `at` of `v`. */
async function account(v: RelayValidatorNode, who: Uint8Array, at: { stateRoot: Uint8Array }) {
  const rt = v.runtime;
  return v.chain.withState((s) => rt.system.account(rt.stateAt(s, at.stateRoot), who));
}

/** For each wanted transaction in `v`'s finalized chain: how often it is there and who authored its blocks. */
async function finalizedInclusions(v: RelayValidatorNode, wanted: Set<string>) {
  const seen = new Map<string, { count: number; authors: string[] }>();
  for (let h = 1; h <= v.finalized.number; h++) {
    const hash = await v.chain.canonicalHash(h);
    const block = hash && (await v.chain.block(hash));
    if (!block) continue;
    const header = v.runtime.registry.createType("Header", v.adapter.blockHeader(block));
    const slot = findAuraSlot(header as never);
    const author = slot === undefined ? "?" : VALIDATORS[Number(slot % BigInt(VALIDATORS.length))]!;
    for (const x of v.adapter.blockExtrinsics(block)) {
      const k = toHex(blake2_256(x));
      if (!wanted.has(k)) continue;
      const e = seen.get(k) ?? { count: 0, authors: [] };
      e.count++;
      e.authors.push(author);
      seen.set(k, e);
    }
  }
  return seen;
}

describe("relay transactions over the relay network (4 validators)", { timeout: 180_000 }, () => {
  let net: ParaNetwork;
  let validators: RelayValidatorNode[];
  const peers: Network[] = [];
  const chain = () => validators.map((v) => `#${v.best.number}/f#${v.finalized.number}`).join(" ");

  before(async () => {
    await cryptoReady();
    net = await startParaNetwork({ mode: "async", relaySlotMs: SLOT_MS, validators: VALIDATORS, startCollators: [] });
    validators = net.validators;
    await waitFor("finality on every validator", () => validators.every((v) => v.finalized.number >= 2), 20_000, chain);
  });
  after(async () => {
    for (const p of peers) await p.stop().catch(() => {});
    await net?.close();
  });

  it(`includes ${TRANSFERS} transfers submitted to validator 3 exactly once, authored by several validators`, async () => {
    const v3 = validators[3]!;
    const alice = devKeypair("Alice");
    const eve = devKeypair("Eve");
    const firstNonce = (await account(v3, alice.publicKey, v3.best)).nonce;
    const amounts = Array.from({ length: TRANSFERS }, (_, i) => 1_000_000_000n + BigInt(i));
    const txs = amounts.map((amount, i) => transfer(v3, alice, eve, amount, firstNonce + i));
    // One per slot, all to validator 3: the others learn them over the relay tx topic, and the authors of the
    // blocks carrying them rotate with the slots.
    for (const tx of txs) {
      const from = v3.best.number;
      const r = await v3.submitTransaction(tx);
      assert.deepEqual(r.hash, blake2_256(tx));
      await waitFor("the next relay block on validator 3", () => v3.best.number > from, 5 * SLOT_MS, chain);
    }
    const wanted = new Set(txs.map((t) => toHex(blake2_256(t))));
    await waitFor(
      `all ${TRANSFERS} transfers finalized on every validator`,
      async () => {
        for (const v of validators) if ((await finalizedInclusions(v, wanted)).size < TRANSFERS) return false;
        return true;
      },
      20 * SLOT_MS,
      () => `${chain()}; pools ${validators.map((v) => JSON.stringify(v.pool.size)).join(" ")}`,
    );
    const authors = new Set<string>();
    for (const [i, v] of validators.entries()) {
      const seen = await finalizedInclusions(v, wanted);
      for (const [k, e] of seen) assert.equal(e.count, 1, `validator ${i}: transfer ${k} included ${e.count} times`);
      for (const e of seen.values()) for (const a of e.authors) authors.add(a);
      // Eve received exactly the six amounts (she pays no fee as the recipient), as every node's state says.
      const genesis = (await v.chain.blockInfo((await v.chain.canonicalHash(0))!))!;
      const before = (await account(v, eve.publicKey, genesis)).free;
      const after = (await account(v, eve.publicKey, v.finalized)).free;
      assert.equal(
        after - before,
        amounts.reduce((s, a) => s + a, 0n),
        `validator ${i}: Eve's balance`,
      );
      // Included transactions left every pool.
      await v.pool.idle();
      for (const tx of txs) assert.equal(v.pool.get(blake2_256(tx)), undefined, `validator ${i} still pools one`);
    }
    assert.ok(
      authors.size >= 2,
      `blocks carrying the transfers were authored by ${[...authors].join(", ")}: expected at least two validators`,
    );
  });

  it("REJECTs garbage and a badly signed transaction on the relay tx topic, pools neither, and keeps authoring", async () => {
    const target = validators[3]!;
    const topic = topicName(target.genesisHash, "relay", RELAY_TOPICS.tx);
    // A bare peer on the relay tx topic, meshed with the target. It sends two bad messages: three REJECTs on a
    // topic graylist a peer, after which its messages would be dropped unvalidated.
    const attacker = await createNetwork({
      listen: ["/ip4/127.0.0.1/tcp/0"],
      bootnodes: [tcp(target.network.listenAddrs())],
      nodeKey: generateNodeKey(),
      genesisHash: target.genesisHash,
    });
    peers.push(attacker);
    attacker.gossip.subscribe({ topic, maxBytes: 64 * 1024, validate: () => undefined, handle: () => {} });
    await attacker.start();
    await waitFor(
      "the attacker and the target on each other's tx topic",
      () =>
        attacker.gossip.topicPeers(topic).includes(target.network.peerId) &&
        target.network.gossip.topicPeers(topic).includes(attacker.peerId),
      30_000,
      () => `attacker topic peers ${attacker.gossip.topicPeers(topic).length}, peers ${attacker.peers().length}`,
    );
    const rejects = () => target.network.gossip.verdictCounts()[topic]?.REJECT ?? 0;
    const expectReject = async (bytes: Uint8Array, what: string) => {
      const before = rejects();
      await attacker.gossip.publish(topic, bytes);
      await waitFor(
        `a REJECT for ${what}`,
        () => rejects() > before,
        5000,
        () => JSON.stringify(target.network.gossip.verdictCounts()[topic] ?? {}),
      );
    };

    const bob = devKeypair("Bob");
    const nonce = (await account(target, bob.publicKey, target.best)).nonce;
    const good = transfer(target, bob, devKeypair("Ferdie"), 10n ** 12n, nonce);
    // v4 signed layout: compact length (2 bytes), 0x84, address (0x00 + 32 bytes), signature type 0x01, then the
    // 64 signature bytes from offset 37: flip one of them.
    const bad = good.slice();
    bad[45] = bad[45]! ^ 0xff;
    const authored = target.stats.authored;
    const best = Math.min(...validators.map((v) => v.best.number));
    const finalized = Math.min(...validators.map((v) => v.finalized.number));

    await expectReject(new Uint8Array(100).fill(7), "100 garbage bytes");
    await expectReject(bad, "a transfer with a bad signature");
    for (const [i, v] of validators.entries())
      assert.equal(v.pool.get(blake2_256(bad)), undefined, `validator ${i} pools the badly signed transfer`);

    // The same transfer correctly signed goes through (the check was the signature), and the chain goes on.
    await target.submitTransaction(good);
    await waitFor(
      "the good transfer finalized on the target, which authored again, and every validator further on",
      async () =>
        (await finalizedInclusions(target, new Set([toHex(blake2_256(good))]))).size === 1 &&
        target.stats.authored > authored &&
        validators.every((v) => v.best.number >= best + 4 && v.finalized.number >= finalized + 3),
      20 * SLOT_MS,
      () => `${chain()}; target authored ${target.stats.authored} (was ${authored})`,
    );
  });
});
