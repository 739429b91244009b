/**
 * Reading what a `parapipe collator` process logged about its own parablocks (JSON lines, `--log-format json`,
 * every start appended to one file) and checking it against crashes: which blocks each start reloaded from its
 * LevelDB segment, which it prepared and dropped, and whether it ever held two blocks for one height.
 *
 * The lines read are the collator's info lines (`packages/collator/src/node.ts`): "Unincluded segment reloaded
 * (N blocks)" with `segment: "#3:pendingAvailability,#4:seconded"` once per start, "Prepared block for
 * proposing at N (x ms)" with `number`, `hash`, `relayParent` after a built block is persisted and imported (and
 * before it is announced), and "Segment block dropped" with `number`, `hash`, `reason`. The node logs
 * synchronously to its file, so a line written before a SIGKILL is on disk.
 */
import { readFileSync } from "node:fs";

/** The message a collator logs once per start, after it opened its segment (`UnincludedSegmentStore.open`). */
export const SEGMENT_RELOADED = "Unincluded segment reloaded";
/** The message a collator logs for each block it built (persisted in the segment, imported, not yet announced). */
export const BLOCK_PREPARED = "Prepared block for proposing at ";
/** The message a collator logs for each block it removed from the segment without inclusion. */
export const SEGMENT_DROPPED = "Segment block dropped";

/** One JSON log line: its time (ms since the epoch), message and structured fields. */
export interface LogLine {
  time: number;
  msg: string;
  module?: string;
  [field: string]: unknown;
}

/** Every JSON line of a log file, in order; lines that are not JSON (a torn last line) are skipped. */
export function readLogLines(path: string): LogLine[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  const out: LogLine[] = [];
  for (const raw of text.split("\n")) {
    if (!raw.startsWith("{")) continue;
    try {
      const l = JSON.parse(raw) as LogLine;
      if (typeof l.time === "number" && typeof l.msg === "string") out.push(l);
    } catch {
      // A line cut by the kill.
    }
  }
  return out;
}

/** A block event of one collator start: built (prepared) or dropped from the segment. */
export type SegmentEvent =
  | { kind: "prepared"; time: number; number: number; hash: string; relayParent: number; buildMs: number }
  | { kind: "dropped"; time: number; number: number; hash: string; reason: string };

/** What one start of a collator logged about its segment. */
export interface CollatorRun {
  /** 0 for the first start, then one per restart. */
  index: number;
  /** When the start reloaded its segment. */
  startedAt: number;
  /** The blocks the start found in its LevelDB segment: number and status, by number. */
  reloaded: Array<{ number: number; status: string }>;
  /** The count the reload line states (N of "(N blocks)"). */
  reloadedCount: number;
  /** Prepared and dropped blocks, in log order. */
  events: SegmentEvent[];
  /** Every line from the reload line on, up to the next start's reload line. */
  lines: LogLine[];
}

/** Splits a collator's log into its starts (each begins with the reload line) and their segment events. */
export function collatorRuns(lines: readonly LogLine[]): CollatorRun[] {
  const runs: CollatorRun[] = [];
  for (const l of lines) {
    if (l.msg.startsWith(SEGMENT_RELOADED)) {
      const seg = typeof l.segment === "string" ? l.segment : "";
      const reloaded = seg
        .split(",")
        .filter((x) => x !== "")
        .map((x) => {
          const m = /^#(\d+):(\w+)$/.exec(x);
          return { number: m ? Number(m[1]) : Number.NaN, status: m ? m[2]! : x };
        });
      const count = /\((\d+) blocks?\)/.exec(l.msg);
      runs.push({
        index: runs.length,
        startedAt: l.time,
        reloaded,
        reloadedCount: count ? Number(count[1]) : Number.NaN,
        events: [],
        lines: [l],
      });
      continue;
    }
    const run = runs.at(-1);
    if (!run) continue;
    run.lines.push(l);
    if (l.msg.startsWith(BLOCK_PREPARED) && typeof l.hash === "string" && typeof l.number === "number") {
      const ms = /\((\d+) ms\)/.exec(l.msg);
      run.events.push({
        kind: "prepared",
        time: l.time,
        number: l.number,
        hash: l.hash,
        relayParent: typeof l.relayParent === "number" ? l.relayParent : -1,
        buildMs: ms ? Number(ms[1]) : 0,
      });
    } else if (l.msg.startsWith(SEGMENT_DROPPED) && typeof l.hash === "string" && typeof l.number === "number") {
      run.events.push({
        kind: "dropped",
        time: l.time,
        number: l.number,
        hash: l.hash,
        reason: typeof l.reason === "string" ? l.reason : "?",
      });
    }
  }
  return runs;
}

/** What the test knew about a restart of the collator: the kill that preceded it. */
export interface RestartContext {
  /** Names the kill in messages ("kill 4/20 (collator-bob, relay slot ... +312 ms; seed 7)"). */
  label: string;
  /**
   * The largest para number any validator had included at its best block right after the kill: the collator
   * cannot have pruned a block above it as included (nor as orphaned by another block of its number).
   */
  includedAtKill: number;
}

/** The result of `auditCollatorLog`. */
export interface SegmentAudit {
  /** Every violation, each naming the collator, the start (and kill) and what the log showed. */
  problems: string[];
  /** Every block the collator logged preparing: hash to number and start. */
  prepared: Map<string, { number: number; run: number; time: number }>;
  /** Reloaded blocks no earlier start logged preparing (persisted, then killed before the log line). */
  unloggedReloads: Array<{ run: number; number: number }>;
  /** Per restart: the numbers the segment had to hold, and what the start reloaded. */
  restarts: Array<{ run: number; expected: number[]; reloaded: string }>;
}

/**
 * Checks a collator's log across its starts.
 *
 * Segment reload: a model of the collator's live segment (blocks prepared or reloaded and not dropped, by
 * number) is carried from start to start. Each restart (start k > 0, preceded by `restarts[k - 1]`) must reload
 * every block of the model above the included number at the kill: those were persisted before their log line
 * and never removed. At most one reloaded block may be unknown to the model: the block persisted in the instant
 * between `segment.add` and the "Prepared" line when the kill came. The first start reloads nothing (fresh
 * database).
 *
 * Never two blocks for one height: preparing block N while the model holds another block N (not dropped) is
 * an equivocation, whichever starts the two came from.
 */
export function auditCollatorLog(
  name: string,
  runs: readonly CollatorRun[],
  restarts: readonly RestartContext[],
): SegmentAudit {
  const problems: string[] = [];
  const prepared = new Map<string, { number: number; run: number; time: number }>();
  const unloggedReloads: Array<{ run: number; number: number }> = [];
  const restartsOut: SegmentAudit["restarts"] = [];
  /** The live segment: number to hash (null: reloaded without a "Prepared" line, hash unknown). */
  let model = new Map<number, string | null>();
  const show = (m: Map<number, string | null>) =>
    [...m].map(([n, h]) => `#${n}:${h === null ? "unlogged" : h.slice(0, 10)}`).join(",") || "empty";

  if (runs.length !== restarts.length + 1)
    problems.push(
      `${name}: ${runs.length} "${SEGMENT_RELOADED}" lines for ${restarts.length} restarts (expected ${restarts.length + 1}: the first start and one per restart)`,
    );
  for (const run of runs) {
    const reloadedText = run.reloaded.map((e) => `#${e.number}:${e.status}`).join(",") || "empty";
    if (run.reloadedCount !== run.reloaded.length || run.reloaded.some((e) => Number.isNaN(e.number)))
      problems.push(
        `${name} start ${run.index}: the reload line says ${run.reloadedCount} blocks but lists "${reloadedText}"`,
      );
    if (run.index === 0) {
      if (run.reloaded.length > 0)
        problems.push(`${name}: the first start (fresh database) reloaded a segment: ${reloadedText}`);
    } else {
      const ctx = restarts[run.index - 1];
      const what = ctx ? ctx.label : `start ${run.index} (no kill recorded)`;
      const included = ctx?.includedAtKill ?? Number.POSITIVE_INFINITY;
      const reloaded = new Set(run.reloaded.map((e) => e.number));
      const expected = [...model.keys()].filter((n) => n > included).sort((a, b) => a - b);
      const missing = expected.filter((n) => !reloaded.has(n));
      if (missing.length > 0)
        problems.push(
          `${what}: ${name}'s segment held ${missing.map((n) => `#${n}`).join(", ")} at the kill (prepared, never dropped, above the included #${included}; model ${show(model)}) but the restart reloaded only ${reloadedText}`,
        );
      const unknown = run.reloaded.filter((e) => !model.has(e.number));
      if (unknown.length > 1)
        problems.push(
          `${what}: ${name} reloaded ${unknown.map((e) => `#${e.number}`).join(", ")} which it never logged preparing (at most one block can be persisted and unlogged at a kill); model ${show(model)}`,
        );
      for (const e of unknown) unloggedReloads.push({ run: run.index, number: e.number });
      restartsOut.push({ run: run.index, expected, reloaded: reloadedText });
      const next = new Map<number, string | null>();
      for (const e of run.reloaded) next.set(e.number, model.get(e.number) ?? null);
      model = next;
    }
    for (const e of run.events) {
      if (e.kind === "prepared") {
        const held = model.get(e.number);
        if (model.has(e.number) && held !== e.hash)
          problems.push(
            `${name} built #${e.number} twice: ${held === null ? "a block reloaded from its segment" : held} is still in its segment (never dropped) when it prepared ${e.hash} (start ${run.index}, relay parent #${e.relayParent}, at ${new Date(e.time).toISOString()})`,
          );
        model.set(e.number, e.hash);
        prepared.set(e.hash, { number: e.number, run: run.index, time: e.time });
      } else {
        const held = model.get(e.number);
        if (held === e.hash || held === null) model.delete(e.number);
      }
    }
  }
  return { problems, prepared, unloggedReloads, restarts: restartsOut };
}
