/**
 * One deadline for a whole login (`LOGIN_TIMEOUT_MS`): every request of the
 * callback (token, JWKS, userinfo, Microsoft Graph, CommBox) carries its
 * signal beside its own total deadline, so each ends at whichever comes first,
 * and a login whose IdP and CommBox are each slow but within their own
 * deadlines still ends on time. When it passes, the signal aborts with the
 * refusal (`login_timeout`, its check naming the step that was running).
 */
import { BridgeError, Reasons } from '../errors.js';

/**
 * The steps of a login, in order, as the refusal's check names them
 * (`login_timeout.<step>`, one of the check codes in errors.ts).
 */
export type LoginStep =
  'callback' | 'login_cookie' | 'discovery' | 'token' | 'signature' | 'access_token' | 'userinfo' | 'graph' | 'ticket';

/** What a step of the login needs of the deadline: its signal, and a way to say which step runs. */
export interface LoginClock {
  /** Aborts, with the `login_timeout` refusal as its reason, when the deadline passes. */
  readonly signal: AbortSignal;
  /** Names the step now running (`token`, `userinfo`, `ticket`, …), for the refusal's check. */
  enter(step: LoginStep): void;
}

export class LoginDeadline implements LoginClock {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  #step: LoginStep = 'callback';

  constructor(ms: number) {
    // A cleared timer, not AbortSignal.timeout: Node 20 keeps that one's timer
    // and signal alive until it fires, for every login.
    this.#timer = setTimeout(() => {
      this.#controller.abort(
        new BridgeError(Reasons.loginTimeout, {
          check: `login_timeout.${this.#step}`,
          detail: `the login did not complete within LOGIN_TIMEOUT_MS (${ms} ms); it was at the step "${this.#step}"`,
        }),
      );
    }, ms);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  enter(step: LoginStep): void {
    this.#step = step;
  }

  /** The step now running (the last entered). */
  get step(): LoginStep {
    return this.#step;
  }

  /**
   * The refusal to answer for `e`: the deadline's once it has passed (whatever
   * the abort made of the step's error on its way out), else `e` itself.
   */
  explain(e: unknown): unknown {
    return this.#controller.signal.aborted ? (this.#controller.signal.reason as unknown) : e;
  }

  /** Stops the timer (the login is over). */
  clear(): void {
    clearTimeout(this.#timer);
  }
}

/**
 * Waits for `work` until `signal` aborts, then rejects with its reason. For
 * work shared with other logins (discovery, a JWKS refetch), which goes on,
 * under its own deadline, for the others.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) {
    work.catch(() => {}); // its failure is no one's to handle now
    return Promise.reject(signal.reason as Error);
  }
  let onAbort: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}
