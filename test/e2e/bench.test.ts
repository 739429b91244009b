/**
 * `parapipe bench`, as a user runs it: the suite's economics section (runtime only, seconds) writes a JSON and a
 * Markdown summary, and `--compare` against a baseline where one figure looked better flags that figure alone
 * (exit 4), and bad flags or a bad baseline file are one clear error (exit 2).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runCli } from "../utils/cli.js";
import { ProcessRegistry } from "../utils/processes.js";

interface ResultFile {
  bench: string;
  options: { quick: boolean; only: string[] };
  targets: Array<{ target: string; pass: boolean }>;
  sections: Array<{ section: string; figures: Array<{ key: string; value: number | null; better: string }> }>;
}

describe("parapipe bench", () => {
  const registry = new ProcessRegistry();
  const dir = mkdtempSync(join(tmpdir(), "parapipe-bench-e2e-"));
  after(async () => {
    await registry.killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs a section, writes <date>.json and <date>.md, and flags a figure worse than the baseline's", async () => {
    // A baseline where a lower-is-better economics figure was better than any run can be (below zero).
    const baseline = join(dir, "baseline.json");
    const key = "economics.issuanceDiff";
    writeFileSync(
      baseline,
      JSON.stringify({
        bench: "parapipe",
        date: "2026-01-01T00:00:00.000Z",
        options: { quick: true },
        sections: [
          {
            section: "economics",
            figures: [{ key, label: key, value: -1, unit: "planck", better: "lower", noise: 0, n: 0 }],
          },
        ],
      }),
    );
    const out = join(dir, "results");
    const r = await runCli(
      registry,
      ["bench", "--quick", "--only", "economics", "--out", out, "--compare", baseline],
      120_000,
    );
    assert.equal(r.code, 4, `exit code 4 (a regression); stderr: ${r.stderr}\nstdout: ${r.stdout.slice(-2000)}`);
    assert.match(r.stdout, /REGRESSION economics\.issuanceDiff: -1 -> /);
    assert.match(r.stdout, /: 1 regression\(s\), 0 improvement\(s\)/);
    const files = readdirSync(out).sort();
    assert.equal(files.length, 2, `two files in ${out}: ${files.join(", ")}`);
    assert.match(files[0]!, /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.json$/);
    assert.equal(files[1], files[0]!.replace(/json$/, "md"));
    const json = JSON.parse(readFileSync(join(out, files[0]!), "utf8")) as ResultFile;
    assert.equal(json.bench, "parapipe");
    assert.deepEqual(json.options.only, ["economics"]);
    const economics = json.sections.find((s) => s.section === "economics");
    assert.ok(
      economics?.figures.some((f) => f.key === key),
      `${key} among the figures`,
    );
    assert.ok(json.targets.some((t) => /equal to the planck/.test(t.target)));
    const md = readFileSync(join(out, files[1]!), "utf8");
    assert.match(md, /^# parapipe benchmark/);
    assert.match(md, /equal to the planck/);
    assert.match(md, /\| regression \|/);
    assert.match(r.stdout, /== targets ==/);
  });

  it("refuses bad flags and a baseline that is not a result, in one line and exit 2", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["bench", "--fast"], /^Error: unknown argument "--fast"/],
      [["bench", "--only", "pipline"], /^Error: --only: unknown section "pipline"/],
      [["bench", "--compare", join(dir, "missing.json")], /^Error: --compare: cannot read .*missing\.json/],
    ];
    const notResult = join(dir, "not-a-result.json");
    writeFileSync(notResult, JSON.stringify({ hello: "world" }));
    cases.push([["bench", "--compare", notResult], /^Error: --compare: .* is not a result of npm run bench/]);
    for (const [args, re] of cases) {
      const r = await runCli(registry, args, 60_000);
      assert.equal(r.code, 2, `${args.join(" ")}: exit code; stderr: ${r.stderr}`);
      assert.match(r.stderr.split("\n")[0]!, re, args.join(" "));
      assert.match(r.stderr, /usage: npm run bench/);
    }
  });
});
