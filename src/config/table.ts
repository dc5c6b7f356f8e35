/**
 * Every variable the bridge reads, one row each: its parser, default, whether it
 * is a secret (and may come from a `_FILE`), whether each IdP has its own, and
 * one line of documentation. `parse.ts` walks this table; `.env.example` and
 * `docs/configuration.md` are generated from it (`npm run docs:config`).
 */
import { createHash, createPrivateKey, X509Certificate, type JsonWebKey, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { parseClaimMapping, type ClaimMapping } from '../claims/mapping.js';
import { reservedParameter } from '../oidc/authorization-params.js';
import { secretWeakness } from './strength.js';
import { parseTrustProxy } from './trust-proxy.js';

/** What a parser is given besides the value, and how it reports a problem. */
export interface ParseContext {
  /** Records a problem with this variable (its actual name is added by the walker). */
  bad(problem: string): void;
  /** Reads a file a variable names (secrets, keys); throws as `fs` does. */
  readFile(path: string): string;
}

/**
 * A parser: the value as set (trimmed; `''` when set but empty, undefined when
 * unset) to the parsed value. On a problem it calls `ctx.bad` and returns its
 * fallback, so that every problem is collected in one pass.
 */
export type Parser<T> = (raw: string | undefined, ctx: ParseContext) => T;

/** How a variable applies to the extra IdPs of `OIDC_IDPS`. */
export type IdpScope =
  /** One value for the whole bridge. */
  | 'global'
  /** Each IdP its own (`IDP_<NAME>_<suffix>` for extra IdPs), never inherited. */
  | 'idp'
  /** Each IdP may set its own; unset, an extra IdP takes the default IdP's. */
  | 'idp-inherited';

export type Group =
  | 'Required'
  | 'Sign-in (per IdP)'
  | 'Access rules'
  | 'Claim mapping'
  | 'CommBox'
  | 'Customer chat'
  | 'Server'
  | 'Outbound proxy'
  | 'Several replicas (Redis)'
  | 'Operations';

export interface Variable<T> {
  readonly group: Group;
  readonly scope: IdpScope;
  /** For per-IdP variables: the name after `IDP_<NAME>_` (e.g. `ISSUER` for `OIDC_ISSUER`). */
  readonly idpSuffix?: string;
  /** May also be given as `<NAME>_FILE` (Docker and Kubernetes secrets); scrubbed from logs. */
  readonly secret?: boolean;
  /** When it is required: `true` always, or the condition in words. */
  readonly required?: true | string;
  /** The default, as the docs show it. */
  readonly default?: string;
  /** One line of documentation. */
  readonly doc: string;
  /** A value for `.env.example` (required variables, and examples of optional ones). */
  readonly example?: string;
  readonly parse: Parser<T>;
}

const variable = <T>(v: Variable<T>): Variable<T> => v;

// --- Parsers -------------------------------------------------------------------

/**
 * True for `localhost`, 127.0.0.0/8 and ::1. Not `*.localhost`: browsers keep
 * those on the machine, but Node asks the system resolver, which may ask DNS.
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

const set = (raw: string | undefined): raw is string => raw !== undefined && raw !== '';

const text: Parser<string | undefined> = (raw) => (set(raw) ? raw : undefined);

/** An https URL (http only for loopback hosts), without credentials or fragment. */
const url =
  ({ query = false, fallback }: { query?: boolean; fallback?: string } = {}): Parser<URL | undefined> =>
  (raw, ctx) => {
    const value = set(raw) ? raw : fallback;
    if (value === undefined) return undefined;
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      ctx.bad(`"${value}" is not an absolute URL`);
      return undefined;
    }
    if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopbackHost(u.hostname))) {
      ctx.bad('must be https (http is accepted only for localhost and 127.0.0.1, for local testing)');
      return undefined;
    }
    if (u.username || u.password) ctx.bad('must not contain credentials');
    if (u.hash) ctx.bad('must not contain a #fragment');
    if (!query && u.search) ctx.bad('must not contain a query string');
    return u;
  };

const integer =
  (fallback: number, min: number, max: number): Parser<number> =>
  (raw, ctx) => {
    if (!set(raw)) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      ctx.bad(`must be a whole number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return Number(raw);
  };

const boolean =
  (fallback: boolean): Parser<boolean> =>
  (raw, ctx) => {
    if (!set(raw)) return fallback;
    const v = raw.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    ctx.bad(`must be true or false, got "${raw}"`);
    return fallback;
  };

/** A comma list, blanks dropped. */
export const list: Parser<string[]> = (raw) =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

const oneOf =
  <T extends string>(values: readonly T[], fallback: T): Parser<T> =>
  (raw, ctx) => {
    if (!set(raw)) return fallback;
    if ((values as readonly string[]).includes(raw)) return raw as T;
    ctx.bad(`must be one of ${values.join(', ')}`);
    return fallback;
  };

/** A claim mapping; `optional`: an empty value switches the field off. */
const mapping =
  (fallback: string, optional: boolean): Parser<ClaimMapping | undefined> =>
  (raw, ctx) => {
    if (optional && raw === '') return undefined;
    try {
      return parseClaimMapping(set(raw) ? raw : fallback);
    } catch (e) {
      ctx.bad((e as Error).message);
      return undefined;
    }
  };

const claimPath: Parser<readonly string[]> = (raw, ctx) => {
  if (raw?.includes('|')) ctx.bad('takes a claim path without transforms');
  try {
    return parseClaimMapping(set(raw) ? raw.split('|')[0]! : 'groups').path;
  } catch (e) {
    ctx.bad((e as Error).message);
    return ['groups'];
  }
};

const normalizeDomain = (d: string) => d.toLowerCase().replace(/^@/, '');
const domains: Parser<string[]> = (raw, ctx) => {
  const out = list(raw, ctx).map(normalizeDomain);
  for (const d of out) if (!/^[a-z0-9.-]+\.[a-z0-9-]+$/.test(d)) ctx.bad(`"${d}" is not a domain name`);
  return out;
};

/** Token endpoint authentication methods the bridge supports. */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
];

/** Asymmetric JWS algorithms accepted for ID tokens. `none` and `HS*` never are. */
export const ID_TOKEN_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

const idTokenAlg: Parser<string | undefined> = (raw, ctx) => {
  if (!set(raw)) return undefined;
  if ((ID_TOKEN_ALGORITHMS as readonly string[]).includes(raw)) return raw;
  ctx.bad(
    /^(none|HS\d+)$/i.test(raw)
      ? `"${raw}" is never accepted: ID tokens must be signed with the IdP's private key`
      : `"${raw}" is not one of ${ID_TOKEN_ALGORITHMS.join(', ')}`,
  );
  return undefined;
};

const scopes: Parser<string> = (raw, ctx) => {
  const value = (set(raw) ? raw : 'openid email profile').split(/\s+/).join(' ');
  if (!value.split(' ').includes('openid')) ctx.bad('must include "openid"');
  return value;
};

/** A private key read from the file the variable names, and the `kid` of a JWK. */
export interface PrivateKeyFile {
  readonly key: KeyObject;
  readonly kid: string | undefined;
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

/** The file a variable names, or undefined after reporting why it cannot be read. */
function readNamedFile(path: string, ctx: ParseContext): string | undefined {
  try {
    return ctx.readFile(path);
  } catch (e) {
    ctx.bad(
      `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'}): check the path and the mounted secret's keys, or remove the variable`,
    );
    return undefined;
  }
}

const privateKeyFile: Parser<PrivateKeyFile | undefined> = (raw, ctx) => {
  if (!set(raw)) return undefined;
  const content = readNamedFile(raw, ctx);
  if (content === undefined) return undefined;
  const parsed = parsePrivateKey(content);
  if (parsed.problem !== undefined || parsed.key === undefined) {
    ctx.bad(parsed.problem ?? 'cannot be read');
    return undefined;
  }
  return { key: parsed.key, kid: parsed.kid };
};

/** The client certificate of `private_key_jwt`, and its thumbprints for the assertion header. */
export interface ClientCertificate {
  readonly certificate: X509Certificate;
  /** base64url SHA-256 of the DER (`x5t#S256`). */
  readonly x5tS256: string;
  /** base64url SHA-1 of the DER (`x5t`, which Entra ID reads). */
  readonly x5t: string;
}

const certificateFile: Parser<ClientCertificate | undefined> = (raw, ctx) => {
  if (!set(raw)) return undefined;
  const content = readNamedFile(raw, ctx);
  if (content === undefined) return undefined;
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(content);
  } catch {
    ctx.bad('is not an X.509 certificate in PEM form');
    return undefined;
  }
  return {
    certificate,
    x5tS256: createHash('sha256').update(certificate.raw).digest('base64url'),
    x5t: createHash('sha1').update(certificate.raw).digest('base64url'),
  };
};

/**
 * A chat channel ID as CommBox shows it (percent-encoded, e.g.
 * `nex9tHPKdBkD_fAfbuUPABg%3d%3d`), decoded for comparison; undefined when it is
 * not one: only URL-safe characters and well-formed `%xx` escapes.
 */
export function decodeChannel(raw: string): string | undefined {
  if (raw.length === 0 || raw.length > 256 || !/^(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+$/.test(raw)) return undefined;
  try {
    const decoded = decodeURIComponent(raw);
    // Control characters, path and query separators: a channel ID has none.
    // eslint-disable-next-line no-control-regex
    return /[\u0000-\u001f/\\?#]/.test(decoded) ? undefined : decoded;
  } catch {
    return undefined;
  }
}

/** `*` (any channel, explicitly) or the channel IDs, decoded. */
export type ChatChannels = { readonly any: true } | { readonly any: false; readonly channels: readonly string[] };
const chatChannels: Parser<ChatChannels | undefined> = (raw, ctx) => {
  const entries = list(raw, ctx);
  if (entries.length === 0) return undefined;
  if (entries.includes('*')) {
    if (entries.length > 1) ctx.bad('is either * (any channel) or a list of channel IDs, not both');
    return { any: true };
  }
  const channels: string[] = [];
  for (const c of entries) {
    const decoded = decodeChannel(c);
    if (decoded === undefined) ctx.bad(`"${c}" is not a channel ID as CommBox shows it`);
    else channels.push(decoded);
  }
  return { any: false, channels };
};

const cookieSecrets: Parser<string[]> = (raw, ctx) => {
  // A comma list, for rotation (base64 secrets have no commas).
  const secrets = list(raw, ctx);
  secrets.forEach((c, i) => {
    const which = secrets.length > 1 ? `secret #${i + 1} ` : '';
    const weakness = c.length < 32 ? `must be at least 32 characters (has ${c.length})` : secretWeakness(c);
    if (weakness !== undefined) ctx.bad(`${which}${weakness}; generate one with: openssl rand -base64 32`);
  });
  return secrets;
};

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const logLevel: Parser<LogLevel> = (raw, ctx) => oneOf(LEVELS, 'info')(raw?.toLowerCase(), ctx);

const optionalInteger =
  (min: number, max: number): Parser<number | undefined> =>
  (raw, ctx) => {
    if (!set(raw)) return undefined;
    return integer(min, min, max)(raw, ctx);
  };

/** `prompt` values of OpenID Connect Core §3.1.2.1 (and `create`, Initiating User Registration). */
const PROMPTS = ['none', 'login', 'consent', 'select_account', 'create'];
const prompt: Parser<string | undefined> = (raw, ctx) => {
  if (!set(raw)) return undefined;
  const values = raw.split(/\s+/);
  for (const v of values)
    if (!PROMPTS.includes(v))
      ctx.bad(`"${v}" is not a prompt value (${PROMPTS.join(', ')}; several separated by spaces)`);
  if (values.includes('none') && values.length > 1) ctx.bad('"none" cannot be combined with other values');
  return values.join(' ');
};

/** Fixed extra authorization parameters, form-encoded (`resource=…&domain_hint=…`). */
const authParams: Parser<[string, string][]> = (raw, ctx) => {
  if (!set(raw)) return [];
  const out: [string, string][] = [];
  for (const [name, value] of new URLSearchParams(raw)) {
    const reserved = reservedParameter(name);
    if (name === '') ctx.bad('has a parameter without a name');
    else if (reserved !== undefined) ctx.bad(`${reserved}; it cannot be set here`);
    else if (out.some(([n]) => n === name)) ctx.bad(`names "${name}" twice`);
    // Only `acr_values` itself makes the ID token's acr checked: another spelling
    // would be sent (an IdP may even honour it) and nothing verified.
    else if (name !== 'acr_values' && name.toLowerCase() === 'acr_values')
      ctx.bad(`"${name}": write acr_values (in lower case), so that the ID token's acr is checked`);
    else if (name !== 'acr_values' && oneEditFrom(name.toLowerCase(), 'acr_values'))
      ctx.bad(`"${name}": did you mean acr_values?`);
    // The ID token's acr must be one of these: none listed would refuse every login.
    else if (name === 'acr_values' && value.trim() === '')
      ctx.bad('has an empty "acr_values"; list the acr values the company requires, or remove it');
    else out.push([name, value]);
  }
  return out;
};

/** True when `a` becomes `b` by inserting, deleting or replacing one character. */
function oneEditFrom(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1 || a === b) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const rest = (x: string, skip: number) => x.slice(i + skip);
  return rest(a, 1) === rest(b, 1) || rest(a, 0) === rest(b, 1) || rest(a, 1) === rest(b, 0);
}

const PASS_THROUGH_DEFAULT = ['login_hint', 'domain_hint'];
const passThroughNames: Parser<string[]> = (raw, ctx) => {
  if (raw === undefined) return PASS_THROUGH_DEFAULT;
  const names = list(raw, ctx);
  for (const name of names) {
    const reserved = reservedParameter(name);
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) ctx.bad(`"${name}" is not a parameter name`);
    else if (reserved !== undefined) ctx.bad(`${reserved}; a link can never set it`);
  }
  return names;
};

/**
 * A URL of one of `schemes` (credentials allowed: proxies carry them),
 * kept as written. `what` names it in the problem when it does not parse, and
 * `schemesText` when its scheme is another.
 */
const urlOfScheme =
  (schemes: readonly string[], what: string, schemesText: string): Parser<string | undefined> =>
  (raw, ctx) => {
    if (!set(raw)) return undefined;
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      ctx.bad(what);
      return undefined;
    }
    if (!schemes.includes(u.protocol)) ctx.bad(schemesText);
    return raw;
  };

/**
 * A Redis URL for ioredis: `rediss://` (TLS), or `redis://` only to a loopback
 * host. The scheme is given to ioredis in lower case: it turns TLS on only for a
 * URL that starts with `rediss://` exactly, and reads a query string as
 * connection options (`?tls=` would turn TLS off), so none is accepted.
 */
const redisUrl: Parser<string | undefined> = (raw, ctx) => {
  if (!set(raw)) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    ctx.bad('is not a redis:// or rediss:// URL');
    return undefined;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    ctx.bad('must be rediss:// (TLS), or redis:// to localhost');
    return undefined;
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (host === '') ctx.bad('names no host; write rediss://:password@redis.example.com:6380/0');
  else if (u.protocol === 'redis:' && !isLoopbackHost(host))
    ctx.bad(
      `redis:// sends the replay memory, rate-limit keys and the Redis password in clear to ${host}; use rediss:// (TLS)`,
    );
  if (u.search !== '')
    ctx.bad(
      'must not carry a query string: the Redis client would read it as connection options (?tls= turns TLS off); put the database number in the path (/0)',
    );
  if (u.hash !== '') ctx.bad('must not contain a #fragment (a # in the password is written %23)');
  return `${u.protocol}${raw.slice(u.protocol.length)}`;
};

/**
 * The CA certificates (PEM, one or more) that Redis's TLS certificate must chain
 * to; they replace Node's trusted CAs for the Redis connection only.
 */
const redisCaFile: Parser<string | undefined> = (raw, ctx) => {
  if (!set(raw)) return undefined;
  const content = readNamedFile(raw, ctx);
  if (content === undefined) return undefined;
  const blocks = content.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    ctx.bad(`${raw} holds no certificate in PEM form (-----BEGIN CERTIFICATE-----)`);
    return undefined;
  }
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch {
      ctx.bad(
        `${blocks.length > 1 ? `certificate #${i + 1}` : 'the certificate'} in ${raw} cannot be read as an X.509 certificate`,
      );
    }
  });
  return blocks.join('\n') + '\n';
};

/** A forward proxy URL: http or https, with optional credentials. */
const proxyUrl = urlOfScheme(
  ['http:', 'https:'],
  'is not an absolute URL (http://proxy.example.com:3128)',
  'must be an http:// or https:// proxy URL',
);

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
/** An address to listen on: an IP address (`0.0.0.0` or `::` for every interface) or `localhost`; never a host name that DNS could move. */
const listenAddress =
  (fallback: string): Parser<string> =>
  (raw, ctx) => {
    if (!set(raw)) return fallback;
    if (isIP(raw) === 0 && raw.toLowerCase() !== 'localhost') {
      ctx.bad(
        `"${raw}" is not an IP address: write the address to listen on (127.0.0.1 for this machine only, 0.0.0.0 for every interface) or localhost`,
      );
      return fallback;
    }
    return raw;
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

// --- The table ---------------------------------------------------------------------

/** Every variable, in the order the docs show them. */
export const VARIABLES = {
  PUBLIC_URL: variable({
    group: 'Required',
    scope: 'global',
    required: true,
    example: 'https://commbox-sso.example.com',
    parse: url(),
    doc: 'External base URL of the bridge, as browsers reach it. The redirect URI is `PUBLIC_URL/callback`; https, except for localhost.',
  }),
  OIDC_ISSUER: variable({
    group: 'Required',
    scope: 'idp',
    idpSuffix: 'ISSUER',
    required: true,
    example: 'https://login.example.com/oauth2/default',
    parse: (raw, ctx) => (set(raw) ? (url()(raw, ctx), raw) : ''),
    doc: "The IdP's issuer, exactly as its `/.well-known/openid-configuration` says it.",
  }),
  OIDC_CLIENT_ID: variable({
    group: 'Required',
    scope: 'idp',
    idpSuffix: 'CLIENT_ID',
    required: true,
    example: '',
    parse: (raw) => raw ?? '',
    doc: 'The client registered at the IdP.',
  }),
  OIDC_CLIENT_SECRET: variable({
    group: 'Required',
    scope: 'idp',
    idpSuffix: 'CLIENT_SECRET',
    secret: true,
    required: 'unless OIDC_CLIENT_AUTH=private_key_jwt',
    example: '',
    parse: text,
    doc: 'The client secret.',
  }),
  COMMBOX_API_KEY: variable({
    group: 'Required',
    scope: 'global',
    secret: true,
    required: true,
    example: '',
    parse: (raw) => raw ?? '',
    doc: "The brand's CommBox API key (Settings → Accounts).",
  }),
  COMMBOX_BRAND: variable({
    group: 'Required',
    scope: 'global',
    required: true,
    example: '',
    parse: (raw) => raw ?? '',
    doc: 'The CommBox brand name.',
  }),
  COMMBOX_LOGIN_URL: variable({
    group: 'Required',
    scope: 'global',
    required: true,
    example: 'https://example.commbox.io/login',
    parse: url({ query: true }),
    doc: "The brand's agent login page; the bridge appends `?ta=<ticket>`. May carry a query, not a `ta`.",
  }),
  COOKIE_SECRET: variable({
    group: 'Required',
    scope: 'global',
    secret: true,
    required: true,
    example: '',
    parse: cookieSecrets,
    doc: 'At least 32 characters (`openssl rand -base64 32`); replicas share it. A comma list rotates it: the first seals login cookies, all open them.',
  }),

  OIDC_CLIENT_AUTH: variable({
    group: 'Sign-in (per IdP)',
    scope: 'idp',
    idpSuffix: 'CLIENT_AUTH',
    default: 'client_secret_basic',
    parse: oneOf(CLIENT_AUTH_METHODS, 'client_secret_basic'),
    doc: 'Token endpoint authentication: `client_secret_basic`, `client_secret_post` or `private_key_jwt`.',
  }),
  OIDC_CLIENT_PRIVATE_KEY_FILE: variable({
    group: 'Sign-in (per IdP)',
    scope: 'idp',
    idpSuffix: 'CLIENT_PRIVATE_KEY_FILE',
    required: 'with private_key_jwt',
    example: '/run/secrets/oidc_client_key.pem',
    parse: privateKeyFile,
    doc: "The client's private key for `private_key_jwt`, PEM (PKCS#8) or JWK: RSA ≥ 2048 bits, or EC P-256/P-384.",
  }),
  OIDC_CLIENT_PRIVATE_KEY_KID: variable({
    group: 'Sign-in (per IdP)',
    scope: 'idp',
    idpSuffix: 'CLIENT_PRIVATE_KEY_KID',
    required: 'with private_key_jwt, unless the JWK has a kid',
    parse: text,
    doc: 'The key ID registered at the IdP for that key.',
  }),
  OIDC_CLIENT_CERTIFICATE_FILE: variable({
    group: 'Sign-in (per IdP)',
    scope: 'idp',
    idpSuffix: 'CLIENT_CERTIFICATE_FILE',
    example: '/run/secrets/oidc_client_cert.pem',
    parse: certificateFile,
    doc: 'The PEM certificate of that key (Entra ID, Okta): the assertion header then carries `x5t#S256` and `x5t`, and the key ID becomes optional. It must match the key.',
  }),
  OIDC_CLIENT_ASSERTION_AUDIENCE: variable({
    group: 'Sign-in (per IdP)',
    scope: 'idp',
    idpSuffix: 'CLIENT_ASSERTION_AUDIENCE',
    default: 'token_endpoint',
    parse: oneOf(['token_endpoint', 'issuer'] as const, 'token_endpoint'),
    doc: "The `aud` of the `private_key_jwt` assertion: the IdP's `token_endpoint` (what Entra ID and Okta require) or its `issuer`.",
  }),
  OIDC_SCOPES: variable({
    group: 'Sign-in (per IdP)',
    scope: 'idp',
    idpSuffix: 'SCOPES',
    default: 'openid email profile',
    parse: scopes,
    doc: 'Scopes to request; must include `openid`. Add `phone` for `MAP_PHONE`, and what your IdP needs for groups.',
  }),
  OIDC_ID_TOKEN_ALG: variable({
    group: 'Sign-in (per IdP)',
    scope: 'idp',
    idpSuffix: 'ID_TOKEN_ALG',
    default: 'RS256 when the IdP lists it, else its first asymmetric one',
    example: 'RS256',
    parse: idTokenAlg,
    doc: 'The only algorithm accepted for ID tokens. `none` and `HS*` never are.',
  }),
  OIDC_PROMPT: variable({
    group: 'Sign-in (per IdP)',
    scope: 'idp-inherited',
    idpSuffix: 'PROMPT',
    default: 'unset: not sent',
    example: 'login',
    parse: prompt,
    doc: "Sent as `prompt`: `login` makes the IdP ask for the password every time (shared desks), and the ID token's `auth_time` must then be from this login (an earlier one, or none, is refused: see docs/idp); `select_account` shows the account chooser (Google, Entra ID).",
  }),
  OIDC_MAX_AGE: variable({
    group: 'Sign-in (per IdP)',
    scope: 'idp-inherited',
    idpSuffix: 'MAX_AGE',
    default: 'unset: not sent',
    example: '28800',
    parse: optionalInteger(0, 31_536_000),
    doc: 'Seconds, sent as `max_age`; the ID token must then carry an `auth_time` no older than that (plus the clock tolerance), else the login is refused.',
  }),
  OIDC_AUTH_PARAMS: variable({
    group: 'Sign-in (per IdP)',
    scope: 'idp',
    idpSuffix: 'AUTH_PARAMS',
    default: 'none',
    example: 'domain_hint=example.com',
    parse: authParams,
    doc: "Fixed extra authorization parameters, form-encoded (`resource=urn%3Acommbox&domain_hint=example.com`). Protocol parameters and `prompt`, `max_age`, `hd` cannot be set here. With `acr_values` (so written: another letter case or a near miss is refused), the ID token's `acr` must be one of its values.",
  }),
  OIDC_PASS_THROUGH_PARAMS: variable({
    group: 'Sign-in (per IdP)',
    scope: 'idp',
    idpSuffix: 'PASS_THROUGH_PARAMS',
    default: 'login_hint,domain_hint',
    parse: passThroughNames,
    doc: 'Query parameters copied from `/login`, `/chat/…` and `/initiate` links to the authorization request (case-sensitive names; a value over 256 characters is dropped; a fixed `OIDC_AUTH_PARAMS` value wins). Empty: none.',
  }),
  OIDC_IDPS: variable({
    group: 'Sign-in (per IdP)',
    scope: 'global',
    default: 'none',
    example: 'acquired',
    parse: list,
    doc: 'Names of more IdPs beside the default one, each configured by `IDP_<NAME>_*` variables (see below).',
  }),
  OIDC_CLOCK_TOLERANCE_SEC: variable({
    group: 'Sign-in (per IdP)',
    scope: 'global',
    default: '30',
    parse: integer(30, 0, 300),
    doc: 'Seconds of clock skew tolerated on ID token times.',
  }),
  OIDC_TIMEOUT_MS: variable({
    group: 'Sign-in (per IdP)',
    scope: 'global',
    default: '10000',
    parse: integer(10_000, 500, 60_000),
    doc: 'Total deadline of each request to an IdP (discovery, JWKS, token, userinfo).',
  }),

  ALLOWED_GROUPS: variable({
    group: 'Access rules',
    scope: 'idp-inherited',
    idpSuffix: 'ALLOWED_GROUPS',
    default: 'empty: not checked',
    example: 'commbox-agents',
    parse: list,
    doc: 'Comma list; the user must be in one of them (exact, case-sensitive).',
  }),
  GROUPS_CLAIM: variable({
    group: 'Access rules',
    scope: 'idp-inherited',
    idpSuffix: 'GROUPS_CLAIM',
    default: 'groups',
    parse: claimPath,
    doc: 'Dotted path of the groups claim, e.g. `realm_access.roles` or `roles`.',
  }),
  ALLOWED_EMAIL_DOMAINS: variable({
    group: 'Access rules',
    scope: 'idp',
    idpSuffix: 'ALLOWED_EMAIL_DOMAINS',
    required: 'for every IdP when OIDC_IDPS is set (none shared)',
    default: 'empty: any',
    example: 'example.com',
    parse: domains,
    doc: 'Comma list, judged on what CommBox receives: the mapped email, and the mapped username when it has an `@`; each must have one `@` and a domain in the list (subdomains are not included), and at least one must be there.',
  }),
  ALLOWED_HOSTED_DOMAINS: variable({
    group: 'Access rules',
    scope: 'idp',
    idpSuffix: 'ALLOWED_HOSTED_DOMAINS',
    default: 'empty: not checked',
    example: 'example.com',
    parse: domains,
    doc: "Google Workspace: comma list; the ID token's `hd` must be one of them (an account without `hd` is refused). With exactly one, `hd=<domain>` is also sent to Google.",
  }),
  GROUPS_OVERAGE: variable({
    group: 'Access rules',
    scope: 'idp',
    idpSuffix: 'GROUPS_OVERAGE',
    default: 'refuse',
    parse: oneOf(['refuse', 'graph'] as const, 'refuse'),
    doc: "Entra ID over 200 groups (the ID token names the groups claim in `_claim_names` instead of listing it), with `ALLOWED_GROUPS` set: `refuse` (a page naming the fix), or `graph`: read the groups from Microsoft Graph with the login's access token.",
  }),
  GRAPH_API_URL: variable({
    group: 'Access rules',
    scope: 'idp',
    idpSuffix: 'GRAPH_API_URL',
    default: 'https://graph.microsoft.com/v1.0',
    parse: url({ fallback: 'https://graph.microsoft.com/v1.0' }),
    doc: 'Microsoft Graph for `GROUPS_OVERAGE=graph` (national clouds have their own). Only links on its origin are followed.',
  }),
  ALLOW_ANY_AUTHENTICATED: variable({
    group: 'Access rules',
    scope: 'idp',
    idpSuffix: 'ALLOW_ANY_AUTHENTICATED',
    default: 'false',
    example: 'false',
    parse: boolean(false),
    doc: '**Explicit.** Without `ALLOWED_GROUPS`, `ALLOWED_EMAIL_DOMAINS` or `ALLOWED_HOSTED_DOMAINS` the bridge does not start, unless this is `true`: then everyone the IdP signs in gets a ticket, and the IdP\'s own app assignment is the only limit (Entra ID "assignment required", Okta assignments, Keycloak client roles). Beside a rule it changes nothing.',
  }),
  ALLOW_UNVERIFIED_EMAIL: variable({
    group: 'Access rules',
    scope: 'global',
    default: 'false',
    parse: boolean(false),
    doc: '**Dangerous.** `true` accepts logins whose `email_verified` is `false`.',
  }),
  REQUIRE_VERIFIED_EMAIL: variable({
    group: 'Access rules',
    scope: 'idp-inherited',
    idpSuffix: 'REQUIRE_VERIFIED_EMAIL',
    default: 'false',
    parse: boolean(false),
    doc: '`true` refuses logins whose `email_verified` is absent too (not only `false`). Leave it off for Entra ID, which never sends it.',
  }),

  ACCESS_TOKEN_CLAIMS: variable({
    group: 'Claim mapping',
    scope: 'idp',
    idpSuffix: 'ACCESS_TOKEN_CLAIMS',
    default: 'false',
    parse: boolean(false),
    doc: "`true`: when the access token is a JWT that verifies against the IdP's keys with the ID token's algorithm, has the IdP as `iss`, the ID token's `sub` and an `exp` not passed, its claims are read after the ID token's and before userinfo's (Keycloak puts roles there). One that does not verify contributes nothing.",
  }),
  MAP_USERNAME: variable({
    group: 'Claim mapping',
    scope: 'idp-inherited',
    idpSuffix: 'MAP_USERNAME',
    default: 'preferred_username',
    parse: (raw, ctx) => mapping('preferred_username', false)(raw, ctx),
    doc: 'CommBox `username` (required). A dotted claim path with optional `|transforms`: `lower`, `upper`, `trim`, `localpart`, `domain`.',
  }),
  MAP_EMAIL: variable({
    group: 'Claim mapping',
    scope: 'idp-inherited',
    idpSuffix: 'MAP_EMAIL',
    default: 'email',
    parse: mapping('email', true),
    doc: 'CommBox `email`. Empty: not sent.',
  }),
  MAP_FIRST_NAME: variable({
    group: 'Claim mapping',
    scope: 'idp-inherited',
    idpSuffix: 'MAP_FIRST_NAME',
    default: 'given_name',
    parse: mapping('given_name', true),
    doc: 'CommBox `firstName`. Empty: not sent.',
  }),
  MAP_LAST_NAME: variable({
    group: 'Claim mapping',
    scope: 'idp-inherited',
    idpSuffix: 'MAP_LAST_NAME',
    default: 'family_name',
    parse: mapping('family_name', true),
    doc: 'CommBox `lastName`. Empty: not sent.',
  }),
  MAP_PHONE: variable({
    group: 'Claim mapping',
    scope: 'idp-inherited',
    idpSuffix: 'MAP_PHONE',
    default: 'phone_number',
    parse: mapping('phone_number', true),
    doc: 'CommBox `phone1` (with country code). Empty: not sent. Extra IdPs never send it (a phone number has no domain to keep it to their users): not inherited, and an error when set.',
  }),
  MAP_UNIQUE_ID: variable({
    group: 'Claim mapping',
    scope: 'idp-inherited',
    idpSuffix: 'MAP_UNIQUE_ID',
    default: 'sub',
    parse: mapping('sub', false),
    doc: "The chat ticket's `uniqueId` (the customer record's identifier).",
  }),

  COMMBOX_API_URL: variable({
    group: 'CommBox',
    scope: 'global',
    default: 'https://api.commbox.io',
    parse: url({ fallback: 'https://api.commbox.io' }),
    doc: 'The CommBox API base URL (it can be brand-specific, e.g. `https://api.wispp.com`).',
  }),
  COMMBOX_TIMEOUT_MS: variable({
    group: 'CommBox',
    scope: 'global',
    default: '5000',
    parse: integer(5000, 100, 60_000),
    doc: 'Total deadline of the whole ticket step, retries included.',
  }),

  COMMBOX_CHAT_URL: variable({
    group: 'Customer chat',
    scope: 'global',
    default: 'unset: chat off',
    example: 'https://apps.commbox.io/chat',
    parse: url(),
    doc: '`GET /chat/<channel>` ends at `COMMBOX_CHAT_URL/<channel>?ta=`.',
  }),
  COMMBOX_CHAT_CHANNELS: variable({
    group: 'Customer chat',
    scope: 'global',
    required: 'with COMMBOX_CHAT_URL',
    example: 'nex9tHPKdBkD_fAfbuUPABg%3d%3d',
    parse: chatChannels,
    doc: 'Comma list of the chat channels that may be opened, as CommBox shows them, or `*` for any channel, explicitly.',
  }),
  COMMBOX_CHAT_OVERRIDE_USER_INFO: variable({
    group: 'Customer chat',
    scope: 'global',
    default: 'true',
    parse: boolean(true),
    doc: '`overrideUserInfo` of chat tickets: update the customer record with the names and phone sent.',
  }),

  ORG_NAME: variable({
    group: 'Server',
    scope: 'global',
    default: 'unset: "your company"',
    example: 'Example Bank',
    parse: (raw, ctx) => {
      if (!set(raw)) return undefined;
      if (raw.length > 100) ctx.bad('must be at most 100 characters');
      return raw;
    },
    doc: "The company's name, on the landing page and every error page.",
  }),
  HELP_URL: variable({
    group: 'Server',
    scope: 'global',
    default: 'unset: no link',
    example: 'https://help.example.com/commbox',
    parse: (raw, ctx) => {
      if (!set(raw)) return undefined;
      const u = url({ query: true })(raw, ctx);
      if (u !== undefined && u.protocol !== 'https:') ctx.bad('must be https');
      return u?.href;
    },
    doc: "The company's help desk page (https), linked from the landing page and every error page.",
  }),
  PORT: variable({
    group: 'Server',
    scope: 'global',
    default: '3000',
    parse: integer(3000, 0, 65535),
    doc: 'Listening port.',
  }),
  HOST: variable({
    group: 'Server',
    scope: 'global',
    default: '0.0.0.0',
    parse: (raw) => (set(raw) ? raw : '0.0.0.0'),
    doc: 'Listening address.',
  }),
  LOG_LEVEL: variable({
    group: 'Server',
    scope: 'global',
    default: 'info',
    parse: logLevel,
    doc: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`.',
  }),
  TRUST_PROXY: variable({
    group: 'Server',
    scope: 'global',
    default: 'false: the socket address',
    example: '10.42.0.0/16',
    parse: parseTrustProxy,
    doc: 'The proxies in front of the bridge (addresses and CIDRs, comma-separated, or `loopback`) whose `X-Forwarded-For` gives the client IP for the logs, the audit line and the rate limits. `true` and hop counts are refused. Unset behind a proxy, every client looks like the proxy.',
  }),

  HTTPS_PROXY: variable({
    group: 'Outbound proxy',
    scope: 'global',
    default: 'unset: direct',
    example: 'http://proxy.example.com:3128',
    parse: proxyUrl,
    doc: 'Forward proxy for https requests (IdP, Microsoft Graph, CommBox), as every HTTP client reads it; `https_proxy` too. A TLS-inspecting proxy needs its CA in `NODE_EXTRA_CA_CERTS`.',
  }),
  HTTP_PROXY: variable({
    group: 'Outbound proxy',
    scope: 'global',
    default: 'unset: direct',
    parse: proxyUrl,
    doc: 'Forward proxy for http requests, and for https ones when `HTTPS_PROXY` is unset; `http_proxy` too.',
  }),
  NO_PROXY: variable({
    group: 'Outbound proxy',
    scope: 'global',
    default: 'unset: every request through the proxy',
    example: 'localhost,127.0.0.1,.svc.cluster.local',
    parse: text,
    doc: 'Comma list of hosts (`.example.com` for subdomains, `host:port`, `*` for all) reached directly; `no_proxy` too.',
  }),
  REDIS_URL: variable({
    group: 'Several replicas (Redis)',
    scope: 'global',
    secret: true,
    default: 'unset: each replica its own memory',
    example: 'rediss://:password@redis.example.com:6380/0',
    parse: redisUrl,
    doc: 'With more than one replica: the Redis they share for the replay memory and the rate limits: `rediss://` (TLS); `redis://` only to localhost, 127.0.0.1 or ::1. No query string. A Redis outage blocks no login: each replica falls back to its own memory.',
  }),
  REDIS_CA_FILE: variable({
    group: 'Several replicas (Redis)',
    scope: 'global',
    default: "unset: Node's trusted CAs (and `NODE_EXTRA_CA_CERTS`)",
    example: '/run/secrets/commbox-sso-bridge/redis-ca.pem',
    parse: redisCaFile,
    doc: "With `rediss://`: a PEM file of the CA certificates (one or more) that Redis's certificate must chain to, read at start-up; only they are trusted for Redis (a company's private CA). The certificate must also name the host of `REDIS_URL`; no setting turns these checks off.",
  }),
  REDIS_KEY_PREFIX: variable({
    group: 'Several replicas (Redis)',
    scope: 'global',
    default: 'commbox-bridge:',
    parse: (raw, ctx) => {
      const value = set(raw) ? raw : 'commbox-bridge:';
      if (value.length > 64 || /\s/.test(value)) ctx.bad('must be at most 64 characters, without spaces');
      return value;
    },
    doc: 'Prefix of every key the bridge writes (several bridges, or other applications, may share one Redis).',
  }),
  DRY_RUN: variable({
    group: 'Operations',
    scope: 'global',
    default: 'false',
    parse: boolean(false),
    doc: '**Setup only.** `true`: the whole sign-in runs, but instead of asking CommBox for a ticket the callback shows the identity it would send, the access rules that passed and the names of the claims received. Refusals stay refusals.',
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
} as const;

export type VariableName = keyof typeof VARIABLES;
/** The parsed value of each variable. */
export type Values = { -readonly [K in VariableName]: ReturnType<(typeof VARIABLES)[K]['parse']> };

/** The names of the secret variables (each may also be given as `<NAME>_FILE`). */
export const SECRET_VARIABLES = (Object.keys(VARIABLES) as VariableName[]).filter((n) => VARIABLES[n].secret === true);
