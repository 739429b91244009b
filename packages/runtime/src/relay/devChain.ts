import {
  blake2_256,
  bytesEqual,
  devKeypair,
  generateProof,
  MemoryNodeStore,
  type Sr25519Keypair,
  toHex,
} from "@parapipe/primitives";
import { type BuiltBlock, buildBlock } from "../parachain/blocks.js";
import type { DevParachain } from "../parachain/devChain.js";
import { relayKeys } from "../parachain/relayState.js";
import type { Result } from "../parachain/result.js";
import { type BuildRelayBlockParams, type BuiltRelayBlock, buildRelayBlock } from "./blocks.js";
import {
  type BackedCandidateValue,
  type CommittedCandidateReceiptValue,
  candidateHash,
  makeCandidate,
  type PersistedValidationDataValue,
  type SignedAvailabilityBitfieldValue,
  type StatementKind,
  signAvailabilityBitfield,
  signBackingStatement,
} from "./candidate.js";
import type { RelayGenesis, RelayRuntime } from "./runtime.js";

/** One block of a dev relay chain. */
export interface DevRelayBlock {
  number: number;
  hash: Uint8Array;
  header: Uint8Array;
  stateRoot: Uint8Array;
  slot: bigint;
}

/** A backing vote for {@link DevRelayChain.back}. */
export interface DevVote {
  /** Global validator index of the signer. */
  validator: number;
  /** Defaults: the first vote `Seconded`, the others `Valid`. */
  kind?: StatementKind;
  /** Position in the backing bitfield; defaults to the signer's position in the assigned group. */
  position?: number;
}

/**
 * A relay chain driven without a network: genesis in memory, blocks built and imported one after the other,
 * every validator's dev key at hand to author, back candidates and sign bitfields. For tests, benchmarks and
 * examples; it never reads a clock (slots are given or counted).
 */
export class DevRelayChain {
  readonly store = new MemoryNodeStore();
  readonly blocks: DevRelayBlock[] = [];
  private readonly keys = new Map<string, Sr25519Keypair>();

  constructor(
    readonly runtime: RelayRuntime,
    genesis: RelayGenesis,
    /** Dev key names that may sign (must include the validators). */
    keyNames: string[] = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"],
  ) {
    const g = runtime.genesis(genesis);
    for (const [h, n] of g.store.entries()) this.store.put(h, n);
    this.blocks.push({ number: 0, hash: g.hash, header: g.header, stateRoot: g.stateRoot, slot: 0n });
    for (const name of keyNames) {
      const k = devKeypair(name);
      this.keys.set(toHex(k.publicKey), k);
    }
  }

  /** The best block. */
  get head(): DevRelayBlock {
    return this.blocks[this.blocks.length - 1]!;
  }

  /** A block by number or hash. */
  block(at: number | Uint8Array): DevRelayBlock {
    const b = typeof at === "number" ? this.blocks[at] : this.blocks.find((x) => bytesEqual(x.hash, at as Uint8Array));
    if (!b) throw new TypeError(`no relay block ${typeof at === "number" ? `#${at}` : toHex(at)}`);
    return b;
  }

  /** The validators' keys, by validator index. */
  validatorKeys(): Sr25519Keypair[] {
    return this.runtime.config.validators.map((v) => this.key(v));
  }

  private key(pub: Uint8Array): Sr25519Keypair {
    const k = this.keys.get(toHex(pub));
    if (!k) throw new TypeError(`no dev key for ${toHex(pub)}`);
    return k;
  }

  /** Builds a block on the head (slot defaults to the head's slot + 1, the author to the slot's validator). */
  build(opts: Partial<Omit<BuildRelayBlockParams, "store" | "parentHeader" | "author">> = {}): Result<BuiltRelayBlock> {
    const slot = opts.slot ?? this.head.slot + 1n;
    const vals = this.runtime.config.validators;
    const author = this.key(vals[Number(slot % BigInt(vals.length))]!);
    return buildRelayBlock(this.runtime, {
      ...opts,
      store: this.store,
      parentHeader: this.head.header,
      slot,
      author,
    });
  }

  /** Builds and imports a block; throws the typed error if building failed. */
  produce(opts: Parameters<DevRelayChain["build"]>[0] = {}): BuiltRelayBlock {
    const r = this.build(opts);
    if (!r.ok) throw r.error;
    this.importBuilt(r.value, opts.slot ?? this.head.slot + 1n);
    return r.value;
  }

  /** Adds a built block's state to the store and makes it the head. */
  importBuilt(b: BuiltRelayBlock, slot: bigint): void {
    if (!bytesEqual(b.header.parentHash.toU8a(), this.head.hash))
      throw new TypeError("block does not build on the head");
    for (const node of b.newNodes.values()) this.store.put(blake2_256(node), node);
    this.blocks.push({
      number: b.header.number.toNumber(),
      hash: b.hash,
      header: b.header.toU8a(),
      stateRoot: b.stateRoot,
      slot,
    });
  }

  /** A storage proof of `keys` in the state of a block (what a collator's relay follower provides). */
  proof(at: number | Uint8Array, keys: readonly Uint8Array[]): Uint8Array[] {
    return generateProof(this.store, this.block(at).stateRoot, keys);
  }

  /** The relay state proof a parablock of `paraId` needs: the relay slot and `Paras.Heads(paraId)`. */
  paraStateProof(at: number | Uint8Array, paraId: number): Uint8Array[] {
    return this.proof(at, [relayKeys.currentSlot, relayKeys.paraHead(paraId)]);
  }

  /**
   * Backs a candidate: the votes are signed over `CompactStatement` in the context `{session, relay parent}` and
   * placed at the signers' positions in the group assigned to the para's core at `relayParentNumber + 1`
   * (evaluated on the head's state).
   */
  back(candidate: CommittedCandidateReceiptValue, votes: readonly DevVote[]): BackedCandidateValue {
    const rt = this.runtime;
    const state = rt.stateAt(this.store, this.head.stateRoot);
    const rp = this.block(candidate.descriptor.relayParent);
    const core = rt.paras.parachains(state).indexOf(candidate.descriptor.paraId);
    const freq = rt.configuration.get(state).groupRotationFrequency;
    const groupIndex = rt.scheduler.groupForCore(state, Math.max(0, core), rp.number + 1, freq);
    const members = groupIndex === undefined ? [] : (rt.scheduler.groups(state)[groupIndex] ?? []);
    const hash = candidateHash(candidate);
    const ctx = { sessionIndex: rt.shared.sessionIndex(state), parentHash: candidate.descriptor.relayParent };
    const keys = this.validatorKeys();
    const placed = votes.map((v, i) => {
      const position = v.position ?? members.indexOf(v.validator);
      if (position < 0) {
        throw new TypeError(
          `validator ${v.validator} is not in the backing group [${members.join(", ")}]; give a position to place it anyway`,
        );
      }
      const kind = v.kind ?? (i === 0 ? "Seconded" : "Valid");
      const signature = signBackingStatement(keys[v.validator]!, kind, hash, ctx);
      return {
        position,
        attestation: { kind: kind === "Seconded" ? ("Implicit" as const) : ("Explicit" as const), signature },
      };
    });
    placed.sort((a, b) => a.position - b.position);
    const validatorIndices = new Array<boolean>(members.length).fill(false);
    for (const p of placed) validatorIndices[p.position] = true;
    return { candidate, validityVotes: placed.map((p) => p.attestation), validatorIndices };
  }

  /**
   * Availability bitfields for a block built on the head: each listed validator signs `bits` (one per core,
   * default all set) in the context `{session, head hash}`, in validator order.
   */
  bitfields(validators: readonly number[], bits?: readonly boolean[]): SignedAvailabilityBitfieldValue[] {
    const rt = this.runtime;
    const state = rt.stateAt(this.store, this.head.stateRoot);
    const cores = rt.paras.parachains(state).length;
    const payload = bits ?? new Array<boolean>(cores).fill(true);
    const ctx = { sessionIndex: rt.shared.sessionIndex(state), parentHash: this.head.hash };
    const keys = this.validatorKeys();
    return [...validators].sort((a, b) => a - b).map((v) => signAvailabilityBitfield(keys[v]!, v, payload, ctx));
  }
}

/** A parablock built on a relay block, with its candidate. */
export interface DevCollation {
  block: BuiltBlock;
  pvd: PersistedValidationDataValue;
  candidate: CommittedCandidateReceiptValue;
}

/**
 * Collates on a real relay block, as a collator does: builds the next parablock of `para` on its head with
 * `relayParent` as relay parent (relay state proof of the slot and the para head from the relay state,
 * timestamp = relay slot × relay slot duration), imports it into `para`, and makes the collator-signed
 * candidate (PVD with the relay's `maxPovSize`, the para's validation code hash).
 */
export function collateOnRelay(
  para: DevParachain,
  relay: DevRelayChain,
  relayParent: number | Uint8Array,
  opts: { collator?: Sr25519Keypair; transactions?: Uint8Array[] } = {},
): DevCollation {
  const prt = para.runtime;
  const rp = relay.block(relayParent);
  const rstate = relay.runtime.stateAt(relay.store, rp.stateRoot);
  const maxPovSize = relay.runtime.configuration.get(rstate).maxPovSize;
  const parent = para.head;
  const timestampMs = rp.slot * BigInt(prt.config.relaySlotDurationMs);
  const paraSlot = timestampMs / BigInt(prt.config.paraSlotDurationMs);
  const authorities = prt.aura.authorities(prt.stateAt(para.store, parent.stateRoot));
  const author = para.keys.get(toHex(authorities[Number(paraSlot % BigInt(authorities.length))]!));
  if (!author) throw new TypeError(`no dev key for the author of para slot ${paraSlot}`);
  const built = buildBlock(prt, {
    store: para.store,
    parentHeader: parent.header,
    relayParent: {
      number: rp.number,
      storageRoot: rp.stateRoot,
      stateProof: relay.paraStateProof(rp.number, prt.paraId),
      maxPovSize,
    },
    timestampMs,
    author,
    transactions: opts.transactions,
  });
  if (!built.ok) throw built.error;
  para.importBuilt(built.value, rp.number);
  const pvd: PersistedValidationDataValue = {
    parentHead: parent.header,
    relayParentNumber: rp.number,
    relayParentStorageRoot: rp.stateRoot,
    maxPovSize,
  };
  const candidate = makeCandidate({
    paraId: prt.paraId,
    relayParent: rp.hash,
    collator: opts.collator ?? author,
    pvd,
    pov: built.value.pov,
    headData: built.value.header.toU8a(),
    validationCodeHash: blake2_256(prt.code),
  });
  return { block: built.value, pvd, candidate };
}
