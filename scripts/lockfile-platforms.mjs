#!/usr/bin/env node
// Adds Biome's per-platform binaries to package-lock.json when `npm install` left them out.
//
// Why: the npm registry mirror our machines reach serves only linux-x64/arm64 (glibc) builds of
// @biomejs/cli-*, so npm drops the other platforms from the lockfile, and `npm ci` then refuses the lockfile
// ("Missing: @biomejs/cli-darwin-arm64@ from lock file"). The entries below carry no integrity (it cannot be
// read here); npm installs only the one matching the machine. Run after every `npm install`:
//   node scripts/lockfile-platforms.mjs
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const biome = lock.packages["node_modules/@biomejs/biome"];
if (!biome) throw new Error("@biomejs/biome is not in package-lock.json");
const platforms = {
  "cli-android-arm64": { os: ["android"], cpu: ["arm64"] },
  "cli-android-x64": { os: ["android"], cpu: ["x64"] },
  "cli-darwin-arm64": { os: ["darwin"], cpu: ["arm64"] },
  "cli-darwin-x64": { os: ["darwin"], cpu: ["x64"] },
  "cli-linux-arm64": { os: ["linux"], cpu: ["arm64"], libc: ["glibc"] },
  "cli-linux-arm64-musl": { os: ["linux"], cpu: ["arm64"], libc: ["musl"] },
  "cli-linux-x64": { os: ["linux"], cpu: ["x64"], libc: ["glibc"] },
  "cli-linux-x64-musl": { os: ["linux"], cpu: ["x64"], libc: ["musl"] },
  "cli-win32-arm64": { os: ["win32"], cpu: ["arm64"] },
  "cli-win32-x64": { os: ["win32"], cpu: ["x64"] },
};
let added = 0;
for (const name of Object.keys(biome.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const p = platforms[name.replace("@biomejs/", "")];
  if (!p) throw new Error(`unknown Biome platform package ${name}`);
  lock.packages[key] = {
    version: biome.optionalDependencies[name],
    cpu: p.cpu,
    dev: true,
    ...(p.libc ? { libc: p.libc } : {}),
    license: biome.license,
    optional: true,
    os: p.os,
    engines: biome.engines,
  };
  added++;
}
// Keep npm's key order (sorted paths) so the file diffs cleanly.
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} Biome platform entr${added === 1 ? "y" : "ies"} added`);
