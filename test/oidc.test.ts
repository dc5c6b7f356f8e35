/**
 * The hostile-IdP suite, after the OpenID Foundation RP certification list: each
 * misbehaviour is refused with a page and a reason code, and no ticket is ever
 * requested. The positive cases show what must keep working.
 */
import t from 'tap';
import { startHostileStack, type Stack } from './helpers/stack.js';
import type { HostileIdp, HostileMode } from './helpers/hostile-idp.js';

async function login(s: Stack<HostileIdp>) {
  return s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
}

const REFUSALS: [HostileMode, number, string, string][] = [
  ['bad-sig', 502, 'id_token_invalid', 'signature'],
  ['wrong-aud', 502, 'id_token_invalid', 'aud'],
  ['extra-aud', 502, 'id_token_invalid', ''],
  ['azp-mismatch', 502, 'id_token_invalid', ''],
  ['wrong-iss', 502, 'id_token_invalid', 'iss'],
  ['expired', 502, 'id_token_invalid', 'exp'],
  ['skew-large', 502, 'id_token_invalid', ''],
  ['no-iat', 502, 'id_token_invalid', 'iat'],
  ['no-exp', 502, 'id_token_invalid', 'exp'],
  ['no-sub', 502, 'id_token_invalid', 'sub'],
  ['no-nonce', 502, 'id_token_invalid', 'nonce'],
  ['nonce-mismatch', 502, 'id_token_invalid', 'nonce'],
  ['alg-none', 502, 'id_token_invalid', ''],
  ['hs256-client-secret', 502, 'id_token_invalid', ''],
  ['hs256-public-key', 502, 'id_token_invalid', ''],
  ['kid-unknown', 502, 'id_token_invalid', 'kid'],
  ['userinfo-bad-sub', 502, 'userinfo_sub_mismatch', ''],
  ['userinfo-500', 502, 'userinfo_failed', ''],
  ['token-error', 502, 'token_exchange_failed', 'invalid_grant'],
  ['token-500', 502, 'token_exchange_failed', 'HTTP 500'],
  ['token-challenge', 502, 'token_exchange_failed', 'invalid_client.*OIDC_CLIENT_AUTH'],
  ['token-huge', 502, 'token_exchange_failed', 'larger than'],
  ['token-not-bearer', 502, 'token_exchange_failed', 'token_type'],
  ['userinfo-jwt', 502, 'userinfo_failed', 'application/jwt'],
  ['error-response', 403, 'idp_error', 'access_denied'],
];

t.test('refused ID tokens and IdP answers', async (t) => {
  const s = await startHostileStack({ env: { ALLOWED_GROUPS: 'commbox-agents' } });
  t.teardown(() => s.close());
  for (const [mode, status, reason, detail] of REFUSALS) {
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
  t.match(s.logs.find((e) => e['reason'] === 'id_token_invalid'), { detail: /several keys/ });
  t.equal(s.ticketRequests(), 0);
});

t.test('refused before the token endpoint: forged state, RFC 9207 iss mix-up', async (t) => {
  for (const [mode, reason] of [['state-mismatch', 'state_mismatch'], ['iss-param-mismatch', 'iss_mismatch'], ['iss-param-missing', 'iss_mismatch']] as const) {
    await t.test(mode, async (t) => {
      const s = await startHostileStack();
      t.teardown(() => s.close());
      s.idp.mode = mode;
      const r = await login(s);
      t.equal(r.last.status, 400);
      t.match(r.last.body, new RegExp(`\\(${reason}\\)`));
      t.equal(s.idp.stats.token, 0, 'the token endpoint was never called');
      t.equal(s.ticketRequests(), 0);
    });
  }
});

t.test('authorization responses this client did not ask for are refused before the token endpoint', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  const cases: [string, RegExp][] = [
    ['&code=second', /several "code"/],
    ['&iss=https%3A%2F%2Fevil.example', /several "iss"/],
    ['&id_token=x.y.z', /unexpected "id_token"/],
    ['&access_token=at', /unexpected "access_token"/],
    ['&response=x.y.z', /unexpected "response"/],
  ];
  for (const [extra, detail] of cases) {
    const b = s.browser();
    const toIdp = await b.fetch(`${s.base}/login`);
    const back = await b.fetch(toIdp.location!);
    t.match(back.location, /\/callback\?/);
    const before = s.logs.lines.length;
    const r = await b.fetch(back.location! + extra);
    t.equal(r.status, 400, extra);
    t.match(r.body, /\(callback_invalid\)/);
    t.match(s.logs.entries.slice(before).find((e) => e['reason'] === 'callback_invalid'), { detail }, extra);
  }
  t.equal(s.idp.stats.token, 0, 'the token endpoint was never called');
  t.equal(s.ticketRequests(), 0);
});

t.test('a callback without any login cookie never reaches the token endpoint', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  const r = await s.browser().fetch(`${s.base}/callback?code=abc&state=${'x'.repeat(43)}&iss=${encodeURIComponent(s.idp.issuer)}`);
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
