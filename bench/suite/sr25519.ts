/**
 * sr25519 verifies per second, the yardstick the throughput targets are stated in: on one core with the WASM
 * path the nodes use (`sr25519Verify` of @parapipe/primitives), and with one worker thread per core verifying in
 * parallel (what the machine can do at most when every core only verifies).
 *
 * Each measurement is a series of short batches (a transfer-sized 140-byte payload, a few distinct keys and
 * signatures, as a block of transfers has), one rate sample per batch, so the figures carry their own noise
 * (`meanFigure`). The parallel measurement runs the same batches in `availableParallelism()` worker threads at
 * once (this module is also the workers' entry point) and sums the threads' rates per batch.
 */
import { availableParallelism } from "node:os";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { cryptoReady, keypairFromUri, type Sr25519Keypair, sr25519Sign, sr25519Verify } from "@parapipe/primitives";
import { type Figure, fmt, mean, meanFigure, ratioFigure } from "./figures.js";

/** Options of a verify measurement. */
export interface VerifyOptions {
  /** Batches (one rate sample each). Default 10. */
  batches?: number;
  /** Wall-clock ms per batch. Default 300. */
  batchMs?: number;
}

/** Rate samples of one measurement. */
export interface VerifyRate {
  /** Verifies per second, one per batch (for the parallel one: the threads' rates summed). */
  samples: number[];
  /** Their mean. */
  perSecond: number;
  /** Threads that verified (1 for the one-core measurement). */
  threads: number;
}

/** Signed messages to verify: `keys` transfer-sized payloads, each signed by its own key. */
function verifyFixture(keys = 8): Array<{ sig: Uint8Array; msg: Uint8Array; pub: Uint8Array }> {
  const out: Array<{ sig: Uint8Array; msg: Uint8Array; pub: Uint8Array }> = [];
  for (let i = 0; i < keys; i++) {
    const kp: Sr25519Keypair = keypairFromUri(`//VerifyBench${i}`);
    const msg = new Uint8Array(140).fill(i + 1);
    out.push({ sig: sr25519Sign(kp, msg), msg, pub: kp.publicKey });
  }
  return out;
}

/** Verifies for `ms` of wall clock (checked every 50 verifies); returns verifies per second. */
function verifyFor(ms: number, fixture: ReturnType<typeof verifyFixture>): number {
  const t0 = performance.now();
  let n = 0;
  let now = t0;
  while (now - t0 < ms) {
    for (let i = 0; i < 50; i++) {
      const f = fixture[n % fixture.length]!;
      if (!sr25519Verify(f.sig, f.msg, f.pub)) throw new Error("sr25519 verify of a valid signature failed");
      n++;
    }
    now = performance.now();
  }
  return n / ((now - t0) / 1000);
}

/** sr25519 verifies per second on this thread (one core), WASM path, `batches` samples. */
export async function sr25519VerifiesPerSecond(o: VerifyOptions = {}): Promise<VerifyRate> {
  await cryptoReady();
  const fixture = verifyFixture();
  verifyFor(100, fixture); // warm-up: WASM tiering, caches
  const samples: number[] = [];
  for (let b = 0; b < (o.batches ?? 10); b++) samples.push(verifyFor(o.batchMs ?? 300, fixture));
  return { samples, perSecond: mean(samples)!, threads: 1 };
}

/** What a worker thread of the parallel measurement is given. */
interface WorkerJob {
  kind: "parapipe-sr25519-bench";
  batches: number;
  batchMs: number;
  /** Shared barrier: each thread increments slot 0 when ready and waits until slot 1 is set. */
  barrier: SharedArrayBuffer;
}

/**
 * sr25519 verifies per second with `threads` worker threads (default one per core, `availableParallelism()`)
 * verifying at the same time: all threads start together (a shared barrier), run the same number of batches of
 * the same length, and each batch's sample is the sum of the threads' rates in it.
 */
export async function sr25519ParallelVerifiesPerSecond(
  o: VerifyOptions & { threads?: number } = {},
): Promise<VerifyRate> {
  const threads = o.threads ?? availableParallelism();
  const batches = o.batches ?? 10;
  const batchMs = o.batchMs ?? 300;
  const barrier = new SharedArrayBuffer(8);
  const flags = new Int32Array(barrier);
  const workers: Worker[] = [];
  try {
    const results = Array.from({ length: threads }, () => {
      const job: WorkerJob = { kind: "parapipe-sr25519-bench", batches, batchMs, barrier };
      const w = new Worker(new URL(import.meta.url), { workerData: job });
      workers.push(w);
      return new Promise<number[]>((resolve, reject) => {
        w.once("message", (m: number[]) => resolve(m));
        w.once("error", reject);
        w.once("exit", (code) => reject(new Error(`sr25519 worker exited with code ${code} before reporting`)));
      });
    });
    // Release the threads together once all have loaded the WASM and warmed up.
    const deadline = Date.now() + 60_000;
    while (Atomics.load(flags, 0) < threads) {
      if (Date.now() > deadline)
        throw new Error(`sr25519 workers: ${Atomics.load(flags, 0)} of ${threads} ready after 60 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
    const perThread = await Promise.all(results);
    const samples = Array.from({ length: batches }, (_, b) => perThread.reduce((a, t) => a + t[b]!, 0));
    return { samples, perSecond: mean(samples)!, threads };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Both measurements, as taken around a network run. */
export interface Sr25519Measurement {
  /** One core, WASM. */
  oneCore: VerifyRate;
  /** One worker thread per core. */
  parallel: VerifyRate;
  /** `availableParallelism()`. */
  cores: number;
}

/** One-core then parallel verify rates. */
export async function measureSr25519(o: VerifyOptions = {}): Promise<Sr25519Measurement> {
  const oneCore = await sr25519VerifiesPerSecond(o);
  const parallel = await sr25519ParallelVerifiesPerSecond(o);
  return { oneCore, parallel, cores: availableParallelism() };
}

/**
 * The figures of one or more measurements pooled (e.g. before and after a network run): `<prefix>.verifiesPerSec`
 * (one core), `<prefix>.verifiesPerSecTimesCores` (that × cores: the yardstick of the throughput target) and
 * `<prefix>.parallelVerifiesPerSec` (one thread per core, measured), with the parallel scaling as a ratio.
 */
export function sr25519Figures(prefix: string, ms: readonly Sr25519Measurement[]): Figure[] {
  const one = ms.flatMap((m) => m.oneCore.samples);
  const par = ms.flatMap((m) => m.parallel.samples);
  const cores = ms[0]?.cores ?? availableParallelism();
  const oneFig = meanFigure(
    { key: `${prefix}.verifiesPerSec`, label: "sr25519 verifies/s, one core (WASM)", unit: "/s", better: "higher" },
    one,
  );
  const timesCores = meanFigure(
    {
      key: `${prefix}.verifiesPerSecTimesCores`,
      label: `sr25519 verifies/s × ${cores} cores`,
      unit: "/s",
      better: "higher",
    },
    one.map((x) => x * cores),
  );
  const parFig = meanFigure(
    {
      key: `${prefix}.parallelVerifiesPerSec`,
      label: `sr25519 verifies/s, ${cores} worker threads in parallel`,
      unit: "/s",
      better: "higher",
    },
    par,
  );
  const scaling = ratioFigure(
    { key: `${prefix}.parallelScaling`, label: "parallel ÷ (one core × cores)", unit: "", better: "none" },
    parFig,
    timesCores,
  );
  return [oneFig, timesCores, parFig, scaling];
}

/** One line for a progress log. */
export function describeSr25519(m: Sr25519Measurement): string {
  return `sr25519 verifies/s: ${fmt(m.oneCore.perSecond, 0)} on one core, ${fmt(m.parallel.perSecond, 0)} with ${m.parallel.threads} threads`;
}

// Worker entry: the parallel measurement runs this module in each thread.
if (!isMainThread && (workerData as WorkerJob | undefined)?.kind === "parapipe-sr25519-bench") {
  const job = workerData as WorkerJob;
  const flags = new Int32Array(job.barrier);
  await cryptoReady();
  const fixture = verifyFixture();
  verifyFor(100, fixture);
  Atomics.add(flags, 0, 1);
  Atomics.wait(flags, 1, 0);
  const rates: number[] = [];
  for (let b = 0; b < job.batches; b++) rates.push(verifyFor(job.batchMs, fixture));
  parentPort!.postMessage(rates);
}
