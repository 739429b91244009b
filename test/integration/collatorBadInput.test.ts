/**
 * Issue 4's bad input on the para network: a block announce with a bad seal, a block that does not execute, a
 * transaction with a bad signature, garbage on the para topics and on the para sync protocol. Each is rejected
 * with a verdict (REJECT, so the sender's score drops) or an error response, nothing is stored, and the
 * network keeps producing parablocks.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { CollatorNode } from "@parapipe/collator";
import { createNetwork, generateNodeKey, type Network, topicName } from "@parapipe/network";
import { PARA_PROTOCOLS, PARA_TOPICS, RELAY_PROTOCOLS } from "@parapipe/node";
import {
  blake2_256,
  cryptoReady,
  decodeExact,
  devKeypair,
  findAuraSlot,
  generateProof,
  headerHash,
  registry,
  slotAuthor,
  sr25519Sign,
  toHex,
  withAuraSeal,
  withoutSeal,
} from "@parapipe/primitives";
import { buildBlock, makeCall, relayKeys, signExtrinsic } from "@parapipe/runtime";
import type { Header } from "@polkadot/types/interfaces";
import { type ParaNetwork, startParaNetwork, waitFor } from "../utils/paraNetwork.js";

const SLOT_MS = 1000;
const tcp = (addrs: string[]) => addrs.find((a) => a.includes("/tcp/") && !a.includes("/ws"))!;

/** A valid, unannounced parablock sealed by the slot's author (a fork next to the best block). */
async function freshBlock(c: CollatorNode) {
  const rt = c.runtime;
  const rb = c.relay.chain.best;
  const relayHeader = decodeExact(c.relay.runtime.registry, "Header", (await c.relay.chain.header(rb.hash))!);
  const relaySlot = findAuraSlot(relayHeader as never)!;
  const proof = await c.relay.chain.withState((s) =>
    generateProof(s, rb.stateRoot, [relayKeys.currentSlot, relayKeys.paraHead(rt.paraId)]),
  );
  // The deepest parent the runtime lets us build on (the segment may be full above the best block, or its slot
  // at its block limit): the deeper, the further from finality, so the block is not late (a fork at or below the
  // finalized block is IGNOREd, not REJECTed) by the time it is gossiped.
  const timestampMs = relaySlot * BigInt(rt.config.relaySlotDurationMs);
  const refusals: string[] = [];
  for (let hash = c.best.hash; ; ) {
    const parent = (await c.chain.blockInfo(hash))!;
    const parentHeader = (await c.chain.header(parent.hash))!;
    const authorities = await c.chain.withState((s) => rt.aura.authorities(rt.stateAt(s, parent.stateRoot)));
    const authorKey = slotAuthor(timestampMs / BigInt(rt.config.paraSlotDurationMs), authorities)!;
    const author = ["Alice", "Bob"].map((n) => devKeypair(n)).find((k) => toHex(k.publicKey) === toHex(authorKey))!;
    const built = await c.chain.withState((store) =>
      buildBlock(rt, {
        store,
        parentHeader,
        relayParent: { number: rb.number, storageRoot: rb.stateRoot, stateProof: proof, maxPovSize: 5 << 20 },
        timestampMs,
        author,
      }),
    );
    if (built.ok) return { built: built.value, author };
    refusals.push(`#${parent.number}: ${built.error.message}`);
    if (parent.number <= c.finalized.number) assert.fail(`no parent to build a test block on: ${refusals.join("; ")}`);
    hash = parent.parentHash;
  }
}

/** `block` with its header replaced by `header` (extrinsics kept). */
function withHeader(c: CollatorNode, block: Uint8Array, header: Header): Uint8Array {
  const reg = c.runtime.registry;
  const opaque = decodeExact(reg, "OpaqueBlock", block) as unknown as { extrinsics: unknown };
  return reg.createType("OpaqueBlock", { header, extrinsics: opaque.extrinsics }).toU8a();
}

describe("bad input on the para network", { timeout: 180_000 }, () => {
  let net: ParaNetwork;
  let attacker: Network;
  let target: CollatorNode;
  let blockTopic: string;
  let txTopic: string;

  before(async () => {
    await cryptoReady();
    net = await startParaNetwork({ mode: "async", relaySlotMs: SLOT_MS });
    target = net.collators[1]!;
    blockTopic = topicName(target.relay.genesisHash, "para", PARA_TOPICS.block, target.genesisHash);
    txTopic = topicName(target.relay.genesisHash, "para", PARA_TOPICS.tx, target.genesisHash);
    await waitFor(
      "para block #3",
      () => target.best.number >= 3,
      20 * SLOT_MS,
      () => `para #${target.best.number}`,
    );
  });
  after(async () => {
    for (const a of attackers) await a.stop().catch(() => {});
    await net?.close();
  });

  const attackers: Network[] = [];
  let attackersMade = 0;
  /**
   * A new peer on both para topics. Three recent REJECTs on a topic graylist a peer (its messages are then dropped
   * unseen), so each peer sends at most two bad messages per topic and every one is validated for sure.
   */
  async function newAttacker(): Promise<Network> {
    // One attacker at a time: many peers from one IP are penalised by gossipsub's IP colocation score.
    for (const old of attackers.splice(0)) await old.stop().catch(() => {});
    const a = await createNetwork({
      listen: ["/ip4/127.0.0.1/tcp/0"],
      bootnodes: [tcp(target.network.listenAddrs())],
      nodeKey: generateNodeKey(),
      genesisHash: target.genesisHash,
      maxGossipBytes: 2 * 1024 * 1024,
    });
    attackers.push(a);
    attackersMade++;
    for (const topic of [blockTopic, txTopic])
      a.gossip.subscribe({ topic, maxBytes: 2 * 1024 * 1024, validate: () => undefined, handle: () => {} });
    await a.start();
    await waitFor(
      "the attacker to see the target on both para topics",
      () =>
        a.gossip.topicPeers(blockTopic).includes(target.network.peerId) &&
        a.gossip.topicPeers(txTopic).includes(target.network.peerId),
      30_000,
      () =>
        `attackers so far ${attackersMade}; block topic peers ${a.gossip.topicPeers(blockTopic).length}, tx topic peers ${a.gossip.topicPeers(txTopic).length}, peers ${a.peers().length}, target peers ${target.network.peers().length}, target tx topic peers ${target.network.gossip.topicPeers(txTopic).length}`,
    );
    attacker = a;
    return a;
  }

  /** Publishes `bytes` (from a fresh peer unless `from`) and waits until the target counted one more REJECT on `topic`. */
  async function expectReject(topic: string, bytes: Uint8Array, what: string, from?: Network): Promise<void> {
    const before = target.network.gossip.verdictCounts()[topic]?.REJECT ?? 0;
    await (from ?? (await newAttacker())).gossip.publish(topic, bytes);
    await waitFor(
      `a REJECT for ${what}`,
      () => (target.network.gossip.verdictCounts()[topic]?.REJECT ?? 0) > before,
      5000,
      () => JSON.stringify(target.network.gossip.verdictCounts()[topic] ?? {}),
    );
  }

  /**
   * Builds a fresh block, derives the bytes to gossip from it with `make`, publishes them from a fresh peer and
   * waits for the target's verdict. A block that turned late on the way (its parent finalized meanwhile on a slow
   * machine) is rightly IGNOREd; then it tries again with a newer block, up to three times.
   */
  async function verdictForFreshBlock(
    make: (b: Awaited<ReturnType<typeof freshBlock>>) => Uint8Array,
    what: string,
  ): Promise<{ verdict: "REJECT" | "no REJECT"; bytes: Uint8Array }> {
    const count = () => target.network.gossip.verdictCounts()[blockTopic] ?? { ACCEPT: 0, IGNORE: 0, REJECT: 0 };
    const seen: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const bytes = make(await freshBlock(target));
      const before = count();
      await (await newAttacker()).gossip.publish(blockTopic, bytes);
      // Only REJECT and IGNORE are ours to read: ACCEPTs also count the honest collators' announcements.
      const decided = await waitFor(
        `a verdict on ${what}`,
        () => count().REJECT > before.REJECT || count().IGNORE > before.IGNORE,
        5000,
        () => "",
      )
        .then(() => true)
        .catch(() => false);
      if (!decided) return { verdict: "no REJECT", bytes };
      if (count().REJECT > before.REJECT) return { verdict: "REJECT", bytes };
      seen.push(`attempt ${attempt + 1}: IGNORE (late)`);
    }
    throw new Error(`${what}: IGNOREd as late in three attempts (${seen.join("; ")})`);
  }

  it("rejects a block whose seal does not verify and stores nothing", async () => {
    const reg = target.runtime.registry;
    const r = await verdictForFreshBlock(({ built }) => {
      const unsealed = withoutSeal(reg, built.header);
      const forged = withAuraSeal(reg, unsealed, sr25519Sign(devKeypair("Eve"), headerHash(unsealed)));
      return withHeader(target, built.block, forged);
    }, "a block sealed by Eve");
    assert.equal(r.verdict, "REJECT", "a block sealed by Eve was not REJECTed");
    assert.equal(await target.chain.hasBlock(headerHash(target.adapter.blockHeader(r.bytes))), false, "stored");
  });

  it("rejects a block that does not execute (wrong state root, valid seal) and stores nothing", async () => {
    const reg = target.runtime.registry;
    const r = await verdictForFreshBlock(({ built, author }) => {
      const unsealed = withoutSeal(reg, built.header);
      const bad = reg.createType("Header", {
        parentHash: unsealed.parentHash,
        number: unsealed.number,
        stateRoot: new Uint8Array(32).fill(0xab),
        extrinsicsRoot: unsealed.extrinsicsRoot,
        digest: unsealed.digest,
      }) as unknown as Header;
      return withHeader(target, built.block, withAuraSeal(reg, bad, sr25519Sign(author, headerHash(bad))));
    }, "a block with a wrong state root");
    assert.equal(r.verdict, "REJECT", "a block with a wrong state root was not REJECTed");
    assert.equal(await target.chain.hasBlock(headerHash(target.adapter.blockHeader(r.bytes))), false, "stored");
    // Control: an untampered block is imported (so the REJECTs above are the tampering's). Evidence is the block
    // in the database (the ACCEPT counter also counts the honest collators' announcements); a control that turned
    // late and was IGNOREd is retried with a newer block.
    const tries: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const { built } = await freshBlock(target);
      await (await newAttacker()).gossip.publish(blockTopic, built.block);
      const stored = await waitFor(
        "the untampered block to be stored",
        () => target.chain.hasBlock(built.hash),
        5000,
        () => "",
      )
        .then(() => true)
        .catch(() => false);
      if (stored) return;
      tries.push(
        `attempt ${attempt + 1}: not stored (best #${target.best.number}, finalized #${target.finalized.number})`,
      );
    }
    assert.fail(`the untampered control block was never imported: ${tries.join("; ")}`);
  });

  it("rejects a transfer with a bad signature and keeps it out of the pool", async () => {
    const rt = target.runtime;
    const call = makeCall(rt.registry, "balances", "transferKeepAlive", [
      { Id: devKeypair("Eve").publicKey },
      10n ** 12n,
    ]);
    const tx = signExtrinsic(rt.registry, call, devKeypair("Charlie"), {
      nonce: 0,
      genesisHash: target.genesisHash,
      specVersion: rt.version.specVersion,
      transactionVersion: rt.version.transactionVersion,
    });
    // v4 signed layout: compact length (2 bytes here), 0x84, address (0x00 + 32 bytes), signature type 0x01,
    // then the 64 signature bytes from offset 37: flip one of them.
    const bad = tx.slice();
    bad[45] = (bad[45] ?? 0) ^ 0xff;
    await expectReject(txTopic, bad, "a transfer with a bad signature");
    assert.equal(target.pool.get(blake2_256(bad)), undefined, "the badly signed transfer is in the pool");
    // The same transfer, correctly signed, is accepted (the check is the signature, not the transfer).
    await target.submitTransaction(tx);
    assert.ok(target.pool.get(blake2_256(tx)), "the valid transfer is not in the pool");
  });

  it("rejects garbage on the para topics and answers garbage requests with an error", async () => {
    const garbage = [
      new Uint8Array(0),
      Uint8Array.of(0xff),
      new Uint8Array(100).fill(7),
      new Uint8Array(5000).fill(0x42),
    ];
    // Two bad messages per topic from each peer: three would graylist it (its later messages dropped unseen).
    let a = await newAttacker();
    for (const [i, g] of garbage.entries()) {
      if (i === 2) a = await newAttacker();
      await expectReject(blockTopic, Uint8Array.of(...g, i), `${g.length + 1} garbage bytes as a block`, a);
      await expectReject(txTopic, Uint8Array.of(...g, i, 1), `${g.length + 2} garbage bytes as a transaction`, a);
    }
    // Over the topic limit (4 MiB - 64 KiB for blocks is above the attacker's 2 MiB; the tx topic takes 64 KiB).
    await expectReject(txTopic, new Uint8Array(100 * 1024).fill(1), "a 100 KiB transaction");
    for (const req of [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(16).fill(0xff)]) {
      await assert.rejects(
        attacker.reqresp.request(target.network.peerId, PARA_PROTOCOLS.blocks, req, { timeoutMs: 3000 }),
        (e: Error & { code?: string }) =>
          ["REMOTE_ERROR", "INVALID_REQUEST", "REQUEST_TOO_LARGE"].includes(e.code ?? ""),
        `a garbage blocks-by-range request of ${req.length} bytes was not answered with an error`,
      );
    }
    // The last sender's score drops (gossipsub refreshes scores periodically).
    await waitFor(
      "the attacker's score to drop below 0 after its REJECTed messages",
      () => target.network.peerScore(attacker.peerId) < 0,
      5000,
      () => `score ${target.network.peerScore(attacker.peerId)}`,
    );
  });

  it("answers garbage and unknown requests on its collator protocols with an error", async () => {
    const relayPeer = await createNetwork({
      listen: ["/ip4/127.0.0.1/tcp/0"],
      bootnodes: [tcp(target.relay.network.listenAddrs())],
      nodeKey: generateNodeKey(),
      genesisHash: target.relay.genesisHash,
    });
    attackers.push(relayPeer);
    await relayPeer.start();
    await waitFor(
      "a connection to the target's relay node",
      () => relayPeer.peers().includes(target.relay.network.peerId),
      10_000,
      () => `peers ${relayPeer.peers().length}`,
    );
    const unknownFetch = registry
      .createType("CollationFetchRequest", {
        relayParent: new Uint8Array(32).fill(1),
        candidateHash: new Uint8Array(32).fill(2),
      })
      .toU8a();
    const forgedSeconded = registry
      .createType("StatementMessage", {
        relayParent: new Uint8Array(32).fill(1),
        statement: {
          payload: { Seconded: new Uint8Array(32).fill(2) },
          validatorIndex: 0,
          signature: new Uint8Array(64).fill(3),
        },
        candidate: null,
        pvd: null,
      })
      .toU8a();
    const cases: Array<[string, Uint8Array, string]> = [
      [RELAY_PROTOCOLS.fetchCollation, new Uint8Array(0), "an empty fetch"],
      [RELAY_PROTOCOLS.fetchCollation, Uint8Array.of(1, 2, 3), "a 3-byte fetch"],
      [RELAY_PROTOCOLS.fetchCollation, unknownFetch, "a fetch of an unknown candidate"],
      [RELAY_PROTOCOLS.collationSeconded, new Uint8Array(10).fill(0xff), "a garbage seconded notice"],
      [RELAY_PROTOCOLS.collationSeconded, forgedSeconded, "a seconded notice with a bad signature"],
    ];
    for (const [protocol, req, what] of cases)
      await assert.rejects(
        relayPeer.reqresp.request(target.relay.network.peerId, protocol, req, { timeoutMs: 3000 }),
        (e: Error & { code?: string }) =>
          ["REMOTE_ERROR", "INVALID_REQUEST", "REQUEST_TOO_LARGE"].includes(e.code ?? ""),
        `${what} was not answered with an error`,
      );
  });

  it("keeps producing parablocks after all of it", async () => {
    const from = target.best.number;
    await waitFor(
      "two more parablocks on the target",
      () => target.best.number >= from + 2,
      10 * SLOT_MS,
      () => `para best #${target.best.number} (was #${from})`,
    );
  });
});
