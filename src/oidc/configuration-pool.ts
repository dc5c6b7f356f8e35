/**
 * openid-client Configurations whose requests carry one login's deadline beside
 * the transport's own: openid-client takes its fetch per Configuration, not per
 * call. They are reused, so that a login does not build one (and copy the
 * metadata).
 */
import * as client from 'openid-client';
import type { IdpFetch } from '../net/idp-fetch.js';

/** A Configuration whose requests carry one login's deadline, while that login holds it. */
interface Lease {
  readonly configuration: client.Configuration;
  signal: AbortSignal | undefined;
}

/** Idle leases kept for reuse (about the logins in flight at once); more are made when needed. */
const MAX_IDLE_LEASES = 64;

export class ConfigurationPool {
  readonly #shared: client.Configuration;
  readonly #newConfiguration: () => client.Configuration;
  readonly #fetch: IdpFetch;
  readonly #idle: Lease[] = [];

  /**
   * `shared` serves the calls without a deadline of their own; `newConfiguration`
   * makes another of the same metadata, to which the pool gives its fetch.
   */
  constructor(shared: client.Configuration, newConfiguration: () => client.Configuration, fetch: IdpFetch) {
    this.#shared = shared;
    this.#newConfiguration = newConfiguration;
    this.#fetch = fetch;
  }

  /** Runs `use` with a Configuration whose requests also end when `signal` aborts. */
  async withSignal<T>(
    signal: AbortSignal | undefined,
    use: (configuration: client.Configuration) => Promise<T>,
  ): Promise<T> {
    if (signal === undefined) return use(this.#shared);
    const lease = this.#take(signal);
    try {
      return await use(lease.configuration);
    } finally {
      this.#release(lease);
    }
  }

  #take(signal: AbortSignal): Lease {
    let lease = this.#idle.pop();
    if (lease === undefined) {
      const made: Lease = { configuration: this.#newConfiguration(), signal: undefined };
      made.configuration[client.customFetch] = (url, options) =>
        this.#fetch(url, { ...options, signal: made.signal ?? options.signal });
      lease = made;
    }
    lease.signal = signal;
    return lease;
  }

  #release(lease: Lease): void {
    lease.signal = undefined;
    if (this.#idle.length < MAX_IDLE_LEASES) this.#idle.push(lease);
  }
}
