import assert from "node:assert/strict";
import { request } from "node:http";
import { createServer as createNetServer, type Server as NetServer } from "node:net";
import { after, afterEach, describe, it } from "node:test";
import { WebSocket } from "ws";
import type { Logger } from "../../src/interface.js";
import { RPC_ERROR_CODES, RpcError, RpcServerError } from "../../src/rpc/errors.js";
import { isLoopbackHost, isOriginAllowed } from "../../src/rpc/limits.js";
import {
  createRpcServer,
  type NodeHealth,
  type RpcServer,
  type RpcServerModules,
  type RpcServerOptions,
  type SubscriptionSink,
} from "../../src/rpc/server.js";

// ---- fixtures ----

type Json = Record<string, unknown> & {
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
  method?: string;
  params?: { subscription: string; result: unknown };
};

interface LogEntry {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}

function recordingLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: string) =>
    (obj: Record<string, unknown>, msg: string): void => {
      entries.push({ level, obj, msg });
    };
  const logger: Logger = {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: () => logger,
  };
  return { logger, entries };
}

/** What the test subscription's handler saw. */
interface SubscriptionProbe {
  sinks: SubscriptionSink[];
  cleaned: string[];
}

const servers: RpcServer[] = [];
const clients: WebSocket[] = [];
const netServers: NetServer[] = [];

async function closeAll(): Promise<void> {
  for (const c of clients.splice(0)) c.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(netServers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
}

/**
 * A listening server on an ephemeral port with the test methods: `echo`, `add` (invalid params unless two
 * numbers), `boom` (throws), `txInvalid` (1010), `big` (a string of `params[0]` bytes), `count` (counts calls),
 * `author_rotateKeys` (unsafe) and the subscription `test_subscribe` / `test_unsubscribe` / `test_notification`
 * (sends "hello" while subscribing; the cleanup records the id).
 */
async function start(
  opts: RpcServerOptions = {},
  modules: RpcServerModules = {},
): Promise<{ server: RpcServer; port: number; probe: SubscriptionProbe; counter: { calls: number } }> {
  const server = createRpcServer({ port: 0, wsPingIntervalMs: 0, ...opts }, modules);
  servers.push(server);
  const probe: SubscriptionProbe = { sinks: [], cleaned: [] };
  const counter = { calls: 0 };
  server.register("echo", (params) => params ?? "no params", { aliases: ["echo_alias"] });
  server.register("add", (params) => {
    if (!Array.isArray(params) || typeof params[0] !== "number" || typeof params[1] !== "number")
      throw RpcError.invalidParams("expected two numbers");
    return params[0] + params[1];
  });
  server.register("boom", () => {
    throw new Error("kaboom");
  });
  server.register("txInvalid", async () => {
    throw new RpcError(1010, "Invalid Transaction", "Transaction has a bad signature");
  });
  server.register("big", (params) => "x".repeat((params as number[])[0]!));
  server.register("count", () => {
    counter.calls++;
    return counter.calls;
  });
  server.register("author_rotateKeys", () => "0xkeys", { unsafe: true });
  server.registerSubscription(
    {
      subscribe: "test_subscribe",
      unsubscribe: "test_unsubscribe",
      notification: "test_notification",
      aliases: { subscribe: ["test_sub"], unsubscribe: ["test_unsub"] },
    },
    (params, sink) => {
      if (Array.isArray(params) && params[0] === "refuse") throw RpcError.invalidParams("refused");
      probe.sinks.push(sink);
      sink.send("hello");
      return () => {
        probe.cleaned.push(sink.id);
      };
    },
  );
  server.registerSubscription(
    { subscribe: "other_subscribe", unsubscribe: "other_unsubscribe", notification: "other_notification" },
    () => undefined,
  );
  await server.listen();
  return { server, port: server.address().port, probe, counter };
}

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function http(
  port: number,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string; chunks?: string[] } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: opts.method ?? "GET",
        path: opts.path ?? "/",
        headers: opts.headers,
        agent: false,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on("error", reject);
    if (opts.chunks !== undefined) for (const c of opts.chunks) req.write(c);
    req.end(opts.body);
  });
}

/** POSTs `body` (JSON-encoded unless a string) as application/json. */
function post(port: number, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return http(port, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function postJson(port: number, body: unknown): Promise<Json & Json[]> {
  const answer = await post(port, body);
  assert.equal(answer.status, 200, answer.text);
  return JSON.parse(answer.text);
}

/** A WebSocket client that queues what it receives; `waitFor` takes the first message matching. */
class Client {
  private readonly received: Json[] = [];
  private readonly waiters: { match: (m: Json) => boolean; resolve: (m: Json) => void }[] = [];
  private nextId = 1;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const msg = JSON.parse(data.toString()) as Json;
      const i = this.waiters.findIndex((w) => w.match(msg));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(msg);
      else this.received.push(msg);
    });
    this.closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static open(port: number, opts: { origin?: string; autoPong?: boolean } = {}): Promise<Client> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, opts);
    clients.push(ws);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(new Client(ws)));
      ws.once("error", reject);
    });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === "string" ? msg : JSON.stringify(msg));
  }

  waitFor(match: (m: Json) => boolean, timeoutMs = 3000): Promise<Json> {
    const i = this.received.findIndex(match);
    if (i >= 0) return Promise.resolve(this.received.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no matching WebSocket message")), timeoutMs);
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** The next message that is not a subscription notification. */
  nextResponse(): Promise<Json> {
    return this.waitFor((m) => m.method === undefined);
  }

  async call(method: string, params?: unknown): Promise<Json> {
    const id = this.nextId++;
    this.send({ jsonrpc: "2.0", id, method, params });
    return this.waitFor((m) => m.id === id);
  }

  notifications(): Json[] {
    return this.received.filter((m) => m.method !== undefined);
  }
}

/** The HTTP status a refused WebSocket handshake got. */
function refusedUpgrade(port: number, opts: { origin?: string } = {}): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, opts);
  clients.push(ws);
  return new Promise((resolve, reject) => {
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.on("open", () => reject(new Error("the connection was accepted")));
    ws.on("error", () => {});
  });
}

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

function healthModule(h: NodeHealth): RpcServerModules {
  return { health: () => h };
}

// ---- tests ----

describe("RpcServer", () => {
  afterEach(closeAll);
  after(closeAll);

  describe("HTTP calls", () => {
    it("answers a single call with its result and echoes string and number ids", async () => {
      const { port } = await start();
      assert.deepEqual(await postJson(port, { jsonrpc: "2.0", id: 1, method: "add", params: [2, 3] }), {
        jsonrpc: "2.0",
        id: 1,
        result: 5,
      });
      const r = await postJson(port, { jsonrpc: "2.0", id: "abc", method: "echo", params: { a: 1 } });
      assert.equal(r.id, "abc");
      assert.deepEqual(r.result, { a: 1 });
    });

    it("passes params as array, object or absent (null taken as absent), and answers aliases", async () => {
      const { port } = await start();
      assert.deepEqual(
        (await postJson(port, { jsonrpc: "2.0", id: 1, method: "echo", params: [1, 2] })).result,
        [1, 2],
      );
      assert.equal((await postJson(port, { jsonrpc: "2.0", id: 2, method: "echo" })).result, "no params");
      assert.equal((await postJson(port, { jsonrpc: "2.0", id: 3, method: "echo", params: null })).result, "no params");
      assert.deepEqual(
        (await postJson(port, { jsonrpc: "2.0", id: 4, method: "echo_alias", params: [7] })).result,
        [7],
      );
    });

    it("answers a batch in order, skipping its notifications", async () => {
      const { port, counter } = await start();
      const r = await postJson(port, [
        { jsonrpc: "2.0", id: 1, method: "add", params: [1, 1] },
        { jsonrpc: "2.0", method: "count" },
        { jsonrpc: "2.0", id: 2, method: "nope" },
        { jsonrpc: "2.0", id: 3, method: "add", params: [2, 2] },
      ]);
      assert.equal(r.length, 3);
      assert.deepEqual(
        r.map((x: Json) => [x.id, x.result ?? x.error?.code]),
        [
          [1, 2],
          [2, RPC_ERROR_CODES.METHOD_NOT_FOUND],
          [3, 4],
        ],
      );
      assert.equal(counter.calls, 1, "the notification ran");
    });

    it("runs notifications without answering: 204 for one and for a batch of them", async () => {
      const { port, counter } = await start();
      const one = await post(port, { jsonrpc: "2.0", method: "count" });
      assert.equal(one.status, 204);
      assert.equal(one.text, "");
      const batch = await post(port, [
        { jsonrpc: "2.0", method: "count" },
        { jsonrpc: "2.0", method: "count" },
        { jsonrpc: "2.0", method: "unknown_method" },
      ]);
      assert.equal(batch.status, 204);
      assert.equal(batch.text, "");
      assert.equal(counter.calls, 3);
    });

    it("answers text that is not JSON with -32700 and id null", async () => {
      const { port } = await start();
      for (const body of ['{"jsonrpc":"2.0","id":1,', "", "[1,"]) {
        const r = await postJson(port, body);
        assert.deepEqual(r, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } });
      }
    });

    it("answers malformed request objects with -32600", async () => {
      const { port } = await start();
      const cases: [unknown, unknown][] = [
        [42, null],
        ['"call"', null],
        [{ id: 1, method: "echo" }, 1],
        [{ jsonrpc: "1.0", id: 2, method: "echo" }, 2],
        [{ jsonrpc: "2.0", id: 3 }, 3],
        [{ jsonrpc: "2.0", id: 4, method: 7 }, 4],
        [{ jsonrpc: "2.0", id: { x: 1 }, method: "echo" }, null],
        [{ jsonrpc: "2.0", id: [1], method: "echo" }, null],
        [{ jsonrpc: "2.0", id: true, method: "echo" }, null],
        [{ jsonrpc: "2.0", id: 5, method: "echo", params: "flat" }, 5],
        // Not a notification: invalid requests are answered even without an id.
        [{ jsonrpc: "2.0", method: 1 }, null],
      ];
      for (const [body, id] of cases) {
        const r = await postJson(port, body);
        assert.deepEqual(
          r,
          { jsonrpc: "2.0", id, error: { code: -32600, message: "Invalid request" } },
          JSON.stringify(body),
        );
      }
    });

    it("answers an empty batch with one -32600 and invalid batch members each with -32600", async () => {
      const { port } = await start();
      assert.deepEqual(await postJson(port, []), {
        jsonrpc: "2.0",
        id: null,
        error: { code: -32600, message: "Invalid request" },
      });
      const r = await postJson(port, [1, { jsonrpc: "2.0", id: 9, method: "add", params: [1, 2] }, "x"]);
      assert.deepEqual(
        r.map((x: Json) => [x.id, x.result ?? x.error?.code]),
        [
          [null, -32600],
          [9, 3],
          [null, -32600],
        ],
      );
    });

    it("answers an unknown method with -32601", async () => {
      const { port } = await start();
      const r = await postJson(port, { jsonrpc: "2.0", id: 1, method: "chain_getNothing" });
      assert.deepEqual(r.error, { code: -32601, message: "Method not found" });
    });

    it("answers refused params with -32602 and the reason in data", async () => {
      const { port } = await start();
      const r = await postJson(port, { jsonrpc: "2.0", id: 1, method: "add", params: ["a"] });
      assert.deepEqual(r.error, { code: -32602, message: "Invalid params", data: "expected two numbers" });
    });

    it("passes a method's own RpcError code and data through (Substrate's 1010 invalid transaction)", async () => {
      const { port } = await start();
      const r = await postJson(port, { jsonrpc: "2.0", id: 1, method: "txInvalid" });
      assert.deepEqual(r.error, {
        code: 1010,
        message: "Invalid Transaction",
        data: "Transaction has a bad signature",
      });
    });

    it("answers a throwing method with -32603 without a stack, logs it and keeps serving", async () => {
      const { logger, entries } = recordingLogger();
      const { port } = await start({}, { logger });
      const r = await postJson(port, { jsonrpc: "2.0", id: 1, method: "boom" });
      assert.deepEqual(r.error, { code: -32603, message: "Internal error", data: "kaboom" });
      assert.ok(!JSON.stringify(r).includes("at "), "no stack trace in the answer");
      assert.ok(entries.some((e) => e.level === "warn" && e.obj.method === "boom"));
      assert.equal((await postJson(port, { jsonrpc: "2.0", id: 2, method: "add", params: [1, 2] })).result, 3);
    });

    it("refuses other content types with 415 and other HTTP methods with 405", async () => {
      const { port } = await start();
      const text = await post(port, { jsonrpc: "2.0", id: 1, method: "echo" }, { "Content-Type": "text/plain" });
      assert.equal(text.status, 415);
      assert.equal((await http(port, { method: "GET", path: "/" })).status, 405);
      assert.equal((await http(port, { method: "PUT", path: "/" })).status, 405);
    });

    it("lists every method, alias and subscription name sorted in rpc_methods", async () => {
      const { port } = await start();
      const r = await postJson(port, { jsonrpc: "2.0", id: 1, method: "rpc_methods" });
      const methods = (r.result as { methods: string[] }).methods;
      assert.deepEqual(methods, [...methods].sort());
      for (const name of [
        "rpc_methods",
        "echo",
        "echo_alias",
        "author_rotateKeys",
        "test_subscribe",
        "test_sub",
        "test_unsubscribe",
        "test_unsub",
      ])
        assert.ok(methods.includes(name), name);
      assert.ok(!methods.includes("test_notification"), "notifications are not methods");
    });
  });

  describe("limits", () => {
    it("answers an oversized HTTP body with 413 and -32007, and serves the next request", async () => {
      const { port } = await start({ maxRequestBytes: 1024 });
      const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "echo", params: ["x".repeat(2000)] });
      const r = await post(port, body);
      assert.equal(r.status, 413);
      assert.deepEqual(JSON.parse(r.text), {
        jsonrpc: "2.0",
        id: null,
        error: { code: -32007, message: "Request is too big", data: "Exceeded max limit of 1024" },
      });
      assert.equal((await postJson(port, { jsonrpc: "2.0", id: 2, method: "add", params: [1, 2] })).result, 3);
    });

    it("counts a chunked HTTP body (no Content-Length) against the limit too", async () => {
      const { port } = await start({ maxRequestBytes: 1024 });
      const r = await http(port, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        chunks: [`{"jsonrpc":"2.0","id":1,"method":"echo","params":["`, "y".repeat(1500), `"]}`],
      });
      assert.equal(r.status, 413);
      assert.equal(JSON.parse(r.text).error.code, -32007);
      assert.equal((await postJson(port, { jsonrpc: "2.0", id: 2, method: "add", params: [2, 2] })).result, 4);
    });

    it("answers an oversized WebSocket message with -32007 and keeps the connection", async () => {
      const { port } = await start({ maxRequestBytes: 1024 });
      const c = await Client.open(port);
      c.send({ jsonrpc: "2.0", id: 1, method: "echo", params: ["z".repeat(1500)] });
      const r = await c.nextResponse();
      assert.deepEqual(r, {
        jsonrpc: "2.0",
        id: null,
        error: { code: -32007, message: "Request is too big", data: "Exceeded max limit of 1024" },
      });
      assert.equal((await c.call("add", [3, 4])).result, 7);
    });

    it("closes a connection sending a message far beyond the limit (1009) and serves new ones", async () => {
      const { port } = await start({ maxRequestBytes: 1024 });
      const c = await Client.open(port);
      c.ws.on("error", () => {});
      c.send({ jsonrpc: "2.0", id: 1, method: "echo", params: ["z".repeat(5000)] });
      assert.equal((await c.closed).code, 1009);
      const d = await Client.open(port);
      assert.equal((await d.call("add", [1, 1])).result, 2);
    });

    it("answers a result larger than maxResponseBytes with -32008", async () => {
      const { port } = await start({ maxResponseBytes: 1000 });
      const r = await postJson(port, { jsonrpc: "2.0", id: 1, method: "big", params: [2000] });
      assert.deepEqual(r.error, { code: -32008, message: "Response is too big", data: "Exceeded max limit of 1000" });
      assert.equal(
        (await postJson(port, { jsonrpc: "2.0", id: 2, method: "big", params: [10] })).result,
        "x".repeat(10),
      );
    });

    it("answers a batch whose responses together exceed maxResponseBytes with one -32011", async () => {
      const { port } = await start({ maxResponseBytes: 1000 });
      const batch = [1, 2, 3].map((id) => ({ jsonrpc: "2.0", id, method: "big", params: [400] }));
      const r = await postJson(port, batch);
      assert.equal(r.id, null);
      assert.equal(r.error?.code, -32011);
    });

    it("refuses connections beyond maxConnections with 429, and accepts again once one closes", async () => {
      const { server, port } = await start({ maxConnections: 2 });
      const a = await Client.open(port);
      await Client.open(port);
      assert.equal(await refusedUpgrade(port), 429);
      assert.equal((await http(port, { method: "POST", path: "/" })).status, 429);
      a.ws.close();
      await a.closed;
      await until(() => server.connectionCount < 2);
      const c = await Client.open(port);
      assert.equal((await c.call("add", [1, 2])).result, 3);
    });

    it("drops a WebSocket client that stops reading once its queue passes maxBufferedBytes", async () => {
      const { logger, entries } = recordingLogger();
      const { port, probe } = await start({ maxBufferedBytes: 256 * 1024 }, { logger });
      const c = await Client.open(port);
      const sub = await c.call("test_subscribe");
      const sink = probe.sinks[0]!;
      // The client's socket stops reading: what the server sends piles up in its buffers.
      (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const chunk = "n".repeat(64 * 1024);
      let sent = 0;
      while (sink.send(chunk) && sent < 2000) sent++;
      assert.ok(sent < 2000, "the server stopped accepting notifications");
      await until(() => probe.cleaned.includes(sub.result as string));
      assert.ok(sink.closed);
      assert.ok(entries.some((e) => e.level === "warn" && e.msg.includes("Dropping")));
    });

    it("drops a WebSocket client that does not answer pings", async () => {
      const { port, probe } = await start({ wsPingIntervalMs: 50 });
      const c = await Client.open(port, { autoPong: false });
      const sub = await c.call("test_subscribe");
      await c.closed;
      await until(() => probe.cleaned.includes(sub.result as string));
      const live = await Client.open(port);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal((await live.call("add", [1, 1])).result, 2, "a client answering pings stays");
    });
  });

  describe("subscriptions", () => {
    it("gives a string id, sends notifications after the answer, and unsubscribes once", async () => {
      const { port, probe } = await start();
      const c = await Client.open(port);
      const order: Json[] = [];
      c.ws.on("message", (d) => order.push(JSON.parse(d.toString())));
      const r = await c.call("test_subscribe", []);
      const subId = r.result as string;
      assert.match(subId, /^[A-Za-z0-9]{16}$/);
      // "hello" was sent while subscribing: it arrives after the answer carrying the id.
      const first = await c.waitFor((m) => m.method === "test_notification");
      assert.deepEqual(first, {
        jsonrpc: "2.0",
        method: "test_notification",
        params: { subscription: subId, result: "hello" },
      });
      assert.equal(order[0]!.id, r.id);
      assert.ok(probe.sinks[0]!.send({ n: 2 }));
      assert.deepEqual((await c.waitFor((m) => m.method === "test_notification")).params, {
        subscription: subId,
        result: { n: 2 },
      });
      assert.equal((await c.call("test_unsubscribe", [subId])).result, true);
      assert.deepEqual(probe.cleaned, [subId]);
      assert.ok(probe.sinks[0]!.closed);
      assert.equal(probe.sinks[0]!.send("late"), false);
      assert.equal((await c.call("test_unsubscribe", [subId])).result, false);
      assert.deepEqual(probe.cleaned, [subId], "the cleanup ran once");
    });

    it("answers false for unknown ids, unreadable params and another kind's unsubscribe", async () => {
      const { port } = await start();
      const c = await Client.open(port);
      const subId = (await c.call("test_sub")).result as string;
      assert.equal((await c.call("test_unsubscribe", ["nope"])).result, false);
      assert.equal((await c.call("test_unsubscribe", [])).result, false);
      assert.equal((await c.call("test_unsubscribe", { id: subId })).result, false);
      assert.equal((await c.call("other_unsubscribe", [subId])).result, false);
      assert.equal((await c.call("test_unsub", [subId])).result, true);
    });

    it("does not let one connection unsubscribe another's subscription", async () => {
      const { port } = await start();
      const a = await Client.open(port);
      const b = await Client.open(port);
      const subId = (await a.call("test_subscribe")).result as string;
      assert.equal((await b.call("test_unsubscribe", [subId])).result, false);
      assert.equal((await a.call("test_unsubscribe", [subId])).result, true);
    });

    it("ends a subscription closed by the server: cleanup runs, sends are no-ops", async () => {
      const { port, probe } = await start();
      const c = await Client.open(port);
      const subId = (await c.call("test_subscribe")).result as string;
      probe.sinks[0]!.close();
      probe.sinks[0]!.close();
      assert.deepEqual(probe.cleaned, [subId]);
      assert.equal(probe.sinks[0]!.send("after close"), false);
      assert.equal((await c.call("test_unsubscribe", [subId])).result, false);
    });

    it("refuses subscriptions beyond maxSubscriptionsPerConnection with -32006", async () => {
      const { port } = await start({ maxSubscriptionsPerConnection: 2 });
      const c = await Client.open(port);
      const first = (await c.call("test_subscribe")).result as string;
      await c.call("test_subscribe");
      const third = await c.call("test_subscribe");
      assert.deepEqual(third.error, {
        code: -32006,
        message: "Too many subscriptions on the connection",
        data: "Exceeded max limit of 2",
      });
      // The limit is per connection.
      const other = await Client.open(port);
      assert.equal(typeof (await other.call("test_subscribe")).result, "string");
      assert.equal((await c.call("test_unsubscribe", [first])).result, true);
      assert.equal(typeof (await c.call("test_subscribe")).result, "string");
    });

    it("answers a refused subscribe with its error and does not count it", async () => {
      const { port, probe } = await start({ maxSubscriptionsPerConnection: 1 });
      const c = await Client.open(port);
      const r = await c.call("test_subscribe", ["refuse"]);
      assert.deepEqual(r.error, { code: -32602, message: "Invalid params", data: "refused" });
      assert.equal(probe.cleaned.length, 0);
      assert.equal(typeof (await c.call("test_subscribe")).result, "string");
    });

    it("runs every subscription's cleanup when the client's socket closes", async () => {
      const { port, probe } = await start();
      const c = await Client.open(port);
      const a = (await c.call("test_subscribe")).result as string;
      const b = (await c.call("test_subscribe")).result as string;
      c.ws.close();
      await until(() => probe.cleaned.length === 2);
      assert.deepEqual([...probe.cleaned].sort(), [a, b].sort());
      assert.ok(probe.sinks.every((s) => s.closed));
    });

    it("runs the cleanup of a subscription whose connection closed while its handler was running", async () => {
      const server = createRpcServer({ port: 0, wsPingIntervalMs: 0 });
      servers.push(server);
      let release: () => void = () => {};
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let cleaned = 0;
      let sinkSeen: SubscriptionSink | undefined;
      server.registerSubscription(
        { subscribe: "slow_subscribe", unsubscribe: "slow_unsubscribe", notification: "slow_notification" },
        async (_params, sink) => {
          sinkSeen = sink;
          await gate;
          return () => {
            cleaned++;
          };
        },
      );
      await server.listen();
      const c = await Client.open(server.address().port);
      c.send({ jsonrpc: "2.0", id: 1, method: "slow_subscribe" });
      await until(() => sinkSeen !== undefined);
      c.ws.close();
      await c.closed;
      await until(() => sinkSeen!.closed);
      release();
      await until(() => cleaned === 1);
    });

    it("answers a subscribe over HTTP with an error", async () => {
      const { port, probe } = await start();
      const r = await postJson(port, { jsonrpc: "2.0", id: 1, method: "test_subscribe" });
      assert.deepEqual(r.error, { code: -32603, message: "Subscriptions are only supported over WebSocket" });
      assert.equal(probe.sinks.length, 0);
      const u = await postJson(port, { jsonrpc: "2.0", id: 2, method: "test_unsubscribe", params: ["x"] });
      assert.equal(u.error?.code, -32603);
    });

    it("sends a batch's subscription notifications only after the batch answer", async () => {
      const { port } = await start();
      const c = await Client.open(port);
      const order: Json[] = [];
      c.ws.on("message", (d) => order.push(JSON.parse(d.toString())));
      c.send([
        { jsonrpc: "2.0", id: 1, method: "test_subscribe" },
        { jsonrpc: "2.0", id: 2, method: "add", params: [1, 2] },
      ]);
      await until(() => order.length === 2);
      assert.ok(Array.isArray(order[0]));
      assert.equal((order[1] as Json).method, "test_notification");
    });
  });

  describe("WebSocket calls", () => {
    it("answers calls, batches, parse errors and unknown methods over WebSocket", async () => {
      const { port } = await start();
      const c = await Client.open(port);
      assert.equal((await c.call("add", [5, 6])).result, 11);
      assert.deepEqual((await c.call("nope")).error, { code: -32601, message: "Method not found" });
      c.send("{not json");
      assert.deepEqual(await c.nextResponse(), {
        jsonrpc: "2.0",
        id: null,
        error: { code: -32700, message: "Parse error" },
      });
      c.send([
        { jsonrpc: "2.0", id: "a", method: "add", params: [1, 1] },
        { jsonrpc: "2.0", method: "count" },
      ]);
      const batch = (await c.waitFor((m) => Array.isArray(m))) as unknown as Json[];
      assert.deepEqual(batch, [{ jsonrpc: "2.0", id: "a", result: 2 }]);
    });

    it("sends nothing for a batch of notifications", async () => {
      const { port, counter } = await start();
      const c = await Client.open(port);
      c.send([
        { jsonrpc: "2.0", method: "count" },
        { jsonrpc: "2.0", method: "count" },
      ]);
      assert.equal((await c.call("add", [0, 0])).result, 0);
      assert.equal(counter.calls, 2);
      assert.equal(c.notifications().length, 0);
    });

    it("keeps serving after a throwing method", async () => {
      const { port } = await start();
      const c = await Client.open(port);
      assert.equal((await c.call("boom")).error?.code, -32603);
      assert.equal((await c.call("add", [1, 2])).result, 3);
    });
  });

  describe("unsafe methods", () => {
    it("refuses unsafe methods in safe mode as Substrate does", async () => {
      const { port } = await start({ methods: "safe" });
      const r = await postJson(port, { jsonrpc: "2.0", id: 1, method: "author_rotateKeys" });
      assert.deepEqual(r.error, { code: -32601, message: "RPC call is unsafe to be called externally" });
      assert.equal((await postJson(port, { jsonrpc: "2.0", id: 2, method: "add", params: [1, 2] })).result, 3);
    });

    it("allows unsafe methods in unsafe mode", async () => {
      const { port } = await start({ methods: "unsafe" });
      assert.equal((await postJson(port, { jsonrpc: "2.0", id: 1, method: "author_rotateKeys" })).result, "0xkeys");
    });

    it("allows unsafe methods in auto mode on 127.0.0.1 and denies them on an external interface", async () => {
      const { server, port } = await start({ methods: "auto", host: "127.0.0.1" });
      assert.equal(server.denyUnsafe, false);
      assert.equal((await postJson(port, { jsonrpc: "2.0", id: 1, method: "author_rotateKeys" })).result, "0xkeys");
      assert.equal(createRpcServer({ host: "0.0.0.0", methods: "auto" }).denyUnsafe, true);
      assert.equal(createRpcServer({ host: "0.0.0.0", methods: "unsafe" }).denyUnsafe, false);
      assert.equal(createRpcServer({ host: "127.0.0.1", methods: "safe" }).denyUnsafe, true);
    });

    it("refuses an unsafe subscription in safe mode but always lets unsubscribing happen", async () => {
      const server = createRpcServer({ port: 0, methods: "safe", wsPingIntervalMs: 0 });
      servers.push(server);
      server.registerSubscription(
        { subscribe: "u_subscribe", unsubscribe: "u_unsubscribe", notification: "u_n", unsafe: true },
        () => undefined,
      );
      await server.listen();
      const c = await Client.open(server.address().port);
      assert.equal((await c.call("u_subscribe")).error?.message, "RPC call is unsafe to be called externally");
      assert.equal((await c.call("u_unsubscribe", ["x"])).result, false);
    });

    it("tells methods whether unsafe calls are denied", async () => {
      const server = createRpcServer({ port: 0, methods: "safe", wsPingIntervalMs: 0 });
      servers.push(server);
      server.register("ctx", (_p, ctx) => ctx);
      await server.listen();
      const r = await postJson(server.address().port, { jsonrpc: "2.0", id: 1, method: "ctx" });
      const ctx = r.result as Record<string, unknown>;
      assert.equal(ctx.denyUnsafe, true);
      assert.equal(ctx.transport, "http");
      assert.equal(typeof ctx.connectionId, "number");
    });
  });

  describe("CORS", () => {
    const call = { jsonrpc: "2.0", id: 1, method: "add", params: [1, 2] };

    it("answers an allowed origin on HTTP with Access-Control-Allow-Origin", async () => {
      const { port } = await start();
      const r = await post(port, call, { Origin: "http://localhost:3000" });
      assert.equal(r.status, 200);
      assert.equal(r.headers["access-control-allow-origin"], "http://localhost:3000");
      assert.equal(JSON.parse(r.text).result, 3);
      const apps = await post(port, call, { Origin: "https://polkadot.js.org" });
      assert.equal(apps.headers["access-control-allow-origin"], "https://polkadot.js.org");
    });

    it("refuses a disallowed origin on HTTP with 403 and no CORS header", async () => {
      const { port, counter } = await start();
      const r = await post(port, { jsonrpc: "2.0", id: 1, method: "count" }, { Origin: "https://evil.example" });
      assert.equal(r.status, 403);
      assert.equal(r.headers["access-control-allow-origin"], undefined);
      assert.equal(counter.calls, 0, "the call did not run");
    });

    it("answers a preflight from an allowed origin and refuses one from another", async () => {
      const { port } = await start();
      const ok = await http(port, {
        method: "OPTIONS",
        headers: {
          Origin: "http://127.0.0.1:8080",
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "content-type",
        },
      });
      assert.equal(ok.status, 204);
      assert.equal(ok.headers["access-control-allow-origin"], "http://127.0.0.1:8080");
      assert.match(String(ok.headers["access-control-allow-methods"]), /POST/);
      assert.equal(ok.headers["access-control-allow-headers"], "content-type");
      const no = await http(port, { method: "OPTIONS", headers: { Origin: "http://evil.example" } });
      assert.equal(no.status, 403);
    });

    it("allows any origin with cors 'all' and requests without Origin always", async () => {
      const { port } = await start({ cors: "all" });
      const r = await post(port, call, { Origin: "https://anything.example" });
      assert.equal(r.status, 200);
      assert.equal(r.headers["access-control-allow-origin"], "*");
      const restricted = await start({ cors: ["https://only.example"] });
      assert.equal((await post(restricted.port, call)).status, 200);
    });

    it("accepts WebSocket connections from allowed origins and without Origin, refuses others with 403", async () => {
      const { port } = await start();
      const ok = await Client.open(port, { origin: "https://localhost:9000" });
      assert.equal((await ok.call("add", [1, 1])).result, 2);
      const none = await Client.open(port);
      assert.equal((await none.call("add", [2, 2])).result, 4);
      assert.equal(await refusedUpgrade(port, { origin: "https://evil.example" }), 403);
      assert.equal(await refusedUpgrade(port, { origin: "http://localhost.evil.example:80" }), 403);
    });

    it("matches origins: ':*' is any port or none, case is ignored", () => {
      const cors = ["http://localhost:*", "https://polkadot.js.org"];
      assert.ok(isOriginAllowed("http://localhost:3000", cors));
      assert.ok(isOriginAllowed("http://localhost", cors));
      assert.ok(isOriginAllowed("HTTPS://Polkadot.JS.org", cors));
      assert.ok(!isOriginAllowed("http://localhost:3000.evil.example", cors));
      assert.ok(!isOriginAllowed("http://localhostx:3000", cors));
      assert.ok(!isOriginAllowed("https://polkadot.js.org.evil.example", cors));
      assert.ok(!isOriginAllowed("null", cors));
      assert.ok(isOriginAllowed("null", "all"));
    });
  });

  describe("health", () => {
    it("answers GET /health with the node's health as JSON", async () => {
      const { port } = await start({}, healthModule({ peers: 3, isSyncing: false, shouldHavePeers: true }));
      const r = await http(port, { path: "/health" });
      assert.equal(r.status, 200);
      assert.match(String(r.headers["content-type"]), /application\/json/);
      assert.deepEqual(JSON.parse(r.text), { peers: 3, isSyncing: false, shouldHavePeers: true });
    });

    it("answers /health/readiness 200 when synced with peers, 500 when syncing or alone", async () => {
      const cases: [NodeHealth, number][] = [
        [{ peers: 2, isSyncing: false, shouldHavePeers: true }, 200],
        [{ peers: 2, isSyncing: true, shouldHavePeers: true }, 500],
        [{ peers: 0, isSyncing: false, shouldHavePeers: true }, 500],
        // A dev chain is not expected to have peers (polkadot-sdk node_health.rs).
        [{ peers: 0, isSyncing: false, shouldHavePeers: false }, 200],
      ];
      for (const [health, status] of cases) {
        const { port } = await start({}, healthModule(health));
        assert.equal((await http(port, { path: "/health/readiness" })).status, status, JSON.stringify(health));
      }
    });

    it("answers 500 when the health source fails, 405 for other methods, 404 without a health source", async () => {
      const failing = await start(
        {},
        {
          health: () => {
            throw new Error("network gone");
          },
        },
      );
      assert.equal((await http(failing.port, { path: "/health" })).status, 500);
      const healthy = await start({}, healthModule({ peers: 1, isSyncing: false, shouldHavePeers: true }));
      assert.equal((await http(healthy.port, { method: "POST", path: "/health" })).status, 405);
      const none = await start();
      assert.equal((await http(none.port, { path: "/health" })).status, 404);
    });
  });

  describe("lifecycle", () => {
    it("binds an ephemeral port with port 0", async () => {
      const { server, port } = await start({ port: 0 });
      assert.ok(port > 0);
      assert.equal(server.address().host, "127.0.0.1");
    });

    it("rejects with PORT_IN_USE when another server has the port", async () => {
      const blocker = createNetServer();
      netServers.push(blocker);
      await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
      const port = (blocker.address() as { port: number }).port;
      const server = createRpcServer({ port, host: "127.0.0.1" });
      servers.push(server);
      const err = await server.listen().then(
        () => assert.fail("listen should fail"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof RpcServerError);
      assert.equal(err.code, "PORT_IN_USE");
      assert.deepEqual(err.type, { code: "PORT_IN_USE", host: "127.0.0.1", port });
      assert.equal(err.message, `RPC port ${port} on 127.0.0.1 is already in use`);
    });

    it("rejects with LISTEN_FAILED for an address that is not local", async () => {
      const server = createRpcServer({ port: 0, host: "203.0.113.7" });
      servers.push(server);
      await assert.rejects(server.listen(), (e: unknown) => e instanceof RpcServerError && e.code === "LISTEN_FAILED");
    });

    it("throws NOT_LISTENING from address() before listen()", () => {
      const server = createRpcServer({ port: 0 });
      assert.throws(
        () => server.address(),
        (e: unknown) => e instanceof RpcServerError && e.code === "NOT_LISTENING",
      );
    });

    it("closes every connection and subscription, twice safely, and does not listen again", async () => {
      const { server, probe, port } = await start();
      const c = await Client.open(port);
      const subId = (await c.call("test_subscribe")).result as string;
      await Promise.all([server.close(), server.close()]);
      await server.close();
      assert.equal((await c.closed).code, 1001);
      assert.deepEqual(probe.cleaned, [subId]);
      await assert.rejects(http(port, { path: "/health" }));
      await assert.rejects(server.listen(), (e: unknown) => e instanceof RpcServerError && e.code === "SERVER_CLOSED");
    });

    it("closes a server that never listened", async () => {
      const server = createRpcServer({ port: 0 });
      await server.close();
      await server.close();
    });

    it("shares one bind between concurrent listen() calls and releases the port when closed meanwhile", async () => {
      const server = createRpcServer({ port: 0, wsPingIntervalMs: 0 });
      servers.push(server);
      const first = server.listen();
      const second = server.listen();
      const closed = server.close();
      await Promise.all([first, second, closed]);
      assert.throws(
        () => server.address(),
        (e: unknown) => e instanceof RpcServerError && e.code === "NOT_LISTENING",
      );
    });

    it("refuses a name registered twice, aliases and subscription names included", async () => {
      const server = createRpcServer({ port: 0 });
      server.register("a", () => 1, { aliases: ["b"] });
      const dup = (e: unknown) => e instanceof RpcServerError && e.code === "DUPLICATE_METHOD";
      assert.throws(() => server.register("b", () => 2), dup);
      assert.throws(() => server.register("rpc_methods", () => 2), dup);
      assert.throws(() => server.register("c", () => 2, { aliases: ["c"] }), dup);
      assert.throws(
        () => server.registerSubscription({ subscribe: "s", unsubscribe: "a", notification: "n" }, () => undefined),
        dup,
      );
      assert.throws(
        () => server.register("", () => 1),
        (e: unknown) => e instanceof RpcServerError && e.code === "INVALID_METHOD_NAME",
      );
    });

    it("reports calls and WebSocket sessions to the metrics", async () => {
      const calls: [string, boolean, string][] = [];
      let sessions = 0;
      const { port } = await start(
        {},
        {
          metrics: {
            onCall: (method, ok, seconds, transport) => {
              assert.ok(seconds >= 0);
              calls.push([method, ok, transport]);
            },
            onConnection: (delta) => {
              sessions += delta;
            },
          },
        },
      );
      await postJson(port, { jsonrpc: "2.0", id: 1, method: "add", params: [1, 2] });
      await postJson(port, { jsonrpc: "2.0", id: 2, method: "unknown_thing" });
      const c = await Client.open(port);
      await c.call("boom");
      assert.equal(sessions, 1);
      assert.deepEqual(calls, [
        ["add", true, "http"],
        ["boom", false, "ws"],
      ]);
      c.ws.close();
      await until(() => sessions === 0);
    });
  });

  it("knows loopback hosts", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"])
      assert.ok(isLoopbackHost(h), h);
    for (const h of ["0.0.0.0", "::", "192.168.1.2", "example.com", "128.0.0.1"]) assert.ok(!isLoopbackHost(h), h);
  });
});
