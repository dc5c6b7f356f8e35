/** The variables of the "Several replicas (Redis)" section of docs/configuration.md: the state replicas share. */
import { caCertificatesFile } from '../crypto-parsers.js';
import { isSet } from '../parsers.js';
import { isLoopbackHost } from '../urls.js';
import { variable, type Parser } from '../variable.js';

/**
 * A Redis URL for ioredis: `rediss://` (TLS), or `redis://` only to a loopback
 * host. The scheme is given to ioredis in lower case: it turns TLS on only for a
 * URL that starts with `rediss://` exactly, and reads a query string as
 * connection options (`?tls=` would turn TLS off), so none is accepted.
 */
const redisUrl: Parser<string | undefined> = (raw, ctx) => {
  if (!isSet(raw)) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    ctx.bad('is not a redis:// or rediss:// URL');
    return undefined;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    ctx.bad('must be rediss:// (TLS), or redis:// to localhost');
    return undefined;
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (host === '') ctx.bad('names no host; write rediss://:password@redis.example.com:6380/0');
  else if (u.protocol === 'redis:' && !isLoopbackHost(host))
    ctx.bad(
      `redis:// sends the replay memory, rate-limit keys and the Redis password in clear to ${host}; use rediss:// (TLS)`,
    );
  if (u.search !== '')
    ctx.bad(
      'must not carry a query string: the Redis client would read it as connection options (?tls= turns TLS off); put the database number in the path (/0)',
    );
  if (u.hash !== '') ctx.bad('must not contain a #fragment (a # in the password is written %23)');
  return `${u.protocol}${raw.slice(u.protocol.length)}`;
};

export const REDIS_VARIABLES = {
  REDIS_URL: variable({
    group: 'Several replicas (Redis)',
    scope: 'global',
    secret: true,
    default: 'unset: each replica its own memory',
    example: 'rediss://:password@redis.example.com:6380/0',
    parse: redisUrl,
    doc: 'With more than one replica: the Redis they share for the replay memory and the rate limits: `rediss://` (TLS); `redis://` only to localhost, 127.0.0.1 or ::1. No query string. A Redis outage blocks no login: each replica falls back to its own memory.',
  }),
  REDIS_CA_FILE: variable({
    group: 'Several replicas (Redis)',
    scope: 'global',
    default: "unset: Node's trusted CAs (and `NODE_EXTRA_CA_CERTS`)",
    example: '/run/secrets/commbox-sso-bridge/redis-ca.pem',
    parse: caCertificatesFile,
    doc: "With `rediss://`: a PEM file of the CA certificates (one or more) that Redis's certificate must chain to, read at start-up; only they are trusted for Redis (a company's private CA). The certificate must also name the host of `REDIS_URL`; no setting turns these checks off.",
  }),
  REDIS_KEY_PREFIX: variable({
    group: 'Several replicas (Redis)',
    scope: 'global',
    default: 'commbox-bridge:',
    parse: (raw, ctx) => {
      const value = isSet(raw) ? raw : 'commbox-bridge:';
      if (value.length > 64 || /\s/.test(value)) ctx.bad('must be at most 64 characters, without spaces');
      return value;
    },
    doc: 'Prefix of every key the bridge writes (several bridges, or other applications, may share one Redis).',
  }),
} as const;
