/** The origin a call is dispatched with (frame_system::RawOrigin). */
export type Origin = { kind: "root" } | { kind: "signed"; who: Uint8Array } | { kind: "none" };

/** Root origin. */
export const ROOT: Origin = { kind: "root" };
/** None origin: inherents and unsigned extrinsics. */
export const NONE: Origin = { kind: "none" };
/** A signed origin. */
export function signed(who: Uint8Array): Origin {
  return { kind: "signed", who };
}
