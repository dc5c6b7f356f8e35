/**
 * `GET|POST /initiate`: third-party-initiated login (OpenID Connect Core §4), for
 * IdP app-launcher tiles.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { limited, type Bridge, type RateLimit } from '../bridge.js';
import { BridgeError, Reasons } from '../errors.js';
import { resolveInitiation } from '../login/initiate.js';
import { beginLogin } from './login.js';

async function initiate(bridge: Bridge, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  if (req.method === 'POST' && !/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
    throw new BridgeError(Reasons.badRequest, 415, {
      detail: 'POST /initiate takes an application/x-www-form-urlencoded form',
    });
  }
  const params = ((req.method === 'POST' ? req.body : req.query) ?? {}) as Record<string, unknown>;
  const { idp, target } = resolveInitiation(bridge, params);
  return beginLogin(bridge, req, reply, { entry: 'initiate', idp, params, target });
}

export async function initiateRoutes(
  app: FastifyInstance,
  { bridge, rateLimit }: { bridge: Bridge; rateLimit: RateLimit },
): Promise<void> {
  app.get('/initiate', limited(rateLimit), (req, reply) => initiate(bridge, req, reply));
  app.post('/initiate', limited(rateLimit), (req, reply) => initiate(bridge, req, reply));
}
