import { createRpcServer, type Logger } from "@parapipe/node";
import type { ChainSpec } from "@parapipe/primitives";
import type { RpcFlags } from "./nodeFlags.js";
import type { ServedNode } from "./serve.js";
import { VERSION } from "./version.js";

/** The node's JSON-RPC server, as `serveNode` holds it. */
export interface RpcHandle {
  /** `host:port` it listens on. */
  address: string;
  close(): Promise<void>;
}

/**
 * Starts the JSON-RPC server (HTTP and WebSocket on one port, `/health`, `/health/readiness`) with the
 * `system_*` methods that describe the node. `node()` is undefined until the node is open: the port is bound
 * first, so a port in use is reported before the database opens; until then `/health` says 0 peers.
 */
export async function startRpc(
  flags: RpcFlags,
  ctx: { spec: ChainSpec; name: string; node: () => ServedNode | undefined },
  log: Logger,
): Promise<RpcHandle> {
  const health = () => {
    const n = ctx.node();
    // A dev network of one node has nobody to peer with; every parapipe chain spec is multi-node.
    return { peers: n?.peers() ?? 0, isSyncing: n === undefined, shouldHavePeers: true };
  };
  const server = createRpcServer(
    {
      host: flags.host,
      port: flags.port,
      methods: flags.methods,
      cors: flags.cors,
      maxConnections: flags.maxConnections,
      maxRequestBytes: flags.maxRequestBytes,
      maxResponseBytes: flags.maxResponseBytes,
      maxSubscriptionsPerConnection: flags.maxSubscriptionsPerConnection,
    },
    { logger: log.child({ module: "rpc" }), health },
  );
  server.register("system_name", () => "parapipe");
  server.register("system_version", () => VERSION);
  server.register("system_chain", () => ctx.spec.name);
  server.register("system_chainType", () => ctx.spec.chainType);
  server.register("system_properties", () => ctx.spec.properties);
  server.register("system_health", health);
  server.register("system_nodeRoles", () => [ctx.node()?.role === "AUTHORITY" ? "Authority" : "Full"]);
  server.register("system_localPeerId", () => ctx.node()?.peerId ?? null);
  server.register("system_localListenAddresses", () => {
    const n = ctx.node();
    return n ? n.listenAddrs() : [];
  });
  await server.listen();
  const a = server.address();
  return { address: `${a.host}:${a.port}`, close: () => server.close() };
}
