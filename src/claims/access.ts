/**
 * Access rules: pure decisions over the verified claims (groups, `email_verified`)
 * and over the identity CommBox would receive (email domains, scoped usernames).
 */
import type { AccessRules, IdentityMapping } from '../config/settings.js';
import { applyMapping, getClaim, readGroups, type Claims } from './mapping.js';

/** True when at least one rule limits who gets a ticket (groups, email domains, hosted domains). */
export function hasAccessRule(rules: AccessRules): boolean {
  return (
    rules.allowedGroups.length > 0 || rules.allowedEmailDomains.length > 0 || rules.allowedHostedDomains.length > 0
  );
}

export type AccessRule =
  | 'no_access_rule'
  | 'email_unverified'
  | 'group_not_allowed'
  | 'email_domain_not_allowed'
  | 'username_without_domain'
  | 'hosted_domain_not_allowed';

export type AccessDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly rule: AccessRule; readonly detail: string };

const isTrue = (v: unknown) => v === true || v === 'true';
const isFalse = (v: unknown) => v === false || v === 'false';

/**
 * Decides on the claims whether the user may open CommBox. `email_verified: false`
 * (or the string "false", as some IdPs send it) is refused; an absent claim is
 * accepted, because Entra ID never sends it, unless `requireVerifiedEmail`.
 */
export function evaluateAccess(claims: Claims, rules: AccessRules): AccessDecision {
  // The configuration refuses to start without a rule or ALLOW_ANY_AUTHENTICATED;
  // rules built any other way fail closed here too.
  if (!hasAccessRule(rules) && !rules.allowAnyAuthenticated) {
    return {
      allowed: false,
      rule: 'no_access_rule',
      detail: 'no access rule is configured and ALLOW_ANY_AUTHENTICATED is not true',
    };
  }
  const verified = claims['email_verified'];
  if (!rules.allowUnverifiedEmail && (isFalse(verified) || (rules.requireVerifiedEmail && !isTrue(verified)))) {
    return {
      allowed: false,
      rule: 'email_unverified',
      detail:
        verified === undefined
          ? 'email_verified is absent (REQUIRE_VERIFIED_EMAIL=true)'
          : `email_verified is ${JSON.stringify(verified)}`,
    };
  }
  if (rules.allowedGroups.length > 0) {
    const groups = readGroups(claims, rules.groupsClaim);
    if (!groups.some((g) => rules.allowedGroups.includes(g))) {
      return {
        allowed: false,
        rule: 'group_not_allowed',
        detail: `none of the user's ${groups.length} group(s) in "${rules.groupsClaim.join('.')}" is allowed`,
      };
    }
  }
  return { allowed: true };
}

/**
 * Google Workspace: decides on the ID token's own claims (never userinfo's) whether
 * the account belongs to an allowed hosted domain. A consumer Google account has
 * no `hd`: refused.
 */
export function evaluateHostedDomain(idTokenClaims: Claims, rules: AccessRules): AccessDecision {
  if (rules.allowedHostedDomains.length === 0) return { allowed: true };
  const hd = idTokenClaims['hd'];
  if (typeof hd !== 'string')
    return {
      allowed: false,
      rule: 'hosted_domain_not_allowed',
      detail: 'the ID token has no "hd" (not a Google Workspace account)',
    };
  if (!rules.allowedHostedDomains.includes(hd.toLowerCase())) {
    return {
      allowed: false,
      rule: 'hosted_domain_not_allowed',
      detail: `the ID token's "hd" ${JSON.stringify(hd.slice(0, 100))} is not allowed`,
    };
  }
  return { allowed: true };
}

/**
 * Decides on the identity CommBox would receive: the domain rule judges the
 * mapped email and the mapped username whenever it contains `@` (not the `email`
 * claim, which the mapping may not even use). With domains configured, at least
 * one such value must exist, each must have exactly one `@`, and its domain must
 * be allowed. A username mapped with `|localpart` is judged on the address it
 * was cut from, so a name from another domain cannot pass as one of ours. An
 * extra IdP's username must have a domain at all.
 */
export function evaluateIdentity(
  identity: {
    readonly username?: string | undefined;
    readonly email?: string | undefined;
    /** With `MAP_USERNAME=…|localpart`: the address before the domain was dropped, judged like the others. */
    readonly usernameBeforeLocalpart?: string | undefined;
  },
  rules: AccessRules,
): AccessDecision {
  const { username, email, usernameBeforeLocalpart } = identity;
  if (rules.usernameNeedsDomain && username !== undefined && !username.includes('@')) {
    return {
      allowed: false,
      rule: 'username_without_domain',
      detail: `the mapped username ${JSON.stringify(username.slice(0, 100))} has no "@domain"; this IdP's usernames must be name@domain (one of its own ALLOWED_EMAIL_DOMAINS)`,
    };
  }
  if (rules.allowedEmailDomains.length === 0) return { allowed: true };
  const judged: [string, string][] = [];
  if (email !== undefined) judged.push(['email', email]);
  if (username?.includes('@')) judged.push(['username', username]);
  if (usernameBeforeLocalpart !== undefined) judged.push(['username (before |localpart)', usernameBeforeLocalpart]);
  if (judged.length === 0)
    return {
      allowed: false,
      rule: 'email_domain_not_allowed',
      detail: 'no email is mapped and the username has no @domain, so no domain can be checked',
    };
  for (const [field, value] of judged) {
    const at = value.indexOf('@');
    if (at !== value.lastIndexOf('@')) {
      return { allowed: false, rule: 'email_domain_not_allowed', detail: `the mapped ${field} has more than one @` };
    }
    const domain = value.slice(at + 1).toLowerCase();
    if (at === -1 || !rules.allowedEmailDomains.includes(domain)) {
      return {
        allowed: false,
        rule: 'email_domain_not_allowed',
        detail:
          at === -1
            ? `the mapped ${field} has no @domain`
            : `the domain ${JSON.stringify(domain.slice(0, 100))} of the mapped ${field} is not allowed`,
      };
    }
  }
  return { allowed: true };
}

/** The most groups Entra ID puts in an ID token's groups claim; beyond it, the overage. */
export const ENTRA_GROUPS_CLAIM_LIMIT = 200;

/**
 * True when the ID token names the groups claim in `_claim_names` instead of
 * carrying it: Entra ID's groups overage (more than `ENTRA_GROUPS_CLAIM_LIMIT` groups).
 */
export function hasGroupsOverage(idTokenClaims: Claims, groupsClaim: readonly string[]): boolean {
  const names = idTokenClaims['_claim_names'];
  return (
    names !== null && typeof names === 'object' && Object.prototype.hasOwnProperty.call(names, groupsClaim.join('.'))
  );
}

/**
 * True when the login must know `email_verified` before deciding: an email is
 * mapped or ruled on, or REQUIRE_VERIFIED_EMAIL; never with ALLOW_UNVERIFIED_EMAIL.
 */
export function needsEmailVerified(mapping: IdentityMapping, rules: AccessRules): boolean {
  if (rules.allowUnverifiedEmail) return false;
  return rules.requireVerifiedEmail || mapping.email !== undefined || rules.allowedEmailDomains.length > 0;
}

/**
 * The claims a login cannot do without, missing from `claims`: the username (an
 * agent) or the unique ID (a chat customer); email or phone (an agent); the email
 * when email domains are ruled on and an email is mapped; the groups when groups
 * are; `email_verified` when it is needed ({@link needsEmailVerified}): an email
 * that userinfo would have called unverified must not pass because userinfo
 * failed. When userinfo fails, the login goes on only if this is empty.
 */
export function missingRequiredClaims(
  claims: Claims,
  mapping: IdentityMapping,
  rules: AccessRules,
  kind: 'agent' | 'chat',
): string[] {
  const missing: string[] = [];
  const has = (m: IdentityMapping[keyof IdentityMapping]) => m !== undefined && applyMapping(claims, m) !== undefined;
  if (kind === 'agent') {
    if (!has(mapping.username)) missing.push(mapping.username.path.join('.'));
    if (!has(mapping.email) && !has(mapping.phone)) missing.push('email or phone');
  } else if (!has(mapping.uniqueId)) missing.push(mapping.uniqueId.path.join('.'));
  if (rules.allowedEmailDomains.length > 0 && mapping.email !== undefined && !has(mapping.email))
    missing.push(mapping.email.path.join('.'));
  if (rules.allowedGroups.length > 0 && getClaim(claims, rules.groupsClaim) === undefined)
    missing.push(rules.groupsClaim.join('.'));
  if (needsEmailVerified(mapping, rules) && claims['email_verified'] === undefined) missing.push('email_verified');
  return [...new Set(missing)];
}

/**
 * The access rules a login passed, in words, for the DRY_RUN preview (call it
 * once every rule has passed).
 */
export function describePassedRules(claims: Claims, idTokenClaims: Claims, rules: AccessRules): string[] {
  const out: string[] = [];
  const verified = claims['email_verified'];
  out.push(
    rules.allowUnverifiedEmail
      ? 'email_verified: not checked (ALLOW_UNVERIFIED_EMAIL=true)'
      : verified === undefined
        ? 'email_verified: absent, accepted (REQUIRE_VERIFIED_EMAIL is off)'
        : `email_verified: ${JSON.stringify(verified)}`,
  );
  if (rules.allowedGroups.length > 0) {
    const member = readGroups(claims, rules.groupsClaim).filter((g) => rules.allowedGroups.includes(g));
    out.push(`ALLOWED_GROUPS: member of ${member.join(', ')} (at ${rules.groupsClaim.join('.')})`);
  } else out.push('ALLOWED_GROUPS: not set, any group');
  if (!hasAccessRule(rules))
    out.push("ALLOW_ANY_AUTHENTICATED=true: everyone the IdP signs in, the IdP's app assignment is the only limit");
  out.push(
    rules.allowedEmailDomains.length > 0
      ? `ALLOWED_EMAIL_DOMAINS: the domain of what CommBox receives is one of ${rules.allowedEmailDomains.join(', ')}`
      : 'ALLOWED_EMAIL_DOMAINS: not set, any domain',
  );
  if (rules.allowedHostedDomains.length > 0)
    out.push(`ALLOWED_HOSTED_DOMAINS: hd ${JSON.stringify(idTokenClaims['hd'])} is allowed`);
  if (rules.usernameNeedsDomain) out.push("the username is name@domain in this IdP's own domains");
  return out;
}
