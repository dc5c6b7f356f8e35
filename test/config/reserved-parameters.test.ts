/** The authorization parameters neither the company nor a link may set. */
import t from 'tap';
import { reservedParameter } from '../../src/config/reserved-parameters.js';

t.test('protocol parameters and those with their own variable are reserved, in any letter case', async (t) => {
  t.equal(reservedParameter('redirect_uri'), '"redirect_uri" is a protocol parameter the bridge sets itself');
  t.equal(
    reservedParameter('REDIRECT_URI'),
    '"REDIRECT_URI" (redirect_uri) is a protocol parameter the bridge sets itself',
  );
  t.equal(reservedParameter('Prompt'), '"Prompt" (prompt) has its own variable, OIDC_PROMPT');
  t.equal(reservedParameter('max_age'), '"max_age" has its own variable, OIDC_MAX_AGE');
  t.equal(reservedParameter('hd'), '"hd" has its own variable, ALLOWED_HOSTED_DOMAINS');
  for (const name of ['state', 'nonce', 'code_challenge', 'request', 'request_uri', 'claims', 'response_mode'])
    t.match(reservedParameter(name), /protocol parameter/, name);
});

t.test('other names are free, those of Object.prototype too', async (t) => {
  for (const name of ['login_hint', 'domain_hint', 'acr_values', 'resource', 'constructor', 'toString', '__proto__'])
    t.equal(reservedParameter(name), undefined, name);
});
