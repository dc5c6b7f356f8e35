/**
 * The start of a login: a new transaction sealed in its own cookie, and the
 * IdP's authorization URL. Plain function: the route sets the cookies and
 * redirects.
 */
import type { Bridge, Idp } from '../bridge.js';
import { createTransaction, TRANSACTION_TTL_MS, transactionCookieName, transactionCookiesToDrop } from './transaction.js';

export interface LoginStart {
  /** The IdP's authorization URL, for a 302. */
  readonly location: string;
  /** The new transaction's cookie. */
  readonly cookie: { readonly name: string; readonly value: string; readonly maxAgeSec: number };
  /** Older transaction cookies to clear so that the browser keeps only a few. */
  readonly drop: readonly string[];
}

/**
 * Starts a login with `idp`. `cookies` are the browser's (only the login
 * cookies matter). Throws `idp_unavailable` when the IdP's metadata cannot be had.
 */
export async function startLogin(
  bridge: Bridge,
  idp: Idp,
  opts: { cookies: Readonly<Record<string, string | undefined>>; loginHint?: string | undefined; target?: string | undefined },
): Promise<LoginStart> {
  const tx = createTransaction(Date.now(), opts.target, idp.config.name);
  const location = await idp.oidc.authorizationUrl(tx, opts.loginHint);
  const name = transactionCookieName(tx.state, bridge.config.secureCookies);
  return {
    location,
    cookie: { name, value: bridge.sealer.seal(tx, name), maxAgeSec: TRANSACTION_TTL_MS / 1000 },
    // Unfinished logins must not pile up until the browser is locked out (431).
    drop: transactionCookiesToDrop(opts.cookies, bridge.sealer),
  };
}
