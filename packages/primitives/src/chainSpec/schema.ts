import { z } from "zod";
import { bytesEqual, fromHex, toHex } from "../hashing.js";
import {
  describeValue,
  expectedFound,
  formatPerquintill,
  type Parsed,
  PERQUINTILL_ONE,
  parseAccount,
  parseAmount,
  parseBootNode,
  parseHexBytes,
  parsePerquintill,
} from "./codec.js";
import { runtimeIdOf, runtimeKindOfCode } from "./runtimeCode.js";
import type {
  AccountId,
  BalanceEntry,
  ChainKind,
  InflationParams,
  ParaGenesisConfig,
  ParaGenesisEntry,
  RelayGenesisConfig,
} from "./types.js";

/**
 * zod 4 schemas of the chain-spec JSON, after snake_case keys of the genesis patch have been turned into
 * camelCase. Every schema outputs the normalised types of `types.ts`; every issue's message is already the
 * one-line reason `parse.ts` shows (built-in issues get theirs from {@link issueReason}).
 */

type Ctx = z.core.$RefinementCtx;
type Path = (string | number)[];

/** Reports a reason at `path` (relative to the schema being transformed). */
function report(ctx: Ctx, message: string, input: unknown, path: Path = []): typeof z.NEVER {
  ctx.issues.push({ code: "custom", message, input, path });
  return z.NEVER;
}

/** A leaf value checked by one of the `codec.ts` parsers. */
function leaf<T>(parse: (v: unknown) => Parsed<T>) {
  return z.unknown().transform((v, ctx): T => {
    const r = parse(v);
    return r.ok ? r.value : report(ctx, r.reason, v);
  });
}

/** Runs `schema` on `v` and forwards its issues to `ctx`: dispatch between two accepted forms of a value. */
function forward<T>(schema: z.ZodType<T>, v: unknown, ctx: Ctx): T {
  const r = schema.safeParse(v, { reportInput: true, error: issueReason });
  if (r.success) return r.data;
  for (const iss of r.error.issues) ctx.issues.push(iss as unknown as (typeof ctx.issues)[number]);
  return z.NEVER;
}

const plural = (n: number | bigint, one: string, many: string) => `${n} ${n === 1 || n === 1n ? one : many}`;

/** Readable one-line reason for zod's built-in issues (a per-parse error map; custom issues carry their own). */
export function issueReason(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case "invalid_type": {
      const names: Record<string, string> = {
        number: "an integer", // every number of the format is an integer
        int: "an integer",
        string: "a string",
        boolean: "true or false",
        array: "a list",
        tuple: "a list",
        object: "an object",
        record: "an object",
      };
      return expectedFound(names[iss.expected] ?? iss.expected, iss.input);
    }
    case "too_small": {
      const min = iss.minimum;
      if (iss.origin === "array" || iss.origin === "set") {
        return `expected at least ${plural(min, "entry", "entries")}, found ${describeValue(iss.input)}`;
      }
      if (iss.origin === "string") return `expected a non-empty string, found ${describeValue(iss.input)}`;
      return `expected ${iss.inclusive ? "at least" : "more than"} ${min}, found ${describeValue(iss.input)}`;
    }
    case "too_big": {
      const max = iss.maximum;
      if (iss.origin === "array" || iss.origin === "set") {
        return `expected at most ${plural(max, "entry", "entries")}, found ${describeValue(iss.input)}`;
      }
      if (iss.origin === "string") return `expected at most ${max} characters, found ${describeValue(iss.input)}`;
      return `expected ${iss.inclusive ? "at most" : "less than"} ${max}, found ${describeValue(iss.input)}`;
    }
    case "invalid_value":
      return expectedFound(`one of ${iss.values.map((x) => JSON.stringify(String(x))).join(", ")}`, iss.input);
    case "unrecognized_keys":
      return "unknown field";
    default:
      return undefined;
  }
}

/** Edit distance, for "did you mean" on unknown fields. */
function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

function unknownFieldReason(key: string, fields: string[]): string {
  const lower = key.toLowerCase();
  const near = fields
    .map((f) => ({ f, d: f.toLowerCase() === lower ? 0 : editDistance(lower, f.toLowerCase()) }))
    .sort((x, y) => x.d - y.d)[0];
  if (near !== undefined && near.d <= Math.max(2, Math.floor(key.length / 4))) {
    return `unknown field (did you mean "${near.f}"?)`;
  }
  return fields.length === 0 ? "unknown field" : `unknown field (expected one of: ${fields.join(", ")})`;
}

/**
 * A genesis section: an object whose unknown keys are errors (a typo must not be ignored), reported with
 * the closest known field.
 */
function section<S extends z.core.$ZodLooseShape>(shape: S) {
  const fields = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => (iss.code === "unrecognized_keys" ? unknownFieldReason(iss.keys[0] ?? "", fields) : undefined),
  });
}

/** A fixed-length JSON list, described as `form` (e.g. `[address, amount]`) when its shape is wrong. */
function tuple<T extends readonly [z.core.SomeType, ...z.core.SomeType[]]>(items: T, form: string) {
  return z.tuple(items, {
    error: (iss) =>
      iss.code === "invalid_type" || iss.code === "too_small" || iss.code === "too_big"
        ? expectedFound(form, iss.input)
        : undefined,
  });
}

// ---- leaves -----------------------------------------------------------------------------------------------

const u32 = z.int().min(0).max(0xffff_ffff);
const positiveU32 = z.int().min(1).max(0xffff_ffff);
/** Durations and counts that are not stored as u32 (milliseconds are u64 on chain). */
const positiveInt = z.int().min(1);
const account = leaf(parseAccount);
const amount = leaf(parseAmount);
const perquintill = leaf(parsePerquintill);
const nonEmptyString = z.string().min(1);

/** A list of accounts in which no account appears twice (`what` names an entry in the reason). */
function uniqueAccounts(what: string, min = 0) {
  return z
    .array(account)
    .min(min)
    .transform((list, ctx): AccountId[] => {
      const seen = new Map<string, number>();
      list.forEach((a, i) => {
        const first = seen.get(toHex(a));
        if (first !== undefined) report(ctx, `duplicate ${what} (the same account as entry ${first})`, undefined, [i]);
        else seen.set(toHex(a), i);
      });
      return list;
    });
}

// ---- shared sections ----------------------------------------------------------------------------------------

const balances = section({
  balances: z.array(tuple([account, amount], "[address, amount]")).transform((entries, ctx): BalanceEntry[] => {
    const seen = new Map<string, number>();
    entries.forEach(([a], i) => {
      const first = seen.get(toHex(a));
      if (first !== undefined) report(ctx, `duplicate account (already endowed by entry ${first})`, undefined, [i, 0]);
      else seen.set(toHex(a), i);
    });
    return entries.map(([a, amt]) => ({ account: a, amount: amt }));
  }),
});

/** `sudo.key`; `null` (Substrate's `None`, as some tooling writes) means no sudo key. */
const sudo = section({ key: account.nullable() });

// ---- parachain ----------------------------------------------------------------------------------------------

const inflationParams = section({
  maxInflationRate: perquintill,
  treasuryPart: perquintill,
  collatorsPart: perquintill,
  dappsPart: perquintill,
  baseStakersPart: perquintill,
  adjustableStakersPart: perquintill,
  bonusPart: perquintill,
  idealStakingRate: perquintill,
  decayRate: perquintill.default(PERQUINTILL_ONE),
}).transform((p, ctx): InflationParams => {
  // pallet-inflation's `InflationParameters::is_valid`: the six parts sum to exactly `Perquintill::one()`.
  const sum =
    p.treasuryPart + p.collatorsPart + p.dappsPart + p.baseStakersPart + p.adjustableStakersPart + p.bonusPart;
  if (sum !== PERQUINTILL_ONE) {
    report(
      ctx,
      `treasuryPart + collatorsPart + dappsPart + baseStakersPart + adjustableStakersPart + bonusPart must be exactly 1, found ${formatPerquintill(sum)}`,
      undefined,
    );
  }
  return p;
});

/** Genesis patch of the parachain runtime. */
export const paraPatchSchema = section({
  system: section({
    blockRefTimeMs: positiveInt,
    normalDispatchRatio: perquintill
      .refine((r) => r > 0n, { error: (iss) => `expected a ratio above 0, found ${describeValue(iss.input)}` })
      .default(750_000_000_000_000_000n),
  }),
  balances,
  parachainInfo: section({ parachainId: u32 }),
  parachainSystem: section({
    unincludedSegmentCapacity: positiveU32,
    velocity: positiveU32,
    relaySlotDurationMs: positiveInt,
  }),
  aura: section({
    authorities: uniqueAccounts("authority", 1),
    slotDurationMs: positiveInt,
    allowMultipleBlocksPerSlot: z.boolean(),
  }),
  collatorSelection: section({ invulnerables: uniqueAccounts("invulnerable") }),
  sudo: sudo.optional(),
  inflation: section({
    params: inflationParams,
    cycle: section({
      periodsPerCycle: positiveU32,
      erasPerVotingSubperiod: positiveU32,
      erasPerBuildAndEarnSubperiod: positiveU32,
      blocksPerEra: positiveU32,
    }),
  }),
}).transform((p): ParaGenesisConfig => {
  const { sudo: s, ...rest } = p;
  return s?.key ? { ...rest, sudo: { key: s.key } } : rest;
});

// ---- relay chain --------------------------------------------------------------------------------------------

/** Session keys parapipe reads from Zombienet's `[stash, validator, {…}]`, in order of preference. */
const SESSION_KEY_NAMES = ["aura", "babe", "paraValidator"] as const;

/**
 * One entry of Zombienet's `session.keys`: `[stash, validatorId, {grandpa, babe, para_validator, aura, …}]`.
 * The validator is its `aura` (else `babe`, else `para_validator`) session key, which is the key Zombienet
 * puts in the node's keystore; the stash is used only when the map names none of them. The other keys
 * (grandpa ed25519, beefy ecdsa, …) are ignored: a parapipe validator signs everything with one sr25519 key.
 */
const sessionKeyEntry = tuple(
  [account, account, z.record(z.string(), z.unknown())],
  "[stash, validator, {aura: address, ...}]",
).transform(([stash, , keys], ctx): AccountId => {
  let chosen: { name: string; key: AccountId } | undefined;
  for (const name of SESSION_KEY_NAMES) {
    if (keys[name] === undefined) continue;
    const r = parseAccount(keys[name]);
    if (!r.ok) return report(ctx, r.reason, keys[name], [2, name]);
    if (chosen === undefined) chosen = { name, key: r.value };
    else if (!bytesEqual(chosen.key, r.value)) {
      return report(
        ctx,
        `expected the same key as ${chosen.name}: a parapipe validator signs blocks, statements and bitfields with one sr25519 key`,
        keys[name],
        [2, name],
      );
    }
  }
  return chosen?.key ?? stash;
});

const session = section({
  validators: z.array(account).optional(),
  keys: z.array(sessionKeyEntry).optional(),
}).transform((s, ctx): { validators: AccountId[] } => {
  if (s.validators !== undefined && s.keys !== undefined) {
    return report(ctx, "give either validators or keys (Zombienet's form), not both", undefined, ["keys"]);
  }
  const list = s.validators ?? s.keys;
  if (list === undefined) {
    return report(
      ctx,
      "missing, expected a list of validator addresses (or keys: [[stash, stash, {aura: address}], ...] as Zombienet writes)",
      undefined,
      ["validators"],
    );
  }
  const field = s.validators !== undefined ? "validators" : "keys";
  if (list.length === 0) return report(ctx, "expected at least 1 validator, found an empty list", list, [field]);
  const seen = new Map<string, number>();
  list.forEach((v, i) => {
    const first = seen.get(toHex(v));
    if (first !== undefined) report(ctx, `duplicate validator (the same key as entry ${first})`, undefined, [field, i]);
    else seen.set(toHex(v), i);
  });
  return { validators: list };
});

/**
 * Relay `aura`: only the slot duration. Relay authors are `session` validators; an `authorities` list is
 * accepted only empty, because Zombienet's `clearAuthorities` empties `aura.authorities` (and fails when the
 * list does not exist).
 */
const relayAura = section({
  slotDurationMs: positiveInt,
  authorities: leaf((v) =>
    Array.isArray(v) && v.length === 0
      ? { ok: true as const, value: [] as const }
      : { ok: false as const, reason: `${expectedFound("an empty list", v)} (relay authors are session.validators)` },
  ).optional(),
}).transform((a) => ({ slotDurationMs: a.slotDurationMs }));

/** Polkadot's `MAX_POV_SIZE`. */
const MAX_POV_SIZE = 16 * 1024 * 1024;

const hostConfiguration = section({
  asyncBackingParams: section({ maxCandidateDepth: u32, allowedAncestryLen: u32 }),
  minimumBackingVotes: positiveU32,
  groupRotationFrequency: positiveU32,
  availabilityPeriod: positiveU32,
  maxPovSize: z.int().min(1).max(MAX_POV_SIZE),
  maxCodeSize: positiveU32.optional(),
  schedulingLookahead: positiveU32.default(2),
});

const hexLeaf = (what: string) => leaf((v) => parseHexBytes(v, what, { nonEmpty: true }));

const paraArgsTuple = tuple(
  [hexLeaf("a genesis head"), hexLeaf("validation code"), z.boolean()],
  "[genesisHead, validationCode, paraKind]",
).transform(([genesisHead, validationCode, paraKind]) => ({ genesisHead, validationCode, paraKind }));

const paraArgsObject = section({
  genesisHead: hexLeaf("a genesis head"),
  validationCode: hexLeaf("validation code"),
  paraKind: z.boolean(),
});

/** `ParaGenesisArgs` as an object, or as the `[head, code, true]` list Zombienet's `addParachainToGenesis` writes. */
const paraArgs = z
  .unknown()
  .transform((v, ctx) =>
    forward<Omit<ParaGenesisEntry, "paraId">>(Array.isArray(v) ? paraArgsTuple : paraArgsObject, v, ctx),
  );

const paras = section({
  paras: z
    .array(tuple([u32, paraArgs], "[paraId, {genesisHead, validationCode, paraKind}]"))
    .transform((entries, ctx): ParaGenesisEntry[] => {
      const seen = new Map<number, number>();
      entries.forEach(([id], i) => {
        const first = seen.get(id);
        if (first !== undefined)
          report(ctx, `duplicate para id ${id} (already registered by entry ${first})`, id, [i, 0]);
        else seen.set(id, i);
      });
      return entries.map(([paraId, args]) => ({ paraId, ...args }));
    }),
});

/** Genesis patch of the relay runtime. */
export const relayPatchSchema = section({
  balances,
  sudo: sudo.optional(),
  session,
  aura: relayAura,
  configuration: section({ config: hostConfiguration }),
  paras: paras.optional(),
}).transform((p): RelayGenesisConfig => {
  const { sudo: s, paras: ps, ...rest } = p;
  const out: RelayGenesisConfig = { ...rest, paras: ps ?? { paras: [] } };
  if (s?.key) out.sudo = { key: s.key };
  return out;
});

// ---- genesis ------------------------------------------------------------------------------------------------

const HEX = /^0x(?:[0-9a-fA-F]{2})*$/;
/** `:code`, the well-known storage key of the runtime code. */
const CODE_KEY = "0x3a636f6465";

function codeKindReason(kind: ChainKind, code: Uint8Array): string | undefined {
  const found = runtimeKindOfCode(code);
  if (found === kind) return undefined;
  const want = `the ${kind === "relay" ? "relay" : "parachain"} runtime "${runtimeIdOf(kind)}" as hex`;
  return found === undefined
    ? `expected ${want}, found unknown code ${describeValue(toHex(code))}`
    : `expected ${want}, found the code of "${runtimeIdOf(found)}" (a ${found} spec's code in a ${kind} spec)`;
}

function rawTop(kind: ChainKind) {
  return z.unknown().transform((v, ctx): Map<string, string> => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      return report(ctx, expectedFound("an object of 0x-hex storage keys to 0x-hex values", v), v);
    }
    const top = new Map<string, string>();
    for (const [k, val] of Object.entries(v)) {
      if (!HEX.test(k)) return report(ctx, `expected a 0x-prefixed hex storage key, found ${describeValue(k)}`, k, [k]);
      if (typeof val !== "string" || !HEX.test(val)) {
        return report(ctx, expectedFound("a 0x-prefixed hex value", val), val, [k]);
      }
      const key = k.toLowerCase();
      if (top.has(key))
        return report(ctx, "duplicate storage key (it differs from another only in letter case)", k, [k]);
      top.set(key, val.toLowerCase());
      if (key === CODE_KEY) {
        const reason = codeKindReason(kind, fromHex(val));
        if (reason !== undefined) return report(ctx, reason, val, [k]);
      }
    }
    return top;
  });
}

const rawSection = (kind: ChainKind) =>
  section({
    top: rawTop(kind),
    childrenDefault: leaf((v) =>
      typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0
        ? { ok: true as const, value: {} }
        : { ok: false as const, reason: `${expectedFound("an empty object", v)} (child tries are not supported)` },
    ).optional(),
  });

/** The normalised genesis a document schema outputs (before `parse.ts` places the patch under `relay`/`para`). */
export type ParsedGenesis<P> =
  | { kind: "plain"; code: Uint8Array; patch: P }
  | { kind: "raw"; top: Map<string, string> };

function genesisSchema<P>(kind: ChainKind, patch: z.ZodType<P>) {
  return section({
    runtimeGenesis: section({ code: hexLeaf("the runtime code"), patch }).optional(),
    raw: rawSection(kind).optional(),
  }).transform((g, ctx): ParsedGenesis<P> => {
    if (g.runtimeGenesis !== undefined && g.raw !== undefined) {
      return report(ctx, "give either runtimeGenesis (a plain spec) or raw (a raw spec), not both", undefined, ["raw"]);
    }
    if (g.raw !== undefined) return { kind: "raw", top: g.raw.top };
    if (g.runtimeGenesis === undefined) {
      return report(
        ctx,
        "missing, expected runtimeGenesis {code, patch} (a plain spec) or raw {top} (a raw spec)",
        undefined,
        ["runtimeGenesis"],
      );
    }
    const { code, patch: p } = g.runtimeGenesis;
    const reason = codeKindReason(kind, code);
    if (reason !== undefined) return report(ctx, reason, toHex(code), ["runtimeGenesis", "code"]);
    return { kind: "plain", code, patch: p };
  });
}

// ---- document -----------------------------------------------------------------------------------------------

const chainId = leaf((v) =>
  typeof v === "string" && /^[A-Za-z0-9_-]+$/.test(v)
    ? { ok: true as const, value: v }
    : { ok: false as const, reason: expectedFound("a chain id of letters, digits, '_' and '-'", v) },
);

const relayChainId = leaf((v) =>
  typeof v === "string" && v.length > 0
    ? { ok: true as const, value: v }
    : { ok: false as const, reason: expectedFound("the relay chain id (relayChain or relay_chain)", v) },
);

/**
 * Top-level fields shared by both kinds. Unknown top-level keys are allowed (Substrate writes
 * `telemetryEndpoints`, `forkBlocks`, `consensusEngine`, `lightSyncState`, … there); `codeSubstitutes` is ignored.
 */
const common = {
  name: nonEmptyString,
  id: chainId,
  chainType: z.enum(["Development", "Local", "Live"]).optional(),
  bootNodes: z.array(leaf(parseBootNode)).optional(),
  protocolId: nonEmptyString.nullish(),
  properties: section({
    ss58Format: z.int().min(0).max(16_383).optional(),
    tokenDecimals: z.int().min(0).max(255).optional(),
    tokenSymbol: nonEmptyString.optional(),
  }).nullish(),
};

/** A relay-chain spec (no `relayChain`/`paraId`). */
export const relayDocSchema = z.looseObject({ ...common, genesis: genesisSchema("relay", relayPatchSchema) });

/** A parachain spec; `parachainInfo.parachainId` must equal `paraId`. */
export const paraDocSchema = z
  .looseObject({
    ...common,
    relayChain: relayChainId,
    paraId: u32,
    genesis: genesisSchema("para", paraPatchSchema),
  })
  .transform((d, ctx) => {
    const g = d.genesis;
    if (g.kind === "plain" && g.patch.parachainInfo.parachainId !== d.paraId) {
      report(
        ctx,
        `expected ${d.paraId} (the spec's paraId), found ${g.patch.parachainInfo.parachainId}`,
        g.patch.parachainInfo.parachainId,
        ["genesis", "runtimeGenesis", "patch", "parachainInfo", "parachainId"],
      );
    }
    return d;
  });
