/**
 * Which claims a login must have before deciding, so that userinfo is asked
 * only when it can help.
 */
import type { AccessRules, IdentityMapping } from '../config/settings.js';
import { needsEmailVerified } from './access.js';
import { mappingPaths } from './mapping.js';

/** The scope that releases each standard claim (OpenID Connect Core §5.4). */
const STANDARD_CLAIM_SCOPE: Record<string, string> = {
  email: 'email',
  email_verified: 'email',
  phone_number: 'phone',
  phone_number_verified: 'phone',
  address: 'address',
  name: 'profile',
  family_name: 'profile',
  given_name: 'profile',
  middle_name: 'profile',
  nickname: 'profile',
  preferred_username: 'profile',
  profile: 'profile',
  picture: 'profile',
  website: 'profile',
  gender: 'profile',
  birthdate: 'profile',
  zoneinfo: 'profile',
  locale: 'profile',
  updated_at: 'profile',
};

/**
 * The claim paths whose absence from the ID token makes the bridge ask userinfo:
 * those the mapping and the rules read, less the standard claims of scopes not
 * requested (userinfo would not have them either). Each path once.
 */
export function neededClaims(paths: readonly (readonly string[])[], scopes: readonly string[]): (readonly string[])[] {
  const seen = new Map<string, readonly string[]>();
  for (const p of paths) {
    const scope =
      p.length === 1 && Object.hasOwn(STANDARD_CLAIM_SCOPE, p[0]!) ? STANDARD_CLAIM_SCOPE[p[0]!] : undefined;
    if (scope === undefined || scopes.includes(scope)) seen.set(p.join('.'), p);
  }
  return [...seen.values()];
}

/**
 * The claim paths an IdP's logins need before deciding: those its mapping reads, its groups claim when
 * groups are ruled on, and `email_verified` when an email is mapped or ruled on (some IdPs put it in
 * userinfo only); less what the requested scopes cannot release.
 */
export function claimsToComplete(
  mapping: IdentityMapping,
  access: AccessRules,
  scopes: readonly string[],
): (readonly string[])[] {
  const paths = mappingPaths(mapping);
  if (access.allowedGroups.length > 0) paths.push(access.groupsClaim);
  if (needsEmailVerified(mapping, access)) paths.push(['email_verified']);
  return neededClaims(paths, scopes);
}
