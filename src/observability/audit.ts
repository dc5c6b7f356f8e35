/**
 * The audit trail's schema: the events, their outcome and ECS category, and
 * the envelope every line of the audit logger carries (the schema's version
 * and the outcome), added by the logger itself so that any code that writes
 * `{ event: … }` to it conforms. docs/audit.md documents each event; a test
 * holds the two to each other.
 */
import type { LogFormat } from '../config/settings.js';
import type { EcsCategory } from './ecs.js';
import { createLogger, type Logger } from './log.js';

/**
 * The schema's version. Within a version fields are only ever added; a field
 * renamed, removed or given another meaning makes the next version.
 */
export const AUDIT_SCHEMA_VERSION = 1;

/** The audit logger's name (its lines' `name`, `log.logger` and `event.dataset` in ECS). */
export const AUDIT_LOGGER_NAME = 'commbox-sso-bridge.audit';

export type AuditOutcome = 'success' | 'failure' | 'unknown';

interface AuditEventKind extends EcsCategory {
  readonly outcome: AuditOutcome;
}

/** Every event of the audit trail: its outcome, and ECS's `event.category` and `event.type` for it. */
export const AUDIT_EVENTS = {
  started: { outcome: 'success', category: 'process', type: 'start' },
  stopped: { outcome: 'success', category: 'process', type: 'end' },
  ticket_issued: { outcome: 'success', category: 'authentication', type: 'start' },
  login_refused: { outcome: 'failure', category: 'authentication', type: 'start' },
  rate_limited: { outcome: 'failure', category: 'network', type: 'denied' },
  failed_login_budget_exhausted: { outcome: 'failure', category: 'network', type: 'denied' },
  secret_reloaded: { outcome: 'success', category: 'configuration', type: 'change' },
  secret_reload_failed: { outcome: 'failure', category: 'configuration', type: 'change' },
} as const satisfies Record<string, AuditEventKind>;

export type AuditEvent = keyof typeof AUDIT_EVENTS;

const kindOf = (event: unknown): AuditEventKind | undefined =>
  typeof event === 'string' && Object.hasOwn(AUDIT_EVENTS, event) ? AUDIT_EVENTS[event as AuditEvent] : undefined;

/**
 * The envelope of an audit line: the schema version, and the outcome its event
 * has (`unknown` for an event not in {@link AUDIT_EVENTS}); an `outcome` the
 * line gives itself wins.
 */
export function auditEnvelope(fields: object): { schemaVersion: number; outcome: AuditOutcome } {
  return {
    schemaVersion: AUDIT_SCHEMA_VERSION,
    outcome: kindOf((fields as { event?: unknown }).event)?.outcome ?? 'unknown',
  };
}

/**
 * The audit logger: always at `info` whatever `LOG_LEVEL` says, with the
 * envelope on every line, in `format`, scrubbed as the application's.
 */
export function createAuditLogger(opts: {
  secrets: readonly string[];
  format?: LogFormat;
  destination?: Parameters<typeof createLogger>[0]['destination'];
}): Logger {
  return createLogger({
    level: 'info',
    name: AUDIT_LOGGER_NAME,
    secrets: opts.secrets,
    format: opts.format,
    destination: opts.destination,
    mixin: auditEnvelope,
    categorize: kindOf,
  });
}

/** The most clients {@link OncePerWindow} remembers in one window (about 1 MB). */
export const ONCE_PER_WINDOW_MAX_KEYS = 10_000;

/**
 * Lets through the first of each key per window: at most one audit line per
 * client and window for a refusal an outsider can repeat at will (the rest
 * are counted in `logins_refused_total`). Memory: the keys of one window.
 */
export class OncePerWindow {
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #maxKeys: number;
  #windowEnds = 0;
  #seen = new Set<string>();

  /**
   * `maxKeys` bounds the memory of one window: the keys are client addresses,
   * which an outsider with many addresses chooses. Past it, the window's other
   * clients get no line of their own (the metric still counts every refusal).
   */
  constructor(windowMs: number, now: () => number = Date.now, maxKeys = ONCE_PER_WINDOW_MAX_KEYS) {
    this.#windowMs = windowMs;
    this.#now = now;
    this.#maxKeys = maxKeys;
  }

  /** True the first time `key` is seen in the current window, while the window remembers fewer than its maximum. */
  first(key: string): boolean {
    const now = this.#now();
    if (now >= this.#windowEnds) {
      this.#seen = new Set();
      this.#windowEnds = now + this.#windowMs;
    }
    if (this.#seen.has(key) || this.#seen.size >= this.#maxKeys) return false;
    this.#seen.add(key);
    return true;
  }
}
