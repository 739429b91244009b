/**
 * Section 6 of `npm run bench`: scale. 4, 8 and 12 relay validators with 1, 2 and 3 paras (two collators each)
 * on one machine, every node its own `parapipe` process: parablocks included per relay block per para, and CPU
 * and RSS per node. Plus the issue's target case: 4 validators + 2 collators, 1 para, async backing, 500 ms
 * relay slots, which must keep >= 0.95 parablocks per relay block; and every node of every run under 150 MB RSS.
 *
 * How each combination is measured:
 *
 * 1. Start the network (`scaleNet.ts`: one relay spec with every para registered at genesis, one core and
 *    backing group per para) and wait until every node serves RPC.
 * 2. Warm-up: wait until every para has included `WARMUP_PARABLOCKS` parablocks (`Paras.Heads` at the first
 *    validator's best block), then `SETTLE_BLOCKS` more relay blocks (and at least `SETTLE_MS`): the first
 *    inclusions come while the pipeline fills and the connections and gossip meshes settle (a 500 ms network
 *    included irregularly for about ten relay blocks after its third inclusion, then one parablock per relay
 *    block), and a fixed count keeps the window's start independent of the inclusions it measures.
 * 3. The window: from relay block B0 (the best block when the warm-up ends) until the best block reaches
 *    B0 + W. Across it: each process's utime + stime from `/proc/<pid>/stat` (every thread, PVF workers
 *    included), as % of one core over the window's wall time; VmRSS (and its anonymous / file-backed parts)
 *    from `/proc/<pid>/status` once a second (mean and peak); the validators' Prometheus candidate pipeline
 *    (`parapipe_candidate_stage_seconds{stage}`, `parapipe_candidates_total{stage}`) and the collators'
 *    `parapipe_collator_candidates_*_total`, as deltas.
 * 4. Afterwards, along the first validator's canonical chain from B0 to the window's last block, `Paras.Heads`
 *    of every para at every relay block (RPC `state_getStorage`): one sample per relay block and para, the
 *    parablocks included in that block (the head's number minus the parent's). Their mean is parablocks per
 *    relay block; the noise is 1.96 standard errors of those samples (`meanFigure`). Slots the relay chain
 *    missed are not in the denominator (they show as the relay fill: relay blocks per elapsed slot).
 *
 * The grid's relay slot, `GRID_SLOT_MS` = 2000 ms: the largest grid point is 12 validators + 6 collators, 18
 * processes (each collator also runs a relay node, so 18 relay nodes and 3 para networks) on two cores. At
 * 2000 ms a validator took 6-8 % of a core and a collator 4.5-5.5 % in development runs (4 to 12 validators,
 * 1 to 3 paras), so the largest point needs about 110 % of one core, 55 % of the machine; per-slot work scales
 * with the slot rate (the 500 ms case: 15 % per validator, 11 % per collator), so at 1000 ms it would need
 * more than both cores and the relay chain would miss slots, measuring the machine and not the pipeline; at
 * 1500 ms it would leave too little headroom for the PVF bursts and the benchmark itself. 2000 ms keeps the
 * largest point within the 2-core machine the issue names and is still a third of a real 6 s slot. The 500 ms
 * case is the issue's own target and runs at 500 ms.
 *
 * Where a target is missed, the note names the step that holds it back, from what the run measured: the worst
 * para's funnel over the window (relay blocks → built → advertised → seconded → included, its collators'
 * counters) names the step that lost the most parablocks, with the validators' stage latencies (fetch,
 * validation, backing, inclusion), their refusals by reason (their `Candidate refused` log lines), the relay
 * chain's fill and the CPU (our nodes' share of the cores and the whole machine's, from `/proc/stat`, since a
 * machine shared with other work shows up as a pipeline that waits for a core). The RSS note splits the worst
 * node's peak into anonymous and file-backed memory and sets it against the RSS of a bare process that only
 * loads parapipe's code (`codeBaseline`).
 */
import { readFileSync, rmSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { ProcessRegistry, waitUntil } from "@parapipe/harness";
import {
  type Figure,
  fmt,
  markdownTable,
  maxFigure,
  mean,
  meanFigure,
  type Section,
  type SectionContext,
  type SectionResult,
  type TargetCheck,
  valueFigure,
} from "./figures.js";
import {
  bestOf,
  type CodeBaseline,
  codeBaseline,
  cpuSecondsOf,
  includedAt,
  machineCpuSeconds,
  memoryOf,
  metricSum,
  type ScaleNetwork,
  type ScaleNode,
  scrape,
  startScaleNetwork,
} from "./scaleNet.js";

/** The relay slot of the scale grid (see the module comment for why). */
export const GRID_SLOT_MS = 2000;
/** The relay slot of the issue's target case. */
export const TARGET_SLOT_MS = 500;
/** Parablocks every para must have included before the window opens. */
const WARMUP_PARABLOCKS = 3;
/** Relay blocks (at least) and time (at least) the warm-up goes on after that, before the window opens. */
const SETTLE_BLOCKS = 4;
const SETTLE_MS = 10_000;
/** The target: parablocks per relay block, 4 validators + 2 collators at 500 ms. */
const TARGET_PARABLOCKS = 0.95;
/** The target: RSS per node, MB. */
const TARGET_RSS_MB = 150;
const COLLATORS_PER_PARA = 2;
const STAGES = ["fetch", "validation", "backing", "inclusion"] as const;
const CANDIDATE_STAGES = ["advertised", "fetched", "seconded", "backed", "included", "timed_out", "invalid"] as const;
const COLLATOR_STAGES = ["built", "advertised", "seconded", "included", "dropped"] as const;

/** One network the section runs. */
export interface Combo {
  validators: number;
  paras: number;
  relaySlotMs: number;
  /** Relay blocks in the measured window. */
  windowBlocks: number;
  /** Figure key prefix: `scale.4v1p` or `scale.500ms`. */
  key: string;
}

/** One node's CPU and memory over the window. */
interface NodeUsage {
  name: string;
  kind: "validator" | "collator";
  paraId?: number;
  /** utime + stime over the window, % of one core. */
  cpuPct: number | null;
  rssMeanMb: number | null;
  rssPeakMb: number | null;
  /** At the RSS peak: the anonymous (heap, stacks) and file-backed (code, mapped files) parts. */
  rssAnonAtPeakMb: number | null;
  rssFileAtPeakMb: number | null;
  /** Whether the process ran through the whole window. */
  aliveThroughout: boolean;
}

/** A para's inclusions along the window. */
interface ParaInclusion {
  paraId: number;
  /** Parablocks included per relay block of the window, one sample per relay block. */
  samples: number[];
  includedAtStart: number | null;
  includedAtEnd: number | null;
  /** The para's two collators' counters over the window (summed). */
  collators: Record<(typeof COLLATOR_STAGES)[number], number>;
}

/** What one combination measured. */
interface ComboResult {
  validators: number;
  paras: number;
  collators: number;
  relaySlotMs: number;
  key: string;
  /** Why the combination could not be measured (its figures are then `null`). */
  error?: string;
  /** Warm-up that did not complete (the window was measured anyway). */
  warmupNote?: string;
  seconds: { start: number; warmup: number; window: number; total: number };
  window?: {
    fromRelay: number;
    toRelay: number;
    relayBlocks: number;
    /** Relay blocks per slot elapsed over the window's wall time. */
    relayFill: number;
  };
  paraInclusion: ParaInclusion[];
  nodes: NodeUsage[];
  /** Mean stage latency over the window at the validators (ms), with the number of observations. */
  stages: Record<(typeof STAGES)[number], { n: number; meanMs: number | null }>;
  /** The validators' candidate counters over the window (summed over validators). */
  candidates: Record<(typeof CANDIDATE_STAGES)[number], number>;
  /** All nodes' CPU over the window as a share of the machine's cores (%). */
  machineCpuPct: number | null;
  /** The whole machine's busy CPU over the window (ours and any other process), % of all cores (`/proc/stat`). */
  machineBusyPct: number | null;
  /** The validators' "Candidate refused" log lines in the window, by reason (summed over validators). */
  refusals: Record<string, number>;
  /** What went wrong with nodes during the run (an exit, an endpoint that did not answer). */
  problems: string[];
}

const comboKey = (v: number, p: number) => `scale.${v}v${p}p`;

/** The combinations of a run: the grid (all nine, or three in quick mode), then the 500 ms target case. */
export function scaleCombos(quick: boolean): Combo[] {
  const grid: Array<[number, number]> = quick
    ? [
        [4, 1],
        [8, 2],
        [12, 3],
      ]
    : [4, 8, 12].flatMap((v) => [1, 2, 3].map((p): [number, number] => [v, p]));
  const windowBlocks = quick ? 12 : 15;
  return [
    ...grid.map(([v, p]) => ({
      validators: v,
      paras: p,
      relaySlotMs: GRID_SLOT_MS,
      windowBlocks,
      key: comboKey(v, p),
    })),
    { validators: 4, paras: 1, relaySlotMs: TARGET_SLOT_MS, windowBlocks: quick ? 60 : 100, key: "scale.500ms" },
  ];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const emptyRecord = <K extends string>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

/** Runs one combination: start, warm up, measure the window, read the chain, stop. */
async function runCombo(ctx: SectionContext, c: Combo, registry: ProcessRegistry): Promise<ComboResult> {
  const t0 = performance.now();
  const dir = join(ctx.tmpDir, `${c.validators}v${c.paras}p-${c.relaySlotMs}ms`);
  const result: ComboResult = {
    validators: c.validators,
    paras: c.paras,
    collators: c.paras * COLLATORS_PER_PARA,
    relaySlotMs: c.relaySlotMs,
    key: c.key,
    seconds: { start: 0, warmup: 0, window: 0, total: 0 },
    paraInclusion: [],
    nodes: [],
    stages: Object.fromEntries(STAGES.map((s) => [s, { n: 0, meanMs: null }])) as ComboResult["stages"],
    candidates: emptyRecord(CANDIDATE_STAGES),
    machineCpuPct: null,
    machineBusyPct: null,
    refusals: {},
    problems: [],
  };
  let net: ScaleNetwork | undefined;
  try {
    net = await startScaleNetwork(
      {
        validators: c.validators,
        paras: c.paras,
        collatorsPerPara: COLLATORS_PER_PARA,
        relaySlotMs: c.relaySlotMs,
        mode: "async",
        dir,
        logLevel: "info",
        startTimeoutMs: 120_000,
      },
      registry,
    );
    const tStarted = performance.now();
    result.seconds.start = (tStarted - t0) / 1000;
    ctx.log(
      `scale ${c.key}: ${net.nodes().length} processes serving RPC after ${fmt(result.seconds.start, 1)} s; warming up`,
    );
    await measure(ctx, c, net, result);
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
    ctx.log(`scale ${c.key}: failed: ${result.error.split("\n")[0]}`);
  } finally {
    if (net) {
      for (const n of net.nodes())
        if (n.exit && n.exit.signal === null && n.exit.code !== 0)
          result.problems.push(`${n.name} exited ${JSON.stringify(n.exit)}`);
      await net.close();
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    result.seconds.total = (performance.now() - t0) / 1000;
  }
  return result;
}

/** Warm-up, window and chain reads of a running network (fills `result`). */
async function measure(ctx: SectionContext, c: Combo, net: ScaleNetwork, result: ComboResult): Promise<void> {
  const tWarm = performance.now();
  const reader = net.validators[0]!;
  const slot = c.relaySlotMs;
  // The first inclusion needs the network to connect and a few relay blocks; then one parablock per block.
  const warmTimeout = Math.max(90_000, (WARMUP_PARABLOCKS + 40) * slot);
  try {
    await waitUntil(
      `every para included #${WARMUP_PARABLOCKS}`,
      async () => {
        const best = await bestOf(reader.rpc);
        const heads = await Promise.all(net.paraIds.map((id) => includedAt(reader.rpc, id, best.hash)));
        const observed = `relay #${best.number}, included ${net.paraIds.map((id, i) => `${id}: #${heads[i] ?? "none"}`).join(", ")}`;
        return { done: heads.every((h) => (h ?? 0) >= WARMUP_PARABLOCKS), observed, value: undefined };
      },
      { timeoutMs: warmTimeout, intervalMs: Math.min(500, slot) },
    );
  } catch (e) {
    // Measure anyway: a para that never includes is a figure too (0 per relay block), with this note.
    result.warmupNote = e instanceof Error ? e.message : String(e);
    ctx.log(`scale ${c.key}: warm-up incomplete: ${result.warmupNote}`);
  }
  // Then a few more relay blocks (at least SETTLE_BLOCKS, at least SETTLE_MS): the first inclusions come while
  // the pipeline fills (segment, availability) and the last connections settle, and the window should not see
  // that ramp. A fixed count, not a condition on the inclusions, so the window's start is not picked by them.
  const settle = Math.max(SETTLE_BLOCKS, Math.ceil(SETTLE_MS / slot));
  try {
    const at = (await bestOf(reader.rpc)).number;
    await waitUntil(
      `relay #${at + settle}`,
      async () => {
        const b = await bestOf(reader.rpc);
        return { done: b.number >= at + settle, observed: `relay #${b.number}`, value: undefined };
      },
      { timeoutMs: settle * slot * 3 + 10_000, intervalMs: Math.min(250, slot / 2) },
    );
  } catch (e) {
    result.warmupNote = `${result.warmupNote ? `${result.warmupNote}; ` : ""}${e instanceof Error ? e.message : String(e)}`;
  }
  const tWindow = performance.now();
  result.seconds.warmup = (tWindow - tWarm) / 1000;

  // Window start: CPU times, metrics, the relay block.
  const nodes = net.nodes();
  const pids = new Map(nodes.map((n) => [n, n.pid]));
  const cpu0 = new Map(nodes.map((n) => [n, pidCpu(pids.get(n))]));
  const machine0 = machineCpuSeconds();
  const metrics0 = await Promise.all(nodes.map(scrape));
  const from = await bestOf(reader.rpc);
  const wall0 = performance.now();
  const epoch0 = Date.now();
  const rss = new Map<ScaleNode, Array<{ rss: number; anon: number; file: number }>>(nodes.map((n) => [n, []]));
  const sampleRss = () => {
    for (const n of nodes) {
      const pid = pids.get(n);
      const m = pid === undefined ? undefined : memoryOf(pid);
      if (m) rss.get(n)!.push(m);
    }
  };
  sampleRss();
  const sampler = setInterval(sampleRss, 1000);
  let to = from;
  try {
    const target = from.number + c.windowBlocks;
    // A relay chain that stalls ends the window at the timeout: what was included until then is the figure.
    const deadline = performance.now() + c.windowBlocks * slot * 3 + 30_000;
    while (performance.now() < deadline) {
      try {
        to = await bestOf(reader.rpc);
      } catch {
        // the reader is loaded; try again
      }
      if (to.number >= target) break;
      await sleep(Math.min(250, slot / 2));
    }
  } finally {
    clearInterval(sampler);
  }
  sampleRss();
  const wall1 = performance.now();
  const cpu1 = new Map(nodes.map((n) => [n, pidCpu(pids.get(n))]));
  const machine1 = machineCpuSeconds();
  const metrics1 = await Promise.all(nodes.map(scrape));
  result.seconds.window = (wall1 - wall0) / 1000;
  const windowSec = (wall1 - wall0) / 1000;

  // Per node: CPU share and memory.
  let machineCpu = 0;
  for (const n of nodes) {
    const a = cpu0.get(n);
    const b = cpu1.get(n);
    const cpuPct = a !== undefined && b !== undefined ? ((b - a) / windowSec) * 100 : null;
    if (cpuPct !== null) machineCpu += cpuPct;
    const samples = rss.get(n)!;
    const peak = samples.reduce<(typeof samples)[number] | undefined>(
      (p, s) => (p && p.rss >= s.rss ? p : s),
      undefined,
    );
    result.nodes.push({
      name: n.name,
      kind: n.kind,
      ...(n.paraId === undefined ? {} : { paraId: n.paraId }),
      cpuPct,
      rssMeanMb: mean(samples.map((s) => s.rss)) ?? null,
      rssPeakMb: peak?.rss ?? null,
      rssAnonAtPeakMb: peak?.anon ?? null,
      rssFileAtPeakMb: peak?.file ?? null,
      aliveThroughout: n.alive && n.pid === pids.get(n),
    });
  }
  result.machineCpuPct = machineCpu / cpus().length;
  if (machine0 && machine1 && machine1.total > machine0.total)
    result.machineBusyPct = ((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * 100;

  // The validators' pipeline over the window.
  // A node whose endpoint did not answer at either end of the window counts 0 (not its lifetime's counters).
  const scraped = (i: number) => metrics0[i]!.length > 0 && metrics1[i]!.length > 0;
  const delta = (i: number, name: string, labels: Record<string, string> = {}) =>
    scraped(i) ? metricSum(metrics1[i]!, name, labels) - metricSum(metrics0[i]!, name, labels) : 0;
  const unscraped = nodes.filter((_, i) => !scraped(i)).map((n) => n.name);
  if (unscraped.length) result.problems.push(`Prometheus not read at both ends of the window: ${unscraped.join(", ")}`);
  const validatorIdx = nodes.map((n, i) => (n.kind === "validator" ? i : -1)).filter((i) => i >= 0);
  for (const s of STAGES) {
    let sum = 0;
    let count = 0;
    for (const i of validatorIdx) {
      sum += delta(i, "parapipe_candidate_stage_seconds_sum", { stage: s });
      count += delta(i, "parapipe_candidate_stage_seconds_count", { stage: s });
    }
    result.stages[s] = { n: count, meanMs: count > 0 ? (sum / count) * 1000 : null };
  }
  for (const s of CANDIDATE_STAGES)
    for (const i of validatorIdx) result.candidates[s] += delta(i, "parapipe_candidates_total", { stage: s });

  result.refusals = refusalsIn(net.validators, epoch0, Date.now());

  // Inclusions along the canonical chain from B0 to the window's end.
  const hashes: string[] = [];
  for (let n = from.number; n <= to.number; n++) {
    const h = await reader.rpc.call<string | null>("chain_getBlockHash", [n]);
    if (h === null) break;
    hashes.push(h);
  }
  result.window = {
    fromRelay: from.number,
    toRelay: from.number + hashes.length - 1,
    relayBlocks: hashes.length - 1,
    relayFill: (hashes.length - 1) / (windowSec / (slot / 1000)),
  };
  for (const paraId of net.paraIds) {
    const heads: Array<number | undefined> = [];
    for (const h of hashes) heads.push(await includedAt(reader.rpc, paraId, h));
    const samples: number[] = [];
    for (let i = 1; i < heads.length; i++) samples.push((heads[i] ?? 0) - (heads[i - 1] ?? 0));
    const collators = emptyRecord(COLLATOR_STAGES);
    nodes.forEach((n, i) => {
      if (n.kind !== "collator" || n.paraId !== paraId) return;
      for (const s of COLLATOR_STAGES) collators[s] += delta(i, `parapipe_collator_candidates_${s}_total`);
    });
    result.paraInclusion.push({
      paraId,
      samples,
      includedAtStart: heads[0] ?? null,
      includedAtEnd: heads[heads.length - 1] ?? null,
      collators,
    });
  }
  const per = result.paraInclusion.map((p) => `${p.paraId}: ${fmt(mean(p.samples) ?? null)}`).join(", ");
  ctx.log(
    `scale ${c.key}: ${result.window.relayBlocks} relay blocks in ${fmt(windowSec, 1)} s; parablocks per relay block ${per}; our nodes ${fmt(result.machineCpuPct, 0)} % of the cores, the machine ${fmt(result.machineBusyPct, 0)} % busy`,
  );
}

/** The validators' `Candidate refused` log lines between `from` and `to` (epoch ms), counted by `why`. */
function refusalsIn(validators: readonly ScaleNode[], from: number, to: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of validators) {
    let text: string;
    try {
      text = readFileSync(v.logFile, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n")) {
      if (!line.includes('"Candidate refused"')) continue;
      try {
        const j = JSON.parse(line) as { time?: number; why?: string };
        if (j.time === undefined || j.time < from || j.time > to) continue;
        const why = j.why ?? "unknown";
        out[why] = (out[why] ?? 0) + 1;
      } catch {
        // a line cut by the process's exit
      }
    }
  }
  return out;
}

function pidCpu(pid: number | undefined): number | undefined {
  return pid === undefined ? undefined : cpuSecondsOf(pid);
}

// ---------------------------------------------------------------------------------------------------------------
// Figures, targets, the table

const ofKind = (r: ComboResult, kind: NodeUsage["kind"]) => r.nodes.filter((n) => n.kind === kind);
const nums = (xs: Array<number | null>) => xs.filter((x): x is number => x !== null);

/** Parablocks per relay block: the worst para's mean (with its noise) and the mean over every para's samples. */
function inclusionFigures(r: ComboResult, key: string, label: string): { min: Figure; mean: Figure } {
  const perPara = r.paraInclusion.map((p) => ({
    p,
    f: meanFigure({ key: "", label: "", unit: "", better: "higher" }, p.samples),
  }));
  const worst = perPara.reduce<(typeof perPara)[number] | undefined>(
    (w, x) => (w === undefined || (x.f.value ?? 0) < (w.f.value ?? 0) ? x : w),
    undefined,
  );
  return {
    min: {
      ...(worst?.f ?? valueFigure({ key: "", label: "", unit: "", better: "higher" }, null)),
      key: `${key}.min`,
      label: `${label}: the worst para`,
      unit: "parablocks/relay block",
      better: "higher",
    },
    mean: meanFigure(
      { key: `${key}.mean`, label: `${label}: mean over paras`, unit: "parablocks/relay block", better: "higher" },
      r.paraInclusion.flatMap((p) => p.samples),
    ),
  };
}

function comboFigures(r: ComboResult): Figure[] {
  const what = `${r.validators} validators, ${r.paras} para${r.paras > 1 ? "s" : ""}, ${r.relaySlotMs} ms`;
  const inc = inclusionFigures(r, `${r.key}.parablocksPerRelayBlock`, `Parablocks per relay block per para (${what})`);
  const figures: Figure[] = [inc.min, inc.mean];
  if (r.key === "scale.500ms")
    figures.push({
      ...inc.mean,
      key: "scale.500ms.parablocksPerRelayBlock",
      label: "Parablocks per relay block, 4 validators + 2 collators at 500 ms (target >= 0.95)",
    });
  for (const kind of ["validator", "collator"] as const) {
    const nodes = ofKind(r, kind);
    const Kind = kind === "validator" ? "Validator" : "Collator";
    figures.push(
      meanFigure(
        { key: `${r.key}.cpuPer${Kind}`, label: `CPU per ${kind} (${what})`, unit: "% of a core", better: "lower" },
        nums(nodes.map((n) => n.cpuPct)),
      ),
      maxFigure(
        { key: `${r.key}.rssPeak${Kind}MB`, label: `Peak RSS of a ${kind} (${what})`, unit: "MB", better: "lower" },
        nums(nodes.map((n) => n.rssPeakMb)),
      ),
    );
  }
  figures.push(
    maxFigure(
      { key: `${r.key}.rssPeakMB`, label: `Peak RSS of any node (${what})`, unit: "MB", better: "lower" },
      nums(r.nodes.map((n) => n.rssPeakMb)),
    ),
  );
  return figures;
}

/**
 * Why a combination's inclusion rate is below the target, from what it measured: the worst para's funnel over
 * the window (relay blocks → built → advertised → seconded → included, from its collators' counters) names the
 * step that loses the most parablocks; the validators' stage latencies, refusals and the CPU go with it.
 */
function holdsBackInclusion(r: ComboResult): string {
  if (r.error) return `the network did not run: ${r.error.split("\n")[0]}`;
  const w = r.window;
  const relayBlocks = w?.relayBlocks ?? 0;
  const slot = r.relaySlotMs;
  const ms = (s: (typeof STAGES)[number]) =>
    `${fmt(r.stages[s].meanMs, 0)} ms = ${fmt((r.stages[s].meanMs ?? 0) / slot, 2)} slots (n=${r.stages[s].n})`;
  const stages = STAGES.map((s) => `${s} ${ms(s)}`).join(", ");
  const refusals = Object.entries(r.refusals)
    .map(([why, n]) => `${why} ×${n}`)
    .join(", ");
  const p = r.paraInclusion.reduce<ParaInclusion | undefined>(
    (a, x) => (a === undefined || (mean(x.samples) ?? 0) < (mean(a.samples) ?? 0) ? x : a),
    undefined,
  );
  const col = p?.collators ?? emptyRecord(COLLATOR_STAGES);
  const funnel = [
    {
      step: "collation",
      lost: relayBlocks - col.built,
      what: `the collators built ${col.built} parablocks for ${relayBlocks} relay blocks`,
      move:
        "a collator that builds on every relay block: it builds when its embedded relay node imports a new best block, " +
        `within a third of the slot (${fmt(slot / 3, 0)} ms), and skips the block when that import comes late or the unincluded segment is full`,
    },
    {
      step: "advertisement",
      lost: col.built - col.advertised,
      what: `${col.built - col.advertised} built parablocks were never advertised (${col.dropped} dropped from the segment)`,
      move: "building sooner after the relay block's import, so the relay parent is still in scope when the collation is advertised",
    },
    {
      step: "backing",
      lost: col.advertised - col.seconded,
      what: `${col.advertised - col.seconded} advertised collations were not seconded (fetch ${ms("fetch")}, validation ${ms("validation")}; refusals: ${refusals || "none"})`,
      move: "a candidate fetched and validated well inside its relay parent's scope: a warm PVF worker (the runtime instantiated once) and the fetch sent to the backing group at once",
    },
    {
      step: "inclusion",
      lost: col.seconded - col.included,
      what: `${col.seconded - col.included} seconded candidates were not included (backing ${ms("backing")}, backed → included ${ms("inclusion")}, ${r.candidates.timed_out} timed out)`,
      move: "availability sooner: bitfields signed sooner after import (now a third of a slot), so the block after the backing one includes the candidate",
    },
  ];
  const worst = funnel.reduce((a, x) => (x.lost > a.lost ? x : a));
  const facts =
    `over ${relayBlocks} relay blocks (relay fill ${fmt((w?.relayFill ?? 0) * 100, 0)} % of slots), para ${p?.paraId}: ` +
    `built ${col.built}, advertised ${col.advertised}, seconded ${col.seconded}, included ${col.included}, dropped ${col.dropped}; ` +
    `validators' stage means: ${stages}; refusals at the validators: ${refusals || "none"}; ` +
    `our nodes ${fmt(r.machineCpuPct, 0)} % of ${cpus().length} cores, the whole machine ${fmt(r.machineBusyPct, 0)} % busy.`;
  let move = worst.move;
  if ((r.machineBusyPct ?? r.machineCpuPct ?? 0) > 85)
    move = `a core free when a node needs it: the machine was ${fmt(r.machineBusyPct, 0)} % busy (our ${r.validators + r.collators} processes ${fmt(r.machineCpuPct, 0)} % of the ${cpus().length} cores, the rest other processes), so every stage waits for a core (a quiet machine, fewer nodes per core, or a longer slot); then ${move}`;
  return `${worst.step}: ${worst.what}. Measured ${facts} What would move it: ${move}.`;
}

function targets(results: ComboResult[], baseline: CodeBaseline | undefined): TargetCheck[] {
  const out: TargetCheck[] = [];
  const t = results.find((r) => r.key === "scale.500ms");
  if (t) {
    const f = inclusionFigures(t, "x", "x").mean;
    const pass = f.value !== null && f.value >= TARGET_PARABLOCKS;
    out.push({
      target: "4 validators + 2 collators keep >= 0.95 parablocks per relay block at 500 ms relay slots",
      measured: t.error
        ? `not measured: ${t.error.split("\n")[0]}`
        : `${fmt(f.value)} ± ${fmt(f.noise)} parablocks per relay block over ${f.n} relay blocks (relay fill ${fmt((t.window?.relayFill ?? 0) * 100, 0)} %)`,
      pass,
      ...(pass ? {} : { holdsBack: holdsBackInclusion(t) }),
    });
  }
  const all = results.flatMap((r) => r.nodes.map((n) => ({ r, n })));
  const worst = all.reduce<(typeof all)[number] | undefined>(
    (w, x) => (w === undefined || (x.n.rssPeakMb ?? 0) > (w.n.rssPeakMb ?? 0) ? x : w),
    undefined,
  );
  if (worst && worst.n.rssPeakMb !== null) {
    const byKind = (kind: NodeUsage["kind"]) =>
      Math.max(0, ...nums(all.filter((x) => x.n.kind === kind).map((x) => x.n.rssPeakMb)));
    const worstKind = worst.n.kind;
    const pass = worst.n.rssPeakMb < TARGET_RSS_MB;
    const where = `${worst.n.name} (${worstKind}) with ${worst.r.validators} validators, ${worst.r.paras} paras at ${worst.r.relaySlotMs} ms`;
    out.push({
      target: "RSS per node under 150 MB",
      measured: `peak ${fmt(worst.n.rssPeakMb, 1)} MB: ${where}; the worst kind is the ${worstKind} (peak validator ${fmt(byKind("validator"), 1)} MB, peak collator ${fmt(byKind("collator"), 1)} MB)`,
      pass,
      ...(pass
        ? {}
        : {
            holdsBack:
              `the ${worstKind}'s memory: at its peak ${fmt(worst.n.rssAnonAtPeakMb, 1)} MB anonymous (JS heaps, WASM memory, ` +
              `buffers, thread stacks) and ${fmt(worst.n.rssFileAtPeakMb, 1)} MB file-backed (node's code, mapped libraries). ` +
              (baseline
                ? `Loading parapipe's code alone costs ${fmt(baseline.rssMb, 1)} MB (a bare node process importing the packages, the WASM crypto ready: ${fmt(baseline.anonMb, 1)} MB anonymous, V8 heap ${fmt(baseline.heapUsedMb, 1)} MB used), so the node grows ${fmt(worst.n.rssPeakMb - baseline.rssMb, 1)} MB above that floor at run time. `
                : "") +
              (worstKind === "collator"
                ? "A collator is two nodes in one process (the para node and its embedded relay node, each with a LevelDB, a libp2p host and a trie cache). "
                : "A validator adds a PVF worker thread (its own V8 isolate with the runtime and the crypto loaded again), the availability store and a connection per peer. ") +
              "What would move it: a smaller code floor (load @polkadot/types registries and the WASM crypto once, lazily), " +
              "the PVF worker's isolate capped (`resourceLimits`) or shared, and smaller LevelDB and trie caches.",
          }),
    });
  }
  return out;
}

function table(results: ComboResult[]): string[] {
  const rows = results.map((r) => {
    const inc = inclusionFigures(r, "x", "x");
    const perNode = (kind: NodeUsage["kind"]) => {
      const ns = ofKind(r, kind);
      return {
        cpu: mean(nums(ns.map((n) => n.cpuPct))),
        rss: nums(ns.map((n) => n.rssPeakMb)).reduce<number | undefined>((a, x) => Math.max(a ?? x, x), undefined),
      };
    };
    const v = perNode("validator");
    const col = perNode("collator");
    return [
      String(r.validators),
      String(r.paras),
      String(r.collators),
      String(r.relaySlotMs),
      r.error ? "failed" : `${fmt(inc.min.value)} / ${fmt(inc.mean.value)}`,
      r.window ? `${r.window.relayBlocks} (${fmt(r.window.relayFill * 100, 0)} %)` : "n/a",
      fmt(v.cpu, 1),
      fmt(col.cpu, 1),
      fmt(v.rss, 1),
      fmt(col.rss, 1),
      `${fmt(r.machineCpuPct, 0)} / ${fmt(r.machineBusyPct, 0)}`,
    ];
  });
  return markdownTable(
    [
      "validators",
      "paras",
      "collators",
      "relay slot (ms)",
      "parablocks / relay block per para (worst / mean)",
      "relay blocks (fill)",
      "CPU % per validator",
      "CPU % per collator",
      "RSS MB per validator (peak)",
      "RSS MB per collator (peak)",
      "CPU % of the cores: our nodes / whole machine",
    ],
    rows,
  );
}

function notes(results: ComboResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    if (r.error) out.push(`- ${r.key}: not measured: ${r.error.split("\n")[0]}`);
    if (r.warmupNote) out.push(`- ${r.key}: warm-up incomplete (${r.warmupNote.split("\n")[0]}); measured anyway`);
    for (const e of r.problems) out.push(`- ${r.key}: ${e}`);
    const inc = inclusionFigures(r, "x", "x");
    if (!r.error && inc.min.value !== null && inc.min.value < TARGET_PARABLOCKS)
      out.push(`- ${r.key} below ${TARGET_PARABLOCKS}: ${holdsBackInclusion(r)}`);
  }
  return out;
}

/** Runs `list` (default: `scaleCombos(ctx.quick)`) and makes the section's result. */
export async function runScale(ctx: SectionContext, list: Combo[] = scaleCombos(ctx.quick)): Promise<SectionResult> {
  const t0 = performance.now();
  const registry = new ProcessRegistry();
  const unregister = ctx.onCleanup(() => registry.killAll());
  const results: ComboResult[] = [];
  const baseline = await codeBaseline();
  try {
    for (const c of list) {
      ctx.log(
        `scale ${c.key}: ${c.validators} validators, ${c.paras} para(s) × ${COLLATORS_PER_PARA} collators, ${c.relaySlotMs} ms slots`,
      );
      results.push(await runCombo(ctx, c, registry));
    }
  } finally {
    await registry.killAll();
    unregister();
  }
  const rssNodes = results.flatMap((r) => nums(r.nodes.map((n) => n.rssPeakMb)));
  const figures = [
    ...results.flatMap(comboFigures),
    maxFigure(
      { key: "scale.rssPeakMB", label: "Peak RSS of any node in any combination", unit: "MB", better: "lower" },
      rssNodes,
    ),
  ];
  const n = notes(results);
  return {
    section: "scale",
    title: "Scale: validators × paras on one machine",
    seconds: (performance.now() - t0) / 1000,
    figures,
    targets: targets(results, baseline),
    markdown: [
      `Every node its own \`parapipe\` process on ${cpus().length} cores; async backing, ${COLLATORS_PER_PARA} collators per para; the grid at ${GRID_SLOT_MS} ms relay slots, the target case at ${TARGET_SLOT_MS} ms. Parablocks per relay block per para along a validator's canonical chain after a warm-up of ${WARMUP_PARABLOCKS} parablocks per para; CPU (utime + stime) and RSS (VmRSS, sampled each second) per process over the same window.`,
      "",
      ...table(results),
      ...(n.length ? ["", ...n] : []),
    ],
    details: { gridSlotMs: GRID_SLOT_MS, cores: cpus().length, codeBaseline: baseline ?? null, combinations: results },
  };
}

/** The scale section of `npm run bench`. */
export const scaleSection: Section = { name: "scale", run: (ctx) => runScale(ctx) };
