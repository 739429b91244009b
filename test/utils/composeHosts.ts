/**
 * Loaded with `node --import` into each process of the native compose run (test/e2e/composeNative.test.ts):
 * gives the process what its container would have, without a Docker engine.
 * - Service names resolve to loopback addresses (`PARAPIPE_COMPOSE_HOSTS`, JSON `{"alice": "127.0.0.10"}`), as
 *   compose's DNS resolves them to container addresses: `dns.lookup` (used by `net.connect`) is wrapped.
 * - The process owns one address (`PARAPIPE_COMPOSE_SELF`) as a container owns its interface: listening on
 *   `0.0.0.0` / `::` binds that address instead, so six nodes can all listen on 30333, 9944 and 9615.
 * Nothing else changes: the command line is the compose file's.
 */
import dns from "node:dns";
import net from "node:net";

const hosts = JSON.parse(process.env.PARAPIPE_COMPOSE_HOSTS ?? "{}") as Record<string, string>;
const self = process.env.PARAPIPE_COMPOSE_SELF;

type LookupCallback = (err: NodeJS.ErrnoException | null, address: unknown, family?: number) => void;
const lookup = dns.lookup;
(dns as { lookup: unknown }).lookup = function patched(host: string, options: unknown, callback?: LookupCallback) {
  const cb = (typeof options === "function" ? options : callback) as LookupCallback;
  const opts = (typeof options === "object" && options !== null ? options : {}) as { all?: boolean };
  const address = hosts[host];
  if (address === undefined) return (lookup as (...a: unknown[]) => void).call(dns, host, options, callback);
  process.nextTick(() => (opts.all ? cb(null, [{ address, family: 4 }]) : cb(null, address, 4)));
};

const wildcard = (h: unknown) => h === undefined || h === "0.0.0.0" || h === "::" || h === "";
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function patchedListen(this: net.Server, ...args: unknown[]) {
  if (self !== undefined) {
    const [first, second] = args;
    if (typeof first === "object" && first !== null && !Array.isArray(first) && "port" in first) {
      const o = first as net.ListenOptions;
      if (wildcard(o.host)) args[0] = { ...o, host: self };
    } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
      if (typeof second !== "string") args.splice(1, 0, self);
      else if (wildcard(second)) args[1] = self;
    }
  }
  return (listen as (...a: unknown[]) => net.Server).apply(this, args);
} as typeof net.Server.prototype.listen;
