import { type Stream, type StreamCloseEvent, type StreamMessageEvent, StreamStateError } from "@libp2p/interface";
import type { Uint8ArrayList } from "uint8arraylist";

/**
 * The bytes a libp2p stream receives, as an async iterable that ends only when no more data can arrive.
 *
 * The stream's own async iterator ends on the `close` event even when received bytes are still queued in
 * its read buffer, which happens when the peer answers and closes before we finish closing our side (a
 * server refusing a request at once): the answer is then lost. This reader ends on `end`, which libp2p emits
 * once the read buffer is drained and the remote closed, or on `close` when nothing is buffered; an aborted
 * or reset stream ends with the stream's error.
 */
export function streamSource(stream: Stream): AsyncIterable<Uint8Array | Uint8ArrayList> {
  return {
    [Symbol.asyncIterator]: () => read(stream),
  };
}

async function* read(stream: Stream): AsyncGenerator<Uint8Array | Uint8ArrayList, void, undefined> {
  const chunks: (Uint8Array | Uint8ArrayList)[] = [];
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onMessage = (evt: StreamMessageEvent) => {
    chunks.push(evt.data);
    notify();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onClose = (evt: StreamCloseEvent) => {
    if (evt.error !== undefined) failure = evt.error;
    else if (stream.readBufferLength === 0) ended = true;
    notify();
  };
  stream.addEventListener("message", onMessage);
  stream.addEventListener("end", onEnd);
  stream.addEventListener("close", onClose);
  try {
    if (stream.status === "aborted" || stream.status === "reset")
      throw new StreamStateError(`stream ${stream.status} before it was read`);
    if (stream.readableEnded && stream.readBufferLength === 0) ended = true;
    while (true) {
      const chunk = chunks.shift();
      if (chunk !== undefined) {
        yield chunk;
        continue;
      }
      if (failure !== undefined) throw failure;
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    stream.removeEventListener("message", onMessage);
    stream.removeEventListener("end", onEnd);
    stream.removeEventListener("close", onClose);
  }
}
