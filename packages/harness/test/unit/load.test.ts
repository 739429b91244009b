import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LoadError, runLoadCli } from "../../src/load.js";

describe("load process: bad command lines", () => {
  for (const [flag, value] of [
    ["--rate", "fast"],
    ["--rate", "0.5e-9x"],
    ["--retry-delay-ms", "soon"],
    ["--max-attempts", "0"],
    ["--count", "many"],
  ] as const) {
    test(`${flag} ${value} is refused with the option named, before anything connects`, async () => {
      await assert.rejects(
        runLoadCli(["--rpc", "ws://127.0.0.1:1", `${flag}=${value}`]),
        (e: unknown) =>
          e instanceof LoadError &&
          e.code === "BAD_LOAD_OPTIONS" &&
          new RegExp(`^${flag}: expected a number >= `).test(e.message),
      );
    });
  }
});
