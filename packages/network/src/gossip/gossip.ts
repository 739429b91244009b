import type { GossipSub, GossipsubMessage, Message } from "@libp2p/gossipsub";
import { createTopicScoreParams, type TopicScoreParams } from "@libp2p/gossipsub/score";
import { errorMessage, GossipPublishError, NetworkError } from "../errors.js";
import type { GossipFaultFilter } from "../faults.js";
import type { Gossip, GossipSubscription, NetworkLogger, VerdictCounts } from "../interface.js";
import type { NetworkMetrics } from "../metrics.js";
import { topicScoreParams } from "./scoring.js";
import {
  createTopicValidator,
  runGossipHandler,
  toTopicValidatorResult,
  VerdictCounters,
  type VerdictModules,
} from "./verdict.js";

/**
 * The parts of `@libp2p/gossipsub`'s class that its exported `GossipSub` interface omits: peer scores and
 * mesh membership. Checked once at attach time so a gossipsub upgrade that drops them fails loudly.
 */
interface GossipSubInternals {
  getScore(peerId: string): number;
  getMeshPeers(topic: string): string[];
  score: { params: { topics: Record<string, TopicScoreParams> } };
}

/** A gossipsub instance with the internals this package uses. */
export type ScoredGossipSub = GossipSub & GossipSubInternals;

/** Checks that `pubsub` exposes the scoring and mesh internals (see `GossipSubInternals`). */
export function asScoredGossipSub(pubsub: GossipSub): ScoredGossipSub {
  const x = pubsub as unknown as Partial<GossipSubInternals>;
  const missing =
    typeof x.getScore !== "function"
      ? "getScore"
      : typeof x.getMeshPeers !== "function"
        ? "getMeshPeers"
        : typeof x.score?.params?.topics !== "object"
          ? "score.params.topics"
          : undefined;
  if (missing !== undefined)
    throw new NetworkError(
      { code: "INCOMPATIBLE_GOSSIPSUB", missing },
      `the installed @libp2p/gossipsub has no ${missing}; peer scoring cannot be configured`,
    );
  return pubsub as ScoredGossipSub;
}

/** Options of the gossip service. */
export interface GossipOptions {
  /** Upper bound of every topic's `maxBytes`, and the publish limit of topics not subscribed to. */
  maxGossipBytes: number;
}

/** Its dependencies. */
export interface GossipModules {
  logger: NetworkLogger;
  metrics?: NetworkMetrics;
  /** Fault injection (tests only): drops and delays messages before validation. */
  faults?: GossipFaultFilter | undefined;
}

type AnySubscription = GossipSubscription<unknown>;

/**
 * Gossip topics on top of gossipsub: each subscription installs its validator as a gossipsub
 * `topicValidators` entry (through the verdict adapter) and gets accepted messages with their decoded value.
 */
export class GossipService implements Gossip {
  private readonly opts: GossipOptions;
  private readonly logger: NetworkLogger;
  private readonly verdict: VerdictModules;
  private readonly faults: GossipFaultFilter | undefined;
  private readonly subs = new Map<string, AnySubscription>();
  private readonly accepted = new WeakMap<Message, unknown>();
  private pubsub: ScoredGossipSub | undefined;

  constructor(opts: GossipOptions, modules: GossipModules) {
    this.opts = opts;
    this.logger = modules.logger;
    this.verdict = { logger: modules.logger, counters: new VerdictCounters(modules.metrics) };
    this.faults = modules.faults;
  }

  /** Starts gossiping on `pubsub` (called by the network once libp2p is started). */
  attach(pubsub: ScoredGossipSub): void {
    this.pubsub = pubsub;
    pubsub.addEventListener("gossipsub:message", this.onMessage);
    for (const sub of this.subs.values()) this.join(pubsub, sub);
  }

  /** Stops delivering messages (called by the network on stop). */
  detach(): void {
    this.pubsub?.removeEventListener("gossipsub:message", this.onMessage);
    this.pubsub = undefined;
  }

  /** @inheritdoc */
  subscribe<T>(sub: GossipSubscription<T>): () => void {
    if (this.subs.has(sub.topic))
      throw new NetworkError({ code: "ALREADY_SUBSCRIBED", topic: sub.topic }, `already subscribed to ${sub.topic}`);
    if (!(Number.isSafeInteger(sub.maxBytes) && sub.maxBytes > 0 && sub.maxBytes <= this.opts.maxGossipBytes))
      throw new NetworkError(
        { code: "INVALID_OPTION", option: "maxBytes", reason: String(sub.maxBytes) },
        `invalid maxBytes for ${sub.topic}: expected 1..${this.opts.maxGossipBytes} (maxGossipBytes), found ${sub.maxBytes}`,
      );
    const entry = sub as AnySubscription;
    this.subs.set(sub.topic, entry);
    if (this.pubsub !== undefined) this.join(this.pubsub, entry);
    return () => {
      if (this.subs.get(sub.topic) !== entry) return;
      this.subs.delete(sub.topic);
      const ps = this.pubsub;
      if (ps !== undefined) {
        ps.topicValidators.delete(sub.topic);
        ps.unsubscribe(sub.topic);
      }
    };
  }

  /** @inheritdoc */
  async publish(topic: string, bytes: Uint8Array): Promise<number> {
    const maxBytes = this.subs.get(topic)?.maxBytes ?? this.opts.maxGossipBytes;
    if (bytes.length > maxBytes)
      throw new GossipPublishError(
        { code: "MESSAGE_TOO_LARGE", topic, size: bytes.length, maxBytes },
        `gossip message of ${bytes.length} bytes exceeds the ${maxBytes}-byte limit of ${topic}`,
      );
    const ps = this.pubsub;
    if (ps === undefined)
      throw new GossipPublishError({ code: "NOT_STARTED", topic }, `cannot publish on ${topic}: network not started`);
    // Fault injection: a lost message looks sent to the publisher; report the peers it would have gone to.
    if (this.faults?.dropPublish(topic) === true) {
      this.logger.debug({ topic, size: bytes.length }, "Gossip publish dropped by fault injection");
      return ps.getSubscribers(topic).length;
    }
    try {
      const res = await ps.publish(topic, bytes);
      this.logger.debug({ topic, size: bytes.length, recipients: res.recipients.length }, "Gossip message published");
      return res.recipients.length;
    } catch (err) {
      const reason = errorMessage(err);
      throw new GossipPublishError({ code: "PUBLISH_FAILED", topic, reason }, `publish on ${topic} failed: ${reason}`);
    }
  }

  /** @inheritdoc */
  verdictCounts(): Record<string, VerdictCounts> {
    return this.verdict.counters.snapshot();
  }

  /** @inheritdoc */
  topicPeers(topic: string): string[] {
    return this.pubsub?.getSubscribers(topic).map((p) => p.toString()) ?? [];
  }

  /** @inheritdoc */
  meshPeers(topic: string): string[] {
    return this.pubsub?.getMeshPeers(topic) ?? [];
  }

  private join(pubsub: ScoredGossipSub, sub: AnySubscription): void {
    // Score parameters must exist before the first message on the topic, or gossipsub does not score it
    // (and REJECTs would not lower the sender's score).
    pubsub.score.params.topics[sub.topic] = createTopicScoreParams(topicScoreParams());
    const validator = createTopicValidator(sub, this.accepted, this.verdict);
    const faults = this.faults;
    pubsub.topicValidators.set(
      sub.topic,
      faults === undefined
        ? validator
        : async (peer, msg) => {
            // Fault injection: a dropped message (or one from a cut peer) is IGNOREd before the verdict
            // adapter, so it is neither validated nor counted as a verdict, costs the sender no score, and is
            // not delivered or forwarded. A delayed one is validated once its delay has passed.
            const admit = faults.admitGossip(sub.topic, peer.toString());
            if (admit === false || (admit !== true && !(await admit))) return toTopicValidatorResult("IGNORE");
            return validator(peer, msg);
          },
    );
    pubsub.subscribe(sub.topic);
    this.logger.debug({ topic: sub.topic, maxBytes: sub.maxBytes }, "Subscribed to gossip topic");
  }

  private readonly onMessage = (evt: CustomEvent<GossipsubMessage>): void => {
    const { msg, propagationSource } = evt.detail;
    const sub = this.subs.get(msg.topic);
    if (sub === undefined || !this.accepted.has(msg)) return;
    const value = this.accepted.get(msg);
    this.accepted.delete(msg);
    runGossipHandler(sub, value, propagationSource.toString(), this.verdict);
  };
}
