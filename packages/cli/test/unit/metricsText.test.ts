import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseMetricsText } from "../../src/metricsText.js";

/** A Prometheus exposition as prom-client writes it for a node (trimmed). */
const EXPOSITION = `# HELP substrate_block_height Block height info of the chain
# TYPE substrate_block_height gauge
substrate_block_height{status="best",chain="parapipe_relay_async"} 12
substrate_block_height{status="finalized",chain="parapipe_relay_async"} 10

# HELP substrate_process_start_time_seconds Start time of the process
# TYPE substrate_process_start_time_seconds gauge
substrate_process_start_time_seconds 1700000000.5
# HELP substrate_sub_libp2p_peers_count Number of connected peers
substrate_sub_libp2p_peers_count{chain="parapipe_relay_async"} 3
# HELP parapipe_pvf_execution_seconds PVF execution time
# TYPE parapipe_pvf_execution_seconds histogram
parapipe_pvf_execution_seconds_bucket{le="0.005",chain="c"} 1
parapipe_pvf_execution_seconds_bucket{le="0.5",chain="c"} 4
parapipe_pvf_execution_seconds_bucket{le="+Inf",chain="c"} 5
parapipe_pvf_execution_seconds_sum{chain="c"} 0.75
parapipe_pvf_execution_seconds_count{chain="c"} 5
parapipe_para_included_height NaN
`;

describe("parseMetricsText", () => {
  const m = parseMetricsText(EXPOSITION);

  test("keys samples by name and labels, without the `chain` label", () => {
    assert.equal(m.get('substrate_block_height{status="best"}'), 12);
    assert.equal(m.get('substrate_block_height{status="finalized"}'), 10);
    assert.equal(m.get("substrate_sub_libp2p_peers_count"), 3);
    for (const key of m.keys()) assert.ok(!key.includes("chain="), key);
  });

  test("reads a sample without labels and a fractional value", () => {
    assert.equal(m.get("substrate_process_start_time_seconds"), 1700000000.5);
  });

  test("skips comments and blank lines", () => {
    for (const key of m.keys()) assert.ok(!key.startsWith("#"), key);
    assert.equal(m.size, 9);
  });

  test("keeps histogram buckets apart by their `le` label", () => {
    assert.equal(m.get('parapipe_pvf_execution_seconds_bucket{le="0.005"}'), 1);
    assert.equal(m.get('parapipe_pvf_execution_seconds_bucket{le="0.5"}'), 4);
    assert.equal(m.get('parapipe_pvf_execution_seconds_bucket{le="+Inf"}'), 5);
    assert.equal(m.get("parapipe_pvf_execution_seconds_sum"), 0.75);
    assert.equal(m.get("parapipe_pvf_execution_seconds_count"), 5);
  });

  test("skips NaN samples", () => {
    assert.equal(m.has("parapipe_para_included_height"), false);
  });

  test("keeps labels in their order and escaped quotes inside label values", () => {
    const e = parseMetricsText('x_total{b="2",path="a\\"quoted\\" value",a="1"} 7\n');
    assert.equal(e.get('x_total{b="2",path="a\\"quoted\\" value",a="1"}'), 7);
  });

  test("a label value may hold `}`, `,` and `=`", () => {
    const e = parseMetricsText('y{q="a}b,c=d",chain="x"} 1');
    assert.deepEqual([...e], [['y{q="a}b,c=d"}', 1]]);
  });

  test("ignores a trailing timestamp and Windows line ends", () => {
    const e = parseMetricsText('z 5 1700000000000\r\nw{s="x"} 6\r\n');
    assert.equal(e.get("z"), 5);
    assert.equal(e.get('w{s="x"}'), 6);
  });

  test("a sample whose only label is `chain` is keyed by its bare name", () => {
    assert.deepEqual(
      [...parseMetricsText('a{chain="x"} 1\nb{} 2')],
      [
        ["a", 1],
        ["b", 2],
      ],
    );
  });

  test("skips malformed lines", () => {
    assert.equal(parseMetricsText("not a metric line at all {\n9bad 1\nno_value\n").size, 0);
  });

  test("a later sample with the same key replaces an earlier one", () => {
    const e = parseMetricsText('h{status="best",chain="relay"} 1\nh{status="best",chain="para"} 2\n');
    assert.deepEqual([...e], [['h{status="best"}', 2]]);
  });

  test("keeps +Inf and -Inf samples, which the text format allows as values", () => {
    const e = parseMetricsText("up +Inf\ndown -Inf\n");
    assert.equal(e.get("up"), Number.POSITIVE_INFINITY);
    assert.equal(e.get("down"), Number.NEGATIVE_INFINITY);
  });
});
