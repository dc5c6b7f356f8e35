/**
 * OpenID Connect against one IdP, through openid-client (OpenID Certified):
 * discovery, the authorization URL, the code grant with PKCE, state, nonce and
 * every ID token claim check, userinfo with the expected `sub`; the client's
 * authentication at the token endpoint is `client-auth.ts`. The ID token signature is verified by
 * jose against the IdP's JWKS ({@link IdpKeys}); a few stricter rules are in
 * `checks.ts`; every library error becomes a refusal in `errors.ts`.
 *
 * All requests go through the bridge's keep-alive undici Agent, each under a
 * total deadline (`OIDC_TIMEOUT_MS`, kept by the transport's `customFetch`).
 */
import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import { BridgeError, Reasons } from '../errors.js';
import { describeError } from '../net/network-errors.js';
import type { OidcSettings } from '../config/parse.js';
import { ID_TOKEN_ALGORITHMS } from '../config/algorithms.js';
import { untilAborted, type LoginClock } from '../net/deadline.js';
import type { HttpClient } from '../net/idp-fetch.js';
import { getClaim, type Claims } from '../claims/mapping.js';
import type { LoginTransaction } from '../login/transaction.js';
import {
  checkAcr,
  checkCallbackParameters,
  checkEndpoint,
  checkIdTokenClaims,
  checkIssuedAt,
  checkSignedInSince,
  checkTokenType,
  type CheckFailure,
} from './checks.js';
import { oidcRefusal, type OidcStep } from './errors.js';
import { IdpKeys } from './keys.js';
import { fixedAuthorizationParams } from './authorization-params.js';
import { clientAuthentication } from './client-auth.js';

/** One IdP's settings as configured, and what the client needs beside them. */
export interface OidcOptions extends OidcSettings {
  readonly redirectUri: string;
  /** Seconds of clock skew tolerated on ID token times. */
  readonly clockToleranceSec: number;
  /** Total deadline of each request to the IdP. */
  readonly timeoutMs: number;
}

/** What a successful callback yields. */
export interface VerifiedLogin {
  /** ID token claims, completed from userinfo when needed. */
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

/** A Configuration whose requests carry one login's deadline, while that login holds it. */
interface Lease {
  readonly config: client.Configuration;
  signal: AbortSignal | undefined;
}

/** Idle leases kept for reuse (about the logins in flight at once); more are made when needed. */
const MAX_IDLE_LEASES = 64;

/** The IdP as this bridge uses it. Discovery happens in {@link OidcClient.discover}. */
export class OidcClient {
  readonly #opts: OidcOptions;
  readonly #http: HttpClient;
  #config: client.Configuration | undefined;
  /** What a Configuration is made of, kept from discovery for the leases. */
  #makeConfig: (() => client.Configuration) | undefined;
  readonly #leases: Lease[] = [];
  #keys: IdpKeys | undefined;
  #idp: DiscoveredIdp | undefined;
  #discovering: Promise<DiscoveredIdp> | undefined;
  #discoveryProblem: string | undefined;
  #authorizationPrefix: string | undefined;
  /** `OIDC_PROMPT` contains `login`: the ID token must confirm a sign-in made during this login. */
  readonly #freshSignIn: boolean;
  /** The `acr_values` of `OIDC_AUTH_PARAMS`; undefined when not asked for. */
  readonly #acrValues: readonly string[] | undefined;

  constructor(opts: OidcOptions, http: HttpClient) {
    this.#opts = opts;
    this.#http = http;
    this.#fixedParams = fixedAuthorizationParams(opts);
    this.#freshSignIn = opts.prompt?.split(' ').includes('login') ?? false;
    const acr = opts.authParams.find(([name]) => name === 'acr_values');
    this.#acrValues = acr === undefined ? undefined : acr[1].split(' ').filter((v) => v !== '');
  }

  /** What discovery found; undefined before it succeeded. */
  get discovered(): DiscoveredIdp | undefined {
    return this.#idp;
  }

  /**
   * Why the last discovery failed, for readiness; undefined once it succeeded.
   * Says which metadata check failed, but not the network details (the log has them).
   */
  get discoveryProblem(): string | undefined {
    return this.#idp === undefined ? this.#discoveryProblem : undefined;
  }

  /**
   * Fetches the IdP's metadata and keys (once; concurrent calls share the work).
   * Throws a {@link BridgeError} `idp_unavailable` when the IdP cannot be reached
   * or its metadata is unusable.
   */
  discover(): Promise<DiscoveredIdp> {
    if (this.#idp) return Promise.resolve(this.#idp);
    this.#discovering ??= this.#discover()
      .catch((e: unknown) => {
        this.#discoveryProblem = readinessText(e);
        throw e;
      })
      .finally(() => {
        this.#discovering = undefined;
      });
    return this.#discovering;
  }

  async #discover(): Promise<DiscoveredIdp> {
    const o = this.#opts;
    const issuer = new URL(o.issuer);
    const insecure = issuer.protocol === 'http:'; // the configuration allows this only for loopback
    let found: client.Configuration;
    try {
      found = await client.discovery(issuer, o.clientId, undefined, undefined, {
        [client.customFetch]: this.#http.fetch,
        execute: insecure ? [client.allowInsecureRequests] : [],
        timeout: o.timeoutMs / 1000,
      });
    } catch (cause) {
      throw new BridgeError(Reasons.idpUnavailable, 503, {
        check: 'discovery',
        detail: `OIDC discovery of ${o.issuer} failed: ${describeError(cause)}`,
        cause,
      });
    }
    const server = found.serverMetadata();
    const alg = chooseIdTokenAlg(o.idTokenAlg, server.id_token_signing_alg_values_supported);
    if (alg === undefined) {
      throw unusable({
        check: 'metadata.id_token_signing_alg_values_supported',
        detail: `the IdP advertises no usable ID token algorithm (${String(server.id_token_signing_alg_values_supported)}); set OIDC_ID_TOKEN_ALG`,
      });
    }
    for (const [name, value, required] of [
      ['authorization_endpoint', server.authorization_endpoint, true],
      ['token_endpoint', server.token_endpoint, true],
      ['jwks_uri', server.jwks_uri, true],
      ['userinfo_endpoint', server.userinfo_endpoint, false],
    ] as const) {
      if (value === undefined && !required) continue;
      const problem = checkEndpoint(name, value, issuer);
      if (problem) throw unusable(problem);
    }

    const auth = await clientAuthentication(this.#opts, String(server.token_endpoint));
    const metadata = {
      id_token_signed_response_alg: alg,
      [client.clockTolerance]: o.clockToleranceSec,
      // prompt=login: openid-client then refuses an ID token without auth_time
      // (checkSignedInSince below judges its value).
      ...(this.#freshSignIn ? { require_auth_time: true } : {}),
    };
    const makeConfig = () => {
      const c = new client.Configuration(server, o.clientId, metadata, auth);
      // The total deadline of each request is the transport's (OIDC_TIMEOUT_MS, in
      // customFetch: one timer, cleared with the answer). With 0, openid-client adds
      // no AbortSignal.timeout of its own: that one keeps its timer and signal
      // alive for the whole timeout after every answer, on every login.
      c.timeout = 0;
      if (insecure) client.allowInsecureRequests(c);
      return c;
    };
    const config = makeConfig();
    config[client.customFetch] = this.#http.fetch;

    const keys = new IdpKeys(new URL(server.jwks_uri!), this.#http.fetch, { timeoutMs: o.timeoutMs });
    try {
      await keys.load();
    } catch (cause) {
      throw new BridgeError(Reasons.idpUnavailable, 503, {
        check: 'jwks.fetch',
        detail: `fetching the IdP JWKS failed: ${describeError(cause)}`,
        cause,
      });
    }
    this.#config = config;
    this.#makeConfig = makeConfig;
    this.#keys = keys;
    this.#idp = {
      issuer: server.issuer,
      authorizationEndpoint: String(server.authorization_endpoint),
      tokenEndpoint: String(server.token_endpoint),
      userinfoEndpoint: server.userinfo_endpoint,
      jwksUri: server.jwks_uri!,
      idTokenAlg: alg,
      advertisedAlgs: server.id_token_signing_alg_values_supported ?? [],
      keyCount: keys.keyCount,
      issParameterSupported: server.authorization_response_iss_parameter_supported === true,
      tokenEndpointAuthMethods: server.token_endpoint_auth_methods_supported ?? ['client_secret_basic'],
    };
    return this.#idp;
  }

  /** The company's fixed authorization parameters (prompt, max_age, hd, OIDC_AUTH_PARAMS). */
  get fixedParams(): Readonly<Record<string, string>> {
    return this.#fixedParams;
  }

  readonly #fixedParams: Readonly<Record<string, string>>;

  /**
   * The IdP authorization URL for a new transaction; `passed` are the link's
   * parameters already filtered by `passThroughParams`.
   */
  async authorizationUrl(tx: LoginTransaction, passed: Readonly<Record<string, string>> = {}): Promise<string> {
    await this.discover();
    // The fixed part is built once by openid-client; per login only the random
    // values (URL-safe base64, no escaping needed) and the link's parameters are appended.
    this.#authorizationPrefix ??= client.buildAuthorizationUrl(this.#config!, {
      ...this.#fixedParams,
      response_type: 'code',
      redirect_uri: this.#opts.redirectUri,
      scope: this.#opts.scopes,
      code_challenge_method: 'S256',
    }).href;
    // S256 (RFC 7636 §4.2): base64url(SHA-256(verifier)), with node:crypto's hash.
    // openid-client's calculatePKCECodeChallenge computes the same through
    // WebCrypto's asynchronous digest, a thread-pool round trip that cost about 5%
    // of the bridge's CPU per login for 43 bytes of input; a test checks that both agree.
    const challenge = pkceChallenge(tx.codeVerifier);
    let url = `${this.#authorizationPrefix}&state=${tx.state}&nonce=${tx.nonce}&code_challenge=${challenge}`;
    for (const [name, value] of Object.entries(passed))
      url += `&${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
    return url;
  }

  /**
   * Completes the login from the callback's query of a live transaction: the
   * authorization response, the code grant, the ID token (claims by
   * openid-client, signature by jose, the stricter extra rules), the access
   * token's claims when `ACCESS_TOKEN_CLAIMS` and it verifies, and userinfo when
   * one of `neededClaims` (claim paths) is still missing. Claims are read in that
   * order; an earlier source wins.
   *
   * A userinfo answer for another `sub` always refuses; any other userinfo
   * failure is returned as `userinfoError`, for the caller to refuse only when a
   * required claim is still missing.
   *
   * `onTokensVerified` is called once the token response and the ID token (its
   * signature and the library's and {@link checkIdTokenClaims}'s claim checks)
   * verified: the code was the IdP's own, whatever is refused after that.
   */
  async completeLogin(
    params: URLSearchParams,
    tx: LoginTransaction,
    neededClaims: readonly (readonly string[])[],
    clock?: LoginClock,
    onTokensVerified?: () => void,
  ): Promise<VerifiedLogin> {
    clock?.enter('discovery');
    const idp = await untilAborted(this.discover(), clock?.signal);
    const lease = this.#lease(clock?.signal);
    try {
      return await this.#complete(
        params,
        tx,
        neededClaims,
        idp,
        lease?.config ?? this.#config!,
        clock,
        onTokensVerified,
      );
    } finally {
      if (lease) this.#release(lease);
    }
  }

  /**
   * A Configuration whose requests carry `signal` (the login's deadline) beside
   * the transport's own: openid-client takes its fetch per Configuration, not per
   * call. Reused, so that a login does not build one (and copy the metadata).
   */
  #lease(signal: AbortSignal | undefined): Lease | undefined {
    if (signal === undefined) return undefined;
    let lease = this.#leases.pop();
    if (lease === undefined) {
      const made: Lease = { config: this.#makeConfig!(), signal: undefined };
      made.config[client.customFetch] = (url, options) =>
        this.#http.fetch(url, { ...options, signal: made.signal ?? options.signal });
      lease = made;
    }
    lease.signal = signal;
    return lease;
  }

  #release(lease: Lease): void {
    lease.signal = undefined;
    if (this.#leases.length < MAX_IDLE_LEASES) this.#leases.push(lease);
  }

  async #complete(
    params: URLSearchParams,
    tx: LoginTransaction,
    neededClaims: readonly (readonly string[])[],
    idp: DiscoveredIdp,
    config: client.Configuration,
    clock: LoginClock | undefined,
    onTokensVerified: (() => void) | undefined,
  ): Promise<VerifiedLogin> {
    const signal = clock?.signal;
    refuseIf(checkCallbackParameters(params), Reasons.callbackInvalid, 400);

    const tokenStart = performance.now();
    // The redirect URI is this IdP's own, whatever path a proxy showed the bridge.
    const currentUrl = new URL(`${this.#opts.redirectUri}?${params.toString()}`);
    clock?.enter('token');
    const tokens = await step('callback', () =>
      client.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: tx.codeVerifier,
        expectedState: tx.state,
        expectedNonce: tx.nonce,
        idTokenExpected: true,
        // OIDC_MAX_AGE: auth_time is then required and checked (with the clock tolerance).
        ...(this.#opts.maxAge !== undefined ? { maxAge: this.#opts.maxAge } : {}),
      }),
    );
    refuseIf(checkTokenType(tokens.token_type), Reasons.tokenExchangeFailed, 502);
    // A JWKS refetch is shared by the logins waiting on it: this one stops waiting at its deadline.
    clock?.enter('signature');
    await step('signature', () => untilAborted(this.#keys!.verify(tokens.id_token!, idp.idTokenAlg), signal));
    const idTokenClaims: Claims = { ...tokens.claims()! };
    refuseIf(checkIdTokenClaims(idTokenClaims, this.#opts.clientId), Reasons.idTokenInvalid, 502);
    onTokensVerified?.();
    refuseIf(checkIssuedAt(idTokenClaims, Date.now(), this.#opts.clockToleranceSec), Reasons.idTokenInvalid, 502);
    // What the company asked of the sign-in is verified, not only requested:
    // the browser carries the request, and anyone at it can edit it.
    if (this.#freshSignIn) {
      refuseIf(
        checkSignedInSince(idTokenClaims, tx.createdAt, Date.now(), this.#opts.clockToleranceSec),
        Reasons.reauthenticationMissing,
        403,
      );
    }
    if (this.#acrValues !== undefined) refuseIf(checkAcr(idTokenClaims, this.#acrValues), Reasons.acrNotSatisfied, 403);
    const tokenMs = performance.now() - tokenStart;
    const sub = idTokenClaims['sub'] as string;

    let claims: Claims = idTokenClaims;
    let accessTokenClaims: VerifiedLogin['accessTokenClaims'];
    let accessTokenPayload: Claims | undefined;
    if (this.#opts.accessTokenClaims) {
      clock?.enter('access_token');
      const read = await this.#accessTokenClaims(tokens.access_token, sub, idp, signal);
      accessTokenClaims = read.outcome;
      accessTokenPayload = read.claims;
      if (accessTokenPayload) claims = fillMissing(claims, accessTokenPayload);
    }

    let usedUserinfo = false;
    let userinfoMs = 0;
    let userinfoError: BridgeError | undefined;
    let userinfoClaims: Claims | undefined;
    if (idp.userinfoEndpoint !== undefined && neededClaims.some((p) => getClaim(claims, p) === undefined)) {
      const userinfoStart = performance.now();
      clock?.enter('userinfo');
      try {
        userinfoClaims = await step('userinfo', () => client.fetchUserInfo(config, tokens.access_token, sub));
        claims = fillMissing(claims, userinfoClaims);
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
  async #accessTokenClaims(
    accessToken: string,
    sub: string,
    idp: DiscoveredIdp,
    signal: AbortSignal | undefined,
  ): Promise<{ outcome: 'read' | 'opaque' | 'unverified'; claims?: Claims }> {
    if (accessToken.split('.').length !== 3) return { outcome: 'opaque' };
    try {
      const payload = await untilAborted(
        this.#keys!.verifyJwt(accessToken, idp.idTokenAlg, {
          issuer: idp.issuer,
          clockToleranceSec: this.#opts.clockToleranceSec,
        }),
        signal,
      );
      if (payload.sub !== sub) return { outcome: 'unverified' };
      return { outcome: 'read', claims: payload };
    } catch {
      return { outcome: 'unverified' };
    }
  }
}

/** The claims of `more` that `claims` does not have yet (an earlier source wins), in one copy. */
function fillMissing(claims: Claims, more: Readonly<Record<string, unknown>>): Claims {
  const added = Object.entries(more).filter(([k]) => claims[k] === undefined);
  // fromEntries and spread define own properties: a "__proto__" claim stays data, never a prototype.
  return added.length === 0 ? claims : { ...claims, ...Object.fromEntries(added) };
}

/** The S256 PKCE code challenge of a verifier. */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** Runs one library step; its failure becomes the bridge's refusal. */
async function step<T>(name: OidcStep, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw oidcRefusal(name, e);
  }
}

function refuseIf(
  problem: CheckFailure | undefined,
  reason: (typeof Reasons)[keyof typeof Reasons],
  status: number,
): void {
  if (problem) throw new BridgeError(reason, status, { check: problem.check, detail: problem.detail });
}

const unusable = (problem: CheckFailure) =>
  new BridgeError(Reasons.idpUnavailable, 503, { check: problem.check, detail: problem.detail });

/**
 * A discovery failure in words for `/readyz`: a metadata check (`metadata.*`, the
 * bridge's own words about the IdP's public metadata) says what it found; a
 * failed fetch only says which step failed (the log has the network details).
 */
function readinessText(e: unknown): string {
  if (!(e instanceof BridgeError)) return 'discovery failed (the log says why)';
  if (e.check?.startsWith('metadata.')) return `${e.check}: ${e.detail ?? e.reason}`;
  return `${e.check ?? 'discovery'}: the IdP could not be reached or answered badly (the log says why)`;
}

/** Picks the ID token algorithm: the pinned one, else RS256 when listed, else the first asymmetric one. */
export function chooseIdTokenAlg(
  pinned: string | undefined,
  advertised: readonly string[] | undefined,
): string | undefined {
  if (pinned !== undefined) return pinned;
  const usable = (advertised ?? ['RS256']).filter((a) => (ID_TOKEN_ALGORITHMS as readonly string[]).includes(a));
  return usable.includes('RS256') ? 'RS256' : usable[0];
}
