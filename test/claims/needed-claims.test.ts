/**
 * The claims a login completes from userinfo: those the mapping and the rules
 * read, less the standard claims of scopes not requested, each once.
 */
import t from 'tap';
import { neededClaims } from '../../src/claims/needed-claims.js';

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
