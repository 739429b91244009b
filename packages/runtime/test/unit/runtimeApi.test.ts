import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import {
  cryptoReady,
  decodeExact,
  devKeypair,
  MemoryNodeStore,
  MissingNodeError,
  type Sr25519Keypair,
  toHex,
} from "@parapipe/primitives";
import { Metadata, TypeRegistry } from "@polkadot/types";
import type { RuntimeVersion } from "@polkadot/types/interfaces";
import type { Codec } from "@polkadot/types/types";
import { u8aConcat, u8aToHex } from "@polkadot/util";
import type { ParachainRuntime } from "../../src/parachain/runtime.js";
import { makeCall, signExtrinsic } from "../../src/parachain/signing.js";
import { ASYNC_HOST_CONFIGURATION, DevRelayChain, RelayRuntime } from "../../src/relay/index.js";
import {
  type RuntimeApiBlock,
  RuntimeApiError,
  runtimeRpcApi,
  type TransactionValidityErrorInfo,
  transactionValidityErrorOf,
} from "../../src/runtimeApi.js";
import { alice, bob, charlie, dave, devChain } from "./fixtures.js";

/** A transfer amount every funded dev account has on both chains. */
const AMOUNT = 10n ** 12n;

const VALIDATORS = ["Alice", "Bob", "Charlie", "Dave"].map((n) => devKeypair(n));

/** One runtime with a chain to call it on, whichever kind it is. */
interface Subject {
  name: string;
  rt: ParachainRuntime | RelayRuntime;
  /** The best block as `state_call` gets it. */
  at(): RuntimeApiBlock;
  genesisHash: Uint8Array;
  /** Produces a block with these transactions; returns how many were included. */
  produce(txs?: Uint8Array[]): number;
  sign(who: Sr25519Keypair, section: string, method: string, args: unknown[], nonce?: number): Uint8Array;
  slotDurationMs: number;
  /** A funded account and an account with nothing. */
  rich: Sr25519Keypair;
  broke: Sr25519Keypair;
}

function paraSubject(): Subject {
  const chain = devChain("async");
  let slot = 100n;
  const s: Subject = {
    name: "parachain",
    rt: chain.runtime,
    at: () => ({ store: chain.store, ...chain.head }),
    genesisHash: chain.genesisHash,
    produce: (txs = []) => chain.produce({ relaySlot: slot++, transactions: txs }).included.length,
    sign: (who, section, method, args, nonce) => chain.sign(who, section, method, args, { nonce }),
    slotDurationMs: 6000,
    rich: alice,
    broke: dave,
  };
  s.produce();
  return s;
}

function relaySubject(): Subject {
  const para = devChain("async");
  const rt = new RelayRuntime({
    specVersion: 3,
    slotDurationMs: 6000,
    existentialDeposit: 10_000_000_000n,
    ss58Prefix: 42,
    hostConfiguration: ASYNC_HOST_CONFIGURATION,
    validators: VALIDATORS.map((k) => k.publicKey),
  });
  const relay = new DevRelayChain(rt, {
    balances: [[alice.publicKey, 10n ** 18n]],
    sudoKey: alice.publicKey,
    paras: [{ paraId: 2000, genesisHead: para.head.header, validationCode: para.runtime.code }],
  });
  const s: Subject = {
    name: "relay",
    rt,
    at: () => ({ store: relay.store, ...relay.head }),
    genesisHash: relay.blocks[0]!.hash,
    produce: (txs = []) => relay.produce({ transactions: txs }).included.length,
    sign: (who, section, method, args, nonce) =>
      signExtrinsic(rt.registry, makeCall(rt.registry, section, method, args), who, {
        nonce: nonce ?? rt.system.account(rt.stateAt(relay.store, relay.head.stateRoot), who.publicKey).nonce,
        genesisHash: relay.blocks[0]!.hash,
        specVersion: rt.version.specVersion,
        transactionVersion: rt.version.transactionVersion,
      }),
    slotDurationMs: 6000,
    rich: alice,
    broke: dave,
  };
  s.produce();
  return s;
}

/** A registry as polkadot-js' ApiPromise has it: built-in definitions plus the chain's metadata. */
function clientRegistry(rt: ParachainRuntime | RelayRuntime): TypeRegistry {
  const registry = new TypeRegistry();
  registry.setMetadata(new Metadata(registry, rt.metadata));
  return registry;
}

/** What `api.call.<api>.<method>(...)` sends: each argument's SCALE encoding, concatenated (Decorate.ts `_decorateCall`). */
function callArgs(registry: TypeRegistry, ...args: Array<[string, unknown]>): Uint8Array {
  return u8aConcat(...args.map(([type, v]) => registry.createType(type, v).toU8a()));
}

function expectApiError(fn: () => unknown, code: RuntimeApiError["code"], method?: string): RuntimeApiError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof RuntimeApiError, `expected RuntimeApiError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (method) assert.equal(caught.type.method, method);
  return caught;
}

// Runtime-API ids from shared/reference/ecosystem.md §1.5 (blake2_64 of the names).
const API_IDS: Record<string, string> = {
  Core: "0xdf6acb689907609b",
  Metadata: "0x37e397fc7c91f5e4",
  AccountNonceApi: "0xbc9d89904f5b923f",
  TaggedTransactionQueue: "0xd2bc9897eed08f15",
  TransactionPaymentApi: "0x37c8bb1350a9a2a8",
};

for (const make of [paraSubject, relaySubject]) {
  describe(`runtime RPC API (${make.name === "paraSubject" ? "parachain" : "relay"})`, () => {
    let s: Subject;
    let registry: TypeRegistry;
    let api: ReturnType<typeof runtimeRpcApi>;
    before(async () => {
      await cryptoReady();
      s = make();
      registry = clientRegistry(s.rt);
      api = runtimeRpcApi(s.rt);
    });

    /** `TransactionValidity` as polkadot-js decodes `api.call.taggedTransactionQueue.validateTransaction`. */
    function validate(tx: Uint8Array, source = "External"): Codec & Record<string, never> {
      const args = callArgs(registry, ["TransactionSource", source], ["Extrinsic", tx], ["BlockHash", s.at().hash]);
      const out = api.call("TaggedTransactionQueue_validate_transaction", args, s.at());
      return decodeExact(registry, "TransactionValidity", out) as never;
    }
    const invalidReason = (v: Codec): string => {
      const r = v as unknown as { isErr: boolean; asErr: { isInvalid: boolean; asInvalid: { type: string } } };
      assert.ok(r.isErr, `expected Err, got ${v.toString()}`);
      assert.ok(r.asErr.isInvalid);
      return r.asErr.asInvalid.type;
    };

    it("answers state_getRuntimeVersion with Substrate's JSON, which polkadot-js decodes", () => {
      const v = api.version();
      const { specName, specVersion, transactionVersion } = s.rt.version;
      assert.deepEqual(Object.keys(v), [
        "specName",
        "implName",
        "authoringVersion",
        "specVersion",
        "implVersion",
        "apis",
        "transactionVersion",
        "systemVersion",
        "stateVersion",
      ]);
      assert.equal(v["specName"], specName);
      assert.equal(v["specVersion"], specVersion);
      assert.equal(v["transactionVersion"], transactionVersion);
      assert.equal(v["systemVersion"], 1);
      assert.equal(v["stateVersion"], 1);
      const apis = new Map(v["apis"] as Array<[string, number]>);
      for (const [name, id] of Object.entries(API_IDS)) assert.ok(apis.has(id), `${name} advertised as ${id}`);
      assert.equal(apis.get(API_IDS["Metadata"]!), 2, "Metadata v2: polkadot-js uses metadata_at_version");
      assert.equal(apis.get(API_IDS["TransactionPaymentApi"]!), 4);
      const decoded = new TypeRegistry().createType<RuntimeVersion>("RuntimeVersion", v);
      assert.equal(decoded.specVersion.toNumber(), specVersion);
      assert.equal(decoded.apis.length, s.rt.version.apis.length);
      assert.equal(decoded.stateVersion.toNumber(), 1);
      assert.notEqual(api.version(), v, "a fresh object per call");
    });

    it("Core_version is the SCALE RuntimeVersion (polkadot-js RuntimeVersion), equal to the JSON and System.Version", () => {
      const out = api.call("Core_version", new Uint8Array(), s.at());
      const decoded = decodeExact(new TypeRegistry(), "RuntimeVersion", out);
      const { systemVersion: _, ...json } = api.version();
      assert.deepEqual(decoded.toJSON(), json);
      const consts = registry.metadata.pallets.find((p) => p.name.eq("System"))!.constants;
      assert.equal(toHex(consts.find((c) => c.name.eq("Version"))!.value.toU8a(true)), toHex(out));
    });

    it("serves the metadata: Metadata_metadata (Vec<u8>), _versions [14], _at_version(14) Some and (15) None", () => {
      assert.equal(toHex(api.metadata()), toHex(s.rt.metadata));
      assert.equal(toHex(api.metadata().subarray(0, 5)), "0x6d6574610e");
      const opaque = api.call("Metadata_metadata", new Uint8Array(), s.at());
      assert.equal(toHex(decodeExact(registry, "Bytes", opaque).toU8a(true)), toHex(s.rt.metadata));

      const versions = api.call("Metadata_metadata_versions", new Uint8Array(), s.at());
      assert.equal(toHex(versions), "0x040e000000");
      assert.deepEqual(decodeExact(registry, "Vec<u32>", versions).toJSON(), [14]);

      const at14 = api.call("Metadata_metadata_at_version", new Uint8Array([14, 0, 0, 0]), s.at());
      const opt = decodeExact(registry, "Option<Bytes>", at14) as unknown as { isSome: boolean; unwrap(): Codec };
      assert.ok(opt.isSome);
      assert.equal(toHex(opt.unwrap().toU8a(true)), toHex(s.rt.metadata));
      assert.equal(toHex(at14.subarray(0, 1)), "0x01");
      assert.equal(toHex(api.call("Metadata_metadata_at_version", new Uint8Array([15, 0, 0, 0]), s.at())), "0x00");

      // polkadot-js' own path (Init.ts `_retrieveMetadata`): state_call's Bytes → Option<OpaqueMetadata> → Metadata.
      const fresh = new TypeRegistry();
      const rpcResult = fresh.createType("Bytes", u8aToHex(at14));
      const opaqueMd = fresh.createType("Option<OpaqueMetadata>", rpcResult).unwrapOr(null);
      assert.ok(opaqueMd);
      const md = new Metadata(fresh, opaqueMd.toHex());
      assert.equal(md.version, 14);
      assert.ok(md.asLatest.pallets.some((p) => p.name.eq("Balances")));
    });

    it("AccountNonceApi_account_nonce reads the nonce (u32 LE) at the given block", () => {
      const before = s.at();
      const arg = callArgs(registry, ["AccountId", s.rich.publicKey]);
      assert.equal(toHex(api.call("AccountNonceApi_account_nonce", arg, before)), "0x00000000");
      assert.equal(s.produce([s.sign(s.rich, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, AMOUNT])]), 1);
      const out = api.call("AccountNonceApi_account_nonce", arg, s.at());
      assert.equal(decodeExact(registry, "u32", out).toString(), "1");
      // At the older block the nonce is still 0.
      assert.equal(toHex(api.call("AccountNonceApi_account_nonce", arg, before)), "0x00000000");
      assert.equal(
        toHex(api.call("AccountNonceApi_account_nonce", callArgs(registry, ["AccountId", dave.publicKey]), s.at())),
        "0x00000000",
      );
    });

    it("validate_transaction: a good transaction is Ok(ValidTransaction) with its (AccountId, nonce) tag", () => {
      const nonce = s.rt.system.account(s.rt.stateAt(s.at().store, s.at().stateRoot), s.rich.publicKey).nonce;
      const tx = s.sign(s.rich, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, AMOUNT]);
      const v = validate(tx) as unknown as {
        isOk: boolean;
        asOk: { priority: Codec; requires: Codec[]; provides: Codec[]; longevity: Codec; propagate: Codec };
      };
      assert.ok(v.isOk);
      const tag = (n: number) => toHex(registry.createType("(AccountId32, u32)", [s.rich.publicKey, n]).toU8a());
      assert.deepEqual(
        v.asOk.provides.map((p) => toHex(p.toU8a(true))),
        [tag(nonce)],
      );
      assert.equal(v.asOk.requires.length, 0);
      assert.equal(v.asOk.priority.toString(), "0");
      assert.equal(v.asOk.longevity.toString(), "18446744073709551615", "immortal");
      assert.equal(v.asOk.propagate.toString(), "true");
      // PAPI's built-in decoder only looks at the first byte (0 = Ok).
      const raw = api.call("TaggedTransactionQueue_validate_transaction", u8aConcat([2], tx, s.at().hash), s.at());
      assert.equal(raw[0], 0);
    });

    it("validate_transaction: a future nonce is Ok and requires the previous nonce's tag", () => {
      const nonce = s.rt.system.account(s.rt.stateAt(s.at().store, s.at().stateRoot), s.rich.publicKey).nonce;
      const tx = s.sign(s.rich, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, AMOUNT], nonce + 2);
      const v = validate(tx) as unknown as { isOk: boolean; asOk: { requires: Codec[]; provides: Codec[] } };
      assert.ok(v.isOk);
      const tag = (n: number) => toHex(registry.createType("(AccountId32, u32)", [s.rich.publicKey, n]).toU8a());
      assert.deepEqual(
        v.asOk.requires.map((r) => toHex(r.toU8a(true))),
        [tag(nonce + 1)],
      );
      assert.deepEqual(
        v.asOk.provides.map((r) => toHex(r.toU8a(true))),
        [tag(nonce + 2)],
      );
    });

    it("validate_transaction: bad signature → Invalid(BadProof), stale nonce → Invalid(Stale), no funds → Invalid(Payment)", () => {
      const tx = s.sign(s.rich, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, AMOUNT]).slice();
      tx[2 + 33 + 1 + 10]! ^= 1; // inside the signature
      const badProof = validate(tx);
      assert.equal(invalidReason(badProof), "BadProof");
      assert.equal(toHex(badProof.toU8a()), "0x010004", "Err(Invalid(BadProof = 4))");

      assert.ok(s.rt.system.account(s.rt.stateAt(s.at().store, s.at().stateRoot), s.rich.publicKey).nonce > 0);
      const stale = validate(s.sign(s.rich, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, AMOUNT], 0));
      assert.equal(invalidReason(stale), "Stale");
      assert.equal(toHex(stale.toU8a()), "0x010003");

      const broke = validate(s.sign(s.broke, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, AMOUNT]));
      assert.equal(invalidReason(broke), "Payment");
      assert.equal(toHex(broke.toU8a()), "0x010001");
    });

    it("validate_transaction: an unsigned call is Unknown(NoUnsignedValidator), an unsigned inherent Invalid(MandatoryValidation)", () => {
      const reg = s.rt.registry;
      const unsigned = reg
        .createType("Extrinsic", makeCall(reg, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, AMOUNT]))
        .toU8a();
      const v = validate(unsigned, "Local") as unknown as {
        isErr: boolean;
        asErr: { isUnknown: boolean; asUnknown: { isNoUnsignedValidator: boolean } };
        toU8a(): Uint8Array;
      };
      assert.ok(v.isErr && v.asErr.isUnknown && v.asErr.asUnknown.isNoUnsignedValidator);
      assert.equal(toHex(v.toU8a()), "0x010101");
      const inherent = reg.createType("Extrinsic", makeCall(reg, "timestamp", "set", [123n])).toU8a();
      const mandatory = validate(inherent, "InBlock");
      // Index 9: sp_runtime's MandatoryValidation, which polkadot-js still calls MandatoryDispatch.
      assert.equal(invalidReason(mandatory), "MandatoryDispatch");
      assert.equal(toHex(mandatory.toU8a()), "0x010009");
    });

    it("TransactionPaymentApi_query_info decodes as polkadot-js' RuntimeDispatchInfo (WeightV2) with the fee the block charges", () => {
      const tx = s.sign(s.rich, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, AMOUNT]);
      // `tx.paymentInfo()`: api.call.transactionPaymentApi.queryInfo(u8a, u8a.length).
      const args = callArgs(registry, ["Extrinsic", tx], ["u32", tx.length]);
      const out = api.call("TransactionPaymentApi_query_info", args, s.at());
      const info = decodeExact(registry, "RuntimeDispatchInfo", out) as unknown as {
        weight: { refTime: Codec; proofSize: Codec };
        class: { isNormal: boolean };
        partialFee: Codec;
      };
      const expected = s.rt.queryInfo(tx);
      assert.ok(expected.ok);
      assert.equal(info.weight.refTime.toString(), expected.value.weight.toString());
      assert.equal(info.weight.proofSize.toString(), "0");
      assert.ok(info.class.isNormal);
      assert.equal(info.partialFee.toString(), expected.value.partialFee.toString());
      assert.ok(expected.value.partialFee > 0n);
      // The V2 type by name decodes the same bytes.
      assert.equal(decodeExact(new TypeRegistry(), "RuntimeDispatchInfoV2", out).toHex(), toHex(out));

      // query_fee_details: base + length + weight fee = partial fee; the tip (0) follows, as upstream encodes it.
      const fd = api.call("TransactionPaymentApi_query_fee_details", args, s.at());
      const details = registry.createType("FeeDetails", fd) as unknown as {
        inclusionFee: { isSome: boolean; unwrap(): { baseFee: Codec; lenFee: Codec; adjustedWeightFee: Codec } };
        encodedLength: number;
      };
      assert.ok(details.inclusionFee.isSome);
      const f = details.inclusionFee.unwrap();
      const sum = BigInt(f.baseFee.toString()) + BigInt(f.lenFee.toString()) + BigInt(f.adjustedWeightFee.toString());
      assert.equal(sum, expected.value.partialFee);
      assert.equal(fd.length, details.encodedLength + 16);
      assert.equal(toHex(fd.subarray(fd.length - 16)), toHex(new Uint8Array(16)));

      // An unsigned extrinsic pays no fee (query_info: partial_fee 0; fee details: no inclusion fee).
      const reg = s.rt.registry;
      const bare = reg.createType("Extrinsic", makeCall(reg, "system", "remark", ["0x01"])).toU8a();
      const bareArgs = callArgs(registry, ["Extrinsic", bare], ["u32", bare.length]);
      const bareInfo = registry.createType(
        "RuntimeDispatchInfo",
        api.call("TransactionPaymentApi_query_info", bareArgs, s.at()),
      ) as unknown as { partialFee: Codec };
      assert.equal(bareInfo.partialFee.toString(), "0");
      assert.equal(
        toHex(api.call("TransactionPaymentApi_query_fee_details", bareArgs, s.at())),
        toHex(new Uint8Array(17)),
      );

      // query_length_to_fee / query_weight_to_fee (v3+).
      const lenFee = api.call("TransactionPaymentApi_query_length_to_fee", new Uint8Array([10, 0, 0, 0]), s.at());
      assert.equal(decodeExact(registry, "Balance", lenFee).toString(), (10n * s.rt.payment.fees.byteFee).toString());
      const w = registry.createType("WeightV2", { refTime: 1000, proofSize: 5 }).toU8a();
      const wFee = api.call("TransactionPaymentApi_query_weight_to_fee", w, s.at());
      assert.equal(
        decodeExact(registry, "Balance", wFee).toString(),
        (1000n * s.rt.payment.fees.weightFeePerRefTime).toString(),
      );
    });

    it("AuraApi gives the slot duration (u64 ms) and the authorities", () => {
      const d = api.call("AuraApi_slot_duration", new Uint8Array(), s.at());
      assert.equal(decodeExact(registry, "u64", d).toString(), String(s.slotDurationMs));
      const auth = api.call("AuraApi_authorities", new Uint8Array(), s.at());
      const keys = decodeExact(registry, "Vec<[u8; 32]>", auth) as unknown as Codec[];
      assert.ok(keys.length > 0);
      assert.deepEqual(
        keys.map((k) => toHex(k.toU8a())),
        s.rt.aura.authorities(s.rt.stateAt(s.at().store, s.at().stateRoot)).map(toHex),
      );
    });

    it("refuses undecodable arguments and trailing bytes with BAD_ARGUMENTS, never a crash", () => {
      const at = s.at();
      const tx = s.sign(s.rich, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, AMOUNT]);
      const cases: Array<[string, Uint8Array]> = [
        ["Core_version", new Uint8Array([0])],
        ["Metadata_metadata", new Uint8Array([1, 2])],
        ["Metadata_metadata_versions", new Uint8Array([0])],
        ["Metadata_metadata_at_version", new Uint8Array([14, 0, 0])],
        ["Metadata_metadata_at_version", new Uint8Array([14, 0, 0, 0, 0])],
        ["AccountNonceApi_account_nonce", alice.publicKey.subarray(0, 31)],
        ["AccountNonceApi_account_nonce", u8aConcat(alice.publicKey, [0])],
        ["TaggedTransactionQueue_validate_transaction", u8aConcat([3], tx, at.hash)],
        ["TaggedTransactionQueue_validate_transaction", u8aConcat([2], tx)],
        ["TaggedTransactionQueue_validate_transaction", u8aConcat([2], tx, at.hash, [0])],
        ["TaggedTransactionQueue_validate_transaction", u8aConcat([2], tx.subarray(0, tx.length - 1))],
        ["TaggedTransactionQueue_validate_transaction", u8aConcat([2, 0x10, 1, 2, 3, 4], at.hash)],
        ["TaggedTransactionQueue_validate_transaction", new Uint8Array([2, 0xff, 0xff, 0xff, 0xff, 0xff])],
        ["TaggedTransactionQueue_validate_transaction", new Uint8Array()],
        ["TransactionPaymentApi_query_info", tx],
        ["TransactionPaymentApi_query_info", u8aConcat(tx, [1, 0, 0, 0, 0])],
        ["TransactionPaymentApi_query_info", u8aConcat([0x0c, 9, 9, 9], [3, 0, 0, 0])],
        ["TransactionPaymentApi_query_fee_details", u8aConcat([0x01, 0x01], [3, 0, 0, 0])],
        ["TransactionPaymentApi_query_length_to_fee", new Uint8Array([1])],
        // Non-canonical compact (mode 1 for a value below 64).
        ["TransactionPaymentApi_query_weight_to_fee", new Uint8Array([0x01, 0x00, 0x00])],
        ["AuraApi_slot_duration", new Uint8Array([0])],
        ["AuraApi_authorities", new Uint8Array([0])],
      ];
      for (const [method, args] of cases) {
        const e = expectApiError(() => api.call(method, args, at), "BAD_ARGUMENTS", method);
        assert.match(e.message, /^Bad input data provided to /);
      }
      expectApiError(() => api.call("Core_version", "0x" as never, at), "BAD_ARGUMENTS");
    });

    it("refuses methods it does not export with UNKNOWN_METHOD", () => {
      for (const m of [
        "Core_nope",
        "BlockBuilder_apply_extrinsic",
        "ParachainHost_validators",
        "AuraUnincludedSegmentApi_can_build_upon",
        "DryRunApi_dry_run_call",
        "",
      ]) {
        const e = expectApiError(() => api.call(m, new Uint8Array(), s.at()), "UNKNOWN_METHOD", m);
        assert.match(e.message, /is not found/);
      }
    });

    it("lets a missing trie node through (the node loads it and calls again)", () => {
      const at = { ...s.at(), store: new MemoryNodeStore() };
      assert.throws(
        () => api.call("AccountNonceApi_account_nonce", alice.publicKey, at),
        (e: unknown) => e instanceof MissingNodeError,
      );
    });
  });
}

describe("runtimeRpcApi", () => {
  before(cryptoReady);

  it("returns one instance per runtime and nothing more than the runtime advertises", () => {
    const s = paraSubject();
    assert.equal(runtimeRpcApi(s.rt), runtimeRpcApi(s.rt));
    expectApiError(
      () => runtimeRpcApi(s.rt).call("TaggedTransactionQueue_nope", new Uint8Array(), s.at()),
      "UNKNOWN_METHOD",
    );
  });
});

describe("transactionValidityErrorOf", () => {
  before(cryptoReady);

  const expectInfo = (info: TransactionValidityErrorInfo, want: Partial<TransactionValidityErrorInfo>) => {
    for (const [k, v] of Object.entries(want)) assert.deepEqual(info[k as keyof TransactionValidityErrorInfo], v, k);
  };

  it("classifies the runtime's validity errors with Substrate's texts and author RPC errors (1010/1011)", () => {
    const s = paraSubject();
    const tx = s.sign(s.rich, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, AMOUNT]).slice();
    tx[2 + 33 + 1 + 10]! ^= 1;
    const res = s.rt.validateTransaction(s.at().store, s.at(), tx);
    assert.ok(!res.ok);
    const fromResult = transactionValidityErrorOf(res);
    const fromError = transactionValidityErrorOf(res.error);
    assert.deepEqual(fromResult, fromError);
    expectInfo(fromError, {
      kind: "invalid",
      variant: "BadProof",
      index: 4,
      text: "Transaction has a bad signature",
      rpc: { code: 1010, message: "Invalid Transaction", data: "Transaction has a bad signature" },
    });

    // The bytes state_call answered with decode to the same verdict.
    const out = runtimeRpcApi(s.rt).call(
      "TaggedTransactionQueue_validate_transaction",
      u8aConcat([2], tx, s.at().hash),
      s.at(),
    );
    expectInfo(transactionValidityErrorOf(out), { kind: "invalid", variant: "BadProof", index: 4 });

    const broke = s.rt.validateTransaction(
      s.at().store,
      s.at(),
      s.sign(charlie, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, AMOUNT]),
    );
    assert.ok(broke.ok, "Charlie is funded");
    const poor = s.rt.validateTransaction(
      s.at().store,
      s.at(),
      s.sign(dave, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, AMOUNT]),
    );
    assert.ok(!poor.ok);
    const payment = transactionValidityErrorOf(poor.error);
    expectInfo(payment, {
      kind: "invalid",
      variant: "Payment",
      index: 1,
      text: "Inability to pay some fees (e.g. account balance too low)",
    });
    assert.match(payment.detail ?? "", /cannot pay fee/);
  });

  it("gives every variant its Substrate text, index and RPC error", () => {
    const cases: Array<[unknown, Partial<TransactionValidityErrorInfo>]> = [
      [
        { kind: "Invalid", reason: "Stale" },
        { variant: "Stale", index: 3, text: "Transaction is outdated" },
      ],
      [
        { kind: "Invalid", reason: "Future" },
        { variant: "Future", index: 2, text: "Transaction will be valid in the future" },
      ],
      [
        { kind: "Invalid", reason: "AncientBirthBlock" },
        { variant: "AncientBirthBlock", index: 5, text: "Transaction has an ancient birth block" },
      ],
      [
        { kind: "Invalid", reason: "ExhaustsResources" },
        { index: 6, text: "Transaction would exhaust the block limits" },
      ],
      [
        { kind: "Invalid", reason: "Custom", custom: 42 },
        {
          variant: "Custom",
          index: 7,
          custom: 42,
          rpc: { code: 1010, message: "Invalid Transaction", data: "Custom error: 42" },
        },
      ],
      [
        { kind: "Invalid", reason: "BadSigner" },
        { index: 10, text: "Invalid signing address" },
      ],
      [
        { kind: "Unknown", reason: "CannotLookup" },
        {
          kind: "unknown",
          index: 0,
          text: "Could not lookup information required to validate the transaction",
          rpc: { code: 1011, message: "Unknown Transaction Validity", data: "CannotLookup" },
        },
      ],
      [
        { kind: "Unknown", reason: "Custom", custom: 3 },
        {
          kind: "unknown",
          index: 2,
          rpc: { code: 1011, message: "Unknown Transaction Validity", data: "Custom(3)" },
        },
      ],
      // polkadot-js JSON forms.
      [{ invalid: { badProof: null } }, { kind: "invalid", variant: "BadProof", index: 4 }],
      [{ Invalid: "Payment" }, { kind: "invalid", variant: "Payment", index: 1 }],
      [{ unknown: { custom: 9 } }, { kind: "unknown", variant: "Custom", custom: 9 }],
      // SCALE: Err(Invalid(Custom(5))), bare Unknown(NoUnsignedValidator), Invalid(UnknownOrigin).
      [new Uint8Array([1, 0, 7, 5]), { kind: "invalid", variant: "Custom", custom: 5 }],
      [new Uint8Array([1, 1]), { kind: "unknown", variant: "NoUnsignedValidator", index: 1 }],
      [
        new Uint8Array([0, 12]),
        { variant: "UnknownOrigin", text: "The transaction extension did not authorize any origin" },
      ],
    ];
    for (const [input, want] of cases) expectInfo(transactionValidityErrorOf(input), want);
  });

  it("maps undecodable bytes to 1001 and anything else to a 1002 verification error, never throwing", () => {
    const s = paraSubject();
    const undecodable = s.rt.validateTransaction(s.at().store, s.at(), new Uint8Array([4, 1, 2, 3, 4]));
    assert.ok(!undecodable.ok);
    const u = transactionValidityErrorOf(undecodable.error);
    expectInfo(u, { kind: "undecodable", variant: "Undecodable" });
    assert.equal(u.rpc.code, 1001);
    assert.match(u.rpc.message, /^Extrinsic has invalid format: /);
    const viaCall = (() => {
      try {
        runtimeRpcApi(s.rt).call(
          "TaggedTransactionQueue_validate_transaction",
          u8aConcat([2, 0x10, 1, 2, 3, 4], s.at().hash),
          s.at(),
        );
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expectInfo(transactionValidityErrorOf(viaCall), { kind: "undecodable" });

    const circular: Record<string, unknown> = {};
    circular["self"] = circular;
    const getterThrows = {
      get kind(): string {
        throw new Error("boom");
      },
    };
    for (const junk of [
      null,
      undefined,
      42,
      "BadProof",
      {},
      circular,
      getterThrows,
      new Error("something broke"),
      new Uint8Array(),
      new Uint8Array([0, 0, 0]),
      new Uint8Array([1, 0, 99]),
      { ok: true, value: {} },
      { kind: "Invalid", reason: "NoSuchReason" },
      new RuntimeApiError({ code: "EXECUTION_FAILED", method: "X", reason: "trap" }),
    ]) {
      const info = transactionValidityErrorOf(junk);
      assert.equal(info.kind, "other", String(junk));
      assert.equal(info.rpc.code, 1002);
      assert.match(info.rpc.message, /^Verification Error: Runtime error: /);
    }
  });
});
