import { TypeRegistry } from "@polkadot/types";
import type { Codec, RegistryTypes } from "@polkadot/types/types";
import { parapipeTypes } from "./definitions.js";

/**
 * Creates a `@polkadot/types` registry with every parapipe type registered. Each runtime creates its own
 * from this (it then sets its metadata on it, so calls and extrinsics decode); wire code uses the shared
 * `registry` below. One set of definitions, so every on-chain and wire type has one layout.
 */
export function createRegistry(): TypeRegistry {
  const registry = new TypeRegistry();
  registry.register(parapipeTypes as unknown as RegistryTypes);
  return registry;
}

/** The shared registry for wire types (headers, candidates, statements, PoVs); it carries no metadata. */
export const registry: TypeRegistry = createRegistry();

/**
 * Decodes `bytes` as `type` and requires that they are consumed exactly. @polkadot/types zero-fills input
 * that is too short and ignores trailing bytes, which is wrong for anything that came from outside.
 * Throws a TypeError naming the type and the length difference.
 */
export function decodeExact<T extends Codec = Codec>(reg: TypeRegistry, type: string, bytes: Uint8Array): T {
  let value: T;
  try {
    value = reg.createType(type, bytes) as unknown as T;
  } catch (e) {
    throw new TypeError(`${type} does not decode: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
  if (value.encodedLength !== bytes.length || !sameBytes(value.toU8a(), bytes)) {
    throw new TypeError(
      `${type} does not decode: ${bytes.length} bytes given, the value encodes to ${value.encodedLength}`,
    );
  }
  return value;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
