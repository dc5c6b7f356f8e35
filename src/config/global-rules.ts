/**
 * The rules between the bridge's own (global) variables, on what the walk
 * returned (`walk.ts`): a variable that needs another, two that contradict, a
 * deadline that another one would make a dead letter, a credential sent in clear.
 */
import { isLoopbackHost } from './urls.js';
import type { Walked } from './walk.js';

const OTLP_HEADERS = ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'] as const;

export function globalRules(globals: Walked, bad: (variable: string, problem: string) => void): void {
  const { values: g, given } = globals;
  if (g.COMMBOX_LOGIN_URL?.url.searchParams.has('ta'))
    bad('COMMBOX_LOGIN_URL', 'must not already contain a "ta" parameter');
  if (g.COMMBOX_CHAT_CHANNELS !== undefined && !given.has('COMMBOX_CHAT_URL'))
    bad('COMMBOX_CHAT_CHANNELS', 'is set but COMMBOX_CHAT_URL is not');
  if (given.has('COMMBOX_CHAT_URL') && g.COMMBOX_CHAT_CHANNELS === undefined) {
    // Chat tickets put the employee's name and email into a customer chat: only
    // into channels the company lists (or, explicitly, any with `*`).
    bad(
      'COMMBOX_CHAT_CHANNELS',
      'is required with COMMBOX_CHAT_URL: list the chat channel IDs employees may open (as CommBox shows them), or * to allow any channel',
    );
  }
  if (given.has('REDIS_CA_FILE')) {
    // A CA with a plain-text connection would read as TLS while none is used.
    if (!given.has('REDIS_URL'))
      bad('REDIS_CA_FILE', 'is set but REDIS_URL is not: set REDIS_URL (rediss://…), or remove REDIS_CA_FILE');
    else if (g.REDIS_URL?.startsWith('redis://'))
      bad('REDIS_CA_FILE', 'is used only with rediss:// (TLS): write REDIS_URL as rediss://');
  }
  if (!g.PAGE_LANGUAGES.includes(g.PAGE_DEFAULT_LANGUAGE))
    bad(
      'PAGE_DEFAULT_LANGUAGE',
      `("${g.PAGE_DEFAULT_LANGUAGE}") must be one of PAGE_LANGUAGES (${g.PAGE_LANGUAGES.join(', ')}): add it there, or choose one of them`,
    );
  // A logo is the company's name in a picture: people who cannot see it get the name.
  if (given.has('ORG_LOGO_FILE') && g.ORG_NAME === undefined)
    bad(
      'ORG_LOGO_FILE',
      "needs ORG_NAME, the logo's text for people who cannot see it: set ORG_NAME to the company's name",
    );
  if (g.METRICS_PORT !== undefined && g.METRICS_PORT === g.PORT)
    bad('METRICS_PORT', `must differ from PORT (${g.PORT}), or be off`);
  if (g.SHUTDOWN_TIMEOUT_MS <= g.SHUTDOWN_GRACE_MS) bad('SHUTDOWN_TIMEOUT_MS', 'must be longer than SHUTDOWN_GRACE_MS');
  // The whole callback's deadline below one of its requests' own would make that deadline a dead letter (a unit slip, usually).
  for (const step of ['OIDC_TIMEOUT_MS', 'COMMBOX_TIMEOUT_MS'] as const) {
    if (g.LOGIN_TIMEOUT_MS < g[step])
      bad(
        'LOGIN_TIMEOUT_MS',
        `(${g.LOGIN_TIMEOUT_MS}) must be at least ${step} (${g[step]}): a login makes that request; raise it, or lower ${step}`,
      );
  }
  // The export headers are the tracing backend's credential: over plain http to another host it would
  // cross the network in clear. The endpoint traces go to is checked (the traces one wins when set).
  const headers = OTLP_HEADERS.filter((v) => Object.keys(g[v]).length > 0);
  const endpoint =
    g.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT === undefined
      ? 'OTEL_EXPORTER_OTLP_ENDPOINT'
      : 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
  const url = g[endpoint];
  if (headers.length > 0 && url !== undefined) {
    const { protocol, hostname } = new URL(url);
    if (protocol === 'http:' && !isLoopbackHost(hostname))
      bad(
        endpoint,
        `is plain http:// to another host while ${headers.join(' and ')} ${headers.length > 1 ? 'are' : 'is'} set: the tracing backend's credential would cross the network in clear; write https:// (the receiver's TLS address), or, for an in-cluster collector that needs no credential, remove ${headers.join(' and ')}`,
      );
  }
}
