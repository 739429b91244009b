/**
 * bench/runtime: transfers per second through the block builder and through validateBlock (the PVF) on one
 * core, for a block of 2,000 balance transfers, next to sr25519 verifies per second measured in the same run.
 *
 *   npm run bench:runtime [-- --transfers 2000 --runs 3 --repeats 3]
 *
 * Each run builds a fresh 2,000-transfer block; validateBlock and a 1,000-verify sample are then timed
 * interleaved, best of `repeats` each (this VM varies ±20-30 %); the ratio is the median over runs.
 * Prints `validateBlock/verify ratio: X.XX` (transfers validated per second / sr25519 verifies per second).
 * Target: >= 0.6. Also prints the calibration of the weights (extrinsic base weight, Dev.compute iteration).
 */
import {
  blake2_256,
  cryptoReady,
  devKeypair,
  keypairFromUri,
  scaleBytes,
  sr25519Sign,
  sr25519Verify,
} from "@parapipe/primitives";
import {
  ASTAR_CYCLE,
  ASTAR_INFLATION_PARAMETERS,
  ASYNC_BACKING_CONFIG,
  COMPUTE_ITERATION_WEIGHT,
  DevParachain,
  EXTRINSIC_BASE_WEIGHT,
  ParachainRuntime,
  validateBlock,
} from "@parapipe/runtime";

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const TRANSFERS = opt("transfers", 2000);
const RUNS = opt("runs", 3);
const REPEATS = opt("repeats", 3);
const SENDERS = 250;
const UNIT = 10n ** 18n;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** sr25519 verifies per second over `n` verifies of a transfer-sized (≈140-byte) payload. */
function verifiesPerSecond(n = 1000): number {
  const kp = devKeypair("Alice");
  const msg = new Uint8Array(140).fill(7);
  const sig = sr25519Sign(kp, msg);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) if (!sr25519Verify(sig, msg, kp.publicKey)) throw new Error("verify failed");
  return n / ((performance.now() - t0) / 1000);
}

function blake2PerSecond(): number {
  let h: Uint8Array = new Uint8Array(32);
  const n = 200_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) h = blake2_256(h);
  return n / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  await cryptoReady();
  const cycle = ASTAR_CYCLE;
  const senders = Array.from({ length: SENDERS }, (_, i) => keypairFromUri(`//Sender${i}`));
  const rt = new ParachainRuntime({ ...ASYNC_BACKING_CONFIG, paraId: 2000 }, cycle);
  const alice = devKeypair("Alice");
  const bob = devKeypair("Bob");
  const chain = new DevParachain(rt, {
    balances: [
      [alice.publicKey, 10n ** 9n * UNIT],
      [bob.publicKey, 10n ** 9n * UNIT],
      ...senders.map((s) => [s.publicKey, 1_000_000n * UNIT] as const),
    ],
    auraAuthorities: [alice.publicKey, bob.publicKey],
    invulnerables: [alice.publicKey, bob.publicKey],
    sudoKey: alice.publicKey,
    inflation: {
      params: ASTAR_INFLATION_PARAMETERS,
      cycle,
    },
  });
  chain.produce({ relaySlot: 1000n, inclusionDelay: 0 });

  const verifyRates: number[] = [];
  const buildRates: number[] = [];
  const validateRates: number[] = [];
  let last: { pov: number; witness: number; weightMs: number; included: number } | undefined;
  for (let run = 0; run < RUNS; run++) {
    // 2,000 transfers: each sender sends to the next sender, nonces in order.
    const nonces = senders.map((s) => rt.accountNonce(chain.store, chain.head.stateRoot, s.publicKey));
    const txs: Uint8Array[] = [];
    for (let i = 0; i < TRANSFERS; i++) {
      const from = i % SENDERS;
      const to = senders[(from + 1 + Math.floor(i / SENDERS)) % SENDERS]!;
      txs.push(
        chain.sign(senders[from]!, "balances", "transferKeepAlive", [{ Id: to.publicKey }, UNIT], {
          nonce: nonces[from]!++,
        }),
      );
    }
    const parent = chain.head;
    const relaySlot = 1001n + BigInt(run);
    const t0 = performance.now();
    const built = chain.build({ relaySlot, inclusionDelay: 0, transactions: txs });
    const buildMs = performance.now() - t0;
    if (!built.ok) throw built.error;
    const b = built.value;
    if (b.included.length !== TRANSFERS) {
      throw new Error(
        `only ${b.included.length} of ${TRANSFERS} included; first rejection: ${JSON.stringify(b.rejected[0]?.error)}`,
      );
    }
    chain.importBuilt(b, Number(relaySlot));
    const vd = rt.parachainSystem.validationData(rt.stateAt(chain.store, b.stateRoot))!;
    const params = rt.registry
      .createType("ValidationParams", {
        parentHead: scaleBytes(parent.header),
        blockData: scaleBytes(b.pov),
        relayParentNumber: vd.relayParentNumber,
        relayParentStorageRoot: vd.relayParentStorageRoot,
      })
      .toU8a();
    // Verify and validate are measured interleaved, best of REPEATS each, so both see the same machine.
    let validateMs = Number.POSITIVE_INFINITY;
    let verify = 0;
    for (let k = 0; k < REPEATS; k++) {
      verify = Math.max(verify, verifiesPerSecond());
      const t1 = performance.now();
      const r = validateBlock(rt, params);
      validateMs = Math.min(validateMs, performance.now() - t1);
      if (!r.ok) throw r.error;
      verify = Math.max(verify, verifiesPerSecond());
    }
    verifyRates.push(verify);
    buildRates.push(TRANSFERS / (buildMs / 1000));
    validateRates.push(TRANSFERS / (validateMs / 1000));
    last = {
      pov: b.pov.length,
      witness: b.witness.length,
      weightMs: Number(b.weight.normal / 1_000_000_000n),
      included: b.included.length,
    };
    console.log(
      `run ${run + 1}: build ${buildMs.toFixed(0)} ms (${(TRANSFERS / (buildMs / 1000)).toFixed(0)} tx/s), validateBlock ${validateMs.toFixed(0)} ms (${(TRANSFERS / (validateMs / 1000)).toFixed(0)} tx/s), sr25519 verify ${verifyRates[run]!.toFixed(0)}/s`,
    );
  }
  const ratios = validateRates.map((v, i) => v / verifyRates[i]!);
  const verify = median(verifyRates);
  const build = median(buildRates);
  const validate = median(validateRates);
  const perTxUs = 1e6 / validate;
  const blake = blake2PerSecond();
  console.log("");
  console.log(
    `block: ${last!.included} transfers, PoV ${(last!.pov / 1024).toFixed(0)} KiB (${last!.witness} witness nodes), weight ${last!.weightMs} ms of ${ASYNC_BACKING_CONFIG.blockRefTimeMs} ms`,
  );
  console.log(`sr25519 verifies/s (WASM, one core): ${verify.toFixed(0)}`);
  console.log(`builder transfers/s: ${build.toFixed(0)}`);
  console.log(`validateBlock transfers/s: ${validate.toFixed(0)} (${perTxUs.toFixed(0)} µs per transfer)`);
  console.log(
    `calibration: measured ${perTxUs.toFixed(0)} µs per transfer vs weight ${(Number(EXTRINSIC_BASE_WEIGHT) / 1e6 + 60).toFixed(0)} µs; Dev.compute iteration ${(1e6 / blake).toFixed(2)} µs vs weight ${(Number(COMPUTE_ITERATION_WEIGHT) / 1e6).toFixed(2)} µs`,
  );
  console.log(`ratios per run: ${ratios.map((r) => r.toFixed(2)).join(", ")}`);
  console.log(`validateBlock/verify ratio: ${median(ratios).toFixed(2)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
