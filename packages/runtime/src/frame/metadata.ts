import { Metadata, TypeRegistry } from "@polkadot/types";
import type { RegistryTypes } from "@polkadot/types/types";
import { u8aToHex } from "@polkadot/util";
import type { HexString } from "@polkadot/util/types";
import type { PalletMetadataDef, RuntimeMetadataDef, StorageItemMetadataDef } from "./metadataTypes.js";
import {
  MetadataError,
  type PortableField,
  PortableRegistryBuilder,
  type PortableTypeEntry,
  type ResolveContext,
  toSnakeCase,
} from "./portableTypes.js";

export {
  DEFAULT_TYPE_PATHS,
  MetadataError,
  type MetadataErrorType,
  type PortableType,
  type PortableTypeEntry,
  toSnakeCase,
} from "./portableTypes.js";

/** "meta" as a little-endian u32: the first four bytes of every encoded metadata. */
const META_MAGIC = 0x6174656d;
const EXTRINSIC_FORMAT_VERSION = 4;

/**
 * Type names that a def may use to refer to types the builder generates rather than the registry:
 * - `RuntimeCall` / `Call`: `<runtimeCrate>::RuntimeCall` (e.g. `Vec<Call>` in a batch call);
 * - `RuntimeEvent` / `Event`: `<runtimeCrate>::RuntimeEvent`;
 * - `EventRecord`: `frame_system::EventRecord<RuntimeEvent, H256>`, so `System.Events` is declared with
 *   value type `"Vec<EventRecord>"`.
 * These names keep their `@polkadot/types` meaning for the runtime registry (`Call`, `Event` and `EventRecord`
 * decode through the metadata once it is set), so the runtime can encode with the same names it declares.
 */
export const GENERATED_TYPE_NAMES = ["RuntimeCall", "Call", "RuntimeEvent", "Event", "EventRecord"] as const;

type V14StorageEntry = {
  name: string;
  modifier: "Default" | "Optional";
  type: { Plain: number } | { Map: { hashers: string[]; key: number; value: number } };
  fallback: HexString;
  docs: string[];
};

type V14Pallet = {
  name: string;
  storage: { prefix: string; items: V14StorageEntry[] } | null;
  calls: { type: number } | null;
  events: { type: number } | null;
  constants: Array<{ name: string; type: number; value: HexString; docs: string[] }>;
  errors: { type: number } | null;
  index: number;
};

type V14 = {
  lookup: { types: PortableTypeEntry[] };
  pallets: V14Pallet[];
  extrinsic: {
    type: number;
    version: number;
    signedExtensions: Array<{ identifier: string; type: number; additionalSigned: number }>;
  };
  type: number;
};

/**
 * Builds the SCALE-encoded metadata (`"meta"` ++ version 14 ++ `RuntimeMetadataV14`) of a runtime, in the shape
 * a FRAME runtime produces: a scale-info type registry with Substrate's paths, per-pallet `Call`/`Event`/`Error`
 * enums, `RuntimeCall`/`RuntimeEvent`, `frame_system::EventRecord` and the `UncheckedExtrinsic` type with its
 * `Address, Call, Signature, Extra` parameters. Every type name in `def` is resolved with `registry` (which is
 * only read); see {@link GENERATED_TYPE_NAMES} for the names that point at generated types. Deterministic:
 * the same def gives the same bytes.
 */
export function buildMetadataV14(registry: TypeRegistry, def: RuntimeMetadataDef): Uint8Array {
  validateDef(def);
  const runtimeCrate = def.runtimeCrate.split("::");
  const runtimeCtx = (where: string): ResolveContext => ({ crate: runtimeCrate, where });

  // Filled below: the builder consults it whenever a def names a generated type, possibly mid-build (recursion).
  const generated: Record<string, () => number> = {};
  const b = new PortableRegistryBuilder(registry, { paths: def.paths, generated });

  const palletCallType = (p: PalletMetadataDef): number =>
    palletEnum(b, p, "Call", () =>
      (p.calls ?? []).map((c) => ({
        name: toSnakeCase(c.name),
        index: c.index,
        docs: c.docs ?? [],
        fields: c.args.map((a) =>
          fieldOf(b, a.name, a.type, a.typeName, palletCtx(p, `${p.name}.${c.name}(${a.name})`)),
        ),
      })),
    );
  const palletEventType = (p: PalletMetadataDef): number =>
    palletEnum(b, p, "Event", () =>
      (p.events ?? []).map((e) => ({
        name: e.name,
        index: e.index,
        docs: e.docs ?? [],
        fields: e.fields.map((f) =>
          fieldOf(b, f.name, f.type, f.typeName, palletCtx(p, `${p.name}.${e.name}.${f.name}`)),
        ),
      })),
    );
  const palletErrorType = (p: PalletMetadataDef): number =>
    palletEnum(b, p, "Error", () =>
      (p.errors ?? []).map((e) => ({ name: e.name, index: e.index, docs: e.docs ?? [], fields: [] })),
    );

  // Outer enums: one variant per pallet, at the pallet index, wrapping the pallet's own enum (construct_runtime!).
  const runtimeCall = (): number => {
    const { id, isNew } = b.slot("runtime:RuntimeCall");
    if (!isNew) return id;
    const variants = def.pallets
      .filter((p) => p.calls !== undefined)
      .map((p) => ({
        name: p.name,
        index: p.index,
        docs: [],
        fields: [
          field(
            palletCallType(p),
            `self::sp_api_hidden_includes_construct_runtime::hidden_include::dispatch::CallableCallFor<${p.name}, Runtime>`,
          ),
        ],
      }));
    b.fill(id, { path: [...runtimeCrate, "RuntimeCall"], params: [], def: { Variant: { variants } }, docs: [] });
    return id;
  };
  const runtimeEvent = (): number => {
    const { id, isNew } = b.slot("runtime:RuntimeEvent");
    if (!isNew) return id;
    const variants = def.pallets
      .filter((p) => p.events !== undefined)
      .map((p) => ({
        name: p.name,
        index: p.index,
        docs: [],
        fields: [field(palletEventType(p), `${p.crate}::Event<Runtime>`)],
      }));
    b.fill(id, { path: [...runtimeCrate, "RuntimeEvent"], params: [], def: { Variant: { variants } }, docs: [] });
    return id;
  };
  // polkadot-js finds the event type through this path and its first parameter (`E`).
  const eventRecord = (): number => {
    const { id, isNew } = b.slot("runtime:EventRecord");
    if (!isNew) return id;
    const ctx = runtimeCtx("frame_system::EventRecord");
    const event = runtimeEvent();
    const hash = b.resolve("H256", ctx);
    b.fill(id, {
      path: ["frame_system", "EventRecord"],
      params: [
        { name: "E", type: event },
        { name: "T", type: hash },
      ],
      def: {
        Composite: {
          fields: [
            named("phase", b.resolve("Phase", ctx), "Phase"),
            named("event", event, "E"),
            named("topics", b.sequence(hash), "Vec<T>"),
          ],
        },
      },
      docs: [],
    });
    return id;
  };

  Object.assign(generated, {
    RuntimeCall: runtimeCall,
    Call: runtimeCall,
    RuntimeEvent: runtimeEvent,
    Event: runtimeEvent,
    EventRecord: eventRecord,
  } satisfies Record<(typeof GENERATED_TYPE_NAMES)[number], () => number>);

  const pallets: V14Pallet[] = def.pallets.map((p) => ({
    name: p.name,
    storage: p.storage
      ? { prefix: p.storage.prefix, items: p.storage.items.map((item) => storageEntry(b, p, item)) }
      : null,
    calls: p.calls !== undefined ? { type: palletCallType(p) } : null,
    events: p.events !== undefined ? { type: palletEventType(p) } : null,
    constants: (p.constants ?? []).map((c) => ({
      name: c.name,
      type: b.resolve(c.type, palletCtx(p, `${p.name}.${c.name} (constant)`)),
      // Hex, not Uint8Array: a Uint8Array given to polkadot-js' `Bytes` is read as already length-prefixed.
      value: u8aToHex(c.value),
      docs: c.docs ?? [],
    })),
    errors: p.errors !== undefined ? { type: palletErrorType(p) } : null,
    index: p.index,
  }));

  // Generated even when nothing refers to them: clients look them up by path.
  runtimeCall();
  runtimeEvent();
  eventRecord();

  const signedExtensions = def.signedExtensions.map((se) => ({
    identifier: se.identifier,
    type: b.resolve(se.type, runtimeCtx(`signed extension ${se.identifier}`)),
    additionalSigned: b.resolve(se.additionalSigned, runtimeCtx(`signed extension ${se.identifier} (additional)`)),
  }));

  // sp_runtime's hand-written TypeInfo: opaque `Vec<u8>` plus the four parameters clients decode with.
  const extrinsicCtx = runtimeCtx("UncheckedExtrinsic");
  const extrinsic = b.intern({
    path: ["sp_runtime", "generic", "unchecked_extrinsic", "UncheckedExtrinsic"],
    params: [
      { name: "Address", type: b.resolve("MultiAddress", extrinsicCtx) },
      { name: "Call", type: runtimeCall() },
      { name: "Signature", type: b.resolve("MultiSignature", extrinsicCtx) },
      { name: "Extra", type: b.tuple(signedExtensions.map((se) => se.type)) },
    ],
    def: { Composite: { fields: [field(b.sequence(b.primitive("U8")), null)] } },
    docs: ["UncheckedExtrinsic raw bytes, requires custom decoding routine"],
  });

  // `RuntimeMetadataV14.ty` is `meta_type::<Runtime>()`, the unit struct declared by construct_runtime!.
  const runtimeType = b.intern({
    path: [...runtimeCrate, "Runtime"],
    params: [],
    def: { Composite: { fields: [] } },
    docs: [],
  });

  for (const p of def.pallets) checkStorageKeys(b, p, pallets);

  const { types, remap } = b.finish();
  const v14: V14 = {
    lookup: { types },
    pallets: pallets.map((p) => ({
      ...p,
      storage: p.storage
        ? {
            prefix: p.storage.prefix,
            items: p.storage.items.map((item) => ({
              ...item,
              type:
                "Plain" in item.type
                  ? { Plain: remap(item.type.Plain) }
                  : {
                      Map: {
                        hashers: item.type.Map.hashers,
                        key: remap(item.type.Map.key),
                        value: remap(item.type.Map.value),
                      },
                    },
            })),
          }
        : null,
      calls: p.calls ? { type: remap(p.calls.type) } : null,
      events: p.events ? { type: remap(p.events.type) } : null,
      constants: p.constants.map((c) => ({ ...c, type: remap(c.type) })),
      errors: p.errors ? { type: remap(p.errors.type) } : null,
    })),
    extrinsic: {
      type: remap(extrinsic),
      version: EXTRINSIC_FORMAT_VERSION,
      signedExtensions: signedExtensions.map((se) => ({
        identifier: se.identifier,
        type: remap(se.type),
        additionalSigned: remap(se.additionalSigned),
      })),
    },
    type: remap(runtimeType),
  };
  return new Metadata(new TypeRegistry(), { magicNumber: META_MAGIC, metadata: { v14 } }).toU8a();
}

/** Decodes metadata bytes (any version polkadot-js knows) with a fresh registry. */
export function decodeMetadata(bytes: Uint8Array | `0x${string}`): Metadata {
  return new Metadata(new TypeRegistry(), bytes);
}

/**
 * A fresh registry with this metadata set: `createType("Call" | "Extrinsic" | "Vec<EventRecord>")` then decode
 * and encode through the runtime's pallets and signed extensions. `types` are registered first (the runtime's
 * own named types such as `AccountInfo`), so the registry can also build what the def names.
 */
export function createMetadataRegistry(
  bytes: Uint8Array | `0x${string}`,
  opts: { types?: RegistryTypes } = {},
): TypeRegistry {
  const registry = new TypeRegistry();
  if (opts.types) registry.register(opts.types);
  registry.setMetadata(new Metadata(registry, bytes));
  return registry;
}

function palletCtx(p: PalletMetadataDef, where: string): ResolveContext {
  return { crate: p.crate.split("::"), where };
}

const PALLET_ENUM_DOCS = {
  Call: ["Contains a variant per dispatchable extrinsic that this pallet has."],
  Event: ["The `Event` enum of this pallet"],
  Error: ["The `Error` enum of this pallet."],
} as const;

/** `<crate>::pallet::{Call,Event,Error}<T>` as `#[pallet::*]` declares them (`T` skipped, hence no type). */
function palletEnum(
  b: PortableRegistryBuilder,
  p: PalletMetadataDef,
  kind: "Call" | "Event" | "Error",
  variants: () => Array<{ name: string; index: number; docs: string[]; fields: PortableField[] }>,
): number {
  const { id, isNew } = b.slot(`pallet:${p.name}:${kind}`);
  if (!isNew) return id;
  b.fill(id, {
    path: [...p.crate.split("::"), "pallet", kind],
    params: [{ name: "T", type: null }],
    def: { Variant: { variants: variants() } },
    docs: [...PALLET_ENUM_DOCS[kind]],
  });
  return id;
}

function storageEntry(b: PortableRegistryBuilder, p: PalletMetadataDef, item: StorageItemMetadataDef): V14StorageEntry {
  const ctx = palletCtx(p, `${p.name}.${item.name} (storage)`);
  const value = b.resolve(item.value, ctx);
  return {
    name: item.name,
    modifier: item.modifier,
    type:
      item.kind === "plain"
        ? { Plain: value }
        : { Map: { hashers: [...item.hashers], key: b.resolve(item.key, ctx), value } },
    fallback: u8aToHex(item.fallback),
    docs: item.docs ?? [],
  };
}

/** A map with N > 1 hashers keys on an N-tuple, one hasher per element (StorageNMap / StorageDoubleMap). */
function checkStorageKeys(b: PortableRegistryBuilder, p: PalletMetadataDef, pallets: V14Pallet[]): void {
  const built = pallets.find((x) => x.name === p.name)?.storage?.items ?? [];
  for (const item of built) {
    if (!("Map" in item.type) || item.type.Map.hashers.length === 1) continue;
    const key = b.typeOf(item.type.Map.key);
    const arity = key && "Tuple" in key.def ? key.def.Tuple.length : 1;
    if (arity !== item.type.Map.hashers.length) {
      throw new MetadataError(
        { code: "INVALID_DEFINITION", what: `${p.name}.${item.name}`, detail: "hashers/key arity mismatch" },
        `Storage ${p.name}.${item.name} has ${item.type.Map.hashers.length} hashers but a key of ${arity} element(s)`,
      );
    }
  }
}

function fieldOf(
  b: PortableRegistryBuilder,
  name: string,
  type: string,
  typeName: string | undefined,
  ctx: ResolveContext,
): PortableField {
  return named(toSnakeCase(name), b.resolve(type, ctx), typeName ?? type);
}

function named(name: string, type: number, typeName: string | null): PortableField {
  return { name, type, typeName, docs: [] };
}

function field(type: number, typeName: string | null): PortableField {
  return { name: null, type, typeName, docs: [] };
}

function validateDef(def: RuntimeMetadataDef): void {
  const fail = (what: string, detail: string): never => {
    throw new MetadataError(
      { code: "INVALID_DEFINITION", what, detail },
      `Invalid metadata definition: ${what}: ${detail}`,
    );
  };
  if (!/^[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*$/.test(def.runtimeCrate)) {
    fail("runtimeCrate", `expected a Rust path, found "${def.runtimeCrate}"`);
  }
  const u8 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 255;
  const unique = <T>(items: readonly T[], key: (t: T) => string | number, what: string) => {
    const seen = new Set<string | number>();
    for (const it of items) {
      const k = key(it);
      if (seen.has(k)) fail(what, `duplicate ${String(k)}`);
      seen.add(k);
    }
  };
  unique(def.pallets, (p) => p.name, "pallet names");
  unique(def.pallets, (p) => p.index, "pallet indexes");
  for (const p of def.pallets) {
    if (!u8(p.index)) fail(`pallet ${p.name}`, `index ${p.index} is not a u8`);
    for (const [kind, items] of [
      ["calls", p.calls ?? []],
      ["events", p.events ?? []],
      ["errors", p.errors ?? []],
    ] as const) {
      unique(items, (x) => x.name, `${p.name} ${kind} names`);
      unique(items, (x) => x.index, `${p.name} ${kind} indexes`);
      for (const x of items) if (!u8(x.index)) fail(`${p.name}.${x.name}`, `index ${x.index} is not a u8`);
    }
    unique(p.constants ?? [], (c) => c.name, `${p.name} constant names`);
    unique(p.storage?.items ?? [], (s) => s.name, `${p.name} storage names`);
    for (const item of p.storage?.items ?? []) {
      if (item.kind === "map" && item.hashers.length === 0) fail(`${p.name}.${item.name}`, "a map needs a hasher");
    }
  }
  unique(def.signedExtensions, (s) => s.identifier, "signed extension identifiers");
}
