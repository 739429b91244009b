import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  type ChainSpec,
  chainSpecToJson,
  cryptoReady,
  parseChainSpec,
  rawChainSpecJson,
  toHex,
} from "@parapipe/primitives";
import { paraGenesisFromSpec, relayGenesisFromSpec, type SpecGenesis } from "@parapipe/runtime";
import { BUILT_IN_CHAINS, builtInSpec, loadChainSpec, relayOfBuiltIn } from "../../src/chainSpecs.js";
import { throwsCli } from "./helpers.js";

/** The repository's `chain-spec/` directory (this file runs from packages/cli/dist/test/unit). */
const CHAIN_SPEC_DIR = fileURLToPath(new URL("../../../../../chain-spec/", import.meta.url));
const NAMES = Object.keys(BUILT_IN_CHAINS);

// A built-in spec takes a few hundred ms to build (its para genesis is computed): build each once.
const built = new Map<string, ChainSpec>();
function spec(name: string): ChainSpec {
  let s = built.get(name);
  if (s === undefined) {
    s = builtInSpec(name);
    assert.ok(s, `built-in ${name}`);
    built.set(name, s);
  }
  return s;
}

/** A spec's genesis (storage, header, hash), computed once per spec object. */
const genesisCache = new WeakMap<ChainSpec, SpecGenesis<unknown>>();
function genesis(s: ChainSpec): SpecGenesis<unknown> {
  let g = genesisCache.get(s);
  if (g === undefined) {
    g = s.kind === "para" ? paraGenesisFromSpec(s) : relayGenesisFromSpec(s);
    genesisCache.set(s, g);
  }
  return g;
}
const genesisHash = (s: ChainSpec) => toHex(genesis(s).hash);

/** What `build-spec --chain <name> [--raw]` prints, parsed back (commands/spec.ts). */
function buildSpecJson(s: ChainSpec, raw: boolean): unknown {
  const json = raw ? rawChainSpecJson(s, genesis(s).storage) : chainSpecToJson(s);
  return JSON.parse(`${JSON.stringify(json, null, 2)}\n`);
}

let dir: string;

before(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "parapipe-cli-chainspecs-"));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `content` into the temp dir and returns its path. */
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe("built-in chain specs", () => {
  test("every built-in name builds a spec of its kind", () => {
    assert.deepEqual(NAMES.sort(), [
      "dev",
      "dev-sync",
      "local",
      "local-sync",
      "para-dev",
      "para-dev-sync",
      "para-local",
      "para-local-sync",
    ]);
    for (const name of NAMES) {
      const s = spec(name);
      assert.equal(s.kind, BUILT_IN_CHAINS[name]?.kind, name);
      assert.equal(s.genesis.kind, "plain", name);
      if (s.kind === "para") assert.equal(s.paraId, 2000, name);
    }
  });

  test("an unknown name builds nothing", () => {
    assert.equal(builtInSpec("rococo-local"), undefined);
    assert.equal(builtInSpec("local.json"), undefined);
  });

  test("each para spec belongs to the relay spec of the same variant", () => {
    for (const name of NAMES) {
      const relay = relayOfBuiltIn(name);
      if (spec(name).kind === "relay") {
        assert.equal(relay, undefined, name);
        continue;
      }
      assert.equal(relay, name.replace(/^para-/, ""), name);
      assert.equal(spec(name).relayChain, spec(relay as string).id, name);
    }
    assert.equal(relayOfBuiltIn("nope"), undefined);
  });

  test("each para spec's genesis head and code are what its relay spec registers for para 2000", () => {
    for (const name of NAMES.filter((n) => spec(n).kind === "para")) {
      const relay = spec(relayOfBuiltIn(name) as string);
      assert.equal(relay.genesis.kind, "plain");
      const paras = relay.genesis.kind === "plain" ? (relay.genesis.relay?.paras.paras ?? []) : [];
      assert.deepEqual(
        paras.map((p) => p.paraId),
        [2000],
        name,
      );
      const entry = paras[0]!;
      const g = paraGenesisFromSpec(spec(name));
      genesisCache.set(spec(name), g);
      assert.equal(toHex(entry.genesisHead), toHex(g.header), `${name}: genesis head`);
      assert.equal(toHex(entry.validationCode), toHex(g.runtime.code), `${name}: validation code`);
      assert.equal(entry.paraKind, true, name);
    }
  });

  test("built-in specs of different chains have different chain ids (the database and keystore directory)", () => {
    const byId = new Map<string, string>();
    for (const name of NAMES) {
      const other = byId.get(spec(name).id);
      assert.ok(other === undefined, `${name} and ${other} are different chains with the same id ${spec(name).id}`);
      byId.set(spec(name).id, name);
    }
  });

  test("the async variants use async backing {3, 2} and the sync ones {0, 0}", () => {
    for (const name of NAMES.filter((n) => spec(n).kind === "relay")) {
      const s = spec(name);
      const params = s.genesis.kind === "plain" ? s.genesis.relay?.configuration.config.asyncBackingParams : undefined;
      const expected =
        BUILT_IN_CHAINS[name]?.mode === "async"
          ? { maxCandidateDepth: 3, allowedAncestryLen: 2 }
          : { maxCandidateDepth: 0, allowedAncestryLen: 0 };
      assert.deepEqual(params, expected, name);
    }
  });
});

describe("chain-spec/*.json in the repository", () => {
  for (const name of NAMES) {
    test(`chain-spec/${name}.json is what \`build-spec --chain ${name}\` prints`, () => {
      const committed = JSON.parse(readFileSync(join(CHAIN_SPEC_DIR, `${name}.json`), "utf8"));
      assert.deepEqual(
        committed,
        buildSpecJson(spec(name), false),
        `chain-spec/${name}.json is stale: run \`node packages/cli/bin/parapipe.js build-spec --chain ${name} > chain-spec/${name}.json\``,
      );
    });
  }

  for (const name of ["local", "para-local"]) {
    test(`chain-spec/${name}-raw.json is what \`build-spec --chain ${name} --raw\` prints`, () => {
      const committed = JSON.parse(readFileSync(join(CHAIN_SPEC_DIR, `${name}-raw.json`), "utf8"));
      assert.deepEqual(
        committed,
        buildSpecJson(spec(name), true),
        `chain-spec/${name}-raw.json is stale: run \`node packages/cli/bin/parapipe.js build-spec --chain ${name} --raw > chain-spec/${name}-raw.json\``,
      );
    });

    test(`the raw spec of ${name} has the genesis hash of its plain spec`, () => {
      const plain = spec(name);
      const raw = parseChainSpec(buildSpecJson(plain, true));
      assert.equal(raw.genesis.kind, "raw");
      assert.equal(raw.kind, plain.kind);
      assert.equal(raw.id, plain.id);
      assert.equal(genesisHash(raw), genesisHash(plain));
      // The committed raw file, loaded as the CLI loads `--chain <file>`, too.
      const loaded = loadChainSpec(join(CHAIN_SPEC_DIR, `${name}-raw.json`), plain.kind);
      assert.equal(genesisHash(loaded), genesisHash(plain));
    });
  }
});

describe("loadChainSpec", () => {
  test("a plain spec file loads, as relay or para", () => {
    const relay = file("relay.json", JSON.stringify(chainSpecToJson(spec("local")), null, 2));
    const para = file("para.json", JSON.stringify(chainSpecToJson(spec("para-local")), null, 2));
    assert.deepEqual(loadChainSpec(relay, "relay"), spec("local"));
    assert.deepEqual(loadChainSpec(para, "para"), spec("para-local"));
    assert.equal(loadChainSpec(relay).kind, "relay");
    assert.equal(loadChainSpec(para).kind, "para");
  });

  test("a missing file is BAD_CHAIN_SPEC naming the chain and the built-in names", () => {
    const missing = join(dir, "missing.json");
    const e = throwsCli(() => loadChainSpec(missing), "BAD_CHAIN_SPEC", missing, "built-in", "para-local");
    assert.deepEqual(e.type, { code: "BAD_CHAIN_SPEC", chain: missing });
    assert.equal(e.exitCode, 1);
    throwsCli(() => loadChainSpec("rococo-local"), "BAD_CHAIN_SPEC", '"rococo-local"');
  });

  test("a directory is BAD_CHAIN_SPEC naming it", () => {
    const sub = join(dir, "a-dir.json");
    mkdirSync(sub);
    throwsCli(() => loadChainSpec(sub, "relay"), "BAD_CHAIN_SPEC", `cannot read chain spec ${sub}`);
  });

  test("text that is not JSON is BAD_CHAIN_SPEC naming the file", () => {
    const path = file("not-json.json", "this is not json");
    throwsCli(() => loadChainSpec(path, "relay"), "BAD_CHAIN_SPEC", path, "not valid JSON");
    const empty = file("empty.json", "");
    throwsCli(() => loadChainSpec(empty, "relay"), "BAD_CHAIN_SPEC", empty, "not valid JSON");
  });

  test("a multi-line file that is not JSON is BAD_CHAIN_SPEC with a one-line message", () => {
    const path = file("multi-line.json", '{\n  "name": x\n}\n');
    throwsCli(() => loadChainSpec(path, "relay"), "BAD_CHAIN_SPEC", path, "not valid JSON");
  });

  test("a JSON value that is not an object is BAD_CHAIN_SPEC", () => {
    const path = file("list.json", "[]");
    throwsCli(() => loadChainSpec(path, "relay"), "BAD_CHAIN_SPEC", path, "invalid", "chain spec object");
  });

  test("a para id that is not a number is BAD_CHAIN_SPEC naming the field", () => {
    const json = { ...chainSpecToJson(spec("para-local")), para_id: "x" };
    const path = file("bad-para-id.json", JSON.stringify(json));
    throwsCli(() => loadChainSpec(path, "para"), "BAD_CHAIN_SPEC", path, "bad field para_id", '"x"');
  });

  test("a balance that is not a number is BAD_CHAIN_SPEC naming the field path", () => {
    const json = chainSpecToJson(spec("local")) as unknown as {
      genesis: { runtimeGenesis: { patch: { balances: { balances: unknown[][] } } } };
    };
    json.genesis.runtimeGenesis.patch.balances.balances[1]![1] = "lots";
    const path = file("bad-balance.json", JSON.stringify(json));
    throwsCli(
      () => loadChainSpec(path, "relay"),
      "BAD_CHAIN_SPEC",
      path,
      "bad field genesis.runtimeGenesis.patch.balances.balances[1][1]",
      '"lots"',
    );
  });

  test("a balance written as a bare integer above 2^53 (Zombienet's json-bigint output) keeps every digit", () => {
    const text = JSON.stringify(chainSpecToJson(spec("local")), null, 2).replace(
      '"1000000000000000000000"',
      "1000000000000000000001",
    );
    assert.ok(text.includes(" 1000000000000000000001"));
    const path = file("bigint-balance.json", text);
    const loaded = loadChainSpec(path, "relay");
    const balances = loaded.genesis.kind === "plain" ? loaded.genesis.relay?.balances.balances : undefined;
    assert.equal(balances?.[0]?.amount, 1_000_000_000_000_000_000_001n);
  });

  test("a spec file starting with a UTF-8 byte order mark loads", () => {
    const path = file("bom.json", `\uFEFF${JSON.stringify(chainSpecToJson(spec("local")))}`);
    assert.equal(loadChainSpec(path, "relay").id, spec("local").id);
  });

  // Loading a built-in by name builds it again (a few hundred ms): one name only.
  test("a para spec, built-in or file, where a relay spec is needed is BAD_CHAIN_SPEC", () => {
    throwsCli(() => loadChainSpec("para-dev", "relay"), "BAD_CHAIN_SPEC", "para-dev", "parachain spec", "para 2000");
    const path = file("para-as-relay.json", JSON.stringify(chainSpecToJson(spec("para-local"))));
    throwsCli(() => loadChainSpec(path, "relay"), "BAD_CHAIN_SPEC", path, "relay chain spec is needed");
  });

  test("a relay spec where a para spec is needed is BAD_CHAIN_SPEC", () => {
    const path = join(CHAIN_SPEC_DIR, "local-raw.json");
    throwsCli(() => loadChainSpec(path, "para"), "BAD_CHAIN_SPEC", path, "collator takes a parachain spec");
  });
});
