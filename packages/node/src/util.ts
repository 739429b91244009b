import type { Logger, Unsubscribe } from "./interface.js";

/**
 * A tiny typed event emitter: `Events` maps each event name to its payload. A listener that throws or
 * rejects is logged and does not disturb the emitter or the other listeners.
 */
export class Emitter<Events extends { [K in keyof Events]: unknown }> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void | Promise<void>>>();

  constructor(private readonly logger: Logger) {}

  /** Calls `listener` with every `event` emitted from now on. */
  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void | Promise<void>): Unsubscribe {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    const fn = listener as (payload: never) => void | Promise<void>;
    set.add(fn);
    return () => {
      set.delete(fn);
    };
  }

  /** Calls the listeners of `event` in subscription order. */
  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const fn of [...set]) {
      try {
        const r = (fn as (p: Events[K]) => void | Promise<void>)(payload);
        if (r instanceof Promise) r.catch((err: unknown) => this.failed(event, err));
      } catch (err) {
        this.failed(event, err);
      }
    }
  }

  /** Number of listeners of `event`. */
  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  private failed(event: keyof Events, err: unknown): void {
    this.logger.error({ err, event: String(event) }, "Event listener failed");
  }
}

/**
 * Runs async jobs one after the other, in submission order. A failing job rejects its own promise only.
 * `idle()` resolves once everything submitted so far has finished.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  /** Number of jobs queued or running. */
  get length(): number {
    return this.pending;
  }

  /** Queues `job` after the jobs queued before it. */
  run<T>(job: () => Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(job).finally(() => {
      this.pending--;
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves when the jobs queued so far have finished (whatever their outcome). */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}

/** A logger that drops everything (the default when none is injected). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

/** `0x1234…abcd`, for log lines. */
export function shortHex(hex: string): string {
  return hex.length <= 14 ? hex : `${hex.slice(0, 6)}…${hex.slice(-4)}`;
}
