/**
 * `GET /login`: starts a login (the intranet "Open CommBox" link).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type {} from '@fastify/cookie';
import { limited, type Bridge, type Idp, type RateLimit } from '../bridge.js';
import { BridgeError, Reasons } from '../errors.js';
import { createTransaction, TRANSACTION_TTL_MS, transactionCookieName, transactionCookiesToDrop } from '../login-state.js';

/**
 * Starts a login: a new transaction in its own sealed cookie, then a 302 to the
 * IdP. Throws `idp_unavailable` when the IdP's metadata cannot be had.
 */
export async function startLogin(
  bridge: Bridge,
  reply: FastifyReply,
  opts: { entry: 'login' | 'initiate' | 'chat'; idp?: Idp; loginHint?: string | undefined; target?: string | undefined },
): Promise<FastifyReply> {
  bridge.metrics.loginsStarted.inc({ entry: opts.entry });
  const idp = opts.idp ?? bridge.idps.get('default')!;
  const tx = createTransaction(Date.now(), opts.target, idp.config.name);
  const location = await idp.oidc.authorizationUrl(tx, opts.loginHint);
  const secure = bridge.config.secureCookies;
  const cookieOptions = { httpOnly: true, sameSite: 'lax', secure, path: '/' } as const;
  // Unfinished logins must not pile up until the browser is locked out (431).
  const header = reply.request.headers.cookie;
  if (header?.includes('cbx_tx_')) {
    for (const old of transactionCookiesToDrop(reply.server.parseCookie(header), bridge.sealer)) reply.clearCookie(old, cookieOptions);
  }
  const name = transactionCookieName(tx.state, secure);
  reply.setCookie(name, bridge.sealer.seal(tx, name), { ...cookieOptions, maxAge: TRANSACTION_TTL_MS / 1000 });
  reply.request.log.debug({ event: 'login_started', hint: opts.loginHint !== undefined }, 'login started');
  return reply.redirect(location, 302);
}

export async function loginRoutes(app: FastifyInstance, { bridge, rateLimit }: { bridge: Bridge; rateLimit: RateLimit }): Promise<void> {
  app.get('/login', limited(rateLimit), (_req, reply) => startLogin(bridge, reply, { entry: 'login' }));
  // Several IdPs: /login/<name> signs in with that one.
  app.get<{ Params: { idp: string } }>('/login/:idp', limited(rateLimit), (req, reply) => {
    const idp = req.params.idp === 'default' ? undefined : bridge.idps.get(req.params.idp);
    if (!idp) throw new BridgeError(Reasons.notFound, 404, { detail: `no IdP named ${JSON.stringify(req.params.idp.slice(0, 40))}` });
    return startLogin(bridge, reply, { entry: 'login', idp });
  });
}
