import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from "@libp2p/gossipsub/score";

/**
 * gossipsub peer scoring, tuned so that what the validators decide matters and nothing else punishes an
 * honest peer on a quiet devnet:
 * - P4 (invalid message deliveries) is the strong term: each REJECT adds 1 to a counter whose square is
 *   weighted by `INVALID_MESSAGE_WEIGHT` (1 REJECT: -50, 2: -200, 3: -450), decaying by 1 % a second.
 * - P1 (time in mesh) and P2 (first deliveries) give well-behaved peers a small positive score.
 * - P3/P3b (mesh delivery deficit) are off: relay finality or para tx topics can be quiet for minutes, and
 *   a deficit penalty would graylist honest peers (Lodestar disables it on most topics for the same reason).
 * - P6 (IP colocation) ignores loopback, where a devnet runs every node.
 * IGNORE never penalises.
 */

/** Weight of the squared invalid-delivery counter (per topic, topic weight 1). */
export const INVALID_MESSAGE_WEIGHT = -50;

/** Score parameters applied to every topic this node subscribes to. */
export function topicScoreParams(): Partial<TopicScoreParams> {
  return {
    topicWeight: 1,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 300,
    firstMessageDeliveriesWeight: 0.5,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 20,
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0.5,
    meshMessageDeliveriesCap: 100,
    meshMessageDeliveriesThreshold: 1,
    meshMessageDeliveriesWindow: 10,
    meshMessageDeliveriesActivation: 60_000,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0.5,
    invalidMessageDeliveriesWeight: INVALID_MESSAGE_WEIGHT,
    invalidMessageDeliveriesDecay: 0.99,
  };
}

/** Global score parameters (topics are added as the node subscribes). */
export function peerScoreParams(): Partial<PeerScoreParams> {
  return {
    topics: {},
    topicScoreCap: 10,
    appSpecificScore: () => 0,
    appSpecificWeight: 1,
    IPColocationFactorWeight: -5,
    IPColocationFactorThreshold: 10,
    IPColocationFactorWhitelist: new Set(["127.0.0.1", "::1"]),
    decayInterval: 1000,
    decayToZero: 0.01,
    retainScore: 3600_000,
  };
}

/**
 * Below `gossipThreshold` (-100: two recent REJECTs on a topic) a peer gets no IHAVE gossip from us; below
 * `publishThreshold` (-200) our publishes skip it; below `graylistThreshold` (-400: three recent REJECTs on a
 * topic) its RPCs are dropped altogether.
 */
export function peerScoreThresholds(): Partial<PeerScoreThresholds> {
  return {
    gossipThreshold: -100,
    publishThreshold: -200,
    graylistThreshold: -400,
    acceptPXThreshold: 10,
    opportunisticGraftThreshold: 2,
  };
}
