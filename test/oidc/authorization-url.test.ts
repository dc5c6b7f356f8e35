/**
 * The authorization URL's own code around openid-client.
 */
import t from 'tap';
import { calculatePKCECodeChallenge, randomPKCECodeVerifier } from 'openid-client';
import { pkceChallenge } from '../../src/oidc/authorization-url.js';

t.test('the PKCE challenge is what openid-client computes', async (t) => {
  for (let i = 0; i < 20; i++) {
    const verifier = randomPKCECodeVerifier();
    t.equal(pkceChallenge(verifier), await calculatePKCECodeChallenge(verifier));
  }
  // RFC 7636 appendix B.
  t.equal(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
});
