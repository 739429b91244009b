import { closeSync, openSync, readSync, statSync } from "node:fs";
import { Writable } from "node:stream";

/**
 * A log destination that keeps the last `max` lines in memory (an in-process node's log), optionally echoing
 * each line to stderr with a prefix (`LOG_LEVEL` set).
 */
export class LogBuffer {
  private readonly lines: string[] = [];
  private rest = "";
  /** The writable to give `createNodeLogger` as `destination`. */
  readonly stream: Writable;

  constructor(
    private readonly max = 5000,
    echoPrefix?: string,
  ) {
    this.stream = new Writable({
      write: (chunk: Buffer | string, _enc, cb) => {
        const parts = (this.rest + chunk.toString()).split("\n");
        this.rest = parts.pop() ?? "";
        for (const l of parts) {
          this.lines.push(l);
          if (echoPrefix !== undefined) process.stderr.write(`[${echoPrefix}] ${l}\n`);
        }
        if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
        cb();
      },
    });
  }

  /** The last `n` lines. */
  tail(n: number): string[] {
    return this.lines.slice(-n);
  }
}

/** The last `n` lines of a file (reads at most its last 1 MiB); [] when it does not exist. */
export function tailFile(path: string, n: number): string[] {
  let fd: number | undefined;
  try {
    const size = statSync(path).size;
    const len = Math.min(size, 1024 * 1024);
    const buf = Buffer.alloc(len);
    fd = openSync(path, "r");
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString("utf8").split("\n");
    if (lines.at(-1) === "") lines.pop();
    // The first line of a partial read may be cut.
    if (len < size) lines.shift();
    return lines.slice(-n);
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
