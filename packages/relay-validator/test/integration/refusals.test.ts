import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { topicName } from "@parapipe/network";
import { cryptoReady, devKeypair, scaleBytes, sr25519Sign } from "@parapipe/primitives";
import { relay } from "@parapipe/runtime";
import { encode } from "../../src/messages.js";
import { invalidStatementPayload, TOPICS } from "../../src/node.js";
import { relaySpec, startRelayValidators, type TestRelayNetwork, waitFor } from "../utils/network.js";
import { testParaGenesis, testParaRuntime } from "../utils/para.js";
import { type CollatorFault, TestCollator } from "../utils/testCollator.js";

const SLOT_MS = 1000;
const VALIDATORS = ["Alice", "Bob", "Charlie", "Dave"];

/**
 * Invalid collations are refused with their reason and never backed, while the honest pipeline keeps
 * working; a validator signing for and against one candidate is caught.
 */
describe("refused collations and double votes (4 validators, test collator)", () => {
  let net: TestRelayNetwork;
  let collator: TestCollator;
  const sum = (f: (s: (typeof net.nodes)[number]["stats"]) => number) => net.nodes.reduce((a, n) => a + f(n.stats), 0);
  const observe = () =>
    `relay #${net.nodes[0]!.best.number}; collator submitted ${collator.submitted}, accepted ${collator.accepted}; ` +
    net.nodes.map((n) => `${n.stats.backed}b/${n.stats.invalidCollations}x "${n.stats.lastRefusal ?? ""}"`).join(" ");

  before(async () => {
    await cryptoReady();
    const prt = testParaRuntime("async", SLOT_MS);
    const pg = testParaGenesis();
    const g = prt.genesis(pg);
    const spec = relaySpec({
      validators: VALIDATORS,
      slotMs: SLOT_MS,
      mode: "async",
      para: { id: 2000, genesisHead: g.header, code: prt.code },
    });
    net = await startRelayValidators(spec, VALIDATORS);
    const bootnode = net.nodes[0]!.network.listenAddrs().find((a) => a.includes("/tcp/") && !a.includes("/ws"))!;
    collator = await TestCollator.start({ relaySpec: spec, bootnode, runtime: prt, genesis: pg });
    await waitFor(
      "the pipeline to include parablocks",
      async () => ((await collator.includedHead())?.number ?? 0) >= 2,
      40 * SLOT_MS,
      observe,
    );
  });
  after(async () => {
    await collator?.close();
    await net?.close();
  });

  const cases: Array<[CollatorFault, RegExp]> = [
    ["badPov", /PVF: WITNESS_|PVF: /],
    ["badSignature", /bad collator signature/],
    ["oversizedPov", /over the limit/],
    ["oldRelayParent", /relay parent out of scope/],
  ];
  for (const [fault, reason] of cases) {
    it(`refuses a collation with ${fault} and never backs it`, async () => {
      collator.fault = fault;
      // Candidates advertised before the switch may still be backed: let them settle first.
      await new Promise((r) => setTimeout(r, 2 * SLOT_MS));
      const backed0 = sum((s) => s.backed);
      const refused0 = sum((s) => s.invalidCollations);
      const submitted0 = collator.submitted;
      await waitFor(
        `refusals of ${fault} collations`,
        () => collator.submitted >= submitted0 + 2 && sum((s) => s.invalidCollations) >= refused0 + 2,
        15 * SLOT_MS,
        observe,
      );
      assert.equal(
        sum((s) => s.backed),
        backed0,
        `a ${fault} candidate was backed: ${observe()}`,
      );
      assert.ok(
        net.nodes.some((n) => reason.test(n.stats.lastRefusal ?? "")),
        `refusal reason for ${fault}: ${observe()}`,
      );
      collator.fault = "none";
      // The honest collator is backed again.
      await waitFor("backing to resume", () => sum((s) => s.backed) > backed0, 15 * SLOT_MS, observe);
    });
  }

  it("catches a validator that signs Seconded and Invalid for one candidate", async () => {
    const seconded0 = net.nodes[0]!.stats.seconded;
    await waitFor(
      "a candidate seconded by Alice",
      () => net.nodes[0]!.stats.seconded > seconded0 && collator.lastAccepted !== undefined,
      10 * SLOT_MS,
      observe,
    );
    const { hash, relayParent } = collator.lastAccepted!;
    // Alice (validator 0, the one the collator advertises to) seconded it; now she also votes it invalid.
    const signature = sr25519Sign(
      devKeypair("Alice"),
      invalidStatementPayload(hash, { sessionIndex: 0, parentHash: relayParent }),
    );
    const msg = encode("StatementMessage", {
      relayParent,
      statement: { payload: { Invalid: hash }, validatorIndex: 0, signature },
      candidate: null,
      pvd: null,
    });
    void scaleBytes;
    void relay;
    const topic = topicName(net.nodes[0]!.genesisHash, "relay", TOPICS.statement);
    const sent = await collator.node.network.gossip.publish(topic, msg);
    await waitFor(
      "the double vote to be caught",
      () => net.nodes.some((n) => n.stats.misbehaviours > 0),
      5 * SLOT_MS,
      () =>
        `sent to ${sent} peers; misbehaviours ${net.nodes.map((n) => n.stats.misbehaviours)}; verdicts at Alice ${JSON.stringify(net.nodes[0]!.network.gossip.verdictCounts()[topic])}`,
    );
  });
});
