/**
 * Section `pipeline` of `npm run bench`: the whole pipeline, sync backing against async backing on one topology:
 * parablocks included per relay block, the interval between consecutive parablock inclusions, relay blocks
 * without an inclusion (missed para slots), relay blocks from relay parent to inclusion, the candidates' stage
 * latencies at the validators, and the collators' and validators' counters, at 1 s and 6 s relay slots, both
 * modes in one run.
 *
 * For each slot duration, async then sync at the first one, sync then async at the second (neither mode always
 * runs first): 4 relay validators (Alice, Bob, Charlie, Dave) and 2 collators (Alice, Bob) on
 * `devChainSpecs({ mode, relaySlotMs })` run in this process over loopback libp2p with LevelDB in temp dirs
 * (`network.ts`). After a warm-up (until the relay chain has included 3 parablocks), N relay blocks are measured
 * on validator 0's canonical chain: full run 200 (async) and 60 (sync) at 1 s, 30 at 6 s; `--quick` 100 and 30 at
 * 1 s, 8 at 6 s. Windows are even (sync backing includes every second relay block: an odd window reads 0.47 or
 * 0.53 for 0.5).
 *
 * - Parablocks per relay block: `Paras.Heads` before and after each relay block of the window; its noise comes
 *   from the inclusions per pair of consecutive relay blocks (sync's 0, 1, 0, 1 is no scatter).
 * - Para block interval: each parablock included in the window is stamped with the time of the relay block that
 *   included it (its Aura slot × the slot duration); the intervals between consecutive inclusions give the mean,
 *   median, p95 and max, in ms and in relay slots (k > 1 inclusions in one relay block count intervals of 0).
 * - Missed para slots: relay blocks of the window that included no parablock where the mode expects one (async:
 *   every relay block; sync: one of every two, so a sync miss is a pair of relay blocks without an inclusion).
 *   Empty relay slots (no relay block at all) are counted separately.
 * - Relay parent → inclusion: the including relay block's number minus the relay parent number the parablock's
 *   header carries in its RPSR digest.
 * - Stage latencies: what the validators report to `RelayValidatorMetrics` over the window (fetch, validation,
 *   backing, inclusion, PVF execution), as `parapipe_candidate_stage_seconds` does on a node.
 * - The counters of both collators and of the validators (summed) over the window, and the candidate refusals,
 *   dropped segment blocks, declined advertisements and warnings the nodes logged.
 *
 * Targets: async/sync >= 1.9 at every slot duration; mean async para interval within 2 % of the relay slot; no
 * missed async slot over the 1 s window (200 relay blocks in the full run).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { CollatorNode, CollatorStats } from "@parapipe/collator";
import { decodeExact, findAuraSlot, findRelayParentDigest } from "@parapipe/primitives";
import type {
  CandidateInterval,
  CandidateStage,
  RelayValidatorMetrics,
  RelayValidatorNode,
  RelayValidatorStats,
} from "@parapipe/relay-validator";
import {
  distribution,
  type Figure,
  fmt,
  markdownTable,
  meanFigure,
  percentileFigure,
  ratioFigure,
  type Section,
  type SectionContext,
  type SectionResult,
  type TargetCheck,
  valueFigure,
} from "./figures.js";
import {
  COLLATORS,
  type NetworkLogCounts,
  type PipelineNetwork,
  startNetwork,
  VALIDATORS,
  waitFor,
} from "./network.js";

const MODES = ["async", "sync"] as const;
type Mode = (typeof MODES)[number];
const SLOTS = [1000, 6000];
const PARA_ID = 2000;
/** Parablocks the relay chain must have included before the window starts. */
const WARMUP_PARABLOCKS = 3;
/** Targets. */
const TARGET_RATIO = 1.9;
const TARGET_INTERVAL_OFF_PERCENT = 2;
const TARGET_NO_MISS_BLOCKS = 200;

/** Relay blocks measured for `mode` at `slotMs` (even numbers). */
function blocksFor(slotMs: number, mode: Mode, quick: boolean): number {
  if (slotMs >= 6000) return quick ? 8 : 30;
  if (mode === "async") return quick ? 100 : TARGET_NO_MISS_BLOCKS;
  return quick ? 30 : 60;
}

// ---------------------------------------------------------------------------------------------------------------
// Stage latencies

/** A distribution in ms or in relay slots (see `figures.distribution`). */
type Summary = ReturnType<typeof distribution>;

function scale(s: Summary, by: number): Summary {
  const d = (x: number | undefined) => (x === undefined ? undefined : x / by);
  return { n: s.n, mean: d(s.mean), median: d(s.median), p95: d(s.p95), p99: d(s.p99), max: d(s.max) } as Summary;
}

/**
 * The validators' pipeline metrics (`RelayValidatorMetrics`), recorded in ms while `recording`: every validator of
 * a network reports to one recorder, so each figure is over all of them (a candidate validated by 4 validators
 * gives 4 validation samples).
 */
class StageRecorder implements RelayValidatorMetrics {
  recording = false;
  readonly intervals: Record<CandidateInterval, number[]> = { fetch: [], validation: [], backing: [], inclusion: [] };
  readonly pvfMs: number[] = [];
  readonly stages: Partial<Record<CandidateStage, number>> = {};
  readonly pvfOutcomes: Record<string, number> = {};

  candidate(stage: CandidateStage): void {
    if (this.recording) this.stages[stage] = (this.stages[stage] ?? 0) + 1;
  }
  candidateInterval(interval: CandidateInterval, seconds: number): void {
    if (this.recording) this.intervals[interval].push(seconds * 1000);
  }
  pvfExecution(seconds: number, outcome: string): void {
    if (!this.recording) return;
    this.pvfOutcomes[outcome] = (this.pvfOutcomes[outcome] ?? 0) + 1;
    if (outcome === "valid") this.pvfMs.push(seconds * 1000);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Results

/** One parablock included in the window. */
interface Inclusion {
  para: number;
  /** The relay block that included it (validator 0's canonical chain). */
  relay: number;
  /** That relay block's slot × the slot duration. */
  timestampMs: number;
  /** The relay parent number of its RPSR digest. */
  relayParent?: number;
}

type CollatorCounters = Omit<CollatorStats, "skipped" | "maxSegmentLength">;
type ValidatorCounters = Omit<RelayValidatorStats, "lastRefusal">;

interface ModeResult {
  mode: Mode;
  slotMs: number;
  /** 1 when this mode ran first at this slot duration. */
  order: number;
  startupSeconds: number;
  warmupSeconds: number;
  window: {
    fromRelay: number;
    toRelay: number;
    relayBlocks: number;
    /** Relay slots the window spans, and those of them without a relay block. */
    relaySlots: number;
    emptyRelaySlots: number;
    fromPara: number;
    toPara: number;
    seconds: number;
  };
  includedParablocks: number;
  parablocksPerRelayBlock: number;
  /** Parablocks included by each relay block of the window, in order. */
  perRelayBlock: number[];
  /** Para slots without an inclusion where the mode expects one (async: per relay block; sync: per pair). */
  missedParaSlots: number;
  /** Relay blocks of the window that included no parablock, and their numbers. */
  missedSlots: number;
  missedRelayBlocks: number[];
  /** Relay blocks that included more than one parablock. */
  multiInclusions: number;
  paraIntervalMs: Summary;
  paraIntervalSlots: Summary;
  /** The interval samples, ms. */
  intervalsMs: number[];
  relayParentToInclusion: Summary;
  /** Validators' stage latencies over the window, ms (`StageRecorder`). */
  stageMs: Record<CandidateInterval | "pvf", Summary>;
  stageCounts: Partial<Record<CandidateStage, number>>;
  pvfOutcomes: Record<string, number>;
  inclusions: Inclusion[];
  collators: Array<{
    name: string;
    window: CollatorCounters & { skipped: Record<string, number> };
    maxSegmentLength: number;
  }>;
  /** Summed over the validators, over the window. */
  validators: ValidatorCounters;
  lastRefusals: Array<string | undefined>;
  /** What the nodes logged over the window (see `NetworkLog`). */
  logged: NetworkLogCounts;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the relay chain (validator 0)

interface ParaHeader {
  number: { toNumber(): number };
  parentHash: { toU8a(): Uint8Array };
}

/** What one relay block says: its slot and the para head `Paras.Heads` holds after it. */
interface RelayPoint {
  number: number;
  slot: bigint;
  head: Uint8Array;
  headNumber: number;
}

class RelayReader {
  constructor(
    private readonly v: RelayValidatorNode,
    private readonly para: CollatorNode,
  ) {}

  /** The para header in `Paras.Heads`, decoded with the para runtime's registry. */
  decodePara(bytes: Uint8Array): ParaHeader {
    return this.para.runtime.registry.createType("Header", bytes) as unknown as ParaHeader;
  }

  /** The SCALE para head `Paras.Heads` holds at relay block `hash`. */
  async paraHead(hash: Uint8Array): Promise<Uint8Array> {
    const info = await this.v.chain.blockInfo(hash);
    if (!info) throw new Error(`relay block ${Buffer.from(hash).toString("hex")} unknown to validator 0`);
    const head = await this.v.chain.withState((s) => this.v.runtime.paraHead(s, info.stateRoot, PARA_ID));
    if (!head.ok) throw head.error;
    if (!head.value) throw new Error(`no head of para ${PARA_ID} at relay #${info.number}`);
    return head.value;
  }

  /** The included para number at the best relay block. */
  async includedAtBest(): Promise<number> {
    return this.decodePara(await this.paraHead(this.v.best.hash)).number.toNumber();
  }

  /** Relay block `n` of validator 0's canonical chain. */
  async at(n: number): Promise<RelayPoint> {
    const hash = await this.v.chain.canonicalHash(n);
    const header = hash && (await this.v.chain.header(hash));
    if (!hash || !header) throw new Error(`relay #${n} not on validator 0's canonical chain`);
    const slot = findAuraSlot(decodeExact(this.v.runtime.registry, "Header", header) as never);
    if (slot === undefined) throw new Error(`relay #${n} has no Aura pre-digest`);
    const head = await this.paraHead(hash);
    return { number: n, slot, head, headNumber: this.decodePara(head).number.toNumber() };
  }

  /**
   * The headers of the parablocks a relay block included: the new head, and (k > 1, not expected) its ancestors
   * down to the previous head from the collator's para database. Newest first; shorter when an ancestor is missing.
   */
  async includedHeaders(head: Uint8Array, k: number): Promise<Array<{ number: number; header: ParaHeader }>> {
    const out: Array<{ number: number; header: ParaHeader }> = [];
    let bytes: Uint8Array | undefined = head;
    while (bytes && out.length < k) {
      const header = this.decodePara(bytes);
      out.push({ number: header.number.toNumber(), header });
      if (out.length < k) bytes = await this.para.chain.header(header.parentHash.toU8a());
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// One mode at one slot duration

function sumValidators(nodes: RelayValidatorNode[]): ValidatorCounters {
  const keys = [
    "authored",
    "imported",
    "seconded",
    "validated",
    "invalidCollations",
    "backed",
    "misbehaviours",
    "bitfieldsSigned",
  ] as const;
  return Object.fromEntries(keys.map((k) => [k, nodes.reduce((a, n) => a + n.stats[k], 0)])) as ValidatorCounters;
}

function diffCounts<T extends Record<string, number>>(before: T, after: T): T {
  return Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, v]) => v !== 0),
  ) as T;
}

function diffAll<T extends Record<string, number>>(before: T, after: T): T {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)])) as T;
}

function collatorCounters(s: CollatorStats): CollatorCounters {
  const { built, advertised, seconded, included, dropped, imported } = s;
  return { built, advertised, seconded, included, dropped, imported };
}

async function runMode(
  ctx: SectionContext,
  slotMs: number,
  mode: Mode,
  blocks: number,
  order: number,
): Promise<ModeResult> {
  const baseDir = await mkdtemp(join(ctx.tmpDir, `${mode}-${slotMs}ms-`));
  let net: PipelineNetwork | undefined;
  const close = async () => {
    if (net) await net.close();
    await rm(baseDir, { recursive: true, force: true });
  };
  const unregister = ctx.onCleanup(close);
  const recorder = new StageRecorder();
  try {
    const t0 = performance.now();
    net = await startNetwork({ mode, relaySlotMs: slotMs, baseDir, pipelineMetrics: recorder });
    const n = net;
    const startupSeconds = (performance.now() - t0) / 1000;
    const v = n.validators[0]!;
    const reader = new RelayReader(v, n.collators[0]!);
    let included = 0;
    const observe = () =>
      `relay best #${v.best.number}, para included #${included}; collators ${JSON.stringify(n.collators.map((c) => c.stats))}; validators ${JSON.stringify(sumValidators(n.validators))}; logged ${JSON.stringify(n.log.snapshot())}`;

    // Warm-up: until the relay chain has included WARMUP_PARABLOCKS parablocks.
    let lastBest = "";
    await waitFor(
      `${WARMUP_PARABLOCKS} included parablocks`,
      async () => {
        const best = Buffer.from(v.best.hash).toString("hex");
        if (best !== lastBest) {
          lastBest = best;
          included = await reader.includedAtBest();
        }
        return included >= WARMUP_PARABLOCKS;
      },
      40 * slotMs + 20_000,
      observe,
    );
    const warmupSeconds = (performance.now() - t0) / 1000 - startupSeconds;
    const r0 = v.best.number;
    const r1 = r0 + blocks;
    const c0 = n.collators.map((c) => collatorCounters(c.stats));
    const skipped0 = n.collators.map((c) => ({ ...c.stats.skipped }));
    const v0 = sumValidators(n.validators);
    const log0 = n.log.snapshot();
    const tStart = performance.now();
    recorder.recording = true;
    ctx.log(
      `  ${mode}: started in ${startupSeconds.toFixed(1)} s, warm-up done in ${warmupSeconds.toFixed(1)} s (relay #${r0}, para #${included}); measuring ${blocks} relay blocks`,
    );
    await waitFor(`relay block #${r1}`, () => v.best.number >= r1, (blocks + 10) * slotMs, observe);
    recorder.recording = false;
    const seconds = (performance.now() - tStart) / 1000;
    const c1 = n.collators.map((c) => collatorCounters(c.stats));
    const skipped1 = n.collators.map((c) => ({ ...c.stats.skipped }));
    const v1 = sumValidators(n.validators);
    const log1 = n.log.snapshot();

    // The window on validator 0's canonical chain: relay blocks r0 + 1 .. r1, Paras.Heads before and after each.
    const points: RelayPoint[] = [];
    for (let r = r0; r <= r1; r++) points.push(await reader.at(r));
    const inclusions: Inclusion[] = [];
    const missedRelayBlocks: number[] = [];
    const perRelayBlock: number[] = [];
    let multiInclusions = 0;
    for (let i = 1; i < points.length; i++) {
      const p = points[i]!;
      const k = p.headNumber - points[i - 1]!.headNumber;
      perRelayBlock.push(Math.max(0, k));
      if (k <= 0) {
        missedRelayBlocks.push(p.number);
        continue;
      }
      if (k > 1) multiInclusions++;
      const headers = await reader.includedHeaders(p.head, k);
      for (let j = 0; j < k; j++) {
        const h = headers.find((x) => x.number === p.headNumber - j)?.header;
        const rp = h ? findRelayParentDigest(h as never) : undefined;
        inclusions.push({
          para: p.headNumber - j,
          relay: p.number,
          timestampMs: Number(p.slot) * slotMs,
          ...(rp ? { relayParent: rp.number } : {}),
        });
      }
    }
    inclusions.sort((a, b) => a.para - b.para);
    const intervals = inclusions.slice(1).map((x, i) => x.timestampMs - inclusions[i]!.timestampMs);
    const paraIntervalMs = distribution(intervals);
    // Async expects an inclusion in every relay block, sync one in every pair of relay blocks.
    const per = mode === "async" ? 1 : 2;
    let missedParaSlots = 0;
    for (let i = 0; i + per <= perRelayBlock.length; i += per)
      if (perRelayBlock.slice(i, i + per).every((k) => k === 0)) missedParaSlots++;
    const first = points[0]!;
    const last = points[points.length - 1]!;
    const relaySlots = Number(last.slot - first.slot);
    return {
      mode,
      slotMs,
      order,
      startupSeconds,
      warmupSeconds,
      window: {
        fromRelay: r0,
        toRelay: r1,
        relayBlocks: blocks,
        relaySlots,
        emptyRelaySlots: relaySlots - blocks,
        fromPara: first.headNumber,
        toPara: last.headNumber,
        seconds,
      },
      includedParablocks: last.headNumber - first.headNumber,
      parablocksPerRelayBlock: (last.headNumber - first.headNumber) / blocks,
      perRelayBlock,
      missedParaSlots,
      missedSlots: missedRelayBlocks.length,
      missedRelayBlocks,
      multiInclusions,
      paraIntervalMs,
      paraIntervalSlots: scale(paraIntervalMs, slotMs),
      intervalsMs: intervals,
      stageMs: {
        fetch: distribution(recorder.intervals.fetch),
        validation: distribution(recorder.intervals.validation),
        pvf: distribution(recorder.pvfMs),
        backing: distribution(recorder.intervals.backing),
        inclusion: distribution(recorder.intervals.inclusion),
      },
      stageCounts: recorder.stages,
      pvfOutcomes: recorder.pvfOutcomes,
      relayParentToInclusion: distribution(
        inclusions.filter((x) => x.relayParent !== undefined).map((x) => x.relay - x.relayParent!),
      ),
      inclusions,
      collators: n.collators.map((c, i) => ({
        name: COLLATORS[i]!,
        window: { ...diffAll(c0[i]!, c1[i]!), skipped: diffCounts(skipped0[i]!, skipped1[i]!) },
        maxSegmentLength: c.stats.maxSegmentLength,
      })),
      validators: diffAll(v0, v1),
      lastRefusals: n.validators.map((x) => x.stats.lastRefusal),
      logged: {
        refusals: diffCounts(log0.refusals, log1.refusals),
        dropped: diffCounts(log0.dropped, log1.dropped),
        declined: diffCounts(log0.declined, log1.declined),
        warnings: diffCounts(log0.warnings, log1.warnings),
      },
    };
  } finally {
    await close();
    unregister();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Output

const slotLabel = (ms: number) => `${ms % 1000 === 0 ? ms / 1000 : (ms / 1000).toFixed(2)}s`;

function num(x: number | undefined, digits = 0): string {
  return x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(digits);
}

/** Signed deviation of the mean async para interval from the relay slot, in %. */
function offPercent(r: ModeResult): number | undefined {
  const m = r.paraIntervalMs.mean;
  return m === undefined ? undefined : ((m - r.slotMs) / r.slotMs) * 100;
}

const signed = (x: number | undefined, digits = 1) =>
  x === undefined ? "n/a" : `${x >= 0 ? "+" : "-"}${Math.abs(x).toFixed(digits)}`;

const counters = (o: Record<string, number>) =>
  Object.keys(o).length === 0
    ? "-"
    : Object.entries(o)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");

function printTable(log: (line: string) => void, slotMs: number, results: ModeResult[]): void {
  const lw = 40;
  const cw = 28;
  log(
    `${slotLabel(slotMs)} slots (${slotMs} ms): 4 validators + 2 collators on loopback; run order ${[...results]
      .sort((a, b) => a.order - b.order)
      .map((r) => r.mode)
      .join(" then ")}`,
  );
  const row = (label: string, cell: (r: ModeResult) => string) =>
    log(`${label.padEnd(lw)} ${results.map((r) => cell(r).padStart(cw)).join(" │ ")}`);
  row("", (r) => r.mode);
  row("relay window", (r) => `#${r.window.fromRelay + 1}..#${r.window.toRelay} (${r.window.seconds.toFixed(0)} s)`);
  row("empty relay slots in the window", (r) => `${r.window.emptyRelaySlots} of ${r.window.relaySlots}`);
  row("parablocks included", (r) => `${r.includedParablocks} (#${r.window.fromPara + 1}..#${r.window.toPara})`);
  row("parablocks per relay block", (r) => num(r.parablocksPerRelayBlock, 2));
  row("missed slots (relay blocks, no inclusion)", (r) => `${r.missedSlots} of ${r.window.relayBlocks}`);
  row("relay blocks including > 1 parablock", (r) => String(r.multiInclusions));
  const iv = (r: ModeResult, k: keyof Summary) =>
    `${num(r.paraIntervalMs[k])} ms  ${num(r.paraIntervalSlots[k], 2)} slots`;
  row("para interval mean", (r) => iv(r, "mean"));
  row("para interval median", (r) => iv(r, "median"));
  row("para interval p95", (r) => iv(r, "p95"));
  row("para interval max", (r) => iv(r, "max"));
  row("para interval samples", (r) => String(r.paraIntervalMs.n));
  row("mean interval off the slot", (r) => `${signed(offPercent(r))} %`);
  for (const k of ["fetch", "validation", "pvf", "backing", "inclusion"] as const)
    row(
      `stage ${k} mean / p95 (validators)`,
      (r) => `${num(r.stageMs[k].mean)} / ${num(r.stageMs[k].p95)} ms (n ${r.stageMs[k].n})`,
    );
  row("relay parent → inclusion mean / max", (r) => {
    const s = r.relayParentToInclusion;
    return `${num(s.mean, 2)} / ${num(s.max)} blocks (n ${s.n})`;
  });
  for (const key of ["built", "advertised", "seconded", "included", "dropped", "imported"] as const)
    row(`collators ${key} (Alice, Bob)`, (r) => r.collators.map((c) => c.window[key]).join(", "));
  row("collators max segment length", (r) => r.collators.map((c) => c.maxSegmentLength).join(", "));
  for (const key of Object.keys(results[0]!.validators) as Array<keyof ValidatorCounters>)
    row(`validators ${key} (sum)`, (r) => String(r.validators[key]));
  row("warm-up", (r) => `${r.warmupSeconds.toFixed(1)} s (start-up ${r.startupSeconds.toFixed(1)} s)`);
  // Reasons do not fit a column: one line per mode.
  for (const r of results) {
    log(`  ${r.mode}, in the window:`);
    for (const c of r.collators) log(`    collator ${c.name} skipped: ${counters(c.window.skipped)}`);
    log(`    candidates refused (validators): ${counters(r.logged.refusals)}`);
    log(`    segment blocks dropped (collators): ${counters(r.logged.dropped)}`);
    log(`    advertisements declined: ${counters(r.logged.declined)}`);
    log(`    warnings / errors logged: ${counters(r.logged.warnings)}`);
    if (r.missedRelayBlocks.length)
      log(`    relay blocks without an inclusion: ${r.missedRelayBlocks.map((x) => `#${x}`).join(" ")}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The section

/** Inclusions per pair of consecutive relay blocks, halved: the samples behind parablocks per relay block. */
function pairRates(perRelayBlock: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + 2 <= perRelayBlock.length; i += 2) out.push((perRelayBlock[i]! + perRelayBlock[i + 1]!) / 2);
  return out;
}

function modeFigures(r: ModeResult): Figure[] {
  const k = (name: string) => `pipeline.${r.slotMs}ms.${r.mode}.${name}`;
  const at = `${r.mode}, ${slotLabel(r.slotMs)} slots`;
  const ms = (name: string, label: string, better: "lower" | "none" = "lower") => ({
    key: k(name),
    label: `${label} (${at})`,
    unit: "ms",
    better,
  });
  const iv = r.intervalsMs;
  return [
    meanFigure(
      { key: k("parablocksPerRelayBlock"), label: `parablocks per relay block (${at})`, unit: "", better: "higher" },
      pairRates(r.perRelayBlock),
    ),
    meanFigure(ms("paraInterval.mean", "para interval mean"), iv),
    percentileFigure(ms("paraInterval.median", "para interval median"), iv, 50),
    percentileFigure(ms("paraInterval.p95", "para interval p95"), iv, 95),
    percentileFigure(ms("paraInterval.max", "para interval max"), iv, 100),
    valueFigure(
      { key: k("missedParaSlots"), label: `missed para slots (${at})`, unit: "", better: "lower" },
      r.missedParaSlots,
      0,
      r.perRelayBlock.length,
    ),
    meanFigure(
      {
        key: k("relayParentToInclusion"),
        label: `relay parent → inclusion (${at})`,
        unit: "relay blocks",
        better: "lower",
      },
      r.inclusions.filter((x) => x.relayParent !== undefined).map((x) => x.relay - x.relayParent!),
    ),
    ...(["fetch", "validation", "pvf", "backing", "inclusion"] as const).map((st) =>
      valueFigure(ms(`stage.${st}.mean`, `stage ${st} mean`), r.stageMs[st].mean, 0, r.stageMs[st].n),
    ),
  ];
}

async function run(ctx: SectionContext): Promise<SectionResult> {
  const t0 = performance.now();
  ctx.log(
    `slots ${SLOTS.join(", ")} ms; relay blocks measured ${SLOTS.map((s) => `${blocksFor(s, "async", ctx.quick)} async / ${blocksFor(s, "sync", ctx.quick)} sync at ${slotLabel(s)}`).join(", ")}; ${VALIDATORS.length} validators, ${COLLATORS.length} collators in this process`,
  );
  const perSlot: Array<{ slotMs: number; async: ModeResult; sync: ModeResult }> = [];
  for (const [i, slotMs] of SLOTS.entries()) {
    // Alternate the order per slot duration, so neither mode always runs first.
    const order = i % 2 === 0 ? MODES : ([...MODES].reverse() as Mode[]);
    ctx.log(`${slotLabel(slotMs)} slots:`);
    const res: Partial<Record<Mode, ModeResult>> = {};
    for (const [j, mode] of order.entries())
      res[mode] = await runMode(ctx, slotMs, mode, blocksFor(slotMs, mode, ctx.quick), j + 1);
    printTable(ctx.log, slotMs, [res.async!, res.sync!]);
    perSlot.push({ slotMs, async: res.async!, sync: res.sync! });
  }

  const figures: Figure[] = [];
  const ratios: Figure[] = [];
  for (const p of perSlot) {
    const a = modeFigures(p.async);
    const s = modeFigures(p.sync);
    const ratio = ratioFigure(
      {
        key: `pipeline.${p.slotMs}ms.ratio`,
        label: `async/sync parablocks per relay block (${slotLabel(p.slotMs)} slots)`,
        unit: "",
        better: "higher",
      },
      a[0]!,
      s[0]!,
    );
    ratios.push(ratio);
    figures.push(ratio, ...a, ...s);
  }
  const worst = ratios.reduce((m, r) => ((r.value ?? -1) < (m.value ?? -1) ? r : m));

  const stageText = (r: ModeResult) =>
    (["fetch", "validation", "pvf", "backing", "inclusion"] as const)
      .map((st) => `${st} ${num(r.stageMs[st].mean)} ms`)
      .join(", ");
  const targets: TargetCheck[] = [];
  const ratioPass = ratios.every((r) => r.value !== null && r.value >= TARGET_RATIO);
  targets.push({
    target: `async/sync parablocks per relay block >= ${TARGET_RATIO}`,
    measured: perSlot.map((p, i) => `${fmt(ratios[i]!.value)} at ${slotLabel(p.slotMs)}`).join(", "),
    pass: ratioPass,
    ...(ratioPass
      ? {}
      : {
          holdsBack: `smallest ratio ${fmt(worst.value)} (${worst.label}); ${perSlot
            .map(
              (p) =>
                `${slotLabel(p.slotMs)}: async ${fmt(p.async.parablocksPerRelayBlock)} (missed ${p.async.missedParaSlots}; stages ${stageText(p.async)}), sync ${fmt(p.sync.parablocksPerRelayBlock)} (stages ${stageText(p.sync)})`,
            )
            .join("; ")}`,
        }),
  });
  for (const p of perSlot) {
    const off = offPercent(p.async);
    const ok = off !== undefined && Math.abs(off) <= TARGET_INTERVAL_OFF_PERCENT;
    targets.push({
      target: `mean async para interval within ${TARGET_INTERVAL_OFF_PERCENT} % of the relay slot (${slotLabel(p.slotMs)})`,
      measured: `${num(p.async.paraIntervalMs.mean)} ms for ${p.slotMs} ms (${signed(off)} %), p95 ${num(p.async.paraIntervalMs.p95)} ms, max ${num(p.async.paraIntervalMs.max)} ms`,
      pass: ok,
      ...(ok
        ? {}
        : {
            holdsBack: `relay blocks without an inclusion: ${p.async.missedRelayBlocks.map((x) => `#${x}`).join(" ") || "none"}; empty relay slots ${p.async.window.emptyRelaySlots}; refusals ${counters(p.async.logged.refusals)}; stages ${stageText(p.async)}`,
          }),
    });
  }
  const first = perSlot[0]!.async;
  const noMiss = first.missedParaSlots === 0;
  targets.push({
    target: `no missed async para slot over ${TARGET_NO_MISS_BLOCKS} relay blocks`,
    measured: `${first.missedParaSlots} missed over ${first.window.relayBlocks} relay blocks at ${slotLabel(first.slotMs)}${first.window.relayBlocks < TARGET_NO_MISS_BLOCKS ? ` (--quick; the full run measures ${TARGET_NO_MISS_BLOCKS})` : ""}`,
    pass: noMiss,
    ...(noMiss
      ? {}
      : {
          holdsBack: `missed at relay ${first.missedRelayBlocks.map((x) => `#${x}`).join(" ")}; collators skipped ${first.collators.map((c) => `${c.name}: ${counters(c.window.skipped)}`).join("; ")}; refusals ${counters(first.logged.refusals)}; dropped ${counters(first.logged.dropped)}; stages ${stageText(first)}`,
        }),
  });

  const markdown: string[] = [
    "4 validators and 2 collators in one process over loopback libp2p, LevelDB in temp dirs; both modes at each slot duration, alternating which runs first.",
    "",
    ...markdownTable(
      [
        "slots",
        "mode",
        "relay blocks",
        "parablocks / relay block",
        "missed para slots",
        "para interval mean / median / p95 / max (ms)",
        "relay parent → inclusion",
        "fetch / validation / PVF / backing / inclusion (ms, mean)",
      ],
      perSlot.flatMap((p) =>
        [p.async, p.sync].map((r) => [
          slotLabel(r.slotMs),
          r.mode,
          String(r.window.relayBlocks),
          fmt(r.parablocksPerRelayBlock),
          String(r.missedParaSlots),
          (["mean", "median", "p95", "max"] as const).map((q) => num(r.paraIntervalMs[q])).join(" / "),
          `${num(r.relayParentToInclusion.mean, 2)} blocks`,
          (["fetch", "validation", "pvf", "backing", "inclusion"] as const)
            .map((st) => num(r.stageMs[st].mean))
            .join(" / "),
        ]),
      ),
    ),
  ];
  return {
    section: "pipeline",
    title: "Pipeline: sync and async backing side by side",
    seconds: (performance.now() - t0) / 1000,
    figures,
    targets,
    markdown,
    details: {
      validators: VALIDATORS,
      collators: COLLATORS,
      warmupParablocks: WARMUP_PARABLOCKS,
      results: perSlot.map((p) => ({
        slotMs: p.slotMs,
        async: { ...p.async, intervalsMs: undefined },
        sync: { ...p.sync, intervalsMs: undefined },
      })),
    },
  };
}

/** Section `pipeline` of `npm run bench`. */
export const pipelineSection: Section = { name: "pipeline", run };
