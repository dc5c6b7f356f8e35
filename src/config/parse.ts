/**
 * Configuration: the only module that reads the environment.
 *
 * {@link readEnvironment} gathers the variables (the process environment, plus a
 * `.env` file in the working directory when present); {@link parseConfig} turns
 * them into plain data and collects every problem before it throws one
 * {@link ConfigError} naming each bad variable.
 */
import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseEnv } from 'node:util';
import type { AccessRules } from '../claims/access.js';
import { parseClaimMapping, parseClaimPath, type ClaimMapping, type IdentityMapping } from '../claims/mapping.js';
import { ConfigError } from '../errors.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** One IdP the bridge signs people in with, and its own rules and mapping. */
export interface IdpConfig {
  /** `default` for the OIDC_* IdP; else the name listed in OIDC_IDPS. */
  readonly name: string;
  readonly oidc: BridgeConfig['oidc'];
  readonly access: AccessRules;
  readonly mapping: IdentityMapping;
  /** `/login` or `/login/<name>`, `/callback` or `/callback/<name>` (its own redirect URI). */
  readonly loginPath: string;
  readonly callbackPath: string;
  readonly redirectUri: string;
}

/** The validated configuration: plain data. */
export interface BridgeConfig {
  readonly port: number;
  readonly host: string;
  /** External base URL, without a trailing slash. */
  readonly publicUrl: string;
  readonly publicOrigin: string;
  /** `publicUrl + /callback`. */
  readonly redirectUri: string;
  /** True when `PUBLIC_URL` is https: cookies are Secure and `__Host-` prefixed. */
  readonly secureCookies: boolean;
  readonly oidc: {
    readonly issuer: string;
    readonly clientId: string;
    /** Empty with `private_key_jwt`. */
    readonly clientSecret: string;
    readonly clientAuth: ClientAuthMethod;
    /** `private_key_jwt`: the private key (PEM or JWK text) and its key ID. */
    readonly clientPrivateKey: string | undefined;
    readonly clientPrivateKeyKid: string | undefined;
    readonly scopes: string;
    /** Pinned ID token algorithm; undefined: chosen from the IdP's metadata. */
    readonly idTokenAlg: string | undefined;
  };
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
  readonly access: AccessRules;
  readonly mapping: IdentityMapping;
  readonly logLevel: LogLevel;
  /** Passed to Fastify's `trustProxy`. */
  readonly trustProxy: boolean | number | string[];
  /** `/metrics` is served on this port only (never on `port`); undefined: off. */
  readonly metricsPort: number | undefined;
  /** After SIGTERM: how long new logins are still served while the load balancer notices. */
  readonly shutdownGraceMs: number;
  /** After SIGTERM: the longest the process waits for in-flight logins before it exits. */
  readonly shutdownTimeoutMs: number;
  /** Requests per client IP, route and window on /login, /initiate and /callback; 0: no limit. */
  readonly rateLimitMax: number;
  readonly rateLimitWindowMs: number;
  /** Seconds of clock skew tolerated on ID token times (every IdP). */
  readonly clockToleranceSec: number;
  /** Total deadline of each request to an IdP. */
  readonly idpTimeoutMs: number;
  /** Every IdP, the default (OIDC_*) first; the same values as `oidc`, `access`, `mapping` for it. */
  readonly idps: readonly IdpConfig[];
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** How the bridge authenticates at the token endpoint. */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];

/** Asymmetric JWS algorithms accepted for ID tokens. `none` and `HS*` never are. */
export const ID_TOKEN_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
] as const;

const LEVEL_NAMES: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Every variable the bridge reads, for documentation checks and `.env.example`. */
export const VARIABLES = [
  'PUBLIC_URL', 'OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'COMMBOX_API_KEY', 'COMMBOX_BRAND',
  'COMMBOX_LOGIN_URL', 'COOKIE_SECRET', 'PORT', 'HOST', 'COMMBOX_API_URL', 'COMMBOX_TIMEOUT_MS', 'OIDC_SCOPES',
  'OIDC_ID_TOKEN_ALG', 'ALLOWED_GROUPS', 'GROUPS_CLAIM', 'ALLOWED_EMAIL_DOMAINS', 'ALLOW_UNVERIFIED_EMAIL',
  'MAP_USERNAME', 'MAP_EMAIL', 'MAP_FIRST_NAME', 'MAP_LAST_NAME', 'MAP_PHONE', 'LOG_LEVEL', 'TRUST_PROXY',
  'METRICS_PORT', 'SHUTDOWN_GRACE_MS', 'SHUTDOWN_TIMEOUT_MS', 'RATE_LIMIT_MAX', 'RATE_LIMIT_WINDOW_MS',
  'COMMBOX_CHAT_URL', 'COMMBOX_CHAT_OVERRIDE_USER_INFO', 'COMMBOX_CHAT_CHANNELS', 'MAP_UNIQUE_ID',
  'OIDC_CLIENT_AUTH', 'OIDC_CLIENT_PRIVATE_KEY_FILE', 'OIDC_CLIENT_PRIVATE_KEY_KID', 'OIDC_IDPS',
  'REQUIRE_VERIFIED_EMAIL', 'OIDC_CLOCK_TOLERANCE_SEC', 'OIDC_TIMEOUT_MS',
] as const;

/** The default port of `/metrics`, as Prometheus exporters use. */
export const DEFAULT_METRICS_PORT = 9464;

/** The IdP client settings an extra IdP N sets as IDP_<N>_<SETTING> (never inherited). */
const IDP_CLIENT_SETTINGS = ['ISSUER', 'CLIENT_ID', 'CLIENT_SECRET', 'CLIENT_SECRET_FILE', 'CLIENT_AUTH', 'CLIENT_PRIVATE_KEY_FILE', 'CLIENT_PRIVATE_KEY_KID', 'SCOPES', 'ID_TOKEN_ALG'];
/**
 * Rules an extra IdP must set as IDP_<N>_<VARIABLE>, never inherited: its email
 * domains are its namespace of CommBox identities.
 */
const IDP_OWN_RULES = ['ALLOWED_EMAIL_DOMAINS'];
/** Rules and mapping an extra IdP may set as IDP_<N>_<VARIABLE>; unset, the global one applies. */
const IDP_INHERITED = ['ALLOWED_GROUPS', 'GROUPS_CLAIM', 'REQUIRE_VERIFIED_EMAIL', 'MAP_USERNAME', 'MAP_EMAIL', 'MAP_FIRST_NAME', 'MAP_LAST_NAME', 'MAP_PHONE', 'MAP_UNIQUE_ID'];

/** Secrets that may also be given as a file (`NAME_FILE`), for Docker and Kubernetes secrets. */
export const SECRET_VARIABLES = ['OIDC_CLIENT_SECRET', 'COMMBOX_API_KEY', 'COOKIE_SECRET'] as const;

/**
 * The process environment, over a `.env` file in `cwd` when one exists (a variable
 * set in the environment wins over the file).
 */
export function readEnvironment(cwd = process.cwd()): Environment {
  const file = `${cwd}/.env`;
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}

/** True for `localhost`, `*.localhost`, 127.0.0.0/8 and ::1. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

/**
 * Validates the environment into a {@link BridgeConfig}. Throws a
 * {@link ConfigError} listing every bad or missing variable.
 */
export function parseConfig(env: Environment, readSecretFile: (path: string) => string = (p) => readFileSync(p, 'utf8'), nested = false): BridgeConfig {
  const problems: { variable: string; problem: string }[] = [];
  const bad = (variable: string, problem: string) => void problems.push({ variable, problem });
  const text = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  // The content of the file a variable names; undefined (and the problem noted) when unreadable.
  const fileOf = (variable: string, path: string): string | undefined => {
    try {
      return readSecretFile(path);
    } catch (e) {
      bad(variable, `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  };
  // NAME, or the content of the file NAME_FILE names (a trailing newline dropped).
  const secretText = (name: string): string | undefined => {
    const file = text(`${name}_FILE`);
    if (file === undefined) return text(name);
    if (text(name) !== undefined) {
      bad(name, `and ${name}_FILE are both set; set only one`);
      return text(name);
    }
    const v = fileOf(`${name}_FILE`, file)?.replace(/\r?\n$/, '');
    if (v !== undefined && v.trim() === '') bad(`${name}_FILE`, `the file ${file} is empty`);
    return v;
  };
  const required = (name: string): string => {
    const v = (SECRET_VARIABLES as readonly string[]).includes(name) ? secretText(name) : text(name);
    if (v === undefined) bad(name, (SECRET_VARIABLES as readonly string[]).includes(name) ? `is required (or ${name}_FILE)` : 'is required');
    return v ?? '';
  };
  const url = (name: string, value: string | undefined, opts: { allowQuery?: boolean } = {}): URL | undefined => {
    if (value === undefined) return undefined;
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      bad(name, `"${value}" is not an absolute URL`);
      return undefined;
    }
    if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopbackHost(u.hostname))) {
      bad(name, 'must be https (http is accepted only for localhost and 127.0.0.1, for local testing)');
      return undefined;
    }
    if (u.username || u.password) bad(name, 'must not contain credentials');
    if (u.hash) bad(name, 'must not contain a #fragment');
    if (!opts.allowQuery && u.search) bad(name, 'must not contain a query string');
    return u;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const v = text(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      bad(name, `must be a whole number from ${min} to ${max}, got "${v}"`);
      return fallback;
    }
    return Number(v);
  };
  const boolean = (name: string, fallback: boolean): boolean => {
    const v = text(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    bad(name, `must be true or false, got "${text(name)}"`);
    return fallback;
  };
  const list = (name: string): string[] =>
    (text(name) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const mapping = (name: string, fallback: string, optional: boolean): ClaimMapping | undefined => {
    const raw = env[name];
    // An optional field can be switched off with an empty value.
    if (optional && raw !== undefined && raw.trim() === '') return undefined;
    try {
      return parseClaimMapping(raw === undefined || raw.trim() === '' ? fallback : raw.trim());
    } catch (e) {
      bad(name, (e as Error).message);
      return undefined;
    }
  };

  // PUBLIC_URL
  const publicUrlText = required('PUBLIC_URL');
  const publicUrl = url('PUBLIC_URL', publicUrlText || undefined);
  const base = publicUrl ? publicUrl.href.replace(/\/+$/, '') : '';

  // OIDC
  const issuerText = required('OIDC_ISSUER');
  url('OIDC_ISSUER', issuerText || undefined);
  const clientId = required('OIDC_CLIENT_ID');
  const clientAuthText = text('OIDC_CLIENT_AUTH') ?? 'client_secret_basic';
  if (!(CLIENT_AUTH_METHODS as readonly string[]).includes(clientAuthText)) bad('OIDC_CLIENT_AUTH', `must be one of ${CLIENT_AUTH_METHODS.join(', ')}`);
  const clientAuth = clientAuthText as ClientAuthMethod;
  let clientSecret = '';
  let clientPrivateKey: string | undefined;
  let clientPrivateKeyKid = text('OIDC_CLIENT_PRIVATE_KEY_KID');
  if (clientAuth === 'private_key_jwt') {
    const keyFile = text('OIDC_CLIENT_PRIVATE_KEY_FILE');
    if (keyFile === undefined) bad('OIDC_CLIENT_PRIVATE_KEY_FILE', 'is required with OIDC_CLIENT_AUTH=private_key_jwt');
    else {
      clientPrivateKey = fileOf('OIDC_CLIENT_PRIVATE_KEY_FILE', keyFile);
      if (clientPrivateKey !== undefined) {
        const key = parsePrivateKey(clientPrivateKey);
        if (key.problem) bad('OIDC_CLIENT_PRIVATE_KEY_FILE', key.problem);
        clientPrivateKeyKid ??= key.kid;
      }
    }
    if (clientPrivateKeyKid === undefined) bad('OIDC_CLIENT_PRIVATE_KEY_KID', 'is required with private_key_jwt unless the JWK has a "kid"');
    if (text('OIDC_CLIENT_SECRET') !== undefined || text('OIDC_CLIENT_SECRET_FILE') !== undefined) {
      bad('OIDC_CLIENT_SECRET', 'is set, but OIDC_CLIENT_AUTH=private_key_jwt does not use it; remove it');
    }
  } else {
    clientSecret = required('OIDC_CLIENT_SECRET');
  }
  const scopes = (text('OIDC_SCOPES') ?? 'openid email profile').split(/\s+/).join(' ');
  if (!scopes.split(' ').includes('openid')) bad('OIDC_SCOPES', 'must include "openid"');
  const alg = text('OIDC_ID_TOKEN_ALG');
  if (alg !== undefined && !(ID_TOKEN_ALGORITHMS as readonly string[]).includes(alg)) {
    bad(
      'OIDC_ID_TOKEN_ALG',
      /^(none|HS\d+)$/i.test(alg)
        ? `"${alg}" is never accepted: ID tokens must be signed with the IdP's private key`
        : `"${alg}" is not one of ${ID_TOKEN_ALGORITHMS.join(', ')}`,
    );
  }

  // CommBox
  const apiKey = required('COMMBOX_API_KEY');
  const brand = required('COMMBOX_BRAND');
  const apiUrl = url('COMMBOX_API_URL', text('COMMBOX_API_URL') ?? 'https://api.commbox.io');
  const loginUrlText = required('COMMBOX_LOGIN_URL');
  const loginUrl = url('COMMBOX_LOGIN_URL', loginUrlText || undefined, { allowQuery: true });
  if (loginUrl?.searchParams.has('ta')) bad('COMMBOX_LOGIN_URL', 'must not already contain a "ta" parameter');
  const timeoutMs = integer('COMMBOX_TIMEOUT_MS', 5000, 100, 60000);
  const chatUrlText = text('COMMBOX_CHAT_URL');
  const chatUrl = url('COMMBOX_CHAT_URL', chatUrlText);
  const chatOverrideUserInfo = boolean('COMMBOX_CHAT_OVERRIDE_USER_INFO', true);
  // Chat tickets put the employee's name and email into a customer chat: only
  // into channels the company lists (or, explicitly, any with `*`).
  const chatChannels: string[] = [];
  const channelList = list('COMMBOX_CHAT_CHANNELS');
  const chatAnyChannel = channelList.includes('*');
  if (chatAnyChannel && channelList.length > 1) bad('COMMBOX_CHAT_CHANNELS', 'is either * (any channel) or a list of channel IDs, not both');
  for (const c of chatAnyChannel ? [] : channelList) {
    const decoded = decodeChannel(c);
    if (decoded === undefined) bad('COMMBOX_CHAT_CHANNELS', `"${c}" is not a channel ID as CommBox shows it`);
    else chatChannels.push(decoded);
  }
  if (channelList.length > 0 && chatUrlText === undefined) bad('COMMBOX_CHAT_CHANNELS', 'is set but COMMBOX_CHAT_URL is not');
  if (chatUrlText !== undefined && channelList.length === 0 && !nested) {
    bad('COMMBOX_CHAT_CHANNELS', 'is required with COMMBOX_CHAT_URL: list the chat channel IDs employees may open (as CommBox shows them), or * to allow any channel');
  }

  // Cookies: a comma list, for rotation (base64 secrets have no commas).
  const cookieSecrets = required('COOKIE_SECRET').split(',').map((c) => c.trim()).filter((c) => c !== '');
  cookieSecrets.forEach((c, i) => {
    if (c.length < 32) {
      bad('COOKIE_SECRET', `${cookieSecrets.length > 1 ? `secret #${i + 1} ` : ''}must be at least 32 characters (has ${c.length}); generate one with: openssl rand -base64 32`);
    }
  });

  // Access rules
  let groupsClaim: readonly string[] = ['groups'];
  try {
    groupsClaim = parseClaimPath(text('GROUPS_CLAIM') ?? 'groups');
  } catch (e) {
    bad('GROUPS_CLAIM', (e as Error).message);
  }
  if (text('GROUPS_CLAIM')?.includes('|')) bad('GROUPS_CLAIM', 'takes a claim path without transforms');
  const domains = list('ALLOWED_EMAIL_DOMAINS').map(normalizeDomain);
  for (const d of domains) if (!/^[a-z0-9.-]+\.[a-z0-9-]+$/.test(d)) bad('ALLOWED_EMAIL_DOMAINS', `"${d}" is not a domain name`);

  // Mapping
  const username = mapping('MAP_USERNAME', 'preferred_username', false);
  const email = mapping('MAP_EMAIL', 'email', true);
  const firstName = mapping('MAP_FIRST_NAME', 'given_name', true);
  const lastName = mapping('MAP_LAST_NAME', 'family_name', true);
  const phone = mapping('MAP_PHONE', 'phone_number', true);
  const uniqueId = mapping('MAP_UNIQUE_ID', 'sub', false);
  if (env['MAP_EMAIL']?.trim() === '' && env['MAP_PHONE']?.trim() === '') {
    bad('MAP_EMAIL', 'and MAP_PHONE are both empty: CommBox needs email or phone to identify an agent');
  }

  // Server
  const port = integer('PORT', 3000, 0, 65535);
  const host = text('HOST') ?? '0.0.0.0';
  const logLevelText = (text('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LEVEL_NAMES as readonly string[]).includes(logLevelText)) bad('LOG_LEVEL', `must be one of ${LEVEL_NAMES.join(', ')}`);
  const trustProxy = parseTrustProxy(text('TRUST_PROXY'), (p) => bad('TRUST_PROXY', p));
  const allowUnverifiedEmail = boolean('ALLOW_UNVERIFIED_EMAIL', false);
  const requireVerifiedEmail = boolean('REQUIRE_VERIFIED_EMAIL', false);
  if (allowUnverifiedEmail && requireVerifiedEmail) bad('REQUIRE_VERIFIED_EMAIL', 'and ALLOW_UNVERIFIED_EMAIL are both true; choose one');
  const metricsPort = text('METRICS_PORT')?.toLowerCase() === 'off' ? undefined : integer('METRICS_PORT', DEFAULT_METRICS_PORT, 1, 65535);
  if (metricsPort !== undefined && metricsPort === port) bad('METRICS_PORT', `must differ from PORT (${port}), or be off`);
  const shutdownGraceMs = integer('SHUTDOWN_GRACE_MS', 5000, 0, 300_000);
  const shutdownTimeoutMs = integer('SHUTDOWN_TIMEOUT_MS', 20_000, 1000, 600_000);
  if (shutdownTimeoutMs <= shutdownGraceMs) bad('SHUTDOWN_TIMEOUT_MS', 'must be longer than SHUTDOWN_GRACE_MS');
  // Off by default: behind a proxy without TRUST_PROXY, or behind an office NAT,
  // every agent shares one address, and a shift change would lock them all out.
  const rateLimitMax = integer('RATE_LIMIT_MAX', 0, 0, 1_000_000);
  const rateLimitWindowMs = integer('RATE_LIMIT_WINDOW_MS', 60_000, 1000, 3_600_000);
  const clockToleranceSec = integer('OIDC_CLOCK_TOLERANCE_SEC', 30, 0, 300);
  const idpTimeoutMs = integer('OIDC_TIMEOUT_MS', 10_000, 500, 60_000);

  // Several IdPs: each extra one is the default's settings read from its own
  // IDP_<NAME>_* variables (client settings never inherited; rules and mapping are).
  const extraIdps: IdpConfig[] = [];
  const extraNames: string[] = [];
  for (const name of nested ? [] : list('OIDC_IDPS')) {
    if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(name) || name === 'default') {
      bad('OIDC_IDPS', `"${name}" is not a name of lower-case letters, digits and dashes (and not "default")`);
      continue;
    }
    if (extraIdps.some((i) => i.name === name)) {
      bad('OIDC_IDPS', `"${name}" is listed twice`);
      continue;
    }
    const prefix = idpPrefix(name);
    extraNames.push(name);
    const sub: Record<string, string | undefined> = { ...env };
    for (const k of IDP_CLIENT_SETTINGS) sub[`OIDC_${k}`] = env[`${prefix}${k}`];
    for (const k of IDP_OWN_RULES) sub[k] = env[`${prefix}${k}`];
    for (const k of IDP_INHERITED) if (env[`${prefix}${k}`] !== undefined) sub[k] = env[`${prefix}${k}`];
    try {
      const c = parseConfig(sub, readSecretFile, true);
      const access = { ...c.access, usernameNeedsDomain: true };
      if (c.mapping.username.transforms.some((t) => t === 'localpart' || t === 'domain')) {
        bad(`${prefix}MAP_USERNAME`, `"${c.mapping.username.source}" can never give a name@domain; an extra IdP's usernames must carry one of its own domains`);
      }
      extraIdps.push({ name, oidc: c.oidc, access, mapping: c.mapping, loginPath: `/login/${name}`, callbackPath: `/callback/${name}`, redirectUri: `${base}/callback/${name}` });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      for (const p of e.problems) {
        const setting = p.variable.startsWith('OIDC_') ? p.variable.slice(5) : undefined;
        if (setting !== undefined && IDP_CLIENT_SETTINGS.includes(setting)) bad(`${prefix}${setting}`, p.problem.replace(/OIDC_/g, prefix));
        else if (IDP_OWN_RULES.includes(p.variable)) bad(`${prefix}${p.variable}`, p.problem);
        else if (IDP_INHERITED.includes(p.variable) && env[`${prefix}${p.variable}`] !== undefined) bad(`${prefix}${p.variable}`, p.problem);
        // anything else is a global variable, reported once by the main parse
      }
    }
  }
  // Each IdP is its own namespace of CommBox identities: its own email domains,
  // none shared, so a user of one IdP can never be given another IdP's user.
  if (!nested && list('OIDC_IDPS').length > 0) {
    const owner = new Map<string, string>();
    const claim = (variable: string, ds: readonly string[], what: string) => {
      if (ds.length === 0) bad(variable, `is required when OIDC_IDPS is set: each IdP needs its own email domains (${what}), so that no IdP can sign in another IdP's users`);
      for (const d of ds) {
        const first = owner.get(d);
        if (first !== undefined && first !== variable) bad(variable, `"${d}" is also allowed by ${first}; a domain may belong to one IdP only`);
        else owner.set(d, variable);
      }
    };
    claim('ALLOWED_EMAIL_DOMAINS', domains, 'the default IdP\'s');
    for (const name of extraNames) {
      const variable = `${idpPrefix(name)}ALLOWED_EMAIL_DOMAINS`;
      claim(variable, list(variable).map(normalizeDomain), 'never inherited from ALLOWED_EMAIL_DOMAINS');
    }
  }
  const issuers = [issuerText, ...extraIdps.map((i) => i.oidc.issuer)];
  if (new Set(issuers).size !== issuers.length) bad('OIDC_IDPS', 'two IdPs have the same issuer; launcher tiles could not tell them apart');

  if (problems.length > 0) throw new ConfigError(problems);

  const oidc = { issuer: issuerText, clientId, clientSecret, clientAuth, clientPrivateKey, clientPrivateKeyKid, scopes, idTokenAlg: alg };
  const access = { allowedGroups: list('ALLOWED_GROUPS'), groupsClaim, allowedEmailDomains: domains, allowUnverifiedEmail, requireVerifiedEmail, usernameNeedsDomain: false };
  const idMapping = { username: username!, email, firstName, lastName, phone, uniqueId: uniqueId! };
  const defaultIdp: IdpConfig = { name: 'default', oidc, access, mapping: idMapping, loginPath: '/login', callbackPath: '/callback', redirectUri: `${base}/callback` };

  return {
    port,
    host,
    publicUrl: base,
    publicOrigin: publicUrl!.origin,
    redirectUri: `${base}/callback`,
    secureCookies: publicUrl!.protocol === 'https:',
    oidc,
    commbox: {
      apiUrl: apiUrl!.href.replace(/\/+$/, ''),
      apiKey,
      brand,
      loginUrl: loginUrlText,
      timeoutMs,
      chatUrl: chatUrl ? chatUrlText!.replace(/\/+$/, '') : undefined,
      chatOverrideUserInfo,
      chatChannels,
      chatAnyChannel,
    },
    cookieSecrets,
    access,
    mapping: idMapping,
    logLevel: logLevelText as LogLevel,
    trustProxy,
    metricsPort,
    shutdownGraceMs,
    shutdownTimeoutMs,
    rateLimitMax,
    rateLimitWindowMs,
    clockToleranceSec,
    idpTimeoutMs,
    idps: [defaultIdp, ...extraIdps],
  };
}

const normalizeDomain = (d: string) => d.toLowerCase().replace(/^@/, '');

/** The prefix of an extra IdP's variables: `IDP_<NAME>_`. */
export function idpPrefix(name: string): string {
  return `IDP_${name.toUpperCase().replace(/-/g, '_')}_`;
}

function parseTrustProxy(v: string | undefined, bad: (problem: string) => void): boolean | number | string[] {
  if (v === undefined || v.toLowerCase() === 'false') return false;
  if (v.toLowerCase() === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  const entries = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const e of entries) {
    const [addr, bits] = e.split('/');
    if (isIP(addr ?? '') === 0 || (bits !== undefined && !/^\d{1,3}$/.test(bits))) {
      bad(`"${e}" is not an IP address or CIDR range (use true, false, a hop count, or a comma list of addresses/CIDRs)`);
    }
  }
  return entries;
}

/**
 * A chat channel ID as CommBox shows it (percent-encoded, e.g.
 * `nex9tHPKdBkD_fAfbuUPABg%3d%3d`), decoded for comparison; undefined when it is
 * not one: only URL-safe characters and well-formed `%xx` escapes.
 */
export function decodeChannel(raw: string): string | undefined {
  if (raw.length === 0 || raw.length > 256 || !/^(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+$/.test(raw)) return undefined;
  try {
    const decoded = decodeURIComponent(raw);
    return /[\u0000-\u001f/\\?#]/.test(decoded) ? undefined : decoded;
  } catch {
    return undefined;
  }
}

/**
 * Reads a private key given as PEM or as a JWK (JSON); names the problem when it
 * is not an RSA (2048 bits or more) or P-256/P-384 key.
 */
export function parsePrivateKey(text: string): { key?: KeyObject; kid?: string; problem?: string } {
  let key: KeyObject;
  let kid: string | undefined;
  try {
    if (text.trimStart().startsWith('{')) {
      const jwk = JSON.parse(text) as JsonWebKey & { kid?: string };
      kid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
      key = createPrivateKey({ key: jwk, format: 'jwk' });
    } else {
      key = createPrivateKey(text);
    }
  } catch {
    return { problem: 'is not a private key in PEM or JWK form' };
  }
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa' && (details.modulusLength ?? 0) >= 2048) return { key, kid };
  if (type === 'ec' && (details.namedCurve === 'prime256v1' || details.namedCurve === 'secp384r1')) return { key, kid };
  return { problem: 'must be an RSA key of 2048 bits or more, or an EC key on P-256 or P-384' };
}

/** Every secret value of the configuration, for the log scrubber. */
export function secretValues(c: BridgeConfig): string[] {
  return [...c.idps.map((i) => i.oidc.clientSecret), c.commbox.apiKey, ...c.cookieSecrets].filter((v) => v !== '');
}

/** Reads and validates the configuration of this process. */
export function loadConfig(cwd?: string): BridgeConfig {
  return parseConfig(readEnvironment(cwd));
}
