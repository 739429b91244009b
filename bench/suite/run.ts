/**
 * `npm run bench` (and `parapipe bench`): every claim of async backing as a number, measured on this machine in
 * one invocation, written to `bench/results/<date>.json` and `bench/results/<date>.md`.
 *
 *   npm run bench [-- --quick] [--only pipeline,execWindow,...] [--compare <baseline.json>] [--out <dir>]
 *
 * Sections, in the order they run (`--only` picks some; the names are the JSON's `section`):
 * - `economics`: issuance per simulated year at 12 s and at 6 s blocks, runtime only (`economics.ts`);
 * - `pipeline`: sync and async backing alternately on one topology at 1 s and 6 s relay slots (`pipeline.ts`);
 * - `execWindow`: the largest Dev compute block still backed and included on time, sync and async (`execWindow.ts`);
 * - `throughput`: sustained transfers per second from a separate load process against sr25519 verifies per
 *   second × cores, and submit → inBlock / included / finalized latencies (`throughput.ts`);
 * - `scale`: 4, 8, 12 validators × 1, 2, 3 paras, CPU and RSS per node (`scale.ts`).
 *
 * `--quick` sizes every section for a 2-core laptop (15-20 minutes in all); the full run takes
 * about an hour. A section that fails is reported (with its error) and the others still run; the exit code is
 * then 1. With `--compare`, figures that got worse than the baseline by more than both runs' noise are listed
 * as regressions and the exit code is 4 (0 otherwise). Usage errors exit 2.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cryptoReady } from "@parapipe/primitives";
import { economicsSection } from "./economics.js";
import { execWindowSection } from "./execWindow.js";
import {
  type Comparison,
  compareFigures,
  type Figure,
  fmt,
  fmtFigure,
  markdownTable,
  type Section,
  type SectionResult,
} from "./figures.js";
import { pipelineSection } from "./pipeline.js";
import { scaleSection } from "./scale.js";
import { throughputSection } from "./throughput.js";

const SECTIONS: Section[] = [economicsSection, pipelineSection, execWindowSection, throughputSection, scaleSection];

const USAGE = `usage: npm run bench [-- --quick] [--only ${SECTIONS.map((s) => s.name).join(",")}] [--compare <baseline.json>] [--out <dir>]
  --quick            sized for a 2-core laptop (15-20 minutes); without it, the full run (about an hour)
  --only a,b         run these sections only
  --compare <file>   flag figures worse than that earlier result by more than both runs' noise (exit 4)
  --out <dir>        where <date>.json and <date>.md go (default bench/results)`;

/** A usage error: message, usage, exit 2. */
export class UsageError extends Error {}

/** The command line, parsed. */
export interface BenchOptions {
  quick: boolean;
  only: string[];
  compare?: string;
  out: string;
}

/** Parses the command line (throws `UsageError`). */
export function parseBenchArgs(argv: string[], defaultOut: string): BenchOptions | "help" {
  const o: BenchOptions = { quick: false, only: SECTIONS.map((s) => s.name), out: defaultOut };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = argv[i + 1];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${name} needs a value`);
      i++;
      return v;
    };
    if (name === "--help" || name === "-h") return "help";
    if (name === "--quick" && eq < 0) o.quick = true;
    else if (name === "--only") {
      const names = value()
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = names.filter((n) => !SECTIONS.some((s) => s.name === n));
      if (unknown.length || names.length === 0)
        throw new UsageError(
          `--only: unknown section ${unknown.map((n) => JSON.stringify(n)).join(", ") || "(none given)"}; the sections are ${SECTIONS.map((s) => s.name).join(", ")}`,
        );
      o.only = names;
    } else if (name === "--compare") o.compare = value();
    else if (name === "--out") o.out = resolve(value());
    else throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
  }
  return o;
}

/** The part of an earlier result file `--compare` reads. */
interface Baseline {
  date: string;
  quick: boolean;
  figures: Figure[];
}

/** Reads a baseline result file; a clear error when it is not one. */
export async function readBaseline(file: string): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new UsageError(`--compare: cannot read ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--compare: ${file} is not JSON: ${(e as Error).message}`);
  }
  const j = json as { bench?: unknown; date?: unknown; options?: { quick?: unknown }; sections?: unknown };
  if (j === null || typeof j !== "object" || j.bench !== "parapipe" || !Array.isArray(j.sections))
    throw new UsageError(`--compare: ${file} is not a result of npm run bench (no "bench": "parapipe" and "sections")`);
  const figures: Figure[] = [];
  for (const [i, s] of (j.sections as unknown[]).entries()) {
    const fs = (s as { figures?: unknown })?.figures;
    if (fs === undefined) continue;
    if (!Array.isArray(fs)) throw new UsageError(`--compare: ${file}: sections[${i}].figures is not an array`);
    for (const [k, f] of fs.entries()) {
      const x = f as Partial<Figure>;
      const ok =
        typeof x.key === "string" &&
        (x.value === null || typeof x.value === "number") &&
        typeof x.noise === "number" &&
        (x.better === "higher" || x.better === "lower" || x.better === "none");
      if (!ok) throw new UsageError(`--compare: ${file}: sections[${i}].figures[${k}] is not a figure`);
      figures.push({ label: x.key!, unit: "", n: 0, ...x } as Figure);
    }
  }
  return { date: String(j.date), quick: j.options?.quick === true, figures };
}

// ---------------------------------------------------------------------------------------------------------------
// Running

const cleanups = new Set<() => Promise<void>>();
let root = "";
let stopping = false;

async function cleanup(): Promise<void> {
  for (const close of [...cleanups].reverse()) await close().catch(() => {});
  cleanups.clear();
  if (root) await rm(root, { recursive: true, force: true }).catch(() => {});
}

function onSignal(code: number): void {
  if (stopping) process.exit(code);
  stopping = true;
  console.error("\ninterrupted: stopping every node and removing temp dirs (again to force)");
  void cleanup().then(() => process.exit(code));
}

interface SectionOutcome {
  section: string;
  result?: SectionResult;
  error?: string;
}

async function runSection(s: Section, quick: boolean): Promise<SectionOutcome> {
  const tmpDir = await mkdtemp(join(root, `${s.name}-`));
  const mine = new Set<() => Promise<void>>();
  const t0 = performance.now();
  console.log(`\n== ${s.name} ==`);
  try {
    const result = await s.run({
      quick,
      tmpDir,
      log: (line) => console.log(`  ${line}`),
      onCleanup(close) {
        mine.add(close);
        cleanups.add(close);
        return () => {
          mine.delete(close);
          cleanups.delete(close);
        };
      },
    });
    console.log(`  (${s.name}: ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    return { section: s.name, result };
  } catch (e) {
    const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
    console.error(`  ${s.name} failed: ${msg}`);
    return { section: s.name, error: e instanceof Error ? e.message : String(e) };
  } finally {
    for (const close of [...mine].reverse()) {
      await close().catch(() => {});
      cleanups.delete(close);
    }
    await rm(tmpDir, { recursive: true, force: true }).catch(() => {});
  }
}

function markdownSummary(
  header: { date: string; quick: boolean; host: Record<string, unknown> },
  outcomes: SectionOutcome[],
  comparison: { file: string; date: string; rows: Comparison[] } | undefined,
): string {
  const lines: string[] = [
    `# parapipe benchmark, ${header.date}${header.quick ? " (--quick)" : ""}`,
    "",
    `Host: ${Object.entries(header.host)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}.`,
    "",
    "## Targets",
    "",
  ];
  const targets = outcomes.flatMap((o) => o.result?.targets ?? []);
  lines.push(
    ...markdownTable(
      ["target", "measured", ""],
      targets.map((t) => [t.target, t.measured, t.pass ? "PASS" : "MISS"]),
    ),
  );
  const misses = targets.filter((t) => !t.pass && t.holdsBack);
  if (misses.length) {
    lines.push("", "What holds the missed targets back:", "");
    for (const t of misses) lines.push(`- **${t.target}**: ${t.holdsBack}`);
  }
  for (const o of outcomes) {
    lines.push("", `## ${o.result?.title ?? o.section}`, "");
    if (!o.result) {
      lines.push(`Failed: ${o.error}`);
      continue;
    }
    lines.push(`${o.result.seconds.toFixed(0)} s.`, "", ...o.result.markdown, "");
    lines.push(
      ...markdownTable(
        ["figure", "value", "key"],
        o.result.figures.map((f) => [f.label, fmtFigure(f), `\`${f.key}\``]),
      ),
    );
  }
  if (comparison) {
    lines.push("", `## Against ${comparison.file} (${comparison.date})`, "");
    const rows = comparison.rows.filter((r) => r.verdict !== "informational");
    lines.push(
      ...markdownTable(
        ["figure", "baseline", "now", "change", "noise", "verdict"],
        rows.map((r) => [
          r.label,
          fmt(r.baseline),
          fmt(r.current),
          `${r.delta >= 0 ? "+" : ""}${fmt(r.delta)} ${r.unit}`,
          `± ${fmt(r.noise)}`,
          r.verdict,
        ]),
      ),
    );
  }
  return `${lines.join("\n")}\n`;
}

async function main(argv: string[]): Promise<number> {
  const defaultOut = fileURLToPath(new URL("../../results/", import.meta.url));
  const parsed = parseBenchArgs(argv, defaultOut);
  if (parsed === "help") {
    console.log(USAGE);
    return 0;
  }
  const baseline = parsed.compare === undefined ? undefined : await readBaseline(parsed.compare);
  await cryptoReady();
  process.on("SIGINT", () => onSignal(130));
  process.on("SIGTERM", () => onSignal(143));
  root = await mkdtemp(join(tmpdir(), "parapipe-bench-"));
  const started = new Date();
  const host = {
    cpus: availableParallelism(),
    model: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
    loadavg1m: Number(loadavg()[0]!.toFixed(2)),
  };
  console.log(
    `parapipe bench${parsed.quick ? " --quick" : ""}: ${parsed.only.join(", ")}; ${host.cpus} CPUs (${host.model}), node ${host.node}, load average ${host.loadavg1m}`,
  );
  const outcomes: SectionOutcome[] = [];
  for (const s of SECTIONS) {
    if (!parsed.only.includes(s.name)) continue;
    outcomes.push(await runSection(s, parsed.quick));
    if (stopping) return 130;
  }
  const figures = outcomes.flatMap((o) => o.result?.figures ?? []);
  const comparison =
    baseline && parsed.compare
      ? { file: parsed.compare, date: baseline.date, rows: compareFigures(baseline.figures, figures) }
      : undefined;

  const date = started.toISOString().replace(/:/g, "-").replace(/\..*$/, "");
  await mkdir(parsed.out, { recursive: true });
  const jsonFile = join(parsed.out, `${date}.json`);
  const mdFile = join(parsed.out, `${date}.md`);
  const header = { date: started.toISOString(), quick: parsed.quick, host };
  await writeFile(
    jsonFile,
    `${JSON.stringify(
      {
        bench: "parapipe",
        date: header.date,
        seconds: Math.round((Date.now() - started.getTime()) / 1000),
        host,
        options: { quick: parsed.quick, only: parsed.only, ...(parsed.compare ? { compare: parsed.compare } : {}) },
        targets: outcomes.flatMap((o) => o.result?.targets ?? []),
        sections: outcomes.map((o) => (o.result ? o.result : { section: o.section, error: o.error })),
        ...(comparison ? { comparison } : {}),
      },
      (_k, v) => (typeof v === "bigint" ? v.toString() : v),
      2,
    )}\n`,
  );
  await writeFile(mdFile, markdownSummary(header, outcomes, comparison));

  console.log("\n== targets ==");
  for (const t of outcomes.flatMap((o) => o.result?.targets ?? []))
    console.log(`  ${t.pass ? "PASS" : "MISS"}  ${t.target}: ${t.measured}`);
  for (const o of outcomes) if (o.error) console.log(`  FAILED section ${o.section}: ${o.error}`);
  let code = outcomes.some((o) => o.error) ? 1 : 0;
  if (comparison) {
    const regressions = comparison.rows.filter((r) => r.verdict === "regression");
    console.log(
      `\n== against ${comparison.file} (${comparison.date}): ${regressions.length} regression(s), ${comparison.rows.filter((r) => r.verdict === "improvement").length} improvement(s), ${comparison.rows.filter((r) => r.verdict === "within noise").length} within noise ==`,
    );
    if (baseline && baseline.quick !== parsed.quick)
      console.log(`  note: the baseline ran ${baseline.quick ? "with" : "without"} --quick, this run did not match`);
    for (const r of regressions)
      console.log(
        `  REGRESSION ${r.key}: ${fmt(r.baseline)} -> ${fmt(r.current)} ${r.unit} (${r.delta >= 0 ? "+" : ""}${fmt(r.delta)}, noise ± ${fmt(r.noise)})`,
      );
    if (regressions.length && code === 0) code = 4;
  }
  console.log(`\nfigures: ${jsonFile}\nsummary: ${mdFile}`);
  return code;
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1]);
if (isMain) {
  main(process.argv.slice(2))
    .then(async (code) => {
      await cleanup();
      process.exit(code);
    })
    .catch(async (e) => {
      if (e instanceof UsageError) {
        console.error(`Error: ${e.message}\n${USAGE}`);
        await cleanup();
        process.exit(2);
      }
      console.error(e);
      await cleanup();
      process.exit(1);
    });
}
