import { blake2_256 } from "@parapipe/primitives";

/** Length of a gossip message id (a truncated blake2-256, as Ethereum's 20-byte gossip ids). */
export const MESSAGE_ID_BYTES = 20;

const encoder = new TextEncoder();

/**
 * The content-based gossip message id: blake2-256(topic ‖ 0x00 ‖ data), first 20 bytes. With `StrictNoSign`
 * messages carry no sender or sequence number, so identical bytes on a topic are one message wherever they
 * come from, and duplicates are dropped before validation. The separator keeps (topic, data) pairs from
 * colliding. Needs `cryptoReady()` first.
 */
export function gossipMessageId(topic: string, data: Uint8Array | undefined): Uint8Array {
  const t = encoder.encode(topic);
  const d = data ?? new Uint8Array(0);
  const buf = new Uint8Array(t.length + 1 + d.length);
  buf.set(t, 0);
  buf.set(d, t.length + 1);
  return blake2_256(buf).subarray(0, MESSAGE_ID_BYTES);
}

/** The message id as the string gossipsub's duplicate caches key on (`fastMsgIdFn`). */
export function gossipMessageIdString(topic: string, data: Uint8Array | undefined): string {
  return Buffer.from(gossipMessageId(topic, data)).toString("base64");
}
