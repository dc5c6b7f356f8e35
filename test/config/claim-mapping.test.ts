/** The claim mapping expression of MAP_* and GROUPS_CLAIM: `path|transform…`. */
import t from 'tap';
import { parseClaimMapping, parseClaimPath, TRANSFORM_NAMES } from '../../src/config/claim-mapping.js';

t.test('parseClaimMapping', async (t) => {
  t.same(parseClaimMapping('email|localpart|lower'), {
    source: 'email|localpart|lower',
    path: ['email'],
    transforms: ['localpart', 'lower'],
  });
  t.same(parseClaimMapping(' a.b | trim ').path, ['a', 'b']);
  t.throws(() => parseClaimMapping('|lower'), /empty/);
  t.throws(() => parseClaimMapping('a..b'), /dotted/);
  t.throws(() => parseClaimMapping('email|reverse'), /unknown transform "reverse"/);
});

t.test('a path splits at every dot; transforms may repeat; names are exact', async (t) => {
  t.same(
    parseClaimMapping('https://example.com/roles').path,
    ['https://example', 'com/roles'],
    'a namespaced claim too: reading it tries the whole name first',
  );
  t.same(parseClaimMapping('email|lower|lower').transforms, ['lower', 'lower']);
  t.throws(() => parseClaimMapping('email|'), /unknown transform ""/, 'an empty transform is not one');
  t.throws(() => parseClaimMapping('email|LOWER'), /unknown transform "LOWER"/, 'names are case-sensitive');
});

t.test('parseClaimPath: the path of a mapping, its problems the same', async (t) => {
  t.same(parseClaimPath('realm_access.roles'), ['realm_access', 'roles']);
  t.same(parseClaimPath(' groups '), ['groups']);
  t.throws(() => parseClaimPath('a..b'), /"a..b" is not a dotted claim path/);
  t.throws(() => parseClaimPath(''), /the claim path is empty/);
});

t.test('the transforms, in the order messages list them', async (t) => {
  t.same(TRANSFORM_NAMES, ['lower', 'upper', 'trim', 'localpart', 'domain']);
  t.throws(() => parseClaimMapping('email|reverse'), {
    message: 'unknown transform "reverse" (known: lower, upper, trim, localpart, domain)',
  });
});
