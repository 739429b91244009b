import { GossipValidationError, type Network } from "@parapipe/network";
import {
  concatBytes,
  decodeExact,
  registry,
  type Sr25519Keypair,
  sr25519Sign,
  sr25519Verify,
} from "@parapipe/primitives";
import type { Logger } from "../interface.js";
import { silentLogger } from "../util.js";

/** A decoded SCALE value (the registry's codec type, without depending on @polkadot/types here). */
type Codec = ReturnType<typeof decodeExact>;

import type { FinalityTracker } from "./finalityTracker.js";

/** The bytes a finality vote signs: "FNLT" ++ genesis hash ++ block hash ++ number (u32 LE). */
export function finalityVotePayload(genesisHash: Uint8Array, hash: Uint8Array, number: number): Uint8Array {
  const n = new Uint8Array(4);
  new DataView(n.buffer).setUint32(0, number, true);
  return concatBytes(new TextEncoder().encode("FNLT"), genesisHash, hash, n);
}

/** Signs a finality vote. */
export function signFinalityVote(
  key: Sr25519Keypair,
  genesisHash: Uint8Array,
  hash: Uint8Array,
  number: number,
): Uint8Array {
  return sr25519Sign(key, finalityVotePayload(genesisHash, hash, number));
}

/** Options of `FinalityVoteGossip`. */
export interface FinalityVoteGossipOptions {
  /** The full gossip topic of finality votes. */
  topic: string;
  genesisHash: Uint8Array;
  /** The voters' sr25519 public keys, by voter index. */
  voters: readonly Uint8Array[];
}

/**
 * GRANDPA-lite votes over gossip: checks each vote (known voter, signature) before it is relayed, counts it
 * in the `FinalityTracker`, and publishes this node's own votes. Validators vote; full nodes and collators'
 * relay followers only listen, which is how they learn finality.
 */
export class FinalityVoteGossip {
  private readonly log: Logger;

  constructor(
    private readonly opts: FinalityVoteGossipOptions,
    private readonly modules: { network: Network; finality: FinalityTracker; logger?: Logger },
  ) {
    this.log = modules.logger ?? silentLogger;
  }

  /** Subscribes the topic. Call before `network.start()`. */
  wire(): () => void {
    return this.modules.network.gossip.subscribe({
      topic: this.opts.topic,
      maxBytes: 256,
      validate: (bytes) => this.validate(bytes),
      handle: () => {},
    });
  }

  /** Counts and gossips this node's vote for `best` as voter `voter`. */
  async vote(key: Sr25519Keypair, voter: number, best: { hash: Uint8Array; number: number }): Promise<void> {
    const signature = signFinalityVote(key, this.opts.genesisHash, best.hash, best.number);
    try {
      await this.modules.finality.noteVote({ voter, hash: best.hash, number: best.number, signature });
    } catch (e) {
      this.log.debug({ err: e }, "Own finality vote not counted");
    }
    const msg = registry
      .createType("FinalityVote", { hash: best.hash, number: best.number, validatorIndex: voter, signature })
      .toU8a();
    await this.modules.network.gossip.publish(this.opts.topic, msg).catch(() => 0);
  }

  private async validate(bytes: Uint8Array): Promise<void> {
    let v: { get(field: string): Codec | undefined; number: Codec; validatorIndex: Codec; signature: Codec };
    try {
      v = decodeExact(registry, "FinalityVote", bytes) as unknown as typeof v;
    } catch (e) {
      // [REJECT] The message does not decode.
      throw new GossipValidationError("REJECT", { code: "UNDECODABLE" }, e instanceof Error ? e.message : String(e));
    }
    const voter = (v.validatorIndex as unknown as { toNumber(): number }).toNumber();
    const voters = this.opts.voters;
    // [REJECT] The voter is not a validator.
    if (voter >= voters.length)
      throw new GossipValidationError("REJECT", { code: "UNKNOWN_VOTER" }, `voter ${voter} of ${voters.length}`);
    const vote = {
      voter,
      // (a Struct field named `hash` is shadowed by the codec's own `.hash` getter)
      hash: v.get("hash")!.toU8a(),
      number: (v.number as unknown as { toNumber(): number }).toNumber(),
      signature: v.signature.toU8a(),
    };
    // [REJECT] Bad signature.
    if (
      !sr25519Verify(vote.signature, finalityVotePayload(this.opts.genesisHash, vote.hash, vote.number), voters[voter]!)
    )
      throw new GossipValidationError("REJECT", { code: "BAD_SIGNATURE" }, "finality vote signature does not verify");
    const out = await this.modules.finality.noteVote(vote);
    // [IGNORE] Duplicate or stale votes.
    if (out.status === "duplicate" || out.status === "stale")
      throw new GossipValidationError("IGNORE", { code: out.status.toUpperCase() }, `vote ${out.status}`);
  }
}
