/**
 * The relay runtime (the paras host): Aura-style relay authoring, Session, Configuration, Paras, ParasShared
 * (allowed relay parents), ParaScheduler (cores and rotating validator groups), ParaInclusion (pending
 * availability, enactment, timeouts) and ParaInherent (bitfields and backed candidates), with Balances,
 * TransactionPayment and Sudo; its block builder/executor, runtime APIs, the candidate encodings and signing
 * payloads both node kinds use, and a dev chain for tests. Re-exported as `relay` from the package index.
 */

export { createRelayAura, type RelayAuraPallet } from "./aura.js";
export * from "./blocks.js";
export * from "./candidate.js";
export * from "./config.js";
export { type ConfigurationPallet, createConfiguration } from "./configuration.js";
export * from "./devChain.js";
export * from "./errors.js";
export {
  availabilityThreshold,
  type CandidateCheckEnv,
  type CheckedCandidate,
  createInclusion,
  effectiveMinimumBackingVotes,
  type InclusionPallet,
  type PendingCandidate,
} from "./inclusion.js";
export {
  type BitfieldDropReason,
  createParaInherent,
  type ParaInherentOutcome,
  type ParaInherentPallet,
  paraInherentOutcome,
  type RejectedCandidate,
} from "./paraInherent.js";
export { createParas, type ParasPallet, type RelayParaGenesis } from "./paras.js";
export * from "./runtime.js";
export {
  computeValidatorGroups,
  createScheduler,
  type GroupRotationInfoValue,
  groupForCoreAt,
  type SchedulerPallet,
} from "./scheduler.js";
export { createSession, type SessionPallet } from "./session.js";
export {
  type AllowedRelayParentsValue,
  type AllowedRelayParentValue,
  acquireRelayParentInfo,
  allowedRelayParentList,
  createShared,
  type SharedPallet,
  trackRelayParent,
} from "./shared.js";
export * from "./spec.js";
export { createRelayRegistry, RELAY_TYPE_PATHS, relayRegistry, relayTypes } from "./types.js";
