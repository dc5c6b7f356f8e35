import t, { type Test } from 'tap';
import { decodeIdTokenPayload, readTokenResponse, TokenCheckError, validateIdTokenClaims } from '../src/id-token.js';

const now = 1_800_000_000;
const expected = { issuer: 'https://idp.example', clientId: 'bridge', nonce: 'n-123', now, toleranceSec: 60 };
const good = { iss: 'https://idp.example', aud: 'bridge', sub: 'u-1', iat: now, exp: now + 300, nonce: 'n-123', auth_time: now };

function refused(t: Test, claims: Record<string, unknown>, pattern: RegExp, name: string) {
  t.throws(() => validateIdTokenClaims(claims, expected), { name: 'TokenCheckError', code: 'ID_TOKEN_INVALID', message: pattern }, name);
}

t.test('accepts a good ID token and returns its claims', async (t) => {
  t.same(validateIdTokenClaims({ ...good, email: 'a@example.com' }, expected), { ...good, email: 'a@example.com' });
  t.ok(validateIdTokenClaims({ ...good, aud: ['bridge'] }, expected), 'one audience in an array');
  t.ok(validateIdTokenClaims({ ...good, aud: ['bridge', 'api'], azp: 'bridge' }, expected), 'several audiences with azp');
  t.ok(validateIdTokenClaims({ ...good, exp: now - 59 }, expected), 'expired within the tolerance');
  t.ok(validateIdTokenClaims({ ...good, nbf: now + 59 }, expected), 'nbf within the tolerance');
  t.ok(validateIdTokenClaims({ ...good, iat: now + 30 }, expected), 'iat slightly ahead (clock skew)');
  t.ok(validateIdTokenClaims({ ...good, auth_time: undefined }, expected), 'auth_time is optional');
});

t.test('refuses every claim that fails OIDC Core §3.1.3.7', async (t) => {
  const cases: [Record<string, unknown>, RegExp, string][] = [
    [{ ...good, iss: undefined }, /"iss".*missing/, 'no iss'],
    [{ ...good, iss: 'https://evil.example' }, /"iss"/, 'another issuer'],
    [{ ...good, iss: 'https://idp.example/' }, /"iss"/, 'issuer with a trailing slash'],
    [{ ...good, aud: undefined }, /"aud".*missing/, 'no aud'],
    [{ ...good, aud: 'someone-else' }, /"aud"/, 'another audience'],
    [{ ...good, aud: ['someone-else'] }, /"aud"/, 'an array without this client'],
    [{ ...good, aud: ['bridge', 'api'] }, /several audiences/, 'several audiences, no azp'],
    [{ ...good, aud: ['bridge', 'api'], azp: 'api' }, /"azp"/, 'several audiences, azp another client'],
    [{ ...good, azp: 'api' }, /"azp"/, 'one audience, azp another client'],
    [{ ...good, aud: 7 }, /"aud"/, 'aud not a string'],
    [{ ...good, exp: undefined }, /"exp".*missing/, 'no exp'],
    [{ ...good, exp: String(now + 300) }, /"exp".*not a number/, 'exp a string'],
    [{ ...good, exp: now - 61 }, /"exp".*past/, 'expired beyond the tolerance'],
    [{ ...good, exp: now - 60 }, /"exp".*past/, 'expired exactly at the tolerance'],
    [{ ...good, iat: undefined }, /"iat".*missing/, 'no iat'],
    [{ ...good, iat: 'yesterday' }, /"iat".*not a number/, 'iat a string'],
    [{ ...good, nbf: now + 61 }, /"nbf".*future/, 'not yet valid'],
    [{ ...good, nbf: 'later' }, /"nbf".*not a number/, 'nbf a string'],
    [{ ...good, sub: undefined }, /"sub".*missing/, 'no sub'],
    [{ ...good, sub: '' }, /"sub"/, 'empty sub'],
    [{ ...good, sub: 42 }, /"sub"/, 'sub a number'],
    [{ ...good, nonce: undefined }, /"nonce".*missing/, 'no nonce'],
    [{ ...good, nonce: 'n-999' }, /"nonce"/, 'another nonce'],
    [{ ...good, auth_time: 'now' }, /"auth_time"/, 'auth_time a string'],
    [{ ...good, auth_time: -1 }, /"auth_time"/, 'auth_time negative'],
  ];
  for (const [claims, pattern, name] of cases) refused(t, claims, pattern, name);
});

t.test('reads the token response', async (t) => {
  const body = (o: Record<string, unknown>) => JSON.stringify({ access_token: 'at', token_type: 'Bearer', id_token: 'a.b.c', expires_in: 300, ...o });
  t.same(readTokenResponse(body({})), { accessToken: 'at', idToken: 'a.b.c' });
  t.ok(readTokenResponse(body({ token_type: 'bearer', expires_in: '3599', scope: 'openid', refresh_token: 'rt' })), 'lower-case Bearer, expires_in as digits');
  const cases: [string, string, RegExp][] = [
    ['<html>', 'TOKEN_RESPONSE_INVALID', /not JSON/],
    ['[]', 'TOKEN_RESPONSE_INVALID', /not a JSON object/],
    ['null', 'TOKEN_RESPONSE_INVALID', /not a JSON object/],
    [body({ access_token: undefined }), 'TOKEN_RESPONSE_INVALID', /access_token/],
    [body({ access_token: '' }), 'TOKEN_RESPONSE_INVALID', /access_token/],
    [body({ token_type: 'DPoP' }), 'TOKEN_RESPONSE_INVALID', /token_type/],
    [body({ token_type: undefined }), 'TOKEN_RESPONSE_INVALID', /token_type/],
    [body({ expires_in: 'soon' }), 'TOKEN_RESPONSE_INVALID', /expires_in/],
    [body({ scope: ['openid'] }), 'TOKEN_RESPONSE_INVALID', /scope/],
    [body({ refresh_token: 1 }), 'TOKEN_RESPONSE_INVALID', /refresh_token/],
    [body({ id_token: undefined }), 'ID_TOKEN_INVALID', /no ID token/],
    [body({ id_token: {} }), 'ID_TOKEN_INVALID', /no ID token/],
  ];
  for (const [text, code, message] of cases) t.throws(() => readTokenResponse(text), { code, message }, text.slice(0, 60));
});

t.test('decodes the payload of a compact JWS', async (t) => {
  const enc = (s: string) => Buffer.from(s).toString('base64url');
  t.same(decodeIdTokenPayload(`${enc('{"alg":"ES256"}')}.${enc('{"sub":"u-1"}')}.sig`), { sub: 'u-1' });
  for (const payload of ['not json', '[1,2]', '"text"', 'null']) {
    t.throws(() => decodeIdTokenPayload(`${enc('{}')}.${enc(payload)}.sig`), TokenCheckError, payload);
  }
});
