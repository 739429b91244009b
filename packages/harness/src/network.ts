import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateNodeKey, peerIdOf } from "@parapipe/network";
import { parseLogFilter } from "@parapipe/node";
import { chainSpecToJson, cryptoReady } from "@parapipe/primitives";
import { devChainSpecs } from "@parapipe/runtime";
import { HarnessError } from "./errors.js";
import type {
  NodeHandle,
  NodeKind,
  ParaNodeHandle,
  StartNetworkOptions,
  TestNetwork,
  ValidatorHandle,
} from "./interface.js";
import { faultLinks, netnsLinks, noLinks } from "./isolation.js";
import { NetnsNetwork } from "./netns.js";
import { HarnessNode, type NodeContext, type NodeLayout } from "./nodes.js";
import { freePort } from "./ports.js";
import { ProcessRegistry } from "./registry.js";
import { createWaitFor } from "./waitFor.js";

/** The dev accounts a node can be named after (`--alice` ... `--ferdie`). */
export const DEV_NAMES = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"] as const;

function namesOf(v: number | string[], option: string): string[] {
  const names = typeof v === "number" ? DEV_NAMES.slice(0, v) : v;
  if (typeof v === "number" && (!Number.isInteger(v) || v < 0 || v > DEV_NAMES.length))
    throw new HarnessError(
      { code: "BAD_OPTIONS", option, reason: `count ${v}` },
      `${option}: expected 0 to ${DEV_NAMES.length} nodes, found ${v}`,
    );
  for (const n of names)
    if (!(DEV_NAMES as readonly string[]).includes(n))
      throw new HarnessError(
        { code: "BAD_OPTIONS", option, reason: `name ${n}` },
        `${option}: "${n}" is not a dev name (${DEV_NAMES.join(", ")})`,
      );
  if (new Set(names).size !== names.length)
    throw new HarnessError(
      { code: "BAD_OPTIONS", option, reason: "duplicate" },
      `${option}: a name is given twice (${names.join(", ")})`,
    );
  return [...names];
}

/** `LOG_LEVEL` when it is a valid log directive. */
function envLogLevel(): string | undefined {
  const v = process.env.LOG_LEVEL;
  if (v === undefined || v === "") return undefined;
  try {
    parseLogFilter([v]);
    return v;
  } catch {
    return undefined;
  }
}

/**
 * Starts a relay chain with its parachain on loopback: `validators` relay validators, `collators` collators and
 * `fullNodes` para full nodes, each with free ports and its own base path under one temp dir, in this process or
 * as `parapipe` processes. Resolves once every node serves JSON-RPC and listens; a node that fails to start
 * fails the whole start (and everything started so far is torn down). Always `close()` the network (in
 * `after`); process exit, SIGINT and SIGTERM tear it down too.
 */
export async function startNetwork(o: StartNetworkOptions): Promise<TestNetwork> {
  const validatorNames = namesOf(o.validators, "validators");
  const collatorNames = namesOf(o.collators, "collators");
  if (validatorNames.length === 0)
    throw new HarnessError({ code: "BAD_OPTIONS", option: "validators", reason: "none" }, "validators: at least one");
  const fullNodes = o.fullNodes ?? 0;
  if (!Number.isInteger(fullNodes) || fullNodes < 0)
    throw new HarnessError(
      { code: "BAD_OPTIONS", option: "fullNodes", reason: String(fullNodes) },
      `fullNodes: expected a count, found ${fullNodes}`,
    );
  if (!(o.relaySlotMs > 0))
    throw new HarnessError(
      { code: "BAD_OPTIONS", option: "relaySlotMs", reason: String(o.relaySlotMs) },
      `relaySlotMs: expected a positive number of ms, found ${o.relaySlotMs}`,
    );
  await cryptoReady();
  const processes = o.processes ?? false;
  if (o.isolation !== undefined && !(o.isolation === "netns" && processes))
    throw new HarnessError(
      { code: "BAD_OPTIONS", option: "isolation", reason: String(o.isolation) },
      `isolation: "netns" is the only value, and needs processes: true (found ${JSON.stringify(o.isolation)}, processes: ${processes})`,
    );
  const specs =
    o.specs ??
    devChainSpecs({
      mode: o.mode,
      relaySlotMs: o.relaySlotMs,
      validators: validatorNames,
      // A network without collators still needs para authorities in its spec.
      ...(collatorNames.length ? { collators: collatorNames } : {}),
    });

  // Namespaces first: without them (not root, no nft...) nothing else is started.
  const netns = o.isolation === "netns" ? await NetnsNetwork.create() : undefined;
  const registry = new ProcessRegistry();
  const baseDir = mkdtempSync(join(tmpdir(), "parapipe-harness-"));
  registry.removeOnExit(baseDir);
  const specFiles = { relay: join(baseDir, "relay.json"), para: join(baseDir, "para.json") };
  writeFileSync(specFiles.relay, `${JSON.stringify(chainSpecToJson(specs.relay), null, 2)}\n`);
  writeFileSync(specFiles.para, `${JSON.stringify(chainSpecToJson(specs.para), null, 2)}\n`);

  const validators: HarnessNode[] = [];
  const collators: HarnessNode[] = [];
  const full: HarnessNode[] = [];
  const paraNodes = () => [...collators, ...full];
  const logLevel = o.logLevel ?? envLogLevel() ?? "info";
  const ctx: NodeContext = {
    relaySpec: specs.relay,
    paraSpec: specs.para,
    specFiles,
    logLevel,
    echoLogs: envLogLevel() !== undefined,
    startTimeoutMs: o.startTimeoutMs ?? 60_000,
    ...(o.faults ? { faults: o.faults === true ? {} : o.faults } : {}),
    registry,
    links: netns
      ? netnsLinks(netns)
      : processes
        ? noLinks(
            'process nodes can be cut off only with isolation: "netns" (root, `ip` and `nft`: see netnsAvailable())',
          )
        : o.faults
          ? faultLinks(() => [...validators, ...paraNodes()])
          : noLinks("in-process fault injection is off: start the network with `faults: true`"),
    bootnodesFor(node) {
      const others = (list: HarnessNode[]) => list.filter((n) => n !== node).map((n) => n.multiaddr);
      if (node.kind === "validator") return { own: others(validators), relay: [] };
      return { own: others(paraNodes()), relay: validators.map((v) => v.multiaddr) };
    },
  };

  const layout = async (kind: NodeKind, name: string, devName: string | undefined): Promise<NodeLayout> => {
    const nodeKey = generateNodeKey();
    const relayNodeKey = kind === "validator" ? undefined : generateNodeKey();
    const place = netns ? await netns.addNode(name) : undefined;
    return {
      name,
      kind,
      devName,
      basePath: join(baseDir, name),
      logFile: join(baseDir, `${name}.log`),
      ports: {
        p2p: await freePort(),
        rpc: await freePort(),
        ...(processes ? { prometheus: await freePort() } : {}),
        ...(kind === "validator" ? {} : { relayP2p: await freePort() }),
      },
      nodeKey,
      peerId: await peerIdOf(nodeKey),
      ...(relayNodeKey ? { relayNodeKey, relayPeerId: await peerIdOf(relayNodeKey) } : {}),
      ...(place && netns ? { host: place.address, spawnPrefix: netns.execPrefix(name) } : {}),
    };
  };
  const uniqueName = (base: string) => {
    const taken = new Set([...validators, ...paraNodes()].map((n) => n.name));
    if (!taken.has(base)) return base;
    for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
  };

  const waitFor = createWaitFor({
    validators: () => validators,
    paraNodes,
    paraId: specs.para.paraId ?? 0,
    relaySlotMs: o.relaySlotMs,
    paraFactor: o.mode === "sync" ? 2 : 1,
  });

  /** The harness node behind a handle of this network. */
  const ours = (h: NodeHandle): HarnessNode => {
    const n = [...validators, ...paraNodes()].find((x) => (x as unknown) === h);
    if (!n)
      throw new HarnessError(
        { code: "BAD_OPTIONS", option: "node", reason: h.name },
        `${h.name} is not a node of this network`,
      );
    return n;
  };

  let closing: Promise<void> | undefined;
  const net: TestNetwork = {
    processes,
    relaySlotMs: o.relaySlotMs,
    relaySpec: specs.relay,
    paraSpec: specs.para,
    paraId: specs.para.paraId ?? 0,
    specFiles,
    baseDir,
    validators: validators as unknown as ValidatorHandle[],
    collators: collators as unknown as ParaNodeHandle[],
    fullNodes: full as unknown as ParaNodeHandle[],
    nodes: () => [...validators, ...paraNodes()] as unknown as NodeHandle[],
    node(name) {
      const n = [...validators, ...paraNodes()].find((x) => x.name === name);
      if (!n)
        throw new HarnessError(
          { code: "BAD_OPTIONS", option: "name", reason: name },
          `no node called ${name} (nodes: ${[...validators, ...paraNodes()].map((x) => x.name).join(", ")})`,
        );
      return n as unknown as NodeHandle;
    },
    async addParaNode(a = {}) {
      if (closing)
        throw new HarnessError(
          { code: "NODE_NOT_RUNNING", node: "network", action: "add a node" },
          "the network is closed",
        );
      const dev = a.collator === undefined ? undefined : namesOf([a.collator], "collator")[0];
      const kind: NodeKind = dev ? "collator" : "fullNode";
      const name = uniqueName(dev ? `collator-${dev.toLowerCase()}` : `fullnode-${full.length + 1}`);
      const byz = a.byzantine;
      if (byz && (!dev || (processes && byz.auraKey !== undefined && byz.auraKey !== dev)))
        throw new HarnessError(
          { code: "BAD_OPTIONS", option: "byzantine", reason: dev ? "auraKey" : "no collator" },
          dev
            ? "byzantine: a collator process seals with its own key (auraKey is in-process only)"
            : "byzantine: only a collator can be byzantine (give `collator`)",
        );
      const node = new HarnessNode(
        { ...(await layout(kind, name, dev)), ...(byz ? { byzantine: byz } : {}) },
        ctx,
        processes,
      );
      (dev ? collators : full).push(node);
      await node.start();
      return node.asParaNode();
    },
    cut: (a, b) => ctx.links.cut(ours(a), ours(b)),
    restore: (a, b) => ctx.links.restore(ours(a), ours(b)),
    netns,
    waitFor,
    close() {
      closing ??= (async () => {
        // Para nodes first (they follow the validators), then the validators; each group in parallel.
        await Promise.all(paraNodes().map((n) => n.stop().catch(() => {})));
        await Promise.all(validators.map((n) => n.stop().catch(() => {})));
        for (const n of [...validators, ...paraNodes()]) n.rpc.close();
        // Stragglers (a process that ignored SIGTERM) and the temp dir.
        await registry.killAll();
        // Then the namespaces, the bridge, the veths and the nft table.
        await netns?.close();
      })();
      return closing;
    },
  };

  try {
    for (const v of validatorNames)
      validators.push(new HarnessNode(await layout("validator", v.toLowerCase(), v), ctx, processes));
    for (const c of collatorNames)
      collators.push(new HarnessNode(await layout("collator", `collator-${c.toLowerCase()}`, c), ctx, processes));
    for (let i = 1; i <= fullNodes; i++)
      full.push(new HarnessNode(await layout("fullNode", `fullnode-${i}`, undefined), ctx, processes));
    if (processes) {
      // Bootnodes are known up front (ports and PeerIds), so every process starts at once. Every start is
      // settled before a failure is reported, so the teardown below meets no start half way.
      const started = await Promise.allSettled([...validators, ...paraNodes()].map((n) => n.start()));
      const failed = started.find((r) => r.status === "rejected");
      if (failed) throw failed.reason;
    } else {
      for (const n of [...validators, ...paraNodes()]) await n.start();
    }
    return net;
  } catch (e) {
    await net.close();
    throw e;
  }
}
