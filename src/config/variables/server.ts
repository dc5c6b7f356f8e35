/** The variables of the "Server" section of docs/configuration.md: the listener, its pages and its logs. */
import { integer, isSet, oneOf } from '../parsers.js';
import type { LogLevel } from '../settings.js';
import { parseTrustProxy } from '../trust-proxy.js';
import { httpsUrl } from '../urls.js';
import { variable, type Parser } from '../variable.js';

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const logLevel: Parser<LogLevel> = (raw, ctx) => oneOf(LEVELS, 'info')(raw?.toLowerCase(), ctx);

export const SERVER_VARIABLES = {
  ORG_NAME: variable({
    group: 'Server',
    scope: 'global',
    default: 'unset: "your company"',
    example: 'Example Bank',
    parse: (raw, ctx) => {
      if (!isSet(raw)) return undefined;
      if (raw.length > 100) ctx.bad('must be at most 100 characters');
      return raw;
    },
    doc: "The company's name, on the landing page and every error page.",
  }),
  HELP_URL: variable({
    group: 'Server',
    scope: 'global',
    default: 'unset: no link',
    example: 'https://help.example.com/commbox',
    parse: (raw, ctx) => {
      if (!isSet(raw)) return undefined;
      const u = httpsUrl({ query: true })(raw, ctx);
      if (u !== undefined && u.protocol !== 'https:') ctx.bad('must be https');
      return u?.href;
    },
    doc: "The company's help desk page (https), linked from the landing page and every error page.",
  }),
  PORT: variable({
    group: 'Server',
    scope: 'global',
    default: '3000',
    parse: integer(3000, 0, 65535),
    doc: 'Listening port.',
  }),
  HOST: variable({
    group: 'Server',
    scope: 'global',
    default: '0.0.0.0',
    parse: (raw) => (isSet(raw) ? raw : '0.0.0.0'),
    doc: 'Listening address.',
  }),
  LOG_LEVEL: variable({
    group: 'Server',
    scope: 'global',
    default: 'info',
    parse: logLevel,
    doc: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`.',
  }),
  TRUST_PROXY: variable({
    group: 'Server',
    scope: 'global',
    default: 'false: the socket address',
    example: '10.42.0.0/16',
    parse: parseTrustProxy,
    doc: 'The proxies in front of the bridge (addresses and CIDRs, comma-separated, or `loopback`) whose `X-Forwarded-For` gives the client IP for the logs, the audit line and the rate limits. `true` and hop counts are refused. Unset behind a proxy, every client looks like the proxy.',
  }),
} as const;
