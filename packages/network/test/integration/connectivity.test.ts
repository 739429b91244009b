import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { createNetwork, type Network, NetworkError, topicName } from "../../src/index.js";
import { recordingMetrics, stopAll, TEST_GENESIS, testKey, testLogger, waitFor } from "../utils/index.js";

function isNetworkError(code: string) {
  return (err: unknown) => {
    assert.ok(err instanceof NetworkError, `expected a NetworkError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  };
}

const portOf = (addr: string) => {
  const m = /\/tcp\/(\d+)/.exec(addr);
  assert.ok(m?.[1], `no tcp port in ${addr}`);
  return Number(m[1]);
};

describe("connectivity", () => {
  const registry: Network[] = [];
  after(() => stopAll(registry));

  test("a /ws listener can be dialled through a websocket bootnode and carries gossip", async () => {
    const topic = topicName(TEST_GENESIS, "relay", "block");
    const received: string[] = [];
    const a = await createNetwork(
      { listen: ["/ip4/127.0.0.1/tcp/0/ws"], nodeKey: testKey(300), genesisHash: TEST_GENESIS },
      { logger: testLogger("ws-a") },
    );
    registry.push(a);
    a.gossip.subscribe({
      topic,
      maxBytes: 64,
      validate: (b) => new TextDecoder().decode(b),
      handle: (v) => {
        received.push(v);
      },
    });
    await a.start();
    const wsAddr = a.listenAddrs().find((x) => x.includes("/ws/"));
    assert.ok(wsAddr, `no ws address in ${a.listenAddrs().join(", ")}`);
    assert.match(wsAddr, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/12D3KooW/);

    const b = await createNetwork(
      { listen: [], bootnodes: [wsAddr], nodeKey: testKey(301), genesisHash: TEST_GENESIS },
      { logger: testLogger("ws-b") },
    );
    registry.push(b);
    b.gossip.subscribe({ topic, maxBytes: 64, validate: () => undefined, handle: () => {} });
    await b.start();
    await waitFor(() => b.peers().includes(a.peerId), "b connected to a over ws");
    await waitFor(() => b.gossip.topicPeers(topic).includes(a.peerId), "b sees a's subscription");
    await b.gossip.publish(topic, new TextEncoder().encode("over websockets"));
    await waitFor(() => received.length === 1, "gossip over ws delivered");
    assert.deepEqual(received, ["over websockets"]);
  });

  test("a bootnode restarted with the same key on the same port is reconnected (KEEP_ALIVE)", async () => {
    const bootKey = testKey(310);
    const boot1 = await createNetwork(
      { listen: ["/ip4/127.0.0.1/tcp/0"], nodeKey: bootKey, genesisHash: TEST_GENESIS },
      { logger: testLogger("boot1") },
    );
    registry.push(boot1);
    await boot1.start();
    const bootAddr = boot1.listenAddrs()[0] as string;
    const port = portOf(bootAddr);

    const metrics = recordingMetrics();
    const peer = await createNetwork(
      { listen: ["/ip4/127.0.0.1/tcp/0"], bootnodes: [bootAddr], nodeKey: testKey(311), genesisHash: TEST_GENESIS },
      { logger: testLogger("peer"), metrics },
    );
    registry.push(peer);
    const connects: string[] = [];
    const disconnects: string[] = [];
    peer.onPeerConnect((p) => connects.push(p));
    peer.onPeerDisconnect((p) => disconnects.push(p));
    await peer.start();
    await waitFor(() => peer.peers().includes(boot1.peerId), "peer connected to the bootnode");
    assert.deepEqual(connects, [boot1.peerId]);

    await boot1.stop();
    await waitFor(() => disconnects.includes(boot1.peerId), "peer noticed the bootnode going away");
    assert.ok(!peer.peers().includes(boot1.peerId));

    const boot2 = await createNetwork(
      { listen: [`/ip4/127.0.0.1/tcp/${port}`], nodeKey: bootKey, genesisHash: TEST_GENESIS },
      { logger: testLogger("boot2") },
    );
    registry.push(boot2);
    await boot2.start();
    assert.equal(boot2.peerId, boot1.peerId, "same key, same PeerId");
    // Nobody dials from the bootnode side: the reconnection is the peer's KEEP_ALIVE redial.
    await waitFor(() => peer.peers().includes(boot2.peerId), "peer reconnected to the restarted bootnode", 15_000);
    assert.deepEqual(connects, [boot1.peerId, boot1.peerId]);
    assert.ok(metrics.peerCounts.includes(0) && metrics.peerCounts.at(-1) === 1, `peer counts ${metrics.peerCounts}`);
  });

  test("dial() connects to a multiaddr and returns the PeerId; a dead address fails with DIAL_FAILED", async () => {
    const a = await createNetwork(
      { listen: ["/ip4/127.0.0.1/tcp/0"], nodeKey: testKey(320), genesisHash: TEST_GENESIS },
      { logger: testLogger("dial-a") },
    );
    registry.push(a);
    const b = await createNetwork(
      { listen: ["/ip4/127.0.0.1/tcp/0"], nodeKey: testKey(321), genesisHash: TEST_GENESIS, dialTimeoutMs: 2000 },
      { logger: testLogger("dial-b") },
    );
    registry.push(b);
    await a.start();
    await b.start();
    assert.equal(await b.dial(a.listenAddrs()[0] as string), a.peerId);
    assert.ok(b.peers().includes(a.peerId));
    await a.stop();
    await assert.rejects(
      b.dial(`/ip4/127.0.0.1/tcp/${portOf(a.listenAddrs()[0] ?? "/tcp/1")}`),
      isNetworkError("DIAL_FAILED"),
    );
  });

  test("bad options fail at creation with a typed error", async () => {
    const base = { listen: ["/ip4/127.0.0.1/tcp/0"], nodeKey: testKey(330), genesisHash: TEST_GENESIS };
    await assert.rejects(
      createNetwork({ ...base, listen: ["/ip4/999.1.1.1/tcp/0"] }),
      isNetworkError("INVALID_MULTIADDR"),
    );
    await assert.rejects(
      createNetwork({ ...base, bootnodes: ["/ip4/127.0.0.1/tcp/30333"] }),
      (err: unknown) => isNetworkError("INVALID_MULTIADDR")(err) && /\/p2p\/<PeerId>/.test((err as Error).message),
    );
    await assert.rejects(createNetwork({ ...base, maxGossipBytes: 8 * 1024 * 1024 }), isNetworkError("INVALID_OPTION"));
    await assert.rejects(createNetwork({ ...base, genesisHash: "0x1234" }), isNetworkError("INVALID_OPTION"));
  });

  test("a node listed among its own bootnodes ignores itself; stop() twice is safe; a stopped node stays stopped", async () => {
    const key = testKey(340);
    const first = await createNetwork({ listen: ["/ip4/127.0.0.1/tcp/0"], nodeKey: key, genesisHash: TEST_GENESIS });
    registry.push(first);
    await first.start();
    const self = first.listenAddrs()[0] as string;
    await first.stop();
    const net = await createNetwork({
      listen: ["/ip4/127.0.0.1/tcp/0"],
      bootnodes: [self],
      nodeKey: key,
      genesisHash: TEST_GENESIS,
    });
    registry.push(net);
    await net.start();
    assert.deepEqual(net.peers(), []);
    await Promise.all([net.stop(), net.stop()]);
    await net.stop();
    await assert.rejects(net.start(), isNetworkError("STOPPED"));
    await assert.rejects(net.dial(self), isNetworkError("NOT_STARTED"));
  });
});
