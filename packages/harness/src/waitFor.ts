import {
  bestBlock,
  blockHashAt,
  type ChainEvent,
  EventReader,
  finalizedBlock,
  includedParaHead,
} from "./chainReads.js";
import { HarnessError } from "./errors.js";
import type { EventWaitOptions, NodeHandle, ObservedBlock, WaitFor, WaitForOptions } from "./interface.js";
import type { HarnessNode } from "./nodes.js";
import type { RpcClient } from "./rpcClient.js";
import { waitUntil } from "./wait.js";

/** What the wait-for helpers read: the network's nodes now, and its timing. */
export interface WaitForContext {
  validators: () => HarnessNode[];
  paraNodes: () => HarnessNode[];
  paraId: number;
  relaySlotMs: number;
  /** Relay slots per parablock: 1 with async backing, 2 with sync. */
  paraFactor: number;
}

/** A block-number condition: which nodes, what to read, how to name it. */
interface BlockCondition {
  what: string;
  nodes: () => HarnessNode[];
  kind: string;
  read: (rpc: RpcClient) => Promise<ObservedBlock>;
  label: string;
  target: number;
  slots: number;
}

/** The `waitFor` helpers of a network (see `WaitFor`). */
export function createWaitFor(c: WaitForContext): WaitFor {
  const intervalMs = Math.max(100, Math.min(500, Math.floor(c.relaySlotMs / 5)));
  const timeoutFor = (slots: number) => Math.max(10_000, Math.ceil(slots * c.relaySlotMs));
  const pick = (list: HarnessNode[], on: NodeHandle | undefined, kind: string): HarnessNode => {
    if (on) return on as unknown as HarnessNode;
    const n = list.find((x) => x.running);
    if (!n)
      throw new HarnessError(
        { code: "NODE_NOT_RUNNING", node: kind, action: "read the chain" },
        `no ${kind} is running`,
      );
    return n;
  };
  const blocks = (b: BlockCondition, w: WaitForOptions = {}) =>
    waitUntil<ObservedBlock>(
      b.what,
      async () => {
        const node = pick(b.nodes(), w.on, b.kind);
        const seen = await b.read(node.rpc);
        return { done: seen.number >= b.target, observed: `${b.label} #${seen.number} (${node.name})`, value: seen };
      },
      { timeoutMs: w.timeoutMs ?? timeoutFor(b.slots), intervalMs },
    );
  const relay = { nodes: c.validators, kind: "validator" };
  const para = { nodes: c.paraNodes, kind: "para node" };
  const readers = { para: new EventReader(), relay: new EventReader() };

  return {
    relayHeight: (n, w) =>
      blocks({ ...relay, what: `relay #${n}`, read: bestBlock, label: "relay best", target: n, slots: n + 10 }, w),
    relayFinalized: (n, w) =>
      blocks(
        {
          ...relay,
          what: `relay finalized #${n}`,
          read: finalizedBlock,
          label: "relay finalized",
          target: n,
          slots: n + 10,
        },
        w,
      ),
    paraHeight: (n, w) =>
      blocks(
        { ...para, what: `para #${n}`, read: bestBlock, label: "para best", target: n, slots: (n + 10) * c.paraFactor },
        w,
      ),
    paraFinalized: (n, w) =>
      blocks(
        {
          ...para,
          what: `para finalized #${n}`,
          read: finalizedBlock,
          label: "para finalized",
          target: n,
          slots: (n + 10) * c.paraFactor,
        },
        w,
      ),
    paraIncluded: (n, w = {}) =>
      waitUntil(
        `para included #${n}`,
        async () => {
          const v = pick(c.validators(), w.on, "validator");
          const r = await includedParaHead(v.rpc, c.paraId);
          return {
            done: (r.included ?? -1) >= n,
            observed:
              r.included === undefined
                ? `para ${c.paraId} not registered at relay #${r.relay} (${v.name})`
                : `included #${r.included} at relay #${r.relay} (${v.name})`,
            value: { included: r.included ?? -1, relay: r.relay },
          };
        },
        { timeoutMs: w.timeoutMs ?? timeoutFor((n + 10) * c.paraFactor), intervalMs },
      ),
    event: (name, w: EventWaitOptions = {}) => {
      const chain = w.chain ?? "para";
      const { nodes, kind } = chain === "para" ? para : relay;
      const reader = readers[chain];
      const since = Math.max(1, w.since ?? 1);
      // Blocks already read are not read again; `next` is the first one not read yet.
      let next = since;
      const counts = new Map<string, number>();
      let filtered = 0;
      let scannedOn = "";
      return waitUntil<ChainEvent>(
        `${name} on the ${chain} chain${w.since === undefined ? "" : ` from #${since}`}`,
        async () => {
          const node = pick(nodes(), w.on, kind);
          scannedOn = node.name;
          const tip = await (w.finalized ? finalizedBlock : bestBlock)(node.rpc);
          for (; next <= tip.number; next++) {
            const hash = await blockHashAt(node.rpc, next);
            if (hash === null) break;
            for (const e of await reader.eventsAt(node.rpc, hash, next)) {
              counts.set(e.name, (counts.get(e.name) ?? 0) + 1);
              if (e.name !== name) continue;
              if (w.where && !w.where(e)) {
                filtered++;
                continue;
              }
              return { done: true, observed: "", value: e };
            }
          }
          const seen = [...counts].map(([k, n]) => `${k} ×${n}`);
          const events = `${seen.slice(0, 10).join(", ") || "none"}${seen.length > 10 ? ", ..." : ""}`;
          return {
            done: false,
            observed: `${chain} #${since}..#${next - 1}${w.finalized ? " (finalized)" : ""} read on ${scannedOn}; events: ${events}${filtered ? `; ${filtered} ${name} not matching \`where\`` : ""}`,
          };
        },
        { timeoutMs: w.timeoutMs ?? timeoutFor(20 * c.paraFactor), intervalMs },
      );
    },
    condition: (what, check, w = {}) =>
      waitUntil(what, check, { timeoutMs: w.timeoutMs ?? timeoutFor(20), intervalMs: w.intervalMs ?? intervalMs }),
  };
}
