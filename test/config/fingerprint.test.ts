/**
 * The start-up audit line's fingerprint of the settings: the names of the
 * variables set, and a hash of the non-secret values only, never a secret's
 * value nor its hash.
 */
import t from 'tap';
import { settingsFingerprint } from '../../src/config/fingerprint.js';
import { parseConfig, secretValues } from '../../src/config/parse.js';

const BASE = {
  PUBLIC_URL: 'https://sso.example.com',
  OIDC_ISSUER: 'https://idp.example.com',
  OIDC_CLIENT_ID: 'commbox',
  OIDC_CLIENT_SECRET: 'client-secret-value-0123456789',
  COMMBOX_API_KEY: 'api-key-value-0123456789',
  COMMBOX_BRAND: 'acme',
  COMMBOX_LOGIN_URL: 'https://acme.commbox.io/login',
  COOKIE_SECRET: 'Zk3q9P0vLw7xR2mT8yB5nC1dF6gH4jK0sA9eU3iO7pQ=',
  ALLOWED_GROUPS: 'agents',
};

const fingerprint = (env: Record<string, string>, readFile?: (p: string) => string) => {
  const config = parseConfig(env, readFile);
  return settingsFingerprint(env, config, secretValues(config));
};

t.test('the variables set, by name; a hash that follows the non-secret values only', async (t) => {
  const f = fingerprint(BASE);
  t.same(f.variablesSet, Object.keys(BASE).sort());
  t.match(f.settingsSha256, /^[0-9a-f]{64}$/);
  t.equal(fingerprint({ ...BASE }).settingsSha256, f.settingsSha256, 'the same settings, the same hash');
  t.not(fingerprint({ ...BASE, ALLOWED_GROUPS: 'others' }).settingsSha256, f.settingsSha256, 'a setting changes it');
  t.equal(
    fingerprint({ ...BASE, COMMBOX_API_KEY: 'another-api-key-0123456789' }).settingsSha256,
    f.settingsSha256,
    "a secret's value does not (it is never hashed)",
  );
  t.notOk(JSON.stringify(f).includes(BASE.COMMBOX_API_KEY));
  // Without the second lock (no values to hide), a secret variable's value is still left out.
  const unhidden = (env: Record<string, string>) => settingsFingerprint(env, parseConfig(env), []).settingsSha256;
  t.equal(
    unhidden({ ...BASE, COOKIE_SECRET: 'Qm9vZ3VzLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVmZ2g=' }),
    unhidden(BASE),
    'a secret variable is never hashed, hidden or not',
  );
});

t.test("a secret from a file counts by its path; an extra IdP's variables by their own names", async (t) => {
  const { COMMBOX_API_KEY: _, ...rest } = BASE;
  const env = {
    ...rest,
    COMMBOX_API_KEY_FILE: '/run/secrets/api-key',
    ALLOWED_EMAIL_DOMAINS: 'example.com',
    OIDC_IDPS: 'partner',
    IDP_PARTNER_ALLOWED_EMAIL_DOMAINS: 'partner.example.com',
    IDP_PARTNER_ISSUER: 'https://partner.example.com',
    IDP_PARTNER_CLIENT_ID: 'commbox',
    IDP_PARTNER_CLIENT_SECRET: 'partner-secret-0123456789',
  };
  const f = fingerprint(env, () => 'api-key-from-file-0123456789');
  for (const v of ['COMMBOX_API_KEY_FILE', 'IDP_PARTNER_ISSUER', 'IDP_PARTNER_CLIENT_SECRET'])
    t.ok(f.variablesSet.includes(v), v);
  t.notOk(f.variablesSet.includes('COMMBOX_API_KEY'));
  t.not(
    fingerprint({ ...env, COMMBOX_API_KEY_FILE: '/elsewhere' }, () => 'api-key-from-file-0123456789').settingsSha256,
    f.settingsSha256,
    'another path, another hash',
  );
  t.equal(
    fingerprint(
      { ...env, IDP_PARTNER_CLIENT_SECRET: 'other-partner-secret-0123456789' },
      () => 'api-key-from-file-0123456789',
    ).settingsSha256,
    f.settingsSha256,
    "an extra IdP's secret is not hashed either",
  );
});

t.test("a secret quoted in another variable (a proxy URL's password) is hidden before hashing", async (t) => {
  const proxy = (password: string) => ({ ...BASE, HTTPS_PROXY: `http://user:${password}@proxy.example.com:3128` });
  t.equal(
    fingerprint(proxy('first-password')).settingsSha256,
    fingerprint(proxy('second-password')).settingsSha256,
    "the proxy's password changes nothing",
  );
  t.not(
    fingerprint(proxy('first-password')).settingsSha256,
    fingerprint({ ...proxy('first-password'), HTTPS_PROXY: 'http://user:first-password@other.example.com:3128' })
      .settingsSha256,
    'its host does',
  );
});
