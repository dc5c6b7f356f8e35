/**
 * `GET /callback` (and `/callback/<idp>`): the end of the login, each IdP at its
 * own redirect URI. The work is `completeLogin`; here only HTTP.
 */
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientAddress } from '../net/client-address.js';
import { completeLogin, type LoginCompletion, type LoginResult } from '../login/complete.js';
import type { Idp } from '../login/idp.js';
import type { LoginOutcome } from '../login/outcome.js';
import { wantsJson } from '../web/error-handler.js';
import { renderDryRun, type PageContext } from '../web/pages.js';
import { transactionCookieOptions } from '../login/transaction.js';
import type { Logger } from '../observability/log.js';
import { limited, type RateLimit } from './rate-limit.js';

/** What the callback routes use. */
export interface CallbackOptions {
  readonly idps: ReadonlyMap<string, Idp>;
  readonly completion: LoginCompletion;
  /** One line per issued ticket. */
  readonly audit: Logger;
  /** For the DRY_RUN page. */
  readonly pageContext: PageContext;
  readonly rateLimit: RateLimit;
}

async function callback(
  opts: CallbackOptions,
  idp: Idp,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const outcome: LoginOutcome = { idp: idp.config.name };
  req.login = outcome;
  const query = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1 || req.url.length));
  // A login cookie is used once, whatever the outcome; a completed login clears the older ones too.
  const clearCookie = () => {
    const options = transactionCookieOptions(opts.completion.cookies.secure);
    if (outcome.cookieToClear) reply.clearCookie(outcome.cookieToClear, options);
    for (const name of outcome.olderCookiesToClear ?? []) reply.clearCookie(name, options);
  };
  let result: LoginResult;
  try {
    result = await completeLogin(
      opts.completion,
      idp,
      {
        query,
        cookies: req.server.parseCookie(req.headers.cookie ?? ''),
        reqId: req.id,
        ip: clientAddress(req),
        userAgent: req.headers['user-agent'],
      },
      outcome,
      { log: req.log, audit: opts.audit },
    );
  } catch (e) {
    clearCookie();
    throw e;
  }
  clearCookie();
  if (result.preview !== undefined) {
    if (wantsJson(req))
      return reply.type('application/json; charset=utf-8').send({ dryRun: true, reference: req.id, ...result.preview });
    return reply.type('text/html; charset=utf-8').send(renderDryRun(result.preview, req.id, opts.pageContext));
  }
  return reply.redirect(result.location, 302);
}

export async function callbackRoutes(app: FastifyInstance, opts: CallbackOptions): Promise<void> {
  app.decorateRequest('login', undefined);
  for (const idp of opts.idps.values()) {
    app.get(idp.config.callbackPath, limited(opts.rateLimit), (req, reply) => callback(opts, idp, req, reply));
  }
}
