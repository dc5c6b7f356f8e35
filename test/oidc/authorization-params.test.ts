/**
 * The authorization request a company shapes: OIDC_PROMPT, OIDC_MAX_AGE,
 * OIDC_AUTH_PARAMS, OIDC_PASS_THROUGH_PARAMS and the Google Workspace `hd`, from
 * the configuration to what the IdP receives and what the callback then checks.
 */
import t from 'tap';
import { fixedAuthorizationParams, passThroughParams } from '../../src/oidc/authorization-params.js';
import { parseConfig } from '../../src/config/parse.js';
import { configProblems, TWO_IDP_BASE } from '../helpers/config.js';
import { signInWithForm, startDemoStack, startHostileStack } from '../helpers/stack.js';
import { DEMO_USERS } from '../../dev/idp.js';

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

t.test('configuration: what may be set, and every problem named', async (t) => {
  const c = parseConfig({
    ...TWO_IDP_BASE,
    OIDC_PROMPT: 'select_account consent',
    OIDC_MAX_AGE: '28800',
    OIDC_AUTH_PARAMS: 'resource=urn%3Amicrosoft%3Auserinfo&domain_hint=example.com',
    OIDC_PASS_THROUGH_PARAMS: 'login_hint, ui_locales',
    ALLOWED_HOSTED_DOMAINS: 'Example.com',
  });
  const o = c.idps[0]!.oidc;
  t.equal(o.prompt, 'select_account consent');
  t.equal(o.maxAge, 28800);
  t.same(o.authParams, [
    ['resource', 'urn:microsoft:userinfo'],
    ['domain_hint', 'example.com'],
  ]);
  t.same(o.passThroughParams, ['login_hint', 'ui_locales']);
  t.equal(o.hostedDomain, 'example.com', 'one hosted domain is sent as hd');
  t.same(c.idps[0]!.access.allowedHostedDomains, ['example.com']);
  t.equal(
    parseConfig({ ...TWO_IDP_BASE, ALLOWED_HOSTED_DOMAINS: 'a.example,b.example' }).idps[0]!.oidc.hostedDomain,
    undefined,
    'two: no hd',
  );
  const defaults = parseConfig(TWO_IDP_BASE).idps[0]!.oidc;
  t.same(
    [defaults.prompt, defaults.maxAge, defaults.authParams, defaults.passThroughParams],
    [undefined, undefined, [], ['login_hint', 'domain_hint']],
  );
  t.same(
    parseConfig({ ...TWO_IDP_BASE, OIDC_PASS_THROUGH_PARAMS: '' }).idps[0]!.oidc.passThroughParams,
    [],
    'set but empty: none',
  );

  const problems = configProblems({
    ...TWO_IDP_BASE,
    OIDC_PROMPT: 'none login',
    OIDC_MAX_AGE: '-1',
    OIDC_AUTH_PARAMS: 'state=x',
    OIDC_PASS_THROUGH_PARAMS: 'login_hint,nonce',
  });
  t.match(problems['OIDC_PROMPT'], /"none" cannot be combined/);
  t.match(problems['OIDC_MAX_AGE'], /whole number/);
  t.match(problems['OIDC_AUTH_PARAMS'], /"state" is a protocol parameter/);
  t.match(problems['OIDC_PASS_THROUGH_PARAMS'], /"nonce" is a protocol parameter/);
  t.match(
    configProblems({ ...TWO_IDP_BASE, OIDC_PASS_THROUGH_PARAMS: 'max_age' })['OIDC_PASS_THROUGH_PARAMS'],
    /"max_age" has its own variable/,
  );
  t.match(
    configProblems({ ...TWO_IDP_BASE, OIDC_PASS_THROUGH_PARAMS: 'bad name' })['OIDC_PASS_THROUGH_PARAMS'],
    /not a parameter name/,
  );
  t.match(
    configProblems({ ...TWO_IDP_BASE, OIDC_AUTH_PARAMS: 'prompt=login' })['OIDC_AUTH_PARAMS'],
    /"prompt" has its own variable, OIDC_PROMPT/,
  );
  t.match(
    configProblems({ ...TWO_IDP_BASE, OIDC_AUTH_PARAMS: 'hd=example.com' })['OIDC_AUTH_PARAMS'],
    /ALLOWED_HOSTED_DOMAINS/,
  );
  t.match(configProblems({ ...TWO_IDP_BASE, OIDC_AUTH_PARAMS: 'a=1&a=2' })['OIDC_AUTH_PARAMS'], /names "a" twice/);
  t.match(
    configProblems({ ...TWO_IDP_BASE, OIDC_PROMPT: 'sometimes' })['OIDC_PROMPT'],
    /"sometimes" is not a prompt value/,
  );
  for (const name of [
    'client_id',
    'redirect_uri',
    'response_type',
    'response_mode',
    'scope',
    'code_challenge',
    'code_challenge_method',
    'request',
    'request_uri',
    'claims',
  ]) {
    t.match(
      configProblems({ ...TWO_IDP_BASE, OIDC_PASS_THROUGH_PARAMS: name })['OIDC_PASS_THROUGH_PARAMS'],
      /protocol parameter/,
      name,
    );
  }
});

t.test('extra IdPs inherit OIDC_PROMPT and OIDC_MAX_AGE, never the other settings', async (t) => {
  const env = {
    ...TWO_IDP_BASE,
    OIDC_IDPS: 'acquired',
    ALLOWED_EMAIL_DOMAINS: 'a.example',
    IDP_ACQUIRED_ISSUER: 'https://b.example.com',
    IDP_ACQUIRED_CLIENT_ID: 'b',
    IDP_ACQUIRED_CLIENT_SECRET: 'sb',
    IDP_ACQUIRED_ALLOWED_EMAIL_DOMAINS: 'b.example',
    OIDC_PROMPT: 'login',
    OIDC_MAX_AGE: '600',
    OIDC_AUTH_PARAMS: 'domain_hint=a.example',
    OIDC_PASS_THROUGH_PARAMS: 'ui_locales',
    ALLOWED_HOSTED_DOMAINS: 'a.example',
  };
  const extra = parseConfig(env).idps[1]!;
  t.same([extra.oidc.prompt, extra.oidc.maxAge], ['login', 600], 'inherited');
  t.same(
    [extra.oidc.authParams, extra.oidc.passThroughParams, extra.oidc.hostedDomain],
    [[], ['login_hint', 'domain_hint'], undefined],
    'not inherited',
  );
  t.same(extra.access.allowedHostedDomains, []);
  const own = parseConfig({
    ...env,
    IDP_ACQUIRED_PROMPT: 'select_account',
    IDP_ACQUIRED_MAX_AGE: '60',
    IDP_ACQUIRED_AUTH_PARAMS: 'resource=r',
  }).idps[1]!;
  t.same([own.oidc.prompt, own.oidc.maxAge, own.oidc.authParams], ['select_account', 60, [['resource', 'r']]]);
  t.match(
    configProblems({ ...env, IDP_ACQUIRED_AUTH_PARAMS: 'nonce=1' })['IDP_ACQUIRED_AUTH_PARAMS'],
    /protocol parameter/,
  );
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
  t.equal(pat.get('ui_locales'), null, 'a value over 256 characters is dropped');
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

t.test(
  'OIDC_MAX_AGE: an auth_time older than allowed is refused with a sign-in-again page, and no ticket',
  async (t) => {
    const s = await startHostileStack({ env: { OIDC_MAX_AGE: '600' } });
    t.teardown(() => s.close());
    s.idp.mode = 'auth-time-old';
    const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.equal(r.last.status, 403);
    t.match(r.last.body, /Please sign in again/);
    t.match(r.last.body, /\(auth_too_old\)/);
    t.match(
      s.logs.find((e) => e['reason'] === 'auth_too_old'),
      { check: 'id_token.auth_time' },
    );
    s.idp.mode = 'no-auth-time';
    const missing = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.equal(missing.last.status, 502);
    t.match(missing.last.body, /\(id_token_invalid\)/);
    t.match(
      s.logs.find((e) => e['reason'] === 'id_token_invalid'),
      { check: 'id_token.auth_time' },
    );
    s.idp.mode = 'ok';
    t.ok(
      (await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt,
      'a recent auth_time passes',
    );
    t.equal(s.ticketRequests(), 1, 'only the recent sign-in got a ticket');
  },
);

t.test('without OIDC_MAX_AGE an old auth_time is not judged', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  s.idp.mode = 'auth-time-old';
  t.ok((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt);
  t.equal(s.idp.lastAuthorize!['max_age'], undefined);
});

t.test('oidc-provider: OIDC_PROMPT=login asks for the password again although the IdP session is alive', async (t) => {
  for (const prompt of [undefined, 'login']) {
    const s = await startDemoStack({ env: prompt ? { OIDC_PROMPT: prompt } : {} });
    const b = s.browser();
    t.ok((await signInWithForm(b, `${s.base}/login`, 'alice', s.sandbox.loginUrl)).stoppedAt, 'first sign-in');
    const again = await signInWithForm(b, `${s.base}/login`, 'alice', s.sandbox.loginUrl);
    t.ok(again.stoppedAt, 'second sign-in lands');
    if (prompt) t.ok(again.formPage, 'prompt=login: the login form was shown again');
    else t.notOk(again.formPage, 'without prompt: the IdP session signs in silently');
    await s.close();
  }
});

t.test('oidc-provider: OIDC_MAX_AGE is sent, and the auth_time it returns is accepted', async (t) => {
  const s = await startDemoStack({ env: { OIDC_MAX_AGE: '300' } });
  t.teardown(() => s.close());
  const b = s.browser();
  const hop = await b.fetch(`${s.base}/login`);
  t.equal(new URL(hop.location!).searchParams.get('max_age'), '300');
  t.ok((await signInWithForm(b, `${s.base}/login`, 'alice', s.sandbox.loginUrl)).stoppedAt);
});

t.test('ALLOWED_HOSTED_DOMAINS: the ID token hd must be allowed; absent or only in userinfo is refused', async (t) => {
  const s = await startHostileStack({ env: { ALLOWED_HOSTED_DOMAINS: 'example.com' } });
  t.teardown(() => s.close());
  s.idp.users['alice']!['hd'] = 'Example.com';
  t.ok(
    (await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt,
    'hd Example.com (case-insensitive) passes',
  );
  t.equal(s.idp.lastAuthorize!['hd'], 'example.com', 'one allowed domain is sent as hd');

  s.idp.users['alice']!['hd'] = 'gmail.example';
  const other = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(other.last.status, 403);
  t.match(other.last.body, /\(hosted_domain_not_allowed\)/);
  t.match(other.last.body, /Use your company account/);

  delete s.idp.users['alice']!['hd'];
  const none = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(none.last.status, 403);
  t.match(s.logs.entries.filter((e) => e['reason'] === 'hosted_domain_not_allowed').pop(), { detail: /no "hd"/ });

  s.idp.users['alice']!['hd'] = 'example.com';
  s.idp.mode = 'userinfo-only-claims';
  const userinfoOnly = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(userinfoOnly.last.status, 403, 'hd from userinfo does not count');
  t.equal(s.ticketRequests(), 1, 'only the allowed account got a ticket');
});

t.test('oidc-provider: ALLOWED_HOSTED_DOMAINS sends hd and checks the ID token hd', async (t) => {
  const users = { alice: { ...DEMO_USERS['alice']!, hd: 'example.com' }, bob: { ...DEMO_USERS['bob']! } };
  const s = await startDemoStack({
    env: { ALLOWED_HOSTED_DOMAINS: 'example.com' },
    idp: { users, conformIdTokenClaims: false },
  });
  t.teardown(() => s.close());
  const hop = await s.browser().fetch(`${s.base}/login`);
  t.equal(new URL(hop.location!).searchParams.get('hd'), 'example.com');
  t.ok(
    (await signInWithForm(s.browser(), `${s.base}/login`, 'alice', s.sandbox.loginUrl)).stoppedAt,
    'a Workspace account lands',
  );
  const bob = await signInWithForm(s.browser(), `${s.base}/login`, 'bob', s.sandbox.loginUrl);
  t.equal(bob.last.status, 403, 'an account without hd is refused');
  t.match(bob.last.body, /\(hosted_domain_not_allowed\)/);
  t.equal(s.ticketRequests(), 1);
});
