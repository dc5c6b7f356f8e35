/**
 * The verification of one callback through openid-client (OpenID Certified):
 * the authorization response, the code grant with PKCE, state and nonce, every
 * ID token claim check, the ID token signature by jose against the IdP's JWKS
 * ({@link IdpKeys}), the stricter rules of `checks.ts`, the access token's
 * claims when configured, and userinfo with the expected `sub`. Every library
 * error becomes a refusal in `errors.ts`.
 */
import * as client from 'openid-client';
import { BridgeError, Reasons, type Reason } from '../errors.js';
import { untilAborted, type LoginClock } from '../net/deadline.js';
import { inSpan } from '../observability/tracing.js';
import type { AuthorizationRequest } from './authorization-url.js';
import {
  checkAcr,
  checkCallbackParameters,
  checkIdTokenClaims,
  checkIssuedAt,
  checkSignedInSince,
  checkTokenType,
  type CheckFailure,
} from './checks.js';
import { hasClaim, withMissingClaims, type Claims } from './claim-set.js';
import type { Discovery, DiscoveredIdp } from './discovery.js';
import { oidcRefusal, type OidcStep } from './errors.js';
import type { IdpKeys } from './keys.js';
import type { SignInRequirements } from './options.js';

/** What verifying a callback needs of the IdP's settings. */
export interface CallbackSettings extends SignInRequirements {
  readonly clientId: string;
  readonly redirectUri: string;
  /** `OIDC_MAX_AGE` in seconds: `auth_time` is then required and checked. */
  readonly maxAge: number | undefined;
  readonly clockToleranceSec: number;
  /** `ACCESS_TOKEN_CLAIMS`: a verified JWT access token's claims are read too. */
  readonly accessTokenClaims: boolean;
}

/** One callback and what the login layer knows of it. */
export interface Callback {
  /** The callback's query. */
  readonly params: URLSearchParams;
  /** The live login transaction it answers. */
  readonly request: AuthorizationRequest;
  /** Claim paths the login layer reads: userinfo is asked when one is missing. */
  readonly neededClaims: readonly (readonly string[])[];
  /** The login's deadline, and where it says which step runs. */
  readonly clock: LoginClock | undefined;
  /** Called once the tokens verified: the code was the IdP's own, whatever is refused after. */
  readonly onTokensVerified: (() => void) | undefined;
}

/** What a successful callback yields. */
export interface VerifiedLogin {
  /** ID token claims, completed from the access token and userinfo when needed. */
  readonly claims: Claims;
  /** The ID token's own claims. */
  readonly idTokenClaims: Claims;
  /** The verified access token's claims (`ACCESS_TOKEN_CLAIMS`), and userinfo's answer, when they were read. */
  readonly accessTokenPayload: Claims | undefined;
  readonly userinfoClaims: Claims | undefined;
  /** For Microsoft Graph (`GROUPS_OVERAGE=graph`); never logged. */
  readonly accessToken: string;
  /** `ACCESS_TOKEN_CLAIMS`: whether the access token's claims were read; undefined when off. */
  readonly accessTokenClaims: 'read' | 'opaque' | 'unverified' | undefined;
  /** Userinfo failed (not for another `sub`): the caller refuses when a required claim is missing. */
  readonly userinfoError: BridgeError | undefined;
  readonly sub: string;
  readonly usedUserinfo: boolean;
  /** Milliseconds spent on the code grant (with the signature check) and on userinfo. */
  readonly tokenMs: number;
  readonly userinfoMs: number;
}

/**
 * Verifies a callback of a live transaction with `configuration` (whose
 * requests carry the login's deadline). Claims are read from the ID token, then
 * the access token when `ACCESS_TOKEN_CLAIMS` and it verifies, then userinfo
 * when one of the needed claims is still missing; an earlier source wins.
 *
 * A userinfo answer for another `sub` always refuses; any other userinfo
 * failure is returned as `userinfoError`, for the caller to refuse only when a
 * required claim is still missing.
 *
 * `onTokensVerified` is called once the token response and the ID token (its
 * signature and the library's and {@link checkIdTokenClaims}'s claim checks)
 * verified.
 */
export async function verifyCallback(
  settings: CallbackSettings,
  discovery: Pick<Discovery, 'idp' | 'keys'>,
  configuration: client.Configuration,
  callback: Callback,
): Promise<VerifiedLogin> {
  const { idp, keys } = discovery;
  const { params, request, clock } = callback;
  const signal = clock?.signal;
  refuseIf(checkCallbackParameters(params), Reasons.callbackInvalid);

  const tokenStart = performance.now();
  // The redirect URI is this IdP's own, whatever path a proxy showed the bridge.
  const currentUrl = new URL(`${settings.redirectUri}?${params.toString()}`);
  clock?.enter('token');
  // The step's span is outside libraryStep, so that it carries the refusal's reason and check.
  const tokens = await inSpan('oidc.token', {}, () =>
    libraryStep('callback', () =>
      client.authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: request.codeVerifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
        idTokenExpected: true,
        // OIDC_MAX_AGE: auth_time is then required and checked (with the clock tolerance).
        ...(settings.maxAge !== undefined ? { maxAge: settings.maxAge } : {}),
      }),
    ),
  );
  refuseIf(checkTokenType(tokens.token_type), Reasons.tokenExchangeFailed);
  // A JWKS refetch is shared by the logins waiting on it: this one stops waiting at its deadline.
  clock?.enter('signature');
  await libraryStep('signature', () => untilAborted(keys.verify(tokens.id_token!, idp.idTokenAlg), signal));
  const idTokenClaims: Claims = { ...tokens.claims()! };
  refuseIf(checkIdTokenClaims(idTokenClaims, settings.clientId), Reasons.idTokenInvalid);
  callback.onTokensVerified?.();
  refuseIf(checkIssuedAt(idTokenClaims, Date.now(), settings.clockToleranceSec), Reasons.idTokenInvalid);
  // What the company asked of the sign-in is verified, not only requested:
  // the browser carries the request, and anyone at it can edit it.
  if (settings.freshSignIn) {
    refuseIf(
      checkSignedInSince(idTokenClaims, request.createdAt, Date.now(), settings.clockToleranceSec),
      Reasons.reauthenticationMissing,
    );
  }
  if (settings.acrValues !== undefined) refuseIf(checkAcr(idTokenClaims, settings.acrValues), Reasons.acrNotSatisfied);
  const tokenMs = performance.now() - tokenStart;
  const sub = idTokenClaims['sub'] as string;

  let claims: Claims = idTokenClaims;
  let accessTokenClaims: VerifiedLogin['accessTokenClaims'];
  let accessTokenPayload: Claims | undefined;
  if (settings.accessTokenClaims) {
    clock?.enter('access_token');
    const read = await readAccessTokenClaims(keys, tokens.access_token, sub, idp, settings.clockToleranceSec, signal);
    accessTokenClaims = read.outcome;
    accessTokenPayload = read.claims;
    if (accessTokenPayload) claims = withMissingClaims(claims, accessTokenPayload);
  }

  let usedUserinfo = false;
  let userinfoMs = 0;
  let userinfoError: BridgeError | undefined;
  let userinfoClaims: Claims | undefined;
  if (idp.userinfoEndpoint !== undefined && callback.neededClaims.some((p) => !hasClaim(claims, p))) {
    const userinfoStart = performance.now();
    clock?.enter('userinfo');
    try {
      userinfoClaims = await inSpan('oidc.userinfo', {}, () =>
        libraryStep('userinfo', () => client.fetchUserInfo(configuration, tokens.access_token, sub)),
      );
      claims = withMissingClaims(claims, userinfoClaims);
      usedUserinfo = true;
    } catch (e) {
      const refusal = e as BridgeError;
      if (refusal.reason === Reasons.userinfoSubMismatch) throw refusal;
      userinfoError = refusal;
    }
    userinfoMs = performance.now() - userinfoStart;
  }
  return {
    claims,
    idTokenClaims,
    accessTokenPayload,
    userinfoClaims,
    sub,
    accessToken: tokens.access_token,
    usedUserinfo,
    userinfoError,
    accessTokenClaims,
    tokenMs,
    userinfoMs,
  };
}

/**
 * The access token's claims, only when it is a JWT that verifies against the
 * IdP's keys with the ID token's algorithm, with the IdP as `iss`, an `exp` not
 * passed and the ID token's `sub`. Anything else contributes nothing.
 */
async function readAccessTokenClaims(
  keys: IdpKeys,
  accessToken: string,
  sub: string,
  idp: DiscoveredIdp,
  clockToleranceSec: number,
  signal: AbortSignal | undefined,
): Promise<{ outcome: 'read' | 'opaque' | 'unverified'; claims?: Claims }> {
  if (accessToken.split('.').length !== 3) return { outcome: 'opaque' };
  try {
    const payload = await untilAborted(
      keys.verifyJwt(accessToken, idp.idTokenAlg, { issuer: idp.issuer, clockToleranceSec }),
      signal,
    );
    if (payload.sub !== sub) return { outcome: 'unverified' };
    return { outcome: 'read', claims: payload };
  } catch {
    return { outcome: 'unverified' };
  }
}

/** Runs one library step; its failure becomes the bridge's refusal. */
async function libraryStep<T>(name: OidcStep, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw oidcRefusal(name, e);
  }
}

function refuseIf(problem: CheckFailure | undefined, reason: Reason): void {
  if (problem) throw new BridgeError(reason, { check: problem.check, detail: problem.detail });
}
