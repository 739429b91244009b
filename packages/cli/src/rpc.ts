import {
  type BlockImporter,
  type ChainDb,
  type ChainRuntime,
  createRpcServer,
  type Logger,
  registerSubstrateRpc,
  type TxPool,
} from "@parapipe/node";
import type { ChainSpec } from "@parapipe/primitives";
import { type ParachainRuntime, type relay, runtimeRpcApi, transactionValidityErrorOf } from "@parapipe/runtime";
import { Keystore, rpcKeystore } from "./keystore.js";
import type { RpcFlags } from "./nodeFlags.js";
import type { ServedNode } from "./serve.js";
import { VERSION } from "./version.js";

/** What a node gives its JSON-RPC server: the chain it serves and how to submit to it. */
export interface RpcChain {
  chain: ChainDb;
  importer: BlockImporter;
  adapter: ChainRuntime;
  runtime: ParachainRuntime | relay.RelayRuntime;
  pool: TxPool;
  submit(tx: Uint8Array): Promise<unknown>;
}

/** The node's JSON-RPC server, as `serveNode` holds it. */
export interface RpcHandle {
  /** `host:port` it listens on. */
  address: string;
  /** Registers the chain methods once the node is open (before that, only `system_*` and `/health`). */
  attach(node: ServedNode): void;
  close(): Promise<void>;
}

/**
 * Starts the JSON-RPC server (HTTP and WebSocket on one port, `/health`, `/health/readiness`). The port is bound
 * before the node opens its database, so a port in use is reported first; `attach` then registers Substrate's
 * `system_*`, `chain_*`, `state_*` and `author_*` methods on the node's chain.
 */
export async function startRpc(
  flags: RpcFlags,
  ctx: { spec: ChainSpec; name: string; keystoreDir: string; node: () => ServedNode | undefined },
  log: Logger,
): Promise<RpcHandle> {
  const health = () => {
    const n = ctx.node();
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
  await server.listen();
  const a = server.address();
  return {
    address: `${a.host}:${a.port}`,
    attach(node) {
      const c = node.rpc;
      const api = runtimeRpcApi(c.runtime);
      registerSubstrateRpc(
        server,
        {
          chain: c.chain,
          events: c.importer,
          runtime: c.adapter,
          pool: c.pool,
          submit: (tx) => c.submit(tx),
          // No runtime upgrades: every block runs the runtime of the spec.
          runtimeApi: () => api,
          registry: c.runtime.registry,
          describeInvalid: (reason) => transactionValidityErrorOf(reason).rpc,
          keystore: rpcKeystore(new Keystore(ctx.keystoreDir)),
          system: {
            name: "parapipe",
            version: VERSION,
            chain: ctx.spec.name,
            chainType: ctx.spec.chainType,
            properties: { ...ctx.spec.properties },
            roles: [node.role === "AUTHORITY" ? "Authority" : "Full"],
            peerId: () => node.peerId,
            listenAddrs: () => node.listenAddrs(),
            peers: () => node.peerInfo(),
            isSyncing: () => false,
            health,
          },
        },
        { logger: log.child({ module: "rpc" }) },
      );
    },
    close: () => server.close(),
  };
}
