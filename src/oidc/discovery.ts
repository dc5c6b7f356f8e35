/**
 * Discovery of one IdP through openid-client: its metadata (checked for
 * endpoints the bridge may call), the ID token algorithm, the client
 * authentication, and its signing keys ({@link IdpKeys}), fetched once here so
 * that a broken JWKS shows at start-up and in readiness, not at the first login.
 */
import * as client from 'openid-client';
import { BridgeError, Reasons } from '../errors.js';
import { ID_TOKEN_ALGORITHMS } from '../config/algorithms.js';
import type { IdpFetch } from '../net/idp-fetch.js';
import { describeError } from '../net/network-errors.js';
import { checkEndpoint, type CheckFailure } from './checks.js';
import { clientAuthentication } from './client-auth.js';
import { IdpKeys } from './keys.js';
import type { OidcOptions } from './options.js';

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
  /** The RP-initiated logout endpoint, checked, with `OIDC_LOGOUT=end_session`; undefined otherwise. */
  readonly endSessionEndpoint: string | undefined;
}

/** A discovered IdP: what it advertised, its keys, and its openid-client Configuration. */
export interface Discovery {
  readonly idp: DiscoveredIdp;
  readonly keys: IdpKeys;
  /** The Configuration whose requests go through the transport's fetch. */
  readonly configuration: client.Configuration;
  /** Another Configuration of the same metadata and client, without a fetch of its own. */
  readonly newConfiguration: () => client.Configuration;
  /** The client's authentication at the token endpoint (OIDC_CLIENT_AUTH), as `configuration` uses it. */
  readonly clientAuth: client.ClientAuth;
  /** A Configuration like `configuration`, its transport included, that authenticates with `auth` (check-config's probe). */
  readonly configurationWith: (auth: client.ClientAuth) => client.Configuration;
}

/**
 * Fetches the IdP's metadata and keys. `requireAuthTime`: openid-client then
 * refuses an ID token without `auth_time` (OIDC_PROMPT=login; checkSignedInSince
 * judges its value). Throws a {@link BridgeError} `idp_unavailable` when the IdP
 * cannot be reached or its metadata is unusable.
 */
export async function discoverIdp(opts: OidcOptions, fetch: IdpFetch, requireAuthTime: boolean): Promise<Discovery> {
  const issuer = new URL(opts.issuer);
  const insecure = issuer.protocol === 'http:'; // the configuration allows this only for loopback
  let discovered: client.Configuration;
  try {
    discovered = await client.discovery(issuer, opts.clientId, undefined, undefined, {
      [client.customFetch]: fetch,
      execute: insecure ? [client.allowInsecureRequests] : [],
      timeout: opts.timeoutMs / 1000,
    });
  } catch (cause) {
    throw new BridgeError(Reasons.idpUnavailable, {
      check: 'discovery',
      detail: `OIDC discovery of ${opts.issuer} failed: ${describeError(cause)}`,
      cause,
    });
  }
  const server = discovered.serverMetadata();
  const alg = chooseIdTokenAlg(opts.idTokenAlg, server.id_token_signing_alg_values_supported);
  if (alg === undefined) {
    throw unusableMetadata({
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
    if (problem) throw unusableMetadata(problem);
  }
  // OIDC_LOGOUT=end_session: the sign-out the company asked for must be possible, else the IdP is refused
  // (fail closed, not a page quietly without its button). Off, the endpoint is neither read nor judged.
  if (opts.logout === 'end_session') {
    const problem = checkEndpoint('end_session_endpoint', server.end_session_endpoint, issuer);
    if (problem) throw unusableMetadata(problem);
  }

  const auth = await clientAuthentication(opts, String(server.token_endpoint));
  const metadata = {
    id_token_signed_response_alg: alg,
    [client.clockTolerance]: opts.clockToleranceSec,
    ...(requireAuthTime ? { require_auth_time: true } : {}),
  };
  const newConfiguration = (withAuth: client.ClientAuth = auth) => {
    const c = new client.Configuration(server, opts.clientId, metadata, withAuth);
    // The total deadline of each request is the transport's (OIDC_TIMEOUT_MS, in
    // customFetch: one timer, cleared with the answer). With 0, openid-client adds
    // no AbortSignal.timeout of its own: that one keeps its timer and signal
    // alive for the whole timeout after every answer, on every login.
    c.timeout = 0;
    if (insecure) client.allowInsecureRequests(c);
    return c;
  };
  const configurationWith = (withAuth: client.ClientAuth) => {
    const c = newConfiguration(withAuth);
    c[client.customFetch] = fetch;
    return c;
  };
  const configuration = configurationWith(auth);

  const keys = new IdpKeys(new URL(server.jwks_uri!), fetch, { timeoutMs: opts.timeoutMs });
  try {
    await keys.load();
  } catch (cause) {
    throw new BridgeError(Reasons.idpUnavailable, {
      check: 'jwks.fetch',
      detail: `fetching the IdP JWKS failed: ${describeError(cause)}`,
      cause,
    });
  }
  const idp: DiscoveredIdp = {
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
    endSessionEndpoint: opts.logout === 'end_session' ? server.end_session_endpoint : undefined,
  };
  return { idp, keys, configuration, newConfiguration: () => newConfiguration(), clientAuth: auth, configurationWith };
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

/**
 * A discovery failure in words for `/readyz`: a metadata check (`metadata.*`, the
 * bridge's own words about the IdP's public metadata) says what it found; a
 * failed fetch only says which step failed (the log has the network details).
 */
export function discoveryProblemText(e: unknown): string {
  if (!(e instanceof BridgeError)) return 'discovery failed (the log says why)';
  if (e.check?.startsWith('metadata.')) return `${e.check}: ${e.detail ?? e.reason}`;
  return `${e.check ?? 'discovery'}: the IdP could not be reached or answered badly (the log says why)`;
}

const unusableMetadata = (problem: CheckFailure) =>
  new BridgeError(Reasons.idpUnavailable, { check: problem.check, detail: problem.detail });
