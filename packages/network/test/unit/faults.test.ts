import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { MultiaddrConnection } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import { NetworkError, NetworkFaults, peerIdOf, silentLogger } from "../../src/index.js";
import { testKey } from "../utils/index.js";

const BLOCK = "/parapipe/abababab/relay/block";
const PARA_BLOCK = "/parapipe/cdcdcdcd/para/block";
const TX = "/parapipe/abababab/relay/tx";
const POV = "/parapipe/abababab/pov/1";
const A = await peerIdOf(testKey(900));
const B = await peerIdOf(testKey(901));

/** Drives `n` inbound messages through the filter; returns which were admitted (synchronous rules only). */
function admitted(faults: NetworkFaults, topic: string, n: number): boolean[] {
  return Array.from({ length: n }, () => {
    const r = faults.admitGossip(topic, A);
    assert.equal(typeof r, "boolean", "no delay rule: the decision is synchronous");
    return r as boolean;
  });
}

function isInvalidOption(option: string) {
  return (err: unknown) => {
    assert.ok(err instanceof NetworkError, `expected a NetworkError, got ${String(err)}`);
    assert.equal(err.type.code, "INVALID_OPTION");
    assert.equal(err.type.code === "INVALID_OPTION" && err.type.option, option);
    return true;
  };
}

describe("NetworkFaults decisions", () => {
  test("the same seed drops the same messages; another seed drops others", () => {
    const run = (seed: number) => {
      const f = new NetworkFaults({ seed });
      f.dropRate("block", 0.5);
      return admitted(f, BLOCK, 200);
    };
    assert.deepEqual(run(7), run(7));
    assert.notDeepEqual(run(7), run(8));
    const kept = run(7).filter(Boolean).length;
    assert.ok(kept > 70 && kept < 130, `${kept} of 200 kept at rate 0.5`);
  });

  test("setting a rule again restarts its random stream, so a test can predict its draws", () => {
    const f = new NetworkFaults({ seed: 3 });
    f.dropRate("tx", 0.3);
    const first = admitted(f, TX, 50);
    f.dropRate("tx", 0.3);
    assert.deepEqual(admitted(f, TX, 50), first);
  });

  test("rates 0 and 1 are exact; a short name matches any scope; a full topic name wins over it", () => {
    const f = new NetworkFaults({ seed: 1 });
    f.dropRate("block", 1);
    assert.deepEqual(admitted(f, BLOCK, 5), [false, false, false, false, false]);
    assert.deepEqual(admitted(f, PARA_BLOCK, 3), [false, false, false]);
    assert.deepEqual(admitted(f, TX, 3), [true, true, true]);
    f.dropRate(PARA_BLOCK, 0.000001);
    assert.deepEqual(admitted(f, PARA_BLOCK, 3), [true, true, true]);
    f.dropRate("block", 0);
    assert.deepEqual(admitted(f, BLOCK, 3), [true, true, true]);
    const s = f.stats().gossip;
    assert.deepEqual(s[BLOCK], {
      inbound: 8,
      droppedIn: 5,
      cutIn: 0,
      delayed: 0,
      delayOverflow: 0,
      outbound: 0,
      droppedOut: 0,
    });
    assert.equal(s[PARA_BLOCK]?.droppedIn, 3);
  });

  test("direction: inbound rules leave publishes alone, outbound rules leave inbound messages alone", () => {
    const f = new NetworkFaults({ seed: 1 });
    f.dropRate("block", 1);
    assert.equal(f.dropPublish(BLOCK), false);
    f.dropRate("block", 1, { direction: "out" });
    assert.equal(f.dropPublish(BLOCK), true);
    assert.equal(f.admitGossip(BLOCK, A), true);
    f.dropRate("block", 1, { direction: "both" });
    assert.equal(f.dropPublish(BLOCK), true);
    assert.equal(f.admitGossip(BLOCK, A), false);
    assert.deepEqual(
      { out: f.stats().gossip[BLOCK]?.outbound, droppedOut: f.stats().gossip[BLOCK]?.droppedOut },
      { out: 3, droppedOut: 2 },
    );
  });

  test("dropRequests matches the short or the full protocol id, both directions by default", () => {
    const f = new NetworkFaults({ seed: 1 });
    assert.equal(f.requestFault("out", "pov", POV, A), "pass");
    f.dropRequests("pov", 1);
    assert.equal(f.requestFault("out", "pov", POV, A), "drop");
    assert.equal(f.requestFault("in", "pov", POV, A), "drop");
    assert.equal(f.requestFault("out", "echo", "/parapipe/abababab/echo/1", A), "pass");
    f.dropRequests(POV, 1, { direction: "in" });
    assert.equal(f.requestFault("out", "pov", POV, A), "pass");
    assert.equal(f.requestFault("in", "pov", POV, A), "drop");
    assert.deepEqual(f.stats().requests[POV], {
      inbound: 2,
      droppedIn: 2,
      cutIn: 0,
      outbound: 3,
      droppedOut: 1,
      cutOut: 0,
    });
  });

  test("bad arguments are INVALID_OPTION errors", () => {
    const f = new NetworkFaults();
    assert.throws(() => f.dropRate("block", 1.5), isInvalidOption("fraction"));
    assert.throws(() => f.dropRate("block", Number.NaN), isInvalidOption("fraction"));
    assert.throws(() => f.dropRate("", 0.5), isInvalidOption("topic"));
    assert.throws(
      () => f.dropRate("block", 0.5, { direction: "sideways" as unknown as "in" }),
      isInvalidOption("direction"),
    );
    assert.throws(() => f.delay("block", -1), isInvalidOption("delay"));
    assert.throws(() => f.delay("block", 10, Number.POSITIVE_INFINITY), isInvalidOption("jitterMs"));
    assert.throws(() => f.dropRequests("pov", -0.1), isInvalidOption("fraction"));
    assert.throws(() => f.isolate("not-a-peer-id"), isInvalidOption("peerId"));
    assert.throws(() => new NetworkFaults({ seed: 1.5 }), isInvalidOption("seed"));
    assert.throws(() => new NetworkFaults({ maxDelayedPerTopic: -1 }), isInvalidOption("maxDelayedPerTopic"));
  });

  test("a cut peer's gossip and requests are dropped; other peers pass; heal undoes it", () => {
    const f = new NetworkFaults();
    f.isolate(A);
    assert.ok(f.isCut(A) && !f.isCut(B) && !f.isCut());
    assert.equal(f.admitGossip(BLOCK, A), false);
    assert.equal(f.admitGossip(BLOCK, B), true);
    assert.equal(f.requestFault("out", "pov", POV, A), "cut");
    assert.equal(f.requestFault("in", "pov", POV, A), "cut");
    assert.equal(f.requestFault("in", "pov", POV, B), "pass");
    assert.deepEqual(f.stats().cutPeers, [A]);
    f.isolate();
    assert.ok(f.isCut(B) && f.isCut() && f.stats().isolated);
    f.heal(A);
    assert.ok(f.isCut(A), "still cut: the whole node is isolated");
    f.heal();
    assert.ok(!f.isCut(A) && !f.isCut(B) && !f.isCut());
    assert.equal(f.admitGossip(BLOCK, A), true);
    const s = f.stats();
    assert.equal(s.gossip[BLOCK]?.cutIn, 1);
    assert.deepEqual(s.requests[POV], { inbound: 2, droppedIn: 0, cutIn: 1, outbound: 1, droppedOut: 0, cutOut: 1 });
    assert.deepEqual(s.cutPeers, []);
  });

  test("the connection gater refuses cut peers (and, when isolated, everything) and counts it", async () => {
    const f = new NetworkFaults();
    const g = f.connectionGater();
    const a = peerIdFromString(A);
    const b = peerIdFromString(B);
    const maConn = {} as MultiaddrConnection;
    assert.equal(await g.denyDialPeer?.(a), false);
    f.isolate(A);
    assert.equal(await g.denyDialPeer?.(a), true);
    assert.equal(await g.denyDialPeer?.(b), false);
    assert.equal(await g.denyDialMultiaddr?.(multiaddr(`/ip4/127.0.0.1/tcp/1/p2p/${A}`)), true);
    assert.equal(await g.denyDialMultiaddr?.(multiaddr("/ip4/127.0.0.1/tcp/1")), false);
    assert.equal(await g.denyInboundConnection?.(maConn), false, "the peer is not known before encryption");
    assert.equal(await g.denyInboundEncryptedConnection?.(a, maConn), true);
    assert.equal(await g.denyOutboundEncryptedConnection?.(b, maConn), false);
    f.isolate();
    assert.equal(await g.denyInboundConnection?.(maConn), true);
    assert.equal(await g.denyDialMultiaddr?.(multiaddr("/ip4/127.0.0.1/tcp/1")), true);
    assert.equal(await g.denyOutboundConnection?.(b, maConn), true);
    f.heal();
    assert.equal(await g.denyDialPeer?.(a), false);
    assert.deepEqual(f.stats().connections, { refusedDials: 3, refusedInbound: 2, refusedOutbound: 1, closed: 0 });
  });

  test("isolate closes the links the network reports and heal asks it to redial them", () => {
    const f = new NetworkFaults();
    const calls: string[] = [];
    f.bind(
      {
        cut: (peer) => {
          calls.push(`cut ${peer ?? "*"}`);
          return peer === undefined ? [A, B] : [peer];
        },
        restore: (peers) => {
          calls.push(`restore ${peers.join(",")}`);
        },
      },
      silentLogger,
    );
    f.isolate(A);
    f.heal(A);
    f.isolate();
    f.heal();
    assert.deepEqual(calls, [`cut ${A}`, `restore ${A}`, "cut *", `restore ${A},${B}`]);
    assert.equal(f.stats().connections.closed, 3);
    assert.throws(() => f.bind({ cut: () => [], restore: () => {} }, silentLogger), isInvalidOption("faults"));
  });
});

describe("NetworkFaults delay queue", () => {
  test("a delayed message is admitted after the delay, in arrival order", async () => {
    const f = new NetworkFaults({ seed: 5 });
    f.delay("block", 120, 60);
    const t0 = Date.now();
    const order: number[] = [];
    const results = await Promise.all(
      [0, 1, 2, 3, 4].map(async (i) => {
        const ok = await f.admitGossip(BLOCK, A);
        order.push(i);
        return { ok, at: Date.now() - t0 };
      }),
    );
    assert.deepEqual(order, [0, 1, 2, 3, 4], "jitter does not reorder a topic");
    for (const r of results) {
      assert.equal(r.ok, true);
      assert.ok(r.at >= 60 - 1, `released after ${r.at} ms (delay 120 ± 60)`);
    }
    assert.equal(f.stats().gossip[BLOCK]?.delayed, 5);
    // Other topics are not held.
    assert.equal(f.admitGossip(TX, A), true);
  });

  test("beyond maxDelayedPerTopic the queue drops and counts; close() drops what is held", async () => {
    const f = new NetworkFaults({ maxDelayedPerTopic: 2 });
    f.delay("block", 60_000);
    const held = [f.admitGossip(BLOCK, A), f.admitGossip(BLOCK, A)];
    assert.equal(await f.admitGossip(BLOCK, A), false, "third message overflows");
    f.close();
    assert.deepEqual(await Promise.all(held), [false, false]);
    assert.deepEqual(
      { delayed: f.stats().gossip[BLOCK]?.delayed, overflow: f.stats().gossip[BLOCK]?.delayOverflow },
      { delayed: 2, overflow: 1 },
    );
  });

  test("a message held while its sender gets cut is dropped on release", async () => {
    const f = new NetworkFaults();
    f.delay("block", 30);
    const pending = f.admitGossip(BLOCK, A);
    f.isolate(A);
    assert.equal(await pending, false);
    assert.equal(f.stats().gossip[BLOCK]?.cutIn, 1);
  });
});
