/** The variables of the "Outbound proxy" section of docs/configuration.md: the forward proxy of outbound requests. */
import { text } from '../parsers.js';
import { urlOfScheme } from '../urls.js';
import { variable } from '../variable.js';

/** A forward proxy URL: http or https, with optional credentials. */
const proxyUrl = urlOfScheme(
  ['http:', 'https:'],
  'is not an absolute URL (http://proxy.example.com:3128)',
  'must be an http:// or https:// proxy URL',
);

export const OUTBOUND_PROXY_VARIABLES = {
  HTTPS_PROXY: variable({
    group: 'Outbound proxy',
    scope: 'global',
    default: 'unset: direct',
    example: 'http://proxy.example.com:3128',
    parse: proxyUrl,
    doc: 'Forward proxy for https requests (IdP, Microsoft Graph, CommBox), as every HTTP client reads it; `https_proxy` too. A TLS-inspecting proxy needs its CA in `NODE_EXTRA_CA_CERTS`.',
  }),
  HTTP_PROXY: variable({
    group: 'Outbound proxy',
    scope: 'global',
    default: 'unset: direct',
    parse: proxyUrl,
    doc: 'Forward proxy for http requests, and for https ones when `HTTPS_PROXY` is unset; `http_proxy` too.',
  }),
  NO_PROXY: variable({
    group: 'Outbound proxy',
    scope: 'global',
    default: 'unset: every request through the proxy',
    example: 'localhost,127.0.0.1,.svc.cluster.local',
    parse: text,
    doc: 'Comma list of hosts (`.example.com` for subdomains, `host:port`, `*` for all) reached directly; `no_proxy` too.',
  }),
} as const;
