/**
 * The scale section's networks: N relay validators and P paras with C collators each, every node its own
 * `parapipe` process (so CPU and RSS are per node), on loopback with free ports, under one directory.
 *
 * The harness's `startNetwork` runs one para (2000) with dev-named nodes (at most six); the scale grid needs up
 * to twelve validators and three paras, so this module lays the network out itself with the harness's pieces
 * (`freePort`, `RpcClient`, `ProcessRegistry`, the `parapipe` binary) and the same command lines as
 * `parapipe devnet` / the harness's process mode:
 *
 * - one relay spec (`devRelaySpec`) with every para registered at genesis (one core and backing group each);
 * - one para spec per para (`devChainSpecs({paraId})`, chain id `parapipe_para_<variant>_<paraId>`);
 * - validators `Val01` ... with the `//Val01` ... session keys in their keystores (`--validator`);
 * - para `k`'s collators are the dev accounts `2k`, `2k+1` (Alice/Bob for para 2000, Charlie/Dave for 2001,
 *   Eve/Ferdie for 2002), `--alice` style, each with its embedded relay node bootstrapped from the validators.
 */
import { execFile, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  freePort,
  PARAPIPE,
  type ProcessRegistry,
  parasHeadsKey,
  RpcClient,
  TrackedChild,
  tailFile,
} from "@parapipe/harness";
import { generateNodeKey, type NodeKey, nodeKeyToHex, peerIdOf } from "@parapipe/network";
import {
  type ChainSpec,
  chainSpecToJson,
  cryptoReady,
  decodeHeader,
  devKeypair,
  fromHex,
  toHex,
  registry as wireRegistry,
} from "@parapipe/primitives";
import { type BackingMode, devChainSpecs, devRelaySpec, paraRuntimeFromSpec } from "@parapipe/runtime";

/** The dev accounts collators are named after, two per para. */
const COLLATOR_NAMES = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"] as const;

/** What a scale network is made of. */
export interface ScaleNetworkOptions {
  /** Relay validators (any count from 1). */
  validators: number;
  /** Paras 2000, 2001, ... (1 to 3: two collators each, six dev accounts in all). */
  paras: number;
  /** Collators per para (1 or 2). */
  collatorsPerPara: number;
  relaySlotMs: number;
  mode: BackingMode;
  /** The directory the specs, base paths and logs go to (created). */
  dir: string;
  /** The nodes' log directives. */
  logLevel: string;
  /** How long every node may take to serve RPC. */
  startTimeoutMs: number;
}

/** A node of a scale network: one `parapipe` process. */
export interface ScaleNode {
  name: string;
  kind: "validator" | "collator";
  /** The para a collator builds for. */
  paraId?: number;
  rpc: RpcClient;
  prometheusPort: number;
  logFile: string;
  /** The process id, once started. */
  readonly pid: number | undefined;
  readonly alive: boolean;
  /** `{code, signal}` once the process exited. */
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

/** The error of a scale network that could not start or be read. */
export class ScaleError extends Error {
  constructor(
    readonly code: "NODE_START_FAILED" | "BAD_OPTIONS" | "READ_FAILED",
    message: string,
  ) {
    super(message);
    this.name = "ScaleError";
  }
}

interface Layout {
  name: string;
  kind: "validator" | "collator";
  paraId?: number;
  devName: string;
  basePath: string;
  logFile: string;
  p2p: number;
  rpc: number;
  prometheus: number;
  relayP2p?: number;
  nodeKey: NodeKey;
  peerId: string;
  relayNodeKey?: NodeKey;
  relayPeerId?: string;
}

class ProcessNode implements ScaleNode {
  readonly rpc: RpcClient;
  child?: TrackedChild;

  constructor(readonly l: Layout) {
    this.rpc = new RpcClient(() => `127.0.0.1:${l.rpc}`);
  }
  get name(): string {
    return this.l.name;
  }
  get kind(): "validator" | "collator" {
    return this.l.kind;
  }
  get paraId(): number | undefined {
    return this.l.paraId;
  }
  get prometheusPort(): number {
    return this.l.prometheus;
  }
  get logFile(): string {
    return this.l.logFile;
  }
  get pid(): number | undefined {
    return this.child?.alive ? this.child.child.pid : undefined;
  }
  get alive(): boolean {
    return this.child?.alive === true;
  }
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.child?.exit;
  }
  get multiaddr(): string {
    return `/ip4/127.0.0.1/tcp/${this.l.p2p}/p2p/${this.l.peerId}`;
  }
}

/** A running scale network. */
export interface ScaleNetwork {
  validators: ScaleNode[];
  collators: ScaleNode[];
  nodes(): ScaleNode[];
  paraIds: number[];
  relaySpec: ChainSpec;
  /** Stops every node (SIGTERM, then SIGKILL); safe to call twice. The directory stays (the caller owns it). */
  close(): Promise<void>;
}

/** Starts the network; every process is tracked by `registry` (the caller's cleanup kills them). */
export async function startScaleNetwork(o: ScaleNetworkOptions, registry: ProcessRegistry): Promise<ScaleNetwork> {
  if (!(o.paras >= 1 && o.paras * o.collatorsPerPara <= COLLATOR_NAMES.length && o.collatorsPerPara >= 1))
    throw new ScaleError(
      "BAD_OPTIONS",
      `${o.paras} paras × ${o.collatorsPerPara} collators: at most ${COLLATOR_NAMES.length} collators (the dev accounts)`,
    );
  if (!(o.validators >= 1)) throw new ScaleError("BAD_OPTIONS", `validators: at least 1, found ${o.validators}`);
  await cryptoReady();
  mkdirSync(o.dir, { recursive: true });
  const variant = `scale_${o.validators}v${o.paras}p_${o.relaySlotMs}ms`;
  const validatorNames = Array.from({ length: o.validators }, (_, i) => `Val${String(i + 1).padStart(2, "0")}`);
  const paraIds = Array.from({ length: o.paras }, (_, i) => 2000 + i);
  const paraSpecs = paraIds.map((paraId, i) => {
    const collators = COLLATOR_NAMES.slice(i * o.collatorsPerPara, (i + 1) * o.collatorsPerPara);
    const { para } = devChainSpecs({
      mode: o.mode,
      relaySlotMs: o.relaySlotMs,
      validators: validatorNames,
      collators: [...collators],
      paraId,
      variant,
    });
    // Each para chain its own id (the id names the database directory and is what logs and RPC show).
    return { paraId, collators: [...collators], spec: { ...para, id: `${para.id}_${paraId}` } };
  });
  const relaySpec = devRelaySpec({
    mode: o.mode,
    relaySlotMs: o.relaySlotMs,
    validators: validatorNames,
    paras: paraSpecs.map((p) => {
      const { genesisHead, code } = paraGenesisOf(p.spec);
      return { id: p.paraId, genesisHead, code };
    }),
    variant,
  });
  const relayFile = join(o.dir, "relay.json");
  writeFileSync(relayFile, `${JSON.stringify(chainSpecToJson(relaySpec), null, 2)}\n`);
  const paraFiles = new Map<number, string>();
  for (const p of paraSpecs) {
    const f = join(o.dir, `para-${p.paraId}.json`);
    writeFileSync(f, `${JSON.stringify(chainSpecToJson(p.spec), null, 2)}\n`);
    paraFiles.set(p.paraId, f);
  }

  const layout = async (
    kind: "validator" | "collator",
    name: string,
    devName: string,
    paraId?: number,
  ): Promise<Layout> => {
    const nodeKey = generateNodeKey();
    const relayNodeKey = kind === "collator" ? generateNodeKey() : undefined;
    return {
      name,
      kind,
      devName,
      ...(paraId === undefined ? {} : { paraId }),
      basePath: join(o.dir, name),
      logFile: join(o.dir, `${name}.log`),
      p2p: await freePort(),
      rpc: await freePort(),
      prometheus: await freePort(),
      ...(kind === "collator" ? { relayP2p: await freePort() } : {}),
      nodeKey,
      peerId: await peerIdOf(nodeKey),
      ...(relayNodeKey ? { relayNodeKey, relayPeerId: await peerIdOf(relayNodeKey) } : {}),
    };
  };
  const validators: ProcessNode[] = [];
  for (const v of validatorNames) validators.push(new ProcessNode(await layout("validator", v.toLowerCase(), v)));
  const collators: ProcessNode[] = [];
  for (const p of paraSpecs)
    for (const c of p.collators)
      collators.push(new ProcessNode(await layout("collator", `collator-${p.paraId}-${c.toLowerCase()}`, c, p.paraId)));

  // Validators author with a session key from their keystore, as `parapipe key insert` leaves it.
  for (const v of validators) {
    const dir = join(v.l.basePath, "chains", relaySpec.id, "keystore");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const pub = toHex(devKeypair(v.l.devName).publicKey).slice(2);
    writeFileSync(join(dir, `${Buffer.from("aura").toString("hex")}${pub}`), JSON.stringify(`//${v.l.devName}`), {
      mode: 0o600,
    });
  }

  const common = (n: ProcessNode, bootnodes: string[]) => [
    "--base-path",
    n.l.basePath,
    "--name",
    n.l.name,
    "--node-key",
    nodeKeyToHex(n.l.nodeKey),
    "--listen-addr",
    `/ip4/127.0.0.1/tcp/${n.l.p2p}`,
    "--rpc-port",
    String(n.l.rpc),
    "--rpc-cors",
    "all",
    "--prometheus-port",
    String(n.l.prometheus),
    "--log",
    o.logLevel,
    "--log-format",
    "json",
    ...bootnodes.flatMap((a) => ["--bootnodes", a]),
  ];
  const argsOf = (n: ProcessNode): string[] => {
    if (n.kind === "validator")
      return [
        "validator",
        "--validator",
        "--chain",
        relayFile,
        ...common(
          n,
          validators.filter((x) => x !== n).map((x) => x.multiaddr),
        ),
      ];
    const peers = collators.filter((x) => x !== n && x.paraId === n.paraId).map((x) => x.multiaddr);
    return [
      "collator",
      "--collator",
      `--${n.l.devName.toLowerCase()}`,
      "--chain",
      paraFiles.get(n.paraId!)!,
      ...common(n, peers),
      "--",
      "--chain",
      relayFile,
      "--node-key",
      nodeKeyToHex(n.l.relayNodeKey!),
      "--listen-addr",
      `/ip4/127.0.0.1/tcp/${n.l.relayP2p}`,
      ...validators.flatMap((v) => ["--bootnodes", v.multiaddr]),
    ];
  };

  let closing: Promise<void> | undefined;
  const all = () => [...validators, ...collators];
  const net: ScaleNetwork = {
    validators,
    collators,
    nodes: all,
    paraIds,
    relaySpec,
    close() {
      closing ??= (async () => {
        const stop = async (n: ProcessNode) => {
          n.rpc.close();
          const c = n.child;
          if (c && !(await c.kill("SIGTERM", 15_000))) await c.kill("SIGKILL", 10_000);
        };
        // Para nodes first (they follow the validators), then the validators.
        await Promise.all(collators.map(stop));
        await Promise.all(validators.map(stop));
      })();
      return closing;
    },
  };

  try {
    for (const n of all()) {
      mkdirSync(n.l.basePath, { recursive: true });
      const fd = openSync(n.l.logFile, "a");
      // The IPC channel ties the child to this process: if this one dies (even of SIGKILL), the node stops.
      const child = spawn(process.execPath, [PARAPIPE, ...argsOf(n)], {
        stdio: ["ignore", fd, fd, "ipc"],
        env: { ...process.env },
      });
      closeSync(fd);
      n.child = new TrackedChild(child);
      registry.track(n.child);
    }
    const started = await Promise.allSettled(all().map((n) => waitServing(n, o.startTimeoutMs)));
    const failed = started.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    return net;
  } catch (e) {
    await net.close();
    throw e;
  }
}

/** The para's genesis head and validation code, as `devChainSpecs` registers them on its relay spec. */
function paraGenesisOf(paraSpec: ChainSpec): { genesisHead: Uint8Array; code: Uint8Array } {
  const { runtime, genesis } = paraRuntimeFromSpec(paraSpec);
  return { genesisHead: runtime.genesis(genesis).header, code: runtime.code };
}

async function waitServing(n: ProcessNode, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (!n.alive) break;
    try {
      const addrs = await n.rpc.call<string[]>("system_localListenAddresses");
      if (addrs.length > 0) return;
      last = "not listening yet";
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const why = n.alive ? `not serving RPC after ${timeoutMs} ms (${last})` : `exited ${JSON.stringify(n.exit)}`;
  throw new ScaleError(
    "NODE_START_FAILED",
    `${n.name} failed to start: ${why}; last lines of ${n.logFile}:\n${tailFile(n.logFile, 15).join("\n")}`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Chain reads

/** The para block number in `Paras.Heads(paraId)` at relay block `hash`, or undefined if the para has none. */
export async function includedAt(rpc: RpcClient, paraId: number, hash: string): Promise<number | undefined> {
  const raw = await rpc.call<string | null>("state_getStorage", [parasHeadsKey(paraId), hash]);
  if (raw === null) return undefined;
  const head = wireRegistry.createType("Bytes", fromHex(raw)).toU8a(true);
  return decodeHeader(head).number.toNumber();
}

/** The best relay block's number and hash. */
export async function bestOf(rpc: RpcClient): Promise<{ number: number; hash: string }> {
  const hash = await rpc.call<string>("chain_getBlockHash", []);
  const header = await rpc.call<{ number: string }>("chain_getHeader", [hash]);
  return { number: Number.parseInt(header.number, 16), hash };
}

// ---------------------------------------------------------------------------------------------------------------
// Processes: CPU and RSS from procfs

/** `getconf CLK_TCK`: Linux reports utime/stime in these ticks (100 on every mainstream kernel config). */
const CLOCK_TICKS = 100;

/** utime + stime of a process in seconds (every thread, the PVF workers included), or undefined if it is gone. */
export function cpuSecondsOf(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: fields are counted after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return (utime + stime) / CLOCK_TICKS;
}

/** VmRSS of a process in MB (MiB), with its anonymous and file-backed parts; undefined if it is gone. */
export function memoryOf(pid: number): { rss: number; anon: number; file: number } | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(status);
    return m ? Number(m[1]) / 1024 : undefined;
  };
  const rss = kb("VmRSS");
  if (rss === undefined) return undefined;
  return { rss, anon: kb("RssAnon") ?? 0, file: kb("RssFile") ?? 0 };
}

/** The machine's CPU time so far, from `/proc/stat`'s `cpu` line: busy and total, in seconds over all cores. */
export function machineCpuSeconds(): { busy: number; total: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync("/proc/stat", "utf8");
  } catch {
    return undefined;
  }
  const line = stat.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) return undefined;
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, x) => a + x, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS };
}

/** What loading parapipe's code costs a process, before it runs a node. */
export interface CodeBaseline {
  rssMb: number;
  anonMb: number;
  fileMb: number;
  /** V8 heap in use after the imports. */
  heapUsedMb: number;
}

/**
 * The RSS of a bare `node` process that only imports what a `parapipe` node imports (the polyfill, the
 * primitives with the WASM crypto ready, runtime, node, relay-validator, collator, cli) and runs nothing: the
 * floor under every node's RSS. Undefined if the probe fails.
 */
export async function codeBaseline(): Promise<CodeBaseline | undefined> {
  const script = [
    'await import("@parapipe/primitives/polyfill");',
    'const p = await import("@parapipe/primitives");',
    "await p.cryptoReady();",
    'for (const m of ["@parapipe/runtime", "@parapipe/node", "@parapipe/relay-validator", "@parapipe/collator", "@parapipe/cli"]) await import(m);',
    'const s = (await import("node:fs")).readFileSync("/proc/self/status", "utf8");',
    'const kb = (f) => Number(new RegExp("^" + f + ":\\\\s+(\\\\d+)", "m").exec(s)?.[1] ?? NaN) / 1024;',
    'console.log(JSON.stringify({ rssMb: kb("VmRSS"), anonMb: kb("RssAnon"), fileMb: kb("RssFile"), heapUsedMb: process.memoryUsage().heapUsed / 1048576 }));',
  ].join("\n");
  // Resolved from the repository root (bench/suite/dist/ is three levels down), where the workspaces link.
  const cwd = fileURLToPath(new URL("../../../", import.meta.url));
  return new Promise((resolve) => {
    execFile(process.execPath, ["--input-type=module", "-e", script], { cwd, timeout: 60_000 }, (err, stdout) => {
      if (err) return resolve(undefined);
      try {
        const v = JSON.parse(stdout.trim().split("\n").pop() ?? "") as CodeBaseline;
        resolve(Number.isFinite(v.rssMb) ? v : undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Prometheus

/** One sample of a Prometheus text exposition. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (comments skipped). */
export function parsePrometheus(text: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    const value = Number(m[3]);
    if (Number.isFinite(value)) out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** Scrapes a node's Prometheus endpoint (empty when it does not answer). */
export async function scrape(node: ScaleNode): Promise<MetricSample[]> {
  try {
    const res = await fetch(`http://127.0.0.1:${node.prometheusPort}/metrics`, { signal: AbortSignal.timeout(10_000) });
    return parsePrometheus(await res.text());
  } catch {
    return [];
  }
}

/** The sum of the samples named `name` whose labels include `labels`. */
export function metricSum(samples: readonly MetricSample[], name: string, labels: Record<string, string> = {}): number {
  let s = 0;
  for (const x of samples)
    if (x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v)) s += x.value;
  return s;
}
