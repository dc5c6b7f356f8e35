/**
 * The state replicas share through Redis (`REDIS_URL`): ioredis, with a short
 * deadline per command and no queue of commands waiting for a reconnect, so a
 * login never waits on Redis. Every operation answers `undefined` when Redis is
 * unavailable or slow, and the caller falls back to its own memory.
 *
 * Keys are `REDIS_KEY_PREFIX` + a kind + a SHA-256 hash (never a state, a code,
 * a cookie or an address), and every key has an expiry.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { UNTRUSTED_CERT_CODES } from '../net/network-errors.js';
import { inSpan } from '../observability/tracing.js';

/** The longest a login waits on one Redis command before going on without it. */
export const REDIS_COMMAND_TIMEOUT_MS = 250;
/** The longest wait between two reconnection attempts: sharing resumes within seconds. */
export const REDIS_MAX_RECONNECT_DELAY_MS = 2000;

/** What a change of Redis's availability is reported with; `first`: the first news since start-up. */
/** What a command is for: the replay memory, the rate limits, the failed-login budget. */
type RedisOperation =
  | 'replay.set_once'
  | 'replay.exists'
  | 'rate_limit.count'
  | 'rate_limit.undo'
  | 'login_budget.count'
  | 'login_budget.end';

export type RedisStatusListener = (up: boolean, detail: string | undefined, first: boolean) => void;

/**
 * One hit in a fixed window, in one round trip: the count, and the window's time
 * left (the key gets its expiry with the first hit).
 */
const COUNT_HIT = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {current, redis.call('PTTL', KEYS[1])}
`;

/**
 * Takes back one hit of a window that still exists, never below zero: a key
 * that expired in between is not created again (without an expiry).
 */
const UNDO_HIT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current > 0 then return redis.call('DECR', KEYS[1]) end
return 0
`;

/**
 * An attempt begins in a window of attempts and successes (one hash, its expiry
 * set once), in one round trip: the attempts open or failed (this one counted),
 * the successes, and the window's time left.
 */
const COUNT_ATTEMPT = `
local open = redis.call('HINCRBY', KEYS[1], 'open', 1)
if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {open, tonumber(redis.call('HGET', KEYS[1], 'succeeded') or '0'), redis.call('PTTL', KEYS[1])}
`;

/**
 * An attempt counted by COUNT_ATTEMPT ends without counting against its client
 * (never below zero; a window that expired meanwhile is not created again), and
 * when ARGV[2] is 1 it counts as a success (in a new window if need be).
 */
const END_ATTEMPT = `
if tonumber(redis.call('HGET', KEYS[1], 'open') or '0') > 0 then redis.call('HINCRBY', KEYS[1], 'open', -1) end
if ARGV[2] == '1' then
  redis.call('HINCRBY', KEYS[1], 'succeeded', 1)
  if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
end
return 1
`;

/** Our commands, defined on the client by ioredis (EVALSHA, loading the script when Redis lacks it). */
interface BridgeCommands {
  commboxBridgeCountHit(key: string, windowMs: number): Promise<[number, number]>;
  commboxBridgeUndoHit(key: string): Promise<number>;
  commboxBridgeCountAttempt(key: string, windowMs: number): Promise<[number, number, number]>;
  commboxBridgeEndAttempt(key: string, windowMs: number, succeeded: 0 | 1): Promise<number>;
}

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
  readonly #redis: Redis & BridgeCommands;
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
    this.#prefix = opts.keyPrefix;
    this.#timeoutMs = opts.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS;
    this.#deadlines = new Deadlines(this.#timeoutMs);
    this.#redis = new RedisClient(opts.url, {
      // A login must not wait for a reconnect: commands fail at once while Redis is away.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Concurrent logins' commands share a write (fewer system calls per login).
      enableAutoPipelining: true,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 10), REDIS_MAX_RECONNECT_DELAY_MS),
      // Never give up reconnecting (ioredis's default stops after a failed first connection on some errors).
      reconnectOnError: () => true,
      // TLS for rediss:// in any letter case (ioredis itself matches "rediss://" exactly);
      // a CA given replaces the trusted ones. No option here ever relaxes the
      // certificate or host name check.
      ...(new URL(opts.url).protocol === 'rediss:' ? { tls: opts.ca === undefined ? {} : { ca: opts.ca } } : {}),
    }) as Redis & BridgeCommands;
    this.#redis.defineCommand('commboxBridgeCountHit', { numberOfKeys: 1, lua: COUNT_HIT });
    this.#redis.defineCommand('commboxBridgeUndoHit', { numberOfKeys: 1, lua: UNDO_HIT });
    this.#redis.defineCommand('commboxBridgeCountAttempt', { numberOfKeys: 1, lua: COUNT_ATTEMPT });
    this.#redis.defineCommand('commboxBridgeEndAttempt', { numberOfKeys: 1, lua: END_ATTEMPT });
    this.#redis.on('ready', () => {
      this.#connected = true;
      this.#retryAt = 0;
      this.#set(true, undefined);
    });
    this.#redis.on('error', (e: Error) => {
      this.#lastError = explainRedisError(e);
      if (!this.#connected) this.#set(false, this.#lastError);
    });
    this.#redis.on('close', () => {
      this.#connected = false;
      this.#set(false, 'the connection closed');
    });
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
  async #run<T>(operation: RedisOperation, command: () => Promise<T>): Promise<T | undefined> {
    if (!this.#connected || Date.now() < this.#retryAt) {
      this.stats.skipped++;
      return undefined;
    }
    // One client span per command, named for what it is for (the key, a hash, is never an attribute).
    return inSpan(
      `redis ${operation}`,
      { 'db.system.name': 'redis', 'db.operation.name': operation },
      async (span) => {
        const answer = await this.#deadlines.race(command());
        if (answer === TIMED_OUT) {
          this.stats.timedOut++;
          this.#retryAt = Date.now() + REDIS_MAX_RECONNECT_DELAY_MS;
          this.#set(false, `a command took longer than ${this.#timeoutMs} ms`);
          span.fail({ name: 'timeout' });
          return undefined;
        }
        if (answer === FAILED) {
          span.fail({ name: 'failed' });
          return undefined;
        }
        this.#set(true, undefined);
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
    const answer = await this.#run('replay.set_once', () =>
      this.#redis.set(key, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'),
    );
    return answer === undefined ? undefined : answer === 'OK';
  }

  /** Whether `key` exists; undefined when Redis cannot say. */
  async exists(key: string): Promise<boolean | undefined> {
    const answer = await this.#run('replay.exists', () => this.#redis.exists(key));
    return answer === undefined ? undefined : answer === 1;
  }

  /**
   * Counts a hit in the fixed window of `key` (created with an expiry of
   * `windowMs`); undefined when Redis cannot say.
   */
  async countHit(key: string, windowMs: number): Promise<{ current: number; ttlMs: number } | undefined> {
    const answer = await this.#run('rate_limit.count', () => this.#redis.commboxBridgeCountHit(key, windowMs));
    if (answer === undefined) return undefined;
    const [current, ttl] = answer;
    return { current, ttlMs: ttl > 0 ? ttl : windowMs };
  }

  /** Takes back one hit counted by {@link countHit}; false when Redis cannot say it did. */
  async undoHit(key: string): Promise<boolean> {
    return (await this.#run('rate_limit.undo', () => this.#redis.commboxBridgeUndoHit(key))) !== undefined;
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
    const answer = await this.#run('login_budget.count', () => this.#redis.commboxBridgeCountAttempt(key, windowMs));
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
      (await this.#run('login_budget.end', () =>
        this.#redis.commboxBridgeEndAttempt(key, windowMs, succeeded ? 1 : 0),
      )) !== undefined
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
    // ioredis listens for one error per connection (`once`); a TLS connection
    // ended during a failing handshake can report a second one, which would
    // otherwise be an unhandled 'error' event and end the process.
    (this.#redis.stream as Redis['stream'] | undefined)?.on('error', () => {});
    this.#redis.disconnect();
    await Promise.resolve();
  }
}

/** A connection error as the log says it; a refused certificate names what to fix. */
function explainRedisError(e: Error): string {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const what = `(${code}: ${e.message})`;
  if (UNTRUSTED_CERT_CODES.has(code))
    return `Redis's TLS certificate is not trusted ${what}: give the CA that issued it in REDIS_CA_FILE`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `Redis's TLS certificate does not name the host of REDIS_URL ${what}: write the host as the certificate names it`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return `Redis's TLS certificate is not valid now ${what}`;
  return e.message;
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
