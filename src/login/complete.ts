/**
 * The end of a login: refuses before any request to the IdP unless a live
 * transaction of this browser matches the callback's `state`; then verifies the
 * sign-in (openid-client), applies the access rules, maps the identity, obtains
 * a CommBox ticket and says where to send the browser. Plain function: the route
 * clears the cookie, redirects, and the error handler answers refusals.
 */
import type { Bridge, Idp } from '../bridge.js';
import {
  describePassedRules,
  evaluateAccess,
  evaluateHostedDomain,
  evaluateIdentity,
  hasGroupsOverage,
  missingRequiredClaims,
} from '../claims/access.js';
import {
  getClaim,
  mapAgentIdentity,
  mapChatIdentity,
  valueBeforeLocalpart,
  type Claims,
  type IdentityMapping,
} from '../claims/mapping.js';
import { readGraphGroups } from '../claims/entra-groups.js';
import type { VerifiedLogin } from '../oidc/client.js';
import type { DryRunPreview } from '../web/pages.js';
import { isChatPath, resolveChatChannel } from '../commbox/chat.js';
import type { TicketAttempts, TicketData } from '../commbox/client.js';
import { appendTicket } from '../commbox/redirect.js';
import { BridgeError, Reasons } from '../errors.js';
import { LoginDeadline, type LoginClock } from '../net/deadline.js';
import { keepsUnit } from './failure-budget.js';
import {
  isTransactionCookieName,
  legacyTransactionCookieName,
  transactionCookieNames,
  transactionCookiesStartedBefore,
  type LoginTransaction,
} from './transaction.js';

/** What is known of the login so far, for the outcome log line (also when it is refused). */
export interface LoginOutcome {
  /** The IdP the callback belongs to. */
  idp?: string;
  sub?: string;
  username?: string;
  ticket?: TicketAttempts;
  /** The login cookie the answer must clear, once it was found. */
  cookieToClear?: string;
  /** A completed login's answer clears too the browser's logins started before it. */
  olderCookiesToClear?: string[];
}

/** Where the outcome lines go (the request's logger, the audit logger). */
export interface LogSink {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

/** The callback as the route sees it. */
export interface CallbackRequest {
  readonly query: URLSearchParams;
  readonly cookies: Readonly<Record<string, string | undefined>>;
  readonly reqId: string;
  readonly ip: string;
  readonly userAgent: string | undefined;
}

/**
 * Finds, opens and consumes the transaction of `state`: of the login cookies the
 * browser sent (at most five slots, and the cookie a
 * login started before the upgrade to slots named after its state), the one
 * that opens to this state, compared in constant time.
 */
async function takeTransaction(
  bridge: Bridge,
  cookies: CallbackRequest['cookies'],
  state: string,
  outcome: LoginOutcome,
): Promise<LoginTransaction> {
  const secure = bridge.config.secureCookies;
  let unreadable = false;
  for (const name of [...transactionCookieNames(secure), legacyTransactionCookieName(state, secure)]) {
    const sealed = cookies[name];
    if (sealed === undefined) continue;
    const opened = bridge.sealer.open(sealed, name, state);
    if (opened.ok || opened.why === 'expired') {
      outcome.cookieToClear = name;
      if (!opened.ok) throw new BridgeError(Reasons.loginExpired, 400, { detail: 'login cookie refused: expired' });
      if (!(await bridge.consumed.consume(opened.tx.state, opened.tx.createdAt))) {
        throw new BridgeError(Reasons.callbackReplayed, 400, { detail: 'this login transaction was already used' });
      }
      return opened.tx;
    }
    // A cookie no key opens (tampered, another COOKIE_SECRET) can serve no login: cleared.
    if (opened.why === 'invalid' && !unreadable) {
      unreadable = true;
      outcome.cookieToClear = name;
    }
  }
  // A reload of the last page, or the back button: the state was used and its
  // cookie cleared. Say so, rather than blame cookies.
  if (await bridge.consumed.has(state)) {
    throw new BridgeError(Reasons.callbackReplayed, 400, {
      detail: 'this login transaction was already used (its cookie is gone: a reload or the back button)',
    });
  }
  if (unreadable)
    throw new BridgeError(Reasons.loginCookieInvalid, 400, {
      detail: 'login cookie refused: invalid (no key opens it)',
    });
  // Other live transactions but none for this state: the answer belongs to a
  // login this browser did not start (or a forged one).
  const others = Object.keys(cookies).filter(isTransactionCookieName).length;
  throw new BridgeError(others > 0 ? Reasons.stateMismatch : Reasons.loginCookieMissing, 400, {
    detail: `no login cookie for this state (the browser sent ${others} other login cookie(s))`,
  });
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
  bridge: Bridge,
  idp: Idp,
  req: CallbackRequest,
  outcome: LoginOutcome,
  loggers: { log: LogSink; audit: LogSink },
): Promise<LoginResult> {
  // One deadline for the whole callback (LOGIN_TIMEOUT_MS): every request below
  // carries it, and once it has passed no ticket is requested.
  const deadline = new LoginDeadline(bridge.config.loginTimeoutMs);
  try {
    return await complete(bridge, idp, req, outcome, loggers, deadline);
  } catch (e) {
    throw deadline.explain(e);
  } finally {
    deadline.clear();
  }
}

async function complete(
  bridge: Bridge,
  idp: Idp,
  req: CallbackRequest,
  outcome: LoginOutcome,
  loggers: { log: LogSink; audit: LogSink },
  deadline: LoginDeadline,
): Promise<LoginResult> {
  const started = performance.now();
  deadline.enter('login_cookie');
  const state = req.query.getAll('state');
  if (state.length !== 1 || state[0] === '') {
    const detail =
      state.length === 0
        ? 'callback without "state"'
        : state.length > 1
          ? 'callback with several "state"'
          : 'callback with an empty "state"';
    throw new BridgeError(Reasons.loginCookieMissing, 400, { detail });
  }
  const tx = await takeTransaction(bridge, req.cookies, state[0]!, outcome);
  // Each IdP has its own redirect URI: an answer at another IdP's callback is
  // a mix-up, refused before any request.
  if ((tx.idp ?? 'default') !== idp.config.name) {
    throw new BridgeError(Reasons.issMismatch, 400, {
      check: 'redirect_uri',
      detail: `a login started with IdP "${tx.idp ?? 'default'}" came back at the callback of "${idp.config.name}"`,
    });
  }

  // The code exchange spends the bridge's client credentials: within the
  // client's budget of failed exchanges only. The unit goes back as soon as the
  // IdP's tokens verified (counted as a success), before userinfo and the rules.
  const budget = bridge.failureBudget;
  let unit = await budget?.take(req.ip);
  const settle = (succeeded: boolean) => {
    if (unit === undefined) return;
    // Not awaited: the login does not wait on Redis for it (neither rejects).
    void (succeeded ? budget!.succeeded(unit) : budget!.giveBack(unit));
    unit = undefined;
  };
  let login: VerifiedLogin;
  try {
    login = await idp.oidc.completeLogin(req.query, tx, idp.neededClaims, deadline, () => settle(true));
  } catch (e) {
    const refusal = deadline.explain(e);
    if (!keepsUnit(refusal, deadline.step)) settle(false);
    throw refusal;
  }
  outcome.sub = login.sub;
  const m = bridge.metrics;
  m.tokenDuration.observe(login.tokenMs / 1000);
  if (login.usedUserinfo) m.userinfoDuration.observe(login.userinfoMs / 1000);

  const chat = tx.target !== undefined && isChatPath(tx.target);
  let claims = checkUserinfoFailure(login, idp, chat ? 'chat' : 'agent', loggers.log);
  claims = await resolveGroupsOverage(bridge, idp, login, claims, loggers.log, deadline);

  const access = evaluateAccess(claims, idp.config.access);
  if (!access.allowed) throw new BridgeError(access.rule, 403, { detail: access.detail });
  const hosted = evaluateHostedDomain(login.idTokenClaims, idp.config.access);
  if (!hosted.allowed) throw new BridgeError(hosted.rule, 403, { detail: hosted.detail });
  // Where the login goes: an agent into CommBox, or a customer into a chat
  // channel (checked again: the allow-list may have changed since /chat).
  // Chat goes through the default IdP only.
  const { commbox } = bridge.config;
  if (chat && idp.config.name !== 'default') {
    throw new BridgeError(Reasons.initiateBadTarget, 400, {
      detail: `customer chat access goes through the default IdP only, not "${idp.config.name}"`,
    });
  }
  const channel = chat ? resolveChatChannel(commbox, tx.target) : undefined;
  const mapping = identityMapping(idp);
  const mapped = channel === undefined ? mapAgentIdentity(claims, mapping) : mapChatIdentity(claims, mapping);
  if (!mapped.ok) {
    throw new BridgeError(Reasons.claimMissing, 403, {
      detail: `${mapped.detail}; claims present: ${Object.keys(claims).sort().join(', ')}`,
      userDetail: `Missing: ${mapped.missing}.`,
    });
  }
  // The identity CommBox would receive must lie in this IdP's own domains.
  const username = 'username' in mapped.identity ? mapped.identity.username : undefined;
  const usernameBeforeLocalpart = username === undefined ? undefined : valueBeforeLocalpart(claims, mapping.username);
  const scoped = evaluateIdentity(
    { username, email: mapped.identity.email, usernameBeforeLocalpart },
    idp.config.access,
  );
  if (!scoped.allowed) throw new BridgeError(scoped.rule, 403, { detail: scoped.detail });
  const data: TicketData =
    channel === undefined
      ? { brand: commbox.brand, ...mapped.identity, oneTimeUse: true }
      : { brand: commbox.brand, ...mapped.identity, overrideUserInfo: commbox.chatOverrideUserInfo, oneTimeUse: true };
  outcome.username = username;
  const destination = channel === undefined ? commbox.loginUrl : `${commbox.chatUrl}/${channel}`;

  // Past the deadline (a slow userinfo or Graph that the login could do without): no ticket.
  deadline.signal.throwIfAborted();
  if (bridge.config.dryRun) {
    clearOlderLogins(bridge, req, tx, outcome);
    loggers.log.info(
      { event: 'login', reason: 'dry_run', idp: idp.config.name, sub: outcome.sub, username, channel },
      'dry run: no ticket requested',
    );
    return {
      preview: {
        idp: idp.config.name,
        destination,
        ticketRequest: { ...data },
        rulesPassed: describePassedRules(claims, login.idTokenClaims, idp.config.access),
        claimNames: Object.keys(claims)
          .sort()
          .map((k) => `${k} (${claimSource(login, k)})`),
      },
    };
  }

  outcome.ticket = { attempts: 0, lastStatus: undefined };
  const commboxStart = performance.now();
  deadline.enter('ticket');
  const ticket = await bridge.commbox.requestTicket(data, outcome.ticket, deadline.signal);
  clearOlderLogins(bridge, req, tx, outcome);
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
      email: mapped.identity.email,
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
  return { location: appendTicket(destination, ticket) };
}

/**
 * A login completed: the browser's logins started before it are cleared, so
 * that none of them can be completed later from the IdP session just used
 * (with `prompt` deleted from its saved URL, `auth_time` is later than its start).
 */
function clearOlderLogins(bridge: Bridge, req: CallbackRequest, tx: LoginTransaction, outcome: LoginOutcome): void {
  outcome.olderCookiesToClear = transactionCookiesStartedBefore(
    req.cookies,
    tx.createdAt,
    outcome.cookieToClear,
    bridge.sealer,
  );
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** Where claim `name` of a login came from, for the DRY_RUN page: the first source that had it (the overage's groups: Graph). */
function claimSource(login: VerifiedLogin, name: string): string {
  const has = (c: Claims | undefined) => c !== undefined && Object.prototype.hasOwnProperty.call(c, name);
  if (has(login.idTokenClaims)) return 'id token';
  if (has(login.accessTokenPayload)) return 'access token';
  if (has(login.userinfoClaims)) return 'userinfo';
  return 'Microsoft Graph';
}

/**
 * The mapping of `idp`'s identities. An extra IdP never sends phone1: a phone
 * number has no domain to keep it to that IdP's own users. The configuration
 * refuses or drops a phone mapping of an extra IdP; this holds even if one got
 * through.
 */
function identityMapping(idp: Idp): IdentityMapping {
  return idp.config.name === 'default' ? idp.config.mapping : { ...idp.config.mapping, phone: undefined };
}

/**
 * Userinfo failed (not for another `sub`, which always refuses): the login is
 * refused only when a claim it cannot do without is still missing; otherwise it
 * goes on, and optional fields missing are left out of the ticket.
 */
function checkUserinfoFailure(login: VerifiedLogin, idp: Idp, kind: 'agent' | 'chat', log: LogSink): Claims {
  const failure = login.userinfoError;
  if (failure === undefined) return login.claims;
  const missing = missingRequiredClaims(login.claims, identityMapping(idp), idp.config.access, kind);
  if (missing.length > 0) {
    throw new BridgeError(failure.reason, failure.status, {
      check: failure.check,
      detail: `${failure.detail ?? failure.reason}; still missing without it: ${missing.join(', ')}`,
      cause: failure.cause,
    });
  }
  log.warn(
    { event: 'userinfo_failed', check: failure.check, detail: failure.detail },
    'userinfo failed; the login goes on with the claims it has',
  );
  return login.claims;
}

/**
 * Entra ID's groups overage: the ID token names the groups claim in
 * `_claim_names` instead of carrying it. Refused with a page naming the fix
 * (`GROUPS_OVERAGE=refuse`), or read from Microsoft Graph (`graph`); the
 * `_claim_sources` endpoint is never called. A list read only in part, without
 * an allowed group in it, refuses.
 */
async function resolveGroupsOverage(
  bridge: Bridge,
  idp: Idp,
  login: VerifiedLogin,
  claims: Claims,
  log: LogSink,
  clock: LoginClock,
): Promise<Claims> {
  const rules = idp.config.access;
  if (
    rules.allowedGroups.length === 0 ||
    getClaim(claims, rules.groupsClaim) !== undefined ||
    !hasGroupsOverage(login.idTokenClaims, rules.groupsClaim)
  ) {
    return claims;
  }
  const refuse = (check: string, detail: string) =>
    new BridgeError(Reasons.groupsOverage, 403, {
      check,
      detail,
      userDetail:
        'For IT: the ID token lists no groups because the account is in more than 200. Set GROUPS_OVERAGE=graph (Microsoft Graph, GroupMember.Read.All), or use app roles or "groups assigned to the application" in Entra ID.',
    });
  if (rules.groupsOverage === 'refuse')
    throw refuse('groups.overage', 'the ID token has a groups overage (_claim_names) and GROUPS_OVERAGE=refuse');
  clock.enter('graph');
  const read = await readGraphGroups(bridge.http.fetch, {
    graphApiUrl: rules.graphApiUrl,
    accessToken: login.accessToken,
    timeoutMs: bridge.config.idpTimeoutMs,
    wanted: (g) => rules.allowedGroups.includes(g),
    signal: clock.signal,
  });
  // Stopped by the login's deadline: that is the refusal, not an incomplete list.
  clock.signal.throwIfAborted();
  const found = read.groups.some((g) => rules.allowedGroups.includes(g));
  log.info(
    {
      event: 'graph_groups',
      groups: read.groups.length,
      pages: read.pages,
      complete: read.stopped === undefined,
      found,
    },
    'groups read from Microsoft Graph',
  );
  if (!found && read.stopped !== undefined)
    throw refuse(read.stopped, `the groups could not be read to the end from Microsoft Graph: ${read.detail}`);
  // Under the groups claim's whole name, where getClaim looks first.
  return { ...claims, [rules.groupsClaim.join('.')]: read.groups };
}
