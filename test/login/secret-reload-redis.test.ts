/**
 * REDIS_URL_FILE rotated under a running bridge, against real redis-servers: the
 * new URL is used without a restart once its connection is ready (logins go on
 * across the move, with zero failures, and the keys land in the new Redis); a
 * new URL whose Redis refuses the password, cannot be reached, does not answer
 * or shows a certificate of another CA keeps the old connection in use and says
 * why, once; it is tried again at each read, so a Redis that comes up later is
 * taken. The password of the new URL is in no log line. SharedState.useUrl
 * itself: its deadline, one try at a time, close() during a try, and a command
 * still waiting on a hung old Redis.
 */
import t, { type Test } from 'tap';
import { continuousLogins, mountedSecret, secretReloadInMemory } from '../helpers/rotation.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startHostileStack } from '../helpers/stack.js';
import { until } from '../helpers/until.js';
import { SharedState } from '../../src/redis/shared-state.js';

const PASSWORD = 'redis-b-password-7c6d5e4f3a2b';
const WRONG_PASSWORD = 'not-the-password-1a2b3c4d5e6f';

async function redis(t: Test, opts: Parameters<typeof startRedis>[0] = {}): Promise<TestRedis> {
  const r = await startRedis(opts);
  t.teardown(() => r.stop());
  return r;
}

/** The hostile stack with REDIS_URL in a mounted secret file (and `env`), closed after `t`, connected to Redis. */
async function stackWithRedisFile(t: Test, url: string, env: Record<string, string> = {}) {
  let secret!: ReturnType<typeof mountedSecret>;
  const s = await startHostileStack({
    env: () => {
      secret = mountedSecret(t, { 'redis-url': url });
      return {
        REDIS_URL_FILE: secret.path('redis-url'),
        SECRET_RELOAD_INTERVAL_SEC: 'off',
        // Rate-limit keys in Redis at every login, never a 429 among the logins of the test.
        RATE_LIMIT_MAX: '100000',
        ...env,
      };
    },
  });
  t.teardown(() => s.close());
  await until(() => s.bridge.sharedState!.up);
  return { s, secret };
}

type RedisStack = Awaited<ReturnType<typeof stackWithRedisFile>>['s'];
const auditEvents = (s: RedisStack, event: string) => s.audit.entries.filter((e) => e['event'] === event);
const failures = async (s: RedisStack) =>
  /\{secret="REDIS_URL_FILE"\} (\d+)/.exec(
    await s.bridge.metrics.registry.getSingleMetricAsString('commbox_bridge_secret_reload_failures_total'),
  )?.[1];
/**
 * How many keys a Redis holds: each login adds its replay key. One redis-cli call (`keys()` runs
 * several per key, synchronously: the bridge in this process would wait meanwhile, and its commands
 * time out).
 */
const dbsize = (r: TestRedis) => Number(r.cli('DBSIZE').replace(/\D/g, ''));
/** The connections a Redis has, redis-cli's own (the one asking) included. */
const connections = (r: TestRedis) => r.cli('CLIENT', 'LIST').split('\n').length;
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

t.test(
  'a new REDIS_URL (another Redis, with a password) is used without a restart: zero login failures, keys move to it',
  async (t) => {
    const a = await redis(t);
    const b = await redis(t, { password: PASSWORD });
    t.match(b.url, new RegExp(`^redis://:${PASSWORD}@127\\.0\\.0\\.1:\\d+$`));
    const { s, secret } = await stackWithRedisFile(t, a.url);
    const logins = continuousLogins(s.base, s.sandbox.loginUrl);
    await until(() => logins.ok() >= 5);
    t.ok(dbsize(a) > 0, 'before: the keys are in A');

    secret.update({ 'redis-url': b.url });
    await s.secretReload.reload();
    t.ok(s.bridge.sharedState!.up, 'Redis is up across the move');
    // Commands sent on A before the move are answered (or timed out) before it is closed.
    await sleep(600);
    const inA = dbsize(a);
    const movedAt = logins.ok();
    await until(() => logins.ok() >= movedAt + 10);
    await logins.stop();

    t.same(logins.failures, [], 'no login failed');
    t.equal(dbsize(a), inA, 'after the move, no new key in A');
    const keys = b.keys().map((k) => k.key);
    t.ok(
      keys.some((k) => k.startsWith('commbox-bridge:replay:')),
      'the replay keys are in B',
    );
    t.ok(
      keys.some((k) => k.startsWith('commbox-bridge:ratelimit:')),
      'the rate-limit keys are in B',
    );
    t.equal(connections(a), 1, "the old connection to A is closed (redis-cli's is the only one)");
    t.match(auditEvents(s, 'secret_reloaded'), [{ secret: 'REDIS_URL_FILE', msg: 'secret reloaded' }]);
    t.equal(auditEvents(s, 'secret_reload_failed').length, 0);
    t.equal(await failures(s), '0');
    t.notOk(
      s.logs.find((l) => l['event'] === 'redis_down'),
      'Redis was never said unavailable',
    );
    // As a library's error message might carry it: the password alone, out of its URL.
    s.app.log.warn({ detail: `redis said: ${PASSWORD}` }, `echo ${PASSWORD}`);
    t.match(s.logs.text, /redis said: \[redacted\]/);
    t.notOk(s.logs.text.includes(PASSWORD) || s.audit.text.includes(PASSWORD), 'the password is in no log line');
  },
);

t.test(
  'a new REDIS_URL that cannot be used (wrong password, nothing listening) keeps the old connection; said once, tried again at each read',
  async (t) => {
    const a = await redis(t);
    const b = await redis(t, { password: PASSWORD });
    const later = await redis(t);
    await later.stop();
    const { s, secret } = await stackWithRedisFile(t, a.url);
    const logins = continuousLogins(s.base, s.sandbox.loginUrl);
    await until(() => logins.ok() >= 5);
    // New keys there from the logins that follow (past the 4 in flight, which may have written theirs already).
    const landsIn = async (r: TestRedis) => {
      const before = dbsize(r);
      const at = logins.ok();
      await until(() => logins.ok() >= at + 8);
      return dbsize(r) >= before + 3;
    };

    // B's port, with a wrong password.
    const wrong = b.url.replace(PASSWORD, WRONG_PASSWORD);
    secret.update({ 'redis-url': wrong });
    await s.secretReload.reload();
    await s.secretReload.reload(); // the same content: tried again, not said again
    t.ok(await landsIn(a), 'the keys still land in A');
    t.equal(dbsize(b), 0, 'and none in B');
    let refused = auditEvents(s, 'secret_reload_failed');
    t.match(refused, [
      {
        secret: 'REDIS_URL_FILE',
        problem: /^the new Redis cannot be used: WRONGPASS/,
        msg: 'secret reload failed: kept the previous value',
      },
    ]);
    t.equal(refused.length, 1, 'said once');
    t.match(
      s.logs.find((l) => l['event'] === 'secret_reload_failed'),
      { level: 50, msg: /^REDIS_URL_FILE: the new content is not used \(.*WRONGPASS.*\); the previous value is kept$/ },
    );
    t.equal(await failures(s), '2', 'counted at each read');

    // Nothing listening there yet.
    secret.update({ 'redis-url': later.url });
    await s.secretReload.reload();
    refused = auditEvents(s, 'secret_reload_failed');
    t.equal(refused.length, 2, 'another new content: said');
    t.match(refused[1], { problem: /ECONNREFUSED/ });
    t.ok(await landsIn(a), 'the keys still land in A');
    t.equal(await failures(s), '3');
    t.equal(auditEvents(s, 'secret_reloaded').length, 0, 'nothing reloaded');

    // It comes up: the next read takes it.
    await later.start();
    await s.secretReload.reload();
    t.match(auditEvents(s, 'secret_reloaded'), [{ secret: 'REDIS_URL_FILE' }]);
    t.equal(auditEvents(s, 'secret_reload_failed').length, 2, 'no other failure said');
    t.ok(await landsIn(later), 'the keys land in the Redis that came up');
    t.equal(await failures(s), '3', 'not counted once used');

    // Back to A, then to the other one again, gone meanwhile: a new failure, said again.
    secret.update({ 'redis-url': a.url });
    await s.secretReload.reload();
    await later.stop();
    secret.update({ 'redis-url': later.url });
    await s.secretReload.reload();
    t.equal(auditEvents(s, 'secret_reloaded').length, 2);
    t.match(auditEvents(s, 'secret_reload_failed'), [{}, {}, { problem: /ECONNREFUSED/ }], 'said again');
    t.ok(await landsIn(a), 'the keys land in A');
    await logins.stop();
    t.same(logins.failures, [], 'no login failed');
    // A refused URL's password is hidden too.
    s.app.log.warn({ detail: `redis said: ${WRONG_PASSWORD}` }, `echo ${WRONG_PASSWORD}`);
    t.match(s.logs.text, /redis said: \[redacted\]/);
    for (const text of [s.logs.text, s.audit.text])
      t.notOk(text.includes(WRONG_PASSWORD) || text.includes(PASSWORD), 'no password in a log line');
  },
);

t.test('a new rediss:// URL is checked as at start-up: a certificate of another CA is refused', async (t) => {
  const a = await redis(t, { tls: true });
  const b = await redis(t, { tls: true });
  const { s, secret } = await stackWithRedisFile(t, a.url, { REDIS_CA_FILE: a.caFile! });
  secret.update({ 'redis-url': b.url });
  await s.secretReload.reload();
  t.match(auditEvents(s, 'secret_reload_failed'), [
    { secret: 'REDIS_URL_FILE', problem: /TLS certificate is not trusted .*REDIS_CA_FILE/ },
  ]);
  t.ok(s.bridge.sharedState!.up, 'the old connection stays in use');
  t.ok((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt);
  t.ok(
    a.keys().some((k) => k.key.startsWith('commbox-bridge:replay:')),
    'its keys land in A',
  );
  t.equal(b.keys().length, 0);
});

t.test('useUrl: a Redis that does not answer is refused at the deadline, the connection in use stays', async (t) => {
  const a = await redis(t);
  const hung = await redis(t);
  t.teardown(() => hung.resume());
  const shared = await SharedState.create({ url: a.url, keyPrefix: 'test:' });
  t.teardown(() => shared.close());
  await until(() => shared.up);
  hung.pause();
  const started = performance.now();
  t.match(await shared.useUrl(hung.url, 300), { ok: false, detail: 'not ready within 300 ms' });
  t.ok(performance.now() - started < 2000, 'no longer than the deadline');
  t.equal(await shared.setOnce(shared.key('k', 'v'), 60_000), true, 'the connection in use answers');
  t.ok(
    a.keys().some((k) => k.key.startsWith('test:k:')),
    'in A',
  );
  hung.resume();
  await until(() => connections(hung) === 1, 5000);
  t.pass('the connection tried is closed');
});

t.test('useUrl: one new URL at a time; close() ends a try at once', async (t) => {
  const a = await redis(t);
  const hung = await redis(t);
  t.teardown(() => hung.resume());
  const shared = await SharedState.create({ url: a.url, keyPrefix: 'test:' });
  await until(() => shared.up);
  hung.pause();
  const first = shared.useUrl(hung.url);
  t.match(await shared.useUrl(a.url), { ok: false, detail: 'another new Redis URL is being tried' });
  const started = performance.now();
  await shared.close();
  t.match(await first, { ok: false, detail: 'the connection was closed' });
  t.ok(performance.now() - started < 1000, 'without waiting for the deadline');
  t.match(await shared.useUrl(a.url), { ok: false, detail: 'the bridge is closing' });
});

t.test('useUrl away from a hung Redis: a command still waiting on it says nothing of the new one', async (t) => {
  const a = await redis(t);
  const b = await redis(t);
  t.teardown(() => a.resume());
  const shared = await SharedState.create({ url: a.url, keyPrefix: 'test:' });
  t.teardown(() => shared.close());
  await until(() => shared.up);
  a.pause();
  const waiting = shared.setOnce(shared.key('k', 'on A'), 60_000);
  t.match(await shared.useUrl(b.url), { ok: true });
  t.equal(await waiting, undefined, 'the command sent to A is answered by its deadline');
  t.equal(shared.stats.timedOut, 1);
  t.ok(shared.up, 'Redis is still up');
  t.equal(await shared.setOnce(shared.key('k', 'on B'), 60_000), true, 'the next command is sent, to B');
  t.equal(dbsize(b), 1);
});

t.test(
  'without a Redis connection to move (none handed over), a new REDIS_URL is refused, never said used',
  async (t) => {
    const files = new Map([['/run/secrets/redis-url', 'redis://127.0.0.1:6379']]);
    const { reload, logs } = secretReloadInMemory(files, { REDIS_URL_FILE: '/run/secrets/redis-url' });
    files.set('/run/secrets/redis-url', 'redis://127.0.0.1:6380');
    await reload.reload();
    t.match(logs.entries, [
      {
        event: 'secret_reload_failed',
        secret: 'REDIS_URL_FILE',
        problem: /no Redis connection was open at start-up: restart/,
      },
      { event: 'secret_reload_failed' },
    ]);
    t.notOk(
      logs.find((l) => l['event'] === 'secret_reloaded'),
      'not said used',
    );
  },
);
