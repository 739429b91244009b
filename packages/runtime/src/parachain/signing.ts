import { blake2_256, type Sr25519Keypair, sr25519Sign } from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { Extrinsic } from "@polkadot/types/interfaces";
import type { Codec } from "@polkadot/types/types";
import { u8aToHex } from "@polkadot/util";

/** Signing options: what the standard signed extensions carry. */
export interface SignOptions {
  nonce: number;
  genesisHash: Uint8Array;
  specVersion: number;
  transactionVersion: number;
  tip?: bigint;
  /** Mortal era: `{period, current}` with `blockHash` = hash of the era's birth block; immortal when absent. */
  mortal?: { period: number; current: number; blockHash: Uint8Array };
}

/**
 * Signs a call as polkadot-js would (v4 extrinsic, standard signed extensions), but with the WASM sr25519
 * signer: the payload is polkadot-js' own `ExtrinsicPayload` encoding, so what this signs is exactly what a
 * wallet signs. Returns the full extrinsic encoding.
 */
export function signExtrinsic(registry: TypeRegistry, call: Codec, signer: Sr25519Keypair, o: SignOptions): Uint8Array {
  const era = o.mortal
    ? registry.createType("ExtrinsicEra", { current: o.mortal.current, period: o.mortal.period })
    : registry.createType("ExtrinsicEra", new Uint8Array([0]));
  const payload = registry.createType("ExtrinsicPayload", {
    method: call.toHex(),
    era,
    nonce: o.nonce,
    tip: o.tip ?? 0n,
    specVersion: o.specVersion,
    transactionVersion: o.transactionVersion,
    genesisHash: o.genesisHash,
    blockHash: o.mortal ? o.mortal.blockHash : o.genesisHash,
    version: 4,
  });
  let msg = (payload as unknown as { toU8a(o: { method: boolean }): Uint8Array }).toU8a({ method: true });
  if (msg.length > 256) msg = blake2_256(msg);
  const signature = sr25519Sign(signer, msg);
  const ext = registry.createType<Extrinsic>("Extrinsic", call);
  ext.addSignature(
    signer.publicKey,
    registry.createType("MultiSignature", { Sr25519: signature }).toU8a(),
    payload.toHex(),
  );
  return ext.toU8a();
}

/** Builds a call from `pallet.method` names (polkadot-js camelCase) and argument values. */
export function makeCall(registry: TypeRegistry, section: string, method: string, args: unknown[]): Codec {
  const tx = (registry as unknown as { findMetaCall: unknown }).findMetaCall
    ? findCall(registry, section, method)
    : undefined;
  if (!tx) throw new TypeError(`unknown call ${section}.${method}`);
  return tx(...args);
}

function findCall(registry: TypeRegistry, section: string, method: string): ((...a: unknown[]) => Codec) | undefined {
  const md = registry.metadata;
  for (const p of md.pallets) {
    if (p.calls.isNone) continue;
    const name = p.name.toString();
    if (name.charAt(0).toLowerCase() + name.slice(1) !== section) continue;
    const calls = registry.lookup.getSiType(p.calls.unwrap().type).def.asVariant.variants;
    const v = calls.find((c) => camel(c.name.toString()) === method);
    if (!v) return undefined;
    const idx = new Uint8Array([p.index.toNumber(), v.index.toNumber()]);
    // Call args are keyed by their metadata (snake_case) names.
    const fieldNames = v.fields.map((f) => f.name.unwrapOr("").toString());
    return (...a: unknown[]) => {
      const args: Record<string, unknown> = {};
      fieldNames.forEach((f, i) => {
        args[f] = a[i];
      });
      return registry.createType("Call", { callIndex: idx, args });
    };
  }
  return undefined;
}

function camel(s: string): string {
  return s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Hex of bytes (re-export for callers building RPC payloads). */
export const hex = (u8: Uint8Array): string => u8aToHex(u8);
