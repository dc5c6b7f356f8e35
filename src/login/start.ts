/**
 * The start of a login: a new transaction sealed in a cookie of its own, and the
 * IdP's authorization URL. Plain function: the route sets the cookies and
 * redirects.
 */
import { loginParams, passThroughParams } from '../oidc/authorization-params.js';
import type { Idp } from './idp.js';
import {
  chooseTransactionCookieName,
  createTransaction,
  loginStartTime,
  TRANSACTION_TTL_MS,
  type TransactionCookies,
} from './transaction.js';

export interface LoginStart {
  /** The IdP's authorization URL, for a 302. */
  readonly location: string;
  /** The new transaction's cookie (in a slot: it may replace the browser's oldest login). */
  readonly cookie: { readonly name: string; readonly value: string; readonly maxAgeSec: number };
  /** Names of the link's parameters passed on to the IdP (for the log). */
  readonly passed: readonly string[];
}

/**
 * Starts a login with `idp`, its transaction sealed as `cookies` says.
 * `request.cookies` are the browser's (only the login cookies matter);
 * `request.params` the link's query (or form), of which the names in
 * `OIDC_PASS_THROUGH_PARAMS` go on to the IdP. Throws `idp_unavailable` when
 * the IdP's metadata cannot be had.
 */
export async function startLogin(
  idp: Idp,
  cookies: TransactionCookies,
  request: {
    cookies: Readonly<Record<string, string | undefined>>;
    params?: Readonly<Record<string, unknown>> | undefined;
    target?: string | undefined;
    /** The language of the pages for this browser, for the IdP's `ui_locales`. */
    uiLocales?: string | undefined;
  },
): Promise<LoginStart> {
  const tx = createTransaction(loginStartTime(), request.target, idp.config.name);
  const passed = passThroughParams(idp.config.oidc.passThroughParams, request.params, idp.oidc.fixedParams);
  const location = await idp.oidc.authorizationUrl(tx, loginParams(passed, idp.oidc.fixedParams, request.uiLocales));
  // Unfinished logins must not pile up until the browser is locked out (431): a few slots.
  const name = chooseTransactionCookieName(request.cookies, tx.state, cookies.secure, cookies.sealer);
  return {
    location,
    cookie: { name, value: cookies.sealer.seal(tx, name), maxAgeSec: TRANSACTION_TTL_MS / 1000 },
    passed: Object.keys(passed),
  };
}
