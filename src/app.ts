/**
 * Builds the Fastify application. Never listens: `server.ts` does.
 *
 * Registration order: external plugins, then ours (headers, errors), then routes.
 */
import fastifyCookie from '@fastify/cookie';
import { sharedRateLimitStore } from './redis/rate-limit-store.js';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Bridge } from './bridge.js';
import { hasAccessRule } from './claims/access.js';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { untrustedProxyWarning } from './config/trust-proxy.js';
import { BridgeError, Reasons } from './errors.js';
import { clientAddress, clientKey } from './net/client-address.js';
import { OncePerWindow } from './observability/audit.js';
import type { Logger } from './observability/log.js';
import { tracer } from './observability/tracing.js';
import { clientErrorAnswer, sendError, toBridgeError, type ErrorAnswerContext } from './web/error-handler.js';
import { securityHeaders } from './web/headers.js';
import type { LoginCompletion } from './login/complete.js';
import type { TransactionCookies } from './login/transaction.js';
import { callbackRoutes } from './routes/callback.js';
import { chatRoutes } from './routes/chat.js';
import { healthRoutes, metricsHandler } from './routes/health.js';
import { initiateRoutes } from './routes/initiate.js';
import { loginRoutes, type LoginStarter } from './routes/login.js';
import { LOGGED_OUT_DONE_QUERY, LOGGED_OUT_PATH, pageRoutes } from './routes/pages.js';
import { PublicHostRedirect } from './routes/public-host.js';
import type { RateLimit } from './routes/rate-limit.js';
import { traceLoginRequests } from './routes/tracing.js';

/** Maximum size of a request body (`POST /initiate` only takes a small form). */
export const BODY_LIMIT_BYTES = 16 * 1024;
/** Maximum size of the request headers (cookies included: a few login cookies fit easily). */
export const HEADER_LIMIT_BYTES = 16 * 1024;
/**
 * The most a client may take to send a whole request, headers and body: past
 * it Node answers 408 and closes the connection, so a `POST /initiate` whose
 * body trickles in a byte at a time (or a connection that never finishes its
 * headers) cannot hold a socket. Answers are not bounded by it: a callback may
 * wait on the IdP and CommBox up to LOGIN_TIMEOUT_MS.
 */
export const REQUEST_RECEIVE_TIMEOUT_MS = 10_000;
/** How often Node looks for such requests (its default, 30 s, would let one last 40 s). */
const CONNECTIONS_CHECK_INTERVAL_MS = 1000;

/** The options of the listening HTTP server (a server passed to {@link buildApp} must be made with them). */
export const HTTP_SERVER_OPTIONS = {
  // Node answers 431 past this; set here so it does not depend on node flags.
  maxHeaderSize: HEADER_LIMIT_BYTES,
  headersTimeout: REQUEST_RECEIVE_TIMEOUT_MS,
  requestTimeout: REQUEST_RECEIVE_TIMEOUT_MS,
  connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS,
} as const;

export interface AppOptions {
  readonly bridge: Bridge;
  readonly logger: Logger;
  /** The audit trail (issued tickets, refused logins, limits hit), on a logger of its own; defaults to `logger`. */
  readonly audit?: Logger;
  /**
   * A server already listening, for callers that need the address before the app
   * (tests: the IdP must know the redirect URI), made with {@link HTTP_SERVER_OPTIONS}.
   */
  readonly server?: Server;
}

/**
 * A request's reference ID: 16 random hex characters (64 bits), shown on pages
 * and in the log line. Taken from a v4 UUID's random parts (`randomUUID` draws
 * from Node's buffered entropy), not one `randomBytes` call per request.
 */
export function referenceId(): string {
  const u = randomUUID();
  return u.slice(0, 8) + u.slice(28);
}

/** Builds the application; the caller listens and closes it. */
export async function buildApp({ bridge, logger, audit = logger, server }: AppOptions): Promise<FastifyInstance> {
  const { config, metrics, pageContext } = bridge;
  bridge.sharedState?.onStatus((up, detail, first) => {
    if (up)
      logger[first ? 'info' : 'warn'](
        { event: 'redis_up' },
        'Redis answers: the replicas share the replay memory and the rate limits',
      );
    else
      logger.warn(
        { event: 'redis_down', detail },
        'Redis is unavailable: logins go on, each replica with its own replay memory and rate limits',
      );
  });
  for (const { name, access } of config.idps) {
    if (!access.allowAnyAuthenticated) continue;
    const open = !hasAccessRule(access);
    logger.warn(
      { event: 'allow_any_authenticated', idp: name, rules: open ? 'none' : 'set' },
      open
        ? "ALLOW_ANY_AUTHENTICATED=true and no access rule: everyone this IdP signs in gets a CommBox ticket; only the IdP's app assignment limits who"
        : 'ALLOW_ANY_AUTHENTICATED=true changes nothing for this IdP: its access rules apply',
    );
  }
  if (config.dryRun) {
    logger.warn(
      { event: 'dry_run' },
      'DRY_RUN=true: sign-ins end on a preview page and no CommBox ticket is ever requested; for setup only',
    );
  }
  const untrustedProxy = untrustedProxyWarning(config.publicUrl, config.trustProxy);
  if (untrustedProxy !== undefined) logger.warn({ event: 'trust_proxy_unset' }, untrustedProxy);
  const headers = securityHeaders(config.secureCookies, pageContext.look?.csp);
  const errorAnswers: ErrorAnswerContext = {
    loginsRefused: metrics.loginsRefused,
    rateLimitWindowMs: config.rateLimitWindowMs,
    pageContext,
    audit: { log: audit, limitsAudited: new OncePerWindow(config.rateLimitWindowMs) },
  };
  const app = Fastify({
    // As Fastify's base logger type, so the app is a plain FastifyInstance.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: logger as FastifyBaseLogger,
    // Each login logs one outcome line of its own; no per-request lines.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    // The client IP is the nearest address (the socket's, then X-Forwarded-For from the right) that is not a listed proxy.
    trustProxy: config.trustProxy === false ? false : [...config.trustProxy],
    bodyLimit: BODY_LIMIT_BYTES,
    http: HTTP_SERVER_OPTIONS,
    // Fastify sets the server's requestTimeout from this one (its default, 0, would turn Node's off).
    requestTimeout: REQUEST_RECEIVE_TIMEOUT_MS,
    genReqId: referenceId,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    ...(server
      ? {
          serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
            server.on('request', handler),
        }
      : {}),
    // A URL the router cannot decode (`/%zz`, an invalid UTF-8 escape) or a
    // parameter over the limit never reaches the hooks: it gets the same page,
    // headers and log line as every other refusal.
    // A request refused by Node before the router (it trickled in, its headers
    // are too large, it is not HTTP): the same page and a log line with a reference.
    clientErrorHandler: clientErrorAnswer({ pageContext, log: logger, headers, newReference: referenceId }),
    frameworkErrors: (error, req, reply) => {
      reply.headers(headers);
      const detail = `${error.code ?? 'error'}: the URL ${JSON.stringify(req.url.slice(0, 200))} cannot be decoded`;
      sendError(
        errorAnswers,
        req,
        reply,
        new BridgeError(Reasons.badRequest, { ...(error.statusCode === 414 ? { status: 414 } : {}), detail }),
        req.url,
      );
    },
  });

  // External
  // Cookies are parsed only where they are read (the callback, and /login when it holds
  // login cookies to count), not on every request.
  await app.register(fastifyCookie, { hook: false });
  // Per client, on the routes that start or end a login; the key is the address
  // Fastify derives, which honours X-Forwarded-For only as TRUST_PROXY allows.
  // On by default; RATE_LIMIT_MAX=0 turns it off, and then the plugin is not even loaded.
  if (config.rateLimitMax > 0) {
    const { default: fastifyRateLimit } = await import('@fastify/rate-limit');
    await app.register(fastifyRateLimit, {
      global: false,
      max: config.rateLimitMax,
      timeWindow: config.rateLimitWindowMs,
      // One bucket per client: its bare address (a proxy may add the source port), an IPv6 /64.
      keyGenerator: (req) => clientKey(clientAddress(req)),
      errorResponseBuilder: (_req, ctx) =>
        new BridgeError(Reasons.rateLimited, { detail: `more than ${ctx.max} requests in ${ctx.after}` }),
      // With Redis, the limit holds across every replica together (this replica's counts while Redis is away).
      ...(bridge.sharedState === undefined ? {} : { store: sharedRateLimitStore(bridge.sharedState) }),
    });
  }

  // Ours: forms for POST /initiate, headers on every answer, errors as pages.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    // No prototype: a field named __proto__ is just a field.
    const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
    for (const [k, v] of new URLSearchParams(body as string)) {
      const prev = out[k];
      out[k] = prev === undefined ? v : ([] as string[]).concat(prev, v);
    }
    done(null, out);
  });
  // X-Forwarded-For without TRUST_PROXY: a proxy the bridge does not know of (said once, not per request).
  let forwardedUnheeded = config.trustProxy === false;
  app.addHook('onRequest', (req, reply, done) => {
    reply.headers(headers);
    if (forwardedUnheeded && req.headers['x-forwarded-for'] !== undefined) {
      forwardedUnheeded = false;
      logger.warn(
        { event: 'x_forwarded_for_ignored', ip: clientAddress(req) },
        "a request carried X-Forwarded-For and TRUST_PROXY is unset: the header is ignored and the client is the address that connected; if that is a proxy of yours, all its clients share one rate-limit bucket and one failed-login budget and the audit ip is the proxy's: set TRUST_PROXY to its addresses (said once)",
      );
    }
    done();
  });
  // Traces on (OTEL_EXPORTER_OTLP_ENDPOINT): each login request's server span, once past the rate limit.
  const tracing = tracer();
  if (tracing !== undefined) traceLoginRequests(app, tracing, config.trustProxy);
  app.setErrorHandler((error, req, reply) =>
    sendError(errorAnswers, req, reply, toBridgeError(error), req.routeOptions.url),
  );
  app.setNotFoundHandler((req, reply) =>
    sendError(
      errorAnswers,
      req,
      reply,
      new BridgeError(Reasons.notFound, { detail: `${req.method} ${req.url.split('?')[0]}` }),
      undefined,
    ),
  );

  // Routes, each given the parts it uses.
  // Per client IP and route.
  const rateLimit: RateLimit =
    config.rateLimitMax > 0 ? { max: config.rateLimitMax, timeWindow: config.rateLimitWindowMs } : false;
  const cookies: TransactionCookies = { sealer: bridge.sealer, secure: config.secureCookies };
  const starter: LoginStarter = {
    idps: bridge.idps,
    cookies,
    loginsStarted: metrics.loginsStarted,
    publicHost: new PublicHostRedirect(config.publicUrl, config.secureCookies),
    languages: pageContext,
  };
  const completion: LoginCompletion = {
    cookies,
    replayMemory: bridge.replayMemory,
    failureBudget: bridge.failureBudget,
    graph: { fetch: bridge.http.fetch, timeoutMs: config.idpTimeoutMs, duration: metrics.graphDuration },
    commbox: bridge.commbox,
    settings: { commbox: config.commbox, loginTimeoutMs: config.loginTimeoutMs, dryRun: config.dryRun },
    metrics,
  };
  await app.register(healthRoutes, {
    health: bridge.health,
    idps: bridge.idps,
    dryRun: config.dryRun,
    sharedState: bridge.sharedState,
  });
  await app.register(pageRoutes, {
    pageContext,
    idps: bridge.idps,
    postLogoutRedirectUri: `${config.publicUrl}${LOGGED_OUT_PATH}?${LOGGED_OUT_DONE_QUERY}`,
  });
  await app.register(loginRoutes, { starter, rateLimit });
  const site = { publicUrl: config.publicUrl, publicOrigin: config.publicOrigin, commbox: config.commbox };
  await app.register(initiateRoutes, { starter, site, rateLimit });
  await app.register(chatRoutes, { starter, commbox: config.commbox, rateLimit });
  await app.register(callbackRoutes, { idps: bridge.idps, completion, audit, pageContext, rateLimit });

  app.addHook('onClose', async () => bridge.close());
  return app;
}

/**
 * Builds the metrics listener: `GET /metrics` and nothing else, for
 * `METRICS_PORT` on `METRICS_HOST` only. Metrics never share the public port:
 * what the bridge counts is for the platform's Prometheus, not for the internet.
 * Built with {@link HTTP_SERVER_OPTIONS}: a request that trickles in is cut.
 */
export function buildMetricsApp(bridge: Bridge): FastifyInstance {
  // The same receive deadline as the public port: a scraper, or anything else that
  // reaches the port, cannot hold a connection by trickling a request in.
  const app = Fastify({ logger: false, http: HTTP_SERVER_OPTIONS, requestTimeout: REQUEST_RECEIVE_TIMEOUT_MS });
  app.get('/metrics', metricsHandler(bridge.metrics));
  return app;
}
