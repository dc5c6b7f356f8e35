/**
 * One IdP as the login layer uses it: discovery once (shared by concurrent
 * callers, retried after a failure), the authorization URL of a new login, and
 * the verification of its callback. The work is in the modules this one holds
 * together: discovery.ts, authorization-url.ts, verify-callback.ts (with
 * checks.ts, keys.ts, errors.ts), client-auth.ts and configuration-pool.ts.
 *
 * All requests go through the bridge's keep-alive undici Agent, each under a
 * total deadline (`OIDC_TIMEOUT_MS`, kept by the transport's `customFetch`).
 */
import * as client from 'openid-client';
import type { HttpClient } from '../net/idp-fetch.js';
import { untilAborted, type LoginClock } from '../net/deadline.js';
import { fixedAuthorizationParams } from './authorization-params.js';
import { authorizationUrl, authorizationUrlPrefix, type AuthorizationRequest } from './authorization-url.js';
import type { OidcSettings } from '../config/parse.js';
import { clientAuthentication, wrongClientAuthentication } from './client-auth.js';
import { ConfigurationPool } from './configuration-pool.js';
import { probeClientCredentials, type CredentialsVerdict } from './credentials-probe.js';
import { discoverIdp, discoveryProblemText, type DiscoveredIdp, type Discovery } from './discovery.js';
import { signInRequirements, type OidcOptions } from './options.js';
import { verifyCallback, type CallbackSettings, type VerifiedLogin } from './verify-callback.js';

export type { AuthorizationRequest } from './authorization-url.js';
export type { CredentialsVerdict } from './credentials-probe.js';
export type { DiscoveredIdp } from './discovery.js';
export type { OidcOptions } from './options.js';
export type { VerifiedLogin } from './verify-callback.js';

/** The IdP as this bridge uses it. Discovery happens in {@link OidcClient.discover}. */
export class OidcClient {
  #opts: OidcOptions;
  readonly #http: HttpClient;
  readonly #settings: CallbackSettings;
  /** The company's fixed authorization parameters (prompt, max_age, hd, OIDC_AUTH_PARAMS). */
  readonly fixedParams: Readonly<Record<string, string>>;
  #discovery: Discovery | undefined;
  #configurations: ConfigurationPool | undefined;
  #discovering: Promise<DiscoveredIdp> | undefined;
  #discoveryProblem: string | undefined;
  #authorizationPrefix: string | undefined;

  constructor(opts: OidcOptions, http: HttpClient) {
    this.#opts = opts;
    this.#http = http;
    this.fixedParams = fixedAuthorizationParams(opts);
    this.#settings = {
      clientId: opts.clientId,
      redirectUri: opts.redirectUri,
      maxAge: opts.maxAge,
      clockToleranceSec: opts.clockToleranceSec,
      accessTokenClaims: opts.accessTokenClaims,
      ...signInRequirements(opts),
    };
  }

  /** What discovery found; undefined before it succeeded. */
  get discovered(): DiscoveredIdp | undefined {
    return this.#discovery?.idp;
  }

  /**
   * Why the last discovery failed, for readiness; undefined once it succeeded.
   * Says which metadata check failed, but not the network details (the log has them).
   */
  get discoveryProblem(): string | undefined {
    return this.#discovery === undefined ? this.#discoveryProblem : undefined;
  }

  /**
   * Fetches the IdP's metadata and keys (once; concurrent calls share the work).
   * Throws a BridgeError `idp_unavailable` when the IdP cannot be reached or its
   * metadata is unusable.
   */
  discover(): Promise<DiscoveredIdp> {
    if (this.#discovery) return Promise.resolve(this.#discovery.idp);
    this.#discovering ??= this.#discover()
      .catch((e: unknown) => {
        this.#discoveryProblem = discoveryProblemText(e);
        throw e;
      })
      .finally(() => {
        this.#discovering = undefined;
      });
    return this.#discovering;
  }

  async #discover(): Promise<DiscoveredIdp> {
    const found = await discoverIdp(this.#opts, this.#http.fetch, this.#settings.freshSignIn);
    this.#configurations = new ConfigurationPool(found.configuration, found.newConfiguration, this.#http.fetch);
    this.#discovery = found;
    return found.idp;
  }

  /**
   * New client credentials (a rotated secret, key or certificate file): the next code exchange
   * authenticates with them; one in flight finishes with the old ones, and a login started before
   * completes with the new ones (the authorization request carries no credential).
   */
  async setCredentials(
    credentials: Pick<OidcSettings, 'clientSecret' | 'clientPrivateKey' | 'clientPrivateKeyKid' | 'clientCertificate'>,
  ): Promise<void> {
    const opts: OidcOptions = { ...this.#opts, ...credentials };
    this.#opts = opts;
    // A discovery in flight builds its authentication from the options it started with.
    await this.#discovering?.catch(() => undefined);
    const discovery = this.#discovery;
    if (discovery === undefined) return;
    const auth = await clientAuthentication(opts, discovery.idp.tokenEndpoint);
    if (this.#opts !== opts) return; // newer credentials came meanwhile: theirs win
    const configuration = discovery.configurationWith(auth);
    const newConfiguration = () => discovery.configurationWith(auth);
    this.#configurations = new ConfigurationPool(configuration, newConfiguration, this.#http.fetch);
    this.#discovery = { ...discovery, configuration, newConfiguration, clientAuth: auth };
  }

  /** For check-config: whether the IdP accepts the client's credentials, without a sign-in (credentials-probe.ts). */
  async probeClientCredentials(): Promise<CredentialsVerdict> {
    await this.discover();
    const discovery = this.#discovery!;
    const tokenEndpoint = discovery.idp.tokenEndpoint;
    return probeClientCredentials({
      configuration: discovery.configurationWith,
      auth: discovery.clientAuth,
      wrongAuth: () => wrongClientAuthentication(this.#opts, tokenEndpoint),
      redirectUri: this.#opts.redirectUri,
      secrets: [this.#opts.clientSecret],
    });
  }

  /**
   * The IdP authorization URL for a new login; `passed` are the link's
   * parameters already filtered by `passThroughParams`.
   */
  async authorizationUrl(
    request: Pick<AuthorizationRequest, 'state' | 'nonce' | 'codeVerifier'>,
    passed: Readonly<Record<string, string>> = {},
  ): Promise<string> {
    await this.discover();
    this.#authorizationPrefix ??= authorizationUrlPrefix(this.#discovery!.configuration, this.fixedParams, this.#opts);
    return authorizationUrl(this.#authorizationPrefix, request, passed);
  }

  /**
   * Where the `/logged-out` page sends a browser to sign out of this IdP too (`OIDC_LOGOUT=end_session`):
   * the IdP's `end_session_endpoint` with `client_id` and `postLogoutRedirectUri`, through openid-client's
   * `buildEndSessionUrl`. No `id_token_hint`: the bridge keeps no tokens. Undefined when the setting is off
   * or discovery has not succeeded yet (the page then offers nothing; readiness says why).
   */
  endSessionUrl(postLogoutRedirectUri: string): string | undefined {
    if (this.#opts.logout !== 'end_session' || this.#discovery === undefined) return undefined;
    return client
      .buildEndSessionUrl(this.#discovery.configuration, {
        client_id: this.#opts.clientId,
        post_logout_redirect_uri: postLogoutRedirectUri,
      })
      .toString();
  }

  /**
   * Verifies the callback's query `params` of the live login `request` (see
   * verify-callback.ts): userinfo is asked when one of `neededClaims` (claim
   * paths) is missing from the tokens; every request carries `clock`'s deadline;
   * `onTokensVerified` is called once the IdP's tokens verified.
   */
  async verifyCallback(
    params: URLSearchParams,
    request: AuthorizationRequest,
    neededClaims: readonly (readonly string[])[],
    clock?: LoginClock,
    onTokensVerified?: () => void,
  ): Promise<VerifiedLogin> {
    clock?.enter('discovery');
    await untilAborted(this.discover(), clock?.signal);
    const discovery = this.#discovery!;
    return this.#configurations!.withSignal(clock?.signal, (configuration) =>
      verifyCallback(this.#settings, discovery, configuration, {
        params,
        request,
        neededClaims,
        clock,
        onTokensVerified,
      }),
    );
  }
}
