/**
 * `GET /login` and `GET /login/<idp>`: the intranet "Open CommBox" link. Also the
 * adapter that starts a login for `/initiate` and `/chat`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import { BridgeError, Reasons } from '../errors.js';
import type { Idp } from '../login/idp.js';
import { startLogin } from '../login/start.js';
import { transactionCookieOptions, type TransactionCookies } from '../login/transaction.js';
import type { Metrics } from '../observability/metrics.js';
import type { PublicHostRedirect } from './public-host.js';
import { idpLanguage, type LanguageChoice } from '../web/language.js';
import { limited, type RateLimit } from './rate-limit.js';

/**
 * What starting a login uses: the IdPs (`default` first), the login cookies, the
 * started-logins counter, the redirect of a login started on another host to
 * PUBLIC_URL, and the pages' languages (the IdP is asked for the page language
 * as `ui_locales`, unless the browser asked for none of them).
 */
export interface LoginStarter {
  readonly idps: ReadonlyMap<string, Idp>;
  readonly cookies: TransactionCookies;
  readonly loginsStarted: Metrics['loginsStarted'];
  readonly publicHost: PublicHostRedirect;
  readonly languages: LanguageChoice;
}

/**
 * Starts a login and answers with its cookies and the 302 to the IdP; on a host
 * other than PUBLIC_URL's, sends the browser to `path` on PUBLIC_URL first.
 */
export async function beginLogin(
  starter: LoginStarter,
  req: FastifyRequest,
  reply: FastifyReply,
  opts: {
    entry: 'login' | 'initiate' | 'chat';
    /** The route's own path (never the request's), for the redirect to PUBLIC_URL. */
    path: string;
    idp?: Idp | undefined;
    params?: Readonly<Record<string, unknown>> | undefined;
    target?: string | undefined;
  },
): Promise<FastifyReply> {
  const elsewhere = starter.publicHost.redirect(req, reply, opts.path);
  if (elsewhere !== undefined) return elsewhere;
  starter.loginsStarted.inc({ entry: opts.entry });
  // Cookies are parsed only when login cookies are there (to choose a free slot).
  const header = req.headers.cookie;
  const cookies = header?.includes('cbx_tx_') ? req.server.parseCookie(header) : {};
  const start = await startLogin(opts.idp ?? starter.idps.get('default')!, starter.cookies, {
    cookies,
    params: opts.params ?? (req.query as Record<string, unknown>),
    target: opts.target,
    uiLocales: idpLanguage(req.headers['accept-language'], starter.languages),
  });
  reply.setCookie(start.cookie.name, start.cookie.value, {
    ...transactionCookieOptions(starter.cookies.secure),
    maxAge: start.cookie.maxAgeSec,
  });
  req.log.debug({ event: 'login_started', passed: start.passed }, 'login started');
  return reply.redirect(start.location, 302);
}

export async function loginRoutes(
  app: FastifyInstance,
  { starter, rateLimit }: { starter: LoginStarter; rateLimit: RateLimit },
): Promise<void> {
  app.get('/login', limited(rateLimit), (req, reply) =>
    beginLogin(starter, req, reply, { entry: 'login', path: '/login' }),
  );
  // Several IdPs: /login/<name> signs in with that one.
  app.get<{ Params: { idp: string } }>('/login/:idp', limited(rateLimit), (req, reply) => {
    const idp = req.params.idp === 'default' ? undefined : starter.idps.get(req.params.idp);
    if (!idp)
      throw new BridgeError(Reasons.notFound, {
        detail: `no IdP named ${JSON.stringify(req.params.idp.slice(0, 40))}`,
      });
    return beginLogin(starter, req, reply, { entry: 'login', path: idp.config.loginPath, idp });
  });
}
