/** The variables of the "Access rules" section of docs/configuration.md: who may get a ticket. */
import { parseClaimPath } from '../claim-mapping.js';
import { boolean, domains, isSet, list, oneOf } from '../parsers.js';
import { httpsUrl } from '../urls.js';
import { variable, type Parser } from '../variable.js';

/** A claim path without transforms (the groups claim); `groups` when unset. */
const claimPath: Parser<readonly string[]> = (raw, ctx) => {
  if (raw?.includes('|')) ctx.bad('takes a claim path without transforms');
  try {
    return parseClaimPath(isSet(raw) ? raw.split('|')[0]! : 'groups');
  } catch (e) {
    ctx.bad((e as Error).message);
    return ['groups'];
  }
};

export const ACCESS_RULE_VARIABLES = {
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
    parse: httpsUrl({ fallback: 'https://graph.microsoft.com/v1.0' }),
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
} as const;
