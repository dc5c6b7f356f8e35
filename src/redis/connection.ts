/**
 * One connection to the Redis of `REDIS_URL`, as shared-state.ts uses it: the
 * ioredis options (no queue of commands waiting for a reconnect, reconnecting
 * for ever), TLS for `rediss://` with the CA of `REDIS_CA_FILE`, and the bridge's
 * scripts defined on it. One place, so that a connection made for a new URL
 * (a rotated `REDIS_URL_FILE`) is made exactly as the one made at start-up.
 */
import type { Redis } from 'ioredis';
import { UNTRUSTED_CERT_CODES } from '../net/network-errors.js';

/** The longest wait between two reconnection attempts: sharing resumes within seconds. */
export const REDIS_MAX_RECONNECT_DELAY_MS = 2000;

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
  commboxBridgeCountAttempt(key: string, windowMs: number): Promise<[number, number, number]>;
  commboxBridgeEndAttempt(key: string, windowMs: number, succeeded: 0 | 1): Promise<number>;
}

/** A connection with the bridge's commands. */
export type BridgeRedis = Redis & BridgeCommands;

/**
 * A new connection to `url` (it starts connecting at once; it never waits).
 * `ca`: PEM CA certificates that replace Node's trusted CAs for it.
 */
export function connectRedis(RedisClient: typeof Redis, url: string, ca: string | undefined): BridgeRedis {
  const redis = new RedisClient(url, {
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
    ...(new URL(url).protocol === 'rediss:' ? { tls: ca === undefined ? {} : { ca } } : {}),
  }) as BridgeRedis;
  redis.defineCommand('commboxBridgeCountHit', { numberOfKeys: 1, lua: COUNT_HIT });
  redis.defineCommand('commboxBridgeCountAttempt', { numberOfKeys: 1, lua: COUNT_ATTEMPT });
  redis.defineCommand('commboxBridgeEndAttempt', { numberOfKeys: 1, lua: END_ATTEMPT });
  return redis;
}

/** Closes `redis` at once, for good (no reconnect). */
export function disconnectRedis(redis: BridgeRedis): void {
  // ioredis listens for one error per connection (`once`); a TLS connection
  // ended during a failing handshake can report a second one, which would
  // otherwise be an unhandled 'error' event and end the process.
  (redis.stream as Redis['stream'] | undefined)?.on('error', () => {});
  redis.disconnect();
}

/**
 * Waits until `redis` is ready (connected, authenticated, its ready check
 * answered): undefined then, or why not: its first error (a refused connection,
 * password or certificate; not retried here: the caller tries again later), its
 * end, or no answer within `ms`.
 */
export function whenReady(redis: BridgeRedis, ms: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const done = (why: string | undefined) => {
      clearTimeout(timer);
      redis.off('ready', ready).off('error', failed).off('end', ended);
      resolve(why);
    };
    const ready = () => done(undefined);
    const failed = (e: Error) => done(explainRedisError(e));
    const ended = () => done('the connection was closed');
    const timer = setTimeout(() => done(`not ready within ${ms} ms`), ms);
    redis.once('ready', ready).once('error', failed).once('end', ended);
  });
}

/** A connection error as the log says it; a refused certificate names what to fix. */
export function explainRedisError(e: Error): string {
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
