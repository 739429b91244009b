import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { holdMachine } from "../../src/machineLock.js";

describe("holdMachine (the test files' machine lock)", () => {
  const dir = mkdtempSync(join(tmpdir(), "parapipe-lock-test-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a second holder waits until the first releases", async () => {
    const lock = join(dir, "a.lock");
    const release = await holdMachine("first", lock);
    let second = false;
    const waiting = holdMachine("second", lock).then((r) => {
      second = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(second, false, "the second holder got the lock while the first held it");
    release();
    const release2 = await waiting;
    assert.equal(second, true);
    release2();
  });

  it("takes over a lock whose holder is gone, and a malformed one", async () => {
    for (const pid of ["2147483646", "not a pid"]) {
      const lock = join(dir, `stale-${pid.length}.lock`);
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), pid);
      const release = await holdMachine("after a dead holder", lock);
      release();
    }
  });
});
