import type { NetworkFaults, NetworkFaultsOptions } from "./faults.js";
import type { GenesisHashInput } from "./gossip/topics.js";
import type { NetworkLogger } from "./interface.js";
import type { NetworkMetrics } from "./metrics.js";
import type { NodeKey } from "./nodeKey.js";

/**
 * gossipsub's sender encodes each RPC frame with it-length-prefixed's fixed 4 MiB limit and silently drops
 * anything larger (node20-spike.md, problem 9). The inbound frame limit is set to the same value.
 */
export const GOSSIPSUB_FRAME_LIMIT = 4 * 1024 * 1024;

/** Hard cap of `maxGossipBytes`: the frame limit minus room for the topic and protobuf framing. */
export const MAX_GOSSIP_BYTES = GOSSIPSUB_FRAME_LIMIT - 64 * 1024;

/** Options of `createNetwork`. */
export interface NetworkOptions {
  /** Multiaddrs to listen on, tcp and/or websockets: `/ip4/0.0.0.0/tcp/30333`, `/ip4/127.0.0.1/tcp/30334/ws`. */
  listen: string[];
  /** Peers to dial at start and keep connected, each ending in `/p2p/<PeerId>`. */
  bootnodes?: string[];
  /** The libp2p identity (`nodeKeyFromHex(--node-key)` or `loadOrCreateNodeKey(path)`). */
  nodeKey: NodeKey;
  /** Genesis hash of the chain: namespaces request/response protocol ids (topics take theirs explicitly). */
  genesisHash: GenesisHashInput;
  /** Largest gossip message accepted or published on any topic. Default 1 MiB, at most `MAX_GOSSIP_BYTES`. */
  maxGossipBytes?: number;
  /** Connection limit. Default 64. */
  maxConnections?: number;
  /** Timeout of requests on protocols not registered locally. Default 10 s. */
  defaultRequestTimeoutMs?: number;
  /** Response limit of requests on protocols not registered locally. Default 16 MiB. */
  defaultMaxResponseBytes?: number;
  /** How often disconnected bootnodes are redialled once libp2p's reconnect retries are spent. Default 10 s. */
  bootnodeRedialMs?: number;
  /** Timeout of one dial. Default 10 s. */
  dialTimeoutMs?: number;
  /**
   * Fault injection, for tests only (`network.faults`): `true` or options (a seed) enable it. Off by default;
   * when off, no gater or filter is installed at all.
   */
  faults?: boolean | NetworkFaultsOptions;
}

/** Dependencies of `createNetwork`; all optional. */
export interface NetworkModules {
  logger?: NetworkLogger;
  metrics?: NetworkMetrics;
  /** A fault injector to use (enables fault injection whatever `opts.faults` says); one per network. */
  faults?: NetworkFaults;
}

/** The optional `NetworkOptions` that have defaults. */
export type DefaultedNetworkOptions = Required<
  Pick<
    NetworkOptions,
    | "maxGossipBytes"
    | "maxConnections"
    | "defaultRequestTimeoutMs"
    | "defaultMaxResponseBytes"
    | "bootnodeRedialMs"
    | "dialTimeoutMs"
  >
>;

/** Defaults of the optional `NetworkOptions`. */
export const defaultNetworkOptions: Readonly<DefaultedNetworkOptions> = {
  maxGossipBytes: 1024 * 1024,
  maxConnections: 64,
  defaultRequestTimeoutMs: 10_000,
  defaultMaxResponseBytes: 16 * 1024 * 1024,
  bootnodeRedialMs: 10_000,
  dialTimeoutMs: 10_000,
};
