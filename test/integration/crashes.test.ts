/**
 * Issue 7's crash claim: SIGKILL of a random node at random moments, 20 times in a run (100 with
 * `PARAPIPE_LONG_TESTS=1`): no included parablock is lost, none is authored twice, and every collator restart
 * reloads its unincluded segment from LevelDB.
 *
 * 4 relay validators, 2 collators and a para full node (the observer, never killed) run as `parapipe` processes
 * (async backing, 1 s relay slots). A seeded RNG (`PARAPIPE_SEED` replays a run; the seed is printed) picks each
 * kill: a validator or a collator (even odds), which one, and when: a uniformly random moment of the relay slot,
 * or (35 %) mid-authoring: a validator at the start of its own relay slot, a collator while it builds in its own
 * para slot. The node is SIGKILLed, stays down a random 0-1 s (0-3 s in the long run) and is restarted on its
 * base path (database, keys, ports). A validator's and a collator's kill may overlap, two of one kind never do:
 * the next kill of a kind waits until the last restarted node of that kind serves RPC and has caught up with the
 * relay chain. So at most one validator is down (3 of 4 always finalize) and never both collators.
 *
 * Checked during the run: each kill killed (pid gone, exit by SIGKILL), each restart served RPC within its
 * timeout, each collator restart reloaded the blocks its segment held (from its log, see `collatorLog.ts`), and
 * the para head at the relay finalized block never went back. After: parablocks are included and the relay chain
 * finalizes after the last restart, both collators author again; the para heads of every finalized relay block
 * (read over RPC) advance only parent to child and every para node's chain holds all of them; no collator held
 * two blocks for one height, every included block was logged by the collator its Aura pre-digest names, and no
 * two blocks seen by the para nodes share a number, an author and a slot.
 */
import assert from "node:assert/strict";
import { cpSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import {
  bestBlock,
  finalizedBlock,
  holdMachine,
  type NodeExit,
  type NodeHandle,
  type ParaNodeHandle,
  parasHeadsKey,
  type RpcClient,
  SeededRandom,
  startNetwork,
  type TestNetwork,
  tailFile,
} from "@parapipe/harness";
import {
  blake2_256,
  concatBytes,
  decodeHeader,
  devKeypair,
  findAuraSlot,
  fromHex,
  headerHash,
  toHex,
  twox128,
  registry as wireRegistry,
} from "@parapipe/primitives";
import type { Header } from "@polkadot/types/interfaces";
import {
  auditCollatorLog,
  BLOCK_PREPARED,
  collatorRuns,
  type RestartContext,
  readLogLines,
  SEGMENT_DROPPED,
  SEGMENT_RELOADED,
  type SegmentAudit,
} from "../utils/collatorLog.js";
import { testSeed } from "../utils/seededRandom.js";

const SLOT_MS = 1000;
const LONG = process.env.PARAPIPE_LONG_TESTS === "1";
/** Kills in a run: 20 by default (the claim), 100 in the long variant. */
const KILLS = LONG ? 100 : 20;
/** How long a killed node stays down before its restart, at most (uniform from 0). */
const MAX_DOWN_MS = LONG ? 3000 : 1000;
/** Share of kills aimed at the node's authoring (its own relay slot, or a collator's build). */
const MID_AUTHORING = 0.35;
/** How long a (re)started node may take to serve RPC. */
const START_TIMEOUT_MS = 60_000;
/** How long a restarted node may take to catch up with the relay chain before the next kill. */
const CATCH_UP_MS = 15 * SLOT_MS;
const SEED = testSeed();

/** Aura's `Authorities` storage value (the same pallet name on both chains). */
const AURA_AUTHORITIES = toHex(concatBytes(twox128("Aura"), twox128("Authorities")));

/** One kill of the run, as failure messages and diagnostics report it. */
interface Kill {
  /** 1-based. */
  index: number;
  node: string;
  kind: "validator" | "collator";
  /** When, relative to the relay slot: `relay slot 1795313087 +412 ms (uniform)`. */
  moment: string;
  pid: number;
  exit?: NodeExit;
  downMs: number;
  /** The log's last line before the kill, and how long before it. */
  lastLog: string;
  servedMs?: number;
  caughtUpMs?: number;
  /** Collators: the largest para number included at a validator's best right after the kill. */
  includedAtKill?: number;
  /** Collators: what the restart reloaded. */
  reloaded?: string;
}

const label = (k: Pick<Kill, "index" | "node" | "moment">) =>
  `kill ${k.index}/${KILLS} (${k.node}, ${k.moment}; PARAPIPE_SEED=${SEED})`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== "ESRCH";
  }
};

/** A para head as the relay chain stores it (`Paras.Heads`): the para header, decoded, and its hash. */
interface ParaHead {
  number: number;
  hash: string;
  parentHash: string;
  slot: bigint | undefined;
}

function paraHeadOf(header: Header, hash: string): ParaHead {
  return { number: header.number.toNumber(), hash, parentHash: header.parentHash.toHex(), slot: findAuraSlot(header) };
}

/** `Paras.Heads(paraId)` at relay block `relayHash`, or undefined before the para is registered. */
async function paraHeadAt(rpc: RpcClient, paraId: number, relayHash: string): Promise<ParaHead | undefined> {
  const raw = await rpc.call<string | null>("state_getStorage", [parasHeadsKey(paraId), relayHash]);
  if (raw === null) return undefined;
  // HeadData is a SCALE `Vec<u8>` holding the encoded para header.
  const bytes = wireRegistry.createType("Bytes", fromHex(raw)).toU8a(true);
  return paraHeadOf(decodeHeader(bytes), toHex(blake2_256(bytes)));
}

/** A para header by hash from a node of `rpcs` that has it (all asked at once); its hash is checked against `hash`. */
async function paraHeaderByHash(rpcs: readonly RpcClient[], hash: string): Promise<ParaHead | undefined> {
  const answers = await Promise.all(
    rpcs.map((rpc) => rpc.call<Record<string, unknown> | null>("chain_getHeader", [hash]).catch(() => null)),
  );
  for (const json of answers) {
    if (json === null) continue;
    const header = wireRegistry.createType("Header", json) as Header;
    const got = toHex(headerHash(header));
    assert.equal(got, hash, `chain_getHeader(${hash}) returned a header hashing to ${got}: ${JSON.stringify(json)}`);
    return paraHeadOf(header, hash);
  }
  return undefined;
}

/** Aura's authorities at the node's best block, as hex public keys in slot order. */
async function auraAuthorities(rpc: RpcClient): Promise<string[]> {
  const raw = await rpc.call<string | null>("state_getStorage", [AURA_AUTHORITIES]);
  assert.ok(raw !== null, "Aura.Authorities is empty");
  const list = wireRegistry.createType("Vec<AccountId32>", fromHex(raw)) as unknown as Array<{ toU8a(): Uint8Array }>;
  return list.map((a) => toHex(a.toU8a()));
}

/** Runs `fn` over `items`, `width` at a time, in order of results. */
async function inBatches<T, R>(items: readonly T[], width: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

// CPU-bound claims on 2 cores: never beside another such file (see `holdMachine`).
await holdMachine("crashes.test");

describe(`${KILLS} SIGKILLs of random nodes at random moments (4 validators, 2 collators, processes)`, {
  timeout: LONG ? 1_200_000 : 240_000,
}, () => {
  let net: TestNetwork;
  const rng = new SeededRandom(SEED);
  const kills: Kill[] = [];
  const t0 = Date.now();
  /** Name of each dev key's public key (hex), for both chains' Aura authorities. */
  const devNameOf = new Map<string, string>();
  let relayAuthorities: string[] = [];
  let paraAuthorities: string[] = [];
  /** What the network had reached when the last restarted node caught up. */
  let afterKills: { relayFinalized: number; included: number } | undefined;
  /** The included para blocks (number to hash, slot, including relay block), read by the third test. */
  let includedBlocks: Map<number, { hash: string; relay: number; slot: bigint | undefined }> | undefined;
  /** The para head at the relay finalized block, as last read during the run (never goes back). */
  let finalHead: { relay: number; relayHash: string; head: ParaHead } | undefined;

  const logOf = (n: NodeHandle) => join(net.baseDir, `${n.name}.log`);
  const paraNodes = (): ParaNodeHandle[] => [...net.collators, ...net.fullNodes];
  const runningValidator = () => {
    const v = net.validators.find((x) => x.running);
    assert.ok(v, "no validator is running");
    return v;
  };
  const collatorKills = (name: string): RestartContext[] =>
    kills
      .filter((k) => k.node === name && k.includedAtKill !== undefined && k.servedMs !== undefined)
      .map((k) => ({ label: label(k), includedAtKill: k.includedAtKill! }));
  const auditOf = (c: ParaNodeHandle): SegmentAudit =>
    auditCollatorLog(c.name, collatorRuns(readLogLines(logOf(c))), collatorKills(c.name));

  /** A collator's last segment lines (reloads, prepared and dropped blocks), for failure messages. */
  const segmentLog = (c: NodeHandle, n = 40) =>
    `last segment lines of ${logOf(c)}:\n${readLogLines(logOf(c))
      .filter((l) => [SEGMENT_RELOADED, BLOCK_PREPARED, SEGMENT_DROPPED].some((m) => l.msg.startsWith(m)))
      .slice(-n)
      .map(
        (l) =>
          `  ${new Date(l.time).toISOString()} ${l.msg}${typeof l.hash === "string" ? ` ${l.hash}` : ""}${l.reason ? ` (${String(l.reason)})` : ""}${l.segment ? ` [${String(l.segment)}]` : ""}`,
      )
      .join("\n")}`;

  before(async () => {
    console.log(`# crashes: PARAPIPE_SEED=${SEED}, ${KILLS} kills`);
    net = await startNetwork({
      mode: "async",
      relaySlotMs: SLOT_MS,
      validators: 4,
      collators: 2,
      fullNodes: 1,
      processes: true,
      startTimeoutMs: START_TIMEOUT_MS,
    });
    for (const n of net.nodes())
      if (n.kind !== "fullNode") {
        const dev = (n as ParaNodeHandle).devName!;
        devNameOf.set(toHex(devKeypair(dev).publicKey), dev);
      }
    await net.waitFor.paraIncluded(2, { timeoutMs: 40 * SLOT_MS });
    relayAuthorities = await auraAuthorities(net.validators[0]!.rpc);
    paraAuthorities = await auraAuthorities(net.fullNodes[0]!.rpc);
  });
  after(async () => {
    // `PARAPIPE_KEEP_LOGS=<dir>`: keep every node's log (all its starts) for a look after the run.
    const keep = process.env.PARAPIPE_KEEP_LOGS;
    if (keep && net) {
      mkdirSync(keep, { recursive: true });
      for (const n of net.nodes()) cpSync(logOf(n), join(keep, `${n.name}.log`));
    }
    await net?.close();
  });

  /** The next moment to kill `node` at, and how to name it. */
  function momentFor(node: NodeHandle, midAuthoring: boolean, frac: number): { at: number; moment: string } {
    const now = Date.now();
    if (!midAuthoring) {
      const at = now + 20 + Math.floor(frac * SLOT_MS);
      return { at, moment: `relay slot ${Math.floor(at / SLOT_MS)} +${at % SLOT_MS} ms (uniform)` };
    }
    const pub = toHex(devKeypair((node as ParaNodeHandle).devName!).publicKey);
    // Relay slot s starts at s × slot ms; with async backing the para slot is the relay slot.
    const authorities = node.kind === "validator" ? relayAuthorities : paraAuthorities;
    const index = authorities.indexOf(pub);
    assert.ok(index >= 0, `${node.name} (${pub}) is not among the Aura authorities ${authorities.join(", ")}`);
    let offset: number;
    let why: string;
    if (node.kind === "validator") {
      // A validator authors right at its slot's start (tens of ms).
      offset = Math.floor(frac * 50);
      why = "own relay slot";
    } else {
      // A collator builds once its relay node imported the slot's relay block: aim inside the window its last
      // build took in this start (prepared at +p ms after b ms of building).
      const last = collatorRuns(readLogLines(logOf(node)))
        .at(-1)
        ?.events.filter((e) => e.kind === "prepared")
        .at(-1);
      const end = last ? last.time % SLOT_MS : 150;
      const span = (last?.kind === "prepared" ? last.buildMs : 100) + 40;
      offset = Math.max(0, Math.round(end - span + frac * span));
      why = `own para slot, its last build ended at +${end} ms`;
    }
    let slot = Math.floor(now / SLOT_MS);
    while (slot % authorities.length !== index || slot * SLOT_MS + offset < now + 20) slot++;
    return { at: slot * SLOT_MS + offset, moment: `mid-authoring: relay slot ${slot} +${offset} ms (${why})` };
  }

  /** Relay best numbers of the validators that answer (one may be down). */
  async function relayBests(except?: NodeHandle): Promise<number[]> {
    const r = await Promise.allSettled(
      net.validators.filter((v) => v !== except && v.running).map((v) => bestBlock(v.rpc)),
    );
    return r.flatMap((x) => (x.status === "fulfilled" ? [x.value.number] : []));
  }

  /** Checks run one at a time (kills of a validator and of a collator overlap). */
  let headChecks: Promise<void> = Promise.resolve();
  /**
   * The para head at the relay finalized block never goes back. Read on the validator with the highest finalized
   * block (a restarted one may lag); a finalized block below the last one read has nothing to compare with.
   */
  function checkFinalizedHead(when: string): Promise<void> {
    const run = async () => {
      const answers = await Promise.allSettled(
        net.validators.filter((x) => x.running).map(async (v) => ({ v, f: await finalizedBlock(v.rpc) })),
      );
      const best = answers
        .flatMap((a) => (a.status === "fulfilled" ? [a.value] : []))
        .sort((a, b) => b.f.number - a.f.number)[0];
      assert.ok(best, `${when}: no validator answered for its finalized block`);
      const { v, f } = best;
      if (finalHead && f.number < finalHead.relay) return;
      const head = await paraHeadAt(v.rpc, net.paraId, f.hash);
      assert.ok(head, `${when}: no para head at relay finalized #${f.number} (${v.name})`);
      if (finalHead) {
        const was = `#${finalHead.head.number} ${finalHead.head.hash} at relay finalized #${finalHead.relay} ${finalHead.relayHash}`;
        const now = `#${head.number} ${head.hash} at relay finalized #${f.number} ${f.hash} (${v.name})`;
        assert.ok(
          f.number > finalHead.relay || f.hash === finalHead.relayHash,
          `${when}: two relay blocks finalized at #${f.number}: ${was}, now ${now}`,
        );
        assert.ok(
          head.number > finalHead.head.number ||
            (head.number === finalHead.head.number && head.hash === finalHead.head.hash),
          `${when}: the para head at the relay finalized block went back: ${was}, now ${now}`,
        );
      }
      finalHead = { relay: f.number, relayHash: f.hash, head };
    };
    headChecks = headChecks.then(run, run);
    return headChecks;
  }

  /**
   * One kill: wait for the moment, SIGKILL, check it died of it, stay down, restart on the same base path, wait
   * for RPC and for the node to catch up with the relay chain, then (collators) audit the segment reload.
   */
  async function runKill(k: Kill, node: NodeHandle, at: number, killed: () => void, t: TestContext): Promise<void> {
    const collator = k.kind === "collator";
    const pid = node.pid;
    assert.ok(pid !== undefined, `${label(k)}: ${node.name} was not running before the kill`);
    k.pid = pid;
    await sleep(at - Date.now());
    const killedAt = Date.now();
    await node.kill();
    killed();
    k.exit = node.lastExit;
    const last = readLogLines(logOf(node)).at(-1);
    k.lastLog = last ? `"${last.msg}" ${killedAt - last.time} ms before` : "none";
    assert.equal(node.running, false, `${label(k)}: ${node.name} still runs after kill()`);
    assert.equal(alive(pid), false, `${label(k)}: pid ${pid} still exists after SIGKILL`);
    assert.equal(
      k.exit?.signal,
      "SIGKILL",
      `${label(k)}: pid ${pid} exited ${JSON.stringify(k.exit ?? "unknown")}, not by SIGKILL`,
    );
    if (collator) {
      const r = await Promise.allSettled(
        net.validators
          .filter((v) => v.running)
          .map((v) => bestBlock(v.rpc).then((b) => paraHeadAt(v.rpc, net.paraId, b.hash))),
      );
      k.includedAtKill = Math.max(0, ...r.flatMap((x) => (x.status === "fulfilled" ? [x.value?.number ?? 0] : [])));
    }

    await sleep(killedAt + k.downMs - Date.now());
    const startedAt = Date.now();
    try {
      await node.start();
    } catch (e) {
      assert.fail(`${label(k)}: the restart did not serve RPC within ${START_TIMEOUT_MS} ms: ${errText(e)}`);
    }
    k.servedMs = Date.now() - startedAt;

    // Caught up with the relay chain before the next kill of its kind: a validator votes again (so 3 of 4
    // finalize whichever validator goes down next), a collator builds on the current relay parent (so the para
    // goes on whichever collator goes down next).
    const relayBest = Math.max(...(await relayBests(node)));
    const readRelayBest = async () =>
      collator
        ? ((await node.metrics()).get('parapipe_relay_block_height{status="best"}') ?? -1)
        : (await bestBlock(node.rpc)).number;
    await net.waitFor
      .condition(
        `${label(k)}: ${node.name} to catch up with relay #${relayBest}`,
        async () => {
          const seen = await readRelayBest();
          return { done: seen >= relayBest, observed: `${node.name} at relay #${seen}` };
        },
        { timeoutMs: CATCH_UP_MS },
      )
      .catch((e: unknown) => assert.fail(`${errText(e)}; last log lines:\n${tailFile(logOf(node), 5).join("\n")}`));
    k.caughtUpMs = Date.now() - startedAt - k.servedMs;

    if (collator) {
      const audit = auditOf(node as ParaNodeHandle);
      const restart = audit.restarts.at(-1);
      k.reloaded = restart
        ? `reloaded ${restart.reloaded}, held above #${k.includedAtKill}: ${restart.expected.map((n) => `#${n}`).join(",") || "none"}`
        : "no reload line";
      assert.deepEqual(
        audit.problems,
        [],
        `${label(k)}: ${node.name}'s segment:\n${audit.problems.join("\n")}\n${segmentLog(node)}`,
      );
    }
    await checkFinalizedHead(label(k));
    t.diagnostic(
      `${label(k)} at +${((killedAt - t0) / 1000).toFixed(1)} s: exit ${k.exit?.signal}, last log ${k.lastLog}; down ${k.downMs} ms, RPC after ${k.servedMs} ms, caught up after ${k.caughtUpMs} ms${k.reloaded ? `; ${k.reloaded}` : ""}`,
    );
  }

  it(`survives ${KILLS} kills: each kill is a SIGKILL, each restart serves RPC in time and each collator restart reloads its segment`, async (t) => {
    const started = Date.now();
    // A validator's and a collator's kill may overlap; two of one kind never do (one validator down at most,
    // never both collators). Kill i+1 comes after kill i.
    const inFlight = new Map<Kill["kind"], Promise<void>>();
    let failure: unknown;
    for (let i = 1; i <= KILLS && failure === undefined; i++) {
      // The same draws every iteration, whatever branch they feed, so a seed replays the same choices.
      const collator = rng.chance(0.5);
      const which = rng.next();
      const midAuthoring = rng.chance(MID_AUTHORING);
      const frac = rng.next();
      const downMs = rng.int(0, MAX_DOWN_MS);
      const kind: Kill["kind"] = collator ? "collator" : "validator";
      await inFlight.get(kind);
      if (failure !== undefined) break;
      const pool: NodeHandle[] = collator ? net.collators : net.validators;
      const node = pool[Math.floor(which * pool.length)]!;
      const { at, moment } = momentFor(node, midAuthoring, frac);
      const k: Kill = { index: i, node: node.name, kind, moment, pid: -1, downMs, lastLog: "" };
      kills.push(k);
      let onKilled = () => {};
      const killed = new Promise<void>((r) => {
        onKilled = r;
      });
      inFlight.set(
        kind,
        runKill(k, node, at, onKilled, t).catch((e: unknown) => {
          failure ??= e;
          onKilled();
        }),
      );
      await killed;
    }
    await Promise.all(inFlight.values());
    if (failure !== undefined) throw failure;
    const v = runningValidator();
    const f = await finalizedBlock(v.rpc);
    afterKills = { relayFinalized: f.number, included: (await paraHeadAt(v.rpc, net.paraId, f.hash))?.number ?? 0 };
    const per = new Map<string, number>();
    for (const k of kills) per.set(k.node, (per.get(k.node) ?? 0) + 1);
    t.diagnostic(
      `${kills.length} kills in ${((Date.now() - started) / 1000).toFixed(1)} s (${[...per].map(([n, c]) => `${n} ×${c}`).join(", ")}; ${kills.filter((k) => k.moment.startsWith("mid")).length} aimed mid-authoring); relay finalized #${f.number}, para #${afterKills.included} included there`,
    );
  });

  it("goes on after the last restart: parablocks included, relay finality advances, both collators author again", async (t) => {
    assert.ok(afterKills, "the kills did not complete");
    await net.waitFor.paraIncluded(afterKills.included + 3, { timeoutMs: 20 * SLOT_MS });
    await net.waitFor.relayFinalized(afterKills.relayFinalized + 3, { timeoutMs: 20 * SLOT_MS });
    for (const c of net.collators)
      await net.waitFor.condition(
        `${c.name} to prepare a parablock after its last restart`,
        () => {
          const run = collatorRuns(readLogLines(logOf(c))).at(-1);
          const built = run?.events.filter((e) => e.kind === "prepared").length ?? 0;
          return { done: built > 0, observed: `start ${run?.index ?? "?"} prepared ${built} blocks` };
        },
        { timeoutMs: 20 * SLOT_MS },
      );
    await checkFinalizedHead("after the last restart");
    // How soon each collator restart built again (it authors every other relay slot, when the segment has room).
    for (const c of net.collators) {
      const resumed = collatorRuns(readLogLines(logOf(c)))
        .slice(1)
        .map((r) => {
          const first = r.events.find((e) => e.kind === "prepared");
          return first ? `${((first.time - r.startedAt) / SLOT_MS).toFixed(1)}` : "-";
        });
      t.diagnostic(
        `${c.name} built again, in relay slots after each restart's segment reload: ${resumed.join(", ") || "no restart"}`,
      );
    }
  });

  it("loses no included parablock: the para heads of the finalized relay chain advance parent to child, and every para node holds them", async (t) => {
    const v = runningValidator();
    const final = await finalizedBlock(v.rpc);
    // The validators agree on the finalized relay chain.
    for (const o of net.validators) {
      const h = await o.rpc.call<string | null>("chain_getBlockHash", [final.number]);
      assert.equal(h, final.hash, `${o.name} has ${h} at relay #${final.number}, ${v.name} finalized ${final.hash}`);
    }
    const relayNumbers = Array.from({ length: final.number + 1 }, (_, n) => n);
    const heads = await inBatches(relayNumbers, 16, async (n) => {
      const hash = await v.rpc.call<string | null>("chain_getBlockHash", [n]);
      assert.ok(hash, `${v.name} has no relay block #${n} below its finalized #${final.number}`);
      return { relay: n, head: await paraHeadAt(v.rpc, net.paraId, hash) };
    });
    const readers = paraNodes().map((p) => p.rpc);
    /** Every included para block: number to hash, with the relay block that included it. */
    const included = new Map<number, { hash: string; relay: number; slot: bigint | undefined }>();
    let prev: ParaHead | undefined;
    let prevRelay = -1;
    for (const { relay, head } of heads) {
      if (!head) {
        assert.equal(prev, undefined, `the para head disappeared at relay #${relay} (was #${prev?.number})`);
        continue;
      }
      if (prev && head.hash === prev.hash) continue;
      if (prev) {
        assert.ok(
          head.number > prev.number,
          `the included para head went back at relay #${relay}: #${head.number} ${head.hash} after #${prev.number} ${prev.hash} (relay #${prevRelay})`,
        );
        // Walk from the new head down to the previous one: every block between was included with it.
        const chain: ParaHead[] = [head];
        while (chain.at(-1)!.number > prev.number + 1) {
          const parent = await paraHeaderByHash(readers, chain.at(-1)!.parentHash);
          assert.ok(
            parent,
            `relay #${relay} included #${head.number} ${head.hash}, whose ancestor ${chain.at(-1)!.parentHash} no para node has`,
          );
          chain.push(parent);
        }
        assert.equal(
          chain.at(-1)!.parentHash,
          prev.hash,
          `relay #${relay} included #${head.number} ${head.hash}, which does not descend from #${prev.number} ${prev.hash} included at relay #${prevRelay}`,
        );
        for (const b of chain) included.set(b.number, { hash: b.hash, relay, slot: b.slot });
      } else {
        included.set(head.number, { hash: head.hash, relay, slot: head.slot });
      }
      prev = head;
      prevRelay = relay;
    }
    assert.ok(prev, "the para was never registered");
    const top = prev.number;
    t.diagnostic(
      `relay #0..#${final.number} finalized: para #${Math.min(...included.keys())}..#${top} included (${included.size} blocks)`,
    );

    const numbers = [...included.keys()];
    await Promise.all(
      paraNodes().map(async (p) => {
        await net.waitFor.paraFinalized(top, { on: p, timeoutMs: 20 * SLOT_MS });
        const hashes = await inBatches(numbers, 16, (n) => p.rpc.call<string | null>("chain_getBlockHash", [n]));
        const wrong = numbers
          .map((n, i) => ({ n, has: hashes[i], want: included.get(n)!.hash }))
          .filter((x) => x.has !== x.want);
        assert.deepEqual(
          wrong.slice(0, 5).map((x) => `#${x.n}: ${p.name} has ${x.has}, the relay chain included ${x.want}`),
          [],
          `${p.name}'s para chain lacks ${wrong.length} included blocks`,
        );
      }),
    );
    includedBlocks = included;
  });

  it("authors none twice: no collator holds two blocks for one height, every included block was built by its Aura author, no two blocks share number, author and slot", async (t) => {
    const audits = new Map(net.collators.map((c) => [c.devName!, auditOf(c)]));
    for (const c of net.collators) {
      const problems = audits.get(c.devName!)!.problems;
      assert.deepEqual(problems, [], `${c.name}:\n${problems.join("\n")}\n${segmentLog(c)}`);
    }

    assert.ok(includedBlocks, "the included chain was not read");
    const unattributed: string[] = [];
    for (const [number, b] of includedBlocks) {
      if (number === 0) continue;
      assert.ok(b.slot !== undefined, `included para #${number} ${b.hash} has no Aura pre-digest`);
      const author = devNameOf.get(paraAuthorities[Number(b.slot % BigInt(paraAuthorities.length))]!);
      const audit = author === undefined ? undefined : audits.get(author);
      assert.ok(
        audit,
        `included para #${number} ${b.hash} (slot ${b.slot}) names an author that is not a collator of the test`,
      );
      const logged = audit.prepared.get(b.hash);
      const unlogged = audit.unloggedReloads.some((u) => u.number === number);
      if (!logged && !unlogged)
        unattributed.push(
          `#${number} ${b.hash} (slot ${b.slot}, included at relay #${b.relay}): ${author} never logged "${BLOCK_PREPARED}${number}"`,
        );
      else if (logged && logged.number !== number)
        unattributed.push(`#${number} ${b.hash}: ${author} logged it as #${logged.number}`);
    }
    assert.deepEqual(unattributed, [], "included blocks their Aura author did not build");

    // Every para block any para node imported: forks (two blocks of one number) must differ in author or slot.
    const seen = new Map<number, Set<string>>();
    for (const p of paraNodes())
      for (const l of readLogLines(logOf(p)))
        if (
          l.module === "para" &&
          l.msg.startsWith("Imported #") &&
          typeof l.number === "number" &&
          typeof l.hash === "string"
        )
          seen.set(l.number, (seen.get(l.number) ?? new Set()).add(l.hash));
    const forks = [...seen].filter(([, hs]) => hs.size > 1);
    const readers = paraNodes().map((p) => p.rpc);
    let unread = 0;
    const forkHashes = forks.flatMap(([, hs]) => [...hs]);
    const headers = new Map(
      (await inBatches(forkHashes, 16, (h) => paraHeaderByHash(readers, h))).map((h, i) => [forkHashes[i]!, h]),
    );
    for (const [number, hashes] of forks) {
      const bySlot = new Map<string, string[]>();
      for (const hash of hashes) {
        const h = headers.get(hash);
        if (!h || h.slot === undefined) {
          unread++;
          continue;
        }
        const author = devNameOf.get(paraAuthorities[Number(h.slot % BigInt(paraAuthorities.length))]!) ?? "?";
        const key = `${author} slot ${h.slot}`;
        bySlot.set(key, [...(bySlot.get(key) ?? []), hash]);
      }
      for (const [key, hs] of bySlot)
        assert.equal(hs.length, 1, `para #${number}: ${hs.length} different blocks by ${key}: ${hs.join(", ")}`);
    }
    t.diagnostic(
      `${[...seen.values()].reduce((a, s) => a + s.size, 0)} para blocks imported by the para nodes, ${forks.length} heights with more than one block (${unread} of those blocks pruned, not read); collators prepared ${[...audits].map(([n, a]) => `${n} ${a.prepared.size}`).join(", ")}, unlogged reloads ${[...audits].map(([n, a]) => `${n} ${a.unloggedReloads.length}`).join(", ")}`,
    );
  });
});
