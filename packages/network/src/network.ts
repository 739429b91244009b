import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { type GossipSub, gossipsub, StrictNoSign } from "@libp2p/gossipsub";
import { type Identify, type IdentifyPush, identify, identifyPush } from "@libp2p/identify";
import { type Connection, KEEP_ALIVE, type Libp2p, type PeerId } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { type Ping, ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { webSockets } from "@libp2p/websockets";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { cryptoReady } from "@parapipe/primitives";
import { createLibp2p } from "libp2p";
import { errorMessage, NetworkError } from "./errors.js";
import { type NetworkFaults, resolveFaults } from "./faults.js";
import { asScoredGossipSub, GossipService, type ScoredGossipSub } from "./gossip/gossip.js";
import { gossipMessageId, gossipMessageIdString } from "./gossip/messageId.js";
import { peerScoreParams, peerScoreThresholds } from "./gossip/scoring.js";
import { genesisPrefix } from "./gossip/topics.js";
import type { Network, NetworkLogger } from "./interface.js";
import type { NetworkMetrics } from "./metrics.js";
import { privateKeyOf } from "./nodeKey.js";
import {
  type DefaultedNetworkOptions,
  defaultNetworkOptions,
  GOSSIPSUB_FRAME_LIMIT,
  MAX_GOSSIP_BYTES,
  type NetworkModules,
  type NetworkOptions,
} from "./options.js";
import { ReqRespService } from "./reqresp/reqresp.js";
import { ensureWebSocketGlobal } from "./websocketGlobal.js";

/** The libp2p services a parapipe host runs. */
export type HostServices = {
  identify: Identify;
  identifyPush: IdentifyPush;
  ping: Ping;
  pubsub: GossipSub;
};

const P2P_CODE = 421;

/** A logger that drops everything (the default). */
export const silentLogger: NetworkLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

interface Bootnode {
  addr: string;
  ma: Multiaddr;
  peerId: PeerId;
}

/**
 * Creates the libp2p host of a node (not started): tcp and websockets transports, noise, yamux, identify,
 * ping and gossipsub (StrictNoSign, content-addressed message ids, peer scoring), plus the gossip and
 * request/response services. Throws `NetworkError` on bad options and `NodeKeyError` on a bad key.
 */
export async function createNetwork(opts: NetworkOptions, modules: NetworkModules = {}): Promise<Network> {
  const logger = modules.logger ?? silentLogger;
  const o: ResolvedOptions = { ...defaultNetworkOptions, ...definedOnly(opts) } as ResolvedOptions;
  genesisPrefix(opts.genesisHash); // validates
  if (!(Number.isSafeInteger(o.maxGossipBytes) && o.maxGossipBytes > 0 && o.maxGossipBytes <= MAX_GOSSIP_BYTES))
    throw new NetworkError(
      { code: "INVALID_OPTION", option: "maxGossipBytes", reason: String(o.maxGossipBytes) },
      `invalid maxGossipBytes: expected 1..${MAX_GOSSIP_BYTES} (gossipsub drops frames above 4 MiB), found ${o.maxGossipBytes}`,
    );
  const listen = opts.listen.map((a) => parseMultiaddr(a, "listen address"));
  const bootnodes = (opts.bootnodes ?? []).map(parseBootnode);
  const faults = resolveFaults(opts.faults, modules.faults);
  // Bound before libp2p exists, so an instance already serving another network fails without side effects.
  let network: Libp2pNetwork | undefined;
  faults?.bind(
    { cut: (peer) => network?.cutLinks(peer) ?? [], restore: (peers) => network?.restoreLinks(peers) },
    logger,
  );

  const privateKey = await privateKeyOf(opts.nodeKey);
  await ensureWebSocketGlobal();
  let libp2p: Libp2p<HostServices>;
  try {
    libp2p = await createLibp2p<HostServices>({
      start: false,
      privateKey,
      addresses: { listen: listen.map((m) => m.toString()) },
      // @libp2p/websockets 10 has no `filter` option any more: it accepts plain ws on every address
      // (loopback included), so a Zombienet-style `/ip4/127.0.0.1/tcp/<p>/ws/p2p/<id>` bootnode just works.
      transports: [tcp(), webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      // Fault injection only: the gater refuses dials and connections to cut peers (`faults.isolate`).
      ...(faults === undefined ? {} : { connectionGater: faults.connectionGater() }),
      connectionManager: {
        maxConnections: o.maxConnections,
        dialTimeout: o.dialTimeoutMs,
        // KEEP_ALIVE peers (bootnodes) are redialled after a disconnect: 250 ms, then x1.5 per attempt for 10
        // attempts (~28 s); after that our own bootnode timer takes over.
        reconnectRetries: 10,
        reconnectRetryInterval: 250,
        reconnectBackoffFactor: 1.5,
      },
      services: {
        identify: identify(),
        identifyPush: identifyPush(),
        ping: ping(),
        pubsub: gossipsub({
          // No signatures: authorship is checked by the payloads themselves (signed statements, sealed
          // blocks); signing every message costs a verification per duplicate copy (node20-spike.md §0).
          globalSignaturePolicy: StrictNoSign,
          msgIdFn: (msg) => gossipMessageId(msg.topic, msg.data),
          // Same content id, computed from the raw RPC message so duplicates are dropped before decoding.
          fastMsgIdFn: (rpcMsg) => gossipMessageIdString(rpcMsg.topic, rpcMsg.data),
          allowPublishToZeroTopicPeers: true,
          ignoreDuplicatePublishError: true,
          fallbackToFloodsub: false,
          emitSelf: false,
          maxInboundDataLength: GOSSIPSUB_FRAME_LIMIT,
          scoreParams: peerScoreParams(),
          scoreThresholds: peerScoreThresholds(),
        }),
      },
    });
  } catch (err) {
    throw new NetworkError(
      { code: "START_FAILED", reason: errorMessage(err) },
      `cannot create the libp2p host: ${errorMessage(err)}`,
    );
  }
  // Fails now, not at start, if the installed gossipsub lacks the scoring internals.
  const pubsub = asScoredGossipSub(libp2p.services.pubsub);
  network = new Libp2pNetwork(o, bootnodes, libp2p, pubsub, { logger, metrics: modules.metrics, faults });
  return network;
}

type ResolvedOptions = NetworkOptions & DefaultedNetworkOptions;

class Libp2pNetwork implements Network {
  readonly peerId: string;
  readonly gossip: GossipService;
  readonly reqresp: ReqRespService;
  readonly faults: NetworkFaults | undefined;
  private readonly opts: ResolvedOptions;
  private readonly bootnodes: Bootnode[];
  private readonly libp2p: Libp2p<HostServices>;
  private readonly pubsub: ScoredGossipSub;
  private readonly logger: NetworkLogger;
  private readonly metrics: NetworkMetrics | undefined;
  private readonly connectListeners = new Set<(peerId: string) => void>();
  private readonly disconnectListeners = new Set<(peerId: string) => void>();
  private readonly dialling = new Set<string>();
  private state: "created" | "starting" | "started" | "stopped" = "created";
  private redialTimer: ReturnType<typeof setInterval> | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    opts: ResolvedOptions,
    bootnodes: Bootnode[],
    libp2p: Libp2p<HostServices>,
    pubsub: ScoredGossipSub,
    modules: { logger: NetworkLogger; metrics: NetworkMetrics | undefined; faults: NetworkFaults | undefined },
  ) {
    this.opts = opts;
    this.libp2p = libp2p;
    this.pubsub = pubsub;
    this.peerId = libp2p.peerId.toString();
    // A node listed among its own bootnodes (one list for a whole devnet) does not dial itself.
    this.bootnodes = bootnodes.filter((b) => b.peerId.toString() !== this.peerId);
    this.logger = modules.logger;
    this.metrics = modules.metrics;
    this.faults = modules.faults;
    this.gossip = new GossipService({ maxGossipBytes: opts.maxGossipBytes }, modules);
    this.reqresp = new ReqRespService(
      {
        genesisHash: opts.genesisHash,
        defaultTimeoutMs: opts.defaultRequestTimeoutMs,
        defaultMaxResponseBytes: opts.defaultMaxResponseBytes,
        maxInboundStreams: 32,
      },
      modules,
    );
  }

  async start(): Promise<void> {
    if (this.state === "stopped")
      throw new NetworkError(
        { code: "STOPPED", operation: "start" },
        "cannot start a stopped network; create a new one",
      );
    this.starting ??= this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    this.state = "starting";
    await cryptoReady();
    this.libp2p.addEventListener("peer:connect", this.onConnect);
    this.libp2p.addEventListener("peer:disconnect", this.onDisconnect);
    this.libp2p.addEventListener("peer:reconnect-failure", this.onReconnectFailure);
    if (this.faults !== undefined) this.libp2p.addEventListener("connection:open", this.onConnectionOpen);
    try {
      await this.reqresp.attach(this.libp2p);
      await this.libp2p.start();
    } catch (err) {
      this.state = "stopped";
      await Promise.resolve()
        .then(() => this.libp2p.stop())
        .catch(() => undefined);
      throw new NetworkError(
        { code: "START_FAILED", reason: errorMessage(err) },
        `cannot start the network on ${this.opts.listen.join(", ")}: ${errorMessage(err)}`,
      );
    }
    // stop() while libp2p was starting: leave it stopped.
    if (this.stopping !== undefined) return;
    this.gossip.attach(this.pubsub);
    this.state = "started";
    this.logger.info({ peerId: this.peerId }, `Local node identity is: ${this.peerId}`);
    this.logger.info({ addrs: this.listenAddrs() }, "Listening for peers");

    for (const b of this.bootnodes) {
      // KEEP_ALIVE: libp2p redials the peer whenever the connection drops (a bootnode restart).
      await this.libp2p.peerStore
        .merge(b.peerId, { multiaddrs: [b.ma.decapsulateCode(P2P_CODE)], tags: { [KEEP_ALIVE]: { value: 1 } } })
        .catch((err) => this.logger.debug({ bootnode: b.addr, err: errorMessage(err) }, "Peer store update failed"));
      this.dialBootnode(b);
    }
    if (this.bootnodes.length > 0) {
      this.redialTimer = setInterval(() => this.redialBootnodes(), this.opts.bootnodeRedialMs);
      this.redialTimer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    this.stopping = (async () => {
      this.state = "stopped";
      await this.starting?.catch(() => undefined);
      if (this.redialTimer !== undefined) clearInterval(this.redialTimer);
      this.gossip.detach();
      this.reqresp.detach();
      this.libp2p.removeEventListener("peer:connect", this.onConnect);
      this.libp2p.removeEventListener("peer:disconnect", this.onDisconnect);
      this.libp2p.removeEventListener("peer:reconnect-failure", this.onReconnectFailure);
      this.libp2p.removeEventListener("connection:open", this.onConnectionOpen);
      this.faults?.close();
      await this.libp2p.stop();
      this.logger.debug({ peerId: this.peerId }, "Network stopped");
    })();
    return this.stopping;
  }

  listenAddrs(): string[] {
    return this.libp2p.getMultiaddrs().map((m) => m.toString());
  }

  peers(): string[] {
    return this.libp2p.getPeers().map((p) => p.toString());
  }

  peerScore(peerId: string): number {
    if (this.state !== "started") return 0;
    return this.pubsub.getScore(peerId);
  }

  async dial(addr: string): Promise<string> {
    if (this.state !== "started")
      throw new NetworkError({ code: "NOT_STARTED", operation: "dial" }, `cannot dial ${addr}: network not started`);
    const ma = parseMultiaddr(addr, "dial address");
    try {
      const conn = await this.libp2p.dial(ma, { signal: AbortSignal.timeout(this.opts.dialTimeoutMs) });
      return conn.remotePeer.toString();
    } catch (err) {
      const reason = errorMessage(err);
      throw new NetworkError({ code: "DIAL_FAILED", addr, reason }, `cannot dial ${addr}: ${reason}`);
    }
  }

  onPeerConnect(cb: (peerId: string) => void): () => void {
    this.connectListeners.add(cb);
    return () => this.connectListeners.delete(cb);
  }

  onPeerDisconnect(cb: (peerId: string) => void): () => void {
    this.disconnectListeners.add(cb);
    return () => this.disconnectListeners.delete(cb);
  }

  private dialBootnode(b: Bootnode): void {
    const key = b.peerId.toString();
    if (this.state !== "started" || this.dialling.has(key)) return;
    this.dialling.add(key);
    this.libp2p
      .dial(b.ma, { signal: AbortSignal.timeout(this.opts.dialTimeoutMs) })
      .then(() => this.logger.debug({ bootnode: b.addr }, "Connected to bootnode"))
      .catch((err) => this.logger.debug({ bootnode: b.addr, err: errorMessage(err) }, "Bootnode dial failed"))
      .finally(() => this.dialling.delete(key));
  }

  private redialBootnodes(): void {
    const connected = new Set(this.peers());
    for (const b of this.bootnodes) if (!connected.has(b.peerId.toString())) this.dialBootnode(b);
  }

  private readonly onConnect = (evt: CustomEvent<PeerId>): void => {
    const peer = evt.detail.toString();
    this.logger.debug({ peer }, "Peer connected");
    this.metrics?.peers?.(this.libp2p.getPeers().length);
    for (const cb of this.connectListeners) safeCall(cb, peer, this.logger);
  };

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const peer = evt.detail.toString();
    this.logger.debug({ peer }, "Peer disconnected");
    this.metrics?.peers?.(this.libp2p.getPeers().length);
    for (const cb of this.disconnectListeners) safeCall(cb, peer, this.logger);
  };

  /** Fault injection: closes the connections to `peer` (all without it); returns the peers they led to. */
  readonly cutLinks = (peer: string | undefined): string[] => {
    if (this.state !== "started") return [];
    const conns = this.libp2p.getConnections(peer === undefined ? undefined : peerIdFromString(peer));
    const peers = new Set(conns.map((c) => c.remotePeer.toString()));
    for (const c of conns) abortConnection(c);
    return [...peers];
  };

  /**
   * Fault injection: after `heal`, dials the bootnodes and `peers` that are not connected (and not cut) right
   * away instead of waiting for libp2p's reconnect back-off or our bootnode timer.
   */
  readonly restoreLinks = (peers: string[]): void => {
    if (this.state !== "started") return;
    const connected = new Set(this.peers());
    const wanted = (p: string) => !connected.has(p) && this.faults?.isCut(p) !== true;
    const bootnodeIds = new Set(this.bootnodes.map((b) => b.peerId.toString()));
    for (const b of this.bootnodes) if (wanted(b.peerId.toString())) this.dialBootnode(b);
    for (const p of peers) {
      if (bootnodeIds.has(p) || !wanted(p)) continue;
      this.libp2p
        .dial(peerIdFromString(p), { signal: AbortSignal.timeout(this.opts.dialTimeoutMs) })
        .then(() => this.logger.debug({ peer: p }, "Reconnected after heal"))
        .catch((err) => this.logger.debug({ peer: p, err: errorMessage(err) }, "Redial after heal failed"));
    }
  };

  /** A connection to a cut peer that raced past the gater (opened while `isolate` ran) is closed at once. */
  private readonly onConnectionOpen = (evt: CustomEvent<Connection>): void => {
    const conn = evt.detail;
    if (this.faults?.isCut(conn.remotePeer.toString()) !== true) return;
    this.faults.refusedOpen(conn.direction);
    abortConnection(conn);
  };

  /** libp2p drops the KEEP_ALIVE tag after its retries; bootnodes get it back so the next drop redials too. */
  private readonly onReconnectFailure = (evt: CustomEvent<PeerId>): void => {
    const b = this.bootnodes.find((x) => x.peerId.equals(evt.detail));
    if (b === undefined) return;
    this.logger.debug({ bootnode: b.addr }, "Bootnode unreachable; will keep redialling");
    void this.libp2p.peerStore
      .merge(b.peerId, { tags: { [KEEP_ALIVE]: { value: 1 } } })
      .catch((err) => this.logger.debug({ bootnode: b.addr, err: errorMessage(err) }, "Peer store update failed"));
  };
}

/** Closes `conn` at once, as a cut cable would (the remote sees a reset, not a goodbye). */
function abortConnection(conn: Connection): void {
  const peer = conn.remotePeer.toString();
  conn.abort(new NetworkError({ code: "LINK_CUT", peer }, `link to ${peer} cut by fault injection`));
}

function safeCall(cb: (peer: string) => void, peer: string, logger: NetworkLogger): void {
  try {
    cb(peer);
  } catch (err) {
    logger.warn({ peer, err: errorMessage(err) }, "Peer event listener threw");
  }
}

function parseMultiaddr(addr: string, what: string): Multiaddr {
  try {
    return multiaddr(addr);
  } catch (err) {
    throw new NetworkError(
      { code: "INVALID_MULTIADDR", addr, reason: errorMessage(err) },
      `invalid ${what} "${addr}": ${errorMessage(err)}`,
    );
  }
}

function parseBootnode(addr: string): Bootnode {
  const ma = parseMultiaddr(addr, "bootnode");
  const p2p = ma.getComponents().find((c) => c.code === P2P_CODE);
  if (p2p?.value === undefined)
    throw new NetworkError(
      { code: "INVALID_MULTIADDR", addr, reason: "no /p2p/<PeerId>" },
      `invalid bootnode "${addr}": expected it to end in /p2p/<PeerId>`,
    );
  try {
    return { addr, ma, peerId: peerIdFromString(p2p.value) };
  } catch (err) {
    throw new NetworkError(
      { code: "INVALID_MULTIADDR", addr, reason: errorMessage(err) },
      `invalid bootnode "${addr}": bad PeerId: ${errorMessage(err)}`,
    );
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
