/**
 * Network namespaces for process nodes (issue 7, fault injection at the kernel level): each `parapipe` process
 * runs in a namespace of its own with its own address, and links are cut with nftables drop rules, so a cut
 * node's sockets see what a real partition does (packets vanish; nothing in the node knows it is a test).
 *
 * Layout of network `k` (0..255), chosen so that the root namespace holds as little as possible:
 *
 * ```
 *  root namespace                 parapipe-k-sw (the switch)                 parapipe-k-n<i> (node i)
 *  pp<k> 10.213.k.1/24  <-veth->  host ─┐
 *                                        br0 (bridge), nft table bridge parapipe_k
 *                                 n<i> ─┘                      <-veth->      eth0 10.213.k.<10+i>/24, lo
 * ```
 *
 * The test process reaches every node's RPC and Prometheus through `pp<k>`; nodes reach each other through the
 * bridge. The drop rules sit on the bridge's forward hook in the switch namespace (`bridge` family, so they do not
 * depend on `br_netfilter`), and traffic to or from the `host` port is never dropped: a cut-off node stays
 * observable. Nothing is bridged in the root namespace, so the host's firewall (Docker's `FORWARD` policy, say)
 * cannot interfere. Deleting the namespaces deletes the bridge, the table and every veth (`pp<k>` too).
 *
 * Network ids are claimed with a lock file per id (`/run/parapipe-netns/<k>.lock`, owner pid and boot id), so
 * concurrent test processes never share one, and an id whose owner died (a crashed or SIGKILLed run) is cleaned
 * before it is used again.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HarnessError } from "./errors.js";

/** Whether this machine can run nodes in network namespaces, and if not, why (what a test's skip reason says). */
export type NetnsAvailability = { ok: true } | { ok: false; reason: string };

/** The first two octets of every network's /24 (`10.213.<k>.0/24`). */
export const NETNS_SUBNET_PREFIX = "10.213";
/** Network ids: one /24 each. */
export const NETNS_MAX_NETWORKS = 256;
/** Nodes of one network get `.11` to `.250`. */
export const NETNS_MAX_NODES = 240;

/** The names of network `id`'s objects (pure). */
export interface NetnsNames {
  id: number;
  /** The switch namespace, holding the bridge and the nft table. */
  switchNs: string;
  /** The prefix of every namespace of the network (`parapipe-<id>-`). */
  nsPrefix: string;
  /** The bridge in the switch namespace. */
  bridge: string;
  /** The veth end in the root namespace (the only object there). */
  hostLink: string;
  /** Its peer, a bridge port in the switch namespace. */
  hostPort: string;
  /** The address of `hostLink`: where the test process talks to the nodes from. */
  hostAddress: string;
  /** The nft table (family `bridge`) in the switch namespace. */
  table: string;
}

/** Where node `index` (1-based) of a network lives (pure). */
export interface NetnsSlot {
  index: number;
  /** Its namespace, `parapipe-<id>-n<index>`. */
  namespace: string;
  /** Its bridge port in the switch namespace, `n<index>` (the name nft rules use). */
  port: string;
  /** Its address, `10.213.<id>.<10 + index>`. */
  address: string;
}

/** The names of network `id` (0..255). */
export function netnsNames(id: number): NetnsNames {
  if (!(Number.isInteger(id) && id >= 0 && id < NETNS_MAX_NETWORKS))
    throw new HarnessError(
      { code: "BAD_OPTIONS", option: "netns id", reason: String(id) },
      `netns network id: expected 0 to ${NETNS_MAX_NETWORKS - 1}, found ${id}`,
    );
  return {
    id,
    switchNs: `parapipe-${id}-sw`,
    nsPrefix: `parapipe-${id}-`,
    bridge: "br0",
    hostLink: `pp${id}`,
    hostPort: "host",
    hostAddress: `${NETNS_SUBNET_PREFIX}.${id}.1`,
    table: `parapipe_${id}`,
  };
}

/** Node `index` (1-based) of network `id`. */
export function netnsSlot(id: number, index: number): NetnsSlot {
  const names = netnsNames(id);
  if (!(Number.isInteger(index) && index >= 1 && index <= NETNS_MAX_NODES))
    throw new HarnessError(
      { code: "BAD_OPTIONS", option: "netns node", reason: String(index) },
      `a netns network holds 1 to ${NETNS_MAX_NODES} nodes, node ${index} asked for`,
    );
  return {
    index,
    namespace: `${names.nsPrefix}n${index}`,
    port: `n${index}`,
    address: `${NETNS_SUBNET_PREFIX}.${id}.${10 + index}`,
  };
}

/**
 * The nft table of a network (an `nft -f` script, pure): a `forward` chain on the bridge that never drops what
 * goes to or comes from the test process (`host`), and drops every frame from or to a port in `isolated` and
 * every frame between a pair in `cut` (both directions are listed). Counters on the drop rules show the cut is
 * real. Deleting the table first makes the script idempotent (the `add table` before it makes the delete safe).
 */
export function nftTableScript(names: NetnsNames): string {
  const t = `bridge ${names.table}`;
  return [
    `add table ${t}`,
    `delete table ${t}`,
    `table ${t} {`,
    "  set isolated { type ifname; }",
    "  set cut { type ifname . ifname; }",
    "  chain forward {",
    "    type filter hook forward priority 0; policy accept;",
    `    iifname "${names.hostPort}" accept`,
    `    oifname "${names.hostPort}" accept`,
    "    iifname @isolated counter drop",
    "    oifname @isolated counter drop",
    "    iifname . oifname @cut counter drop",
    "  }",
    "}",
    "",
  ].join("\n");
}

/** What is cut in a network: ports cut off from every other node, and pairs of ports cut from each other. */
export interface LinkState {
  isolated: ReadonlySet<string>;
  /** Unordered pairs, as `a|b` with `a < b`. */
  cut: ReadonlySet<string>;
}

/** The key of the unordered pair `{a, b}` in `LinkState.cut`. */
export function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/**
 * An `nft -f` script that sets the table's sets to `state`, in one transaction (pure): both sets are flushed and
 * refilled, so applying a state twice is harmless and no packet sees a half-applied change.
 */
export function nftStateScript(names: NetnsNames, state: LinkState): string {
  const t = `bridge ${names.table}`;
  const lines = [`flush set ${t} isolated`, `flush set ${t} cut`];
  const quote = (s: string) => `"${s}"`;
  if (state.isolated.size > 0) lines.push(`add element ${t} isolated { ${[...state.isolated].map(quote).join(", ")} }`);
  if (state.cut.size > 0) {
    const pairs = [...state.cut].flatMap((k) => {
      const [a, b] = k.split("|") as [string, string];
      return [`${quote(a)} . ${quote(b)}`, `${quote(b)} . ${quote(a)}`];
    });
    lines.push(`add element ${t} cut { ${pairs.join(", ")} }`);
  }
  return `${lines.join("\n")}\n`;
}

/** The packets the drop rules dropped, summed from `nft -j list chain ... forward` output (pure). */
export function droppedPacketsOf(nftJson: string): number {
  const doc = JSON.parse(nftJson) as { nftables?: Array<{ rule?: { expr?: Array<Record<string, unknown>> } }> };
  let total = 0;
  for (const item of doc.nftables ?? []) {
    const expr = item.rule?.expr ?? [];
    if (!expr.some((e) => "drop" in e)) continue;
    for (const e of expr) {
      const c = e.counter as { packets?: number } | undefined;
      if (c && typeof c.packets === "number") total += c.packets;
    }
  }
  return total;
}

// ---------------------------------------------------------------------------------------------------------------
// Commands

const SBIN = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

/** The path of `name` on `PATH` or in the sbin directories (not on a non-root user's PATH), if executable. */
function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":").filter((d) => d !== ""), ...SBIN];
  for (const d of dirs) {
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

interface Tools {
  ip: string;
  nft: string;
}

function commandError(argv: string[], reason: string): HarnessError {
  const command = argv.join(" ");
  return new HarnessError({ code: "NETNS_FAILED", command, reason }, `\`${command}\` failed: ${reason}`);
}

/** Runs a command; rejects with `NETNS_FAILED` and its stderr. `input` goes to its stdin. */
function run(argv: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv as [string, ...string[]];
    const child = spawn(cmd, args, { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.once("error", (e) => reject(commandError(argv, e.message)));
    child.once("close", (code, signal) => {
      if (code === 0) resolve(out);
      else reject(commandError(argv, err.trim() || `exit ${code ?? signal}`));
    });
    if (child.stdin) {
      // A command that exits without reading its input (a failure) must not crash us with EPIPE.
      child.stdin.on("error", () => {});
      child.stdin.end(input);
    }
  });
}

/** Runs a command synchronously; true when it exited 0 (for probes and the exit hook). */
function runSyncOk(argv: string[], input?: string): boolean {
  const [cmd, ...args] = argv as [string, ...string[]];
  const r = spawnSync(cmd, args, {
    stdio: [input === undefined ? "ignore" : "pipe", "ignore", "ignore"],
    ...(input === undefined ? {} : { input }),
    timeout: 10_000,
  });
  return r.status === 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Availability

let availability: NetnsAvailability | undefined;

/**
 * Whether `isolation: "netns"` can work here: Linux, root (namespaces, veths and nftables need CAP_NET_ADMIN),
 * `ip` (iproute2) and `nft` (nftables) installed, and the kernel letting this process create a namespace with a
 * bridge and a `bridge` family nft table (a probe namespace is created and deleted; the answer is cached). Tests
 * skip with `reason` when `ok` is false.
 */
export function netnsAvailable(): NetnsAvailability {
  availability ??= probe();
  return availability;
}

function probe(): NetnsAvailability {
  if (process.platform !== "linux")
    return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` };
  const uid = process.getuid?.();
  if (uid !== 0)
    return { ok: false, reason: `not root (uid ${uid}): network namespaces and nftables need CAP_NET_ADMIN` };
  const tools = findTools();
  if (typeof tools === "string") return { ok: false, reason: tools };
  const ns = `parapipe-probe-${process.pid}`;
  try {
    if (!runSyncOk([tools.ip, "netns", "add", ns]))
      return { ok: false, reason: "`ip netns add` is not permitted here (no network namespaces)" };
    if (!runSyncOk([tools.ip, "-n", ns, "link", "add", "br0", "type", "bridge"]))
      return { ok: false, reason: "cannot create a bridge in a network namespace (no bridge support in the kernel)" };
    if (!runSyncOk([tools.ip, "netns", "exec", ns, tools.nft, "-f", "-"], "add table bridge probe\n"))
      return {
        ok: false,
        reason: "cannot create a `bridge` family nftables table (nf_tables without bridge support?)",
      };
    return { ok: true };
  } finally {
    runSyncOk([tools.ip, "netns", "del", ns]);
  }
}

function findTools(): Tools | string {
  const ip = findBinary("ip");
  if (ip === undefined) return "`ip` (iproute2) is not installed";
  const nft = findBinary("nft");
  if (nft === undefined) return "`nft` (nftables) is not installed";
  return { ip, nft };
}

// ---------------------------------------------------------------------------------------------------------------
// Ids and their locks

/** Where the per-id lock files live: `/run` (cleared on reboot, as namespaces are) when writable, else tmp. */
function lockDir(): string {
  for (const d of ["/run/parapipe-netns", join(tmpdir(), "parapipe-netns")]) {
    try {
      mkdirSync(d, { recursive: true });
      accessSync(d, constants.W_OK);
      return d;
    } catch {
      // try the next
    }
  }
  throw new HarnessError(
    { code: "NETNS_FAILED", command: "mkdir parapipe-netns", reason: "no writable lock directory" },
    "cannot create a lock directory for netns network ids (/run/parapipe-netns or the temp dir)",
  );
}

function bootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return "";
  }
}

interface LockOwner {
  pid: number;
  boot: string;
}

function ownerAlive(o: LockOwner | undefined): boolean {
  if (o === undefined || o.boot !== bootId()) return false;
  try {
    process.kill(o.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const o = JSON.parse(readFileSync(path, "utf8")) as Partial<LockOwner>;
    return typeof o.pid === "number" && typeof o.boot === "string" ? { pid: o.pid, boot: o.boot } : undefined;
  } catch {
    return undefined;
  }
}

/** Creates `path` holding this process as owner; false if it exists. */
function createLock(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
  writeSync(fd, JSON.stringify({ pid: process.pid, boot: bootId() }));
  closeSync(fd);
  return true;
}

/** Addresses in the root namespace inside `10.213.<id>.0/24` on a link that is not ours: that id is taken. */
function foreignSubnets(ip: string): Set<number> {
  const taken = new Set<number>();
  const r = spawnSync(ip, ["-4", "-o", "addr", "show"], { encoding: "utf8", timeout: 10_000 });
  for (const line of (r.stdout ?? "").split("\n")) {
    // "3: eth0    inet 10.213.4.7/24 brd ... scope global eth0"
    const m = /^\d+:\s+(\S+)\s+inet\s+(\d+)\.(\d+)\.(\d+)\.\d+\//.exec(line);
    if (!m) continue;
    const [, dev, a, b, c] = m as unknown as [string, string, string, string, string];
    if (`${a}.${b}` !== NETNS_SUBNET_PREFIX) continue;
    const id = Number(c);
    if (dev.split("@")[0] !== `pp${id}`) taken.add(id);
  }
  return taken;
}

/**
 * Deletes what network `id` may have left (namespaces `parapipe-<id>-*`, the root veth `pp<id>`), synchronously.
 * A namespace whose processes still run lives on unnamed until they exit; its veths go with it.
 */
function cleanupSync(tools: Tools, names: NetnsNames): void {
  const r = spawnSync(tools.ip, ["netns", "list"], { encoding: "utf8", timeout: 10_000 });
  for (const line of (r.stdout ?? "").split("\n")) {
    const ns = line.split(" ")[0] ?? "";
    if (ns.startsWith(names.nsPrefix)) runSyncOk([tools.ip, "netns", "del", ns]);
  }
  runSyncOk([tools.ip, "link", "del", names.hostLink]);
}

/**
 * Cleans id `id` if its lock's owner is dead (a crashed or SIGKILLed run) and removes the lock; with `claim`,
 * takes the lock for this process. One process at a time does this for an id (a guard file next to the lock).
 * True when `claim` was asked and the id is now ours.
 */
function takeOver(tools: Tools, dir: string, id: number, claim: boolean): boolean {
  const lock = join(dir, `${id}.lock`);
  const guard = `${lock}.takeover`;
  if (!createLock(guard)) {
    let age = 0;
    try {
      age = Date.now() - statSync(guard).mtimeMs;
    } catch {
      // removed meanwhile
    }
    // A takeover guard older than 30 s belongs to a process that died in the middle of one.
    if (age < 30_000 || ownerAlive(readOwner(guard))) return false;
    removeFile(guard);
    if (!createLock(guard)) return false;
  }
  try {
    if (ownerAlive(readOwner(lock))) return false;
    cleanupSync(tools, netnsNames(id));
    removeFile(lock);
    return claim && createLock(lock);
  } finally {
    removeFile(guard);
  }
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}

/**
 * Claims a free network id: first cleans every id whose owner died (so a crashed run's namespaces do not
 * outlive it by more than the next run's start), then takes the first id whose lock file it can create,
 * starting at this pid's slot so concurrent processes rarely probe the same ids.
 */
function claimId(tools: Tools): { id: number; lock: string } {
  const dir = lockDir();
  for (const f of readdirSync(dir)) {
    const m = /^(\d+)\.lock$/.exec(f);
    if (m && Number(m[1]) < NETNS_MAX_NETWORKS && !ownerAlive(readOwner(join(dir, f))))
      takeOver(tools, dir, Number(m[1]), false);
  }
  const foreign = foreignSubnets(tools.ip);
  for (let i = 0; i < NETNS_MAX_NETWORKS; i++) {
    const id = (process.pid + i) % NETNS_MAX_NETWORKS;
    if (foreign.has(id)) continue;
    const lock = join(dir, `${id}.lock`);
    if (createLock(lock)) return { id, lock };
    if (!ownerAlive(readOwner(lock)) && takeOver(tools, dir, id, true)) return { id, lock };
  }
  throw new HarnessError(
    { code: "NETNS_FAILED", command: "claim a network id", reason: "every id is taken" },
    `no free netns network id: all ${NETNS_MAX_NETWORKS} are in use (see ${dir})`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Exit hooks: a test process that dies without close() still removes its namespaces.

const live = new Set<NetnsNetwork>();
let hooked = false;

function onExit(): void {
  for (const n of live) n.closeSync();
}

function onSignal(signal: NodeJS.Signals): void {
  onExit();
  unhook();
  // The harness's process registry re-raises the signal too; whoever unhooks last makes it fatal.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", onExit);
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
}

function unhook(): void {
  if (!hooked) return;
  hooked = false;
  process.off("exit", onExit);
  process.off("SIGTERM", onSignal);
  process.off("SIGINT", onSignal);
}

// ---------------------------------------------------------------------------------------------------------------
// A network

/** A node's place in a `NetnsNetwork`. */
export interface NetnsNode extends NetnsSlot {
  /** The harness node name (`alice`). */
  name: string;
}

/**
 * The namespaces, bridge and nft table of one test network, and the link state applied to them. Created by
 * `startNetwork({processes: true, isolation: "netns"})` (reach it as `net.netns`); `close()` deletes everything.
 */
export class NetnsNetwork {
  readonly names: NetnsNames;
  private readonly nodes = new Map<string, NetnsNode>();
  private readonly isolated = new Set<string>();
  private readonly cut = new Set<string>();
  /** Serialises the commands that change the network (node namespaces, nft state). */
  private queue: Promise<unknown> = Promise.resolve();
  private closed: Promise<void> | undefined;
  private closedSync = false;

  private constructor(
    private readonly tools: Tools,
    id: number,
    private readonly lock: string,
  ) {
    this.names = netnsNames(id);
  }

  /**
   * Claims an id, removes whatever a dead run left under it, and creates the switch namespace with its bridge,
   * the root veth with the test process's address, and the nft table. Throws `ISOLATION_UNAVAILABLE` when
   * `netnsAvailable()` says no.
   */
  static async create(): Promise<NetnsNetwork> {
    const a = netnsAvailable();
    if (!a.ok)
      throw new HarnessError(
        { code: "ISOLATION_UNAVAILABLE", node: "network", reason: a.reason },
        `isolation "netns" is not available: ${a.reason}`,
      );
    const tools = findTools();
    if (typeof tools === "string")
      throw new HarnessError({ code: "ISOLATION_UNAVAILABLE", node: "network", reason: tools }, tools);
    const { id, lock } = claimId(tools);
    const net = new NetnsNetwork(tools, id, lock);
    live.add(net);
    hook();
    try {
      await net.setUp();
    } catch (e) {
      await net.close();
      throw e;
    }
    return net;
  }

  private async setUp(): Promise<void> {
    const { ip } = this.tools;
    const n = this.names;
    // Clean before create: a crashed run that held this id without a lock file (or lost it) left these.
    cleanupSync(this.tools, n);
    await run([ip, "netns", "add", n.switchNs]);
    await run([ip, "-n", n.switchNs, "link", "add", n.bridge, "type", "bridge"]);
    await run([ip, "-n", n.switchNs, "link", "set", n.bridge, "up"]);
    await run([ip, "link", "add", n.hostLink, "type", "veth", "peer", "name", n.hostPort, "netns", n.switchNs]);
    await run([ip, "addr", "add", `${n.hostAddress}/24`, "dev", n.hostLink]);
    await run([ip, "link", "set", n.hostLink, "up"]);
    await run([ip, "-n", n.switchNs, "link", "set", n.hostPort, "master", n.bridge, "up"]);
    await this.nft(nftTableScript(n));
  }

  /** The nodes placed so far. */
  list(): NetnsNode[] {
    return [...this.nodes.values()];
  }

  /** Node `name`'s namespace and address; throws `BAD_OPTIONS` for a node not in this network. */
  node(name: string): NetnsNode {
    const n = this.nodes.get(name);
    if (!n)
      throw new HarnessError(
        { code: "BAD_OPTIONS", option: "node", reason: name },
        `${name} is not in netns network ${this.names.id} (nodes: ${[...this.nodes.keys()].join(", ")})`,
      );
    return n;
  }

  /** Creates a namespace for node `name` with a veth to the bridge and the next address. */
  addNode(name: string): Promise<NetnsNode> {
    return this.serially(async () => {
      if (this.nodes.has(name)) return this.node(name);
      const slot = netnsSlot(this.names.id, this.nodes.size + 1);
      const { ip } = this.tools;
      const sw = this.names.switchNs;
      await run([ip, "netns", "add", slot.namespace]);
      await run([
        ip,
        "-n",
        sw,
        "link",
        "add",
        slot.port,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        slot.namespace,
      ]);
      await run([ip, "-n", sw, "link", "set", slot.port, "master", this.names.bridge, "up"]);
      await run([ip, "-n", slot.namespace, "addr", "add", `${slot.address}/24`, "dev", "eth0"]);
      await run([ip, "-n", slot.namespace, "link", "set", "eth0", "up"]);
      await run([ip, "-n", slot.namespace, "link", "set", "lo", "up"]);
      const node = { ...slot, name };
      this.nodes.set(name, node);
      return node;
    });
  }

  /** The argv prefix that runs a command in `name`'s namespace (`ip netns exec <ns>`, which execs in place). */
  execPrefix(name: string): string[] {
    return [this.tools.ip, "netns", "exec", this.node(name).namespace];
  }

  /** Cuts `name` off from every other node (the test process still reaches it). */
  isolate(name: string): Promise<void> {
    this.isolated.add(this.node(name).port);
    return this.apply();
  }

  /** Undoes `isolate(name)` and every `cut` involving `name`. */
  heal(name: string): Promise<void> {
    const port = this.node(name).port;
    this.isolated.delete(port);
    for (const k of [...this.cut]) if (k.split("|").includes(port)) this.cut.delete(k);
    return this.apply();
  }

  /** Cuts the link between `a` and `b` (both directions). */
  cutLink(a: string, b: string): Promise<void> {
    this.cut.add(linkKey(this.node(a).port, this.node(b).port));
    return this.apply();
  }

  /** Undoes `cutLink(a, b)` (an isolated `a` or `b` stays isolated). */
  restoreLink(a: string, b: string): Promise<void> {
    this.cut.delete(linkKey(this.node(a).port, this.node(b).port));
    return this.apply();
  }

  /** Packets dropped by the cut rules so far (the nft counters): proof that a cut was exercised. */
  async droppedPackets(): Promise<number> {
    const json = await run([
      this.tools.ip,
      "netns",
      "exec",
      this.names.switchNs,
      this.tools.nft,
      "-j",
      "list",
      "chain",
      "bridge",
      this.names.table,
      "forward",
    ]);
    return droppedPacketsOf(json);
  }

  /** Deletes the namespaces (and with them the bridge, veths and nft table) and releases the id; safe twice. */
  close(): Promise<void> {
    this.closed ??= this.queue.then(
      () => this.closeSync(),
      () => this.closeSync(),
    );
    return this.closed;
  }

  /** `close()`, synchronously (the exit hook). */
  closeSync(): void {
    if (this.closedSync) return;
    this.closedSync = true;
    cleanupSync(this.tools, this.names);
    removeFile(this.lock);
    live.delete(this);
    if (live.size === 0) unhook();
  }

  private apply(): Promise<void> {
    return this.serially(() => this.nft(nftStateScript(this.names, { isolated: this.isolated, cut: this.cut })));
  }

  private async nft(script: string): Promise<void> {
    await run([this.tools.ip, "netns", "exec", this.names.switchNs, this.tools.nft, "-f", "-"], script);
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed !== undefined || this.closedSync)
      return Promise.reject(
        new HarnessError(
          { code: "NETNS_FAILED", command: "netns", reason: "closed" },
          `netns network ${this.names.id} is closed`,
        ),
      );
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }
}
