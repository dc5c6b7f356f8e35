/**
 * The wiring: the parts a request needs, built once from the configuration.
 * app.ts hands each route the parts it uses; nothing below imports this module.
 */
import { Gauge } from 'prom-client';
import { claimsToComplete } from './claims/needed-claims.js';
import { CommboxClient } from './commbox/client.js';
import type { BridgeConfig, IdpConfig } from './config/parse.js';
import { FailureBudget } from './login/failure-budget.js';
import type { Idp } from './login/idp.js';
import { ReplayMemory } from './login/replay.js';
import { SecretReload, type SecretReloadOptions } from './login/secret-reload.js';
import { TransactionSealer } from './login/transaction.js';
import { createHttpClient, type HttpClient } from './net/idp-fetch.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { OidcClient } from './oidc/client.js';
import { SharedState } from './redis/shared-state.js';
import type { Health } from './routes/health.js';
import { pagesLook, type PageContext } from './web/pages.js';
import { PageTexts } from './web/texts.js';

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
  /** Which login transactions were used: this replica's memory, shared through Redis when configured. */
  readonly replayMemory: ReplayMemory;
  /** Failed code exchanges per client (`RATE_LIMIT_FAILED_LOGINS`); undefined: off. */
  readonly failureBudget: FailureBudget | undefined;
  /** Redis shared by the replicas; undefined without `REDIS_URL`. */
  readonly sharedState: SharedState | undefined;
  /** What every page says of the company, and the absolute URL of `/login` for its links. */
  readonly pageContext: PageContext;
  readonly metrics: Metrics;
  readonly health: Health;
  close(): Promise<void>;
}

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
  return { config, oidc, neededClaims: claimsToComplete(config.mapping, config.access, config.oidc.scopes.split(' ')) };
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
  // Per configured IdP (a bounded set): its metadata and keys are loaded, as /readyz sees it.
  new Gauge({
    name: 'commbox_bridge_idp_discovered',
    help: "1 while the IdP's discovery document and keys are loaded; 0 while they are not (logins to it fail with idp_unavailable).",
    labelNames: ['idp'],
    registers: [metrics.registry],
    collect() {
      for (const [name, idp] of idps) this.set({ idp: name }, idp.oidc.discovered ? 1 : 0);
    },
  });
  const sharedState = config.redis === undefined ? undefined : await SharedState.create(config.redis);
  if (sharedState !== undefined) {
    new Gauge({
      name: 'commbox_bridge_redis_up',
      help: '1 while the Redis shared by the replicas answers; 0 while each replica falls back to its own memory.',
      registers: [metrics.registry],
      collect() {
        this.set(sharedState.up ? 1 : 0);
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
    replayMemory: new ReplayMemory(sharedState),
    failureBudget:
      config.failedLoginBudget === undefined
        ? undefined
        : new FailureBudget({ max: config.failedLoginBudget, windowMs: config.rateLimitWindowMs }, sharedState),
    sharedState,
    pageContext: {
      loginUrl: `${config.publicUrl}/login`,
      orgName: config.orgName,
      helpUrl: config.helpUrl,
      languages: config.pageLanguages,
      defaultLanguage: config.pageDefaultLanguage,
      texts: new PageTexts(config.pageTexts),
      look: pagesLook({ color: config.orgColor, logo: config.orgLogo }),
    },
    metrics,
    health,
    async close() {
      await Promise.allSettled([commbox.close(), http.close(), sharedState?.close()]);
    },
  };
}

/**
 * Reads the bridge's secret files again while it runs (login/secret-reload.ts): every
 * `SECRET_RELOAD_INTERVAL_SEC`, on {@link SecretReload.reload} (SIGHUP) and after a CommBox 401.
 */
export function reloadSecrets(
  bridge: Bridge,
  o: Pick<SecretReloadOptions, 'environment' | 'logger' | 'audit' | 'scrubbed'>,
): SecretReload {
  const oidc = new Map([...bridge.idps].map(([name, idp]) => [name, idp.oidc]));
  const users = { commbox: bridge.commbox, sealer: bridge.sealer, oidc, redis: bridge.sharedState };
  return new SecretReload({ ...o, config: bridge.config, registry: bridge.metrics.registry, users });
}
