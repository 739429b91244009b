import { join } from "node:path";
import { BYZANTINE_COLLATION_KINDS, type ByzantineCollationKind, CollatorNode } from "@parapipe/collator";
import { createNodeMetrics, readCounter, readGauge } from "@parapipe/node";
import { toSs58 } from "@parapipe/primitives";
import type { Registry } from "prom-client";
import { bool, type CommandSpec, int, list, parseArgs, printHelp, str } from "../args.js";
import { relayOfBuiltIn } from "../chainSpecs.js";
import { badArguments } from "../errors.js";
import {
  authorityKeyOf,
  baseDirsOf,
  chainOf,
  checkListenPorts,
  DEFAULT_PORTS,
  devAccountOf,
  devByzantineFlag,
  devByzantineOf,
  listenOf,
  NODE_FLAGS,
  nodeKeyOf,
  RELAY_FLAGS,
} from "../nodeFlags.js";
import { chainDir, ensureWritableDir } from "../paths.js";
import { peerInfoOf, rpcChainOf, serveNode } from "../serve.js";

/** `parapipe collator`. */
export const COLLATOR_COMMAND: CommandSpec = {
  name: "collator",
  summary: "Run a parachain node: a collator with --collator (or a dev key flag), else a para full node",
  description:
    "The node embeds a relay chain node (configured after `--`, as Cumulus nodes are) that follows relay blocks\nand finality. A collator builds parablocks on the relay chain's view of the para (async backing: on\nunincluded parents), keeps its unincluded segment in LevelDB, and advertises collations to the backing group.\nThe relay chain must register the para with this spec's genesis head: `parapipe export-genesis-head`\nand `parapipe export-genesis-wasm` print what to register.",
  flags: [
    { name: "collator", type: "boolean", help: "Build parablocks (needs an Aura key: a dev key flag or the keystore)" },
    { name: "validator", type: "boolean", help: "Same as --collator (Substrate's name for an authoring node)" },
    {
      name: "parachain-id",
      type: "string",
      value: "ID",
      help: "Checked against the para spec's para id (Zombienet passes it)",
    },
    devByzantineFlag(
      BYZANTINE_COLLATION_KINDS,
      "advertise invalid collations of this kind (sealed with this node's key) instead of collating",
    ),
    ...NODE_FLAGS,
  ],
  takesRest: `The embedded relay node's flags: ${RELAY_FLAGS.filter((f) => !f.ignored)
    .map((f) => `--${f.name}`)
    .join(", ")}`,
};

/** The `--` part of a collator command line. */
const RELAY_COMMAND: CommandSpec = { name: "collator -- (relay chain)", summary: "", flags: RELAY_FLAGS };

/** Runs a collator or para full node until stopped; returns the exit code. */
export async function collatorCommand(argv: string[]): Promise<number> {
  const args = parseArgs(COLLATOR_COMMAND, argv);
  if (args.help) return printHelp(COLLATOR_COMMAND);
  const cmd = COLLATOR_COMMAND.name;
  const relayArgs = parseArgs({ ...RELAY_COMMAND, name: cmd }, args.rest);
  const { name: paraChain, spec: paraSpec } = chainOf(args, "para-local", "para");
  const paraIdFlag = str(args, "parachain-id");
  if (paraIdFlag !== undefined && int(args, cmd, "parachain-id", 0, 0, 2 ** 32 - 1) !== paraSpec.paraId)
    throw badArguments(cmd, `--parachain-id ${paraIdFlag} differs from the para spec's para id ${paraSpec.paraId}`);
  // A built-in para spec defaults to its own relay spec; a para spec file must say which relay chain.
  const { spec: relaySpec } = chainOf(relayArgs, relayOfBuiltIn(paraChain) ?? "local", "relay");
  const dev = devAccountOf(args, cmd);
  const authoring = bool(args, "collator") || bool(args, "validator") || dev !== undefined;
  const listen = listenOf(args, cmd, DEFAULT_PORTS.p2p);
  const relayListen = listenOf(relayArgs, cmd, DEFAULT_PORTS.p2p + 1);
  const bootnodes = list(args, "bootnodes");
  const relayBootnodes = list(relayArgs, "bootnodes");
  const nodeKey = nodeKeyOf(args, cmd);
  const relayNodeKey = nodeKeyOf(relayArgs, cmd);
  const dirs = baseDirsOf(args, cmd, paraSpec);
  // Cumulus keeps the embedded relay node under `<base>/polkadot/chains/<relay id>`.
  const relayBase = ensureWritableDir(
    chainDir(str(relayArgs, "base-path") ?? join(dirs.base, "polkadot"), relaySpec.id),
    "relay chain base path",
  );
  const byzantine = devByzantineOf<ByzantineCollationKind>(args, cmd, paraSpec);
  if (byzantine && !authoring) throw badArguments(cmd, "--dev-byzantine needs --collator (or a dev key flag)");
  const key = authoring ? authorityKeyOf(dev, dirs.chain, true, "collator") : undefined;
  const name = str(args, "name") ?? dev ?? `parapipe-${process.pid}`;
  return serveNode({
    command: cmd,
    args,
    spec: paraSpec,
    dirs,
    name,
    describe: [
      `Parachain id: Id(${paraSpec.paraId})`,
      `Relay chain: ${relaySpec.name} (${relaySpec.id})`,
      `Is collating: ${key ? "yes" : "no"}`,
      ...(key ? [`🔑 Aura key: ${toSs58(key.publicKey, paraSpec.properties.ss58Format)}`] : []),
      ...(byzantine ? [`⚠️  Byzantine (test only): invalid collations, ${byzantine}`] : []),
    ],
    async open(log, registry) {
      await checkListenPorts(listen, "p2p");
      await checkListenPorts(relayListen, "relay chain p2p");
      const n = await CollatorNode.init(
        {
          paraSpec,
          relaySpec,
          basePath: dirs.chain,
          ...(key ? { key } : {}),
          ...(byzantine ? { byzantine: { kind: byzantine } } : {}),
          listen,
          bootnodes: bootnodes.length ? bootnodes : paraSpec.bootNodes,
          ...(nodeKey ? { nodeKey } : {}),
          relay: {
            basePath: relayBase,
            listen: relayListen,
            bootnodes: relayBootnodes.length ? relayBootnodes : relaySpec.bootNodes,
            ...(relayNodeKey ? { nodeKey: relayNodeKey } : {}),
          },
        },
        { logger: log, ...(registry ? { metrics: createNodeMetrics(registry) } : {}) },
      );
      return {
        role: key ? "AUTHORITY" : "FULL",
        genesisHash: n.genesisHash,
        best: () => n.best,
        finalized: () => n.finalized,
        peers: () => n.network.peers().length,
        peerId: n.network.peerId,
        listenAddrs: () => [...n.network.listenAddrs(), ...n.relay.network.listenAddrs().map((a) => `${a} (relay)`)],
        peerInfo: () => peerInfoOf(n.network.peers(), n.sync, n.genesisHash),
        rpc: rpcChainOf(n),
        informant() {
          const v = n.relayView;
          return ` | [Relaychain] ${n.relay.network.peers().length} peers, best: #${n.relay.chain.best.number}, finalized #${n.relay.chain.finalized.number}; para included #${v?.includedNumber ?? "?"}, pending ${v?.pending ?? 0}, segment ${n.segmentLength}`;
        },
        registerMetrics(registry: Registry) {
          readGauge(
            registry,
            "parapipe_para_segment_length",
            "Unincluded segment: para blocks after the included head on the best chain",
            () => n.segmentLength,
          );
          readGauge(
            registry,
            "parapipe_para_included_height",
            "The para head the relay chain (at this node's relay best) has included",
            () => n.relayView?.includedNumber,
          );
          readGauge(
            registry,
            "parapipe_para_pending_availability",
            "Candidates of the para pending availability on the relay chain",
            () => n.relayView?.pending,
          );
          for (const [what, read] of [
            ["backed", () => n.pipeline.lastBacked],
            ["included", () => n.pipeline.lastIncluded],
          ] as const)
            readGauge(
              registry,
              `parapipe_para_last_${what}`,
              `The newest para block seen ${what} on the relay chain, and the relay block it was first seen at`,
              () => {
                const b = read();
                return (
                  b && [
                    { labels: { of: "para" }, value: b.paraNumber },
                    { labels: { of: "relay" }, value: b.relayNumber },
                  ]
                );
              },
              ["of"],
            );
          readGauge(
            registry,
            "parapipe_relay_block_height",
            "The embedded relay node's best and finalized relay block",
            () => [
              { labels: { status: "best" }, value: n.relay.chain.best.number },
              { labels: { status: "finalized" }, value: n.relay.chain.finalized.number },
            ],
            ["status"],
          );
          readGauge(
            registry,
            "parapipe_relay_peers_count",
            "The embedded relay node's peers",
            () => n.relay.network.peers().length,
          );
          for (const [stage, read] of [
            ["built", () => n.stats.built],
            ["advertised", () => n.stats.advertised],
            ["seconded", () => n.stats.seconded],
            ["included", () => n.stats.included],
            ["dropped", () => n.stats.dropped],
          ] as const)
            readCounter(registry, `parapipe_collator_candidates_${stage}_total`, `Own parablocks ${stage}`, read);
        },
        start: () => n.start(),
        close: () => n.close(),
      };
    },
  });
}
