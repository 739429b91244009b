import { blake2_256, bytesEqual, devKeypair, MemoryNodeStore, type Sr25519Keypair, toHex } from "@parapipe/primitives";
import type { Header } from "@polkadot/types/interfaces";
import { type BuiltBlock, buildBlock } from "./blocks.js";
import { buildRelayStateProof } from "./relayState.js";
import type { Result } from "./result.js";
import type { ParachainRuntime, ParaGenesis } from "./runtime.js";
import { makeCall, type SignOptions, signExtrinsic } from "./signing.js";

/** One block of a dev chain. */
export interface DevBlock {
  number: number;
  hash: Uint8Array;
  header: Uint8Array;
  stateRoot: Uint8Array;
  relayParent: number;
}

/**
 * A parachain driven without a network: genesis in memory, blocks built and imported one after the other on
 * a simulated relay chain whose included head lags `inclusionDelay` blocks behind (0 = the parent is always
 * included, as under sync backing). For tests, benchmarks and examples; it never reads a clock: relay slots
 * are given by the caller.
 */
export class DevParachain {
  readonly store = new MemoryNodeStore();
  readonly blocks: DevBlock[] = [];
  readonly keys = new Map<string, Sr25519Keypair>();

  constructor(
    readonly runtime: ParachainRuntime,
    genesis: ParaGenesis,
    /** Dev key names able to author (must include the Aura authorities). */
    authors: string[] = ["Alice", "Bob", "Charlie", "Dave"],
  ) {
    const g = runtime.genesis(genesis);
    for (const [h, n] of g.store.entries()) this.store.put(h, n);
    this.blocks.push({ number: 0, hash: g.hash, header: g.header, stateRoot: g.stateRoot, relayParent: 0 });
    for (const name of authors) {
      const k = devKeypair(name);
      this.keys.set(toHex(k.publicKey), k);
    }
  }

  /** The best block. */
  get head(): DevBlock {
    return this.blocks[this.blocks.length - 1]!;
  }

  /** The genesis hash. */
  get genesisHash(): Uint8Array {
    return this.blocks[0]!.hash;
  }

  /**
   * Builds a block on the head at `relaySlot` (timestamp = relaySlot × relay slot duration, as the lookahead
   * collator sets it), with the relay including the head of block `head.number - inclusionDelay`. The relay
   * parent number defaults to the slot (fine for small test slots; pass `relayNumber` for wall-clock slots).
   */
  build(opts: {
    relaySlot: bigint;
    inclusionDelay?: number;
    transactions?: Uint8Array[];
    relayNumber?: number;
    includedNumber?: number;
    deadline?: { now: () => number; deadlineMs: number };
  }): Result<BuiltBlock> {
    const rt = this.runtime;
    const parent = this.head;
    const included = opts.includedNumber ?? Math.max(0, parent.number - (opts.inclusionDelay ?? 0));
    const proof = buildRelayStateProof({
      relaySlot: opts.relaySlot,
      paraId: rt.paraId,
      includedHead: this.blocks[included]!.header,
    });
    const timestampMs = opts.relaySlot * BigInt(rt.config.relaySlotDurationMs);
    const paraSlot = timestampMs / BigInt(rt.config.paraSlotDurationMs);
    const authorities = rt.aura.authorities(rt.stateAt(this.store, parent.stateRoot));
    const author = this.keys.get(toHex(authorities[Number(paraSlot % BigInt(authorities.length))]!));
    if (!author) throw new TypeError(`no dev key for the author of para slot ${paraSlot}`);
    return buildBlock(rt, {
      store: this.store,
      parentHeader: parent.header,
      relayParent: {
        number: opts.relayNumber ?? Number(opts.relaySlot),
        storageRoot: proof.root,
        stateProof: proof.proof,
        maxPovSize: 5 * 1024 * 1024,
      },
      timestampMs,
      author,
      transactions: opts.transactions,
      deadline: opts.deadline,
    });
  }

  /** Builds and imports (stores the new state, advances the head). Throws the typed error if building failed. */
  produce(opts: Parameters<DevParachain["build"]>[0]): BuiltBlock {
    const r = this.build(opts);
    if (!r.ok) throw r.error;
    this.importBuilt(r.value, opts.relayNumber ?? Number(opts.relaySlot));
    return r.value;
  }

  /** Adds a built block's state to the store and makes it the head. */
  importBuilt(b: BuiltBlock, relayParent: number): void {
    for (const node of b.newNodes.values()) this.store.put(blake2_256(node), node);
    const header = b.header.toU8a();
    if (!bytesEqual(b.header.parentHash.toU8a(), this.head.hash))
      throw new TypeError("block does not build on the head");
    this.blocks.push({ number: b.header.number.toNumber(), hash: b.hash, header, stateRoot: b.stateRoot, relayParent });
  }

  /** Signs `section.method(args)` for `signer` with its next nonce (immortal unless `mortal` is given). */
  sign(
    signer: Sr25519Keypair,
    section: string,
    method: string,
    args: unknown[],
    o: Partial<SignOptions> = {},
  ): Uint8Array {
    const rt = this.runtime;
    return signExtrinsic(rt.registry, makeCall(rt.registry, section, method, args), signer, {
      nonce: o.nonce ?? rt.accountNonce(this.store, this.head.stateRoot, signer.publicKey),
      genesisHash: this.genesisHash,
      specVersion: rt.version.specVersion,
      transactionVersion: rt.version.transactionVersion,
      tip: o.tip,
      mortal: o.mortal,
    });
  }

  /** Free balance at the head. */
  free(who: Uint8Array): bigint {
    return this.runtime.system.account(this.runtime.stateAt(this.store, this.head.stateRoot), who).free;
  }

  /** Decoded header of the head. */
  headHeader(): Header {
    return this.runtime.registry.createType<Header>("Header", this.head.header);
  }
}
