/**
 * Token endpoint authentication against the real oidc-provider, each method
 * registered there as the only one the client may use.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { configProblems, TWO_IDP_BASE } from '../helpers/config.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secretNeedsFormEncoding } from '../../src/oidc/client-auth.js';
import { signInWithForm, startDemoStack, startHostileStack } from '../helpers/stack.js';

const dir = mkdtempSync(join(tmpdir(), 'bridge-keys-'));

t.test('client_secret_post', async (t) => {
  const s = await startDemoStack({
    env: { OIDC_CLIENT_AUTH: 'client_secret_post' },
    idp: { tokenEndpointAuthMethod: 'client_secret_post' },
  });
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
    idp: {
      tokenEndpointAuthMethod: 'private_key_jwt',
      clientJwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k', use: 'sig', alg: 'ES256' }] },
    },
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
      options.type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kid = `bridge-${options.type}`;
    const file = join(dir, `${options.type}.${options.pem ? 'pem' : 'json'}`);
    writeFileSync(
      file,
      options.pem
        ? privateKey.export({ format: 'pem', type: 'pkcs8' })
        : JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid }),
    );
    const env: Record<string, string> = {
      OIDC_CLIENT_AUTH: 'private_key_jwt',
      OIDC_CLIENT_SECRET: '',
      OIDC_CLIENT_PRIVATE_KEY_FILE: file,
    };
    if (options.pem) env['OIDC_CLIENT_PRIVATE_KEY_KID'] = kid;
    const s = await startDemoStack({
      env,
      idp: {
        tokenEndpointAuthMethod: 'private_key_jwt',
        clientJwks: {
          keys: [
            {
              ...publicKey.export({ format: 'jwk' }),
              kid,
              use: 'sig',
              alg: options.type === 'rsa' ? 'RS256' : 'ES256',
            },
          ],
        },
      },
    });
    t.teardown(() => s.close());
    t.ok(
      (await signInWithForm(s.browser(), `${s.base}/login`, 'alice', s.sandbox.loginUrl)).stoppedAt,
      'lands in CommBox',
    );
  });
}

t.test('private_key_jwt with a key the IdP does not know is refused', async (t) => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { publicKey: other } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const file = join(dir, 'wrong.pem');
  writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const s = await startDemoStack({
    env: {
      OIDC_CLIENT_AUTH: 'private_key_jwt',
      OIDC_CLIENT_SECRET: '',
      OIDC_CLIENT_PRIVATE_KEY_FILE: file,
      OIDC_CLIENT_PRIVATE_KEY_KID: 'k',
    },
    idp: {
      tokenEndpointAuthMethod: 'private_key_jwt',
      clientJwks: { keys: [{ ...other.export({ format: 'jwk' }), kid: 'k', use: 'sig', alg: 'ES256' }] },
    },
  });
  t.teardown(() => s.close());
  const r = await signInWithForm(s.browser(), `${s.base}/login`, 'alice', s.sandbox.loginUrl);
  t.equal(r.last.status, 502);
  t.match(r.last.body, /\(token_exchange_failed\)/);
  t.equal(s.logs.find((e) => e['reason'] === 'token_exchange_failed')?.['check'], 'token.client_auth');
  t.equal(s.ticketRequests(), 0);
});

t.test('a wrong client secret at the callback is logged as the client authentication refused', async (t) => {
  const wrong = 'not-the-registered-secret-0123456789';
  for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
    await t.test(`oidc-provider, ${method}`, async (t) => {
      const s = await startDemoStack({
        env: { OIDC_CLIENT_AUTH: method, OIDC_CLIENT_SECRET: wrong },
        idp: { tokenEndpointAuthMethod: method },
      });
      t.teardown(() => s.close());
      const r = await signInWithForm(s.browser(), `${s.base}/login`, 'alice', s.sandbox.loginUrl);
      t.notOk(r.stoppedAt, 'not sent to CommBox');
      t.equal(r.last.status, 502);
      t.match(r.last.body, /\(token_exchange_failed\)/);
      const line = s.logs.find((e) => e['reason'] === 'token_exchange_failed');
      t.equal(line?.['check'], 'token.client_auth');
      t.match(String(line?.['detail']), /refused the client's authentication: HTTP 40[01].*invalid_client/);
      t.notMatch(s.logs.text, wrong, 'the secret is not logged');
      t.equal(s.ticketRequests(), 0, 'no ticket was requested');
    });
    await t.test(`hostile IdP, ${method}`, async (t) => {
      const s = await startHostileStack({ env: { OIDC_CLIENT_AUTH: method, OIDC_CLIENT_SECRET: wrong } });
      t.teardown(() => s.close());
      const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
      t.notOk(r.stoppedAt, 'not sent to CommBox');
      t.equal(r.last.status, 502);
      t.match(r.last.body, /\(token_exchange_failed\)/);
      const line = s.logs.find((e) => e['reason'] === 'token_exchange_failed');
      t.equal(line?.['check'], 'token.client_auth');
      t.match(String(line?.['detail']), /HTTP 401 error="invalid_client"/);
      t.equal(s.ticketRequests(), 0, 'no ticket was requested');
    });
  }
});

/** An RSA key and a self-signed certificate for it (openssl, as an administrator makes one), and another key. */
function keyAndCertificate(name: string) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyFile = join(dir, `${name}.key.pem`);
  const certFile = join(dir, `${name}.cert.pem`);
  writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  execFileSync(
    'openssl',
    ['req', '-x509', '-key', keyFile, '-subj', '/CN=commbox-bridge', '-days', '2', '-out', certFile],
    { stdio: 'ignore' },
  );
  const der = new X509Certificate(readFileSync(certFile)).raw;
  return {
    privateKey,
    publicKey,
    keyFile,
    certFile,
    x5tS256: createHash('sha256').update(der).digest('base64url'),
    x5t: createHash('sha1').update(der).digest('base64url'),
  };
}

t.test(
  'private_key_jwt with OIDC_CLIENT_CERTIFICATE_FILE: x5t#S256 and x5t in the header, aud the token endpoint, no kid needed',
  async (t) => {
    const k = keyAndCertificate('entra');
    const s = await startHostileStack({
      env: {
        OIDC_CLIENT_AUTH: 'private_key_jwt',
        OIDC_CLIENT_SECRET: '',
        OIDC_CLIENT_PRIVATE_KEY_FILE: k.keyFile,
        OIDC_CLIENT_CERTIFICATE_FILE: k.certFile,
      },
    });
    t.teardown(() => s.close());
    s.idp.clientPublicKey = k.publicKey;
    t.ok((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt, 'lands in CommBox');
    t.equal(s.idp.lastTokenAuth, 'private_key_jwt');
    const header = decodeProtectedHeader(s.idp.lastClientAssertion!);
    t.equal(header['x5t#S256'], k.x5tS256);
    t.equal(header.x5t, k.x5t);
    t.equal(header.kid, undefined);
    const payload = decodeJwt(s.idp.lastClientAssertion!);
    t.equal(payload.aud, `${s.idp.issuer}/token`, 'aud: the token endpoint (Entra ID, Okta)');
    t.equal(payload.iss, s.idp.clientId);
    t.equal(payload.sub, s.idp.clientId);
  },
);

t.test('OIDC_CLIENT_ASSERTION_AUDIENCE=issuer: aud is the issuer', async (t) => {
  const k = keyAndCertificate('issuer-aud');
  const s = await startHostileStack({
    env: {
      OIDC_CLIENT_AUTH: 'private_key_jwt',
      OIDC_CLIENT_SECRET: '',
      OIDC_CLIENT_PRIVATE_KEY_FILE: k.keyFile,
      OIDC_CLIENT_PRIVATE_KEY_KID: 'k1',
      OIDC_CLIENT_ASSERTION_AUDIENCE: 'issuer',
    },
  });
  t.teardown(() => s.close());
  s.idp.clientPublicKey = k.publicKey;
  t.ok((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt);
  t.equal(decodeJwt(s.idp.lastClientAssertion!).aud, s.idp.issuer);
  const header = decodeProtectedHeader(s.idp.lastClientAssertion!);
  t.equal(header.kid, 'k1');
  t.equal(header['x5t#S256'], undefined, 'no certificate: no thumbprint');
});

t.test('oidc-provider accepts the certificate-bound assertion without a kid, with either audience', async (t) => {
  for (const audience of ['token_endpoint', 'issuer']) {
    const k = keyAndCertificate(`op-${audience}`);
    const s = await startDemoStack({
      env: {
        OIDC_CLIENT_AUTH: 'private_key_jwt',
        OIDC_CLIENT_SECRET: '',
        OIDC_CLIENT_PRIVATE_KEY_FILE: k.keyFile,
        OIDC_CLIENT_CERTIFICATE_FILE: k.certFile,
        OIDC_CLIENT_ASSERTION_AUDIENCE: audience,
      },
      idp: {
        tokenEndpointAuthMethod: 'private_key_jwt',
        clientJwks: { keys: [{ ...k.publicKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256' }] },
      },
    });
    t.ok(
      (await signInWithForm(s.browser(), `${s.base}/login`, 'alice', s.sandbox.loginUrl)).stoppedAt,
      `aud ${audience}: lands in CommBox`,
    );
    await s.close();
  }
});

t.test(
  'configuration: a certificate that is not the key, or without private_key_jwt, or not a certificate',
  async (t) => {
    const a = keyAndCertificate('a');
    const b = keyAndCertificate('b');
    const base = {
      ...TWO_IDP_BASE,
      OIDC_CLIENT_SECRET: '',
      OIDC_CLIENT_AUTH: 'private_key_jwt',
      OIDC_CLIENT_PRIVATE_KEY_FILE: a.keyFile,
    };
    t.same(
      configProblems({ ...base, OIDC_CLIENT_CERTIFICATE_FILE: a.certFile }),
      {},
      'the matching certificate makes the kid optional',
    );
    t.match(configProblems({ ...base, OIDC_CLIENT_CERTIFICATE_FILE: b.certFile }), {
      OIDC_CLIENT_CERTIFICATE_FILE: /not the certificate of the key in OIDC_CLIENT_PRIVATE_KEY_FILE/,
    });
    t.match(configProblems({ ...base, OIDC_CLIENT_CERTIFICATE_FILE: a.keyFile }), {
      OIDC_CLIENT_CERTIFICATE_FILE: /not an X\.509 certificate/,
    });
    t.match(configProblems(base), { OIDC_CLIENT_PRIVATE_KEY_KID: /OIDC_CLIENT_CERTIFICATE_FILE/ });
    t.match(configProblems({ ...TWO_IDP_BASE, OIDC_CLIENT_CERTIFICATE_FILE: a.certFile }), {
      OIDC_CLIENT_CERTIFICATE_FILE: /only with OIDC_CLIENT_AUTH=private_key_jwt/,
    });
    t.match(
      configProblems({ ...base, OIDC_CLIENT_CERTIFICATE_FILE: a.certFile, OIDC_CLIENT_ASSERTION_AUDIENCE: 'me' }),
      {
        OIDC_CLIENT_ASSERTION_AUDIENCE: /token_endpoint, issuer/,
      },
    );
  },
);
