/**
 * Issue 7's load claim, on real libp2p (loopback) and LevelDB with 1 s relay slots, 4 validators and 2 collators
 * (async backing): 10,000 signed transfers (9,000 valid from many senders, 1,000 invalid of every kind) submitted
 * in one burst over JSON-RPC to both collators, every node its own `parapipe` process (as in production: the
 * burst's signature checks and the six nodes' block executions must not share one event loop). Every valid transfer is included exactly once on the finalized
 * para chain; every invalid one is refused with the JSON-RPC error of its kind (far-future nonces are accepted
 * as `future` and stay there, never included); the pools stay within their count and byte bounds throughout
 * (`parapipe_txpool_*` gauges, sampled during the burst and the drain) and the collators' RSS stays bounded; the para keeps including parablocks (>= 0.5 per relay block) while draining.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import {
  chainNonces,
  endowAccounts,
  holdMachine,
  INVALID_KINDS,
  includedParaHead,
  invalidMix,
  LOAD_SINK,
  type LoadChain,
  type LoadOutcome,
  type LoadPlan,
  type LoadTxKind,
  loadChainOf,
  loadChainOfSpec,
  loadKeypairs,
  planLoad,
  readInclusion,
  startNetwork,
  submitBurst,
  summarizeOutcomes,
  type TestNetwork,
  warmUp,
} from "@parapipe/harness";
import { DEFAULT_POOL_LIMITS } from "@parapipe/node";
import { blake2_256, cryptoReady, fromHex, type Sr25519Keypair, toHex, toSs58 } from "@parapipe/primitives";
import { devChainSpecs } from "@parapipe/runtime";

const SLOT_MS = 1000;
const LONG = process.env.PARAPIPE_LONG_TESTS === "1";
const TOTAL = LONG ? 20_000 : 10_000;
const INVALID = TOTAL / 10;
const SENDERS = LONG ? 1000 : 500;
/** Senders that get one transfer in before the burst, so stale nonces can be signed. */
const WARM = 50;

/** The JSON-RPC answer each invalid kind must get (`ok`: accepted into the pool). */
const EXPECTED: Record<Exclude<LoadTxKind, "valid">, { code: number | number[]; text: RegExp } | "accepted"> = {
  badSignature: { code: 1010, text: /bad signature/ },
  staleNonce: { code: 1010, text: /outdated/ },
  futureNonce: "accepted",
  insufficientBalance: { code: 1010, text: /Inability to pay some fees/ },
  truncated: { code: 1040, text: /Not enough data/ },
  // Random bytes: a length prefix longer than what follows (1040), or an unknown extrinsic version (1001).
  garbage: { code: [1040, 1001], text: /Client error|invalid format/ },
  wrongGenesis: { code: 1010, text: /bad signature/ },
  wrongEra: { code: 1010, text: /ancient birth block/ },
};

const mib = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;

/**
 * The para's block weight limit. The dev spec at 1 s slots allows 333 ms of ref time (~540 transfers), and every
 * such block is executed six times (author, the other collator, four validators' PVFs) by nodes that here share
 * one process and two cores: the network would be saturated before the relay chain, the RPC burst and the
 * pools get any CPU. 130 ms (75 % of it for transfers of 630 µs of weight: ~155 transfers per block) keeps it
 * live; the throughput ceiling is what `npm run bench` measures, this test checks what a burst does to
 * correctness.
 */
const BLOCK_REF_TIME_MS = 130;

// CPU-bound claims on 2 cores: never beside another such file (see `holdMachine`).
await holdMachine("load.test");

describe(`load: ${TOTAL} transfers in a burst over RPC`, {
  timeout: LONG ? 600_000 : 240_000,
}, () => {
  let net: TestNetwork;
  let senders: Sr25519Keypair[];
  let chain: LoadChain;
  let plan: LoadPlan;

  before(async () => {
    await cryptoReady();
    senders = loadKeypairs(SENDERS);
    const base = devChainSpecs({ mode: "async", relaySlotMs: SLOT_MS });
    const specs = endowAccounts(base, [...senders.map((s) => s.publicKey), LOAD_SINK().publicKey], 10n ** 21n, {
      blockRefTimeMs: BLOCK_REF_TIME_MS,
    });
    // Signed before the network starts: signing 10,000 transfers takes seconds of this thread, the nodes' one.
    chain = loadChainOfSpec(specs.para);
    plan = planLoad({
      chain,
      senders,
      // The first WARM senders get one transfer in before the burst (`warmUp`).
      nonces: senders.map((_, i) => (i < WARM ? 1 : 0)),
      valid: TOTAL - INVALID,
      invalid: invalidMix(INVALID),
      endpoints: 2,
    });
    net = await startNetwork({
      mode: "async",
      relaySlotMs: SLOT_MS,
      validators: 4,
      collators: 2,
      specs,
      processes: true,
    });
  });
  after(() => net?.close());

  it("includes every valid transfer once, refuses every invalid one with its reason, within the pool's bounds", async () => {
    const [c0, c1] = [net.collators[0]!, net.collators[1]!];
    const collators = [c0, c1];
    await net.waitFor.paraIncluded(2, { timeoutMs: 60 * SLOT_MS });
    // What a wallet reads from the node is what the spec said.
    const read = await loadChainOf(c0.rpc);
    assert.deepEqual(
      [read.genesisHash, read.specVersion, read.ss58],
      [chain.genesisHash, chain.specVersion, chain.ss58],
    );
    const warmed = await warmUp(c0.rpc, chain, senders.slice(0, WARM), { timeoutMs: 30 * SLOT_MS });
    assert.deepEqual(warmed, Array(WARM).fill(1), "warm-up senders' nonces");
    const valid = plan.txs.filter((t) => t.kind === "valid");

    // Sample the pools (their gauges) and the collators' RSS while the burst runs and drains.
    const limits = DEFAULT_POOL_LIMITS;
    const peak = { count: 0, bytes: 0, rss: 0 };
    let sampling = false;
    const sample = async () => {
      if (sampling) return;
      sampling = true;
      try {
        for (const c of collators) {
          const m = await c.metrics().catch(() => undefined);
          if (m !== undefined) {
            const count =
              (m.get("substrate_ready_transactions_number") ?? 0) + (m.get("parapipe_txpool_future_transactions") ?? 0);
            peak.count = Math.max(peak.count, count);
            peak.bytes = Math.max(peak.bytes, m.get("parapipe_txpool_bytes") ?? 0);
          }
          peak.rss = Math.max(peak.rss, rssOf(c.pid));
        }
      } finally {
        sampling = false;
      }
    };
    const sampler = setInterval(() => void sample(), 250);
    sampler.unref();
    const relay = net.validators[0]!.rpc;
    const start = await includedParaHead(relay, net.paraId);
    const from = Number((await c0.rpc.call<{ number: string }>("chain_getHeader")).number) + 1;
    const burstStart = Date.now();
    const burst = await submitBurst(plan.txs, {
      endpoints: [c0.rpc.wsUrl, c1.rpc.wsUrl],
      // A client that gets 1016 (pool full) backs off a relay slot and sends again.
      maxAttempts: 200,
      retryDelayMs: SLOT_MS,
    });
    const byIndex = new Map<number, LoadOutcome>(burst.outcomes.map((o) => [o.tx.index, o]));

    // Drained: every sender's nonce reached its last valid transfer on collator 0's best chain.
    const addrs = senders.map((s) => toSs58(s.publicKey, chain.ss58));
    let behind = "";
    const drained = await net.waitFor
      .condition(
        "every valid transfer in the best chain",
        async () => {
          // The nonce in the best state: `system_accountNextIndex` also counts the pool's ready transactions.
          const got = await chainNonces(
            c0.rpc,
            senders.map((x) => x.publicKey),
          );
          const n = got.filter((x, i) => x < plan.finalNonces.get(addrs[i]!)!).length;
          behind = `${n} of ${addrs.length} senders behind`;
          return { done: n === 0, observed: behind, value: Date.now() };
        },
        { timeoutMs: (LONG ? 480 : 100) * SLOT_MS, intervalMs: 500 },
      )
      .catch(() => undefined);
    const end = await includedParaHead(relay, net.paraId);
    clearInterval(sampler);
    await sample();
    if (drained !== undefined) {
      const best = Number((await c0.rpc.call<{ number: string }>("chain_getHeader")).number);
      await net.waitFor.paraFinalized(best, { on: c0 });
    }
    const inc = await readInclusion(c0.rpc, { from });

    const relayBlocks = end.relay - start.relay;
    const paraBlocks = (end.included ?? 0) - (start.included ?? 0);
    const loadBlocks = inc.blocks.filter((b) => b.transactions > 0);
    const summary = summarizeOutcomes(burst.outcomes);
    const includedValid = valid.filter((t) => inc.included.has(t.hash)).length;
    console.log(
      `load: ${plan.txs.length} txs (${valid.length} valid, ${senders.length} senders) signed in ${Math.round(plan.signMs)} ms; ` +
        `submitted in ${Math.round(burst.durationMs)} ms (${Math.round(burst.submitRate)}/s, ${summary.retries} pool-full retries); ` +
        `${drained === undefined ? `NOT drained in time (${behind})` : `drained in ${drained - burstStart} ms`}, ${includedValid} valid finalized; ` +
        `${paraBlocks} parablocks included in ${relayBlocks} relay blocks (${(paraBlocks / relayBlocks).toFixed(2)}/relay block); ` +
        `${Math.round(includedValid / Math.max(1, loadBlocks.length))} txs/parablock over ${loadBlocks.length} blocks (max ${Math.max(0, ...inc.blocks.map((b) => b.transactions))}); ` +
        `pool peak ${peak.count} txs / ${mib(peak.bytes)} MiB (bounds ${limits.maxCount} / ${mib(limits.maxBytes)} MiB); ` +
        `collator RSS peak ${mib(peak.rss)} MiB; ` +
        `accepted ${JSON.stringify(summary.accepted)}; refused ${JSON.stringify(summary.refused)}`,
    );

    assert.equal(burst.outcomes.length, plan.txs.length, "every transaction answered");
    // Every valid transfer accepted (after pool-full retries) and included exactly once.
    const notAccepted = valid.filter((t) => !byIndex.get(t.index)?.result.ok);
    assert.equal(
      notAccepted.length,
      0,
      `valid transfers refused: ${JSON.stringify(summarizeOutcomes(notAccepted.map((t) => byIndex.get(t.index)!)).refused)}`,
    );
    assert.ok(drained !== undefined, `the burst did not drain: ${behind}`);
    const missing = valid.filter((t) => !inc.included.has(t.hash));
    const twice = valid.filter((t) => (inc.included.get(t.hash)?.length ?? 0) > 1);
    assert.equal(missing.length, 0, `${missing.length} valid transfers not in the finalized chain`);
    assert.equal(twice.length, 0, `${twice.length} valid transfers included more than once`);

    // Every invalid one: its kind's error, or (future nonces) accepted, never included, still future: not in
    // either collator's ready set, and each pool counts at least that many future transactions.
    const pending = new Set<string>();
    const futures: number[] = [];
    for (const c of collators) {
      for (const x of await c.rpc.call<string[]>("author_pendingExtrinsics")) pending.add(blake2Hex(x));
      futures.push((await c.metrics()).get("parapipe_txpool_future_transactions") ?? 0);
    }
    const acceptedFuture = plan.txs.filter((t) => t.kind === "futureNonce" && byIndex.get(t.index)?.result.ok).length;
    for (const [i, f] of futures.entries())
      assert.ok(
        f >= acceptedFuture,
        `${collators[i]!.name} holds ${f} future transactions, ${acceptedFuture} were accepted`,
      );
    for (const kind of INVALID_KINDS) {
      const expected = EXPECTED[kind];
      for (const t of plan.txs.filter((x) => x.kind === kind)) {
        const o = byIndex.get(t.index)!;
        assert.ok(!inc.included.has(t.hash), `${kind} #${t.index} was included`);
        if (expected === "accepted") {
          assert.ok(o.result.ok, `${kind} #${t.index} refused: ${JSON.stringify(o.result)}`);
          assert.ok(!pending.has(t.hash), `${kind} #${t.index} is ready in a pool, not future`);
        } else {
          assert.ok(!o.result.ok, `${kind} #${t.index} accepted`);
          const e = o.result.error;
          const codes = Array.isArray(expected.code) ? expected.code : [expected.code];
          assert.ok(codes.includes(e.code), `${kind} #${t.index}: ${JSON.stringify(e)}`);
          assert.match(
            `${e.message} ${String(e.data ?? "")}`,
            expected.text,
            `${kind} #${t.index}: ${JSON.stringify(e)}`,
          );
        }
      }
    }

    // Bounded: the pools never over their bounds, and the collators' memory stays moderate.
    assert.ok(peak.count > 0, "the pool gauges were sampled");
    // Retracted blocks' transactions come back past the bound (refusing one would strand its sender's later
    // nonces): at most the unincluded segment's worth (capacity 3) above it.
    const maxBlock = Math.max(0, ...inc.blocks.map((b) => b.transactions));
    assert.ok(
      peak.count <= limits.maxCount + 3 * maxBlock,
      `pool held ${peak.count} > ${limits.maxCount} + 3 x ${maxBlock}`,
    );
    assert.ok(peak.bytes <= limits.maxBytes, `pool held ${peak.bytes} bytes > ${limits.maxBytes}`);
    if (peak.rss > 0) assert.ok(peak.rss < 768 * 1024 * 1024, `a collator reached ${mib(peak.rss)} MiB RSS`);
    // Six nodes and a 10,000-transaction burst on two cores: the para slows (0.7-0.8 measured) but never stalls;
    // the rate under sustained load on a quiet machine is the benchmark's (`npm run bench`).
    assert.ok(
      paraBlocks / relayBlocks >= 0.5,
      `${paraBlocks} parablocks in ${relayBlocks} relay blocks while draining`,
    );
  });
});

/** Resident set size of process `pid` in bytes (Linux procfs; 0 where it cannot be read). */
function rssOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The hex blake2-256 of a hex-encoded extrinsic (its transaction hash). */
function blake2Hex(x: string): string {
  return toHex(blake2_256(fromHex(x)));
}
