/**
 * The worked example of the harness README: a gossip-level test of your own. Four relay validators and two
 * collators of para 2000 run in this process over loopback libp2p (1 s relay slots); the test waits for
 * inclusion, sends a transfer to a collator over JSON-RPC, waits for its event on the para, then stops a
 * collator and checks that the para goes on. Copy it and change the middle.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { bestBlock, startNetwork, type TestNetwork } from "@parapipe/harness";
import { devKeypair, fromHex, toHex, toSs58 } from "@parapipe/primitives";
import { makeCall, paraGenesisFromSpec, signExtrinsic } from "@parapipe/runtime";

describe("example: a transfer on a network of 4 validators and 2 collators", { timeout: 90_000 }, () => {
  let net: TestNetwork;

  before(async () => {
    net = await startNetwork({ mode: "async", relaySlotMs: 1000, validators: 4, collators: 2 });
  });
  // Always close: it stops every node and removes every temp dir, also when a test above failed.
  after(() => net?.close());

  it("includes parablocks", async () => {
    const { included, relay } = await net.waitFor.paraIncluded(3);
    assert.ok(included >= 3, `included #${included} at relay #${relay}`);
  });

  it("a transfer sent to a collator's RPC emits Balances.Transfer on the para", async () => {
    const collator = net.collators[0]!;
    const alice = devKeypair("Alice");
    const eve = devKeypair("Eve");
    const ss58 = Number(net.paraSpec.properties.ss58Format ?? 42);

    // Sign as a wallet would: nonce, genesis hash and runtime version from the node, the call from the runtime
    // of the spec (the same runtime every node of the para runs).
    const { runtime } = paraGenesisFromSpec(net.paraSpec);
    const nonce = await collator.rpc.call<number>("system_accountNextIndex", [toSs58(alice.publicKey, ss58)]);
    const genesisHash = await collator.rpc.call<string>("chain_getBlockHash", [0]);
    const version = await collator.rpc.call<{ specVersion: number; transactionVersion: number }>(
      "state_getRuntimeVersion",
    );
    const amount = 10n ** 18n;
    const call = makeCall(runtime.registry, "balances", "transferKeepAlive", [{ Id: eve.publicKey }, amount]);
    const tx = signExtrinsic(runtime.registry, call, alice, {
      nonce,
      genesisHash: fromHex(genesisHash),
      specVersion: version.specVersion,
      transactionVersion: version.transactionVersion,
    });

    const since = (await bestBlock(collator.rpc)).number + 1;
    const txHash = await collator.rpc.call<string>("author_submitExtrinsic", [toHex(tx)]);
    assert.match(txHash, /^0x[0-9a-f]{64}$/);

    const event = await net.waitFor.event("Balances.Transfer", {
      since,
      where: (e) => e.data[1] === toSs58(eve.publicKey, ss58),
    });
    assert.equal(event.data[0], toSs58(alice.publicKey, ss58));
    assert.equal(BigInt(event.data[2] as string), amount);
  });

  it("the para keeps going with one collator stopped", async () => {
    const [alice, bob] = [net.collators[0]!, net.collators[1]!];
    await alice.stop();
    const from = (await bestBlock(bob.rpc)).number;
    // Bob authors only in his Aura slots (every other one): three more blocks take about six slots.
    await net.waitFor.paraHeight(from + 3, { on: bob });
    await net.waitFor.paraIncluded(from + 2);
    assert.equal(alice.running, false);
  });
});
