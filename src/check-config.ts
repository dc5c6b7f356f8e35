/**
 * `npm run check-config` (`node dist/commbox-sso-bridge.mjs --check`): validates
 * the configuration, performs discovery and a JWKS fetch, proves each IdP's client
 * credentials, and with `--ticket-for` asks CommBox for one ticket; reports what it
 * found, without starting the server. Exit code 0 when all is well, 1 when a check
 * failed, 2 for arguments it cannot use.
 */
import { statSync } from 'node:fs';
import { createBridge } from './bridge.js';
import { checkTicket, type TicketAgent } from './commbox/ticket-check.js';
import { hasAccessRule } from './claims/access.js';
import { idpPrefix, type BridgeConfig, type IdpConfig } from './config/parse.js';
import { untrustedProxyWarning } from './config/trust-proxy.js';
import { describeError } from './net/network-errors.js';
import { BRIDGE_VERSION } from './observability/version.js';
import { createDispatcher, maskProxy, proxyFor } from './net/proxy.js';
import { requestTarget, send } from './net/send.js';
import { secretNeedsFormEncoding } from './oidc/client-auth.js';
import type { CredentialsVerdict } from './oidc/client.js';

/** How long check-config waits for Redis to connect and answer. */
const REDIS_CHECK_TIMEOUT_MS = 5_000;
/** How long check-config waits for CommBox to answer. */
const COMMBOX_CHECK_TIMEOUT_MS = 10_000;

/** The way to a URL: direct, or the proxy (password masked). */
const way = (config: BridgeConfig, url: string) => {
  const proxy = proxyFor(config.proxy, new URL(url));
  return proxy === undefined ? 'direct' : `through the proxy ${proxy}`;
};

/** The access rules and the mapping an IdP's logins get, in words. */
function describeRules(c: IdpConfig): string[] {
  const a = c.access;
  const m = c.mapping;
  const mapped = (name: string, v: { source: string } | undefined) =>
    `${name} ← ${v === undefined ? '(not sent)' : v.source}`;
  return [
    ...allowAnyWarning(c),
    `  access rules:           ${[
      a.allowedGroups.length > 0
        ? `groups at ${a.groupsClaim.join('.')} include one of ${a.allowedGroups.join(', ')} (overage: ${a.groupsOverage})`
        : 'any group',
      a.allowedEmailDomains.length > 0 ? `email domains ${a.allowedEmailDomains.join(', ')}` : 'any email domain',
      a.allowedHostedDomains.length > 0 ? `Google hd ${a.allowedHostedDomains.join(', ')}` : undefined,
      a.allowUnverifiedEmail
        ? 'unverified emails ACCEPTED'
        : a.requireVerifiedEmail
          ? 'email_verified must be true'
          : 'email_verified false refused',
      a.usernameNeedsDomain ? 'username must be name@domain' : undefined,
    ]
      .filter(Boolean)
      .join('; ')}`,
    `  mapping:                ${[mapped('username', m.username), mapped('email', m.email), mapped('firstName', m.firstName), mapped('lastName', m.lastName), mapped('phone1', m.phone), mapped('chat uniqueId', m.uniqueId)].join(', ')}`,
    `  claims read from:       ID token${c.oidc.accessTokenClaims ? ', access token (ACCESS_TOKEN_CLAIMS)' : ''}, then userinfo when one is missing`,
  ];
}

/** What the token endpoint said of the client's credentials (a code it never issued), in words. */
export function describeCredentials(c: IdpConfig, v: CredentialsVerdict): string[] {
  const name = (variable: string) => `${c.name === 'default' ? '' : idpPrefix(c.name)}${variable}`;
  const method = c.oidc.clientAuth;
  const what = method === 'private_key_jwt' ? name('OIDC_CLIENT_PRIVATE_KEY_FILE') : name('OIDC_CLIENT_SECRET');
  const wrong = method === 'private_key_jwt' ? 'an assertion signed by a throwaway key' : 'a wrong secret';
  const control = v.control;
  switch (v.outcome) {
    case 'accepted':
      return [
        `  client credentials: accepted (${method}): a token request with a code the IdP never issued was refused for the code, not the client (${v.answer});`,
        `    the same request with ${wrong} was refused for the client (${control?.answer ?? '?'}), so the IdP judged the client first.`,
      ];
    case 'refused':
      return [
        `  client credentials: REFUSED (the client secret/key is wrong or the client is not registered): the IdP answered ${v.answer} to ${method}.`,
        `    Check ${what}, ${name('OIDC_CLIENT_ID')} and that ${name('OIDC_CLIENT_AUTH')} is the method the IdP registered for the client.`,
      ];
    case 'failed':
      return [`  client credentials: FAILED: the token request failed: ${v.answer}`];
    default:
      if (control?.said === 'invalid_grant')
        return [
          `WARNING: client credentials: could not tell: this IdP judges the code before the client (${wrong} also gets invalid_grant):`,
          `  to a code it never issued it answered ${v.answer} to ${method}, and ${control.answer} to ${wrong}.`,
          `  A sign-in proves them: a wrong ${what} fails it with token_exchange_failed.`,
        ];
      if (control !== undefined)
        return [
          `WARNING: client credentials: could not tell: to a code it never issued, the IdP answered ${v.answer} (refused for the code),`,
          `  but the same request with ${wrong} was not refused for the client either (${control.said === 'failed' ? 'the request failed: ' : ''}${control.answer}).`,
        ];
      return [
        `WARNING: client credentials: could not tell: to a code it never issued, the IdP answered ${v.answer}, which says neither that the client was refused (invalid_client, 401) nor that it passed (invalid_grant).`,
      ];
  }
}

/** What ALLOW_ANY_AUTHENTICATED means for this IdP, said loudly; nothing when it is off. */
export function allowAnyWarning(c: IdpConfig): string[] {
  if (!c.access.allowAnyAuthenticated) return [];
  const variable = `${c.name === 'default' ? '' : idpPrefix(c.name)}ALLOW_ANY_AUTHENTICATED`;
  return hasAccessRule(c.access)
    ? [`  note: ${variable}=true changes nothing here: the access rules below apply`]
    : [
        `WARNING: ${variable}=true and no access rule: EVERYONE this IdP signs in gets a CommBox ticket.`,
        '  Only the IdP\'s own app assignment limits who that is (Entra ID "assignment required", Okta assignments, Keycloak client roles).',
      ];
}

/** Asks the CommBox API origin for anything (never a ticket): DNS, the connection and TLS. */
async function checkCommbox(config: BridgeConfig): Promise<string> {
  const dispatcher = createDispatcher(config.proxy, { connect: { timeout: COMMBOX_CHECK_TIMEOUT_MS } });
  try {
    const res = await send(
      dispatcher,
      { ...requestTarget(new URL(`${config.commbox.apiUrl}/`)), method: 'GET' },
      { timeoutMs: COMMBOX_CHECK_TIMEOUT_MS, maxBytes: 64 * 1024 },
    );
    return `reachable (HTTP ${res.status} at ${config.commbox.apiUrl}/; no ticket asked)`;
  } catch (e) {
    return `FAILED: ${describeError(e)}`;
  } finally {
    await dispatcher.close();
  }
}

/** What the command line asks of check-config beside the checks it always makes. */
export interface CheckOptions {
  /** `--ticket-for`: ask CommBox for one real ticket for this agent. */
  readonly ticketFor?: TicketAgent;
}

/** The exit code of a command line check-config cannot use. */
export const USAGE_EXIT_CODE = 2;

/**
 * Reads check-config's arguments (`--check` aside): `--ticket-for <username>`,
 * with `--email <address>` and/or `--phone <number>` (a username that is an
 * email address is its email too when neither is given). Throws an Error with
 * the usage when they cannot be used.
 */
export function parseCheckArgs(argv: readonly string[]): CheckOptions {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--check') continue;
    const [flag, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    if (!['--ticket-for', '--email', '--phone'].includes(flag))
      throw new Error(`unknown argument ${JSON.stringify(arg)}`);
    const value = inline ?? argv[++i];
    if (value === undefined || value === '' || value.startsWith('--')) throw new Error(`${flag} needs a value`);
    values.set(flag, value);
  }
  const username = values.get('--ticket-for');
  if (username === undefined) {
    if (values.size > 0) throw new Error('--email and --phone go with --ticket-for <username>');
    return {};
  }
  let email = values.get('--email');
  const phone1 = values.get('--phone');
  if (email === undefined && phone1 === undefined) {
    if (!username.includes('@'))
      throw new Error(
        "--ticket-for needs --email <address> or --phone <number>: CommBox asks for one that matches the agent's record",
      );
    email = username;
  }
  return { ticketFor: { username, email, phone1 } };
}

/** Runs the checks and writes a report; resolves to the exit code. */
export async function checkConfig(
  config: BridgeConfig,
  out: (line: string) => void,
  options: CheckOptions = {},
): Promise<number> {
  out(`commbox-sso-bridge ${BRIDGE_VERSION}, Node ${process.version}`);
  out('configuration: ok');
  out(
    `  public URL:   ${config.publicUrl} (redirect URI ${config.idps[0]!.redirectUri}, initiate-login URI ${config.publicUrl}/initiate)`,
  );
  out(`  CommBox:      ${config.commbox.apiUrl} brand "${config.commbox.brand}", login ${config.commbox.loginUrl}`);
  const p = config.proxy;
  out(
    `  proxy:        ${p === undefined ? 'none (HTTP_PROXY and HTTPS_PROXY unset): every request goes direct' : `HTTPS_PROXY ${maskProxy(p.httpsProxy)}, HTTP_PROXY ${maskProxy(p.httpProxy)}, NO_PROXY ${p.noProxy ?? '(unset)'}`}`,
  );
  out(
    `  TRUST_PROXY:  ${config.trustProxy === false ? 'unset: the client is the address that connects' : config.trustProxy.join(', ')}`,
  );
  // When the content was written (this check read it just now): a running bridge has loaded it if its
  // commbox_bridge_secret_loaded_timestamp_seconds is later.
  const every = config.secretReloadIntervalMs;
  for (const f of config.secretFiles ?? [])
    out(
      `  secret file:  ${f.variable}${f.idp === undefined ? '' : ` (IdP ${f.idp})`} read from ${f.path}, written ${writtenAt(f.path)}; a running bridge reads it again ${every === undefined ? 'on SIGHUP' : `every ${every / 1000} s and on SIGHUP`} (commbox_bridge_secret_loaded_timestamp_seconds says when it last did)`,
    );
  const untrustedProxy = untrustedProxyWarning(config.publicUrl, config.trustProxy);
  if (untrustedProxy !== undefined) out(`WARNING: ${untrustedProxy}`);
  let code = 0;
  const commbox = await checkCommbox(config);
  out(`CommBox API: ${commbox} (${way(config, config.commbox.apiUrl)})`);
  if (commbox.startsWith('FAILED')) code = 1;
  const bridge = await createBridge(config);
  if (bridge.sharedState !== undefined) {
    const redis = await bridge.sharedState.ping(REDIS_CHECK_TIMEOUT_MS);
    out(
      redis.ok
        ? `Redis: ok (keys under "${config.redis!.keyPrefix}"): the replicas share the replay memory and the rate limits`
        : `Redis: FAILED: ${redis.detail}; logins would go on, each replica with its own memory`,
    );
    if (!redis.ok) code = 1;
  } else {
    out(
      'Redis: not set (REDIS_URL): each replica has its own replay memory, rate limits and failed-login budget; with N replicas the limits are N times the configured ones',
    );
  }
  if (options.ticketFor !== undefined) {
    const ticket = await checkTicket(bridge.commbox, config.commbox, options.ticketFor, [config.commbox.apiKey]);
    for (const line of ticket.lines) out(line);
    if (!ticket.ok) code = 1;
  }
  try {
    for (const { config: c, oidc } of bridge.idps.values()) {
      const label = c.name === 'default' ? 'IdP' : `IdP "${c.name}"`;
      try {
        const idp = await oidc.discover();
        out(`${label}: ${idp.issuer} (${way(config, idp.issuer)})`);
        out(`  login / redirect URI:   ${config.publicUrl}${c.loginPath} / ${c.redirectUri}`);
        out(`  authorization endpoint: ${idp.authorizationEndpoint}`);
        out(`  token endpoint:         ${idp.tokenEndpoint}`);
        out(`  userinfo endpoint:      ${idp.userinfoEndpoint ?? '(none: claims must be in the ID token)'}`);
        out(`  JWKS:                   ${idp.jwksUri} (${idp.keyCount} key(s))`);
        out(
          `  ID token algorithm:     ${idp.idTokenAlg}${c.oidc.idTokenAlg ? ' (pinned)' : ' (from the IdP metadata)'}; the IdP lists ${idp.advertisedAlgs.join(', ') || 'none'}`,
        );
        out(
          `  RFC 9207 iss parameter: ${idp.issParameterSupported ? 'advertised (checked on every callback)' : 'not advertised'}`,
        );
        out(
          `  client authentication:  ${c.oidc.clientAuth}; the IdP offers ${idp.tokenEndpointAuthMethods.join(', ')}`,
        );
        out(
          idp.endSessionEndpoint === undefined
            ? `  sign-out at the IdP:     off (${c.name === 'default' ? 'OIDC_' : idpPrefix(c.name)}LOGOUT): /logged-out offers none`
            : `  sign-out at the IdP:     ${idp.endSessionEndpoint}; register ${config.publicUrl}/logged-out?done=1 there as a post-logout redirect URI`,
        );
        if (!idp.tokenEndpointAuthMethods.includes(c.oidc.clientAuth)) {
          out(`WARNING: the IdP does not list ${c.oidc.clientAuth}; set the client authentication to one it offers`);
        }
        if (
          c.oidc.clientAuth === 'client_secret_basic' &&
          secretNeedsFormEncoding(c.oidc.clientSecret) &&
          idp.tokenEndpointAuthMethods.includes('client_secret_post')
        ) {
          out(
            'WARNING: the client secret has characters other than letters and digits; the bridge form-encodes them in the',
          );
          out('  HTTP Basic header (RFC 6749 §2.3.1) and some IdPs do not decode them, answering invalid_client or');
          out('  unauthorized_client. If logins fail with token_exchange_failed, use client_secret_post.');
        }
        const credentials = await oidc.probeClientCredentials();
        for (const line of describeCredentials(c, credentials)) out(line);
        if (credentials.outcome === 'refused' || credentials.outcome === 'failed') code = 1;
        for (const line of describeRules(c)) out(line);
      } catch (e) {
        out(`${label}: FAILED: ${describeError(e)}`);
        code = 1;
      }
    }
  } finally {
    await bridge.close();
  }
  return code;
}

/** When the file at `path` (a link followed, as Kubernetes mounts a secret) was last written. */
function writtenAt(path: string): string {
  try {
    return statSync(path).mtime.toISOString();
  } catch {
    return 'at an unknown time';
  }
}
