/**
 * `GET /callback` (and `/callback/<idp>`): the end of the login, each IdP at its
 * own redirect URI. The work is `completeLogin`; here only HTTP.
 */
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { limited, type Bridge, type Idp, type RateLimit } from '../bridge.js';
import { clientAddress } from '../net/client-address.js';
import { completeLogin, type LoginOutcome, type LoginResult } from '../login/complete.js';
import { wantsJson } from '../web/error-handler.js';
import { renderDryRun } from '../web/pages.js';
import { transactionCookieOptions } from '../login/transaction.js';
import type { Logger } from '../observability/log.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The login this request completes, for the error handler's log line. */
    login: LoginOutcome | undefined;
  }
}

async function callback(
  bridge: Bridge,
  idp: Idp,
  audit: Logger,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const outcome: LoginOutcome = { idp: idp.config.name };
  req.login = outcome;
  const query = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1 || req.url.length));
  // A login cookie is used once, whatever the outcome; a completed login clears the older ones too.
  const clearCookie = () => {
    const options = transactionCookieOptions(bridge.config.secureCookies);
    if (outcome.cookieToClear) reply.clearCookie(outcome.cookieToClear, options);
    for (const name of outcome.olderCookiesToClear ?? []) reply.clearCookie(name, options);
  };
  let result: LoginResult;
  try {
    result = await completeLogin(
      bridge,
      idp,
      {
        query,
        cookies: req.server.parseCookie(req.headers.cookie ?? ''),
        reqId: req.id,
        ip: clientAddress(req),
        userAgent: req.headers['user-agent'],
      },
      outcome,
      { log: req.log, audit },
    );
  } catch (e) {
    clearCookie();
    throw e;
  }
  clearCookie();
  if (result.preview !== undefined) {
    if (wantsJson(req))
      return reply.type('application/json; charset=utf-8').send({ dryRun: true, reference: req.id, ...result.preview });
    return reply.type('text/html; charset=utf-8').send(renderDryRun(result.preview, req.id, bridge.pages));
  }
  return reply.redirect(result.location, 302);
}

export async function callbackRoutes(
  app: FastifyInstance,
  { bridge, rateLimit, audit }: { bridge: Bridge; rateLimit: RateLimit; audit: Logger },
): Promise<void> {
  app.decorateRequest('login', undefined);
  for (const idp of bridge.idps.values()) {
    app.get(idp.config.callbackPath, limited(rateLimit), (req, reply) => callback(bridge, idp, audit, req, reply));
  }
}
