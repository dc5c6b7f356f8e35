/**
 * The mapping of library errors to refusals, one case at a time, with errors
 * built as openid-client and oauth4webapi build them: the exported classes where
 * the library exports them, and otherwise the same name, `code` and `cause`
 * (oauth4webapi's OperationProcessingError and UnsupportedOperationError, wrapped
 * in a ClientError the way openid-client's errorHandler wraps them). The
 * hostile-IdP suite (hostile-idp.test.ts) shows the same refusals from real answers.
 */
import t from 'tap';
import * as client from 'openid-client';
import * as jose from 'jose';
import { BridgeError, Reasons } from '../../src/errors.js';
import { oidcRefusal, type OidcStep } from '../../src/oidc/errors.js';
import { JwksFetchError } from '../../src/oidc/keys.js';

/** oauth4webapi's OperationProcessingError, as its OPE(message, code, cause) makes one. */
class OperationProcessingError extends Error {
  code: string | undefined;
  constructor(message: string, options: { code?: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'OperationProcessingError';
    this.code = options.code;
  }
}

/** oauth4webapi's UnsupportedOperationError: always the same code. */
class UnsupportedOperationError extends Error {
  code = 'OAUTH_UNSUPPORTED_OPERATION';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnsupportedOperationError';
  }
}

/** openid-client's ClientError (its constructor takes `code` beside `cause`). */
function clientError(message: string, code: string | undefined, cause: unknown): client.ClientError {
  const options = { cause, code };
  return new client.ClientError(message, options);
}

/** A failed oauth4webapi check, wrapped by openid-client with its code. */
const failed = (code: string, message: string, cause?: unknown) =>
  clientError(`openid-client's own words for ${code}`, code, new OperationProcessingError(message, { code, cause }));

const unsupported = (message: string, cause?: unknown) =>
  clientError(
    'unsupported operation',
    'OAUTH_UNSUPPORTED_OPERATION',
    new UnsupportedOperationError(message, cause === undefined ? undefined : { cause }),
  );

const idToken = { iss: 'https://idp.example', aud: 'bridge', sub: 'u1', iat: 1, exp: 2, nonce: 'n' };
const parameters = new URLSearchParams('code=c&state=s');
const json = (body: unknown, status: number) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** Step, error, and the refusal it must become (detail as a pattern, when it matters). */
const CASES: [string, OidcStep, unknown, { reason: string; status: number; check: string; detail?: RegExp }][] = [
  [
    'an authorization response with error=access_denied',
    'callback',
    new client.AuthorizationResponseError('authorization response from the server is an error', {
      cause: new URLSearchParams('error=access_denied&state=s'),
    }),
    { reason: Reasons.idpError, status: 403, check: 'auth_response.error', detail: /error="access_denied"/ },
  ],
  [
    'an authorization response with another error',
    'callback',
    new client.AuthorizationResponseError('authorization response from the server is an error', {
      cause: new URLSearchParams('error=server_error&error_description=down&state=s'),
    }),
    { reason: Reasons.idpError, status: 502, check: 'auth_response.error', detail: /server_error.*"down"/ },
  ],
  [
    'a WWW-Authenticate challenge refusing the client authentication',
    'callback',
    new client.WWWAuthenticateChallengeError('server responded with a challenge in the WWW-Authenticate HTTP Header', {
      cause: [{ scheme: 'basic', parameters: { error: 'invalid_client' } }],
      response: new Response(null, { status: 401 }),
    }),
    {
      reason: Reasons.tokenExchangeFailed,
      status: 502,
      check: 'token.client_auth',
      detail: /refused the client's authentication: HTTP 401 \(basic\) error="invalid_client".*OIDC_CLIENT_AUTH/,
    },
  ],
  [
    'a 401 challenge that names no error',
    'callback',
    new client.WWWAuthenticateChallengeError('server responded with a challenge in the WWW-Authenticate HTTP Header', {
      cause: [{ scheme: 'basic', parameters: {} }],
      response: new Response(null, { status: 401 }),
    }),
    { reason: Reasons.tokenExchangeFailed, status: 502, check: 'token.client_auth', detail: /HTTP 401 \(basic\):/ },
  ],
  [
    'invalid_client in a 400 body, without a challenge',
    'callback',
    new client.ResponseBodyError('server responded with an error in the response body', {
      cause: { error: 'invalid_client' },
      response: json({ error: 'invalid_client' }, 400),
    }),
    {
      reason: Reasons.tokenExchangeFailed,
      status: 502,
      check: 'token.client_auth',
      detail: /HTTP 400 error="invalid_client"/,
    },
  ],
  [
    'a 401 body naming another error (Keycloak: unauthorized_client)',
    'callback',
    new client.ResponseBodyError('server responded with an error in the response body', {
      cause: { error: 'unauthorized_client', error_description: 'Invalid client secret' },
      response: json({ error: 'unauthorized_client' }, 401),
    }),
    {
      reason: Reasons.tokenExchangeFailed,
      status: 502,
      check: 'token.client_auth',
      detail: /HTTP 401 error="unauthorized_client" \("Invalid client secret"\)/,
    },
  ],
  [
    'a 401 that is not an OAuth error at all',
    'callback',
    clientError(
      'unexpected HTTP response status code',
      'OAUTH_RESPONSE_IS_NOT_CONFORM',
      new Response('<html>', { status: 401 }),
    ),
    { reason: Reasons.tokenExchangeFailed, status: 502, check: 'token.client_auth', detail: /HTTP 401:/ },
  ],
  [
    'another challenge from the token endpoint',
    'callback',
    new client.WWWAuthenticateChallengeError('server responded with a challenge in the WWW-Authenticate HTTP Header', {
      cause: [{ scheme: 'dpop', parameters: { error: 'use_dpop_nonce' } }],
      response: new Response(null, { status: 400 }),
    }),
    {
      reason: Reasons.tokenExchangeFailed,
      status: 502,
      check: 'token.challenge',
      detail: /with a challenge: HTTP 400 \(dpop\) error="use_dpop_nonce"/,
    },
  ],
  [
    'a 400 challenge that names no error',
    'callback',
    new client.WWWAuthenticateChallengeError('server responded with a challenge in the WWW-Authenticate HTTP Header', {
      cause: [],
      response: new Response(null, { status: 400 }),
    }),
    { reason: Reasons.tokenExchangeFailed, status: 502, check: 'token.challenge', detail: /HTTP 400 \(challenge\):/ },
  ],
  [
    'an OAuth error in the token response body',
    'callback',
    new client.ResponseBodyError('server responded with an error in the response body', {
      cause: { error: 'invalid_grant', error_description: 'code used' },
      response: json({ error: 'invalid_grant' }, 400),
    }),
    {
      reason: Reasons.tokenExchangeFailed,
      status: 502,
      check: 'token.error',
      detail: /HTTP 400 error="invalid_grant"/,
    },
  ],
  [
    'a failure that is not the library’s (the transport)',
    'callback',
    new Error('connect ECONNREFUSED 127.0.0.1:1'),
    { reason: Reasons.tokenExchangeFailed, status: 502, check: 'token.request', detail: /ECONNREFUSED/ },
  ],
  [
    'an error with a library code that openid-client did not wrap: not read by its code',
    'callback',
    new OperationProcessingError('unexpected "state" response parameter value', {
      code: 'OAUTH_INVALID_RESPONSE',
      cause: { expected: 's', parameters },
    }),
    { reason: Reasons.tokenExchangeFailed, status: 502, check: 'token.request', detail: /"state"/ },
  ],
  [
    'a ClientError without a code (openid-client wrapping something unknown)',
    'callback',
    clientError('something went wrong', undefined, new Error('body larger than 1 MiB')),
    { reason: Reasons.tokenExchangeFailed, status: 502, check: 'token.request', detail: /larger than/ },
  ],
  [
    'a token endpoint answer with an unexpected status (an HTML page)',
    'callback',
    clientError(
      'unexpected HTTP response status code',
      'OAUTH_RESPONSE_IS_NOT_CONFORM',
      new Response('<html>', { status: 500, headers: { 'content-type': 'text/html' } }),
    ),
    { reason: Reasons.tokenExchangeFailed, status: 502, check: 'token.status', detail: /HTTP 500 \(an HTML page\)/ },
  ],
  [
    'a token response that is not JSON (content type)',
    'callback',
    clientError(
      'unexpected response content-type',
      'OAUTH_RESPONSE_IS_NOT_JSON',
      new Response('x', { headers: { 'content-type': 'text/plain' } }),
    ),
    { reason: Reasons.tokenExchangeFailed, status: 502, check: 'token.body', detail: /not JSON/ },
  ],
  [
    'a token response that does not parse',
    'callback',
    failed('OAUTH_PARSE_ERROR', 'failed to parse "response" body as JSON', new SyntaxError('Unexpected token')),
    { reason: Reasons.tokenExchangeFailed, status: 502, check: 'token.body', detail: /failed to parse/ },
  ],
  [
    'an ID token claim that differs from the expected value (cause.claim)',
    'callback',
    failed('OAUTH_JWT_CLAIM_COMPARISON_FAILED', 'unexpected JWT "aud" (audience) claim value', {
      expected: 'bridge',
      claims: { ...idToken, aud: 'someone-else' },
      claim: 'aud',
    }),
    { reason: Reasons.idTokenInvalid, status: 502, check: 'id_token.aud', detail: /audience.*\(aud\)$/ },
  ],
  [
    'an expired ID token (cause.claim of a timestamp check)',
    'callback',
    failed('OAUTH_JWT_TIMESTAMP_CHECK_FAILED', 'unexpected JWT "exp" (expiration time) claim value', {
      claims: idToken,
      now: 100,
      tolerance: 0,
      claim: 'exp',
    }),
    { reason: Reasons.idTokenInvalid, status: 502, check: 'id_token.exp' },
  ],
  [
    'a sign-in older than OIDC_MAX_AGE (timestamp check of auth_time)',
    'callback',
    failed('OAUTH_JWT_TIMESTAMP_CHECK_FAILED', 'too much time has elapsed since the last End-User authentication', {
      claims: { ...idToken, auth_time: 1 },
      now: 100,
      tolerance: 0,
      claim: 'auth_time',
    }),
    { reason: Reasons.authTooOld, status: 403, check: 'id_token.auth_time', detail: /OIDC_MAX_AGE/ },
  ],
  [
    'an implicit or hybrid answer (no cause: the message)',
    'callback',
    unsupported('implicit and hybrid flows are not supported'),
    { reason: Reasons.callbackInvalid, status: 400, check: 'auth_response.implicit', detail: /"id_token" or "token"/ },
  ],
  [
    'a token_type the library does not know (cause.body)',
    'callback',
    unsupported('unsupported `token_type` value', { body: { access_token: 'at', token_type: 'mac' } }),
    { reason: Reasons.tokenExchangeFailed, status: 502, check: 'token.token_type' },
  ],
  [
    'another unsupported operation (a JWE ID token)',
    'callback',
    unsupported('JWE decryption is not configured', 'a.b.c.d.e'),
    { reason: Reasons.tokenExchangeFailed, status: 502, check: 'token.unsupported', detail: /JWE/ },
  ],
  [
    'the token endpoint timing out',
    'callback',
    clientError('operation timed out', 'OAUTH_TIMEOUT', new DOMException('timed out', 'TimeoutError')),
    { reason: Reasons.tokenExchangeFailed, status: 502, check: 'token.timeout', detail: /OIDC_TIMEOUT_MS/ },
  ],
  [
    'the token request aborted',
    'callback',
    clientError('operation aborted', 'OAUTH_ABORT', new DOMException('aborted', 'AbortError')),
    { reason: Reasons.tokenExchangeFailed, status: 502, check: 'token.timeout' },
  ],
  [
    'a callback parameter given twice (the message)',
    'callback',
    failed('OAUTH_INVALID_RESPONSE', '"iss" parameter must be provided only once'),
    { reason: Reasons.callbackInvalid, status: 400, check: 'auth_response.duplicate', detail: /several "iss"/ },
  ],
  [
    'a JARM answer (the message)',
    'callback',
    failed(
      'OAUTH_INVALID_RESPONSE',
      '"parameters" contains a JARM response, use validateJwtAuthResponse() instead of validateAuthResponse()',
      { parameters: new URLSearchParams('response=x.y.z') },
    ),
    { reason: Reasons.callbackInvalid, status: 400, check: 'auth_response.response' },
  ],
  [
    'RFC 9207 "iss" missing (the message)',
    'callback',
    failed('OAUTH_INVALID_RESPONSE', 'response parameter "iss" (issuer) missing', { parameters }),
    { reason: Reasons.issMismatch, status: 400, check: 'auth_response.iss', detail: /has no "iss"/ },
  ],
  [
    'RFC 9207 "iss" of another issuer (the message)',
    'callback',
    failed('OAUTH_INVALID_RESPONSE', 'unexpected "iss" (issuer) response parameter value', {
      expected: 'https://idp.example',
      parameters: new URLSearchParams('code=c&state=s&iss=https%3A%2F%2Fevil.example'),
    }),
    { reason: Reasons.issMismatch, status: 400, check: 'auth_response.iss', detail: /not the configured issuer/ },
  ],
  [
    'a "state" other than the transaction’s (the message)',
    'callback',
    failed('OAUTH_INVALID_RESPONSE', 'unexpected "state" response parameter value', {
      expected: 's',
      parameters: new URLSearchParams('code=c&state=x'),
    }),
    { reason: Reasons.stateMismatch, status: 400, check: 'auth_response.state' },
  ],
  [
    'an ID token "alg" other than the pinned one (cause.header)',
    'callback',
    failed('OAUTH_INVALID_RESPONSE', 'unexpected JWT "alg" header parameter', {
      header: { alg: 'HS256' },
      expected: 'RS256',
      reason: 'client configuration',
    }),
    { reason: Reasons.idTokenInvalid, status: 502, check: 'id_token.alg' },
  ],
  [
    'the "alg" check told by its cause (the header), whatever its message says',
    'callback',
    failed('OAUTH_INVALID_RESPONSE', 'the JWT header names another algorithm', {
      header: { alg: 'none' },
      expected: ['RS256'],
      reason: 'authorization server metadata',
    }),
    { reason: Reasons.idTokenInvalid, status: 502, check: 'id_token.alg' },
  ],
  [
    'an ID token claim missing (cause.claims; the message names it)',
    'callback',
    failed('OAUTH_INVALID_RESPONSE', 'JWT "nonce" (nonce) claim missing', {
      claims: { ...idToken, nonce: undefined },
    }),
    { reason: Reasons.idTokenInvalid, status: 502, check: 'id_token.nonce', detail: /claim missing$/ },
  ],
  [
    'auth_time missing when required (the hint how to make the IdP send it)',
    'callback',
    failed('OAUTH_INVALID_RESPONSE', 'JWT "auth_time" (authentication time) claim missing', { claims: idToken }),
    { reason: Reasons.idTokenInvalid, status: 502, check: 'id_token.auth_time', detail: /claim missing; OIDC_PROMPT/ },
  ],
  [
    'auth_time present but not a number (no hint)',
    'callback',
    failed('OAUTH_INVALID_RESPONSE', 'ID Token "auth_time" (authentication time) must be a number', {
      claims: { ...idToken, auth_time: 'yesterday' },
    }),
    { reason: Reasons.idTokenInvalid, status: 502, check: 'id_token.auth_time', detail: /must be a number$/ },
  ],
  [
    'an ID token that is not a JWT (the cause is the token)',
    'callback',
    failed('OAUTH_INVALID_RESPONSE', 'Invalid JWT', 'not-a-jwt'),
    { reason: Reasons.idTokenInvalid, status: 502, check: 'id_token.jwt', detail: /Invalid JWT/ },
  ],
  [
    'a token response body without access_token (cause.body)',
    'callback',
    failed('OAUTH_INVALID_RESPONSE', '"response" body "access_token" property must be a string', {
      body: { token_type: 'Bearer' },
    }),
    { reason: Reasons.tokenExchangeFailed, status: 502, check: 'token.response', detail: /access_token/ },
  ],
  [
    'a callback without "code" (no cause)',
    'callback',
    failed('OAUTH_INVALID_RESPONSE', 'no authorization code in "callbackParameters"'),
    { reason: Reasons.tokenExchangeFailed, status: 502, check: 'token.response' },
  ],
  [
    'a library code the bridge does not map',
    'callback',
    failed('OAUTH_KEY_SELECTION_FAILED', 'error when selecting a JWT verification key, no applicable keys found'),
    { reason: Reasons.tokenExchangeFailed, status: 502, check: 'token.request' },
  ],
  [
    'the JWKS could not be fetched (a JwksFetchError in the causes)',
    'signature',
    new jose.errors.JOSEError('Expected 200 OK from the JSON Web Key Set HTTP response', {
      cause: new JwksFetchError('the JWKS endpoint answered HTTP 503'),
    }),
    { reason: Reasons.idpUnavailable, status: 503, check: 'jwks.fetch', detail: /HTTP 503/ },
  ],
  [
    'no key of the JWKS matches',
    'signature',
    new jose.errors.JWKSNoMatchingKey(),
    { reason: Reasons.idTokenInvalid, status: 502, check: 'id_token.kid', detail: /no key/ },
  ],
  [
    'several keys match and the token has no kid',
    'signature',
    new jose.errors.JWKSMultipleMatchingKeys(),
    { reason: Reasons.idTokenInvalid, status: 502, check: 'id_token.kid', detail: /several keys/ },
  ],
  [
    'a signature that does not verify',
    'signature',
    new jose.errors.JWSSignatureVerificationFailed(),
    { reason: Reasons.idTokenInvalid, status: 502, check: 'id_token.signature', detail: /does not verify/ },
  ],
  [
    'an algorithm other than the pinned one',
    'signature',
    new jose.errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed'),
    { reason: Reasons.idTokenInvalid, status: 502, check: 'id_token.alg' },
  ],
  [
    'the JWKS request timing out',
    'signature',
    new jose.errors.JWKSTimeout(),
    { reason: Reasons.idpUnavailable, status: 503, check: 'jwks.fetch' },
  ],
  [
    'a JWKS that is not a key set',
    'signature',
    new jose.errors.JWKSInvalid(),
    { reason: Reasons.idpUnavailable, status: 503, check: 'jwks.fetch' },
  ],
  [
    'a failure that is not jose’s',
    'signature',
    new Error('socket hang up'),
    { reason: Reasons.idpUnavailable, status: 503, check: 'jwks.fetch', detail: /socket hang up/ },
  ],
  [
    'another jose refusal of the token',
    'signature',
    new jose.errors.JWSInvalid('Invalid Compact JWS'),
    { reason: Reasons.idTokenInvalid, status: 502, check: 'id_token.signature', detail: /Invalid Compact JWS/ },
  ],
  [
    'userinfo for another sub (cause.cause.body.sub)',
    'userinfo',
    failed('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED', 'unexpected "response" body "sub" property value', {
      expected: 'u1',
      body: { sub: 'u-mallory' },
      attribute: 'sub',
    }),
    { reason: Reasons.userinfoSubMismatch, status: 502, check: 'userinfo.sub', detail: /"u-mallory"/ },
  ],
  [
    'userinfo answering with a WWW-Authenticate challenge',
    'userinfo',
    new client.WWWAuthenticateChallengeError('server responded with a challenge in the WWW-Authenticate HTTP Header', {
      cause: [{ scheme: 'bearer', parameters: { error: 'invalid_token' } }],
      response: new Response(null, { status: 401 }),
    }),
    { reason: Reasons.userinfoFailed, status: 502, check: 'userinfo.status', detail: /HTTP 401/ },
  ],
  [
    'userinfo answering with an OAuth error body',
    'userinfo',
    new client.ResponseBodyError('server responded with an error in the response body', {
      cause: { error: 'invalid_token' },
      response: json({ error: 'invalid_token' }, 400),
    }),
    { reason: Reasons.userinfoFailed, status: 502, check: 'userinfo.status', detail: /HTTP 400/ },
  ],
  [
    'userinfo answering with an unexpected status',
    'userinfo',
    clientError(
      'unexpected HTTP response status code',
      'OAUTH_RESPONSE_IS_NOT_CONFORM',
      new Response('', { status: 500 }),
    ),
    { reason: Reasons.userinfoFailed, status: 502, check: 'userinfo.status', detail: /HTTP 500/ },
  ],
  [
    'userinfo answering a JWT this client did not ask for (the message)',
    'userinfo',
    clientError(
      'missing client or server configuration to verify used JWT "alg" header parameter',
      undefined,
      new OperationProcessingError('missing client or server configuration to verify used JWT "alg" header parameter', {
        cause: { client: undefined, issuer: undefined, fallback: undefined },
      }),
    ),
    { reason: Reasons.userinfoFailed, status: 502, check: 'userinfo.jwt', detail: /application\/jwt/ },
  ],
  [
    'userinfo failing otherwise',
    'userinfo',
    new Error('connect ECONNREFUSED 127.0.0.1:1'),
    { reason: Reasons.userinfoFailed, status: 502, check: 'userinfo.request', detail: /ECONNREFUSED/ },
  ],
];

for (const [what, step, error, refusal] of CASES) {
  t.test(`${step}: ${what}`, async (t) => {
    const r = oidcRefusal(step, error);
    t.ok(r instanceof BridgeError);
    t.match(r, refusal);
    t.equal(r.cause, error, 'the library error is kept as the cause (for the log)');
  });
}

t.test('a refusal the bridge already made passes through unchanged', async (t) => {
  const own = new BridgeError(Reasons.loginTimeout, { check: 'login_timeout.token' });
  for (const step of ['callback', 'signature', 'userinfo'] as const) t.equal(oidcRefusal(step, own), own);
});

t.test('nothing the IdP sent reaches the user page unbounded', async (t) => {
  const long = 'x'.repeat(5000);
  const r = oidcRefusal(
    'callback',
    new client.AuthorizationResponseError('authorization response from the server is an error', {
      cause: new URLSearchParams({ error: long, error_description: long }),
    }),
  );
  t.ok(r.detail!.length < 500, 'the detail quotes at most a bounded part');
  t.match(r.userDetail, { key: 'detail.idp_answered' });
  t.ok(
    r.userDetail?.key === 'detail.idp_answered' && r.userDetail.values.error.length <= 100,
    'the page says at most a bounded part',
  );
});
