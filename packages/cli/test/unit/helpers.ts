import assert from "node:assert/strict";
import { CliError, type CliErrorType } from "../../src/errors.js";

/**
 * Asserts that `fn` throws a `CliError` with `code`, a one-line message containing every fragment, and returns
 * it for further checks.
 */
export function throwsCli(fn: () => unknown, code: CliErrorType["code"], ...fragments: string[]): CliError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof CliError, `expected a CliError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.ok(!caught.message.includes("\n"), `message is not one line: ${JSON.stringify(caught.message)}`);
  for (const f of fragments)
    assert.ok(caught.message.includes(f), `message ${JSON.stringify(caught.message)} does not mention ${f}`);
  return caught;
}

/** A usage error (`BAD_ARGUMENTS`, exit code 2) naming `fragments`. */
export function throwsUsage(fn: () => unknown, ...fragments: string[]): CliError {
  const e = throwsCli(fn, "BAD_ARGUMENTS", ...fragments);
  assert.equal(e.exitCode, 2);
  return e;
}
