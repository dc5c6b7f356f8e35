/**
 * Entra ID's groups overage, for a login whose access rules name groups: the
 * ID token names the groups claim in `_claim_names` instead of carrying it.
 */
import { ENTRA_GROUPS_CLAIM_LIMIT, hasGroupsOverage } from '../claims/access.js';
import { readGraphGroups } from '../claims/entra-groups.js';
import { getClaim, type Claims } from '../claims/mapping.js';
import type { AccessRules } from '../config/settings.js';
import { BridgeError, Reasons, type Check } from '../errors.js';
import type { LoginClock } from '../net/deadline.js';
import type { IdpFetch } from '../net/idp-fetch.js';
import { inSpan } from '../observability/tracing.js';
import type { LogSink } from './outcome.js';

/**
 * How Microsoft Graph is reached: the IdP's keep-alive fetch, and the deadline of each request
 * (`OIDC_TIMEOUT_MS`); `duration` observes each reading's seconds (all its pages).
 */
export interface GraphAccess {
  readonly fetch: IdpFetch;
  readonly timeoutMs: number;
  readonly duration?: { observe(seconds: number): void };
}

/**
 * The claims of a login, with the groups filled in when the ID token has an
 * overage: refused with a page naming the fix (`GROUPS_OVERAGE=refuse`), or
 * read from Microsoft Graph with the login's access token (`graph`); the
 * `_claim_sources` endpoint is never called. A list read only in part, without
 * an allowed group in it, refuses. Without an overage, `claims` unchanged.
 */
export async function resolveGroupsOverage(
  graph: GraphAccess,
  rules: AccessRules,
  login: { readonly claims: Claims; readonly idTokenClaims: Claims; readonly accessToken: string },
  log: LogSink,
  clock: LoginClock,
): Promise<Claims> {
  const { claims } = login;
  if (
    rules.allowedGroups.length === 0 ||
    getClaim(claims, rules.groupsClaim) !== undefined ||
    !hasGroupsOverage(login.idTokenClaims, rules.groupsClaim)
  ) {
    return claims;
  }
  const refuse = (check: Check, detail: string) =>
    new BridgeError(Reasons.groupsOverage, {
      check,
      detail,
      userDetail: {
        key: 'detail.groups_overage',
        values: {
          limit: ENTRA_GROUPS_CLAIM_LIMIT,
          setting: 'GROUPS_OVERAGE=graph',
          permission: 'GroupMember.Read.All',
        },
      },
    });
  if (rules.groupsOverage === 'refuse')
    throw refuse('groups.overage', 'the ID token has a groups overage (_claim_names) and GROUPS_OVERAGE=refuse');
  clock.enter('graph');
  const graphStart = performance.now();
  const read = await inSpan('graph.groups', {}, async (span) => {
    const answer = await readGraphGroups(graph.fetch, {
      graphApiUrl: rules.graphApiUrl,
      accessToken: login.accessToken,
      timeoutMs: graph.timeoutMs,
      wanted: (g) => rules.allowedGroups.includes(g),
      signal: clock.signal,
    });
    span.set({ 'bridge.graph.pages': answer.pages, 'bridge.graph.complete': answer.stopped === undefined });
    return answer;
  });
  graph.duration?.observe((performance.now() - graphStart) / 1000);
  // Stopped by the login's deadline: that is the refusal, not an incomplete list.
  clock.signal.throwIfAborted();
  const found = read.groups.some((g) => rules.allowedGroups.includes(g));
  log.info(
    {
      event: 'graph_groups',
      groups: read.groups.length,
      pages: read.pages,
      complete: read.stopped === undefined,
      found,
    },
    'groups read from Microsoft Graph',
  );
  if (!found && read.stopped !== undefined)
    throw refuse(read.stopped, `the groups could not be read to the end from Microsoft Graph: ${read.detail}`);
  // Under the groups claim's whole name, where getClaim looks first.
  return { ...claims, [rules.groupsClaim.join('.')]: read.groups };
}
