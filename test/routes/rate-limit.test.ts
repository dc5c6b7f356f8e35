/**
 * The per-client rate limit of the login routes (`RATE_LIMIT_MAX` per
 * `RATE_LIMIT_WINDOW_MS`): on by default, counted per client IP and route, a
 * 429 page with Retry-After; health is never limited.
 */
import t from 'tap';
import { DEFAULT_RATE_LIMIT_MAX } from '../../src/config/table.js';
import { build, NOWHERE } from '../helpers/build.js';
import { startHostileStack } from '../helpers/stack.js';

t.test('rate limit per client IP on the login routes: a 429 page with Retry-After', async (t) => {
  const s = await startHostileStack({ env: { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' } });
  t.teardown(() => s.close());
  const b = s.browser();
  for (let i = 0; i < 3; i++) t.equal((await b.fetch(`${s.base}/login`)).status, 302);
  const limited = await b.fetch(`${s.base}/login`);
  t.equal(limited.status, 429);
  t.ok(Number(limited.headers['retry-after']) > 0, `Retry-After: ${limited.headers['retry-after']}`);
  t.match(limited.body, /Too many attempts/);
  t.match(limited.body, /\(rate_limited\)/);
  for (let i = 0; i < 3; i++) t.equal((await b.fetch(`${s.base}/callback`)).status, 400, 'refused callbacks count too');
  const json = await b.fetch(`${s.base}/callback`, { headers: { accept: 'application/json' } });
  t.equal(json.status, 429);
  t.match(JSON.parse(json.body), { error: 'rate_limited' });
  t.match(
    await s.bridge.metrics.registry.getSingleMetricAsString('commbox_bridge_logins_refused_total'),
    /commbox_bridge_logins_refused_total\{reason="rate_limited"\} 2$/m,
    "each 429 is counted where the dashboard's rate-limited panel and the refusal alerts read it",
  );
  t.equal((await b.fetch(`${s.base}/healthz`)).status, 200, 'health is never limited');
  t.equal((await b.fetch(`${s.base}/`)).status, 200);
});

t.test('on by default on every login route, per client IP and route; RATE_LIMIT_MAX=0 turns it off', async (t) => {
  const chat = { COMMBOX_CHAT_URL: `${NOWHERE}/chat`, COMMBOX_CHAT_CHANNELS: '*' };
  const routes = ['/login', '/initiate', '/chat/nex9tHPKdBkD_fAfbuUPABg%3d%3d', '/callback'];
  const { app } = await build(t, chat);
  for (const url of routes) {
    const statuses = new Set<number>();
    for (let i = 0; i < DEFAULT_RATE_LIMIT_MAX; i++) statuses.add((await app.inject(url)).statusCode);
    t.notOk(statuses.has(429), `${url}: ${DEFAULT_RATE_LIMIT_MAX} requests a minute pass`);
    t.equal((await app.inject(url)).statusCode, 429, `${url}: one more is refused`);
    t.not((await app.inject({ url, remoteAddress: '192.0.2.7' })).statusCode, 429, `${url}: another client is not`);
  }
  const off = await build(t, { ...chat, RATE_LIMIT_MAX: '0' });
  for (const url of routes) {
    const statuses = new Set<number>();
    for (let i = 0; i <= DEFAULT_RATE_LIMIT_MAX; i++) statuses.add((await off.app.inject(url)).statusCode);
    t.notOk(statuses.has(429), `RATE_LIMIT_MAX=0: ${url} is never limited`);
  }
});
