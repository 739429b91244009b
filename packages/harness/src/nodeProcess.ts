import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { HarnessError } from "./errors.js";
import type { ProcessRegistry } from "./registry.js";

/**
 * A node run by a per-process entry point of a node package (`@parapipe/collator/bin` ...): it takes its options
 * as one JSON argument and prints JSON lines: a ready line (`{"ready": true, ...}`, `R`), status lines (`S`),
 * `{"ready": false, "error": ...}` when it cannot start. Kept: the ready line, every status, the stderr tail.
 */
export class NodeProcess<R extends { ready: true }, S> {
  ready?: R;
  startError?: Record<string, unknown>;
  status?: S;
  /** Every status line, oldest first. */
  readonly statuses: Array<{ at: number; status: S }> = [];
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  readonly stderr: string[] = [];
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on("line", (l) => this.onLine(l));
    createInterface({ input: child.stderr! }).on("line", (l) => {
      this.stderr.push(l);
      if (this.stderr.length > 40) this.stderr.shift();
      if (process.env.LOG_LEVEL !== undefined) process.stderr.write(`[${name}] ${l}\n`);
    });
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        resolve();
      }),
    );
  }

  /** Starts `node <entry> <JSON options>`, tracked by `registry`. */
  static spawn<R extends { ready: true }, S>(
    name: string,
    entry: string,
    opts: unknown,
    registry: ProcessRegistry,
  ): NodeProcess<R, S> {
    const child = spawn(process.execPath, [entry, JSON.stringify(opts)], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env },
    });
    const p = new NodeProcess<R, S>(name, child);
    registry.track(p);
    return p;
  }

  /** Whether the process has not exited. */
  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Resolves once the process printed its ready line; fails on a start error, an early exit or the timeout. */
  async waitReady(timeoutMs: number): Promise<R> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.ready) return this.ready;
      if (this.startError)
        throw new HarnessError(
          { code: "NODE_START_FAILED", node: this.name, reason: JSON.stringify(this.startError) },
          `${this.name} failed to start: ${JSON.stringify(this.startError)}`,
        );
      if (this.exit)
        throw new HarnessError(
          { code: "NODE_START_FAILED", node: this.name, reason: `exited ${JSON.stringify(this.exit)}` },
          `${this.name} exited before ready (${JSON.stringify(this.exit)}); stderr: ${this.stderrTail()}`,
        );
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new HarnessError(
      { code: "NODE_START_FAILED", node: this.name, reason: "timeout" },
      `${this.name} not ready after ${timeoutMs} ms; stderr: ${this.stderrTail()}`,
    );
  }

  /** Sends `signal`; resolves once the process exited (false on timeout). */
  async kill(signal: NodeJS.Signals, timeoutMs: number): Promise<boolean> {
    if (!this.alive) return true;
    this.child.kill(signal);
    if (!this.alive) return true;
    let t: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((r) => {
      t = setTimeout(() => r(false), timeoutMs);
    });
    const r = await Promise.race([this.exited.then(() => true as const), timedOut]);
    clearTimeout(t);
    return r;
  }

  /** The last `n` stderr lines, joined. */
  stderrTail(n = 8): string {
    return this.stderr.slice(-n).join(" | ") || "(empty)";
  }

  private onLine(l: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(l) as Record<string, unknown>;
    } catch {
      this.stderr.push(`stdout: ${l}`);
      return;
    }
    if (msg.ready === true) this.ready = msg as unknown as R;
    else if (msg.ready === false) this.startError = msg.error as Record<string, unknown>;
    else if (msg.closed !== true) {
      this.status = msg as unknown as S;
      this.statuses.push({ at: Date.now(), status: this.status });
    }
  }
}
