import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { cryptoReady, devKeypair, scaleBytes } from "@parapipe/primitives";
import {
  ASTAR_CYCLE,
  ASTAR_INFLATION_PARAMETERS,
  ASYNC_BACKING_CONFIG,
  type BuiltBlock,
  DevParachain,
  ParachainRuntime,
} from "@parapipe/runtime";
import { PvfPool } from "../../src/pvf/pool.js";
import { currentThreadId, parseThreadCpuMs, threadCpuMs } from "../../src/pvf/threadCpu.js";

const UNIT = 10n ** 18n;
const alice = devKeypair("Alice");
const bob = devKeypair("Bob");

function chain(blockRefTimeMs = 2000): DevParachain {
  const rt = new ParachainRuntime({ ...ASYNC_BACKING_CONFIG, paraId: 2000, blockRefTimeMs, cycle: ASTAR_CYCLE });
  return new DevParachain(rt, {
    balances: [
      [alice.publicKey, 1_000_000n * UNIT],
      [bob.publicKey, 1_000_000n * UNIT],
    ],
    auraAuthorities: [alice.publicKey, bob.publicKey],
    invulnerables: [alice.publicKey, bob.publicKey],
    inflation: { params: ASTAR_INFLATION_PARAMETERS, cycle: ASTAR_CYCLE },
  });
}

function params(c: DevParachain, parent: Uint8Array, b: BuiltBlock): Uint8Array {
  const rt = c.runtime;
  const vd = rt.parachainSystem.validationData(rt.stateAt(c.store, b.stateRoot))!;
  return rt.registry
    .createType("ValidationParams", {
      parentHead: scaleBytes(parent),
      blockData: scaleBytes(b.pov),
      relayParentNumber: vd.relayParentNumber,
      relayParentStorageRoot: vd.relayParentStorageRoot,
    })
    .toU8a();
}

describe("PVF worker pool", () => {
  let pool: PvfPool;
  before(async () => {
    await cryptoReady();
    pool = new PvfPool({ workers: 1, timeoutMs: 1500 });
    await pool.ready();
  });
  after(() => pool.close());

  it("validates a real parablock's PoV in a worker and returns its head", async () => {
    const c = chain();
    const parent = c.head.header;
    const b = c.produce({
      relaySlot: 100n,
      transactions: [c.sign(alice, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, UNIT])],
    });
    pool.warm(c.runtime.code);
    const out = await pool.execute(c.runtime.code, params(c, parent, b));
    assert.equal(out.kind, "valid", JSON.stringify(out));
    if (out.kind === "valid") assert.deepEqual(out.headData, b.header.toU8a());
  });

  it("reports an invalid PoV with the runtime's reason", async () => {
    const c = chain();
    const parent = c.head.header;
    const b = c.produce({ relaySlot: 100n });
    const wrongParent = c.blocks[1]!.header; // the block itself, not its parent
    const out = await pool.execute(c.runtime.code, params(c, wrongParent, b));
    assert.equal(out.kind, "invalid");
    if (out.kind === "invalid") assert.equal(out.code, "PARENT_HEAD_MISMATCH");
    void parent;
  });

  it("times out a PVF that runs too long, replaces the worker, and keeps serving", async () => {
    const small = new PvfPool({ workers: 1, timeoutMs: 400 });
    try {
      const c = chain(10_000);
      const parent = c.head.header;
      // ~1.6 s of Dev.compute: far over the 400 ms timeout.
      const heavy = [0, 1].map((n) => c.sign(alice, "dev", "compute", [800_000], { nonce: n }));
      const b = c.produce({ relaySlot: 100n, transactions: heavy });
      assert.equal(b.included.length, 2);
      small.warm(c.runtime.code);
      await small.ready();
      const out = await small.execute(c.runtime.code, params(c, parent, b));
      assert.equal(out.kind, "timeout");
      // Counted in the worker thread's CPU time where procfs gives it, as upstream counts it.
      assert.equal(out.kind === "timeout" && out.clock, process.platform === "linux" ? "cpu" : "wall");
      // The replacement worker (warmed before it takes a job) validates a light block.
      await small.ready();
      const parent2 = c.head.header;
      const light = c.produce({ relaySlot: 101n });
      const again = await small.execute(c.runtime.code, params(c, parent2, light));
      assert.equal(again.kind, "valid", JSON.stringify(again));
    } finally {
      await small.close();
    }
  });

  it("refuses garbage code and params with typed reasons", async () => {
    const out = await pool.execute(new TextEncoder().encode("not a runtime"), new Uint8Array([1, 2, 3]));
    assert.equal(out.kind, "invalid");
    if (out.kind === "invalid") assert.equal(out.code, "BAD_RUNTIME_CODE");
  });
});

describe("thread CPU time (the PVF timeout's clock)", () => {
  it("parses utime + stime of a stat line whose command name holds spaces and parentheses", () => {
    const line = "4242 (node (pvf) x) R 1 2 3 4 5 6 7 8 9 10 31 7 0 0 20 0 12 0 100 0 0";
    assert.equal(parseThreadCpuMs(line), 380);
    assert.equal(parseThreadCpuMs("garbage"), undefined);
    assert.equal(parseThreadCpuMs("1 (x) R 1 2"), undefined);
  });

  it("reads this thread's CPU time, which grows with work and not with sleeping", {
    skip: process.platform !== "linux" && "procfs is Linux-only",
  }, async () => {
    const tid = currentThreadId();
    assert.ok(tid !== undefined, "a thread id from /proc/thread-self");
    const before = threadCpuMs(tid);
    assert.ok(before !== undefined);
    await new Promise((r) => setTimeout(r, 200));
    const slept = threadCpuMs(tid)!;
    assert.ok(slept - before <= 60, `sleeping 200 ms cost ${slept - before} ms of CPU`);
    // Busy until the clock shows 150 ms of CPU (a loaded machine gives this thread less than the wall clock,
    // never more): it must get there, and never count more CPU than wall-clock time passed.
    const t0 = performance.now();
    let worked = slept;
    while (worked - slept < 150 && performance.now() - t0 < 20_000) worked = threadCpuMs(tid)!;
    const wall = performance.now() - t0;
    assert.ok(worked - slept >= 150, `${wall.toFixed(0)} ms of busy loop counted ${worked - slept} ms of CPU`);
    // procfs counts in clock ticks (10 ms): allow one tick.
    assert.ok(worked - slept <= wall + 10, `${worked - slept} ms of CPU in ${wall.toFixed(0)} ms of wall-clock time`);
  });
});
