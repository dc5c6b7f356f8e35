/**
 * The few checks the bridge makes on top of openid-client, each small and named:
 * what the library does not do for this client. Pure functions; each returns the
 * problem (with its check code) or undefined.
 */
import { isLoopbackHost } from '../config/parse.js';

/** A failed extra check: its code (for the log) and what it found. */
export interface CheckFailure {
  readonly check: string;
  readonly detail: string;
}

/**
 * The callback must not carry an access token: this client asked for
 * `response_type=code` (openid-client refuses `id_token`, `token` and JARM
 * `response` itself).
 */
export function checkCallbackParameters(params: URLSearchParams): CheckFailure | undefined {
  if (params.has('access_token')) return { check: 'auth_response.access_token', detail: 'the callback has an unexpected "access_token" parameter' };
  return undefined;
}

/**
 * An endpoint from the IdP metadata must be https when the issuer is (openid-client
 * lets jose fetch a `jwks_uri` of any scheme), and may be http only for a loopback
 * issuer on a loopback host (local testing).
 */
export function checkEndpoint(name: string, value: unknown, issuer: URL): CheckFailure | undefined {
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
  return { check: 'token.token_type', detail: `the token response token_type is ${JSON.stringify(String(tokenType).slice(0, 40))}, not Bearer` };
}

/**
 * Two ID token rules stricter than openid-client: an `azp` that is present must
 * name this client even with a single audience (the library checks it only with
 * several), and `sub` must not be empty (the library checks only that it is a string).
 */
export function checkIdTokenClaims(claims: Readonly<Record<string, unknown>>, clientId: string): CheckFailure | undefined {
  if (claims['azp'] !== undefined && claims['azp'] !== clientId) {
    return { check: 'id_token.azp', detail: `ID token rejected: its "azp" (${JSON.stringify(claims['azp'])?.slice(0, 100)}) is not this client` };
  }
  if (claims['sub'] === '') return { check: 'id_token.sub', detail: 'ID token rejected: its "sub" is empty' };
  return undefined;
}
