import { type ChildProcess, spawn } from "node:child_process";
import { PARAPIPE_BIN } from "@parapipe/cli";
import { HarnessError } from "./errors.js";
import { portFree } from "./ports.js";
import type { ProcessRegistry } from "./registry.js";

/** The binary users run (`packages/cli/bin/parapipe.js`). */
export const PARAPIPE: string = PARAPIPE_BIN;

/** A running `parapipe` process and what it printed. */
export class CliProcess {
  stdout = "";
  stderr = "";
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly args: string[],
    readonly child: ChildProcess,
  ) {
    child.stdout?.on("data", (d: Buffer) => {
      this.stdout += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((resolve) =>
      child.on("exit", (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      }),
    );
  }

  /** Whether the process has not exited. */
  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Waits until `pred(stdout + stderr)` holds; throws with the output when the process exits or time runs out. */
  async waitForOutput(pred: (out: string) => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.stdout + this.stderr)) {
      if (!this.alive || Date.now() > deadline)
        throw new HarnessError(
          {
            code: "WAIT_TIMEOUT",
            what,
            timeoutMs,
            lastObserved: this.alive ? "output so far" : `exit ${JSON.stringify(this.exit)}`,
          },
          `${what}: ${this.alive ? `not within ${timeoutMs} ms` : `the process exited (${JSON.stringify(this.exit)})`}\n--- stdout:\n${this.stdout.slice(-4000)}\n--- stderr:\n${this.stderr.slice(-4000)}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Sends `signal` and waits for the exit; true if it exited within `timeoutMs`. */
  async kill(signal: NodeJS.Signals, timeoutMs: number): Promise<boolean> {
    if (!this.alive) return true;
    this.child.kill(signal);
    const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), timeoutMs).unref());
    return (await Promise.race([this.exited, timer])) !== "timeout";
  }
}

/** Starts `parapipe <args>` (tracked by `registry`). */
export function startCli(registry: ProcessRegistry, args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [PARAPIPE, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const p = new CliProcess(args, child);
  registry.track(p);
  return p;
}

/** Runs `parapipe <args>` to completion (killed after `timeoutMs`). */
export async function runCli(
  registry: ProcessRegistry,
  args: string[],
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = startCli(registry, args);
  const timer = setTimeout(() => p.child.kill("SIGKILL"), timeoutMs);
  const { code } = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout, stderr: p.stderr };
}

/**
 * Base ports for `parapipe devnet --port/--rpc-port/--prometheus-port` whose ranges are all free (validators
 * +0..+3, collators +1000.. on p2p, +44/+45 on RPC, +10/+11 on Prometheus).
 */
export async function freeDevnetPorts(): Promise<{ p2p: number; rpc: number; prom: number; all: number[] }> {
  for (;;) {
    const p2p = 20_000 + Math.floor(Math.random() * 20_000);
    const rpc = p2p + 2000;
    const prom = p2p + 3000;
    const all = [
      ...[0, 1, 2, 3, 1000, 1001, 1002, 1003].map((d) => p2p + d),
      ...[0, 1, 2, 3, 44, 45].map((d) => rpc + d),
      ...[0, 1, 2, 3, 10, 11].map((d) => prom + d),
    ];
    if ((await Promise.all(all.map(portFree))).every(Boolean)) return { p2p, rpc, prom, all };
  }
}
