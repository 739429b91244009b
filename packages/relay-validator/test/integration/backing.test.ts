import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cryptoReady } from "@parapipe/primitives";
import { relaySpec, startRelayValidators, type TestRelayNetwork, waitFor } from "../utils/network.js";
import { testParaGenesis, testParaRuntime } from "../utils/para.js";
import { TestCollator } from "../utils/testCollator.js";

const SLOT_MS = 1000;
const VALIDATORS = ["Alice", "Bob", "Charlie", "Dave"];

/** Runs 4 validators and a test collator; returns included parablocks per relay block over `relayBlocks`. */
async function inclusionRate(
  mode: "async" | "sync",
  relayBlocks: number,
  paraMode: "async" | "sync" = mode,
): Promise<{ rate: number; detail: string; submitted: number; accepted: number }> {
  await cryptoReady();
  const prt = testParaRuntime(paraMode, SLOT_MS);
  const pg = testParaGenesis();
  const g = prt.genesis(pg);
  const spec = relaySpec({
    validators: VALIDATORS,
    slotMs: SLOT_MS,
    mode,
    para: { id: 2000, genesisHead: g.header, code: prt.code },
  });
  let net: TestRelayNetwork | undefined;
  let collator: TestCollator | undefined;
  try {
    net = await startRelayValidators(spec, VALIDATORS);
    const bootnode = net.nodes[0]!.network.listenAddrs().find((a) => a.includes("/tcp/") && !a.includes("/ws"))!;
    collator = await TestCollator.start({ relaySpec: spec, bootnode, runtime: prt, genesis: pg });
    const c = collator;
    const n0 = net.nodes[0]!;
    const reports: string[] = [];
    for (const n of net.nodes) {
      n.onAuthored((r) =>
        reports.push(
          `#${r.number}: bf ${r.bits} offered ${r.offered} backed ${r.backed.length} included ${r.included.length}${r.rejected.length ? ` rejected ${r.rejected.map((x) => x.code).join("/")}` : ""}`,
        ),
      );
    }
    const observe = () =>
      `relay #${n0.best.number}/f#${n0.finalized.number}; collator submitted ${c.submitted}, accepted ${c.accepted}, skipped ${JSON.stringify([...c.skipped])}; ` +
      net!.nodes.map((n) => JSON.stringify(n.stats)).join(" ");
    let included = 0;
    await waitFor(
      "the first included parablock",
      async () => {
        included = (await c.includedHead())?.number ?? 0;
        return included >= 2;
      },
      40 * SLOT_MS,
      observe,
    );
    const r0 = c.node.best.number;
    const p0 = included;
    await waitFor(
      "relay blocks to pass",
      () => c.node.best.number >= r0 + relayBlocks,
      (relayBlocks + 10) * SLOT_MS,
      observe,
    );
    const p1 = (await c.includedHead())?.number ?? 0;
    const r1 = c.node.best.number;
    return {
      submitted: c.submitted,
      accepted: c.accepted,
      rate: (p1 - p0) / (r1 - r0),
      detail: `${p1 - p0} parablocks included in ${r1 - r0} relay blocks; ${observe()}; blocks: ${reports.slice(-16).join(" | ")}`,
    };
  } finally {
    await collator?.close();
    await net?.close();
  }
}

describe("backing and inclusion over the network (4 validators, test collator)", () => {
  it("with sync relay params, a candidate on an unincluded parent is refused even from an async-capable para", async () => {
    // Para runtime with capacity 3 (it builds on pending blocks), relay with {0, 0}: the validators decline
    // those candidates, and the para gets one block per two relay blocks (polkadot-sdk#2606: 12 s).
    const { rate, detail, submitted, accepted } = await inclusionRate("sync", 12, "async");
    console.log(
      `# async para on a sync relay: inclusion rate ${rate.toFixed(2)}, ${submitted - accepted} of ${submitted} advertisements declined`,
    );
    assert.ok(submitted > accepted, `no candidate on an unincluded parent was declined: ${detail}`);
    assert.ok(
      rate <= 0.6,
      `sync relay params must hold the para to about one block per two relay blocks: ${rate.toFixed(2)}: ${detail}`,
    );
  });

  it("with async backing params, includes about one parablock per relay block", async () => {
    const { rate, detail } = await inclusionRate("async", 16);
    console.log(`# async inclusion rate ${rate.toFixed(2)} parablocks per relay block`);
    assert.ok(rate >= 0.8, `async inclusion rate ${rate.toFixed(2)}: ${detail}`);
  });

  it("with sync backing params {0, 0}, throughput halves", async () => {
    const { rate, detail } = await inclusionRate("sync", 16);
    console.log(`# sync inclusion rate ${rate.toFixed(2)} parablocks per relay block`);
    assert.ok(rate >= 0.3 && rate <= 0.6, `sync inclusion rate ${rate.toFixed(2)}: ${detail}`);
  });
});
