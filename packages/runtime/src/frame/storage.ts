import { bytesEqual, concatBytes, hashStorageKey, type StorageHasher, twox128 } from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import { BlockExecutionError } from "./errors.js";
import type { StorageItemMetadataDef } from "./metadataTypes.js";

/** What runtime code reads and writes: the block's state overlay. */
export interface StateAccess {
  get(key: Uint8Array): Uint8Array | undefined;
  set(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): void;
  keysWithPrefix(prefix: Uint8Array): Uint8Array[];
}

/** `twox128(pallet) ++ twox128(item)`: the FRAME prefix of a storage item. */
export function storagePrefix(pallet: string, item: string): Uint8Array {
  return concatBytes(twox128(pallet), twox128(item));
}

interface ItemOpts {
  /** `Default` (ValueQuery: absent reads as the default) or `Optional` (OptionQuery). */
  modifier?: "Default" | "Optional";
  /** SCALE bytes of the default; defaults to the type's zero value. */
  fallback?: Uint8Array;
  docs?: string[];
}

/**
 * A FRAME `StorageValue`: one key, `twox128(pallet) ++ twox128(item)`, holding a SCALE value of `type`.
 */
export class StorageValue<T extends Codec = Codec> {
  /** The full storage key. */
  readonly key: Uint8Array;
  private readonly fallback: Uint8Array;

  constructor(
    readonly registry: TypeRegistry,
    readonly pallet: string,
    readonly name: string,
    readonly type: string,
    readonly opts: ItemOpts = {},
  ) {
    this.key = storagePrefix(pallet, name);
    this.fallback = opts.fallback ?? registry.createType(type).toU8a();
  }

  /** The decoded value, or the default when absent. */
  get(state: StateAccess): T {
    return decode<T>(this.registry, this.type, state.get(this.key) ?? this.fallback, this.key);
  }

  /** The decoded value, or undefined when absent. */
  getOption(state: StateAccess): T | undefined {
    const raw = state.get(this.key);
    return raw === undefined ? undefined : decode<T>(this.registry, this.type, raw, this.key);
  }

  /** True when the key holds a value. */
  exists(state: StateAccess): boolean {
    return state.get(this.key) !== undefined;
  }

  /** Writes a value (anything `createType(type, ...)` accepts, or encoded bytes via `putRaw`). */
  put(state: StateAccess, value: unknown): void {
    state.set(this.key, this.registry.createType(this.type, value).toU8a());
  }

  /** Writes already-encoded bytes. */
  putRaw(state: StateAccess, bytes: Uint8Array): void {
    state.set(this.key, bytes);
  }

  /** Removes the value. */
  kill(state: StateAccess): void {
    state.delete(this.key);
  }

  /** Metadata entry. */
  meta(): StorageItemMetadataDef {
    return {
      name: this.name,
      modifier: this.opts.modifier ?? "Default",
      fallback: (this.opts.modifier ?? "Default") === "Optional" ? new Uint8Array([0]) : this.fallback,
      docs: this.opts.docs ?? [],
      kind: "plain",
      value: this.type,
    };
  }
}

/**
 * A FRAME `StorageMap`: key `twox128(pallet) ++ twox128(item) ++ hasher(SCALE(key))`.
 */
export class StorageMap<K = unknown, V extends Codec = Codec> {
  /** The map's key prefix. */
  readonly prefix: Uint8Array;
  private readonly fallback: Uint8Array;

  constructor(
    readonly registry: TypeRegistry,
    readonly pallet: string,
    readonly name: string,
    readonly hasher: StorageHasher,
    readonly keyType: string,
    readonly valueType: string,
    readonly opts: ItemOpts = {},
  ) {
    this.prefix = storagePrefix(pallet, name);
    this.fallback = opts.fallback ?? registry.createType(valueType).toU8a();
  }

  /** The full storage key of an entry. `key` is anything `createType(keyType, ...)` accepts, or encoded bytes. */
  keyFor(key: K | Uint8Array): Uint8Array {
    if (key instanceof Uint8Array && this.keyIsBytes) {
      // Accounts are hashed on every access of a transfer: keep recent full keys.
      const id = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("latin1");
      let full = this.keyCache.get(id);
      if (full === undefined) {
        full = concatBytes(this.prefix, hashStorageKey(this.hasher, key));
        if (this.keyCache.size >= 8192) this.keyCache.clear();
        this.keyCache.set(id, full);
      }
      return full;
    }
    return concatBytes(this.prefix, hashStorageKey(this.hasher, this.registry.createType(this.keyType, key).toU8a()));
  }

  private readonly keyCache = new Map<string, Uint8Array>();

  /** The raw SCALE bytes of an entry, or undefined (no decoding). */
  getRaw(state: StateAccess, key: K | Uint8Array): Uint8Array | undefined {
    return state.get(this.keyFor(key));
  }

  /** AccountId32/H256 keys are their own SCALE encoding: skip createType on the hot path. */
  private get keyIsBytes(): boolean {
    return this.keyType === "AccountId32" || this.keyType === "AccountId" || this.keyType === "H256";
  }

  /** The decoded value, or the default when absent. */
  get(state: StateAccess, key: K | Uint8Array): V {
    const k = this.keyFor(key);
    return decode<V>(this.registry, this.valueType, state.get(k) ?? this.fallback, k);
  }

  /** The decoded value, or undefined when absent. */
  getOption(state: StateAccess, key: K | Uint8Array): V | undefined {
    const k = this.keyFor(key);
    const raw = state.get(k);
    return raw === undefined ? undefined : decode<V>(this.registry, this.valueType, raw, k);
  }

  /** True when the entry exists. */
  contains(state: StateAccess, key: K | Uint8Array): boolean {
    return state.get(this.keyFor(key)) !== undefined;
  }

  /** Writes an entry. */
  put(state: StateAccess, key: K | Uint8Array, value: unknown): void {
    state.set(this.keyFor(key), this.registry.createType(this.valueType, value).toU8a());
  }

  /** Removes an entry. */
  remove(state: StateAccess, key: K | Uint8Array): void {
    state.delete(this.keyFor(key));
  }

  /** Every full key of the map, in key order. */
  keys(state: StateAccess): Uint8Array[] {
    return state.keysWithPrefix(this.prefix);
  }

  /** The SCALE key bytes at the end of a full key, for `*Concat` hashers. */
  decodeKeyBytes(fullKey: Uint8Array): Uint8Array {
    const hashLen = this.hasher === "Blake2_128Concat" ? 16 : this.hasher === "Twox64Concat" ? 8 : -1;
    if (hashLen < 0 || !bytesEqual(fullKey.subarray(0, 32), this.prefix)) {
      throw new TypeError(`${this.pallet}.${this.name}: key is not reversible (${this.hasher})`);
    }
    return fullKey.subarray(32 + hashLen);
  }

  /** Metadata entry. */
  meta(): StorageItemMetadataDef {
    const modifier = this.opts.modifier ?? "Default";
    return {
      name: this.name,
      modifier,
      fallback: modifier === "Optional" ? new Uint8Array([0]) : this.fallback,
      docs: this.opts.docs ?? [],
      kind: "map",
      hashers: [this.hasher],
      key: this.keyType,
      value: this.valueType,
    };
  }
}

function decode<T extends Codec>(registry: TypeRegistry, type: string, raw: Uint8Array, key: Uint8Array): T {
  try {
    return registry.createType(type, raw) as unknown as T;
  } catch (e) {
    // State the runtime wrote itself does not decode: the database or the witness is corrupt.
    throw new BlockExecutionError(
      { code: "RUNTIME_PANIC", detail: `undecodable ${type} at ${Buffer.from(key).toString("hex")}` },
      `storage value of type ${type} does not decode: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}
