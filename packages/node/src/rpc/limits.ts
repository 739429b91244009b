/**
 * Defaults and access policy of the JSON-RPC server, each the value Substrate's `sc-cli` / `sc-rpc-server`
 * ships with (polkadot-sdk `sc-cli` `RpcParams` and `substrate/client/rpc-servers`, over jsonrpsee),
 * so a parapipe node answers a client the way a Substrate node on 9944 does.
 */
import { isIP } from "node:net";

const MIB = 1024 * 1024;

/** Substrate's default RPC port (`--rpc-port`), serving HTTP and WebSocket on one socket. */
export const DEFAULT_RPC_PORT = 9944;

/** Interface bound by default; `--rpc-external` binds `0.0.0.0`. */
export const DEFAULT_RPC_HOST = "127.0.0.1";

/** Most concurrent connections, HTTP and WebSocket together (`--rpc-max-connections`). */
export const DEFAULT_MAX_CONNECTIONS = 100;

/** Largest request body or WebSocket message, in bytes (`--rpc-max-request-size` 15, in MiB). */
export const DEFAULT_MAX_REQUEST_BYTES = 15 * MIB;

/** Largest response, in bytes (`--rpc-max-response-size` 15, in MiB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 15 * MIB;

/** Most subscriptions one WebSocket connection may hold (`--rpc-max-subscriptions-per-connection`). */
export const DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION = 1024;

/**
 * Most bytes queued for a WebSocket client that does not read. jsonrpsee bounds the queue by message count
 * (`--rpc-message-buffer-capacity-per-connection` 64); with messages of any size a byte bound is what keeps
 * memory bounded, and 16 MiB leaves room for one response of the maximum size.
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 16 * MIB;

/** Interval of WebSocket pings; a client that misses one whole interval is dropped (jsonrpsee: 30 s). */
export const DEFAULT_WS_PING_INTERVAL_MS = 30_000;

/**
 * Calls one WebSocket connection may have in flight before the server stops reading from it, so a client
 * cannot queue unbounded work (jsonrpsee's per-connection message buffer, 64).
 */
export const MAX_IN_FLIGHT_CALLS_PER_CONNECTION = 64;

/**
 * Origins allowed when `--rpc-cors` is not given (Substrate's non-dev default): local pages on any port and
 * polkadot.js apps.
 */
export const DEFAULT_CORS: readonly string[] = [
  "http://localhost:*",
  "http://127.0.0.1:*",
  "https://localhost:*",
  "https://127.0.0.1:*",
  "https://polkadot.js.org",
];

/**
 * Whether a browser page of `origin` may call the server. `cors` is a list of origins where a trailing `:*`
 * stands for any port (or none), or `"all"`. Comparison ignores case, as origins' scheme and host do.
 */
export function isOriginAllowed(origin: string, cors: readonly string[] | "all"): boolean {
  if (cors === "all") return true;
  const o = origin.toLowerCase();
  for (const pattern of cors) {
    const p = pattern.toLowerCase();
    if (p === "*" || p === o) return true;
    if (p.endsWith(":*")) {
      const base = p.slice(0, -2);
      if (o === base) return true;
      if (o.startsWith(`${base}:`) && /^\d{1,5}$/.test(o.slice(base.length + 1))) return true;
    }
  }
  return false;
}

/**
 * Whether `host` is a loopback interface, which makes `--rpc-methods auto` allow unsafe methods (Substrate
 * `RpcMethods::Auto`: unsafe on loopback, safe on anything reachable from outside).
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  // IPv4-mapped IPv6 loopback, e.g. ::ffff:127.0.0.1.
  if (h.startsWith("::ffff:")) return isLoopbackHost(h.slice("::ffff:".length));
  return false;
}
