/**
 * The hostile-IdP suite, after the OpenID Foundation RP certification list: each
 * misbehaviour is refused with a page and a reason code, and no ticket is ever
 * requested. The positive cases show what must keep working.
 */
import t from 'tap';
import { startHostileStack, type Stack } from '../helpers/stack.js';
import type { HostileIdp, HostileMode } from '../helpers/hostile-idp.js';

async function login(s: Stack<HostileIdp>) {
  return s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
}

/** Mode, status, reason, what the log's detail says, and the check that fired. */
const REFUSALS: [HostileMode, number, string, string, string][] = [
  ['bad-sig', 502, 'id_token_invalid', 'signature', 'id_token.signature'],
  ['wrong-aud', 502, 'id_token_invalid', 'aud', 'id_token.aud'],
  ['extra-aud', 502, 'id_token_invalid', '', 'id_token.aud'],
  ['azp-mismatch', 502, 'id_token_invalid', '', 'id_token.azp'],
  ['wrong-iss', 502, 'id_token_invalid', 'iss', 'id_token.iss'],
  ['expired', 502, 'id_token_invalid', 'exp', 'id_token.exp'],
  ['skew-large', 502, 'id_token_invalid', '', 'id_token.exp'],
  ['no-iat', 502, 'id_token_invalid', 'iat', 'id_token.iat'],
  ['iat-future', 502, 'id_token_invalid', 'in the future', 'id_token.iat'],
  ['no-exp', 502, 'id_token_invalid', 'exp', 'id_token.exp'],
  ['no-sub', 502, 'id_token_invalid', 'sub', 'id_token.sub'],
  ['no-nonce', 502, 'id_token_invalid', 'nonce', 'id_token.nonce'],
  ['nonce-mismatch', 502, 'id_token_invalid', 'nonce', 'id_token.nonce'],
  ['alg-none', 502, 'id_token_invalid', '', 'id_token.alg'],
  ['hs256-client-secret', 502, 'id_token_invalid', '', 'id_token.alg'],
  ['hs256-public-key', 502, 'id_token_invalid', '', 'id_token.alg'],
  ['kid-unknown', 502, 'id_token_invalid', 'kid', 'id_token.kid'],
  ['userinfo-bad-sub', 502, 'userinfo_sub_mismatch', '', 'userinfo.sub'],
  ['userinfo-500', 502, 'userinfo_failed', '', 'userinfo.status'],
  ['token-error', 502, 'token_exchange_failed', 'invalid_grant', 'token.error'],
  ['token-500', 502, 'token_exchange_failed', 'HTTP 500', 'token.status'],
  ['token-challenge', 502, 'token_exchange_failed', 'invalid_client.*OIDC_CLIENT_AUTH', 'token.client_auth'],
  ['token-invalid-client-400', 502, 'token_exchange_failed', 'HTTP 400 error="invalid_client"', 'token.client_auth'],
  [
    'token-401-unauthorized-client',
    502,
    'token_exchange_failed',
    'HTTP 401 error="unauthorized_client"',
    'token.client_auth',
  ],
  [
    'token-challenge-other',
    502,
    'token_exchange_failed',
    'HTTP 400 \\(basic\\) error="unauthorized_client"',
    'token.challenge',
  ],
  ['token-huge', 502, 'token_exchange_failed', 'larger than', 'token.request'],
  ['token-not-bearer', 502, 'token_exchange_failed', 'token_type', 'token.token_type'],
  ['userinfo-jwt', 502, 'userinfo_failed', 'application/jwt', 'userinfo.jwt'],
  ['error-response', 403, 'idp_error', 'access_denied', 'auth_response.error'],
];

t.test('refused ID tokens and IdP answers', async (t) => {
  // One client, many refusals in a row: the failed-login budget (test/login/failure-budget.test.ts) would stop them.
  const s = await startHostileStack({ env: { ALLOWED_GROUPS: 'commbox-agents', RATE_LIMIT_FAILED_LOGINS: 'off' } });
  t.teardown(() => s.close());
  for (const [mode, status, reason, detail, check] of REFUSALS) {
    await t.test(mode, async (t) => {
      s.idp.mode = mode;
      const before = s.logs.lines.length;
      const r = await login(s);
      t.notOk(r.stoppedAt, 'not sent to CommBox');
      t.equal(r.last.status, status);
      t.match(r.last.url, /\/callback\?/);
      t.match(r.last.body, new RegExp(`\\(${reason}\\)`));
      t.notMatch(r.last.body, /<script>/, 'nothing from the IdP is echoed unescaped');
      const line = s.logs.entries.slice(before).find((e) => e['reason'] === reason);
      t.ok(line, `logged with reason ${reason}`);
      if (detail) t.match(String(line?.['detail']), new RegExp(detail, 'i'));
      t.equal(line?.['check'], check, `the check that fired: ${check}`);
      t.equal(s.ticketRequests(), 0, 'no ticket was requested');
    });
  }
});

t.test('several keys published without kid and a token without kid', async (t) => {
  // Set before the first login, so the JWKS the bridge loads is already this one.
  const s = await startHostileStack();
  t.teardown(() => s.close());
  s.idp.mode = 'multiple-keys-no-kid';
  const r = await login(s);
  t.equal(r.last.status, 502);
  t.match(r.last.body, /\(id_token_invalid\)/);
  t.match(
    s.logs.find((e) => e['reason'] === 'id_token_invalid'),
    { detail: /several keys/, check: 'id_token.kid' },
  );
  t.equal(s.ticketRequests(), 0);
});

t.test('refused before the token endpoint: forged state, RFC 9207 iss mix-up', async (t) => {
  for (const [mode, reason, check] of [
    ['state-mismatch', 'state_mismatch', undefined],
    ['iss-param-mismatch', 'iss_mismatch', 'auth_response.iss'],
    ['iss-param-missing', 'iss_mismatch', 'auth_response.iss'],
  ] as const) {
    await t.test(mode, async (t) => {
      const s = await startHostileStack();
      t.teardown(() => s.close());
      s.idp.mode = mode;
      const r = await login(s);
      t.equal(r.last.status, 400);
      t.match(r.last.body, new RegExp(`\\(${reason}\\)`));
      t.equal(
        s.logs.find((e) => e['reason'] === reason)?.['check'],
        check,
        `the check: ${check ?? 'the login cookie (no library check)'}`,
      );
      t.equal(s.idp.stats.token, 0, 'the token endpoint was never called');
      t.equal(s.ticketRequests(), 0);
    });
  }
});

t.test('authorization responses this client did not ask for are refused before the token endpoint', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  const cases: [string, RegExp, string][] = [
    ['&code=second', /several "code"/, 'auth_response.duplicate'],
    ['&iss=https%3A%2F%2Fevil.example', /several "iss"/, 'auth_response.duplicate'],
    ['&id_token=x.y.z', /unexpected "id_token"/, 'auth_response.implicit'],
    ['&access_token=at', /unexpected "access_token"/, 'auth_response.access_token'],
    ['&response=x.y.z', /unexpected "response"/, 'auth_response.response'],
  ];
  for (const [extra, detail, check] of cases) {
    const b = s.browser();
    const toIdp = await b.fetch(`${s.base}/login`);
    const back = await b.fetch(toIdp.location!);
    t.match(back.location, /\/callback\?/);
    const before = s.logs.lines.length;
    const r = await b.fetch(back.location! + extra);
    t.equal(r.status, 400, extra);
    t.match(r.body, /\(callback_invalid\)/);
    t.match(
      s.logs.entries.slice(before).find((e) => e['reason'] === 'callback_invalid'),
      { detail, check },
      extra,
    );
  }
  t.equal(s.idp.stats.token, 0, 'the token endpoint was never called');
  t.equal(s.ticketRequests(), 0);
});

t.test('a callback without any login cookie never reaches the token endpoint', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  const r = await s
    .browser()
    .fetch(`${s.base}/callback?code=abc&state=${'x'.repeat(43)}&iss=${encodeURIComponent(s.idp.issuer)}`);
  t.equal(r.status, 400);
  t.match(r.body, /login_cookie_missing/);
  t.equal(s.idp.stats.token, 0);
  const bare = await s.browser().fetch(`${s.base}/callback`);
  t.equal(bare.status, 400);
  t.equal(s.idp.stats.token, 0);
});

t.test('positive cases', async (t) => {
  for (const mode of ['ok', 'kid-absent-single', 'skew-small', 'userinfo-only-claims'] as const) {
    await t.test(mode, async (t) => {
      const s = await startHostileStack({ env: { ALLOWED_GROUPS: 'commbox-agents' } });
      t.teardown(() => s.close());
      s.idp.mode = mode;
      const r = await login(s);
      t.ok(r.stoppedAt, `lands in CommBox (got ${r.last.status} ${r.last.body.slice(0, 200)})`);
      t.equal(s.idp.stats.userinfo, mode === 'userinfo-only-claims' ? 1 : 0);
    });
  }
  await t.test('ES256', async (t) => {
    const s = await startHostileStack({ alg: 'ES256' });
    t.teardown(() => s.close());
    t.ok((await login(s)).stoppedAt);
  });
  await t.test('an IdP without RFC 9207 support', async (t) => {
    const s = await startHostileStack({ issParameter: false });
    t.teardown(() => s.close());
    t.ok((await login(s)).stoppedAt);
  });
});

t.test('key rotation: a new kid is fetched at once, and unknown kids are rate-limited', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  t.ok((await login(s)).stoppedAt);
  const jwksBefore = s.idp.stats.jwks;
  await s.idp.rotate({ dropOld: true });
  const r = await login(s);
  t.ok(r.stoppedAt, 'the first login after the rotation succeeds');
  t.equal(s.idp.stats.jwks, jwksBefore + 1, 'one JWKS refetch');
  s.idp.mode = 'kid-unknown';
  for (let i = 0; i < 5; i++) t.equal((await login(s)).last.status, 502);
  t.equal(s.idp.stats.jwks, jwksBefore + 1, 'unknown kids within 5 s cause no more fetches');
});

t.test(
  'the JWKS unreachable when a new key must be fetched: 503 idp_unavailable with Retry-After, no ticket',
  async (t) => {
    const s = await startHostileStack();
    t.teardown(() => s.close());
    t.ok((await login(s)).stoppedAt, 'the JWKS is fetched and cached');
    await s.idp.rotate({ dropOld: true });
    s.idp.jwksDown = true;
    const jwksBefore = s.idp.stats.jwks;
    const r = await login(s);
    t.equal(s.idp.stats.jwks, jwksBefore + 1, 'the new kid made the bridge fetch the JWKS, which failed');
    t.equal(r.last.status, 503);
    t.equal(r.last.headers['retry-after'], '30');
    t.match(r.last.body, /\(idp_unavailable\)/);
    t.match(r.last.body, /sign-in service is unavailable/);
    t.notMatch(r.last.body, /failed our security checks/);
    t.match(
      s.logs.find((e) => e['reason'] === 'idp_unavailable'),
      { check: 'jwks.fetch', detail: /could not be fetched.*HTTP 503/ },
    );
    t.notOk(
      s.logs.find((e) => e['reason'] === 'id_token_invalid'),
      'never called an invalid token',
    );
    t.equal(s.ticketRequests(), 1, 'no ticket for the refused login');
  },
);

t.test('the IdP down at start-up: a 503 page, then logins work once it is back', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  s.idp.down = true;
  const r = await s.browser().fetch(`${s.base}/login`);
  t.equal(r.status, 503);
  t.equal(r.headers['retry-after'], '30');
  t.match(r.body, /sign-in service is unavailable/);
  s.idp.down = false;
  t.ok((await login(s)).stoppedAt);
});

t.test('a token endpoint that drips its answer is cut off at OIDC_TIMEOUT_MS', async (t) => {
  const s = await startHostileStack({ env: { OIDC_TIMEOUT_MS: '1000' } });
  t.teardown(() => s.close());
  await s.bridge.oidc.discover();
  s.idp.mode = 'token-drip';
  const started = Date.now();
  const r = await login(s);
  const ms = Date.now() - started;
  t.equal(r.last.status, 502);
  t.match(r.last.body, /\(token_exchange_failed\)/);
  t.ok(ms < 3000, `the login ends near the 1 s deadline (${ms} ms), not never`);
  t.match(
    s.logs.find((e) => e['reason'] === 'token_exchange_failed'),
    { check: 'token.timeout', detail: /OIDC_TIMEOUT_MS/ },
  );
  t.equal(s.ticketRequests(), 0);
});

t.test('clock tolerance is 30 s by default, OIDC_CLOCK_TOLERANCE_SEC changes it', async (t) => {
  const strict = await startHostileStack();
  t.teardown(() => strict.close());
  strict.idp.mode = 'expired-45s-ago';
  const r = await login(strict);
  t.equal(r.last.status, 502, 'an ID token that expired 45 s ago is refused (beyond the 30 s tolerance)');
  t.match(
    strict.logs.find((e) => e['reason'] === 'id_token_invalid'),
    { check: 'id_token.exp' },
  );
  t.equal(strict.ticketRequests(), 0);

  const relaxed = await startHostileStack({ env: { OIDC_CLOCK_TOLERANCE_SEC: '60' } });
  t.teardown(() => relaxed.close());
  relaxed.idp.mode = 'expired-45s-ago';
  t.ok((await login(relaxed)).stoppedAt, 'accepted with a 60 s tolerance');
});
