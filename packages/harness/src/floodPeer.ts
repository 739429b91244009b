/**
 * A byzantine peer for tests: `FloodPeer` joins a relay or para network from harness nodes' multiaddrs (it is a
 * libp2p host built with `@parapipe/network`'s own `createNetwork`, so it speaks the same gossip topics and
 * request/response protocols) and floods them with seeded malformed and oversized gossip and requests, recording
 * what it sent and what came back. `GossipObserver` is the honest bystander that shows none of it was forwarded.
 */
import {
  createNetwork,
  type GenesisHashInput,
  GossipValidationError,
  generateNodeKey,
  gossipMessageId,
  MAX_GOSSIP_BYTES,
  type Network,
  ReqRespError,
  topicName,
} from "@parapipe/network";
import { PARA_PROTOCOLS, PARA_TOPICS, RELAY_PROTOCOLS, RELAY_TOPICS } from "@parapipe/node";
import { cryptoReady, decodeExact, ParapipeError, registry, toHex } from "@parapipe/primitives";
import { relay } from "@parapipe/runtime";
import {
  type GeneratedMessage,
  type Malformation,
  MalformedGenerator,
  type MessageKind,
  type SeededRandom,
  type ShapeMaker,
} from "./malformed.js";
import { waitUntil } from "./wait.js";

/** Why a flood or an observer could not run. */
export type FloodErrorType =
  /** The peer did not connect to its targets (or learn their topics) in time. */
  | { code: "CONNECT_TIMEOUT"; label: string; reason: string }
  /** Options that cannot describe a flood. */
  | { code: "BAD_FLOOD_OPTIONS"; option: string; reason: string }
  /** The peer was used after `close()`. */
  | { code: "FLOOD_CLOSED"; label: string };

/** A failure of `FloodPeer` or `GossipObserver` itself (never of the nodes under test: those are in the report). */
export class FloodError extends ParapipeError<FloodErrorType> {}

/** A gossip topic to flood: a message kind plus its full topic name. */
export interface FloodTopic extends MessageKind {
  /** The full topic, `topicName(...)`. */
  topic: string;
}

/** A request/response protocol to flood. */
export interface FloodProtocol extends MessageKind {
  /** The protocol name on the network (`blocks`, `collation-fetch`...); `name` is the report's key. */
  protocol: string;
  /** PeerIds of the targets that serve it (each must be among `FloodPeerOptions.targets`). */
  peers: string[];
  /** The server's per-peer budget (requests per second): the flood paces each peer at this rate times `pace`. */
  ratePerSecond: number;
  /**
   * Reads an OK response: returns why the server refused the request at the application level (an advertisement
   * `Declined`), or undefined when the request was served, which a malformed request never should be.
   */
  refusal?: (response: Uint8Array) => string | undefined;
}

/** Options of `FloodPeer.start`. */
export interface FloodPeerOptions {
  /** Prefix of the report's keys (`relay`, `para`). */
  label: string;
  /** Genesis hash of the network joined: namespaces the protocol ids. */
  genesisHash: GenesisHashInput;
  /** Multiaddrs (`/ip4/127.0.0.1/tcp/<port>/p2p/<PeerId>`) of the nodes to attack. */
  targets: string[];
  topics: FloodTopic[];
  protocols: FloodProtocol[];
  /** Seed of the generator: the same seed sends the same messages. */
  seed: number;
  /**
   * Gossip messages sent from one libp2p identity before the flood moves on to a fresh one (a Sybil flood).
   * gossipsub graylists a peer after a few REJECTs and drops its messages unseen; within its first second a fresh
   * peer's RPCs are accepted (up to 128), so a batch of at most ~100 is validated whole. Default: one identity.
   */
  messagesPerIdentity?: number;
  /** Retired identities kept connected (their last messages still in flight). Default 4. */
  openIdentities?: number;
  /** Client timeout of each request: a request unanswered after it counts as a hang. Default 8000 ms. */
  requestTimeoutMs?: number;
  /** Time allowed to connect to the targets and learn their topics. Default 15 s. */
  connectTimeoutMs?: number;
  /** Relative weights of the malformations (see `DEFAULT_MALFORMATION_WEIGHTS`). */
  weights?: Partial<Record<Malformation, number>>;
}

/** What the flood did on one gossip topic. */
export interface GossipTally {
  topic: string;
  /** Messages generated and handed to gossipsub. */
  generated: number;
  /** Of those, published to at least one target. */
  published: number;
  /** Published to no peer (no target subscribed at that moment). */
  noRecipients: number;
  /** Copies sent, summed over targets. */
  deliveries: number;
  /** Publish refusals by code (none expected: the flood's own limit is gossipsub's frame limit). */
  publishErrors: Record<string, number>;
  /** Generated messages per malformation. */
  byMalformation: Partial<Record<Malformation, number>>;
}

/** What the flood got back on one request protocol. */
export interface RequestTally {
  protocol: string;
  sent: number;
  /**
   * Outcomes: a `ReqRespError` code (`REMOTE_ERROR`, `INVALID_REQUEST`, `REQUEST_TOO_LARGE`, `RATE_LIMITED` are
   * error responses; `TIMEOUT`, `STREAM_FAILED`... are not), `refused` (an application-level refusal such as a
   * Declined advertisement) or `ok` (the malformed request was served).
   */
  outcomes: Record<string, number>;
  /** Outcomes per malformation. */
  byMalformation: Partial<Record<Malformation, Record<string, number>>>;
  /** Up to 5 requests whose outcome was not an error response or a refusal, for failure messages. */
  unexpected: string[];
  /** The slowest answer, in ms. */
  slowestMs: number;
}

/** Everything a flood sent and got back. */
export interface FloodReport {
  label: string;
  seed: number;
  /** Per `<label>/<topic name>`. */
  gossip: Record<string, GossipTally>;
  /** Per `<label>/<protocol name>`. */
  requests: Record<string, RequestTally>;
  /** PeerIds that sent gossip, in order. */
  identities: string[];
  /** PeerId of the identity that sent the requests. */
  requester: string | undefined;
  /** Time spent connecting identities to the targets, in ms (the cost of the Sybil rotation). */
  connectMs: number;
}

/** The request outcomes that are error responses from the server (what every malformed request must get). */
export const ERROR_RESPONSE_CODES: readonly string[] = [
  "REMOTE_ERROR",
  "INVALID_REQUEST",
  "REQUEST_TOO_LARGE",
  "RATE_LIMITED",
];

/**
 * A peer flooding malformed gossip and requests. `start` connects a first identity to every target; `gossip(n)`
 * publishes `n` distinct malformed messages round-robin over the topics (switching to a fresh identity every
 * `messagesPerIdentity`); `requests(n)` sends `n` malformed requests round-robin over the protocols and the peers
 * serving them, each peer paced near its rate limit; `report()` says what was sent and what came back; `close()`
 * stops every identity. Not thread-safe: one flood operation at a time.
 */
export class FloodPeer {
  private readonly gen: MalformedGenerator;
  private readonly live: Network[] = [];
  private readonly ids: string[] = [];
  private readonly gossipTally = new Map<string, GossipTally>();
  private readonly requestTally = new Map<string, RequestTally>();
  private readonly published = new Map<string, Set<string>>();
  private current: Network | undefined;
  private requester: Network | undefined;
  /** Identities that sent gossip, oldest first (the current one last), while connected. */
  private readonly gossipers: Network[] = [];
  /** The next identity, connecting while the current one publishes. */
  private prefetch: Promise<Network> | undefined;
  private readonly stopping: Array<Promise<void>> = [];
  private sentByCurrent = 0;
  private connectMs = 0;
  private closed = false;

  private constructor(private readonly opts: FloodPeerOptions) {
    this.gen = new MalformedGenerator(opts.seed, opts.weights);
    for (const t of opts.topics)
      this.gossipTally.set(this.key(t.name), {
        topic: t.topic,
        generated: 0,
        published: 0,
        noRecipients: 0,
        deliveries: 0,
        publishErrors: {},
        byMalformation: {},
      });
    for (const p of opts.protocols)
      this.requestTally.set(this.key(p.name), {
        protocol: p.protocol,
        sent: 0,
        outcomes: {},
        byMalformation: {},
        unexpected: [],
        slowestMs: 0,
      });
  }

  /** Creates the flood and connects its first identity to every target. */
  static async start(opts: FloodPeerOptions): Promise<FloodPeer> {
    if (opts.targets.length === 0)
      throw new FloodError({ code: "BAD_FLOOD_OPTIONS", option: "targets", reason: "none" }, "a flood needs a target");
    const known = new Set(opts.targets.map(peerOf));
    for (const p of opts.protocols)
      for (const peer of p.peers)
        if (!known.has(peer))
          throw new FloodError(
            { code: "BAD_FLOOD_OPTIONS", option: "protocols", reason: `${p.name} peer ${peer} is not a target` },
            `protocol ${p.name}: peer ${peer} is not among the targets`,
          );
    await cryptoReady();
    const flood = new FloodPeer(opts);
    try {
      flood.current = await flood.connect();
      flood.gossipers.push(flood.current);
      flood.ids.push(flood.current.peerId);
    } catch (e) {
      await flood.close();
      throw e;
    }
    return flood;
  }

  /** The PeerIds that sent gossip so far (every identity, retired ones included). */
  identities(): string[] {
    return [...this.ids];
  }

  /** The gossip message ids (hex, as gossipsub computes them) of every message published on `topic`. */
  publishedIds(topic: string): ReadonlySet<string> {
    return this.published.get(topic) ?? new Set();
  }

  /** The malformations the generator can produce for a topic or protocol of this flood. */
  malformationsOf(name: string): Malformation[] {
    const kind = this.opts.topics.find((t) => t.name === name) ?? this.opts.protocols.find((p) => p.name === name);
    return kind === undefined ? [] : this.gen.malformationsOf(kind);
  }

  /**
   * Publishes `count` distinct malformed messages, round-robin over the topics, from the current identity and
   * then fresh ones every `messagesPerIdentity`. `ratePerSecond` paces the publishes (default: as fast as they go).
   */
  async gossip(count: number, o: { ratePerSecond?: number } = {}): Promise<void> {
    this.checkOpen();
    const topics = this.opts.topics;
    if (topics.length === 0 || count <= 0) return;
    const perIdentity = this.opts.messagesPerIdentity ?? Number.POSITIVE_INFINITY;
    const t0 = Date.now();
    for (let i = 0; i < count; i++) {
      // The next identity connects while this one publishes: the rotation then costs (almost) nothing.
      if (this.prefetch === undefined && this.sentByCurrent + (count - i) > perIdentity) this.prefetchNext();
      if (this.sentByCurrent >= perIdentity) await this.rotate();
      if (o.ratePerSecond !== undefined) await sleepUntil(t0 + (i * 1000) / o.ratePerSecond);
      const topic = topics[i % topics.length]!;
      const msg = this.gen.next({ ...topic, sendLimit: Math.min(topic.sendLimit, MAX_GOSSIP_BYTES) });
      await this.publish(this.current!, topic, msg);
      this.sentByCurrent++;
    }
  }

  /**
   * Sends `count` malformed requests, round-robin over (protocol, serving peer) lanes. Each lane sends at
   * `pace` times its protocol's rate limit (default 1.5: a third is over budget and must be answered
   * RATE_LIMITED) with at most `concurrency` requests in flight (default 8, under libp2p's 32 streams per
   * protocol and connection, past which streams are reset rather than answered).
   */
  async requests(count: number, o: { pace?: number; concurrency?: number } = {}): Promise<void> {
    this.checkOpen();
    const lanes = this.opts.protocols.flatMap((p) => p.peers.map((peer) => ({ p, peer })));
    if (lanes.length === 0 || count <= 0) return;
    this.requester ??= await this.connect();
    const requester = this.requester;
    const pace = o.pace ?? 1.5;
    const concurrency = o.concurrency ?? 8;
    // The messages are generated up front, in lane order, so a seed gives the same requests whatever the timing.
    const work = lanes.map(() => [] as GeneratedMessage[]);
    for (let i = 0; i < count; i++) {
      const lane = lanes[i % lanes.length]!;
      work[i % lanes.length]!.push(this.gen.next(lane.p));
    }
    await Promise.all(
      lanes.map(async (lane, li) => {
        const t0 = Date.now();
        const interval = 1000 / (lane.p.ratePerSecond * pace);
        const inFlight = new Set<Promise<void>>();
        for (const [i, msg] of work[li]!.entries()) {
          await sleepUntil(t0 + i * interval);
          while (inFlight.size >= concurrency) await Promise.race(inFlight);
          const job = this.request(requester, lane.p, lane.peer, msg).finally(() => inFlight.delete(job));
          inFlight.add(job);
        }
        await Promise.all(inFlight);
      }),
    );
  }

  /** What was sent and what came back so far (a copy). */
  report(): FloodReport {
    return {
      label: this.opts.label,
      seed: this.opts.seed,
      gossip: structuredClone(Object.fromEntries(this.gossipTally)),
      requests: structuredClone(Object.fromEntries(this.requestTally)),
      identities: [...this.ids],
      requester: this.requester?.peerId,
      connectMs: this.connectMs,
    };
  }

  /** Stops every identity. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    await this.prefetch?.catch(() => undefined);
    this.prefetch = undefined;
    const all = [...this.live.splice(0)];
    this.gossipers.length = 0;
    this.current = undefined;
    this.requester = undefined;
    await Promise.all([...this.stopping.splice(0), ...all.map((n) => n.stop().catch(() => undefined))]);
  }

  // ---------------------------------------------------------------------------------------------------------

  private key(name: string): string {
    return `${this.opts.label}/${name}`;
  }

  private checkOpen(): void {
    if (this.closed)
      throw new FloodError({ code: "FLOOD_CLOSED", label: this.opts.label }, `flood ${this.opts.label} is closed`);
  }

  /** A fresh identity, dialled to every target, once it knows which topics each target subscribes. */
  private async connect(): Promise<Network> {
    const t0 = Date.now();
    try {
      return await this.connectIdentity();
    } finally {
      this.connectMs += Date.now() - t0;
    }
  }

  private async connectIdentity(): Promise<Network> {
    const net = await createNetwork({
      // It only dials: nothing to listen on (and nothing for a node to dial back).
      listen: [],
      nodeKey: generateNodeKey(),
      genesisHash: this.opts.genesisHash,
      maxGossipBytes: MAX_GOSSIP_BYTES,
    });
    this.live.push(net);
    await net.start();
    const timeoutMs = this.opts.connectTimeoutMs ?? 15_000;
    const targets = this.opts.targets.map(peerOf);
    const topics = this.opts.topics.map((t) => t.topic);
    await Promise.all(this.opts.targets.map((addr) => net.dial(addr).catch(() => undefined)));
    // gossipsub sends a peer's whole subscription list in one message when the stream opens: once a target is
    // seen on one topic, all its topics are known. Targets serving no flooded topic need only be connected.
    try {
      await waitUntil(
        `${this.opts.label} flood identity connected to its targets`,
        () => {
          const connected = new Set(net.peers());
          const subscribed = new Set(topics.flatMap((t) => net.gossip.topicPeers(t)));
          const missing = targets.filter((p) => !connected.has(p) || (topics.length > 0 && !subscribed.has(p)));
          // Redial quietly: a target may have been busy.
          for (const addr of this.opts.targets)
            if (!connected.has(peerOf(addr))) void net.dial(addr).catch(() => undefined);
          return missing.length === 0
            ? true
            : { done: false, observed: `waiting for ${missing.map((p) => p.slice(-8)).join(", ")}` };
        },
        { timeoutMs, intervalMs: 25 },
      );
    } catch (e) {
      throw new FloodError(
        { code: "CONNECT_TIMEOUT", label: this.opts.label, reason: e instanceof Error ? e.message : String(e) },
        `flood ${this.opts.label}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    return net;
  }

  private prefetchNext(): void {
    const next = this.connect();
    // Awaited by `rotate` or `close`; a failure surfaces there.
    next.catch(() => undefined);
    this.prefetch = next;
  }

  /** Moves on to a fresh identity; the oldest retired ones beyond `openIdentities` are stopped. */
  private async rotate(): Promise<void> {
    const pending = this.prefetch ?? this.connect();
    this.prefetch = undefined;
    const next = await pending;
    this.current = next;
    this.gossipers.push(next);
    this.ids.push(next.peerId);
    this.sentByCurrent = 0;
    const keep = this.opts.openIdentities ?? 4;
    for (const old of this.gossipers.splice(0, Math.max(0, this.gossipers.length - 1 - keep))) {
      this.live.splice(this.live.indexOf(old), 1);
      this.stopping.push(old.stop().catch(() => undefined));
    }
  }

  private async publish(net: Network, topic: FloodTopic, msg: GeneratedMessage): Promise<void> {
    const t = this.gossipTally.get(this.key(topic.name))!;
    t.generated++;
    t.byMalformation[msg.malformation] = (t.byMalformation[msg.malformation] ?? 0) + 1;
    let ids = this.published.get(topic.topic);
    if (ids === undefined) {
      ids = new Set();
      this.published.set(topic.topic, ids);
    }
    ids.add(toHex(gossipMessageId(topic.topic, msg.bytes)));
    try {
      const n = await net.gossip.publish(topic.topic, msg.bytes);
      if (n > 0) t.published++;
      else t.noRecipients++;
      t.deliveries += n;
    } catch (e) {
      const code = e instanceof ParapipeError ? String(e.code) : "THROWN";
      t.publishErrors[code] = (t.publishErrors[code] ?? 0) + 1;
    }
  }

  private async request(net: Network, p: FloodProtocol, peer: string, msg: GeneratedMessage): Promise<void> {
    const t = this.requestTally.get(this.key(p.name))!;
    t.sent++;
    const started = Date.now();
    let outcome: string;
    try {
      const res = await net.reqresp.request(peer, p.protocol, msg.bytes, {
        timeoutMs: this.opts.requestTimeoutMs ?? 8000,
        maxResponseBytes: 16 * 1024 * 1024,
      });
      outcome = p.refusal?.(res) !== undefined ? "refused" : "ok";
    } catch (e) {
      outcome = e instanceof ReqRespError ? e.code : "THROWN";
    }
    const ms = Date.now() - started;
    t.slowestMs = Math.max(t.slowestMs, ms);
    t.outcomes[outcome] = (t.outcomes[outcome] ?? 0) + 1;
    t.byMalformation[msg.malformation] ??= {};
    const m = t.byMalformation[msg.malformation]!;
    m[outcome] = (m[outcome] ?? 0) + 1;
    if (outcome !== "refused" && !ERROR_RESPONSE_CODES.includes(outcome) && t.unexpected.length < 5)
      t.unexpected.push(
        `${msg.malformation} request of ${msg.bytes.length} bytes to ${peer.slice(-8)}: ${outcome} after ${ms} ms`,
      );
  }
}

/** Options of `GossipObserver.start`. */
export interface GossipObserverOptions {
  genesisHash: GenesisHashInput;
  /** Multiaddrs of the nodes to listen to (the flooded ones included: they are the ones that could forward). */
  targets: string[];
  /** Full topic names to subscribe. */
  topics: string[];
  /** Time allowed to be grafted into every target's mesh. Default 20 s. */
  meshTimeoutMs?: number;
}

/**
 * An honest bystander on a network: subscribed to topics, in the targets' meshes, it records the gossip message
 * id of everything the targets forward to it and IGNOREs it (so it never forwards nor penalises anyone). A
 * malformed message the flood published that shows up here was accepted and forwarded by a node.
 */
export class GossipObserver {
  private readonly seen = new Map<string, Set<string>>();

  private constructor(
    private readonly net: Network,
    private readonly opts: GossipObserverOptions,
  ) {}

  /** Starts the observer and waits until every target has it in its mesh for the topics that target serves. */
  static async start(opts: GossipObserverOptions): Promise<GossipObserver> {
    await cryptoReady();
    const net = await createNetwork({
      // It only dials: nothing to listen on (and nothing for a node to dial back).
      listen: [],
      nodeKey: generateNodeKey(),
      genesisHash: opts.genesisHash,
      maxGossipBytes: MAX_GOSSIP_BYTES,
    });
    const obs = new GossipObserver(net, opts);
    for (const topic of opts.topics) {
      const ids = new Set<string>();
      obs.seen.set(topic, ids);
      net.gossip.subscribe({
        topic,
        maxBytes: MAX_GOSSIP_BYTES,
        validate: (bytes) => {
          ids.add(toHex(gossipMessageId(topic, bytes)));
          throw new GossipValidationError("IGNORE", { code: "OBSERVED" }, "observer keeps what it sees");
        },
        handle: () => {},
      });
    }
    try {
      await net.start();
      await Promise.all(opts.targets.map((a) => net.dial(a).catch(() => undefined)));
      const targets = opts.targets.map(peerOf);
      await waitUntil(
        "the observer in every target's mesh",
        () => {
          const missing: string[] = [];
          for (const topic of opts.topics) {
            const subscribed = new Set(net.gossip.topicPeers(topic));
            const mesh = new Set(net.gossip.meshPeers(topic));
            for (const p of targets)
              if (subscribed.has(p) && !mesh.has(p)) missing.push(`${topic.split("/").pop()}@${p.slice(-6)}`);
          }
          const connected = new Set(net.peers());
          for (const [i, p] of targets.entries())
            if (!connected.has(p)) {
              missing.push(`connection to ${p.slice(-6)}`);
              void net.dial(opts.targets[i]!).catch(() => undefined);
            }
          return missing.length === 0 ? true : { done: false, observed: `not meshed: ${missing.join(", ")}` };
        },
        { timeoutMs: opts.meshTimeoutMs ?? 20_000, intervalMs: 100 },
      );
    } catch (e) {
      await net.stop().catch(() => undefined);
      throw new FloodError(
        { code: "CONNECT_TIMEOUT", label: "observer", reason: e instanceof Error ? e.message : String(e) },
        `gossip observer: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    return obs;
  }

  /** The observer's PeerId. */
  get peerId(): string {
    return this.net.peerId;
  }

  /** How many messages it received on `topic`. */
  count(topic: string): number {
    return this.seen.get(topic)?.size ?? 0;
  }

  /** The ids among `ids` it received on `topic`: messages a node forwarded. */
  forwarded(topic: string, ids: ReadonlySet<string>): string[] {
    const seen = this.seen.get(topic);
    if (seen === undefined) return [];
    return [...ids].filter((id) => seen.has(id));
  }

  /** The topics it observes. */
  get topics(): string[] {
    return [...this.opts.topics];
  }

  /** Stops it. Safe to call twice. */
  async close(): Promise<void> {
    await this.net.stop().catch(() => undefined);
  }
}

// -------------------------------------------------------------------------------------------------------------
// The kinds of a parapipe network: topics and protocols with the limits the nodes subscribe and register with.

/**
 * Per relay topic, the size limit the nodes subscribe with (`BlockSync` 1 MiB, `FinalityVoteGossip` 256 B, the
 * validator's statement 64 KiB and bitfield 1 KiB, `TransactionGossip` 64 KiB).
 */
export const RELAY_TOPIC_LIMITS: Readonly<Record<keyof typeof RELAY_TOPICS, number>> = {
  block: 1024 * 1024,
  finality: 256,
  statement: 64 * 1024,
  bitfield: 1024,
  tx: 64 * 1024,
};

/** Per para topic, the size limit the para nodes subscribe with (blocks: up to gossipsub's cap). */
export const PARA_TOPIC_LIMITS: Readonly<Record<keyof typeof PARA_TOPICS, number>> = {
  block: 4 * 1024 * 1024 - 64 * 1024,
  tx: 64 * 1024,
};

/** Per relay protocol, the request limit and the per-peer rate limit (requests per second) the servers register. */
export const RELAY_PROTOCOL_LIMITS: Readonly<
  Record<keyof typeof RELAY_PROTOCOLS, { maxRequestBytes: number; ratePerSecond: number }>
> = {
  blocks: { maxRequestBytes: 16, ratePerSecond: 50 },
  pov: { maxRequestBytes: 64, ratePerSecond: 100 },
  advertise: { maxRequestBytes: 512, ratePerSecond: 20 },
  fetchCollation: { maxRequestBytes: 128, ratePerSecond: 100 },
  collationSeconded: { maxRequestBytes: 64 * 1024, ratePerSecond: 100 },
};

/** Largest request the flood sends (oversized requests go up to four times the limit, within this). */
const MAX_FLOOD_REQUEST_BYTES = 1024 * 1024;

/** A real block as a valid shape: its seal is the last 64 bytes of the header, the extrinsics' count follows it. */
export function blockShape(block: Uint8Array, headerLength: number): ShapeMaker {
  return () => ({ bytes: block, signatureAt: headerLength - 64, lengthAt: [headerLength] });
}

/**
 * A signed (v4, `MultiAddress::Id`) extrinsic as a valid shape: compact length, `0x84`, `0x00` + 32-byte
 * account, signature type, then the 64-byte signature.
 */
export function signedTxShape(tx: Uint8Array): ShapeMaker {
  const mode = (tx[0] ?? 0) & 3;
  const width = mode === 0 ? 1 : mode === 1 ? 2 : mode === 2 ? 4 : 1 + ((tx[0] ?? 0) >> 2) + 4;
  return () => ({ bytes: tx, signatureAt: width + 1 + 33 + 1, lengthAt: [0] });
}

/** A finality vote by a random voter (mostly in range) on a random block, with a random signature. */
export function finalityVoteShape(validators: number): ShapeMaker {
  return (rng) => {
    const bytes = registry
      .createType("FinalityVote", {
        hash: rng.bytes(32),
        number: rng.int(0, 1_000_000),
        validatorIndex: validatorIndexOf(rng, validators),
        signature: rng.bytes(64),
      })
      .toU8a();
    return { bytes, signatureAt: bytes.length - 64 };
  };
}

/** A backing statement (Seconded, Valid or Invalid, without candidate) with a random signature. */
export function statementShape(validators: number): ShapeMaker {
  return (rng) => {
    const kind = rng.pick(["Seconded", "Valid", "Invalid"] as const);
    const bytes = registry
      .createType("StatementMessage", {
        relayParent: rng.bytes(32),
        statement: {
          payload: { [kind]: rng.bytes(32) },
          validatorIndex: validatorIndexOf(rng, validators),
          signature: rng.bytes(64),
        },
        candidate: null,
        pvd: null,
      })
      .toU8a();
    // Layout: relay parent, statement (enum byte, hash, index, signature), then two `None` bytes.
    return { bytes, signatureAt: bytes.length - 2 - 64 };
  };
}

/** An availability bitfield of a random length with a random signature. */
export function bitfieldShape(validators: number): ShapeMaker {
  return (rng) => {
    const bits = Array.from({ length: rng.int(1, 16) }, () => rng.next() < 0.5);
    const bytes = registry
      .createType("BitfieldMessage", {
        relayParent: rng.bytes(32),
        bitfield: {
          payload: relay.encodeBitVec(bits),
          validatorIndex: validatorIndexOf(rng, validators),
          signature: rng.bytes(64),
        },
      })
      .toU8a();
    return { bytes, signatureAt: bytes.length - 64, lengthAt: [32] };
  };
}

/** A collation advertisement for `paraId` of a random candidate, with a random signature. */
export function advertisementShape(paraId: number): ShapeMaker {
  return (rng) => {
    const bytes = registry
      .createType("CollationAdvertisement", {
        paraId,
        relayParent: rng.bytes(32),
        candidateHash: rng.bytes(32),
        parentHeadDataHash: rng.bytes(32),
        collatorId: rng.bytes(32),
        signature: rng.bytes(64),
      })
      .toU8a();
    return { bytes, signatureAt: bytes.length - 64 };
  };
}

/** A request of a fixed-size type of random content (`BlocksByRangeRequest`, `PovFetchRequest`...). */
function fixedShape(type: string): ShapeMaker {
  const size = registry.createType(type).encodedLength;
  return (rng) => ({ bytes: rng.bytes(size) });
}

function validatorIndexOf(rng: SeededRandom, validators: number): number {
  // Mostly a real validator (so the signature check runs), sometimes one beyond the set.
  return rng.next() < 0.85 ? rng.int(0, Math.max(0, validators - 1)) : rng.int(validators, validators + 1000);
}

/** Whether an `AdvertisementReply` is `Declined`; its reason then. */
export function declinedAdvertisement(response: Uint8Array): string | undefined {
  try {
    const r = decodeExact(registry, "AdvertisementReply", response) as unknown as {
      isDeclined: boolean;
      asDeclined: { toString(): string };
    };
    return r.isDeclined ? r.asDeclined.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** Valid encodings only the chain can give: a real block (with its header length) and a signed transaction. */
export interface ChainSamples {
  block?: { bytes: Uint8Array; headerLength: number };
  tx?: Uint8Array;
}

/** The relay topics to flood, with their limits and valid shapes. */
export function relayFloodTopics(o: {
  relayGenesis: GenesisHashInput;
  validators: number;
  samples?: ChainSamples;
}): FloodTopic[] {
  const t = (name: keyof typeof RELAY_TOPICS, shape?: ShapeMaker): FloodTopic => ({
    name: RELAY_TOPICS[name],
    topic: topicName(o.relayGenesis, "relay", RELAY_TOPICS[name]),
    maxBytes: RELAY_TOPIC_LIMITS[name],
    sendLimit: MAX_GOSSIP_BYTES,
    ...(shape === undefined ? {} : { shape }),
  });
  const block = o.samples?.block;
  const tx = o.samples?.tx;
  return [
    t("block", block === undefined ? undefined : blockShape(block.bytes, block.headerLength)),
    t("finality", finalityVoteShape(o.validators)),
    t("statement", statementShape(o.validators)),
    t("bitfield", bitfieldShape(o.validators)),
    t("tx", tx === undefined ? undefined : signedTxShape(tx)),
  ];
}

/** The para topics to flood. */
export function paraFloodTopics(o: {
  relayGenesis: GenesisHashInput;
  paraGenesis: GenesisHashInput;
  samples?: ChainSamples;
}): FloodTopic[] {
  const t = (name: keyof typeof PARA_TOPICS, shape?: ShapeMaker): FloodTopic => ({
    name: PARA_TOPICS[name],
    topic: topicName(o.relayGenesis, "para", PARA_TOPICS[name], o.paraGenesis),
    maxBytes: PARA_TOPIC_LIMITS[name],
    sendLimit: MAX_GOSSIP_BYTES,
    ...(shape === undefined ? {} : { shape }),
  });
  const block = o.samples?.block;
  const tx = o.samples?.tx;
  return [
    t("block", block === undefined ? undefined : blockShape(block.bytes, block.headerLength)),
    t("tx", tx === undefined ? undefined : signedTxShape(tx)),
  ];
}

/**
 * The relay protocols to flood: blocks on every given peer; PoV and advertisement on validators; collation fetch
 * and seconded notices on collators' relay nodes.
 */
export function relayFloodProtocols(o: {
  validators: string[];
  collatorRelayNodes: string[];
  paraId: number;
  validatorCount: number;
}): FloodProtocol[] {
  const p = (
    name: keyof typeof RELAY_PROTOCOLS,
    peers: string[],
    shape: ShapeMaker,
    extra: Partial<FloodProtocol> = {},
  ): FloodProtocol => {
    const { maxRequestBytes, ratePerSecond } = RELAY_PROTOCOL_LIMITS[name];
    return {
      name: RELAY_PROTOCOLS[name],
      protocol: RELAY_PROTOCOLS[name],
      peers,
      maxBytes: maxRequestBytes,
      sendLimit: Math.min(MAX_FLOOD_REQUEST_BYTES, Math.max(4 * maxRequestBytes, maxRequestBytes + 1024)),
      ratePerSecond,
      shape,
      ...extra,
    };
  };
  return [
    // Any 8 bytes are a well-formed range request, which is served: never generated.
    p("blocks", [...o.validators, ...o.collatorRelayNodes], fixedShape("BlocksByRangeRequest"), {
      servedLengths: [8],
    }),
    p("pov", o.validators, fixedShape("PovFetchRequest")),
    p("advertise", o.validators, advertisementShape(o.paraId), { refusal: declinedAdvertisement }),
    p("fetchCollation", o.collatorRelayNodes, fixedShape("CollationFetchRequest")),
    p("collationSeconded", o.collatorRelayNodes, statementShape(o.validatorCount)),
  ].filter((x) => x.peers.length > 0);
}

/** The para protocols to flood (blocks by range on every given para node). */
export function paraFloodProtocols(o: { paraNodes: string[] }): FloodProtocol[] {
  const { maxRequestBytes, ratePerSecond } = RELAY_PROTOCOL_LIMITS.blocks;
  return [
    {
      name: PARA_PROTOCOLS.blocks,
      protocol: PARA_PROTOCOLS.blocks,
      peers: o.paraNodes,
      maxBytes: maxRequestBytes,
      sendLimit: 4 * 1024,
      ratePerSecond,
      shape: fixedShape("BlocksByRangeRequest"),
      servedLengths: [8],
    },
  ].filter((x) => x.peers.length > 0);
}

function peerOf(addr: string): string {
  const i = addr.lastIndexOf("/p2p/");
  return i < 0 ? addr : addr.slice(i + 5);
}

function sleepUntil(t: number): Promise<void> {
  const ms = t - Date.now();
  return ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms));
}
