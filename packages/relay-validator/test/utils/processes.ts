/**
 * Relay validators as child processes (`src/bin/validatorProcess.ts`), for tests that kill a node for real:
 * free ports, spawning, reading the JSON lines each process prints, and killing every child even when a test
 * fails (or the test process itself exits).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { ValidatorProcessOptions, ValidatorStatusLine } from "../../src/bin/validatorProcess.js";

const ENTRY = fileURLToPath(new URL("../../src/bin/validatorProcess.js", import.meta.url));

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

/** The line a process prints once started. */
export interface ReadyLine {
  ready: true;
  peerId: string;
  addrs: string[];
  best: number;
  finalized: number;
}

/** A validator running in a child process, with what it last reported. */
export class ValidatorProcess {
  ready?: ReadyLine;
  /** The start failure it reported, if any. */
  startError?: Record<string, unknown>;
  status?: ValidatorStatusLine;
  statusLines = 0;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  /** The last stderr lines (logs when LOG_LEVEL is set, or a crash). */
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

  /** Starts `validatorProcess.js` with `opts` (`name` only labels output). */
  static spawn(name: string, opts: ValidatorProcessOptions, registry: ProcessRegistry): ValidatorProcess {
    const child = spawn(process.execPath, [ENTRY, JSON.stringify(opts)], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env },
    });
    const p = new ValidatorProcess(name, child);
    registry.track(p);
    return p;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** One line saying what the process last reported. */
  describe(): string {
    const s = this.status;
    const state = this.exit
      ? `exited (code ${this.exit.code}, signal ${this.exit.signal})`
      : this.ready
        ? "running"
        : "starting";
    const st = s ? `#${s.best}/f#${s.finalized} authored ${s.authored} peers ${s.peers}` : "no status yet";
    return `${this.name} ${state} ${st}`;
  }

  /** Resolves once the process printed its ready line; fails on a start error, an early exit or the timeout. */
  async waitReady(timeoutMs: number): Promise<ReadyLine> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.ready) return this.ready;
      if (this.startError) throw new Error(`${this.name} failed to start: ${JSON.stringify(this.startError)}`);
      if (this.exit)
        throw new Error(`${this.name} exited before ready: ${this.describe()}; stderr: ${this.stderrTail()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms; stderr: ${this.stderrTail()}`);
  }

  /** Sends `signal`; resolves once the process exited (false on timeout). */
  async kill(signal: NodeJS.Signals, timeoutMs: number): Promise<boolean> {
    if (!this.alive) return true;
    this.child.kill(signal);
    return this.waitExit(timeoutMs);
  }

  /** Resolves to whether the process exited within `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<boolean> {
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
    if (msg.ready === true) this.ready = msg as unknown as ReadyLine;
    else if (msg.ready === false) this.startError = msg.error as Record<string, unknown>;
    else if (typeof msg.best === "number") {
      this.status = msg as unknown as ValidatorStatusLine;
      this.statusLines++;
    }
  }
}

/**
 * Every child (and temp dir) a test started: `killAll()` in `after` stops them (SIGTERM, then SIGKILL) and
 * removes the dirs; `exit`, SIGTERM and SIGINT hooks do the same if the test process ends first.
 */
export class ProcessRegistry {
  private readonly procs = new Set<ValidatorProcess>();
  private readonly dirs = new Set<string>();
  private readonly onExit = () => {
    for (const p of this.procs) if (p.alive && p.pid !== undefined) tryKill(p.pid, "SIGKILL");
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  };
  // The test runner stops a file's process with SIGTERM (SIGINT from a terminal): kill the children first, then
  // die of the same signal.
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

  track(p: ValidatorProcess): void {
    this.procs.add(p);
  }

  /** Removes `dir` in `killAll()`, or on exit if the test process ends before `after` ran. */
  removeOnExit(dir: string): void {
    this.dirs.add(dir);
  }

  /** Stops every tracked process: SIGTERM, and SIGKILL for those still running after `graceMs`. */
  async killAll(graceMs = 5000): Promise<void> {
    const procs = [...this.procs];
    await Promise.all(
      procs.map(async (p) => {
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
