export { parapipeTypes } from "./definitions.js";
export * from "./header.js";
export { createRegistry, decodeExact, registry } from "./registry.js";
