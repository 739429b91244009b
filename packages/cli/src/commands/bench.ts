import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CliError } from "../errors.js";

/** `parapipe bench`: runs the repository's benchmark suite (`bench/suite`, what `npm run bench` runs). */
export const BENCH_COMMAND = {
  name: "bench",
  summary: "Benchmark the pipeline, execution window, throughput, latency, economics and scale (npm run bench)",
};

/** Where the built suite runner lives: `<repo>/bench/suite/dist/run.js` (this file is `packages/cli/dist/src/commands/bench.js`). */
export function benchRunnerPath(): string {
  return fileURLToPath(new URL("../../../../../bench/suite/dist/run.js", import.meta.url));
}

/**
 * Runs the suite in a child process with this terminal, so the suite's own flags and `--help` are the same as
 * `npm run bench -- <flags>`, and returns its exit code. `runner` is where the built suite is (tests point it
 * elsewhere). Ctrl-C reaches the child (same process group); this
 * process waits for it to stop its nodes.
 */
export async function benchCommand(argv: string[], runner = benchRunnerPath()): Promise<number> {
  if (!existsSync(runner))
    throw new CliError(
      { code: "BENCH_UNAVAILABLE", path: runner },
      `the benchmark suite is not built (${runner} is missing): it runs from a clone of the repository after \`npm ci && npm run build\``,
    );
  const polyfill = import.meta.resolve("@parapipe/primitives/polyfill");
  const child = spawn(process.execPath, ["--import", polyfill, runner, ...argv], { stdio: "inherit" });
  const ignore = () => {};
  process.on("SIGINT", ignore);
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  return await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      process.off("SIGINT", ignore);
      resolve(code ?? (signal === "SIGINT" ? 130 : 1));
    });
  });
}
