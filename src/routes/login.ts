/**
 * `GET /login`: starts a login (the intranet "Open CommBox" link).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type {} from '@fastify/cookie';
import { limited, type Bridge, type RateLimit } from '../bridge.js';
import { createTransaction, TRANSACTION_TTL_MS, transactionCookieName } from '../login-state.js';

/**
 * Starts a login: a new transaction in its own sealed cookie, then a 302 to the
 * IdP. Throws `idp_unavailable` when the IdP's metadata cannot be had.
 */
export async function startLogin(
  bridge: Bridge,
  reply: FastifyReply,
  opts: { entry: 'login' | 'initiate' | 'chat'; loginHint?: string | undefined; target?: string | undefined },
): Promise<FastifyReply> {
  bridge.metrics.loginsStarted.inc({ entry: opts.entry });
  const tx = createTransaction(Date.now(), opts.target);
  const location = await bridge.oidc.authorizationUrl(tx, opts.loginHint);
  const secure = bridge.config.secureCookies;
  const name = transactionCookieName(tx.state, secure);
  reply.setCookie(name, bridge.sealer.seal(tx, name), {
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    maxAge: TRANSACTION_TTL_MS / 1000,
  });
  reply.request.log.debug({ event: 'login_started', hint: opts.loginHint !== undefined }, 'login started');
  return reply.redirect(location, 302);
}

export async function loginRoutes(app: FastifyInstance, { bridge, rateLimit }: { bridge: Bridge; rateLimit: RateLimit }): Promise<void> {
  app.get('/login', limited(rateLimit), (_req, reply) => startLogin(bridge, reply, { entry: 'login' }));
}
