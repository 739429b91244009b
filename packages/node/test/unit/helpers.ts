import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  bytesEqual,
  concatBytes,
  decodeExact,
  devKeypair,
  findAuraSlot,
  headerHash,
  type Sr25519Keypair,
  slotAuthor,
  sr25519Sign,
  sr25519Verify,
  toHex,
  withAuraSeal,
  withoutSeal,
} from "@parapipe/primitives";
import {
  ASTAR_CYCLE,
  ASTAR_INFLATION_PARAMETERS,
  ASYNC_BACKING_CONFIG,
  type BuiltBlock,
  DevParachain,
  executeBlock,
  ParachainRuntime,
  type ParaGenesis,
} from "@parapipe/runtime";
import { frameChainRuntime } from "../../src/adapter.js";
import { ChainDb } from "../../src/chain/chainDb.js";
import type { ForkChoice } from "../../src/chain/forkChoice.js";
import { BlockImporter, type BlockImporterOptions } from "../../src/chain/importer.js";
import type { FinalityVote } from "../../src/finality/justification.js";
import type { ChainRuntime } from "../../src/interface.js";

export const UNIT = 10n ** 18n;
export const alice = devKeypair("Alice");
export const bob = devKeypair("Bob");
export const charlie = devKeypair("Charlie");
export const dave = devKeypair("Dave");

/** The decoded header type of the runtime's registry, without importing @polkadot/types. */
type Header = BuiltBlock["header"];

/**
 * The parachain runtime behind the node's `ChainRuntime` interface, built as the collator builds it
 * (`frameChainRuntime`), so the interface is proven against the real runtime.
 */
export function paraChainRuntime(rt: ParachainRuntime, genesis: ParaGenesis): ChainRuntime {
  return frameChainRuntime({
    registry: rt.registry,
    genesisStorage: () => rt.genesisStorage(genesis),
    executeBlock: (store, block, parentHeader) => executeBlock(rt, store, block, { parentHeader }),
    validateTransaction: (store, best, tx) => rt.validateTransaction(store, best, tx),
  });
}

/** Genesis with Alice and Bob as collators and every dev account funded (Eve is not). */
export function devGenesis(extra: Array<[Uint8Array, bigint]> = []): ParaGenesis {
  return {
    balances: [
      [alice.publicKey, 1_000_000n * UNIT],
      [bob.publicKey, 1_000_000n * UNIT],
      [charlie.publicKey, 1_000_000n * UNIT],
      [dave.publicKey, 1_000_000n * UNIT],
      ...extra,
    ],
    auraAuthorities: [alice.publicKey, bob.publicKey],
    invulnerables: [alice.publicKey, bob.publicKey],
    sudoKey: alice.publicKey,
    inflation: { params: ASTAR_INFLATION_PARAMETERS, cycle: ASTAR_CYCLE },
  };
}

/** One runtime for all tests (it holds no chain state). */
export const runtime = new ParachainRuntime({ ...ASYNC_BACKING_CONFIG, paraId: 2000 }, ASTAR_CYCLE);

/** A parachain world: the runtime, its node adapter, and dev chains (block producers) sharing its genesis. */
export interface ParaWorld {
  rt: ParachainRuntime;
  chainRuntime: ChainRuntime;
  genesis: ParaGenesis;
  /** A new block producer at genesis; each one is a fork. */
  producer(): DevParachain;
  /** The options `ChainDb.open` needs for this chain. */
  dbOptions(chainId?: string): Parameters<typeof ChainDb.open>[1];
}

/** The standard test world (or one with extra genesis balances, which makes it another chain). */
export function paraWorld(extra: Array<[Uint8Array, bigint]> = []): ParaWorld {
  const genesis = devGenesis(extra);
  const chainRuntime = paraChainRuntime(runtime, genesis);
  const g = runtime.genesis(genesis);
  return {
    rt: runtime,
    chainRuntime,
    genesis,
    producer: () => new DevParachain(runtime, genesis),
    dbOptions: (chainId = "parapipe-test") => ({
      genesis: { header: g.header, hash: g.hash, storageEntries: chainRuntime.genesisStorage() },
      chainId,
    }),
  };
}

/** Produces `count` blocks on `dev` from relay slot `firstSlot` on, with `txs[i]` in block i. */
export function produce(dev: DevParachain, firstSlot: number, count: number, txs: Uint8Array[][] = []): BuiltBlock[] {
  const out: BuiltBlock[] = [];
  for (let i = 0; i < count; i++) {
    const b = dev.produce({ relaySlot: BigInt(firstSlot + i), transactions: txs[i] ?? [] });
    if (b.rejected.length > 0)
      throw new TypeError(`builder rejected: ${JSON.stringify(b.rejected.map((r) => r.error))}`);
    out.push(b);
  }
  return out;
}

/**
 * The block with its header's state root replaced and the header sealed again by the slot's author, so only
 * the state root check can catch it.
 */
export function withTamperedStateRoot(dev: DevParachain, built: BuiltBlock): Uint8Array {
  const reg = runtime.registry;
  const unsealed = withoutSeal(reg, built.header);
  const bad = reg.createType("Header", {
    parentHash: unsealed.parentHash,
    number: unsealed.number,
    stateRoot: new Uint8Array(32).fill(0xab),
    extrinsicsRoot: unsealed.extrinsicsRoot,
    digest: unsealed.digest,
  }) as unknown as Header;
  const parent = dev.blocks.find((b) => bytesEqual(b.hash, built.header.parentHash.toU8a()))!;
  const authorities = runtime.aura.authorities(runtime.stateAt(dev.store, parent.stateRoot));
  const author = dev.keys.get(toHex(slotAuthor(findAuraSlot(built.header)!, authorities)!))!;
  const sealed = withAuraSeal(reg, bad, sr25519Sign(author, headerHash(bad)));
  const opaque = decodeExact(reg, "OpaqueBlock", built.block) as unknown as { extrinsics: unknown };
  return reg.createType("OpaqueBlock", { header: sealed, extrinsics: opaque.extrinsics }).toU8a();
}

/** A temp directory per call; `cleanup()` removes them all. */
export function tempDirs(): { make(): Promise<string>; cleanup(): Promise<void> } {
  const dirs: string[] = [];
  return {
    async make() {
      const d = await mkdtemp(join(tmpdir(), "parapipe-node-"));
      dirs.push(d);
      return d;
    },
    async cleanup() {
      for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
    },
  };
}

/** A node's chain pieces on a fresh database. */
export async function openNode(
  world: ParaWorld,
  path: string,
  o: { forkChoice?: ForkChoice; runtime?: ChainRuntime; importer?: BlockImporterOptions } = {},
): Promise<{ chain: ChainDb; importer: BlockImporter; close(): Promise<void> }> {
  const rt = o.runtime ?? world.chainRuntime;
  const chain = await ChainDb.open(path, world.dbOptions(), { runtime: rt });
  const importer = new BlockImporter(o.importer ?? {}, { chain, runtime: rt, forkChoice: o.forkChoice });
  return {
    chain,
    importer,
    async close() {
      await importer.close();
      await chain.close();
    },
  };
}

/** Imports blocks in order, failing on anything but `imported`. */
export async function importAll(importer: BlockImporter, blocks: BuiltBlock[]): Promise<void> {
  for (const b of blocks) {
    const r = await importer.import(b.block, "network");
    if (r.status !== "imported") throw new TypeError(`import #${b.header.number.toNumber()}: ${JSON.stringify(r)}`);
  }
}

/** The four finality voters (dev keys) and a verifier over their sr25519 signatures of `hash ‖ u32 number`. */
export const voters: Sr25519Keypair[] = [alice, bob, charlie, dave];

function votePayload(hash: Uint8Array, number: number): Uint8Array {
  const n = new Uint8Array(4);
  new DataView(n.buffer).setUint32(0, number, true);
  return concatBytes(hash, n);
}

/** Voter `voter`'s signed vote for `block`. */
export function vote(voter: number, block: { hash: Uint8Array; number: number }): FinalityVote {
  return {
    voter,
    hash: block.hash,
    number: block.number,
    signature: sr25519Sign(voters[voter]!, votePayload(block.hash, block.number)),
  };
}

/** Checks a vote against the dev voter set. */
export const verifier = {
  verify: (v: FinalityVote) => {
    const key = voters[v.voter];
    return key !== undefined && sr25519Verify(v.signature, votePayload(v.hash, v.number), key.publicKey);
  },
};

/** `{hash, number}` of a built block. */
export function ref(b: BuiltBlock): { hash: Uint8Array; number: number } {
  return { hash: b.hash, number: b.header.number.toNumber() };
}

/** Collects the events of an importer. */
export function recordEvents(importer: BlockImporter) {
  const log = {
    imported: [] as string[],
    newBest: [] as Array<{ hash: string; number: number; retracted: string[]; enacted: string[] }>,
    finalized: [] as Array<{ hash: string; number: number; finalized: string[]; pruned: string[] }>,
  };
  importer.onImported((e) => {
    log.imported.push(toHex(e.block.hash));
  });
  importer.onNewBest((e) => {
    log.newBest.push({
      hash: toHex(e.hash),
      number: e.number,
      retracted: e.retracted.map((b) => toHex(b.hash)),
      enacted: e.enacted.map((b) => toHex(b.hash)),
    });
  });
  importer.onFinalized((e) => {
    log.finalized.push({
      hash: toHex(e.hash),
      number: e.number,
      finalized: e.finalized.map((b) => toHex(b.hash)),
      pruned: e.pruned.map((h) => toHex(h)),
    });
  });
  return log;
}

/** Hex hashes of built blocks. */
export function hexes(blocks: BuiltBlock[]): string[] {
  return blocks.map((b) => toHex(b.hash));
}

/** Genesis balances that make another chain (a different genesis hash) than the standard world. */
export const eveFunded: Array<[Uint8Array, bigint]> = [[devKeypair("Eve").publicKey, 5n * UNIT]];
