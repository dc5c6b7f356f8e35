/**
 * Claims as the OIDC layer gathers them from the ID token, the access token and
 * userinfo. The login layer reads them with its own rules (src/claims/); here
 * only what deciding on userinfo needs: whether a claim path is present.
 */

/** A set of claims: a JWT payload or a userinfo answer. */
export type Claims = Record<string, unknown>;

/**
 * Whether `claims` has a value at `path`: the whole name at the top level (a
 * namespaced claim with dots in it), else the dotted path. Reads paths as
 * src/claims/mapping.ts `getClaim` does (a test holds them together), so that
 * userinfo is asked exactly when the login layer would find a claim missing.
 */
export function hasClaim(claims: Claims, path: readonly string[]): boolean {
  if (path.length > 1) {
    const whole = path.join('.');
    if (Object.prototype.hasOwnProperty.call(claims, whole)) return claims[whole] !== undefined;
  }
  let value: unknown = claims;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    if (!Object.prototype.hasOwnProperty.call(value, key)) return false;
    value = (value as Record<string, unknown>)[key];
  }
  return value !== undefined;
}

/** The claims of `more` that `claims` does not have yet (an earlier source wins), in one copy. */
export function withMissingClaims(claims: Claims, more: Readonly<Record<string, unknown>>): Claims {
  const added = Object.entries(more).filter(([k]) => claims[k] === undefined);
  // fromEntries and spread define own properties: a "__proto__" claim stays data, never a prototype.
  return added.length === 0 ? claims : { ...claims, ...Object.fromEntries(added) };
}
