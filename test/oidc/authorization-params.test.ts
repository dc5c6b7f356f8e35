/**
 * The extra parameters of the authorization request: the company's fixed ones
 * (OIDC_PROMPT, OIDC_MAX_AGE, OIDC_AUTH_PARAMS, the `hd` of
 * ALLOWED_HOSTED_DOMAINS) and those a link passes (OIDC_PASS_THROUGH_PARAMS),
 * as the functions build them and as the IdP receives them.
 */
import t from 'tap';
import { loginParams, fixedAuthorizationParams, passThroughParams } from '../../src/oidc/authorization-params.js';
import { startHostileStack } from '../helpers/stack.js';

t.test('passThroughParams: only listed names, once, short, not fixed, never protocol', async (t) => {
  const allowed = ['login_hint', 'domain_hint', 'ui_locales', 'state'];
  t.same(passThroughParams(allowed, { login_hint: 'bob', domain_hint: 'example.com', other: 'x' }, {}), {
    login_hint: 'bob',
    domain_hint: 'example.com',
  });
  t.same(passThroughParams(allowed, { Login_Hint: 'bob' }, {}), {}, 'names are case-sensitive');
  t.same(passThroughParams(allowed, { login_hint: ['a', 'b'] }, {}), {}, 'a repeated parameter is dropped');
  t.same(passThroughParams(allowed, { login_hint: 'x'.repeat(257) }, {}), {}, 'over 256 characters: dropped');
  t.same(passThroughParams(allowed, { login_hint: 'x'.repeat(256) }, {}), { login_hint: 'x'.repeat(256) });
  t.same(
    passThroughParams(allowed, { domain_hint: 'evil.example' }, { domain_hint: 'example.com' }),
    {},
    'a fixed value wins',
  );
  t.same(
    passThroughParams(allowed, { state: 'forged' }, {}),
    {},
    'a protocol parameter is never copied, even if listed',
  );
  t.same(
    passThroughParams(['prompt', 'max_age', 'hd'], { prompt: 'none', max_age: '999999', hd: 'evil.example' }, {}),
    {},
    'a parameter with its own variable is never copied, even if listed and not fixed',
  );
  t.same(passThroughParams(allowed, { login_hint: '' }, {}), {}, 'empty: nothing to pass');
  t.same(passThroughParams(allowed, undefined, {}), {});
  t.same(passThroughParams([], { login_hint: 'bob' }, {}), {}, 'an empty list passes nothing');
});

t.test('fixedAuthorizationParams: OIDC_AUTH_PARAMS, then prompt, max_age and hd', async (t) => {
  t.same(
    fixedAuthorizationParams({
      prompt: 'login',
      maxAge: 0,
      authParams: [['resource', 'urn:x']],
      hostedDomain: 'example.com',
    }),
    {
      resource: 'urn:x',
      prompt: 'login',
      max_age: '0',
      hd: 'example.com',
    },
  );
  t.same(
    fixedAuthorizationParams({ prompt: undefined, maxAge: undefined, authParams: [], hostedDomain: undefined }),
    {},
  );
});

t.test('loginParams: the page language as ui_locales, unless the company or the link set it', async (t) => {
  t.same(loginParams({ login_hint: 'bob' }, {}, 'he'), { login_hint: 'bob', ui_locales: 'he' });
  t.same(loginParams({}, {}, undefined), {}, 'no page language: none');
  t.same(loginParams({}, { ui_locales: 'de' }, 'he'), {}, 'the fixed value is in the URL prefix already');
  t.same(loginParams({}, { UI_LOCALES: 'de' }, 'he'), {}, 'in any letter case');
  t.same(loginParams({ ui_locales: 'fr' }, {}, 'he'), { ui_locales: 'fr' }, "the link's");
});

t.test('what the IdP receives: fixed parameters, and the link parameters that may pass', async (t) => {
  const s = await startHostileStack({
    env: {
      OIDC_PROMPT: 'login',
      OIDC_MAX_AGE: '3600',
      OIDC_AUTH_PARAMS: 'resource=urn:commbox&domain_hint=example.com',
      OIDC_PASS_THROUGH_PARAMS: 'login_hint,domain_hint,ui_locales',
    },
  });
  t.teardown(() => s.close());
  const r = await s
    .browser()
    .walk(
      `${s.base}/login?login_hint=bob&domain_hint=evil.example&ui_locales=fr&state=forged&nonce=forged&Login_Hint=x&acr_values=y&redirect_uri=https://evil.example`,
      {
        stopAt: s.sandbox.loginUrl,
      },
    );
  t.ok(r.stoppedAt, 'the login completes');
  const q = s.idp.lastAuthorize!;
  t.equal(q['prompt'], 'login');
  t.equal(q['max_age'], '3600');
  t.equal(q['resource'], 'urn:commbox');
  t.equal(q['domain_hint'], 'example.com', 'the fixed value wins over the link');
  t.equal(q['login_hint'], 'bob');
  t.equal(q['ui_locales'], 'fr');
  t.not(q['state'], 'forged');
  t.not(q['nonce'], 'forged');
  t.equal(q['redirect_uri'], `${s.base}/callback`);
  t.notOk('Login_Hint' in q || 'acr_values' in q, 'unlisted names are not copied');
  t.match(s.sandbox.requests[0]!.body, { data: { username: 'bob' } }, 'the hint chose the account at the IdP');

  // The same from /chat and /initiate (GET and POST).
  const init = await s
    .browser()
    .fetch(`${s.base}/initiate?iss=${encodeURIComponent(s.idp.issuer)}&login_hint=carol&ui_locales=de`);
  const at = new URL(init.location!).searchParams;
  t.equal(at.get('login_hint'), 'carol');
  t.equal(at.get('ui_locales'), 'de');
  const posted = await s.browser().fetch(`${s.base}/initiate`, {
    method: 'POST',
    body: new URLSearchParams({ iss: s.idp.issuer, login_hint: 'dave', ui_locales: 'x'.repeat(300) }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const pat = new URL(posted.location!).searchParams;
  t.equal(pat.get('login_hint'), 'dave');
  t.equal(pat.get('ui_locales'), 'en', 'a value over 256 characters is dropped (the page language goes instead)');
  t.match(
    s.logs.find(
      (e) =>
        e['event'] === 'login_started' &&
        Array.isArray(e['passed']) &&
        (e['passed'] as string[]).includes('ui_locales'),
    ),
    { passed: ['login_hint', 'ui_locales'] },
    'the log names what was passed (never the values)',
  );
  t.notMatch(s.logs.text, /carol|dave/, 'hints are not logged');
});

t.test('a passed-through value is one value at the IdP, whatever it contains', async (t) => {
  // The link parameter is copied as one value (the first lock); only the
  // encoding of the authorization URL keeps a value holding "&" and "=" from
  // becoming parameters of its own there.
  const s = await startHostileStack();
  t.teardown(() => s.close());
  const smuggled = 'bob&prompt=none&redirect_uri=https://evil.example';
  const b = s.browser();
  const hop = await b.fetch(`${s.base}/login?login_hint=${encodeURIComponent(smuggled)}`);
  t.equal(hop.status, 302);
  const sent = new URL(hop.location!).searchParams;
  t.same(sent.getAll('login_hint'), [smuggled], 'the authorization URL: one login_hint, the whole value');
  t.same(sent.getAll('prompt'), [], 'no prompt');
  t.same(sent.getAll('redirect_uri'), [`${s.base}/callback`], "one redirect_uri, the bridge's");
  const r = await b.walk(hop.location!, { stopAt: s.sandbox.loginUrl });
  const received = s.idp.lastAuthorizeQuery!;
  t.same(received.getAll('login_hint'), [smuggled], 'the IdP received one login_hint');
  t.same(received.getAll('prompt'), [], 'and no prompt');
  t.same(received.getAll('redirect_uri'), [`${s.base}/callback`], "and one redirect_uri, the bridge's");
  t.ok(r.stoppedAt, 'the login completes');

  // A repeated link parameter is ambiguous: nothing of it is passed.
  const twice = await s.browser().fetch(`${s.base}/login?login_hint=alice&login_hint=bob`);
  t.same(new URL(twice.location!).searchParams.getAll('login_hint'), [], 'a repeated login_hint is not passed');
});

t.test('protocol parameters and those with their own variable are never passed, even when listed', async (t) => {
  // The configuration refuses to list them (the first lock); here the parsed
  // list is changed after start-up to hold them, so only the copy's own check is left.
  const s = await startHostileStack({ env: { OIDC_PASS_THROUGH_PARAMS: 'login_hint' } });
  t.teardown(() => s.close());
  const listed = [
    'login_hint',
    'state',
    'nonce',
    'redirect_uri',
    'client_id',
    'scope',
    'code_challenge',
    'response_type',
    'prompt',
    'max_age',
    'hd',
  ];
  (s.bridge.idps.get('default')!.config.oidc as { passThroughParams: readonly string[] }).passThroughParams = listed;
  const link = new URLSearchParams({
    login_hint: 'bob',
    state: 'forged',
    nonce: 'forged',
    redirect_uri: 'https://evil.example/callback',
    client_id: 'someone-else',
    scope: 'openid offline_access',
    code_challenge: 'forged',
    response_type: 'token',
    prompt: 'none',
    max_age: '999999',
    hd: 'evil.example',
  });
  const hop = await s.browser().fetch(`${s.base}/login?${link}`);
  t.equal(hop.status, 302);
  const sent = new URL(hop.location!).searchParams;
  t.same(sent.getAll('login_hint'), ['bob'], 'a listed ordinary parameter still passes');
  for (const name of ['state', 'nonce', 'code_challenge']) {
    t.equal(sent.getAll(name).length, 1, `one ${name}`);
    t.not(sent.get(name), 'forged', `${name} is the bridge's`);
  }
  t.same(sent.getAll('redirect_uri'), [`${s.base}/callback`]);
  t.same(sent.getAll('client_id'), [s.idp.clientId]);
  t.same(sent.getAll('scope'), ['openid email profile']);
  t.same(sent.getAll('response_type'), ['code']);
  for (const name of ['prompt', 'max_age', 'hd']) t.same(sent.getAll(name), [], `no ${name} from the link`);
});

t.test('the chat route passes link parameters too', async (t) => {
  const s = await startHostileStack({
    env: (sb) => ({ COMMBOX_CHAT_URL: sb.chatUrl, COMMBOX_CHAT_CHANNELS: 'chan1' }),
  });
  t.teardown(() => s.close());
  const hop = await s.browser().fetch(`${s.base}/chat/chan1?login_hint=bob`);
  t.equal(new URL(hop.location!).searchParams.get('login_hint'), 'bob');
});
