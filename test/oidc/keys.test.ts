/**
 * The ID token signature through jose's remote JWKS: rotation recovery at once,
 * unknown keys rate-limited, no key kept past its age when the JWKS endpoint
 * stops answering, and jose's own refusals (RSA under 2048 bits, ambiguous keys).
 */
import t, { type Test } from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, sign } from 'node:crypto';
import * as jose from 'jose';
import { createHttpClient } from '../../src/net/idp-fetch.js';
import { IdpKeys, JwksFetchError, JWKS_REFETCH_MIN_INTERVAL_MS } from '../../src/oidc/keys.js';
import { oidcRefusal } from '../../src/oidc/errors.js';

async function jwksServer(t: Test) {
  const state = { keys: [] as jose.JWK[], down: false, fetches: 0 };
  const server = http.createServer((_req, res) => {
    state.fetches++;
    if (state.down) return void res.writeHead(503).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const http_ = createHttpClient({ timeoutMs: 2000 });
  t.teardown(async () => {
    await http_.close();
    server.closeAllConnections();
    server.close();
  });
  return { state, url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`), fetch: http_.fetch };
}

async function signer(alg: 'RS256' | 'ES256', kid: string | undefined) {
  const { privateKey, publicKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...(await jose.exportJWK(publicKey)), alg, use: 'sig', ...(kid ? { kid } : {}) };
  const sign = (claims: jose.JWTPayload = { sub: 'u' }) =>
    new jose.SignJWT(claims).setProtectedHeader(kid ? { alg, kid } : { alg }).sign(privateKey);
  return { jwk, sign };
}

t.test('verifies with the pinned algorithm only', async (t) => {
  const srv = await jwksServer(t);
  const rs = await signer('RS256', 'r1');
  const es = await signer('ES256', 'e1');
  srv.state.keys = [rs.jwk, es.jwk];
  const keys = new IdpKeys(srv.url, srv.fetch, { timeoutMs: 1000 });
  await keys.load();
  t.equal(keys.keyCount, 2);
  await t.resolves(keys.verify(await rs.sign(), 'RS256'));
  await t.resolves(keys.verify(await es.sign(), 'ES256'));
  await t.rejects(
    keys.verify(await es.sign(), 'RS256'),
    { code: 'ERR_JOSE_ALG_NOT_ALLOWED' },
    'another algorithm than the pinned one',
  );
  const other = await signer('RS256', 'r1');
  await t.rejects(keys.verify(await other.sign(), 'RS256'), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
});

t.test('a rotated key is fetched at once; unknown keys cause at most one fetch per interval', async (t) => {
  const srv = await jwksServer(t);
  const old = await signer('RS256', 'old');
  srv.state.keys = [old.jwk];
  const keys = new IdpKeys(srv.url, srv.fetch, { timeoutMs: 1000 });
  await keys.load();
  await keys.verify(await old.sign(), 'RS256');
  const next = await signer('RS256', 'new');
  srv.state.keys = [next.jwk];
  const before = srv.state.fetches;
  // Many logins at once after the rotation share one fetch.
  await Promise.all(Array.from({ length: 5 }, async () => keys.verify(await next.sign(), 'RS256')));
  t.equal(srv.state.fetches, before + 1, "one fetch, right after the rotation (within jose's cooldown)");
  const stranger = await signer('RS256', 'unknown');
  for (let i = 0; i < 5; i++)
    await t.rejects(keys.verify(await stranger.sign(), 'RS256'), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
  t.equal(srv.state.fetches, before + 1, `no more fetches for unknown keys within ${JWKS_REFETCH_MIN_INTERVAL_MS} ms`);
});

t.test('no key is kept past its age when the JWKS endpoint stops answering', async (t) => {
  const srv = await jwksServer(t);
  const k = await signer('ES256', 'k1');
  srv.state.keys = [k.jwk];
  const keys = new IdpKeys(srv.url, srv.fetch, { timeoutMs: 500, maxAgeMs: 200 });
  await keys.load();
  await t.resolves(keys.verify(await k.sign(), 'ES256'), 'fresh keys verify');
  srv.state.down = true;
  await new Promise((r) => setTimeout(r, 300));
  const e = await keys.verify(await k.sign(), 'ES256').catch((x: unknown) => x);
  t.ok(e instanceof Error, 'refused once the cached keys are older than their age and cannot be refetched');
  t.notOk(e instanceof jose.errors.JWSSignatureVerificationFailed, 'as a fetch failure, not a bad signature');
  t.ok(e instanceof JwksFetchError, 'a JwksFetchError');
  t.match(
    oidcRefusal('signature', e),
    { reason: 'idp_unavailable', status: 503, check: 'jwks.fetch', detail: /HTTP 503/ },
    'the IdP unavailable',
  );
  srv.state.down = false;
  await t.resolves(keys.verify(await k.sign(), 'ES256'), 'and works again once the endpoint answers');
});

t.test('jose refuses RSA keys under 2048 bits, and a token without kid when several keys match', async (t) => {
  const srv = await jwksServer(t);
  // jose will not even sign with such a key: node:crypto does.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  srv.state.keys = [{ ...publicKey.export({ format: 'jwk' }), kid: 'small', alg: 'RS256', use: 'sig' }];
  const data = `${Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'small' })).toString('base64url')}.${Buffer.from('{"sub":"u"}').toString('base64url')}`;
  const token = `${data}.${sign('sha256', Buffer.from(data), privateKey).toString('base64url')}`;
  const keys = new IdpKeys(srv.url, srv.fetch, { timeoutMs: 1000 });
  await keys.load();
  await t.rejects(keys.verify(token, 'RS256'), /2048/);

  const a = await signer('ES256', undefined);
  const b = await signer('ES256', undefined);
  srv.state.keys = [a.jwk, b.jwk];
  await keys.load();
  await t.rejects(keys.verify(await a.sign(), 'ES256'), { code: 'ERR_JWKS_MULTIPLE_MATCHING_KEYS' });
  srv.state.keys = [a.jwk];
  await keys.load();
  await t.resolves(keys.verify(await a.sign(), 'ES256'), 'one key without kid is fine');
});

t.test('a JWKS fetch that fails any way is the IdP unavailable, never an invalid token', async (t) => {
  const srv = await jwksServer(t);
  const k = await signer('ES256', 'k1');
  srv.state.keys = [k.jwk];
  const keys = new IdpKeys(srv.url, srv.fetch, { timeoutMs: 1000 });
  await keys.load();
  const unknown = await signer('ES256', 'k2'); // a new kid: the bridge must fetch again
  srv.state.down = true;
  const e = await keys.verify(await unknown.sign(), 'ES256').catch((x: unknown) => x);
  t.ok(e instanceof JwksFetchError, 'HTTP 503');
  t.match(oidcRefusal('signature', e), { reason: 'idp_unavailable', status: 503, check: 'jwks.fetch' });

  // Not JSON (a proxy's HTML page), and a closed port.
  const html = http.createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy login</html>'),
  );
  await new Promise<void>((ok) => html.listen(0, '127.0.0.1', ok));
  t.teardown(() => html.close());
  const htmlKeys = new IdpKeys(new URL(`http://127.0.0.1:${(html.address() as AddressInfo).port}/jwks`), srv.fetch, {
    timeoutMs: 1000,
  });
  const notJson = await htmlKeys.load().catch((x: unknown) => x);
  t.ok(notJson instanceof JwksFetchError, 'not JSON');
  t.match(oidcRefusal('signature', notJson), { reason: 'idp_unavailable', detail: /not JSON/ });
  const closed = new IdpKeys(new URL('http://127.0.0.1:1/jwks'), srv.fetch, { timeoutMs: 1000 });
  const refused = await closed.verify(await k.sign(), 'ES256').catch((x: unknown) => x);
  t.ok(refused instanceof JwksFetchError, 'connection refused');
  t.match(oidcRefusal('signature', refused), { reason: 'idp_unavailable', detail: /ECONNREFUSED/ });
});
