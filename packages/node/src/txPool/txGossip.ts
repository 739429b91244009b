import { type Gossip, GossipValidationError } from "@parapipe/network";
import { blake2_256, toHex } from "@parapipe/primitives";
import { PoolError, type PoolErrorType } from "../errors.js";
import type { Logger, Unsubscribe } from "../interface.js";
import { silentLogger } from "../util.js";
import type { SubmitResult, TxPool, TxWatcher } from "./txPool.js";

/**
 * Why a gossiped transaction was not accepted. REJECT codes mean it can never be valid, whoever sends it
 * (`UNDECODABLE`: not an extrinsic; `BAD_PROOF`: the signature does not verify; `BAD_SIGNER`: the signer is not an
 * account); IGNORE codes are the pool's refusals (known, stale, future, pool full ...), which say nothing
 * about the sender.
 */
export type TransactionGossipErrorType =
  | { code: "UNDECODABLE" | "BAD_PROOF" | "BAD_SIGNER"; hash: string }
  | { code: PoolErrorType["code"]; hash: string };

/** Options of `TransactionGossip`. */
export interface TransactionGossipOptions {
  /** The full gossip topic (`topicName(genesis, "relay", RELAY_TOPICS.tx)` or the para one). */
  topic: string;
  /** Largest transaction taken from gossip; larger ones are REJECTed unread. Default 64 KiB. */
  maxBytes?: number;
}

/** What `TransactionGossip` works with: the gossip half of a network, the pool, a logger. */
export interface TransactionGossipModules {
  network: { gossip: Pick<Gossip, "subscribe" | "publish"> };
  pool: Pick<TxPool, "submit">;
  logger?: Logger;
}

/** Default `maxBytes`: Substrate's transactions protocol allows far more, but no extrinsic here comes close. */
const DEFAULT_MAX_TX_BYTES = 64 * 1024;

/**
 * A transaction pool shared over one gossip topic (Substrate's transactions protocol), the same on the relay
 * and the para network: a transaction submitted here enters the local pool and is published; one received
 * enters the pool during validation, so only transactions the runtime accepts are forwarded. Undecodable or
 * badly signed transactions are REJECTed (the sender's score drops); ones the pool merely cannot take now
 * are IGNOREd.
 */
export class TransactionGossip {
  private readonly log: Logger;
  private readonly maxBytes: number;

  constructor(
    private readonly opts: TransactionGossipOptions,
    private readonly modules: TransactionGossipModules,
  ) {
    this.log = modules.logger ?? silentLogger;
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_TX_BYTES;
  }

  /** The full gossip topic. */
  get topic(): string {
    return this.opts.topic;
  }

  /** Subscribes the topic. Call before `network.start()`. */
  wire(): Unsubscribe {
    return this.modules.network.gossip.subscribe({
      topic: this.opts.topic,
      maxBytes: this.maxBytes,
      validate: (bytes) => this.validate(bytes),
      // Validation already put the transaction in the pool.
      handle: () => {},
    });
  }

  /**
   * Submits a transaction to the local pool and gossips it. Rejects with the pool's `PoolError`
   * (`INVALID_TRANSACTION` with the runtime's reason, `ALREADY_IMPORTED`, `POOL_FULL` ...) and then publishes
   * nothing. `watcher`, if given, receives every status of the transaction in this node's pool.
   */
  async submit(tx: Uint8Array, watcher?: TxWatcher): Promise<SubmitResult> {
    const r = await this.modules.pool.submit(tx, watcher);
    // No peers on the topic yet is not the submitter's problem: the transaction is in the pool, and the
    // next block this node authors (or a resubmission) carries it.
    await this.modules.network.gossip.publish(this.opts.topic, tx).catch((err: unknown) => {
      this.log.debug({ tx: toHex(r.hash), err }, "Transaction not published");
      return 0;
    });
    return r;
  }

  private async validate(bytes: Uint8Array): Promise<void> {
    try {
      await this.modules.pool.submit(bytes);
    } catch (e) {
      if (!(e instanceof PoolError)) throw e;
      const hash = toHex(blake2_256(bytes));
      const err = validityError(e);
      // [REJECT] Not an extrinsic at all.
      if (err?.kind === "Undecodable")
        throw new GossipValidationError<TransactionGossipErrorType>("REJECT", { code: "UNDECODABLE", hash }, e.message);
      // [REJECT] A signature that does not verify, or a signer that is not an account: never valid anywhere.
      if (err?.reason === "BadProof" || err?.reason === "BadSigner")
        throw new GossipValidationError<TransactionGossipErrorType>(
          "REJECT",
          { code: err.reason === "BadProof" ? "BAD_PROOF" : "BAD_SIGNER", hash },
          e.message,
        );
      // [IGNORE] Known, stale, future, unpayable or not acceptable now (pool full, lower priority ...): the
      // sender may have seen another chain state.
      throw new GossipValidationError<TransactionGossipErrorType>("IGNORE", { code: e.type.code, hash }, e.message);
    }
  }
}

/**
 * The runtime's validity error inside a pool refusal, read structurally (`TransactionValidityError` of the
 * runtime: `{code: "TRANSACTION_INVALID", error: {kind, reason}}`), so the node does not depend on the runtime.
 */
function validityError(e: PoolError): { kind?: string; reason?: string } | undefined {
  if (e.type.code !== "INVALID_TRANSACTION") return undefined;
  const reason = e.type.reason as { type?: { error?: { kind?: string; reason?: string } } };
  return reason.type?.error;
}
