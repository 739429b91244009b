import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";

/** A child process a registry can stop: `NodeProcess`, `CliProcess`, a network's process nodes. */
export interface TrackedProcess {
  readonly alive: boolean;
  readonly child: ChildProcess;
  /** Sends `signal`; resolves true once the process exited, false after `timeoutMs`. */
  kill(signal: NodeJS.Signals, timeoutMs: number): Promise<boolean>;
}

/** Registries with something to clean up; one set of process hooks serves them all. */
const live = new Set<ProcessRegistry>();
let hooked = false;

function onExit(): void {
  for (const r of live) r.killNow();
}

function onSignal(signal: NodeJS.Signals): void {
  onExit();
  unhook();
  // Die of the signal as if nothing had caught it (exit code 128 + n, the parent sees the signal).
  process.kill(process.pid, signal);
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", onExit);
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
}

function unhook(): void {
  if (!hooked) return;
  hooked = false;
  process.off("exit", onExit);
  process.off("SIGTERM", onSignal);
  process.off("SIGINT", onSignal);
}

/**
 * Every child process and temp dir a test (or a network) started. `killAll()` stops the children (SIGTERM, then
 * SIGKILL) and removes the dirs; if the test process ends first (exit, SIGINT, SIGTERM, an uncaught error) a
 * hook SIGKILLs the children and removes the dirs synchronously. Children started with an IPC channel
 * (`processes: true` networks) also stop by themselves if this process is killed with SIGKILL.
 */
export class ProcessRegistry {
  private readonly procs = new Set<TrackedProcess>();
  private readonly dirs = new Set<string>();

  /** Stops `p` in `killAll()`, or on exit. */
  track(p: TrackedProcess): void {
    this.procs.add(p);
    live.add(this);
    hook();
  }

  /** Removes `dir` in `killAll()`, or on exit if the test process ends before `after` ran. */
  removeOnExit(dir: string): void {
    this.dirs.add(dir);
    live.add(this);
    hook();
  }

  /** The processes tracked and not yet reaped by `killAll()`. */
  processes(): TrackedProcess[] {
    return [...this.procs];
  }

  /** Stops every tracked process (SIGTERM, then SIGKILL for those still running after `graceMs`); removes the dirs. */
  async killAll(graceMs = 5000): Promise<void> {
    await Promise.all(
      [...this.procs].map(async (p) => {
        if (await p.kill("SIGTERM", graceMs)) return;
        await p.kill("SIGKILL", 5000);
      }),
    );
    this.procs.clear();
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true, maxRetries: 3 });
    this.dirs.clear();
    live.delete(this);
    if (live.size === 0) unhook();
  }

  /** SIGKILLs every live child and removes the dirs, synchronously (the exit hook). */
  killNow(): void {
    for (const p of this.procs) if (p.alive && p.child.pid !== undefined) tryKill(p.child.pid, "SIGKILL");
    for (const d of this.dirs) {
      try {
        rmSync(d, { recursive: true, force: true });
      } catch {
        // a best effort on the way out
      }
    }
  }
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
