#!/usr/bin/env node
// Runs every compiled test file with node's test runner, the Node 20 polyfill imported first.
// Usage: node scripts/test.mjs [unit|integration|e2e] [--only <substring>]
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const kind = process.argv[2] && !process.argv[2].startsWith("--") ? process.argv[2] : undefined;
const onlyIdx = process.argv.indexOf("--only");
const only = onlyIdx > 0 ? process.argv[onlyIdx + 1] : undefined;

function walk(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}

const dirs = [];
for (const pkg of readdirSync(join(root, "packages"))) dirs.push(join(root, "packages", pkg, "dist", "test"));
dirs.push(join(root, "test", "dist"));
dirs.push(join(root, "bench", "suite", "dist", "test"));
let files = dirs.flatMap((d) => walk(d, [])).sort();
if (kind) files = files.filter((f) => f.includes(`${"/"}${kind}${"/"}`));
if (only) files = files.filter((f) => f.includes(only));
if (files.length === 0) {
  console.error("no test files found: did `tsc -b` run?");
  process.exit(1);
}
console.log(`running ${files.length} test files`);
const args = [
  "--import",
  "@parapipe/primitives/polyfill",
  "--test",
  "--test-concurrency=2",
  ...files.map((f) => relative(root, f)),
];
const res = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit", env: { ...process.env } });
process.exit(res.status ?? 1);
