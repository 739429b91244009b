/**
 * Samples of a Prometheus text exposition, keyed by metric name and labels without the `chain` label
 * (`substrate_block_height{status="best"}`), as Zombienet reads them. Comments, `NaN` and malformed lines are
 * skipped.
 */
export function parseMetricsText(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = m[4] as string;
    const value =
      v === "+Inf" || v === "Inf" ? Number.POSITIVE_INFINITY : v === "-Inf" ? Number.NEGATIVE_INFINITY : Number(v);
    if (Number.isNaN(value)) continue;
    const labels = [...(m[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
      .filter((l) => l[1] !== "chain")
      .map((l) => `${l[1]}="${l[2]}"`);
    out.set(labels.length ? `${m[1]}{${labels.join(",")}}` : (m[1] as string), value);
  }
  return out;
}
