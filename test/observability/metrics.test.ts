/**
 * The Prometheus metrics: logins, refusals and ticket requests counted without
 * user data, served on the metrics port only.
 */
import { buildMetricsApp } from '../../src/app.js';
import t from 'tap';
import { BRIDGE_VERSION } from '../../src/observability/version.js';
import { startHostileStack } from '../helpers/stack.js';

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
  // Series the alerts read exist at 0 before their first event, so increase() counts that first one.
  t.match(text, /commbox_bridge_logins_refused_total\{reason="commbox_unauthorized"\} 0\n/);
  t.match(text, /commbox_bridge_commbox_ticket_requests_total\{status="401"\} 0\n/);
  t.match(text, /commbox_bridge_logins_refused_total\{reason="login_cookie_missing"\} 1/);
  t.match(text, /commbox_bridge_commbox_ticket_requests_total\{status="200"\} 2/);
  t.match(text, /commbox_bridge_commbox_ticket_requests_total\{status="503"\} 1/);
  t.match(text, /commbox_bridge_login_duration_seconds_count 2/);
  t.match(text, /commbox_bridge_idp_token_duration_seconds_count 3/);
  t.match(text, /commbox_bridge_commbox_ticket_duration_seconds_bucket\{le="\+Inf"\} 2/);
  t.ok(
    text.includes(`commbox_bridge_build_info{version="${BRIDGE_VERSION}",node="${process.version}"} 1`),
    'which release runs: on the metrics port',
  );
  t.notMatch(text, /alice|bob|u-alice|example\.com/, 'no user data in metrics');
});

t.test("commbox_bridge_idp_discovered follows each IdP's discovery, as readiness does", async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  const gauge = () => s.bridge.metrics.registry.getSingleMetricAsString('commbox_bridge_idp_discovered');
  s.idp.down = true;
  t.equal((await s.browser().fetch(`${s.base}/readyz`)).status, 503);
  t.match(await gauge(), /commbox_bridge_idp_discovered\{idp="default"\} 0$/m, 'not loaded: 0');
  s.idp.down = false;
  await s.bridge.oidc.discover();
  t.match(await gauge(), /commbox_bridge_idp_discovered\{idp="default"\} 1$/m, 'loaded: 1');
  const all = await s.bridge.metrics.registry.metrics();
  t.notMatch(all, /commbox_bridge_redis_up/, 'no Redis gauge without REDIS_URL');
});
