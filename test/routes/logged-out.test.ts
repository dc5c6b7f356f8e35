/**
 * `GET /logged-out`, CommBox's sign-out URL, and `OIDC_LOGOUT=end_session` (RP-initiated logout at the
 * IdP), over real HTTP: the real oidc-provider IdP for the whole round, the hostile IdP for metadata
 * without (or with an unusable) `end_session_endpoint`.
 */
import t from 'tap';
import { BridgeError } from '../../src/errors.js';
import { renderLoggedOut } from '../../src/web/pages.js';
import { checkConfig } from '../../src/check-config.js';
import { parseConfig } from '../../src/config/parse.js';
import { configProblems, TWO_IDP_BASE, WITH_ENTRA } from '../helpers/config.js';
import { signInWithForm, startDemoStack, startHostileStack } from '../helpers/stack.js';

const ORG = 'Acme <Bank> & "Co"';

t.test('the page: signed out of CommBox, in the agent language, escaped, no-store, the pages’ CSP', async (t) => {
  const s = await startHostileStack({ env: { ORG_NAME: ORG, HELP_URL: 'https://help.example.com/it' } });
  t.teardown(() => s.close());
  const b = s.browser();
  const landing = await b.fetch(`${s.base}/`);

  const en = await b.fetch(`${s.base}/logged-out`);
  t.equal(en.status, 200);
  t.match(en.headers['content-type'], /^text\/html; charset=utf-8/);
  t.equal(en.headers['cache-control'], 'no-store');
  t.equal(en.headers['content-security-policy'], landing.headers['content-security-policy'], 'the pages’ CSP');
  t.equal(en.headers['x-frame-options'], 'DENY');
  t.equal(en.headers['referrer-policy'], 'no-referrer');
  t.equal(en.headers['content-language'], 'en');
  t.match(en.headers['vary'], /Accept-Language/);
  t.match(en.body, /<html lang="en">/);
  t.match(en.body, /<h1>You are signed out of CommBox<\/h1>/);
  t.match(en.body, /This page itself ends nothing\./, 'says what it does not end');
  t.match(en.body, /You may still be signed in to your company account/, 'nor the IdP session');
  t.match(en.body, `<a class="button" href="${s.base}/login">Open CommBox again</a>`);
  t.match(en.body, /<title>Signed out of CommBox: Acme &lt;Bank&gt; &amp; &quot;Co&quot;<\/title>/);
  t.match(en.body, /<p class="org"><bdi>Acme &lt;Bank&gt; &amp; &quot;Co&quot;<\/bdi>: CommBox sign-in<\/p>/);
  t.match(en.body, /<a href="https:\/\/help\.example\.com\/it">the help desk of <bdi>Acme/);
  t.notMatch(en.body, /<Bank>/, 'ORG_NAME never raw');
  t.equal(en.body.match(/class="button"/g)?.length, 1, 'no IdP sign-out without OIDC_LOGOUT');

  const he = await b.fetch(`${s.base}/logged-out`, { headers: { 'accept-language': 'he-IL,he;q=0.9,en;q=0.5' } });
  t.equal(he.status, 200);
  t.equal(he.headers['content-language'], 'he');
  t.equal(he.headers['cache-control'], 'no-store');
  t.match(he.body, /<html lang="he" dir="rtl">/);
  t.match(he.body, /<h1>התנתקת מ\u2011CommBox<\/h1>/);
  t.match(he.body, `<a class="button" href="${s.base}/login">פתיחת CommBox מחדש</a>`);
});

t.test('OIDC_LOGOUT=end_session with the real IdP: the link, its parameters, the round and the way back', async (t) => {
  const s = await startDemoStack({ env: { OIDC_LOGOUT: 'end_session' } });
  t.teardown(() => s.close());
  const b = s.browser();
  const signedIn = await signInWithForm(b, `${s.base}/login`, 'alice', s.sandbox.loginUrl);
  t.ok(signedIn.stoppedAt, 'signed in at the IdP');

  const page = await b.fetch(`${s.base}/logged-out`);
  const links = [...page.body.matchAll(/<a class="button" href="([^"]*)">([^<]*)<\/a>/g)];
  t.equal(links.length, 2, 'Open CommBox again, and the IdP sign-out');
  t.equal(links[1]![2], 'Sign out of your company account too');
  const href = links[1]![1]!.replaceAll('&amp;', '&');
  const url = new URL(href);
  const advertised = s.bridge.idps.get('default')!.oidc.discovered!.endSessionEndpoint!;
  t.equal(`${url.origin}${url.pathname}`, advertised, "the IdP's end_session_endpoint");
  t.same(
    [...url.searchParams].sort(),
    [
      ['client_id', s.idp.clientId],
      ['post_logout_redirect_uri', `${s.base}/logged-out?done=1`],
    ],
    'client_id and post_logout_redirect_uri only: no id_token_hint, no state',
  );

  // The IdP accepts the request (the URI is registered) and asks to confirm; confirmed, it ends its session.
  const ask = await b.fetch(href);
  t.equal(ask.status, 200, 'the IdP accepted the logout request');
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(ask.body)?.[1];
  const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(ask.body)?.[1];
  t.ok(xsrf && action, 'the confirmation form');
  const back = await b.walk(new URL(action!, href).href, {
    method: 'POST',
    body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.equal(back.last.url, `${s.base}/logged-out?done=1`, 'the IdP sent the browser back');
  t.equal(back.last.status, 200);
  t.match(back.last.body, /You are back from your company sign-in service/);
  t.equal(back.last.body.match(/class="button"/g)?.length, 1, 'the IdP sign-out is not offered again');

  // Signed out at the IdP: a new login asks for the password again.
  const again = await b.walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.notOk(again.stoppedAt, 'not straight through to CommBox');
  t.match(again.last.url, /\/interaction\//, "the IdP's login form");
});

t.test(
  'a post_logout_redirect_uri not registered at the IdP is refused there (why the docs say to register it)',
  async (t) => {
    const s = await startDemoStack({ env: { OIDC_LOGOUT: 'end_session' }, idp: { postLogoutRedirectUris: [] } });
    t.teardown(() => s.close());
    await s.bridge.idps.get('default')!.oidc.discover();
    const page = await s.browser().fetch(`${s.base}/logged-out`);
    const href = [...page.body.matchAll(/<a class="button" href="([^"]*)">/g)][1]![1]!.replaceAll('&amp;', '&');
    const idp = await s.browser().fetch(href);
    t.equal(idp.status, 400);
    t.match(idp.body, /post_logout_redirect_uri/);
  },
);

t.test('fail closed: OIDC_LOGOUT=end_session and no usable end_session_endpoint refuses the IdP', async (t) => {
  // The hostile IdP advertises no end_session_endpoint.
  const s = await startHostileStack({ env: { OIDC_LOGOUT: 'end_session' } });
  t.teardown(() => s.close());
  const oidc = s.bridge.idps.get('default')!.oidc;
  const e = await oidc.discover().catch((e: unknown) => e);
  t.type(e, BridgeError);
  t.match(e, {
    reason: 'idp_unavailable',
    check: 'metadata.end_session_endpoint',
    detail: /no usable end_session_endpoint/,
  });
  const ready = await s.browser().fetch(`${s.base}/readyz`);
  t.equal(ready.status, 503);
  t.match(JSON.parse(ready.body), {
    problems: [/^idp: metadata\.end_session_endpoint: .*no usable end_session_endpoint/],
  });
  const page = await s.browser().fetch(`${s.base}/logged-out`);
  t.equal(page.status, 200, 'the page still answers');
  t.equal(page.body.match(/class="button"/g)?.length, 1, 'without an IdP sign-out');
  const login = await s.browser().fetch(`${s.base}/login`);
  t.equal(login.status, 503, 'and logins are refused until the setting or the IdP is fixed');

  // An http endpoint off loopback is no better.
  s.idp.metadata = { end_session_endpoint: 'http://idp.example.com/logout' };
  const http = await oidc.discover().catch((e: unknown) => e);
  t.match(http, { check: 'metadata.end_session_endpoint', detail: /is not https/ });

  // The same metadata with the setting off: the endpoint is neither needed nor judged.
  const off = await startHostileStack();
  t.teardown(() => off.close());
  off.idp.metadata = { end_session_endpoint: 'http://idp.example.com/logout' };
  const found = await off.bridge.idps.get('default')!.oidc.discover();
  t.equal(found.endSessionEndpoint, undefined);
  const offPage = await off.browser().fetch(`${off.base}/logged-out`);
  t.equal(offPage.body.match(/class="button"/g)?.length, 1);
});

t.test('OIDC_LOGOUT and IDP_<NAME>_LOGOUT take off or end_session, per IdP (never inherited)', async (t) => {
  t.match(configProblems({ ...TWO_IDP_BASE, OIDC_LOGOUT: 'yes' }), { OIDC_LOGOUT: /off|end_session/ });
  t.match(configProblems({ ...TWO_IDP_BASE, ...WITH_ENTRA, IDP_ENTRA_LOGOUT: 'on' }), {
    IDP_ENTRA_LOGOUT: /off|end_session/,
  });
  t.same(configProblems({ ...TWO_IDP_BASE, ...WITH_ENTRA, OIDC_LOGOUT: 'end_session', IDP_ENTRA_LOGOUT: 'off' }), {});
  const config = parseConfig({ ...TWO_IDP_BASE, ...WITH_ENTRA, OIDC_LOGOUT: 'end_session' });
  t.same(
    config.idps.map((i) => [i.name, i.oidc.logout]),
    [
      ['default', 'end_session'],
      ['entra', 'off'],
    ],
    'an extra IdP does not inherit it',
  );
});

t.test('several IdPs: the default one is "your company account", an extra one is named', async (t) => {
  const ctx = { loginUrl: 'https://bridge.example.com/login' };
  const page = renderLoggedOut(ctx, 'en', [
    { idp: 'default', url: 'https://a.example.com/logout?client_id=a&x=1' },
    { idp: 'entra', url: 'https://e.example.com/logout?client_id=e' },
  ]);
  t.match(
    page,
    '<a class="button" href="https://a.example.com/logout?client_id=a&amp;x=1">Sign out of your company account too</a>',
  );
  t.match(
    page,
    '<a class="button" href="https://e.example.com/logout?client_id=e">Sign out of <bdi>entra</bdi> too</a>',
  );
  const he = renderLoggedOut(ctx, 'he', [{ idp: 'entra', url: 'https://e.example.com/logout' }]);
  t.match(he, 'להתנתק גם מ\u2011<bdi>entra</bdi>');
  const back = renderLoggedOut(ctx, 'en', [{ idp: 'entra', url: 'https://e.example.com/logout' }], true);
  t.notMatch(back, 'https://e.example.com', 'not offered again on the way back');
});

t.test('check-config says the sign-out, the URI to register, or why the IdP is refused', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  const check = async (env: Record<string, string>) => {
    const lines: string[] = [];
    const code = await checkConfig(parseConfig({ ...s.env, ...env }), (l) => lines.push(l));
    return { code, out: lines.join('\n') };
  };
  const off = await check({});
  t.match(off.out, 'sign-out at the IdP:     off (OIDC_LOGOUT)');
  const refused = await check({ OIDC_LOGOUT: 'end_session' });
  t.equal(refused.code, 1);
  t.match(refused.out, /IdP: FAILED: .*no usable end_session_endpoint/);
  s.idp.metadata = { end_session_endpoint: `${s.idp.issuer}/logout` };
  const on = await check({ OIDC_LOGOUT: 'end_session' });
  t.match(
    on.out,
    `sign-out at the IdP:     ${s.idp.issuer}/logout; register ${s.base}/logged-out?done=1 there as a post-logout redirect URI`,
  );
});
