import type { TypeRegistry } from "@polkadot/types";
import type { Header } from "@polkadot/types/interfaces";
import { compactAddLength } from "@polkadot/util";
import { blake2_256, concatBytes } from "../hashing.js";
import { registry as sharedRegistry } from "./registry.js";

/** Consensus engine ids used in digests. */
export const ENGINE_AURA = new Uint8Array([0x61, 0x75, 0x72, 0x61]); // "aura"
/** Cumulus' relay-parent storage root digest (`RPSR`). */
export const ENGINE_RPSR = new Uint8Array([0x52, 0x50, 0x53, 0x52]);

/** The hash of a header: blake2-256 of its SCALE encoding (Substrate `BlakeTwo256::hash_of`). */
export function headerHash(header: Header | Uint8Array): Uint8Array {
  return blake2_256(header instanceof Uint8Array ? header : header.toU8a());
}

/** Decodes a SCALE header. */
export function decodeHeader(bytes: Uint8Array, registry: TypeRegistry = sharedRegistry): Header {
  return registry.createType<Header>("Header", bytes);
}

/** A `PreRuntime(aura, slot)` digest item as bytes (discriminant 6). */
export function auraPreDigest(registry: TypeRegistry, slot: bigint | number) {
  return registry.createType("DigestItem", {
    PreRuntime: [ENGINE_AURA, scaleBytes(registry.createType("u64", slot).toU8a())],
  });
}

/** Finds the Aura slot in a header's PreRuntime digest, or undefined. */
export function findAuraSlot(header: Header): bigint | undefined {
  for (const log of header.digest.logs) {
    if (log.isPreRuntime) {
      const [engine, data] = log.asPreRuntime;
      if (bytesIs(engine.toU8a(), ENGINE_AURA) && data.length === 8) {
        return Buffer.from(data.toU8a(true)).readBigUInt64LE(0);
      }
    }
  }
  return undefined;
}

/**
 * Finds the `Consensus(RPSR, (relay_parent_storage_root, Compact(relay_parent_number)))` digest a parablock
 * carries (cumulus' relay-parent digest), or undefined.
 */
export function findRelayParentDigest(header: Header): { storageRoot: Uint8Array; number: number } | undefined {
  for (const log of header.digest.logs) {
    if (log.isConsensus) {
      const [engine, data] = log.asConsensus;
      if (!bytesIs(engine.toU8a(), ENGINE_RPSR)) continue;
      const raw = data.toU8a(true);
      if (raw.length < 33) return undefined;
      try {
        const n = header.registry.createType("Compact<u32>", raw.subarray(32));
        return { storageRoot: raw.slice(0, 32), number: n.toNumber() };
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Finds the `Seal(aura, signature)` digest (it must be the last log), or undefined. */
export function findAuraSeal(header: Header): Uint8Array | undefined {
  const logs = header.digest.logs;
  const last = logs[logs.length - 1];
  if (last?.isSeal) {
    const [engine, data] = last.asSeal;
    if (bytesIs(engine.toU8a(), ENGINE_AURA)) return data.toU8a(true);
  }
  return undefined;
}

/** The header with its final Seal digest removed: what the author signed (Substrate's pre-hash). */
export function withoutSeal(registry: TypeRegistry, header: Header): Header {
  const logs = header.digest.logs.slice();
  if (logs.length > 0 && logs[logs.length - 1]!.isSeal) logs.pop();
  return registry.createType<Header>("Header", {
    parentHash: header.parentHash,
    number: header.number,
    stateRoot: header.stateRoot,
    extrinsicsRoot: header.extrinsicsRoot,
    digest: { logs },
  });
}

/** Appends `Seal(aura, signature)` to a header. */
export function withAuraSeal(registry: TypeRegistry, header: Header, signature: Uint8Array): Header {
  const seal = registry.createType("DigestItem", { Seal: [ENGINE_AURA, scaleBytes(signature)] });
  return registry.createType<Header>("Header", {
    parentHash: header.parentHash,
    number: header.number,
    stateRoot: header.stateRoot,
    extrinsicsRoot: header.extrinsicsRoot,
    digest: { logs: [...header.digest.logs, seal] },
  });
}

/** Encodes `Consensus(RPSR, (relay_parent_storage_root, Compact(relay_parent_number)))`. */
export function rpsrDigest(registry: TypeRegistry, relayStorageRoot: Uint8Array, relayNumber: number) {
  const payload = concatBytes(relayStorageRoot, registry.createType("Compact<u32>", relayNumber).toU8a());
  return registry.createType("DigestItem", { Consensus: [ENGINE_RPSR, scaleBytes(payload)] });
}

function bytesIs(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Raw bytes for a `Bytes`/`Vec<u8>` field of `createType`: a plain Uint8Array is read as ALREADY
 * SCALE-encoded (length-prefixed) by @polkadot/types, so raw content must get its compact length first.
 */
export function scaleBytes(raw: Uint8Array): Uint8Array {
  return compactAddLength(raw);
}
