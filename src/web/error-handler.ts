/**
 * Every refusal and failure answered the same way: the page (JSON when asked)
 * with what happened, what to do and a reference, and one log line carrying
 * that reference.
 */
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { BridgeError, Reasons } from '../errors.js';
import { clientAddress } from '../net/client-address.js';
import type { Metrics } from '../observability/metrics.js';
import { pageLanguage } from './language.js';
import { errorJson, renderErrorPage, type PageContext } from './pages.js';
import type { LoginOutcome } from '../login/outcome.js';
import { auditRefusal, type RefusalAudit } from './refusal-audit.js';

// Declared here, where it is read; the callback route, a layer above, sets it.
declare module 'fastify' {
  interface FastifyRequest {
    /** The login this request completes, for the error handler's log line. */
    login: LoginOutcome | undefined;
  }
}

/** What an error answer uses: the refused-logins counter, the rate limit's window (`Retry-After`), the page context. */
export interface ErrorAnswerContext {
  readonly loginsRefused: Metrics['loginsRefused'];
  readonly rateLimitWindowMs: number;
  readonly pageContext: PageContext;
  /** Where a refused login's audit line goes. */
  readonly audit: RefusalAudit;
}

/** Routes where a failure is a refused login (metrics). */
const isAuthRoute = (url: string) => /^\/(login|initiate|callback|chat)(\/|$)/.test(url);

/** Any error as a refusal: Fastify's own 4xx as `bad_request`, anything else as `internal_error`. */
export function toBridgeError(error: unknown): BridgeError {
  if (error instanceof BridgeError) return error;
  const e = error as FastifyError;
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new BridgeError(Reasons.badRequest, {
      status: e.statusCode,
      detail: `${e.code ?? 'error'}: ${e.message}`.slice(0, 300),
    });
  }
  return new BridgeError(Reasons.internalError, { detail: 'unexpected error', cause: error });
}

/** True when the client asked for JSON rather than a page. */
export function wantsJson(req: FastifyRequest): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

/** Answers with the error page (or JSON) and logs one line with the reference. `route`: the route's pattern, or the URL. */
export function sendError(
  ctx: ErrorAnswerContext,
  req: FastifyRequest,
  reply: FastifyReply,
  err: BridgeError,
  route: string | undefined,
): FastifyReply {
  const login = req.login;
  const ip = clientAddress(req);
  if (login || isAuthRoute(route ?? '')) {
    ctx.loginsRefused.inc({ reason: err.reason });
    auditRefusal(ctx.audit, req, err, login, ip);
  }
  const fields = {
    event: login ? 'login' : 'request',
    reason: err.reason,
    check: err.check,
    status: err.status,
    detail: err.detail,
    idp: login?.idp,
    sub: login?.sub,
    username: login?.username,
    commboxAttempts: login?.ticket?.attempts,
    commboxStatus: login?.ticket?.lastStatus,
    req: { method: req.method, url: req.url, ip },
  };
  if (err.status >= 500) {
    const cause = err.reason === Reasons.internalError ? err.cause : undefined;
    req.log.error(cause === undefined ? fields : { ...fields, err: cause }, login ? 'login failed' : 'request failed');
  } else if (login || err.status === 403) {
    req.log.warn(fields, 'login refused');
  } else {
    req.log.info(fields, 'request refused');
  }
  reply.code(err.status);
  if (err.reason === Reasons.idpUnavailable) reply.header('retry-after', '30');
  if (err.status === 429 && !reply.hasHeader('retry-after'))
    reply.header('retry-after', String(Math.ceil(ctx.rateLimitWindowMs / 1000)));
  const lang = pageLanguage(req.headers['accept-language'], ctx.pageContext);
  reply.header('vary', 'Accept-Language').header('content-language', lang);
  // DRY_RUN's view of a refused login (its claims): on this answer only, never in the log line above.
  const dryRun = login?.dryRunRefusal;
  if (wantsJson(req)) {
    const json = errorJson(err.reason, req.id, err.userDetail, ctx.pageContext, lang);
    return reply.type('application/json; charset=utf-8').send(dryRun === undefined ? json : { ...json, dryRun });
  }
  return reply
    .type('text/html; charset=utf-8')
    .send(renderErrorPage(err.reason, req.id, ctx.pageContext, err.userDetail, lang, dryRun));
}

/** What Node reports before a request reaches the router, as the status and the check of the refusal. */
function clientErrorKind(code: string | undefined): { status: number; check: string; detail: string } {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return { status: 408, check: 'request.timeout', detail: 'the request did not arrive whole in time' };
  if (code === 'HPE_HEADER_OVERFLOW')
    return { status: 431, check: 'request.headers_too_large', detail: 'the request headers are larger than the limit' };
  return { status: 400, check: 'request.malformed', detail: `the request is not valid HTTP (${code ?? 'error'})` };
}

/**
 * Fastify's `clientErrorHandler`: a request Node refuses before the router (it
 * trickled in past the receive deadline, its headers are too large, it is not
 * HTTP) gets the same page, headers and log line with a reference as every
 * other refusal, written on the socket, which is then closed.
 */
export function clientErrorAnswer(ctx: {
  pageContext: PageContext;
  log: FastifyBaseLogger;
  headers: Readonly<Record<string, string>>;
  newReference: () => string;
}): (err: NodeJS.ErrnoException, socket: Socket) => void {
  return (err, socket) => {
    // A reset connection has no one to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const kind = clientErrorKind(err.code);
    const reference = ctx.newReference();
    ctx.log.info(
      {
        event: 'request',
        reqId: reference,
        reason: Reasons.badRequest,
        check: kind.check,
        status: kind.status,
        detail: kind.detail,
      },
      'request refused',
    );
    if (socket.writable) {
      const body = renderErrorPage(Reasons.badRequest, reference, ctx.pageContext);
      const head = Object.entries({
        ...ctx.headers,
        'content-type': 'text/html; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
        connection: 'close',
      })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.write(`HTTP/1.1 ${kind.status} ${STATUS_TEXT[kind.status]}\r\n${head}\r\n${body}`);
    }
    socket.destroy();
  };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};
