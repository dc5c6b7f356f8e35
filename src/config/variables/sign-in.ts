/**
 * The variables of the "Sign-in (per IdP)" section of docs/configuration.md: the
 * client at the IdP, and the authorization request. Their parsers are here when
 * no other section uses them.
 */
import { idTokenAlg } from '../algorithms.js';
import { certificateFile, privateKeyFile } from '../crypto-parsers.js';
import { integer, isSet, list, oneOf, optionalInteger, text } from '../parsers.js';
import { reservedParameter } from '../reserved-parameters.js';
import type { ClientAuthMethod } from '../settings.js';
import { variable, type Parser } from '../variable.js';

const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
];

const scopes: Parser<string> = (raw, ctx) => {
  const value = (isSet(raw) ? raw : 'openid email profile').split(/\s+/).join(' ');
  if (!value.split(' ').includes('openid')) ctx.bad('must include "openid"');
  return value;
};

/** `prompt` values of OpenID Connect Core §3.1.2.1 (and `create`, Initiating User Registration). */
const PROMPTS = ['none', 'login', 'consent', 'select_account', 'create'];
const prompt: Parser<string | undefined> = (raw, ctx) => {
  if (!isSet(raw)) return undefined;
  const values = raw.split(/\s+/);
  for (const v of values)
    if (!PROMPTS.includes(v))
      ctx.bad(`"${v}" is not a prompt value (${PROMPTS.join(', ')}; several separated by spaces)`);
  if (values.includes('none') && values.length > 1) ctx.bad('"none" cannot be combined with other values');
  return values.join(' ');
};

/** Fixed extra authorization parameters, form-encoded (`resource=…&domain_hint=…`). */
const authParams: Parser<[string, string][]> = (raw, ctx) => {
  if (!isSet(raw)) return [];
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

export const SIGN_IN_VARIABLES = {
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
  OIDC_LOGOUT: variable({
    group: 'Sign-in (per IdP)',
    scope: 'idp',
    idpSuffix: 'LOGOUT',
    default: 'off',
    example: 'end_session',
    parse: oneOf(['off', 'end_session'] as const, 'off'),
    doc: '`end_session`: the `/logged-out` page also offers to sign out of this IdP, through its `end_session_endpoint` (RP-initiated logout) with `client_id` and `post_logout_redirect_uri` `<PUBLIC_URL>/logged-out?done=1`, which must be registered at the IdP; no `id_token_hint` (the bridge keeps no tokens). An IdP whose discovery has no usable `end_session_endpoint` is then refused like other unusable metadata (readiness and check-config say `metadata.end_session_endpoint`). `off`: the page offers nothing for this IdP.',
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
} as const;
