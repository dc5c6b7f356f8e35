/**
 * The IdP's authorization URL for one login: the fixed part built once by
 * openid-client, and per login the random values and the link's parameters.
 */
import { createHash } from 'node:crypto';
import * as client from 'openid-client';

/**
 * What one authorization request was made with, kept by the login layer until
 * its callback: the random values the answer must match, and when it started.
 */
export interface AuthorizationRequest {
  readonly state: string;
  readonly nonce: string;
  /** The PKCE verifier; the URL carries its S256 challenge. */
  readonly codeVerifier: string;
  /** Epoch milliseconds: with `OIDC_PROMPT=login`, the sign-in must not be older. */
  readonly createdAt: number;
}

/**
 * The part of the authorization URL every login shares: the endpoint, the
 * company's fixed parameters and the protocol's own (code flow, PKCE S256).
 */
export function authorizationUrlPrefix(
  configuration: client.Configuration,
  fixedParams: Readonly<Record<string, string>>,
  opts: { readonly redirectUri: string; readonly scopes: string },
): string {
  return client.buildAuthorizationUrl(configuration, {
    ...fixedParams,
    response_type: 'code',
    redirect_uri: opts.redirectUri,
    scope: opts.scopes,
    code_challenge_method: 'S256',
  }).href;
}

/**
 * The authorization URL of one login: `prefix` ({@link authorizationUrlPrefix})
 * with the request's random values, which are URL-safe base64 and need no
 * escaping, and `passed`, the link's parameters already filtered by
 * `passThroughParams`.
 */
export function authorizationUrl(
  prefix: string,
  request: Pick<AuthorizationRequest, 'state' | 'nonce' | 'codeVerifier'>,
  passed: Readonly<Record<string, string>>,
): string {
  const challenge = pkceChallenge(request.codeVerifier);
  let url = `${prefix}&state=${request.state}&nonce=${request.nonce}&code_challenge=${challenge}`;
  for (const [name, value] of Object.entries(passed))
    url += `&${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  return url;
}

/**
 * The S256 PKCE code challenge of a verifier (RFC 7636 §4.2):
 * base64url(SHA-256(verifier)), with node:crypto's synchronous hash.
 * openid-client's calculatePKCECodeChallenge computes the same through
 * WebCrypto's asynchronous digest, a thread-pool round trip on every login for
 * 43 bytes of input; a test checks that both agree.
 */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}
