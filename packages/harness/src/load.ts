/**
 * Transfer load for a parapipe para chain, as a wallet-side tool would make it: deterministic sender accounts
 * (funded at genesis with `endowAccounts`, or by transfers from a dev account with `fundAccounts`), balance
 * transfers signed offline with the right nonces, a configurable share of invalid transactions of every kind the
 * node must refuse, a burst over many pipelined WebSocket JSON-RPC calls with a record per extrinsic (submit time,
 * the accepted hash or the JSON-RPC error as sent), and a read of the chain saying which were included, where and
 * how often. The same module is the benchmark's separate load process: `node load.js --rpc ws://...`.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  blake2_256,
  type ChainSpec,
  cryptoReady,
  devKeypair,
  fromHex,
  keypairFromUri,
  ParapipeError,
  parseChainSpec,
  type Sr25519Keypair,
  toHex,
  toSs58,
} from "@parapipe/primitives";
import {
  makeCall,
  type ParachainRuntime,
  paraGenesisFromSpec,
  paraRuntimeFromCode,
  paraRuntimeFromSpec,
  signExtrinsic,
} from "@parapipe/runtime";
import { WebSocket } from "ws";

/** Why a load run could not go on. */
export type LoadErrorType =
  /** Options that cannot describe a load (e.g. more stale transactions asked than senders with a used nonce). */
  | { code: "BAD_LOAD_OPTIONS"; option: string; reason: string }
  /** A JSON-RPC endpoint could not be reached or closed while calls were in flight. */
  | { code: "LOAD_TRANSPORT"; url: string; reason: string }
  /** The chain did not reach a state the load waits for (funding, warm-up) in time. */
  | { code: "LOAD_TIMEOUT"; what: string; timeoutMs: number; lastObserved: string };

/** A load generator failure with a stable code. */
export class LoadError extends ParapipeError<LoadErrorType> {}

/** Invalid transaction kinds a load mixes in, each refused by the node for its own reason. */
export const INVALID_KINDS = [
  /** A correct transfer whose signature has one bit flipped: 1010 "bad signature" (BadProof). */
  "badSignature",
  /** A nonce the sender already used on chain: 1010 "outdated" (Stale). */
  "staleNonce",
  /**
   * A nonce far ahead of the sender's: accepted into the pool as `future` (Substrate has no nonce-distance
   * limit either), never included; it stays future until evicted or removed.
   */
  "futureNonce",
  /** A sender with no funds: 1010 "Inability to pay some fees" (Payment). */
  "insufficientBalance",
  /** A length prefix that promises more bytes than follow: 1040 "Client error: Not enough data ...". */
  "truncated",
  /** A well-framed extrinsic whose content is not one: 1040 "Client error" (runtime: Undecodable). */
  "garbage",
  /** Signed for another chain's genesis hash: 1010 "bad signature" (BadProof). */
  "wrongGenesis",
  /** A mortal era born at a block the chain does not have: 1010 "ancient birth block" (AncientBirthBlock). */
  "wrongEra",
] as const;

/** What a load transaction is. */
export type LoadTxKind = "valid" | (typeof INVALID_KINDS)[number];

/** One transaction of a load plan. */
export interface LoadTx {
  /** Position in the plan (submission order). */
  index: number;
  kind: LoadTxKind;
  /** The signer (SS58), for signed kinds. */
  sender?: string;
  /** The nonce signed, for signed kinds. */
  nonce?: number;
  /** The extrinsic as submitted. */
  bytes: Uint8Array;
  /** `0x` blake2-256 of `bytes`: what `author_submitExtrinsic` answers and what blocks carry. */
  hash: string;
  /** Which endpoint (index into `submitBurst`'s `endpoints`) it goes to: one sender, one node, in nonce order. */
  lane: number;
}

/** What the chain's signing needs, read once from a node or a spec. */
export interface LoadChain {
  runtime: ParachainRuntime;
  genesisHash: Uint8Array;
  specVersion: number;
  transactionVersion: number;
  ss58: number;
}

/** A JSON-RPC error as the node sent it. */
export interface LoadRpcError {
  code: number;
  message: string;
  data?: unknown;
}

/** How one plan transaction's submission ended. */
export interface LoadOutcome {
  tx: LoadTx;
  /** The endpoint URL it was (last) sent to. */
  url: string;
  /** ms since the burst started: first send, and the answer to the last attempt. */
  submittedMs: number;
  answeredMs: number;
  /** Sends, retries after "pool full" (1016) included. */
  attempts: number;
  /** The accepted hash, or the last attempt's error. */
  result: { ok: true; hash: string } | { ok: false; error: LoadRpcError };
  /** Errors of earlier attempts (1016 pool full), oldest first. */
  retried: LoadRpcError[];
}

/**
 * The deterministic key pair of load account `i`: seed blake2-256("parapipe/load/<namespace>/<i>") (a 32-byte
 * seed URI, so thousands derive fast and any tool can recreate them: `0x<seed>`).
 */
export function loadKeypair(i: number, namespace = "senders"): Sr25519Keypair {
  return keypairFromUri(toHex(blake2_256(new TextEncoder().encode(`parapipe/load/${namespace}/${i}`))));
}

/** `n` load accounts of `namespace` (see `loadKeypair`). */
export function loadKeypairs(n: number, namespace = "senders"): Sr25519Keypair[] {
  return Array.from({ length: n }, (_, i) => loadKeypair(i, namespace));
}

/** The account load transfers pay to (funded by `endowAccounts` so transfers keep it alive). */
export const LOAD_SINK = (): Sr25519Keypair => loadKeypair(0, "sink");

/**
 * Dev specs (`devChainSpecs`) with more accounts funded on the para at genesis: the para spec's balances get
 * `accounts` (each `amount`), and the relay spec registers the para with the new genesis head. Pass the result
 * as `startNetwork({specs})`. `blockRefTimeMs` also sets the para's block weight limit (ms of ref time per block).
 */
export function endowAccounts(
  specs: { relay: ChainSpec; para: ChainSpec },
  accounts: Uint8Array[],
  amount: bigint,
  o: { blockRefTimeMs?: number } = {},
): { relay: ChainSpec; para: ChainSpec } {
  const { relay, para } = specs;
  if (para.genesis.kind !== "plain" || para.genesis.para === undefined)
    throw new LoadError(
      { code: "BAD_LOAD_OPTIONS", option: "specs.para", reason: "not a plain para spec" },
      "endowAccounts: expected a plain para spec",
    );
  if (relay.genesis.kind !== "plain" || relay.genesis.relay === undefined)
    throw new LoadError(
      { code: "BAD_LOAD_OPTIONS", option: "specs.relay", reason: "not a plain relay spec" },
      "endowAccounts: expected a plain relay spec",
    );
  const pg = para.genesis.para;
  const newPara: ChainSpec = {
    ...para,
    genesis: {
      ...para.genesis,
      para: {
        ...pg,
        balances: { balances: [...pg.balances.balances, ...accounts.map((account) => ({ account, amount }))] },
        ...(o.blockRefTimeMs === undefined ? {} : { system: { ...pg.system, blockRefTimeMs: o.blockRefTimeMs } }),
      },
    },
  };
  const { runtime, genesis } = paraRuntimeFromSpec(newPara);
  const head = runtime.genesis(genesis).header;
  const rg = relay.genesis.relay;
  const newRelay: ChainSpec = {
    ...relay,
    genesis: {
      ...relay.genesis,
      relay: {
        ...rg,
        paras: {
          paras: rg.paras.paras.map((p) => (p.paraId === para.paraId ? { ...p, genesisHead: head } : p)),
        },
      },
    },
  };
  return { relay: newRelay, para: newPara };
}

/** Minimal JSON-RPC caller (`RpcClient` is one). */
export interface LoadRpc {
  call<T = unknown>(method: string, params?: unknown[]): Promise<T>;
}

/** Reads what signing needs from a node: the runtime from `:code`, genesis hash, runtime version, SS58 prefix. */
export async function loadChainOf(rpc: LoadRpc): Promise<LoadChain> {
  await cryptoReady();
  const code = await rpc.call<string | null>("state_getStorage", [toHex(new TextEncoder().encode(":code"))]);
  if (code === null)
    throw new LoadError(
      { code: "BAD_LOAD_OPTIONS", option: "rpc", reason: "no :code" },
      "the node's best state has no :code: not a para node?",
    );
  const runtime = paraRuntimeFromCode(fromHex(code));
  const genesisHash = fromHex(await rpc.call<string>("chain_getBlockHash", [0]));
  const version = await rpc.call<{ specVersion: number; transactionVersion: number }>("state_getRuntimeVersion");
  const props = await rpc.call<{ ss58Format?: number }>("system_properties");
  return {
    runtime,
    genesisHash,
    specVersion: version.specVersion,
    transactionVersion: version.transactionVersion,
    ss58: Number(props.ss58Format ?? 42),
  };
}

/**
 * What signing needs, from the para spec alone (no node): lets a test sign its whole load before it starts the
 * network, so signing does not stall in-process nodes.
 */
export function loadChainOfSpec(paraSpec: ChainSpec): LoadChain {
  const g = paraGenesisFromSpec(paraSpec);
  return {
    runtime: g.runtime,
    genesisHash: g.hash,
    specVersion: g.runtime.version.specVersion,
    transactionVersion: g.runtime.version.transactionVersion,
    ss58: Number(paraSpec.properties.ss58Format ?? 42),
  };
}

/** Options of `planLoad`. */
export interface LoadPlanOptions {
  chain: LoadChain;
  /** Funded senders; valid transfers are spread over them round-robin, consecutive nonces each. */
  senders: Sr25519Keypair[];
  /** Each sender's next nonce on chain (default 0 for all). Senders with a nonce > 0 can sign stale ones. */
  nonces?: number[];
  /** Valid transfers. */
  valid: number;
  /** Invalid ones per kind, or a total spread evenly over `INVALID_KINDS`. */
  invalid: number | Partial<Record<(typeof INVALID_KINDS)[number], number>>;
  /** Endpoints the burst uses: each sender's transactions go to one of them (`sender index % endpoints`). */
  endpoints: number;
  /** Transfer destination (default `LOAD_SINK`). */
  dest?: Uint8Array;
  /** Amount per transfer (default 10^12, well above the existential deposit). */
  amount?: bigint;
  /** How far ahead a `futureNonce` is signed (default 1000). */
  futureGap?: number;
}

/** A signed load: the transactions in submission order. */
export interface LoadPlan {
  txs: LoadTx[];
  /** Per sender (SS58): the nonce after every valid transfer of the plan is included. */
  finalNonces: Map<string, number>;
  /** ms spent signing. */
  signMs: number;
}

/** Splits `total` over the invalid kinds as evenly as possible (earlier kinds get the remainder). */
export function invalidMix(total: number): Record<(typeof INVALID_KINDS)[number], number> {
  const n = INVALID_KINDS.length;
  const out = {} as Record<(typeof INVALID_KINDS)[number], number>;
  INVALID_KINDS.forEach((k, i) => {
    out[k] = Math.floor(total / n) + (i < total % n ? 1 : 0);
  });
  return out;
}

/**
 * Signs a load offline: `valid` transfers (sender `i % senders`, its nonces in order, interleaved across
 * senders so every block can take many senders' next nonces) with the invalid ones spread evenly between them.
 */
export function planLoad(o: LoadPlanOptions): LoadPlan {
  const started = performance.now();
  const { chain } = o;
  const reg = chain.runtime.registry;
  const nonces = o.nonces ?? o.senders.map(() => 0);
  if (o.senders.length === 0 && o.valid > 0)
    throw new LoadError({ code: "BAD_LOAD_OPTIONS", option: "senders", reason: "none" }, "planLoad: no senders");
  const mix = typeof o.invalid === "number" ? invalidMix(o.invalid) : o.invalid;
  const dest = o.dest ?? LOAD_SINK().publicKey;
  const amount = o.amount ?? 10n ** 12n;
  const futureGap = o.futureGap ?? 1000;
  const call = makeCall(reg, "balances", "transferKeepAlive", [{ Id: dest }, amount]);
  const otherCall = makeCall(reg, "balances", "transferKeepAlive", [{ Id: dest }, amount + 1n]);
  const sign = (pair: Sr25519Keypair, nonce: number, extra: { genesisHash?: Uint8Array; c?: typeof call } = {}) =>
    signExtrinsic(reg, extra.c ?? call, pair, {
      nonce,
      genesisHash: extra.genesisHash ?? chain.genesisHash,
      specVersion: chain.specVersion,
      transactionVersion: chain.transactionVersion,
    });
  const ss58 = (p: Sr25519Keypair) => toSs58(p.publicKey, chain.ss58);
  const senderIndex = new Map(o.senders.map((s, i) => [ss58(s), i] as const));
  const laneOf = (pair: Sr25519Keypair | undefined, k: number) =>
    (pair ? (senderIndex.get(ss58(pair)) ?? k) : k) % Math.max(1, o.endpoints);

  const next = [...nonces];
  const valid: Omit<LoadTx, "index">[] = [];
  for (let k = 0; k < o.valid; k++) {
    const i = k % o.senders.length;
    const pair = o.senders[i]!;
    const nonce = next[i]!;
    next[i] = nonce + 1;
    const bytes = sign(pair, nonce);
    valid.push({
      kind: "valid",
      sender: ss58(pair),
      nonce,
      bytes,
      hash: toHex(blake2_256(bytes)),
      lane: laneOf(pair, k),
    });
  }

  const invalid: Omit<LoadTx, "index">[] = [];
  const used = o.senders.map((s, i) => ({ s, n: nonces[i]! })).filter((x) => x.n > 0);
  const unfunded = loadKeypairs(Math.max(1, Math.min(mix.insufficientBalance ?? 0, 64)), "unfunded");
  const otherGenesis = blake2_256(new TextEncoder().encode("parapipe/load/another-chain"));
  const push = (kind: LoadTxKind, bytes: Uint8Array, k: number, pair?: Sr25519Keypair, nonce?: number) =>
    invalid.push({
      kind,
      ...(pair ? { sender: ss58(pair) } : {}),
      ...(nonce !== undefined ? { nonce } : {}),
      bytes,
      hash: toHex(blake2_256(bytes)),
      lane: laneOf(pair, k),
    });
  const senderAt = (k: number) => o.senders[k % o.senders.length]!;
  const nonceAt = (k: number) => nonces[k % o.senders.length]!;
  for (const kind of INVALID_KINDS) {
    const count = mix[kind] ?? 0;
    if (kind === "staleNonce" && count > 0 && used.length === 0)
      throw new LoadError(
        { code: "BAD_LOAD_OPTIONS", option: "invalid.staleNonce", reason: "no sender has used a nonce" },
        "planLoad: stale nonces need senders whose nonce is above 0 (run `warmUp` first)",
      );
    for (let k = 0; k < count; k++) {
      switch (kind) {
        case "badSignature": {
          const pair = senderAt(k);
          const bytes = sign(pair, nonceAt(k));
          // v4 layout: compact length, version byte, address (MultiAddress::Id: 0x00 + 32 bytes), then the
          // MultiSignature (variant byte + 64 bytes); flip one bit inside the signature.
          const flipped = new Uint8Array(bytes);
          const sigStart = compactLength(bytes) + 1 + 33 + 1;
          flipped[sigStart + 10]! ^= 0x01;
          push(kind, flipped, k, pair, nonceAt(k));
          break;
        }
        case "staleNonce": {
          const { s, n } = used[k % used.length]!;
          push(kind, sign(s, n - 1, { c: otherCall }), k, s, n - 1);
          break;
        }
        case "futureNonce": {
          const pair = senderAt(k);
          const nonce = nonceAt(k) + futureGap + k;
          push(kind, sign(pair, nonce), k, pair, nonce);
          break;
        }
        case "insufficientBalance": {
          const pair = unfunded[k % unfunded.length]!;
          push(kind, sign(pair, Math.floor(k / unfunded.length)), k, pair, Math.floor(k / unfunded.length));
          break;
        }
        case "truncated": {
          const bytes = sign(senderAt(k), nonceAt(k));
          push(kind, bytes.subarray(0, bytes.length - 1 - (k % 16)), k);
          break;
        }
        case "garbage": {
          // A correct length prefix over bytes that are no extrinsic (version byte 0xff).
          const body = blake2_256(new TextEncoder().encode(`garbage/${k}`));
          body[0] = 0xff;
          push(kind, new Uint8Array([body.length << 2, ...body]), k);
          break;
        }
        case "wrongGenesis": {
          const pair = senderAt(k);
          push(kind, sign(pair, nonceAt(k), { genesisHash: otherGenesis }), k, pair, nonceAt(k));
          break;
        }
        case "wrongEra": {
          const pair = senderAt(k);
          // Period 65536, phase 65520: born at block 65520, which a test chain has not reached.
          const bytes = signExtrinsic(reg, call, pair, {
            nonce: nonceAt(k),
            genesisHash: chain.genesisHash,
            specVersion: chain.specVersion,
            transactionVersion: chain.transactionVersion,
            mortal: { period: 65536, current: 65535, blockHash: chain.genesisHash },
          });
          push(kind, bytes, k, pair, nonceAt(k));
          break;
        }
      }
    }
  }

  // Interleave: the invalid ones evenly between the valid ones.
  const txs: LoadTx[] = [];
  const total = valid.length + invalid.length;
  let vi = 0;
  let ii = 0;
  for (let k = 0; k < total; k++) {
    const wantInvalid = ii < invalid.length && (vi >= valid.length || (ii + 1) * total <= (k + 1) * invalid.length);
    const t = wantInvalid ? invalid[ii++]! : valid[vi++]!;
    txs.push({ ...t, index: k });
  }
  const finalNonces = new Map<string, number>();
  o.senders.forEach((s, i) => {
    finalNonces.set(ss58(s), next[i]!);
  });
  return { txs, finalNonces, signMs: performance.now() - started };
}

/** Bytes of the SCALE compact length prefix at the start of `bytes`. */
function compactLength(bytes: Uint8Array): number {
  const mode = bytes[0]! & 3;
  return mode === 0 ? 1 : mode === 1 ? 2 : mode === 2 ? 4 : (bytes[0]! >> 2) + 5;
}

/** Options of `submitBurst`. */
export interface BurstOptions {
  /** WebSocket URLs (`ws://127.0.0.1:9944`); a transaction goes to `endpoints[tx.lane % endpoints.length]`. */
  endpoints: string[];
  /** WebSocket connections per endpoint (default 4). */
  connections?: number;
  /** Calls in flight per connection (default 64). */
  window?: number;
  /**
   * Resubmit after 1016 "Immediately Dropped" (pool full), as a client backs off and retries: at most this many
   * sends in all (default 1: no retry), `retryDelayMs` apart (default 500).
   */
  maxAttempts?: number;
  retryDelayMs?: number;
  /** Per-call timeout (default 60 s). */
  callTimeoutMs?: number;
  /** Called after each answer (for sampling during the burst). */
  onAnswer?: (o: LoadOutcome, answered: number) => void;
  /**
   * Where a transaction refused with 1016 waits for its next send: `"requeue"` (default) behind the lane's other
   * transactions, `"inPlace"`: its lane sleeps `retryDelayMs` and sends it again before taking the next one. A
   * sustained load uses `"inPlace"`: a requeued nonce lets the sender's later nonces in as `future`, and a pool
   * kept full for long fills with futures whose predecessors it refuses.
   */
  retry?: "requeue" | "inPlace";
  /** Stops the burst: no new sends once aborted; resolves with the transactions answered so far. */
  signal?: AbortSignal;
  /**
   * At most this many sends per second over every connection, retries included (default: as fast as the calls
   * in flight allow). An open-loop rate just above what the chain includes measures sustained throughput
   * without spending the nodes' CPU on validating transactions a full pool refuses.
   */
  ratePerSecond?: number;
}

/** The JSON-RPC error code of "Immediately Dropped" (the pool is full). */
export const POOL_FULL_CODE = 1016;

/** What a burst did. */
export interface BurstResult {
  outcomes: LoadOutcome[];
  /** ms from the first send to the last answer. */
  durationMs: number;
  /** Answers per second over the burst. */
  submitRate: number;
}

/**
 * Submits every transaction with `author_submitExtrinsic` over pipelined WebSocket calls (many in flight per
 * connection, several connections per endpoint) and records each answer. Transactions of one lane keep their
 * order of sending. Resolves when every transaction has its final answer.
 */
export async function submitBurst(txs: readonly LoadTx[], o: BurstOptions): Promise<BurstResult> {
  if (o.endpoints.length === 0)
    throw new LoadError({ code: "BAD_LOAD_OPTIONS", option: "endpoints", reason: "none" }, "submitBurst: no endpoints");
  const connections = o.connections ?? 4;
  const window = o.window ?? 64;
  const maxAttempts = o.maxAttempts ?? 1;
  const retryDelayMs = o.retryDelayMs ?? 500;
  const inPlace = o.retry === "inPlace";
  const aborted = () => o.signal?.aborted === true;
  const queues = o.endpoints.map(() => [] as LoadTx[]);
  for (const t of txs) queues[t.lane % o.endpoints.length]!.push(t);
  const clients = await Promise.all(
    o.endpoints.flatMap((url) => Array.from({ length: connections }, () => PipelinedWs.open(url, o.callTimeoutMs))),
  );
  const outcomes = new Array<LoadOutcome>(txs.length);
  const state = new Map<number, { first: number; attempts: number; retried: LoadRpcError[] }>();
  const t0 = performance.now();
  let answered = 0;
  let pendingRetries = 0;
  const retryWaiters: Array<() => void> = [];
  const wakeAll = () => {
    for (const w of retryWaiters.splice(0)) w();
  };
  o.signal?.addEventListener("abort", wakeAll, { once: true });
  // One schedule of send times shared by every lane.
  let nextSendAt = 0;
  const pace = async () => {
    if (!o.ratePerSecond) return;
    const now = performance.now();
    const at = Math.max(now, nextSendAt);
    nextSendAt = at + 1000 / o.ratePerSecond;
    if (at > now) await abortableSleep(at - now, o.signal);
  };
  const lane = async (endpoint: number, client: PipelinedWs): Promise<void> => {
    const q = queues[endpoint]!;
    let again: LoadTx | undefined;
    for (;;) {
      if (aborted()) return;
      const tx = again ?? q.shift();
      again = undefined;
      if (tx === undefined) {
        if (pendingRetries === 0) return;
        await new Promise<void>((r) => retryWaiters.push(r));
        continue;
      }
      const s = state.get(tx.index) ?? { first: performance.now() - t0, attempts: 0, retried: [] };
      state.set(tx.index, s);
      s.attempts++;
      await pace();
      if (aborted()) return;
      const r = await client.call("author_submitExtrinsic", [toHex(tx.bytes)]);
      const now = performance.now() - t0;
      if (!r.ok && r.error.code === POOL_FULL_CODE && s.attempts < maxAttempts && inPlace) {
        s.retried.push(r.error);
        await abortableSleep(retryDelayMs, o.signal);
        again = tx;
        continue;
      }
      if (!r.ok && r.error.code === POOL_FULL_CODE && s.attempts < maxAttempts) {
        s.retried.push(r.error);
        pendingRetries++;
        setTimeout(() => {
          pendingRetries--;
          q.push(tx);
          wakeAll();
        }, retryDelayMs);
        continue;
      }
      const out: LoadOutcome = {
        tx,
        url: client.url,
        submittedMs: s.first,
        answeredMs: now,
        attempts: s.attempts,
        result: r.ok ? { ok: true, hash: String(r.result) } : { ok: false, error: r.error },
        retried: s.retried,
      };
      outcomes[tx.index] = out;
      answered++;
      o.onAnswer?.(out, answered);
      if (answered === txs.length) wakeAll();
    }
  };
  try {
    await Promise.all(
      clients.flatMap((c, ci) => Array.from({ length: window }, () => lane(Math.floor(ci / connections), c))),
    );
  } finally {
    for (const c of clients) c.close();
  }
  const durationMs = performance.now() - t0;
  return {
    outcomes: outcomes.filter((x) => x !== undefined),
    durationMs,
    submitRate: (answered * 1000) / durationMs,
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** A WebSocket JSON-RPC connection with many calls in flight. */
class PipelinedWs {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: { ok: true; result: unknown } | { ok: false; error: LoadRpcError }) => void; timer: NodeJS.Timeout }
  >();

  private constructor(
    readonly url: string,
    private readonly ws: WebSocket,
    private readonly timeoutMs: number,
  ) {
    ws.on("message", (data) => {
      let msg: { id?: number; result?: unknown; error?: LoadRpcError };
      try {
        msg = JSON.parse(data.toString()) as typeof msg;
      } catch {
        return;
      }
      const p = typeof msg.id === "number" ? this.pending.get(msg.id) : undefined;
      if (!p) return;
      this.pending.delete(msg.id!);
      clearTimeout(p.timer);
      p.resolve(msg.error ? { ok: false, error: msg.error } : { ok: true, result: msg.result });
    });
    ws.on("close", () => this.failAll("connection closed"));
    ws.on("error", () => {});
  }

  static open(url: string, timeoutMs = 60_000): Promise<PipelinedWs> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once("open", () => resolve(new PipelinedWs(url, ws, timeoutMs)));
      ws.once("error", (e) =>
        reject(
          new LoadError({ code: "LOAD_TRANSPORT", url, reason: e.message }, `cannot connect to ${url}: ${e.message}`),
        ),
      );
    });
  }

  /** Calls `method`; transport failures come back as errors with code -32000 and the reason. */
  call(method: string, params: unknown[]): Promise<{ ok: true; result: unknown } | { ok: false; error: LoadRpcError }> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, error: { code: -32000, message: `no answer in ${this.timeoutMs} ms` } });
      }, this.timeoutMs);
      this.pending.set(id, { resolve, timer });
      if (this.ws.readyState !== WebSocket.OPEN) {
        this.failAll("connection not open");
        return;
      }
      this.ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  }

  close(): void {
    this.ws.close();
  }

  private failAll(reason: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, error: { code: -32000, message: `transport: ${reason}` } });
      this.pending.delete(id);
    }
  }
}

/** A block of the read chain with the load hashes found in it. */
export interface LoadBlock {
  number: number;
  hash: string;
  /** Signed extrinsics in the block (inherents excluded). */
  transactions: number;
}

/** Where the chain carries transactions. */
export interface ChainInclusion {
  /** Transaction hash → the block numbers including it (more than one is a double inclusion). */
  included: Map<string, number[]>;
  /** The blocks read, lowest first. */
  blocks: LoadBlock[];
}

/**
 * Reads the chain ending at `head` (default the node's finalized head) back to block `from` (parent links, so
 * one chain, never a fork's mix) and records in which blocks each extrinsic hash appears.
 */
export async function readInclusion(rpc: LoadRpc, o: { from?: number; head?: string } = {}): Promise<ChainInclusion> {
  const from = o.from ?? 1;
  let hash = o.head ?? (await rpc.call<string>("chain_getFinalizedHead"));
  const included = new Map<string, number[]>();
  const blocks: LoadBlock[] = [];
  for (;;) {
    const b = await rpc.call<{ block: { header: { number: string; parentHash: string }; extrinsics: string[] } }>(
      "chain_getBlock",
      [hash],
    );
    const number = Number(b.block.header.number);
    if (number < from || number === 0) break;
    let transactions = 0;
    for (const x of b.block.extrinsics) {
      const bytes = fromHex(x);
      // Signed extrinsics have the top bit of the version byte set (after the compact length prefix).
      if ((bytes[compactLength(bytes)]! & 0x80) !== 0) transactions++;
      const h = toHex(blake2_256(bytes));
      const list = included.get(h);
      if (list) list.push(number);
      else included.set(h, [number]);
    }
    blocks.push({ number, hash, transactions });
    hash = b.block.header.parentHash;
  }
  blocks.reverse();
  return { included, blocks };
}

/**
 * Warm-up for stale nonces: one transfer from each of `senders` (nonce 0), then waits until every one's nonce
 * reads 1 at the node. Returns the senders' next nonces.
 */
export async function warmUp(
  rpc: LoadRpc,
  chain: LoadChain,
  senders: Sr25519Keypair[],
  o: { timeoutMs?: number } = {},
): Promise<number[]> {
  const plan = planLoad({ chain, senders, valid: senders.length, invalid: 0, endpoints: 1 });
  for (const t of plan.txs) await rpc.call("author_submitExtrinsic", [toHex(t.bytes)]);
  return waitNonces(
    rpc,
    senders.map((s) => s.publicKey),
    senders.map(() => 1),
    "warm-up",
    o.timeoutMs ?? 60_000,
  );
}

/**
 * The account's nonce in the node's best state (`AccountNonceApi_account_nonce`), not counting its pool:
 * `system_accountNextIndex` counts ready pool transactions too, so it cannot tell that they are in a block.
 */
export async function chainNonce(rpc: LoadRpc, account: Uint8Array): Promise<number> {
  const raw = fromHex(await rpc.call<string>("state_call", ["AccountNonceApi_account_nonce", toHex(account)]));
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getUint32(0, true);
}

/** Polls `chainNonce` until each account (public key) reaches its target; returns the nonces read. */
export async function waitNonces(
  rpc: LoadRpc,
  accounts: Uint8Array[],
  targets: number[],
  what: string,
  timeoutMs: number,
): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let last: number[] = [];
  for (;;) {
    last = await chainNonces(rpc, accounts);
    const behind = last.filter((n, i) => n < targets[i]!).length;
    if (behind === 0) return last;
    if (Date.now() > deadline)
      throw new LoadError(
        { code: "LOAD_TIMEOUT", what, timeoutMs, lastObserved: `${behind} of ${accounts.length} accounts behind` },
        `${what}: ${behind} of ${accounts.length} accounts had not reached their nonce in ${timeoutMs} ms`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Funds `accounts` by transfers from `funder` (a dev account on the chain: `devKeypair("Alice")`), with
 * consecutive nonces from its next one, and waits until they are in a block. For chains whose genesis does not
 * endow the load accounts (a devnet started by `parapipe devnet`).
 */
export async function fundAccounts(
  rpc: LoadRpc,
  chain: LoadChain,
  funder: Sr25519Keypair,
  accounts: Uint8Array[],
  amount: bigint,
  o: { timeoutMs?: number } = {},
): Promise<void> {
  const reg = chain.runtime.registry;
  const addr = toSs58(funder.publicKey, chain.ss58);
  const start = await rpc.call<number>("system_accountNextIndex", [addr]);
  const all = [...accounts, LOAD_SINK().publicKey];
  for (let i = 0; i < all.length; i++) {
    const call = makeCall(reg, "balances", "transferKeepAlive", [{ Id: all[i]! }, amount]);
    const tx = signExtrinsic(reg, call, funder, {
      nonce: start + i,
      genesisHash: chain.genesisHash,
      specVersion: chain.specVersion,
      transactionVersion: chain.transactionVersion,
    });
    await rpc.call("author_submitExtrinsic", [toHex(tx)]);
  }
  await waitNonces(rpc, [funder.publicKey], [start + all.length], "funding", o.timeoutMs ?? 120_000);
}

/** Counts of a burst's outcomes: accepted, refused per JSON-RPC code and kind. */
export function summarizeOutcomes(outcomes: readonly LoadOutcome[]): {
  accepted: Record<string, number>;
  refused: Record<string, Record<string, number>>;
  retries: number;
} {
  const accepted: Record<string, number> = {};
  const refused: Record<string, Record<string, number>> = {};
  let retries = 0;
  for (const o of outcomes) {
    retries += o.attempts - 1;
    if (o.result.ok) accepted[o.tx.kind] = (accepted[o.tx.kind] ?? 0) + 1;
    else {
      const key = `${o.result.error.code} ${o.result.error.message}${o.result.error.data === undefined ? "" : `: ${String(o.result.error.data)}`}`;
      const r = refused[o.tx.kind] ?? {};
      refused[o.tx.kind] = r;
      r[key] = (r[key] ?? 0) + 1;
    }
  }
  return { accepted, refused, retries };
}

/**
 * The load process: `node load.js --rpc ws://127.0.0.1:9944 [--rpc ws://...] --count 10000 ...`. Prints one JSON
 * summary line on stdout at the end; with `--progress-ms`, JSON lines on stderr while it runs (`{"event":
 * "signed"}`, `{"event": "progress"}` every that many ms). SIGTERM or SIGINT stop the burst: it prints the
 * summary of what was answered so far (`"stopped": true`) and exits 0.
 */
export async function runLoadCli(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rpc: { type: "string", multiple: true },
      count: { type: "string", default: "10000" },
      senders: { type: "string", default: "500" },
      "invalid-fraction": { type: "string", default: "0.1" },
      funder: { type: "string", default: "Alice" },
      "no-fund": { type: "boolean", default: false },
      "wait-inclusion": { type: "string", default: "300" },
      "no-wait": { type: "boolean", default: false },
      "max-attempts": { type: "string", default: "20" },
      "retry-delay-ms": { type: "string", default: "500" },
      "retry-in-place": { type: "boolean", default: false },
      rate: { type: "string", default: "0" },
      "progress-ms": { type: "string", default: "0" },
      chain: { type: "string" },
      "wait-go": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  const deferredRpc = values.chain !== undefined && values["wait-go"];
  if (values.help || (!values.rpc?.length && !deferredRpc)) {
    process.stdout.write(
      "usage: node load.js --rpc ws://host:port [--rpc ...] [--count 10000] [--senders 500] [--invalid-fraction 0.1]\n" +
        "  [--funder Alice] [--no-fund] [--wait-inclusion SECONDS | --no-wait] [--max-attempts 20]\n" +
        "  [--retry-delay-ms 500] [--retry-in-place] [--rate TX_PER_S] [--progress-ms MS] [--chain PARA_SPEC.json] [--wait-go]\n" +
        "Funds --senders load accounts from the dev account --funder, signs --count transfers (that fraction invalid),\n" +
        "submits them in one burst over the endpoints (a send refused as pool full is retried up to --max-attempts),\n" +
        "waits until the valid ones are in the node's best chain (not with --no-wait), prints a JSON summary.\n" +
        "--chain signs from the para spec file before any node is reached (senders' nonces taken as 0: accounts the\n" +
        "spec endows, implies --no-fund); --wait-go waits for a line on stdin after signing before it submits: `go`,\n" +
        "or `go ws://... ws://...` giving the endpoints (then --rpc may be left out with --chain).\n" +
        "SIGTERM / SIGINT stop the burst and print the summary so far.\n",
    );
    return values.help ? 0 : 2;
  }
  const num = (name: keyof typeof values, min: number): number => {
    const v = Number(values[name]);
    if (!Number.isFinite(v) || v < min)
      throw new LoadError(
        { code: "BAD_LOAD_OPTIONS", option: `--${name}`, reason: `${String(values[name])} is not a number >= ${min}` },
        `--${name}: expected a number >= ${min}, got ${String(values[name])}`,
      );
    return v;
  };
  const count = Math.floor(num("count", 1));
  const senderCount = Math.floor(num("senders", 1));
  const invalidFraction = num("invalid-fraction", 0);
  const maxAttempts = Math.floor(num("max-attempts", 1));
  const retryDelayMs = num("retry-delay-ms", 0);
  const rate = num("rate", 0);
  const progressMs = num("progress-ms", 0);
  const waitSeconds = num("wait-inclusion", 0);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  const event = (e: Record<string, unknown>) => {
    if (progressMs > 0) process.stderr.write(`${JSON.stringify({ ...e, t: Date.now() })}\n`);
  };
  const endpoints = [...(values.rpc ?? [])];
  const rpc = new WsRpc(() => endpoints[0]!);
  try {
    await cryptoReady();
    const chain = values.chain
      ? loadChainOfSpec(parseChainSpec(JSON.parse(readFileSync(values.chain, "utf8"))))
      : await loadChainOf(rpc);
    const invalidCount = Math.min(count, Math.round(count * invalidFraction));
    const senders = loadKeypairs(senderCount);
    if (!values["no-fund"] && !values.chain)
      await fundAccounts(
        rpc,
        chain,
        devKeypair(values.funder),
        senders.map((s) => s.publicKey),
        10n ** 21n,
      );
    const addrs = senders.map((s) => toSs58(s.publicKey, chain.ss58));
    const nonces = values.chain
      ? addrs.map(() => 0)
      : await mapLimit(addrs, RPC_READ_CONCURRENCY, (a) => rpc.call<number>("system_accountNextIndex", [a]));
    const mix = invalidMix(invalidCount);
    if (!nonces.some((n) => n > 0)) {
      mix.badSignature += mix.staleNonce;
      mix.staleNonce = 0;
    }
    const plan = planLoad({
      chain,
      senders,
      nonces,
      valid: count - invalidCount,
      invalid: mix,
      endpoints: Math.max(1, endpoints.length || 2),
    });
    event({ event: "signed", txs: plan.txs.length, signMs: Math.round(plan.signMs) });
    if (values["wait-go"]) {
      const urls = (await stdinLine(stop.signal)).split(/\s+/).filter((w) => /^wss?:\/\//.test(w));
      if (urls.length > 0) endpoints.splice(0, endpoints.length, ...urls);
    }
    if (endpoints.length === 0 && !stop.signal.aborted)
      throw new LoadError(
        { code: "BAD_LOAD_OPTIONS", option: "--rpc", reason: "no endpoint given" },
        "no endpoint: give --rpc, or the URLs on the go line",
      );
    if (stop.signal.aborted) {
      process.stdout.write(`${JSON.stringify({ signMs: Math.round(plan.signMs), answered: 0, stopped: true })}\n`);
      return 0;
    }
    const from = Number((await rpc.call<{ number: string }>("chain_getHeader")).number) + 1;
    let answered = 0;
    let accepted = 0;
    let refused = 0;
    let poolFull = 0;
    const t0 = performance.now();
    const ticker =
      progressMs > 0
        ? setInterval(
            () =>
              event({
                event: "progress",
                ms: Math.round(performance.now() - t0),
                answered,
                accepted,
                refused,
                poolFullRefusals: poolFull,
              }),
            progressMs,
          )
        : undefined;
    let burst: BurstResult;
    try {
      burst = await submitBurst(plan.txs, {
        endpoints,
        maxAttempts,
        retryDelayMs,
        ...(rate > 0 ? { ratePerSecond: rate } : {}),
        retry: values["retry-in-place"] ? "inPlace" : "requeue",
        signal: stop.signal,
        onAnswer: (o, n) => {
          answered = n;
          if (o.result.ok) accepted++;
          else refused++;
          poolFull += o.retried.length;
        },
      });
    } finally {
      clearInterval(ticker);
    }
    const stopped = stop.signal.aborted;
    const summary = summarizeOutcomes(burst.outcomes);
    const base = {
      signMs: Math.round(plan.signMs),
      submitMs: Math.round(burst.durationMs),
      submitRate: Math.round(burst.submitRate),
      answered: burst.outcomes.length,
      planned: plan.txs.length,
      acceptedRate: Math.round((burst.outcomes.filter((o) => o.result.ok).length * 1000) / burst.durationMs),
      ...summary,
    };
    if (stopped || values["no-wait"]) {
      process.stdout.write(`${JSON.stringify({ ...base, stopped })}\n`);
      return 0;
    }
    const drained = performance.now();
    const targets = addrs.map((a) => plan.finalNonces.get(a)!);
    await waitNonces(
      rpc,
      senders.map((s) => s.publicKey),
      targets,
      "inclusion",
      waitSeconds * 1000,
    );
    const drainMs = performance.now() - drained;
    const inc = await readInclusion(rpc, { from, head: await rpc.call<string>("chain_getBlockHash") });
    const valid = plan.txs.filter((t) => t.kind === "valid");
    const once = valid.filter((t) => inc.included.get(t.hash)?.length === 1).length;
    process.stdout.write(
      `${JSON.stringify({
        ...base,
        drainMs: Math.round(drainMs),
        validIncludedOnce: once,
        valid: valid.length,
        blocks: inc.blocks.length,
        perBlock: inc.blocks.map((b) => b.transactions),
      })}\n`,
    );
    return once === valid.length ? 0 : 1;
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    rpc.close();
  }
}

/** Resolves with the first line on stdin (at its end or on `signal`: what came so far). */
function stdinLine(signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    let buf = "";
    const done = () => {
      process.stdin.off("data", onData);
      process.stdin.off("end", done);
      signal.removeEventListener("abort", done);
      process.stdin.pause();
      resolve(buf.split("\n")[0]!);
    };
    const onData = (d: Buffer) => {
      buf += d.toString();
      if (buf.includes("\n")) done();
    };
    process.stdin.on("data", onData);
    process.stdin.once("end", done);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** `LoadRpc` over one WebSocket (the load process has no harness network). */
class WsRpc implements LoadRpc {
  private client: Promise<PipelinedWs> | undefined;
  /** `url` is read at the first call (the load process may learn its endpoint after signing). */
  constructor(private readonly url: () => string) {}

  async call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const url = this.url();
    this.client ??= PipelinedWs.open(url);
    const r = await (await this.client).call(method, params);
    if (!r.ok)
      throw new LoadError(
        { code: "LOAD_TRANSPORT", url, reason: `${method}: ${r.error.code} ${r.error.message}` },
        `${method} at ${url}: ${r.error.code} ${r.error.message}${r.error.data === undefined ? "" : ` (${String(r.error.data)})`}`,
      );
    return r.result as T;
  }

  close(): void {
    void this.client?.then(
      (c) => c.close(),
      () => {},
    );
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runLoadCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}

/** Reads in flight at once against one node: a node answers 429 past its connection limit (default 100). */
const RPC_READ_CONCURRENCY = 8;

/** `f` over `items`, at most `limit` at a time, results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}

/** The best-state nonces of `accounts` (see `chainNonce`), a few reads at a time. */
export function chainNonces(rpc: LoadRpc, accounts: readonly Uint8Array[]): Promise<number[]> {
  return mapLimit(accounts, RPC_READ_CONCURRENCY, (a) => chainNonce(rpc, a));
}
