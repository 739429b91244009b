import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  bootstrapNoise,
  compareFigures,
  distribution,
  type Figure,
  fmt,
  meanFigure,
  percentile,
  percentileFigure,
  ratioFigure,
  valueFigure,
} from "../../figures.js";
import { parseBenchArgs, readBaseline, UsageError } from "../../run.js";

const head = (key: string, better: Figure["better"] = "higher", unit = "ms") => ({ key, label: key, unit, better });

describe("bench figures: statistics", () => {
  it("takes nearest-rank percentiles (p99 of few samples is the largest)", () => {
    const xs = [5, 1, 4, 2, 3];
    assert.equal(percentile(xs, 50), 3);
    assert.equal(percentile(xs, 99), 5);
    assert.equal(percentile(xs, 0), 1);
    assert.equal(percentile([], 50), undefined);
    assert.deepEqual(distribution([2, 4]), { n: 2, mean: 3, median: 2, p95: 4, p99: 4, max: 4 });
  });

  it("gives a mean 1.96 standard errors of noise, and none to a constant series", () => {
    const f = meanFigure(head("a"), [1, 2, 3, 4]);
    assert.equal(f.value, 2.5);
    assert.ok(Math.abs(f.noise - (1.96 * Math.sqrt(5 / 3)) / 2) < 1e-12);
    assert.equal(meanFigure(head("b"), [0.5, 0.5, 0.5]).noise, 0);
    assert.equal(meanFigure(head("c"), []).value, null);
  });

  it("bootstraps percentile noise deterministically, zero for identical samples", () => {
    const xs = Array.from({ length: 200 }, (_, i) => (i * 37) % 101);
    const a = bootstrapNoise(xs, (s) => percentile(s, 50));
    assert.equal(
      a,
      bootstrapNoise(xs, (s) => percentile(s, 50)),
    );
    assert.ok(a > 0 && a < 20, `noise ${a}`);
    assert.equal(percentileFigure(head("p"), [7, 7, 7, 7], 99).noise, 0);
  });

  it("propagates relative noise through a ratio", () => {
    const r = ratioFigure(head("r"), valueFigure(head("a"), 2, 0.2, 10), valueFigure(head("b"), 1, 0.1, 10));
    assert.equal(r.value, 2);
    assert.ok(Math.abs(r.noise - 2 * Math.sqrt(0.01 + 0.01)) < 1e-12);
    assert.equal(ratioFigure(head("z"), valueFigure(head("a"), 1), valueFigure(head("b"), 0)).value, null);
  });
});

describe("bench figures: --compare", () => {
  const fig = (key: string, value: number | null, noise: number, better: Figure["better"], unit = "ms", n = 10) =>
    ({ ...head(key, better, unit), value, noise, n }) as Figure;

  it("flags a figure that got worse by more than both runs' noise, in its own direction", () => {
    const base = [fig("up", 100, 3, "higher"), fig("down", 100, 3, "lower"), fig("same", 100, 3, "higher")];
    const now = [fig("up", 90, 3, "higher"), fig("down", 90, 3, "lower"), fig("same", 97, 3, "higher")];
    const v = Object.fromEntries(compareFigures(base, now).map((c) => [c.key, c.verdict]));
    assert.deepEqual(v, { up: "regression", down: "improvement", same: "within noise" });
  });

  it("counts a 1 % floor for figures measured without noise, none for planck figures", () => {
    const c = compareFigures(
      [fig("t", 1000, 0, "higher", "tx/s", 0), fig("e", 0, 0, "lower", "planck", 0)],
      [fig("t", 995, 0, "higher", "tx/s", 0), fig("e", 1, 0, "lower", "planck", 0)],
    );
    assert.deepEqual(
      c.map((x) => [x.key, x.verdict]),
      [
        ["t", "within noise"],
        ["e", "regression"],
      ],
    );
  });

  it("leaves out figures missing or null in either run, and never flags informational ones", () => {
    const c = compareFigures(
      [fig("a", 1, 0, "higher"), fig("b", null, 0, "higher"), fig("i", 5, 0, "none")],
      [fig("b", 2, 0, "higher"), fig("c", 3, 0, "higher"), fig("i", 50, 0, "none")],
    );
    assert.deepEqual(
      c.map((x) => [x.key, x.verdict]),
      [["i", "informational"]],
    );
  });
});

describe("bench command line and baseline files", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "parapipe-bench-unit-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("parses its flags and refuses unknown ones, unknown sections and missing values", () => {
    const o = parseBenchArgs(["--quick", "--only", "pipeline,economics", "--compare=x.json"], "/out");
    assert.deepEqual(o, { quick: true, only: ["pipeline", "economics"], compare: "x.json", out: "/out" });
    assert.equal(parseBenchArgs(["--help"], "/out"), "help");
    assert.throws(() => parseBenchArgs(["--fast"], "/out"), UsageError);
    assert.throws(() => parseBenchArgs(["--only", "pipline"], "/out"), /unknown section "pipline"/);
    assert.throws(() => parseBenchArgs(["--compare"], "/out"), /--compare needs a value/);
    assert.throws(() => parseBenchArgs(["--only", ","], "/out"), /--only/);
  });

  it("reads a result file as a baseline and says why another file is not one", async () => {
    const good = join(dir, "good.json");
    await writeFile(
      good,
      JSON.stringify({
        bench: "parapipe",
        date: "2026-11-22T00:00:00.000Z",
        options: { quick: true },
        sections: [
          { section: "x", figures: [{ key: "x.a", label: "a", value: 1, noise: 0, n: 0, unit: "", better: "higher" }] },
          { section: "y", error: "failed" },
        ],
      }),
    );
    const b = await readBaseline(good);
    assert.equal(b.quick, true);
    assert.deepEqual(
      b.figures.map((f) => [f.key, f.value]),
      [["x.a", 1]],
    );
    const cases: Array<[string, string, RegExp]> = [
      ["missing.json", "", /cannot read/],
      ["text.json", "not json", /is not JSON/],
      ["other.json", JSON.stringify({ bench: "pipeline", results: [] }), /not a result of npm run bench/],
      [
        "badfig.json",
        JSON.stringify({ bench: "parapipe", sections: [{ figures: [{ key: "k", value: "1", noise: 0 }] }] }),
        /sections\[0\]\.figures\[0\] is not a figure/,
      ],
    ];
    for (const [name, text, re] of cases) {
      const f = join(dir, name);
      if (text) await writeFile(f, text);
      await assert.rejects(readBaseline(f), (e: unknown) => e instanceof UsageError && re.test(e.message));
    }
  });
});

describe("bench figures: formatting", () => {
  it("keeps small values' significant digits and groups big ones", () => {
    assert.equal(fmt(0.013069216757741347), "0.013069");
    assert.equal(fmt(1234567.8), "1,234,568");
    assert.equal(fmt(5.5), "5.50");
    assert.equal(fmt(null), "n/a");
    assert.equal(fmt(0), "0");
  });
});
