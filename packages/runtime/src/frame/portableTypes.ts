import { ParapipeError } from "@parapipe/primitives";
import { getTypeDef, TypeDefInfo, TypeRegistry } from "@polkadot/types";
import type { TypeDef } from "@polkadot/types/types";

/**
 * Turns `@polkadot/types` registry type names into a scale-info `PortableRegistry` (the `lookup` of metadata
 * V14+), shaped the way a Rust runtime built with `scale-info` would describe the same types, so that
 * polkadot-js and polkadot-api treat our metadata exactly like Substrate's.
 */

/** scale-info primitive names, as `@polkadot/types` spells the `Si1TypeDefPrimitive` variants. */
export type PortablePrimitive =
  | "Bool"
  | "Char"
  | "Str"
  | "U8"
  | "U16"
  | "U32"
  | "U64"
  | "U128"
  | "U256"
  | "I8"
  | "I16"
  | "I32"
  | "I64"
  | "I128"
  | "I256";

/** A field of a composite or a variant (`Si1Field`). `name` is null for tuple-like fields. */
export interface PortableField {
  name: string | null;
  type: number;
  typeName: string | null;
  docs: string[];
}

/** One variant of an enum (`Si1Variant`). */
export interface PortableVariant {
  name: string;
  fields: PortableField[];
  index: number;
  docs: string[];
}

/** `Si1TypeDef`, in the JSON form `@polkadot/types` accepts. */
export type PortableTypeDef =
  | { Primitive: PortablePrimitive }
  | { Composite: { fields: PortableField[] } }
  | { Variant: { variants: PortableVariant[] } }
  | { Sequence: { type: number } }
  | { Array: { len: number; type: number } }
  | { Tuple: number[] }
  | { Compact: { type: number } }
  | { BitSequence: { bitStoreType: number; bitOrderType: number } };

/** `Si1Type`: a Rust type with its path, generic parameters, definition and docs. */
export interface PortableType {
  path: string[];
  params: Array<{ name: string; type: number | null }>;
  def: PortableTypeDef;
  docs: string[];
}

/** `PortableType` of the registry: `{id, type}`. Ids are the positions in the list. */
export interface PortableTypeEntry {
  id: number;
  type: PortableType;
}

/** Why a type name cannot be turned into a portable type, or why a metadata definition is inconsistent. */
export type MetadataErrorType =
  | { code: "UNKNOWN_TYPE"; typeName: string; context: string }
  | { code: "UNSUPPORTED_TYPE"; typeName: string; kind: string }
  | { code: "INVALID_DEFINITION"; what: string; detail: string };

/** A metadata definition that cannot be built; `code` says which rule it broke. */
export class MetadataError extends ParapipeError<MetadataErrorType> {}

/** A field as written in the well-known type table: a registry type name plus the Rust field/type names. */
interface KnownField {
  name?: string;
  type: string;
  typeName?: string;
}

interface KnownVariant {
  name: string;
  index: number;
  fields?: KnownField[];
  docs?: string[];
}

type KnownShape =
  | {
      kind: "composite";
      path: string[];
      params?: Array<{ name: string; type: string | null }>;
      fields: KnownField[];
      docs?: string[];
    }
  | {
      kind: "variant";
      path: string[];
      params?: Array<{ name: string; type: string | null }>;
      variants: KnownVariant[];
      docs?: string[];
    }
  | { kind: "alias"; target: string };

const unitVariants = (names: string[]): KnownVariant[] => names.map((name, index) => ({ name, index }));

/** `Era`: Immortal = 0 and Mortal{1..255}(u8), exactly as `sp_runtime::generic::era::Era`'s hand-written TypeInfo. */
const eraVariants = (): KnownVariant[] => {
  const out: KnownVariant[] = [{ name: "Immortal", index: 0 }];
  for (let i = 1; i <= 255; i++) out.push({ name: `Mortal${i}`, index: i, fields: [{ type: "u8" }] });
  return out;
};

const perThing = (name: string, inner: string): KnownShape => ({
  kind: "composite",
  path: ["sp_arithmetic", "per_things", name],
  fields: [{ type: inner, typeName: inner }],
});

/**
 * Types whose Substrate shape differs from (or is richer than) their `@polkadot/types` definition: opaque
 * classes (AccountId32, H256, Era, MultiAddress), wrappers that Rust declares as newtypes (Perbill), and enums
 * that polkadot-js only knows in an older form (DispatchError, TokenError). Field and variant lists follow
 * polkadot-sdk (`sp_runtime`, `sp_core`, `sp_arithmetic`, `sp_weights`, `frame_support`, `frame_system`,
 * `sp_version`). Registry names that are plain aliases of these (`AccountId`, `Hash`, `Address`, `Era`,
 * `Weight` ...) reach them through the registry definition.
 */
const KNOWN_TYPES: Record<string, KnownShape> = {
  AccountId32: {
    kind: "composite",
    path: ["sp_core", "crypto", "AccountId32"],
    fields: [{ type: "[u8; 32]", typeName: "[u8; 32]" }],
  },
  GenericAccountId32: { kind: "alias", target: "AccountId32" },
  GenericAccountId: { kind: "alias", target: "AccountId32" },
  AccountId20: {
    kind: "composite",
    path: ["fp_account", "AccountId20"],
    fields: [{ type: "[u8; 20]", typeName: "[u8; 20]" }],
  },
  GenericEthereumAccountId: { kind: "alias", target: "AccountId20" },
  H160: { kind: "composite", path: ["primitive_types", "H160"], fields: [{ type: "[u8; 20]", typeName: "[u8; 20]" }] },
  H256: { kind: "composite", path: ["primitive_types", "H256"], fields: [{ type: "[u8; 32]", typeName: "[u8; 32]" }] },
  H512: { kind: "composite", path: ["primitive_types", "H512"], fields: [{ type: "[u8; 64]", typeName: "[u8; 64]" }] },
  MultiAddress: {
    kind: "variant",
    path: ["sp_runtime", "multiaddress", "MultiAddress"],
    params: [
      { name: "AccountId", type: "AccountId32" },
      { name: "AccountIndex", type: "()" },
    ],
    variants: [
      { name: "Id", index: 0, fields: [{ type: "AccountId32", typeName: "AccountId" }] },
      { name: "Index", index: 1, fields: [{ type: "Compact<()>", typeName: "AccountIndex" }] },
      { name: "Raw", index: 2, fields: [{ type: "Vec<u8>", typeName: "Vec<u8>" }] },
      { name: "Address32", index: 3, fields: [{ type: "[u8; 32]", typeName: "[u8; 32]" }] },
      { name: "Address20", index: 4, fields: [{ type: "[u8; 20]", typeName: "[u8; 20]" }] },
    ],
  },
  GenericMultiAddress: { kind: "alias", target: "MultiAddress" },
  MultiSignature: {
    kind: "variant",
    path: ["sp_runtime", "MultiSignature"],
    variants: [
      { name: "Ed25519", index: 0, fields: [{ type: "[u8; 64]", typeName: "ed25519::Signature" }] },
      { name: "Sr25519", index: 1, fields: [{ type: "[u8; 64]", typeName: "sr25519::Signature" }] },
      { name: "Ecdsa", index: 2, fields: [{ type: "[u8; 65]", typeName: "ecdsa::Signature" }] },
    ],
  },
  Era: { kind: "variant", path: ["sp_runtime", "generic", "era", "Era"], variants: eraVariants() },
  ExtrinsicEra: { kind: "alias", target: "Era" },
  GenericExtrinsicEra: { kind: "alias", target: "Era" },
  Weight: {
    kind: "composite",
    path: ["sp_weights", "weight_v2", "Weight"],
    fields: [
      { name: "ref_time", type: "Compact<u64>", typeName: "u64" },
      { name: "proof_size", type: "Compact<u64>", typeName: "u64" },
    ],
  },
  WeightV2: { kind: "alias", target: "Weight" },
  Perbill: perThing("Perbill", "u32"),
  Permill: perThing("Permill", "u32"),
  Perquintill: perThing("Perquintill", "u64"),
  Percent: perThing("Percent", "u8"),
  PerU16: perThing("PerU16", "u16"),
  DispatchClass: {
    kind: "variant",
    path: ["frame_support", "dispatch", "DispatchClass"],
    variants: unitVariants(["Normal", "Operational", "Mandatory"]),
  },
  Pays: { kind: "variant", path: ["frame_support", "dispatch", "Pays"], variants: unitVariants(["Yes", "No"]) },
  DispatchInfo: {
    kind: "composite",
    path: ["frame_support", "dispatch", "DispatchInfo"],
    fields: [
      { name: "weight", type: "Weight", typeName: "Weight" },
      { name: "class", type: "DispatchClass", typeName: "DispatchClass" },
      { name: "pays_fee", type: "Pays", typeName: "Pays" },
    ],
  },
  // What `System.ExtrinsicSuccess/ExtrinsicFailed` carry since polkadot-sdk stable2412; same encoding as DispatchInfo.
  DispatchEventInfo: {
    kind: "composite",
    path: ["frame_system", "DispatchEventInfo"],
    fields: [
      { name: "weight", type: "Weight", typeName: "Weight" },
      { name: "class", type: "DispatchClass", typeName: "DispatchClass" },
      { name: "pays_fee", type: "Pays", typeName: "Pays" },
    ],
  },
  ModuleError: {
    kind: "composite",
    path: ["sp_runtime", "ModuleError"],
    fields: [
      { name: "index", type: "u8", typeName: "u8" },
      { name: "error", type: "[u8; 4]", typeName: "[u8; MAX_MODULE_ERROR_ENCODED_SIZE]" },
    ],
  },
  DispatchErrorModule: { kind: "alias", target: "ModuleError" },
  DispatchErrorModuleU8a: { kind: "alias", target: "ModuleError" },
  TokenError: {
    kind: "variant",
    path: ["sp_runtime", "TokenError"],
    variants: unitVariants([
      "FundsUnavailable",
      "OnlyProvider",
      "BelowMinimum",
      "CannotCreate",
      "UnknownAsset",
      "Frozen",
      "Unsupported",
      "CannotCreateHold",
      "NotExpendable",
      "Blocked",
    ]),
  },
  ArithmeticError: {
    kind: "variant",
    path: ["sp_arithmetic", "ArithmeticError"],
    variants: unitVariants(["Underflow", "Overflow", "DivisionByZero"]),
  },
  TransactionalError: {
    kind: "variant",
    path: ["sp_runtime", "TransactionalError"],
    variants: unitVariants(["LimitReached", "NoLayer"]),
  },
  TrieError: {
    kind: "variant",
    path: ["sp_runtime", "proving_trie", "TrieError"],
    variants: unitVariants([
      "InvalidStateRoot",
      "IncompleteDatabase",
      "ValueAtIncompleteKey",
      "DecoderError",
      "InvalidHash",
      "DuplicateKey",
      "ExtraneousNode",
      "ExtraneousValue",
      "ExtraneousHashReference",
      "InvalidChildReference",
      "ValueMismatch",
      "IncompleteProof",
      "RootMismatch",
      "DecodeError",
    ]),
  },
  DispatchError: {
    kind: "variant",
    path: ["sp_runtime", "DispatchError"],
    variants: [
      { name: "Other", index: 0 },
      { name: "CannotLookup", index: 1 },
      { name: "BadOrigin", index: 2 },
      { name: "Module", index: 3, fields: [{ type: "ModuleError", typeName: "ModuleError" }] },
      { name: "ConsumerRemaining", index: 4 },
      { name: "NoProviders", index: 5 },
      { name: "TooManyConsumers", index: 6 },
      { name: "Token", index: 7, fields: [{ type: "TokenError", typeName: "TokenError" }] },
      { name: "Arithmetic", index: 8, fields: [{ type: "ArithmeticError", typeName: "ArithmeticError" }] },
      { name: "Transactional", index: 9, fields: [{ type: "TransactionalError", typeName: "TransactionalError" }] },
      { name: "Exhausted", index: 10 },
      { name: "Corruption", index: 11 },
      { name: "Unavailable", index: 12 },
      { name: "RootNotAllowed", index: 13 },
      { name: "Trie", index: 14, fields: [{ type: "TrieError", typeName: "TrieError" }] },
    ],
  },
  Phase: {
    kind: "variant",
    path: ["frame_system", "Phase"],
    variants: [
      { name: "ApplyExtrinsic", index: 0, fields: [{ type: "u32", typeName: "u32" }] },
      { name: "Finalization", index: 1 },
      { name: "Initialization", index: 2 },
    ],
  },
  // `spec_name`/`impl_name` are `Cow<'static, str>` upstream; scale-info describes them as `str` once unwrapped,
  // which is what both clients decode (PAPI reads `spec_version`/`transaction_version` from this constant).
  RuntimeVersion: {
    kind: "composite",
    path: ["sp_version", "RuntimeVersion"],
    fields: [
      { name: "spec_name", type: "Text", typeName: "Cow<'static, str>" },
      { name: "impl_name", type: "Text", typeName: "Cow<'static, str>" },
      { name: "authoring_version", type: "u32", typeName: "u32" },
      { name: "spec_version", type: "u32", typeName: "u32" },
      { name: "impl_version", type: "u32", typeName: "u32" },
      { name: "apis", type: "Vec<([u8; 8], u32)>", typeName: "ApisVec" },
      { name: "transaction_version", type: "u32", typeName: "u32" },
      { name: "system_version", type: "u8", typeName: "u8" },
    ],
  },
};

/** Names that `@polkadot/types` implements as classes with a fixed scale-info counterpart. */
const PRIMITIVES: Record<string, PortablePrimitive> = {
  bool: "Bool",
  u8: "U8",
  u16: "U16",
  u32: "U32",
  u64: "U64",
  u128: "U128",
  u256: "U256",
  i8: "I8",
  i16: "I16",
  i32: "I32",
  i64: "I64",
  i128: "I128",
  i256: "I256",
  Text: "Str",
  Str: "Str",
  String: "Str",
};

/**
 * Default Rust paths for runtime types that are registered by name (structs and enums of the registry),
 * mirroring where polkadot-sdk declares them. Anything else defaults to `<crate of the pallet that first uses
 * it>::<Name>`. `RuntimeMetadataDef.paths` overrides both.
 */
export const DEFAULT_TYPE_PATHS: Readonly<Record<string, readonly string[]>> = {
  AccountInfo: ["frame_system", "AccountInfo"],
  AccountInfoWithTripleRefCount: ["frame_system", "AccountInfo"],
  AccountData: ["pallet_balances", "types", "AccountData"],
  ExtraFlags: ["pallet_balances", "types", "ExtraFlags"],
  BalanceLock: ["pallet_balances", "types", "BalanceLock"],
  Reasons: ["pallet_balances", "types", "Reasons"],
  ReserveData: ["pallet_balances", "types", "ReserveData"],
  IdAmount: ["frame_support", "traits", "tokens", "misc", "IdAmount"],
  LastRuntimeUpgradeInfo: ["frame_system", "LastRuntimeUpgradeInfo"],
  PerDispatchClassWeight: ["frame_support", "dispatch", "PerDispatchClass"],
  Releases: ["pallet_transaction_payment", "Releases"],
  Digest: ["sp_runtime", "generic", "digest", "Digest"],
  DigestItem: ["sp_runtime", "generic", "digest", "DigestItem"],
  Header: ["sp_runtime", "generic", "header", "Header"],
};

/** What resolution is being done for, used in error messages and for default paths. */
export interface ResolveContext {
  /** Rust path prefix for named types first met here, e.g. ["pallet_balances"]. */
  crate: string[];
  /** Human description for errors ("Balances.transfer_keep_alive.dest"). */
  where: string;
}

/** Options of {@link PortableRegistryBuilder}. */
export interface PortableRegistryBuilderOptions {
  /** Path overrides, registry name -> Rust path segments. */
  paths?: Record<string, string[]>;
  /**
   * Names that resolve to types the caller generates (RuntimeCall, RuntimeEvent, EventRecord ...). Looked up
   * before the registry; the function returns the (possibly reserved) type id.
   */
  generated?: Record<string, () => number>;
}

let pristineRegistry: TypeRegistry | undefined;

/** A registry with only the `@polkadot/types` defaults, to tell a runtime's own definitions from the defaults. */
function pristine(): TypeRegistry {
  pristineRegistry ??= new TypeRegistry();
  return pristineRegistry;
}

/** `refTime` -> `ref_time`: Rust field/function names, which polkadot-js camelCases back. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
}

const field = (name: string | null, type: number, typeName: string | null = null): PortableField => ({
  name,
  type,
  typeName,
  docs: [],
});

/**
 * Builds a deduplicated portable type registry. Named types (paths) get a slot when first met, so recursive
 * types (a call that carries `Vec<RuntimeCall>`) work; anonymous types (Vec, tuples, arrays ...) are interned
 * by content. `finish()` merges any remaining identical entries and renumbers ids densely, in first-use order.
 */
export class PortableRegistryBuilder {
  readonly #registry: TypeRegistry;
  readonly #paths: Record<string, string[]>;
  readonly #generated: Record<string, () => number>;
  readonly #entries: Array<PortableType | undefined> = [];
  readonly #interned = new Map<string, number>();
  readonly #named = new Map<string, number>();
  #finished = false;

  constructor(registry: TypeRegistry, opts: PortableRegistryBuilderOptions = {}) {
    this.#registry = registry;
    this.#paths = opts.paths ?? {};
    this.#generated = opts.generated ?? {};
  }

  /** The type id for a registry type name ("AccountInfo", "Compact<u128>", "Vec<EventRecord>" ...). */
  resolve(typeName: string, ctx: ResolveContext): number {
    let td: TypeDef;
    try {
      td = getTypeDef(typeName);
    } catch (err) {
      throw new MetadataError(
        { code: "UNKNOWN_TYPE", typeName, context: ctx.where },
        `Cannot parse type name "${typeName}" (${ctx.where}): ${(err as Error).message}`,
      );
    }
    return this.#resolveTypeDef(td, ctx, []);
  }

  /**
   * Reserves (or finds) the slot of a named type. Returns `isNew` when the caller must `fill` it; the id can be
   * referenced before it is filled.
   */
  slot(key: string): { id: number; isNew: boolean } {
    const found = this.#named.get(key);
    if (found !== undefined) return { id: found, isNew: false };
    const id = this.#entries.length;
    this.#entries.push(undefined);
    this.#named.set(key, id);
    return { id, isNew: true };
  }

  /** Fills a slot returned by `slot`. */
  fill(id: number, type: PortableType): void {
    if (this.#entries[id] !== undefined) {
      throw new MetadataError({ code: "INVALID_DEFINITION", what: `type ${id}`, detail: "slot filled twice" });
    }
    this.#entries[id] = type;
  }

  /** The id of an anonymous (or fully determined) type, shared with any identical one. */
  intern(type: PortableType): number {
    const key = JSON.stringify(type);
    const found = this.#interned.get(key);
    if (found !== undefined) return found;
    const id = this.#entries.length;
    this.#entries.push(type);
    this.#interned.set(key, id);
    return id;
  }

  /** The type behind an id handed out by this builder (undefined while a named slot is still being built). */
  typeOf(id: number): PortableType | undefined {
    return this.#entries[id];
  }

  /** Shorthand for common anonymous types. */
  primitive(p: PortablePrimitive): number {
    return this.intern({ path: [], params: [], def: { Primitive: p }, docs: [] });
  }
  sequence(type: number): number {
    return this.intern({ path: [], params: [], def: { Sequence: { type } }, docs: [] });
  }
  tuple(types: number[]): number {
    return this.intern({ path: [], params: [], def: { Tuple: types }, docs: [] });
  }

  /**
   * Merges identical entries, renumbers ids 0..n-1 in first-use order and returns the entries plus the map from
   * the ids handed out during building to the final ids.
   */
  finish(): { types: PortableTypeEntry[]; remap: (id: number) => number } {
    if (this.#finished) {
      throw new MetadataError({
        code: "INVALID_DEFINITION",
        what: "portable registry",
        detail: "finish() called twice",
      });
    }
    this.#finished = true;
    const entries = this.#entries.map((e, id) => {
      if (e === undefined) {
        throw new MetadataError({
          code: "INVALID_DEFINITION",
          what: `type ${id}`,
          detail: "reserved but never filled",
        });
      }
      return e;
    });
    const parent = entries.map((_, i) => i);
    const find = (i: number): number => {
      let r = i;
      while (parent[r] !== r) r = parent[r]!;
      return r;
    };
    // Fixpoint: merging two entries can make their users identical too (Vec<A> and Vec<B> once A = B).
    for (let changed = true; changed; ) {
      changed = false;
      const seen = new Map<string, number>();
      for (let i = 0; i < entries.length; i++) {
        if (parent[i] !== i) continue;
        const key = JSON.stringify(rewriteIds(entries[i]!, find));
        const first = seen.get(key);
        if (first === undefined) seen.set(key, i);
        else {
          parent[i] = first;
          changed = true;
        }
      }
    }
    const finalId = new Map<number, number>();
    for (let i = 0; i < entries.length; i++) if (parent[i] === i) finalId.set(i, finalId.size);
    const remap = (id: number): number => {
      const out = finalId.get(find(id));
      if (out === undefined) {
        throw new MetadataError({ code: "INVALID_DEFINITION", what: `type ${id}`, detail: "unknown type id" });
      }
      return out;
    };
    const types: PortableTypeEntry[] = [];
    for (let i = 0; i < entries.length; i++) {
      if (parent[i] === i) types.push({ id: remap(i), type: rewriteIds(entries[i]!, remap) });
    }
    return { types, remap };
  }

  #resolveTypeDef(td: TypeDef, ctx: ResolveContext, aliases: string[]): number {
    switch (td.info) {
      case TypeDefInfo.Plain:
        return this.#resolveName(td.type, ctx, aliases);
      case TypeDefInfo.Null:
        return this.tuple([]);
      case TypeDefInfo.Compact:
        return this.intern({
          path: [],
          params: [],
          def: { Compact: { type: this.#resolveTypeDef(single(td), ctx, []) } },
          docs: [],
        });
      case TypeDefInfo.Vec:
        return this.sequence(this.#resolveTypeDef(single(td), ctx, []));
      case TypeDefInfo.VecFixed: {
        const len = td.length ?? 0;
        return this.intern({
          path: [],
          params: [],
          def: { Array: { len, type: this.#resolveTypeDef(single(td), ctx, []) } },
          docs: [],
        });
      }
      case TypeDefInfo.Tuple:
        return this.tuple(many(td).map((s) => this.#resolveTypeDef(s, ctx, [])));
      case TypeDefInfo.Int:
      case TypeDefInfo.UInt: {
        const bits = td.length ?? 0;
        const name = `${td.info === TypeDefInfo.Int ? "I" : "U"}${bits}`;
        if (![8, 16, 32, 64, 128, 256].includes(bits)) this.#unsupported(td.type, `${bits}-bit integer`);
        return this.primitive(name as PortablePrimitive);
      }
      case TypeDefInfo.Option: {
        // scale-info's `Option<T>`: path ["Option"], param T, None = 0, Some(T) = 1 (PAPI keys on exactly this).
        const t = this.#resolveTypeDef(single(td), ctx, []);
        return this.intern({
          path: ["Option"],
          params: [{ name: "T", type: t }],
          def: {
            Variant: {
              variants: [
                { name: "None", fields: [], index: 0, docs: [] },
                { name: "Some", fields: [field(null, t)], index: 1, docs: [] },
              ],
            },
          },
          docs: [],
        });
      }
      case TypeDefInfo.Result: {
        const [ok, err] = many(td).map((s) => this.#resolveTypeDef(s, ctx, []));
        return this.intern({
          path: ["Result"],
          params: [
            { name: "T", type: ok! },
            { name: "E", type: err! },
          ],
          def: {
            Variant: {
              variants: [
                { name: "Ok", fields: [field(null, ok!)], index: 0, docs: [] },
                { name: "Err", fields: [field(null, err!)], index: 1, docs: [] },
              ],
            },
          },
          docs: [],
        });
      }
      case TypeDefInfo.BTreeMap:
      case TypeDefInfo.HashMap: {
        // scale-info's `BTreeMap<K, V>`: a composite around `[(K, V)]`.
        const [k, v] = many(td).map((s) => this.#resolveTypeDef(s, ctx, []));
        return this.intern({
          path: ["BTreeMap"],
          params: [
            { name: "K", type: k! },
            { name: "V", type: v! },
          ],
          def: { Composite: { fields: [field(null, this.sequence(this.tuple([k!, v!])))] } },
          docs: [],
        });
      }
      case TypeDefInfo.BTreeSet: {
        const t = this.#resolveTypeDef(single(td), ctx, []);
        return this.intern({
          path: ["BTreeSet"],
          params: [{ name: "T", type: t }],
          def: { Composite: { fields: [field(null, this.sequence(t))] } },
          docs: [],
        });
      }
      case TypeDefInfo.Range:
      case TypeDefInfo.RangeInclusive: {
        const t = this.#resolveTypeDef(single(td), ctx, []);
        return this.intern({
          path: [td.info === TypeDefInfo.Range ? "Range" : "RangeInclusive"],
          params: [{ name: "Idx", type: t }],
          def: { Composite: { fields: [field("start", t, "Idx"), field("end", t, "Idx")] } },
          docs: [],
        });
      }
      case TypeDefInfo.Struct:
      case TypeDefInfo.Enum:
        return this.#resolveAggregate(td, ctx, aliases);
      default:
        return this.#unsupported(td.type, TypeDefInfo[td.info] ?? String(td.info));
    }
  }

  #resolveName(name: string, ctx: ResolveContext, aliases: string[]): number {
    const chain = [...aliases, name];
    if (chain.length > 32) this.#unsupported(name, `alias chain ${chain.join(" -> ")}`);

    const generated = this.#generated[name];
    if (generated) return generated();

    const definition = this.#registry.getDefinition(name);
    const overridden = definition !== undefined && definition !== pristine().getDefinition(name);
    const known = KNOWN_TYPES[name];
    if (known && !overridden) return this.#resolveKnown(name, known, chain);

    const primitive = PRIMITIVES[name];
    if (primitive && definition === undefined) return this.primitive(primitive);
    if (definition === undefined) {
      switch (name) {
        case "Bytes":
          return this.sequence(this.primitive("U8"));
        case "Null":
          return this.tuple([]);
        case "BitVec":
          return this.#bitVec();
        default:
          throw new MetadataError(
            { code: "UNKNOWN_TYPE", typeName: name, context: ctx.where },
            `The registry has no definition for type "${name}" (${ctx.where})`,
          );
      }
    }
    return this.#resolveTypeDef(getTypeDef(definition), ctx, chain);
  }

  #resolveKnown(name: string, known: KnownShape, chain: string[]): number {
    if (known.kind === "alias") {
      const target = KNOWN_TYPES[known.target]!;
      return this.#resolveKnown(known.target, target, [...chain, known.target]);
    }
    const key = `known:${name}`;
    const { id, isNew } = this.slot(key);
    if (!isNew) return id;
    const ctx: ResolveContext = { crate: known.path.slice(0, -1), where: `well-known type ${name}` };
    const path = this.#userPath(chain) ?? known.path;
    const params = (known.params ?? []).map((p) => ({
      name: p.name,
      type: p.type === null ? null : this.resolve(p.type, ctx),
    }));
    const knownField = (f: KnownField): PortableField =>
      field(f.name ?? null, this.resolve(f.type, ctx), f.typeName ?? null);
    const def: PortableTypeDef =
      known.kind === "composite"
        ? { Composite: { fields: known.fields.map(knownField) } }
        : {
            Variant: {
              variants: known.variants.map((v) => ({
                name: v.name,
                fields: (v.fields ?? []).map(knownField),
                index: v.index,
                docs: v.docs ?? [],
              })),
            },
          };
    this.fill(id, { path, params, def, docs: known.docs ?? [] });
    return id;
  }

  /** A struct or enum of the registry: named (with a path) when it came from a definition, anonymous if inline. */
  #resolveAggregate(td: TypeDef, ctx: ResolveContext, aliases: string[]): number {
    const name = aliases.at(-1);
    let id: number | undefined;
    let path: string[] = [];
    if (name !== undefined) {
      const s = this.slot(`registry:${name}`);
      if (!s.isNew) return s.id;
      id = s.id;
      const outer = aliases[0]!;
      path = this.#userPath(aliases) ?? defaultPath(aliases) ?? [...ctx.crate, outer];
    }
    const inner: ResolveContext = { crate: ctx.crate, where: name ? `type ${name}` : ctx.where };
    const def = td.info === TypeDefInfo.Struct ? this.#structDef(td, inner) : this.#enumDef(td, inner);
    const type: PortableType = { path, params: [], def, docs: td.docs ?? [] };
    if (id === undefined) return this.intern(type);
    this.fill(id, type);
    return id;
  }

  #structDef(td: TypeDef, ctx: ResolveContext): PortableTypeDef {
    return {
      Composite: {
        fields: many(td).map((s) => {
          const rustName = td.alias?.get(s.name ?? "") ?? s.name ?? "";
          return field(toSnakeCase(rustName), this.#resolveTypeDef(s, ctx, []), s.typeName ?? s.type);
        }),
      },
    };
  }

  #enumDef(td: TypeDef, ctx: ResolveContext): PortableTypeDef {
    const variants: PortableVariant[] = [];
    many(td).forEach((s, position) => {
      const name = s.name ?? "";
      // polkadot-js pads sparse indexes with `__UnusedN` placeholders; the real index is the position.
      if (name.startsWith("__Unused")) return;
      const index = s.index ?? position;
      if (!Number.isInteger(index) || index < 0 || index > 255) {
        throw new MetadataError({ code: "INVALID_DEFINITION", what: `${ctx.where}.${name}`, detail: `index ${index}` });
      }
      variants.push({ name, fields: this.#variantFields(s, ctx), index, docs: s.docs ?? [] });
    });
    return { Variant: { variants } };
  }

  #variantFields(s: TypeDef, ctx: ResolveContext): PortableField[] {
    if (s.info === TypeDefInfo.Null || (s.info === TypeDefInfo.Plain && s.type === "Null")) return [];
    if (s.info === TypeDefInfo.Struct) {
      return many(s).map((f) => field(toSnakeCase(f.name ?? ""), this.#resolveTypeDef(f, ctx, []), f.type));
    }
    // `A(u32, u64)` is a tuple-like variant with two unnamed fields; polkadot-js writes it as `"(u32,u64)"`.
    if (s.info === TypeDefInfo.Tuple) {
      return many(s).map((f) => field(null, this.#resolveTypeDef(f, ctx, []), f.type));
    }
    const plain: TypeDef = { ...s, name: undefined };
    return [field(null, this.#resolveTypeDef(plain, ctx, []), s.type)];
  }

  #bitVec(): number {
    // `BitVec<u8, Lsb0>`, the only order polkadot-js encodes.
    const lsb0 = this.intern({
      path: ["bitvec", "order", "Lsb0"],
      params: [],
      def: { Composite: { fields: [] } },
      docs: [],
    });
    return this.intern({
      path: [],
      params: [],
      def: { BitSequence: { bitStoreType: this.primitive("U8"), bitOrderType: lsb0 } },
      docs: [],
    });
  }

  #userPath(names: string[]): string[] | undefined {
    for (const n of names) {
      const p = this.#paths[n];
      if (p) return [...p];
    }
    return undefined;
  }

  #unsupported(typeName: string, kind: string): never {
    throw new MetadataError(
      { code: "UNSUPPORTED_TYPE", typeName, kind },
      `Type "${typeName}" (${kind}) has no scale-info counterpart in the metadata builder`,
    );
  }
}

/** The default path of a registry struct/enum: the table above, else the path of a well-known type it redefines. */
function defaultPath(names: string[]): string[] | undefined {
  for (const n of names) {
    const p = DEFAULT_TYPE_PATHS[n];
    if (p) return [...p];
    let known = KNOWN_TYPES[n];
    if (known?.kind === "alias") known = KNOWN_TYPES[known.target];
    if (known && known.kind !== "alias") return [...known.path];
  }
  return undefined;
}

function single(td: TypeDef): TypeDef {
  const sub = td.sub;
  if (!sub || Array.isArray(sub)) {
    throw new MetadataError({ code: "UNSUPPORTED_TYPE", typeName: td.type, kind: "missing inner type" });
  }
  return sub;
}

function many(td: TypeDef): TypeDef[] {
  const sub = td.sub;
  if (sub === undefined) return [];
  return Array.isArray(sub) ? sub : [sub];
}

/** A copy of `type` with every type id passed through `map`. */
function rewriteIds(type: PortableType, map: (id: number) => number): PortableType {
  const f = (x: PortableField): PortableField => ({ ...x, type: map(x.type) });
  const d = type.def;
  let def: PortableTypeDef;
  if ("Composite" in d) def = { Composite: { fields: d.Composite.fields.map(f) } };
  else if ("Variant" in d)
    def = { Variant: { variants: d.Variant.variants.map((v) => ({ ...v, fields: v.fields.map(f) })) } };
  else if ("Sequence" in d) def = { Sequence: { type: map(d.Sequence.type) } };
  else if ("Array" in d) def = { Array: { len: d.Array.len, type: map(d.Array.type) } };
  else if ("Tuple" in d) def = { Tuple: d.Tuple.map(map) };
  else if ("Compact" in d) def = { Compact: { type: map(d.Compact.type) } };
  else if ("BitSequence" in d)
    def = {
      BitSequence: { bitStoreType: map(d.BitSequence.bitStoreType), bitOrderType: map(d.BitSequence.bitOrderType) },
    };
  else def = d;
  return {
    path: type.path,
    params: type.params.map((p) => ({ name: p.name, type: p.type === null ? null : map(p.type) })),
    def,
    docs: type.docs,
  };
}
