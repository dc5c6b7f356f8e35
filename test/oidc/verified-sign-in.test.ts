/**
 * What the company asks of the sign-in is verified, not only requested (#17): the
 * browser carries the authorization request, and a person at it can edit it.
 * `OIDC_PROMPT=login` needs an ID token `auth_time` from this login; `acr_values`
 * in `OIDC_AUTH_PARAMS` needs an `acr` among them; an `iat` in the future is refused.
 */
import t from 'tap';
import { signInWithForm, startDemoStack, startHostileStack, type Stack } from '../helpers/stack.js';
import type { HostileIdp } from '../helpers/hostile-idp.js';
import type { Browser } from '../helpers/browser.js';

/** Starts a login and follows it to CommBox after `edit` changed the IdP's URL, as a person at the browser can. */
async function loginEdited(s: Stack<unknown>, b: Browser, edit: (authorize: URL) => void) {
  const toIdp = await b.fetch(`${s.base}/login`);
  const authorize = new URL(toIdp.location!);
  edit(authorize);
  return b.walk(authorize.href, { stopAt: s.sandbox.loginUrl });
}

const refusalLine = (s: Stack<unknown>, reason: string) => s.logs.entries.filter((e) => e['reason'] === reason).at(-1);

t.test(
  'OIDC_PROMPT=login: "prompt" deleted from the IdP URL reuses the previous SSO session: refused, no ticket',
  async (t) => {
    const s: Stack<HostileIdp> = await startHostileStack({ env: { OIDC_PROMPT: 'login' } });
    t.teardown(() => s.close());
    // The previous agent signed in at this desk an hour ago; the IdP session is alive.
    s.idp.sessionAuthTime = Math.floor(Date.now() / 1000) - 3600;

    const honest = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.equal(s.idp.lastAuthorize?.['prompt'], 'login');
    t.ok(honest.stoppedAt, 'with prompt=login the IdP signs in afresh: a ticket');
    t.equal(s.ticketRequests(), 1);

    const edited = await loginEdited(s, s.browser(), (u) => u.searchParams.delete('prompt'));
    t.equal(s.idp.lastAuthorize?.['prompt'], undefined, 'the IdP saw no prompt');
    t.notOk(edited.stoppedAt, 'not sent to CommBox');
    t.equal(edited.last.status, 403);
    t.match(edited.last.body, /\(reauthentication_missing\)/);
    t.match(edited.last.body, /Please enter your password again/);
    t.match(refusalLine(s, 'reauthentication_missing'), {
      check: 'id_token.auth_time',
      detail: /36\d\d s before this login started/,
    });
    t.equal(s.ticketRequests(), 1, 'no ticket for the edited login');

    const other = await loginEdited(s, s.browser(), (u) => u.searchParams.set('prompt', 'consent'));
    t.equal(other.last.status, 403, 'replaced by another prompt value: refused too');
    t.equal(s.ticketRequests(), 1);
  },
);

t.test(
  'OIDC_PROMPT=login: a sign-in 5 s before the login started is refused despite the 30 s tolerance, whichever way the IdP clock is off',
  async (t) => {
    const s: Stack<HostileIdp> = await startHostileStack({ env: { OIDC_PROMPT: 'login' } });
    t.teardown(() => s.close());
    let tickets = 0;
    for (const offset of [0, 20, -20]) {
      s.idp.clockOffsetSec = offset;
      s.idp.sessionAuthTime = undefined;
      // A real sign-in during the login passes, the IdP's clock measured by iat.
      t.ok(
        (await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt,
        `IdP clock ${offset} s: a fresh sign-in gets a ticket`,
      );
      t.equal(s.ticketRequests(), ++tickets);
      // Alice signed in 5 s before the next person's /login (on the IdP's clock); "prompt" deleted.
      s.idp.sessionAuthTime = Math.floor(Date.now() / 1000 + offset) - 5;
      const edited = await loginEdited(s, s.browser(), (u) => u.searchParams.delete('prompt'));
      t.equal(
        edited.last.status,
        403,
        `IdP clock ${offset} s: the session of a sign-in 5 s before the start is refused`,
      );
      t.match(edited.last.body, /\(reauthentication_missing\)/);
      t.match(refusalLine(s, 'reauthentication_missing'), {
        check: 'id_token.auth_time',
        detail: /s before this login started/,
      });
      t.equal(s.ticketRequests(), tickets, 'no ticket');
    }
  },
);

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

t.test(
  'OIDC_PROMPT=login: an ID token without auth_time is refused (openid-client first; the hint names the fix)',
  async (t) => {
    const s = await startHostileStack({ env: { OIDC_PROMPT: 'select_account login' } });
    t.teardown(() => s.close());
    s.idp.mode = 'no-auth-time';
    const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.equal(r.last.status, 502);
    t.match(r.last.body, /\(id_token_invalid\)/);
    t.match(refusalLine(s, 'id_token_invalid'), {
      check: 'id_token.auth_time',
      // openid-client's message: its require_auth_time fired, before the bridge's own check.
      detail:
        /"auth_time" \(authentication time\) claim missing.*OIDC_PROMPT=login and OIDC_MAX_AGE need it.*docs\/idp/,
    });
    t.equal(s.ticketRequests(), 0);
  },
);

t.test('without OIDC_PROMPT=login, an old auth_time and no auth_time are not judged', async (t) => {
  const s = await startHostileStack({ env: { OIDC_PROMPT: 'select_account' } });
  t.teardown(() => s.close());
  s.idp.sessionAuthTime = Math.floor(Date.now() / 1000) - 3600;
  t.ok((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt);
  s.idp.mode = 'no-auth-time';
  t.ok((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt);
});

t.test('oidc-provider: OIDC_PROMPT=login, and "prompt" deleted by the next person at the browser', async (t) => {
  const s = await startDemoStack({ env: { OIDC_PROMPT: 'login' } });
  t.teardown(() => s.close());
  const b = s.browser();
  t.ok((await signInWithForm(b, `${s.base}/login`, 'alice', s.sandbox.loginUrl)).stoppedAt, 'alice signs in');
  // The next person at the desk, in the same browser, strips prompt=login: oidc-provider
  // signs alice in again from its session, and (asked for neither prompt=login nor
  // max_age) sends no auth_time.
  const edited = await loginEdited(s, b, (u) => u.searchParams.delete('prompt'));
  t.notOk(edited.last.url.includes('/interaction/'), 'no login form: the IdP session answered');
  t.equal(edited.last.status, 502);
  t.match(refusalLine(s, 'id_token_invalid'), { check: 'id_token.auth_time' });
  t.equal(s.ticketRequests(), 1, "only alice's own sign-in got a ticket");
});

t.test('acr_values in OIDC_AUTH_PARAMS: the ID token acr must be one of them', async (t) => {
  const s = await startHostileStack({ env: { OIDC_AUTH_PARAMS: 'acr_values=urn%3Aexample%3Amfa%20gold' } });
  t.teardown(() => s.close());
  const alice = s.idp.users['alice']!;
  alice['acr'] = 'gold';
  t.ok((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt, 'gold: a ticket');
  t.equal(s.idp.lastAuthorize?.['acr_values'], 'urn:example:mfa gold', 'asked for');
  alice['acr'] = 'urn:example:mfa';
  t.ok(
    (await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt,
    'the other one: a ticket',
  );
  t.equal(s.ticketRequests(), 2);

  for (const [acr, detail] of [
    ['urn:example:password', /"urn:example:password", not one of the acr_values/],
    [undefined, /"acr" is absent/],
  ] as const) {
    if (acr === undefined) delete alice['acr'];
    else alice['acr'] = acr;
    const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.equal(r.last.status, 403, `acr ${acr ?? 'absent'}`);
    t.match(r.last.body, /\(acr_not_satisfied\)/);
    t.match(r.last.body, /did not use the required method/);
    t.match(refusalLine(s, 'acr_not_satisfied'), { check: 'id_token.acr', detail });
  }
  // A person at the browser deletes acr_values: the IdP signs in as it likes.
  alice['acr'] = 'urn:example:password';
  const edited = await loginEdited(s, s.browser(), (u) => u.searchParams.delete('acr_values'));
  t.equal(edited.last.status, 403);
  t.equal(s.ticketRequests(), 2, 'no ticket for any of them');
});

t.test('without acr_values, acr is not judged', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  s.idp.users['alice']!['acr'] = 'urn:example:password';
  t.ok((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt);
});

t.test('iat beyond the clock tolerance in the future is refused; OIDC_CLOCK_TOLERANCE_SEC changes it', async (t) => {
  const strict = await startHostileStack();
  t.teardown(() => strict.close());
  strict.idp.mode = 'iat-future'; // 120 s ahead
  const r = await strict.browser().walk(`${strict.base}/login`, { stopAt: strict.sandbox.loginUrl });
  t.equal(r.last.status, 502);
  t.match(r.last.body, /\(id_token_invalid\)/);
  t.match(refusalLine(strict, 'id_token_invalid'), { check: 'id_token.iat', detail: /in the future/ });
  t.equal(strict.ticketRequests(), 0);

  const relaxed = await startHostileStack({ env: { OIDC_CLOCK_TOLERANCE_SEC: '180' } });
  t.teardown(() => relaxed.close());
  relaxed.idp.mode = 'iat-future';
  t.ok(
    (await relaxed.browser().walk(`${relaxed.base}/login`, { stopAt: relaxed.sandbox.loginUrl })).stoppedAt,
    'accepted with 180 s of tolerance',
  );
});
