/**
 * `@libp2p/websockets` 10 dials with the global `WebSocket` (browser API). Node 22 has one; Node 20 only
 * behind `--experimental-websocket`, so dialling a `/ws` address fails with "WebSocket is not defined".
 * The transport's listener already wraps `ws` sockets (its own dependency) with the same connection code, so
 * `ws`'s `WebSocket` is installed as the global when none exists. Idempotent; a no-op on Node >= 22.
 */
export async function ensureWebSocketGlobal(): Promise<void> {
  const g = globalThis as { WebSocket?: unknown };
  if (typeof g.WebSocket === "function") return;
  // A non-literal specifier: `ws` ships no types here, and only its constructor is needed.
  const specifier = "ws";
  const mod = (await import(specifier)) as { WebSocket?: unknown; default?: unknown };
  const ctor = mod.WebSocket ?? mod.default;
  if (typeof ctor === "function" && typeof g.WebSocket !== "function") g.WebSocket = ctor;
}
