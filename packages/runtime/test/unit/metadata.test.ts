import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { cryptoReady, devKeypair } from "@parapipe/primitives";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import { expandMetadata, type GenericCall, type GenericExtrinsic, Metadata, TypeRegistry } from "@polkadot/types";
import type { Codec, IExtrinsicEra, IRuntimeVersionBase } from "@polkadot/types/types";
import { compactStripLength, u8aConcat, u8aToHex } from "@polkadot/util";
import { blake2AsU8a, cryptoWaitReady, encodeAddress, xxhashAsU8a } from "@polkadot/util-crypto";
import { buildMetadataV14, createMetadataRegistry, decodeMetadata, MetadataError } from "../../src/frame/metadata.js";
import type { PalletMetadataDef, RuntimeMetadataDef } from "../../src/frame/metadataTypes.js";
import type { DevParachain } from "../../src/parachain/devChain.js";
import type { ParachainRuntime } from "../../src/parachain/runtime.js";
import {
  ASYNC_HOST_CONFIGURATION,
  collateOnRelay,
  DevRelayChain,
  type RelayHostConfiguration,
  RelayRuntime,
} from "../../src/relay/index.js";
import { devChain } from "./fixtures.js";

// The runtime's own named types, as a runtime registers them before building its metadata.
const RUNTIME_TYPES = {
  AccountData: { free: "u128", reserved: "u128", frozen: "u128", flags: "u128" },
  AccountInfo: { nonce: "u32", consumers: "u32", providers: "u32", sufficients: "u32", data: "AccountData" },
  // Sparse indexes the polkadot-js way (`__UnusedN` padding): Plain = 0, WithData = 2, Named = 3.
  KitchenKind: {
    _enum: {
      Plain: "Null",
      __Unused1: "Null",
      WithData: "(u32, u64)",
      Named: '{"who":"AccountId32","amount":"Balance"}',
    },
  },
  KitchenBasic: { _enum: { Low: 1, High: 7 } },
  KitchenRecord: {
    ownerId: "AccountId32",
    ratio: "Perbill",
    weight: "Weight",
    tags: "BTreeMap<u32, Bytes>",
    flags: "BitVec",
    hash: "Option<H256>",
    outcome: "Result<u32, DispatchError>",
    pair: "(u8, [u8; 4])",
    kind: "KitchenKind",
    basic: "KitchenBasic",
    era: "ExtrinsicEra",
  },
};

function runtimeRegistry(): TypeRegistry {
  const registry = new TypeRegistry();
  registry.register(RUNTIME_TYPES);
  return registry;
}

const RUNTIME_VERSION = {
  specName: "parapipe-para",
  implName: "parapipe-node",
  authoringVersion: 1,
  specVersion: 7,
  implVersion: 0,
  apis: [
    ["0xdf6acb689907609b", 5],
    ["0x37e397fc7c91f5e4", 2],
  ],
  transactionVersion: 1,
  stateVersion: 1,
};

const SIGNED_EXTENSIONS = [
  { identifier: "CheckNonZeroSender", type: "Null", additionalSigned: "Null" },
  { identifier: "CheckSpecVersion", type: "Null", additionalSigned: "u32" },
  { identifier: "CheckTxVersion", type: "Null", additionalSigned: "u32" },
  { identifier: "CheckGenesis", type: "Null", additionalSigned: "H256" },
  { identifier: "CheckMortality", type: "Era", additionalSigned: "H256" },
  { identifier: "CheckNonce", type: "Compact<u32>", additionalSigned: "Null" },
  { identifier: "CheckWeight", type: "Null", additionalSigned: "Null" },
  { identifier: "ChargeTransactionPayment", type: "Compact<u128>", additionalSigned: "Null" },
];

function systemPallet(registry: TypeRegistry): PalletMetadataDef {
  return {
    name: "System",
    index: 10,
    crate: "frame_system",
    storage: {
      prefix: "System",
      items: [
        {
          name: "Account",
          kind: "map",
          hashers: ["Blake2_128Concat"],
          key: "AccountId32",
          value: "AccountInfo",
          modifier: "Default",
          fallback: registry.createType("AccountInfo").toU8a(),
          docs: [" The full account information for a particular account ID."],
        },
        { name: "Number", kind: "plain", value: "u32", modifier: "Default", fallback: new Uint8Array(4) },
        {
          name: "Events",
          kind: "plain",
          value: "Vec<EventRecord>",
          modifier: "Default",
          fallback: new Uint8Array([0]),
        },
      ],
    },
    calls: [
      { name: "remark", index: 0, args: [{ name: "remark", type: "Vec<u8>" }], docs: [" Make some on-chain remark."] },
    ],
    events: [
      { name: "ExtrinsicSuccess", index: 0, fields: [{ name: "dispatch_info", type: "DispatchInfo" }] },
      {
        name: "ExtrinsicFailed",
        index: 1,
        fields: [
          { name: "dispatch_error", type: "DispatchError" },
          { name: "dispatch_info", type: "DispatchInfo" },
        ],
      },
    ],
    errors: [
      { name: "InvalidSpecName", index: 0 },
      { name: "SpecVersionNeedsToIncrease", index: 1 },
      { name: "CallFiltered", index: 5 },
    ],
    constants: [
      {
        name: "Version",
        type: "RuntimeVersion",
        value: registry.createType("RuntimeVersion", RUNTIME_VERSION).toU8a(),
      },
      { name: "BlockHashCount", type: "u32", value: registry.createType("u32", 2400).toU8a() },
      { name: "SS58Prefix", type: "u16", value: registry.createType("u16", 5).toU8a() },
    ],
  };
}

function balancesPallet(registry: TypeRegistry): PalletMetadataDef {
  const dest = { name: "dest", type: "MultiAddress", typeName: "AccountIdLookupOf<T>" };
  const value = { name: "value", type: "Compact<u128>", typeName: "T::Balance" };
  return {
    name: "Balances",
    index: 31,
    crate: "pallet_balances",
    storage: {
      prefix: "Balances",
      items: [
        { name: "TotalIssuance", kind: "plain", value: "u128", modifier: "Default", fallback: new Uint8Array(16) },
      ],
    },
    calls: [
      { name: "transfer_allow_death", index: 0, args: [dest, value] },
      { name: "transfer_keep_alive", index: 3, args: [dest, value] },
      { name: "transfer_all", index: 4, args: [dest, { name: "keep_alive", type: "bool" }] },
    ],
    events: [
      {
        name: "Transfer",
        index: 2,
        fields: [
          { name: "from", type: "AccountId32", typeName: "T::AccountId" },
          { name: "to", type: "AccountId32", typeName: "T::AccountId" },
          { name: "amount", type: "u128", typeName: "T::Balance" },
        ],
      },
    ],
    errors: [
      { name: "VestingBalance", index: 0 },
      { name: "InsufficientBalance", index: 2 },
    ],
    constants: [{ name: "ExistentialDeposit", type: "u128", value: registry.createType("u128", 1_000_000).toU8a() }],
  };
}

/** Storage only, like a relay `Paras` pallet: a Twox64Concat map on u32 keys. */
const PARAS_PALLET: PalletMetadataDef = {
  name: "Paras",
  index: 40,
  crate: "polkadot_runtime_parachains::paras",
  storage: {
    prefix: "Paras",
    items: [
      { name: "Parachains", kind: "plain", value: "Vec<u32>", modifier: "Default", fallback: new Uint8Array([0]) },
      {
        name: "Heads",
        kind: "map",
        hashers: ["Twox64Concat"],
        key: "u32",
        value: "Bytes",
        modifier: "Optional",
        fallback: new Uint8Array(),
      },
    ],
  },
};

/** Exercises the type walker: every registry construct, a double map and a call that carries calls. */
const KITCHEN_PALLET: PalletMetadataDef = {
  name: "Kitchen",
  index: 50,
  crate: "pallet_kitchen",
  storage: {
    prefix: "Kitchen",
    items: [
      {
        name: "Records",
        kind: "map",
        hashers: ["Blake2_128Concat"],
        key: "u32",
        value: "KitchenRecord",
        modifier: "Optional",
        fallback: new Uint8Array(),
      },
      {
        name: "Pairs",
        kind: "map",
        hashers: ["Blake2_128Concat", "Twox64Concat"],
        key: "(AccountId32, u32)",
        value: "u64",
        modifier: "Default",
        fallback: new Uint8Array(8),
      },
      { name: "Ratio", kind: "plain", value: "Perquintill", modifier: "Default", fallback: new Uint8Array(8) },
    ],
  },
  calls: [
    {
      name: "batch",
      index: 0,
      args: [{ name: "calls", type: "Vec<Call>", typeName: "Vec<<T as Config>::RuntimeCall>" }],
    },
  ],
};

function runtimeDef(registry: TypeRegistry): RuntimeMetadataDef {
  return {
    runtimeCrate: "parapipe_para_runtime",
    pallets: [systemPallet(registry), balancesPallet(registry), PARAS_PALLET, KITCHEN_PALLET],
    signedExtensions: SIGNED_EXTENSIONS,
  };
}

// shared/reference/ecosystem.md §1.5 (polkadot-js-mock/keys.mjs):
// twox128("System") ++ twox128("Account") ++ blake2_128(//Alice) ++ //Alice.
const ALICE_ACCOUNT_KEY =
  "0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9de1e86a9a8c739864cf3cc5ec2bea59fd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";

describe("buildMetadataV14", () => {
  let blob: Uint8Array;
  let registry: TypeRegistry;
  let metadata: Metadata;
  let alice: KeyringPair;

  before(async () => {
    await cryptoWaitReady();
    alice = new Keyring({ type: "sr25519" }).addFromUri("//Alice");
    blob = buildMetadataV14(runtimeRegistry(), runtimeDef(runtimeRegistry()));
    registry = createMetadataRegistry(blob);
    metadata = new Metadata(registry, blob);
  });

  const siType = (id: { toNumber(): number }) => metadata.asLatest.lookup.getSiType(id.toNumber());
  const findByPath = (path: string) =>
    metadata.asLatest.lookup.types.filter((t) => t.type.path.map((p) => p.toString()).join("::") === path);
  const variantsOf = (id: { toNumber(): number }) =>
    siType(id).def.asVariant.variants.map((v) => [v.name.toString(), v.index.toNumber()]);

  it("encodes as 'meta' followed by version 14", () => {
    assert.equal(u8aToHex(blob.subarray(0, 5)), "0x6d6574610e");
    const decoded = decodeMetadata(blob);
    assert.equal(decoded.version, 14);
    assert.equal(decoded.asV14.pallets.length, 4);
  });

  it("lists every pallet with its storage, calls, events, errors and constants", () => {
    const pallets = new Metadata(new TypeRegistry(), blob).asLatest.pallets;
    assert.deepEqual(
      pallets.map((p) => [p.name.toString(), p.index.toNumber()]),
      [
        ["System", 10],
        ["Balances", 31],
        ["Paras", 40],
        ["Kitchen", 50],
      ],
    );
    const [system, balances, paras] = pallets;
    assert.deepEqual(
      system!.storage.unwrap().items.map((i) => i.name.toString()),
      ["Account", "Number", "Events"],
    );
    assert.deepEqual(variantsOf(system!.calls.unwrap().type), [["remark", 0]]);
    assert.deepEqual(variantsOf(system!.events.unwrap().type), [
      ["ExtrinsicSuccess", 0],
      ["ExtrinsicFailed", 1],
    ]);
    assert.deepEqual(variantsOf(system!.errors.unwrap().type), [
      ["InvalidSpecName", 0],
      ["SpecVersionNeedsToIncrease", 1],
      ["CallFiltered", 5],
    ]);
    assert.deepEqual(
      system!.constants.map((c) => c.name.toString()),
      ["Version", "BlockHashCount", "SS58Prefix"],
    );
    assert.deepEqual(variantsOf(balances!.calls.unwrap().type), [
      ["transfer_allow_death", 0],
      ["transfer_keep_alive", 3],
      ["transfer_all", 4],
    ]);
    assert.deepEqual(variantsOf(balances!.events.unwrap().type), [["Transfer", 2]]);
    assert.deepEqual(variantsOf(balances!.errors.unwrap().type), [
      ["VestingBalance", 0],
      ["InsufficientBalance", 2],
    ]);
    assert.deepEqual(
      balances!.constants.map((c) => c.name.toString()),
      ["ExistentialDeposit"],
    );
    assert.deepEqual(
      balances!.storage.unwrap().items.map((i) => i.name.toString()),
      ["TotalIssuance"],
    );
    assert.ok(paras!.calls.isNone && paras!.events.isNone && paras!.errors.isNone);
  });

  it("gives pallet enums and runtime types Substrate's paths and parameters", () => {
    const call = findByPath("pallet_balances::pallet::Call");
    assert.equal(call.length, 1);
    assert.deepEqual(
      call[0]!.type.params.map((p) => [p.name.toString(), p.type.isNone]),
      [["T", true]],
    );
    const runtimeCall = findByPath("parapipe_para_runtime::RuntimeCall")[0]!;
    assert.deepEqual(
      runtimeCall.type.def.asVariant.variants.map((v) => [v.name.toString(), v.index.toNumber()]),
      [
        ["System", 10],
        ["Balances", 31],
        ["Kitchen", 50],
      ],
    );
    const runtimeEvent = findByPath("parapipe_para_runtime::RuntimeEvent")[0]!;
    assert.deepEqual(
      runtimeEvent.type.def.asVariant.variants.map((v) => v.name.toString()),
      ["System", "Balances"],
    );
    const record = findByPath("frame_system::EventRecord")[0]!;
    assert.deepEqual(
      record.type.params.map((p) => [p.name.toString(), p.type.unwrap().toNumber()]),
      [
        ["E", runtimeEvent.id.toNumber()],
        ["T", findByPath("primitive_types::H256")[0]!.id.toNumber()],
      ],
    );
    assert.deepEqual(
      record.type.def.asComposite.fields.map((f) => f.name.unwrap().toString()),
      ["phase", "event", "topics"],
    );
    const events = metadata.asLatest.pallets[0]!.storage.unwrap().items[2]!;
    const eventsType = siType(events.type.asPlain);
    assert.equal(eventsType.def.asSequence.type.toNumber(), record.id.toNumber());

    const v14 = decodeMetadata(blob).asV14;
    const ext = v14.extrinsic;
    const extType = v14.lookup.getSiType(ext.type);
    assert.equal(extType.path.join("::"), "sp_runtime::generic::unchecked_extrinsic::UncheckedExtrinsic");
    assert.deepEqual(
      extType.params.map((p) => p.name.toString()),
      ["Address", "Call", "Signature", "Extra"],
    );
    assert.equal(extType.params[1]!.type.unwrap().toNumber(), runtimeCall.id.toNumber());
    assert.equal(ext.version.toNumber(), 4);
    const runtimeType = v14.lookup.getSiType(v14.type);
    assert.equal(runtimeType.path.join("::"), "parapipe_para_runtime::Runtime");
  });

  it("describes well-known types as Substrate does (Era, DispatchError, MultiAddress, AccountId32)", () => {
    const era = findByPath("sp_runtime::generic::era::Era")[0]!.type.def.asVariant.variants;
    assert.equal(era.length, 256);
    assert.deepEqual([era[0]!.name.toString(), era[0]!.fields.length], ["Immortal", 0]);
    assert.deepEqual(
      [era[255]!.name.toString(), era[255]!.index.toNumber(), era[255]!.fields.length],
      ["Mortal255", 255, 1],
    );

    const dispatchError = findByPath("sp_runtime::DispatchError")[0]!.type.def.asVariant.variants;
    assert.deepEqual(dispatchError.map((v) => v.name.toString()).slice(0, 4), [
      "Other",
      "CannotLookup",
      "BadOrigin",
      "Module",
    ]);
    assert.equal(dispatchError.length, 15);
    const moduleError = findByPath("sp_runtime::ModuleError")[0]!.type.def.asComposite.fields;
    assert.deepEqual(
      moduleError.map((f) => f.name.unwrap().toString()),
      ["index", "error"],
    );
    assert.equal(siType(moduleError[0]!.type).def.asPrimitive.toString(), "U8");
    assert.equal(siType(moduleError[1]!.type).def.asArray.len.toNumber(), 4);

    const address = findByPath("sp_runtime::multiaddress::MultiAddress")[0]!.type;
    assert.deepEqual(
      address.def.asVariant.variants.map((v) => [v.name.toString(), v.index.toNumber()]),
      [
        ["Id", 0],
        ["Index", 1],
        ["Raw", 2],
        ["Address32", 3],
        ["Address20", 4],
      ],
    );
    assert.deepEqual(
      address.params.map((p) => p.name.toString()),
      ["AccountId", "AccountIndex"],
    );
    const accountId = findByPath("sp_core::crypto::AccountId32");
    assert.equal(accountId.length, 1, "AccountId32 appears once");
  });

  it("respects the registry's explicit enum indexes", () => {
    const kind = findByPath("pallet_kitchen::KitchenKind")[0]!;
    assert.deepEqual(
      kind.type.def.asVariant.variants.map((v) => [v.name.toString(), v.index.toNumber(), v.fields.length]),
      [
        ["Plain", 0, 0],
        ["WithData", 2, 2],
        ["Named", 3, 2],
      ],
    );
    const basic = findByPath("pallet_kitchen::KitchenBasic")[0]!;
    assert.deepEqual(
      basic.type.def.asVariant.variants.map((v) => [v.name.toString(), v.index.toNumber()]),
      [
        ["Low", 1],
        ["High", 7],
      ],
    );
  });

  it("holds each type once", () => {
    const seen = new Set<string>();
    for (const t of metadata.asLatest.lookup.types) {
      const key = JSON.stringify(t.type.toJSON());
      assert.ok(!seen.has(key), `duplicate type ${key}`);
      seen.add(key);
    }
    assert.deepEqual(
      metadata.asLatest.lookup.types.map((t) => t.id.toNumber()),
      metadata.asLatest.lookup.types.map((_, i) => i),
    );
  });

  it("lets polkadot-js build and find a Balances call", () => {
    const call = registry.createType("Call", {
      callIndex: [31, 3],
      args: { dest: { Id: alice.publicKey }, value: 12345 },
    }) as unknown as GenericCall;
    const decoded = registry.createType("Call", call.toU8a()) as unknown as GenericCall;
    assert.equal(decoded.section, "balances");
    assert.equal(decoded.method, "transferKeepAlive");
    assert.deepEqual(decoded.toJSON(), call.toJSON());
    assert.equal((decoded.args[1] as Codec).toString(), "12345");
    const meta = registry.findMetaCall(new Uint8Array([31, 3]));
    assert.equal(meta.section, "balances");
    assert.equal(meta.method, "transferKeepAlive");
    // The Rust type names travel in the metadata as given (polkadot-js shows them sanitized).
    const v14 = decodeMetadata(blob).asV14;
    const balancesCall = v14.lookup.getSiType(v14.pallets[1]!.calls.unwrap().type).def.asVariant.variants[1]!;
    assert.deepEqual(
      balancesCall.fields.map((f) => [f.name.unwrap().toString(), f.typeName.unwrap().toString()]),
      [
        ["dest", "AccountIdLookupOf<T>"],
        ["value", "T::Balance"],
      ],
    );
    assert.deepEqual(
      meta.meta.args.map((a) => a.name.toString()),
      ["dest", "value"],
    );
  });

  it("nests calls in a call (Vec<Call> resolves to RuntimeCall)", () => {
    const inner = registry.createType("Call", { callIndex: [10, 0], args: { remark: "0x1234" } });
    const batch = registry.createType("Call", {
      callIndex: [50, 0],
      args: { calls: [inner] },
    }) as unknown as GenericCall;
    const decoded = registry.createType("Call", batch.toU8a()) as unknown as GenericCall;
    assert.equal(decoded.method, "batch");
    assert.equal(u8aToHex(decoded.toU8a()), u8aToHex(batch.toU8a()));
  });

  it("signs and decodes an extrinsic with the def's signed extensions", () => {
    assert.deepEqual(
      registry.signedExtensions,
      SIGNED_EXTENSIONS.map((s) => s.identifier),
    );
    const call = registry.createType("Call", {
      callIndex: [31, 3],
      args: { dest: { Id: alice.publicKey }, value: 12345 },
    });
    const ext = registry.createType("Extrinsic", call) as unknown as GenericExtrinsic;
    const blockHash = `0x${"11".repeat(32)}`;
    const genesisHash = `0x${"22".repeat(32)}`;
    ext.sign(alice, {
      blockHash,
      genesisHash,
      nonce: 0,
      runtimeVersion: registry.createType("RuntimeVersion", {
        specVersion: 1,
        transactionVersion: 1,
      }) as unknown as IRuntimeVersionBase,
      era: registry.createType("ExtrinsicEra", { current: 100, period: 64 }) as unknown as IExtrinsicEra,
    });
    const bytes = ext.toU8a();
    const decoded = registry.createType("Extrinsic", bytes) as unknown as GenericExtrinsic;
    assert.ok(decoded.isSigned);
    // The registry formats addresses with the chain's SS58Prefix constant (5).
    assert.equal(decoded.signer.toString(), encodeAddress(alice.publicKey, 5));
    assert.equal(registry.chainSS58, 5);
    assert.equal(decoded.nonce.toNumber(), 0);
    assert.equal(decoded.method.toHex(), call.toHex());
    assert.equal(decoded.era.asMortalEra.period.toNumber(), 64);
    assert.equal(u8aToHex(decoded.toU8a()), u8aToHex(bytes));
  });

  it("keys and decodes System.Account through polkadot-js' storage decoration", () => {
    const query = expandMetadata(registry, metadata).query;
    const account = query["system"]!["account"]!;
    // polkadot-js returns the key as `Bytes` (length-prefixed); the storage key is what follows.
    const [, key] = compactStripLength(account(alice.address));
    assert.equal(u8aToHex(key), ALICE_ACCOUNT_KEY);
    const info = {
      nonce: 3,
      consumers: 1,
      providers: 1,
      sufficients: 0,
      data: { free: 10n ** 18n, reserved: 5, frozen: 7, flags: 2n ** 127n },
    };
    const encoded = runtimeRegistry().createType("AccountInfo", info).toU8a();
    const valueType = registry.createLookupType(account.meta.type.asMap.value);
    const decoded = registry.createType(valueType, encoded);
    assert.deepEqual(decoded.toPrimitive(), {
      nonce: 3,
      consumers: 1,
      providers: 1,
      sufficients: 0,
      data: { free: "1000000000000000000", reserved: 5, frozen: 7, flags: (2n ** 127n).toString() },
    });
    assert.deepEqual(Object.keys(decoded.toJSON() as object), [
      "nonce",
      "consumers",
      "providers",
      "sufficients",
      "data",
    ]);
  });

  it("keys a Twox64Concat map on u32", () => {
    const heads = expandMetadata(registry, metadata).query["paras"]!["heads"]!;
    const paraId = new Uint8Array([0xd0, 0x07, 0, 0]); // 2000 LE
    const expected = u8aToHex(
      new Uint8Array([
        ...xxhashAsU8a("Paras", 128),
        ...xxhashAsU8a("Heads", 128),
        ...xxhashAsU8a(paraId, 64),
        ...paraId,
      ]),
    );
    assert.equal(u8aToHex(compactStripLength(heads(2000))[1]), expected);
  });

  it("keys a double map with one hasher per key element", () => {
    const pairs = expandMetadata(registry, metadata).query["kitchen"]!["pairs"]!;
    const [, key] = compactStripLength(pairs(alice.address, 7));
    const seven = new Uint8Array([7, 0, 0, 0]);
    const expected = u8aConcat(
      xxhashAsU8a("Kitchen", 128),
      xxhashAsU8a("Pairs", 128),
      blake2AsU8a(alice.publicKey, 128),
      alice.publicKey,
      xxhashAsU8a(seven, 64),
      seven,
    );
    assert.equal(u8aToHex(key), u8aToHex(expected));
  });

  it("round-trips a Vec<EventRecord> through the metadata's event types", () => {
    // GenericEvent decodes from bytes only: pallet index, event index, then the fields.
    const info = { weight: { refTime: 1_000_000, proofSize: 512 }, class: "Normal", paysFee: "Yes" };
    const success = u8aConcat([10, 0], registry.createType("DispatchInfo", info).toU8a());
    const failed = u8aConcat(
      [10, 1],
      registry.createType("DispatchError", { Module: { index: 31, error: "0x02000000" } }).toU8a(),
      registry.createType("DispatchInfo", info).toU8a(),
    );
    const records = registry.createType("Vec<EventRecord>", [
      { phase: { ApplyExtrinsic: 0 }, event: success, topics: [] },
      { phase: { ApplyExtrinsic: 1 }, event: failed, topics: [`0x${"ab".repeat(32)}`] },
    ]);
    const decoded = registry.createType("Vec<EventRecord>", records.toU8a()) as unknown as Array<{
      phase: { isApplyExtrinsic: boolean; asApplyExtrinsic: { toNumber(): number } };
      event: { section: string; method: string; data: Codec[] };
    }>;
    assert.equal(decoded.length, 2);
    assert.ok(decoded[0]!.phase.isApplyExtrinsic);
    assert.equal(decoded[0]!.phase.asApplyExtrinsic.toNumber(), 0);
    assert.equal(`${decoded[0]!.event.section}.${decoded[0]!.event.method}`, "system.ExtrinsicSuccess");
    assert.deepEqual(decoded[0]!.event.data[0]!.toJSON(), {
      weight: { refTime: 1_000_000, proofSize: 512 },
      class: "Normal",
      paysFee: "Yes",
    });
    assert.equal(`${decoded[1]!.event.section}.${decoded[1]!.event.method}`, "system.ExtrinsicFailed");
    const dispatchError = decoded[1]!.event.data[0] as unknown as {
      isModule: boolean;
      asModule: Parameters<TypeRegistry["findMetaError"]>[0];
    };
    assert.ok(dispatchError.isModule);
    const err = registry.findMetaError(dispatchError.asModule);
    assert.equal(`${err.section}.${err.name}`, "balances.InsufficientBalance");
    assert.equal(u8aToHex(registry.createType("Vec<EventRecord>", records.toU8a()).toU8a()), u8aToHex(records.toU8a()));

    // What `api.query.system.events()` decodes with: the System.Events storage type from the lookup.
    const eventsEntry = metadata.asLatest.pallets[0]!.storage.unwrap().items[2]!;
    const fromStorage = registry.createType(
      registry.createLookupType(eventsEntry.type.asPlain),
      records.toU8a(),
    ) as unknown as Array<{ event: { section: string; method: string } }>;
    assert.deepEqual(
      fromStorage.map((r) => `${r.event.section}.${r.event.method}`),
      ["system.ExtrinsicSuccess", "system.ExtrinsicFailed"],
    );
  });

  it("exposes System.Version, BlockHashCount and SS58Prefix as constants", () => {
    const consts = expandMetadata(registry, metadata).consts;
    const version = consts["system"]!["version"]!.toJSON() as Record<string, unknown>;
    assert.deepEqual(version, {
      specName: "parapipe-para",
      implName: "parapipe-node",
      authoringVersion: 1,
      specVersion: 7,
      implVersion: 0,
      apis: RUNTIME_VERSION.apis,
      transactionVersion: 1,
      systemVersion: 1,
    });
    assert.equal(consts["system"]!["blockHashCount"]!.toString(), "2400");
    assert.equal(registry.chainSS58, 5);
  });

  it("decodes every storage value the way the runtime registry encodes it", () => {
    const runtime = runtimeRegistry();
    runtime.setChainProperties(runtime.createType("ChainProperties", { ss58Format: 5 }) as never);
    const record = {
      ownerId: alice.address,
      ratio: 500_000_000,
      weight: { refTime: 10, proofSize: 20 },
      tags: new Map([[1, "0x0102"]]),
      flags: "0x0105",
      hash: `0x${"cd".repeat(32)}`,
      outcome: { Err: { Token: "Frozen" } },
      pair: [9, "0x01020304"],
      kind: { Named: { who: alice.address, amount: 77 } },
      basic: "High",
      era: { current: 1000, period: 128 },
    };
    const encoded = runtime.createType("KitchenRecord", record).toU8a();
    const items = metadata.asLatest.pallets[3]!.storage.unwrap().items;
    const records = items.find((i) => i.name.toString() === "Records")!;
    const fromMeta = registry.createType(registry.createLookupType(records.type.asMap.value), encoded);
    assert.deepEqual(fromMeta.toJSON(), runtime.createType("KitchenRecord", encoded).toJSON());
    assert.equal(u8aToHex(fromMeta.toU8a()), u8aToHex(encoded));
  });

  it("walks a runtime's own definition of a well-known name and applies path overrides", () => {
    const reg = runtimeRegistry();
    // polkadot-sdk stable2412's DispatchInfo: the registry's definition wins over the built-in shape.
    reg.register({
      DispatchInfo: { callWeight: "Weight", extensionWeight: "Weight", class: "DispatchClass", paysFee: "Pays" },
    });
    const def = { ...runtimeDef(reg), paths: { KitchenRecord: ["pallet_kitchen", "types", "Record"] } };
    const v14 = decodeMetadata(buildMetadataV14(reg, def)).asV14;
    const byPath = (path: string) => v14.lookup.types.find((t) => t.type.path.join("::") === path);
    const info = byPath("frame_support::dispatch::DispatchInfo");
    assert.ok(info);
    assert.deepEqual(
      info.type.def.asComposite.fields.map((f) => f.name.unwrap().toString()),
      ["call_weight", "extension_weight", "class", "pays_fee"],
    );
    assert.ok(byPath("pallet_kitchen::types::Record"));
    assert.equal(byPath("pallet_kitchen::KitchenRecord"), undefined);
  });

  it("is deterministic", () => {
    const again = buildMetadataV14(runtimeRegistry(), runtimeDef(runtimeRegistry()));
    assert.equal(u8aToHex(again), u8aToHex(blob));
  });

  it("rejects what it cannot describe with typed errors", () => {
    const reg = runtimeRegistry();
    const base = runtimeDef(reg);
    const unknown: RuntimeMetadataDef = {
      ...base,
      pallets: [
        {
          name: "X",
          index: 1,
          crate: "pallet_x",
          calls: [{ name: "f", index: 0, args: [{ name: "a", type: "NoSuchType" }] }],
        },
      ],
    };
    assert.throws(
      () => buildMetadataV14(reg, unknown),
      (e: unknown) => e instanceof MetadataError && e.code === "UNKNOWN_TYPE",
    );
    const dupIndex: RuntimeMetadataDef = { ...base, pallets: [base.pallets[0]!, { ...base.pallets[1]!, index: 10 }] };
    assert.throws(
      () => buildMetadataV14(reg, dupIndex),
      (e: unknown) => e instanceof MetadataError && e.code === "INVALID_DEFINITION",
    );
    const badDoubleMap: RuntimeMetadataDef = {
      ...base,
      pallets: [
        {
          name: "Y",
          index: 2,
          crate: "pallet_y",
          storage: {
            prefix: "Y",
            items: [
              {
                name: "M",
                kind: "map",
                hashers: ["Twox64Concat", "Twox64Concat"],
                key: "u32",
                value: "u32",
                modifier: "Default",
                fallback: new Uint8Array(4),
              },
            ],
          },
        },
      ],
    };
    assert.throws(
      () => buildMetadataV14(reg, badDoubleMap),
      (e: unknown) => e instanceof MetadataError && e.code === "INVALID_DEFINITION",
    );
  });
});

// ---- The runtimes' own metadata: what polkadot-js, PAPI and Zombienet read ---------------------------------

const VALIDATOR_KEYS = ["Alice", "Bob", "Charlie", "Dave"].map((n) => devKeypair(n));

/** A relay chain (4 dev validators, 6 s slots) with the dev parachain 2000 registered at genesis. */
function relaySetup(host: Partial<RelayHostConfiguration> = {}): { relay: DevRelayChain; para: DevParachain } {
  const para = devChain("async");
  const runtime = new RelayRuntime({
    specVersion: 7,
    slotDurationMs: 6000,
    existentialDeposit: 10_000_000_000n,
    ss58Prefix: 42,
    hostConfiguration: { ...ASYNC_HOST_CONFIGURATION, ...host },
    validators: VALIDATOR_KEYS.map((k) => k.publicKey),
  });
  const relay = new DevRelayChain(runtime, {
    balances: [[VALIDATOR_KEYS[0]!.publicKey, 10n ** 18n]],
    paras: [{ paraId: 2000, genesisHead: para.head.header, validationCode: para.runtime.code }],
  });
  return { relay, para };
}

/** What `ApiPromise` does with the metadata: a registry with it set, and the decorated consts and queries. */
function decorate(bytes: Uint8Array) {
  const registry = new TypeRegistry();
  const metadata = new Metadata(registry, bytes);
  registry.setMetadata(metadata);
  const { consts, query } = expandMetadata(registry, metadata);
  type Query = ((...a: unknown[]) => Uint8Array) & {
    meta: {
      type: {
        isPlain: boolean;
        asPlain: { toNumber(): number };
        asMap: { value: { toNumber(): number }; hashers: Array<{ type: string }> };
      };
    };
  };
  return {
    registry,
    metadata,
    consts: consts as unknown as Record<string, Record<string, Codec>>,
    query: query as unknown as Record<string, Record<string, Query>>,
    /** The storage key polkadot-js queries (its key functions return it with a compact length prefix). */
    key: (q: Query, ...args: unknown[]) => u8aToHex(compactStripLength(q(...args))[1]),
  };
}

/** `System.Events` at a block, decoded by polkadot-js as `api.query.system.events.at(hash)` does. */
function eventsAt(relay: DevRelayChain, d: ReturnType<typeof decorate>, number: number) {
  const state = relay.runtime.stateAt(relay.store, relay.blocks[number]!.stateRoot);
  const q = d.query["system"]!["events"]!;
  const raw = state.get(compactStripLength(q())[1])!;
  return d.registry.createType(d.registry.createLookupType(q.meta.type.asPlain.toNumber()), raw) as unknown as Array<{
    event: { section: string; method: string; data: Codec[] };
  }>;
}

describe("runtime metadata: what clients read", () => {
  before(cryptoReady);

  const runtimes = () => {
    const para = devChain("async");
    const { relay } = relaySetup();
    return [
      { name: "parachain", rt: para.runtime as ParachainRuntime | RelayRuntime, slot: 6000, ed: 1_000_000n, ss58: 5 },
      {
        name: "relay",
        rt: relay.runtime as ParachainRuntime | RelayRuntime,
        slot: 6000,
        ed: 10_000_000_000n,
        ss58: 42,
      },
    ];
  };

  it("both runtimes have System.Version (PAPI's spec/transaction version), BlockHashCount, SS58Prefix, Aura.SlotDuration and Balances.ExistentialDeposit", () => {
    for (const { name, rt, slot, ed, ss58 } of runtimes()) {
      const d = decorate(rt.metadata);
      const version = d.consts["system"]!["version"]!.toJSON() as Record<string, unknown>;
      assert.equal(version["specName"], rt.version.specName, name);
      assert.equal(version["specVersion"], rt.version.specVersion, name);
      assert.equal(version["transactionVersion"], rt.version.transactionVersion, name);
      assert.equal((version["apis"] as unknown[]).length, rt.version.apis.length, name);
      // PAPI reads the fields by their Rust names from the constant's type (signed-extensions/system-version.js).
      const system = d.metadata.asLatest.pallets.find((p) => p.name.eq("System"))!;
      const versionType = d.registry.lookup.getSiType(system.constants.find((c) => c.name.eq("Version"))!.type);
      assert.equal(versionType.path.join("::"), "sp_version::RuntimeVersion");
      const fields = versionType.def.asComposite.fields.map((f) => f.name.unwrap().toString());
      assert.ok(fields.includes("spec_version") && fields.includes("transaction_version"), `${name}: ${fields}`);
      assert.equal(d.consts["system"]!["blockHashCount"]!.toString(), "4096", name);
      assert.equal(d.consts["system"]!["ss58Prefix"]!.toString(), String(ss58), name);
      assert.equal(d.registry.chainSS58, ss58, name);
      // Apps' block time and the mortal era length come from Aura.SlotDuration (api-derive signingInfo.ts).
      assert.equal(d.consts["aura"]!["slotDuration"]!.toString(), String(slot), name);
      assert.equal(d.consts["balances"]!["existentialDeposit"]!.toString(), ed.toString(), name);
    }
    const sync = devChain("sync");
    assert.equal(decorate(sync.runtime.metadata).consts["aura"]!["slotDuration"]!.toString(), "12000");
  });

  it("both runtimes declare the template's signed extensions with the types PAPI encodes them with", () => {
    for (const { name, rt } of runtimes()) {
      const v14 = decodeMetadata(rt.metadata).asV14;
      const shape = (id: { toNumber(): number }) => {
        const t = v14.lookup.getSiType(id.toNumber());
        if (t.def.isTuple && t.def.asTuple.length === 0) return "()";
        if (t.def.isPrimitive) return t.def.asPrimitive.toString().toLowerCase();
        if (t.def.isCompact)
          return `Compact<${v14.lookup.getSiType(t.def.asCompact.type).def.asPrimitive.toString().toLowerCase()}>`;
        return t.path.join("::");
      };
      assert.deepEqual(
        v14.extrinsic.signedExtensions.map((e) => [e.identifier.toString(), shape(e.type), shape(e.additionalSigned)]),
        [
          ["CheckNonZeroSender", "()", "()"],
          ["CheckSpecVersion", "()", "u32"],
          ["CheckTxVersion", "()", "u32"],
          ["CheckGenesis", "()", "primitive_types::H256"],
          ["CheckMortality", "sp_runtime::generic::era::Era", "primitive_types::H256"],
          ["CheckNonce", "Compact<u32>", "()"],
          ["CheckWeight", "()", "()"],
          ["ChargeTransactionPayment", "Compact<u128>", "()"],
        ],
        name,
      );
      assert.deepEqual(
        decorate(rt.metadata).registry.signedExtensions,
        SIGNED_EXTENSIONS.map((s) => s.identifier),
      );
    }
  });

  it("keys System.Account(//Alice) on both runtimes, and Paras.Parachains / Paras.Heads(2000) on the relay, as ecosystem.md §1.5 has them", () => {
    for (const { name, rt } of runtimes()) {
      const d = decorate(rt.metadata);
      assert.equal(d.key(d.query["system"]!["account"]!, devKeypair("Alice").publicKey), ALICE_ACCOUNT_KEY, name);
    }
    const { relay, para } = relaySetup();
    const d = decorate(relay.runtime.metadata);
    const parachains = d.query["paras"]!["parachains"]!;
    assert.equal(d.key(parachains), "0xcd710b30bd2eab0352ddcc26417aa1940b76934f4cc08dee01012d059e1b83ee");
    const heads = d.query["paras"]!["heads"]!;
    const id = new Uint8Array([0xd0, 0x07, 0, 0]);
    const headsKey = `0xcd710b30bd2eab0352ddcc26417aa1941b3c252fcb29d88eff4f3de5de4476c3${u8aToHex(xxhashAsU8a(id, 64)).slice(2)}d0070000`;
    assert.equal(d.key(heads, 2000), headsKey);
    assert.deepEqual(
      heads.meta.type.asMap.hashers.map((h) => h.type),
      ["Twox64Concat"],
    );
    // The values decode as Zombienet's `parachain 2000 is registered` / `block height` read them.
    const state = relay.runtime.stateAt(relay.store, relay.head.stateRoot);
    const list = d.registry.createType(
      d.registry.createLookupType(parachains.meta.type.asPlain.toNumber()),
      state.get(compactStripLength(parachains())[1])!,
    );
    assert.deepEqual(list.toJSON(), [2000]);
    const head = d.registry.createType(
      d.registry.createLookupType(heads.meta.type.asMap.value.toNumber()),
      state.get(compactStripLength(heads(2000))[1])!,
    );
    assert.equal(u8aToHex(head.toU8a(true)), u8aToHex(para.head.header));
  });

  it("the relay declares ParaInclusion.CandidateBacked/CandidateIncluded/CandidateTimedOut and Session.NewSession", () => {
    const d = decorate(relaySetup().relay.runtime.metadata);
    const events = (pallet: string) => {
      const p = d.metadata.asLatest.pallets.find((x) => x.name.eq(pallet))!;
      return d.registry.lookup
        .getSiType(p.events.unwrap().type)
        .def.asVariant.variants.map((v) => [v.name.toString(), v.fields.map((f) => f.name.unwrap().toString())]);
    };
    assert.deepEqual(events("ParaInclusion"), [
      ["CandidateBacked", ["candidate_receipt", "head_data", "core_index", "group_index"]],
      ["CandidateIncluded", ["candidate_receipt", "head_data", "core_index", "group_index"]],
      ["CandidateTimedOut", ["candidate_receipt", "head_data", "core_index"]],
    ]);
    assert.deepEqual(events("Session"), [["NewSession", ["session_index"]]]);
  });

  it("the relay deposits CandidateBacked, CandidateIncluded and CandidateTimedOut in System.Events, decodable by polkadot-js", () => {
    const { relay, para } = relaySetup();
    const d = decorate(relay.runtime.metadata);
    const names = (n: number) => eventsAt(relay, d, n).map((e) => `${e.event.section}.${e.event.method}`);
    relay.produce(); // #1
    assert.ok(names(1).includes("session.NewSession"));
    const col = collateOnRelay(para, relay, 1);
    relay.produce({ backedCandidates: [relay.back(col.candidate, [{ validator: 0 }, { validator: 1 }])] }); // #2
    const backed = eventsAt(relay, d, 2).find((e) => e.event.method === "CandidateBacked");
    assert.ok(backed, names(2).join());
    assert.equal(backed.event.section, "paraInclusion");
    const receipt = backed.event.data[0] as unknown as { descriptor: { paraId: Codec }; hash: Codec };
    assert.equal(receipt.descriptor.paraId.toString(), "2000");
    assert.equal(u8aToHex(backed.event.data[1]!.toU8a(true)), u8aToHex(col.block.header.toU8a()));
    relay.produce({ bitfields: relay.bitfields([0, 1, 3]) }); // #3
    assert.ok(names(3).includes("paraInclusion.CandidateIncluded"), names(3).join());

    const t = relaySetup({ availabilityPeriod: 3 });
    t.relay.produce(); // #1
    const c = collateOnRelay(t.para, t.relay, 1);
    t.relay.produce({ backedCandidates: [t.relay.back(c.candidate, [{ validator: 0 }, { validator: 1 }])] }); // #2
    t.relay.produce(); // #3
    t.relay.produce(); // #4
    t.relay.produce(); // #5 = 2 + 3
    const td = decorate(t.relay.runtime.metadata);
    assert.ok(
      eventsAt(t.relay, td, 5).some(
        (e) => `${e.event.section}.${e.event.method}` === "paraInclusion.CandidateTimedOut",
      ),
    );
  });

  it("the parachain exposes Inflation.ActiveInflationConfig (Astar's layout) and ParachainSystem.UnincludedSegment to storage queries", () => {
    const chain = devChain("async");
    chain.produce({ relaySlot: 100n });
    chain.produce({ relaySlot: 101n });
    const d = decorate(chain.runtime.metadata);
    const state = chain.runtime.stateAt(chain.store, chain.head.stateRoot);
    const read = (pallet: string, item: string) => {
      const q = d.query[pallet]![item]!;
      const raw = state.get(compactStripLength(q())[1]);
      assert.ok(raw, `${pallet}.${item} is stored`);
      return d.registry.createType(d.registry.createLookupType(q.meta.type.asPlain.toNumber()), raw);
    };
    assert.equal(
      d.key(d.query["inflation"]!["activeInflationConfig"]!),
      u8aToHex(u8aConcat(xxhashAsU8a("Inflation", 128), xxhashAsU8a("ActiveInflationConfig", 128))),
    );
    const cfg = read("inflation", "activeInflationConfig").toJSON() as Record<string, unknown>;
    assert.deepEqual(Object.keys(cfg), [
      "recalculationEra",
      "issuanceSafetyCap",
      "collatorRewardPerBlock",
      "treasuryRewardPerBlock",
      "dappRewardPoolPerEra",
      "baseStakerRewardPoolPerEra",
      "adjustableStakerRewardPoolPerEra",
      "bonusRewardPoolPerPeriod",
      "idealStakingRate",
      "decayRate",
      "decayFactor",
    ]);
    const active = chain.runtime.inflation.config(state);
    assert.equal(BigInt(String(cfg["collatorRewardPerBlock"])), active.collatorRewardPerBlock);
    assert.ok(read("inflation", "inflationParams"));
    const segment = read("parachainSystem", "unincludedSegment") as unknown as Codec[];
    assert.ok(Array.isArray(segment));
  });
});
