/** The problems `parseConfig` reports for an environment, by variable ({} when it is valid). */
import type { AccessRules } from '../../src/config/settings.js';
import { parseConfig } from '../../src/config/parse.js';
import { ConfigError } from '../../src/errors.js';

export function configProblems(env: Record<string, string | undefined>): Record<string, string> {
  try {
    parseConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return Object.fromEntries(e.problems.map((p) => [p.variable, p.problem]));
    throw e;
  }
  return {};
}

/** No access rules, everyone let in explicitly (ALLOW_ANY_AUTHENTICATED=true). */
export const NO_RULES: AccessRules = {
  allowedGroups: [],
  groupsClaim: ['groups'],
  groupsOverage: 'refuse',
  graphApiUrl: 'https://graph.microsoft.com/v1.0',
  allowedEmailDomains: [],
  allowedHostedDomains: [],
  allowUnverifiedEmail: false,
  requireVerifiedEmail: false,
  usernameNeedsDomain: false,
  allowAnyAuthenticated: true,
};

/** A valid configuration for two IdPs' tests to vary (never contacted). */
export const TWO_IDP_BASE = {
  PUBLIC_URL: 'https://bridge.example.com',
  OIDC_ISSUER: 'https://a.example.com',
  OIDC_CLIENT_ID: 'a',
  OIDC_CLIENT_SECRET: 'sa',
  COMMBOX_API_KEY: 'k',
  COMMBOX_BRAND: 'b',
  COMMBOX_LOGIN_URL: 'https://b.commbox.io/login',
  COOKIE_SECRET: 'test-cookie-secret-0123456789-abcdefghijkl',
  ALLOW_ANY_AUTHENTICATED: 'true',
};

/** A valid configuration without any access rule, and without ALLOW_ANY_AUTHENTICATED. */
export const { ALLOW_ANY_AUTHENTICATED: _allowAny, ...UNRULED } = TWO_IDP_BASE;
/** The problems of {@link UNRULED} with `env` on top. */
export const unruledProblems = (env: Record<string, string | undefined>) => configProblems({ ...UNRULED, ...env });
/** A second IdP, "entra", with its own email domains beside the default IdP's. */
export const WITH_ENTRA = {
  ALLOWED_EMAIL_DOMAINS: 'corp.example',
  OIDC_IDPS: 'entra',
  IDP_ENTRA_ISSUER: 'https://login.example.net/t/v2.0',
  IDP_ENTRA_CLIENT_ID: 'e',
  IDP_ENTRA_CLIENT_SECRET: 's',
  IDP_ENTRA_ALLOWED_EMAIL_DOMAINS: 'entra.example',
};
