/**
 * The one place where openid-client's and jose's errors become the bridge's
 * refusals: a reason code for the page and the metrics, a check code for the
 * log (which rule fired), and a detail an administrator can act on.
 *
 * Errors are told apart by what the libraries give as data: the class, the
 * `code`, and the fields of the `cause` (the claim, the header, the claims, the
 * body, the Response). A message is read only where those say nothing, and each
 * such place says so.
 */
import * as client from 'openid-client';
import * as jose from 'jose';
import { BridgeError, isCheck, Reasons, type Check, type Reason } from '../errors.js';
import { describeError } from '../net/network-errors.js';
import { JwksFetchError } from './keys.js';

/** Where in the login the library failed. */
export type OidcStep = 'callback' | 'signature' | 'userinfo';

/**
 * The oauth4webapi error an openid-client ClientError wraps (OperationProcessingError,
 * UnsupportedOperationError): its `code`, and a `cause` holding what the failed
 * check compared (`claim`, `expected`, `claims`, `header`, `body`, `parameters`).
 */
interface LibraryFailure extends Error {
  code?: string;
  cause?: unknown;
}

const isResponse = (v: unknown): v is Response => typeof Response !== 'undefined' && v instanceof Response;
const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === 'object' && v !== null;
const quote = (s: unknown, max: number) => JSON.stringify(String(s).slice(0, max));

const AUTH_TIME_HINT =
  '; OIDC_PROMPT=login and OIDC_MAX_AGE need it to prove when the user signed in: see docs/idp for making the IdP send it (OIDC_MAX_AGE makes most IdPs send it)';

/** Maps a failure of openid-client or jose at `step` to the bridge's refusal. */
export function oidcRefusal(step: OidcStep, e: unknown): BridgeError {
  if (e instanceof BridgeError) return e;
  switch (step) {
    case 'signature':
      return signatureRefusal(e);
    case 'userinfo':
      return userinfoRefusal(e);
    default:
      return callbackRefusal(e);
  }
}

/** The authorization response, the token request and response, and the ID token claims. */
function callbackRefusal(e: unknown): BridgeError {
  const refuse = refusalOf(e);

  if (e instanceof client.AuthorizationResponseError) {
    const error = e.error;
    const description = e.error_description;
    // The one reason whose status depends on the answer: the person said no (403), or the IdP failed (502).
    return new BridgeError(Reasons.idpError, {
      ...(error === 'access_denied' ? { status: 403 } : {}),
      check: 'auth_response.error',
      detail: `the IdP answered error=${quote(error, 100)}${description ? ` (${quote(description, 300)})` : ''}`,
      userDetail: { key: 'detail.idp_answered', values: { error: error.slice(0, 100) } },
      cause: e,
    });
  }
  const answer = tokenEndpointAnswer(e);
  if (answer !== undefined && refusesClientAuthentication(answer)) {
    return refuse(
      Reasons.tokenExchangeFailed,
      'token.client_auth',
      `the token endpoint refused the client's authentication: ${describeTokenAnswer(answer)}: check OIDC_CLIENT_ID, the client secret or key and OIDC_CLIENT_AUTH (npm run check-config tells a wrong one from a right one)`,
    );
  }
  if (answer !== undefined && e instanceof client.WWWAuthenticateChallengeError) {
    // Another challenge than a refused client authentication (e.g. DPoP's use_dpop_nonce, unauthorized_client).
    return refuse(
      Reasons.tokenExchangeFailed,
      'token.challenge',
      `the token endpoint answered with a challenge: ${describeTokenAnswer(answer)}: check OIDC_CLIENT_ID, the client credentials and OIDC_CLIENT_AUTH`,
    );
  }
  if (e instanceof client.ResponseBodyError) {
    return refuse(
      Reasons.tokenExchangeFailed,
      'token.error',
      `the token endpoint answered HTTP ${e.status} error=${quote(e.error, 100)}${e.error_description ? ` (${quote(e.error_description, 300)})` : ''}`,
    );
  }
  if (!(e instanceof client.ClientError)) {
    return refuse(Reasons.tokenExchangeFailed, 'token.request', `the token request failed: ${describeError(e)}`);
  }
  const failure = (e.cause instanceof Error ? e.cause : e) as LibraryFailure;
  const compared = failure.cause;
  const message = failure.message;
  switch (e.code) {
    case 'OAUTH_RESPONSE_IS_NOT_CONFORM':
      return refuse(
        Reasons.tokenExchangeFailed,
        'token.status',
        `the token endpoint answered HTTP ${isResponse(e.cause) ? e.cause.status : '?'}${isResponse(e.cause) && /html/i.test(e.cause.headers.get('content-type') ?? '') ? ' (an HTML page)' : ''}`,
      );
    case 'OAUTH_RESPONSE_IS_NOT_JSON':
    case 'OAUTH_PARSE_ERROR':
      return refuse(Reasons.tokenExchangeFailed, 'token.body', `the token response is not JSON: ${describeError(e)}`);
    case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED':
    case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED': {
      const claim = isRecord(compared) && typeof compared['claim'] === 'string' ? compared['claim'] : 'claim';
      // OIDC_MAX_AGE: the IdP confirmed a sign-in older than the company allows.
      if (claim === 'auth_time' && e.code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED') {
        return refuse(
          Reasons.authTooOld,
          'id_token.auth_time',
          `the ID token's auth_time is older than OIDC_MAX_AGE allows: ${message}`,
        );
      }
      return refuse(Reasons.idTokenInvalid, idTokenCheck(claim), `ID token rejected: ${message} (${claim})`);
    }
    case 'OAUTH_UNSUPPORTED_OPERATION':
      // The refusal of an implicit or hybrid answer (an "id_token" or "token"
      // parameter) carries no cause: only its message says which check it was.
      if (/implicit and hybrid/.test(message))
        return refuse(
          Reasons.callbackInvalid,
          'auth_response.implicit',
          'the callback has an unexpected "id_token" or "token" parameter (implicit or hybrid answer)',
        );
      // An unsupported token_type: the cause is the token response's body.
      if (isRecord(compared) && isRecord(compared['body']) && 'token_type' in compared['body'])
        return refuse(
          Reasons.tokenExchangeFailed,
          'token.token_type',
          `the token response token_type is not supported: ${message}`,
        );
      return refuse(Reasons.tokenExchangeFailed, 'token.unsupported', describeError(e));
    case 'OAUTH_TIMEOUT':
    case 'OAUTH_ABORT':
      return refuse(
        Reasons.tokenExchangeFailed,
        'token.timeout',
        'the token endpoint did not answer within OIDC_TIMEOUT_MS',
      );
    case 'OAUTH_INVALID_RESPONSE':
      return invalidResponseRefusal(refuse, failure);
    default:
      return refuse(Reasons.tokenExchangeFailed, 'token.request', `the token request failed: ${describeError(e)}`);
  }
}

/**
 * OAUTH_INVALID_RESPONSE: the one code of many checks, told apart by what their
 * cause holds where it says, and by the message where it does not.
 */
function invalidResponseRefusal(
  refuse: (reason: Reason, check: Check, detail: string) => BridgeError,
  failure: LibraryFailure,
): BridgeError {
  const message = failure.message;
  const compared = failure.cause;
  // The authorization response's checks (a repeated parameter, a JARM
  // "response", RFC 9207 "iss" missing or another, "state") share this code,
  // and their cause is at most the parameters and an expected value, never the
  // name of the check (an "iss" and a "state" mismatch carry the same fields):
  // only the message tells them apart.
  const duplicate = /^"(\w+)" parameter must be provided only once/.exec(message);
  if (duplicate)
    return refuse(
      Reasons.callbackInvalid,
      'auth_response.duplicate',
      `the callback has several "${duplicate[1]}" parameters`,
    );
  if (/JARM/.test(message))
    return refuse(
      Reasons.callbackInvalid,
      'auth_response.response',
      'the callback has an unexpected "response" parameter (a JARM answer)',
    );
  if (/"iss" \(issuer\) missing/.test(message))
    return refuse(
      Reasons.issMismatch,
      'auth_response.iss',
      'the IdP advertises RFC 9207 but the authorization response has no "iss"',
    );
  if (/"iss" \(issuer\) response parameter/.test(message))
    return refuse(
      Reasons.issMismatch,
      'auth_response.iss',
      'the authorization response "iss" is not the configured issuer',
    );
  if (/"state"/.test(message)) return refuse(Reasons.stateMismatch, 'auth_response.state', message);
  // The ID token's checks: their cause is the token itself (not a JWT at all),
  // its header (the "alg" check, with the expected algorithms), or its claims.
  if (typeof compared === 'string' || (isRecord(compared) && ('header' in compared || 'claims' in compared))) {
    const claims = isRecord(compared) && isRecord(compared['claims']) ? compared['claims'] : undefined;
    // A claim missing or of the wrong type: the cause holds all the claims, and
    // only the message names the one that failed.
    const claim = isRecord(compared) && 'header' in compared ? 'alg' : (/"(\w+)"/.exec(message)?.[1] ?? 'jwt');
    // require_auth_time (OIDC_PROMPT=login) or maxAge (OIDC_MAX_AGE) made it required.
    const hint =
      claim === 'auth_time' && claims !== undefined && claims['auth_time'] === undefined ? AUTH_TIME_HINT : '';
    return refuse(Reasons.idTokenInvalid, idTokenCheck(claim), `ID token rejected: ${message}${hint}`);
  }
  return refuse(Reasons.tokenExchangeFailed, 'token.response', `token response rejected: ${message}`);
}

/** What the token endpoint answered, as the library reports it: for the client's authentication and check-config. */
export interface TokenEndpointAnswer {
  readonly status: number;
  /** The OAuth `error` of the challenge or the body; undefined when the answer named none. */
  readonly error: string | undefined;
  readonly description: string | undefined;
  /** The WWW-Authenticate challenge's scheme, when the answer had one. */
  readonly scheme: string | undefined;
}

/**
 * The token endpoint's answer in a library error: a challenge (WWW-Authenticate),
 * an OAuth error body, or an unexpected status; undefined when the error is not
 * an answer of the token endpoint (a network failure, a token response check).
 */
export function tokenEndpointAnswer(e: unknown): TokenEndpointAnswer | undefined {
  if (e instanceof client.WWWAuthenticateChallengeError) {
    const challenge = e.cause[0];
    return {
      status: e.status,
      error: challenge?.parameters.error,
      description: challenge?.parameters.error_description,
      scheme: challenge?.scheme ?? 'challenge',
    };
  }
  if (e instanceof client.ResponseBodyError)
    return { status: e.status, error: e.error, description: e.error_description, scheme: undefined };
  // An unexpected status, or an answer that is not JSON: openid-client keeps the Response as the cause.
  if (
    e instanceof client.ClientError &&
    (e.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || e.code === 'OAUTH_RESPONSE_IS_NOT_JSON') &&
    isResponse(e.cause)
  )
    return { status: e.cause.status, error: undefined, description: undefined, scheme: undefined };
  return undefined;
}

/**
 * True when the answer refuses the client's own authentication: `invalid_client`
 * (RFC 6749 §5.2: 400 or 401, with or without a challenge), or any HTTP 401: at
 * the token endpoint only client authentication answers 401, whatever error an
 * IdP names (Keycloak names `unauthorized_client` for a wrong secret).
 */
export function refusesClientAuthentication(a: TokenEndpointAnswer): boolean {
  return a.error === 'invalid_client' || a.status === 401;
}

/** The answer in words for the log: status, challenge scheme, error and description (bounded). */
export function describeTokenAnswer(a: TokenEndpointAnswer): string {
  return `HTTP ${a.status}${a.scheme ? ` (${a.scheme})` : ''}${a.error === undefined ? '' : ` error=${quote(a.error, 100)}`}${a.description ? ` (${quote(a.description, 300)})` : ''}`;
}

/** The ID token signature (jose). A key that cannot be fetched is the IdP being unavailable. */
function signatureRefusal(e: unknown): BridgeError {
  const refuse = refusalOf(e);
  // First: jose passes a failed fetch on as its base error class.
  if (hasCause(e, (c) => c instanceof JwksFetchError))
    return refuse(Reasons.idpUnavailable, 'jwks.fetch', `the IdP JWKS could not be fetched: ${describeError(e)}`);
  if (e instanceof jose.errors.JWKSNoMatchingKey)
    return refuse(
      Reasons.idTokenInvalid,
      'id_token.kid',
      'ID token rejected: no key in the IdP JWKS matches its "kid" and "alg"',
    );
  if (e instanceof jose.errors.JWKSMultipleMatchingKeys)
    return refuse(
      Reasons.idTokenInvalid,
      'id_token.kid',
      'ID token rejected: several keys of the IdP JWKS match and the token has no "kid"',
    );
  if (e instanceof jose.errors.JWSSignatureVerificationFailed)
    return refuse(Reasons.idTokenInvalid, 'id_token.signature', 'ID token rejected: the signature does not verify');
  if (e instanceof jose.errors.JOSEAlgNotAllowed)
    return refuse(Reasons.idTokenInvalid, 'id_token.alg', `ID token rejected: ${e.message}`);
  if (
    e instanceof jose.errors.JWKSTimeout ||
    e instanceof jose.errors.JWKSInvalid ||
    !(e instanceof jose.errors.JOSEError)
  ) {
    return refuse(Reasons.idpUnavailable, 'jwks.fetch', `the IdP JWKS could not be fetched: ${describeError(e)}`);
  }
  return refuse(Reasons.idTokenInvalid, 'id_token.signature', `ID token rejected: ${e.message}`);
}

/** True when `e` or one of its causes passes `test`. */
function hasCause(e: unknown, test: (c: unknown) => boolean): boolean {
  for (
    let cur: unknown = e, depth = 0;
    cur !== undefined && depth < 6;
    cur = (cur as { cause?: unknown }).cause, depth++
  ) {
    if (test(cur)) return true;
    if (!(cur instanceof Error)) return false;
  }
  return false;
}

/** The userinfo request and answer. */
function userinfoRefusal(e: unknown): BridgeError {
  const refuse = refusalOf(e);
  if (e instanceof client.ClientError && e.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') {
    const got = (e.cause as { cause?: { body?: { sub?: unknown } } } | undefined)?.cause?.body?.sub;
    return refuse(
      Reasons.userinfoSubMismatch,
      'userinfo.sub',
      `userinfo refused: its "sub" ${got === undefined ? 'is missing' : `(${quote(got, 100)})`} is not the ID token's`,
    );
  }
  if (e instanceof client.WWWAuthenticateChallengeError || e instanceof client.ResponseBodyError) {
    return refuse(
      Reasons.userinfoFailed,
      'userinfo.status',
      `userinfo request failed: the IdP answered HTTP ${e.status}`,
    );
  }
  if (e instanceof client.ClientError && e.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM') {
    return refuse(
      Reasons.userinfoFailed,
      'userinfo.status',
      `userinfo request failed: the IdP answered HTTP ${isResponse(e.cause) ? e.cause.status : '?'}`,
    );
  }
  // An application/jwt answer fails one of several checks, under several codes
  // (none when the IdP advertises no userinfo algorithm), and no field says the
  // answer was a JWT: only the messages do.
  if (e instanceof client.ClientError && /JWT/.test(e.cause instanceof Error ? e.cause.message : e.message)) {
    return refuse(
      Reasons.userinfoFailed,
      'userinfo.jwt',
      'userinfo request failed: the IdP answered a JWT (application/jwt), which this client did not ask for',
    );
  }
  return refuse(Reasons.userinfoFailed, 'userinfo.request', `userinfo request failed: ${describeError(e)}`);
}

/**
 * The check code of an ID token claim the library named: `id_token.<claim>` for each claim it checks
 * (all in the list of check codes); a claim outside the list is `id_token.claim`, so the log's codes
 * stay the documented ones.
 */
function idTokenCheck(claim: string): Check {
  const code = `id_token.${claim}`;
  return isCheck(code) ? code : 'id_token.claim';
}

/** How each mapping below refuses: the reason, the check that fired and the detail, the library error kept as the cause. */
function refusalOf(e: unknown): (reason: Reason, check: Check, detail: string) => BridgeError {
  return (reason, check, detail) => new BridgeError(reason, { check, detail, cause: e });
}
