/**
 * The replay memory of this replica: which login transactions were consumed.
 */
import { TRANSACTION_TTL_MS } from './transaction.js';

/**
 * Remembers consumed transactions until they expire, so a replayed callback
 * (same cookie, same state) is refused even if the browser kept the cookie, and
 * a reloaded last page is recognised. A Map in insertion order: expired entries
 * are dropped from the front, and past `max` the oldest makes room (a forgotten
 * state can then only be replayed with its cookie, which the callback cleared,
 * and its code, which the IdP accepts once).
 */
export class ConsumedTransactions {
  readonly #max: number;
  /** state → expiry (epoch ms), oldest first. */
  readonly #expiries = new Map<string, number>();

  constructor(max = 100_000) {
    if (!(max >= 1 && Number.isInteger(max))) throw new RangeError('max must be a positive integer');
    this.#max = max;
  }

  /** Marks the state consumed; false when it already was. */
  consume(state: string, createdAt: number, now = Date.now()): boolean {
    this.prune(now);
    if (this.#expiries.has(state)) return false;
    if (this.#expiries.size >= this.#max) this.#expiries.delete(this.#expiries.keys().next().value!);
    this.#expiries.set(state, createdAt + TRANSACTION_TTL_MS);
    return true;
  }

  /** True when the state was consumed and its transaction has not expired yet. */
  has(state: string, now = Date.now()): boolean {
    this.prune(now);
    return this.#expiries.has(state);
  }

  /** Drops the entries whose transaction has expired anyway (oldest first). */
  prune(now = Date.now()): void {
    for (const [state, expiry] of this.#expiries) {
      if (expiry > now) break;
      this.#expiries.delete(state);
    }
  }

  get size(): number {
    return this.#expiries.size;
  }
}
