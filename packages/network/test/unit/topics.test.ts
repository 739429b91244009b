import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fromHex } from "@parapipe/primitives";
import { genesisPrefix, NetworkError, protocolId, topicName } from "../../src/index.js";

const RELAY = "0x91b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb49219da7a70ce90c3";
const PARA = "0x9eb76c5184c4ab8679d2d5d819fdf90b9c001403e9e17da2e14b6d8aec4029c6";

function isTopicError(code: string) {
  return (err: unknown) => err instanceof NetworkError && err.code === code;
}

describe("topic names and protocol ids", () => {
  test("relay topics are namespaced by the first 8 hex digits of the relay genesis hash", () => {
    assert.equal(topicName(RELAY, "relay", "block"), "/parapipe/91b171bb/relay/block");
    assert.equal(topicName(RELAY, "relay", "statement"), "/parapipe/91b171bb/relay/statement");
    assert.equal(topicName(fromHex(RELAY), "relay", "finality"), "/parapipe/91b171bb/relay/finality");
    assert.equal(
      topicName(RELAY.toUpperCase().replace("0X", "0x"), "relay", "bitfield"),
      "/parapipe/91b171bb/relay/bitfield",
    );
  });

  test("para topics are namespaced by the parachain genesis hash", () => {
    assert.equal(topicName(RELAY, "para", "block", PARA), "/parapipe/9eb76c51/para/block");
    assert.equal(topicName(RELAY, "para", "tx", fromHex(PARA)), "/parapipe/9eb76c51/para/tx");
    assert.throws(() => topicName(RELAY, "para", "block"), isTopicError("INVALID_TOPIC"));
  });

  test("malformed names and hashes are refused", () => {
    assert.throws(() => topicName(RELAY, "relay", "Block"), isTopicError("INVALID_TOPIC"));
    assert.throws(() => topicName(RELAY, "relay", "a/b"), isTopicError("INVALID_TOPIC"));
    assert.throws(() => topicName(RELAY, "relay", ""), isTopicError("INVALID_TOPIC"));
    assert.throws(() => topicName(RELAY, "sideways" as "relay", "block"), isTopicError("INVALID_TOPIC"));
    assert.throws(() => topicName("0x1234", "relay", "block"), isTopicError("INVALID_OPTION"));
    assert.throws(() => topicName(new Uint8Array(31), "relay", "block"), isTopicError("INVALID_OPTION"));
    assert.throws(() => genesisPrefix(`0x${"zz".repeat(32)}`), isTopicError("INVALID_OPTION"));
  });

  test("request/response protocol ids carry the genesis prefix and a version", () => {
    assert.equal(protocolId(RELAY, "collation"), "/parapipe/91b171bb/collation/1");
    assert.equal(protocolId(RELAY, "blocks-by-range", 2), "/parapipe/91b171bb/blocks-by-range/2");
    assert.throws(() => protocolId(RELAY, "pov", 0), isTopicError("INVALID_OPTION"));
    assert.notEqual(protocolId(RELAY, "pov"), protocolId(PARA, "pov"), "two chains never share a protocol");
  });
});
