/**
 * The bridge's own checks on top of openid-client.
 */
import t from 'tap';
import {
  checkAcr,
  checkCallbackParameters,
  checkEndpoint,
  checkIdTokenClaims,
  checkIssuedAt,
  checkSignedInSince,
  checkTokenType,
} from '../../src/oidc/checks.js';

t.test('IdP endpoints are https for an https issuer, the JWKS included', async (t) => {
  const https = new URL('https://idp.example.com');
  t.match(
    checkEndpoint('jwks_uri', 'http://idp.example.com/jwks', https),
    { check: 'metadata.jwks_uri', detail: /not https/ },
    'an http JWKS for an https issuer',
  );
  t.equal(checkEndpoint('jwks_uri', 'https://keys.example.com/jwks', https), undefined);
  t.match(
    checkEndpoint('token_endpoint', 'http://127.0.0.1/token', https),
    { check: 'metadata.token_endpoint' },
    'not even on loopback',
  );
  t.match(checkEndpoint('jwks_uri', 'not a url', https), { detail: /no usable jwks_uri/ });
  t.match(
    checkEndpoint('authorization_endpoint', 'http://idp.example.com/authorize', https),
    { check: 'metadata.authorization_endpoint', detail: /not https/ },
    'the authorization endpoint too',
  );
  t.match(checkEndpoint('authorization_endpoint', undefined, https), { detail: /no usable authorization_endpoint/ });
  const local = new URL('http://127.0.0.1:4000');
  t.equal(
    checkEndpoint('jwks_uri', 'http://localhost:4000/jwks', local),
    undefined,
    'a loopback issuer may use loopback http (local testing)',
  );
  t.match(
    checkEndpoint('jwks_uri', 'http://keys.example.com/jwks', local),
    { check: 'metadata.jwks_uri' },
    'but not http elsewhere',
  );
});

t.test('the callback never carries an access token', async (t) => {
  t.match(checkCallbackParameters(new URLSearchParams('code=c&state=s&access_token=x')), {
    check: 'auth_response.access_token',
  });
  t.equal(checkCallbackParameters(new URLSearchParams('code=c&state=s')), undefined);
});

t.test('Bearer tokens only', async (t) => {
  t.equal(checkTokenType('Bearer'), undefined);
  t.equal(checkTokenType('bearer'), undefined);
  t.match(checkTokenType('DPoP'), { check: 'token.token_type' }, 'this client does not use DPoP');
  t.match(checkTokenType(undefined), { check: 'token.token_type' });
});

t.test('azp names this client even with a single audience; sub is not empty', async (t) => {
  t.equal(checkIdTokenClaims({ sub: 'u', aud: 'bridge' }, 'bridge'), undefined);
  t.equal(checkIdTokenClaims({ sub: 'u', aud: 'bridge', azp: 'bridge' }, 'bridge'), undefined);
  t.match(checkIdTokenClaims({ sub: 'u', aud: 'bridge', azp: 'other' }, 'bridge'), { check: 'id_token.azp' });
  t.match(checkIdTokenClaims({ sub: '', aud: 'bridge' }, 'bridge'), { check: 'id_token.sub' });
});

t.test('iat in the future beyond the clock tolerance is refused', async (t) => {
  const now = 1_700_000_000_000;
  t.equal(checkIssuedAt({ iat: 1_700_000_000 }, now, 30), undefined);
  t.equal(checkIssuedAt({ iat: 1_700_000_030 }, now, 30), undefined, 'exactly the tolerance ahead');
  t.match(checkIssuedAt({ iat: 1_700_000_031 }, now, 30), {
    check: 'id_token.iat',
    detail: /31 s in the future.*OIDC_CLOCK_TOLERANCE_SEC \(30 s\)/,
  });
  t.match(
    checkIssuedAt({ iat: 1_700_000_001 }, now, 0),
    { check: 'id_token.iat' },
    'with no tolerance, a second ahead',
  );
  t.equal(checkIssuedAt({ iat: 1_600_000_000 }, now, 0), undefined, "the past is exp's business");
  t.match(checkIssuedAt({}, now, 30), { check: 'id_token.iat' }, 'absent (openid-client requires it first)');
  t.match(checkIssuedAt({ iat: '1700000000' }, now, 30), { check: 'id_token.iat' }, 'not a number');
});

t.test('prompt=login: auth_time present and not before the login started, without the library lock', async (t) => {
  const start = 1_700_000_000_400; // ms: the login started in second 1_700_000_000
  const now = start + 1000; // verified a second later
  const iat = 1_700_000_001; // the IdP's clock agrees with ours (skew -0.4 s: whole seconds)
  // checkSignedInSince on its own: openid-client's require_auth_time (the first lock) is off here.
  t.match(
    checkSignedInSince({ iat }, start, now, 30),
    { check: 'id_token.auth_time', detail: /no "auth_time".*OIDC_PROMPT=login/ },
    'absent proves nothing',
  );
  t.match(
    checkSignedInSince({ iat, auth_time: '1700000000' }, start, now, 30),
    { check: 'id_token.auth_time', detail: /no "auth_time"/ },
    'not a number',
  );
  t.match(
    checkSignedInSince({ auth_time: 1_700_000_001 }, start, now, 30),
    { check: 'id_token.iat' },
    'no iat to measure the clock by (checkIssuedAt refuses first)',
  );
  t.equal(
    checkSignedInSince({ iat, auth_time: 1_700_000_001 }, start, now, 30),
    undefined,
    'a sign-in after the start',
  );
  t.equal(
    checkSignedInSince({ iat, auth_time: 1_700_000_000 }, start, now, 0),
    undefined,
    'in the same second as the start',
  );
  t.equal(checkSignedInSince({ iat, auth_time: 1_699_999_998 }, start, now, 30), undefined, 'within the 2 s margin');
  t.match(
    checkSignedInSince({ iat, auth_time: 1_699_999_997 }, start, now, 30),
    {
      check: 'id_token.auth_time',
      detail: /3 s before this login started.*"prompt" was removed/,
    },
    '3 s before the start: refused although the tolerance is 30 s',
  );
  t.match(
    checkSignedInSince({ iat, auth_time: 1_699_999_975 }, start, now, 30),
    { check: 'id_token.auth_time' },
    '25 s before: within the clock tolerance, still refused',
  );
  t.match(
    checkSignedInSince({ iat, auth_time: 1_699_996_400 }, start, now, 30),
    { check: 'id_token.auth_time' },
    'the previous agent, an hour ago',
  );
  t.match(
    checkSignedInSince({ iat, auth_time: 1_699_999_999 }, start, now, 0),
    { check: 'id_token.auth_time' },
    "no tolerance: the start's second",
  );
});

t.test('prompt=login: the IdP clock skew is measured by iat, both ways', async (t) => {
  const start = 1_700_000_000_400;
  const now = start + 1000;
  // The IdP's clock 20 s ahead: its iat says 1_700_000_021 when ours says ..._001.4.
  const ahead = { iat: 1_700_000_021 };
  t.equal(
    checkSignedInSince({ ...ahead, auth_time: 1_700_000_018 }, start, now, 30),
    undefined,
    'ahead: a sign-in at the start, on its clock',
  );
  t.match(
    checkSignedInSince({ ...ahead, auth_time: 1_700_000_017 }, start, now, 30),
    { detail: /3 s before.*measured 20 s from ours/ },
    'ahead: 3 s before',
  );
  t.match(
    checkSignedInSince({ ...ahead, auth_time: 1_700_000_001 }, start, now, 30),
    { check: 'id_token.auth_time' },
    "ahead: our clock's second is 20 s early on its clock",
  );
  // The IdP's clock 20 s behind.
  const behind = { iat: 1_699_999_981 };
  t.equal(
    checkSignedInSince({ ...behind, auth_time: 1_699_999_978 }, start, now, 30),
    undefined,
    'behind: a sign-in at the start, on its clock',
  );
  t.match(
    checkSignedInSince({ ...behind, auth_time: 1_699_999_977 }, start, now, 30),
    { detail: /3 s before.*measured -20 s/ },
    'behind: 3 s before',
  );
  // An iat further in the past than the tolerance: never looser than the tolerance.
  const old = { iat: 1_699_999_901 };
  t.equal(checkSignedInSince({ ...old, auth_time: 1_699_999_970 }, start, now, 30), undefined);
  t.match(
    checkSignedInSince({ ...old, auth_time: 1_699_999_969 }, start, now, 30),
    { check: 'id_token.auth_time' },
    'bounded by the tolerance',
  );
});

t.test('prompt=login: an honest sign-in passes whatever the rounding, a sign-in 4 s before never does', async (t) => {
  // Milliseconds throughout: the true offset of the IdP's clock, where in its second the login started,
  // and how long the token took to be verified after the IdP issued it.
  for (const offset of [-20_700, -999, -300, 0, 1, 300, 999, 20_500]) {
    for (const startMs of [1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_500, 1_700_000_000_999]) {
      for (const latency of [0, 1, 400, 1500]) {
        const signInIdp = startMs + offset + 1; // a millisecond after the start, on the IdP's clock
        const issuedIdp = signInIdp + 8000; // the password typed, the code exchanged
        const nowMs = issuedIdp - offset + latency;
        const claims = (authMs: number) => ({
          auth_time: Math.floor(authMs / 1000),
          iat: Math.floor(issuedIdp / 1000),
        });
        const label = `offset ${offset} ms, start …${startMs % 1000} ms, latency ${latency} ms`;
        t.equal(checkSignedInSince(claims(signInIdp), startMs, nowMs, 30), undefined, `honest: ${label}`);
        if (latency < 1000)
          t.ok(checkSignedInSince(claims(signInIdp - 4001), startMs, nowMs, 30), `4 s before: ${label}`);
      }
    }
  }
});

t.test('acr_values asked for: the ID token acr must be one of them', async (t) => {
  const wanted = ['urn:mfa', 'gold'];
  t.equal(checkAcr({ acr: 'gold' }, wanted), undefined);
  t.equal(checkAcr({ acr: 'urn:mfa' }, wanted), undefined);
  t.match(checkAcr({ acr: 'silver' }, wanted), {
    check: 'id_token.acr',
    detail: /"silver", not one of the acr_values .*\(urn:mfa gold\)/,
  });
  t.match(checkAcr({}, wanted), { check: 'id_token.acr', detail: /is absent/ });
  t.match(checkAcr({ acr: ['gold'] }, wanted), { check: 'id_token.acr' }, 'not a string');
  t.match(checkAcr({ acr: 'Gold' }, wanted), { check: 'id_token.acr' }, 'exact match');
  t.match(checkAcr({ acr: '' }, []), { check: 'id_token.acr' }, 'an empty list accepts nothing');
});

t.test('each refusal says what it found, with values from the IdP cut short', async (t) => {
  const https = new URL('https://idp.example.com');
  t.match(checkCallbackParameters(new URLSearchParams('code=c&access_token=x')), {
    detail: 'the callback has an unexpected "access_token" parameter',
  });
  t.match(checkEndpoint('jwks_uri', 'not a url', https), {
    check: 'metadata.jwks_uri',
    detail: 'the IdP metadata has no usable jwks_uri',
  });
  const endpoint = checkEndpoint('jwks_uri', `http://idp.example.com/${'x'.repeat(1000)}`, https);
  t.equal(endpoint?.detail, `the IdP metadata jwks_uri is not https: http://idp.example.com/${'x'.repeat(177)}`);
  t.match(checkTokenType('DPoP'), { detail: 'the token response token_type is "DPoP", not Bearer' });
  t.equal(checkTokenType('x'.repeat(1000))?.detail, `the token response token_type is "${'x'.repeat(40)}", not Bearer`);
  t.match(checkIdTokenClaims({ sub: 'u', azp: 'other' }, 'bridge'), {
    detail: 'ID token rejected: its "azp" ("other") is not this client',
  });
  t.equal(
    checkIdTokenClaims({ sub: 'u', azp: 'x'.repeat(1000) }, 'bridge')?.detail,
    `ID token rejected: its "azp" ("${'x'.repeat(99)}) is not this client`,
  );
  t.match(checkIdTokenClaims({ sub: '' }, 'bridge'), { detail: 'ID token rejected: its "sub" is empty' });
  t.match(checkIssuedAt({}, 0, 30), { detail: 'ID token rejected: it has no numeric "iat"' });
  t.match(checkSignedInSince({ auth_time: 1 }, 0, 0, 30), {
    detail: 'ID token rejected: it has no numeric "iat" to measure the IdP\'s clock by',
  });
  t.equal(
    checkAcr({ acr: 'x'.repeat(1000) }, ['y'.repeat(1000)])?.detail,
    `the ID token's "acr" is "${'x'.repeat(99)}, not one of the acr_values OIDC_AUTH_PARAMS asks for (${'y'.repeat(200)})`,
  );
});

t.test('prompt=login: the refusal counts the seconds between the sign-in and the start', async (t) => {
  const start = 1_700_000_000_400;
  const now = start + 1000;
  t.match(checkSignedInSince({ iat: 1_700_000_001, auth_time: 1_699_999_990 }, start, now, 30), {
    detail: /^the ID token confirms a sign-in 10 s before this login started \(the IdP's clock measured 0 s from ours/,
  });
});

t.test('a loopback issuer may use http on loopback, never another scheme', async (t) => {
  const local = new URL('http://127.0.0.1:4000');
  t.match(checkEndpoint('jwks_uri', 'ftp://127.0.0.1/jwks', local), {
    check: 'metadata.jwks_uri',
    detail: /not https/,
  });
  t.match(checkEndpoint('jwks_uri', 'ws://localhost:4000/jwks', local), { check: 'metadata.jwks_uri' });
});
