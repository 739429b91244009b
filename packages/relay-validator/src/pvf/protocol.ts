/** A validation job sent to a PVF worker. */
export interface PvfRequest {
  id: number;
  /** The para's validation code (its runtime `:code`). */
  code: Uint8Array;
  /** SCALE `ValidationParams`. */
  params: Uint8Array;
}

/** A worker's answer. */
export type PvfResponse =
  | { id: number; valid: true; headData: Uint8Array; hrmpWatermark: number; ms: number }
  | { id: number; valid: false; code: string; message: string; ms: number };
