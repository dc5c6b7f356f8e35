/** The variables of the "Server" section of docs/configuration.md: the listener, its pages and its logs. */
import { shownValue } from '../shown-values.js';
import { LOGO_MAX_BYTES, orgColor, orgLogoFile } from '../branding.js';
import {
  isLanguage,
  LANGUAGES,
  readPageTextOverrides,
  type Language,
  type PageTextOverrides,
} from '../page-catalogue.js';
import { integer, isSet, list, oneOf } from '../parsers.js';
import type { LogLevel } from '../settings.js';
import { parseTrustProxy } from '../trust-proxy.js';
import { httpsUrl } from '../urls.js';
import { variable, type Parser } from '../variable.js';

/** `PAGE_LANGUAGES`: the languages offered, lower-cased, each once; unknown codes refused. */
const pageLanguages: Parser<Language[]> = (raw, ctx) => {
  if (!isSet(raw)) return [...LANGUAGES];
  const codes = [...new Set(list(raw, ctx).map((c) => c.toLowerCase()))];
  const unknown = codes.filter((c) => !isLanguage(c));
  if (unknown.length > 0)
    ctx.bad(
      `has ${unknown.map((c) => `"${c}"`).join(', ')}, not a language of the pages: write some of ${LANGUAGES.join(', ')}`,
    );
  const known = codes.filter(isLanguage);
  if (unknown.length > 0 || known.length === 0) {
    if (known.length === 0 && unknown.length === 0) ctx.bad(`lists no language: write some of ${LANGUAGES.join(', ')}`);
    return [...LANGUAGES];
  }
  return known;
};

/** `PAGE_TEXTS_FILE`: the company's texts, read and checked against the catalogue at start-up. */
const pageTextsFile: Parser<PageTextOverrides | undefined> = (raw, ctx) => {
  if (!isSet(raw)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(ctx.readFile(raw));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    ctx.bad(
      code === undefined
        ? `${raw} is not JSON (${(e as Error).message})`
        : `cannot read ${raw} (${code}): check the path and the mounted file`,
    );
    return undefined;
  }
  return readPageTextOverrides(json, (problem) => ctx.bad(problem));
};

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
      // The pages show values without these (config/shown-values.ts): the name would show U+FFFD instead.
      if (shownValue(raw) !== raw) {
        ctx.bad(
          'holds a direction mark or control character (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069, a control): write the name without it; the pages isolate the name in its own direction already',
        );
      }
      return raw;
    },
    doc: "The company's name, on the landing page and every error page (without direction marks or control characters: the pages isolate it in its own direction).",
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
    example: '/etc/commbox-sso-bridge/logo.svg',
    parse: orgLogoFile,
    doc: `The company's logo, above the heading of the landing page and every error page: a PNG, JPEG, WebP or SVG file of at most ${LOGO_MAX_BYTES / 1024} KiB, told by its content, read at start-up and inlined in the pages (the CSP then allows \`data:\` images). Its text for screen readers is \`ORG_NAME\`, which it needs. An SVG is only ever shown as an image, where no script runs (the CSP allows none); one with a plain script (a \`<script>\`, an \`on…\` attribute, a \`javascript:\` URL) is refused all the same.`,
  }),
  ORG_COLOR: variable({
    group: 'Server',
    scope: 'global',
    default: "unset: #0b5cad for the button, the browser's for links",
    example: '#0b5cad',
    parse: orgColor,
    doc: "The accent colour of the button and the links, `#rrggbb` or `#rgb`. It must have a contrast of at least 4.5:1 (WCAG AA) with white, the button's text and the page's background: a lighter one is refused, with a darker shade of it that passes.",
  }),
  PAGE_LANGUAGES: variable({
    group: 'Server',
    scope: 'global',
    default: LANGUAGES.join(','),
    example: 'en,he,ar,ru',
    parse: pageLanguages,
    doc: `The languages of the pages, comma-separated, of ${LANGUAGES.map((l) => `\`${l}\``).join(', ')}. Each page is in the one the browser's \`Accept-Language\` prefers among them (q-values; \`he-IL\` takes \`he\`), else in \`PAGE_DEFAULT_LANGUAGE\`; the login asks the IdP for it as \`ui_locales\` (\`PAGE_DEFAULT_LANGUAGE\` for a browser that sends no \`Accept-Language\`; nothing for one whose header names none of them, so the IdP can use the browser's own). An unknown code is refused.`,
  }),
  PAGE_DEFAULT_LANGUAGE: variable({
    group: 'Server',
    scope: 'global',
    default: 'en',
    parse: (raw, ctx) => {
      const code = raw?.toLowerCase();
      if (!isSet(code)) return 'en';
      if (isLanguage(code)) return code;
      ctx.bad(`"${raw}" is not a language of the pages: write one of ${LANGUAGES.join(', ')}`);
      return 'en';
    },
    doc: 'The language of the pages for a browser that asks for none of `PAGE_LANGUAGES` (or sends no `Accept-Language`); must be one of them.',
  }),
  PAGE_TEXTS_FILE: variable({
    group: 'Server',
    scope: 'global',
    default: 'unset: the built-in texts',
    example: '/etc/commbox-sso-bridge/page-texts.json',
    parse: pageTextsFile,
    doc: 'A JSON file of the company\'s own words for the pages, `{ "<language>": { "<key>": "<ICU message>" } }`, each replacing the built-in text of that key in that language (keys and arguments as in `src/config/locales/en.json`; see docs/operations.md). An unknown language or key, a message that does not parse, or one whose `{arguments}` differ from the key\'s stops the start-up.',
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
