/** The variables of the "Required" section of docs/configuration.md: what every bridge must set. */
import { cookieSecrets } from '../crypto-parsers.js';
import { isSet, text } from '../parsers.js';
import { httpsUrl, httpsUrlAsWritten } from '../urls.js';
import { variable } from '../variable.js';

export const REQUIRED_VARIABLES = {
  PUBLIC_URL: variable({
    group: 'Required',
    scope: 'global',
    required: true,
    example: 'https://commbox-sso.example.com',
    parse: httpsUrl(),
    doc: 'External base URL of the bridge, as browsers reach it. The redirect URI is `PUBLIC_URL/callback`; https, except for localhost.',
  }),
  OIDC_ISSUER: variable({
    group: 'Required',
    scope: 'idp',
    idpSuffix: 'ISSUER',
    required: true,
    example: 'https://login.example.com/oauth2/default',
    parse: (raw, ctx) => (isSet(raw) ? (httpsUrl()(raw, ctx), raw) : ''),
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
    parse: httpsUrlAsWritten({ query: true }),
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
} as const;
