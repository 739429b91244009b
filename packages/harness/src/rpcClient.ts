import { WebSocket } from "ws";
import { HarnessError, RpcCallError } from "./errors.js";

/** A live subscription: its id, and how to end it. */
export interface RpcSubscription {
  /** The subscription id the node gave. */
  readonly id: string;
  /** Unsubscribes (when the node still runs) and closes the WebSocket; safe to call twice. */
  unsubscribe(): Promise<void>;
}

/** Options of `RpcClient.subscribe`. */
export interface SubscribeOptions {
  /**
   * The unsubscribe method. Default: the subscribe method with `subscribe` replaced by `unsubscribe`
   * (`chain_subscribeNewHeads` → `chain_unsubscribeNewHeads`); `author_submitAndWatchExtrinsic` needs
   * `author_unwatchExtrinsic`.
   */
  unsubscribeMethod?: string;
  /** Called when the connection closes without `unsubscribe()` (the node stopped or dropped the client). */
  onClose?: () => void;
}

interface JsonRpcResponse {
  id?: number | string | null;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
  method?: string;
  params?: { subscription: string; result: unknown };
}

/**
 * A JSON-RPC 2.0 client of one node: `call` over HTTP POST, `subscribe` over a WebSocket of its own. The
 * address is read when used, so a handle's client keeps working across restarts on the same port.
 */
export class RpcClient {
  private readonly sockets = new Set<WebSocket>();
  private nextId = 1;

  /** `address()` gives `host:port` of the node's RPC server. */
  constructor(
    private readonly address: () => string,
    private readonly opts: { callTimeoutMs?: number } = {},
  ) {}

  /** `http://host:port`. */
  get httpUrl(): string {
    return `http://${this.address()}`;
  }

  /** `ws://host:port`. */
  get wsUrl(): string {
    return `ws://${this.address()}`;
  }

  /**
   * Calls `method` and resolves to its result. A JSON-RPC error response rejects with `RpcCallError` (the node's
   * code, message, data); a node that cannot be reached rejects with `HarnessError` `RPC_TRANSPORT`.
   */
  async call<T = unknown>(method: string, params: unknown[] | Record<string, unknown> = []): Promise<T> {
    const url = this.httpUrl;
    let res: Response;
    try {
      res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: this.nextId++, method, params }),
        signal: AbortSignal.timeout(this.opts.callTimeoutMs ?? 10_000),
      });
    } catch (e) {
      throw transportError(url, method, e);
    }
    const text = await res.text();
    let body: JsonRpcResponse;
    try {
      body = JSON.parse(text) as JsonRpcResponse;
    } catch {
      throw new HarnessError(
        { code: "RPC_TRANSPORT", url, method, reason: `HTTP ${res.status}: ${text.slice(0, 200)}` },
        `${method} at ${url}: HTTP ${res.status}, not JSON-RPC: ${text.slice(0, 200)}`,
      );
    }
    if (body.error) throw new RpcCallError(method, body.error.code, body.error.message, body.error.data);
    return body.result as T;
  }

  /**
   * Subscribes with `method(params)` over a new WebSocket; `onNotification` gets each notification's `result`.
   * Resolves once the node answered with the subscription id; an error answer rejects with `RpcCallError`.
   */
  async subscribe<T = unknown>(
    method: string,
    params: unknown[],
    onNotification: (result: T) => void,
    opts: SubscribeOptions = {},
  ): Promise<RpcSubscription> {
    const url = this.wsUrl;
    const ws = new WebSocket(url);
    this.sockets.add(ws);
    let ended = false;
    let subId: string | undefined;
    // Notifications may arrive before the id is known to us only in theory (the server holds them back until
    // the client has the id), but keep them rather than lose them.
    const early: JsonRpcResponse[] = [];
    const id = this.nextId++;
    const opened = new Promise<string>((resolve, reject) => {
      ws.once("error", (e) => reject(transportError(url, method, e)));
      ws.once("close", () => reject(transportError(url, method, new Error("connection closed"))));
      ws.once("open", () => ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params })));
      ws.on("message", (data) => {
        let msg: JsonRpcResponse;
        try {
          msg = JSON.parse(data.toString()) as JsonRpcResponse;
        } catch {
          return;
        }
        if (msg.id === id) {
          if (msg.error) reject(new RpcCallError(method, msg.error.code, msg.error.message, msg.error.data));
          else {
            subId = String(msg.result);
            resolve(subId);
            for (const m of early.splice(0))
              if (m.params && m.params.subscription === subId) onNotification(m.params.result as T);
          }
          return;
        }
        const p = msg.params;
        if (!p) return;
        if (subId === undefined) early.push(msg);
        else if (p.subscription === subId) onNotification(p.result as T);
      });
    });
    ws.on("close", () => {
      this.sockets.delete(ws);
      if (!ended) opts.onClose?.();
    });
    ws.on("error", () => {});
    let sid: string;
    try {
      sid = await opened;
    } catch (e) {
      ended = true;
      ws.terminate();
      throw e;
    }
    const unsubscribeMethod = opts.unsubscribeMethod ?? method.replace("subscribe", "unsubscribe");
    return {
      id: sid,
      unsubscribe: async () => {
        if (ended) return;
        ended = true;
        if (ws.readyState === WebSocket.OPEN) {
          ws.send(JSON.stringify({ jsonrpc: "2.0", id: this.nextId++, method: unsubscribeMethod, params: [sid] }));
          await new Promise<void>((r) => {
            ws.once("close", () => r());
            ws.close();
            setTimeout(() => {
              ws.terminate();
              r();
            }, 1000).unref();
          });
        } else ws.terminate();
      },
    };
  }

  /** Closes every WebSocket this client opened (its subscriptions end). */
  close(): void {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
  }
}

function transportError(url: string, method: string, e: unknown): HarnessError {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
  return new HarnessError({ code: "RPC_TRANSPORT", url, method, reason }, `${method} at ${url}: ${reason}`);
}
