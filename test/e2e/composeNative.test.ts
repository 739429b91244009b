/**
 * The docker compose devnet, checked without a Docker engine:
 * 1. docker/docker-compose.yml is valid against the compose-spec schema (dclint bundles it), and dclint does
 *    fail a file that is not (so the check can fail);
 * 2. every parapipe service's command parses with the parapipe CLI's own flag specs, its bootnodes name
 *    services and the PeerIds of their node keys, and Prometheus scrapes every node;
 * 3. the topology runs natively: each service's exact command as a process, with its service name resolved
 *    to its own loopback address and its volume (/data) a temp dir (test/utils/composeHosts.ts does what the
 *    container network does), and parablocks get included.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { COLLATOR_COMMAND, parseArgs, parseMetricsText, RELAY_FLAGS, VALIDATOR_COMMAND } from "@parapipe/cli";
import { nodeKeyFromHex, peerIdOf } from "@parapipe/network";
import { parse } from "yaml";
import { CliProcess, PARAPIPE } from "../utils/cli.js";
import { ProcessRegistry } from "../utils/processes.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const composePath = join(root, "docker", "docker-compose.yml");
const dclint = join(root, "node_modules", "dclint", "bin", "dclint.cjs");
const hostsShim = fileURLToPath(new URL("../utils/composeHosts.js", import.meta.url));

interface Service {
  command?: string[];
  volumes?: string[];
  ports?: string[];
  image?: string;
  healthcheck?: { test: string[] };
}
const compose = parse(readFileSync(composePath, "utf8"), { merge: true }) as { services: Record<string, Service> };
const nodeServices = Object.entries(compose.services).filter(([, s]) => s.image === "parapipe:dev");

function flagValues(args: string[], name: string): string[] {
  return args.flatMap((a, i) =>
    a.startsWith(`--${name}=`) ? [a.slice(name.length + 3)] : a === `--${name}` ? [args[i + 1] as string] : [],
  );
}

describe("docker compose devnet (no Docker engine)", () => {
  const registry = new ProcessRegistry();
  after(() => registry.killAll());

  it("is valid against the compose-spec schema, and an invalid file is caught", () => {
    const ok = spawnSync(process.execPath, [dclint, composePath], { cwd: root, encoding: "utf8" });
    assert.equal(ok.status, 0, `dclint: ${ok.stdout}${ok.stderr}`);
    const dir = mkdtempSync(join(tmpdir(), "parapipe-compose-"));
    registry.removeOnExit(dir);
    const bad = join(dir, "docker-compose.yml");
    writeFileSync(bad, readFileSync(composePath, "utf8").replace("    ports:\n", "    portz:\n"));
    const res = spawnSync(process.execPath, [dclint, bad], { cwd: root, encoding: "utf8" });
    assert.notEqual(res.status, 0, "dclint accepted a service with an unknown key");
    assert.match(res.stdout + res.stderr, /invalid-schema/);
  });

  it("runs 4 validators and 2 collators whose commands the parapipe CLI parses", async () => {
    const kinds = nodeServices.map(([name, s]) => [name, s.command?.[0]]);
    assert.deepEqual(kinds.filter(([, k]) => k === "validator").length, 4, JSON.stringify(kinds));
    assert.deepEqual(kinds.filter(([, k]) => k === "collator").length, 2, JSON.stringify(kinds));
    const peerIds = new Map<string, string[]>();
    for (const [name, s] of nodeServices) {
      const [cmd, ...argv] = s.command as string[];
      const spec = cmd === "validator" ? VALIDATOR_COMMAND : COLLATOR_COMMAND;
      const parsed = parseArgs(spec, argv);
      assert.equal(parsed.help, false);
      const ids = [await peerIdOf(nodeKeyFromHex(flagValues(argv, "node-key")[0] as string))];
      if (cmd === "collator") {
        const relay = parseArgs({ name: "relay", summary: "", flags: RELAY_FLAGS }, parsed.rest);
        assert.equal(flagValues(parsed.rest, "chain")[0], "local", `${name}: relay chain`);
        assert.ok(relay.flags["node-key"], `${name}: the embedded relay node has a fixed key`);
        ids.push(await peerIdOf(nodeKeyFromHex(flagValues(parsed.rest, "node-key")[0] as string)));
      }
      peerIds.set(name, ids);
      // Every RPC / Prometheus / p2p port the command serves is published.
      const published = (s.ports ?? []).map((p) => p.split(":").at(-1));
      for (const flag of ["rpc-port", "prometheus-port", "port"])
        assert.ok(
          published.includes(
            flagValues(argv.slice(0, argv.indexOf("--") < 0 ? undefined : argv.indexOf("--")), flag)[0],
          ),
          `${name}: --${flag} published`,
        );
      assert.ok(
        s.volumes?.some((v) => v.endsWith(":/data")),
        `${name}: a named volume on /data`,
      );
      assert.ok(s.healthcheck?.test.join(" ").includes("/health"), `${name}: healthcheck on /health`);
    }
    // Bootnodes name a service and the PeerId of that service's node key (para side :30333, relay :30334).
    for (const [name, s] of nodeServices) {
      for (const addr of flagValues(s.command as string[], "bootnodes")) {
        const m = /^\/dns\/([a-z-]+)\/tcp\/(\d+)\/p2p\/(\w+)$/.exec(addr);
        assert.ok(m, `${name}: bootnode ${addr}`);
        const ids = peerIds.get(m[1] as string);
        assert.ok(ids, `${name}: bootnode service ${m[1]} exists`);
        assert.ok(ids.includes(m[3] as string), `${name}: ${addr} is ${m[1]}'s PeerId`);
      }
    }
    const prometheus = readFileSync(join(root, "docker", "prometheus.yml"), "utf8");
    for (const [name] of nodeServices) assert.ok(prometheus.includes(`"${name}:9615"`), `prometheus scrapes ${name}`);
  });

  it("the same commands, run natively with service names on loopback, include parablocks", {
    timeout: 240_000,
  }, async () => {
    const hosts = Object.fromEntries(nodeServices.map(([name], i) => [name, `127.0.0.${20 + i}`]));
    const procs: Array<{ name: string; p: CliProcess }> = [];
    for (const [name, s] of nodeServices) {
      const data = mkdtempSync(join(tmpdir(), `parapipe-compose-${name}-`));
      registry.removeOnExit(data);
      // The volume: /data in the command is this service's temp dir.
      const args = (s.command as string[]).map((a) => a.replace(/(^|=)\/data(\/|$)/, `$1${data}$2`));
      const child = spawn(process.execPath, ["--import", hostsShim, PARAPIPE, ...args], {
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...process.env,
          PARAPIPE_COMPOSE_HOSTS: JSON.stringify(hosts),
          PARAPIPE_COMPOSE_SELF: hosts[name],
        },
      });
      const p = new CliProcess(args, child);
      registry.track(p);
      procs.push({ name, p });
    }
    const scrape = async (name: string) => {
      const res = await fetch(`http://${hosts[name]}:9615/metrics`, { signal: AbortSignal.timeout(2000) }).catch(
        () => undefined,
      );
      return res?.ok ? parseMetricsText(await res.text()) : undefined;
    };
    const collator = nodeServices.find(([, s]) => s.command?.[0] === "collator")?.[0] as string;
    const deadline = Date.now() + 200_000;
    let included = 0;
    for (;;) {
      for (const { name, p } of procs)
        assert.ok(
          p.alive,
          `${name} exited ${JSON.stringify(p.exit)}:\n${p.stderr.slice(-3000)}${p.stdout.slice(-3000)}`,
        );
      included = (await scrape(collator))?.get("parapipe_para_included_height") ?? 0;
      if (included >= 2 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.ok(included >= 2, `para 2000 included #${included} in 200 s`);
    // The compose healthcheck's endpoint answers on every node.
    for (const [name] of nodeServices) {
      const res = await fetch(`http://${hosts[name]}:9944/health`);
      assert.equal(res.status, 200, `${name} /health`);
      const health = (await res.json()) as { peers: number };
      assert.ok(health.peers > 0, `${name} has peers`);
    }
    for (const { name, p } of procs) assert.ok(await p.kill("SIGTERM", 20_000), `${name} stops on SIGTERM`);
    for (const { name, p } of procs) assert.equal(p.exit?.code, 0, `${name} exit code`);
  });
});
