/**
 * The extra parameters of the authorization request: the company's fixed ones
 * (`OIDC_PROMPT`, `OIDC_MAX_AGE`, `OIDC_AUTH_PARAMS`, `hd`) and those copied from
 * the link the employee clicked (`OIDC_PASS_THROUGH_PARAMS`). Pure functions.
 */

/**
 * Parameters that belong to the protocol: the bridge sets them, and neither a
 * fixed nor a passed-through value may replace or add to them.
 */
export const PROTOCOL_PARAMETERS: ReadonlySet<string> = new Set([
  'client_id',
  'redirect_uri',
  'response_type',
  'response_mode',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'request',
  'request_uri',
  'claims',
]);

/** Parameters with their own variable: `prompt` (OIDC_PROMPT), `max_age` (OIDC_MAX_AGE), `hd` (ALLOWED_HOSTED_DOMAINS). */
export const OWN_VARIABLE_PARAMETERS: ReadonlyMap<string, string> = new Map([
  ['prompt', 'OIDC_PROMPT'],
  ['max_age', 'OIDC_MAX_AGE'],
  ['hd', 'ALLOWED_HOSTED_DOMAINS'],
]);

/** The longest passed-through value (decoded) that is copied; longer ones are dropped. */
export const MAX_PASS_THROUGH_LENGTH = 256;

/**
 * Why a parameter name may not be set by the company or a link; undefined when it
 * may. In any letter case: an IdP that reads names without regard to case would
 * take `Prompt` or `REDIRECT_URI` for the protocol's own.
 */
export function reservedParameter(name: string): string | undefined {
  const lower = name.toLowerCase();
  const written = lower === name ? `"${name}"` : `"${name}" (${lower})`;
  if (PROTOCOL_PARAMETERS.has(lower)) return `${written} is a protocol parameter the bridge sets itself`;
  const own = OWN_VARIABLE_PARAMETERS.get(lower);
  if (own !== undefined) return `${written} has its own variable, ${own}`;
  return undefined;
}

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
