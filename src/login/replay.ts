/**
 * The replay memory: which login transactions were consumed, on this replica
 * and (with Redis) on every replica.
 */
import type { SharedState } from '../redis/shared-state.js';
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

/**
 * The replay memory the bridge uses: this replica's, and with `REDIS_URL` the one
 * every replica shares (a hash of the state, expiring with the transaction).
 * When Redis cannot answer in time, this replica's memory decides alone.
 */
export class ReplayMemory {
  readonly local: ConsumedTransactions;
  readonly #shared: SharedState | undefined;

  constructor(shared: SharedState | undefined, local = new ConsumedTransactions()) {
    this.local = local;
    this.#shared = shared;
  }

  /** Marks the state consumed on this replica and, when Redis answers, on all; false when it already was. */
  async consume(state: string, createdAt: number, now = Date.now()): Promise<boolean> {
    if (!this.local.consume(state, createdAt, now)) return false;
    if (this.#shared === undefined) return true;
    const first = await this.#shared.setOnce(this.#shared.key('replay', state), createdAt + TRANSACTION_TTL_MS - now);
    return first !== false;
  }

  /** True when the state was consumed here or, when Redis answers, on any replica. */
  async has(state: string, now = Date.now()): Promise<boolean> {
    if (this.local.has(state, now)) return true;
    return (await this.#shared?.exists(this.#shared.key('replay', state))) === true;
  }
}
