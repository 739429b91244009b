import type { ConnectionGater, MultiaddrConnection, PeerId } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import type { Multiaddr } from "@multiformats/multiaddr";
import { errorMessage, NetworkError } from "./errors.js";
import type { NetworkLogger } from "./interface.js";

/**
 * Application-level fault injection for tests (issue 7): cut links, drop or delay gossip per topic, lose
 * request/response exchanges. Off unless a network is created with `faults: true` (or a `NetworkFaults` in its
 * modules). Nothing here needs privileges or kernel support (`tc netem` is not available on our machines).
 */

/** Which traffic a drop rule applies to: what this node receives, what it sends, or both. */
export type FaultDirection = "in" | "out" | "both";

/** Options of a `NetworkFaults`. */
export interface NetworkFaultsOptions {
  /**
   * Seeds the random draws of `dropRate`, `dropRequests` and delay jitter, so a test is reproducible. Each rule
   * has its own stream, derived from the seed and the rule's key and restarted when the rule is set, so the
   * k-th message a rule sees always gets the same draw. Without a seed `Math.random` is used.
   */
  seed?: number;
  /** Messages one topic's delay queue holds at most; beyond that they are dropped and counted. Default 1024. */
  maxDelayedPerTopic?: number;
}

/** Fault counters of one gossip topic (keyed by the full topic name). */
export interface GossipFaultCounts {
  /** Inbound messages that reached the fault filter (after gossipsub's duplicate check, before validation). */
  inbound: number;
  /** Inbound messages dropped by `dropRate`. */
  droppedIn: number;
  /** Inbound messages dropped because they came from a cut peer. */
  cutIn: number;
  /** Inbound messages held back by `delay`. */
  delayed: number;
  /** Inbound messages dropped because the topic's delay queue was full. */
  delayOverflow: number;
  /** Messages this node published on the topic. */
  outbound: number;
  /** Publishes dropped by `dropRate(..., { direction: "out" | "both" })`. */
  droppedOut: number;
}

/** Fault counters of one request/response protocol (keyed by the full protocol id). */
export interface RequestFaultCounts {
  /** Requests this node received. */
  inbound: number;
  /** Received requests left unanswered by `dropRequests`. */
  droppedIn: number;
  /** Received requests from a cut peer, reset at once. */
  cutIn: number;
  /** Requests this node sent (or tried to). */
  outbound: number;
  /** Sent requests lost by `dropRequests` (the caller got `TIMEOUT`). */
  droppedOut: number;
  /** Requests to a cut peer (the caller got `DIAL_FAILED`). */
  cutOut: number;
}

/** Connection-level fault counters. */
export interface ConnectionFaultCounts {
  /** Dials refused by the connection gater (ours, libp2p's reconnect queue, bootnode redials). */
  refusedDials: number;
  /** Inbound connections refused by the gater or closed right after opening. */
  refusedInbound: number;
  /** Outbound connections refused by the gater after the socket opened, or closed right after opening. */
  refusedOutbound: number;
  /** Established connections closed by `isolate`. */
  closed: number;
}

/** A snapshot of what fault injection did, so tests can assert the faults were real. */
export interface NetworkFaultStats {
  /** True while the whole node is cut off (`isolate()`). */
  isolated: boolean;
  /** Peers cut individually (`isolate(peerId)`). */
  cutPeers: string[];
  connections: ConnectionFaultCounts;
  gossip: Record<string, GossipFaultCounts>;
  requests: Record<string, RequestFaultCounts>;
}

/** What fault injection does to one request/response exchange. */
export type RequestFault = "pass" | "drop" | "cut";

/** The connection side of a network, which `isolate` and `heal` act on (implemented by the network). */
export interface FaultLink {
  /** Closes the connections to `peer` (every connection without it); returns the peers that were connected. */
  cut(peer: string | undefined): string[];
  /** Dials `peers` (those not cut) and the bootnodes again, so a healed node reconnects at once. */
  restore(peers: string[]): void;
}

/** The gossip service's view of fault injection. */
export interface GossipFaultFilter {
  /**
   * Called for every inbound gossip message before validation: `false` (or a promise of it) drops it. A
   * delayed message resolves after its delay.
   */
  admitGossip(topic: string, from: string): boolean | Promise<boolean>;
  /** Called for every publish: `true` drops it. */
  dropPublish(topic: string): boolean;
}

/** The request/response service's view of fault injection. */
export interface RequestFaultFilter {
  /** What happens to one request on protocol `name` (full id `protocol`) to or from `peer`. */
  requestFault(direction: "in" | "out", name: string, protocol: string, peer: string): RequestFault;
}

interface DropRule {
  fraction: number;
  direction: FaultDirection;
  random: () => number;
}

interface DelayRule {
  ms: number;
  jitterMs: number;
  random: () => number;
}

interface Held {
  /** `Date.now()` at which it may go on. */
  release: number;
  resolve: (released: boolean) => void;
}

/**
 * One topic's held messages, in arrival order, with one timer for the head. Release times never decrease and
 * messages leave strictly in order (separate timers could fire out of order: libuv measures their delays
 * from its cached loop time, not from `Date.now()`).
 */
interface DelayQueue {
  items: Held[];
  timer: ReturnType<typeof setTimeout> | undefined;
}

const DEFAULT_MAX_DELAYED = 1024;

/**
 * Fault injection for one network. Cutting a link is enforced at three levels: the libp2p connection gater
 * (`connectionGater()`) refuses dials and inbound/outbound connections, `isolate` closes the connections that
 * exist, and the gossip and request/response filters drop whatever still arrives from a cut peer. Gossip drops
 * and delays apply to inbound messages before validation; a dropped message is answered IGNORE to gossipsub
 * without reaching the topic's validator (not counted as a verdict, no score penalty, not forwarded).
 */
export class NetworkFaults implements GossipFaultFilter, RequestFaultFilter {
  private readonly random: (key: string) => () => number;
  private readonly maxDelayed: number;
  private isolatedAll = false;
  private readonly cutPeers = new Set<string>();
  /** Peers whose connections `isolate` closed: `heal` dials them again. */
  private readonly severed = new Set<string>();
  private readonly drops = new Map<string, DropRule>();
  private readonly requestDrops = new Map<string, DropRule>();
  private readonly delays = new Map<string, DelayRule>();
  private readonly queues = new Map<string, DelayQueue>();
  private readonly connections: ConnectionFaultCounts = {
    refusedDials: 0,
    refusedInbound: 0,
    refusedOutbound: 0,
    closed: 0,
  };
  private readonly gossip = new Map<string, GossipFaultCounts>();
  private readonly requests = new Map<string, RequestFaultCounts>();
  private link: FaultLink | undefined;
  private logger: NetworkLogger | undefined;
  private bound = false;

  constructor(opts: NetworkFaultsOptions = {}) {
    const { seed } = opts;
    if (seed !== undefined && !Number.isSafeInteger(seed))
      throw invalid("seed", String(seed), `invalid fault seed: expected a safe integer, found ${seed}`);
    this.random = seed === undefined ? () => Math.random : (key) => mulberry32(mix(seed, key));
    this.maxDelayed = opts.maxDelayedPerTopic ?? DEFAULT_MAX_DELAYED;
    if (!(Number.isSafeInteger(this.maxDelayed) && this.maxDelayed >= 0))
      throw invalid(
        "maxDelayedPerTopic",
        String(this.maxDelayed),
        `invalid maxDelayedPerTopic: expected a non-negative integer, found ${this.maxDelayed}`,
      );
  }

  // ---------------------------------------------------------------- links

  /**
   * Cuts the link to `peerId`, or, without it, cuts this node off from everyone: existing connections are
   * closed, new dials and inbound connections refused, and gossip or requests still in flight from a cut peer
   * are dropped. Other peers may still relay a cut peer's gossip (as after a real link failure).
   */
  isolate(peerId?: string): void {
    if (peerId === undefined) this.isolatedAll = true;
    else this.cutPeers.add(checkPeerId(peerId));
    const closed = this.link?.cut(peerId) ?? [];
    this.connections.closed += closed.length;
    for (const p of closed) this.severed.add(p);
    this.logger?.info({ peer: peerId ?? "*", closed: closed.length }, "Fault injection: link cut");
  }

  /**
   * Undoes `isolate(peerId)`; without an argument, undoes every cut (the whole-node one and each peer's). The
   * peers whose connections were closed and the bootnodes are dialled again at once.
   */
  heal(peerId?: string): void {
    let redial: string[];
    if (peerId === undefined) {
      this.isolatedAll = false;
      this.cutPeers.clear();
      redial = [...this.severed];
      this.severed.clear();
    } else {
      const id = checkPeerId(peerId);
      this.cutPeers.delete(id);
      // Still cut while the whole node is isolated: the full `heal()` redials it.
      redial = this.isCut(id) ? [] : [id];
      if (!this.isCut(id)) this.severed.delete(id);
    }
    this.logger?.info({ peer: peerId ?? "*" }, "Fault injection: link healed");
    this.link?.restore(redial);
  }

  /** Whether the link to `peerId` is cut (without it: whether the whole node is isolated). */
  isCut(peerId?: string): boolean {
    return this.isolatedAll || (peerId !== undefined && this.cutPeers.has(peerId));
  }

  // ---------------------------------------------------------------- rules

  /**
   * Drops `fraction` (0..1) of the gossip messages on `topic`: inbound by default (before validation), or
   * this node's own publishes (`out`), or both. `topic` is a full topic name or its last segment (`block`
   * matches `/parapipe/<g>/relay/block` and `/parapipe/<g>/para/block`); a full name wins over a short one.
   * A fraction of 0 removes the rule.
   */
  dropRate(topic: string, fraction: number, opts: { direction?: FaultDirection } = {}): void {
    this.setDrop(this.drops, "gossip", topic, fraction, opts.direction ?? "in");
  }

  /**
   * Holds inbound gossip on `topic` for `ms` (± a uniform `jitterMs`) before it is validated, delivered and
   * forwarded. A topic's messages leave the queue in arrival order; beyond `maxDelayedPerTopic` queued ones,
   * further messages are dropped and counted (`delayOverflow`). `ms` 0 without jitter removes the rule.
   */
  delay(topic: string, ms: number, jitterMs = 0): void {
    checkKey(topic, "topic");
    if (!(Number.isFinite(ms) && ms >= 0))
      throw invalid(
        "delay",
        String(ms),
        `invalid delay for ${topic}: expected a non-negative number of ms, found ${ms}`,
      );
    if (!(Number.isFinite(jitterMs) && jitterMs >= 0))
      throw invalid("jitterMs", String(jitterMs), `invalid jitter for ${topic}: expected >= 0 ms, found ${jitterMs}`);
    if (ms === 0 && jitterMs === 0) this.delays.delete(topic);
    else this.delays.set(topic, { ms, jitterMs, random: this.random(`delay:${topic}`) });
  }

  /**
   * Loses `fraction` (0..1) of the exchanges on request/response protocol `protocol` (short name like `pov`
   * or full id). `out`: this node's requests are never sent and fail with `TIMEOUT` when their timeout ends;
   * `in`: requests it receives are never answered (the requester times out, or sees the stream reset at the
   * server's deadline). Default `both`. A fraction of 0 removes the rule.
   */
  dropRequests(protocol: string, fraction: number, opts: { direction?: FaultDirection } = {}): void {
    this.setDrop(this.requestDrops, "request", protocol, fraction, opts.direction ?? "both");
  }

  /** Removes every drop and delay rule (cuts stay: see `heal`). Counters are kept. */
  clearRules(): void {
    this.drops.clear();
    this.requestDrops.clear();
    this.delays.clear();
  }

  /** A copy of every counter. */
  stats(): NetworkFaultStats {
    const copy = <T extends object>(m: Map<string, T>): Record<string, T> =>
      Object.fromEntries([...m].map(([k, v]) => [k, { ...v }]));
    return {
      isolated: this.isolatedAll,
      cutPeers: [...this.cutPeers],
      connections: { ...this.connections },
      gossip: copy(this.gossip),
      requests: copy(this.requests),
    };
  }

  // ---------------------------------------------------------------- hooks used by the network

  /** Binds this instance to one network (called by `createNetwork`; an instance serves one network). */
  bind(link: FaultLink, logger: NetworkLogger): void {
    if (this.bound)
      throw invalid("faults", "already bound", "this NetworkFaults instance already belongs to another network");
    this.bound = true;
    this.link = link;
    this.logger = logger;
  }

  /** Drops every delayed message and stops acting on connections (called when the network stops). */
  close(): void {
    this.link = undefined;
    for (const q of this.queues.values()) {
      if (q.timer !== undefined) clearTimeout(q.timer);
      q.timer = undefined;
      for (const h of q.items.splice(0)) h.resolve(false);
    }
  }

  /** The libp2p connection gater that enforces the cuts (passed to `createLibp2p`). */
  connectionGater(): ConnectionGater {
    const refused = (kind: "refusedDials" | "refusedInbound" | "refusedOutbound", deny: boolean): boolean => {
      if (deny) this.connections[kind]++;
      return deny;
    };
    const peerCut = (peer: PeerId) => this.isCut(peer.toString());
    return {
      denyDialPeer: (peer) => refused("refusedDials", peerCut(peer)),
      // Reached only for dials that passed `denyDialPeer` or carry no peer id.
      denyDialMultiaddr: (ma: Multiaddr) => refused("refusedDials", this.isCut(p2pOf(ma))),
      denyInboundConnection: (_maConn: MultiaddrConnection) => refused("refusedInbound", this.isolatedAll),
      denyOutboundConnection: (peer) => refused("refusedOutbound", peerCut(peer)),
      denyInboundEncryptedConnection: (peer) => refused("refusedInbound", peerCut(peer)),
      denyOutboundEncryptedConnection: (peer) => refused("refusedOutbound", peerCut(peer)),
      // A cut made while a connection was being upgraded.
      denyInboundUpgradedConnection: (peer) => refused("refusedInbound", peerCut(peer)),
      denyOutboundUpgradedConnection: (peer) => refused("refusedOutbound", peerCut(peer)),
    };
  }

  /** Counts a connection to a cut peer that got past the gater (a race with `isolate`) and was closed. */
  refusedOpen(direction: "inbound" | "outbound"): void {
    this.connections[direction === "inbound" ? "refusedInbound" : "refusedOutbound"]++;
  }

  /** @inheritdoc */
  admitGossip(topic: string, from: string): boolean | Promise<boolean> {
    const c = this.gossipCounts(topic);
    c.inbound++;
    if (this.isCut(from)) {
      c.cutIn++;
      return false;
    }
    const drop = lookup(this.drops, topic, lastSegment(topic));
    if (drop !== undefined && drop.direction !== "out" && drop.random() < drop.fraction) {
      c.droppedIn++;
      return false;
    }
    const delay = lookup(this.delays, topic, lastSegment(topic));
    if (delay === undefined) return true;
    return this.hold(topic, from, delay, c);
  }

  /** @inheritdoc */
  dropPublish(topic: string): boolean {
    const c = this.gossipCounts(topic);
    c.outbound++;
    const drop = lookup(this.drops, topic, lastSegment(topic));
    if (drop === undefined || drop.direction === "in" || !(drop.random() < drop.fraction)) return false;
    c.droppedOut++;
    return true;
  }

  /** @inheritdoc */
  requestFault(direction: "in" | "out", name: string, protocol: string, peer: string): RequestFault {
    const c = this.requestCounts(protocol);
    c[direction === "in" ? "inbound" : "outbound"]++;
    if (this.isCut(peer)) {
      c[direction === "in" ? "cutIn" : "cutOut"]++;
      return "cut";
    }
    const drop = lookup(this.requestDrops, protocol, name);
    if (drop === undefined || (drop.direction !== "both" && drop.direction !== direction)) return "pass";
    if (!(drop.random() < drop.fraction)) return "pass";
    c[direction === "in" ? "droppedIn" : "droppedOut"]++;
    return "drop";
  }

  // ---------------------------------------------------------------- internals

  private setDrop(
    rules: Map<string, DropRule>,
    kind: string,
    key: string,
    fraction: number,
    direction: FaultDirection,
  ): void {
    checkKey(key, kind === "gossip" ? "topic" : "protocol");
    if (!(Number.isFinite(fraction) && fraction >= 0 && fraction <= 1))
      throw invalid("fraction", String(fraction), `invalid drop fraction for ${key}: expected 0..1, found ${fraction}`);
    if (direction !== "in" && direction !== "out" && direction !== "both")
      throw invalid(
        "direction",
        String(direction),
        `invalid direction: expected "in", "out" or "both", found "${direction}"`,
      );
    if (fraction === 0) rules.delete(key);
    else rules.set(key, { fraction, direction, random: this.random(`${kind}:${key}`) });
  }

  private async hold(topic: string, from: string, rule: DelayRule, c: GossipFaultCounts): Promise<boolean> {
    let q = this.queues.get(topic);
    if (q === undefined) {
      q = { items: [], timer: undefined };
      this.queues.set(topic, q);
    }
    if (q.items.length >= this.maxDelayed) {
      c.delayOverflow++;
      return false;
    }
    const jitter = rule.jitterMs > 0 ? (rule.random() * 2 - 1) * rule.jitterMs : 0;
    const release = Math.max(Date.now() + Math.max(0, rule.ms + jitter), q.items.at(-1)?.release ?? 0);
    c.delayed++;
    const queue = q;
    const released = await new Promise<boolean>((resolve) => {
      queue.items.push({ release, resolve });
      if (queue.timer === undefined) this.schedule(queue);
    });
    // Cut while it waited: it never arrived. Not released: the network stopped.
    if (released && this.isCut(from)) {
      c.cutIn++;
      return false;
    }
    return released;
  }

  private schedule(q: DelayQueue): void {
    const head = q.items[0];
    if (head === undefined) {
      q.timer = undefined;
      return;
    }
    q.timer = setTimeout(
      () => {
        const now = Date.now();
        while (q.items[0] !== undefined && q.items[0].release <= now) q.items.shift()?.resolve(true);
        this.schedule(q);
      },
      Math.max(0, head.release - Date.now()),
    );
  }

  private gossipCounts(topic: string): GossipFaultCounts {
    let c = this.gossip.get(topic);
    if (c === undefined) {
      c = { inbound: 0, droppedIn: 0, cutIn: 0, delayed: 0, delayOverflow: 0, outbound: 0, droppedOut: 0 };
      this.gossip.set(topic, c);
    }
    return c;
  }

  private requestCounts(protocol: string): RequestFaultCounts {
    let c = this.requests.get(protocol);
    if (c === undefined) {
      c = { inbound: 0, droppedIn: 0, cutIn: 0, outbound: 0, droppedOut: 0, cutOut: 0 };
      this.requests.set(protocol, c);
    }
    return c;
  }
}

/** Which `NetworkFaults` a network uses: the one in its modules, a new one when `opts.faults` asks, or none. */
export function resolveFaults(
  opt: boolean | NetworkFaultsOptions | undefined,
  instance: NetworkFaults | undefined,
): NetworkFaults | undefined {
  if (instance !== undefined) return instance;
  if (opt === undefined || opt === false) return undefined;
  return new NetworkFaults(opt === true ? {} : opt);
}

function lookup<T>(rules: Map<string, T>, full: string, short: string): T | undefined {
  if (rules.size === 0) return undefined;
  return rules.get(full) ?? rules.get(short);
}

function lastSegment(topic: string): string {
  return topic.slice(topic.lastIndexOf("/") + 1);
}

const P2P_CODE = 421;

function p2pOf(ma: Multiaddr): string | undefined {
  return ma.getComponents().find((c) => c.code === P2P_CODE)?.value;
}

function checkPeerId(peerId: string): string {
  try {
    return peerIdFromString(peerId).toString();
  } catch (err) {
    throw invalid("peerId", peerId.slice(0, 60), `invalid peer id "${peerId.slice(0, 60)}": ${errorMessage(err)}`);
  }
}

function checkKey(key: string, what: string): void {
  if (typeof key !== "string" || key.length === 0)
    throw invalid(what, String(key), `invalid ${what}: expected a name or a full ${what} string, found "${key}"`);
}

function invalid(option: string, reason: string, message: string): NetworkError {
  return new NetworkError({ code: "INVALID_OPTION", option, reason }, message);
}

/** FNV-1a of `key`, mixed into `seed`: one independent stream per rule. */
function mix(seed: number, key: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** mulberry32: a small, fast, well-distributed 32-bit PRNG; uniform in [0, 1). */
function mulberry32(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
