/**
 * OpenID Connect against the company IdP: discovery, the authorization URL, and
 * the callback (code exchange, full ID token verification, userinfo when needed).
 *
 * openid-client checks the protocol (state, RFC 9207 `iss`, PKCE, ID token
 * `iss`/`aud`/`azp`/`exp`/`iat`/`nonce`/`sub`, the userinfo `sub`); the ID token
 * signature is verified here, always, by {@link JwksVerifier}.
 */
import { createHash, webcrypto } from 'node:crypto';
import * as client from 'openid-client';
import { BridgeError, Reasons } from './errors.js';
import { ID_TOKEN_ALGORITHMS, parsePrivateKey, type ClientAuthMethod } from './config.js';
import { JwksVerifier, JwsError } from './jwks.js';
import type { HttpClient } from './http-client.js';
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

const TOKEN_ENDPOINT_ERROR_CODES = new Set([
  'OAUTH_RESPONSE_IS_NOT_CONFORM',
  'OAUTH_RESPONSE_IS_NOT_JSON',
  'OAUTH_HTTP_REQUEST_FORBIDDEN',
  'OAUTH_WWW_AUTHENTICATE_CHALLENGE',
]);

/** The IdP as this bridge uses it. Discovery happens in {@link OidcClient.discover}. */
export class OidcClient {
  readonly #opts: OidcOptions;
  readonly #http: HttpClient;
  #config: client.Configuration | undefined;
  #verifier: JwksVerifier | undefined;
  #idp: DiscoveredIdp | undefined;
  #discovering: Promise<DiscoveredIdp> | undefined;
  #authorizationPrefix: string | undefined;

  constructor(opts: OidcOptions, http: HttpClient) {
    this.#opts = opts;
    this.#http = http;
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
    const metadata: Partial<client.ClientMetadata> = {
      id_token_signed_response_alg: alg,
      [client.clockTolerance]: o.clockToleranceSec,
    };
    if (o.clientSecret) metadata.client_secret = o.clientSecret;
    const config = new client.Configuration(server, o.clientId, metadata, await clientAuthentication(o));
    config[client.customFetch] = this.#http.fetch;
    // The HTTP client enforces connect, header and body timeouts itself; an
    // AbortSignal timer per request on top would only cost.
    config.timeout = 0;
    if (insecure) client.allowInsecureRequests(config);

    const jwksUri = server.jwks_uri;
    const verifier = new JwksVerifier(() => this.#http.getJson(jwksUri, o.timeoutMs));
    try {
      await verifier.load();
    } catch (cause) {
      throw new BridgeError(Reasons.idpUnavailable, 503, { detail: `fetching the IdP JWKS failed: ${describe(cause)}`, cause });
    }
    this.#config = config;
    this.#verifier = verifier;
    this.#idp = {
      issuer: server.issuer,
      authorizationEndpoint: String(server.authorization_endpoint),
      tokenEndpoint: String(server.token_endpoint),
      userinfoEndpoint: server.userinfo_endpoint,
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
   * Completes the login from the callback URL of a live transaction: checks the
   * authorization response, exchanges the code, verifies the ID token, and fetches
   * userinfo when one of `neededClaims` (root claim names) is missing from it.
   */
  async completeLogin(callbackUrl: URL, tx: LoginTransaction, neededClaims: readonly string[]): Promise<VerifiedLogin> {
    const idp = await this.discover();
    const config = this.#config!;
    const params = callbackUrl.searchParams;

    const iss = params.get('iss');
    if (iss !== null && iss !== idp.issuer) {
      throw new BridgeError(Reasons.issMismatch, 400, { detail: `the authorization response "iss" is ${JSON.stringify(iss.slice(0, 200))}, not the configured issuer` });
    }
    if (iss === null && idp.issParameterSupported) {
      throw new BridgeError(Reasons.issMismatch, 400, { detail: 'the IdP advertises RFC 9207 but the authorization response has no "iss"' });
    }
    const error = params.get('error');
    if (error !== null) {
      const description = params.get('error_description');
      throw new BridgeError(Reasons.idpError, error === 'access_denied' ? 403 : 502, {
        detail: `the IdP answered error=${JSON.stringify(error.slice(0, 100))}${description ? ` (${JSON.stringify(description.slice(0, 300))})` : ''}`,
        userDetail: `The sign-in service answered: ${error.slice(0, 100)}.`,
      });
    }
    if (!params.get('code')) throw new BridgeError(Reasons.callbackInvalid, 400, { detail: 'the callback has no "code"' });

    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    const tokenStart = performance.now();
    try {
      tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: tx.codeVerifier,
        expectedState: tx.state,
        expectedNonce: tx.nonce,
        idTokenExpected: true,
      });
    } catch (cause) {
      throw classifyGrantError(cause);
    }
    const tokenMs = performance.now() - tokenStart;
    const idToken = tokens.id_token;
    const idClaims = tokens.claims();
    if (!idToken || !idClaims) throw new BridgeError(Reasons.idTokenInvalid, 502, { detail: 'the token response has no ID token' });

    try {
      await this.#verifier!.verify(idToken, idp.idTokenAlg);
    } catch (cause) {
      if (cause instanceof JwsError && cause.code === 'JWKS_FETCH') {
        throw new BridgeError(Reasons.idpUnavailable, 503, { detail: `ID token key lookup failed: ${describe(cause)}`, cause });
      }
      throw new BridgeError(Reasons.idTokenInvalid, 502, { detail: `ID token rejected: ${describe(cause)}`, cause });
    }
    const aud = idClaims.aud;
    if (Array.isArray(aud) && aud.length > 1 && idClaims['azp'] !== this.#opts.clientId) {
      throw new BridgeError(Reasons.idTokenInvalid, 502, { detail: 'ID token has several audiences and its "azp" is not this client' });
    }

    const claims: Claims = { ...idClaims };
    const sub = idClaims.sub;
    let usedUserinfo = false;
    let userinfoMs = 0;
    if (neededClaims.some((c) => claims[c] === undefined) && idp.userinfoEndpoint && tokens.access_token) {
      let info: client.UserInfoResponse;
      const userinfoStart = performance.now();
      try {
        info = await client.fetchUserInfo(config, tokens.access_token, sub);
      } catch (cause) {
        const code = (cause as { code?: string }).code;
        if (code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' || /sub/i.test(describe(cause))) {
          throw new BridgeError(Reasons.userinfoSubMismatch, 502, { detail: `userinfo refused: ${describe(cause)}`, cause });
        }
        throw new BridgeError(Reasons.userinfoFailed, 502, { detail: `userinfo request failed: ${describe(cause)}`, cause });
      }
      userinfoMs = performance.now() - userinfoStart;
      for (const [k, v] of Object.entries(info)) if (claims[k] === undefined) claims[k] = v;
      usedUserinfo = true;
    }
    return { claims, sub, usedUserinfo, tokenMs, userinfoMs };
  }
}

/** The token endpoint authentication `OIDC_CLIENT_AUTH` names. */
async function clientAuthentication(o: OidcOptions): Promise<client.ClientAuth> {
  switch (o.clientAuth) {
    case 'client_secret_post':
      return client.ClientSecretPost(o.clientSecret);
    case 'private_key_jwt': {
      const { key } = parsePrivateKey(o.clientPrivateKey ?? '');
      if (!key) throw new BridgeError(Reasons.internalError, 500, { detail: 'the client private key cannot be read' });
      const curve = key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'P-384' : 'P-256';
      const algorithm = key.asymmetricKeyType === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: curve };
      const cryptoKey = await webcrypto.subtle.importKey('pkcs8', key.export({ format: 'der', type: 'pkcs8' }), algorithm, false, ['sign']);
      return client.PrivateKeyJwt({ key: cryptoKey, kid: o.clientPrivateKeyKid });
    }
    default:
      return client.ClientSecretBasic(o.clientSecret);
  }
}

/**
 * True when a client secret has characters that openid-client form-encodes in
 * the HTTP Basic header (RFC 6749 §2.3.1) and some IdPs do not decode.
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

function classifyGrantError(cause: unknown): BridgeError {
  const e = cause as { name?: string; code?: string; error?: string; status?: number; error_description?: string };
  if (e?.name === 'ResponseBodyError') {
    return new BridgeError(Reasons.tokenExchangeFailed, 502, {
      detail: `the token endpoint answered HTTP ${e.status} error=${JSON.stringify(String(e.error).slice(0, 100))}${e.error_description ? ` (${JSON.stringify(String(e.error_description).slice(0, 300))})` : ''}`,
      cause,
    });
  }
  if (e?.name === 'WWWAuthenticateChallengeError') {
    // A 401 with a challenge: the IdP did not accept the client's credentials.
    const challenges = (cause as { cause?: { scheme?: string; parameters?: Record<string, string> }[] }).cause ?? [];
    const p = challenges[0]?.parameters ?? {};
    return new BridgeError(Reasons.tokenExchangeFailed, 502, {
      detail: `the token endpoint answered HTTP ${e.status} (${challenges[0]?.scheme ?? 'challenge'}) error=${JSON.stringify(String(p['error'] ?? 'invalid_client').slice(0, 100))}${p['error_description'] ? ` (${JSON.stringify(p['error_description'].slice(0, 300))})` : ''}: check OIDC_CLIENT_ID, the client credentials and OIDC_CLIENT_AUTH`,
      cause,
    });
  }
  if ((e?.code && TOKEN_ENDPOINT_ERROR_CODES.has(e.code)) || e?.name === 'TypeError' || e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.code?.startsWith('UND_ERR')) {
    return new BridgeError(Reasons.tokenExchangeFailed, 502, { detail: `the token request failed: ${describe(cause)}`, cause });
  }
  return new BridgeError(Reasons.idTokenInvalid, 502, { detail: `token response rejected: ${describe(cause)}`, cause });
}

/** A one-line description of an error, without its cause's payload. */
export function describe(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    const inner = e.cause instanceof Error ? ` <- ${e.cause.message}` : '';
    return `${typeof code === 'string' ? `${code}: ` : ''}${e.message}${inner}`.slice(0, 500);
  }
  return String(e).slice(0, 200);
}
