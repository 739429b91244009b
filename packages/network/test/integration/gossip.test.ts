import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { GossipPublishError, GossipValidationError, type Network, OVERSIZE_CODE, topicName } from "../../src/index.js";
import { startNodes, stopAll, TEST_GENESIS, type TestNode, waitFor } from "../utils/index.js";

const BLOCK = topicName(TEST_GENESIS, "relay", "block");
const BIG = topicName(TEST_GENESIS, "relay", "statement");
const FRAGILE = topicName(TEST_GENESIS, "relay", "bitfield");

/** The test message format: 0x01 magic, a one-byte key, then a body. */
interface TestMessage {
  key: number;
  body: string;
}
const msg = (key: number, body: string) => new Uint8Array([1, key, ...new TextEncoder().encode(body)]);

interface NodeState {
  delivered: { value: TestMessage; from: string }[];
  seen: Set<number>;
  validateCalls: Map<string, number>;
}

function validator(state: NodeState, topic: string) {
  return (bytes: Uint8Array): TestMessage => {
    state.validateCalls.set(topic, (state.validateCalls.get(topic) ?? 0) + 1);
    // [REJECT] The message starts with the 0x01 magic byte and carries a key.
    if (bytes[0] !== 1 || bytes.length < 2) throw new GossipValidationError("REJECT", { code: "BAD_MAGIC" });
    const key = bytes[1] as number;
    // [IGNORE] A message with this key was already accepted (a re-broadcast with different bytes).
    if (state.seen.has(key)) throw new GossipValidationError("IGNORE", { code: "DUPLICATE", key });
    state.seen.add(key);
    return { key, body: new TextDecoder().decode(bytes.subarray(2)) };
  };
}

describe("gossip between three nodes (star through node 0)", () => {
  const registry: Network[] = [];
  const states: NodeState[] = [];
  let nodes: TestNode[];
  const count = (i: number, topic: string) =>
    (nodes[i] as TestNode).net.gossip.verdictCounts()[topic] ?? { ACCEPT: 0, IGNORE: 0, REJECT: 0, handlerErrors: 0 };
  const node = (i: number) => (nodes[i] as TestNode).net;
  const state = (i: number) => states[i] as NodeState;

  before(async () => {
    nodes = await startNodes(3, registry, {
      keyBase: 100,
      setup: (net, i) => {
        const s: NodeState = { delivered: [], seen: new Set(), validateCalls: new Map() };
        states[i] = s;
        const handle = (value: TestMessage, from: string) => {
          s.delivered.push({ value, from });
        };
        net.gossip.subscribe({ topic: BLOCK, maxBytes: 1024, validate: validator(s, BLOCK), handle });
        // Node 2 misconfigured (or malicious): it allows itself 64 KiB on a topic the others cap at 1 KiB.
        net.gossip.subscribe({ topic: BIG, maxBytes: i === 2 ? 65536 : 1024, validate: validator(s, BIG), handle });
        net.gossip.subscribe({
          topic: FRAGILE,
          maxBytes: 1024,
          validate: validator(s, FRAGILE),
          handle: (value) => {
            if (value.body === "explode") throw new Error("handler bug");
            s.delivered.push({ value, from: "" });
          },
        });
      },
    });
    // Node 0 must have both leaves in its mesh so that it forwards between them.
    for (const topic of [BLOCK, BIG, FRAGILE]) {
      await waitFor(() => node(0).gossip.meshPeers(topic).length === 2, `node 0 mesh on ${topic}`);
      await waitFor(() => node(1).gossip.topicPeers(topic).length === 1, `node 1 sees node 0 on ${topic}`);
      await waitFor(() => node(2).gossip.topicPeers(topic).length === 1, `node 2 sees node 0 on ${topic}`);
    }
  });

  after(() => stopAll(registry));

  test("a message published by a leaf is delivered to every other node, relayed by the hub", async () => {
    const sent = await node(1).gossip.publish(BLOCK, msg(1, "hello"));
    assert.equal(sent, 1, "a leaf is connected to the hub only");
    await waitFor(
      () => state(0).delivered.length === 1 && state(2).delivered.length === 1,
      "delivery to nodes 0 and 2",
    );
    assert.deepEqual(state(2).delivered[0], { value: { key: 1, body: "hello" }, from: node(0).peerId });
    assert.equal(state(0).delivered[0]?.from, node(1).peerId);
    assert.equal(state(1).delivered.length, 0, "no echo to the publisher");
    assert.equal(count(0, BLOCK).ACCEPT, 1);
    assert.equal(count(2, BLOCK).ACCEPT, 1);

    assert.equal(await node(0).gossip.publish(BLOCK, msg(2, "from hub")), 2);
    await waitFor(() => state(1).delivered.length === 1 && state(2).delivered.length === 2, "hub message delivered");
    assert.equal(await node(0).gossip.publish(BLOCK, msg(2, "from hub")), 0, "identical bytes are a duplicate");
  });

  test("malformed bytes are REJECTed: not delivered, not forwarded, counted, and the sender's score drops", async () => {
    const before0 = state(0).delivered.length;
    const before2 = state(2).delivered.length;
    const scoreBefore = node(0).peerScore(node(1).peerId);
    await node(1).gossip.publish(BLOCK, new Uint8Array([9, 9, 9]));
    await waitFor(() => count(0, BLOCK).REJECT === 1, "REJECT counted at the hub");
    await waitFor(() => node(0).peerScore(node(1).peerId) < 0, "sender score negative at the hub");
    assert.ok(node(0).peerScore(node(1).peerId) < scoreBefore);
    assert.equal(
      nodes[0]?.metrics.verdicts.filter((v) => v.topic === BLOCK && v.verdict === "REJECT" && v.code === "BAD_MAGIC")
        .length,
      1,
      "the REJECT reaches the metrics with its code",
    );
    // A valid message published after the bad one arrives at node 2 behind it on the same path; if the bad
    // one had been forwarded, node 2 would have validated (and counted) it first.
    await node(1).gossip.publish(BLOCK, msg(3, "after"));
    await waitFor(() => state(2).delivered.length === before2 + 1, "the next valid message reaches node 2");
    assert.equal(count(2, BLOCK).REJECT, 0, "the malformed message was not forwarded");
    assert.equal(state(0).delivered.length, before0 + 1, "only the valid message was handled at the hub");
    assert.ok(node(2).peerScore(node(0).peerId) >= 0, "the hub is not penalised by node 2");
  });

  test("a message above the topic's maxBytes is REJECTed before validation", async () => {
    const calls = state(0).validateCalls.get(BIG) ?? 0;
    const sent = await node(2).gossip.publish(BIG, msg(10, "x".repeat(2000)));
    assert.equal(sent, 1);
    await waitFor(() => count(0, BIG).REJECT === 1, "oversize REJECT at the hub");
    assert.equal(state(0).validateCalls.get(BIG) ?? 0, calls, "validate never saw the oversized message");
    assert.ok(nodes[0]?.metrics.verdicts.some((v) => v.topic === BIG && v.code === OVERSIZE_CODE));
    await waitFor(() => node(0).peerScore(node(2).peerId) < 0, "oversize sender penalised");
    assert.equal(count(1, BIG).REJECT + count(1, BIG).ACCEPT, 0, "not forwarded to node 1");
  });

  test("a duplicate (same key, other bytes) is IGNOREd: not delivered, not forwarded, no penalty", async () => {
    const scoreBefore = node(0).peerScore(node(1).peerId);
    const d0 = state(0).delivered.length;
    const d2 = state(2).delivered.length;
    await node(1).gossip.publish(BLOCK, msg(20, "first"));
    await waitFor(() => state(2).delivered.length === d2 + 1, "first copy delivered to node 2");
    await node(1).gossip.publish(BLOCK, msg(20, "second"));
    await waitFor(() => count(0, BLOCK).IGNORE === 1, "IGNORE counted at the hub");
    // A marker published afterwards proves node 2 would have seen the duplicate by now had it been forwarded.
    await node(1).gossip.publish(BLOCK, msg(21, "marker"));
    await waitFor(() => state(2).delivered.length === d2 + 2, "marker delivered to node 2");
    assert.equal(count(2, BLOCK).IGNORE, 0, "the duplicate was not forwarded");
    assert.deepEqual(
      state(0)
        .delivered.slice(d0)
        .map((d) => d.value.body),
      ["first", "marker"],
    );
    assert.ok(node(0).peerScore(node(1).peerId) >= scoreBefore - 1e-6, "IGNORE does not lower the score");
  });

  test("publishing above maxBytes is refused locally with MESSAGE_TOO_LARGE", async () => {
    await assert.rejects(
      node(1).gossip.publish(BLOCK, new Uint8Array(1025)),
      (err: unknown) =>
        err instanceof GossipPublishError &&
        err.code === "MESSAGE_TOO_LARGE" &&
        err.type.code === "MESSAGE_TOO_LARGE" &&
        err.type.maxBytes === 1024 &&
        err.type.size === 1025,
    );
  });

  test("a throwing handler is counted and logged; the node keeps handling messages", async () => {
    await node(1).gossip.publish(FRAGILE, msg(30, "explode"));
    await waitFor(() => count(0, FRAGILE).handlerErrors === 1, "handler error counted at the hub");
    assert.equal(count(0, FRAGILE).ACCEPT, 1, "the message itself was valid");
    assert.deepEqual(nodes[0]?.metrics.handlerErrors, [FRAGILE]);
    await node(1).gossip.publish(FRAGILE, msg(31, "fine"));
    await waitFor(() => state(0).delivered.some((d) => d.value.key === 31), "next message handled");
  });
});
