/**
 * The few checks the bridge makes on top of openid-client, each small and named:
 * what the library does not do for this client. Pure functions; each returns the
 * problem (with its check code) or undefined.
 */
import type { Check } from '../errors.js';
import { isLoopbackHost } from '../config/urls.js';

/** A failed extra check: its code (for the log) and what it found. */
export interface CheckFailure {
  readonly check: Check;
  readonly detail: string;
}

/**
 * The callback must not carry an access token: this client asked for
 * `response_type=code` (openid-client refuses `id_token`, `token` and JARM
 * `response` itself).
 */
export function checkCallbackParameters(params: URLSearchParams): CheckFailure | undefined {
  if (params.has('access_token'))
    return { check: 'auth_response.access_token', detail: 'the callback has an unexpected "access_token" parameter' };
  return undefined;
}

/**
 * An endpoint from the IdP metadata must be https when the issuer is (openid-client
 * lets jose fetch a `jwks_uri` of any scheme), and may be http only for a loopback
 * issuer on a loopback host (local testing).
 */
export function checkEndpoint(
  name: 'authorization_endpoint' | 'token_endpoint' | 'jwks_uri' | 'userinfo_endpoint' | 'end_session_endpoint',
  value: unknown,
  issuer: URL,
): CheckFailure | undefined {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    return { check: `metadata.${name}`, detail: `the IdP metadata has no usable ${name}` };
  }
  const httpAllowed = issuer.protocol === 'http:' && url.protocol === 'http:' && isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !httpAllowed) {
    return { check: `metadata.${name}`, detail: `the IdP metadata ${name} is not https: ${url.href.slice(0, 200)}` };
  }
  return undefined;
}

/** The token response's `token_type` must be Bearer: this client does not use DPoP or anything else. */
export function checkTokenType(tokenType: unknown): CheckFailure | undefined {
  if (typeof tokenType === 'string' && tokenType.toLowerCase() === 'bearer') return undefined;
  return {
    check: 'token.token_type',
    detail: `the token response token_type is ${JSON.stringify(String(tokenType).slice(0, 40))}, not Bearer`,
  };
}

/**
 * Two ID token rules stricter than openid-client: an `azp` that is present must
 * name this client even with a single audience (the library checks it only with
 * several), and `sub` must not be empty (the library checks only that it is a string).
 */
export function checkIdTokenClaims(
  claims: Readonly<Record<string, unknown>>,
  clientId: string,
): CheckFailure | undefined {
  if (claims['azp'] !== undefined && claims['azp'] !== clientId) {
    return {
      check: 'id_token.azp',
      detail: `ID token rejected: its "azp" (${JSON.stringify(claims['azp'])?.slice(0, 100)}) is not this client`,
    };
  }
  if (claims['sub'] === '') return { check: 'id_token.sub', detail: 'ID token rejected: its "sub" is empty' };
  return undefined;
}

/**
 * `iat` must not lie in the future by more than the clock tolerance: openid-client
 * checks only that it is a number (and `exp` and `nbf` against the clock).
 */
export function checkIssuedAt(
  claims: Readonly<Record<string, unknown>>,
  nowMs: number,
  toleranceSec: number,
): CheckFailure | undefined {
  const iat = claims['iat'];
  if (typeof iat !== 'number') return { check: 'id_token.iat', detail: 'ID token rejected: it has no numeric "iat"' };
  const ahead = iat - nowMs / 1000;
  if (ahead > toleranceSec) {
    return {
      check: 'id_token.iat',
      detail: `ID token rejected: its "iat" is ${Math.round(ahead)} s in the future, more than OIDC_CLOCK_TOLERANCE_SEC (${toleranceSec} s): check the clocks`,
    };
  }
  return undefined;
}

/**
 * How much earlier than the login's start, on the IdP's clock as measured, a
 * sign-in may be dated: `auth_time` and `iat` have whole seconds (up to 1 s lost
 * each way), and an IdP's nodes may differ by a little. Nobody can open the
 * IdP's page and type a password in less.
 */
export const SIGN_IN_MARGIN_SEC = 2;

/**
 * `prompt=login` asks the IdP for a fresh sign-in, but a person at the browser can
 * delete it from the IdP's URL and reuse the IdP session of whoever signed in
 * before: the sign-in the ID token confirms (`auth_time`) must not be earlier than
 * the start of this login (`sinceMs`, from the sealed login cookie).
 *
 * The two times come from two clocks. Rather than allow the whole clock
 * tolerance (a login started up to that long after someone else's sign-in would
 * pass), the IdP's clock is measured on this very token: skew = `iat` − now
 * (`nowMs`, when the token is verified; `iat` more than the tolerance ahead is
 * refused by checkIssuedAt). The login's start on the IdP's clock is then
 * `sinceMs` + skew, less {@link SIGN_IN_MARGIN_SEC}. The time the token took to
 * arrive only makes the skew look smaller, which errs toward accepting; the
 * bound is never looser than the clock tolerance.
 *
 * An absent `auth_time` (or `iat`) proves nothing and is refused too: the second
 * lock behind openid-client's `require_auth_time`.
 */
export function checkSignedInSince(
  claims: Readonly<Record<string, unknown>>,
  sinceMs: number,
  nowMs: number,
  toleranceSec: number,
): CheckFailure | undefined {
  const authTime = claims['auth_time'];
  if (typeof authTime !== 'number') {
    return {
      check: 'id_token.auth_time',
      detail:
        'ID token rejected: it has no "auth_time", which OIDC_PROMPT=login needs to prove a fresh sign-in (OIDC_MAX_AGE makes most IdPs send it)',
    };
  }
  const iat = claims['iat'];
  if (typeof iat !== 'number')
    return {
      check: 'id_token.iat',
      detail: 'ID token rejected: it has no numeric "iat" to measure the IdP\'s clock by',
    };
  const skew = iat - nowMs / 1000;
  // The earliest sign-in accepted, on the IdP's clock; at worst (an iat far in
  // the past) the start's second less the tolerance.
  const earliest = Math.max(sinceMs / 1000 + skew - SIGN_IN_MARGIN_SEC, Math.floor(sinceMs / 1000) - toleranceSec);
  if (authTime < earliest) {
    const earlier = Math.round(sinceMs / 1000 + skew - authTime);
    return {
      check: 'id_token.auth_time',
      detail: `the ID token confirms a sign-in ${earlier} s before this login started (the IdP's clock measured ${Math.round(skew)} s from ours by "iat"), but OIDC_PROMPT=login asks for a fresh one: "prompt" was removed from the IdP's URL, or the IdP ignores it`,
    };
  }
  return undefined;
}

/**
 * When the company asks for `acr_values` (`OIDC_AUTH_PARAMS`), the ID token's
 * `acr` must be one of them: an IdP may answer with another class, or none
 * (OpenID Connect Core §3.1.2.1 makes the request voluntary), and a person at
 * the browser can delete the parameter. An empty list accepts nothing.
 */
export function checkAcr(
  claims: Readonly<Record<string, unknown>>,
  acrValues: readonly string[],
): CheckFailure | undefined {
  const acr = claims['acr'];
  if (typeof acr === 'string' && acrValues.includes(acr)) return undefined;
  return {
    check: 'id_token.acr',
    detail: `the ID token's "acr" is ${acr === undefined ? 'absent' : JSON.stringify(acr).slice(0, 100)}, not one of the acr_values OIDC_AUTH_PARAMS asks for (${acrValues.join(' ').slice(0, 200)})`,
  };
}
