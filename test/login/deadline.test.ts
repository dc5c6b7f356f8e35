/**
 * One deadline for a whole callback (`LOGIN_TIMEOUT_MS`): an IdP and a CommBox
 * that are each slow but answer within their own deadlines cannot together
 * hold a login past it. The requests in flight are cut (the servers see the
 * connection close before they answer), and once it has passed no ticket is
 * requested.
 */
import t from 'tap';
import { startHostileStack } from '../helpers/stack.js';
import { until } from '../helpers/until.js';

/** Each request may take 1 s, the whole callback too (for cases that need only the sum of delays to pass it). */
const TIGHT = { OIDC_TIMEOUT_MS: '1000', COMMBOX_TIMEOUT_MS: '1000', LOGIN_TIMEOUT_MS: '1000' };
/** 3 s each: room for the controls, whose single delay must fit with the machine's own time to spare. */
const ROOMY = { OIDC_TIMEOUT_MS: '3000', COMMBOX_TIMEOUT_MS: '3000', LOGIN_TIMEOUT_MS: '3000' };

t.test(
  'a slow token endpoint and a slow CommBox, each within its own deadline: the ticket request is cut at the login deadline',
  async (t) => {
    const s = await startHostileStack({ env: ROOMY });
    t.teardown(() => s.close());
    await s.bridge.oidc.discover();
    // Control: each delay alone is within the deadlines (1.8 s and 1 s to spare).
    s.idp.delayMs.token = 1200;
    t.ok(
      (await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt,
      'a slow token endpoint alone: the login completes',
    );
    s.idp.delayMs.token = 0;
    s.sandbox.delayMs = 2000;
    t.ok(
      (await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt,
      'a slow CommBox alone: the login completes',
    );
    t.equal(s.ticketRequests(), 2);

    // Both: 1200 + 2000 ms, more than the login's 3000.
    s.idp.delayMs.token = 1200;
    const started = performance.now();
    const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    const ms = performance.now() - started;
    t.equal(r.last.status, 504);
    t.notOk(r.stoppedAt, 'never sent into CommBox');
    t.match(r.last.body, /\(login_timeout\)/);
    const reference = /Reference: <code>([0-9a-f]{16})<\/code>/.exec(r.last.body)?.[1];
    t.match(
      s.logs.find((e) => e['reqId'] === reference),
      { reason: 'login_timeout', check: 'login_timeout.ticket', status: 504, msg: 'login failed' },
      'the log names the step that was running',
    );
    // The ticket request was in flight: the bridge closed it before CommBox answered, so none was issued.
    t.equal(s.ticketRequests(), 3);
    const last = s.sandbox.requests[2]!;
    await until(() => last.abandoned === true || last.status !== 0);
    t.equal(last.abandoned, true, 'CommBox saw the connection close before it answered');
    t.equal(last.ticket, undefined, 'no ticket was issued for it');
    t.equal(s.sandbox.arrivals.length, 0);
    t.ok(
      ms < 3000 + 2000,
      `the callback ended near the deadline, not after both delays (sanity bound only; ${Math.round(ms)} ms)`,
    );
  },
);

t.test('the deadline passes at userinfo: the request is cut and no ticket is ever requested', async (t) => {
  const s = await startHostileStack({ env: TIGHT });
  t.teardown(() => s.close());
  s.idp.mode = 'userinfo-only-claims'; // the login needs userinfo
  s.idp.delayMs.token = 600;
  s.idp.delayMs.userinfo = 600;
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(r.last.status, 504);
  t.match(r.last.body, /Sign-in took too long/);
  t.match(r.last.body, /\(login_timeout\)/);
  t.match(
    s.logs.find((e) => e['reason'] === 'login_timeout'),
    { check: 'login_timeout.userinfo' },
  );
  t.equal(s.idp.stats.token, 1);
  t.equal(s.idp.stats.userinfo, 1);
  await until(() => s.idp.abandoned.userinfo === 1);
  t.pass('the IdP saw the userinfo request closed before it answered');
  t.equal(s.idp.abandoned.token, 0, 'the token request had been answered');
  t.equal(s.ticketRequests(), 0, 'no ticket requested');
});

t.test(
  'the deadline passes while a JWKS refetch (a rotated key) is slow: the login stops waiting for it',
  async (t) => {
    const s = await startHostileStack({ env: ROOMY });
    t.teardown(() => s.close());
    await s.bridge.oidc.discover();
    await s.idp.rotate(); // the ID token's key is not in the bridge's JWKS yet: it refetches
    const jwksFetches = s.idp.stats.jwks;
    // The token at 1.5 s; the JWKS would answer at 4.4 s, within its own 3 s; the login ends at 3 s,
    // 1.4 s before the IdP would answer.
    s.idp.delayMs.token = 1500;
    s.idp.delayMs.jwks = 2900;
    const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.equal(r.last.status, 504);
    t.equal(s.idp.stats.jwks, jwksFetches + 1, 'the bridge refetched the JWKS');
    t.equal(s.idp.waiting.jwks, 1, 'and answered before the IdP did: the login did not wait for the refetch');
    t.match(
      s.logs.find((e) => e['reason'] === 'login_timeout'),
      { check: 'login_timeout.signature' },
    );
    t.equal(s.ticketRequests(), 0);
  },
);
