/**
 * The harness's small parts, without a chain: `waitUntil`'s timeout message, `freePort`, the RPC client against
 * the node's own `RpcServer`, and `ProcessRegistry` stopping a child and removing a dir.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  freePort,
  HarnessError,
  ProcessRegistry,
  portFree,
  RpcCallError,
  RpcClient,
  waitUntil,
} from "@parapipe/harness";
import { createRpcServer, RpcError } from "@parapipe/node";

describe("waitUntil", () => {
  it("resolves with the value the check reported once done", async () => {
    let n = 0;
    const v = await waitUntil("three polls", () => ({ done: ++n >= 3, observed: `poll ${n}`, value: n }), {
      timeoutMs: 2000,
      intervalMs: 5,
    });
    assert.equal(v, 3);
  });

  it("times out with WAIT_TIMEOUT saying what was last observed", async () => {
    let n = 0;
    await assert.rejects(
      waitUntil("para included #3", () => ({ done: false, observed: `included #${++n}` }), {
        timeoutMs: 100,
        intervalMs: 10,
      }),
      (e: unknown) =>
        e instanceof HarnessError &&
        e.code === "WAIT_TIMEOUT" &&
        /^para included #3 not reached in 100 ms; last observed: included #\d+$/.test(e.message),
    );
  });

  it("keeps polling through a check that throws, and reports the error as observed", async () => {
    await assert.rejects(
      waitUntil(
        "a node that never answers",
        () => {
          throw new Error("ECONNREFUSED");
        },
        { timeoutMs: 50, intervalMs: 10 },
      ),
      /a node that never answers not reached in 50 ms; last observed: error: ECONNREFUSED/,
    );
  });
});

describe("freePort", () => {
  it("never hands out a port twice, and the port can be bound", async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    assert.equal(new Set(ports).size, 20);
    assert.ok(await portFree(ports[0]!));
  });
});

describe("RpcClient", () => {
  it("calls over HTTP, surfaces JSON-RPC errors as RpcCallError and subscribes over WebSocket", async () => {
    const server = createRpcServer({ host: "127.0.0.1", port: 0 });
    server.register("test_add", (p) => (p as number[]).reduce((a, b) => a + b, 0));
    server.register("test_refuse", () => {
      throw new RpcError(1010, "Invalid Transaction", "Inability to pay some fees");
    });
    server.registerSubscription(
      { subscribe: "test_subscribeTicks", unsubscribe: "test_unsubscribeTicks", notification: "test_tick" },
      (_p, sink) => {
        let i = 0;
        const t = setInterval(() => sink.send(++i), 5);
        return () => clearInterval(t);
      },
    );
    await server.listen();
    const { port } = server.address();
    const client = new RpcClient(() => `127.0.0.1:${port}`);
    try {
      assert.equal(await client.call("test_add", [1, 2, 3]), 6);
      await assert.rejects(
        client.call("test_refuse"),
        (e: unknown) =>
          e instanceof RpcCallError &&
          e.code === 1010 &&
          e.message === "Invalid Transaction" &&
          e.data === "Inability to pay some fees" &&
          e.method === "test_refuse",
      );
      await assert.rejects(client.call("nope"), (e: unknown) => e instanceof RpcCallError && e.code === -32601);
      const ticks: number[] = [];
      const sub = await client.subscribe<number>("test_subscribeTicks", [], (t) => ticks.push(t));
      await waitUntil("three ticks", () => ticks.length >= 3, { timeoutMs: 2000, intervalMs: 5 });
      await sub.unsubscribe();
      assert.deepEqual(ticks.slice(0, 3), [1, 2, 3]);
    } finally {
      client.close();
      await server.close();
    }
    await assert.rejects(
      client.call("test_add", [1]),
      (e: unknown) => e instanceof HarnessError && e.code === "RPC_TRANSPORT",
    );
  });
});

describe("ProcessRegistry", () => {
  it("killAll stops a child that ignores SIGTERM and removes the dirs", async () => {
    const registry = new ProcessRegistry();
    const dir = mkdtempSync(join(tmpdir(), "parapipe-harness-unit-"));
    registry.removeOnExit(dir);
    const child = spawn(process.execPath, [
      "-e",
      "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)",
    ]);
    // Only once it ignores SIGTERM.
    await new Promise((r) => child.stdout.once("data", r));
    let exit: NodeJS.Signals | null | undefined;
    const exited = new Promise<void>((r) =>
      child.once("exit", (_code, signal) => {
        exit = signal;
        r();
      }),
    );
    registry.track({
      get alive() {
        return exit === undefined;
      },
      child,
      async kill(signal, timeoutMs) {
        child.kill(signal);
        return Promise.race([
          exited.then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs)),
        ]);
      },
    });
    await registry.killAll(200);
    assert.equal(exit, "SIGKILL");
    assert.equal(existsSync(dir), false);
  });
});
