export { type CommandSpec, type FlagSpec, helpText, type ParsedArgs, parseArgs } from "./args.js";
export { BUILT_IN_CHAINS, builtInSpec, loadChainSpec, relayOfBuiltIn } from "./chainSpecs.js";
export { COLLATOR_COMMAND } from "./commands/collator.js";
export { DEVNET_COMMAND, PARAPIPE_BIN } from "./commands/devnet.js";
export { VALIDATOR_COMMAND } from "./commands/validator.js";
export { CliError, type CliErrorType } from "./errors.js";
export { main, topHelp } from "./main.js";
export { parseMetricsText } from "./metricsText.js";
export { DEFAULT_PORTS, NODE_FLAGS, RELAY_FLAGS } from "./nodeFlags.js";
