import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Message, TopicValidatorResult } from "@libp2p/gossipsub";
import { peerIdFromString } from "@libp2p/peer-id";
import {
  createTopicValidator,
  GossipValidationError,
  OVERSIZE_CODE,
  runGossipHandler,
  toTopicValidatorResult,
  UNEXPECTED_ERROR_CODE,
  VerdictCounters,
  validateGossipMessage,
} from "../../src/index.js";
import { recordingMetrics, waitFor } from "../utils/index.js";

const TOPIC = "/parapipe/abababab/relay/block";
const PEER = "12D3KooWKboNQffHfoSjqM8BGNRmdjXKQ7g1k9MiJxQSYtaepSm3";

function setup() {
  const metrics = recordingMetrics();
  const logs: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  const log = (level: string) => (obj: Record<string, unknown>, msg: string) => logs.push({ level, msg, obj });
  const logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
  const counters = new VerdictCounters(metrics);
  return { metrics, logs, modules: { logger, counters }, counters };
}

/** A validator: 0x01 prefix required, 0x02 prefix means "already known". */
function validate(bytes: Uint8Array): string {
  // [REJECT] The first byte is a known version.
  if (bytes[0] === 0xff) throw new GossipValidationError("REJECT", { code: "BAD_VERSION", version: 0xff });
  // [IGNORE] The item is not already known.
  if (bytes[0] === 0x02) throw new GossipValidationError("IGNORE", { code: "ALREADY_KNOWN" });
  if (bytes[0] !== 0x01) throw new RangeError("decoder blew up");
  return new TextDecoder().decode(bytes.subarray(1));
}

describe("the gossip verdict adapter", () => {
  test("a valid message is ACCEPTed with its decoded value and counted", async () => {
    const { modules, counters, metrics } = setup();
    const out = await validateGossipMessage(
      { topic: TOPIC, maxBytes: 100, validate },
      new Uint8Array([1, 104, 105]),
      PEER,
      modules,
    );
    assert.deepEqual(out, { verdict: "ACCEPT", value: "hi" });
    assert.deepEqual(counters.snapshot(), { [TOPIC]: { ACCEPT: 1, IGNORE: 0, REJECT: 0, handlerErrors: 0 } });
    assert.deepEqual(metrics.verdicts, [{ topic: TOPIC, verdict: "ACCEPT", code: undefined }]);
  });

  test("GossipValidationError maps to its action; the code reaches logs (debug) and metrics", async () => {
    const { modules, counters, metrics, logs } = setup();
    const sub = { topic: TOPIC, maxBytes: 100, validate };
    assert.deepEqual(await validateGossipMessage(sub, new Uint8Array([0xff]), PEER, modules), {
      verdict: "REJECT",
      code: "BAD_VERSION",
    });
    assert.deepEqual(await validateGossipMessage(sub, new Uint8Array([2]), PEER, modules), {
      verdict: "IGNORE",
      code: "ALREADY_KNOWN",
    });
    assert.deepEqual(counters.snapshot()[TOPIC], { ACCEPT: 0, IGNORE: 1, REJECT: 1, handlerErrors: 0 });
    assert.deepEqual(
      metrics.verdicts.map((v) => [v.verdict, v.code]),
      [
        ["REJECT", "BAD_VERSION"],
        ["IGNORE", "ALREADY_KNOWN"],
      ],
    );
    assert.ok(
      logs.every((l) => l.level === "debug"),
      "network input is logged at debug only",
    );
    assert.equal(logs[0]?.obj.code, "BAD_VERSION");
  });

  test("any other exception is IGNORE (no penalty), logged at debug", async () => {
    const { modules, counters, logs } = setup();
    const out = await validateGossipMessage(
      { topic: TOPIC, maxBytes: 100, validate },
      new Uint8Array([7]),
      PEER,
      modules,
    );
    assert.deepEqual(out, { verdict: "IGNORE", code: UNEXPECTED_ERROR_CODE });
    assert.equal(counters.snapshot()[TOPIC]?.IGNORE, 1);
    assert.equal(logs[0]?.level, "debug");
    assert.equal(logs[0]?.obj.err, "decoder blew up");
  });

  test("an oversized message is REJECTed without calling validate; async validators are awaited", async () => {
    const { modules, counters } = setup();
    let calls = 0;
    const sub = {
      topic: TOPIC,
      maxBytes: 4,
      validate: async (b: Uint8Array) => {
        calls++;
        await new Promise((r) => setImmediate(r));
        if (b[0] === 9) throw new GossipValidationError("REJECT", { code: "ASYNC_BAD" });
        return b.length;
      },
    };
    assert.deepEqual(await validateGossipMessage(sub, new Uint8Array(5), PEER, modules), {
      verdict: "REJECT",
      code: OVERSIZE_CODE,
    });
    assert.equal(calls, 0);
    assert.deepEqual(await validateGossipMessage(sub, new Uint8Array(4), PEER, modules), {
      verdict: "ACCEPT",
      value: 4,
    });
    assert.deepEqual(await validateGossipMessage(sub, new Uint8Array([9]), PEER, modules), {
      verdict: "REJECT",
      code: "ASYNC_BAD",
    });
    assert.deepEqual(counters.snapshot()[TOPIC], { ACCEPT: 1, IGNORE: 0, REJECT: 2, handlerErrors: 0 });
  });

  test("counters are per topic and snapshots are copies", async () => {
    const { modules, counters } = setup();
    const other = "/parapipe/abababab/relay/statement";
    await validateGossipMessage({ topic: TOPIC, maxBytes: 10, validate }, new Uint8Array([1]), PEER, modules);
    await validateGossipMessage({ topic: other, maxBytes: 10, validate }, new Uint8Array([0xff]), PEER, modules);
    const snap = counters.snapshot();
    assert.equal(snap[TOPIC]?.ACCEPT, 1);
    assert.equal(snap[other]?.REJECT, 1);
    (snap[TOPIC] as { ACCEPT: number }).ACCEPT = 99;
    assert.equal(counters.snapshot()[TOPIC]?.ACCEPT, 1);
  });

  test("maps verdicts onto gossipsub's TopicValidatorResult", () => {
    assert.equal(toTopicValidatorResult("ACCEPT"), TopicValidatorResult.Accept);
    assert.equal(toTopicValidatorResult("IGNORE"), TopicValidatorResult.Ignore);
    assert.equal(toTopicValidatorResult("REJECT"), TopicValidatorResult.Reject);
  });

  test("the gossipsub topic validator returns the verdict and keeps the decoded value of accepted messages", async () => {
    const { modules } = setup();
    const accepted = new WeakMap<Message, unknown>();
    const fn = createTopicValidator({ topic: TOPIC, maxBytes: 10, validate }, accepted, modules);
    const good: Message = { type: "unsigned", topic: TOPIC, data: new Uint8Array([1, 65]) };
    const bad: Message = { type: "unsigned", topic: TOPIC, data: new Uint8Array([0xff]) };
    const peer = peerIdFromString(PEER);
    assert.equal(await fn(peer, good), TopicValidatorResult.Accept);
    assert.equal(accepted.get(good), "A");
    assert.equal(await fn(peer, bad), TopicValidatorResult.Reject);
    assert.equal(accepted.has(bad), false);
  });

  test("a handler that throws or rejects is counted and logged, never propagated", async () => {
    const { modules, counters, metrics, logs } = setup();
    runGossipHandler(
      {
        topic: TOPIC,
        handle: () => {
          throw new Error("sync bug");
        },
      },
      1,
      PEER,
      modules,
    );
    runGossipHandler({ topic: TOPIC, handle: async () => Promise.reject(new Error("async bug")) }, 1, PEER, modules);
    let ran = false;
    runGossipHandler(
      {
        topic: TOPIC,
        handle: () => {
          ran = true;
        },
      },
      1,
      PEER,
      modules,
    );
    assert.ok(ran);
    await waitFor(() => counters.snapshot()[TOPIC]?.handlerErrors === 2, "both failures counted", 1000, 1);
    assert.deepEqual(metrics.handlerErrors, [TOPIC, TOPIC]);
    assert.deepEqual(
      logs.map((l) => l.obj.err),
      ["sync bug", "async bug"],
    );
  });
});
