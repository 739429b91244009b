import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeExact, registry } from "../../src/types/index.js";

const h = (b: number) => `0x${b.toString(16).padStart(2, "0").repeat(32)}`;

/** Every wire type round-trips through the shared registry with the layout parapipe relies on. */
describe("wire types", () => {
  const samples: Array<[string, unknown]> = [
    [
      "ValidationParams",
      { parentHead: "0x0102", blockData: "0x03", relayParentNumber: 7, relayParentStorageRoot: h(9) },
    ],
    [
      "ValidationResult",
      {
        headData: "0x0102",
        newValidationCode: null,
        upwardMessages: [],
        horizontalMessages: [],
        processedDownwardMessages: 0,
        hrmpWatermark: 7,
      },
    ],
    [
      "PersistedValidationData",
      { parentHead: "0x01", relayParentNumber: 5, relayParentStorageRoot: h(1), maxPovSize: 5 * 1024 * 1024 },
    ],
    [
      "CandidateDescriptor",
      {
        paraId: 2000,
        relayParent: h(1),
        collatorId: h(2),
        persistedValidationDataHash: h(3),
        povHash: h(4),
        erasureRoot: h(5),
        signature: `0x${"07".repeat(64)}`,
        paraHead: h(6),
        validationCodeHash: h(7),
      },
    ],
    ["CompactStatement", { Seconded: h(8) }],
    ["UncheckedSignedStatement", { payload: { Valid: h(8) }, validatorIndex: 3, signature: `0x${"0a".repeat(64)}` }],
    [
      "UncheckedSignedAvailabilityBitfield",
      { payload: "0x0c05", validatorIndex: 1, signature: `0x${"0b".repeat(64)}` },
    ],
    ["AsyncBackingParams", { maxCandidateDepth: 3, allowedAncestryLen: 2 }],
    ["ParaBlockData", { block: { header: { number: 1 }, extrinsics: ["0x0102"] }, witness: ["0x00"] }],
    ["SegmentAncestor", { paraHeadHash: h(4) }],
  ];
  for (const [type, value] of samples) {
    it(`${type} encodes and decodes back exactly`, () => {
      const bytes = registry.createType(type, value).toU8a();
      assert.deepEqual(decodeExact(registry, type, bytes).toU8a(), bytes);
    });
  }

  it("decodeExact refuses short and over-long input that @polkadot/types would accept", () => {
    const bytes = registry.createType("AsyncBackingParams", { maxCandidateDepth: 3, allowedAncestryLen: 2 }).toU8a();
    assert.throws(() => decodeExact(registry, "AsyncBackingParams", bytes.subarray(0, 5)), /does not decode/);
    assert.throws(() => decodeExact(registry, "AsyncBackingParams", new Uint8Array([...bytes, 1])), /does not decode/);
  });
});
