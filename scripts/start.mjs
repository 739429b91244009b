#!/usr/bin/env node
// `npm start`: until the networked devnet lands (`parapipe devnet`, issue 5), this runs the real parachain
// runtime in-process on a SIMULATED relay chain: one parablock per relay slot (async backing: 6 s blocks,
// capacity 3, inclusion two relay blocks later), dev transfers from Alice/Bob/Charlie, and what a user
// would watch: para head, unincluded segment, included head, collator rewards, issuance.
//   npm start -- [--slot-ms 6000] [--blocks N] [--sync]
import "@parapipe/primitives/polyfill";
import { cryptoReady, devKeypair, toHex } from "@parapipe/primitives";
import {
  ASTAR_CYCLE,
  ASTAR_INFLATION_PARAMETERS,
  ASYNC_BACKING_CONFIG,
  DevParachain,
  ParachainRuntime,
  POT_ACCOUNT,
  SYNC_BACKING_CONFIG,
} from "@parapipe/runtime";

const argv = process.argv.slice(2);
const arg = (n, d) => (argv.includes(`--${n}`) ? Number(argv[argv.indexOf(`--${n}`) + 1]) : d);
const sync = argv.includes("--sync");
const slotMs = arg("slot-ms", 6000);
const maxBlocks = arg("blocks", Number.POSITIVE_INFINITY);
if (!Number.isInteger(slotMs) || slotMs < 50) {
  console.error(`--slot-ms must be an integer >= 50, got ${argv[argv.indexOf("--slot-ms") + 1]}`);
  process.exit(2);
}

await cryptoReady();
const UNIT = 10n ** 18n;
const [alice, bob, charlie] = ["Alice", "Bob", "Charlie"].map((n) => devKeypair(n));
const base = sync ? SYNC_BACKING_CONFIG : ASYNC_BACKING_CONFIG;
const cfg = { ...base, paraId: 2000, relaySlotDurationMs: slotMs, paraSlotDurationMs: sync ? 2 * slotMs : slotMs };
const cycle = { ...ASTAR_CYCLE, blocksPerEra: sync ? ASTAR_CYCLE.blocksPerEra / 2 : ASTAR_CYCLE.blocksPerEra };
const rt = new ParachainRuntime(cfg, cycle);
const chain = new DevParachain(rt, {
  balances: [alice, bob, charlie].map((k) => [k.publicKey, 1_000_000n * UNIT]),
  auraAuthorities: [alice.publicKey, bob.publicKey],
  invulnerables: [alice.publicKey, bob.publicKey],
  sudoKey: alice.publicKey,
  inflation: {
    params: ASTAR_INFLATION_PARAMETERS,
    cycle,
  },
});
const fmt = (v) => `${(Number(v / 10n ** 12n) / 1e6).toFixed(6)} ASTR`;
const short = (h) => `${toHex(h).slice(0, 10)}…`;
console.log("parapipe: runtime-only simulation (the networked devnet is `parapipe devnet`, not built yet)");
console.log(
  `para 2000, ${sync ? "SYNC" : "ASYNC"} backing: para slot ${cfg.paraSlotDurationMs} ms, relay slot ${slotMs} ms, capacity ${cfg.unincludedSegmentCapacity}, block weight ${cfg.blockRefTimeMs} ms`,
);
console.log(`genesis ${toHex(chain.genesisHash)}; Ctrl-C to stop\n`);

let relaySlot = BigInt(Math.floor(Date.now() / slotMs));
let relayNumber = 0; // relay block number: its own counter, unlike the wall-clock slot
let produced = 0;
let stopping = false;
const stop = () => {
  stopping = true;
  console.log(`\nstopped after ${produced} parablocks`);
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

const senders = [alice, bob, charlie];
function tick() {
  if (stopping) return;
  relaySlot += 1n;
  relayNumber += 1;
  const paraSlot = (relaySlot * BigInt(slotMs)) / BigInt(cfg.paraSlotDurationMs);
  const last = chain.head;
  const lastSlot = last.number === 0 ? -1n : rt.aura.currentSlot(rt.stateAt(chain.store, last.stateRoot));
  if (sync && paraSlot <= lastSlot) return schedule(); // 12 s blocks: one every other relay slot
  // Async backing: the relay includes the parablock built two relay blocks earlier; sync: the parent.
  const delay = sync ? 0 : Math.min(1, last.number);
  const from = senders[produced % 3];
  const to = senders[(produced + 1) % 3];
  const tx = chain.sign(from, "balances", "transferKeepAlive", [{ Id: to.publicKey }, UNIT]);
  const t0 = performance.now();
  const r = chain.build({ relaySlot, relayNumber, inclusionDelay: delay, transactions: [tx] });
  if (!r.ok) {
    console.error(`relay slot ${relaySlot}: could not build: ${r.error.code}: ${r.error.message}`);
    return schedule();
  }
  chain.importBuilt(r.value, relayNumber);
  produced++;
  const s = rt.stateAt(chain.store, chain.head.stateRoot);
  const seg = rt.parachainSystem.segment(s).length;
  const included = chain.blocks[Math.max(0, chain.head.number - 1 - delay)];
  console.log(
    `relay #${relayNumber} (slot ${relaySlot}) | para #${chain.head.number} ${short(chain.head.hash)} (${(performance.now() - t0).toFixed(0)} ms, ${r.value.included.length} tx, PoV ${(r.value.pov.length / 1024).toFixed(1)} KiB) | segment ${seg}/${cfg.unincludedSegmentCapacity} | included #${included.number} | pot ${fmt(rt.balances.free(s, POT_ACCOUNT))} | issuance ${fmt(rt.balances.totalIssuance(s))}`,
  );
  if (produced >= maxBlocks) return stop();
  schedule();
}
function schedule() {
  setTimeout(tick, slotMs - (Date.now() % slotMs));
}
schedule();
