/**
 * The Grafana dashboard (deploy/grafana) and the Prometheus alert rules (deploy/prometheus) ask only
 * for metrics the bridge exposes: the names are collected from a real scrape of a bridge with Redis
 * (so a renamed or dropped metric fails here), and every alert is labelled, described and has a
 * runbook in docs/operations.md. `promtool check rules` and `promtool test rules` run in .ci/run.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { buildMetricsApp } from '../src/app.js';
import { createMetrics } from '../src/observability/metrics.js';
import { startRedis } from './helpers/redis.js';
import { startHostileStack } from './helpers/stack.js';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}
interface Dashboard {
  schemaVersion: number;
  templating: { list: { name: string; type: string; query: unknown }[] };
  panels: Panel[];
}
interface Rule {
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const dashboard = JSON.parse(read('deploy/grafana/commbox-sso-bridge.json')) as Dashboard;
const rules = (
  parse(read('deploy/prometheus/commbox-sso-bridge.rules.yml')) as { groups: { rules: Rule[] }[] }
).groups.flatMap((g) => g.rules);

/** PromQL words that are not metric names. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** The metric names a PromQL expression reads (functions, labels, strings, ranges and Grafana variables left out). */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+/g, ' ');
  const names = [...bare.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)].map((m) => m[1]!);
  return names.filter((n) => !KEYWORDS.has(n.toLowerCase()));
}

/** GitHub's anchor of a Markdown heading. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

t.test('metricNames reads the metric names of a PromQL expression, and only those', async (t) => {
  t.same(
    metricNames(
      'histogram_quantile(0.95, sum by (le) (rate(a_bucket{job=~"$job", x="rate(b)"}[$__rate_interval]))) / ignoring(x) c unless d offset 5m > 3',
    ),
    ['a_bucket', 'c', 'd'],
  );
});

t.test('the dashboard and the alert rules read only metrics the bridge exposes', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  const s = await startHostileStack({ env: { REDIS_URL: redis.url } });
  t.teardown(() => s.close());
  const metricsApp = buildMetricsApp(s.bridge);
  t.teardown(() => metricsApp.close());
  // The test stack leaves prom-client's default metrics out; the bridge itself has them (createMetrics()).
  const scrape = (await metricsApp.inject('/metrics')).body + (await createMetrics().registry.metrics());
  const exposed = new Set<string>(['up']); // Prometheus's own, per scrape target
  for (const [, name, type] of scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    exposed.add(name!);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exposed.add(name! + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) exposed.add(name! + suffix);
  }
  t.ok(exposed.has('commbox_bridge_redis_up'), 'the scrape is of a bridge with Redis');
  t.ok(exposed.has('process_cpu_seconds_total'), "and prom-client's default metrics");

  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  const queries = panels.flatMap((p) => (p.targets ?? []).map((q) => ({ where: `panel "${p.title}"`, expr: q.expr })));
  t.ok(queries.length >= 20, 'the dashboard has its queries');
  const alertQueries = rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }));
  const used = new Set<string>();
  for (const { where, expr } of [...queries, ...alertQueries]) {
    const names = metricNames(expr);
    t.ok(names.length > 0, `${where} reads a metric`);
    for (const name of names) {
      used.add(name);
      t.ok(exposed.has(name), `${where}: ${name} is exposed`);
    }
  }
  for (const name of [
    'commbox_bridge_logins_started_total',
    'commbox_bridge_logins_completed_total',
    'commbox_bridge_logins_refused_total',
    'commbox_bridge_commbox_ticket_requests_total',
    'commbox_bridge_idp_token_duration_seconds_bucket',
    'commbox_bridge_idp_userinfo_duration_seconds_bucket',
    'commbox_bridge_commbox_ticket_duration_seconds_bucket',
    'commbox_bridge_graph_groups_duration_seconds_bucket',
    'commbox_bridge_idp_discovered',
    'commbox_bridge_redis_up',
    'commbox_bridge_build_info',
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
  ])
    t.ok(used.has(name), `${name} is on the dashboard or in an alert`);
});

t.test('the dashboard: a Prometheus data source variable, never a fixed one', async (t) => {
  t.ok(dashboard.schemaVersion >= 39);
  t.match(
    dashboard.templating.list.find((v) => v.name === 'datasource'),
    { type: 'datasource', query: 'prometheus' },
  );
  for (const p of dashboard.panels) {
    if (p.type === 'row') continue;
    t.same(p.datasource, { type: 'prometheus', uid: '${datasource}' }, `panel "${p.title}"`);
    for (const q of p.targets ?? []) t.equal(q.datasource?.uid, '${datasource}', `a query of "${p.title}"`);
  }
});

t.test('every alert has a severity, a summary, a description and a runbook in docs/operations.md', async (t) => {
  const ops = read('docs/operations.md');
  const anchors = new Set([...ops.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
  t.ok(rules.length >= 8, 'the rules are read');
  const names = new Set<string>();
  for (const r of rules) {
    t.ok(r.alert, 'only alerts in this file');
    t.notOk(names.has(r.alert!), `${r.alert}: one rule of that name`);
    names.add(r.alert!);
    t.match(r.labels?.severity, /^(critical|warning)$/, `${r.alert}: severity`);
    t.ok(r.annotations?.summary, `${r.alert}: summary`);
    t.ok(r.annotations?.description, `${r.alert}: description`);
    const anchor = /^docs\/operations\.md#(.+)$/.exec(r.annotations?.runbook_url ?? '')?.[1];
    t.equal(anchor, slug(r.alert!), `${r.alert}: runbook_url is the runbook named after the alert`);
    t.ok(anchors.has(anchor!), `${r.alert}: docs/operations.md has #${anchor}`);
  }
  for (const alert of [
    'CommboxSsoBridgeDown',
    'CommboxTicketErrors',
    'CommboxTicketUnauthorized',
    'IdpUnavailable',
    'LoginRefusalsSpiking',
    'NoLoginsCompleted',
    'RedisDown',
  ])
    t.ok(names.has(alert), `${alert} is defined`);
});
