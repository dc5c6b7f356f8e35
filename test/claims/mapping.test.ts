import t from 'tap';
import { applyMapping, getClaim, mapAgentIdentity, mapChatIdentity, readGroups } from '../../src/claims/mapping.js';
import { parseClaimMapping } from '../../src/config/claim-mapping.js';
import type { IdentityMapping } from '../../src/config/settings.js';

const claims = {
  sub: 'u1',
  email: ' Alice.Smith@Example.COM ',
  email_verified: true,
  preferred_username: 'alice',
  phone: 442501234567,
  realm_access: { roles: ['agents', 'offline_access'] },
  groups: 'single-group',
  nested: { list: ['x'], 'dotted.key': 'no' },
  nothing: null,
};

t.test('getClaim reads dotted paths', async (t) => {
  t.equal(getClaim(claims, ['preferred_username']), 'alice');
  t.same(getClaim(claims, ['realm_access', 'roles']), ['agents', 'offline_access']);
  t.equal(getClaim(claims, ['realm_access', 'missing']), undefined);
  t.equal(getClaim(claims, ['nothing', 'x']), undefined);
  t.equal(getClaim(claims, ['nested', 'list', '0']), undefined, 'no indexing into arrays');
  t.equal(getClaim(claims, ['toString']), undefined, 'no prototype properties');
  t.equal(getClaim(claims, ['__proto__']), undefined);
});

t.test('applyMapping', async (t) => {
  t.equal(applyMapping(claims, parseClaimMapping('email|trim|localpart|lower')), 'alice.smith');
  t.equal(applyMapping(claims, parseClaimMapping('email|trim|domain|lower')), 'example.com');
  t.equal(applyMapping(claims, parseClaimMapping('email')), 'Alice.Smith@Example.COM', 'the result is trimmed');
  t.equal(applyMapping(claims, parseClaimMapping('phone')), '442501234567', 'numbers become strings');
  t.equal(applyMapping(claims, parseClaimMapping('realm_access')), undefined, 'objects map to nothing');
  t.equal(applyMapping(claims, parseClaimMapping('missing')), undefined);
  t.equal(applyMapping({ x: '   ' }, parseClaimMapping('x')), undefined, 'blank maps to nothing');
  t.equal(applyMapping({ x: 'no-at' }, parseClaimMapping('x|localpart')), 'no-at');
  t.equal(applyMapping({ x: 'ab' }, parseClaimMapping('x|upper')), 'AB');
});

t.test('readGroups', async (t) => {
  t.same(readGroups(claims, ['realm_access', 'roles']), ['agents', 'offline_access']);
  t.same(readGroups(claims, ['groups']), ['single-group']);
  t.same(readGroups({ groups: ['a', 1, null, 'b'] }, ['groups']), ['a', 'b']);
  t.same(readGroups({}, ['groups']), []);
});

const mapping: IdentityMapping = {
  username: parseClaimMapping('preferred_username'),
  email: parseClaimMapping('email|trim|lower'),
  firstName: parseClaimMapping('given_name'),
  lastName: undefined,
  phone: parseClaimMapping('phone'),
  uniqueId: parseClaimMapping('sub'),
};

t.test('mapAgentIdentity', async (t) => {
  t.same(mapAgentIdentity(claims, mapping), {
    ok: true,
    identity: { username: 'alice', email: 'alice.smith@example.com', phone1: '442501234567' },
  });
  t.match(mapAgentIdentity({ email: 'a@b.c' }, mapping), { ok: false, missing: ['preferred_username'] });
  t.match(mapAgentIdentity({ preferred_username: 'x' }, mapping), { ok: false, missing: ['email', 'phone'] });
  t.same(mapAgentIdentity({ preferred_username: 'x', phone: '+1' }, mapping), {
    ok: true,
    identity: { username: 'x', phone1: '+1' },
  });
});

t.test('mapChatIdentity', async (t) => {
  t.same(mapChatIdentity(claims, mapping), {
    ok: true,
    identity: { uniqueId: 'u1', email: 'alice.smith@example.com', phone1: '442501234567' },
  });
  t.same(
    mapChatIdentity({ sub: 'x' }, mapping),
    { ok: true, identity: { uniqueId: 'x' } },
    'uniqueId alone is a strong identifier',
  );
  t.match(mapChatIdentity({ email: 'a@b.c' }, mapping), { ok: false, missing: ['sub'] });
});

t.test(
  'a claim name that exists whole at the top level is taken as is (namespaced claims); otherwise dots separate levels',
  async (t) => {
    const c = {
      'https://example.com/roles': ['agents'],
      'https://example.com/employee': { id: 'E1' },
      'a.b': 'whole',
      a: { b: 'nested' },
      realm_access: { roles: ['r'] },
    };
    t.same(getClaim(c, parseClaimMapping('https://example.com/roles').path), ['agents']);
    t.equal(getClaim(c, ['a', 'b']), 'whole', 'the whole name wins over the nested path');
    t.same(getClaim(c, ['realm_access', 'roles']), ['r']);
    t.equal(
      getClaim(c, parseClaimMapping('https://example.com/employee.id').path),
      undefined,
      'a level under a namespaced claim is not read',
    );
    t.equal(applyMapping(c, parseClaimMapping('a.b|upper')), 'WHOLE');
    t.same(readGroups(c, parseClaimMapping('https://example.com/roles').path), ['agents']);
  },
);
