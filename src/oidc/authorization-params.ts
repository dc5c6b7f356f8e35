/**
 * The extra parameters of the authorization request: the company's fixed ones
 * (`OIDC_PROMPT`, `OIDC_MAX_AGE`, `OIDC_AUTH_PARAMS`, `hd`) and those copied from
 * the link the employee clicked (`OIDC_PASS_THROUGH_PARAMS`). Pure functions.
 */
import { reservedParameter } from '../config/reserved-parameters.js';

/** The longest passed-through value (decoded) that is copied; longer ones are dropped. */
export const MAX_PASS_THROUGH_LENGTH = 256;

/** The company's fixed authorization parameters for one IdP. */
export interface FixedAuthorizationParams {
  readonly prompt: string | undefined;
  readonly maxAge: number | undefined;
  /** `OIDC_AUTH_PARAMS`, in order. */
  readonly authParams: readonly (readonly [string, string])[];
  /** `hd`: the one allowed Google Workspace domain, when exactly one is configured. */
  readonly hostedDomain: string | undefined;
}

/** The fixed parameters as name → value, in the order they are sent. */
export function fixedAuthorizationParams(p: FixedAuthorizationParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of p.authParams) out[name] = value;
  if (p.prompt !== undefined) out['prompt'] = p.prompt;
  if (p.maxAge !== undefined) out['max_age'] = String(p.maxAge);
  if (p.hostedDomain !== undefined) out['hd'] = p.hostedDomain;
  return out;
}

/**
 * The parameters of one login: `passed` (the link's) and `ui_locales`, the
 * language of the bridge's pages, so the IdP's sign-in form matches them
 * (OpenID Connect Core §3.1.2.1). The company's own `ui_locales`
 * (`OIDC_AUTH_PARAMS`) wins, then the link's (`OIDC_PASS_THROUGH_PARAMS`):
 * both are choices someone made for these logins, the page language a guess
 * from the browser.
 */
export function loginParams(
  passed: Readonly<Record<string, string>>,
  fixed: Readonly<Record<string, string>>,
  uiLocales: string | undefined,
): Readonly<Record<string, string>> {
  const named = (params: Readonly<Record<string, string>>) =>
    Object.keys(params).some((n) => n.toLowerCase() === 'ui_locales');
  if (uiLocales === undefined || named(fixed) || named(passed)) return passed;
  return { ...passed, ui_locales: uiLocales };
}

/**
 * The parameters to copy from the link's query (or form): each name in `allowed`
 * (case-sensitive) given exactly once, with a value of at most
 * {@link MAX_PASS_THROUGH_LENGTH} characters, and not already fixed by the
 * company (a fixed value wins). Protocol parameters are never copied, even if
 * listed (the configuration refuses to list them; this is the second lock).
 */
export function passThroughParams(
  allowed: readonly string[],
  query: Readonly<Record<string, unknown>> | undefined,
  fixed: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (query === undefined) return out;
  for (const name of allowed) {
    if (
      !Object.prototype.hasOwnProperty.call(query, name) ||
      reservedParameter(name) !== undefined ||
      Object.hasOwn(fixed, name)
    )
      continue;
    const value = query[name];
    // Repeated (an array) or not text: ambiguous, dropped.
    if (typeof value !== 'string' || value === '' || value.length > MAX_PASS_THROUGH_LENGTH) continue;
    out[name] = value;
  }
  return out;
}
