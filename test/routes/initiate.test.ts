/**
 * Third-party-initiated login (OpenID Connect Core §4) for IdP launcher tiles.
 */
import t from 'tap';
import { signInWithForm, startDemoStack, startEditedLogin, startHostileStack } from '../helpers/stack.js';

t.test('GET and POST tiles sign in, forwarding login_hint', async (t) => {
  const s = await startDemoStack();
  t.teardown(() => s.close());
  const q = new URLSearchParams({ iss: s.idp.issuer, login_hint: 'alice', target_link_uri: `${s.base}/` });
  const get = await signInWithForm(s.browser(), `${s.base}/initiate?${q}`, 'alice', s.sandbox.loginUrl);
  t.ok(get.stoppedAt, 'GET lands');
  t.match(get.formPage?.body, /value="alice"/, 'the IdP got the login_hint');
  const post = await signInWithForm(s.browser(), `${s.base}/initiate`, 'alice', s.sandbox.loginUrl, {
    method: 'POST',
    body: q.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.ok(post.stoppedAt, 'POST lands');
  t.equal(s.ticketRequests(), 2);
});

t.test('a bare GET /initiate starts a normal login', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  const r = await s.browser().walk(`${s.base}/initiate`, { stopAt: s.sandbox.loginUrl });
  t.ok(r.stoppedAt);
});

t.test('target_link_uri at this bridge is honoured; login_hint is forwarded', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  for (const target of [`${s.base}/login`, `${s.base}/`]) {
    const q = new URLSearchParams({ iss: s.idp.issuer, target_link_uri: target, login_hint: 'bob' });
    const hop = await s.browser().fetch(`${s.base}/initiate?${q}`);
    t.equal(hop.status, 302);
    t.ok(hop.location!.startsWith(`${s.idp.issuer}/authorize?`));
    t.equal(new URL(hop.location!).searchParams.get('login_hint'), 'bob');
  }
});

t.test('refusals: unknown issuer, no issuer, foreign target; the browser is never sent away', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  const cases: [Record<string, string>, string][] = [
    [{ iss: 'https://evil.example', login_hint: 'alice' }, 'initiate_unknown_issuer'],
    [{ iss: `${s.idp.issuer}/`, login_hint: 'alice' }, 'initiate_unknown_issuer'],
    [{ login_hint: 'alice' }, 'initiate_unknown_issuer'],
    [{ iss: s.idp.issuer, target_link_uri: 'https://evil.example/' }, 'initiate_bad_target'],
    [{ iss: s.idp.issuer, target_link_uri: `${s.base}.evil.example/login` }, 'initiate_bad_target'],
    [{ iss: s.idp.issuer, target_link_uri: `${s.base}/callback` }, 'initiate_bad_target'],
    [{ iss: s.idp.issuer, target_link_uri: '//evil.example/login' }, 'initiate_bad_target'],
    [{ iss: s.idp.issuer, target_link_uri: 'javascript:alert(1)' }, 'initiate_bad_target'],
  ];
  for (const [params, reason] of cases) {
    const get = await s.browser().fetch(`${s.base}/initiate?${new URLSearchParams(params)}`);
    t.equal(get.status, 400, `${JSON.stringify(params)} → 400`);
    t.equal(get.location, undefined, 'no redirect');
    t.match(get.body, new RegExp(`\\(${reason}\\)`));
    t.notMatch(get.body, /evil\.example|javascript:/, 'the bad value is not echoed');
    const post = await s.browser().fetch(`${s.base}/initiate`, {
      method: 'POST',
      body: new URLSearchParams(params).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    t.equal(post.status, 400);
  }
  const twice = await s.browser().fetch(`${s.base}/initiate?iss=${encodeURIComponent(s.idp.issuer)}&iss=x`);
  t.equal(twice.status, 400);
  t.equal(s.idp.stats.authorize, 0, 'the IdP was never visited');
  t.equal(s.ticketRequests(), 0);
});

t.test('the callback sends only where the configuration says, whatever target the login holds', async (t) => {
  // /initiate refuses a foreign or malformed target_link_uri (the first lock,
  // above). Here targets it would refuse are sealed into the login directly:
  // the callback still sends an agent only to COMMBOX_LOGIN_URL, and checks a
  // chat channel again.
  const s = await startHostileStack({ env: (sb) => ({ COMMBOX_CHAT_URL: sb.chatUrl, COMMBOX_CHAT_CHANNELS: '*' }) });
  t.teardown(() => s.close());
  const complete = async (target: string) => {
    const b = s.browser();
    const authorize = await startEditedLogin(s, b, `${s.base}/login`, (tx) => ({ ...tx, target }));
    const back = await b.fetch(authorize);
    t.match(back.location, `${s.base}/callback?`);
    return b.fetch(back.location!);
  };
  for (const target of ['https://evil.example/', '//evil.example/login', '/callback', 'javascript:alert(1)']) {
    const r = await complete(target);
    t.equal(r.status, 302, `${target}: an agent login`);
    t.match(r.location, `${s.sandbox.loginUrl}?ta=`, `${target}: into COMMBOX_LOGIN_URL, never the target`);
  }
  t.equal(s.ticketRequests(), 4);
  for (const target of ['/chat/a%2Fb', '/chat/%2E%2E%2Fadmin', '/chat/x?y', '/chat/']) {
    const r = await complete(target);
    t.equal(r.status, 400, `${target}: refused`);
    t.match(r.body, /\(bad_request\)/);
  }
  t.equal(s.ticketRequests(), 4, 'no ticket for a malformed chat channel');
});

t.test('a form field named __proto__ is just a field', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  const body = `__proto__=x&__proto__=y&iss=${encodeURIComponent(s.idp.issuer)}`;
  const r = await s.browser().fetch(`${s.base}/initiate`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.equal(r.status, 302);
  t.ok(r.location?.startsWith(`${s.idp.issuer}/authorize?`));
});

t.test('anti-clickjacking on /initiate', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  const r = await s.browser().fetch(`${s.base}/initiate?iss=x`);
  t.equal(r.headers['x-frame-options'], 'DENY');
  t.match(r.headers['content-security-policy'], /frame-ancestors 'none'/);
});
