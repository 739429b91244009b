import {
  AbortError,
  type AbortOptions,
  type Connection,
  type PeerId,
  type Stream,
  type StreamHandler,
  type StreamHandlerOptions,
  TimeoutError,
} from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { errorMessage, FramingError, NetworkError, ReqRespError, type ReqRespErrorType } from "../errors.js";
import type { RequestFaultFilter } from "../faults.js";
import { protocolId as makeProtocolId } from "../gossip/topics.js";
import type { NetworkLogger, ReqResp, ReqRespProtocol, RequestOptions } from "../interface.js";
import type { NetworkMetrics, ReqRespInboundOutcome, ReqRespOutboundOutcome } from "../metrics.js";
import {
  decodeErrorMessage,
  encodeErrorResponse,
  encodeFrame,
  encodeResponse,
  type Response,
  ResponseStatus,
  readFrame,
  readResponse,
} from "./framing.js";
import { type Clock, PeerRateLimiter } from "./rateLimiter.js";
import { streamSource } from "./streamSource.js";

/** The part of a libp2p node request/response needs (a fake in one line for tests). */
export interface ReqRespHost {
  handle(protocol: string, handler: StreamHandler, options?: StreamHandlerOptions): Promise<void>;
  unhandle(protocol: string): Promise<void>;
  dialProtocol(peer: PeerId, protocols: string | string[], options?: AbortOptions): Promise<Stream>;
}

/** Options of the request/response service. */
export interface ReqRespOptions {
  genesisHash: Uint8Array | string;
  /** Client timeout for protocols not registered locally. */
  defaultTimeoutMs: number;
  /** Client response limit for protocols not registered locally. */
  defaultMaxResponseBytes: number;
  /** Concurrent inbound streams per protocol and connection. */
  maxInboundStreams: number;
}

/** Its dependencies. */
export interface ReqRespModules {
  logger: NetworkLogger;
  metrics?: NetworkMetrics;
  /** Injected for rate-limit tests; `Date.now` otherwise. */
  clock?: Clock;
  /** Fault injection (tests only): loses requests, refuses cut peers. */
  faults?: RequestFaultFilter | undefined;
}

interface Registered {
  protocol: ReqRespProtocol;
  id: string;
  limiter: PeerRateLimiter;
}

/**
 * Request/response protocols over libp2p streams, Lodestar-reqresp style: one stream per request, a size
 * limit on both directions enforced while reading, a timeout on every exchange (server and client side), a
 * per-peer token bucket per protocol, and every outcome counted.
 */
export class ReqRespService implements ReqResp {
  private readonly opts: ReqRespOptions;
  private readonly logger: NetworkLogger;
  private readonly metrics: NetworkMetrics | undefined;
  private readonly clock: Clock;
  private readonly faults: RequestFaultFilter | undefined;
  private readonly registered = new Map<string, Registered>();
  private host: ReqRespHost | undefined;

  constructor(opts: ReqRespOptions, modules: ReqRespModules) {
    this.opts = opts;
    this.logger = modules.logger;
    this.metrics = modules.metrics;
    this.clock = modules.clock ?? Date.now;
    this.faults = modules.faults;
  }

  /** @inheritdoc */
  protocolId(name: string): string {
    return makeProtocolId(this.opts.genesisHash, name);
  }

  /** @inheritdoc */
  register(protocol: ReqRespProtocol): void {
    const id = this.protocolId(protocol.name);
    if (this.registered.has(protocol.name))
      throw new NetworkError({ code: "ALREADY_REGISTERED", protocol: id }, `protocol ${id} is already registered`);
    for (const field of ["maxRequestBytes", "maxResponseBytes", "timeoutMs"] as const) {
      const v = protocol[field];
      if (!(Number.isSafeInteger(v) && v > 0))
        throw new NetworkError(
          { code: "INVALID_OPTION", option: field, reason: String(v) },
          `invalid ${field} for ${id}: expected a positive integer, found ${v}`,
        );
    }
    const entry: Registered = { protocol, id, limiter: new PeerRateLimiter(protocol.rateLimit, this.clock) };
    this.registered.set(protocol.name, entry);
    if (this.host !== undefined) void this.attachOne(this.host, entry);
  }

  /** Serves every registered protocol on `host` (called by the network on start). */
  async attach(host: ReqRespHost): Promise<void> {
    this.host = host;
    for (const entry of this.registered.values()) await this.attachOne(host, entry);
  }

  /** Stops serving (called by the network on stop). */
  detach(): void {
    this.host = undefined;
  }

  private async attachOne(host: ReqRespHost, entry: Registered): Promise<void> {
    try {
      await host.handle(
        entry.id,
        (stream, connection) => {
          void this.serve(entry, stream, connection);
        },
        { maxInboundStreams: this.opts.maxInboundStreams, runOnLimitedConnection: false },
      );
    } catch (err) {
      this.logger.error({ protocol: entry.id, err: errorMessage(err) }, "Failed to register protocol handler");
    }
  }

  // ---------------------------------------------------------------- server side

  private async serve(entry: Registered, stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString();
    const fault = this.faults?.requestFault("in", entry.protocol.name, entry.id, peer) ?? "pass";
    if (fault === "cut") {
      // Fault injection: the link to this peer is cut; whatever still arrives on it is lost.
      stream.abort(new NetworkError({ code: "LINK_CUT", peer }, `link to ${peer} cut by fault injection`));
      this.metrics?.reqresp?.(entry.id, "stream_error");
      return;
    }
    const { timeoutMs } = entry.protocol;
    const ac = new AbortController();
    // The server's own deadline: a peer that never finishes its request, or a handler that never returns,
    // must not hold a stream (and the handler's work) forever.
    const timer = setTimeout(() => ac.abort(new TimeoutError(`request exceeded ${timeoutMs} ms`)), timeoutMs);
    const onAbort = () => {
      if (stream.status === "open") stream.abort(new TimeoutError(`${entry.id}: request exceeded ${timeoutMs} ms`));
    };
    ac.signal.addEventListener("abort", onAbort, { once: true });
    // If the stream dies (reset by the peer, connection closed) the handler is told to stop too.
    const onClose = () => {
      if (!ac.signal.aborted && stream.status !== "closed")
        ac.abort(new AbortError("stream closed before the response was sent"));
    };
    stream.addEventListener("close", onClose, { once: true });
    let outcome: ReqRespInboundOutcome;
    try {
      // Fault injection: a lost request is never answered; the server's deadline resets the stream.
      outcome =
        fault === "drop"
          ? await untilAborted(ac.signal, "timeout")
          : await this.exchange(entry, stream, peer, ac.signal);
    } catch (err) {
      outcome = ac.signal.aborted ? "timeout" : "stream_error";
      this.logger.debug({ protocol: entry.id, peer, err: errorMessage(err) }, "Inbound request failed");
      if (stream.status === "open") stream.abort(err instanceof Error ? err : new AbortError(String(err)));
    } finally {
      clearTimeout(timer);
      ac.signal.removeEventListener("abort", onAbort);
      stream.removeEventListener("close", onClose);
    }
    this.metrics?.reqresp?.(entry.id, outcome);
  }

  private async exchange(
    entry: Registered,
    stream: Stream,
    peer: string,
    signal: AbortSignal,
  ): Promise<ReqRespInboundOutcome> {
    const { protocol, id } = entry;
    // The rate limit is checked before reading so that a flooding peer costs one token-bucket lookup.
    if (!entry.limiter.allow(peer)) {
      this.logger.debug({ protocol: id, peer }, "Inbound request rate limited");
      await reply(
        stream,
        encodeErrorResponse(
          ResponseStatus.RATE_LIMITED,
          `rate limit of ${protocol.rateLimit.requests} requests per ${protocol.rateLimit.perMs} ms exceeded`,
        ),
        signal,
      );
      return "rate_limited";
    }

    let request: Uint8Array;
    try {
      request = await readFrame(streamSource(stream), protocol.maxRequestBytes);
    } catch (err) {
      if (!(err instanceof FramingError)) throw err;
      this.logger.debug({ protocol: id, peer, code: err.code }, "Malformed inbound request");
      if (err.code === "FRAME_TOO_LARGE") {
        await reply(
          stream,
          encodeErrorResponse(ResponseStatus.REQUEST_TOO_LARGE, `request exceeds ${protocol.maxRequestBytes} bytes`),
          signal,
        );
        return "request_too_large";
      }
      await reply(stream, encodeErrorResponse(ResponseStatus.INVALID_REQUEST, err.message), signal);
      return "invalid_request";
    }

    let response: Uint8Array;
    try {
      response = await protocol.handle(request, peer, { signal });
      if (!(response instanceof Uint8Array)) throw new TypeError("handler returned a value that is not a Uint8Array");
    } catch (err) {
      if (signal.aborted) return "timeout";
      this.logger.debug({ protocol: id, peer, err: errorMessage(err) }, "Request handler failed");
      await reply(stream, encodeErrorResponse(ResponseStatus.ERROR, errorMessage(err)), signal);
      return "handler_error";
    }
    if (signal.aborted) return "timeout";
    if (response.length > protocol.maxResponseBytes) {
      this.logger.warn(
        { protocol: id, peer, size: response.length, maxBytes: protocol.maxResponseBytes },
        "Request handler produced a response above the protocol limit; not sent",
      );
      await reply(
        stream,
        encodeErrorResponse(
          ResponseStatus.ERROR,
          `response of ${response.length} bytes exceeds the protocol limit of ${protocol.maxResponseBytes} bytes`,
        ),
        signal,
      );
      return "response_too_large";
    }
    await reply(stream, encodeResponse(ResponseStatus.OK, response), signal);
    return "ok";
  }

  // ---------------------------------------------------------------- client side

  /** @inheritdoc */
  async request(peerId: string, name: string, bytes: Uint8Array, opts: RequestOptions = {}): Promise<Uint8Array> {
    const protocol = this.protocolId(name);
    const local = this.registered.get(name)?.protocol;
    const timeoutMs = opts.timeoutMs ?? local?.timeoutMs ?? this.opts.defaultTimeoutMs;
    const maxResponseBytes = opts.maxResponseBytes ?? local?.maxResponseBytes ?? this.opts.defaultMaxResponseBytes;
    const fail = (type: ReqRespErrorType, message: string): ReqRespError => {
      this.metrics?.reqrespOutbound?.(protocol, type.code.toLowerCase() as ReqRespOutboundOutcome);
      this.logger.debug({ protocol, peer: peerId, code: type.code, reason: message }, "Outbound request failed");
      return new ReqRespError(type, message);
    };

    // When this node serves the protocol too it knows the limit: do not send what the peer would refuse.
    if (local !== undefined && bytes.length > local.maxRequestBytes)
      throw fail(
        {
          code: "REQUEST_TOO_LARGE",
          protocol,
          peer: peerId,
          size: bytes.length,
          maxBytes: local.maxRequestBytes,
          remote: false,
        },
        `request of ${bytes.length} bytes exceeds the ${protocol} limit of ${local.maxRequestBytes} bytes`,
      );
    const host = this.host;
    if (host === undefined)
      throw fail({ code: "DIAL_FAILED", protocol, peer: peerId, reason: "network not started" }, "network not started");
    let pid: PeerId;
    try {
      pid = peerIdFromString(peerId);
    } catch (err) {
      throw fail(
        { code: "DIAL_FAILED", protocol, peer: peerId, reason: `invalid peer id: ${errorMessage(err)}` },
        `cannot request ${protocol}: invalid peer id "${peerId.slice(0, 60)}"`,
      );
    }

    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal === undefined ? timeout : AbortSignal.any([timeout, opts.signal]);
    const timedOut = () =>
      fail(
        { code: "TIMEOUT", protocol, peer: peerId, timeoutMs },
        `request ${protocol} to ${peerId} got no complete response within ${timeoutMs} ms`,
      );

    const fault = this.faults?.requestFault("out", name, protocol, peerId) ?? "pass";
    if (fault === "cut")
      throw fail(
        { code: "DIAL_FAILED", protocol, peer: peerId, reason: "link cut by fault injection" },
        `cannot open ${protocol} to ${peerId}: link cut by fault injection`,
      );
    if (fault === "drop") {
      // Fault injection: the request is lost on the way; the requester hears nothing until its timeout.
      await untilAborted(signal, undefined);
      throw timedOut();
    }

    let stream: Stream;
    try {
      stream = await host.dialProtocol(pid, protocol, { signal });
    } catch (err) {
      if (signal.aborted) throw timedOut();
      if ((err as Error | undefined)?.name === "UnsupportedProtocolError")
        throw fail({ code: "UNKNOWN_PROTOCOL", protocol, peer: peerId }, `peer ${peerId} does not serve ${protocol}`);
      const reason = errorMessage(err);
      throw fail(
        { code: "DIAL_FAILED", protocol, peer: peerId, reason },
        `cannot open ${protocol} to ${peerId}: ${reason}`,
      );
    }

    // Abort the stream on timeout: its reader then ends with an error instead of waiting forever.
    const onAbort = () => stream.abort(new TimeoutError(`request timed out after ${timeoutMs} ms`));
    signal.addEventListener("abort", onAbort, { once: true });
    let clean = false;
    try {
      let response: Response;
      try {
        stream.send(encodeFrame(bytes));
        // Half-close our side while reading: a server refusing early (rate limit, too large) is heard at once.
        const closing = stream.close({ signal }).catch(() => undefined);
        response = await readResponse(streamSource(stream), maxResponseBytes);
        await closing;
      } catch (err) {
        if (signal.aborted) throw timedOut();
        if (err instanceof FramingError) {
          if (err.code === "FRAME_TOO_LARGE")
            throw fail(
              { code: "RESPONSE_TOO_LARGE", protocol, peer: peerId, maxBytes: maxResponseBytes },
              `response to ${protocol} from ${peerId} exceeds ${maxResponseBytes} bytes`,
            );
          throw fail(
            { code: "MALFORMED_RESPONSE", protocol, peer: peerId, reason: err.message },
            `malformed response to ${protocol} from ${peerId}: ${err.message}`,
          );
        }
        if ((err as Error | undefined)?.name === "UnsupportedProtocolError")
          throw fail({ code: "UNKNOWN_PROTOCOL", protocol, peer: peerId }, `peer ${peerId} does not serve ${protocol}`);
        const reason = errorMessage(err);
        throw fail(
          { code: "STREAM_FAILED", protocol, peer: peerId, reason },
          `stream for ${protocol} to ${peerId} failed: ${reason}`,
        );
      }
      clean = true;
      const remoteMessage = () => decodeErrorMessage(response.payload);
      switch (response.status) {
        case ResponseStatus.OK:
          this.metrics?.reqrespOutbound?.(protocol, "ok");
          return response.payload;
        case ResponseStatus.ERROR:
          throw fail(
            { code: "REMOTE_ERROR", protocol, peer: peerId, remoteMessage: remoteMessage() },
            `${protocol} handler of ${peerId} failed: ${remoteMessage()}`,
          );
        case ResponseStatus.RATE_LIMITED:
          throw fail(
            { code: "RATE_LIMITED", protocol, peer: peerId },
            `${peerId} rate-limited ${protocol}: ${remoteMessage()}`,
          );
        case ResponseStatus.REQUEST_TOO_LARGE:
          throw fail(
            { code: "REQUEST_TOO_LARGE", protocol, peer: peerId, size: bytes.length, remote: true },
            `${peerId} refused a ${bytes.length}-byte ${protocol} request: ${remoteMessage()}`,
          );
        case ResponseStatus.INVALID_REQUEST:
          throw fail(
            { code: "INVALID_REQUEST", protocol, peer: peerId, remoteMessage: remoteMessage() },
            `${peerId} could not parse the ${protocol} request: ${remoteMessage()}`,
          );
        default:
          throw fail(
            { code: "MALFORMED_RESPONSE", protocol, peer: peerId, reason: `status ${String(response.status)}` },
            `malformed response to ${protocol} from ${peerId}: unknown status`,
          );
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      if (!clean && stream.status === "open") stream.abort(new AbortError("request failed"));
    }
  }
}

/** Resolves to `value` once `signal` is aborted (at once if it already is). */
function untilAborted<T>(signal: AbortSignal, value: T): Promise<T> {
  if (signal.aborted) return Promise.resolve(value);
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(value), { once: true }));
}

/** Sends one response frame, closes our writable end and discards whatever the peer still sends. */
async function reply(stream: Stream, frame: Uint8Array, signal: AbortSignal): Promise<void> {
  stream.send(frame);
  await stream.close({ signal });
  await stream.closeRead({ signal });
}
