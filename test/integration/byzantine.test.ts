/**
 * Issue 7's fault-suite claims about byzantine nodes, in-process on loopback (4 relay validators, 1 s relay
 * slots, the honest collator Alice as the para's only Aura authority):
 * - invalid collations of every kind (bad state root, missing witness node, wrong parent, oversized PoV), from a
 *   collator holding Alice's Aura key: refused by the validators for that very reason, never backed nor
 *   included, while the honest collator keeps the para at 0.9 parablocks per relay block or more;
 * - a validator seconding invalid candidates: caught by every honest validator (counted, logged with its index,
 *   its gossip score below zero), the candidate never backed on its word alone;
 * - a validator double voting (Seconded/Valid and Invalid on one candidate): caught the same way.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ByzantineCollationKind, CollatorNode } from "@parapipe/collator";
import { holdMachine, type ParaNodeHandle, startNetwork, type TestNetwork } from "@parapipe/harness";
import { blake2_256, cryptoReady, devKeypair, toHex } from "@parapipe/primitives";
import type { RelayValidatorNode } from "@parapipe/relay-validator";
import { devChainSpecs } from "@parapipe/runtime";

const SLOT_MS = 1000;
/** Relay blocks per byzantine collation kind: 4 × 12 = 48 relay blocks of throughput measurement. */
const WINDOW = 12;

/** Each kind and the refusal reason (`RelayValidatorNode.refusals` key) validators must give. */
const KINDS: Array<[ByzantineCollationKind, string]> = [
  ["badStateRoot", "PVF: STATE_ROOT_MISMATCH"],
  ["missingWitness", "PVF: WITNESS_INCOMPLETE"],
  ["wrongParent", "PVF: PARENT_HEAD_MISMATCH"],
  ["oversizedPov", "PoV over the limit"],
];

// CPU-bound claims on 2 cores: never beside another such file (see `holdMachine`).
await holdMachine("byzantine.test");

describe("byzantine collator and validators (4 validators, honest collator Alice)", { timeout: 240_000 }, () => {
  let net: TestNetwork;
  let honest: CollatorNode;
  let byzHandle: ParaNodeHandle;
  let byz: CollatorNode;
  const validators = () => net.validators.map((v) => v.node!);
  /** Candidate hashes some relay block backed or included (every block's author reports its own). */
  const backed = new Set<`0x${string}`>();
  const included = new Set<`0x${string}`>();

  /** The para head number `Paras.Heads` holds at a relay block of validator `v`, and its hash. */
  async function includedAt(v: RelayValidatorNode, relayHash: Uint8Array): Promise<{ number: number; hash: string }> {
    const info = await v.chain.blockInfo(relayHash);
    const head = await v.chain.withState((s) => v.runtime.paraHead(s, info!.stateRoot, net.paraId));
    if (!head.ok || !head.value) throw new Error("no para head");
    const number = (
      honest.runtime.registry.createType("Header", head.value) as unknown as { number: { toNumber(): number } }
    ).number.toNumber();
    return { number, hash: toHex(blake2_256(head.value)) };
  }

  const refused = (reason: string) => validators().reduce((a, v) => a + (v.refusals[reason] ?? 0), 0);
  const observe = () =>
    `relay #${validators()[0]!.best.number}; honest ${JSON.stringify({ ...honest.stats, skipped: undefined })}; ` +
    `byzantine ${byz?.stats.byzantineCollations ?? 0} collations, skipped ${JSON.stringify(byz?.stats.skipped ?? {})}; ` +
    validators()
      .map((v, i) => `v${i}: ${v.stats.backed}b ${JSON.stringify(v.refusals)} last "${v.stats.lastRefusal ?? ""}"`)
      .join("; ");

  before(async () => {
    await cryptoReady();
    // Alice is the para's only Aura authority: she authors every slot, and a key-holding byzantine node too.
    const specs = devChainSpecs({ mode: "async", relaySlotMs: SLOT_MS, collators: ["Alice"], variant: "byzantine" });
    net = await startNetwork({ mode: "async", relaySlotMs: SLOT_MS, validators: 4, collators: ["Alice"], specs });
    honest = net.collators[0]!.node!;
    for (const v of validators())
      v.onAuthored((r) => {
        for (const h of r.backed) backed.add(toHex(h));
        for (const h of r.included) included.add(toHex(h));
      });
    await net.waitFor.paraIncluded(3);
    // Bob's collator key signs the byzantine collations; Alice's (compromised) Aura key seals its blocks.
    byzHandle = await net.addParaNode({ collator: "Bob", byzantine: { kind: "badStateRoot", auraKey: "Alice" } });
    byz = byzHandle.node!;
  });
  after(() => net?.close());

  it(`refuses invalid collations of every kind for their reason, never backs them, and includes >= 0.9 parablocks per relay block over ${KINDS.length * WINDOW} relay blocks`, async () => {
    const v0 = validators()[0]!;
    const startRelay = v0.best;
    const start = await includedAt(v0, startRelay.hash);
    const perKind: string[] = [];
    for (const [kind, reason] of KINDS) {
      byz.setByzantine({ kind, auraKey: devKeypair("Alice") });
      const refused0 = refused(reason);
      const made0 = byz.stats.byzantineCollations ?? 0;
      const from = v0.best.number;
      await net.waitFor.condition(
        `${WINDOW} relay blocks of ${kind} collations`,
        () => ({ done: v0.best.number >= from + WINDOW, observed: observe() }),
        { timeoutMs: (WINDOW + 15) * SLOT_MS },
      );
      const made = (byz.stats.byzantineCollations ?? 0) - made0;
      const refusedNow = refused(reason) - refused0;
      perKind.push(`${kind}: ${made} advertised, ${refusedNow} refused "${reason}"`);
      assert.ok(made >= 2, `${kind}: the byzantine collator advertised ${made} collations; ${observe()}`);
      assert.ok(refusedNow >= 2, `${kind}: ${refusedNow} refusals "${reason}" for ${made} collations; ${observe()}`);
    }
    byz.setByzantine(undefined);
    const endRelay = v0.best;
    const end = await includedAt(v0, endRelay.hash);
    const bad = byz.byzantineCollations();
    const badCandidates = new Set<string>(bad.map((b) => toHex(b.candidateHash)));
    const badHeads = new Set<string>(bad.map((b) => toHex(b.headHash)));
    assert.deepEqual(
      [...backed].filter((h) => badCandidates.has(h)),
      [],
      `byzantine candidates backed; ${perKind.join("; ")}`,
    );
    assert.deepEqual(
      [...included].filter((h) => badCandidates.has(h)),
      [],
      "byzantine candidates included",
    );
    // Every para head the relay chain included in the window is the honest collator's block at that height.
    for (let n = startRelay.number; n <= endRelay.number; n++) {
      const head = await includedAt(v0, (await v0.chain.canonicalHash(n))!);
      assert.ok(!badHeads.has(head.hash), `relay #${n} included a byzantine head #${head.number}`);
      const ours = await honest.chain.canonicalHash(head.number);
      assert.equal(head.hash, toHex(ours ?? new Uint8Array()), `relay #${n}: para head #${head.number} is not Alice's`);
    }
    const rate = (end.number - start.number) / (endRelay.number - startRelay.number);
    assert.ok(
      rate >= 0.9,
      `${rate.toFixed(2)} parablocks per relay block over relay #${startRelay.number}..#${endRelay.number} (para #${start.number} -> #${end.number}), expected >= 0.9; ${perKind.join("; ")}; ${observe()}`,
    );
  });

  /** Waits until every honest validator caught `index` with `offence` and scores its peer below `below(i)`. */
  async function waitCaught(index: number, offence: string, below: (honestIndex: number) => number) {
    const culprit = net.validators[index]!;
    const honestOnes = net.validators.filter((_, i) => i !== index);
    const state = () =>
      honestOnes.map((h) => {
        const n = h.node!;
        const caught = [...n.misbehaving].find(([i]) => i === index);
        const logged = h
          .logTail(5000)
          .some((l) => l.includes(`"offence":"${offence}"`) && l.includes(`"validator":${index},`));
        return { caught: caught !== undefined, logged, score: n.network.peerScore(culprit.peerId) };
      });
    await net.waitFor.condition(
      `validator ${index} caught (${offence}) by every honest validator`,
      () => {
        const s = state();
        return {
          done: s.every((x, i) => x.caught && x.logged && x.score < below(i)),
          observed: `${JSON.stringify(s)}; misbehaviours ${validators().map((v) => v.stats.misbehaviours)}; culprit byzantine votes ${culprit.node!.stats.byzantineVotes ?? 0}`,
        };
      },
      { timeoutMs: 20 * SLOT_MS },
    );
  }

  it("catches a validator seconding invalid collations, and never backs them on its word", async () => {
    const dave = net.validators[3]!.node!;
    byz.setByzantine({ kind: "badStateRoot", auraKey: devKeypair("Alice") });
    dave.setByzantine("secondInvalid");
    const made0 = byz.stats.byzantineCollations ?? 0;
    try {
      await waitCaught(3, "VotedForInvalid", () => 0);
    } finally {
      dave.setByzantine(undefined);
      byz.setByzantine(undefined);
    }
    assert.ok((dave.stats.byzantineVotes ?? 0) >= 1, `Dave vouched for no invalid candidate; ${observe()}`);
    const badCandidates = new Set<string>(
      byz
        .byzantineCollations()
        .slice(-((byz.stats.byzantineCollations ?? 0) - made0 || 1))
        .map((b) => toHex(b.candidateHash)),
    );
    assert.deepEqual(
      [...backed].filter((h) => badCandidates.has(h)),
      [],
      "an invalid candidate Dave seconded was backed",
    );
    assert.deepEqual(
      [...included].filter((h) => badCandidates.has(h)),
      [],
      "an invalid candidate Dave seconded was included",
    );
  });

  it("catches a validator double voting", async () => {
    const charlie = net.validators[2]!.node!;
    charlie.setByzantine("doubleVote");
    try {
      await waitCaught(2, "DoubleVote", () => 0);
    } finally {
      charlie.setByzantine(undefined);
    }
    assert.ok((charlie.stats.byzantineVotes ?? 0) >= 1, `Charlie signed no Invalid statement; ${observe()}`);
    void byzHandle;
  });
});
