import type { StorageHasher } from "@parapipe/primitives";

/**
 * What a pallet declares about itself for metadata V14. Every `type` is a type name that the runtime's
 * `@polkadot/types` registry can construct ("AccountInfo", "Compact<u128>", "Vec<u8>", "Option<H256>" ...).
 * The metadata builder turns these names into the portable type registry (`lookup`).
 */
export interface PalletMetadataDef {
  /** Pallet name as clients see it: `api.query.<camelCase(name)>`. */
  name: string;
  /** Pallet index: first byte of a call and an event. */
  index: number;
  /** Rust-style path prefix of the pallet crate, e.g. "pallet_balances"; used for the Call/Event/Error type paths. */
  crate: string;
  storage?: { prefix: string; items: StorageItemMetadataDef[] };
  calls?: CallMetadataDef[];
  events?: EventMetadataDef[];
  errors?: ErrorMetadataDef[];
  constants?: ConstantMetadataDef[];
}

/** A named, typed field of a call or an event. */
export interface FieldDef {
  name: string;
  /** Registry type name. */
  type: string;
  /** Rust type name shown to clients (`T::Balance`); defaults to `type`. */
  typeName?: string;
}

export interface CallMetadataDef {
  name: string;
  index: number;
  args: FieldDef[];
  docs?: string[];
}

export interface EventMetadataDef {
  name: string;
  index: number;
  fields: FieldDef[];
  docs?: string[];
}

export interface ErrorMetadataDef {
  name: string;
  index: number;
  docs?: string[];
}

export interface ConstantMetadataDef {
  name: string;
  type: string;
  /** SCALE-encoded value. */
  value: Uint8Array;
  docs?: string[];
}

export type StorageItemMetadataDef = {
  name: string;
  modifier: "Default" | "Optional";
  /** SCALE bytes returned when the key is absent (Default) or an empty array (Optional). */
  fallback: Uint8Array;
  docs?: string[];
} & ({ kind: "plain"; value: string } | { kind: "map"; hashers: StorageHasher[]; key: string; value: string });

/** The signed extension list of the extrinsic format, in order. */
export interface SignedExtensionDef {
  identifier: string;
  /** Registry type of the part carried in the extrinsic ("extra"), "Null" for none. */
  type: string;
  /** Registry type of the part only signed ("additional"), "Null" for none. */
  additionalSigned: string;
}

/** Everything the metadata builder needs about one runtime. */
export interface RuntimeMetadataDef {
  /** Rust crate name of the runtime, used in `<runtime>::RuntimeCall` paths, e.g. "parapipe_para_runtime". */
  runtimeCrate: string;
  pallets: PalletMetadataDef[];
  signedExtensions: SignedExtensionDef[];
  /**
   * Path overrides for well-known types, registry name -> Rust path segments. The builder has defaults for
   * AccountId32, MultiAddress, MultiSignature, Era, H256, Weight, DispatchInfo, DispatchError, Perquintill ...
   */
  paths?: Record<string, string[]>;
}
