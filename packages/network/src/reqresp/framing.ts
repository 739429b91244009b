import * as lp from "it-length-prefixed";
import { Uint8ArrayList } from "uint8arraylist";
import { FramingError } from "../errors.js";

/**
 * The request/response wire format, one stream per request:
 * - request:  `varint(len) ‖ payload`
 * - response: `status (1 byte) ‖ varint(len) ‖ payload`, the payload being the response for `OK` and a
 *   UTF-8 message otherwise.
 * Lengths are unsigned varints (it-length-prefixed); a frame whose length prefix exceeds the reader's limit
 * fails as soon as the prefix is read, before its payload is buffered.
 */

/** Response status bytes. */
export const ResponseStatus = {
  /** The payload is the response. */
  OK: 0,
  /** The handler failed; the payload is its message. */
  ERROR: 1,
  /** The requester's rate limit for this protocol is exhausted. */
  RATE_LIMITED: 2,
  /** The request exceeded the protocol's `maxRequestBytes`. */
  REQUEST_TOO_LARGE: 3,
  /** The request could not be parsed (bad or truncated length prefix). */
  INVALID_REQUEST: 4,
} as const;

/** One of `ResponseStatus`. */
export type ResponseStatus = (typeof ResponseStatus)[keyof typeof ResponseStatus];

/** Largest error message a server sends and a client reads. */
export const MAX_ERROR_MESSAGE_BYTES = 1024;

/** Bytes a reader accepts: a libp2p stream or, in tests, any (async) iterable of chunks. */
export type ByteSource = AsyncIterable<Uint8Array | Uint8ArrayList> | Iterable<Uint8Array | Uint8ArrayList>;

/** A decoded response. */
export interface Response {
  status: ResponseStatus;
  payload: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

/** `varint(len) ‖ payload`. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  return lp.encode.single(payload, { maxDataLength: Math.max(payload.length, 1) }).subarray();
}

/** A response frame. */
export function encodeResponse(status: ResponseStatus, payload: Uint8Array): Uint8Array {
  const frame = lp.encode.single(payload, { maxDataLength: Math.max(payload.length, 1) });
  const out = new Uint8Array(1 + frame.byteLength);
  out[0] = status;
  out.set(frame.subarray(), 1);
  return out;
}

/** A non-OK response carrying `message`, truncated to `MAX_ERROR_MESSAGE_BYTES` of UTF-8. */
export function encodeErrorResponse(status: Exclude<ResponseStatus, 0>, message: string): Uint8Array {
  return encodeResponse(status, truncateUtf8(message, MAX_ERROR_MESSAGE_BYTES));
}

/** Decodes an error response payload. */
export function decodeErrorMessage(payload: Uint8Array): string {
  return decoder.decode(payload);
}

/**
 * Reads exactly one `varint(len) ‖ payload` frame from `source`, refusing lengths above `maxBytes`. Bytes
 * after the frame are left unread. Throws `FramingError` (`FRAME_EMPTY`, `FRAME_TRUNCATED`,
 * `FRAME_TOO_LARGE`, `FRAME_BAD_LENGTH`); errors of the source itself propagate unchanged.
 */
export async function readFrame(source: ByteSource, maxBytes: number): Promise<Uint8Array> {
  const it = iteratorOf(source);
  try {
    return await frameFrom(it, new Uint8ArrayList(), maxBytes);
  } finally {
    await it.return?.();
  }
}

/**
 * Reads a response: the status byte, then one frame limited to `maxBytes` for `OK` and to
 * `MAX_ERROR_MESSAGE_BYTES` otherwise. Throws `FramingError` as `readFrame`, plus `FRAME_UNKNOWN_STATUS`.
 */
export async function readResponse(source: ByteSource, maxBytes: number): Promise<Response> {
  const it = iteratorOf(source);
  try {
    const head = new Uint8ArrayList();
    while (head.byteLength === 0) {
      const r = await it.next();
      if (r.done === true)
        throw new FramingError({ code: "FRAME_EMPTY" }, "empty response: the stream ended before a status byte");
      head.append(r.value);
    }
    const status = head.get(0);
    head.consume(1);
    if (!isStatus(status))
      throw new FramingError({ code: "FRAME_UNKNOWN_STATUS", status }, `unknown response status byte ${status}`);
    const limit = status === ResponseStatus.OK ? maxBytes : MAX_ERROR_MESSAGE_BYTES;
    const payload = await frameFrom(it, head, limit, true);
    return { status, payload };
  } finally {
    await it.return?.();
  }
}

function isStatus(b: number): b is ResponseStatus {
  return b >= ResponseStatus.OK && b <= ResponseStatus.INVALID_REQUEST;
}

async function frameFrom(
  it: AsyncIterator<Uint8Array | Uint8ArrayList>,
  buffered: Uint8ArrayList,
  maxBytes: number,
  afterStatus = false,
): Promise<Uint8Array> {
  let seen = buffered.byteLength > 0 || afterStatus;
  // The shared iterator is returned by the caller, never by this generator.
  async function* rest(): AsyncGenerator<Uint8ArrayList | Uint8Array> {
    if (buffered.byteLength > 0) yield buffered;
    while (true) {
      const r = await it.next();
      if (r.done === true) return;
      if (r.value.byteLength > 0) seen = true;
      yield r.value;
    }
  }
  try {
    for await (const frame of lp.decode(rest(), { maxDataLength: maxBytes })) return frame.subarray();
  } catch (err) {
    throw mapLpError(err, maxBytes);
  }
  if (!seen) throw new FramingError({ code: "FRAME_EMPTY" }, "empty frame: the stream ended before a length prefix");
  throw new FramingError({ code: "FRAME_TRUNCATED" }, "truncated frame: the stream ended inside the length prefix");
}

function mapLpError(err: unknown, maxBytes: number): unknown {
  switch ((err as { code?: unknown }).code) {
    case "ERR_MSG_DATA_TOO_LONG":
      return new FramingError(
        { code: "FRAME_TOO_LARGE", maxBytes },
        `frame too large: its length prefix exceeds ${maxBytes} bytes`,
      );
    case "ERR_MSG_LENGTH_TOO_LONG":
    case "ERR_INVALID_MSG_LENGTH":
      return new FramingError({ code: "FRAME_BAD_LENGTH" }, "malformed frame: invalid unsigned-varint length prefix");
    case "ERR_UNEXPECTED_EOF":
      return new FramingError({ code: "FRAME_TRUNCATED" }, "truncated frame: the stream ended inside the payload");
    default:
      return err;
  }
}

function iteratorOf(source: ByteSource): AsyncIterator<Uint8Array | Uint8ArrayList> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  const sync = source[Symbol.iterator]();
  return {
    next: async () => sync.next(),
    return: async () => sync.return?.() ?? { done: true, value: undefined },
  };
}

/** The longest prefix of `message`'s UTF-8 that fits `maxBytes` without splitting a character. */
export function truncateUtf8(message: string, maxBytes: number): Uint8Array {
  const bytes = encoder.encode(message);
  if (bytes.length <= maxBytes) return bytes;
  let end = maxBytes;
  // Back off continuation bytes (10xxxxxx) so the cut falls on a character boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}
