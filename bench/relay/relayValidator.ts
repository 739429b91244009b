/**
 * The relay validator node and the test utilities this benchmark drives, loaded from the relay-validator
 * package's build output (`packages/relay-validator/dist/{src,test/utils}`): the package exports only its PVF
 * pool, and the test collator is test code.
 *
 * The modules are imported by URL, resolved from this file at run time: the compiled file sits one directory
 * deeper (`bench/relay/dist/`) than its source, so no static relative specifier is right for both tsc and node.
 * Types come from the same files through type-only imports, which tsc resolves from the source.
 */
import type * as NodeModule from "../../packages/relay-validator/dist/src/node.js";
import type * as NetworkUtils from "../../packages/relay-validator/dist/test/utils/network.js";
import type * as ParaUtils from "../../packages/relay-validator/dist/test/utils/para.js";
import type * as CollatorUtils from "../../packages/relay-validator/dist/test/utils/testCollator.js";

const dist = new URL("../../../packages/relay-validator/dist/", import.meta.url);

async function load<T>(path: string): Promise<T> {
  return (await import(new URL(path, dist).href)) as T;
}

const node = await load<typeof NodeModule>("src/node.js");
const network = await load<typeof NetworkUtils>("test/utils/network.js");
const para = await load<typeof ParaUtils>("test/utils/para.js");
const collator = await load<typeof CollatorUtils>("test/utils/testCollator.js");

/** The relay validator node class (`packages/relay-validator/src/node.ts`). */
export const RelayValidatorNode = node.RelayValidatorNode;
/** A relay validator node. */
export type RelayValidatorNode = NodeModule.RelayValidatorNode;
/** Its counters. */
export type RelayValidatorStats = NodeModule.RelayValidatorStats;
/** Request/response protocol names of the relay network. */
export const PROTOCOLS = node.PROTOCOLS;
/** Gossip topic names of the relay network. */
export const TOPICS = node.TOPICS;
/** Test relay chain spec, and polling until a condition holds (`test/utils/network.ts`). */
export const { relaySpec, waitFor } = network;
/** Para 2000's runtime and genesis (`test/utils/para.ts`). */
export const { testParaRuntime, testParaGenesis } = para;
/** The test collator (`test/utils/testCollator.ts`). */
export const TestCollator = collator.TestCollator;
/** A running test collator. */
export type TestCollator = CollatorUtils.TestCollator;
