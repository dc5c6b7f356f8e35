/**
 * Replicas sharing state through a real redis-server: one replay memory and one
 * set of rate limits across two bridge instances, and a Redis outage (killed,
 * or hung) that blocks no login and heals by itself.
 */
import t, { type Test } from 'tap';
import { forgedCallback, startHostileStack, startReplica, type Stack } from '../helpers/stack.js';
import type { HostileIdp } from '../helpers/hostile-idp.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

/** Walks a login at `s` up to its callback; returns the callback URL and the browser's cookie header for it. */
async function upToCallback(s: Stack<HostileIdp>) {
  const b = s.browser();
  const r = await b.walk(`${s.base}/login`, { stopAt: `${s.base}/callback` });
  const callback = r.stoppedAt!;
  return { b, callback, cookie: b.jar.header(callback) ?? '' };
}

async function twoReplicas(t: Test, redis: TestRedis | undefined, env: Record<string, string> = {}) {
  const withRedis = redis ? { REDIS_URL: redis.url, ...env } : env;
  const a = await startHostileStack({ env: withRedis });
  const b = await startReplica(a);
  t.teardown(async () => {
    await b.close();
    await a.close();
  });
  if (redis) await until(() => a.bridge.sharedState!.up && b.bridge.sharedState!.up);
  return { a, b };
}

t.test('a callback consumed at one replica is refused at another before any request to the IdP', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  const { a, b } = await twoReplicas(t, redis);
  const login = await upToCallback(a);
  const first = await login.b.fetch(login.callback);
  t.equal(first.status, 302, 'the login completes at replica A');
  t.equal(a.idp.stats.token, 1);

  const replay = await fetch(`${b.base}${new URL(login.callback).pathname}${new URL(login.callback).search}`, {
    headers: { cookie: login.cookie },
    redirect: 'manual',
  });
  t.equal(replay.status, 400);
  t.match(await replay.text(), /This sign-in was already used/);
  t.equal(a.idp.stats.token, 1, 'replica B never called the token endpoint');
  t.ok(
    b.logs.find((e) => e['reason'] === 'callback_replayed'),
    'replica B logs the refusal',
  );

  // F5 on the last page, landing on the other replica: no cookie any more.
  const reload = await fetch(`${b.base}${new URL(login.callback).pathname}${new URL(login.callback).search}`, {
    redirect: 'manual',
  });
  t.equal(reload.status, 400);
  t.match(await reload.text(), /already used/);
  t.equal(a.ticketRequests(), 1);
});

t.test('control: without Redis the other replica does reach the IdP (what sharing prevents)', async (t) => {
  const { a, b } = await twoReplicas(t, undefined);
  const login = await upToCallback(a);
  t.equal((await login.b.fetch(login.callback)).status, 302);
  const replay = await fetch(`${b.base}${new URL(login.callback).pathname}${new URL(login.callback).search}`, {
    headers: { cookie: login.cookie },
    redirect: 'manual',
  });
  t.equal(a.idp.stats.token, 2, 'replica B asked the token endpoint');
  t.equal(replay.status, 502, 'and only the IdP refused the used code');
});

t.test('RATE_LIMIT_MAX holds across the replicas together', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  const { a, b } = await twoReplicas(t, redis, { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' });
  const statuses: number[] = [];
  for (const s of [a, b, a, b, a]) statuses.push((await fetch(`${s.base}/login`, { redirect: 'manual' })).status);
  t.same(statuses, [302, 302, 302, 429, 429], '3 in all, whichever replica answers');

  const { a: a2, b: b2 } = await twoReplicas(t, undefined, { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' });
  const local: number[] = [];
  for (const s of [a2, b2, a2, b2, a2]) local.push((await fetch(`${s.base}/login`, { redirect: 'manual' })).status);
  t.same(local, [302, 302, 302, 302, 302], 'control: without Redis, 3 per replica');
});

t.test('RATE_LIMIT_FAILED_LOGINS holds across the replicas together; while Redis is away, per replica', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  const { a, b } = await twoReplicas(t, redis, { RATE_LIMIT_MAX: '0', RATE_LIMIT_FAILED_LOGINS: '3' });
  const forged = async (s: typeof b) => (await forgedCallback(s.base, s.browser(), a.idp.issuer, 'forged')).status;
  const statuses: number[] = [];
  for (const s of [a, b, a, b, a]) statuses.push(await forged(s));
  t.same(statuses, [502, 502, 502, 429, 429], '3 failed exchanges in all, whichever replica answers');
  t.equal(a.idp.stats.token, 3, 'the IdP got 3 token requests from both replicas together');
  t.equal(a.ticketRequests(), 0);

  await redis.stop();
  await until(() => !a.bridge.sharedState!.up);
  const alone: number[] = [];
  for (let i = 0; i < 4; i++) alone.push(await forged(a));
  t.same(alone, [502, 502, 502, 429], "Redis away: the replica's own memory keeps a budget");
});

t.test(
  'successes raise the failed-login budget across the replicas together (counted in Redis, one round trip)',
  async (t) => {
    const redis = await startRedis();
    t.teardown(() => redis.stop());
    const { a, b } = await twoReplicas(t, redis, { RATE_LIMIT_MAX: '0', RATE_LIMIT_FAILED_LOGINS: '2' });
    // Signed in at replica A (the IdP's redirect URI is its callback); forged callbacks at both.
    for (let i = 0; i < 2; i++)
      t.ok((await a.browser().walk(`${a.base}/login`, { stopAt: a.sandbox.loginUrl })).stoppedAt, 'a sign-in');
    const budget = redis.keys().find((k) => k.key.includes(':failedlogins:'));
    t.match(budget, { value: /^(?=.*open 0)(?=.*succeeded 2)/ }, 'one key: no exchange open, two successes');
    const forged = async (s: typeof b) => (await forgedCallback(s.base, s.browser(), a.idp.issuer, 'forged')).status;
    const statuses: number[] = [];
    for (const s of [b, a, b, a, b]) statuses.push(await forged(s));
    t.same(statuses, [502, 502, 502, 502, 429], '2 × 2 successes allow 4, at either replica');
    t.equal(a.ticketRequests(), 2);
  },
);

t.test('every key expires, is prefixed, and holds no secret, state, code, cookie or address', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  const { a } = await twoReplicas(t, redis, { RATE_LIMIT_MAX: '100', REDIS_KEY_PREFIX: 'acme-bridge:' });
  const login = await upToCallback(a);
  t.equal((await login.b.fetch(login.callback)).status, 302);
  const keys = redis.keys();
  t.ok(
    keys.some((k) => k.key.startsWith('acme-bridge:replay:')),
    'a replay key',
  );
  t.ok(
    keys.some((k) => k.key.startsWith('acme-bridge:ratelimit:')),
    'rate-limit keys',
  );
  t.ok(
    keys.some((k) => k.key.startsWith('acme-bridge:failedlogins:')),
    'a failed-login budget key (its unit given back)',
  );
  for (const k of keys) {
    t.ok(k.key.startsWith('acme-bridge:'), `${k.key} is prefixed`);
    t.ok(k.pttl > 0 && k.pttl <= 600_000, `${k.key} expires (${k.pttl} ms)`);
    t.match(
      k.value,
      /^(?:\d+|(?:open|succeeded) \d+(?: (?:open|succeeded) \d+)?)$/,
      'the value is a count or a 1 (the budget: its two counts)',
    );
  }
  const everything = JSON.stringify(keys);
  const query = new URL(login.callback).searchParams;
  for (const secret of [
    query.get('state')!,
    query.get('code')!,
    login.cookie.split('=')[1]!,
    ...a.idp.issued,
    a.sandbox.apiKey,
    '127.0.0.1',
  ]) {
    t.notOk(everything.includes(secret), 'no state, code, cookie, token, key or address in Redis');
  }
});

t.test(
  'Redis killed mid-run: logins go on at once, readiness stays 200 and says so; Redis back: sharing resumes',
  async (t) => {
    const redis = await startRedis();
    t.teardown(() => redis.stop());
    const { a, b } = await twoReplicas(t, redis);
    await redis.stop();
    await until(() => !a.bridge.sharedState!.up && !b.bridge.sharedState!.up);
    t.match(
      a.logs.find((e) => e['event'] === 'redis_down'),
      { level: 40 },
    );
    const shared = a.bridge.sharedState!;
    const skippedBefore = shared.stats.skipped;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const r = await a.browser().walk(`${a.base}/login`, { stopAt: a.sandbox.loginUrl });
      t.ok(r.stoppedAt, `login ${i + 1} completes without Redis`);
      // Generous: the point is that nothing waits for a reconnect (OIDC_TIMEOUT_MS is 10 s).
      t.ok(performance.now() - started < 3000, `and waits on nothing (${Math.round(performance.now() - started)} ms)`);
    }
    t.equal(
      shared.stats.skipped - skippedBefore,
      3 * 4,
      'no Redis command was even tried (per login: the replay key, a rate-limit hit at /login and at /callback, the failed-login unit, then given back in memory)',
    );
    t.equal(shared.stats.timedOut, 0, 'none waited for a deadline');
    const ready = await fetch(`${a.base}/readyz`);
    t.equal(ready.status, 200);
    t.match(await ready.json(), { status: 'ready', redis: 'unavailable' });
    t.match(
      await a.bridge.metrics.registry.getSingleMetricAsString('commbox_bridge_redis_up'),
      /commbox_bridge_redis_up 0/,
    );

    // This replica's own memory still refuses a replay at the same replica.
    const local = await upToCallback(a);
    t.equal((await local.b.fetch(local.callback)).status, 302);
    t.equal((await fetch(local.callback, { headers: { cookie: local.cookie }, redirect: 'manual' })).status, 400);

    await redis.start();
    await until(() => a.bridge.sharedState!.up && b.bridge.sharedState!.up);
    t.match(
      a.logs.find((e) => e['event'] === 'redis_up' && e['level'] === 40),
      { msg: /share/ },
      'a warning when it comes back',
    );
    t.match(await (await fetch(`${a.base}/readyz`)).json(), { redis: 'ok' });
    t.match(
      await a.bridge.metrics.registry.getSingleMetricAsString('commbox_bridge_redis_up'),
      /commbox_bridge_redis_up 1/,
    );
    const again = await upToCallback(a);
    t.equal((await again.b.fetch(again.callback)).status, 302);
    const replay = await fetch(`${b.base}${new URL(again.callback).pathname}${new URL(again.callback).search}`, {
      headers: { cookie: again.cookie },
      redirect: 'manual',
    });
    t.equal(replay.status, 400, 'sharing resumed: the other replica refuses the replay again');
  },
);

t.test(
  'a hung Redis (SIGSTOP): one command waits its short deadline, then Redis is left alone; it heals when Redis resumes',
  async (t) => {
    const redis = await startRedis();
    t.teardown(async () => {
      redis.resume();
      await redis.stop();
    });
    const { a } = await twoReplicas(t, redis, { RATE_LIMIT_MAX: '100' });
    redis.pause();
    const shared = a.bridge.sharedState!;
    const times: number[] = [];
    const timedOut: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const r = await a.browser().walk(`${a.base}/login`, { stopAt: a.sandbox.loginUrl });
      times.push(performance.now() - started);
      timedOut.push(shared.stats.timedOut);
      t.ok(r.stoppedAt, `login ${i + 1} completes`);
    }
    t.same(timedOut, [1, 1, 1], 'one command waited for its 250 ms deadline; after it Redis is left alone');
    t.ok(
      times.every((ms) => ms < 3000),
      `no login waits more than a moment (${times.map(Math.round).join(', ')} ms)`,
    );
    t.match(
      a.logs.find((e) => e['event'] === 'redis_down'),
      { detail: /longer than 250 ms/ },
    );
    t.match(await (await fetch(`${a.base}/readyz`)).json(), { redis: 'unavailable' });
    redis.resume();
    await new Promise((ok) => setTimeout(ok, 2100));
    t.ok((await a.browser().walk(`${a.base}/login`, { stopAt: a.sandbox.loginUrl })).stoppedAt);
    await until(() => a.bridge.sharedState!.up);
    t.pass('Redis is used again once it answers');
  },
);
