/**
 * The failed-login budget (`RATE_LIMIT_FAILED_LOGINS`): how many code exchanges
 * a client may have failed, or have in flight, per window. Each callback that
 * reaches the token endpoint spends the bridge's client credentials there; an
 * outsider looping `/login` and a forged `/callback` costs one token request a
 * round, which a rate limit generous enough for a floor of agents behind one
 * NAT address would let through by the hundred. Legitimate logins almost never
 * fail at the token endpoint, so this budget can be tight.
 *
 * A unit is taken before the token request and given back only when the IdP's
 * tokens verified (or the callback was refused before the request). Counting
 * before the request, not after the failure, also bounds an outsider who sends
 * many forged callbacks at once.
 * With Redis the budget holds across every replica; while Redis is away, each
 * replica counts in its own memory.
 */
import { isIPv6 } from 'node:net';
import { BridgeError, Reasons, type Reason } from '../errors.js';
import { LocalWindows } from '../redis/local-windows.js';
import type { SharedState } from '../redis/shared-state.js';

/** A unit of the budget, taken for one code exchange. */
export interface BudgetUnit {
  readonly key: string;
  /** Counted in Redis (given back there), or in this replica's memory. */
  readonly shared: boolean;
}

/** Refusals of a callback before its token request is sent (the authorization response itself). */
const BEFORE_TOKEN_REQUEST = new Set<Reason>([Reasons.callbackInvalid, Reasons.issMismatch, Reasons.idpError, Reasons.stateMismatch]);

/**
 * Whether a failed code exchange keeps its unit: every failure does (a code the
 * IdP refused, an answer it could not give, tokens that did not verify: fail
 * closed, whatever an outsider's input made the IdP do), except refusals before
 * the token request was sent, which cost the IdP nothing.
 */
export function keepsUnit(e: unknown): boolean {
  if (!(e instanceof BridgeError)) return true;
  if (BEFORE_TOKEN_REQUEST.has(e.reason)) return false;
  if (e.reason === Reasons.loginTimeout) return e.check !== 'login_timeout.discovery';
  return !(e.reason === Reasons.idpUnavailable && e.check === 'discovery');
}

/**
 * The client a budget belongs to: an IPv4 address, or an IPv6 address's /64
 * (one subscriber's prefix: its 2^64 addresses are one client).
 */
export function budgetClient(ip: string): string {
  if (!ip.includes(':')) return ip;
  const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4mapped) return v4mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
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
   * Takes a unit for a code exchange by the client at `ip`; throws the 429
   * `rate_limited` refusal (`rate_limit.failed_logins`), with nothing taken,
   * when its failed and in-flight exchanges already use the budget.
   */
  async take(ip: string): Promise<BudgetUnit> {
    const client = budgetClient(ip);
    const key = this.#shared?.key('failedlogins', client);
    const counted = key === undefined ? undefined : await this.#shared!.countHit(key, this.#windowMs);
    const unit: BudgetUnit = counted === undefined ? { key: client, shared: false } : { key: key!, shared: true };
    const current = counted?.current ?? this.#local.hit(client, this.#windowMs).current;
    if (current > this.#max) {
      await this.giveBack(unit);
      throw new BridgeError(Reasons.rateLimited, 429, {
        check: 'rate_limit.failed_logins',
        detail: `this client already has ${this.#max} failed or unfinished code exchanges in the window (RATE_LIMIT_FAILED_LOGINS); no token request was made`,
      });
    }
    return unit;
  }

  /** Gives a unit back: the exchange succeeded, or its failure is not the client's. */
  async giveBack(unit: BudgetUnit): Promise<void> {
    if (unit.shared) await this.#shared!.undoHit(unit.key);
    else this.#local.undo(unit.key);
  }
}
