/**
 * The rate-limit store that counts in Redis: one count per client and route, as
 * @fastify/rate-limit's own memory store keeps them. Without Redis the plugin's
 * store already counts per route (test/routes/rate-limit.test.ts); with Redis only
 * the store's per-route keys do.
 */
import t from 'tap';
import { startHostileStack } from '../helpers/stack.js';
import { startRedis } from '../helpers/redis.js';
import { startHostileIdp } from '../helpers/hostile-idp.js';
import { until } from '../helpers/until.js';

t.test(
  'with Redis each route counts on its own: a /login burst limits neither /login/<idp> nor /callback',
  async (t) => {
    const redis = await startRedis();
    t.teardown(() => redis.stop());
    const second = await startHostileIdp();
    t.teardown(() => second.close());
    const s = await startHostileStack({
      env: {
        REDIS_URL: redis.url,
        RATE_LIMIT_MAX: '3',
        RATE_LIMIT_WINDOW_MS: '60000',
        ALLOWED_EMAIL_DOMAINS: 'example.com',
        OIDC_IDPS: 'acquired',
        IDP_ACQUIRED_ISSUER: second.issuer,
        IDP_ACQUIRED_CLIENT_ID: second.clientId,
        IDP_ACQUIRED_CLIENT_SECRET: second.clientSecret,
        IDP_ACQUIRED_ALLOWED_EMAIL_DOMAINS: 'acquired.example',
      },
    });
    t.teardown(() => s.close());
    await until(() => s.bridge.sharedState!.up);

    // One login is started and its callback kept; then /login's count is used up.
    const b = s.browser();
    const started = await b.walk(`${s.base}/login`, { stopAt: `${s.base}/callback` });
    t.ok(started.stoppedAt, 'the IdP answers');
    for (let i = 0; i < 2; i++) t.equal((await s.browser().fetch(`${s.base}/login`)).status, 302);
    const limited = await s.browser().fetch(`${s.base}/login`);
    t.equal(limited.status, 429, 'the fourth /login is over RATE_LIMIT_MAX');
    t.match(limited.body, /\(rate_limited\)/);

    t.equal((await s.browser().fetch(`${s.base}/login/acquired`)).status, 302, '/login/<idp> has its own count');
    const done = await b.fetch(started.stoppedAt!);
    t.equal(done.status, 302, '/callback has its own count: the login completes');
    t.match(done.location, `${s.sandbox.loginUrl}?ta=`);
    t.equal(s.ticketRequests(), 1);

    const counts = redis
      .keys()
      .filter((k) => k.key.includes(':ratelimit:'))
      .map((k) => Number(k.value));
    t.ok(counts.includes(4), `the /login count is kept in Redis (counts: ${counts.join(', ')})`);
    t.ok(counts.length >= 3, 'one key per route: /login, /login/<idp>, /callback');
  },
);
