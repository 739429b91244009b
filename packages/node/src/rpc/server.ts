/**
 * The JSON-RPC 2.0 server transport of a parapipe node, shaped after Substrate's `sc-rpc-server` (polkadot-sdk
 * `substrate/client/rpc-servers`, on jsonrpsee): one port answers HTTP POST calls and WebSocket connections,
 * `GET /health` and `GET /health/readiness` are answered from the node's health, and the limits, error codes
 * and unsafe-method policy are Substrate's. It owns the transport and the method registry only; the chain
 * methods (`system_*`, `chain_*`, `state_*`, `author_*`) are registered on it by the node wiring.
 */
import { randomInt } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import type { Logger } from "../interface.js";
import { silentLogger } from "../util.js";
import { RPC_ERROR_CODES, RpcError, RpcServerError } from "./errors.js";
import {
  DEFAULT_CORS,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION,
  DEFAULT_RPC_HOST,
  DEFAULT_RPC_PORT,
  DEFAULT_WS_PING_INTERVAL_MS,
  isLoopbackHost,
  isOriginAllowed,
  MAX_IN_FLIGHT_CALLS_PER_CONNECTION,
} from "./limits.js";

/** A call's `params`: positional, named, or absent. */
export type RpcParams = unknown[] | Record<string, unknown> | undefined;

/** The transport a call arrived on. */
export type RpcTransport = "http" | "ws";

/** What a method knows about the call it answers. */
export interface RpcCallContext {
  transport: RpcTransport;
  /** Identifies the TCP connection (unique for the server's lifetime). */
  connectionId: number;
  remoteAddress: string | undefined;
  /**
   * Whether unsafe calls are denied. Methods registered `unsafe` are refused before they run; a method that is
   * unsafe only for some parameters checks this itself (as Substrate methods call `check_if_safe`).
   */
  denyUnsafe: boolean;
}

/**
 * A method: answers `params` with a JSON value (or a promise of one; `undefined` answers `null`). Throw an
 * `RpcError` to answer a specific error (`RpcError.invalidParams(reason)` …); anything else thrown is answered
 * with -32603 "Internal error" and logged.
 */
export type RpcMethodHandler = (params: RpcParams, ctx: RpcCallContext) => unknown;

/** How a method is registered. */
export interface RpcMethodOptions {
  /** Refused with Substrate's "RPC call is unsafe to be called externally" when unsafe methods are denied. */
  unsafe?: boolean;
  /** Other names answering the same way (Substrate keeps old names, e.g. `chain_getHead` for `chain_getBlockHash`). */
  aliases?: readonly string[];
}

/** The sending end of one subscription, given to the subscription's handler. */
export interface SubscriptionSink {
  /** The subscription id the client was given. */
  readonly id: string;
  /** Whether the subscription ended (unsubscribed, closed by the server, or the connection is gone). */
  readonly closed: boolean;
  /**
   * Sends `{"jsonrpc":"2.0","method":<notification>,"params":{"subscription":<id>,"result":result}}`. Returns
   * false (and sends nothing) once the subscription is closed, or when the notification cannot be encoded or
   * exceeds `maxResponseBytes` (it is dropped and logged).
   */
  send(result: unknown): boolean;
  /** Ends the subscription from the server side; the client is not told (as with jsonrpsee's default). */
  close(): void;
}

/** Releases what a subscription holds; called once when the subscription ends, however it ends. */
export type SubscriptionCleanup = () => void | Promise<void>;

/**
 * Starts a subscription: validates `params` (throw `RpcError` to refuse it, no subscription is created), wires
 * the source to `sink`, and returns the cleanup to run when it ends (or nothing). Notifications sent before the
 * subscribe call is answered are held back until the client has the subscription id.
 */
export type RpcSubscriptionHandler = (
  params: RpcParams,
  sink: SubscriptionSink,
  ctx: RpcCallContext,
) => SubscriptionCleanup | undefined | Promise<SubscriptionCleanup | undefined>;

/** The method names of a subscription kind. */
export interface RpcSubscriptionSpec {
  /** The call that starts it, e.g. `chain_subscribeNewHeads`. */
  subscribe: string;
  /** The call that ends it, e.g. `chain_unsubscribeNewHeads`. */
  unsubscribe: string;
  /** The `method` of its notifications, e.g. `chain_newHead`. */
  notification: string;
  /** Other names of the subscribe and unsubscribe calls (e.g. `subscribe_newHead`). */
  aliases?: { subscribe?: readonly string[]; unsubscribe?: readonly string[] };
  /** Subscribing is refused when unsafe methods are denied (unsubscribing never is). */
  unsafe?: boolean;
}

/** The node's health, as `system_health` answers it. */
export interface NodeHealth {
  /** Connected peers. */
  peers: number;
  /** Whether the node is doing a major sync. */
  isSyncing: boolean;
  /** Whether the node should have peers (false for a dev chain or without discovery). */
  shouldHavePeers: boolean;
}

/**
 * What the server reports to, so Prometheus can be plugged in by the node wiring (Substrate:
 * `substrate_rpc_calls_finished{protocol, method, is_error}`, `substrate_rpc_calls_time`,
 * `substrate_rpc_sessions_opened/closed`). Only registered method names are reported, so a client cannot
 * create label values.
 */
export interface RpcMetrics {
  /** A call to a registered method finished (`ok` false when answered with an error). */
  onCall(method: string, ok: boolean, seconds: number, transport: RpcTransport): void;
  /** A WebSocket session opened (+1) or closed (-1). */
  onConnection(delta: 1 | -1): void;
}

/** Which methods are served: `safe` denies unsafe ones, `unsafe` allows all, `auto` allows all on loopback. */
export type RpcMethodsPolicy = "safe" | "unsafe" | "auto";

/** Options of `RpcServer`; every default is Substrate's. */
export interface RpcServerOptions {
  /** Interface to bind. Default 127.0.0.1; `0.0.0.0` for `--rpc-external`. */
  host?: string;
  /** Port; 0 picks a free one (see `address()`). Default 9944. */
  port?: number;
  /** Default `auto`: unsafe methods are allowed iff `host` is a loopback address. */
  methods?: RpcMethodsPolicy;
  /** Origins browsers may call from (`:*` = any port), or `"all"`. Default `DEFAULT_CORS`. */
  cors?: readonly string[] | "all";
  /** Most TCP connections (HTTP and WebSocket); more are answered 429. Default 100. */
  maxConnections?: number;
  /** Largest HTTP body or WebSocket message. Default 15 MiB. */
  maxRequestBytes?: number;
  /** Largest response (a whole batch response included). Default 15 MiB. */
  maxResponseBytes?: number;
  /** Most subscriptions per WebSocket connection. Default 1024. */
  maxSubscriptionsPerConnection?: number;
  /** Bytes queued for a WebSocket client beyond which it is dropped as too slow. Default 16 MiB. */
  maxBufferedBytes?: number;
  /** WebSocket ping interval; a client that does not answer within one interval is dropped. 0 disables. Default 30 s. */
  wsPingIntervalMs?: number;
}

/** What `RpcServer` works with. */
export interface RpcServerModules {
  logger?: Logger;
  metrics?: RpcMetrics | null;
  /** Answers `GET /health` and `/health/readiness`; without it those paths answer 404. */
  health?: () => NodeHealth | Promise<NodeHealth>;
}

/** Creates an `RpcServer` (not yet listening). */
export function createRpcServer(opts: RpcServerOptions = {}, modules: RpcServerModules = {}): RpcServer {
  return new RpcServer(opts, modules);
}

/** A registered subscription kind. */
interface SubscriptionKind {
  spec: RpcSubscriptionSpec;
  handler: RpcSubscriptionHandler;
}

/** What a registered name does. */
type Registration =
  | { kind: "method"; handler: RpcMethodHandler; unsafe: boolean }
  | { kind: "subscribe"; sub: SubscriptionKind; unsafe: boolean }
  | { kind: "unsubscribe"; sub: SubscriptionKind };

/** One TCP connection's view for the dispatcher. */
interface Connection {
  readonly id: number;
  readonly transport: RpcTransport;
  readonly remoteAddress: string | undefined;
  /** Live subscriptions by id; null over HTTP, which has none. */
  readonly subscriptions: Map<string, ActiveSubscription> | null;
  /** Whether the connection can still carry answers. */
  isOpen(): boolean;
  /** Sends one text message; false when the connection cannot carry it. */
  send(text: string): boolean;
  /** Drops the connection (a client too slow to read). */
  drop(reason: string): void;
}

/** A WebSocket connection and its bookkeeping. */
interface WsConnection extends Connection {
  readonly ws: WebSocket;
  readonly subscriptions: Map<string, ActiveSubscription>;
  /** Whether a pong (or any message) arrived since the last ping. */
  alive: boolean;
  inFlight: number;
  closed: boolean;
}

/** The answer to one request or batch, and what to do once it has been sent. */
interface Outcome {
  /** The serialized response; undefined for notifications (nothing is sent). */
  response?: string;
  /** Runs after the response was sent (subscriptions start notifying). */
  sent?: () => void;
  /** Runs when the response could not be sent (subscriptions it announced are ended). */
  abandoned?: () => void;
}

type CallResult =
  | { ok: true; json: string; sent?: () => void; abandoned?: () => void }
  | { ok: false; error: RpcError };

const JSON_CONTENT_TYPE = "application/json; charset=utf-8";
const TEXT_CONTENT_TYPE = "text/plain; charset=utf-8";
const MIB = 1024 * 1024;
const SUBSCRIPTION_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * The JSON-RPC server. Register methods and subscriptions (before or after `listen()`), then `listen()`;
 * `close()` ends every connection and subscription. See `RpcServerOptions` for the limits.
 */
export class RpcServer {
  /** Whether methods registered `unsafe` are refused (from `methods` and `host`). */
  readonly denyUnsafe: boolean;

  private readonly host: string;
  private readonly port: number;
  private readonly cors: readonly string[] | "all";
  private readonly maxConnections: number;
  private readonly maxRequestBytes: number;
  private readonly maxResponseBytes: number;
  private readonly maxSubscriptions: number;
  private readonly maxBufferedBytes: number;
  private readonly pingIntervalMs: number;
  private readonly logger: Logger;
  private readonly metrics: RpcMetrics | null;
  private readonly health: RpcServerModules["health"];

  private readonly registry = new Map<string, Registration>();
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  /** Every open TCP socket, to end them on close (upgraded sockets leave the HTTP server's own tracking). */
  private readonly sockets = new Set<Duplex>();
  /** Sockets accepted over `maxConnections`: each request on them is answered 429. */
  private readonly rejected = new WeakSet<Duplex>();
  private readonly socketIds = new WeakMap<Duplex, number>();
  private readonly wsConnections = new Set<WsConnection>();
  private accepted = 0;
  private nextConnectionId = 1;
  private pingTimer: NodeJS.Timeout | null = null;
  private listening = false;
  private starting: Promise<void> | null = null;
  private closing: Promise<void> | null = null;

  constructor(opts: RpcServerOptions = {}, modules: RpcServerModules = {}) {
    this.host = opts.host ?? DEFAULT_RPC_HOST;
    this.port = opts.port ?? DEFAULT_RPC_PORT;
    const policy = opts.methods ?? "auto";
    this.denyUnsafe = policy === "safe" || (policy === "auto" && !isLoopbackHost(this.host));
    this.cors = opts.cors ?? DEFAULT_CORS;
    this.maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.maxRequestBytes = opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    this.maxResponseBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.maxSubscriptions = opts.maxSubscriptionsPerConnection ?? DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.pingIntervalMs = opts.wsPingIntervalMs ?? DEFAULT_WS_PING_INTERVAL_MS;
    this.logger = modules.logger ?? silentLogger;
    this.metrics = modules.metrics ?? null;
    this.health = modules.health;

    this.http = createServer((req, res) => this.onHttpRequest(req, res));
    this.http.on("connection", (socket: Socket) => this.onSocket(socket));
    this.http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    // jsonrpsee answers a too-large WebSocket message with -32007 and keeps the connection; `ws` can refuse a
    // frame only by closing (1009 "message too big") and does so from the frame header, before buffering it.
    // So `ws` accepts up to 1 MiB beyond the limit, answered -32007 here like jsonrpsee, and closes on anything
    // larger: memory per connection stays bounded.
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: this.maxRequestBytes + Math.min(this.maxRequestBytes, MIB),
    });

    // Substrate's `rpc_methods`: every name served, sorted (`build_rpc_api` in sc-rpc-server).
    this.register("rpc_methods", () => ({ methods: this.methodNames() }));
  }

  /** Registers a method under `name` (and its aliases). Throws `RpcServerError` `DUPLICATE_METHOD`. */
  register(name: string, handler: RpcMethodHandler, opts: RpcMethodOptions = {}): void {
    const names = [name, ...(opts.aliases ?? [])];
    this.claim(names);
    const registration: Registration = { kind: "method", handler, unsafe: opts.unsafe === true };
    for (const n of names) this.registry.set(n, registration);
  }

  /**
   * Registers a subscription kind: its subscribe and unsubscribe calls (and aliases) and the notification
   * method. Served over WebSocket only. Throws `RpcServerError` `DUPLICATE_METHOD`.
   */
  registerSubscription(spec: RpcSubscriptionSpec, handler: RpcSubscriptionHandler): void {
    const subscribeNames = [spec.subscribe, ...(spec.aliases?.subscribe ?? [])];
    const unsubscribeNames = [spec.unsubscribe, ...(spec.aliases?.unsubscribe ?? [])];
    this.claim([...subscribeNames, ...unsubscribeNames]);
    if (typeof spec.notification !== "string" || spec.notification === "")
      throw new RpcServerError(
        { code: "INVALID_METHOD_NAME", method: String(spec.notification) },
        `Subscription ${spec.subscribe} needs a notification method name, got ${JSON.stringify(spec.notification)}`,
      );
    const sub: SubscriptionKind = { spec, handler };
    for (const n of subscribeNames) this.registry.set(n, { kind: "subscribe", sub, unsafe: spec.unsafe === true });
    for (const n of unsubscribeNames) this.registry.set(n, { kind: "unsubscribe", sub });
  }

  /** Every name served, sorted (what `rpc_methods` answers; unsafe ones included, as Substrate lists them). */
  methodNames(): string[] {
    return [...this.registry.keys()].sort();
  }

  /** Open TCP connections within `maxConnections` (HTTP keep-alive and WebSocket). */
  get connectionCount(): number {
    return this.accepted;
  }

  /**
   * Binds the port. Resolves once bound; rejects with `RpcServerError` `PORT_IN_USE` when another process has
   * the port, `LISTEN_FAILED` otherwise, `SERVER_CLOSED` after `close()`.
   */
  listen(): Promise<void> {
    if (this.closing !== null)
      return Promise.reject(new RpcServerError({ code: "SERVER_CLOSED" }, "RPC server is closed"));
    // Concurrent calls share one bind; after a failure (port in use) a later call tries again.
    this.starting ??= this.bind().catch((err: unknown) => {
      this.starting = null;
      throw err;
    });
    return this.starting;
  }

  private bind(): Promise<void> {
    const { host, port } = this;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.http.off("listening", onListening);
        if (err.code === "EADDRINUSE")
          reject(
            new RpcServerError({ code: "PORT_IN_USE", host, port }, `RPC port ${port} on ${host} is already in use`),
          );
        else
          reject(
            new RpcServerError(
              { code: "LISTEN_FAILED", host, port, reason: err.message },
              `RPC server cannot listen on ${host}:${port}: ${err.message}`,
            ),
          );
      };
      const onListening = () => {
        this.http.off("error", onError);
        this.listening = true;
        this.http.on("error", (err) => this.logger.error({ err }, "RPC server error"));
        this.startPings();
        const { host: boundHost, port: boundPort } = this.address();
        this.logger.info(
          { addr: `${boundHost}:${boundPort}`, allowedOrigins: this.cors, denyUnsafe: this.denyUnsafe },
          "Running JSON-RPC server",
        );
        if (!this.denyUnsafe && !isLoopbackHost(host))
          // Substrate refuses this without `--unsafe-rpc-external`; here the wiring decides, the server warns.
          this.logger.warn({ host }, "Unsafe RPC methods are exposed on a non-loopback interface");
        resolve();
      };
      this.http.once("error", onError);
      this.http.once("listening", onListening);
      this.http.listen(port, host);
    });
  }

  /** The bound address (the real port when `port` was 0). Throws `RpcServerError` `NOT_LISTENING` before `listen()`. */
  address(): { host: string; port: number } {
    const info = this.http.address() as AddressInfo | string | null;
    if (info === null || typeof info === "string")
      throw new RpcServerError({ code: "NOT_LISTENING" }, "RPC server is not listening");
    return { host: info.address, port: info.port };
  }

  /** Stops listening, ends every connection (WebSocket close 1001) and subscription. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    // A bind under way finishes first, so the port it takes is released below.
    await this.starting?.catch(() => undefined);
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
    const stopped = new Promise<void>((resolve) => {
      if (!this.listening) resolve();
      else this.http.close(() => resolve());
    });
    for (const conn of this.wsConnections) {
      this.endConnection(conn);
      conn.ws.close(1001, "Server is shutting down");
    }
    for (const socket of this.sockets) socket.destroy();
    await stopped;
    this.wss.close();
    this.listening = false;
  }

  // ---- registry ----

  private claim(names: readonly string[]): void {
    const seen = new Set<string>();
    for (const n of names) {
      if (typeof n !== "string" || n === "")
        throw new RpcServerError(
          { code: "INVALID_METHOD_NAME", method: String(n) },
          `RPC method name must be a non-empty string, got ${JSON.stringify(n)}`,
        );
      if (this.registry.has(n) || seen.has(n))
        throw new RpcServerError({ code: "DUPLICATE_METHOD", method: n }, `RPC method ${n} is registered already`);
      seen.add(n);
    }
  }

  // ---- connections ----

  private onSocket(socket: Socket): void {
    this.sockets.add(socket);
    this.socketIds.set(socket, this.nextConnectionId++);
    if (this.accepted >= this.maxConnections) {
      // jsonrpsee serves such a connection only to answer 429; a client that never sends is cut after 10 s.
      this.rejected.add(socket);
      socket.setTimeout(10_000, () => socket.destroy());
      socket.once("close", () => this.sockets.delete(socket));
      return;
    }
    this.accepted++;
    socket.once("close", () => {
      this.sockets.delete(socket);
      this.accepted--;
    });
  }

  private connectionId(socket: Duplex): number {
    return this.socketIds.get(socket) ?? 0;
  }

  private startPings(): void {
    if (this.pingIntervalMs <= 0) return;
    this.pingTimer = setInterval(() => {
      for (const conn of this.wsConnections) {
        if (!conn.alive) {
          this.logger.debug({ connection: conn.id }, "WebSocket client missed a ping; dropping it");
          conn.ws.terminate();
          continue;
        }
        conn.alive = false;
        conn.ws.ping();
      }
    }, this.pingIntervalMs);
    this.pingTimer.unref();
  }

  // ---- HTTP ----

  private onHttpRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.rejected.has(req.socket)) {
      res.setHeader("Connection", "close");
      plain(res, 429, "Too many connections. Please try again later.");
      return;
    }
    // Browsers send `Origin` on cross-site requests. A page the CORS list does not allow is refused outright,
    // not only left without `Access-Control-Allow-Origin`: a "simple" cross-site POST is executed before the
    // browser looks at the answer, and could reach unsafe methods on a loopback node (the old
    // jsonrpc-http-server that Substrate used answered such requests 403 too).
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!isOriginAllowed(origin, this.cors)) {
        plain(res, 403, "Origin of the request is not allowed (see --rpc-cors)");
        return;
      }
      res.setHeader("Access-Control-Allow-Origin", this.cors === "all" ? "*" : origin);
      res.setHeader("Vary", "Origin");
    }

    const path = (req.url ?? "/").split("?", 1)[0];
    if (path === "/health" || path === "/health/readiness") {
      // Substrate's node_health middleware: GET only (405 otherwise).
      if (req.method !== "GET") plain(res, 405, "Used HTTP Method is not allowed. GET is required");
      else void this.serveHealth(path, res);
      return;
    }

    switch (req.method) {
      case "POST":
        this.serveCall(req, res);
        return;
      case "OPTIONS":
        // CORS preflight (tower-http's CorsLayer in Substrate).
        res.setHeader("Access-Control-Allow-Methods", "POST, OPTIONS");
        res.setHeader("Access-Control-Allow-Headers", req.headers["access-control-request-headers"] ?? "content-type");
        res.setHeader("Access-Control-Max-Age", "86400");
        res.writeHead(204).end();
        return;
      default:
        // jsonrpsee's answer to any other HTTP method.
        plain(res, 405, "Used HTTP Method is not allowed. POST or OPTIONS is required");
    }
  }

  private async serveHealth(path: string, res: ServerResponse): Promise<void> {
    if (this.health === undefined) {
      plain(res, 404, "Health is not available on this node");
      return;
    }
    let health: NodeHealth;
    try {
      health = await this.health();
    } catch (err) {
      this.logger.warn({ err }, "Node health unavailable");
      res.writeHead(500, { "Content-Type": JSON_CONTENT_TYPE }).end();
      return;
    }
    if (path === "/health") {
      const body = JSON.stringify({
        peers: health.peers,
        isSyncing: health.isSyncing,
        shouldHavePeers: health.shouldHavePeers,
      });
      res.writeHead(200, { "Content-Type": JSON_CONTENT_TYPE }).end(body);
      return;
    }
    // Readiness as polkadot-sdk's node_health.rs decides it: synced with a peer, or a node that is not
    // expected to have peers (a dev chain).
    const ready = (!health.isSyncing && health.peers > 0) || !health.shouldHavePeers;
    res.writeHead(ready ? 200 : 500, { "Content-Type": JSON_CONTENT_TYPE }).end();
  }

  private serveCall(req: IncomingMessage, res: ServerResponse): void {
    // jsonrpsee requires a JSON content type (415 otherwise); it also keeps HTML forms from posting calls.
    const contentType = (req.headers["content-type"] ?? "").split(";", 1)[0]!.trim().toLowerCase();
    if (contentType !== "application/json") {
      plain(res, 415, "Supplied content type is not allowed. Content-Type: application/json is required");
      req.resume();
      return;
    }
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > this.maxRequestBytes) {
      this.tooLarge(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > this.maxRequestBytes) {
        refused = true;
        chunks.length = 0;
        this.tooLarge(req, res);
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (refused || this.closing !== null) return;
      const conn: Connection = {
        id: this.connectionId(req.socket),
        transport: "http",
        remoteAddress: req.socket.remoteAddress,
        subscriptions: null,
        isOpen: () => !req.socket.destroyed,
        send: () => false,
        drop: () => req.socket.destroy(),
      };
      this.handleText(Buffer.concat(chunks).toString("utf8"), conn).then(
        (outcome) => {
          // Notifications only: nothing to answer, 204 and no body.
          if (outcome.response === undefined) res.writeHead(204).end();
          else res.writeHead(200, { "Content-Type": JSON_CONTENT_TYPE }).end(outcome.response);
        },
        (err: unknown) => {
          this.logger.error({ err }, "RPC HTTP call failed");
          if (!res.headersSent)
            res.writeHead(500, { "Content-Type": JSON_CONTENT_TYPE }).end(errorResponse(null, RpcError.internal()));
        },
      );
    });
    req.on("error", (err) => this.logger.debug({ err }, "RPC HTTP request failed"));
  }

  /**
   * jsonrpsee's answer to an oversized body: HTTP 413 with a -32007 error; the connection is not reused. The
   * rest of the body is read and discarded first (up to 4x the limit, then the socket is cut): a client still
   * uploading when the connection closes sees a reset instead of the answer.
   */
  private tooLarge(req: IncomingMessage, res: ServerResponse): void {
    const answer = () => {
      if (res.headersSent) return;
      res.setHeader("Connection", "close");
      res.writeHead(413, { "Content-Type": JSON_CONTENT_TYPE }).end(errorResponse(null, this.requestTooBig()));
    };
    let discarded = 0;
    req.on("data", (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > 4 * this.maxRequestBytes) {
        answer();
        req.socket.destroy();
      }
    });
    req.on("end", answer);
    req.resume();
  }

  private requestTooBig(): RpcError {
    return new RpcError(
      RPC_ERROR_CODES.OVERSIZED_REQUEST,
      "Request is too big",
      `Exceeded max limit of ${this.maxRequestBytes}`,
    );
  }

  // ---- WebSocket ----

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closing !== null) {
      socket.destroy();
      return;
    }
    if (this.rejected.has(socket)) {
      rawReply(socket, 429, "Too Many Requests", "Too many connections. Please try again later.");
      return;
    }
    // Browsers cannot preflight a WebSocket: the Origin check is the only guard against a foreign page.
    // Clients that are not browsers send no Origin and are allowed.
    const origin = req.headers.origin;
    if (origin !== undefined && !isOriginAllowed(origin, this.cors)) {
      this.logger.debug({ origin }, "WebSocket connection from a disallowed origin refused");
      rawReply(socket, 403, "Forbidden", "Origin of the request is not allowed (see --rpc-cors)");
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onWsConnection(ws, req));
  }

  private onWsConnection(ws: WebSocket, req: IncomingMessage): void {
    const conn: WsConnection = {
      id: this.connectionId(req.socket),
      transport: "ws",
      remoteAddress: req.socket.remoteAddress,
      subscriptions: new Map(),
      isOpen: () => !conn.closed,
      ws,
      alive: true,
      inFlight: 0,
      closed: false,
      send: (text) => this.wsSend(conn, text),
      drop: (reason) => {
        this.logger.warn({ connection: conn.id, reason }, "Dropping RPC WebSocket client");
        ws.terminate();
      },
    };
    this.wsConnections.add(conn);
    this.metrics?.onConnection(1);
    ws.on("message", (data) => this.onWsMessage(conn, data));
    ws.on("pong", () => {
      conn.alive = true;
    });
    ws.on("error", (err) => this.logger.debug({ err, connection: conn.id }, "RPC WebSocket error"));
    ws.on("close", () => this.endConnection(conn));
  }

  private onWsMessage(conn: WsConnection, data: RawData): void {
    conn.alive = true;
    // Text and binary frames are both taken as JSON text, as jsonrpsee does.
    const bytes = rawDataToBuffer(data);
    if (bytes.length > this.maxRequestBytes) {
      conn.send(errorResponse(null, this.requestTooBig()));
      return;
    }
    conn.inFlight++;
    // Backpressure on input: with too many calls in flight, stop reading until some finish.
    if (conn.inFlight >= MAX_IN_FLIGHT_CALLS_PER_CONNECTION) conn.ws.pause();
    this.handleText(bytes.toString("utf8"), conn)
      .then((outcome) => {
        if (outcome.response !== undefined && !conn.send(outcome.response)) outcome.abandoned?.();
        else outcome.sent?.();
      })
      .catch((err: unknown) => this.logger.error({ err, connection: conn.id }, "RPC WebSocket call failed"))
      .finally(() => {
        conn.inFlight--;
        if (conn.ws.isPaused && conn.inFlight < MAX_IN_FLIGHT_CALLS_PER_CONNECTION) conn.ws.resume();
      });
  }

  private wsSend(conn: WsConnection, text: string): boolean {
    if (conn.closed || conn.ws.readyState !== conn.ws.OPEN) return false;
    conn.ws.send(text);
    // A client that does not read would make the server hold every notification: drop it instead.
    if (conn.ws.bufferedAmount > this.maxBufferedBytes) {
      conn.drop(`more than ${this.maxBufferedBytes} bytes queued`);
      return false;
    }
    return true;
  }

  /** Ends a WebSocket connection's subscriptions (their cleanups run) and bookkeeping; idempotent. */
  private endConnection(conn: WsConnection): void {
    if (conn.closed) return;
    conn.closed = true;
    this.wsConnections.delete(conn);
    for (const sub of [...conn.subscriptions.values()]) sub.close();
    conn.subscriptions.clear();
    this.metrics?.onConnection(-1);
  }

  // ---- JSON-RPC ----

  /** Answers one message: a request or a batch. Never rejects. */
  private async handleText(text: string, conn: Connection): Promise<Outcome> {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { response: errorResponse(null, new RpcError(RPC_ERROR_CODES.PARSE_ERROR, "Parse error")) };
    }
    if (!Array.isArray(value)) return this.handleRequest(value, conn);
    // JSON-RPC 2.0 §6: an empty batch is one Invalid Request error, not an empty array.
    if (value.length === 0) return { response: errorResponse(null, invalidRequest()) };
    // Calls of a batch run one after the other, in order (as jsonrpsee does), so a batch of dependent calls
    // (e.g. transactions with consecutive nonces) behaves as if sent one by one.
    const outcomes: Outcome[] = [];
    for (const item of value) outcomes.push(await this.handleRequest(item, conn));
    const responses = outcomes.flatMap((o) => (o.response === undefined ? [] : [o.response]));
    const sent = () => {
      for (const o of outcomes) o.sent?.();
    };
    const abandoned = () => {
      for (const o of outcomes) o.abandoned?.();
    };
    // Notifications only: JSON-RPC 2.0 §6 says nothing is returned.
    if (responses.length === 0) return { sent };
    const response = `[${responses.join(",")}]`;
    if (exceeds(response, this.maxResponseBytes)) {
      abandoned();
      const err = new RpcError(
        RPC_ERROR_CODES.TOO_BIG_BATCH_RESPONSE,
        "The batch response was too large",
        `Exceeded max limit of ${this.maxResponseBytes}`,
      );
      return { response: errorResponse(null, err) };
    }
    return { response, sent, abandoned };
  }

  /** Validates one request object (JSON-RPC 2.0 §4) and answers it; notifications get no response. */
  private async handleRequest(value: unknown, conn: Connection): Promise<Outcome> {
    if (!isObject(value)) return { response: errorResponse(null, invalidRequest()) };
    const isNotification = !Object.hasOwn(value, "id");
    const id = value.id;
    // An id that is not a string, number or null cannot be echoed: the error carries null (§5).
    if (!isNotification && !isValidId(id)) return { response: errorResponse(null, invalidRequest()) };
    const replyId = isNotification ? null : (id as string | number | null);
    if (value.jsonrpc !== "2.0" || typeof value.method !== "string")
      return { response: errorResponse(replyId, invalidRequest()) };
    // `params` is an array or an object, or absent (§4.2); `null` is taken as absent, as some clients send it.
    const rawParams = value.params;
    if (rawParams !== undefined && rawParams !== null && typeof rawParams !== "object")
      return { response: errorResponse(replyId, invalidRequest()) };
    const params = (rawParams ?? undefined) as RpcParams;

    const result = await this.call(value.method, params, conn, isNotification);
    // §4.1: a notification is never answered, whatever happened.
    if (isNotification) {
      if (!result.ok) this.logger.debug({ method: value.method, code: result.error.code }, "RPC notification failed");
      if (result.ok) result.sent?.();
      return {};
    }
    if (!result.ok) return { response: errorResponse(replyId, result.error) };
    const response = `{"jsonrpc":"2.0","id":${JSON.stringify(replyId)},"result":${result.json}}`;
    if (exceeds(response, this.maxResponseBytes)) {
      result.abandoned?.();
      const err = new RpcError(
        RPC_ERROR_CODES.OVERSIZED_RESPONSE,
        "Response is too big",
        `Exceeded max limit of ${this.maxResponseBytes}`,
      );
      return { response: errorResponse(replyId, err) };
    }
    return { response, sent: result.sent, abandoned: result.abandoned };
  }

  /** Runs a call: resolves the name, applies the unsafe policy, times it for the metrics. */
  private async call(
    method: string,
    params: RpcParams,
    conn: Connection,
    isNotification: boolean,
  ): Promise<CallResult> {
    const registration = this.registry.get(method);
    if (registration === undefined) return { ok: false, error: RpcError.methodNotFound() };
    const start = performance.now();
    const result = await this.dispatch(method, registration, params, conn, isNotification);
    this.metrics?.onCall(method, result.ok, (performance.now() - start) / 1000, conn.transport);
    return result;
  }

  private async dispatch(
    method: string,
    registration: Registration,
    params: RpcParams,
    conn: Connection,
    isNotification: boolean,
  ): Promise<CallResult> {
    // Substrate's deny-unsafe answer (sc-rpc-api `policy.rs`): code -32601 with this message.
    if (registration.kind !== "unsubscribe" && registration.unsafe && this.denyUnsafe)
      return {
        ok: false,
        error: new RpcError(RPC_ERROR_CODES.METHOD_NOT_FOUND, "RPC call is unsafe to be called externally"),
      };
    const ctx: RpcCallContext = {
      transport: conn.transport,
      connectionId: conn.id,
      remoteAddress: conn.remoteAddress,
      denyUnsafe: this.denyUnsafe,
    };
    try {
      switch (registration.kind) {
        case "method":
          return this.encodeResult(method, await registration.handler(params, ctx));
        case "subscribe":
          // A subscription id nobody receives would leak: a subscribe sent as a notification does nothing.
          if (isNotification) return { ok: true, json: "null" };
          return await this.subscribe(registration.sub, params, conn, ctx);
        case "unsubscribe":
          return this.unsubscribe(registration.sub, params, conn);
      }
    } catch (err) {
      if (err instanceof RpcError) return { ok: false, error: err };
      // A bug or an unexpected failure in the method: answered without internals beyond the message.
      this.logger.warn({ err, method }, "RPC method failed");
      return { ok: false, error: RpcError.internal(err instanceof Error ? err.message : String(err)) };
    }
  }

  private encodeResult(method: string, result: unknown): CallResult {
    let json: string | undefined;
    try {
      json = JSON.stringify(result === undefined ? null : result);
    } catch (err) {
      this.logger.warn({ err, method }, "RPC method result is not JSON-serialisable");
      return { ok: false, error: RpcError.internal("Result is not JSON-serialisable") };
    }
    // Functions and symbols stringify to undefined: answered as null, as a missing result is.
    return { ok: true, json: json ?? "null" };
  }

  private async subscribe(
    kind: SubscriptionKind,
    params: RpcParams,
    conn: Connection,
    ctx: RpcCallContext,
  ): Promise<CallResult> {
    // jsonrpsee answers subscriptions over HTTP with -32603; the message says why.
    if (conn.subscriptions === null)
      return {
        ok: false,
        error: new RpcError(RPC_ERROR_CODES.INTERNAL_ERROR, "Subscriptions are only supported over WebSocket"),
      };
    const subscriptions = conn.subscriptions;
    // The connection went away while the request waited: nobody would receive the subscription.
    if (!conn.isOpen()) return { ok: false, error: RpcError.internal("Connection closed") };
    if (subscriptions.size >= this.maxSubscriptions)
      return {
        ok: false,
        error: new RpcError(
          RPC_ERROR_CODES.TOO_MANY_SUBSCRIPTIONS,
          "Too many subscriptions on the connection",
          `Exceeded max limit of ${this.maxSubscriptions}`,
        ),
      };
    let id = randomSubscriptionId();
    while (subscriptions.has(id)) id = randomSubscriptionId();
    const sub = new ActiveSubscription(id, kind, conn, this.maxResponseBytes, this.maxBufferedBytes, this.logger);
    // The slot is taken while the handler runs, so concurrent subscribes cannot pass the limit together.
    subscriptions.set(id, sub);
    let cleanup: SubscriptionCleanup | undefined;
    try {
      cleanup = (await kind.handler(params, sub, ctx)) ?? undefined;
    } catch (err) {
      sub.discard();
      throw err;
    }
    sub.setCleanup(cleanup);
    return { ok: true, json: JSON.stringify(id), sent: () => sub.activate(), abandoned: () => sub.close() };
  }

  private unsubscribe(kind: SubscriptionKind, params: RpcParams, conn: Connection): CallResult {
    if (conn.subscriptions === null)
      return {
        ok: false,
        error: new RpcError(RPC_ERROR_CODES.INTERNAL_ERROR, "Subscriptions are only supported over WebSocket"),
      };
    // jsonrpsee answers false, not an error, for an id it does not know or cannot read, and only ends a
    // subscription of this connection and of this kind.
    const raw = Array.isArray(params) ? params[0] : undefined;
    const id = typeof raw === "string" ? raw : typeof raw === "number" ? String(raw) : undefined;
    const sub = id === undefined ? undefined : conn.subscriptions.get(id);
    if (sub === undefined || sub.kind !== kind) return { ok: true, json: "false" };
    sub.close();
    return { ok: true, json: "true" };
  }
}

/**
 * One live subscription: the sink its handler writes to. Notifications wait until the subscribe answer is
 * sent (the client must know the id first); the cleanup runs once, whichever way the subscription ends.
 */
class ActiveSubscription implements SubscriptionSink {
  private state: "pending" | "active" | "closed" = "pending";
  private queued: string[] = [];
  private queuedBytes = 0;
  private cleanup: SubscriptionCleanup | undefined;
  private cleanupKnown = false;
  private cleanedUp = false;

  constructor(
    readonly id: string,
    readonly kind: SubscriptionKind,
    private readonly conn: Connection,
    private readonly maxResponseBytes: number,
    private readonly maxQueuedBytes: number,
    private readonly logger: Logger,
  ) {}

  get closed(): boolean {
    return this.state === "closed";
  }

  send(result: unknown): boolean {
    if (this.state === "closed") return false;
    const method = this.kind.spec.notification;
    let text: string;
    try {
      text = JSON.stringify({
        jsonrpc: "2.0",
        method,
        params: { subscription: this.id, result: result === undefined ? null : result },
      });
    } catch (err) {
      this.logger.warn({ err, method }, "Subscription notification is not JSON-serialisable; dropped");
      return false;
    }
    if (exceeds(text, this.maxResponseBytes)) {
      this.logger.warn({ method, limit: this.maxResponseBytes }, "Subscription notification too big; dropped");
      return false;
    }
    if (this.state === "pending") {
      this.queuedBytes += Buffer.byteLength(text, "utf8");
      if (this.queuedBytes > this.maxQueuedBytes) {
        this.conn.drop(`more than ${this.maxQueuedBytes} bytes of notifications queued`);
        return false;
      }
      this.queued.push(text);
      return true;
    }
    return this.conn.send(text);
  }

  close(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.queued = [];
    if (this.conn.subscriptions?.get(this.id) === this) this.conn.subscriptions.delete(this.id);
    this.runCleanup();
  }

  /** The subscribe answer was sent: queued notifications follow it. */
  activate(): void {
    if (this.state !== "pending") return;
    this.state = "active";
    const queued = this.queued;
    this.queued = [];
    for (const text of queued) if (!this.conn.send(text)) break;
  }

  /** The handler returned: keeps its cleanup, or runs it at once if the subscription ended meanwhile. */
  setCleanup(cleanup: SubscriptionCleanup | undefined): void {
    this.cleanup = cleanup;
    this.cleanupKnown = true;
    if (this.state === "closed") this.runCleanup();
  }

  /** The handler refused the subscription: it never existed, there is nothing to clean up. */
  discard(): void {
    this.cleanupKnown = true;
    this.cleanedUp = true;
    this.close();
  }

  private runCleanup(): void {
    if (!this.cleanupKnown || this.cleanedUp) return;
    this.cleanedUp = true;
    const cleanup = this.cleanup;
    if (cleanup === undefined) return;
    const failed = (err: unknown) =>
      this.logger.warn({ err, subscription: this.kind.spec.subscribe }, "Subscription cleanup failed");
    try {
      const r = cleanup();
      if (r instanceof Promise) r.catch(failed);
    } catch (err) {
      failed(err);
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** JSON-RPC 2.0 §4: an id is a string, a number or null (JSON.parse turns 1e400 into Infinity: refused). */
function isValidId(id: unknown): boolean {
  return id === null || typeof id === "string" || (typeof id === "number" && Number.isFinite(id));
}

function invalidRequest(): RpcError {
  return new RpcError(RPC_ERROR_CODES.INVALID_REQUEST, "Invalid request");
}

function errorResponse(id: string | number | null, err: RpcError): string {
  try {
    return JSON.stringify({ jsonrpc: "2.0", id, error: err.toJSON() });
  } catch {
    // `data` that does not serialise (a bigint …) is left out rather than failing the answer.
    return JSON.stringify({ jsonrpc: "2.0", id, error: { code: err.code, message: err.message } });
  }
}

/** Whether `text` is longer than `limit` bytes as UTF-8 (every UTF-16 unit is at least one byte). */
function exceeds(text: string, limit: number): boolean {
  return text.length > limit || Buffer.byteLength(text, "utf8") > limit;
}

/** A random 16-character alphanumeric id, as jsonrpsee's `RandomStringIdProvider::new(16)` in Substrate. */
function randomSubscriptionId(): string {
  let id = "";
  for (let i = 0; i < 16; i++) id += SUBSCRIPTION_ID_ALPHABET[randomInt(SUBSCRIPTION_ID_ALPHABET.length)];
  return id;
}

function rawDataToBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "Content-Type": TEXT_CONTENT_TYPE }).end(`${text}\n`);
}

/** An HTTP answer written on a socket that was to be upgraded, then the socket is closed. */
function rawReply(socket: Duplex, status: number, reason: string, text: string): void {
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: ${TEXT_CONTENT_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  socket.once("finish", () => socket.destroy());
}
