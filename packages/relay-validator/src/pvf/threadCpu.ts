import { readFileSync, readlinkSync } from "node:fs";

/**
 * CPU time of one thread, read from Linux procfs, so that a PVF's execution timeout counts the CPU time its
 * worker thread used, as Polkadot's PVF host does (`cpu_time_monitor_loop`), not the wall-clock time a loaded
 * machine stretches. USER_HZ is 100 on every Linux platform Node supports: a reading is good to 10 ms.
 */
const TICK_MS = 10;

/** The calling thread's kernel thread id, or undefined where procfs is not available (not Linux). */
export function currentThreadId(): number | undefined {
  try {
    // "/proc/thread-self" -> "<pid>/task/<tid>"
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    return Number.isSafeInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system, ms) thread `tid` of this process has used, or undefined when it cannot be read
 * (the thread ended, or no procfs).
 */
export function threadCpuMs(tid: number): number | undefined {
  try {
    return parseThreadCpuMs(readFileSync(`/proc/${process.pid}/task/${tid}/stat`, "latin1"));
  } catch {
    return undefined;
  }
}

/** `utime + stime` of a `/proc/<pid>/task/<tid>/stat` line, in ms; undefined when it does not parse. */
export function parseThreadCpuMs(stat: string): number | undefined {
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const close = stat.lastIndexOf(")");
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(" ");
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isSafeInteger(utime) || !Number.isSafeInteger(stime)) return undefined;
  return (utime + stime) * TICK_MS;
}
