/**
 * Configuration: the environment into plain, parsed data. {@link parseConfig}
 * walks the variable table (`table.ts`) once for the bridge, and once per extra
 * IdP with its `IDP_<NAME>_` prefix, collects every problem, then applies the
 * rules between variables, and throws one {@link ConfigError} naming each bad
 * variable.
 */
import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import type { AccessRules } from '../claims/access.js';
import type { IdentityMapping } from '../claims/mapping.js';
import { ConfigError } from '../errors.js';
import { readEnvironment, type Environment } from './environment.js';
import { idpPrefix, unknownVariables } from './unknown.js';
import {
  VARIABLES,
  type ChatChannels,
  type ClientAuthMethod,
  type LogLevel,
  type ParseContext,
  type Values,
  type VariableName,
} from './table.js';

export { decodeChannel, isLoopbackHost, SECRET_VARIABLES } from './table.js';
export { readEnvironment } from './environment.js';
export { idpPrefix } from './unknown.js';

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
  /** Seconds of clock skew tolerated on ID token times (every IdP). */
  readonly clockToleranceSec: number;
  /** Total deadline of each request to an IdP. */
  readonly idpTimeoutMs: number;
  /** Every IdP, the default (OIDC_*) first. */
  readonly idps: readonly IdpConfig[];
  /** The company's name and help desk page, on every page; undefined: generic words, no link. */
  readonly orgName: string | undefined;
  readonly helpUrl: string | undefined;
  /** The forward proxy of outbound requests; undefined: direct. */
  readonly proxy: ProxySettings | undefined;
  /** Redis shared by the replicas (`REDIS_URL`); undefined: each replica its own memory. */
  readonly redis: RedisSettings | undefined;
  /** `DRY_RUN`: the callback previews the ticket request instead of making it. */
  readonly dryRun: boolean;
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

type Problems = { variable: string; problem: string }[];
type NameOf = (name: VariableName) => string;

const PER_IDP = (Object.keys(VARIABLES) as VariableName[]).filter((n) => VARIABLES[n].scope !== 'global');
const GLOBAL = (Object.keys(VARIABLES) as VariableName[]).filter((n) => VARIABLES[n].scope === 'global');

/**
 * Parses `names` from `env`, each read as `nameOf(name)` (and `<that>_FILE` for
 * secrets). With `inherit`, an unset `idp-inherited` variable takes its value.
 */
function walk(
  env: Environment,
  names: readonly VariableName[],
  nameOf: NameOf,
  problems: Problems,
  readFile: (path: string) => string,
  inherit?: Partial<Values>,
): Partial<Values> {
  const values: Partial<Record<VariableName, unknown>> = {};
  for (const name of names) {
    const spec = VARIABLES[name];
    const actual = nameOf(name);
    const bad = (problem: string) => void problems.push({ variable: actual, problem });
    let raw = env[actual]?.trim();
    const file = spec.secret ? env[`${actual}_FILE`]?.trim() : undefined;
    if (file) {
      if (raw) bad(`and ${actual}_FILE are both set; set only one`);
      else {
        try {
          raw = readFile(file)
            .replace(/\r?\n$/, '')
            .trim();
          if (raw === '') problems.push({ variable: `${actual}_FILE`, problem: `the file ${file} is empty` });
        } catch (e) {
          problems.push({
            variable: `${actual}_FILE`,
            problem: `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}): check the path and the mounted secret's keys, or set ${actual} instead`,
          });
          raw = undefined;
        }
      }
    }
    if (inherit && spec.scope === 'idp-inherited' && raw === undefined) {
      values[name] = inherit[name];
      continue;
    }
    if (spec.required === true && !raw && !file) bad(spec.secret ? `is required (or ${actual}_FILE)` : 'is required');
    const ctx: ParseContext = { bad, readFile };
    values[name] = spec.parse(raw, ctx);
  }
  return values as Partial<Values>;
}

/** The rules between one IdP's variables; problems named as that IdP's variables. */
function idpRules(
  v: Values,
  env: Environment,
  nameOf: NameOf,
  bad: (variable: string, problem: string) => void,
  extra: boolean,
): void {
  if (v.OIDC_CLIENT_AUTH === 'private_key_jwt') {
    if (!env[nameOf('OIDC_CLIENT_PRIVATE_KEY_FILE')]?.trim())
      bad(nameOf('OIDC_CLIENT_PRIVATE_KEY_FILE'), `is required with ${nameOf('OIDC_CLIENT_AUTH')}=private_key_jwt`);
    else if (
      v.OIDC_CLIENT_PRIVATE_KEY_FILE !== undefined &&
      v.OIDC_CLIENT_PRIVATE_KEY_KID === undefined &&
      v.OIDC_CLIENT_PRIVATE_KEY_FILE.kid === undefined &&
      !env[nameOf('OIDC_CLIENT_CERTIFICATE_FILE')]?.trim()
    ) {
      bad(
        nameOf('OIDC_CLIENT_PRIVATE_KEY_KID'),
        `is required with private_key_jwt unless the JWK has a "kid" or ${nameOf('OIDC_CLIENT_CERTIFICATE_FILE')} is set`,
      );
    }
    if (v.OIDC_CLIENT_CERTIFICATE_FILE !== undefined && v.OIDC_CLIENT_PRIVATE_KEY_FILE !== undefined) {
      if (!v.OIDC_CLIENT_CERTIFICATE_FILE.certificate.checkPrivateKey(v.OIDC_CLIENT_PRIVATE_KEY_FILE.key))
        bad(
          nameOf('OIDC_CLIENT_CERTIFICATE_FILE'),
          `is not the certificate of the key in ${nameOf('OIDC_CLIENT_PRIVATE_KEY_FILE')}`,
        );
    }
    if (v.OIDC_CLIENT_SECRET !== undefined)
      bad(
        nameOf('OIDC_CLIENT_SECRET'),
        `is set, but ${nameOf('OIDC_CLIENT_AUTH')}=private_key_jwt does not use it; remove it`,
      );
  } else if (env[nameOf('OIDC_CLIENT_CERTIFICATE_FILE')]?.trim()) {
    bad(nameOf('OIDC_CLIENT_CERTIFICATE_FILE'), `is used only with ${nameOf('OIDC_CLIENT_AUTH')}=private_key_jwt`);
  }
  if (
    v.OIDC_CLIENT_AUTH !== 'private_key_jwt' &&
    v.OIDC_CLIENT_SECRET === undefined &&
    !env[`${nameOf('OIDC_CLIENT_SECRET')}_FILE`]?.trim()
  ) {
    bad(nameOf('OIDC_CLIENT_SECRET'), `is required (or ${nameOf('OIDC_CLIENT_SECRET')}_FILE)`);
  }
  if (v.MAP_EMAIL === undefined && v.MAP_PHONE === undefined)
    bad(
      nameOf('MAP_EMAIL'),
      `and ${nameOf('MAP_PHONE')} are both empty: CommBox needs email or phone to identify an agent`,
    );
  const ruled =
    v.ALLOWED_GROUPS.length > 0 || v.ALLOWED_EMAIL_DOMAINS.length > 0 || v.ALLOWED_HOSTED_DOMAINS.length > 0;
  if (!ruled && !v.ALLOW_ANY_AUTHENTICATED) {
    bad(
      nameOf('ALLOW_ANY_AUTHENTICATED'),
      `is not true and no access rule is set, so everyone the IdP signs in would get a CommBox ticket: set ${nameOf('ALLOWED_GROUPS')} (e.g. commbox-agents), ${nameOf('ALLOWED_EMAIL_DOMAINS')} or ${nameOf('ALLOWED_HOSTED_DOMAINS')}; or, when the IdP's own app assignment decides who may sign in, ${nameOf('ALLOW_ANY_AUTHENTICATED')}=true`,
    );
  }
  // Two people must never become one CommBox user: a username without the
  // domain is unique only while exactly one email domain is allowed.
  const dropped = v.MAP_USERNAME?.transforms.find((t) => t === 'localpart' || t === 'domain');
  if (dropped !== undefined && extra) {
    bad(
      nameOf('MAP_USERNAME'),
      `"${v.MAP_USERNAME!.source}" can never give a name@domain; an extra IdP's usernames must carry one of its own domains`,
    );
  } else if (dropped === 'domain') {
    bad(
      nameOf('MAP_USERNAME'),
      `"${v.MAP_USERNAME!.source}" maps every user of a domain to the same username; map the whole email (e.g. email|lower)`,
    );
  } else if (dropped === 'localpart' && v.ALLOWED_EMAIL_DOMAINS.length !== 1) {
    bad(
      nameOf('MAP_USERNAME'),
      `"${v.MAP_USERNAME!.source}" drops the domain while ${v.ALLOWED_EMAIL_DOMAINS.length === 0 ? 'any email domain is allowed' : `${nameOf('ALLOWED_EMAIL_DOMAINS')} allows ${v.ALLOWED_EMAIL_DOMAINS.length} domains`}: alice@one.example and alice@two.example would both become the CommBox user "alice". Map the whole email (e.g. email|lower), or allow exactly one domain`,
    );
  }
}

/** An IdP's configuration from its parsed values. */
function idpConfig(name: string, v: Values, base: string, usernameNeedsDomain: boolean): IdpConfig {
  const suffix = name === 'default' ? '' : `/${name}`;
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
      usernameNeedsDomain,
    },
    mapping: {
      username: v.MAP_USERNAME!,
      email: v.MAP_EMAIL,
      firstName: v.MAP_FIRST_NAME,
      lastName: v.MAP_LAST_NAME,
      phone: v.MAP_PHONE,
      uniqueId: v.MAP_UNIQUE_ID!,
    },
    loginPath: `/login${suffix}`,
    callbackPath: `/callback${suffix}`,
    redirectUri: `${base}/callback${suffix}`,
  };
}

/**
 * Validates the environment into a {@link BridgeConfig}. Throws a
 * {@link ConfigError} listing every bad or missing variable.
 */
export function parseConfig(
  given: Environment,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): BridgeConfig {
  // Proxy variables as every HTTP client reads them: the lower-case form too.
  const env: Environment = {
    ...given,
    HTTPS_PROXY: given['HTTPS_PROXY'] ?? given['https_proxy'],
    HTTP_PROXY: given['HTTP_PROXY'] ?? given['http_proxy'],
    NO_PROXY: given['NO_PROXY'] ?? given['no_proxy'],
  };
  const problems: Problems = [];
  const bad = (variable: string, problem: string) => void problems.push({ variable, problem });
  const same: NameOf = (n) => n;
  const g = walk(env, GLOBAL, same, problems, readFile) as Values;
  const d = walk(env, PER_IDP, same, problems, readFile) as Values;
  idpRules(d, env, same, bad, false);

  // Rules between global variables.
  if (g.COMMBOX_LOGIN_URL?.searchParams.has('ta'))
    bad('COMMBOX_LOGIN_URL', 'must not already contain a "ta" parameter');
  if (g.COMMBOX_CHAT_CHANNELS !== undefined && g.COMMBOX_CHAT_URL === undefined && !env['COMMBOX_CHAT_URL']?.trim())
    bad('COMMBOX_CHAT_CHANNELS', 'is set but COMMBOX_CHAT_URL is not');
  if (env['COMMBOX_CHAT_URL']?.trim() && g.COMMBOX_CHAT_CHANNELS === undefined) {
    // Chat tickets put the employee's name and email into a customer chat: only
    // into channels the company lists (or, explicitly, any with `*`).
    bad(
      'COMMBOX_CHAT_CHANNELS',
      'is required with COMMBOX_CHAT_URL: list the chat channel IDs employees may open (as CommBox shows them), or * to allow any channel',
    );
  }
  const contradicts = (variable: string, requireVerified: boolean) => {
    if (g.ALLOW_UNVERIFIED_EMAIL && requireVerified)
      bad(variable, 'and ALLOW_UNVERIFIED_EMAIL are both true; choose one');
  };
  contradicts('REQUIRE_VERIFIED_EMAIL', d.REQUIRE_VERIFIED_EMAIL);
  if (env['REDIS_CA_FILE']?.trim()) {
    // A CA with a plain-text connection would read as TLS while none is used.
    if (!env['REDIS_URL']?.trim() && !env['REDIS_URL_FILE']?.trim())
      bad('REDIS_CA_FILE', 'is set but REDIS_URL is not: set REDIS_URL (rediss://…), or remove REDIS_CA_FILE');
    else if (g.REDIS_URL?.startsWith('redis://'))
      bad('REDIS_CA_FILE', 'is used only with rediss:// (TLS): write REDIS_URL as rediss://');
  }
  if (g.METRICS_PORT !== undefined && g.METRICS_PORT === g.PORT)
    bad('METRICS_PORT', `must differ from PORT (${g.PORT}), or be off`);
  if (g.SHUTDOWN_TIMEOUT_MS <= g.SHUTDOWN_GRACE_MS) bad('SHUTDOWN_TIMEOUT_MS', 'must be longer than SHUTDOWN_GRACE_MS');
  // The whole callback's deadline below one of its requests' own would make that deadline a dead letter (a unit slip, usually).
  for (const step of ['OIDC_TIMEOUT_MS', 'COMMBOX_TIMEOUT_MS'] as const) {
    if (g.LOGIN_TIMEOUT_MS < g[step])
      bad(
        'LOGIN_TIMEOUT_MS',
        `(${g.LOGIN_TIMEOUT_MS}) must be at least ${step} (${g[step]}): a login makes that request; raise it, or lower ${step}`,
      );
  }
  const base = g.PUBLIC_URL ? g.PUBLIC_URL.href.replace(/\/+$/, '') : '';

  // Several IdPs: each extra one is read from its own IDP_<NAME>_* variables by
  // the same walk; client settings and email domains are never inherited.
  const extras: { name: string; values: Values; nameOf: NameOf }[] = [];
  for (const name of g.OIDC_IDPS) {
    if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(name) || name === 'default') {
      bad('OIDC_IDPS', `"${name}" is not a name of lower-case letters, digits and dashes (and not "default")`);
      continue;
    }
    if (extras.some((e) => e.name === name)) {
      bad('OIDC_IDPS', `"${name}" is listed twice`);
      continue;
    }
    const prefix = idpPrefix(name);
    const nameOf: NameOf = (n) => `${prefix}${VARIABLES[n].idpSuffix}`;
    const values = walk(env, PER_IDP, nameOf, problems, readFile, d) as Values;
    idpRules(values, env, nameOf, bad, true);
    contradicts(nameOf('REQUIRE_VERIFIED_EMAIL'), values.REQUIRE_VERIFIED_EMAIL);
    // An extra IdP never sends phone1: a phone number has no domain to keep it to
    // this IdP's own users, so it could name another IdP's agent. Set, refused;
    // inherited from MAP_PHONE, dropped.
    if (env[nameOf('MAP_PHONE')]?.trim()) {
      bad(
        nameOf('MAP_PHONE'),
        "is set, but an extra IdP never sends phone1 (a phone number has no domain, so it could name another IdP's agent); remove it",
      );
    } else if (values.MAP_EMAIL === undefined && values.MAP_PHONE !== undefined) {
      bad(nameOf('MAP_EMAIL'), 'is empty, but an extra IdP identifies its agents by email: it never sends phone1');
    }
    values.MAP_PHONE = undefined;
    extras.push({ name, values, nameOf });
  }
  if (extras.length > 0) {
    // Each IdP is its own namespace of CommBox identities: its own email domains,
    // none shared, so a user of one IdP can never be given another IdP's user.
    const owner = new Map<string, string>();
    for (const [variable, domains, what] of [
      ['ALLOWED_EMAIL_DOMAINS', d.ALLOWED_EMAIL_DOMAINS, "the default IdP's"] as const,
      ...extras.map(
        (e) =>
          [
            e.nameOf('ALLOWED_EMAIL_DOMAINS'),
            e.values.ALLOWED_EMAIL_DOMAINS,
            'never inherited from ALLOWED_EMAIL_DOMAINS',
          ] as const,
      ),
    ]) {
      if (domains.length === 0)
        bad(
          variable,
          `is required when OIDC_IDPS is set: each IdP needs its own email domains (${what}), so that no IdP can sign in another IdP's users`,
        );
      for (const domain of domains) {
        const first = owner.get(domain);
        if (first !== undefined && first !== variable)
          bad(variable, `"${domain}" is also allowed by ${first}; a domain may belong to one IdP only`);
        else owner.set(domain, variable);
      }
    }
    const issuers = [d.OIDC_ISSUER, ...extras.map((e) => e.values.OIDC_ISSUER)];
    if (new Set(issuers).size !== issuers.length)
      bad('OIDC_IDPS', 'two IdPs have the same issuer; launcher tiles could not tell them apart');
  }

  problems.push(
    ...unknownVariables(
      given,
      extras.map((e) => e.name),
    ),
  );
  if (problems.length > 0) throw new ConfigError(problems);

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
      loginUrl: env['COMMBOX_LOGIN_URL']!.trim(),
      timeoutMs: g.COMMBOX_TIMEOUT_MS,
      chatUrl: g.COMMBOX_CHAT_URL ? env['COMMBOX_CHAT_URL']!.trim().replace(/\/+$/, '') : undefined,
      chatOverrideUserInfo: g.COMMBOX_CHAT_OVERRIDE_USER_INFO,
      chatChannels: chat.any ? [] : chat.channels,
      chatAnyChannel: chat.any,
    },
    cookieSecrets: g.COOKIE_SECRET,
    logLevel: g.LOG_LEVEL,
    trustProxy: g.TRUST_PROXY,
    metricsPort: g.METRICS_PORT,
    metricsHost: g.METRICS_HOST,
    shutdownGraceMs: g.SHUTDOWN_GRACE_MS,
    shutdownTimeoutMs: g.SHUTDOWN_TIMEOUT_MS,
    rateLimitMax: g.RATE_LIMIT_MAX,
    rateLimitWindowMs: g.RATE_LIMIT_WINDOW_MS,
    failedLoginBudget: g.RATE_LIMIT_FAILED_LOGINS,
    loginTimeoutMs: g.LOGIN_TIMEOUT_MS,
    clockToleranceSec: g.OIDC_CLOCK_TOLERANCE_SEC,
    idpTimeoutMs: g.OIDC_TIMEOUT_MS,
    redis:
      g.REDIS_URL === undefined ? undefined : { url: g.REDIS_URL, keyPrefix: g.REDIS_KEY_PREFIX, ca: g.REDIS_CA_FILE },
    dryRun: g.DRY_RUN,
    orgName: g.ORG_NAME,
    helpUrl: g.HELP_URL,
    proxy:
      g.HTTP_PROXY !== undefined || g.HTTPS_PROXY !== undefined
        ? { httpProxy: g.HTTP_PROXY, httpsProxy: g.HTTPS_PROXY, noProxy: g.NO_PROXY }
        : undefined,
    idps: [
      idpConfig('default', { ...g, ...d }, base, false),
      ...extras.map((e) => idpConfig(e.name, { ...g, ...e.values }, base, true)),
    ],
  };
}

/** Every secret value of the configuration, for the log scrubber. */
export function secretValues(c: BridgeConfig): string[] {
  // The passwords in the proxy and Redis URLs, as written and decoded.
  const urlPasswords = [c.proxy?.httpProxy, c.proxy?.httpsProxy, c.redis?.url].flatMap((u) => {
    const password = u === undefined ? '' : new URL(u).password;
    return [password, safeDecode(password)];
  });
  return [
    ...c.idps.map((i) => i.oidc.clientSecret),
    c.commbox.apiKey,
    ...c.cookieSecrets,
    c.redis?.url ?? '',
    ...urlPasswords,
  ].filter((v) => v !== '');
}

const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** Reads and validates the configuration of this process. */
export function loadConfig(cwd?: string): BridgeConfig {
  return parseConfig(readEnvironment(cwd));
}
