/**
 * `LOG_FORMAT=ecs`: the same lines under Elastic Common Schema field names, so
 * that Elastic, Splunk and Sentinel read them without parsing rules.
 *
 * `@elastic/ecs-pino-format` gives the envelope the ecs-logging spec fixes
 * (`@timestamp`, `log.level`, `message`, `ecs.version`, `log.logger`,
 * `service.*`); the bridge's own fields are mapped here ({@link ECS_FIELDS}),
 * and every field without an ECS counterpart goes under {@link CUSTOM_NAMESPACE},
 * as ECS asks of custom fields. docs/audit.md has the table.
 */
import { ecsFormat } from '@elastic/ecs-pino-format';
import type { Bindings, ChildLoggerOptions, Logger, LoggerOptions } from 'pino';

/** Where the fields with no ECS counterpart go (`commbox_sso_bridge.idp`, `…check`). */
export const CUSTOM_NAMESPACE = 'commbox_sso_bridge';

type Fields = Record<string, unknown>;

/**
 * Sets the ECS field `path` in `out`, dotted as the ecs-logging spec allows
 * (and as the package writes `log.level`): a child's bindings and the line's
 * own fields never write the same top-level object twice (`http` from the
 * request's ID and from its method would be two keys, and a JSON reader keeps
 * only the last).
 */
function put(out: Fields, path: string, value: unknown): void {
  out[path] = value;
}

/** The bridge's field → its ECS field. Every other field goes under {@link CUSTOM_NAMESPACE}. */
export const ECS_FIELDS: Readonly<Record<string, string>> = {
  event: 'event.action',
  outcome: 'event.outcome',
  reason: 'event.reason',
  reqId: 'http.request.id',
  status: 'http.response.status_code',
  ip: 'client.ip',
  sub: 'user.id',
  username: 'user.name',
  email: 'user.email',
  userAgent: 'user_agent.original',
};

/** ECS's categorization of an audit event (`event.kind`, `event.category`, `event.type`). */
export interface EcsCategory {
  readonly category: string;
  readonly type: string;
}

function mapField(out: Fields, key: string, value: unknown, redactUrl: (url: string) => string): void {
  if (value === undefined) return;
  const ecs = ECS_FIELDS[key];
  if (ecs !== undefined) return put(out, ecs, value);
  switch (key) {
    case 'ms':
      // ECS durations are nanoseconds.
      return put(out, 'event.duration', Math.round((value as number) * 1e6));
    case 'req': {
      const req = value as { method?: string; url?: string; ip?: string };
      put(out, 'http.request.method', req.method);
      put(out, 'url.original', redactUrl(req.url ?? ''));
      if (req.ip !== undefined) put(out, 'client.ip', req.ip);
      return;
    }
    case 'res':
      return put(out, 'http.response.status_code', (value as { statusCode?: number }).statusCode);
    case 'err': {
      // As the json format's serializer: the type, the code and the message, no stack.
      const err = value as Error & { code?: unknown };
      put(out, 'error.type', err.name);
      put(out, 'error.message', String(err.message));
      if (err.code !== undefined) put(out, 'error.code', err.code);
      return;
    }
    default:
      put(out, `${CUSTOM_NAMESPACE}.${key}`, value);
  }
}

/**
 * The pino options of the `ecs` format for the logger `name`: the package's
 * envelope, with `log` (the caller's redaction, then the mapping) and
 * `bindings` (Fastify's per-request `reqId`) mapped as above.
 */
export function ecsOptions(opts: {
  name: string;
  version: string;
  /** Applied first to every line's fields: the redaction of secret fields. */
  redact: (obj: Fields) => Fields;
  /** A logged request's URL without its secret query values. */
  redactUrl: (url: string) => string;
  /** The categorization of an audit event, by its name. */
  categorize?: (event: unknown) => EcsCategory | undefined;
}): LoggerOptions {
  // No APM agent lookup (the package would try to require one), and errors as the json format logs them.
  const base = ecsFormat({
    apmIntegration: false,
    convertErr: false,
    serviceName: 'commbox-sso-bridge',
    serviceVersion: opts.version,
    eventDataset: opts.name,
  });
  const baseLog = base.formatters!.log!;
  const baseBindings = base.formatters!.bindings!;
  return {
    ...base,
    formatters: {
      level: base.formatters!.level!,
      // The root's (its name): the package's envelope. A child's go through {@link mapChildBindings}.
      bindings: baseBindings,
      log(obj) {
        const fields = opts.redact(obj);
        const out: Fields = {};
        for (const key in fields) mapField(out, key, fields[key], opts.redactUrl);
        const category = opts.categorize?.(fields['event']);
        if (category !== undefined) {
          put(out, 'event.kind', 'event');
          put(out, 'event.category', [category.category]);
          put(out, 'event.type', [category.type]);
        }
        return baseLog(out);
      },
    },
  };
}

/**
 * Maps the bindings of every child of `logger` (Fastify's per-request `reqId`)
 * as the line's own fields: pino gives a child no bindings formatter of its
 * own unless its options name one, so each `child()` call is given it here.
 */
export function mapChildBindings(logger: Logger, redactUrl: (url: string) => string): void {
  const bindings = (b: Bindings): Bindings => {
    const out: Fields = {};
    for (const [k, v] of Object.entries(b)) mapField(out, k, v, redactUrl);
    return out;
  };
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called on each child as its `this` (pino makes children by Object.create: they inherit this method)
  const child = logger.child as unknown as (this: Logger, b: Bindings, options: ChildLoggerOptions) => Logger;
  logger.child = function (this: Logger, b: Bindings, options?: ChildLoggerOptions) {
    return child.call(this, b, { ...options, formatters: { ...options?.formatters, bindings } });
  } as unknown as Logger['child'];
}
