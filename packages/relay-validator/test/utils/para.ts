import { devKeypair } from "@parapipe/primitives";
import {
  ASTAR_CYCLE,
  ASTAR_INFLATION_PARAMETERS,
  ASYNC_BACKING_CONFIG,
  ParachainRuntime,
  type ParaGenesis,
  SYNC_BACKING_CONFIG,
} from "@parapipe/runtime";

/** Para 2000's runtime for a relay with `slotMs` slots: async (capacity 3, para slot = relay slot) or sync. */
export function testParaRuntime(mode: "async" | "sync", slotMs: number): ParachainRuntime {
  const base = mode === "async" ? ASYNC_BACKING_CONFIG : SYNC_BACKING_CONFIG;
  return new ParachainRuntime({
    ...base,
    paraId: 2000,
    relaySlotDurationMs: slotMs,
    paraSlotDurationMs: mode === "async" ? slotMs : 2 * slotMs,
    cycle: ASTAR_CYCLE,
  });
}

/** Para 2000's genesis: Alice and Bob collate. */
export function testParaGenesis(): ParaGenesis {
  const [alice, bob] = [devKeypair("Alice"), devKeypair("Bob")];
  return {
    balances: [
      [alice.publicKey, 10n ** 24n],
      [bob.publicKey, 10n ** 24n],
    ],
    auraAuthorities: [alice.publicKey, bob.publicKey],
    invulnerables: [alice.publicKey, bob.publicKey],
    inflation: { params: ASTAR_INFLATION_PARAMETERS, cycle: ASTAR_CYCLE },
  };
}
