import t from 'tap';
import {
  describePassedRules,
  evaluateAccess,
  evaluateHostedDomain,
  evaluateIdentity,
  hasAccessRule,
  hasGroupsOverage,
  missingRequiredClaims,
  needsEmailVerified,
} from '../../src/claims/access.js';
import { parseClaimMapping } from '../../src/config/claim-mapping.js';
import type { AccessRules } from '../../src/config/settings.js';
import { NO_RULES } from '../helpers/config.js';

const claims = { sub: 'u1', realm_access: { roles: ['agents', 'offline_access'] } };

/** No rules at all, then the ones a test sets. */
const rules = (r: Partial<AccessRules> = {}): AccessRules => ({ ...NO_RULES, ...r });

t.test('evaluateAccess', async (t) => {
  t.same(evaluateAccess({}, rules()), { allowed: true }, 'no rules and ALLOW_ANY_AUTHENTICATED: everyone');
  t.match(evaluateAccess({ email_verified: false }, rules()), { allowed: false, rule: 'email_unverified' });
  t.match(
    evaluateAccess({ email_verified: 'false' }, rules()),
    { allowed: false, rule: 'email_unverified' },
    'the string "false" too',
  );
  t.same(evaluateAccess({}, rules()), { allowed: true }, 'an absent email_verified is accepted (Entra ID)');
  t.same(evaluateAccess({ email_verified: false }, rules({ allowUnverifiedEmail: true })), { allowed: true });
  const g = rules({ allowedGroups: ['agents'], groupsClaim: ['realm_access', 'roles'] });
  t.same(evaluateAccess(claims, g), { allowed: true });
  t.match(
    evaluateAccess({ realm_access: { roles: ['Agents'] } }, g),
    { allowed: false, rule: 'group_not_allowed' },
    'case-sensitive',
  );
  t.match(evaluateAccess({}, g), { allowed: false, rule: 'group_not_allowed', detail: /0 group/ });
  t.same(
    evaluateAccess({ email: 'a@evil.example' }, rules({ allowedEmailDomains: ['example.com'] })),
    { allowed: true },
    'domains are judged on the mapped identity, not here',
  );
});

t.test('evaluateAccess: REQUIRE_VERIFIED_EMAIL', async (t) => {
  const r = rules({ requireVerifiedEmail: true });
  t.same(evaluateAccess({ email_verified: true }, r), { allowed: true });
  t.same(evaluateAccess({ email_verified: 'true' }, r), { allowed: true }, 'the string "true" too');
  t.match(evaluateAccess({}, r), { allowed: false, rule: 'email_unverified', detail: /absent/ }, 'absent is refused');
  t.match(
    evaluateAccess({ email_verified: 'yes' }, r),
    { allowed: false, rule: 'email_unverified' },
    'anything but true is refused',
  );
  t.match(evaluateAccess({ email_verified: false }, r), { allowed: false, rule: 'email_unverified' });
});

t.test('evaluateIdentity: the domain rule judges what CommBox receives', async (t) => {
  const d = rules({ allowedEmailDomains: ['example.com'] });
  t.same(evaluateIdentity({ username: 'alice', email: 'a@EXAMPLE.com' }, d), { allowed: true });
  t.match(evaluateIdentity({ username: 'alice', email: 'a@example.com.evil.io' }, d), {
    allowed: false,
    rule: 'email_domain_not_allowed',
  });
  t.match(
    evaluateIdentity({ username: 'alice', email: 'a@sub.example.com' }, d),
    { allowed: false },
    'subdomains are not included',
  );
  t.match(
    evaluateIdentity({ username: 'alice' }, d),
    { allowed: false, rule: 'email_domain_not_allowed', detail: /no email is mapped/ },
    'nothing to judge: refused',
  );
  t.same(
    evaluateIdentity({ username: 'alice@example.com' }, d),
    { allowed: true },
    'a username with @ is judged when no email is mapped',
  );
  t.match(
    evaluateIdentity({ username: 'alice@evil.example', email: 'alice@example.com' }, d),
    { allowed: false, detail: /of the mapped username/ },
    'a username with @ is judged too (MAP_USERNAME=upn)',
  );
  t.match(
    evaluateIdentity({ username: 'alice', email: 'x@evil.com@example.com' }, d),
    { allowed: false, detail: /more than one @/ },
    'an ambiguous address is refused',
  );
  t.match(evaluateIdentity({ username: 'alice', email: 'no-at-all' }, d), { allowed: false, detail: /no @domain/ });
  t.same(
    evaluateIdentity({ username: 'alice', email: 'a@evil.example' }, rules()),
    { allowed: true },
    'no domains configured: no rule',
  );
  const extra = rules({ allowedEmailDomains: ['acquired.example'], usernameNeedsDomain: true });
  t.match(
    evaluateIdentity({ username: 'alice', email: 'alice@acquired.example' }, extra),
    { allowed: false, rule: 'username_without_domain' },
    'an extra IdP never produces a plain username',
  );
  t.same(evaluateIdentity({ username: 'alice@acquired.example', email: 'alice@acquired.example' }, extra), {
    allowed: true,
  });
  t.match(
    evaluateIdentity({ username: 'alice@corp.example', email: 'alice@acquired.example' }, extra),
    { allowed: false, rule: 'email_domain_not_allowed' },
    "nor a username of another IdP's domain",
  );
  t.same(
    evaluateIdentity({ email: 'c@acquired.example' }, extra),
    { allowed: true },
    'chat identities have no username',
  );
});

t.test(
  'evaluateHostedDomain: judged on the ID token hd, case-insensitive; absent refused; off when no domains',
  async (t) => {
    const r = rules({ allowedHostedDomains: ['example.com'] });
    t.same(evaluateHostedDomain({ hd: 'EXAMPLE.com' }, r), { allowed: true });
    t.match(evaluateHostedDomain({ hd: 'gmail.example' }, r), { allowed: false, rule: 'hosted_domain_not_allowed' });
    t.match(evaluateHostedDomain({}, r), { allowed: false, rule: 'hosted_domain_not_allowed', detail: /no "hd"/ });
    t.match(evaluateHostedDomain({ hd: ['example.com'] }, r), { allowed: false });
    t.same(evaluateHostedDomain({}, rules({})), { allowed: true });
  },
);

t.test('hasGroupsOverage: _claim_names names the groups claim', async (t) => {
  t.ok(hasGroupsOverage({ _claim_names: { groups: 'src1' } }, ['groups']));
  t.notOk(hasGroupsOverage({ _claim_names: { roles: 'src1' } }, ['groups']));
  t.notOk(hasGroupsOverage({ groups: ['g'] }, ['groups']));
  t.notOk(hasGroupsOverage({ _claim_names: 'groups' }, ['groups']));
  t.ok(hasGroupsOverage({ _claim_names: { 'a.b': 'src1' } }, ['a', 'b']));
});

t.test('missingRequiredClaims: what a login cannot do without when userinfo fails', async (t) => {
  const mapping = {
    username: parseClaimMapping('preferred_username'),
    email: parseClaimMapping('email'),
    firstName: parseClaimMapping('given_name'),
    lastName: undefined,
    phone: parseClaimMapping('phone_number'),
    uniqueId: parseClaimMapping('sub'),
  };
  const full = { sub: 'u', preferred_username: 'a', email: 'a@example.com', groups: ['g'], email_verified: true };
  t.same(missingRequiredClaims(full, mapping, rules(), 'agent'), [], 'given_name is optional');
  const v = { email_verified: true };
  t.same(missingRequiredClaims({ sub: 'u', email: 'a@example.com', ...v }, mapping, rules(), 'agent'), [
    'preferred_username',
  ]);
  t.same(missingRequiredClaims({ sub: 'u', preferred_username: 'a', ...v }, mapping, rules(), 'agent'), [
    'email or phone',
  ]);
  t.same(
    missingRequiredClaims({ sub: 'u', preferred_username: 'a', phone_number: '+44', ...v }, mapping, rules(), 'agent'),
    [],
    'a phone will do',
  );
  t.same(
    missingRequiredClaims(
      { sub: 'u', preferred_username: 'a', phone_number: '+44', ...v },
      mapping,
      rules({ allowedEmailDomains: ['example.com'] }),
      'agent',
    ),
    ['email'],
    'the email when domains are ruled on',
  );
  t.same(missingRequiredClaims({ ...full, groups: undefined }, mapping, rules({ allowedGroups: ['g'] }), 'agent'), [
    'groups',
  ]);
  t.same(
    missingRequiredClaims(
      { ...full, email_verified: undefined },
      mapping,
      rules({ requireVerifiedEmail: true }),
      'agent',
    ),
    ['email_verified'],
  );
  t.same(
    missingRequiredClaims({ sub: 'u', ...v }, mapping, rules(), 'chat'),
    [],
    'a chat customer needs its unique ID only',
  );
  t.same(missingRequiredClaims({ ...v }, { ...mapping, uniqueId: parseClaimMapping('oid') }, rules(), 'chat'), ['oid']);
});

t.test('missingRequiredClaims: email_verified is needed whenever an email is mapped or ruled on', async (t) => {
  const mapping = {
    username: parseClaimMapping('preferred_username'),
    email: parseClaimMapping('email'),
    firstName: undefined,
    lastName: undefined,
    phone: parseClaimMapping('phone_number'),
    uniqueId: parseClaimMapping('sub'),
  };
  const claims = { sub: 'u', preferred_username: 'a', email: 'a@example.com' };
  t.same(
    missingRequiredClaims(claims, mapping, rules(), 'agent'),
    ['email_verified'],
    'an email is mapped: userinfo might have called it unverified',
  );
  t.same(
    missingRequiredClaims({ sub: 'u' }, mapping, rules(), 'chat'),
    ['email_verified'],
    'a chat ticket carries the email too',
  );
  t.same(
    missingRequiredClaims({ ...claims, email_verified: false }, mapping, rules(), 'agent'),
    [],
    'present (the rules judge it)',
  );
  t.same(
    missingRequiredClaims(claims, mapping, rules({ allowUnverifiedEmail: true }), 'agent'),
    [],
    'ALLOW_UNVERIFIED_EMAIL: not needed',
  );
  const phoneOnly = { ...mapping, email: undefined };
  t.same(
    missingRequiredClaims({ ...claims, phone_number: '+44' }, phoneOnly, rules(), 'agent'),
    [],
    'no email mapped or ruled on: not needed',
  );
  t.same(
    missingRequiredClaims(
      { ...claims, phone_number: '+44', preferred_username: 'a@example.com' },
      phoneOnly,
      rules({ allowedEmailDomains: ['example.com'] }),
      'agent',
    ),
    ['email_verified'],
    'domains ruled on: needed',
  );
  t.ok(needsEmailVerified(mapping, rules()));
  t.notOk(needsEmailVerified(phoneOnly, rules()));
  t.ok(needsEmailVerified(phoneOnly, rules({ requireVerifiedEmail: true })));
});

t.test('evaluateIdentity: a username cut with |localpart is judged on the address it was cut from', async (t) => {
  const d = rules({ allowedEmailDomains: ['example.com'] });
  t.same(
    evaluateIdentity(
      { username: 'alice', email: 'alice@example.com', usernameBeforeLocalpart: 'alice@example.com' },
      d,
    ),
    { allowed: true },
  );
  t.match(
    evaluateIdentity(
      { username: 'alice', email: 'alice@example.com', usernameBeforeLocalpart: 'alice@evil.example' },
      d,
    ),
    {
      allowed: false,
      rule: 'email_domain_not_allowed',
      detail: /of the mapped username \(before \|localpart\) is not allowed/,
    },
    'another domain, though the email passes',
  );
  t.match(evaluateIdentity({ username: 'alice', usernameBeforeLocalpart: 'alice' }, d), {
    allowed: false,
    detail: /username \(before \|localpart\) has no @domain/,
  });
});

t.test('an email-domain or a hosted-domain rule on its own is an access rule: no no_access_rule refusal', async (t) => {
  const none = rules({ allowAnyAuthenticated: false });
  t.match(evaluateAccess({}, none), {
    allowed: false,
    rule: 'no_access_rule',
    detail: 'no access rule is configured and ALLOW_ANY_AUTHENTICATED is not true',
  });
  t.same(evaluateAccess({}, rules({ allowAnyAuthenticated: false, allowedEmailDomains: ['example.com'] })), {
    allowed: true,
  });
  t.same(evaluateAccess({}, rules({ allowAnyAuthenticated: false, allowedHostedDomains: ['example.com'] })), {
    allowed: true,
  });
  t.ok(hasAccessRule(rules({ allowedEmailDomains: ['example.com'] })));
  t.ok(hasAccessRule(rules({ allowedHostedDomains: ['example.com'] })));
  t.notOk(hasAccessRule(rules()));
});

t.test('refusal details name the value found and the claim path, cut to 100 characters', async (t) => {
  t.match(evaluateAccess({ email_verified: false }, rules()), { detail: 'email_verified is false' });
  t.match(evaluateAccess({ email_verified: 'false' }, rules()), { detail: 'email_verified is "false"' });
  const g = rules({ allowedGroups: ['agents'], groupsClaim: ['realm_access', 'roles'] });
  t.match(evaluateAccess({ realm_access: { roles: ['x', 'y'] } }, g), {
    detail: `none of the user's 2 group(s) in "realm_access.roles" is allowed`,
  });
  const long = 'x'.repeat(500);
  const hd = evaluateHostedDomain({ hd: `${long}.example` }, rules({ allowedHostedDomains: ['example.com'] }));
  t.match(hd, { rule: 'hosted_domain_not_allowed', detail: `the ID token's "hd" "${'x'.repeat(100)}" is not allowed` });
  const extra = rules({ allowedEmailDomains: ['acquired.example'], usernameNeedsDomain: true });
  t.match(evaluateIdentity({ username: 'alice' }, extra), { detail: /^the mapped username "alice" has no "@domain"/ });
  const user = evaluateIdentity({ username: long }, extra);
  t.ok(!user.allowed && user.detail.includes(`"${'x'.repeat(100)}"`) && !user.detail.includes('x'.repeat(101)));
  const d = rules({ allowedEmailDomains: ['example.com'] });
  t.match(evaluateIdentity({ email: 'a@evil.example' }, d), {
    detail: 'the domain "evil.example" of the mapped email is not allowed',
  });
  const domain = evaluateIdentity({ email: `a@${long}` }, d);
  t.ok(!domain.allowed && domain.detail.includes(`"${'x'.repeat(100)}"`) && !domain.detail.includes('x'.repeat(101)));
  t.match(evaluateIdentity({ email: 'x@evil.com@example.com' }, d), {
    allowed: false,
    rule: 'email_domain_not_allowed',
    detail: 'the mapped email has more than one @',
  });
});

t.test('an address without @ is refused even when it reads like an allowed domain', async (t) => {
  const d = rules({ allowedEmailDomains: ['example.com'] });
  t.match(evaluateIdentity({ email: 'example.com' }, d), {
    allowed: false,
    rule: 'email_domain_not_allowed',
    detail: 'the mapped email has no @domain',
  });
  t.match(evaluateIdentity({ username: 'alice', usernameBeforeLocalpart: 'example.com' }, d), {
    allowed: false,
    detail: 'the mapped username (before |localpart) has no @domain',
  });
});

t.test('hasGroupsOverage: a null _claim_names is no overage (and no crash)', async (t) => {
  t.notOk(hasGroupsOverage({ _claim_names: null }, ['groups']));
});

t.test('missingRequiredClaims names nested claims by their dotted path; present groups are not missing', async (t) => {
  const mapping = {
    username: parseClaimMapping('profile.login'),
    email: parseClaimMapping('contact.mail'),
    firstName: undefined,
    lastName: undefined,
    phone: undefined,
    uniqueId: parseClaimMapping('ids.oid'),
  };
  const r = rules({ allowedEmailDomains: ['example.com'], allowedGroups: ['g'], groupsClaim: ['realm', 'roles'] });
  t.same(missingRequiredClaims({ email_verified: true }, mapping, r, 'agent'), [
    'profile.login',
    'email or phone',
    'contact.mail',
    'realm.roles',
  ]);
  t.same(missingRequiredClaims({ email_verified: true }, mapping, rules(), 'chat'), ['ids.oid']);
  const full = {
    email_verified: true,
    profile: { login: 'a' },
    contact: { mail: 'a@example.com' },
    realm: { roles: ['g'] },
  };
  t.same(missingRequiredClaims(full, mapping, r, 'agent'), [], 'the groups are there: not missing');
});

t.test('describePassedRules: the DRY_RUN preview says which rule let the user through', async (t) => {
  t.same(describePassedRules({}, {}, rules()), [
    'email_verified: absent, accepted (REQUIRE_VERIFIED_EMAIL is off)',
    'ALLOWED_GROUPS: not set, any group',
    "ALLOW_ANY_AUTHENTICATED=true: everyone the IdP signs in, the IdP's app assignment is the only limit",
    'ALLOWED_EMAIL_DOMAINS: not set, any domain',
  ]);
  const all = rules({
    allowAnyAuthenticated: false,
    allowedGroups: ['agents', 'leads', 'other'],
    groupsClaim: ['realm_access', 'roles'],
    allowedEmailDomains: ['example.com', 'example.org'],
    allowedHostedDomains: ['example.com'],
    usernameNeedsDomain: true,
  });
  const claims = { email_verified: true, realm_access: { roles: ['agents', 'staff', 'leads'] } };
  t.same(describePassedRules(claims, { hd: 'example.com' }, all), [
    'email_verified: true',
    'ALLOWED_GROUPS: member of agents, leads (at realm_access.roles)',
    'ALLOWED_EMAIL_DOMAINS: the domain of what CommBox receives is one of example.com, example.org',
    'ALLOWED_HOSTED_DOMAINS: hd "example.com" is allowed',
    "the username is name@domain in this IdP's own domains",
  ]);
  t.same(describePassedRules({ email_verified: false }, {}, rules({ allowUnverifiedEmail: true })).slice(0, 1), [
    'email_verified: not checked (ALLOW_UNVERIFIED_EMAIL=true)',
  ]);
});
