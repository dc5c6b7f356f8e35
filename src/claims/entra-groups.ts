/**
 * Microsoft Graph, for Entra ID's groups overage: the groups of the signed-in
 * user (`/me/transitiveMemberOf`), read with the login's own access token.
 */
import type { IdpFetch } from '../net/idp-fetch.js';
import { describeError } from '../net/network-errors.js';

/** The most pages of groups read for one login (100 groups a page by default). */
export const MAX_GRAPH_PAGES = 20;

/** Why reading stopped before the last page; undefined when every page was read. */
export type GraphStop =
  'graph.status' | 'graph.body' | 'graph.timeout' | 'graph.request' | 'graph.offorigin' | 'graph.pages';

/** What was read: the group IDs, and whether the list is complete. */
export interface GraphGroups {
  readonly groups: readonly string[];
  /** Set when reading stopped early: the list is then incomplete. */
  readonly stopped: GraphStop | undefined;
  readonly detail: string | undefined;
  readonly pages: number;
}

/**
 * Reads the user's group IDs page by page until `wanted` returns true for one of
 * them or the pages end. Follows `@odata.nextLink` only on the origin of
 * `graphApiUrl`, at most {@link MAX_GRAPH_PAGES} pages, all under one total
 * deadline of `timeoutMs`. Never throws: a failure is a `stopped` list.
 */
export async function readGraphGroups(
  fetch: IdpFetch,
  opts: {
    graphApiUrl: string;
    accessToken: string;
    timeoutMs: number;
    wanted: (group: string) => boolean;
    /** The login's deadline: reading stops at it too, and the caller refuses. */
    signal?: AbortSignal | undefined;
  },
): Promise<GraphGroups> {
  const origin = new URL(opts.graphApiUrl).origin;
  const groups: string[] = [];
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('the Graph deadline passed')), opts.timeoutMs);
  const outer = opts.signal;
  const onOuterAbort = () => controller.abort(outer!.reason);
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  const stop = (stopped: GraphStop, detail: string, pages: number): GraphGroups => ({ groups, stopped, detail, pages });
  let next: string | undefined = `${opts.graphApiUrl}/me/transitiveMemberOf?$select=id`;
  let pages = 0;
  try {
    while (next !== undefined) {
      if (pages === MAX_GRAPH_PAGES) return stop('graph.pages', `more than ${MAX_GRAPH_PAGES} pages of groups`, pages);
      let res: Response;
      let body: unknown;
      try {
        res = await fetch(next, {
          headers: { authorization: `Bearer ${opts.accessToken}`, accept: 'application/json' },
          signal: controller.signal,
        });
        body = res.ok ? await res.json() : undefined;
      } catch (e) {
        if (controller.signal.aborted)
          return stop('graph.timeout', `Microsoft Graph did not answer within ${opts.timeoutMs} ms`, pages);
        return stop(
          e instanceof SyntaxError ? 'graph.body' : 'graph.request',
          `Microsoft Graph request failed: ${describeError(e)}`,
          pages,
        );
      }
      pages++;
      if (!res.ok)
        return stop(
          'graph.status',
          `Microsoft Graph answered HTTP ${res.status} (the app needs the GroupMember.Read.All permission)`,
          pages,
        );
      const page = body as { value?: unknown; '@odata.nextLink'?: unknown } | null;
      if (page === null || typeof page !== 'object' || !Array.isArray(page.value))
        return stop('graph.body', 'the Microsoft Graph answer has no "value" list', pages);
      for (const item of page.value) {
        const id = (item as { id?: unknown } | null)?.id;
        if (typeof id === 'string') groups.push(id);
      }
      if (groups.some(opts.wanted)) return { groups, stopped: undefined, detail: undefined, pages };
      const link = page['@odata.nextLink'];
      if (link === undefined) break;
      let u: URL | undefined;
      try {
        u = typeof link === 'string' ? new URL(link) : undefined;
      } catch {
        u = undefined;
      }
      if (u === undefined || u.origin !== origin)
        return stop(
          'graph.offorigin',
          `a next page link off the origin of GRAPH_API_URL (${origin}) was not followed`,
          pages,
        );
      next = u.href;
    }
    return { groups, stopped: undefined, detail: undefined, pages };
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}
