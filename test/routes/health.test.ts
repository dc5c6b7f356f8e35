/**
 * Liveness and readiness: `/healthz` answers while the process runs; `/readyz`
 * follows discovery, CommBox reachability and draining.
 */
import t from 'tap';
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
