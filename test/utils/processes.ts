/**
 * Nodes as child processes (the per-process entry points of the node packages), for tests that kill a node for
 * real: free ports, spawning, the JSON lines each process prints, and killing every child (and removing every
 * temp dir) even when a test fails or the test process itself is stopped.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";

/** A TCP port free on 127.0.0.1 right now (the OS picks it; it is released before returning). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A node in a child process: its ready line, its status lines (`S`), its stderr tail. */
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

  /** Starts `node <entry> <JSON options>`. */
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

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Resolves once the process printed its ready line; fails on a start error, an early exit or the timeout. */
  async waitReady(timeoutMs: number): Promise<R> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.ready) return this.ready;
      if (this.startError) throw new Error(`${this.name} failed to start: ${JSON.stringify(this.startError)}`);
      if (this.exit)
        throw new Error(
          `${this.name} exited before ready (${JSON.stringify(this.exit)}); stderr: ${this.stderrTail()}`,
        );
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms; stderr: ${this.stderrTail()}`);
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

/**
 * Every child (and temp dir) a test started: `killAll()` in `after` stops them (SIGTERM, then SIGKILL) and
 * removes the dirs; `exit`, SIGTERM and SIGINT hooks do the same if the test process ends first.
 */
export class ProcessRegistry {
  private readonly procs = new Set<{
    alive: boolean;
    kill(s: NodeJS.Signals, t: number): Promise<boolean>;
    child: ChildProcess;
  }>();
  private readonly dirs = new Set<string>();
  private readonly onExit = () => {
    for (const p of this.procs) if (p.alive && p.child.pid !== undefined) tryKill(p.child.pid, "SIGKILL");
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  };
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.onExit();
    this.detach();
    process.kill(process.pid, signal);
  };

  constructor() {
    process.on("exit", this.onExit);
    process.once("SIGTERM", this.onSignal);
    process.once("SIGINT", this.onSignal);
  }

  track(p: { alive: boolean; kill(s: NodeJS.Signals, t: number): Promise<boolean>; child: ChildProcess }): void {
    this.procs.add(p);
  }

  /** Removes `dir` in `killAll()`, or on exit if the test process ends before `after` ran. */
  removeOnExit(dir: string): void {
    this.dirs.add(dir);
  }

  /** Stops every tracked process: SIGTERM, and SIGKILL for those still running after `graceMs`. */
  async killAll(graceMs = 5000): Promise<void> {
    await Promise.all(
      [...this.procs].map(async (p) => {
        if (await p.kill("SIGTERM", graceMs)) return;
        await p.kill("SIGKILL", 5000);
      }),
    );
    this.procs.clear();
    this.detach();
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    this.dirs.clear();
  }

  private detach(): void {
    process.off("exit", this.onExit);
    process.off("SIGTERM", this.onSignal);
    process.off("SIGINT", this.onSignal);
  }
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
