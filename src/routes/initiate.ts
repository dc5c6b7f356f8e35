/**
 * `GET|POST /initiate`: third-party-initiated login (OpenID Connect Core §4), for
 * IdP app-launcher tiles.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BridgeError, Reasons } from '../errors.js';
import { resolveInitiation, type BridgeSite } from '../login/initiate.js';
import { beginLogin, type LoginStarter } from './login.js';
import { limited, type RateLimit } from './rate-limit.js';

async function initiate(
  starter: LoginStarter,
  site: BridgeSite,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  if (req.method === 'POST' && !/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
    throw new BridgeError(Reasons.badRequest, {
      status: 415,
      detail: 'POST /initiate takes an application/x-www-form-urlencoded form',
    });
  }
  const params = ((req.method === 'POST' ? req.body : req.query) ?? {}) as Record<string, unknown>;
  const { idp, target } = resolveInitiation(starter.idps.values(), site, params);
  return beginLogin(starter, req, reply, { entry: 'initiate', path: '/initiate', idp, params, target });
}

export async function initiateRoutes(
  app: FastifyInstance,
  { starter, site, rateLimit }: { starter: LoginStarter; site: BridgeSite; rateLimit: RateLimit },
): Promise<void> {
  app.get('/initiate', limited(rateLimit), (req, reply) => initiate(starter, site, req, reply));
  app.post('/initiate', limited(rateLimit), (req, reply) => initiate(starter, site, req, reply));
}
