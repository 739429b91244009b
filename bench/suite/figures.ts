import { SeededRandom } from "@parapipe/harness";

/**
 * The figures of `npm run bench`: what every section returns, the statistics it computes them with, and each
 * figure's noise (so `--compare` can tell a regression from the run's own scatter).
 *
 * A figure is one number with a unit, a direction (higher or lower is better, or neither) and its noise: the
 * half-width of a 95 % interval of the figure as this run measured it. Figures computed from samples get their
 * noise from the samples (`meanFigure`: 1.96 standard errors; `percentileFigure`: a seeded bootstrap); a
 * deterministic figure has noise 0; a searched figure (the execution window) has the search's step.
 */

/** Which way a figure improves. `none`: informational, never a regression. */
export type Better = "higher" | "lower" | "none";

/** One measured number. */
export interface Figure {
  /** Stable key, `<section>.<name>`, what `--compare` matches on. */
  key: string;
  /** What it is, for the summary. */
  label: string;
  /** `null` when the run could not measure it (say why in the section's notes). */
  value: number | null;
  unit: string;
  better: Better;
  /** Half-width of a 95 % interval of `value` in this run (0: deterministic). */
  noise: number;
  /** Samples behind it (0 for a deterministic figure). */
  n: number;
}

/** One of the issue's targets, checked on this run's figures. */
export interface TargetCheck {
  /** The target as the issue states it. */
  target: string;
  /** What this run measured, in words and numbers. */
  measured: string;
  pass: boolean;
  /** When missed: the stage that holds it back, with its latencies, and what would move it. */
  holdsBack?: string;
}

/** What a section hands back to the runner. */
export interface SectionResult {
  /** `pipeline`, `execWindow`, `throughput`, `latency`, `economics`, `scale`. */
  section: string;
  title: string;
  /** Wall-clock seconds the section took. */
  seconds: number;
  figures: Figure[];
  targets: TargetCheck[];
  /** Markdown lines for the summary (tables, notes); the runner adds the title, figures and targets. */
  markdown: string[];
  /** Everything else the section measured, written to the JSON as is. */
  details: unknown;
}

/** What the runner gives a section. */
export interface SectionContext {
  quick: boolean;
  /** A temp directory for this section's nodes; the runner removes it afterwards. */
  tmpDir: string;
  /** Progress lines for the terminal. */
  log(line: string): void;
  /**
   * Registers a cleanup (stop nodes, kill processes) the runner calls on Ctrl-C or when the section throws.
   * Returns the function to unregister it once the section has cleaned up itself.
   */
  onCleanup(close: () => Promise<void>): () => void;
}

/** A section of the benchmark. */
export interface Section {
  name: string;
  run(ctx: SectionContext): Promise<SectionResult>;
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics

/** Sorted copy. */
export function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

export function mean(xs: readonly number[]): number | undefined {
  return xs.length === 0 ? undefined : xs.reduce((a, x) => a + x, 0) / xs.length;
}

/** Nearest-rank percentile (`p` in 0..100) of sorted samples; with few samples p99 is the largest one. */
export function percentileOfSorted(s: readonly number[], p: number): number | undefined {
  if (s.length === 0) return undefined;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function percentile(xs: readonly number[], p: number): number | undefined {
  return percentileOfSorted(sorted(xs), p);
}

/** Sample standard deviation. */
export function stddev(xs: readonly number[]): number | undefined {
  const m = mean(xs);
  if (m === undefined || xs.length < 2) return undefined;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** mean, median, p95, p99, max of samples. */
export interface Distribution {
  n: number;
  mean?: number;
  median?: number;
  p95?: number;
  p99?: number;
  max?: number;
}

export function distribution(xs: readonly number[]): Distribution {
  const s = sorted(xs);
  if (s.length === 0) return { n: 0 };
  return {
    n: s.length,
    mean: mean(s)!,
    median: percentileOfSorted(s, 50)!,
    p95: percentileOfSorted(s, 95)!,
    p99: percentileOfSorted(s, 99)!,
    max: s[s.length - 1]!,
  };
}

/** Half-width of a 95 % bootstrap interval of `stat` over `xs` (400 seeded resamples). */
export function bootstrapNoise(xs: readonly number[], stat: (s: readonly number[]) => number | undefined): number {
  if (xs.length < 2) return 0;
  // Seeded, so the same samples always get the same noise.
  const rng = new SeededRandom(xs.length * 7919 + 17);
  const rnd = () => rng.next();
  const values: number[] = [];
  const buf = new Array<number>(xs.length);
  for (let r = 0; r < 400; r++) {
    for (let i = 0; i < xs.length; i++) buf[i] = xs[Math.floor(rnd() * xs.length)]!;
    const v = stat(buf);
    if (v !== undefined) values.push(v);
  }
  const s = sorted(values);
  const lo = percentileOfSorted(s, 2.5);
  const hi = percentileOfSorted(s, 97.5);
  return lo === undefined || hi === undefined ? 0 : (hi - lo) / 2;
}

// ---------------------------------------------------------------------------------------------------------------
// Making figures

type FigureHead = Pick<Figure, "key" | "label" | "unit" | "better">;

/** The mean of samples, noise 1.96 standard errors. */
export function meanFigure(head: FigureHead, xs: readonly number[]): Figure {
  const m = mean(xs);
  const sd = stddev(xs);
  return {
    ...head,
    value: m ?? null,
    noise: sd === undefined ? 0 : (1.96 * sd) / Math.sqrt(xs.length),
    n: xs.length,
  };
}

/** A percentile (`p` in 0..100) of samples, noise from a bootstrap. */
export function percentileFigure(head: FigureHead, xs: readonly number[], p: number): Figure {
  return {
    ...head,
    value: percentile(xs, p) ?? null,
    noise: bootstrapNoise(xs, (s) => percentile(s, p)),
    n: xs.length,
  };
}

/** The largest sample, noise from a bootstrap (wide: a max is a noisy figure). */
export function maxFigure(head: FigureHead, xs: readonly number[]): Figure {
  return percentileFigure(head, xs, 100);
}

/** A figure with a given value and noise (a count, a ratio, a searched value). */
export function valueFigure(head: FigureHead, value: number | null | undefined, noise = 0, n = 0): Figure {
  return { ...head, value: value ?? null, noise, n };
}

/**
 * The ratio of two figures, its noise propagated to first order (relative noises add in quadrature).
 */
export function ratioFigure(head: FigureHead, a: Figure, b: Figure): Figure {
  if (a.value === null || b.value === null || b.value === 0) return { ...head, value: null, noise: 0, n: 0 };
  const r = a.value / b.value;
  const rel = Math.sqrt((a.noise / (a.value || 1)) ** 2 + (b.noise / b.value) ** 2);
  return { ...head, value: r, noise: Math.abs(r) * rel, n: Math.min(a.n, b.n) };
}

// ---------------------------------------------------------------------------------------------------------------
// Comparing against a baseline

/** A figure of this run next to the same figure of the baseline. */
export interface Comparison {
  key: string;
  label: string;
  unit: string;
  better: Better;
  baseline: number;
  current: number;
  /** current − baseline. */
  delta: number;
  /** What counts as noise: 95 % half-widths of both runs in quadrature. */
  noise: number;
  verdict: "regression" | "improvement" | "within noise" | "informational";
}

/**
 * Compares figures by key. A figure got worse when it moved in its bad direction by more than both runs' noise
 * combined (`sqrt(nb² + nc²)`), with a floor of 1 % of the baseline for figures measured once (noise 0 in both
 * runs but taken on a real machine: deterministic figures such as the economics ones have a unit of `planck`
 * and no floor). Figures missing from either run, or `null` in either, are left out.
 */
export function compareFigures(baseline: readonly Figure[], current: readonly Figure[]): Comparison[] {
  const base = new Map(baseline.map((f) => [f.key, f]));
  const out: Comparison[] = [];
  for (const c of current) {
    const b = base.get(c.key);
    if (!b || b.value === null || c.value === null) continue;
    const delta = c.value - b.value;
    const deterministic = b.n === 0 && c.n === 0 && b.noise === 0 && c.noise === 0 && c.unit === "planck";
    const floor = deterministic ? 0 : Math.abs(b.value) * 0.01;
    const noise = Math.max(Math.sqrt(b.noise ** 2 + c.noise ** 2), floor);
    const worse = c.better === "higher" ? -delta : c.better === "lower" ? delta : 0;
    const verdict: Comparison["verdict"] =
      c.better === "none"
        ? "informational"
        : worse > noise
          ? "regression"
          : -worse > noise
            ? "improvement"
            : "within noise";
    out.push({
      key: c.key,
      label: c.label,
      unit: c.unit,
      better: c.better,
      baseline: b.value,
      current: c.value,
      delta,
      noise,
      verdict,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting

/**
 * A number for a table: integers as is, big ones with thousands separators, others with `digits` decimals, below 0.1
 * with `digits + 3` significant digits.
 */
export function fmt(x: number | null | undefined, digits = 2): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "n/a";
  if (Number.isInteger(x) || Math.abs(x) >= 1000) return Math.round(x).toLocaleString("en-US");
  // Small values keep their significant digits (0.013069 ASTR, not 0.01).
  if (Math.abs(x) < 0.1) return String(Number(x.toPrecision(Math.max(digits, 1) + 3)));
  return x.toFixed(digits);
}

/** `value ± noise unit`. */
export function fmtFigure(f: Figure): string {
  if (f.value === null) return "n/a";
  const noise = f.noise > 0 ? ` ± ${fmt(f.noise)}` : "";
  return `${fmt(f.value)}${noise}${f.unit ? ` ${f.unit}` : ""}`;
}

/** A Markdown table. */
export function markdownTable(head: string[], rows: string[][]): string[] {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return [
    `| ${head.map(esc).join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ];
}
