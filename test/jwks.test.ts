import t from 'tap';
import { generateKeyPairSync, sign, createHmac, type KeyObject } from 'node:crypto';
import { JwksVerifier, JWKS_REFETCH_MIN_INTERVAL_MS } from '../src/jwks.js';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

function rsa(kid: string | undefined, bits = 2048) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } };
}
function jws(header: Record<string, unknown>, key: KeyObject, alg = 'sha256', opts: Record<string, unknown> = {}) {
  const data = `${b64(header)}.${b64({ sub: 'x' })}`;
  return `${data}.${sign(alg, Buffer.from(data), { key, ...opts }).toString('base64url')}`;
}

t.test('verifies RS256, ES256, PS256 and EdDSA', async (t) => {
  const r = rsa('r1');
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');
  const keys = [r.jwk, { ...ec.publicKey.export({ format: 'jwk' }), kid: 'e1' }, { ...ed.publicKey.export({ format: 'jwk' }), kid: 'd1' }, { ...r.jwk, kid: 'p1', alg: 'PS256' }];
  const v = new JwksVerifier(async () => ({ keys }));
  t.ok(await v.verify(jws({ alg: 'RS256', kid: 'r1' }, r.privateKey), 'RS256'));
  t.ok(await v.verify(jws({ alg: 'ES256', kid: 'e1' }, ec.privateKey, 'sha256', { dsaEncoding: 'ieee-p1363' }), 'ES256'));
  t.ok(await v.verify(jws({ alg: 'EdDSA', kid: 'd1' }, ed.privateKey, null as never), 'EdDSA'));
  const data = `${b64({ alg: 'PS256', kid: 'p1' })}.${b64({})}`;
  const ps = sign('sha256', Buffer.from(data), { key: r.privateKey, padding: 6, saltLength: 32 }).toString('base64url');
  t.ok(await v.verify(`${data}.${ps}`, 'PS256'));
});

t.test('refusals', async (t) => {
  const r = rsa('r1');
  const other = rsa('r1');
  const v = new JwksVerifier(async () => ({ keys: [r.jwk] }));
  await t.rejects(v.verify(jws({ alg: 'RS256', kid: 'r1' }, other.privateKey), 'RS256'), { code: 'JWS_SIGNATURE' });
  await t.rejects(v.verify(`${b64({ alg: 'none' })}.${b64({ sub: 'x' })}.`, 'RS256'), { code: 'JWS_MALFORMED' });
  await t.rejects(v.verify(`${b64({ alg: 'none' })}.${b64({ sub: 'x' })}.c2ln`, 'RS256'), { code: 'JWS_ALG' });
  const data = `${b64({ alg: 'HS256', kid: 'r1' })}.${b64({ sub: 'x' })}`;
  const pem = r.privateKey.export({ type: 'pkcs1', format: 'pem' });
  await t.rejects(v.verify(`${data}.${createHmac('sha256', pem).update(data).digest('base64url')}`, 'RS256'), { code: 'JWS_ALG' });
  await t.rejects(v.verify(jws({ alg: 'RS256', kid: 'r1', crit: ['exp'] }, r.privateKey), 'RS256'), { code: 'JWS_MALFORMED' });
  await t.rejects(v.verify('a.b', 'RS256'), { code: 'JWS_MALFORMED' });
  await t.rejects(v.verify('!!.b.c', 'RS256'), { code: 'JWS_MALFORMED' });
  await t.rejects(v.verify(jws({ alg: 'RS256', kid: 7 }, r.privateKey), 'RS256'), { code: 'JWS_MALFORMED' });
  await t.rejects(v.verify(jws({ alg: 'RS256', kid: 'nope' }, r.privateKey), 'RS256'), { code: 'JWS_NO_KEY' });
});

t.test('short RSA keys and ambiguous keys are refused', async (t) => {
  const short = rsa('s', 1024);
  await t.rejects(new JwksVerifier(async () => ({ keys: [short.jwk] })).verify(jws({ alg: 'RS256', kid: 's' }, short.privateKey), 'RS256'), { code: 'JWS_NO_KEY', message: /2048/ });
  const a = rsa(undefined);
  const b = rsa(undefined);
  const v = new JwksVerifier(async () => ({ keys: [a.jwk, b.jwk] }));
  await t.rejects(v.verify(jws({ alg: 'RS256' }, a.privateKey), 'RS256'), { code: 'JWS_AMBIGUOUS_KEY' });
  const single = new JwksVerifier(async () => ({ keys: [a.jwk] }));
  t.ok(await single.verify(jws({ alg: 'RS256' }, a.privateKey), 'RS256'), 'one key without kid is fine');
});

t.test('unknown kid: one refetch, rate-limited; a stale JWKS is still used while the IdP is down', async (t) => {
  let now = 1_000_000;
  let fetches = 0;
  let keys = [rsa('old').jwk];
  let down = false;
  const v = new JwksVerifier(async () => {
    fetches++;
    if (down) throw new Error('down');
    return { keys };
  }, () => now);
  await v.load();
  const next = rsa('new');
  keys = [next.jwk, ...keys];
  t.ok(await v.verify(jws({ alg: 'RS256', kid: 'new' }, next.privateKey), 'RS256'), 'the new key is found at once');
  t.equal(fetches, 2);
  await t.rejects(v.verify(jws({ alg: 'RS256', kid: 'ghost' }, next.privateKey), 'RS256'), { code: 'JWS_NO_KEY' });
  t.equal(fetches, 2, 'no fetch for another unknown kid within the interval');
  now += JWKS_REFETCH_MIN_INTERVAL_MS;
  await t.rejects(v.verify(jws({ alg: 'RS256', kid: 'ghost' }, next.privateKey), 'RS256'), { code: 'JWS_NO_KEY' });
  t.equal(fetches, 3, 'after the interval, one more');

  down = true;
  now += 11 * 60_000;
  t.ok(await v.verify(jws({ alg: 'RS256', kid: 'new' }, next.privateKey), 'RS256'), 'cached keys still verify when the refresh fails');
  t.equal(fetches, 4);
  t.ok(await v.verify(jws({ alg: 'RS256', kid: 'new' }, next.privateKey), 'RS256'));
  t.equal(fetches, 4, 'a failed refresh is not retried on every login');
});

t.test('a JWKS that is not a key set', async (t) => {
  await t.rejects(new JwksVerifier(async () => ({ nope: 1 })).load(), { code: 'JWKS_FETCH' });
  await t.rejects(new JwksVerifier(async () => { throw new Error('x'); }).load(), { code: 'JWKS_FETCH' });
});
