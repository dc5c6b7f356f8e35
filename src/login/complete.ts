/**
 * The end of a login: refuses before any request to the IdP unless a live
 * transaction of this browser matches the callback's `state`; then verifies the
 * sign-in (the OIDC layer), completes the groups of an Entra ID overage, lets
 * `decide.ts` apply the access rules and map the identity, obtains a CommBox
 * ticket and says where to send the browser. Plain function: the route clears
 * the cookie, redirects, and the error handler answers refusals.
 */
import type { CommboxClient } from '../commbox/client.js';
import { appendTicket } from '../commbox/redirect.js';
import type { BridgeConfig } from '../config/parse.js';
import { BridgeError, Reasons } from '../errors.js';
import { LoginDeadline } from '../net/deadline.js';
import type { Metrics } from '../observability/metrics.js';
import { inSpan } from '../observability/tracing.js';
import type { VerifiedLogin } from '../oidc/client.js';
import { checkUserinfoFailure, decideLogin, type LoginDecision } from './decide.js';
import { dryRunRefusal, type RefusalStep } from './dry-run-refusal.js';
import { keepsUnit, type FailureBudget } from './failure-budget.js';
import { resolveGroupsOverage, type GraphAccess } from './groups-overage.js';
import type { Idp } from './idp.js';
import type { LogSink, LoginOutcome } from './outcome.js';
import { dryRunPreview, type DryRunPreview } from './preview.js';
import type { ReplayMemory } from './replay.js';
import { callbackState, takeTransaction } from './take-transaction.js';
import { transactionCookiesStartedBefore, type LoginTransaction, type TransactionCookies } from './transaction.js';

/**
 * What completing a login uses, built once by the wiring: each step below
 * takes only its own part of it.
 */
export interface LoginCompletion {
  /** How login cookies are sealed and named. */
  readonly cookies: TransactionCookies;
  /** Which transactions were used already: each completes once. */
  readonly replayMemory: ReplayMemory;
  /** Failed code exchanges per client (`RATE_LIMIT_FAILED_LOGINS`); undefined: off. */
  readonly failureBudget: FailureBudget | undefined;
  /** Microsoft Graph, for an Entra ID groups overage. */
  readonly graph: GraphAccess;
  /** The CommBox ticket API. */
  readonly commbox: Pick<CommboxClient, 'requestTicket'>;
  /** The CommBox settings the decision reads, the callback's deadline, and `DRY_RUN`. */
  readonly settings: Pick<BridgeConfig, 'commbox' | 'loginTimeoutMs' | 'dryRun'>;
  readonly metrics: Pick<
    Metrics,
    'loginsCompleted' | 'loginDuration' | 'tokenDuration' | 'userinfoDuration' | 'commboxDuration'
  >;
}

/** The callback as the route sees it. */
export interface CallbackRequest {
  readonly query: URLSearchParams;
  readonly cookies: Readonly<Record<string, string | undefined>>;
  readonly reqId: string;
  readonly ip: string;
  readonly userAgent: string | undefined;
}

/** Where a completed login goes: CommBox with its ticket, or (DRY_RUN) the preview page. */
export type LoginResult =
  | { readonly location: string; readonly preview?: undefined }
  | { readonly location?: undefined; readonly preview: DryRunPreview };

/**
 * Completes the login at `idp`'s callback; resolves to the URL to send the
 * browser to (CommBox with `?ta=`), or with DRY_RUN to the preview of the ticket
 * request it did not make. Fills `outcome` as it goes; logs one line per
 * completed login, and one audit line per issued ticket.
 */
export async function completeLogin(
  parts: LoginCompletion,
  idp: Idp,
  req: CallbackRequest,
  outcome: LoginOutcome,
  loggers: { log: LogSink; audit: LogSink },
): Promise<LoginResult> {
  // One deadline for the whole callback (LOGIN_TIMEOUT_MS): every request below
  // carries it, and once it has passed no ticket is requested.
  const deadline = new LoginDeadline(parts.settings.loginTimeoutMs);
  try {
    return await complete(parts, idp, req, outcome, loggers, deadline);
  } catch (e) {
    throw deadline.explain(e);
  } finally {
    deadline.clear();
  }
}

async function complete(
  parts: LoginCompletion,
  idp: Idp,
  req: CallbackRequest,
  outcome: LoginOutcome,
  loggers: { log: LogSink; audit: LogSink },
  deadline: LoginDeadline,
): Promise<LoginResult> {
  const started = performance.now();
  deadline.enter('login_cookie');
  const state = callbackState(req.query);
  const tx = await takeTransaction(parts.cookies, parts.replayMemory, req.cookies, state, outcome);
  // Each IdP has its own redirect URI: an answer at another IdP's callback is
  // a mix-up, refused before any request.
  if ((tx.idp ?? 'default') !== idp.config.name) {
    throw new BridgeError(Reasons.issMismatch, {
      check: 'redirect_uri',
      detail: `a login started with IdP "${tx.idp ?? 'default'}" came back at the callback of "${idp.config.name}"`,
    });
  }

  const login = await verifyWithinBudget(idp, parts.failureBudget, req, tx, deadline);
  outcome.sub = login.sub;
  const m = parts.metrics;
  m.tokenDuration.observe(login.tokenMs / 1000);
  if (login.usedUserinfo) m.userinfoDuration.observe(login.userinfoMs / 1000);
  // DRY_RUN: a refusal from here on comes with what the rule saw, for the operator's page.
  let step: RefusalStep = 'userinfo';
  let claims = login.claims;
  let decision: LoginDecision;
  try {
    if (login.userinfoError !== undefined) {
      checkUserinfoFailure(login.claims, login.userinfoError, idp.config, tx.target);
      loggers.log.warn(
        { event: 'userinfo_failed', check: login.userinfoError.check, detail: login.userinfoError.detail },
        'userinfo failed; the login goes on with the claims it has',
      );
    }
    step = 'groups_overage';
    claims = await resolveGroupsOverage(parts.graph, idp.config.access, login, loggers.log, deadline);
    step = 'decision';
    decision = decideLogin(
      { claims, idTokenClaims: login.idTokenClaims, target: tx.target },
      idp.config,
      parts.settings.commbox,
    );
  } catch (e) {
    if (parts.settings.dryRun && e instanceof BridgeError)
      outcome.dryRunRefusal = dryRunRefusal({
        refusal: e,
        step,
        idp: idp.config,
        commbox: parts.settings.commbox,
        login,
        claims,
        target: tx.target,
      });
    throw e;
  }
  const { username, channel } = decision;
  outcome.username = username;

  // Past the deadline (a slow userinfo or Graph that the login could do without): no ticket.
  deadline.signal.throwIfAborted();
  if (parts.settings.dryRun) {
    clearOlderLogins(parts.cookies, req, tx, outcome);
    loggers.log.info(
      { event: 'login', reason: 'dry_run', idp: idp.config.name, sub: outcome.sub, username, channel },
      'dry run: no ticket requested',
    );
    return { preview: dryRunPreview(idp.config, decision, login, claims) };
  }

  outcome.ticket = { attempts: 0, lastStatus: undefined };
  const commboxStart = performance.now();
  deadline.enter('ticket');
  const ticket = await inSpan('commbox.ticket', {}, () =>
    parts.commbox.requestTicket(decision.data, outcome.ticket, deadline.signal),
  );
  clearOlderLogins(parts.cookies, req, tx, outcome);
  const ms = performance.now() - started;
  const commboxMs = performance.now() - commboxStart;
  m.loginsCompleted.inc();
  m.loginDuration.observe(ms / 1000);
  m.commboxDuration.observe(commboxMs / 1000);
  // The audit trail: one line per issued ticket (never the ticket itself).
  loggers.audit.info(
    {
      event: 'ticket_issued',
      reqId: req.reqId,
      idp: idp.config.name,
      sub: outcome.sub,
      username,
      email: decision.email,
      channel,
      ip: req.ip,
      userAgent: req.userAgent?.slice(0, 300),
      ms: round(ms),
    },
    'ticket issued',
  );
  loggers.log.info(
    {
      event: 'login',
      reason: 'ok',
      idp: idp.config.name,
      sub: outcome.sub,
      username,
      channel,
      userinfo: login.userinfoError ? 'failed' : login.usedUserinfo,
      accessTokenClaims: login.accessTokenClaims,
      commboxAttempts: outcome.ticket.attempts,
      // Milliseconds: the whole callback, and its waits on the IdP and CommBox.
      ms: round(ms),
      tokenMs: round(login.tokenMs),
      userinfoMs: round(login.userinfoMs),
      commboxMs: round(commboxMs),
    },
    'login completed',
  );
  return { location: appendTicket(decision.destination, ticket) };
}

/**
 * Verifies the callback at the IdP. The code exchange spends the bridge's
 * client credentials: within the client's budget of failed exchanges only. The
 * unit goes back as soon as the IdP's tokens verified (counted as a success),
 * before userinfo and the rules.
 */
async function verifyWithinBudget(
  idp: Idp,
  budget: FailureBudget | undefined,
  req: CallbackRequest,
  tx: LoginTransaction,
  deadline: LoginDeadline,
): Promise<VerifiedLogin> {
  let unit = await budget?.take(req.ip);
  const settle = (succeeded: boolean) => {
    if (unit === undefined) return;
    // Not awaited: the login does not wait on Redis for it (neither rejects).
    void (succeeded ? budget!.succeeded(unit) : budget!.giveBack(unit));
    unit = undefined;
  };
  try {
    return await idp.oidc.verifyCallback(req.query, tx, idp.neededClaims, deadline, () => settle(true));
  } catch (e) {
    const refusal = deadline.explain(e);
    if (!keepsUnit(refusal, deadline.step)) settle(false);
    throw refusal;
  }
}

/**
 * A login completed: the browser's logins started before it are cleared, so
 * that none of them can be completed later from the IdP session just used
 * (with `prompt` deleted from its saved URL, `auth_time` is later than its start).
 */
function clearOlderLogins(
  cookies: TransactionCookies,
  req: CallbackRequest,
  tx: LoginTransaction,
  outcome: LoginOutcome,
): void {
  outcome.olderCookiesToClear = transactionCookiesStartedBefore(
    req.cookies,
    tx.createdAt,
    outcome.cookieToClear,
    cookies.sealer,
  );
}

const round = (ms: number) => Math.round(ms * 100) / 100;
