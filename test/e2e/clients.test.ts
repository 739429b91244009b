/**
 * The clients users already have, unmodified, against a running devnet (`parapipe devnet`, 1 s slots):
 * `@polkadot/api` 16.5.6 and `polkadot-api` on the relay chain and on para 2000, Prometheus scraped with
 * plain HTTP, and the JSON-RPC server's answers to bad input.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseMetricsText } from "@parapipe/cli";
import { ApiPromise, HttpProvider, Keyring, WsProvider } from "@polkadot/api";
import type { SubmittableExtrinsic } from "@polkadot/api/types";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { createClient } from "polkadot-api";
import { getPolkadotSigner } from "polkadot-api/signer";
import { getWsProvider } from "polkadot-api/ws";
import { WebSocket } from "ws";
import { type CliProcess, freeDevnetPorts, startCli } from "../utils/cli.js";
import { ProcessRegistry } from "../utils/processes.js";

interface Endpoints {
  relayRpc: number;
  paraRpc: number;
  relayProm: number;
  paraProm: number;
}

/** Waits until `f()` returns a value that is not undefined. */
async function until<T>(f: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function rpc(
  port: number,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, json: text === "" ? undefined : JSON.parse(text) };
}

/** `signAndSend` with a status callback, collecting statuses and events until Finalized (or an error). */
async function sendAndWatch(
  tx: SubmittableExtrinsic<"promise">,
  signer: Parameters<SubmittableExtrinsic<"promise">["signAndSend"]>[0],
  timeoutMs: number,
): Promise<{ statuses: string[]; events: string[]; blockHash: string }> {
  const statuses: string[] = [];
  const events = new Set<string>();
  let unsub: () => void = () => {};
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsub();
      reject(new Error(`not finalized in ${timeoutMs} ms; statuses ${statuses.join(", ")}`));
    }, timeoutMs);
    tx.signAndSend(signer, (result) => {
      statuses.push(result.status.type);
      for (const { event } of result.events) events.add(`${event.section}.${event.method}`);
      if (result.status.isDropped || result.status.isInvalid || result.status.isUsurped) {
        clearTimeout(timer);
        unsub();
        reject(new Error(`transaction failed: ${statuses.join(", ")}`));
      }
      if (result.status.isFinalized) {
        clearTimeout(timer);
        unsub();
        resolve({ statuses, events: [...events], blockHash: result.status.asFinalized.toHex() });
      }
    })
      .then((u) => {
        unsub = u;
      })
      .catch((e: unknown) => {
        clearTimeout(timer);
        reject(e);
      });
  });
}

describe("polkadot-js, polkadot-api and Prometheus against a devnet", { timeout: 300_000 }, () => {
  const registry = new ProcessRegistry();
  let devnet: CliProcess;
  let ep: Endpoints;
  let relay: ApiPromise;
  let para: ApiPromise;

  before(async () => {
    await cryptoWaitReady();
    const base = mkdtempSync(join(tmpdir(), "parapipe-clients-"));
    registry.removeOnExit(base);
    const { p2p, rpc: r, prom: m } = await freeDevnetPorts();
    ep = { relayRpc: r, paraRpc: r + 44, relayProm: m, paraProm: m + 10 };
    devnet = startCli(registry, [
      "devnet",
      "--slot-ms",
      "1000",
      "--base-path",
      base,
      "--port",
      String(p2p),
      "--rpc-port",
      String(r),
      "--prometheus-port",
      String(m),
    ]);
    await devnet.waitForOutput((o) => /included para #[1-9]/.test(o), 90_000, "the first parablock included");
    relay = await ApiPromise.create({ provider: new WsProvider(`ws://127.0.0.1:${ep.relayRpc}`), noInitWarn: true });
    para = await ApiPromise.create({ provider: new WsProvider(`ws://127.0.0.1:${ep.paraRpc}`), noInitWarn: true });
  });

  after(async () => {
    await relay?.disconnect().catch(() => {});
    await para?.disconnect().catch(() => {});
    await registry.killAll();
  });

  for (const chain of ["relay", "para"] as const) {
    it(`${chain}: heads, balances, a transfer with its events, and a fee`, async () => {
      const api = chain === "relay" ? relay : para;
      const keyring = new Keyring({ type: "sr25519", ss58Format: chain === "para" ? 5 : 42 });
      const alice = keyring.addFromUri("//Alice");
      const ferdie = keyring.addFromUri("//Ferdie");

      // Advancing heads.
      const heads: number[] = [];
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`heads: ${heads.join(",")}`)), 20_000);
        void api.rpc.chain
          .subscribeNewHeads((h) => {
            heads.push(h.number.toNumber());
            if (heads.length >= 3) {
              clearTimeout(t);
              resolve();
            }
          })
          .then((unsub) => setTimeout(unsub, 20_000));
      });
      assert.ok((heads.at(-1) as number) > (heads[0] as number), `heads advance: ${heads.join(",")}`);

      const before = (await api.query.system.account(ferdie.address)) as unknown as {
        data: { free: { toBigInt(): bigint } };
      };
      const tx = api.tx.balances.transferKeepAlive(ferdie.address, 1_000_000_000_000n);
      const info = await tx.paymentInfo(alice);
      assert.ok(info.partialFee.toBigInt() > 0n, "paymentInfo gives a fee");
      const sent = await sendAndWatch(tx, alice, 90_000);
      assert.deepEqual(
        sent.statuses
          .filter((s) => ["Ready", "InBlock", "Finalized"].includes(s))
          .filter((s, i, a) => a.indexOf(s) === i),
        ["Ready", "InBlock", "Finalized"],
        sent.statuses.join(", "),
      );
      assert.ok(sent.events.includes("balances.Transfer"), sent.events.join(", "));
      assert.ok(sent.events.includes("system.ExtrinsicSuccess"), sent.events.join(", "));
      const afterTx = (await api.query.system.account(ferdie.address)) as unknown as {
        data: { free: { toBigInt(): bigint } };
      };
      assert.equal(afterTx.data.free.toBigInt() - before.data.free.toBigInt(), 1_000_000_000_000n);
    });
  }

  it("relay: paras.heads(2000) decodes to a para header that advances; CandidateBacked/CandidateIncluded events", async () => {
    const number = async () => {
      const head = (await relay.query.paras.heads(2000)) as unknown as { unwrap(): { toU8a(b: boolean): Uint8Array } };
      return (
        relay.registry.createType("Header", head.unwrap().toU8a(true)) as unknown as { number: { toNumber(): number } }
      ).number.toNumber();
    };
    const first = await number();
    await until(async () => ((await number()) > first ? true : undefined), 30_000, "para head advances");
    const seen = new Set<string>();
    await until(
      async () => {
        const events = (await relay.query.system.events()) as unknown as Array<{
          event: { section: string; method: string; data: unknown[] };
        }>;
        for (const { event } of events) if (event.section === "paraInclusion") seen.add(event.method);
        return seen.has("CandidateBacked") && seen.has("CandidateIncluded") ? true : undefined;
      },
      30_000,
      "CandidateBacked and CandidateIncluded events",
    );
  });

  it("para: the active inflation configuration is readable with a standard storage query", async () => {
    const query = para.query as unknown as Record<string, Record<string, () => Promise<{ toJSON(): unknown }>>>;
    const inflation = query.inflation;
    assert.ok(inflation, `pallets: ${Object.keys(query).join(", ")}`);
    const entry = Object.entries(inflation).find(([k]) => /config/i.test(k));
    assert.ok(entry, `inflation storage: ${Object.keys(inflation).join(", ")}`);
    const config = (await entry[1]()).toJSON() as Record<string, unknown>;
    assert.ok(Object.keys(config).length > 0, JSON.stringify(config));
  });

  it("polkadot-api reads a balance and submits a finalized transfer on both chains", async () => {
    const keyring = new Keyring({ type: "sr25519" });
    const alice = keyring.addFromUri("//Alice");
    const bob = keyring.addFromUri("//Bob");
    const signer = getPolkadotSigner(alice.publicKey, "Sr25519", (m) => alice.sign(m));
    for (const port of [ep.relayRpc, ep.paraRpc]) {
      const client = createClient(
        getWsProvider(`ws://127.0.0.1:${port}`, {
          websocketClass: WebSocket as unknown as typeof globalThis.WebSocket,
        }),
      );
      try {
        const api = client.getUnsafeApi();
        const account = (await api.query.System.Account.getValue(alice.address)) as { data: { free: bigint } };
        assert.ok(account.data.free > 0n);
        const tx = api.tx.Balances.transfer_keep_alive({ dest: { type: "Id", value: bob.address }, value: 12_345n });
        const finalized = await new Promise<{ ok: boolean }>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error("papi: not finalized")), 90_000);
          tx.signSubmitAndWatch(signer).subscribe({
            next: (e: { type: string; ok?: boolean }) => {
              if (e.type === "finalized") {
                clearTimeout(t);
                resolve({ ok: e.ok === true });
              }
            },
            error: (e: unknown) => {
              clearTimeout(t);
              reject(e);
            },
          });
        });
        assert.equal(finalized.ok, true, `port ${port}`);
      } finally {
        client.destroy();
      }
    }
  });

  it("bad input gets Substrate's answers and leaves the node serving", async () => {
    const port = ep.relayRpc;
    assert.deepEqual((await rpc(port, "{ not json")).json, {
      jsonrpc: "2.0",
      error: { code: -32700, message: "Parse error" },
      id: null,
    });
    assert.equal(
      ((await rpc(port, JSON.stringify({ jsonrpc: "2.0", id: 1 }))).json as { error: { code: number } }).error.code,
      -32600,
    );
    assert.equal(
      (
        (await rpc(port, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "no_such" }))).json as {
          error: { code: number };
        }
      ).error.code,
      -32601,
    );
    assert.equal(
      (
        (await rpc(port, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "chain_getBlockHash", params: ["x"] })))
          .json as { error: { code: number } }
      ).error.code,
      -32602,
    );
    const undecodable = (
      await rpc(port, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "author_submitExtrinsic", params: ["0x1234"] }))
    ).json as { error: { code: number; message: string } };
    // Substrate: bytes that are not even an opaque extrinsic are a client error (1040); a length-prefixed blob
    // that the runtime cannot decode is "Extrinsic has invalid format" or a verification error.
    assert.equal(undecodable.error.code, 1040, JSON.stringify(undecodable));
    const garbage = (
      await rpc(
        port,
        JSON.stringify({ jsonrpc: "2.0", id: 1, method: "author_submitExtrinsic", params: ["0x10deadbeef"] }),
      )
    ).json as { error: { code: number; message: string } };
    assert.ok([1001, 1002, 1010].includes(garbage.error.code), JSON.stringify(garbage));
    // A correctly encoded transfer with a forged signature: Invalid Transaction (1010) with the reason.
    const keyring = new Keyring({ type: "sr25519" });
    const tx = relay.tx.balances.transferKeepAlive(keyring.addFromUri("//Bob").address, 1n);
    const signed = await tx.signAsync(keyring.addFromUri("//Alice"));
    const hex = signed.toHex();
    const forged = `${hex.slice(0, -10)}${hex.slice(-10) === "0000000000" ? "1111111111" : "0000000000"}`;
    const bad = (
      await rpc(port, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "author_submitExtrinsic", params: [forged] }))
    ).json as { error: { code: number; message: string; data?: string } };
    assert.equal(bad.error.code, 1010, JSON.stringify(bad));
    assert.equal(bad.error.message, "Invalid Transaction");
    assert.match(String(bad.error.data), /bad signature/i);
    // Over the request size limit (15 MiB).
    const big = await rpc(
      port,
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "system_name", params: ["x".repeat(16 * 1024 * 1024)] }),
    );
    assert.ok(big.status === 413 || (big.json as { error?: unknown }).error, `status ${big.status}`);
    // A flood of subscriptions on one connection: refused past the limit, the connection and node unaffected.
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    await new Promise((r) => ws.once("open", r));
    const answers: Array<{ id: number; result?: unknown; error?: { code: number } }> = [];
    ws.on("message", (d) => {
      const msg = JSON.parse(d.toString());
      if (msg.id !== undefined) answers.push(msg);
    });
    for (let i = 0; i < 1100; i++)
      ws.send(JSON.stringify({ jsonrpc: "2.0", id: i, method: "chain_subscribeNewHeads", params: [] }));
    await until(async () => (answers.length >= 1100 ? true : undefined), 30_000, "1100 answers");
    assert.equal(answers.filter((a) => a.result !== undefined).length, 1024);
    assert.ok(answers.filter((a) => a.error).length >= 76);
    ws.close();
    // Still serving.
    const name = (await rpc(port, JSON.stringify({ jsonrpc: "2.0", id: 9, method: "system_name" }))).json as {
      result: string;
    };
    assert.equal(name.result, "parapipe");
    const http = await ApiPromise.create({ provider: new HttpProvider(`http://127.0.0.1:${port}`), noInitWarn: true });
    assert.ok((await http.rpc.chain.getHeader()).number.toNumber() > 0);
    await http.disconnect();
  });

  it("Prometheus shows Substrate's metrics and the pipeline's with live values", async () => {
    const scrape = async (p: number) => parseMetricsText(await (await fetch(`http://127.0.0.1:${p}/metrics`)).text());
    const r = await scrape(ep.relayProm);
    const c = await scrape(ep.paraProm);
    for (const m of [r, c]) {
      assert.ok((m.get('substrate_block_height{status="best"}') ?? 0) > 0);
      assert.ok((m.get('substrate_block_height{status="finalized"}') ?? 0) > 0);
      assert.ok((m.get("substrate_sub_libp2p_peers_count") ?? 0) > 0);
      assert.equal(m.get("substrate_node_roles"), 4);
      assert.ok((m.get("substrate_process_start_time_seconds") ?? 0) > 1e9);
    }
    assert.ok(c.has("substrate_ready_transactions_number"));
    assert.ok((c.get("parapipe_para_segment_length") ?? -1) >= 0);
    assert.ok((c.get("parapipe_collator_candidates_built_total") ?? 0) > 0);
    assert.ok([...r.keys()].some((k) => k.startsWith("parapipe_candidates_backed_total")));
    // The chain machinery's and the pipeline's metrics, on every validator (relayProm + i) and the collator.
    const validators = await Promise.all([0, 1, 2, 3].map((i) => scrape(ep.relayProm + i)));
    const keys = (m: Map<string, number>) => [...m.keys()];
    const sum = (prefix: string) =>
      validators.reduce((n, m) => n + keys(m).reduce((x, k) => x + (k.startsWith(prefix) ? (m.get(k) ?? 0) : 0), 0), 0);
    for (const m of [...validators, c]) {
      assert.ok(
        keys(m).some((k) => /^parapipe_gossip_messages_total\{.*topic="(relay|para)\/block".*\}$/.test(k)),
        "gossip verdicts by short topic",
      );
      assert.ok(keys(m).some((k) => k.startsWith('parapipe_block_import_total{origin="network",result="imported"}')));
      assert.ok(keys(m).some((k) => k.startsWith("parapipe_reqresp_requests_total{")));
    }
    assert.ok(
      validators.some((m) => (m.get('parapipe_candidates_total{stage="seconded"}') ?? 0) > 0),
      "a validator seconded",
    );
    assert.ok(sum('parapipe_candidates_total{stage="advertised"}') > 0);
    assert.ok(sum('parapipe_candidates_total{stage="included"}') > 0);
    assert.ok(sum("parapipe_pvf_execution_seconds_count") > 0, "PVF executions timed");
    assert.ok(validators.some((m) => keys(m).some((k) => k.startsWith("parapipe_candidate_stage_seconds_bucket{"))));
    assert.ok(sum('parapipe_candidate_stage_seconds_count{stage="validation"}') > 0);
    assert.ok(sum('parapipe_candidate_stage_seconds_count{stage="inclusion"}') > 0);
  });
});
