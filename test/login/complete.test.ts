/**
 * Completing a login at the callback: a userinfo failure refuses only when a
 * claim the login needs is still missing; DRY_RUN previews the ticket request
 * instead of making it; a completed login (a ticket or the preview) clears the
 * browser's logins started before it, so that none of them can be completed
 * later from the IdP session just used.
 */
import t from 'tap';
import { signInWithForm, startDemoStack, startHostileStack, type Stack } from '../helpers/stack.js';
import type { HostileIdp } from '../helpers/hostile-idp.js';
import type { Browser } from '../helpers/browser.js';

t.test('userinfo failing: the login goes on when only optional claims are missing, without them', async (t) => {
  const s = await startHostileStack({ env: { MAP_FIRST_NAME: 'nickname' } });
  t.teardown(() => s.close());
  s.idp.mode = 'userinfo-503';
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.ok(r.stoppedAt, 'lands in CommBox');
  t.equal(s.idp.stats.userinfo, 1, 'userinfo was asked (nickname is missing) and failed');
  t.same(s.sandbox.requests[0]!.body, {
    data: {
      brand: 'acme',
      username: 'alice',
      email: 'alice@example.com',
      lastName: 'Liddell',
      phone1: '+442501234567',
      oneTimeUse: true,
    },
  });
  t.match(
    s.logs.find((e) => e['event'] === 'userinfo_failed'),
    { level: 40, check: 'userinfo.status' },
  );
  t.match(
    s.logs.find((e) => e['msg'] === 'login completed'),
    { userinfo: 'failed' },
  );
});

t.test('userinfo failing: refused when a required claim is still missing, naming it', async (t) => {
  for (const [env, missing] of [
    [{ MAP_USERNAME: 'employee_id' }, 'employee_id'],
    [{ ALLOWED_GROUPS: 'commbox-agents', GROUPS_CLAIM: 'roles' }, 'roles'],
    [{ REQUIRE_VERIFIED_EMAIL: 'true' }, 'email_verified'],
  ] as const) {
    const s = await startHostileStack({ env });
    s.idp.mode = 'userinfo-503';
    if (missing === 'email_verified') delete s.idp.users['alice']!['email_verified'];
    const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.equal(r.last.status, 502, missing);
    t.match(r.last.body, /\(userinfo_failed\)/);
    t.match(
      s.logs.find((e) => e['reason'] === 'userinfo_failed'),
      { detail: new RegExp(`still missing without it: .*${missing}`) },
    );
    t.equal(s.ticketRequests(), 0);
    await s.close();
  }
});

t.test('DRY_RUN: the whole flow runs, and the callback previews the ticket request instead of making it', async (t) => {
  const s = await startHostileStack({
    env: {
      DRY_RUN: 'true',
      ALLOWED_GROUPS: 'commbox-agents',
      ALLOWED_EMAIL_DOMAINS: 'example.com',
      MAP_FIRST_NAME: 'nickname',
    },
  });
  t.teardown(() => s.close());
  t.match(
    s.logs.find((e) => e['event'] === 'dry_run'),
    { level: 40 },
    'start-up warns',
  );
  const ready = await s.browser().fetch(`${s.base}/readyz`);
  t.match(JSON.parse(ready.body), { status: 'ready', mode: /dry run/ });

  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.notOk(r.stoppedAt, 'not sent to CommBox');
  t.equal(r.last.status, 200);
  t.equal(r.last.headers['cache-control'], 'no-store');
  t.match(r.last.body, /Dry run: no ticket was requested/);
  t.match(r.last.body, /<code>username<\/code><\/th><td><code>&quot;alice&quot;<\/code>/);
  t.match(r.last.body, /<code>brand<\/code><\/th><td><code>&quot;acme&quot;/);
  t.match(r.last.body, /<code>oneTimeUse<\/code><\/th><td><code>true/);
  t.match(r.last.body, /ALLOWED_GROUPS: member of commbox-agents/);
  t.match(r.last.body, /ALLOWED_EMAIL_DOMAINS: .*example\.com/);
  t.match(r.last.body, /<code>groups \(id token\)<\/code>/);
  t.match(r.last.body, /<code>nickname|<code>email \(id token\)/);
  t.notMatch(r.last.body, /<code>firstName/, 'a field that maps to nothing is not in the request');
  t.equal(s.ticketRequests(), 0, 'no ticket was requested');
  for (const secret of [...s.idp.issued, s.sandbox.apiKey, s.idp.clientSecret])
    t.notOk(r.last.body.includes(secret), 'no code, token or secret on the page');
  t.match(
    s.logs.find((e) => e['reason'] === 'dry_run'),
    { event: 'login', username: 'alice' },
  );

  // Refusals stay refusals.
  s.idp.user = 'bob';
  const bob = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(bob.last.status, 403);
  t.match(bob.last.body, /\(group_not_allowed\)/);

  // JSON when asked.
  s.idp.user = 'alice';
  const b = s.browser();
  const start = await b.walk(`${s.base}/login`, { stopAt: `${s.base}/callback` });
  const json = await b.fetch(start.stoppedAt!, { headers: { accept: 'application/json' } });
  t.match(JSON.parse(json.body), {
    dryRun: true,
    idp: 'default',
    ticketRequest: { username: 'alice', brand: 'acme' },
    rulesPassed: Array,
    claimNames: Array,
  });
  t.equal(s.ticketRequests(), 0);
});

t.test(
  'userinfo failing while email_verified is needed: refused, naming it, for 500 and for no answer in time',
  async (t) => {
    for (const fault of ['status-500', 'hang'] as const) {
      await t.test(fault, async (t) => {
        const s = await startHostileStack({ env: { OIDC_TIMEOUT_MS: '500' } });
        t.teardown(() => s.close());
        s.idp.mode = 'email-verified-userinfo-only'; // the ID token has no email_verified
        s.idp.user = 'carol'; // userinfo would say false
        s.idp.userinfoFault = fault;
        const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
        t.notOk(r.stoppedAt, 'not sent to CommBox');
        t.equal(r.last.status, 502);
        t.match(r.last.body, /\(userinfo_failed\)/);
        t.match(
          s.logs.find((e) => e['reason'] === 'userinfo_failed'),
          {
            check: fault === 'hang' ? 'userinfo.request' : 'userinfo.status',
            detail: /still missing without it: email_verified$/,
          },
        );
        t.equal(s.idp.stats.userinfo, 1);
        t.equal(s.ticketRequests(), 0, 'no ticket');
      });
    }
  },
);

t.test('userinfo failing while email_verified is needed: ALLOW_UNVERIFIED_EMAIL=true does not need it', async (t) => {
  const s = await startHostileStack({ env: { ALLOW_UNVERIFIED_EMAIL: 'true', MAP_FIRST_NAME: 'nickname' } });
  t.teardown(() => s.close());
  s.idp.mode = 'email-verified-userinfo-only';
  s.idp.userinfoFault = 'status-500';
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.ok(r.stoppedAt, 'lands in CommBox: nothing the login needs is missing');
  t.equal(s.idp.stats.userinfo, 1, 'userinfo was asked for nickname only');
});

/** Starts a login in a tab of `b` and keeps the IdP's URL it was sent to, as a tab left open does. */
async function startLogin(s: Stack<unknown>, b: Browser): Promise<URL> {
  return new URL((await b.fetch(`${s.base}/login`)).location!);
}

t.test(
  'OIDC_PROMPT=login: a tab opened before the previous agent signed in cannot reuse the sign-in (its login is cleared)',
  async (t) => {
    const s: Stack<HostileIdp> = await startHostileStack({ env: { OIDC_PROMPT: 'login' } });
    t.teardown(() => s.close());
    const b = s.browser();
    // The next person opens /login and leaves the tab, keeping the IdP's URL.
    const saved = await startLogin(s, b);
    // Alice signs in properly at the same browser (another login cookie slot), and gets her ticket.
    t.ok((await b.walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt, 'alice: a ticket');
    s.idp.sessionAuthTime = Math.floor(Date.now() / 1000);
    t.equal(s.ticketRequests(), 1);
    // The saved URL without "prompt": the IdP answers from alice's session, whose
    // auth_time is later than the first login's start.
    saved.searchParams.delete('prompt');
    const r = await b.walk(saved.href, { stopAt: s.sandbox.loginUrl });
    t.notOk(r.stoppedAt, 'not sent to CommBox');
    t.equal(r.last.status, 400);
    t.match(r.last.body, /\(login_cookie_missing\)/);
    t.equal(s.ticketRequests(), 1, 'no ticket for the saved tab');
  },
);

t.test(
  'two tabs: completing the older login first leaves the newer one; completing the newer first clears the older',
  async (t) => {
    const s: Stack<HostileIdp> = await startHostileStack({ env: { OIDC_PROMPT: 'login' } });
    t.teardown(() => s.close());
    const b = s.browser();
    let older = await startLogin(s, b);
    let newer = await startLogin(s, b);
    t.ok((await b.walk(older.href, { stopAt: s.sandbox.loginUrl })).stoppedAt, 'the older tab: a ticket');
    t.ok((await b.walk(newer.href, { stopAt: s.sandbox.loginUrl })).stoppedAt, 'then the newer tab: a ticket');
    t.equal(s.ticketRequests(), 2);

    older = await startLogin(s, b);
    newer = await startLogin(s, b);
    t.ok((await b.walk(newer.href, { stopAt: s.sandbox.loginUrl })).stoppedAt, 'the newer tab: a ticket');
    const r = await b.walk(older.href, { stopAt: s.sandbox.loginUrl });
    t.equal(r.last.status, 400, 'then the older tab: its login was cleared, start again');
    t.match(r.last.body, /\(login_cookie_missing\)/);
    t.equal(s.ticketRequests(), 3);
  },
);

t.test('DRY_RUN: the preview completes a login too, and clears the older ones', async (t) => {
  const s: Stack<HostileIdp> = await startHostileStack({ env: { OIDC_PROMPT: 'login', DRY_RUN: 'true' } });
  t.teardown(() => s.close());
  const b = s.browser();
  const saved = await startLogin(s, b);
  const preview = await b.walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(preview.last.status, 200, 'the preview');
  const r = await b.walk(saved.href, { stopAt: s.sandbox.loginUrl });
  t.equal(r.last.status, 400);
  t.match(r.last.body, /\(login_cookie_missing\)/);
  t.equal(s.ticketRequests(), 0);
});

t.test(
  'oidc-provider, OIDC_MAX_AGE: a tab opened before alice signed in cannot reuse her sign-in without "prompt"',
  async (t) => {
    const s = await startDemoStack({ env: { OIDC_PROMPT: 'login', OIDC_MAX_AGE: '3600' } });
    t.teardown(() => s.close());
    const b = s.browser();
    const saved = await startLogin(s, b);
    t.ok((await signInWithForm(b, `${s.base}/login`, 'alice', s.sandbox.loginUrl)).stoppedAt, 'alice signs in');
    saved.searchParams.delete('prompt');
    const r = await b.walk(saved.href, { stopAt: s.sandbox.loginUrl });
    t.notOk(r.last.url.includes('/interaction/'), "no login form: alice's IdP session answered");
    t.notOk(r.stoppedAt, 'not sent to CommBox');
    t.match(r.last.body, /\(login_cookie_missing\)/);
    t.equal(s.ticketRequests(), 1, "only alice's own sign-in got a ticket");
  },
);
