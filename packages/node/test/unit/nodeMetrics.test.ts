import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { topicName } from "@parapipe/network";
import { cryptoReady } from "@parapipe/primitives";
import { BlockImporter } from "../../src/chain/importer.js";
import { createNodeMetrics, SLOT_BUCKETS, shortProtocolName } from "../../src/nodeMetrics.js";
import { createMetricsRegistry, registerSubstrateMetrics } from "../../src/prometheus.js";
import { openNode, paraWorld, produce, tempDirs } from "./helpers.js";

const GENESIS = `0x1a2b3c4d${"00".repeat(28)}`;

/** The sample lines of a metric (`name{...} value`), from the text exposition. */
function samples(text: string, name: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe("createNodeMetrics", () => {
  const tmp = tempDirs();
  before(cryptoReady);
  after(() => tmp.cleanup());

  it("exports every reported metric under its name, with the chain label", async () => {
    const registry = createMetricsRegistry("rococo_local_testnet");
    const m = createNodeMetrics(registry);
    m.chain.blockHeight.set({ status: "best" }, 7);
    m.chain.blockHeight.set({ status: "finalized" }, 5);
    m.chain.blockImports.inc({ origin: "network", result: "imported" });
    m.chain.blockImportSeconds.observe(0.02);
    m.chain.reorgs.inc();
    m.finality.votes.inc({ outcome: "counted" });
    m.txPool.readyTransactions.set(3);
    m.txPool.futureTransactions.set(1);
    m.txPool.submissions.inc({ outcome: "ready" });
    m.network.gossipVerdict?.(topicName(GENESIS, "relay", "block"), "ACCEPT");
    m.network.gossipVerdict?.(topicName(GENESIS, "relay", "statement"), "REJECT", "BAD_SIGNATURE");
    m.network.gossipHandlerError?.(topicName(GENESIS, "relay", "statement"));
    m.network.reqresp?.("/parapipe/1a2b3c4d/blocks/1", "ok");
    m.network.reqrespOutbound?.("/parapipe/1a2b3c4d/collation-advertise/1", "timeout");
    m.network.peers?.(4);
    const text = await registry.metrics();

    const chain = 'chain="rococo_local_testnet"';
    const expect = (name: string, ...parts: string[]) => {
      const lines = samples(text, name);
      assert.ok(
        lines.some((l) => l.includes(chain) && parts.every((p) => l.includes(p))),
        `${name} with ${parts.join(", ")}: ${lines.join(" | ") || "absent"}`,
      );
    };
    expect("substrate_block_height", 'status="best"', " 7");
    expect("substrate_block_height", 'status="finalized"', " 5");
    expect("parapipe_block_import_total", 'origin="network"', 'result="imported"', " 1");
    expect("parapipe_block_import_seconds_bucket", 'le="0.025"', " 1");
    expect("parapipe_block_import_seconds_count", " 1");
    expect("parapipe_chain_reorgs_total", " 1");
    expect("parapipe_finality_votes_total", 'outcome="counted"', " 1");
    expect("substrate_ready_transactions_number", " 3");
    expect("parapipe_txpool_future_transactions", " 1");
    expect("parapipe_txpool_submissions_total", 'outcome="ready"', " 1");
    expect("parapipe_gossip_messages_total", 'topic="relay/block"', 'verdict="accept"', " 1");
    expect("parapipe_gossip_messages_total", 'topic="relay/statement"', 'verdict="reject"', " 1");
    expect("parapipe_gossip_handler_errors_total", 'topic="relay/statement"', " 1");
    expect("parapipe_reqresp_requests_total", 'protocol="blocks/1"', 'direction="inbound"', 'outcome="ok"');
    expect(
      "parapipe_reqresp_requests_total",
      'protocol="collation-advertise/1"',
      'direction="outbound"',
      'outcome="timeout"',
    );
    expect("substrate_sub_libp2p_peers_count", " 4");
    // No label value carries a genesis prefix.
    assert.ok(!text.includes("1a2b3c4d"));
  });

  it("leaves the Substrate names it pushes to itself: registerSubstrateMetrics adds only the others", async () => {
    const registry = createMetricsRegistry("local");
    const m = createNodeMetrics(registry);
    m.chain.blockHeight.set({ status: "best" }, 9);
    registerSubstrateMetrics(registry, {
      best: () => 1000,
      finalized: () => 1000,
      peers: () => 1000,
      readyTransactions: () => 1000,
      roles: () => 4,
      startTimeSeconds: 1_700_000_000,
      version: "0.1.0",
      name: "alice",
    });
    const text = await registry.metrics();
    assert.ok(samples(text, "substrate_block_height").some((l) => l.includes('status="best"') && l.endsWith(" 9")));
    assert.ok(!text.includes(" 1000"), "the reads did not replace the pushed metrics");
    assert.equal(samples(text, "substrate_node_roles").length, 1);
    assert.equal(samples(text, "substrate_build_info").length, 1);
    // A second set in the same registry is refused by prom-client: one owner per name.
    assert.throws(() => createNodeMetrics(registry), /already been registered/);
  });

  it("the importer reports imports, import time and heights to them", async () => {
    const registry = createMetricsRegistry("parapipe-test");
    const m = createNodeMetrics(registry);
    const world = paraWorld();
    const node = await openNode(world, await tmp.make());
    const importer = new BlockImporter({}, { chain: node.chain, runtime: world.chainRuntime, metrics: m.chain });
    try {
      const blocks = produce(world.producer(), 100, 2);
      for (const b of blocks) assert.equal((await importer.import(b.block, "network")).status, "imported");
      assert.equal((await importer.import(blocks[0]!.block, "network")).status, "known");
      const text = await registry.metrics();
      assert.ok(
        samples(text, "parapipe_block_import_total").some((l) => l.includes('result="imported"') && l.endsWith(" 2")),
      );
      assert.ok(
        samples(text, "parapipe_block_import_total").some((l) => l.includes('result="known"') && l.endsWith(" 1")),
      );
      assert.ok(samples(text, "parapipe_block_import_seconds_count").some((l) => l.endsWith(" 2")));
      assert.ok(samples(text, "substrate_block_height").some((l) => l.includes('status="best"') && l.endsWith(" 2")));
    } finally {
      await importer.close();
      await node.close();
    }
  });

  it("shortProtocolName drops only the genesis namespace; buckets cover 5 ms to 30 s", () => {
    assert.equal(shortProtocolName(topicName(GENESIS, "para", "tx", GENESIS)), "para/tx");
    assert.equal(shortProtocolName("/parapipe/1a2b3c4d/pov/1"), "pov/1");
    assert.equal(shortProtocolName("/other/protocol"), "/other/protocol");
    assert.equal(SLOT_BUCKETS[0], 0.005);
    assert.equal(SLOT_BUCKETS[SLOT_BUCKETS.length - 1], 30);
  });
});
