/**
 * The whole flow over real HTTP against the real `oidc-provider` IdP and the
 * CommBox sandbox: the login form, cookies, the callback and the ticket.
 */
import t from 'tap';
import {
  createTransaction,
  legacyTransactionCookieName,
  TRANSACTION_TTL_MS,
  TransactionSealer,
  transactionCookieNames,
} from '../../src/login/transaction.js';
import { COOKIE_SECRET, signInWithForm, startDemoStack, startHostileStack, submitLoginForm } from '../helpers/stack.js';

const AGENTS = { ALLOWED_GROUPS: 'commbox-agents' };

t.test('an agent signs in and lands in CommBox with a one-time ticket', async (t) => {
  const s = await startDemoStack({ env: AGENTS });
  t.teardown(() => s.close());
  const b = s.browser();
  const r = await signInWithForm(b, `${s.base}/login`, 'alice', s.sandbox.loginUrl);
  t.ok(r.stoppedAt, `redirected into CommBox (last: ${r.last.status} ${r.last.url})`);
  t.equal(r.last.status, 302);
  t.equal(r.last.headers['cache-control'], 'no-store');
  t.equal(r.last.headers['referrer-policy'], 'no-referrer');
  t.equal(s.sandbox.requests.length, 1);
  const req = s.sandbox.requests[0]!;
  t.same(req.problems, [], 'the request matches the OpenAPI contract');
  t.equal(req.authorization, `Bearer ${s.sandbox.apiKey}`);
  // The default scopes (openid email profile) do not ask for the phone number.
  t.same(req.body, {
    data: {
      brand: 'acme',
      username: 'alice',
      email: 'alice@example.com',
      firstName: 'Alice',
      lastName: 'Agent',
      oneTimeUse: true,
    },
  });
  t.equal(r.stoppedAt, `${s.sandbox.loginUrl}?ta=${req.ticket}`);
  const landing = await b.fetch(r.stoppedAt!);
  t.equal(landing.status, 200);
  t.match(landing.body, /signed in as alice/);
  t.equal((await b.fetch(r.stoppedAt!)).status, 401, 'the sandbox refuses the ticket a second time');
  t.match(
    s.logs.find((e) => e['msg'] === 'login completed'),
    { reason: 'ok', sub: String, username: 'alice', userinfo: true },
  );
  t.same(
    b.jar.names(new URL(s.base).host).filter((n) => n.includes('cbx_tx_')),
    [],
    'the login cookie is cleared',
  );
});

t.test('the login cookie is sealed, HttpOnly, SameSite=Lax, path /, 10 minutes', async (t) => {
  const s = await startDemoStack();
  t.teardown(() => s.close());
  const hop = await s.browser().fetch(`${s.base}/login`);
  t.equal(hop.status, 302);
  const idp = new URL(hop.location!);
  t.equal(idp.origin, s.idp.issuer);
  t.equal(idp.searchParams.get('code_challenge_method'), 'S256');
  t.equal(idp.searchParams.get('redirect_uri'), `${s.base}/callback`);
  t.equal(idp.searchParams.get('scope'), 'openid email profile');
  t.ok(idp.searchParams.get('nonce')!.length >= 43);
  const state = idp.searchParams.get('state')!;
  t.ok(state.length >= 43);
  t.equal(hop.setCookies.length, 1);
  const c = hop.setCookies[0]!;
  t.match(c, /^cbx_tx_[0-4]=/, 'one of five cookie names');
  t.match(c, /; Max-Age=600/);
  t.match(c, /; Path=\//);
  t.match(c, /; HttpOnly/);
  t.match(c, /; SameSite=Lax/);
  t.notMatch(c, new RegExp(state), 'the state is not readable in the cookie');
});

t.test('claims in the ID token: no userinfo request', async (t) => {
  const s = await startDemoStack({ env: AGENTS, idp: { conformIdTokenClaims: false } });
  t.teardown(() => s.close());
  const r = await signInWithForm(s.browser(), `${s.base}/login`, 'alice', s.sandbox.loginUrl);
  t.ok(r.stoppedAt);
  t.match(
    s.logs.find((e) => e['msg'] === 'login completed'),
    { userinfo: false },
  );
});

t.test('ES256 ID tokens', async (t) => {
  const s = await startDemoStack({ env: { ...AGENTS, OIDC_ID_TOKEN_ALG: 'ES256' }, idp: { idTokenAlg: 'ES256' } });
  t.teardown(() => s.close());
  const r = await signInWithForm(s.browser(), `${s.base}/login`, 'alice', s.sandbox.loginUrl);
  t.ok(r.stoppedAt);
});

t.test('refusals by the access rules: a 403 page, and no ticket', async (t) => {
  const s = await startDemoStack({ env: AGENTS });
  t.teardown(() => s.close());

  const bob = await signInWithForm(s.browser(), `${s.base}/login`, 'bob', s.sandbox.loginUrl);
  t.equal(bob.last.status, 403);
  t.match(bob.last.headers['content-type'], /^text\/html/);
  t.match(bob.last.body, /not in a group that may use CommBox/);
  t.match(bob.last.body, /Reference: <code>[0-9a-f]{16}<\/code> \(group_not_allowed\)/);
  const ref = /Reference: <code>([0-9a-f]+)</.exec(bob.last.body)![1];
  t.match(
    s.logs.find((e) => e['reqId'] === ref),
    { reason: 'group_not_allowed', sub: String, level: 40 },
    'the reference is the log line',
  );

  const carol = await signInWithForm(s.browser(), `${s.base}/login`, 'carol', s.sandbox.loginUrl);
  t.equal(carol.last.status, 403);
  t.match(carol.last.body, /email address is not verified/);
  t.notMatch(carol.last.body, /Try again/, 'no pointless retry button');
  t.equal(s.ticketRequests(), 0, 'no ticket was requested');
});

t.test('ALLOW_UNVERIFIED_EMAIL=true lets carol in', async (t) => {
  const s = await startDemoStack({ env: { ...AGENTS, ALLOW_UNVERIFIED_EMAIL: 'true' } });
  t.teardown(() => s.close());
  const r = await signInWithForm(s.browser(), `${s.base}/login`, 'carol', s.sandbox.loginUrl);
  t.ok(r.stoppedAt);
});

t.test('ALLOWED_EMAIL_DOMAINS refuses other domains', async (t) => {
  const s = await startDemoStack({ env: { ALLOWED_EMAIL_DOMAINS: 'corp.example' } });
  t.teardown(() => s.close());
  const r = await signInWithForm(s.browser(), `${s.base}/login`, 'alice', s.sandbox.loginUrl);
  t.equal(r.last.status, 403);
  t.match(r.last.body, /email_domain_not_allowed/);
  t.equal(s.ticketRequests(), 0);
});

t.test('a required claim that maps to nothing: 403 naming the claim', async (t) => {
  const s = await startDemoStack({ env: { MAP_USERNAME: 'employee.id|lower' } });
  t.teardown(() => s.close());
  const r = await signInWithForm(s.browser(), `${s.base}/login`, 'alice', s.sandbox.loginUrl);
  t.equal(r.last.status, 403);
  t.match(r.last.body, /Missing: <code>employee\.id<\/code>\./);
  t.match(
    s.logs.find((e) => e['reason'] === 'claim_missing'),
    { detail: /MAP_USERNAME \(employee\.id\|lower\) maps to nothing; claims present: .*email/ },
  );
  t.equal(s.ticketRequests(), 0);
});

t.test('MAP_USERNAME transforms: email|localpart|upper', async (t) => {
  const s = await startDemoStack({
    env: {
      MAP_USERNAME: 'email|localpart|upper',
      ALLOWED_EMAIL_DOMAINS: 'example.com',
      MAP_FIRST_NAME: '',
      MAP_LAST_NAME: '',
    },
  });
  t.teardown(() => s.close());
  const r = await signInWithForm(s.browser(), `${s.base}/login`, 'alice', s.sandbox.loginUrl);
  t.ok(r.stoppedAt);
  t.same(s.sandbox.requests[0]!.body, {
    data: { brand: 'acme', username: 'ALICE', email: 'alice@example.com', oneTimeUse: true },
  });
});

t.test('the login cookie lost between /login and /callback', async (t) => {
  const s = await startDemoStack();
  t.teardown(() => s.close());
  const b = s.browser();
  const bridgeHost = new URL(s.base).host;
  const first = await b.walk(`${s.base}/login`);
  t.match(first.last.url, /\/interaction\//);
  b.jar.delete(bridgeHost, (n) => n.includes('cbx_tx_'));
  const r = await submitLoginForm(b, first.last, 'alice', s.sandbox.loginUrl);
  t.equal(r.last.status, 400);
  t.match(r.last.url, /\/callback\?/);
  t.match(r.last.body, /login cookie/);
  t.match(r.last.body, /cookies are blocked|allow cookies/);
  t.match(r.last.body, /href="http:\/\/127\.0\.0\.1:\d+\/login">Try again/);
  t.match(
    s.logs.find((e) => e['reason'] === 'login_cookie_missing'),
    { level: 40, msg: 'login refused' },
  );
  t.equal(s.ticketRequests(), 0);
  t.notOk(r.last.body.includes(new URL(r.last.url).searchParams.get('code')!), 'the page does not echo the code');
});

t.test(
  'a callback with several "state", or an empty one, is refused before the login is used or the IdP asked',
  async (t) => {
    // openid-client refuses a repeated parameter too, but only after the bridge
    // has taken (and used up) the login named by the first "state": the bridge's
    // own check comes first and leaves the login alone.
    const s = await startHostileStack();
    t.teardown(() => s.close());
    const b = s.browser();
    const r = await b.walk(`${s.base}/login`, { stopAt: `${s.base}/callback` });
    const callback = r.stoppedAt!;
    const state = new URL(callback).searchParams.get('state')!;
    for (const [query, detail] of [
      [`${callback}&state=${state}`, /several "state"/],
      [`${callback.replace(/state=[^&]+/, 'state=')}`, /an empty "state"/],
    ] as const) {
      const before = s.logs.lines.length;
      const refused = await b.fetch(query);
      t.equal(refused.status, 400);
      t.match(refused.body, /\(login_cookie_missing\)/);
      t.match(
        s.logs.entries.slice(before).find((e) => e['reason'] === 'login_cookie_missing'),
        { detail },
      );
    }
    t.equal(s.idp.stats.token, 0, 'no token request');
    const done = await b.fetch(callback);
    t.equal(done.status, 302, 'the login itself still completes');
    t.equal(s.ticketRequests(), 1);
  },
);

t.test('a replayed callback is refused', async (t) => {
  const s = await startDemoStack();
  t.teardown(() => s.close());
  const b = s.browser();
  // Keep a copy of the login cookie, as an attacker or a back button might.
  const first = await b.walk(`${s.base}/login`);
  const host = new URL(s.base).host;
  const name = b.jar.names(host).find((n) => n.includes('cbx_tx_'))!;
  const value = b.jar.get(host, name)!;
  const r = await submitLoginForm(b, first.last, 'alice', s.sandbox.loginUrl);
  t.ok(r.stoppedAt);
  const callback = r.hops.find((h) => h.url.includes('/callback?'))!.url;
  b.jar.set(host, name, value);
  const replay = await b.fetch(callback);
  t.equal(replay.status, 400);
  t.match(replay.body, /callback_replayed/);
  t.equal(s.ticketRequests(), 1, 'only the first callback got a ticket');
});

t.test('a tampered login cookie is refused before any token request', async (t) => {
  const s = await startDemoStack();
  t.teardown(() => s.close());
  const b = s.browser();
  const first = await b.walk(`${s.base}/login`);
  const host = new URL(s.base).host;
  const name = b.jar.names(host).find((n) => n.includes('cbx_tx_'))!;
  const v = b.jar.get(host, name)!;
  b.jar.set(host, name, v.slice(0, -4) + (v.endsWith('AAAA') ? 'BBBB' : 'AAAA'));
  const r = await submitLoginForm(b, first.last, 'alice', s.sandbox.loginUrl);
  t.equal(r.last.status, 400);
  t.match(r.last.body, /login_cookie_invalid/);
  t.equal(s.ticketRequests(), 0);
});

t.test(
  'a login cookie with the legacy name (taken from its state, not a slot) still lands, and is cleared',
  async (t) => {
    const s = await startDemoStack();
    t.teardown(() => s.close());
    const b = s.browser();
    const host = new URL(s.base).host;
    const first = await b.walk(`${s.base}/login`);
    // Rewrite the login cookie under the legacy name, taken from its state.
    const state = new URL(first.hops[0]!.location!).searchParams.get('state')!;
    const slot = b.jar.names(host).find((n) => n.startsWith('cbx_tx_'))!;
    const sealer = new TransactionSealer(COOKIE_SECRET);
    const opened = sealer.open(b.jar.get(host, slot)!, slot, state);
    if (!opened.ok) throw new Error('the login cookie does not open');
    const legacy = legacyTransactionCookieName(state, false);
    b.jar.delete(host, (n) => n === slot);
    b.jar.set(host, legacy, sealer.seal(opened.tx, legacy));
    const r = await submitLoginForm(b, first.last, 'alice', s.sandbox.loginUrl);
    t.ok(r.stoppedAt, `lands in CommBox (last: ${r.last.status})`);
    t.notOk(b.jar.names(host).includes(legacy), 'and its cookie is cleared');
    t.equal(s.ticketRequests(), 1);
  },
);

t.test(
  "among several login cookies, the one for this state decides: expired, or none (another login's answer)",
  async (t) => {
    const s = await startHostileStack();
    t.teardown(() => s.close());
    const b = s.browser();
    const host = new URL(s.base).host;
    await b.fetch(`${s.base}/login`);
    await b.fetch(`${s.base}/login`);
    const taken = b.jar.names(host);
    const free = transactionCookieNames(false).find((n) => !taken.includes(n))!;
    const sealer = new TransactionSealer(COOKIE_SECRET);
    const old = createTransaction(Date.now() - TRANSACTION_TTL_MS - 1000);
    b.jar.set(host, free, sealer.seal(old, free));
    const expired = await b.fetch(
      `${s.base}/callback?state=${old.state}&code=c&iss=${encodeURIComponent(s.idp.issuer)}`,
    );
    t.equal(expired.status, 400);
    t.match(expired.body, /\(login_expired\)/, 'the expired one is found among three');
    t.ok(
      expired.setCookies.some((c) => c.startsWith(`${free}=;`)),
      'and cleared',
    );
    const stranger = await b.fetch(
      `${s.base}/callback?state=${createTransaction().state}&code=c&iss=${encodeURIComponent(s.idp.issuer)}`,
    );
    t.match(stranger.body, /\(state_mismatch\)/, 'a state none of them holds');
    t.equal(b.jar.names(host).length, 2, "the other logins' cookies are left alone");
    t.equal(s.idp.stats.token, 0, 'no token request');
    t.equal(s.ticketRequests(), 0);
  },
);

t.test(
  'two tabs started one after the other: both land when the older is completed first; the newer completed first clears the older',
  async (t) => {
    const s = await startDemoStack();
    t.teardown(() => s.close());
    const b = s.browser();
    const tab1 = await b.walk(`${s.base}/login`);
    const tab2 = await b.walk(`${s.base}/login`);
    const host = new URL(s.base).host;
    t.equal(b.jar.names(host).filter((n) => n.includes('cbx_tx_')).length, 2, 'one cookie per transaction');
    const submit = (page: typeof tab1) => submitLoginForm(b, page.last, 'alice', s.sandbox.loginUrl);
    const r1 = await submit(tab1);
    const r2 = await submit(tab2);
    t.ok(r1.stoppedAt, 'tab 1 lands');
    t.ok(r2.stoppedAt, 'tab 2 lands');
    t.equal(s.ticketRequests(), 2);

    // A completed login clears the logins this browser started before it (a
    // shared desk: none may later be completed from the IdP session just used).
    // (alice's IdP session now answers without a form: each tab stops at the IdP's URL)
    const tab3 = (await b.fetch(`${s.base}/login`)).location!;
    const tab4 = (await b.fetch(`${s.base}/login`)).location!;
    t.ok((await b.walk(tab4, { stopAt: s.sandbox.loginUrl })).stoppedAt, 'tab 4 (the newer) lands');
    t.equal(
      b.jar.names(host).filter((n) => n.includes('cbx_tx_')).length,
      0,
      "tab 3's login cookie is cleared with tab 4's",
    );
    const r3 = await b.walk(tab3, { stopAt: s.sandbox.loginUrl });
    t.notOk(r3.stoppedAt, 'tab 3 does not land: start again');
    t.match(r3.last.body, /\(login_cookie_missing\)/);
    t.equal(s.ticketRequests(), 3);
  },
);

t.test('an already signed-in IdP session: the second click goes straight through', async (t) => {
  const s = await startDemoStack();
  t.teardown(() => s.close());
  const b = s.browser();
  t.ok((await signInWithForm(b, `${s.base}/login`, 'alice', s.sandbox.loginUrl)).stoppedAt);
  const second = await b.walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.ok(second.stoppedAt, 'no form this time');
  t.notOk(second.hops.some((h) => h.url.includes('/interaction/')));
});

t.test('an already percent-encoded ticket is passed on exactly as received', async (t) => {
  const s = await startDemoStack();
  t.teardown(() => s.close());
  s.sandbox.ticketStyle = 'percent';
  const b = s.browser();
  const r = await signInWithForm(b, `${s.base}/login`, 'alice', s.sandbox.loginUrl);
  const ticket = s.sandbox.requests[0]!.ticket!;
  t.match(ticket, /%3d$/);
  t.equal(r.stoppedAt, `${s.sandbox.loginUrl}?ta=${ticket}`, 'no %25 double encoding');
  t.equal((await b.fetch(r.stoppedAt!)).status, 200, 'the sandbox accepts it');
});

t.test('COMMBOX_LOGIN_URL with a query of its own keeps it', async (t) => {
  const s = await startDemoStack({ env: (sb) => ({ COMMBOX_LOGIN_URL: `${sb.loginUrl}?lang=en` }) });
  t.teardown(() => s.close());
  const b = s.browser();
  const r = await signInWithForm(b, `${s.base}/login`, 'alice', s.sandbox.loginUrl);
  t.equal(r.stoppedAt, `${s.sandbox.loginUrl}?lang=en&ta=${s.sandbox.requests[0]!.ticket}`);
  t.equal((await b.fetch(r.stoppedAt!)).status, 200);
});

t.test('the domain rule judges what CommBox receives: MAP_EMAIL=upn is checked, not the email claim', async (t) => {
  const s = await startHostileStack({ env: { ALLOWED_EMAIL_DOMAINS: 'example.com', MAP_EMAIL: 'upn' } });
  t.teardown(() => s.close());
  s.idp.users['alice'] = { ...s.idp.users['alice']!, upn: 'alice@evil.example' };
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(r.last.status, 403, 'the email claim is in the domain, the upn CommBox would receive is not');
  t.match(r.last.body, /\(email_domain_not_allowed\)/);
  t.match(
    s.logs.find((e) => e['reason'] === 'email_domain_not_allowed'),
    { detail: /"evil\.example" of the mapped email/ },
  );
  t.equal(s.ticketRequests(), 0);

  s.idp.users['alice'] = { ...s.idp.users['alice'], email: 'alice@evil.example', upn: 'alice@example.com' };
  t.ok(
    (await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt,
    'the upn in the domain passes, whatever the email claim',
  );
  t.match(s.sandbox.requests[0]!.body, { data: { email: 'alice@example.com' } });

  s.idp.users['alice'] = { ...s.idp.users['alice'], preferred_username: 'alice@evil.example' };
  const u = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(u.last.status, 403, 'a username with @ is judged too');
  t.match(s.logs.entries.filter((e) => e['reason'] === 'email_domain_not_allowed').at(-1), {
    detail: /of the mapped username/,
  });
  t.equal(s.ticketRequests(), 1);
});

t.test('email_verified false only in userinfo: asked for, and refused', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  s.idp.mode = 'email-verified-userinfo-only';
  s.idp.user = 'carol'; // email_verified: false, but not in her ID token
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(r.last.status, 403);
  t.match(r.last.body, /\(email_unverified\)/);
  t.equal(s.idp.stats.userinfo, 1, 'userinfo was asked before deciding');
  t.equal(s.ticketRequests(), 0, 'no ticket');

  s.idp.user = 'alice'; // verified in userinfo
  t.ok(
    (await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt,
    'true in userinfo passes',
  );
  t.equal(s.idp.stats.userinfo, 2);

  s.idp.mode = 'ok';
  t.ok((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt);
  t.equal(s.idp.stats.userinfo, 2, 'in the ID token: no userinfo request');
});

t.test('email_verified absent everywhere: accepted (Entra ID), refused with REQUIRE_VERIFIED_EMAIL=true', async (t) => {
  const entraLike = (s: Awaited<ReturnType<typeof startHostileStack>>) => {
    const { email_verified: _, ...alice } = s.idp.users['alice']!;
    s.idp.users['alice'] = alice;
  };
  const relaxed = await startHostileStack();
  t.teardown(() => relaxed.close());
  entraLike(relaxed);
  t.ok(
    (await relaxed.browser().walk(`${relaxed.base}/login`, { stopAt: relaxed.sandbox.loginUrl })).stoppedAt,
    'accepted by default',
  );
  t.equal(relaxed.idp.stats.userinfo, 1, 'after asking userinfo');

  const strict = await startHostileStack({ env: { REQUIRE_VERIFIED_EMAIL: 'true' } });
  t.teardown(() => strict.close());
  entraLike(strict);
  const r = await strict.browser().walk(`${strict.base}/login`, { stopAt: strict.sandbox.loginUrl });
  t.equal(r.last.status, 403);
  t.match(r.last.body, /\(email_unverified\)/);
  t.match(
    strict.logs.find((e) => e['reason'] === 'email_unverified'),
    { detail: /absent \(REQUIRE_VERIFIED_EMAIL=true\)/ },
  );
  t.equal(strict.ticketRequests(), 0);
  strict.idp.users['alice'] = { ...strict.idp.users['alice']!, email_verified: true };
  t.ok(
    (await strict.browser().walk(`${strict.base}/login`, { stopAt: strict.sandbox.loginUrl })).stoppedAt,
    'verified passes',
  );
});

t.test('F5 on the last page, or the back button: "already used", not "cookies are blocked"', async (t) => {
  const s = await startHostileStack({ env: { ALLOWED_GROUPS: 'commbox-agents' } });
  t.teardown(() => s.close());
  s.idp.user = 'bob'; // refused: the page an agent might reload
  const b = s.browser();
  const r = await b.walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(r.last.status, 403);
  const tokenRequests = s.idp.stats.token;
  const reload = await b.fetch(r.last.url);
  t.equal(reload.status, 400);
  t.match(reload.body, /This sign-in was already used/);
  t.match(reload.body, /reloaded or reached again with the back button/);
  t.match(reload.body, /\(callback_replayed\)/);
  t.match(reload.body, />Try again</, 'with the button');
  t.notMatch(reload.body, /cookies/);
  t.equal(s.idp.stats.token, tokenRequests, 'no token request');

  s.idp.user = 'alice'; // and after a successful sign-in, the back button
  const ok = await b.walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.ok(ok.stoppedAt);
  const back = await b.fetch(ok.hops.find((h) => h.url.includes('/callback?'))!.url);
  t.match(back.body, /\(callback_replayed\)/);
  t.equal(s.ticketRequests(), 1);

  const unknown = await s.browser().fetch(`${s.base}/callback?state=${'y'.repeat(43)}&code=c`);
  t.match(unknown.body, /\(login_cookie_missing\)/, 'a state never used still explains cookies');
});

t.test(
  'second lock: an IdP whose access rules are empty, without ALLOW_ANY_AUTHENTICATED, lets nobody in',
  async (t) => {
    const s = await startDemoStack();
    t.teardown(() => s.close());
    // The configuration refuses to start like this; switch that first lock off by
    // changing the rules of the running bridge.
    Object.assign(s.bridge.idps.get('default')!.config.access, { allowAnyAuthenticated: false });
    const r = await signInWithForm(s.browser(), `${s.base}/login`, 'alice', s.sandbox.loginUrl);
    t.notOk(r.stoppedAt);
    t.equal(r.last.status, 403);
    t.match(r.last.body, /CommBox access is not set up here/);
    t.match(r.last.body, /no_access_rule/);
    t.equal(s.ticketRequests(), 0, 'no ticket requested');
    t.match(
      s.logs.find((e) => e['reason'] === 'no_access_rule'),
      { reqId: String },
    );
  },
);

t.test(
  'MAP_USERNAME=…|localpart: a username cut from another domain is refused, though the email passes',
  async (t) => {
    const s = await startHostileStack({
      env: { ALLOWED_EMAIL_DOMAINS: 'example.com', MAP_USERNAME: 'preferred_username|localpart|lower' },
    });
    t.teardown(() => s.close());
    s.idp.users['alice'] = {
      ...s.idp.users['alice']!,
      preferred_username: 'Bob@Evil.Example',
      email: 'alice@example.com',
    };
    const refused = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.equal(refused.last.status, 403);
    t.match(refused.last.body, /email_domain_not_allowed/);
    t.equal(s.ticketRequests(), 0, 'no ticket for "bob"');
    s.idp.users['alice'] = { ...s.idp.users['alice'], preferred_username: 'Alice@Example.com' };
    const ok = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.ok(ok.stoppedAt);
    t.match(s.sandbox.requests[0]!.body, { data: { username: 'alice' } });
  },
);
