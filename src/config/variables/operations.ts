/** The variables of the "Operations" section of docs/configuration.md: metrics, shutdown, limits and deadlines. */
import { keyValueList, otlpEndpoint, samplerRatio, TRACE_SAMPLERS, type TraceSampler } from '../otel.js';
import { boolean, integer, isSet, listenAddress, oneOf } from '../parsers.js';
import type { LogFormat } from '../settings.js';
import { variable, type Parser } from '../variable.js';

/** The default port of `/metrics`, as Prometheus exporters use. */
export const DEFAULT_METRICS_PORT = 9464;
/**
 * Requests per client IP, route and minute: 10 a second, enough for a floor of
 * about a thousand agents behind one NAT address all signing in within two
 * minutes (docs/operations.md has the arithmetic).
 */
export const DEFAULT_RATE_LIMIT_MAX = 600;
/**
 * Failed (or unfinished) code exchanges per client and window: a floor of
 * agents at 10 logins a second with a token endpoint answering in up to 2 s.
 */
export const DEFAULT_FAILED_LOGINS = 20;

const failedLogins: Parser<number | undefined> = (raw, ctx) => {
  if (raw?.toLowerCase() === 'off') return undefined;
  if (raw === '0') {
    ctx.bad('must be a whole number from 1 to 10000; write off to turn the failed-login budget off');
    return DEFAULT_FAILED_LOGINS;
  }
  return integer(DEFAULT_FAILED_LOGINS, 1, 10_000)(raw, ctx);
};

/** How often the secret files are read again (seconds); `off` leaves it to SIGHUP and a CommBox 401. */
const secretReloadInterval: Parser<number | undefined> = (raw, ctx) => {
  if (raw?.toLowerCase() === 'off') return undefined;
  return integer(
    10,
    1,
    3600,
  )(raw, { ...ctx, bad: (p) => ctx.bad(`${p}; write off to read them again only on SIGHUP`) });
};

const metricsPort: Parser<number | undefined> = (raw, ctx) => {
  if (raw?.toLowerCase() === 'off') return undefined;
  // What Kubernetes injects for a Service named "metrics" in the namespace.
  if (raw !== undefined && /^(tcp|udp|sctp):\/\//.test(raw)) {
    ctx.bad(
      `"${raw}" is a Kubernetes service link (a Service named "metrics"), not a port: set enableServiceLinks: false in the pod spec`,
    );
    return undefined;
  }
  return integer(DEFAULT_METRICS_PORT, 1, 65535)(raw, ctx);
};

const LOG_FORMATS: readonly LogFormat[] = ['json', 'ecs'];

/** The one OTLP encoding the bridge sends (what `@opentelemetry/exporter-trace-otlp-http` speaks). */
const otlpProtocol: Parser<'http/json'> = (raw, ctx) => {
  if (isSet(raw) && raw !== 'http/json')
    ctx.bad(
      `the bridge sends traces as OTLP/HTTP JSON only: write http/json or leave it unset (every OTel Collector, Tempo and Jaeger accept it on their OTLP/HTTP port, 4318)`,
    );
  return 'http/json';
};

const TRACING = 'Traces are on when one of the two endpoints is set (and OTEL_SDK_DISABLED is not true)';

export const OPERATIONS_VARIABLES = {
  DRY_RUN: variable({
    group: 'Operations',
    scope: 'global',
    default: 'false',
    parse: boolean(false),
    doc: '**Setup only.** `true`: the whole sign-in runs, but instead of asking CommBox for a ticket the callback shows the identity it would send, the access rules that passed and the names of the claims received. Refusals stay refusals, and their page adds the rule that refused, what it saw and the claim names (never logged).',
  }),
  METRICS_PORT: variable({
    group: 'Operations',
    scope: 'global',
    default: String(DEFAULT_METRICS_PORT),
    parse: metricsPort,
    doc: 'The only port that serves `/metrics` (never `PORT`); `off` disables metrics.',
  }),
  METRICS_HOST: variable({
    group: 'Operations',
    scope: 'global',
    default: '127.0.0.1',
    example: '0.0.0.0',
    parse: listenAddress('127.0.0.1'),
    doc: 'The address `/metrics` listens on: loopback by default, so nothing off the machine reaches it; `0.0.0.0` (the Docker image and the manifests set it) where Prometheus scrapes from outside, with a network policy deciding who may. An IP address or `localhost`.',
  }),
  SHUTDOWN_GRACE_MS: variable({
    group: 'Operations',
    scope: 'global',
    default: '5000',
    parse: integer(5000, 0, 300_000),
    doc: 'After SIGTERM, how long new logins are still served while the load balancer notices `/readyz` failing.',
  }),
  SHUTDOWN_TIMEOUT_MS: variable({
    group: 'Operations',
    scope: 'global',
    default: '20000',
    parse: integer(20_000, 1000, 600_000),
    doc: 'After SIGTERM, the longest wait for in-flight logins; then exit 1. Longer than the grace.',
  }),
  RATE_LIMIT_MAX: variable({
    group: 'Operations',
    scope: 'global',
    default: String(DEFAULT_RATE_LIMIT_MAX),
    // Only the number 0 turns a security control off: any word is refused, with that said.
    parse: (raw, ctx) =>
      integer(
        DEFAULT_RATE_LIMIT_MAX,
        0,
        1_000_000,
      )(raw, { ...ctx, bad: (p) => ctx.bad(`${p} (0 turns the limits off)`) }),
    doc: 'Requests per client IP, route and window on `/login`, `/initiate`, `/chat`, `/callback`; generous, because a floor of agents behind one NAT address shares it (see the operations guide). `0` turns the limits off, explicitly (a load test).',
  }),
  RATE_LIMIT_WINDOW_MS: variable({
    group: 'Operations',
    scope: 'global',
    default: '60000',
    parse: integer(60_000, 1000, 3_600_000),
    doc: 'The rate-limit window.',
  }),
  LOGIN_TIMEOUT_MS: variable({
    group: 'Operations',
    scope: 'global',
    default: '15000',
    parse: integer(15_000, 1000, 120_000),
    doc: 'Total deadline of a whole callback: every request in it (token, JWKS, userinfo, Microsoft Graph, CommBox) ends by it as well as by its own; once it has passed no ticket is requested (504 `login_timeout`). At least `OIDC_TIMEOUT_MS` and `COMMBOX_TIMEOUT_MS`.',
  }),
  RATE_LIMIT_FAILED_LOGINS: variable({
    group: 'Operations',
    scope: 'global',
    default: String(DEFAULT_FAILED_LOGINS),
    parse: failedLogins,
    doc: "Code exchanges per client address (an IPv6 address's /64) and window that failed before their tokens verified or are still in flight; past it, `/callback` answers 429 without a token request, so an outsider cannot spend the bridge's client credentials. Each successful exchange from the address in the window allows 2 more (the budget is the larger). `off` turns it off, explicitly.",
  }),
  SECRET_RELOAD_INTERVAL_SEC: variable({
    group: 'Operations',
    scope: 'global',
    default: '10',
    parse: secretReloadInterval,
    doc: "How often, in seconds, the files of `COMMBOX_API_KEY_FILE`, `COOKIE_SECRET_FILE`, `REDIS_URL_FILE` and each IdP's client secret, `OIDC_CLIENT_PRIVATE_KEY_FILE` and `OIDC_CLIENT_CERTIFICATE_FILE` are read again: a changed value is checked as at start-up and used from then on, without a restart (a bad one is refused and the old one kept). A few small reads, off the logins' path (but for the CommBox key, read again once by the login whose ticket request got a `401`). `off`: read again only on `SIGHUP` (and the CommBox key after a `401`). The OTLP export-header files are read at start-up only.",
  }),
  LOG_FORMAT: variable({
    group: 'Operations',
    scope: 'global',
    default: 'json',
    example: 'ecs',
    parse: (raw, ctx) => oneOf(LOG_FORMATS, 'json')(raw?.toLowerCase(), ctx),
    doc: "The field names of every log line, the application's and the audit trail's: `json`, the bridge's own (`time`, `level`, `msg`, `reqId`, `ip`, …); `ecs`, Elastic Common Schema (`@timestamp`, `log.level`, `message`, `event.action`, `client.ip`, `user.id`, …), which Elastic, Splunk and Microsoft Sentinel read without parsing rules. [docs/audit.md](audit.md) has both.",
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: variable({
    group: 'Operations',
    scope: 'global',
    example: 'http://otel-collector:4318',
    parse: otlpEndpoint,
    doc: 'OpenTelemetry traces: the OTLP/HTTP receiver (an OTel Collector, Grafana Tempo, Jaeger), `http://` or `https://`; traces go to `<this>/v1/traces`. With export headers (`OTEL_EXPORTER_OTLP_HEADERS`, `_TRACES_HEADERS`: a credential) it must be `https://` (`http://` only to localhost); never a `user:password@`. Unset (with the next one unset): no traces, and the tracing SDK is never loaded. See "Traces" in the operations guide.',
  }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: variable({
    group: 'Operations',
    scope: 'global',
    parse: otlpEndpoint,
    doc: 'The whole URL traces are sent to, as written (no `/v1/traces` added); wins over `OTEL_EXPORTER_OTLP_ENDPOINT`.',
  }),
  OTEL_EXPORTER_OTLP_HEADERS: variable({
    group: 'Operations',
    scope: 'global',
    secret: true,
    parse: keyValueList(true),
    doc: 'Headers sent with every export, `key=value,key2=value2` (values percent-encoded), e.g. `authorization=Bearer%20<token>` for a hosted backend. A secret: never logged, scrubbed from log lines.',
  }),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: variable({
    group: 'Operations',
    scope: 'global',
    secret: true,
    parse: keyValueList(true),
    doc: 'Headers sent with the trace exports, as `OTEL_EXPORTER_OTLP_HEADERS` (a secret too); a header in both is sent with its value from this one.',
  }),
  OTEL_EXPORTER_OTLP_PROTOCOL: variable({
    group: 'Operations',
    scope: 'global',
    default: 'http/json',
    parse: otlpProtocol,
    doc: 'Only `http/json` (OTLP over HTTP, JSON-encoded); `grpc` and `http/protobuf` are refused rather than ignored.',
  }),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: variable({
    group: 'Operations',
    scope: 'global',
    default: 'http/json',
    parse: otlpProtocol,
    doc: 'The same for traces alone: only `http/json`.',
  }),
  OTEL_SERVICE_NAME: variable({
    group: 'Operations',
    scope: 'global',
    default: 'commbox-sso-bridge',
    parse: (raw) => (isSet(raw) ? raw : 'commbox-sso-bridge'),
    doc: "The traces' `service.name`.",
  }),
  OTEL_RESOURCE_ATTRIBUTES: variable({
    group: 'Operations',
    scope: 'global',
    example: 'deployment.environment.name=production',
    parse: keyValueList(false),
    doc: 'More resource attributes of the traces, `key=value,key2=value2` (values percent-encoded); `OTEL_SERVICE_NAME` wins for `service.name`.',
  }),
  OTEL_TRACES_SAMPLER: variable({
    group: 'Operations',
    scope: 'global',
    default: 'parentbased_always_on',
    parse: oneOf<TraceSampler>(TRACE_SAMPLERS, 'parentbased_always_on'),
    doc: "Which logins are traced: `parentbased_*` follows the caller's `traceparent` decision when there is one, else the root sampler (`always_on`, `always_off`, `traceidratio`: the share `OTEL_TRACES_SAMPLER_ARG`).",
  }),
  OTEL_TRACES_SAMPLER_ARG: variable({
    group: 'Operations',
    scope: 'global',
    default: '1',
    parse: samplerRatio,
    doc: 'The share of logins the `traceidratio` samplers trace, from 0 to 1.',
  }),
  OTEL_TRACES_EXPORTER: variable({
    group: 'Operations',
    scope: 'global',
    default: 'otlp',
    parse: oneOf(['otlp', 'none'] as const, 'otlp'),
    doc: '`none` turns traces off whatever the endpoint says.',
  }),
  OTEL_SDK_DISABLED: variable({
    group: 'Operations',
    scope: 'global',
    default: 'false',
    parse: boolean(false),
    doc: `\`true\` turns traces off whatever the endpoint says. ${TRACING}.`,
  }),
} as const;
