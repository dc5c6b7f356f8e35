/**
 * A store for @fastify/rate-limit (its documented `store` option) that counts in
 * Redis when it answers, so `RATE_LIMIT_MAX` holds across every replica together,
 * and in this replica's memory when it does not. Fixed windows in both.
 */
import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { SharedState } from './shared-state.js';

/** The most clients the fallback memory counts at once; past it, the oldest window makes room. */
const MAX_LOCAL_KEYS = 100_000;

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** This replica's fixed-window counters, oldest first. */
class LocalWindows {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();

  hit(key: string, windowMs: number, now = Date.now()): { current: number; ttl: number } {
    for (const [k, w] of this.#windows) {
      if (w.resetAt > now) break;
      this.#windows.delete(k);
    }
    let w = this.#windows.get(key);
    if (w === undefined || w.resetAt <= now) {
      if (this.#windows.size >= MAX_LOCAL_KEYS) this.#windows.delete(this.#windows.keys().next().value!);
      this.#windows.delete(key);
      w = { count: 0, resetAt: now + windowMs };
      this.#windows.set(key, w);
    }
    w.count++;
    return { current: w.count, ttl: w.resetAt - now };
  }
}

/** The store class to give @fastify/rate-limit, counting in `shared` (Redis) with this replica's memory as fallback. */
export function sharedRateLimitStore(shared: SharedState): FastifyRateLimitStoreCtor {
  class Store implements FastifyRateLimitStore {
    readonly #route: string;
    readonly #local: LocalWindows;

    constructor(_options: FastifyRateLimitOptions, route = '', local = new LocalWindows()) {
      this.#route = route;
      this.#local = local;
    }

    incr(key: string, callback: Callback, timeWindow: number): void {
      const id = `${this.#route} ${key}`;
      shared.countHit(shared.key('ratelimit', id), timeWindow).then(
        (counted) => callback(null, counted === undefined ? this.#local.hit(id, timeWindow) : { current: counted.current, ttl: counted.ttlMs }),
        () => callback(null, this.#local.hit(id, timeWindow)),
      );
    }

    child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      const info = (routeOptions as { routeInfo?: { method?: string; url?: string } }).routeInfo;
      return new Store(routeOptions, `${info?.method ?? ''} ${info?.url ?? ''}`, new LocalWindows());
    }
  }
  return Store;
}
