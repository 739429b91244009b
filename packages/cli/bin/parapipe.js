#!/usr/bin/env node
// The `parapipe` binary. The polyfill (Promise.withResolvers for libp2p 3 on Node 20) loads before anything else.
import "@parapipe/primitives/polyfill";

const { main } = await import("../dist/src/main.js");
const code = await main(process.argv.slice(2));
// Exit once stdout has flushed (a `build-spec > file` must not lose its tail).
process.stdout.write("", () => process.exit(code));
