import {
  type AsyncBackingParams,
  type ChainSpec,
  concatBytes,
  RELAY_RUNTIME_ID,
  type HostConfiguration as SpecHostConfiguration,
} from "@parapipe/primitives";
import type { Codec } from "@polkadot/types/types";
import { RelayRuntimeError } from "./errors.js";
import { relayRegistry } from "./types.js";

/**
 * The paras host configuration (`configuration::HostConfiguration`, the fields parapipe uses). Stored in
 * `Configuration.ActiveConfig`; the genesis value comes from the runtime config (the chain spec).
 */
export interface RelayHostConfiguration {
  asyncBackingParams: AsyncBackingParams;
  /** Configured backing quorum; the effective one is `min(groupSize, minimumBackingVotes)`. */
  minimumBackingVotes: number;
  /** Relay blocks between validator-group rotations (0: never rotate). */
  groupRotationFrequency: number;
  /** Relay blocks a backed candidate may wait for availability before it times out (`paras_availability_period`). */
  availabilityPeriod: number;
  maxPovSize: number;
  maxCodeSize: number;
  maxHeadDataSize: number;
  schedulingLookahead: number;
  /** `scheduler_params.max_validators_per_core`: at most this many validators per backing group (Polkadot: 5). */
  maxValidatorsPerCore?: number;
}

/**
 * The relay runtime's parameters: what `:code` holds after the runtime name (UTF-8 `parapipe-relay-runtime`,
 * 0x00, then SCALE `RelayRuntimeCode`), mirroring the parachain runtime's `:code`. The validator set is fixed
 * for the life of the chain (one session), so it is part of the code too.
 */
export interface RelayRuntimeConfig {
  specVersion: number;
  /** Relay slot duration (6000 on Polkadot; test specs scale it down). */
  slotDurationMs: number;
  /** `ExistentialDeposit` in planck. */
  existentialDeposit: bigint;
  ss58Prefix: number;
  /** The genesis host configuration. */
  hostConfiguration: RelayHostConfiguration;
  /** The validators (sr25519 public keys), in authoring order: the author of slot `s` is `validators[s % n]`. */
  validators: Uint8Array[];
}

/** Polkadot's `MAX_CODE_SIZE` (3 MiB). */
export const MAX_CODE_SIZE = 3 * 1024 * 1024;
/** Polkadot's `MAX_HEAD_DATA_SIZE` (1 MiB). */
export const MAX_HEAD_DATA_SIZE = 1024 * 1024;
/** Polkadot's `max_validators_per_core`: backing groups of about 5. */
export const DEFAULT_MAX_VALIDATORS_PER_CORE = 5;
/** Rococo's existential deposit (1 CENT at 12 decimals). */
export const RELAY_EXISTENTIAL_DEPOSIT = 10_000_000_000n;

/** The async-backing host configuration (Polkadot/Kusama values; availability period as in the test preset). */
export const ASYNC_HOST_CONFIGURATION: RelayHostConfiguration = {
  asyncBackingParams: { maxCandidateDepth: 3, allowedAncestryLen: 2 },
  minimumBackingVotes: 2,
  groupRotationFrequency: 10,
  availabilityPeriod: 4,
  maxPovSize: 5 * 1024 * 1024,
  maxCodeSize: MAX_CODE_SIZE,
  maxHeadDataSize: MAX_HEAD_DATA_SIZE,
  schedulingLookahead: 3,
  maxValidatorsPerCore: DEFAULT_MAX_VALIDATORS_PER_CORE,
};

/** Sync backing: the same host with `asyncBackingParams {0, 0}`. */
export const SYNC_HOST_CONFIGURATION: RelayHostConfiguration = {
  ...ASYNC_HOST_CONFIGURATION,
  asyncBackingParams: { maxCandidateDepth: 0, allowedAncestryLen: 0 },
  schedulingLookahead: 1,
};

/** The registry input of `RelayHostConfiguration`. */
export function hostConfigurationInput(c: RelayHostConfiguration): Record<string, unknown> {
  return {
    maxCodeSize: c.maxCodeSize,
    maxHeadDataSize: c.maxHeadDataSize,
    maxPovSize: c.maxPovSize,
    asyncBackingParams: c.asyncBackingParams,
    minimumBackingVotes: c.minimumBackingVotes,
    groupRotationFrequency: c.groupRotationFrequency,
    parasAvailabilityPeriod: c.availabilityPeriod,
    schedulingLookahead: c.schedulingLookahead,
    maxValidatorsPerCore: c.maxValidatorsPerCore ?? null,
  };
}

/** A decoded `RelayHostConfiguration` as a value. */
export function hostConfigurationFromCodec(codec: Codec): RelayHostConfiguration {
  const c = codec as unknown as Record<string, Codec>;
  const n = (x: unknown) => (x as { toNumber(): number }).toNumber();
  const abp = c["asyncBackingParams"] as unknown as Record<string, Codec>;
  const mvpc = c["maxValidatorsPerCore"] as unknown as { isSome: boolean; unwrap(): Codec };
  return {
    maxCodeSize: n(c["maxCodeSize"]),
    maxHeadDataSize: n(c["maxHeadDataSize"]),
    maxPovSize: n(c["maxPovSize"]),
    asyncBackingParams: {
      maxCandidateDepth: n(abp["maxCandidateDepth"]),
      allowedAncestryLen: n(abp["allowedAncestryLen"]),
    },
    minimumBackingVotes: n(c["minimumBackingVotes"]),
    groupRotationFrequency: n(c["groupRotationFrequency"]),
    availabilityPeriod: n(c["parasAvailabilityPeriod"]),
    schedulingLookahead: n(c["schedulingLookahead"]),
    maxValidatorsPerCore: mvpc.isSome ? n(mvpc.unwrap()) : undefined,
  };
}

/** The checks `HostConfiguration::check_consistency` makes on the fields parapipe has. */
export function checkHostConfiguration(c: RelayHostConfiguration): string | undefined {
  if (c.minimumBackingVotes < 1) return "minimumBackingVotes must be at least 1";
  if (c.availabilityPeriod < 1) return "availabilityPeriod must be at least 1";
  if (c.maxPovSize < 1 || c.maxPovSize > 16 * 1024 * 1024) return "maxPovSize must be in 1..=16 MiB";
  if (c.maxValidatorsPerCore !== undefined && c.maxValidatorsPerCore < 1) return "maxValidatorsPerCore must be >= 1";
  const { maxCandidateDepth, allowedAncestryLen } = c.asyncBackingParams;
  if ((maxCandidateDepth === 0) !== (allowedAncestryLen === 0)) {
    return "asyncBackingParams: both values are 0 (sync backing) or both are positive";
  }
  return undefined;
}

/** `:code` for a config: UTF-8 name ++ 0x00 ++ SCALE(`RelayRuntimeCode`). */
export function encodeRelayCode(cfg: RelayRuntimeConfig): Uint8Array {
  const body = relayRegistry
    .createType("RelayRuntimeCode", {
      specVersion: cfg.specVersion,
      slotDurationMs: cfg.slotDurationMs,
      existentialDeposit: cfg.existentialDeposit,
      ss58Prefix: cfg.ss58Prefix,
      hostConfiguration: hostConfigurationInput(cfg.hostConfiguration),
      validators: cfg.validators,
    })
    .toU8a();
  return concatBytes(new TextEncoder().encode(RELAY_RUNTIME_ID), new Uint8Array([0]), body);
}

/** Parses `:code`; undefined when it is not a parapipe relay runtime. */
export function decodeRelayCode(code: Uint8Array): RelayRuntimeConfig | undefined {
  const name = new TextEncoder().encode(RELAY_RUNTIME_ID);
  if (code.length <= name.length + 1 || code[name.length] !== 0) return undefined;
  for (let i = 0; i < name.length; i++) if (code[i] !== name[i]) return undefined;
  const body = code.subarray(name.length + 1);
  try {
    const t = relayRegistry.createType("RelayRuntimeCode", body);
    if (t.encodedLength !== body.length) return undefined;
    const c = t as unknown as Record<string, Codec>;
    const n = (x: unknown) => (x as { toNumber(): number }).toNumber();
    return {
      specVersion: n(c["specVersion"]),
      slotDurationMs: n(c["slotDurationMs"]),
      existentialDeposit: (c["existentialDeposit"] as unknown as { toBigInt(): bigint }).toBigInt(),
      ss58Prefix: n(c["ss58Prefix"]),
      hostConfiguration: hostConfigurationFromCodec(c["hostConfiguration"]!),
      validators: (c["validators"] as unknown as Codec[]).map((v) => v.toU8a()),
    };
  } catch {
    return undefined;
  }
}

/** The runtime config a plain relay spec describes (`existentialDeposit` and `specVersion` take the defaults). */
export function relayConfigFromSpec(spec: ChainSpec, specVersion = 1): RelayRuntimeConfig {
  if (spec.kind !== "relay" || spec.genesis.kind !== "plain" || !spec.genesis.relay) {
    throw new RelayRuntimeError(
      { code: "NOT_A_RELAY_SPEC", id: spec.id },
      `chain spec ${spec.id} is not a plain relay-chain spec`,
    );
  }
  const g = spec.genesis.relay;
  return {
    specVersion,
    slotDurationMs: g.aura.slotDurationMs,
    existentialDeposit: RELAY_EXISTENTIAL_DEPOSIT,
    ss58Prefix: spec.properties.ss58Format,
    hostConfiguration: fromSpecHostConfiguration(g.configuration.config),
    validators: g.session.validators,
  };
}

/** The spec's `configuration.config` as a host configuration (limits the spec does not give take Polkadot's). */
export function fromSpecHostConfiguration(c: SpecHostConfiguration): RelayHostConfiguration {
  return {
    asyncBackingParams: { ...c.asyncBackingParams },
    minimumBackingVotes: c.minimumBackingVotes,
    groupRotationFrequency: c.groupRotationFrequency,
    availabilityPeriod: c.availabilityPeriod,
    maxPovSize: c.maxPovSize,
    maxCodeSize: c.maxCodeSize ?? MAX_CODE_SIZE,
    maxHeadDataSize: MAX_HEAD_DATA_SIZE,
    schedulingLookahead: c.schedulingLookahead,
    maxValidatorsPerCore: DEFAULT_MAX_VALIDATORS_PER_CORE,
  };
}
