/**
 * The audit line of a refused login: `login_refused`, or for the limits an
 * outsider can hit at will (`rate_limited`, `failed_login_budget_exhausted`)
 * at most one line per client and window, so that a flood of requests cannot
 * flood the SIEM (`logins_refused_total` counts every one).
 *
 * Codes only, never the refusal's `detail`: that free text may quote what the
 * person's claims held (an email's domain, a group), and it stays in the
 * application line that carries the same `reqId`. The identity fields are those
 * the `ticket_issued` line has already: `sub` and, once mapped, `username`.
 */
import type { FastifyRequest } from 'fastify';
import { Reasons, type BridgeError } from '../errors.js';
import { clientKey } from '../net/client-address.js';
import type { OncePerWindow } from '../observability/audit.js';
import type { LoginOutcome, LogSink } from '../login/outcome.js';

/** The audit logger, and the memory of which clients were audited for a limit in this window. */
export interface RefusalAudit {
  readonly log: LogSink;
  readonly limitsAudited: OncePerWindow;
}

/** The longest `User-Agent` an audit line carries (as `ticket_issued`'s). */
export const USER_AGENT_MAX = 300;
/** The longest path an audit line carries. */
const PATH_MAX = 200;

/** Writes the audit line of a refused login (a refusal on a login route), bounded for the limits. */
export function auditRefusal(
  audit: RefusalAudit,
  req: FastifyRequest,
  err: BridgeError,
  login: LoginOutcome | undefined,
  ip: string,
): void {
  const common = {
    reqId: req.id,
    idp: login?.idp,
    ip,
    path: req.url.split('?')[0]!.slice(0, PATH_MAX),
    userAgent: req.headers['user-agent']?.slice(0, USER_AGENT_MAX),
  };
  if (err.reason === Reasons.rateLimited) {
    const budget = err.check === 'rate_limit.failed_logins';
    const key = clientKey(ip);
    if (!audit.limitsAudited.first(`${budget ? 'failed_logins' : 'requests'} ${key}`)) return;
    audit.log.warn(
      budget
        ? {
            event: 'failed_login_budget_exhausted',
            limit: 'RATE_LIMIT_FAILED_LOGINS',
            check: err.check,
            key,
            ...common,
          }
        : { event: 'rate_limited', limit: 'RATE_LIMIT_MAX', key, ...common },
      budget
        ? 'failed-login budget exhausted (said once per client and window)'
        : 'rate limit hit (said once per client and window)',
    );
    return;
  }
  audit.log.warn(
    {
      event: 'login_refused',
      reason: err.reason,
      check: err.check,
      status: err.status,
      sub: login?.sub,
      username: login?.username,
      ...common,
    },
    'login refused',
  );
}
