/**
 * The OIDC layer's reading of claim paths, which decides whether userinfo is
 * asked: it must find a claim exactly where the login layer's getClaim does.
 */
import t from 'tap';
import { hasClaim, withMissingClaims, type Claims } from '../../src/oidc/claim-set.js';
import { getClaim } from '../../src/claims/mapping.js';

const CLAIMS: Claims = JSON.parse(
  JSON.stringify({
    email: 'a@example.com',
    empty: '',
    zero: 0,
    no: false,
    nothing: null,
    list: ['a', 'b'],
    realm_access: { roles: ['agent'], nested: { deep: 'yes', nothing: null } },
    'https://example.com/claims.groups': ['g1'],
    'https://example.com/claims': { groups: ['other'] },
    'a.b': 'whole name',
    a: { b: 'path', c: 'only by path' },
  }),
) as Claims;

const PATHS: string[][] = [
  [],
  ['email'],
  ['empty'],
  ['zero'],
  ['no'],
  ['nothing'],
  ['missing'],
  ['list'],
  ['list', '0'],
  ['list', 'length'],
  ['realm_access', 'roles'],
  ['realm_access', 'nested', 'deep'],
  ['realm_access', 'nested', 'nothing'],
  ['realm_access', 'nested', 'missing'],
  ['realm_access', 'missing', 'deep'],
  ['email', 'length'],
  ['nothing', 'x'],
  ['https://example', 'com/claims', 'groups'],
  ['https://example.com/claims', 'groups'],
  ['a', 'b'],
  ['a', 'c'],
  ['toString'],
  ['__proto__'],
  ['constructor', 'name'],
  ['realm_access', 'hasOwnProperty'],
];

t.test('a claim path is present exactly when getClaim finds a value there', async (t) => {
  for (const path of PATHS) {
    t.equal(hasClaim(CLAIMS, path), getClaim(CLAIMS, path) !== undefined, `[${path.join(', ')}]`);
  }
  // The cases the table must hold, so that it cannot pass with hasClaim always one answer.
  t.equal(hasClaim(CLAIMS, ['a', 'b']), true);
  t.equal(hasClaim(CLAIMS, ['https://example.com/claims', 'groups']), true);
  t.equal(hasClaim(CLAIMS, ['nothing']), true, 'a null claim is present (the rules judge its value)');
  t.equal(hasClaim(CLAIMS, ['realm_access', 'missing', 'deep']), false);
  t.equal(hasClaim(CLAIMS, ['toString']), false, 'never a property of the prototype');
});

t.test('claims from a later source fill only what is missing', async (t) => {
  const idToken: Claims = { sub: 'u1', email: 'id@example.com' };
  const same = withMissingClaims(idToken, { sub: 'other', email: 'userinfo@example.com' });
  t.equal(same, idToken, 'nothing new: the same object');
  const filled = withMissingClaims(idToken, { email: 'userinfo@example.com', groups: ['g'] });
  t.same(filled, { sub: 'u1', email: 'id@example.com', groups: ['g'] });
  t.same(idToken, { sub: 'u1', email: 'id@example.com' }, 'the first source is not changed');
  const hostile = withMissingClaims(idToken, JSON.parse('{"__proto__": {"admin": true}}') as Claims);
  t.equal(Object.getPrototypeOf(hostile), Object.prototype, 'a "__proto__" claim stays data');
  t.equal((hostile as { admin?: unknown }).admin, undefined);
});
