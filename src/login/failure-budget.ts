/**
 * The failed-login budget (`RATE_LIMIT_FAILED_LOGINS`): how many code exchanges
 * a client may have failed, or have in flight, per window. Each callback that
 * reaches the token endpoint spends the bridge's client credentials there; an
 * outsider looping `/login` and a forged `/callback` costs one token request a
 * round, which a rate limit generous enough for a floor of agents behind one
 * NAT address would let through by the hundred. Legitimate logins almost never
 * fail at the token endpoint, so this budget can be tight.
 *
 * A unit is taken before the token request and given back as soon as the
 * IdP's token response and ID token verified (the code was the IdP's own for a
 * login of this browser: whatever is refused after that, the reauthentication,
 * the access rules, userinfo, is not a forged callback), or when the callback
 * failed before the request was sent. Counting before the request, not after the
 * failure, also bounds an outsider who sends many forged callbacks at once.
 *
 * The budget belongs to a client address (an IPv6 /64), so everyone behind one
 * NAT shares it. Successful exchanges raise it: a client is refused only past
 * max(`RATE_LIMIT_FAILED_LOGINS`, {@link SUCCESS_ALLOWANCE} × its successful
 * exchanges in the window), so an office whose agents sign in cannot be locked
 * out by a few dozen forged callbacks, while an outsider with no successes
 * stays at the configured number.
 *
 * With Redis the budget holds across every replica; while Redis is away, each
 * replica counts in its own memory.
 */
import { BridgeError, Reasons, type Reason } from '../errors.js';
import { clientKey } from '../net/client-address.js';
import { LocalWindows } from '../redis/local-windows.js';
import type { SharedState } from '../redis/shared-state.js';

/**
 * Failed or unfinished code exchanges a client may have per successful one in
 * the window, beyond `RATE_LIMIT_FAILED_LOGINS`. A success needs a real sign-in
 * at the IdP, which an outsider forging callbacks does not have; each one buys
 * at most this many more token requests.
 */
export const SUCCESS_ALLOWANCE = 2;

/** A unit of the budget, taken for one code exchange. */
export interface BudgetUnit {
  readonly key: string;
  /** Counted in Redis (given back there), or in this replica's memory. */
  readonly shared: boolean;
}

/** Refusals of the authorization response itself, which openid-client makes before it sends the token request. */
const AUTHORIZATION_RESPONSE = new Set<Reason>([
  Reasons.callbackInvalid,
  Reasons.issMismatch,
  Reasons.idpError,
  Reasons.stateMismatch,
]);

/**
 * The steps of a callback (the login deadline's) before the token request is
 * sent: opening the login cookie, and discovery (the IdP's metadata and keys,
 * fetched when the bridge started while the IdP was away).
 */
const BEFORE_TOKEN_REQUEST = new Set(['callback', 'login_cookie', 'discovery']);

/**
 * Whether a failed code exchange keeps its unit: every failure once the token
 * request was sent does (a code the IdP refused, an answer it could not give,
 * tokens that did not verify: fail closed, whatever an outsider's input made
 * the IdP do), except the refusals of the authorization response; a failure
 * before the request (`step`, where the login was when it failed: an IdP that
 * could not be discovered, a deadline passed meanwhile) cost the IdP nothing.
 */
export function keepsUnit(e: unknown, step: string): boolean {
  if (BEFORE_TOKEN_REQUEST.has(step)) return false;
  return !(e instanceof BridgeError && AUTHORIZATION_RESPONSE.has(e.reason));
}

export class FailureBudget {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #shared: SharedState | undefined;
  readonly #local = new LocalWindows();

  constructor(opts: { max: number; windowMs: number }, shared: SharedState | undefined) {
    this.#max = opts.max;
    this.#windowMs = opts.windowMs;
    this.#shared = shared;
  }

  /**
   * Takes a unit for a code exchange by the client at `address` (counted under
   * its {@link clientKey}); throws the 429 `rate_limited` refusal
   * (`rate_limit.failed_logins`), with nothing taken, when its failed and
   * in-flight exchanges already use the budget its successes allow.
   */
  async take(address: string): Promise<BudgetUnit> {
    const client = clientKey(address);
    const key = this.#shared?.key('failedlogins', client);
    const counted = key === undefined ? undefined : await this.#shared!.countAttempt(key, this.#windowMs);
    const unit: BudgetUnit = counted === undefined ? { key: client, shared: false } : { key: key!, shared: true };
    const { open, succeeded } = counted ?? this.#localAttempt(client);
    const allowed = Math.max(this.#max, SUCCESS_ALLOWANCE * succeeded);
    if (open > allowed) {
      await this.giveBack(unit);
      throw new BridgeError(Reasons.rateLimited, {
        check: 'rate_limit.failed_logins',
        detail: `this client already has ${allowed} failed or unfinished code exchanges in the window (RATE_LIMIT_FAILED_LOGINS ${this.#max}, ${succeeded} successful); no token request was made`,
      });
    }
    return unit;
  }

  #localAttempt(client: string): { open: number; succeeded: number } {
    const hit = this.#local.hit(client, this.#windowMs);
    return { open: hit.current, succeeded: hit.succeeded };
  }

  /** Gives a unit back: its failure is not the client's. */
  async giveBack(unit: BudgetUnit): Promise<void> {
    if (unit.shared) await this.#shared!.endAttempt(unit.key, this.#windowMs, false);
    else this.#local.undo(unit.key);
  }

  /** Gives a unit back for an exchange whose tokens verified, and counts the success (one round trip). */
  async succeeded(unit: BudgetUnit): Promise<void> {
    if (unit.shared) {
      await this.#shared!.endAttempt(unit.key, this.#windowMs, true);
    } else {
      this.#local.undo(unit.key);
      this.#local.succeed(unit.key, this.#windowMs);
    }
  }
}
