import { type Message, TopicValidatorResult } from "@libp2p/gossipsub";
import type { PeerId } from "@libp2p/interface";
import { errorMessage, GossipValidationError } from "../errors.js";
import type { GossipSubscription, GossipVerdict, NetworkLogger, VerdictCounts } from "../interface.js";
import type { NetworkMetrics } from "../metrics.js";

/**
 * The ONE place where gossip validation outcomes become gossipsub verdicts (Lodestar's
 * `gossipValidatorFn`): size check, the topic's `validate`, error → ACCEPT / IGNORE / REJECT, logging at
 * debug and counting per topic. Also runs the accepted message's `handle` so that it cannot crash the node.
 */

/** The stable code recorded when a message exceeds the topic's `maxBytes`. */
export const OVERSIZE_CODE = "MESSAGE_TOO_LARGE";
/** The code recorded when `validate` threw something that is not a `GossipValidationError`. */
export const UNEXPECTED_ERROR_CODE = "VALIDATOR_EXCEPTION";

/** Per-topic verdict counters, mirrored into `NetworkMetrics`. */
export class VerdictCounters {
  private readonly counts = new Map<string, VerdictCounts>();
  private readonly metrics: NetworkMetrics | undefined;

  constructor(metrics?: NetworkMetrics) {
    this.metrics = metrics;
  }

  /** Counts one verdict on `topic`. */
  verdict(topic: string, verdict: GossipVerdict, code?: string): void {
    this.entry(topic)[verdict]++;
    this.metrics?.gossipVerdict?.(topic, verdict, code);
  }

  /** Counts one accepted message whose handler threw. */
  handlerError(topic: string): void {
    this.entry(topic).handlerErrors++;
    this.metrics?.gossipHandlerError?.(topic);
  }

  /** A copy of every topic's counters. */
  snapshot(): Record<string, VerdictCounts> {
    const out: Record<string, VerdictCounts> = {};
    for (const [topic, c] of this.counts) out[topic] = { ...c };
    return out;
  }

  private entry(topic: string): VerdictCounts {
    let c = this.counts.get(topic);
    if (c === undefined) {
      c = { ACCEPT: 0, IGNORE: 0, REJECT: 0, handlerErrors: 0 };
      this.counts.set(topic, c);
    }
    return c;
  }
}

/** What the adapter needs: a logger and the counters. */
export interface VerdictModules {
  logger: NetworkLogger;
  counters: VerdictCounters;
}

/** The outcome of validating one message. `value` is set exactly when `verdict` is ACCEPT. */
export type ValidationOutcome<T> = { verdict: "ACCEPT"; value: T } | { verdict: GossipAction; code: string };
type GossipAction = Exclude<GossipVerdict, "ACCEPT">;

/**
 * Validates one inbound message for `sub`, counts and logs the verdict. Never throws.
 */
export async function validateGossipMessage<T>(
  sub: Pick<GossipSubscription<T>, "topic" | "maxBytes" | "validate">,
  bytes: Uint8Array,
  from: string,
  modules: VerdictModules,
): Promise<ValidationOutcome<T>> {
  const { logger, counters } = modules;
  const topic = sub.topic;
  // [REJECT] The message is no larger than the topic allows: checked before any decoding, so an oversized
  // message costs nothing but this comparison.
  if (bytes.length > sub.maxBytes) {
    counters.verdict(topic, "REJECT", OVERSIZE_CODE);
    logger.debug({ topic, from, size: bytes.length, maxBytes: sub.maxBytes }, "Gossip message rejected: too large");
    return { verdict: "REJECT", code: OVERSIZE_CODE };
  }
  try {
    const value = await sub.validate(bytes, from);
    counters.verdict(topic, "ACCEPT");
    return { verdict: "ACCEPT", value };
  } catch (err) {
    if (err instanceof GossipValidationError) {
      counters.verdict(topic, err.action, err.code);
      logger.debug(
        { topic, from, size: bytes.length, code: err.code, reason: err.message },
        `Gossip message ${err.action}`,
      );
      return { verdict: err.action, code: err.code };
    }
    // A validator bug or an unforeseen input is not proof that the sender misbehaved: IGNORE, no penalty.
    counters.verdict(topic, "IGNORE", UNEXPECTED_ERROR_CODE);
    logger.debug(
      { topic, from, size: bytes.length, err: errorMessage(err) },
      "Gossip validator threw an unexpected error; message ignored",
    );
    return { verdict: "IGNORE", code: UNEXPECTED_ERROR_CODE };
  }
}

/** gossipsub's verdict for ours. */
export function toTopicValidatorResult(verdict: GossipVerdict): TopicValidatorResult {
  switch (verdict) {
    case "ACCEPT":
      return TopicValidatorResult.Accept;
    case "IGNORE":
      return TopicValidatorResult.Ignore;
    case "REJECT":
      return TopicValidatorResult.Reject;
  }
}

/**
 * The gossipsub `topicValidators` entry for `sub`. gossipsub awaits it before delivering or forwarding the
 * message, so IGNOREd and REJECTed messages go no further and REJECT lowers the sender's score. The decoded
 * value of an accepted message is kept in `accepted` (keyed by the message object gossipsub then emits) so
 * that `handle` gets it without decoding twice.
 */
export function createTopicValidator<T>(
  sub: Pick<GossipSubscription<T>, "topic" | "maxBytes" | "validate">,
  accepted: WeakMap<Message, unknown>,
  modules: VerdictModules,
): (peer: PeerId, msg: Message) => Promise<TopicValidatorResult> {
  return async (peer, msg) => {
    const outcome = await validateGossipMessage(sub, msg.data, peer.toString(), modules);
    if (outcome.verdict === "ACCEPT") accepted.set(msg, outcome.value);
    return toTopicValidatorResult(outcome.verdict);
  };
}

/** Runs `sub.handle` for an accepted message; a throwing or rejecting handler is logged and counted. */
export function runGossipHandler<T>(
  sub: Pick<GossipSubscription<T>, "topic" | "handle">,
  value: T,
  from: string,
  modules: VerdictModules,
): void {
  const fail = (err: unknown) => {
    modules.counters.handlerError(sub.topic);
    modules.logger.warn({ topic: sub.topic, from, err: errorMessage(err) }, "Gossip handler failed");
  };
  try {
    const res = sub.handle(value, from);
    if (res !== undefined && typeof (res as Promise<void>).then === "function") (res as Promise<void>).catch(fail);
  } catch (err) {
    fail(err);
  }
}
