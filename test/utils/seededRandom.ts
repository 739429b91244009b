/**
 * The seed of a fault test's run (every choice comes from it through the harness's `SeededRandom`, so a failing
 * run replays): `PARAPIPE_SEED` when set (a decimal or 0x-hex integer below 2^32), else a fresh random one.
 * A malformed `PARAPIPE_SEED` is a `RangeError` saying what was found, not a silently different run.
 */
export function testSeed(env: string | undefined = process.env.PARAPIPE_SEED): number {
  if (env === undefined || env.trim() === "") return Math.floor(Math.random() * 2 ** 32);
  const v = Number(env.trim());
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** 32)
    throw new RangeError(`PARAPIPE_SEED: expected an integer in [0, 2^32), found ${JSON.stringify(env)}`);
  return v;
}
