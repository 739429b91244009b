/**
 * The pure parts of `isolation: "netns"`: names and addresses of a network's namespaces, the nftables scripts
 * (table, link state) and the drop counters read back; and the options and modes that cannot cut links refusing
 * with a code, without starting a node.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  droppedPacketsOf,
  HarnessError,
  linkKey,
  netnsAvailable,
  netnsNames,
  netnsSlot,
  nftStateScript,
  nftTableScript,
  startNetwork,
} from "@parapipe/harness";

const isHarnessError = (code: string) => (e: unknown) => e instanceof HarnessError && e.code === code;

describe("netns names and addresses", () => {
  it("network k lives in parapipe-k-* namespaces, with the test process at 10.213.k.1", () => {
    const n = netnsNames(7);
    assert.deepEqual(n, {
      id: 7,
      switchNs: "parapipe-7-sw",
      nsPrefix: "parapipe-7-",
      bridge: "br0",
      hostLink: "pp7",
      hostPort: "host",
      hostAddress: "10.213.7.1",
      table: "parapipe_7",
    });
    // Linux interface names are at most 15 bytes.
    assert.ok(netnsNames(255).hostLink.length <= 15);
  });

  it("node i of network k is 10.213.k.(10+i) in parapipe-k-n<i>, on bridge port n<i>", () => {
    assert.deepEqual(netnsSlot(7, 1), { index: 1, namespace: "parapipe-7-n1", port: "n1", address: "10.213.7.11" });
    assert.equal(netnsSlot(255, 240).address, "10.213.255.250");
    assert.ok(netnsSlot(255, 240).port.length <= 15);
  });

  it("ids and node numbers outside the /24 are refused", () => {
    assert.throws(() => netnsNames(256), isHarnessError("BAD_OPTIONS"));
    assert.throws(() => netnsNames(-1), isHarnessError("BAD_OPTIONS"));
    assert.throws(() => netnsSlot(1, 0), isHarnessError("BAD_OPTIONS"));
    assert.throws(() => netnsSlot(1, 241), isHarnessError("BAD_OPTIONS"));
  });
});

describe("nftables scripts", () => {
  const names = netnsNames(3);

  it("the table drops isolated ports and cut pairs on the bridge, never the test process's port", () => {
    const s = nftTableScript(names);
    // Idempotent: an old table of the same name is replaced.
    assert.match(s, /^add table bridge parapipe_3\ndelete table bridge parapipe_3\ntable bridge parapipe_3 \{/);
    assert.match(s, /set isolated \{ type ifname; \}/);
    assert.match(s, /set cut \{ type ifname \. ifname; \}/);
    assert.match(s, /type filter hook forward priority 0; policy accept;/);
    const lines = s.split("\n").map((l) => l.trim());
    const at = (rule: string) => lines.indexOf(rule);
    for (const r of ['iifname "host" accept', 'oifname "host" accept', "iifname @isolated counter drop"])
      assert.ok(at(r) >= 0, `missing rule: ${r}`);
    // The accepts for the test process come before any drop.
    assert.ok(at('oifname "host" accept') < at("iifname @isolated counter drop"));
    assert.ok(at("oifname @isolated counter drop") > 0);
    assert.ok(at("iifname . oifname @cut counter drop") > 0);
  });

  it("a link state is written as one flush-and-fill transaction, cut pairs in both directions", () => {
    assert.equal(
      nftStateScript(names, { isolated: new Set(), cut: new Set() }),
      "flush set bridge parapipe_3 isolated\nflush set bridge parapipe_3 cut\n",
    );
    const s = nftStateScript(names, { isolated: new Set(["n4"]), cut: new Set([linkKey("n2", "n1")]) });
    assert.equal(
      s,
      [
        "flush set bridge parapipe_3 isolated",
        "flush set bridge parapipe_3 cut",
        'add element bridge parapipe_3 isolated { "n4" }',
        'add element bridge parapipe_3 cut { "n1" . "n2", "n2" . "n1" }',
        "",
      ].join("\n"),
    );
    assert.equal(linkKey("n1", "n2"), linkKey("n2", "n1"));
  });

  it("dropped packets are the drop rules' counters summed, accept rules ignored", () => {
    const json = JSON.stringify({
      nftables: [
        { metainfo: { version: "1.0.6" } },
        { chain: { family: "bridge", table: "parapipe_3", name: "forward" } },
        { rule: { expr: [{ match: { op: "==", right: "host" } }, { accept: null }] } },
        {
          rule: { expr: [{ match: { right: "@isolated" } }, { counter: { packets: 5, bytes: 300 } }, { drop: null }] },
        },
        {
          rule: { expr: [{ match: { right: "@isolated" } }, { counter: { packets: 2, bytes: 120 } }, { drop: null }] },
        },
        { rule: { expr: [{ match: { right: "@cut" } }, { counter: { packets: 0, bytes: 0 } }, { drop: null }] } },
      ],
    });
    assert.equal(droppedPacketsOf(json), 7);
  });
});

describe("modes that cannot cut links", () => {
  it("netnsAvailable says yes, or why not", () => {
    const a = netnsAvailable();
    if (!a.ok) assert.ok(a.reason.length > 0, "a reason to skip with");
    assert.equal(netnsAvailable(), a, "the probe runs once");
  });

  it('isolation: "netns" without processes is refused before anything starts', async () => {
    await assert.rejects(
      startNetwork({ mode: "async", relaySlotMs: 1000, validators: 1, collators: 0, isolation: "netns" }),
      (e: unknown) => isHarnessError("BAD_OPTIONS")(e) && /processes: true/.test((e as Error).message),
    );
  });
});
