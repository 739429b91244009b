/**
 * The flood's generator and the RPC fuzzer, without a chain: the same seed gives the same malformed messages,
 * each kind's messages are distinct and of the promised malformation, the valid shapes built from the wire types
 * decode with the signature where they say; and `fuzzRpc` against the node's own `RpcServer` finds every answer
 * as expected (so a failure in the integration test is the node's, not the fuzzer's).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  advertisementShape,
  bitfieldShape,
  finalityVoteShape,
  fuzzRpc,
  MALFORMATIONS,
  MalformedGenerator,
  type MessageKind,
  relayFloodProtocols,
  SeededRandom,
  statementShape,
} from "@parapipe/harness";
import { createRpcServer, RpcError } from "@parapipe/node";
import { cryptoReady, decodeExact, registry } from "@parapipe/primitives";

const vote: MessageKind = { name: "finality", maxBytes: 256, sendLimit: 4096, shape: finalityVoteShape(4) };

describe("MalformedGenerator", () => {
  it("gives the same messages for the same seed, other ones for another seed", () => {
    const a = new MalformedGenerator(7);
    const b = new MalformedGenerator(7);
    const c = new MalformedGenerator(8);
    const take = (g: MalformedGenerator) =>
      Array.from({ length: 50 }, () => Buffer.from(g.next(vote).bytes).toString("hex"));
    const [x, y, z] = [take(a), take(b), take(c)];
    assert.deepEqual(x, y);
    assert.notDeepEqual(x, z);
  });

  it("makes distinct messages of every malformation, within the limit unless oversized", () => {
    const g = new MalformedGenerator(1);
    const seen = new Set<string>();
    const by = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const m = g.next(vote);
      const hex = Buffer.from(m.bytes).toString("hex");
      assert.ok(!seen.has(hex), `message ${i} (${m.malformation}) repeats an earlier one`);
      seen.add(hex);
      by.set(m.malformation, (by.get(m.malformation) ?? 0) + 1);
      if (m.malformation === "oversized") assert.ok(m.bytes.length > 256 && m.bytes.length <= 4096);
      else assert.ok(m.bytes.length <= 256, `${m.malformation} of ${m.bytes.length} bytes`);
      if (m.malformation === "badSignature") assert.doesNotThrow(() => decodeExact(registry, "FinalityVote", m.bytes));
    }
    assert.deepEqual([...by.keys()].sort(), [...MALFORMATIONS].sort());
    assert.equal(by.get("empty"), 1, "the empty message exists once");
  });

  it("never makes a request the server legitimately serves (any 8 bytes are a blocks-by-range request)", () => {
    const [blocks] = relayFloodProtocols({
      validators: ["a"],
      collatorRelayNodes: [],
      paraId: 2000,
      validatorCount: 4,
    });
    const g = new MalformedGenerator(3);
    for (let i = 0; i < 500; i++) assert.notEqual(g.next(blocks!).bytes.length, 8);
  });

  it("builds valid shapes from the wire types, the signature where it says", async () => {
    await cryptoReady();
    const rng = new SeededRandom(5);
    for (const [type, shape] of [
      ["FinalityVote", finalityVoteShape(4)],
      ["StatementMessage", statementShape(4)],
      ["BitfieldMessage", bitfieldShape(4)],
      ["CollationAdvertisement", advertisementShape(2000)],
    ] as const) {
      for (let i = 0; i < 20; i++) {
        const s = shape(rng);
        const decoded = decodeExact(registry, type, s.bytes).toJSON() as Record<string, unknown>;
        const signature =
          (decoded.signature as string | undefined) ??
          ((decoded.statement ?? decoded.bitfield) as { signature: string }).signature;
        assert.equal(
          `0x${Buffer.from(s.bytes.subarray(s.signatureAt!, s.signatureAt! + 64)).toString("hex")}`,
          signature,
          `${type}: signatureAt ${s.signatureAt}`,
        );
      }
    }
  });
});

describe("fuzzRpc", () => {
  it("finds the node's RPC server answering every malformed call with the right error, nothing dropped", async () => {
    const server = createRpcServer({ port: 0, maxRequestBytes: 64 * 1024 });
    server.register("test_name", () => "parapipe");
    server.register("test_block", (params) => {
      const [hash] = Array.isArray(params) ? params : [];
      if (typeof hash !== "string" || !/^0x[0-9a-f]{64}$/i.test(hash)) throw RpcError.invalidParams("hash");
      return null;
    });
    await server.listen();
    try {
      const { port } = server.address();
      const report = await fuzzRpc({
        httpUrl: `http://127.0.0.1:${port}`,
        wsUrl: `ws://127.0.0.1:${port}`,
        seed: 11,
        callsPerMethod: 30,
        maxRequestBytes: 64 * 1024,
        specs: { test_block: { params: ["hash"] } },
      });
      assert.deepEqual(report.methods, ["rpc_methods", "test_block", "test_name"]);
      assert.equal(report.failureCount, 0, report.failures.join("\n"));
      assert.equal(report.dropped, 0);
      assert.equal(report.hung, 0);
      assert.equal(report.closedAsDocumented, 1);
      assert.ok((report.perClass.wrongParamType?.calls ?? 0) > 0, "test_block got bad params");
      for (const m of report.methods) assert.ok((report.perMethod[m]?.calls ?? 0) >= 60, `${m}: too few calls`);
    } finally {
      await server.close();
    }
  });
});
