import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { nodeKeyFromHex, peerIdOf } from "@parapipe/network";
import { chainSpecToJson, cryptoReady } from "@parapipe/primitives";
import { devChainSpecs } from "@parapipe/runtime";
import { bool, type CommandSpec, int, list, parseArgs, printHelp, str } from "../args.js";
import { CliError } from "../errors.js";
import { parseMetricsText } from "../metricsText.js";
import { bindError, DEFAULT_PORTS } from "../nodeFlags.js";
import { ensureWritableDir, removeTree, tmpBasePath } from "../paths.js";

const DEV_NAMES = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"] as const;

/** `parapipe devnet`. */
export const DEVNET_COMMAND: CommandSpec = {
  name: "devnet",
  summary: "Run a local relay chain with para 2000: validators and collators as child processes on loopback",
  description:
    "Every node is a `parapipe validator` or `parapipe collator` process with its own base path and log file.\nThe devnet prints each node's endpoints, then one line per relay block: relay best/finalized, para\nbest/included/finalized, the unincluded segment, the last backing and inclusion. Ctrl-C stops every node.",
  flags: [
    { name: "validators", type: "string", value: "N", help: "Relay validators (Alice, Bob, ...)", default: "4" },
    { name: "collators", type: "string", value: "N", help: "Para 2000 collators (Alice, Bob, ...)", default: "2" },
    {
      name: "slot-ms",
      type: "string",
      value: "MS",
      help: "Relay slot (async: para blocks at the same rate; sync: every 2 slots)",
      default: "6000",
    },
    { name: "sync", type: "boolean", help: "Synchronous backing (capacity 1, {0, 0}): the pre-2024 12 s pipeline" },
    {
      name: "base-path",
      short: "d",
      type: "string",
      value: "PATH",
      help: "Keep specs, databases and logs here (reused by the next run)",
      default: "a temporary directory, removed on exit",
    },
    { name: "keep", type: "boolean", help: "Keep the temporary base path on exit" },
    {
      name: "port",
      type: "string",
      value: "PORT",
      help: "First validator's p2p port (validator i: +i; collator j: +1000+2j para, +1001+2j relay)",
      default: "30333",
    },
    {
      name: "rpc-port",
      type: "string",
      value: "PORT",
      help: "First validator's RPC port (validator i: +i; collator j: +44+j)",
      default: "9944",
    },
    {
      name: "prometheus-port",
      type: "string",
      value: "PORT",
      help: "First validator's Prometheus port (validator i: +i; collator j: +10+j)",
      default: "9615",
    },
    {
      name: "log",
      short: "l",
      type: "string",
      multiple: true,
      value: "LOG_PATTERN",
      help: "The nodes' log directives (their log files)",
      default: "info",
    },
    {
      name: "exit-after",
      type: "string",
      value: "N",
      help: "Stop after N parablocks are included (scripts and tests)",
    },
  ],
};

/** One node of the devnet. */
interface DevnetNode {
  name: string;
  kind: "validator" | "collator";
  args: string[];
  log: string;
  rpc: number;
  prometheus: number;
  p2p: number;
  relayP2p?: number;
  peerId: string;
  child?: ChildProcess;
  exited?: { code: number | null; signal: NodeJS.Signals | null };
}

/** Zombienet's node key: sha256 of the node name. */
const nodeKeyOf = (name: string) => createHash("sha256").update(name).digest("hex");

async function portFree(port: number): Promise<boolean> {
  return (await bindError(port, "127.0.0.1")) === undefined;
}

/** The last `n` lines of a file. */
function tail(path: string, n: number): string[] {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-n);
  } catch {
    return [];
  }
}

async function scrape(port: number): Promise<Map<string, number> | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? parseMetricsText(await res.text()) : undefined;
  } catch {
    return undefined;
  }
}

/** The flags every devnet node gets: its node key, loopback listen address, RPC and Prometheus ports. */
const endpointArgs = (n: DevnetNode) => [
  "--node-key",
  nodeKeyOf(n.name),
  "--listen-addr",
  `/ip4/127.0.0.1/tcp/${n.p2p}`,
  "--rpc-port",
  String(n.rpc),
  "--rpc-cors",
  "all",
  "--prometheus-port",
  String(n.prometheus),
];

/** The parapipe binary this process runs from. */
export const PARAPIPE_BIN = fileURLToPath(new URL("../../../bin/parapipe.js", import.meta.url));

/** Runs the devnet until Ctrl-C / SIGTERM (or `--exit-after`); returns the exit code. */
export async function devnetCommand(argv: string[]): Promise<number> {
  const args = parseArgs(DEVNET_COMMAND, argv);
  if (args.help) return printHelp(DEVNET_COMMAND);
  const cmd = DEVNET_COMMAND.name;
  const nv = int(args, cmd, "validators", 4, 2, DEV_NAMES.length);
  const nc = int(args, cmd, "collators", 2, 1, DEV_NAMES.length);
  const slotMs = int(args, cmd, "slot-ms", 6000, 500, 600_000);
  const mode = bool(args, "sync") ? "sync" : "async";
  const p2p = int(args, cmd, "port", DEFAULT_PORTS.p2p, 1, 64000);
  const rpc = int(args, cmd, "rpc-port", DEFAULT_PORTS.rpc, 1, 65000);
  const prom = int(args, cmd, "prometheus-port", DEFAULT_PORTS.prometheus, 1, 65000);
  const exitAfter = str(args, "exit-after") === undefined ? undefined : int(args, cmd, "exit-after", 1, 1, 1_000_000);
  const logDirectives = list(args, "log");
  const given = str(args, "base-path");
  const temporary = given === undefined;
  const base = ensureWritableDir(given ?? tmpBasePath("parapipe-devnet-"));
  const out = (s: string) => process.stdout.write(`${s}\n`);

  await cryptoReady();
  const validators = DEV_NAMES.slice(0, nv);
  const collators = DEV_NAMES.slice(0, nc);
  // The ids name what changes the genesis, so a reused base path never opens another devnet's database.
  const specs = devChainSpecs({
    mode,
    relaySlotMs: slotMs,
    validators: [...validators],
    collators: [...collators],
    variant: `devnet_${mode}_${slotMs}ms_${nv}v${nc}c`,
  });
  const relaySpecPath = join(base, "relay.json");
  const paraSpecPath = join(base, "para.json");
  writeFileSync(relaySpecPath, `${JSON.stringify(chainSpecToJson(specs.relay), null, 2)}\n`);
  writeFileSync(paraSpecPath, `${JSON.stringify(chainSpecToJson(specs.para), null, 2)}\n`);

  // Nodes, keys and ports (Zombienet's conventions: node key = sha256(name), bootnodes by PeerId).
  const nodes: DevnetNode[] = [];
  const validatorAddrs: string[] = [];
  for (const [i, v] of validators.entries()) {
    const name = v.toLowerCase();
    const key = nodeKeyOf(name);
    const peerId = await peerIdOf(nodeKeyFromHex(key));
    validatorAddrs.push(`/ip4/127.0.0.1/tcp/${p2p + i}/p2p/${peerId}`);
    nodes.push({
      name,
      kind: "validator",
      args: [],
      log: join(base, `${name}.log`),
      rpc: rpc + i,
      prometheus: prom + i,
      p2p: p2p + i,
      peerId,
    });
  }
  for (const [i, v] of validators.entries()) {
    const n = nodes[i] as DevnetNode;
    n.args = [
      "validator",
      "--chain",
      relaySpecPath,
      "--base-path",
      join(base, n.name),
      "--name",
      v,
      `--${n.name}`,
      ...endpointArgs(n),
      ...validatorAddrs.filter((_, j) => j !== i).flatMap((a) => ["--bootnodes", a]),
    ];
  }
  const collatorAddrs: string[] = [];
  const collatorNodes: DevnetNode[] = [];
  for (const [j, c] of collators.entries()) {
    const name = `collator-${c.toLowerCase()}`;
    const peerId = await peerIdOf(nodeKeyFromHex(nodeKeyOf(name)));
    const port = p2p + 1000 + 2 * j;
    collatorAddrs.push(`/ip4/127.0.0.1/tcp/${port}/p2p/${peerId}`);
    collatorNodes.push({
      name,
      kind: "collator",
      args: [],
      log: join(base, `${name}.log`),
      rpc: rpc + 44 + j,
      prometheus: prom + 10 + j,
      p2p: port,
      relayP2p: port + 1,
      peerId,
    });
  }
  for (const [j, c] of collators.entries()) {
    const n = collatorNodes[j] as DevnetNode;
    n.args = [
      "collator",
      "--collator",
      "--chain",
      paraSpecPath,
      "--base-path",
      join(base, n.name),
      "--name",
      n.name,
      `--${c.toLowerCase()}`,
      ...endpointArgs(n),
      ...collatorAddrs.filter((_, k) => k !== j).flatMap((a) => ["--bootnodes", a]),
      "--",
      "--chain",
      relaySpecPath,
      "--node-key",
      nodeKeyOf(`${n.name}-relay`),
      "--listen-addr",
      `/ip4/127.0.0.1/tcp/${n.relayP2p}`,
      ...validatorAddrs.flatMap((a) => ["--bootnodes", a]),
    ];
  }
  nodes.push(...collatorNodes);
  for (const n of nodes)
    for (const [what, port] of [
      ["p2p", n.p2p],
      ["relay p2p", n.relayP2p],
      ["RPC", n.rpc],
      ["Prometheus", n.prometheus],
    ] as const)
      if (port !== undefined && !(await portFree(port)))
        throw new CliError(
          { code: "PORT_IN_USE", port, what: `${n.name} ${what}` },
          `port ${port} (${n.name} ${what}) is already in use: stop what holds it or pass --port/--rpc-port/--prometheus-port`,
        );

  out(
    `parapipe devnet: ${nv} validators, para ${specs.para.paraId} with ${nc} collators, ${mode.toUpperCase()} backing, relay slot ${slotMs} ms`,
  );
  out(
    `base path ${base}${temporary && !bool(args, "keep") ? " (removed on exit; --keep or --base-path to keep it)" : ""}`,
  );
  out(`specs ${relaySpecPath}, ${paraSpecPath}\n`);

  // Start the nodes. The IPC channel ties each child to this process: if the devnet dies, they stop.
  let stopping = false;
  let failed = false;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((r) => {
    finish = r;
  });
  const env = { ...process.env };
  for (const n of nodes) {
    const fd = openSync(n.log, "a");
    // Node flags go before a collator's `--` (what follows configures its relay node).
    const logArgs = [...logDirectives.flatMap((d) => ["--log", d]), "--log-format", "pretty"];
    const sep = n.args.indexOf("--");
    const nodeArgs = sep < 0 ? [...n.args, ...logArgs] : [...n.args.slice(0, sep), ...logArgs, ...n.args.slice(sep)];
    const child = spawn(process.execPath, [PARAPIPE_BIN, ...nodeArgs], {
      stdio: ["ignore", fd, fd, "ipc"],
      env,
    });
    closeSync(fd);
    n.child = child;
    child.on("exit", (code, signal) => {
      n.exited = { code, signal };
      if (stopping) return;
      failed = true;
      out(`\n✖ ${n.name} exited (${signal ?? `code ${code}`}); last lines of ${n.log}:`);
      for (const l of tail(n.log, 20)) out(`  │ ${l}`);
      const alive = nodes.filter((m) => m.kind === n.kind && !m.exited).length;
      if (alive === 0) {
        out(`no ${n.kind} left: stopping the devnet`);
        void stop(1);
      }
    });
  }

  out(`${"node".padEnd(16)} ${"pid".padEnd(8)} ${"RPC (ws/http)".padEnd(24)} ${"Prometheus".padEnd(34)} p2p`);
  for (const n of nodes)
    out(
      `${n.name.padEnd(16)} ${String(n.child?.pid ?? "-").padEnd(8)} ${`ws://127.0.0.1:${n.rpc}`.padEnd(24)} ${`http://127.0.0.1:${n.prometheus}/metrics`.padEnd(34)} /ip4/127.0.0.1/tcp/${n.p2p}/p2p/${n.peerId}${n.relayP2p ? ` (relay: tcp/${n.relayP2p})` : ""}`,
    );
  out(`logs: ${base}/<node>.log\n`);

  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    clearInterval(live);
    const running = nodes.filter((n) => n.child && !n.exited);
    await Promise.all(
      running.map(
        (n) =>
          new Promise<void>((resolve) => {
            const c = n.child as ChildProcess;
            const kill = setTimeout(() => c.kill("SIGKILL"), 15_000);
            c.once("exit", () => {
              clearTimeout(kill);
              resolve();
            });
            c.kill("SIGTERM");
          }),
      ),
    );
    if (temporary && !bool(args, "keep")) removeTree(base);
    out(`stopped ${running.length} nodes${temporary && !bool(args, "keep") ? `, removed ${base}` : ""}`);
    finish(failed ? 1 : code);
  };
  const onSignal = () => void stop(0);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  // The live view: one line per new relay block, from the nodes' Prometheus endpoints.
  const v0 = nodes.find((n) => n.kind === "validator" && !n.exited) as DevnetNode;
  let lastRelay = -1;
  let polling = false;
  const live = setInterval(
    async () => {
      if (polling || stopping) return;
      polling = true;
      try {
        const v = await scrape((nodes.find((n) => n.kind === "validator" && !n.exited) ?? v0).prometheus);
        const c = await scrape((nodes.find((n) => n.kind === "collator" && !n.exited) ?? v0).prometheus);
        const relayBest = v?.get('substrate_block_height{status="best"}');
        if (relayBest === undefined || relayBest === lastRelay) return;
        lastRelay = relayBest;
        const g = (k: string) => c?.get(k);
        const fmt = (x: number | undefined) => (x === undefined ? "?" : `#${x}`);
        const backedPara = g('parapipe_para_last_backed{of="para"}');
        const inclPara = g('parapipe_para_last_included{of="para"}');
        out(
          [
            `relay ${fmt(relayBest)} (fin ${fmt(v?.get('substrate_block_height{status="finalized"}'))})`,
            `para best ${fmt(g('substrate_block_height{status="best"}'))} incl ${fmt(g("parapipe_para_included_height"))} fin ${fmt(g('substrate_block_height{status="finalized"}'))}`,
            `segment ${g("parapipe_para_segment_length") ?? "?"}`,
            `backed ${backedPara === undefined ? "-" : `para #${backedPara} @relay #${g('parapipe_para_last_backed{of="relay"}')}`}`,
            `included ${inclPara === undefined || inclPara === 0 ? "-" : `para #${inclPara} @relay #${g('parapipe_para_last_included{of="relay"}')}`}`,
          ].join(" │ "),
        );
        if (exitAfter !== undefined && (g("parapipe_para_included_height") ?? 0) >= exitAfter) void stop(0);
      } finally {
        polling = false;
      }
    },
    Math.min(1000, Math.max(200, slotMs / 4)),
  );

  const code = await done;
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  return code;
}
