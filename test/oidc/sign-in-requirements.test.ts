/**
 * What the company asks of the sign-in is verified, not only requested: the
 * browser carries the authorization request, and a person at it can edit it.
 * `OIDC_PROMPT=login` needs an ID token `auth_time` from this login, and
 * `OIDC_MAX_AGE` one no older than it allows; `acr_values` in `OIDC_AUTH_PARAMS`
 * needs an `acr` among them; an `iat` in the future is refused.
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
