/**
 * The bridge's own checks on top of openid-client.
 */
import t from 'tap';
import { checkCallbackParameters, checkEndpoint, checkIdTokenClaims, checkTokenType } from '../../src/oidc/checks.js';

t.test('gap 2: IdP endpoints are https for an https issuer, the JWKS included', async (t) => {
  const https = new URL('https://idp.example.com');
  t.match(
    checkEndpoint('jwks_uri', 'http://idp.example.com/jwks', https),
    { check: 'metadata.jwks_uri', detail: /not https/ },
    'an http JWKS for an https issuer',
  );
  t.equal(checkEndpoint('jwks_uri', 'https://keys.example.com/jwks', https), undefined);
  t.match(checkEndpoint('token_endpoint', 'http://127.0.0.1/token', https), { check: 'metadata.token_endpoint' }, 'not even on loopback');
  t.match(checkEndpoint('jwks_uri', 'not a url', https), { detail: /no usable jwks_uri/ });
  const local = new URL('http://127.0.0.1:4000');
  t.equal(checkEndpoint('jwks_uri', 'http://localhost:4000/jwks', local), undefined, 'a loopback issuer may use loopback http (local testing)');
  t.match(checkEndpoint('jwks_uri', 'http://keys.example.com/jwks', local), { check: 'metadata.jwks_uri' }, 'but not http elsewhere');
});

t.test('the callback never carries an access token', async (t) => {
  t.match(checkCallbackParameters(new URLSearchParams('code=c&state=s&access_token=x')), { check: 'auth_response.access_token' });
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
