/**
 * Prometheus metrics (prom-client), in a registry of their own. Labels hold only
 * bounded values: reason codes, entry points, CommBox status classes; never a
 * user name, an email or anything a user controls.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Reasons } from '../errors.js';
import { BRIDGE_VERSION } from './version.js';

/** Seconds; the flow is dominated by the IdP and CommBox round trips. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface Metrics {
  readonly registry: Registry;
  readonly loginsStarted: Counter<'entry'>;
  readonly loginsCompleted: Counter;
  readonly loginsRefused: Counter<'reason'>;
  readonly ticketRequests: Counter<'status'>;
  readonly loginDuration: Histogram;
  readonly tokenDuration: Histogram;
  readonly userinfoDuration: Histogram;
  readonly commboxDuration: Histogram;
  readonly graphDuration: Histogram;
}

/**
 * Creates the metrics; `defaults` adds the usual process metrics (CPU, memory,
 * event loop, GC) under their standard names (`process_cpu_seconds_total`,
 * `nodejs_heap_size_used_bytes`, …) so the usual dashboards work.
 */
export function createMetrics({ defaults = true }: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  // Which release runs, for dashboards and alerts (the usual `_build_info` shape: always 1,
  // the facts in labels). Here on the metrics port, not on the public /healthz: a version
  // banner on the internet-facing port tells a scanner which advisories to try (ASVS V13).
  new Gauge({
    name: 'commbox_bridge_build_info',
    help: 'Always 1; the running release (package.json version) and the Node.js version in labels.',
    labelNames: ['version', 'node'],
    registers,
  }).set({ version: BRIDGE_VERSION, node: process.version }, 1);
  const metrics: Metrics = {
    registry,
    loginsStarted: new Counter({
      name: 'commbox_bridge_logins_started_total',
      help: 'Logins started, by entry point (login, initiate, chat).',
      labelNames: ['entry'],
      registers,
    }),
    loginsCompleted: new Counter({
      name: 'commbox_bridge_logins_completed_total',
      help: 'Logins that ended in CommBox with a ticket.',
      registers,
    }),
    loginsRefused: new Counter({
      name: 'commbox_bridge_logins_refused_total',
      help: 'Logins refused or failed, by reason code.',
      labelNames: ['reason'],
      registers,
    }),
    ticketRequests: new Counter({
      name: 'commbox_bridge_commbox_ticket_requests_total',
      help: 'Requests to the CommBox ticket API (each attempt), by HTTP status, or "error" and "timeout".',
      labelNames: ['status'],
      registers,
    }),
    loginDuration: new Histogram({
      name: 'commbox_bridge_login_duration_seconds',
      help: 'The callback: from the IdP answer to the redirect into CommBox.',
      buckets: BUCKETS,
      registers,
    }),
    tokenDuration: new Histogram({
      name: 'commbox_bridge_idp_token_duration_seconds',
      help: 'The IdP token request and ID token checks.',
      buckets: BUCKETS,
      registers,
    }),
    userinfoDuration: new Histogram({
      name: 'commbox_bridge_idp_userinfo_duration_seconds',
      help: 'The IdP userinfo request, when one is needed.',
      buckets: BUCKETS,
      registers,
    }),
    commboxDuration: new Histogram({
      name: 'commbox_bridge_commbox_ticket_duration_seconds',
      help: 'The whole ticket step, retries included.',
      buckets: BUCKETS,
      registers,
    }),
    graphDuration: new Histogram({
      name: 'commbox_bridge_graph_groups_duration_seconds',
      help: "Reading a login's groups from Microsoft Graph (GROUPS_OVERAGE=graph, an overage only), every page.",
      buckets: BUCKETS,
      registers,
    }),
  };
  // A labelled series exists from its first inc(): Prometheus first sees it at 1, and increase() over the
  // window drops that first refusal (a revoked API key's first 401, a reason's first refusals). Every reason
  // code and the ticket statuses the alerts read start at 0 instead; both sets are bounded.
  for (const reason of Object.values(Reasons)) metrics.loginsRefused.inc({ reason }, 0);
  for (const status of ['401', '502', '503', '504', 'error', 'timeout']) metrics.ticketRequests.inc({ status }, 0);
  return metrics;
}
