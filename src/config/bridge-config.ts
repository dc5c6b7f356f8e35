/**
 * The {@link BridgeConfig} built from the walked values, once every rule has
 * passed: plain data, each IdP with its own settings, rules and mapping.
 */
import type { ChatChannels } from './chat-channels.js';
import type { WalkedIdp } from './idp-rules.js';
import type { BridgeConfig, IdpConfig, TracingSettings } from './settings.js';
import type { Values } from './table.js';

/** Traces are on when an endpoint is set, unless `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`. */
function tracingSettings(g: Values): TracingSettings | undefined {
  const base = g.OTEL_EXPORTER_OTLP_ENDPOINT;
  const tracesUrl = g.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base && `${base.replace(/\/+$/, '')}/v1/traces`);
  if (tracesUrl === undefined || g.OTEL_SDK_DISABLED || g.OTEL_TRACES_EXPORTER === 'none') return undefined;
  return {
    tracesUrl,
    // The traces' own headers win over the common ones, header by header (as the SDK merges them).
    headers: { ...g.OTEL_EXPORTER_OTLP_HEADERS, ...g.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
    serviceName: g.OTEL_SERVICE_NAME,
    resourceAttributes: g.OTEL_RESOURCE_ATTRIBUTES,
    sampler: g.OTEL_TRACES_SAMPLER,
    samplerRatio: g.OTEL_TRACES_SAMPLER_ARG ?? 1,
  };
}

/** An IdP's configuration from its values over the global ones. */
function idpConfig(name: string, v: Values, base: string): IdpConfig {
  const extra = name !== 'default';
  const suffix = extra ? `/${name}` : '';
  return {
    name,
    oidc: {
      issuer: v.OIDC_ISSUER,
      clientId: v.OIDC_CLIENT_ID,
      clientSecret: v.OIDC_CLIENT_SECRET ?? '',
      clientAuth: v.OIDC_CLIENT_AUTH,
      clientPrivateKey: v.OIDC_CLIENT_PRIVATE_KEY_FILE?.key,
      clientPrivateKeyKid: v.OIDC_CLIENT_PRIVATE_KEY_KID ?? v.OIDC_CLIENT_PRIVATE_KEY_FILE?.kid,
      clientCertificate: v.OIDC_CLIENT_CERTIFICATE_FILE && {
        x5tS256: v.OIDC_CLIENT_CERTIFICATE_FILE.x5tS256,
        x5t: v.OIDC_CLIENT_CERTIFICATE_FILE.x5t,
      },
      clientAssertionAudience: v.OIDC_CLIENT_ASSERTION_AUDIENCE,
      scopes: v.OIDC_SCOPES,
      idTokenAlg: v.OIDC_ID_TOKEN_ALG,
      prompt: v.OIDC_PROMPT,
      maxAge: v.OIDC_MAX_AGE,
      authParams: v.OIDC_AUTH_PARAMS,
      passThroughParams: v.OIDC_PASS_THROUGH_PARAMS,
      hostedDomain: v.ALLOWED_HOSTED_DOMAINS.length === 1 ? v.ALLOWED_HOSTED_DOMAINS[0] : undefined,
      accessTokenClaims: v.ACCESS_TOKEN_CLAIMS,
      logout: v.OIDC_LOGOUT,
    },
    access: {
      allowedGroups: v.ALLOWED_GROUPS,
      groupsClaim: v.GROUPS_CLAIM,
      allowedEmailDomains: v.ALLOWED_EMAIL_DOMAINS,
      allowedHostedDomains: v.ALLOWED_HOSTED_DOMAINS,
      groupsOverage: v.GROUPS_OVERAGE,
      graphApiUrl: v.GRAPH_API_URL!.href.replace(/\/+$/, ''),
      allowUnverifiedEmail: v.ALLOW_UNVERIFIED_EMAIL,
      requireVerifiedEmail: v.REQUIRE_VERIFIED_EMAIL,
      allowAnyAuthenticated: v.ALLOW_ANY_AUTHENTICATED,
      usernameNeedsDomain: extra,
    },
    mapping: {
      username: v.MAP_USERNAME!,
      email: v.MAP_EMAIL,
      firstName: v.MAP_FIRST_NAME,
      lastName: v.MAP_LAST_NAME,
      // An extra IdP never sends phone1 (idp-rules.ts): one inherited from MAP_PHONE is dropped.
      phone: extra ? undefined : v.MAP_PHONE,
      uniqueId: v.MAP_UNIQUE_ID!,
    },
    loginPath: `/login${suffix}`,
    callbackPath: `/callback${suffix}`,
    redirectUri: `${base}/callback${suffix}`,
  };
}

/** The configuration from the global values and every IdP's (the default one first). */
export function bridgeConfig(g: Values, idps: readonly WalkedIdp[]): BridgeConfig {
  const base = g.PUBLIC_URL ? g.PUBLIC_URL.href.replace(/\/+$/, '') : '';
  const chat: ChatChannels = g.COMMBOX_CHAT_CHANNELS ?? { any: false, channels: [] };
  return {
    port: g.PORT,
    host: g.HOST,
    publicUrl: base,
    publicOrigin: g.PUBLIC_URL!.origin,
    secureCookies: g.PUBLIC_URL!.protocol === 'https:',
    commbox: {
      apiUrl: g.COMMBOX_API_URL!.href.replace(/\/+$/, ''),
      apiKey: g.COMMBOX_API_KEY,
      brand: g.COMMBOX_BRAND,
      // As written: the WHATWG form may differ (a bare origin gains a `/` before `?ta=`).
      loginUrl: g.COMMBOX_LOGIN_URL!.written,
      timeoutMs: g.COMMBOX_TIMEOUT_MS,
      chatUrl: g.COMMBOX_CHAT_URL?.written.replace(/\/+$/, ''),
      chatOverrideUserInfo: g.COMMBOX_CHAT_OVERRIDE_USER_INFO,
      chatChannels: chat.any ? [] : chat.channels,
      chatAnyChannel: chat.any,
    },
    cookieSecrets: g.COOKIE_SECRET,
    logLevel: g.LOG_LEVEL,
    logFormat: g.LOG_FORMAT,
    trustProxy: g.TRUST_PROXY,
    metricsPort: g.METRICS_PORT,
    metricsHost: g.METRICS_HOST,
    shutdownGraceMs: g.SHUTDOWN_GRACE_MS,
    shutdownTimeoutMs: g.SHUTDOWN_TIMEOUT_MS,
    rateLimitMax: g.RATE_LIMIT_MAX,
    rateLimitWindowMs: g.RATE_LIMIT_WINDOW_MS,
    failedLoginBudget: g.RATE_LIMIT_FAILED_LOGINS,
    loginTimeoutMs: g.LOGIN_TIMEOUT_MS,
    secretReloadIntervalMs:
      g.SECRET_RELOAD_INTERVAL_SEC === undefined ? undefined : g.SECRET_RELOAD_INTERVAL_SEC * 1000,
    clockToleranceSec: g.OIDC_CLOCK_TOLERANCE_SEC,
    idpTimeoutMs: g.OIDC_TIMEOUT_MS,
    redis:
      g.REDIS_URL === undefined ? undefined : { url: g.REDIS_URL, keyPrefix: g.REDIS_KEY_PREFIX, ca: g.REDIS_CA_FILE },
    dryRun: g.DRY_RUN,
    tracing: tracingSettings(g),
    orgName: g.ORG_NAME,
    helpUrl: g.HELP_URL,
    pageLanguages: g.PAGE_LANGUAGES,
    pageDefaultLanguage: g.PAGE_DEFAULT_LANGUAGE,
    pageTexts: g.PAGE_TEXTS_FILE,
    orgLogo: g.ORG_LOGO_FILE,
    orgColor: g.ORG_COLOR,
    proxy:
      g.HTTP_PROXY !== undefined || g.HTTPS_PROXY !== undefined
        ? { httpProxy: g.HTTP_PROXY, httpsProxy: g.HTTPS_PROXY, noProxy: g.NO_PROXY }
        : undefined,
    idps: idps.map((i) => idpConfig(i.name, { ...g, ...i.values }, base)),
  };
}
