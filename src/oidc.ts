/**
 * OpenID Connect against the company IdP: discovery, the authorization URL, and
 * the callback (code exchange, full ID token verification, userinfo when needed).
 *
 * Discovery goes through openid-client. The callback's requests and checks are
 * done here, on one keep-alive undici dispatcher: the authorization response
 * (RFC 9207 `iss`, single-valued parameters, no implicit or JARM answers), the
 * token request with PKCE and the client's authentication, the ID token
 * signature ({@link JwksVerifier}) and every claim ({@link validateIdTokenClaims}),
 * and the userinfo `sub`. The state was matched before, by the login cookie.
 */
import { createHash, randomUUID, sign, type KeyObject } from 'node:crypto';
import * as client from 'openid-client';
import { BridgeError, Reasons } from './errors.js';
import { ID_TOKEN_ALGORITHMS, parsePrivateKey, type ClientAuthMethod } from './config.js';
import { JwksVerifier, JwsError } from './jwks.js';
import { explainNetworkError, requestTarget, send, type HttpAnswer, type HttpClient } from './http-client.js';
import { decodeIdTokenPayload, isJsonObject, readTokenResponse, TokenCheckError, validateIdTokenClaims } from './id-token.js';
import type { Claims } from './claims.js';
import type { LoginTransaction } from './login-state.js';

export interface OidcOptions {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly clientAuth: ClientAuthMethod;
  readonly clientPrivateKey?: string | undefined;
  readonly clientPrivateKeyKid?: string | undefined;
  readonly scopes: string;
  readonly redirectUri: string;
  /** Pinned algorithm; undefined: RS256 when the IdP lists it, else its first asymmetric one. */
  readonly idTokenAlg: string | undefined;
  /** Seconds of clock skew tolerated on `iat`/`exp`. */
  readonly clockToleranceSec: number;
  /** Timeout of each request to the IdP. */
  readonly timeoutMs: number;
}

/** What a successful callback yields. */
export interface VerifiedLogin {
  /** ID token claims, completed from userinfo when needed. */
  readonly claims: Claims;
  readonly sub: string;
  readonly usedUserinfo: boolean;
  /** Milliseconds spent waiting on the token endpoint and on userinfo. */
  readonly tokenMs: number;
  readonly userinfoMs: number;
}

/** What the IdP advertised, for logs and `check-config`. */
export interface DiscoveredIdp {
  readonly issuer: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly userinfoEndpoint: string | undefined;
  readonly jwksUri: string;
  readonly idTokenAlg: string;
  readonly advertisedAlgs: readonly string[];
  readonly keyCount: number;
  readonly issParameterSupported: boolean;
  readonly tokenEndpointAuthMethods: readonly string[];
}

const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** How the token request authenticates the client, prepared once at discovery. */
interface ClientAuthenticator {
  /** The HTTP Basic header, when the method uses one. */
  readonly authorization: string | undefined;
  /** Form fields to append (starting with `&`), built per request. */
  fields(): string;
}

/** The IdP as this bridge uses it. Discovery happens in {@link OidcClient.discover}. */
export class OidcClient {
  readonly #opts: OidcOptions;
  readonly #http: HttpClient;
  #config: client.Configuration | undefined;
  #verifier: JwksVerifier | undefined;
  #idp: DiscoveredIdp | undefined;
  #discovering: Promise<DiscoveredIdp> | undefined;
  #authorizationPrefix: string | undefined;
  #auth: ClientAuthenticator | undefined;
  #tokenEndpoint: URL | undefined;
  #userinfoEndpoint: URL | undefined;
  readonly #redirectUriField: string;

  constructor(opts: OidcOptions, http: HttpClient) {
    this.#opts = opts;
    this.#http = http;
    this.#redirectUriField = encodeURIComponent(opts.redirectUri);
  }

  /** What discovery found; undefined before it succeeded. */
  get discovered(): DiscoveredIdp | undefined {
    return this.#idp;
  }

  /**
   * Fetches the IdP's metadata and keys (once; concurrent calls share the work).
   * Throws a {@link BridgeError} `idp_unavailable` when the IdP cannot be reached
   * or its metadata is unusable.
   */
  discover(): Promise<DiscoveredIdp> {
    if (this.#idp) return Promise.resolve(this.#idp);
    this.#discovering ??= this.#discover().finally(() => {
      this.#discovering = undefined;
    });
    return this.#discovering;
  }

  async #discover(): Promise<DiscoveredIdp> {
    const o = this.#opts;
    const issuerUrl = new URL(o.issuer);
    const insecure = issuerUrl.protocol === 'http:'; // config allows this only for loopback
    let discovered: client.Configuration;
    try {
      discovered = await client.discovery(issuerUrl, o.clientId, undefined, undefined, {
        [client.customFetch]: this.#http.fetch,
        execute: insecure ? [client.allowInsecureRequests] : [],
        timeout: Math.ceil(o.timeoutMs / 1000),
      });
    } catch (cause) {
      throw new BridgeError(Reasons.idpUnavailable, 503, { detail: `OIDC discovery of ${o.issuer} failed: ${describe(cause)}`, cause });
    }
    const server = discovered.serverMetadata();
    const alg = chooseIdTokenAlg(o.idTokenAlg, server.id_token_signing_alg_values_supported);
    if (alg === undefined) {
      throw new BridgeError(Reasons.idpUnavailable, 503, {
        detail: `the IdP advertises no usable ID token algorithm (${String(server.id_token_signing_alg_values_supported)}); set OIDC_ID_TOKEN_ALG`,
      });
    }
    if (!server.jwks_uri) throw new BridgeError(Reasons.idpUnavailable, 503, { detail: 'the IdP metadata has no jwks_uri' });
    const tokenEndpoint = endpoint(server.token_endpoint, 'token_endpoint', insecure);
    const userinfoEndpoint = server.userinfo_endpoint === undefined ? undefined : endpoint(server.userinfo_endpoint, 'userinfo_endpoint', insecure);

    const jwksUri = server.jwks_uri;
    const verifier = new JwksVerifier(() => this.#http.getJson(jwksUri, o.timeoutMs));
    try {
      await verifier.load();
    } catch (cause) {
      throw new BridgeError(Reasons.idpUnavailable, 503, { detail: `fetching the IdP JWKS failed: ${describe(cause)}`, cause });
    }
    this.#auth = clientAuthenticator(o, server.issuer);
    this.#tokenEndpoint = tokenEndpoint;
    this.#userinfoEndpoint = userinfoEndpoint;
    this.#config = discovered;
    this.#verifier = verifier;
    this.#idp = {
      issuer: server.issuer,
      authorizationEndpoint: String(server.authorization_endpoint),
      tokenEndpoint: tokenEndpoint.href,
      userinfoEndpoint: userinfoEndpoint?.href,
      jwksUri,
      idTokenAlg: alg,
      advertisedAlgs: server.id_token_signing_alg_values_supported ?? [],
      keyCount: verifier.keyCount,
      issParameterSupported: server.authorization_response_iss_parameter_supported === true,
      tokenEndpointAuthMethods: server.token_endpoint_auth_methods_supported ?? ['client_secret_basic'],
    };
    return this.#idp;
  }

  /** The IdP authorization URL for a new transaction. */
  async authorizationUrl(tx: LoginTransaction, loginHint?: string): Promise<string> {
    await this.discover();
    // The fixed part is built once by openid-client; per login only the random
    // values (URL-safe base64, no escaping needed) and the hint are appended.
    this.#authorizationPrefix ??= client.buildAuthorizationUrl(this.#config!, {
      response_type: 'code',
      redirect_uri: this.#opts.redirectUri,
      scope: this.#opts.scopes,
      code_challenge_method: 'S256',
    }).href;
    const challenge = createHash('sha256').update(tx.codeVerifier).digest('base64url');
    let url = `${this.#authorizationPrefix}&state=${tx.state}&nonce=${tx.nonce}&code_challenge=${challenge}`;
    if (loginHint) url += `&login_hint=${encodeURIComponent(loginHint)}`;
    return url;
  }

  /**
   * Completes the login from the callback's query of a live transaction (whose
   * `state` the caller has matched): checks the authorization response,
   * exchanges the code, verifies the ID token, and fetches userinfo when one of
   * `neededClaims` (root claim names) is missing from it.
   */
  async completeLogin(params: URLSearchParams, tx: LoginTransaction, neededClaims: readonly string[]): Promise<VerifiedLogin> {
    const idp = await this.discover();
    const code = checkAuthorizationResponse(params, idp);

    const tokenStart = performance.now();
    const tokens = await this.#redeemCode(code, tx);
    const tokenMs = performance.now() - tokenStart;

    try {
      await this.#verifier!.verify(tokens.idToken, idp.idTokenAlg);
    } catch (cause) {
      if (cause instanceof JwsError && cause.code === 'JWKS_FETCH') {
        throw new BridgeError(Reasons.idpUnavailable, 503, { detail: `ID token key lookup failed: ${describe(cause)}`, cause });
      }
      throw new BridgeError(Reasons.idTokenInvalid, 502, { detail: `ID token rejected: ${describe(cause)}`, cause });
    }
    let claims: Claims;
    try {
      claims = validateIdTokenClaims(decodeIdTokenPayload(tokens.idToken), {
        issuer: idp.issuer,
        clientId: this.#opts.clientId,
        nonce: tx.nonce,
        now: Math.floor(Date.now() / 1000),
        toleranceSec: this.#opts.clockToleranceSec,
      });
    } catch (cause) {
      throw new BridgeError(Reasons.idTokenInvalid, 502, { detail: `ID token rejected: ${describe(cause)}`, cause });
    }

    const sub = claims['sub'] as string;
    let usedUserinfo = false;
    let userinfoMs = 0;
    if (this.#userinfoEndpoint && neededClaims.some((c) => claims[c] === undefined)) {
      const userinfoStart = performance.now();
      const info = await this.#fetchUserinfo(tokens.accessToken, sub);
      userinfoMs = performance.now() - userinfoStart;
      claims = { ...claims };
      for (const [k, v] of Object.entries(info)) if (claims[k] === undefined) claims[k] = v;
      usedUserinfo = true;
    }
    return { claims, sub, usedUserinfo, tokenMs, userinfoMs };
  }

  /** The token request (RFC 6749 §4.1.3, PKCE): the checked token response. */
  async #redeemCode(code: string, tx: LoginTransaction): Promise<{ accessToken: string; idToken: string }> {
    const auth = this.#auth!;
    const body =
      `grant_type=authorization_code&code=${encodeURIComponent(code)}&redirect_uri=${this.#redirectUriField}` +
      `&code_verifier=${tx.codeVerifier}${auth.fields()}`;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
      'user-agent': USER_AGENT,
    };
    if (auth.authorization !== undefined) headers['authorization'] = auth.authorization;
    let answer: HttpAnswer;
    try {
      answer = await send(this.#http.dispatcher, { ...requestTarget(this.#tokenEndpoint!), method: 'POST', headers, body }, { signal: AbortSignal.timeout(this.#opts.timeoutMs) });
    } catch (cause) {
      throw new BridgeError(Reasons.tokenExchangeFailed, 502, { detail: `the token request failed: ${describe(cause)}`, cause });
    }
    if (answer.status !== 200) throw tokenEndpointRefusal(answer);
    try {
      return readTokenResponse(answer.body);
    } catch (cause) {
      const reason = cause instanceof TokenCheckError && cause.code === 'ID_TOKEN_INVALID' ? Reasons.idTokenInvalid : Reasons.tokenExchangeFailed;
      throw new BridgeError(reason, 502, { detail: `token response rejected: ${describe(cause)}`, cause });
    }
  }

  /** The userinfo request (OIDC Core §5.3): claims whose `sub` is the ID token's. */
  async #fetchUserinfo(accessToken: string, sub: string): Promise<Record<string, unknown>> {
    let answer: HttpAnswer;
    try {
      answer = await send(this.#http.dispatcher, {
        ...requestTarget(this.#userinfoEndpoint!),
        method: 'GET',
        headers: { accept: 'application/json', authorization: `Bearer ${accessToken}`, 'user-agent': USER_AGENT },
      }, { signal: AbortSignal.timeout(this.#opts.timeoutMs) });
    } catch (cause) {
      throw new BridgeError(Reasons.userinfoFailed, 502, { detail: `userinfo request failed: ${describe(cause)}`, cause });
    }
    if (answer.status !== 200) {
      throw new BridgeError(Reasons.userinfoFailed, 502, { detail: `userinfo request failed: the IdP answered HTTP ${answer.status}${oauthError(answer)}` });
    }
    if (!isJsonContentType(answer.headers['content-type'])) {
      // A signed or encrypted userinfo answer (application/jwt) was not asked for.
      throw new BridgeError(Reasons.userinfoFailed, 502, { detail: `userinfo request failed: the answer is ${JSON.stringify(String(answer.headers['content-type']).slice(0, 60))}, not JSON` });
    }
    let info: unknown;
    try {
      info = JSON.parse(answer.body);
    } catch {
      info = undefined;
    }
    if (!isJsonObject(info)) {
      throw new BridgeError(Reasons.userinfoFailed, 502, { detail: 'userinfo request failed: the answer is not a JSON object' });
    }
    const got = info['sub'];
    if (got !== sub) {
      throw new BridgeError(Reasons.userinfoSubMismatch, 502, {
        detail: `userinfo refused: its "sub" ${got === undefined ? 'is missing' : `(${JSON.stringify(String(got).slice(0, 100))})`} is not the ID token's`,
      });
    }
    return info;
  }
}

const USER_AGENT = 'commbox-sso-bridge';

/**
 * Checks the authorization response (RFC 6749 §4.1.2, RFC 9207) and returns its
 * code. Every parameter read must appear at most once.
 */
function checkAuthorizationResponse(params: URLSearchParams, idp: DiscoveredIdp): string {
  const one = (name: string): string | null => {
    const all = params.getAll(name);
    if (all.length > 1) throw new BridgeError(Reasons.callbackInvalid, 400, { detail: `the callback has several "${name}" parameters` });
    return all.length === 1 ? all[0]! : null;
  };
  const iss = one('iss');
  if (iss !== null && iss !== idp.issuer) {
    throw new BridgeError(Reasons.issMismatch, 400, { detail: `the authorization response "iss" is ${JSON.stringify(iss.slice(0, 200))}, not the configured issuer` });
  }
  if (iss === null && idp.issParameterSupported) {
    throw new BridgeError(Reasons.issMismatch, 400, { detail: 'the IdP advertises RFC 9207 but the authorization response has no "iss"' });
  }
  const error = one('error');
  if (error !== null) {
    const description = one('error_description');
    throw new BridgeError(Reasons.idpError, error === 'access_denied' ? 403 : 502, {
      detail: `the IdP answered error=${JSON.stringify(error.slice(0, 100))}${description ? ` (${JSON.stringify(description.slice(0, 300))})` : ''}`,
      userDetail: `The sign-in service answered: ${error.slice(0, 100)}.`,
    });
  }
  // This client asked for response_type=code, answered in the query.
  for (const unexpected of ['response', 'id_token', 'token', 'access_token']) {
    if (params.has(unexpected)) throw new BridgeError(Reasons.callbackInvalid, 400, { detail: `the callback has an unexpected "${unexpected}" parameter` });
  }
  const code = one('code');
  if (!code) throw new BridgeError(Reasons.callbackInvalid, 400, { detail: 'the callback has no "code"' });
  return code;
}

/** A non-200 answer of the token endpoint as a refusal naming what it said. */
function tokenEndpointRefusal(answer: HttpAnswer): BridgeError {
  const challenge = answer.headers['www-authenticate'];
  if (challenge !== undefined) {
    // A challenge: the IdP did not accept the client's credentials.
    const text = Array.isArray(challenge) ? challenge[0]! : challenge;
    const scheme = /^\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)/.exec(text)?.[1] ?? 'challenge';
    const error = /\berror="?([^",]*)"?/.exec(text)?.[1] ?? 'invalid_client';
    const description = /\berror_description="([^"]*)"/.exec(text)?.[1];
    return new BridgeError(Reasons.tokenExchangeFailed, 502, {
      detail: `the token endpoint answered HTTP ${answer.status} (${scheme}) error=${JSON.stringify(error.slice(0, 100))}${description ? ` (${JSON.stringify(description.slice(0, 300))})` : ''}: check OIDC_CLIENT_ID, the client credentials and OIDC_CLIENT_AUTH`,
    });
  }
  return new BridgeError(Reasons.tokenExchangeFailed, 502, { detail: `the token endpoint answered HTTP ${answer.status}${oauthError(answer)}` });
}

/** ` error="…" ("…")` of an RFC 6749 §5.2 error body, or what kind of body it was. */
function oauthError(answer: HttpAnswer): string {
  if (isJsonContentType(answer.headers['content-type'])) {
    try {
      const j = JSON.parse(answer.body) as { error?: unknown; error_description?: unknown };
      if (typeof j?.error === 'string' && j.error !== '') {
        const description = typeof j.error_description === 'string' ? ` (${JSON.stringify(j.error_description.slice(0, 300))})` : '';
        return ` error=${JSON.stringify(j.error.slice(0, 100))}${description}`;
      }
    } catch {
      /* not JSON after all */
    }
  }
  return answer.body.trimStart().startsWith('<') ? ' (an HTML page)' : '';
}

const isJsonContentType = (value: string | string[] | undefined) =>
  typeof value === 'string' && /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(value);

/** An endpoint from the IdP metadata: an https URL (http only for a loopback issuer). */
function endpoint(value: unknown, name: string, insecureAllowed: boolean): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new BridgeError(Reasons.idpUnavailable, 503, { detail: `the IdP metadata has no usable ${name}` });
  }
  if (url.protocol !== 'https:' && !(insecureAllowed && url.protocol === 'http:')) {
    throw new BridgeError(Reasons.idpUnavailable, 503, { detail: `the IdP metadata ${name} is not https: ${url.href}` });
  }
  return url;
}

/**
 * RFC 6749 §2.3.1: the client id and secret are form-encoded before they go
 * into the Basic header (as openid-client does; `check-config` warns when that
 * changes a secret).
 */
function formUrlEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/[-_.!~*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** The token endpoint authentication `OIDC_CLIENT_AUTH` names. */
function clientAuthenticator(o: OidcOptions, issuer: string): ClientAuthenticator {
  const id = encodeURIComponent(o.clientId);
  switch (o.clientAuth) {
    case 'client_secret_post': {
      const fields = `&client_id=${id}&client_secret=${encodeURIComponent(o.clientSecret)}`;
      return { authorization: undefined, fields: () => fields };
    }
    case 'private_key_jwt': {
      const { key } = parsePrivateKey(o.clientPrivateKey ?? '');
      if (!key) throw new BridgeError(Reasons.internalError, 500, { detail: 'the client private key cannot be read' });
      const prefix = `&client_id=${id}&client_assertion_type=${encodeURIComponent(CLIENT_ASSERTION_TYPE)}&client_assertion=`;
      return { authorization: undefined, fields: () => prefix + clientAssertion(key, o.clientPrivateKeyKid, o.clientId, issuer) };
    }
    default: {
      const authorization = `Basic ${Buffer.from(`${formUrlEncode(o.clientId)}:${formUrlEncode(o.clientSecret)}`).toString('base64')}`;
      return { authorization, fields: () => '' };
    }
  }
}

/**
 * A client assertion (RFC 7523 §3, OIDC Core §9 private_key_jwt): short-lived,
 * single-use (`jti`), for the issuer as audience.
 */
export function clientAssertion(key: KeyObject, kid: string | undefined, clientId: string, issuer: string, now = Math.floor(Date.now() / 1000)): string {
  const rsa = key.asymmetricKeyType === 'rsa';
  const p384 = key.asymmetricKeyDetails?.namedCurve === 'secp384r1';
  const alg = rsa ? 'RS256' : p384 ? 'ES384' : 'ES256';
  const header = kid === undefined ? { alg } : { alg, kid };
  const payload = { jti: randomUUID(), aud: issuer, exp: now + 60, iat: now, nbf: now, iss: clientId, sub: clientId };
  const data = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature = sign(p384 ? 'sha384' : 'sha256', Buffer.from(data), rsa ? key : { key, dsaEncoding: 'ieee-p1363' });
  return `${data}.${signature.toString('base64url')}`;
}

/**
 * True when a client secret has characters that are form-encoded in the HTTP
 * Basic header (RFC 6749 §2.3.1) and some IdPs do not decode.
 */
export function secretNeedsFormEncoding(secret: string): boolean {
  return /[^A-Za-z0-9]/.test(secret);
}

/** Picks the ID token algorithm: the pinned one, else RS256 when listed, else the first asymmetric one. */
export function chooseIdTokenAlg(pinned: string | undefined, advertised: readonly string[] | undefined): string | undefined {
  if (pinned !== undefined) return pinned;
  const usable = (advertised ?? ['RS256']).filter((a) => (ID_TOKEN_ALGORITHMS as readonly string[]).includes(a));
  return usable.includes('RS256') ? 'RS256' : usable[0];
}

/**
 * A one-line description of an error, without its cause's payload: a network or
 * TLS failure says what failed and what to check; otherwise the distinct
 * messages of the error and its causes, outermost first.
 */
export function describe(e: unknown): string {
  // A refusal already says what failed, in its own words.
  if (e instanceof BridgeError) return e.message.slice(0, 500);
  const network = explainNetworkError(e);
  if (network !== undefined) return network;
  if (e instanceof Error) {
    const parts: string[] = [];
    for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 4; cur = cur.cause, depth++) {
      const code = (cur as { code?: unknown }).code;
      const text = `${typeof code === 'string' && !cur.message.includes(code) ? `${code}: ` : ''}${cur.message}`;
      // Wrappers that add nothing ("something went wrong", "fetch failed") are left out when a cause says more.
      if (!parts.includes(text) && !(cur.cause instanceof Error && GENERIC_MESSAGES.test(cur.message))) parts.push(text);
    }
    return (parts.join(' <- ') || e.message).slice(0, 500);
  }
  return String(e).slice(0, 200);
}

const GENERIC_MESSAGES = /^(something went wrong|fetch failed|operation (timed out|aborted))$/;
