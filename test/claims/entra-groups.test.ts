/**
 * Entra ID's groups overage: refused with a page naming the fix, or read from a
 * fake Microsoft Graph (remote, so mocked) page by page, within its origin, a
 * page limit and a deadline.
 */
import t, { type Test } from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_GRAPH_PAGES, readGraphGroups } from '../../src/claims/entra-groups.js';
import { createHttpClient } from '../../src/net/idp-fetch.js';
import { startHostileStack } from '../helpers/stack.js';

type Page = { status?: number; value?: unknown; next?: string; hang?: boolean; raw?: string; delayMs?: number };

/**
 * A fake Graph: page i (`?page=i`) of `/v1.0/me/transitiveMemberOf` is
 * `pages(nextLink)[i]` (the last one repeats), where `nextLink(i)` is this
 * server's link to page i.
 */
async function startGraph(makePages: Page[] | ((nextLink: (i: number) => string) => Page[])) {
  let pages: Page[] = [];
  const seen: { path: string; authorization: string | undefined }[] = [];
  /** Requests of delayed pages whose connection closed before the answer. */
  const abandoned = { count: 0 };
  const server = http.createServer((req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname !== '/v1.0/me/transitiveMemberOf') {
      res.writeHead(404).end();
      return;
    }
    const i = Number(u.searchParams.get('page') ?? 0);
    const p = pages[Math.min(i, pages.length - 1)]!;
    if (p.hang) return;
    const answer = () => {
      res.writeHead(p.status ?? 200, { 'content-type': 'application/json' });
      const body: Record<string, unknown> = { value: p.value ?? [] };
      if (p.next !== undefined) body['@odata.nextLink'] = p.next;
      res.end(p.raw ?? JSON.stringify(body));
    };
    if (p.delayMs === undefined) return answer();
    let closed = false;
    res.on('close', () => (closed = true));
    setTimeout(() => (closed ? abandoned.count++ : answer()), p.delayMs);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const nextLink = (i: number) => `${base}/v1.0/me/transitiveMemberOf?$select=id&page=${i}`;
  pages = typeof makePages === 'function' ? makePages(nextLink) : makePages;
  return {
    url: `${base}/v1.0`,
    seen,
    abandoned,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

const OVERAGE_USER = { _claim_names: { groups: 'src1' } };
const AGENTS_ID = '6f1c0000-agents';

async function overageStack(t: Test, env: Record<string, string>, graphUrl: string) {
  const s = await startHostileStack({ env: { ALLOWED_GROUPS: AGENTS_ID, GRAPH_API_URL: graphUrl, ...env } });
  t.teardown(() => s.close());
  const alice = s.idp.users['alice']!;
  delete alice['groups'];
  Object.assign(alice, OVERAGE_USER, {
    _claim_sources: { src1: { endpoint: `${graphUrl}/users/u-alice/getMemberObjects` } },
  });
  return s;
}

t.test(
  'GROUPS_OVERAGE=refuse (default): a 403 page saying why and naming the fix for IT; Graph is not asked',
  async (t) => {
    const graph = await startGraph([{ value: [{ id: AGENTS_ID }] }]);
    t.teardown(graph.close);
    const s = await overageStack(t, {}, graph.url);
    const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.equal(r.last.status, 403);
    t.match(r.last.body, /too many groups/);
    t.match(r.last.body, /GROUPS_OVERAGE=graph/);
    t.match(r.last.body, /app roles/);
    t.match(r.last.body, /\(groups_overage\)/);
    t.notMatch(r.last.body, /Try again/);
    t.match(
      s.logs.find((e) => e['reason'] === 'groups_overage'),
      { check: 'groups.overage' },
    );
    t.equal(graph.seen.length, 0, 'neither Graph nor the _claim_sources endpoint was called');
    t.match(
      await s.bridge.metrics.registry.getSingleMetricAsString('commbox_bridge_graph_groups_duration_seconds'),
      /commbox_bridge_graph_groups_duration_seconds_count 0$/m,
      'no Graph reading, none timed',
    );
    t.equal(s.ticketRequests(), 0);
  },
);

t.test('GROUPS_OVERAGE=graph: the groups are read page by page with the login access token', async (t) => {
  const g2 = await startGraph((link) => [
    { value: [{ id: 'g1' }, { id: 'g2' }], next: link(1) },
    { value: [{ id: AGENTS_ID }], next: link(2) },
    { value: [] },
  ]);
  t.teardown(g2.close);
  const s = await overageStack(t, { GROUPS_OVERAGE: 'graph' }, g2.url);
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.ok(r.stoppedAt, 'lands in CommBox');
  t.same(
    g2.seen.map((x) => x.path),
    ['/v1.0/me/transitiveMemberOf?$select=id', '/v1.0/me/transitiveMemberOf?$select=id&page=1'],
    'stopped reading once an allowed group was found; _claim_sources never called',
  );
  t.match(g2.seen[0]!.authorization, /^Bearer .{20,}/);
  t.ok(s.idp.issued.includes(g2.seen[0]!.authorization!.slice(7)), 'the bearer is the access token of this login');
  t.notMatch(s.logs.text, new RegExp(g2.seen[0]!.authorization!.slice(7)), 'the access token is not logged');
  t.match(
    s.logs.find((e) => e['event'] === 'graph_groups'),
    { groups: 3, pages: 2, found: true },
  );
  t.match(
    await s.bridge.metrics.registry.getSingleMetricAsString('commbox_bridge_graph_groups_duration_seconds'),
    /commbox_bridge_graph_groups_duration_seconds_count 1$/m,
    'one Graph reading timed (both pages in it)',
  );
});

t.test('GROUPS_OVERAGE=graph: every page read and no allowed group: group_not_allowed', async (t) => {
  const graph = await startGraph([{ value: [{ id: 'g1' }] }]);
  t.teardown(graph.close);
  const s = await overageStack(t, { GROUPS_OVERAGE: 'graph' }, graph.url);
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(r.last.status, 403);
  t.match(r.last.body, /\(group_not_allowed\)/);
  t.equal(s.ticketRequests(), 0);
});

t.test('GROUPS_OVERAGE=graph: reading stopped early without an allowed group refuses (groups_overage)', async (t) => {
  const cases: [string, (link: (i: number) => string) => Page[], string, Record<string, string>?][] = [
    ['an error', () => [{ status: 403, value: [] }], 'graph.status'],
    [
      'an off-origin link',
      () => [{ value: [{ id: 'g1' }], next: 'https://evil.example/v1.0/me/transitiveMemberOf?page=1' }],
      'graph.offorigin',
    ],
    ['the page limit', (link) => [{ value: [{ id: 'g1' }], next: link(1) }], 'graph.pages'],
    ['a body that is not JSON', () => [{ raw: '<html>' }], 'graph.body'],
    ['a timeout', () => [{ hang: true }], 'graph.timeout', { OIDC_TIMEOUT_MS: '500' }],
  ];
  for (const [name, pages, check, env] of cases) {
    const g = await startGraph(pages);
    const s = await overageStack(t, { GROUPS_OVERAGE: 'graph', ...env }, g.url);
    const started = Date.now();
    const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.equal(r.last.status, 403, name);
    t.match(r.last.body, /\(groups_overage\)/);
    t.match(
      s.logs.find((e) => e['reason'] === 'groups_overage'),
      { check },
      check,
    );
    if (check === 'graph.pages') t.equal(g.seen.length, MAX_GRAPH_PAGES, `at most ${MAX_GRAPH_PAGES} pages`);
    if (check === 'graph.timeout') t.ok(Date.now() - started < 5000, 'the deadline holds');
    t.equal(s.ticketRequests(), 0);
    await s.close();
    await g.close();
  }
});

t.test(
  'GROUPS_OVERAGE=graph: a Graph still answering at the login deadline is cut there (login_timeout, not groups_overage)',
  async (t) => {
    // The token at 1.5 s; Graph would answer 1 s later, within its own 2 s; the login ends at 2 s.
    const g = await startGraph([{ value: [{ id: AGENTS_ID }], delayMs: 1000 }]);
    t.teardown(g.close);
    const s = await overageStack(
      t,
      { GROUPS_OVERAGE: 'graph', OIDC_TIMEOUT_MS: '2000', COMMBOX_TIMEOUT_MS: '2000', LOGIN_TIMEOUT_MS: '2000' },
      g.url,
    );
    s.idp.delayMs.token = 1500;
    const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.equal(r.last.status, 504);
    t.match(r.last.body, /\(login_timeout\)/);
    t.match(
      s.logs.find((e) => e['reason'] === 'login_timeout'),
      { check: 'login_timeout.graph' },
    );
    t.equal(g.seen.length, 1);
    const until = Date.now() + 10_000;
    while (g.abandoned.count === 0 && Date.now() < until) await new Promise((ok) => setTimeout(ok, 20));
    t.equal(g.abandoned.count, 1, 'Graph saw its request closed before it answered');
    t.equal(s.ticketRequests(), 0);
  },
);

t.test('readGraphGroups: an allowed group found before an off-origin link is enough', async (t) => {
  const graph = await startGraph([{ value: [{ id: AGENTS_ID }], next: 'https://evil.example/next' }]);
  t.teardown(graph.close);
  const http = createHttpClient({ timeoutMs: 2000 });
  t.teardown(() => http.close());
  const read = await readGraphGroups(http.fetch, {
    graphApiUrl: graph.url,
    accessToken: 'at',
    timeoutMs: 2000,
    wanted: (g) => g === AGENTS_ID,
  });
  t.same(read, { groups: [AGENTS_ID], stopped: undefined, detail: undefined, pages: 1 });
});

t.test('no overage, or no group rule: Graph is never asked', async (t) => {
  const graph = await startGraph([{ value: [] }]);
  t.teardown(graph.close);
  const s = await startHostileStack({
    env: { GROUPS_OVERAGE: 'graph', GRAPH_API_URL: graph.url, ALLOWED_GROUPS: 'commbox-agents' },
  });
  t.teardown(() => s.close());
  t.ok((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt);
  t.equal(graph.seen.length, 0);
});

t.test('DRY_RUN names Microsoft Graph as the source of the groups it read', async (t) => {
  const graph = await startGraph([{ value: [{ id: AGENTS_ID }] }]);
  t.teardown(graph.close);
  const s = await overageStack(t, { GROUPS_OVERAGE: 'graph', DRY_RUN: 'true' }, graph.url);
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(r.last.status, 200);
  t.match(r.last.body, /<code>groups \(Microsoft Graph\)<\/code>/);
  t.match(r.last.body, /<code>_claim_names \(id token\)<\/code>/);
  t.equal(s.ticketRequests(), 0);
});
