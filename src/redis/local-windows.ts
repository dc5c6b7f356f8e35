/**
 * Fixed-window counters in this replica's memory: the rate limits and the
 * failed-login budget count here without Redis, and while Redis is away.
 */

/** The most keys counted at once; past it, the oldest window makes room. */
export const MAX_LOCAL_KEYS = 100_000;

/** This replica's fixed-window counters, oldest first. */
export class LocalWindows {
  readonly #windows = new Map<string, { count: number; resetAt: number; succeeded: number }>();

  /**
   * Counts a hit for `key`: the count so far in its window, the window's time
   * left, and the successes counted in it ({@link succeed}).
   */
  hit(key: string, windowMs: number, now = Date.now()): { current: number; ttl: number; succeeded: number } {
    const w = this.#window(key, windowMs, now);
    w.count++;
    return { current: w.count, ttl: w.resetAt - now, succeeded: w.succeeded };
  }

  /** Counts a success for `key` in its window (the failed-login budget's). */
  succeed(key: string, windowMs: number, now = Date.now()): void {
    this.#window(key, windowMs, now).succeeded++;
  }

  #window(key: string, windowMs: number, now: number): { count: number; resetAt: number; succeeded: number } {
    this.#prune(now);
    let w = this.#windows.get(key);
    if (w === undefined || w.resetAt <= now) {
      if (this.#windows.size >= MAX_LOCAL_KEYS) this.#windows.delete(this.#windows.keys().next().value!);
      this.#windows.delete(key);
      w = { count: 0, resetAt: now + windowMs, succeeded: 0 };
      this.#windows.set(key, w);
    }
    return w;
  }

  /** Takes back one hit of `key` in its current window (never below zero). */
  undo(key: string, now = Date.now()): void {
    const w = this.#windows.get(key);
    if (w !== undefined && w.resetAt > now && w.count > 0) w.count--;
  }

  #prune(now: number): void {
    for (const [k, w] of this.#windows) {
      if (w.resetAt > now) break;
      this.#windows.delete(k);
    }
  }
}
