/** The variables of the "Server" section of docs/configuration.md: the listener, its pages and its logs. */
import { LOGO_MAX_BYTES, orgColor, orgLogoFile } from '../branding.js';
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
  ORG_LOGO_FILE: variable({
    group: 'Server',
    scope: 'global',
    default: 'unset: no logo',
    example: '/etc/commbox-bridge/logo.svg',
    parse: orgLogoFile,
    doc: `The company's logo, above the heading of the landing page and every error page: a PNG, JPEG, WebP or SVG file of at most ${LOGO_MAX_BYTES / 1024} KiB, told by its content, read at start-up and inlined in the pages (the CSP then allows \`data:\` images). Its text for screen readers is \`ORG_NAME\`, which it needs. An SVG is shown as an image, never run; one with a script is refused.`,
  }),
  ORG_COLOR: variable({
    group: 'Server',
    scope: 'global',
    default: "unset: #0b5cad for the button, the browser's for links",
    example: '#0b5cad',
    parse: orgColor,
    doc: "The accent colour of the button and the links, `#rrggbb` or `#rgb`. It must have a contrast of at least 4.5:1 (WCAG AA) with white, the button's text and the page's background: a lighter one is refused, with a darker shade of it that passes.",
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
