import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, test } from "node:test";
import { benchCommand, benchRunnerPath } from "../../src/commands/bench.js";
import { CliError } from "../../src/errors.js";

describe("parapipe bench", () => {
  test("finds the suite's built runner in this clone", () => {
    assert.ok(benchRunnerPath().endsWith("/bench/suite/dist/run.js"), benchRunnerPath());
    assert.ok(existsSync(benchRunnerPath()), `${benchRunnerPath()} (built by tsc -b)`);
  });

  test("outside a built clone: one error naming the missing runner, not a crash", async () => {
    await assert.rejects(
      benchCommand(["--quick"], "/nonexistent/bench/suite/dist/run.js"),
      (e: unknown) =>
        e instanceof CliError &&
        e.code === "BENCH_UNAVAILABLE" &&
        e.exitCode === 1 &&
        /the benchmark suite is not built \(\/nonexistent\/bench\/suite\/dist\/run\.js is missing\)/.test(e.message),
    );
  });
});
