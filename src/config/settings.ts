/**
 * The validated configuration: plain, parsed data, the types `parseConfig`
 * returns. The layers above read their settings as these types (the OIDC client
 * its {@link OidcSettings}, the claims rules their {@link AccessRules} and
 * {@link IdentityMapping}), so that config imports nothing above it.
 */
import type { KeyObject } from 'node:crypto';
import type { ClaimMapping } from './claim-mapping.js';
import type { Language, PageTextOverrides } from './page-catalogue.js';
import type { TraceSampler } from './otel.js';

/** Token endpoint authentication methods the bridge supports. */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/** The field names of the log lines: the bridge's own, or Elastic Common Schema's. */
export type LogFormat = 'json' | 'ecs';

/** How the bridge signs people in at one IdP. */
export interface OidcSettings {
  readonly issuer: string;
  readonly clientId: string;
  /** Empty with `private_key_jwt`. */
  readonly clientSecret: string;
  readonly clientAuth: ClientAuthMethod;
  /** `private_key_jwt`: the private key and its key ID. */
  readonly clientPrivateKey: KeyObject | undefined;
  readonly clientPrivateKeyKid: string | undefined;
  /** `private_key_jwt`: the key's certificate thumbprints, for the assertion header. */
  readonly clientCertificate: { readonly x5tS256: string; readonly x5t: string } | undefined;
  /** `private_key_jwt`: the assertion's `aud`. */
  readonly clientAssertionAudience: 'token_endpoint' | 'issuer';
  readonly scopes: string;
  /** Pinned ID token algorithm; undefined: chosen from the IdP's metadata. */
  readonly idTokenAlg: string | undefined;
  /** `prompt` (`OIDC_PROMPT`); undefined: not sent. */
  readonly prompt: string | undefined;
  /** `max_age` in seconds (`OIDC_MAX_AGE`); the ID token's `auth_time` is then checked. */
  readonly maxAge: number | undefined;
  /** Fixed extra authorization parameters (`OIDC_AUTH_PARAMS`). */
  readonly authParams: readonly (readonly [string, string])[];
  /** Names copied from the link's query (`OIDC_PASS_THROUGH_PARAMS`). */
  readonly passThroughParams: readonly string[];
  /** `hd` sent to Google: the only entry of `ALLOWED_HOSTED_DOMAINS`. */
  readonly hostedDomain: string | undefined;
  /** `ACCESS_TOKEN_CLAIMS`: a verified JWT access token's claims are read too. */
  readonly accessTokenClaims: boolean;
  /** `OIDC_LOGOUT`: `end_session` offers RP-initiated logout at the IdP on `/logged-out`. */
  readonly logout: 'off' | 'end_session';
}

/** The access rules, as configured. */
export interface AccessRules {
  /** Empty: everyone the IdP signs in. Exact, case-sensitive match. */
  readonly allowedGroups: readonly string[];
  readonly groupsClaim: readonly string[];
  /**
   * Entra ID groups overage (`_claim_names` instead of the groups): `refuse`, or
   * `graph`: read them from Microsoft Graph at `graphApiUrl`.
   */
  readonly groupsOverage: 'refuse' | 'graph';
  readonly graphApiUrl: string;
  /**
   * Empty: any domain. Lower-case, exact match on the part after `@` of every
   * value CommBox receives that has one (the mapped email, a username with `@`).
   */
  readonly allowedEmailDomains: readonly string[];
  /** Google Workspace: empty, not checked; else the ID token's `hd` must be one of them (lower-case). */
  readonly allowedHostedDomains: readonly string[];
  /** Dangerous: when true, `email_verified: false` is accepted. */
  readonly allowUnverifiedEmail: boolean;
  /** When true, `email_verified` must be true: absent is refused too. */
  readonly requireVerifiedEmail: boolean;
  /**
   * True for an extra IdP (`OIDC_IDPS`): its mapped username must be `name@domain`,
   * so that it falls under that IdP's own domains and can never name a user of
   * another IdP.
   */
  readonly usernameNeedsDomain: boolean;
  /**
   * `ALLOW_ANY_AUTHENTICATED`: with no rule above, everyone the IdP signs in is
   * let in, explicitly. Without it and without a rule, everyone is refused.
   */
  readonly allowAnyAuthenticated: boolean;
}

/** The identity CommBox receives, as claim mappings (`MAP_*`). */
export interface IdentityMapping {
  readonly username: ClaimMapping;
  readonly email: ClaimMapping | undefined;
  readonly firstName: ClaimMapping | undefined;
  readonly lastName: ClaimMapping | undefined;
  readonly phone: ClaimMapping | undefined;
  /** Customer chat access: the customer record's `uniqueId` (`MAP_UNIQUE_ID`, default `sub`). */
  readonly uniqueId: ClaimMapping;
}

/** One IdP the bridge signs people in with, and its own rules and mapping. */
export interface IdpConfig {
  /** `default` for the OIDC_* IdP; else the name listed in OIDC_IDPS. */
  readonly name: string;
  readonly oidc: OidcSettings;
  readonly access: AccessRules;
  readonly mapping: IdentityMapping;
  /** `/login` or `/login/<name>`, `/callback` or `/callback/<name>` (its own redirect URI). */
  readonly loginPath: string;
  readonly callbackPath: string;
  readonly redirectUri: string;
}

/** The validated configuration: plain, parsed data. */
export interface BridgeConfig {
  readonly port: number;
  readonly host: string;
  /** External base URL, without a trailing slash. */
  readonly publicUrl: string;
  readonly publicOrigin: string;
  /** True when `PUBLIC_URL` is https: cookies are Secure and `__Host-` prefixed. */
  readonly secureCookies: boolean;
  readonly commbox: {
    readonly apiUrl: string;
    readonly apiKey: string;
    readonly brand: string;
    readonly loginUrl: string;
    readonly timeoutMs: number;
    /** Customer chat access: `{chatUrl}/{channel}?ta=`; undefined: /chat is off. */
    readonly chatUrl: string | undefined;
    /** `overrideUserInfo` of chat tickets. */
    readonly chatOverrideUserInfo: boolean;
    /** Allowed chat channels (decoded). */
    readonly chatChannels: readonly string[];
    /** `COMMBOX_CHAT_CHANNELS=*`: any channel is allowed, explicitly. */
    readonly chatAnyChannel: boolean;
  };
  /** The first seals login cookies; all open them (rotation). */
  readonly cookieSecrets: readonly string[];
  readonly logLevel: LogLevel;
  /** `LOG_FORMAT`: the field names of every log line. */
  readonly logFormat: LogFormat;
  /** For Fastify's `trustProxy`: the trusted proxies' addresses and CIDRs, or false (the socket address is the client's). */
  readonly trustProxy: false | readonly string[];
  /** `/metrics` is served on this port only (never on `port`); undefined: off. */
  readonly metricsPort: number | undefined;
  /** The address the metrics listener binds (`METRICS_HOST`, loopback by default). */
  readonly metricsHost: string;
  /** After SIGTERM: how long new logins are still served while the load balancer notices. */
  readonly shutdownGraceMs: number;
  /** After SIGTERM: the longest the process waits for in-flight logins before it exits. */
  readonly shutdownTimeoutMs: number;
  /** Requests per client IP, route and window on /login, /initiate, /chat and /callback (600 by default); 0: off, explicitly. */
  readonly rateLimitMax: number;
  readonly rateLimitWindowMs: number;
  /** Refused or unfinished code exchanges per client and window before /callback answers 429; undefined: off. */
  readonly failedLoginBudget: number | undefined;
  /** Total deadline of a whole callback, every request in it included. */
  readonly loginTimeoutMs: number;
  /** How often the secret files are read again (`SECRET_RELOAD_INTERVAL_SEC`); undefined: only on SIGHUP. */
  readonly secretReloadIntervalMs: number | undefined;
  /** The secrets read from files, which are read again while the bridge runs. */
  readonly secretFiles?: readonly SecretFile[];
  /** Seconds of clock skew tolerated on ID token times (every IdP). */
  readonly clockToleranceSec: number;
  /** Total deadline of each request to an IdP. */
  readonly idpTimeoutMs: number;
  /** Every IdP, the default (OIDC_*) first. */
  readonly idps: readonly IdpConfig[];
  /** The company's name and help desk page, on every page; undefined: generic words, no link. */
  readonly orgName: string | undefined;
  readonly helpUrl: string | undefined;
  /** The languages of the pages (`PAGE_LANGUAGES`), the one for a browser that asks for none (`PAGE_DEFAULT_LANGUAGE`), and the company's texts (`PAGE_TEXTS_FILE`; undefined: the catalogues'). */
  readonly pageLanguages: readonly Language[];
  readonly pageDefaultLanguage: Language;
  readonly pageTexts: PageTextOverrides | undefined;
  /** The company's logo above each page's heading (`ORG_LOGO_FILE`); undefined: none. */
  readonly orgLogo: OrgLogo | undefined;
  /** The accent colour of the button and links, `#rrggbb` (`ORG_COLOR`); undefined: the bridge's own. */
  readonly orgColor: string | undefined;
  /** The forward proxy of outbound requests; undefined: direct. */
  readonly proxy: ProxySettings | undefined;
  /** Redis shared by the replicas (`REDIS_URL`); undefined: each replica its own memory. */
  readonly redis: RedisSettings | undefined;
  /** `DRY_RUN`: the callback previews the ticket request instead of making it. */
  readonly dryRun: boolean;
  /** OpenTelemetry traces (`OTEL_EXPORTER_OTLP_ENDPOINT`, …); undefined: off, and the SDK is never loaded. */
  readonly tracing: TracingSettings | undefined;
}

/** Where the traces go and which are kept: the standard `OTEL_*` variables, parsed. */
export interface TracingSettings {
  /** The URL spans are posted to (`…/v1/traces`). */
  readonly tracesUrl: string;
  /** Sent with every export (an API key, often): secrets. */
  readonly headers: Readonly<Record<string, string>>;
  readonly serviceName: string;
  readonly resourceAttributes: Readonly<Record<string, string>>;
  readonly sampler: TraceSampler;
  /** The share the `traceidratio` samplers keep. */
  readonly samplerRatio: number;
}

export type LogoMediaType = 'image/png' | 'image/jpeg' | 'image/webp' | 'image/svg+xml';

/** `ORG_LOGO_FILE`: the image, its type told by its bytes. */
export interface OrgLogo {
  readonly mediaType: LogoMediaType;
  readonly base64: string;
}

/** `REDIS_URL`, `REDIS_KEY_PREFIX`, `REDIS_CA_FILE`. */
export interface RedisSettings {
  /** `rediss://`, or `redis://` to a loopback host. */
  readonly url: string;
  readonly keyPrefix: string;
  /** PEM CA certificates trusted for Redis's TLS certificate, instead of Node's; undefined: Node's. */
  readonly ca: string | undefined;
}

/** `HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY` (or their lower-case forms). */
export interface ProxySettings {
  readonly httpProxy: string | undefined;
  readonly httpsProxy: string | undefined;
  readonly noProxy: string | undefined;
}

/** What a secret file holds, which says where the running bridge uses it. */
export type SecretKind =
  'commboxApiKey' | 'cookieSecret' | 'redisUrl' | 'clientSecret' | 'clientKey' | 'clientCertificate';

export interface SecretFile {
  /** The variable that names the file, as set (`COMMBOX_API_KEY_FILE`, `IDP_OKTA_CLIENT_SECRET_FILE`, `OIDC_CLIENT_PRIVATE_KEY_FILE`). */
  readonly variable: string;
  readonly path: string;
  readonly kind: SecretKind;
  /** The IdP of a per-IdP secret. */
  readonly idp?: string | undefined;
  /**
   * The variables whose problems refuse this file's content: its own and the value's, and for the
   * client key and certificate both of them (a new key needs its new certificate).
   */
  readonly judgedBy: readonly string[];
}
