/**
 * The checks of OpenID Connect Core §3.1.3 on a token response and its ID token
 * claims, as pure functions. The signature is verified before these run, by
 * {@link JwksVerifier}; here: the token response shape (RFC 6749 §5.1), then
 * `iss`, `aud`, `azp`, `exp`, `iat`, `nbf`, `sub`, `nonce` and `auth_time`.
 *
 * They follow oauth4webapi (openid-client's core) check for check, and are
 * stricter in one place: an `azp` that is present must name this client even
 * when `aud` has a single value.
 */
import type { Claims } from './claims.js';

/** Why a token response or an ID token was refused. */
export type TokenCheckCode = 'TOKEN_RESPONSE_INVALID' | 'ID_TOKEN_INVALID';

/** A refused token response or ID token; `message` names the failing claim. */
export class TokenCheckError extends Error {
  override name = 'TokenCheckError';
  readonly code: TokenCheckCode;

  constructor(code: TokenCheckCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** What a token response must hold for this bridge. */
export interface TokenResponse {
  readonly accessToken: string;
  readonly idToken: string;
}

/** What the ID token claims are checked against. */
export interface IdTokenExpectations {
  readonly issuer: string;
  readonly clientId: string;
  readonly nonce: string;
  /** Seconds since the epoch. */
  readonly now: number;
  /** Seconds of clock skew tolerated on `exp` and `nbf`. */
  readonly toleranceSec: number;
}

/** True for a JSON object (not an array, not null). */
export const isJsonObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Reads a successful (HTTP 200) token response body: a JSON object with a
 * non-empty `access_token`, a Bearer `token_type` and an `id_token`.
 */
export function readTokenResponse(body: string): TokenResponse {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new TokenCheckError('TOKEN_RESPONSE_INVALID', 'the token response is not JSON');
  }
  if (!isJsonObject(json)) throw new TokenCheckError('TOKEN_RESPONSE_INVALID', 'the token response is not a JSON object');
  const { access_token: accessToken, token_type: tokenType, id_token: idToken, expires_in: expiresIn, scope, refresh_token: refreshToken } = json;
  if (typeof accessToken !== 'string' || accessToken === '') throw new TokenCheckError('TOKEN_RESPONSE_INVALID', 'the token response has no "access_token"');
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    throw new TokenCheckError('TOKEN_RESPONSE_INVALID', `the token response "token_type" is ${JSON.stringify(String(tokenType).slice(0, 40))}, not Bearer`);
  }
  // Some IdPs send expires_in as a string of digits (oauth4webapi accepts them too).
  if (expiresIn !== undefined && !(Number.parseFloat(String(expiresIn)) >= 0)) {
    throw new TokenCheckError('TOKEN_RESPONSE_INVALID', 'the token response "expires_in" is not a number');
  }
  if (scope !== undefined && typeof scope !== 'string') throw new TokenCheckError('TOKEN_RESPONSE_INVALID', 'the token response "scope" is not a string');
  if (refreshToken !== undefined && typeof refreshToken !== 'string') {
    throw new TokenCheckError('TOKEN_RESPONSE_INVALID', 'the token response "refresh_token" is not a string');
  }
  if (typeof idToken !== 'string' || idToken === '') throw new TokenCheckError('ID_TOKEN_INVALID', 'the token response has no ID token');
  return { accessToken, idToken };
}

/** Decodes the payload of a compact JWS (whose signature was verified) into a JSON object. */
export function decodeIdTokenPayload(jws: string): Record<string, unknown> {
  const first = jws.indexOf('.');
  const second = jws.indexOf('.', first + 1);
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(jws.slice(first + 1, second), 'base64url').toString('utf8'));
  } catch {
    throw new TokenCheckError('ID_TOKEN_INVALID', 'the ID token payload is not base64url-encoded JSON');
  }
  if (!isJsonObject(claims)) throw new TokenCheckError('ID_TOKEN_INVALID', 'the ID token payload is not a JSON object');
  return claims;
}

/**
 * Checks the ID token claims (OIDC Core §3.1.3.7) and returns them. Throws a
 * {@link TokenCheckError} naming the claim that failed.
 */
export function validateIdTokenClaims(claims: Record<string, unknown>, expected: IdTokenExpectations): Claims {
  const fail = (message: string): never => {
    throw new TokenCheckError('ID_TOKEN_INVALID', message);
  };
  const { iss, aud, azp, exp, iat, nbf, sub, nonce, auth_time: authTime } = claims;
  const { now, toleranceSec: tolerance } = expected;

  if (iss === undefined) fail('ID token "iss" (issuer) claim missing');
  if (iss !== expected.issuer) fail(`ID token "iss" (issuer) is ${JSON.stringify(String(iss).slice(0, 200))}, not the configured issuer`);

  if (aud === undefined) fail('ID token "aud" (audience) claim missing');
  if (Array.isArray(aud)) {
    if (!aud.includes(expected.clientId)) fail('ID token "aud" (audience) does not include this client');
    // Several audiences: OIDC Core §3.1.3.7 (4, 5) wants azp naming this client.
    if (aud.length !== 1 && azp === undefined) fail('ID token "aud" (audience) has several audiences and no "azp"');
  } else if (aud !== expected.clientId) {
    fail('ID token "aud" (audience) is not this client');
  }
  if (azp !== undefined && azp !== expected.clientId) fail('ID token "azp" (authorized party) is not this client');

  if (exp === undefined) fail('ID token "exp" (expiration time) claim missing');
  if (!isNumber(exp)) fail('ID token "exp" (expiration time) is not a number');
  if ((exp as number) <= now - tolerance) fail('ID token "exp" (expiration time) is past');

  if (iat === undefined) fail('ID token "iat" (issued at) claim missing');
  if (!isNumber(iat)) fail('ID token "iat" (issued at) is not a number');

  if (nbf !== undefined) {
    if (!isNumber(nbf)) fail('ID token "nbf" (not before) is not a number');
    if ((nbf as number) > now + tolerance) fail('ID token "nbf" (not before) is in the future');
  }

  if (sub === undefined) fail('ID token "sub" (subject) claim missing');
  if (typeof sub !== 'string' || sub === '') fail('ID token "sub" (subject) is not a non-empty string');

  if (nonce === undefined) fail('ID token "nonce" claim missing');
  if (nonce !== expected.nonce) fail('ID token "nonce" does not match the one this login sent');

  if (authTime !== undefined && !(isNumber(authTime) && authTime >= 0)) fail('ID token "auth_time" (authentication time) is not a number');

  return claims as Claims;
}
