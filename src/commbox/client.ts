/**
 * The CommBox Create Ticket API (`POST {COMMBOX_API_URL}/auth/ticket`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BridgeError, Reasons } from '../errors.js';
import type { Dispatcher } from 'undici';
import type { ProxySettings } from '../config/parse.js';
import { createDispatcher } from '../net/proxy.js';
import { Pool } from 'undici';
import { send } from '../net/send.js';
import { hideValues } from '../observability/log.js';
import { inSpan, withTraceHeaders } from '../observability/tracing.js';

/** The body's `data` object, per the Create Ticket OpenAPI. Absent fields are left out. */
export interface TicketData {
  brand: string;
  username?: string;
  email?: string;
  uniqueId?: string;
  firstName?: string;
  lastName?: string;
  phone1?: string;
  overrideUserInfo?: boolean;
  oneTimeUse: true;
}

export interface CommboxOptions {
  readonly apiUrl: string;
  readonly apiKey: string;
  /** Budget of the whole ticket step, retries included. */
  readonly timeoutMs: number;
  /** Retries after the first attempt (429, 502, 503, 504, connection errors). */
  readonly maxRetries?: number;
  readonly connections?: number;
  /** The outbound proxy; undefined: direct. */
  readonly proxy?: ProxySettings | undefined;
  /** Called after each attempt with its HTTP status, or `error` / `timeout` (metrics, readiness). */
  readonly onAttempt?: (status: number | 'error' | 'timeout') => void;
}

/** The outcome of one ticket request, for logs and metrics (never the ticket itself). */
export interface TicketAttempts {
  attempts: number;
  lastStatus: number | undefined;
  /** The `description` of CommBox's last error answer (its own words, bounded), for check-config. */
  lastDescription?: string | undefined;
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);
const MAX_TICKET_LENGTH = 8192;
const RETRY_BACKOFF_MS = [100, 300];

/** A keep-alive client of the CommBox ticket API. */
export class CommboxClient {
  readonly #pool: Dispatcher;
  readonly #origin: string;
  readonly #path: string;
  #headers: Record<string, string>;
  /** Hidden from CommBox's words before they are cut and logged, should CommBox echo it. */
  #apiKey: string;
  /** Reads the key's file again after a 401 (a key rotated before the bridge noticed); see {@link whenUnauthorized}. */
  #reread: (() => Promise<void>) | undefined;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #onAttempt: (status: number | 'error' | 'timeout') => void;

  constructor(opts: CommboxOptions) {
    const url = new URL(opts.apiUrl);
    const options = {
      connections: opts.connections ?? 64,
      keepAliveTimeout: 30_000,
      connect: { timeout: opts.timeoutMs },
    };
    // One origin: a Pool, unless a proxy decides the way.
    this.#pool = opts.proxy === undefined ? new Pool(url.origin, options) : createDispatcher(opts.proxy, options);
    this.#path = `${url.pathname.replace(/\/+$/, '')}/auth/ticket`;
    this.#origin = url.origin;
    this.#headers = {
      authorization: `Bearer ${opts.apiKey}`,
      'content-type': 'application/json',
      accept: 'application/json',
    };
    this.#apiKey = opts.apiKey;
    this.#timeoutMs = opts.timeoutMs;
    this.#maxRetries = opts.maxRetries ?? 2;
    this.#onAttempt = opts.onAttempt ?? (() => {});
  }

  /** The key for the next request from now on (a rotated `COMMBOX_API_KEY_FILE`); requests in flight keep theirs. */
  setApiKey(apiKey: string): void {
    this.#apiKey = apiKey;
    this.#headers = { ...this.#headers, authorization: `Bearer ${apiKey}` };
  }

  /**
   * `reread` is called once after a 401 and may {@link setApiKey}: when it changed the key,
   * the request is sent once more with the new one before the login is refused.
   */
  whenUnauthorized(reread: () => Promise<void>): void {
    this.#reread = reread;
  }

  /**
   * Requests a one-time ticket. Retries 429 (honouring `Retry-After`), 502/503/504
   * and connection errors at most {@link CommboxOptions.maxRetries} times inside the
   * time budget; never retries other answers. Throws a {@link BridgeError}:
   * `commbox_unauthorized`, `commbox_rejected`, `commbox_unavailable`,
   * `commbox_timeout` or `commbox_bad_response`.
   */
  async requestTicket(
    data: TicketData,
    stats: TicketAttempts = { attempts: 0, lastStatus: undefined },
    signal?: AbortSignal,
  ): Promise<string> {
    // COMMBOX_TIMEOUT_MS is the total deadline of the step, retries included: each
    // attempt gets what is left of it, which `send` enforces wherever the attempt
    // is (reading a dripping answer included: undici's own timeouts only see silence).
    // `signal` (the login's deadline) ends the step too, with its own reason: an
    // attempt in flight is abandoned, and a ticket CommBox may have issued for it
    // is never shown to anyone (tickets are one-time-use).
    const deadline = performance.now() + this.#timeoutMs;
    const body = JSON.stringify({ data });
    let reread = false;
    for (let retry = 0; ; retry++) {
      signal?.throwIfAborted();
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw timeout(stats);
      stats.attempts++;
      let status: number;
      let text: string;
      let retryAfterMs: number | undefined;
      const sentKey = this.#apiKey;
      try {
        // A client span per attempt, its traceparent sent to CommBox.
        const res = await inSpan(
          'commbox.ticket.attempt',
          { 'http.request.method': 'POST', 'url.path': this.#path, 'bridge.commbox.attempt': stats.attempts },
          async (span) => {
            const answer = await send(
              this.#pool,
              {
                origin: this.#origin,
                path: this.#path,
                method: 'POST',
                headers: withTraceHeaders(this.#headers),
                body,
                headersTimeout: Math.ceil(remaining),
                bodyTimeout: Math.ceil(remaining),
              },
              { timeoutMs: Math.ceil(remaining), signal },
            );
            span.set({ 'http.response.status_code': answer.status });
            if (answer.status >= 400) span.fail({ name: `HTTP ${answer.status}` });
            return answer;
          },
          'client',
        );
        status = res.status;
        stats.lastStatus = status;
        this.#onAttempt(status);
        text = res.body;
        retryAfterMs = parseRetryAfter(res.headers['retry-after']);
      } catch (cause) {
        if (signal?.aborted) {
          this.#onAttempt('timeout');
          throw signal.reason as Error;
        }
        const code = (cause as { code?: string }).code ?? '';
        if (
          (cause as Error).name === 'TimeoutError' ||
          code === 'UND_ERR_HEADERS_TIMEOUT' ||
          code === 'UND_ERR_BODY_TIMEOUT' ||
          code === 'UND_ERR_CONNECT_TIMEOUT' ||
          deadline - performance.now() <= 0
        ) {
          this.#onAttempt('timeout');
          throw timeout(stats, cause);
        }
        this.#onAttempt('error');
        if (retry < this.#maxRetries && (await this.#backoff(retry, undefined, deadline, signal))) continue;
        throw new BridgeError(Reasons.commboxUnavailable, {
          detail: `CommBox could not be reached: ${code || (cause as Error).message}`,
          cause,
        });
      }

      if (status >= 200 && status < 300) return readTicket(text);
      stats.lastDescription = descriptionOf(text, this.#apiKey);
      if (
        RETRY_STATUS.has(status) &&
        retry < this.#maxRetries &&
        (await this.#backoff(retry, retryAfterMs, deadline, signal))
      )
        continue;
      if (status === 401) {
        // Once per login: the key file may already hold the new key (CommBox revoked the old one
        // before the bridge read the file again); another login's re-read may have set it too.
        if (!reread && this.#reread !== undefined) {
          reread = true;
          await this.#reread();
          if (this.#apiKey !== sentKey) continue;
        }
        throw new BridgeError(Reasons.commboxUnauthorized, {
          detail: 'CommBox answered 401: COMMBOX_API_KEY is wrong, revoked or rotated',
        });
      }
      if (RETRY_STATUS.has(status) || status >= 500) {
        throw new BridgeError(Reasons.commboxUnavailable, {
          detail: `CommBox answered HTTP ${status} after ${stats.attempts} attempt(s)${describeBody(text, this.#apiKey)}`,
        });
      }
      throw new BridgeError(Reasons.commboxRejected, {
        detail: `CommBox refused the ticket request with HTTP ${status}${describeBody(text, this.#apiKey)}`,
      });
    }
  }

  /** Waits before a retry; false when the wait would overrun the budget. Rejects with the signal's reason. */
  async #backoff(
    retry: number,
    retryAfterMs: number | undefined,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const wait = retryAfterMs ?? RETRY_BACKOFF_MS[retry] ?? 300;
    if (performance.now() + wait >= deadline) return false;
    try {
      await sleep(wait, undefined, { signal });
    } catch (e) {
      throw signal?.aborted ? (signal.reason as Error) : e;
    }
    return true;
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

function timeout(stats: TicketAttempts, cause?: unknown): BridgeError {
  return new BridgeError(Reasons.commboxTimeout, {
    detail: `CommBox did not answer within COMMBOX_TIMEOUT_MS (${stats.attempts} attempt(s))`,
    cause,
  });
}

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * The `description` of a CommBox error body (`{status, description, response_time}`),
 * bounded; undefined when none. `apiKey` is hidden before the cut, which could
 * otherwise leave a part of it that no later redaction recognises.
 */
function descriptionOf(text: string, apiKey = ''): string | undefined {
  try {
    const j = JSON.parse(text) as { description?: unknown };
    if (typeof j?.description === 'string') return hideValues(j.description, [apiKey]).slice(0, 200);
  } catch {
    /* not JSON */
  }
  return undefined;
}

/** The description of a CommBox error body, for the log (bounded, no ticket, no API key). */
function describeBody(text: string, apiKey?: string): string {
  const description = descriptionOf(text, apiKey);
  if (description !== undefined) return `: ${JSON.stringify(description)}`;
  return text.trimStart().startsWith('<') ? ' (an HTML page, not the API)' : '';
}

/** Reads `data.encpryptedString` (the documented spelling) or `data.encryptedString`. */
export function readTicket(text: string): string {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    throw new BridgeError(Reasons.commboxBadResponse, {
      detail: `CommBox answered 2xx with a body that is not JSON${describeBody(text)}`,
    });
  }
  const data = (j as { data?: Record<string, unknown> } | null)?.data;
  const ticket = data?.['encpryptedString'] ?? data?.['encryptedString'];
  if (typeof ticket !== 'string' || ticket === '') {
    throw new BridgeError(Reasons.commboxBadResponse, {
      detail: 'CommBox answered 2xx without data.encpryptedString',
    });
  }
  // A ticket is opaque but must be one printable ASCII token.
  if (ticket.length > MAX_TICKET_LENGTH || /[^\x21-\x7e]/.test(ticket)) {
    throw new BridgeError(Reasons.commboxBadResponse, {
      detail: 'CommBox answered a ticket that is not a printable token',
    });
  }
  return ticket;
}
