// PVF worker thread: runs `validateBlock` for (validation code, ValidationParams) sent by the pool.
// An entry point of its own: the Node 20 polyfill is imported first.
import "@parapipe/primitives/polyfill";
import { parentPort } from "node:worker_threads";
import { cryptoReady } from "@parapipe/primitives";
import { paraRuntimeFromCode, validateBlock } from "@parapipe/runtime";
import type { PvfRequest, PvfResponse } from "./protocol.js";
import { currentThreadId } from "./threadCpu.js";

await cryptoReady();
const port = parentPort;
if (!port) throw new Error("pvf worker must run in a worker thread");

port.on("message", (msg: PvfRequest | { warm: Uint8Array }) => {
  if ("warm" in msg) {
    try {
      paraRuntimeFromCode(msg.warm);
    } catch {
      // An invalid code fails every job that uses it, with its reason.
    }
    port.postMessage({ warmed: true });
    return;
  }
  const req = msg;
  const started = performance.now();
  let res: PvfResponse;
  try {
    const rt = paraRuntimeFromCode(req.code);
    const r = validateBlock(rt, req.params);
    res = r.ok
      ? {
          id: req.id,
          valid: true,
          headData: r.value.headData,
          hrmpWatermark: r.value.hrmpWatermark,
          ms: performance.now() - started,
        }
      : { id: req.id, valid: false, code: r.error.code, message: r.error.message, ms: performance.now() - started };
  } catch (e) {
    const err = e as { code?: unknown; message?: unknown };
    res = {
      id: req.id,
      valid: false,
      code: typeof err.code === "string" ? err.code : "PVF_PANIC",
      message: typeof err.message === "string" ? err.message : String(e),
      ms: performance.now() - started,
    };
  }
  port.postMessage(res);
});
// The pool times jobs by this thread's CPU time (procfs); without a thread id it falls back to wall clock.
port.postMessage({ ready: true, tid: currentThreadId() });
