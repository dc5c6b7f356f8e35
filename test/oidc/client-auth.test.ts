/**
 * Token endpoint authentication against the real oidc-provider, each method
 * registered there as the only one the client may use.
 */
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secretNeedsFormEncoding } from '../../src/oidc/client.js';
import { signInWithForm, startDemoStack, startHostileStack } from '../helpers/stack.js';

const dir = mkdtempSync(join(tmpdir(), 'bridge-keys-'));

t.test('client_secret_post', async (t) => {
  const s = await startDemoStack({ env: { OIDC_CLIENT_AUTH: 'client_secret_post' }, idp: { tokenEndpointAuthMethod: 'client_secret_post' } });
  t.teardown(() => s.close());
  t.ok((await signInWithForm(s.browser(), `${s.base}/login`, 'alice', s.sandbox.loginUrl)).stoppedAt);
});

t.test('the secret goes where OIDC_CLIENT_AUTH says: Basic header or form body', async (t) => {
  for (const [method, seen] of [
    ['client_secret_basic', 'basic'],
    ['client_secret_post', 'post'],
  ] as const) {
    const s = await startHostileStack({ env: { OIDC_CLIENT_AUTH: method } });
    t.ok((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt);
    t.equal(s.idp.lastTokenAuth, seen, `${method}: ${seen}`);
    await s.close();
  }
});

t.test('a secret with - . _ ~ works with client_secret_basic at oidc-provider (it decodes them)', async (t) => {
  const secret = 'Ab1~x.y_z-Q8~Entra.Style_Secret-1234';
  t.ok(secretNeedsFormEncoding(secret));
  const s = await startDemoStack({ idp: { clientSecret: secret } });
  t.teardown(() => s.close());
  t.ok((await signInWithForm(s.browser(), `${s.base}/login`, 'alice', s.sandbox.loginUrl)).stoppedAt);
});

t.test('the wrong method for the client is refused by the IdP: token_exchange_failed', async (t) => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const s = await startDemoStack({
    env: { OIDC_CLIENT_AUTH: 'client_secret_basic' },
    idp: { tokenEndpointAuthMethod: 'private_key_jwt', clientJwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k', use: 'sig', alg: 'ES256' }] } },
  });
  t.teardown(() => s.close());
  const r = await signInWithForm(s.browser(), `${s.base}/login`, 'alice', s.sandbox.loginUrl);
  t.equal(r.last.status, 502);
  t.match(r.last.body, /\(token_exchange_failed\)/);
  t.match(
    s.logs.find((e) => e['reason'] === 'token_exchange_failed'),
    { detail: /invalid_client/ },
  );
  t.equal(s.ticketRequests(), 0);
});

for (const [name, options] of [
  ['RSA, PEM', { type: 'rsa', pem: true }],
  ['EC P-256, JWK with its kid', { type: 'ec', pem: false }],
] as const) {
  t.test(`private_key_jwt: ${name}`, async (t) => {
    const { privateKey, publicKey } =
      options.type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kid = `bridge-${options.type}`;
    const file = join(dir, `${options.type}.${options.pem ? 'pem' : 'json'}`);
    writeFileSync(file, options.pem ? privateKey.export({ format: 'pem', type: 'pkcs8' }) : JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid }));
    const env: Record<string, string> = { OIDC_CLIENT_AUTH: 'private_key_jwt', OIDC_CLIENT_SECRET: '', OIDC_CLIENT_PRIVATE_KEY_FILE: file };
    if (options.pem) env['OIDC_CLIENT_PRIVATE_KEY_KID'] = kid;
    const s = await startDemoStack({
      env,
      idp: {
        tokenEndpointAuthMethod: 'private_key_jwt',
        clientJwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: options.type === 'rsa' ? 'RS256' : 'ES256' }] },
      },
    });
    t.teardown(() => s.close());
    t.ok((await signInWithForm(s.browser(), `${s.base}/login`, 'alice', s.sandbox.loginUrl)).stoppedAt, 'lands in CommBox');
  });
}

t.test('private_key_jwt with a key the IdP does not know is refused', async (t) => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { publicKey: other } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const file = join(dir, 'wrong.pem');
  writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const s = await startDemoStack({
    env: { OIDC_CLIENT_AUTH: 'private_key_jwt', OIDC_CLIENT_SECRET: '', OIDC_CLIENT_PRIVATE_KEY_FILE: file, OIDC_CLIENT_PRIVATE_KEY_KID: 'k' },
    idp: { tokenEndpointAuthMethod: 'private_key_jwt', clientJwks: { keys: [{ ...other.export({ format: 'jwk' }), kid: 'k', use: 'sig', alg: 'ES256' }] } },
  });
  t.teardown(() => s.close());
  const r = await signInWithForm(s.browser(), `${s.base}/login`, 'alice', s.sandbox.loginUrl);
  t.equal(r.last.status, 502);
  t.match(r.last.body, /\(token_exchange_failed\)/);
  t.equal(s.ticketRequests(), 0);
});
