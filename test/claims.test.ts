import t from 'tap';
import { applyMapping, evaluateAccess, evaluateIdentity, getClaim, mapAgentIdentity, mapChatIdentity, parseClaimMapping, readGroups, type AccessRules, type IdentityMapping } from '../src/claims.js';

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

t.test('parseClaimMapping', async (t) => {
  t.same(parseClaimMapping('email|localpart|lower'), { source: 'email|localpart|lower', path: ['email'], transforms: ['localpart', 'lower'] });
  t.same(parseClaimMapping(' a.b | trim ').path, ['a', 'b']);
  t.throws(() => parseClaimMapping('|lower'), /empty/);
  t.throws(() => parseClaimMapping('a..b'), /dotted/);
  t.throws(() => parseClaimMapping('email|reverse'), /unknown transform "reverse"/);
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

const rules = (r: Partial<AccessRules> = {}): AccessRules => ({ allowedGroups: [], groupsClaim: ['groups'], allowedEmailDomains: [], allowUnverifiedEmail: false, requireVerifiedEmail: false, usernameNeedsDomain: false, ...r });

t.test('evaluateAccess', async (t) => {
  t.same(evaluateAccess({}, rules()), { allowed: true }, 'no rules: everyone');
  t.match(evaluateAccess({ email_verified: false }, rules()), { allowed: false, rule: 'email_unverified' });
  t.match(evaluateAccess({ email_verified: 'false' }, rules()), { allowed: false, rule: 'email_unverified' }, 'the string "false" too');
  t.same(evaluateAccess({}, rules()), { allowed: true }, 'an absent email_verified is accepted (Entra ID)');
  t.same(evaluateAccess({ email_verified: false }, rules({ allowUnverifiedEmail: true })), { allowed: true });
  const g = rules({ allowedGroups: ['agents'], groupsClaim: ['realm_access', 'roles'] });
  t.same(evaluateAccess(claims, g), { allowed: true });
  t.match(evaluateAccess({ realm_access: { roles: ['Agents'] } }, g), { allowed: false, rule: 'group_not_allowed' }, 'case-sensitive');
  t.match(evaluateAccess({}, g), { allowed: false, rule: 'group_not_allowed', detail: /0 group/ });
  t.same(evaluateAccess({ email: 'a@evil.example' }, rules({ allowedEmailDomains: ['example.com'] })), { allowed: true }, 'domains are judged on the mapped identity, not here');
});

t.test('evaluateAccess: REQUIRE_VERIFIED_EMAIL', async (t) => {
  const r = rules({ requireVerifiedEmail: true });
  t.same(evaluateAccess({ email_verified: true }, r), { allowed: true });
  t.same(evaluateAccess({ email_verified: 'true' }, r), { allowed: true }, 'the string "true" too');
  t.match(evaluateAccess({}, r), { allowed: false, rule: 'email_unverified', detail: /absent/ }, 'absent is refused');
  t.match(evaluateAccess({ email_verified: 'yes' }, r), { allowed: false, rule: 'email_unverified' }, 'anything but true is refused');
  t.match(evaluateAccess({ email_verified: false }, r), { allowed: false, rule: 'email_unverified' });
});

t.test('evaluateIdentity: the domain rule judges what CommBox receives', async (t) => {
  const d = rules({ allowedEmailDomains: ['example.com'] });
  t.same(evaluateIdentity({ username: 'alice', email: 'a@EXAMPLE.com' }, d), { allowed: true });
  t.match(evaluateIdentity({ username: 'alice', email: 'a@example.com.evil.io' }, d), { allowed: false, rule: 'email_domain_not_allowed' });
  t.match(evaluateIdentity({ username: 'alice', email: 'a@sub.example.com' }, d), { allowed: false }, 'subdomains are not included');
  t.match(evaluateIdentity({ username: 'alice' }, d), { allowed: false, rule: 'email_domain_not_allowed', detail: /no email is mapped/ }, 'nothing to judge: refused');
  t.same(evaluateIdentity({ username: 'alice@example.com' }, d), { allowed: true }, 'a username with @ is judged when no email is mapped');
  t.match(evaluateIdentity({ username: 'alice@evil.example', email: 'alice@example.com' }, d), { allowed: false, detail: /of the mapped username/ }, 'a username with @ is judged too (MAP_USERNAME=upn)');
  t.match(evaluateIdentity({ username: 'alice', email: 'x@evil.com@example.com' }, d), { allowed: false, detail: /more than one @/ }, 'an ambiguous address is refused');
  t.match(evaluateIdentity({ username: 'alice', email: 'no-at-all' }, d), { allowed: false, detail: /no @domain/ });
  t.same(evaluateIdentity({ username: 'alice', email: 'a@evil.example' }, rules()), { allowed: true }, 'no domains configured: no rule');
  const extra = rules({ allowedEmailDomains: ['acquired.example'], usernameNeedsDomain: true });
  t.match(evaluateIdentity({ username: 'alice', email: 'alice@acquired.example' }, extra), { allowed: false, rule: 'username_without_domain' }, 'an extra IdP never produces a plain username');
  t.same(evaluateIdentity({ username: 'alice@acquired.example', email: 'alice@acquired.example' }, extra), { allowed: true });
  t.match(evaluateIdentity({ username: 'alice@corp.example', email: 'alice@acquired.example' }, extra), { allowed: false, rule: 'email_domain_not_allowed' }, 'nor a username of another IdP\'s domain');
  t.same(evaluateIdentity({ email: 'c@acquired.example' }, extra), { allowed: true }, 'chat identities have no username');
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
  t.same(mapAgentIdentity(claims, mapping), { ok: true, identity: { username: 'alice', email: 'alice.smith@example.com', phone1: '442501234567' } });
  t.match(mapAgentIdentity({ email: 'a@b.c' }, mapping), { ok: false, missing: 'preferred_username' });
  t.match(mapAgentIdentity({ preferred_username: 'x' }, mapping), { ok: false, missing: 'email or phone' });
  t.same(mapAgentIdentity({ preferred_username: 'x', phone: '+1' }, mapping), { ok: true, identity: { username: 'x', phone1: '+1' } });
});

t.test('mapChatIdentity', async (t) => {
  t.same(mapChatIdentity(claims, mapping), { ok: true, identity: { uniqueId: 'u1', email: 'alice.smith@example.com', phone1: '442501234567' } });
  t.same(mapChatIdentity({ sub: 'x' }, mapping), { ok: true, identity: { uniqueId: 'x' } }, 'uniqueId alone is a strong identifier');
  t.match(mapChatIdentity({ email: 'a@b.c' }, mapping), { ok: false, missing: 'sub' });
});
