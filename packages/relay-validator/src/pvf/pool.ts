import { Worker } from "node:worker_threads";
import type { PvfRequest, PvfResponse } from "./protocol.js";
import { threadCpuMs } from "./threadCpu.js";

/** The outcome of validating a candidate's PoV. */
export type PvfOutcome =
  | { kind: "valid"; headData: Uint8Array; hrmpWatermark: number; ms: number }
  | { kind: "invalid"; code: string; message: string; ms: number }
  | { kind: "timeout"; timeoutMs: number; clock: "cpu" | "wall" };

/** Options of the PVF worker pool. */
export interface PvfPoolOptions {
  /** Worker threads (1 or 2 on a 2-core machine: backing must not starve block authoring). */
  workers: number;
  /**
   * Execution timeout (upstream: 2 s backing timeout at 6 s slots; scaled with the slot), in CPU time of the
   * worker thread where procfs gives it (Linux), as Polkadot's PVF host counts it: a machine loaded by other
   * work stretches wall-clock time, not the work a block takes. A job also fails after
   * `wallClockFactor` × `timeoutMs` of wall-clock time, and everywhere on wall clock without procfs.
   */
  timeoutMs: number;
  /** Upstream `JOB_TIMEOUT_WALL_CLOCK_FACTOR`: 4. */
  wallClockFactor?: number;
}

/** Upstream `JOB_TIMEOUT_WALL_CLOCK_FACTOR`. */
export const JOB_TIMEOUT_WALL_CLOCK_FACTOR = 4;

/** What the pool reports to metrics. */
export interface PvfMetrics {
  pvfExecution(seconds: number, outcome: PvfOutcome["kind"]): void;
}

interface Job {
  req: PvfRequest;
  resolve: (o: PvfOutcome) => void;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  isReady: boolean;
  /** Warm-ups sent and not yet answered: a warming worker takes no job (its timer would count the warm-up). */
  warming: number;
  /** The worker thread's kernel id (reported at start-up), for its CPU time; undefined without procfs. */
  tid?: number;
  busy?: { job: Job; timer: NodeJS.Timeout; started: number };
}

/**
 * Runs PVFs (`validateBlock`) in worker threads with a timeout, as Polkadot's candidate-validation runs them
 * in separate workers: a block that never finishes cannot stall the validator; a worker that times out is
 * terminated and replaced. Jobs queue when all workers are busy.
 */
export class PvfPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly opts: PvfPoolOptions,
    private readonly modules: { metrics?: PvfMetrics } = {},
  ) {
    for (let i = 0; i < Math.max(1, opts.workers); i++) this.slots.push(this.spawn());
  }

  /** Validates a PoV: `params` are SCALE ValidationParams, `code` the para's validation code. */
  execute(code: Uint8Array, params: Uint8Array): Promise<PvfOutcome> {
    if (this.closed)
      return Promise.resolve({ kind: "invalid", code: "PVF_POOL_CLOSED", message: "the PVF pool is closed", ms: 0 });
    return new Promise((resolve) => {
      this.queue.push({ req: { id: this.nextId++, code, params }, resolve });
      this.pump();
    });
  }

  private readonly warmCodes: Uint8Array[] = [];

  /**
   * Instantiates the runtime of a validation code in every worker ahead of time (building a runtime and its
   * metadata costs more than a scaled-down execution timeout allows). Also applied to replacement workers.
   */
  warm(code: Uint8Array): void {
    this.warmCodes.push(code);
    for (const s of this.slots) {
      if (!s.isReady) continue; // warmed when it reports ready
      s.warming++;
      s.worker.postMessage({ warm: code });
    }
  }

  /** Resolves when every worker is started and warmed (for tests and start-up). */
  async ready(): Promise<void> {
    while (this.slots.some((s) => !s.isReady || s.warming > 0)) {
      await Promise.all(this.slots.map((s) => s.ready));
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Terminates every worker; pending jobs resolve as invalid. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.queue.splice(0))
      job.resolve({ kind: "invalid", code: "PVF_POOL_CLOSED", message: "closed", ms: 0 });
    await Promise.all(
      this.slots.map(async (s) => {
        if (s.busy) {
          clearTimeout(s.busy.timer);
          s.busy.job.resolve({ kind: "invalid", code: "PVF_POOL_CLOSED", message: "closed", ms: 0 });
        }
        await s.worker.terminate();
      }),
    );
  }

  private spawn(): Slot {
    const worker = new Worker(new URL("./worker.js", import.meta.url));
    worker.unref();
    let markReady!: () => void;
    const slot: Slot = { worker, ready: new Promise((r) => (markReady = r)), isReady: false, warming: 0 };
    worker.on("message", (msg: PvfResponse | { ready: true; tid?: number } | { warmed: true }) => {
      if ("ready" in msg) {
        slot.tid = msg.tid;
        for (const code of this.warmCodes) {
          slot.warming++;
          worker.postMessage({ warm: code });
        }
        slot.isReady = true;
        if (slot.warming === 0) {
          markReady();
          this.pump();
        }
        return;
      }
      if ("warmed" in msg) {
        slot.warming--;
        if (slot.warming === 0) {
          markReady();
          this.pump();
        }
        return;
      }
      const busy = slot.busy;
      if (!busy || busy.job.req.id !== msg.id) return;
      clearTimeout(busy.timer);
      slot.busy = undefined;
      const outcome: PvfOutcome = msg.valid
        ? { kind: "valid", headData: msg.headData, hrmpWatermark: msg.hrmpWatermark, ms: msg.ms }
        : { kind: "invalid", code: msg.code, message: msg.message, ms: msg.ms };
      this.modules.metrics?.pvfExecution(msg.ms / 1000, outcome.kind);
      busy.job.resolve(outcome);
      this.pump();
    });
    worker.on("error", (err) => {
      // A crashed worker fails its job and is replaced.
      const busy = slot.busy;
      slot.busy = undefined;
      if (busy) {
        clearTimeout(busy.timer);
        busy.job.resolve({
          kind: "invalid",
          code: "PVF_WORKER_CRASHED",
          message: err.message,
          ms: performance.now() - busy.started,
        });
      }
      this.replace(slot);
    });
    return slot;
  }

  private replace(old: Slot): void {
    const i = this.slots.indexOf(old);
    void old.worker.terminate();
    if (i >= 0 && !this.closed) {
      this.slots[i] = this.spawn();
    }
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      // Only ready workers take jobs (start-up is not execution time); the ready handler pumps again.
      if (slot.busy || !slot.isReady || slot.warming > 0) continue;
      const job = this.queue.shift()!;
      const started = performance.now();
      const cpuStart = slot.tid === undefined ? undefined : threadCpuMs(slot.tid);
      const expire = (clock: "cpu" | "wall") => {
        if (slot.busy?.job !== job) return;
        slot.busy = undefined;
        this.modules.metrics?.pvfExecution(this.opts.timeoutMs / 1000, "timeout");
        job.resolve({ kind: "timeout", timeoutMs: this.opts.timeoutMs, clock });
        this.replace(slot);
        this.pump();
      };
      // Upstream's CPU-time monitor: wait for the CPU budget left (CPU time cannot grow faster than wall time),
      // read the thread's CPU time again, and give up at the wall-clock cap.
      const timeout = this.opts.timeoutMs;
      const wallCap = timeout * (this.opts.wallClockFactor ?? JOB_TIMEOUT_WALL_CLOCK_FACTOR);
      const monitor = (): void => {
        const busy = slot.busy;
        if (busy?.job !== job) return;
        const elapsed = performance.now() - started;
        const cpuNow = slot.tid === undefined || cpuStart === undefined ? undefined : threadCpuMs(slot.tid);
        const used = cpuNow === undefined || cpuStart === undefined ? elapsed : cpuNow - cpuStart;
        if (used >= timeout || elapsed >= wallCap) {
          expire(used >= timeout && cpuNow !== undefined ? "cpu" : "wall");
          return;
        }
        busy.timer = setTimeout(monitor, Math.max(5, Math.min(timeout - used, wallCap - elapsed)));
      };
      slot.busy = { job, timer: setTimeout(monitor, timeout), started };
      slot.worker.postMessage(job.req);
    }
  }
}
