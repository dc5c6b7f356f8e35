/**
 * The failed-login budget (`RATE_LIMIT_FAILED_LOGINS`): an outsider looping
 * `/login` and a forged `/callback` (a login cookie of its own, a made-up code)
 * cannot make the bridge send more than a few token requests with its client
 * credentials, even with the general rate limit off; other clients go on.
 * Token requests are counted at the IdP.
 */
import t from 'tap';
import { DEFAULT_FAILED_LOGINS } from '../../src/config/table.js';
import { SUCCESS_ALLOWANCE } from '../../src/login/failure-budget.js';
import { Browser } from '../helpers/browser.js';
import type { HostileIdp } from '../helpers/hostile-idp.js';
import { forgedCallback, startHostileStack, startReplica, type Stack } from '../helpers/stack.js';

/** One round of the outsider: a real /login for its own cookie, then a callback with a forged code. */
function forgedRound(s: Stack<HostileIdp>, b: Browser, i: number, headers: Record<string, string> = {}) {
  return forgedCallback(s.base, b, s.idp.issuer, `forged-code-${i}`, headers);
}

t.test(
  'an outsider looping /login + a forged /callback: after the budget, no token request reaches the IdP',
  async (t) => {
    // The general rate limit off (as the benchmark runs): the budget holds by itself.
    const s = await startHostileStack({ env: { RATE_LIMIT_MAX: '0' } });
    t.teardown(() => s.close());
    const outsider = s.browser();
    for (let i = 0; i < DEFAULT_FAILED_LOGINS; i++) {
      const r = await forgedRound(s, outsider, i);
      t.equal(r.status, 502, `round ${i + 1}: the IdP refused the forged code`);
    }
    t.equal(s.idp.stats.token, DEFAULT_FAILED_LOGINS, `${DEFAULT_FAILED_LOGINS} token requests so far`);
    const statuses = new Set<number>();
    for (let i = 0; i < 40; i++) statuses.add((await forgedRound(s, outsider, 100 + i)).status);
    t.same([...statuses], [429], 'every further round is refused');
    t.equal(s.idp.stats.token, DEFAULT_FAILED_LOGINS, 'and not one more token request was sent');
    const page = await forgedRound(s, outsider, 200);
    t.match(page.body, /Too many attempts/);
    t.match(page.body, /\(rate_limited\)/);
    t.ok(Number(page.headers['retry-after']) > 0, 'with Retry-After');
    const json = await forgedRound(s, outsider, 201, { accept: 'application/json' });
    const answer = JSON.parse(json.body) as { error: string; reference: string };
    t.match(answer, { error: 'rate_limited', reference: /^[0-9a-f]{16}$/ });
    const line = s.logs.find((e) => e['reqId'] === answer.reference);
    t.match(
      line,
      { reason: 'rate_limited', check: 'rate_limit.failed_logins', status: 429 },
      'the log names the check, under the same reference',
    );
    t.equal(s.ticketRequests(), 0, 'no ticket was ever requested');

    // The same address is refused even with a real sign-in until the window ends...
    t.equal((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).last.status, 429);
    // ...while another client is not affected at all.
    const other = new Browser({ localAddress: '127.0.0.2' });
    t.equal((await forgedRound(s, other, 300)).status, 502, 'another client IP still reaches the token endpoint');
    t.equal(s.idp.stats.token, DEFAULT_FAILED_LOGINS + 1);
    const real = await other.walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.ok(real.stoppedAt, 'and signs in');
    t.equal(s.ticketRequests(), 1);
  },
);

t.test('many forged callbacks at once: the budget counts them before the token request', async (t) => {
  const s = await startHostileStack({ env: { RATE_LIMIT_MAX: '0', RATE_LIMIT_FAILED_LOGINS: '5' } });
  t.teardown(() => s.close());
  // Each round its own browser (cookie jar), all callbacks sent together.
  const rounds = await Promise.all(
    Array.from({ length: 30 }, async (_, i) => {
      const b = s.browser();
      const start = await b.fetch(`${s.base}/login`);
      return { b, state: new URL(start.location!).searchParams.get('state')!, i };
    }),
  );
  const answers = await Promise.all(
    rounds.map(({ b, state, i }) =>
      b.fetch(`${s.base}/callback?${new URLSearchParams({ state, code: `forged-${i}`, iss: s.idp.issuer })}`),
    ),
  );
  t.ok(s.idp.stats.token <= 5, `at most 5 token requests, not 30 (${s.idp.stats.token})`);
  t.equal(
    answers.filter((a) => a.status === 429).length,
    30 - s.idp.stats.token,
    'the others were refused before any request',
  );
  t.equal(s.ticketRequests(), 0);
});

t.test('successful logins give their unit back; refusals before the token request take none', async (t) => {
  const s = await startHostileStack({ env: { RATE_LIMIT_FAILED_LOGINS: '2' } });
  t.teardown(() => s.close());
  for (let i = 0; i < 6; i++) {
    t.ok(
      (await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt,
      `login ${i + 1} of a floor behind one address`,
    );
  }
  s.idp.mode = 'error-response'; // refused at the authorization response: no token request
  for (let i = 0; i < 4; i++)
    t.equal((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).last.status, 403);
  s.idp.mode = 'ok';
  t.ok(
    (await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt,
    'still within the budget',
  );
  s.idp.mode = 'token-500'; // an IdP failure at the token endpoint counts: fail closed
  // Seven successes allow SUCCESS_ALLOWANCE × 7 failed exchanges (more than RATE_LIMIT_FAILED_LOGINS=2).
  for (let i = 0; i < SUCCESS_ALLOWANCE * 7; i++)
    t.equal((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).last.status, 502);
  s.idp.mode = 'ok';
  const tokens = s.idp.stats.token;
  t.equal(
    (await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).last.status,
    429,
    'the failed exchanges spend it',
  );
  t.equal(s.idp.stats.token, tokens);
  t.equal(s.ticketRequests(), 7);
});

t.test('RATE_LIMIT_FAILED_LOGINS=off: no budget, explicitly', async (t) => {
  const s = await startHostileStack({ env: { RATE_LIMIT_MAX: '0', RATE_LIMIT_FAILED_LOGINS: 'off' } });
  t.teardown(() => s.close());
  const b = s.browser();
  for (let i = 0; i < DEFAULT_FAILED_LOGINS + 5; i++) await forgedRound(s, b, i);
  t.equal(s.idp.stats.token, DEFAULT_FAILED_LOGINS + 5);
});

t.test(
  'refusals after the tokens verified (reauthentication, acr, iat, userinfo sub, access rules) give the unit back',
  async (t) => {
    const s = await startHostileStack({
      env: {
        RATE_LIMIT_MAX: '0',
        RATE_LIMIT_FAILED_LOGINS: '2',
        ALLOW_ANY_AUTHENTICATED: 'false',
        ALLOWED_GROUPS: 'commbox-agents',
        OIDC_PROMPT: 'login',
      },
    });
    t.teardown(() => s.close());
    const refusals: [string, () => void, RegExp][] = [
      ['no fresh sign-in', () => (s.idp.mode = 'auth-time-old'), /\(reauthentication_missing\)/],
      ['an iat in the future', () => (s.idp.mode = 'iat-future'), /\(id_token_invalid\)/],
      ['userinfo for another sub', () => (s.idp.mode = 'userinfo-bad-sub'), /\(userinfo_sub_mismatch\)/],
      // Refused after verifyCallback returned: also a verified exchange.
      ['a user outside the allowed groups', () => (s.idp.user = 'bob'), /\(group_not_allowed\)/],
    ];
    for (const [what, arrange, reason] of refusals) {
      s.idp.user = 'alice';
      s.idp.mode = 'ok';
      arrange();
      for (let i = 0; i < 3; i++) {
        const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
        t.match(r.last.body, reason, `${what} (${i + 1}): refused for that, not rate_limited`);
      }
    }
    t.equal(s.idp.stats.token, refusals.length * 3, 'each reached the token endpoint');
    t.notOk(s.logs.find((e) => e['check'] === 'rate_limit.failed_logins'));
    t.equal(s.ticketRequests(), 0);
  },
);

t.test('an acr the company did not ask for, refused after the tokens verified, gives the unit back', async (t) => {
  // The hostile IdP never sends acr: every login is refused for it.
  const s = await startHostileStack({
    env: { RATE_LIMIT_MAX: '0', RATE_LIMIT_FAILED_LOGINS: '2', OIDC_AUTH_PARAMS: 'acr_values=urn:mfa' },
  });
  t.teardown(() => s.close());
  for (let i = 0; i < 4; i++) {
    t.match(
      (await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).last.body,
      /\(acr_not_satisfied\)/,
      `login ${i + 1}`,
    );
  }
  t.equal(s.idp.stats.token, 4);
  t.equal(s.ticketRequests(), 0);
});

t.test(
  'successes raise the allowance of their address; an address without successes stays at RATE_LIMIT_FAILED_LOGINS',
  async (t) => {
    const s = await startHostileStack({ env: { RATE_LIMIT_MAX: '0', RATE_LIMIT_FAILED_LOGINS: '2' } });
    t.teardown(() => s.close());
    const successes = 3;
    for (let i = 0; i < successes; i++)
      t.ok(
        (await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt,
        `agent ${i + 1} signs in`,
      );
    const allowed = SUCCESS_ALLOWANCE * successes;
    const office = s.browser();
    const statuses: number[] = [];
    for (let i = 0; i < allowed + 2; i++) statuses.push((await forgedRound(s, office, i)).status);
    t.same(
      statuses,
      [...Array<number>(allowed).fill(502), 429, 429],
      `${SUCCESS_ALLOWANCE} × ${successes} forged callbacks from the office's address, then refused`,
    );
    t.equal(s.idp.stats.token, successes + allowed);
    t.match(
      s.logs.find((e) => e['check'] === 'rate_limit.failed_logins'),
      { reason: 'rate_limited', detail: /already has 6 failed or unfinished code exchanges .*3 successful/ },
    );

    const outsider = new Browser({ localAddress: '127.0.0.2' });
    t.teardown(() => outsider.close());
    const outside: number[] = [];
    for (let i = 0; i < 4; i++) outside.push((await forgedRound(s, outsider, 100 + i)).status);
    t.same(outside, [502, 502, 429, 429], 'another address, without successes: RATE_LIMIT_FAILED_LOGINS');
    t.equal(s.ticketRequests(), successes);
  },
);

t.test(
  'an IdP that cannot be discovered at the callback (metadata, JWKS) costs the client nothing: no token request was sent',
  async (t) => {
    const s = await startHostileStack({ env: { RATE_LIMIT_MAX: '0', RATE_LIMIT_FAILED_LOGINS: '2' } });
    t.teardown(() => s.close());
    // Another replica, which has not discovered the IdP yet, gets the callbacks of logins started here.
    const replica = await startReplica(s);
    t.teardown(() => replica.close());
    await s.bridge.oidc.discover();
    const atReplica = async () => {
      const b = s.browser();
      const callback = (await b.walk(`${s.base}/login`, { stopAt: `${s.base}/callback` })).stoppedAt!;
      const url = new URL(callback);
      return fetch(`${replica.base}${url.pathname}${url.search}`, {
        headers: { cookie: b.jar.header(callback) ?? '' },
        redirect: 'manual',
      });
    };
    for (const [what, arrange, check] of [
      ['the JWKS cannot be fetched', () => (s.idp.jwksDown = true), 'jwks.fetch'],
      [
        'the metadata is unusable',
        () => (s.idp.metadata = { token_endpoint: 'ftp://127.0.0.1/token' }),
        'metadata.token_endpoint',
      ],
    ] as const) {
      arrange();
      for (let i = 0; i < 3; i++) t.equal((await atReplica()).status, 503, `${what} (${i + 1}): 503, not 429`);
      t.ok(
        replica.logs.find((e) => e['check'] === check),
        check,
      );
      s.idp.jwksDown = false;
      s.idp.metadata = {};
    }
    t.equal(s.idp.stats.token, 0, 'no token request');
    t.equal((await atReplica()).status, 302, 'and the budget is whole: the next login signs in');
    t.equal(s.ticketRequests(), 1);
  },
);
