import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateNodeKey } from "@parapipe/network";
import {
  blake2_256,
  bytesEqual,
  type ChainSpec,
  devKeypair,
  findAuraSlot,
  generateProof,
  MemoryNodeStore,
  registry,
  type Sr25519Keypair,
  scaleBytes,
  slotAuthor,
  sr25519Sign,
  toHex,
} from "@parapipe/primitives";
import { buildBlock, canBuildUpon, type ParachainRuntime, type ParaGenesis, relay, relayKeys } from "@parapipe/runtime";
import type { Codec } from "@polkadot/types/types";
import { advertisementPayload, encode } from "../../src/messages.js";
import { PROTOCOLS, RelayValidatorNode } from "../../src/node.js";

interface ParaBlock {
  hash: Uint8Array;
  header: Uint8Array;
  stateRoot: Uint8Array;
  parentHash: Uint8Array;
  relayParentNumber: number;
}

/** What a test collator may do wrong on purpose (refusal tests). */
export type CollatorFault = "none" | "badPov" | "badSignature" | "oldRelayParent" | "oversizedPov";

/**
 * A test collator (test code, not the `collator` package): a relay full node that, on every new relay best
 * block, builds a parablock with the runtime's builder on the deepest of its own blocks above the included
 * head (lookahead-style, gated by `can_build_upon`), proves the relay state from its own relay database,
 * advertises the collation to a validator and serves the fetch.
 */
export class TestCollator {
  readonly store = new MemoryNodeStore();
  readonly blocks = new Map<string, ParaBlock>();
  private readonly children = new Map<string, string>();
  private readonly collations = new Map<string, Uint8Array>();
  readonly genesis: ParaBlock;
  submitted = 0;
  accepted = 0;
  /** The last candidate a validator accepted to fetch (hash and relay parent). */
  lastAccepted?: { hash: Uint8Array; relayParent: Uint8Array };
  fault: CollatorFault = "none";
  /** Why relay blocks were skipped (busy, cannot build upon, build error code ...). */
  readonly skipped = new Map<string, number>();
  private skip(why: string): void {
    this.skipped.set(why, (this.skipped.get(why) ?? 0) + 1);
  }
  private busy = false;

  private constructor(
    readonly node: RelayValidatorNode,
    readonly runtime: ParachainRuntime,
    readonly keys: Map<string, Sr25519Keypair>,
    genesis: ParaGenesis,
    private readonly dir: string,
  ) {
    const g = runtime.genesis(genesis);
    for (const [h, n] of g.store.entries()) this.store.put(h, n);
    this.genesis = {
      hash: g.hash,
      header: g.header,
      stateRoot: g.stateRoot,
      parentHash: new Uint8Array(32),
      relayParentNumber: 0,
    };
    this.blocks.set(toHex(g.hash), this.genesis);
  }

  /** Starts a collator following the relay network through `bootnode`. */
  static async start(o: {
    relaySpec: ChainSpec;
    bootnode: string;
    runtime: ParachainRuntime;
    genesis: ParaGenesis;
  }): Promise<TestCollator> {
    const dir = await mkdtemp(join(tmpdir(), "parapipe-collator-"));
    const node = await RelayValidatorNode.init({
      spec: o.relaySpec,
      basePath: dir,
      listen: ["/ip4/127.0.0.1/tcp/0"],
      bootnodes: [o.bootnode],
      nodeKey: generateNodeKey(),
    });
    const keys = new Map(["Alice", "Bob"].map((n) => [toHex(devKeypair(n).publicKey), devKeypair(n)]));
    const c = new TestCollator(node, o.runtime, keys, o.genesis, dir);
    node.network.reqresp.register({
      name: PROTOCOLS.fetchCollation,
      maxRequestBytes: 128,
      maxResponseBytes: 16 * 1024 * 1024,
      timeoutMs: 5000,
      rateLimit: { requests: 100, perMs: 1000 },
      handle: async (req) => {
        const r = registry.createType("CollationFetchRequest", req) as unknown as { candidateHash: Codec };
        const col = c.collations.get(r.candidateHash.toHex());
        if (!col) throw new Error("unknown collation");
        return col;
      },
    });
    node.importer.onNewBest(() => {
      void c.collate().catch(() => {});
    });
    await node.start();
    return c;
  }

  /** The para head the relay chain has included at the collator's relay best. */
  async includedHead(): Promise<{ number: number; hash: Uint8Array } | undefined> {
    const best = this.node.chain.best;
    const head = await this.node.chain.withState((store) =>
      this.node.runtime.paraHead(store, best.stateRoot, this.runtime.paraId),
    );
    if (!head.ok || !head.value) return undefined;
    const h = registry.createType("Header", head.value) as unknown as { number: { toNumber(): number } };
    return { number: h.number.toNumber(), hash: blake2_256(head.value) };
  }

  private async collate(): Promise<void> {
    if (this.busy) return this.skip("busy");
    this.busy = true;
    try {
      await this.collateOnBest();
    } finally {
      this.busy = false;
    }
  }

  private async collateOnBest(): Promise<void> {
    const rt = this.runtime;
    const relayNode = this.node;
    let best = relayNode.chain.best;
    if (this.fault === "oldRelayParent") {
      // A relay parent five blocks back: outside the allowed ancestry (2) of the validators' best.
      const oldHash = await relayNode.chain.canonicalHash(Math.max(0, best.number - 5));
      const old = oldHash && (await relayNode.chain.blockInfo(oldHash));
      if (old) best = old;
    }
    const relayHeader = await relayNode.chain.header(best.hash);
    if (!relayHeader) return;
    const relaySlot = findAuraSlot(registry.createType("Header", relayHeader) as never);
    if (relaySlot === undefined) return;
    const ctx = await relayNode.chain.withState((store) => {
      const r = relayNode.runtime;
      const head = r.paraHead(store, best.stateRoot, rt.paraId);
      const params = r.asyncBackingParams(store, best.stateRoot);
      const cfg = r.hostConfiguration(store, best.stateRoot);
      const proof = generateProof(store, best.stateRoot, [relayKeys.currentSlot, relayKeys.paraHead(rt.paraId)]);
      const pending = r.candidatePendingAvailability(store, best.stateRoot, rt.paraId);
      return {
        head: head.ok ? head.value : undefined,
        pendingHeads: new Set((pending.ok ? pending.value : []).map((c) => toHex(blake2_256(c.commitments.headData)))),
        allowedAncestryLen: params.ok ? params.value.allowedAncestryLen : 0,
        maxPovSize: cfg.ok ? cfg.value.maxPovSize : 5 << 20,
        proof,
      };
    });
    if (!ctx.head) return;
    const includedHash = blake2_256(ctx.head);
    // Lookahead (cumulus find_parent): the deepest own block above the included head; blocks pending
    // availability are always potential parents, later ones only while their relay parent is in scope.
    let parent = this.blocks.get(toHex(includedHash));
    if (!parent) return;
    for (;;) {
      const child = this.children.get(toHex(parent.hash));
      const next = child ? this.blocks.get(child) : undefined;
      if (!next) break;
      const pending = ctx.pendingHeads.has(toHex(next.hash));
      if (!pending && next.relayParentNumber < best.number - ctx.allowedAncestryLen) break;
      parent = next;
    }
    if (!bytesEqual(parent.hash, includedHash)) {
      const can = canBuildUpon(rt, this.store, parent.stateRoot, includedHash, relaySlot);
      if (!can.ok || !can.value) return this.skip("cannotBuildUpon");
    }
    const timestampMs = relaySlot * BigInt(rt.config.relaySlotDurationMs);
    const paraSlot = timestampMs / BigInt(rt.config.paraSlotDurationMs);
    const authorities = rt.aura.authorities(rt.stateAt(this.store, parent.stateRoot));
    const author = this.keys.get(toHex(slotAuthor(paraSlot, authorities)!));
    if (!author) return;
    const built = buildBlock(rt, {
      store: this.store,
      parentHeader: parent.header,
      relayParent: {
        number: best.number,
        storageRoot: best.stateRoot,
        stateProof: ctx.proof,
        maxPovSize: ctx.maxPovSize,
      },
      timestampMs,
      author,
    });
    if (!built.ok) return this.skip(`build:${built.error.code}`);
    const b = built.value;
    for (const node of b.newNodes.values()) this.store.put(blake2_256(node), node);
    const block: ParaBlock = {
      hash: b.hash,
      header: b.header.toU8a(),
      stateRoot: b.stateRoot,
      parentHash: parent.hash,
      relayParentNumber: best.number,
    };
    this.blocks.set(toHex(b.hash), block);
    this.children.set(toHex(parent.hash), toHex(b.hash));
    let pov = b.pov;
    if (this.fault === "badPov") {
      // A PoV whose witness lost its last node: re-execution fails.
      pov = rt.registry
        .createType("ParaBlockData", { block: b.block, witness: b.witness.slice(0, -1).map(scaleBytes) })
        .toU8a();
    }
    if (this.fault === "oversizedPov") pov = new Uint8Array(ctx.maxPovSize + 1);
    const pvd = {
      parentHead: parent.header,
      relayParentNumber: best.number,
      relayParentStorageRoot: best.stateRoot,
      maxPovSize: ctx.maxPovSize,
    };
    const candidate = relay.makeCandidate({
      paraId: rt.paraId,
      relayParent: best.hash,
      collator: author,
      pvd,
      pov,
      headData: block.header,
      validationCodeHash: blake2_256(rt.code),
    });
    if (this.fault === "badSignature") candidate.descriptor.signature = new Uint8Array(64).fill(7);
    const hash = relay.candidateHash(candidate);
    this.collations.set(
      toHex(hash),
      encode("CollationResponse", {
        candidate: {
          descriptor: relay.descriptorInput(candidate.descriptor),
          commitments: relay.commitmentsInput(candidate.commitments),
        },
        pvd: {
          parentHead: scaleBytes(pvd.parentHead),
          relayParentNumber: pvd.relayParentNumber,
          relayParentStorageRoot: pvd.relayParentStorageRoot,
          maxPovSize: pvd.maxPovSize,
        },
        pov: scaleBytes(pov),
      }),
    );
    const ad = encode("CollationAdvertisement", {
      paraId: rt.paraId,
      relayParent: best.hash,
      candidateHash: hash,
      parentHeadDataHash: blake2_256(parent.header),
      collatorId: author.publicKey,
      signature: sr25519Sign(author, advertisementPayload(best.hash, hash)),
    });
    this.submitted++;
    for (const peer of relayNode.network.peers()) {
      try {
        const reply = registry.createType(
          "AdvertisementReply",
          await relayNode.network.reqresp.request(peer, PROTOCOLS.advertise, ad, { timeoutMs: 2000 }),
        ) as unknown as {
          type: string;
        };
        if (reply.type === "Accepted") {
          this.accepted++;
          this.lastAccepted = { hash, relayParent: best.hash };
          return;
        }
      } catch {
        // next validator
      }
    }
  }

  /** Stops the collator and removes its directory. */
  async close(): Promise<void> {
    await this.node.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}
