/**
 * `GET /healthz` (liveness: the event loop answers; which version runs is said by the
 * start-up line and the metrics port's `commbox_bridge_build_info`, not to the internet)
 * and `GET /readyz` (readiness: the IdP's metadata and keys are loaded, CommBox has
 * answered at least once or was not tried yet, and the process is not draining); the
 * `/metrics` handler, which only the metrics port serves.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Idp } from '../login/idp.js';
import type { Metrics } from '../observability/metrics.js';
import type { SharedState } from '../redis/shared-state.js';

/** What readiness is made of. */
export interface Health {
  /** SIGTERM received: readiness fails so load balancers stop sending logins. */
  draining: boolean;
  /** CommBox answered at least once (any HTTP status); undefined: not tried yet. */
  commboxReachable: boolean | undefined;
}

/** What `/readyz` reads. */
export interface Readiness {
  readonly health: Health;
  readonly idps: ReadonlyMap<string, Idp>;
  /** `DRY_RUN`: said, not failed. */
  readonly dryRun: boolean;
  /** Redis shared by the replicas; undefined without `REDIS_URL`. */
  readonly sharedState: SharedState | undefined;
}

/** The `/metrics` handler (METRICS_PORT). */
export const metricsHandler = (metrics: Metrics) => async (_req: FastifyRequest, reply: FastifyReply) =>
  reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());

/** Why the bridge is not ready; empty when it is. */
export function readinessProblems(health: Health, idps: ReadonlyMap<string, Idp>): string[] {
  const problems: string[] = [];
  if (health.draining) problems.push('draining: shutting down');
  for (const idp of idps.values()) {
    if (idp.oidc.discovered) continue;
    const name = `idp${idp.config.name === 'default' ? '' : ` ${idp.config.name}`}`;
    problems.push(`${name}: ${idp.oidc.discoveryProblem ?? 'discovery and JWKS not loaded yet'}`);
  }
  if (health.commboxReachable === false) problems.push('commbox: not reachable so far');
  return problems;
}

export async function healthRoutes(app: FastifyInstance, readiness: Readiness): Promise<void> {
  const { health, idps, dryRun, sharedState } = readiness;
  app.get('/healthz', (_req, reply) => reply.send({ status: 'ok' }));
  app.get('/readyz', (_req, reply) => {
    const problems = readinessProblems(health, idps);
    // Ready, but worth saying: what an operator must not miss on a live service.
    // A Redis outage must not take every replica out of the load balancer at once: said, not failed.
    const notes = {
      ...(dryRun ? { mode: 'dry run: no CommBox tickets are issued (DRY_RUN=true)' } : {}),
      ...(sharedState === undefined ? {} : { redis: sharedState.up ? 'ok' : 'unavailable' }),
    };
    return problems.length === 0
      ? reply.send({ status: 'ready', ...notes })
      : reply.code(503).send({ status: 'not ready', problems, ...notes });
  });
}
