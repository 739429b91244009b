import type { StateOverlay } from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { Header } from "@polkadot/types/interfaces";
import type { DispatchClass, EmittedEvent } from "./pallet.js";

/** `frame_system::Phase`. */
export type Phase = { kind: "Initialization" } | { kind: "ApplyExtrinsic"; index: number } | { kind: "Finalization" };

/**
 * Everything runtime code sees while a block executes: the registry, the state overlay, the header being
 * built, the phase, the events deposited so far and the weight consumed per dispatch class.
 */
export class BlockContext {
  /** Current phase; events are recorded with it. */
  phase: Phase = { kind: "Initialization" };
  /** Events, SCALE-encoded as `EventRecord`s, in deposit order. */
  readonly eventRecords: Uint8Array[] = [];
  /** Events in readable form (same order). */
  readonly events: EmittedEvent[] = [];
  /** Ref-time consumed per dispatch class. */
  readonly weight: Record<DispatchClass, bigint> = { Normal: 0n, Operational: 0n, Mandatory: 0n };
  /** Bytes of extrinsics applied so far. */
  length = 0;
  /** Digest items the runtime deposits into the header (e.g. RPSR). */
  readonly digestOut: Uint8Array[] = [];
  /** Scratch space pallets use for per-block flags (e.g. "the inherent ran"). */
  readonly flags = new Map<string, unknown>();

  constructor(
    readonly registry: TypeRegistry,
    readonly state: StateOverlay,
    /** The header of the block being executed (built: without state/extrinsics roots; imported: as received). */
    readonly header: Header,
    /** The block number. */
    readonly number: number,
    /** The parent block hash. */
    readonly parentHash: Uint8Array,
  ) {}

  /** Records an event (pallet index, event index, fields already encoded) in the current phase. */
  depositEvent(encodedEvent: Uint8Array, readable: EmittedEvent): void {
    const phase = this.phase;
    let phaseBytes: Uint8Array;
    if (phase.kind === "ApplyExtrinsic") {
      phaseBytes = new Uint8Array(5);
      new DataView(phaseBytes.buffer).setUint32(1, phase.index, true);
      readable.extrinsicIndex = phase.index;
    } else phaseBytes = new Uint8Array([phase.kind === "Finalization" ? 1 : 2]);
    const record = new Uint8Array(phaseBytes.length + encodedEvent.length + 1);
    record.set(phaseBytes, 0);
    record.set(encodedEvent, phaseBytes.length);
    record[record.length - 1] = 0; // topics: empty Vec<H256>
    this.eventRecords.push(record);
    this.events.push(readable);
  }
}
