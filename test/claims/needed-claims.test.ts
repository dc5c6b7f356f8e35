/**
 * The claims a login completes from userinfo: those the mapping and the rules
 * read, less the standard claims of scopes not requested, each once.
 */
import t from 'tap';
import { claimsToComplete, neededClaims } from '../../src/claims/needed-claims.js';
import { parseConfig } from '../../src/config/parse.js';
import { TWO_IDP_BASE } from '../helpers/config.js';

t.test('a standard claim is needed only when its scope is requested; any other claim always', async (t) => {
  const paths = [['preferred_username'], ['email'], ['phone_number'], ['groups'], ['realm_access', 'roles']];
  t.strictSame(neededClaims(paths, ['openid', 'email', 'profile']), [
    ['preferred_username'],
    ['email'],
    ['groups'],
    ['realm_access', 'roles'],
  ]);
  t.strictSame(neededClaims(paths, ['openid']), [['groups'], ['realm_access', 'roles']], 'openid alone');
  t.strictSame(
    neededClaims([['email', 'address']], ['openid']),
    [['email', 'address']],
    'a path is not a standard claim',
  );
});

t.test('each path once', async (t) => {
  t.strictSame(neededClaims([['email'], ['email_verified'], ['email']], ['openid', 'email']), [
    ['email'],
    ['email_verified'],
  ]);
});

t.test('each standard claim is released by its scope (OpenID Connect Core §5.4), and only by it', async (t) => {
  const profile = ['name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile'];
  profile.push('picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at');
  const scopeOf: Record<string, string> = {
    email: 'email',
    email_verified: 'email',
    phone_number: 'phone',
    phone_number_verified: 'phone',
    address: 'address',
    ...Object.fromEntries(profile.map((claim) => [claim, 'profile'])),
  };
  for (const [claim, scope] of Object.entries(scopeOf)) {
    t.strictSame(neededClaims([[claim]], ['openid', scope]), [[claim]], `${claim} with ${scope}`);
    t.strictSame(neededClaims([[claim]], ['openid']), [], `${claim} without ${scope}`);
  }
});

t.test('two paths that read alike joined are still two', async (t) => {
  t.strictSame(neededClaims([['a', 'b'], ['ab']], ['openid']), [['a', 'b'], ['ab']]);
});

t.test(
  "an IdP's logins need what its mapping reads, its groups claim when ruled on, email_verified when an email is",
  async (t) => {
    const idp = (env: Record<string, string>) => {
      const c = parseConfig({ ...TWO_IDP_BASE, ALLOW_ANY_AUTHENTICATED: '', ...env }).idps[0]!;
      return claimsToComplete(c.mapping, c.access, c.oidc.scopes.split(' ')).map((p) => p.join('.'));
    };
    const groups = idp({ ALLOWED_GROUPS: 'agents', GROUPS_CLAIM: 'realm_access.roles', MAP_EMAIL: '' });
    t.ok(groups.includes('realm_access.roles'), 'the groups claim, when groups are ruled on');
    t.notOk(groups.includes('email_verified'), 'no email_verified without an email mapped or ruled on');
    const domains = idp({ ALLOWED_EMAIL_DOMAINS: 'example.com' });
    t.ok(domains.includes('email_verified'), 'email_verified, when an email domain is ruled on');
    t.notOk(domains.includes('groups'), 'no groups claim without a group rule');
    t.ok(domains.includes('email'), 'what the mapping reads');
  },
);
