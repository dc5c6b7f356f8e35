/**
 * `GET /callback`: the end of the login. Refuses before any request to the IdP
 * unless a live transaction matches; then verifies the sign-in, applies the
 * access rules, maps the identity, obtains a CommBox ticket, and 302s into
 * CommBox with `?ta=`.
 */
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { limited, type Bridge, type Idp, type RateLimit } from '../bridge.js';
import type { Logger } from '../log.js';
import { evaluateAccess, evaluateIdentity, mapAgentIdentity, mapChatIdentity } from '../claims.js';
import { appendTicket, type TicketAttempts, type TicketData } from '../commbox.js';
import { BridgeError, Reasons } from '../errors.js';
import { isChatPath, resolveChatChannel } from './chat.js';
import { isTransactionCookieName, transactionCookieName, type LoginTransaction } from '../login-state.js';

/** What is known of the login so far, for the outcome log line. */
export interface LoginOutcome {
  /** The IdP the callback belongs to. */
  idp?: string;
  sub?: string;
  username?: string;
  ticket?: TicketAttempts;
}

declare module 'fastify' {
  interface FastifyRequest {
    login: LoginOutcome | undefined;
  }
}

/** Finds, opens and consumes the transaction named by `state`; clears its cookie. */
function takeTransaction(bridge: Bridge, req: FastifyRequest, reply: FastifyReply, state: string): LoginTransaction {
  const secure = bridge.config.secureCookies;
  const name = transactionCookieName(state, secure);
  const cookies = req.server.parseCookie(req.headers.cookie ?? '');
  const sealed = cookies[name];
  if (sealed === undefined) {
    // A reload of the last page, or the back button: the state was used and its
    // cookie cleared. Say so, rather than blame cookies.
    if (bridge.consumed.has(state)) {
      throw new BridgeError(Reasons.callbackReplayed, 400, { detail: 'this login transaction was already used (its cookie is gone: a reload or the back button)' });
    }
    // Other live transactions but none for this state: the answer belongs to a
    // login this browser did not start (or a forged one).
    const others = Object.keys(cookies).filter(isTransactionCookieName).length;
    throw new BridgeError(others > 0 ? Reasons.stateMismatch : Reasons.loginCookieMissing, 400, {
      detail: `no login cookie for this state (the browser sent ${others} other login cookie(s))`,
    });
  }
  reply.clearCookie(name, { path: '/', httpOnly: true, sameSite: 'lax', secure });
  const opened = bridge.sealer.open(sealed, name, state);
  if (!opened.ok) {
    const reason = opened.why === 'expired' ? Reasons.loginExpired : opened.why === 'state_mismatch' ? Reasons.stateMismatch : Reasons.loginCookieInvalid;
    throw new BridgeError(reason, 400, { detail: `login cookie refused: ${opened.why}` });
  }
  if (!bridge.consumed.consume(opened.tx.state, opened.tx.createdAt)) {
    throw new BridgeError(Reasons.callbackReplayed, 400, { detail: 'this login transaction was already used' });
  }
  return opened.tx;
}

async function callback(bridge: Bridge, idp: Idp, audit: Logger, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const outcome: LoginOutcome = { idp: idp.config.name };
  req.login = outcome;
  const started = performance.now();
  const url = new URL(req.url, bridge.config.publicOrigin);
  const state = url.searchParams.getAll('state');
  if (state.length !== 1 || state[0] === '') {
    throw new BridgeError(Reasons.loginCookieMissing, 400, { detail: state.length === 0 ? 'callback without "state"' : 'callback with several "state"' });
  }
  const tx = takeTransaction(bridge, req, reply, state[0]!);
  // Each IdP has its own redirect URI: an answer at another IdP's callback is
  // a mix-up, refused before any request.
  if ((tx.idp ?? 'default') !== idp.config.name) {
    throw new BridgeError(Reasons.issMismatch, 400, { detail: `a login started with IdP "${tx.idp ?? 'default'}" came back at the callback of "${idp.config.name}"` });
  }

  const login = await idp.oidc.completeLogin(url.searchParams, tx, idp.neededClaims);
  outcome.sub = login.sub;
  const m = bridge.metrics;
  m.tokenDuration.observe(login.tokenMs / 1000);
  if (login.usedUserinfo) m.userinfoDuration.observe(login.userinfoMs / 1000);

  const access = evaluateAccess(login.claims, idp.config.access);
  if (!access.allowed) throw new BridgeError(access.rule, 403, { detail: access.detail });
  // Where the login goes: an agent into CommBox, or a customer into a chat
  // channel (checked again: the allow-list may have changed since /chat).
  // Chat goes through the default IdP only.
  const { commbox } = bridge.config;
  const chat = tx.target !== undefined && isChatPath(tx.target);
  if (chat && idp.config.name !== 'default') {
    throw new BridgeError(Reasons.initiateBadTarget, 400, { detail: `customer chat access goes through the default IdP only, not "${idp.config.name}"` });
  }
  const channel = chat ? resolveChatChannel(bridge, tx.target!) : undefined;
  const mapped = channel === undefined ? mapAgentIdentity(login.claims, idp.config.mapping) : mapChatIdentity(login.claims, idp.config.mapping);
  if (!mapped.ok) {
    throw new BridgeError(Reasons.claimMissing, 403, {
      detail: `${mapped.detail}; claims present: ${Object.keys(login.claims).sort().join(', ')}`,
      userDetail: `Missing: ${mapped.missing}.`,
    });
  }
  // The identity CommBox would receive must lie in this IdP's own domains.
  const scoped = evaluateIdentity({ username: 'username' in mapped.identity ? mapped.identity.username : undefined, email: mapped.identity.email }, idp.config.access);
  if (!scoped.allowed) throw new BridgeError(scoped.rule, 403, { detail: scoped.detail });
  const data: TicketData = channel === undefined
    ? { brand: commbox.brand, ...mapped.identity, oneTimeUse: true }
    : { brand: commbox.brand, ...mapped.identity, overrideUserInfo: commbox.chatOverrideUserInfo, oneTimeUse: true };
  outcome.username = 'username' in mapped.identity ? mapped.identity.username : undefined;

  outcome.ticket = { attempts: 0, lastStatus: undefined };
  const commboxStart = performance.now();
  const ticket = await bridge.commbox.requestTicket(data, outcome.ticket);
  const destination = channel === undefined ? commbox.loginUrl : `${commbox.chatUrl}/${channel}`;
  const ms = performance.now() - started;
  const commboxMs = performance.now() - commboxStart;
  m.loginsCompleted.inc();
  m.loginDuration.observe(ms / 1000);
  m.commboxDuration.observe(commboxMs / 1000);
  // The audit trail: one line per issued ticket (never the ticket itself).
  audit.info(
    {
      event: 'ticket_issued',
      reqId: req.id,
      idp: idp.config.name,
      sub: outcome.sub,
      username: outcome.username,
      email: mapped.identity.email,
      channel,
      ip: req.ip,
      userAgent: req.headers['user-agent']?.slice(0, 300),
      ms: round(ms),
    },
    'ticket issued',
  );
  req.log.info(
    {
      event: 'login',
      reason: 'ok',
      idp: idp.config.name,
      sub: outcome.sub,
      username: outcome.username,
      channel,
      userinfo: login.usedUserinfo,
      commboxAttempts: outcome.ticket.attempts,
      // Milliseconds: the whole callback, and its waits on the IdP and CommBox.
      ms: round(ms),
      tokenMs: round(login.tokenMs),
      userinfoMs: round(login.userinfoMs),
      commboxMs: round(commboxMs),
    },
    'login completed',
  );
  return reply.redirect(appendTicket(destination, ticket), 302);
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export async function callbackRoutes(
  app: FastifyInstance,
  { bridge, rateLimit, audit }: { bridge: Bridge; rateLimit: RateLimit; audit: Logger },
): Promise<void> {
  app.decorateRequest('login', undefined);
  for (const idp of bridge.idps.values()) {
    app.get(idp.config.callbackPath, limited(rateLimit), (req, reply) => callback(bridge, idp, audit, req, reply));
  }
}
