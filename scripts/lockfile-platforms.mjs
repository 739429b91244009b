#!/usr/bin/env node
// Adds the per-platform optional packages (Biome's CLI binaries, Rollup's native builds that polkadot-api's
// code generator pulls in) to package-lock.json when `npm install` left them out.
//
// Why: the npm registry mirror our machines reach serves only the linux-x64/arm64 (glibc) builds of such
// packages, so npm drops the other platforms from the lockfile, and `npm ci` then refuses the lockfile
// ("Missing: @biomejs/cli-darwin-arm64@ from lock file"). The entries below carry no integrity (it cannot be
// read here) but the os/cpu/libc read from the package name, so npm installs only the one matching the
// machine. Run after every `npm install`:
//   node scripts/lockfile-platforms.mjs
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));

/** Packages whose optional dependencies are per-platform builds, and the prefix before `<os>-<cpu>[-<abi>]`. */
const FAMILIES = [
  { parent: "node_modules/@biomejs/biome", prefix: "@biomejs/cli-" },
  { parent: "node_modules/rollup", prefix: "@rollup/rollup-" },
];
const OS = ["android", "darwin", "freebsd", "linux", "openharmony", "win32", "openbsd", "netbsd", "sunos", "aix"];
const CPU = ["arm", "arm64", "ia32", "x64", "loong64", "ppc64", "riscv64", "s390x", "mips64el"];
const LIBC = { gnu: "glibc", gnueabihf: "glibc", musl: "musl", musleabihf: "musl" };

/** `{os, cpu, libc?}` of a platform package name such as `@rollup/rollup-linux-arm-gnueabihf`. */
function platformOf(name, prefix) {
  const [os, cpu, abi] = name.slice(prefix.length).split("-");
  if (!OS.includes(os) || !CPU.includes(cpu)) throw new Error(`cannot tell the platform of ${name}`);
  // npm checks `libc` on Linux only.
  const libc = os !== "linux" ? undefined : abi === undefined ? "glibc" : LIBC[abi];
  if (os === "linux" && abi !== undefined && libc === undefined) throw new Error(`unknown ABI in ${name}`);
  return { os: [os], cpu: [cpu], ...(libc ? { libc: [libc] } : {}) };
}

let added = 0;
for (const { parent, prefix } of FAMILIES) {
  const p = lock.packages[parent];
  if (!p) continue;
  for (const [name, version] of Object.entries(p.optionalDependencies ?? {})) {
    if (!name.startsWith(prefix)) continue;
    const key = `node_modules/${name}`;
    if (lock.packages[key]) continue;
    lock.packages[key] = {
      version,
      ...platformOf(name, prefix),
      ...(p.dev ? { dev: true } : {}),
      ...(p.license ? { license: p.license } : {}),
      optional: true,
      ...(p.engines ? { engines: p.engines } : {}),
    };
    added++;
  }
}
// Keep npm's key order (sorted paths) so the file diffs cleanly.
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} platform entr${added === 1 ? "y" : "ies"} added`);
