import { createNodeMetrics, readCounter } from "@parapipe/node";
import { toSs58 } from "@parapipe/primitives";
import { BYZANTINE_VALIDATOR_MODES, type ByzantineValidatorMode, RelayValidatorNode } from "@parapipe/relay-validator";
import type { Registry } from "prom-client";
import { bool, type CommandSpec, list, parseArgs, printHelp, str } from "../args.js";
import { badArguments } from "../errors.js";
import { createRelayValidatorMetrics } from "../metrics.js";
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
} from "../nodeFlags.js";
import { peerInfoOf, rpcChainOf, serveNode } from "../serve.js";

/** `parapipe validator`. */
export const VALIDATOR_COMMAND: CommandSpec = {
  name: "validator",
  summary: "Run a relay chain node: a validator with --validator (or a dev key flag), else a full node",
  description:
    "A validator authors relay blocks in its Aura slots, votes on finality, backs parachain candidates by\nre-executing them (PVF), signs availability bitfields and includes backed candidates.",
  flags: [
    {
      name: "validator",
      type: "boolean",
      help: "Author, vote and back (needs a session key: a dev key flag or the keystore)",
    },
    devByzantineFlag(
      BYZANTINE_VALIDATOR_MODES,
      "misbehave in backing (secondInvalid: vouch for invalid candidates; doubleVote: also sign Invalid)",
    ),
    ...NODE_FLAGS,
  ],
};

/** Runs a relay chain node until stopped; returns the exit code. */
export async function validatorCommand(argv: string[]): Promise<number> {
  const args = parseArgs(VALIDATOR_COMMAND, argv);
  if (args.help) return printHelp(VALIDATOR_COMMAND);
  const cmd = VALIDATOR_COMMAND.name;
  const { spec } = chainOf(args, "local", "relay");
  const dev = devAccountOf(args, cmd);
  const authoring = bool(args, "validator") || dev !== undefined;
  const listen = listenOf(args, cmd, DEFAULT_PORTS.p2p);
  const bootnodes = list(args, "bootnodes");
  const nodeKey = nodeKeyOf(args, cmd);
  const dirs = baseDirsOf(args, cmd, spec);
  const byzantine = devByzantineOf<ByzantineValidatorMode>(args, cmd, spec);
  if (byzantine && !authoring) throw badArguments(cmd, "--dev-byzantine needs --validator (or a dev key flag)");
  const key = authoring ? authorityKeyOf(dev, dirs.chain, true, "validator") : undefined;
  const name = str(args, "name") ?? dev ?? `parapipe-${process.pid}`;
  return serveNode({
    command: cmd,
    args,
    spec,
    dirs,
    name,
    describe: [
      ...(key ? [`🔑 Session key: ${toSs58(key.publicKey)}`] : []),
      ...(byzantine ? [`⚠️  Byzantine (test only): ${byzantine}`] : []),
    ],
    async open(log, registry) {
      await checkListenPorts(listen, "p2p");
      const n = await RelayValidatorNode.init(
        {
          spec,
          basePath: dirs.chain,
          ...(key ? { key } : {}),
          ...(byzantine ? { byzantine } : {}),
          listen,
          bootnodes: bootnodes.length ? bootnodes : spec.bootNodes,
          ...(nodeKey ? { nodeKey } : {}),
        },
        {
          logger: log,
          ...(registry
            ? { metrics: createNodeMetrics(registry), pipelineMetrics: createRelayValidatorMetrics(registry) }
            : {}),
        },
      );
      return {
        role: key ? "AUTHORITY" : "FULL",
        genesisHash: n.chain.genesisHash,
        best: () => n.best,
        finalized: () => n.finalized,
        peers: () => n.network.peers().length,
        peerId: n.network.peerId,
        listenAddrs: () => n.network.listenAddrs(),
        peerInfo: () => peerInfoOf(n.network.peers(), n.sync, n.chain.genesisHash),
        rpc: rpcChainOf(n),
        registerMetrics(registry: Registry) {
          const counter = (name: string, help: string, read: () => number) => readCounter(registry, name, help, read);
          counter("parapipe_relay_blocks_authored_total", "Relay blocks this node authored", () => n.stats.authored);
          counter("parapipe_candidates_seconded_total", "Candidates this validator seconded", () => n.stats.seconded);
          counter("parapipe_candidates_backed_total", "Candidates this validator's group backed", () => n.stats.backed);
          counter("parapipe_pvf_validations_total", "Candidates validated (PVF executions)", () => n.stats.validated);
          counter(
            "parapipe_collations_invalid_total",
            "Collations refused as invalid",
            () => n.stats.invalidCollations,
          );
          counter("parapipe_bitfields_signed_total", "Availability bitfields signed", () => n.stats.bitfieldsSigned);
          counter(
            "parapipe_backing_misbehaviours_total",
            "Offences of other validators caught (double votes, votes for invalid candidates)",
            () => n.stats.misbehaviours,
          );
        },
        start: () => n.start(),
        close: () => n.close(),
      };
    },
  });
}
