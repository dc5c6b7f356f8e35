/**
 * The parts a request needs, built once from the configuration and shared by
 * the routes.
 */
import { needsEmailVerified } from './claims/access.js';
import { mappingPaths } from './claims/mapping.js';
import { CommboxClient } from './commbox/client.js';
import type { BridgeConfig, IdpConfig } from './config/parse.js';
import { createHttpClient, type HttpClient } from './net/idp-fetch.js';
import { FailureBudget } from './login/failure-budget.js';
import { ReplayMemory } from './login/replay.js';
import { SharedState } from './redis/shared-state.js';
import { Gauge } from 'prom-client';
import { TransactionSealer } from './login/transaction.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { OidcClient } from './oidc/client.js';
import type { PageContext } from './web/pages.js';

/** What readiness is made of. */
export interface Health {
  /** SIGTERM received: readiness fails so load balancers stop sending logins. */
  draining: boolean;
  /** CommBox answered at least once (any HTTP status); undefined: not tried yet. */
  commboxReachable: boolean | undefined;
}

/** One IdP as the routes use it. */
export interface Idp {
  readonly config: IdpConfig;
  readonly oidc: OidcClient;
  /** Claim paths that the mapping and the access rules read: userinfo is fetched when one is missing. */
  readonly neededClaims: readonly (readonly string[])[];
}

export interface Bridge {
  readonly config: BridgeConfig;
  /** Every IdP by name; `default` is the OIDC_* one. */
  readonly idps: ReadonlyMap<string, Idp>;
  /** The default IdP's client (`idps.get('default').oidc`). */
  readonly oidc: OidcClient;
  readonly commbox: CommboxClient;
  /** The keep-alive client towards the IdPs (and Microsoft Graph). */
  readonly http: HttpClient;
  readonly sealer: TransactionSealer;
  /** The replay memory: this replica's, shared through Redis when configured. */
  readonly consumed: ReplayMemory;
  /** Failed code exchanges per client (`RATE_LIMIT_FAILED_LOGINS`); undefined: off. */
  readonly failureBudget: FailureBudget | undefined;
  /** Redis shared by the replicas; undefined without `REDIS_URL`. */
  readonly shared: SharedState | undefined;
  /** What every page says of the company, and the absolute URL of `/login` for its links. */
  readonly pages: PageContext;
  readonly metrics: Metrics;
  readonly health: Health;
  close(): Promise<void>;
}

/** The scope that releases each standard claim (OpenID Connect Core §5.4). */
const STANDARD_CLAIM_SCOPE: Record<string, string> = {
  email: 'email',
  email_verified: 'email',
  phone_number: 'phone',
  phone_number_verified: 'phone',
  address: 'address',
  name: 'profile',
  family_name: 'profile',
  given_name: 'profile',
  middle_name: 'profile',
  nickname: 'profile',
  preferred_username: 'profile',
  profile: 'profile',
  picture: 'profile',
  website: 'profile',
  gender: 'profile',
  birthdate: 'profile',
  zoneinfo: 'profile',
  locale: 'profile',
  updated_at: 'profile',
};

/**
 * The claim paths whose absence from the ID token makes the bridge ask userinfo:
 * those the mapping and the rules read, less the standard claims of scopes not
 * requested (userinfo would not have them either). Each path once.
 */
export function neededClaims(paths: readonly (readonly string[])[], scopes: readonly string[]): (readonly string[])[] {
  const seen = new Map<string, readonly string[]>();
  for (const p of paths) {
    const scope =
      p.length === 1 && Object.hasOwn(STANDARD_CLAIM_SCOPE, p[0]!) ? STANDARD_CLAIM_SCOPE[p[0]!] : undefined;
    if (scope === undefined || scopes.includes(scope)) seen.set(p.join('.'), p);
  }
  return [...seen.values()];
}

/** The rate limit of the login routes, as route options (nothing when it is off). */
export type RateLimit = false | { max: number; timeWindow: number };
export const limited = (rateLimit: RateLimit) => (rateLimit ? { config: { rateLimit } } : {});

function createIdp(config: IdpConfig, bridge: BridgeConfig, http: HttpClient): Idp {
  const oidc = new OidcClient(
    {
      ...config.oidc,
      redirectUri: config.redirectUri,
      clockToleranceSec: bridge.clockToleranceSec,
      timeoutMs: bridge.idpTimeoutMs,
    },
    http,
  );
  const paths = mappingPaths(config.mapping);
  if (config.access.allowedGroups.length > 0) paths.push(config.access.groupsClaim);
  // An email mapped or ruled on: an ID token without email_verified (some IdPs
  // put it in userinfo only) is completed from userinfo before deciding.
  if (needsEmailVerified(config.mapping, config.access)) paths.push(['email_verified']);
  return { config, oidc, neededClaims: neededClaims(paths, config.oidc.scopes.split(' ')) };
}

/** Builds the bridge's clients and state from the configuration (no I/O is awaited: Redis connects in the background). */
export async function createBridge(
  config: BridgeConfig,
  opts: { http?: HttpClient; metrics?: Metrics } = {},
): Promise<Bridge> {
  const http = opts.http ?? createHttpClient({ timeoutMs: config.idpTimeoutMs, proxy: config.proxy });
  const metrics = opts.metrics ?? createMetrics();
  const health: Health = { draining: false, commboxReachable: undefined };
  const idps = new Map<string, Idp>(config.idps.map((c) => [c.name, createIdp(c, config, http)]));
  const shared = config.redis === undefined ? undefined : await SharedState.create(config.redis);
  if (shared !== undefined) {
    new Gauge({
      name: 'commbox_bridge_redis_up',
      help: '1 while the Redis shared by the replicas answers; 0 while each replica falls back to its own memory.',
      registers: [metrics.registry],
      collect() {
        this.set(shared.up ? 1 : 0);
      },
    });
  }
  const commbox = new CommboxClient({
    apiUrl: config.commbox.apiUrl,
    apiKey: config.commbox.apiKey,
    timeoutMs: config.commbox.timeoutMs,
    proxy: config.proxy,
    onAttempt(status) {
      metrics.ticketRequests.inc({ status: String(status) });
      if (typeof status === 'number') health.commboxReachable = true;
      else health.commboxReachable ??= false;
    },
  });
  return {
    config,
    idps,
    oidc: idps.get('default')!.oidc,
    commbox,
    http,
    sealer: new TransactionSealer(config.cookieSecrets),
    consumed: new ReplayMemory(shared),
    failureBudget:
      config.failedLoginBudget === undefined
        ? undefined
        : new FailureBudget({ max: config.failedLoginBudget, windowMs: config.rateLimitWindowMs }, shared),
    shared,
    pages: { loginUrl: `${config.publicUrl}/login`, orgName: config.orgName, helpUrl: config.helpUrl },
    metrics,
    health,
    async close() {
      await Promise.allSettled([commbox.close(), http.close(), shared?.close()]);
    },
  };
}
