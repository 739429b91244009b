/**
 * Cutting nodes off, the same calls in every mode: `handle.isolate()` / `handle.heal()` and `net.cut(a, b)` /
 * `net.restore(a, b)`. In-process networks started with `faults` use the application-level link filter
 * (`NetworkFaults` on each libp2p host of the node); process networks with `isolation: "netns"` use nftables
 * drop rules between network namespaces (`netns.ts`). Anything else refuses with `ISOLATION_UNAVAILABLE`.
 */
import { CollatorNode } from "@parapipe/collator";
import type { NetworkFaults } from "@parapipe/network";
import type { RelayValidatorNode } from "@parapipe/relay-validator";
import { HarnessError } from "./errors.js";
import type { NetnsNetwork } from "./netns.js";

/** What link control needs of a node handle. */
export interface LinkTarget {
  readonly name: string;
  readonly peerId: string;
  /** A para node's embedded relay node's PeerId ("" for a validator). */
  readonly relayPeerId: string;
  /** The in-process node, if any. */
  readonly node: RelayValidatorNode | CollatorNode | undefined;
}

/** How a network cuts links. */
export interface LinkControl {
  /** `faults` (in-process, `NetworkFaults`), `netns` (nftables between namespaces) or `none`. */
  readonly kind: "faults" | "netns" | "none";
  /** Cuts `n` off from every other node. */
  isolate(n: LinkTarget): Promise<void>;
  /** Undoes `isolate(n)` and every cut link of `n`. */
  heal(n: LinkTarget): Promise<void>;
  /** Cuts the link between `a` and `b`, both ways. */
  cut(a: LinkTarget, b: LinkTarget): Promise<void>;
  /** Undoes `cut(a, b)`. */
  restore(a: LinkTarget, b: LinkTarget): Promise<void>;
}

/** Link control by nftables rules between the nodes' namespaces. */
export function netnsLinks(netns: NetnsNetwork): LinkControl {
  return {
    kind: "netns",
    isolate: (n) => netns.isolate(n.name),
    heal: (n) => netns.heal(n.name),
    cut: (a, b) => netns.cutLink(a.name, b.name),
    restore: (a, b) => netns.restoreLink(a.name, b.name),
  };
}

/** Every `NetworkFaults` of an in-process node: a validator's network; a para node's para and relay networks. */
function faultsOf(n: LinkTarget): NetworkFaults[] {
  const node = n.node;
  if (node === undefined)
    throw new HarnessError(
      { code: "NODE_NOT_RUNNING", node: n.name, action: "cut its links" },
      `${n.name} is not running: cannot cut its links`,
    );
  const all = node instanceof CollatorNode ? [node.network.faults, node.relay.network.faults] : [node.network.faults];
  const faults = all.filter((f): f is NetworkFaults => f !== undefined);
  if (faults.length === 0)
    throw new HarnessError(
      { code: "ISOLATION_UNAVAILABLE", node: n.name, reason: "no fault injection" },
      `${n.name} has no fault injection: start the network with \`faults: true\``,
    );
  return faults;
}

/** The PeerIds of a node's libp2p hosts. */
const peersOf = (n: LinkTarget): string[] => [n.peerId, n.relayPeerId].filter((p) => p !== "");

/**
 * Link control by the in-process nodes' `NetworkFaults`. `nodes()` lists the network's nodes, so `heal(n)` also
 * lifts the cuts other nodes hold against `n` (as deleting its nftables rules does in netns mode). The state lives
 * in the node objects: a restarted in-process node starts healed.
 */
export function faultLinks(nodes: () => LinkTarget[]): LinkControl {
  const cutBoth = (a: LinkTarget, b: LinkTarget, heal: boolean) => {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const)
      for (const f of faultsOf(x))
        for (const p of peersOf(y)) {
          if (!heal) f.isolate(p);
          else if (f.stats().cutPeers.includes(p)) f.heal(p);
        }
  };
  return {
    kind: "faults",
    async isolate(n) {
      for (const f of faultsOf(n)) f.isolate();
    },
    async heal(n) {
      for (const f of faultsOf(n)) f.heal();
      for (const m of nodes())
        if (m !== n && m.node !== undefined)
          for (const f of faultsOf(m)) for (const p of peersOf(n)) if (f.stats().cutPeers.includes(p)) f.heal(p);
    },
    async cut(a, b) {
      cutBoth(a, b, false);
    },
    async restore(a, b) {
      cutBoth(a, b, true);
    },
  };
}

/** No link control: every call rejects with `ISOLATION_UNAVAILABLE` and `reason`. */
export function noLinks(reason: string): LinkControl {
  const refuse = (n: LinkTarget) =>
    Promise.reject(
      new HarnessError({ code: "ISOLATION_UNAVAILABLE", node: n.name, reason }, `cannot cut ${n.name} off: ${reason}`),
    );
  return { kind: "none", isolate: refuse, heal: refuse, cut: refuse, restore: refuse };
}
