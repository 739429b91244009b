import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  blake2_128,
  blake2_256,
  concatBytes,
  cryptoReady,
  fromHex,
  readProof,
  type Sr25519Keypair,
  toHex,
  twox128,
} from "@parapipe/primitives";
import { type BuiltBlock, type DevParachain, runtimeRpcApi, transactionValidityErrorOf } from "@parapipe/runtime";
import { WebSocket } from "ws";
import { RPC_ERROR_CODES } from "../../src/rpc/errors.js";
import { createRpcServer, type RpcMethodsPolicy, type RpcServer } from "../../src/rpc/server.js";
import {
  SUBSTRATE_RPC_ERROR_CODES as CODES,
  registerSubstrateRpc,
  type SubstrateRpcBackend,
  type SubstrateRpcKeystore,
  type SubstrateSystemInfo,
} from "../../src/rpc/substrate.js";
import { TxPool } from "../../src/txPool/txPool.js";
import { alice, bob, charlie, dave, importAll, openNode, paraWorld, produce, tempDirs, UNIT } from "./helpers.js";

// ---- fixtures ----

interface RpcErrorJson {
  code: number;
  message: string;
  data?: unknown;
}

interface Message {
  id?: number;
  result?: unknown;
  error?: RpcErrorJson;
  method?: string;
  params?: { subscription: string; result: unknown };
}

/** A JSON-RPC WebSocket client: calls resolve with the whole answer, notifications queue per subscription. */
class Client {
  private nextId = 1;
  private readonly pending = new Map<number, (m: Message) => void>();
  private readonly notes = new Map<string, Array<{ method: string; result: unknown }>>();
  private readonly waiting = new Map<string, () => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data)) as Message;
      if (msg.id !== undefined) {
        this.pending.get(msg.id)?.(msg);
        this.pending.delete(msg.id);
        return;
      }
      if (msg.params === undefined) return;
      const list = this.notes.get(msg.params.subscription) ?? [];
      list.push({ method: msg.method!, result: msg.params.result });
      this.notes.set(msg.params.subscription, list);
      this.waiting.get(msg.params.subscription)?.();
    });
  }

  static open(port: number): Promise<Client> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(new Client(ws)));
      ws.once("error", reject);
    });
  }

  request(method: string, params?: unknown): Promise<Message> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) }));
    });
  }

  /** The call's result; fails the test on an error answer. */
  async call<T = unknown>(method: string, params: unknown = []): Promise<T> {
    const m = await this.request(method, params);
    assert.equal(m.error, undefined, `${method} answered ${JSON.stringify(m.error)}`);
    return m.result as T;
  }

  /** The call's error; fails the test on a result. */
  async error(method: string, params: unknown = []): Promise<RpcErrorJson> {
    const m = await this.request(method, params);
    assert.ok(m.error, `${method} answered ${JSON.stringify(m.result)?.slice(0, 200)}, expected an error`);
    return m.error;
  }

  /** The next notification of `subscription` (its method and result). */
  async next(subscription: string, timeoutMs = 5000): Promise<{ method: string; result: unknown }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const list = this.notes.get(subscription) ?? [];
      if (list.length > 0) return list.shift()!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no notification on ${subscription} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiting.set(subscription, () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The results of the notifications received so far on `subscription` (consumed). */
  drain(subscription: string): unknown[] {
    const list = this.notes.get(subscription) ?? [];
    this.notes.set(subscription, []);
    return list.map((n) => n.result);
  }

  close(): void {
    this.ws.terminate();
  }
}

const PEER = "12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp";

const system: SubstrateSystemInfo = {
  name: "parapipe",
  version: "0.1.0-test",
  chain: "Parapipe Development",
  chainType: "Development",
  properties: { ss58Format: 5, tokenDecimals: 18, tokenSymbol: "ASTR" },
  roles: ["Authority"],
  peerId: () => PEER,
  listenAddrs: () => [`/ip4/127.0.0.1/tcp/30333/p2p/${PEER}`],
  peers: () => [{ peerId: "12D3KooWPeer", roles: "FULL", bestHash: `0x${"11".repeat(32)}`, bestNumber: 7 }],
  isSyncing: () => false,
  health: () => ({ peers: 1, isSyncing: false, shouldHavePeers: true }),
};

/** `System.Account(who)`: twox128("System") ++ twox128("Account") ++ blake2_128(who) ++ who. */
function accountKey(who: Uint8Array): Uint8Array {
  return concatBytes(twox128("System"), twox128("Account"), blake2_128(who), who);
}

const ACCOUNT_PREFIX = concatBytes(twox128("System"), twox128("Account"));
const UNKNOWN_HASH = `0x${"ab".repeat(32)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Setup {
  rpc: Client;
  server: RpcServer;
  node: Awaited<ReturnType<typeof openNode>>;
  pool: TxPool | undefined;
  dev: DevParachain;
  world: ReturnType<typeof paraWorld>;
  transfer(who: Sr25519Keypair, nonce: number, amount?: bigint): Uint8Array;
  /** Produces the next block on the dev chain (with `txs`) and imports it into the node. */
  block(txs?: Uint8Array[]): Promise<BuiltBlock>;
  close(): Promise<void>;
}

describe("Substrate JSON-RPC methods", () => {
  const tmp = tempDirs();
  const open: Setup[] = [];
  before(cryptoReady);
  after(async () => {
    for (const s of open.splice(0)) await s.close();
    await tmp.cleanup();
  });

  async function setup(
    o: {
      pool?: boolean;
      methods?: RpcMethodsPolicy;
      keystore?: SubstrateRpcKeystore;
      describeInvalid?: SubstrateRpcBackend["describeInvalid"] | null;
    } = {},
  ): Promise<Setup> {
    const world = paraWorld();
    const node = await openNode(world, await tmp.make());
    const pool =
      o.pool === false
        ? undefined
        : new TxPool({}, { runtime: world.chainRuntime, chain: node.chain, events: node.importer });
    const server = createRpcServer({ port: 0, wsPingIntervalMs: 0, methods: o.methods ?? "auto" });
    const api = runtimeRpcApi(world.rt);
    const backend: SubstrateRpcBackend = {
      chain: node.chain,
      events: node.importer,
      runtime: world.chainRuntime,
      pool,
      runtimeApi: () => api,
      system,
      registry: world.rt.registry,
      describeInvalid:
        o.describeInvalid === null
          ? undefined
          : (o.describeInvalid ?? ((reason) => transactionValidityErrorOf(reason).text)),
      keystore: o.keystore,
    };
    registerSubstrateRpc(server, backend);
    await server.listen();
    const rpc = await Client.open(server.address().port);
    const dev = world.producer();
    let slot = 100;
    const s: Setup = {
      rpc,
      server,
      node,
      pool,
      dev,
      world,
      transfer: (who, nonce, amount = UNIT) =>
        dev.sign(who, "balances", "transferKeepAlive", [{ Id: charlie.publicKey }, amount], { nonce }),
      async block(txs = []) {
        const [b] = produce(dev, slot++, 1, [txs]);
        await importAll(node.importer, [b!]);
        return b!;
      },
      async close() {
        rpc.close();
        await server.close();
        await pool?.close();
        await node.close();
      },
    };
    open.push(s);
    return s;
  }

  it("system_* answer the node's facts; syncState follows the best block and the peers", async () => {
    const { rpc, block } = await setup();
    assert.equal(await rpc.call("system_name"), "parapipe");
    assert.equal(await rpc.call("system_version"), "0.1.0-test");
    assert.equal(await rpc.call("system_chain"), "Parapipe Development");
    assert.equal(await rpc.call("system_chainType"), "Development");
    assert.deepEqual(await rpc.call("system_properties"), { ss58Format: 5, tokenDecimals: 18, tokenSymbol: "ASTR" });
    assert.deepEqual(await rpc.call("system_health"), { peers: 1, isSyncing: false, shouldHavePeers: true });
    assert.deepEqual(await rpc.call("system_nodeRoles"), ["Authority"]);
    assert.equal(await rpc.call("system_localPeerId"), PEER);
    assert.deepEqual(await rpc.call("system_localListenAddresses"), [`/ip4/127.0.0.1/tcp/30333/p2p/${PEER}`]);
    assert.deepEqual(await rpc.call("system_peers"), system.peers());
    await block();
    assert.deepEqual(await rpc.call("system_syncState"), { startingBlock: 0, currentBlock: 1, highestBlock: 7 });
  });

  it("rpc_methods lists the canonical names with Substrate's aliases", async () => {
    const { rpc } = await setup();
    const { methods } = await rpc.call<{ methods: string[] }>("rpc_methods");
    for (const m of [
      "author_pendingExtrinsics",
      "author_submitAndWatchExtrinsic",
      "author_submitExtrinsic",
      "author_unwatchExtrinsic",
      "chain_getBlock",
      "chain_getBlockHash",
      "chain_getFinalizedHead",
      "chain_getHeader",
      "chain_subscribeAllHeads",
      "chain_subscribeFinalizedHeads",
      "chain_subscribeNewHeads",
      "chain_unsubscribeNewHeads",
      "state_call",
      "state_getKeysPaged",
      "state_getMetadata",
      "state_getReadProof",
      "state_getRuntimeVersion",
      "state_getStorage",
      "state_getStorageHash",
      "state_queryStorageAt",
      "state_subscribeRuntimeVersion",
      "state_subscribeStorage",
      "system_accountNextIndex",
      "system_chain",
      "system_health",
      "system_properties",
      // aliases
      "account_nextIndex",
      "chain_getFinalisedHead",
      "chain_getHead",
      "chain_getRuntimeVersion",
      "chain_subscribeNewHead",
      "chain_subscribeFinalisedHeads",
      "chain_unsubscribeNewHead",
      "state_callAt",
      "state_getStorageAt",
      "subscribe_newHead",
      "unsubscribe_newHead",
    ])
      assert.ok(methods.includes(m), `${m} is listed`);
  });

  it("chain_* answer hashes, headers and blocks in Substrate's shapes, and null for unknown blocks", async () => {
    const { rpc, node, block, transfer, world } = await setup();
    const genesis = toHex(node.chain.finalized.hash);
    const b1 = await block();
    const tx = transfer(alice, 0);
    const b2 = await block([tx]);
    await node.importer.finalize(b1.hash, new Uint8Array([1, 2, 3]));

    assert.equal(await rpc.call("chain_getBlockHash"), toHex(b2.hash));
    assert.equal(await rpc.call("chain_getBlockHash", [0]), genesis);
    assert.equal(await rpc.call("chain_getBlockHash", ["0x1"]), toHex(b1.hash));
    assert.deepEqual(await rpc.call("chain_getBlockHash", [[0, 2, "0x5"]]), [genesis, toHex(b2.hash), null]);
    assert.equal(await rpc.call("chain_getHead", [2]), toHex(b2.hash));
    assert.equal(await rpc.call("chain_getBlockHash", [null]), toHex(b2.hash));

    const h = b2.header;
    const expected = {
      parentHash: toHex(b1.hash),
      number: "0x2",
      stateRoot: h.stateRoot.toHex(),
      extrinsicsRoot: h.extrinsicsRoot.toHex(),
      digest: { logs: h.digest.logs.map((l) => l.toHex()) },
    };
    assert.ok(expected.digest.logs.length >= 2, "the header carries the Aura pre-digest and seal");
    assert.deepEqual(await rpc.call("chain_getHeader", [toHex(b2.hash)]), expected);
    assert.deepEqual(await rpc.call("chain_getHeader"), expected);
    assert.equal(await rpc.call("chain_getHeader", [UNKNOWN_HASH]), null);
    assert.equal(((await rpc.call("chain_getHeader", [genesis])) as { number: string }).number, "0x0");

    const signed = await rpc.call<{ block: { header: unknown; extrinsics: string[] }; justifications: unknown }>(
      "chain_getBlock",
      [toHex(b2.hash)],
    );
    assert.deepEqual(signed.block.header, expected);
    assert.deepEqual(signed.block.extrinsics, world.chainRuntime.blockExtrinsics(b2.block).map(toHex));
    assert.ok(signed.block.extrinsics.includes(toHex(tx)), "the submitted transfer is among the extrinsics");
    assert.equal(signed.justifications, null);
    const final = await rpc.call<{ justifications: unknown }>("chain_getBlock", [toHex(b1.hash)]);
    // sp_runtime::Justifications as serde writes it: [[engine id [u8; 4], bytes]].
    assert.deepEqual(final.justifications, [
      [
        [70, 82, 78, 75],
        [1, 2, 3],
      ],
    ]);
    assert.deepEqual(
      ((await rpc.call("chain_getBlock", [genesis])) as { block: { extrinsics: string[] } }).block.extrinsics,
      [],
    );
    assert.equal(await rpc.call("chain_getBlock", [UNKNOWN_HASH]), null);

    assert.equal(await rpc.call("chain_getFinalizedHead"), toHex(b1.hash));
    assert.equal(await rpc.call("chain_getFinalisedHead"), toHex(b1.hash));

    const tooBig = await rpc.error("chain_getBlockHash", [2 ** 32]);
    assert.equal(tooBig.code, CODES.CHAIN_OTHER);
    assert.equal(tooBig.message, "`4294967296` > u32::MAX, the max block number is u32.");
    for (const bad of [[-1], [1.5], ["12"], [{}], [[0, "x"]]]) {
      const e = await rpc.error("chain_getBlockHash", bad);
      assert.equal(e.code, RPC_ERROR_CODES.INVALID_PARAMS, JSON.stringify(bad));
    }
  });

  it("state_* read storage at any stored block: a value changed in block 2 reads differently at 1 and 2", async () => {
    const { rpc, node, block, transfer } = await setup();
    const genesis = node.chain.finalized.hash;
    const b1 = await block();
    const b2 = await block([transfer(alice, 0)]);
    // Charlie (not a block author) is only credited by Alice's transfer in block 2.
    const key = toHex(accountKey(charlie.publicKey));
    const missing = toHex(accountKey(new Uint8Array(32).fill(9)));

    const at1 = await rpc.call<string>("state_getStorage", [key, toHex(b1.hash)]);
    const at2 = await rpc.call<string>("state_getStorage", [key, toHex(b2.hash)]);
    assert.match(at1, /^0x[0-9a-f]+$/);
    assert.notEqual(at1, at2, "Charlie's account changed in block 2");
    assert.equal(await rpc.call("state_getStorage", [key]), at2, "the best block by default");
    assert.equal(await rpc.call("state_getStorageAt", [key, toHex(b1.hash)]), at1);
    assert.equal(await rpc.call("state_getStorage", { key, hash: toHex(b1.hash) }), at1, "named params");
    assert.equal(await rpc.call("state_getStorage", [missing]), null);

    assert.equal(await rpc.call("state_getStorageHash", [key, toHex(b1.hash)]), toHex(blake2_256(fromHex(at1))));
    assert.equal(await rpc.call("state_getStorageHashAt", [missing]), null);
    assert.equal(await rpc.call("state_getStorageSize", [key, toHex(b1.hash)]), fromHex(at1).length);
    const prefixSize = await rpc.call<number>("state_getStorageSize", [toHex(ACCOUNT_PREFIX)]);
    assert.ok(prefixSize >= 4 * fromHex(at1).length, "a prefix sums the values under it");
    assert.equal(await rpc.call("state_getStorageSize", [missing]), null);

    assert.deepEqual(await rpc.call("state_queryStorageAt", [[key, missing], toHex(b1.hash)]), [
      {
        block: toHex(b1.hash),
        changes: [
          [key, at1],
          [missing, null],
        ],
      },
    ]);
    assert.deepEqual(await rpc.call("state_queryStorageAt", [[key]]), [
      { block: toHex(b2.hash), changes: [[key, at2]] },
    ]);
    // From genesis to block 2: the first set has every key, later ones only the keys that changed.
    const history = await rpc.call<Array<{ block: string; changes: unknown[] }>>("state_queryStorage", [
      [key, missing],
      toHex(genesis),
      toHex(b2.hash),
    ]);
    assert.deepEqual(
      history.map((c) => c.block),
      [toHex(genesis), toHex(b2.hash)],
    );
    assert.deepEqual(history[1]!.changes, [[key, at2]]);

    const proof = await rpc.call<{ at: string; proof: string[] }>("state_getReadProof", [[key], toHex(b1.hash)]);
    assert.equal(proof.at, toHex(b1.hash));
    const value = readProof(b1.stateRoot, proof.proof.map(fromHex), fromHex(key));
    assert.equal(value && toHex(value), at1, "the proof proves the value at block 1");

    const unknown = await rpc.error("state_getStorage", [key, UNKNOWN_HASH]);
    assert.equal(unknown.code, CODES.STATE_CLIENT);
    assert.equal(unknown.message, `Client error: UnknownBlock: Header was not found in the database: ${UNKNOWN_HASH}`);
    assert.equal((await rpc.error("state_getRuntimeVersion", [UNKNOWN_HASH])).code, CODES.STATE_CLIENT);
    assert.equal(
      (await rpc.error("state_queryStorageAt", [[key], UNKNOWN_HASH])).code,
      CODES.STATE_INVALID_BLOCK_RANGE,
    );
  });

  it("state_getKeysPaged pages through a prefix in key order; more than 1000 keys is refused", async () => {
    const { rpc } = await setup();
    const prefix = toHex(ACCOUNT_PREFIX);
    const all = await rpc.call<string[]>("state_getKeys", [prefix]);
    assert.ok(all.length >= 4, `the dev accounts are funded (${all.length} accounts)`);
    assert.deepEqual([...all].sort(), all, "key order");
    for (const who of [alice, bob, charlie, dave]) assert.ok(all.includes(toHex(accountKey(who.publicKey))));

    const pages: string[] = [];
    let start: string | null = null;
    for (;;) {
      const page: string[] = await rpc.call<string[]>("state_getKeysPaged", [prefix, 2, start]);
      assert.ok(page.length <= 2);
      pages.push(...page);
      if (page.length < 2) break;
      start = page[page.length - 1]!;
    }
    assert.deepEqual(pages, all, "the pages together are every key, once, in order");
    assert.deepEqual(await rpc.call("state_getKeysPagedAt", [prefix, 1, all[0]]), [all[1]], "strictly after startKey");
    const pairs = await rpc.call<Array<[string, string]>>("state_getPairs", [prefix]);
    assert.deepEqual(
      pairs.map(([k]) => k),
      all,
    );

    const tooMany = await rpc.error("state_getKeysPaged", [prefix, 1001]);
    assert.equal(tooMany.code, CODES.STATE_INVALID_COUNT);
    assert.equal(tooMany.message, "count exceeds maximum value. value: 1001, max: 1000");
    assert.equal((await rpc.error("state_getKeysPaged", [prefix, "10"])).code, RPC_ERROR_CODES.INVALID_PARAMS);
  });

  it("state_getRuntimeVersion, state_getMetadata and state_call answer from the block's runtime", async () => {
    const { rpc, world } = await setup();
    const version = await rpc.call<{ specName: string; specVersion: number; apis: Array<[string, number]> }>(
      "state_getRuntimeVersion",
    );
    assert.equal(version.specName, "parapipe-astar");
    assert.equal(version.specVersion, world.rt.version.specVersion);
    assert.ok(
      version.apis.some(([id]) => id === "0x37e397fc7c91f5e4"),
      "the Metadata API is advertised",
    );
    assert.deepEqual(await rpc.call("chain_getRuntimeVersion"), version);
    assert.equal(await rpc.call("state_getMetadata"), toHex(world.rt.metadata));
    // PAPI sends "" for argument-less calls; Vec<u32> [14].
    assert.equal(await rpc.call("state_call", ["Metadata_metadata_versions", ""]), "0x040e000000");
    assert.equal(await rpc.call("state_callAt", ["Metadata_metadata_versions", "0x"]), "0x040e000000");
    assert.equal(await rpc.call("state_call", ["AccountNonceApi_account_nonce", toHex(alice.publicKey)]), "0x00000000");

    const unknown = await rpc.error("state_call", ["Foo_bar", "0x"]);
    assert.equal(unknown.code, CODES.STATE_CLIENT);
    assert.equal(unknown.message, "Client error: Execution failed: Other: Exported method Foo_bar is not found");
    const bad = await rpc.error("state_call", ["AccountNonceApi_account_nonce", "0x01"]);
    assert.equal(bad.code, CODES.STATE_CLIENT);
    assert.match(bad.message, /^Client error: Execution failed: /);
  });

  it("head subscriptions send the current head, then each new best, imported and finalized block in order", async () => {
    const { rpc, node, block } = await setup();
    const genesis = node.chain.finalized.hash;
    const newHeads = await rpc.call<string>("chain_subscribeNewHead");
    const allHeads = await rpc.call<string>("chain_subscribeAllHeads");
    const finalized = await rpc.call<string>("chain_subscribeFinalizedHeads");
    const first = await rpc.next(newHeads);
    assert.equal(first.method, "chain_newHead");
    assert.equal((first.result as { number: string }).number, "0x0");
    assert.equal((await rpc.next(allHeads)).method, "chain_allHead");
    const f0 = await rpc.next(finalized);
    assert.equal(f0.method, "chain_finalizedHead");
    assert.equal((f0.result as { number: string }).number, "0x0");

    const blocks = [await block(), await block(), await block()];
    for (const b of blocks) {
      const n = (await rpc.next(newHeads)).result as { number: string; parentHash: string };
      assert.equal(n.number, `0x${b.header.number.toNumber().toString(16)}`);
      assert.equal(n.parentHash, b.header.parentHash.toHex());
      assert.equal(((await rpc.next(allHeads)).result as { number: string }).number, n.number);
    }
    // Finality jumps from genesis to #3: each of #1, #2, #3 is announced, in order.
    await node.importer.finalize(blocks[2]!.hash);
    const numbers = [];
    for (let i = 0; i < 3; i++) numbers.push(((await rpc.next(finalized)).result as { number: string }).number);
    assert.deepEqual(numbers, ["0x1", "0x2", "0x3"]);
    assert.notEqual(toHex(genesis), toHex(blocks[2]!.hash));

    assert.equal(await rpc.call("chain_unsubscribeNewHead", [newHeads]), true);
    assert.equal(await rpc.call("chain_unsubscribeNewHeads", [newHeads]), false, "already ended");
    await block();
    await rpc.next(allHeads);
    await sleep(50);
    assert.deepEqual(rpc.drain(newHeads), [], "no notification after unsubscribing");
  });

  it("state_subscribeStorage sends the current values, then only the keys that changed; runtime version first", async () => {
    const { rpc, block, transfer } = await setup();
    const charlieKey = toHex(accountKey(charlie.publicKey));
    const daveKey = toHex(accountKey(dave.publicKey));
    const sub = await rpc.call<string>("state_subscribeStorage", [[charlieKey, daveKey]]);
    const initial = await rpc.next(sub);
    assert.equal(initial.method, "state_storage");
    const init = initial.result as { block: string; changes: Array<[string, string | null]> };
    assert.deepEqual(
      init.changes.map(([k]) => k),
      [charlieKey, daveKey],
    );
    await block(); // touches neither account: nothing is sent
    const b2 = await block([transfer(alice, 0)]); // credits Charlie
    const change = (await rpc.next(sub)).result as { block: string; changes: Array<[string, string | null]> };
    assert.equal(change.block, toHex(b2.hash));
    assert.deepEqual(
      change.changes.map(([k]) => k),
      [charlieKey],
    );
    assert.notEqual(change.changes[0]![1], init.changes[0]![1]);
    assert.equal(await rpc.call("state_unsubscribeStorage", [sub]), true);

    const rv = await rpc.call<string>("chain_subscribeRuntimeVersion");
    const version = await rpc.next(rv);
    assert.equal(version.method, "state_runtimeVersion");
    assert.equal((version.result as { specName: string }).specName, "parapipe-astar");
    await block();
    await sleep(50);
    assert.deepEqual(rpc.drain(rv), [], "an unchanged version is not sent again");
    assert.equal(await rpc.call("state_unsubscribeRuntimeVersion", [rv]), true);

    // Every key's changes: unsafe upstream; not supported here even when unsafe calls are allowed.
    assert.equal((await rpc.error("state_subscribeStorage")).code, RPC_ERROR_CODES.CALL_EXECUTION_FAILED);
    assert.equal((await rpc.error("state_subscribeStorage", [["0xzz"]])).code, RPC_ERROR_CODES.INVALID_PARAMS);
  });

  it("author_submitAndWatchExtrinsic reports ready, inBlock and finalized as blocks are imported and finalized", async () => {
    const { rpc, node, block, transfer } = await setup();
    const tx = transfer(alice, 0);
    const sub = await rpc.call<string>("author_submitAndWatchExtrinsic", [toHex(tx)]);
    const ready = await rpc.next(sub);
    assert.equal(ready.method, "author_extrinsicUpdate");
    assert.equal(ready.result, "ready");
    assert.deepEqual(await rpc.call("author_pendingExtrinsics"), [toHex(tx)]);

    const b1 = await block([tx]);
    assert.deepEqual((await rpc.next(sub)).result, { inBlock: toHex(b1.hash) });
    await node.importer.finalize(b1.hash);
    assert.deepEqual((await rpc.next(sub)).result, { finalized: toHex(b1.hash) });
    assert.equal(await rpc.call("author_unwatchExtrinsic", [sub]), false, "a final status ends the subscription");
    assert.deepEqual(await rpc.call("author_pendingExtrinsics"), []);
  });

  it("author_submitExtrinsic answers the hash; duplicate, invalid and undecodable extrinsics get Substrate's codes", async () => {
    const { rpc, transfer } = await setup();
    const tx = transfer(alice, 0);
    assert.equal(await rpc.call("author_submitExtrinsic", [toHex(tx)]), toHex(blake2_256(tx)));

    const dup = await rpc.error("author_submitExtrinsic", [toHex(tx)]);
    assert.deepEqual(dup, {
      code: CODES.POOL_ALREADY_IMPORTED,
      message: "Transaction Already Imported",
      data: toHex(blake2_256(tx)),
    });
    assert.equal((await rpc.error("author_submitAndWatchExtrinsic", [toHex(tx)])).code, CODES.POOL_ALREADY_IMPORTED);

    // A flipped signature byte: compact length, version, MultiAddress (1 + 32), MultiSignature variant, then 64 bytes.
    const badSig = transfer(bob, 0).slice();
    const prefix = [1, 2, 4][badSig[0]! & 3]!;
    badSig[prefix + 1 + 33 + 1 + 10]! ^= 0xff;
    assert.deepEqual(await rpc.error("author_submitExtrinsic", [toHex(badSig)]), {
      code: CODES.POOL_INVALID_TX,
      message: "Invalid Transaction",
      data: "Transaction has a bad signature",
    });
    // Same sender and nonce as a pool transaction, no higher priority: it cannot replace it.
    const stale = await rpc.error("author_submitExtrinsic", [toHex(transfer(alice, 0, 2n * UNIT))]);
    assert.equal(stale.code, CODES.POOL_TOO_LOW_PRIORITY);

    // Bytes that are not an extrinsic: upstream answers 1040 "Client error" for submit, 1001 for submitAndWatch.
    for (const bytes of ["0x1234", toHex(new Uint8Array([12, 4, 0xff, 0xff]))]) {
      const submitErr = await rpc.error("author_submitExtrinsic", [bytes]);
      assert.equal(submitErr.code, CODES.AUTHOR_OTHER, bytes);
      assert.match(submitErr.message, /^Client error: /);
      const watchErr = await rpc.error("author_submitAndWatchExtrinsic", [bytes]);
      assert.equal(watchErr.code, CODES.AUTHOR_BAD_FORMAT, bytes);
      assert.match(watchErr.message, /^Extrinsic has invalid format: /);
    }
    for (const bad of [[], [123], ["0xzz"], [null]])
      assert.equal((await rpc.error("author_submitExtrinsic", bad)).code, RPC_ERROR_CODES.INVALID_PARAMS);
  });

  it("an invalid transaction's answer comes from describeInvalid: its text, its whole error, or the reason's message", async () => {
    const badSignature = (s: Setup) => {
      const tx = s.transfer(bob, 0).slice();
      const prefix = [1, 2, 4][tx[0]! & 3]!;
      tx[prefix + 1 + 33 + 1 + 10]! ^= 0xff;
      return toHex(tx);
    };
    // The runtime's own classification, passed whole.
    const whole = await setup({ describeInvalid: (reason) => transactionValidityErrorOf(reason).rpc });
    const e = await whole.rpc.error("author_submitExtrinsic", [badSignature(whole)]);
    assert.equal(e.code, CODES.POOL_INVALID_TX);
    assert.equal(e.message, "Invalid Transaction");
    assert.equal(e.data, "Transaction has a bad signature");
    // Without a describer: the pool's reason message.
    const plain = await setup({ describeInvalid: null });
    const p = await plain.rpc.error("author_submitAndWatchExtrinsic", [badSignature(plain)]);
    assert.equal(p.code, CODES.POOL_INVALID_TX);
    assert.match(String(p.data), /bad signature/);
  });

  it("system_accountNextIndex adds the sender's ready pool transactions to the on-chain nonce", async () => {
    const { rpc, block, transfer, world } = await setup();
    await block([transfer(alice, 0)]);
    const aliceSs58 = world.rt.registry.createType("AccountId32", alice.publicKey).toString();
    assert.equal(await rpc.call("system_accountNextIndex", [aliceSs58]), 1);
    await rpc.call("author_submitExtrinsic", [toHex(transfer(alice, 1))]);
    await rpc.call("author_submitExtrinsic", [toHex(transfer(alice, 2))]);
    // A gap: nonce 5 waits in the future queue and does not count.
    await rpc.call("author_submitExtrinsic", [toHex(transfer(alice, 5))]);
    assert.equal(await rpc.call("system_accountNextIndex", [aliceSs58]), 3);
    assert.equal(await rpc.call("account_nextIndex", [toHex(alice.publicKey)]), 3);
    assert.equal(await rpc.call("system_accountNextIndex", { account: toHex(bob.publicKey) }), 0);
    for (const bad of [["not-an-address"], [42], []])
      assert.equal((await rpc.error("system_accountNextIndex", bad)).code, RPC_ERROR_CODES.INVALID_PARAMS);
  });

  it("author_removeExtrinsic removes by hash or bytes and reports the watcher invalid", async () => {
    const { rpc, transfer } = await setup();
    const tx = transfer(alice, 0);
    const other = transfer(bob, 0);
    const sub = await rpc.call<string>("author_submitAndWatchExtrinsic", [toHex(tx)]);
    assert.equal((await rpc.next(sub)).result, "ready");
    await rpc.call("author_submitExtrinsic", [toHex(other)]);
    const hash = toHex(blake2_256(tx));
    assert.deepEqual(await rpc.call("author_removeExtrinsic", [[{ hash }, { extrinsic: toHex(other) }]]), [
      hash,
      toHex(blake2_256(other)),
    ]);
    assert.equal((await rpc.next(sub)).result, "invalid");
    assert.deepEqual(await rpc.call("author_removeExtrinsic", [[{ hash }]]), [], "gone already");
    assert.deepEqual(await rpc.call("author_pendingExtrinsics"), []);
    assert.equal((await rpc.error("author_removeExtrinsic", [[{ nope: 1 }]])).code, RPC_ERROR_CODES.INVALID_PARAMS);
  });

  it("keystore methods use the keystore given, and answer 1040 without one", async () => {
    const inserted: string[] = [];
    const keystore: SubstrateRpcKeystore = {
      insertKey: (type, suri, pub) => {
        inserted.push(`${type}:${suri}:${toHex(pub)}`);
      },
      rotateKeys: () => new Uint8Array([1, 2]),
      hasKey: (pub, type) => type === "aura" && pub[0] === 0xaa,
      hasSessionKeys: (keys) => keys.length === 2,
    };
    const withKeys = await setup({ keystore });
    assert.equal(await withKeys.rpc.call("author_insertKey", ["aura", "//Alice", "0xaa"]), null);
    assert.deepEqual(inserted, ["aura://Alice:0xaa"]);
    assert.equal(await withKeys.rpc.call("author_rotateKeys"), "0x0102");
    assert.equal(await withKeys.rpc.call("author_hasKey", ["0xaa", "aura"]), true);
    assert.equal(await withKeys.rpc.call("author_hasKey", ["0xbb", "aura"]), false);
    assert.equal(await withKeys.rpc.call("author_hasSessionKeys", ["0x0102"]), true);
    assert.deepEqual(await withKeys.rpc.error("author_insertKey", ["aur", "//Alice", "0xaa"]), {
      code: CODES.AUTHOR_OTHER,
      message: "Invalid key type ID format (should be of length four)",
    });

    const without = await setup({ pool: false });
    assert.deepEqual(await without.rpc.error("author_rotateKeys"), {
      code: CODES.AUTHOR_OTHER,
      message: "The key store is unavailable",
    });
    // No pool either: submission answers an error, the nonce is the chain's.
    const tx = without.transfer(alice, 0);
    assert.equal((await without.rpc.error("author_submitExtrinsic", [toHex(tx)])).code, CODES.AUTHOR_OTHER);
    assert.equal((await without.rpc.error("author_submitAndWatchExtrinsic", [toHex(tx)])).code, CODES.AUTHOR_OTHER);
    assert.equal(await without.rpc.call("system_accountNextIndex", [toHex(alice.publicKey)]), 0);
  });

  it("a safe server refuses the unsafe methods as Substrate does", async () => {
    const { rpc } = await setup({ methods: "safe" });
    for (const [method, params] of [
      ["system_peers", []],
      ["state_getPairs", ["0x"]],
      ["author_rotateKeys", []],
      ["author_removeExtrinsic", [[]]],
      ["state_subscribeStorage", []],
    ] as const) {
      assert.deepEqual(
        await rpc.error(method, params),
        { code: RPC_ERROR_CODES.METHOD_NOT_FOUND, message: "RPC call is unsafe to be called externally" },
        method,
      );
    }
    assert.equal(await rpc.call("system_name"), "parapipe", "safe methods still answer");
  });

  it("bad params are answered -32602 with the parameter named, never a crash", async () => {
    const { rpc } = await setup();
    const key = toHex(accountKey(alice.publicKey));
    const cases: Array<[string, unknown, RegExp]> = [
      ["chain_getHeader", ["0x1234"], /hash: expected a 0x-prefixed 32-byte hex hash/],
      ["chain_getHeader", [5], /hash: expected/],
      ["chain_getBlock", [`0x${"zz".repeat(32)}`], /hash: expected/],
      ["state_getStorage", [], /missing required parameter `key`/],
      ["state_getStorage", ["0xabc"], /key: expected hex-encoded bytes/],
      ["state_getStorage", [key, "0x00"], /hash: expected a 0x-prefixed 32-byte hex hash/],
      ["state_call", [1, "0x"], /name: expected a string/],
      ["state_call", ["Core_version"], /missing required parameter `bytes`/],
      ["state_queryStorageAt", ["0x"], /keys: expected an array/],
      ["state_getReadProof", [[key, 7]], /keys\[1\]: expected hex-encoded bytes/],
      ["state_getKeysPaged", ["0x", -1], /count: expected an unsigned 32-bit integer/],
      ["author_submitAndWatchExtrinsic", [{}], /bytes: expected hex-encoded bytes/],
    ];
    for (const [method, params, message] of cases) {
      const e = await rpc.error(method, params);
      assert.equal(e.code, RPC_ERROR_CODES.INVALID_PARAMS, method);
      assert.equal(e.message, "Invalid params");
      assert.match(String(e.data), message, `${method} ${JSON.stringify(params)}: ${e.data}`);
    }
  });
});
