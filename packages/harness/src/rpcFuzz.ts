/**
 * A JSON-RPC fuzzer for a node's RPC server: for every method it serves (`rpc_methods`), over HTTP and over
 * WebSocket, seeded malformed calls (invalid JSON, wrong `jsonrpc`, bad ids, params that are not a list or an
 * object, unknown method names, wrong param types, missing and extra params, bad hex, huge strings, bad
 * subscription ids, batches, oversized bodies), each checked against the JSON-RPC error the server must answer
 * (-32700 / -32600 / -32601 / -32602 or the method's own code). A dropped connection or an unanswered call is a
 * failure, except where the server's documented size limit closes a WebSocket (a message past
 * `maxRequestBytes` + 1 MiB, close code 1009).
 */
import { request as httpRequest } from "node:http";
import { WebSocket } from "ws";
import { SeededRandom } from "./malformed.js";

/** The kinds of malformed call. */
export const RPC_FUZZ_CLASSES = [
  "invalidJson",
  "wrongVersion",
  "badId",
  "badParamsType",
  "unknownMethod",
  "wrongParamType",
  "missingParams",
  "tooManyParams",
  "namedParams",
  "badHex",
  "hugeString",
  "badSubscriptionId",
  "subscriptionOverHttp",
  "batch",
  "emptyBatch",
  "notARequest",
  "oversizedBody",
] as const;

/** One of `RPC_FUZZ_CLASSES`. */
export type RpcFuzzClass = (typeof RPC_FUZZ_CLASSES)[number];

/** The JSON-RPC codes of the generic refusals (jsonrpsee's, as a Substrate node answers). */
export const JSON_RPC_CODES = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  OVERSIZED_REQUEST: -32007,
} as const;

/** How a method's positional parameters are checked by the node (`packages/node/src/rpc/params.ts`). */
export type RpcParamKind =
  | "hash"
  | "optHash"
  | "hex"
  | "optHex"
  | "string"
  | "u32"
  | "optNumberOrHex"
  | "account"
  | "hexList"
  | "keyType"
  | "removeList";

/** What the fuzzer knows of a method: its parameters and the method's own error codes for bad ones. */
export interface RpcMethodSpec {
  params: readonly RpcParamKind[];
  /** Codes besides -32602 a bad call may get (e.g. `chain_getBlockHash` 3001 above u32::MAX). */
  codes?: readonly number[];
  /** A subscription's subscribe or unsubscribe call (WebSocket only; -32603 over HTTP). */
  subscription?: "subscribe" | "unsubscribe";
}

const hexAt: readonly RpcParamKind[] = ["hex", "optHash"];
const STATE_CLIENT = 4003;

/**
 * The parameters of the Substrate methods a parapipe node serves (`registerSubstrateRpc`). Methods `rpc_methods`
 * lists that are not here take no parameters (or are unknown to the fuzzer): they get the envelope-level cases
 * only, which fail before the method runs (a no-parameter method ignores whatever params it is given, as
 * jsonrpsee's do, so `author_rotateKeys` is never actually called).
 */
export const SUBSTRATE_RPC_SPECS: Readonly<Record<string, RpcMethodSpec>> = {
  system_accountNextIndex: { params: ["account"] },
  account_nextIndex: { params: ["account"] },
  chain_getBlockHash: { params: ["optNumberOrHex"], codes: [3001] },
  chain_getHead: { params: ["optNumberOrHex"], codes: [3001] },
  chain_getHeader: { params: ["optHash"] },
  chain_getBlock: { params: ["optHash"] },
  state_call: { params: ["string", "hex", "optHash"], codes: [STATE_CLIENT] },
  state_callAt: { params: ["string", "hex", "optHash"], codes: [STATE_CLIENT] },
  state_getRuntimeVersion: { params: ["optHash"] },
  chain_getRuntimeVersion: { params: ["optHash"] },
  state_getMetadata: { params: ["optHash"] },
  state_getStorage: { params: hexAt },
  state_getStorageAt: { params: hexAt },
  state_getStorageHash: { params: hexAt },
  state_getStorageHashAt: { params: hexAt },
  state_getStorageSize: { params: hexAt },
  state_getStorageSizeAt: { params: hexAt },
  state_getKeys: { params: hexAt },
  state_getPairs: { params: hexAt },
  state_getKeysPaged: { params: ["optHex", "u32", "optHex", "optHash"], codes: [4002] },
  state_getKeysPagedAt: { params: ["optHex", "u32", "optHex", "optHash"], codes: [4002] },
  state_queryStorageAt: { params: ["hexList", "optHash"] },
  state_queryStorage: { params: ["hexList", "hash", "optHash"] },
  state_getReadProof: { params: ["hexList", "optHash"] },
  // Without keys: "subscribing to every storage change is not supported" (-32000).
  state_subscribeStorage: { params: ["hexList"], codes: [-32000], subscription: "subscribe" },
  author_submitExtrinsic: { params: ["hex"] },
  author_submitAndWatchExtrinsic: { params: ["hex"], subscription: "subscribe" },
  author_removeExtrinsic: { params: ["removeList"] },
  author_insertKey: { params: ["keyType", "string", "hex"], codes: [1040] },
  author_hasKey: { params: ["hex", "keyType"], codes: [1040] },
  author_hasSessionKeys: { params: ["hex"] },
};

/** Whether a method name is a subscribe or unsubscribe call, from Substrate's naming. */
function subscriptionOf(method: string, spec: RpcMethodSpec | undefined): "subscribe" | "unsubscribe" | undefined {
  if (spec?.subscription !== undefined) return spec.subscription;
  const name = method.split("_")[1] ?? "";
  if (/^unsubscribe|^unwatch/.test(name)) return "unsubscribe";
  if (/^subscribe|AndWatch/.test(name)) return "subscribe";
  return undefined;
}

/** Options of `fuzzRpc`. */
export interface RpcFuzzOptions {
  /** `http://host:port` of the server. */
  httpUrl: string;
  /** `ws://host:port` of the server. */
  wsUrl: string;
  seed: number;
  /** Methods to fuzz; default: what `rpc_methods` answers. */
  methods?: string[];
  /** Calls to generate per method and transport (at least; the last round is completed). Default 20. */
  callsPerMethod?: number;
  /** Transports to use. Default both. */
  transports?: ReadonlyArray<"http" | "ws">;
  /** Concurrent HTTP calls. Default 8. */
  httpConcurrency?: number;
  /** WebSocket connections, each sending one call at a time. Default 4. */
  wsConnections?: number;
  /** An unanswered call after this long is a hang. Default 10 s. */
  timeoutMs?: number;
  /** Send bodies past the server's `maxRequestBytes` (a few, tens of MiB in all). Default true. */
  oversized?: boolean;
  /** The server's `maxRequestBytes`. Default 15 MiB (Substrate's and the node's default). */
  maxRequestBytes?: number;
  /** Methods with parameters not in `SUBSTRATE_RPC_SPECS`. */
  specs?: Record<string, RpcMethodSpec>;
}

/** Counts per method or per class: calls, and answers by error code (`result` for non-errors). */
export interface RpcFuzzTally {
  calls: number;
  answers: Record<string, number>;
}

/** What the fuzzer sent and what came back. */
export interface RpcFuzzReport {
  seed: number;
  methods: string[];
  /** Calls sent (a batch counts its items). */
  total: number;
  perMethod: Record<string, RpcFuzzTally>;
  perClass: Partial<Record<RpcFuzzClass, RpcFuzzTally>>;
  perTransport: Record<string, number>;
  /** Calls answered otherwise than expected (a result, another code), first 20. */
  failures: string[];
  failureCount: number;
  /** Calls whose connection failed or closed without the documented reason. */
  dropped: number;
  /** Calls unanswered within `timeoutMs`. */
  hung: number;
  /** WebSocket messages past the documented limit whose connection was closed with 1009, as documented. */
  closedAsDocumented: number;
}

type Expect =
  | { kind: "error"; codes: readonly number[] }
  | { kind: "result"; value: unknown }
  | { kind: "batch"; codes: ReadonlyArray<readonly number[]> };

interface Case {
  /** The method it targets (or `(server)` for method-less cases). */
  method: string;
  cls: RpcFuzzClass;
  body: string;
  expect: Expect;
  /** HTTP: the expected status (200 unless given). */
  status?: number;
  /** Counted as this many calls (a batch's items). */
  weight: number;
}

const SERVER = "(server)";

/**
 * Fuzzes the JSON-RPC server at `httpUrl` / `wsUrl` and reports every answer. Never throws for what the server
 * does: a wrong answer, a drop or a hang is in the report (`failures`, `dropped`, `hung`).
 */
export async function fuzzRpc(opts: RpcFuzzOptions): Promise<RpcFuzzReport> {
  const methods = opts.methods ?? (await listMethods(opts.httpUrl, opts.timeoutMs ?? 10_000));
  const specs = { ...SUBSTRATE_RPC_SPECS, ...opts.specs };
  const transports = opts.transports ?? ["http", "ws"];
  const report: RpcFuzzReport = {
    seed: opts.seed,
    methods,
    total: 0,
    perMethod: {},
    perClass: {},
    perTransport: {},
    failures: [],
    failureCount: 0,
    dropped: 0,
    hung: 0,
    closedAsDocumented: 0,
  };
  for (const [ti, transport] of transports.entries()) {
    const limit = opts.maxRequestBytes ?? 15 * 1024 * 1024;
    const gen = new CaseGenerator(new SeededRandom(opts.seed + ti), new Set(methods), specs, transport, limit);
    const cases = gen.cases(methods, opts.callsPerMethod ?? 20);
    const record = (c: Case, answer: string, ok: boolean, detail: string) => {
      report.total += c.weight;
      report.perTransport[transport] = (report.perTransport[transport] ?? 0) + c.weight;
      report.perMethod[c.method] ??= { calls: 0, answers: {} };
      report.perClass[c.cls] ??= { calls: 0, answers: {} };
      for (const t of [report.perMethod[c.method]!, report.perClass[c.cls]!]) {
        t.calls += c.weight;
        t.answers[answer] = (t.answers[answer] ?? 0) + c.weight;
      }
      if (answer === "dropped") report.dropped++;
      if (answer === "hung") report.hung++;
      if (!ok) {
        report.failureCount++;
        if (report.failures.length < 20)
          report.failures.push(`${transport} ${c.method} ${c.cls} ${c.body.slice(0, 120)} -> ${detail}`);
      }
    };
    const timeoutMs = opts.timeoutMs ?? 10_000;
    if (transport === "http") await runHttp(opts.httpUrl, cases, opts.httpConcurrency ?? 8, timeoutMs, record);
    else await runWs(opts.wsUrl, cases, opts.wsConnections ?? 4, timeoutMs, record);
    if (opts.oversized ?? true) {
      if (transport === "http") await oversizedHttp(opts.httpUrl, limit, timeoutMs, record);
      else await oversizedWs(opts.wsUrl, limit, timeoutMs, record, () => report.closedAsDocumented++);
    }
  }
  return report;
}

/** What `rpc_methods` answers. */
async function listMethods(httpUrl: string, timeoutMs: number): Promise<string[]> {
  const res = await post(
    httpUrl,
    JSON.stringify({ jsonrpc: "2.0", id: 1, method: "rpc_methods", params: [] }),
    timeoutMs,
  );
  const body = JSON.parse(res.text) as { result?: { methods?: string[] } };
  return body.result?.methods ?? [];
}

// ---------------------------------------------------------------------------------------------------------------
// Generation

class CaseGenerator {
  private id = 1;

  constructor(
    private readonly rng: SeededRandom,
    private readonly registered: ReadonlySet<string>,
    private readonly specs: Readonly<Record<string, RpcMethodSpec>>,
    private readonly transport: "http" | "ws",
    /** The server's request limit: huge strings stay well below it (past it is `oversizedBody`). */
    private readonly maxRequestBytes: number,
  ) {}

  /** Rounds of every class for every method until each has `perMethod` calls; then the method-less cases. */
  cases(methods: readonly string[], perMethod: number): Case[] {
    const out: Case[] = [];
    for (const m of methods) {
      let n = 0;
      while (n < perMethod)
        for (const c of this.round(m)) {
          out.push(c);
          n += c.weight;
        }
    }
    for (let i = 0; i < Math.max(3, Math.ceil(perMethod / 4)); i++) out.push(...this.serverCases());
    // Interleave the methods: the server sees a mix, as from a real misbehaving client.
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.rng.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  private round(method: string): Case[] {
    const spec = this.specs[method];
    const sub = subscriptionOf(method, spec);
    const out: Case[] = [...this.envelope(method)];
    if (sub === "unsubscribe") out.push(this.badSubscriptionId(method));
    if (sub !== undefined && this.transport === "http") {
      out.push({
        method,
        cls: "subscriptionOverHttp",
        body: this.call(method, this.rng.pick([[], [null], ["0x00"]])),
        expect: { kind: "error", codes: [JSON_RPC_CODES.INTERNAL_ERROR] },
        weight: 1,
      });
      return out;
    }
    if (spec !== undefined && spec.params.length > 0) out.push(...this.paramCases(method, spec));
    return out;
  }

  /** Cases refused before the method runs, whatever it is. */
  private envelope(method: string): Case[] {
    const r = this.rng;
    const err = (codes: readonly number[]): Expect => ({ kind: "error", codes });
    const id = () => this.id++;
    const wrongVersion = r.pick([`"1.0"`, `"2"`, "2", "null", undefined]);
    const badId = r.pick(["{}", "[]", "true", `{"a":1}`, "1e400"]);
    const badParams = r.pick([`"x"`, "42", "true", `"${"0x00".repeat(r.int(1, 8))}"`]);
    const name = JSON.stringify(method);
    const truncated = `{"jsonrpc":"2.0","id":${id()},"method":${name},"params":[`;
    const brokenJson = r.pick([
      truncated.slice(0, r.int(1, truncated.length)),
      `{"jsonrpc":"2.0","id":${id()},"method":${name},}`,
      `{'jsonrpc':'2.0','id':${id()},'method':${name.replaceAll('"', "'")}}`,
      `{"jsonrpc":"2.0","id":NaN,"method":${name}}`,
      `{"jsonrpc":"2.0","id":${id()},"method":${name}} trailing`,
    ]);
    const cases: Case[] = [
      {
        method,
        cls: "wrongVersion",
        body:
          wrongVersion === undefined
            ? `{"id":${id()},"method":${name},"params":[]}`
            : `{"jsonrpc":${wrongVersion},"id":${id()},"method":${name},"params":[]}`,
        expect: err([JSON_RPC_CODES.INVALID_REQUEST]),
        weight: 1,
      },
      {
        method,
        cls: "badId",
        body: `{"jsonrpc":"2.0","id":${badId},"method":${name},"params":[]}`,
        expect: err([JSON_RPC_CODES.INVALID_REQUEST]),
        weight: 1,
      },
      {
        method,
        cls: "badParamsType",
        body: `{"jsonrpc":"2.0","id":${id()},"method":${name},"params":${badParams}}`,
        expect: err([JSON_RPC_CODES.INVALID_REQUEST]),
        weight: 1,
      },
      { method, cls: "invalidJson", body: brokenJson, expect: err([JSON_RPC_CODES.PARSE_ERROR]), weight: 1 },
    ];
    const unknown = this.unknownName(method);
    if (unknown !== undefined)
      cases.push({
        method,
        cls: "unknownMethod",
        body: this.call(unknown, []),
        expect: err([JSON_RPC_CODES.METHOD_NOT_FOUND]),
        weight: 1,
      });
    // A batch of envelope-level refusals of this method: one error per item, in order.
    const items: Array<{ text: string; code: number }> = Array.from({ length: r.int(2, 4) }, () =>
      r.next() < 0.5
        ? { text: `{"jsonrpc":"1.0","id":${id()},"method":${name}}`, code: JSON_RPC_CODES.INVALID_REQUEST }
        : { text: `{"jsonrpc":"2.0","id":${id()},"method":${name},"params":7}`, code: JSON_RPC_CODES.INVALID_REQUEST },
    );
    if (unknown !== undefined) items.push({ text: this.call(unknown, []), code: JSON_RPC_CODES.METHOD_NOT_FOUND });
    cases.push({
      method,
      cls: "batch",
      body: `[${items.map((i) => i.text).join(",")}]`,
      expect: { kind: "batch", codes: items.map((i) => [i.code]) },
      weight: items.length,
    });
    return cases;
  }

  /** A name close to `method` that the server does not serve. */
  private unknownName(method: string): string | undefined {
    const r = this.rng;
    for (let i = 0; i < 5; i++) {
      const pos = r.int(0, Math.max(0, method.length - 1));
      const candidate = r.pick([
        method.toUpperCase(),
        `${method}X`,
        `_${method}`,
        `${method.slice(0, pos)}${String.fromCharCode(r.int(97, 122))}${method.slice(pos + 1)}`,
        `${method} `,
        method.replace("_", "."),
      ]);
      if (!this.registered.has(candidate)) return candidate;
    }
    return undefined;
  }

  private badSubscriptionId(method: string): Case {
    const r = this.rng;
    const bogus = r.pick<unknown>(["", "nope", 42, {}, null, randomAlnum(r, 16), randomAlnum(r, 200), [1, 2]]);
    return {
      method,
      cls: "badSubscriptionId",
      body: this.call(method, [bogus]),
      // jsonrpsee (and this server) answer an unknown or unreadable subscription id with `false`, over WebSocket;
      // HTTP has no subscriptions at all.
      expect:
        this.transport === "ws"
          ? { kind: "result", value: false }
          : { kind: "error", codes: [JSON_RPC_CODES.INTERNAL_ERROR] },
      weight: 1,
    };
  }

  /** Calls with bad parameters: every call has at least one bad value and no valid required one. */
  private paramCases(method: string, spec: RpcMethodSpec): Case[] {
    const r = this.rng;
    const codes = [JSON_RPC_CODES.INVALID_PARAMS, ...(spec.codes ?? [])];
    const expect: Expect = { kind: "error", codes };
    const kinds = spec.params;
    const required = kinds.filter((k) => !k.startsWith("opt")).length;
    /** Params up to `i`: earlier optional ones null, earlier required ones bad too, `i` itself `value`. */
    const upTo = (i: number, value: unknown): unknown[] =>
      kinds.slice(0, i + 1).map((k, j) => (j === i ? value : k.startsWith("opt") ? null : this.bad(k)));
    const i = r.int(0, kinds.length - 1);
    const out: Case[] = [
      { method, cls: "wrongParamType", body: this.call(method, upTo(i, this.bad(kinds[i]!))), expect, weight: 1 },
      {
        method,
        cls: "tooManyParams",
        body: this.call(method, [
          ...upTo(kinds.length - 1, this.bad(kinds[kinds.length - 1]!)),
          ...Array.from({ length: r.int(1, 4) }, () => this.junk()),
        ]),
        expect,
        weight: 1,
      },
    ];
    const hexLike = kinds.flatMap((k, j) => (["hash", "optHash", "hex", "optHex"].includes(k) ? [j] : []));
    if (hexLike.length > 0) {
      const j = r.pick(hexLike);
      out.push({ method, cls: "badHex", body: this.call(method, upTo(j, this.badHexValue())), expect, weight: 1 });
    }
    const stringy = kinds.flatMap((k, j) => (k === "string" ? [] : [j]));
    if (stringy.length > 0) {
      const j = r.pick(stringy);
      // A huge string that is still not a valid value of that parameter (odd-length hex, a letter past `f`).
      const top = Math.max(64, Math.min(256 * 1024, Math.floor(this.maxRequestBytes / 8)));
      const huge = `0x${"f".repeat(2 * r.int(Math.floor(top / 8), top))}g`;
      out.push({ method, cls: "hugeString", body: this.call(method, upTo(j, huge)), expect, weight: 1 });
    }
    if (required > 0) {
      out.push({
        method,
        cls: "missingParams",
        body: r.pick([
          this.call(method, []),
          `{"jsonrpc":"2.0","id":${this.id++},"method":${JSON.stringify(method)}}`,
          `{"jsonrpc":"2.0","id":${this.id++},"method":${JSON.stringify(method)},"params":null}`,
        ]),
        expect,
        weight: 1,
      });
      const named: Record<string, unknown> = {};
      for (let k = 0; k < r.int(1, 3); k++) named[randomAlnum(r, r.int(1, 12))] = this.junk();
      out.push({ method, cls: "namedParams", body: this.call(method, named), expect, weight: 1 });
    }
    return out;
  }

  /** A value that the parameter check of `kind` refuses. */
  private bad(kind: RpcParamKind): unknown {
    const r = this.rng;
    const common: unknown[] = [42, true, {}, { x: 1 }, -1.5];
    switch (kind) {
      case "hash":
      case "optHash":
        return r.pick([...common, [], "0x12", `0x${"g".repeat(64)}`, "ab".repeat(32), `0x${"0".repeat(63)}`]);
      case "hex":
      case "optHex":
        return r.pick([...common, [], "0xzz", "0x123", "hello", `0x${"a".repeat(2 * r.int(1, 40) + 1)}`]);
      case "string":
        return r.pick([...common, [], ["x"]]);
      case "u32":
        return r.pick([-1, 1.5, "10", 4294967296, true, {}, [], 1e300]);
      case "optNumberOrHex":
        return r.pick([true, {}, "abc", -1, 1.5, "0x", `0x${"1".repeat(65)}`, [true], ["zz"], 2 ** 40]);
      case "account":
        return r.pick([...common, [], "not-an-address", "0xzz", `5${"0".repeat(47)}`]);
      case "hexList":
        return r.pick([...common, "0x00", [42], ["zz"], [{}], [true], [["0x00"]]]);
      case "keyType":
        return r.pick([42, true, {}, [], "toolong", "ab", "", "abcde"]);
      case "removeList":
        return r.pick(["x", 42, {}, [42], [{}], [{ hash: "zz" }], [{ extrinsic: 42 }], [{ hash: 1 }]]);
    }
  }

  private badHexValue(): string {
    const r = this.rng;
    return r.pick(["0xzz", "0x123", "0x0g", `0x${"a".repeat(2 * r.int(1, 40) + 1)}`, "0x 00", "0X00ff", "xyz"]);
  }

  private junk(): unknown {
    const r = this.rng;
    return r.pick<unknown>([null, 0, "junk", [1, [2, [3]]], { deep: { deeper: [null] } }, randomAlnum(r, 32), -7]);
  }

  private call(method: string, params: unknown): string {
    return JSON.stringify({ jsonrpc: "2.0", id: this.id++, method, params });
  }

  /** Cases that belong to no method: empty batches, requests that are not objects. */
  private serverCases(): Case[] {
    const r = this.rng;
    return [
      {
        method: SERVER,
        cls: "emptyBatch",
        body: r.pick(["[]", " [ ] "]),
        expect: { kind: "error", codes: [JSON_RPC_CODES.INVALID_REQUEST] },
        weight: 1,
      },
      {
        method: SERVER,
        cls: "notARequest",
        body: r.pick(["42", `"rpc_methods"`, "null", "true", `{"jsonrpc":"2.0","id":1,"method":42}`]),
        expect: { kind: "error", codes: [JSON_RPC_CODES.INVALID_REQUEST] },
        weight: 1,
      },
      {
        method: SERVER,
        cls: "invalidJson",
        body: r.pick(["", "{", "}", "[", "\u0000", randomAlnum(r, 64), "\ud800"]),
        expect: { kind: "error", codes: [JSON_RPC_CODES.PARSE_ERROR] },
        weight: 1,
      },
    ];
  }
}

function randomAlnum(r: SeededRandom, n: number): string {
  const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let s = "";
  for (let i = 0; i < n; i++) s += a[r.int(0, a.length - 1)];
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// Checking answers

interface JsonRpcAnswer {
  id?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown };
  method?: unknown;
}

/** Checks an answer against what was expected: [the answer's label for the tally, ok, detail]. */
function check(expect: Expect, text: string): [string, boolean, string] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return ["notJson", false, `not JSON: ${text.slice(0, 120)}`];
  }
  if (expect.kind === "batch") {
    if (!Array.isArray(body)) return [labelOf(body), false, `expected a batch answer, got ${text.slice(0, 120)}`];
    if (body.length !== expect.codes.length)
      return ["batch", false, `expected ${expect.codes.length} answers, got ${body.length}`];
    for (const [i, item] of body.entries()) {
      const code = (item as JsonRpcAnswer).error?.code;
      if (typeof code !== "number" || !expect.codes[i]!.includes(code))
        return ["batch", false, `item ${i}: expected ${expect.codes[i]!.join("/")}, got ${JSON.stringify(item)}`];
    }
    return ["batch", true, ""];
  }
  const label = labelOf(body);
  if (expect.kind === "result") {
    const a = body as JsonRpcAnswer;
    const ok = a.error === undefined && JSON.stringify(a.result) === JSON.stringify(expect.value);
    return [label, ok, ok ? "" : `expected result ${JSON.stringify(expect.value)}, got ${text.slice(0, 160)}`];
  }
  const code = (body as JsonRpcAnswer).error?.code;
  const ok = typeof code === "number" && expect.codes.includes(code);
  return [label, ok, ok ? "" : `expected error ${expect.codes.join("/")}, got ${text.slice(0, 160)}`];
}

function labelOf(body: unknown): string {
  if (Array.isArray(body)) return "batch";
  const a = body as JsonRpcAnswer;
  if (a !== null && typeof a === "object" && a.error !== undefined) return String(a.error.code);
  return "result";
}

type Record4 = (c: Case, answer: string, ok: boolean, detail: string) => void;

// ---------------------------------------------------------------------------------------------------------------
// Transports

async function runHttp(url: string, cases: Case[], concurrency: number, timeoutMs: number, record: Record4) {
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      const [answer, ok, detail] = await httpCall(url, c.body, c.status ?? 200, c.expect, timeoutMs);
      record(c, answer, ok, detail);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function httpCall(
  url: string,
  body: string,
  status: number,
  expect: Expect,
  timeoutMs: number,
): Promise<[string, boolean, string]> {
  let res: { status: number; text: string };
  try {
    res = await post(url, body, timeoutMs);
  } catch (e) {
    const hung = e instanceof Error && e.name === "TimeoutError";
    return [hung ? "hung" : "dropped", false, `${hung ? "no answer" : "transport error"}: ${String(e)}`];
  }
  if (res.status !== status)
    return [`http${res.status}`, false, `HTTP ${res.status} (expected ${status}): ${res.text.slice(0, 160)}`];
  return check(expect, res.text);
}

/**
 * One POST on a connection of its own. A kept-alive connection can be closed by the server's idle timeout just
 * as the client reuses it (a client-side race that says nothing of the server); a fresh connection per call
 * leaves every failure to the server.
 */
function post(url: string, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: "POST",
      agent: false,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    });
    const timer = setTimeout(() => {
      const e = new Error(`no answer in ${timeoutMs} ms`);
      e.name = "TimeoutError";
      req.destroy(e);
    }, timeoutMs);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    req.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(body);
  });
}

/** One WebSocket connection sending one call at a time; notifications (of accidental subscriptions) skipped. */
class SequentialSocket {
  private waiter: ((msg: string | Error) => void) | undefined;
  closeCode: number | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const text = data.toString();
      try {
        const m = JSON.parse(text) as JsonRpcAnswer;
        if (m !== null && typeof m === "object" && !Array.isArray(m) && typeof m.method === "string") return;
      } catch {
        // not JSON: hand it to the waiter, which reports it
      }
      const w = this.waiter;
      this.waiter = undefined;
      w?.(text);
    });
    ws.on("close", (code) => {
      this.closeCode = code;
      const w = this.waiter;
      this.waiter = undefined;
      w?.(new Error(`connection closed (${code})`));
    });
    ws.on("error", () => {});
  }

  static open(url: string, timeoutMs: number): Promise<SequentialSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`WebSocket ${url} not open after ${timeoutMs} ms`));
      }, timeoutMs);
      ws.once("open", () => {
        clearTimeout(timer);
        resolve(new SequentialSocket(ws));
      });
      ws.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** Sends `text` and resolves to the next answer, an Error when the connection closes, or "hung". */
  send(text: string, timeoutMs: number): Promise<string | Error | "hung"> {
    return new Promise((resolve) => {
      if (!this.open) {
        resolve(new Error(`connection closed (${this.closeCode ?? "?"})`));
        return;
      }
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve("hung");
      }, timeoutMs);
      this.waiter = (m) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.ws.send(text);
    });
  }

  close(): void {
    this.ws.close();
  }
}

async function runWs(url: string, cases: Case[], connections: number, timeoutMs: number, record: Record4) {
  let next = 0;
  const worker = async () => {
    let sock: SequentialSocket | undefined;
    try {
      while (next < cases.length) {
        const c = cases[next++]!;
        if (sock === undefined || !sock.open) {
          try {
            sock = await SequentialSocket.open(url, timeoutMs);
          } catch (e) {
            record(c, "dropped", false, `cannot connect: ${String(e)}`);
            continue;
          }
        }
        const answer = await sock.send(c.body, timeoutMs);
        if (answer === "hung") {
          record(c, "hung", false, `no answer in ${timeoutMs} ms`);
          // The connection's ordering is lost: a late answer would be taken for the next call's.
          sock.close();
          sock = undefined;
        } else if (answer instanceof Error) record(c, "dropped", false, answer.message);
        else {
          const [label, ok, detail] = check(c.expect, answer);
          record(c, label, ok, detail);
        }
      }
      // The connection is still usable after everything it carried.
      if (sock !== undefined) {
        const alive = await sock.send(`{"jsonrpc":"2.0","id":0,"method":"rpc_methods"}`, timeoutMs);
        if (typeof alive !== "string" || labelOf(safeParse(alive)) !== "result")
          record(
            { method: SERVER, cls: "notARequest", body: "rpc_methods after the fuzz", expect: hole, weight: 0 },
            "dropped",
            false,
            `the connection did not answer rpc_methods after the fuzz: ${String(alive)}`,
          );
      }
    } finally {
      sock?.close();
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
}

const hole: Expect = { kind: "error", codes: [] };

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A body past the limit: HTTP 413 with -32007 (jsonrpsee's answer). */
async function oversizedHttp(url: string, limit: number, timeoutMs: number, record: Record4) {
  const body = `{"jsonrpc":"2.0","id":1,"method":"system_name","params":["${"x".repeat(limit)}"]}`;
  const c: Case = {
    method: SERVER,
    cls: "oversizedBody",
    body: `<${body.length} bytes>`,
    expect: { kind: "error", codes: [JSON_RPC_CODES.OVERSIZED_REQUEST] },
    status: 413,
    weight: 1,
  };
  const [answer, ok, detail] = await httpCall(url, body, 413, c.expect, timeoutMs);
  record(c, answer, ok, detail);
}

/**
 * Past the limit by less than 1 MiB: answered -32007 and the connection stays; past it by more: closed with 1009
 * ("message too big"), the server's documented limit (`RpcServer`'s `maxPayload`).
 */
async function oversizedWs(url: string, limit: number, timeoutMs: number, record: Record4, closed: () => void) {
  const answered: Case = {
    method: SERVER,
    cls: "oversizedBody",
    body: `<${limit + 100} bytes>`,
    expect: { kind: "error", codes: [JSON_RPC_CODES.OVERSIZED_REQUEST] },
    weight: 1,
  };
  let sock: SequentialSocket | undefined;
  try {
    sock = await SequentialSocket.open(url, timeoutMs);
    const a = await sock.send(`"${"x".repeat(limit + 98)}"`, timeoutMs);
    if (typeof a === "string" && a !== "hung") {
      const [label, ok, detail] = check(answered.expect, a);
      const after = await sock.send(`{"jsonrpc":"2.0","id":2,"method":"rpc_methods"}`, timeoutMs);
      const alive = typeof after === "string" && after !== "hung" && labelOf(safeParse(after)) === "result";
      record(answered, label, ok && alive, alive ? detail : `connection unusable after -32007: ${String(after)}`);
    } else record(answered, a === "hung" ? "hung" : "dropped", false, String(a));
  } catch (e) {
    record(answered, "dropped", false, String(e));
  } finally {
    sock?.close();
  }
  const closing: Case = {
    method: SERVER,
    cls: "oversizedBody",
    body: `<${limit + 1024 * 1024 + 100} bytes>`,
    expect: { kind: "error", codes: [] },
    weight: 1,
  };
  try {
    sock = await SequentialSocket.open(url, timeoutMs);
    const a = await sock.send(`"${"x".repeat(limit + 1024 * 1024 + 98)}"`, timeoutMs);
    if (a instanceof Error && sock.closeCode === 1009) {
      closed();
      record(closing, "closed1009", true, "");
    } else record(closing, a === "hung" ? "hung" : "unexpected", false, `expected close 1009, got ${String(a)}`);
  } catch (e) {
    record(closing, "dropped", false, String(e));
  } finally {
    sock?.close();
  }
}
