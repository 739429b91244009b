/**
 * The legacy Substrate JSON-RPC methods (`system_*`, `chain_*`, `state_*`, `author_*`) on a node of either kind,
 * as polkadot-js, PAPI's legacy path and Zombienet call them (see `shared/reference/ecosystem.md` §1, §2, §7).
 * Names, aliases, notification names, unsafe flags, result shapes and error codes follow polkadot-sdk
 * `substrate/client/rpc-api/src/{system,chain,state,author}` and `substrate/utils/frame/rpc/system`.
 */
import type { decodeExact, NodeStore, ParapipeError } from "@parapipe/primitives";
import type { ChainDb } from "../chain/chainDb.js";
import type { ChainEvents, ChainRuntime, Logger } from "../interface.js";
import type { TxPool } from "../txPool/txPool.js";
import { silentLogger } from "../util.js";
import { registerAuthorRpc } from "./author.js";
import { registerChainRpc } from "./chain.js";
import type { RpcServer } from "./server.js";
import { registerStateRpc } from "./state.js";
import { SubstrateRpcContext } from "./substrateContext.js";
import { registerSystemRpc } from "./system.js";

export { SUBSTRATE_RPC_ERROR_CODES } from "./substrateErrors.js";

/** The block a runtime API call runs at: its state (through `store`) and identity. */
export interface RuntimeApiBlock {
  /** Trie nodes of the state (valid only during the call: runtime calls run inside `ChainDb.withState`). */
  store: NodeStore;
  hash: Uint8Array;
  number: number;
  stateRoot: Uint8Array;
}

/** Why a runtime API call (`RuntimeRpcApi.call`) failed: the `code` of the error it throws. */
export type RuntimeCallErrorCode = "UNKNOWN_METHOD" | "BAD_ARGUMENTS" | "EXECUTION_FAILED";

/**
 * What the RPC needs from the runtime of one block (the runtime package's `runtimeRpcApi(rt)` has this shape).
 * Synchronous and pure over the block's state, like every `ChainRuntime` call.
 */
export interface RuntimeRpcApi {
  /** `state_getRuntimeVersion` JSON (specName, specVersion, apis `[["0x…", n]]`, transactionVersion …). */
  version(): Record<string, unknown>;
  /** SCALE `RuntimeMetadataPrefixed` (`state_getMetadata`). */
  metadata(): Uint8Array;
  /**
   * A runtime API call (`state_call`): SCALE arguments in, SCALE result out. Throws an error whose `code` is a
   * `RuntimeCallErrorCode`, with a message saying what went wrong.
   */
  call(method: string, args: Uint8Array, at: RuntimeApiBlock): Uint8Array;
}

/** A connected peer as `system_peers` lists it (Substrate `PeerInfo`). */
export interface SubstratePeerInfo {
  peerId: string;
  /** `"FULL"`, `"AUTHORITY"` … (Substrate's `Roles` debug text). */
  roles: string;
  bestHash: string;
  bestNumber: number;
}

/** The node facts `system_*` answers. */
export interface SubstrateSystemInfo {
  /** Implementation name (`system_name`; PAPI also shows it as the chain name). */
  name: string;
  /** Implementation version (semver). */
  version: string;
  /** The chain spec's name (`system_chain`). */
  chain: string;
  /** `"Development"`, `"Local"`, `"Live"` or `{Custom: name}` (`system_chainType`). */
  chainType: string | { Custom: string };
  /** The chain spec's properties (ss58Format, tokenDecimals, tokenSymbol …). */
  properties: Record<string, unknown>;
  /** `"Full"`, `"Authority"` (`system_nodeRoles`). */
  roles: string[];
  /** Base58 libp2p PeerId. */
  peerId(): string;
  /** Listen multiaddrs with the trailing `/p2p/<peerId>`. */
  listenAddrs(): string[];
  peers(): SubstratePeerInfo[];
  /** Whether a major sync is under way. */
  isSyncing(): boolean;
  health(): { peers: number; isSyncing: boolean; shouldHavePeers: boolean };
}

/** Session keys for `author_insertKey` / `rotateKeys` / `hasKey` / `hasSessionKeys`. */
export interface SubstrateRpcKeystore {
  /** Stores the key derived from `suri` under the 4-character `keyType`. */
  insertKey(keyType: string, suri: string, publicKey: Uint8Array): void | Promise<void>;
  /** Generates new session keys; returns their SCALE-encoded public keys. */
  rotateKeys(): Uint8Array | Promise<Uint8Array>;
  /** Whether the private key of `publicKey` (of `keyType`) is held. */
  hasKey(publicKey: Uint8Array, keyType: string): boolean | Promise<boolean>;
  /** Whether every private key of the SCALE-encoded session keys is held. */
  hasSessionKeys(sessionKeys: Uint8Array): boolean | Promise<boolean>;
}

/** The chain database as the RPC reads it (`ChainDb` is one). */
export type SubstrateRpcChain = Pick<
  ChainDb,
  "best" | "finalized" | "header" | "block" | "justification" | "canonicalHash" | "blockInfo" | "withState"
>;

/** The transaction pool as the RPC uses it (`TxPool` is one). */
export type SubstrateRpcPool = Pick<TxPool, "submit" | "watch" | "ready" | "get" | "reportInvalid">;

/** What `registerSubstrateRpc` serves from. */
export interface SubstrateRpcBackend {
  chain: SubstrateRpcChain;
  /** Import, best-block and finality events (the node's `BlockImporter`). */
  events: ChainEvents;
  /** Block decoding (`chain_getBlock` extrinsics). */
  runtime: Pick<ChainRuntime, "blockExtrinsics">;
  /** The transaction pool; without it `author_*` answer an error. */
  pool?: SubstrateRpcPool;
  /**
   * Submits a transaction to the pool and gossips it (the node's own submission path, e.g.
   * `TransactionGossip.submit`); rejects with the pool's `PoolError`. Default: `pool.submit`. Its result is not
   * read (the transaction hash is blake2-256 of the bytes).
   */
  submit?(tx: Uint8Array): Promise<unknown>;
  /** The runtime of the block `at` (its `:code`). */
  runtimeApi(at: RuntimeApiBlock): RuntimeRpcApi;
  system: SubstrateSystemInfo;
  /**
   * The runtime's `@polkadot/types` registry: decodes SCALE headers into Header JSON and SS58 account ids
   * (`system_accountNextIndex`).
   */
  registry: Parameters<typeof decodeExact>[0];
  /**
   * How a pool `INVALID_TRANSACTION` refusal is answered, from the runtime's reason: a string is the `data` of
   * the 1010/1011 error (default: the reason's message); an object is the whole JSON-RPC error (e.g. the
   * runtime package's `transactionValidityErrorOf(reason).rpc`). The node does not import the runtime, so the
   * runtime's describer is passed in.
   */
  describeInvalid?(reason: ParapipeError<{ code: string }>): string | { code: number; message: string; data?: unknown };
  /** Session keys; without it the keystore methods answer 1040 "The key store is unavailable". */
  keystore?: SubstrateRpcKeystore;
  /**
   * Consensus engine id the stored justifications belong to, as `chain_getBlock` labels them. Default `"FRNK"`
   * (GRANDPA's, which the finality tracker's justifications stand in for).
   */
  justificationEngineId?: string;
}

/** Options of `registerSubstrateRpc`. */
export interface SubstrateRpcOptions {
  logger?: Logger;
}

/**
 * Registers the legacy Substrate methods, their aliases and subscriptions on `server`. Call once per server
 * (names registered twice throw `RpcServerError` `DUPLICATE_METHOD`).
 */
export function registerSubstrateRpc(
  server: RpcServer,
  backend: SubstrateRpcBackend,
  opts: SubstrateRpcOptions = {},
): void {
  const logger = (opts.logger ?? silentLogger).child({ module: "rpc" });
  const ctx = new SubstrateRpcContext(backend, logger);
  registerSystemRpc(server, ctx);
  registerChainRpc(server, ctx);
  registerStateRpc(server, ctx);
  registerAuthorRpc(server, ctx);
}
