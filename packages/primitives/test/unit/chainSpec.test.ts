import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Keyring } from "@polkadot/keyring";
import { cryptoWaitReady, encodeAddress } from "@polkadot/util-crypto";
import {
  ChainSpecError,
  chainSpecToJson,
  PARA_RUNTIME_ID,
  parseChainSpec,
  RELAY_RUNTIME_ID,
  rawChainSpecJson,
  runtimeCode,
} from "../../src/chainSpec/index.js";
import { fromHex, toHex } from "../../src/hashing.js";

// ---- fixtures -----------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

const hexOf = (text: string) => toHex(new TextEncoder().encode(text));
const RELAY_CODE = hexOf(RELAY_RUNTIME_ID);
const PARA_CODE = hexOf(PARA_RUNTIME_ID);
const ASTR = 10n ** 18n;
const U128_MAX = (1n << 128n) - 1n;

let alice: Uint8Array;
let bob: Uint8Array;
let charlie: Uint8Array;

before(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: "sr25519" });
  alice = keyring.addFromUri("//Alice").publicKey;
  bob = keyring.addFromUri("//Bob").publicKey;
  charlie = keyring.addFromUri("//Charlie").publicKey;
});

/** An Astar-like parachain spec at the async-backing switch (ASTAR-DOCS tokenomics, 2025-04 column). */
function paraSpecJson(): Json {
  return {
    name: "Parapipe Astar Local",
    id: "parapipe_astar_local",
    chainType: "Local",
    bootNodes: ["/ip4/127.0.0.1/tcp/30334/ws/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp"],
    protocolId: "astar-local",
    properties: { ss58Format: 5, tokenDecimals: 18, tokenSymbol: "ASTR" },
    relayChain: "parapipe_relay_local",
    paraId: 2000,
    codeSubstitutes: {},
    telemetryEndpoints: null,
    genesis: {
      runtimeGenesis: {
        code: PARA_CODE,
        patch: {
          system: { blockRefTimeMs: 2000, normalDispatchRatio: "0.75" },
          balances: {
            balances: [
              [encodeAddress(alice, 5), (1_000_000n * ASTR).toString()],
              [encodeAddress(bob, 42), 1_000_000_000_000], // any SS58 prefix; a safe JSON number
              [toHex(charlie), U128_MAX.toString()], // a hex public key
            ],
          },
          parachainInfo: { parachainId: 2000 },
          parachainSystem: { unincludedSegmentCapacity: 3, velocity: 1, relaySlotDurationMs: 6000 },
          aura: {
            authorities: [encodeAddress(alice, 5), encodeAddress(bob, 5)],
            slotDurationMs: 6000,
            allowMultipleBlocksPerSlot: true,
          },
          collatorSelection: { invulnerables: [encodeAddress(alice, 5), encodeAddress(bob, 5)] },
          sudo: { key: encodeAddress(alice, 5) },
          inflation: {
            params: {
              maxInflationRate: "0.07",
              treasuryPart: "0.05",
              collatorsPart: "0.032",
              dappsPart: "0.13",
              baseStakersPart: "0.1",
              adjustableStakersPart: "0.55",
              bonusPart: "0.138",
              idealStakingRate: "0.5",
            },
            cycle: {
              periodsPerCycle: 3,
              erasPerVotingSubperiod: 11,
              erasPerBuildAndEarnSubperiod: 111,
              blocksPerEra: 14400,
            },
          },
        },
      },
    },
  };
}

/** A relay spec with two validators, async backing on and para 2000 registered at genesis. */
function relaySpecJson(): Json {
  return {
    name: "Parapipe Relay Local",
    id: "parapipe_relay_local",
    chainType: "Local",
    bootNodes: [],
    genesis: {
      runtimeGenesis: {
        code: RELAY_CODE,
        patch: {
          balances: { balances: [[encodeAddress(alice), "1000000000000000"]] },
          session: { validators: [encodeAddress(alice), encodeAddress(bob)] },
          aura: { slotDurationMs: 1000 },
          configuration: {
            config: {
              asyncBackingParams: { maxCandidateDepth: 3, allowedAncestryLen: 2 },
              minimumBackingVotes: 2,
              groupRotationFrequency: 10,
              availabilityPeriod: 10,
              maxPovSize: 5 * 1024 * 1024,
            },
          },
          paras: { paras: [[2000, { genesisHead: "0x0102", validationCode: PARA_CODE, paraKind: true }]] },
        },
      },
    },
  };
}

/** The spec's genesis patch, to edit in a test. */
function patchOf(spec: Json): Json {
  return ((spec["genesis"] as Json)["runtimeGenesis"] as Json)["patch"] as Json;
}

/** Deep copy with every key of the genesis patch (recursively) in snake_case, as Substrate users write them. */
function snakeCased(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCased);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snakeCased(v)]),
  );
}

/** Copy of a plain spec with its genesis patch in snake_case. */
function withSnakePatch(spec: Json): Json {
  const copy = structuredClone(spec);
  const runtimeGenesis = (copy["genesis"] as Json)["runtimeGenesis"] as Json;
  runtimeGenesis["patch"] = snakeCased(runtimeGenesis["patch"]);
  return copy;
}

/** Asserts that parsing fails with a ChainSpecError at exactly `path`; returns it for further checks. */
function rejects(input: unknown, path: string, reason?: RegExp): ChainSpecError {
  let error: unknown;
  try {
    parseChainSpec(input);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ChainSpecError, `expected a ChainSpecError, got ${String(error)}`);
  assert.equal(error.path, path, error.message);
  assert.equal(error.code, "INVALID_CHAIN_SPEC");
  assert.equal(error.message, path === "" ? `chain spec: ${error.reason}` : `chain spec: ${path}: ${error.reason}`);
  assert.ok(!error.message.includes("\n"), "the message is one line");
  if (reason !== undefined) assert.match(error.reason, reason);
  return error;
}

// ---- valid specs --------------------------------------------------------------------------------------------

describe("parseChainSpec: valid specs", () => {
  it("reads a parachain spec into typed, normalised values", () => {
    const spec = parseChainSpec(JSON.stringify(paraSpecJson()));
    assert.equal(spec.kind, "para");
    assert.equal(spec.name, "Parapipe Astar Local");
    assert.equal(spec.id, "parapipe_astar_local");
    assert.equal(spec.chainType, "Local");
    assert.equal(spec.protocolId, "astar-local");
    assert.equal(spec.relayChain, "parapipe_relay_local");
    assert.equal(spec.paraId, 2000);
    assert.deepEqual(spec.properties, { ss58Format: 5, tokenDecimals: 18, tokenSymbol: "ASTR" });
    assert.equal(spec.bootNodes.length, 1);

    const g = spec.genesis;
    assert.equal(g.kind, "plain");
    if (g.kind !== "plain") return;
    assert.deepEqual(g.code, runtimeCode("para"));
    assert.equal(g.relay, undefined);
    const para = g.para!;
    assert.deepEqual(para.system, { blockRefTimeMs: 2000, normalDispatchRatio: 750_000_000_000_000_000n });
    assert.deepEqual(para.balances.balances, [
      { account: alice, amount: 1_000_000n * ASTR },
      { account: bob, amount: 1_000_000_000_000n },
      { account: charlie, amount: U128_MAX },
    ]);
    assert.deepEqual(para.parachainInfo, { parachainId: 2000 });
    assert.deepEqual(para.parachainSystem, { unincludedSegmentCapacity: 3, velocity: 1, relaySlotDurationMs: 6000 });
    assert.deepEqual(para.aura, { authorities: [alice, bob], slotDurationMs: 6000, allowMultipleBlocksPerSlot: true });
    assert.deepEqual(para.collatorSelection.invulnerables, [alice, bob]);
    assert.deepEqual(para.sudo, { key: alice });
    // Perquintill parts of 10^18, exact: 3.2 % is 32 * 10^15.
    assert.deepEqual(para.inflation.params, {
      maxInflationRate: 70_000_000_000_000_000n,
      treasuryPart: 50_000_000_000_000_000n,
      collatorsPart: 32_000_000_000_000_000n,
      dappsPart: 130_000_000_000_000_000n,
      baseStakersPart: 100_000_000_000_000_000n,
      adjustableStakersPart: 550_000_000_000_000_000n,
      bonusPart: 138_000_000_000_000_000n,
      idealStakingRate: 500_000_000_000_000_000n,
      decayRate: 1_000_000_000_000_000_000n, // default: no decay
    });
    assert.deepEqual(para.inflation.cycle, {
      periodsPerCycle: 3,
      erasPerVotingSubperiod: 11,
      erasPerBuildAndEarnSubperiod: 111,
      blocksPerEra: 14400,
    });
  });

  it("reads a relay spec and fills in the defaults", () => {
    const spec = parseChainSpec(relaySpecJson());
    assert.equal(spec.kind, "relay");
    assert.equal(spec.relayChain, undefined);
    assert.equal(spec.paraId, undefined);
    assert.equal(spec.protocolId, undefined);
    assert.deepEqual(spec.properties, { ss58Format: 42, tokenDecimals: 12, tokenSymbol: "UNIT" });
    const g = spec.genesis;
    assert.ok(g.kind === "plain" && g.relay !== undefined && g.para === undefined);
    const relay = g.relay;
    assert.deepEqual(relay.session.validators, [alice, bob]);
    assert.deepEqual(relay.aura, { slotDurationMs: 1000 });
    assert.equal(relay.sudo, undefined);
    assert.deepEqual(relay.configuration.config, {
      asyncBackingParams: { maxCandidateDepth: 3, allowedAncestryLen: 2 },
      minimumBackingVotes: 2,
      groupRotationFrequency: 10,
      availabilityPeriod: 10,
      maxPovSize: 5 * 1024 * 1024,
      schedulingLookahead: 2,
    });
    assert.deepEqual(relay.paras.paras, [
      { paraId: 2000, genesisHead: fromHex("0x0102"), validationCode: runtimeCode("para"), paraKind: true },
    ]);
  });

  it("accepts the whole genesis patch and the Cumulus top-level keys in snake_case", () => {
    const camel = paraSpecJson();
    const snake = withSnakePatch(camel);
    delete snake["relayChain"];
    delete snake["paraId"];
    snake["relay_chain"] = camel["relayChain"];
    snake["para_id"] = camel["paraId"];
    assert.ok(JSON.stringify(snake).includes('"unincluded_segment_capacity":3'));
    assert.deepEqual(parseChainSpec(snake), parseChainSpec(camel));

    const relay = relaySpecJson();
    assert.deepEqual(parseChainSpec(withSnakePatch(relay)), parseChainSpec(relay));
  });

  it("merges a snake_case override into the camelCase section, the override winning", () => {
    // What Zombienet leaves after `[relaychain.genesis.runtimeGenesis.patch.configuration.config.async_backing_params]`
    // is applied to a spec written by build-spec: both spellings side by side.
    const relay = relaySpecJson();
    const config = (patchOf(relay)["configuration"] as Json)["config"] as Json;
    config["async_backing_params"] = { max_candidate_depth: 0 };
    config["scheduling_lookahead"] = 3;
    const spec = parseChainSpec(relay);
    assert.ok(spec.genesis.kind === "plain");
    assert.deepEqual(spec.genesis.relay?.configuration.config.asyncBackingParams, {
      maxCandidateDepth: 0,
      allowedAncestryLen: 2,
    });
    assert.equal(spec.genesis.relay?.configuration.config.schedulingLookahead, 3);
  });

  it("accepts Zombienet's edits of a relay spec: session.keys, emptied aura.authorities, tuple paras", () => {
    const relay = relaySpecJson();
    const patch = patchOf(relay);
    const keyring = new Keyring({ type: "sr25519" });
    const stash = (name: string) => keyring.addFromUri(`//${name}//stash`).address;
    const sessionKey = (stashAddress: string, key: Uint8Array) => [
      stashAddress,
      stashAddress,
      // grandpa is ed25519 and beefy a 33-byte ecdsa key: read by nobody here, so not checked
      {
        grandpa: encodeAddress(key),
        babe: encodeAddress(key),
        para_validator: encodeAddress(key),
        aura: encodeAddress(key),
      },
    ];
    patch["session"] = { keys: [sessionKey(stash("Alice"), alice), sessionKey(stash("Bob"), bob)] };
    patch["aura"] = { slotDurationMs: 1000, authorities: [] };
    patch["paras"] = { paras: [[2000, ["0x0102", PARA_CODE, true]]] };
    const spec = parseChainSpec(relay);
    assert.ok(spec.genesis.kind === "plain" && spec.genesis.relay !== undefined);
    // The validator is the session key Zombienet puts in the node's keystore (//Alice), not the stash.
    assert.deepEqual(spec.genesis.relay.session.validators, [alice, bob]);
    assert.deepEqual(spec.genesis, parseChainSpec(relaySpecJson()).genesis);
  });

  it("reads big integer balances that json-bigint wrote as bare numbers exactly", () => {
    const text = JSON.stringify(paraSpecJson()).replace(
      `"${(1_000_000n * ASTR).toString()}"`,
      "123456789012345678901234567",
    );
    const spec = parseChainSpec(text);
    assert.ok(spec.genesis.kind === "plain");
    assert.equal(spec.genesis.para?.balances.balances[0]?.amount, 123_456_789_012_345_678_901_234_567n);
  });

  it("ignores unknown top-level keys and codeSubstitutes, and accepts bytes with a BOM", () => {
    const relay = { ...relaySpecJson(), forkBlocks: null, consensusEngine: null, codeSubstitutes: { "1": "0x00" } };
    const bytes = new TextEncoder().encode(`\uFEFF${JSON.stringify(relay)}`);
    assert.deepEqual(parseChainSpec(bytes), parseChainSpec(relaySpecJson()));
  });

  it("reads null protocolId and properties and a null sudo key as absent", () => {
    const spec = paraSpecJson();
    spec["protocolId"] = null;
    spec["properties"] = null;
    (patchOf(spec)["sudo"] as Json)["key"] = null;
    const parsed = parseChainSpec(spec);
    assert.equal("protocolId" in parsed, false);
    assert.equal(parsed.properties.ss58Format, 42);
    assert.ok(parsed.genesis.kind === "plain");
    assert.equal("sudo" in parsed.genesis.para!, false);
    assert.deepEqual(parseChainSpec(chainSpecToJson(parsed)), parsed);
  });

  it("does not modify the object it is given", () => {
    const relay = relaySpecJson();
    const config = (patchOf(relay)["configuration"] as Json)["config"] as Json;
    config["async_backing_params"] = { max_candidate_depth: 1 };
    const before = JSON.stringify(relay);
    parseChainSpec(relay);
    assert.equal(JSON.stringify(relay), before);
  });
});

// ---- writing back -------------------------------------------------------------------------------------------

describe("chainSpecToJson and rawChainSpecJson", () => {
  it("round-trips a parachain spec: parse(toJson(x)) deep-equals x", () => {
    const spec = parseChainSpec(paraSpecJson());
    const json = chainSpecToJson(spec);
    assert.deepEqual(parseChainSpec(json), spec);
    assert.deepEqual(parseChainSpec(JSON.stringify(json)), spec);
  });

  it("round-trips a relay spec", () => {
    const spec = parseChainSpec(relaySpecJson());
    assert.deepEqual(parseChainSpec(JSON.stringify(chainSpecToJson(spec))), spec);
  });

  it("writes camelCase keys, decimal strings and SS58 addresses with the spec's prefix", () => {
    const json = chainSpecToJson(parseChainSpec(paraSpecJson())) as unknown as Json;
    assert.equal(json["relay_chain"], "parapipe_relay_local");
    assert.equal(json["para_id"], 2000);
    const patch = patchOf(json);
    assert.deepEqual((patch["balances"] as Json)["balances"], [
      [encodeAddress(alice, 5), "1000000000000000000000000"],
      [encodeAddress(bob, 5), "1000000000000"],
      [encodeAddress(charlie, 5), "340282366920938463463374607431768211455"],
    ]);
    assert.deepEqual((patch["inflation"] as Json)["params"], {
      maxInflationRate: "0.07",
      treasuryPart: "0.05",
      collatorsPart: "0.032",
      dappsPart: "0.13",
      baseStakersPart: "0.1",
      adjustableStakersPart: "0.55",
      bonusPart: "0.138",
      idealStakingRate: "0.5",
      decayRate: "1",
    });
    assert.deepEqual(patch["system"], { blockRefTimeMs: 2000, normalDispatchRatio: "0.75" });
    assert.equal(((json["genesis"] as Json)["runtimeGenesis"] as Json)["code"], PARA_CODE);
  });

  it("writes the relay validators in the form Zombienet edits", () => {
    const patch = patchOf(chainSpecToJson(parseChainSpec(relaySpecJson())) as unknown as Json);
    const a = encodeAddress(alice, 42);
    assert.deepEqual((patch["session"] as Json)["keys"], [
      [a, a, { aura: a }],
      [encodeAddress(bob), encodeAddress(bob), { aura: encodeAddress(bob) }],
    ]);
    assert.deepEqual(patch["aura"], { slotDurationMs: 1000, authorities: [] });
  });

  it("writes a raw spec with sorted keys and reads it back", () => {
    const plain = parseChainSpec(paraSpecJson());
    const top: [Uint8Array, Uint8Array][] = [
      [fromHex("0x26aa394eea5630e07c48ae0c9558cef7"), fromHex("0x01")],
      [fromHex("0x3a636f6465"), runtimeCode("para")],
      [fromHex("0x0a"), fromHex("0x")],
      [fromHex("0x26aa"), fromHex("0xFF")],
    ];
    const json = rawChainSpecJson(plain, top);
    const raw = (json.genesis as { raw: { top: Record<string, string> } }).raw;
    assert.deepEqual(Object.keys(raw.top), ["0x0a", "0x26aa", "0x26aa394eea5630e07c48ae0c9558cef7", "0x3a636f6465"]);
    assert.equal(json.para_id, 2000);

    const spec = parseChainSpec(JSON.stringify(json));
    assert.equal(spec.kind, "para");
    assert.equal(spec.paraId, 2000);
    assert.deepEqual(spec.properties, plain.properties);
    assert.ok(spec.genesis.kind === "raw");
    assert.equal(spec.genesis.top.get("0x26aa"), "0xff");
    assert.equal(spec.genesis.top.get("0x3a636f6465"), PARA_CODE);
    assert.deepEqual(parseChainSpec(chainSpecToJson(spec)), spec);
  });

  it("reads raw keys and values in any letter case as lower case", () => {
    const relay: Json = { ...relaySpecJson(), genesis: { raw: { top: { "0xABCD": "0xEF" }, childrenDefault: {} } } };
    const spec = parseChainSpec(relay);
    assert.ok(spec.genesis.kind === "raw");
    assert.deepEqual([...spec.genesis.top], [["0xabcd", "0xef"]]);
  });

  it("refuses a storage key given twice to rawChainSpecJson", () => {
    const spec = parseChainSpec(relaySpecJson());
    assert.throws(
      () =>
        rawChainSpecJson(spec, [
          [fromHex("0x01"), fromHex("0x")],
          [fromHex("0x01"), fromHex("0x02")],
        ]),
      (e: unknown) => e instanceof ChainSpecError && e.path === 'genesis.raw.top["0x01"]',
    );
  });
});

// ---- malformed specs ----------------------------------------------------------------------------------------

describe("parseChainSpec: malformed specs name the field", () => {
  it("text that is not JSON", () => {
    const e = rejects('{"name": "x", "id": "y",\n  "genesis": }', "", /^not valid JSON \(/);
    assert.match(e.message, /^chain spec: not valid JSON \(.+\)$/);
  });

  it("a document that is not an object", () => {
    rejects("[1, 2]", "", /expected a chain spec object, found a list of 2/);
  });

  it("missing genesis", () => {
    const spec = relaySpecJson();
    delete spec["genesis"];
    rejects(spec, "genesis", /^missing/);
  });

  it("genesis with neither runtimeGenesis nor raw", () => {
    rejects({ ...relaySpecJson(), genesis: {} }, "genesis.runtimeGenesis", /plain spec.*raw spec/);
  });

  it("a wrong chainType", () => {
    rejects(
      { ...relaySpecJson(), chainType: "Devnet" },
      "chainType",
      /one of "Development", "Local", "Live", found "Devnet"/,
    );
  });

  it("a bad address", () => {
    const spec = paraSpecJson();
    const aura = patchOf(spec)["aura"] as Json;
    const bad = `${encodeAddress(bob, 5).slice(0, -1)}x`;
    aura["authorities"] = [encodeAddress(alice, 5), bad];
    rejects(spec, "genesis.runtimeGenesis.patch.aura.authorities[1]", /expected an SS58 address .*checksum/);
  });

  it("a hex account that is not 32 bytes", () => {
    const spec = paraSpecJson();
    (patchOf(spec)["sudo"] as Json)["key"] = "0x1234";
    rejects(spec, "genesis.runtimeGenesis.patch.sudo.key", /32 bytes/);
  });

  it("a bad amount, with the message format of the brief", () => {
    const spec = paraSpecJson();
    ((patchOf(spec)["balances"] as Json)["balances"] as unknown[][])[1]![1] = "12x";
    const e = rejects(spec, "genesis.runtimeGenesis.patch.balances.balances[1][1]");
    assert.equal(
      e.message,
      'chain spec: genesis.runtimeGenesis.patch.balances.balances[1][1]: expected a decimal amount, found "12x"',
    );
  });

  it("an amount over u128", () => {
    const spec = paraSpecJson();
    ((patchOf(spec)["balances"] as Json)["balances"] as unknown[][])[2]![1] = (U128_MAX + 1n).toString();
    rejects(spec, "genesis.runtimeGenesis.patch.balances.balances[2][1]", /2\^128-1/);
  });

  it("an amount given as a JSON number that lost precision", () => {
    const spec = paraSpecJson();
    ((patchOf(spec)["balances"] as Json)["balances"] as unknown[][])[0]![1] = 1e21;
    rejects(spec, "genesis.runtimeGenesis.patch.balances.balances[0][1]", /write it as a string/);
  });

  it("an account endowed twice, even under another SS58 prefix", () => {
    const spec = paraSpecJson();
    ((patchOf(spec)["balances"] as Json)["balances"] as unknown[][]).push([encodeAddress(alice, 0), "1"]);
    rejects(spec, "genesis.runtimeGenesis.patch.balances.balances[3][0]", /duplicate account .*entry 0/);
  });

  it("inflation parts that do not sum to one", () => {
    const spec = paraSpecJson();
    ((patchOf(spec)["inflation"] as Json)["params"] as Json)["bonusPart"] = "0.137";
    rejects(spec, "genesis.runtimeGenesis.patch.inflation.params", /must be exactly 1, found 0\.999$/);
  });

  it("a perquintill with 19 decimals", () => {
    const spec = paraSpecJson();
    ((patchOf(spec)["inflation"] as Json)["params"] as Json)["treasuryPart"] = "0.0500000000000000001";
    rejects(spec, "genesis.runtimeGenesis.patch.inflation.params.treasuryPart", /at most 18 decimals/);
  });

  it("a perquintill above one or written as a number", () => {
    const spec = paraSpecJson();
    ((patchOf(spec)["inflation"] as Json)["params"] as Json)["idealStakingRate"] = "1.5";
    rejects(spec, "genesis.runtimeGenesis.patch.inflation.params.idealStakingRate", /at most 1/);
    ((patchOf(spec)["inflation"] as Json)["params"] as Json)["idealStakingRate"] = 0.5;
    rejects(spec, "genesis.runtimeGenesis.patch.inflation.params.idealStakingRate", /decimal string/);
  });

  it("a parachainId that is not the spec's paraId", () => {
    const spec = paraSpecJson();
    (patchOf(spec)["parachainInfo"] as Json)["parachainId"] = 2001;
    rejects(spec, "genesis.runtimeGenesis.patch.parachainInfo.parachainId", /expected 2000 .*found 2001/);
  });

  it("a typo'd key in a section", () => {
    const spec = paraSpecJson();
    patchOf(spec)["aura"] = {
      authorities: [encodeAddress(alice, 5)],
      slotDuratonMs: 6000,
      allowMultipleBlocksPerSlot: true,
    };
    rejects(
      spec,
      "genesis.runtimeGenesis.patch.aura.slotDuratonMs",
      /unknown field \(did you mean "slotDurationMs"\?\)/,
    );
  });

  it("a typo'd snake_case key is named as written", () => {
    const spec = paraSpecJson();
    (patchOf(spec)["parachainSystem"] as Json)["relay_slot_duraton_ms"] = 6000;
    rejects(spec, "genesis.runtimeGenesis.patch.parachainSystem.relay_slot_duraton_ms", /unknown field/);
  });

  it("an unknown section", () => {
    const spec = paraSpecJson();
    patchOf(spec)["colatorSelection"] = { invulnerables: [] };
    rejects(spec, "genesis.runtimeGenesis.patch.colatorSelection", /did you mean "collatorSelection"/);
  });

  it("a relay spec whose asyncBackingParams lacks maxCandidateDepth", () => {
    const spec = relaySpecJson();
    const config = (patchOf(spec)["configuration"] as Json)["config"] as Json;
    config["asyncBackingParams"] = { allowedAncestryLen: 2 };
    rejects(spec, "genesis.runtimeGenesis.patch.configuration.config.asyncBackingParams.maxCandidateDepth", /^missing/);
  });

  it("a missing snake_case field is named in snake_case", () => {
    const spec = withSnakePatch(relaySpecJson());
    const config = (patchOf(spec)["configuration"] as Json)["config"] as Json;
    config["async_backing_params"] = { allowed_ancestry_len: 2 };
    rejects(spec, "genesis.runtimeGenesis.patch.configuration.config.async_backing_params.max_candidate_depth");
  });

  it("a maxPovSize above 16 MiB", () => {
    const spec = relaySpecJson();
    ((patchOf(spec)["configuration"] as Json)["config"] as Json)["maxPovSize"] = 16 * 1024 * 1024 + 1;
    rejects(spec, "genesis.runtimeGenesis.patch.configuration.config.maxPovSize", /at most 16777216/);
  });

  it("a raw top with a non-hex key", () => {
    const spec: Json = { ...relaySpecJson(), genesis: { raw: { top: { "0x00": "0x01", ":code": "0x00" } } } };
    rejects(spec, 'genesis.raw.top[":code"]', /hex storage key/);
  });

  it("a raw spec whose :code is the other kind's runtime", () => {
    const spec: Json = { ...relaySpecJson(), genesis: { raw: { top: { "0x3a636f6465": PARA_CODE } } } };
    rejects(spec, 'genesis.raw.top["0x3a636f6465"]', /relay runtime/);
  });

  it("code of the wrong kind", () => {
    const spec = paraSpecJson();
    ((spec["genesis"] as Json)["runtimeGenesis"] as Json)["code"] = RELAY_CODE;
    rejects(
      spec,
      "genesis.runtimeGenesis.code",
      /parachain runtime "parapipe-para-runtime".*found the code of "parapipe-relay-runtime"/,
    );
  });

  it("code that names no runtime", () => {
    const spec = relaySpecJson();
    ((spec["genesis"] as Json)["runtimeGenesis"] as Json)["code"] = "0x0061736d";
    rejects(spec, "genesis.runtimeGenesis.code", /unknown code "0x0061736d"/);
  });

  it("a parachain spec without its relay chain", () => {
    const spec = paraSpecJson();
    delete spec["relayChain"];
    rejects(spec, "relayChain", /^missing/);
  });

  it("paraId and para_id that disagree", () => {
    rejects({ ...paraSpecJson(), para_id: 2001 }, "para_id", /conflicts with paraId/);
  });

  it("a relay aura section with authorities", () => {
    const spec = relaySpecJson();
    patchOf(spec)["aura"] = { slotDurationMs: 1000, authorities: [encodeAddress(alice)] };
    rejects(spec, "genesis.runtimeGenesis.patch.aura.authorities", /session\.validators/);
  });

  it("a relay spec without validators", () => {
    const spec = relaySpecJson();
    patchOf(spec)["session"] = { validators: [] };
    rejects(spec, "genesis.runtimeGenesis.patch.session.validators", /at least 1/);
  });

  it("session keys whose aura and babe keys differ", () => {
    const spec = relaySpecJson();
    const a = encodeAddress(alice);
    patchOf(spec)["session"] = { keys: [[a, a, { aura: a, babe: encodeAddress(bob) }]] };
    rejects(spec, "genesis.runtimeGenesis.patch.session.keys[0][2].babe", /same key as aura/);
  });

  it("a Zombienet paras entry with the wrong shape", () => {
    const spec = relaySpecJson();
    patchOf(spec)["paras"] = { paras: [[2000, ["0x0102", "0x01"]]] };
    rejects(spec, "genesis.runtimeGenesis.patch.paras.paras[0][1]", /\[genesisHead, validationCode, paraKind\]/);
  });

  it("a property with a typo", () => {
    rejects(
      { ...relaySpecJson(), properties: { ss58format: 5 } },
      "properties.ss58format",
      /did you mean "ss58Format"/,
    );
  });

  it("a boot node that is not a multiaddr with a peer id", () => {
    rejects({ ...relaySpecJson(), bootNodes: ["127.0.0.1:30333"] }, "bootNodes[0]", /\/p2p\/<peer id>/);
  });

  it("a velocity of zero", () => {
    const spec = paraSpecJson();
    (patchOf(spec)["parachainSystem"] as Json)["velocity"] = 0;
    rejects(spec, "genesis.runtimeGenesis.patch.parachainSystem.velocity", /at least 1, found 0/);
  });
});
