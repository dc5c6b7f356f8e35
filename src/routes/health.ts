/**
 * `GET /healthz` (liveness: the event loop answers) and `GET /readyz` (readiness:
 * the IdP's metadata and keys are loaded, CommBox has answered at least once or
 * was not tried yet, and the process is not draining); the `/metrics` handler,
 * which only the metrics port serves.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Bridge } from '../bridge.js';
import type { Metrics } from '../observability/metrics.js';

/** The `/metrics` handler (METRICS_PORT). */
export const metricsHandler = (metrics: Metrics) => async (_req: FastifyRequest, reply: FastifyReply) =>
  reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());

/** Why the bridge is not ready; empty when it is. */
export function readinessProblems(bridge: Bridge): string[] {
  const problems: string[] = [];
  if (bridge.health.draining) problems.push('draining: shutting down');
  for (const idp of bridge.idps.values()) {
    if (idp.oidc.discovered) continue;
    const name = `idp${idp.config.name === 'default' ? '' : ` ${idp.config.name}`}`;
    problems.push(`${name}: ${idp.oidc.discoveryProblem ?? 'discovery and JWKS not loaded yet'}`);
  }
  if (bridge.health.commboxReachable === false) problems.push('commbox: not reachable so far');
  return problems;
}

export async function healthRoutes(app: FastifyInstance, { bridge }: { bridge: Bridge }): Promise<void> {
  app.get('/healthz', (_req, reply) => reply.send({ status: 'ok' }));
  app.get('/readyz', (_req, reply) => {
    const problems = readinessProblems(bridge);
    // Ready, but worth saying: what an operator must not miss on a live service.
    // A Redis outage must not take every replica out of the load balancer at once: said, not failed.
    const notes = {
      ...(bridge.config.dryRun ? { mode: 'dry run: no CommBox tickets are issued (DRY_RUN=true)' } : {}),
      ...(bridge.shared === undefined ? {} : { redis: bridge.shared.up ? 'ok' : 'unavailable' }),
    };
    return problems.length === 0
      ? reply.send({ status: 'ready', ...notes })
      : reply.code(503).send({ status: 'not ready', problems, ...notes });
  });
}
