/**
 * bench/relay: per-candidate stage latencies of the relay-side pipeline (advertise, fetch, PVF, seconding,
 * backing, on chain, inclusion) and included parablocks per relay block, async backing {3, 2} and sync
 * backing {0, 0} side by side in one run, at each relay slot duration.
 *
 *   npm run bench:relay [-- --quick] [--slots 1000,6000] [--blocks N]
 *
 * For each slot duration and mode: 4 validators (Alice, Bob, Charlie, Dave) and the test collator of
 * `packages/relay-validator/test/utils` run in this process over loopback libp2p with LevelDB in temp dirs. After
 * a warm-up (until the relay chain has included two parablocks), N relay blocks are measured (default 12 at
 * slots under 6 s, 6 at 6 s and above; `--quick` halves them, rounded up to an even number; `--blocks` sets N
 * for every slot duration).
 * The candidates included in a canonical relay block of that window are the sample; each stage is timed from
 * the collator's advertisement (see `observer.ts` for where each timestamp is taken). Prints a table per slot
 * duration, then `<S>s slots: async A / sync B parablocks per relay block, ratio A/B`, and writes every figure
 * (and every sampled candidate) to `bench/results/relay-<date>.json`.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateNodeKey } from "@parapipe/network";
import { cryptoReady, devKeypair, fromHex, toHex } from "@parapipe/primitives";
import { type AuthoredRecord, type CandidateTrace, PipelineObserver } from "./observer.js";
import {
  RelayValidatorNode,
  type RelayValidatorStats,
  relaySpec,
  TestCollator,
  testParaGenesis,
  testParaRuntime,
  waitFor,
} from "./relayValidator.js";

const args = process.argv.slice(2);
const QUICK = args.includes("--quick");
const optValue = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const SLOTS = (optValue("slots") ?? "1000,6000").split(",").map((s) => Number(s.trim()));
const BLOCKS = optValue("blocks") === undefined ? undefined : Number(optValue("blocks"));
if (SLOTS.some((s) => !Number.isInteger(s) || s < 250)) {
  console.error(`--slots: expected comma-separated slot durations in ms (each >= 250), found ${optValue("slots")}`);
  process.exit(2);
}
if (BLOCKS !== undefined && (!Number.isInteger(BLOCKS) || BLOCKS < 1)) {
  console.error(`--blocks: expected a positive integer, found ${optValue("blocks")}`);
  process.exit(2);
}

const VALIDATORS = ["Alice", "Bob", "Charlie", "Dave"];
const PARA_ID = 2000;
const MODES = ["async", "sync"] as const;
type Mode = (typeof MODES)[number];

/**
 * Relay blocks measured at `slotMs`: 12 below 6 s slots, 6 from 6 s on; `--quick` halves them, rounded up to an
 * even number (sync backing includes every second relay block: an odd window would read 0.33 or 0.67 for 0.5).
 */
function blocksFor(slotMs: number): number {
  const n = BLOCKS ?? (slotMs >= 6000 ? 6 : 12);
  return BLOCKS === undefined && QUICK ? 2 * Math.ceil(n / 4) : n;
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics

interface Summary {
  n: number;
  median?: number;
  p95?: number;
}

function summarize(xs: number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return { n: 0 };
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  // Nearest rank: with few samples the p95 is the largest one, as it should be.
  const p95 = s[Math.ceil(0.95 * s.length) - 1]!;
  return { n: s.length, median, p95 };
}

/** The stages of the table, in pipeline order: [key, label, unit]. */
const STAGES = [
  ["advertiseToFetched", "advertise → fetched", "ms"],
  ["pvfExecution", "PVF execution (worker, seconder)", "ms"],
  ["fetchedToSeconded", "fetched → seconded", "ms"],
  ["secondedToBacked", "seconded → backed (quorum)", "ms"],
  ["backedToOnChain", "backed → on chain", "ms"],
  ["onChainToIncluded", "on chain → included", "ms"],
  ["advertiseToIncluded", "advertise → included (total)", "ms"],
  ["relayParentToOnChain", "relay parent → on chain", "blocks"],
  ["relayParentToIncluded", "relay parent → included", "blocks"],
] as const;
type StageKey = (typeof STAGES)[number][0];

/** One sampled candidate: its stage latencies (ms, or relay blocks for the `relayParentTo*` ones). */
interface CandidateRow {
  candidate: string;
  relayParentNumber?: number;
  onChainNumber: number;
  includedNumber: number;
  secondedBy?: number;
  backedAt?: number;
  stages: Partial<Record<StageKey, number>>;
}

interface ModeResult {
  mode: Mode;
  slotMs: number;
  asyncBackingParams: { maxCandidateDepth: number; allowedAncestryLen: number };
  warmupSeconds: number;
  window: { fromRelay: number; toRelay: number; relayBlocks: number; fromPara: number; toPara: number };
  includedParablocks: number;
  parablocksPerRelayBlock: number;
  stages: Record<StageKey, Summary>;
  /** What happened in the window besides inclusions. */
  counts: {
    advertised: number;
    seconded: number;
    backed: number;
    onChain: number;
    timedOut: number;
    forkedAuthoredBlocks: number;
    refusals: Record<string, number>;
    collatorSkipped: Record<string, number>;
  };
  validatorStats: Partial<RelayValidatorStats>;
  candidates: CandidateRow[];
}

// ---------------------------------------------------------------------------------------------------------------
// Lifecycle: everything started is closed on exit, also on Ctrl-C

const live = new Set<() => Promise<void>>();
let root = "";
let stopping = false;

async function cleanup(): Promise<void> {
  for (const close of [...live].reverse()) await close().catch(() => {});
  live.clear();
  if (root) await rm(root, { recursive: true, force: true }).catch(() => {});
}

async function shutdown(code: number): Promise<never> {
  if (stopping) process.exit(code);
  stopping = true;
  await cleanup();
  process.exit(code);
}

process.on("SIGINT", () => {
  if (!stopping) console.error("\ninterrupted: stopping nodes and removing temp dirs (Ctrl-C again to force)");
  void shutdown(130);
});
process.on("SIGTERM", () => void shutdown(143));

// ---------------------------------------------------------------------------------------------------------------
// One mode at one slot duration

function sumStats(nodes: RelayValidatorNode[]): Partial<RelayValidatorStats> {
  const keys = ["authored", "seconded", "validated", "invalidCollations", "backed", "misbehaviours"] as const;
  return Object.fromEntries(keys.map((k) => [k, nodes.reduce((a, n) => a + n.stats[k], 0)]));
}

function diffStats(a: Partial<RelayValidatorStats>, b: Partial<RelayValidatorStats>): Partial<RelayValidatorStats> {
  return Object.fromEntries(
    Object.entries(b).map(([k, v]) => [k, (v as number) - ((a as Record<string, number>)[k] ?? 0)]),
  );
}

async function runMode(slotMs: number, mode: Mode, blocks: number): Promise<ModeResult> {
  const prt = testParaRuntime(mode, slotMs);
  const pg = testParaGenesis();
  const g = prt.genesis(pg);
  const spec = relaySpec({
    validators: VALIDATORS,
    slotMs,
    mode,
    para: { id: PARA_ID, genesisHead: g.header, code: prt.code },
  });
  const obs = new PipelineObserver();
  const nodes: RelayValidatorNode[] = [];
  let collator: TestCollator | undefined;
  const dir = await mkdtemp(join(root, `${mode}-${slotMs}ms-`));
  const close = async () => {
    await collator?.close().catch(() => {});
    for (const n of nodes.splice(0).reverse()) await n.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  live.add(close);
  try {
    // Validators as `startRelayValidators` starts them, plus the observer's logger and hooks (before start).
    let bootnode: string | undefined;
    for (const [i, name] of VALIDATORS.entries()) {
      const node = await RelayValidatorNode.init(
        {
          spec,
          basePath: await mkdtemp(join(dir, `${name}-`)),
          key: devKeypair(name),
          listen: ["/ip4/127.0.0.1/tcp/0"],
          bootnodes: bootnode ? [bootnode] : [],
          nodeKey: generateNodeKey(),
        },
        { logger: obs.logger(i) },
      );
      nodes.push(node);
      obs.observeValidator(node, i);
      await node.start();
      bootnode ??= node.network.listenAddrs().find((a) => a.includes("/tcp/") && !a.includes("/ws"));
    }
    const t0 = performance.now();
    // The collator's temp dir is under `root` (TMPDIR), so it goes even if we are stopped mid-start.
    collator = await TestCollator.start({ relaySpec: spec, bootnode: bootnode!, runtime: prt, genesis: pg });
    const c = collator;
    obs.observeCollator(c.node);
    const observe = () =>
      `relay #${c.node.best.number}; collator submitted ${c.submitted}, accepted ${c.accepted}, skipped ${JSON.stringify([...c.skipped])}; refusals ${JSON.stringify([...obs.refusals])}; ${nodes.map((n) => JSON.stringify(n.stats)).join(" ")}`;

    // Warm-up: until parablocks are being included.
    let para = 0;
    await waitFor(
      "two included parablocks",
      async () => {
        para = (await c.includedHead())?.number ?? 0;
        return para >= 2;
      },
      40 * slotMs + 10_000,
      observe,
    );
    const warmupSeconds = (performance.now() - t0) / 1000;
    const r0 = c.node.best.number;
    const p0 = para;
    const stats0 = sumStats(nodes);
    const skipped0 = new Map(c.skipped);
    const refusals0 = new Map(obs.refusals);
    const tStart = performance.now();
    console.log(
      `  ${mode}: warm-up done in ${warmupSeconds.toFixed(1)} s (relay #${r0}, para #${p0}); measuring ${blocks} relay blocks`,
    );
    await waitFor(
      "the measured relay blocks",
      () => c.node.best.number >= r0 + blocks,
      (blocks + 10) * slotMs,
      observe,
    );
    const r1 = c.node.best.number;
    const p1 = (await c.includedHead())?.number ?? 0;
    const stats1 = sumStats(nodes);
    const tEnd = performance.now();

    // Keep the authored blocks that are on the collator's canonical chain (a lost fork does not count).
    const canonical: AuthoredRecord[] = [];
    let forked = 0;
    for (const r of obs.authored) {
      const h = r.number <= r1 ? await c.node.chain.canonicalHash(r.number) : undefined;
      if (h && r.hash === toHex(h)) canonical.push(r);
      else if (h && r.number > r0) forked++;
    }
    const inWindow = canonical.filter((r) => r.number > r0 && r.number <= r1);
    const onChainAt = new Map<string, AuthoredRecord>();
    const includedAt = new Map<string, AuthoredRecord>();
    for (const r of canonical) {
      for (const h of r.backed) if (!onChainAt.has(h)) onChainAt.set(h, r);
      for (const h of r.included) if (!includedAt.has(h)) includedAt.set(h, r);
    }

    const rows: CandidateRow[] = [];
    for (const r of inWindow) {
      for (const hash of r.included) {
        const tr = obs.candidates.get(hash);
        const on = onChainAt.get(hash);
        if (!tr || !on) continue;
        rows.push(await candidateRow(tr, on, r, c));
      }
    }
    const stages = Object.fromEntries(
      STAGES.map(([key]) => [
        key,
        summarize(rows.map((row) => row.stages[key]).filter((x): x is number => x !== undefined)),
      ]),
    ) as Record<StageKey, Summary>;
    const within = (t: number | undefined) => t !== undefined && t >= tStart && t <= tEnd;
    const since = (now: Map<string, number>, before: Map<string, number>) =>
      Object.fromEntries([...now].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, v]) => v > 0));
    const traces = [...obs.candidates.values()];
    return {
      mode,
      slotMs,
      asyncBackingParams:
        mode === "async"
          ? { maxCandidateDepth: 3, allowedAncestryLen: 2 }
          : { maxCandidateDepth: 0, allowedAncestryLen: 0 },
      warmupSeconds,
      window: { fromRelay: r0, toRelay: r1, relayBlocks: r1 - r0, fromPara: p0, toPara: p1 },
      includedParablocks: p1 - p0,
      parablocksPerRelayBlock: (p1 - p0) / (r1 - r0),
      stages,
      counts: {
        advertised: traces.filter((t) => within(t.advertised)).length,
        seconded: traces.filter((t) => within(t.seconded)).length,
        backed: traces.filter((t) => within(t.backed)).length,
        onChain: inWindow.reduce((a, r) => a + r.backed.length, 0),
        timedOut: inWindow.reduce((a, r) => a + r.timedOut.length, 0),
        forkedAuthoredBlocks: forked,
        refusals: since(obs.refusals, refusals0),
        collatorSkipped: since(c.skipped, skipped0),
      },
      validatorStats: diffStats(stats0, stats1),
      candidates: rows,
    };
  } finally {
    await close();
    live.delete(close);
  }
}

async function candidateRow(
  tr: CandidateTrace,
  on: AuthoredRecord,
  inc: AuthoredRecord,
  c: TestCollator,
): Promise<CandidateRow> {
  const d = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? b - a : undefined);
  const rp = tr.relayParent ? await c.node.chain.blockInfo(fromHex(tr.relayParent)) : undefined;
  // The seconder's execution (the one on the critical path to backing).
  const pvf = tr.pvf.find((p) => p.validator === tr.secondedBy) ?? tr.pvf[0];
  return {
    candidate: tr.hash,
    relayParentNumber: rp?.number,
    onChainNumber: on.number,
    includedNumber: inc.number,
    secondedBy: tr.secondedBy,
    backedAt: tr.backedAt,
    stages: {
      advertiseToFetched: d(tr.advertised, tr.fetched),
      pvfExecution: pvf?.workerMs,
      fetchedToSeconded: d(tr.fetched, tr.seconded),
      secondedToBacked: d(tr.seconded, tr.backed),
      backedToOnChain: d(tr.backed, on.t),
      onChainToIncluded: on.t <= inc.t ? inc.t - on.t : undefined,
      advertiseToIncluded: d(tr.advertised, inc.t),
      relayParentToOnChain: rp ? on.number - rp.number : undefined,
      relayParentToIncluded: rp ? inc.number - rp.number : undefined,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Output

const slotLabel = (ms: number) => `${ms % 1000 === 0 ? ms / 1000 : (ms / 1000).toFixed(2)}s`;

function fmt(x: number | undefined, unit: string): string {
  if (x === undefined) return "n/a";
  if (unit === "blocks") return x.toFixed(1);
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

function printTable(slotMs: number, results: ModeResult[]): void {
  const w = [40, 10, 8, 4];
  const head = results.map((r) => `${r.mode.padStart(w[1]!)} ${"p95".padStart(w[2]!)} ${"n".padStart(w[3]!)}`);
  console.log("");
  console.log(
    `${slotLabel(slotMs)} slots (${slotMs} ms), 4 validators + test collator on loopback; per included candidate, median and p95`,
  );
  console.log(`${"stage".padEnd(w[0]!)} ${head.join(" │ ")}`);
  for (const [key, label, unit] of STAGES) {
    const cells = results.map((r) => {
      const s = r.stages[key];
      return `${fmt(s.median, unit).padStart(w[1]!)} ${fmt(s.p95, unit).padStart(w[2]!)} ${String(s.n).padStart(w[3]!)}`;
    });
    console.log(`${`${label} (${unit})`.padEnd(w[0]!)} ${cells.join(" │ ")}`);
  }
  const rate = results.map(
    (r) => `${r.parablocksPerRelayBlock.toFixed(2).padStart(w[1]!)} ${"".padStart(w[2]!)} ${"".padStart(w[3]!)}`,
  );
  console.log(`${"included parablocks / relay block".padEnd(w[0]!)} ${rate.join(" │ ")}`);
  for (const r of results) {
    const k = r.counts;
    console.log(
      `  ${r.mode}: ${r.includedParablocks} parablocks included in ${r.window.relayBlocks} relay blocks (#${r.window.fromRelay + 1}..#${r.window.toRelay}); ` +
        `in the window: advertised ${k.advertised}, seconded ${k.seconded}, backed ${k.backed}, put on chain ${k.onChain}, timed out ${k.timedOut}` +
        `${k.forkedAuthoredBlocks ? `, ${k.forkedAuthoredBlocks} authored block${k.forkedAuthoredBlocks > 1 ? "s" : ""} off the canonical chain` : ""}` +
        `${Object.keys(k.refusals).length ? `; refusals ${JSON.stringify(k.refusals)}` : ""}` +
        `${Object.keys(k.collatorSkipped).length ? `; collator skipped ${JSON.stringify(k.collatorSkipped)}` : ""}`,
    );
  }
}

async function main(): Promise<void> {
  await cryptoReady();
  root = await mkdtemp(join(tmpdir(), "parapipe-bench-relay-"));
  // The test collator makes its own temp dir with os.tmpdir(): point it into `root`, removed on every exit.
  process.env["TMPDIR"] = root;
  console.log(
    `bench/relay: slots ${SLOTS.join(", ")} ms; relay blocks measured ${SLOTS.map((s) => `${blocksFor(s)} at ${slotLabel(s)}`).join(", ")}${QUICK ? " (--quick)" : ""}; ${cpus().length} CPUs, node ${process.version}`,
  );
  const perSlot: Array<{ slotMs: number; async: ModeResult; sync: ModeResult; ratio: number }> = [];
  for (const slotMs of SLOTS) {
    const blocks = blocksFor(slotMs);
    console.log(`\n${slotLabel(slotMs)} slots:`);
    const res: Partial<Record<Mode, ModeResult>> = {};
    for (const mode of MODES) res[mode] = await runMode(slotMs, mode, blocks);
    const a = res.async!;
    const s = res.sync!;
    printTable(slotMs, [a, s]);
    perSlot.push({ slotMs, async: a, sync: s, ratio: a.parablocksPerRelayBlock / s.parablocksPerRelayBlock });
  }
  console.log("");
  for (const p of perSlot) {
    console.log(
      `${slotLabel(p.slotMs)} slots: async ${p.async.parablocksPerRelayBlock.toFixed(2)} / sync ${p.sync.parablocksPerRelayBlock.toFixed(2)} parablocks per relay block, ratio ${Number.isFinite(p.ratio) ? p.ratio.toFixed(2) : "n/a (no sync inclusion)"}`,
    );
  }
  const date = new Date().toISOString().replace(/:/g, "-").replace(/\..*$/, "");
  const outDir = fileURLToPath(new URL("../../results/", import.meta.url));
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, `relay-${date}.json`);
  await writeFile(
    file,
    `${JSON.stringify(
      {
        bench: "relay",
        date: new Date().toISOString(),
        host: { cpus: cpus().length, node: process.version },
        options: { quick: QUICK, slots: SLOTS, blocks: SLOTS.map(blocksFor), validators: VALIDATORS.length },
        results: perSlot,
      },
      // Sub-millisecond digits are noise here.
      (_k, v) => (typeof v === "number" && !Number.isInteger(v) ? Math.round(v * 100) / 100 : v),
      2,
    )}\n`,
  );
  console.log(`figures written to ${file}`);
}

main()
  .then(async () => {
    await cleanup();
    process.exit(0);
  })
  .catch(async (e) => {
    if (stopping) return;
    console.error(e);
    await shutdown(1);
  });
