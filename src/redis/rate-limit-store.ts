/**
 * A store for @fastify/rate-limit (its documented `store` option) that counts in
 * Redis when it answers, so `RATE_LIMIT_MAX` holds across every replica together,
 * and in this replica's memory when it does not. Fixed windows in both.
 */
import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { LocalWindows } from './local-windows.js';
import type { SharedState } from './shared-state.js';

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

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
        (counted) =>
          callback(
            null,
            counted === undefined ? this.#local.hit(id, timeWindow) : { current: counted.current, ttl: counted.ttlMs },
          ),
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
