/**
 * The state replicas share through Redis (`REDIS_URL`): ioredis, with a short
 * deadline per command and no queue of commands waiting for a reconnect, so a
 * login never waits on Redis. Every operation answers `undefined` when Redis is
 * unavailable or slow, and the caller falls back to its own memory.
 *
 * Keys are `REDIS_KEY_PREFIX` + a kind + a SHA-256 hash (never a state, a code,
 * a cookie or an address), and every key has an expiry.
 *
 * A new `REDIS_URL` (a rotated `REDIS_URL_FILE`) is used without a restart: its
 * connection replaces the one in use once it is ready ({@link SharedState.useUrl}).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { inSpan } from '../observability/tracing.js';
import {
  connectRedis,
  disconnectRedis,
  explainRedisError,
  REDIS_MAX_RECONNECT_DELAY_MS,
  whenReady,
  type BridgeRedis,
} from './connection.js';

/** The longest a login waits on one Redis command before going on without it. */
export const REDIS_COMMAND_TIMEOUT_MS = 250;
/** The longest a new `REDIS_URL` may take to connect and authenticate before it is refused (the old one stays). */
export const REDIS_NEW_URL_TIMEOUT_MS = 5000;

/** What a command is for: the replay memory, the rate limits, the failed-login budget. */
type RedisOperation =
  'replay.set_once' | 'replay.exists' | 'rate_limit.count' | 'login_budget.count' | 'login_budget.end';

/** What a change of Redis's availability is reported with; `first`: the first news since start-up. */
export type RedisStatusListener = (up: boolean, detail: string | undefined, first: boolean) => void;

/** A key's hash: base64url SHA-256, 43 characters. */
export const keyHash = (value: string) => createHash('sha256').update(value).digest('base64url');

export interface SharedStateOptions {
  /** `rediss://` (TLS, the certificate and its host name always checked), or `redis://`. */
  readonly url: string;
  readonly keyPrefix: string;
  /** PEM CA certificates that replace Node's trusted CAs for this connection; undefined: Node's (with `NODE_EXTRA_CA_CERTS`). */
  readonly ca?: string | undefined;
  /** {@link REDIS_COMMAND_TIMEOUT_MS} unless set. */
  readonly commandTimeoutMs?: number;
}

/** Redis as the replicas' shared memory; see the module comment. */
export class SharedState {
  readonly #RedisClient: typeof Redis;
  readonly #ca: string | undefined;
  /** The connection in use; replaced by {@link useUrl}. */
  #redis: BridgeRedis;
  /** A connection to a new URL being tried, closed by {@link close} too. */
  #trying: BridgeRedis | undefined;
  /** Replaced connections, closed once the commands sent on them are answered (or timed out). */
  readonly #retiring = new Map<BridgeRedis, NodeJS.Timeout>();
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #deadlines: Deadlines;
  readonly #listeners: RedisStatusListener[] = [];
  /** undefined until the first connection succeeds or fails. */
  #up: boolean | undefined = undefined;
  /** The connection is ready (it may still hang: see {@link #run}). */
  #connected = false;
  /** After a command timed out, commands are not tried again before this time (epoch ms). */
  #retryAt = 0;
  #closed = false;
  /** Why the last connection attempt failed, for check-config. */
  #lastError: string | undefined;

  /**
   * Creates the shared state and starts connecting (never waits for Redis).
   * ioredis is loaded here, only when Redis is configured: a bridge without
   * `REDIS_URL` never holds its code in memory.
   */
  static async create(opts: SharedStateOptions): Promise<SharedState> {
    const { Redis } = await import('ioredis');
    return new SharedState(opts, Redis);
  }

  private constructor(opts: SharedStateOptions, RedisClient: typeof Redis) {
    this.#RedisClient = RedisClient;
    this.#ca = opts.ca;
    this.#prefix = opts.keyPrefix;
    this.#timeoutMs = opts.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS;
    this.#deadlines = new Deadlines(this.#timeoutMs);
    this.#redis = this.#connect(opts.url);
  }

  /** A connection to `url`, made as at start-up (the TLS of `rediss://` with the start-up CA). */
  #connect(url: string): BridgeRedis {
    const redis = connectRedis(this.#RedisClient, url, this.#ca);
    // Only the connection in use speaks for Redis: one being tried, or one replaced, changes nothing.
    redis.on('ready', () => {
      if (redis === this.#redis) this.#ready();
    });
    redis.on('error', (e: Error) => {
      if (redis !== this.#redis) return;
      this.#lastError = explainRedisError(e);
      if (!this.#connected) this.#set(false, this.#lastError);
    });
    redis.on('close', () => {
      if (redis !== this.#redis) return;
      this.#connected = false;
      this.#set(false, 'the connection closed');
    });
    return redis;
  }

  /** The connection in use is ready: commands go to it again at once. */
  #ready(): void {
    this.#connected = true;
    this.#retryAt = 0;
    this.#set(true, undefined);
  }

  /**
   * Moves to the Redis of `url` (a rotated `REDIS_URL_FILE`) without a restart. A
   * new connection replaces the one in use only once it is ready (connected, TLS
   * and password accepted, its ready check answered); one that fails, or is not
   * ready within `deadlineMs`, is closed and the one in use stays: the answer
   * says why. Commands sent before the move finish on the old connection (or
   * their deadline answers them, and the caller falls back), which is then closed.
   */
  async useUrl(
    url: string,
    deadlineMs = REDIS_NEW_URL_TIMEOUT_MS,
  ): Promise<{ ok: true } | { ok: false; detail: string }> {
    if (this.#closed) return { ok: false, detail: 'the bridge is closing' };
    // One at a time (SecretReload never overlaps its reads): a second would race the first to replace.
    if (this.#trying !== undefined) return { ok: false, detail: 'another new Redis URL is being tried' };
    const next = this.#connect(url);
    this.#trying = next;
    const failure = await whenReady(next, deadlineMs);
    this.#trying = undefined;
    if (failure !== undefined || this.#closed) {
      disconnectRedis(next);
      return { ok: false, detail: failure ?? 'the bridge is closing' };
    }
    const old = this.#redis;
    this.#redis = next;
    this.#lastError = undefined;
    // Its 'ready' came while it was not the one in use: said now.
    this.#ready();
    if (old.status !== 'ready') disconnectRedis(old);
    else
      this.#retiring.set(
        old,
        setTimeout(() => {
          this.#retiring.delete(old);
          disconnectRedis(old);
        }, 2 * this.#timeoutMs),
      );
    return { ok: true };
  }

  /** Commands answered by the deadline, and operations not sent because Redis was away (tests, diagnostics). */
  readonly stats = { timedOut: 0, skipped: 0 };

  /** True while Redis is connected and ready. */
  get up(): boolean {
    return this.#up === true;
  }

  /** Calls `listener` on every change (up → down, down → up). */
  onStatus(listener: RedisStatusListener): void {
    this.#listeners.push(listener);
  }

  #set(up: boolean, detail: string | undefined): void {
    if (this.#closed || up === this.#up) return;
    const first = this.#up === undefined;
    this.#up = up;
    for (const l of this.#listeners) l(up, detail, first);
  }

  /**
   * Runs one command, or answers undefined at once when Redis is away. A command
   * that times out (a Redis that hangs with its connection open) marks Redis
   * unavailable, and no command is tried for {@link REDIS_MAX_RECONNECT_DELAY_MS},
   * so that the logins meanwhile do not each wait for the timeout.
   */
  async #run<T>(operation: RedisOperation, command: (redis: BridgeRedis) => Promise<T>): Promise<T | undefined> {
    const redis = this.#redis;
    if (!this.#connected || Date.now() < this.#retryAt) {
      this.stats.skipped++;
      return undefined;
    }
    // One client span per command, named for what it is for (the key, a hash, is never an attribute).
    return inSpan(
      `redis ${operation}`,
      { 'db.system.name': 'redis', 'db.operation.name': operation },
      async (span) => {
        const answer = await this.#deadlines.race(command(redis));
        // An answer of a connection replaced meanwhile (a new REDIS_URL) says nothing of the one in use.
        const inUse = redis === this.#redis;
        if (answer === TIMED_OUT) {
          this.stats.timedOut++;
          if (inUse) {
            this.#retryAt = Date.now() + REDIS_MAX_RECONNECT_DELAY_MS;
            this.#set(false, `a command took longer than ${this.#timeoutMs} ms`);
          }
          span.fail({ name: 'timeout' });
          return undefined;
        }
        if (answer === FAILED) {
          span.fail({ name: 'failed' });
          return undefined;
        }
        if (inUse) this.#set(true, undefined);
        return answer;
      },
      'client',
    );
  }

  /** The full key of `kind` for `value` (hashed). */
  key(kind: string, value: string): string {
    return `${this.#prefix}${kind}:${keyHash(value)}`;
  }

  /**
   * Sets `key` once, expiring in `ttlMs`: true when it was not set, false when
   * it already was; undefined when Redis cannot say.
   */
  async setOnce(key: string, ttlMs: number): Promise<boolean | undefined> {
    const answer = await this.#run('replay.set_once', (r) =>
      r.set(key, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'),
    );
    return answer === undefined ? undefined : answer === 'OK';
  }

  /** Whether `key` exists; undefined when Redis cannot say. */
  async exists(key: string): Promise<boolean | undefined> {
    const answer = await this.#run('replay.exists', (r) => r.exists(key));
    return answer === undefined ? undefined : answer === 1;
  }

  /**
   * Counts a hit in the fixed window of `key` (created with an expiry of
   * `windowMs`); undefined when Redis cannot say.
   */
  async countHit(key: string, windowMs: number): Promise<{ current: number; ttlMs: number } | undefined> {
    const answer = await this.#run('rate_limit.count', (r) => r.commboxBridgeCountHit(key, windowMs));
    if (answer === undefined) return undefined;
    const [current, ttl] = answer;
    return { current, ttlMs: ttl > 0 ? ttl : windowMs };
  }

  /**
   * Counts an attempt in the fixed window of `key` (created with an expiry of
   * `windowMs`), in one round trip: the attempts open or failed in the window,
   * this one included, and the successes; undefined when Redis cannot say.
   */
  async countAttempt(
    key: string,
    windowMs: number,
  ): Promise<{ open: number; succeeded: number; ttlMs: number } | undefined> {
    const answer = await this.#run('login_budget.count', (r) => r.commboxBridgeCountAttempt(key, windowMs));
    if (answer === undefined) return undefined;
    const [open, succeeded, ttl] = answer;
    return { open, succeeded, ttlMs: ttl > 0 ? ttl : windowMs };
  }

  /**
   * Ends an attempt counted by {@link countAttempt} without it counting against
   * the client, and counts it as a success when `succeeded`; false when Redis
   * cannot say it did.
   */
  async endAttempt(key: string, windowMs: number, succeeded: boolean): Promise<boolean> {
    return (
      (await this.#run('login_budget.end', (r) => r.commboxBridgeEndAttempt(key, windowMs, succeeded ? 1 : 0))) !==
      undefined
    );
  }

  /** PING within `timeoutMs` (check-config): the answer, or the failure. */
  async ping(timeoutMs: number): Promise<{ ok: true } | { ok: false; detail: string }> {
    const started = Date.now();
    while (!this.#connected && Date.now() - started < timeoutMs) await new Promise((r) => setTimeout(r, 50));
    if (!this.#connected)
      return {
        ok: false,
        detail: `no connection within ${timeoutMs} ms${this.#lastError === undefined ? '' : ` (${this.#lastError})`}`,
      };
    try {
      await this.#redis.ping();
      return { ok: true };
    } catch (e) {
      return { ok: false, detail: (e as Error).message };
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#deadlines.stop();
    for (const [old, timer] of this.#retiring) {
      clearTimeout(timer);
      disconnectRedis(old);
    }
    this.#retiring.clear();
    if (this.#trying !== undefined) disconnectRedis(this.#trying);
    disconnectRedis(this.#redis);
    await Promise.resolve();
  }
}

const TIMED_OUT = Symbol('timed out');
const FAILED = Symbol('failed');

/**
 * Command deadlines with one timer for all of them (not one per command, which
 * ioredis's `commandTimeout` sets): commands waiting longer than the deadline
 * are answered {@link TIMED_OUT} on the next tick of a timer that runs only
 * while some command waits. A command that fails is answered {@link FAILED}.
 */
class Deadlines {
  readonly #ms: number;
  readonly #waiting = new Set<{ readonly since: number; readonly settle: (v: typeof TIMED_OUT) => void }>();
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.#ms = ms;
  }

  race<T>(command: Promise<T>): Promise<T | typeof TIMED_OUT | typeof FAILED> {
    return new Promise((resolve) => {
      const entry = { since: performance.now(), settle: resolve };
      this.#waiting.add(entry);
      this.#timer ??= setInterval(() => this.#expire(), Math.max(10, Math.floor(this.#ms / 5)));
      command.then(
        (v) => {
          this.#waiting.delete(entry);
          resolve(v);
        },
        () => {
          this.#waiting.delete(entry);
          resolve(FAILED);
        },
      );
    });
  }

  #expire(): void {
    const now = performance.now();
    // Oldest first (a Set keeps insertion order): stop at the first still in time.
    for (const entry of this.#waiting) {
      if (now - entry.since < this.#ms) break;
      this.#waiting.delete(entry);
      entry.settle(TIMED_OUT);
    }
    if (this.#waiting.size === 0) this.stop();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
