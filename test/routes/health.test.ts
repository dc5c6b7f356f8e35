/**
 * Liveness, readiness, metrics, rate limits and the audit trail.
 */
import { buildMetricsApp } from '../../src/app.js';
import t from 'tap';
import { DEFAULT_RATE_LIMIT_MAX } from '../../src/config/table.js';
import { build, NOWHERE } from '../helpers/build.js';
import { freePort, startHostileStack } from '../helpers/stack.js';

t.test('readiness follows discovery and CommBox reachability', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  const b = s.browser();
  s.idp.down = true;
  t.equal((await b.fetch(`${s.base}/healthz`)).status, 200, 'alive even when the IdP is down');
  const notReady = await b.fetch(`${s.base}/readyz`);
  t.equal(notReady.status, 503);
  t.match(JSON.parse(notReady.body), { status: 'not ready', problems: [/idp: discovery/] });
  t.equal((await b.fetch(`${s.base}/login`)).status, 503, 'a login tries discovery');
  t.same(
    (JSON.parse((await b.fetch(`${s.base}/readyz`)).body) as { problems: unknown }).problems,
    ['idp: discovery: the IdP could not be reached or answered badly (the log says why)'],
    'readiness says which step failed, not the network details',
  );
  s.idp.down = false;
  await s.bridge.oidc.discover();
  t.same(
    JSON.parse((await b.fetch(`${s.base}/readyz`)).body),
    { status: 'ready' },
    'CommBox not tried yet counts as ready',
  );
  s.bridge.health.draining = true;
  t.match(JSON.parse((await b.fetch(`${s.base}/readyz`)).body), { problems: ['draining: shutting down'] });
  s.bridge.health.draining = false;
});

t.test('CommBox never reachable makes the bridge not ready; one answer makes it ready', async (t) => {
  const closed = await freePort();
  const s = await startHostileStack({
    env: { COMMBOX_API_URL: `http://127.0.0.1:${closed}`, COMMBOX_TIMEOUT_MS: '1000' },
  });
  t.teardown(() => s.close());
  await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  const r = await s.browser().fetch(`${s.base}/readyz`);
  t.equal(r.status, 503);
  t.match(JSON.parse(r.body), { problems: ['commbox: not reachable so far'] });
});

t.test('metrics count logins, refusals and ticket requests without user data', async (t) => {
  const s = await startHostileStack({ env: { ALLOWED_GROUPS: 'commbox-agents' } });
  t.teardown(() => s.close());
  t.ok((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt);
  s.idp.user = 'bob';
  await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  s.idp.user = 'alice';
  s.sandbox.fault = '503-then-ok';
  s.sandbox.failures = 1;
  await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  await s.browser().fetch(`${s.base}/callback?state=${'x'.repeat(43)}&code=c`);
  const publicMetrics = await s.browser().fetch(`${s.base}/metrics`);
  t.equal(publicMetrics.status, 404, 'never on the public port');
  t.notMatch(publicMetrics.body, /commbox_bridge_/);
  const metricsApp = buildMetricsApp(s.bridge);
  t.teardown(() => metricsApp.close());
  const m = await metricsApp.inject('/metrics');
  t.equal(m.statusCode, 200);
  t.match(m.headers['content-type'], /^text\/plain/);
  t.equal((await metricsApp.inject('/')).statusCode, 404, 'the metrics port serves /metrics only');
  const text = m.body;
  t.match(text, /commbox_bridge_logins_started_total\{entry="login"\} 3/);
  t.match(text, /commbox_bridge_logins_completed_total 2/);
  t.match(text, /commbox_bridge_logins_refused_total\{reason="group_not_allowed"\} 1/);
  t.match(text, /commbox_bridge_logins_refused_total\{reason="login_cookie_missing"\} 1/);
  t.match(text, /commbox_bridge_commbox_ticket_requests_total\{status="200"\} 2/);
  t.match(text, /commbox_bridge_commbox_ticket_requests_total\{status="503"\} 1/);
  t.match(text, /commbox_bridge_login_duration_seconds_count 2/);
  t.match(text, /commbox_bridge_idp_token_duration_seconds_count 3/);
  t.match(text, /commbox_bridge_commbox_ticket_duration_seconds_bucket\{le="\+Inf"\} 2/);
  t.notMatch(text, /alice|bob|u-alice|example\.com/, 'no user data in metrics');
});

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

t.test('audit: one line per issued ticket, on its own logger, never the ticket', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  const r = await s
    .browser()
    .walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl, headers: { 'user-agent': 'AgentBrowser/1.0' } });
  t.ok(r.stoppedAt);
  s.idp.mode = 'bad-sig';
  await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(s.audit.entries.length, 1, 'refused logins issue no ticket and no audit line');
  const line = s.audit.entries[0]!;
  t.match(line, {
    name: 'commbox-sso-bridge.audit',
    msg: 'ticket issued',
    event: 'ticket_issued',
    sub: 'u-alice',
    username: 'alice',
    email: 'alice@example.com',
    ip: '127.0.0.1',
    userAgent: 'test-browser',
    reqId: /^[0-9a-f]{16}$/,
    ms: Number,
    time: String,
  });
  t.notOk(s.audit.text.includes(s.sandbox.requests[0]!.ticket!));
});
