import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testSeed } from "../utils/seededRandom.js";

describe("testSeed (PARAPIPE_SEED)", () => {
  it("takes a decimal or 0x-hex integer below 2^32, else a fresh one when unset", () => {
    assert.equal(testSeed("42"), 42);
    assert.equal(testSeed("0xff"), 255);
    assert.equal(testSeed(" 7 "), 7);
    const fresh = testSeed(undefined);
    assert.ok(Number.isInteger(fresh) && fresh >= 0 && fresh < 2 ** 32);
  });

  it("refuses a malformed seed, saying what it found", () => {
    for (const bad of ["abc", "-1", "1.5", String(2 ** 32)]) {
      assert.throws(
        () => testSeed(bad),
        (e: unknown) => e instanceof RangeError && e.message.includes(JSON.stringify(bad)),
      );
    }
  });
});
