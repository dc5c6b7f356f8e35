/**
 * The audit trail: one line per issued ticket and per refused login, on a
 * logger of its own with the schema's envelope, never the ticket nor a
 * refusal's free text; the limits an outsider can hit at will said once per
 * client and window.
 */
import t from 'tap';
import { BridgeError, Reasons, type Reason } from '../../src/errors.js';
import { AUDIT_SCHEMA_VERSION } from '../../src/observability/audit.js';
import { Browser } from '../helpers/browser.js';
import { forgedCallback, startHostileStack } from '../helpers/stack.js';

const refusals = (entries: Record<string, unknown>[]) => entries.filter((e) => e['event'] === 'login_refused');

t.test('a ticket and a refused login: one audit line each, with the envelope, never the ticket', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  const r = await s
    .browser()
    .walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl, headers: { 'user-agent': 'AgentBrowser/1.0' } });
  t.ok(r.stoppedAt);
  s.idp.mode = 'bad-sig';
  const refused = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(refused.last.status, 502);
  t.equal(s.ticketRequests(), 1, 'the refused login requested no ticket');
  t.same(
    s.audit.entries.map((e) => e['event']),
    ['ticket_issued', 'login_refused'],
  );
  const [issued, refusal] = s.audit.entries;
  t.match(issued, {
    name: 'commbox-sso-bridge.audit',
    schemaVersion: AUDIT_SCHEMA_VERSION,
    outcome: 'success',
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
  t.match(refusal, {
    name: 'commbox-sso-bridge.audit',
    schemaVersion: AUDIT_SCHEMA_VERSION,
    outcome: 'failure',
    level: 40,
    event: 'login_refused',
    reason: 'id_token_invalid',
    check: 'id_token.signature',
    status: 502,
    idp: 'default',
    ip: '127.0.0.1',
    path: '/callback',
    userAgent: 'test-browser',
    reqId: /^[0-9a-f]{16}$/,
  });
  t.notOk('detail' in refusal!, "never the refusal's free text");
  t.notOk('sub' in refusal!, 'no sub before the ID token verified');
  const app = s.logs.find((e) => e['reqId'] === refusal!['reqId'] && e['msg'] === 'login failed');
  t.match(app, { reason: 'id_token_invalid', detail: String }, 'the application line has the detail, same reqId');
  t.notOk(s.audit.text.includes(s.sandbox.requests[0]!.ticket!));
});

t.test('refusals through real HTTP: the reason, the check, and sub/username once known', async (t) => {
  const s = await startHostileStack({ env: { ALLOWED_GROUPS: 'not-alices-group' } });
  t.teardown(() => s.close());
  // No login cookie: nothing known of anyone.
  const cookieless = await s.browser().fetch(`${s.base}/callback?state=x&code=y&iss=${s.idp.issuer}`);
  t.equal(cookieless.status, 400);
  // The access rules refuse: the ID token verified, so sub is known; no username was mapped.
  t.equal((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).last.status, 403);
  // An unknown issuer at /initiate: a refused login that never reached an IdP.
  const initiate = await s.browser().fetch(`${s.base}/initiate?iss=https://elsewhere.example`);
  t.equal(initiate.status, 400);
  t.equal(s.ticketRequests(), 0, 'no ticket was requested');
  const [missing, group, unknownIssuer] = refusals(s.audit.entries);
  t.match(missing, { reason: 'login_cookie_missing', status: 400, idp: 'default', path: '/callback' });
  t.notOk('sub' in missing!);
  t.match(group, { reason: 'group_not_allowed', status: 403, sub: 'u-alice' });
  t.notOk('username' in group!, 'no username before the mapping');
  t.match(unknownIssuer, { reason: 'initiate_unknown_issuer', status: 400, path: '/initiate' });
  t.notOk('idp' in unknownIssuer!);
  t.equal(s.audit.entries.length, 3, 'one line per refusal');
});

t.test('a refusal by CommBox: sub and username, and no ticket line', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  s.sandbox.fault = '401';
  t.equal((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).last.status, 502);
  t.same(
    s.audit.entries.map((e) => e['event']),
    ['login_refused'],
  );
  t.match(s.audit.entries[0], { reason: 'commbox_unauthorized', sub: 'u-alice', username: 'alice' });
});

t.test('every reason code thrown in the callback is audited as a refused login', async (t) => {
  const s = await startHostileStack({ env: { RATE_LIMIT_MAX: '0' } });
  t.teardown(() => s.close());
  // The ticket step (the last of the callback) throws each reason in turn.
  let next: BridgeError | undefined;
  s.bridge.commbox.requestTicket = () => Promise.reject(next!);
  const expected = (reason: Reason) => (reason === Reasons.rateLimited ? 'rate_limited' : 'login_refused');
  for (const reason of Object.values(Reasons)) {
    next = new BridgeError(reason, { detail: `thrown for ${reason}` });
    const before = s.audit.lines.length;
    const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.equal(r.last.status, next.status, `${reason}: answered ${next.status}`);
    const lines = s.audit.entries.slice(before);
    t.match(
      lines,
      [{ event: expected(reason), outcome: 'failure', idp: 'default', ip: '127.0.0.1', reqId: /^[0-9a-f]{16}$/ }],
      `${reason}: one audit line`,
    );
    if (expected(reason) === 'login_refused') t.equal(lines[0]!['reason'], reason);
  }
  t.notMatch(s.audit.text, /thrown for/, 'never the detail');
});

t.test('rate limits hit: one audit line per client and window, every refusal counted', async (t) => {
  const s = await startHostileStack({ env: { RATE_LIMIT_MAX: '2' } });
  t.teardown(() => s.close());
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) statuses.push((await s.browser().fetch(`${s.base}/login`)).status);
  t.same(statuses, [302, 302, 429, 429, 429, 429, 429, 429, 429, 429]);
  const other = new Browser({ localAddress: '127.0.0.2' });
  for (let i = 0; i < 4; i++) await other.fetch(`${s.base}/login`);
  const limited = s.audit.entries.filter((e) => e['event'] === 'rate_limited');
  t.match(limited, [
    { limit: 'RATE_LIMIT_MAX', ip: '127.0.0.1', key: '127.0.0.1', path: '/login', outcome: 'failure' },
    { ip: '127.0.0.2' },
  ]);
  t.equal(limited.length, 2, '10 requests over the limit from two clients: 2 lines');
  t.equal(refusals(s.audit.entries).length, 0, 'and no login_refused line for them');
  t.match(
    await s.bridge.metrics.registry.getSingleMetricAsString('commbox_bridge_logins_refused_total'),
    /reason="rate_limited"} 10/,
    'every one counted in the metric',
  );
});

t.test('the failed-login budget exhausted: one audit line per client and window', async (t) => {
  const s = await startHostileStack({ env: { RATE_LIMIT_MAX: '0', RATE_LIMIT_FAILED_LOGINS: '1' } });
  t.teardown(() => s.close());
  const outsider = s.browser();
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++)
    statuses.push((await forgedCallback(s.base, outsider, s.idp.issuer, `forged-${i}`)).status);
  t.same(statuses, [502, 429, 429, 429, 429, 429]);
  t.same(
    s.audit.entries.map((e) => e['event']),
    ['login_refused', 'failed_login_budget_exhausted'],
  );
  t.match(s.audit.entries[1], {
    limit: 'RATE_LIMIT_FAILED_LOGINS',
    check: 'rate_limit.failed_logins',
    ip: '127.0.0.1',
    idp: 'default',
    outcome: 'failure',
  });
});
