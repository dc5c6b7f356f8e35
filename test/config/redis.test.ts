/**
 * The Redis variables (REDIS_URL or its _FILE, REDIS_KEY_PREFIX, REDIS_CA_FILE):
 * rediss:// (TLS), or redis:// to this machine only; nothing that would make
 * ioredis connect otherwise than the URL says; the password a secret; the CA
 * read at start-up.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseConfig, secretValues } from '../../src/config/parse.js';
import type { ConfigError } from '../../src/errors.js';
import { configProblems, TWO_IDP_BASE } from '../helpers/config.js';
import { createTestCa } from '../helpers/redis.js';

t.test('configuration: REDIS_URL (or _FILE) is redis:// or rediss://, a secret', async (t) => {
  t.match(configProblems({ ...TWO_IDP_BASE, REDIS_URL: 'http://redis:6379' }), {
    REDIS_URL: /must be rediss:\/\/ \(TLS\), or redis:\/\/ to localhost/,
  });
  t.match(configProblems({ ...TWO_IDP_BASE, REDIS_KEY_PREFIX: 'a b' }), { REDIS_KEY_PREFIX: /without spaces/ });
  const c = parseConfig(
    { ...TWO_IDP_BASE, REDIS_URL_FILE: '/run/secrets/redis' },
    () => 'rediss://:s3cret-redis@redis.example.com:6380/0\n',
  );
  t.same(c.redis, { url: 'rediss://:s3cret-redis@redis.example.com:6380/0', keyPrefix: 'commbox-bridge:' });
  t.ok(secretValues(c).includes('s3cret-redis'), 'its password is scrubbed from logs');
  t.equal(parseConfig(TWO_IDP_BASE).redis, undefined);
});

t.test('configuration: redis:// only to a loopback host; anything else must be rediss:// (TLS)', async (t) => {
  const problems = (env: Record<string, string>) => configProblems({ ...TWO_IDP_BASE, ...env });
  for (const url of [
    'redis://127.0.0.1:6379',
    'redis://localhost:6379/0',
    'redis://[::1]:6379',
    'redis://:pw@127.0.0.5:6380',
    'rediss://redis.example.com:6380/0',
  ]) {
    t.notOk(problems({ REDIS_URL: url })['REDIS_URL'], `${url} is accepted`);
  }
  for (const [url, host] of [
    ['redis://redis.example.com:6379', 'redis.example.com'],
    ['redis://:pw@10.0.0.5:6379/0', '10.0.0.5'],
    ['redis://redis:6379', 'redis'],
    ['redis://[2001:db8::1]:6379', '2001:db8::1'],
    ['redis://127.1:6379', '127.1'],
    ['redis://localhost.example.com:6379', 'localhost.example.com'],
  ] as const) {
    t.same(
      problems({ REDIS_URL: url }),
      {
        REDIS_URL: `redis:// sends the replay memory, rate-limit keys and the Redis password in clear to ${host}; use rediss:// (TLS)`,
      },
      `${url} is refused, naming the host and the fix`,
    );
  }
  t.notOk(
    JSON.stringify(problems({ REDIS_URL: 'redis://:s3cret@redis.example.com' })).includes('s3cret'),
    'the message never shows the password',
  );
  // The same walk reads REDIS_URL_FILE: the check holds for a URL from a file.
  const fromFile = (content: string) => {
    try {
      parseConfig({ ...TWO_IDP_BASE, REDIS_URL_FILE: '/run/secrets/redis-url' }, () => content);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  };
  t.match(
    fromFile('redis://:pw@redis.example.com:6379\n'),
    /REDIS_URL: redis:\/\/ sends .* in clear to redis\.example\.com; use rediss:\/\/ \(TLS\)/,
  );
  t.equal(fromFile('redis://127.0.0.1:6379\n'), undefined, 'a loopback one from a file is accepted');
});

t.test('configuration: a REDIS_URL that would not mean what it says is refused', async (t) => {
  const problems = (url: string) => configProblems({ ...TWO_IDP_BASE, REDIS_URL: url })['REDIS_URL'];
  // ioredis reads the query as connection options: `?tls=` turns TLS off, `?tls=<profile>` swaps the CAs.
  t.match(problems('rediss://redis.example.com:6380/0?tls='), /must not carry a query string.*\?tls= turns TLS off/);
  t.match(problems('rediss://redis.example.com:6380/?tls=RedisCloudFixed'), /query string/);
  t.match(problems('redis://127.0.0.1:6379/?family=6'), /query string/);
  t.match(problems('rediss://redis.example.com:6380/0#primary'), /#fragment \(a # in the password is written %23\)/);
  t.match(problems('rediss:///0'), /names no host/);
  t.match(problems('redis:///?host=redis.example.com'), /query string/, 'nor a host given in the query');
  // ioredis turns TLS on for a URL that starts with "rediss://" exactly.
  const upper = parseConfig({ ...TWO_IDP_BASE, REDIS_URL: 'REDISS://:pw@redis.example.com:6380/0' }).redis;
  t.equal(upper?.url, 'rediss://:pw@redis.example.com:6380/0', 'the scheme is passed on in lower case');
  t.match(problems('REDIS://redis.example.com'), /in clear to redis\.example\.com/, 'REDIS:// is redis://');
});

t.test('configuration: REDIS_CA_FILE is read at start-up, with rediss:// only', async (t) => {
  const ca = readFileSync(createTestCa().certFile, 'utf8');
  const files: Record<string, string> = {
    '/ca.pem': ca,
    '/two.pem': ca + ca,
    '/key.pem': '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
  };
  files['/broken.pem'] = ca + '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n';
  const readFile = (path: string) => {
    const content = files[path];
    if (content === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return content;
  };
  const parse = (env: Record<string, string>) => {
    try {
      return { config: parseConfig({ ...TWO_IDP_BASE, ...env }, readFile), problems: {} };
    } catch (e) {
      return {
        config: undefined,
        problems: Object.fromEntries((e as ConfigError).problems.map((p) => [p.variable, p.problem])),
      };
    }
  };
  const good = parse({ REDIS_URL: 'rediss://redis.example.com:6380', REDIS_CA_FILE: '/ca.pem' });
  t.same(good.problems, {});
  t.equal(good.config?.redis?.ca, ca, 'the CA certificate is passed to the Redis client');
  t.equal(
    parse({ REDIS_URL: 'rediss://redis.example.com:6380', REDIS_CA_FILE: '/two.pem' }).config?.redis?.ca,
    ca + ca,
    'a bundle of several',
  );
  t.equal(parse({ REDIS_URL: 'rediss://redis.example.com:6380' }).config?.redis?.ca, undefined, "unset: Node's CAs");
  t.same(parse({ REDIS_URL: 'rediss://redis.example.com:6380', REDIS_CA_FILE: '/nope.pem' }).problems, {
    REDIS_CA_FILE:
      "cannot read /nope.pem (ENOENT): check the path and the mounted secret's keys, or remove the variable",
  });
  t.same(parse({ REDIS_URL: 'rediss://redis.example.com:6380', REDIS_CA_FILE: '/key.pem' }).problems, {
    REDIS_CA_FILE: '/key.pem holds no certificate in PEM form (-----BEGIN CERTIFICATE-----)',
  });
  t.same(parse({ REDIS_URL: 'rediss://redis.example.com:6380', REDIS_CA_FILE: '/broken.pem' }).problems, {
    REDIS_CA_FILE: 'certificate #2 in /broken.pem cannot be read as an X.509 certificate',
  });
  t.same(parse({ REDIS_CA_FILE: '/ca.pem' }).problems, {
    REDIS_CA_FILE: 'is set but REDIS_URL is not: set REDIS_URL (rediss://…), or remove REDIS_CA_FILE',
  });
  t.same(parse({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CA_FILE: '/ca.pem' }).problems, {
    REDIS_CA_FILE: 'is used only with rediss:// (TLS): write REDIS_URL as rediss://',
  });
});
