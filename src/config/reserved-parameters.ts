/**
 * Authorization request parameters that neither the company (`OIDC_AUTH_PARAMS`)
 * nor a link (`OIDC_PASS_THROUGH_PARAMS`) may set: the configuration refuses
 * them, and `oidc/authorization-params.ts` never copies them from a link.
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
