/**
 * The outbound proxy: the dispatcher that goes through it (HTTP_PROXY, HTTPS_PROXY, NO_PROXY, read by
 * the configuration and passed explicitly), and how `check-config` reports which proxy a URL uses.
 */
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';
import type { ProxySettings } from '../config/parse.js';

/**
 * The dispatcher of outbound requests: undici's `EnvHttpProxyAgent` when a proxy
 * is configured (HTTP_PROXY, HTTPS_PROXY, NO_PROXY as every HTTP client reads
 * them, passed explicitly: undici must not read the environment itself), else
 * an `Agent`.
 */
export function createDispatcher(proxy: ProxySettings | undefined, options: Agent.Options): Dispatcher {
  if (proxy === undefined) return new Agent(options);
  return new EnvHttpProxyAgent({
    ...options,
    httpProxy: proxy.httpProxy ?? '',
    httpsProxy: proxy.httpsProxy ?? '',
    noProxy: proxy.noProxy ?? '',
  });
}

/** The proxy a request to `url` goes through, for `check-config`; undefined: direct. Mirrors undici's NO_PROXY rules in the common forms. */
export function proxyFor(proxy: ProxySettings | undefined, url: URL): string | undefined {
  if (proxy === undefined) return undefined;
  const chosen = url.protocol === 'https:' ? (proxy.httpsProxy ?? proxy.httpProxy) : proxy.httpProxy;
  if (chosen === undefined) return undefined;
  const host = url.hostname.toLowerCase();
  const port = url.port;
  for (const entry of (proxy.noProxy ?? '').split(/[,\s]+/).filter(Boolean)) {
    if (entry === '*') return undefined;
    const [h = '', p] = entry.toLowerCase().split(':');
    if (p !== undefined && p !== port) continue;
    const bare = h.replace(/^\*?\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return undefined;
  }
  return maskProxy(chosen);
}

/** A proxy URL for a report: its password masked; `(unset)` when there is none. */
export function maskProxy(proxy: string | undefined): string {
  if (proxy === undefined) return '(unset)';
  const u = new URL(proxy);
  return `${u.protocol}//${u.username ? `${u.username}${u.password ? ':***' : ''}@` : ''}${u.host}`;
}
