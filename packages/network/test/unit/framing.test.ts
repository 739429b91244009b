import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Uint8ArrayList } from "uint8arraylist";
import {
  decodeErrorMessage,
  encodeErrorResponse,
  encodeFrame,
  encodeResponse,
  FramingError,
  MAX_ERROR_MESSAGE_BYTES,
  ResponseStatus,
  readFrame,
  readResponse,
} from "../../src/index.js";
import { truncateUtf8 } from "../../src/reqresp/framing.js";

function isFramingError(code: string) {
  return (err: unknown) => {
    assert.ok(err instanceof FramingError, `expected a FramingError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  };
}

/** Splits `bytes` into chunks of `size` (1 = one byte at a time, the worst case for a decoder). */
function chunks(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

async function* slowly(parts: (Uint8Array | Uint8ArrayList)[]) {
  for (const p of parts) {
    await new Promise((r) => setImmediate(r));
    yield p;
  }
}

describe("request/response framing", () => {
  test("a request frame is an unsigned-varint length then the payload", () => {
    assert.deepEqual(encodeFrame(new Uint8Array([7, 8])), new Uint8Array([2, 7, 8]));
    assert.deepEqual(encodeFrame(new Uint8Array(0)), new Uint8Array([0]));
    const big = encodeFrame(new Uint8Array(300));
    assert.deepEqual(big.subarray(0, 2), new Uint8Array([0xac, 0x02]), "300 = 0xac 0x02 as a varint");
    assert.equal(big.length, 302);
  });

  test("frames decode whatever the chunking, sync or async, and bytes after the frame are left alone", async () => {
    const payload = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    const wire = new Uint8Array([...encodeFrame(payload), 0xde, 0xad]);
    for (const size of [1, 2, 3, 7, 1000, 5000]) {
      assert.deepEqual(await readFrame(chunks(wire, size), 1000), payload, `chunks of ${size}`);
      assert.deepEqual(await readFrame(slowly(chunks(wire, size)), 1000), payload, `async chunks of ${size}`);
    }
    assert.deepEqual(await readFrame([new Uint8ArrayList(wire.subarray(0, 10), wire.subarray(10))], 1000), payload);
    assert.deepEqual(await readFrame([encodeFrame(new Uint8Array(0))], 0), new Uint8Array(0));
  });

  test("truncated input fails with FRAME_TRUNCATED, no input with FRAME_EMPTY", async () => {
    const wire = encodeFrame(new Uint8Array(300));
    await assert.rejects(readFrame([wire.subarray(0, 100)], 1000), isFramingError("FRAME_TRUNCATED"));
    await assert.rejects(readFrame([wire.subarray(0, 1)], 1000), isFramingError("FRAME_TRUNCATED"), "half a varint");
    await assert.rejects(readFrame([wire.subarray(0, 2)], 1000), isFramingError("FRAME_TRUNCATED"), "length only");
    await assert.rejects(readFrame([], 1000), isFramingError("FRAME_EMPTY"));
    await assert.rejects(readFrame([new Uint8Array(0)], 1000), isFramingError("FRAME_EMPTY"));
  });

  test("an oversized frame fails from its length prefix, before the payload is read", async () => {
    let pulledPayload = false;
    async function* source() {
      yield new Uint8Array([0x80, 0x80, 0x04]); // 65536
      pulledPayload = true;
      yield new Uint8Array(65536);
    }
    await assert.rejects(readFrame(source(), 65535), isFramingError("FRAME_TOO_LARGE"));
    assert.equal(pulledPayload, false, "the limit is enforced while reading");
    assert.equal((await readFrame(source(), 65536)).length, 65536);
  });

  test("a length prefix longer than 8 bytes is FRAME_BAD_LENGTH", async () => {
    await assert.rejects(readFrame([new Uint8Array(12).fill(0xff)], 1 << 20), isFramingError("FRAME_BAD_LENGTH"));
    await assert.rejects(
      readFrame(chunks(new Uint8Array(12).fill(0x80), 1), 1 << 20),
      isFramingError("FRAME_BAD_LENGTH"),
    );
  });

  test("errors of the source itself propagate unchanged", async () => {
    async function* broken() {
      yield new Uint8Array([5, 1]);
      throw new Error("stream reset");
    }
    await assert.rejects(readFrame(broken(), 100), /stream reset/);
  });

  test("responses carry a status byte; error payloads are limited and UTF-8", async () => {
    const ok = encodeResponse(ResponseStatus.OK, new Uint8Array([1, 2, 3]));
    assert.deepEqual(ok, new Uint8Array([0, 3, 1, 2, 3]));
    for (const size of [1, 2, 5])
      assert.deepEqual(await readResponse(chunks(ok, size), 3), { status: 0, payload: new Uint8Array([1, 2, 3]) });

    const err = encodeErrorResponse(ResponseStatus.ERROR, "no block 0x12 ✗");
    const res = await readResponse([err], 0);
    assert.equal(res.status, ResponseStatus.ERROR);
    assert.equal(decodeErrorMessage(res.payload), "no block 0x12 ✗");
    const long = encodeErrorResponse(ResponseStatus.RATE_LIMITED, "é".repeat(2000));
    const longRes = await readResponse([long], 0);
    assert.ok(longRes.payload.length <= MAX_ERROR_MESSAGE_BYTES);
    assert.equal(decodeErrorMessage(longRes.payload), "é".repeat(MAX_ERROR_MESSAGE_BYTES / 2));
  });

  test("malformed responses: empty, unknown status, truncated, too large", async () => {
    await assert.rejects(readResponse([], 10), isFramingError("FRAME_EMPTY"));
    await assert.rejects(readResponse([new Uint8Array([9, 0])], 10), isFramingError("FRAME_UNKNOWN_STATUS"));
    await assert.rejects(readResponse([new Uint8Array([0])], 10), isFramingError("FRAME_TRUNCATED"), "status only");
    await assert.rejects(readResponse([new Uint8Array([0, 5, 1])], 10), isFramingError("FRAME_TRUNCATED"));
    await assert.rejects(readResponse([encodeResponse(0, new Uint8Array(11))], 10), isFramingError("FRAME_TOO_LARGE"));
    // An error payload is held to the error limit, not the response limit.
    const hugeError = encodeResponse(ResponseStatus.ERROR, new Uint8Array(MAX_ERROR_MESSAGE_BYTES + 1));
    await assert.rejects(readResponse([hugeError], 1 << 20), isFramingError("FRAME_TOO_LARGE"));
  });

  test("truncateUtf8 never splits a character", () => {
    assert.deepEqual(truncateUtf8("abc", 10), new TextEncoder().encode("abc"));
    assert.equal(new TextDecoder().decode(truncateUtf8("aé", 2)), "a");
    assert.equal(new TextDecoder().decode(truncateUtf8("a😀b", 4)), "a");
    assert.equal(new TextDecoder().decode(truncateUtf8("a😀b", 5)), "a😀");
  });
});
