import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { cryptoReady, devKeypair, toHex } from "@parapipe/primitives";
import { keyFromOption, NodeProcessError, readProcessOptions } from "../../src/process.js";

const required = { strings: ["spec", "basePath"], lists: ["listen"] };
const read = (raw: string | undefined) =>
  readProcessOptions<Record<string, unknown>>("PARAPIPE_TEST_OPTIONS", required, raw);

function refused(raw: string | undefined, reason: string, message: RegExp): void {
  assert.throws(
    () => read(raw),
    (e: unknown) =>
      e instanceof NodeProcessError &&
      e.type.code === "INVALID_OPTIONS" &&
      e.type.reason === reason &&
      message.test(e.message),
    `${JSON.stringify(raw)} should be refused with "${reason}"`,
  );
}

describe("per-process node options", () => {
  before(cryptoReady);

  it("reads a complete options object", () => {
    const o = read(JSON.stringify({ spec: "s.json", basePath: "/tmp/x", listen: ["/ip4/127.0.0.1/tcp/1"], extra: 1 }));
    assert.equal(o.spec, "s.json");
    assert.equal(o.extra, 1);
  });

  it("refuses missing, unparsable, non-object and incomplete options, naming what is wrong", () => {
    refused(undefined, "missing", /PARAPIPE_TEST_OPTIONS/);
    refused("{spec:", "not JSON", /unparsable/);
    refused("null", "not an object", /JSON object/);
    refused("42", "not an object", /JSON object/);
    refused(
      JSON.stringify({ basePath: "/x", listen: ["a"] }),
      "spec missing",
      /"spec" to be a string, found undefined/,
    );
    refused(JSON.stringify({ spec: 3, basePath: "/x", listen: ["a"] }), "spec missing", /found number/);
    refused(JSON.stringify({ spec: "s", basePath: "/x", listen: [] }), "listen missing", /non-empty list/);
    refused(JSON.stringify({ spec: "s", basePath: "/x", listen: "a" }), "listen missing", /non-empty list/);
  });

  it("takes a key as a dev name or a secret URI", () => {
    assert.equal(keyFromOption(undefined), undefined);
    assert.equal(toHex(keyFromOption("Alice")!.publicKey), toHex(devKeypair("Alice").publicKey));
    assert.equal(toHex(keyFromOption("//Alice")!.publicKey), toHex(devKeypair("Alice").publicKey));
  });
});
