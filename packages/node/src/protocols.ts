/**
 * The names of the gossip topics and request/response protocols, shared by every node kind so that a
 * validator, a collator's relay follower and a para full node speak the same wire. Topics are namespaced by
 * genesis hash (`topicName`), protocols by the genesis of the network they run on (`protocolId`).
 */

/** Relay-chain gossip topics (under `/parapipe/<relayGenesis8>/relay/`). */
export const RELAY_TOPICS = {
  block: "block",
  finality: "finality",
  statement: "statement",
  bitfield: "bitfield",
  /** Signed relay-chain transactions, shared among every relay node (validators and collators' relay nodes). */
  tx: "tx",
} as const;

/** Relay-network request/response protocols. */
export const RELAY_PROTOCOLS = {
  /** Blocks by range (sync). */
  blocks: "blocks",
  /** A PoV by candidate hash (availability). */
  pov: "pov",
  /** Collator → validator: a signed advertisement of a collation. */
  advertise: "collation-advertise",
  /** Validator → collator: fetch an advertised collation (candidate, PVD, PoV). */
  fetchCollation: "collation-fetch",
  /** Validator → collator: "your collation was seconded" (upstream `CollationSeconded`), a signed statement. */
  collationSeconded: "collation-seconded",
} as const;

/** Parachain gossip topics (under `/parapipe/<paraGenesis8>/para/`). */
export const PARA_TOPICS = {
  /** Block announcements (the full block). */
  block: "block",
  /** Signed transactions, shared among collators and full nodes. */
  tx: "tx",
} as const;

/** Para-network request/response protocols. */
export const PARA_PROTOCOLS = {
  /** Blocks by range (sync). */
  blocks: "blocks",
} as const;
