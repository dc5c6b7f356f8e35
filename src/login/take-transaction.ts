/**
 * The first step of a callback: the login transaction its `state` names, found
 * among the browser's login cookies, opened and consumed once, before any
 * request to the IdP.
 */
import { BridgeError, Reasons } from '../errors.js';
import type { LoginOutcome } from './outcome.js';
import type { ReplayMemory } from './replay.js';
import {
  isTransactionCookieName,
  legacyTransactionCookieName,
  transactionCookieNames,
  type LoginTransaction,
  type TransactionCookies,
} from './transaction.js';

/** The callback's one non-empty `state`; throws the refusal when it has none, or several. */
export function callbackState(query: URLSearchParams): string {
  const state = query.getAll('state');
  if (state.length !== 1 || state[0] === '') {
    const detail =
      state.length === 0
        ? 'callback without "state"'
        : state.length > 1
          ? 'callback with several "state"'
          : 'callback with an empty "state"';
    throw new BridgeError(Reasons.loginCookieMissing, { detail });
  }
  return state[0]!;
}

/**
 * Finds, opens and consumes the transaction of `state`: of the login cookies the
 * browser sent (at most five slots, and the one with the legacy name taken from
 * this state: {@link legacyTransactionCookieName}), the one that opens to this state,
 * compared in constant time. Sets `outcome.cookieToClear` once a cookie is
 * found, also when the login is then refused.
 */
export async function takeTransaction(
  cookies: TransactionCookies,
  replayMemory: ReplayMemory,
  sent: Readonly<Record<string, string | undefined>>,
  state: string,
  outcome: LoginOutcome,
): Promise<LoginTransaction> {
  let unreadable = false;
  for (const name of [...transactionCookieNames(cookies.secure), legacyTransactionCookieName(state, cookies.secure)]) {
    const sealed = sent[name];
    if (sealed === undefined) continue;
    const opened = cookies.sealer.open(sealed, name, state);
    if (opened.ok || opened.why === 'expired') {
      outcome.cookieToClear = name;
      if (!opened.ok) throw new BridgeError(Reasons.loginExpired, { detail: 'login cookie refused: expired' });
      if (!(await replayMemory.consume(opened.tx.state, opened.tx.createdAt))) {
        throw new BridgeError(Reasons.callbackReplayed, { detail: 'this login transaction was already used' });
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
  if (await replayMemory.has(state)) {
    throw new BridgeError(Reasons.callbackReplayed, {
      detail: 'this login transaction was already used (its cookie is gone: a reload or the back button)',
    });
  }
  if (unreadable)
    throw new BridgeError(Reasons.loginCookieInvalid, {
      detail: 'login cookie refused: invalid (no key opens it)',
    });
  // Other live transactions but none for this state: the answer belongs to a
  // login this browser did not start (or a forged one).
  const others = Object.keys(sent).filter(isTransactionCookieName).length;
  throw new BridgeError(others > 0 ? Reasons.stateMismatch : Reasons.loginCookieMissing, {
    detail: `no login cookie for this state (the browser sent ${others} other login cookie(s))`,
  });
}
