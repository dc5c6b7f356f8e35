/**
 * Which claims a login must have before deciding, so that userinfo is asked
 * only when it can help.
 */

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
