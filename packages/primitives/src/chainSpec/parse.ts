import type { z } from "zod";
import { DEFAULT_SS58_FORMAT, describeValue, expectedFound } from "./codec.js";
import { ChainSpecError } from "./errors.js";
import { issueReason, paraDocSchema, relayDocSchema } from "./schema.js";
import type { ChainKind, ChainProperties, ChainSpec, PlainGenesis, RawGenesis } from "./types.js";

/** `properties` of a spec that sets none (Substrate's generic prefix, the node template's token). */
export const DEFAULT_CHAIN_PROPERTIES: Readonly<ChainProperties> = Object.freeze({
  ss58Format: DEFAULT_SS58_FORMAT,
  tokenDecimals: 12,
  tokenSymbol: "UNIT",
});

/**
 * Parses and validates a chain spec (plain or raw, relay or parachain) from its JSON text (or bytes), or from
 * JSON already parsed, into the normalised {@link ChainSpec}.
 *
 * - The kind is `para` when the spec names a relay chain or a para id (`relayChain`/`relay_chain`,
 *   `paraId`/`para_id`, as Cumulus writes them), else `relay`; a plain spec's `code` must name that kind's runtime.
 * - Keys of `genesis.runtimeGenesis.patch` may be snake_case (Substrate's and Zombienet's spelling) or
 *   camelCase. When both spellings of a key are present, as after a Zombienet genesis override of a camelCase
 *   spec, objects are merged and the snake_case value wins, since it is the override.
 * - Unknown keys are allowed at the top level (Substrate adds some) and refused inside genesis.
 *
 * Throws {@link ChainSpecError} naming the first bad field by its full path, in the input's own spelling.
 */
export function parseChainSpec(input: unknown): ChainSpec {
  let doc: unknown = input;
  if (input instanceof Uint8Array) doc = parseJsonText(decodeUtf8(input));
  else if (typeof input === "string") doc = parseJsonText(input);
  if (!isObject(doc) || Array.isArray(doc)) throw new ChainSpecError("", expectedFound("a chain spec object", doc));

  const names: Spellings = new WeakMap();
  const norm = normaliseDocument(doc, names);
  const kind: ChainKind = norm["paraId"] !== undefined || norm["relayChain"] !== undefined ? "para" : "relay";

  const options = { reportInput: true, error: issueReason };
  if (kind === "relay") {
    const r = relayDocSchema.safeParse(norm, options);
    if (!r.success) throw issuesToError(r.error.issues, norm, names);
    const g = r.data.genesis;
    return assemble(
      r.data,
      kind,
      g.kind === "raw" ? rawGenesis(g.top) : { kind: "plain", code: g.code, relay: g.patch },
    );
  }
  const r = paraDocSchema.safeParse(norm, options);
  if (!r.success) throw issuesToError(r.error.issues, norm, names);
  const g = r.data.genesis;
  const spec = assemble(
    r.data,
    kind,
    g.kind === "raw" ? rawGenesis(g.top) : { kind: "plain", code: g.code, para: g.patch },
  );
  spec.relayChain = r.data.relayChain;
  spec.paraId = r.data.paraId;
  return spec;
}

type CommonFields = z.output<typeof relayDocSchema>;

function rawGenesis(top: Map<string, string>): RawGenesis {
  return { kind: "raw", top };
}

function assemble(
  d: Pick<CommonFields, "name" | "id" | "chainType" | "bootNodes" | "protocolId" | "properties">,
  kind: ChainKind,
  genesis: PlainGenesis | RawGenesis,
): ChainSpec {
  const p = d.properties ?? {};
  const spec: ChainSpec = {
    name: d.name,
    id: d.id,
    chainType: d.chainType ?? "Live", // Substrate's `#[serde(default)]`
    bootNodes: d.bootNodes ?? [],
    properties: {
      ss58Format: p.ss58Format ?? DEFAULT_CHAIN_PROPERTIES.ss58Format,
      tokenDecimals: p.tokenDecimals ?? DEFAULT_CHAIN_PROPERTIES.tokenDecimals,
      tokenSymbol: p.tokenSymbol ?? DEFAULT_CHAIN_PROPERTIES.tokenSymbol,
    },
    kind,
    genesis,
  };
  if (d.protocolId !== undefined && d.protocolId !== null) spec.protocolId = d.protocolId;
  return spec;
}

// ---- JSON text ----------------------------------------------------------------------------------------------

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ChainSpecError("", "not valid UTF-8 text");
  }
}

/**
 * `JSON.parse` with one addition: integer literals above 2^53-1 (Zombienet writes balances with json-bigint,
 * as bare numbers) are read as decimal strings so amounts keep every digit.
 */
function parseJsonText(text: string): unknown {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const found = { unsafeInteger: false };
  let value: unknown;
  try {
    value = JSON.parse(src, (_key, v: unknown) => {
      if (typeof v === "number" && Number.isInteger(v) && !Number.isSafeInteger(v)) found.unsafeInteger = true;
      return v;
    });
  } catch (e) {
    throw new ChainSpecError("", `not valid JSON (${jsonErrorDetail(e, src)})`);
  }
  return found.unsafeInteger ? JSON.parse(quoteUnsafeIntegers(src)) : value;
}

function jsonErrorDetail(e: unknown, src: string): string {
  const message = e instanceof Error ? e.message : String(e);
  const m = /position (\d+)/.exec(message);
  if (m === null || /line \d+/.test(message)) return message;
  const before = src.slice(0, Number(m[1]));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return `${message}, line ${line} column ${column}`;
}

/** Rewrites integer literals outside strings that are not safe integers as JSON strings (text is valid JSON). */
function quoteUnsafeIntegers(text: string): string {
  const number = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
  let out = "";
  let last = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // skip a string literal, escapes included
      i++;
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c ? 2 : 1;
      i++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      number.lastIndex = i;
      const m = number.exec(text)!;
      const token = m[0];
      if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(Number(token))) {
        out += `${text.slice(last, i)}"${token}"`;
        last = i + token.length;
      }
      i += token.length;
    } else {
      i++;
    }
  }
  return out + text.slice(last);
}

// ---- snake_case -> camelCase --------------------------------------------------------------------------------

/** For each normalised object: normalised key -> the key as the input spelled it (for error paths). */
type Spellings = WeakMap<object, Map<string, string>>;

/** Top-level keys Cumulus spells in snake_case (its chain-spec `Extensions`). */
const TOP_LEVEL_ALIASES = [
  ["relayChain", "relay_chain"],
  ["paraId", "para_id"],
] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return isObject(v) && !Array.isArray(v);
}

/** Sets an own enumerable property even for `__proto__`, so such a key is reported as unknown, never applied. */
function put(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/**
 * Copies the document with the top-level aliases resolved and the genesis patch's keys in camelCase. The
 * input is not modified.
 */
function normaliseDocument(doc: Record<string, unknown>, names: Spellings): Record<string, unknown> {
  const top: Record<string, unknown> = {};
  const topNames = new Map<string, string>();
  for (const [k, v] of Object.entries(doc)) put(top, k, v);
  for (const [camelKey, snakeKey] of TOP_LEVEL_ALIASES) {
    if (!Object.hasOwn(doc, snakeKey)) continue;
    const snakeValue = doc[snakeKey];
    if (Object.hasOwn(doc, camelKey) && doc[camelKey] !== snakeValue) {
      throw new ChainSpecError(
        snakeKey,
        `conflicts with ${camelKey} (${describeValue(snakeValue)} vs ${describeValue(doc[camelKey])}); give one`,
      );
    }
    delete top[snakeKey];
    put(top, camelKey, snakeValue);
    if (!Object.hasOwn(doc, camelKey)) topNames.set(camelKey, snakeKey);
  }
  names.set(top, topNames);

  const genesis = doc["genesis"];
  if (isRecord(genesis) && isRecord(genesis["runtimeGenesis"])) {
    const g: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(genesis)) put(g, k, v);
    const rg: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(genesis["runtimeGenesis"])) put(rg, k, v);
    if (Object.hasOwn(rg, "patch")) rg["patch"] = normaliseKeys(rg["patch"], names);
    g["runtimeGenesis"] = rg;
    top["genesis"] = g;
  }
  return top;
}

function normaliseKeys(value: unknown, names: Spellings): unknown {
  if (Array.isArray(value)) return value.map((v) => normaliseKeys(v, names));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  const spelled = new Map<string, string>();
  // camelCase keys first, then snake_case ones, so that a snake_case override wins a clash
  const entries = Object.entries(value).sort(([a], [b]) => Number(a.includes("_")) - Number(b.includes("_")));
  for (const [key, v] of entries) {
    const k = camel(key);
    const nv = normaliseKeys(v, names);
    put(out, k, Object.hasOwn(out, k) ? merge(out[k], nv, names) : nv);
    spelled.set(k, key);
  }
  names.set(out, spelled);
  return out;
}

/** Deep merge of two normalised values, `b` winning; objects merge key by key, anything else is replaced. */
function merge(a: unknown, b: unknown, names: Spellings): unknown {
  if (!isRecord(a) || !isRecord(b)) return b;
  const out: Record<string, unknown> = {};
  const spelled = new Map<string, string>([...(names.get(a) ?? []), ...(names.get(b) ?? [])]);
  for (const [k, v] of Object.entries(a)) put(out, k, v);
  for (const [k, v] of Object.entries(b)) put(out, k, Object.hasOwn(out, k) ? merge(out[k], v, names) : v);
  names.set(out, spelled);
  return out;
}

// ---- zod issues -> ChainSpecError ---------------------------------------------------------------------------

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `genesis.raw.top["0x12"]`, `genesis.runtimeGenesis.patch.balances.balances[1][1]`, in the input's spelling. */
function renderPath(path: readonly PropertyKey[], root: unknown, names: Spellings): string {
  let node: unknown = root;
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") {
      out += `[${seg}]`;
      node = Array.isArray(node) ? node[seg] : undefined;
      continue;
    }
    const key = String(seg);
    const shown = (isObject(node) ? spellingOf(key, names.get(node)) : undefined) ?? key;
    if (!IDENTIFIER.test(shown)) out += `[${JSON.stringify(shown)}]`;
    else out += out === "" ? shown : `.${shown}`;
    node = isObject(node) ? node[key] : undefined;
  }
  return out;
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** How the input spelled `key`; a key it lacks is shown snake_case if its siblings are. */
function spellingOf(key: string, spelled: Map<string, string> | undefined): string | undefined {
  if (spelled === undefined) return undefined;
  const own = spelled.get(key);
  if (own !== undefined) return own;
  for (const [k, original] of spelled) if (k !== original) return snake(key);
  return undefined;
}

const isPrefix = (prefix: readonly PropertyKey[], path: readonly PropertyKey[]) =>
  prefix.length <= path.length && prefix.every((seg, i) => seg === path[i]);

/**
 * The first issue becomes the error; but an unknown key in the same object is reported in its place, since a
 * typo (`slotDuratonMs`) both adds an unknown key and leaves the real one missing.
 */
function issuesToError(issues: z.core.$ZodIssue[], root: unknown, names: Spellings): ChainSpecError {
  const first = issues[0];
  if (first === undefined) return new ChainSpecError("", "invalid");
  const unknown = issues.find((i) => i.code === "unrecognized_keys" && isPrefix(i.path, first.path));
  const chosen = unknown ?? first;
  const path = chosen.code === "unrecognized_keys" ? [...chosen.path, chosen.keys[0] ?? ""] : chosen.path;
  return new ChainSpecError(renderPath(path, root, names), chosen.message);
}
