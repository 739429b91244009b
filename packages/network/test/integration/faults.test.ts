import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  createNetwork,
  type Network,
  NetworkError,
  NetworkFaults,
  ReqRespError,
  type ReqRespErrorType,
  topicName,
} from "../../src/index.js";
import { startNodes, stopAll, TEST_GENESIS, type TestNode, testKey, waitFor } from "../utils/index.js";

const BLOCK = topicName(TEST_GENESIS, "relay", "block");
const TX = topicName(TEST_GENESIS, "relay", "tx");
const TOPICS = [BLOCK, TX];
const SEED = 4242;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

interface Delivery {
  topic: string;
  body: string;
  at: number;
}

function isReqRespError(code: ReqRespErrorType["code"]) {
  return (err: unknown) => {
    assert.ok(err instanceof ReqRespError, `expected a ReqRespError, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    return true;
  };
}

describe("fault injection on three real nodes (star through node 0)", () => {
  const registry: Network[] = [];
  const deliveries: Delivery[][] = [[], [], []];
  let nodes: TestNode[];
  const node = (i: number) => (nodes[i] as TestNode).net;
  const faults = (i: number) => {
    const f = node(i).faults;
    assert.ok(f, `node ${i} was created with faults`);
    return f;
  };
  const got = (i: number, topic: string) => (deliveries[i] as Delivery[]).filter((d) => d.topic === topic);
  /** Waits until node 0 meshes with both leaves on every topic (so it forwards between them). */
  const meshFormed = async () => {
    for (const topic of TOPICS) {
      await waitFor(() => node(0).gossip.meshPeers(topic).length === 2, `node 0 mesh on ${topic}`);
      for (const i of [1, 2])
        await waitFor(() => node(i).gossip.topicPeers(topic).includes(node(0).peerId), `node ${i} sees node 0`);
    }
  };

  before(async () => {
    nodes = await startNodes(3, registry, {
      keyBase: 700,
      options: (i) => ({ faults: { seed: SEED + i } }),
      setup: (net, i) => {
        for (const topic of TOPICS)
          net.gossip.subscribe({
            topic,
            maxBytes: 1024,
            validate: (bytes) => dec(bytes),
            handle: (body) => {
              (deliveries[i] as Delivery[]).push({ topic, body, at: Date.now() });
            },
          });
        for (const name of ["echo", "pov"])
          net.reqresp.register({
            name,
            maxRequestBytes: 1024,
            maxResponseBytes: 1024,
            timeoutMs: 2000,
            rateLimit: { requests: 1000, perMs: 1000 },
            handle: async (req) => enc(`${name}:${dec(req)}`),
          });
      },
    });
    await meshFormed();
  });

  after(() => stopAll(registry));

  test("faults are off unless asked for; an injected instance serves one network", async () => {
    const opts = (k: number) => ({ listen: [], nodeKey: testKey(790 + k), genesisHash: TEST_GENESIS });
    const plain = await createNetwork(opts(0));
    registry.push(plain);
    assert.equal(plain.faults, undefined);
    const injected = new NetworkFaults({ seed: 1 });
    const withInstance = await createNetwork(opts(1), { faults: injected });
    registry.push(withInstance);
    assert.equal(withInstance.faults, injected);
    await assert.rejects(
      createNetwork(opts(2), { faults: injected }),
      (err: unknown) => err instanceof NetworkError && err.code === "INVALID_OPTION",
    );
  });

  test("an isolated node loses its peers, refuses redials and gets no gossip; heal reconnects it in seconds", async () => {
    const leaf = node(2);
    faults(2).isolate();
    await waitFor(() => leaf.peers().length === 0, "node 2 has no peers", 3000);
    await waitFor(() => !node(0).peers().includes(leaf.peerId), "node 0 lost node 2", 3000);
    // Its bootnode (node 0) is KEEP_ALIVE: libp2p's reconnect queue keeps trying and the gater refuses it.
    await waitFor(() => faults(2).stats().connections.refusedDials > 0, "node 2 refused a redial", 3000);
    // Inbound is refused too.
    await assert.rejects(node(0).dial(nodes[2]?.addr as string), (err: unknown) => err instanceof NetworkError);
    await waitFor(() => faults(2).stats().connections.refusedInbound > 0, "node 2 refused node 0's dial", 3000);
    assert.ok(faults(2).stats().connections.closed >= 1);

    const before2 = got(2, BLOCK).length;
    await node(1).gossip.publish(BLOCK, enc("while-isolated"));
    await waitFor(() => got(0, BLOCK).some((d) => d.body === "while-isolated"), "node 0 got it");
    assert.equal(got(2, BLOCK).length, before2, "nothing reaches an isolated node");
    assert.deepEqual(leaf.peers(), []);

    const healedAt = Date.now();
    faults(2).heal();
    await waitFor(() => leaf.peers().includes(node(0).peerId), "node 2 reconnected to node 0", 5000);
    const reconnectMs = Date.now() - healedAt;
    assert.ok(reconnectMs < 5000, `reconnected ${reconnectMs} ms after heal`);
    if (process.env.LOG_LEVEL !== undefined) console.error(`node 2 reconnected ${reconnectMs} ms after heal`);
    await meshFormed();
    await node(1).gossip.publish(BLOCK, enc("after-heal"));
    await waitFor(() => got(2, BLOCK).some((d) => d.body === "after-heal"), "node 2 receives again after heal");
    assert.ok(!got(2, BLOCK).some((d) => d.body === "while-isolated"));
  });

  test("a link cut to one peer leaves the others up; requests over it fail with DIAL_FAILED", async () => {
    const hub = node(0);
    faults(0).isolate(node(1).peerId);
    await waitFor(() => !hub.peers().includes(node(1).peerId), "node 0 dropped node 1", 3000);
    assert.ok(hub.peers().includes(node(2).peerId), "node 2 is still connected");
    await assert.rejects(hub.reqresp.request(node(1).peerId, "echo", enc("x")), isReqRespError("DIAL_FAILED"));
    assert.equal(dec(await hub.reqresp.request(node(2).peerId, "echo", enc("y"))), "echo:y");
    faults(0).heal(node(1).peerId);
    await waitFor(() => hub.peers().includes(node(1).peerId), "node 0 and node 1 reconnected", 5000);
    assert.equal(dec(await hub.reqresp.request(node(1).peerId, "echo", enc("z"))), "echo:z");
    await meshFormed();
  });

  test("dropRate 1 on a topic delivers nothing on it while another topic flows, without verdicts", async () => {
    faults(2).dropRate("block", 1);
    const s0 = faults(2).stats().gossip[BLOCK] ?? { inbound: 0, droppedIn: 0 };
    const verdicts0 = node(2).gossip.verdictCounts()[BLOCK] ?? { ACCEPT: 0, IGNORE: 0, REJECT: 0 };
    const blocks2 = got(2, BLOCK).length;
    const txs2 = got(2, TX).length;
    for (let k = 0; k < 20; k++) {
      await node(1).gossip.publish(BLOCK, enc(`drop-block-${k}`));
      await node(1).gossip.publish(TX, enc(`drop-tx-${k}`));
    }
    await waitFor(() => got(2, TX).length === txs2 + 20, "node 2 got the 20 tx messages");
    await waitFor(
      () => (faults(2).stats().gossip[BLOCK]?.inbound ?? 0) === s0.inbound + 20,
      "node 2's filter saw the 20 block messages",
    );
    assert.equal(got(2, BLOCK).length, blocks2, "no block message delivered");
    assert.equal(faults(2).stats().gossip[BLOCK]?.droppedIn, s0.droppedIn + 20);
    // Dropped before the verdict adapter: the validator never ran, no verdict was counted.
    const { ACCEPT, IGNORE, REJECT } = node(2).gossip.verdictCounts()[BLOCK] ?? verdicts0;
    assert.deepEqual(
      { ACCEPT, IGNORE, REJECT },
      { ACCEPT: verdicts0.ACCEPT, IGNORE: verdicts0.IGNORE, REJECT: verdicts0.REJECT },
    );
    // The hub was not affected.
    assert.equal(got(0, BLOCK).filter((d) => d.body.startsWith("drop-block-")).length, 20);
    faults(2).clearRules();
  });

  test("dropRate 0.5 with a seed drops about half, exactly as a second instance with that seed predicts", async () => {
    const N = 200;
    faults(2).dropRate("tx", 0.5);
    const s0 = faults(2).stats().gossip[TX] ?? { inbound: 0, droppedIn: 0 };
    const txs2 = got(2, TX).length;
    for (let k = 0; k < N; k++) await node(1).gossip.publish(TX, enc(`half-${k}`));
    await waitFor(
      () => (faults(2).stats().gossip[TX]?.inbound ?? 0) === s0.inbound + N,
      () => `node 2's filter saw ${N} tx messages (${(faults(2).stats().gossip[TX]?.inbound ?? 0) - s0.inbound})`,
    );
    const dropped = (faults(2).stats().gossip[TX]?.droppedIn ?? 0) - s0.droppedIn;
    await waitFor(() => got(2, TX).length === txs2 + N - dropped, "node 2 delivered every message not dropped");
    assert.ok(dropped >= 0.3 * N && dropped <= 0.7 * N, `${dropped} of ${N} dropped at rate 0.5`);
    // Each rule has its own seeded stream: the k-th message it sees gets the same draw in any instance.
    const twin = new NetworkFaults({ seed: SEED + 2 });
    twin.dropRate("tx", 0.5);
    const predicted = Array.from({ length: N }, () => twin.admitGossip(TX, node(1).peerId)).filter((x) => !x).length;
    assert.equal(dropped, predicted);
    faults(2).clearRules();
  });

  test("delay 300 ms holds a topic's messages at least that long, in order; other topics are not held", async () => {
    faults(2).delay("block", 300);
    const published: { body: string; at: number }[] = [];
    for (let k = 0; k < 5; k++) {
      const body = `late-${k}`;
      published.push({ body, at: Date.now() });
      await node(1).gossip.publish(BLOCK, enc(body));
    }
    const txAt = Date.now();
    await node(1).gossip.publish(TX, enc("prompt"));
    await waitFor(() => got(2, BLOCK).filter((d) => d.body.startsWith("late-")).length === 5, "node 2 got them");
    const late = got(2, BLOCK).filter((d) => d.body.startsWith("late-"));
    assert.deepEqual(
      late.map((d) => d.body),
      published.map((p) => p.body),
      "order kept",
    );
    for (const [k, d] of late.entries()) {
      const waited = d.at - (published[k]?.at ?? 0);
      assert.ok(waited >= 300, `${d.body} delivered ${waited} ms after publish`);
    }
    const prompt = got(2, TX).find((d) => d.body === "prompt");
    assert.ok(prompt, "the tx message was delivered");
    assert.ok(prompt.at - txAt < 300 && prompt.at < (late[0]?.at ?? 0), "tx was not held behind the block delay");
    // The hub, without a delay rule, had them well before node 2.
    const hubFirst = got(0, BLOCK).find((d) => d.body === "late-0");
    assert.ok(hubFirst && hubFirst.at < (late[0]?.at ?? 0));
    assert.ok((faults(2).stats().gossip[BLOCK]?.delayed ?? 0) >= 5);
    faults(2).clearRules();
  });

  test("dropRequests 1 makes the protocol time out while another protocol works", async () => {
    // Requester side: its pov requests are lost before they leave.
    faults(1).dropRequests("pov", 1, { direction: "out" });
    const t0 = Date.now();
    await assert.rejects(
      node(1).reqresp.request(node(0).peerId, "pov", enc("a"), { timeoutMs: 400 }),
      isReqRespError("TIMEOUT"),
    );
    assert.ok(Date.now() - t0 >= 390, "the failure comes at the timeout, as with a lost peer");
    assert.equal(dec(await node(1).reqresp.request(node(0).peerId, "echo", enc("b"))), "echo:b");
    assert.equal(faults(1).stats().requests[node(1).reqresp.protocolId("pov")]?.droppedOut, 1);

    // Server side: node 0 never answers pov requests it receives.
    faults(0).dropRequests("pov", 1, { direction: "in" });
    await assert.rejects(
      node(2).reqresp.request(node(0).peerId, "pov", enc("c"), { timeoutMs: 400 }),
      isReqRespError("TIMEOUT"),
    );
    assert.equal(dec(await node(2).reqresp.request(node(0).peerId, "echo", enc("d"))), "echo:d");
    assert.equal(faults(0).stats().requests[node(0).reqresp.protocolId("pov")]?.droppedIn, 1);

    faults(0).clearRules();
    faults(1).clearRules();
    assert.equal(dec(await node(2).reqresp.request(node(0).peerId, "pov", enc("e"))), "pov:e");
  });
});
