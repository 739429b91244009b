import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A machine-wide lock for test files whose claims depend on having the CPU: `npm test` runs two files at once,
 * and a file that starts seven `parapipe` processes (the crash and load suites) next to one that measures
 * parablocks per relay block on 2 cores makes the second read contention, not the protocol. Such files take
 * the lock at their top level (before any suite timeout starts); lighter files still run beside them.
 *
 * The lock is a directory (atomic `mkdir`) with its owner's pid; a lock whose owner is gone is taken over.
 */
const LOCK_DIR = join(tmpdir(), "parapipe-test-machine.lock");

function ownerAlive(lockDir: string): boolean {
  try {
    const pid = Number(readFileSync(join(lockDir, "pid"), "utf8"));
    if (!Number.isSafeInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists (another user's); anything else (ENOENT, ESRCH): not held.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Waits until this process holds the machine lock and returns its release (also released when the process
 * exits). `what` is printed while waiting, so a slow start says why. `lockDir` is for tests of the lock itself.
 */
export async function holdMachine(what: string, lockDir: string = LOCK_DIR): Promise<() => void> {
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, "pid"), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      // A holder that died (or has not written its pid yet, for a moment): taken over once it is surely gone.
      if (!ownerAlive(lockDir)) {
        await new Promise((r) => setTimeout(r, 200));
        if (!ownerAlive(lockDir)) rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!announced) {
        process.stdout.write(`# ${what}: waiting for the machine (another CPU-bound test file holds it)\n`);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    try {
      if (readFileSync(join(lockDir, "pid"), "utf8") === String(process.pid))
        rmSync(lockDir, { recursive: true, force: true });
    } catch {
      // Already gone.
    }
  };
  process.once("exit", release);
  return release;
}
