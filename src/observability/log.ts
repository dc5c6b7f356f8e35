/**
 * The pino logger, with secrets kept out of every line.
 *
 * Three layers: serializers that log a request as method + path (never the query,
 * which carries the authorization code, nor headers with cookies); redaction of
 * the structured fields that could hold a secret; and a last scrub of every line
 * for the configured secret values and anything shaped like a JWT.
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions as PinoOptions } from 'pino';
import type { LogFormat } from '../config/settings.js';
import { ecsOptions, mapChildBindings, type EcsCategory } from './ecs.js';
import { BRIDGE_VERSION } from './version.js';

export type { Logger };

const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

/** Query parameters that may be logged; every other one is replaced by `[redacted]`. */
const SAFE_QUERY_PARAMS = new Set(['iss', 'error', 'error_description']);

/** Field names whose values are never logged, at the top level of a line and one level down. */
export const SECRET_FIELDS = new Set([
  'client_secret',
  'clientSecret',
  'apiKey',
  'cookieSecret',
  'code',
  'id_token',
  'access_token',
  'refresh_token',
  'ticket',
  'encpryptedString',
  'encryptedString',
  'authorization',
  'cookie',
  'set-cookie',
  'location',
]);

/**
 * Replaces the values of {@link SECRET_FIELDS} (top level and one level down).
 * A hand-written pass: pino's wildcard `redact` paths cost more than writing the line itself.
 */
export function redactFields(obj: Record<string, unknown>): Record<string, unknown> {
  let out = obj;
  for (const key in obj) {
    const value = obj[key];
    if (SECRET_FIELDS.has(key)) {
      if (out === obj) out = { ...obj };
      out[key] = '[redacted]';
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Error)) {
      const inner = value as Record<string, unknown>;
      for (const k in inner) {
        if (SECRET_FIELDS.has(k)) {
          if (out === obj) out = { ...obj };
          out[key] = {
            ...inner,
            ...Object.fromEntries(
              Object.keys(inner)
                .filter((f) => SECRET_FIELDS.has(f))
                .map((f) => [f, '[redacted]']),
            ),
          };
          break;
        }
      }
    }
  }
  return out;
}

export interface LoggerOptions {
  readonly level: string;
  /**
   * Secret values to scrub from every line (client secret, API key, cookie secret). Read at each
   * line: a rotated secret's new value, pushed onto the same array, is scrubbed from then on.
   */
  readonly secrets: readonly string[];
  /** Defaults to stdout. */
  readonly destination?: DestinationStream;
  readonly name?: string;
  /** `LOG_FORMAT`: the bridge's own field names (default), or Elastic Common Schema's. */
  readonly format?: LogFormat | undefined;
  /** Fields added to every line (the audit envelope); the line's own win. */
  readonly mixin?: (fields: object) => object;
  /** ECS only: the categorization of an event, by its name (the audit events'). */
  readonly categorize?: (event: unknown) => EcsCategory | undefined;
}

/**
 * `text` with every occurrence of each of `values` (a secret, or what a request
 * carried of it) replaced by `[hidden]`, the longest first (one may contain
 * another); for words a remote service sent back that are printed or logged.
 */
export function hideValues(text: string, values: readonly string[]): string {
  const hidden = [...new Set(values)].filter((v) => v !== '').sort((a, b) => b.length - a.length);
  return hidden.reduce((t, v) => t.split(v).join('[hidden]'), text);
}

/** A URL path with every query value not known to be safe replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  const parts: string[] = [];
  for (const [k, v] of params)
    parts.push(
      `${encodeURIComponent(k)}=${SAFE_QUERY_PARAMS.has(k) ? encodeURIComponent(v.slice(0, 200)) : '[redacted]'}`,
    );
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/** Creates a logger: the application's, or (with the audit envelope as `mixin`) the audit trail's. */
export function createLogger(opts: LoggerOptions): Logger {
  const secrets = opts.secrets;
  const scrub = (line: string): string => {
    let out = line;
    for (const s of secrets) if (s.length >= 8 && out.includes(s)) out = out.split(s).join('[redacted]');
    return out.includes('eyJ') ? out.replace(JWT_SHAPE, '[redacted-jwt]') : out;
  };
  const name = opts.name ?? 'commbox-sso-bridge';
  const format: PinoOptions =
    opts.format === 'ecs'
      ? ecsOptions({ name, version: BRIDGE_VERSION, redact: redactFields, redactUrl, categorize: opts.categorize })
      : { timestamp: pino.stdTimeFunctions.isoTime, formatters: { log: redactFields } };
  const logger = pino(
    {
      level: opts.level,
      name,
      base: undefined,
      ...format,
      ...(opts.mixin ? { mixin: opts.mixin } : {}),
      serializers: {
        req: (req: { method?: string; url?: string; ip?: string }) => ({
          method: req.method,
          url: redactUrl(req.url ?? ''),
          ip: req.ip,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: (err: Error & { code?: unknown }) => ({
          type: err.name,
          code: err.code,
          message: scrub(String(err.message)),
        }),
      },
      // Last, on the whole line in either format: the configured secret values and JWT shapes.
      hooks: { streamWrite: scrub },
    },
    // Synchronous writes, as pino does by default: no log line is lost on a crash,
    // and a small write to stdout costs less than a hand-off to the thread pool.
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  if (opts.format === 'ecs') mapChildBindings(logger, redactUrl);
  return logger;
}
