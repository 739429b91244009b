import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import type { Libp2p, Stream } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import {
  decodeErrorMessage,
  type Network,
  ReqRespError,
  type ReqRespErrorType,
  type ReqRespProtocol,
  ResponseStatus,
  readResponse,
  streamSource,
} from "../../src/index.js";
import { startNodes, stopAll, type TestNode, waitFor } from "../utils/index.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const unlimited = { requests: 1000, perMs: 1000 };

function isReqRespError(code: ReqRespErrorType["code"], check?: (e: ReqRespError) => void) {
  return (err: unknown) => {
    assert.ok(err instanceof ReqRespError, `expected a ReqRespError, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    check?.(err);
    return true;
  };
}

/** The protocols node 0 serves. */
function serverProtocols(slowStarted: { count: number; aborted: number }): ReqRespProtocol[] {
  return [
    {
      name: "echo",
      maxRequestBytes: 1024,
      maxResponseBytes: 1024,
      timeoutMs: 5000,
      rateLimit: unlimited,
      handle: async (req, from) => new Uint8Array([...enc(`${from.slice(-4)}:`), ...req]),
    },
    {
      name: "fail",
      maxRequestBytes: 1024,
      maxResponseBytes: 1024,
      timeoutMs: 5000,
      rateLimit: unlimited,
      handle: async (req) => {
        throw new Error(`no block with hash ${dec(req)}`);
      },
    },
    {
      name: "slow",
      maxRequestBytes: 1024,
      maxResponseBytes: 1024,
      timeoutMs: 1500,
      rateLimit: unlimited,
      handle: (_req, _from, { signal }) => {
        slowStarted.count++;
        // Never answers in time; gives up when the server's own deadline aborts the signal.
        return new Promise((_resolve, reject) => {
          signal.addEventListener("abort", () => {
            slowStarted.aborted++;
            reject(new Error("aborted"));
          });
        });
      },
    },
    {
      name: "limited",
      maxRequestBytes: 1024,
      maxResponseBytes: 1024,
      timeoutMs: 5000,
      rateLimit: { requests: 3, perMs: 60_000 },
      handle: async () => enc("ok"),
    },
    {
      name: "blob",
      maxRequestBytes: 16,
      maxResponseBytes: 1 << 20,
      timeoutMs: 5000,
      rateLimit: unlimited,
      handle: async (req) => new Uint8Array(Number(dec(req))).fill(7),
    },
  ];
}

describe("request/response between real nodes", () => {
  const registry: Network[] = [];
  const slow = { count: 0, aborted: 0 };
  let nodes: TestNode[];
  let raw: Libp2p | undefined;
  const server = () => (nodes[0] as TestNode).net;
  const client = () => (nodes[1] as TestNode).net;
  const inbound = (name: string) =>
    (nodes[0] as TestNode).metrics.inbound.filter((x) => x.protocol === server().reqresp.protocolId(name));

  before(async () => {
    nodes = await startNodes(3, registry, {
      keyBase: 200,
      setup: (net, i) => {
        if (i === 0) for (const p of serverProtocols(slow)) net.reqresp.register(p);
        // Node 2 serves echo too, so it knows echo's request limit and checks it before sending.
        if (i === 2) net.reqresp.register(serverProtocols(slow)[0] as ReqRespProtocol);
      },
    });
  });

  after(async () => {
    await raw?.stop();
    await stopAll(registry);
  });

  test("a request gets its response; outcomes are counted on both sides", async () => {
    const res = await client().reqresp.request(server().peerId, "echo", enc("ping"));
    assert.equal(dec(res), `${client().peerId.slice(-4)}:ping`);
    await waitFor(() => inbound("echo").some((x) => x.outcome === "ok"), "server counted ok");
    assert.deepEqual((nodes[1] as TestNode).metrics.outbound.at(-1), {
      protocol: `/parapipe/abababab/echo/1`,
      outcome: "ok",
    });
    // An empty request and a large (1 MiB) response both go through.
    const big = await client().reqresp.request(server().peerId, "blob", enc(String(1 << 20)));
    assert.equal(big.length, 1 << 20);
    assert.ok(big.every((b) => b === 7));
  });

  test("a failing handler becomes REMOTE_ERROR carrying the remote message", async () => {
    await assert.rejects(
      client().reqresp.request(server().peerId, "fail", enc("0xdead")),
      isReqRespError("REMOTE_ERROR", (e) => {
        assert.equal(e.type.code === "REMOTE_ERROR" && e.type.remoteMessage, "no block with hash 0xdead");
        assert.match(e.message, /no block with hash 0xdead/);
      }),
    );
    await waitFor(() => inbound("fail").some((x) => x.outcome === "handler_error"), "handler_error counted");
  });

  test("a request over the server's limit gets REQUEST_TOO_LARGE and the server keeps serving", async () => {
    await assert.rejects(
      client().reqresp.request(server().peerId, "echo", new Uint8Array(4096)),
      isReqRespError("REQUEST_TOO_LARGE", (e) =>
        assert.equal(e.type.code === "REQUEST_TOO_LARGE" && e.type.remote, true),
      ),
    );
    await waitFor(() => inbound("echo").some((x) => x.outcome === "request_too_large"), "request_too_large counted");
    assert.equal(dec(await client().reqresp.request(server().peerId, "echo", enc("again"))).endsWith("again"), true);
  });

  test("a node that serves the protocol itself refuses an oversized request before sending it", async () => {
    const before = inbound("echo").length;
    await assert.rejects(
      (nodes[2] as TestNode).net.reqresp.request(server().peerId, "echo", new Uint8Array(2048)),
      isReqRespError("REQUEST_TOO_LARGE", (e) =>
        assert.equal(e.type.code === "REQUEST_TOO_LARGE" && e.type.remote, false),
      ),
    );
    assert.equal(inbound("echo").length, before, "nothing reached the server");
  });

  test("a slow handler makes the request fail with TIMEOUT; the handler is told to stop", async () => {
    const t0 = Date.now();
    await assert.rejects(
      client().reqresp.request(server().peerId, "slow", enc("x"), { timeoutMs: 300 }),
      isReqRespError("TIMEOUT", (e) => assert.equal(e.type.code === "TIMEOUT" && e.type.timeoutMs, 300)),
    );
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 290 && elapsed < 1400, `failed after ${elapsed} ms`);
    assert.equal(slow.count, 1);
    await waitFor(() => slow.aborted === 1, "server-side handler aborted", 5000);
    await waitFor(() => inbound("slow").length === 1, "server counted the slow request");
    assert.notEqual(inbound("slow")[0]?.outcome, "ok");
  });

  test("the per-peer rate limit answers RATE_LIMITED once the budget is spent, per peer", async () => {
    for (let i = 0; i < 3; i++)
      assert.equal(dec(await client().reqresp.request(server().peerId, "limited", enc("q"))), "ok");
    await assert.rejects(
      client().reqresp.request(server().peerId, "limited", enc("q")),
      isReqRespError("RATE_LIMITED"),
    );
    await waitFor(() => inbound("limited").some((x) => x.outcome === "rate_limited"), "rate_limited counted");
    // Another peer has its own budget.
    assert.equal(dec(await (nodes[2] as TestNode).net.reqresp.request(server().peerId, "limited", enc("q"))), "ok");
  });

  test("a response above the requester's limit fails with RESPONSE_TOO_LARGE", async () => {
    await assert.rejects(
      client().reqresp.request(server().peerId, "blob", enc("5000"), { maxResponseBytes: 4096 }),
      isReqRespError("RESPONSE_TOO_LARGE"),
    );
    assert.equal(
      (await client().reqresp.request(server().peerId, "blob", enc("4096"), { maxResponseBytes: 4096 })).length,
      4096,
    );
  });

  test("unknown protocols and unreachable peers fail with UNKNOWN_PROTOCOL and DIAL_FAILED", async () => {
    await assert.rejects(
      client().reqresp.request(server().peerId, "nope", enc("x")),
      isReqRespError("UNKNOWN_PROTOCOL"),
    );
    // A valid PeerId nobody listens for.
    const stranger = "12D3KooWKboNQffHfoSjqM8BGNRmdjXKQ7g1k9MiJxQSYtaepSm3";
    await assert.rejects(
      client().reqresp.request(stranger, "echo", enc("x"), { timeoutMs: 3000 }),
      isReqRespError("DIAL_FAILED"),
    );
    await assert.rejects(client().reqresp.request("not-a-peer-id", "echo", enc("x")), isReqRespError("DIAL_FAILED"));
  });

  test("raw garbage on a protocol stream gets an error response and the server keeps serving", async () => {
    raw = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] });
    await raw.start();
    const target = (nodes[0] as TestNode).addr;
    const protocol = server().reqresp.protocolId("echo");
    const sendRaw = async (chunks: Uint8Array[]) => {
      const stream: Stream = await (raw as Libp2p).dialProtocol(multiaddr(target), protocol);
      for (const c of chunks) stream.send(c);
      await stream.close();
      return readResponse(streamSource(stream), 1024);
    };
    // A varint length prefix that never ends.
    const bad = await sendRaw([new Uint8Array(12).fill(0xff)]);
    assert.equal(bad.status, ResponseStatus.INVALID_REQUEST);
    assert.match(decodeErrorMessage(bad.payload), /length prefix/);
    // A length of 100 followed by 10 bytes, then end of stream.
    const truncated = await sendRaw([new Uint8Array([100]), new Uint8Array(10)]);
    assert.equal(truncated.status, ResponseStatus.INVALID_REQUEST);
    assert.match(decodeErrorMessage(truncated.payload), /truncated/);
    // A length prefix of 2 MiB - 1 followed by junk: refused from the prefix alone.
    const huge = await sendRaw([new Uint8Array([0xff, 0xff, 0x7f]), new Uint8Array(100).fill(0x55)]);
    assert.equal(huge.status, ResponseStatus.REQUEST_TOO_LARGE);
    assert.match(decodeErrorMessage(huge.payload), /exceeds 1024 bytes/);
    // Pseudo-random junk (fixed seed): refused one way or the other, never handled.
    let x = 12345;
    const junk = Uint8Array.from({ length: 300 }, () => {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      return x >> 16;
    });
    const rand = await sendRaw([junk]);
    assert.ok(
      rand.status === ResponseStatus.REQUEST_TOO_LARGE || rand.status === ResponseStatus.INVALID_REQUEST,
      `status ${rand.status}`,
    );
    // Nothing at all.
    const empty = await sendRaw([]);
    assert.equal(empty.status, ResponseStatus.INVALID_REQUEST);

    const refused = () =>
      inbound("echo").filter((x) => x.outcome === "invalid_request" || x.outcome === "request_too_large");
    // 5 here plus the oversized request of an earlier test.
    await waitFor(
      () => refused().length === 6,
      () => `6 refusals counted, got ${JSON.stringify(inbound("echo"))}`,
    );
    assert.ok(
      server()
        .peers()
        .includes((raw as Libp2p).peerId.toString()),
      "the garbage sender is still connected",
    );
    assert.ok(dec(await client().reqresp.request(server().peerId, "echo", enc("still here"))).endsWith("still here"));
  });

  test("a client that sends half a request and stalls is cut off by the server's deadline", async () => {
    const stalled = await (raw as Libp2p).dialProtocol(
      peerIdFromString(server().peerId),
      server().reqresp.protocolId("slow"),
    );
    stalled.send(new Uint8Array([50, 1, 2, 3]));
    // The "slow" protocol's server deadline is 1.5 s; the stream must be closed by the server, not by us.
    await waitFor(() => stalled.status !== "open", "server aborted the stalled stream", 5000);
    await waitFor(() => inbound("slow").length === 2, "server counted the stalled request");
    assert.equal(inbound("slow")[1]?.outcome, "timeout");
  });
});
