/**
 * The private_key_jwt key and certificate rotate under a running bridge: they are a
 * pair, so the first file written is refused (its partner does not match it yet) and
 * judged again when the second one arrives, whichever comes first.
 */
import t from 'tap';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { mountedSecret } from '../helpers/rotation.js';
import { startHostileStack } from '../helpers/stack.js';
import { selfSignedFiles } from '../helpers/tls.js';

/** A P-256 key and its self-signed certificate, as PEM text, and the certificate's x5t#S256. */
function keyPair(dir: string, name: string) {
  const files = selfSignedFiles(dir, name, '/CN=commbox-bridge');
  const cert = readFileSync(files.certFile, 'utf8');
  const key = readFileSync(files.keyFile, 'utf8');
  const x5tS256 = createHash('sha256').update(new X509Certificate(cert).raw).digest('base64url');
  return { key, cert, publicKey: createPublicKey(key), x5tS256 };
}

for (const first of ['key', 'certificate'] as const) {
  t.test(`the key and certificate rotate, the ${first} first: used together once both are written`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'client-keys-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const a = keyPair(dir, 'a');
    const b = keyPair(dir, 'b');
    let secret!: ReturnType<typeof mountedSecret>;
    const s = await startHostileStack({
      env: () => {
        secret = mountedSecret(t, { 'client-key': a.key, 'client-cert': a.cert });
        return {
          OIDC_CLIENT_AUTH: 'private_key_jwt',
          OIDC_CLIENT_SECRET: '',
          OIDC_CLIENT_PRIVATE_KEY_FILE: secret.path('client-key'),
          OIDC_CLIENT_CERTIFICATE_FILE: secret.path('client-cert'),
          SECRET_RELOAD_INTERVAL_SEC: 'off',
        };
      },
    });
    t.teardown(() => s.close());
    const login = async () => {
      const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
      return r.stoppedAt === undefined ? undefined : decodeProtectedHeader(s.idp.lastClientAssertion!)['x5t#S256'];
    };
    const events = (event: string) => s.audit.entries.filter((e) => e['event'] === event);
    s.idp.clientPublicKey = a.publicKey;
    t.equal(await login(), a.x5tS256, 'signed with the first pair');

    const [firstFile, secondFile] =
      first === 'key'
        ? (['OIDC_CLIENT_PRIVATE_KEY_FILE', 'OIDC_CLIENT_CERTIFICATE_FILE'] as const)
        : (['OIDC_CLIENT_CERTIFICATE_FILE', 'OIDC_CLIENT_PRIVATE_KEY_FILE'] as const);
    secret.update(first === 'key' ? { 'client-key': b.key } : { 'client-cert': b.cert });
    await s.secretReload.reload();
    t.match(events('secret_reload_failed'), [{ secret: firstFile, problem: /is not the certificate of the key/ }]);
    t.equal(await login(), a.x5tS256, 'half a pair is not used: the first pair still signs');

    secret.update({ 'client-key': b.key, 'client-cert': b.cert });
    await s.secretReload.reload();
    t.same(
      events('secret_reloaded')
        .map((e) => e['secret'])
        .sort(),
      [firstFile, secondFile].sort(),
      'the refused file is judged again with its partner, and both are used',
    );
    t.equal(events('secret_reload_failed').length, 1, 'nothing more refused');
    s.idp.clientPublicKey = b.publicKey;
    t.equal(await login(), b.x5tS256, 'signed with the second pair');
    t.notOk(s.logs.text.includes(b.key.split('\n')[1]!), 'no line of the new key is logged');
  });
}
