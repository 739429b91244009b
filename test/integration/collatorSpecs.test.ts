/**
 * A collator refuses to run a para the relay chain does not know as given: a relay spec without the para
 * (`PARA_NOT_REGISTERED`), or one that registered another genesis head for its id (`GENESIS_MISMATCH`, e.g. a
 * relay spec built from an older para spec). Nothing is left running.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CollatorError, CollatorNode } from "@parapipe/collator";
import { generateNodeKey } from "@parapipe/network";
import { type ChainSpec, cryptoReady, devKeypair } from "@parapipe/primitives";
import { devChainSpecs, devRelaySpec } from "@parapipe/runtime";

describe("a collator checks its para spec against the relay spec", () => {
  let dir: string;
  before(async () => {
    await cryptoReady();
    dir = await mkdtemp(join(tmpdir(), "parapipe-specs-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const init = (paraSpec: ChainSpec, relaySpec: ChainSpec, name: string) =>
    CollatorNode.init({
      paraSpec,
      relaySpec,
      basePath: join(dir, name),
      key: devKeypair("Alice"),
      listen: ["/ip4/127.0.0.1/tcp/0"],
      nodeKey: generateNodeKey(),
      relay: { listen: ["/ip4/127.0.0.1/tcp/0"], nodeKey: generateNodeKey() },
    });

  it("refuses a relay chain without the para", async () => {
    const { para } = devChainSpecs({ mode: "async", relaySlotMs: 1000 });
    const relay = devRelaySpec({ mode: "async", relaySlotMs: 1000, validators: ["Alice", "Bob"], paras: [] });
    await assert.rejects(
      init(para, relay, "unregistered"),
      (e: unknown) =>
        e instanceof CollatorError &&
        e.type.code === "PARA_NOT_REGISTERED" &&
        /para 2000 .* not registered/.test(e.message),
    );
  });

  it("refuses a relay chain that registered another genesis head, naming both", async () => {
    const { relay } = devChainSpecs({ mode: "async", relaySlotMs: 1000 });
    // The same para with other collators: another genesis state, so another genesis head.
    const { para: other } = devChainSpecs({ mode: "async", relaySlotMs: 1000, collators: ["Charlie"] });
    await assert.rejects(
      init(other, relay, "mismatch"),
      (e: unknown) =>
        e instanceof CollatorError &&
        e.type.code === "GENESIS_MISMATCH" &&
        /registered para 2000 with genesis head 0x/.test(e.message),
    );
  });

  it("opens when the specs fit (control)", async () => {
    const { relay, para } = devChainSpecs({ mode: "async", relaySlotMs: 1000 });
    const node = await init(para, relay, "fits");
    await node.close();
  });
});
