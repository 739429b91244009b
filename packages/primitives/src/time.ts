/**
 * Slot and time math shared by relay and para (Aura-style): slot = timestamp / slotDuration, author =
 * authorities[slot % n]. Every duration derives from the chain spec's slot durations, so a chain scaled to
 * 500 ms slots behaves like a 6 s chain, only faster.
 */

/** `Slot::from_timestamp`: the slot containing a millisecond timestamp. */
export function slotAt(timestampMs: bigint | number, slotDurationMs: bigint | number): bigint {
  return BigInt(timestampMs) / BigInt(slotDurationMs);
}

/** `Slot::timestamp`: the start of a slot in milliseconds. */
export function slotStart(slot: bigint | number, slotDurationMs: bigint | number): bigint {
  return BigInt(slot) * BigInt(slotDurationMs);
}

/** `slot_author`: the authority expected to author a slot (Aura round robin), or undefined if none. */
export function slotAuthor<T>(slot: bigint | number, authorities: readonly T[]): T | undefined {
  if (authorities.length === 0) return undefined;
  return authorities[Number(BigInt(slot) % BigInt(authorities.length))];
}

/**
 * The para slot that a relay slot's start falls in: `Slot::from_timestamp(relaySlotMs * relaySlot, paraSlotMs)`
 * (cumulus `FixedVelocityConsensusHook`, lookahead collator).
 */
export function paraSlotFromRelaySlot(relaySlot: bigint | number, relaySlotMs: number, paraSlotMs: number): bigint {
  return (BigInt(relaySlot) * BigInt(relaySlotMs)) / BigInt(paraSlotMs);
}

/**
 * Scales a duration defined at 6 s relay slots to the chain's relay slot (e.g. the 2 s authoring deadline
 * becomes 250 ms at 750 ms slots). Integer milliseconds, never below 1.
 */
export function scaleToSlot(durationAt6sMs: number, relaySlotMs: number): number {
  return Math.max(1, Math.floor((durationAt6sMs * relaySlotMs) / 6000));
}
