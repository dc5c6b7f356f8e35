/**
 * What a callback reports as it goes: the outcome its log line carries (also
 * when it is refused, then by the error handler), and where its lines go.
 */
import type { TicketAttempts } from '../commbox/client.js';
import type { DryRunRefusal } from './dry-run-refusal.js';

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
  /**
   * DRY_RUN: a login refused after its claims were read, as the operator's
   * refusal page shows it. Never logged: it carries the person's claim values.
   */
  dryRunRefusal?: DryRunRefusal;
}

/** Where the outcome lines go (the request's logger, the audit logger). */
export interface LogSink {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}
